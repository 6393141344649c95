//! atoll's persistence: accounts, sessions, sign-in failures and exercises with their clocks.
//!
//! [`Store`] is what the server uses; [`Sqlite`] implements it on an embedded SQLite file (the
//! default deployment). A PostgreSQL implementation of the same trait is to follow for the
//! scaled-out deployment; nothing outside this crate writes SQL.
//!
//! Migrations are numbered SQL files in `migrations/`, compiled into the binary and applied in
//! order, each in a transaction, at open.

use std::future::Future;
use std::path::Path;
use std::str::FromStr;

use sqlx::Row as _;

mod record;
pub use record::{Account, Dump, ExerciseRow, NO_PASSWORD, Rows};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// Numbered migrations, applied in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_accounts_and_exercises.sql")),
    (2, include_str!("../migrations/0002_actions.sql")),
    (3, include_str!("../migrations/0003_alert_triage.sql")),
    (4, include_str!("../migrations/0004_inject_reads.sql")),
    (5, include_str!("../migrations/0005_messages.sql")),
    (6, include_str!("../migrations/0006_exercise_scenario_text.sql")),
    (7, include_str!("../migrations/0007_triage_exercise_time.sql")),
    (8, include_str!("../migrations/0008_invitations.sql")),
    (9, include_str!("../migrations/0009_inject_sends.sql")),
    (10, include_str!("../migrations/0010_observer_teams.sql")),
    (11, include_str!("../migrations/0011_submissions.sql")),
    (12, include_str!("../migrations/0012_cases.sql")),
    (13, include_str!("../migrations/0013_searches_and_team_rules.sql")),
    (14, include_str!("../migrations/0014_scoreboard.sql")),
    (15, include_str!("../migrations/0015_case_events.sql")),
    (16, include_str!("../migrations/0016_message_tracks.sql")),
    (17, include_str!("../migrations/0017_api_tokens.sql")),
    (18, include_str!("../migrations/0018_suppressions.sql")),
    (19, include_str!("../migrations/0019_rule_switches.sql")),
    (20, include_str!("../migrations/0020_detections.sql")),
    (21, include_str!("../migrations/0021_audit.sql")),
    (22, include_str!("../migrations/0022_revocation_and_devices.sql")),
    (23, include_str!("../migrations/0023_message_threads.sql")),
    (24, include_str!("../migrations/0024_absent_teams.sql")),
    (25, include_str!("../migrations/0025_quota_indexes.sql")),
    (26, include_str!("../migrations/0026_reports_and_lessons.sql")),
    (27, include_str!("../migrations/0027_results.sql")),
    (28, include_str!("../migrations/0028_feedback.sql")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Instructor,
    Player,
    Observer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Instructor => "instructor",
            Role::Player => "player",
            Role::Observer => "observer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "instructor" => Some(Role::Instructor),
            "player" => Some(Role::Player),
            "observer" => Some(Role::Observer),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// The team of a player.
    pub team: Option<String>,
    /// The teams an observer follows, sorted; empty for every team (and for other roles).
    pub follows: Vec<String>,
}

impl User {
    /// Whether this user may see team `team`'s pages: instructors every team, observers the
    /// teams they follow (every team if none is chosen), players their own.
    pub fn sees(&self, team: &str) -> bool {
        match self.role {
            Role::Instructor => true,
            Role::Observer => self.follows.is_empty() || self.follows.iter().any(|t| t == team),
            Role::Player => self.team.as_deref() == Some(team),
        }
    }

    /// Sees every team: an instructor, or an observer who follows no team in particular.
    pub fn sees_all(&self) -> bool {
        match self.role {
            Role::Instructor => true,
            Role::Observer => self.follows.is_empty(),
            Role::Player => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exercise {
    pub id: i64,
    pub name: String,
    /// Where the scenario came from: a file path, or `bundled:NAME`.
    pub scenario_path: String,
    /// The scenario's YAML text; `None` for a scenario bundled in the binary.
    pub scenario_text: Option<String>,
    pub seed: u64,
    /// Day 1, `YYYY-MM-DD`.
    pub date: String,
    /// The exercise clock as JSON.
    pub clock: String,
}

/// A feedback response as stored: the username and team are absent when it is anonymous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub role: String,
    pub team: Option<String>,
    pub username: Option<String>,
    /// JSON, as given.
    pub answers: String,
}

/// What an exercise is created from.
#[derive(Debug, Clone, Copy)]
pub struct NewExercise<'a> {
    pub name: &'a str,
    pub scenario_path: &'a str,
    pub scenario_text: Option<&'a str>,
    pub seed: u64,
    /// Day 1, `YYYY-MM-DD`.
    pub date: &'a str,
    /// The exercise clock as JSON.
    pub clock: &'a str,
}

/// A team action as stored: who did what to which target, at which exercise time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    pub id: i64,
    pub team: String,
    /// Exercise milliseconds.
    pub at: u64,
    /// The action word, e.g. `isolate_host`.
    pub action: String,
    pub target: String,
    pub username: String,
}

/// A verdict on an alert, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    /// Its place in the table: verdicts are only ever added, so a later one has a larger id.
    pub id: i64,
    pub row: u32,
    /// The rule's id, or its title when it has none.
    pub rule: String,
    /// `new`, `investigating`, `true_positive` or `false_positive`.
    pub state: String,
    pub note: String,
    pub username: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Exercise time it was given (`None` for verdicts stored before that was recorded).
    pub at: Option<u64>,
}

/// A message between the white cell and a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub team: String,
    /// From the white cell to the team (an ad-hoc inject), or the team's reply.
    pub to_team: bool,
    /// The track of the team a white-cell message is meant for, if only one.
    pub track: Option<String>,
    pub subject: String,
    pub body: String,
    pub username: String,
    /// Exercise milliseconds when it was sent.
    pub at: u64,
    /// The scenario inject it replies on (its thread), if any.
    pub inject: Option<String>,
}

/// What a team hands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An answer to one of the scenario's questions; `subject` is the question's id.
    Answer,
    /// An incident report; `subject` is its title.
    Report,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Answer => "answer",
            Kind::Report => "report",
        }
    }
}

/// An answer or a report as stored, with its newest grade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub id: i64,
    pub team: String,
    pub kind: Kind,
    pub subject: String,
    /// The form as JSON.
    pub body: String,
    pub username: String,
    /// Exercise milliseconds when it was handed in.
    pub at: u64,
    pub grade: Option<Grade>,
}

/// An instructor's grade of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    /// Points per rubric criterion or per expectation, as a JSON object.
    pub points: String,
    pub comment: String,
    pub username: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A team's suppression: a rule's alerts, narrowed by field values, out of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub id: i64,
    pub team: String,
    /// The rule's title, as alerts show it.
    pub rule: String,
    /// (field, value) pairs the alert's event must all have (`host` is the alert's host).
    pub conditions: Vec<(String, String)>,
    pub reason: String,
    pub username: String,
    /// Exercise time it was made, and when it was ended (and by whom), if it was.
    pub at: u64,
    pub ended: Option<(u64, String)>,
}

/// The white cell turning a detection rule on or off from an exercise time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSwitch {
    pub rule: String,
    pub on: bool,
    pub at: u64,
    pub username: String,
}

/// A step a team detected, as the simulation is told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub team: String,
    pub step: String,
    /// Exercise milliseconds.
    pub at: u64,
    /// `verdict` (an alert on its events marked true positive) or `report` (a graded report).
    pub source: String,
    pub username: String,
}

/// One entry of the white cell's audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its place in the log: later entries have larger ids.
    pub id: i64,
    pub username: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Exercise milliseconds.
    pub at: u64,
    /// What kind of action, e.g. `clock.pause`, `inject.send`, `step.skip`, `grade`.
    pub action: String,
    pub team: Option<String>,
    /// What was done, in words.
    pub detail: String,
}

/// An action for the audit log, as the caller describes it.
#[derive(Debug, Clone, Copy)]
pub struct Audited<'a> {
    pub user: i64,
    /// Exercise milliseconds.
    pub at: u64,
    pub action: &'a str,
    pub team: Option<&'a str>,
    pub detail: &'a str,
}

/// A search a team saved by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    pub query: String,
    /// Who saved it (last).
    pub username: String,
}

/// A Sigma rule a team wrote and turned on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRule {
    pub id: i64,
    pub team: String,
    pub title: String,
    /// The rule as written.
    pub yaml: String,
    /// Who turned it on.
    pub username: String,
    /// Exercise milliseconds from which it is live.
    pub at: u64,
    /// Exercise milliseconds at which it was turned off, and by whom.
    pub off: Option<(u64, String)>,
}

/// A team the white cell marked absent: nobody of it played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absence {
    pub team: String,
    /// The instructor who marked it.
    pub username: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// A lesson learned or an improvement action, about a team or (`team` none) the exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    pub id: i64,
    pub team: Option<String>,
    /// A scenario objective's id, or empty for the exercise as a whole.
    pub objective: String,
    /// `observation`, `strength`, `improvement` or `action`.
    pub kind: String,
    pub text: String,
    /// For an action: who does it, and by when (`YYYY-MM-DD`).
    pub owner: String,
    pub due: String,
    /// Who wrote it, and when (Unix milliseconds).
    pub username: String,
    pub at: i64,
}

/// A lesson as written, to store.
#[derive(Debug, Clone, Copy)]
pub struct NewLesson<'a> {
    pub team: Option<&'a str>,
    pub objective: &'a str,
    pub kind: &'a str,
    pub text: &'a str,
    pub owner: &'a str,
    pub due: &'a str,
}

/// A hint a team opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintOpened {
    pub team: String,
    pub hint: String,
    pub username: String,
    /// Exercise milliseconds.
    pub at: u64,
}

/// A team's incident case, with its current status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: i64,
    pub team: String,
    pub title: String,
    pub status: String,
    /// Who opened it.
    pub username: String,
    /// Exercise milliseconds when it was opened.
    pub at: u64,
    /// How many entries of each kind: notes, alerts, events, indicators.
    pub notes: u32,
    pub alerts: u32,
    pub events: u32,
    pub indicators: u32,
}

/// One entry of a case's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEntry {
    pub id: i64,
    /// `note`, `alert`, `indicator` or `status`.
    pub kind: String,
    pub body: String,
    pub username: String,
    /// Exercise milliseconds.
    pub at: u64,
}

/// A one-time invitation to join as a player of one team or as an observer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: i64,
    pub role: Role,
    pub team: Option<String>,
    /// Who made it.
    pub created_by: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// Who joined with it.
    pub used_by: Option<String>,
    /// When it was revoked, unused; a revoked link never works again.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

/// A signed-in session, as its user and the white cell see it. Its id is a row number that
/// says nothing about the session's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub user: i64,
    /// What it was signed in with, in a few words ("Firefox on Windows"); `None` for sessions
    /// older than the label.
    pub device: Option<String>,
    /// Unix milliseconds: when it was signed in, and when it ends.
    pub created_at: i64,
    pub expires_at: i64,
}

/// An API token, as its owner sees it in the list (the token itself is shown once, when made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: i64,
    /// Last time it was used, to the minute.
    pub last_used: Option<i64>,
}

/// Why an invitation cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    Unknown,
    Used,
    Expired,
    /// An instructor revoked it before it was used.
    Revoked,
}

/// A storage failure, or a request the data refuses (a taken username).
#[derive(Debug)]
pub enum StoreError {
    /// The username is already taken.
    Taken(String),
    /// A player needs a team, and only a player has one.
    Team,
    /// Only observers follow chosen teams.
    Follows,
    /// The invitation cannot be used.
    Invitation(Unusable),
    /// The team has already answered this question.
    Answered,
    /// No such submission in this exercise.
    NoSubmission,
    /// No such case of this team.
    NoCase,
    /// No such saved search of this team.
    NoSearch,
    /// No such rule of this team that is on.
    NoRule,
    /// No such API token of this user.
    NoToken,
    /// No such suppression of this team in force.
    NoSuppression,
    /// No such lesson about this team (or about the exercise).
    NoLesson,
    /// An insert would pass its limit ([`AtMost::all`]: of the team, or of the case).
    TooMany,
    /// A suppression would pass the most a team may make over an exercise, ended ones included.
    TooManyStored,
    /// An insert would pass the limit of the user's own ([`AtMost::user`]).
    TooManyOfUser,
    /// A record to restore that does not hold together: where, and what is wrong.
    Record(String),
    /// This user has given feedback on this exercise already.
    FeedbackGiven,
    Database(sqlx::Error),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Taken(name) => write!(f, "the username `{name}` is taken"),
            StoreError::Team => f.write_str("a player belongs to exactly one team; instructors and observers to none"),
            StoreError::Follows => f.write_str("only observers follow chosen teams"),
            StoreError::Invitation(Unusable::Unknown) => f.write_str("no such invitation"),
            StoreError::Invitation(Unusable::Used) => f.write_str("the invitation has been used"),
            StoreError::Invitation(Unusable::Expired) => f.write_str("the invitation has expired"),
            StoreError::Invitation(Unusable::Revoked) => f.write_str("the invitation was revoked"),
            StoreError::Answered => f.write_str("the team has already answered this question"),
            StoreError::NoSubmission => f.write_str("no such answer or report in this exercise"),
            StoreError::NoCase => f.write_str("no such case of this team"),
            StoreError::NoSearch => f.write_str("no such saved search of this team"),
            StoreError::NoRule => f.write_str("no such rule of this team that is on"),
            StoreError::NoToken => f.write_str("no such API token of yours"),
            StoreError::NoSuppression => f.write_str("no such suppression of this team in force"),
            StoreError::NoLesson => f.write_str("no such lesson here"),
            StoreError::TooMany => f.write_str("there are as many of these as the limit allows"),
            StoreError::TooManyOfUser => f.write_str("you have as many of these as the limit allows"),
            StoreError::TooManyStored => f.write_str("there have been as many of these as the limit allows"),
            StoreError::Record(what) => f.write_str(what),
            StoreError::FeedbackGiven => f.write_str("you have given your feedback on this exercise already"),
            StoreError::Database(e) => write!(f, "database: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    /// A failure of the database itself (the refusals callers expect, such as a taken
    /// username, are told apart before): logged here, with the place in this crate where it
    /// happened, so that no caller's fallback hides it.
    #[track_caller]
    fn from(e: sqlx::Error) -> Self {
        let at = std::panic::Location::caller();
        tracing::error!(error = %e, at = %at, "a database operation failed");
        StoreError::Database(e)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Everything the server keeps. Times are Unix milliseconds, given by the caller.
pub trait Store: Send + Sync + 'static {
    fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
        team: Option<&str>,
        now: i64,
    ) -> impl Future<Output = Result<User>> + Send;
    /// A user and their password hash, by username.
    fn user_by_name(&self, username: &str) -> impl Future<Output = Result<Option<(User, String)>>> + Send;
    fn users(&self) -> impl Future<Output = Result<Vec<User>>> + Send;
    /// Sets the teams an observer follows (none: every team). Only observers follow teams.
    fn set_follows(&self, user: i64, teams: &[String]) -> impl Future<Output = Result<()>> + Send;

    /// Gives account `user` a new password hash, and ends its sessions and API tokens.
    fn set_password(&self, user: i64, password_hash: &str) -> impl Future<Output = Result<()>> + Send;

    /// Stores a new session of `user` (by its token's SHA-256) signed in with `device`, and
    /// ends the user's oldest sessions beyond the newest `keep`, in one transaction. Returns
    /// the session's id.
    fn create_session(
        &self,
        token_hash: &[u8],
        user: i64,
        device: &str,
        now: i64,
        expires: i64,
        keep: u32,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// The user of an unexpired session.
    fn session_user(&self, token_hash: &[u8], now: i64) -> impl Future<Output = Result<Option<User>>> + Send;
    /// The id of an unexpired session, by its token's SHA-256.
    fn session_id(&self, token_hash: &[u8], now: i64) -> impl Future<Output = Result<Option<i64>>> + Send;
    fn delete_session(&self, token_hash: &[u8]) -> impl Future<Output = Result<()>> + Send;
    /// Unexpired sessions, of one user or of everyone, by user and then oldest first.
    fn sessions(&self, user: Option<i64>, now: i64) -> impl Future<Output = Result<Vec<Session>>> + Send;
    /// Ends session `id` if it is `user`'s; whether it was.
    fn end_session(&self, user: i64, id: i64) -> impl Future<Output = Result<bool>> + Send;
    /// Each user's unexpired sessions: (user id, how many, the latest sign-in).
    fn active_sessions(&self, now: i64) -> impl Future<Output = Result<Vec<(i64, u32, i64)>>> + Send;
    /// Ends every session and API token of a user; returns how many there were.
    fn end_sessions(&self, user: i64) -> impl Future<Output = Result<u64>> + Send;

    /// Stores a new API token of `user` (by its SHA-256); returns its id.
    fn create_token(
        &self,
        user: i64,
        name: &str,
        token_hash: &[u8],
        now: i64,
        expires: i64,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// The user of an unexpired API token, noting (to the minute) that it was used now.
    fn token_user(&self, token_hash: &[u8], now: i64) -> impl Future<Output = Result<Option<User>>> + Send;
    /// A user's API tokens, expired ones too, oldest first.
    fn tokens(&self, user: i64) -> impl Future<Output = Result<Vec<ApiToken>>> + Send;
    /// Deletes one of `user`'s tokens ([`StoreError::NoToken`] if it is not theirs).
    fn revoke_token(&self, user: i64, id: i64) -> impl Future<Output = Result<()>> + Send;
    /// Forgets what is of no more use: sessions expired by `now`, API tokens expired before
    /// `tokens_before` (their owners see them marked expired until then), and sign-in
    /// failures older than `failures_before`. Returns how many rows went.
    fn forget_expired(
        &self,
        now: i64,
        tokens_before: i64,
        failures_before: i64,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Records a failed (or not yet checked) sign-in; returns its id, for
    /// [`Store::forget_login_failure`].
    fn record_login_failure(&self, username: &str, address: &str, now: i64)
    -> impl Future<Output = Result<i64>> + Send;
    /// Forgets a failure recorded before the password was checked, once it proved right.
    fn forget_login_failure(&self, id: i64) -> impl Future<Output = Result<()>> + Send;
    /// Failures since `since`: of this username (in any case) from any address, and from this
    /// address for any username, each with the time of the latest.
    fn login_failures(
        &self,
        username: &str,
        address: &str,
        since: i64,
    ) -> impl Future<Output = Result<Failures>> + Send;

    /// Stores one invitation per token hash, all alike, in one transaction, unless that would
    /// leave more than `open_at_most` invitations open (unused, unrevoked and unexpired at
    /// `now`): then nothing is stored and the answer is `Err` with how many are open already.
    /// Returns the new invitations' ids.
    #[expect(clippy::too_many_arguments, reason = "the rows' columns and the limit")]
    fn create_invitations(
        &self,
        token_hashes: &[Vec<u8>],
        role: Role,
        team: Option<&str>,
        created_by: i64,
        now: i64,
        expires_at: i64,
        open_at_most: u32,
    ) -> impl Future<Output = Result<std::result::Result<Vec<i64>, u32>>> + Send;
    /// Up to `limit` invitations, newest first, those older than invitation `before` if given.
    fn invitations(&self, before: Option<i64>, limit: u32) -> impl Future<Output = Result<Vec<Invitation>>> + Send;
    /// The invitation of a token, if it can still be used at `now`.
    fn invitation(&self, token_hash: &[u8], now: i64) -> impl Future<Output = Result<Invitation>> + Send;
    /// `by` revokes invitation `id`, which must still be open at `now` (else
    /// [`StoreError::Invitation`] says why not). Returns it, revoked.
    fn revoke_invitation(&self, id: i64, by: i64, now: i64) -> impl Future<Output = Result<Invitation>> + Send;
    /// Creates the account an invitation offers and marks it used, in one transaction: a
    /// taken username leaves the invitation usable.
    fn redeem_invitation(
        &self,
        token_hash: &[u8],
        username: &str,
        password_hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<User>> + Send;

    fn create_exercise(&self, new: &NewExercise<'_>, now: i64) -> impl Future<Output = Result<Exercise>> + Send;
    fn exercises(&self) -> impl Future<Output = Result<Vec<Exercise>>> + Send;
    fn save_clock(&self, exercise: i64, clock: &str) -> impl Future<Output = Result<()>> + Send;

    #[expect(clippy::too_many_arguments, reason = "one row's columns")]
    fn record_action(
        &self,
        exercise: i64,
        team: &str,
        at: u64,
        action: &str,
        target: &str,
        user: i64,
        now: i64,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// An exercise's actions in the order they were taken.
    fn actions(&self, exercise: i64) -> impl Future<Output = Result<Vec<ActionRecord>>> + Send;

    #[expect(clippy::too_many_arguments, reason = "one row's columns")]
    fn triage(
        &self,
        exercise: i64,
        team: &str,
        row: u32,
        rule: &str,
        state: &str,
        note: &str,
        user: i64,
        at: u64,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Records the same verdict on many alerts (each `(event row, rule)`), all or none.
    #[expect(clippy::too_many_arguments, reason = "a verdict's fields, as `triage` takes them")]
    fn triage_many(
        &self,
        exercise: i64,
        team: &str,
        alerts: &[(u32, String)],
        state: &str,
        note: &str,
        user: i64,
        at: u64,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Stores a suppression made at exercise time `at`; returns its id. Refused with
    /// `TooMany` when the team already has `limit` suppressions in force.
    #[expect(clippy::too_many_arguments, reason = "one row's columns")]
    fn suppress(
        &self,
        exercise: i64,
        team: &str,
        rule: &str,
        conditions: &[(String, String)],
        reason: &str,
        user: i64,
        at: u64,
        now: i64,
        limit: usize,
        stored: usize,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// A team's suppressions (or every team's), oldest first.
    fn suppressions(&self, exercise: i64, team: Option<&str>) -> impl Future<Output = Result<Vec<Suppression>>> + Send;
    /// Ends a team's suppression in force at exercise time `at`; `NoSuppression` when the team
    /// has none in force by that id.
    fn end_suppression(
        &self,
        exercise: i64,
        team: &str,
        id: i64,
        user: i64,
        at: u64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Records that `user` turned detection rule `rule` on or off from exercise time `at`.
    fn switch_rule(
        &self,
        exercise: i64,
        rule: &str,
        on: bool,
        at: u64,
        user: i64,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Every rule switch of the exercise, in the order made.
    fn rule_switches(&self, exercise: i64) -> impl Future<Output = Result<Vec<RuleSwitch>>> + Send;
    /// A team's verdicts, oldest first (the last one of an alert is its state).
    fn triages(&self, exercise: i64, team: &str) -> impl Future<Output = Result<Vec<Triage>>> + Send {
        self.triages_after(exercise, team, 0)
    }
    /// A team's verdicts with an id above `after`, oldest first: what was added since a read.
    fn triages_after(&self, exercise: i64, team: &str, after: i64) -> impl Future<Output = Result<Vec<Triage>>> + Send;

    /// Notes that `user` has seen these injects in `team`'s inbox (the first time counts).
    fn mark_read(
        &self,
        exercise: i64,
        team: &str,
        injects: &[String],
        user: i64,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Records that an instructor sent a scenario inject to a team at exercise time `at`.
    /// Returns false, changing nothing, when it was sent to that team before.
    fn send_inject(
        &self,
        exercise: i64,
        team: &str,
        inject: &str,
        at: u64,
        user: i64,
        now: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Appends an entry to the exercise's audit log (entries are never changed or removed).
    fn audit(&self, exercise: i64, entry: Audited<'_>, now: i64) -> impl Future<Output = Result<()>> + Send;
    /// The audit log, newest first: at most `limit` entries with an id below `before` (all,
    /// without it).
    fn audit_log(
        &self,
        exercise: i64,
        before: Option<i64>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send;
    /// Records that `team` detected `step` at exercise time `at`. Returns false, changing
    /// nothing, when it had been recorded before (the first detection counts).
    #[expect(clippy::too_many_arguments, reason = "one row's columns")]
    fn record_detection(
        &self,
        exercise: i64,
        team: &str,
        step: &str,
        at: u64,
        source: &str,
        user: i64,
        now: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Every detection of the exercise, in the order recorded.
    fn detections(&self, exercise: i64) -> impl Future<Output = Result<Vec<Detection>>> + Send;
    /// Injects sent by hand: (team, inject, exercise time), in the order sent.
    fn inject_sends(&self, exercise: i64) -> impl Future<Output = Result<Vec<(String, String, u64)>>> + Send;
    /// Who has read which inject, per team: (team, inject, username), in reading order.
    fn reads(&self, exercise: i64) -> impl Future<Output = Result<Vec<(String, String, String)>>> + Send;

    #[expect(clippy::too_many_arguments, reason = "one row's columns")]
    fn send_message(
        &self,
        exercise: i64,
        team: &str,
        to_team: bool,
        track: Option<&str>,
        inject: Option<&str>,
        subject: &str,
        body: &str,
        user: i64,
        at: u64,
        now: i64,
        at_most: AtMost,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Every message of an exercise, oldest first (tests; pages read a page at a time).
    fn messages(&self, exercise: i64) -> impl Future<Output = Result<Vec<Message>>> + Send {
        self.messages_page(exercise, None, Page::after(None, u32::MAX))
    }
    /// A page of an exercise's messages ([`Page`]), of the teams named (`None`: every team).
    fn messages_page(
        &self,
        exercise: i64,
        teams: Option<&[String]>,
        page: Page,
    ) -> impl Future<Output = Result<Vec<Message>>> + Send;
    /// How many messages team `team` has: from the white cell, from the team, and from `user`.
    fn message_counts(
        &self,
        exercise: i64,
        team: &str,
        user: i64,
    ) -> impl Future<Output = Result<MessageCounts>> + Send;
    /// The messages of one direction (to the teams, or from them) of the teams named (`None`:
    /// every team) with an id above `after`: how many, the last id, and the heads (no body) of
    /// the newest `newest`. What the live updates read every second or so: only what was added
    /// since their cursor.
    fn message_heads_after(
        &self,
        exercise: i64,
        teams: Option<&[String]>,
        to_team: bool,
        after: i64,
        newest: u32,
    ) -> impl Future<Output = Result<HeadsAfter>> + Send;
    /// Each team's latest message to the white cell: (team, exercise time, username).
    fn last_from_teams(&self, exercise: i64) -> impl Future<Output = Result<Vec<(String, u64, String)>>> + Send;

    /// Stores an answer or a report; returns its id. A second answer of the team to the same
    /// question is refused with [`StoreError::Answered`]; one beyond `at_most` of its kind for
    /// the team with [`StoreError::TooMany`].
    #[expect(clippy::too_many_arguments, reason = "one row's columns and its limit")]
    fn submit(
        &self,
        exercise: i64,
        team: &str,
        kind: Kind,
        subject: &str,
        body: &str,
        user: i64,
        at: u64,
        now: i64,
        at_most: AtMost,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// The submissions of the teams named (`None`: every team) with an id above `after`: how
    /// many, the last id, and the heads of the newest `newest`, oldest first. What the white cell's live updates read: only what was added since their cursor.
    fn submission_heads_after(
        &self,
        exercise: i64,
        teams: Option<&[String]>,
        after: i64,
        newest: u32,
    ) -> impl Future<Output = Result<SubmissionsAfter>> + Send;
    /// How many of `what` team `team` has stored (forms say how many are left near a limit).
    fn count(&self, exercise: i64, team: &str, what: Counted) -> impl Future<Output = Result<u32>> + Send;
    /// A page of the submissions `filter` chooses, each with its newest grade, and how many it
    /// chooses in all.
    fn submissions_page(
        &self,
        exercise: i64,
        filter: SubmissionFilter<'_>,
        page: Page,
    ) -> impl Future<Output = Result<(Vec<Submission>, u32)>> + Send;
    /// An exercise's answers and reports, of one team or of all, oldest first, each with its
    /// newest grade.
    fn submissions(&self, exercise: i64, team: Option<&str>) -> impl Future<Output = Result<Vec<Submission>>> + Send;
    /// Grades a submission of this exercise (again, if it was graded: the newest grade counts).
    fn grade(
        &self,
        exercise: i64,
        submission: i64,
        points: &str,
        comment: &str,
        user: i64,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Records that a team opened a hint; `false` if it had already.
    fn open_hint(
        &self,
        exercise: i64,
        team: &str,
        hint: &str,
        user: i64,
        at: u64,
        now: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The hints teams opened, of one team or of all, in the order opened.
    fn hints_opened(&self, exercise: i64, team: Option<&str>) -> impl Future<Output = Result<Vec<HintOpened>>> + Send;

    /// Opens a case for a team with status `status`, unless the team has `at_most` cases
    /// already ([`StoreError::TooMany`]); returns its id.
    #[expect(clippy::too_many_arguments, reason = "one row's columns and its limit")]
    fn open_case(
        &self,
        exercise: i64,
        team: &str,
        title: &str,
        status: &str,
        user: i64,
        at: u64,
        now: i64,
        at_most: AtMost,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// A team's cases, newest first.
    fn cases(&self, exercise: i64, team: &str) -> impl Future<Output = Result<Vec<Case>>> + Send {
        self.cases_page(exercise, team, Page::newest(u32::MAX))
    }
    /// A page of a team's cases.
    fn cases_page(&self, exercise: i64, team: &str, page: Page) -> impl Future<Output = Result<Vec<Case>>> + Send;
    /// One case of a team with a page of its entries ([`StoreError::NoCase`] if the case is
    /// not this team's).
    fn case(
        &self,
        exercise: i64,
        team: &str,
        case: i64,
        page: Page,
    ) -> impl Future<Output = Result<(Case, Vec<CaseEntry>)>> + Send;
    /// Adds an entry to a team's case; a `status` entry also sets the case's status.
    #[expect(clippy::too_many_arguments, reason = "one row's columns and its limit")]
    fn add_case_entry(
        &self,
        exercise: i64,
        team: &str,
        case: i64,
        kind: &str,
        body: &str,
        user: i64,
        at: u64,
        now: i64,
        at_most: AtMost,
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            self.add_case_entries(exercise, team, case, kind, &[body], user, at, now, at_most)
                .await
        }
    }
    /// Adds entries of one kind to a team's case, all or none (alerts a filter selects, say);
    /// a `status` entry also sets the case's status. Refused with [`StoreError::TooMany`] when
    /// the case would hold more than `at_most` entries.
    #[expect(clippy::too_many_arguments, reason = "one row's columns and its limit")]
    fn add_case_entries(
        &self,
        exercise: i64,
        team: &str,
        case: i64,
        kind: &str,
        bodies: &[&str],
        user: i64,
        at: u64,
        now: i64,
        at_most: AtMost,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Whether the white cell has released the after-action report to the teams.
    fn report_released(&self, exercise: i64) -> impl Future<Output = Result<bool>> + Send;
    /// Releases the after-action report to the teams, or holds it back again.
    fn release_report(&self, exercise: i64, released: bool) -> impl Future<Output = Result<()>> + Send;
    /// Stores a lesson written by `user` at Unix milliseconds `now`, at most `at_most.all`
    /// about its team (or about the exercise); answers with its id.
    fn add_lesson(
        &self,
        exercise: i64,
        lesson: NewLesson<'_>,
        user: i64,
        now: i64,
        at_most: AtMost,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Every lesson of the exercise, about the teams and about the exercise, oldest first.
    fn lessons(&self, exercise: i64) -> impl Future<Output = Result<Vec<Lesson>>> + Send;
    /// Removes lesson `id` about `team` (none: about the exercise); `NoLesson` when there is
    /// no such lesson there.
    fn remove_lesson(&self, exercise: i64, team: Option<&str>, id: i64) -> impl Future<Output = Result<()>> + Send;
    /// Exercise `exercise` as plain rows, for a portable package: with the record of its play
    /// unless `record` is false, and with every account (password hashes only if `passwords`).
    fn dump(&self, exercise: i64, record: bool, passwords: bool) -> impl Future<Output = Result<Dump>> + Send;
    /// Writes a dump as a new exercise at Unix milliseconds `now`, whole or not at all
    /// (`Record` says where it does not hold together), and answers with its id.
    fn restore(&self, dump: &Dump, now: i64) -> impl Future<Output = Result<i64>> + Send;
    /// Stores `user`'s feedback (answers as JSON) at Unix milliseconds `now`: with their
    /// username and team, or with neither if `anonymous`. `FeedbackGiven` if they gave it
    /// already.
    #[expect(clippy::too_many_arguments, reason = "one response's columns")]
    fn give_feedback(
        &self,
        exercise: i64,
        user: i64,
        role: Role,
        team: Option<&str>,
        anonymous: bool,
        answers: &str,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Whether `user` has given feedback on the exercise.
    fn gave_feedback(&self, exercise: i64, user: i64) -> impl Future<Output = Result<bool>> + Send;
    /// Every response, oldest first.
    fn feedback(&self, exercise: i64) -> impl Future<Output = Result<Vec<Feedback>>> + Send;
    /// Keeps `team`'s figures (JSON) as its latest report gave them, replacing earlier ones.
    fn save_result(
        &self,
        exercise: i64,
        team: &str,
        nation: &str,
        figures: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The figures kept of `nation`'s teams in the exercises before `exercise` (by day 1, then
    /// by id), oldest first, at most `limit` of the newest.
    fn earlier_results(
        &self,
        exercise: i64,
        nation: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// Whether teams may see the scoreboard of this exercise.
    fn scoreboard_shown(&self, exercise: i64) -> impl Future<Output = Result<bool>> + Send;
    /// Shows the scoreboard to teams, or hides it again.
    fn show_scoreboard(&self, exercise: i64, shown: bool) -> impl Future<Output = Result<()>> + Send;
    /// The teams marked absent, by team.
    fn absences(&self, exercise: i64) -> impl Future<Output = Result<Vec<Absence>>> + Send;
    /// Marks `team` absent (by instructor `user`, at unix milliseconds `now`) or, with `absent`
    /// false, present again. Marking it as it already is changes nothing.
    fn mark_absent(
        &self,
        exercise: i64,
        team: &str,
        absent: bool,
        user: i64,
        now: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Saves a team's search as `name`, replacing the query of a search of that name. A new
    /// name is refused beyond `at_most` searches of the team, or of `user`.
    #[expect(clippy::too_many_arguments, reason = "one row's columns and its limit")]
    fn save_search(
        &self,
        exercise: i64,
        team: &str,
        name: &str,
        query: &str,
        user: i64,
        now: i64,
        at_most: AtMost,
    ) -> impl Future<Output = Result<()>> + Send;
    /// A team's saved searches, by name.
    fn saved_searches(&self, exercise: i64, team: &str) -> impl Future<Output = Result<Vec<SavedSearch>>> + Send;
    /// Deletes a team's saved search ([`StoreError::NoSearch`] if it is not this team's).
    fn delete_search(&self, exercise: i64, team: &str, search: i64) -> impl Future<Output = Result<()>> + Send;

    /// Turns on a Sigma rule a team wrote, live from exercise time `at`, unless the team has
    /// stored `at_most` rules (on or off) already; returns its id.
    #[expect(clippy::too_many_arguments, reason = "one row's columns and its limit")]
    fn add_team_rule(
        &self,
        exercise: i64,
        team: &str,
        title: &str,
        yaml: &str,
        user: i64,
        at: u64,
        now: i64,
        at_most: AtMost,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// The rules teams turned on (of one team, or of all), oldest first.
    fn team_rules(&self, exercise: i64, team: Option<&str>) -> impl Future<Output = Result<Vec<TeamRule>>> + Send;
    /// Turns a team's rule off from exercise time `at` ([`StoreError::NoRule`] if it is not
    /// this team's or is off already).
    fn turn_off_rule(
        &self,
        exercise: i64,
        team: &str,
        rule: i64,
        user: i64,
        at: u64,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The embedded SQLite store.
#[derive(Debug, Clone)]
pub struct Sqlite {
    pool: SqlitePool,
}

impl Sqlite {
    /// A yes/no column of an exercise (`column` is one of ours, never a user's text).
    async fn flag(&self, exercise: i64, column: &'static str) -> Result<bool> {
        let value: Option<i64> = sqlx::query_scalar(&format!("SELECT {column} FROM exercises WHERE id = ?"))
            .bind(exercise)
            .fetch_optional(&self.pool)
            .await?;
        Ok(value == Some(1))
    }

    async fn set_flag(&self, exercise: i64, column: &'static str, value: bool) -> Result<()> {
        sqlx::query(&format!("UPDATE exercises SET {column} = ? WHERE id = ?"))
            .bind(i64::from(value))
            .bind(exercise)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Sqlite> {
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every committed transaction survives a crash of the process (WAL + NORMAL keeps
            // commits across a process kill; only a power loss can take the last ones).
            .synchronous(SqliteSynchronous::Normal);
        Self::with_options(options).await
    }

    /// A private in-memory database (tests).
    pub async fn in_memory() -> Result<Sqlite> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        Self::with_options(options).await
    }

    async fn with_options(options: SqliteConnectOptions) -> Result<Sqlite> {
        // One connection: SQLite writes one at a time anyway, and an in-memory database
        // exists per connection.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        let store = Sqlite { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// Counts, from now on, the steps of SQLite's virtual machine run on this store's
    /// connection, about one count per step: what a request costs the database, whatever the
    /// machine's speed (tests check that a page or a live update costs the same however much is
    /// stored). The count goes on until the store is dropped.
    pub async fn count_steps(&self) -> Result<std::sync::Arc<std::sync::atomic::AtomicU64>> {
        let steps = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = steps.clone();
        let mut connection = self.pool.acquire().await?;
        connection.lock_handle().await?.set_progress_handler(1, move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            true
        });
        Ok(steps)
    }

    async fn migrate(&self) -> Result<()> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        for &(version, sql) in MIGRATIONS {
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                .bind(version)
                .fetch_optional(&self.pool)
                .await?;
            if done.is_some() {
                continue;
            }
            let mut tx = self.pool.begin().await?;
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now') * 1000)")
                .bind(version)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

fn user_from(row: &sqlx::sqlite::SqliteRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Database(sqlx::Error::Decode(format!("role `{role}`").into())))?,
        team: row.try_get("team")?,
        follows: {
            let joined: Option<String> = row.try_get("follows")?;
            let mut teams: Vec<String> = joined.iter().flat_map(|j| j.split('\n')).map(str::to_owned).collect();
            teams.sort();
            teams
        },
    })
}

/// A message without its body: what lists and live updates need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageHead {
    pub id: i64,
    pub team: String,
    pub to_team: bool,
    pub subject: String,
}

/// The messages of one direction added after a cursor ([`Store::message_heads_after`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadsAfter {
    /// How many there are.
    pub count: u32,
    /// The largest id among them; the cursor itself when there are none.
    pub last: i64,
    /// The newest few, oldest first.
    pub newest: Vec<MessageHead>,
}

/// A submission without its body: what live updates tell of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionHead {
    pub id: i64,
    pub team: String,
    pub kind: Kind,
    pub subject: String,
}

/// The submissions added after a cursor ([`Store::submission_heads_after`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmissionsAfter {
    /// How many there are.
    pub count: u32,
    /// The largest id among them; the cursor itself when there are none.
    pub last: i64,
    /// The newest few, oldest first.
    pub newest: Vec<SubmissionHead>,
}

/// How many messages a team has: from the white cell, from the team, and of those from one
/// of its players.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageCounts {
    pub to_team: u32,
    pub from_team: u32,
    pub from_user: u32,
}

/// The most rows of its kind an insert may leave, counted in the insert's own transaction (so
/// that two requests at once cannot both take the last place): of the team (or the case), and
/// of the user among them. Beyond: [`StoreError::TooMany`] or [`StoreError::TooManyOfUser`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtMost {
    pub all: u32,
    pub user: u32,
}

impl AtMost {
    /// A limit for the team (or case) only.
    pub const fn all(all: u32) -> AtMost {
        AtMost { all, user: u32::MAX }
    }

    /// No limit (the white cell's own writes where none is set).
    pub const NONE: AtMost = AtMost::all(u32::MAX);
}

/// One page of a list by id: with `after`, the oldest `limit` above it (oldest first);
/// otherwise the newest `limit` below `before` (all, without it), newest first. Either way a
/// page costs the same wherever it is in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub before: Option<i64>,
    pub after: Option<i64>,
    pub limit: u32,
}

impl Page {
    /// The newest `limit`.
    pub const fn newest(limit: u32) -> Page {
        Page {
            before: None,
            after: None,
            limit,
        }
    }

    /// The newest `limit` below `before`.
    pub const fn before(before: Option<i64>, limit: u32) -> Page {
        Page {
            before,
            after: None,
            limit,
        }
    }

    /// The oldest `limit` above `after`.
    pub const fn after(after: Option<i64>, limit: u32) -> Page {
        Page {
            before: None,
            after: Some(match after {
                Some(id) => id,
                None => 0,
            }),
            limit,
        }
    }

    /// The `WHERE` condition on `column` and the `ORDER BY … LIMIT ?` it takes, and the id to
    /// bind to the condition (bind it first, then the limit).
    fn sql(&self, column: &str) -> (String, String, i64) {
        match self.after {
            Some(after) => (format!("{column} > ?"), format!("ORDER BY {column} LIMIT ?"), after),
            None => (
                format!("{column} < ?"),
                format!("ORDER BY {column} DESC LIMIT ?"),
                self.before.unwrap_or(i64::MAX),
            ),
        }
    }
}

/// What a team has stored that has a limit, for [`Store::count`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Reports,
    Cases,
    /// The entries of one case (its id).
    CaseEntries(i64),
    SavedSearches,
    TeamRules,
}

/// Which submissions a page lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubmissionFilter<'a> {
    /// The teams (`None`: every team).
    pub teams: Option<&'a [String]>,
    /// Reports.
    pub reports: bool,
    /// Answers to these questions (`None`: no answers).
    pub answers_to: Option<&'a [String]>,
    /// Only graded ones (`Some(true)`), only those waiting (`Some(false)`), or both.
    pub graded: Option<bool>,
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// `query` with each of `values` bound in turn (for the `?, ?, …` of [`placeholders`]).
fn bind_each<'q>(mut query: Query<'q>, values: Option<&'q [String]>) -> Query<'q> {
    for value in values.unwrap_or_default() {
        query = query.bind(value.as_str());
    }
    query
}

/// `?, ?, …` for `n` values (at least one `NULL`, so that `IN ()` is never written).
fn placeholders(n: usize) -> String {
    if n == 0 {
        "NULL".to_owned()
    } else {
        vec!["?"; n].join(", ")
    }
}

/// Failed sign-ins in a window: of one account (from any address) and from one address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    pub account: u32,
    /// Time of the account's latest failure (0 without any).
    pub account_last: i64,
    pub address: u32,
    pub address_last: i64,
}

/// A new account, unless its username is taken in any mix of upper and lower case (`Instructor`
/// beside `instructor` would read as the same person in every log); binds: username, hash,
/// role, team, now, username again. No row is inserted when it is taken.
const INSERT_USER: &str = "INSERT INTO users (username, password_hash, role, team, created_at) \
     SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users WHERE username = ? COLLATE NOCASE)";

const FOLLOWS: &str = "(SELECT group_concat(o.team, char(10)) FROM observer_teams o WHERE o.user_id = u.id) AS follows";

const INVITATIONS_SELECT: &str = "SELECT i.id, i.role, i.team, c.username AS created_by, i.created_at, i.expires_at, \
     i.used_at, u.username AS used_by, i.revoked_at, r.username AS revoked_by \
     FROM invitations i JOIN users c ON c.id = i.created_by \
     LEFT JOIN users u ON u.id = i.used_by LEFT JOIN users r ON r.id = i.revoked_by";

const CASES_SELECT: &str = "SELECT c.id, c.team, c.title, c.status, u.username, c.at, \
     (SELECT count(*) FROM case_entries e WHERE e.case_id = c.id AND e.kind = 'note') AS notes, \
     (SELECT count(*) FROM case_entries e WHERE e.case_id = c.id AND e.kind = 'alert') AS alerts, \
     (SELECT count(*) FROM case_entries e WHERE e.case_id = c.id AND e.kind = 'event') AS events, \
     (SELECT count(*) FROM case_entries e WHERE e.case_id = c.id AND e.kind = 'indicator') AS indicators \
     FROM cases c JOIN users u ON u.id = c.user_id";

/// A submission with its newest grade, if any; the submissions table is `s`.
const SUBMISSIONS_SELECT: &str = "SELECT s.id, s.team, s.kind, s.subject, s.body, u.username, s.at, \
     g.points, g.comment, gu.username AS grader, g.created_at AS graded_at \
     FROM submissions s JOIN users u ON u.id = s.user_id \
     LEFT JOIN grades g ON g.id = (SELECT max(id) FROM grades WHERE submission_id = s.id) \
     LEFT JOIN users gu ON gu.id = g.user_id";

fn submission_from(r: &sqlx::sqlite::SqliteRow) -> Result<Submission> {
    let kind: String = r.try_get("kind")?;
    let at: i64 = r.try_get("at")?;
    let grade = match r.try_get::<Option<String>, _>("points")? {
        Some(points) => Some(Grade {
            points,
            comment: r.try_get("comment")?,
            username: r.try_get("grader")?,
            created_at: r.try_get("graded_at")?,
        }),
        None => None,
    };
    Ok(Submission {
        id: r.try_get("id")?,
        team: r.try_get("team")?,
        kind: if kind == "answer" { Kind::Answer } else { Kind::Report },
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        username: r.try_get("username")?,
        at: at as u64,
        grade,
    })
}

fn case_from(row: &sqlx::sqlite::SqliteRow) -> Result<Case> {
    let at: i64 = row.try_get("at")?;
    let count = |name: &str| -> Result<u32> { Ok(row.try_get::<i64, _>(name)? as u32) };
    Ok(Case {
        id: row.try_get("id")?,
        team: row.try_get("team")?,
        title: row.try_get("title")?,
        status: row.try_get("status")?,
        username: row.try_get("username")?,
        at: at as u64,
        notes: count("notes")?,
        alerts: count("alerts")?,
        events: count("events")?,
        indicators: count("indicators")?,
    })
}

/// The invitation a query found, or `Unknown` when it found none.
fn found_invitation(row: Option<&sqlx::sqlite::SqliteRow>) -> Result<Invitation> {
    row.map(invitation_from)
        .transpose()?
        .ok_or(StoreError::Invitation(Unusable::Unknown))
}

fn invitation_from(row: &sqlx::sqlite::SqliteRow) -> Result<Invitation> {
    let role: String = row.try_get("role")?;
    Ok(Invitation {
        id: row.try_get("id")?,
        role: Role::parse(&role).ok_or(StoreError::Team)?,
        team: row.try_get("team")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        used_by: row.try_get("used_by")?,
        revoked_at: row.try_get("revoked_at")?,
        revoked_by: row.try_get("revoked_by")?,
    })
}

impl Invitation {
    /// Why it cannot be used at `now`, if it cannot. A revoked link says so even once it would
    /// have expired.
    pub fn unusable(&self, now: i64) -> Option<Unusable> {
        if self.used_at.is_some() {
            Some(Unusable::Used)
        } else if self.revoked_at.is_some() {
            Some(Unusable::Revoked)
        } else if self.expires_at <= now {
            Some(Unusable::Expired)
        } else {
            None
        }
    }
}

fn session_from(row: &sqlx::sqlite::SqliteRow) -> Result<Session> {
    Ok(Session {
        id: row.try_get("id")?,
        user: row.try_get("user_id")?,
        device: row.try_get("device")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

fn exercise_from(row: &sqlx::sqlite::SqliteRow) -> Result<Exercise> {
    let seed: i64 = row.try_get("seed")?;
    Ok(Exercise {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scenario_path: row.try_get("scenario_path")?,
        scenario_text: row.try_get("scenario_text")?,
        seed: seed as u64,
        date: row.try_get("date")?,
        clock: row.try_get("clock")?,
    })
}

impl Store for Sqlite {
    async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
        team: Option<&str>,
        now: i64,
    ) -> Result<User> {
        if (role == Role::Player) != team.is_some() {
            return Err(StoreError::Team);
        }
        let result = sqlx::query(INSERT_USER)
            .bind(username)
            .bind(password_hash)
            .bind(role.as_str())
            .bind(team)
            .bind(now)
            .bind(username)
            .execute(&self.pool)
            .await;
        match result {
            Ok(done) if done.rows_affected() == 0 => Err(StoreError::Taken(username.to_owned())),
            Ok(done) => Ok(User {
                id: done.last_insert_rowid(),
                username: username.to_owned(),
                role,
                team: team.map(str::to_owned),
                follows: Vec::new(),
            }),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Taken(username.to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT u.id, u.username, u.role, u.team, u.password_hash, {FOLLOWS} FROM users u WHERE u.username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((user_from(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT u.id, u.username, u.role, u.team, {FOLLOWS} FROM users u ORDER BY u.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from).collect()
    }

    async fn set_follows(&self, user: i64, teams: &[String]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let role: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = ?")
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
        if role.as_deref() != Some(Role::Observer.as_str()) {
            return Err(StoreError::Follows);
        }
        sqlx::query("DELETE FROM observer_teams WHERE user_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        for team in teams {
            sqlx::query("INSERT OR IGNORE INTO observer_teams (user_id, team) VALUES (?, ?)")
                .bind(user)
                .bind(team)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(
        &self,
        token_hash: &[u8],
        user: i64,
        device: &str,
        now: i64,
        expires: i64,
        keep: u32,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id = sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, device) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(user)
        .bind(now)
        .bind(expires)
        .bind(device)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        // Sign-ins from the same few devices do not pile up: the oldest beyond `keep` end.
        sqlx::query(
            "DELETE FROM sessions WHERE user_id = ? AND id NOT IN \
             (SELECT id FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?)",
        )
        .bind(user)
        .bind(user)
        .bind(i64::from(keep))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn session_id(&self, token_hash: &[u8], now: i64) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM sessions WHERE token_hash = ? AND expires_at > ?")
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn sessions(&self, user: Option<i64>, now: i64) -> Result<Vec<Session>> {
        let rows = sqlx::query(
            "SELECT id, user_id, device, created_at, expires_at FROM sessions \
             WHERE expires_at > ? AND (? IS NULL OR user_id = ?) ORDER BY user_id, created_at, id",
        )
        .bind(now)
        .bind(user)
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from).collect()
    }

    async fn end_session(&self, user: i64, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM sessions WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn session_user(&self, token_hash: &[u8], now: i64) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT u.id, u.username, u.role, u.team, {FOLLOWS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = ? AND s.expires_at > ?"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn active_sessions(&self, now: i64) -> Result<Vec<(i64, u32, i64)>> {
        let rows = sqlx::query(
            "SELECT user_id, count(*) AS n, max(created_at) AS latest FROM sessions WHERE expires_at > ? GROUP BY user_id ORDER BY user_id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get("n")?;
                Ok((r.try_get("user_id")?, n as u32, r.try_get("latest")?))
            })
            .collect()
    }

    async fn set_password(&self, user: i64, password_hash: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Record(format!("no account {user}")));
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM api_tokens WHERE user_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn end_sessions(&self, user: i64) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        let tokens = sqlx::query("DELETE FROM api_tokens WHERE user_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(sessions.rows_affected() + tokens.rows_affected())
    }

    async fn create_token(&self, user: i64, name: &str, token_hash: &[u8], now: i64, expires: i64) -> Result<i64> {
        let id = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(user)
        .bind(name)
        .bind(token_hash)
        .bind(now)
        .bind(expires)
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        Ok(id)
    }

    async fn token_user(&self, token_hash: &[u8], now: i64) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT u.id, u.username, u.role, u.team, {FOLLOWS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = ? AND t.expires_at > ?"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if row.is_some() {
            // One write a minute at most, however busy the script.
            sqlx::query(
                "UPDATE api_tokens SET last_used = ? WHERE token_hash = ? AND (last_used IS NULL OR last_used <= ?)",
            )
            .bind(now)
            .bind(token_hash)
            .bind(now - 60_000)
            .execute(&self.pool)
            .await?;
        }
        row.as_ref().map(user_from).transpose()
    }

    async fn tokens(&self, user: i64) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, expires_at, last_used FROM api_tokens WHERE user_id = ? ORDER BY id",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                    last_used: r.try_get("last_used")?,
                })
            })
            .collect()
    }

    async fn forget_expired(&self, now: i64, tokens_before: i64, failures_before: i64) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let mut gone = 0;
        for (sql, at) in [
            ("DELETE FROM sessions WHERE expires_at <= ?", now),
            ("DELETE FROM api_tokens WHERE expires_at < ?", tokens_before),
            ("DELETE FROM login_failures WHERE at < ?", failures_before),
        ] {
            gone += sqlx::query(sql).bind(at).execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(gone)
    }

    async fn revoke_token(&self, user: i64, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoToken);
        }
        Ok(())
    }

    async fn record_login_failure(&self, username: &str, address: &str, now: i64) -> Result<i64> {
        let done = sqlx::query("INSERT INTO login_failures (username, address, at) VALUES (?, ?, ?)")
            .bind(username)
            .bind(address)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.last_insert_rowid())
    }

    async fn forget_login_failure(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE rowid = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn login_failures(&self, username: &str, address: &str, since: i64) -> Result<Failures> {
        let (account, account_last): (i64, Option<i64>) = sqlx::query_as(
            "SELECT count(*), max(at) FROM login_failures WHERE username = ? COLLATE NOCASE AND at >= ?",
        )
        .bind(username)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        let (address_n, address_last): (i64, Option<i64>) =
            sqlx::query_as("SELECT count(*), max(at) FROM login_failures WHERE address = ? AND at >= ?")
                .bind(address)
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
        Ok(Failures {
            account: account as u32,
            account_last: account_last.unwrap_or(0),
            address: address_n as u32,
            address_last: address_last.unwrap_or(0),
        })
    }

    async fn create_invitations(
        &self,
        token_hashes: &[Vec<u8>],
        role: Role,
        team: Option<&str>,
        created_by: i64,
        now: i64,
        expires_at: i64,
        open_at_most: u32,
    ) -> Result<std::result::Result<Vec<i64>, u32>> {
        if role == Role::Instructor || (role == Role::Player) != team.is_some() {
            return Err(StoreError::Team);
        }
        let mut tx = self.pool.begin().await?;
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM invitations WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if open as u64 + token_hashes.len() as u64 > u64::from(open_at_most) {
            return Ok(Err(open as u32));
        }
        let mut ids = Vec::with_capacity(token_hashes.len());
        for token_hash in token_hashes {
            let done = sqlx::query(
                "INSERT INTO invitations (token_hash, role, team, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(token_hash)
            .bind(role.as_str())
            .bind(team)
            .bind(created_by)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            ids.push(done.last_insert_rowid());
        }
        tx.commit().await?;
        Ok(Ok(ids))
    }

    async fn invitations(&self, before: Option<i64>, limit: u32) -> Result<Vec<Invitation>> {
        let rows = sqlx::query(&format!(
            "{INVITATIONS_SELECT} WHERE (? IS NULL OR i.id < ?) ORDER BY i.id DESC LIMIT ?"
        ))
        .bind(before)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invitation_from).collect()
    }

    async fn revoke_invitation(&self, id: i64, by: i64, now: i64) -> Result<Invitation> {
        let mut tx = self.pool.begin().await?;
        // Only an open link is revoked: one used, revoked or expired meanwhile stays as it is.
        let done = sqlx::query(
            "UPDATE invitations SET revoked_at = ?, revoked_by = ? \
             WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(now)
        .bind(by)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!("{INVITATIONS_SELECT} WHERE i.id = ?"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let invitation = found_invitation(row.as_ref())?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Invitation(
                invitation.unusable(now).unwrap_or(Unusable::Unknown),
            ));
        }
        tx.commit().await?;
        Ok(invitation)
    }

    async fn invitation(&self, token_hash: &[u8], now: i64) -> Result<Invitation> {
        let row = sqlx::query(&format!("{INVITATIONS_SELECT} WHERE i.token_hash = ?"))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        let invitation = found_invitation(row.as_ref())?;
        match invitation.unusable(now) {
            Some(why) => Err(StoreError::Invitation(why)),
            None => Ok(invitation),
        }
    }

    async fn redeem_invitation(
        &self,
        token_hash: &[u8],
        username: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<User> {
        // The invitation is read and checked inside the transaction that uses it up, so a
        // revocation or another redemption is either wholly before or wholly after.
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!("{INVITATIONS_SELECT} WHERE i.token_hash = ?"))
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let invitation = found_invitation(row.as_ref())?;
        if let Some(why) = invitation.unusable(now) {
            return Err(StoreError::Invitation(why));
        }
        let inserted = sqlx::query(INSERT_USER)
            .bind(username)
            .bind(password_hash)
            .bind(invitation.role.as_str())
            .bind(invitation.team.as_deref())
            .bind(now)
            .bind(username)
            .execute(&mut *tx)
            .await;
        let id = match inserted {
            Ok(done) if done.rows_affected() == 0 => return Err(StoreError::Taken(username.to_owned())),
            Ok(done) => done.last_insert_rowid(),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Taken(username.to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        // Only one redemption wins, and none after a revocation: the row changes only while
        // it is still unused, unrevoked and valid; else the new account is rolled back (should
        // another writer ever share this database).
        let marked = sqlx::query(
            "UPDATE invitations SET used_at = ?, used_by = ? \
             WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(now)
        .bind(id)
        .bind(invitation.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() != 1 {
            return Err(StoreError::Invitation(Unusable::Used));
        }
        tx.commit().await?;
        Ok(User {
            id,
            username: username.to_owned(),
            role: invitation.role,
            team: invitation.team,
            follows: Vec::new(),
        })
    }

    async fn create_exercise(&self, new: &NewExercise<'_>, now: i64) -> Result<Exercise> {
        let done = sqlx::query(
            "INSERT INTO exercises (name, scenario_path, scenario_text, seed, date, clock, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(new.name)
        .bind(new.scenario_path)
        .bind(new.scenario_text)
        .bind(new.seed as i64)
        .bind(new.date)
        .bind(new.clock)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(Exercise {
            id: done.last_insert_rowid(),
            name: new.name.to_owned(),
            scenario_path: new.scenario_path.to_owned(),
            scenario_text: new.scenario_text.map(str::to_owned),
            seed: new.seed,
            date: new.date.to_owned(),
            clock: new.clock.to_owned(),
        })
    }

    async fn exercises(&self) -> Result<Vec<Exercise>> {
        let rows =
            sqlx::query("SELECT id, name, scenario_path, scenario_text, seed, date, clock FROM exercises ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(exercise_from).collect()
    }

    async fn save_clock(&self, exercise: i64, clock: &str) -> Result<()> {
        sqlx::query("UPDATE exercises SET clock = ? WHERE id = ?")
            .bind(clock)
            .bind(exercise)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_action(
        &self,
        exercise: i64,
        team: &str,
        at: u64,
        action: &str,
        target: &str,
        user: i64,
        now: i64,
    ) -> Result<i64> {
        let done = sqlx::query(
            "INSERT INTO actions (exercise, team, at, action, target, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(team)
        .bind(at as i64)
        .bind(action)
        .bind(target)
        .bind(user)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.last_insert_rowid())
    }

    async fn actions(&self, exercise: i64) -> Result<Vec<ActionRecord>> {
        let rows = sqlx::query(
            "SELECT a.id, a.team, a.at, a.action, a.target, u.username FROM actions a JOIN users u ON u.id = a.user_id \
             WHERE a.exercise = ? ORDER BY a.id",
        )
        .bind(exercise)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at: i64 = r.try_get("at")?;
                Ok(ActionRecord {
                    id: r.try_get("id")?,
                    team: r.try_get("team")?,
                    at: at as u64,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    username: r.try_get("username")?,
                })
            })
            .collect()
    }

    async fn triage(
        &self,
        exercise: i64,
        team: &str,
        row: u32,
        rule: &str,
        state: &str,
        note: &str,
        user: i64,
        at: u64,
        now: i64,
    ) -> Result<()> {
        let alert = [(row, rule.to_owned())];
        self.triage_many(exercise, team, &alert, state, note, user, at, now)
            .await
    }

    async fn triage_many(
        &self,
        exercise: i64,
        team: &str,
        alerts: &[(u32, String)],
        state: &str,
        note: &str,
        user: i64,
        at: u64,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for (row, rule) in alerts {
            sqlx::query(
                "INSERT INTO alert_triage (exercise, team, event_row, rule, state, note, user_id, at, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(exercise)
            .bind(team)
            .bind(i64::from(*row))
            .bind(rule)
            .bind(state)
            .bind(note)
            .bind(user)
            .bind(at as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn suppress(
        &self,
        exercise: i64,
        team: &str,
        rule: &str,
        conditions: &[(String, String)],
        reason: &str,
        user: i64,
        at: u64,
        now: i64,
        limit: usize,
        stored: usize,
    ) -> Result<i64> {
        let conditions =
            serde_json::to_string(conditions).map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?;
        let mut tx = self.pool.begin().await?;
        let (all, in_force): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE ended_at IS NULL) FROM suppressions WHERE exercise = ? AND team = ?",
        )
        .bind(exercise)
        .bind(team)
        .fetch_one(&mut *tx)
        .await?;
        if in_force as usize >= limit {
            return Err(StoreError::TooMany);
        }
        if all as usize >= stored {
            return Err(StoreError::TooManyStored);
        }
        let id = sqlx::query(
            "INSERT INTO suppressions (exercise, team, rule, conditions, reason, user_id, at, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(team)
        .bind(rule)
        .bind(conditions)
        .bind(reason)
        .bind(user)
        .bind(at as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        tx.commit().await?;
        Ok(id)
    }

    async fn suppressions(&self, exercise: i64, team: Option<&str>) -> Result<Vec<Suppression>> {
        let rows = sqlx::query(
            "SELECT s.id, s.team, s.rule, s.conditions, s.reason, u.username, s.at, s.ended_at, e.username AS ended_by \
             FROM suppressions s JOIN users u ON u.id = s.user_id LEFT JOIN users e ON e.id = s.ended_by \
             WHERE s.exercise = ? AND (? IS NULL OR s.team = ?) ORDER BY s.id",
        )
        .bind(exercise)
        .bind(team)
        .bind(team)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let conditions: String = r.try_get("conditions")?;
                let ended_at: Option<i64> = r.try_get("ended_at")?;
                let ended_by: Option<String> = r.try_get("ended_by")?;
                Ok(Suppression {
                    id: r.try_get("id")?,
                    team: r.try_get("team")?,
                    rule: r.try_get("rule")?,
                    conditions: serde_json::from_str(&conditions)
                        .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?,
                    reason: r.try_get("reason")?,
                    username: r.try_get("username")?,
                    at: r.try_get::<i64, _>("at")? as u64,
                    ended: ended_at.map(|t| (t as u64, ended_by.unwrap_or_default())),
                })
            })
            .collect()
    }

    async fn end_suppression(&self, exercise: i64, team: &str, id: i64, user: i64, at: u64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE suppressions SET ended_at = ?, ended_by = ? \
             WHERE id = ? AND exercise = ? AND team = ? AND ended_at IS NULL",
        )
        .bind(at as i64)
        .bind(user)
        .bind(id)
        .bind(exercise)
        .bind(team)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuppression);
        }
        Ok(())
    }

    async fn switch_rule(&self, exercise: i64, rule: &str, on: bool, at: u64, user: i64, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO rule_switches (exercise, rule, turned_on, at, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(rule)
        .bind(on)
        .bind(at as i64)
        .bind(user)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn rule_switches(&self, exercise: i64) -> Result<Vec<RuleSwitch>> {
        let rows = sqlx::query(
            "SELECT s.rule, s.turned_on, s.at, u.username FROM rule_switches s JOIN users u ON u.id = s.user_id \
             WHERE s.exercise = ? ORDER BY s.id",
        )
        .bind(exercise)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RuleSwitch {
                    rule: r.try_get("rule")?,
                    on: r.try_get("turned_on")?,
                    at: r.try_get::<i64, _>("at")? as u64,
                    username: r.try_get("username")?,
                })
            })
            .collect()
    }

    async fn triages_after(&self, exercise: i64, team: &str, after: i64) -> Result<Vec<Triage>> {
        let rows = sqlx::query(
            "SELECT t.id, t.event_row, t.rule, t.state, t.note, u.username, t.created_at, t.at FROM alert_triage t \
             JOIN users u ON u.id = t.user_id WHERE t.exercise = ? AND t.team = ? AND t.id > ? ORDER BY t.id",
        )
        .bind(exercise)
        .bind(team)
        .bind(after)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let row: i64 = r.try_get("event_row")?;
                Ok(Triage {
                    id: r.try_get("id")?,
                    row: row as u32,
                    rule: r.try_get("rule")?,
                    state: r.try_get("state")?,
                    note: r.try_get("note")?,
                    username: r.try_get("username")?,
                    created_at: r.try_get("created_at")?,
                    at: r.try_get::<Option<i64>, _>("at")?.map(|t| t as u64),
                })
            })
            .collect()
    }

    async fn send_inject(&self, exercise: i64, team: &str, inject: &str, at: u64, user: i64, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO inject_sends (exercise, team, inject, at, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(team)
        .bind(inject)
        .bind(at as i64)
        .bind(user)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn audit(&self, exercise: i64, entry: Audited<'_>, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit (exercise, user_id, created_at, at, action, team, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(entry.user)
        .bind(now)
        .bind(entry.at as i64)
        .bind(entry.action)
        .bind(entry.team)
        .bind(entry.detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit_log(&self, exercise: i64, before: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT a.id, u.username, a.created_at, a.at, a.action, a.team, a.detail FROM audit a \
             JOIN users u ON u.id = a.user_id WHERE a.exercise = ? AND a.id < ? ORDER BY a.id DESC LIMIT ?",
        )
        .bind(exercise)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    username: r.try_get("username")?,
                    created_at: r.try_get("created_at")?,
                    at: r.try_get::<i64, _>("at")? as u64,
                    action: r.try_get("action")?,
                    team: r.try_get("team")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    async fn record_detection(
        &self,
        exercise: i64,
        team: &str,
        step: &str,
        at: u64,
        source: &str,
        user: i64,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO detections (exercise, team, step, at, source, user_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(team)
        .bind(step)
        .bind(at as i64)
        .bind(source)
        .bind(user)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn detections(&self, exercise: i64) -> Result<Vec<Detection>> {
        let rows = sqlx::query(
            "SELECT d.team, d.step, d.at, d.source, u.username FROM detections d JOIN users u ON u.id = d.user_id \
             WHERE d.exercise = ? ORDER BY d.id",
        )
        .bind(exercise)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Detection {
                    team: r.try_get("team")?,
                    step: r.try_get("step")?,
                    at: r.try_get::<i64, _>("at")? as u64,
                    source: r.try_get("source")?,
                    username: r.try_get("username")?,
                })
            })
            .collect()
    }

    async fn inject_sends(&self, exercise: i64) -> Result<Vec<(String, String, u64)>> {
        let rows = sqlx::query("SELECT team, inject, at FROM inject_sends WHERE exercise = ? ORDER BY id")
            .bind(exercise)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let at: i64 = r.try_get("at")?;
                Ok((r.try_get("team")?, r.try_get("inject")?, at as u64))
            })
            .collect()
    }

    async fn mark_read(&self, exercise: i64, team: &str, injects: &[String], user: i64, now: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for inject in injects {
            sqlx::query(
                "INSERT OR IGNORE INTO inject_reads (exercise, team, inject, user_id, read_at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(exercise)
            .bind(team)
            .bind(inject)
            .bind(user)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reads(&self, exercise: i64) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT r.team, r.inject, u.username FROM inject_reads r JOIN users u ON u.id = r.user_id \
             WHERE r.exercise = ? ORDER BY r.read_at, u.username",
        )
        .bind(exercise)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("team")?, r.try_get("inject")?, r.try_get("username")?)))
            .collect()
    }

    async fn send_message(
        &self,
        exercise: i64,
        team: &str,
        to_team: bool,
        track: Option<&str>,
        inject: Option<&str>,
        subject: &str,
        body: &str,
        user: i64,
        at: u64,
        now: i64,
        at_most: AtMost,
    ) -> Result<i64> {
        let direction = if to_team { "to_team" } else { "from_team" };
        let mut tx = self.pool.begin().await?;
        let (all, mine): (i64, i64) = sqlx::query_as(
            "SELECT count(*), coalesce(sum(user_id = ?), 0) FROM messages \
             WHERE exercise = ? AND direction = ? AND team = ?",
        )
        .bind(user)
        .bind(exercise)
        .bind(direction)
        .bind(team)
        .fetch_one(&mut *tx)
        .await?;
        if all >= i64::from(at_most.all) {
            return Err(StoreError::TooMany);
        }
        if mine >= i64::from(at_most.user) {
            return Err(StoreError::TooManyOfUser);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO messages (exercise, team, direction, track, inject, subject, body, user_id, at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(exercise)
        .bind(team)
        .bind(direction)
        .bind(track)
        .bind(inject)
        .bind(subject)
        .bind(body)
        .bind(user)
        .bind(at as i64)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn messages_page(&self, exercise: i64, teams: Option<&[String]>, page: Page) -> Result<Vec<Message>> {
        let (cond, order, bound) = page.sql("m.id");
        let teams_cond = match teams {
            Some(teams) => format!("AND m.team IN ({})", placeholders(teams.len())),
            None => String::new(),
        };
        let sql = format!(
            "SELECT m.id, m.team, m.direction, m.track, m.inject, m.subject, m.body, u.username, m.at FROM messages m \
             JOIN users u ON u.id = m.user_id WHERE m.exercise = ? {teams_cond} AND {cond} {order}"
        );
        let rows = bind_each(sqlx::query(&sql).bind(exercise), teams)
            .bind(bound)
            .bind(i64::from(page.limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let direction: String = r.try_get("direction")?;
                let at: i64 = r.try_get("at")?;
                Ok(Message {
                    id: r.try_get("id")?,
                    team: r.try_get("team")?,
                    to_team: direction == "to_team",
                    track: r.try_get("track")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    username: r.try_get("username")?,
                    at: at as u64,
                    inject: r.try_get("inject")?,
                })
            })
            .collect()
    }

    async fn message_counts(&self, exercise: i64, team: &str, user: i64) -> Result<MessageCounts> {
        let (to_team, from_team, from_user): (i64, i64, i64) = sqlx::query_as(
            "SELECT coalesce(sum(direction = 'to_team'), 0), coalesce(sum(direction = 'from_team'), 0), \
             coalesce(sum(direction = 'from_team' AND user_id = ?), 0) FROM messages WHERE exercise = ? AND team = ?",
        )
        .bind(user)
        .bind(exercise)
        .bind(team)
        .fetch_one(&self.pool)
        .await?;
        Ok(MessageCounts {
            to_team: to_team as u32,
            from_team: from_team as u32,
            from_user: from_user as u32,
        })
    }

    async fn message_heads_after(
        &self,
        exercise: i64,
        teams: Option<&[String]>,
        to_team: bool,
        after: i64,
        newest: u32,
    ) -> Result<HeadsAfter> {
        let direction = if to_team { "to_team" } else { "from_team" };
        let teams_cond = match teams {
            Some(teams) => format!("AND team IN ({})", placeholders(teams.len())),
            None => String::new(),
        };
        let from = format!("FROM messages WHERE exercise = ? AND direction = ? {teams_cond} AND id > ?");
        let count_sql = format!("SELECT count(*) AS n, coalesce(max(id), 0) AS last {from}");
        let counted = bind_each(sqlx::query(&count_sql).bind(exercise).bind(direction), teams)
            .bind(after)
            .fetch_one(&self.pool)
            .await?;
        let count: i64 = counted.try_get("n")?;
        let last: i64 = counted.try_get("last")?;
        let mut heads = Vec::new();
        if count > 0 && newest > 0 {
            let heads_sql = format!("SELECT id, team, direction, subject {from} ORDER BY id DESC LIMIT ?");
            let rows = bind_each(sqlx::query(&heads_sql).bind(exercise).bind(direction), teams)
                .bind(after)
                .bind(i64::from(newest))
                .fetch_all(&self.pool)
                .await?;
            for r in rows.iter().rev() {
                heads.push(MessageHead {
                    id: r.try_get("id")?,
                    team: r.try_get("team")?,
                    to_team,
                    subject: r.try_get("subject")?,
                });
            }
        }
        Ok(HeadsAfter {
            count: count as u32,
            last: last.max(after),
            newest: heads,
        })
    }

    async fn last_from_teams(&self, exercise: i64) -> Result<Vec<(String, u64, String)>> {
        let rows = sqlx::query(
            "SELECT m.team, m.at, u.username FROM messages m JOIN users u ON u.id = m.user_id WHERE m.id IN \
             (SELECT max(id) FROM messages WHERE exercise = ? AND direction = 'from_team' GROUP BY team) ORDER BY m.team",
        )
        .bind(exercise)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at: i64 = r.try_get("at")?;
                Ok((r.try_get("team")?, at as u64, r.try_get("username")?))
            })
            .collect()
    }

    async fn submit(
        &self,
        exercise: i64,
        team: &str,
        kind: Kind,
        subject: &str,
        body: &str,
        user: i64,
        at: u64,
        now: i64,
        at_most: AtMost,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let (all, mine): (i64, i64) = sqlx::query_as(
            "SELECT count(*), coalesce(sum(user_id = ?), 0) FROM submissions WHERE exercise = ? AND team = ? AND kind = ?",
        )
        .bind(user)
        .bind(exercise)
        .bind(team)
        .bind(kind.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if all >= i64::from(at_most.all) {
            return Err(StoreError::TooMany);
        }
        if mine >= i64::from(at_most.user) {
            return Err(StoreError::TooManyOfUser);
        }
        let done = sqlx::query(
            "INSERT INTO submissions (exercise, team, kind, subject, body, user_id, at, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(team)
        .bind(kind.as_str())
        .bind(subject)
        .bind(body)
        .bind(user)
        .bind(at as i64)
        .bind(now)
        .execute(&mut *tx)
        .await;
        let id = match done {
            Ok(done) => done.last_insert_rowid(),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(StoreError::Answered),
            Err(e) => return Err(e.into()),
        };
        tx.commit().await?;
        Ok(id)
    }

    async fn submissions(&self, exercise: i64, team: Option<&str>) -> Result<Vec<Submission>> {
        let rows = sqlx::query(&format!(
            "{SUBMISSIONS_SELECT} WHERE s.exercise = ? AND (? IS NULL OR s.team = ?) ORDER BY s.id"
        ))
        .bind(exercise)
        .bind(team)
        .bind(team)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(submission_from).collect()
    }

    async fn count(&self, exercise: i64, team: &str, what: Counted) -> Result<u32> {
        let (sql, id) = match what {
            Counted::Reports => (
                "SELECT count(*) FROM submissions WHERE exercise = ? AND team = ? AND kind = 'report'",
                None,
            ),
            Counted::Cases => ("SELECT count(*) FROM cases WHERE exercise = ? AND team = ?", None),
            Counted::CaseEntries(case) => (
                "SELECT count(*) FROM case_entries e JOIN cases c ON c.id = e.case_id \
                 WHERE c.exercise = ? AND c.team = ? AND c.id = ?",
                Some(case),
            ),
            Counted::SavedSearches => (
                "SELECT count(*) FROM saved_searches WHERE exercise = ? AND team = ?",
                None,
            ),
            Counted::TeamRules => ("SELECT count(*) FROM team_rules WHERE exercise = ? AND team = ?", None),
        };
        let mut query = sqlx::query_scalar::<_, i64>(sql).bind(exercise).bind(team);
        if let Some(id) = id {
            query = query.bind(id);
        }
        Ok(query.fetch_one(&self.pool).await? as u32)
    }

    async fn submission_heads_after(
        &self,
        exercise: i64,
        teams: Option<&[String]>,
        after: i64,
        newest: u32,
    ) -> Result<SubmissionsAfter> {
        let teams_cond = match teams {
            Some(teams) => format!("AND team IN ({})", placeholders(teams.len())),
            None => String::new(),
        };
        let from = format!("FROM submissions WHERE exercise = ? {teams_cond} AND id > ?");
        let count_sql = format!("SELECT count(*) AS n, coalesce(max(id), 0) AS last {from}");
        let counted = bind_each(sqlx::query(&count_sql).bind(exercise), teams)
            .bind(after)
            .fetch_one(&self.pool)
            .await?;
        let count: i64 = counted.try_get("n")?;
        let last: i64 = counted.try_get("last")?;
        let mut heads = Vec::new();
        if count > 0 && newest > 0 {
            let heads_sql = format!("SELECT id, team, kind, subject {from} ORDER BY id DESC LIMIT ?");
            let rows = bind_each(sqlx::query(&heads_sql).bind(exercise), teams)
                .bind(after)
                .bind(i64::from(newest))
                .fetch_all(&self.pool)
                .await?;
            for r in rows.iter().rev() {
                let kind: String = r.try_get("kind")?;
                let kind = if kind == "answer" { Kind::Answer } else { Kind::Report };
                heads.push(SubmissionHead {
                    id: r.try_get("id")?,
                    team: r.try_get("team")?,
                    kind,
                    subject: r.try_get("subject")?,
                });
            }
        }
        Ok(SubmissionsAfter {
            count: count as u32,
            last: last.max(after),
            newest: heads,
        })
    }

    async fn submissions_page(
        &self,
        exercise: i64,
        filter: SubmissionFilter<'_>,
        page: Page,
    ) -> Result<(Vec<Submission>, u32)> {
        let mut cond = "s.exercise = ?".to_owned();
        if let Some(teams) = filter.teams {
            cond.push_str(&format!(" AND s.team IN ({})", placeholders(teams.len())));
        }
        let answers = filter.answers_to.unwrap_or_default();
        cond.push_str(&format!(
            " AND ((? AND s.kind = 'report') OR (s.kind = 'answer' AND s.subject IN ({})))",
            placeholders(answers.len())
        ));
        match filter.graded {
            Some(true) => cond.push_str(" AND g.id IS NOT NULL"),
            Some(false) => cond.push_str(" AND g.id IS NULL"),
            None => {}
        }
        let count_sql = format!(
            "SELECT count(*) AS n FROM submissions s \
             LEFT JOIN grades g ON g.id = (SELECT max(id) FROM grades WHERE submission_id = s.id) WHERE {cond}"
        );
        let total: i64 = bind_each(
            bind_each(sqlx::query(&count_sql).bind(exercise), filter.teams).bind(filter.reports),
            Some(answers),
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let (by_id, order, bound) = page.sql("s.id");
        let page_sql = format!("{SUBMISSIONS_SELECT} WHERE {cond} AND {by_id} {order}");
        let rows = bind_each(
            bind_each(sqlx::query(&page_sql).bind(exercise), filter.teams).bind(filter.reports),
            Some(answers),
        )
        .bind(bound)
        .bind(i64::from(page.limit))
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(submission_from).collect::<Result<Vec<_>>>()?;
        Ok((items, total as u32))
    }

    async fn grade(
        &self,
        exercise: i64,
        submission: i64,
        points: &str,
        comment: &str,
        user: i64,
        now: i64,
    ) -> Result<()> {
        let done = sqlx::query(
            "INSERT INTO grades (submission_id, points, comment, user_id, created_at) \
             SELECT id, ?, ?, ?, ? FROM submissions WHERE id = ? AND exercise = ?",
        )
        .bind(points)
        .bind(comment)
        .bind(user)
        .bind(now)
        .bind(submission)
        .bind(exercise)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSubmission);
        }
        Ok(())
    }

    async fn open_hint(&self, exercise: i64, team: &str, hint: &str, user: i64, at: u64, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO hints_opened (exercise, team, hint, user_id, at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(team)
        .bind(hint)
        .bind(user)
        .bind(at as i64)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn open_case(
        &self,
        exercise: i64,
        team: &str,
        title: &str,
        status: &str,
        user: i64,
        at: u64,
        now: i64,
        at_most: AtMost,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let (all, mine): (i64, i64) =
            sqlx::query_as("SELECT count(*), coalesce(sum(user_id = ?), 0) FROM cases WHERE exercise = ? AND team = ?")
                .bind(user)
                .bind(exercise)
                .bind(team)
                .fetch_one(&mut *tx)
                .await?;
        if all >= i64::from(at_most.all) {
            return Err(StoreError::TooMany);
        }
        if mine >= i64::from(at_most.user) {
            return Err(StoreError::TooManyOfUser);
        }
        let done = sqlx::query(
            "INSERT INTO cases (exercise, team, title, status, user_id, at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(team)
        .bind(title)
        .bind(status)
        .bind(user)
        .bind(at as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.last_insert_rowid())
    }

    async fn cases_page(&self, exercise: i64, team: &str, page: Page) -> Result<Vec<Case>> {
        let (cond, order, bound) = page.sql("c.id");
        let rows = sqlx::query(&format!(
            "{CASES_SELECT} WHERE c.exercise = ? AND c.team = ? AND {cond} {order}"
        ))
        .bind(exercise)
        .bind(team)
        .bind(bound)
        .bind(i64::from(page.limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(case_from).collect()
    }

    async fn case(&self, exercise: i64, team: &str, case: i64, page: Page) -> Result<(Case, Vec<CaseEntry>)> {
        let row = sqlx::query(&format!(
            "{CASES_SELECT} WHERE c.exercise = ? AND c.team = ? AND c.id = ?"
        ))
        .bind(exercise)
        .bind(team)
        .bind(case)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NoCase)?;
        let (cond, order, bound) = page.sql("e.id");
        let entries = sqlx::query(&format!(
            "SELECT e.id, e.kind, e.body, u.username, e.at FROM case_entries e JOIN users u ON u.id = e.user_id \
             WHERE e.case_id = ? AND {cond} {order}"
        ))
        .bind(case)
        .bind(bound)
        .bind(i64::from(page.limit))
        .fetch_all(&self.pool)
        .await?;
        let entries = entries
            .iter()
            .map(|r| {
                let at: i64 = r.try_get("at")?;
                Ok(CaseEntry {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    body: r.try_get("body")?,
                    username: r.try_get("username")?,
                    at: at as u64,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((case_from(&row)?, entries))
    }

    async fn add_case_entries(
        &self,
        exercise: i64,
        team: &str,
        case: i64,
        kind: &str,
        bodies: &[&str],
        user: i64,
        at: u64,
        now: i64,
        at_most: AtMost,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let mine = sqlx::query("SELECT 1 FROM cases WHERE id = ? AND exercise = ? AND team = ?")
            .bind(case)
            .bind(exercise)
            .bind(team)
            .fetch_optional(&mut *tx)
            .await?;
        if mine.is_none() {
            return Err(StoreError::NoCase);
        }
        let (all, by_user): (i64, i64) =
            sqlx::query_as("SELECT count(*), coalesce(sum(user_id = ?), 0) FROM case_entries WHERE case_id = ?")
                .bind(user)
                .bind(case)
                .fetch_one(&mut *tx)
                .await?;
        let adding = bodies.len() as i64;
        if all + adding > i64::from(at_most.all) {
            return Err(StoreError::TooMany);
        }
        if by_user + adding > i64::from(at_most.user) {
            return Err(StoreError::TooManyOfUser);
        }
        for &body in bodies {
            sqlx::query(
                "INSERT INTO case_entries (case_id, kind, body, user_id, at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(case)
            .bind(kind)
            .bind(body)
            .bind(user)
            .bind(at as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if kind == "status" {
                sqlx::query("UPDATE cases SET status = ? WHERE id = ?")
                    .bind(body)
                    .bind(case)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn report_released(&self, exercise: i64) -> Result<bool> {
        self.flag(exercise, "report_released").await
    }

    async fn release_report(&self, exercise: i64, released: bool) -> Result<()> {
        self.set_flag(exercise, "report_released", released).await
    }

    async fn add_lesson(
        &self,
        exercise: i64,
        lesson: NewLesson<'_>,
        user: i64,
        now: i64,
        at_most: AtMost,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let (all, mine): (i64, i64) = sqlx::query_as(
            "SELECT count(*), coalesce(sum(user_id = ?), 0) FROM lessons WHERE exercise = ? AND team IS ?",
        )
        .bind(user)
        .bind(exercise)
        .bind(lesson.team)
        .fetch_one(&mut *tx)
        .await?;
        if all >= i64::from(at_most.all) {
            return Err(StoreError::TooMany);
        }
        if mine >= i64::from(at_most.user) {
            return Err(StoreError::TooManyOfUser);
        }
        let id = sqlx::query(
            "INSERT INTO lessons (exercise, team, objective, kind, text, owner, due, user_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(lesson.team)
        .bind(lesson.objective)
        .bind(lesson.kind)
        .bind(lesson.text)
        .bind(lesson.owner)
        .bind(lesson.due)
        .bind(user)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        tx.commit().await?;
        Ok(id)
    }

    async fn lessons(&self, exercise: i64) -> Result<Vec<Lesson>> {
        let rows = sqlx::query(
            "SELECT l.id, l.team, l.objective, l.kind, l.text, l.owner, l.due, u.username, l.created_at \
             FROM lessons l JOIN users u ON u.id = l.user_id WHERE l.exercise = ? ORDER BY l.id",
        )
        .bind(exercise)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Lesson {
                    id: r.try_get("id")?,
                    team: r.try_get("team")?,
                    objective: r.try_get("objective")?,
                    kind: r.try_get("kind")?,
                    text: r.try_get("text")?,
                    owner: r.try_get("owner")?,
                    due: r.try_get("due")?,
                    username: r.try_get("username")?,
                    at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn remove_lesson(&self, exercise: i64, team: Option<&str>, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM lessons WHERE exercise = ? AND team IS ? AND id = ?")
            .bind(exercise)
            .bind(team)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoLesson);
        }
        Ok(())
    }

    async fn dump(&self, exercise: i64, record: bool, passwords: bool) -> Result<Dump> {
        self.dump_rows(exercise, record, passwords).await
    }

    async fn restore(&self, dump: &Dump, now: i64) -> Result<i64> {
        self.restore_rows(dump, now).await
    }

    async fn give_feedback(
        &self,
        exercise: i64,
        user: i64,
        role: Role,
        team: Option<&str>,
        anonymous: bool,
        answers: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let given = sqlx::query("INSERT OR IGNORE INTO feedback_given (exercise, user_id) VALUES (?, ?)")
            .bind(exercise)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        if given.rows_affected() == 0 {
            return Err(StoreError::FeedbackGiven);
        }
        sqlx::query(
            "INSERT INTO feedback (exercise, role, team, user_id, answers, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(role.as_str())
        .bind(if anonymous { None } else { team })
        .bind(if anonymous { None } else { Some(user) })
        .bind(answers)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn gave_feedback(&self, exercise: i64, user: i64) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM feedback_given WHERE exercise = ? AND user_id = ?")
            .bind(exercise)
            .bind(user)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn feedback(&self, exercise: i64) -> Result<Vec<Feedback>> {
        let rows = sqlx::query(
            "SELECT f.role, f.team, u.username, f.answers FROM feedback f LEFT JOIN users u ON u.id = f.user_id \
             WHERE f.exercise = ? ORDER BY f.id",
        )
        .bind(exercise)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Feedback {
                    role: r.try_get("role")?,
                    team: r.try_get("team")?,
                    username: r.try_get("username")?,
                    answers: r.try_get("answers")?,
                })
            })
            .collect()
    }

    async fn save_result(&self, exercise: i64, team: &str, nation: &str, figures: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO results (exercise, team, nation, figures) VALUES (?, ?, ?, ?) \
             ON CONFLICT (exercise, team) DO UPDATE SET nation = excluded.nation, figures = excluded.figures",
        )
        .bind(exercise)
        .bind(team)
        .bind(nation)
        .bind(figures)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn earlier_results(&self, exercise: i64, nation: &str, limit: u32) -> Result<Vec<String>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT r.figures FROM results r JOIN exercises e ON e.id = r.exercise \
             JOIN exercises this ON this.id = ? \
             WHERE r.nation = ? AND r.exercise <> this.id AND (e.date < this.date OR (e.date = this.date AND e.id < this.id)) \
             ORDER BY e.date DESC, e.id DESC, r.team LIMIT ?",
        )
        .bind(exercise)
        .bind(nation)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().rev().collect())
    }

    async fn scoreboard_shown(&self, exercise: i64) -> Result<bool> {
        self.flag(exercise, "scoreboard").await
    }

    async fn show_scoreboard(&self, exercise: i64, shown: bool) -> Result<()> {
        self.set_flag(exercise, "scoreboard", shown).await
    }

    async fn absences(&self, exercise: i64) -> Result<Vec<Absence>> {
        let rows = sqlx::query(
            "SELECT a.team, u.username, a.marked_at FROM absent_teams a JOIN users u ON u.id = a.user_id \
             WHERE a.exercise = ? ORDER BY a.team",
        )
        .bind(exercise)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Absence {
                    team: r.try_get("team")?,
                    username: r.try_get("username")?,
                    at: r.try_get("marked_at")?,
                })
            })
            .collect()
    }

    async fn mark_absent(&self, exercise: i64, team: &str, absent: bool, user: i64, now: i64) -> Result<()> {
        let query = if absent {
            sqlx::query(
                "INSERT INTO absent_teams (exercise, team, user_id, marked_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (exercise, team) DO NOTHING",
            )
            .bind(exercise)
            .bind(team)
            .bind(user)
            .bind(now)
        } else {
            sqlx::query("DELETE FROM absent_teams WHERE exercise = ? AND team = ?")
                .bind(exercise)
                .bind(team)
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    async fn save_search(
        &self,
        exercise: i64,
        team: &str,
        name: &str,
        query: &str,
        user: i64,
        now: i64,
        at_most: AtMost,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Saving a name again replaces its query and takes no new place.
        let (all, mine, same): (i64, i64, i64) = sqlx::query_as(
            "SELECT count(*), coalesce(sum(user_id = ?), 0), coalesce(sum(name = ?), 0) FROM saved_searches \
             WHERE exercise = ? AND team = ?",
        )
        .bind(user)
        .bind(name)
        .bind(exercise)
        .bind(team)
        .fetch_one(&mut *tx)
        .await?;
        if same == 0 && all >= i64::from(at_most.all) {
            return Err(StoreError::TooMany);
        }
        if same == 0 && mine >= i64::from(at_most.user) {
            return Err(StoreError::TooManyOfUser);
        }
        sqlx::query(
            "INSERT INTO saved_searches (exercise, team, name, query, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (exercise, team, name) DO UPDATE SET query = excluded.query, user_id = excluded.user_id, \
             created_at = excluded.created_at",
        )
        .bind(exercise)
        .bind(team)
        .bind(name)
        .bind(query)
        .bind(user)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn saved_searches(&self, exercise: i64, team: &str) -> Result<Vec<SavedSearch>> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.query, u.username FROM saved_searches s JOIN users u ON u.id = s.user_id \
             WHERE s.exercise = ? AND s.team = ? ORDER BY s.name, s.id",
        )
        .bind(exercise)
        .bind(team)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SavedSearch {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    query: r.try_get("query")?,
                    username: r.try_get("username")?,
                })
            })
            .collect()
    }

    async fn delete_search(&self, exercise: i64, team: &str, search: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM saved_searches WHERE id = ? AND exercise = ? AND team = ?")
            .bind(search)
            .bind(exercise)
            .bind(team)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSearch);
        }
        Ok(())
    }

    async fn add_team_rule(
        &self,
        exercise: i64,
        team: &str,
        title: &str,
        yaml: &str,
        user: i64,
        at: u64,
        now: i64,
        at_most: AtMost,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let (all, mine): (i64, i64) = sqlx::query_as(
            "SELECT count(*), coalesce(sum(user_id = ?), 0) FROM team_rules WHERE exercise = ? AND team = ?",
        )
        .bind(user)
        .bind(exercise)
        .bind(team)
        .fetch_one(&mut *tx)
        .await?;
        if all >= i64::from(at_most.all) {
            return Err(StoreError::TooMany);
        }
        if mine >= i64::from(at_most.user) {
            return Err(StoreError::TooManyOfUser);
        }
        let done = sqlx::query(
            "INSERT INTO team_rules (exercise, team, title, yaml, user_id, at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(exercise)
        .bind(team)
        .bind(title)
        .bind(yaml)
        .bind(user)
        .bind(at as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.last_insert_rowid())
    }

    async fn team_rules(&self, exercise: i64, team: Option<&str>) -> Result<Vec<TeamRule>> {
        let rows = sqlx::query(
            "SELECT r.id, r.team, r.title, r.yaml, u.username, r.at, r.off_at, o.username AS off_by \
             FROM team_rules r JOIN users u ON u.id = r.user_id LEFT JOIN users o ON o.id = r.off_by \
             WHERE r.exercise = ? AND (? IS NULL OR r.team = ?) ORDER BY r.id",
        )
        .bind(exercise)
        .bind(team)
        .bind(team)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at: i64 = r.try_get("at")?;
                let off_at: Option<i64> = r.try_get("off_at")?;
                let off_by: Option<String> = r.try_get("off_by")?;
                Ok(TeamRule {
                    id: r.try_get("id")?,
                    team: r.try_get("team")?,
                    title: r.try_get("title")?,
                    yaml: r.try_get("yaml")?,
                    username: r.try_get("username")?,
                    at: at as u64,
                    off: off_at.map(|t| (t as u64, off_by.unwrap_or_default())),
                })
            })
            .collect()
    }

    async fn turn_off_rule(&self, exercise: i64, team: &str, rule: i64, user: i64, at: u64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE team_rules SET off_at = ?, off_by = ? WHERE id = ? AND exercise = ? AND team = ? AND off_at IS NULL",
        )
        .bind(at as i64)
        .bind(user)
        .bind(rule)
        .bind(exercise)
        .bind(team)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoRule);
        }
        Ok(())
    }

    async fn hints_opened(&self, exercise: i64, team: Option<&str>) -> Result<Vec<HintOpened>> {
        let rows = sqlx::query(
            "SELECT h.team, h.hint, u.username, h.at FROM hints_opened h JOIN users u ON u.id = h.user_id \
             WHERE h.exercise = ? AND (? IS NULL OR h.team = ?) ORDER BY h.id",
        )
        .bind(exercise)
        .bind(team)
        .bind(team)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at: i64 = r.try_get("at")?;
                Ok(HintOpened {
                    team: r.try_get("team")?,
                    hint: r.try_get("hint")?,
                    username: r.try_get("username")?,
                    at: at as u64,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accounts_sessions_and_failures() {
        let db = Sqlite::in_memory().await.unwrap();
        let alice = db
            .create_user("alice", "$argon2id$x", Role::Player, Some("palau"), 1)
            .await
            .unwrap();
        assert_eq!(alice.team.as_deref(), Some("palau"));
        assert!(matches!(
            db.create_user("alice", "h", Role::Observer, None, 2).await,
            Err(StoreError::Taken(_))
        ));
        assert!(matches!(
            db.create_user("bob", "h", Role::Player, None, 2).await,
            Err(StoreError::Team)
        ));
        assert!(matches!(
            db.create_user("bob", "h", Role::Instructor, Some("palau"), 2).await,
            Err(StoreError::Team)
        ));
        let (found, hash) = db.user_by_name("alice").await.unwrap().unwrap();
        assert_eq!((found, hash.as_str()), (alice.clone(), "$argon2id$x"));
        assert!(db.user_by_name("nobody").await.unwrap().is_none());

        db.create_session(b"token-hash", alice.id, "test", 10, 100, 5)
            .await
            .unwrap();
        assert_eq!(db.session_user(b"token-hash", 50).await.unwrap(), Some(alice.clone()));
        assert_eq!(db.session_user(b"token-hash", 100).await.unwrap(), None, "expired");
        assert_eq!(db.session_user(b"other", 50).await.unwrap(), None);
        db.delete_session(b"token-hash").await.unwrap();
        assert_eq!(db.session_user(b"token-hash", 50).await.unwrap(), None, "ended");
        db.create_session(b"a", alice.id, "test", 10, 100, 5).await.unwrap();
        db.create_session(b"b", alice.id, "test", 20, 100, 5).await.unwrap();
        db.create_session(b"c", alice.id, "test", 5, 8, 5).await.unwrap();
        assert_eq!(db.active_sessions(50).await.unwrap(), [(alice.id, 2, 20)]);
        assert_eq!(db.end_sessions(alice.id).await.unwrap(), 3);
        assert!(db.active_sessions(50).await.unwrap().is_empty());

        // API tokens: by hash, until they expire, only their owner revokes them, and ending
        // a user's sessions ends their tokens.
        let t1 = db
            .create_token(alice.id, "nightly", b"tok-1", 10, 1_000_000)
            .await
            .unwrap();
        let t2 = db.create_token(alice.id, "old", b"tok-2", 10, 100).await.unwrap();
        assert_eq!(db.token_user(b"tok-1", 70_000).await.unwrap(), Some(alice.clone()));
        assert_eq!(db.token_user(b"tok-2", 100).await.unwrap(), None, "expired");
        assert_eq!(db.token_user(b"tok-3", 50).await.unwrap(), None);
        assert_eq!(db.token_user(b"tok-1", 80_000).await.unwrap(), Some(alice.clone()));
        let listed = db.tokens(alice.id).await.unwrap();
        assert_eq!(
            listed.iter().map(|t| (t.id, t.name.as_str())).collect::<Vec<_>>(),
            [(t1, "nightly"), (t2, "old")]
        );
        assert_eq!(listed[0].last_used, Some(70_000), "noted once a minute at most");
        assert_eq!(listed[1].last_used, None);
        assert!(
            matches!(db.revoke_token(alice.id + 1, t1).await, Err(StoreError::NoToken)),
            "not theirs"
        );
        db.revoke_token(alice.id, t2).await.unwrap();
        assert!(
            matches!(db.revoke_token(alice.id, t2).await, Err(StoreError::NoToken)),
            "gone"
        );
        db.create_session(b"d", alice.id, "test", 10, 100, 5).await.unwrap();
        assert_eq!(db.end_sessions(alice.id).await.unwrap(), 2, "one session and one token");
        assert_eq!(db.token_user(b"tok-1", 70_000).await.unwrap(), None);

        // Housekeeping forgets expired sessions, long-expired tokens and old failures only.
        db.create_session(b"old", alice.id, "test", 10, 100, 5).await.unwrap();
        db.create_session(b"new", alice.id, "test", 10, 1_000, 5).await.unwrap();
        db.create_token(alice.id, "long gone", b"t-old", 10, 100).await.unwrap();
        db.create_token(alice.id, "just expired", b"t-recent", 10, 400)
            .await
            .unwrap();
        db.record_login_failure("erin", "10.9.9.9", 50).await.unwrap();
        db.record_login_failure("erin", "10.9.9.9", 450).await.unwrap();
        assert_eq!(db.forget_expired(500, 300, 200).await.unwrap(), 3);
        assert_eq!(db.session_user(b"new", 500).await.unwrap(), Some(alice.clone()));
        let kept: Vec<String> = db.tokens(alice.id).await.unwrap().into_iter().map(|t| t.name).collect();
        assert_eq!(kept, ["just expired"]);
        let erin = db.login_failures("erin", "10.9.9.9", 0).await.unwrap();
        assert_eq!((erin.account, erin.address), (1, 1));

        for at in [10, 20, 30] {
            db.record_login_failure("alice", "10.0.0.1", at).await.unwrap();
        }
        db.record_login_failure("carol", "10.0.0.1", 40).await.unwrap();
        // The account's failures from any address and in any case; the address's for anyone.
        let elsewhere = db.record_login_failure("ALICE", "10.0.0.7", 45).await.unwrap();
        let f = db.login_failures("alice", "10.0.0.1", 15).await.unwrap();
        assert_eq!(
            f,
            Failures {
                account: 3,
                account_last: 45,
                address: 3,
                address_last: 40
            }
        );
        db.forget_login_failure(elsewhere).await.unwrap();
        assert_eq!(db.login_failures("alice", "10.0.0.1", 15).await.unwrap().account, 2);
        assert_eq!(
            db.login_failures("dave", "10.0.0.2", 0).await.unwrap(),
            Failures::default()
        );
        // Usernames are one per spelling, whatever the case.
        assert!(matches!(
            db.create_user("Alice", "h", Role::Observer, None, 2).await,
            Err(StoreError::Taken(_))
        ));
    }

    #[tokio::test]
    async fn observers_follow_every_team_or_chosen_ones() {
        let db = Sqlite::in_memory().await.unwrap();
        let olga = db.create_user("olga", "h", Role::Observer, None, 1).await.unwrap();
        let pita = db
            .create_user("pita", "h", Role::Player, Some("palau"), 1)
            .await
            .unwrap();
        let ines = db.create_user("ines", "h", Role::Instructor, None, 1).await.unwrap();
        assert!(olga.follows.is_empty() && olga.sees("nauru") && olga.sees_all());
        db.set_follows(olga.id, &["tonga".into(), "palau".into(), "palau".into()])
            .await
            .unwrap();
        let (olga, _) = db.user_by_name("olga").await.unwrap().unwrap();
        assert_eq!(olga.follows, ["palau", "tonga"], "sorted, once each");
        assert!(olga.sees("palau") && olga.sees("tonga") && !olga.sees("nauru") && !olga.sees_all());
        db.create_session(b"t", olga.id, "test", 1, 100, 5).await.unwrap();
        assert_eq!(
            db.session_user(b"t", 2).await.unwrap().unwrap().follows,
            ["palau", "tonga"]
        );
        let listed = db.users().await.unwrap();
        assert_eq!(
            listed.iter().find(|u| u.id == olga.id).unwrap().follows,
            ["palau", "tonga"]
        );
        // Following none again is following every team.
        db.set_follows(olga.id, &[]).await.unwrap();
        assert!(db.user_by_name("olga").await.unwrap().unwrap().0.sees_all());
        for other in [pita.id, ines.id, 999] {
            assert!(matches!(
                db.set_follows(other, &["palau".into()]).await,
                Err(StoreError::Follows)
            ));
        }
        assert!(pita.sees("palau") && !pita.sees("nauru") && !pita.sees_all());
        assert!(ines.sees("nauru") && ines.sees_all());
    }

    #[tokio::test]
    async fn exercises_and_their_clock_survive_reopening() {
        let dir = std::env::temp_dir().join(format!("atoll-store-{}", std::process::id()));
        // A folder left by an earlier run that failed half-way must not count here.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("atoll.db");
        {
            let db = Sqlite::open(&path).await.unwrap();
            let e = db
                .create_exercise(
                    &NewExercise {
                        name: "Demo",
                        scenario_path: "scenario.yaml",
                        scenario_text: Some("title: x"),
                        seed: 7,
                        date: "2026-06-01",
                        clock: "{}",
                    },
                    1,
                )
                .await
                .unwrap();
            db.save_clock(e.id, r#"{"speed":60}"#).await.unwrap();
        }
        let db = Sqlite::open(&path).await.unwrap();
        let all = db.exercises().await.unwrap();
        assert_eq!(all.len(), 1);
        let user = db
            .create_user("pita", "h", Role::Player, Some("palau"), 1)
            .await
            .unwrap();
        db.record_action(all[0].id, "palau", 60_000, "isolate_host", "PT-WEB01", user.id, 2)
            .await
            .unwrap();
        db.record_action(all[0].id, "palau", 30_000, "block_address", "203.0.113.45", user.id, 3)
            .await
            .unwrap();
        let actions = db.actions(all[0].id).await.unwrap();
        assert_eq!(
            actions.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
            ["isolate_host", "block_address"],
            "in the order taken"
        );
        assert_eq!((actions[0].at, actions[0].username.as_str()), (60_000, "pita"));
        assert_eq!((all[0].seed, all[0].clock.as_str()), (7, r#"{"speed":60}"#));
        assert_eq!(all[0].scenario_text.as_deref(), Some("title: x"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn an_invitation_works_once_and_not_after_it_expires() {
        let db = Sqlite::in_memory().await.unwrap();
        let chief = db.create_user("chief", "h", Role::Instructor, None, 1).await.unwrap();
        db.create_user("taken", "h", Role::Observer, None, 1).await.unwrap();
        let (token, old) = (b"t1".as_slice(), b"t2".as_slice());
        db.create_invitations(&[token.to_vec()], Role::Player, Some("palau"), chief.id, 10, 1_000, 200)
            .await
            .unwrap()
            .unwrap();
        db.create_invitations(&[old.to_vec()], Role::Observer, None, chief.id, 10, 500, 200)
            .await
            .unwrap()
            .unwrap();
        // An instructor cannot be invited, and a player needs a team.
        assert!(
            db.create_invitations(&[b"t3".to_vec()], Role::Instructor, None, chief.id, 10, 1_000, 200)
                .await
                .is_err()
        );
        assert!(
            db.create_invitations(&[b"t4".to_vec()], Role::Player, None, chief.id, 10, 1_000, 200)
                .await
                .is_err()
        );

        // A taken username leaves the invitation usable.
        let e = db.redeem_invitation(token, "taken", "h2", 100).await.unwrap_err();
        assert!(matches!(e, StoreError::Taken(_)), "{e}");
        let user = db.redeem_invitation(token, "pita", "h2", 100).await.unwrap();
        assert_eq!((user.role, user.team.as_deref()), (Role::Player, Some("palau")));
        let e = db.redeem_invitation(token, "pita2", "h2", 101).await.unwrap_err();
        assert!(matches!(e, StoreError::Invitation(Unusable::Used)), "{e}");
        // At its expiry time it no longer works, and nothing was created.
        let e = db.redeem_invitation(old, "olga", "h", 500).await.unwrap_err();
        assert!(matches!(e, StoreError::Invitation(Unusable::Expired)), "{e}");
        assert!(db.user_by_name("olga").await.unwrap().is_none());
        let e = db.invitation(b"nope", 1).await.unwrap_err();
        assert!(matches!(e, StoreError::Invitation(Unusable::Unknown)), "{e}");

        let all = db.invitations(None, 50).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[1].used_by.as_deref(), all[1].used_at, all[1].created_by.as_str()),
            (Some("pita"), Some(100), "chief")
        );
        assert_eq!((all[0].used_at, all[0].expires_at), (None, 500));
    }

    #[tokio::test]
    async fn a_revoked_invitation_never_works_and_open_ones_are_capped() {
        let db = Sqlite::in_memory().await.unwrap();
        let chief = db.create_user("chief", "h", Role::Instructor, None, 1).await.unwrap();
        let hashes: Vec<Vec<u8>> = (0..4).map(|i| format!("batch-{i}").into_bytes()).collect();
        let ids = db
            .create_invitations(&hashes, Role::Player, Some("palau"), chief.id, 10, 1_000, 5)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ids.len(), 4);
        // Two more would make six open: nothing is stored, and the answer says four are open.
        let more = [b"m1".to_vec(), b"m2".to_vec()];
        assert_eq!(
            db.create_invitations(&more, Role::Player, Some("palau"), chief.id, 20, 1_000, 5)
                .await
                .unwrap(),
            Err(4)
        );
        assert!(matches!(
            db.invitation(b"m1", 20).await,
            Err(StoreError::Invitation(Unusable::Unknown))
        ));

        // Revoked: refused by its link and when redeemed, and no account is made.
        let revoked = db.revoke_invitation(ids[0], chief.id, 30).await.unwrap();
        assert_eq!(
            (revoked.revoked_at, revoked.revoked_by.as_deref()),
            (Some(30), Some("chief"))
        );
        assert!(matches!(
            db.invitation(&hashes[0], 40).await,
            Err(StoreError::Invitation(Unusable::Revoked))
        ));
        let e = db.redeem_invitation(&hashes[0], "mele", "h", 40).await.unwrap_err();
        assert!(matches!(e, StoreError::Invitation(Unusable::Revoked)), "{e}");
        assert_eq!(e.to_string(), "the invitation was revoked");
        assert!(db.user_by_name("mele").await.unwrap().is_none());
        // A revoked link stays revoked once it would have expired too.
        assert!(matches!(
            db.invitation(&hashes[0], 5_000).await,
            Err(StoreError::Invitation(Unusable::Revoked))
        ));
        // Revoking frees a place under the cap.
        assert_eq!(
            db.create_invitations(&more[..1], Role::Player, Some("palau"), chief.id, 50, 1_000, 4)
                .await
                .unwrap()
                .map(|ids| ids.len()),
            Ok(1)
        );

        // Only an open link is revoked: not twice, not a used one, not an expired one.
        let e = db.revoke_invitation(ids[0], chief.id, 60).await.unwrap_err();
        assert!(matches!(e, StoreError::Invitation(Unusable::Revoked)), "{e}");
        db.redeem_invitation(&hashes[1], "pita", "h", 60).await.unwrap();
        let e = db.revoke_invitation(ids[1], chief.id, 70).await.unwrap_err();
        assert!(matches!(e, StoreError::Invitation(Unusable::Used)), "{e}");
        let e = db.revoke_invitation(ids[2], chief.id, 1_000).await.unwrap_err();
        assert!(matches!(e, StoreError::Invitation(Unusable::Expired)), "{e}");
        let e = db.revoke_invitation(999, chief.id, 70).await.unwrap_err();
        assert!(matches!(e, StoreError::Invitation(Unusable::Unknown)), "{e}");
        assert_eq!(
            db.invitations(None, 50).await.unwrap()[4].revoked_at,
            Some(30),
            "only the first revocation counts"
        );

        // Listed newest first, a page at a time.
        let page: Vec<i64> = db.invitations(None, 2).await.unwrap().iter().map(|i| i.id).collect();
        let older: Vec<i64> = db
            .invitations(Some(page[1]), 50)
            .await
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(page, [ids[3] + 1, ids[3]]);
        assert_eq!(older, [ids[2], ids[1], ids[0]]);
    }

    #[tokio::test]
    async fn a_user_keeps_their_five_newest_sessions() {
        let db = Sqlite::in_memory().await.unwrap();
        let pita = db
            .create_user("pita", "h", Role::Player, Some("palau"), 1)
            .await
            .unwrap();
        let nora = db
            .create_user("nora", "h", Role::Player, Some("nauru"), 1)
            .await
            .unwrap();
        let noras = db
            .create_session(b"nora-1", nora.id, "Chrome on Android", 1, 1_000, 5)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for at in 1..=6 {
            let token = format!("pita-{at}");
            let id = db
                .create_session(token.as_bytes(), pita.id, &format!("device {at}"), at * 10, 1_000, 5)
                .await
                .unwrap();
            ids.push(id);
        }
        assert_eq!(db.session_user(b"pita-1", 100).await.unwrap(), None, "the oldest ended");
        for at in 2..=6 {
            let token = format!("pita-{at}");
            assert_eq!(
                db.session_user(token.as_bytes(), 100).await.unwrap().map(|u| u.id),
                Some(pita.id)
            );
        }
        let listed = db.sessions(Some(pita.id), 100).await.unwrap();
        let want: Vec<(i64, String)> = (1..6).map(|i| (ids[i], format!("device {}", i + 1))).collect();
        let got: Vec<(i64, String)> = listed
            .iter()
            .map(|s| (s.id, s.device.clone().unwrap_or_default()))
            .collect();
        assert_eq!(got, want, "the five newest, oldest first");
        assert_eq!(db.session_id(b"pita-3", 100).await.unwrap(), Some(ids[2]));
        assert_eq!(db.session_id(b"pita-1", 100).await.unwrap(), None);
        assert_eq!(db.sessions(None, 100).await.unwrap().len(), 6, "Nora's stays");
        assert_eq!(
            db.active_sessions(100).await.unwrap(),
            [(pita.id, 5, 60), (nora.id, 1, 1)]
        );

        // One session ends by its id, and only its own user's.
        assert!(!db.end_session(pita.id, noras).await.unwrap(), "not Pita's");
        assert!(db.end_session(pita.id, ids[2]).await.unwrap());
        assert!(!db.end_session(pita.id, ids[2]).await.unwrap(), "gone");
        assert_eq!(db.session_user(b"pita-3", 100).await.unwrap(), None);
        assert_eq!(
            db.session_user(b"nora-1", 100).await.unwrap().map(|u| u.id),
            Some(nora.id)
        );
        assert_eq!(db.sessions(Some(pita.id), 100).await.unwrap().len(), 4);
        // Expired sessions are not listed.
        assert!(db.sessions(None, 1_000).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn sessions_signed_in_before_the_device_label_stay_signed_in() {
        // A database as the release before made it, with a session in it.
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .unwrap()
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        sqlx::raw_sql("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v < 22) {
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)")
                .bind(version)
                .execute(&pool)
                .await
                .unwrap();
        }
        sqlx::raw_sql(
            "INSERT INTO users (id, username, password_hash, role, team, created_at) VALUES (7, 'pita', 'h', 'player', 'palau', 1); \
             INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (x'aa', 7, 10, 1000), (x'bb', 7, 5, 1000);",
        )
        .execute(&pool)
        .await
        .unwrap();
        let db = Sqlite { pool };
        db.migrate().await.unwrap();
        assert_eq!(db.session_user(&[0xaa], 100).await.unwrap().map(|u| u.id), Some(7));
        let listed = db.sessions(Some(7), 100).await.unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|s| (s.created_at, s.device.clone()))
                .collect::<Vec<_>>(),
            [(5, None), (10, None)]
        );
        db.create_session(b"new", 7, "Firefox on Windows", 20, 1_000, 2)
            .await
            .unwrap();
        assert_eq!(
            db.session_user(&[0xbb], 100).await.unwrap(),
            None,
            "the oldest of three ended"
        );
    }

    /// An exercise row for tests that need one.
    fn test_exercise() -> NewExercise<'static> {
        NewExercise {
            name: "Demo",
            scenario_path: "s.yaml",
            scenario_text: None,
            seed: 1,
            date: "2026-06-01",
            clock: "{}",
        }
    }

    /// A log that tests can read back.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_failed_database_operation_is_logged_where_it_happened() {
        let db = Sqlite::in_memory().await.unwrap();
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        // A taken username is a refusal the caller expects: not logged as a failure.
        db.create_user("ana", "h", Role::Instructor, None, 1).await.unwrap();
        assert!(matches!(
            db.create_user("ana", "h", Role::Instructor, None, 2).await,
            Err(StoreError::Taken(_))
        ));
        assert!(log.0.lock().unwrap().is_empty());
        // The database gone: the failure is logged with its cause and place.
        db.pool.close().await;
        assert!(matches!(db.users().await, Err(StoreError::Database(_))));
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        assert!(
            text.contains("a database operation failed") && text.contains("crates/store/src/lib.rs:"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn the_audit_log_is_paged_newest_first_and_append_only() {
        let db = Sqlite::in_memory().await.unwrap();
        let e = db.create_exercise(&test_exercise(), 1).await.unwrap();
        let other = db.create_exercise(&test_exercise(), 1).await.unwrap();
        let ana = db.create_user("ana", "h", Role::Instructor, None, 1).await.unwrap();
        for n in 0..5u64 {
            let detail = format!("entry {n}");
            let entry = Audited {
                user: ana.id,
                at: n * 1000,
                action: "clock.pause",
                team: (n == 2).then_some("palau"),
                detail: &detail,
            };
            db.audit(e.id, entry, 100 + n as i64).await.unwrap();
        }
        let entry = Audited {
            user: ana.id,
            at: 0,
            action: "grade",
            team: None,
            detail: "elsewhere",
        };
        db.audit(other.id, entry, 1).await.unwrap();
        let first = db.audit_log(e.id, None, 3).await.unwrap();
        let details: Vec<&str> = first.iter().map(|a| a.detail.as_str()).collect();
        assert_eq!(details, ["entry 4", "entry 3", "entry 2"]);
        assert_eq!(first[2].team.as_deref(), Some("palau"));
        assert_eq!(
            (first[0].username.as_str(), first[0].at, first[0].created_at),
            ("ana", 4000, 104)
        );
        let rest = db.audit_log(e.id, Some(first[2].id), 3).await.unwrap();
        let details: Vec<&str> = rest.iter().map(|a| a.detail.as_str()).collect();
        assert_eq!(
            details,
            ["entry 1", "entry 0"],
            "the next page, and no other exercise's"
        );
        // Nothing changes or removes an entry.
        assert!(
            sqlx::query("UPDATE audit SET detail = 'x'")
                .execute(&db.pool)
                .await
                .is_err()
        );
        assert!(sqlx::query("DELETE FROM audit").execute(&db.pool).await.is_err());
        assert_eq!(db.audit_log(e.id, None, 10).await.unwrap().len(), 5);
    }

    #[tokio::test]
    async fn a_step_is_detected_once_per_team() {
        let db = Sqlite::in_memory().await.unwrap();
        let e = db.create_exercise(&test_exercise(), 1).await.unwrap();
        let pita = db
            .create_user("pita", "h", Role::Player, Some("palau"), 1)
            .await
            .unwrap();
        assert!(
            db.record_detection(e.id, "palau", "vt-stage", 5_000, "verdict", pita.id, 1)
                .await
                .unwrap()
        );
        // A later alert on the same step, or a report, changes nothing: the first counts.
        assert!(
            !db.record_detection(e.id, "palau", "vt-stage", 9_000, "report", pita.id, 2)
                .await
                .unwrap()
        );
        assert!(
            db.record_detection(e.id, "nauru", "vt-stage", 7_000, "report", pita.id, 3)
                .await
                .unwrap()
        );
        let all = db.detections(e.id).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].team.as_str(), all[0].at, all[0].source.as_str()),
            ("palau", 5_000, "verdict")
        );
        assert_eq!(
            (all[1].team.as_str(), all[1].at, all[1].username.as_str()),
            ("nauru", 7_000, "pita")
        );
    }

    #[tokio::test]
    async fn answers_are_final_reports_are_graded_and_hints_open_once() {
        let db = Sqlite::in_memory().await.unwrap();
        let new = test_exercise();
        let e = db.create_exercise(&new, 1).await.unwrap();
        let other = db.create_exercise(&new, 1).await.unwrap();
        let pita = db
            .create_user("pita", "h", Role::Player, Some("palau"), 1)
            .await
            .unwrap();
        let ana = db.create_user("ana", "h", Role::Instructor, None, 1).await.unwrap();

        let answer = db
            .submit(
                e.id,
                "palau",
                Kind::Answer,
                "q-tlp",
                r#"{"choices":["amber"]}"#,
                pita.id,
                5_000,
                2,
                AtMost::NONE,
            )
            .await
            .unwrap();
        // An answer is final: the same question again is refused, and nothing changes.
        let again = db
            .submit(
                e.id,
                "palau",
                Kind::Answer,
                "q-tlp",
                r#"{"choices":["red"]}"#,
                pita.id,
                6_000,
                3,
                AtMost::NONE,
            )
            .await;
        assert!(matches!(again, Err(StoreError::Answered)), "{again:?}");
        // Another team, or another exercise, answers the same question freely.
        db.submit(
            e.id,
            "nauru",
            Kind::Answer,
            "q-tlp",
            "{}",
            pita.id,
            6_000,
            3,
            AtMost::NONE,
        )
        .await
        .unwrap();
        db.submit(
            other.id,
            "palau",
            Kind::Answer,
            "q-tlp",
            "{}",
            pita.id,
            6_000,
            3,
            AtMost::NONE,
        )
        .await
        .unwrap();
        // Reports: as many as the team writes, even with the same title.
        let r1 = db
            .submit(
                e.id,
                "palau",
                Kind::Report,
                "Web shell",
                r#"{"what":"a"}"#,
                pita.id,
                7_000,
                4,
                AtMost::NONE,
            )
            .await
            .unwrap();
        let r2 = db
            .submit(
                e.id,
                "palau",
                Kind::Report,
                "Web shell",
                r#"{"what":"b"}"#,
                pita.id,
                8_000,
                5,
                AtMost::NONE,
            )
            .await
            .unwrap();
        assert_ne!(r1, r2);

        db.grade(e.id, r1, r#"{"e-report":40}"#, "Too thin.", ana.id, 10)
            .await
            .unwrap();
        db.grade(e.id, r1, r#"{"e-report":60}"#, "Better on a second look.", ana.id, 11)
            .await
            .unwrap();
        // A submission of another exercise cannot be graded from this one.
        let wrong = db.grade(other.id, r2, "{}", "", ana.id, 12).await;
        assert!(matches!(wrong, Err(StoreError::NoSubmission)), "{wrong:?}");

        let palau = db.submissions(e.id, Some("palau")).await.unwrap();
        let ids: Vec<i64> = palau.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![answer, r1, r2]);
        assert_eq!(palau[0].kind, Kind::Answer);
        assert_eq!(palau[0].body, r#"{"choices":["amber"]}"#);
        assert_eq!(palau[0].at, 5_000);
        assert_eq!(palau[0].username, "pita");
        assert_eq!(palau[0].grade, None);
        let grade = palau[1].grade.as_ref().unwrap();
        assert_eq!(grade.points, r#"{"e-report":60}"#, "the newest grade counts");
        assert_eq!(grade.comment, "Better on a second look.");
        assert_eq!(grade.username, "ana");
        assert_eq!(palau[2].grade, None);
        assert_eq!(db.submissions(e.id, None).await.unwrap().len(), 4);
        assert_eq!(db.submissions(e.id, Some("tonga")).await.unwrap(), vec![]);

        assert!(db.open_hint(e.id, "palau", "h-ntds", pita.id, 9_000, 6).await.unwrap());
        assert!(!db.open_hint(e.id, "palau", "h-ntds", pita.id, 9_500, 7).await.unwrap());
        assert!(db.open_hint(e.id, "nauru", "h-ntds", pita.id, 9_600, 7).await.unwrap());
        let opened = db.hints_opened(e.id, Some("palau")).await.unwrap();
        assert_eq!(
            opened,
            vec![HintOpened {
                team: "palau".into(),
                hint: "h-ntds".into(),
                username: "pita".into(),
                at: 9_000,
            }]
        );
        assert_eq!(db.hints_opened(e.id, None).await.unwrap().len(), 2);
        assert_eq!(db.hints_opened(other.id, None).await.unwrap(), vec![]);
    }

    #[tokio::test]
    async fn saved_searches_and_team_rules_belong_to_one_team() {
        let db = Sqlite::in_memory().await.unwrap();
        let e = db.create_exercise(&test_exercise(), 1).await.unwrap();
        let pita = db
            .create_user("pita", "h", Role::Player, Some("palau"), 1)
            .await
            .unwrap();
        let sione = db
            .create_user("sione", "h", Role::Player, Some("palau"), 1)
            .await
            .unwrap();
        db.save_search(
            e.id,
            "palau",
            "web shell",
            "cs-uri-stem:*aspx*",
            pita.id,
            2,
            AtMost::NONE,
        )
        .await
        .unwrap();
        db.save_search(
            e.id,
            "palau",
            "dumps",
            "CommandLine:*ntdsutil*",
            pita.id,
            3,
            AtMost::NONE,
        )
        .await
        .unwrap();
        // The same name again replaces the query and says who saved it last.
        db.save_search(
            e.id,
            "palau",
            "web shell",
            "cs-uri-stem:/aspnet_client/*",
            sione.id,
            4,
            AtMost::NONE,
        )
        .await
        .unwrap();
        let saved = db.saved_searches(e.id, "palau").await.unwrap();
        let shown: Vec<(&str, &str, &str)> = saved
            .iter()
            .map(|s| (s.name.as_str(), s.query.as_str(), s.username.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("dumps", "CommandLine:*ntdsutil*", "pita"),
                ("web shell", "cs-uri-stem:/aspnet_client/*", "sione")
            ]
        );
        assert_eq!(db.saved_searches(e.id, "nauru").await.unwrap(), vec![]);
        let foreign = db.delete_search(e.id, "nauru", saved[0].id).await;
        assert!(matches!(foreign, Err(StoreError::NoSearch)), "{foreign:?}");
        db.delete_search(e.id, "palau", saved[0].id).await.unwrap();
        assert_eq!(db.saved_searches(e.id, "palau").await.unwrap().len(), 1);

        let rule = db
            .add_team_rule(
                e.id,
                "palau",
                "whoami from IIS",
                "title: whoami from IIS",
                pita.id,
                60_000,
                5,
                AtMost::NONE,
            )
            .await
            .unwrap();
        let foreign = db.turn_off_rule(e.id, "nauru", rule, pita.id, 70_000).await;
        assert!(matches!(foreign, Err(StoreError::NoRule)), "{foreign:?}");
        assert_eq!(db.team_rules(e.id, Some("palau")).await.unwrap()[0].off, None);
        db.turn_off_rule(e.id, "palau", rule, sione.id, 90_000).await.unwrap();
        let again = db.turn_off_rule(e.id, "palau", rule, sione.id, 95_000).await;
        assert!(
            matches!(again, Err(StoreError::NoRule)),
            "a rule is turned off once: {again:?}"
        );
        let rules = db.team_rules(e.id, None).await.unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(
            (
                rules[0].team.as_str(),
                rules[0].username.as_str(),
                rules[0].at,
                rules[0].off.clone()
            ),
            ("palau", "pita", 60_000, Some((90_000, "sione".to_owned())))
        );
        assert_eq!(db.team_rules(e.id, Some("nauru")).await.unwrap(), vec![]);
    }

    #[tokio::test]
    async fn a_case_keeps_its_entries_in_order_and_belongs_to_one_team() {
        let db = Sqlite::in_memory().await.unwrap();
        let new = test_exercise();
        let e = db.create_exercise(&new, 1).await.unwrap();
        let pita = db
            .create_user("pita", "h", Role::Player, Some("palau"), 1)
            .await
            .unwrap();
        let case = db
            .open_case(
                e.id,
                "palau",
                "Web shell on the portal",
                "open",
                pita.id,
                1_000,
                2,
                AtMost::NONE,
            )
            .await
            .unwrap();
        db.add_case_entry(
            e.id,
            "palau",
            case,
            "note",
            "Found iisstart.aspx",
            pita.id,
            2_000,
            3,
            AtMost::NONE,
        )
        .await
        .unwrap();
        db.add_case_entry(
            e.id,
            "palau",
            case,
            "indicator",
            "ipv4\n203.0.113.45",
            pita.id,
            3_000,
            4,
            AtMost::NONE,
        )
        .await
        .unwrap();
        db.add_case_entry(
            e.id,
            "palau",
            case,
            "status",
            "contained",
            pita.id,
            4_000,
            5,
            AtMost::NONE,
        )
        .await
        .unwrap();
        // Another team cannot add to it, or read it.
        let foreign = db
            .add_case_entry(e.id, "nauru", case, "note", "x", pita.id, 5_000, 6, AtMost::NONE)
            .await;
        assert!(matches!(foreign, Err(StoreError::NoCase)), "{foreign:?}");
        assert!(matches!(
            db.case(e.id, "nauru", case, Page::after(None, 100)).await,
            Err(StoreError::NoCase)
        ));
        assert_eq!(db.cases(e.id, "nauru").await.unwrap(), vec![]);

        let (c, entries) = db.case(e.id, "palau", case, Page::after(None, 100)).await.unwrap();
        assert_eq!(
            (c.title.as_str(), c.status.as_str(), c.at),
            ("Web shell on the portal", "contained", 1_000)
        );
        assert_eq!((c.notes, c.alerts, c.indicators), (1, 0, 1));
        let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["note", "indicator", "status"]);
        assert_eq!(entries[1].body, "ipv4\n203.0.113.45");
        assert_eq!(entries[2].at, 4_000);
        let later = db
            .open_case(e.id, "palau", "Second", "open", pita.id, 6_000, 7, AtMost::NONE)
            .await
            .unwrap();
        let ids: Vec<i64> = db.cases(e.id, "palau").await.unwrap().iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![later, case], "newest first");
    }

    #[tokio::test]
    async fn suppressions_are_limited_in_force_and_over_the_exercise() {
        let db = Sqlite::in_memory().await.unwrap();
        let e = db.create_exercise(&test_exercise(), 1).await.unwrap();
        let pita = db
            .create_user("pita", "h", Role::Player, Some("palau"), 1)
            .await
            .unwrap();
        let make = || db.suppress(e.id, "palau", "Rule", &[], "noisy backup job", pita.id, 1, 1, 1, 3);
        // One in force at a time; three in all, ended ones included.
        let first = make().await.unwrap();
        assert!(matches!(make().await, Err(StoreError::TooMany)));
        db.end_suppression(e.id, "palau", first, pita.id, 2).await.unwrap();
        let second = make().await.unwrap();
        db.end_suppression(e.id, "palau", second, pita.id, 3).await.unwrap();
        let third = make().await.unwrap();
        db.end_suppression(e.id, "palau", third, pita.id, 4).await.unwrap();
        assert!(matches!(make().await, Err(StoreError::TooManyStored)));
        assert_eq!(db.suppressions(e.id, Some("palau")).await.unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_dump_restores_whole_into_another_database_or_not_at_all() {
        let db = Sqlite::in_memory().await.unwrap();
        let e = db.create_exercise(&test_exercise(), 1).await.unwrap();
        let ines = db
            .create_user("ines", "hash-i", Role::Instructor, None, 1)
            .await
            .unwrap();
        let pat = db
            .create_user("pat", "hash-p", Role::Player, Some("palau"), 1)
            .await
            .unwrap();
        let olu = db.create_user("olu", "hash-o", Role::Observer, None, 1).await.unwrap();
        db.set_follows(olu.id, &["palau".to_owned()]).await.unwrap();
        let many = AtMost::all(10);
        db.record_action(e.id, "palau", 60_000, "block_address", "203.0.113.45", pat.id, 2)
            .await
            .unwrap();
        let report = db
            .submit(e.id, "palau", Kind::Report, "Intrusion", "{}", pat.id, 70_000, 3, many)
            .await
            .unwrap();
        db.grade(e.id, report, "{\"report-early\":2}", "Good", ines.id, 4)
            .await
            .unwrap();
        let case = db
            .open_case(e.id, "palau", "Logons", "open", pat.id, 80_000, 5, many)
            .await
            .unwrap();
        db.add_case_entry(
            e.id,
            "palau",
            case,
            "indicator",
            "ipv4\n203.0.113.45",
            pat.id,
            81_000,
            6,
            many,
        )
        .await
        .unwrap();
        db.release_report(e.id, true).await.unwrap();
        let dump = db.dump(e.id, true, false).await.unwrap();
        assert_eq!(dump.accounts.len(), 3);
        assert!(
            dump.accounts.iter().all(|a| a.password_hash.is_none()),
            "names and roles only"
        );
        assert_eq!(dump.accounts[2].follows, ["palau"]);
        let rows = |d: &Dump, table: &str| d.record.iter().find(|t| t.table == table).map_or(0, |t| t.rows.len());
        assert_eq!(
            (
                rows(&dump, "actions"),
                rows(&dump, "grades"),
                rows(&dump, "case_entries")
            ),
            (1, 1, 1)
        );

        // Into a fresh database: the same rows, the same ids, the same dump again.
        let other = Sqlite::in_memory().await.unwrap();
        let id = other.restore(&dump, 9).await.unwrap();
        assert_eq!(other.dump(id, true, false).await.unwrap(), dump);
        assert!(other.report_released(id).await.unwrap());
        let (imported, hash) = other.user_by_name("pat").await.unwrap().unwrap();
        assert_eq!((imported.team.as_deref(), hash.as_str()), (Some("palau"), NO_PASSWORD));

        // An account that is someone else here: refused by name, and nothing is written.
        let third = Sqlite::in_memory().await.unwrap();
        third.create_user("pat", "h", Role::Observer, None, 1).await.unwrap();
        let refused = third.restore(&dump, 9).await.unwrap_err().to_string();
        assert_eq!(
            refused,
            "account `pat`: here it is an observer, in the package a player of team `palau`; rename one of them first"
        );
        assert!(third.exercises().await.unwrap().is_empty());
        assert_eq!(third.users().await.unwrap().len(), 1);
        // A row that names a row the dump does not hold: refused where it is.
        let mut broken = dump.clone();
        let grades = broken.record.iter_mut().find(|t| t.table == "grades").unwrap();
        let at = grades.columns.iter().position(|c| c == "submission_id").unwrap();
        grades.rows[0][at] = 99.into();
        let refused = other.restore(&broken, 9).await.unwrap_err().to_string();
        assert_eq!(
            refused,
            "table `grades`, row 1, column `submission_id`: row 99 of `submissions`, which the package does not hold"
        );
        assert_eq!(other.exercises().await.unwrap().len(), 1, "nothing more was written");
    }

    #[tokio::test]
    async fn lessons_are_kept_per_team_or_exercise_within_a_limit_and_the_report_is_released_once_asked() {
        let db = Sqlite::in_memory().await.unwrap();
        let e = db.create_exercise(&test_exercise(), 1).await.unwrap();
        let ines = db.create_user("ines", "h", Role::Instructor, None, 1).await.unwrap();
        assert!(!db.report_released(e.id).await.unwrap(), "held back at first");
        db.release_report(e.id, true).await.unwrap();
        assert!(db.report_released(e.id).await.unwrap());
        let lesson = |team, text| NewLesson {
            team,
            objective: "obj-detect",
            kind: "action",
            text,
            owner: "Palau CERT",
            due: "2027-03-01",
        };
        let two = AtMost::all(2);
        let first = db
            .add_lesson(e.id, lesson(Some("palau"), "Log the portal's uploads"), ines.id, 5, two)
            .await
            .unwrap();
        db.add_lesson(e.id, lesson(Some("palau"), "Train the NOC"), ines.id, 6, two)
            .await
            .unwrap();
        assert!(matches!(
            db.add_lesson(e.id, lesson(Some("palau"), "One more"), ines.id, 7, two)
                .await,
            Err(StoreError::TooMany)
        ));
        // The exercise's own lessons and another team's have their own places.
        let general = db
            .add_lesson(e.id, lesson(None, "Run it again in 2027"), ines.id, 8, two)
            .await
            .unwrap();
        db.add_lesson(e.id, lesson(Some("nauru"), "Patch the VPN"), ines.id, 9, two)
            .await
            .unwrap();
        let all = db.lessons(e.id).await.unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(
            (
                all[0].team.as_deref(),
                all[0].owner.as_str(),
                all[0].due.as_str(),
                all[0].username.as_str()
            ),
            (Some("palau"), "Palau CERT", "2027-03-01", "ines")
        );
        assert_eq!(all[2].team, None);
        // Removing goes by where the lesson is: not another team's, not the exercise's.
        assert!(matches!(
            db.remove_lesson(e.id, Some("nauru"), first).await,
            Err(StoreError::NoLesson)
        ));
        assert!(matches!(
            db.remove_lesson(e.id, Some("palau"), general).await,
            Err(StoreError::NoLesson)
        ));
        db.remove_lesson(e.id, Some("palau"), first).await.unwrap();
        db.add_lesson(e.id, lesson(Some("palau"), "One more"), ines.id, 10, two)
            .await
            .unwrap();
        assert_eq!(db.lessons(e.id).await.unwrap().len(), 4);
    }

    #[tokio::test]
    async fn limits_are_counted_with_the_insert_and_pages_go_by_id() {
        let db = Sqlite::in_memory().await.unwrap();
        let e = db.create_exercise(&test_exercise(), 1).await.unwrap();
        let player = |name: &'static str| db.create_user(name, "h", Role::Player, Some("palau"), 1);
        let (pita, sione) = (player("pita").await.unwrap(), player("sione").await.unwrap());
        let ana = db.create_user("ana", "h", Role::Instructor, None, 1).await.unwrap();
        let limit = AtMost { all: 3, user: 2 };
        let write = |user: i64, to_team: bool, at_most: AtMost| {
            db.send_message(e.id, "palau", to_team, None, None, "s", "b", user, 1, 1, at_most)
        };
        let mut ids = Vec::new();
        for (user, expected) in [
            (pita.id, "ok"),
            (pita.id, "ok"),
            (pita.id, "user"),
            (sione.id, "ok"),
            (sione.id, "team"),
        ] {
            let got = match write(user, false, limit).await {
                Ok(id) => {
                    ids.push(id);
                    "ok"
                }
                Err(StoreError::TooManyOfUser) => "user",
                Err(StoreError::TooMany) => "team",
                Err(e) => panic!("{e}"),
            };
            assert_eq!(got, expected, "message {} by {user}", ids.len());
        }
        // The white cell's messages to the team are counted apart from the team's.
        ids.push(write(ana.id, true, AtMost::all(1)).await.unwrap());
        assert!(matches!(
            write(ana.id, true, AtMost::all(1)).await,
            Err(StoreError::TooMany)
        ));
        assert_eq!(
            db.message_counts(e.id, "palau", pita.id).await.unwrap(),
            MessageCounts {
                to_team: 1,
                from_team: 3,
                from_user: 2
            }
        );

        // Pages go by id, newest first, each starting below the last one shown.
        let teams = ["palau".to_owned()];
        let first = db.messages_page(e.id, Some(&teams), Page::newest(3)).await.unwrap();
        let first: Vec<i64> = first.iter().map(|m| m.id).collect();
        assert_eq!(first, [ids[3], ids[2], ids[1]]);
        let second = db
            .messages_page(e.id, None, Page::before(Some(ids[1]), 3))
            .await
            .unwrap();
        assert_eq!(second.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[0]]);
        assert!(
            db.messages_page(e.id, Some(&["nauru".to_owned()]), Page::newest(3))
                .await
                .unwrap()
                .is_empty()
        );
        // What a live update reads: only what came after its cursor, the newest few heads.
        let after = db.message_heads_after(e.id, None, false, ids[0], 1).await.unwrap();
        assert_eq!((after.count, after.last), (2, ids[2]));
        assert_eq!(after.newest.iter().map(|h| h.id).collect::<Vec<_>>(), [ids[2]]);
        let none = db
            .message_heads_after(e.id, Some(&teams), true, ids[3], 5)
            .await
            .unwrap();
        assert_eq!(
            none,
            HeadsAfter {
                count: 0,
                last: ids[3],
                newest: vec![]
            }
        );
        assert_eq!(
            db.last_from_teams(e.id).await.unwrap(),
            [("palau".to_owned(), 1, "sione".to_owned())]
        );

        // Reports are counted apart from answers; cases, case entries (a batch all or none),
        // rules and searches likewise refuse the one beyond.
        let report = |n: u64| db.submit(e.id, "palau", Kind::Report, "r", "{}", pita.id, n, 1, AtMost::all(2));
        report(1).await.unwrap();
        let graded = report(2).await.unwrap();
        assert!(matches!(report(3).await, Err(StoreError::TooMany)));
        db.submit(e.id, "palau", Kind::Answer, "q1", "{}", pita.id, 4, 1, AtMost::all(2))
            .await
            .unwrap();
        db.grade(e.id, graded, "{}", "", ana.id, 5).await.unwrap();
        let waiting = SubmissionFilter {
            reports: true,
            graded: Some(false),
            ..SubmissionFilter::default()
        };
        let (page, total) = db.submissions_page(e.id, waiting, Page::after(None, 10)).await.unwrap();
        assert_eq!((page.len(), total, page[0].at), (1, 1, 1));
        let questions = ["q1".to_owned()];
        let all = SubmissionFilter {
            teams: Some(&teams),
            reports: true,
            answers_to: Some(&questions),
            graded: None,
        };
        let (page, total) = db.submissions_page(e.id, all, Page::newest(2)).await.unwrap();
        assert_eq!((page.len(), total, page[0].kind), (2, 3, Kind::Answer));

        let case = db
            .open_case(e.id, "palau", "c", "open", pita.id, 1, 1, AtMost::all(1))
            .await
            .unwrap();
        let again = db
            .open_case(e.id, "palau", "c", "open", pita.id, 1, 1, AtMost::all(1))
            .await;
        assert!(matches!(again, Err(StoreError::TooMany)));
        let entries = AtMost::all(4);
        db.add_case_entries(e.id, "palau", case, "note", &["a", "b", "c"], pita.id, 1, 1, entries)
            .await
            .unwrap();
        let over = db
            .add_case_entries(e.id, "palau", case, "note", &["d", "e"], pita.id, 1, 1, entries)
            .await;
        assert!(matches!(over, Err(StoreError::TooMany)));
        let (_, shown) = db.case(e.id, "palau", case, Page::newest(2)).await.unwrap();
        assert_eq!(
            shown.iter().map(|e| e.body.as_str()).collect::<Vec<_>>(),
            ["c", "b"],
            "nothing of the refused batch"
        );

        let rule = |n: u64| db.add_team_rule(e.id, "palau", "t", "y", pita.id, n, 1, AtMost::all(1));
        rule(1).await.unwrap();
        assert!(matches!(rule(2).await, Err(StoreError::TooMany)));

        let searches = AtMost { all: 2, user: 1 };
        let save = |name: &'static str, user: i64| db.save_search(e.id, "palau", name, "*", user, 1, searches);
        save("a", pita.id).await.unwrap();
        save("a", pita.id).await.unwrap();
        assert!(matches!(save("b", pita.id).await, Err(StoreError::TooManyOfUser)));
        save("c", sione.id).await.unwrap();
        assert!(matches!(save("d", sione.id).await, Err(StoreError::TooMany)));
        // Saving a name again takes no new place, even at the limit.
        save("c", sione.id).await.unwrap();
    }
}
