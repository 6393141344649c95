//! The server driven in process, one test binary with a module per area: who may do what
//! (`access`), the white cell's console (`console`), a team's workspace (`workspace`),
//! scripts through the API (`api`), pages and streams over thin links (`delivery`), and
//! invitations and sessions (`people`).
//! Here: the test exercise, and the helpers that sign in and send requests.

use std::sync::{Arc, LazyLock};

use atoll_app::accounts::hash_password;
use atoll_exercise::{Clock, Setup};
use atoll_scenario::Scenario;
use atoll_sigma::RuleSet;
use atoll_store::{NewExercise, Role, Sqlite, Store};
use atoll_web::{App, Live, Site, clock_now, router};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use sha2::Digest as _;
use tower::ServiceExt as _;

/// Memory counted as the server counts it: team rules are refused by their compiled size.
#[global_allocator]
static ALLOCATOR: atoll_meter::Meter = atoll_meter::Meter;

mod access;
mod api;
mod console;
mod delivery;
mod people;
mod report;
mod workspace;

static SCENARIO: LazyLock<Scenario> = LazyLock::new(|| {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/pacific-cable-shield.yaml");
    atoll_scenario::load_file(&path).unwrap_or_else(|p| panic!("{}", p.render("scenario")))
});
static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::new(Vec::new()));
/// atoll's own rules (they see the web shell upload half an hour into play).
static ATOLL_RULES: LazyLock<(RuleSet, Vec<atoll_sigma::Correlation>)> = LazyLock::new(|| {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let loaded = atoll_sigma::load(&[dir], &atoll_sigma::Config::default());
    (RuleSet::new(loaded.rules), loaded.correlations)
});
/// The default rule pack inside the binary, chosen as an exercise without a `detection:`
/// section chooses it (level medium or above).
static PACK: LazyLock<(atoll_rules::Catalog, atoll_rules::Selected)> = LazyLock::new(|| {
    let catalog = atoll_rules::Catalog::load(&[]);
    let selected = catalog.select(&atoll_rules::Selection::default());
    (catalog, selected)
});
/// One hash for every test account (hashing is deliberately slow).
static HASH: LazyLock<String> = LazyLock::new(|| hash_password("correct horse").unwrap());

const PASSWORD: &str = "correct horse";

async fn app() -> Arc<App<Sqlite>> {
    app_started(0).await
}

/// An exercise whose clock (60×) started `ago` wall milliseconds before now.
async fn app_started(ago: i64) -> Arc<App<Sqlite>> {
    app_with(ago, &RULES, &[]).await
}

async fn app_with(ago: i64, rules: &'static RuleSet, correlations: &[atoll_sigma::Correlation]) -> Arc<App<Sqlite>> {
    app_built(ago, rules, correlations, false).await
}

/// An exercise running the default pack as chosen by default, the catalog known to the pages.
async fn app_with_pack(ago: i64) -> Arc<App<Sqlite>> {
    app_built(ago, &PACK.1.set, &PACK.1.correlations, true).await
}

async fn app_built(
    ago: i64,
    rules: &'static RuleSet,
    correlations: &[atoll_sigma::Correlation],
    pack: bool,
) -> Arc<App<Sqlite>> {
    app_on(ago, rules, correlations, pack, atoll_app::Wall::system()).await
}

/// The test exercise, reading the wall clock from `wall`.
async fn app_on(
    ago: i64,
    rules: &'static RuleSet,
    correlations: &[atoll_sigma::Correlation],
    pack: bool,
    wall: atoll_app::Wall,
) -> Arc<App<Sqlite>> {
    let db = Sqlite::in_memory().await.unwrap();
    for (name, role, team) in [
        ("ines", Role::Instructor, None),
        ("olga", Role::Observer, None),
        ("pita", Role::Player, Some("palau")),
        ("nora", Role::Player, Some("nauru")),
    ] {
        db.create_user(name, &HASH, role, team, 0).await.unwrap();
    }
    let end = SCENARIO.duration.value.as_secs() * 1000;
    let mut clock = Clock::new(end, 60).unwrap();
    clock.start(wall.now() - ago).unwrap();
    let exercise = db
        .create_exercise(
            &NewExercise {
                name: "Test",
                scenario_path: "bundled",
                scenario_text: None,
                seed: 1,
                date: "2026-06-01",
                clock: &serde_json::to_string(&clock).unwrap(),
            },
            0,
        )
        .await
        .unwrap();
    let setup = Setup {
        seed: 1,
        date: atoll_sim::DEFAULT_DATE,
        end,
    };
    let live = Live::new(
        exercise.id,
        "Test".into(),
        &SCENARIO,
        &setup,
        clock,
        rules,
        correlations,
    )
    .unwrap();
    let live = if pack {
        live.with_detection(&PACK.0, &PACK.1)
    } else {
        live
    }
    .with_wall(wall);
    Arc::new(App::new(db, live))
}

/// The server's answer to `request`, reached as `site` says. A request that names no host is
/// sent to `localhost`, as a browser at `http://localhost/` sends it.
async fn answer_at(app: &Arc<App<Sqlite>>, site: Site, mut request: Request<Body>) -> axum::response::Response {
    if !request.headers().contains_key(header::HOST) {
        request.headers_mut().insert(header::HOST, "localhost".parse().unwrap());
    }
    router(app.clone(), site).oneshot(request).await.unwrap()
}

/// The answer of the server as `atoll demo` runs it on this machine ([`Site::loopback`]).
async fn answer(app: &Arc<App<Sqlite>>, request: Request<Body>) -> axum::response::Response {
    answer_at(app, Site::loopback(), request).await
}

async fn send(app: &Arc<App<Sqlite>>, request: Request<Body>) -> (StatusCode, Vec<(String, String)>, String) {
    send_at(app, Site::loopback(), request).await
}

/// [`send`] to a server reached as `site` says.
async fn send_at(
    app: &Arc<App<Sqlite>>,
    site: Site,
    request: Request<Body>,
) -> (StatusCode, Vec<(String, String)>, String) {
    let response = answer_at(app, site, request).await;
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    // A stream of live updates never ends: its status and headers are the answer.
    if response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"))
    {
        return (status, headers, String::new());
    }
    let body = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// The stylesheet's and the script's paths, as a signed-in page links them.
async fn asset_paths(app: &Arc<App<Sqlite>>, cookie: &str) -> (String, String) {
    let (_, _, page) = send(app, get("/", cookie)).await;
    let (_, _, page) = if page.is_empty() {
        send(app, get("/board", cookie)).await
    } else {
        (StatusCode::OK, Vec::new(), page)
    };
    let find = |start: &str, end: &str| {
        let from = page.find(start).unwrap_or_else(|| panic!("{start} in {page}"));
        let rest = &page[from..];
        rest[..rest.find(end).unwrap() + end.len()].to_owned()
    };
    (find("/assets/style-", ".css"), find("/assets/live-", ".js"))
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn login_request(username: &str, password: &str) -> Request<Body> {
    Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(format!(
            "username={username}&password={}",
            password.replace(' ', "+")
        )))
        .unwrap()
}

/// Signs in and returns the session cookie.
async fn sign_in(app: &Arc<App<Sqlite>>, username: &str) -> String {
    let (status, headers, _) = send(app, login_request(username, PASSWORD)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{username} signs in");
    let cookie = header(&headers, "set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_owned()
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

fn post(path: &str, cookie: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(form.to_owned()))
        .unwrap()
}

/// The value of the first `<input … name="NAME" value="…">` after `from` in a page.
fn input_value<'p>(page: &'p str, from: usize, name: &str) -> &'p str {
    let at = from + page[from..].find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
    &page[at..at + page[at..].find('"').unwrap()]
}

/// Compressed size (brotli, as a browser asks) of a page.
async fn compressed_size(app: &Arc<App<Sqlite>>, path: &str, cookie: &str) -> (StatusCode, usize) {
    let mut request = get(path, cookie);
    request
        .headers_mut()
        .insert(header::ACCEPT_ENCODING, "br".parse().unwrap());
    let response = answer(app, request).await;
    let status = response.status();
    (
        status,
        axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap().len(),
    )
}

/// The id of the newest submission of `team`, as the grading queue and the pages name it.
async fn newest_submission(app: &Arc<App<Sqlite>>, team: &str) -> i64 {
    let all = app.db.submissions(app.live.exercise, Some(team)).await.unwrap();
    all.last().unwrap().id
}

/// A rule a team might write: every successful Windows sign-in.
const SIGN_IN_RULE: &str = "title: Successful sign-in\nlevel: low\nauthor: Palau SOC\n\
    logsource: {product: windows, service: security}\n\
    detection: {selection: {EventID: 4624}, condition: selection}\n";

/// One rule's text compiled alone, as the server runs it.
fn rule_set(yaml: &str) -> RuleSet {
    RuleSet::new(atoll_sigma::load_str(yaml, &atoll_sigma::Config::default()).unwrap().0)
}

/// The rules form's body: the rule and which button.
fn rule_form(yaml: &str, action: &str) -> String {
    serde_urlencoded::to_string([("yaml", yaml), ("action", action)]).unwrap()
}

/// Reads a live-updates stream until an `update` event came (or ten seconds passed): every
/// event before it and the update itself, as (event, id, data).
async fn live_events(
    app: &Arc<App<Sqlite>>,
    path: &str,
    cookie: &str,
    last_id: Option<&str>,
) -> Vec<(String, String, String)> {
    use futures_util::StreamExt as _;
    let mut request = get(path, cookie);
    if let Some(id) = last_id {
        request.headers_mut().insert("last-event-id", id.parse().unwrap());
    }
    let response = answer(app, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/event-stream"
    );
    let mut body = response.into_body().into_data_stream();
    let mut text = String::new();
    let mut events = Vec::new();
    let read = async {
        while let Some(chunk) = body.next().await {
            text.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
            while let Some(end) = text.find("\n\n") {
                let block: String = text.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .unwrap_or_default()
                        .to_owned()
                };
                let event = (field("event: "), field("id: "), field("data: "));
                let done = event.0 == "update";
                events.push(event);
                if done {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("an update within ten seconds");
    events
}

/// Whether a live stream ends within `secs` seconds, its chunks read meanwhile: an upper
/// bound to wait, never a time the test measures. It is generous: the other tests of this
/// binary simulate whole exercise days on the same two cores, and a stream's polls wait for
/// them.
async fn ends_within(body: &mut axum::body::BodyDataStream, secs: u64) -> bool {
    use futures_util::StreamExt as _;
    tokio::time::timeout(std::time::Duration::from_secs(secs), async {
        while let Some(chunk) = body.next().await {
            chunk.unwrap();
        }
    })
    .await
    .is_ok()
}

// ----- The JSON API --------------------------------------------------------------------------

/// Makes an API token on the account page, as `cookie`'s user, and returns it.
async fn make_token(app: &Arc<App<Sqlite>>, cookie: &str, name: &str) -> String {
    let (status, headers, page) = send(app, post("/account", cookie, &format!("name={name}&days=30"))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    let from = page.find("value=\"atoll_").expect("the new token is shown") + "value=\"".len();
    let token = &page[from..from + page[from..].find('"').unwrap()];
    assert_eq!(token.len(), "atoll_".len() + 64, "{token}");
    token.to_owned()
}

/// A request to the JSON API as a script sends it: a token, no cookie, no browser headers.
fn api(method: &str, path: &str, token: &str, body: Option<&str>) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(path);
    if !token.is_empty() {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap(),
        None => request.body(Body::empty()).unwrap(),
    }
}

/// Sends an API request and checks its answer against the OpenAPI document: a JSON body that
/// is the operation's response schema on success, a `Problem` otherwise.
async fn call(
    app: &Arc<App<Sqlite>>,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let (status, headers, text) = send(app, api(method, path, token, body)).await;
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/json"),
        "{method} {path}: {text}"
    );
    let value: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"));
    let document = atoll_web::api::openapi();
    // The operation whose path template matches; a literal segment wins over a parameter,
    // as in the router (`…/alerts/verdicts` is not alert number `verdicts`).
    let template = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|t| {
            let (a, b): (Vec<&str>, Vec<&str>) = (
                t.split('/').collect(),
                path.split('?').next().unwrap().split('/').collect(),
            );
            a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.starts_with('{') || x == y)
        })
        .min_by_key(|t| t.matches('{').count())
        .unwrap_or_else(|| panic!("{path} is in the OpenAPI document"))
        .clone();
    let responses = &document["paths"][&template][method.to_lowercase()]["responses"];
    let schema = if status.is_success() {
        let ok = &responses[status.as_str()];
        assert!(
            ok.is_object(),
            "{method} {path}: {status} is the documented success status"
        );
        ok["content"]["application/json"]["schema"].clone()
    } else {
        responses["default"]["content"]["application/json"]["schema"].clone()
    };
    let mut root = schema.as_object().cloned().unwrap_or_default();
    root.insert("components".into(), document["components"].clone());
    let validator = jsonschema::draft202012::new(&serde_json::Value::Object(root)).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} ({status}) does not fit its schema: {errors:?}\n{value:#}"
    );
    (status, value)
}

/// The alert numbers listed on a queue page, in order.
fn listed(page: &str) -> Vec<usize> {
    page.match_indices("<tr id=\"alert-")
        .map(|(at, m)| {
            let rest = &page[at + m.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

/// The number of alerts a queue page says match (`<strong>N</strong> alerts`).
fn matching(page: &str) -> usize {
    let at = page.find("<p><strong>").expect("a count") + 11;
    page[at..at + page[at..].find('<').unwrap()].parse().unwrap()
}

/// The address of the next page, if the page links one.
fn next_page(page: &str) -> Option<String> {
    let at = page.find("rel=\"next\"")?;
    let start = page[..at].rfind("href=\"").unwrap() + 6;
    Some(page[start..start + page[start..].find('"').unwrap()].replace("&amp;", "&"))
}

/// A rule that fires on every TCP flow record: a queue of tens of thousands within minutes.
const EVERY_FLOW_RULE: &str = "title: Every TCP flow\nid: 6d3c51c4-0bb5-4c6e-9d0e-9a1f2f7f0b01\nlevel: low\n\
    author: atoll tests\nlogsource: {product: atoll, service: netflow}\n\
    detection: {selection: {protocol: tcp}, condition: selection}\n";

/// How many things the database holds of Palau's play: verdicts, cases and their entries,
/// actions, hand-ins, messages, suppressions, saved searches, team rules, hints opened.
async fn palau_stored(app: &Arc<App<Sqlite>>) -> Vec<usize> {
    let (db, x) = (&app.db, app.live.exercise);
    let mut entries = 0;
    for case in db.cases(x, "palau").await.unwrap() {
        entries += db
            .case(x, "palau", case.id, atoll_store::Page::after(None, u32::MAX))
            .await
            .unwrap()
            .1
            .len()
            + 1;
    }
    vec![
        db.triages(x, "palau").await.unwrap().len(),
        entries,
        db.actions(x).await.unwrap().len(),
        db.submissions(x, Some("palau")).await.unwrap().len(),
        db.messages(x).await.unwrap().len(),
        db.suppressions(x, Some("palau")).await.unwrap().len(),
        db.saved_searches(x, "palau").await.unwrap().len(),
        db.team_rules(x, Some("palau")).await.unwrap().len(),
        db.hints_opened(x, Some("palau")).await.unwrap().len(),
    ]
}
