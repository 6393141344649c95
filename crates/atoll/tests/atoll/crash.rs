//! `kill -9` at any moment loses nothing the server said it did: a demo server is killed
//! (SIGKILL, no chance to clean up) at random moments while a script keeps adding to a team's
//! case and taking response actions through the JSON API, then started again on the same
//! data. Everything the server answered `201 Created` for is there after the restart, API
//! tokens and sessions survive, and the clock goes on from where it was (running: by the wall
//! clock; paused: at the same time).
//!
//! The kill times come from a seed printed at the start; `ATOLL_CRASH_SEED=N` replays a run.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::http::{api, make_token, send, sign_in};
use crate::common::{Lines, Server, demo_password};

/// A demo server on `data`, with what it printed kept open.
fn start(data: &Path) -> (Server, String, Lines) {
    let (server, _, address, lines) = Server::start(&["demo".as_ref(), "--data".as_ref(), data.as_os_str()]);
    (server, address, lines)
}

/// Exercise time (milliseconds) and whether the clock runs.
fn clock(address: &str, token: &str) -> (u64, bool) {
    let (status, exercise) = api(address, token, "GET", "/api/v1/exercise", None).expect("the server answers");
    assert_eq!(status, 200, "{exercise}");
    (
        exercise["clock"]["time"]["ms"].as_u64().unwrap(),
        exercise["clock"]["state"] == "running",
    )
}

/// Everything the server confirmed so far is in the team's case and its actions.
fn check_kept(address: &str, token: &str, case: i64, notes: &[String], actions: &[String]) {
    let (status, case) = api(
        address,
        token,
        "GET",
        &format!("/api/v1/teams/palau/cases/{case}"),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{case}");
    let kept: Vec<&str> = case["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"].as_str())
        .collect();
    for note in notes {
        assert!(
            kept.contains(&note.as_str()),
            "{note} was confirmed but is not on the case"
        );
    }
    let (status, log) = api(address, token, "GET", "/api/v1/teams/palau/actions", None).unwrap();
    assert_eq!(status, 200, "{log}");
    let taken: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["target"].as_str())
        .collect();
    for target in actions {
        assert!(
            taken.contains(&target.as_str()),
            "blocking {target} was confirmed but is not in the log"
        );
    }
}

/// Kill times in milliseconds of traffic: four, from 100 to 1,500, from `seed`.
fn kill_times(seed: u64) -> Vec<u64> {
    let mut state = seed | 1;
    (0..4)
        .map(|_| {
            // xorshift64: enough to spread four numbers, and replayable.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            100 + state % 1_400
        })
        .collect()
}

#[test]
fn a_killed_server_loses_nothing_it_confirmed_and_its_clock_goes_on() {
    let _group = crate::group("crash");
    let seed = std::env::var("ATOLL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let times = kill_times(seed);
    eprintln!("ATOLL_CRASH_SEED={seed}: kills after {times:?} ms of traffic");
    let data = std::env::temp_dir().join(format!("atoll-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let (mut server, mut address, mut _output) = start(&data);
    let player_cookie = sign_in(&address, "palau-1", &demo_password(&data, "palau-1"));
    let instructor_cookie = sign_in(&address, "instructor", &demo_password(&data, "instructor"));
    let player = make_token(&address, &player_cookie);
    let instructor = make_token(&address, &instructor_cookie);
    let (status, case) = api(
        &address,
        &player,
        "POST",
        "/api/v1/teams/palau/cases",
        Some(r#"{"title":"Crash drill"}"#),
    )
    .unwrap();
    assert_eq!(status, 201, "{case}");
    let case = case["id"].as_i64().unwrap();
    let notes = Arc::new(Mutex::new(Vec::<String>::new()));
    let actions = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut last_clock = clock(&address, &instructor).0;

    for (round, after_ms) in times.into_iter().enumerate() {
        let worker = {
            let (address, player) = (address.clone(), player.clone());
            let (notes, actions) = (notes.clone(), actions.clone());
            std::thread::spawn(move || {
                let entries = format!("/api/v1/teams/palau/cases/{case}/entries");
                for i in 0..250 {
                    let note = format!("crash-{round}-{i}");
                    let body = format!(r#"{{"kind":"note","note":"{note}"}}"#);
                    match api(&address, &player, "POST", &entries, Some(&body)) {
                        Some((201, _)) => notes.lock().unwrap().push(note),
                        Some((status, answer)) => panic!("note {note}: {status} {answer}"),
                        None => return,
                    }
                    let target = format!("100.64.{round}.{}", i + 1);
                    let body = format!(r#"{{"action":"block_address","target":"{target}"}}"#);
                    match api(&address, &player, "POST", "/api/v1/teams/palau/actions", Some(&body)) {
                        Some((201, _)) => actions.lock().unwrap().push(target),
                        Some((status, answer)) => panic!("block {target}: {status} {answer}"),
                        None => return,
                    }
                }
            })
        };
        std::thread::sleep(Duration::from_millis(after_ms));
        let (before, running) = clock(&address, &instructor);
        assert!(running, "the demo clock runs");
        assert!(
            before >= last_clock,
            "the clock never goes back: {before} after {last_clock}"
        );
        drop(server); // SIGKILL, then wait for it
        worker.join().unwrap();

        (server, address, _output) = start(&data);
        // Tokens and sessions were in the database too: the same ones work.
        check_kept(
            &address,
            &player,
            case,
            &notes.lock().unwrap(),
            &actions.lock().unwrap(),
        );
        let (status, _) = send(
            &address,
            "GET",
            "/teams/palau/respond",
            &format!("Cookie: {player_cookie}\r\n"),
            "",
        )
        .unwrap();
        assert_eq!(status, 200, "the player's session survives");
        let (after, running) = clock(&address, &instructor);
        assert!(running, "still running after the restart");
        assert!(after >= before, "the clock goes on: {after} after {before}");
        last_clock = after;
    }
    let (notes, actions) = (notes.lock().unwrap().len(), actions.lock().unwrap().len());
    assert!(
        notes > 20 && actions > 20,
        "{notes} notes and {actions} actions confirmed"
    );

    // A paused clock stays paused, at the same time, through a kill.
    let (status, paused) = api(
        &address,
        &instructor,
        "POST",
        "/api/v1/clock",
        Some(r#"{"action":"pause"}"#),
    )
    .unwrap();
    assert_eq!(status, 200, "{paused}");
    let (paused_at, running) = clock(&address, &instructor);
    assert!(!running);
    assert_eq!(paused["time"]["ms"].as_u64(), Some(paused_at));
    drop(server);
    std::thread::sleep(Duration::from_millis(1_500));
    let (_server, address, _output) = start(&data);
    assert_eq!(clock(&address, &instructor), (paused_at, false));
    eprintln!("{notes} notes and {actions} actions confirmed across 4 kills, all kept");
    let _ = std::fs::remove_dir_all(&data);
}
