//! The white cell's board and its clock: every team at a glance, and the clock's controls
//! (a jump forward first lists what it passes).

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_sigma::Level;
use atoll_sim::actions::WHITE_CELL_ACTIONS;
use atoll_store::{Role, Store, User};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{Instructor, Staff};
use crate::pages::blocking;
use crate::{App, clock_now, html};

fn clock_text(clock: &atoll_exercise::Clock) -> &'static str {
    match clock.state {
        atoll_exercise::State::NotStarted => "not started",
        atoll_exercise::State::Running { .. } => "running",
        atoll_exercise::State::Paused { .. } => "paused",
        atoll_exercise::State::Ended { .. } => "ended",
    }
}

/// The exercise at a glance: the clock, and every team's events and alerts.
pub(crate) async fn board<S: Store>(
    State(app): State<Arc<App<S>>>,
    Staff(user): Staff,
    Query(after): Query<ClockDone>,
) -> Response {
    let input = board_records(&app).await;
    blocking(move || {
        let done = after.done.as_deref().and_then(|action| clock_done(&app, action));
        board_page(&app, &user, &input, done.map_or(Notice::None, Notice::Done))
    })
    .await
}

/// What the board answers with after a clock change (`?done=jump`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ClockDone {
    done: Option<String>,
}

/// What the board says above its numbers: what a clock change did, or why it was refused.
#[derive(Debug, Clone)]
enum Notice {
    None,
    Done(String),
    Refused(String),
    /// A jump to `to` that would pass these deadlines: asked to confirm.
    Confirm {
        to: String,
        passes: Vec<String>,
    },
}

/// What a clock change did, in words, from the clock as it is now; `None` for an unknown
/// action.
fn clock_done<S>(app: &App<S>, action: &str) -> Option<String> {
    let clock = app.live.clock();
    let when = app.live.when(ExerciseMs(clock.now(app.live.wall_now())));
    Some(match action {
        "start" => format!("Play started at {when}."),
        "pause" => format!("Paused at {when}: every team's world stands still until you resume."),
        "resume" => format!("Resumed at {when}."),
        "speed" => format!("The clock now runs at {}× real time.", clock.speed),
        "jump" => {
            format!("Jumped to {when}. Every team's world runs up to it within seconds; the numbers below follow.")
        }
        "end" => format!("Play ended at {when}. Every page stays open to read; scores are final."),
        _ => return None,
    })
}

/// Reads what the board shows from the database (what cannot be read counts as nothing yet).
pub(crate) async fn board_records<S: Store>(app: &App<S>) -> BoardRecords {
    let reads = app.db.reads(app.live.exercise).await.unwrap_or_default();
    let mut records = Vec::new();
    for i in 0..app.live.scenario.player_teams().count() {
        let team = app.live.team_id(i);
        records.push(atoll_app::score::records(app, &team).await.unwrap_or_default());
    }
    // Who of each team is signed in now.
    let (users, active) = (
        app.db.users().await.unwrap_or_default(),
        app.db.active_sessions(clock_now()).await.unwrap_or_default(),
    );
    let online: Vec<Vec<String>> = (0..records.len())
        .map(|i| {
            let team = app.live.team_id(i);
            users
                .iter()
                .filter(|u| u.team.as_deref() == Some(team.as_str()))
                .filter(|u| active.iter().any(|(id, _, _)| *id == u.id))
                .map(|u| u.username.clone())
                .collect()
        })
        .collect();
    // What each team last did: a verdict, a response action or a message to the white cell.
    let actions = app.db.actions(app.live.exercise).await.unwrap_or_default();
    // Each team's latest message only: the board never reads the messages themselves.
    let messages = app.db.last_from_teams(app.live.exercise).await.unwrap_or_default();
    let last: Vec<Option<(u64, String)>> = records
        .iter()
        .enumerate()
        .map(|(i, records)| {
            let team = app.live.team_id(i);
            let verdicts = records
                .triages
                .iter()
                .filter_map(|t| Some((t.at?, format!("{} marked an alert", t.username))));
            let acted = actions
                .iter()
                .filter(|a| a.team == team && !WHITE_CELL_ACTIONS.contains(&a.action.as_str()))
                .map(|a| (a.at, format!("{} took {}", a.username, a.action.replace('_', " "))));
            let wrote = messages
                .iter()
                .filter(|(t, _, _)| *t == team)
                .map(|(_, at, username)| (*at, format!("{username} wrote to the white cell")));
            let handed = records.submissions.iter().map(|s| {
                let what = match s.kind {
                    atoll_store::Kind::Answer => "answered a question",
                    atoll_store::Kind::Report => "sent a report",
                };
                (s.at, format!("{} {what}", s.username))
            });
            verdicts
                .chain(acted)
                .chain(wrote)
                .chain(handed)
                .max_by_key(|(at, _)| *at)
        })
        .collect();
    let scoreboard = app.db.scoreboard_shown(app.live.exercise).await.unwrap_or(false);
    BoardRecords {
        reads,
        records,
        online,
        last,
        scoreboard,
    }
}

/// What the board reads from the database before it takes the exercise's locks.
pub(crate) struct BoardRecords {
    /// Read receipts: (team, inject, username).
    pub reads: Vec<(String, String, String)>,
    /// Each team's records, in the scenario's order.
    pub records: Vec<atoll_app::score::Records>,
    /// Who of each team is signed in.
    pub online: Vec<Vec<String>>,
    /// Each team's last activity.
    pub last: Vec<Option<(u64, String)>>,
    /// Whether teams see the scoreboard.
    pub scoreboard: bool,
}

/// A team's counts on the board.
pub(crate) struct Counts {
    pub events: usize,
    pub alerts: usize,
    /// Alerts of level high or critical.
    pub high: usize,
    /// The newest alert: exercise time and title.
    pub latest: Option<(u64, String)>,
    /// Injects that have arrived, and how many of them someone in the team has read.
    pub arrived: usize,
    pub read: usize,
}

/// Team `i`'s counts. Takes the team's lock: call it off the async workers.
pub(crate) fn counts<S>(app: &App<S>, i: usize, input: &BoardRecords) -> Counts {
    let live = &app.live;
    let team = live.team_id(i);
    let arrived = atoll_app::inbox::arrivals(live, i);
    let read = arrived
        .iter()
        .filter(|(_, inject, _)| input.reads.iter().any(|(t, id, _)| *t == team && *id == inject.id.name))
        .count();
    let runtime = live.team(i);
    let alerts = runtime.alerts();
    Counts {
        events: runtime.store().len(),
        // As the team's queue counts them: a process seen twice is one.
        alerts: runtime.detections(),
        high: alerts
            .iter()
            .enumerate()
            .filter(|(n, a)| a.level >= Some(Level::High) && !runtime.is_second_sighting(*n))
            .count(),
        latest: alerts.last().map(|a| (a.at, a.title.clone())),
        arrived: arrived.len(),
        read,
    }
}

fn board_page<S: Store>(app: &App<S>, user: &User, input: &BoardRecords, notice: Notice) -> Response {
    let BoardRecords {
        records,
        online,
        last,
        scoreboard,
        ..
    } = input;
    let scoreboard = *scoreboard;
    let ended = app.live.ended();
    let live = &app.live;
    let clock = live.clock();
    let now = clock.now(live.wall_now());
    let when = live.when(ExerciseMs(now));
    // Each team's numbers, taking its lock only as long as it takes to read them.
    let label = |t: u64| live.when(ExerciseMs(t));
    let statuses: Vec<BoardStatus> = (0..records.len())
        .map(|i| board_status(atoll_app::score::team_status(app, i, &records[i]), &label))
        .collect();
    let rows: Vec<(usize, usize, usize, Option<String>, String)> = (0..records.len())
        .map(|i| {
            let c = counts(app, i, input);
            (
                c.events,
                c.alerts,
                c.high,
                c.latest.map(|(at, title)| format!("{} · {title}", label(at))),
                format!("{} of {}", c.read, c.arrived),
            )
        })
        .collect();
    let body = html! {
        h1 { "Board" }
        p {
            "Exercise time " strong data-live="clock" { (when) } " — " (clock_text(&clock))
            ", " (clock.speed) "× real time."
        }
        @match &notice {
            Notice::Done(text) => { p.done role="status" { (text) } }
            Notice::Refused(text) => { (html::refusal(Some(text))) }
            Notice::Confirm { to, passes } => {
                div.confirm role="alert" id="problem" {
                    p { strong { "Jumping to " (to) " passes " (passes.len()) " time limit" @if passes.len() != 1 { "s" } "." } " They close as the clock goes by; what is not done by then is missed:" }
                    ul { @for line in passes { li { (line) } } }
                    form.inline method="post" action="/clock" {
                        input type="hidden" name="action" value="jump";
                        input type="hidden" name="to" value=(to);
                        button name="confirm" value="yes" { "Jump anyway" }
                    }
                    " " a href="/board" { "Cancel" }
                }
            }
            Notice::None => {}
        }
        @if user.role == Role::Instructor {
            form.inline method="post" action="/clock" {
                @match clock.state {
                    atoll_exercise::State::NotStarted => { button name="action" value="start" { "Start" } }
                    atoll_exercise::State::Running { .. } => { button name="action" value="pause" { "Pause" } }
                    atoll_exercise::State::Paused { .. } => { button name="action" value="resume" { "Resume" } }
                    atoll_exercise::State::Ended { .. } => {}
                }
            }
            " "
            form.inline method="post" action="/clock" {
                label for="speed" { "Speed " }
                input #speed name="speed" type="number" min="1" max="3600" value=(clock.speed);
                " "
                button name="action" value="speed" { "Set speed" }
            }
            @if matches!(clock.state, atoll_exercise::State::Running { .. } | atoll_exercise::State::Paused { .. }) {
                " "
                form.inline method="post" action="/clock" {
                    label for="jump-to" { "Jump forward to " }
                    input #jump-to name="to" size="9" placeholder="D2 08:30" required;
                    " "
                    button name="action" value="jump" { "Jump" }
                }
                " "
                form.inline method="post" action="/clock" {
                    input #end-confirm type="checkbox" name="confirm" value="yes" required;
                    label for="end-confirm" { " I mean it: " }
                    button name="action" value="end" { "End the exercise" }
                }
            }
        }
        p {
            a href="/scoreboard" { "Scoreboard" } ": "
            @if scoreboard { "teams can see it." } @else { "only the white cell sees it." }
            @if user.role == Role::Instructor {
                " "
                form.inline method="post" action="/scoreboard" {
                    input type="hidden" name="show" value=(if scoreboard { "no" } else { "yes" });
                    button type="submit" { @if scoreboard { "Hide it from teams" } @else { "Show it to teams" } }
                }
            }
        }
        table {
            thead {
                tr {
                    th { "Team" } th { "Campaign" } th { "Time to detect" } th { "Lowest availability" }
                    th { "Events" } th { "Alerts" } th { "High or critical" } th { "Latest alert" }
                    th { "Injects read" } th { "Score" } th { "Last activity" } th { "Signed in" }
                }
            }
            tbody {
                @for (((((team, (events, alerts, high, latest, inbox)), status), online), last), team_records) in live.scenario.player_teams().zip(&rows).zip(&statuses).zip(online).zip(last).zip(records) {
                    @if user.sees(&team.id.name) { tr {
                        td { a href={ "/teams/" (team.id.name) } { (team.name.get("en")) } }
                        td { a href={ "/teams/" (team.id.name) "/timeline" } { (status.campaign) } }
                        td { (status.detect) }
                        td { (status.availability) }
                        td.num data-live={ (team.id.name) ".events" } { (events) }
                        td.num data-live={ (team.id.name) ".alerts" } { (alerts) }
                        td.num data-live={ (team.id.name) ".high" } { (high) }
                        td data-live={ (team.id.name) ".latest" } {
                            @if let Some(latest) = latest { (latest) } @else { span.muted { "none yet" } }
                        }
                        td.num { (inbox) }
                        td.num { a href={ "/teams/" (team.id.name) "/score" } { (status.score) } }
                        td {
                            @match last {
                                Some((at, what)) => { (live.when(ExerciseMs(*at))) " · " (what) }
                                None => { span.muted { "nothing yet" } }
                            }
                        }
                        td {
                            @if online.is_empty() { span.muted { "nobody" } } @else { (online.join(", ")) }
                            @if let Some(by) = &team_records.absent { br; strong { "Absent" } " (marked by " (by) "): availability not scored" }
                            @if user.role == atoll_store::Role::Instructor && ended.is_none() {
                                form.inline method="post" action={ "/teams/" (team.id.name) "/absent" } {
                                    @if team_records.absent.is_some() {
                                        input type="hidden" name="absent" value="no";
                                        " " button type="submit" { "Mark present" }
                                    } @else {
                                        input type="hidden" name="absent" value="yes";
                                        " " button type="submit" title="Nobody of this team plays: its availability is not scored" { "Mark absent" }
                                    }
                                }
                            }
                        }
                    } }
                }
            }
        }
        @if !user.sees_all() {
            p.muted { "You follow " (user.follows.join(", ")) "; the white cell can change which teams you follow." }
        }
    };
    match notice {
        // A refused clock change comes back on the board, saying why (409 for the API).
        Notice::Refused(text) => {
            let mut response = html::form_page(live, "Board", user, Some(&text), &body);
            *response.status_mut() = StatusCode::CONFLICT;
            response
        }
        Notice::Confirm { to, passes } => {
            let text = format!(
                "confirm: the jump to {to} passes {}; confirm to jump anyway",
                passes.join("; ")
            );
            let mut response = html::form_page(live, "Board", user, Some(&text), &body);
            *response.status_mut() = StatusCode::CONFLICT;
            response
        }
        _ => html::page(live, "Board", Some(user), &body).into_response(),
    }
}

/// A team's row of the board, as text.
struct BoardStatus {
    /// Steps run and prevented of all, and the latest to run.
    campaign: String,
    /// How many steps that ran were detected, and the median time it took.
    detect: String,
    availability: String,
    score: String,
}

/// Where a team's campaign stands, in numbers.
pub(crate) struct Campaign {
    pub steps: usize,
    pub ran: usize,
    /// Prevented by the team (not those the white cell skipped).
    pub prevented: usize,
    pub skipped: usize,
    /// The latest step to run: exercise time and id.
    pub latest: Option<(u64, String)>,
    /// For each step that ran and was detected, how long detection took, shortest first.
    pub detect_times: Vec<u64>,
}

impl Campaign {
    pub(crate) fn of(steps: &[atoll_exercise::score::Progress]) -> Campaign {
        use atoll_sim::campaign::Status;
        let ran: Vec<_> = steps.iter().filter(|p| p.status == Status::Succeeded).collect();
        let skipped = |p: &&atoll_exercise::score::Progress| p.reason.as_deref() == Some(atoll_sim::actions::SKIPPED);
        let mut detect_times: Vec<u64> = ran
            .iter()
            .filter_map(|p| Some(p.detected?.saturating_sub(p.at?)))
            .collect();
        detect_times.sort_unstable();
        Campaign {
            steps: steps.len(),
            ran: ran.len(),
            prevented: steps
                .iter()
                .filter(|p| p.status == Status::Prevented && !skipped(p))
                .count(),
            skipped: steps.iter().filter(skipped).count(),
            latest: ran.iter().filter_map(|p| Some((p.at?, p.step.clone()))).max(),
            detect_times,
        }
    }

    /// The median time to detect, of the steps detected.
    pub(crate) fn median_detect(&self) -> Option<u64> {
        let n = self.detect_times.len();
        (n > 0).then(|| self.detect_times[(n - 1) / 2])
    }
}

fn board_status(status: atoll_app::score::TeamStatus, label: &dyn Fn(u64) -> String) -> BoardStatus {
    let c = Campaign::of(&status.progress);
    let mut campaign = format!("{} of {} steps ran", c.ran, c.steps);
    if c.prevented > 0 {
        campaign.push_str(&format!(", {} prevented", c.prevented));
    }
    if c.skipped > 0 {
        campaign.push_str(&format!(", {} skipped by the white cell", c.skipped));
    }
    if let Some((at, step)) = &c.latest {
        campaign.push_str(&format!("; latest {step} at {}", label(*at)));
    }
    let detect = match c.median_detect() {
        None if c.ran == 0 => "nothing to detect yet".to_owned(),
        None => format!("0 of {} detected", c.ran),
        Some(median) => format!(
            "{} of {} detected; median {}",
            c.detect_times.len(),
            c.ran,
            atoll_exercise::score::span(median)
        ),
    };
    let availability = status.lowest.map_or_else(
        || "no services".to_owned(),
        |(name, percent)| format!("{percent:.1}% {name}"),
    );
    BoardStatus {
        campaign,
        detect,
        availability,
        score: format!("{} / {}", status.score.total(), status.score.possible()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ClockForm {
    action: Option<String>,
    speed: Option<String>,
    /// Where to jump: `D2 08:30` or `+5h` (from the start of play).
    to: Option<String>,
    /// Ending needs this ticked.
    confirm: Option<String>,
}

/// Start, pause, resume, change the speed, jump forward or end play. Changes go one at a time,
/// each stored before the answer; one that cannot be stored is undone, so memory and database
/// never disagree.
pub(crate) async fn clock<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Form(form): Form<ClockForm>,
) -> Response {
    let change = atoll_app::clock::ClockChange {
        action: form.action.unwrap_or_default(),
        speed: form.speed,
        to: form.to.clone(),
        confirm: form.confirm.as_deref() == Some("yes"),
    };
    let action = change.action.trim().to_owned();
    match atoll_app::clock::change(&app, &user, change).await {
        // The board says what the change did.
        Ok(_) => Redirect::to(&format!("/board?done={action}")).into_response(),
        Err(e) if e.is_refusal() => {
            let notice = if e.details.is_empty() {
                Notice::Refused(e.to_string())
            } else {
                let to = form.to.as_deref().map(str::trim).unwrap_or_default().to_owned();
                Notice::Confirm { to, passes: e.details }
            };
            let input = board_records(&app).await;
            blocking(move || board_page(&app, &user, &input, notice)).await
        }
        Err(e) => html::failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct AbsentForm {
    absent: Option<String>,
}

/// Marks a team absent (`absent=yes`: nobody of it plays, so its availability is not scored)
/// or present again (`absent=no`), then shows the board.
pub(crate) async fn absent<S: Store>(
    State(app): State<Arc<App<S>>>,
    crate::auth::Instructor(user): crate::auth::Instructor,
    axum::extract::Path(team): axum::extract::Path<String>,
    Form(form): Form<AbsentForm>,
) -> Response {
    let absent = match form.absent.as_deref() {
        Some("yes") => true,
        Some("no") => false,
        _ => return html::problem(StatusCode::BAD_REQUEST, "absent: say yes or no."),
    };
    match atoll_app::score::mark_absent(&app, &user, &team, absent).await {
        Ok(()) => axum::response::Redirect::to("/board").into_response(),
        Err(e) => html::failure(&e),
    }
}
