//! The white cell's audit log: every clock change, inject and message sent, step changed,
//! grade given, rule switched, scoreboard shown and change to people, with who and when,
//! stored append-only ([`atoll_store::Store::audit`]).

use atoll_store::{Audited, Store, User};

use crate::{App, clock_now};

/// Appends what `user` just did to the log, at the exercise time now. The action is done
/// already: an entry that cannot be stored is logged as an error, not undone.
pub async fn record<S: Store>(app: &App<S>, user: &User, action: &str, team: Option<&str>, detail: &str) {
    let entry = Audited {
        user: user.id,
        at: app.live.now(),
        action,
        team,
        detail,
    };
    if let Err(e) = app.db.audit(app.live.exercise, entry, clock_now()).await {
        tracing::error!(action, team, error = %e, "an audit log entry could not be stored");
    }
}
