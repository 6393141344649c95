//! The running exercise in memory: the clock and every team's runtime, advanced once a second.

use std::sync::Mutex;

use atoll_exercise::{Clock, Setup, TeamRuntime};
use atoll_scenario::Scenario;
use atoll_sigma::{Correlation, RuleSet};

use crate::clock_now;

/// One exercise as it runs.
#[derive(Debug)]
pub struct Live {
    pub exercise: i64,
    pub name: String,
    pub scenario: &'static Scenario,
    pub state: Mutex<State>,
}

#[derive(Debug)]
pub struct State {
    pub clock: Clock,
    pub teams: Vec<TeamRuntime<'static>>,
}

impl Live {
    /// Builds every player team's runtime; the worlds are advanced to the clock by [`Live::tick`].
    pub fn new(
        exercise: i64,
        name: String,
        scenario: &'static Scenario,
        setup: &Setup,
        clock: Clock,
        rules: &'static RuleSet,
        correlations: &[Correlation],
    ) -> Result<Live, String> {
        let teams = scenario
            .player_teams()
            .map(|t| TeamRuntime::new(scenario, setup, &t.id.name, rules, correlations.to_vec()).map_err(|e| e.0))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Live {
            exercise,
            name,
            scenario,
            state: Mutex::new(State { clock, teams }),
        })
    }

    /// Advances every team to the clock's time. Returns the clock when it changed state (play
    /// reached its planned end), for the caller to store.
    pub fn tick(&self, wall: i64) -> Option<Clock> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let settled = state.clock.settle(wall);
        let now = state.clock.now(wall);
        for team in &mut state.teams {
            team.advance_to(now);
        }
        settled.then_some(state.clock)
    }

    /// Exercise time now, on the wall clock.
    pub fn now(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clock
            .now(clock_now())
    }

    /// `D2 08:30` for an event time (Unix milliseconds), in the exercise's time zone, day 1
    /// being `day_one`.
    pub fn label(&self, unix_ms: i64, day_one: jiff::civil::Date) -> String {
        let Ok(zone) = jiff::tz::TimeZone::get(&self.scenario.time_zone.0) else {
            return String::new();
        };
        let Ok(ts) = jiff::Timestamp::from_millisecond(unix_ms) else {
            return String::new();
        };
        let local = ts.to_zoned(zone);
        let day = (local.date() - day_one).get_days() + 1;
        format!("D{day} {:02}:{:02}", local.hour(), local.minute())
    }
}
