//! The participant feedback form: its questions, one participant's answers, and the summary of
//! everyone's that the after-action report shows.

use serde::{Deserialize, Serialize};

/// The statements participants rate from 1 (strongly disagree) to 5 (strongly agree), by id.
pub const RATINGS: [(&str, &str); 7] = [
    (
        "objectives",
        "The exercise's objectives were clear to me before play began.",
    ),
    (
        "scenario",
        "The scenario was realistic for my organisation and my country.",
    ),
    (
        "telemetry",
        "The alerts, logs and network views were realistic enough to practise on.",
    ),
    (
        "role",
        "I now know better what my organisation should do in a real incident.",
    ),
    (
        "teamwork",
        "My team worked well together, technical and policy members alike.",
    ),
    (
        "facilitation",
        "The white cell ran the exercise well and answered us in time.",
    ),
    ("platform", "The exercise platform was easy to use over our connection."),
];

/// The scale's words, from 1 to 5.
pub const SCALE: [&str; 5] = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"];

/// The questions participants answer in their own words, by id.
pub const COMMENTS: [(&str, &str); 3] = [
    ("strengths", "What went well, for you or your team?"),
    (
        "improvements",
        "What should improve, in your organisation's response or in the exercise itself?",
    ),
    ("next", "What would you change for the next exercise?"),
];

/// The longest answer in words, in characters.
pub const COMMENT_CHARS: usize = 2_000;

/// One participant's answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    /// Rating ids to 1..=5; a statement left unrated is absent.
    pub ratings: Vec<(String, u8)>,
    /// Comment ids to text; empty answers are absent.
    pub comments: Vec<(String, String)>,
}

/// A response as the report sees it: the answers, and who gave them unless anonymous.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// `player`, `observer` or `instructor`.
    pub role: String,
    /// The team's name, unless the response is anonymous.
    pub team: Option<String>,
    /// The username, unless the response is anonymous.
    pub by: Option<String>,
    pub answers: Answers,
}

/// Everyone's answers, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Responses in all, and how many of them anonymous.
    pub responses: u32,
    pub anonymous: u32,
    /// Each statement: how many gave each rating, from 1 to 5, and the mean.
    pub ratings: Vec<RatingSummary>,
    /// Each answer in words, question by question, in the order given.
    pub comments: Vec<Comment>,
}

/// How participants rated one statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingSummary {
    pub id: String,
    pub statement: String,
    /// Ratings of 1, 2, 3, 4 and 5.
    pub counts: [u32; 5],
    /// The mean rating, if anyone rated it.
    pub mean: Option<f64>,
}

/// An answer in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Comment {
    /// The question's id and words.
    pub question: String,
    pub text: String,
    /// "Palau (player)", or "anonymous (player)".
    pub from: String,
}

/// The summary of these responses.
pub fn summarise(responses: &[Response]) -> Summary {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let ratings = RATINGS
        .iter()
        .map(|(id, statement)| {
            let mut counts = [0u32; 5];
            for r in responses {
                for (rated, value) in &r.answers.ratings {
                    if rated == id && (1..=5).contains(value) {
                        counts[usize::from(*value - 1)] += 1;
                    }
                }
            }
            let n: u32 = counts.iter().sum();
            let total: u32 = counts.iter().zip(1u32..).map(|(c, v)| c * v).sum();
            RatingSummary {
                id: (*id).to_owned(),
                statement: (*statement).to_owned(),
                counts,
                mean: (n > 0).then(|| f64::from(total) / f64::from(n)),
            }
        })
        .collect();
    let mut comments = Vec::new();
    for (id, question) in COMMENTS {
        for r in responses {
            for (asked, text) in &r.answers.comments {
                if asked == id && !text.trim().is_empty() {
                    let who = r.team.as_deref().unwrap_or("anonymous");
                    comments.push(Comment {
                        question: question.to_owned(),
                        text: text.clone(),
                        from: format!("{who} ({})", r.role),
                    });
                }
            }
        }
    }
    Summary {
        responses: count(responses.len()),
        anonymous: count(responses.iter().filter(|r| r.by.is_none()).count()),
        ratings,
        comments,
    }
}
