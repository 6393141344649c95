//! The STIX 2.1 bundle of a team's indicators.

use std::collections::BTreeSet;

use atoll_report::stix::{self, Observable};
use atoll_report::{Day, ExerciseReport};
use serde_json::Value;

use crate::sample;

const AMBER: &str = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
const WHITE: &str = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";

fn palau_bundle() -> Value {
    stix::bundle(&sample::report(), "palau", &sample::infrastructure()).unwrap()
}

fn objects(bundle: &Value) -> &Vec<Value> {
    bundle["objects"].as_array().unwrap()
}

fn of_type<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    objects(bundle).iter().filter(|o| o["type"] == kind).collect()
}

fn indicator<'a>(bundle: &'a Value, name: &str) -> &'a Value {
    of_type(bundle, "indicator")
        .into_iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no indicator {name}"))
}

/// `type--xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx`, lower-case hex, y one of 8, 9, a, b.
fn assert_id(id: &str, kind: &str) {
    let (prefix, uuid) = id.split_once("--").unwrap_or_else(|| panic!("{id} has no --"));
    assert_eq!(prefix, kind, "{id}");
    let groups: Vec<&str> = uuid.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
    assert!(
        uuid.bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{id}"
    );
    assert!(
        groups[3].starts_with(['8', '9', 'a', 'b']),
        "{id}: not the RFC 4122 variant"
    );
}

#[test]
fn the_bundle_is_well_formed_stix_2_1() {
    let bundle = palau_bundle();
    assert_eq!(bundle["type"], "bundle");
    assert_id(bundle["id"].as_str().unwrap(), "bundle");
    let mut ids = BTreeSet::new();
    for object in objects(&bundle) {
        let kind = object["type"].as_str().unwrap();
        assert_eq!(object["spec_version"], "2.1", "{object}");
        let id = object["id"].as_str().unwrap();
        assert_id(id, kind);
        assert!(ids.insert(id.to_owned()), "{id} twice");
    }
    // Every reference resolves inside the bundle.
    for object in objects(&bundle) {
        for (key, value) in object.as_object().unwrap() {
            let refs: Vec<&str> = match value {
                Value::String(r) if key.ends_with("_ref") => vec![r],
                Value::Array(rs) if key.ends_with("_refs") => rs.iter().map(|r| r.as_str().unwrap()).collect(),
                _ => continue,
            };
            for r in refs {
                assert!(ids.contains(r), "{key} {r} of {} resolves to nothing", object["id"]);
            }
        }
    }
    let types: BTreeSet<&str> = objects(&bundle).iter().map(|o| o["type"].as_str().unwrap()).collect();
    let expected = [
        "domain-name",
        "identity",
        "indicator",
        "infrastructure",
        "ipv4-addr",
        "marking-definition",
        "note",
        "relationship",
        "report",
    ];
    assert_eq!(types, expected.into_iter().collect());
    assert!(stix::bundle(&sample::report(), "tuvalu", &[]).is_none());
}

#[test]
fn each_kind_of_indicator_gets_its_pattern() {
    let bundle = palau_bundle();
    let check = |name: &str, pattern: &str| {
        let found = indicator(&bundle, name);
        assert_eq!(found["pattern"], pattern, "{name}");
        assert_eq!(found["pattern_type"], "stix");
    };
    check("203.0.113.45", "[ipv4-addr:value = '203.0.113.45']");
    check("evil.example", "[domain-name:value = 'evil.example']");
    check(
        "http://evil.example/update.bin",
        "[url:value = 'http://evil.example/update.bin']",
    );
    check(
        sample::SHA256,
        &format!("[file:hashes.'SHA-256' = '{}']", sample::SHA256),
    );
    check(
        sample::MD5,
        &format!("[file:hashes.'MD5' = '{}']", sample::MD5.to_ascii_lowercase()),
    );
    check("2001:DB8::BAD:1", "[ipv6-addr:value = '2001:db8::bad:1']");
    assert_eq!(of_type(&bundle, "indicator").len(), 6);
    // What reads as nothing is kept in a note on its report.
    let notes = of_type(&bundle, "note");
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]["content"]
            .as_str()
            .unwrap()
            .ends_with(": the admin workstation")
    );
}

#[test]
fn the_reports_tlp_marks_what_came_from_them() {
    let bundle = palau_bundle();
    assert_eq!(indicator(&bundle, "203.0.113.45")["object_marking_refs"][0], AMBER);
    assert_eq!(
        indicator(&bundle, sample::SHA256)["object_marking_refs"][0],
        WHITE,
        "TLP:CLEAR is TLP:WHITE"
    );
    let markings = of_type(&bundle, "marking-definition");
    let names: Vec<&str> = markings.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["TLP:WHITE", "TLP:AMBER"]);
    assert_eq!(markings[1]["id"], AMBER);
    assert_eq!(markings[1]["definition"]["tlp"], "amber");
    assert_eq!(markings[1]["created"], "2017-01-20T00:00:00.000Z");
    // Nauru's green report.
    let nauru = stix::bundle(&sample::report(), "nauru", &[]).unwrap();
    assert_eq!(
        indicator(&nauru, "198.51.100.7")["object_marking_refs"][0],
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
    );
    assert!(of_type(&nauru, "infrastructure").is_empty());
}

#[test]
fn indicators_point_at_the_adversary_infrastructure_they_name() {
    let bundle = palau_bundle();
    let infrastructure = of_type(&bundle, "infrastructure");
    assert_eq!(infrastructure.len(), 2);
    assert!(
        infrastructure
            .iter()
            .all(|i| i["infrastructure_types"][0] == "command-and-control")
    );
    // Observable ids are STIX's own: Python's uuid5 of the STIX namespace and {"value":…} agrees.
    let ip = of_type(&bundle, "ipv4-addr");
    assert_eq!(ip[0]["id"], "ipv4-addr--cb9d70c5-d244-531c-9efb-bcae57adc793");
    let domain = of_type(&bundle, "domain-name");
    assert_eq!(
        domain[0]["value"], "evil.example",
        "the scenario's Evil.Example, in the form indicators take"
    );
    assert_eq!(domain[0]["id"], "domain-name--69228563-c8d2-54ae-aeca-5f4134cb59aa");

    let relationships = of_type(&bundle, "relationship");
    let has = |source: &Value, kind: &str, target: &Value| {
        relationships
            .iter()
            .any(|r| r["source_ref"] == *source && r["relationship_type"] == kind && r["target_ref"] == *target)
    };
    let staging = infrastructure.iter().find(|i| i["name"] == "Staging server").unwrap();
    let c2 = infrastructure.iter().find(|i| i["name"] == "C2 domain").unwrap();
    assert!(has(&staging["id"], "consists-of", &ip[0]["id"]));
    assert!(has(&c2["id"], "consists-of", &domain[0]["id"]));
    assert!(has(
        &indicator(&bundle, "203.0.113.45")["id"],
        "indicates",
        &staging["id"]
    ));
    assert!(has(&indicator(&bundle, "evil.example")["id"], "indicates", &c2["id"]));
    assert_eq!(relationships.len(), 4, "the URL and the hashes name no infrastructure");
}

#[test]
fn times_and_ids_come_from_the_report_alone() {
    let bundle = palau_bundle();
    // Sent 60 minutes into play; play starts at midnight UTC of 2025-03-10.
    let found = indicator(&bundle, "203.0.113.45");
    assert_eq!(found["created"], "2025-03-10T01:00:00.000Z");
    assert_eq!(found["valid_from"], "2025-03-10T01:00:00.000Z");
    // Sent 540 minutes into play (D2 10:00).
    assert_eq!(indicator(&bundle, sample::MD5)["created"], "2025-03-10T09:00:00.000Z");
    assert_eq!(bundle, palau_bundle());
    // Another exercise gives other ids.
    let mut other: ExerciseReport = sample::report();
    other.exercise = "Another exercise".to_owned();
    let moved = stix::bundle(&other, "palau", &sample::infrastructure()).unwrap();
    assert_ne!(indicator(&moved, "203.0.113.45")["id"], found["id"]);
}

#[test]
fn timestamps_count_from_midnight_utc_of_the_first_day() {
    let day = |text: &str| Day::parse(text).unwrap();
    assert_eq!(stix::timestamp(day("2025-03-10"), 0), "2025-03-10T00:00:00.000Z");
    assert_eq!(
        stix::timestamp(day("2025-03-10"), 86_400_000 + 3_723_004),
        "2025-03-11T01:02:03.004Z"
    );
    assert_eq!(
        stix::timestamp(day("2024-02-28"), 86_400_000),
        "2024-02-29T00:00:00.000Z"
    );
    assert_eq!(
        stix::timestamp(day("2025-02-28"), 86_400_000),
        "2025-03-01T00:00:00.000Z"
    );
    assert_eq!(
        stix::timestamp(day("2025-12-31"), 86_400_000 + 1),
        "2026-01-01T00:00:00.001Z"
    );
    assert_eq!(stix::timestamp(day("2025-03-10"), u64::MAX), "9999-12-31T23:59:59.999Z");
}

#[test]
fn indicators_are_read_as_teams_write_them() {
    let check = |text: &str, expect: Option<Observable>| assert_eq!(Observable::classify(text), expect, "{text:?}");
    let s = |v: &str| v.to_owned();
    check("203.0.113.45", Some(Observable::Ipv4(s("203.0.113.45"))));
    check(" 203.0.113.0/24 ", Some(Observable::Ipv4(s("203.0.113.0/24"))));
    check("203.0.113.0/33", None);
    check("10.0.0.256", None);
    check("2001:DB8::1", Some(Observable::Ipv6(s("2001:db8::1"))));
    check("evil[.]example", Some(Observable::Domain(s("evil.example"))));
    check("Mail.Evil.Example.", Some(Observable::Domain(s("mail.evil.example"))));
    check(
        "hxxps://evil[.]example/a?b=1",
        Some(Observable::Url(s("https://evil.example/a?b=1"))),
    );
    check("https://", None);
    check(
        "d41d8cd98f00b204e9800998ecf8427e",
        Some(Observable::Md5(s("d41d8cd98f00b204e9800998ecf8427e"))),
    );
    check(
        "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
        Some(Observable::Sha1(s("da39a3ee5e6b4b0d3255bfef95601890afd80709"))),
    );
    check("deadbeef", None);
    check("invoice.pdf", None);
    check("localhost", None);
    check("-bad-.example", None);
    check("the admin workstation", None);
    check("", None);
    assert_eq!(
        Observable::Url(s("http://evil.example/it's\\")).pattern(),
        r"[url:value = 'http://evil.example/it\'s\\']"
    );
}
