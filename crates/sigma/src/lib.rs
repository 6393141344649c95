//! atoll's Sigma engine: rules in, matches out.
//!
//! - [`load`] reads rule files and folders into [`Rule`]s and [`Correlation`]s, reporting each
//!   rule that does not load with its file and line;
//! - [`RuleSet`] matches events ([`Event`], from JSON lines, nested EVTX-dump JSON or `.evtx`
//!   files via [`input`]) against the rules, routed by log source and prefiltered by literals;
//! - [`Stream`] adds correlation rules on top, with bounded state, for the live SIEM.
//!
//! Nothing here reads the clock or a random source: the same rules and events give the same
//! matches, in the same order.

pub mod condition;
pub mod correlation;
mod engine;
pub mod event;
mod flat;
pub mod input;
mod literals;
pub mod logsource;
mod matcher;
mod rule;

use std::path::{Path, PathBuf};

use atoll_yaml::{Kind, Limits, Node};

pub use correlation::{Correlation, CorrelationHit, Stream};
pub use engine::{ENVELOPE, MAX_KEYWORD_VALUES, MAX_VALUES_PER_FIELD, RuleSet, Scanner};
pub use event::{Event, Value};
pub use rule::{Config, Level, Logsource, Rule, RuleError};

/// Largest rule file read. SigmaHQ's largest rule is about 60 KiB.
pub const MAX_RULE_FILE_BYTES: u64 = 1024 * 1024;

const LIMITS: Limits = Limits {
    noun: "Sigma rule",
    max_file_bytes: MAX_RULE_FILE_BYTES,
    max_documents: 64,
    max_nodes: 100_000,
    max_depth: 32,
    too_large_hint: "a Sigma rule file holds one rule or a few related ones; split it",
};

/// A rule that did not load, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// What [`load`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub rules: Vec<Rule>,
    pub correlations: Vec<Correlation>,
    /// File of each rule, by index in `rules`.
    pub files: Vec<PathBuf>,
    pub errors: Vec<LoadError>,
}

/// Loads every `.yml` / `.yaml` file under the given files and folders, in path order.
/// Rules that do not load are in `errors`; the others load whatever their neighbours do.
pub fn load(paths: &[PathBuf], config: &Config) -> Loaded {
    let mut loaded = Loaded::default();
    let files = rule_files(paths, &mut loaded.errors);
    for file in files {
        load_file(&file, config, &mut loaded);
    }
    loaded
}

/// The files [`load`] reads: the files named, and every `.yml` / `.yaml` file under the
/// folders named, in path order; folders that cannot be read go to `errors`.
pub fn rule_files(paths: &[PathBuf], errors: &mut Vec<LoadError>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut files, errors);
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    files.dedup();
    files
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(LoadError {
                file: dir.to_owned(),
                line: 0,
                column: 0,
                message: format!("cannot read the folder: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            collect(&path, out, errors);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

fn load_file(file: &Path, config: &Config, loaded: &mut Loaded) {
    let error = |line: u32, column: u32, message: String| LoadError {
        file: file.to_owned(),
        line,
        column,
        message,
    };
    let docs = match atoll_yaml::read_file(file, &LIMITS) {
        Ok((_, docs)) => docs,
        Err((_, diags)) => {
            for d in diags {
                let message = match d.hint {
                    Some(h) => format!("{} ({h})", d.message),
                    None => d.message,
                };
                loaded.errors.push(error(d.span.line, d.span.col, message));
            }
            return;
        }
    };
    let before = loaded.rules.len();
    match load_documents(&docs, config) {
        Ok((rules, correlations)) => {
            loaded.rules.extend(rules);
            loaded.correlations.extend(correlations);
        }
        Err(errors) => {
            for e in errors {
                loaded.errors.push(error(e.span.line, e.span.col, e.message));
            }
        }
    }
    let added = loaded.rules.len() - before;
    loaded.files.extend(std::iter::repeat_n(file.to_owned(), added));
}

/// Compiles the documents of one file. `action: global` documents are merged into the
/// documents that follow them, as the Sigma specification describes.
pub fn load_documents(docs: &[Node], config: &Config) -> Result<(Vec<Rule>, Vec<Correlation>), Vec<RuleError>> {
    let mut rules = Vec::new();
    let mut correlations = Vec::new();
    let mut errors = Vec::new();
    let mut global: Option<&Node> = None;
    for doc in docs {
        if !matches!(doc.kind, Kind::Map(_)) {
            if doc.kind != Kind::Null {
                errors.push(RuleError::new(
                    doc.span,
                    "a Sigma rule is a mapping (`title: …`, `detection: …`)",
                ));
            }
            continue;
        }
        match rule::get(doc, "action").map(|n| &n.kind) {
            Some(Kind::Str(a)) if a == "global" => {
                global = Some(doc);
                continue;
            }
            Some(Kind::Str(a)) if a == "reset" => {
                global = None;
                continue;
            }
            _ => {}
        }
        let merged;
        let doc = match global {
            Some(g) => {
                merged = merge(g, doc);
                &merged
            }
            None => doc,
        };
        let result = if rule::get(doc, "correlation").is_some() {
            correlation::compile(doc).map(|c| correlations.push(c))
        } else {
            rule::compile(doc, config).map(|r| rules.push(r))
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok((rules, correlations))
    } else {
        Err(errors)
    }
}

/// `base` with `over` merged in: mappings merge key by key, anything else is replaced.
fn merge(base: &Node, over: &Node) -> Node {
    match (&base.kind, &over.kind) {
        (Kind::Map(b), Kind::Map(o)) => {
            let mut entries: Vec<(Node, Node)> = b
                .iter()
                .filter(|(k, _)| !matches!(&k.kind, Kind::Str(s) if s == "action"))
                .cloned()
                .collect();
            for (k, v) in o {
                match entries.iter_mut().find(|(ek, _)| ek.kind == k.kind) {
                    Some((_, ev)) => *ev = merge(ev, v),
                    None => entries.push((k.clone(), v.clone())),
                }
            }
            Node {
                kind: Kind::Map(entries),
                span: over.span,
            }
        }
        _ => over.clone(),
    }
}

/// Parses rule text (for tests, the fuzzer and rules typed into the web workspace).
pub fn load_str(text: &str, config: &Config) -> Result<(Vec<Rule>, Vec<Correlation>), Vec<RuleError>> {
    let docs = atoll_yaml::parse(text, &LIMITS).map_err(|d| vec![RuleError::new(d.span, d.message)])?;
    load_documents(&docs, config)
}
