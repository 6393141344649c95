//! `cargo bench -p atoll-web --bench hunts`: one team's hunts while another floods the server
//! with heavy ones. Palau's and Nauru's worlds are run to D1 20:30 (twelve hours of play);
//! then Nauru's player runs a light hunt 40 times, once alone and once while four of Palau's
//! players each run, over and over, a query of 1,100 OR-ed `*NNN*` terms (the flood of issue
//! 24's finding M2). Printed: Nauru's hunt time, median and 99th percentile, alone and during
//! the flood, and how long Palau's heavy hunts took. Requests go through the whole router in
//! process, as the server serves them.
//!
//! Nothing here fails on a slow machine: it prints numbers.

#![expect(clippy::print_stdout, reason = "a benchmark reports its numbers on stdout")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use atoll_exercise::{Clock, Setup};
use atoll_sigma::RuleSet;
use atoll_store::{NewExercise, Role, Sqlite, Store};
use atoll_web::{App, Live, Site, clock_now, router};
use axum::body::Body;
use axum::http::{Request, header};
use tower::ServiceExt as _;

const LIGHT: &str = "log:dns | stats count by host";
const ROUNDS: usize = 40;
const FLOODERS: usize = 4;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn sign_in(app: &Arc<App<Sqlite>>, username: &str) -> String {
    let login = Request::post("/login")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(format!("username={username}&password=correct+horse")))
        .unwrap();
    let response = router(app.clone(), Site::loopback()).oneshot(login).await.unwrap();
    response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned()
}

/// Runs hunt `query` for `team` as the player of `cookie`; returns the milliseconds it took.
async fn hunt(app: &Arc<App<Sqlite>>, team: &str, cookie: &str, query: &str) -> f64 {
    let request = Request::get(format!("/teams/{team}/hunt?q={}", encode(query)))
        .header(header::HOST, "localhost")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let t = Instant::now();
    let response = router(app.clone(), Site::loopback()).oneshot(request).await.unwrap();
    let status = response.status();
    let _ = axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap();
    assert!(status.is_success(), "{team}: {status}");
    t.elapsed().as_secs_f64() * 1000.0
}

fn summary(name: &str, times: &mut [f64]) {
    times.sort_by(f64::total_cmp);
    println!(
        "{name:<44} {:>6} {:>10.1} {:>10.1}",
        times.len(),
        percentile(times, 0.5),
        percentile(times, 0.99)
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/pacific-cable-shield.yaml");
    let scenario: &'static atoll_scenario::Scenario = Box::leak(Box::new(
        atoll_scenario::load_file(&path).unwrap_or_else(|p| panic!("{}", p.render("scenario"))),
    ));
    let rules: &'static RuleSet = Box::leak(Box::new(RuleSet::new(Vec::new())));
    let dir = std::env::temp_dir().join(format!("atoll-hunts-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Sqlite::open(&dir.join("bench.db")).await.unwrap();
    let hash = atoll_app::accounts::hash_password("correct horse").unwrap();
    db.create_user("nora", &hash, Role::Player, Some("nauru"), 0)
        .await
        .unwrap();
    for i in 0..FLOODERS {
        db.create_user(&format!("palau{i}"), &hash, Role::Player, Some("palau"), 0)
            .await
            .unwrap();
    }
    let end = scenario.duration.value.as_secs() * 1000;
    let mut clock = Clock::new(end, 1).unwrap();
    clock.start(clock_now()).unwrap();
    clock.pause(clock_now()).unwrap();
    let exercise = db
        .create_exercise(
            &NewExercise {
                name: "Bench",
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
    let live = Live::new(exercise.id, "Bench".into(), scenario, &setup, clock, rules, &[]).unwrap();
    let twelve_hours = 12 * 3_600_000;
    let nauru = scenario.player_teams().position(|t| t.id.name == "nauru").unwrap();
    for index in [0, nauru] {
        live.team(index).advance_to(twelve_hours);
    }
    println!(
        "events: Palau {}, Nauru {}",
        live.team(0).store().len(),
        live.team(nauru).store().len()
    );
    let app = Arc::new(App::new(db, live));
    let nora = sign_in(&app, "nora").await;
    let heavy: String = (0..1_100).map(|i| format!("*{i:03}*")).collect::<Vec<_>>().join(" OR ");
    println!("{:<44} {:>6} {:>10} {:>10}", "hunt", "runs", "p50 ms", "p99 ms");

    hunt(&app, "nauru", &nora, LIGHT).await;
    let mut alone = Vec::new();
    for _ in 0..ROUNDS {
        alone.push(hunt(&app, "nauru", &nora, LIGHT).await);
    }
    summary("Nauru, alone", &mut alone);

    let stop = Arc::new(AtomicBool::new(false));
    let mut flooders = Vec::new();
    for i in 0..FLOODERS {
        let (app, stop, heavy) = (app.clone(), stop.clone(), heavy.clone());
        let cookie = sign_in(&app, &format!("palau{i}")).await;
        flooders.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                times.push(hunt(&app, "palau", &cookie, &heavy).await);
            }
            times
        }));
    }
    // Let the flood take hold before measuring.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let mut flooded = Vec::new();
    for _ in 0..ROUNDS {
        flooded.push(hunt(&app, "nauru", &nora, LIGHT).await);
    }
    stop.store(true, Ordering::Relaxed);
    let mut heavy_times = Vec::new();
    for flooder in flooders {
        heavy_times.extend(flooder.await.unwrap());
    }
    summary(&format!("Nauru, while {FLOODERS} Palau players flood"), &mut flooded);
    summary("Palau's heavy hunts (1,100 OR-ed *NNN*)", &mut heavy_times);
    let _ = std::fs::remove_dir_all(&dir);
}
