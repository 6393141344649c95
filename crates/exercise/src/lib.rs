//! atoll's exercise runtime, without HTTP or SQL:
//!
//! - [`clock::Clock`] — exercise time from wall time, with start, pause, resume, speed, jumps
//!   and the end of play; a small serialisable value;
//! - [`team::TeamRuntime`] — one team's world driven to the clock's time: the simulation's
//!   events appended to the team's [`atoll_hunt::Store`], Sigma rules and correlations raising
//!   [`team::Alert`]s, team actions taking effect from their time on.
//!
//! Like the simulation, this reads no clock and no random source: the server passes wall time
//! in and keeps what matters (clock state, actions) in its database, from which a runtime is
//! rebuilt after a restart.

pub mod answers;
pub mod clock;
pub mod score;
pub mod team;
pub mod time;

pub use clock::{Clock, ClockError, State};
pub use team::{Alert, RuntimeError, Setup, TeamRuleTruth, TeamRuntime, tactics, techniques};
pub use time::{ExerciseMs, UnixMs};
