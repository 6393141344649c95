//! atoll's simulation: a deterministic world that emits real telemetry.
//!
//! A [`Simulation`] is a pure function of (scenario, seed, first date, actions, end time): it
//! builds each player team's world from the scenario ([`world`]), runs benign activity per
//! activity profile ([`benign`], [`catalog`]), the adversary's campaigns (steps come due, check
//! their conditions, change the world and leave events; [`campaign`]) and the team's actions
//! ([`actions`]), and writes every event as one JSON line with the real products' field
//! names, completed by [`fill`]. Nothing here reads the wall clock or an unseeded generator:
//! randomness comes from named streams of one seed ([`rng`]), so the same inputs give the
//! same bytes.

pub mod actions;
pub mod benign;
pub mod campaign;
pub mod catalog;
pub mod clock;
pub mod event;
pub mod fill;
pub mod items;
pub mod rng;
pub mod sim;
mod targets;
pub mod world;

pub use actions::{Action, ActionKind};
pub use items::{Arrival, How};
pub use sim::{Config, DEFAULT_DATE, Downtime, Simulation, StepOutcome, available_percent};
