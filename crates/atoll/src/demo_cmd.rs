//! `atoll demo`: a bundled scenario running on embedded SQLite, with demo accounts.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use atoll_app::accounts::{hash_password, random_token};
use atoll_app::clock_now;
use atoll_exercise::Clock;
use atoll_scenario::Scenario;
use atoll_store::{NewExercise, Role, Sqlite, Store};

use crate::config::{File, Reach};
use crate::server;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Folder for the database and the demo accounts (default: atoll in your data folder,
    /// e.g. ~/.local/share/atoll). Running the demo again continues from what is there.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Exercise seconds per real second when the demo exercise is created.
    #[arg(long, default_value_t = 40)]
    speed: u32,
    /// Create the demo exercise with its clock stopped at the start of play, for the white
    /// cell to start it from the board (after a briefing, say). Has no effect once the
    /// exercise exists.
    #[arg(long)]
    paused: bool,
    /// Which bundled scenario the demo exercise runs: `pacific-cable-shield` (five Pacific
    /// nations, cable landing stations, four campaigns; the default) or `harbour-lights` (three
    /// Indian Ocean nations, ports, power and health, two campaigns). Used when the exercise is
    /// created; a data folder that already holds an exercise of another scenario is refused.
    #[arg(long, value_name = "NAME", value_parser = scenario_names())]
    scenario: Option<String>,
    /// More Sigma rule files or folders, added to the rule pack inside the binary (SigmaHQ's
    /// and atoll's rules) and chosen like it by the scenario's `detection:` section.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    #[command(flatten)]
    reach: Reach,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Account {
    role: String,
    team: Option<String>,
    username: String,
    password: String,
}

fn scenario_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(server::SCENARIOS.iter().map(|(name, _)| *name))
}

fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("atoll")
}

pub(crate) fn run(args: Args) -> ExitCode {
    server::run_async(demo(args))
}

async fn demo(args: Args) -> Result<(), String> {
    let dir = args.data.clone().unwrap_or_else(default_data_dir);
    create_private_dir(&dir)?;
    let db = server::open_private(&dir.join("atoll.db")).await?;
    let existing = db.exercises().await.map_err(|e| e.to_string())?.into_iter().next();
    let name = match (&existing, &args.scenario) {
        (Some(e), Some(wanted)) if e.scenario_path != format!("{}{wanted}", server::BUNDLED) => {
            return Err(format!(
                "{} already holds the exercise \"{}\" ({}); to run {wanted}, give another folder with --data, or delete this one",
                dir.display(),
                e.name,
                e.scenario_path
            ));
        }
        (Some(e), _) => e
            .scenario_path
            .strip_prefix(server::BUNDLED)
            .unwrap_or(server::SCENARIOS[0].0)
            .to_owned(),
        (None, wanted) => wanted.clone().unwrap_or_else(|| server::SCENARIOS[0].0.to_owned()),
    };
    let scenario = server::bundled(&name)?;
    let accounts_file = dir.join("demo-accounts.json");
    let created = ensure_accounts(&db, &scenario, &accounts_file).await?;
    let exercise = match existing {
        Some(e) => e,
        None => {
            let end = scenario.duration.value.as_secs() * 1000;
            let mut clock = Clock::new(end, args.speed).map_err(|e| e.0)?;
            if !args.paused {
                clock.start(clock_now()).map_err(|e| e.0)?;
            }
            let text = serde_json::to_string(&clock).map_err(|e| e.to_string())?;
            let date = atoll_sim::DEFAULT_DATE.to_string();
            let path = format!("{}{name}", server::BUNDLED);
            let name = format!("{} (demo)", scenario.title.get("en"));
            let new = NewExercise {
                name: &name,
                scenario_path: &path,
                scenario_text: None,
                seed: 1,
                date: &date,
                clock: &text,
            };
            db.create_exercise(&new, clock_now()).await.map_err(|e| e.to_string())?
        }
    };
    let app = server::start(db, &exercise, &args.rules).await?;
    let (listener, address) = server::listen(args.bind).await?;
    let site = args.reach.site(&File::default(), address.ip());
    let mut out = std::io::stdout().lock();
    let open = site
        .public()
        .map_or_else(|| format!("http://{address}"), |p| p.origin().to_owned());
    let _ = writeln!(out, "atoll demo: {} — open {open}/", exercise.name);
    let _ = writeln!(
        out,
        "data: {} (run `atoll demo` again to continue; delete the folder to start over)",
        dir.display()
    );
    match created {
        // Passwords are shown once, when they are made; afterwards they are only in the file.
        Some(accounts) => {
            let _ = writeln!(
                out,
                "accounts (also in {}, readable only by you):",
                accounts_file.display()
            );
            for a in &accounts {
                let _ = writeln!(
                    out,
                    "  {:<11} {:<18} {:<20} {}",
                    a.role,
                    a.team.as_deref().unwrap_or("-"),
                    a.username,
                    a.password
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "accounts: usernames and passwords are in {}",
                accounts_file.display()
            );
        }
    }
    let _ = writeln!(out, "Ctrl+C stops the server; the exercise clock keeps its time.");
    let _ = out.flush();
    drop(out);

    server::serve(listener, app, site).await
}

/// The demo accounts: read from the accounts file, or made (random passwords) and written there
/// first; then any that the database lacks are created, so that a start interrupted half-way
/// finishes the job. Returns the accounts when they were made by this call.
async fn ensure_accounts(db: &Sqlite, scenario: &Scenario, file: &Path) -> Result<Option<Vec<Account>>, String> {
    let (accounts, created) = match std::fs::read_to_string(file) {
        Ok(text) => (
            serde_json::from_str::<Vec<Account>>(&text).map_err(|e| format!("{}: {e}", file.display()))?,
            false,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !db.users().await.map_err(|e| e.to_string())?.is_empty() {
                return Err(format!(
                    "{} is missing but the database has accounts; delete the data folder to start over",
                    file.display()
                ));
            }
            let accounts = new_accounts(scenario);
            write_private(
                file,
                &serde_json::to_string_pretty(&accounts).map_err(|e| e.to_string())?,
            )?;
            (accounts, true)
        }
        Err(e) => return Err(format!("{}: {e}", file.display())),
    };
    let existing: Vec<String> = db
        .users()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|u| u.username)
        .collect();
    for a in accounts.iter().filter(|a| !existing.contains(&a.username)) {
        let role = Role::parse(&a.role).ok_or_else(|| format!("{}: role `{}`", file.display(), a.role))?;
        let password = a.password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| e.to_string())??;
        db.create_user(&a.username, &hash, role, a.team.as_deref(), clock_now())
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(created.then_some(accounts))
}

/// One instructor, one observer and two players per team, each with a random password.
fn new_accounts(scenario: &Scenario) -> Vec<Account> {
    let account = |role: Role, team: Option<String>, username: String| Account {
        role: role.as_str().into(),
        team,
        username,
        password: random_token(8),
    };
    let mut accounts = vec![
        account(Role::Instructor, None, "instructor".into()),
        account(Role::Observer, None, "observer".into()),
    ];
    for team in scenario.player_teams() {
        for n in 1..=2 {
            accounts.push(account(
                Role::Player,
                Some(team.id.name.clone()),
                format!("{}-{n}", team.id.name),
            ));
        }
    }
    accounts
}

/// Creates the data folder for its owner only.
fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Writes a file only its owner can read (it holds passwords).
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    // A new file: never through a link someone left in its place.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}
