//! The exercise clock: exercise time as a function of wall time, with start, pause, resume,
//! speed and jumps.
//!
//! The clock reads no clock itself: every operation is given the wall time at which it happens
//! (milliseconds since the Unix epoch), so the same calls give the same exercise times, and
//! the state is a small value the server writes to its database after every change. Pausing
//! freezes exercise time; resuming continues from where it froze, so nothing that was due
//! during the pause arrives late in a burst (it was never due: exercise time did not move).

use serde::{Deserialize, Serialize};

/// Exercise milliseconds since play started (D1 at the scenario's start time).
pub type Millis = u64;
/// Wall-clock milliseconds since the Unix epoch.
pub type Wall = i64;

/// Fastest speed an instructor can set: an hour of exercise per wall second.
pub const MAX_SPEED: u32 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    NotStarted,
    /// Exercise time `at` was reached at wall time `since`, and time runs from there.
    Running {
        since: Wall,
        at: Millis,
    },
    Paused {
        at: Millis,
    },
    /// Play has ended (by reaching the planned end, or by the instructor) at `at`.
    Ended {
        at: Millis,
    },
}

/// Why a clock operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockError(pub String);

impl std::fmt::Display for ClockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClockError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub state: State,
    /// Exercise milliseconds per wall millisecond.
    pub speed: u32,
    /// The planned end of play.
    pub end: Millis,
}

impl Clock {
    pub fn new(end: Millis, speed: u32) -> Result<Clock, ClockError> {
        check_speed(speed)?;
        Ok(Clock {
            state: State::NotStarted,
            speed,
            end,
        })
    }

    /// Exercise time at wall time `wall`.
    pub fn now(&self, wall: Wall) -> Millis {
        match self.state {
            State::NotStarted => 0,
            State::Running { since, at } => {
                let elapsed = wall.saturating_sub(since).max(0) as u64;
                at.saturating_add(elapsed.saturating_mul(u64::from(self.speed)))
                    .min(self.end)
            }
            State::Paused { at } | State::Ended { at } => at,
        }
    }

    /// Whether play is on at `wall` (started, not paused, not past the end).
    pub fn is_running(&self, wall: Wall) -> bool {
        matches!(self.state, State::Running { .. }) && self.now(wall) < self.end
    }

    /// Settles a running clock that has passed the planned end into `Ended`; returns whether
    /// it did.
    pub fn settle(&mut self, wall: Wall) -> bool {
        if matches!(self.state, State::Running { .. }) && self.now(wall) >= self.end {
            self.state = State::Ended { at: self.end };
            return true;
        }
        false
    }

    pub fn start(&mut self, wall: Wall) -> Result<(), ClockError> {
        match self.state {
            State::NotStarted => {
                self.state = State::Running { since: wall, at: 0 };
                Ok(())
            }
            _ => Err(ClockError("the exercise has already started".into())),
        }
    }

    pub fn pause(&mut self, wall: Wall) -> Result<(), ClockError> {
        self.settle(wall);
        match self.state {
            State::Running { .. } => {
                self.state = State::Paused { at: self.now(wall) };
                Ok(())
            }
            State::Paused { .. } => Err(ClockError("the exercise is already paused".into())),
            State::NotStarted => Err(ClockError("the exercise has not started".into())),
            State::Ended { .. } => Err(ClockError("the exercise has ended".into())),
        }
    }

    pub fn resume(&mut self, wall: Wall) -> Result<(), ClockError> {
        match self.state {
            State::Paused { at } => {
                self.state = State::Running { since: wall, at };
                Ok(())
            }
            State::Running { .. } => Err(ClockError("the exercise is not paused".into())),
            State::NotStarted => Err(ClockError("the exercise has not started; start it instead".into())),
            State::Ended { .. } => Err(ClockError("the exercise has ended".into())),
        }
    }

    /// Changes the speed from `wall` on; exercise time already passed stays as it was.
    pub fn set_speed(&mut self, wall: Wall, speed: u32) -> Result<(), ClockError> {
        check_speed(speed)?;
        if let State::Running { .. } = self.state {
            self.state = State::Running {
                since: wall,
                at: self.now(wall),
            };
        }
        self.speed = speed;
        Ok(())
    }

    /// Moves exercise time forward to `to` (a running clock keeps running from there, a paused
    /// one stays paused there). Time cannot go back: what teams saw and did stays.
    pub fn jump(&mut self, wall: Wall, to: Millis) -> Result<(), ClockError> {
        let now = self.now(wall);
        if to < now {
            return Err(ClockError(format!(
                "the exercise is already at {}; it can only move forward",
                describe(now)
            )));
        }
        let to = to.min(self.end);
        self.state = match self.state {
            State::Running { .. } => State::Running { since: wall, at: to },
            State::Paused { .. } => State::Paused { at: to },
            State::NotStarted => return Err(ClockError("start the exercise before moving its clock".into())),
            State::Ended { .. } => return Err(ClockError("the exercise has ended".into())),
        };
        Ok(())
    }

    /// A running clock counts on from wall time `wall` at the time it showed at its last
    /// change: time spent between the two (the worlds catching up after a jump) is not play.
    pub fn count_from(&mut self, wall: Wall) {
        if let State::Running { since, .. } = &mut self.state {
            *since = (*since).max(wall);
        }
    }

    /// Ends play now, before the planned end.
    pub fn end_now(&mut self, wall: Wall) -> Result<(), ClockError> {
        if let State::Ended { .. } = self.state {
            return Err(ClockError("the exercise has already ended".into()));
        }
        self.state = State::Ended { at: self.now(wall) };
        Ok(())
    }
}

fn check_speed(speed: u32) -> Result<(), ClockError> {
    if (1..=MAX_SPEED).contains(&speed) {
        Ok(())
    } else {
        Err(ClockError(format!(
            "speed must be from 1 to {MAX_SPEED} times real time, not {speed}"
        )))
    }
}

/// Exercise time as instructors write it: `D2 08:30` relative to a start of day 1 at 00:00;
/// here without the scenario's start, as hours and minutes since play began.
pub fn describe(at: Millis) -> String {
    let minutes = at / 60_000;
    format!("{}h{:02}m into play", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Wall = 1000;
    const T0: Wall = 1_780_000_000_000;

    #[test]
    fn runs_at_its_speed_and_stops_at_the_end() {
        let mut c = Clock::new(3_600_000, 60).unwrap();
        assert_eq!(c.now(T0), 0);
        c.start(T0).unwrap();
        assert_eq!(c.now(T0 + 10 * S), 600_000, "10 s at 60x is 10 minutes");
        assert!(c.is_running(T0 + 10 * S));
        assert_eq!(c.now(T0 + 61 * S), 3_600_000, "never past the end");
        assert!(!c.is_running(T0 + 61 * S));
        assert!(c.settle(T0 + 61 * S));
        assert_eq!(c.state, State::Ended { at: 3_600_000 });
        assert_eq!(c.now(T0 + 1000 * S), 3_600_000);
        assert!(c.resume(T0).is_err());
        // A wall clock that steps back does not move exercise time back.
        let mut c = Clock::new(3_600_000, 60).unwrap();
        c.start(T0).unwrap();
        assert_eq!(c.now(T0 - 5 * S), 0);
    }

    #[test]
    fn pause_freezes_and_resume_continues_without_a_jump() {
        let mut c = Clock::new(u64::MAX, 10).unwrap();
        c.start(T0).unwrap();
        c.pause(T0 + 30 * S).unwrap();
        assert_eq!(c.now(T0 + 30 * S), 300_000);
        // An hour of coffee changes nothing.
        assert_eq!(c.now(T0 + 3630 * S), 300_000);
        assert_eq!(
            c.pause(T0 + 3630 * S),
            Err(ClockError("the exercise is already paused".into()))
        );
        c.resume(T0 + 3630 * S).unwrap();
        assert_eq!(c.now(T0 + 3630 * S), 300_000);
        assert_eq!(c.now(T0 + 3631 * S), 310_000);
    }

    #[test]
    fn speed_changes_keep_the_past_and_jumps_go_forward_only() {
        let mut c = Clock::new(u64::MAX, 1).unwrap();
        c.start(T0).unwrap();
        c.set_speed(T0 + 60 * S, 120).unwrap();
        assert_eq!(c.now(T0 + 60 * S), 60_000);
        assert_eq!(c.now(T0 + 61 * S), 180_000);
        assert!(c.set_speed(T0, 0).is_err());
        assert!(c.set_speed(T0, MAX_SPEED + 1).is_err());
        let err = c.jump(T0 + 61 * S, 0).unwrap_err();
        assert_eq!(
            err.0,
            "the exercise is already at 0h03m into play; it can only move forward"
        );
        c.jump(T0 + 61 * S, 7_200_000).unwrap();
        assert_eq!(c.now(T0 + 61 * S), 7_200_000);
        // The worlds took 5 s to catch up: the clock counts on from there, at the jump's time.
        c.count_from(T0 + 66 * S);
        assert_eq!((c.now(T0 + 66 * S), c.now(T0 + 67 * S)), (7_200_000, 7_320_000));
        c.count_from(T0 + 61 * S);
        assert_eq!(c.now(T0 + 66 * S), 7_200_000, "never counts from further back");
        c.pause(T0 + 62 * S).unwrap();
        c.jump(T0 + 70 * S, 9_000_000).unwrap();
        assert_eq!(c.state, State::Paused { at: 9_000_000 });
    }

    #[test]
    fn the_state_round_trips_through_json() {
        let mut c = Clock::new(86_400_000, 60).unwrap();
        c.start(T0).unwrap();
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(
            text,
            r#"{"state":{"state":"running","since":1780000000000,"at":0},"speed":60,"end":86400000}"#
        );
        let back: Clock = serde_json::from_str(&text).unwrap();
        assert_eq!(back, c);
    }
}
