//! When the scenario's injects and questions reach one team.
//!
//! - An item with a fixed time (`at: D1 08:30`) arrives then.
//! - One that follows a campaign step (`after: vt-edge-exploit + 20m`) arrives that long after
//!   the step ran in this team's world (or the white cell skipped it), and never if the team
//!   prevented it.
//! - One that follows another inject or question arrives that long after it reached the team.
//! - A question shown with an inject (`inject: partner-advisory`) arrives with it.
//! - An instructor may send an inject by hand: it then arrives at the time it was sent, if that
//!   is earlier. Items that wait only for a condition (`when:`) arrive only that way.

use atoll_scenario::Scenario;
use atoll_scenario::decode::Spanned;
use atoll_scenario::model::{Audience, Inject, Question};
use atoll_scenario::time::{After, At};

/// How deep `after:` chains are followed (validation refuses cycles; this bounds the work).
const MAX_DEPTH: u8 = 16;

/// What decides when items reach one team.
#[derive(Debug)]
pub struct Timing<'a> {
    pub scenario: &'a Scenario,
    /// Campaign steps that ran in the team's world, with their exercise times.
    pub steps: &'a [(String, u64)],
    /// Injects an instructor sent to the team by hand, with when.
    pub sent: &'a [(&'a str, u64)],
    pub clock: &'a atoll_sim::clock::Clock,
}

impl Timing<'_> {
    /// When an inject reaches the team, in exercise milliseconds, if it will.
    pub fn inject(&self, inject: &Inject) -> Option<u64> {
        self.inject_at(inject, 0)
    }

    /// When a question is put to the team, in exercise milliseconds, if it will.
    pub fn question(&self, question: &Question) -> Option<u64> {
        self.question_at(question, 0)
    }

    fn inject_at(&self, inject: &Inject, depth: u8) -> Option<u64> {
        let by_hand = self
            .sent
            .iter()
            .find(|(id, _)| *id == inject.id.name)
            .map(|&(_, at)| at);
        let planned = self.planned(inject.at.as_ref(), inject.after.as_ref(), depth);
        match (planned, by_hand) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn question_at(&self, question: &Question, depth: u8) -> Option<u64> {
        if let Some(inject) = &question.inject {
            let inject = self.scenario.injects.iter().find(|i| i.id.name == inject.name)?;
            return self.inject_at(inject, depth + 1);
        }
        self.planned(question.at.as_ref(), question.after.as_ref(), depth)
    }

    fn planned(&self, at: Option<&Spanned<At>>, after: Option<&Spanned<After>>, depth: u8) -> Option<u64> {
        if let Some(at) = at {
            return Some(self.clock.offset(&at.value.time).max(0) as u64);
        }
        let after = &after?.value;
        let delay = after.delay.as_secs() * 1000;
        self.anchor(&after.anchor, depth).map(|t| t + delay)
    }

    /// When the item an `after:` names happened for this team.
    fn anchor(&self, id: &str, depth: u8) -> Option<u64> {
        if let Some(&(_, due)) = self.steps.iter().find(|(step, _)| step == id) {
            return Some(due);
        }
        if depth >= MAX_DEPTH {
            return None;
        }
        let s = self.scenario;
        if let Some(inject) = s.injects.iter().find(|i| i.id.name == id) {
            self.inject_at(inject, depth + 1)
        } else if let Some(question) = s.questions.iter().find(|q| q.id.name == id) {
            self.question_at(question, depth + 1)
        } else if let Some(decision) = s.decisions.iter().find(|d| d.id.name == id) {
            match &decision.inject {
                Some(inject) => {
                    let inject = s.injects.iter().find(|i| i.id.name == inject.name)?;
                    self.inject_at(inject, depth + 1)
                }
                None => self.planned(decision.at.as_ref(), decision.after.as_ref(), depth + 1),
            }
        } else {
            None
        }
    }
}

/// Whether something addressed to `to` reaches players of `team`, and which tracks if only
/// some (`technical, policy`).
pub fn addressed(to: Option<&Audience>, team: &str) -> Option<Option<String>> {
    let Some(to) = to else {
        return Some(None);
    };
    let team_ok = to.teams.is_empty() || to.teams.iter().any(|t| t.name == team);
    let role_ok = to.roles.is_empty() || to.roles.iter().any(|r| r.as_str() == "player");
    (team_ok && role_ok).then(|| {
        (!to.tracks.is_empty()).then(|| to.tracks.iter().map(|t| t.name.clone()).collect::<Vec<_>>().join(", "))
    })
}
