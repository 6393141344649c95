//! `cargo bench -p atoll --bench restart`: how soon a restarted server takes a team's action,
//! with the bundled exercise (five teams) stopped at D1 12:00, D2 08:00 and D3 08:00. For each,
//! the demo's stored clock is set to that time (paused, so that it stays there), the server is
//! started, and from its start are measured: its first answer, a Palau player's response
//! action accepted (`303` from the respond form, and how long that request took), and every
//! team's alert queue served whole (the worlds rebuilt). Then the server is killed, as a crash
//! would.
//!
//! `ATOLL_BIN` names another build to measure (an older one, for a before-and-after); by
//! default, this one.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

mod demo;
use demo::{start, stop_clock_at};

/// (label, exercise milliseconds): play starts at D1 08:30.
const TIMES: [(&str, u64); 3] = [
    ("D1 12:00", 3 * 3_600_000 + 30 * 60_000),
    ("D2 08:00", 23 * 3_600_000 + 30 * 60_000),
    ("D3 08:00", 47 * 3_600_000 + 30 * 60_000),
];
const TEAMS: [&str; 5] = ["palau", "micronesia", "marshall-islands", "nauru", "kiribati"];

fn request(address: &str, text: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(600))).ok()?;
    stream.write_all(text.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    Some((status, text))
}

fn get(address: &str, path: &str, cookie: &str) -> Option<(u16, String)> {
    request(
        address,
        &format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    )
}

fn post(address: &str, path: &str, cookie: &str, body: &str) -> Option<(u16, String)> {
    request(
        address,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\nCookie: {cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

fn sign_in(address: &str, username: &str, password: &str) -> String {
    let (_, response) = post(
        address,
        "/login",
        "",
        &format!("username={username}&password={password}"),
    )
    .expect("the server answers");
    response
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("signing in {username}: {response}"))
        .to_owned()
}

/// Starts `atoll demo` on `data`; returns the child, its address and when it was started.
fn main() {
    let binary = std::env::var("ATOLL_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_atoll").to_owned());
    let data = std::env::temp_dir().join(format!("atoll-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let (mut child, _, _) = start(&binary, &data, true);
    child.kill().expect("stopped");
    let _ = child.wait();
    let accounts: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo-accounts.json")).expect("accounts"))
            .expect("accounts as JSON");
    let account = |pick: &dyn Fn(&serde_json::Value) -> bool| {
        let a = accounts.iter().find(|a| pick(a)).expect("such an account");
        (
            a["username"].as_str().unwrap_or_default().to_owned(),
            a["password"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let player = account(&|a| a["team"] == "palau");
    let instructor = account(&|a| a["role"] == "instructor");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "binary: {binary}");
    let _ = writeln!(
        out,
        "{:<10} {:>10} {:>12} {:>12} {:>12}",
        "stopped at", "answers", "action in", "its request", "all rebuilt"
    );
    for (label, at) in TIMES {
        stop_clock_at(&data, at);
        let (mut child, address, started) = start(&binary, &data, false);
        while get(&address, "/login", "").is_none_or(|(status, _)| status != 200) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let answers = started.elapsed();
        let cookie = sign_in(&address, &player.0, &player.1);
        let asked = Instant::now();
        let (status, _) = post(
            &address,
            "/teams/palau/respond",
            &cookie,
            "action=block_address&target=198.51.100.77&confirm=yes",
        )
        .expect("an answer");
        assert_eq!(status, 303, "the action is taken");
        let (action, request) = (started.elapsed(), asked.elapsed());
        let staff = sign_in(&address, &instructor.0, &instructor.1);
        for team in TEAMS {
            loop {
                let (status, page) = get(&address, &format!("/teams/{team}"), &staff).expect("an answer");
                assert_eq!(status, 200, "{team}: {page}");
                if !page.contains("is rebuilding the simulated networks") {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let rebuilt = started.elapsed();
        let _ = writeln!(
            out,
            "{label:<10} {:>9.2}s {:>11.2}s {:>11.3}s {:>11.2}s",
            answers.as_secs_f64(),
            action.as_secs_f64(),
            request.as_secs_f64(),
            rebuilt.as_secs_f64()
        );
        child.kill().expect("killed");
        let _ = child.wait();
    }
    let _ = std::fs::remove_dir_all(&data);
}
