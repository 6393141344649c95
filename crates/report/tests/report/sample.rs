//! A realistic report: two teams (Palau, Nauru) part way through day 2 of a two-day exercise.

use atoll_report::stix::{Address, Infrastructure};
use atoll_report::*;

const MINUTE: u64 = 60_000;

/// Play runs 09:00 to 17:00 each day; `minutes` counts play time from D1 09:00.
pub(crate) fn at(minutes: u64) -> Moment {
    let (day, within) = (minutes / 480, minutes % 480);
    Moment {
        ms: minutes * MINUTE,
        label: format!("D{} {:02}:{:02}", day + 1, 9 + within / 60, within % 60),
    }
}

fn text(s: &str) -> String {
    s.to_owned()
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

pub(crate) const SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
pub(crate) const MD5: &str = "44D88612FEA8A8F36DE82E1278ABB02F";

#[expect(
    clippy::too_many_arguments,
    reason = "a table of steps reads best as one call per row"
)]
fn step(
    id: &str,
    name: &str,
    technique: &str,
    tactic: &str,
    status: StepStatus,
    ran: Option<u64>,
    detected: Option<u64>,
    limit_minutes: Option<u64>,
) -> Step {
    Step {
        id: text(id),
        name: text(name),
        campaign: text("Cable Cut"),
        technique: text(technique),
        tactic: Some(text(tactic)),
        status,
        at: ran.map(at),
        detected: detected.map(at),
        detect_within_ms: limit_minutes.map(|m| m * MINUTE),
        contained: None,
        contained_by: None,
    }
}

fn line(expectation: &str, what: &str, points: u32, max: u32, standing: Standing, objectives: &[&str]) -> Line {
    Line {
        expectation: text(expectation),
        text: text(what),
        points,
        max,
        standing,
        why: format!("{expectation}: {standing:?}"),
        objectives: texts(objectives),
    }
}

fn entry(minutes: u64, kind: EntryKind, what: &str) -> Entry {
    Entry {
        at: at(minutes),
        kind,
        text: text(what),
    }
}

fn technique(id: &str, tactics: &[&str], steps: &[&str], outcome: Coverage) -> Technique {
    Technique {
        id: text(id),
        tactics: texts(tactics),
        steps: texts(steps),
        outcome,
    }
}

fn hours(percents: &[f64]) -> Vec<HourBar> {
    percents
        .iter()
        .enumerate()
        .map(|(h, p)| HourBar {
            label: at(h as u64 * 60).label,
            percent: *p,
        })
        .collect()
}

fn palau() -> TeamReport {
    let mut vpn = step(
        "s1",
        "Exploit the VPN gateway",
        "T1190",
        "initial_access",
        StepStatus::Ran,
        Some(20),
        Some(35),
        Some(30),
    );
    vpn.contained = Some(at(95));
    vpn.contained_by = Some(text("Block 203.0.113.45 at the edge"));
    TeamReport {
        id: text("palau"),
        name: text("Palau"),
        nation: text("Republic of Palau"),
        score: Score {
            total: 312,
            possible: 480,
            earned: 330,
            penalty: 20,
            lines: vec![
                line(
                    "detect-vpn",
                    "Detect the VPN exploit within 30 min",
                    100,
                    100,
                    Standing::Earned,
                    &["O1"],
                ),
                line(
                    "detect-ntds",
                    "Detect the NTDS dump within 1 h",
                    0,
                    80,
                    Standing::Missed,
                    &["O1"],
                ),
                line(
                    "restore-mail",
                    "Restore mail within 2 h",
                    150,
                    150,
                    Standing::Earned,
                    &["O2"],
                ),
                line(
                    "report-cert",
                    "Report indicators to the CERT",
                    80,
                    100,
                    Standing::Earned,
                    &["O3"],
                ),
                line(
                    "stop-exfil",
                    "Contain the implant before exfiltration",
                    0,
                    50,
                    Standing::Open,
                    &["O2"],
                ),
            ],
            adjustments: vec![Adjustment {
                why: text("Clear briefing to the minister"),
                points: 2,
            }],
        },
        steps: vec![
            vpn,
            step(
                "s2",
                "Dump NTDS",
                "T1003.003",
                "credential_access",
                StepStatus::Ran,
                Some(130),
                None,
                Some(60),
            ),
            step(
                "s7",
                "Log in with a stolen account",
                "T1078",
                "persistence",
                StepStatus::Ran,
                Some(140),
                Some(200),
                Some(30),
            ),
            step(
                "s3",
                "Beacon to evil.example",
                "T1071.001",
                "command_and_control",
                StepStatus::Ran,
                Some(150),
                Some(215),
                None,
            ),
            step(
                "s4",
                "Stage data on the file server",
                "T1074.001",
                "collection",
                StepStatus::Prevented,
                Some(300),
                None,
                None,
            ),
            step(
                "s5",
                "Exfiltrate over the C2 channel",
                "T1041",
                "exfiltration",
                StepStatus::Skipped,
                Some(330),
                None,
                None,
            ),
            step(
                "s6",
                "Wipe the billing database",
                "T1485",
                "impact",
                StepStatus::ToCome,
                None,
                None,
                None,
            ),
        ],
        timeline: vec![
            entry(10, EntryKind::Inject, "News: cable landing station reports odd traffic"),
            entry(20, EntryKind::Step, "Exploit the VPN gateway"),
            entry(
                35,
                EntryKind::Detection,
                "Alert on the VPN appliance judged a true positive",
            ),
            entry(50, EntryKind::Hint, "Hint taken: look at the VPN logs"),
            entry(
                60,
                EntryKind::Report,
                "Report \"Initial access via VPN\" sent to the National CERT",
            ),
            entry(
                70,
                EntryKind::Answer,
                "Answered: We blocked <b>203.0.113.45</b> at the edge",
            ),
            entry(95, EntryKind::Action, "Block 203.0.113.45 at the edge"),
            entry(100, EntryKind::Message, "White cell: the minister asks for a briefing"),
            entry(215, EntryKind::Detection, "Beacon to evil.example found in proxy logs"),
            entry(290, EntryKind::Action, "Isolate the file server"),
            entry(300, EntryKind::Step, "Stage data on the file server: prevented"),
        ],
        availability: vec![
            Service {
                id: text("mail"),
                name: text("Government mail"),
                host: text("mail01"),
                percent: 93.75,
                hourly: hours(&[
                    100.0, 100.0, 75.0, 50.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 99.96,
                ]),
            },
            Service {
                id: text("billing"),
                name: text("Billing web"),
                host: text("web01"),
                percent: 100.0,
                hourly: hours(&[100.0; 11]),
            },
        ],
        triage: Triage {
            alerts: 42,
            true_positives: 9,
            false_positives: 20,
            investigating: 3,
            never_judged: 10,
            suppressed: 6,
            suppressions: vec![Suppression {
                rule: text("proc_creation_win_susp_whoami"),
                reason: text("Admin scripts run whoami every minute"),
                by: text("Kiele"),
                at: at(60),
                ended: Some(at(300)),
            }],
        },
        techniques: vec![
            technique("T1190", &["initial_access"], &["s1"], Coverage::Detected),
            technique("T1003.003", &["credential_access"], &["s2"], Coverage::Missed),
            technique(
                "T1078",
                &["defense_evasion", "persistence"],
                &["s7"],
                Coverage::Detected,
            ),
            technique("T1071.001", &["command_and_control"], &["s3"], Coverage::Detected),
            technique("T1074.001", &["collection"], &["s4"], Coverage::Prevented),
            technique("T1041", &["exfiltration"], &["s5"], Coverage::NotRun),
            technique("T1485", &["impact"], &["s6"], Coverage::NotRun),
        ],
        answers: vec![
            Answer {
                question: text("Which technique gave the adversary initial access?"),
                answer: text("Exploitation of the VPN gateway (T1190). We blocked <b>203.0.113.45</b> at the edge"),
                by: text("Kiele"),
                at: at(70),
                points: Some(10),
                max: Some(10),
                why: text("Right technique and source address."),
            },
            Answer {
                question: text("What did the adversary take?"),
                answer: text("Nothing yet, we think"),
                by: text("Dirk"),
                at: at(560),
                points: None,
                max: Some(20),
                why: text("Waiting for the white cell."),
            },
        ],
        reports: vec![
            Report {
                title: text("Initial access via VPN"),
                to: text("National CERT"),
                tlp: text("TLP:AMBER"),
                by: text("Kiele"),
                at: at(60),
                indicators: texts(&["203.0.113.45", "evil.example", "http://evil.example/update.bin"]),
                points: Some(80),
                max: Some(100),
                comment: Some(text("Good and early; the C2 domain lacks its first-seen time.")),
                graded_by: Some(text("Ana (white cell)")),
            },
            Report {
                title: text("Hashes of the dropped tools"),
                to: text("Telecom regulator"),
                tlp: text("TLP:CLEAR"),
                by: text("Dirk"),
                at: at(540),
                indicators: texts(&[SHA256, MD5, "2001:DB8::BAD:1", "the admin workstation"]),
                points: None,
                max: None,
                comment: None,
                graded_by: None,
            },
        ],
        tactics: vec![],
        earlier: vec![],
        lessons: vec![
            Lesson {
                objective: text("O1"),
                kind: LessonKind::Strength,
                text: text("Found the web shell through the queue's filters within the hour"),
                owner: String::new(),
                due: String::new(),
                by: text("White cell"),
            },
            Lesson {
                objective: text("O1"),
                kind: LessonKind::Action,
                text: text("Send the portal's upload log to the SOC <b>before</b> next year"),
                owner: text("Palau CERT"),
                due: text("2026-03-31"),
                by: text("Kiele"),
            },
        ],
        hints: vec![Hint {
            question: text("Which technique gave the adversary initial access?"),
            text: text("Look at the VPN appliance's logs around D1 09:20."),
            by: text("Kiele"),
            at: at(50),
            cost: 20,
        }],
    }
}

fn nauru() -> TeamReport {
    TeamReport {
        id: text("nauru"),
        name: text("Nauru"),
        nation: text("Republic of Nauru"),
        score: Score {
            total: 240,
            possible: 400,
            earned: 250,
            penalty: 10,
            lines: vec![
                line(
                    "detect-vpn",
                    "Detect the VPN exploit within 30 min",
                    100,
                    100,
                    Standing::Earned,
                    &["O1"],
                ),
                line(
                    "detect-ntds",
                    "Detect the NTDS dump within 1 h",
                    80,
                    80,
                    Standing::Earned,
                    &["O1"],
                ),
                line(
                    "restore-mail",
                    "Restore mail within 2 h",
                    0,
                    150,
                    Standing::Missed,
                    &["O2"],
                ),
                line(
                    "report-cert",
                    "Report indicators to the CERT",
                    70,
                    70,
                    Standing::Earned,
                    &["O3"],
                ),
            ],
            adjustments: vec![],
        },
        steps: vec![
            step(
                "s1",
                "Exploit the VPN gateway",
                "T1190",
                "initial_access",
                StepStatus::Ran,
                Some(20),
                Some(40),
                Some(30),
            ),
            step(
                "s2",
                "Dump NTDS",
                "T1003.003",
                "credential_access",
                StepStatus::Ran,
                Some(130),
                Some(150),
                Some(60),
            ),
            // Two steps of one tactic, seen after 10 and 45 min: a median of 27 min 30 s.
            step(
                "s3",
                "Beacon over HTTPS",
                "T1071.001",
                "command_and_control",
                StepStatus::Ran,
                Some(150),
                Some(160),
                None,
            ),
            step(
                "s4",
                "Beacon over DNS",
                "T1071.004",
                "command_and_control",
                StepStatus::Ran,
                Some(200),
                Some(245),
                None,
            ),
        ],
        timeline: vec![
            entry(20, EntryKind::Step, "Exploit the VPN gateway"),
            entry(40, EntryKind::Detection, "VPN exploit seen in the appliance's logs"),
            entry(
                90,
                EntryKind::Report,
                "Report \"VPN compromise\" sent to the National CERT",
            ),
        ],
        availability: vec![],
        triage: Triage {
            alerts: 12,
            true_positives: 4,
            false_positives: 5,
            investigating: 0,
            never_judged: 3,
            suppressed: 0,
            suppressions: vec![],
        },
        techniques: vec![
            technique("T1190", &["initial_access"], &["s1"], Coverage::Detected),
            technique("T1003.003", &["credential_access"], &["s2"], Coverage::Detected),
            technique("T1071.001", &["command_and_control"], &["s3"], Coverage::Detected),
            technique("T1071.004", &["command_and_control"], &["s4"], Coverage::Detected),
        ],
        answers: vec![],
        reports: vec![Report {
            title: text("VPN compromise"),
            to: text("National CERT"),
            tlp: text("TLP:GREEN"),
            by: text("Mere"),
            at: at(90),
            indicators: texts(&["198.51.100.7"]),
            points: Some(70),
            max: Some(70),
            comment: None,
            graded_by: Some(text("Ana (white cell)")),
        }],
        hints: vec![],
        tactics: vec![],
        earlier: vec![],
        lessons: vec![],
    }
}

pub(crate) fn report() -> ExerciseReport {
    ExerciseReport {
        format: FORMAT,
        exercise: text("Pacific Cable Shield 2025"),
        scenario: text("Cable landing station under attack"),
        scenario_version: text("1.2"),
        date: Day::parse("2025-03-10").unwrap(),
        as_of: at(570),
        play_ended: false,
        duration_ms: 960 * MINUTE,
        // Each hour of play; the last closes day 2 rather than opening a day 3.
        ticks: (0..16)
            .map(|h| at(h * 60))
            .chain([Moment {
                ms: 960 * MINUTE,
                label: text("D2 17:00"),
            }])
            .collect(),
        objectives: vec![
            Objective {
                id: text("O1"),
                text: text("Detect the intrusion early"),
            },
            Objective {
                id: text("O2"),
                text: text("Keep government services running"),
            },
            Objective {
                id: text("O3"),
                text: text("Share indicators with the national CERT"),
            },
            Objective {
                id: text("O4"),
                text: text("Brief the minister"),
            },
        ],
        teams: [palau(), nauru()]
            .into_iter()
            .map(|mut team| {
                team.tactics = tactic_figures(&team.steps);
                team
            })
            .collect(),
        feedback: None,
        lessons: vec![Lesson {
            objective: String::new(),
            kind: LessonKind::Action,
            text: text("Run the exercise again next year with the same teams"),
            owner: text("Programme office"),
            due: text("2026-06-30"),
            by: text("Ana (white cell)"),
        }],
    }
}

pub(crate) fn infrastructure() -> Vec<Infrastructure> {
    vec![
        Infrastructure {
            kind: Address::Ipv4,
            value: text("203.0.113.45"),
            name: text("Staging server"),
        },
        Infrastructure {
            kind: Address::Domain,
            value: text("Evil.Example"),
            name: text("C2 domain"),
        },
    ]
}
