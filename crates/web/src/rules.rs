//! A team's own detections: a Sigma rule written in the browser, tested against the team's
//! events so far, then turned on to raise alerts on new events like atoll's rules do (and
//! turned off again). Rules are stored as written and replayed at start-up from the time each
//! was turned on, so a restart raises the same alerts.

use std::sync::Arc;

use atoll_app::rules::{Tested, compile};
use atoll_exercise::ExerciseMs;
use atoll_store::{Role, Store};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::{TeamActor, TeamView};

use crate::{App, html};
use atoll_app::limits::{RULES_OFF_PAGE, TEAM_RULES_STORED, left, near, newest_page};

/// What the form starts with: a rule to adapt, not one that finds this scenario's attack.
const EXAMPLE: &str = "\
title: Scheduled task created from the command line
description: schtasks.exe asked to create a task; admins do this, and so do intruders who want to come back.
level: medium
tags:
  - attack.t1053.005
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\\schtasks.exe'
    CommandLine|contains: '/create'
  condition: selection
";

/// What the page shows besides the team's rules.
#[derive(Default)]
struct Draft<'a> {
    yaml: &'a str,
    problems: Vec<String>,
    /// The test's result, or why there is none.
    tested: Option<Result<Tested, String>>,
    /// The page of rules turned off: those below this id.
    before: Option<i64>,
}

/// Which page of the rules turned off to show.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RulesPage {
    before: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RuleForm {
    yaml: Option<String>,
    /// `test` or `on`.
    action: Option<String>,
}

/// The team's rules and the form to write one.
pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Query(asked): Query<RulesPage>,
) -> Response {
    let before = match html::before(asked.before.as_deref()) {
        Ok(before) => before,
        Err(page) => return *page,
    };
    let draft = Draft {
        before,
        ..Draft::default()
    };
    render(&app, &view, draft).await
}

/// Tests a rule over the team's events, or turns it on.
pub(crate) async fn submit<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<RuleForm>,
) -> Response {
    let yaml = form.yaml.unwrap_or_default();
    let set = match compile(&yaml) {
        Ok(set) => set,
        Err(problems) => {
            let draft = Draft {
                yaml: &yaml,
                problems,
                tested: None,
                before: None,
            };
            return render(&app, &view, draft).await;
        }
    };
    let ended = crate::ended_at(&app);
    match form.action.as_deref() {
        // Testing a rule stays open after play (the debrief); turning one on does not.
        Some("on") => match ended {
            Some(at) => crate::play_over(
                &app.live,
                &at,
                &[("yaml".to_owned(), yaml.clone())],
                &format!("/teams/{}/rules", app.live.team_id(view.team)),
            ),
            None => match atoll_app::rules::turn_on(&app, view.team, &view.user, &yaml).await {
                Ok(on) => Redirect::to(&format!("/teams/{}/rules#rule-{}", app.live.team_id(view.team), on.id))
                    .into_response(),
                // Refused (too many rules, say): the rule comes back in the form.
                Err(e) if e.is_refusal() => {
                    let draft = Draft {
                        yaml: &yaml,
                        problems: vec![e.to_string()],
                        tested: None,
                        before: None,
                    };
                    let mut page = render(&app, &view, draft).await;
                    *page.status_mut() = html::status_of(e.kind);
                    page
                }
                Err(e) => html::failure(&e),
            },
        },
        _ => {
            // The ground truth tells the white cell how good a team's rule is; a player would
            // learn from it which events are the attack, so players see it once play ends.
            let truth = view.user.role != atoll_store::Role::Player || ended.is_some();
            let tested = atoll_app::rules::test(&app, view.team, set, truth).await;
            let draft = Draft {
                yaml: &yaml,
                problems: Vec::new(),
                tested: Some(tested),
                before: None,
            };
            render(&app, &view, draft).await
        }
    }
}

/// Turns one of the team's rules off from the current exercise time.
pub(crate) async fn off<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    match atoll_app::rules::turn_off(&app, view.team, &view.user, id).await {
        Ok(()) => Redirect::to(&format!("/teams/{}/rules#rule-{id}", app.live.team_id(view.team))).into_response(),
        Err(e) => html::failure(&e),
    }
}

async fn render<S: Store>(app: &Arc<App<S>>, view: &TeamView, draft: Draft<'_>) -> Response {
    let team_id = app.live.team_id(view.team);
    let Ok(rules) = app.db.team_rules(app.live.exercise, Some(&team_id)).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The team's rules could not be read; try again.",
        );
    };
    // Alerts each rule raised so far.
    let worker = app.clone();
    let team = view.team;
    let raised: Vec<i64> = tokio::task::spawn_blocking(move || {
        worker
            .live
            .team(team)
            .alerts()
            .iter()
            .filter_map(atoll_exercise::Alert::team_rule)
            .collect()
    })
    .await
    .unwrap_or_default();
    let label = |at: u64| app.live.when(ExerciseMs(at));
    let acts = view.user.role != Role::Observer;
    let refused = !draft.problems.is_empty();
    // The rules on (a few dozen at most), newest first, then a page of those turned off:
    // each is shown with its text.
    let off = newest_page(
        rules.iter().filter(|r| r.off.is_some()),
        |r| r.id,
        draft.before,
        RULES_OFF_PAGE,
    );
    let shown: Vec<_> = rules
        .iter()
        .rev()
        .filter(|r| r.off.is_none() && draft.before.is_none())
        .chain(off.iter().copied())
        .collect();
    let pager = html::pager(
        &format!("/teams/{team_id}/rules"),
        draft.before,
        off.len(),
        RULES_OFF_PAGE,
        off.last().map(|r| r.id),
    );
    let body = html! {
        h1 { "Detection rules — " (app.live.team_name(view.team)) }
        p.muted {
            "Write a Sigma rule, test it against your team's events so far, then turn it on: from then on it raises alerts on new events, as atoll's rules do, with your rule's author and level. "
            "Rules see the events of their log source ("
            code { "product: windows" } ", " code { "category: process_creation" } ", " code { "service: security" } ", …)."
        }
        @if acts {
            form method="post" action={ "/teams/" (team_id) "/rules" } {
                @if refused {
                    div.error role="alert" id="problem" {
                        @for p in &draft.problems { (p) "\n" }
                    }
                }
                p {
                    label for="yaml" { "Sigma rule (YAML)" } br;
                    textarea #yaml name="yaml" rows="16" cols="90" spellcheck="false" class="mono" required
                        aria-describedby=[refused.then_some("problem")] {
                        @if draft.yaml.is_empty() { (EXAMPLE) } @else { (draft.yaml) }
                    }
                }
                p {
                    button name="action" value="test" { "Test against our events" }
                    " "
                    button name="action" value="on" { "Turn on" }
                }
                @if near(rules.len() as u32, TEAM_RULES_STORED) {
                    p.muted { "Your team can turn on " (left(rules.len() as u32, TEAM_RULES_STORED)) " more rules in this exercise (at most " (TEAM_RULES_STORED) " stored, those turned off included)." }
                }
            }
        }
        @match &draft.tested {
            Some(Ok(t)) => (tested(t)),
            Some(Err(why)) => {
                h2 { "Test result" }
                p.error #test-problem role="alert" { "The rule was not tested: " (why) }
            }
            None => {}
        }
        h2 { "Your team's rules" }
        @if rules.is_empty() {
            p.muted { "No rule turned on yet." }
        } @else {
            table {
                thead { tr { th { "Rule" } th { "On since" } th { "State" } th.num { "Alerts raised" } } }
                tbody {
                    @for r in &shown {
                        tr id={ "rule-" (r.id) } {
                            td {
                                details {
                                    summary { (r.title) }
                                    pre.mono { (r.yaml) }
                                }
                            }
                            td { (label(r.at)) " by " (r.username) }
                            td {
                                @match (&r.off, app.live.rule_problem(r.id)) {
                                    (Some((at, by)), _) => { "off since " (label(*at)) " (" (by) ")" }
                                    (None, Some(problem)) => {
                                        strong.level-high { "not running" }
                                        ": this version of atoll could not read it again when the server restarted (" (problem) "). Write it again and turn it on; turn this one off."
                                        @if acts {
                                            " "
                                            form.inline method="post" action={ "/teams/" (team_id) "/rules/" (r.id) "/off" } {
                                                button type="submit" { "Turn off" }
                                            }
                                        }
                                    }
                                    (None, None) => {
                                        strong { "on" }
                                        @if acts {
                                            " "
                                            form.inline method="post" action={ "/teams/" (team_id) "/rules/" (r.id) "/off" } {
                                                button type="submit" { "Turn off" }
                                            }
                                        }
                                    }
                                }
                            }
                            td.num { (raised.iter().filter(|&&id| id == r.id).count()) }
                        }
                    }
                }
            }
            (pager)
        }
    };
    let problem = refused.then(|| draft.problems.join("\n"));
    html::form_page(
        html::heading(app, &view.user).await,
        "Detection rules",
        &view.user,
        problem.as_deref(),
        &body,
    )
}

fn tested(t: &Tested) -> Markup {
    html! {
        h2 { "Test result" }
        p {
            strong #matched { (t.matched) } " of your team's " (t.events) " events so far match."
            @if t.matched == 0 { " Check the log source and the field names (the Hunt page lists the fields your events have)." }
        }
        @if let Some(truth) = &t.truth {
            h2 { "Against what really happened" }
            p #truth {
                strong { (truth.attack) } " matching events were left by the attack; "
                strong { (truth.benign) } " are benign activity, each a false positive it would raise."
            }
            @if !truth.caught.is_empty() {
                p { "It sees these campaign steps: "
                    @for (i, (step, hits, all)) in truth.caught.iter().enumerate() {
                        @if i > 0 { ", " } (step) " (" (hits) " of " (all) " events)"
                    }
                    "." }
            }
            @if !truth.missed.is_empty() {
                p.muted { "Steps that ran and that it misses: " (truth.missed.join(", ")) "." }
            }
        }
        @if !t.by_host.is_empty() {
            table {
                thead { tr { th { "Host" } th.num { "Matching events" } } }
                tbody { @for (host, count) in &t.by_host { tr { td { (host) } td.num { (count) } } } }
            }
        }
        @if !t.newest.is_empty() {
            h2 { "Newest matching events" }
            table {
                thead { tr { th { "Time" } th { "Host" } th { "Event" } } }
                tbody {
                    @for (time, host, fields) in &t.newest {
                        tr {
                            td { (time) }
                            td { (host) }
                            td.ev { details { summary { (crate::pages::short(&fields.replace('\n', " "), 160)) } pre.mono { (fields) } } }
                        }
                    }
                }
            }
        }
    }
}
