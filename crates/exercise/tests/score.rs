//! Scoring on the bundled scenario: what a team's verdicts and actions earn, and the reason
//! given for each expectation.

use std::path::{Path, PathBuf};

use atoll_exercise::score::{Facts, Score, Standing, Verdict, score};
use atoll_exercise::{Setup, TeamRuntime};
use atoll_scenario::Scenario;
use atoll_sigma::{Config as RuleConfig, RuleSet};
use atoll_sim::campaign::Status;
use atoll_sim::clock::{HOUR, MINUTE};
use atoll_sim::{Action, ActionKind, DEFAULT_DATE};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scenario() -> &'static Scenario {
    Box::leak(Box::new(
        atoll_scenario::load_file(&root().join("scenarios/pacific-cable-shield.yaml"))
            .unwrap_or_else(|p| panic!("{}", p.render("scenario"))),
    ))
}

/// atoll's own rules: they see the web shell upload.
fn rules() -> &'static RuleSet {
    let loaded = atoll_sigma::load(&[root().join("rules")], &RuleConfig::default());
    Box::leak(Box::new(RuleSet::new(loaded.rules)))
}

fn runtime(s: &'static Scenario, actions: Vec<Action>, until: u64) -> TeamRuntime<'static> {
    let setup = Setup {
        seed: 5,
        date: DEFAULT_DATE,
        end: 12 * HOUR,
    };
    let mut team = TeamRuntime::new(s, &setup, "palau", rules(), Vec::new()).unwrap();
    for a in actions {
        team.act(a).unwrap();
    }
    team.advance_to(until);
    team
}

/// Minutes after the start, so that reasons are easy to check.
fn label(t: u64) -> String {
    format!("+{}m", t / MINUTE)
}

fn scored(s: &Scenario, team: &TeamRuntime<'_>, verdicts: &[Verdict<'_>], now: u64) -> Score {
    scored_at(s, team, verdicts, now, false)
}

fn scored_at(s: &Scenario, team: &TeamRuntime<'_>, verdicts: &[Verdict<'_>], now: u64, ended: bool) -> Score {
    let outcomes = team.outcomes();
    let downtime = team.downtime(now);
    let facts = Facts {
        team: "palau",
        outcomes: &outcomes,
        downtime: &downtime,
        verdicts,
        alerts: team.alerts(),
        now,
        ended,
    };
    score(s, &facts, &label, &|_| 0)
}

fn item<'a>(score: &'a Score, id: &str) -> &'a atoll_exercise::score::Item {
    score
        .items
        .iter()
        .find(|i| i.expectation == id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", score.items))
}

#[test]
fn detection_counts_a_true_positive_in_time_and_says_why() {
    let s = scenario();
    let team = runtime(s, Vec::new(), 6 * HOUR);
    let outcomes = team.outcomes();
    let exploit = outcomes.iter().find(|o| o.step == "vt-edge-exploit").unwrap();
    assert_eq!(exploit.status, Status::Succeeded);
    let ran = exploit.due.unwrap();
    // The alert a team would triage: raised by one of the step's events.
    let alert = team
        .alerts()
        .iter()
        .find(|a| exploit.events.contains(&u64::from(a.row)))
        .expect("an alert on the web shell upload");
    let rule = alert.rule_id.clone().unwrap_or_else(|| alert.title.clone());
    let verdict = |state: &'static str, at: u64| Verdict {
        row: alert.row,
        rule: &rule,
        state,
        at: Some(at),
        username: "pita",
    };

    // Nothing marked yet, an hour in: open, with the time left (the limit is 2 h).
    let score = scored(s, &team, &[], ran + HOUR);
    let detect = item(&score, "e-detect-webshell");
    assert_eq!((detect.standing, detect.points, detect.max), (Standing::Open, 0, 100));
    assert!(detect.why.contains("1 h left"), "{}", detect.why);

    // Marked true positive 30 minutes after the step: earned, and the reason names the alert,
    // who marked it, when, and how long after the step.
    let score = scored(s, &team, &[verdict("true_positive", ran + 30 * MINUTE)], ran + HOUR);
    let detect = item(&score, "e-detect-webshell");
    assert_eq!((detect.standing, detect.points), (Standing::Earned, 100));
    for part in [
        format!("«{}»", alert.title),
        "marked true positive by pita".to_owned(),
        label(ran + 30 * MINUTE),
        "30 min after the step ran".to_owned(),
        format!("the limit was {}", label(ran + 2 * HOUR)),
    ] {
        assert!(detect.why.contains(&part), "{part:?} missing from {:?}", detect.why);
    }
    assert_eq!(score.total(), 100);

    // Too late: no points, and the reason says so.
    let score = scored(s, &team, &[verdict("true_positive", ran + 3 * HOUR)], ran + 4 * HOUR);
    let detect = item(&score, "e-detect-webshell");
    assert_eq!((detect.standing, detect.points), (Standing::Missed, 0));
    assert!(detect.why.starts_with("Detected too late"), "{}", detect.why);

    // A verdict taken back (true positive, then false positive) does not count.
    let score = scored(
        s,
        &team,
        &[
            verdict("true_positive", ran + 10 * MINUTE),
            verdict("false_positive", ran + 20 * MINUTE),
        ],
        ran + 3 * HOUR,
    );
    let detect = item(&score, "e-detect-webshell");
    assert_eq!((detect.standing, detect.points), (Standing::Missed, 0));
    assert!(detect.why.starts_with("Not detected in time"), "{}", detect.why);

    // A true positive on an alert of some other event is not a detection of this step.
    let other = team
        .alerts()
        .iter()
        .find(|a| !exploit.events.contains(&u64::from(a.row)))
        .expect("six hours of Palau raise alerts on other events too");
    let other_rule = other.rule_id.clone().unwrap_or_else(|| other.title.clone());
    let wrong = Verdict {
        row: other.row,
        rule: &other_rule,
        state: "true_positive",
        at: Some(ran + 10 * MINUTE),
        username: "pita",
    };
    let score = scored(s, &team, &[wrong], ran + HOUR);
    let detect = item(&score, "e-detect-webshell");
    assert_eq!((detect.standing, detect.points), (Standing::Open, 0), "{}", detect.why);

    // Withdrawn and given again: it counts from the second time, which is too late.
    let score = scored(
        s,
        &team,
        &[
            verdict("true_positive", ran + 10 * MINUTE),
            verdict("false_positive", ran + 20 * MINUTE),
            verdict("true_positive", ran + 3 * HOUR),
        ],
        ran + 4 * HOUR,
    );
    let detect = item(&score, "e-detect-webshell");
    assert_eq!((detect.standing, detect.points), (Standing::Missed, 0));
    assert!(detect.why.contains(&label(ran + 3 * HOUR)), "{}", detect.why);

    // Play ended before the limit without a detection: missed, not open for ever.
    let score = scored_at(s, &team, &[], ran + HOUR, true);
    let detect = item(&score, "e-detect-webshell");
    assert_eq!((detect.standing, detect.points), (Standing::Missed, 0));
    assert!(detect.why.starts_with("Not detected in time"), "{}", detect.why);
    assert!(
        score.items.iter().all(|i| i.standing != Standing::Open),
        "nothing stays open once play has ended: {:?}",
        score
            .items
            .iter()
            .filter(|i| i.standing == Standing::Open)
            .collect::<Vec<_>>()
    );

    // Reports are graded by instructors, which this build cannot take: listed, not counted.
    let report = item(&score, "e-report-incident");
    assert_eq!(report.standing, Standing::Unscored);
    assert!(score.possible() < score.items.iter().map(|i| i.max).sum::<u32>());
}

#[test]
fn containment_is_scored_from_the_world() {
    let s = scenario();
    // Without a response, staging runs at some point of the day.
    let team = runtime(s, Vec::new(), 12 * HOUR);
    let stage = team.outcomes().into_iter().find(|o| o.step == "vt-stage").unwrap();
    let score = scored(s, &team, &[], 12 * HOUR);
    let contain = item(&score, "e-contain-before-staging");
    match stage.status {
        Status::Succeeded => {
            assert_eq!((contain.standing, contain.points), (Standing::Missed, 0));
            assert!(
                contain.why.contains("before the intrusion was contained"),
                "{}",
                contain.why
            );
        }
        Status::Pending => assert_eq!(contain.standing, Standing::Open),
        Status::Prevented => panic!("nothing prevented staging: {:?}", stage.reason),
    }

    // Isolating the beachhead right after the exploit prevents everything after it: the
    // containment points, and the detection points of steps that never ran.
    let probe = runtime(s, Vec::new(), 2 * HOUR);
    let exploit = probe
        .outcomes()
        .into_iter()
        .find(|o| o.step == "vt-edge-exploit")
        .unwrap();
    let isolate = Action {
        at: exploit.due.unwrap() + 5 * MINUTE,
        team: "palau".into(),
        kind: ActionKind::IsolateHost("pw-tel-web01".into()),
        line: 0,
    };
    let team = runtime(s, vec![isolate], 12 * HOUR);
    let score = scored(s, &team, &[], 12 * HOUR);
    let contain = item(&score, "e-contain-before-staging");
    assert_eq!((contain.standing, contain.points), (Standing::Earned, 200));
    assert!(
        contain.why.starts_with("Step vt-stage was prevented"),
        "{}",
        contain.why
    );
    let ntds = item(&score, "e-detect-ntds");
    assert_eq!((ntds.standing, ntds.points), (Standing::Earned, 150));
    assert!(ntds.why.contains("never ran"), "{}", ntds.why);
}
