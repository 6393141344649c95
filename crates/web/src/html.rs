//! The page frame, the stylesheet and the small pages every role shares.

use atoll_store::{Role, User};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// The whole stylesheet: system fonts only, readable on a 1366×768 screen and on a phone.
const CSS: &str = "\
:root{--fg:#1b1f24;--muted:#55606e;--line:#d5dae0;--accent:#0b5cad;--bad:#a4161a;--warn:#8a5300;--bg:#fff}\
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}\
.banner{background:#7a1010;color:#fff;text-align:center;font-weight:700;letter-spacing:.12em;padding:2px;font-size:12px}\
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
:focus-visible{outline:3px solid #f0a500;outline-offset:1px}\
.hist{display:flex;align-items:flex-end;gap:1px;height:64px;border-bottom:1px solid var(--line);margin:8px 0}\
.hist .bar{flex:1;background:var(--accent);min-height:1px}\
article.inject{border-bottom:1px solid var(--line);padding:4px 0 8px}article.inject h2{margin:6px 0 2px}\
.pre{white-space:pre-wrap}blockquote{margin:4px 0;padding-left:10px;border-left:3px solid var(--line);white-space:pre-wrap}\
.hint{background:#f4f7fb;border-left:3px solid var(--accent);padding:2px 8px;margin:6px 0}fieldset{border:1px solid var(--line)}\
textarea{font:inherit;max-width:100%}dt{font-weight:600;margin-top:4px}dd{margin-left:12px}";

pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// A page: the exercise banner, a header with what this user may open, then `body`.
pub(crate) fn page(exercise: &str, title: &str, user: Option<&User>, body: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (exercise) }
                link rel="stylesheet" href="/style.css";
            }
            body {
                div.banner role="note" { "EXERCISE · EXERCISE · EXERCISE" }
                header {
                    strong { (exercise) }
                    @if let Some(user) = user {
                        nav aria-label="Pages" {
                            @match user.role {
                                Role::Player => {
                                    @if let Some(team) = &user.team {
                                        a href={ "/teams/" (team) "/inbox" } { "Inbox" }
                                        a href={ "/teams/" (team) } { "Alerts" }
                                        a href={ "/teams/" (team) "/hunt" } { "Hunt" }
                                        a href={ "/teams/" (team) "/rules" } { "Rules" }
                                        a href={ "/teams/" (team) "/network" } { "Network" }
                                        a href={ "/teams/" (team) "/respond" } { "Respond" }
                                        a href={ "/teams/" (team) "/cases" } { "Cases" }
                                        a href={ "/teams/" (team) "/questions" } { "Questions" }
                                        a href={ "/teams/" (team) "/reports" } { "Reports" }
                                        a href={ "/teams/" (team) "/score" } { "Score" }
                                    }
                                }
                                _ => {
                                    a href="/board" { "Board" } a href="/messages" { "Messages" } a href="/grading" { "Grading" }
                                    @if user.sees_all() { a href="/people" { "People" } }
                                }
                            }
                        }
                        span.who { (user.username) " (" (user.role.as_str()) @if let Some(t) = &user.team { ", " (t) } ")" }
                        form.inline method="post" action="/logout" { button type="submit" { "Sign out" } }
                    }
                }
                main { (body) }
            }
        }
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

/// A page answering a form: `400 Bad Request` when the form was refused (the page then says
/// why, see [`refusal`]), `200 OK` otherwise.
pub(crate) fn form_page(exercise: &str, title: &str, user: &User, refused: bool, body: &Markup) -> Response {
    let status = if refused {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (status, page(exercise, title, Some(user), body)).into_response()
}

/// What was wrong with a refused form (`field: what to do`), for the top of its page.
pub(crate) fn refusal(problem: Option<&str>) -> Markup {
    html! { @if let Some(problem) = problem { p.error role="alert" id="problem" { (problem) } } }
}

/// A short page saying what went wrong.
pub(crate) fn problem(status: StatusCode, message: &str) -> Response {
    let body = html! {
        h1 { (status.canonical_reason().unwrap_or("Problem")) }
        p { (message) }
        p { a href="/" { "Back to your start page" } }
    };
    (status, page("atoll", "Problem", None, &body)).into_response()
}
