//! A team's saved searches: a hunt kept by name. Saving a name again replaces its query.

use atoll_store::{AtMost, Store, StoreError, User};

use crate::limits::{SEARCH_NAME_CHARS, TEAM_SEARCHES, USER_SEARCHES};
use crate::{App, Error, Result, clock_now};

/// What is wrong with a search to save, by field (`name`, `q`).
fn check(name: &str, query: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > SEARCH_NAME_CHARS {
        return Err(Error::invalid(
            "name",
            format!("give the search a name of at most {SEARCH_NAME_CHARS} characters"),
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
        .save_search(
            app.live.exercise,
            &team,
            name,
            query,
            user.id,
            clock_now(),
            AtMost {
                all: TEAM_SEARCHES,
                user: USER_SEARCHES,
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::TooMany => Error::too_many(
                Some("name"),
                format!("your team keeps {TEAM_SEARCHES} saved searches, the most it may; delete one it no longer needs, or save under a name it has."),
            ),
            StoreError::TooManyOfUser => Error::too_many(
                Some("name"),
                format!("you have saved {USER_SEARCHES} searches, the most one person may; delete one you no longer need, or save under a name you have."),
            ),
            _ => Error::unavailable("The search could not be saved right now; try again."),
        })
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
