//! Lessons learned and the improvement plan, as an after-action report carries them:
//! observations, strengths and areas for improvement per objective, and improvement actions
//! with an owner and a due date. The white cell writes them about each team and about the
//! whole exercise; a team's players write them about their own team.

use std::sync::Arc;

use atoll_store::{AtMost, Lesson, NewLesson, Role, Store, StoreError, User};

use crate::limits::{LESSON_CHARS, LESSON_OWNER_CHARS, LESSONS};
use crate::{App, Error, Result, clock_now};

/// The kinds of lesson, as stored, with what the report calls them.
pub const KINDS: [(&str, &str); 4] = [
    ("observation", "Observation"),
    ("strength", "Strength"),
    ("improvement", "Area for improvement"),
    ("action", "Improvement action"),
];

/// A lesson as typed into the form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// A scenario objective's id, or empty for the exercise as a whole.
    pub objective: String,
    pub kind: String,
    pub text: String,
    /// For an improvement action: who does it, and by when (`YYYY-MM-DD`).
    pub owner: String,
    pub due: String,
}

/// Whether `user` may write and remove lessons about `team` (none: the whole exercise): the
/// white cell about any team and the exercise, a player about its own team.
pub fn may_write(user: &User, team: Option<&str>) -> bool {
    match (user.role, team) {
        (Role::Instructor, _) => true,
        (Role::Player, Some(team)) => user.team.as_deref() == Some(team),
        _ => false,
    }
}

/// The lessons about `team` (none: about the exercise), oldest first.
pub async fn about<S: Store>(app: &Arc<App<S>>, team: Option<&str>) -> Result<Vec<Lesson>> {
    let all = app
        .db
        .lessons(app.live.exercise)
        .await
        .map_err(|_| Error::unavailable("The lessons could not be read; try again."))?;
    Ok(all.into_iter().filter(|l| l.team.as_deref() == team).collect())
}

/// Stores `written` about `team` (none: the exercise), by `user`; checked field by field.
pub async fn add<S: Store>(app: &Arc<App<S>>, user: &User, team: Option<&str>, written: &Written) -> Result<i64> {
    if !may_write(user, team) {
        return Err(Error::forbidden(match team {
            Some(_) => "Only the white cell and the team's own players write lessons about a team.",
            None => "Only the white cell writes lessons about the whole exercise.",
        }));
    }
    let objectives = &app.live.scenario.objectives;
    check(written, &|id| objectives.iter().any(|o| o.id.name == id))?;
    let lesson = NewLesson {
        team,
        objective: written.objective.trim(),
        kind: written.kind.trim(),
        text: written.text.trim(),
        owner: written.owner.trim(),
        due: written.due.trim(),
    };
    match app
        .db
        .add_lesson(app.live.exercise, lesson, user.id, clock_now(), AtMost::all(LESSONS))
        .await
    {
        Ok(id) => {
            let start: String = lesson.text.chars().take(80).collect();
            let detail = format!("wrote a lesson ({}): {start}", lesson.kind);
            crate::audit::record(app, user, "lesson.add", team, &detail).await;
            Ok(id)
        }
        Err(StoreError::TooMany) => Err(Error::too_many(
            Some("text"),
            format!("there are {LESSONS} lessons here, the most there may be; remove one first."),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Removes lesson `id` about `team` (none: the exercise).
pub async fn remove<S: Store>(app: &Arc<App<S>>, user: &User, team: Option<&str>, id: i64) -> Result<()> {
    if !may_write(user, team) {
        return Err(Error::forbidden("You may not remove lessons here."));
    }
    match app.db.remove_lesson(app.live.exercise, team, id).await {
        Ok(()) => {
            crate::audit::record(app, user, "lesson.remove", team, &format!("removed lesson {id}")).await;
            Ok(())
        }
        Err(StoreError::NoLesson) => Err(Error::not_found("There is no such lesson here.")),
        Err(e) => Err(e.into()),
    }
}

/// Checks a lesson's fields; the error names the first field at fault.
pub fn check(written: &Written, objective_known: &dyn Fn(&str) -> bool) -> Result<()> {
    let objective = written.objective.trim();
    if !objective.is_empty() && !objective_known(objective) {
        return Err(Error::invalid(
            "objective",
            format!("`{objective}` is not one of the scenario's objectives."),
        ));
    }
    let kind = written.kind.trim();
    if !KINDS.iter().any(|(k, _)| *k == kind) {
        return Err(Error::invalid(
            "kind",
            "choose observation, strength, improvement or action.",
        ));
    }
    let text = written.text.trim();
    if text.chars().count() < 3 {
        return Err(Error::invalid("text", "write at least a few words."));
    }
    if text.chars().count() > LESSON_CHARS {
        return Err(Error::invalid(
            "text",
            format!("write at most {LESSON_CHARS} characters."),
        ));
    }
    let (owner, due) = (written.owner.trim(), written.due.trim());
    if kind == "action" {
        if owner.is_empty() {
            return Err(Error::invalid(
                "owner",
                "an improvement action needs an owner: who will do it.",
            ));
        }
        if owner.chars().count() > LESSON_OWNER_CHARS {
            return Err(Error::invalid(
                "owner",
                format!("write at most {LESSON_OWNER_CHARS} characters."),
            ));
        }
        if due.parse::<jiff::civil::Date>().is_err() || due.len() != 10 {
            return Err(Error::invalid(
                "due",
                "give the date it is due by as YYYY-MM-DD, e.g. 2027-03-31.",
            ));
        }
    } else if !owner.is_empty() {
        return Err(Error::invalid("owner", "only an improvement action has an owner."));
    } else if !due.is_empty() {
        return Err(Error::invalid("due", "only an improvement action has a due date."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(kind: &str, text: &str, owner: &str, due: &str) -> Written {
        Written {
            objective: "obj-detect".into(),
            kind: kind.into(),
            text: text.into(),
            owner: owner.into(),
            due: due.into(),
        }
    }

    fn field(w: &Written) -> Option<String> {
        check(w, &|id| id == "obj-detect").err().and_then(|e| e.field)
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(
            field(&written("strength", "Found the web shell in an hour", "", "")),
            None
        );
        assert_eq!(
            field(&written("action", "Log uploads", "Palau CERT", "2027-03-31")),
            None
        );
        let mut other = written("strength", "Fine", "", "");
        other.objective = "obj-unknown".into();
        assert_eq!(field(&other).as_deref(), Some("objective"));
        assert_eq!(field(&written("praise", "Fine", "", "")).as_deref(), Some("kind"));
        assert_eq!(field(&written("strength", "ok", "", "")).as_deref(), Some("text"));
        assert_eq!(
            field(&written("strength", &"x".repeat(LESSON_CHARS + 1), "", "")).as_deref(),
            Some("text")
        );
        assert_eq!(
            field(&written("action", "Log uploads", "", "2027-03-31")).as_deref(),
            Some("owner")
        );
        assert_eq!(
            field(&written("action", "Log uploads", "CERT", "31/03/2027")).as_deref(),
            Some("due")
        );
        assert_eq!(
            field(&written("action", "Log uploads", "CERT", "2027-02-30")).as_deref(),
            Some("due")
        );
        assert_eq!(
            field(&written("strength", "Fine work", "CERT", "")).as_deref(),
            Some("owner")
        );
        assert_eq!(
            field(&written("observation", "Fine work", "", "2027-01-01")).as_deref(),
            Some("due")
        );
    }
}
