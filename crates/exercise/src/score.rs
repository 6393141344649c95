//! A team's score from the scenario's expectations, each with the reason for its points.
//!
//! Pure: it reads the simulation's outcomes, the team's alert verdicts (with the exercise time
//! each was given) and the time now, and says for every expectation what the team earned and
//! why, in words a team can check against its own timeline:
//! - **detect** a step: an alert raised by one of the step's events, marked *true positive* by
//!   the team and not withdrawn since (timed from the verdict that began the standing run of
//!   true positives), in time (`within` after the step ran, and before the `deadline`); a step
//!   the team prevented earns the points too, since there was nothing left to detect;
//! - **contain before** a step: the step was prevented;
//! - **rule**: a Sigma rule the team wrote catches a step: on by the limit (`within` after the
//!   step ran, and before the `deadline`), it matches at least one of the step's events and at
//!   most `max_false_positives` events no campaign step wrote, over the team's world from the
//!   start of play; its false positives are counted until play ends;
//! - once play has ended nothing stays open; a step that never came due (time ran out
//!   before the adversary got there) is not scored either way, as a question never asked is
//!   not: the team neither stopped it nor failed to see it;
//! - **keep up** services: the share of play so far that every chosen service was up, against
//!   the minimum; settled when play ends; not scored for a team the white cell marked absent
//!   (nobody of it played);
//! - a step the white cell skipped is not scored, either way;
//! - **answer** a question: the answer's grade (automatic for choices and indicators, the
//!   white cell's for free text) scales the points, if it was given in time (`within` after
//!   the question was put to the team, and before the `deadline`); a question never put to the
//!   team is not scored;
//! - **report** an incident: the best points the white cell gave the expectation on any report
//!   handed in by `within` after the step ran (any time, if it was prevented);
//! - **decide**: decisions are not taken in this build; such expectations are listed, unscored;
//! - every hint the team opened costs its penalty, once.

use atoll_scenario::Scenario;
use atoll_scenario::time::ClockTime;
use atoll_sim::actions::SKIPPED;
use atoll_sim::campaign::Status;
use atoll_sim::{Downtime, StepOutcome, available_percent};

use crate::answers::{Grade, Points};
use crate::clock::Millis;
use crate::team::Alert;

/// A team's verdict on one alert, as stored.
#[derive(Debug, Clone)]
pub struct Verdict<'a> {
    pub row: u32,
    /// The rule's id, or its title when it has none.
    pub rule: &'a str,
    pub state: &'a str,
    /// Exercise time it was given; `None` for verdicts stored before that was recorded.
    pub at: Option<Millis>,
    pub username: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Earned,
    Missed,
    /// Can still be earned or missed.
    Open,
    /// Not scored for this team (a skipped step, a question never asked, a decision).
    Unscored,
}

/// One expectation's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub expectation: String,
    pub text: String,
    pub points: u32,
    pub max: u32,
    pub standing: Standing,
    pub why: String,
    /// For an open item, when it closes (for a missed one, when it closed): the end of a
    /// detection window, an answer's or a report's time limit (exercise milliseconds), from
    /// when its step ran or its question was asked. [`score`] sets it when that is known; [`closes_as_planned`] foresees it for a
    /// step or question still to come. A jump past it decides the item.
    pub closes: Option<Millis>,
}

/// Points a hint the team opened cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Penalty {
    pub hint: String,
    pub points: u32,
    pub why: String,
}

/// Points a team's tuning earned or cost: a suppression that took false positives out of the
/// queue, or one that hid a campaign step's alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuning {
    /// The suppression's id.
    pub suppression: i64,
    /// Positive for a reward, negative for a cost.
    pub points: i32,
    pub why: String,
}

/// Points for a suppression that hid at least [`TUNING_MIN_HIDDEN`] alerts of the shared rules
/// (not the team's own) and none of a campaign step; at most [`TUNING_MAX_REWARDED`]
/// suppressions earn it.
pub const TUNING_REWARD: i32 = 10;
pub const TUNING_MIN_HIDDEN: usize = 10;
pub const TUNING_MAX_REWARDED: usize = 3;
/// Points a suppression costs for each campaign step whose alerts it hid.
pub const TUNING_COST: i32 = 50;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Score {
    pub items: Vec<Item>,
    pub penalties: Vec<Penalty>,
    pub tuning: Vec<Tuning>,
}

impl Score {
    /// Points earned and tuning rewards, less hint penalties and tuning costs (never below
    /// zero).
    pub fn total(&self) -> u32 {
        let tuning: i64 = self.tuning.iter().map(|t| i64::from(t.points)).sum();
        (i64::from(self.earned()) + tuning - i64::from(self.penalty())).max(0) as u32
    }

    pub fn earned(&self) -> u32 {
        self.items.iter().map(|i| i.points).sum()
    }

    pub fn penalty(&self) -> u32 {
        self.penalties.iter().map(|p| p.points).sum()
    }

    /// Points of every expectation that can be scored in this build.
    pub fn possible(&self) -> u32 {
        self.items
            .iter()
            .filter(|i| i.standing != Standing::Unscored)
            .map(|i| i.max)
            .sum()
    }
}

/// What scoring reads about one team at one moment.
#[derive(Debug)]
pub struct Facts<'a> {
    pub team: &'a str,
    pub outcomes: &'a [StepOutcome<'a>],
    pub downtime: &'a [Downtime<'a>],
    pub verdicts: &'a [Verdict<'a>],
    pub alerts: &'a [Alert],
    /// Exercise time now, and whether play has ended.
    pub now: Millis,
    pub ended: bool,
    /// When each question reached the team (those that have).
    pub asked: &'a [(&'a str, Millis)],
    pub answers: &'a [AnswerFact<'a>],
    pub reports: &'a [ReportFact<'a>],
    /// Hints the team opened: (hint, exercise time, who).
    pub hints: &'a [(&'a str, Millis, &'a str)],
    /// The team's suppressions and the alerts each hides (by index in `alerts`).
    pub suppressions: &'a [SuppressionFact<'a>],
    /// The rules the team wrote, with what each matches in its world.
    pub team_rules: &'a [crate::TeamRuleTruth<'a>],
    /// Who of the white cell marked the team absent, if it did: nobody of it played.
    pub absent: Option<&'a str>,
    /// The team's response actions, oldest first.
    pub actions: &'a [ActionFact<'a>],
}

/// A response action the team took, as stored: the target as the player named it.
#[derive(Debug, Clone)]
pub struct ActionFact<'a> {
    pub at: Millis,
    /// The action word, e.g. `isolate_host`.
    pub action: &'a str,
    pub target: &'a str,
    pub username: &'a str,
}

/// A team's suppression, for scoring: what it says and which alerts it hides.
#[derive(Debug, Clone)]
pub struct SuppressionFact<'a> {
    pub id: i64,
    /// `«rule» on host PT-WEB01`, as people read it.
    pub what: &'a str,
    pub reason: &'a str,
    pub username: &'a str,
    /// Indexes in `Facts::alerts` of the alerts it hides.
    pub hidden: &'a [usize],
}

/// A team's answer to a question, with its grade if it has one yet.
#[derive(Debug, Clone)]
pub struct AnswerFact<'a> {
    pub question: &'a str,
    pub at: Millis,
    pub username: &'a str,
    pub grade: Option<Grade>,
}

/// A team's incident report, with the white cell's points per report expectation once graded.
#[derive(Debug, Clone)]
pub struct ReportFact<'a> {
    pub title: &'a str,
    pub at: Millis,
    pub username: &'a str,
    /// Points per expectation, the comment, and who graded it.
    pub grade: Option<(Points, &'a str, &'a str)>,
}

/// Scores one team. `label` writes an exercise time as people read it (`D1 09:40`);
/// `offset` turns a clock time of the scenario into exercise time.
pub fn score(
    scenario: &Scenario,
    facts: &Facts<'_>,
    label: &dyn Fn(Millis) -> String,
    offset: &dyn Fn(&ClockTime) -> i64,
) -> Score {
    let mut items = Vec::new();
    let mut penalties = Vec::new();
    for &(hint, at, who) in facts.hints {
        let Some(h) = scenario.hints.iter().find(|h| h.id.name == hint) else {
            continue;
        };
        penalties.push(Penalty {
            hint: hint.to_owned(),
            points: h.penalty,
            why: format!("Hint opened by {who} at {}.", label(at)),
        });
    }
    let plan = Plan::of(scenario);
    for e in &scenario.expectations {
        if !e.teams.is_empty() && !e.teams.iter().any(|t| t.name == facts.team) {
            continue;
        }
        // A step the team's world has not queued: one that runs only as another's fallback
        // is listed, unscored, from the start (scored if it runs); any other is not this
        // team's.
        let step = (e.detect.as_ref().or(e.contain_before.as_ref()))
            .or(e.rule.as_ref().map(|r| &r.step))
            .or(e.report.as_ref().map(|r| &r.step));
        if let Some(step) = step
            && outcome(facts, &step.name).is_none()
        {
            if let Some(why) = plan.fallback_of(facts, &step.name) {
                items.push(Item {
                    expectation: e.id.name.clone(),
                    text: e.text.get("en").to_owned(),
                    points: 0,
                    max: e.points,
                    standing: Standing::Unscored,
                    why,
                    closes: None,
                });
            }
            continue;
        }
        let deadline = e.deadline.as_ref().map(|d| offset(&d.value).max(0) as Millis);
        let within = e.within.map(|w| w.as_secs() * 1000);
        let all_or_nothing =
            |(earned, standing, why): (bool, Standing, String)| (if earned { e.points } else { 0 }, standing, why);
        let (points, standing, why) = if let Some(step) = &e.detect {
            let Some(outcome) = outcome(facts, &step.name) else {
                continue;
            };
            all_or_nothing(
                skipped(outcome)
                    .or_else(|| plan.not_come(outcome, label))
                    .unwrap_or_else(|| detect(scenario, facts, outcome, within, deadline, label)),
            )
        } else if let Some(step) = &e.contain_before {
            let Some(outcome) = outcome(facts, &step.name) else {
                continue;
            };
            all_or_nothing(
                skipped(outcome)
                    .or_else(|| plan.not_come(outcome, label))
                    .unwrap_or_else(|| contain(scenario, facts, outcome, label)),
            )
        } else if let Some(keep) = &e.keep_up {
            // No service of this team's world is chosen: the expectation is not this team's.
            let Some(result) = keep_up(scenario, facts, keep) else {
                continue;
            };
            match facts.absent {
                // Nobody played: the services stayed up (or not) by no one's doing.
                Some(marked_by) => (
                    0,
                    Standing::Unscored,
                    format!("The white cell ({marked_by}) marked the team absent: availability is not scored."),
                ),
                None => all_or_nothing(result),
            }
        } else if let Some(rule) = &e.rule {
            let Some(outcome) = outcome(facts, &rule.step.name) else {
                continue;
            };
            let limit = |ran: Millis| limit_of(Some(ran), within, deadline);
            all_or_nothing(
                skipped(outcome)
                    .or_else(|| plan.not_come(outcome, label))
                    .unwrap_or_else(|| rule_written(facts, outcome, rule.max_false_positives, &limit, label)),
            )
        } else if let Some(question) = &e.answer {
            answer(facts, &question.name, e.points, within, deadline, label)
        } else if let Some(report) = &e.report {
            let Some(outcome) = outcome(facts, &report.step.name) else {
                continue;
            };
            match skipped(outcome).or_else(|| plan.not_come(outcome, label)) {
                Some(result) => all_or_nothing(result),
                None => {
                    let within = report.within.as_secs() * 1000;
                    reported(facts, &e.id.name, outcome, e.points, within, deadline, label)
                }
            }
        } else {
            (
                0,
                Standing::Unscored,
                "Scored when the decision is taken; this build does not take decisions yet.".to_owned(),
            )
        };
        // A missed item keeps the time it closed at, to say when.
        let closes = matches!(standing, Standing::Open | Standing::Missed)
            .then(|| closes(e, facts, within, deadline, &|_| None))
            .flatten();
        items.push(Item {
            expectation: e.id.name.clone(),
            text: e.text.get("en").to_owned(),
            points,
            max: e.points,
            standing,
            why,
            closes,
        });
    }
    let tuning = tuning(facts);
    // Reasons say what happened in people's words: a step by its name, not its id.
    for item in &mut items {
        item.why = in_words(scenario, &item.why);
    }
    let tuning = tuning
        .into_iter()
        .map(|mut t| {
            t.why = in_words(scenario, &t.why);
            t
        })
        .collect();
    Score {
        items,
        penalties,
        tuning,
    }
}

/// `text` with every campaign step named by its name (`step «Web shell on the customer
/// portal»`) instead of its id, and every question called "the question": the words players
/// read, which never show the scenario's internal ids.
fn in_words(scenario: &Scenario, text: &str) -> String {
    let is_id_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = text.to_owned();
    let steps = scenario.campaigns.iter().flat_map(|c| &c.steps);
    let named = steps.map(|st| (st.id.name.as_str(), format!("«{}»", st.name.get("en"))));
    let questions = scenario.questions.iter().map(|q| (q.id.name.as_str(), String::new()));
    for (id, name) in named.chain(questions) {
        for (word, instead) in [
            ("step ", format!("step {name}")),
            ("Step ", format!("Step {name}")),
            ("question ", "the question".to_owned()),
            ("Question ", "The question".to_owned()),
        ] {
            let is_question = name.is_empty();
            if is_question != word.to_lowercase().starts_with("question") {
                continue;
            }
            let needle = format!("{word}{id}");
            let mut from = 0;
            while let Some(at) = out[from..].find(&needle).map(|i| i + from) {
                let end = at + needle.len();
                if out[end..].chars().next().is_some_and(is_id_char) {
                    from = end;
                    continue;
                }
                out.replace_range(at..end, &instead);
                from = at + instead.len();
            }
        }
    }
    out
}

/// When expectation `expectation` of the team closes if the steps and questions still to
/// come happen when `planned` says (their exercise time by id): as [`Item::closes`], but
/// foreseen. For the white cell, before a jump. `offset` as for [`score`].
pub fn closes_as_planned(
    scenario: &Scenario,
    facts: &Facts<'_>,
    expectation: &str,
    planned: &dyn Fn(&str) -> Option<Millis>,
    offset: &dyn Fn(&ClockTime) -> i64,
) -> Option<Millis> {
    let e = scenario.expectations.iter().find(|e| e.id.name == expectation)?;
    let deadline = e.deadline.as_ref().map(|d| offset(&d.value).max(0) as Millis);
    let within = e.within.map(|w| w.as_secs() * 1000);
    closes(e, facts, within, deadline, planned)
}

/// When an open expectation closes: `within` after its step ran or its question was asked
/// (or, failing that, when `planned` says they will), or its `deadline`, whichever comes first.
fn closes(
    e: &atoll_scenario::model::Expectation,
    facts: &Facts<'_>,
    within: Option<Millis>,
    deadline: Option<Millis>,
    planned: &dyn Fn(&str) -> Option<Millis>,
) -> Option<Millis> {
    let ran = |step: &str| {
        outcome(facts, step)
            .and_then(|o| match (o.status, o.due) {
                (Status::Succeeded, Some(at)) => Some(at),
                _ => None,
            })
            .or_else(|| planned(step))
    };
    if let Some(step) = &e.detect {
        limit_of(ran(&step.name), within, deadline)
    } else if let Some(rule) = &e.rule {
        limit_of(ran(&rule.step.name), within, deadline)
    } else if let Some(question) = &e.answer {
        let asked = facts
            .asked
            .iter()
            .find(|(q, _)| *q == question.name)
            .map(|&(_, at)| at)
            .or_else(|| planned(&question.name));
        limit_of(asked, within, deadline)
    } else if let Some(report) = &e.report {
        limit_of(ran(&report.step.name), Some(report.within.as_secs() * 1000), deadline)
    } else {
        None
    }
}

/// The tuning lines: a suppression that hid a campaign step's alerts costs [`TUNING_COST`] per
/// step; one that hid enough alerts and none of a step earns [`TUNING_REWARD`], for the first
/// [`TUNING_MAX_REWARDED`] such suppressions.
fn tuning(facts: &Facts<'_>) -> Vec<Tuning> {
    let mut lines = Vec::new();
    let mut rewarded = 0;
    for s in facts.suppressions {
        let mut steps: Vec<(&str, usize)> = Vec::new();
        for &i in s.hidden {
            let Some(alert) = facts.alerts.get(i) else { continue };
            for outcome in facts.outcomes {
                if outcome.events.binary_search(&u64::from(alert.row)).is_ok() {
                    match steps.iter_mut().find(|(step, _)| *step == outcome.step) {
                        Some((_, n)) => *n += 1,
                        None => steps.push((outcome.step, 1)),
                    }
                }
            }
        }
        for (step, n) in &steps {
            lines.push(Tuning {
                suppression: s.id,
                points: -TUNING_COST,
                why: format!(
                    "Suppression {} (by {}: «{}») hid {n} alert{} raised by campaign step {step}: the attack left the queue.",
                    s.what,
                    s.username,
                    s.reason,
                    if *n == 1 { "" } else { "s" }
                ),
            });
        }
        // Only the shared rules' noise counts: a team could write a noisy rule of its own to
        // suppress for points.
        let shared = s
            .hidden
            .iter()
            .filter(|&&i| facts.alerts.get(i).is_some_and(|a| a.team_rule().is_none()))
            .count();
        if steps.is_empty() && shared >= TUNING_MIN_HIDDEN && rewarded < TUNING_MAX_REWARDED {
            rewarded += 1;
            lines.push(Tuning {
                suppression: s.id,
                points: TUNING_REWARD,
                why: format!(
                    "Suppression {} (by {}) took {} false positives out of the queue, and nothing of the attack.",
                    s.what, s.username, shared
                ),
            });
        }
    }
    lines
}

/// The earlier of a time after something happened and an absolute deadline.
fn limit_of(from: Option<Millis>, within: Option<Millis>, deadline: Option<Millis>) -> Option<Millis> {
    match (from.zip(within).map(|(f, w)| f + w), deadline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn answer(
    facts: &Facts<'_>,
    question: &str,
    points: u32,
    within: Option<Millis>,
    deadline: Option<Millis>,
    label: &dyn Fn(Millis) -> String,
) -> (u32, Standing, String) {
    let Some(&(_, asked)) = facts.asked.iter().find(|(q, _)| *q == question) else {
        return if facts.ended {
            (
                0,
                Standing::Unscored,
                format!("Question {question} was never put to the team, so this is not scored."),
            )
        } else {
            (
                0,
                Standing::Open,
                format!("Question {question} has not been asked yet."),
            )
        };
    };
    let limit = limit_of(Some(asked), within, deadline);
    let allowed = limit.map_or(String::new(), |l| format!("; the limit was {}", label(l)));
    let Some(a) = facts.answers.iter().find(|a| a.question == question) else {
        return match limit {
            Some(l) if facts.now > l || facts.ended => (
                0,
                Standing::Missed,
                format!(
                    "Not answered: question {question} was asked at {}{allowed}.",
                    label(asked)
                ),
            ),
            _ if facts.ended => (
                0,
                Standing::Missed,
                format!("Not answered: question {question} was asked at {}.", label(asked)),
            ),
            _ => (
                0,
                Standing::Open,
                format!(
                    "Question {question} was asked at {} and is not answered yet.",
                    label(asked)
                ),
            ),
        };
    };
    let when = format!("Answered by {} at {}", a.username, label(a.at));
    if limit.is_some_and(|l| a.at > l) {
        return (0, Standing::Missed, format!("{when}, too late{allowed}."));
    }
    match &a.grade {
        None => (
            0,
            Standing::Open,
            format!("{when}; the white cell has not graded it yet."),
        ),
        Some(grade) => {
            let earned = grade.scale(points);
            let standing = if earned > 0 { Standing::Earned } else { Standing::Missed };
            // The grade's own points (a rubric's 4 + 4 + 2) scale to the expectation's.
            let scaled = if grade.max == points {
                String::new()
            } else {
                format!(
                    " {} of {} grade points make {earned} of the expectation's {points} points.",
                    grade.earned.min(grade.max),
                    grade.max
                )
            };
            (earned, standing, format!("{when}. {}{scaled}", grade.why))
        }
    }
}

fn reported(
    facts: &Facts<'_>,
    expectation: &str,
    outcome: &StepOutcome<'_>,
    points: u32,
    within: Millis,
    deadline: Option<Millis>,
    label: &dyn Fn(Millis) -> String,
) -> (u32, Standing, String) {
    let step = outcome.step;
    let ran = match (outcome.status, outcome.due) {
        (Status::Succeeded, Some(at)) => Some(at),
        _ => None,
    };
    // A step the team stopped is an incident too: the report is due as long after the
    // moment it was stopped as it would have been after the step.
    let stopped = match (outcome.status, outcome.due) {
        (Status::Prevented, Some(at)) => Some(at),
        _ => None,
    };
    let limit = limit_of(ran.or(stopped), Some(within), deadline);
    let in_time: Vec<&ReportFact<'_>> = facts
        .reports
        .iter()
        .filter(|r| limit.is_none_or(|l| r.at <= l))
        .collect();
    let best = in_time
        .iter()
        .filter_map(|r| {
            let (grade, comment, grader) = r.grade.as_ref()?;
            Some((r, grade.get(expectation).copied()?.min(points), *comment, *grader))
        })
        .max_by_key(|&(r, p, _, _)| (p, std::cmp::Reverse(r.at)));
    let allowed = limit.map_or(String::new(), |l| format!(" (the limit is {})", label(l)));
    let over = limit.is_some_and(|l| facts.now > l) || facts.ended;
    let waiting = in_time.iter().find(|r| r.grade.is_none());
    // A report graded 0 for this expectation settles it only once no other report can count:
    // until then a report waiting for its grade, or one still to come, may earn it.
    if let Some((r, p, comment, grader)) = best
        && (p > 0 || (over && waiting.is_none()))
    {
        let comment = if comment.trim().is_empty() {
            String::new()
        } else {
            format!(" Comment: {}", comment.trim())
        };
        let standing = if p > 0 { Standing::Earned } else { Standing::Missed };
        return (
            p,
            standing,
            format!(
                "Report «{}» by {} at {}, graded by {grader}: {p} of {points}.{comment}",
                r.title,
                r.username,
                label(r.at)
            ),
        );
    }
    if let Some(r) = waiting {
        return (
            0,
            Standing::Open,
            format!(
                "Report «{}» by {} at {} awaits the white cell's grade.",
                r.title,
                r.username,
                label(r.at)
            ),
        );
    }
    let prevented = outcome.status == Status::Prevented;
    match (ran, over) {
        (Some(at), true) => (
            0,
            Standing::Missed,
            format!(
                "No report on this incident in time: step {step} ran at {}{allowed}.",
                label(at)
            ),
        ),
        (None, true) if prevented => (
            0,
            Standing::Missed,
            match stopped {
                Some(at) => format!(
                    "Step {step} was stopped at {}, and no report on the incident was handed in{allowed}.",
                    label(at)
                ),
                None => {
                    format!("Step {step} was prevented, and no report on the incident was handed in before play ended.")
                }
            },
        ),
        (None, true) => (
            0,
            Standing::Unscored,
            format!("Play ended before step {step} ran, so there was no incident to report; not scored."),
        ),
        (None, false) if prevented => (
            0,
            Standing::Open,
            match stopped {
                Some(at) => format!(
                    "Step {step} was stopped at {}; report the incident{allowed}.",
                    label(at)
                ),
                None => format!("Step {step} was prevented; a report on the incident counts until play ends."),
            },
        ),
        (Some(at), false) => (
            0,
            Standing::Open,
            format!("Step {step} ran at {}; report the incident{allowed}.", label(at)),
        ),
        (None, false) => (0, Standing::Open, format!("Step {step} has not happened yet.")),
    }
}

/// When a hint becomes available to the team, if it is yet to or has: `available_after` the
/// item it helps with became active (a question when it was asked; a detection or report
/// expectation when its step ran; an answer expectation when its question was asked; the
/// others from the start of play). `None` while the item is not active.
pub fn hint_available(scenario: &Scenario, hint: &atoll_scenario::model::Hint, facts: &Facts<'_>) -> Option<Millis> {
    let target = hint.r#for.name.as_str();
    let asked = |q: &str| facts.asked.iter().find(|(id, _)| *id == q).map(|&(_, at)| at);
    let ran = |step: &str| {
        outcome(facts, step).and_then(|o| match (o.status, o.due) {
            (Status::Succeeded, Some(at)) => Some(at),
            _ => None,
        })
    };
    let active = if scenario.questions.iter().any(|q| q.id.name == target) {
        asked(target)?
    } else {
        let e = scenario.expectations.iter().find(|e| e.id.name == target)?;
        if !e.teams.is_empty() && !e.teams.iter().any(|t| t.name == facts.team) {
            return None;
        }
        if let Some(step) = &e.detect {
            ran(&step.name)?
        } else if let Some(report) = &e.report {
            ran(&report.step.name)?
        } else if let Some(q) = &e.answer {
            asked(&q.name)?
        } else if e.decide.is_some() {
            return None;
        } else {
            0
        }
    };
    Some(active + hint.available_after.map_or(0, |d| d.as_secs() * 1000))
}

/// One campaign step of a team as play stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub step: String,
    pub status: Status,
    /// Exercise time it ran or was prevented.
    pub at: Option<Millis>,
    /// When the team detected it: the standing true-positive verdict on an alert its events
    /// raised, timed as detection expectations time it.
    pub detected: Option<Millis>,
    /// Why it did not run, for a prevented step ([`SKIPPED`] if the white cell skipped it).
    pub reason: Option<String>,
}

/// Where the campaign stands for the team: every step of it, in the order the simulation
/// lists them.
pub fn progress(facts: &Facts<'_>) -> Vec<Progress> {
    facts
        .outcomes
        .iter()
        .filter(|o| o.team == facts.team)
        .map(|o| Progress {
            step: o.step.to_owned(),
            status: o.status,
            at: o.due,
            detected: match o.status {
                Status::Succeeded => detection(facts, o).map(|(at, _, _)| at),
                _ => None,
            },
            reason: o.reason.map(str::to_owned),
        })
        .collect()
}

/// A step the white cell skipped is scored neither way: the team had nothing to detect or
/// contain, and did nothing to stop it either.
fn skipped(outcome: &StepOutcome<'_>) -> Option<(bool, Standing, String)> {
    (outcome.reason == Some(SKIPPED)).then(|| {
        (
            false,
            Standing::Unscored,
            format!("The white cell skipped step {}, so this is not scored.", outcome.step),
        )
    })
}

/// The scenario's plan for its campaign steps, read from the scenario alone
/// ([`atoll_scenario::timing::planned_steps`]): what decides from the start of play which
/// steps can be scored, so that no team's maximum changes when play ends.
struct Plan<'s> {
    scenario: &'s Scenario,
    /// Planned exercise time of each step; `None` for a step that runs only as a fallback.
    steps: std::collections::HashMap<&'s str, Option<i64>>,
    /// The planned end of play (exercise milliseconds).
    end: Millis,
}

impl<'s> Plan<'s> {
    fn of(scenario: &'s Scenario) -> Plan<'s> {
        Plan {
            scenario,
            steps: atoll_scenario::timing::planned_steps(scenario),
            end: scenario.duration.value.as_secs() * 1000,
        }
    }

    /// Why a step the team's world has not queued is not scored, if it is the fallback of
    /// one of the team's steps: it runs only if that step is blocked.
    fn fallback_of(&self, facts: &Facts<'_>, step: &str) -> Option<String> {
        let main =
            self.scenario.campaigns.iter().flat_map(|c| &c.steps).find(|s| {
                s.fallback.as_ref().is_some_and(|f| f.name == step) && outcome(facts, &s.id.name).is_some()
            })?;
        Some(format!(
            "Step {step} runs only if step {} is blocked: scored if it runs.",
            main.id.name
        ))
    }

    /// What settles an expectation on a step that has not come (still pending), whatever
    /// the team does: a step planned after the end of play, or one that runs only as the
    /// fallback of another, is not scored, from the start (as a fallback, it is scored if it
    /// runs). `None` for a step planned within play (while it can still come, or once it
    /// has; one play ended before is settled by each kind of expectation).
    fn not_come(
        &self,
        outcome: &StepOutcome<'_>,
        label: &dyn Fn(Millis) -> String,
    ) -> Option<(bool, Standing, String)> {
        if outcome.status != Status::Pending {
            return None;
        }
        let step = outcome.step;
        match self.steps.get(step).copied().flatten() {
            None => Some((
                false,
                Standing::Unscored,
                format!("Step {step} comes only if the adversary takes another way in: scored if it runs."),
            )),
            Some(at) if at.max(0) as Millis >= self.end => Some((
                false,
                Standing::Unscored,
                format!(
                    "Step {step} is planned for {}, after the planned end of play ({}): not part of this exercise's score.",
                    label(at.max(0) as Millis),
                    label(self.end)
                ),
            )),
            Some(_) => None,
        }
    }
}

/// The team's action that stopped a prevented step, in words (`the isolation of PT-DC01 by
/// pita at D1 10:02`): the latest one, at or before the step came due, that did what the
/// simulation says blocked it (a target isolated, an address or domain blocked, stolen
/// credentials disabled or reset). `None` when the team's actions do not explain it (the
/// step required another that never ran, say).
fn stopped_by(
    scenario: &Scenario,
    facts: &Facts<'_>,
    outcome: &StepOutcome<'_>,
    label: &dyn Fn(Millis) -> String,
) -> Option<String> {
    let mut needs = Vec::new();
    let mut current = outcome;
    // A step that needed another the team stopped: the action that stopped that one.
    while let Some(needed) = current
        .reason
        .and_then(|r| r.strip_prefix("requires step "))
        .and_then(|r| r.strip_suffix(" succeeded"))
    {
        if needs.len() > 32 || needs.contains(&needed) {
            return None;
        }
        current = facts
            .outcomes
            .iter()
            .find(|o| o.team == facts.team && o.step == needed && o.status == Status::Prevented)?;
        needs.push(needed);
    }
    let action = action_that_stopped(scenario, facts, current, label)?;
    Some(match needs.first() {
        None => format!("{action} stopped it"),
        Some(needed) => format!("it needs step {needed}, which {action} stopped"),
    })
}

/// Actions that contain an intrusion: what can make a step's `contained` condition hold.
const CONTAINING: &[&str] = &[
    "isolate_host",
    "shutdown_host",
    "reimage_host",
    "restore_backup",
    "block_address",
    "block_domain",
    "disable_account",
    "reset_password",
];

/// [`stopped_by`] for a step the team's action blocked directly: the action, in words, with
/// who took it and when.
fn action_that_stopped(
    scenario: &Scenario,
    facts: &Facts<'_>,
    outcome: &StepOutcome<'_>,
    label: &dyn Fn(Millis) -> String,
) -> Option<String> {
    let reason = outcome.reason?;
    let due = outcome.due?;
    let mut before = facts.actions.iter().rev().filter(|a| a.at <= due);
    // A host as the player named it (its name, address or id), by its name.
    let host_name = |typed: &str| {
        scenario
            .world
            .hosts
            .iter()
            .find(|h| h.hostname.eq_ignore_ascii_case(typed) || h.address.0.to_string() == typed || h.id.name == typed)
            .map_or_else(|| typed.to_owned(), |h| h.hostname.clone())
    };
    let found = if let Some(hosts) = reason.strip_prefix("target isolated or offline: ") {
        let hosts: Vec<&str> = hosts.split(", ").collect();
        before.find(|a| {
            ["isolate_host", "shutdown_host"].contains(&a.action)
                && hosts.iter().any(|h| h.eq_ignore_ascii_case(&host_name(a.target)))
        })?
    } else if let Some(address) = reason
        .strip_prefix("command-and-control address ")
        .and_then(|r| r.strip_suffix(" blocked"))
    {
        before.find(|a| a.action == "block_address" && a.target == address)?
    } else if let Some(domain) = reason
        .strip_prefix("command-and-control domain ")
        .and_then(|r| r.strip_suffix(" blocked"))
    {
        before.find(|a| {
            a.action == "block_domain"
                && (domain.eq_ignore_ascii_case(a.target) || domain.ends_with(&format!(".{}", a.target)))
        })?
    } else if reason.starts_with("the stolen credentials no longer work") {
        before.find(|a| a.action == "disable_account" || a.action == "reset_password")?
    } else if reason.starts_with("requires not (step ") && reason.ends_with(" contained)") {
        // The step may run only while an earlier one is not contained: the team's latest
        // containing action before it came due.
        before.find(|a| CONTAINING.contains(&a.action))?
    } else {
        return None;
    };
    let target = found.target;
    let what = match found.action {
        "isolate_host" => format!("the isolation of {}", host_name(target)),
        "shutdown_host" => format!("the shutdown of {}", host_name(target)),
        "reimage_host" => format!("the rebuild of {}", host_name(target)),
        "restore_backup" => format!("the restore of {}", host_name(target)),
        "block_address" | "block_domain" => format!("the block on {target}"),
        "disable_account" => format!("disabling {target}"),
        _ => format!("the password reset of {target}"),
    };
    Some(format!("{what} by {} at {}", found.username, label(found.at)))
}

fn outcome<'a>(facts: &'a Facts<'a>, step: &str) -> Option<&'a StepOutcome<'a>> {
    facts.outcomes.iter().find(|o| o.team == facts.team && o.step == step)
}

/// A duration as people say it: `45 min`, `2 h`, `2 h 5 min`.
pub fn span(ms: Millis) -> String {
    let minutes = ms / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn detect(
    scenario: &Scenario,
    facts: &Facts<'_>,
    outcome: &StepOutcome<'_>,
    within: Option<Millis>,
    deadline: Option<Millis>,
    label: &dyn Fn(Millis) -> String,
) -> (bool, Standing, String) {
    let step = outcome.step;
    let ran = match (outcome.status, outcome.due) {
        (Status::Prevented, _) => {
            let how = stopped_by(scenario, facts, outcome, label).unwrap_or_else(|| {
                let reason = outcome.reason.map(|r| format!(" ({r})")).unwrap_or_default();
                format!("the team's response prevented it{reason}")
            });
            return (
                true,
                Standing::Earned,
                format!("Step {step} never ran: {how}, so there was nothing left to detect."),
            );
        }
        (Status::Succeeded, Some(at)) => at,
        _ if facts.ended => {
            return (
                false,
                Standing::Unscored,
                format!("Play ended before step {step} ran, so there was nothing to detect; not scored."),
            );
        }
        _ => {
            return (false, Standing::Open, format!("Step {step} has not happened yet."));
        }
    };
    let limit = match (within.map(|w| ran + w), deadline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let allowed = limit.map_or(String::new(), |l| format!("; the limit was {}", label(l)));
    match detection(facts, outcome) {
        Some((at, verdict, alert)) => {
            let what = alert.map_or_else(
                || format!("the alert on event {}", verdict.row),
                |a| match &a.host {
                    Some(host) => format!("alert «{}» on {host}", a.title),
                    None => format!("alert «{}»", a.title),
                },
            );
            let when = format!(
                "{what} was marked true positive by {} at {}, {} after the step ran at {}{allowed}",
                verdict.username,
                label(at),
                span(at.saturating_sub(ran)),
                label(ran)
            );
            if limit.is_none_or(|l| at <= l) {
                (true, Standing::Earned, format!("Detected: {when}."))
            } else {
                (false, Standing::Missed, format!("Detected too late: {when}."))
            }
        }
        None => match limit {
            Some(l) if facts.now > l || facts.ended => (
                false,
                Standing::Missed,
                format!(
                    "Not detected in time: step {step} ran at {} and no alert on its events was marked true positive by {}.",
                    label(ran),
                    label(l)
                ),
            ),
            Some(l) => (
                false,
                Standing::Open,
                format!(
                    "Step {step} ran at {}; {} left to mark an alert on its events true positive.",
                    label(ran),
                    span(l - facts.now)
                ),
            ),
            None if facts.ended => (
                false,
                Standing::Missed,
                format!(
                    "Not detected: step {step} ran at {} and no alert on its events was marked true positive.",
                    label(ran)
                ),
            ),
            None => (
                false,
                Standing::Open,
                format!(
                    "Step {step} ran at {}; no alert on its events is marked true positive yet.",
                    label(ran)
                ),
            ),
        },
    }
}

/// The earliest standing true-positive verdict on an alert raised by one of the step's events:
/// for each such alert whose latest verdict is true positive, the verdict that began that
/// unbroken run of true positives (a verdict withdrawn and given again counts from again).
fn detection<'a>(
    facts: &'a Facts<'a>,
    outcome: &StepOutcome<'_>,
) -> Option<(Millis, &'a Verdict<'a>, Option<&'a Alert>)> {
    // (row, rule) → the verdict that began its current run of true positives, if any.
    let mut runs: Vec<(u32, &str, Option<&Verdict<'_>>)> = Vec::new();
    for v in facts.verdicts {
        if outcome.events.binary_search(&u64::from(v.row)).is_err() {
            continue;
        }
        let at = match runs.iter().position(|(row, rule, _)| *row == v.row && *rule == v.rule) {
            Some(at) => at,
            None => {
                runs.push((v.row, v.rule, None));
                runs.len() - 1
            }
        };
        let run = &mut runs[at].2;
        if v.state != "true_positive" {
            *run = None;
        } else if run.is_none() {
            *run = Some(v);
        }
    }
    let mut best: Option<(Millis, &Verdict<'_>)> = None;
    for v in runs.iter().filter_map(|(_, _, run)| *run) {
        // Verdicts stored before their exercise time was recorded cannot be timed.
        let Some(at) = v.at else { continue };
        if best.is_none_or(|(b, _)| at < b) {
            best = Some((at, v));
        }
    }
    let (at, verdict) = best?;
    let alert = facts
        .alerts
        .iter()
        .find(|a| a.row == verdict.row && a.rule_id.as_deref().unwrap_or(&a.title) == verdict.rule);
    Some((at, verdict, alert))
}

/// A rule of the team's own that catches the step: on by the limit, it matches at least one
/// of the step's events and at most `max_fp` events no campaign step wrote, over the team's
/// world from the start of play (so a rule written after the step still counts, as testing
/// it shows; its false positives are counted until play ends).
fn rule_written(
    facts: &Facts<'_>,
    outcome: &StepOutcome<'_>,
    max_fp: u32,
    limit: &dyn Fn(Millis) -> Option<Millis>,
    label: &dyn Fn(Millis) -> String,
) -> (bool, Standing, String) {
    let step = outcome.step;
    let ran = match (outcome.status, outcome.due) {
        (Status::Prevented, _) => {
            return (
                true,
                Standing::Earned,
                format!("Step {step} never ran: the team's response prevented it, so there was nothing left to catch."),
            );
        }
        (Status::Succeeded, Some(at)) => at,
        _ if facts.ended => {
            return (
                false,
                Standing::Unscored,
                format!("Play ended before step {step} ran, so there was nothing to catch; not scored."),
            );
        }
        _ => return (false, Standing::Open, format!("Step {step} has not happened yet.")),
    };
    let limit = limit(ran);
    let of_attack = |row: &u32| {
        facts
            .outcomes
            .iter()
            .any(|o| o.events.binary_search(&u64::from(*row)).is_ok())
    };
    // (rule, events of the step it matches, false positives), for rules that catch the step.
    let catching: Vec<(&crate::TeamRuleTruth<'_>, usize, usize)> = facts
        .team_rules
        .iter()
        .filter_map(|r| {
            let caught = r
                .matched
                .iter()
                .filter(|row| outcome.events.binary_search(&u64::from(**row)).is_ok())
                .count();
            (caught > 0).then(|| (r, caught, r.matched.iter().filter(|row| !of_attack(row)).count()))
        })
        .collect();
    let named = |r: &crate::TeamRuleTruth<'_>| format!("rule {} «{}»", r.id, r.title);
    let in_time = |r: &crate::TeamRuleTruth<'_>| limit.is_none_or(|l| r.from <= l);
    let good = catching
        .iter()
        .filter(|(r, _, fp)| *fp <= max_fp as usize && in_time(r))
        .min_by_key(|(r, _, _)| r.from);
    let allowed = format!("at most {max_fp} allowed");
    if let Some((r, caught, fp)) = good {
        return (
            true,
            Standing::Earned,
            format!(
                "The team's {} (turned on at {}) matches {caught} event{} of step {step} and {fp} event{} of no campaign step ({allowed}).",
                named(r),
                label(r.from),
                if *caught == 1 { "" } else { "s" },
                if *fp == 1 { "" } else { "s" },
            ),
        );
    }
    let closed = facts.ended || limit.is_some_and(|l| facts.now > l);
    let standing = if closed { Standing::Missed } else { Standing::Open };
    let by = limit.map_or(String::new(), |l| format!(" by {}", label(l)));
    let why = match catching.iter().min_by_key(|(_, _, fp)| *fp) {
        Some((r, _, fp)) if *fp > max_fp as usize => format!(
            "The team's {} catches step {step} but also matches {fp} events of no campaign step ({allowed}): narrow it.",
            named(r)
        ),
        Some((r, _, _)) => format!(
            "The team's {} catches step {step}, but was turned on at {}, after the limit{by}.",
            named(r),
            label(r.from)
        ),
        None if closed => format!(
            "No rule of the team's matches an event of step {step}, which ran at {}{}.",
            label(ran),
            if by.is_empty() {
                String::new()
            } else {
                format!("; a rule was due{by}")
            }
        ),
        None => format!(
            "Step {step} ran at {}; no rule of the team's matches its events yet. Write one{by} with {allowed} false positives.",
            label(ran)
        ),
    };
    (false, standing, why)
}

fn contain(
    scenario: &Scenario,
    facts: &Facts<'_>,
    outcome: &StepOutcome<'_>,
    label: &dyn Fn(Millis) -> String,
) -> (bool, Standing, String) {
    let step = outcome.step;
    let ended = facts.ended;
    match (outcome.status, outcome.due) {
        (Status::Prevented, _) => {
            let reason = match stopped_by(scenario, facts, outcome, label) {
                Some(how) => format!(": {how}"),
                None => outcome.reason.map(|r| format!(": {r}")).unwrap_or_default(),
            };
            (true, Standing::Earned, format!("Step {step} was prevented{reason}."))
        }
        (Status::Succeeded, Some(at)) => (
            false,
            Standing::Missed,
            format!("Step {step} ran at {} before the intrusion was contained.", label(at)),
        ),
        // Play ended first: the adversary never got there, because time ran out, not because
        // the team stopped it.
        _ if ended => (
            false,
            Standing::Unscored,
            format!("Play ended before step {step} came due, so the team was never put to the test; not scored."),
        ),
        _ => (
            false,
            Standing::Open,
            format!("Step {step} has not happened yet: contain the intrusion before it does."),
        ),
    }
}

/// Whether players see an item's text and reason: once it is settled. An open item would tell
/// them which step ran when, or what comes next.
pub fn shown_to_players(item: &Item) -> bool {
    matches!(item.standing, Standing::Earned | Standing::Missed)
}

fn keep_up(
    scenario: &Scenario,
    facts: &Facts<'_>,
    keep: &atoll_scenario::model::KeepUp,
) -> Option<(bool, Standing, String)> {
    let chosen: Vec<&Downtime<'_>> = facts
        .downtime
        .iter()
        .filter(|d| d.team == facts.team)
        .filter(|d| {
            scenario
                .world
                .organisations
                .iter()
                .find(|o| o.id.name == d.service.organisation.name)
                .is_some_and(|org| keep.service.matches(d.service, org))
        })
        .collect();
    if chosen.is_empty() {
        return None;
    }
    let percent = |down: Millis| available_percent(down, facts.now);
    let worst = chosen
        .iter()
        .min_by(|a, b| percent(a.down).total_cmp(&percent(b.down)))?;
    let p = percent(worst.down);
    let name = worst.service.name.get("en");
    let ok = p + 1e-9 >= keep.min_percent;
    let state = format!(
        "{name} was up {p:.1}% of play so far (down {}); the minimum is {}%",
        span(worst.down),
        keep.min_percent
    );
    Some(match (ok, facts.ended) {
        (true, true) => (true, Standing::Earned, format!("Kept up: {state}.")),
        (false, true) => (false, Standing::Missed, format!("Not kept up: {state}.")),
        (true, false) => (false, Standing::Open, format!("On track: {state}.")),
        (false, false) => (false, Standing::Open, format!("Below the minimum for now: {state}.")),
    })
}
