//! Query → expected events (or table) over the fixture, and errors with their columns.

use atoll_hunt::{Calendar, Context, Limits, Output, Page, Row};

use crate::{fixture, rows, run};

fn guam() -> Context {
    Context {
        now: None,
        calendar: Some(Calendar {
            day_one: jiff::civil::date(2026, 6, 1),
            zone: jiff::tz::TimeZone::get("Pacific/Guam").unwrap(),
        }),
    }
}

#[track_caller]
fn check(query: &str, expect: &[Row]) {
    let store = fixture();
    let answer = run(&store, query, &guam());
    assert_eq!(rows(&answer), expect, "{query}");
}

#[track_caller]
fn check_table(query: &str, columns: &[&str], expect: &[&[&str]]) {
    let store = fixture();
    let answer = run(&store, query, &guam());
    let Output::Table(table) = &answer.output else {
        panic!("{query}: expected a table")
    };
    assert_eq!(table.columns, columns, "{query}");
    let got: Vec<Vec<&str>> = table
        .rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(got, expect, "{query}");
}

#[track_caller]
fn check_error(query: &str, column: usize, message: &str) {
    let store = fixture();
    let err = store
        .search(query, &Context::default(), &Limits::default(), Page::ALL)
        .unwrap_err();
    assert_eq!((err.column, err.message.as_str()), (column, message), "{query}");
}

#[test]
fn field_values_wildcards_and_case() {
    check("CommandLine:*ntdsutil*", &[3]);
    check("commandline:*NTDSUTIL*", &[3]);
    check(r"Image:*\powershell.exe", &[4]);
    check(r"Image:C:\Windows\System32\*", &[3, 4]);
    check(r#"CommandLine:"ntdsutil \"ac i ntds\"*""#, &[3]);
    check("host:pt-dc0?", &[0, 1, 2, 3, 11]);
    check("EventID:4625", &[1, 2]);
    check("eventid:4688", &[10]);
    check("EventID:46*", &[0, 1, 2, 10]);
    check("TargetUserName:admin", &[]);
    check("TargetUserName:admin*", &[1, 2]);
    check("@timestamp:2026-06-01T00:05*", &[1, 2]);
}

#[test]
fn free_text_and_phrases() {
    check("ntdsutil", &[3]);
    check(r#""create full""#, &[3]);
    check("203.0.113.45", &[1, 2, 7, 9]);
    check("svc_backup", &[0, 10]);
    check("pt-dc0?", &[0, 1, 2, 3, 11]);
    check("2026-06-01", &[]);
    check("vssadmin shadows", &[10]);
}

#[test]
fn boolean_logic() {
    check("IpAddress:203.0.113.45 OR dst_ip:203.0.113.45", &[1, 2, 7]);
    check("log:dns AND NOT rcode:NOERROR", &[6]);
    check("log:dns not rcode:noerror", &[6]);
    check("dst_port:443 OR (log:dns rcode:NXDOMAIN)", &[6, 7]);
    check("host!=PT-DC01", &[12, 4, 5, 6, 7, 8, 9, 10]);
    check("NOT host:pt-dc01", &[12, 4, 5, 6, 7, 8, 9, 10]);
    check("rcode!=NOERROR", &[6]);
    check("NOT rcode:NOERROR log:syslog", &[12, 9]);
    // The event without a time comes first: its time is unknown, so it sorts before all others.
    check("*", &[12, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
}

#[test]
fn comparisons_and_exists() {
    check("EventID >= 4624", &[0, 1, 2, 10]);
    check("EventID < 4624", &[3, 4, 11]);
    check("EventID>=4624 EventID<4700", &[0, 1, 2, 10]);
    check("bytes > 1000000", &[7]);
    check("bytes:<5000", &[8]);
    check("_exists_:CommandLine", &[3, 4, 10]);
    check("CommandLine:*", &[3, 4, 10]);
    check("_exists_:@timestamp", &(0..12).collect::<Vec<_>>());
    check("host > PT-F", &[12, 4, 9, 10]);
    check("host > pt-f", &[12, 4, 9, 10]);
}

#[test]
fn time_ranges() {
    check(
        "earliest:2026-06-01T01:00:00Z latest:2026-06-01T02:00:00Z",
        &[3, 4, 5, 6],
    );
    check("@timestamp >= 2026-06-01T03:00:00Z", &[9, 10, 11]);
    check("@timestamp < 2026-06-01T00:05:01Z", &[0, 1]);
    // "now" is the newest event (03:20) unless the context says otherwise.
    check("earliest:-1h", &[9, 10, 11]);
    check("earliest:now-61m latest:now", &[9, 10]);
    // Day 1 is 1 June in Guam (UTC+10): D1 11:00 is 01:00 UTC.
    check(r#"earliest:"D1 11:00" latest:"D1 12:00""#, &[3, 4, 5, 6]);
    let err = fixture()
        .search("earliest:D99999999", &guam(), &Limits::default(), Page::ALL)
        .unwrap_err();
    assert!(err.message.starts_with("day 99999999: "), "{err}");
    check("earliest:2026-06-01 latest:2026-06-02 log:syslog", &[9]);
}

#[test]
fn stages() {
    check_table(
        "EventID:4625 | stats count by host, TargetUserName",
        &["host", "TargetUserName", "count"],
        &[&["PT-DC01", "admin.jtellei", "2"]],
    );
    check_table(
        "| stats count by log",
        &["log", "count"],
        &[
            &["security", "5"],
            &["dns", "2"],
            &["netflow", "2"],
            &["syslog", "2"],
            &["sysmon", "2"],
        ],
    );
    check_table("| stats count", &["count"], &[&["13"]]);
    check_table(
        "| stats count by log | sort log | head 2",
        &["log", "count"],
        &[&["dns", "2"], &["netflow", "2"]],
    );
    check_table(
        "| stats count by host | sort -count, host | tail 1",
        &["host", "count"],
        &[&["PT-VPN01", "1"]],
    );
    check("log:security | sort -@timestamp | head 2", &[11, 10]);
    check("log:netflow | sort bytes", &[8, 7]);
    check("host:pt-dc01 | tail 2", &[3, 11]);
    check("| sort message", &[9, 12, 0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11]);
    check_table(
        "log:netflow | sort -bytes | table host, dst_ip, bytes",
        &["host", "dst_ip", "bytes"],
        &[
            &["PT-CORE-RTR01", "203.0.113.45", "1500000"],
            &["PT-CORE-RTR01", "52.40.238.68", "4709"],
        ],
    );
    check_table(
        "log:netflow OR log:dns | table host, bytes | sort -bytes | head 2",
        &["host", "bytes"],
        &[&["PT-CORE-RTR01", "1500000"], &["PT-CORE-RTR01", "4709"]],
    );
    check_table(
        "log:security | timeline 1h",
        &["time", "count"],
        &[
            &["2026-06-01T00:00:00.000Z", "3"],
            &["2026-06-01T01:00:00.000Z", "0"],
            &["2026-06-01T02:00:00.000Z", "0"],
            &["2026-06-01T03:00:00.000Z", "2"],
        ],
    );
    let store = fixture();
    let answer = crate::run(&store, "log:syslog | timeline 1d", &guam());
    assert_eq!(answer.notes, ["1 events without a time are not in the timeline"]);
}

#[test]
fn pages() {
    let store = fixture();
    let answer = store
        .search(
            "log:security",
            &Context::default(),
            &Limits::default(),
            Page { offset: 1, limit: 2 },
        )
        .unwrap();
    assert_eq!((answer.matched, answer.total), (5, 5));
    assert_eq!(rows(&answer), [1, 2]);
    let answer = store
        .search(
            "| stats count by log",
            &Context::default(),
            &Limits::default(),
            Page { offset: 4, limit: 10 },
        )
        .unwrap();
    let Output::Table(t) = answer.output else { panic!() };
    assert_eq!((answer.total, t.rows.len()), (5, 1));
}

#[test]
fn errors_teach() {
    check_error(
        "comandline:*ntds*",
        1,
        "no event has a field `comandline`; did you mean `CommandLine`?",
    );
    check_error(
        "log:dns TargetUsrName:x",
        9,
        "no event has a field `TargetUsrName`; did you mean `TargetUserName`?",
    );
    check_error(
        r"C:\Windows",
        1,
        "no event has a field `C` (the commonest are `host`, `log`, `team`, `@timestamp`, `EventID`, `src_ip`, `CommandLine`, `IpAddress`); to search for text with a `:` in it, put it in quotes",
    );
    check_error(
        "| stats count by host | table host",
        31,
        "`table` shows events; put it before `stats` or `timeline`",
    );
    check_error(
        "log:dns | stats count by host | sort hots",
        38,
        "no column `hots` to sort by; the columns are host, count",
    );
    check_error(
        r#"earliest:"D1 10:00""#,
        1,
        "exercise days (D2 08:30) need the exercise's calendar here; give a time such as 2026-06-02T08:30:00Z",
    );
    check_error(
        "@timestamp > yesterday",
        1,
        "`@timestamp` compares with a time such as 2026-06-02T08:30:00Z, not `yesterday`",
    );
    check_error(
        "| timeline 1s",
        0,
        "a timeline of these events in buckets of 1s would have 12000 bars (the limit is 5000); use a larger bucket",
    );
    check_error("(log:dns", 9, "expected `)` to close the `(` at column 1");
}

#[test]
fn fields_for_autocomplete() {
    let store = fixture();
    assert_eq!(store.complete_field("co", 5), ["CommandLine"]);
    assert_eq!(store.complete_field("t", 2), ["team", "TargetUserName"]);
    assert_eq!(store.complete_field("", 3), ["host", "log", "team"]);
    assert_eq!(
        store.top_values("log", 2),
        [("security".to_owned(), 5), ("dns".to_owned(), 2)]
    );
}

#[test]
fn case_variants_and_json_types() {
    let mut store = atoll_hunt::Store::new();
    for line in [
        r#"{"log":"sysmon","User":"PACTEL\\a"}"#,
        r#"{"log":"cisco_aaa","user":"netops"}"#,
        r#"{"log":"security","EventID":4625}"#,
        r#"{"log":"security","EventID":"4625"}"#,
        r#"{"log":"netflow","bytes":"900"}"#,
        r#"{"log":"netflow","bytes":"10000"}"#,
    ] {
        store.push_json(line).unwrap();
    }
    let run = |q: &str| store.search(q, &Context::default(), &Limits::default(), Page::ALL);
    assert_eq!(rows(&run("user:netops").unwrap()), [1]);
    assert_eq!(
        rows(&run("USER:*").unwrap()),
        [0, 1],
        "a search term looks in every case variant"
    );
    assert_eq!(rows(&run("User:*").unwrap()), [0, 1]);
    let err = run("| stats count by USER").unwrap_err();
    assert_eq!(
        (err.column, err.message.as_str()),
        (18, "`USER` could be `User` or `user`; write the name exactly")
    );
    let Output::Table(t) = run("| stats count by EventID").unwrap().output else {
        panic!()
    };
    assert_eq!(t.rows, [["4625", "2"]], "4625 and \"4625\" are one group");
    assert_eq!(store.top_values("EventID", 5), [("4625".to_owned(), 2)]);
    assert_eq!(
        rows(&run("_exists_:bytes | sort -bytes").unwrap()),
        [5, 4],
        "numbers written as text sort as numbers"
    );
    assert_eq!(rows(&run("bytes > 1000").unwrap()), [5]);
    // Without any time, "now" is not a time every event is after.
    assert!(rows(&run("earliest:-2h").unwrap()).is_empty());
    assert_eq!(rows(&run("NOT earliest:-2h").unwrap()), [0, 1, 2, 3, 4, 5]);
}
