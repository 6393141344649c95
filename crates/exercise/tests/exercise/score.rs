//! Scoring on the bundled scenario: what a team's verdicts and actions earn, and the reason
//! given for each expectation.

use atoll_exercise::answers::{self, Answer, Points};
use atoll_exercise::score::{
    AnswerFact, Facts, ReportFact, Score, Standing, SuppressionFact, TUNING_COST, TUNING_MAX_REWARDED, TUNING_REWARD,
    Verdict, hint_available, score,
};
use atoll_exercise::{Setup, TeamRuntime};
use atoll_scenario::Scenario;
use atoll_sigma::{Config as RuleConfig, RuleSet};
use atoll_sim::campaign::Status;
use atoll_sim::clock::{HOUR, MINUTE};
use atoll_sim::{Action, ActionKind, DEFAULT_DATE};

use crate::root;

fn scenario() -> &'static Scenario {
    Box::leak(Box::new(crate::scenario()))
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
    scored_with(s, team, verdicts, now, ended, &Handed::default())
}

/// What the team handed in and opened, for scoring.
#[derive(Default)]
struct Handed<'a> {
    answers: Vec<AnswerFact<'a>>,
    reports: Vec<ReportFact<'a>>,
    hints: Vec<(&'a str, u64, &'a str)>,
    actions: Vec<atoll_exercise::score::ActionFact<'a>>,
}

/// When each question reached Palau by exercise time `now`, as the server reads it.
fn asked(_s: &Scenario, team: &TeamRuntime<'_>, now: u64) -> Vec<(&'static str, u64)> {
    team.arrivals()
        .into_iter()
        .filter(|a| a.kind == atoll_sim::items::Kind::Question && a.at <= now)
        .map(|a| (a.id.to_owned().leak() as &'static str, a.at))
        .collect()
}

fn facts<'a>(
    team: &'a TeamRuntime<'_>,
    outcomes: &'a [atoll_sim::StepOutcome<'a>],
    downtime: &'a [atoll_sim::Downtime<'a>],
    asked: &'a [(&'a str, u64)],
    handed: &'a Handed<'a>,
    now: u64,
    ended: bool,
) -> Facts<'a> {
    Facts {
        team: "palau",
        outcomes,
        downtime,
        verdicts: &[],
        alerts: team.alerts(),
        now,
        ended,
        asked,
        answers: &handed.answers,
        reports: &handed.reports,
        hints: &handed.hints,
        suppressions: &[],
        team_rules: &[],
        absent: None,
        actions: &handed.actions,
    }
}

fn scored_with(
    s: &Scenario,
    team: &TeamRuntime<'_>,
    verdicts: &[Verdict<'_>],
    now: u64,
    ended: bool,
    handed: &Handed<'_>,
) -> Score {
    let outcomes = team.outcomes();
    let downtime = team.downtime(now);
    let asked = asked(s, team, now);
    let mut facts = facts(team, &outcomes, &downtime, &asked, handed, now, ended);
    facts.verdicts = verdicts;
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

    // Decisions are not taken in this build: listed, not counted.
    let decide = item(&score, "e-decide-eviction");
    assert_eq!(decide.standing, Standing::Unscored);
    assert!(score.possible() < score.items.iter().map(|i| i.max).sum::<u32>());
}

fn question(s: &'static Scenario, id: &str) -> &'static atoll_scenario::model::Question {
    s.questions.iter().find(|q| q.id.name == id).unwrap()
}

#[test]
fn answers_earn_their_grade_in_time() {
    let s = scenario();
    let team = runtime(s, Vec::new(), 12 * HOUR);
    let all = asked(s, &team, 12 * HOUR);
    let at = |q: &str| all.iter().find(|(id, _)| *id == q).map(|&(_, t)| t).unwrap();
    // Put to the team an hour after the web shell was delivered (`after: vt-edge-exploit + 1h`).
    let exploit = team
        .outcomes()
        .into_iter()
        .find(|o| o.step == "vt-edge-exploit")
        .unwrap();
    let indicators_asked = at("q-edge-indicators");
    assert_eq!(indicators_asked, exploit.due.unwrap() + HOUR);

    let q = question(s, "q-edge-indicators");
    let none = |_: &str| Vec::new();
    let indicator = |value: &str, when: u64| AnswerFact {
        question: "q-edge-indicators",
        at: when,
        username: "pita",
        grade: answers::auto_grade(q, &Answer::Indicators(vec![value.to_owned()]), &none),
    };
    let one = |answer: AnswerFact<'static>, now: u64, ended: bool| {
        let handed = Handed {
            answers: vec![answer],
            ..Handed::default()
        };
        let score = scored_with(s, &team, &[], now, ended, &handed);
        let expectation = match handed.answers[0].question {
            "q-edge-indicators" => "e-answer-indicators",
            _ => "e-answer-declare",
        };
        item(&score, expectation).clone()
    };

    // The right address, defanged as analysts write it, within the 3 h: the full 50 points.
    let right = one(
        indicator("203.0.113[.]45", indicators_asked + 30 * MINUTE),
        indicators_asked + HOUR,
        false,
    );
    assert_eq!((right.standing, right.points, right.max), (Standing::Earned, 50, 50));
    for part in [
        format!("Answered by pita at {}", label(indicators_asked + 30 * MINUTE)),
        "1 of the 1 needed found: `203.0.113.45`".to_owned(),
    ] {
        assert!(right.why.contains(&part), "{part:?} missing from {:?}", right.why);
    }
    // A wrong address earns nothing, and says so.
    let wrong = one(
        indicator("198.51.100.9", indicators_asked + 30 * MINUTE),
        indicators_asked + HOUR,
        false,
    );
    assert_eq!((wrong.standing, wrong.points), (Standing::Missed, 0));
    assert!(wrong.why.contains("None of the 1 given"), "{}", wrong.why);
    // The right address after the limit earns nothing either.
    let late = one(
        indicator("203.0.113.45", indicators_asked + 4 * HOUR),
        indicators_asked + 5 * HOUR,
        false,
    );
    assert_eq!((late.standing, late.points), (Standing::Missed, 0));
    assert!(late.why.contains("too late"), "{}", late.why);
    assert!(
        late.why
            .contains(&format!("the limit was {}", label(indicators_asked + 3 * HOUR))),
        "{}",
        late.why
    );

    // Before the question is asked the expectation is open; if play ends first it is not
    // scored at all (the team was never asked).
    let before = scored_with(s, &team, &[], indicators_asked - MINUTE, false, &Handed::default());
    assert_eq!(item(&before, "e-answer-indicators").standing, Standing::Open);
    let ended = scored_with(s, &team, &[], indicators_asked - MINUTE, true, &Handed::default());
    let never = item(&ended, "e-answer-indicators");
    assert_eq!(never.standing, Standing::Unscored, "{}", never.why);
    assert!(never.why.contains("never put to the team"), "{}", never.why);

    // Free text waits for the white cell, then earns the rubric's share: 4 + 2 + 0 of 10
    // points is 6/10 of the expectation's 50, i.e. 30.
    let declare = question(s, "q-declare-incident");
    let declare_asked = at("q-declare-incident");
    let text = |grade| AnswerFact {
        question: "q-declare-incident",
        at: declare_asked + 20 * MINUTE,
        username: "sione",
        grade,
    };
    let waiting = one(text(None), declare_asked + HOUR, false);
    assert_eq!((waiting.standing, waiting.points), (Standing::Open, 0));
    assert!(waiting.why.contains("has not graded it yet"), "{}", waiting.why);
    let points: Points = [
        ("evidence".to_owned(), 4),
        ("authority".to_owned(), 2),
        ("timing".to_owned(), 0),
    ]
    .into();
    let graded = one(
        text(answers::rubric_grade(declare, &points, "Name the regulator.")),
        declare_asked + HOUR,
        false,
    );
    assert_eq!((graded.standing, graded.points, graded.max), (Standing::Earned, 30, 50));
    for part in ["Answered by sione", "4/4", "2/4", "0/2", "Comment: Name the regulator."] {
        assert!(graded.why.contains(part), "{part:?} missing from {:?}", graded.why);
    }
}

#[test]
fn reports_earn_the_white_cells_points_in_time() {
    let s = scenario();
    let team = runtime(s, Vec::new(), 12 * HOUR);
    let ntds = team.outcomes().into_iter().find(|o| o.step == "vt-ntds-dump").unwrap();
    assert_eq!(
        ntds.status,
        Status::Succeeded,
        "without a response the database is copied"
    );
    let ran = ntds.due.unwrap();
    let graded = |points: u32| -> Option<(Points, &'static str, &'static str)> {
        Some((
            [("e-report-incident".to_owned(), points)].into(),
            "Clear timeline.",
            "ana",
        ))
    };
    let report = |at: u64, grade| ReportFact {
        title: "Domain database copied",
        at,
        username: "pita",
        grade,
    };
    let one = |reports: Vec<ReportFact<'static>>, now: u64| {
        let handed = Handed {
            reports,
            ..Handed::default()
        };
        let score = scored_with(s, &team, &[], now, false, &handed);
        item(&score, "e-report-incident").clone()
    };

    let none = one(Vec::new(), ran + HOUR);
    assert_eq!(none.standing, Standing::Open);
    let waiting = one(vec![report(ran + HOUR, None)], ran + 2 * HOUR);
    assert_eq!(waiting.standing, Standing::Open);
    assert!(waiting.why.contains("awaits the white cell's grade"), "{}", waiting.why);

    // The best grade among reports handed in by the limit counts.
    let best = one(
        vec![report(ran + HOUR, graded(40)), report(ran + 3 * HOUR, graded(80))],
        ran + 5 * HOUR,
    );
    assert_eq!((best.standing, best.points, best.max), (Standing::Earned, 80, 100));
    for part in [
        "«Domain database copied» by pita",
        "graded by ana: 80 of 100",
        "Comment: Clear timeline.",
    ] {
        assert!(best.why.contains(part), "{part:?} missing from {:?}", best.why);
    }
    // A report handed in after the 4 h does not count, however good.
    let late = one(vec![report(ran + 5 * HOUR, graded(100))], ran + 6 * HOUR);
    assert_eq!((late.standing, late.points), (Standing::Missed, 0));
    assert!(late.why.contains("No report on this incident in time"), "{}", late.why);
    // A report graded 0 for this expectation does not settle it while the limit is ahead, nor
    // hide a later report still waiting for its grade.
    let zero = one(vec![report(ran + HOUR, graded(0))], ran + 2 * HOUR);
    assert_eq!(zero.standing, Standing::Open, "{}", zero.why);
    let newer = one(
        vec![report(ran + HOUR, graded(0)), report(ran + 2 * HOUR, None)],
        ran + 5 * HOUR,
    );
    assert_eq!(newer.standing, Standing::Open, "{}", newer.why);
    assert!(newer.why.contains("awaits the white cell's grade"), "{}", newer.why);
    let settled = one(vec![report(ran + HOUR, graded(0))], ran + 5 * HOUR);
    assert_eq!(
        (settled.standing, settled.points),
        (Standing::Missed, 0),
        "{}",
        settled.why
    );
    // Points above the expectation's are capped.
    let capped = one(vec![report(ran + HOUR, graded(500))], ran + 2 * HOUR);
    assert_eq!(capped.points, 100);
}

#[test]
fn hints_cost_their_penalty_once_they_are_opened() {
    let s = scenario();
    let team = runtime(s, Vec::new(), 12 * HOUR);
    let outcomes = team.outcomes();
    let downtime = team.downtime(12 * HOUR);
    let asked = asked(s, &team, 12 * HOUR);
    let handed = Handed::default();
    let later = facts(&team, &outcomes, &downtime, &asked, &handed, 12 * HOUR, false);
    let hint = |id: &str| s.hints.iter().find(|h| h.id.name == id).unwrap();
    let ran = |step: &str| outcomes.iter().find(|o| o.step == step).unwrap().due.unwrap();
    // `available_after: 30m` after the step the detection expectation is about ran.
    assert_eq!(
        hint_available(s, hint("h-webshell"), &later),
        Some(ran("vt-edge-exploit") + 30 * MINUTE)
    );
    assert_eq!(hint_available(s, hint("h-ntds"), &later), Some(ran("vt-ntds-dump")));
    let q = asked.iter().find(|(q, _)| *q == "q-edge-indicators").unwrap().1;
    assert_eq!(hint_available(s, hint("h-indicators"), &later), Some(q));
    // Before the step runs the hint is not offered at all (it would say that it ran).
    let early = runtime(s, Vec::new(), 5 * MINUTE);
    let (o, d) = (early.outcomes(), early.downtime(5 * MINUTE));
    let nothing = Handed::default();
    let early_facts = facts(&early, &o, &d, &[], &nothing, 5 * MINUTE, false);
    assert_eq!(hint_available(s, hint("h-ntds"), &early_facts), None);

    let handed = Handed {
        hints: vec![
            ("h-webshell", ran("vt-edge-exploit") + HOUR, "pita"),
            ("h-ntds", ran("vt-ntds-dump"), "sione"),
        ],
        ..Handed::default()
    };
    let score = scored_with(s, &team, &[], 12 * HOUR, false, &handed);
    assert_eq!(score.penalty(), 50);
    assert_eq!(score.penalties[0].points, 20);
    assert!(
        score.penalties[0]
            .why
            .contains(&format!("opened by pita at {}", label(ran("vt-edge-exploit") + HOUR))),
        "{}",
        score.penalties[0].why
    );
    // Nothing earned yet: the total does not go below zero.
    assert_eq!(score.earned(), 0, "{:?}", score.items);
    assert_eq!(score.total(), 0);
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
    let isolated_at = isolate.at;
    let team = runtime(s, vec![isolate], 12 * HOUR);
    // The reasons name the team's action that stopped each step, as the player named its
    // target (here by the host's id), by the host's name.
    let handed = Handed {
        actions: vec![atoll_exercise::score::ActionFact {
            at: isolated_at,
            action: "isolate_host",
            target: "pw-tel-web01",
            username: "pita",
        }],
        ..Handed::default()
    };
    let score = scored_with(s, &team, &[], 12 * HOUR, false, &handed);
    let by = format!("the isolation of PT-WEB01 by pita at {}", label(isolated_at));
    let contain = item(&score, "e-contain-before-staging");
    assert_eq!((contain.standing, contain.points), (Standing::Earned, 200));
    assert!(
        contain
            .why
            .starts_with("Step «Credentials archived for exfiltration» was prevented: it needs step «")
            && contain.why.ends_with(&format!("which {by} stopped.")),
        "{}",
        contain.why
    );
    let ntds = item(&score, "e-detect-ntds");
    assert_eq!((ntds.standing, ntds.points), (Standing::Earned, 150));
    assert!(
        ntds.why
            .starts_with("Step «Active Directory database copied» never ran: ")
            && ntds.why.contains(&by),
        "{}",
        ntds.why
    );
    // Without the stored action (a world restored from elsewhere), the simulation's reason.
    let bare = scored(s, &team, &[], 12 * HOUR);
    assert!(!item(&bare, "e-detect-ntds").why.contains("pita"));
}

#[test]
fn steps_play_never_reached_are_not_scored_when_it_ends() {
    let s = scenario();
    // Play ended two hours in: the web shell has run, staging has not come due.
    let team = runtime(s, Vec::new(), 2 * HOUR);
    let stage = team.outcomes().into_iter().find(|o| o.step == "vt-stage").unwrap();
    assert_eq!(stage.status, Status::Pending);
    let open = scored_at(s, &team, &[], 2 * HOUR, false);
    let ended = scored_at(s, &team, &[], 2 * HOUR, true);
    for id in ["e-contain-before-staging", "e-detect-ntds"] {
        assert_eq!(item(&open, id).standing, Standing::Open, "{id} while play goes on");
        let settled = item(&ended, id);
        assert_eq!((settled.standing, settled.points), (Standing::Unscored, 0), "{id}");
        assert!(settled.why.starts_with("Play ended before step"), "{}", settled.why);
    }
    // They leave the points possible instead of counting as lost.
    let unscored: u32 = ended
        .items
        .iter()
        .filter(|i| i.standing == Standing::Unscored && item(&open, &i.expectation).standing == Standing::Open)
        .map(|i| i.max)
        .sum();
    assert!(unscored >= item(&open, "e-contain-before-staging").max + item(&open, "e-detect-ntds").max);
    assert_eq!(ended.possible(), open.possible() - unscored);
    // A step that ran and was not detected is still missed at the end.
    let web = item(&ended, "e-detect-webshell");
    assert_eq!((web.standing, web.points), (Standing::Missed, 0), "{}", web.why);
}

#[test]
fn choices_are_graded_exactly_and_bad_answers_are_refused_by_field() {
    let s = scenario();
    let none = |_: &str| Vec::new();
    let sources = question(s, "q-telemetry-sources");
    let choose = |ids: &[&str]| Answer::Choices(ids.iter().map(|i| (*i).to_owned()).collect());
    let grade = |ids: &[&str]| answers::auto_grade(sources, &choose(ids), &none).unwrap();
    // Both right options, in any order: right.
    assert_eq!(
        (grade(&["process", "iis"]).earned, grade(&["process", "iis"]).max),
        (1, 1)
    );
    // One of the two, or the two with a wrong one: not right, and the reason names the right ones.
    let partial = grade(&["iis"]);
    assert_eq!(partial.earned, 0);
    assert!(
        partial
            .why
            .contains("The right answers: The web server's access log; Process creation"),
        "{}",
        partial.why
    );
    assert_eq!(grade(&["iis", "process", "cable"]).earned, 0);
    // A question with no option marked correct has no right answer to grade against.
    let tlp = question(s, "q-tlp");
    assert_eq!(answers::auto_grade(tlp, &choose(&["amber"]), &none), None);

    // Bad answers are refused before anything is stored, naming the form field.
    let refused = |q, a: &Answer| answers::check(q, a).unwrap_err();
    assert_eq!(
        refused(tlp, &choose(&["amber", "red"])),
        "choice: this question takes one option"
    );
    assert_eq!(
        refused(tlp, &choose(&["purple"])),
        "choice: `purple` is not an option of this question"
    );
    assert_eq!(refused(tlp, &choose(&[])), "choice: choose an option");
    assert_eq!(
        refused(tlp, &Answer::Text("x".into())),
        "choice: this question takes another kind of answer"
    );
    let ind = question(s, "q-edge-indicators");
    let many = Answer::Indicators((0..5).map(|i| format!("203.0.113.{i}")).collect());
    assert_eq!(refused(ind, &many), "indicators: give at most 4, one per line");
    let declare = question(s, "q-declare-incident");
    assert_eq!(refused(declare, &Answer::Text("  ".into())), "text: write your answer");
    assert!(answers::check(sources, &choose(&["iis", "process"])).is_ok());
}

#[test]
fn suppressions_cost_points_when_they_hide_the_attack_and_earn_a_few_when_they_cut_noise() {
    let s = scenario();
    let now = 2 * HOUR;
    let team = runtime(s, Vec::new(), now);
    let outcomes = team.outcomes();
    let downtime = team.downtime(now);
    let asked = asked(s, &team, now);
    let handed = Handed::default();
    // The web shell's alerts, marked true positive in time: the detection is earned.
    let shell: Vec<usize> = team
        .alerts()
        .iter()
        .enumerate()
        .filter(|(_, a)| a.title.contains("aspnet_client"))
        .map(|(i, _)| i)
        .collect();
    assert!(!shell.is_empty(), "the upload raised an alert");
    let first = &team.alerts()[shell[0]];
    let key = first.rule_id.clone().unwrap_or_default();
    let verdicts = [Verdict {
        row: first.row,
        rule: &key,
        state: "true_positive",
        at: Some(first.at + MINUTE),
        username: "pita",
    }];
    let mut f = facts(&team, &outcomes, &downtime, &asked, &handed, now, false);
    f.verdicts = &verdicts;
    let before = score(s, &f, &label, &|_| 0);
    assert!(before.tuning.is_empty());
    assert!(before.total() >= 100, "{}", before.total());

    // A suppression hiding them costs the team, and says which step it hid.
    let hides_attack = [SuppressionFact {
        id: 7,
        what: "«Script Page Uploaded Or Run Under IIS aspnet_client Folder» on PT-WEB01",
        reason: "the portal's own uploads",
        username: "pita",
        hidden: &shell,
    }];
    f.suppressions = &hides_attack;
    let after = score(s, &f, &label, &|_| 0);
    assert_eq!(after.tuning.len(), 1, "{:?}", after.tuning);
    assert_eq!(after.tuning[0].points, -TUNING_COST);
    assert!(
        after.tuning[0]
            .why
            .contains("campaign step «Web shell on the customer portal»")
            && after.tuning[0].why.contains("by pita"),
        "{}",
        after.tuning[0].why
    );
    assert_eq!(after.total(), before.total() - TUNING_COST as u32);

    // Suppressions that hide only benign alerts, each at least ten, earn a little, for the
    // first few only; one that hides fewer earns nothing.
    let noise: Vec<atoll_exercise::Alert> = (0..40u32)
        .map(|i| atoll_exercise::Alert {
            at: u64::from(i) * MINUTE,
            row: u32::MAX - i,
            rule_id: Some("noisy".into()),
            title: "Noisy rule".into(),
            level: None,
            author: None,
            techniques: Vec::new(),
            tactics: Vec::new(),
            host: Some("PT-MON01".into()),
            detail: None,
        })
        .collect();
    let tens: Vec<Vec<usize>> = (0..4).map(|k| (k * 10..k * 10 + 10).collect()).collect();
    let few: Vec<usize> = vec![0, 1];
    let mut quiet: Vec<SuppressionFact<'_>> = tens
        .iter()
        .enumerate()
        .map(|(k, hidden)| SuppressionFact {
            id: k as i64,
            what: "«Noisy rule» on PT-MON01",
            reason: "inventory scans",
            username: "pita",
            hidden,
        })
        .collect();
    quiet.push(SuppressionFact {
        id: 99,
        what: "«Noisy rule»",
        reason: "two",
        username: "pita",
        hidden: &few,
    });
    let mut f = facts(&team, &outcomes, &downtime, &asked, &handed, now, false);
    f.alerts = &noise;
    f.suppressions = &quiet;
    let tuned = score(s, &f, &label, &|_| 0);
    assert_eq!(tuned.tuning.len(), TUNING_MAX_REWARDED, "{:?}", tuned.tuning);
    assert!(
        tuned
            .tuning
            .iter()
            .all(|t| t.points == TUNING_REWARD && t.why.contains("10 false positives"))
    );

    // The noise of a rule the team wrote itself earns nothing: it could be written to be
    // suppressed.
    let own: Vec<atoll_exercise::Alert> = noise
        .iter()
        .map(|a| atoll_exercise::Alert {
            rule_id: Some(format!("{}1", atoll_exercise::team::TEAM_RULE)),
            ..a.clone()
        })
        .collect();
    f.alerts = &own;
    assert!(score(s, &f, &label, &|_| 0).tuning.is_empty());
}

#[test]
fn a_rule_the_team_writes_is_scored_against_what_really_happened() {
    let s = scenario();
    let mut team = runtime(s, Vec::new(), 6 * HOUR);
    let outcomes = team.outcomes();
    let step = outcomes.iter().find(|o| o.step == "vt-prtg-creds").unwrap();
    assert_eq!(step.status, Status::Succeeded);
    let steps: Vec<u64> = outcomes.iter().flat_map(|o| o.events.iter().copied()).collect();
    // The address the intruder signed in from, read off the step's own event.
    let mut line = String::new();
    team.store().write_json(step.events[0] as u32, &mut line);
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    let address = event["IpAddress"].as_str().unwrap().to_owned();
    drop(outcomes);
    let score_now = |team: &TeamRuntime<'_>| {
        let outcomes = team.outcomes();
        let downtime = team.downtime(6 * HOUR);
        let truth = team.team_rules();
        let handed = Handed::default();
        let mut facts = facts(team, &outcomes, &downtime, &[], &handed, 6 * HOUR, false);
        facts.team_rules = &truth;
        let item = item(&score(s, &facts, &label, &|_| 0), "e-rule-prtg").clone();
        (item.points, item.standing, item.why)
    };
    let (points, standing, why) = score_now(&team);
    assert_eq!((points, standing), (0, Standing::Open), "{why}");
    assert!(why.contains("no rule of the team's matches its events yet"), "{why}");

    let compile = |text: &str| {
        let (rules, _) = atoll_sigma::load_str(text, &RuleConfig::default()).unwrap();
        RuleSet::new(rules)
    };
    // Every network sign-in: it catches the step, and a great deal else.
    let broad = "title: Network sign-ins\nlogsource: {product: windows, service: security}\n\
                 detection: {selection: {EventID: 4624, LogonType: 3}, condition: selection}\n";
    let at = team.reached();
    team.add_rule(1, compile(broad), at).unwrap();
    // Its false positives, counted by hand over the stored events.
    let set = compile(broad);
    let false_positives = (0..team.store().len() as u32)
        .filter(|&row| {
            line.clear();
            team.store().write_json(row, &mut line);
            let event = atoll_sigma::Event::from_json(&line).unwrap();
            !set.matches(&event).is_empty() && !steps.contains(&u64::from(row))
        })
        .count();
    assert!(false_positives > 5, "{false_positives}");
    let (points, standing, why) = score_now(&team);
    assert_eq!((points, standing), (0, Standing::Open), "{why}");
    assert!(
        why.contains(&format!(
            "rule 1 «Network sign-ins» catches step «Network monitor's service account taken» but also matches {false_positives} events of no campaign step (at most 5 allowed)"
        )),
        "{why}"
    );

    // The monitor's account from the portal's address, as the step signs in: the portal signs
    // in with it all day (over a hundred times by now), so the address alone is not enough…
    let by_address = format!(
        "title: Monitoring account from the portal\nlogsource: {{product: windows, service: security}}\n\
         detection: {{selection: {{EventID: 4624, TargetUserName: svc_prtg, IpAddress: '{address}'}}, condition: selection}}\n"
    );
    team.add_rule(2, compile(&by_address), at).unwrap();
    let (points, _, why) = score_now(&team);
    assert_eq!(points, 0, "{why}");
    // …but only the intruder signs in with NTLM, where the service account's own work uses
    // Kerberos.
    let narrow = format!(
        "title: Monitoring account over NTLM\nlogsource: {{product: windows, service: security}}\n\
         detection: {{selection: {{EventID: 4624, TargetUserName: svc_prtg, AuthenticationPackageName: NTLM, IpAddress: '{address}'}}, condition: selection}}\n"
    );
    team.add_rule(3, compile(&narrow), at).unwrap();
    let (points, standing, why) = score_now(&team);
    assert_eq!((points, standing), (100, Standing::Earned), "{why}");
    assert_eq!(
        why,
        format!(
            "The team's rule 3 «Monitoring account over NTLM» (turned on at {}) matches 1 event of step «Network monitor's service account taken» and 0 events of no campaign step (at most 5 allowed).",
            label(at)
        )
    );
}

#[test]
fn a_step_that_runs_only_as_a_fallback_is_out_of_the_maximum_from_the_start() {
    // The bundled scenario, with one more expectation: detecting the actor's way back in
    // through a home router, a step that runs only if the port proxy is blocked.
    let text = std::fs::read_to_string(root().join("scenarios/pacific-cable-shield.yaml")).unwrap();
    let added = "expectations:\n  - id: e-detect-soho\n    text: {en: Detect the return through a home router., ja: 家庭用ルーター経由の再侵入を検知する。}\n    points: 100\n    detect: vt-soho-proxy\n    teams: [palau]\n";
    let text = text.replacen("expectations:\n", added, 1);
    let s: &'static Scenario = Box::leak(Box::new(
        atoll_scenario::load_str(&text, Some(&root().join("scenarios"))).unwrap_or_else(|d| panic!("{d:?}")),
    ));
    let team = runtime(s, Vec::new(), 0);
    let start = scored(s, &team, &[], 0);
    let soho = item(&start, "e-detect-soho");
    assert_eq!((soho.standing, soho.points), (Standing::Unscored, 0));
    assert_eq!(
        soho.why,
        "Step «Return through a compromised home router» runs only if step «Port proxy for a quiet way back in» is blocked: scored if it runs."
    );
    // Out of the maximum from the first minute: the same maximum as without it.
    let without = scored(scenario(), &runtime(scenario(), Vec::new(), 0), &[], 0);
    assert_eq!(start.possible(), without.possible());
    assert!(start.possible() > 0);
}
