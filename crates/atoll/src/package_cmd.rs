//! `atoll export` and `atoll import`: an exercise, or its scenario alone, in one portable file
//! (`atoll_app::package` is the format), from one installation's database to another's.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use atoll_app::clock_now;
use atoll_app::package::{self, Contents, Package};
use atoll_exercise::clock::{Clock, State};
use atoll_store::Store as _;

use crate::config::{Common, Database};
use crate::server;

#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    common: Common,
    /// The exercise [default: the newest].
    #[arg(long, value_name = "ID")]
    exercise: Option<i64>,
    /// Where to write the package.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The scenario and the exercise's settings only, to play it again from the start: no
    /// record of play.
    #[arg(long)]
    scenario_only: bool,
    /// Keep the accounts' password hashes, so that everyone can sign in on the other
    /// installation as here [default: names, roles and teams only].
    #[arg(long)]
    with_accounts: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// A package written by `atoll export`.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    common: Common,
}

pub(crate) fn export(args: ExportArgs) -> ExitCode {
    server::run_async(write(args))
}

pub(crate) fn import(args: ImportArgs) -> ExitCode {
    server::run_async(read(args))
}

async fn write(args: ExportArgs) -> Result<(), String> {
    let file = args.common.file()?;
    let Database::Sqlite(path) = args.common.database(&file)?;
    if !path.exists() {
        return Err(format!("{}: no such database", path.display()));
    }
    let db = server::open_private(&path).await?;
    let exercise = server::pick_exercise(&db, &path, args.exercise).await?;
    // The scenario travels as text, even one bundled in this build, so that the package
    // plays the same under any other build.
    let scenario = server::scenario_of(&exercise)?;
    let scenario_text = match &exercise.scenario_text {
        Some(text) => text.clone(),
        None => server::bundled_text(&exercise.scenario_path)?.to_owned(),
    };
    let mut dump = db
        .dump(exercise.id, !args.scenario_only, args.with_accounts)
        .await
        .map_err(|e| format!("{}: exercise {}: {e}", path.display(), exercise.id))?;
    dump.exercise.scenario_text = Some(scenario_text);
    let mut clock: Clock = serde_json::from_str(&dump.exercise.clock).map_err(|e| format!("the stored clock: {e}"))?;
    let mut note = String::new();
    if args.scenario_only {
        // Play starts again from the beginning, at the same speed.
        clock = Clock::new(scenario.duration.value.as_secs() * 1000, clock.speed).map_err(|e| e.0)?;
        dump.exercise.scoreboard = false;
        dump.exercise.report_released = false;
    } else {
        // A running clock travels paused where play stands: on another machine, at another
        // time, it is for the white cell there to start it again.
        let wall = clock_now();
        clock.settle(wall);
        if let State::Running { .. } = clock.state {
            let at = clock.now(wall);
            clock.state = State::Paused { at };
            note = format!(
                " (the clock was running; the package holds it paused after {} of play)",
                atoll_report::span(at)
            );
        }
    }
    dump.exercise.clock = serde_json::to_string(&clock).map_err(|e| e.to_string())?;
    let rows: usize = dump.record.iter().map(|t| t.rows.len()).sum();
    let accounts = dump.accounts.len();
    let contents = if args.scenario_only {
        Contents::Scenario
    } else {
        Contents::Exercise
    };
    let bytes = package::encode(&Package {
        contents,
        written_by: format!("atoll {}", env!("CARGO_PKG_VERSION")),
        dump,
    });
    std::fs::write(&args.out, &bytes).map_err(|e| format!("{}: {e}", args.out.display()))?;
    if args.with_accounts {
        // It holds password hashes, as the database does.
        server::make_private(&args.out);
    }
    let what = if args.scenario_only {
        "its scenario and settings".to_owned()
    } else {
        format!("the whole record of play ({rows} rows)")
    };
    let who = if args.with_accounts {
        "with their password hashes: keep the file as safe as the database"
    } else {
        "names, roles and teams only"
    };
    let _ = writeln!(
        std::io::stdout().lock(),
        "wrote {}: exercise {} «{}», {what}{note}; {accounts} accounts, {who}; {} bytes",
        args.out.display(),
        exercise.id,
        exercise.name,
        bytes.len()
    );
    Ok(())
}

async fn read(args: ImportArgs) -> Result<(), String> {
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| format!("{name}: {e}"))?;
    // Everything is checked before the database is opened: a refused package writes nothing.
    let package = package::decode(&name, &bytes)?;
    let scenario = package::scenario(&name, &package)?;
    let file = args.common.file()?;
    let Database::Sqlite(path) = args.common.database(&file)?;
    let db = server::open_private(&path).await?;
    let id = db
        .restore(&package.dump, clock_now())
        .await
        .map_err(|e| format!("{name}: {e}; nothing was imported"))?;
    let rows: usize = package.dump.record.iter().map(|t| t.rows.len()).sum();
    let without = package
        .dump
        .accounts
        .iter()
        .filter(|a| a.password_hash.is_none())
        .count();
    let _ = writeln!(
        std::io::stdout().lock(),
        "imported exercise {id} «{}» into {}: {} teams, {}{}",
        package.dump.exercise.name,
        path.display(),
        scenario.player_teams().count(),
        match package.contents {
            Contents::Scenario => "its scenario and settings, ready to play from the start".to_owned(),
            Contents::Exercise => format!("the whole record of play ({rows} rows)"),
        },
        if without > 0 {
            format!(
                "; {without} accounts came without passwords: those not here before cannot sign in until they \
                 get one (`atoll admin set-password USERNAME`)"
            )
        } else {
            String::new()
        }
    );
    Ok(())
}
