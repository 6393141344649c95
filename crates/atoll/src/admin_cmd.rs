//! `atoll admin`: accounts and exercises in a server's database, from the command line (the
//! first instructor has no one to invite them).

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use atoll_app::accounts::{
    API_TOKEN_DAYS, API_TOKENS_MAX, api_token_name, check_new_password, check_username, hash_password, new_api_token,
    random_token, token_hash,
};
use atoll_app::clock_now;
use atoll_exercise::Clock;
use atoll_store::{NewExercise, Role, Sqlite, Store, StoreError};

use crate::config::{Common, Database};
use crate::server;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    /// Runs the exercise: clock, injects, grading.
    Instructor,
    /// Member of one team (`--team`).
    Player,
    /// Reads every team's pages (or those of `--follows`), changes nothing.
    Observer,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Create an account. The password is read from standard input with --password-stdin;
    /// otherwise a random one is made and printed once.
    CreateUser {
        /// Letters, digits, `.`, `_` and `-`, at most 64.
        username: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The player's team: a team id of the newest exercise's scenario.
        #[arg(long, value_name = "ID")]
        team: Option<String>,
        /// The teams an observer follows, comma-separated [default: every team].
        #[arg(long, value_name = "ID,…", value_delimiter = ',')]
        follows: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give an account a new password (an account imported without one has none), and end
    /// its sessions and API tokens. The password is read as for create-user.
    SetPassword {
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create an exercise from a scenario file (checked first, as `atoll validate` does). The
    /// scenario's text is stored with the exercise.
    CreateExercise {
        /// The scenario (YAML).
        scenario: PathBuf,
        /// Its name on every page [default: the scenario's title].
        #[arg(long)]
        name: Option<String>,
        /// Seed of the simulated worlds: the same seed gives the same telemetry.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Day 1 of the exercise, YYYY-MM-DD [default: 2026-06-01].
        #[arg(long, value_name = "DATE")]
        date: Option<jiff::civil::Date>,
        /// Exercise seconds per real second.
        #[arg(long, default_value_t = 1)]
        speed: u32,
        /// Start the clock now (otherwise an instructor starts it from the board).
        #[arg(long)]
        start: bool,
    },
    /// Make a personal API token for an account, for scripts that drive the exercise through
    /// the JSON API (/api/v1); printed once. Users make their own on their account page.
    CreateToken {
        /// The account the token acts as, with its rights.
        username: String,
        /// What the token is for, to know it by on the account page.
        #[arg(long)]
        name: String,
        /// How long it works: 1, 7, 30 or 90 days.
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
    /// List the exercises and the accounts.
    List,
}

pub(crate) fn run(args: Args) -> ExitCode {
    server::run_async(admin(args))
}

async fn admin(args: Args) -> Result<(), String> {
    let file = args.common.file()?;
    let Database::Sqlite(path) = args.common.database(&file)?;
    let db = server::open_private(&path).await?;
    match args.command {
        Command::CreateUser {
            username,
            role,
            team,
            follows,
            password_stdin,
        } => create_user(&db, &username, role, team, follows, password_stdin).await,
        Command::CreateExercise {
            scenario,
            name,
            seed,
            date,
            speed,
            start,
        } => create_exercise(&db, &scenario, name, seed, date, speed, start).await,
        Command::SetPassword {
            username,
            password_stdin,
        } => set_password(&db, &username, password_stdin).await,
        Command::CreateToken { username, name, days } => create_token(&db, &username, &name, days).await,
        Command::List => list(&db).await,
    }
}

async fn create_token(db: &Sqlite, username: &str, name: &str, days: i64) -> Result<(), String> {
    if !API_TOKEN_DAYS.contains(&days) {
        return Err(format!("--days: choose 1, 7, 30 or 90, not {days}"));
    }
    let name = api_token_name(name).ok_or("--name: give the token a name of at most 100 characters")?;
    let (user, _) = db
        .user_by_name(username)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no account `{username}` (`atoll admin list` lists them)"))?;
    if db.tokens(user.id).await.map_err(|e| e.to_string())?.len() >= API_TOKENS_MAX {
        return Err(format!(
            "{username} has {API_TOKENS_MAX} API tokens already; revoke one on their account page first"
        ));
    }
    let token = new_api_token();
    let now = clock_now();
    db.create_token(user.id, name, &token_hash(&token), now, now + days * 86_400_000)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "created API token «{name}» for {username}, valid {days} days");
    let _ = writeln!(out, "token (shown once): {token}");
    Ok(())
}

async fn create_user(
    db: &Sqlite,
    username: &str,
    role: RoleArg,
    team: Option<String>,
    follows: Vec<String>,
    password_stdin: bool,
) -> Result<(), String> {
    check_username(username)?;
    let role = match role {
        RoleArg::Instructor => Role::Instructor,
        RoleArg::Player => Role::Player,
        RoleArg::Observer => Role::Observer,
    };
    match (role, &team) {
        (Role::Player, None) => return Err("--team: a player belongs to one team".into()),
        (Role::Player, Some(team)) => check_team(db, team, "--team").await?,
        (_, Some(_)) => {
            return Err(format!(
                "--team: only players belong to a team; a{} {} sees every team{}",
                if role == Role::Instructor { "n" } else { "" },
                role.as_str(),
                if role == Role::Observer {
                    " (or those of --follows)"
                } else {
                    ""
                }
            ));
        }
        (_, None) => {}
    }
    if !follows.is_empty() && role != Role::Observer {
        return Err("--follows: only observers follow chosen teams".into());
    }
    for team in &follows {
        check_team(db, team, "--follows").await?;
    }
    let (hash, made) = new_password(username, password_stdin).await?;
    let user = db
        .create_user(username, &hash, role, team.as_deref(), clock_now())
        .await
        .map_err(|e| match e {
            StoreError::Taken(name) => format!("username `{name}` is taken"),
            e => e.to_string(),
        })?;
    if !follows.is_empty() {
        db.set_follows(user.id, &follows).await.map_err(|e| e.to_string())?;
    }
    let mut out = std::io::stdout().lock();
    let team = match (team, follows.is_empty()) {
        (Some(t), _) => format!(" of team {t}"),
        (None, false) => format!(" following {}", follows.join(", ")),
        (None, true) => String::new(),
    };
    let _ = writeln!(
        out,
        "created {} {}{team} (account {})",
        role.as_str(),
        user.username,
        user.id
    );
    if let Some(password) = made {
        let _ = writeln!(out, "password (shown once): {password}");
    }
    Ok(())
}

/// A new password for `username`, read from standard input or made at random, and its hash;
/// the password is given back when it was made (to be printed once).
async fn new_password(username: &str, password_stdin: bool) -> Result<(String, Option<String>), String> {
    let (password, made) = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("reading the password from standard input: {e}"))?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        check_new_password(&password, username).map_err(|e| format!("{e} (read from standard input)"))?;
        (password, false)
    } else {
        (random_token(9), true)
    };
    let (hash, password) = tokio::task::spawn_blocking(move || hash_password(&password).map(|h| (h, password)))
        .await
        .map_err(|e| e.to_string())??;
    Ok((hash, made.then_some(password)))
}

async fn set_password(db: &Sqlite, username: &str, password_stdin: bool) -> Result<(), String> {
    let (user, _) = db
        .user_by_name(username)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no account `{username}` (`atoll admin list` lists them)"))?;
    let (hash, made) = new_password(username, password_stdin).await?;
    db.set_password(user.id, &hash).await.map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "new password for {username}; their sessions and API tokens have ended"
    );
    if let Some(password) = made {
        let _ = writeln!(out, "password (shown once): {password}");
    }
    Ok(())
}

/// A player's team, or a team an observer follows, must be a player team of the newest
/// exercise. `flag` names the option in messages.
async fn check_team(db: &Sqlite, team: &str, flag: &str) -> Result<(), String> {
    let exercise = db
        .exercises()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .next_back()
        .ok_or_else(|| {
            format!("{flag}: create the exercise first (`atoll admin create-exercise`), so that its teams are known")
        })?;
    let scenario = server::scenario_of(&exercise)?;
    let teams: Vec<&str> = scenario.player_teams().map(|t| t.id.name.as_str()).collect();
    if teams.contains(&team) {
        Ok(())
    } else {
        Err(format!(
            "{flag}: `{team}` is not a team of exercise {} «{}»; its teams are {}",
            exercise.id,
            exercise.name,
            teams.join(", ")
        ))
    }
}

async fn create_exercise(
    db: &Sqlite,
    path: &std::path::Path,
    name: Option<String>,
    seed: u64,
    date: Option<jiff::civil::Date>,
    speed: u32,
    start: bool,
) -> Result<(), String> {
    let shown = path.display().to_string();
    // The text stored is the text checked: the file is read once.
    let (scenario, text) = atoll_scenario::load_file_and_text(path).map_err(|failed| {
        let n = failed.diagnostics.len();
        format!(
            "{}{shown}: {n} problem{}; nothing was created",
            failed.render(&shown),
            if n == 1 { "" } else { "s" }
        )
    })?;
    let end = scenario.duration.value.as_secs() * 1000;
    let mut clock = Clock::new(end, speed).map_err(|e| format!("--speed: {}", e.0))?;
    if start {
        clock.start(clock_now()).map_err(|e| e.0)?;
    }
    let clock_text = serde_json::to_string(&clock).map_err(|e| e.to_string())?;
    let name = name.unwrap_or_else(|| scenario.title.get("en").to_owned());
    let date = date.unwrap_or(atoll_sim::DEFAULT_DATE).to_string();
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let scenario_path = absolute.display().to_string();
    let new = NewExercise {
        name: &name,
        scenario_path: &scenario_path,
        scenario_text: Some(&text),
        seed,
        date: &date,
        clock: &clock_text,
    };
    let exercise = db.create_exercise(&new, clock_now()).await.map_err(|e| e.to_string())?;
    let teams: Vec<&str> = scenario.player_teams().map(|t| t.id.name.as_str()).collect();
    let _ = writeln!(
        std::io::stdout().lock(),
        "created exercise {} «{}»: {} teams ({}), seed {seed}, day 1 {date}, {speed}× speed, clock {}",
        exercise.id,
        exercise.name,
        teams.len(),
        teams.join(", "),
        if start { "running" } else { "not started" }
    );
    Ok(())
}

async fn list(db: &Sqlite) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    let exercises = db.exercises().await.map_err(|e| e.to_string())?;
    let _ = writeln!(out, "exercises: {}", exercises.len());
    for e in &exercises {
        let _ = writeln!(
            out,
            "  {:>3}  {}  (seed {}, day 1 {}, {})",
            e.id, e.name, e.seed, e.date, e.scenario_path
        );
    }
    let users = db.users().await.map_err(|e| e.to_string())?;
    let _ = writeln!(out, "accounts: {}", users.len());
    for u in &users {
        let _ = writeln!(
            out,
            "  {:<24} {:<10} {}",
            u.username,
            u.role.as_str(),
            match (&u.team, u.role) {
                (Some(team), _) => team.clone(),
                (None, Role::Observer) if u.follows.is_empty() => "every team".to_owned(),
                (None, Role::Observer) => format!("follows {}", u.follows.join(", ")),
                (None, _) => "-".to_owned(),
            }
        );
    }
    Ok(())
}
