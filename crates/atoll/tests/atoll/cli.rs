//! The `atoll` command as users run it: exit codes, where output goes, what it says.

use std::path::Path;
use std::process::Output;

use crate::common::http::{http, sign_in};
use crate::common::{Server, command, demo_password, root};

fn atoll(args: &[&str]) -> Output {
    command().args(args).current_dir(root()).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn bundled_scenario_validates_with_a_summary() {
    let _group = crate::group("cli");
    let out = atoll(&["validate", "scenarios/pacific-cable-shield.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("scenarios/pacific-cable-shield.yaml: ok — \"Pacific Cable Shield\""),
        "{stdout}"
    );
    assert!(stdout.contains("teams: 7 (5 playing, 2 observing)"), "{stdout}");
    assert!(stdout.contains("114 hosts"), "{stdout}");
    assert!(out.stderr.is_empty());
}

#[test]
fn problems_go_to_stderr_as_file_line_column_and_exit_1() {
    let _group = crate::group("cli");
    let file = "crates/scenario/tests/bad/unknown-fields.yaml";
    let out = atoll(&["validate", file]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let first = stderr.lines().next().unwrap();
    assert_eq!(first, format!("{file}:21:7: error: unknown field `hostnme` in host"));
    assert!(
        stderr.contains("21 |       hostnme: PT-DC01\n   |       ^\n  hint: did you mean `hostname`?"),
        "{stderr}"
    );
    assert!(stderr.ends_with(&format!("{file}: 2 problems\n")), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn every_file_is_checked_and_one_bad_file_fails_the_run() {
    let _group = crate::group("cli");
    let good = "crates/scenario/tests/good/minimal.yaml";
    let bad = "crates/scenario/tests/bad/step-cycle.yaml";
    let out = atoll(&["validate", bad, good]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with(&format!("{good}: ok")));
    assert!(text(&out.stderr).starts_with(&format!("{bad}:36:16: error: these wait for each other in a circle")));
}

#[test]
fn a_missing_file_is_reported_not_panicked_on() {
    let _group = crate::group("cli");
    let out = atoll(&["validate", "no/such/scenario.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("no/such/scenario.yaml:1:1: error: cannot open the file:"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let _group = crate::group("cli");
    assert_eq!(atoll(&["validate"]).status.code(), Some(2));
    assert_eq!(atoll(&["frobnicate"]).status.code(), Some(2));
}

/// `docs/scenario-v1.schema.json` is what editors load; it must be what `atoll schema` prints.
#[test]
fn committed_schema_is_current() {
    let _group = crate::group("cli");
    let out = atoll(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["$schema"], "http://json-schema.org/draft-07/schema#");
    assert!(printed["definitions"]["Host"]["properties"]["telemetry"].is_object());
    let committed = std::fs::read_to_string(root().join("docs/scenario-v1.schema.json")).unwrap();
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert!(
        printed == committed,
        "docs/scenario-v1.schema.json is stale: run `atoll schema > docs/scenario-v1.schema.json`"
    );
}

#[test]
fn sigma_reports_matches_with_author_and_skips_bad_rules_with_their_place() {
    let _group = crate::group("cli");
    let dir = std::env::temp_dir().join(format!("atoll-cli-sigma-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.yml");
    std::fs::write(
        &good,
        "title: Whoami\nid: r-1\nauthor: atoll tests\nlevel: medium\nlogsource: {product: windows, category: process_creation}\n\
         detection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n",
    )
    .unwrap();
    let bad = dir.join("bad.yml");
    std::fs::write(
        &bad,
        "title: Bad\ndetection:\n  sel:\n    Image|contans: x\n  condition: sel\n",
    )
    .unwrap();
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        "{\"log\": \"sysmon\", \"EventID\": 1, \"host\": \"PT-WS01\", \"Image\": \"C:\\\\W\\\\whoami.exe\"}\n\
         {\"log\": \"sysmon\", \"EventID\": 1, \"Image\": \"C:\\\\W\\\\cmd.exe\"}\n\
         {\"log\": \"sysmon\", \"EventID\": 1, \"Image\": \"C:\\\\W\\\\WHOAMI.EXE\"}\n",
    )
    .unwrap();
    let (g, b, e) = (good.to_str().unwrap(), bad.to_str().unwrap(), events.to_str().unwrap());

    let out = atoll(&["sigma", "--rules", g, b, e]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let events_hit: Vec<u64> = lines.iter().map(|l| l["event"].as_u64().unwrap()).collect();
    assert_eq!(events_hit, [0, 2]);
    assert_eq!(lines[0]["rule_id"], "r-1");
    assert_eq!(lines[0]["author"], "atoll tests");
    assert_eq!(lines[0]["level"], "medium");
    assert_eq!(lines[0]["host"], "PT-WS01");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("{b}:4:5: error: unknown modifier `contans`")),
        "{stderr}"
    );
    assert!(stderr.contains("1 rule failed to load and is skipped"), "{stderr}");

    let strict = atoll(&["sigma", "--strict", "--rules", g, b, e]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(strict.stdout.is_empty());

    let high = atoll(&["sigma", "--min-level", "high", "--rules", g, e]);
    assert_eq!(high.status.code(), Some(0));
    assert!(high.stdout.is_empty());

    let usage = atoll(&["sigma", "--rules", g]);
    assert_eq!(usage.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn simulate_writes_events_and_ground_truth() {
    let _group = crate::group("cli");
    let dir = std::env::temp_dir().join(format!("atoll-cli-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let events = dir.join("events.jsonl");
    let truth = dir.join("truth.jsonl");
    let actions = dir.join("actions.jsonl");
    std::fs::write(
        &actions,
        "# the team isolates the portal a quarter of an hour in\n\
         {\"at\": \"D1 08:45\", \"team\": \"palau\", \"action\": \"isolate_host\", \"host\": \"pw-tel-web01\"}\n",
    )
    .unwrap();
    let out = atoll(&[
        "simulate",
        "scenarios/pacific-cable-shield.yaml",
        "--seed",
        "3",
        "--until",
        "2h",
        "--team",
        "palau",
        "--actions",
        actions.to_str().unwrap(),
        "--out",
        events.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = std::fs::read_to_string(&events).unwrap();
    assert!(lines.lines().count() > 1_000);
    assert!(lines.lines().all(|l| l.contains("\"team\":\"palau\"")));
    let truth = std::fs::read_to_string(&truth).unwrap();
    // The exploit of the isolated portal was prevented, and says why.
    let exploit = truth
        .lines()
        .find(|l| l.contains("\"step\":\"vt-edge-exploit\""))
        .unwrap();
    assert!(
        exploit.contains("\"status\":\"prevented\"") && exploit.contains("isolated"),
        "{exploit}"
    );
    assert!(text(&out.stderr).contains("events over 2h of exercise time"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn simulate_reports_bad_actions_by_line_and_changes_nothing() {
    let _group = crate::group("cli");
    let dir = std::env::temp_dir().join(format!("atoll-cli-simbad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let actions = dir.join("actions.jsonl");
    let events = dir.join("events.jsonl");
    std::fs::write(
        &actions,
        "{\"at\": \"D1 09:00\", \"team\": \"palau\", \"action\": \"isolate_host\", \"host\": \"pw-tel-web01\"}\n\
         {\"at\": \"D1 09:00\", \"team\": \"palau\", \"action\": \"isolate_host\", \"host\": \"fm-tel-web01\"}\n\
         {\"at\": \"D1 09:00\", \"team\": \"palau\", \"action\": \"unplug\"}\n\
         {\"at\": \"D1 9\", \"team\": \"palau\", \"action\": \"block_address\", \"address\": \"203.0.113.45\"}\n",
    )
    .unwrap();
    let a = actions.to_str().unwrap();
    let out = atoll(&[
        "simulate",
        "scenarios/pacific-cable-shield.yaml",
        "--seed",
        "1",
        "--until",
        "1h",
        "--actions",
        a,
        "--out",
        events.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{a}:2:1: error: field `host`: team `palau` has no host `fm-tel-web01`"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{a}:3:1: error: field `action`: `unplug` is not an action")),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("{a}:4:1: error: field `at`:")), "{stderr}");
    assert!(!events.exists(), "no output is written when the inputs are bad");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hunt_answers_queries_over_an_event_file() {
    let _group = crate::group("cli");
    let events = "crates/hunt/tests/hunt/fixture.jsonl";
    let out = atoll(&["hunt", events, "CommandLine:*ntdsutil*", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let fixture = std::fs::read_to_string(root().join(events)).unwrap();
    // The event comes back as it was written.
    assert_eq!(text(&out.stdout), format!("{}\n", fixture.lines().nth(3).unwrap()));

    let out = atoll(&["hunt", events, "EventID:4625 | stats count by host, TargetUserName"]);
    assert_eq!(
        text(&out.stdout),
        "host     TargetUserName  count\nPT-DC01  admin.jtellei   2\n"
    );

    let out = atoll(&["hunt", events, "log:security", "--format", "count"]);
    assert_eq!(text(&out.stdout), "5\n");

    let out = atoll(&[
        "hunt",
        events,
        "| stats count by log",
        "--format",
        "jsonl",
        "--limit",
        "1",
    ]);
    assert_eq!(text(&out.stdout), "{\"log\":\"security\",\"count\":5}\n");

    let out = atoll(&[
        "hunt",
        events,
        r#"earliest:"D1 11:00" latest:"D1 12:00""#,
        "--format",
        "count",
        "--scenario",
        "scenarios/pacific-cable-shield.yaml",
    ]);
    assert_eq!(text(&out.stdout), "4\n", "{}", text(&out.stderr));
}

#[test]
fn hunt_points_at_the_mistake_in_a_query() {
    let _group = crate::group("cli");
    let out = atoll(&[
        "hunt",
        "crates/hunt/tests/hunt/fixture.jsonl",
        "log:dns AND comandline:*ntds*",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: column 13: no event has a field `comandline`; did you mean `CommandLine`?\n  log:dns AND comandline:*ntds*\n              ^\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn hunt_reports_lines_that_are_not_events_and_still_answers() {
    let _group = crate::group("cli");
    let dir = std::env::temp_dir().join(format!("atoll-hunt-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("events.jsonl");
    std::fs::write(
        &file,
        b"{\"host\":\"a\",\"log\":\"dns\"}\n{\"host\": \"b\",\n\n{\"host\":\"c\",\"log\":\"dns\"}\n{\"host\":\"\xff\"}\n",
    )
    .unwrap();
    let out = atoll(&["hunt", file.to_str().unwrap(), "log:dns", "--format", "count"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "2\n");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "{}:2:13: error: not JSON: EOF while parsing a value",
            file.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}:5:10: error: not UTF-8 text\n", file.display())),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("2 lines were not events and were left out\n"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sends one HTTP/1.1 request and returns the response head and body.
#[test]
fn demo_serves_the_exercise_and_its_accounts_sign_in() {
    let _group = crate::group("cli");
    let dir = std::env::temp_dir().join(format!("atoll-demo-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let start = |dir: &Path| {
        let (child, _, address, mut lines) = Server::start(&["demo".as_ref(), "--data".as_ref(), dir.as_os_str()]);
        // Everything up to the last line of the greeting.
        let mut rest = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let done = line.starts_with("Ctrl+C stops the server");
            rest.push(line);
            if done {
                break;
            }
        }
        (child, address, rest)
    };
    let (child, address, printed) = start(&dir);
    let accounts: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("demo-accounts.json")).unwrap()).unwrap();
    // One instructor, one observer, two players for each of the five teams.
    assert_eq!(accounts.len(), 12);
    assert!(printed.iter().any(|l| l.contains("palau-1")), "{printed:?}");
    let palau = accounts.iter().find(|a| a["username"] == "palau-1").unwrap();
    assert_eq!(
        (palau["role"].as_str(), palau["team"].as_str()),
        (Some("player"), Some("palau"))
    );
    let cookie = sign_in(&address, "palau-1", &demo_password(&dir, "palau-1"));
    let page = http(
        &address,
        &format!("GET /teams/palau HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    );
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("Alerts — Palau"),
        "{page}"
    );
    drop(child);

    // Run again: the same accounts, and the session from before still works.
    let (child, address, printed) = start(&dir);
    assert!(
        !printed.iter().any(|l| l.contains(palau["password"].as_str().unwrap())),
        "passwords are shown once: {printed:?}"
    );
    assert!(
        printed.iter().any(|l| l.contains("usernames and passwords are in")),
        "{printed:?}"
    );
    let again: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("demo-accounts.json")).unwrap()).unwrap();
    assert_eq!(again, accounts);
    let page = http(
        &address,
        &format!("GET /teams/palau HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    );
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    drop(child);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn demo_runs_the_second_bundled_scenario_and_keeps_a_folder_to_one() {
    let _group = crate::group("cli");
    let dir = std::env::temp_dir().join(format!("atoll-demo-hl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (child, greeting, address, mut lines) = Server::start(&[
        "demo".as_ref(),
        "--scenario".as_ref(),
        "harbour-lights".as_ref(),
        "--data".as_ref(),
        dir.as_os_str(),
    ]);
    assert!(greeting.contains("Harbour Lights (demo)"), "{greeting}");
    // Read the rest of the greeting (the accounts), so the server never writes to a closed pipe.
    for line in lines.by_ref() {
        if line.unwrap().starts_with("Ctrl+C stops the server") {
            break;
        }
    }
    let accounts: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("demo-accounts.json")).unwrap()).unwrap();
    // One instructor, one observer, two players for each of the three teams.
    assert_eq!(accounts.len(), 8);
    let cookie = sign_in(&address, "maldives-1", &demo_password(&dir, "maldives-1"));
    let page = http(
        &address,
        &format!("GET /teams/maldives HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    );
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("Alerts — Maldives"),
        "{page}"
    );
    drop(child);
    // The folder holds that exercise: asking it for the other scenario is refused, changing nothing.
    let out = atoll(&[
        "demo",
        "--scenario",
        "pacific-cable-shield",
        "--bind",
        "127.0.0.1:0",
        "--data",
        dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already holds the exercise \"Harbour Lights (demo)\"") && stderr.contains("--data"),
        "{stderr}"
    );
    let again: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("demo-accounts.json")).unwrap()).unwrap();
    assert_eq!(again, accounts);
    // A name that is not bundled is refused with the names that are.
    let out = atoll(&["demo", "--scenario", "nowhere", "--data", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("pacific-cable-shield, harbour-lights"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn admin_creates_the_exercise_and_accounts_and_serve_runs_it() {
    let _group = crate::group("cli");
    use std::io::Write as _;
    let dir = std::env::temp_dir().join(format!("atoll-serve-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Settings from a file; the database path in it is relative to the file.
    let settings = dir.join("atoll.toml");
    std::fs::write(
        &settings,
        "database = \"sqlite://state/atoll.db\"\nbind = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let admin = |args: &[&str], stdin: &str| {
        let mut child = command()
            .arg("admin")
            .args(args)
            .arg("--config")
            .arg(&settings)
            .current_dir(root())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };

    // A player cannot be created before the exercise that knows the teams.
    let (code, _, err) = admin(&["create-user", "pita", "--role", "player", "--team", "palau"], "");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("create the exercise first"), "{err}");

    // A broken scenario creates nothing and says where it is broken.
    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, "title: [unclosed\n").unwrap();
    let (code, _, err) = admin(&["create-exercise", broken.to_str().unwrap()], "");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("broken.yaml:1:"), "{err}");
    let (_, listed, _) = admin(&["list"], "");
    assert!(listed.starts_with("exercises: 0\n"), "{listed}");

    let (code, out, err) = admin(
        &[
            "create-exercise",
            "scenarios/pacific-cable-shield.yaml",
            "--name",
            "Guam 2026",
            "--speed",
            "60",
            "--start",
        ],
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("created exercise 1 «Guam 2026»: 5 teams"), "{out}");

    let (code, _, err) = admin(
        &["create-user", "chief", "--role", "instructor", "--password-stdin"],
        "correct horse battery\n",
    );
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) = admin(&["create-user", "pita", "--role", "player", "--team", "palau"], "");
    assert_eq!(code, Some(0), "{err}");
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .unwrap()
        .to_owned();
    let (code, _, err) = admin(&["create-user", "pita", "--role", "observer"], "");
    assert_eq!(code, Some(1));
    assert!(err.contains("`pita` is taken"), "{err}");
    let (code, _, err) = admin(&["create-user", "x", "--role", "player", "--team", "guam"], "");
    assert_eq!(code, Some(1));
    assert!(err.contains("`guam` is not a team"), "{err}");
    // An observer can follow chosen teams; they must be the exercise's, and only observers follow.
    let (code, out, err) = admin(
        &[
            "create-user",
            "liaison",
            "--role",
            "observer",
            "--follows",
            "palau,nauru",
        ],
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("created observer liaison following palau, nauru"), "{out}");
    let (code, _, err) = admin(
        &["create-user", "y", "--role", "observer", "--follows", "palau,guam"],
        "",
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("--follows: `guam` is not a team"), "{err}");
    let (code, _, err) = admin(&["create-user", "z", "--role", "instructor", "--follows", "palau"], "");
    assert_eq!(code, Some(1));
    assert!(err.contains("--follows: only observers"), "{err}");
    let (_, out, _) = admin(&["list"], "");
    assert!(out.contains("follows nauru, palau"), "{out}");
    // An API token for a script, printed once; bad lifetimes and unknown accounts refused.
    let (code, out, err) = admin(&["create-token", "chief", "--name", "nightly export"], "");
    assert_eq!(code, Some(0), "{err}");
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("token (shown once): "))
        .unwrap()
        .to_owned();
    assert!(token.starts_with("atoll_") && token.len() == 70, "{token}");
    let (code, _, err) = admin(&["create-token", "chief", "--name", "x", "--days", "365"], "");
    assert_eq!(code, Some(1));
    assert!(err.contains("--days: choose 1, 7, 30 or 90, not 365"), "{err}");
    let (code, _, err) = admin(&["create-token", "nobody", "--name", "x"], "");
    assert_eq!(code, Some(1));
    assert!(err.contains("no account `nobody`"), "{err}");

    let (child, first, address, _) = Server::start(&["serve".as_ref(), "--config".as_ref(), settings.as_os_str()]);
    assert!(first.contains("exercise 1 «Guam 2026»"), "{first}");
    let cookie = sign_in(&address, "chief", "correct horse battery");
    let board = http(
        &address,
        &format!("GET /board HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    );
    assert!(
        board.starts_with("HTTP/1.1 200") && board.contains("Guam 2026"),
        "{board}"
    );
    let api = http(
        &address,
        &format!(
            "GET /api/v1/exercise HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(
        api.starts_with("HTTP/1.1 200") && api.contains(r#""username":"chief""#) && api.contains("Guam 2026"),
        "{api}"
    );
    let cookie = sign_in(&address, "pita", &password);
    let team = http(
        &address,
        &format!("GET /teams/palau HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    );
    assert!(team.starts_with("HTTP/1.1 200"), "{team}");
    let other = http(
        &address,
        &format!("GET /teams/nauru HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    );
    assert!(other.starts_with("HTTP/1.1 403"), "{other}");
    drop(child);

    // Without any database setting, serve says how to give one.
    let out = command().arg("serve").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database: pass --database"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The status of `method path` (with `form`, if any) on the server at `address`.
fn status_of(address: &str, method: &str, path: &str, form: &str) -> u16 {
    let answer = http(
        address,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    );
    answer.split(' ').nth(1).unwrap().parse().unwrap()
}

#[test]
fn the_server_logs_each_request_as_json_and_never_a_password() {
    let _group = crate::group("cli");
    use std::io::{BufRead as _, Read as _};
    let data = std::env::temp_dir().join(format!("atoll-log-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut child = crate::common::command()
        .args([
            "demo",
            "--paused",
            "--bind",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--data",
        ])
        .arg(&data)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let address = first.split("http://").nth(1).unwrap().trim_end_matches('/').to_owned();
    assert_eq!(status_of(&address, "GET", "/login", ""), 200);
    let secret = "not-the-password-42";
    assert_eq!(
        status_of(
            &address,
            "POST",
            "/login",
            &format!("username=instructor&password={secret}")
        ),
        401
    );
    assert_eq!(status_of(&address, "GET", "/invite/abcdef0123456789", ""), 404);
    // A request for a name the demo does not answer to is refused, and logged.
    let misdirected = http(
        &address,
        "GET /login HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    );
    assert!(misdirected.starts_with("HTTP/1.1 421"), "{misdirected}");
    let port = address.rsplit(':').next().unwrap();
    let localhost = http(
        &address,
        &format!("GET /login HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"),
    );
    assert!(localhost.starts_with("HTTP/1.1 200"), "{localhost}");
    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    let _ = std::fs::remove_dir_all(&data);
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let answered = |method: &str, route: &str| {
        events.iter().find(|e| {
            e["fields"]["message"] == "answered" && e["span"]["method"] == method && e["span"]["route"] == route
        })
    };
    let login = answered("GET", "/login").unwrap_or_else(|| panic!("{log}"));
    assert_eq!(login["fields"]["status"], 200, "{login}");
    assert!(
        login["fields"]["latency_ms"].is_u64() && login["span"]["id"].is_u64(),
        "{login}"
    );
    let refused = answered("POST", "/login").unwrap_or_else(|| panic!("{log}"));
    assert_eq!(refused["fields"]["status"], 401, "{refused}");
    // The route as written in the router: an invitation's token is not in the log.
    let invite = answered("GET", "/invite/{token}").unwrap_or_else(|| panic!("{log}"));
    assert_eq!(invite["fields"]["status"], 404, "{invite}");
    assert!(!log.contains(secret) && !log.contains("abcdef0123456789"), "{log}");
    assert!(
        events.iter().any(
            |e| e["fields"]["message"] == "request refused: not a host name this server answers to"
                && e["fields"]["host"] == "evil.example"
        ),
        "{log}"
    );
}

#[test]
fn simulating_past_the_end_of_play_stops_at_the_end_and_says_so() {
    let _group = crate::group("cli");
    let dir = std::env::temp_dir().join(format!("atoll-cli-simend-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (long, end) = (dir.join("long.jsonl"), dir.join("end.jsonl"));
    let simulate = |until: &str, out: &std::path::Path| {
        atoll(&[
            "simulate",
            "crates/exercise/tests/data/conditions.yaml",
            "--seed",
            "4",
            "--until",
            until,
            "--out",
            out.to_str().unwrap(),
        ])
    };
    // The scenario plays for 8 hours: a day asked for is 8 hours given, with a warning.
    let out = simulate("1d", &long);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "crates/exercise/tests/data/conditions.yaml: warning: --until 1d goes past the end of play (8h after the start); simulating to the end"
        ) && stderr.contains(" events over 8h of exercise time"),
        "{stderr}"
    );
    let out = simulate("8h", &end);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("warning"));
    assert_eq!(
        std::fs::read(&long).unwrap(),
        std::fs::read(&end).unwrap(),
        "the same events as up to the end"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hunt_refuses_a_line_longer_than_a_mebibyte_and_reads_on() {
    let _group = crate::group("cli");
    let dir = std::env::temp_dir().join(format!("atoll-cli-hunt-long-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 3 MiB of NUL bytes and no newline: one line, refused without being held whole.
    let zeros = dir.join("zeros.bin");
    std::fs::write(&zeros, vec![0u8; 3 << 20]).unwrap();
    let out = atoll(&["hunt", zeros.to_str().unwrap(), "", "--format", "count"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "0\n");
    assert_eq!(
        text(&out.stderr),
        format!(
            "{f}:1: error: a line longer than 1 MiB (1048576 bytes) is not an event; skipped\n\
             {f}: 1 line was not an event and was left out\n",
            f = zeros.display()
        )
    );
    // Between two events, a line one byte too long is left out and the next is read.
    let events = dir.join("events.jsonl");
    let long = format!("{{\"host\":\"{}\"}}", "x".repeat((1 << 20) - 10));
    assert_eq!(long.len(), (1 << 20) + 1);
    std::fs::write(
        &events,
        format!("{{\"host\":\"a\",\"log\":\"dns\"}}\n{long}\n{{\"host\":\"c\",\"log\":\"dns\"}}\n"),
    )
    .unwrap();
    let out = atoll(&["hunt", events.to_str().unwrap(), "log:dns", "--format", "count"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "2\n");
    assert_eq!(
        text(&out.stderr),
        format!(
            "{f}:2: error: a line longer than 1 MiB (1048576 bytes) is not an event; skipped\n\
             {f}: 1 line was not an event and was left out\n",
            f = events.display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sigma_refuses_an_object_longer_than_a_mebibyte_and_reads_on() {
    let _group = crate::group("cli");
    let dir = std::env::temp_dir().join(format!("atoll-cli-sigma-long-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rule = dir.join("whoami.yml");
    std::fs::write(
        &rule,
        "title: Whoami\nid: r-1\nauthor: atoll tests\nlevel: medium\nlogsource: {product: windows, category: process_creation}\n\
         detection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n",
    )
    .unwrap();
    // Objects one after another on one line (an EVTX dump's layout), the middle one too long.
    let whoami = r#"{"log": "sysmon", "EventID": 1, "Image": "C:\\W\\whoami.exe"}"#;
    let long = format!(r#"{{"log": "sysmon", "EventID": 1, "pad": "{}"}}"#, "x".repeat(1 << 20));
    let events = dir.join("events.json");
    std::fs::write(&events, format!("{whoami}{long}{whoami}\n")).unwrap();
    let (r, e) = (rule.to_str().unwrap(), events.to_str().unwrap());
    let out = atoll(&["sigma", "--rules", r, e]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let hits: Vec<u64> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(hits, [0, 2], "{stdout}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{e}:1:{}: a JSON object longer than 1 MiB (1048576 bytes) is not an event; skipped\n",
            whoami.len() + 1
        )),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("2 events, 2 matches, 1 rules, 1 unreadable events or inputs\n"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn report_writes_a_stored_exercises_report_without_a_server() {
    let _group = crate::group("cli");
    let dir = std::env::temp_dir().join(format!("atoll-report-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("atoll.db").display());
    let with_db = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--database", database.as_str()]);
        atoll(&all)
    };
    // Nothing there yet: said, and no database is made.
    let out = with_db(&["report", "--out", "-"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no such database"), "{}", text(&out.stderr));
    let out = with_db(&[
        "admin",
        "create-exercise",
        "scenarios/pacific-cable-shield.yaml",
        "--name",
        "Guam 2026",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // The whole exercise as JSON: every team, play not started.
    let out = with_db(&["report", "--format", "json", "--out", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["exercise"], "Guam 2026");
    let teams: Vec<&str> = report["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(teams, ["palau", "micronesia", "marshall-islands", "nauru", "kiribati"]);
    // One team's HTML, to a file; the same report twice gives the same bytes.
    let file = dir.join("palau.html");
    for _ in 0..2 {
        let out = with_db(&["report", "--team", "palau", "--out", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let first = std::fs::read_to_string(&file).unwrap();
    assert!(first.contains("Palau") && !first.contains("Nauru") && !first.contains("<script"));
    let again = with_db(&["report", "--team", "palau", "--out", "-"]);
    assert_eq!(text(&again.stdout), first, "same exercise, same bytes");
    // The STIX bundle passes OASIS's validator (installed by .ci/run).
    let stix = dir.join("palau-stix.json");
    let out = with_db(&[
        "report",
        "--team",
        "palau",
        "--format",
        "stix",
        "--out",
        stix.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let validator = std::env::var_os("ATOLL_PYTHON_BIN").map_or_else(
        || std::path::PathBuf::from("stix2_validator"),
        |bin| std::path::PathBuf::from(bin).join("stix2_validator"),
    );
    let checked = std::process::Command::new(&validator)
        .arg(&stix)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; this test needs PyPI's stix2-validator (.ci/run installs it and sets ATOLL_PYTHON_BIN)",
                validator.display()
            )
        });
    assert!(
        checked.status.success() && text(&checked.stdout).contains("STIX JSON: Valid"),
        "{}{}",
        text(&checked.stdout),
        text(&checked.stderr)
    );
    // Mistakes are named.
    let out = with_db(&["report", "--team", "guam", "--out", "-"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--team: no team `guam`"),
        "{}",
        text(&out.stderr)
    );
    let out = with_db(&["report", "--format", "stix", "--out", "-"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("add --team"), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
