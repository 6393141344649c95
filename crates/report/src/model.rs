//! The facts of an exercise as a report needs them: what the caller gathers from the store, the
//! simulation's ground truth and the score, already joined and labelled.
//!
//! This is a wire format (it is what `json::to_string` writes and `docs/report.schema.json`
//! describes), so it holds plain data and no logic beyond a few read-only helpers. Times are
//! exercise milliseconds since the start of play, each with the label the caller gave it
//! (`D1 09:10`): only the caller knows the exercise's time zone and when each day of play began.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The version of the report format written by this crate.
pub const FORMAT: u32 = 1;

/// Everything known about an exercise at one moment: the scenario, the objectives and each team.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExerciseReport {
    /// Version of this document's format; 1.
    pub format: u32,
    /// Name of the exercise, as the white cell knows it.
    pub exercise: String,
    /// Title of the scenario that was played.
    pub scenario: String,
    /// Version of the scenario that was played.
    pub scenario_version: String,
    /// First day of play (YYYY-MM-DD).
    pub date: Day,
    /// The moment of play this report describes: the end of play, or now if play goes on.
    pub as_of: Moment,
    /// Whether play has ended; if not, the report is provisional.
    pub play_ended: bool,
    /// Planned length of play in milliseconds.
    pub duration_ms: u64,
    /// Moments at which charts label their time axis, in time order (typically each hour of play).
    pub ticks: Vec<Moment>,
    /// What the exercise sets out to train or test; score lines refer to them by id.
    pub objectives: Vec<Objective>,
    /// One entry per team, in the order the white cell lists them.
    pub teams: Vec<TeamReport>,
    /// Lessons learned and improvement actions about the exercise as a whole (the white
    /// cell's).
    #[serde(default)]
    pub lessons: Vec<Lesson>,
    /// What participants said in the feedback form, summarised; none until someone answers,
    /// and only in the whole exercise's report.
    #[serde(default)]
    pub feedback: Option<crate::feedback::Summary>,
}

impl ExerciseReport {
    /// The team with this id, if it took part.
    pub fn team(&self, id: &str) -> Option<&TeamReport> {
        self.teams.iter().find(|t| t.id == id)
    }
}

/// A point in exercise time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Moment {
    /// Milliseconds since the start of play (exercise time: pauses do not count).
    pub ms: u64,
    /// The same moment as people read it, e.g. "D1 09:10".
    pub label: String,
}

/// A calendar day, written YYYY-MM-DD.
///
/// Only a valid date of the years 1 to 9999 can be built or read, so what derives from it (STIX
/// timestamps) cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    year: u16,
    month: u8,
    day: u8,
}

impl Day {
    /// Parses `YYYY-MM-DD`; `None` if the text is not a date of the years 1 to 9999.
    pub fn parse(text: &str) -> Option<Day> {
        let bytes = text.as_bytes();
        if !text.is_ascii() || bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u16> {
            let part = &text[range];
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let year = number(0..4)?;
        let month = u8::try_from(number(5..7)?).ok()?;
        let day = u8::try_from(number(8..10)?).ok()?;
        let valid = year >= 1 && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Day { year, month, day })
    }

    /// The year, 1 to 9999.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        Day::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("expected a date written YYYY-MM-DD, found {text:?}")))
    }
}

impl JsonSchema for Day {
    fn schema_name() -> Cow<'static, str> {
        "Day".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A calendar day, YYYY-MM-DD.",
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        })
    }
}

/// One objective of the exercise.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    /// Identifier that score lines use to refer to it.
    pub id: String,
    /// The objective in a sentence.
    pub text: String,
}

/// What one team did and how it fared.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamReport {
    /// Identifier of the team.
    pub id: String,
    /// Name of the team.
    pub name: String,
    /// The nation the team defends.
    pub nation: String,
    /// The team's score, line by line.
    pub score: Score,
    /// Each step of the adversary's campaigns against this team.
    pub steps: Vec<Step>,
    /// The team's story in time order: steps, detections, actions, injects, reports and more.
    pub timeline: Vec<Entry>,
    /// Availability of the team's services over play so far.
    pub availability: Vec<Service>,
    /// How the team handled its alerts.
    pub triage: Triage,
    /// The ATT&CK techniques of the campaigns and whether the team saw them.
    pub techniques: Vec<Technique>,
    /// The team's answers to the exercise's questions.
    pub answers: Vec<Answer>,
    /// The reports the team sent.
    pub reports: Vec<Report>,
    /// The hints the team took.
    pub hints: Vec<Hint>,
    /// Time to detect and to contain by ATT&CK tactic, for the steps that ran (in matrix order;
    /// [`tactic_figures`] computes them from `steps`).
    #[serde(default)]
    pub tactics: Vec<TacticFigures>,
    /// The same nation's results in earlier exercises held by the same database, oldest first.
    #[serde(default)]
    pub earlier: Vec<EarlierResult>,
    /// Lessons learned and improvement actions about this team (the white cell's and its own).
    #[serde(default)]
    pub lessons: Vec<Lesson>,
}

/// A team's score.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// Points in the end: earned minus penalty plus adjustments (may be negative).
    pub total: i64,
    /// Points the team could have earned.
    pub possible: u32,
    /// Points earned on the score lines.
    pub earned: u32,
    /// Points taken off (hints and the like).
    pub penalty: u32,
    /// Each expectation the team was scored against.
    pub lines: Vec<Line>,
    /// Points the white cell added or took off by hand, with the reason.
    pub adjustments: Vec<Adjustment>,
}

impl Score {
    /// The total as a percentage of the points possible, to set teams side by side whatever their
    /// scenario gave each; `None` when nothing could be earned.
    pub fn percent(&self) -> Option<f64> {
        (self.possible > 0).then(|| self.total as f64 * 100.0 / f64::from(self.possible))
    }

    /// How far the team met an objective, judged on the score lines tagged with it (lines that
    /// give no points do not count).
    pub fn attainment(&self, objective: &str) -> Attainment {
        let scored = self
            .lines
            .iter()
            .filter(|l| l.standing != Standing::Unscored && l.objectives.iter().any(|o| o == objective));
        let (mut lines, mut earned, mut open) = (0, 0, 0);
        for line in scored {
            lines += 1;
            match line.standing {
                Standing::Earned => earned += 1,
                Standing::Open => open += 1,
                Standing::Missed | Standing::Unscored => {}
            }
        }
        match (lines, earned, open) {
            (0, _, _) => Attainment::NoScoredLines,
            (lines, earned, _) if earned == lines => Attainment::Met,
            (lines, earned, _) if earned > 0 => Attainment::Partly { earned, lines },
            (_, _, 0) => Attainment::NotMet,
            _ => Attainment::Pending,
        }
    }
}

/// How far a team met an objective (see [`Score::attainment`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attainment {
    /// Every scored line tagged with the objective is earned.
    Met,
    /// Some of them are.
    Partly {
        /// Lines earned.
        earned: usize,
        /// Scored lines tagged with the objective.
        lines: usize,
    },
    /// None is earned and none can still be.
    NotMet,
    /// None is earned yet, but some still can be.
    Pending,
    /// No scored line is tagged with the objective.
    NoScoredLines,
}

impl Attainment {
    /// The attainment as the JSON writes it: `met`, `partly`, `not_met`, `pending` or
    /// `no_scored_lines`.
    pub fn word(self) -> &'static str {
        match self {
            Attainment::Met => "met",
            Attainment::Partly { .. } => "partly",
            Attainment::NotMet => "not_met",
            Attainment::Pending => "pending",
            Attainment::NoScoredLines => "no_scored_lines",
        }
    }
}

/// One expectation on the score sheet.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// Identifier of the expectation in the scenario.
    pub expectation: String,
    /// What was expected, in a sentence.
    pub text: String,
    /// Points earned on this line.
    pub points: u32,
    /// Points this line can give.
    pub max: u32,
    /// Where the line stands.
    pub standing: Standing,
    /// Why it stands so, in a sentence.
    pub why: String,
    /// Objectives this expectation serves, by id.
    pub objectives: Vec<String>,
}

/// Where a score line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// The team met the expectation.
    Earned,
    /// The team can no longer meet it.
    Missed,
    /// It can still be met.
    Open,
    /// It gives no points (for instance, its step never ran).
    Unscored,
}

/// Points added or taken off by the white cell.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// The reason given.
    pub why: String,
    /// Points added (positive) or taken off (negative).
    pub points: i64,
}

/// One step of an adversary campaign against a team.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Identifier of the step in the scenario.
    pub id: String,
    /// Name of the step.
    pub name: String,
    /// Name of the campaign the step belongs to.
    pub campaign: String,
    /// ATT&CK technique id, e.g. "T1190" or "T1003.003".
    pub technique: String,
    /// ATT&CK tactic as the scenario writes it, e.g. "initial_access".
    pub tactic: Option<String>,
    /// What became of the step.
    pub status: StepStatus,
    /// When it ran, was prevented or was skipped.
    pub at: Option<Moment>,
    /// When the team first detected it.
    pub detected: Option<Moment>,
    /// Limit on the time to detect it, if an expectation sets one (milliseconds).
    pub detect_within_ms: Option<u64>,
    /// When a team action stopped it or a later step, if known.
    pub contained: Option<Moment>,
    /// The action that contained it.
    pub contained_by: Option<String>,
}

impl Step {
    /// How long the team took to detect the step after it ran.
    pub fn time_to_detect(&self) -> Option<u64> {
        Some(self.detected.as_ref()?.ms.saturating_sub(self.at.as_ref()?.ms))
    }

    /// How long after the step ran a team action stopped its campaign (for a step that ran).
    pub fn time_to_contain(&self) -> Option<u64> {
        (self.status == StepStatus::Ran)
            .then(|| Some(self.contained.as_ref()?.ms.saturating_sub(self.at.as_ref()?.ms)))
            .flatten()
    }
}

/// Time to detect and to contain for the steps of one ATT&CK tactic that ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TacticFigures {
    /// The tactic as the scenario writes it ("initial_access"); `None` for steps without one.
    pub tactic: Option<String>,
    /// Steps of the tactic that ran.
    pub ran: u32,
    /// Of those, the steps the team detected.
    pub detected: u32,
    /// Of those with a limit on the time to detect, the steps detected within it.
    pub in_time: u32,
    /// Steps with a limit on the time to detect.
    pub with_limit: u32,
    /// Median time to detect of the steps detected (milliseconds; of an even count, the mean
    /// of the middle two, rounded down).
    pub median_detect_ms: Option<u64>,
    /// Longest time to detect of the steps detected.
    pub worst_detect_ms: Option<u64>,
    /// Of the steps that ran, those whose campaign a team action stopped afterwards.
    pub contained: u32,
    /// Median time from the step to the action that stopped its campaign.
    pub median_contain_ms: Option<u64>,
}

/// Figures by tactic of the steps that ran, tactics in ATT&CK's matrix order and steps without
/// a tactic last.
pub fn tactic_figures(steps: &[Step]) -> Vec<TacticFigures> {
    let mut by_tactic: std::collections::BTreeMap<(usize, String), Vec<&Step>> = std::collections::BTreeMap::new();
    for step in steps.iter().filter(|s| s.status == StepStatus::Ran) {
        let key = step
            .tactic
            .as_deref()
            .map_or((usize::MAX, String::new()), crate::tactic_rank);
        by_tactic.entry(key).or_default().push(step);
    }
    by_tactic
        .into_values()
        .map(|steps| {
            let mut detect: Vec<u64> = steps.iter().filter_map(|s| s.time_to_detect()).collect();
            detect.sort_unstable();
            let mut contain: Vec<u64> = steps.iter().filter_map(|s| s.time_to_contain()).collect();
            contain.sort_unstable();
            let limited = steps.iter().filter(|s| s.detect_within_ms.is_some());
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            TacticFigures {
                tactic: steps[0].tactic.clone(),
                ran: count(steps.len()),
                detected: count(detect.len()),
                in_time: count(
                    limited
                        .clone()
                        .filter(|s| s.time_to_detect().zip(s.detect_within_ms).is_some_and(|(t, l)| t <= l))
                        .count(),
                ),
                with_limit: count(limited.count()),
                median_detect_ms: median(&detect),
                worst_detect_ms: detect.last().copied(),
                contained: count(contain.len()),
                median_contain_ms: median(&contain),
            }
        })
        .collect()
}

/// The median of sorted values; of an even count, the mean of the middle two (rounded down).
pub fn median(sorted: &[u64]) -> Option<u64> {
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[mid]),
        _ => Some(sorted[mid - 1] + (sorted[mid] - sorted[mid - 1]) / 2),
    }
}

/// A nation's result in an earlier exercise, to set beside this one's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EarlierResult {
    /// Name of the earlier exercise.
    pub exercise: String,
    /// Its first day of play.
    pub date: Day,
    /// Title of the scenario it played.
    pub scenario: String,
    /// Whether its play had ended when these figures were taken.
    pub play_ended: bool,
    /// The team's total as a percentage of its maximum, if anything could be earned.
    pub percent: Option<f64>,
    /// From the first step that ran to the team's first detection (milliseconds): the time to
    /// detect the intrusion.
    pub first_detection_ms: Option<u64>,
    /// Steps that ran, and of those the steps detected.
    pub ran: u32,
    pub detected: u32,
    /// Median time to detect of the steps detected.
    pub median_detect_ms: Option<u64>,
    /// Median time to contain of the steps contained.
    pub median_contain_ms: Option<u64>,
    /// How far the team met each objective of that exercise.
    pub objectives: Vec<ObjectiveResult>,
}

/// How far a team met one objective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveResult {
    /// The objective's id in its scenario.
    pub id: String,
    /// `met`, `partly`, `not_met`, `pending` or `no_scored_lines`.
    pub attainment: String,
}

impl EarlierResult {
    /// The figures of `team` in `report`, to keep for the exercises that follow.
    pub fn of(report: &ExerciseReport, team: &TeamReport) -> EarlierResult {
        let ran: Vec<&Step> = team.steps.iter().filter(|s| s.status == StepStatus::Ran).collect();
        let first_ran = ran.iter().filter_map(|s| s.at.as_ref().map(|m| m.ms)).min();
        let first_detected = ran.iter().filter_map(|s| s.detected.as_ref().map(|m| m.ms)).min();
        let mut detect: Vec<u64> = ran.iter().filter_map(|s| s.time_to_detect()).collect();
        detect.sort_unstable();
        let mut contain: Vec<u64> = ran.iter().filter_map(|s| s.time_to_contain()).collect();
        contain.sort_unstable();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        EarlierResult {
            exercise: report.exercise.clone(),
            date: report.date,
            scenario: report.scenario.clone(),
            play_ended: report.play_ended,
            percent: team.score.percent(),
            first_detection_ms: first_ran.zip(first_detected).map(|(r, d)| d.saturating_sub(r)),
            ran: count(ran.len()),
            detected: count(detect.len()),
            median_detect_ms: median(&detect),
            median_contain_ms: median(&contain),
            objectives: report
                .objectives
                .iter()
                .map(|o| ObjectiveResult {
                    id: o.id.clone(),
                    attainment: team.score.attainment(&o.id).word().to_owned(),
                })
                .collect(),
        }
    }
}

/// What became of a campaign step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// It ran.
    Ran,
    /// A team action stopped it before it could run (or stopped a step it needed).
    Prevented,
    /// The white cell skipped it.
    Skipped,
    /// It did not run: what it waits for never held (a fallback that was not needed, or a
    /// step it needed that did not run).
    NotRun,
    /// It has not come yet.
    ToCome,
}

/// One event of a team's story.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// When it happened.
    pub at: Moment,
    /// What kind of event it is.
    pub kind: EntryKind,
    /// What happened, in a sentence.
    pub text: String,
}

/// The kind of an event in a team's story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A campaign step ran, was prevented or skipped.
    Step,
    /// The team detected a step.
    Detection,
    /// The team took a response action.
    Action,
    /// The white cell sent an inject.
    Inject,
    /// The team sent a report.
    Report,
    /// The team answered a question.
    Answer,
    /// The team took a hint.
    Hint,
    /// A message between the team and the white cell.
    Message,
}

/// Availability of one of a team's services.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Identifier of the service.
    pub id: String,
    /// Name of the service.
    pub name: String,
    /// The host that provides it.
    pub host: String,
    /// Percentage of play so far during which it was available.
    pub percent: f64,
    /// Availability in each hour of play, from the first.
    pub hourly: Vec<HourBar>,
}

/// Availability during one hour of play.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HourBar {
    /// The hour as people read it, e.g. "D1 09:00".
    pub label: String,
    /// Percentage of the hour during which the service was available.
    pub percent: f64,
}

/// How a team handled its alerts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Triage {
    /// Alerts raised for the team.
    pub alerts: u64,
    /// Alerts the team judged true positives.
    pub true_positives: u64,
    /// Alerts the team judged false positives.
    pub false_positives: u64,
    /// Alerts still under investigation.
    pub investigating: u64,
    /// Alerts nobody judged.
    pub never_judged: u64,
    /// Alerts not shown because a suppression matched them.
    pub suppressed: u64,
    /// The suppressions the team made.
    pub suppressions: Vec<Suppression>,
}

/// A suppression of a detection rule's alerts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// The rule whose alerts were suppressed.
    pub rule: String,
    /// The reason given.
    pub reason: String,
    /// Who made it.
    pub by: String,
    /// When it was made.
    pub at: Moment,
    /// When it was lifted, if it was.
    pub ended: Option<Moment>,
}

/// One ATT&CK technique of the campaigns against a team.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Technique {
    /// ATT&CK technique id, e.g. "T1190".
    pub id: String,
    /// ATT&CK tactics it served in the campaigns, as the scenario writes them ("initial_access").
    pub tactics: Vec<String>,
    /// Ids of the steps that use it.
    pub steps: Vec<String>,
    /// Whether the team saw it.
    pub outcome: Coverage,
}

/// Whether a team saw a technique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// The team detected a step that used it.
    Detected,
    /// Steps that used it ran and the team detected none.
    Missed,
    /// The team prevented every step that would have used it.
    Prevented,
    /// No step that uses it has run.
    NotRun,
}

/// A team's answer to a question.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The question as it was put.
    pub question: String,
    /// The team's answer.
    pub answer: String,
    /// Who answered.
    pub by: String,
    /// When.
    pub at: Moment,
    /// Points given, once graded.
    pub points: Option<u32>,
    /// Points the question can give, if it is scored.
    pub max: Option<u32>,
    /// Why it got those points (or why not yet).
    pub why: String,
}

/// A report a team sent.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Title of the report.
    pub title: String,
    /// To whom it went, e.g. "National CERT".
    pub to: String,
    /// Traffic Light Protocol marking, e.g. "TLP:AMBER".
    pub tlp: String,
    /// Who wrote it.
    pub by: String,
    /// When it was sent.
    pub at: Moment,
    /// Indicators of compromise it lists (addresses, domains, URLs, hashes), as written.
    pub indicators: Vec<String>,
    /// Points given, once graded.
    pub points: Option<u32>,
    /// Points the report can give, if it is scored.
    pub max: Option<u32>,
    /// The white cell's comment on it.
    pub comment: Option<String>,
    /// Who in the white cell graded it.
    pub graded_by: Option<String>,
}

/// A hint a team took.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hint {
    /// The question the hint helps with.
    pub question: String,
    /// The hint.
    pub text: String,
    /// Who took it.
    pub by: String,
    /// When.
    pub at: Moment,
    /// Points it cost.
    pub cost: u32,
}

/// A lesson learned or an improvement action, as the white cell or a team wrote it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// The objective it is about (its id), or empty for the exercise as a whole.
    pub objective: String,
    pub kind: LessonKind,
    pub text: String,
    /// For an improvement action: who does it, and by when (`YYYY-MM-DD`); empty otherwise.
    pub owner: String,
    pub due: String,
    /// Who wrote it.
    pub by: String,
}

/// What a lesson is, in the words of an after-action report and improvement plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LessonKind {
    /// Something seen, neither good nor bad.
    Observation,
    /// Something that went well.
    Strength,
    /// An area for improvement.
    Improvement,
    /// An improvement action, with an owner and a due date.
    Action,
}
