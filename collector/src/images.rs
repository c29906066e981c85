//! The OS images the collector keeps for the agents: after a verified wipe with a refurbish
//! verdict, an agent started with `reprise.deploy=NAME` downloads the workshop's master image
//! (`download.rs`), writes it to the disk and checks it against the image's SHA-256.
//!
//! An image is a raw disk image, stored as given: plain, or zstd-compressed when its file is
//! named `.zst`. Files live in a directory of their own beside the database (`DB.images/` for
//! SQLite; PostgreSQL has no "beside": `--images DIR`), their metadata in the database
//! (`store::Image`). The SHA-256 and size recorded are those of the **raw** bytes — what lands
//! on the disk and what the agent reads back — computed here from the stored copy, streaming
//! (a `.zst` one through the decoder), so that the record describes the very file served.
//!
//! Adding is atomic: the copy goes to a temporary file in the directory, is synced, checked
//! (zstd that decodes to its end, no other compression), then linked under a name no other
//! image has (name, version and a random suffix: two `image add` at once never replace each
//! other's file); only then is the record written. A crash leaves at worst a temporary or an
//! unrecorded file, never a record without its file.

use std::io::{Read as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::store::Image;

/// Longest image name or version.
pub const NAME_MAX: usize = 64;

/// The zstd frame magic number (RFC 8878), as it starts a `.zst` file.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The largest zstd window accepted (2 GiB, `zstd --long=31`): images compressed with a long
/// window decode here as they must on the agent.
pub const ZSTD_WINDOW_LOG_MAX: u32 = 31;

/// Why an image could not be added or read. Every message names the file or the value.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(
        "{what} {value:?}: 1 to {NAME_MAX} letters, digits, '.', '_' or '-', starting with a \
         letter or a digit (it is part of URLs and of the kernel command line)"
    )]
    BadName { what: &'static str, value: String },
    #[error(
        "a PostgreSQL database has no folder to keep the images beside it: give --images DIR \
         (a directory on this machine, created on first use)"
    )]
    NoDefaultDir,
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is named .zst but is not a valid zstd stream")]
    NotZstd {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} starts like a {format} file: give a raw disk image, or a zstd one named .zst \
         (the agent writes any other file to the disk as it is)"
    )]
    OtherCompression { path: PathBuf, format: &'static str },
    #[error("{path} is empty: not a disk image")]
    Empty { path: PathBuf },
}

impl ImageError {
    /// The same error about `source` when it was about its copy `copy` (the operator knows the
    /// file they gave, not the temporary copy).
    fn of_source(self, copy: &Path, source: &Path) -> ImageError {
        let named = |path: PathBuf| {
            if path == copy {
                source.to_owned()
            } else {
                path
            }
        };
        match self {
            ImageError::NotZstd { path, source: e } => ImageError::NotZstd {
                path: named(path),
                source: e,
            },
            ImageError::OtherCompression { path, format } => ImageError::OtherCompression {
                path: named(path),
                format,
            },
            ImageError::Empty { path } => ImageError::Empty { path: named(path) },
            other => other,
        }
    }
}

/// How an image is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Zstd,
}

impl Compression {
    /// The word stored and served (`X-Reprise-Image-Compression`, the list's `compression`).
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Zstd => "zstd",
        }
    }

    /// By the file's name: `.zst` is zstd, anything else raw.
    pub fn of_path(path: &Path) -> Compression {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zst"))
        {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Checks an image name or version: it goes into URLs (`/api/v1/images/NAME/VERSION`), file
/// names and the kernel command line (`reprise.deploy=NAME`), so only a plain word.
pub fn check_name(what: &'static str, value: &str) -> Result<(), ImageError> {
    let ok = !value.is_empty()
        && value.len() <= NAME_MAX
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ImageError::BadName {
            what,
            value: value.to_string(),
        })
    }
}

/// Where the images of database `db` live: `explicit` when given, else beside a SQLite file
/// (`DB.images`), as the server key is (`server_key::path_for`).
pub fn dir_for(db: &str, explicit: Option<&Path>) -> Result<PathBuf, ImageError> {
    if let Some(p) = explicit {
        return Ok(p.to_owned());
    }
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        return Err(ImageError::NoDefaultDir);
    }
    let mut name = PathBuf::from(db).into_os_string();
    name.push(".images");
    Ok(PathBuf::from(name))
}

/// The version `image add` gives when none is named: the UTC time of adding,
/// `YYYYMMDD-HHMMSS` (sorts as it was added).
pub fn default_version(now: &str) -> String {
    // `now` is util::now(): 2026-12-07T13:20:05.123Z.
    let digits: String = now.chars().take(19).filter(char::is_ascii_digit).collect();
    if digits.len() == 14 {
        format!("{}-{}", &digits[..8], &digits[8..])
    } else {
        "1".to_string()
    }
}

/// What a scan of a stored file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Bytes of the file.
    pub size: u64,
    /// Bytes once decompressed.
    pub raw_size: u64,
    /// Hex SHA-256 of the decompressed bytes.
    pub sha256: String,
}

/// Formats a file may start with that the agent could not write as a disk image.
fn other_compression(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some("gzip")
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else if head.starts_with(b"BZh") {
        Some("bzip2")
    } else if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        Some("lz4")
    } else {
        None
    }
}

/// Hashes everything `r` gives; the number of bytes.
fn hash_all(r: &mut impl std::io::Read, sha: &mut Sha256) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sha.update(&buf[..n]);
        total += n as u64;
    }
}

/// Reads `path` to its end as `compression` says: its size, and the size and SHA-256 of its raw
/// bytes. Refuses an empty file, a `.zst` that does not decode to its end, and a raw file that
/// starts like a compressed one.
pub fn scan(path: &Path, compression: Compression) -> Result<Scan, ImageError> {
    let read = |source| ImageError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read)?;
    let size = file.metadata().map_err(read)?.len();
    if size == 0 {
        return Err(ImageError::Empty {
            path: path.to_owned(),
        });
    }
    let mut head = [0u8; 8];
    let got = file.read(&mut head).map_err(read)?;
    let head = &head[..got];
    let mut file = std::fs::File::open(path).map_err(read)?;
    let mut sha = Sha256::new();
    let raw_size = match compression {
        Compression::None => {
            if head.starts_with(&ZSTD_MAGIC) {
                return Err(ImageError::OtherCompression {
                    path: path.to_owned(),
                    format: "zstd (name it .zst)",
                });
            }
            if let Some(format) = other_compression(head) {
                return Err(ImageError::OtherCompression {
                    path: path.to_owned(),
                    format,
                });
            }
            hash_all(&mut file, &mut sha).map_err(read)?
        }
        Compression::Zstd => {
            let not_zstd = |source| ImageError::NotZstd {
                path: path.to_owned(),
                source,
            };
            if !head.starts_with(&ZSTD_MAGIC) {
                return Err(not_zstd(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "no zstd frame at its start",
                )));
            }
            let mut decoder = zstd::stream::read::Decoder::new(file).map_err(not_zstd)?;
            decoder
                .window_log_max(ZSTD_WINDOW_LOG_MAX)
                .map_err(not_zstd)?;
            // A read error here is the file's or the stream's: either way not a good image.
            hash_all(&mut decoder, &mut sha).map_err(not_zstd)?
        }
    };
    Ok(Scan {
        size,
        raw_size,
        sha256: hex::encode(sha.finalize()),
    })
}

/// What `image add` is given.
#[derive(Debug, Clone)]
pub struct NewImage {
    pub source: PathBuf,
    pub name: String,
    pub version: String,
    pub added_by: String,
    pub added_at: String,
}

/// Copies `new.source` into `dir` (made if missing) and scans the copy; returns the record to
/// store. Nothing of it is left in `dir` on an error. The caller stores the record, and calls
/// [`discard`] if that fails.
pub fn copy_in(dir: &Path, new: &NewImage) -> Result<Image, ImageError> {
    check_name("image name", &new.name)?;
    check_name("image version", &new.version)?;
    let compression = Compression::of_path(&new.source);
    let write = |path: &Path| {
        let path = path.to_owned();
        move |source| ImageError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(write(dir))?;
    let mut suffix = [0u8; 4];
    getrandom::fill(&mut suffix).map_err(|e| ImageError::Write {
        path: dir.to_owned(),
        source: std::io::Error::other(format!("no random bytes: {e}")),
    })?;
    let ext = match compression {
        Compression::None => "img",
        Compression::Zstd => "img.zst",
    };
    let file = format!("{}@{}.{}.{ext}", new.name, new.version, hex::encode(suffix));
    let temp = dir.join(format!(".{file}.tmp"));
    let target = dir.join(&file);
    let copied = copy_synced(&new.source, &temp)
        .and_then(|()| scan(&temp, compression))
        .and_then(|scan| {
            // A link never replaces a file (the random suffix makes a clash unlikely anyway).
            std::fs::hard_link(&temp, &target).map_err(write(&target))?;
            Ok(scan)
        });
    let _ = std::fs::remove_file(&temp);
    let scan = copied.map_err(|e| e.of_source(&temp, &new.source))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(Image {
        name: new.name.clone(),
        version: new.version.clone(),
        file,
        compression: compression.as_str().to_string(),
        size: to_i64(scan.size),
        raw_size: to_i64(scan.raw_size),
        sha256: scan.sha256,
        added_at: new.added_at.clone(),
        added_by: new.added_by.clone(),
        // The full path, so the record says which file it was whatever the working folder.
        source: std::fs::canonicalize(&new.source)
            .unwrap_or_else(|_| new.source.clone())
            .display()
            .to_string(),
        removed_at: None,
    })
}

/// Copies `from` to the new file `to` and syncs it.
fn copy_synced(from: &Path, to: &Path) -> Result<(), ImageError> {
    let mut src = std::fs::File::open(from).map_err(|source| ImageError::Read {
        path: from.to_owned(),
        source,
    })?;
    let write = |source| ImageError::Write {
        path: to.to_owned(),
        source,
    };
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .open(to)
        .map_err(write)?;
    // std's copy uses copy_file_range where it can (no bytes through user space). An error may
    // be the reading side's or the writing side's: named by the destination, with its cause.
    std::io::copy(&mut src, &mut dst).map_err(write)?;
    dst.flush().map_err(write)?;
    dst.sync_all().map_err(write)
}

/// The stored file of `image` in `dir`. `None` if the record's file name is not a plain name
/// (a database edited by hand): nothing outside `dir` is ever served.
pub fn path_of(dir: &Path, image: &Image) -> Option<PathBuf> {
    let plain = !image.file.is_empty()
        && !image.file.starts_with('.')
        && !image.file.contains(['/', '\\', '\0']);
    plain.then(|| dir.join(&image.file))
}

/// Deletes the stored file of `image` (after its record says removed, or when its record
/// could not be written). Missing already is fine.
pub fn discard(dir: &Path, image: &Image) -> Result<(), ImageError> {
    let Some(path) = path_of(dir, image) else {
        return Ok(());
    };
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ImageError::Write { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_words() {
        for ok in [
            "debian-12",
            "win11_pro",
            "1",
            "Ubuntu.24.04",
            &"a".repeat(NAME_MAX),
        ] {
            assert!(check_name("image name", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-x",
            ".hidden",
            "a/b",
            "a b",
            "é",
            "a@b",
            "a$b",
            &"a".repeat(NAME_MAX + 1),
        ] {
            assert!(check_name("image name", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_default_version_is_the_time_of_adding() {
        assert_eq!(
            default_version("2026-12-07T13:20:05.123Z"),
            "20261207-132005"
        );
    }

    #[test]
    fn images_live_beside_a_sqlite_file_and_need_a_folder_with_postgres() {
        assert_eq!(
            dir_for("/srv/atelier.db", None).unwrap(),
            PathBuf::from("/srv/atelier.db.images")
        );
        assert!(matches!(
            dir_for("postgres://u@h/db", None),
            Err(ImageError::NoDefaultDir)
        ));
        assert_eq!(
            dir_for("postgres://u@h/db", Some(Path::new("/srv/img"))).unwrap(),
            PathBuf::from("/srv/img")
        );
    }

    #[test]
    fn a_record_never_points_outside_its_directory() {
        let mut i = Image {
            name: "n".into(),
            version: "v".into(),
            file: "n@v.00.img".into(),
            compression: "none".into(),
            size: 1,
            raw_size: 1,
            sha256: String::new(),
            added_at: String::new(),
            added_by: String::new(),
            source: String::new(),
            removed_at: None,
        };
        let dir = Path::new("/srv/i");
        assert_eq!(path_of(dir, &i), Some(dir.join("n@v.00.img")));
        for bad in ["../etc/passwd", "/etc/passwd", ".n@v.img.tmp", ""] {
            i.file = bad.into();
            assert_eq!(path_of(dir, &i), None, "{bad}");
        }
    }
}
