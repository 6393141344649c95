//! The participant feedback form, for everyone signed in: a few statements to rate and three
//! questions to answer in words, with the choice of answering anonymously. Each person
//! answers once; the whole exercise's report summarises the answers.

use std::sync::Arc;

use atoll_app::feedback::Typed;
use atoll_report::feedback::{COMMENT_CHARS, COMMENTS, RATINGS, SCALE};
use atoll_store::{Store, User};
use axum::extract::{Form, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use maud::{Markup, html};

use crate::auth::Signed;
use crate::{App, html};

pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, Signed(user): Signed) -> Response {
    show(&app, &user, None, &Typed::default()).await
}

pub(crate) async fn give<S: Store>(
    State(app): State<Arc<App<S>>>,
    Signed(user): Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let typed = Typed {
        anonymous: fields.iter().any(|(n, v)| n == "anonymous" && v == "yes"),
        fields,
    };
    match atoll_app::feedback::give(&app, &user, &typed).await {
        Ok(()) => Redirect::to("/feedback").into_response(),
        Err(e) if e.is_refusal() => {
            let mut page = show(&app, &user, Some(e.to_string()), &typed).await;
            *page.status_mut() = html::status_of(e.kind);
            page
        }
        Err(e) => html::failure(&e),
    }
}

async fn show<S: Store>(app: &Arc<App<S>>, user: &User, problem: Option<String>, typed: &Typed) -> Response {
    let given = match atoll_app::feedback::given(app, user).await {
        Ok(given) => given,
        Err(e) => return html::failure(&e),
    };
    let body = html! {
        h1 { "Your feedback on the exercise" }
        @if given {
            p { "Thank you: your answers are in. The white cell reads them, summarised, in the after-action report." }
        } @else {
            p {
                "A few minutes, once, for the people who prepare next year's exercise. Rate what you can, "
                "leave out what you cannot, and say in your own words what should change."
            }
            (html::refusal(problem.as_deref()))
            (form(typed))
        }
    };
    html::form_page(
        html::heading(app, user).await,
        "Feedback",
        user,
        problem.as_deref(),
        &body,
    )
}

fn form(typed: &Typed) -> Markup {
    html! {
        form method="post" action="/feedback" {
            fieldset {
                legend { "How far do you agree? (1: strongly disagree, 5: strongly agree)" }
                @for (id, statement) in RATINGS {
                    @let name = format!("rating.{id}");
                    p {
                        (statement) br;
                        @for (value, word) in (1..=5).zip(SCALE) {
                            @let value = value.to_string();
                            label {
                                input type="radio" name=(name) value=(value) checked[typed.get(&name) == value];
                                " " (value) " " span.muted { (word) }
                            }
                            " "
                        }
                    }
                }
            }
            @for (id, question) in COMMENTS {
                @let name = format!("comment.{id}");
                label for=(name) { (question) }
                textarea id=(name) name=(name) rows="3" maxlength=(COMMENT_CHARS) { (typed.get(&name)) }
            }
            p {
                label {
                    input type="checkbox" name="anonymous" value="yes" checked[typed.anonymous];
                    " Answer anonymously: keep my name and my team off my answers."
                }
            }
            button type="submit" { "Send my feedback" }
        }
    }
}
