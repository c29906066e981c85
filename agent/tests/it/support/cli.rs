//! The `reprise` binary as a user runs it: its arguments, what is typed at its prompt, what it
//! prints and its exit code.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// `reprise ARGS`, nothing typed.
pub fn reprise(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(args)
        .output()
        .expect("run reprise")
}

/// `reprise ARGS` with `typed` on its standard input (the operator's answer).
pub fn reprise_typing(args: &[&str], typed: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run reprise");
    // A command that stops reading early (it refused before asking) closes the pipe: not an
    // error of the test.
    let _ = child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(typed.as_bytes());
    child.wait_with_output().expect("wait for reprise")
}
