//! `kill -9` at any moment loses nothing the server said it did: a demo server is killed
//! (SIGKILL, no chance to clean up) while a team keeps adding to a case and taking response
//! actions through its pages, then started again on the same data. Everything the server
//! answered `303 See Other` for is there after the restart, sessions survive, and the clock
//! goes on from where it was (running: by the wall clock; paused: at the same time).
//!
//! The team acts through its web forms; there is no JSON API yet.

mod common;
#[path = "common/http.rs"]
mod http;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Lines, Server, demo_password};
use http::{sign_in, try_http};

/// A demo server on `data`, with what it printed kept open.
fn start(data: &Path) -> (Server, String, Lines) {
    let (server, _, address, lines) = Server::start(&["demo".as_ref(), "--data".as_ref(), data.as_os_str()]);
    (server, address, lines)
}

/// POSTs a form; the response's status line and `location`, or `None` if the server was gone.
fn post(address: &str, cookie: &str, path: &str, form: &str) -> Option<(String, String)> {
    let response = try_http(
        address,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    )?;
    let status = response.lines().next()?.to_owned();
    let location = response
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap_or_default()
        .to_owned();
    Some((status, location))
}

fn get(address: &str, cookie: &str, path: &str) -> String {
    let response = try_http(
        address,
        &format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    )
    .unwrap_or_else(|| panic!("{address} did not answer GET {path}"));
    assert!(response.starts_with("HTTP/1.1 200"), "GET {path}: {response}");
    response
}

/// The board's exercise time (`D1 08:47`) in minutes, and whether the clock runs.
fn clock(address: &str, instructor: &str) -> (u32, bool) {
    let board = get(address, instructor, "/board");
    let label = board
        .split(r#"<strong data-live="clock">"#)
        .nth(1)
        .and_then(|t| t.split('<').next())
        .unwrap_or_else(|| panic!("no exercise time on the board: {board}"));
    let (day, time) = label.trim_start_matches('D').split_once(' ').unwrap();
    let (h, m) = time.split_once(':').unwrap();
    let minutes =
        (day.parse::<u32>().unwrap() - 1) * 24 * 60 + h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap();
    (minutes, board.contains("</strong> — running"))
}

/// Everything the server confirmed so far is on the team's pages.
fn check_kept(address: &str, player: &str, case: &str, notes: &[String], actions: &[String]) {
    let page = get(address, player, case);
    for note in notes {
        assert!(
            page.contains(note.as_str()),
            "{note} was confirmed but is not on the case"
        );
    }
    let log = get(address, player, "/teams/palau/respond");
    for target in actions {
        assert!(
            log.contains(&format!(">{target}<")),
            "blocking {target} was confirmed but is not in the log"
        );
    }
}

#[test]
fn a_killed_server_loses_nothing_it_confirmed_and_its_clock_goes_on() {
    let data = std::env::temp_dir().join(format!("atoll-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let (mut server, mut address, mut _output) = start(&data);
    let player = sign_in(&address, "palau-1", &demo_password(&data, "palau-1"));
    let instructor = sign_in(&address, "instructor", &demo_password(&data, "instructor"));
    let (status, case) = post(&address, &player, "/teams/palau/cases", "title=Crash+drill").unwrap();
    assert!(status.starts_with("HTTP/1.1 303"), "{status}");
    let notes = Arc::new(Mutex::new(Vec::<String>::new()));
    let actions = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut last_clock = clock(&address, &instructor).0;

    // Killed after these many milliseconds of traffic, in turn: early, late, in between.
    for (round, after_ms) in [150_u64, 1_300, 600, 900].into_iter().enumerate() {
        let worker = {
            let (address, player, case) = (address.clone(), player.clone(), case.clone());
            let (notes, actions) = (notes.clone(), actions.clone());
            std::thread::spawn(move || {
                for i in 0..250 {
                    let note = format!("crash-{round}-{i}");
                    match post(&address, &player, &case, &format!("kind=note&note={note}")) {
                        Some((status, _)) if status.starts_with("HTTP/1.1 303") => notes.lock().unwrap().push(note),
                        Some((status, _)) => panic!("note {note}: {status}"),
                        None => return,
                    }
                    let target = format!("100.64.{round}.{}", i + 1);
                    let form = format!("action=block_address&target={target}&confirm=yes");
                    match post(&address, &player, "/teams/palau/respond", &form) {
                        Some((status, _)) if status.starts_with("HTTP/1.1 303") => actions.lock().unwrap().push(target),
                        Some((status, _)) => panic!("block {target}: {status}"),
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
        // The sessions were in the database too: the same cookies work.
        check_kept(
            &address,
            &player,
            &case,
            &notes.lock().unwrap(),
            &actions.lock().unwrap(),
        );
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
    let (status, _) = post(&address, &instructor, "/clock", "action=pause").unwrap();
    assert!(status.starts_with("HTTP/1.1 303"), "{status}");
    let (paused_at, running) = clock(&address, &instructor);
    assert!(!running);
    drop(server);
    std::thread::sleep(Duration::from_millis(1_500));
    let (_server, address, _output) = start(&data);
    assert_eq!(clock(&address, &instructor), (paused_at, false));
    eprintln!("{notes} notes and {actions} actions confirmed across 4 kills, all kept");
    let _ = std::fs::remove_dir_all(&data);
}
