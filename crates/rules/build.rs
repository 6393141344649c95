//! Writes the list of the default pack's rule files, each taken into the binary with
//! `include_str!`: SigmaHQ's (`sigmahq/`, with their licence) and atoll's own (`rules/`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("cannot read the rule folder {}", dir.display());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut code = String::from("/// Every rule file of the default pack: (path from the repository root, text).\n");
    code.push_str("pub(crate) static FILES: &[(&str, &str)] = &[\n");
    for top in ["sigmahq", "rules"] {
        let dir = root.join(top);
        println!("cargo::rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        walk(&dir, &mut files);
        files.sort();
        for file in files {
            let name = file
                .strip_prefix(&root)
                .unwrap_or(&file)
                .to_string_lossy()
                .replace('\\', "/");
            let absolute = file.canonicalize().unwrap_or(file);
            let _ = writeln!(
                code,
                "    ({name:?}, include_str!({:?})),",
                absolute.display().to_string()
            );
        }
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("pack.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
