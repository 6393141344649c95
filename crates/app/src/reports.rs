//! Incident reports and the white cell's grades of reports and of answers written in free text.
//!
//! A grade can be changed; the newest counts. A report credited for a step's incident tells
//! the team's world that the team found the step ("detected … or a report naming it").

use std::collections::BTreeMap;
use std::sync::Arc;

use atoll_exercise::answers::{REPORT_RECIPIENTS, Report, TLP};
use atoll_scenario::model::Expectation;
use atoll_store::{AtMost, Grade, Kind, Store, StoreError, Submission, User};

use crate::limits::{GRADE_COMMENT_CHARS, REPORT_FIELD_CHARS, REPORT_TITLE_CHARS, TEAM_REPORTS};
use crate::{App, Error, Result, clock_now};

/// The report expectations that apply to a team.
pub fn report_expectations<'s>(scenario: &'s atoll_scenario::Scenario, team: &str) -> Vec<&'s Expectation> {
    scenario
        .expectations
        .iter()
        .filter(|e| e.report.is_some())
        .filter(|e| e.teams.is_empty() || e.teams.iter().any(|t| t.name == team))
        .collect()
}

/// What a submission is graded on: a question's rubric, or the team's report expectations.
/// (id, text, maximum points) each.
pub fn criteria<S>(app: &App<S>, s: &Submission) -> Vec<(String, String, u32)> {
    let scenario = app.live.scenario;
    match s.kind {
        Kind::Answer => scenario
            .questions
            .iter()
            .find(|q| q.id.name == s.subject)
            .and_then(|q| q.free_text.as_ref())
            .map(|ft| {
                ft.rubric
                    .iter()
                    .map(|c| (c.id.name.clone(), c.text.get("en").to_owned(), c.points))
                    .collect()
            })
            .unwrap_or_default(),
        Kind::Report => report_expectations(scenario, &s.team)
            .into_iter()
            .map(|e| (e.id.name.clone(), e.text.get("en").to_owned(), e.points))
            .collect(),
    }
}

/// Whether the white cell grades a submission: reports, and answers in free text.
pub fn graded_by_hand<S>(app: &App<S>, s: &Submission) -> bool {
    match s.kind {
        Kind::Report => true,
        Kind::Answer => app
            .live
            .scenario
            .questions
            .iter()
            .any(|q| q.id.name == s.subject && q.free_text.is_some()),
    }
}

/// What is wrong with a report, by field.
fn check(title: &str, report: &Report) -> Result<()> {
    if title.trim().is_empty() || title.chars().count() > REPORT_TITLE_CHARS {
        return Err(Error::invalid(
            "title",
            format!("give the report a title of at most {REPORT_TITLE_CHARS} characters"),
        ));
    }
    if !REPORT_RECIPIENTS.iter().any(|(id, _)| *id == report.to) {
        return Err(Error::invalid("to", "choose who the report is for"));
    }
    if !TLP.contains(&report.tlp.as_str()) {
        return Err(Error::invalid("tlp", "choose a TLP marking"));
    }
    if report.what.trim().is_empty() {
        return Err(Error::invalid("what", "say what happened"));
    }
    let fields = [
        ("what", &report.what),
        ("when", &report.when),
        ("impact", &report.impact),
        ("actions", &report.actions),
        ("indicators", &report.indicators),
        ("next_steps", &report.next_steps),
    ];
    match fields
        .iter()
        .find(|(_, text)| text.chars().count() > REPORT_FIELD_CHARS)
    {
        Some((name, _)) => Err(Error::invalid(
            name,
            format!("keep each field to {REPORT_FIELD_CHARS} characters at most"),
        )),
        None => Ok(()),
    }
}

/// Player `user` of team `index` hands in `report` titled `title` now. Returns it as stored.
pub async fn send<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &User,
    title: &str,
    report: &Report,
) -> Result<Submission> {
    let title = title.trim();
    check(title, report)?;
    let worker = app.clone();
    let clock = tokio::task::spawn_blocking(move || worker.live.clock())
        .await
        .map_err(|_| Error::failed("The report could not be stored."))?;
    if matches!(clock.state, atoll_exercise::State::Ended { .. }) {
        return Err(Error::conflict("Play has ended; reports are no longer taken."));
    }
    let at = clock.now(app.live.wall_now());
    let body = serde_json::to_string(report).map_err(|_| Error::failed("The report could not be stored."))?;
    let team = app.live.team_id(index);
    let id = app
        .db
        .submit(
            app.live.exercise,
            &team,
            Kind::Report,
            title,
            &body,
            user.id,
            at,
            clock_now(),
            AtMost::all(TEAM_REPORTS),
        )
        .await
        .map_err(|e| match e {
            StoreError::TooMany => Error::too_many(
                Some("title"),
                format!(
                    "your team has handed in {TEAM_REPORTS} reports, the most an exercise takes; this one was not sent. Keep its text, and tell an instructor in the room."
                ),
            ),
            _ => Error::unavailable("The report could not be stored; send it again."),
        })?;
    Ok(Submission {
        id,
        team,
        kind: Kind::Report,
        subject: title.to_owned(),
        body,
        username: user.username.clone(),
        at,
        grade: None,
    })
}

/// Instructor `user` grades submission `id` (a report, or an answer written in free text):
/// `points` by criterion id (as typed: a report may leave an expectation blank, which leaves
/// it out), and a comment the team reads. Stored, written to the audit log, and a report
/// credited for a step's incident detects the step. Returns the submission with its grade.
pub async fn grade<S: Store>(
    app: &Arc<App<S>>,
    user: &User,
    id: i64,
    points: &[(String, String)],
    comment: &str,
) -> Result<Submission> {
    let all = app.db.submissions(app.live.exercise, None).await?;
    let Some(mut s) = all.into_iter().find(|s| s.id == id && graded_by_hand(app, s)) else {
        return Err(Error::not_found("No such report or written answer in this exercise."));
    };
    if let Some((unknown, _)) = points
        .iter()
        .find(|(c, _)| !criteria(app, &s).iter().any(|(id, _, _)| id == c))
    {
        return Err(Error::invalid(
            &format!("points.{unknown}"),
            "not something this is graded on; nothing was stored.",
        ));
    }
    let mut given: BTreeMap<String, u32> = BTreeMap::new();
    for (criterion, text, max) in criteria(app, &s) {
        let raw = points
            .iter()
            .find(|(c, _)| *c == criterion)
            .map_or("", |(_, v)| v.trim());
        // A report need not count for every report expectation: blank leaves one out.
        if raw.is_empty() && s.kind == Kind::Report {
            continue;
        }
        match raw.parse::<u32>() {
            Ok(p) if p <= max => {
                given.insert(criterion, p);
            }
            _ => {
                return Err(Error::invalid(
                    &format!("points.{criterion}"),
                    format!("give whole points from 0 to {max} for «{text}»; nothing was stored."),
                ));
            }
        }
    }
    let comment = comment.trim();
    if comment.chars().count() > GRADE_COMMENT_CHARS {
        return Err(Error::invalid(
            "comment",
            format!("keep it to {GRADE_COMMENT_CHARS} characters at most; nothing was stored."),
        ));
    }
    let points_json = serde_json::to_string(&given).map_err(|_| Error::failed("The grade could not be stored."))?;
    let now = clock_now();
    app.db
        .grade(app.live.exercise, id, &points_json, comment, user.id, now)
        .await
        .map_err(|_| Error::unavailable("The grade could not be stored; try again."))?;
    let what = match s.kind {
        Kind::Report => "report",
        Kind::Answer => "written answer",
    };
    let total: u32 = given.values().sum();
    let detail = format!("graded {what} #{id} «{}»: {total} points", s.subject);
    crate::audit::record(app, user, "grade", Some(&s.team), &detail).await;
    // A report credited for a step's incident tells the team's world that the team found it.
    if s.kind == Kind::Report
        && let Some(index) = app.live.scenario.player_teams().position(|t| t.id.name == s.team)
    {
        for (expectation, _) in given.iter().filter(|&(_, &p)| p > 0) {
            let step = app
                .live
                .scenario
                .expectations
                .iter()
                .find(|e| e.id.name == *expectation)
                .and_then(|e| e.report.as_ref())
                .map(|r| r.step.name.clone());
            if let Some(step) = step {
                crate::facts::detected(app, index, step, "report", user.id).await;
            }
        }
    }
    s.grade = Some(Grade {
        points: points_json,
        comment: comment.to_owned(),
        username: user.username.clone(),
        created_at: now,
    });
    Ok(s)
}
