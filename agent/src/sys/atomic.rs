//! Atomic, never-overwriting file creation (certificates, keys) and listing of a certificate
//! folder.
//!
//! Protocol of [`write_new`]: write the whole content to a hidden temporary file in the same
//! directory (`.<name>.<pid>.<random>.tmp`, created with O_EXCL and the final mode), fsync it,
//! then give it its final name without ever replacing an existing file —
//! `renameat2(RENAME_NOREPLACE)`, falling back to link + unlink where the filesystem refuses
//! that flag — and fsync the directory so the name survives a power cut. A writer killed at any
//! point leaves either nothing under the final name or the complete file; at worst a hidden
//! `.tmp` file, which readers ignore and [`remove_stale_temps`] deletes.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Why a file could not be created or a folder read.
#[derive(Debug, thiserror::Error)]
pub enum AtomicWriteError {
    #[error("{path}: already exists; refusing to overwrite")]
    Exists { path: PathBuf },
    #[error("{path}: cannot create temporary file")]
    CreateTemp { path: PathBuf, source: io::Error },
    #[error("{path}: cannot write")]
    Write { path: PathBuf, source: io::Error },
    #[error("{path}: cannot fsync")]
    Sync { path: PathBuf, source: io::Error },
    #[error("{path}: cannot move into place")]
    Rename { path: PathBuf, source: io::Error },
    #[error("{path}: cannot read directory")]
    ReadDir { path: PathBuf, source: io::Error },
    #[error("{path}: cannot read")]
    Read { path: PathBuf, source: io::Error },
    #[error("{name:?}: not a plain file name")]
    BadName { name: String },
    #[error("{path}: cannot create directory")]
    CreateDir { path: PathBuf, source: io::Error },
}

/// Creates `dir` and its parents if missing (the data partition of a fresh stick is empty).
pub fn ensure_dir(dir: &Path) -> Result<(), AtomicWriteError> {
    fs::create_dir_all(dir).map_err(|source| AtomicWriteError::CreateDir {
        path: dir.into(),
        source,
    })
}

/// Creates `dir/name` holding `bytes`, atomically, with permission `mode`; fails with
/// [`AtomicWriteError::Exists`] if the name is taken (even by a racing writer).
pub fn write_new(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    mode: u32,
) -> Result<PathBuf, AtomicWriteError> {
    if name.is_empty() || name.starts_with('.') || name.contains('/') {
        return Err(AtomicWriteError::BadName { name: name.into() });
    }
    let target = dir.join(name);
    if target.exists() {
        return Err(AtomicWriteError::Exists { path: target });
    }
    let random = super::random::bytes::<8>().map_err(|source| AtomicWriteError::CreateTemp {
        path: dir.into(),
        source,
    })?;
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        hex::encode(random)
    ));
    let result = write_and_publish(&temp, &target, bytes, mode);
    if result.is_err() {
        // Best effort: the temporary file is hidden anyway.
        let _ = fs::remove_file(&temp);
    }
    result?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| AtomicWriteError::Sync {
            path: dir.into(),
            source,
        })?;
    Ok(target)
}

fn write_and_publish(
    temp: &Path,
    target: &Path,
    bytes: &[u8],
    mode: u32,
) -> Result<(), AtomicWriteError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(temp)
        .map_err(|source| AtomicWriteError::CreateTemp {
            path: temp.into(),
            source,
        })?;
    file.write_all(bytes)
        .map_err(|source| AtomicWriteError::Write {
            path: temp.into(),
            source,
        })?;
    file.sync_all().map_err(|source| AtomicWriteError::Sync {
        path: temp.into(),
        source,
    })?;
    drop(file);
    publish(temp, target)
}

/// Renames `temp` to `target` unless `target` exists.
fn publish(temp: &Path, target: &Path) -> Result<(), AtomicWriteError> {
    match rename_noreplace(temp, target) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(AtomicWriteError::Exists {
                path: target.into(),
            });
        }
        // EINVAL / ENOSYS: this filesystem or kernel lacks the flag; try a hard link.
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(nix::libc::EINVAL | nix::libc::ENOSYS)
            ) => {}
        Err(source) => {
            return Err(AtomicWriteError::Rename {
                path: target.into(),
                source,
            });
        }
    }
    match fs::hard_link(temp, target) {
        Ok(()) => {
            let _ = fs::remove_file(temp);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(AtomicWriteError::Exists {
            path: target.into(),
        }),
        Err(source) => Err(AtomicWriteError::Rename {
            path: target.into(),
            source,
        }),
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn rename_noreplace(temp: &Path, target: &Path) -> io::Result<()> {
    use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
    renameat2(
        AT_FDCWD,
        temp,
        AT_FDCWD,
        target,
        RenameFlags::RENAME_NOREPLACE,
    )
    .map_err(io::Error::from)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn rename_noreplace(_temp: &Path, _target: &Path) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(nix::libc::ENOSYS))
}

/// Whether a file can be created, written and made durable in `dir` (a read-only or full data
/// partition fails here, before anything is wiped). Leaves nothing behind.
pub fn probe_writable(dir: &Path) -> Result<(), AtomicWriteError> {
    let random = super::random::bytes::<8>().map_err(|source| AtomicWriteError::CreateTemp {
        path: dir.into(),
        source,
    })?;
    let probe = dir.join(format!(".write-check.{}.tmp", hex::encode(random)));
    let result = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&probe)
        .map_err(|source| AtomicWriteError::CreateTemp {
            path: probe.clone(),
            source,
        })
        .and_then(|mut f| {
            f.write_all(b"x")
                .and_then(|()| f.sync_all())
                .map_err(|source| AtomicWriteError::Write {
                    path: probe.clone(),
                    source,
                })
        });
    let _ = fs::remove_file(&probe);
    result
}

/// The `*.json` files of `dir` (hidden files skipped), sorted by name, with their bytes. Fails
/// on the first file that cannot be read ([`read_json_entries`] says which, and goes on).
pub fn read_json_files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, AtomicWriteError> {
    let mut out = Vec::new();
    for entry in read_json_entries(dir)? {
        match entry.content {
            Ok(bytes) => out.push((entry.name, bytes)),
            Err(EntryProblem::NotAFile) => {}
            Err(EntryProblem::Unreadable(source)) => {
                return Err(AtomicWriteError::Read {
                    path: dir.join(&entry.name),
                    source,
                });
            }
        }
    }
    Ok(out)
}

/// One `*.json` name of a folder, and what reading it gave.
#[derive(Debug)]
pub struct JsonEntry {
    pub name: String,
    pub content: Result<Vec<u8>, EntryProblem>,
}

/// Why a named entry of a folder gave no bytes.
#[derive(Debug, thiserror::Error)]
pub enum EntryProblem {
    /// A folder, a broken link, a device: not a plain file.
    #[error("not a plain file")]
    NotAFile,
    #[error("cannot be read")]
    Unreadable(#[source] io::Error),
}

/// Every `*.json` name of `dir` (hidden ones skipped), sorted, each with its bytes or why it
/// has none: one file that cannot be read does not hide the others. Only a folder that cannot
/// be listed is an error.
pub fn read_json_entries(dir: &Path) -> Result<Vec<JsonEntry>, AtomicWriteError> {
    let entries = fs::read_dir(dir).map_err(|source| AtomicWriteError::ReadDir {
        path: dir.into(),
        source,
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| AtomicWriteError::ReadDir {
            path: dir.into(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !name.ends_with(".json") {
            continue;
        }
        let content = read_entry(dir, &name);
        out.push(JsonEntry { name, content });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The bytes of `dir/name`, or why there are none.
pub fn read_entry(dir: &Path, name: &str) -> Result<Vec<u8>, EntryProblem> {
    let path = dir.join(name);
    if !path.is_file() {
        return Err(EntryProblem::NotAFile);
    }
    fs::read(&path).map_err(EntryProblem::Unreadable)
}

/// Deletes the hidden temporary files a killed writer may have left in `dir`; returns how many.
pub fn remove_stale_temps(dir: &Path) -> Result<usize, AtomicWriteError> {
    let entries = fs::read_dir(dir).map_err(|source| AtomicWriteError::ReadDir {
        path: dir.into(),
        source,
    })?;
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".tmp") && fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_with_mode_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_new(dir.path(), "a.json", b"{}", 0o600).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"{}");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let err = write_new(dir.path(), "a.json", b"other", 0o644).unwrap_err();
        assert!(matches!(err, AtomicWriteError::Exists { .. }), "{err}");
        assert_eq!(fs::read(&p).unwrap(), b"{}");
        // No temporary file left behind by the refused write.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_names_that_are_not_plain() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["", ".hidden", "a/b.json"] {
            assert!(matches!(
                write_new(dir.path(), name, b"x", 0o644),
                Err(AtomicWriteError::BadName { .. })
            ));
        }
    }

    #[test]
    fn listing_skips_hidden_and_other_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("b.json"), b"2").unwrap();
        fs::write(dir.path().join("a.json"), b"1").unwrap();
        fs::write(dir.path().join(".a.json.1.ff.tmp"), b"partial").unwrap();
        fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        let files = read_json_files(dir.path()).unwrap();
        assert_eq!(
            files,
            vec![
                ("a.json".into(), b"1".to_vec()),
                ("b.json".into(), b"2".to_vec())
            ]
        );
        assert_eq!(remove_stale_temps(dir.path()).unwrap(), 1);
        assert!(!dir.path().join(".a.json.1.ff.tmp").exists());
    }

    /// An entry that cannot be read is said, and does not hide the others (a strict listing
    /// fails on it, naming it).
    #[test]
    fn entries_say_which_cannot_be_read_and_go_on() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.json"), b"1").unwrap();
        fs::create_dir(dir.path().join("b.json")).unwrap();
        // Read as root too: the kernel refuses to read address 0 of a process's memory.
        std::os::unix::fs::symlink("/proc/self/mem", dir.path().join("c.json")).unwrap();
        fs::write(dir.path().join("d.json"), b"4").unwrap();
        let entries = read_json_entries(dir.path()).unwrap();
        let seen: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| {
                let what = match &e.content {
                    Ok(_) => "ok",
                    Err(EntryProblem::NotAFile) => "not a file",
                    Err(EntryProblem::Unreadable(_)) => "unreadable",
                };
                (e.name.as_str(), what)
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("a.json", "ok"),
                ("b.json", "not a file"),
                ("c.json", "unreadable"),
                ("d.json", "ok")
            ]
        );
        let err = read_json_files(dir.path()).unwrap_err();
        assert!(err.to_string().contains("c.json"), "{err}");
    }
}
