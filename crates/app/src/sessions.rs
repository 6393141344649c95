//! Signing in and out: passwords checked with the same work for unknown usernames, failed
//! sign-ins counted in the database per account and per address, and sessions whose token
//! only the browser holds (the database keeps its hash). Each session is labelled with the
//! kind of device it was signed in from ([`device_label`]: a few words from a fixed list,
//! never the browser's User-Agent itself), and a user keeps at most [`SESSIONS_PER_USER`]:
//! signing in again ends the oldest.

use atoll_store::{Store, User};

use crate::accounts::{random_token, token_hash, verify_password};
use crate::limits::SESSIONS_PER_USER;
use crate::{App, Error, Result, clock_now};

/// How long a session lasts: a working day and a half.
pub const SESSION_MS: i64 = 12 * 3_600_000;
/// Failed sign-ins are counted over this window (also the longest delay they cause).
const FAILURE_WINDOW_MS: i64 = 15 * 60_000;
/// Failures of one account, from any address, that cost no delay; then 30 s, 1 min, 2 min, …
const FREE_PER_ACCOUNT: u32 = 5;
const FIRST_ACCOUNT_DELAY_MS: i64 = 30_000;
/// Failures from one address (a whole classroom may share one), for any account, that cost no
/// delay; then 10 s, 20 s, 40 s, …
const FREE_PER_ADDRESS: u32 = 30;
const FIRST_ADDRESS_DELAY_MS: i64 = 10_000;
/// Longest username a sign-in is checked for.
const MAX_USERNAME_CHARS: usize = 200;

/// The hash of a password nobody has, verified against when the username is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Bn7S0i1l3ZQ1xb5pdcJtH4Ug8J4oGZ8Cz0Dk3wX3mWk";

/// Checks `username` and `password`, signing in from `address` (an [`address_key`]). Every
/// try is counted before its password is checked (and forgotten when it proves right), one at
/// a time, so parallel guesses get no more tries than sequential ones. An account's failures
/// from any address, and an address's for any account, cost nothing up to a number; after
/// that each further try waits for a delay that doubles with every failure, up to the
/// 15-minute window ([`crate::Kind::TooMany`], saying how long): guessing slows to a crawl,
/// while a classroom behind one address, or a player who mistyped, waits seconds, not a
/// quarter of an hour.
pub async fn sign_in<S: Store>(app: &App<S>, username: &str, password: &str, address: &str) -> Result<User> {
    let username = username.trim();
    if username.chars().count() > MAX_USERNAME_CHARS {
        return Err(Error::invalid("username", "a username is at most 200 characters."));
    }
    let now = clock_now();
    let unreadable = |_| Error::unavailable("The server cannot read its database right now.");
    let attempt = {
        let _gate = app.login_gate.lock().await;
        let f = app
            .db
            .login_failures(username, address, now - FAILURE_WINDOW_MS)
            .await
            .map_err(unreadable)?;
        let until = (f.account_last + delay(f.account, FREE_PER_ACCOUNT, FIRST_ACCOUNT_DELAY_MS))
            .max(f.address_last + delay(f.address, FREE_PER_ADDRESS, FIRST_ADDRESS_DELAY_MS));
        if now < until {
            return Err(Error::too_many(
                None,
                format!(
                    "Too many failed sign-ins. Try again in {}, or ask an instructor for your password.",
                    wait_text(until - now)
                ),
            ));
        }
        app.db
            .record_login_failure(username, address, now)
            .await
            .map_err(|_| Error::unavailable("The server cannot write its database right now."))?
    };
    // Password checks queue for a core.
    let _permit = app
        .logins
        .acquire()
        .await
        .map_err(|_| Error::unavailable("The server is shutting down."))?;
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
        Some(user) => {
            let _ = app.db.forget_login_failure(attempt).await;
            Ok(user)
        }
        None => Err(Error::unauthorized("Wrong username or password.")),
    }
}

/// How long after the latest of `failures` the next try must wait: nothing while there are
/// fewer than `free`, then `first`, doubling with each failure, up to the window.
fn delay(failures: u32, free: u32, first: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = (failures - free).min(20);
    (first << doublings).min(FAILURE_WINDOW_MS)
}

/// A wait as people say it: `40 seconds`, `2 minutes`.
fn wait_text(ms: i64) -> String {
    let secs = (ms + 999) / 1000;
    match secs {
        1 => "1 second".to_owned(),
        s if s < 90 => format!("{s} seconds"),
        s => format!("{} minutes", (s + 59) / 60),
    }
}

/// The address sign-in failures are counted by: an IPv4 address as it is, an IPv6 one by its
/// /64 network (one machine may use any address of its network), an IPv4-mapped one as IPv4.
pub fn address_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// A new session for `user`, signed in with the browser of `user_agent`; the one the browser
/// presented (perhaps planted) ends, and so do the user's oldest beyond
/// [`SESSIONS_PER_USER`]. Returns the session's token, for the browser's cookie.
pub async fn start<S: Store>(
    app: &App<S>,
    user: &User,
    presented: Option<&str>,
    user_agent: Option<&str>,
) -> Result<String> {
    if let Some(old) = presented {
        let _ = app.db.delete_session(&token_hash(old)).await;
    }
    let token = random_token(32);
    let now = clock_now();
    let device = device_label(user_agent.unwrap_or_default());
    app.db
        .create_session(
            &token_hash(&token),
            user.id,
            &device,
            now,
            now + SESSION_MS,
            SESSIONS_PER_USER,
        )
        .await
        .map_err(|_| Error::unavailable("The server cannot write its database right now."))?;
    Ok(token)
}

/// `user` ends their session `id`, one of their other devices'. The session of `current` (the
/// token this request came with) is not ended this way: signing out does that.
pub async fn end_other<S: Store>(app: &App<S>, user: &User, id: i64, current: Option<&str>) -> Result<()> {
    let unavailable = || Error::unavailable("The session could not be ended; try again.");
    if let Some(current) = current {
        let this = app
            .db
            .session_id(&token_hash(current), clock_now())
            .await
            .map_err(|_| unavailable())?;
        if this == Some(id) {
            return Err(Error::invalid(
                "session",
                "this is the session of the device you are using; sign out to end it.",
            ));
        }
    }
    match app.db.end_session(user.id, id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::not_found("No such session of yours; it may have ended already.").at("session")),
        Err(_) => Err(unavailable()),
    }
}

/// What a session was signed in with, in a few words for its user and the white cell:
/// "Firefox on Windows", "Chrome on Android", "Safari on iPhone", or "Other browser". Made from
/// a fixed list of names, so nothing of the User-Agent itself is ever kept.
pub fn device_label(user_agent: &str) -> String {
    let has = |needle: &str| user_agent.contains(needle);
    // Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari", and iPhones
    // "like Mac OS X".
    let browser = if has("Edg/") || has("EdgA/") || has("EdgiOS/") || has("Edge/") {
        Some("Edge")
    } else if has("OPR/") || has("Opera") {
        Some("Opera")
    } else if has("Firefox/") || has("FxiOS/") {
        Some("Firefox")
    } else if has("Chrome/") || has("CriOS/") || has("Chromium/") {
        Some("Chrome")
    } else if has("Safari/") && has("Version/") {
        Some("Safari")
    } else {
        None
    };
    let system = if has("iPhone") {
        Some("iPhone")
    } else if has("iPad") {
        Some("iPad")
    } else if has("Android") {
        Some("Android")
    } else if has("Windows") {
        Some("Windows")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Macintosh") || has("Mac OS X") {
        Some("macOS")
    } else if has("Linux") {
        Some("Linux")
    } else {
        None
    };
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, _) => "Other browser".to_owned(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_named_by_its_browser_and_system_only() {
        for (user_agent, label) in [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Windows",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1",
                "Chrome on iPhone",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) Chrome/126.0.0.0",
                "Chrome on ChromeOS",
            ),
            ("Firefox/128.0", "Firefox"),
            ("curl/8.5.0", "Other browser"),
            ("", "Other browser"),
            ("Mozilla/5.0 (Android; <script>) Secret/1", "Other browser"),
        ] {
            assert_eq!(device_label(user_agent), label, "{user_agent}");
        }
    }

    #[test]
    fn failures_cost_a_delay_that_doubles_up_to_the_window() {
        assert_eq!(delay(4, 5, 30_000), 0);
        assert_eq!(delay(5, 5, 30_000), 30_000);
        assert_eq!(delay(6, 5, 30_000), 60_000);
        assert_eq!(delay(9, 5, 30_000), 480_000);
        assert_eq!(delay(10, 5, 30_000), FAILURE_WINDOW_MS);
        assert_eq!(delay(u32::MAX, 5, 30_000), FAILURE_WINDOW_MS);
        assert_eq!(wait_text(1), "1 second");
        assert_eq!(wait_text(29_500), "30 seconds");
        assert_eq!(wait_text(240_000), "4 minutes");
    }

    #[test]
    fn addresses_count_as_ipv4_or_by_ipv6_network() {
        let key = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(key("10.1.2.3"), "10.1.2.3");
        assert_eq!(key("::ffff:10.1.2.3"), "10.1.2.3");
        assert_eq!(key("2001:db8:1:2::5"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:abcd::ffff"), key("2001:db8:1:2::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }
}
