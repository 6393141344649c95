//! Data-driven checks of whole scenario files: every file in `tests/bad/` must fail with exactly
//! the messages in its `.expected` file (human-reviewed; regenerate with `UPDATE_EXPECT=1` and
//! review the diff), every file in `tests/good/` and the bundled scenario must load, and the
//! bundled scenario must satisfy the JSON Schema under an independent validator.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/pacific-cable-shield.yaml")
}

/// The diagnostics of a failed load, one `LINE:COL: error: message` line each, hints indented.
fn outline(failed: &atoll_scenario::Failed) -> String {
    let mut out = String::new();
    for d in &failed.diagnostics {
        let _ = writeln!(out, "{}:{}: error: {}", d.span.line, d.span.col, d.message);
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "  hint: {hint}");
        }
    }
    out
}

#[test]
fn bad_files_fail_with_the_expected_messages() {
    let bad = files_with_ext(&tests_dir().join("bad"), "yaml");
    assert!(
        bad.len() >= 20,
        "keep at least 20 bad scenario files, found {}",
        bad.len()
    );
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut mismatches = Vec::new();
    for path in &bad {
        let failed = match atoll_scenario::load_file(path) {
            Ok(_) => panic!("{} loaded, but it is in tests/bad", path.display()),
            Err(failed) => failed,
        };
        assert!(!failed.diagnostics.is_empty());
        for d in &failed.diagnostics {
            assert!(
                d.span.line >= 1 && d.span.col >= 1,
                "{}: diagnostic without a position: {d:?}",
                path.display()
            );
            assert!(d.hint.is_some(), "{}: diagnostic without a hint: {d:?}", path.display());
        }
        let actual = outline(&failed);
        let expected_path = path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected =
            std::fs::read_to_string(&expected_path).unwrap_or_else(|_| panic!("missing {}", expected_path.display()));
        if actual != expected {
            mismatches.push(format!(
                "--- {}\nexpected:\n{expected}actual:\n{actual}",
                path.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn good_files_and_the_bundled_scenario_load() {
    let mut good = files_with_ext(&tests_dir().join("good"), "yaml");
    good.push(bundled());
    for path in good {
        if let Err(failed) = atoll_scenario::load_file(&path) {
            panic!("{}", failed.render(&path.display().to_string()));
        }
    }
}

#[test]
fn bundled_scenario_has_what_the_exercise_needs() {
    let s = atoll_scenario::load_file(&bundled()).unwrap();
    let players: Vec<&str> = s.player_teams().map(|t| t.id.as_str()).collect();
    assert_eq!(
        players,
        ["palau", "micronesia", "marshall-islands", "nauru", "kiribati"]
    );
    let observers: Vec<&str> = s
        .teams
        .iter()
        .filter(|t| t.is_observer())
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(observers, ["fiji", "tonga"]);
    let langs: Vec<&str> = s.languages.iter().map(|l| l.value.0.as_str()).collect();
    assert_eq!(langs, ["en", "ja"]);
    for team in &players {
        let orgs: Vec<_> = s
            .world
            .organisations
            .iter()
            .filter(|o| o.team.as_ref().is_some_and(|t| t.as_str() == *team))
            .collect();
        let sectors: Vec<&str> = orgs.iter().map(|o| o.sector.as_str()).collect();
        assert!(
            sectors.contains(&"government") && sectors.contains(&"telecom"),
            "{team}: {sectors:?}"
        );
    }
    let cables = s
        .world
        .links
        .iter()
        .filter(|l| l.kind == atoll_scenario::model::LinkKind::SubmarineCable)
        .count();
    assert!(cables >= 4, "{cables} submarine cables");
    assert!(
        s.world
            .links
            .iter()
            .any(|l| l.landing_stations.iter().any(|ls| ls.nation.0 == "GU")),
        "cables land in Guam"
    );
    for role in [
        "domain_controller",
        "mail_server",
        "web_server",
        "vpn_edge",
        "noc_workstation",
        "billing_server",
        "router",
        "dns_resolver",
    ] {
        assert!(s.world.hosts.iter().any(|h| h.role.as_str() == role), "no {role}");
    }
    assert!(!s.injects.is_empty() && !s.questions.is_empty() && !s.objectives.is_empty());
}

/// The bundled file, read by a YAML library other than the loader's tree builder, must satisfy
/// the schema under `jsonschema` (an independent implementation of JSON Schema).
#[test]
fn bundled_scenario_satisfies_the_json_schema() {
    let schema = atoll_scenario::json_schema();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let validator = jsonschema::draft7::new(&schema).expect("the schema itself is valid draft-07");
    let text = std::fs::read_to_string(bundled()).unwrap();
    let instance: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // And the schema is strict: an unknown key is rejected by the validator as by the loader.
    let mut broken = instance.clone();
    broken["world"]["hosts"][0]["hostnme"] = "PT-DC01".into();
    assert!(!validator.is_valid(&broken));
    let mut bad_enum = instance;
    bad_enum["world"]["hosts"][0]["os"] = "windows_server2019".into();
    assert!(!validator.is_valid(&bad_enum));
}

/// A 50 MB file is refused before it is read, so memory stays small.
#[test]
fn oversized_file_is_refused_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("atoll-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.yaml");
    let line = "# padding padding padding padding padding padding padding padding padding\n";
    let mut text = String::from("format: atoll/v1\n");
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(line);
    }
    std::fs::write(&path, &text).unwrap();
    let failed = atoll_scenario::load_file(&path).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(failed.diagnostics.len(), 1);
    let d = &failed.diagnostics[0];
    assert_eq!((d.span.line, d.span.col), (1, 1));
    assert!(
        d.message.starts_with("the file is 50.0 MiB, larger than the 8.0 MiB"),
        "{}",
        d.message
    );
}

/// Every required field of the schema is reported missing by the loader, and nothing else is:
/// the two come from the same declarations and must agree.
#[test]
fn schema_and_loader_agree_on_required_fields() {
    let schema = atoll_scenario::json_schema();
    let required: Vec<String> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let failed = atoll_scenario::load_str("{}", None).unwrap_err();
    let mut missing: Vec<String> = failed
        .iter()
        .filter_map(|d| d.message.strip_prefix("missing field `"))
        .map(|m| m.trim_end_matches("` in scenario").to_owned())
        .collect();
    let mut required_sorted = required;
    required_sorted.sort();
    missing.sort();
    assert_eq!(missing, required_sorted);
    let host = &schema["definitions"]["Host"]["required"];
    let failed = atoll_scenario::load_str(
        "format: atoll/v1\nid: x\ntitle: x\nversion: '1'\nlanguages: [en]\ntime_zone: UTC\nstart: D1 09:00\nduration: 1h\nworld: {hosts: [{}]}\n",
        None,
    )
    .unwrap_err();
    let mut host_missing: Vec<&str> = failed
        .iter()
        .filter_map(|d| d.message.strip_prefix("missing field `"))
        .map(|m| m.trim_end_matches("` in host"))
        .collect();
    let mut host_required: Vec<&str> = host.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    host_missing.sort_unstable();
    host_required.sort_unstable();
    assert_eq!(host_missing, host_required);
}

/// A file with hundreds of problems reports the first ones and counts the rest.
#[test]
fn problems_past_the_cap_are_counted() {
    let mut text = String::from(
        "format: atoll/v1\nid: x\ntitle: x\nversion: '1'\nlanguages: [en]\ntime_zone: UTC\nstart: D1 09:00\nduration: 1h\n\
         teams: [{id: t, name: T, nation: PW}]\nworld:\n  organisations: [{id: o, name: O, nation: PW, sector: telecom, team: t}]\n  networks:\n",
    );
    for i in 0..300 {
        let (a, b) = (i / 256, i % 256);
        text.push_str(&format!(
            "    - {{id: n{i}, organisation: missing-org, cidr: 10.{a}.{b}.0/24, zone: servers}}\n"
        ));
    }
    let diags = atoll_scenario::load_str(&text, None).unwrap_err();
    assert_eq!(diags.len(), atoll_scenario::MAX_REPORTED + 1);
    assert_eq!(diags[0].message, "no organisation has the id `missing-org`");
    assert_eq!(diags.last().unwrap().message, "… and 100 more problems after this one");
}

/// A chain of 20,000 steps, each following the previous one, is checked without recursion deep
/// enough to overflow a test thread's 2 MiB stack.
#[test]
fn long_after_chains_do_not_exhaust_the_stack() {
    let mut text = String::from(
        "format: atoll/v1\nid: x\ntitle: x\nversion: '1'\nlanguages: [en]\ntime_zone: UTC\nstart: D1 09:00\nduration: 300d\n\
         teams: [{id: t, name: T, nation: PW}]\n\
         world:\n  organisations: [{id: o, name: O, nation: PW, sector: telecom, team: t}]\n\
         \x20 networks: [{id: n, organisation: o, cidr: 10.0.0.0/24, zone: servers}]\n\
         \x20 hosts: [{id: h, hostname: H, network: n, address: 10.0.0.5, os: debian_12, role: router, criticality: low}]\n\
         campaigns:\n  - id: c\n    name: C\n    steps:\n      - {id: s0, name: S, technique: T1190, target: {role: router}, at: D1 09:00}\n",
    );
    let n = 20_000;
    for i in 1..n {
        text.push_str(&format!(
            "      - {{id: s{i}, name: S, technique: T1190, target: {{role: router}}, after: s{} + 1m}}\n",
            i - 1
        ));
    }
    // The last step is due 19,999 minutes (about 13.9 days) after the start: inside 300 days.
    atoll_scenario::load_str(&text, None).unwrap();
    // With the first step made to follow the last one, the chain becomes one long circle.
    let circular = text.replace("at: D1 09:00}", &format!("after: s{} + 1m}}", n - 1));
    let diags = atoll_scenario::load_str(&circular, None).unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        diags[0].message,
        "these wait for each other in a circle: s0 → s19999 → s19998 → s19997 → s19996 → s19995 → s19994 → s19993 → … → s1 → s0 (20000 items)"
    );
}

/// A person's profile on a host needs someone who uses the host: it runs as them.
#[test]
fn a_persons_profile_on_a_host_nobody_uses_is_refused() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/pacific-cable-shield.yaml");
    let bundled = std::fs::read_to_string(&path).unwrap();
    // PACTEL's file server: no account lists it under `hosts:`.
    let text = bundled.replacen(
        "      telemetry: [security, system, sysmon, powershell]\n      profile: file-server\n",
        "      telemetry: [security, system, sysmon, powershell]\n      profile: office-worker\n",
        1,
    );
    assert_ne!(text, bundled);
    let diags = atoll_scenario::load_str(&text, path.parent()).unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        diags[0].message,
        "host `pw-tel-fs01` has the profile `office-worker`, a person's (office_worker), but no account logs on to it"
    );
    assert_eq!(diags[0].span.line, 262);
    // On a workstation someone uses, it is fine.
    let used = bundled.replacen(
        "    - id: pw-tel-ws02\n",
        "    - id: pw-tel-ws02\n      profile: office-worker\n",
        1,
    );
    atoll_scenario::load_str(&used, path.parent()).unwrap_or_else(|d| panic!("{d:?}"));
}
