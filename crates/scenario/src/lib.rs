//! The atoll scenario format: what an instructor writes to describe an exercise.
//!
//! Loading goes bytes → [`yaml::Node`] tree with positions → [`model::Scenario`] (strict
//! decoding: unknown keys, wrong types and missing fields are all reported) → semantic checks
//! ([`validate`]). Every problem is a [`Diagnostic`] with a line, a column and a hint; a file
//! with problems never yields a scenario.
//!
//! This crate does no I/O beyond reading the scenario file (and checking that attachment files
//! exist) and knows nothing of exercises, HTTP or databases.

pub mod decode;
pub mod diag;
pub mod model;
pub mod time;
pub mod timing;
pub mod validate;
pub mod yaml;

use std::path::Path;

pub use diag::{Diagnostic, Span};
pub use model::Scenario;

use decode::{Cx, Decode};

/// At most this many problems are reported for one file; the rest are counted. A file with
/// more has a deeper problem than any one message can say, and the cap bounds the work.
pub const MAX_REPORTED: usize = 200;

/// A scenario file that could not be loaded: its text (when it could be read as text, for
/// showing source lines) and every problem found, in file order.
#[derive(Debug)]
pub struct Failed {
    pub source: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Failed {
    /// All diagnostics rendered for a terminal, `FILE:LINE:COL: error: …` first on each.
    pub fn render(&self, file: &str) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.render(file, self.source.as_deref()))
            .collect()
    }
}

/// Reads, parses and checks a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, Failed> {
    load_file_and_text(path).map(|(scenario, _)| scenario)
}

/// Reads, parses and checks a scenario file, and returns the text it checked (to store it
/// without reading the file a second time).
pub fn load_file_and_text(path: &Path) -> Result<(Scenario, String), Failed> {
    let (text, node) = yaml::read_file(path).map_err(|(source, diagnostics)| Failed { source, diagnostics })?;
    match load_tree(&node, path.parent()) {
        Ok(scenario) => Ok((scenario, text)),
        Err(diagnostics) => Err(Failed {
            source: Some(text),
            diagnostics,
        }),
    }
}

/// Parses and checks scenario text. `base_dir` is where attachment files are looked up; with
/// `None` their existence is not checked.
pub fn load_str(text: &str, base_dir: Option<&Path>) -> Result<Scenario, Vec<Diagnostic>> {
    let node = yaml::parse(text).map_err(|d| vec![d])?;
    load_tree(&node, base_dir)
}

fn load_tree(node: &yaml::Node, base_dir: Option<&Path>) -> Result<Scenario, Vec<Diagnostic>> {
    if node.kind == yaml::Kind::Null {
        return Err(vec![
            Diagnostic::new(node.span, "the file has no content, only comments or blank lines")
                .hint("a scenario starts with `format: atoll/v1`; see docs/scenario-format.md"),
        ]);
    }
    let mut cx = Cx::default();
    let scenario = Scenario::decode(node, &mut cx);
    let mut diags = std::mem::take(&mut cx.diags);
    match &scenario {
        Some(s) => diags.extend(validate::check(s, &cx, base_dir)),
        // The model could not be built, but ids and references can still be checked.
        None => diags.extend(validate::check_references(&cx)),
    }
    match scenario {
        Some(s) if diags.is_empty() => Ok(s),
        _ => {
            diags.sort_by_key(|d| d.span);
            diags.dedup();
            if diags.len() > MAX_REPORTED {
                let more = diags.len() - MAX_REPORTED;
                let last = diags[MAX_REPORTED - 1].span;
                diags.truncate(MAX_REPORTED);
                diags.push(
                    Diagnostic::new(last, format!("… and {more} more problems after this one"))
                        .hint("fix the problems above first; many of the rest may be consequences of them"),
                );
            }
            Err(diags)
        }
    }
}

/// The JSON Schema (draft-07) of the scenario format, for editors.
pub fn json_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<Scenario>();
    schema.insert("$id".into(), "https://atoll.invalid/schema/scenario-v1.json".into());
    schema.insert("title".into(), "atoll scenario (format atoll/v1)".into());
    schema.to_value()
}

/// A few lines saying what a valid scenario holds.
pub fn summary(s: &Scenario) -> String {
    let lang = s.languages.first().map_or("en", |l| l.value.0.as_str());
    let languages: Vec<&str> = s.languages.iter().map(|l| l.value.0.as_str()).collect();
    let playing = s.player_teams().count();
    let w = &s.world;
    let steps: usize = s.campaigns.iter().map(|c| c.steps.len()).sum();
    let techniques: std::collections::BTreeSet<&str> = s
        .campaigns
        .iter()
        .flat_map(|c| &c.steps)
        .map(|st| st.technique.as_str())
        .collect();
    format!(
        "\"{}\" version {}, {} of play from {} ({}), languages {}\n\
         teams: {} ({playing} playing, {} observing), {}, {}\n\
         world: {}, {}, {}, {}, {}, {}; {}\n\
         adversary: {}, {}, {}\n\
         play: {}, {}, {}, {} ({} points), {}\n",
        s.title.get(lang),
        s.version,
        s.duration.value,
        s.start.value,
        s.time_zone.0,
        languages.join(", "),
        s.teams.len(),
        s.teams.len() - playing,
        count(s.tracks.len(), "track"),
        count(s.objectives.len(), "objective"),
        count(w.organisations.len(), "organisation"),
        count(w.networks.len(), "network"),
        count(w.hosts.len(), "host"),
        count(w.accounts.len(), "account"),
        count(w.services.len(), "service"),
        count(w.links.len(), "link"),
        count(s.profiles.len(), "activity profile"),
        count(s.campaigns.len(), "campaign"),
        count(steps, "step"),
        count(techniques.len(), "ATT&CK technique"),
        count(s.injects.len(), "inject"),
        count(s.questions.len(), "question"),
        count(s.decisions.len(), "decision"),
        count(s.expectations.len(), "expectation"),
        s.expectations.iter().map(|e| u64::from(e.points)).sum::<u64>(),
        count(s.hints.len(), "hint"),
    )
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
