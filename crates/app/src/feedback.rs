//! The participant feedback form: every participant (players, observers, the white cell)
//! answers once, with their name and team or anonymously; the whole exercise's report
//! summarises the answers. The questions are `atoll_report::feedback`'s.

use std::sync::Arc;

use atoll_report::feedback::{self, Answers, COMMENT_CHARS, COMMENTS, RATINGS, Response};
use atoll_store::{Role, Store, StoreError, User};

use crate::{App, Error, Result, clock_now};

/// The form as typed: each field by its name (`rating.ID` = 1..5, `comment.ID`).
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub fields: Vec<(String, String)>,
    pub anonymous: bool,
}

impl Typed {
    /// What was typed in field `name`, or empty.
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// The answers in `typed`, checked field by field.
pub fn check(typed: &Typed) -> Result<Answers> {
    let mut answers = Answers::default();
    for (name, value) in &typed.fields {
        let value = value.trim();
        if let Some(id) = name.strip_prefix("rating.") {
            if !RATINGS.iter().any(|(known, _)| *known == id) {
                return Err(Error::invalid(name, "There is no such statement to rate."));
            }
            if value.is_empty() {
                continue;
            }
            let rating: u8 = value
                .parse()
                .ok()
                .filter(|r| (1..=5).contains(r))
                .ok_or_else(|| Error::invalid(name, "Rate it from 1 (strongly disagree) to 5 (strongly agree)."))?;
            answers.ratings.push((id.to_owned(), rating));
        } else if let Some(id) = name.strip_prefix("comment.") {
            if !COMMENTS.iter().any(|(known, _)| *known == id) {
                return Err(Error::invalid(name, "There is no such question."));
            }
            if value.chars().count() > COMMENT_CHARS {
                return Err(Error::invalid(
                    name,
                    format!("Keep each answer within {COMMENT_CHARS} characters."),
                ));
            }
            if !value.is_empty() {
                answers.comments.push((id.to_owned(), value.to_owned()));
            }
        }
    }
    if answers.ratings.is_empty() && answers.comments.is_empty() {
        return Err(Error::invalid(
            "rating.objectives",
            "Rate at least one statement or answer one question.",
        ));
    }
    Ok(answers)
}

/// Stores `user`'s answers, once.
pub async fn give<S: Store>(app: &Arc<App<S>>, user: &User, typed: &Typed) -> Result<()> {
    let answers = check(typed)?;
    let json = serde_json::to_string(&answers).map_err(|_| Error::failed("The answers could not be written."))?;
    let team = (user.role == Role::Player).then_some(user.team.as_deref()).flatten();
    app.db
        .give_feedback(
            app.live.exercise,
            user.id,
            user.role,
            team,
            typed.anonymous,
            &json,
            clock_now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::FeedbackGiven => {
                Error::conflict("You have given your feedback on this exercise already: thank you.")
            }
            e => Error::from(e),
        })
}

/// Whether `user` has answered.
pub async fn given<S: Store>(app: &Arc<App<S>>, user: &User) -> Result<bool> {
    app.db
        .gave_feedback(app.live.exercise, user.id)
        .await
        .map_err(|_| Error::unavailable("The feedback could not be read; try again."))
}

/// Everyone's answers summarised, or `None` before anyone answers. Team ids become names.
pub async fn summary<S: Store>(app: &Arc<App<S>>) -> Result<Option<feedback::Summary>> {
    let stored = app
        .db
        .feedback(app.live.exercise)
        .await
        .map_err(|_| Error::unavailable("The feedback could not be read; try again."))?;
    if stored.is_empty() {
        return Ok(None);
    }
    let responses: Vec<Response> = stored
        .into_iter()
        .filter_map(|f| {
            let answers: Answers = serde_json::from_str(&f.answers).ok()?;
            let team = f.team.map(|id| {
                app.live
                    .scenario
                    .teams
                    .iter()
                    .find(|t| t.id.name == id)
                    .map_or(id, |t| t.name.get("en").to_owned())
            });
            Some(Response {
                role: f.role,
                team,
                by: f.username,
                answers,
            })
        })
        .collect();
    Ok(Some(feedback::summarise(&responses)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(fields: &[(&str, &str)]) -> Typed {
        Typed {
            fields: fields.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            anonymous: false,
        }
    }

    #[test]
    fn answers_are_checked_field_by_field() {
        let answers = check(&typed(&[
            ("rating.scenario", "4"),
            ("rating.platform", ""),
            ("comment.next", "  More policy injects  "),
            ("comment.strengths", ""),
        ]))
        .unwrap();
        assert_eq!(answers.ratings, [("scenario".to_owned(), 4)]);
        assert_eq!(
            answers.comments,
            [("next".to_owned(), "More policy injects".to_owned())]
        );
        let field = |fields: &[(&str, &str)]| check(&typed(fields)).unwrap_err().field;
        assert_eq!(field(&[("rating.scenario", "6")]), Some("rating.scenario".to_owned()));
        assert_eq!(field(&[("rating.weather", "3")]), Some("rating.weather".to_owned()));
        let long = "x".repeat(COMMENT_CHARS + 1);
        assert_eq!(
            field(&[("comment.next", long.as_str())]),
            Some("comment.next".to_owned())
        );
        assert_eq!(field(&[("rating.scenario", "")]), Some("rating.objectives".to_owned()));
    }
}
