//! `atoll demo`: the bundled scenario running on embedded SQLite, with demo accounts.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use atoll_exercise::{Clock, Setup};
use atoll_scenario::Scenario;
use atoll_sigma::{Config, Correlation, RuleSet};
use atoll_store::{Role, Sqlite, Store};
use atoll_web::auth::{hash_password, random_token};
use atoll_web::{App, Live, clock_now};

/// The bundled scenario and atoll's own rules, inside the binary.
const SCENARIO: &str = include_str!("../../../scenarios/pacific-cable-shield.yaml");
const RULES: &[(&str, &str)] = &[
    (
        "email_archive_from_unauthenticated_sender.yml",
        include_str!("../../../rules/email/email_archive_from_unauthenticated_sender.yml"),
    ),
    (
        "email_forward_to_personal_webmail.yml",
        include_str!("../../../rules/email/email_forward_to_personal_webmail.yml"),
    ),
    (
        "cisco_aaa_boot_image_changed.yml",
        include_str!("../../../rules/network/cisco/cisco_aaa_boot_image_changed.yml"),
    ),
    (
        "cisco_aaa_ios_image_copied_from_remote.yml",
        include_str!("../../../rules/network/cisco/cisco_aaa_ios_image_copied_from_remote.yml"),
    ),
    (
        "cisco_aaa_reload_command.yml",
        include_str!("../../../rules/network/cisco/cisco_aaa_reload_command.yml"),
    ),
    (
        "syslog_cisco_reload_from_vty.yml",
        include_str!("../../../rules/network/cisco/syslog_cisco_reload_from_vty.yml"),
    ),
    (
        "net_firewall_web_beaconing.yml",
        include_str!("../../../rules/network/firewall/net_firewall_web_beaconing.yml"),
    ),
    (
        "net_firewall_web_session_to_external.yml",
        include_str!("../../../rules/network/firewall/net_firewall_web_session_to_external.yml"),
    ),
    (
        "netflow_small_tls_flow_to_external.yml",
        include_str!("../../../rules/network/netflow/netflow_small_tls_flow_to_external.yml"),
    ),
    (
        "netflow_tls_beaconing.yml",
        include_str!("../../../rules/network/netflow/netflow_tls_beaconing.yml"),
    ),
    (
        "web_aspnet_client_script_upload.yml",
        include_str!("../../../rules/web/web_aspnet_client_script_upload.yml"),
    ),
    (
        "proc_creation_win_service_binary_from_admin_share.yml",
        include_str!("../../../rules/windows/process_creation/proc_creation_win_service_binary_from_admin_share.yml"),
    ),
];

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
    /// More Sigma rule files or folders for alerts (a SigmaHQ checkout, say), besides
    /// atoll's own rules.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Account {
    role: String,
    team: Option<String>,
    username: String,
    password: String,
}

fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("atoll")
}

pub(crate) fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(demo(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// atoll's own rules, and those under `extra`.
fn rules(extra: &[PathBuf]) -> Result<(RuleSet, Vec<Correlation>), String> {
    let config = Config::default();
    let (mut rules, mut correlations) = (Vec::new(), Vec::new());
    for (name, text) in RULES {
        let (r, c) = atoll_sigma::load_str(text, &config).map_err(|e| format!("bundled rule {name}: {e:?}"))?;
        rules.extend(r);
        correlations.extend(c);
    }
    if !extra.is_empty() {
        let loaded = atoll_sigma::load(extra, &config);
        for e in &loaded.errors {
            let _ = writeln!(std::io::stderr(), "{e} (skipped)");
        }
        rules.extend(loaded.rules);
        correlations.extend(loaded.correlations);
    }
    Ok((RuleSet::new(rules), correlations))
}

async fn demo(args: Args) -> Result<(), String> {
    let dir = args.data.clone().unwrap_or_else(default_data_dir);
    create_private_dir(&dir)?;
    let db = Sqlite::open(&dir.join("atoll.db")).await.map_err(|e| e.to_string())?;
    // The database holds password hashes and session digests: for its owner only.
    for name in ["atoll.db", "atoll.db-wal", "atoll.db-shm"] {
        make_private(&dir.join(name));
    }
    let scenario: &'static Scenario =
        Box::leak(Box::new(atoll_scenario::load_str(SCENARIO, None).map_err(|d| {
            format!("the bundled scenario does not load ({} problems)", d.len())
        })?));
    let (set, correlations) = rules(&args.rules)?;
    let set: &'static RuleSet = Box::leak(Box::new(set));

    let accounts_file = dir.join("demo-accounts.json");
    let created = ensure_accounts(&db, scenario, &accounts_file).await?;
    let end = scenario.duration.value.as_secs() * 1000;
    let exercise = match db.exercises().await.map_err(|e| e.to_string())?.into_iter().next() {
        Some(e) => e,
        None => {
            let mut clock = Clock::new(end, args.speed).map_err(|e| e.0)?;
            clock.start(clock_now()).map_err(|e| e.0)?;
            let text = serde_json::to_string(&clock).map_err(|e| e.to_string())?;
            let date = atoll_sim::DEFAULT_DATE.to_string();
            db.create_exercise(
                &format!("{} (demo)", scenario.title.get("en")),
                "bundled:pacific-cable-shield",
                1,
                &date,
                &text,
                clock_now(),
            )
            .await
            .map_err(|e| e.to_string())?
        }
    };
    let clock: Clock = serde_json::from_str(&exercise.clock).map_err(|e| format!("the stored clock: {e}"))?;
    let day_one: jiff::civil::Date = exercise.date.parse().map_err(|e| format!("the stored date: {e}"))?;
    let setup = Setup {
        seed: exercise.seed,
        date: day_one,
        end,
    };
    let live = Live::new(
        exercise.id,
        exercise.name.clone(),
        scenario,
        &setup,
        clock,
        set,
        &correlations,
    )?;
    // Every action teams took, again, so that their worlds are where they left them.
    let actions = db.actions(exercise.id).await.map_err(|e| e.to_string())?;
    live.replay(&actions)?;
    let app = Arc::new(App::new(db, live, day_one));
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;

    let address = listener.local_addr().unwrap_or(args.bind);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "atoll demo: {} — open http://{address}/", exercise.name);
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

    tokio::spawn(atoll_web::run_clock(app.clone()));
    let service = atoll_web::router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).await.map_err(|e| e.to_string())
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

/// Makes an existing file readable by its owner only.
fn make_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if path.exists() {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
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

#[cfg(test)]
mod tests {
    /// Every rule under `rules/` is inside the binary: a rule added there and not here would
    /// silently be missing from the demo.
    #[test]
    fn every_rule_file_is_bundled() {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                    out.push(path.file_name().unwrap().to_string_lossy().into_owned());
                }
            }
        }
        let mut on_disk = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"),
            &mut on_disk,
        );
        on_disk.sort();
        let mut bundled: Vec<String> = super::RULES.iter().map(|(name, _)| (*name).to_owned()).collect();
        bundled.sort();
        assert_eq!(bundled, on_disk);
        // Every file loads (`rules` fails on any that does not), as rules and correlations.
        let (set, correlations) = super::rules(&[]).unwrap();
        assert!(
            set.len() + correlations.len() >= on_disk.len(),
            "{} rules, {} correlations",
            set.len(),
            correlations.len()
        );
    }
}
