//! The indicators a team reported as a STIX 2.1 bundle, beside the adversary infrastructure they
//! point at, for the team to load into its threat-intelligence platform after the exercise.
//!
//! The bundle holds an `identity` for the team (and one for the white cell when infrastructure is
//! given); per team report a `report` object, an `indicator` per indicator that reads as an
//! address, domain, URL or file hash, and a `note` listing what did not; an `infrastructure`
//! (`command-and-control`) per adversary address with the observable it consists of; the
//! `relationship` objects between them (an indicator `indicates` the infrastructure whose address
//! it names); and the TLP marking definitions the reports use.
//!
//! Determinism, not the wall clock:
//! - Ids are RFC 4122 version 5 UUIDs. Observables use the namespace STIX 2.1 gives them, over
//!   their `value` as JSON (`{"value":"203.0.113.45"}`), so other tools derive the same ids;
//!   every other object uses atoll's own namespace over what identifies it (exercise, team,
//!   report time and title, pattern).
//! - `created`, `modified` and `valid_from` are exercise times made absolute by taking the start
//!   of play as midnight UTC of the first day of play: a report sent 70 minutes into play is
//!   stamped `<first day>T01:10:00.000Z`, whatever the exercise's time zone and hours. Exercise
//!   time does not count pauses (nights between days of play), so the stamps keep the order and
//!   the spacing of play, not the wall-clock time. What dates from the start of play (identities,
//!   infrastructure) is stamped with that midnight.
//! - Objects' keys are sorted (see `json::sorted`), so the same report gives the same bytes.
//!
//! TLP: STIX 2.1 defines marking objects for TLP 1.0 only, so TLP 2.0 labels map onto them:
//! CLEAR to WHITE, AMBER+STRICT to AMBER (its restriction to the organisation is lost). A label
//! that is not TLP at all is marked RED, the most restrictive.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use crate::model::{Day, ExerciseReport, days_in_month};

/// A piece of adversary infrastructure, from the scenario's ground truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Infrastructure {
    /// What kind of address `value` is.
    pub kind: Address,
    /// The address, e.g. "203.0.113.45" or "evil.example".
    pub value: String,
    /// What the scenario calls it, e.g. "Staging server".
    pub name: String,
}

/// The kind of an infrastructure address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address {
    /// An IPv4 address or network.
    Ipv4,
    /// An IPv6 address or network.
    Ipv6,
    /// A domain name.
    Domain,
    /// A URL.
    Url,
}

impl Address {
    fn sco_type(self) -> &'static str {
        match self {
            Address::Ipv4 => "ipv4-addr",
            Address::Ipv6 => "ipv6-addr",
            Address::Domain => "domain-name",
            Address::Url => "url",
        }
    }
}

/// An indicator as written in a report, read as something a STIX pattern can name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observable {
    /// An IPv4 address or network (CIDR), e.g. "203.0.113.45".
    Ipv4(String),
    /// An IPv6 address or network (CIDR), in its canonical form.
    Ipv6(String),
    /// A domain name, lower case.
    Domain(String),
    /// A URL (http, https or ftp).
    Url(String),
    /// A SHA-256 file hash, lower case.
    Sha256(String),
    /// A SHA-1 file hash, lower case.
    Sha1(String),
    /// An MD5 file hash, lower case.
    Md5(String),
}

impl Observable {
    /// Reads an indicator as teams write them, defanged forms included (`hxxp://`, `evil[.]example`);
    /// `None` if it is none of the kinds above.
    pub fn classify(text: &str) -> Option<Observable> {
        let text = refang(text.trim());
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return None;
        }
        if let Some(network) = network::<Ipv4Addr>(&text, 32) {
            return Some(Observable::Ipv4(network));
        }
        if let Some(network) = network::<Ipv6Addr>(&text, 128) {
            return Some(Observable::Ipv6(network));
        }
        if is_url(&text) {
            return Some(Observable::Url(text));
        }
        if text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let hash = text.to_ascii_lowercase();
            return match hash.len() {
                64 => Some(Observable::Sha256(hash)),
                40 => Some(Observable::Sha1(hash)),
                32 => Some(Observable::Md5(hash)),
                _ => None,
            };
        }
        let domain = text.strip_suffix('.').unwrap_or(&text).to_ascii_lowercase();
        is_domain(&domain).then_some(Observable::Domain(domain))
    }

    /// The STIX pattern that matches it, e.g. `[ipv4-addr:value = '203.0.113.45']`.
    pub fn pattern(&self) -> String {
        let (path, value) = match self {
            Observable::Ipv4(v) => ("ipv4-addr:value", v),
            Observable::Ipv6(v) => ("ipv6-addr:value", v),
            Observable::Domain(v) => ("domain-name:value", v),
            Observable::Url(v) => ("url:value", v),
            Observable::Sha256(v) => ("file:hashes.'SHA-256'", v),
            Observable::Sha1(v) => ("file:hashes.'SHA-1'", v),
            Observable::Md5(v) => ("file:hashes.'MD5'", v),
        };
        format!("[{path} = '{}']", value.replace('\\', "\\\\").replace('\'', "\\'"))
    }

    /// The cyber-observable type and value it names, if it names one by value (hashes do not).
    fn address(&self) -> Option<(&'static str, &str)> {
        match self {
            Observable::Ipv4(v) => Some(("ipv4-addr", v)),
            Observable::Ipv6(v) => Some(("ipv6-addr", v)),
            Observable::Domain(v) => Some(("domain-name", v)),
            Observable::Url(v) => Some(("url", v)),
            Observable::Sha256(_) | Observable::Sha1(_) | Observable::Md5(_) => None,
        }
    }
}

/// Undoes the usual defanging: `hxxp://` and `[.]`, `(.)`, `[:]`.
fn refang(text: &str) -> String {
    let text = text.replace("[.]", ".").replace("(.)", ".").replace("[:]", ":");
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("hxxp") {
        format!("http{}", &text[4..])
    } else {
        text
    }
}

/// An address, or an address and prefix length, in canonical form.
fn network<A: std::str::FromStr + std::fmt::Display>(text: &str, bits: u8) -> Option<String> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let address: A = address.parse().ok()?;
    match prefix {
        None => Some(address.to_string()),
        Some(prefix) => {
            let prefix: u8 = prefix.parse().ok().filter(|p| *p <= bits && !prefix.starts_with('+'))?;
            Some(format!("{address}/{prefix}"))
        }
    }
}

fn is_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["http://", "https://", "ftp://"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme))
        .is_some_and(|rest| rest.split(['/', '?', '#']).next().is_some_and(|host| !host.is_empty()))
}

/// Endings that make a name a file's rather than a domain's (none of them is a top-level domain).
const FILE_ENDINGS: [&str; 22] = [
    "bat", "bin", "cmd", "dat", "dll", "doc", "docm", "docx", "exe", "hta", "iso", "js", "lnk", "log", "pdf", "ps1",
    "sys", "tmp", "txt", "vbs", "xls", "xlsx",
];

/// A DNS name of two labels or more whose last label is neither all digits nor a file ending.
fn is_domain(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    text.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()) && !FILE_ENDINGS.contains(tld))
}

/// A TLP 1.0 marking as STIX 2.1 defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tlp {
    White,
    Green,
    Amber,
    Red,
}

impl Tlp {
    fn parse(label: &str) -> Tlp {
        let upper = label.trim().to_ascii_uppercase();
        let level = upper
            .strip_prefix("TLP:")
            .or_else(|| upper.strip_prefix("TLP "))
            .unwrap_or(&upper);
        match level.trim() {
            "CLEAR" | "WHITE" => Tlp::White,
            "GREEN" => Tlp::Green,
            "AMBER" | "AMBER+STRICT" => Tlp::Amber,
            _ => Tlp::Red,
        }
    }

    /// The marking definition's id, fixed by the STIX 2.1 specification.
    fn id(self) -> &'static str {
        match self {
            Tlp::White => "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
            Tlp::Green => "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
            Tlp::Amber => "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
            Tlp::Red => "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        }
    }

    fn word(self) -> &'static str {
        match self {
            Tlp::White => "white",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::Red => "red",
        }
    }

    /// The marking definition object, as the specification gives it.
    fn definition(self) -> Value {
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.id(),
            "created": "2017-01-20T00:00:00.000Z",
            "definition_type": "tlp",
            "name": format!("TLP:{}", self.word().to_ascii_uppercase()),
            "definition": { "tlp": self.word() }
        })
    }
}

/// The namespace STIX 2.1 gives the ids of cyber-observable objects.
const SCO_NAMESPACE: [u8; 16] = uuid_bytes("00abedb4-aa42-466c-9c01-fed23315a9b7");
/// atoll's namespace for the ids of everything else: the version 5 UUID of the name
/// "report.atoll.invalid" in the DNS namespace.
const ATOLL_NAMESPACE: [u8; 16] = uuid_bytes("3f8aa291-627f-5ffd-a2da-7de8266cd98d");

/// A UUID's text as its 16 bytes; only for the constants above (a bad one fails the build).
const fn uuid_bytes(text: &str) -> [u8; 16] {
    const fn digit(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lower-case hex digit"),
        }
    }
    let text = text.as_bytes();
    let mut bytes = [0u8; 16];
    let (mut i, mut j) = (0, 0);
    while i < text.len() {
        if text[i] == b'-' {
            i += 1;
            continue;
        }
        bytes[j] = (digit(text[i]) << 4) | digit(text[i + 1]);
        i += 2;
        j += 1;
    }
    assert!(j == 16, "a UUID has 16 bytes");
    bytes
}

/// The version 5 UUID of `name` in `namespace` (RFC 4122 §4.3), as text.
fn uuid_v5(namespace: [u8; 16], name: &[u8]) -> String {
    let digest = Sha1::new().chain_update(namespace).chain_update(name).finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The id of a cyber-observable object named by its value, as STIX 2.1 derives it.
pub fn observable_id(sco_type: &str, value: &str) -> String {
    let contributing = json!({ "value": value }).to_string();
    format!("{sco_type}--{}", uuid_v5(SCO_NAMESPACE, contributing.as_bytes()))
}

/// The id of any other object, from the parts that identify it.
fn object_id(object_type: &str, parts: &[&str]) -> String {
    // The unit separator cannot occur in the parts' text as written, so parts cannot run together.
    let name = parts.join("\u{1f}");
    format!(
        "{object_type}--{}",
        uuid_v5(ATOLL_NAMESPACE, format!("{object_type}\u{1f}{name}").as_bytes())
    )
}

/// A STIX timestamp for an exercise time, the first day of play starting at midnight UTC. Times
/// past the end of year 9999 are stamped with its last millisecond.
pub fn timestamp(first_day: Day, ms: u64) -> String {
    const DAY_MS: u64 = 86_400_000;
    let start = days_from_civil(i64::from(first_day.year()), first_day.month(), first_day.day());
    let last = days_from_civil(9999, 12, 31);
    let days = start.saturating_add(i64::try_from(ms / DAY_MS).unwrap_or(i64::MAX));
    let (days, within) = if days > last {
        (last, DAY_MS - 1)
    } else {
        (days, ms % DAY_MS)
    };
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        within / 3_600_000,
        within / 60_000 % 60,
        within / 1000 % 60,
        within % 1000
    )
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    // Count whole 400-year cycles, then days within the cycle from 1 March (so that the leap day
    // falls at the end of a year).
    let year = if month <= 2 { year - 1 } else { year };
    let cycle = year.div_euclid(400);
    let year_of_cycle = year - cycle * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_cycle = year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
    cycle * 146_097 + day_of_cycle - 719_468
}

/// The date `days` after 1970-01-01, for dates of the years 1 to 9999.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    // Walk from 0001-01-01 (day -719162) by years, then months: plain, and the range is small.
    let mut rest = days - days_from_civil(1, 1, 1);
    let mut year = 1u16;
    loop {
        let length = if days_in_month(year, 2) == 29 { 366 } else { 365 };
        if rest < length {
            break;
        }
        rest -= length;
        year += 1;
    }
    let mut month = 1u8;
    while rest >= i64::from(days_in_month(year, month)) {
        rest -= i64::from(days_in_month(year, month));
        month += 1;
    }
    (
        i64::from(year),
        month,
        u8::try_from(rest + 1).expect("a day of the month"),
    )
}

/// The bundle of one team's reported indicators; `None` if no team has this id.
pub fn bundle(report: &ExerciseReport, team_id: &str, infrastructure: &[Infrastructure]) -> Option<Value> {
    let team = report.team(team_id)?;
    let exercise = report.exercise.as_str();
    let start = timestamp(report.date, 0);
    let mut objects = Vec::new();
    let mut markings = Vec::new();

    let team_ref = object_id("identity", &[exercise, "team", &team.id]);
    objects.push(json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": team_ref,
        "created": start,
        "modified": start,
        "name": team.name,
        "description": format!("Team {} defending {} in exercise {}.", team.name, team.nation, exercise),
        "identity_class": "group"
    }));

    // Adversary infrastructure, as the white cell knows it.
    let white_cell_ref = object_id("identity", &[exercise, "white cell"]);
    let mut known: Vec<(&'static str, String, String)> = Vec::new();
    if !infrastructure.is_empty() {
        objects.push(json!({
            "type": "identity",
            "spec_version": "2.1",
            "id": white_cell_ref,
            "created": start,
            "modified": start,
            "name": format!("White cell of {exercise}"),
            "description": "The instructors who ran the exercise; the infrastructure is the scenario's.",
            "identity_class": "group"
        }));
    }
    for item in infrastructure {
        let sco_type = item.kind.sco_type();
        let value = normal(item.kind, &item.value);
        let infrastructure_ref = object_id("infrastructure", &[exercise, sco_type, &value]);
        let sco_ref = observable_id(sco_type, &value);
        objects.push(json!({
            "type": "infrastructure",
            "spec_version": "2.1",
            "id": infrastructure_ref,
            "created_by_ref": white_cell_ref,
            "created": start,
            "modified": start,
            "name": item.name,
            "infrastructure_types": ["command-and-control"]
        }));
        objects.push(json!({ "type": sco_type, "spec_version": "2.1", "id": sco_ref, "value": value }));
        objects.push(relationship(
            &white_cell_ref,
            &start,
            &infrastructure_ref,
            "consists-of",
            &sco_ref,
            None,
        ));
        known.push((sco_type, value, infrastructure_ref));
    }

    for sent in &team.reports {
        let tlp = Tlp::parse(&sent.tlp);
        if !markings.contains(&tlp) {
            markings.push(tlp);
        }
        let at = timestamp(report.date, sent.at.ms);
        let ms = sent.at.ms.to_string();
        let report_ref = object_id("report", &[exercise, &team.id, &ms, &sent.title]);
        let mut refs: Vec<String> = Vec::new();
        let mut unread: Vec<&str> = Vec::new();
        let mut later = Vec::new();
        for text in &sent.indicators {
            let Some(observable) = Observable::classify(text) else {
                unread.push(text);
                continue;
            };
            let pattern = observable.pattern();
            let indicator_ref = object_id("indicator", &[exercise, &team.id, &ms, &sent.title, &pattern]);
            if refs.contains(&indicator_ref) {
                continue;
            }
            objects.push(json!({
                "type": "indicator",
                "spec_version": "2.1",
                "id": indicator_ref,
                "created_by_ref": team_ref,
                "created": at,
                "modified": at,
                "name": text.trim(),
                "description": format!("Reported by team {} in \"{}\", sent to {}.", team.name, sent.title, sent.to),
                "indicator_types": ["malicious-activity"],
                "pattern": pattern,
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": at,
                "object_marking_refs": [tlp.id()]
            }));
            if let Some((sco_type, value)) = observable.address() {
                for (_, _, infrastructure_ref) in known.iter().filter(|(t, v, _)| *t == sco_type && v == value) {
                    later.push(relationship(
                        &white_cell_ref,
                        &at,
                        &indicator_ref,
                        "indicates",
                        infrastructure_ref,
                        Some(tlp),
                    ));
                }
            }
            refs.push(indicator_ref);
        }
        objects.push(json!({
            "type": "report",
            "spec_version": "2.1",
            "id": report_ref,
            "created_by_ref": team_ref,
            "created": at,
            "modified": at,
            "name": sent.title,
            "description": format!("Sent by {} to {} ({}).", sent.by, sent.to, sent.tlp),
            "report_types": ["threat-report"],
            "published": at,
            // A report must refer to something; one without indicators refers to its author.
            "object_refs": if refs.is_empty() { vec![team_ref.clone()] } else { refs },
            "object_marking_refs": [tlp.id()]
        }));
        objects.append(&mut later);
        if !unread.is_empty() {
            objects.push(json!({
                "type": "note",
                "spec_version": "2.1",
                "id": object_id("note", &[exercise, &team.id, &ms, &sent.title]),
                "created_by_ref": team_ref,
                "created": at,
                "modified": at,
                "abstract": "Indicators not read as observables",
                "content": format!(
                    "The report listed indicators that read as no address, domain, URL or file hash: {}",
                    unread.join(", ")
                ),
                "authors": [sent.by],
                "object_refs": [report_ref],
                "object_marking_refs": [tlp.id()]
            }));
        }
    }

    markings.sort();
    objects.extend(markings.iter().map(|tlp| tlp.definition()));
    let as_of = report.as_of.ms.to_string();
    Some(crate::json::sorted(json!({
        "type": "bundle",
        "id": object_id("bundle", &[exercise, &team.id, &as_of]),
        "objects": objects
    })))
}

/// An infrastructure address in the form an indicator of it would take.
fn normal(kind: Address, value: &str) -> String {
    let value = value.trim();
    match (kind, Observable::classify(value)) {
        (Address::Ipv4, Some(Observable::Ipv4(v)))
        | (Address::Ipv6, Some(Observable::Ipv6(v)))
        | (Address::Domain, Some(Observable::Domain(v)))
        | (Address::Url, Some(Observable::Url(v))) => v,
        _ => value.to_owned(),
    }
}

fn relationship(by: &str, at: &str, source: &str, kind: &str, target: &str, tlp: Option<Tlp>) -> Value {
    let mut object = json!({
        "type": "relationship",
        "spec_version": "2.1",
        "id": object_id("relationship", &[source, kind, target]),
        "created_by_ref": by,
        "created": at,
        "modified": at,
        "relationship_type": kind,
        "source_ref": source,
        "target_ref": target
    });
    if let Some(tlp) = tlp {
        object["object_marking_refs"] = json!([tlp.id()]);
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Python's `uuid` documentation: `uuid5(NAMESPACE_DNS, 'python.org')`.
    #[test]
    fn version_5_uuids_match_an_independent_implementation() {
        let dns = uuid_bytes("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
        assert_eq!(uuid_v5(dns, b"python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
        assert_eq!(
            uuid_v5(dns, b"report.atoll.invalid"),
            "3f8aa291-627f-5ffd-a2da-7de8266cd98d"
        );
    }

    #[test]
    fn civil_dates_convert_both_ways() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        for days in [-719_162, -1, 0, 11_016, 11_017, 19_782, 2_932_896] {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days, "{year}-{month}-{day}");
        }
        assert_eq!(civil_from_days(-719_162), (1, 1, 1));
        assert_eq!(civil_from_days(2_932_896), (9999, 12, 31));
    }

    #[test]
    fn tlp_labels_map_onto_the_stix_markings() {
        assert_eq!(Tlp::parse("TLP:CLEAR"), Tlp::White);
        assert_eq!(Tlp::parse("tlp:white"), Tlp::White);
        assert_eq!(Tlp::parse("TLP:GREEN"), Tlp::Green);
        assert_eq!(Tlp::parse("TLP:AMBER+STRICT"), Tlp::Amber);
        assert_eq!(Tlp::parse(" TLP AMBER "), Tlp::Amber);
        assert_eq!(Tlp::parse("TLP:RED"), Tlp::Red);
        assert_eq!(Tlp::parse("confidential"), Tlp::Red);
    }
}
