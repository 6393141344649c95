//! The Sigma engine end to end, in one test binary: conformance with SigmaHQ's regression
//! data, differential testing against an independent engine, the JSON fast path, reading event
//! files within their bounds, and Sigma's semantics on hand-written rules.

mod conformance;
mod differential;
mod input;
mod json;
mod semantics;

use std::path::{Path, PathBuf};

/// `../shared` beside the clone (SigmaHQ's rules and regression data, the threat research).
fn shared() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(
        dir.join("sigma").is_dir(),
        "{} is missing: clone the project beside ../shared",
        dir.display()
    );
    dir
}

/// Every file under `dir`, at any depth, that `keep` keeps, sorted.
fn files_under(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if keep(&p) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}
