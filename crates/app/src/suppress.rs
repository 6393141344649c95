//! A team's suppressions: which alerts each one in force hides.

use std::collections::HashMap;

use std::sync::Arc;

use atoll_exercise::Alert;
use atoll_store::{Store, StoreError, Suppression, User};

use crate::limits::{SUPPRESSION_REASON_CHARS, SUPPRESSION_VALUE_CHARS, SUPPRESSIONS_IN_FORCE, SUPPRESSIONS_STORED};
use crate::{App, Error, Result, clock_now};

/// The suppressions in force, by the rule they name.
#[derive(Debug)]
pub struct InForce<'s>(HashMap<&'s str, Vec<&'s Suppression>>);

impl<'s> InForce<'s> {
    pub fn of(list: &'s [Suppression]) -> InForce<'s> {
        let mut by: HashMap<&str, Vec<&Suppression>> = HashMap::new();
        for s in list.iter().filter(|s| s.ended.is_none()) {
            by.entry(s.rule.as_str()).or_default().push(s);
        }
        InForce(by)
    }

    /// Whether a suppression in force names the rule with this title.
    pub fn names(&self, title: &str) -> bool {
        self.0.contains_key(title)
    }

    /// The suppression that hides `alert`, if one does.
    pub fn hiding(&self, alert: &Alert, store: &atoll_hunt::Store) -> Option<&'s Suppression> {
        self.0
            .get(alert.title.as_str())?
            .iter()
            .find(|s| s.conditions.iter().all(|(f, v)| holds(f, v, alert, store)))
            .copied()
    }
}

pub fn holds(field: &str, value: &str, alert: &Alert, store: &atoll_hunt::Store) -> bool {
    if field == "host" {
        return alert.host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(value));
    }
    store
        .value(alert.row, field)
        .is_some_and(|(_, v)| v.eq_ignore_ascii_case(value))
}

/// A suppression as people read it: `«Rule» on PT-WEB01 where Image = C:\…`.
pub fn describe(s: &Suppression) -> String {
    let mut text = format!("«{}»", s.rule);
    for (field, value) in &s.conditions {
        if field == "host" {
            text.push_str(&format!(" on {value}"));
        } else {
            text.push_str(&format!(" where {field} = {value}"));
        }
    }
    text
}

/// For each suppression in force, the alerts it hides (indexes in `alerts`).
pub fn hidden(list: &[Suppression], alerts: &[Alert], store: &atoll_hunt::Store) -> Vec<(i64, Vec<usize>)> {
    let in_force = InForce::of(list);
    if in_force.0.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<(i64, Vec<usize>)> = list
        .iter()
        .filter(|s| s.ended.is_none())
        .map(|s| (s.id, Vec::new()))
        .collect();
    for (i, a) in alerts.iter().enumerate() {
        if let Some(s) = in_force.hiding(a, store)
            && let Some((_, hidden)) = out.iter_mut().find(|(id, _)| *id == s.id)
        {
            hidden.push(i);
        }
    }
    out
}

/// A suppression as asked for: a rule (by the title its alerts show), optionally a host and
/// one field's value, and why. Empty strings are "not given".
#[derive(Debug, Clone, Default)]
pub struct NewSuppression {
    pub rule: String,
    pub host: String,
    pub field: String,
    pub value: String,
    pub reason: String,
}

/// A suppression as checked: the rule, the (field, value) conditions and the reason.
type Checked = (String, Vec<(String, String)>, String);

/// The rule, the conditions and the reason, or what is wrong, by field.
fn check(asked: &NewSuppression) -> Result<Checked> {
    let rule = asked.rule.trim();
    if rule.is_empty() {
        return Err(Error::invalid("rule", "choose the rule whose alerts to suppress."));
    }
    let reason = asked.reason.trim();
    if reason.chars().count() < 3 || reason.chars().count() > SUPPRESSION_REASON_CHARS {
        return Err(Error::invalid(
            "reason",
            format!("say why, in 3 to {SUPPRESSION_REASON_CHARS} characters (the white cell reads it)."),
        ));
    }
    let mut conditions = Vec::new();
    let host = asked.host.trim();
    if !host.is_empty() {
        if host.chars().count() > 255 || host.chars().any(char::is_control) {
            return Err(Error::invalid("host", "a host name, as the alerts show it."));
        }
        conditions.push(("host".to_owned(), host.to_owned()));
    }
    let (field, value) = (asked.field.trim(), asked.value.trim());
    match (field.is_empty(), value.is_empty()) {
        (true, true) => {}
        (false, true) => {
            return Err(Error::invalid(
                "value",
                format!("give the value of {field} to suppress."),
            ));
        }
        (true, false) => return Err(Error::invalid("field", "name the field the value is of, e.g. Image.")),
        (false, false) => {
            if field.chars().count() > 100 || field.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(Error::invalid(
                    "field",
                    "a field name as the event shows it, e.g. Image.",
                ));
            }
            if field == "host" {
                return Err(Error::invalid("field", "use “Only on host” for the host."));
            }
            if value.chars().count() > SUPPRESSION_VALUE_CHARS || value.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "value",
                    format!("at most {SUPPRESSION_VALUE_CHARS} characters on one line."),
                ));
            }
            conditions.push((field.to_owned(), value.to_owned()));
        }
    }
    Ok((rule.to_owned(), conditions, reason.to_owned()))
}

/// Team `index`'s suppression, made by `user` now: checked (a rule the team has alerts from,
/// and not one that hides every alert the team has), then stored. Returns it as stored.
pub async fn create<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &User,
    asked: NewSuppression,
) -> Result<Suppression> {
    let (rule, conditions, reason) = check(&asked)?;
    // The rule must be one the team has alerts from, and the suppression must leave some of
    // the team's alerts in the queue.
    let worker = app.clone();
    let (rule_known, matches_all) = {
        let rule = rule.clone();
        let conditions = conditions.clone();
        tokio::task::spawn_blocking(move || {
            let runtime = worker.live.team(index);
            let alerts = runtime.alerts();
            let known = alerts.iter().any(|a| a.title == rule);
            let all = !alerts.is_empty()
                && alerts
                    .iter()
                    .all(|a| a.title == rule && conditions.iter().all(|(f, v)| holds(f, v, a, runtime.store())));
            (known, all)
        })
        .await
        .map_err(|_| Error::failed("The server failed while checking the suppression."))?
    };
    if !rule_known {
        return Err(Error::invalid("rule", "choose a rule your team has alerts from."));
    }
    if matches_all {
        return Err(Error::invalid(
            "host",
            "this would hide every alert your team has; narrow it to a host or a field's value.",
        ));
    }
    let team = app.live.team_id(index);
    let at = app.live.now();
    let stored = app
        .db
        .suppress(
            app.live.exercise,
            &team,
            &rule,
            &conditions,
            &reason,
            user.id,
            at,
            clock_now(),
            SUPPRESSIONS_IN_FORCE,
            SUPPRESSIONS_STORED,
        )
        .await;
    match stored {
        Ok(id) => Ok(Suppression {
            id,
            team,
            rule,
            conditions,
            reason,
            username: user.username.clone(),
            at,
            ended: None,
        }),
        Err(StoreError::TooMany) => Err(Error::too_many(
            Some("rule"),
            format!("your team has {SUPPRESSIONS_IN_FORCE} suppressions in force, the most it may; end one first."),
        )),
        Err(StoreError::TooManyStored) => Err(Error::too_many(
            Some("rule"),
            format!(
                "your team has made {SUPPRESSIONS_STORED} suppressions in this exercise, ended ones included, the most it may; \
                 mark alerts false positive instead, or ask the white cell."
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Ends team `index`'s suppression `id` (one in force): its alerts come back to the queue.
pub async fn end<S: Store>(app: &Arc<App<S>>, index: usize, user: &User, id: i64) -> Result<()> {
    let team = app.live.team_id(index);
    let at = app.live.now();
    match app.db.end_suppression(app.live.exercise, &team, id, user.id, at).await {
        Ok(()) => Ok(()),
        Err(StoreError::NoSuppression) => Err(Error::not_found(
            "Your team has no suppression in force with that number.",
        )),
        Err(e) => Err(e.into()),
    }
}
