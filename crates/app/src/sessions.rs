//! Signing in and out: passwords checked with the same work for unknown usernames, failed
//! sign-ins counted in the database per account and per address, and sessions whose token
//! only the browser holds (the database keeps its hash).

use atoll_store::{Store, User};

use crate::accounts::{random_token, token_hash, verify_password};
use crate::{App, Error, Result, clock_now};

/// How long a session lasts: a working day and a half.
pub const SESSION_MS: i64 = 12 * 3_600_000;
/// Failed sign-ins counted over this window…
const FAILURE_WINDOW_MS: i64 = 15 * 60_000;
/// …block an account from one address after this many (so that nobody can lock another
/// person out from elsewhere)…
const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
/// …and an address (a whole classroom may share one) after this many.
const MAX_FAILURES_PER_ADDRESS: u32 = 30;
/// Longest username a sign-in is checked for.
const MAX_USERNAME_CHARS: usize = 200;

/// The hash of a password nobody has, verified against when the username is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Bn7S0i1l3ZQ1xb5pdcJtH4Ug8J4oGZ8Cz0Dk3wX3mWk";

/// Checks `username` and `password`, signing in from `address`. A wrong pair is counted;
/// after too many failures from one address (for the account, or for all) sign-ins are refused
/// for 15 minutes ([`crate::Kind::TooMany`]).
pub async fn sign_in<S: Store>(app: &App<S>, username: &str, password: &str, address: &str) -> Result<User> {
    let username = username.trim();
    if username.chars().count() > MAX_USERNAME_CHARS {
        return Err(Error::invalid("username", "a username is at most 200 characters."));
    }
    // Password checks queue for a permit, and each counts the failures recorded before it,
    // so parallel guesses get no more tries than sequential ones.
    let _permit = app
        .logins
        .acquire()
        .await
        .map_err(|_| Error::unavailable("The server is shutting down."))?;
    let now = clock_now();
    let unreadable = |_| Error::unavailable("The server cannot read its database right now.");
    let (by_account, by_address) = app
        .db
        .login_failures(username, address, now - FAILURE_WINDOW_MS)
        .await
        .map_err(unreadable)?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS {
        return Err(Error::too_many(
            None,
            "Too many failed sign-ins. Wait 15 minutes, or ask an instructor for your password.",
        ));
    }
    let found = app.db.user_by_name(username).await.map_err(unreadable)?;
    // Unknown users cost the same hashing work as known ones, so timing does not tell them apart.
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, DUMMY_HASH.to_owned()),
    };
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    match user.filter(|_| ok) {
        Some(user) => Ok(user),
        None => {
            let _ = app.db.record_login_failure(username, address, now).await;
            Err(Error::unauthorized("Wrong username or password."))
        }
    }
}

/// A new session for `user`; the one the browser presented (perhaps planted) ends. Returns the
/// session's token, for the browser's cookie.
pub async fn start<S: Store>(app: &App<S>, user: &User, presented: Option<&str>) -> Result<String> {
    if let Some(old) = presented {
        let _ = app.db.delete_session(&token_hash(old)).await;
    }
    let token = random_token(32);
    let now = clock_now();
    app.db
        .create_session(&token_hash(&token), user.id, now, now + SESSION_MS)
        .await
        .map_err(|_| Error::unavailable("The server cannot write its database right now."))?;
    Ok(token)
}

/// Ends the session of `token`. A session that could not be forgotten would stay usable by
/// anyone holding its cookie, so a failure is an error, not a shrug.
pub async fn end<S: Store>(app: &App<S>, token: &str) -> Result<()> {
    app.db.delete_session(&token_hash(token)).await.map_err(|_| {
        Error::unavailable(
            "You are still signed in: the server could not write to its database. Try signing out again in a moment.",
        )
    })
}
