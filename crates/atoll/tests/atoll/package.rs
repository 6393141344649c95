//! The after-action report and the portable exercise package, as a white cell uses them: a
//! short exercise is played on a demo server through the JSON API and the pages' forms, then
//! reported in every format (each checked by its own validator), exported, imported into a
//! fresh database, and reported again, byte for byte the same. Broken packages are refused and
//! change nothing; a package of format version 1, kept in `fixtures/`, still imports.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::http::{api, make_token, send, sign_in};
use crate::common::{Server, command, demo_password, root};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `atoll ARGS…`; its standard output, or the test fails with what it printed.
fn atoll_ok(args: &[&str]) -> Vec<u8> {
    let out = command().args(args).current_dir(root()).output().unwrap();
    assert!(
        out.status.success(),
        "atoll {}: {}{}",
        args.join(" "),
        text(&out.stdout),
        text(&out.stderr)
    );
    out.stdout
}

/// Runs `atoll ARGS…`, which must fail; what it printed on standard error.
fn atoll_refused(args: &[&str]) -> String {
    let out = command().args(args).current_dir(root()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "atoll {}: {}",
        args.join(" "),
        text(&out.stdout)
    );
    text(&out.stderr)
}

/// A program of the Python environment `.ci/run` makes (ATOLL_PYTHON_BIN).
fn python_tool(name: &str) -> PathBuf {
    std::env::var_os("ATOLL_PYTHON_BIN").map_or_else(|| PathBuf::from(name), |bin| PathBuf::from(bin).join(name))
}

fn run_tool(program: &Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; this test needs .ci/python-packages (.ci/run installs them and sets ATOLL_PYTHON_BIN)",
                program.display()
            )
        });
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// Posts a page's form as the user signed in with `cookie`; the status.
fn form(address: &str, cookie: &str, path: &str, body: &str) -> u16 {
    let headers =
        format!("Origin: http://{address}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n");
    let (status, page) = send(address, "POST", path, &headers, body).expect("the server answers");
    assert!(status == 303 || status == 200, "POST {path}: {status} {page}");
    status
}

/// Calls the API and expects success; the answer.
fn call(address: &str, token: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string());
    let (status, answer) = api(address, token, method, path, body.as_deref()).expect("the server answers");
    assert!((200..300).contains(&status), "{method} {path}: {status} {answer}");
    answer
}

/// Plays the first hours of the bundled exercise on a demo server in `data`: a verdict, a
/// case with an indicator, a report with indicators and its grade, a blocked address, lessons
/// of the white cell and of the team, and the report released. The server is stopped after.
fn play(data: &Path) {
    let (_server, _, address, _output) = Server::start(&[
        "demo".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        "--paused".as_ref(),
    ]);
    let white = sign_in(&address, "instructor", &demo_password(data, "instructor"));
    let white_token = make_token(&address, &white);
    let player = sign_in(&address, "palau-1", &demo_password(data, "palau-1"));
    let player_token = make_token(&address, &player);
    call(
        &address,
        &white_token,
        "POST",
        "/api/v1/clock",
        Some(json!({"action": "start"})),
    );
    call(
        &address,
        &white_token,
        "POST",
        "/api/v1/clock",
        Some(json!({"action": "jump", "to": "D1 10:30", "confirm": true})),
    );
    call(
        &address,
        &white_token,
        "POST",
        "/api/v1/clock",
        Some(json!({"action": "pause"})),
    );

    // The team judges its first alert, keeps an indicator in a case, blocks an address and
    // reports.
    let alerts = call(&address, &player_token, "GET", "/api/v1/teams/palau/alerts", None);
    let first = &alerts["alerts"][0];
    assert!(first.is_object(), "the team has alerts by D1 10:30: {alerts}");
    call(
        &address,
        &player_token,
        "POST",
        &format!("/api/v1/teams/palau/alerts/{}/verdict", first["number"]),
        Some(json!({"state": "true_positive", "note": "Confirmed with the network team."})),
    );
    let case = call(
        &address,
        &player_token,
        "POST",
        "/api/v1/teams/palau/cases",
        Some(json!({"title": "Suspicious logons at the landing station"})),
    );
    call(
        &address,
        &player_token,
        "POST",
        &format!("/api/v1/teams/palau/cases/{}/entries", case["id"]),
        Some(json!({"kind": "indicator", "indicator_kind": "ipv4", "indicator": "203.0.113.45"})),
    );
    call(
        &address,
        &player_token,
        "POST",
        "/api/v1/teams/palau/actions",
        Some(json!({"action": "block_address", "target": "203.0.113.45"})),
    );
    call(
        &address,
        &player_token,
        "POST",
        "/api/v1/teams/palau/reports",
        Some(json!({
            "title": "Intrusion at the cable landing station",
            "to": "national_cert",
            "tlp": "TLP:AMBER",
            "what": "Logons from an unknown address to the station's jump host.",
            "indicators": "203.0.113.45\nupdate-check.example.net",
        })),
    );
    // The white cell grades it, writes a lesson and releases the reports; the team writes its
    // own lesson.
    let grading = call(&address, &white_token, "GET", "/api/v1/grading", None);
    let item = grading
        .as_array()
        .and_then(|items| items.iter().find(|i| i["kind"] == "report"))
        .unwrap_or_else(|| panic!("the report is to grade: {grading}"));
    let points: serde_json::Map<String, Value> = item["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_owned(), json!(1)))
        .collect();
    call(
        &address,
        &white_token,
        "POST",
        &format!("/api/v1/grading/{}", item["id"]),
        Some(json!({"points": points, "comment": "Clear and on time."})),
    );
    form(
        &address,
        &white,
        "/lessons",
        "objective=obj-detect-lotl&kind=strength&text=Teams+read+their+logon+events+early.",
    );
    form(&address, &white, "/report/release", "release=yes");
    form(
        &address,
        &player,
        "/feedback",
        "rating.scenario=4&rating.telemetry=5&comment.next=More+policy+injects+on+day+two.&anonymous=yes",
    );
    form(
        &address,
        &player,
        "/teams/palau/lessons",
        "objective=obj-detect-lotl&kind=action&text=Forward+jump+host+logs+to+the+CERT.&owner=Palau+CERT&due=2027-03-01",
    );
}

/// Every document of the report of the exercise in `database`, by file name.
fn documents(database: &str, out: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::create_dir_all(out).unwrap();
    let mut all = Vec::new();
    for (name, args) in [
        ("exercise.html", vec!["--format", "html"]),
        ("exercise.json", vec!["--format", "json"]),
        ("palau.html", vec!["--team", "palau", "--format", "html"]),
        ("palau.navigator.json", vec!["--team", "palau", "--format", "navigator"]),
        ("palau.stix.json", vec!["--team", "palau", "--format", "stix"]),
        ("exercise.pdf", vec!["--format", "pdf"]),
        ("after-action.html", vec!["--document", "after-action"]),
        (
            "after-action.pdf",
            vec!["--document", "after-action", "--format", "pdf"],
        ),
    ] {
        let path = out.join(name);
        let mut full = vec!["report", "--database", database, "--out", path.to_str().unwrap()];
        full.extend(args);
        atoll_ok(&full);
        all.push((name.to_owned(), std::fs::read(&path).unwrap()));
    }
    all
}

#[test]
fn a_played_exercise_is_reported_exported_imported_and_reported_the_same() {
    let _group = crate::group("package");
    let dir = std::env::temp_dir().join(format!("atoll-package-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("demo");
    play(&data);
    let original = format!("sqlite://{}", data.join("atoll.db").display());
    let before = documents(&original, &dir.join("before"));

    // The JSON follows its published schema and holds what was played.
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap()).unwrap();
    let report: Value = serde_json::from_slice(&before[1].1).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> = validator.iter_errors(&report).map(|e| e.to_string()).collect();
    assert!(problems.is_empty(), "{problems:?}");
    let all = report.to_string();
    for played in [
        "Teams read their logon events early.",
        "Forward jump host logs to the CERT.",
        "Clear and on time.",
    ] {
        assert!(all.contains(played), "the report holds `{played}`");
    }
    // The Navigator layer reads back in MITRE's library, and the STIX bundle passes OASIS's
    // validator.
    let layer = dir.join("before/palau.navigator.json");
    let (ok, said) = run_tool(
        &python_tool("python3"),
        &[
            "-c",
            "import sys; from mitreattack.navlayers import Layer; l = Layer(); l.from_file(sys.argv[1]); \
             d = l.to_dict(); print(d['versions']['layer'], len(d['techniques']))",
            layer.to_str().unwrap(),
        ],
    );
    // The library prints a line for anything it does not recognise or has to fix: none here.
    assert!(ok && said.starts_with("4.5 ") && said.lines().count() == 1, "{said}");
    let techniques: usize = said.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(techniques > 0, "the layer scores the adversary's techniques: {said}");
    let (ok, said) = run_tool(
        &python_tool("stix2_validator"),
        &[dir.join("before/palau.stix.json").to_str().unwrap()],
    );
    assert!(ok && said.contains("STIX JSON: Valid"), "{said}");
    let stix = String::from_utf8_lossy(&before[4].1).into_owned();
    assert!(stix.contains("203.0.113.45"), "the bundle holds the reported address");
    assert!(before[5].1.starts_with(b"%PDF-") && before[7].1.starts_with(b"%PDF-"));
    // The After-Action Report / Improvement Plan carries the team's improvement action with
    // its owner and date, and the anonymous feedback.
    let aar = String::from_utf8_lossy(&before[6].1).into_owned();
    for expected in [
        "Improvement plan",
        "Forward jump host logs to the CERT.",
        "Palau CERT",
        "2027-03-01",
        "More policy injects on day two.",
        "anonymous (player)",
    ] {
        assert!(aar.contains(expected), "the AAR/IP holds `{expected}`");
    }
    // The Situation Manual tells participants nothing of the campaigns; the facilitator
    // guide tells the white cell all of it.
    let manual = text(&atoll_ok(&[
        "report",
        "--database",
        &original,
        "--document",
        "situation-manual",
        "--out",
        "-",
    ]));
    let guide = text(&atoll_ok(&[
        "report",
        "--database",
        &original,
        "--document",
        "facilitator-guide",
        "--out",
        "-",
    ]));
    assert!(
        manual.contains("Rules of play") && manual.contains("Objectives"),
        "{manual}"
    );
    for secret in ["Volt Typhoon", "T1190", "score sheet", "Events list"] {
        assert!(!manual.contains(secret), "the Situation Manual reveals `{secret}`");
        assert!(guide.contains(secret), "the facilitator guide holds `{secret}`");
    }

    // Exported, imported into a fresh database elsewhere, reported again: the same bytes.
    let package = dir.join("guam-2026.atoll");
    let said = text(&atoll_ok(&[
        "export",
        "--database",
        &original,
        "--out",
        package.to_str().unwrap(),
    ]));
    assert!(said.contains("names, roles and teams only"), "{said}");
    let elsewhere = format!("sqlite://{}", dir.join("elsewhere.db").display());
    let said = text(&atoll_ok(&[
        "import",
        package.to_str().unwrap(),
        "--database",
        &elsewhere,
    ]));
    assert!(said.starts_with("imported exercise 1 "), "{said}");
    let after = documents(&elsewhere, &dir.join("after"));
    for ((name, a), (_, b)) in before.iter().zip(&after) {
        assert!(a == b, "{name} differs after the round trip");
    }
    // Accounts came without their passwords: nobody signs in until given one.
    let bytes = std::fs::read(&package).unwrap();
    assert!(!text(&bytes).contains("$argon2"), "no password hash travels by default");
    let whole = dir.join("with-accounts.atoll");
    let said = text(&atoll_ok(&[
        "export",
        "--database",
        &original,
        "--with-accounts",
        "--out",
        whole.to_str().unwrap(),
    ]));
    assert!(said.contains("with their password hashes"), "{said}");
    assert!(text(&std::fs::read(&whole).unwrap()).contains("$argon2"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&whole).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only its owner reads a package with password hashes");
    }

    // A damaged, a newer and a foreign package are refused, each said so, and nothing is
    // written.
    let third = format!("sqlite://{}", dir.join("third.db").display());
    let cut = dir.join("cut.atoll");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let said = atoll_refused(&["import", cut.to_str().unwrap(), "--database", &third]);
    assert!(said.contains("the package is damaged"), "{said}");
    let newer = dir.join("newer.atoll");
    std::fs::write(&newer, text(&bytes).replacen("atoll-package 1 ", "atoll-package 9 ", 1)).unwrap();
    let said = atoll_refused(&["import", newer.to_str().unwrap(), "--database", &third]);
    assert!(said.contains("format version 9, newer than this atoll reads"), "{said}");
    assert!(!dir.join("third.db").exists(), "a refused package makes no database");
    // The same package twice into one database: two exercises, the second its own.
    let said = text(&atoll_ok(&[
        "import",
        package.to_str().unwrap(),
        "--database",
        &elsewhere,
    ]));
    assert!(said.starts_with("imported exercise 2 "), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `fixtures/exercise-v1.atoll` was written by `atoll export` at format version 1 after the
/// play of [`play`] (the bundled scenario to D1 10:30; Palau's verdict, case, blocked address,
/// graded report and lesson; the white cell's lesson; the report released).
#[test]
fn a_package_of_format_version_1_still_imports() {
    let _group = crate::group("package");
    let dir = std::env::temp_dir().join(format!("atoll-package-v1-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = root().join("crates/atoll/tests/atoll/fixtures/exercise-v1.atoll");
    let database = format!("sqlite://{}", dir.join("atoll.db").display());
    let said = text(&atoll_ok(&[
        "import",
        fixture.to_str().unwrap(),
        "--database",
        &database,
    ]));
    assert!(
        said.starts_with("imported exercise 1 «Pacific Cable Shield (demo)»") && said.contains("5 teams"),
        "{said}"
    );
    // The record of play is all there: the report reads it.
    let report: Value = serde_json::from_slice(&atoll_ok(&[
        "report",
        "--database",
        &database,
        "--format",
        "json",
        "--out",
        "-",
    ]))
    .unwrap();
    let palau = report["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "palau")
        .unwrap();
    assert_eq!(palau["triage"]["true_positives"], 1, "Palau's one verdict");
    assert_eq!(palau["reports"][0]["title"], "Intrusion at the cable landing station");
    assert_eq!(palau["reports"][0]["comment"], "Clear and on time.");
    assert_eq!(palau["lessons"][0]["owner"], "Palau CERT");
    assert_eq!(report["lessons"][0]["text"], "Teams read their logon events early.");
    // Accounts came by name and role, without passwords.
    let listed = text(&atoll_ok(&["admin", "list", "--database", &database]));
    assert!(listed.contains("palau-1") && listed.contains("instructor"), "{listed}");
    let _ = std::fs::remove_dir_all(&dir);
}
