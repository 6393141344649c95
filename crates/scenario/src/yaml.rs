//! Reading a scenario file into a YAML tree whose every node knows its line and column.
//!
//! The tree and the parser's budgets come from `atoll-yaml`; this module sets the limits a
//! scenario lives within and what an author is told when a file is empty or too large.

use crate::diag::{Diagnostic, Span};

pub use atoll_yaml::{Kind, Node};

/// Largest scenario file accepted. A large regional scenario is a few hundred kilobytes.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Deepest nesting of lists and mappings. A scenario needs about ten levels; the limit also
/// bounds the parser's recursion, so that parsing fits in a 2 MiB thread stack.
pub const MAX_DEPTH: usize = 32;
/// Most YAML nodes (scalars, lists, mappings) a scenario may hold, aliases expanded.
pub const MAX_NODES: usize = 400_000;

const LIMITS: atoll_yaml::Limits = atoll_yaml::Limits {
    noun: "scenario",
    max_file_bytes: MAX_FILE_BYTES,
    max_documents: 1,
    max_nodes: MAX_NODES,
    max_depth: MAX_DEPTH,
    too_large_hint: "a scenario is hand-written YAML; keep recorded data and attachments in separate files",
};

/// Reads and parses a scenario file. Problems come back as diagnostics; `Err` holds at least one.
pub fn read_file(path: &std::path::Path) -> Result<(String, Node), (Option<String>, Vec<Diagnostic>)> {
    let (text, docs) = atoll_yaml::read_file(path, &LIMITS)?;
    match one_document(&text, docs) {
        Ok(node) => Ok((text, node)),
        Err(d) => Err((Some(text), vec![d])),
    }
}

/// Checks that the bytes are UTF-8 text (not a binary file) and returns the text without a BOM.
pub fn decode_text(bytes: &[u8]) -> Result<String, Diagnostic> {
    atoll_yaml::decode_text(bytes, LIMITS.noun)
}

/// Parses scenario text into a tree. The first syntax problem stops parsing.
pub fn parse(text: &str) -> Result<Node, Diagnostic> {
    let docs = atoll_yaml::parse(text, &LIMITS)?;
    one_document(text, docs)
}

fn one_document(text: &str, docs: Vec<Node>) -> Result<Node, Diagnostic> {
    if text.trim().is_empty() {
        return Err(Diagnostic::new(Span::new(1, 1), "the file is empty")
            .hint("a scenario starts with `format: atoll/v1`; see docs/scenario-format.md"));
    }
    // Only comments: an empty document, which the decoder reports where the text ends.
    let end = Span::new(text.matches('\n').count() as u32 + 1, 1);
    Ok(docs.into_iter().next().unwrap_or(Node {
        kind: Kind::Null,
        span: end,
    }))
}
