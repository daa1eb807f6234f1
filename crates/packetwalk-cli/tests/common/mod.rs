//! Running the `packetwalk` binary as a user runs it, for the CLI's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsStr;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The path of a real document in `crates/packetwalk/fixtures/real`.
pub fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../packetwalk/fixtures/real")
        .join(name)
        .display()
        .to_string()
}

/// Runs `packetwalk ARGS`, with `stdin` (text) on standard input if given.
pub fn run(args: &[&str], stdin: Option<&str>) -> Output {
    run_bytes(args, stdin.unwrap_or_default().as_bytes())
}

/// Runs `packetwalk ARGS` with these bytes (any bytes, UTF-8 or not) on standard input.
pub fn run_bytes<S: AsRef<OsStr>>(args: &[S], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_packetwalk"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    // The program may exit (on a bad argument) before it reads stdin.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    child.wait_with_output().expect("exits")
}

/// Asserts exit 0, showing standard error if not.
pub fn assert_success(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
