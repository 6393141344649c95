//! After-action reports of an exercise: data in, documents out.
//!
//! The caller (the app, which knows the store, the scenario and the score) fills an
//! [`ExerciseReport`]; this crate writes it down as
//! - one self-contained, printable HTML document for the white cell or for one team ([`html`]),
//! - JSON, with the JSON Schema that describes it ([`json`], `docs/report.schema.json`),
//! - an ATT&CK Navigator layer of a team's detection coverage ([`navigator`]),
//! - a STIX 2.1 bundle of the indicators a team reported ([`stix`]),
//! - PDF, the same documents as the HTML on A4, made in process by Typst used as a library,
//!   with its fonts (Japanese included) compiled in; other documents can be printed through
//!   the same layer ([`pdf::Document`], [`pdf::render`]).
//!
//! Architecture invariant: this crate depends on no other atoll crate and reads no clock, no
//! randomness, no file and no network (Typst included: its world is in memory). The same
//! report gives the same bytes, so documents can be compared and archived.

pub mod documents;
pub mod feedback;
pub mod html;
pub mod json;
pub mod model;
pub mod navigator;
pub mod pdf;
pub mod plan;
pub mod stix;

pub use model::*;

/// A length of exercise time as people say it: "40 s", "45 min", "2 h 5 min", "1 d 3 h".
///
/// Two units at most, the smaller one left out when it is zero; what is below the last unit shown
/// is dropped, not rounded (65 min 59 s is "1 h 5 min").
pub fn span(ms: u64) -> String {
    const MINUTE: u64 = 60_000;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    let pair = |big: u64, big_unit: &str, small: u64, small_unit: &str| {
        if small == 0 {
            format!("{big} {big_unit}")
        } else {
            format!("{big} {big_unit} {small} {small_unit}")
        }
    };
    if ms < MINUTE {
        format!("{} s", ms / 1000)
    } else if ms < HOUR {
        format!("{} min", ms / MINUTE)
    } else if ms < DAY {
        pair(ms / HOUR, "h", ms % HOUR / MINUTE, "min")
    } else {
        pair(ms / DAY, "d", ms % DAY / HOUR, "h")
    }
}

/// An ATT&CK tactic as the scenario writes it ("initial_access", "command-and-control") in words
/// ("Initial access", "Command and control").
pub fn tactic_words(tactic: &str) -> String {
    let spaced = tactic.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// ATT&CK's Enterprise tactics in the order of its matrix, as the scenario writes them. Tables of
/// tactics follow this order; tactics not in it come after, in the order of their names.
pub(crate) const TACTIC_ORDER: [&str; 14] = [
    "reconnaissance",
    "resource_development",
    "initial_access",
    "execution",
    "persistence",
    "privilege_escalation",
    "defense_evasion",
    "credential_access",
    "discovery",
    "lateral_movement",
    "collection",
    "command_and_control",
    "exfiltration",
    "impact",
];

/// A sort key that puts tactics in matrix order (see [`TACTIC_ORDER`]).
pub(crate) fn tactic_rank(tactic: &str) -> (usize, String) {
    let snake = tactic.replace('-', "_").to_ascii_lowercase();
    let rank = TACTIC_ORDER
        .iter()
        .position(|t| *t == snake)
        .unwrap_or(TACTIC_ORDER.len());
    (rank, snake)
}
