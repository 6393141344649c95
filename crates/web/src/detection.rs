//! The white cell's view of the exercise's detection content (`/detection`): every rule of the
//! pack and of added folders, on or off in this exercise and why, with its level, status,
//! author and ATT&CK techniques, filtered and a page at a time; the choice that decided it; the
//! pack's SigmaHQ release and licence. Instructors turn a rule on or off while the exercise
//! runs (`/detection/switch`): stored first, then in force for every team from the current
//! exercise time, and replayed at start-up.
//!
//! Players do not see it: which rules are on tells what the exercise expects to be found.

use std::sync::Arc;

use atoll_sigma::Level;
use atoll_store::Role;
use atoll_store::Store;
use axum::extract::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{Instructor, Staff};
use crate::pages::short;
use atoll_app::rules::CatalogRow;

use crate::{App, html};

/// Rules per page.
const PAGE: usize = 100;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RulesQuery {
    /// `on`, `off` or empty for both.
    #[serde(default)]
    show: String,
    /// Words looked for in the id, title, author and techniques.
    #[serde(default)]
    q: String,
    /// The lowest level shown.
    #[serde(default)]
    level: String,
    #[serde(default)]
    page: String,
}

pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    Staff(user): Staff,
    Query(query): Query<RulesQuery>,
) -> Response {
    let Some((catalog, _)) = app.live.detection() else {
        return html::problem(
            StatusCode::NOT_FOUND,
            "This server was started without the rule catalog, so it cannot list it.",
        );
    };
    let asked = atoll_app::rules::CatalogFilter {
        show: query.show.clone(),
        q: query.q.clone(),
        level: query.level.clone(),
    };
    let listed = match atoll_app::rules::catalog(&app, &asked).await {
        Ok(listed) => listed,
        Err(e) => return html::failure(&e),
    };
    let (rows, on, all) = (listed.rows, listed.on, listed.all);
    let show = match query.show.trim() {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    };
    let page_no = query.page.parse::<usize>().unwrap_or(0).min(1000);
    let shown: Vec<&CatalogRow> = rows.iter().skip(page_no * PAGE).take(PAGE).collect();
    let link = |page: usize| {
        let pairs = [
            ("show", query.show.as_str()),
            ("q", query.q.as_str()),
            ("level", query.level.as_str()),
            ("page", &page.to_string()),
        ];
        let pairs: Vec<_> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        format!("/detection?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
    };
    let errors = catalog.errors.len();
    let instructor = user.role == Role::Instructor;
    let body = html! {
        h1 { "Detection rules" }
        p {
            strong { (on) } " of " (all) " rules are on in this exercise. "
            "The pack inside atoll holds " (atoll_rules::sigmahq_version()) " (Detection Rule License 1.1: each rule's author is shown with its alerts) and atoll's own rules. "
            "The scenario's " code { "detection:" } " section chooses which raise alerts; instructors turn one on or off here while the exercise runs (for every team, from now on: alerts already raised stay); teams add their own on their Rules page."
        }
        @if errors > 0 {
            p.muted { (errors) " rule files could not be run by this engine and are left out (" code { "atoll rules list" } " names them)." }
        }
        form.filters method="get" action="/detection" role="search" aria-label="Filter rules" {
            label { "Show " select name="show" {
                option value="" selected[show.is_none()] { "on and off" }
                option value="on" selected[show == Some(true)] { "on" }
                option value="off" selected[show == Some(false)] { "off" }
            } }
            " "
            label { "Level " select name="level" {
                option value="" selected[query.level.trim().is_empty()] { "any" }
                @for l in Level::NAMES { option value=(l) selected[query.level == l] { (l) " or above" } }
            } }
            " "
            label { "Words " input type="search" name="q" size="24" value=(query.q) placeholder="ntdsutil, T1003, Florian"; }
            " " button type="submit" { "Show" }
        }
        p { (rows.len()) " rules match." }
        table {
            thead { tr { th { "Rule" } th { "Level" } th { "Status" } th { "Author" } th { "ATT&CK" } th { "From" } th { "On" } th { "Why" } } }
            tbody {
                @for r in &shown {
                    @let level = r.level.map_or("", Level::as_str);
                    tr {
                        td { (r.title) br; span.muted.mono { (r.id) } }
                        td class={ "level-" (level) } { (level) }
                        td { (r.status) }
                        td { (short(&r.author, 60)) }
                        td { (r.techniques) }
                        td { (r.origin) }
                        td {
                            @if r.on { strong { "on" } } @else { "off" }
                            @if instructor && r.switchable {
                                form.inline method="post" action="/detection/switch" {
                                    input type="hidden" name="rule" value=(r.id);
                                    input type="hidden" name="on" value=(if r.on { "off" } else { "on" });
                                    " " button type="submit" aria-label={ "Turn " (if r.on { "off" } else { "on" }) " " (r.title) } { "Turn " (if r.on { "off" } else { "on" }) }
                                }
                            }
                        }
                        td.muted { (r.why) }
                    }
                }
            }
        }
        p {
            @if page_no > 0 { a href=(link(page_no - 1)) { "Previous " (PAGE) } " " }
            @if (page_no + 1) * PAGE < rows.len() { a href=(link(page_no + 1)) rel="next" { "Next " (PAGE) } }
        }
    };
    html::page(&app.live, "Detection rules", Some(&user), &body).into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct SwitchForm {
    rule: Option<String>,
    on: Option<String>,
}

/// Turns a rule on or off for every team from the current exercise time: stored first, then
/// in force (a restart replays it).
pub(crate) async fn switch<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Form(form): Form<SwitchForm>,
) -> Response {
    let on = match form.on.as_deref() {
        Some("on") => true,
        Some("off") => false,
        _ => return html::problem(StatusCode::BAD_REQUEST, "on: say on or off."),
    };
    let rule = form.rule.unwrap_or_default();
    match atoll_app::rules::switch_shared(&app, &user, &rule, on).await {
        // Back to the rule, by its id, to see the change and why.
        Ok(()) => Redirect::to(&format!(
            "/detection?{}",
            serde_urlencoded::to_string([("q", rule.as_str())]).unwrap_or_default()
        ))
        .into_response(),
        Err(e) => html::failure(&e),
    }
}
