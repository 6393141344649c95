//! A team's incident cases: a title and a status, and a timeline of entries — notes, the
//! team's alerts and events linked to it, indicators and status changes — each with who and when.

use std::sync::Arc;

use atoll_exercise::answers::normalise;
use atoll_scenario::model::IndicatorKind;
use atoll_store::{AtMost, Store, StoreError, User};

use crate::limits::{CASE_ENTRIES, CASE_NOTE_CHARS, CASE_TITLE_CHARS, INDICATOR_CHARS, TEAM_CASES};
use crate::{App, Error, Result, clock_now};

/// A case's statuses, in the order an incident goes through them.
pub const STATUSES: &[(&str, &str)] = &[
    ("open", "Open"),
    ("contained", "Contained"),
    ("eradicated", "Eradicated"),
    ("recovered", "Recovered"),
    ("closed", "Closed"),
];

/// The kinds of indicator a case records, as the scenario's indicator questions name them.
pub const INDICATOR_KINDS: &[(IndicatorKind, &str)] = &[
    (IndicatorKind::Ipv4, "IPv4 address"),
    (IndicatorKind::Ipv6, "IPv6 address"),
    (IndicatorKind::Domain, "Domain"),
    (IndicatorKind::Url, "URL"),
    (IndicatorKind::Sha256, "SHA-256"),
    (IndicatorKind::Md5, "MD5"),
    (IndicatorKind::Account, "Account"),
    (IndicatorKind::FilePath, "File path"),
    (IndicatorKind::Hostname, "Host name"),
    (IndicatorKind::RegistryKey, "Registry key"),
];

/// A case as opened.
#[derive(Debug, Clone)]
pub struct Opened {
    pub id: i64,
    pub team: String,
    pub title: String,
    pub status: &'static str,
    /// Exercise time.
    pub at: u64,
}

/// `user` of team `index` opens a case titled `title` now.
pub async fn open<S: Store>(app: &Arc<App<S>>, index: usize, user: &User, title: &str) -> Result<Opened> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > CASE_TITLE_CHARS {
        return Err(Error::invalid(
            "title",
            format!("give the case a title of at most {CASE_TITLE_CHARS} characters"),
        ));
    }
    let team = app.live.team_id(index);
    let at = app.live.now();
    let id = app
        .db
        .open_case(
            app.live.exercise,
            &team,
            title,
            "open",
            user.id,
            at,
            clock_now(),
            AtMost::all(TEAM_CASES),
        )
        .await
        .map_err(|e| match e {
            StoreError::TooMany => Error::too_many(
                Some("title"),
                format!(
                    "your team has opened {TEAM_CASES} cases, the most an exercise takes; add to a case you have (one per incident)."
                ),
            ),
            _ => Error::unavailable("The case could not be opened; try again."),
        })?;
    Ok(Opened {
        id,
        team,
        title: title.to_owned(),
        status: "open",
        at,
    })
}

/// An entry for a case, as sent: its `kind` (`note`, `alert`, `event`, `indicator`,
/// `status`) and the field that kind needs.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub kind: String,
    pub note: Option<String>,
    /// An alert: the row of the event that raised it, a colon, and the rule's key.
    pub alert: Option<String>,
    /// A row of the team's events.
    pub event: Option<String>,
    pub indicator_kind: Option<String>,
    pub indicator: Option<String>,
    pub status: Option<String>,
}

/// `user` of team `index` adds `entry` to case `case`, checked first: a refused entry stores
/// nothing and the error names the field.
pub async fn add<S: Store>(app: &Arc<App<S>>, index: usize, user: &User, case: i64, entry: Entry) -> Result<()> {
    let kind = entry.kind.trim().to_owned();
    let checked: std::result::Result<String, (&str, String)> = match kind.as_str() {
        "note" => {
            let note = entry.note.unwrap_or_default().trim().to_owned();
            if note.is_empty() || note.chars().count() > CASE_NOTE_CHARS {
                Err(("note", format!("write a note of at most {CASE_NOTE_CHARS} characters")))
            } else {
                Ok(note)
            }
        }
        "status" => {
            let status = entry.status.unwrap_or_default();
            if STATUSES.iter().any(|(k, _)| *k == status) {
                Ok(status)
            } else {
                Err(("status", format!("`{status}` is not a case status")))
            }
        }
        "indicator" => {
            let word = entry.indicator_kind.unwrap_or_default();
            let value = entry.indicator.unwrap_or_default().trim().to_owned();
            match INDICATOR_KINDS.iter().find(|(k, _)| k.as_str() == word) {
                None => Err(("indicator_kind", format!("`{word}` is not a kind of indicator"))),
                Some(_) if value.is_empty() || value.chars().count() > INDICATOR_CHARS || value.contains('\n') => {
                    Err((
                        "indicator",
                        format!("give one value of at most {INDICATOR_CHARS} characters"),
                    ))
                }
                Some((k, text)) if matches!(k, IndicatorKind::Ipv4 | IndicatorKind::Ipv6) => {
                    let ip = normalise(*k, &value).parse::<std::net::IpAddr>();
                    match (k, ip) {
                        (IndicatorKind::Ipv4, Ok(std::net::IpAddr::V4(_)))
                        | (IndicatorKind::Ipv6, Ok(std::net::IpAddr::V6(_))) => Ok(format!("{word}\n{value}")),
                        _ => Err(("indicator", format!("`{value}` is not an {text}"))),
                    }
                }
                Some(_) => Ok(format!("{word}\n{value}")),
            }
        }
        "alert" => {
            let raw = entry.alert.unwrap_or_default();
            match raw
                .split_once(':')
                .and_then(|(row, key)| Some((row.parse::<u32>().ok()?, key.to_owned())))
            {
                None => Err(("alert", "choose an alert".into())),
                Some((row, key)) => {
                    if crate::alerts::has_alert(app, index, row, &key).await {
                        Ok(format!("{row}\n{key}"))
                    } else {
                        Err(("alert", "no such alert of your team".into()))
                    }
                }
            }
        }
        "event" => match entry.event.and_then(|r| r.parse::<u32>().ok()) {
            None => Err(("event", "choose an event".into())),
            Some(row) => {
                let worker = app.clone();
                let known = tokio::task::spawn_blocking(move || (row as usize) < worker.live.team(index).store().len())
                    .await
                    .unwrap_or(false);
                if known {
                    Ok(row.to_string())
                } else {
                    Err(("event", "no such event of your team".into()))
                }
            }
        },
        other => Err(("kind", format!("`{other}` is not something a case records"))),
    };
    let body = checked.map_err(|(field, message)| Error::invalid(field, message))?;
    let team = app.live.team_id(index);
    let at = app.live.now();
    match app
        .db
        .add_case_entry(
            app.live.exercise,
            &team,
            case,
            &kind,
            &body,
            user.id,
            at,
            clock_now(),
            AtMost::all(CASE_ENTRIES),
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::NoCase) => Err(Error::not_found("No such case of this team.")),
        Err(StoreError::TooMany) => Err(full_case(&kind)),
        Err(_) => Err(Error::unavailable("The entry could not be stored; try again.")),
    }
}

/// The refusal of an entry beyond [`CASE_ENTRIES`], at the field of its `kind`.
pub(crate) fn full_case(kind: &str) -> Error {
    let field = match kind {
        "status" | "alert" | "event" | "indicator" | "note" => kind,
        _ => "kind",
    };
    Error::too_many(
        Some(field),
        format!(
            "this case holds {CASE_ENTRIES} entries, the most a case takes; open another case for what follows and name this one in it."
        ),
    )
}
