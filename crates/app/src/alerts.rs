//! A team's alerts: how a verdict names one, and which alerts a team has.

use std::sync::Arc;

use atoll_exercise::Alert;
use atoll_store::Store;

use crate::App;

/// The rule part of an alert's key in the triage table (the other part is the event's row):
/// the rule's id, or its title when it has none.
pub fn alert_key(a: &Alert) -> String {
    key_of(a).to_owned()
}

pub fn key_of(a: &Alert) -> &str {
    a.rule_id.as_deref().unwrap_or(&a.title)
}

/// The verdict keys for a verdict on team `index`'s alert of rule `key` on event `row`: the
/// alert's own and its twin's ([`atoll_exercise::TeamRuntime::twins`]); none when the team has no such alert.
/// Read off the async workers: it takes the team's lock.
pub async fn marks_of<S: Store>(app: &Arc<App<S>>, index: usize, row: u32, key: &str) -> Vec<(u32, String)> {
    let worker = app.clone();
    let key = key.to_owned();
    tokio::task::spawn_blocking(move || {
        let runtime = worker.live.team(index);
        let alerts = runtime.alerts();
        let Some(i) = alerts.iter().position(|a| a.row == row && key_of(a) == key) else {
            return Vec::new();
        };
        let twin = runtime.twins()[i].map(|t| t as usize);
        std::iter::once(i)
            .chain(twin)
            .map(|i| (alerts[i].row, key_of(&alerts[i]).to_owned()))
            .collect()
    })
    .await
    .unwrap_or_default()
}

/// Whether team `index` has the alert of rule `key` on event `row` (read off the async
/// workers: it takes the team's lock).
pub async fn has_alert<S: Store>(app: &Arc<App<S>>, index: usize, row: u32, key: &str) -> bool {
    let worker = app.clone();
    let key = key.to_owned();
    tokio::task::spawn_blocking(move || {
        worker
            .live
            .team(index)
            .alerts()
            .iter()
            .any(|a| a.row == row && key_of(a) == key)
    })
    .await
    .unwrap_or(false)
}
