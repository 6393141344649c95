//! What `atoll demo` and `atoll serve` share: the bundled scenario and rules, turning a stored
//! exercise into a running [`App`], and serving it.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use atoll_exercise::{Clock, Setup};
use atoll_scenario::Scenario;
use atoll_sigma::{Config, Correlation, RuleSet};
use atoll_store::{Exercise, Sqlite, Store};
use atoll_web::{App, Live};

/// The bundled scenario, inside the binary, and the name exercises store for it.
pub(crate) const SCENARIO: &str = include_str!("../../../scenarios/pacific-cable-shield.yaml");
pub(crate) const BUNDLED: &str = "bundled:pacific-cable-shield";

/// atoll's own rules, inside the binary.
pub(crate) const RULES: &[(&str, &str)] = &[
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

/// atoll's own rules, and those under `extra`; files under `extra` that do not load are
/// reported on standard error and skipped.
pub(crate) fn rules(extra: &[PathBuf]) -> Result<(RuleSet, Vec<Correlation>), String> {
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

/// The bundled scenario.
pub(crate) fn bundled_scenario() -> Result<Scenario, String> {
    atoll_scenario::load_str(SCENARIO, None)
        .map_err(|d| format!("the bundled scenario does not load ({} problems)", d.len()))
}

/// The scenario an exercise runs: its stored text, or the bundled one.
pub(crate) fn scenario_of(exercise: &Exercise) -> Result<Scenario, String> {
    match &exercise.scenario_text {
        Some(text) => atoll_scenario::load_str(text, None).map_err(|problems| {
            let first = problems.first().map(|d| d.render(&exercise.scenario_path, Some(text)));
            format!(
                "the scenario stored with exercise {} no longer loads ({} problems); first: {}",
                exercise.id,
                problems.len(),
                first.unwrap_or_default().trim_end()
            )
        }),
        None if exercise.scenario_path == BUNDLED => bundled_scenario(),
        None => Err(format!(
            "exercise {} names scenario `{}`, which this build does not bundle",
            exercise.id, exercise.scenario_path
        )),
    }
}

/// A stored exercise, running: every team's world rebuilt and every stored action taken again,
/// so that each world is where its team left it.
pub(crate) async fn start(db: Sqlite, exercise: &Exercise, rules: &[PathBuf]) -> Result<Arc<App<Sqlite>>, String> {
    let scenario: &'static Scenario = Box::leak(Box::new(scenario_of(exercise)?));
    let (set, correlations) = self::rules(rules)?;
    let set: &'static RuleSet = Box::leak(Box::new(set));
    let clock: Clock = serde_json::from_str(&exercise.clock).map_err(|e| format!("the stored clock: {e}"))?;
    let day_one: jiff::civil::Date = exercise.date.parse().map_err(|e| format!("the stored date: {e}"))?;
    let setup = Setup {
        seed: exercise.seed,
        date: day_one,
        end: scenario.duration.value.as_secs() * 1000,
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
    let actions = db.actions(exercise.id).await.map_err(|e| e.to_string())?;
    live.replay(&actions)?;
    let team_rules = db.team_rules(exercise.id, None).await.map_err(|e| e.to_string())?;
    for problem in live.replay_rules(&team_rules) {
        // Not fatal: the exercise goes on without that rule, and the rule stays stored.
        eprintln!("atoll: warning: {problem}");
    }
    Ok(Arc::new(App::new(db, live, day_one)))
}

/// Listens on `bind` and returns the listener with the address it got (port 0 picks one).
pub(crate) async fn listen(bind: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), String> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let address = listener.local_addr().unwrap_or(bind);
    Ok((listener, address))
}

/// Runs the clock and serves the app until the process stops.
pub(crate) async fn serve(listener: tokio::net::TcpListener, app: Arc<App<Sqlite>>) -> Result<(), String> {
    tokio::spawn(atoll_web::run_clock(app.clone()));
    let service = atoll_web::router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).await.map_err(|e| e.to_string())
}

/// Opens (creating if needed) a SQLite database readable only by its owner: it holds
/// password hashes and session digests.
pub(crate) async fn open_private(path: &Path) -> Result<Sqlite, String> {
    let db = Sqlite::open(path)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for suffix in ["", "-wal", "-shm"] {
        make_private(&path.with_file_name(format!("{name}{suffix}")));
    }
    Ok(db)
}

/// Makes an existing file readable by its owner only.
pub(crate) fn make_private(path: &Path) {
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

/// Runs an async command on a multi-threaded runtime and turns its result into an exit code,
/// printing the error.
pub(crate) fn run_async(work: impl Future<Output = Result<(), String>>) -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(work) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every rule under `rules/` is inside the binary: a rule added there and not here would
    /// silently be missing from the demo and the server.
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
