//! A scratch folder of our own (the demo's): created new under the system's temporary folder,
//! never an existing one, and emptied of the files we put there at the end.

use std::path::{Path, PathBuf};

/// Creates a new folder `PREFIX-PID-N` under the temporary folder (`$TMPDIR` or /tmp), mode
/// 0700. Fails rather than reuse anything that exists.
pub fn new_dir(prefix: &str) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    // Only a starting point for the names tried (the pid and create-new make them unique).
    let nanos = super::clock::now_utc().nanosecond();
    for n in 0..100u32 {
        let dir = base.join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            nanos.wrapping_add(n)
        ));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "no free name for a scratch folder",
    ))
}

/// Removes a file we created in our scratch folder (`dir`); refuses anything outside it.
pub fn remove_file_in(dir: &Path, file: &Path) -> std::io::Result<()> {
    if !file.starts_with(dir) || file.parent() != Some(dir) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} is not a file of {}", file.display(), dir.display()),
        ));
    }
    std::fs::remove_file(file)
}
