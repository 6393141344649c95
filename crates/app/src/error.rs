//! The one error of every command: what kind of refusal or failure it is, the field of the
//! request at fault (when one is), and a message for people. Pages show the message above
//! the form it came from; the API answers it as a problem with the same status.

use atoll_store::StoreError;

/// What kind of refusal or failure an [`Error`] is; each maps to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Something sent is wrong (`400`); [`Error::field`] names it.
    Invalid,
    /// What the request names does not exist, or not for this team (`404`).
    NotFound,
    /// It cannot be done as things stand: already answered, play ended, a time limit passed
    /// (`409`).
    Conflict,
    /// A limit on how many of something one team or user may have, or on how often (`429`).
    TooMany,
    /// Who is asking could not be told: a wrong username or password (`401`).
    Unauthorized,
    /// Not for this user as things stand (the scoreboard while it is hidden from teams) (`403`).
    Forbidden,
    /// The database did not answer: nothing was changed, try again (`503`).
    Unavailable,
    /// The server failed while doing it (`500`).
    Failed,
}

/// Why a command was refused or failed. Nothing was stored unless the message says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    /// The request's field at fault, as the form and the JSON body name it.
    pub field: Option<String>,
    /// What was wrong and what to do, for people (without the field's name).
    pub message: String,
    /// The items the message is about, one per line, where a form lists them (the time
    /// limits a jump would pass).
    pub details: Vec<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    fn new(kind: Kind, field: Option<String>, message: String) -> Error {
        Error {
            kind,
            field,
            message,
            details: Vec::new(),
        }
    }

    /// `field` is wrong: `message` says how.
    pub fn invalid(field: &str, message: impl Into<String>) -> Error {
        Error::new(Kind::Invalid, Some(field.to_owned()), message.into())
    }

    /// A refusal written as `field: what is wrong` (as the simulation and the scenario's
    /// checks write theirs): [`Kind::Invalid`] with that field, or without one when the text
    /// does not start with a field's name.
    pub fn refused(text: &str) -> Error {
        match text.split_once(": ") {
            Some((field, message)) if is_field(field) => Error::invalid(field, message),
            _ => Error::new(Kind::Invalid, None, text.to_owned()),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(Kind::NotFound, None, message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Error {
        Error::new(Kind::Conflict, None, message.into())
    }

    pub fn too_many(field: Option<&str>, message: impl Into<String>) -> Error {
        Error::new(Kind::TooMany, field.map(str::to_owned), message.into())
    }

    pub fn unauthorized(message: impl Into<String>) -> Error {
        Error::new(Kind::Unauthorized, None, message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> Error {
        Error::new(Kind::Forbidden, None, message.into())
    }

    pub fn unavailable(message: impl Into<String>) -> Error {
        Error::new(Kind::Unavailable, None, message.into())
    }

    pub fn failed(message: impl Into<String>) -> Error {
        Error::new(Kind::Failed, None, message.into())
    }

    /// Whether the person can fix it in what they sent or chose (the form comes back with
    /// the message), rather than the server or the database having failed.
    pub fn is_refusal(&self) -> bool {
        !matches!(self.kind, Kind::Unavailable | Kind::Failed)
    }

    /// The same error as a [`Kind::Conflict`]: what was sent is right, but things as they
    /// stand ask for more (a confirmation).
    pub fn conflicting(mut self) -> Error {
        self.kind = Kind::Conflict;
        self
    }

    /// The same error with the items it is about.
    pub fn with_details(mut self, details: Vec<String>) -> Error {
        self.details = details;
        self
    }

    /// The same error about another field (a form may call a field otherwise than the API).
    pub fn at(mut self, field: &str) -> Error {
        self.field = Some(field.to_owned());
        self
    }
}

impl std::fmt::Display for Error {
    /// `field: message`, the form every page and problem shows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

impl From<StoreError> for Error {
    /// The store's refusals by kind; a failure of the database itself (already logged with
    /// where it happened) is "try again".
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::Taken(_) => Error::invalid("username", e.to_string()),
            StoreError::Team => Error::invalid("team", e.to_string()),
            StoreError::Follows => Error::invalid("follows", e.to_string()),
            StoreError::Invitation(_) | StoreError::Answered | StoreError::FeedbackGiven => {
                Error::conflict(capitalised(&e.to_string()))
            }
            StoreError::NoSubmission
            | StoreError::NoCase
            | StoreError::NoSearch
            | StoreError::NoRule
            | StoreError::NoToken
            | StoreError::NoSuppression
            | StoreError::NoLesson => Error::not_found(capitalised(&e.to_string())),
            StoreError::TooMany | StoreError::TooManyOfUser | StoreError::TooManyStored => {
                Error::too_many(None, capitalised(&e.to_string()))
            }
            StoreError::Record(_) => Error::conflict(capitalised(&e.to_string())),
            StoreError::Database(_) => {
                Error::unavailable("The database did not answer, so nothing was changed; try again.")
            }
        }
    }
}

/// Whether `name` reads as a request field's name (`speed`, `rule.title`, `next_steps`).
fn is_field(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `text` with its first letter upper-case, for a sentence on its own.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_names_its_field_first_and_store_refusals_keep_their_kind() {
        assert_eq!(
            Error::invalid("speed", "give a whole number").to_string(),
            "speed: give a whole number"
        );
        assert_eq!(Error::conflict("Play has ended.").to_string(), "Play has ended.");
        let taken = Error::from(StoreError::Taken("pita".into()));
        assert_eq!((taken.kind, taken.field.as_deref()), (Kind::Invalid, Some("username")));
        let refused = Error::refused("target: team `palau` has no account `x`");
        assert_eq!(
            (refused.field.as_deref(), refused.message.as_str()),
            (Some("target"), "team `palau` has no account `x`")
        );
        assert_eq!(Error::refused("The step ran: nothing to change").field, None);
        assert_eq!(Error::from(StoreError::NoCase).to_string(), "No such case of this team");
        assert_eq!(Error::from(StoreError::Answered).kind, Kind::Conflict);
        assert_eq!(Error::from(StoreError::TooMany).kind, Kind::TooMany);
    }
}
