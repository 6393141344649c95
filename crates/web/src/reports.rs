//! Incident reports and the white cell's grading queue.
//!
//! A team writes reports to its national CERT, a partner agency, its regulator or its own
//! management on a structured form (what, when, impact, actions taken, indicators, next steps,
//! the fields NIST SP 800-61r3 asks of incident reporting), as many as the incident needs.
//! Instructors grade each report against the scenario's report expectations for that team
//! (points up to each expectation's, and a comment the team reads), and each free-text answer
//! on its question's rubric. A grade can be changed; the newest counts.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_exercise::answers::{Answer, Points, REPORT_RECIPIENTS, Report, TLP};
use atoll_scenario::model::Expectation;
use atoll_store::{Kind, Page, Role, Store, Submission, SubmissionFilter};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::{Instructor, Staff, TeamPlayer, TeamView};
use atoll_app::reports::{criteria, graded_by_hand, report_expectations};

use crate::messages::PageQuery;
use crate::{App, html};
use atoll_app::limits::{
    GRADE_COMMENT_CHARS, REPORT_FIELD_CHARS, REPORT_TITLE_CHARS, REPORTS_PAGE, TEAM_REPORTS, left, near,
};

/// The report form's text fields: name, label, what to write.
const FIELDS: &[(&str, &str, &str)] = &[
    (
        "what",
        "What happened",
        "What was seen, on which systems, and what you believe it is.",
    ),
    (
        "when",
        "When",
        "When it started, when it was found, and when it was contained if it is.",
    ),
    (
        "impact",
        "Impact",
        "Systems, services and data affected; the effect on users and on other nations.",
    ),
    ("actions", "Actions taken", "What your team has done so far, and when."),
    (
        "indicators",
        "Indicators",
        "Addresses, domains, hashes, accounts: one per line.",
    ),
    (
        "next_steps",
        "Next steps and help needed",
        "What you will do next, and what you need from the recipient.",
    ),
];

fn recipient(id: &str) -> &str {
    REPORT_RECIPIENTS
        .iter()
        .find(|(k, _)| *k == id)
        .map_or(id, |(_, label)| label)
}

pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Query(query): Query<PageQuery>,
) -> Response {
    match html::before(query.before.as_deref()) {
        Ok(before) => render(&app, &view, None, None, before).await,
        Err(page) => *page,
    }
}

/// The team's reports, newest first, and the form (kept filled in when it was refused).
async fn render<S: Store>(
    app: &Arc<App<S>>,
    view: &TeamView,
    problem: Option<(&str, &str)>,
    draft: Option<(&str, &Report)>,
    before: Option<i64>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let teams = [team_id.clone()];
    let filter = SubmissionFilter {
        teams: Some(&teams),
        reports: true,
        ..SubmissionFilter::default()
    };
    let page = Page::before(before, REPORTS_PAGE);
    let Ok((reports, sent)) = app.db.submissions_page(app.live.exercise, filter, page).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The reports could not be read; try again.",
        );
    };
    let label = |t: u64| app.live.when(ExerciseMs(t));
    // Only players write the team's reports, while play lasts.
    // The clock's lock is taken off the async workers, as everywhere.
    let worker = app.clone();
    let ended = tokio::task::spawn_blocking(move || worker.live.clock())
        .await
        .is_ok_and(|c| matches!(c.state, atoll_exercise::State::Ended { .. }));
    // A refused report is shown in its form even after play ended, so nothing typed is lost.
    let acts = view.user.role == Role::Player && (!ended || draft.is_some());
    let staff = view.user.role != Role::Player;
    let (title, empty) = (draft.map_or("", |d| d.0), Report::default());
    let draft = draft.map_or(&empty, |d| d.1);
    let expectations = report_expectations(app.live.scenario, &team_id);
    let body = html! {
        h1 { "Reports — " (app.live.team_name(view.team)) }
        p.muted {
            "Incident reports from your team, newest first. Send one as soon as you have something to report, and another as you learn more; the white cell grades each and comments."
        }
        @if let Some((field, message)) = problem {
            (html::refusal(Some(&format!("{field}: {message}"))))
        }
        @if acts {
            details open[problem.is_some()] {
                summary { "Write a report" }
                form method="post" action={ "/teams/" (team_id) "/reports" } {
                    p {
                        label for="title" { "Title" } br;
                        input #title name="title" required maxlength=(REPORT_TITLE_CHARS) size="60" value=(title);
                    }
                    p {
                        label for="to" { "To " }
                        select #to name="to" {
                            @for (id, text) in REPORT_RECIPIENTS { option value=(id) selected[draft.to == *id] { (text) } }
                        }
                        " "
                        label for="tlp" { "Marking " }
                        select #tlp name="tlp" {
                            @for t in TLP { option value=(t) selected[draft.tlp == *t || (draft.tlp.is_empty() && *t == "TLP:AMBER")] { (t) } }
                        }
                    }
                    @for (name, text, help) in FIELDS {
                        p {
                            label for=(name) { (text) } br;
                            span.muted id={ (name) "-help" } { (help) } br;
                            textarea id=(name) name=(name) rows="4" cols="80" maxlength=(REPORT_FIELD_CHARS) aria-describedby={ (name) "-help" } required[*name == "what"] { (field_of(draft, name)) }
                        }
                    }
                    @if near(sent, TEAM_REPORTS) {
                        p.muted { "Your team can send " (left(sent, TEAM_REPORTS)) " more reports in this exercise (at most " (TEAM_REPORTS) ")." }
                    }
                    p { button type="submit" { "Send report" } }
                }
            }
        }
        @if reports.is_empty() { p.muted { "No report sent yet." } }
        @for s in &reports {
            (report_view(s, &label, &expectations, staff))
        }
        (html::pager(&format!("/teams/{team_id}/reports"), before, reports.len(), REPORTS_PAGE, reports.last().map(|s| s.id)))
    };
    let problem = problem.map(|(field, message)| format!("{field}: {message}"));
    html::form_page(
        html::heading(app, &view.user).await,
        "Reports",
        &view.user,
        problem.as_deref(),
        &body,
    )
}

fn field_of<'a>(r: &'a Report, name: &str) -> &'a str {
    match name {
        "what" => &r.what,
        "when" => &r.when,
        "impact" => &r.impact,
        "actions" => &r.actions,
        "indicators" => &r.indicators,
        _ => &r.next_steps,
    }
}

/// One report as sent, with its grade once it has one.
fn report_view(s: &Submission, label: &dyn Fn(u64) -> String, expectations: &[&Expectation], staff: bool) -> Markup {
    let report: Option<Report> = serde_json::from_str(&s.body).ok();
    let points: Option<Points> = s.grade.as_ref().and_then(|g| serde_json::from_str(&g.points).ok());
    html! {
        article.inject id={ "report-" (s.id) } {
            h2 { (s.subject) }
            @match &report {
                Some(r) => {
                    p.muted { (r.tlp) " · to " (recipient(&r.to)) " · sent by " (s.username) " at " (label(s.at)) }
                    dl {
                        @for (name, text, _) in FIELDS {
                            @let value = field_of(r, name);
                            @if !value.trim().is_empty() {
                                dt { (text) }
                                dd.pre { (value) }
                            }
                        }
                    }
                }
                None => p.error { "This report could not be read." },
            }
            @match (&s.grade, &points) {
                (Some(g), Some(points)) => {
                    div.grade {
                        p { strong { "Graded by " (g.username) } }
                        // Players see the points, not the expectations: those name campaign
                        // steps that may not have happened yet.
                        @if staff {
                            ul {
                                @for e in expectations {
                                    li {
                                        (e.text.get("en")) ": "
                                        @match points.get(&e.id.name) {
                                            Some(p) => { ((*p).min(e.points)) " of " (e.points) " points" },
                                            None => "not counted",
                                        }
                                    }
                                }
                            }
                        } @else {
                            p { (expectations.iter().map(|e| points.get(&e.id.name).copied().unwrap_or(0).min(e.points)).sum::<u32>()) " points" }
                        }
                        @if !g.comment.trim().is_empty() { p { "Comment: " (g.comment) } }
                    }
                }
                _ => p.muted { "Not graded yet." },
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReportForm {
    title: Option<String>,
    to: Option<String>,
    tlp: Option<String>,
    what: Option<String>,
    when: Option<String>,
    impact: Option<String>,
    actions: Option<String>,
    indicators: Option<String>,
    next_steps: Option<String>,
}

/// Hands in a report: checked, stored, and shown in the team's list; a refused one comes back
/// filled in.
pub(crate) async fn send<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamPlayer(view): TeamPlayer,
    Form(form): Form<ReportForm>,
) -> Response {
    let text = |v: Option<String>| v.unwrap_or_default().trim().to_owned();
    let title = text(form.title);
    let report = Report {
        to: text(form.to),
        tlp: text(form.tlp),
        what: text(form.what),
        when: text(form.when),
        impact: text(form.impact),
        actions: text(form.actions),
        indicators: text(form.indicators),
        next_steps: text(form.next_steps),
    };
    match atoll_app::reports::send(&app, view.team, &view.user, &title, &report).await {
        Ok(sent) => Redirect::to(&format!("/teams/{}/reports#report-{}", sent.team, sent.id)).into_response(),
        // Nothing is lost: the form comes back as it was sent.
        Err(e) => {
            let field = e.field.clone().unwrap_or_else(|| "report".to_owned());
            let mut page = render(&app, &view, Some((&field, &e.message)), Some((&title, &report)), None).await;
            *page.status_mut() = html::status_of(e.kind);
            page
        }
    }
}

/// The grading queue: what waits for a grade, oldest first (a page of it: grading one brings
/// the next), then what has been graded, newest first a page at a time. Observers see it (of
/// the teams they follow) without the forms.
pub(crate) async fn queue<S: Store>(
    State(app): State<Arc<App<S>>>,
    Staff(user): Staff,
    Query(query): Query<PageQuery>,
) -> Response {
    let before = match html::before(query.before.as_deref()) {
        Ok(before) => before,
        Err(page) => return *page,
    };
    let teams = crate::messages::teams_seen(&app, &user);
    // Reports, and answers written in free text: what the white cell grades by hand.
    let written: Vec<String> = app
        .live
        .scenario
        .questions
        .iter()
        .filter(|q| q.free_text.is_some())
        .map(|q| q.id.name.clone())
        .collect();
    let filter = |graded| SubmissionFilter {
        teams: teams.as_deref(),
        reports: true,
        answers_to: Some(&written),
        graded: Some(graded),
    };
    let exercise = app.live.exercise;
    let (Ok((waiting, waiting_count)), Ok((done, done_count))) = (
        app.db
            .submissions_page(exercise, filter(false), Page::after(None, REPORTS_PAGE))
            .await,
        app.db
            .submissions_page(exercise, filter(true), Page::before(before, REPORTS_PAGE))
            .await,
    ) else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The grading queue could not be read; try again.",
        );
    };
    let waiting: Vec<&Submission> = waiting.iter().filter(|s| graded_by_hand(&app, s)).collect();
    let done: Vec<&Submission> = done.iter().filter(|s| graded_by_hand(&app, s)).collect();
    let label = |t: u64| app.live.when(ExerciseMs(t));
    let grades = user.role == Role::Instructor;
    let team_name = |id: &str| {
        app.live
            .scenario
            .player_teams()
            .position(|t| t.id.name == id)
            .map_or_else(|| id.to_owned(), |i| app.live.team_name(i).to_owned())
    };
    let entry = |s: &Submission| -> Markup {
        let criteria = criteria(&app, s);
        let given: Points = s
            .grade
            .as_ref()
            .and_then(|g| serde_json::from_str(&g.points).ok())
            .unwrap_or_default();
        html! {
            article.inject id={ "submission-" (s.id) } {
                h2 {
                    (team_name(&s.team)) " — "
                    @match s.kind {
                        Kind::Report => { "report «" (s.subject) "»" },
                        Kind::Answer => { "answer to: " (app.live.scenario.questions.iter().find(|q| q.id.name == s.subject).map_or(s.subject.as_str(), |q| q.prompt.get("en"))) },
                    }
                }
                p.muted { "Sent by " (s.username) " at " (label(s.at)) }
                @match s.kind {
                    Kind::Report => @if let Ok(r) = serde_json::from_str::<Report>(&s.body) {
                        p.muted { (r.tlp) " · to " (recipient(&r.to)) }
                        dl {
                            @for (name, text, _) in FIELDS {
                                @let value = field_of(&r, name);
                                @if !value.trim().is_empty() { dt { (text) } dd.pre { (value) } }
                            }
                        }
                    },
                    Kind::Answer => @if let Ok(Answer::Text(text)) = serde_json::from_str::<Answer>(&s.body) {
                        blockquote.pre { (text) }
                    },
                }
                @if let Some(g) = &s.grade {
                    p {
                        strong { "Graded by " (g.username) ": " }
                        (given.values().sum::<u32>()) " of " (criteria.iter().map(|c| c.2).sum::<u32>()) " points"
                        @if !g.comment.is_empty() { ". Comment: " (g.comment) }
                    }
                }
                // A rubric's points scale to the answer expectation's: say by how much.
                @if s.kind == Kind::Answer {
                    @let rubric: u32 = criteria.iter().map(|c| c.2).sum();
                    @if let Some(e) = answer_expectation(&app, s).filter(|e| rubric > 0 && e.points != rubric) {
                        p.muted { "The rubric's " (rubric) " points scale to the " (e.points) " points of «" (e.text.get("en")) "»: each rubric point is worth " (format!("{:.1}", f64::from(e.points) / f64::from(rubric))) "." }
                    }
                }
                @if grades {
                    form method="post" action={ "/grading/" (s.id) } {
                        @if criteria.is_empty() {
                            p.muted { "The scenario gives this team no report expectation: a comment only." }
                        }
                        table {
                            thead { tr { th { "Criterion" } th { "Points" } } }
                            tbody {
                                @for (id, text, max) in &criteria {
                                    @let field = format!("s{}-{id}", s.id);
                                    tr {
                                        td { label for=(field) { (text) } }
                                        td.num {
                                            @if s.kind == Kind::Report {
                                                input id=(field) type="number" name={ "points." (id) } min="0" max=(max) step="1"
                                                    value=[given.get(id)];
                                            } @else {
                                                input id=(field) type="number" name={ "points." (id) } min="0" max=(max) step="1" required
                                                    value=(given.get(id).copied().unwrap_or(0));
                                            }
                                            " of " (max)
                                        }
                                    }
                                }
                            }
                        }
                        p {
                            label for={ "s" (s.id) "-comment" } { "Comment for the team" } br;
                            textarea id={ "s" (s.id) "-comment" } name="comment" rows="3" cols="80" maxlength=(GRADE_COMMENT_CHARS) {
                                (s.grade.as_ref().map_or("", |g| g.comment.as_str()))
                            }
                        }
                        button type="submit" { @if s.grade.is_some() { "Change grade" } @else { "Grade" } }
                    }
                }
            }
        }
    };
    let body = html! {
        h1 { "Grading" }
        p.muted {
            "Reports and written answers: those waiting oldest first, those graded newest first. Choices and indicators are graded automatically and do not appear here. "
            "On a report, leave an expectation blank if the report is not about it."
        }
        @if before.is_none() {
            h2 { "Waiting (" (waiting_count) ")" }
            @if waiting.is_empty() { p.muted { "Nothing waits for a grade." } }
            @for s in &waiting { (entry(s)) }
            @if waiting_count as usize > waiting.len() {
                p.muted { "The oldest " (waiting.len()) " are shown; the next come as these are graded." }
            }
        }
        h2 { "Graded (" (done_count) ")" }
        @if done.is_empty() { p.muted { "Nothing graded yet." } }
        @for s in &done { (entry(s)) }
        (html::pager("/grading", before, done.len(), REPORTS_PAGE, done.last().map(|s| s.id)))
    };
    html::page(&app.live, "Grading", Some(&user), &body).into_response()
}

/// Grades a submission: points per criterion within each criterion's maximum, and a comment.
pub(crate) async fn grade<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let points: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("points.")?.to_owned(), v.clone())))
        .collect();
    let comment = fields
        .iter()
        .find(|(k, _)| k == "comment")
        .map_or("", |(_, v)| v.as_str());
    match atoll_app::reports::grade(&app, &user, id, &points, comment).await {
        Ok(_) => Redirect::to("/grading").into_response(),
        Err(e) => html::problem(html::status_of(e.kind), &e.to_string()),
    }
}

/// The expectation that scores an answer for its team, if one does.
fn answer_expectation<S>(app: &App<S>, s: &Submission) -> Option<&'static Expectation> {
    let scenario: &'static atoll_scenario::Scenario = app.live.scenario;
    scenario.expectations.iter().find(|e| {
        e.answer.as_ref().is_some_and(|q| q.name == s.subject)
            && (e.teams.is_empty() || e.teams.iter().any(|t| t.name == s.team))
    })
}
