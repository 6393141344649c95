//! The white cell's people: invitations (one at a time, or a whole team's at once; revoked
//! while unused), the teams an observer follows, ending someone's sessions, and whether the
//! teams see the scoreboard. Every change goes to the audit log.

use atoll_store::{Role, Store, StoreError, Unusable, User};

use crate::accounts::{random_token, token_hash};
use crate::limits::{OPEN_INVITATIONS_MAX, TEAM_INVITATIONS_MAX};
use crate::{App, Error, Result, clock_now};

/// How long an invitation link may work, in hours, with how people say it.
pub const VALIDITY_HOURS: [(u32, &str); 3] = [(1, "1 hour"), (24, "1 day"), (168, "7 days")];

/// An invitation just made. The token is its only copy: the database keeps its hash.
#[derive(Debug)]
pub struct Invitation {
    pub id: i64,
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
            Some(team) if is_team(app, team) => (Role::Player, Some(team.to_owned())),
            _ => return Err(Error::invalid("as", "choose a team of this exercise, or observer.")),
        },
    };
    let hours = validity(hours)?;
    let mut made = make(app, role, team.as_deref(), by, hours, 1, "as").await?;
    // The link itself is a secret: the log says only whom it invites.
    let detail = match &team {
        Some(t) => format!("invited a player of {t} (link valid {hours} h)"),
        None => format!("invited an observer (link valid {hours} h)"),
    };
    crate::audit::record(app, by, "people.invite", team.as_deref(), &detail).await;
    Ok(made.remove(0))
}

/// Instructor `by` invites `players` players (1 to [`TEAM_INVITATIONS_MAX`]) of team `team`
/// at once: one link each, valid for `hours` (one of [`VALIDITY_HOURS`]), all stored or none.
pub async fn invite_team<S: Store>(
    app: &App<S>,
    by: &User,
    team: &str,
    players: &str,
    hours: &str,
) -> Result<Vec<Invitation>> {
    let team = team.trim();
    if !is_team(app, team) {
        return Err(Error::invalid("team", "choose a team of this exercise."));
    }
    let Some(players) = players
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=TEAM_INVITATIONS_MAX).contains(n))
    else {
        return Err(Error::invalid(
            "players",
            format!("give a number of players from 1 to {TEAM_INVITATIONS_MAX}."),
        ));
    };
    let hours = validity(hours)?;
    let made = make(app, Role::Player, Some(team), by, hours, players, "players").await?;
    let detail = format!(
        "invited {players} player{} of {team} at once (links valid {hours} h)",
        if players == 1 { "" } else { "s" }
    );
    crate::audit::record(app, by, "people.invite", Some(team), &detail).await;
    Ok(made)
}

fn is_team<S>(app: &App<S>, team: &str) -> bool {
    app.live.scenario.player_teams().any(|t| t.id.name == team)
}

/// The hours of a link's validity, one of [`VALIDITY_HOURS`].
fn validity(hours: &str) -> Result<u32> {
    hours
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|h| VALIDITY_HOURS.iter().any(|(v, _)| v == h))
        .ok_or_else(|| Error::invalid("hours", "choose 1 hour, 1 day or 7 days."))
}

/// Stores `n` invitations alike, by `by`, or none if that would leave more than
/// [`OPEN_INVITATIONS_MAX`] open (refused at `field`, the one that asked for them).
async fn make<S: Store>(
    app: &App<S>,
    role: Role,
    team: Option<&str>,
    by: &User,
    hours: u32,
    n: u32,
    field: &str,
) -> Result<Vec<Invitation>> {
    let tokens: Vec<String> = (0..n).map(|_| random_token(16)).collect();
    let hashes: Vec<Vec<u8>> = tokens.iter().map(|t| token_hash(t)).collect();
    let now = clock_now();
    let expires = now + i64::from(hours) * 3_600_000;
    let stored = app
        .db
        .create_invitations(&hashes, role, team, by.id, now, expires, OPEN_INVITATIONS_MAX)
        .await
        .map_err(|_| Error::unavailable("The invitations could not be stored; try again."))?;
    let ids = match stored {
        Ok(ids) => ids,
        Err(open) => {
            return Err(Error::too_many(
                Some(field),
                format!(
                    "{open} invitation links are open already (unused and unexpired) and at most \
                     {OPEN_INVITATIONS_MAX} may be open at once, so {n} more cannot be made. Revoke links \
                     nobody will use, or wait for them to expire."
                ),
            ));
        }
    };
    Ok(ids
        .into_iter()
        .zip(tokens)
        .map(|(id, token)| Invitation {
            id,
            token,
            role,
            team: team.map(str::to_owned),
            expires,
        })
        .collect())
}

/// Instructor `by` revokes invitation `id` before anyone uses it: its link no longer works.
/// Returns the invitation as it now stands.
pub async fn revoke_invitation<S: Store>(app: &App<S>, by: &User, id: i64) -> Result<atoll_store::Invitation> {
    let revoked = match app.db.revoke_invitation(id, by.id, clock_now()).await {
        Ok(revoked) => revoked,
        Err(StoreError::Invitation(why)) => {
            let message = match why {
                Unusable::Unknown => return Err(Error::not_found("There is no such invitation.").at("invitation")),
                Unusable::Used => "it has been used already; end the account's sessions instead if need be.",
                Unusable::Expired => "it has expired already; its link no longer works.",
                Unusable::Revoked => "it was revoked already.",
            };
            return Err(Error::conflict(format!("This invitation cannot be revoked: {message}")).at("invitation"));
        }
        Err(_) => return Err(Error::unavailable("The invitation could not be revoked; try again.")),
    };
    let detail = match &revoked.team {
        Some(t) => format!(
            "revoked an unused invitation for a player of {t}, made by {}",
            revoked.created_by
        ),
        None => format!(
            "revoked an unused invitation for an observer, made by {}",
            revoked.created_by
        ),
    };
    crate::audit::record(app, by, "people.revoke", revoked.team.as_deref(), &detail).await;
    Ok(revoked)
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
    crate::accounts::check_new_password(password, username).map_err(|e| Error::refused(&e))?;
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
    use crate::accounts::{API_TOKEN_DAYS, api_token_name, new_api_token};
    use crate::limits::API_TOKENS_MAX;
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
