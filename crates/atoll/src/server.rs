//! What `atoll demo` and `atoll serve` share: the bundled scenario and rules, turning a stored
//! exercise into a running [`App`], and serving it.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use atoll_app::{App, Live};
use atoll_exercise::{Clock, Setup};
use atoll_rules::{Catalog, Selected, Selection};
use atoll_scenario::Scenario;
use atoll_sigma::RuleSet;
use atoll_store::{Exercise, Sqlite, Store};
use atoll_web::Site;

/// The scenarios inside the binary, by name; the first is the default. An exercise made from
/// one stores `bundled:NAME` as its scenario path, and no text.
pub(crate) const SCENARIOS: &[(&str, &str)] = &[
    (
        "pacific-cable-shield",
        include_str!("../../../scenarios/pacific-cable-shield.yaml"),
    ),
    ("harbour-lights", include_str!("../../../scenarios/harbour-lights.yaml")),
];

/// The prefix of a bundled scenario's stored path.
pub(crate) const BUNDLED: &str = "bundled:";

/// The rule pack inside the binary and any folders under `extra`, with the scenario's choice
/// of the rules that raise alerts (its `detection:` section, else the defaults). Files under
/// `extra` that do not load are reported on standard error and skipped (the pack's own files
/// all load: tested).
pub(crate) fn rules(extra: &[PathBuf], scenario: &Scenario) -> Result<(Catalog, Selected), String> {
    let catalog = Catalog::load(extra);
    for e in &catalog.errors {
        if extra.iter().any(|p| e.file.starts_with(p)) {
            let _ = writeln!(std::io::stderr(), "{e} (skipped)");
        }
    }
    let selected = catalog.select(&selection(scenario));
    Ok((catalog, selected))
}

/// The scenario's choice of rules (`detection:`), over the defaults.
pub(crate) fn selection(scenario: &Scenario) -> Selection {
    let mut selection = Selection::default();
    if let Some(d) = &scenario.detection {
        if let Some(level) = d.min_level {
            selection.min_level = atoll_sigma::Level::parse(level.as_str()).unwrap_or(selection.min_level);
        }
        if !d.status.is_empty() {
            selection.statuses = d.status.iter().map(|s| s.as_str().to_owned()).collect();
        }
        selection.products.clone_from(&d.products);
        selection.on.clone_from(&d.on);
        selection.off.clone_from(&d.off);
    }
    selection
}

/// The scenario in the file at `path`, or the bundled one; the error is what to print
/// (every problem with its place, or why the bundled one did not load).
pub(crate) fn scenario_or_bundled(path: Option<&Path>) -> Result<Scenario, String> {
    match path {
        Some(path) => atoll_scenario::load_file(path).map_err(|problems| problems.render(&path.display().to_string())),
        None => bundled_scenario().map_err(|e| format!("error: {e}\n")),
    }
}

/// The default bundled scenario.
pub(crate) fn bundled_scenario() -> Result<Scenario, String> {
    bundled(SCENARIOS[0].0)
}

/// The bundled scenario of this name.
pub(crate) fn bundled(name: &str) -> Result<Scenario, String> {
    let Some((_, text)) = SCENARIOS.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = SCENARIOS.iter().map(|(n, _)| *n).collect();
        return Err(format!(
            "no bundled scenario `{name}`; this build bundles {}",
            names.join(", ")
        ));
    };
    atoll_scenario::load_str(text, None)
        .map_err(|d| format!("the bundled scenario {name} does not load ({} problems)", d.len()))
}

/// The text of the bundled scenario a stored path names (`bundled:NAME`).
pub(crate) fn bundled_text(path: &str) -> Result<&'static str, String> {
    path.strip_prefix(BUNDLED)
        .and_then(|name| SCENARIOS.iter().find(|(n, _)| *n == name))
        .map(|(_, text)| *text)
        .ok_or_else(|| format!("scenario `{path}` is not bundled in this build"))
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
        None if exercise.scenario_path.starts_with(BUNDLED) => bundled(&exercise.scenario_path[BUNDLED.len()..]),
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
    let (catalog, selected) = self::rules(rules, scenario)?;
    let catalog: &'static Catalog = Box::leak(Box::new(catalog));
    let selected: &'static Selected = Box::leak(Box::new(selected));
    let set: &'static RuleSet = &selected.set;
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
        &selected.correlations,
    )?
    .with_detection(catalog, selected);
    let actions = db.actions(exercise.id).await.map_err(|e| e.to_string())?;
    live.replay(&actions)?;
    let detections = db.detections(exercise.id).await.map_err(|e| e.to_string())?;
    let sent = db.inject_sends(exercise.id).await.map_err(|e| e.to_string())?;
    let answered: Vec<(String, String, u64)> = db
        .submissions(exercise.id, None)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|s| s.kind == atoll_store::Kind::Answer)
        .map(|s| (s.team, s.subject, s.at))
        .collect();
    live.replay_facts(&detections, &sent, &answered)?;
    let switches = db.rule_switches(exercise.id).await.map_err(|e| e.to_string())?;
    for problem in live.replay_switches(&switches) {
        // Not fatal: the rule keeps the scenario's choice.
        eprintln!("atoll: warning: a stored rule switch: {problem}");
    }
    let team_rules = db.team_rules(exercise.id, None).await.map_err(|e| e.to_string())?;
    for problem in live.replay_rules(&team_rules) {
        // Not fatal: the exercise goes on without that rule, and the rule stays stored.
        eprintln!("atoll: warning: {problem}");
    }
    // Every page's navigation links the scoreboard while the teams see it.
    live.set_scoreboard_shown(db.scoreboard_shown(exercise.id).await.unwrap_or(false));
    live.set_report_released(db.report_released(exercise.id).await.unwrap_or(false));
    Ok(Arc::new(App::new(db, live)))
}

/// Exercise `id` of the database at `path`, or its newest; the error says how to find or make
/// one.
pub(crate) async fn pick_exercise(db: &Sqlite, path: &Path, id: Option<i64>) -> Result<Exercise, String> {
    let exercises = db.exercises().await.map_err(|e| e.to_string())?;
    match id {
        Some(id) => exercises.into_iter().find(|e| e.id == id).ok_or(format!(
            "{}: no exercise {id}; `atoll admin list` shows them",
            path.display()
        )),
        None => exercises.into_iter().next_back().ok_or(format!(
            "{}: no exercise yet; create one with `atoll admin create-exercise SCENARIO --database sqlite://{}`",
            path.display(),
            path.display()
        )),
    }
}

/// Listens on `bind` and returns the listener with the address it got (port 0 picks one).
pub(crate) async fn listen(bind: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), String> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let address = listener.local_addr().unwrap_or(bind);
    Ok((listener, address))
}

/// Runs the clock and serves the app, reached as `site` says, until the process stops. The teams' worlds, which
/// [`start`] left at the start of play with the record queued in them, are rebuilt up to the
/// clock in the background, on every core: the server answers at once, and a team's actions
/// wait for a slice of its rebuild at most ([`atoll_app::Live::rebuild`]).
pub(crate) async fn serve(listener: tokio::net::TcpListener, app: Arc<App<Sqlite>>, site: Site) -> Result<(), String> {
    app.live.begin_rebuild();
    let builder = app.clone();
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    tokio::task::spawn_blocking(move || builder.live.rebuild(workers));
    tokio::spawn(atoll_app::run_clock(app.clone()));
    crate::conn::serve(listener, atoll_web::router(app, site.clone()), &site).await
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
    /// The bundled scenario's rules load and its selection keeps a workable set: the
    /// SigmaHQ pack at medium or above with atoll's own rules, and the low-level firewall
    /// rule that drowned the queue off.
    #[test]
    fn the_bundled_pack_loads_and_is_selected() {
        let scenario = super::bundled_scenario().unwrap();
        let (catalog, selected) = super::rules(&[], &scenario).unwrap();
        assert!(catalog.errors.is_empty(), "{:?}", catalog.errors);
        let on = selected.decisions.iter().filter(|d| d.on).count();
        assert!(
            on > 1000 && on < catalog.rules().len(),
            "{on} of {}",
            catalog.rules().len()
        );
        let cleartext = catalog
            .rules()
            .iter()
            .position(|r| r.title == "Cleartext Protocol Usage")
            .unwrap();
        assert!(!selected.decisions[cleartext].on);
        assert_eq!(selected.decisions[cleartext].why, "level low is below medium");
        let webshell = catalog
            .rules()
            .iter()
            .position(|r| r.title.contains("aspnet_client"))
            .unwrap();
        assert!(selected.decisions[webshell].on, "{:?}", selected.decisions[webshell]);
    }
}
