//! Plain files the operator names on the command line or the data partition holds (policy,
//! reports, keys, settings; an image to install, streamed): bounded reads with the path in every error, and creation of a new
//! file at a given path through the atomic, never-overwriting writer.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::atomic::{self, AtomicWriteError};

/// Largest file read whole: far above any report, policy or key, and a bound on what a wrong
/// path (a disk image, `/dev/zero`) can make the agent allocate.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Why a file could not be read or created.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a regular file")]
    NotAFile { path: PathBuf },
    #[error("{path} is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("{path} is not UTF-8 text")]
    NotText { path: PathBuf },
    #[error("{path}: not a file name in a folder")]
    BadPath { path: PathBuf },
    #[error("cannot create {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: AtomicWriteError,
    },
}

/// What a path names, following symlinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file of this many bytes.
    Regular {
        len: u64,
    },
    /// A block device.
    Block {
        devno: crate::model::DevNo,
    },
    Directory,
    /// A FIFO, socket or character device.
    Other,
}

/// What `path` names (after symlinks).
pub fn kind(path: &Path) -> std::io::Result<Kind> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let m = std::fs::metadata(path)?;
    let ft = m.file_type();
    Ok(if ft.is_file() {
        Kind::Regular { len: m.len() }
    } else if ft.is_block_device() {
        Kind::Block {
            devno: super::blockdev::devno(m.rdev()),
        }
    } else if ft.is_dir() {
        Kind::Directory
    } else {
        Kind::Other
    })
}

/// Whether anything (even a dangling symlink) exists at `path`.
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// `path` with symlinks and `..` resolved, or `path` itself when it cannot be resolved.
pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// The bytes of the regular file at `path`.
pub fn read(path: &Path) -> Result<Vec<u8>, FileError> {
    let err = |source| FileError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(err)?;
    if !meta.is_file() {
        return Err(FileError::NotAFile {
            path: path.to_owned(),
        });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(err)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(err)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(FileError::TooLarge {
            path: path.to_owned(),
        });
    }
    Ok(bytes)
}

/// The regular file at `path` opened as a stream (an image to install, read once from start to
/// end, of any size), and its length.
pub fn open_stream(path: &Path) -> Result<(Box<dyn Read + Send>, u64), FileError> {
    let err = |source| FileError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(err)?;
    let meta = file.metadata().map_err(err)?;
    if !meta.is_file() {
        return Err(FileError::NotAFile {
            path: path.to_owned(),
        });
    }
    Ok((Box::new(file), meta.len()))
}

/// The text of the regular file at `path`.
pub fn read_to_string(path: &Path) -> Result<String, FileError> {
    String::from_utf8(read(path)?).map_err(|_| FileError::NotText {
        path: path.to_owned(),
    })
}

/// The text of `path`, or `None` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<String>, FileError> {
    match read_to_string(path) {
        Err(FileError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        r => r.map(Some),
    }
}

/// Creates the new file `path` holding `bytes` (mode 0644), atomically; refuses an existing
/// path of any kind (a file, a directory, a block device) and never overwrites.
pub fn create_new(path: &Path, bytes: &[u8]) -> Result<PathBuf, FileError> {
    let bad = || FileError::BadPath {
        path: path.to_owned(),
    };
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(bad)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(FileError::Create {
            path: path.to_owned(),
            source: AtomicWriteError::Exists {
                path: path.to_owned(),
            },
        });
    }
    atomic::write_new(dir, name, bytes, 0o644).map_err(|source| FileError::Create {
        path: path.to_owned(),
        source,
    })
}

/// Copies every regular file of `from` (each at most [`MAX_FILE_BYTES`]) into the folder `to`
/// as new files (the demo's workshop images); how many. Nothing existing is overwritten.
pub fn copy_files(from: &Path, to: &Path) -> Result<usize, FileError> {
    let read_err = |source| FileError::Read {
        path: from.to_owned(),
        source,
    };
    atomic::ensure_dir(to).map_err(|source| FileError::Create {
        path: to.to_owned(),
        source,
    })?;
    let mut n = 0;
    for entry in std::fs::read_dir(from).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if !matches!(kind(&path), Ok(Kind::Regular { .. })) {
            continue;
        }
        let Some(name) = path.file_name() else {
            continue;
        };
        create_new(&to.join(name), &read(&path)?)?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_new_refuses_what_exists() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("report.json");
        create_new(&p, b"{}").unwrap();
        assert_eq!(read_to_string(&p).unwrap(), "{}");
        assert!(matches!(
            create_new(&p, b"x"),
            Err(FileError::Create { .. })
        ));
        assert!(matches!(
            create_new(dir.path(), b"x"),
            Err(FileError::Create { .. })
        ));
        assert!(matches!(
            create_new(Path::new("/dev/null"), b"x"),
            Err(FileError::Create { .. })
        ));
        assert_eq!(read_to_string(&p).unwrap(), "{}");
        assert!(matches!(read(dir.path()), Err(FileError::NotAFile { .. })));
        assert!(read_optional(&dir.path().join("none")).unwrap().is_none());
    }
}
