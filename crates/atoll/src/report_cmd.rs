//! `atoll report`: the after-action report of a stored exercise, written to a file, without a
//! server: the exercise is rebuilt from its record exactly as `atoll serve` rebuilds it.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{Common, Database};
use crate::server;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// One self-contained, printable HTML file.
    Html,
    /// The report's facts as JSON (docs/report.schema.json describes them).
    Json,
    /// An ATT&CK Navigator layer (format 4.5) of one team's detections (needs --team).
    Navigator,
    /// A STIX 2.1 bundle of the indicators one team reported (needs --team).
    Stix,
    /// PDF on A4, fonts inside (Japanese included).
    Pdf,
}

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Document {
    /// The after-action report (the whole exercise, or one team's with --team).
    Report,
    /// The Situation Manual for participants, from the scenario: nothing of the adversary's
    /// plan.
    SituationManual,
    /// The facilitator and evaluator guide for the white cell: the whole plan with its notes.
    FacilitatorGuide,
    /// The participant feedback form, to print.
    FeedbackForm,
    /// The After-Action Report / Improvement Plan of the whole exercise.
    AfterAction,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    common: Common,
    /// More Sigma rule files or folders, as the exercise was served with [default: `rules` in
    /// the settings file].
    #[arg(long = "rules", env = "ATOLL_RULES", value_name = "PATH", value_delimiter = ',')]
    rules: Vec<PathBuf>,
    /// The exercise [default: the newest].
    #[arg(long, value_name = "ID")]
    exercise: Option<i64>,
    /// One team's report (its id, e.g. `palau`) [default: the whole exercise].
    #[arg(long, value_name = "TEAM")]
    team: Option<String>,
    #[arg(long, value_enum, default_value = "html")]
    format: Format,
    /// Which document: the standard exercise documents come as HTML or PDF.
    #[arg(long, value_enum, default_value = "report")]
    document: Document,
    /// Where to write it (`-`: standard output).
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
}

pub(crate) fn run(args: Args) -> ExitCode {
    server::run_async(report(args))
}

async fn report(args: Args) -> Result<(), String> {
    let file = args.common.file()?;
    let Database::Sqlite(path) = args.common.database(&file)?;
    if !path.exists() {
        return Err(format!("{}: no such database", path.display()));
    }
    let rules = if args.rules.is_empty() {
        file.rules.clone()
    } else {
        args.rules
    };
    let db = server::open_private(&path).await?;
    let exercise = server::pick_exercise(&db, &path, args.exercise).await?;
    let app = server::start(db, &exercise, &rules).await?;
    let teams: Vec<usize> = match &args.team {
        Some(team) => vec![
            app.live
                .scenario
                .player_teams()
                .position(|t| &t.id.name == team)
                .ok_or_else(|| {
                    let known: Vec<&str> = app.live.scenario.player_teams().map(|t| t.id.name.as_str()).collect();
                    format!(
                        "--team: no team `{team}` in exercise {}; its teams are {}",
                        exercise.id,
                        known.join(", ")
                    )
                })?,
        ],
        None => (0..app.live.scenario.player_teams().count()).collect(),
    };
    if matches!(args.format, Format::Navigator | Format::Stix) && args.team.is_none() {
        return Err("--format navigator and stix are one team's: add --team".to_owned());
    }
    if args.document != Document::Report {
        if !matches!(args.format, Format::Html | Format::Pdf) {
            return Err("--document: the standard documents come as --format html or pdf".to_owned());
        }
        if args.team.is_some() {
            return Err("--document: the standard documents are the whole exercise's; leave out --team".to_owned());
        }
    }
    let plan = atoll_app::documents::plan(&app);
    let write = |document: &atoll_report::pdf::Document| -> Result<Vec<u8>, String> {
        match args.format {
            Format::Pdf => document.to_pdf(),
            _ => Ok(atoll_report::documents::html(document).into_bytes()),
        }
    };
    // The documents written from the scenario alone need no play rebuilt.
    let before_play = match args.document {
        Document::SituationManual => Some(atoll_report::documents::situation_manual(&plan)),
        Document::FacilitatorGuide => Some(atoll_report::documents::facilitator_guide(&plan)),
        Document::FeedbackForm => Some(atoll_report::documents::feedback_form(&plan)),
        Document::Report | Document::AfterAction => None,
    };
    if let Some(document) = before_play {
        return output(&args.out, &write(&document)?);
    }
    // Every world up to the clock, one team per core, before the report reads them.
    let started = std::time::Instant::now();
    let builder = app.clone();
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    tokio::task::spawn_blocking(move || {
        builder.live.begin_rebuild();
        builder.live.rebuild(workers);
    })
    .await
    .map_err(|_| "the worlds could not be rebuilt".to_owned())?;
    let rebuilt = started.elapsed();
    let report = atoll_app::report::gather(&app, &teams)
        .await
        .map_err(|e| e.to_string())?;
    let gathered = started.elapsed() - rebuilt;
    let team = args.team.as_deref().unwrap_or_default();
    let text: Vec<u8> = match (args.document, args.format, args.team.is_some()) {
        (Document::AfterAction, _, _) => write(&atoll_report::documents::after_action_report(&report, &plan))?,
        (_, Format::Html, false) => atoll_report::html::exercise(&report).into_bytes(),
        (_, Format::Html, true) => atoll_report::html::team(&report, team).unwrap_or_default().into_bytes(),
        (_, Format::Json, _) => atoll_report::json::to_string(&report).into_bytes(),
        (_, Format::Navigator, _) => pretty(atoll_report::navigator::layer(&report, team)).into_bytes(),
        (_, Format::Stix, _) => pretty(atoll_report::stix::bundle(
            &report,
            team,
            &atoll_app::report::infrastructure(&app, team),
        ))
        .into_bytes(),
        (_, Format::Pdf, false) => atoll_report::pdf::exercise(&report),
        (_, Format::Pdf, true) => atoll_report::pdf::team(&report, team).unwrap_or_default(),
    };
    let written = started.elapsed() - rebuilt - gathered;
    // What took how long, on standard error: rebuilding days of play takes a while.
    eprintln!(
        "atoll: {} worlds rebuilt to {} in {:.1} s; the report gathered in {:.2} s and written in {:.2} s ({} bytes)",
        teams.len(),
        report.as_of.label,
        rebuilt.as_secs_f64(),
        gathered.as_secs_f64(),
        written.as_secs_f64(),
        text.len()
    );
    output(&args.out, &text)
}

/// Writes `bytes` to the file `out`, or to standard output for `-`.
fn output(out: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    if out.as_os_str() == "-" {
        use std::io::Write as _;
        std::io::stdout()
            .lock()
            .write_all(bytes)
            .map_err(|e| format!("standard output: {e}"))
    } else {
        std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
    }
}

fn pretty(value: Option<serde_json::Value>) -> String {
    value.map_or_else(String::new, |v| {
        serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
    })
}
