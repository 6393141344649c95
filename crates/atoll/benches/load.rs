//! `cargo bench -p atoll --bench load`: the server under an exercise's load, measured from
//! outside. `atoll demo` runs the bundled scenario (five teams) at 10× real time; 60 signed-in
//! users hold live-update streams open (the white cell's and their team's); page views arrive
//! at 200 a second, open loop (each at its planned time, whatever the ones before did), spread
//! over the players' pages and the board. Printed: page latency percentiles (from the planned
//! start, so queueing counts), the server's CPU (cores busy on average) and memory, and how
//! many live events the streams received.
//!
//! `ATOLL_LOAD_SECONDS` sets how long the page views run (default 30).

use std::io::{BufRead as _, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const USERS: usize = 60;
const PAGES_PER_SECOND: u64 = 200;
const SENDERS: u64 = 8;

fn request(address: &str, text: &str) -> Option<String> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    stream.write_all(text.as_bytes()).ok()?;
    // Pages come compressed: bytes, read as text only as far as the headers matter.
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    Some(String::from_utf8_lossy(&response).into_owned())
}

fn sign_in(address: &str, username: &str, password: &str) -> String {
    let body = format!("username={username}&password={password}");
    let response = request(
        address,
        &format!(
            "POST /login HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .expect("the server answers");
    response
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("signing in {username}: {response}"))
        .to_owned()
}

/// The server's CPU seconds (user + system) and resident memory in MiB, from `/proc`.
fn usage(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    ((ticks(11) + ticks(12)) / 100.0, rss / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let seconds: u64 = std::env::var("ATOLL_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let data = std::env::temp_dir().join(format!("atoll-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_atoll"))
        .args(["demo", "--speed", "10", "--bind", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env_remove("ATOLL_DATABASE")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("atoll demo starts");
    let pid = child.id();
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("its output")).lines();
    let first = lines.next().and_then(Result::ok).expect("the greeting");
    let address = first
        .split("http://")
        .nth(1)
        .expect("an address")
        .trim_end_matches('/')
        .to_owned();
    let accounts: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&data).join("demo-accounts.json")).expect("accounts"))
            .expect("accounts as JSON");

    // 60 sessions: every demo account signed in several times, as people with two devices are.
    let mut sessions: Vec<(String, Option<String>, String)> = Vec::new();
    for i in 0..USERS {
        let a = &accounts[i % accounts.len()];
        let username = a["username"].as_str().unwrap_or_default();
        let cookie = sign_in(&address, username, a["password"].as_str().unwrap_or_default());
        sessions.push((username.to_owned(), a["team"].as_str().map(str::to_owned), cookie));
    }

    // The live streams, each on its own thread, counting events.
    let stop = Arc::new(AtomicBool::new(false));
    let events = Arc::new(AtomicU64::new(0));
    for (_, team, cookie) in &sessions {
        let path = team.as_ref().map_or("/live".to_owned(), |t| format!("/teams/{t}/live"));
        let (address, cookie, events, stop) = (address.clone(), cookie.clone(), events.clone(), stop.clone());
        std::thread::spawn(move || {
            let Ok(mut stream) = TcpStream::connect(&address) else {
                return;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
            let _ = write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n"
            );
            let mut reader = std::io::BufReader::new(stream);
            let mut line = String::new();
            while !stop.load(Ordering::Relaxed) {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) => return,
                    Ok(_) if line.starts_with("event: ") => {
                        events.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
        });
    }
    std::thread::sleep(Duration::from_secs(2));

    // Page views, open loop: request k of sender s is due at (k * SENDERS + s) / rate.
    let pages = |team: &Option<String>| -> Vec<String> {
        match team {
            Some(t) => vec![
                format!("/teams/{t}"),
                format!("/teams/{t}/inbox"),
                format!("/teams/{t}/hunt?q=log%3Asysmon"),
                format!("/teams/{t}/network"),
                format!("/teams/{t}/questions"),
                format!("/teams/{t}/score"),
                format!("/teams/{t}/cases"),
            ],
            None => vec!["/board".to_owned(), "/messages".to_owned(), "/grading".to_owned()],
        }
    };
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(AtomicU64::new(0));
    let (cpu_before, _) = usage(pid);
    let start = Instant::now();
    let total = seconds * PAGES_PER_SECOND;
    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let (address, sessions) = (address.clone(), sessions.clone());
        let (latencies, failures) = (latencies.clone(), failures.clone());
        senders.push(std::thread::spawn(move || {
            let mut k = 0;
            loop {
                let n = k * SENDERS + s;
                if n >= total {
                    return;
                }
                let due = start + Duration::from_micros(n * 1_000_000 / PAGES_PER_SECOND);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let (_, team, cookie) = &sessions[n as usize % sessions.len()];
                let choices = pages(team);
                let path = &choices[(n as usize / sessions.len()) % choices.len()];
                let response = request(
                    &address,
                    &format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nAccept-Encoding: br\r\nConnection: close\r\n\r\n"),
                );
                let took = due.elapsed().as_secs_f64() * 1000.0;
                if response.is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
                    latencies.lock().unwrap_or_else(|e| e.into_inner()).push(took);
                } else {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                k += 1;
            }
        }));
    }
    let mut peak_rss: f64 = 0.0;
    while senders.iter().any(|s| !s.is_finished()) {
        std::thread::sleep(Duration::from_millis(500));
        peak_rss = peak_rss.max(usage(pid).1);
    }
    for s in senders {
        let _ = s.join();
    }
    let wall = start.elapsed().as_secs_f64();
    let (cpu_after, rss) = usage(pid);
    stop.store(true, Ordering::Relaxed);
    let mut sorted = latencies.lock().unwrap_or_else(|e| e.into_inner()).clone();
    sorted.sort_by(f64::total_cmp);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "load: {USERS} signed-in users with live streams, {PAGES_PER_SECOND} page views/s for {seconds} s, five teams at 10×"
    );
    let _ = writeln!(
        out,
        "pages: {} answered 200, {} failed; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        sorted.len(),
        failures.load(Ordering::Relaxed),
        percentile(&sorted, 0.5),
        percentile(&sorted, 0.9),
        percentile(&sorted, 0.99),
        sorted.last().copied().unwrap_or(f64::NAN)
    );
    let _ = writeln!(
        out,
        "server: {:.2} cores busy on average ({:.1} CPU s in {wall:.1} s); memory {rss:.0} MiB now, {peak_rss:.0} MiB at most",
        (cpu_after - cpu_before) / wall,
        cpu_after - cpu_before
    );
    let _ = writeln!(
        out,
        "live streams: {} events received by the {USERS} streams",
        events.load(Ordering::Relaxed)
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&data);
}
