//! What has reached a team: the scenario's injects and questions, as its world says they came.

use atoll_scenario::model::{Inject, Question};

/// Whether an inject is addressed to players of `team`, and to which track if only one.
pub fn addressed(inject: &Inject, team: &str) -> Option<Option<String>> {
    atoll_sim::items::addressed(inject.to.as_ref(), team)
}

/// What has reached one team by exercise time `now`, newest first: injects and questions,
/// each with its exercise time and track (if only some tracks are addressed).
#[derive(Debug, Default)]
pub struct Delivered {
    pub injects: Vec<(u64, &'static Inject, Option<String>)>,
    pub questions: Vec<(u64, &'static Question, Option<String>)>,
}

/// [`Delivered`] for team `team` from what its world says reached it (the simulation keeps
/// when each inject and question came: by its time, after what it follows, when its condition
/// held, or sent by hand). Takes no lock.
pub fn delivered(live: &crate::Live, team: &str, arrivals: &[atoll_sim::Arrival<'static>], now: u64) -> Delivered {
    let scenario: &'static atoll_scenario::Scenario = live.scenario;
    let mut out = Delivered::default();
    for a in arrivals.iter().filter(|a| a.at <= now) {
        match a.kind {
            atoll_sim::items::Kind::Inject => {
                if let Some(i) = scenario.injects.iter().find(|i| i.id.name == a.id) {
                    out.injects.push((a.at, i, track_of(i.to.as_ref(), team)));
                }
            }
            atoll_sim::items::Kind::Question => {
                if let Some(q) = scenario.questions.iter().find(|q| q.id.name == a.id) {
                    out.questions.push((a.at, q, track_of(q.to.as_ref(), team)));
                }
            }
            atoll_sim::items::Kind::Decision => {}
        }
    }
    out.injects
        .sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.name.cmp(&b.1.id.name)));
    out.questions
        .sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.name.cmp(&b.1.id.name)));
    out
}

/// The injects that have reached team `index` by now: (exercise time, inject, track), newest
/// first. Takes the team's lock.
pub fn arrivals(live: &crate::Live, index: usize) -> Vec<(u64, &'static Inject, Option<String>)> {
    let now = live.now();
    let team = live.team_id(index);
    let arrived = live.team_now(index).arrivals();
    delivered(live, &team, &arrived, now).injects
}

/// The tracks something addressed to `to` is for, if only some, for team `team`.
pub fn track_of(to: Option<&atoll_scenario::model::Audience>, team: &str) -> Option<String> {
    atoll_sim::items::addressed(to, team).flatten()
}
