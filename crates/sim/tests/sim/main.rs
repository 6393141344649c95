//! The simulation end to end, in one test binary: its contract (determinism, actions that
//! change only the future) and the realism of a simulated day against real Sigma rules.

mod fidelity;
mod realism;
mod simulate;
