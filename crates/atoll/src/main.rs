//! The `atoll` command: thin wiring from the command line to the library crates.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod admin_cmd;
mod config;
mod conn;
mod demo_cmd;
mod hunt_cmd;
mod package_cmd;
mod report_cmd;
mod rules_cmd;
mod serve_cmd;
mod server;
mod sigma_cmd;
mod simulate_cmd;

/// atoll — cyber defense exercises for national teams, on one binary.
#[derive(Debug, Parser)]
#[command(name = "atoll", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How `demo` and `serve` write their log to standard error: lines for people, or one
    /// JSON object per event. The level comes from RUST_LOG (default: info).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Starts the server's log: requests (with their number, route, user, status and time taken)
/// and failures, to standard error.
fn start_log(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => log.try_init(),
        LogFormat::Json => log.json().try_init(),
    };
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the bundled exercise on this machine: a web server with demo accounts, the clock
    /// running, every team's world simulated (embedded SQLite in a data folder).
    Demo(demo_cmd::Args),
    /// Serve a stored exercise to the white cell and the teams (`atoll admin` creates it).
    /// Settings: flags, then ATOLL_* environment variables, then a TOML file (--config).
    Serve(serve_cmd::Args),
    /// Accounts and exercises in a server's database.
    Admin(admin_cmd::Args),
    /// Check scenario files and report every problem with its line and column.
    Validate {
        /// Scenario files (YAML).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the scenario format (draft-07), for editors.
    Schema,
    /// Run Sigma rules over event files and print one line per match (the default pack, as an
    /// exercise chooses it, unless `--rules` names others).
    Sigma(sigma_cmd::Args),
    /// The detection rules inside the binary: which are on in an exercise and why.
    Rules(rules_cmd::Args),
    /// Simulate a scenario's worlds: events as JSON lines, and the ground truth.
    Simulate(simulate_cmd::Args),
    /// Search an event file with the hunting language (docs/hunting.md).
    Hunt(hunt_cmd::Args),
    /// Write the after-action report of a stored exercise: the whole exercise or one team, as
    /// HTML, JSON, an ATT&CK Navigator layer or a STIX 2.1 bundle.
    Report(report_cmd::Args),
    /// Write a stored exercise to one portable, checksummed file: the scenario, the settings
    /// and seed, and the whole record of play (or, with --scenario-only, none of it).
    Export(package_cmd::ExportArgs),
    /// Read a package written by `atoll export` into a database, as a new exercise whose
    /// report is the original's, byte for byte.
    Import(package_cmd::ImportArgs),
}

/// Counts what each thread keeps on the heap, so that a team's rule is refused by what it
/// costs once compiled ([`atoll_meter`]).
#[global_allocator]
static ALLOCATOR: atoll_meter::Meter = atoll_meter::Meter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => {
            start_log(cli.log_format);
            demo_cmd::run(args)
        }
        Command::Serve(args) => {
            start_log(cli.log_format);
            serve_cmd::run(args)
        }
        Command::Admin(args) => admin_cmd::run(args),
        Command::Validate { files } => validate(&files),
        Command::Schema => schema(),
        Command::Sigma(args) => sigma_cmd::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Simulate(args) => simulate_cmd::run(&args),
        Command::Hunt(args) => hunt_cmd::run(&args),
        Command::Report(args) => report_cmd::run(args),
        Command::Export(args) => package_cmd::export(args),
        Command::Import(args) => package_cmd::import(args),
    }
}

/// Exit 0 when every file is valid, 1 when any has a problem.
fn validate(files: &[PathBuf]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let mut failed = 0;
    for path in files {
        let name = path.display().to_string();
        match atoll_scenario::load_file_and_text(path) {
            Ok((scenario, text)) => {
                let summary = atoll_scenario::summary(&scenario);
                let _ = write!(stdout, "{name}: ok — {summary}");
                let _ = stdout.flush();
                let warnings = atoll_scenario::validate::warnings(&scenario);
                for w in &warnings {
                    let _ = write!(stderr, "{}", w.render_warning(&name, Some(&text)));
                }
                match warnings.len() {
                    0 => {}
                    1 => drop(writeln!(stderr, "{name}: 1 warning")),
                    n => drop(writeln!(stderr, "{name}: {n} warnings")),
                }
            }
            Err(problems) => {
                failed += 1;
                let _ = write!(stderr, "{}", problems.render(&name));
                let n = problems.diagnostics.len();
                let count = match n {
                    1 => "1 problem".to_owned(),
                    n if n > atoll_scenario::MAX_REPORTED => {
                        format!("more than {} problems", atoll_scenario::MAX_REPORTED)
                    }
                    n => format!("{n} problems"),
                };
                let _ = writeln!(stderr, "{name}: {count}");
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn schema() -> ExitCode {
    let schema = atoll_scenario::json_schema();
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    let _ = writeln!(std::io::stdout().lock(), "{text}");
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
