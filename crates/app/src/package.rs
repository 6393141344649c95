//! The portable exercise package: one file that carries an exercise to another installation
//! (`atoll export`, `atoll import`), for the next year's programme or for an archive.
//!
//! The file is a header line, then JSON:
//!
//! ```text
//! atoll-package 1 sha256:<64 hex digits of the JSON's SHA-256>
//! { "contents": "exercise", "written_by": "atoll 0.1.0", "exercise": {…}, "accounts": […], "record": […] }
//! ```
//!
//! The JSON is [`atoll_store::Dump`]: the scenario's text, the exercise's settings and seed,
//! the accounts and, for a whole exercise, every row of its record of play. Reading checks, in
//! this order, that the file is a package, that its format version is one this build reads
//! ([`VERSION`] or older), that the checksum matches (a truncated or edited file does not), that
//! the JSON is a package's (with its line and column if not), and that the scenario still
//! loads and names every team the record names. A package that passes is imported whole, or
//! not at all (`Store::restore`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use atoll_scenario::Scenario;
use atoll_store::Dump;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The format version this build writes. Every older one is read too.
pub const VERSION: u32 = 1;

/// What a package file begins with.
const MAGIC: &str = "atoll-package";

/// What a package holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contents {
    /// The scenario and the exercise's settings, to play it again from the start.
    Scenario,
    /// All of that and the whole record of play.
    Exercise,
}

/// A package as read or to be written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    pub contents: Contents,
    /// The atoll that wrote it, for people reading the file.
    pub written_by: String,
    #[serde(flatten)]
    pub dump: Dump,
}

/// The file's bytes: the header line, then the JSON.
pub fn encode(package: &Package) -> Vec<u8> {
    let mut body = serde_json::to_vec_pretty(package).expect("a package serialises");
    body.push(b'\n');
    let mut file = format!("{MAGIC} {VERSION} sha256:{}\n", hex(&Sha256::digest(&body))).into_bytes();
    file.extend_from_slice(&body);
    file
}

/// The package in `bytes`, read from the file `name` (which messages begin with), or what is
/// wrong with it.
pub fn decode(name: &str, bytes: &[u8]) -> Result<Package, String> {
    let Some(end) = bytes.iter().position(|&b| b == b'\n') else {
        return Err(not_a_package(name));
    };
    let header = std::str::from_utf8(&bytes[..end]).map_err(|_| not_a_package(name))?;
    let body = &bytes[end + 1..];
    let mut words = header.split(' ');
    if words.next() != Some(MAGIC) {
        return Err(not_a_package(name));
    }
    let version: u32 = words.next().and_then(|v| v.parse().ok()).ok_or_else(|| {
        format!(
            "{name}:1:{}: the format version is missing or not a number",
            MAGIC.len() + 2
        )
    })?;
    if version > VERSION {
        return Err(format!(
            "{name}:1: the package is in format version {version}, newer than this atoll reads (up to {VERSION}): \
             import it with a newer atoll"
        ));
    }
    if version == 0 {
        return Err(format!("{name}:1: there is no format version 0"));
    }
    let Some(sum) = words.next().and_then(|w| w.strip_prefix("sha256:")) else {
        return Err(format!("{name}:1: the checksum (`sha256:…`) is missing"));
    };
    if hex(&Sha256::digest(body)) != sum.to_ascii_lowercase() {
        return Err(format!(
            "{name}: the package is damaged or was changed after it was written: its {} bytes of contents do not \
             match the checksum on line 1 (a truncated copy, or an edit, does this); export it again",
            body.len()
        ));
    }
    // Version 1 is the only one so far; an older version would be read into this one here.
    serde_json::from_slice(body).map_err(|e| format!("{name}:{}:{}: {e}", e.line() + 1, e.column()))
}

fn not_a_package(name: &str) -> String {
    format!("{name}: not an atoll exercise package (it does not begin with `{MAGIC}`); `atoll export` writes them")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The package's scenario, loaded and checked as `atoll validate` would, and checked against
/// the record: every team the record names must be one of the scenario's. `name` is the
/// package file's, for messages.
pub fn scenario(name: &str, package: &Package) -> Result<Scenario, String> {
    let exercise = &package.dump.exercise;
    let Some(text) = &exercise.scenario_text else {
        return Err(format!("{name}: the package holds no scenario text"));
    };
    // Lines and columns are the scenario text's, which the package holds as one string.
    let place = format!("{name} (scenario)");
    let scenario = atoll_scenario::load_str(text, None).map_err(|problems| {
        let each: Vec<String> = problems.iter().map(|d| d.render(&place, Some(text))).collect();
        format!(
            "{name}: the scenario in the package no longer loads ({} problems):\n{}",
            problems.len(),
            each.join("")
        )
    })?;
    let teams: BTreeSet<&str> = scenario.teams.iter().map(|t| t.id.name.as_str()).collect();
    for rows in &package.dump.record {
        let Some(column) = rows.columns.iter().position(|c| c == "team") else {
            continue;
        };
        for (n, row) in rows.rows.iter().enumerate() {
            if let Some(team) = row.get(column).and_then(|v| v.as_str())
                && !teams.contains(team)
            {
                return Err(format!(
                    "{name}: table `{}`, row {}: team `{team}` is not a team of the package's scenario",
                    rows.table,
                    n + 1
                ));
            }
        }
    }
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;
    use atoll_store::{Account, ExerciseRow, Rows};

    fn sample() -> Package {
        Package {
            contents: Contents::Exercise,
            written_by: "atoll test".to_owned(),
            dump: Dump {
                exercise: ExerciseRow {
                    name: "Exercise".to_owned(),
                    scenario_path: "bundled:x".to_owned(),
                    scenario_text: Some("format: atoll/v1\n".to_owned()),
                    seed: 7,
                    date: "2026-06-01".to_owned(),
                    clock: "{}".to_owned(),
                    created_at: 1,
                    scoreboard: false,
                    report_released: true,
                },
                accounts: vec![Account {
                    id: 1,
                    username: "ana".to_owned(),
                    role: "instructor".to_owned(),
                    team: None,
                    follows: Vec::new(),
                    password_hash: None,
                }],
                record: vec![Rows {
                    table: "actions".to_owned(),
                    columns: vec!["id".to_owned(), "team".to_owned()],
                    rows: vec![vec![1.into(), "palau".into()]],
                }],
            },
        }
    }

    #[test]
    fn a_package_reads_back_as_written() {
        let package = sample();
        let bytes = encode(&package);
        assert!(bytes.starts_with(b"atoll-package 1 sha256:"));
        assert_eq!(decode("p.atoll", &bytes), Ok(package));
    }

    #[test]
    fn damage_newer_versions_and_other_files_are_refused_and_said_so() {
        let bytes = encode(&sample());
        // Truncated.
        let cut = decode("p.atoll", &bytes[..bytes.len() - 10]).unwrap_err();
        assert!(cut.starts_with("p.atoll: the package is damaged"), "{cut}");
        // One byte changed in the JSON, where the checksum does not look.
        let text = String::from_utf8(bytes.clone()).unwrap().replace("\"ana\"", "\"ann\"");
        let edited = decode("p.atoll", text.as_bytes()).unwrap_err();
        assert!(edited.contains("do not match the checksum"), "{edited}");
        // A newer format.
        let newer = String::from_utf8(bytes)
            .unwrap()
            .replacen("atoll-package 1 ", "atoll-package 2 ", 1);
        let newer = decode("p.atoll", newer.as_bytes()).unwrap_err();
        assert!(
            newer.contains("format version 2, newer than this atoll reads (up to 1)"),
            "{newer}"
        );
        // Not a package at all.
        let other = decode("notes.txt", b"hello\n").unwrap_err();
        assert!(other.starts_with("notes.txt: not an atoll exercise package"), "{other}");
        // Checksummed but not a package's JSON: the place is the file's line and column.
        let body = b"{\n  \"contents\": \"everything\"\n}\n";
        let mut file = format!("atoll-package 1 sha256:{}\n", hex(&Sha256::digest(body))).into_bytes();
        file.extend_from_slice(body);
        let wrong = decode("p.atoll", &file).unwrap_err();
        assert!(wrong.starts_with("p.atoll:3:"), "{wrong}");
        assert!(wrong.contains("everything"), "{wrong}");
    }

    #[test]
    fn a_scenario_that_no_longer_loads_or_lacks_a_team_of_the_record_is_refused_with_its_place() {
        let mut package = sample();
        package.dump.exercise.scenario_text = Some("format: atoll/v1\ntitle: [unclosed\n".to_owned());
        let refused = scenario("p.atoll", &package).unwrap_err();
        assert!(
            refused.starts_with("p.atoll: the scenario in the package no longer loads"),
            "{refused}"
        );
        assert!(refused.contains("p.atoll (scenario):2:"), "{refused}");
        // The bundled scenario loads, but has no team `atlantis`.
        package.dump.exercise.scenario_text =
            Some(include_str!("../../../scenarios/pacific-cable-shield.yaml").to_owned());
        assert!(scenario("p.atoll", &package).is_ok(), "palau is one of its teams");
        package.dump.record[0].rows[0][1] = "atlantis".into();
        assert_eq!(
            scenario("p.atoll", &package).unwrap_err(),
            "p.atoll: table `actions`, row 1: team `atlantis` is not a team of the package's scenario"
        );
    }
}
