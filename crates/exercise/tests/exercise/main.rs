//! The exercise runtime end to end, in one test binary: a team's world driven by the clock
//! (and every kind of condition, live and replayed), and scoring on the bundled scenario.

mod runtime;
mod score;

use std::path::{Path, PathBuf};

use atoll_scenario::Scenario;

/// The project's root (the clone).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled scenario.
fn scenario() -> Scenario {
    atoll_scenario::load_file(&root().join("scenarios/pacific-cable-shield.yaml"))
        .unwrap_or_else(|p| panic!("{}", p.render("scenario")))
}
