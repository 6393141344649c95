//! `cargo bench -p atoll-hunt --bench hunt`: the event store over the bundled scenario.
//!
//! Simulates every team of the bundled scenario (seed 1) until `ATOLL_BENCH_EVENTS` events
//! (default 5,000,000), then reports:
//! - ingest: events per CPU second of this thread, from JSON lines to a searchable store;
//! - memory: resident growth and the store's own count of bytes, per million events;
//! - queries: the median and worst wall time of 15 runs of each query;
//! - ripgrep over the same JSON lines (a file in the OS cache), median of 5 runs, for the
//!   selective queries, and the ratio.

#![expect(clippy::print_stdout, reason = "a benchmark reports its numbers on stdout")]

#[path = "../../../bench-support/measure.rs"]
mod measure;

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use atoll_hunt::{Context, Limits, Page, Store};
use atoll_sim::clock::DAY;
use atoll_sim::{Config, DEFAULT_DATE, Simulation};
use measure::{cpu_secs, peak_rss_mib, rss_mib};

const QUERIES: &[&str] = &[
    "CommandLine:*ntdsutil*",
    "ntdsutil",
    "dst_ip:203.0.113.45",
    "host:PT-DC01 EventID:4624 | head 100",
    "| stats count by host",
    "EventID:4625 | stats count by host, TargetUserName",
    "log:dns | stats count by query | head 20",
    "| timeline 1h",
    "Image:*\\powershell.exe NOT ParentImage:*\\explorer.exe | stats count by ParentImage",
];

/// The same selective searches for ripgrep: case-insensitive, counting lines.
const RG: &[(&str, &str)] = &[
    ("CommandLine:*ntdsutil*", r#""CommandLine":"[^"]*ntdsutil"#),
    ("ntdsutil", "ntdsutil"),
    ("dst_ip:203.0.113.45", r#""dst_ip":"203\.0\.113\.45""#),
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let wanted: usize = std::env::var("ATOLL_BENCH_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_000_000);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/pacific-cable-shield.yaml");
    let scenario = atoll_scenario::load_file(&path).unwrap_or_else(|f| panic!("{}", f.render("scenario")));
    let config = Config {
        seed: 1,
        date: DEFAULT_DATE,
        until: 30 * DAY,
        teams: Vec::new(),
        actions: Vec::new(),
    };
    let mut sim = Simulation::new(&scenario, config).expect("the bundled scenario simulates");
    let mut json = Vec::with_capacity(wanted * 300);
    let _ = sim.run(|chunk, _| {
        json.extend_from_slice(chunk);
        if json.len() >= wanted * 400 {
            return Err(std::io::Error::other("enough"));
        }
        Ok(())
    });
    let text = std::str::from_utf8(&json).expect("JSON lines are UTF-8");
    let lines: Vec<&str> = text.lines().take(wanted).collect();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    println!(
        "{} events of {} teams, {:.0} MB of JSON lines ({:.0} bytes per event)",
        lines.len(),
        scenario.player_teams().count(),
        bytes as f64 / 1e6,
        bytes as f64 / lines.len() as f64
    );

    let rss_before = rss_mib();
    let start = cpu_secs();
    let mut store = Store::new();
    for line in &lines {
        store.push_json(line).expect("simulated lines are events");
    }
    let cpu = cpu_secs() - start;
    let millions = lines.len() as f64 / 1e6;
    println!(
        "ingest: {:.0} events per CPU second ({cpu:.1} CPU s)",
        lines.len() as f64 / cpu
    );
    println!(
        "memory: {:.0} MiB per million events resident ({:.0} MiB counted by the store); disk: none (rebuilt from the simulation), the JSON lines take {:.0} MiB per million",
        (rss_mib() - rss_before) / millions,
        store.heap_bytes() as f64 / 1048576.0 / millions,
        bytes as f64 / 1048576.0 / millions
    );

    let ctx = Context::default();
    let limits = Limits::default();
    let mut ours = Vec::new();
    println!("{:<80} {:>9} {:>9} {:>10}", "query", "median ms", "worst ms", "results");
    for query in QUERIES {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..15 {
            let t = Instant::now();
            let answer = store
                .search(query, &ctx, &limits, Page::first(100))
                .expect("benchmark queries run");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            total = answer.total;
        }
        let worst = times.iter().copied().fold(0.0, f64::max);
        let m = median(times);
        println!("{query:<80} {m:>9.1} {worst:>9.1} {total:>10}");
        ours.push((*query, m));
    }

    let file = std::env::temp_dir().join(format!("atoll-hunt-bench-{}.jsonl", std::process::id()));
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file).expect("temporary file"));
        for line in &lines {
            writeln!(f, "{line}").expect("write the JSON lines");
        }
    }
    drop(json);
    let rg_present = Command::new("rg")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if rg_present {
        println!(
            "{:<80} {:>9} {:>9} {:>10}",
            "ripgrep (rg -c -i) over the same lines", "median ms", "index ms", "rg/index"
        );
        for (query, pattern) in RG {
            let mut times = Vec::new();
            let mut count = String::new();
            for _ in 0..5 {
                let t = Instant::now();
                let out = Command::new("rg")
                    .args(["-c", "-i", pattern])
                    .arg(&file)
                    .output()
                    .expect("rg runs");
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                count = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            }
            let rg = median(times);
            let index = ours.iter().find(|(q, _)| q == query).map_or(f64::NAN, |(_, m)| *m);
            println!(
                "{:<80} {rg:>9.1} {index:>9.1} {:>9.0}x   ({count} lines)",
                format!("{pattern}"),
                rg / index
            );
        }
    } else {
        println!("ripgrep (rg) is not installed: `apt-get install ripgrep` to compare with it");
    }
    let _ = std::fs::remove_file(&file);
    println!("peak resident memory: {:.0} MiB", peak_rss_mib());
}
