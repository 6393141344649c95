//! The page frame, the stylesheet and the small pages every role shares.

use std::sync::LazyLock;

use atoll_exercise::ExerciseMs;
use atoll_store::{Role, User};
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// The whole stylesheet: system fonts only, readable on a 1366×768 screen and on a phone.
const CSS: &str = "\
:root{--fg:#1b1f24;--muted:#55606e;--line:#d5dae0;--accent:#0b5cad;--bad:#a4161a;--warn:#8a5300;--bg:#fff}\
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}\
.banner{background:#7a1010;color:#fff;text-align:center;font-weight:700;letter-spacing:.12em;padding:2px;font-size:12px}\
.ended{margin:0;background:#1d3557;color:#fff;text-align:center;padding:6px 12px}\
header{display:flex;flex-wrap:wrap;gap:12px;align-items:center;padding:8px 16px;border-bottom:1px solid var(--line)}\
header nav{display:flex;gap:12px;flex-wrap:wrap}header .who{margin-left:auto;color:var(--muted)}\
main{padding:12px 16px;max-width:1200px}a{color:var(--accent)}h1{font-size:20px;margin:8px 0}h2{font-size:17px}\
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}\
th{font-size:13px;color:var(--muted)}td.num{text-align:right;font-variant-numeric:tabular-nums}\
.mono,td.ev{font-family:ui-monospace,Consolas,monospace;font-size:13px;word-break:break-all}\
.level-critical,.level-high{color:var(--bad);font-weight:600}.level-medium{color:var(--warn)}\
form.inline{display:inline}button,input,select{font:inherit;padding:4px 8px}input[type=search]{width:min(100%,720px)}\
.error{color:var(--bad);white-space:pre-wrap;font-family:ui-monospace,Consolas,monospace}.muted{color:var(--muted)}\
.login{max-width:340px;margin:40px auto}.login label{display:block;margin:8px 0 2px}.login input{width:100%}\
:focus-visible{outline:3px solid #7a4a00;outline-offset:1px}\
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;z-index:10;background:#fff;padding:4px 8px}\
.hist{display:flex;align-items:flex-end;gap:1px;height:64px;border-bottom:1px solid var(--line);margin:8px 0}\
.hist .bar{flex:1;background:var(--accent);min-height:1px}\
article.inject{border-bottom:1px solid var(--line);padding:4px 0 8px}article.inject h2{margin:6px 0 2px}\
.pre{white-space:pre-wrap}blockquote{margin:4px 0;padding-left:10px;border-left:3px solid var(--line);white-space:pre-wrap}\
.hint{background:#f4f7fb;border-left:3px solid var(--accent);padding:2px 8px;margin:6px 0}fieldset{border:1px solid var(--line)}\
textarea{font:inherit;max-width:100%}dt{font-weight:600;margin-top:4px}dd{margin-left:12px}\
.count:not(:empty){margin-left:4px;background:var(--accent);color:#fff;border-radius:9px;padding:0 6px;font-size:12px}\
.clock{font-variant-numeric:tabular-nums;color:var(--muted)}\
#live-notes{list-style:none;margin:0;padding:4px 16px;background:#f4f7fb;border-bottom:1px solid var(--line)}#live-notes:empty{display:none}\
input,select,pre{max-width:100%}pre{overflow-x:auto}\
.strip{display:flex;flex-wrap:wrap;gap:1px;min-width:100px}.strip span{width:6px;height:14px;background:#2e7d32}\
.strip .part{background:#b26a00}.strip .down{background:var(--bad)}\
form.filters{display:flex;flex-wrap:wrap;gap:4px 10px;align-items:center;margin:8px 0}form.filters input[type=search]{width:auto}form.filters select{max-width:min(22em,80vw)}\
tr.hit{background:#fff4d6}table.fields th{width:14em;word-break:break-all}.done{color:#1e6b24;font-weight:600}\
details.help{background:#f4f7fb;border-left:3px solid var(--accent);padding:2px 10px;margin:6px 0;max-width:72em}details.help summary{cursor:pointer;color:var(--accent)}\
.nowrap{white-space:nowrap}.confirm{background:#fff4d6;border-left:4px solid var(--warn);padding:2px 12px 8px;margin:8px 0}\
@media (max-width:700px){main{padding:8px}header{padding:6px 8px}table{display:block;overflow-x:auto}}";

/// The only script: live updates for pages open in a browser with JavaScript on. It fills
/// every `data-live` element from the server's `update` events and lists `note` events (the
/// five newest) under the header. Pages work the same without it.
const JS: &str = r#"(function () {
  var src = document.body.getAttribute("data-live-src");
  var notes = document.getElementById("live-notes");
  if (!src || !window.EventSource || !notes) return;
  var events = new EventSource(src);
  // A browser keeps only a few connections to one server: give this one back on leaving.
  window.addEventListener("pagehide", function () { events.close(); });
  events.addEventListener("update", function (e) {
    var values = JSON.parse(e.data);
    var shown = document.querySelectorAll("[data-live]");
    for (var i = 0; i < shown.length; i++) {
      var key = shown[i].getAttribute("data-live");
      if (Object.prototype.hasOwnProperty.call(values, key)) shown[i].textContent = values[key];
    }
  });
  events.addEventListener("note", function (e) {
    var note = JSON.parse(e.data);
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = note.href;
    link.textContent = note.text;
    item.appendChild(link);
    notes.insertBefore(item, notes.firstChild);
    while (notes.children.length > 5) notes.removeChild(notes.lastChild);
  });
})();
"#;

/// An asset inside the binary, served under a name that changes with its content, so that
/// browsers keep it for good and fetch it once over a slow link.
struct Asset {
    path: String,
    content_type: &'static str,
    body: &'static str,
}

fn asset(stem: &str, extension: &str, content_type: &'static str, body: &'static str) -> Asset {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(body.as_bytes());
    let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    Asset {
        path: format!("/assets/{stem}-{hash}.{extension}"),
        content_type,
        body,
    }
}

static STYLESHEET: LazyLock<Asset> = LazyLock::new(|| asset("style", "css", "text/css; charset=utf-8", CSS));
static SCRIPT: LazyLock<Asset> = LazyLock::new(|| asset("live", "js", "text/javascript; charset=utf-8", JS));

/// `/assets/{name}`: the stylesheet and the script, cached for a year (a new build that
/// changes one changes its name).
pub(crate) async fn assets(Path(name): Path<String>) -> Response {
    let Some(asset) = [&*STYLESHEET, &*SCRIPT]
        .into_iter()
        .find(|a| a.path.strip_prefix("/assets/") == Some(name.as_str()))
    else {
        return problem(StatusCode::NOT_FOUND, "There is no such file.");
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        asset.body,
    )
        .into_response()
}

/// What heads every page: the exercise's name, and when play ended if it has.
#[derive(Debug, Clone)]
pub(crate) struct Heading {
    name: String,
    /// When play ended, as people read it (`D1 17:30`).
    ended: Option<String>,
    /// The exercise time now, written by the server so that a page without its script
    /// still shows it (the script keeps it current).
    clock: Option<String>,
    /// Whether the teams see the scoreboard: players' navigation links it then.
    scoreboard: bool,
    /// Whether the teams may read their after-action reports: players' navigation links it.
    report: bool,
    /// A player's badges, written by the server (the script keeps them current).
    badges: Option<atoll_app::Badges>,
    /// While the server rebuilds the teams' worlds after a start: (teams still rebuilding,
    /// teams).
    rebuilding: Option<(usize, usize)>,
}

impl Heading {
    /// This heading without the badge of kind `what`: on the page that lists them, which
    /// the player is reading.
    pub(crate) fn reading(mut self, what: atoll_app::Seen) -> Heading {
        self.badges = self.badges.map(|b| b.without(what));
        self
    }
}

impl From<&str> for Heading {
    fn from(name: &str) -> Heading {
        Heading {
            name: name.to_owned(),
            ended: None,
            clock: None,
            scoreboard: false,
            report: false,
            badges: None,
            rebuilding: None,
        }
    }
}

impl From<&crate::Live> for Heading {
    fn from(live: &crate::Live) -> Heading {
        Heading {
            name: live.name.clone(),
            ended: live.ended().map(|at| live.when(ExerciseMs(at))),
            clock: Some(live.when(ExerciseMs(live.now()))),
            scoreboard: live.scoreboard_shown(),
            report: live.report_released(),
            badges: None,
            rebuilding: Some(live.rebuilding()).filter(|(waiting, _)| *waiting > 0),
        }
    }
}

/// The heading of a page for `user`: with a player's badges (what came since they last
/// opened each page), counted now.
pub(crate) async fn heading<S: atoll_store::Store + 'static>(
    app: &std::sync::Arc<crate::App<S>>,
    user: &User,
) -> Heading {
    let mut heading = Heading::from(&app.live);
    if let (Role::Player, Some(team)) = (user.role, &user.team)
        && let Some(index) = app.live.scenario.player_teams().position(|t| &t.id.name == team)
    {
        heading.badges = app.badges(user.id, index).await;
    }
    heading
}

/// A badge's text: nothing when nothing came.
pub(crate) fn badge(count: Option<usize>) -> String {
    match count {
        Some(n) if n > 0 => n.to_string(),
        _ => String::new(),
    }
}

/// A page: the exercise banner (and, once play has ended, a line saying so), a header with
/// what this user may open, then `body`.
pub(crate) fn page(exercise: impl Into<Heading>, title: &str, user: Option<&User>, body: &Markup) -> Markup {
    let heading = exercise.into();
    let exercise = heading.name.as_str();
    let badges = heading.badges;
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (exercise) }
                link rel="stylesheet" href=(STYLESHEET.path);
                @if user.is_some() { script src=(SCRIPT.path) defer {} }
            }
            body data-live-src=[user.and_then(live_source)] {
                a.skip href="#main" { "Skip to the page" }
                div.banner role="note" { "EXERCISE · EXERCISE · EXERCISE" }
                @if let Some(at) = &heading.ended {
                    p.ended role="status" { "Play ended at " (at) ". Every page stays open to read; nothing more can be handed in or changed, and scores are final." }
                }
                @if let (Some((waiting, teams)), Some(_)) = (heading.rebuilding, user) {
                    p.ended role="status" {
                        "The server restarted a moment ago and is rebuilding the simulated networks from the record (" (teams - waiting) " of " (teams) " ready). "
                        "Until then, pages show a network as far as it has been rebuilt. Whatever you do now is recorded at once and takes effect at the time shown; refresh in a minute to see it all."
                    }
                }
                header {
                    strong { (exercise) }
                    @if user.is_some() { span.clock data-live="clock" { (heading.clock.as_deref().unwrap_or_default()) } }
                    @if let Some(user) = user {
                        nav aria-label="Pages" {
                            a href="/briefing" { "Briefing" }
                            @match user.role {
                                Role::Player => {
                                    @if let Some(team) = &user.team {
                                        a href={ "/teams/" (team) "/inbox" } { "Inbox" span.count data-live="inbox" { (badge(badges.map(|b| b.inbox))) } }
                                        a href={ "/teams/" (team) } { "Alerts" span.count data-live="alerts" { (badge(badges.map(|b| b.alerts))) } }
                                        a href={ "/teams/" (team) "/hunt" } { "Hunt" }
                                        a href={ "/teams/" (team) "/rules" } { "Rules" }
                                        a href={ "/teams/" (team) "/network" } { "Network" }
                                        a href={ "/teams/" (team) "/respond" } { "Respond" }
                                        a href={ "/teams/" (team) "/cases" } { "Cases" }
                                        a href={ "/teams/" (team) "/questions" } { "Questions" span.count data-live="questions" { (badge(badges.map(|b| b.questions))) } }
                                        a href={ "/teams/" (team) "/reports" } { "Reports" }
                                        a href={ "/teams/" (team) "/score" } { "Score" }
                                        @if heading.scoreboard { a href="/scoreboard" { "Scoreboard" } }
                                        @if heading.report {
                                            a href={ "/teams/" (team) "/report" } { "Report" }
                                            a href="/feedback" { "Feedback" }
                                        }
                                    }
                                }
                                _ => {
                                    a href="/board" { "Board" } a href="/messages" { "Messages" } a href="/grading" { "Grading" } a href="/detection" { "Detection rules" }
                                    @if user.sees_all() { a href="/people" { "People" } }
                                    a href="/report" { "Report" }
                                    a href="/feedback" { "Feedback" }
                                    @if user.role == atoll_store::Role::Instructor { a href="/audit" { "Audit log" } }
                                }
                            }
                        }
                        a.who href="/account" title="Your account and API tokens" { (user.username) " (" (user.role.as_str()) @if let Some(t) = &user.team { ", " (t) } ")" }
                        form.inline method="post" action="/logout" { button type="submit" { "Sign out" } }
                    }
                }
                @if user.is_some() { ul #live-notes aria-live="polite" aria-label="What just happened" {} }
                main #main { (body) }
            }
        }
    }
}

/// Where a user's pages get their live updates: a player's team stream, the white cell's.
fn live_source(user: &User) -> Option<String> {
    match (user.role, &user.team) {
        (Role::Player, Some(team)) => Some(format!("/teams/{team}/live")),
        (Role::Player, None) => None,
        _ => Some("/live".to_owned()),
    }
}

pub(crate) fn login(exercise: &str, message: Option<&str>, status: StatusCode) -> Response {
    let body = html! {
        div.login {
            h1 { "Sign in" }
            @if let Some(message) = message { p.error role="alert" { (message) } }
            form method="post" action="/login" {
                label for="username" { "Username" }
                input #username name="username" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input #password name="password" type="password" autocomplete="current-password" required;
                p { button type="submit" { "Sign in" } }
            }
        }
    };
    (status, page(exercise, "Sign in", None, &body)).into_response()
}

/// A page answering a form: `400 Bad Request` when the form was refused for `problem` (the
/// page then says why, see [`refusal`]), `200 OK` otherwise.
pub(crate) fn form_page(
    exercise: impl Into<Heading>,
    title: &str,
    user: &User,
    problem: Option<&str>,
    body: &Markup,
) -> Response {
    let exercise = exercise.into();
    let Some(problem) = problem else {
        return page(exercise, title, Some(user), body).into_response();
    };
    let mut response = (StatusCode::BAD_REQUEST, page(exercise, title, Some(user), body)).into_response();
    response.extensions_mut().insert(Refusal(problem.to_owned()));
    response
}

/// Why a request was refused, carried with the page that says so, for the JSON API to answer
/// with instead of the page (see `api::json_errors`).
#[derive(Debug, Clone)]
pub(crate) struct Refusal(pub String);

/// What was wrong with a refused form (`field: what to do`), for the top of its page.
pub(crate) fn refusal(problem: Option<&str>) -> Markup {
    html! { @if let Some(problem) = problem { p.error role="alert" id="problem" { (problem) } } }
}

/// The status an application error answers with, on pages and in the API.
pub(crate) fn status_of(kind: atoll_app::Kind) -> StatusCode {
    use atoll_app::Kind;
    match kind {
        Kind::Invalid => StatusCode::BAD_REQUEST,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::TooMany => StatusCode::TOO_MANY_REQUESTS,
        Kind::Unauthorized => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Failed => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The page for an application error that no form can show (the database or the server
/// failed): its status and message.
pub(crate) fn failure(e: &atoll_app::Error) -> Response {
    problem(status_of(e.kind), &e.to_string())
}

/// A short page saying what went wrong (logged: the server's failures as errors, refusals of
/// what was asked at debug level).
pub(crate) fn problem(status: StatusCode, message: &str) -> Response {
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), message, "request failed");
    } else {
        tracing::debug!(status = status.as_u16(), message, "request refused");
    }
    let body = html! {
        h1 { (status.canonical_reason().unwrap_or("Problem")) }
        p { (message) }
        p { a href="/" { "Back to your start page" } }
    };
    let mut response = (status, page("atoll", "Problem", None, &body)).into_response();
    response.extensions_mut().insert(Refusal(message.to_owned()));
    response
}

/// The `?before=` of a paged list: the id the page starts below (none: the newest page), or
/// the page that says it is not one.
pub(crate) fn before(raw: Option<&str>) -> Result<Option<i64>, Box<Response>> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => raw.parse::<i64>().map(Some).map_err(|_| {
            Box::new(problem(
                StatusCode::BAD_REQUEST,
                "before: give the number of an item of the list.",
            ))
        }),
    }
}

/// The links under a page of a list, newest first: to the newest page when this is an older
/// one, and to the older ones when this page is full (`last`: the id of its last item).
pub(crate) fn pager(path: &str, before: Option<i64>, shown: usize, limit: u32, last: Option<i64>) -> Markup {
    let joiner = if path.contains('?') { '&' } else { '?' };
    maud::html! {
        @if before.is_some() || shown >= limit as usize {
            p.pager {
                @if before.is_some() { a href=(path) { "Newest" } }
                @if before.is_some() && shown >= limit as usize { " · " }
                @if let Some(last) = last.filter(|_| shown >= limit as usize) {
                    a href={ (path) (joiner) "before=" (last) } { "Older" }
                }
            }
        }
    }
}
