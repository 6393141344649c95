//! `atoll simulate`: a scenario's telemetry as JSON lines, and its ground truth.

use std::fs::File;
use std::io::{BufWriter, IsTerminal as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use atoll_scenario::time::Duration;
use atoll_sim::{Config, DEFAULT_DATE, Simulation};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The scenario file (YAML).
    #[arg(value_name = "SCENARIO")]
    scenario: PathBuf,
    /// Seed of the simulation's randomness: the same seed gives the same events.
    #[arg(long)]
    seed: u64,
    /// How much exercise time to simulate from the start, e.g. `8h`, `1d`, `2d 7h30m`.
    #[arg(long, value_parser = parse_duration)]
    until: Duration,
    /// Simulate only this player team's world (repeat for several); all by default.
    #[arg(long = "team", value_name = "ID")]
    teams: Vec<String>,
    /// Team actions and exercise facts, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    actions: Option<PathBuf>,
    /// Where the events go: a file, or `-` for standard output.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Where to write the ground truth (JSON lines: each step's outcome and events, each
    /// service's availability).
    #[arg(long, value_name = "PATH")]
    truth: Option<PathBuf>,
    /// The calendar date of exercise day 1 (YYYY-MM-DD); a Monday in June 2026 by default.
    #[arg(long, value_name = "DATE")]
    date: Option<jiff::civil::Date>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    Duration::parse(s).map_err(|e| format!("{} ({})", e.message, e.hint))
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    let name = args.scenario.display().to_string();
    let scenario = match atoll_scenario::load_file(&args.scenario) {
        Ok(s) => s,
        Err(problems) => {
            let _ = write!(stderr, "{}", problems.render(&name));
            return ExitCode::FAILURE;
        }
    };
    let date = args.date.unwrap_or(DEFAULT_DATE);
    let clock = match atoll_sim::clock::Clock::new(&scenario.time_zone.0, date, scenario.start.value) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(stderr, "{name}: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let actions = match &args.actions {
        None => Vec::new(),
        Some(path) => {
            let file = path.display().to_string();
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    let _ = writeln!(stderr, "{file}: error: cannot read: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match atoll_sim::actions::parse(&text, &scenario, &clock) {
                Ok(a) => a,
                Err(errors) => {
                    for e in &errors {
                        let _ = writeln!(stderr, "{}", e.render(&file));
                    }
                    let _ = writeln!(stderr, "{file}: {} problem(s); nothing was simulated", errors.len());
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    // Play ends when the scenario says: nothing is simulated past it (availability is a share
    // of play, and no step or inject is planned after it).
    let until = if args.until.as_secs() > scenario.duration.value.as_secs() {
        let _ = writeln!(
            stderr,
            "{name}: warning: --until {} goes past the end of play ({} after the start); simulating to the end",
            args.until, scenario.duration.value
        );
        scenario.duration.value
    } else {
        args.until
    };
    let config = Config {
        seed: args.seed,
        date,
        until: until.as_secs() * 1_000,
        teams: args.teams.clone(),
        actions,
    };
    let mut sim = match Simulation::new(&scenario, config) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return ExitCode::from(2);
        }
    };
    // Open outputs only once the inputs are known to be good.
    let mut out: Box<dyn Write> = if args.out.as_os_str() == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        match File::create(&args.out) {
            Ok(f) => Box::new(BufWriter::with_capacity(1 << 20, f)),
            Err(e) => {
                let _ = writeln!(stderr, "{}: error: cannot create: {e}", args.out.display());
                return ExitCode::FAILURE;
            }
        }
    };
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(sim.until() / 1_000);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {msg} [{elapsed}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let result = sim.run(|chunk, now| {
        if let Some(bar) = &progress {
            bar.set_position(now / 1_000);
            bar.set_message(format!("{} of exercise time", Duration::from_secs(now / 1_000)));
        }
        out.write_all(chunk)
    });
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if let Err(e) = result.and_then(|()| out.flush()) {
        let _ = writeln!(stderr, "{}: error: writing events: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    if let Some(path) = &args.truth {
        let mut text = String::new();
        for record in sim.truth() {
            text.push_str(&record.to_string());
            text.push('\n');
        }
        if let Err(e) = std::fs::write(path, text) {
            let _ = writeln!(stderr, "{}: error: cannot write the ground truth: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let _ = writeln!(stderr, "{} events over {until} of exercise time", sim.events());
    ExitCode::SUCCESS
}
