//! atoll's web server: sign-in, the white cell's board, clock, timelines, messages and grading,
//! and each team's inbox, alerts, hunt (with saved searches), own detection rules, network,
//! response, cases, questions, reports and score.
//!
//! Server-rendered HTML (maud), one small stylesheet and one small script (live updates over
//! server-sent events; every page works without it) inside the binary, fingerprinted; no
//! request leaves the server's origin. Every page is reached through an extractor that
//! authorises it — [`auth::Signed`] (anyone signed in), [`auth::Staff`] (instructors and
//! observers), [`auth::Instructor`], [`auth::TeamView`] (the team in the path: its players,
//! instructors, observers) and its narrower forms [`auth::TeamActor`], [`auth::TeamPlayer`],
//! [`auth::StaffTeamView`] — so a handler cannot forget the check. State-changing requests
//! must come from a page of this server (`Sec-Fetch-Site` / `Origin`), and sign-in failures
//! are counted in the database per account and per address. A request for a host name the
//! server does not answer to is refused first ([`site`]).

mod alerts;
pub mod api;
mod audit;
pub mod auth;
mod board;
mod briefing;
mod cases;
mod detection;
mod feedback;
mod html;
mod hunt;
mod inbox;
mod invite;
mod messages;
mod network;
mod pages;
mod people;
mod questions;
mod report;
mod reports;
mod respond;
mod rules;
mod score;
mod scoreboard;
mod searches;
pub mod site;
mod suppress;
mod timeline;
mod tokens;
mod updates;

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_store::Store;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse as _;
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use atoll_app::{App, Live, Seen, clock_now, run_clock};
pub use site::Site;

/// When play ended, as people read it (`D1 17:30`), if it has.
fn ended_at<S>(app: &App<S>) -> Option<String> {
    app.live.ended().map(|at| app.live.when(ExerciseMs(at)))
}

/// Fields of the team's forms that hold what someone typed: shown back when a write is
/// refused, so that nothing typed is lost.
const TYPED: &[&str] = &[
    "title",
    "subject",
    "body",
    "text",
    "note",
    "reason",
    "yaml",
    "indicators",
    "indicator",
    "q",
    "name",
    "value",
    "comment",
    "what",
    "when",
    "impact",
    "actions",
    "next_steps",
];

/// The one answer to a team's write once play has ended (`409 Conflict`; the API answers it
/// as JSON): the message, what was typed (`typed`: field and text, not stored), and the way
/// back to the page the form was on.
fn play_over(live: &Live, at: &str, typed: &[(String, String)], back: &str) -> axum::response::Response {
    let message = format!(
        "Play ended at {at}: nothing more can be handed in or changed. Every page stays open to read, and scores are final."
    );
    let body = maud::html! {
        h1 { "Play has ended" }
        p.error role="alert" id="problem" { (message) }
        @if !typed.is_empty() {
            h2 { "What you sent (not stored)" }
            @for (name, text) in typed {
                p { strong { (name) } }
                blockquote.sent { (text) }
            }
        }
        p { a href=(back) { "Back to the page" } }
    };
    let mut response = (
        axum::http::StatusCode::CONFLICT,
        html::page(live, "Play has ended", None, &body),
    )
        .into_response();
    response.extensions_mut().insert(html::Refusal(message));
    response
}

/// Whether a request writes to a team (`POST` under `/teams/` or `/api/v1/teams/`). The rules
/// page's own address is left to it: testing a rule stays open after play, turning one on
/// does not (and [`atoll_app::rules::turn_on`] refuses it too).
fn writes_to_a_team(method: &axum::http::Method, path: &str) -> bool {
    let (api, path) = match path.strip_prefix(api::BASE) {
        Some(rest) => (true, rest),
        None => (false, path),
    };
    let Some(rest) = path.strip_prefix("/teams/") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    // Testing a rule stays open after play (the debrief): the page's rules form also tests
    // one (its handler refuses only turning one on), and the API tests at its own address.
    let testing = if api {
        parts[1..] == ["rules", "test"]
    } else {
        parts[1..] == ["rules"]
    };
    method == axum::http::Method::POST && parts.len() > 1 && !testing
}

/// The path of the page a form was sent from (this server's own, by `same_origin_only`), or
/// the start page.
fn sent_from(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://"))
        .and_then(|(_, rest)| rest.find('/').map(|at| rest[at..].to_owned()))
        .unwrap_or_else(|| "/".to_owned())
}

/// Middleware: once play has ended, every write to a team — its pages' forms, the API's team
/// paths, the white cell's step changes — is refused with one message ([`play_over`]) and
/// changes nothing. Reading stays open.
async fn closed_after_play<S: Store>(
    axum::extract::State(app): axum::extract::State<Arc<App<S>>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if !writes_to_a_team(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let Some(at) = ended_at(&app) else {
        return next.run(request).await;
    };
    let back = sent_from(request.headers());
    let typed: Vec<(String, String)> = if request.uri().path().starts_with(api::BASE) {
        Vec::new()
    } else {
        let body = axum::body::to_bytes(request.into_body(), 256 * 1024)
            .await
            .unwrap_or_default();
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .unwrap_or_default()
            .into_iter()
            .filter(|(name, text)| TYPED.contains(&name.as_str()) && !text.trim().is_empty())
            .collect()
    };
    play_over(&app.live, &at, &typed, &back)
}

/// The span of one request, for its log lines: a number, the method, the route as written in
/// the router (`/teams/{team}/alerts/{n}`: never a path's own values, which can be invitation
/// tokens), and who made it once signed in (`user`, `role`, `team`, recorded by `Signed`).
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("(no route)", |p| p.as_str());
    tracing::info_span!(
        "request",
        id,
        method = %request.method(),
        route,
        user = tracing::field::Empty,
        role = tracing::field::Empty,
        team = tracing::field::Empty,
    )
}

/// An address with no page: a page that says so (the API answers in JSON, `api::json_errors`).
async fn no_page(uri: axum::http::Uri) -> axum::response::Response {
    if api::is_api(uri.path()) {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    html::problem(
        axum::http::StatusCode::NOT_FOUND,
        "There is no page at this address. Your start page links every page you may open.",
    )
}

/// A page asked for with a method it does not take (most often: an address that receives a
/// form, opened as a link).
async fn wrong_method(uri: axum::http::Uri) -> axum::response::Response {
    if api::is_api(uri.path()) {
        return axum::http::StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    html::problem(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "This address receives a form; it is not a page to open. Use the buttons on the pages instead.",
    )
}

/// Every route of the server, reached as `site` says.
pub fn router<S: Store>(app: Arc<App<S>>, site: Site) -> Router {
    let body_timeout = site.body_timeout();
    Router::new()
        .route("/", get(pages::home::<S>))
        .route("/briefing", get(briefing::page::<S>))
        .route("/login", get(auth::login_page::<S>).post(auth::login::<S>))
        .route("/logout", post(auth::logout::<S>))
        .route("/board", get(board::board::<S>))
        .route("/clock", post(board::clock::<S>))
        .route("/people", get(people::page::<S>))
        .route("/audit", get(audit::page::<S>))
        .route("/audit.jsonl", get(audit::export::<S>))
        .route("/messages", get(messages::page::<S>).post(messages::send::<S>))
        .route("/messages/inject", post(messages::send_inject::<S>))
        .route("/teams/{team}/messages", post(messages::reply::<S>))
        .route("/people/end", post(people::end::<S>))
        .route("/people/follows", post(people::follows::<S>))
        .route("/people/invite", post(invite::create::<S>))
        .route("/people/invite/team", post(invite::create_team::<S>))
        .route("/people/invitations/{id}/revoke", post(invite::revoke::<S>))
        .route("/invite/{token}", get(invite::page::<S>).post(invite::join::<S>))
        .route("/teams/{team}", get(alerts::queue::<S>))
        .route("/teams/{team}/alerts", post(alerts::triage::<S>))
        .route("/teams/{team}/alerts/bulk", post(alerts::bulk::<S>))
        .route("/teams/{team}/alerts/case", post(alerts::link::<S>))
        .route("/teams/{team}/alerts/{n}", get(alerts::page::<S>))
        .route("/teams/{team}/suppressions", get(suppress::page::<S>).post(suppress::create::<S>))
        .route("/teams/{team}/suppressions/{id}/end", post(suppress::end::<S>))
        .route("/detection", get(detection::page::<S>))
        .route("/detection/switch", post(detection::switch::<S>))
        .route("/teams/{team}/inbox", get(inbox::page::<S>))
        .route("/teams/{team}/hunt", get(hunt::hunt::<S>))
        .route("/teams/{team}/respond", get(respond::page::<S>).post(respond::act::<S>))
        .route("/teams/{team}/score", get(score::page::<S>))
        .route("/teams/{team}/absent", post(board::absent::<S>))
        .route("/teams/{team}/network", get(network::page::<S>))
        .route("/teams/{team}/timeline", get(timeline::page::<S>).post(timeline::change::<S>))
        .route("/teams/{team}/questions", get(questions::page::<S>).post(questions::answer::<S>))
        .route("/teams/{team}/hints", post(questions::open_hint::<S>))
        .route("/teams/{team}/reports", get(reports::page::<S>).post(reports::send::<S>))
        .route("/teams/{team}/cases", get(cases::list::<S>).post(cases::open::<S>))
        .route("/teams/{team}/cases/event", post(cases::link_event::<S>))
        .route("/teams/{team}/cases/{id}", get(cases::page::<S>).post(cases::add::<S>))
        .route("/teams/{team}/rules", get(rules::page::<S>).post(rules::submit::<S>))
        .route("/teams/{team}/rules/{id}/off", post(rules::off::<S>))
        .route("/teams/{team}/searches", post(searches::save::<S>))
        .route("/teams/{team}/searches/{id}/delete", post(searches::delete::<S>))
        .route("/scoreboard", get(scoreboard::page::<S>).post(scoreboard::show::<S>))
        .route("/report", get(report::exercise_page::<S>))
        .route("/feedback", get(feedback::page::<S>).post(feedback::give::<S>))
        .route("/documents/{which}", get(report::document::<S>))
        .route("/report/release", post(report::release::<S>))
        .route("/report/download", get(report::download_exercise::<S>))
        .route("/lessons", post(report::add_lesson::<S>))
        .route("/lessons/{id}/remove", post(report::remove_lesson::<S>))
        .route("/teams/{team}/report", get(report::team_page::<S>))
        .route("/teams/{team}/report/download", get(report::download_team::<S>))
        .route("/teams/{team}/lessons", post(report::add_team_lesson::<S>))
        .route("/teams/{team}/lessons/{id}/remove", post(report::remove_team_lesson::<S>))
        .route("/grading", get(reports::queue::<S>))
        .route("/grading/{id}", post(reports::grade::<S>))
        .route("/live", get(updates::staff::<S>))
        .route("/teams/{team}/live", get(updates::team::<S>))
        .route("/assets/{name}", get(html::assets))
        .route("/account", get(tokens::page::<S>).post(tokens::create::<S>))
        .route("/account/tokens/{id}/revoke", post(tokens::revoke::<S>))
        .route("/account/sessions/{id}/end", post(tokens::end_session::<S>))
        .route("/api/v1/invitations/{id}/revoke", post(api::revoke_invitation::<S>))
        .merge(api::routes::<S>())
        .fallback(no_page)
        .method_not_allowed_fallback(wrong_method)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    |response: &axum::response::Response, latency: std::time::Duration, _: &tracing::Span| {
                        tracing::info!(
                            status = response.status().as_u16(),
                            latency_ms = latency.as_millis() as u64,
                            "answered"
                        );
                    },
                )
                .on_failure(()),
        )
        .layer(axum::middleware::from_fn_with_state(app.clone(), closed_after_play::<S>))
        .layer(axum::middleware::from_fn(auth::same_origin_only))
        // Before anything reads the request: only host names the server answers to, and what
        // a proxy says only from a trusted one.
        .layer(axum::middleware::from_fn_with_state(Arc::new(site), site::reached))
        .layer(axum::middleware::from_fn(api::json_errors))
        // A body that does not arrive in time fails its read (the form or JSON is refused).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(body_timeout))
        // Nothing on a page may load from anywhere but this server, run inline script, or be
        // framed by another site.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        // Team data (TLP:RED reports among it) never stays in a browser's or a proxy's cache;
        // only the fingerprinted assets say otherwise.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        // Pages shrink several times over for satellite links (brotli or gzip, as the browser asks).
        .layer(CompressionLayer::new())
        .with_state(app)
}
