//! A team's saved searches: a hunt kept by name. Saving a name again replaces its query.

use atoll_store::{Store, StoreError, User};

use crate::{App, Error, Result, clock_now};

/// The longest name a saved search may have.
pub const MAX_NAME_CHARS: usize = 80;

/// What is wrong with a search to save, by field (`name`, `q`).
fn check(name: &str, query: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(
            "name",
            format!("give the search a name of at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if query.trim().is_empty() {
        return Err(Error::invalid("q", "there is no search to save; run one first"));
    }
    if query.chars().count() > atoll_hunt::query::MAX_QUERY_CHARS {
        return Err(Error::invalid("q", "a query is at most 10,000 characters"));
    }
    atoll_hunt::Query::parse(query)
        .map(|_| ())
        .map_err(|e| Error::invalid("q", e.pointed(query)))
}

/// `user` saves hunt `query` for team `index` under `name`.
pub async fn save<S: Store>(app: &App<S>, index: usize, user: &User, name: &str, query: &str) -> Result<()> {
    let name = name.trim();
    check(name, query)?;
    let team = app.live.team_id(index);
    app.db
        .save_search(app.live.exercise, &team, name, query, user.id, clock_now())
        .await
        .map_err(|_| Error::unavailable("The search could not be saved right now; try again."))
}

/// Deletes team `index`'s saved search `id`.
pub async fn delete<S: Store>(app: &App<S>, index: usize, id: i64) -> Result<()> {
    let team = app.live.team_id(index);
    match app.db.delete_search(app.live.exercise, &team, id).await {
        Ok(()) => Ok(()),
        Err(StoreError::NoSearch) => Err(Error::not_found("Your team has no such saved search.")),
        Err(_) => Err(Error::unavailable(
            "The search could not be deleted right now; try again.",
        )),
    }
}
