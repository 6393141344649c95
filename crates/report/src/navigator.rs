//! A team's detection coverage as an ATT&CK Navigator layer (layer format 4.5), to open in the
//! Navigator and set beside the threat's techniques.
//!
//! One technique entry per technique and tactic it served in the campaigns. Scores: 2 detected
//! in time (or with no limit set) and prevented, 1 detected but later than an expectation asked,
//! 0 missed; techniques that never ran are left out. Each entry also carries an explicit colour
//! matching the legend, so that prevented and detected read apart. Keys are sorted (see
//! `json::sorted`), so the same report gives the same bytes.

use serde_json::{Value, json};

use crate::model::{Coverage, ExerciseReport, Step, StepStatus, TeamReport, Technique};

const DETECTED: &str = "#31a354";
const LATE: &str = "#fdd835";
const PREVENTED: &str = "#3182bd";
const MISSED: &str = "#de2d26";

/// The layer of one team's coverage; `None` if no team has this id.
pub fn layer(report: &ExerciseReport, team_id: &str) -> Option<Value> {
    let team = report.team(team_id)?;
    let techniques: Vec<Value> = team
        .techniques
        .iter()
        .filter(|t| t.outcome != Coverage::NotRun)
        .flat_map(|technique| entries(team, technique))
        .collect();
    Some(crate::json::sorted(json!({
        "name": format!("{} — {}", report.exercise, team.name),
        "versions": { "attack": "16", "navigator": "5.1.0", "layer": "4.5" },
        "domain": "enterprise-attack",
        "description": format!(
            "Detection coverage of team {} ({}) in {}, scenario {} version {}, as of {}{}.",
            team.name,
            team.nation,
            report.exercise,
            report.scenario,
            report.scenario_version,
            report.as_of.label,
            if report.play_ended { ", end of play" } else { " (play goes on)" }
        ),
        "sorting": 0,
        "layout": {
            "layout": "side",
            "aggregateFunction": "max",
            "showID": true,
            "showName": true,
            "showAggregateScores": false,
            "countUnscored": false,
            "expandedSubtechniques": "annotated"
        },
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": { "colors": [MISSED, LATE, DETECTED], "minValue": 0, "maxValue": 2 },
        "legendItems": [
            { "label": "detected in time", "color": DETECTED },
            { "label": "detected late", "color": LATE },
            { "label": "prevented", "color": PREVENTED },
            { "label": "missed", "color": MISSED }
        ],
        "metadata": [
            { "name": "exercise", "value": report.exercise },
            { "name": "team", "value": team.name },
            { "name": "as of", "value": report.as_of.label }
        ],
        "showTacticRowBackground": false,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
        "selectVisibleTechniques": false
    })))
}

/// The layer's entries for one technique: one per tactic, or one for all if none is known.
fn entries(team: &TeamReport, technique: &Technique) -> Vec<Value> {
    let steps: Vec<&Step> = technique
        .steps
        .iter()
        .filter_map(|id| team.steps.iter().find(|s| &s.id == id))
        .collect();
    let late = steps.iter().any(|s| match (&s.at, &s.detected, s.detect_within_ms) {
        (Some(at), Some(detected), Some(limit)) => detected.ms.saturating_sub(at.ms) > limit,
        _ => false,
    });
    let (score, color, outcome) = match technique.outcome {
        Coverage::Detected if late => (1, LATE, "detected late"),
        Coverage::Detected => (2, DETECTED, "detected"),
        Coverage::Prevented => (2, PREVENTED, "prevented"),
        Coverage::Missed | Coverage::NotRun => (0, MISSED, "missed"),
    };
    let comment = format!(
        "{outcome}: {}",
        steps.iter().map(|s| step_words(s)).collect::<Vec<_>>().join("; ")
    );
    let metadata: Vec<Value> = steps
        .iter()
        .map(|s| json!({ "name": format!("step {}", s.id), "value": step_words(s) }))
        .collect();
    let entry = |tactic: Option<String>| {
        let mut entry = json!({
            "techniqueID": technique.id,
            "score": score,
            "color": color,
            "comment": comment,
            "enabled": true,
            "metadata": metadata,
            "showSubtechniques": false
        });
        if let Some(tactic) = tactic {
            entry["tactic"] = Value::String(tactic);
        }
        entry
    };
    if technique.tactics.is_empty() {
        vec![entry(None)]
    } else {
        technique.tactics.iter().map(|t| entry(Some(kebab(t)))).collect()
    }
}

/// "Exploit the VPN gateway: ran D1 09:10, detected D1 09:25".
fn step_words(step: &Step) -> String {
    let at = step.at.as_ref().map_or(String::new(), |m| format!(" {}", m.label));
    let what = match step.status {
        StepStatus::Ran => {
            let detected = step
                .detected
                .as_ref()
                .map_or("not detected".to_owned(), |m| format!("detected {}", m.label));
            let contained = step
                .contained
                .as_ref()
                .map_or(String::new(), |m| format!(", contained {}", m.label));
            format!("ran{at}, {detected}{contained}")
        }
        StepStatus::Prevented => format!("prevented{at}"),
        StepStatus::Skipped => format!("skipped{at}"),
        StepStatus::NotRun => "not run".to_owned(),
        StepStatus::ToCome => "to come".to_owned(),
    };
    format!("{}: {what}", step.name)
}

/// A tactic as the scenario writes it ("initial_access") as ATT&CK's short name ("initial-access").
fn kebab(tactic: &str) -> String {
    tactic.trim().to_ascii_lowercase().replace(['_', ' '], "-")
}
