//! The white cell's console: the exercise and its clock, the board, scores, the campaign,
//! injects, messages and grading.

use super::*;

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

pub(super) fn when<S>(app: &App<S>, ms: u64) -> When {
    When {
        ms,
        label: app.live.when(ExerciseMs(ms)),
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

pub(super) fn clock_view<S>(app: &App<S>) -> ClockView {
    let clock = app.live.clock();
    let state = match clock.state {
        atoll_exercise::State::NotStarted => ClockState::NotStarted,
        atoll_exercise::State::Running { .. } => ClockState::Running,
        atoll_exercise::State::Paused { .. } => ClockState::Paused,
        atoll_exercise::State::Ended { .. } => ClockState::Ended,
    };
    ClockView {
        state,
        time: when(app, clock.now(app.live.wall_now())),
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
    /// The instructor who marked the team absent (its availability is not scored), if any.
    pub absent: Option<String>,
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
    let input = crate::board::board_records(&app).await;
    let worker = app.clone();
    blocking_json(move || {
        let app = &*worker;
        let teams = (0..input.records.len())
            .filter(|&i| user.sees(&app.live.team_id(i)))
            .map(|i| {
                let status = atoll_app::score::team_status(app, i, &input.records[i]);
                let counts = crate::board::counts(app, i, &input);
                let c = crate::board::Campaign::of(&status.progress);
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
                    absent: input.records[i].absent.clone(),
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

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AbsentRequest {
    /// Whether nobody of the team plays: its availability is then not scored.
    pub absent: bool,
}

/// `POST /api/v1/teams/{team}/absent`
pub(crate) async fn absent<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Path(team): Path<String>,
    Json(request): Json<AbsentRequest>,
) -> Response {
    match atoll_app::score::mark_absent(&app, &user, &team, request.absent).await {
        Ok(()) => Json(AbsentRequest { absent: request.absent }).into_response(),
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

pub(super) fn action_view<S>(app: &App<S>, a: atoll_store::ActionRecord) -> ActionView {
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
    /// A reply on the thread of this scenario inject (one team only, and the inject must
    /// have reached it); absent: on none.
    #[serde(default)]
    pub inject: Option<String>,
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
    /// The scenario inject whose thread it is on, if any.
    pub inject: Option<String>,
    pub subject: String,
    pub body: String,
    pub from: String,
    pub at: When,
}

/// A page of the messages of `teams` (`None`: every team).
pub(super) async fn messages_of<S: Store>(
    app: &App<S>,
    teams: Option<&[String]>,
    page: atoll_store::Page,
) -> Result<Vec<MessageView>, Response> {
    let messages = app
        .db
        .messages_page(app.live.exercise, teams, page)
        .await
        .map_err(|_| unreadable())?;
    Ok(messages
        .into_iter()
        .map(|m| MessageView {
            id: m.id,
            at: when(app, m.at),
            team: m.team,
            to_team: m.to_team,
            track: m.track,
            inject: m.inject,
            subject: m.subject,
            body: m.body,
            from: m.username,
        })
        .collect())
}

/// `GET /api/v1/messages`: a page of the messages `user` may read, oldest first.
pub(crate) async fn messages<S: Store>(
    State(app): State<Arc<App<S>>>,
    Staff(user): Staff,
    axum::extract::Query(query): axum::extract::Query<ListQuery>,
) -> Response {
    let teams = crate::messages::teams_seen(&app, &user);
    match messages_of(&app, teams.as_deref(), query.page(true)).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => e,
    }
}

/// A message as stored, for the API.
pub(super) fn sent_view<S>(app: &App<S>, user: &User, m: atoll_app::messages::Sent) -> MessageView {
    MessageView {
        id: m.id,
        at: when(app, m.at),
        team: m.team,
        to_team: m.to_team,
        track: m.track,
        inject: m.inject,
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
        inject: request.inject,
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

/// `GET /api/v1/grading`: a page of reports and written answers, oldest first.
pub(crate) async fn grading<S: Store>(
    State(app): State<Arc<App<S>>>,
    Staff(user): Staff,
    axum::extract::Query(query): axum::extract::Query<ListQuery>,
) -> Response {
    match grading_items(&app, &user, query.page(true)).await {
        Ok(items) => Json(items).into_response(),
        Err(e) => e,
    }
}

/// A page of the reports and written answers `user` may see.
pub(super) async fn grading_items<S: Store>(
    app: &App<S>,
    user: &User,
    page: atoll_store::Page,
) -> Result<Vec<GradingItem>, Response> {
    let teams = crate::messages::teams_seen(app, user);
    let written: Vec<String> = app
        .live
        .scenario
        .questions
        .iter()
        .filter(|q| q.free_text.is_some())
        .map(|q| q.id.name.clone())
        .collect();
    let filter = atoll_store::SubmissionFilter {
        teams: teams.as_deref(),
        reports: true,
        answers_to: Some(&written),
        graded: None,
    };
    let (all, _) = app
        .db
        .submissions_page(app.live.exercise, filter, page)
        .await
        .map_err(|_| unreadable())?;
    Ok(all
        .into_iter()
        .filter(|s| atoll_app::reports::graded_by_hand(app, s))
        .map(|s| grading_item(app, s))
        .collect())
}

pub(super) fn grading_item<S>(app: &App<S>, s: atoll_store::Submission) -> GradingItem {
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
pub(super) fn content(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()))
}

/// A submission's newest grade, with the points per criterion only for `staff`.
pub(super) fn grade_view<S>(app: &App<S>, s: &atoll_store::Submission, staff: bool) -> Option<GradeView> {
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
