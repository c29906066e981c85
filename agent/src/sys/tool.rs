//! External programs the agent runs: `e2fsck` and `resize2fs` (e2fsprogs, in the live image),
//! to grow an installed image's ext4 filesystem to its partition. Each run is bounded to its
//! arguments — no shell — and its exit status and last words are kept for the record.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use thiserror::Error;

/// What a finished program said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// The exit status (`None` when killed by a signal).
    pub code: Option<i32>,
    /// The end of its standard output and error, for messages and the record.
    pub tail: String,
    /// Its standard output, whole (what `losetup --show` prints).
    pub stdout: String,
}

/// Why a program did not run to an exit status.
#[derive(Debug, Error)]
pub enum ToolError {
    #[error("cannot run {program}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
}

/// How many bytes of a program's output are kept.
const TAIL: usize = 600;

/// Runs `program` with `args` (found in `PATH`), waits for it, and returns its status and the
/// end of its output.
pub fn run(program: &str, args: &[&str]) -> Result<ToolOutput, ToolError> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| ToolError::Spawn {
            program: program.to_owned(),
            source,
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut text = stdout.clone();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let text = text.trim();
    let start = text
        .char_indices()
        .map(|(i, _)| i)
        .find(|i| text.len() - i <= TAIL)
        .unwrap_or(text.len());
    Ok(ToolOutput {
        code: out.status.code(),
        tail: text[start..].to_owned(),
        stdout,
    })
}

/// The device node of partition `number` of the whole disk `disk`, by the kernel's naming rule:
/// a disk whose name ends with a digit takes a `p` first (`nvme0n1p2`, `loop0p2`, `mmcblk0p2`),
/// any other takes the number itself (`sda2`).
pub fn partition_path(disk: &Path, number: u32) -> PathBuf {
    let name = disk.to_string_lossy();
    if name.ends_with(|c: char| c.is_ascii_digit()) {
        PathBuf::from(format!("{name}p{number}"))
    } else {
        PathBuf::from(format!("{name}{number}"))
    }
}

/// Waits up to `limit` for `path` to exist as a block device (devtmpfs creates a partition's
/// node shortly after the kernel re-read the table); whether it does.
pub fn wait_for_block_device(path: &Path, limit: Duration) -> bool {
    let watch = super::clock::Stopwatch::start();
    loop {
        if matches!(super::file::kind(path), Ok(super::file::Kind::Block { .. })) {
            return true;
        }
        if watch.elapsed() >= limit {
            return false;
        }
        super::clock::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_follow_the_kernel() {
        assert_eq!(
            partition_path(Path::new("/dev/sda"), 2),
            Path::new("/dev/sda2")
        );
        assert_eq!(
            partition_path(Path::new("/dev/nvme0n1"), 3),
            Path::new("/dev/nvme0n1p3")
        );
        assert_eq!(
            partition_path(Path::new("/dev/loop7"), 1),
            Path::new("/dev/loop7p1")
        );
    }

    #[test]
    fn a_program_status_and_output_are_kept() {
        let ok = run("sh", &["-c", "echo hello; exit 3"]).unwrap();
        assert_eq!(ok.code, Some(3));
        assert_eq!(ok.tail, "hello");
        assert!(matches!(
            run("/nonexistent/reprise-tool", &[]),
            Err(ToolError::Spawn { .. })
        ));
    }
}
