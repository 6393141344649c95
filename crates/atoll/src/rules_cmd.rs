//! `atoll rules`: the detection rules an exercise runs, on or off and why; the pack's notice.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use atoll_rules::{Catalog, Decision};
use atoll_sigma::Level;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Every rule of the default pack (and of added folders): id, title, level, status,
    /// author, ATT&CK techniques, on or off in the exercise, and why.
    List(ListArgs),
    /// The licence and notice of the SigmaHQ rules inside the binary.
    Notice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Which {
    All,
    On,
    Off,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// Choose rules as this scenario's `detection:` section does (the bundled scenario when
    /// not given).
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Folders of rules to add to the pack, as `atoll serve --rules` does.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Which rules to list.
    #[arg(long, value_enum, default_value_t = Which::All)]
    show: Which,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub(crate) fn run(args: Args) -> ExitCode {
    match args.command {
        Command::Notice => {
            let _ = write!(
                std::io::stdout().lock(),
                "{}\n{}\n\n{}",
                atoll_rules::sigmahq_version(),
                atoll_rules::NOTICE,
                atoll_rules::LICENSE
            );
            ExitCode::SUCCESS
        }
        Command::List(list) => run_list(&list),
    }
}

/// One line of the list.
struct Line<'c> {
    id: &'c str,
    title: &'c str,
    level: Option<Level>,
    status: &'c str,
    author: &'c str,
    techniques: String,
    origin: &'static str,
    decision: &'c Decision,
}

fn run_list(args: &ListArgs) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    let scenario = match crate::server::scenario_or_bundled(args.scenario.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            let _ = write!(stderr, "{e}");
            return ExitCode::FAILURE;
        }
    };
    let (catalog, selected) = match crate::server::rules(&args.rules, &scenario) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for e in &catalog.errors {
        let _ = writeln!(stderr, "{e} (not loaded)");
    }
    let lines = lines(&catalog, &selected);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let shown = lines.iter().filter(|l| match args.show {
        Which::All => true,
        Which::On => l.decision.on,
        Which::Off => !l.decision.on,
    });
    if args.format == Format::Table {
        let _ = writeln!(
            out,
            "{:<36}  {:<3}  {:<13}  {:<12}  {:<64}  {:<24}  {:<20}  WHY",
            "ID", "ON", "LEVEL", "STATUS", "TITLE", "AUTHOR", "ATT&CK"
        );
    }
    let mut count = 0;
    for l in shown {
        count += 1;
        let written = match args.format {
            Format::Table => writeln!(
                out,
                "{:<36}  {:<3}  {:<13}  {:<12}  {:<64}  {:<24}  {:<20}  {}",
                l.id,
                if l.decision.on { "on" } else { "off" },
                l.level.map_or("-", Level::as_str),
                l.status,
                cut(l.title, 64),
                cut(l.author, 24),
                cut(&l.techniques, 20),
                l.decision.why
            ),
            Format::Jsonl => writeln!(
                out,
                "{}",
                serde_json::json!({
                    "id": l.id,
                    "title": l.title,
                    "level": l.level.map(Level::as_str),
                    "status": l.status,
                    "author": l.author,
                    "attack": l.techniques,
                    "origin": l.origin,
                    "on": l.decision.on,
                    "why": l.decision.why,
                })
            ),
        };
        if written.is_err() {
            return ExitCode::FAILURE;
        }
    }
    let _ = out.flush();
    let on = lines.iter().filter(|l| l.decision.on).count();
    let _ = writeln!(
        stderr,
        "{count} listed; {on} of {} rules on ({}; {})",
        lines.len(),
        crate::server::selection(&scenario).describe(),
        atoll_rules::sigmahq_version()
    );
    ExitCode::SUCCESS
}

fn lines<'c>(catalog: &'c Catalog, selected: &'c atoll_rules::Selected) -> Vec<Line<'c>> {
    catalog
        .entries(selected)
        .into_iter()
        .map(|e| Line {
            id: e.id.unwrap_or("-"),
            title: e.title,
            level: e.level,
            status: e.status.unwrap_or("-"),
            author: e.author.unwrap_or("-"),
            techniques: atoll_exercise::techniques(e.tags).join(","),
            origin: e.origin.as_str(),
            decision: e.decision,
        })
        .collect()
}

fn cut(text: &str, n: usize) -> String {
    if text.chars().count() > n {
        let mut out: String = text.chars().take(n - 1).collect();
        out.push('…');
        out
    } else {
        text.to_owned()
    }
}
