//! The server driven in process: sign-in, sessions, the same-origin rule, rate limiting, and
//! who may open which page (every route × every role × own and other team).

use std::sync::{Arc, LazyLock};

use atoll_app::accounts::hash_password;
use atoll_exercise::{Clock, Setup};
use atoll_scenario::Scenario;
use atoll_sigma::RuleSet;
use atoll_store::{NewExercise, Role, Sqlite, Store};
use atoll_web::{App, Live, clock_now, router};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use sha2::Digest as _;
use tower::ServiceExt as _;

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
    Arc::new(App::new(db, live, atoll_sim::DEFAULT_DATE))
}

async fn send(app: &Arc<App<Sqlite>>, request: Request<Body>) -> (StatusCode, Vec<(String, String)>, String) {
    let response = router(app.clone()).oneshot(request).await.unwrap();
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

#[tokio::test(flavor = "multi_thread")]
async fn every_route_for_every_role_and_team() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let observer = sign_in(&app, "olga").await;
    let player = sign_in(&app, "pita").await; // palau
    let nobody = "atoll_session=not-a-session".to_owned();
    use StatusCode as S;
    let (css, js) = asset_paths(&app, &instructor).await;
    // (request builder, [instructor, observer, palau player, no session])
    type Build = Box<dyn Fn(&str) -> Request<Body>>;
    let cases: Vec<(&str, Build, [S; 4])> = vec![
        (
            "home",
            Box::new(|c| get("/", c)),
            [S::SEE_OTHER, S::SEE_OTHER, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "board",
            Box::new(|c| get("/board", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team alerts",
            Box::new(|c| get("/teams/palau", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team alerts",
            Box::new(|c| get("/teams/nauru", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team hunt",
            Box::new(|c| get("/teams/palau/hunt?q=*", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team hunt",
            Box::new(|c| get("/teams/nauru/hunt?q=*", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // A player is told nothing about which teams exist.
            "no such team",
            Box::new(|c| get("/teams/atlantis", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "clock",
            Box::new(|c| post("/clock", c, "action=speed&speed=60")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "logout",
            Box::new(|c| post("/logout", c, "")),
            [S::SEE_OTHER, S::SEE_OTHER, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "own team respond",
            Box::new(|c| get("/teams/palau/respond", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team respond",
            Box::new(|c| get("/teams/nauru/respond", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "send a scenario inject",
            Box::new(|c| post("/messages/inject", c, "inject=news-rumour&team=palau")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "make an invitation",
            Box::new(|c| post("/people/invite", c, "as=player%3Apalau&hours=24")),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // Anyone may open a link; this one is not known.
            "unknown invitation",
            Box::new(|c| get("/invite/0123456789abcdef", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND],
        ),
        (
            "own team network",
            Box::new(|c| get("/teams/palau/network", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team network",
            Box::new(|c| get("/teams/nauru/network", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // What comes next: never for players, not even their own team's.
            "own team timeline",
            Box::new(|c| get("/teams/palau/timeline", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "other team timeline",
            Box::new(|c| get("/teams/nauru/timeline", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // Olga (id 2) follows every team: ticking none keeps it so.
            "choose the teams an observer follows",
            Box::new(|c| post("/people/follows", c, "user=2")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "change a step of the campaign",
            Box::new(|c| post("/teams/palau/timeline", c, "step=vt-stage&change=delay%3A15m")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team score",
            Box::new(|c| get("/teams/palau/score", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team score",
            Box::new(|c| get("/teams/nauru/score", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team inbox",
            Box::new(|c| get("/teams/palau/inbox", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team inbox",
            Box::new(|c| get("/teams/nauru/inbox", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "people",
            Box::new(|c| get("/people", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "audit log",
            Box::new(|c| get("/audit", c)),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "audit log export",
            Box::new(|c| get("/audit.jsonl", c)),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "end sessions",
            Box::new(|c| post("/people/end", c, "user=999")),
            // No account 999: the instructor is told so.
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "messages",
            Box::new(|c| get("/messages", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "send a message",
            Box::new(|c| post("/messages", c, "team=&subject=s&body=b")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // Only the team's players speak for the team.
            "own team writes",
            Box::new(|c| post("/teams/palau/messages", c, "subject=s&body=b")),
            [S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "other team writes",
            Box::new(|c| post("/teams/nauru/messages", c, "subject=s&body=b")),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // No alerts exist in this world (no rules), so a verdict on one is 404 once allowed.
        (
            "own team verdict",
            Box::new(|c| post("/teams/palau/alerts", c, "row=0&rule=r&state=new")),
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::SEE_OTHER],
        ),
        (
            "other team verdict",
            Box::new(|c| post("/teams/nauru/alerts", c, "row=0&rule=r&state=new")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // A bulk verdict that selects nothing is refused on the queue's page (400).
        (
            "own team bulk verdict",
            Box::new(|c| post("/teams/palau/alerts/bulk", c, "rule=r&verdict=false_positive")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            "other team bulk verdict",
            Box::new(|c| post("/teams/nauru/alerts/bulk", c, "rule=r&verdict=false_positive")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Alerts into a case that is not the team's: refused on the queue's page (400).
        (
            "own team alerts into a case",
            Box::new(|c| post("/teams/palau/alerts/case", c, "rule=r&case=1")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            "other team alerts into a case",
            Box::new(|c| post("/teams/nauru/alerts/case", c, "rule=r&case=1")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team suppressions",
            Box::new(|c| get("/teams/palau/suppressions", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team suppressions",
            Box::new(|c| get("/teams/nauru/suppressions", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // No alerts in this world: a suppression is refused on its page (400) once allowed.
        (
            "own team suppresses",
            Box::new(|c| post("/teams/palau/suppressions", c, "rule=r&reason=noise")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            "other team suppresses",
            Box::new(|c| post("/teams/nauru/suppressions", c, "rule=r&reason=noise")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team ends a suppression",
            Box::new(|c| post("/teams/palau/suppressions/999/end", c, "")),
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::SEE_OTHER],
        ),
        (
            "other team ends a suppression",
            Box::new(|c| post("/teams/nauru/suppressions/999/end", c, "")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // The test app has no catalog: the page says so (404) to the white cell.
        (
            "detection rules",
            Box::new(|c| get("/detection", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "switch a detection rule",
            Box::new(|c| post("/detection/switch", c, "rule=r&on=off")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team alert page",
            Box::new(|c| get("/teams/palau/alerts/0", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::SEE_OTHER],
        ),
        (
            "other team alert page",
            Box::new(|c| get("/teams/nauru/alerts/0", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Reviewing an action shows its cost (200); observers never act.
        (
            "own team action",
            Box::new(|c| post("/teams/palau/respond", c, "action=isolate_host&target=pw-tel-web01")),
            [S::OK, S::FORBIDDEN, S::OK, S::SEE_OTHER],
        ),
        (
            "other team action",
            Box::new(|c| post("/teams/nauru/respond", c, "action=isolate_host&target=nr-tel-web01")),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team questions",
            Box::new(|c| get("/teams/palau/questions", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team questions",
            Box::new(|c| get("/teams/nauru/questions", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Only a team's players hand in its work. At the start of play no question has been
        // put to any team and no hint is open: refused, with why.
        (
            "own team answer",
            Box::new(|c| post("/teams/palau/questions", c, "question=q-tlp&choice=amber")),
            [S::FORBIDDEN, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            "other team answer",
            Box::new(|c| post("/teams/nauru/questions", c, "question=q-tlp&choice=amber")),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team hint",
            Box::new(|c| post("/teams/palau/hints", c, "hint=1")),
            [S::FORBIDDEN, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            "other team hint",
            Box::new(|c| post("/teams/nauru/hints", c, "hint=1")),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team reports",
            Box::new(|c| get("/teams/palau/reports", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team reports",
            Box::new(|c| get("/teams/nauru/reports", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team sends a report",
            Box::new(|c| {
                post(
                    "/teams/palau/reports",
                    c,
                    "title=t&to=national_cert&tlp=TLP%3AAMBER&what=w",
                )
            }),
            [S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "other team sends a report",
            Box::new(|c| {
                post(
                    "/teams/nauru/reports",
                    c,
                    "title=t&to=national_cert&tlp=TLP%3AAMBER&what=w",
                )
            }),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team cases",
            Box::new(|c| get("/teams/palau/cases", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team cases",
            Box::new(|c| get("/teams/nauru/cases", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team opens a case",
            Box::new(|c| post("/teams/palau/cases", c, "title=Case")),
            [S::SEE_OTHER, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "other team opens a case",
            Box::new(|c| post("/teams/nauru/cases", c, "title=Case")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Case 1 is Palau's (the instructor opened it just above).
        (
            "own team case",
            Box::new(|c| get("/teams/palau/cases/1", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "own team adds to a case",
            Box::new(|c| post("/teams/palau/cases/1", c, "kind=note&note=n")),
            [S::SEE_OTHER, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            // Palau's case through Nauru's path: not Nauru's case.
            "a case through another team's path",
            Box::new(|c| get("/teams/nauru/cases/1", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "adding to a case through another team's path",
            Box::new(|c| post("/teams/nauru/cases/1", c, "kind=note&note=n")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team rules",
            Box::new(|c| get("/teams/palau/rules", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team rules",
            Box::new(|c| get("/teams/nauru/rules", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Testing a rule shows what it matches; observers never write rules.
        (
            "own team tests a rule",
            Box::new(|c| post("/teams/palau/rules", c, &rule_form(SIGN_IN_RULE, "test"))),
            [S::OK, S::FORBIDDEN, S::OK, S::SEE_OTHER],
        ),
        (
            "other team tests a rule",
            Box::new(|c| post("/teams/nauru/rules", c, &rule_form(SIGN_IN_RULE, "test"))),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Rule 1 is the instructor's, rule 2 the player's.
        (
            "own team turns a rule on",
            Box::new(|c| post("/teams/palau/rules", c, &rule_form(SIGN_IN_RULE, "on"))),
            [S::SEE_OTHER, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "a rule turned off through another team's path",
            Box::new(|c| post("/teams/nauru/rules/1/off", c, "")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // The instructor turns it off first; the player then finds it off already.
            "own team turns a rule off",
            Box::new(|c| post("/teams/palau/rules/1/off", c, "")),
            [S::SEE_OTHER, S::FORBIDDEN, S::NOT_FOUND, S::SEE_OTHER],
        ),
        // Saved search 1 is Palau's (saved by the instructor, then again by the player).
        (
            "own team saves a search",
            Box::new(|c| post("/teams/palau/searches", c, "q=log%3Adns&name=dns")),
            [S::SEE_OTHER, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "other team saves a search",
            Box::new(|c| post("/teams/nauru/searches", c, "q=log%3Adns&name=dns")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "a search deleted through another team's path",
            Box::new(|c| post("/teams/nauru/searches/1/delete", c, "")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // The instructor deletes it first; the player then finds it gone.
            "own team deletes a search",
            Box::new(|c| post("/teams/palau/searches/1/delete", c, "")),
            [S::SEE_OTHER, S::FORBIDDEN, S::NOT_FOUND, S::SEE_OTHER],
        ),
        // Hidden from teams at first; only instructors show it.
        (
            "scoreboard",
            Box::new(|c| get("/scoreboard", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "show the scoreboard",
            Box::new(|c| post("/scoreboard", c, "show=no")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // No event has that row: refused with why, once the role may link events at all.
        (
            "own team links an event to a case",
            Box::new(|c| post("/teams/palau/cases/event", c, "case=1&event=999999999")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            // Case 1 is Palau's: through Nauru's path there is no such case.
            "other team links an event to a case",
            Box::new(|c| post("/teams/nauru/cases/event", c, "case=1&event=999999999")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "grading queue",
            Box::new(|c| get("/grading", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // The report Palau's player sent above: instructors grade it, nobody else.
            "grade a report",
            Box::new(|c| post("/grading/1", c, "points.e-report-incident=10&comment=ok")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "stylesheet",
            Box::new(move |c| get(&css, c)),
            [S::OK, S::OK, S::OK, S::OK],
        ),
        ("script", Box::new(move |c| get(&js, c)), [S::OK, S::OK, S::OK, S::OK]),
        (
            "no such asset",
            Box::new(|c| get("/assets/style-0000000000.css", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND],
        ),
        (
            "white cell's live updates",
            Box::new(|c| get("/live", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team's live updates",
            Box::new(|c| get("/teams/palau/live", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team's live updates",
            Box::new(|c| get("/teams/nauru/live", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own account",
            Box::new(|c| get("/account", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            // Nobody's token, so nobody's to revoke.
            "revoke a token",
            Box::new(|c| post("/account/tokens/999/revoke", c, "")),
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::SEE_OTHER],
        ),
        (
            "login page",
            Box::new(|c| get("/login", c)),
            [S::SEE_OTHER, S::SEE_OTHER, S::SEE_OTHER, S::OK],
        ),
    ];
    for (name, build, expected) in &cases {
        for (who, cookie, want) in [
            ("instructor", &instructor, expected[0]),
            ("observer", &observer, expected[1]),
            ("player", &player, expected[2]),
            ("nobody", &nobody, expected[3]),
        ] {
            // Logging out ends the session, so every sign-in is fresh for that case.
            let cookie = if *name == "logout" && who != "nobody" {
                sign_in(
                    &app,
                    match who {
                        "instructor" => "ines",
                        "observer" => "olga",
                        _ => "pita",
                    },
                )
                .await
            } else {
                cookie.clone()
            };
            let (status, headers, _) = send(&app, build(&cookie)).await;
            assert_eq!(status, want, "{name} as {who}");
            if status == S::SEE_OTHER && who == "nobody" && *name != "home" && *name != "logout" {
                assert_eq!(header(&headers, "location"), Some("/login"), "{name} as {who}");
            }
        }
    }
    // The player's team page shows their own team; another's is refused whatever the page.
    let (_, _, body) = send(&app, get("/teams/palau", &player)).await;
    assert!(body.contains("Alerts — Palau"), "{body}");
    let (_, _, body) = send(&app, get("/teams/nauru/hunt?q=host:*", &player)).await;
    assert!(body.contains("another team") && !body.contains("NT-DC01"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_failures_are_counted_and_then_refused() {
    let app = app().await;
    let (status, _, body) = send(&app, login_request("pita", "wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("Wrong username or password."));
    let (status, _, body) = send(&app, login_request("nobody-at-all", "wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "unknown users get the same answer");
    assert!(body.contains("Wrong username or password."));
    for _ in 0..4 {
        send(&app, login_request("pita", "wrong")).await;
    }
    // Five failures: even the right password waits now.
    let (status, _, body) = send(&app, login_request("pita", PASSWORD)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("Too many failed sign-ins"));
    // Another account is not locked by them, nor is the same account from another address.
    sign_in(&app, "nora").await;
    let mut elsewhere = login_request("pita", PASSWORD);
    elsewhere
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [10, 9, 9, 9],
            50000,
        ))));
    assert_eq!(send(&app, elsewhere).await.0, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_from_other_sites_change_nothing() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let before = app.db.exercises().await.unwrap()[0].clock.clone();
    let cross = Request::post("/clock")
        .header(header::COOKIE, &instructor)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from("action=pause"))
        .unwrap();
    assert_eq!(send(&app, cross).await.0, StatusCode::FORBIDDEN);
    let other_origin = Request::post("/clock")
        .header(header::COOKIE, &instructor)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "atoll.local:8080")
        .header(header::ORIGIN, "http://evil.example")
        .body(Body::from("action=pause"))
        .unwrap();
    assert_eq!(send(&app, other_origin).await.0, StatusCode::FORBIDDEN);
    let login = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from(format!(
            "username=ines&password={}",
            PASSWORD.replace(' ', "+")
        )))
        .unwrap();
    assert_eq!(send(&app, login).await.0, StatusCode::FORBIDDEN);
    // Saying nothing about where it comes from is not enough either.
    let silent = Request::post("/clock")
        .header(header::COOKIE, &instructor)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("action=pause"))
        .unwrap();
    assert_eq!(send(&app, silent).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        app.db.exercises().await.unwrap()[0].clock,
        before,
        "the clock was not touched"
    );
    // From the server's own page, with the matching origin, it pauses.
    let same = Request::post("/clock")
        .header(header::COOKIE, &instructor)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "atoll.local:8080")
        .header(header::ORIGIN, "http://atoll.local:8080")
        .body(Body::from("action=pause"))
        .unwrap();
    assert_eq!(send(&app, same).await.0, StatusCode::SEE_OTHER);
    let stored: Clock = serde_json::from_str(&app.db.exercises().await.unwrap()[0].clock).unwrap();
    assert!(
        matches!(stored.state, atoll_exercise::State::Paused { .. }),
        "{stored:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clock_pauses_and_resumes_and_refuses_nonsense() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=pause")).await.0,
        StatusCode::SEE_OTHER
    );
    let paused = app.live.now();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(app.live.now(), paused, "a paused clock does not move");
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=pause")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("already paused"));
    let (status, _, body) = send(&app, post("/clock", &instructor, "speed=5")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.contains("action: say start, pause, resume, speed, jump or end"),
        "{body}"
    );
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=speed&speed=0")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("speed: give a whole number from 1 to 3600"), "{body}");
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=resume")).await.0,
        StatusCode::SEE_OTHER
    );
    let stored: Clock = serde_json::from_str(&app.db.exercises().await.unwrap()[0].clock).unwrap();
    assert!(matches!(stored.state, atoll_exercise::State::Running { at, .. } if at == paused));

    // Jumps go forward only, to an exercise time written as people write it.
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=jump&to=tomorrow")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("to: `tomorrow` is not an exercise time"), "{body}");
    // Three hours on would close the time to detect the web shell (it ran at about D1 09:10,
    // two hours allowed): the board says so first, and the clock waits for a confirmation.
    let before = app.live.now();
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=jump&to=%2B3h")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("Jumping to +3h passes"), "{body}");
    assert!(
        body.contains("Palau: «") && body.contains("closes at D1 1"),
        "each team's limit, with when it closes: {body}"
    );
    assert!(
        body.contains(r#"<button name="confirm" value="yes">Jump anyway</button>"#),
        "{body}"
    );
    assert!(app.live.now() < 3 * 3_600_000, "the clock did not jump: {before}");
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=jump&to=%2B3h&confirm=yes"))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    let now = app.live.now();
    assert!(
        (3 * 3_600_000..3 * 3_600_000 + 60_000).contains(&now),
        "three hours in: {now}"
    );
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=jump&to=%2B1h")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.contains("to: `+1h` has passed; the clock only moves forward"),
        "{body}"
    );
    // A refusal comes back on the board, the form there to try again.
    assert!(
        body.contains("<h1>Board</h1>") && body.contains("id=\"jump-to\""),
        "{body}"
    );
    // A change answers on the board with what it did.
    let (status, headers, _) = send(&app, post("/clock", &instructor, "action=pause")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = header(&headers, "location").unwrap().to_owned();
    assert_eq!(back, "/board?done=pause");
    let (_, _, board) = send(&app, get(&back, &instructor)).await;
    assert!(
        board.contains("Paused at D1 11:") && board.contains("every team's world stands still"),
        "{board}"
    );
    let (_, _, board) = send(&app, get("/board?done=%3Cb%3Ehello", &instructor)).await;
    assert!(
        !board.contains("hello") && !board.contains("class=\"done\""),
        "unknown: nothing said"
    );
    send(&app, post("/clock", &instructor, "action=resume")).await;
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(
        board.contains(r#"Exercise time <strong data-live="clock">D1 11:"#),
        "the board follows the jump"
    );

    // Ending needs a confirmation, is stored, and is final.
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=end")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("tick the box"), "{body}");
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=end&confirm=yes"))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    let stored: Clock = serde_json::from_str(&app.db.exercises().await.unwrap()[0].clock).unwrap();
    assert!(
        matches!(stored.state, atoll_exercise::State::Ended { .. }),
        "{stored:?}"
    );
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=resume")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("has ended"), "{body}");
    let observer = sign_in(&app, "olga").await;
    assert_eq!(
        send(&app, post("/clock", &observer, "action=end&confirm=yes")).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_hunts_in_its_own_events() {
    let app = app().await;
    app.live.tick(clock_now() + 30 * 60_000 / 60);
    let player = sign_in(&app, "pita").await;
    let (status, _, body) = send(
        &app,
        get("/teams/palau/hunt?q=log%3Adns+%7C+stats+count+by+host", &player),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("pt-dns01"), "Palau's resolver is in Palau's results");
    assert!(!body.contains("nt-dns01"), "no other team's host appears");
    let (_, _, body) = send(&app, get("/teams/palau/hunt?q=log%3Adns", &player)).await;
    assert!(body.contains("class=\"hist\""), "a plain search draws its histogram");
    assert!(
        body.contains("<details><summary>") && body.contains("query="),
        "each event opens to its fields"
    );
    assert!(
        body.contains("Fields in your events") && body.contains("query ("),
        "the team's own fields are listed"
    );
    let (_, _, body) = send(&app, get("/teams/palau/hunt?q=comandline%3A*ntds*", &player)).await;
    assert!(
        body.contains("did you mean `CommandLine`?") || body.contains("no event has a field `comandline`"),
        "{body}"
    );
    let (status, _, _) = send(&app, get("/teams/palau/hunt?q=log%3Adns&page=-1", &player)).await;
    assert_eq!(status, StatusCode::OK, "a strange page number is the first page");
    let (_, _, body) = send(
        &app,
        get("/teams/palau/hunt?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", &player),
    )
    .await;
    assert!(!body.contains("<script>"), "query text is escaped");
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_ends_the_session() {
    let app = app().await;
    let cookie = sign_in(&app, "olga").await;
    assert_eq!(send(&app, get("/board", &cookie)).await.0, StatusCode::OK);
    let (status, headers, _) = send(&app, post("/logout", &cookie, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(header(&headers, "set-cookie").unwrap().contains("Max-Age=0"));
    let (status, headers, _) = send(&app, get("/board", &cookie)).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_is_secure_behind_an_https_proxy() {
    let app = app().await;
    let (_, headers, _) = send(&app, login_request("olga", PASSWORD)).await;
    assert!(
        !header(&headers, "set-cookie").unwrap().contains("Secure"),
        "plain HTTP"
    );
    let mut request = login_request("olga", PASSWORD);
    request
        .headers_mut()
        .insert("x-forwarded-proto", "https".parse().unwrap());
    let (status, headers, _) = send(&app, request).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = header(&headers, "set-cookie").unwrap();
    assert!(cookie.ends_with("; Secure") && cookie.contains("HttpOnly"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_acts_after_seeing_the_cost_and_the_action_survives_a_restart() {
    let app = app().await;
    let player = sign_in(&app, "pita").await;
    let (status, _, body) = send(
        &app,
        post(
            "/teams/palau/respond",
            &player,
            "action=isolate_host&target=pw-tel-web01",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("is cut off the network"),
        "the cost is stated before anything happens"
    );
    assert!(
        body.contains("Services that stop with it") && body.contains("Customer web portal"),
        "and the services that stop with the host: {body}"
    );
    assert!(
        app.db.actions(app.live.exercise).await.unwrap().is_empty(),
        "nothing is taken before confirming"
    );
    let (status, _, body) = send(
        &app,
        post(
            "/teams/palau/respond",
            &player,
            "action=isolate_host&target=no-such-host",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("has no host `no-such-host`"), "{body}");
    assert!(
        body.contains(r#"value="no-such-host""#) && body.contains(r#"<option value="isolate_host" selected>"#),
        "the refused form comes back filled in: {body}"
    );
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/respond",
            &player,
            "action=isolate_host&target=nr-tel-web01",
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "another team's host is not Palau's to isolate"
    );
    let (status, _, body) = send(
        &app,
        post("/teams/palau/respond", &player, "action=format_everything&target=x"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("is not a response action"), "{body}");
    let (status, headers, _) = send(
        &app,
        post(
            "/teams/palau/respond",
            &player,
            "action=isolate_host&target=pw-tel-web01&confirm=yes",
        ),
    )
    .await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/teams/palau/respond"))
    );
    let stored = app.db.actions(app.live.exercise).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (
            stored[0].team.as_str(),
            stored[0].action.as_str(),
            stored[0].username.as_str()
        ),
        ("palau", "isolate_host", "pita")
    );
    let (_, _, body) = send(&app, get("/teams/palau/respond", &player)).await;
    assert!(
        body.contains("Isolate host") && body.contains("pw-tel-web01") && body.contains("pita"),
        "the log shows it"
    );
    // Once the world has moved past the action (the clock ticks every second), the network
    // page shows the host as isolated, and only Palau's hosts.
    app.live.tick(clock_now() + 2_000);
    let (status, _, body) = send(&app, get("/teams/palau/network", &player)).await;
    assert_eq!(status, StatusCode::OK);
    let hosts = &body[body.find("<h2>Hosts</h2>").expect("a hosts section")..];
    let row = &hosts[hosts
        .find("<td class=\"mono\">PT-WEB01</td>")
        .expect("the web server is listed")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("isolated") && row.contains("pw-tel-web01"), "{row}");
    assert!(!body.contains("nr-tel-web01"), "no other team's host");
    assert!(
        body.contains("Available") && body.contains("%"),
        "services with their availability"
    );
    // Hour by hour: the portal on the isolated web server is down in the first hour of play.
    assert!(
        body.contains(r#"class="strip" role="img" aria-label="Down for part or all of: D1 08:30"#)
            && body.contains(r#"title="D1 08:30: 100% up""#),
        "{body}"
    );

    // A restarted server replays it into a fresh world.
    let clock = app.live.clock();
    let setup = Setup {
        seed: 1,
        date: atoll_sim::DEFAULT_DATE,
        end: SCENARIO.duration.value.as_secs() * 1000,
    };
    let again = Live::new(app.live.exercise, "Test".into(), &SCENARIO, &setup, clock, &RULES, &[]).unwrap();
    again.replay(&stored).unwrap();
    let without = Live::new(app.live.exercise, "Test".into(), &SCENARIO, &setup, clock, &RULES, &[]).unwrap();
    // An hour of play later, the replayed world is the one the action made, not the one without it.
    let later = clock_now() + 60_000;
    for live in [&app.live, &again, &without] {
        live.tick(later);
    }
    let palau = 0;
    assert_eq!(SCENARIO.player_teams().next().unwrap().id.name, "palau");
    let (acted, replayed, untouched) = (
        app.live.team(palau).truth(),
        again.team(palau).truth(),
        without.team(palau).truth(),
    );
    assert_eq!(replayed, acted);
    assert_ne!(replayed, untouched, "the isolation changed what the adversary could do");
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_are_compressed_and_load_nothing_from_elsewhere() {
    let app = app().await;
    app.live.tick(clock_now() + 20_000);
    let player = sign_in(&app, "pita").await;
    let plain = send(&app, get("/teams/palau/hunt?q=log%3Adns", &player)).await;
    let mut request = get("/teams/palau/hunt?q=log%3Adns", &player);
    request
        .headers_mut()
        .insert(header::ACCEPT_ENCODING, "br, gzip".parse().unwrap());
    let response = router(app.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.headers().get(header::CONTENT_ENCODING).unwrap(), "br");
    let csp = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    let compressed = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
    assert!(
        plain.2.len() > 3 * compressed.len(),
        "{} bytes plain, {} compressed",
        plain.2.len(),
        compressed.len()
    );
    // No page refers to anything outside the server.
    for page in [plain.2, send(&app, get("/login", "")).await.2] {
        assert!(
            !page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"),
            "{page}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn injects_arrive_on_the_exercise_clock() {
    // Half an hour into play (D1 09:00): the start and the partner advisory (D1 08:45) are in,
    // the ministry's call (D1 13:00) is not.
    let app = app_started(30_000).await;
    let player = sign_in(&app, "pita").await;
    let (status, _, body) = send(&app, get("/teams/palau/inbox", &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("EXERCISE — Pacific Cable Shield begins"), "{body}");
    assert!(body.contains("TLP:AMBER — state actors pre-positioning in Pacific telecoms"));
    assert!(body.contains("for the technical track"));
    assert!(!body.contains("Ministry"), "later injects have not arrived: {body}");
    assert!(body.contains("read by pita"), "opening the inbox is a read receipt");
    let instructor = sign_in(&app, "ines").await;
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(board.contains("2 of 2"), "the board shows Palau has read both: {board}");
    let (_, _, nauru) = send(&app, get("/teams/nauru/inbox", &instructor)).await;
    assert!(
        nauru.contains("not read yet") && !nauru.contains("read by ines"),
        "instructors reading leave no receipt"
    );
    let advisory = body.find("TLP:AMBER").unwrap();
    let start = body.find("EXERCISE — Pacific").unwrap();
    assert!(advisory < start, "newest first");
}

/// The value of the first `<input … name="NAME" value="…">` after `from` in a page.
fn input_value<'p>(page: &'p str, from: usize, name: &str) -> &'p str {
    let at = from + page[from..].find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
    &page[at..at + page[at..].find('"').unwrap()]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_triages_its_alerts_and_only_its_own() {
    // Forty minutes of play (40 s at 60×): the web shell upload at D1 09:00 has raised an
    // alert in Palau.
    let app = app_with(40_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (_, _, page) = send(&app, get("/teams/palau", &player)).await;
    let found = page.find("aspnet_client").unwrap_or_else(|| {
        panic!(
            "the web shell alert is listed: {}",
            &page[page.find("alerts on").unwrap_or(0)..][..200]
        )
    });
    let (row, rule) = (
        input_value(&page, found, "row").to_owned(),
        input_value(&page, found, "rule").to_owned(),
    );
    let form = |state: &str, row: &str| format!("row={row}&rule={rule}&state={state}&note=web+shell+on+PT-WEB01");

    let (status, headers, _) = send(&app, post("/teams/palau/alerts", &player, &form("true_positive", &row))).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/teams/palau"))
    );
    let (_, _, page) = send(&app, get("/teams/palau", &player)).await;
    assert!(page.contains("1 true positive"), "counted");
    assert!(page.contains("By rule and host"), "alerts are grouped");
    assert!(
        page.contains("<option value=\"true_positive\" selected>") && page.contains("by pita"),
        "shown with who set it"
    );
    let stored = &app.db.triages(app.live.exercise, "palau").await.unwrap()[0];
    assert_eq!(stored.note, "web shell on PT-WEB01");
    assert!(
        stored.at.is_some_and(|t| t >= 30 * 60_000),
        "exercise time kept: {:?}",
        stored.at
    );

    // The verdict detects the web shell step: the team's score and the board say so, with why.
    let (status, _, page) = send(&app, get("/teams/palau/score", &player)).await;
    assert_eq!(status, StatusCode::OK);
    let line = &page[page
        .find("expectation-e-detect-webshell")
        .expect("the expectation is listed")..];
    let line = &line[..line.find("</tr>").unwrap()];
    assert!(line.contains("100 / 100") && line.contains("earned"), "{line}");
    assert!(
        line.contains("Detected: ") && line.contains("marked true positive by pita"),
        "{line}"
    );
    // Players see only what is settled: an open item would tell them what comes next.
    assert!(page.contains("not settled yet"), "the rest is counted");
    assert!(!page.contains("expectation-e-contain-before-staging") && !page.contains("has not happened yet"));
    let instructor = sign_in(&app, "ines").await;
    let (_, _, full) = send(&app, get("/teams/palau/score", &instructor)).await;
    assert!(
        full.contains("expectation-e-contain-before-staging"),
        "the white cell sees everything"
    );
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(
        board.contains("href=\"/teams/palau/score\">100 / "),
        "board shows Palau's score"
    );
    assert!(
        board.contains("<td>pita</td>"),
        "the board shows who of Palau is signed in"
    );
    // Palau's row: how far the campaign got, what was detected and how fast, the service
    // that was up least.
    let palau_row = &board[board.find("href=\"/teams/palau\"").expect("Palau's row")..];
    let palau_row = &palau_row[..palau_row.find("</tr>").unwrap()];
    assert!(palau_row.contains(" steps ran; latest "), "{palau_row}");
    assert!(
        palau_row.contains("1 of ") && palau_row.contains(" detected; median "),
        "{palau_row}"
    );
    assert!(palau_row.contains("% "), "availability: {palau_row}");
    assert!(
        palau_row.contains(" · pita marked an alert"),
        "last activity: {palau_row}"
    );
    // The white cell's timeline of Palau: the web shell step ran and was detected, with the
    // time it took; steps still to come are listed with their plan.
    let (status, _, timeline) = send(&app, get("/teams/palau/timeline", &instructor)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        timeline.contains(">ran<") && timeline.contains(" after)"),
        "a detected step"
    );
    assert!(
        timeline.contains("to come") && timeline.contains("planned "),
        "steps to come"
    );
    assert!(
        timeline.contains("; expected about D1 "),
        "with when they would run if all goes as planned: {timeline}"
    );
    assert!(timeline.contains("Inject: "), "arrived injects are on it");
    let (_, _, nauru) = send(&app, get("/board", &instructor)).await;
    let nauru = &nauru[nauru.find("href=\"/teams/nauru\"").expect("Nauru's row")..];
    let nauru = &nauru[..nauru.find("</tr>").unwrap()];
    assert!(
        nauru.contains(">0 of ") && nauru.contains("nothing to detect yet") && nauru.contains("nothing yet<"),
        "Nauru's campaign has not begun: {nauru}"
    );

    let observer = sign_in(&app, "olga").await;
    assert_eq!(
        send(
            &app,
            post("/teams/palau/alerts", &observer, &form("false_positive", &row))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let other = sign_in(&app, "nora").await;
    assert_eq!(
        send(&app, post("/teams/palau/alerts", &other, &form("false_positive", &row)))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            &app,
            post("/teams/palau/alerts", &player, &form("false_positive", "999999999"))
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&app, post("/teams/palau/alerts", &player, &form("maybe", &row)))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.db.triages(app.live.exercise, "palau").await.unwrap().len(),
        1,
        "refused verdicts change nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instructor_sees_who_is_signed_in_and_ends_a_session() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let player = sign_in(&app, "pita").await;
    let (_, _, page) = send(&app, get("/people", &instructor)).await;
    assert!(page.contains("2 of 4 accounts signed in"), "{page}");
    let pita = app.db.user_by_name("pita").await.unwrap().unwrap().0.id;
    assert_eq!(send(&app, get("/teams/palau", &player)).await.0, StatusCode::OK);
    let (status, _, _) = send(&app, post("/people/end", &instructor, &format!("user={pita}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, headers, _) = send(&app, get("/teams/palau", &player)).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/login")),
        "signed out"
    );
    assert_eq!(
        send(&app, get("/board", &instructor)).await.0,
        StatusCode::OK,
        "others stay signed in"
    );
}

/// Compressed size (brotli, as a browser asks) of a page.
async fn compressed_size(app: &Arc<App<Sqlite>>, path: &str, cookie: &str) -> (StatusCode, usize) {
    let mut request = get(path, cookie);
    request
        .headers_mut()
        .insert(header::ACCEPT_ENCODING, "br".parse().unwrap());
    let response = router(app.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    (
        status,
        axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap().len(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_fits_a_satellite_link_budget() {
    // Two hours of play with atoll's rules: full alert lists, inbox and hunt pages.
    let app = app_with(2 * 60_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    const PAGE_BUDGET: usize = 30 * 1024;
    const ASSET_BUDGET: usize = 40 * 1024;
    let mut largest = (0, String::new());
    for (who, paths) in [
        (
            "ines",
            vec![
                "/board",
                "/people",
                "/messages",
                "/teams/palau",
                "/teams/palau/inbox",
                "/teams/palau/respond",
                "/teams/palau/score",
                "/teams/palau/network",
                "/teams/palau/timeline",
                "/teams/palau/questions",
                "/teams/palau/reports",
                "/teams/palau/cases",
                "/teams/palau/rules",
                "/grading",
                "/teams/palau/hunt?q=*",
                "/teams/palau/hunt?q=log%3Asysmon+%7C+stats+count+by+Image",
            ],
        ),
        (
            "olga",
            vec!["/board", "/teams/nauru", "/teams/nauru/hunt?q=log%3Adns", "/grading"],
        ),
        (
            "pita",
            vec![
                "/teams/palau",
                "/teams/palau?view=groups",
                "/teams/palau?sort=level&level=medium",
                "/teams/palau/alerts/0",
                "/teams/palau/suppressions",
                "/teams/palau/inbox",
                "/teams/palau/respond",
                "/teams/palau/questions",
                "/teams/palau/reports",
                "/teams/palau/score",
                "/teams/palau/rules",
                "/teams/palau/hunt?q=*",
                "/teams/palau/hunt?q=%7C+timeline+5m",
                "/account",
            ],
        ),
    ] {
        let cookie = sign_in(&app, who).await;
        for path in paths {
            let (status, size) = compressed_size(&app, path, &cookie).await;
            assert_eq!(status, StatusCode::OK, "{path} as {who}");
            assert!(
                size <= PAGE_BUDGET,
                "{path} as {who}: {size} bytes compressed, over {PAGE_BUDGET}"
            );
            if size > largest.0 {
                largest = (size, format!("{path} as {who}"));
            }
        }
    }
    let (_, login) = compressed_size(&app, "/login", "").await;
    assert!(login <= PAGE_BUDGET);
    let (css_path, js_path) = asset_paths(&app, &sign_in(&app, "ines").await).await;
    let (_, css) = compressed_size(&app, &css_path, "").await;
    let (_, js) = compressed_size(&app, &js_path, "").await;
    assert!(css + js <= ASSET_BUDGET, "all CSS and JS together: {} bytes", css + js);
    // The largest page, for the record (cargo test -- --nocapture shows it).
    eprintln!(
        "largest page: {} ({} bytes compressed); stylesheet {css} bytes, script {js} bytes",
        largest.1, largest.0
    );
    assert!(largest.0 > 1000, "pages have content");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_white_cell_and_the_teams_write_to_each_other() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let palau = sign_in(&app, "pita").await;
    let nauru = sign_in(&app, "nora").await;
    let observer = sign_in(&app, "olga").await;
    let everyone = "team=&subject=Situation+report+due&body=Send+your+first+report+by+D1+12%3A00.";
    assert_eq!(
        send(&app, post("/messages", &instructor, everyone)).await.0,
        StatusCode::SEE_OTHER
    );
    // To Palau's policy track: Palau's inbox says for whom.
    let only_palau = "team=palau&track=policy&subject=Ministry+waiting&body=The+minister+asks+for+a+call.";
    assert_eq!(
        send(&app, post("/messages", &instructor, only_palau)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &palau)).await;
    assert!(
        inbox.contains("Situation report due")
            && inbox.contains("Ministry waiting")
            && inbox.contains("from the white cell · for the Policy track"),
        "{inbox}"
    );
    let stored = app.db.messages(app.live.exercise).await.unwrap();
    assert_eq!(
        stored
            .iter()
            .map(|m| (m.team.as_str(), m.track.as_deref()))
            .collect::<Vec<_>>()[..6],
        [
            ("palau", None),
            ("micronesia", None),
            ("marshall-islands", None),
            ("nauru", None),
            ("kiribati", None),
            ("palau", Some("policy"))
        ]
    );
    let (status, _, body) = send(
        &app,
        post("/messages", &instructor, "team=&track=legal&subject=s&body=b"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("track: `legal` is not a track"), "{body}");
    let (_, _, inbox) = send(&app, get("/teams/nauru/inbox", &nauru)).await;
    assert!(
        inbox.contains("Situation report due") && !inbox.contains("Ministry waiting"),
        "only Palau got the second"
    );

    let reply = "subject=Report&body=PT-WEB01+isolated+at+D1+09%3A10.";
    assert_eq!(
        send(&app, post("/teams/palau/messages", &palau, reply)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, all) = send(&app, get("/messages", &instructor)).await;
    assert!(
        all.contains("from palau (pita)") && all.contains("PT-WEB01 isolated"),
        "{all}"
    );
    let (_, _, theirs) = send(&app, get("/teams/nauru/inbox", &nauru)).await;
    assert!(
        !theirs.contains("PT-WEB01 isolated"),
        "another team's reply stays with the white cell"
    );

    assert_eq!(
        send(&app, post("/messages", &observer, everyone)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, post("/messages", &palau, everyone)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, post("/teams/palau/messages", &nauru, reply)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, post("/teams/palau/messages", &palau, "subject=&body=x"))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send(&app, post("/messages", &instructor, "team=atlantis&subject=a&body=b"))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.db.messages(app.live.exercise).await.unwrap().len(),
        5 + 1 + 1,
        "five teams, then Palau, then the reply"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_makes_one_account_once_and_expires() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let (status, headers, page) = send(&app, post("/people/invite", &instructor, "as=player%3Apalau&hours=1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&headers, "cache-control"),
        Some("no-store"),
        "the link is a secret"
    );
    let start = page.find("/invite/").expect("the link is shown");
    let token: String = page[start + 8..].chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(token.len(), 32, "{}", &page[start..start + 60]);
    assert!(page.contains("a player of Palau"), "says whom it invites");
    let link = format!("/invite/{token}");

    // Anyone holding the link sees the form; mistakes keep the username and change nothing.
    let (status, _, form) = send(&app, get(&link, "")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("invited as a player of Palau"), "{form}");
    let (status, _, form) = send(
        &app,
        post(&link, "", "username=mele&password=long-enough-1&repeat=long-enough-2"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        form.contains("the two passwords differ") && form.contains("value=\"mele\""),
        "{form}"
    );
    let (status, _, form) = send(&app, post(&link, "", "username=mele&password=short&repeat=short")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(form.contains("password: 10 to 200 characters"), "{form}");
    let (status, _, form) = send(
        &app,
        post(&link, "", "username=pita&password=long-enough-1&repeat=long-enough-1"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(form.contains("taken"), "an existing username: {form}");
    assert!(app.db.user_by_name("mele").await.unwrap().is_none());

    // Joining makes a Palau player and signs them in.
    let (status, headers, _) = send(
        &app,
        post(&link, "", "username=mele&password=long-enough-1&repeat=long-enough-1"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = header(&headers, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(send(&app, get("/teams/palau", &cookie)).await.0, StatusCode::OK);
    assert_eq!(send(&app, get("/teams/nauru", &cookie)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        send(&app, login_request("mele", "long-enough-1")).await.0,
        StatusCode::SEE_OTHER
    );

    // Once only.
    let (status, _, page) = send(
        &app,
        post(&link, "", "username=mele2&password=long-enough-1&repeat=long-enough-1"),
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("already been used"), "{page}");
    assert!(app.db.user_by_name("mele2").await.unwrap().is_none());
    let (_, _, people) = send(&app, get("/people", &instructor)).await;
    assert!(people.contains("by mele"), "the people page says who used it");

    // An expired link shows why and creates nothing.
    let ines = app.db.user_by_name("ines").await.unwrap().unwrap().0;
    let now = clock_now();
    app.db
        .create_invitation(
            &sha2::Sha256::digest(b"feedfacefeedfacefeedfacefeedface"),
            Role::Observer,
            None,
            ines.id,
            now - 7_200_000,
            now - 1,
        )
        .await
        .unwrap();
    let old = "/invite/feedfacefeedfacefeedfacefeedface";
    let (status, _, page) = send(&app, get(old, "")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("expired"), "{page}");
    let (status, _, _) = send(
        &app,
        post(old, "", "username=late&password=long-enough-1&repeat=long-enough-1"),
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(app.db.user_by_name("late").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_white_cell_sends_a_scenario_inject_by_hand() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let pita = sign_in(&app, "pita").await; // palau
    let nora = sign_in(&app, "nora").await; // nauru
    let text = "Leadership has approved evicting the intruder now.";
    // `eviction-brief` has no planned time: only the white cell sends it.
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &pita)).await;
    assert!(!inbox.contains(text), "not arrived before it is sent");
    assert_eq!(
        send(
            &app,
            post("/messages/inject", &instructor, "inject=eviction-brief&team=palau")
        )
        .await
        .0,
        StatusCode::SEE_OTHER
    );
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &pita)).await;
    assert!(inbox.contains(text), "Palau has it");
    let (_, _, inbox) = send(&app, get("/teams/nauru/inbox", &nora)).await;
    assert!(!inbox.contains(text), "Nauru does not");
    let (status, _, body) = send(
        &app,
        post("/messages/inject", &instructor, "inject=eviction-brief&team=palau"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("already sent by hand to palau"), "{body}");
    // To every team it is addressed to: the others get it now, Palau keeps its first copy.
    assert_eq!(
        send(
            &app,
            post("/messages/inject", &instructor, "inject=eviction-brief&team=")
        )
        .await
        .0,
        StatusCode::SEE_OTHER
    );
    let (_, _, inbox) = send(&app, get("/teams/nauru/inbox", &nora)).await;
    assert!(inbox.contains(text), "Nauru has it now");
    assert_eq!(app.db.inject_sends(app.live.exercise).await.unwrap().len(), 5);
    let (status, _, body) = send(&app, post("/messages/inject", &instructor, "inject=nope&team=palau")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("`nope` is not an inject"), "{body}");
    let (status, _, body) = send(
        &app,
        post("/messages/inject", &instructor, "inject=startex&team=atlantis"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("`atlantis` is not a team"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_white_cell_runs_delays_and_skips_steps_for_one_team() {
    // Forty minutes of play: the web shell step (D1 09:00) has run in Palau; the rest of the
    // campaign is still to come.
    let app = app_started(40_000).await;
    app.live.tick(clock_now());
    let instructor = sign_in(&app, "ines").await;
    let change = |step: &str, change: &str| format!("step={step}&change={change}");
    let status_of = |app: &Arc<App<Sqlite>>, step: &str| {
        app.live
            .team(0)
            .outcomes()
            .iter()
            .find(|o| o.step == step)
            .map(|o| (o.status, o.due, o.reason.map(str::to_owned)))
            .unwrap()
    };
    use atoll_sim::campaign::Status;
    assert_eq!(status_of(&app, "vt-prtg-creds").0, Status::Pending);

    // Observers and players cannot change the campaign; nonsense and steps that already came
    // due are refused with the field named, and nothing is stored.
    let observer = sign_in(&app, "olga").await;
    let player = sign_in(&app, "pita").await;
    for who in [&observer, &player] {
        let (status, _, _) = send(
            &app,
            post("/teams/palau/timeline", who, &change("vt-prtg-creds", "skip")),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (_, _, page) = send(
        &app,
        post(
            "/teams/palau/timeline",
            &instructor,
            &change("vt-prtg-creds", "delay:9y"),
        ),
    )
    .await;
    assert!(page.contains("change: `delay:9y` is not one of"), "bad change named");
    let (status, _, page) = send(
        &app,
        post("/teams/palau/timeline", &instructor, &change("vt-edge-exploit", "skip")),
    )
    .await;
    assert!(
        page.contains("step: `vt-edge-exploit` is not a step still to come"),
        "a step that ran"
    );
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a refused change says so in its status too"
    );
    // A step cannot be run before what it requires: it would only be prevented, and the
    // team credited with a prevention it did not make.
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/timeline",
            &instructor,
            &change("vt-putty-sessions", "run"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("step: `vt-putty-sessions` cannot run now: it requires") && page.contains("vt-prtg-creds"),
        "{page}"
    );
    assert!(app.db.actions(app.live.exercise).await.unwrap().is_empty());

    // Delay one step, skip another, run a third now.
    // Each answers with what it did.
    for (step, what, said) in [
        (
            "vt-clear-logs",
            "delay:2h",
            "Step vt-clear-logs is delayed by 2h for this team",
        ),
        ("vt-stage", "skip", "Step vt-stage is skipped for this team"),
        ("vt-webshell-recon", "run", "Step vt-webshell-recon runs now, at D1 "),
    ] {
        let (status, headers, _) = send(&app, post("/teams/palau/timeline", &instructor, &change(step, what))).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{step}");
        let back = header(&headers, "location").unwrap();
        assert!(back.starts_with("/teams/palau/timeline?step="), "{back}");
        let (_, _, page) = send(&app, get(back, &instructor)).await;
        assert!(page.contains(said), "{step}: {said}");
    }
    // Changes take effect from the next whole second of exercise time.
    app.live.tick(clock_now() + 1_000);
    let (status, due, _) = status_of(&app, "vt-webshell-recon");
    assert_eq!(status, Status::Succeeded, "run now");
    assert!(due.is_some_and(|d| d < 60 * 60_000), "{due:?}");
    let (_, _, page) = send(&app, get("/teams/palau/timeline", &instructor)).await;
    assert!(
        page.contains("White cell: delayed step vt-clear-logs by 2h"),
        "the delay is listed"
    );
    assert!(page.contains("White cell: skipped step vt-stage"), "the skip is listed");
    assert!(
        page.contains("White cell: ran step vt-webshell-recon now"),
        "the run is listed"
    );
    assert!(
        !page.contains("id=\"step-vt-webshell-recon\""),
        "a step that ran has no controls"
    );
    assert!(
        page.contains("id=\"step-vt-clear-logs\""),
        "a delayed step is still to come"
    );
    assert!(page.contains(", then delayed by 2h"), "its plan says so");
    assert!(!page.contains("id=\"step-vt-stage\""), "a skipped step is done with");

    // The team sees none of it.
    let (status, _, respond) = send(&app, get("/teams/palau/respond", &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(respond.contains("Action log"), "{respond}");
    for word in ["vt-clear-logs", "vt-stage", "Skip step", "Delay step", "Run step"] {
        assert!(!respond.contains(word), "{word} is not in the team's log: {respond}");
    }

    // A restarted server replays the changes: an exercise day later both worlds agree, and
    // the skipped step never ran.
    let stored = app.db.actions(app.live.exercise).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0].target, "vt-clear-logs\n2h");
    let clock = app.live.clock();
    let setup = Setup {
        seed: 1,
        date: atoll_sim::DEFAULT_DATE,
        end: SCENARIO.duration.value.as_secs() * 1000,
    };
    let again = Live::new(app.live.exercise, "Test".into(), &SCENARIO, &setup, clock, &RULES, &[]).unwrap();
    again.replay(&stored).unwrap();
    let later = clock_now() + 2 * 60_000;
    for live in [&app.live, &again] {
        live.tick(later);
    }
    assert_eq!(again.team(0).truth(), app.live.team(0).truth());
    let (status, _, reason) = status_of(&app, "vt-stage");
    assert_eq!(
        (status, reason.as_deref()),
        (Status::Prevented, Some(atoll_sim::actions::SKIPPED))
    );
    // Containing the intrusion before the skipped step is scored neither way.
    let score = send(&app, get("/teams/palau/score", &instructor)).await.2;
    let line = &score[score.find("expectation-e-contain-before-staging").expect("listed")..];
    let line = &line[..line.find("</tr>").unwrap()];
    assert!(
        line.contains("not scored") && line.contains("The white cell skipped step vt-stage"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_observer_can_follow_chosen_teams_only() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let olga = app.db.user_by_name("olga").await.unwrap().unwrap().0;
    let pita = app.db.user_by_name("pita").await.unwrap().unwrap().0;
    // One message to each team, so the messages page has something to hide.
    for (team, subject) in [("palau", "For+Palau"), ("nauru", "For+Nauru")] {
        let form = format!("team={team}&subject={subject}&body=Read+this");
        assert_eq!(
            send(&app, post("/messages", &instructor, &form)).await.0,
            StatusCode::SEE_OTHER
        );
    }
    // Bad requests change nothing and say what is wrong.
    let refused = [
        (
            format!("user={}&team=atlantis", olga.id),
            "team: `atlantis` is not a team",
        ),
        (
            format!("user={}&team=palau", pita.id),
            "only observers follow chosen teams",
        ),
    ];
    for (form, says) in refused {
        let (status, _, page) = send(&app, post("/people/follows", &instructor, &form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(page.contains(says), "{form}: {page}");
    }
    let observer = sign_in(&app, "olga").await;
    assert_eq!(
        send(
            &app,
            post("/people/follows", &observer, &format!("user={}&team=palau", olga.id))
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "observers do not choose for themselves"
    );
    let (_, _, board) = send(&app, get("/board", &observer)).await;
    assert!(board.contains("href=\"/teams/nauru\""), "every team before choosing");

    // The white cell has Olga follow Palau alone.
    let form = format!("user={}&team=palau", olga.id);
    assert_eq!(
        send(&app, post("/people/follows", &instructor, &form)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, people) = send(&app, get("/people", &instructor)).await;
    assert!(people.contains("value=\"palau\" checked"), "the choice is shown ticked");
    for (path, expected) in [
        ("/teams/palau", StatusCode::OK),
        ("/teams/palau/timeline", StatusCode::OK),
        ("/teams/nauru", StatusCode::FORBIDDEN),
        ("/teams/nauru/score", StatusCode::FORBIDDEN),
        ("/teams/nauru/timeline", StatusCode::FORBIDDEN),
        ("/people", StatusCode::FORBIDDEN),
    ] {
        assert_eq!(send(&app, get(path, &observer)).await.0, expected, "{path}");
    }
    let (_, _, board) = send(&app, get("/board", &observer)).await;
    assert!(board.contains("href=\"/teams/palau\"") && !board.contains("href=\"/teams/nauru\""));
    assert!(!board.contains("href=\"/people\""), "no People link");
    let (_, _, messages) = send(&app, get("/messages", &observer)).await;
    assert!(messages.contains("For Palau") && !messages.contains("For Nauru"));
    // The instructor still sees everything.
    let (_, _, messages) = send(&app, get("/messages", &instructor)).await;
    assert!(messages.contains("For Palau") && messages.contains("For Nauru"));
}

/// The id of the newest submission of `team`, as the grading queue and the pages name it.
async fn newest_submission(app: &Arc<App<Sqlite>>, team: &str) -> i64 {
    let all = app.db.submissions(app.live.exercise, Some(team)).await.unwrap();
    all.last().unwrap().id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_answers_opens_a_hint_and_reports_and_the_white_cell_grades() {
    // Three hours of play (D1 11:30): the partner advisory with its question, the web shell
    // (about D1 09:10) and the question on declaring an incident (D1 11:00) are all in.
    let app = app_started(180_000).await;
    let worker = app.clone();
    tokio::task::spawn_blocking(move || worker.live.tick(clock_now()))
        .await
        .unwrap();
    let player = sign_in(&app, "pita").await;
    let instructor = sign_in(&app, "ines").await;
    let observer = sign_in(&app, "olga").await;

    let (status, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Which of your log sources would show activity through a web shell",
        "At what point do you declare an incident",
        "Send answer (final)",
    ] {
        assert!(page.contains(text), "{text:?} missing: {page}");
    }
    assert!(
        !page.contains("firmware image you installed"),
        "the D2 question is not asked yet"
    );

    // A choice question sent without a choice: refused by field, nothing stored.
    let (status, _, page) = send(
        &app,
        post("/teams/palau/questions", &player, "question=q-telemetry-sources"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("choice: choose an option"), "{page}");
    assert!(app.db.submissions(app.live.exercise, None).await.unwrap().is_empty());

    // Both right options: graded at once, and final.
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/questions",
            &player,
            "question=q-telemetry-sources&choice=iis&choice=process",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(page.contains("1 of 1</strong> — Right: The web server"), "{page}");
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/questions",
            &player,
            "question=q-telemetry-sources&choice=iis",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("your team has already answered this question"), "{page}");

    // A written answer waits for the white cell.
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/questions",
            &player,
            "question=q-declare-incident&text=Now%3A+the+web+shell+is+evidence.+The+CISO+declares%3B+we+tell+the+CERT.",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let written = newest_submission(&app, "palau").await;
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(page.contains("The white cell has not graded it yet."), "{page}");

    // The hint on the web shell (30 minutes after it landed) costs 20 points.
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(page.contains("Opening it costs 20 points"), "{page}");
    let (status, _, _) = send(&app, post("/teams/palau/hints", &player, "hint=1")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(
        page.contains("/aspnet_client/") && page.contains("opened by pita"),
        "{page}"
    );
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(
        score.contains("less 20 for hints") && score.contains("Hint 1") && !score.contains("h-webshell"),
        "{score}"
    );

    // A report without a title comes back as it was written, saying what is missing.
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/reports",
            &player,
            "title=&to=national_cert&tlp=TLP%3AAMBER&what=Web+shell+on+PT-WEB01",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("title: give the report a title"), "{page}");
    assert!(
        page.contains("Web shell on PT-WEB01</textarea>"),
        "nothing typed is lost: {page}"
    );
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/reports",
            &player,
            "title=Web+shell+on+the+portal&to=national_cert&tlp=TLP%3AGREEN&what=Web+shell+on+PT-WEB01&indicators=203.0.113.45",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let report = newest_submission(&app, "palau").await;

    // The white cell's queue holds both, with the rubric and the report expectation.
    let (_, _, queue) = send(&app, get("/grading", &instructor)).await;
    assert!(queue.contains("Waiting (2)"), "{queue}");
    assert!(queue.contains("Names who declares and who is notified"), "{queue}");
    assert!(
        queue.contains("Report the incident to the national CERT within four hours"),
        "{queue}"
    );
    assert!(
        !queue.contains("log sources would show"),
        "choices are graded automatically: {queue}"
    );
    // Observers read it but get no forms.
    let (_, _, seen) = send(&app, get("/grading", &observer)).await;
    assert!(
        seen.contains("Waiting (2)") && !seen.contains("action=\"/grading/"),
        "{seen}"
    );

    // Points above a criterion's maximum are refused, and nothing is stored.
    let (status, _, page) = send(
        &app,
        post(
            &format!("/grading/{written}"),
            &instructor,
            "points.evidence=9&points.authority=4&points.timing=2",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("points.evidence: give whole points from 0 to 4"),
        "{page}"
    );
    let (status, _, _) = send(
        &app,
        post(
            &format!("/grading/{written}"),
            &instructor,
            "points.evidence=4&points.authority=4&points.timing=2&comment=Clear+and+timely.",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = send(
        &app,
        post(
            &format!("/grading/{report}"),
            &instructor,
            "points.e-report-incident=70&comment=Add+the+affected+accounts.",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, queue) = send(&app, get("/grading", &instructor)).await;
    assert!(queue.contains("Waiting (0)") && queue.contains("Graded (2)"), "{queue}");

    // The team reads its grades and comments, and its score changes with them.
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(
        page.contains("10 of 10") && page.contains("Comment: Clear and timely."),
        "{page}"
    );
    let (_, _, page) = send(&app, get("/teams/palau/reports", &player)).await;
    assert!(
        page.contains("70 points") && page.contains("Comment: Add the affected accounts."),
        "{page}"
    );
    assert!(
        !page.contains("within four hours of the database copy"),
        "players are not told the report expectations, which name later steps: {page}"
    );
    let (_, _, staff_view) = send(&app, get("/teams/palau/reports", &instructor)).await;
    assert!(staff_view.contains("70 of 100 points"), "{staff_view}");
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    for id in ["expectation-e-answer-declare", "expectation-e-report-incident"] {
        let at = score
            .find(id)
            .unwrap_or_else(|| panic!("{id} settled and shown: {score}"));
        assert!(score[at..].contains("earned"), "{id}: {score}");
    }
    assert!(score.contains("50 / 50") && score.contains("70 / 100"), "{score}");
    // The board shows the team's last act.
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(board.contains("pita sent a report"), "{board}");
    // Once play has ended, nothing more is handed in.
    let (status, _, _) = send(&app, post("/clock", &instructor, "action=end&confirm=yes")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/questions",
            &player,
            "question=q-authorise-isolation&text=The+CEO",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("Play ended at D1 "), "{page}");
    assert!(
        page.contains("What you sent (not stored)") && page.contains("<blockquote class=\"sent\">The CEO</blockquote>"),
        "nothing typed is lost: {page}"
    );
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/reports",
            &player,
            "title=Late&to=national_cert&tlp=TLP%3AAMBER&what=w",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("Play ended at D1 ") && page.contains("<blockquote class=\"sent\">Late</blockquote>"),
        "{page}"
    );
    // Another team sees none of it.
    let nora = sign_in(&app, "nora").await;
    let (status, _, _) = send(&app, get("/teams/palau/reports", &nora)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, theirs) = send(&app, get("/teams/nauru/questions", &nora)).await;
    assert!(
        !theirs.contains("opened by pita") && !theirs.contains("10 of 10"),
        "{theirs}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_builds_a_case_from_its_alerts() {
    // Forty minutes of play with atoll's rules: the web shell upload has raised an alert.
    let app = app_with(40_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (status, headers, _) = send(
        &app,
        post("/teams/palau/cases", &player, "title=Web+shell+on+the+portal"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let case = header(&headers, "location").unwrap().to_owned();
    assert!(case.starts_with("/teams/palau/cases/"), "{case}");
    let (status, _, page) = send(&app, get(&case, &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Status: <strong>Open</strong>"), "{page}");
    // The alert on offer, and linking it.
    let at = page.find("name=\"alert\"").expect("alerts to link");
    let value_at = at + page[at..].find("value=\"").unwrap() + 7;
    let value = &page[value_at..value_at + page[value_at..].find('"').unwrap()];
    let form = format!("kind=alert&alert={}", value.replace(':', "%3A").replace(' ', "+"));
    let (status, _, _) = send(&app, post(&case, &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    for form in [
        "kind=note&note=iisstart.aspx+was+written+by+w3wp.exe",
        "kind=indicator&indicator_kind=ipv4&indicator=203.0.113[.]45",
        "kind=status&status=contained",
    ] {
        let (status, _, page) = send(&app, post(&case, &player, form)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{form}: {page}");
    }
    // Bad entries are refused by field, and nothing is stored.
    for (form, message) in [
        (
            "kind=indicator&indicator_kind=ipv4&indicator=not-an-address",
            "indicator: `not-an-address` is not an IPv4 address",
        ),
        ("kind=status&status=solved", "status: `solved` is not a case status"),
        ("kind=alert&alert=999999%3Anope", "alert: no such alert of your team"),
        ("kind=note&note=+", "note: write a note"),
    ] {
        let (status, _, page) = send(&app, post(&case, &player, form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(page.contains(message), "{message:?} missing: {page}");
    }
    let (_, _, page) = send(&app, get(&case, &player)).await;
    assert!(page.contains("Status: <strong>Contained</strong>"), "{page}");
    let timeline = &page[page.find("<ol class=\"timeline\">").unwrap()..];
    let order: Vec<usize> = [
        "linked alert",
        "iisstart.aspx was written",
        "203.0.113[.]45",
        "status set to",
    ]
    .iter()
    .map(|t| timeline.find(t).unwrap_or_else(|| panic!("{t:?} missing: {timeline}")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "in the order added: {order:?}");
    assert!(timeline.contains("The event that raised it"), "{timeline}");
    assert_eq!(
        timeline.matches("<li ").count(),
        4,
        "the refused entries left nothing: {timeline}"
    );
    let (_, _, list) = send(&app, get("/teams/palau/cases", &player)).await;
    assert!(
        list.contains("Web shell on the portal") && list.contains("Contained"),
        "{list}"
    );
    // Nauru cannot read it, even through its own path.
    let nora = sign_in(&app, "nora").await;
    let id = case.rsplit('/').next().unwrap();
    let (status, _, _) = send(&app, get(&format!("/teams/nauru/cases/{id}"), &nora)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(&app, get(&case, &nora)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
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

#[tokio::test(flavor = "multi_thread")]
async fn a_team_tests_a_rule_turns_it_on_and_its_alerts_come_back_after_a_restart() {
    // Half an hour of play (60×) so far: sign-ins to test against.
    let app = app_started(30_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;

    let (status, _, body) = send(&app, get("/teams/palau/rules", &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Scheduled task created") && body.contains("No rule turned on yet"),
        "{body}"
    );

    // A broken rule: where and what, the text kept, nothing stored.
    let broken =
        "title: Broken\nlogsource: {product: windows}\ndetection: {selection: {EventID: 4624}, condition: selecton}\n";
    let (status, _, body) = send(&app, post("/teams/palau/rules", &player, &rule_form(broken, "on"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("line ") && body.contains("selecton"), "{body}");
    assert!(
        body.contains("condition: selecton}"),
        "the rule comes back as written: {body}"
    );
    assert!(app.db.team_rules(app.live.exercise, None).await.unwrap().is_empty());

    // A test counts the matches among the team's events, by host, with the newest events.
    let (status, _, body) = send(
        &app,
        post("/teams/palau/rules", &player, &rule_form(SIGN_IN_RULE, "test")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let matched: u64 = body
        .split(r#"<strong id="matched">"#)
        .nth(1)
        .and_then(|t| t.split('<').next())
        .and_then(|n| n.parse().ok())
        .expect("a count of matching events");
    let expected = {
        let runtime = app.live.team(0);
        let set = rule_set(SIGN_IN_RULE);
        let mut line = String::new();
        (0..runtime.store().len() as u32)
            .filter(|&row| {
                line.clear();
                runtime.store().write_json(row, &mut line);
                !set.matches(&atoll_sigma::Event::from_json(&line).unwrap()).is_empty()
            })
            .count() as u64
    };
    assert!(expected > 0, "sign-ins in the first half hour");
    assert_eq!(matched, expected);
    assert!(
        body.contains("Newest matching events") && body.contains("EventID=4624"),
        "{body}"
    );
    assert!(
        app.db.team_rules(app.live.exercise, None).await.unwrap().is_empty(),
        "testing stores nothing"
    );
    // The ground truth is the white cell's while play lasts: it would tell players which
    // events are the attack.
    assert!(!body.contains("Against what really happened"), "{body}");
    let instructor = sign_in(&app, "ines").await;
    let (_, _, judged) = send(
        &app,
        post("/teams/palau/rules", &instructor, &rule_form(SIGN_IN_RULE, "test")),
    )
    .await;
    let truth = &judged[judged
        .find("<p id=\"truth\">")
        .expect("the ground truth for the white cell")..];
    let numbers: Vec<u64> = truth
        .split("<strong>")
        .skip(1)
        .take(2)
        .map(|t| t.split('<').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        numbers[0] + numbers[1],
        matched,
        "attack and benign make up the matches: {truth}"
    );
    assert!(numbers[1] > 0, "sign-ins are mostly people at work: {truth}");

    // Turned on: stored, and from then on it raises alerts on new events, with its author.
    let (status, headers, _) = send(
        &app,
        post("/teams/palau/rules", &player, &rule_form(SIGN_IN_RULE, "on")),
    )
    .await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/teams/palau/rules#rule-1"))
    );
    let stored = app.db.team_rules(app.live.exercise, None).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].title.as_str(), stored[0].username.as_str()),
        ("Successful sign-in", "pita")
    );
    let from = stored[0].at;
    assert!(
        app.live.team(0).alerts().iter().all(|a| a.team_rule().is_none()),
        "nothing before it was turned on"
    );
    let later = clock_now() + 60_000;
    app.live.tick(later);
    let raised: Vec<(u64, u32)> = app
        .live
        .team(0)
        .alerts()
        .iter()
        .filter(|a| a.team_rule() == Some(1))
        .map(|a| (a.at, a.row))
        .collect();
    assert!(!raised.is_empty(), "an hour of play brings sign-ins");
    assert!(raised.iter().all(|&(at, _)| at >= from), "{raised:?} from {from}");
    assert!(
        app.live.team(1).alerts().iter().all(|a| a.team_rule().is_none()),
        "Nauru's world has none of Palau's rules"
    );
    let (_, _, alerts) = send(&app, get("/teams/palau", &player)).await;
    assert!(
        alerts.contains("Successful sign-in") && alerts.contains("Palau SOC"),
        "{alerts}"
    );
    let (_, _, body) = send(&app, get("/teams/palau/rules", &player)).await;
    assert!(
        body.contains("Turn off") && body.contains(&format!(">{}</td>", raised.len())),
        "{body}"
    );

    // A restarted server turns it on again from the same time: the same alerts.
    let setup = Setup {
        seed: 1,
        date: atoll_sim::DEFAULT_DATE,
        end: SCENARIO.duration.value.as_secs() * 1000,
    };
    let again = Live::new(
        app.live.exercise,
        "Test".into(),
        &SCENARIO,
        &setup,
        app.live.clock(),
        &RULES,
        &[],
    )
    .unwrap();
    assert_eq!(again.replay_rules(&stored), Vec::<String>::new());
    again.tick(later);
    let replayed: Vec<(u64, u32)> = again
        .team(0)
        .alerts()
        .iter()
        .filter(|a| a.team_rule() == Some(1))
        .map(|a| (a.at, a.row))
        .collect();
    assert_eq!(replayed, raised);

    // Turned off: no alert after that.
    let (status, _, _) = send(&app, post("/teams/palau/rules/1/off", &player, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let off = app.db.team_rules(app.live.exercise, None).await.unwrap()[0]
        .off
        .clone()
        .unwrap();
    app.live.tick(later + 60_000);
    assert!(
        app.live
            .team(0)
            .alerts()
            .iter()
            .filter(|a| a.team_rule() == Some(1))
            .all(|a| a.at < off.0),
        "none after {off:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_that_cannot_be_read_again_after_a_restart_says_so_on_the_rules_page() {
    let app = app().await;
    let pita = app.db.user_by_name("pita").await.unwrap().unwrap().0.id;
    // As if written by an older atoll that read what this one refuses.
    let id = app
        .db
        .add_team_rule(
            app.live.exercise,
            "palau",
            "Old rule",
            "title: Old rule\nlogsource: {}\n",
            pita,
            0,
            0,
        )
        .await
        .unwrap();
    let problems = app
        .live
        .replay_rules(&app.db.team_rules(app.live.exercise, None).await.unwrap());
    assert_eq!(problems.len(), 1, "{problems:?}");
    let cookie = sign_in(&app, "pita").await;
    let (_, _, page) = send(&app, get("/teams/palau/rules", &cookie)).await;
    let row = &page[page.find(&format!("id=\"rule-{id}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("not running") && row.contains("Turn off"), "{row}");
    // Turned off, it is listed as off.
    let (status, _, _) = send(&app, post(&format!("/teams/palau/rules/{id}/off"), &cookie, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&app, get("/teams/palau/rules", &cookie)).await;
    let row = &page[page.find(&format!("id=\"rule-{id}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("off since") && !row.contains("not running"), "{row}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_saves_a_search_and_runs_it_again_in_one_click() {
    let app = app_started(10_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let observer = sign_in(&app, "olga").await;
    let (_, _, body) = send(&app, get("/teams/palau/hunt?q=log%3Adns", &player)).await;
    assert!(
        body.contains("Save this search as"),
        "offered once a search ran: {body}"
    );
    let (_, _, body) = send(&app, get("/teams/palau/hunt?q=log%3Adns", &observer)).await;
    assert!(!body.contains("Save this search as"), "observers do not save");

    // No name, or a query that does not parse: refused by field, what was typed kept.
    let (status, _, body) = send(&app, post("/teams/palau/searches", &player, "q=log%3Adns&name=")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("name: give the search a name") && body.contains("log:dns"),
        "{body}"
    );
    let (status, _, body) = send(
        &app,
        post("/teams/palau/searches", &player, "q=%28log%3Adns&name=broken"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("q: ") && body.contains(r#"value="broken""#), "{body}");
    assert!(
        app.db
            .saved_searches(app.live.exercise, "palau")
            .await
            .unwrap()
            .is_empty()
    );

    let (status, headers, _) = send(
        &app,
        post("/teams/palau/searches", &player, "q=log%3Adns&name=DNS+lookups"),
    )
    .await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/teams/palau/hunt?q=log%3Adns"))
    );
    let (_, _, body) = send(&app, get("/teams/palau/hunt", &player)).await;
    assert!(
        body.contains(r#"<a href="/teams/palau/hunt?q=log%3Adns" title="log:dns">DNS lookups</a>"#),
        "{body}"
    );
    // Nauru's hunt page does not list it.
    let nora = sign_in(&app, "nora").await;
    let (_, _, body) = send(&app, get("/teams/nauru/hunt", &nora)).await;
    assert!(!body.contains("DNS lookups"), "{body}");
    // Deleted by the team, it is gone.
    let id = app.db.saved_searches(app.live.exercise, "palau").await.unwrap()[0].id;
    let (status, _, _) = send(&app, post(&format!("/teams/palau/searches/{id}/delete"), &player, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, body) = send(&app, get("/teams/palau/hunt", &player)).await;
    assert!(!body.contains("DNS lookups"), "{body}");
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
    let response = router(app.clone()).oneshot(request).await.unwrap();
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

#[tokio::test(flavor = "multi_thread")]
async fn a_live_stream_ends_when_its_session_does() {
    use futures_util::StreamExt as _;
    let app = app().await;
    for (user, path) in [("pita", "/teams/palau/live"), ("ines", "/live")] {
        let cookie = sign_in(&app, user).await;
        let response = router(app.clone()).oneshot(get(path, &cookie)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let mut body = response.into_body().into_data_stream();
        // The stream goes on while the session lasts…
        let first = tokio::time::timeout(std::time::Duration::from_secs(10), body.next()).await;
        assert!(matches!(first, Ok(Some(Ok(_)))), "{user}: the stream sends");
        // Past the first session checks (every 5 s), it is still open.
        assert!(
            !ends_within(&mut body, 7).await,
            "{user}: the stream stays open while the session lasts"
        );
        // …and ends within a few polls of signing out.
        let (status, _, _) = send(&app, post("/logout", &cookie, "")).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            ends_within(&mut body, 60).await,
            "{user}: the stream ended with the session"
        );
    }
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

#[tokio::test(flavor = "multi_thread")]
async fn an_observers_live_stream_ends_when_the_teams_they_follow_change() {
    use futures_util::StreamExt as _;
    let app = app().await;
    let observer = sign_in(&app, "olga").await;
    let response = router(app.clone()).oneshot(get("/live", &observer)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body().into_data_stream();
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), body.next()).await;
    assert!(matches!(first, Ok(Some(Ok(_)))), "the stream sends");
    // The board stream was opened seeing every team; once she follows Palau alone it ends,
    // and the browser reconnects seeing Palau only.
    let instructor = sign_in(&app, "ines").await;
    let (status, _, _) = send(&app, post("/people/follows", &instructor, "user=2&team=palau")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        ends_within(&mut body, 60).await,
        "the stream ended when her teams changed"
    );
    // Her session itself goes on.
    let (status, _, _) = send(&app, get("/board", &observer)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn live_updates_bring_new_items_and_resume_after_a_dropout() {
    // Two hours of play with an alert on every sign-in: alerts and injects to be told of.
    static SIGN_INS: LazyLock<RuleSet> = LazyLock::new(|| rule_set(SIGN_IN_RULE));
    let app = app_with(2 * 60_000, &SIGN_INS, &[]).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (alerts, last_title) = {
        let team = app.live.team(0);
        (team.alerts().len(), team.alerts().last().unwrap().title.clone())
    };
    assert!(alerts > 6, "{alerts} alerts");

    // A first connection: the numbers the pages show, no notes.
    let first = live_events(&app, "/teams/palau/live", &player, None).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let values: serde_json::Value = serde_json::from_str(&first[0].2).unwrap();
    assert_eq!(values["alerts"], alerts.to_string());
    assert!(values["clock"].as_str().unwrap().starts_with("D1 "), "{values}");
    let inbox: usize = values["inbox"].as_str().unwrap().parse().unwrap();
    assert!(inbox > 0, "injects have arrived in two hours: {values}");
    let cursor = first[0].1.clone();
    assert_eq!(
        cursor,
        format!("{alerts}.{inbox}.0.{}", values["questions"].as_str().unwrap())
    );

    // Resumed from the cursor: nothing missed, nothing to tell.
    let again = live_events(&app, "/teams/palau/live", &player, Some(&cursor)).await;
    assert_eq!(again.len(), 1, "{again:?}");

    // The white cell writes while the browser is away; back with the old cursor, it is told.
    let instructor = sign_in(&app, "ines").await;
    let message = "team=palau&subject=Call+the+CERT&body=Now.";
    assert_eq!(
        send(&app, post("/messages", &instructor, message)).await.0,
        StatusCode::SEE_OTHER
    );
    let resumed = live_events(&app, "/teams/palau/live", &player, Some(&cursor)).await;
    let notes: Vec<&str> = resumed.iter().filter(|e| e.0 == "note").map(|e| e.2.as_str()).collect();
    assert_eq!(notes.len(), 1, "{resumed:?}");
    assert!(
        notes[0].contains("Message from the white cell: Call the CERT") && notes[0].contains("/teams/palau/inbox"),
        "{notes:?}"
    );

    // Back from a long dropout (nothing seen): one note for every alert missed, with the
    // newest, opening the queue.
    let long = live_events(&app, "/teams/palau/live", &player, Some("0.0.0.0")).await;
    let alert_notes: Vec<&str> = long
        .iter()
        .filter(|e| e.0 == "note" && e.2.contains("new alerts"))
        .map(|e| e.2.as_str())
        .collect();
    assert_eq!(alert_notes.len(), 1, "{long:?}");
    assert!(
        alert_notes[0].contains(&format!("{alerts} new alerts"))
            && alert_notes[0].contains(&format!("newest: {last_title}"))
            && alert_notes[0].contains("\"href\":\"/teams/palau\""),
        "{alert_notes:?}"
    );
    assert!(long.iter().any(|e| e.2.contains("In your inbox: ")), "{long:?}");
    let ids: Vec<&str> = long.iter().map(|e| e.1.as_str()).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every event carries the new cursor: {ids:?}"
    );

    // The badge counts the alerts that came since the player last opened the queue.
    assert_eq!(send(&app, get("/teams/palau", &player)).await.0, StatusCode::OK);
    let opened = live_events(&app, "/teams/palau/live", &player, None).await;
    let values: serde_json::Value = serde_json::from_str(&opened[0].2).unwrap();
    assert_eq!(values["alerts"], "", "nothing new since the queue was opened");

    // The white cell's stream: the board's numbers for every team, and what teams write.
    let board = live_events(&app, "/live", &instructor, None).await;
    let values: serde_json::Value = serde_json::from_str(&board[0].2).unwrap();
    assert_eq!(values["palau.alerts"], alerts.to_string());
    assert!(values["nauru.events"].as_str().is_some(), "{values}");
    let cursor = board[0].1.clone();
    let reply = "subject=Web+shell+found&body=PT-WEB01+isolated.";
    assert_eq!(
        send(&app, post("/teams/palau/messages", &player, reply)).await.0,
        StatusCode::SEE_OTHER
    );
    let told = live_events(&app, "/live", &instructor, Some(&cursor)).await;
    assert!(
        told.iter()
            .any(|e| e.0 == "note" && e.2.contains("Message from Palau: Web shell found")),
        "{told:?}"
    );
    // A player's stream of another team is refused (the route table checks every role).
    let nora = sign_in(&app, "nora").await;
    assert_eq!(
        send(&app, get("/teams/palau/live", &nora)).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn teams_see_the_scoreboard_only_while_the_white_cell_shows_it() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let player = sign_in(&app, "pita").await;
    let (status, _, body) = send(&app, get("/scoreboard", &player)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("has not opened the scoreboard"), "{body}");
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(!score.contains(r#"href="/scoreboard""#), "no link while hidden");
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(
        board.contains("only the white cell sees it") && board.contains("Show it to teams"),
        "{board}"
    );

    let (status, _, _) = send(&app, post("/scoreboard", &instructor, "show=yes")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, body) = send(&app, get("/scoreboard", &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Teams can see this page"), "{body}");
    for team in SCENARIO.player_teams() {
        assert!(
            body.contains(&format!("<td>{}</td>", team.name.get("en"))),
            "{} in {body}",
            team.id.name
        );
    }
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(score.contains(r#"href="/scoreboard""#), "linked from the team's score");
    let (status, _, _) = send(&app, post("/scoreboard", &instructor, "show=maybe")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, _, _) = send(&app, post("/scoreboard", &instructor, "show=no")).await;
    assert_eq!(send(&app, get("/scoreboard", &player)).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_links_an_event_it_found_by_hunting_to_a_case() {
    let app = app_started(10_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (_, _, hunt) = send(&app, get("/teams/palau/hunt?q=log%3Adns", &player)).await;
    assert!(!hunt.contains("/cases/event"), "no open case, nothing to link to");
    let (status, _, _) = send(&app, post("/teams/palau/cases", &player, "title=DNS+oddities")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, hunt) = send(&app, get("/teams/palau/hunt?q=log%3Adns", &player)).await;
    assert!(
        hunt.contains(r#"action="/teams/palau/cases/event""#)
            && hunt.contains(r#"<option value="1">DNS oddities</option>"#),
        "{hunt}"
    );
    let row: u32 = hunt
        .split(r#"name="event" value=""#)
        .nth(1)
        .and_then(|t| t.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("an event row to link");

    // A row the team does not have is refused by field; nothing is stored.
    let (status, _, body) = send(&app, post("/teams/palau/cases/event", &player, "case=1&event=99999999")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("event: no such event of your team"), "{body}");
    // Another team cannot add to Palau's case.
    let nora = sign_in(&app, "nora").await;
    let (status, _, _) = send(
        &app,
        post("/teams/nauru/cases/event", &nora, &format!("case=1&event={row}")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, headers, _) = send(
        &app,
        post("/teams/palau/cases/event", &player, &format!("case=1&event={row}")),
    )
    .await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/teams/palau/cases/1"))
    );
    let (_, _, case) = send(&app, get("/teams/palau/cases/1", &player)).await;
    let mut expected = String::new();
    app.live.team(0).store().write_json(row, &mut expected);
    let event: serde_json::Value = serde_json::from_str(&expected).unwrap();
    assert!(
        case.contains("linked event") && case.contains(&format!("host: {}", event["host"].as_str().unwrap())),
        "{case}"
    );
    assert!(case.contains("log: dns"), "the event's fields: {case}");
    let (_, _, list) = send(&app, get("/teams/palau/cases", &player)).await;
    assert!(list.contains("<th>Events</th>"), "{list}");
    let entries = app.db.case(app.live.exercise, "palau", 1).await.unwrap().1;
    assert_eq!(
        entries
            .iter()
            .map(|e| (e.kind.as_str(), e.body.clone()))
            .collect::<Vec<_>>(),
        [("event", row.to_string())]
    );
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

#[tokio::test(flavor = "multi_thread")]
async fn api_tokens_are_made_on_the_account_page_shown_once_and_revoked() {
    let app = app().await;
    let pita = sign_in(&app, "pita").await;
    let token = make_token(&app, &pita, "nightly").await;
    // Shown once: the list names it, and the token is nowhere on the page again. Only its
    // hash is stored.
    let (_, _, page) = send(&app, get("/account", &pita)).await;
    assert!(
        page.contains("nightly") && page.contains("never") && !page.contains(&token),
        "{page}"
    );
    let (status, me) = call(&app, "GET", "/api/v1/exercise", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (me["you"]["username"].as_str(), me["you"]["team"].as_str()),
        (Some("pita"), Some("palau"))
    );
    let teams: Vec<&str> = me["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(teams, ["palau"], "a player's token sees the player's team only");
    let (_, _, page) = send(&app, get("/account", &pita)).await;
    assert!(!page.contains("never"), "last use noted: {page}");

    // Refused forms name the field and make nothing.
    for (form, field) in [("name=&days=30", "name:"), ("name=x&days=365", "days:")] {
        let (status, _, page) = send(&app, post("/account", &pita, form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(
            page.contains(field) && !page.contains("value=\"atoll_"),
            "{form}: {page}"
        );
    }
    assert_eq!(
        app.db
            .tokens(app.db.user_by_name("pita").await.unwrap().unwrap().0.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Without a token, with a wrong one, or with a session cookie instead: 401, said in JSON.
    let cookie_only = Request::get("/api/v1/exercise")
        .header(header::COOKIE, &pita)
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&app, cookie_only).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the API takes no cookies");
    assert!(header(&headers, "www-authenticate").is_some_and(|v| v.starts_with("Bearer")));
    assert!(body.contains("\"field\":\"Authorization\""), "{body}");
    for bad in ["", "atoll_0000", &format!("{token}x")] {
        let (status, problem) = call(&app, "GET", "/api/v1/exercise", bad, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(problem["error"]["status"], 401);
    }
    // Another player cannot revoke it; its owner can, and then it opens nothing.
    let nora = sign_in(&app, "nora").await;
    let (status, _, _) = send(&app, post("/account/tokens/1/revoke", &nora, "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        call(&app, "GET", "/api/v1/exercise", &token, None).await.0,
        StatusCode::OK
    );
    let (status, _, _) = send(&app, post("/account/tokens/1/revoke", &pita, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        call(&app, "GET", "/api/v1/exercise", &token, None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // An instructor ending a player's sessions ends their tokens too.
    let second = make_token(&app, &pita, "second").await;
    let ines = sign_in(&app, "ines").await;
    let id = app.db.user_by_name("pita").await.unwrap().unwrap().0.id;
    let (status, _, _) = send(&app, post("/people/end", &ines, &format!("user={id}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        call(&app, "GET", "/api/v1/exercise", &second, None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_api_operation_for_every_role_and_team() {
    let app = app_started(40_000).await;
    app.live.tick(clock_now());
    let mut tokens = Vec::new();
    for who in ["ines", "olga", "pita"] {
        let cookie = sign_in(&app, who).await;
        tokens.push(make_token(&app, &cookie, who).await);
    }
    // A report from Palau, for the grading rows.
    let pita = sign_in(&app, "pita").await;
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/reports",
            &pita,
            "title=t&to=national_cert&tlp=TLP%3AAMBER&what=w",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let report = newest_submission(&app, "palau").await;
    use StatusCode as S;
    let grade = format!("/api/v1/grading/{report}");
    // (method, path, body, [instructor, observer, palau player, no token])
    let cases: Vec<(&str, &str, Option<&str>, [S; 4])> = vec![
        ("GET", "/api/v1/openapi.json", None, [S::OK, S::OK, S::OK, S::OK]),
        ("GET", "/api/v1/exercise", None, [S::OK, S::OK, S::OK, S::UNAUTHORIZED]),
        (
            "GET",
            "/api/v1/audit",
            None,
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/clock",
            Some(r#"{"action":"speed","speed":60}"#),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/board",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/scoreboard",
            Some(r#"{"show":false}"#),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/score",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/score",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/atlantis/score",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/timeline",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/timeline",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/steps",
            Some(r#"{"step":"vt-prtg-creds","change":"delay:15m"}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/alerts",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/alerts?state=open",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // No rule raised an alert in this exercise: the ones allowed find none.
            "POST",
            "/api/v1/teams/palau/alerts/0/verdict",
            Some(r#"{"state":"false_positive"}"#),
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/alerts/0/verdict",
            Some(r#"{"state":"false_positive"}"#),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/inbox",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/inbox",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/hunt?q=EventID%3A4688",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/hunt?q=EventID%3A4688",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/rules",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/rules",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/searches",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/searches",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/hints",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/hints",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // Only the team's players open hints; this one is not available yet.
            "POST",
            "/api/v1/teams/palau/hints/1/open",
            None,
            [S::FORBIDDEN, S::FORBIDDEN, S::CONFLICT, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/questions",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/questions",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // Only the team's players answer.
            "POST",
            "/api/v1/teams/palau/questions/q-telemetry-sources/answer",
            Some(r#"{"choices":["iis","process"]}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/questions/q-telemetry-sources/answer",
            Some(r#"{"choices":["iis"]}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/messages",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/messages",
            Some(r#"{"team":"nauru","subject":"Status","body":"Send us your status."}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/injects",
            Some(r#"{"inject":"news-rumour","team":"nauru"}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/grading",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            &grade,
            Some(r#"{"points":{"e-report-incident":10},"comment":"ok"}"#),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/actions",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/actions",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/actions",
            Some(r#"{"action":"block_address","target":"203.0.113.45"}"#),
            [S::CREATED, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/actions",
            Some(r#"{"action":"block_address","target":"203.0.113.45"}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/cases",
            Some(r#"{"title":"Web shell"}"#),
            [S::CREATED, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/cases",
            Some(r#"{"title":"Web shell"}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/cases/1",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        // Case 1 is Palau's: asked for as Nauru's it does not exist.
        (
            "GET",
            "/api/v1/teams/nauru/cases/1",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/cases/1/entries",
            Some(r#"{"kind":"note","note":"seen"}"#),
            [S::CREATED, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/cases/1/entries",
            Some(r#"{"kind":"note","note":"seen"}"#),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/reports",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/reports",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/reports",
            Some(r#"{"title":"t","to":"national_cert","tlp":"TLP:AMBER","what":"w"}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/reports",
            Some(r#"{"title":"t","to":"national_cert","tlp":"TLP:AMBER","what":"w"}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/people",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        // Nora's sessions (she has none here); Olga follows every team, as before.
        (
            "POST",
            "/api/v1/people/4/end",
            None,
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/people/2/follows",
            Some(r#"{"teams":[]}"#),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/invitations",
            Some(r#"{"as":"player:palau","hours":24}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/exercises",
            None,
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // This exercise runs no shared rule of that id.
            "POST",
            "/api/v1/detection/no-such-rule",
            Some(r#"{"on":false}"#),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/alerts/999999",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/alerts/999999",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // Never the whole queue at once: a filter is needed.
            "POST",
            "/api/v1/teams/palau/alerts/verdicts",
            Some(r#"{"filter":{},"state":"false_positive"}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/alerts/verdicts",
            Some(r#"{"filter":{},"state":"false_positive"}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/cases",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/cases",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // No such open case of the team.
            "POST",
            "/api/v1/teams/palau/cases/999999/alerts",
            Some(r#"{"filter":{"level":"high"}}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/suppressions",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/suppressions",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // A rule the team has no alerts from.
            "POST",
            "/api/v1/teams/palau/suppressions",
            Some(r#"{"rule":"No such rule","reason":"testing it"}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/suppressions/999999/end",
            None,
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::UNAUTHORIZED],
        ),
        (
            // Not a whole rule: refused with where.
            "POST",
            "/api/v1/teams/palau/rules",
            Some(r#"{"yaml":"title: x"}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/rules/999999/off",
            None,
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/searches",
            Some(r#"{"name":"process starts","q":"EventID:4688"}"#),
            [S::CREATED, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/searches",
            Some(r#"{"name":"process starts","q":"EventID:4688"}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/searches/999999/delete",
            None,
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::UNAUTHORIZED],
        ),
        (
            // Only the team's players write as the team.
            "POST",
            "/api/v1/teams/palau/messages",
            Some(r#"{"subject":"Status","body":"Web server isolated."}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/messages",
            Some(r#"{"subject":"Status","body":"b"}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/network",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/network",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/no-such-thing",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND],
        ),
    ];
    let documented = atoll_web::api::operations();
    for (method, path) in &documented {
        let tested = cases.iter().any(|(m, p, _, _)| {
            let (a, b): (Vec<&str>, Vec<&str>) = (
                path.split('/').collect(),
                p.trim_start_matches("/api/v1")
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .split('/')
                    .collect(),
            );
            m.eq_ignore_ascii_case(method)
                && a.len() == b.len()
                && a.iter().zip(&b).all(|(x, y)| x.starts_with('{') || x == y)
        });
        assert!(tested, "{method} {path} is in the table");
    }
    for (method, path, body, expected) in &cases {
        for (who, token, want) in [
            ("instructor", tokens[0].as_str(), expected[0]),
            ("observer", &tokens[1], expected[1]),
            ("player", &tokens[2], expected[2]),
            ("nobody", "", expected[3]),
        ] {
            if *path == "/api/v1/no-such-thing" {
                let (status, _, text) = send(&app, api(method, path, token, *body)).await;
                assert_eq!(status, want, "{method} {path} as {who}");
                assert!(text.contains("openapi.json"), "{text}");
                continue;
            }
            let (status, answer) = call(&app, method, path, token, *body).await;
            assert_eq!(status, want, "{method} {path} as {who}: {answer}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_runs_the_exercise_through_the_api_as_the_console_does() {
    let app = app_started(40_000).await;
    app.live.tick(clock_now());
    let (ines, pita) = (sign_in(&app, "ines").await, sign_in(&app, "pita").await);
    let (white, player) = (
        make_token(&app, &ines, "script").await,
        make_token(&app, &pita, "script").await,
    );

    // The clock: pause, a bad speed refused by field (nothing changes), jump, resume.
    let (status, clock) = call(&app, "POST", "/api/v1/clock", &white, Some(r#"{"action":"pause"}"#)).await;
    assert_eq!((status, clock["state"].as_str()), (StatusCode::OK, Some("paused")));
    let paused_at = clock["time"]["ms"].as_u64().unwrap();
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/clock",
        &white,
        Some(r#"{"action":"speed","speed":0}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["error"]["field"], "speed", "{problem}");
    assert_eq!(app.live.clock().speed, 60);
    let (status, problem) = call(&app, "POST", "/api/v1/clock", &white, Some(r#"{"action":"end"}"#)).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("confirm"))
    );
    let (status, clock) = call(
        &app,
        "POST",
        "/api/v1/clock",
        &white,
        Some(r#"{"action":"jump","to":"D1 10:30"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{clock}");
    assert_eq!(
        (clock["state"].as_str(), clock["time"]["label"].as_str()),
        (Some("paused"), Some("D1 10:30"))
    );
    assert!(clock["time"]["ms"].as_u64().unwrap() > paused_at);
    let (_, clock) = call(&app, "POST", "/api/v1/clock", &white, Some(r#"{"action":"resume"}"#)).await;
    assert_eq!(clock["state"], "running");

    // Bodies that are not what the operation takes are refused, saying where.
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/clock",
        &white,
        Some(r#"{"action":"pause","sped":2}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `sped`"),
        "{problem}"
    );
    let (status, problem) = call(&app, "POST", "/api/v1/clock", &white, Some("{\"action\":\n  pause}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["error"]["message"].as_str().unwrap().contains("line 2 column"),
        "{problem}"
    );

    // A message to one track of one team; a scenario inject; a campaign step delayed.
    let (status, sent) = call(
        &app,
        "POST",
        "/api/v1/messages",
        &white,
        Some(r#"{"team":"palau","track":"policy","subject":"Minister asks","body":"Brief the minister by noon."}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent.as_array().unwrap().len(), 1);
    assert_eq!(
        (sent[0]["team"].as_str(), sent[0]["track"].as_str()),
        (Some("palau"), Some("policy"))
    );
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/messages",
        &white,
        Some(r#"{"subject":"","body":"x"}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("subject"))
    );
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &pita)).await;
    assert!(inbox.contains("Brief the minister by noon."), "the player reads it");
    let (status, sent) = call(
        &app,
        "POST",
        "/api/v1/injects",
        &white,
        Some(r#"{"inject":"news-rumour"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert!(!sent["sent"].as_array().unwrap().is_empty());
    let (status, again) = call(
        &app,
        "POST",
        "/api/v1/injects",
        &white,
        Some(r#"{"inject":"news-rumour"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, change) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/steps",
        &white,
        Some(r#"{"step":"vt-clear-logs","change":"delay:1h"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{change}");
    assert_eq!(
        (change["action"].as_str(), change["by"].as_str()),
        (Some("delay_step"), Some("ines"))
    );
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/steps",
        &white,
        Some(r#"{"step":"vt-prtg-creds","change":"delay:5h"}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("change"))
    );
    // The timeline shows the web shell step that ran and the delayed one still to come; a
    // player never gets it.
    let (status, timeline) = call(&app, "GET", "/api/v1/teams/palau/timeline", &white, None).await;
    assert_eq!(status, StatusCode::OK);
    let step = |id: &str| {
        timeline["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(step("vt-edge-exploit")["status"], "ran", "{timeline}");
    assert!(
        step("vt-edge-exploit")["at"]["label"]
            .as_str()
            .unwrap()
            .starts_with("D1 09:")
    );
    assert_eq!(step("vt-clear-logs")["status"], "to_come");
    assert!(
        timeline["injects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["inject"] == "news-rumour")
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/teams/palau/timeline", &player, None).await.0,
        StatusCode::FORBIDDEN
    );

    // The team acts through the API: the host by its name, then a case with a note and an
    // indicator. A bad target is refused by field and stores nothing.
    let stored = app.db.actions(app.live.exercise).await.unwrap().len();
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/actions",
        &player,
        Some(r#"{"action":"isolate_host","target":"NO-SUCH-HOST"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(app.db.actions(app.live.exercise).await.unwrap().len(), stored);
    let (status, action) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/actions",
        &player,
        Some(r#"{"action":"isolate_host","target":"pt-web01"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    assert_eq!(
        (action["action"].as_str(), action["by"].as_str()),
        (Some("isolate_host"), Some("pita"))
    );
    let (_, listed) = call(&app, "GET", "/api/v1/teams/palau/actions", &player, None).await;
    let words: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        words,
        ["isolate_host"],
        "the white cell's delay is not the team's to see"
    );
    let (_, listed) = call(&app, "GET", "/api/v1/teams/palau/actions", &white, None).await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "the white cell sees its change too"
    );
    let (status, case) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/cases",
        &player,
        Some(r#"{"title":"Web shell on PT-WEB01"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let case_path = format!("/api/v1/teams/palau/cases/{}/entries", case["id"]);
    let (status, case) = call(
        &app,
        "POST",
        &case_path,
        &player,
        Some(r#"{"kind":"indicator","indicator_kind":"ipv4","indicator":"203.0.113.45"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let (status, problem) = call(
        &app,
        "POST",
        &case_path,
        &player,
        Some(r#"{"kind":"indicator","indicator_kind":"ipv4","indicator":"not an address"}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("indicator"))
    );
    let entries: Vec<(&str, &str)> = case["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["body"].as_str().unwrap()))
        .collect();
    assert_eq!(entries, [("indicator", "ipv4\n203.0.113.45")]);

    // A report handed in through the API (a refused one names its field and stores nothing)
    // is graded through the API; the score says why, and the team reads the grade.
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/reports",
        &player,
        Some(r#"{"title":"Web shell","to":"the press","tlp":"TLP:AMBER","what":"w"}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("to"))
    );
    let (status, report) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/reports",
        &player,
        Some(r#"{"title":"Web shell","to":"national_cert","tlp":"TLP:AMBER","what":"A web shell on PT-WEB01.","indicators":"203.0.113.45"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(
        (report["by"].as_str(), report["content"]["indicators"].as_str()),
        (Some("pita"), Some("203.0.113.45"))
    );
    assert!(report["grade"].is_null());
    let (_, queue) = call(&app, "GET", "/api/v1/grading", &white, None).await;
    let item = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["subject"] == "Web shell")
        .unwrap()
        .clone();
    assert!(item["grade"].is_null());
    let criterion = item["criteria"][0]["id"].as_str().unwrap().to_owned();
    let max = item["criteria"][0]["max"].as_u64().unwrap();
    let grade_path = format!("/api/v1/grading/{}", item["id"]);
    let too_many = format!(r#"{{"points":{{"{criterion}":{}}}}}"#, max + 1);
    let (status, problem) = call(&app, "POST", &grade_path, &white, Some(&too_many)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["error"]["field"], format!("points.{criterion}"));
    let full = format!(r#"{{"points":{{"{criterion}":{max}}},"comment":"Clear and on time."}}"#);
    let (status, graded) = call(&app, "POST", &grade_path, &white, Some(&full)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(graded["grade"]["points"][&criterion].as_u64(), Some(max));
    assert_eq!(graded["grade"]["total"].as_u64(), Some(max));
    assert_eq!(graded["grade"]["comment"], "Clear and on time.");
    let (_, reports) = call(&app, "GET", "/api/v1/teams/palau/reports", &player, None).await;
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 1, "the refused report was not stored");
    assert_eq!(reports[0]["grade"]["comment"], "Clear and on time.");
    // The team reads its total, not the points per expectation, as on the page: those name
    // campaign steps that may not have happened yet. The white cell reads both.
    assert_eq!(reports[0]["grade"]["total"].as_u64(), Some(max));
    assert!(reports[0]["grade"].get("points").is_none(), "{}", reports[0]);
    let (_, staff_view) = call(&app, "GET", "/api/v1/teams/palau/reports", &white, None).await;
    assert_eq!(staff_view[0]["grade"]["points"][&criterion].as_u64(), Some(max));
    let (_, score) = call(&app, "GET", "/api/v1/teams/palau/score", &player, None).await;
    let item = score["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["expectation"] == criterion.as_str())
        .unwrap();
    assert_eq!(
        (item["points"].as_u64(), item["standing"].as_str()),
        (Some(max), Some("earned")),
        "{item}"
    );
    assert!(!item["why"].as_str().unwrap().is_empty());
    assert!(
        score["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["standing"] == "earned" || i["standing"] == "missed"),
        "players see settled items only"
    );

    // People: an observer made to follow Palau only, a team that does not exist refused by
    // field; an invitation whose link opens the join page, bad hours refused by field.
    let olga = app.db.user_by_name("olga").await.unwrap().unwrap().0.id;
    let follows = format!("/api/v1/people/{olga}/follows");
    let (status, people) = call(&app, "POST", &follows, &white, Some(r#"{"teams":["palau"]}"#)).await;
    assert_eq!(status, StatusCode::OK);
    let olga_row = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["username"] == "olga")
        .unwrap();
    assert_eq!(olga_row["follows"], serde_json::json!(["palau"]));
    let (status, problem) = call(&app, "POST", "/api/v1/people/999/end", &white, None).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::NOT_FOUND, Some("user"))
    );
    let (status, problem) = call(&app, "POST", &follows, &white, Some(r#"{"teams":["atlantis"]}"#)).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("team"))
    );
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/invitations",
        &white,
        Some(r#"{"as":"observer","hours":5}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("hours"))
    );
    let (status, invitation) = call(
        &app,
        "POST",
        "/api/v1/invitations",
        &white,
        Some(r#"{"as":"observer","hours":1}"#),
    )
    .await;
    assert_eq!(
        (status, invitation["role"].as_str()),
        (StatusCode::CREATED, Some("observer"))
    );
    let link = invitation["link"].as_str().unwrap();
    let path = &link[link.find("/invite/").unwrap()..];
    let (status, _, page) = send(&app, Request::get(path).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{page}");

    // The board agrees with the score and lists every team for the white cell.
    let (_, board) = call(&app, "GET", "/api/v1/board", &white, None).await;
    let teams: Vec<&str> = board["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = SCENARIO.player_teams().map(|t| t.id.name.clone()).collect();
    assert_eq!(teams, expected);
    assert_eq!(board["teams"][0]["score"]["total"], score["total"]);
    assert!(board["teams"][0]["events"].as_u64().unwrap() > 0);
    assert_eq!(board["teams"][0]["online"], serde_json::json!(["pita"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_lists_every_api_route_and_only_those() {
    let app = app().await;
    let (status, document) = call(&app, "GET", "/api/v1/openapi.json", "", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    // Every operation is routed (without a token: 401, never 404 or 405); and its schemas
    // resolve.
    for (method, path) in atoll_web::api::operations() {
        let concrete = format!("/api/v1{}", path.replace("{team}", "palau").replace("{id}", "1"));
        let (status, _, _) = send(&app, api(&method.to_uppercase(), &concrete, "", Some("{}"))).await;
        let want = if path == "/openapi.json" {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(status, want, "{method} {path}");
    }
    let text = document.to_string();
    let mut at = 0;
    while let Some(i) = text[at..].find("\"$ref\":\"#/components/schemas/") {
        let start = at + i + "\"$ref\":\"#/components/schemas/".len();
        let name = &text[start..start + text[start..].find('"').unwrap()];
        assert!(document["components"]["schemas"][name].is_object(), "{name} is defined");
        at = start;
    }
    assert!(at > 0, "schemas are referenced");
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

#[tokio::test(flavor = "multi_thread")]
async fn the_alert_queue_pages_filters_groups_opens_and_marks_in_bulk() {
    // Four hours of play with the default pack: Palau's queue is longer than a page.
    let app = app_with_pack(240_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (status, _, first) = send(&app, get("/teams/palau", &player)).await;
    assert_eq!(status, StatusCode::OK);
    let total = matching(&first);
    assert!(total > 50, "more than a page: {total}");

    // Every page, newest first: each alert once, and all of them.
    let mut seen = listed(&first);
    let mut next = next_page(&first);
    while let Some(path) = next {
        let (status, _, page) = send(&app, get(&path, &player)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        seen.extend(listed(&page));
        next = next_page(&page);
    }
    assert_eq!(seen.len(), total);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats");

    // The web shell's alert, found with the words filter, opens to its event and rule.
    let (_, _, found) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    let shell = listed(&found);
    assert!(!shell.is_empty() && matching(&found) == shell.len(), "{found}");
    let (status, _, alert) = send(&app, get(&format!("/teams/palau/alerts/{}", shell[0]), &player)).await;
    assert_eq!(status, StatusCode::OK);
    for part in [
        "Script Page Uploaded Or Run Under IIS aspnet_client Folder",
        "<th scope=\"row\">cs-uri-stem ◆</th>",
        "/aspnet_client/",
        "<th scope=\"row\">c-ip</th>",
        "(UTC)",
        "The rule as written (atoll)",
        "This host ±5 minutes",
        "Everything on host PT-WEB01",
    ] {
        assert!(alert.contains(part), "{part} on the alert's page");
    }

    // Filters that make no sense are refused by field, with the form kept.
    for (query, message) in [
        (
            "level=severe",
            "level: choose one of informational, low, medium, high, critical.",
        ),
        ("from=tomorrow", "from: `tomorrow` is not an exercise time"),
        (
            "from=D1+10%3A00&to=D1+09%3A00",
            "to: the end of the range must come after its start.",
        ),
        ("sort=random", "sort: choose newest, oldest or level."),
    ] {
        let (status, _, page) = send(&app, get(&format!("/teams/palau?{query}"), &player)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(page.contains(message), "{query}: {message}");
    }
    // A time range keeps what falls inside it.
    let (_, _, early) = send(
        &app,
        get("/teams/palau?from=D1+08%3A30&to=D1+09%3A30&sort=oldest", &player),
    )
    .await;
    let (_, _, late) = send(&app, get("/teams/palau?from=D1+09%3A30&sort=oldest", &player)).await;
    assert_eq!(matching(&early) + matching(&late), total);

    // The grouped view, and one verdict for the web shell's group.
    let (_, _, groups) = send(&app, get("/teams/palau?view=groups", &player)).await;
    assert!(groups.contains("Verdict for the group"), "group rows carry a bulk form");
    assert!(groups.contains("Script Page Uploaded Or Run Under IIS aspnet_client Folder"));
    let title = "Script+Page+Uploaded+Or+Run+Under+IIS+aspnet_client+Folder";
    // Refused: no verdict, or a filter that selects nothing; nothing is stored.
    for form in [
        format!("rule={title}&host=PT-WEB01&verdict=maybe"),
        format!("rule={title}&host=NO-SUCH-HOST&verdict=true_positive"),
    ] {
        let (status, _, _) = send(&app, post("/teams/palau/alerts/bulk", &player, &form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
    }
    // Refused too: the whole queue unfiltered; a group that changed since the page showed it;
    // and nothing but the alerts the page was drawn with (`upto`).
    for (form, message) in [
        (
            "verdict=false_positive&state=any".to_owned(),
            "filter: a verdict for many alerts needs a filter or a group",
        ),
        (
            format!("rule={title}&host=PT-WEB01&verdict=true_positive&expect=999"),
            "not the 999 the page showed",
        ),
        (
            format!("rule={title}&host=PT-WEB01&verdict=true_positive&upto=0"),
            "filter: no alert matches it",
        ),
    ] {
        let (status, _, page) = send(&app, post("/teams/palau/alerts/bulk", &player, &form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(page.contains(message), "{form}: {message}");
    }
    assert!(app.db.triages(app.live.exercise, "palau").await.unwrap().is_empty());
    let observer = sign_in(&app, "olga").await;
    let form = format!("rule={title}&host=PT-WEB01&verdict=true_positive&note=web+shell");
    assert_eq!(
        send(&app, post("/teams/palau/alerts/bulk", &observer, &form)).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, headers, _) = send(&app, post("/teams/palau/alerts/bulk", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = header(&headers, "location").unwrap().to_owned();
    let marked = app.db.triages(app.live.exercise, "palau").await.unwrap();
    assert_eq!(marked.len(), shell.len(), "one verdict per alert of the group");
    assert!(
        marked
            .iter()
            .all(|t| t.state == "true_positive" && t.note == "web shell")
    );
    assert!(back.contains(&format!("marked={}", shell.len())), "{back}");
    let (_, _, page) = send(&app, get(&back, &player)).await;
    assert!(
        page.contains(&format!("{} alerts marked true positive.", shell.len())),
        "{back}"
    );
    let (_, _, open) = send(&app, get("/teams/palau?state=open", &player)).await;
    assert_eq!(matching(&open), total - shell.len());
    // Scoring reads the verdicts given in bulk (hours after the upload, too late for its
    // points: the expectation's `within: 2h`).
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    let line = &score[score.find("expectation-e-detect-webshell").expect("listed")..];
    let line = &line[..line.find("</tr>").unwrap()];
    assert!(
        line.contains("aspnet_client Folder» on PT-WEB01 was marked true positive by pita"),
        "{line}"
    );

    // An alert is added to a case from its page.
    let (_, headers, _) = send(&app, post("/teams/palau/cases", &player, "title=Portal")).await;
    let case = header(&headers, "location").unwrap().to_owned();
    // The case page offers the alerts judged true positive first.
    let (_, _, case_page) = send(&app, get(&case, &player)).await;
    let offered = &case_page[case_page.find("<select id=\"alert\"").expect("alerts offered")..];
    let first = &offered[offered.find("<option").unwrap()..offered.find("</option>").unwrap()];
    assert!(first.contains("aspnet_client"), "{first}");
    let (_, _, alert) = send(&app, get(&format!("/teams/palau/alerts/{}", shell[0]), &player)).await;
    let value = input_value(&alert, alert.find("name=\"alert\"").unwrap() - 40, "alert").to_owned();
    let form = format!(
        "case={}&alert={}",
        case.rsplit('/').next().unwrap(),
        value.replace(':', "%3A").replace(' ', "+")
    );
    let (status, _, _) = send(&app, post("/teams/palau/cases/event", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, case_page) = send(&app, get(&case, &player)).await;
    assert!(case_page.contains("linked alert"), "{case_page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_suppresses_alerts_and_pays_for_hiding_the_attack() {
    // Forty minutes of play with the default pack: the web shell's upload has raised an alert.
    let app = app_with_pack(40_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (status, _, page) = send(&app, get("/teams/palau/suppressions", &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Script Page Uploaded Or Run Under IIS aspnet_client Folder"),
        "the rule is offered"
    );
    let (_, _, before) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    let shell = listed(&before);
    assert!(!shell.is_empty());
    let rule = "rule=Script+Page+Uploaded+Or+Run+Under+IIS+aspnet_client+Folder";

    // Refused by field, and nothing stored.
    for (form, message) in [
        (format!("{rule}&host=PT-WEB01&reason="), "reason: say why"),
        (
            "rule=No+such+rule&reason=noise".to_owned(),
            "rule: choose a rule your team has alerts from.",
        ),
        (
            format!("{rule}&field=Image&reason=noise"),
            "value: give the value of Image",
        ),
        (format!("{rule}&value=x&reason=noise"), "field: name the field"),
    ] {
        let (status, _, page) = send(&app, post("/teams/palau/suppressions", &player, &form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(page.contains(message), "{form}: {message}");
    }
    let observer = sign_in(&app, "olga").await;
    let form = format!("{rule}&host=PT-WEB01&reason=the+portal%27s+own+uploads");
    assert_eq!(
        send(&app, post("/teams/palau/suppressions", &observer, &form)).await.0,
        StatusCode::FORBIDDEN
    );
    let nora = sign_in(&app, "nora").await;
    assert_eq!(
        send(&app, post("/teams/palau/suppressions", &nora, &form)).await.0,
        StatusCode::FORBIDDEN
    );
    assert!(app.db.suppressions(app.live.exercise, None).await.unwrap().is_empty());

    // The web shell's alerts leave the queue, are counted as suppressed, and cost points.
    let (status, headers, _) = send(&app, post("/teams/palau/suppressions", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(header(&headers, "location").unwrap().contains("#suppression-"));
    let (_, _, after) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    assert_eq!(matching(&after), 0, "out of the queue");
    let (_, _, hidden) = send(&app, get("/teams/palau?state=suppressed", &player)).await;
    assert_eq!(listed(&hidden), shell, "shown on request, never deleted");
    assert!(hidden.contains(&format!("{} suppressed", shell.len())));
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    let tuning = &score[score.find("<h2>Tuning</h2>").expect("a tuning line")..];
    assert!(
        tuning.contains("−50") && tuning.contains("raised by campaign step vt-edge-exploit"),
        "{tuning}"
    );

    // Ended, it brings them back and costs nothing.
    let id = app.db.suppressions(app.live.exercise, Some("palau")).await.unwrap()[0].id;
    assert_eq!(
        send(
            &app,
            post(&format!("/teams/palau/suppressions/{id}/end"), &observer, "")
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (status, _, _) = send(&app, post(&format!("/teams/palau/suppressions/{id}/end"), &player, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = send(&app, post(&format!("/teams/palau/suppressions/{id}/end"), &player, "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "ended once");
    let (_, _, back) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    assert_eq!(listed(&back), shell);
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(!score.contains("<h2>Tuning</h2>"));
    let (_, _, list) = send(&app, get("/teams/palau/suppressions", &player)).await;
    assert!(list.contains("ended by pita"));
}

/// A rule that fires on every TCP flow record: a queue of tens of thousands within minutes.
const EVERY_FLOW_RULE: &str = "title: Every TCP flow\nid: 6d3c51c4-0bb5-4c6e-9d0e-9a1f2f7f0b01\nlevel: low\n\
    author: atoll tests\nlogsource: {product: atoll, service: netflow}\n\
    detection: {selection: {protocol: tcp}, condition: selection}\n";

#[tokio::test(flavor = "multi_thread")]
async fn bulk_verdicts_and_suppressions_that_reach_too_far_are_refused() {
    static FLOWS: LazyLock<RuleSet> = LazyLock::new(|| rule_set(EVERY_FLOW_RULE));
    // Three quarters of an hour of play (60×): more than 10,000 flow alerts for Palau, from
    // one rule.
    let app = app_with(45_000, &FLOWS, &[]).await;
    app.live.tick(clock_now());
    let alerts = app.live.team(0).alerts().len();
    assert!(alerts > 10_000, "{alerts} alerts");
    let player = sign_in(&app, "pita").await;
    let (status, _, page) = send(
        &app,
        post("/teams/palau/alerts/bulk", &player, "level=low&verdict=false_positive"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(&format!(
            "filter: {alerts} alerts match; one verdict covers at most 10000"
        )),
        "the count is given"
    );
    // The queue offers no bulk form for so many.
    let (_, _, queue) = send(&app, get("/teams/palau?level=low", &player)).await;
    assert!(!queue.contains("/alerts/bulk") && queue.contains("Narrow the filter to 10000"));
    // A suppression of the one rule with nothing to narrow it would empty the queue.
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/suppressions",
            &player,
            "rule=Every+TCP+flow&reason=too+many",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("host: this would hide every alert your team has"),
        "refused"
    );
    assert!(app.db.triages(app.live.exercise, "palau").await.unwrap().is_empty());
    assert!(app.db.suppressions(app.live.exercise, None).await.unwrap().is_empty());
    // Narrowed to one host, it is taken.
    let host = app.live.team(0).alerts()[0].host.clone().unwrap();
    let form = format!("rule=Every+TCP+flow&host={host}&reason=the+proxy%27s+own+traffic");
    let (status, _, _) = send(&app, post("/teams/palau/suppressions", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_white_cell_turns_a_rule_off_while_the_exercise_runs() {
    // Forty minutes in (D1 09:10), before the copy of the AD database (about D1 10:35).
    let app = app_with_pack(40_000).await;
    let wall = clock_now();
    app.live.tick(wall);
    let rule = "Suspicious Process Patterns NTDS.DIT Exfil";
    let id = PACK
        .0
        .rules()
        .iter()
        .find(|r| r.title == rule)
        .and_then(|r| r.id.clone())
        .expect("the rule is in the pack");
    let instructor = sign_in(&app, "ines").await;
    let (status, _, page) = send(&app, get("/detection?q=NTDS.DIT+Exfil", &instructor)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("aria-label=\"Turn off {rule}\"")),
        "instructors may switch it"
    );
    let observer = sign_in(&app, "olga").await;
    let (_, _, seen) = send(&app, get("/detection?q=NTDS.DIT+Exfil", &observer)).await;
    assert!(seen.contains(rule) && !seen.contains("Turn off"), "observers read only");
    let form = format!("rule={id}&on=off");
    for (who, status) in [
        (&observer, StatusCode::FORBIDDEN),
        (&sign_in(&app, "pita").await, StatusCode::FORBIDDEN),
    ] {
        assert_eq!(send(&app, post("/detection/switch", who, &form)).await.0, status);
    }
    for (bad, status) in [
        (format!("rule={id}&on=maybe"), StatusCode::BAD_REQUEST),
        ("rule=no-such-rule&on=off".to_owned(), StatusCode::NOT_FOUND),
    ] {
        assert_eq!(
            send(&app, post("/detection/switch", &instructor, &bad)).await.0,
            status,
            "{bad}"
        );
    }
    assert!(app.db.rule_switches(app.live.exercise).await.unwrap().is_empty());
    assert_eq!(
        send(&app, post("/detection/switch", &instructor, &form)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, page) = send(&app, get("/detection?q=NTDS.DIT+Exfil", &instructor)).await;
    assert!(page.contains("turned off by ines at D1 09:1"), "why, on the page");
    let logged = &app.db.audit_log(app.live.exercise, None, 10).await.unwrap()[0];
    assert_eq!(logged.action, "rule.off");
    assert!(
        logged.detail.starts_with(&format!("turned rule «{rule}» (`")),
        "the audit log names it by its title: {}",
        logged.detail
    );

    // Two hours on: the copy ran and other rules saw it, this one raised nothing.
    app.live.tick(wall + 120_000);
    let titles: Vec<String> = app.live.team(0).alerts().iter().map(|a| a.title.clone()).collect();
    assert!(titles.iter().any(|t| t == "Ntdsutil Abuse"), "the step ran: {titles:?}");
    assert!(!titles.iter().any(|t| t == rule), "{titles:?}");

    // A restarted server replays the switch and raises the same alerts.
    let setup = Setup {
        seed: 1,
        date: atoll_sim::DEFAULT_DATE,
        end: SCENARIO.duration.value.as_secs() * 1000,
    };
    let again = Live::new(
        app.live.exercise,
        "Test".into(),
        &SCENARIO,
        &setup,
        app.live.clock(),
        &PACK.1.set,
        &PACK.1.correlations,
    )
    .unwrap()
    .with_detection(&PACK.0, &PACK.1);
    let problems = again.replay_switches(&app.db.rule_switches(app.live.exercise).await.unwrap());
    assert!(problems.is_empty(), "{problems:?}");
    // A switch of a rule this server no longer has is reported, not fatal.
    let gone = atoll_store::RuleSwitch {
        rule: "no-longer-here".into(),
        on: false,
        at: 0,
        username: "ines".into(),
    };
    assert_eq!(again.replay_switches(&[gone]).len(), 1);
    again.tick(wall + 120_000);
    assert_eq!(again.team(0).alerts(), app.live.team(0).alerts());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_process_seen_by_sysmon_and_by_security_auditing_is_one_detection() {
    // Two and a half hours of play with the default pack: Palau's hosts log process starts
    // to Sysmon and to Security auditing both.
    let app = app_with_pack(150_000).await;
    app.live.tick(clock_now());
    let palau = (0..5).find(|&i| app.live.team_id(i) == "palau").unwrap();
    let (first, second, rows, key, title, host) = {
        let runtime = app.live.team(palau);
        let twins = runtime.twins();
        let first = (0..twins.len())
            .find(|&i| twins[i].is_some_and(|t| t as usize > i))
            .expect("a process seen twice");
        let second = twins[first].unwrap() as usize;
        let (a, b) = (&runtime.alerts()[first], &runtime.alerts()[second]);
        assert_eq!((&a.title, &a.host), (&b.title, &b.host));
        (
            first,
            second,
            (a.row, b.row),
            a.rule_id.clone().unwrap(),
            a.title.clone(),
            a.host.clone().unwrap(),
        )
    };
    let player = sign_in(&app, "pita").await;
    // The queue lists the first sighting only.
    let filter = serde_urlencoded::to_string([("rule", title.as_str()), ("host", host.as_str())]).unwrap();
    let mut listed_here = Vec::new();
    let mut next = Some(format!("/teams/palau?{filter}"));
    while let Some(path) = next {
        let (_, _, page) = send(&app, get(&path, &player)).await;
        listed_here.extend(listed(&page));
        next = next_page(&page);
    }
    assert!(listed_here.contains(&first), "{first} listed");
    assert!(
        !listed_here.contains(&second),
        "{second} not listed on a row of its own"
    );
    // The second opens the first's page, which shows both events.
    let (status, headers, _) = send(&app, get(&format!("/teams/palau/alerts/{second}"), &player)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        header(&headers, "location"),
        Some(format!("/teams/palau/alerts/{first}").as_str())
    );
    let (_, _, page) = send(&app, get(&format!("/teams/palau/alerts/{first}"), &player)).await;
    for part in [
        "One process start, seen twice: by Sysmon (event 1) and by Security auditing (event 4688).",
        "The same process in the other log",
        "<th scope=\"row\">Image",
        "<th scope=\"row\">NewProcessName",
    ] {
        assert!(page.contains(part), "{part} on the page");
    }
    // A verdict on either is a verdict on both.
    let form = format!("row={}&rule={key}&state=false_positive&note=admin", rows.1);
    let (status, _, _) = send(&app, post("/teams/palau/alerts", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mut marked: Vec<(u32, String)> = app
        .db
        .triages(app.live.exercise, "palau")
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.row, t.state))
        .collect();
    marked.sort();
    let mut expected = vec![
        (rows.0, "false_positive".to_owned()),
        (rows.1, "false_positive".to_owned()),
    ];
    expected.sort();
    assert_eq!(marked, expected);
    let (_, _, page) = send(&app, get(&format!("/teams/palau/alerts/{first}"), &player)).await;
    assert!(
        page.contains("State: <strong>False positive</strong>"),
        "the first shows the verdict"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_stream_is_gzipped_for_browsers_that_take_it_each_event_readable_as_it_comes() {
    use futures_util::StreamExt as _;
    use std::io::Write as _;
    let app = app().await;
    let cookie = sign_in(&app, "pita").await;
    let mut request = get("/teams/palau/live", &cookie);
    request
        .headers_mut()
        .insert(header::ACCEPT_ENCODING, "gzip, deflate, br".parse().unwrap());
    let response = router(app.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    let mut body = response.into_body().into_data_stream();
    // The first event decodes from what came so far: the stream is flushed after each.
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    let mut received = 0;
    while !String::from_utf8_lossy(decoder.get_ref()).contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), body.next())
            .await
            .expect("an event within ten seconds")
            .unwrap()
            .unwrap();
        received += chunk.len();
        decoder.write_all(&chunk).unwrap();
        decoder.flush().unwrap();
    }
    let text = String::from_utf8_lossy(decoder.get_ref()).into_owned();
    assert!(text.starts_with("event: update\nid: "), "{text}");
    assert!(text.contains("\"clock\":\"D1 "), "{text}");
    assert!(received < text.len() + 40, "{received} bytes for {}", text.len());
    // Without gzip among what the browser takes, the stream is plain.
    let mut request = get("/teams/palau/live", &cookie);
    request
        .headers_mut()
        .insert(header::ACCEPT_ENCODING, "br;q=1, gzip;q=0".parse().unwrap());
    let response = router(app.clone()).oneshot(request).await.unwrap();
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_alerts_a_filter_selects_go_into_a_case_at_once() {
    let app = app_with_pack(240_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    // Without an open case, the queue offers nothing to add alerts to.
    let (_, _, page) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    assert!(!page.contains("Add them to the case"));
    let (_, headers, _) = send(&app, post("/teams/palau/cases", &player, "title=Portal")).await;
    let case_path = header(&headers, "location").unwrap().to_owned();
    let case: i64 = case_path.rsplit('/').next().unwrap().parse().unwrap();
    let (_, _, page) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    let shell = matching(&page);
    assert!(shell > 0 && page.contains("Add them to the case"), "{page}");
    let linked = |app: Arc<App<Sqlite>>| async move {
        let (_, entries) = app.db.case(app.live.exercise, "palau", case).await.unwrap();
        entries.into_iter().filter(|e| e.kind == "alert").count()
    };
    // Refused, storing nothing: no filter; a case that is not the team's; a count that changed.
    for (form, message) in [
        (
            format!("case={case}"),
            "filter: adding many alerts to a case needs a filter or a group",
        ),
        (
            "q=aspnet_client&case=999".to_owned(),
            "case: choose one of your team's open cases",
        ),
        (
            format!("q=aspnet_client&case={case}&expect=999"),
            "not the 999 the page showed",
        ),
    ] {
        let (status, _, page) = send(&app, post("/teams/palau/alerts/case", &player, &form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(page.contains(message), "{form}: {message}\n{page}");
    }
    assert_eq!(linked(app.clone()).await, 0);
    let observer = sign_in(&app, "olga").await;
    let form = format!("q=aspnet_client&case={case}&expect={shell}");
    assert_eq!(
        send(&app, post("/teams/palau/alerts/case", &observer, &form)).await.0,
        StatusCode::FORBIDDEN
    );
    // Every alert the filter selects goes in, once.
    let (status, headers, _) = send(&app, post("/teams/palau/alerts/case", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(header(&headers, "location"), Some(case_path.as_str()));
    assert_eq!(linked(app.clone()).await, shell);
    send(&app, post("/teams/palau/alerts/case", &player, &form)).await;
    assert_eq!(linked(app.clone()).await, shell, "none twice");
    let (_, _, page) = send(&app, get(&case_path, &player)).await;
    assert!(
        page.contains("Script Page Uploaded Or Run Under IIS aspnet_client Folder"),
        "{page}"
    );
}

/// How many things the database holds of Palau's play: verdicts, cases and their entries,
/// actions, hand-ins, messages, suppressions, saved searches, team rules, hints opened.
async fn palau_stored(app: &Arc<App<Sqlite>>) -> Vec<usize> {
    let (db, x) = (&app.db, app.live.exercise);
    let mut entries = 0;
    for case in db.cases(x, "palau").await.unwrap() {
        entries += db.case(x, "palau", case.id).await.unwrap().1.len() + 1;
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

#[tokio::test(flavor = "multi_thread")]
async fn once_play_has_ended_every_team_write_is_refused_and_nothing_is_stored() {
    let app = app_started(120_000).await;
    app.live.tick(clock_now());
    let instructor = sign_in(&app, "ines").await;
    let player = sign_in(&app, "pita").await;
    let token = make_token(&app, &player, "script").await;
    let (_, headers, _) = send(&app, post("/teams/palau/cases", &player, "title=Portal")).await;
    let case = header(&headers, "location")
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, _) = send(&app, post("/clock", &instructor, "action=end&confirm=yes")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let before = palau_stored(&app).await;
    let rule = "title: Any sign-in\nlogsource: {product: windows, service: security}\ndetection: {selection: {EventID: 4624}, condition: selection}\n";
    let rule = serde_urlencoded::to_string([("yaml", rule)]).unwrap();
    let refused = [
        ("/teams/palau/alerts", "row=0&rule=r&state=true_positive".to_owned()),
        ("/teams/palau/alerts/bulk", "q=x&verdict=false_positive".to_owned()),
        ("/teams/palau/alerts/case", format!("q=x&case={case}")),
        ("/teams/palau/suppressions", "rule=r&reason=noise".to_owned()),
        ("/teams/palau/suppressions/1/end", String::new()),
        (
            "/teams/palau/respond",
            "action=isolate_host&target=PT-WEB01&confirm=yes".to_owned(),
        ),
        (
            "/teams/palau/questions",
            "question=q-edge-indicators&answer=203.0.113.45".to_owned(),
        ),
        ("/teams/palau/hints", "hint=h-webshell".to_owned()),
        ("/teams/palau/reports", "title=Web+shell&body=Found+it".to_owned()),
        ("/teams/palau/cases", "title=Another".to_owned()),
        ("/teams/palau/cases/event", format!("case={case}&event=0")),
        (&format!("/teams/palau/cases/{case}"), "kind=note&note=late".to_owned()),
        ("/teams/palau/rules", format!("{rule}&action=on")),
        ("/teams/palau/rules/1/off", String::new()),
        ("/teams/palau/searches", "name=late&q=*".to_owned()),
        ("/teams/palau/searches/1/delete", String::new()),
        ("/teams/palau/messages", "subject=Late&body=Hello".to_owned()),
    ];
    for (path, form) in &refused {
        let (status, _, page) = send(&app, post(path, &player, form)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {page}");
        assert!(
            page.contains("Play ended at D1 ") && page.contains("nothing more can be handed in or changed"),
            "{path}: {page}"
        );
    }
    // The white cell's changes to a team's campaign too.
    let form = "step=vt-stage&change=delay%3A15m";
    let (status, _, _) = send(&app, post("/teams/palau/timeline", &instructor, form)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The API answers the same, as a problem naming no field.
    for (path, body) in [
        (
            "/api/v1/teams/palau/actions",
            r#"{"action":"block_address","target":"203.0.113.45"}"#,
        ),
        ("/api/v1/teams/palau/cases", r#"{"title":"Late"}"#),
        ("/api/v1/teams/palau/reports", r#"{"title":"Late","body":"Late"}"#),
    ] {
        let (status, problem) = call(&app, "POST", path, &token, Some(body)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {problem}");
        let message = problem["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("Play ended at D1 "), "{path}: {message}");
    }
    // Every write the API documents under a team, whoever asks and whatever the body.
    for (method, path) in atoll_web::api::operations() {
        if method != "post" || !path.starts_with("/teams/{team}/") {
            continue;
        }
        let concrete = format!(
            "/api/v1{}",
            path.replace("{team}", "palau")
                .replace("{id}", "1")
                .replace("{question}", "q-telemetry-sources")
        );
        let (status, problem) = call(&app, "POST", &concrete, &token, Some("{}")).await;
        assert_eq!(status, StatusCode::CONFLICT, "{concrete}: {problem}");
    }
    assert_eq!(palau_stored(&app).await, before, "nothing stored");
    // Testing a rule stays open: it stores nothing, and now shows what really happened.
    let (status, _, page) = send(
        &app,
        post("/teams/palau/rules", &player, &format!("{rule}&action=test")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // Every page says that play has ended; the score is final.
    for path in ["/teams/palau", "/teams/palau/inbox", "/teams/palau/respond"] {
        let (_, _, page) = send(&app, get(path, &player)).await;
        assert!(page.contains("Play ended at D1 "), "{path}");
    }
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(score.contains(", final: play ended at D1 "), "{score}");
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(board.contains("Play ended at D1 "));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_detection_sets_off_what_waits_for_it_live_and_after_a_restart() {
    // Forty minutes of play: the web shell is up and its upload raised an alert in Palau.
    let app = app_with(40_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let instructor = sign_in(&app, "ines").await;
    // The white cell pauses: a detection must set things off while the clock stands still.
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=pause")).await.0,
        StatusCode::SEE_OTHER
    );
    app.live.tick(clock_now());
    let call = "The ministry hears you found an intruder";
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &player)).await;
    assert!(!inbox.contains(call), "nothing found, no call");

    let (_, _, page) = send(&app, get("/teams/palau", &player)).await;
    let found = page.find("aspnet_client").expect("the web shell alert is listed");
    let (row, rule) = (
        input_value(&page, found, "row").to_owned(),
        input_value(&page, found, "rule").to_owned(),
    );
    let form = format!("row={row}&rule={rule}&state=true_positive&note=web+shell");
    assert_eq!(
        send(&app, post("/teams/palau/alerts", &player, &form)).await.0,
        StatusCode::SEE_OTHER
    );
    let stored = app.db.detections(app.live.exercise).await.unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(
        (
            stored[0].team.as_str(),
            stored[0].step.as_str(),
            stored[0].source.as_str(),
            stored[0].username.as_str()
        ),
        ("palau", "vt-edge-exploit", "verdict", "pita")
    );
    let detected_at = stored[0].at;
    // Marking it again, or another alert of the same step, records nothing more.
    assert_eq!(
        send(&app, post("/teams/palau/alerts", &player, &form)).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.db.detections(app.live.exercise).await.unwrap().len(), 1);

    // Half an hour of play after the verdict (given at about D1 09:11), the ministry calls
    // (`when: {detected: vt-edge-exploit}`, `delay: 30m`), and only Palau, whose analysts
    // found the shell.
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=jump&to=%2B1h20m&confirm=yes"))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &player)).await;
    assert!(inbox.contains(call), "{inbox}");
    let arrived = |live: &Live| {
        live.team(0)
            .arrivals()
            .into_iter()
            .find(|a| a.id == "ministry-follow-up")
            .map(|a| (a.at, a.how))
    };
    assert_eq!(
        arrived(&app.live),
        Some((detected_at + 30 * 60_000, atoll_sim::How::Condition))
    );
    let nora = sign_in(&app, "nora").await;
    let (_, _, nauru) = send(&app, get("/teams/nauru/inbox", &nora)).await;
    assert!(!nauru.contains(call), "Nauru found nothing");

    // A restarted server gives the stored detection back to a fresh world: the call comes at
    // the same moment.
    let clock = app.live.clock();
    let setup = Setup {
        seed: 1,
        date: atoll_sim::DEFAULT_DATE,
        end: SCENARIO.duration.value.as_secs() * 1000,
    };
    let again = Live::new(
        app.live.exercise,
        "Test".into(),
        &SCENARIO,
        &setup,
        clock,
        &ATOLL_RULES.0,
        &ATOLL_RULES.1,
    )
    .unwrap();
    let sent = app.db.inject_sends(app.live.exercise).await.unwrap();
    again
        .replay_facts(&app.db.detections(app.live.exercise).await.unwrap(), &sent, &[])
        .unwrap();
    again.tick(clock_now());
    assert_eq!(arrived(&again), arrived(&app.live));
    let without = Live::new(
        app.live.exercise,
        "Test".into(),
        &SCENARIO,
        &setup,
        clock,
        &ATOLL_RULES.0,
        &ATOLL_RULES.1,
    )
    .unwrap();
    without.tick(clock_now());
    assert_eq!(arrived(&without), None, "without the detection, no call");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_white_cell_s_actions_are_kept_in_an_audit_log_it_reads_and_takes_away() {
    let app = app_started(40_000).await;
    app.live.tick(clock_now());
    let instructor = sign_in(&app, "ines").await;
    let (_, _, empty) = send(&app, get("/audit", &instructor)).await;
    assert!(empty.contains("Nothing yet."), "{empty}");
    for (path, form) in [
        ("/clock", "action=pause"),
        ("/messages/inject", "inject=eviction-brief&team=palau"),
        ("/messages", "team=nauru&subject=Call+the+CERT&body=Now."),
        ("/teams/palau/timeline", "step=vt-stage&change=skip"),
        ("/scoreboard", "show=yes"),
        ("/clock", "action=resume"),
    ] {
        let (status, _, page) = send(&app, post(path, &instructor, form)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path} {form}: {page}");
    }
    // A refused change is not an action: nothing is logged for it.
    let (status, _, _) = send(&app, post("/clock", &instructor, "action=speed&speed=0")).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, _, page) = send(&app, get("/audit", &instructor)).await;
    assert_eq!(status, StatusCode::OK);
    let order: Vec<usize> = ["scoreboard.show", "step.skip", "message", "inject.send", "clock.pause"]
        .iter()
        .map(|a| {
            page.find(&format!("<code>{a}</code>"))
                .unwrap_or_else(|| panic!("{a}: {page}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "newest first: {order:?}");
    assert!(page.contains("sent inject `eviction-brief` by hand") && page.contains("message: Call the CERT"));
    assert!(page.contains("skip step `vt-stage`"), "{page}");
    assert!(
        page.contains("paused the clock at D1 "),
        "the clock entry says what it did"
    );

    // The export: every entry, oldest first, one JSON object per line, as a download.
    let (status, headers, text) = send(&app, get("/audit.jsonl", &instructor)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-disposition").is_some_and(|d| d.contains("atoll-audit.jsonl")));
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let actions: Vec<&str> = lines.iter().map(|l| l["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "clock.pause",
            "inject.send",
            "message",
            "step.skip",
            "scoreboard.show",
            "clock.resume"
        ]
    );
    assert!(lines.iter().all(|l| l["user"] == "ines"));
    assert_eq!(lines[1]["team"], "palau");
    assert_eq!(lines[3]["team"], "palau");
    assert!(lines[0]["exercise_time"].as_str().unwrap().starts_with("D1 "));
    assert_eq!(app.db.audit_log(app.live.exercise, None, 100).await.unwrap().len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_reads_alerts_and_questions_judges_and_answers_through_the_api() {
    // Forty minutes of play with atoll's rules: the web shell's upload raised alerts in Palau.
    let app = app_with(40_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    // Paused, so that what is available at D1 09:10 does not depend on how fast this runs.
    let ines = sign_in(&app, "ines").await;
    assert_eq!(
        send(&app, post("/clock", &ines, "action=pause")).await.0,
        StatusCode::SEE_OTHER
    );
    let pita = sign_in(&app, "pita").await;
    let token = make_token(&app, &pita, "pita").await;
    let olga = sign_in(&app, "olga").await;
    let observer = make_token(&app, &olga, "olga").await;

    // The queue's filters, as query parameters; the same alerts the page lists.
    let (status, page) = call(&app, "GET", "/api/v1/teams/palau/alerts?q=aspnet_client", &token, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, _, html) = send(&app, get("/teams/palau?q=aspnet_client", &pita)).await;
    let numbers: Vec<usize> = page["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["number"].as_u64().unwrap() as usize)
        .collect();
    assert!(!numbers.is_empty());
    assert_eq!(numbers, listed(&html), "the page and the API list the same alerts");
    assert_eq!(page["matching"].as_u64().unwrap() as usize, matching(&html));
    let shell = &page["alerts"][0];
    assert_eq!(shell["state"], "new");
    assert!(shell["rule"].as_str().unwrap().contains("aspnet_client"), "{shell}");
    assert_eq!(shell["host"], "PT-WEB01");

    // Bad filters and verdicts are refused by field, and change nothing.
    let (status, problem) = call(&app, "GET", "/api/v1/teams/palau/alerts?level=loud", &token, None).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("level"))
    );
    let path = format!("/api/v1/teams/palau/alerts/{}/verdict", numbers[0]);
    let (status, problem) = call(&app, "POST", &path, &token, Some(r#"{"state":"guilty"}"#)).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("state"))
    );
    let (status, _) = call(&app, "POST", &path, &observer, Some(r#"{"state":"true_positive"}"#)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "observers do not judge");
    let (status, _) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/alerts/99999999/verdict",
        &token,
        Some(r#"{"state":"true_positive"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.db.triages(app.live.exercise, "palau").await.unwrap().is_empty());

    // A verdict: stored as the console stores it, the step behind it detected.
    let (status, judged) = call(
        &app,
        "POST",
        &path,
        &token,
        Some(r#"{"state":"true_positive","note":"web shell"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{judged}");
    assert_eq!(
        (judged["state"].as_str(), judged["judged_by"].as_str()),
        (Some("true_positive"), Some("pita"))
    );
    assert_eq!(judged["number"], shell["number"]);
    let stored = app.db.triages(app.live.exercise, "palau").await.unwrap();
    assert!(
        !stored.is_empty()
            && stored
                .iter()
                .all(|t| t.state == "true_positive" && t.note == "web shell")
    );
    let detections = app.db.detections(app.live.exercise).await.unwrap();
    assert_eq!(detections.len(), 1);
    assert_eq!(detections[0].step, "vt-edge-exploit");
    let (_, open) = call(
        &app,
        "GET",
        "/api/v1/teams/palau/alerts?q=aspnet_client&state=open",
        &token,
        None,
    )
    .await;
    assert!(
        open["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["number"] != shell["number"]),
        "no longer open: {open}"
    );

    // A hunt: the events found, with their fields and row; or the table of its stages.
    let (status, found) = call(&app, "GET", "/api/v1/teams/palau/hunt?q=aspnet_client", &token, None).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let events = found["events"].as_array().unwrap();
    assert!(!events.is_empty() && found["table"].is_null());
    assert!(
        events
            .iter()
            .any(|e| e["cs-uri-stem"] == "/aspnet_client/upload.aspx" && e["row"].is_u64()),
        "{found}"
    );
    assert_eq!(
        found["matched"].as_u64().unwrap() as usize,
        found["total"].as_u64().unwrap() as usize
    );
    let (status, table) = call(
        &app,
        "GET",
        "/api/v1/teams/palau/hunt?q=%7C+stats+count+by+log",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{table}");
    assert_eq!(table["table"]["columns"], serde_json::json!(["log", "count"]));
    assert!(table["events"].is_null());
    let (status, problem) = call(&app, "GET", "/api/v1/teams/palau/hunt?q=%7C+stats", &token, None).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("q")),
        "{problem}"
    );

    // The team's own rules and saved searches, as its pages made them.
    let form = rule_form(SIGN_IN_RULE, "on");
    assert_eq!(
        send(&app, post("/teams/palau/rules", &pita, &form)).await.0,
        StatusCode::SEE_OTHER
    );
    let saved = "q=aspnet_client&name=Web+shells";
    assert_eq!(
        send(&app, post("/teams/palau/searches", &pita, saved)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, rules) = call(&app, "GET", "/api/v1/teams/palau/rules", &token, None).await;
    assert_eq!(rules.as_array().unwrap().len(), 1, "{rules}");
    assert_eq!(
        (rules[0]["title"].as_str(), rules[0]["by"].as_str()),
        (Some("Successful sign-in"), Some("pita"))
    );
    assert!(
        rules[0]["off"].is_null()
            && rules[0]["problem"].is_null()
            && rules[0]["yaml"].as_str().unwrap().contains("4624")
    );
    let (_, searches) = call(&app, "GET", "/api/v1/teams/palau/searches", &token, None).await;
    assert_eq!(
        searches,
        serde_json::json!([{"id": searches[0]["id"], "name": "Web shells", "query": "aspnet_client", "by": "pita"}])
    );

    // The inbox: the injects that reached the team, with attachments, and its messages.
    let message = "team=palau&subject=Call+the+CERT&body=Now.";
    assert_eq!(
        send(&app, post("/messages", &ines, message)).await.0,
        StatusCode::SEE_OTHER
    );
    let (status, inbox) = call(&app, "GET", "/api/v1/teams/palau/inbox", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    let advisory = inbox["injects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "partner-advisory")
        .unwrap_or_else(|| panic!("the advisory reached Palau at D1 08:45: {inbox}"));
    assert_eq!(
        (advisory["channel"].as_str(), advisory["track"].as_str()),
        (Some("email"), Some("technical"))
    );
    assert!(
        advisory["attachments"][0]["content"]
            .as_str()
            .unwrap()
            .contains("198.51.100.77"),
        "{advisory}"
    );
    assert!(
        !inbox["injects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == "ministry-call"),
        "D1 13:00, not yet"
    );
    assert_eq!(inbox["messages"][0]["subject"], "Call the CERT");
    assert!(
        inbox["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["team"] == "palau")
    );

    // Questions: those put to the team so far, with their forms.
    let (status, questions) = call(&app, "GET", "/api/v1/teams/palau/questions", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = questions
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"q-telemetry-sources"), "{questions}");
    assert!(
        !ids.contains(&"q-declare-incident"),
        "asked at D1 11:00, not yet: {ids:?}"
    );
    let q = questions
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "q-telemetry-sources")
        .unwrap();
    assert_eq!(
        (q["form"].as_str(), q["multiple"].as_bool()),
        (Some("choice"), Some(true))
    );
    assert!(q["options"].as_array().unwrap().iter().any(|o| o["id"] == "process"));
    assert!(q["answer"].is_null());
    let answer = "/api/v1/teams/palau/questions/q-telemetry-sources/answer";
    for (body, field) in [
        (r#"{"text":"the web log"}"#, "choices"),
        (r#"{"choices":["nope"]}"#, "choices"),
    ] {
        let (status, problem) = call(&app, "POST", answer, &token, Some(body)).await;
        assert_eq!(
            (status, problem["error"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{body}: {problem}"
        );
    }
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/questions/q-declare-incident/answer",
        &token,
        Some(r#"{"text":"now"}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("question")),
        "{problem}"
    );
    let (status, _) = call(&app, "POST", answer, &observer, Some(r#"{"choices":["iis"]}"#)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        app.db
            .submissions(app.live.exercise, Some("palau"))
            .await
            .unwrap()
            .is_empty(),
        "nothing stored"
    );
    let (status, answered) = call(&app, "POST", answer, &token, Some(r#"{"choices":["iis","process"]}"#)).await;
    assert_eq!(status, StatusCode::CREATED, "{answered}");
    let given = &answered["answer"];
    assert_eq!(
        (given["by"].as_str(), given["choices"][1].as_str()),
        (Some("pita"), Some("process"))
    );
    assert_eq!(
        given["grade"]["earned"], given["grade"]["max"],
        "both right options, graded at once: {given}"
    );
    let (status, problem) = call(&app, "POST", answer, &token, Some(r#"{"choices":["iis"]}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already answered"),
        "{problem}"
    );

    // Hints: none yet; at D1 10:30, the web shell's (half an hour after it) and the one for the
    // question about its address (asked an hour after it).
    let (_, hints) = call(&app, "GET", "/api/v1/teams/palau/hints", &token, None).await;
    assert_eq!(hints, serde_json::json!([]), "nothing available at D1 09:10");
    let jump = "action=jump&to=D1+10%3A30&confirm=yes";
    assert_eq!(send(&app, post("/clock", &ines, jump)).await.0, StatusCode::SEE_OTHER);
    let (status, hints) = call(&app, "GET", "/api/v1/teams/palau/hints", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    let numbers: Vec<u64> = hints
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 3], "{hints}");
    assert!(
        hints[0]["question"].is_null(),
        "an expectation's hint does not say what it is for"
    );
    assert_eq!(hints[1]["question"], "q-edge-indicators");
    assert!(
        hints.as_array().unwrap().iter().all(|h| h["text"].is_null()),
        "closed: no text"
    );
    let (status, _) = call(&app, "POST", "/api/v1/teams/palau/hints/3/open", &observer, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(&app, "POST", "/api/v1/teams/palau/hints/99/open", &token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, opened) = call(&app, "POST", "/api/v1/teams/palau/hints/3/open", &token, None).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    assert_eq!(
        (opened["opened_by"].as_str(), opened["penalty"].as_u64()),
        (Some("pita"), Some(10))
    );
    assert!(!opened["text"].as_str().unwrap().is_empty());
    let stored = app.db.hints_opened(app.live.exercise, Some("palau")).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].hint, "h-indicators");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_action_shows_at_once_even_while_the_clock_is_paused() {
    let app = app_started(40_000).await;
    app.live.tick(clock_now());
    let instructor = sign_in(&app, "ines").await;
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=pause")).await.0,
        StatusCode::SEE_OTHER
    );
    app.live.tick(clock_now());
    let paused = app.live.now();
    let player = sign_in(&app, "pita").await;
    let form = "action=isolate_host&target=pw-tel-web01&confirm=yes";
    assert_eq!(
        send(&app, post("/teams/palau/respond", &player, form)).await.0,
        StatusCode::SEE_OTHER
    );
    // No tick: the clock stands still, and the network page already shows the host cut off.
    let (_, _, body) = send(&app, get("/teams/palau/network", &player)).await;
    let hosts = &body[body.find("<h2>Hosts</h2>").expect("a hosts section")..];
    let row = &hosts[hosts.find("<td class=\"mono\">PT-WEB01</td>").expect("listed")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("isolated"), "{row}");
    assert_eq!(app.live.now(), paused, "the clock did not move");
    let reached = app.live.team(0).reached();
    assert!(
        reached > paused && reached <= paused + 1_001,
        "the world is at most a second ahead: {paused} → {reached}"
    );
    // Stored at the time it took effect, so that a restart gives the same world.
    let stored = app.db.actions(app.live.exercise).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].at, paused.div_ceil(1000) * 1000);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_does_through_the_api_what_a_team_does_on_its_workspace_pages() {
    // Four hours of play with the default pack: Palau has alerts to judge and suppress.
    let app = app_with_pack(240_000).await;
    app.live.tick(clock_now());
    let (ines, pita) = (sign_in(&app, "ines").await, sign_in(&app, "pita").await);
    let (white, player) = (
        make_token(&app, &ines, "script").await,
        make_token(&app, &pita, "script").await,
    );
    use StatusCode as S;

    // One alert, by the number the list gives it.
    let (status, list) = call(&app, "GET", "/api/v1/teams/palau/alerts", &player, None).await;
    assert_eq!(status, S::OK);
    let first = &list["alerts"][0];
    let number = first["number"].as_u64().unwrap();
    let (status, one) = call(
        &app,
        "GET",
        &format!("/api/v1/teams/palau/alerts/{number}"),
        &player,
        None,
    )
    .await;
    assert_eq!(status, S::OK);
    assert_eq!((&one["rule"], &one["host"]), (&first["rule"], &first["host"]));

    // A verdict for every alert of one rule on one host: refused when the count it expects
    // is not the count now, then taken, and the list agrees.
    let (rule, host) = (first["rule"].as_str().unwrap(), first["host"].as_str().unwrap());
    let query = serde_urlencoded::to_string([("rule", rule), ("host", host), ("state", "open")]).unwrap();
    let (_, selected) = call(
        &app,
        "GET",
        &format!("/api/v1/teams/palau/alerts?{query}"),
        &player,
        None,
    )
    .await;
    let open = selected["matching"].as_u64().unwrap();
    assert!(open > 0, "{selected}");
    let filter = serde_json::json!({"rule": rule, "host": host, "state": "open"});
    let body = |expect: u64| {
        serde_json::json!({"filter": filter, "state": "investigating", "note": "looking", "expect": expect}).to_string()
    };
    let (status, refused) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/alerts/verdicts",
        &player,
        Some(&body(open + 1)),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (S::BAD_REQUEST, Some("filter")),
        "{refused}"
    );
    let (status, done) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/alerts/verdicts",
        &player,
        Some(&body(open)),
    )
    .await;
    assert_eq!((status, done["judged"].as_u64()), (S::OK, Some(open)), "{done}");
    let judged = serde_urlencoded::to_string([("rule", rule), ("host", host), ("state", "investigating")]).unwrap();
    let (_, now) = call(
        &app,
        "GET",
        &format!("/api/v1/teams/palau/alerts?{judged}"),
        &player,
        None,
    )
    .await;
    assert_eq!(now["matching"].as_u64(), Some(open));

    // Those alerts into a new case, once each.
    let (status, case) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/cases",
        &player,
        Some(r#"{"title":"What the first alert is"}"#),
    )
    .await;
    assert_eq!(
        (status, case["entries"].as_array().map(Vec::len)),
        (S::CREATED, Some(0))
    );
    let id = case["id"].as_i64().unwrap();
    let link = serde_json::json!({"filter": {"rule": rule, "host": host, "state": "investigating"}}).to_string();
    let path = format!("/api/v1/teams/palau/cases/{id}/alerts");
    let (status, linked) = call(&app, "POST", &path, &player, Some(&link)).await;
    assert_eq!(status, S::OK, "{linked}");
    let entries = linked["entries"].as_array().unwrap().len();
    assert_eq!(entries as u64, open.min(200));
    let (_, again) = call(&app, "POST", &path, &player, Some(&link)).await;
    assert_eq!(again["entries"].as_array().unwrap().len(), entries, "none twice");
    let (status, cases) = call(&app, "GET", "/api/v1/teams/palau/cases", &player, None).await;
    assert_eq!(status, S::OK);
    assert_eq!(cases[0]["id"].as_i64(), Some(id));
    assert_eq!(cases[0]["alerts"].as_u64(), Some(entries as u64));

    // A suppression of that rule on that host hides them; ended, it hides nothing.
    let asked = serde_json::json!({"rule": rule, "host": host, "reason": "known scanner"}).to_string();
    let (status, made) = call(&app, "POST", "/api/v1/teams/palau/suppressions", &player, Some(&asked)).await;
    assert_eq!(status, S::CREATED, "{made}");
    assert!(made["hides"].as_u64().unwrap() >= open, "{made}");
    assert_eq!(made["conditions"][0]["value"].as_str(), Some(host));
    let sid = made["id"].as_i64().unwrap();
    let (_, listed) = call(&app, "GET", "/api/v1/teams/palau/suppressions", &player, None).await;
    assert_eq!(listed[0]["id"].as_i64(), Some(sid));
    let (status, ended) = call(
        &app,
        "POST",
        &format!("/api/v1/teams/palau/suppressions/{sid}/end"),
        &player,
        None,
    )
    .await;
    assert_eq!(status, S::OK);
    assert_eq!(
        (ended[0]["ended_by"].as_str(), ended[0]["hides"].as_u64()),
        (Some("pita"), Some(0))
    );

    // The team's own rule, on and off; a rule that does not compile says where.
    let yaml = serde_json::json!({"yaml": SIGN_IN_RULE}).to_string();
    let (status, on) = call(&app, "POST", "/api/v1/teams/palau/rules", &player, Some(&yaml)).await;
    assert_eq!(
        (status, on["title"].as_str()),
        (S::CREATED, Some("Successful sign-in")),
        "{on}"
    );
    let (status, bad) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/rules",
        &player,
        Some(r#"{"yaml":"title: x\ndetection: {condition: nothing}\n"}"#),
    )
    .await;
    assert_eq!((status, bad["error"]["field"].as_str()), (S::BAD_REQUEST, Some("yaml")));
    assert!(bad["error"]["message"].as_str().unwrap().contains("line "), "{bad}");
    let rid = on["id"].as_i64().unwrap();
    let (status, rules) = call(
        &app,
        "POST",
        &format!("/api/v1/teams/palau/rules/{rid}/off"),
        &player,
        None,
    )
    .await;
    assert_eq!(status, S::OK);
    let off = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_i64() == Some(rid))
        .unwrap();
    assert_eq!(off["off_by"].as_str(), Some("pita"));

    // A saved search, and gone again.
    let (status, saved) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/searches",
        &player,
        Some(r#"{"name":"web shells","q":"aspnet_client"}"#),
    )
    .await;
    assert_eq!(status, S::CREATED);
    let search = saved
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "web shells")
        .unwrap();
    let path = format!("/api/v1/teams/palau/searches/{}/delete", search["id"]);
    let (status, left) = call(&app, "POST", &path, &player, None).await;
    assert_eq!(status, S::OK);
    assert!(left.as_array().unwrap().iter().all(|s| s["name"] != "web shells"));
    let (status, bad) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/searches",
        &player,
        Some(r#"{"name":"broken","q":"Image:\"unclosed"}"#),
    )
    .await;
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (S::BAD_REQUEST, Some("q")),
        "{bad}"
    );

    // A message to the white cell, which reads it.
    let (status, sent) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/messages",
        &player,
        Some(r#"{"subject":"Portal isolated","body":"We cut PT-WEB01 off at 10:05."}"#),
    )
    .await;
    assert_eq!((status, sent["to_team"].as_bool()), (S::CREATED, Some(false)), "{sent}");
    let (_, messages) = call(&app, "GET", "/api/v1/messages", &white, None).await;
    assert!(
        messages
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == sent["id"] && m["subject"] == "Portal isolated"),
        "{messages}"
    );

    // The network: services with their availability, hosts with the ids actions take.
    let (status, network) = call(&app, "GET", "/api/v1/teams/palau/network", &player, None).await;
    assert_eq!(status, S::OK);
    assert!(!network["services"].as_array().unwrap().is_empty());
    let web = network["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["hostname"] == "PT-WEB01");
    assert!(
        web.is_some_and(|h| h["state"] == "normal" && !h["id"].as_str().unwrap().is_empty()),
        "{network}"
    );

    // The white cell: the exercises in the database, and this one running.
    let (status, exercises) = call(&app, "GET", "/api/v1/exercises", &white, None).await;
    assert_eq!(status, S::OK);
    let running: Vec<_> = exercises
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["running"] == true)
        .collect();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0]["id"].as_i64(), Some(app.live.exercise));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_moves_the_wall_clock_and_hours_of_play_pass_without_waiting() {
    // Play starts now on a clock that stands still until moved (60×: a real minute is an
    // exercise hour).
    let app = app_on(
        0,
        &ATOLL_RULES.0,
        &ATOLL_RULES.1,
        false,
        atoll_app::Wall::fixed(1_780_000_000_000),
    )
    .await;
    assert_eq!(app.live.now(), 0);
    app.live.wall().advance(3 * 60_000);
    app.live.tick(app.live.wall_now());
    assert_eq!(app.live.now(), 3 * 3_600_000, "three hours of play");
    assert_eq!(app.live.team(0).reached(), 3 * 3_600_000, "Palau's world is there");
    // The white cell's clock changes read the same clock: paused at D1 11:30, it stays.
    let ines = sign_in(&app, "ines").await;
    let (status, _, _) = send(&app, post("/clock", &ines, "action=pause")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    app.live.wall().advance(60 * 60_000);
    assert_eq!(app.live.now(), 3 * 3_600_000, "paused");
    let (_, _, log) = send(&app, get("/audit", &ines)).await;
    assert!(log.contains("paused the clock at D1 11:30"), "{log}");
}
