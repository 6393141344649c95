//! The exercise as planned, made from the scenario before play: what the Situation Manual (for
//! participants) and the facilitator and evaluator guide (for the white cell) are written from.
//!
//! The caller fills a [`Plan`]; [`Plan::for_participants`] keeps only what participants may read
//! before play (objectives, schedule, the starting situation, teams, roles and rules): nothing
//! that reveals the adversary's campaigns, the injects, the questions or the score sheet.

use serde::{Deserialize, Serialize};

use crate::model::Day;

/// An exercise's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub exercise: String,
    pub scenario: String,
    pub scenario_version: String,
    /// The scenario's summary: the starting situation as participants are told it.
    pub summary: String,
    /// Who the exercise is for.
    pub audience: String,
    /// Day 1.
    pub date: Day,
    /// The time zone the exercise clock reads in.
    pub time_zone: String,
    /// When play starts ("D1 09:00") and how long it runs (milliseconds).
    pub start: String,
    pub duration_ms: u64,
    /// The languages every text of the scenario is given in.
    pub languages: Vec<String>,
    pub authors: Vec<String>,
    pub tracks: Vec<PlanTrack>,
    pub objectives: Vec<PlanObjective>,
    /// The days of play, each with when it starts and ends.
    pub schedule: Vec<PlanDay>,
    /// The teams that play, with what each defends.
    pub teams: Vec<PlanTeam>,
    /// The nations that observe.
    pub observers: Vec<String>,
    /// Only for the white cell from here on.
    pub campaigns: Vec<PlanCampaign>,
    pub injects: Vec<PlanItem>,
    pub questions: Vec<PlanItem>,
    pub decisions: Vec<PlanItem>,
    pub expectations: Vec<PlanExpectation>,
    pub hints: Vec<PlanHint>,
    pub facilitator_notes: String,
}

impl Plan {
    /// The plan as participants may read it before play: the campaigns, injects, questions,
    /// decisions, score sheet, hints and the white cell's notes left out.
    pub fn for_participants(&self) -> Plan {
        Plan {
            campaigns: Vec::new(),
            injects: Vec::new(),
            questions: Vec::new(),
            decisions: Vec::new(),
            expectations: Vec::new(),
            hints: Vec::new(),
            facilitator_notes: String::new(),
            ..self.clone()
        }
    }
}

/// A track of play (technical, policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTrack {
    pub name: String,
    pub description: String,
}

/// An objective with the competencies it exercises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanObjective {
    pub id: String,
    pub text: String,
    pub competencies: Vec<String>,
    /// The tracks' names; empty: every track.
    pub tracks: Vec<String>,
}

/// A day of play.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDay {
    /// "D1".
    pub label: String,
    pub date: Day,
    /// When play starts and stops that day ("09:00", "17:00"), in the exercise's time zone.
    pub from: String,
    pub to: String,
}

/// A team and what it defends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTeam {
    pub name: String,
    pub nation: String,
    /// Each organisation: its name and sector ("PACTEL, telecom").
    pub organisations: Vec<String>,
    /// The services scored for availability.
    pub services: Vec<String>,
}

/// A campaign of the adversary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCampaign {
    pub name: String,
    /// Who the adversary is modelled on.
    pub actor: String,
    pub description: String,
    /// The teams it runs against (names), or empty for every team.
    pub teams: Vec<String>,
    pub steps: Vec<PlanStep>,
    pub notes: String,
}

/// A step of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    pub id: String,
    pub name: String,
    pub technique: String,
    pub tactic: Option<String>,
    /// When it is planned, in words ("D1 10:30", "30m after s1").
    pub when: String,
    /// What should detect it and how soon, from the score sheet ("within 1 h"), if anything.
    pub expected: String,
    pub notes: String,
}

/// An inject, question or decision: when it comes, to whom, what it says, and the notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItem {
    pub id: String,
    pub when: String,
    pub to: String,
    pub title: String,
    pub text: String,
    pub notes: String,
}

/// A line of the score sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanExpectation {
    pub id: String,
    pub text: String,
    pub points: u32,
    /// The objectives' ids.
    pub objectives: Vec<String>,
    /// Who grades it: "atoll" or "the white cell".
    pub graded_by: String,
}

/// A hint teams may take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanHint {
    /// What it helps with (a question's id or a step's).
    pub helps: String,
    pub text: String,
    pub cost: u32,
}
