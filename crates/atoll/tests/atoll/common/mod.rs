//! What the tests that run the `atoll` binary share.

pub(crate) mod http;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root folder.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `atoll` binary, with none of the `ATOLL_*` settings of whoever runs the tests: they
/// would point it at their own database.
pub(crate) fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_atoll"));
    for name in ["ATOLL_DATABASE", "ATOLL_CONFIG", "ATOLL_BIND", "ATOLL_RULES"] {
        command.env_remove(name);
    }
    // The servers' request log would fill the tests' output: warnings and failures only.
    command.env("RUST_LOG", "warn");
    command
}

/// The password `atoll demo` made for `username`, from the accounts file in `data`.
pub(crate) fn demo_password(data: &Path, username: &str) -> String {
    let accounts: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo-accounts.json")).unwrap()).unwrap();
    accounts
        .iter()
        .find(|a| a["username"] == username)
        .and_then(|a| a["password"].as_str())
        .unwrap_or_else(|| panic!("no demo account {username}"))
        .to_owned()
}

/// A server started by a test, stopped when the test ends, however it ends (a failed
/// assertion must not leave it running, holding the test runner's output open).
pub(crate) struct Server(std::process::Child);

pub(crate) type Lines = std::io::Lines<std::io::BufReader<std::process::ChildStdout>>;

impl Server {
    /// Starts `atoll ARGS… --bind 127.0.0.1:0`; returns it with the first line it printed, the
    /// address in that line, and the rest of its output.
    pub(crate) fn start(args: &[&std::ffi::OsStr]) -> (Server, String, String, Lines) {
        use std::io::BufRead as _;
        let mut child = Server(
            command()
                .args(args)
                .args(["--bind", "127.0.0.1:0"])
                .current_dir(root())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let mut lines = std::io::BufReader::new(child.0.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let address = first.split("http://").nth(1).unwrap().trim_end_matches('/').to_owned();
        (child, first, address, lines)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
