//! The JSON API, `/api/v1/…`: what the white cell's console does (clock, board, timelines,
//! campaign changes, injects, messages, grading, scoreboard, scores, people, invitations) and
//! what a team does that scripts need (response actions, cases, reports), for agencies that
//! script their exercises.
//!
//! A request authenticates with a personal API token (`Authorization: Bearer atoll_…`, made on
//! `/account`) and acts as the token's user: the same extractors authorise it as they do pages
//! ([`crate::auth::Signed`] reads the token on these paths, and never a cookie), and every
//! action goes through the very handler the console's form posts to, so checks, storage and
//! the order of writes are the console's. A refusal comes back as
//! `{"error": {"status", "field", "message"}}` with the page's status code.
//!
//! `GET /api/v1/openapi.json` describes it all (OpenAPI 3.1; the schemas come from the types
//! below through `schemars`).

use std::collections::BTreeMap;
use std::sync::Arc;

use atoll_exercise::score::{Standing, shown_to_players};
use atoll_sim::actions::WHITE_CELL_ACTIONS;
use atoll_store::{Kind, Role, Store, User};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::{Instructor, Signed, Staff, StaffTeamView, TeamActor, TeamView};
use crate::html::Refusal;
use crate::{App, clock_now};

/// Where the API lives.
pub const BASE: &str = "/api/v1";

/// Whether a path is the JSON API's.
pub(crate) fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

// ----- Errors --------------------------------------------------------------------------------

/// A refused request.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    pub error: ProblemBody,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemBody {
    /// The HTTP status code, again.
    pub status: u16,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
    /// What was wrong and what to do, in words for people.
    pub message: String,
}

/// The problem for an application error: its status, its field and its message.
fn failed(e: &atoll_app::Error) -> Response {
    if e.kind == atoll_app::Kind::Failed {
        tracing::error!(message = %e, "request failed");
    }
    let status = crate::html::status_of(e.kind);
    let body = Problem {
        error: ProblemBody {
            status: status.as_u16(),
            field: e.field.clone(),
            message: e.message.clone(),
        },
    };
    (status, Json(body)).into_response()
}

fn problem(status: StatusCode, message: &str) -> Response {
    // Messages about one field start with its name: `speed: give a whole number …`.
    let field = message
        .split_once(": ")
        .map(|(name, _)| name)
        .filter(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        })
        .map(str::to_owned);
    let body = Problem {
        error: ProblemBody {
            status: status.as_u16(),
            field,
            message: message.to_owned(),
        },
    };
    (status, Json(body)).into_response()
}

/// Middleware: on the API's paths, any refusal (a page saying what was wrong, or a plain-text
/// rejection of a body that is not JSON) becomes a [`Problem`], with the same status.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    if !is_api(request.uri().path()) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let status = response.status();
    if let Some(Refusal(message)) = response.extensions().get::<Refusal>().cloned() {
        let mut answer = problem(status, &message);
        if let Some(challenge) = response.headers().get(header::WWW_AUTHENTICATE) {
            answer.headers_mut().insert(header::WWW_AUTHENTICATE, challenge.clone());
        }
        return answer;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.is_success() || status.is_redirection() || is_json {
        return response;
    }
    // axum's own rejections (a body that is not JSON, a missing field, no such route) are
    // short plain text.
    let text = match axum::body::to_bytes(response.into_body(), 4096).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let message = if text.is_empty() {
        match status {
            StatusCode::NOT_FOUND => format!("No such API path; the paths are listed in {BASE}/openapi.json."),
            StatusCode::METHOD_NOT_ALLOWED => {
                "This path does not take this method; see the OpenAPI document.".to_owned()
            }
            other => other.canonical_reason().unwrap_or("Refused").to_owned(),
        }
    } else {
        text
    };
    problem(status, &message)
}

/// Runs a blocking read of the exercise (it takes the clock's or a team's lock).
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Response> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| problem(StatusCode::INTERNAL_SERVER_ERROR, "The request failed."))
}

/// Runs a blocking read of the exercise and answers with what it built, as JSON.
async fn blocking_json<T: Serialize + Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Response {
    match blocking(work).await {
        Ok(value) => Json(value).into_response(),
        Err(e) => e,
    }
}

fn unreadable() -> Response {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "The server cannot read its database right now; try again.",
    )
}

// ----- The exercise and its clock --------------------------------------------------------

/// An exercise time: milliseconds since the start of play, and as people read it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Milliseconds since the start of play.
    pub ms: u64,
    /// Day and local time, e.g. `D1 10:30`.
    pub label: String,
}

fn when<S>(app: &App<S>, ms: u64) -> When {
    When {
        ms,
        label: app.live.label(app.live.start_unix_ms() + ms as i64, app.day_one),
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    NotStarted,
    Running,
    Paused,
    Ended,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockView {
    pub state: ClockState,
    /// Exercise time now.
    pub time: When,
    /// Exercise seconds per real second.
    pub speed: u32,
    /// The planned end of play.
    pub end: When,
}

fn clock_view<S>(app: &App<S>) -> ClockView {
    let clock = app.live.clock();
    let state = match clock.state {
        atoll_exercise::State::NotStarted => ClockState::NotStarted,
        atoll_exercise::State::Running { .. } => ClockState::Running,
        atoll_exercise::State::Paused { .. } => ClockState::Paused,
        atoll_exercise::State::Ended { .. } => ClockState::Ended,
    };
    ClockView {
        state,
        time: when(app, clock.now(clock_now())),
        speed: clock.speed,
        end: when(app, clock.end),
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Me {
    pub username: String,
    /// `instructor`, `player` or `observer`.
    pub role: String,
    /// A player's team.
    pub team: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExerciseView {
    pub name: String,
    pub you: Me,
    pub clock: ClockView,
    /// The teams you may see (a player: their own).
    pub teams: Vec<Named>,
    pub tracks: Vec<Named>,
}

/// `GET /api/v1/exercise`
pub(crate) async fn exercise<S: Store>(State(app): State<Arc<App<S>>>, Signed(user): Signed) -> Response {
    let worker = app.clone();
    let clock = match blocking(move || clock_view(&worker)).await {
        Ok(clock) => clock,
        Err(e) => return e,
    };
    let scenario = app.live.scenario;
    Json(ExerciseView {
        name: app.live.name.clone(),
        you: Me {
            username: user.username.clone(),
            role: user.role.as_str().to_owned(),
            team: user.team.clone(),
        },
        clock,
        teams: scenario
            .player_teams()
            .filter(|t| user.sees(&t.id.name))
            .map(|t| Named {
                id: t.id.name.clone(),
                name: t.name.get("en").to_owned(),
            })
            .collect(),
        tracks: scenario
            .tracks
            .iter()
            .map(|t| Named {
                id: t.id.name.clone(),
                name: t.name.get("en").to_owned(),
            })
            .collect(),
    })
    .into_response()
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockAction {
    Start,
    Pause,
    Resume,
    /// Set `speed`.
    Speed,
    /// Jump forward to `to`.
    Jump,
    /// End play for good; needs `confirm: true`.
    End,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    pub action: ClockAction,
    /// For `speed`: exercise seconds per real second, 1 to 3600.
    pub speed: Option<u32>,
    /// For `jump`: an exercise time such as `D2 08:30` or `+5h` (from the start of play).
    pub to: Option<String>,
    /// For `end`: `true`, to say you mean it. For `jump`: `true` to jump past the time limits
    /// it would close (without it, such a jump is refused with 409, listing them).
    pub confirm: Option<bool>,
}

/// `POST /api/v1/clock`
pub(crate) async fn clock<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Json(request): Json<ClockRequest>,
) -> Response {
    let action = match request.action {
        ClockAction::Start => "start",
        ClockAction::Pause => "pause",
        ClockAction::Resume => "resume",
        ClockAction::Speed => "speed",
        ClockAction::Jump => "jump",
        ClockAction::End => "end",
    };
    let change = atoll_app::clock::ClockChange {
        action: action.to_owned(),
        speed: request.speed.map(|s| s.to_string()),
        to: request.to,
        confirm: request.confirm == Some(true),
    };
    if let Err(e) = atoll_app::clock::change(&app, &user, change).await {
        return failed(&e);
    }
    let worker = app.clone();
    blocking_json(move || clock_view(&worker)).await
}

// ----- The board -------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepAt {
    pub step: String,
    pub at: When,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignView {
    /// Steps of the campaigns run against the team.
    pub steps: usize,
    pub ran: usize,
    /// Prevented by the team's response.
    pub prevented: usize,
    /// Skipped by the white cell.
    pub skipped: usize,
    pub latest: Option<StepAt>,
    /// Steps that ran and were detected (a true-positive verdict on an alert they raised).
    pub detected: usize,
    /// Median time from a step running to its detection, of those detected.
    pub median_time_to_detect_ms: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Availability {
    pub service: String,
    /// Percent of play so far the service was up.
    pub percent: f64,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub at: When,
    pub what: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Points {
    pub total: u32,
    pub possible: u32,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardTeam {
    pub team: String,
    pub name: String,
    pub campaign: CampaignView,
    /// The service up least of play so far.
    pub lowest_availability: Option<Availability>,
    pub events: usize,
    pub alerts: usize,
    pub high_alerts: usize,
    pub latest_alert: Option<Activity>,
    pub injects_arrived: usize,
    /// Injects someone in the team has read.
    pub injects_read: usize,
    pub score: Points,
    pub last_activity: Option<Activity>,
    /// Who of the team is signed in.
    pub online: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Board {
    pub clock: ClockView,
    /// Whether the teams see the scoreboard.
    pub scoreboard_shown: bool,
    /// The teams you may see, in the scenario's order.
    pub teams: Vec<BoardTeam>,
}

/// `GET /api/v1/board`
pub(crate) async fn board<S: Store>(State(app): State<Arc<App<S>>>, Staff(user): Staff) -> Response {
    let input = crate::pages::board_records(&app).await;
    let worker = app.clone();
    blocking_json(move || {
        let app = &*worker;
        let teams = (0..input.records.len())
            .filter(|&i| user.sees(&app.live.team_id(i)))
            .map(|i| {
                let status = atoll_app::score::team_status(app, i, &input.records[i]);
                let counts = crate::pages::counts(app, i, &input);
                let c = crate::pages::Campaign::of(&status.progress);
                BoardTeam {
                    team: app.live.team_id(i),
                    name: app.live.team_name(i).to_owned(),
                    campaign: CampaignView {
                        steps: c.steps,
                        ran: c.ran,
                        prevented: c.prevented,
                        skipped: c.skipped,
                        latest: c.latest.as_ref().map(|(at, step)| StepAt {
                            step: step.clone(),
                            at: when(app, *at),
                        }),
                        detected: c.detect_times.len(),
                        median_time_to_detect_ms: c.median_detect(),
                    },
                    lowest_availability: status
                        .lowest
                        .map(|(service, percent)| Availability { service, percent }),
                    events: counts.events,
                    alerts: counts.alerts,
                    high_alerts: counts.high,
                    latest_alert: counts.latest.map(|(at, what)| Activity {
                        at: when(app, at),
                        what,
                    }),
                    injects_arrived: counts.arrived,
                    injects_read: counts.read,
                    score: Points {
                        total: status.score.total(),
                        possible: status.score.possible(),
                    },
                    last_activity: input.last[i].as_ref().map(|(at, what)| Activity {
                        at: when(app, *at),
                        what: what.clone(),
                    }),
                    online: input.online[i].clone(),
                }
            })
            .collect();
        Board {
            clock: clock_view(app),
            scoreboard_shown: input.scoreboard,
            teams,
        }
    })
    .await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreboardRequest {
    /// Whether the teams see the scoreboard.
    pub show: bool,
}

/// `POST /api/v1/scoreboard`
pub(crate) async fn scoreboard<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Json(request): Json<ScoreboardRequest>,
) -> Response {
    match atoll_app::people::show_scoreboard(&app, &user, request.show).await {
        Ok(()) => Json(ScoreboardRequest { show: request.show }).into_response(),
        Err(e) => failed(&e),
    }
}

// ----- Scores ----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StandingView {
    Earned,
    Missed,
    /// Can still be earned or missed.
    Open,
    /// Not scored for this team.
    Unscored,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreItem {
    pub expectation: String,
    pub text: String,
    pub points: u32,
    pub max: u32,
    pub standing: StandingView,
    /// Why these points, in words teams and instructors read.
    pub why: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PenaltyView {
    /// The hint's number as players see it ("Hint 2").
    pub hint: usize,
    pub points: u32,
    pub why: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreView {
    pub team: String,
    /// Earned less penalties, never below zero.
    pub total: u32,
    pub earned: u32,
    pub penalty: u32,
    pub possible: u32,
    /// Players get the settled items only (earned or missed); the white cell gets all.
    pub items: Vec<ScoreItem>,
    pub penalties: Vec<PenaltyView>,
    /// Items not listed because they are not settled yet.
    pub unsettled: usize,
}

/// `GET /api/v1/teams/{team}/score`
pub(crate) async fn score<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let team = app.live.team_id(view.team);
    let Ok(records) = atoll_app::score::records(&app, &team).await else {
        return unreadable();
    };
    let worker = app.clone();
    let index = view.team;
    let score = match blocking(move || atoll_app::score::team_score(&worker, index, &records)).await {
        Ok(score) => score,
        Err(e) => return e,
    };
    let player = view.user.role == Role::Player;
    let items: Vec<ScoreItem> = score
        .items
        .iter()
        .filter(|i| !player || shown_to_players(i))
        .map(|i| ScoreItem {
            expectation: i.expectation.clone(),
            text: i.text.clone(),
            points: i.points,
            max: i.max,
            standing: match i.standing {
                Standing::Earned => StandingView::Earned,
                Standing::Missed => StandingView::Missed,
                Standing::Open => StandingView::Open,
                Standing::Unscored => StandingView::Unscored,
            },
            why: i.why.clone(),
        })
        .collect();
    Json(ScoreView {
        team,
        total: score.total(),
        earned: score.earned(),
        penalty: score.penalty(),
        possible: score.possible(),
        unsettled: score.items.len() - items.len(),
        items,
        penalties: score
            .penalties
            .iter()
            .map(|p| PenaltyView {
                hint: atoll_app::questions::hint_number(app.live.scenario, &p.hint),
                points: p.points,
                why: p.why.clone(),
            })
            .collect(),
    })
    .into_response()
}

// ----- The campaign, injects and messages ------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Ran,
    /// Prevented by the team's response.
    Prevented,
    /// Skipped by the white cell.
    Skipped,
    /// Still to come (or waiting for what it requires).
    ToCome,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineStep {
    pub step: String,
    pub status: StepStatus,
    /// When it ran or was prevented.
    pub at: Option<When>,
    /// When the team detected it.
    pub detected: Option<When>,
    /// Why it did not run.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Arrived {
    pub inject: String,
    pub subject: String,
    pub at: When,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Timeline {
    pub team: String,
    pub clock: ClockView,
    /// Every campaign step against the team, in the simulation's order.
    pub steps: Vec<TimelineStep>,
    /// The injects that have reached the team, oldest first.
    pub injects: Vec<Arrived>,
}

/// `GET /api/v1/teams/{team}/timeline`: what the adversary did in the team's network, what
/// the team prevented and detected, what is still to come, and the injects that arrived.
pub(crate) async fn timeline<S: Store>(State(app): State<Arc<App<S>>>, view: StaffTeamView) -> Response {
    let index = view.0.team;
    let team = app.live.team_id(index);
    let Ok(records) = atoll_app::score::records(&app, &team).await else {
        return unreadable();
    };
    let worker = app.clone();
    blocking_json(move || {
        let app = &*worker;
        let status = atoll_app::score::team_status(app, index, &records);
        let steps = status
            .progress
            .iter()
            .map(|p| {
                use atoll_sim::campaign::Status;
                TimelineStep {
                    step: p.step.clone(),
                    status: match p.status {
                        Status::Succeeded => StepStatus::Ran,
                        Status::Prevented if p.reason.as_deref() == Some(atoll_sim::actions::SKIPPED) => {
                            StepStatus::Skipped
                        }
                        Status::Prevented => StepStatus::Prevented,
                        Status::Pending => StepStatus::ToCome,
                    },
                    at: p.at.map(|at| when(app, at)),
                    detected: p.detected.map(|at| when(app, at)),
                    reason: p.reason.clone(),
                }
            })
            .collect();
        let mut injects: Vec<Arrived> = atoll_app::inbox::arrivals(&app.live, index)
            .into_iter()
            .map(|(at, inject, _)| Arrived {
                inject: inject.id.name.clone(),
                subject: inject.subject.get("en").to_owned(),
                at: when(app, at),
            })
            .collect();
        injects.reverse();
        Timeline {
            team: app.live.team_id(index),
            clock: clock_view(app),
            steps,
            injects,
        }
    })
    .await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepChange {
    /// A campaign step still to come for this team.
    pub step: String,
    /// `run` (now), `skip`, or `delay:15m`, `delay:30m`, `delay:1h`, `delay:2h`, `delay:4h`.
    pub change: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionView {
    pub id: i64,
    pub team: String,
    pub at: When,
    /// e.g. `isolate_host`, `block_address`; the white cell's changes are `run_step`,
    /// `delay_step` and `skip_step`.
    pub action: String,
    pub target: String,
    pub by: String,
}

fn action_view<S>(app: &App<S>, a: atoll_store::ActionRecord) -> ActionView {
    ActionView {
        id: a.id,
        at: when(app, a.at),
        team: a.team,
        action: a.action,
        target: a.target,
        by: a.username,
    }
}

/// `POST /api/v1/teams/{team}/steps`
pub(crate) async fn change_step<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: StaffTeamView,
    Json(request): Json<StepChange>,
) -> Response {
    let user = view.0.user;
    if user.role != atoll_store::Role::Instructor {
        return problem(StatusCode::FORBIDDEN, "Only instructors can change the campaign.");
    }
    let team = app.live.team_id(view.0.team);
    let step = request.step.trim().to_owned();
    match atoll_app::steps::change_step(&app, view.0.team, &user, &step, &request.change).await {
        Ok((id, at, action, target)) => {
            let record = atoll_store::ActionRecord {
                id,
                team,
                at,
                action: action.to_owned(),
                target,
                username: user.username,
            };
            (StatusCode::CREATED, Json(action_view(&app, record))).into_response()
        }
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// One team; absent: every team.
    pub team: Option<String>,
    /// One track of the team(s); absent: every track.
    pub track: Option<String>,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageView {
    pub id: i64,
    pub team: String,
    /// From the white cell to the team; else the team's message to the white cell.
    pub to_team: bool,
    pub track: Option<String>,
    pub subject: String,
    pub body: String,
    pub from: String,
    pub at: When,
}

/// The messages `user` may read, oldest first.
async fn messages_for<S: Store>(app: &App<S>, user: &User) -> Result<Vec<MessageView>, Response> {
    let messages = app.db.messages(app.live.exercise).await.map_err(|_| unreadable())?;
    Ok(messages
        .into_iter()
        .filter(|m| user.sees(&m.team))
        .map(|m| MessageView {
            id: m.id,
            at: when(app, m.at),
            team: m.team,
            to_team: m.to_team,
            track: m.track,
            subject: m.subject,
            body: m.body,
            from: m.username,
        })
        .collect())
}

/// `GET /api/v1/messages`
pub(crate) async fn messages<S: Store>(State(app): State<Arc<App<S>>>, Staff(user): Staff) -> Response {
    match messages_for(&app, &user).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => e,
    }
}

/// A message as stored, for the API.
fn sent_view<S>(app: &App<S>, user: &User, m: atoll_app::messages::Sent) -> MessageView {
    MessageView {
        id: m.id,
        at: when(app, m.at),
        team: m.team,
        to_team: m.to_team,
        track: m.track,
        subject: m.subject,
        body: m.body,
        from: user.username.clone(),
    }
}

/// `POST /api/v1/messages`: answers with the messages it stored (one per team).
pub(crate) async fn send_message<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Json(request): Json<MessageRequest>,
) -> Response {
    let message = atoll_app::messages::Message {
        team: request.team,
        track: request.track,
        subject: request.subject,
        body: request.body,
    };
    match atoll_app::messages::send(&app, &user, message).await {
        Ok(sent) => {
            let sent: Vec<MessageView> = sent.into_iter().map(|m| sent_view(&app, &user, m)).collect();
            (StatusCode::CREATED, Json(sent)).into_response()
        }
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InjectRequest {
    /// A scenario inject's id.
    pub inject: String,
    /// One team it is addressed to; absent: every team it is addressed to.
    pub team: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InjectSent {
    pub inject: String,
    /// The teams it reached now, and when (teams that had it by hand before are left out).
    pub sent: Vec<SentTo>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SentTo {
    pub team: String,
    pub at: When,
}

/// `POST /api/v1/injects`: answers with the teams it reached now.
pub(crate) async fn send_inject<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Json(request): Json<InjectRequest>,
) -> Response {
    match atoll_app::messages::send_inject(&app, &user, &request.inject, request.team.as_deref()).await {
        Ok(reached) => {
            let sent = reached
                .into_iter()
                .map(|(team, at)| SentTo {
                    team,
                    at: when(&app, at),
                })
                .collect();
            (
                StatusCode::CREATED,
                Json(InjectSent {
                    inject: request.inject.trim().to_owned(),
                    sent,
                }),
            )
                .into_response()
        }
        Err(e) => failed(&e),
    }
}

// ----- Grading ---------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub text: String,
    pub max: u32,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeView {
    /// Points per criterion id; left out for players, since a report's criteria name campaign
    /// steps that may not have happened yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<BTreeMap<String, u32>>,
    /// The points given, each criterion counted up to its maximum.
    pub total: u32,
    pub comment: String,
    pub by: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GradingItem {
    pub id: i64,
    pub team: String,
    /// `report`, or `answer` (to a question answered in free text).
    pub kind: String,
    /// A report's title, or the question's id.
    pub subject: String,
    /// What the team handed in: the report's fields, or the answer.
    pub content: Value,
    pub by: String,
    pub at: When,
    /// What it is graded on: a question's rubric, or the team's report expectations.
    pub criteria: Vec<Criterion>,
    /// The newest grade, if graded.
    pub grade: Option<GradeView>,
}

/// `GET /api/v1/grading`: reports and written answers, oldest first.
pub(crate) async fn grading<S: Store>(State(app): State<Arc<App<S>>>, Staff(user): Staff) -> Response {
    match grading_items(&app, &user).await {
        Ok(items) => Json(items).into_response(),
        Err(e) => e,
    }
}

/// The reports and written answers `user` may see, oldest first.
async fn grading_items<S: Store>(app: &App<S>, user: &User) -> Result<Vec<GradingItem>, Response> {
    let all = app
        .db
        .submissions(app.live.exercise, None)
        .await
        .map_err(|_| unreadable())?;
    Ok(all
        .into_iter()
        .filter(|s| user.sees(&s.team) && atoll_app::reports::graded_by_hand(app, s))
        .map(|s| grading_item(app, s))
        .collect())
}

fn grading_item<S>(app: &App<S>, s: atoll_store::Submission) -> GradingItem {
    GradingItem {
        id: s.id,
        criteria: atoll_app::reports::criteria(app, &s)
            .into_iter()
            .map(|(id, text, max)| Criterion { id, text, max })
            .collect(),
        kind: s.kind.as_str().to_owned(),
        content: content(&s.body),
        at: when(app, s.at),
        grade: grade_view(app, &s, true),
        team: s.team,
        subject: s.subject,
        by: s.username,
    }
}

/// What a team handed in, as the JSON it was stored as.
fn content(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()))
}

/// A submission's newest grade, with the points per criterion only for `staff`.
fn grade_view<S>(app: &App<S>, s: &atoll_store::Submission, staff: bool) -> Option<GradeView> {
    let g = s.grade.as_ref()?;
    let points: BTreeMap<String, u32> = serde_json::from_str(&g.points).unwrap_or_default();
    let total = atoll_app::reports::criteria(app, s)
        .iter()
        .map(|(id, _, max)| points.get(id).copied().unwrap_or(0).min(*max))
        .sum();
    Some(GradeView {
        points: staff.then_some(points),
        total,
        comment: g.comment.clone(),
        by: g.username.clone(),
    })
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeRequest {
    /// Points per criterion id, each from 0 to its maximum. On a report, leave out the
    /// expectations it is not about.
    pub points: BTreeMap<String, u32>,
    pub comment: Option<String>,
}

/// `POST /api/v1/grading/{id}`: answers with the item as graded.
pub(crate) async fn grade<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Path(id): Path<i64>,
    Json(request): Json<GradeRequest>,
) -> Response {
    let points: Vec<(String, String)> = request.points.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
    let comment = request.comment.unwrap_or_default();
    match atoll_app::reports::grade(&app, &user, id, &points, &comment).await {
        Ok(graded) => Json(grading_item(&app, graded)).into_response(),
        Err(e) => failed(&e),
    }
}

// ----- A team's actions and cases --------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// A response action: `isolate_host`, `block_address`, `block_domain`, `disable_account`,
    /// `reset_password`, … (the Respond page lists them with what each costs).
    pub action: String,
    /// What it acts on: a host (id or name), address, domain, account or service.
    pub target: String,
}

/// `GET /api/v1/teams/{team}/actions`: the team's response actions, oldest first (and, for
/// the white cell, its own changes to the team's campaign).
pub(crate) async fn actions<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let team = app.live.team_id(view.team);
    let Ok(all) = app.db.actions(app.live.exercise).await else {
        return unreadable();
    };
    let player = view.user.role == Role::Player;
    let list: Vec<ActionView> = all
        .into_iter()
        .filter(|a| a.team == team && !(player && WHITE_CELL_ACTIONS.contains(&a.action.as_str())))
        .map(|a| action_view(&app, a))
        .collect();
    Json(list).into_response()
}

/// `POST /api/v1/teams/{team}/actions`: takes the action at once (the request is the
/// confirmation the Respond page asks for).
pub(crate) async fn act<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Json(request): Json<ActionRequest>,
) -> Response {
    let team = app.live.team_id(view.team);
    let target = request.target.trim().to_owned();
    match atoll_app::actions::take_action(&app, view.team, view.user.id, &request.action, &target).await {
        Ok((id, at)) => {
            let record = atoll_store::ActionRecord {
                id,
                team,
                at,
                action: request.action,
                target,
                username: view.user.username,
            };
            (StatusCode::CREATED, Json(action_view(&app, record))).into_response()
        }
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseRequest {
    pub title: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryView {
    pub id: i64,
    /// `note`, `alert`, `event`, `indicator` or `status`.
    pub kind: String,
    pub body: String,
    pub by: String,
    pub at: When,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseView {
    pub id: i64,
    pub team: String,
    pub title: String,
    /// `open`, `contained`, `closed`, …
    pub status: String,
    pub opened_by: String,
    pub at: When,
    /// Oldest first.
    pub entries: Vec<EntryView>,
}

async fn case_view<S: Store>(app: &App<S>, team: &str, id: i64, status: StatusCode) -> Response {
    match app.db.case(app.live.exercise, team, id).await {
        Ok((case, entries)) => (
            status,
            Json(CaseView {
                id: case.id,
                team: case.team,
                title: case.title,
                status: case.status,
                opened_by: case.username,
                at: when(app, case.at),
                entries: entries
                    .into_iter()
                    .map(|e| EntryView {
                        id: e.id,
                        kind: e.kind,
                        body: e.body,
                        by: e.username,
                        at: when(app, e.at),
                    })
                    .collect(),
            }),
        )
            .into_response(),
        Err(atoll_store::StoreError::NoCase) => problem(StatusCode::NOT_FOUND, "No such case of this team."),
        Err(_) => unreadable(),
    }
}

/// `POST /api/v1/teams/{team}/cases`: answers with the case as opened.
pub(crate) async fn open_case<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Json(request): Json<CaseRequest>,
) -> Response {
    match atoll_app::cases::open(&app, view.team, &view.user, &request.title).await {
        Ok(opened) => (
            StatusCode::CREATED,
            Json(CaseView {
                id: opened.id,
                team: opened.team,
                title: opened.title,
                status: opened.status.to_owned(),
                opened_by: view.user.username.clone(),
                at: when(&app, opened.at),
                entries: Vec::new(),
            }),
        )
            .into_response(),
        Err(e) => failed(&e),
    }
}

/// `GET /api/v1/teams/{team}/cases/{id}`
pub(crate) async fn case<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    case_view(&app, &app.live.team_id(view.team), id, StatusCode::OK).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    /// `note` (with `note`), `alert` (with `alert`: the row of the event that raised it, a
    /// colon, and the rule's id), `event` (with `event`, a row of the team's events), `indicator` (with
    /// `indicator_kind` and `indicator`) or `status` (with `status`).
    pub kind: String,
    pub note: Option<String>,
    pub alert: Option<String>,
    pub event: Option<u32>,
    /// `ipv4`, `ipv6`, `domain`, `url`, `sha256`, `md5`, `account`, `file_path`,
    /// `hostname` or `registry_key`.
    pub indicator_kind: Option<String>,
    pub indicator: Option<String>,
    /// `open`, `contained`, `eradicated`, `recovered`, `closed`.
    pub status: Option<String>,
}

/// `POST /api/v1/teams/{team}/cases/{id}/entries`: answers with the case, its new entry last.
pub(crate) async fn add_entry<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, i64)>,
    Json(request): Json<EntryRequest>,
) -> Response {
    let entry = atoll_app::cases::Entry {
        kind: request.kind,
        note: request.note,
        alert: request.alert,
        event: request.event.map(|e| e.to_string()),
        indicator_kind: request.indicator_kind,
        indicator: request.indicator,
        status: request.status,
    };
    if let Err(e) = atoll_app::cases::add(&app, view.team, &view.user, id, entry).await {
        return failed(&e);
    }
    case_view(&app, &app.live.team_id(view.team), id, StatusCode::CREATED).await
}

// ----- A team's alerts -----------------------------------------------------------------------

/// One of a team's alerts.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertView {
    /// Its number in the team's list: `POST …/alerts/{number}/verdict` judges it.
    pub number: usize,
    pub time: When,
    /// The rule's title, and its id when it has one (`team-rule-N` for the team's own rules).
    pub rule: String,
    pub rule_id: Option<String>,
    /// `informational`, `low`, `medium`, `high` or `critical`.
    pub level: Option<String>,
    pub host: Option<String>,
    /// ATT&CK technique ids and tactics from the rule's tags.
    pub techniques: Vec<String>,
    pub tactics: Vec<String>,
    /// For a correlation: what it counted.
    pub detail: Option<String>,
    /// The rule's author, shown with every match (Detection Rule License 1.1).
    pub author: Option<String>,
    /// `new`, `investigating`, `true_positive` or `false_positive`, and who judged it.
    pub state: String,
    pub judged_by: Option<String>,
    /// Hidden from the queue by one of the team's suppressions.
    pub suppressed: bool,
    /// The same process start seen through the other log (Sysmon 1 / Security 4688): one
    /// detection, one verdict.
    pub twin: Option<usize>,
}

/// One page of a team's alerts.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsPage {
    /// How many alerts the filters select, over every page.
    pub matching: usize,
    pub alerts: Vec<AlertView>,
    /// Give it as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

fn alert_view<S>(app: &App<S>, l: atoll_app::queue::Listed) -> AlertView {
    AlertView {
        number: l.number,
        time: when(app, l.alert.at),
        rule: l.alert.title,
        rule_id: l.alert.rule_id,
        level: l.alert.level.map(|v| format!("{v:?}").to_lowercase()),
        host: l.alert.host,
        techniques: l.alert.techniques,
        tactics: l.alert.tactics,
        detail: l.alert.detail,
        author: l.alert.author,
        state: l.state,
        judged_by: l.by,
        suppressed: l.suppressed,
        twin: l.twin,
    }
}

/// What decides how team `index`'s alerts stand: its verdicts and its suppressions.
async fn judged<S: Store>(
    app: &App<S>,
    index: usize,
) -> Option<(Arc<Vec<atoll_store::Triage>>, Vec<atoll_store::Suppression>)> {
    let team = app.live.team_id(index);
    let triages = app.verdicts(&team).await.ok()?;
    let suppressions = app.db.suppressions(app.live.exercise, Some(&team)).await.ok()?;
    Some((triages, suppressions))
}

/// A team's alerts, read as the queue reads them; one page, or the refusal.
async fn alerts_page<S: Store>(app: &Arc<App<S>>, index: usize, filter: atoll_app::queue::Filter) -> Response {
    let Some((triages, suppressions)) = judged(app, index).await else {
        return unreadable();
    };
    let worker = app.clone();
    let listed = tokio::task::spawn_blocking(move || {
        atoll_app::queue::listed(&worker, index, &filter, &triages, &suppressions).map(|(rows, matching, next)| {
            AlertsPage {
                matching,
                alerts: rows.into_iter().map(|l| alert_view(&worker, l)).collect(),
                next,
            }
        })
    })
    .await;
    match listed {
        Ok(Ok(page)) => Json(page).into_response(),
        Ok(Err(message)) => problem(StatusCode::BAD_REQUEST, &message),
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "The alerts could not be read."),
    }
}

/// `GET /api/v1/teams/{team}/alerts`: the queue's filters as query parameters.
pub(crate) async fn alerts<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    axum::extract::Query(filter): axum::extract::Query<atoll_app::queue::Filter>,
) -> Response {
    alerts_page(&app, view.team, filter).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictRequest {
    /// `new`, `investigating`, `true_positive` or `false_positive`.
    pub state: String,
    /// Why (at most 2,000 characters).
    pub note: Option<String>,
}

/// `POST /api/v1/teams/{team}/alerts/{id}/verdict`: judges alert number `id` (and its twin).
/// Answers with the alert as it now stands.
pub(crate) async fn verdict<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, usize)>,
    Json(request): Json<VerdictRequest>,
) -> Response {
    let note = request.note.unwrap_or_default();
    match atoll_app::queue::verdict_on(&app, view.team, &view.user, id, &request.state, &note).await {
        Ok(listed) => Json(alert_view(&app, listed)).into_response(),
        Err(e) => failed(&e),
    }
}

// ----- A team's inbox ------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentView {
    pub name: String,
    pub media_type: String,
    /// Its text, when the scenario gives it inline.
    pub content: Option<String>,
}

/// A scenario inject that reached the team.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InjectView {
    pub id: String,
    /// `inbox`, `email`, `news`, `phone_call` or `ticket`.
    pub channel: String,
    pub from: String,
    pub subject: String,
    pub body: String,
    /// The tracks it is for, when only some.
    pub track: Option<String>,
    pub at: When,
    pub attachments: Vec<AttachmentView>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxView {
    /// The scenario's injects that reached the team, newest first.
    pub injects: Vec<InjectView>,
    /// The white cell's messages to the team and the team's to the white cell, oldest first.
    pub messages: Vec<MessageView>,
}

/// `GET /api/v1/teams/{team}/inbox`: what reached the team, as its inbox page shows it (reading
/// it through the API leaves no read receipt).
pub(crate) async fn inbox<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let team = app.live.team_id(view.team);
    let messages = match messages_for(&app, &view.user).await {
        Ok(list) => list.into_iter().filter(|m| m.team == team).collect(),
        Err(e) => return e,
    };
    let worker = app.clone();
    let index = view.team;
    let Ok(arrived) = tokio::task::spawn_blocking(move || atoll_app::inbox::arrivals(&worker.live, index)).await else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "The inbox could not be read.");
    };
    let injects = arrived
        .into_iter()
        .map(|(at, i, track)| InjectView {
            id: i.id.name.clone(),
            channel: i.channel.as_str().to_owned(),
            from: i.from.get("en").to_owned(),
            subject: i.subject.get("en").to_owned(),
            body: i.body.get("en").to_owned(),
            track,
            at: when(&app, at),
            attachments: i
                .attachments
                .iter()
                .map(|a| AttachmentView {
                    name: a.name.clone(),
                    media_type: a.media_type.clone(),
                    content: a.content.as_ref().map(|c| c.get("en").to_owned()),
                })
                .collect(),
        })
        .collect();
    Json(InboxView { injects, messages }).into_response()
}

// ----- A team's questions --------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionView {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerGrade {
    pub earned: u32,
    pub max: u32,
    pub why: String,
}

/// The team's answer to a question (answers are final).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerView {
    pub id: i64,
    pub by: String,
    pub time: When,
    /// Exactly one of these, as the question's form takes it.
    pub choices: Option<Vec<String>>,
    pub text: Option<String>,
    pub indicators: Option<Vec<String>>,
    /// Choices and indicators are graded at once; free text once the white cell has.
    pub grade: Option<AnswerGrade>,
}

/// A question put to the team.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionView {
    pub id: String,
    pub prompt: String,
    pub asked: When,
    /// `choice` (answer with `choices`), `indicator` (with `indicators`) or `free_text` (with
    /// `text`).
    pub form: String,
    /// For `choice`: the options, and whether several may be chosen.
    pub options: Vec<OptionView>,
    pub multiple: bool,
    /// For `indicator`: what kind of indicator (`ipv4`, `domain`, …).
    pub indicator_kind: Option<String>,
    pub answer: Option<AnswerView>,
}

fn question_view<S>(
    app: &App<S>,
    q: &atoll_scenario::model::Question,
    asked: u64,
    answer: Option<(atoll_store::Submission, Option<atoll_exercise::answers::Grade>)>,
) -> QuestionView {
    use atoll_exercise::answers::Answer;
    let answer = answer.map(|(s, grade)| {
        let given: Option<Answer> = serde_json::from_str(&s.body).ok();
        AnswerView {
            id: s.id,
            by: s.username,
            time: when(app, s.at),
            choices: match &given {
                Some(Answer::Choices(c)) => Some(c.clone()),
                _ => None,
            },
            text: match &given {
                Some(Answer::Text(t)) => Some(t.clone()),
                _ => None,
            },
            indicators: match &given {
                Some(Answer::Indicators(v)) => Some(v.clone()),
                _ => None,
            },
            grade: grade.map(|g| AnswerGrade {
                earned: g.earned,
                max: g.max,
                why: g.why,
            }),
        }
    });
    QuestionView {
        id: q.id.name.clone(),
        prompt: q.prompt.get("en").to_owned(),
        asked: when(app, asked),
        form: atoll_exercise::answers::form_of(q).to_owned(),
        options: q.choice.as_ref().map_or_else(Vec::new, |c| {
            c.options
                .iter()
                .map(|o| OptionView {
                    id: o.id.name.clone(),
                    text: o.text.get("en").to_owned(),
                })
                .collect()
        }),
        multiple: q.choice.as_ref().is_some_and(|c| c.multiple == Some(true)),
        indicator_kind: q.indicator.as_ref().map(|i| i.kind.as_str().to_owned()),
        answer,
    }
}

/// `GET /api/v1/teams/{team}/questions`: the questions put to the team so far, oldest first.
pub(crate) async fn questions<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let Some(asked) = atoll_app::questions::asked(&app, view.team).await else {
        return unreadable();
    };
    let list: Vec<QuestionView> = asked
        .into_iter()
        .map(|(q, at, answer)| question_view(&app, q, at, answer))
        .collect();
    Json(list).into_response()
}

/// An answer: the field the question's form takes.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// For a `choice` question: the ids of the options chosen.
    pub choices: Option<Vec<String>>,
    /// For a `free_text` question.
    pub text: Option<String>,
    /// For an `indicator` question: one value per indicator.
    pub indicators: Option<Vec<String>>,
}

/// `POST /api/v1/teams/{team}/questions/{question}/answer`: hands in the team's answer (final).
/// Answers with the question and the answer as stored.
pub(crate) async fn answer<S: Store>(
    State(app): State<Arc<App<S>>>,
    crate::auth::TeamPlayer(view): crate::auth::TeamPlayer,
    Path((_, question)): Path<(String, String)>,
    Json(request): Json<AnswerRequest>,
) -> Response {
    use atoll_exercise::answers::{Answer, form_of};
    let scenario: &'static atoll_scenario::Scenario = app.live.scenario;
    let Some(q) = scenario.questions.iter().find(|q| q.id.name == question) else {
        return problem(StatusCode::NOT_FOUND, "No such question.");
    };
    let given = match (form_of(q), request) {
        (
            "choice",
            AnswerRequest {
                choices: Some(c),
                text: None,
                indicators: None,
            },
        ) => Answer::Choices(c),
        (
            "indicator",
            AnswerRequest {
                indicators: Some(v),
                choices: None,
                text: None,
            },
        ) => Answer::Indicators(v),
        (
            "free_text",
            AnswerRequest {
                text: Some(t),
                choices: None,
                indicators: None,
            },
        ) => Answer::Text(t),
        (form, _) => {
            let field = match form {
                "choice" => "choices",
                "indicator" => "indicators",
                _ => "text",
            };
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("{field}: this question takes `{field}`, and nothing else"),
            );
        }
    };
    match atoll_app::questions::give_answer(&app, view.team, &view.user, q, &given).await {
        Ok(_) => {}
        // The API's field is `choices` where the form's is `choice`; every refusal of an
        // answer is a bad request, as it always was.
        Err(mut e) if e.is_refusal() => {
            if e.field.as_deref() == Some("choice") {
                e.field = Some("choices".to_owned());
            }
            e.kind = atoll_app::Kind::Invalid;
            return failed(&e);
        }
        Err(e) => return failed(&e),
    }
    let Some(asked) = atoll_app::questions::asked(&app, view.team).await else {
        return unreadable();
    };
    match asked.into_iter().find(|(x, _, _)| x.id.name == question) {
        Some((q, at, answer)) => (StatusCode::CREATED, Json(question_view(&app, q, at, answer))).into_response(),
        None => unreadable(),
    }
}

// ----- A team's hunt -------------------------------------------------------------------------

/// Rows of a hunt's answer per page.
const HUNT_PAGE: usize = 100;

#[derive(Debug, Deserialize)]
pub(crate) struct HuntParams {
    q: Option<String>,
    page: Option<usize>,
}

/// A table a hunt's stages made.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HuntTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A hunt's answer: the events it found (each as its fields) or the table its stages made.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HuntAnswer {
    pub query: String,
    /// Events the search matched, before any stage.
    pub matched: u64,
    /// Rows of the answer over every page.
    pub total: usize,
    pub page: usize,
    /// Give it as `page` for the next page; absent on the last.
    pub next_page: Option<usize>,
    /// The events of this page, each with its number in the team's store (`row`).
    pub events: Option<Vec<Value>>,
    pub table: Option<HuntTable>,
    /// What the searcher should know that did not stop the query.
    pub notes: Vec<String>,
}

/// `GET /api/v1/teams/{team}/hunt?q=…&page=N`: runs a hunt in the team's events, as the hunt
/// page does (the same language, limits and share of the server's hunt slots).
pub(crate) async fn hunt<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    axum::extract::Query(params): axum::extract::Query<HuntParams>,
) -> Response {
    let query = params.q.unwrap_or_default();
    if query.trim().is_empty() {
        return problem(StatusCode::BAD_REQUEST, "q: give a query, e.g. `EventID=4688 whoami`");
    }
    if query.chars().count() > atoll_hunt::query::MAX_QUERY_CHARS {
        return problem(StatusCode::BAD_REQUEST, "q: a query is at most 10,000 characters");
    }
    let page = params.page.unwrap_or(0).min(10_000);
    let Ok(_permit) = app.hunts.acquire().await else {
        return problem(StatusCode::SERVICE_UNAVAILABLE, "The server is shutting down.");
    };
    let worker = app.clone();
    let team = view.team;
    let answered = tokio::task::spawn_blocking(move || {
        let live = &worker.live;
        let runtime = live.team(team);
        let start = runtime.start_unix_ms();
        let ctx = atoll_hunt::Context {
            now: Some(start + live.now() as i64),
            calendar: atoll_hunt::Calendar::of(worker.day_one, &live.scenario.time_zone.0),
        };
        let paging = atoll_hunt::Page {
            offset: page * HUNT_PAGE,
            limit: HUNT_PAGE,
        };
        let store = runtime.store();
        store
            .search(&query, &ctx, &atoll_hunt::Limits::default(), paging)
            .map(|answer| {
                let (events, table) = match answer.output {
                    atoll_hunt::Output::Events(rows) => {
                        let events = rows
                            .iter()
                            .map(|&row| {
                                let mut line = String::new();
                                store.write_json(row, &mut line);
                                let mut event: Value = serde_json::from_str(&line).unwrap_or_else(|_| json!({}));
                                event["row"] = json!(row);
                                event
                            })
                            .collect();
                        (Some(events), None)
                    }
                    atoll_hunt::Output::Table(t) => (
                        None,
                        Some(HuntTable {
                            columns: t.columns,
                            rows: t.rows,
                        }),
                    ),
                };
                HuntAnswer {
                    next_page: ((page + 1) * HUNT_PAGE < answer.total).then_some(page + 1),
                    query,
                    matched: answer.matched,
                    total: answer.total,
                    page,
                    events,
                    table,
                    notes: answer.notes,
                }
            })
            .map_err(|e| format!("q: at column {}: {}", e.column, e.message))
    })
    .await;
    match answered {
        Ok(Ok(answer)) => Json(answer).into_response(),
        Ok(Err(message)) => problem(StatusCode::BAD_REQUEST, &message),
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "The hunt failed."),
    }
}

// ----- A team's rules and saved searches -----------------------------------------------------

/// A Sigma rule the team wrote.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRuleView {
    pub id: i64,
    pub title: String,
    /// The rule as written (Sigma YAML).
    pub yaml: String,
    /// Who turned it on, and from when it is live.
    pub by: String,
    pub on: When,
    /// When it was turned off and by whom, if it was.
    pub off: Option<When>,
    pub off_by: Option<String>,
    /// Why the server could not turn it on again after a restart, if it could not.
    pub problem: Option<String>,
}

/// `GET /api/v1/teams/{team}/rules`: the Sigma rules the team wrote, on and off, in the order
/// turned on.
pub(crate) async fn team_rules<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let team = app.live.team_id(view.team);
    let Ok(rules) = app.db.team_rules(app.live.exercise, Some(&team)).await else {
        return unreadable();
    };
    let list: Vec<TeamRuleView> = rules
        .into_iter()
        .map(|r| TeamRuleView {
            problem: app.live.rule_problem(r.id),
            id: r.id,
            title: r.title,
            yaml: r.yaml,
            by: r.username,
            on: when(&app, r.at),
            off: r.off.as_ref().map(|(at, _)| when(&app, *at)),
            off_by: r.off.map(|(_, who)| who),
        })
        .collect();
    Json(list).into_response()
}

/// A search the team saved by name.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchView {
    pub id: i64,
    pub name: String,
    /// Run it with `GET …/hunt?q=`.
    pub query: String,
    pub by: String,
}

/// `GET /api/v1/teams/{team}/searches`: the searches the team saved.
pub(crate) async fn searches<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let team = app.live.team_id(view.team);
    let Ok(saved) = app.db.saved_searches(app.live.exercise, &team).await else {
        return unreadable();
    };
    let list: Vec<SavedSearchView> = saved
        .into_iter()
        .map(|s| SavedSearchView {
            id: s.id,
            name: s.name,
            query: s.query,
            by: s.username,
        })
        .collect();
    Json(list).into_response()
}

// ----- A team's hints ------------------------------------------------------------------------

/// A hint the team may open, or has opened.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HintView {
    /// Its number (1 for the scenario's first hint): `POST …/hints/{number}/open` opens it.
    pub number: usize,
    /// Points it costs once opened.
    pub penalty: u32,
    /// The question it helps with, when that question has been asked (a hint for anything
    /// else does not say what it helps with: that would name a step of the campaign).
    pub question: Option<String>,
    pub available: When,
    /// Who opened it and when; its text only once opened.
    pub opened_by: Option<String>,
    pub opened: Option<When>,
    pub text: Option<String>,
}

fn hint_view<S>(
    app: &App<S>,
    h: &atoll_scenario::model::Hint,
    available: u64,
    opened: Option<(String, u64)>,
) -> HintView {
    let scenario = app.live.scenario;
    HintView {
        number: atoll_app::questions::hint_number(scenario, &h.id.name),
        penalty: h.penalty,
        question: scenario
            .questions
            .iter()
            .any(|q| q.id.name == h.r#for.name)
            .then(|| h.r#for.name.clone()),
        available: when(app, available),
        text: opened.as_ref().map(|_| h.text.get("en").to_owned()),
        opened: opened.as_ref().map(|(_, at)| when(app, *at)),
        opened_by: opened.map(|(who, _)| who),
    }
}

/// `GET /api/v1/teams/{team}/hints`: the hints the team may open now, and those it opened.
pub(crate) async fn hints<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let Some(hints) = atoll_app::questions::hints(&app, view.team).await else {
        return unreadable();
    };
    let list: Vec<HintView> = hints
        .into_iter()
        .map(|(h, at, opened)| hint_view(&app, h, at, opened))
        .collect();
    Json(list).into_response()
}

/// `POST /api/v1/teams/{team}/hints/{id}/open`: opens hint number `id` for the team (once; its
/// penalty counts). Answers with the hint and its text.
pub(crate) async fn open_hint<S: Store>(
    State(app): State<Arc<App<S>>>,
    crate::auth::TeamPlayer(view): crate::auth::TeamPlayer,
    Path((_, id)): Path<(String, usize)>,
) -> Response {
    let scenario: &'static atoll_scenario::Scenario = app.live.scenario;
    let Some(hint) = id.checked_sub(1).and_then(|n| scenario.hints.get(n)) else {
        return problem(StatusCode::NOT_FOUND, "No such hint.");
    };
    match atoll_app::questions::open_hint_now(&app, view.team, &view.user, &hint.id.name).await {
        Ok(()) => {}
        // A hint that cannot be opened now conflicts with how play stands.
        Err(e) if e.is_refusal() => return failed(&e.conflicting()),
        Err(e) => return failed(&e),
    }
    let Some(hints) = atoll_app::questions::hints(&app, view.team).await else {
        return unreadable();
    };
    match hints.into_iter().find(|(h, _, _)| h.id.name == hint.id.name) {
        Some((h, at, opened)) => (StatusCode::CREATED, Json(hint_view(&app, h, at, opened))).into_response(),
        None => unreadable(),
    }
}

// ----- A team's reports ----------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub title: String,
    /// Who it is for: `national_cert`, `partner_agency`, `regulator` or `management`.
    pub to: String,
    /// `TLP:CLEAR`, `TLP:GREEN`, `TLP:AMBER`, `TLP:AMBER+STRICT` or `TLP:RED`.
    pub tlp: String,
    pub what: String,
    pub when: Option<String>,
    pub impact: Option<String>,
    pub actions: Option<String>,
    pub indicators: Option<String>,
    pub next_steps: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportView {
    pub id: i64,
    pub team: String,
    pub title: String,
    /// The report's fields as handed in.
    pub content: Value,
    pub by: String,
    pub at: When,
    /// The white cell's grade and comment, once graded.
    pub grade: Option<GradeView>,
}

/// The team's reports, oldest first.
async fn reports_of<S: Store>(app: &App<S>, team: &str, staff: bool) -> Result<Vec<ReportView>, Response> {
    let all = app
        .db
        .submissions(app.live.exercise, Some(team))
        .await
        .map_err(|_| unreadable())?;
    Ok(all
        .into_iter()
        .filter(|s| s.kind == Kind::Report)
        .map(|s| report_view(app, s, staff))
        .collect())
}

fn report_view<S>(app: &App<S>, s: atoll_store::Submission, staff: bool) -> ReportView {
    ReportView {
        id: s.id,
        content: content(&s.body),
        at: when(app, s.at),
        grade: grade_view(app, &s, staff),
        team: s.team,
        title: s.subject,
        by: s.username,
    }
}

/// `GET /api/v1/teams/{team}/reports`
pub(crate) async fn reports<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let staff = view.user.role != Role::Player;
    match reports_of(&app, &app.live.team_id(view.team), staff).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => e,
    }
}

/// `POST /api/v1/teams/{team}/reports`: answers with the report as stored.
pub(crate) async fn send_report<S: Store>(
    State(app): State<Arc<App<S>>>,
    crate::auth::TeamPlayer(view): crate::auth::TeamPlayer,
    Json(request): Json<ReportRequest>,
) -> Response {
    let text = |v: Option<String>| v.unwrap_or_default().trim().to_owned();
    let report = atoll_exercise::answers::Report {
        to: request.to.trim().to_owned(),
        tlp: request.tlp.trim().to_owned(),
        what: request.what.trim().to_owned(),
        when: text(request.when),
        impact: text(request.impact),
        actions: text(request.actions),
        indicators: text(request.indicators),
        next_steps: text(request.next_steps),
    };
    match atoll_app::reports::send(&app, view.team, &view.user, &request.title, &report).await {
        Ok(sent) => (StatusCode::CREATED, Json(report_view(&app, sent, false))).into_response(),
        Err(e) => failed(&e),
    }
}

// ----- People ----------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: i64,
    pub username: String,
    /// `instructor`, `player` or `observer`.
    pub role: String,
    pub team: Option<String>,
    /// The teams an observer follows (empty: every team).
    pub follows: Vec<String>,
    /// Signed-in sessions now.
    pub sessions: u32,
    /// Unix milliseconds of the latest sign-in of those sessions.
    pub latest_sign_in: Option<i64>,
}

/// The people `GET /api/v1/people` lists (a [`Staff`] who sees every team).
async fn people_list<S: Store>(app: &App<S>, user: &User) -> Response {
    if !user.sees_all() {
        return problem(
            StatusCode::FORBIDDEN,
            "People lists every team's people; you follow chosen teams only.",
        );
    }
    let (Ok(users), Ok(active)) = (app.db.users().await, app.db.active_sessions(clock_now()).await) else {
        return unreadable();
    };
    let people: Vec<Person> = users
        .into_iter()
        .map(|u| {
            let signed = active.iter().find(|(id, _, _)| *id == u.id);
            Person {
                id: u.id,
                role: u.role.as_str().to_owned(),
                sessions: signed.map_or(0, |s| s.1),
                latest_sign_in: signed.map(|s| s.2),
                username: u.username,
                team: u.team,
                follows: u.follows,
            }
        })
        .collect();
    Json(people).into_response()
}

/// One entry of the audit log.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditView {
    pub id: i64,
    /// When, in UTC (RFC 3339).
    pub time: String,
    /// When on the exercise clock, as people read it (`D1 09:40`), and in milliseconds.
    pub exercise_time: String,
    pub exercise_ms: u64,
    pub user: String,
    /// What kind of action: `clock.pause`, `inject.send`, `message`, `step.skip`, `grade`,
    /// `rule.on`, `scoreboard.show`, `people.end`, …
    pub action: String,
    pub team: Option<String>,
    /// What was done, in words.
    pub detail: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuditQuery {
    before: Option<i64>,
}

/// `GET /api/v1/audit`: the audit log, a page at a time.
pub(crate) async fn audit<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(_): Instructor,
    axum::extract::Query(query): axum::extract::Query<AuditQuery>,
) -> Response {
    let Ok(entries) = app
        .db
        .audit_log(app.live.exercise, query.before, crate::audit::PAGE)
        .await
    else {
        return unreadable();
    };
    let list: Vec<Value> = entries.iter().map(|e| crate::audit::json(&app, e)).collect();
    Json(list).into_response()
}

/// `GET /api/v1/people`: every account and who is signed in.
pub(crate) async fn people<S: Store>(State(app): State<Arc<App<S>>>, Staff(user): Staff) -> Response {
    people_list(&app, &user).await
}

/// `POST /api/v1/people/{id}/end`: ends every session and API token of a user. Answers with
/// everyone, as `GET /api/v1/people` does.
pub(crate) async fn end_sessions<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Path(id): Path<i64>,
) -> Response {
    if let Err(e) = atoll_app::people::end_sessions(&app, &user, id).await {
        return failed(&e);
    }
    people_list(&app, &user).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowsRequest {
    /// The teams the observer follows; empty: every team.
    pub teams: Vec<String>,
}

/// `POST /api/v1/people/{id}/follows`: the teams an observer follows.
pub(crate) async fn follows<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Path(id): Path<i64>,
    Json(request): Json<FollowsRequest>,
) -> Response {
    if let Err(e) = atoll_app::people::set_follows(&app, &user, id, &request.teams).await {
        return failed(&e);
    }
    people_list(&app, &user).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    /// `observer`, or `player:` and a team's id (`player:palau`).
    #[serde(rename = "as")]
    pub as_: String,
    /// How long the link works: 1, 24 or 168 hours.
    pub hours: u32,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationView {
    /// The one-time link to send; this is the only time it is given.
    pub link: String,
    pub role: String,
    pub team: Option<String>,
    /// Unix milliseconds.
    pub expires: i64,
}

/// `POST /api/v1/invitations`
pub(crate) async fn invite<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    headers: axum::http::HeaderMap,
    Json(request): Json<InvitationRequest>,
) -> Response {
    match crate::invite::make(&app, &user, &headers, &request.as_, &request.hours.to_string()).await {
        Ok(made) => (
            StatusCode::CREATED,
            [(header::CACHE_CONTROL, "no-store")],
            Json(InvitationView {
                link: made.link,
                role: made.role.as_str().to_owned(),
                team: made.team,
                expires: made.expires,
            }),
        )
            .into_response(),
        Err(e) => failed(&e),
    }
}

// ----- The OpenAPI document --------------------------------------------------------------

/// Who may call an operation.
#[derive(Debug, Clone, Copy)]
enum Who {
    Anyone,
    Signed,
    Staff,
    Instructor,
    /// The team's players, instructors and observers.
    TeamView,
    /// The team's players and instructors.
    TeamActor,
    /// The team's own players.
    TeamPlayer,
}

/// One operation of the API.
struct Operation {
    method: &'static str,
    /// Under [`BASE`].
    path: &'static str,
    summary: &'static str,
    who: Who,
    request: Option<fn(&mut SchemaGenerator) -> Schema>,
    /// Status and body of the answer on success.
    status: u16,
    response: fn(&mut SchemaGenerator) -> Schema,
}

fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Every operation, in the order the document lists them.
const OPERATIONS: &[Operation] = &[
    Operation {
        method: "get",
        path: "/openapi.json",
        summary: "This document.",
        who: Who::Anyone,
        request: None,
        status: 200,
        response: schema::<Value>,
    },
    Operation {
        method: "get",
        path: "/exercise",
        summary: "The exercise: its clock, the teams you may see, the tracks, and who you are.",
        who: Who::Signed,
        request: None,
        status: 200,
        response: schema::<ExerciseView>,
    },
    Operation {
        method: "post",
        path: "/clock",
        summary: "Start, pause, resume, change the speed, jump forward, or end play. Answers with the clock.",
        who: Who::Instructor,
        request: Some(schema::<ClockRequest>),
        status: 200,
        response: schema::<ClockView>,
    },
    Operation {
        method: "get",
        path: "/board",
        summary: "Every team at a glance: campaign, detection, availability, alerts, injects read, score, last activity, who is signed in.",
        who: Who::Staff,
        request: None,
        status: 200,
        response: schema::<Board>,
    },
    Operation {
        method: "post",
        path: "/scoreboard",
        summary: "Show the scoreboard to the teams, or hide it.",
        who: Who::Instructor,
        request: Some(schema::<ScoreboardRequest>),
        status: 200,
        response: schema::<ScoreboardRequest>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/score",
        summary: "A team's score with the reason for every point (players: settled items only).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<ScoreView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/timeline",
        summary: "A team's campaign as it stands (ran, prevented, skipped or to come; when detected) and the injects that reached it. Never shown to players.",
        who: Who::Staff,
        request: None,
        status: 200,
        response: schema::<Timeline>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/steps",
        summary: "Run a campaign step still to come now, delay it or skip it, for this team alone. Answers with the change as stored.",
        who: Who::Instructor,
        request: Some(schema::<StepChange>),
        status: 201,
        response: schema::<ActionView>,
    },
    Operation {
        method: "get",
        path: "/messages",
        summary: "Messages between the white cell and the teams, oldest first.",
        who: Who::Staff,
        request: None,
        status: 200,
        response: schema::<Vec<MessageView>>,
    },
    Operation {
        method: "post",
        path: "/messages",
        summary: "Send a message (an ad-hoc inject written on the spot) to one team or every team, one track or every track. Answers with the messages stored.",
        who: Who::Instructor,
        request: Some(schema::<MessageRequest>),
        status: 201,
        response: schema::<Vec<MessageView>>,
    },
    Operation {
        method: "post",
        path: "/injects",
        summary: "Send one of the scenario's injects now, to one team or every team it is addressed to.",
        who: Who::Instructor,
        request: Some(schema::<InjectRequest>),
        status: 201,
        response: schema::<InjectSent>,
    },
    Operation {
        method: "get",
        path: "/grading",
        summary: "Reports and answers written in free text, with what they are graded on and their grade.",
        who: Who::Staff,
        request: None,
        status: 200,
        response: schema::<Vec<GradingItem>>,
    },
    Operation {
        method: "post",
        path: "/grading/{id}",
        summary: "Grade a report or a written answer (again, to change its grade).",
        who: Who::Instructor,
        request: Some(schema::<GradeRequest>),
        status: 200,
        response: schema::<GradingItem>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/actions",
        summary: "The team's response actions (and, for the white cell, its changes to the team's campaign).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<ActionView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/actions",
        summary: "Take a response action now. Answers with the action as stored.",
        who: Who::TeamActor,
        request: Some(schema::<ActionRequest>),
        status: 201,
        response: schema::<ActionView>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/cases",
        summary: "Open a case.",
        who: Who::TeamActor,
        request: Some(schema::<CaseRequest>),
        status: 201,
        response: schema::<CaseView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/cases/{id}",
        summary: "A case and its entries.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<CaseView>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/cases/{id}/entries",
        summary: "Add a note, an alert, an event, an indicator or a status to a case. Answers with the case.",
        who: Who::TeamActor,
        request: Some(schema::<EntryRequest>),
        status: 201,
        response: schema::<CaseView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/reports",
        summary: "The team's incident reports, with the white cell's grade and comment once graded.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<ReportView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/reports",
        summary: "Hand in an incident report (the team's players only, while play goes on). Answers with the report as stored.",
        who: Who::TeamPlayer,
        request: Some(schema::<ReportRequest>),
        status: 201,
        response: schema::<ReportView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/alerts",
        summary: "A page of the team's alerts, newest first, filtered as the queue filters them (query: `state` open|new|investigating|true_positive|false_positive|suppressed|any, `level`, `rule`, `host`, `attack`, `from`, `to`, `q`, `sort` newest|oldest|level, `after` for the next page).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<AlertsPage>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/alerts/{id}/verdict",
        summary: "Judge an alert by its number (a process seen by Sysmon and by Security auditing is judged as one). Marked true positive, it tells the team's world that the step behind it was detected. Answers with the alert as it now stands.",
        who: Who::TeamActor,
        request: Some(schema::<VerdictRequest>),
        status: 200,
        response: schema::<AlertView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/inbox",
        summary: "What reached the team: the scenario's injects (by their time, after what they follow, when their condition held, or sent by hand), newest first, with attachments; and the messages between the team and the white cell.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<InboxView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/hunt",
        summary: "Hunt in the team's events with the hunt page's language (`q`; `page` from 0, 100 rows a page): the events found, each with its fields and `row`, or the table the query's stages made. A query that cannot be read is refused saying at which column.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<HuntAnswer>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/rules",
        summary: "The Sigma rules the team wrote, on and off, in the order turned on, each with who turned it on and from when, and why it is not running if the server could not turn it on again.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<TeamRuleView>>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/searches",
        summary: "The searches the team saved by name (run one with `GET /teams/{team}/hunt?q=`).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<SavedSearchView>>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/hints",
        summary: "The hints the team may open now and those it opened (with who, when and the text). A hint says which question it helps with only once that question was asked.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<HintView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/hints/{id}/open",
        summary: "Open a hint by its number (the team's players only, once, when it is available, while play goes on): its penalty counts from now. Answers with the hint and its text.",
        who: Who::TeamPlayer,
        request: None,
        status: 201,
        response: schema::<HintView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/questions",
        summary: "The questions put to the team so far, oldest first, each with its form and the team's answer and grade once answered.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<QuestionView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/questions/{question}/answer",
        summary: "Hand in the team's answer to a question put to it (the team's players only, once, while play goes on). Answers with the question and the answer as stored.",
        who: Who::TeamPlayer,
        request: Some(schema::<AnswerRequest>),
        status: 201,
        response: schema::<QuestionView>,
    },
    Operation {
        method: "get",
        path: "/people",
        summary: "Every account, and who is signed in. Observers who follow chosen teams are refused, as on the People page.",
        who: Who::Staff,
        request: None,
        status: 200,
        response: schema::<Vec<Person>>,
    },
    Operation {
        method: "post",
        path: "/people/{id}/end",
        summary: "End every session and API token of a user (a lost laptop, a shared account). Answers with everyone.",
        who: Who::Instructor,
        request: None,
        status: 200,
        response: schema::<Vec<Person>>,
    },
    Operation {
        method: "post",
        path: "/people/{id}/follows",
        summary: "Choose the teams an observer follows (none: every team). Answers with everyone.",
        who: Who::Instructor,
        request: Some(schema::<FollowsRequest>),
        status: 200,
        response: schema::<Vec<Person>>,
    },
    Operation {
        method: "get",
        path: "/audit",
        summary: "The white cell's audit log, newest first, 100 entries a page (`before`: the id of the last entry of the page before). Entries are never changed or removed.",
        who: Who::Instructor,
        request: None,
        status: 200,
        response: schema::<Vec<AuditView>>,
    },
    Operation {
        method: "post",
        path: "/invitations",
        summary: "Make a one-time invitation link: a player of one team, or an observer.",
        who: Who::Instructor,
        request: Some(schema::<InvitationRequest>),
        status: 201,
        response: schema::<InvitationView>,
    },
];

/// Every operation as (method, path under [`BASE`]), for tests.
pub fn operations() -> Vec<(&'static str, &'static str)> {
    OPERATIONS.iter().map(|o| (o.method, o.path)).collect()
}

/// The OpenAPI 3.1 document.
pub fn openapi() -> Value {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut generator = settings.into_generator();
    let problem_ref = generator.subschema_for::<Problem>();
    let mut paths = serde_json::Map::new();
    for op in OPERATIONS {
        let mut parameters = Vec::new();
        for name in ["team", "id", "question"] {
            if op.path.contains(&format!("{{{name}}}")) {
                parameters.push(json!({
                    "name": name,
                    "in": "path",
                    "required": true,
                    "schema": if name == "id" { json!({"type": "integer"}) } else { json!({"type": "string"}) },
                    "description": match name {
                        "team" => "A team's id, e.g. `palau`.",
                        "question" => "A question's id, e.g. `q-edge-indicators`.",
                        _ => "The item's id.",
                    },
                }));
            }
        }
        let who = match op.who {
            Who::Anyone => "Anyone; no token needed.",
            Who::Signed => "Anyone with a token.",
            Who::Staff => "Instructors and observers (observers who follow chosen teams see those).",
            Who::Instructor => "Instructors.",
            Who::TeamView => "The team's players, instructors, and observers who follow the team.",
            Who::TeamActor => "The team's players and instructors.",
            Who::TeamPlayer => "The team's own players.",
        };
        let mut operation = json!({
            "summary": op.summary,
            "description": format!("Who: {who}"),
            "parameters": parameters,
            "responses": {
                op.status.to_string(): {
                    "description": "Done.",
                    "content": {"application/json": {"schema": (op.response)(&mut generator)}},
                },
                "default": {
                    "description": "Refused: the message says what and, in `field`, where.",
                    "content": {"application/json": {"schema": problem_ref}},
                },
            },
        });
        if matches!(op.who, Who::Anyone) {
            operation["security"] = json!([]);
        }
        if let Some(request) = op.request {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": request(&mut generator)}},
            });
        }
        let path = paths.entry(format!("{BASE}{}", op.path)).or_insert_with(|| json!({}));
        path[op.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "atoll",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Drive an atoll exercise from scripts: what the white cell's console does (clock, steps, messages, injects, grading, people, invitations), and a team's response actions, cases and reports. Authenticate with a personal API token (made on /account) as `Authorization: Bearer atoll_…`; a token acts as its user, with the same rights.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "description": "A personal API token, `atoll_` and 64 hex digits."}},
        },
    })
}

/// `GET /api/v1/openapi.json`
pub(crate) async fn document() -> Response {
    Json(openapi()).into_response()
}

/// The API's routes, for [`crate::router`].
pub(crate) fn routes<S: Store>() -> axum::Router<Arc<App<S>>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/openapi.json", get(document))
        .route("/api/v1/exercise", get(exercise::<S>))
        .route("/api/v1/clock", post(clock::<S>))
        .route("/api/v1/board", get(board::<S>))
        .route("/api/v1/scoreboard", post(scoreboard::<S>))
        .route("/api/v1/teams/{team}/score", get(score::<S>))
        .route("/api/v1/teams/{team}/timeline", get(timeline::<S>))
        .route("/api/v1/teams/{team}/steps", post(change_step::<S>))
        .route("/api/v1/messages", get(messages::<S>).post(send_message::<S>))
        .route("/api/v1/injects", post(send_inject::<S>))
        .route("/api/v1/grading", get(grading::<S>))
        .route("/api/v1/grading/{id}", post(grade::<S>))
        .route("/api/v1/teams/{team}/actions", get(actions::<S>).post(act::<S>))
        .route("/api/v1/teams/{team}/alerts", get(alerts::<S>))
        .route("/api/v1/teams/{team}/alerts/{id}/verdict", post(verdict::<S>))
        .route("/api/v1/teams/{team}/inbox", get(inbox::<S>))
        .route("/api/v1/teams/{team}/hunt", get(hunt::<S>))
        .route("/api/v1/teams/{team}/rules", get(team_rules::<S>))
        .route("/api/v1/teams/{team}/searches", get(searches::<S>))
        .route("/api/v1/teams/{team}/hints", get(hints::<S>))
        .route("/api/v1/teams/{team}/hints/{id}/open", post(open_hint::<S>))
        .route("/api/v1/teams/{team}/questions", get(questions::<S>))
        .route("/api/v1/teams/{team}/questions/{question}/answer", post(answer::<S>))
        .route("/api/v1/teams/{team}/cases", post(open_case::<S>))
        .route("/api/v1/teams/{team}/cases/{id}", get(case::<S>))
        .route("/api/v1/teams/{team}/cases/{id}/entries", post(add_entry::<S>))
        .route("/api/v1/teams/{team}/reports", get(reports::<S>).post(send_report::<S>))
        .route("/api/v1/people", get(people::<S>))
        .route("/api/v1/people/{id}/end", post(end_sessions::<S>))
        .route("/api/v1/people/{id}/follows", post(follows::<S>))
        .route("/api/v1/invitations", post(invite::<S>))
        .route("/api/v1/audit", get(audit::<S>))
}
