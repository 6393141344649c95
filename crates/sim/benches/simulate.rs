//! `cargo bench -p atoll-sim --bench simulate`: how fast the bundled scenario's telemetry is
//! produced as JSON lines, on one core, and whether memory stays flat as exercise time grows.
//!
//! It simulates every player team for `ATOLL_BENCH_DAYS` days (default 5) with seed 1,
//! formatting every event into JSON lines that are counted and dropped, and prints events per
//! CPU second (this thread's user + system time, so time spent waiting for a busy core does
//! not count), bytes per event, and the resident memory at the end of every simulated day.

#![expect(clippy::print_stdout, reason = "a benchmark reports its numbers on stdout")]

#[path = "../../../bench-support/measure.rs"]
mod measure;

use std::path::Path;

use atoll_sim::clock::{DAY, HOUR};
use atoll_sim::{Config, DEFAULT_DATE, Simulation};
use measure::{cpu_secs, peak_rss_mib, rss_mib};

fn main() {
    let days: u64 = std::env::var("ATOLL_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(5);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/pacific-cable-shield.yaml");
    let scenario = atoll_scenario::load_file(&path).unwrap_or_else(|f| panic!("{}", f.render("scenario")));
    let config = Config {
        seed: 1,
        date: DEFAULT_DATE,
        until: days * DAY,
        teams: Vec::new(),
        actions: Vec::new(),
    };
    let load = cpu_secs();
    let mut sim = Simulation::new(&scenario, config).expect("the bundled scenario simulates");
    let setup = cpu_secs() - load;
    println!("setup: {setup:.2} CPU s, {:.1} MiB resident", rss_mib());
    let start = cpu_secs();
    let mut bytes: u64 = 0;
    let mut next_report = DAY;
    sim.run(|chunk, now| {
        bytes += chunk.len() as u64;
        while now >= next_report {
            println!("  day {:>2}: {:>6.1} MiB resident", next_report / DAY, rss_mib(),);
            next_report += DAY;
        }
        Ok(())
    })
    .expect("counting bytes cannot fail");
    let cpu = cpu_secs() - start;
    let events = sim.events();
    println!(
        "{events} events in {days} simulated days of {} teams ({:.0} per simulated hour)",
        scenario.player_teams().count(),
        events as f64 / (days * DAY / HOUR) as f64
    );
    println!(
        "{:.0} events per CPU second ({cpu:.1} CPU s), {:.0} bytes per event, {:.0} MB/s of JSON lines",
        events as f64 / cpu,
        bytes as f64 / events as f64,
        bytes as f64 / cpu / 1e6
    );
    println!("peak resident memory: {:.1} MiB", peak_rss_mib());
}
