//! Conformance with SigmaHQ's own regression data and with the threat cases of
//! `../shared/research/threat-cases.jsonl`.
//!
//! Every regression case names a rule and an event file (a nested EVTX-dump JSON and the
//! `.evtx` it came from) and says how many times the rule fires on it. Both inputs are run
//! through the full path: reading, log source routing, prefilter, evaluation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use atoll_sigma::{Config, Event, Loaded, RuleSet};

use crate::shared;

struct Corpus {
    set: RuleSet,
    by_id: BTreeMap<String, usize>,
    load_errors: usize,
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let sigma = shared().join("sigma");
        let folders = ["rules", "rules-emerging-threats", "rules-threat-hunting"].map(|f| sigma.join(f));
        // Two rules compare against a list of the site's certificate-distribution hosts
        // (`expand: %known_cdcs%`); without one they rightly fail to load.
        let mut config = Config::default();
        config.placeholders.insert("known_cdcs".into(), vec!["CDC01$".into()]);
        let Loaded { rules, errors, .. } = atoll_sigma::load(&folders, &config);
        for e in &errors {
            eprintln!("{e}");
        }
        let set = RuleSet::new(rules);
        let by_id = set
            .rules()
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.id.clone().map(|id| (id, i)))
            .collect();
        Corpus {
            set,
            by_id,
            load_errors: errors.len(),
        }
    })
}

#[derive(Debug)]
struct Case {
    rule_id: String,
    /// `None`: the case gives no count, so at least one match.
    expected: Option<usize>,
    json: PathBuf,
    evtx: PathBuf,
}

/// The regression cases: (rule id, expected matches, event files) from every `info.yml`.
fn regression_cases() -> Vec<Case> {
    let root = shared().join("sigma");
    let infos = crate::files_under(&root.join("regression_data"), |p| {
        p.file_name().is_some_and(|n| n == "info.yml")
    });
    let mut cases = Vec::new();
    for info in infos {
        let text = std::fs::read_to_string(&info).unwrap();
        let docs = atoll_yaml::parse(
            &text,
            &atoll_yaml::Limits {
                noun: "info",
                max_file_bytes: 1 << 20,
                max_documents: 1,
                max_nodes: 10_000,
                max_depth: 16,
                too_large_hint: "",
            },
        )
        .unwrap();
        let doc = &docs[0];
        let field = |node: &atoll_yaml::Node, key: &str| -> Option<atoll_yaml::Node> {
            let atoll_yaml::Kind::Map(entries) = &node.kind else {
                return None;
            };
            entries
                .iter()
                .find(|(k, _)| matches!(&k.kind, atoll_yaml::Kind::Str(s) if s == key))
                .map(|(_, v)| v.clone())
        };
        let Some(tests) = field(doc, "regression_tests_info") else {
            continue;
        };
        let rule_id = match field(doc, "rule_metadata").map(|n| n.kind) {
            Some(atoll_yaml::Kind::Seq(items)) => match field(&items[0], "id").map(|n| n.kind) {
                Some(atoll_yaml::Kind::Str(s)) => s,
                other => panic!("{}: rule id {other:?}", info.display()),
            },
            other => panic!("{}: rule_metadata {other:?}", info.display()),
        };
        let atoll_yaml::Kind::Seq(tests) = tests.kind else {
            panic!()
        };
        for t in tests {
            let Some(atoll_yaml::Kind::Str(path)) = field(&t, "path").map(|n| n.kind) else {
                panic!()
            };
            let expected = match field(&t, "match_count").map(|n| n.kind) {
                Some(atoll_yaml::Kind::Int(n)) => Some(n as usize),
                None => None,
                Some(other) => panic!("{}: match_count {other:?}", info.display()),
            };
            let evtx = root.join(&path);
            cases.push(Case {
                rule_id: rule_id.clone(),
                expected,
                json: evtx.with_extension("json"),
                evtx,
            });
        }
    }
    cases
}

fn count_matches(path: &Path, rule: usize) -> (usize, usize) {
    let set = &corpus().set;
    let (mut events, mut hits) = (0, 0);
    atoll_sigma::input::read_path(
        path,
        &mut |_, e: &Event<'_>| {
            events += 1;
            let m = set.matches(e);
            // The prefilter and routing must agree with evaluating every routed rule.
            assert_eq!(m, set.matches_unfiltered(e), "{}: prefilter disagrees", path.display());
            if m.contains(&rule) {
                hits += 1;
            }
        },
        &mut |p| panic!("{}: {p}", path.display()),
    )
    .unwrap();
    (events, hits)
}

#[test]
fn sigmahq_rules_load() {
    let c = corpus();
    assert!(c.set.len() > 3_500, "only {} rules loaded", c.set.len());
    // Every rule of the snapshot is valid Sigma; any that fails is a bug of ours.
    assert_eq!(c.load_errors, 0, "rules failed to load (listed above)");
}

/// Cases whose `match_count` is lower than what the rule, read as written, matches: each event
/// counted here satisfies the rule's own text (checked by hand, and rsigma agrees), so the
/// count in `info.yml` is stale, not our engine. (rule id, matches we expect, why)
const COUNT_DIFFERS: &[(&str, usize, &str)] = &[
    (
        "0b9ad457-2554-44c1-82c2-d56a99c42377",
        3,
        "three of the five file events (user.conf.new, user.conf~RF….TMP, user.conf.new) contain          `\\AppData\\Roaming\\AnyDesk\\user.conf`",
    ),
    (
        "8fbf3271-1ef6-4e94-8210-03c2317947f6",
        3,
        "procdump64.exe, procdump64a.exe and procdump.exe are each dropped, and each ends with a          listed name",
    ),
    (
        "45e112d0-7759-4c2a-aa36-9f8fb79d3393",
        3,
        "three ZoneMap\\Domains values (https, http, *) are set to DWORD 2, none filtered",
    ),
    (
        "c7dcacd0-cc59-4004-b0a4-1d6cdebe6f3e",
        2,
        "both AutoShareServer and AutoShareWks are set to 0, and the rule lists both",
    ),
];

#[test]
fn every_windows_regression_case_fires_its_rule() {
    let cases = regression_cases();
    assert_eq!(cases.len(), 202, "the snapshot holds 202 regression cases");
    let mut failures = Vec::new();
    for case in &cases {
        let Some(&rule) = corpus().by_id.get(&case.rule_id) else {
            failures.push(format!("{}: rule {} not loaded", case.json.display(), case.rule_id));
            continue;
        };
        for path in [&case.json, &case.evtx] {
            let (events, hits) = count_matches(path, rule);
            assert!(events > 0, "{}: no events read", path.display());
            let expected = COUNT_DIFFERS
                .iter()
                .find(|(id, _, _)| *id == case.rule_id)
                .map(|(_, n, _)| *n)
                .or(case.expected);
            let ok = match expected {
                Some(n) => hits == n,
                None => hits >= 1,
            };
            if !ok {
                failures.push(format!(
                    "{}: rule {} \"{}\" fired {hits} times, expected {:?}",
                    path.display(),
                    case.rule_id,
                    corpus().set.rules()[rule].title,
                    case.expected
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn threat_cases_behave_as_expected() {
    let text = std::fs::read_to_string(shared().join("research/threat-cases.jsonl")).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = case["case"].as_str().unwrap();
        let rule_id = case["rule_id"].as_str().unwrap();
        let expect = case["expect_match"].as_bool().unwrap();
        let event_text = case["event"].to_string();
        let event = Event::from_json(&event_text).unwrap();
        let Some(&rule) = corpus().by_id.get(rule_id) else {
            failures.push(format!("{name}: rule {rule_id} not loaded"));
            continue;
        };
        // The cases give the fields a rule reads, not a whole log record: detection only.
        let fired = corpus().set.matches_ignoring_logsource(&event).contains(&rule);
        if fired != expect {
            failures.push(format!("{name}: rule {rule_id} fired={fired}, expected {expect}"));
        }
        checked += 1;
    }
    assert!(checked >= 140, "only {checked} cases");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
