//! What the team does (response actions), what the exercise tells the world (a step was
//! detected, an inject delivered, a question answered, a decision taken) and what the white
//! cell does to one team's campaign (run a step now, skip it, delay it), each at an exercise
//! time. `atoll simulate --actions FILE` reads them as JSON lines:
//!
//! ```text
//! {"at": "D1 10:05", "team": "palau", "action": "isolate_host", "host": "pw-tel-web01"}
//! {"at": "+3h", "team": "palau", "action": "block_address", "address": "203.0.113.45"}
//! {"at": "D1 11:00", "team": "palau", "action": "detected", "step": "vt-edge-exploit"}
//! {"at": "D1 11:00", "team": "palau", "action": "delay_step", "step": "vt-stage", "by": "1h"}
//! ```

use atoll_scenario::Scenario;
use atoll_scenario::time::{ClockTime, Duration};
use serde_json::{Map, Value};

use crate::clock::{Clock, Millis};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    /// Cut a host off the network (EDR isolation / switch port shut).
    IsolateHost(String),
    /// Put an isolated host back on the network.
    ReleaseHost(String),
    /// Block an address at the perimeter.
    BlockAddress(String),
    /// Block a domain (and its subdomains) at the resolver and proxy.
    BlockDomain(String),
    DisableAccount(String),
    EnableAccount(String),
    ResetPassword(String),
    /// Kill a running process on a host (an implant comes back if it has persistence).
    KillProcess {
        host: String,
        image: String,
    },
    /// Wipe and rebuild a host: down for four hours, then clean.
    ReimageHost(String),
    /// Restore a host from its last backup: down for two hours, then clean.
    RestoreBackup(String),
    /// Patch a host: a reboot of twenty minutes; exploits of its software stop working.
    PatchHost(String),
    /// Shut a host down.
    ShutdownHost(String),
    StartHost(String),
    StopService(String),
    /// Start a stopped service, or restore one the adversary degraded.
    StartService(String),
    /// The team detected a step (from the exercise: an alert on its events, or a report).
    Detected(String),
    /// The exercise delivered an inject to the team.
    Delivered(String),
    /// The team answered a question.
    Answered(String),
    /// The team chose an option of a decision.
    Chose {
        decision: String,
        option: String,
    },
    /// The white cell runs a campaign step now, if it has not come due yet.
    RunStep(String),
    /// The white cell takes a step out of the campaign: it never runs and leaves no trace,
    /// and later steps go on as if it had (those that require it still run).
    SkipStep(String),
    /// The white cell puts a step that has not come due off by this long.
    DelayStep {
        step: String,
        by: Millis,
    },
}

/// The reason a step skipped by the white cell gives as its outcome.
pub const SKIPPED: &str = "skipped by the white cell";

/// The actions the white cell takes on the campaign, not the team: a team never sees them.
pub const WHITE_CELL_ACTIONS: &[&str] = &["run_step", "skip_step", "delay_step"];

impl ActionKind {
    pub fn name(&self) -> &'static str {
        match self {
            ActionKind::IsolateHost(_) => "isolate_host",
            ActionKind::ReleaseHost(_) => "release_host",
            ActionKind::BlockAddress(_) => "block_address",
            ActionKind::BlockDomain(_) => "block_domain",
            ActionKind::DisableAccount(_) => "disable_account",
            ActionKind::EnableAccount(_) => "enable_account",
            ActionKind::ResetPassword(_) => "reset_password",
            ActionKind::KillProcess { .. } => "kill_process",
            ActionKind::ReimageHost(_) => "reimage_host",
            ActionKind::RestoreBackup(_) => "restore_backup",
            ActionKind::PatchHost(_) => "patch_host",
            ActionKind::ShutdownHost(_) => "shutdown_host",
            ActionKind::StartHost(_) => "start_host",
            ActionKind::StopService(_) => "stop_service",
            ActionKind::StartService(_) => "start_service",
            ActionKind::Detected(_) => "detected",
            ActionKind::Delivered(_) => "delivered",
            ActionKind::Answered(_) => "answered",
            ActionKind::Chose { .. } => "chose",
            ActionKind::RunStep(_) => "run_step",
            ActionKind::SkipStep(_) => "skip_step",
            ActionKind::DelayStep { .. } => "delay_step",
        }
    }
}

/// Every action word, with the fields it needs.
pub const ACTIONS: &[(&str, &[&str])] = &[
    ("isolate_host", &["host"]),
    ("release_host", &["host"]),
    ("block_address", &["address"]),
    ("block_domain", &["domain"]),
    ("disable_account", &["account"]),
    ("enable_account", &["account"]),
    ("reset_password", &["account"]),
    ("kill_process", &["host", "image"]),
    ("reimage_host", &["host"]),
    ("restore_backup", &["host"]),
    ("patch_host", &["host"]),
    ("shutdown_host", &["host"]),
    ("start_host", &["host"]),
    ("stop_service", &["service"]),
    ("start_service", &["service"]),
    ("detected", &["step"]),
    ("delivered", &["inject"]),
    ("answered", &["question"]),
    ("chose", &["decision", "option"]),
    ("run_step", &["step"]),
    ("skip_step", &["step"]),
    ("delay_step", &["step", "by"]),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Exercise time.
    pub at: Millis,
    pub team: String,
    pub kind: ActionKind,
    /// 1-based line in the file it came from (0 when built in code).
    pub line: usize,
}

/// A problem in an actions file: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ActionError {
    pub fn render(&self, file: &str) -> String {
        format!("{file}:{}:{}: error: {}", self.line, self.column, self.message)
    }
}

fn text<'a>(obj: &'a Map<String, Value>, key: &str, line: usize, column: usize) -> Result<&'a str, ActionError> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(other) => Err(ActionError {
            line,
            column,
            message: format!("field `{key}` must be a non-empty text, found {other}"),
        }),
        None => Err(ActionError {
            line,
            column,
            message: format!("field `{key}` is missing"),
        }),
    }
}

/// Reads actions, one JSON object per line (blank lines and lines starting with `#` are
/// skipped), checking every name against the scenario. All problems are reported.
pub fn parse(text_in: &str, scenario: &Scenario, clock: &Clock) -> Result<Vec<Action>, Vec<ActionError>> {
    let mut actions = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text_in.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let column = raw.len() - raw.trim_start().len() + 1;
        match parse_line(trimmed, line, column, scenario, clock) {
            Ok(a) => actions.push(a),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        // Stable: actions at the same time keep their file order.
        actions.sort_by_key(|a| a.at);
        Ok(actions)
    } else {
        Err(errors)
    }
}

fn parse_line(s: &str, line: usize, column: usize, scenario: &Scenario, clock: &Clock) -> Result<Action, ActionError> {
    let value: Value = serde_json::from_str(s).map_err(|e| ActionError {
        line,
        column: column + e.column().saturating_sub(1),
        message: format!("not a JSON object: {e}"),
    })?;
    let Value::Object(obj) = value else {
        return Err(ActionError {
            line,
            column,
            message: "each line must be one JSON object such as {\"at\": \"D1 10:00\", \"team\": \"…\", \"action\": \"isolate_host\", \"host\": \"…\"}".into(),
        });
    };
    let err = |message: String| ActionError { line, column, message };
    let word = text(&obj, "action", line, column)?;
    let Some((_, needs)) = ACTIONS.iter().find(|(w, _)| *w == word) else {
        let words: Vec<&str> = ACTIONS.iter().map(|(w, _)| *w).collect();
        return Err(err(format!(
            "field `action`: `{word}` is not an action; one of: {}",
            words.join(", ")
        )));
    };
    for key in obj.keys() {
        if key != "at" && key != "team" && key != "action" && key != "note" && !needs.contains(&key.as_str()) {
            return Err(err(format!(
                "field `{key}` is not used by `{word}`, which takes: at, team, {}",
                needs.join(", ")
            )));
        }
    }
    let at_text = text(&obj, "at", line, column)?;
    let at = ClockTime::parse(at_text).map_err(|e| err(format!("field `at`: {}", e.message)))?;
    let at = clock.offset(&at);
    if at < 0 {
        return Err(err(format!("field `at`: `{at_text}` is before the exercise starts")));
    }
    let team = text(&obj, "team", line, column)?.to_string();
    if !scenario.player_teams().any(|t| t.id.name == team) {
        let teams: Vec<&str> = scenario.player_teams().map(|t| t.id.name.as_str()).collect();
        return Err(err(format!(
            "field `team`: no player team `{team}`; teams: {}",
            teams.join(", ")
        )));
    }
    let w = &scenario.world;
    let team_orgs = scenario.team_organisations(&team);
    let in_team_network = |net: &str| {
        w.networks
            .iter()
            .any(|n| n.id.name == net && team_orgs.contains(&n.organisation.name.as_str()))
    };
    let host = |key: &str| -> Result<String, ActionError> {
        let id = text(&obj, key, line, column)?;
        // A host by its id or, as teams see it on their screens, by its host name.
        let own = |h: &&atoll_scenario::model::Host| in_team_network(&h.network.name);
        // A host by its id, its host name (any case) or its address, as pages and logs show it.
        let id = id.trim();
        let by_id = w.hosts.iter().filter(own).find(|h| h.id.name == id);
        let found = by_id
            .or_else(|| w.hosts.iter().filter(own).find(|h| h.hostname.eq_ignore_ascii_case(id)))
            .or_else(|| {
                w.hosts
                    .iter()
                    .filter(own)
                    .find(|h| id.parse::<std::net::IpAddr>().is_ok_and(|ip| h.address.0 == ip))
            });
        match found {
            Some(h) => Ok(h.id.name.clone()),
            None => {
                let names = w.hosts.iter().filter(own).map(|h| h.hostname.as_str());
                let example = format!(
                    "give a host name such as `{}`, its address, or its id",
                    w.hosts.iter().find(own).map_or("", |h| h.hostname.as_str())
                );
                let hint = match crate::targets::closest(id, names) {
                    Some(name) => format!("did you mean `{name}`? {example}"),
                    None => example,
                };
                Err(err(format!("field `{key}`: team `{team}` has no host `{id}` ({hint})")))
            }
        }
    };
    let account = |key: &str| -> Result<String, ActionError> {
        let id = text(&obj, key, line, column)?.trim();
        let own: Vec<&atoll_scenario::model::Account> = w
            .accounts
            .iter()
            .filter(|a| team_orgs.contains(&a.organisation.name.as_str()))
            .collect();
        let domain_of = |a: &atoll_scenario::model::Account| {
            w.organisations
                .iter()
                .find(|o| o.id.name == a.organisation.name)
                .and_then(|o| o.domain.as_deref())
        };
        match crate::targets::account(id, &own, domain_of) {
            Ok(a) => Ok(a.id.name.clone()),
            Err(crate::targets::NotOne::Several(names)) => Err(err(format!(
                "field `{key}`: `{id}` could be any of {} in team `{team}`; give it with its domain",
                names.join(", ")
            ))),
            Err(crate::targets::NotOne::None) => {
                let hint = match crate::targets::closest(id, own.iter().map(|a| a.username.as_str())) {
                    Some(name) => format!(" (did you mean `{name}`?)"),
                    None => String::new(),
                };
                Err(err(format!("field `{key}`: team `{team}` has no account `{id}`{hint}")))
            }
        }
    };
    let service = |key: &str| -> Result<String, ActionError> {
        let id = text(&obj, key, line, column)?.trim();
        // A service by its id or by its name as the network page shows it (any case).
        let own = || {
            w.services
                .iter()
                .filter(|s| team_orgs.contains(&s.organisation.name.as_str()))
        };
        let found = own()
            .find(|s| s.id.name == id)
            .or_else(|| own().find(|s| s.name.get("en").eq_ignore_ascii_case(id)));
        match found {
            Some(s) => Ok(s.id.name.clone()),
            None => {
                let hint = match crate::targets::closest(id, own().map(|s| s.name.get("en"))) {
                    Some(name) => format!(" (did you mean `{name}`?)"),
                    None => String::new(),
                };
                Err(err(format!("field `{key}`: team `{team}` has no service `{id}`{hint}")))
            }
        }
    };
    let step = |key: &str| -> Result<String, ActionError> {
        let id = text(&obj, key, line, column)?;
        if scenario
            .campaigns
            .iter()
            .flat_map(|c| &c.steps)
            .any(|s| s.id.name == id)
        {
            Ok(id.to_string())
        } else {
            Err(err(format!("field `{key}`: no campaign step `{id}`")))
        }
    };
    let kind = match word {
        "isolate_host" => ActionKind::IsolateHost(host("host")?),
        "release_host" => ActionKind::ReleaseHost(host("host")?),
        "block_address" => {
            let a = text(&obj, "address", line, column)?;
            a.parse::<std::net::IpAddr>()
                .map_err(|_| err(format!("field `address`: `{a}` is not an IP address")))?;
            ActionKind::BlockAddress(a.to_string())
        }
        "block_domain" => {
            let d = text(&obj, "domain", line, column)?;
            if d.contains(['/', ' ', ':']) || !d.contains('.') {
                return Err(err(format!(
                    "field `domain`: `{d}` is not a domain name such as `update.example.com`"
                )));
            }
            ActionKind::BlockDomain(d.trim_end_matches('.').to_ascii_lowercase())
        }
        "disable_account" => ActionKind::DisableAccount(account("account")?),
        "enable_account" => ActionKind::EnableAccount(account("account")?),
        "reset_password" => ActionKind::ResetPassword(account("account")?),
        "kill_process" => ActionKind::KillProcess {
            host: host("host")?,
            image: text(&obj, "image", line, column)?.to_string(),
        },
        "reimage_host" => ActionKind::ReimageHost(host("host")?),
        "restore_backup" => ActionKind::RestoreBackup(host("host")?),
        "patch_host" => ActionKind::PatchHost(host("host")?),
        "shutdown_host" => ActionKind::ShutdownHost(host("host")?),
        "start_host" => ActionKind::StartHost(host("host")?),
        "stop_service" => ActionKind::StopService(service("service")?),
        "start_service" => ActionKind::StartService(service("service")?),
        "detected" => ActionKind::Detected(step("step")?),
        "run_step" => ActionKind::RunStep(step("step")?),
        "skip_step" => ActionKind::SkipStep(step("step")?),
        "delay_step" => {
            let by = text(&obj, "by", line, column)?;
            let by = Duration::parse(by).map_err(|e| err(format!("field `by`: {}", e.message)))?;
            if by.as_secs() == 0 {
                return Err(err("field `by`: a delay must be longer than zero".into()));
            }
            ActionKind::DelayStep {
                step: step("step")?,
                by: by.as_secs().saturating_mul(1000),
            }
        }
        "delivered" => {
            let id = text(&obj, "inject", line, column)?;
            if !scenario.injects.iter().any(|i| i.id.name == id) {
                return Err(err(format!("field `inject`: no inject `{id}`")));
            }
            ActionKind::Delivered(id.to_string())
        }
        "answered" => {
            let id = text(&obj, "question", line, column)?;
            if !scenario.questions.iter().any(|q| q.id.name == id) {
                return Err(err(format!("field `question`: no question `{id}`")));
            }
            ActionKind::Answered(id.to_string())
        }
        _ => {
            let d = text(&obj, "decision", line, column)?;
            let o = text(&obj, "option", line, column)?;
            let Some(decision) = scenario.decisions.iter().find(|x| x.id.name == d) else {
                return Err(err(format!("field `decision`: no decision `{d}`")));
            };
            if !decision.options.iter().any(|x| x.id.name == o) {
                return Err(err(format!("field `option`: decision `{d}` has no option `{o}`")));
            }
            ActionKind::Chose {
                decision: d.to_string(),
                option: o.to_string(),
            }
        }
    };
    Ok(Action {
        at: at as Millis,
        team,
        kind,
        line,
    })
}
