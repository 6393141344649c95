//! `cargo bench -p atoll --bench report`: the whole-exercise after-action report of the
//! bundled exercise (five teams) after two days of play. The demo is created, its stored clock
//! set to D3 08:00, and `atoll report` run for HTML and for JSON, twice each (each run rebuilds
//! two days of five worlds, about two minutes on two cores). It prints each run's phases
//! (rebuilding the worlds from the record, gathering the report, writing it) and the
//! document's size.
//!
//! `ATOLL_BIN` names another build to measure; by default, this one. Nothing here fails on a
//! slow machine: it prints numbers.

#![expect(clippy::print_stdout, reason = "a benchmark reports its numbers on stdout")]

mod demo;

const AT: (&str, u64) = ("D3 08:00", 47 * 3_600_000 + 30 * 60_000);
const RUNS: usize = 2;

fn main() {
    let binary = std::env::var("ATOLL_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_atoll").to_owned());
    let data = std::env::temp_dir().join(format!("atoll-report-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let (mut child, _, _) = demo::start(&binary, &data, true);
    child.kill().expect("stopped");
    let _ = child.wait();
    demo::stop_clock_at(&data, AT.1);
    let database = format!("sqlite://{}", data.join("atoll.db").display());
    println!(
        "the bundled exercise, five teams, stopped at {}: atoll report, {RUNS} runs each",
        AT.0
    );
    println!(
        "{:<6} {:>12} {:>12} {:>12} {:>12}",
        "format", "rebuild s", "gather s", "write s", "bytes"
    );
    for format in ["html", "json"] {
        let out = data.join(format!("report.{format}"));
        for _ in 0..RUNS {
            let done = std::process::Command::new(&binary)
                .args(["report", "--database", &database, "--format", format, "--out"])
                .arg(&out)
                .env("RUST_LOG", "warn")
                .output()
                .expect("atoll report runs");
            let said = String::from_utf8_lossy(&done.stderr).into_owned();
            assert!(done.status.success(), "{said}");
            // "… rebuilt to D3 08:00 in 118.2 s; the report gathered in 2.10 s and written in 0.30 s (123 bytes)"
            let number = |after: &str| -> f64 {
                said.split(after)
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|n| n.trim_end_matches(';').parse().ok())
                    .unwrap_or_else(|| panic!("no figure after «{after}» in: {said}"))
            };
            let bytes = std::fs::metadata(&out).map_or(0, |m| m.len());
            println!(
                "{format:<6} {:>12.1} {:>12.2} {:>12.2} {bytes:>12}",
                number(" in "),
                number("gathered in "),
                number("written in ")
            );
        }
    }
    let _ = std::fs::remove_dir_all(&data);
}
