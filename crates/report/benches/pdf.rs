//! `cargo bench -p atoll-report --bench pdf`: how long the whole-exercise PDF of a big exercise
//! takes and how big it is.
//!
//! Five teams through two days of play (`ATOLL_BENCH_TEAMS`, `ATOLL_BENCH_DAYS`), each with 40
//! campaign steps, 400 events, 6 services, 20 answers, 15 reports and 12 lessons
//! (`tests/report/big.rs`). Prints, for the whole exercise and then for one team's document:
//! - the first render's wall time, which also reads the fonts;
//! - the median and worst of 7 cold renders: Typst's memo cache emptied before each, as for a
//!   report never rendered before;
//! - the median of 7 warm renders of the same report, which Typst's cache mostly answers;
//! - the PDF's size and its pages.
//!
//! The target: at most 10 s and 5 MB for the whole exercise. With `ATOLL_BENCH_PDF=file.pdf`
//! the whole exercise's PDF is written there.

#![expect(clippy::print_stdout, reason = "a benchmark reports its numbers on stdout")]

#[path = "../tests/report/big.rs"]
mod big;

use std::time::Instant;

use atoll_report::pdf;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Renders 7 times, each checked against `pdf`: (median, worst) wall time in seconds.
fn runs(pdf: &[u8], cold: bool, render: &mut impl FnMut() -> Vec<u8>) -> (f64, f64) {
    let mut times: Vec<f64> = (0..7)
        .map(|_| {
            if cold {
                typst::comemo::evict(0);
            }
            let start = Instant::now();
            let again = render();
            let took = start.elapsed().as_secs_f64();
            assert!(again == pdf, "the same report gives the same bytes");
            took
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() - 1])
}

fn measure(what: &str, mut render: impl FnMut() -> Vec<u8>) -> Vec<u8> {
    let start = Instant::now();
    let pdf = render();
    let first = start.elapsed().as_secs_f64();
    let (cold, worst) = runs(&pdf, true, &mut render);
    let (warm, _) = runs(&pdf, false, &mut render);
    println!(
        "{what}: first {first:.2} s; cold median {cold:.2} s, worst {worst:.2} s; warm median {warm:.2} s; \
         {} bytes ({:.2} MB), {} pages",
        pdf.len(),
        pdf.len() as f64 / 1e6,
        pages(&pdf)
    );
    pdf
}

/// Pages of a PDF: its page objects (`/Type/Page`, not `/Type/Pages`), counted in the bytes,
/// where Typst writes them uncompressed.
fn pages(pdf: &[u8]) -> usize {
    pdf.windows(11)
        .filter(|w| w.starts_with(b"/Type/Page") && w[10] != b's')
        .count()
}

fn main() {
    let teams = env("ATOLL_BENCH_TEAMS", 5);
    let days = env("ATOLL_BENCH_DAYS", 2) as u64;
    let exercise = big::report(teams, days);
    let whole = measure(&format!("exercise, {teams} teams, {days} days"), || {
        pdf::exercise(&exercise)
    });
    let id = exercise.teams[0].id.clone();
    measure("one team", || pdf::team(&exercise, &id).expect("the team took part"));
    if let Some(out) = std::env::var_os("ATOLL_BENCH_PDF") {
        std::fs::write(&out, whole).expect("the PDF is written");
    }
}
