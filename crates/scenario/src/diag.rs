//! Diagnostics: a problem in a scenario file, with the place it was found and a hint.
//!
//! Every problem the loader finds becomes a [`Diagnostic`]; nothing in this crate panics or
//! stops at the first problem when it can go on and find more. The located diagnostic itself
//! is shared with every other YAML reader of atoll and lives in `atoll-yaml`.

pub use atoll_yaml::{Diagnostic, Span, did_you_mean};

/// Why a value written as text (a time, an address, a technique id, …) did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub hint: &'static str,
}
