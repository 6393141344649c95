//! The rules of accounts: passwords (argon2id), usernames, and the secret tokens of sessions,
//! API access and invitations (only their SHA-256 is stored).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use sha2::{Digest as _, Sha256};

/// An argon2id hash (PHC string) of a password.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// Shortest password a new account may have.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (it bounds the hashing work a request can ask for).
pub const MAX_PASSWORD_CHARS: usize = 200;

/// What is wrong with a new account's username, if anything: 1 to 64 letters, digits, `.`,
/// `_` or `-`, so that it reads the same in every log and page.
pub fn check_username(username: &str) -> Result<(), String> {
    let ok = !username.is_empty()
        && username.chars().count() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err("username: use 1 to 64 letters, digits, `.`, `_` or `-`.".to_owned())
    }
}

/// What is wrong with a new password for `username`, if anything: its length, and whether it
/// can be guessed — a common password, a keyboard run or a sequence, one character repeated,
/// the username itself or a word of it (zxcvbn's estimate must reach "safely unguessable",
/// score 3 of 4, about 10^8 guesses).
pub fn check_new_password(password: &str, username: &str) -> Result<(), String> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(format!(
            "password: {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters (this one has {n})."
        ));
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("password: it must not contain the username.".to_owned());
    }
    let estimate = zxcvbn::zxcvbn(password, &[username, "atoll"]);
    if estimate.score() >= zxcvbn::Score::Three {
        return Ok(());
    }
    let why = estimate
        .feedback()
        .and_then(|f| f.warning())
        .map_or_else(|| "it is too easy to guess".to_owned(), |w| w.to_string());
    Err(format!(
        "password: {} Use several unrelated words, or let atoll make one.",
        sentence(&why)
    ))
}

/// `text` as a sentence: upper-case first letter, full stop.
fn sentence(text: &str) -> String {
    let text = text.trim().trim_end_matches('.');
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    out.push('.');
    out
}

/// A random secret for sessions and demo passwords, from the operating system.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS random source not answering is not something a server can work around.
    getrandom::fill(&mut buf).expect("the operating system's random source");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of a secret token (sessions, API tokens, invitations): what the database keeps.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// What an API token starts with, so that it is recognised wherever it is pasted by mistake.
pub const API_TOKEN_PREFIX: &str = "atoll_";

/// How many days an API token may last: the account page's choices, and `admin create-token`'s.
pub const API_TOKEN_DAYS: [i64; 4] = [1, 7, 30, 90];

// `admin create-token` names the limit from here.
use crate::limits::API_TOKEN_NAME_CHARS;
pub use crate::limits::API_TOKENS_MAX;

/// The name a token is known by, trimmed; `None` when empty, too long or on several lines.
pub fn api_token_name(name: &str) -> Option<&str> {
    let name = name.trim();
    (!name.is_empty() && name.chars().count() <= API_TOKEN_NAME_CHARS && !name.contains('\n')).then_some(name)
}

/// A new API token: `atoll_` and 64 hex digits.
pub fn new_api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", random_token(32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_usernames_and_passwords_are_checked() {
        for ok in ["pita", "a", "ops.team_2-x", &"n".repeat(64)] {
            assert_eq!(check_username(ok), Ok(()), "{ok}");
        }
        for bad in ["", "two words", "émile", "a/b", &"n".repeat(65)] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
        assert!(
            check_new_password("123456789", "pita")
                .unwrap_err()
                .contains("this one has 9")
        );
        assert!(check_new_password(&"x".repeat(201), "pita").is_err());
        // What the security review got accepted: a sequence, ten spaces, the username.
        for guessable in ["1234567890", "          ", "qwertyuiop", "password123", "aaaaaaaaaaaa"] {
            let e = check_new_password(guessable, "pita").unwrap_err();
            assert!(e.starts_with("password: "), "{guessable:?}: {e}");
        }
        assert!(
            check_new_password("pita-palau-2026", "pita")
                .unwrap_err()
                .contains("username")
        );
        assert!(check_new_password("instructor1", "instructor").is_err());
        // Unrelated words, and atoll's own random passwords, pass.
        assert_eq!(check_new_password("reef canoe lantern basalt", "pita"), Ok(()));
        assert_eq!(check_new_password(&random_token(9), "pita"), Ok(()));
        // Characters, not bytes.
        assert!(
            check_new_password(&"é".repeat(9), "pita")
                .unwrap_err()
                .contains("this one has 9")
        );
        assert_eq!(check_new_password("ñé€ßøåçðþæ", "pita"), Ok(()));
    }
}
