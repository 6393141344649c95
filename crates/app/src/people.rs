//! The white cell's people: invitations, the teams an observer follows, ending someone's
//! sessions, and whether the teams see the scoreboard. Every change goes to the audit log.

use atoll_store::{Role, Store, StoreError, User};

use crate::accounts::{random_token, token_hash};
use crate::{App, Error, Result, clock_now};

/// How long an invitation link may work, in hours, with how people say it.
pub const VALIDITY_HOURS: [(u32, &str); 3] = [(1, "1 hour"), (24, "1 day"), (168, "7 days")];

/// An invitation just made. The token is its only copy: the database keeps its hash.
#[derive(Debug)]
pub struct Invitation {
    pub token: String,
    pub role: Role,
    pub team: Option<String>,
    /// Unix milliseconds.
    pub expires: i64,
}

/// Instructor `by` invites someone `as_` (`observer`, or `player:` and a team's id) with a
/// link valid for `hours` (one of [`VALIDITY_HOURS`]).
pub async fn invite<S: Store>(app: &App<S>, by: &User, as_: &str, hours: &str) -> Result<Invitation> {
    let (role, team) = match as_.trim() {
        "observer" => (Role::Observer, None),
        "" => return Err(Error::invalid("as", "choose whom to invite.")),
        value => match value.strip_prefix("player:") {
            Some(team) if app.live.scenario.player_teams().any(|t| t.id.name == team) => {
                (Role::Player, Some(team.to_owned()))
            }
            _ => return Err(Error::invalid("as", "choose a team of this exercise, or observer.")),
        },
    };
    let Some(hours) = hours
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|h| VALIDITY_HOURS.iter().any(|(v, _)| v == h))
    else {
        return Err(Error::invalid("hours", "choose 1 hour, 1 day or 7 days."));
    };
    let token = random_token(16);
    let now = clock_now();
    let expires = now + i64::from(hours) * 3_600_000;
    app.db
        .create_invitation(&token_hash(&token), role, team.as_deref(), by.id, now, expires)
        .await
        .map_err(|_| Error::unavailable("The invitation could not be stored; try again."))?;
    // The link itself is a secret: the log says only whom it invites.
    let detail = match &team {
        Some(t) => format!("invited a player of {t} (link valid {hours} h)"),
        None => format!("invited an observer (link valid {hours} h)"),
    };
    crate::audit::record(app, by, "people.invite", team.as_deref(), &detail).await;
    Ok(Invitation {
        token,
        role,
        team,
        expires,
    })
}

/// Instructor `by` sets the teams observer `user` follows (none: every team).
pub async fn set_follows<S: Store>(app: &App<S>, by: &User, user: i64, teams: &[String]) -> Result<()> {
    if let Some(team) = teams
        .iter()
        .find(|team| !app.live.scenario.player_teams().any(|t| t.id.name == **team))
    {
        return Err(Error::invalid(
            "team",
            format!("`{team}` is not a team of this exercise."),
        ));
    }
    match app.db.set_follows(user, teams).await {
        Ok(()) => {}
        Err(StoreError::Follows) => return Err(Error::invalid("user", "only observers follow chosen teams.")),
        Err(_) => return Err(Error::unavailable("The teams could not be saved; try again.")),
    }
    let name = username(app, user).await;
    let detail = match teams.is_empty() {
        true => format!("observer {name} follows every team"),
        false => format!("observer {name} follows {}", teams.join(", ")),
    };
    crate::audit::record(app, by, "people.follows", None, &detail).await;
    Ok(())
}

/// Instructor `by` ends every session and API token of account `user`: it must sign in again.
pub async fn end_sessions<S: Store>(app: &App<S>, by: &User, user: i64) -> Result<()> {
    let unavailable = || Error::unavailable("The sessions could not be ended; try again.");
    let users = app.db.users().await.map_err(|_| unavailable())?;
    let Some(name) = users.into_iter().find(|u| u.id == user).map(|u| u.username) else {
        return Err(Error::not_found("There is no such account.").at("user"));
    };
    app.db.end_sessions(user).await.map_err(|_| unavailable())?;
    let detail = format!("ended every session and API token of {name}");
    crate::audit::record(app, by, "people.end", None, &detail).await;
    Ok(())
}

/// Instructor `by` shows the scoreboard to the teams, or hides it.
pub async fn show_scoreboard<S: Store>(app: &App<S>, by: &User, shown: bool) -> Result<()> {
    app.db
        .show_scoreboard(app.live.exercise, shown)
        .await
        .map_err(|_| Error::unavailable("The scoreboard setting could not be stored; try again."))?;
    app.live.set_scoreboard_shown(shown);
    let (action, detail) = match shown {
        true => ("scoreboard.show", "showed the scoreboard to the teams"),
        false => ("scoreboard.hide", "hid the scoreboard from the teams"),
    };
    crate::audit::record(app, by, action, None, detail).await;
    Ok(())
}

/// The username of account `id`, for the audit log (its number if it cannot be read).
async fn username<S: Store>(app: &App<S>, id: i64) -> String {
    app.db
        .users()
        .await
        .ok()
        .and_then(|users| users.into_iter().find(|u| u.id == id))
        .map_or_else(|| format!("account {id}"), |u| u.username)
}

/// Someone takes up invitation `token` with a username and a password (typed twice): the
/// account is made as the invitation says, and the invitation is used up. Returns the account.
pub async fn join<S: Store>(app: &App<S>, token: &str, username: &str, password: &str, repeat: &str) -> Result<User> {
    let username = username.trim();
    crate::accounts::check_username(username).map_err(|e| Error::refused(&e))?;
    crate::accounts::check_new_password(password).map_err(|e| Error::refused(&e))?;
    if repeat != password {
        return Err(Error::invalid("password again", "the two passwords differ."));
    }
    // Hashing takes a core for a moment: it queues with sign-ins.
    let _permit = app
        .logins
        .acquire()
        .await
        .map_err(|_| Error::unavailable("The server is shutting down."))?;
    let password = password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || crate::accounts::hash_password(&password))
        .await
        .map_err(|_| Error::failed("The password could not be hashed."))?
        .map_err(|_| Error::failed("The password could not be hashed."))?;
    match app
        .db
        .redeem_invitation(&token_hash(token), username, &password_hash, clock_now())
        .await
    {
        Ok(user) => Ok(user),
        Err(StoreError::Taken(_)) => Err(Error::invalid("username", "taken; choose another.")),
        Err(e @ StoreError::Invitation(_)) => Err(e.into()),
        Err(_) => Err(Error::unavailable("The server cannot write its database right now.")),
    }
}

/// `user` makes a personal API token called `name`, valid for `days` (one of
/// [`crate::accounts::API_TOKEN_DAYS`]). Returns the token: this is its only copy.
pub async fn create_token<S: Store>(app: &App<S>, user: &User, name: &str, days: &str) -> Result<String> {
    use crate::accounts::{API_TOKEN_DAYS, API_TOKENS_MAX, api_token_name, new_api_token};
    let Some(name) = api_token_name(name) else {
        return Err(Error::invalid(
            "name",
            "give the token a name of at most 100 characters, to know it by later.",
        ));
    };
    let Some(lifetime) = days.trim().parse::<i64>().ok().filter(|d| API_TOKEN_DAYS.contains(d)) else {
        return Err(Error::invalid("days", "choose 1, 7, 30 or 90 days."));
    };
    let tokens = app
        .db
        .tokens(user.id)
        .await
        .map_err(|_| Error::unavailable("The server cannot read its database right now."))?;
    if tokens.len() >= API_TOKENS_MAX {
        return Err(Error::too_many(
            Some("name"),
            format!("you have {API_TOKENS_MAX} tokens already; revoke one you no longer use first."),
        ));
    }
    let token = new_api_token();
    let now = clock_now();
    app.db
        .create_token(user.id, name, &token_hash(&token), now, now + lifetime * 86_400_000)
        .await
        .map_err(|_| Error::unavailable("The token could not be stored; try again."))?;
    Ok(token)
}

/// `user` revokes their API token `id`.
pub async fn revoke_token<S: Store>(app: &App<S>, user: &User, id: i64) -> Result<()> {
    match app.db.revoke_token(user.id, id).await {
        Ok(()) => Ok(()),
        Err(StoreError::NoToken) => Err(Error::not_found("No such API token of yours.")),
        Err(_) => Err(Error::unavailable("The token could not be revoked; try again.")),
    }
}
