//! A big report, for the PDF's size and speed: `teams` teams through `days` days of play (8
//! hours a day), each with many steps, events, services, answers, reports and lessons. Made by
//! arithmetic, so the same arguments give the same report. The PDF bench includes this file.

use atoll_report::*;

const MINUTE: u64 = 60_000;
const PLAY_DAY: u64 = 8 * 60;

/// Play runs 09:00 to 17:00 each day; `minutes` counts play time from D1 09:00.
fn at(minutes: u64) -> Moment {
    let (day, within) = (minutes / PLAY_DAY, minutes % PLAY_DAY);
    Moment {
        ms: minutes * MINUTE,
        label: format!("D{} {:02}:{:02}", day + 1, 9 + within / 60, within % 60),
    }
}

/// The end of play, which closes the last day rather than opening the next.
fn end(minutes: u64) -> Moment {
    Moment {
        ms: minutes * MINUTE,
        label: format!("D{} 17:00", minutes / PLAY_DAY),
    }
}

const TACTICS: [&str; 8] = [
    "initial_access",
    "execution",
    "persistence",
    "credential_access",
    "discovery",
    "lateral_movement",
    "command_and_control",
    "exfiltration",
];

const KINDS: [EntryKind; 8] = [
    EntryKind::Step,
    EntryKind::Detection,
    EntryKind::Action,
    EntryKind::Inject,
    EntryKind::Report,
    EntryKind::Answer,
    EntryKind::Hint,
    EntryKind::Message,
];

const NAMES: [(&str, &str); 6] = [
    ("Palau", "Republic of Palau"),
    ("Nauru", "Republic of Nauru"),
    ("Tuvalu", "Tuvalu"),
    ("Kiribati", "Republic of Kiribati"),
    ("東京チーム", "日本"),
    ("Fiji", "Republic of Fiji"),
];

pub(crate) fn report(teams: usize, days: u64) -> ExerciseReport {
    let minutes = days * PLAY_DAY;
    let objectives: Vec<Objective> = (1..=6)
        .map(|i| Objective {
            id: format!("O{i}"),
            text: format!("Objective number {i}: detect, contain and report the campaign's step family {i}"),
        })
        .collect();
    ExerciseReport {
        format: FORMAT,
        exercise: "Pacific Cable Shield 2026".to_owned(),
        scenario: "Cable landing station under attack, extended".to_owned(),
        scenario_version: "2.0".to_owned(),
        date: Day::parse("2026-03-09").unwrap(),
        as_of: end(minutes),
        play_ended: true,
        duration_ms: minutes * MINUTE,
        ticks: (0..minutes / 60).map(|h| at(h * 60)).chain([end(minutes)]).collect(),
        objectives,
        teams: (0..teams).map(|t| team(t, minutes)).collect(),
        lessons: (0..8).map(|i| lesson(i, "White cell")).collect(),
        feedback: None,
    }
}

fn lesson(i: usize, by: &str) -> Lesson {
    let kind = [
        LessonKind::Observation,
        LessonKind::Strength,
        LessonKind::Improvement,
        LessonKind::Action,
    ][i % 4];
    Lesson {
        objective: if i.is_multiple_of(3) {
            String::new()
        } else {
            format!("O{}", i % 6 + 1)
        },
        kind,
        text: format!(
            "Lesson {i}: the night shift handed over the open alerts by voice only, so two were triaged twice \
             and one was never triaged; write the handover into the queue"
        ),
        owner: if kind == LessonKind::Action {
            "SOC lead".to_owned()
        } else {
            String::new()
        },
        due: if kind == LessonKind::Action {
            "2026-06-30".to_owned()
        } else {
            String::new()
        },
        by: by.to_owned(),
    }
}

fn team(t: usize, minutes: u64) -> TeamReport {
    let (name, nation) = NAMES[t % NAMES.len()];
    let step_count = 40;
    let steps: Vec<Step> = (0..step_count)
        .map(|i| {
            let ran = (i as u64 * minutes / step_count as u64) + 5;
            let status = match (i + t) % 7 {
                5 => StepStatus::Prevented,
                6 => StepStatus::Skipped,
                _ => StepStatus::Ran,
            };
            let detected =
                (status == StepStatus::Ran && !(i + t).is_multiple_of(3)).then(|| at(ran + 5 + (i as u64 * 7) % 90));
            Step {
                id: format!("s{}", i + 1),
                name: format!("Step {} of the campaign: move one host further", i + 1),
                campaign: ["Cable Cut", "Quiet Tide"][i % 2].to_owned(),
                technique: format!("T{}.{:03}", 1000 + i * 13 % 600, i % 9 + 1),
                tactic: Some(TACTICS[i % TACTICS.len()].to_owned()),
                status,
                at: Some(at(ran)),
                detected,
                detect_within_ms: i.is_multiple_of(2).then_some(60 * MINUTE),
                contained: i.is_multiple_of(4).then(|| at(ran + 120)),
                contained_by: i.is_multiple_of(4).then(|| format!("Isolate host WS-{:03}", i + 1)),
            }
        })
        .collect();
    let timeline: Vec<Entry> = (0..400)
        .map(|i| Entry {
            at: at(i as u64 * minutes / 400),
            kind: KINDS[i % KINDS.len()],
            text: format!(
                "Event {i}: the team looked at host WS-{:03} and wrote down what it saw",
                i % 97
            ),
        })
        .collect();
    let hours = (minutes / 60) as usize;
    let availability: Vec<Service> = (0..6)
        .map(|s| {
            let hourly: Vec<HourBar> = (0..hours)
                .map(|h| HourBar {
                    label: at(h as u64 * 60).label,
                    percent: if (h + s + t).is_multiple_of(5) { 62.5 } else { 100.0 },
                })
                .collect();
            let percent = hourly.iter().map(|h| h.percent).sum::<f64>() / hours.max(1) as f64;
            Service {
                id: format!("svc{s}"),
                name: [
                    "Government mail",
                    "Billing web",
                    "DNS",
                    "VPN",
                    "File server",
                    "Intranet",
                ][s]
                    .to_owned(),
                host: format!("host{s:02}"),
                percent,
                hourly,
            }
        })
        .collect();
    let techniques: Vec<Technique> = steps
        .iter()
        .map(|s| Technique {
            id: s.technique.clone(),
            tactics: s.tactic.iter().cloned().collect(),
            steps: vec![s.id.clone()],
            outcome: match (s.status, &s.detected) {
                (StepStatus::Ran, Some(_)) => Coverage::Detected,
                (StepStatus::Ran, None) => Coverage::Missed,
                (StepStatus::Prevented, _) => Coverage::Prevented,
                _ => Coverage::NotRun,
            },
        })
        .collect();
    let lines: Vec<Line> = (0..30_u32)
        .map(|i| Line {
            expectation: format!("expect-{}", i + 1),
            text: format!("Detect step {} within the hour and report it", i + 1),
            points: if i.is_multiple_of(3) { 0 } else { 10 },
            max: 10,
            standing: if i.is_multiple_of(3) {
                Standing::Missed
            } else {
                Standing::Earned
            },
            why: format!("Step {} was seen {} min after it ran", i + 1, 10 + i),
            objectives: vec![format!("O{}", i % 6 + 1)],
        })
        .collect();
    let earned: u32 = lines.iter().map(|l| l.points).sum();
    TeamReport {
        id: format!("team-{}", t + 1),
        name: name.to_owned(),
        nation: nation.to_owned(),
        score: Score {
            total: i64::from(earned) - 30,
            possible: 300,
            earned,
            penalty: 30,
            lines,
            adjustments: vec![Adjustment {
                why: "A clear briefing to the minister".to_owned(),
                points: 5,
            }],
        },
        steps,
        timeline,
        availability,
        triage: Triage {
            alerts: 900,
            true_positives: 120,
            false_positives: 600,
            investigating: 30,
            never_judged: 150,
            suppressed: 80,
            suppressions: (0..10)
                .map(|i| Suppression {
                    rule: format!("proc_creation_win_rule_{i}"),
                    reason: "Admin scripts trigger it every minute".to_owned(),
                    by: "Kiele".to_owned(),
                    at: at(i * 40),
                    ended: i.is_multiple_of(2).then(|| at(i * 40 + 100)),
                })
                .collect(),
        },
        techniques,
        answers: (0..20)
            .map(|i| Answer {
                question: format!("Question {}: which host did the adversary reach next, and how?", i + 1),
                answer: format!("Host WS-{:03}, over SMB with a stolen account; we isolated it", i + 3),
                by: "Dirk".to_owned(),
                at: at(i * 45),
                points: (!i.is_multiple_of(4)).then_some(8),
                max: Some(10),
                why: "Right host; the account is missing.".to_owned(),
            })
            .collect(),
        reports: (0..15)
            .map(|i| Report {
                title: format!("Situation report {}", i + 1),
                to: "National CERT".to_owned(),
                tlp: "TLP:AMBER".to_owned(),
                by: "Mere".to_owned(),
                at: at(i * 60 + 30),
                indicators: vec![
                    format!("203.0.113.{i}"),
                    format!("http://evil{i}.example/update.bin"),
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
                ],
                points: Some(7),
                max: Some(10),
                comment: Some("Timely; the second address lacks its first-seen time.".to_owned()),
                graded_by: Some("Ana (white cell)".to_owned()),
            })
            .collect(),
        hints: (0..10)
            .map(|i| Hint {
                question: format!("Question {}: which host did the adversary reach next, and how?", i + 1),
                text: "Look at the logons of the file server around the time of the alert.".to_owned(),
                by: "Dirk".to_owned(),
                at: at(i * 50),
                cost: 3,
            })
            .collect(),
        tactics: Vec::new(),
        earlier: Vec::new(),
        lessons: (0..12).map(|i| lesson(i, name)).collect(),
    }
}
