//! Sigma semantics on small hand-written rules: each test states a rule, events, and which of
//! them match, for a reason a reader can check against the Sigma specification.

use atoll_sigma::{Config, Event, RuleSet, Stream};

fn set(yaml: &str) -> RuleSet {
    let (rules, _) = atoll_sigma::load_str(yaml, &Config::default()).unwrap_or_else(|e| panic!("{e:?}"));
    RuleSet::new(rules)
}

/// Which of the events (JSON) the single rule matches, by detection only.
fn hits(yaml: &str, events: &[&str]) -> Vec<bool> {
    let s = set(yaml);
    events
        .iter()
        .map(|e| {
            let event = Event::from_json(e).unwrap();
            !s.matches_ignoring_logsource(&event).is_empty()
        })
        .collect()
}

fn rule(detection: &str) -> String {
    format!("title: t\nlogsource: {{product: windows}}\ndetection:\n{detection}\n")
}

#[test]
fn equality_is_case_insensitive_and_whole_value_unless_cased() {
    let r = rule("  sel:\n    Image: 'C:\\Windows\\cmd.exe'\n  condition: sel");
    assert_eq!(
        hits(
            &r,
            &[
                r#"{"Image": "c:\\windows\\CMD.EXE"}"#,
                r#"{"Image": "C:\\Windows\\cmd.exe2"}"#
            ]
        ),
        [true, false]
    );
    let r = rule("  sel:\n    Image|cased: 'CMD'\n  condition: sel");
    assert_eq!(hits(&r, &[r#"{"Image": "CMD"}"#, r#"{"Image": "cmd"}"#]), [true, false]);
}

#[test]
fn wildcards_and_escapes() {
    let r = rule("  sel:\n    CommandLine: '*-enc ?A*'\n  condition: sel");
    assert_eq!(
        hits(
            &r,
            &[r#"{"CommandLine": "x -ENC zA y"}"#, r#"{"CommandLine": "x -enc A"}"#]
        ),
        [true, false]
    );
    let r = rule("  sel:\n    CommandLine: 'a\\*b'\n  condition: sel");
    assert_eq!(
        hits(&r, &[r#"{"CommandLine": "a*b"}"#, r#"{"CommandLine": "axb"}"#]),
        [true, false]
    );
}

#[test]
fn numbers_match_their_text() {
    let r = rule("  sel:\n    EventID: 4688\n  condition: sel");
    assert_eq!(
        hits(
            &r,
            &[r#"{"EventID": 4688}"#, r#"{"EventID": "4688"}"#, r#"{"EventID": 4689}"#]
        ),
        [true, true, false]
    );
}

#[test]
fn lists_are_or_and_all_is_and() {
    let r = rule("  sel:\n    CommandLine|contains|all:\n      - 'a'\n      - 'b'\n  condition: sel");
    assert_eq!(
        hits(&r, &[r#"{"CommandLine": "xaxb"}"#, r#"{"CommandLine": "xa"}"#]),
        [true, false]
    );
    let r = rule("  sel:\n    CommandLine|contains:\n      - 'a'\n      - 'b'\n  condition: sel");
    assert_eq!(
        hits(&r, &[r#"{"CommandLine": "xb"}"#, r#"{"CommandLine": "xc"}"#]),
        [true, false]
    );
}

#[test]
fn null_exists_and_empty() {
    let r = rule("  sel:\n    ParentImage: null\n  condition: sel");
    assert_eq!(
        hits(
            &r,
            &[
                r#"{"Image": "x"}"#,
                r#"{"ParentImage": null}"#,
                r#"{"ParentImage": "p"}"#
            ]
        ),
        [true, true, false]
    );
    let r = rule("  sel:\n    ParentImage|exists: true\n  condition: sel");
    assert_eq!(
        hits(&r, &[r#"{"Image": "x"}"#, r#"{"ParentImage": "p"}"#]),
        [false, true]
    );
    let r = rule("  sel:\n    CommandLine: ''\n  condition: sel");
    assert_eq!(
        hits(&r, &[r#"{"CommandLine": ""}"#, r#"{"CommandLine": "x"}"#]),
        [true, false]
    );
}

#[test]
fn regex_cidr_and_comparisons() {
    let r = rule("  sel:\n    CommandLine|re|i: '^NET\\s+USER'\n  condition: sel");
    assert_eq!(
        hits(
            &r,
            &[r#"{"CommandLine": "net  user x"}"#, r#"{"CommandLine": "xnet user"}"#]
        ),
        [true, false]
    );
    let r = rule("  sel:\n    DestinationIp|cidr: '10.20.0.0/16'\n  condition: sel");
    assert_eq!(
        hits(
            &r,
            &[
                r#"{"DestinationIp": "10.20.5.1"}"#,
                r#"{"DestinationIp": "10.21.0.1"}"#,
                r#"{"DestinationIp": "x"}"#
            ]
        ),
        [true, false, false]
    );
    let r = rule("  sel:\n    LogonType|gte: 10\n  condition: sel");
    assert_eq!(
        hits(
            &r,
            &[r#"{"LogonType": 10}"#, r#"{"LogonType": "11"}"#, r#"{"LogonType": 3}"#]
        ),
        [true, true, false]
    );
}

#[test]
fn fieldref_compares_two_fields() {
    let r = rule("  sel:\n    SourceImage|fieldref: TargetImage\n  condition: sel");
    assert_eq!(
        hits(
            &r,
            &[
                r#"{"SourceImage": "A", "TargetImage": "a"}"#,
                r#"{"SourceImage": "a", "TargetImage": "b"}"#
            ]
        ),
        [true, false]
    );
}

#[test]
fn encodings() {
    // "http://" base64-encoded at some offset inside a longer encoded command.
    let r = rule("  sel:\n    CommandLine|base64offset|contains: 'http://'\n  condition: sel");
    let encoded = "powershell -enc aHR0cDovL2V4YW1wbGU="; // base64 of "http://example"
    assert_eq!(
        hits(
            &r,
            &[
                &format!(r#"{{"CommandLine": "{encoded}"}}"#),
                r#"{"CommandLine": "http://"}"#
            ]
        ),
        [true, false]
    );
    // `wide` encodes as UTF-16LE before base64: "ab" -> "YQBiAA==".
    let r = rule("  sel:\n    CommandLine|wide|base64: 'ab'\n  condition: sel");
    assert_eq!(
        hits(&r, &[r#"{"CommandLine": "YQBiAA=="}"#, r#"{"CommandLine": "YWI="}"#]),
        [true, false]
    );
    let r = rule("  sel:\n    CommandLine|windash|contains: ' -exec '\n  condition: sel");
    assert_eq!(
        hits(
            &r,
            &[
                r#"{"CommandLine": "x /exec y"}"#,
                "{\"CommandLine\": \"x \u{2013}exec y\"}",
                r#"{"CommandLine": "x exec y"}"#
            ]
        ),
        [true, true, false]
    );
}

#[test]
fn keywords_search_every_value() {
    let r = "title: t\nlogsource: {product: cisco, service: aaa}\ndetection:\n  keywords:\n    - 'no logging'\n  condition: keywords\n";
    assert_eq!(
        hits(
            r,
            &[
                r#"{"_raw": "logged command:NO LOGGING host 1"}"#,
                r#"{"_raw": "logging host"}"#
            ]
        ),
        [true, false]
    );
}

#[test]
fn keyword_rules_of_several_log_sources_see_only_their_events() {
    // Three keyword rules: any Windows event, Sysmon process creation only, and the System
    // log only. Two share a literal. An event routed to the first two is searched once for
    // both; the third's literals must not make it match an event it is not routed to.
    let rules = [
        ("any", "{product: windows}", "['mimikatz', 'sekurlsa::']"),
        (
            "proc",
            "{product: windows, category: process_creation}",
            "['\\perfc.dat', 'mimikatz']",
        ),
        (
            "system",
            "{product: windows, service: system}",
            "['\\perfc.dat', 'eventlog cleared']",
        ),
    ];
    let yaml: Vec<String> = rules
        .iter()
        .map(|(title, ls, words)| {
            format!("title: {title}\nlogsource: {ls}\ndetection:\n  keywords: {words}\n  condition: keywords\n")
        })
        .collect();
    let s = set(&yaml.join("---\n"));
    let titles = |json: &str| -> Vec<&str> {
        let e = Event::from_json(json).unwrap();
        s.matches(&e).iter().map(|&i| s.rules()[i].title.as_str()).collect()
    };
    let sysmon = r#""Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1"#;
    let system = r#""Channel": "System", "EventID": 104"#;
    // Long values take the SIMD presence test, short ones the literal finder alone.
    let long = "x".repeat(300);
    assert_eq!(
        titles(&format!(r#"{{{sysmon}, "CommandLine": "C:\\x\\perfc.dat"}}"#)),
        ["proc"]
    );
    assert_eq!(
        titles(&format!(
            r#"{{{sysmon}, "CommandLine": "{long} C:\\x\\PERFC.DAT {long}"}}"#
        )),
        ["proc"]
    );
    assert_eq!(
        titles(&format!(r#"{{{sysmon}, "a": "{long}", "b": "Mimikatz"}}"#)),
        ["any", "proc"]
    );
    assert_eq!(
        titles(&format!(r#"{{{sysmon}, "a": "{long}", "b": "{long}"}}"#)),
        Vec::<&str>::new()
    );
    assert_eq!(
        titles(&format!(r#"{{{system}, "a": "{long} perfc.dat sekurlsa::x"}}"#)),
        ["any"]
    );
    assert_eq!(titles(&format!(r#"{{{system}, "a": "c:\\perfc.dat"}}"#)), ["system"]);
    assert_eq!(
        titles(&format!(r#"{{{system}, "a": "EventLog cleared", "b": "{long}"}}"#)),
        ["system"]
    );
}

#[test]
fn keywords_that_are_not_a_rules_trigger_are_still_searched() {
    // The prefilter triggers on the image; the keyword is only evaluated. Both conditions must
    // see the event's values, routed and prefiltered as in a live exercise.
    let sysmon = r#"{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd /c whoami /all"}"#;
    let quiet = r#"{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd /c dir"}"#;
    for (condition, expected) in [("sel and kw", [true, false]), ("sel and not kw", [false, true])] {
        let s = set(&format!(
            "title: t\nlogsource: {{product: windows, category: process_creation}}\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n  kw: ['whoami']\n  condition: {condition}\n"
        ));
        let got: Vec<bool> = [sysmon, quiet]
            .iter()
            .map(|e| !s.matches(&Event::from_json(e).unwrap()).is_empty())
            .collect();
        assert_eq!(got, expected, "{condition}");
        let reference: Vec<bool> = [sysmon, quiet]
            .iter()
            .map(|e| !s.matches_unfiltered(&Event::from_json(e).unwrap()).is_empty())
            .collect();
        assert_eq!(got, reference, "{condition}: the prefilter changes nothing");
    }
}

#[test]
fn conditions_with_quantifiers() {
    let r = rule(
        "  sel_a:\n    A: '1'\n  sel_b:\n    B: '1'\n  filter:\n    C: '1'\n  condition: 1 of sel_* and not filter",
    );
    assert_eq!(
        hits(&r, &[r#"{"A": "1"}"#, r#"{"B": "1", "C": "1"}"#, r#"{"D": "1"}"#]),
        [true, false, false]
    );
    let r = rule("  sel_a:\n    A: '1'\n  sel_b:\n    B: '1'\n  condition: all of them");
    assert_eq!(hits(&r, &[r#"{"A": "1", "B": "1"}"#, r#"{"A": "1"}"#]), [true, false]);
}

#[test]
fn routing_by_channel_and_4688_field_names() {
    let s = set(
        "title: t\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n",
    );
    let sysmon = r#"{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Image": "C:\\w\\whoami.exe"}"#;
    let security = r#"{"Channel": "Security", "EventID": 4688, "NewProcessName": "C:\\w\\whoami.exe"}"#;
    let wrong = r#"{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 11, "Image": "C:\\w\\whoami.exe"}"#;
    let by_log = r#"{"log": "sysmon", "EventID": 1, "Image": "C:\\w\\whoami.exe"}"#;
    let got: Vec<bool> = [sysmon, security, wrong, by_log]
        .iter()
        .map(|e| !s.matches(&Event::from_json(e).unwrap()).is_empty())
        .collect();
    assert_eq!(got, [true, true, false, true]);
}

#[test]
fn bad_rules_are_refused_with_their_place() {
    let bad = rule("  sel:\n    Image|contans: x\n  condition: sel");
    let e = atoll_sigma::load_str(&bad, &Config::default()).unwrap_err();
    assert_eq!(
        (e[0].span.line, e[0].message.as_str()),
        (5, "unknown modifier `contans`; did you mean `contains`?")
    );
    let bad = rule("  sel:\n    Image: x\n  condition: sel and filtr");
    let e = atoll_sigma::load_str(&bad, &Config::default()).unwrap_err();
    assert!(
        e[0].message.contains("`filtr`, which is not a detection"),
        "{}",
        e[0].message
    );
    let bad = rule("  sel:\n    Image|re: '(unclosed'\n  condition: sel");
    assert!(
        atoll_sigma::load_str(&bad, &Config::default()).unwrap_err()[0]
            .message
            .contains("does not compile")
    );
}

#[test]
fn a_pathological_regex_is_refused_not_run() {
    let bad = rule("  sel:\n    Image|re: '(a{1,1000}){1,1000}'\n  condition: sel");
    let e = atoll_sigma::load_str(&bad, &Config::default()).unwrap_err();
    assert!(e[0].message.contains("size limit"), "{}", e[0].message);
}

const BRUTE_FORCE: &str = "title: failed logon
id: base-4625
name: failed_logon
logsource: {product: windows, service: security}
detection:
  sel:
    EventID: 4625
  condition: sel
---
title: Many failed logons from one address
id: corr-1
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 5m
  condition: {gte: 3}
level: high
";

fn failed(ip: &str, second: u32) -> String {
    format!(
        r#"{{"@timestamp": "2026-03-01T00:{:02}:{:02}Z", "Channel": "Security", "EventID": 4625, "IpAddress": "{ip}"}}"#,
        second / 60,
        second % 60
    )
}

#[test]
fn event_count_correlation_fires_once_per_burst_and_only_within_its_timespan() {
    let (rules, correlations) = atoll_sigma::load_str(BRUTE_FORCE, &Config::default()).unwrap();
    let set = RuleSet::new(rules);
    let mut stream = Stream::new(&set, correlations).unwrap();
    let mut fired = Vec::new();
    // 10.0.0.1: three failures in 2 minutes → fires at the third. 10.0.0.2: three failures
    // spread over 12 minutes → never three within 5 minutes.
    for (i, (ip, t)) in [
        ("10.0.0.1", 0),
        ("10.0.0.2", 0),
        ("10.0.0.1", 60),
        ("10.0.0.2", 360),
        ("10.0.0.1", 120),
        ("10.0.0.2", 720),
    ]
    .iter()
    .enumerate()
    {
        let line = failed(ip, *t);
        let out = stream.push(&Event::from_json(&line).unwrap());
        // generate is false: the base rule raises nothing of its own.
        assert!(out.rules.is_empty());
        for c in out.correlations {
            fired.push((i, c.group, c.count));
        }
    }
    assert_eq!(
        fired,
        vec![(4, vec![("IpAddress".to_owned(), "10.0.0.1".to_owned())], 3)]
    );
}

#[test]
fn temporal_correlation_needs_every_rule_in_the_window() {
    let yaml = "title: a\nname: a\nlogsource: {product: windows}\ndetection:\n  s:\n    X: a\n  condition: s\n---\ntitle: b\nname: b\nlogsource: {product: windows}\ndetection:\n  s:\n    X: b\n  condition: s\n---\ntitle: a then b\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  group-by: [host]\n  timespan: 10m\n";
    let (rules, correlations) = atoll_sigma::load_str(yaml, &Config::default()).unwrap();
    let set = RuleSet::new(rules);
    let mut stream = Stream::new(&set, correlations).unwrap();
    let ev = |x: &str, host: &str, minute: u32| {
        format!(
            r#"{{"@timestamp": "2026-03-01T01:{minute:02}:00Z", "Channel": "System", "X": "{x}", "host": "{host}"}}"#
        )
    };
    let fired: Vec<usize> = [ev("a", "h1", 0), ev("b", "h2", 1), ev("b", "h1", 20), ev("a", "h2", 5)]
        .iter()
        .map(|l| stream.push(&Event::from_json(l).unwrap()).correlations.len())
        .collect();
    // h1: a and b 20 minutes apart (no); h2: b then a within 4 minutes (yes, unordered).
    assert_eq!(fired, [0, 0, 0, 1]);
}

#[test]
fn correlations_naming_unknown_rules_are_refused() {
    let yaml = "title: x\ncorrelation:\n  type: event_count\n  rules: [nope]\n  timespan: 1m\n  condition: {gte: 2}\n";
    let (rules, correlations) = atoll_sigma::load_str(yaml, &Config::default()).unwrap();
    let set = RuleSet::new(rules);
    let err = Stream::new(&set, correlations).unwrap_err();
    assert!(err[0].contains("`nope`"), "{err:?}");
}

#[test]
fn only_the_first_values_of_a_long_list_are_matched() {
    let r = rule("  sel:\n    Tag: 'needle'\n  condition: sel");
    let list = |at: usize| {
        let mut values = vec!["\"hay\""; atoll_sigma::MAX_VALUES_PER_FIELD + 10];
        values[at] = "\"needle\"";
        format!(r#"{{"Tag": [{}]}}"#, values.join(","))
    };
    let last_matched = atoll_sigma::MAX_VALUES_PER_FIELD - 1;
    let first_ignored = atoll_sigma::MAX_VALUES_PER_FIELD;
    assert_eq!(
        hits(&r, &[&list(0), &list(last_matched), &list(first_ignored)]),
        [true, true, false]
    );
}

/// Keywords are searched in the product's own text, not in the fields atoll writes around
/// each simulated event: `log: cisco_aaa` holds `aaa`, a keyword of SigmaHQ's Cisco rules,
/// and would make every router accounting line an alert.
#[test]
fn keywords_skip_the_envelope_atoll_adds() {
    let r = "title: t\nlogsource: {product: cisco, service: aaa}\ndetection:\n  keywords:\n    - 'aaa'\n    - 'username'\n  condition: keywords\n";
    assert_eq!(
        hits(
            r,
            &[
                r#"{"log": "cisco_aaa", "team": "aaa", "host": "AAA-RTR", "command": "show controllers"}"#,
                r#"{"log": "cisco_aaa", "command": "no aaa new-model"}"#,
                r#"{"log": "cisco_aaa", "command": "username backup privilege 15"}"#,
            ]
        ),
        [false, true, true]
    );
}
