//! Writing kernel attributes (sysfs): the one place besides the write guard's device and the
//! atomic file writer that opens anything for writing. Used to ask the kernel to re-read a disk's
//! capacity (`device/rescan`) and to suspend the machine (`power/state`, `rtc0/wakealarm`).
//!
//! An attribute is never created: it must exist (the kernel made it), so a typo or a missing
//! driver is an error, not a new file.

use std::io::{self, Write};
use std::path::PathBuf;

use super::SysRoot;

/// Why an attribute could not be written.
#[derive(Debug, thiserror::Error)]
pub enum AttrError {
    #[error("cannot write {value:?} to {path}")]
    Write {
        path: PathBuf,
        value: String,
        #[source]
        source: io::Error,
    },
}

/// Writes `value` to the existing attribute `rel` under `root` ("sys/power/state").
pub fn write_attribute(root: &SysRoot, rel: &str, value: &str) -> Result<(), AttrError> {
    let path = root.join(rel);
    let err = |source| AttrError::Write {
        path: path.clone(),
        value: value.to_owned(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .map_err(err)?;
    // One write call: the kernel takes an attribute's value from a single write.
    f.write_all(value.as_bytes()).map_err(err)
}

/// Asks the kernel to re-read the capacity of the SCSI disk (libata or SAS) with device number
/// `devno`, after its Host Protected Area or Device Configuration Overlay changed.
pub fn rescan_disk(root: &SysRoot, devno: crate::model::DevNo) -> Result<(), AttrError> {
    write_attribute(root, &format!("sys/dev/block/{devno}/device/rescan"), "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_existing_attributes_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = SysRoot::new(dir.path());
        std::fs::create_dir_all(dir.path().join("sys/power")).unwrap();
        std::fs::write(dir.path().join("sys/power/state"), "freeze mem disk\n").unwrap();
        write_attribute(&root, "sys/power/state", "mem").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("sys/power/state")).unwrap(),
            "mem"
        );
        let e = write_attribute(&root, "sys/power/nope", "1").unwrap_err();
        assert!(e.to_string().contains("sys/power/nope"), "{e}");
        assert!(!dir.path().join("sys/power/nope").exists());
    }
}
