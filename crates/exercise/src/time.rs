//! The exercise's two kinds of time, kept apart by type where they meet people: exercise
//! time ([`ExerciseMs`], milliseconds since the start of play, what the clock, the worlds and
//! the store count in) and wall or event time ([`UnixMs`], milliseconds since the Unix epoch,
//! what events carry). `atoll_app::Live` turns either into the one notation people read
//! (`D2 08:30`, in the scenario's time zone).

/// Milliseconds of exercise time since the start of play.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExerciseMs(pub u64);

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMs(pub i64);
