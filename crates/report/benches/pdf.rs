//! `cargo bench -p atoll-report --bench pdf`: how long the whole-exercise PDF of a big exercise
//! takes and how big it is.
//!
//! Five teams through two days of play (`ATOLL_BENCH_TEAMS`, `ATOLL_BENCH_DAYS`), each with 40
//! campaign steps, 400 events, 6 services, 20 answers, 15 reports and 12 lessons
//! (`tests/report/big.rs`). Prints the first render's wall time (fonts read, nothing memoised),
//! then the median and worst wall time of 7 more, the PDF's size and its pages, and one team's
//! document the same way. The target: at most 10 s and 5 MB for the whole exercise.

#![expect(clippy::print_stdout, reason = "a benchmark reports its numbers on stdout")]

#[path = "../tests/report/big.rs"]
mod big;

use std::time::Instant;

use atoll_report::pdf;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Times `runs` renders after a first one: (first, median, worst) in seconds and the bytes.
fn time(runs: usize, mut render: impl FnMut() -> Vec<u8>) -> (f64, f64, f64, Vec<u8>) {
    let start = Instant::now();
    let pdf = render();
    let first = start.elapsed().as_secs_f64();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let again = render();
            let took = start.elapsed().as_secs_f64();
            assert_eq!(again, pdf, "the same report gives the same bytes");
            took
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (first, times[times.len() / 2], times[times.len() - 1], pdf)
}

/// Pages of a PDF: its page objects, counted in the bytes (Typst writes them uncompressed).
fn pages(pdf: &[u8]) -> usize {
    pdf.windows(10)
        .filter(|w| w == b"/Type /Page" || w.starts_with(b"/Type/Page"))
        .count()
}

fn main() {
    let teams = env("ATOLL_BENCH_TEAMS", 5);
    let days = env("ATOLL_BENCH_DAYS", 2) as u64;
    let report = big::report(teams, days);
    let (first, median, worst, pdf) = time(7, || pdf::exercise(&report));
    println!(
        "exercise, {teams} teams, {days} days: first {first:.2} s, median {median:.2} s, worst {worst:.2} s; \
         {} bytes ({:.2} MB), about {} pages",
        pdf.len(),
        pdf.len() as f64 / 1e6,
        pages(&pdf)
    );
    let id = report.teams[0].id.clone();
    let (first, median, worst, pdf) = time(7, || pdf::team(&report, &id).expect("the team took part"));
    println!(
        "one team: first {first:.2} s, median {median:.2} s, worst {worst:.2} s; {} bytes ({:.2} MB)",
        pdf.len(),
        pdf.len() as f64 / 1e6
    );
    if let Some(out) = std::env::var_os("ATOLL_BENCH_PDF") {
        std::fs::write(&out, pdf::exercise(&report)).expect("the PDF is written");
    }
}
