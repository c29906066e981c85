//! Reading sysfs/procfs attributes under a [`SysRoot`], each as a [`Field`] whose unknown case
//! says why ("sys/block/sda/device/model: not found").
//!
//! Paths in reasons are relative to the root, so a report of a fixture tree does not depend on
//! where the tree lives, and a report of `/` reads naturally.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::SysRoot;
use crate::model::Field;

/// Largest file the probe reads (procfs files of big machines stay far below this); bounds the
/// memory a hostile or broken tree can make us use.
const MAX_READ: u64 = 8 << 20;

/// Short human text for an I/O error ("not found", "permission denied").
fn describe(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "not found".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => err.to_string(),
    }
}

/// Display form of a root-relative path for reasons.
fn shown(rel: &Path) -> String {
    let rel = rel.strip_prefix("/").unwrap_or(rel);
    rel.display().to_string()
}

/// The reason text "REL: what" used for every unknown value read from a file.
pub fn reason(rel: impl AsRef<Path>, what: impl std::fmt::Display) -> String {
    format!("{}: {what}", shown(rel.as_ref()))
}

/// Raw bytes of `rel` under `root`, or the reason they cannot be read.
pub fn read_bytes(root: &SysRoot, rel: impl AsRef<Path>) -> Result<Vec<u8>, String> {
    let rel = rel.as_ref();
    let path = root.join(rel);
    // Only regular files: a FIFO or a device node in a broken tree would block or read a disk.
    let meta = fs::metadata(&path).map_err(|e| reason(rel, describe(&e)))?;
    if meta.is_dir() {
        return Err(reason(rel, "is a directory"));
    }
    if !meta.is_file() {
        return Err(reason(rel, "not a regular file"));
    }
    let file = fs::File::open(&path).map_err(|e| reason(rel, describe(&e)))?;
    let mut buf = Vec::new();
    file.take(MAX_READ)
        .read_to_end(&mut buf)
        .map_err(|e| reason(rel, describe(&e)))?;
    Ok(buf)
}

/// Text of `rel` (lossy UTF-8, not trimmed), or the reason it cannot be read.
pub fn read_text(root: &SysRoot, rel: impl AsRef<Path>) -> Result<String, String> {
    read_bytes(root, rel).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A sysfs attribute: trimmed text, unknown when missing, unreadable or empty.
///
/// NUL bytes (some firmware pads DMI strings with them) are dropped before trimming.
pub fn read_attr(root: &SysRoot, rel: impl AsRef<Path>) -> Field<String> {
    let rel = rel.as_ref();
    match read_text(root, rel) {
        Ok(text) => {
            let text: String = text.chars().filter(|c| *c != '\0').collect();
            let t = text.trim();
            if t.is_empty() {
                Field::Unknown(reason(rel, "empty"))
            } else {
                Field::Known(t.to_owned())
            }
        }
        Err(why) => Field::Unknown(why),
    }
}

/// A sysfs attribute parsed as a number (decimal, trimmed).
pub fn read_num<T: std::str::FromStr>(root: &SysRoot, rel: impl AsRef<Path>) -> Field<T> {
    let rel = rel.as_ref();
    match read_attr(root, rel) {
        Field::Known(s) => match s.parse::<T>() {
            Ok(v) => Field::Known(v),
            Err(_) => Field::Unknown(reason(rel, format_args!("not a number: {s:?}"))),
        },
        Field::Unknown(why) => Field::Unknown(why),
    }
}

/// A sysfs boolean attribute ("0" or "1").
pub fn read_bool(root: &SysRoot, rel: impl AsRef<Path>) -> Field<bool> {
    let rel = rel.as_ref();
    match read_attr(root, rel) {
        Field::Known(s) if s == "1" => Field::Known(true),
        Field::Known(s) if s == "0" => Field::Known(false),
        Field::Known(s) => Field::Unknown(reason(rel, format_args!("not 0 or 1: {s:?}"))),
        Field::Unknown(why) => Field::Unknown(why),
    }
}

/// Whether `rel` exists under the root (following symlinks).
pub fn exists(root: &SysRoot, rel: impl AsRef<Path>) -> bool {
    root.join(rel).exists()
}

/// Last component of the target of the symlink `rel` (a driver name, a subsystem name).
pub fn link_name(root: &SysRoot, rel: impl AsRef<Path>) -> Field<String> {
    let rel = rel.as_ref();
    match fs::read_link(root.join(rel)) {
        Ok(target) => match target.file_name() {
            Some(name) => Field::Known(name.to_string_lossy().into_owned()),
            None => Field::Unknown(reason(rel, "link has no file name")),
        },
        Err(e) => Field::Unknown(reason(rel, describe(&e))),
    }
}

/// Where `rel` really is, symlinks resolved, as a path relative to the root (e.g.
/// "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda").
///
/// Works for fixture trees because their symlinks are relative, as real sysfs's are.
pub fn resolve(root: &SysRoot, rel: impl AsRef<Path>) -> Result<PathBuf, String> {
    let rel = rel.as_ref();
    let real = fs::canonicalize(root.join(rel)).map_err(|e| reason(rel, describe(&e)))?;
    let base = fs::canonicalize(root.path()).map_err(|e| reason("", describe(&e)))?;
    match real.strip_prefix(&base) {
        Ok(inside) => Ok(inside.to_path_buf()),
        Err(_) => Err(reason(rel, "resolves outside the root")),
    }
}

/// Names of the entries of directory `rel`, sorted; the reason when it cannot be listed.
pub fn list_dir(root: &SysRoot, rel: impl AsRef<Path>) -> Result<Vec<String>, String> {
    let rel = rel.as_ref();
    let entries = fs::read_dir(root.join(rel)).map_err(|e| reason(rel, describe(&e)))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// Whether `rel` is a directory (following symlinks).
pub fn is_dir(root: &SysRoot, rel: impl AsRef<Path>) -> bool {
    root.join(rel).is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_trimmed_and_reasons_relative() {
        let dir = tempfile::tempdir().unwrap();
        let root = SysRoot::new(dir.path());
        fs::create_dir_all(dir.path().join("sys/x")).unwrap();
        fs::write(dir.path().join("sys/x/a"), "  LENOVO \n").unwrap();
        fs::write(dir.path().join("sys/x/e"), "\n").unwrap();
        fs::write(dir.path().join("sys/x/n"), "12x\n").unwrap();
        fs::write(dir.path().join("sys/x/b"), "1\n").unwrap();
        assert_eq!(read_attr(&root, "sys/x/a"), Field::Known("LENOVO".into()));
        assert_eq!(
            read_attr(&root, "sys/x/e"),
            Field::Unknown("sys/x/e: empty".into())
        );
        assert_eq!(
            read_attr(&root, "/sys/x/missing"),
            Field::Unknown("sys/x/missing: not found".into())
        );
        assert_eq!(
            read_num::<u64>(&root, "sys/x/n"),
            Field::Unknown("sys/x/n: not a number: \"12x\"".into())
        );
        assert_eq!(read_bool(&root, "sys/x/b"), Field::Known(true));
        assert_eq!(
            read_attr(&root, "sys/x"),
            Field::Unknown("sys/x: is a directory".into())
        );
        nix::unistd::mkfifo(
            &dir.path().join("sys/x/fifo"),
            nix::sys::stat::Mode::S_IRWXU,
        )
        .unwrap();
        assert_eq!(
            read_attr(&root, "sys/x/fifo"),
            Field::Unknown("sys/x/fifo: not a regular file".into())
        );
    }

    #[cfg(unix)]
    #[test]
    fn resolve_follows_relative_links_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let root = SysRoot::new(dir.path());
        fs::create_dir_all(dir.path().join("sys/devices/virtual/block/loop0")).unwrap();
        fs::create_dir_all(dir.path().join("sys/block")).unwrap();
        std::os::unix::fs::symlink(
            "../devices/virtual/block/loop0",
            dir.path().join("sys/block/loop0"),
        )
        .unwrap();
        std::os::unix::fs::symlink("/", dir.path().join("sys/block/escape")).unwrap();
        assert_eq!(
            resolve(&root, "sys/block/loop0").unwrap(),
            PathBuf::from("sys/devices/virtual/block/loop0")
        );
        assert!(resolve(&root, "sys/block/escape").is_err());
        assert_eq!(
            link_name(&root, "sys/block/loop0"),
            Field::Known("loop0".into())
        );
    }
}
