//! What a team does and reads: response actions, cases, alerts and verdicts, the inbox,
//! questions, hunts, rules, saved searches, hints and reports.

use super::*;

// ----- A team's actions and cases --------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// A response action: `isolate_host`, `block_address`, `block_domain`, `disable_account`,
    /// `reset_password`, … (the Respond page lists them with what each costs).
    pub action: String,
    /// What it acts on: a host (id or name), address, domain, account or service.
    pub target: String,
}

/// `GET /api/v1/teams/{team}/actions`: the team's response actions, oldest first (and, for
/// the white cell, its own changes to the team's campaign).
pub(crate) async fn actions<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let team = app.live.team_id(view.team);
    let Ok(all) = app.db.actions(app.live.exercise).await else {
        return unreadable();
    };
    let player = view.user.role == Role::Player;
    let list: Vec<ActionView> = all
        .into_iter()
        .filter(|a| a.team == team && !(player && WHITE_CELL_ACTIONS.contains(&a.action.as_str())))
        .map(|a| action_view(&app, a))
        .collect();
    Json(list).into_response()
}

/// `POST /api/v1/teams/{team}/actions`: takes the action at once (the request is the
/// confirmation the Respond page asks for).
pub(crate) async fn act<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Json(request): Json<ActionRequest>,
) -> Response {
    let team = app.live.team_id(view.team);
    let target = request.target.trim().to_owned();
    match atoll_app::actions::take_action(&app, view.team, view.user.id, &request.action, &target).await {
        Ok((id, at)) => {
            let record = atoll_store::ActionRecord {
                id,
                team,
                at,
                action: request.action,
                target,
                username: view.user.username,
            };
            (StatusCode::CREATED, Json(action_view(&app, record))).into_response()
        }
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseRequest {
    pub title: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryView {
    pub id: i64,
    /// `note`, `alert`, `event`, `indicator` or `status`.
    pub kind: String,
    pub body: String,
    pub by: String,
    pub at: When,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseView {
    pub id: i64,
    pub team: String,
    pub title: String,
    /// `open`, `contained`, `closed`, …
    pub status: String,
    pub opened_by: String,
    pub at: When,
    /// Oldest first.
    pub entries: Vec<EntryView>,
}

pub(super) async fn case_view<S: Store>(app: &App<S>, team: &str, id: i64, status: StatusCode) -> Response {
    // Every entry, oldest first: a case holds at most `CASE_ENTRIES`.
    let entries = atoll_store::Page::after(None, atoll_app::limits::CASE_ENTRIES);
    match app.db.case(app.live.exercise, team, id, entries).await {
        Ok((case, entries)) => (
            status,
            Json(CaseView {
                id: case.id,
                team: case.team,
                title: case.title,
                status: case.status,
                opened_by: case.username,
                at: when(app, case.at),
                entries: entries
                    .into_iter()
                    .map(|e| EntryView {
                        id: e.id,
                        kind: e.kind,
                        body: e.body,
                        by: e.username,
                        at: when(app, e.at),
                    })
                    .collect(),
            }),
        )
            .into_response(),
        Err(atoll_store::StoreError::NoCase) => problem(StatusCode::NOT_FOUND, "No such case of this team."),
        Err(_) => unreadable(),
    }
}

/// `POST /api/v1/teams/{team}/cases`: answers with the case as opened.
pub(crate) async fn open_case<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Json(request): Json<CaseRequest>,
) -> Response {
    match atoll_app::cases::open(&app, view.team, &view.user, &request.title).await {
        Ok(opened) => (
            StatusCode::CREATED,
            Json(CaseView {
                id: opened.id,
                team: opened.team,
                title: opened.title,
                status: opened.status.to_owned(),
                opened_by: view.user.username.clone(),
                at: when(&app, opened.at),
                entries: Vec::new(),
            }),
        )
            .into_response(),
        Err(e) => failed(&e),
    }
}

/// `GET /api/v1/teams/{team}/cases/{id}`
pub(crate) async fn case<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    case_view(&app, &app.live.team_id(view.team), id, StatusCode::OK).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    /// `note` (with `note`), `alert` (with `alert`: the row of the event that raised it, a
    /// colon, and the rule's id), `event` (with `event`, a row of the team's events), `indicator` (with
    /// `indicator_kind` and `indicator`) or `status` (with `status`).
    pub kind: String,
    pub note: Option<String>,
    pub alert: Option<String>,
    pub event: Option<u32>,
    /// `ipv4`, `ipv6`, `domain`, `url`, `sha256`, `md5`, `account`, `file_path`,
    /// `hostname` or `registry_key`.
    pub indicator_kind: Option<String>,
    pub indicator: Option<String>,
    /// `open`, `contained`, `eradicated`, `recovered`, `closed`.
    pub status: Option<String>,
}

/// `POST /api/v1/teams/{team}/cases/{id}/entries`: answers with the case, its new entry last.
pub(crate) async fn add_entry<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, i64)>,
    Json(request): Json<EntryRequest>,
) -> Response {
    let entry = atoll_app::cases::Entry {
        kind: request.kind,
        note: request.note,
        alert: request.alert,
        event: request.event.map(|e| e.to_string()),
        indicator_kind: request.indicator_kind,
        indicator: request.indicator,
        status: request.status,
    };
    if let Err(e) = atoll_app::cases::add(&app, view.team, &view.user, id, entry).await {
        return failed(&e);
    }
    case_view(&app, &app.live.team_id(view.team), id, StatusCode::CREATED).await
}

// ----- A team's alerts -----------------------------------------------------------------------

/// One of a team's alerts.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertView {
    /// Its number in the team's list: `POST …/alerts/{number}/verdict` judges it.
    pub number: usize,
    pub time: When,
    /// The rule's title, and its id when it has one (`team-rule-N` for the team's own rules).
    pub rule: String,
    pub rule_id: Option<String>,
    /// `informational`, `low`, `medium`, `high` or `critical`.
    pub level: Option<String>,
    pub host: Option<String>,
    /// ATT&CK technique ids and tactics from the rule's tags.
    pub techniques: Vec<String>,
    pub tactics: Vec<String>,
    /// For a correlation: what it counted.
    pub detail: Option<String>,
    /// The rule's author, shown with every match (Detection Rule License 1.1).
    pub author: Option<String>,
    /// `new`, `investigating`, `true_positive` or `false_positive`, and who judged it.
    pub state: String,
    pub judged_by: Option<String>,
    /// Hidden from the queue by one of the team's suppressions.
    pub suppressed: bool,
    /// The same process start seen through the other log (Sysmon 1 / Security 4688): one
    /// detection, one verdict.
    pub twin: Option<usize>,
}

/// One page of a team's alerts.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsPage {
    /// How many alerts the filters select, over every page.
    pub matching: usize,
    pub alerts: Vec<AlertView>,
    /// Give it as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

pub(super) fn alert_view<S>(app: &App<S>, l: atoll_app::queue::Listed) -> AlertView {
    AlertView {
        number: l.number,
        time: when(app, l.alert.at),
        rule: l.alert.title,
        rule_id: l.alert.rule_id,
        level: l.alert.level.map(|v| format!("{v:?}").to_lowercase()),
        host: l.alert.host,
        techniques: l.alert.techniques,
        tactics: l.alert.tactics,
        detail: l.alert.detail,
        author: l.alert.author,
        state: l.state,
        judged_by: l.by,
        suppressed: l.suppressed,
        twin: l.twin,
    }
}

/// What decides how team `index`'s alerts stand: its verdicts and its suppressions.
pub(super) async fn judged<S: Store>(
    app: &App<S>,
    index: usize,
) -> Option<(Arc<Vec<atoll_store::Triage>>, Vec<atoll_store::Suppression>)> {
    let team = app.live.team_id(index);
    let triages = app.verdicts(&team).await.ok()?;
    let suppressions = app.db.suppressions(app.live.exercise, Some(&team)).await.ok()?;
    Some((triages, suppressions))
}

/// A team's alerts, read as the queue reads them; one page, or the refusal.
pub(super) async fn alerts_page<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    filter: atoll_app::queue::Filter,
) -> Response {
    let Some((triages, suppressions)) = judged(app, index).await else {
        return unreadable();
    };
    let worker = app.clone();
    let listed = tokio::task::spawn_blocking(move || {
        atoll_app::queue::listed(&worker, index, &filter, &triages, &suppressions).map(|(rows, matching, next)| {
            AlertsPage {
                matching,
                alerts: rows.into_iter().map(|l| alert_view(&worker, l)).collect(),
                next,
            }
        })
    })
    .await;
    match listed {
        Ok(Ok(page)) => Json(page).into_response(),
        Ok(Err(message)) => problem(StatusCode::BAD_REQUEST, &message),
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "The alerts could not be read."),
    }
}

/// `GET /api/v1/teams/{team}/alerts`: the queue's filters as query parameters.
pub(crate) async fn alerts<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    axum::extract::Query(filter): axum::extract::Query<atoll_app::queue::Filter>,
) -> Response {
    alerts_page(&app, view.team, filter).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictRequest {
    /// `new`, `investigating`, `true_positive` or `false_positive`.
    pub state: String,
    /// Why (at most 2,000 characters).
    pub note: Option<String>,
}

/// `POST /api/v1/teams/{team}/alerts/{id}/verdict`: judges alert number `id` (and its twin).
/// Answers with the alert as it now stands.
pub(crate) async fn verdict<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, usize)>,
    Json(request): Json<VerdictRequest>,
) -> Response {
    let note = request.note.unwrap_or_default();
    match atoll_app::queue::verdict_on(&app, view.team, &view.user, id, &request.state, &note).await {
        Ok(listed) => Json(alert_view(&app, listed)).into_response(),
        Err(e) => failed(&e),
    }
}

// ----- A team's inbox ------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentView {
    pub name: String,
    pub media_type: String,
    /// Its text, when the scenario gives it inline.
    pub content: Option<String>,
}

/// A scenario inject that reached the team.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InjectView {
    pub id: String,
    /// `inbox`, `email`, `news`, `phone_call` or `ticket`.
    pub channel: String,
    pub from: String,
    pub subject: String,
    pub body: String,
    /// The tracks it is for, when only some.
    pub track: Option<String>,
    pub at: When,
    pub attachments: Vec<AttachmentView>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxView {
    /// The scenario's injects that reached the team, newest first.
    pub injects: Vec<InjectView>,
    /// The white cell's messages to the team and the team's to the white cell, oldest first.
    pub messages: Vec<MessageView>,
}

/// `GET /api/v1/teams/{team}/inbox`: what reached the team, as its inbox page shows it (reading
/// it through the API leaves no read receipt).
pub(crate) async fn inbox<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    axum::extract::Query(query): axum::extract::Query<ListQuery>,
) -> Response {
    let teams = [app.live.team_id(view.team)];
    let messages = match messages_of(&app, Some(&teams), query.page(true)).await {
        Ok(list) => list,
        Err(e) => return e,
    };
    let worker = app.clone();
    let index = view.team;
    let Ok(arrived) = tokio::task::spawn_blocking(move || atoll_app::inbox::arrivals(&worker.live, index)).await else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "The inbox could not be read.");
    };
    let injects = arrived
        .into_iter()
        .map(|(at, i, track)| InjectView {
            id: i.id.name.clone(),
            channel: i.channel.as_str().to_owned(),
            from: i.from.get("en").to_owned(),
            subject: i.subject.get("en").to_owned(),
            body: i.body.get("en").to_owned(),
            track,
            at: when(&app, at),
            attachments: i
                .attachments
                .iter()
                .map(|a| AttachmentView {
                    name: a.name.clone(),
                    media_type: a.media_type.clone(),
                    content: a.content.as_ref().map(|c| c.get("en").to_owned()),
                })
                .collect(),
        })
        .collect();
    Json(InboxView { injects, messages }).into_response()
}

// ----- A team's questions --------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionView {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerGrade {
    pub earned: u32,
    pub max: u32,
    pub why: String,
}

/// The team's answer to a question (answers are final).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerView {
    pub id: i64,
    pub by: String,
    pub time: When,
    /// Exactly one of these, as the question's form takes it.
    pub choices: Option<Vec<String>>,
    pub text: Option<String>,
    pub indicators: Option<Vec<String>>,
    /// Choices and indicators are graded at once; free text once the white cell has.
    pub grade: Option<AnswerGrade>,
}

/// A question put to the team.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionView {
    pub id: String,
    pub prompt: String,
    pub asked: When,
    /// `choice` (answer with `choices`), `indicator` (with `indicators`) or `free_text` (with
    /// `text`).
    pub form: String,
    /// For `choice`: the options, and whether several may be chosen.
    pub options: Vec<OptionView>,
    pub multiple: bool,
    /// For `indicator`: what kind of indicator (`ipv4`, `domain`, …).
    pub indicator_kind: Option<String>,
    pub answer: Option<AnswerView>,
}

pub(super) fn question_view<S>(
    app: &App<S>,
    q: &atoll_scenario::model::Question,
    asked: u64,
    answer: Option<(atoll_store::Submission, Option<atoll_exercise::answers::Grade>)>,
) -> QuestionView {
    use atoll_exercise::answers::Answer;
    let answer = answer.map(|(s, grade)| {
        let given: Option<Answer> = serde_json::from_str(&s.body).ok();
        AnswerView {
            id: s.id,
            by: s.username,
            time: when(app, s.at),
            choices: match &given {
                Some(Answer::Choices(c)) => Some(c.clone()),
                _ => None,
            },
            text: match &given {
                Some(Answer::Text(t)) => Some(t.clone()),
                _ => None,
            },
            indicators: match &given {
                Some(Answer::Indicators(v)) => Some(v.clone()),
                _ => None,
            },
            grade: grade.map(|g| AnswerGrade {
                earned: g.earned,
                max: g.max,
                why: g.why,
            }),
        }
    });
    QuestionView {
        id: q.id.name.clone(),
        prompt: q.prompt.get("en").to_owned(),
        asked: when(app, asked),
        form: atoll_exercise::answers::form_of(q).to_owned(),
        options: q.choice.as_ref().map_or_else(Vec::new, |c| {
            c.options
                .iter()
                .map(|o| OptionView {
                    id: o.id.name.clone(),
                    text: o.text.get("en").to_owned(),
                })
                .collect()
        }),
        multiple: q.choice.as_ref().is_some_and(|c| c.multiple == Some(true)),
        indicator_kind: q.indicator.as_ref().map(|i| i.kind.as_str().to_owned()),
        answer,
    }
}

/// `GET /api/v1/teams/{team}/questions`: the questions put to the team so far, oldest first.
pub(crate) async fn questions<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let Some(asked) = atoll_app::questions::asked(&app, view.team).await else {
        return unreadable();
    };
    let list: Vec<QuestionView> = asked
        .into_iter()
        .map(|(q, at, answer)| question_view(&app, q, at, answer))
        .collect();
    Json(list).into_response()
}

/// An answer: the field the question's form takes.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// For a `choice` question: the ids of the options chosen.
    pub choices: Option<Vec<String>>,
    /// For a `free_text` question.
    pub text: Option<String>,
    /// For an `indicator` question: one value per indicator.
    pub indicators: Option<Vec<String>>,
}

/// `POST /api/v1/teams/{team}/questions/{question}/answer`: hands in the team's answer (final).
/// Answers with the question and the answer as stored.
pub(crate) async fn answer<S: Store>(
    State(app): State<Arc<App<S>>>,
    crate::auth::TeamPlayer(view): crate::auth::TeamPlayer,
    Path((_, question)): Path<(String, String)>,
    Json(request): Json<AnswerRequest>,
) -> Response {
    use atoll_exercise::answers::{Answer, form_of};
    let scenario: &'static atoll_scenario::Scenario = app.live.scenario;
    let Some(q) = scenario.questions.iter().find(|q| q.id.name == question) else {
        return problem(StatusCode::NOT_FOUND, "No such question.");
    };
    let given = match (form_of(q), request) {
        (
            "choice",
            AnswerRequest {
                choices: Some(c),
                text: None,
                indicators: None,
            },
        ) => Answer::Choices(c),
        (
            "indicator",
            AnswerRequest {
                indicators: Some(v),
                choices: None,
                text: None,
            },
        ) => Answer::Indicators(v),
        (
            "free_text",
            AnswerRequest {
                text: Some(t),
                choices: None,
                indicators: None,
            },
        ) => Answer::Text(t),
        (form, _) => {
            let field = match form {
                "choice" => "choices",
                "indicator" => "indicators",
                _ => "text",
            };
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("{field}: this question takes `{field}`, and nothing else"),
            );
        }
    };
    match atoll_app::questions::give_answer(&app, view.team, &view.user, q, &given).await {
        Ok(answered) => {
            let answer = Some((answered.submission, answered.grade));
            (
                StatusCode::CREATED,
                Json(question_view(&app, q, answered.asked, answer)),
            )
                .into_response()
        }
        // The API's field is `choices` where the form's is `choice`; every refusal of an
        // answer is a bad request, as it always was.
        Err(mut e) if e.is_refusal() => {
            if e.field.as_deref() == Some("choice") {
                e.field = Some("choices".to_owned());
            }
            e.kind = atoll_app::Kind::Invalid;
            failed(&e)
        }
        Err(e) => failed(&e),
    }
}

// ----- A team's hunt -------------------------------------------------------------------------

/// Rows of a hunt's answer per page.
pub(super) const HUNT_PAGE: usize = 100;

#[derive(Debug, Deserialize)]
pub(crate) struct HuntParams {
    q: Option<String>,
    page: Option<usize>,
}

/// A table a hunt's stages made.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HuntTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A hunt's answer: the events it found (each as its fields) or the table its stages made.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HuntAnswer {
    pub query: String,
    /// Events the search matched, before any stage.
    pub matched: u64,
    /// Rows of the answer over every page.
    pub total: usize,
    pub page: usize,
    /// Give it as `page` for the next page; absent on the last.
    pub next_page: Option<usize>,
    /// The events of this page, each with its number in the team's store (`row`).
    pub events: Option<Vec<Value>>,
    pub table: Option<HuntTable>,
    /// What the searcher should know that did not stop the query.
    pub notes: Vec<String>,
}

/// `GET /api/v1/teams/{team}/hunt?q=…&page=N`: runs a hunt in the team's events, as the hunt
/// page does (the same language, limits and share of the server's hunt slots).
pub(crate) async fn hunt<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    axum::extract::Query(params): axum::extract::Query<HuntParams>,
) -> Response {
    let query = params.q.unwrap_or_default();
    if query.trim().is_empty() {
        return problem(StatusCode::BAD_REQUEST, "q: give a query, e.g. `EventID=4688 whoami`");
    }
    if query.chars().count() > atoll_hunt::query::MAX_QUERY_CHARS {
        return problem(StatusCode::BAD_REQUEST, "q: a query is at most 10,000 characters");
    }
    let page = params.page.unwrap_or(0).min(10_000);
    let Some(_permit) = app.hunt_slot(view.team).await else {
        return problem(StatusCode::SERVICE_UNAVAILABLE, "The server is shutting down.");
    };
    let worker = app.clone();
    let team = view.team;
    let answered = tokio::task::spawn_blocking(move || {
        let live = &worker.live;
        let runtime = live.team(team);
        let start = runtime.start_unix_ms();
        let ctx = atoll_hunt::Context {
            now: Some(start + live.now() as i64),
            calendar: live.calendar(),
        };
        let paging = atoll_hunt::Page {
            offset: page * HUNT_PAGE,
            limit: HUNT_PAGE,
        };
        let store = runtime.store();
        store
            .search(&query, &ctx, &atoll_hunt::Limits::default(), paging)
            .map(|answer| {
                let (events, table) = match answer.output {
                    atoll_hunt::Output::Events(rows) => {
                        let events = rows
                            .iter()
                            .map(|&row| {
                                let mut line = String::new();
                                store.write_json(row, &mut line);
                                let mut event: Value = serde_json::from_str(&line).unwrap_or_else(|_| json!({}));
                                event["row"] = json!(row);
                                event
                            })
                            .collect();
                        (Some(events), None)
                    }
                    atoll_hunt::Output::Table(t) => (
                        None,
                        Some(HuntTable {
                            columns: t.columns,
                            rows: t.rows,
                        }),
                    ),
                };
                HuntAnswer {
                    next_page: ((page + 1) * HUNT_PAGE < answer.total).then_some(page + 1),
                    query,
                    matched: answer.matched,
                    total: answer.total,
                    page,
                    events,
                    table,
                    notes: answer.notes,
                }
            })
            .map_err(|e| format!("q: at column {}: {}", e.column, e.message))
    })
    .await;
    match answered {
        Ok(Ok(answer)) => Json(answer).into_response(),
        Ok(Err(message)) => problem(StatusCode::BAD_REQUEST, &message),
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "The hunt failed."),
    }
}

// ----- A team's rules and saved searches -----------------------------------------------------

/// A Sigma rule the team wrote.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRuleView {
    pub id: i64,
    pub title: String,
    /// The rule as written (Sigma YAML).
    pub yaml: String,
    /// Who turned it on, and from when it is live.
    pub by: String,
    pub on: When,
    /// When it was turned off and by whom, if it was.
    pub off: Option<When>,
    pub off_by: Option<String>,
    /// Why the server could not turn it on again after a restart, if it could not.
    pub problem: Option<String>,
}

/// `GET /api/v1/teams/{team}/rules`: the Sigma rules the team wrote, on and off, in the order
/// turned on.
pub(crate) async fn team_rules<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    axum::extract::Query(query): axum::extract::Query<ListQuery>,
) -> Response {
    let team = app.live.team_id(view.team);
    let Ok(rules) = app.db.team_rules(app.live.exercise, Some(&team)).await else {
        return unreadable();
    };
    let list: Vec<TeamRuleView> = query
        .of(rules, |r| r.id, true)
        .into_iter()
        .map(|r| TeamRuleView {
            problem: app.live.rule_problem(r.id),
            id: r.id,
            title: r.title,
            yaml: r.yaml,
            by: r.username,
            on: when(&app, r.at),
            off: r.off.as_ref().map(|(at, _)| when(&app, *at)),
            off_by: r.off.map(|(_, who)| who),
        })
        .collect();
    Json(list).into_response()
}

/// A search the team saved by name.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchView {
    pub id: i64,
    pub name: String,
    /// Run it with `GET …/hunt?q=`.
    pub query: String,
    pub by: String,
}

/// `GET /api/v1/teams/{team}/searches`: the searches the team saved.
pub(crate) async fn searches<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    axum::extract::Query(query): axum::extract::Query<ListQuery>,
) -> Response {
    let team = app.live.team_id(view.team);
    let Ok(mut saved) = app.db.saved_searches(app.live.exercise, &team).await else {
        return unreadable();
    };
    saved.sort_by_key(|s| s.id);
    let list: Vec<SavedSearchView> = query
        .of(saved, |s| s.id, true)
        .into_iter()
        .map(|s| SavedSearchView {
            id: s.id,
            name: s.name,
            query: s.query,
            by: s.username,
        })
        .collect();
    Json(list).into_response()
}

// ----- A team's hints ------------------------------------------------------------------------

/// A hint the team may open, or has opened.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HintView {
    /// Its number (1 for the scenario's first hint): `POST …/hints/{number}/open` opens it.
    pub number: usize,
    /// Points it costs once opened.
    pub penalty: u32,
    /// The question it helps with, when that question has been asked (a hint for anything
    /// else does not say what it helps with: that would name a step of the campaign).
    pub question: Option<String>,
    pub available: When,
    /// Who opened it and when; its text only once opened.
    pub opened_by: Option<String>,
    pub opened: Option<When>,
    pub text: Option<String>,
}

pub(super) fn hint_view<S>(
    app: &App<S>,
    h: &atoll_scenario::model::Hint,
    available: u64,
    opened: Option<(String, u64)>,
) -> HintView {
    let scenario = app.live.scenario;
    HintView {
        number: atoll_app::questions::hint_number(scenario, &h.id.name),
        penalty: h.penalty,
        question: scenario
            .questions
            .iter()
            .any(|q| q.id.name == h.r#for.name)
            .then(|| h.r#for.name.clone()),
        available: when(app, available),
        text: opened.as_ref().map(|_| h.text.get("en").to_owned()),
        opened: opened.as_ref().map(|(_, at)| when(app, *at)),
        opened_by: opened.map(|(who, _)| who),
    }
}

/// `GET /api/v1/teams/{team}/hints`: the hints the team may open now, and those it opened.
pub(crate) async fn hints<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let Some(hints) = atoll_app::questions::hints(&app, view.team).await else {
        return unreadable();
    };
    let list: Vec<HintView> = hints
        .into_iter()
        .map(|(h, at, opened)| hint_view(&app, h, at, opened))
        .collect();
    Json(list).into_response()
}

/// `POST /api/v1/teams/{team}/hints/{id}/open`: opens hint number `id` for the team (once; its
/// penalty counts). Answers with the hint and its text.
pub(crate) async fn open_hint<S: Store>(
    State(app): State<Arc<App<S>>>,
    crate::auth::TeamPlayer(view): crate::auth::TeamPlayer,
    Path((_, id)): Path<(String, usize)>,
) -> Response {
    let scenario: &'static atoll_scenario::Scenario = app.live.scenario;
    let Some(hint) = id.checked_sub(1).and_then(|n| scenario.hints.get(n)) else {
        return problem(StatusCode::NOT_FOUND, "No such hint.");
    };
    match atoll_app::questions::open_hint_now(&app, view.team, &view.user, &hint.id.name).await {
        Ok(open) => (
            StatusCode::CREATED,
            Json(hint_view(&app, hint, open.available, Some(open.opened))),
        )
            .into_response(),
        // A hint that cannot be opened now conflicts with how play stands.
        Err(e) if e.is_refusal() => failed(&e.conflicting()),
        Err(e) => failed(&e),
    }
}

// ----- A team's reports ----------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub title: String,
    /// Who it is for: `national_cert`, `partner_agency`, `regulator` or `management`.
    pub to: String,
    /// `TLP:CLEAR`, `TLP:GREEN`, `TLP:AMBER`, `TLP:AMBER+STRICT` or `TLP:RED`.
    pub tlp: String,
    pub what: String,
    pub when: Option<String>,
    pub impact: Option<String>,
    pub actions: Option<String>,
    pub indicators: Option<String>,
    pub next_steps: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportView {
    pub id: i64,
    pub team: String,
    pub title: String,
    /// The report's fields as handed in.
    pub content: Value,
    pub by: String,
    pub at: When,
    /// The white cell's grade and comment, once graded.
    pub grade: Option<GradeView>,
}

/// A page of the team's reports.
pub(super) async fn reports_of<S: Store>(
    app: &App<S>,
    team: &str,
    staff: bool,
    page: atoll_store::Page,
) -> Result<Vec<ReportView>, Response> {
    let teams = [team.to_owned()];
    let filter = atoll_store::SubmissionFilter {
        teams: Some(&teams),
        reports: true,
        ..atoll_store::SubmissionFilter::default()
    };
    let (all, _) = app
        .db
        .submissions_page(app.live.exercise, filter, page)
        .await
        .map_err(|_| unreadable())?;
    Ok(all
        .into_iter()
        .filter(|s| s.kind == Kind::Report)
        .map(|s| report_view(app, s, staff))
        .collect())
}

pub(super) fn report_view<S>(app: &App<S>, s: atoll_store::Submission, staff: bool) -> ReportView {
    ReportView {
        id: s.id,
        content: content(&s.body),
        at: when(app, s.at),
        grade: grade_view(app, &s, staff),
        team: s.team,
        title: s.subject,
        by: s.username,
    }
}

/// `GET /api/v1/teams/{team}/reports`: a page of the team's reports, oldest first.
pub(crate) async fn reports<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    axum::extract::Query(query): axum::extract::Query<ListQuery>,
) -> Response {
    let staff = view.user.role != Role::Player;
    match reports_of(&app, &app.live.team_id(view.team), staff, query.page(true)).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => e,
    }
}

/// `POST /api/v1/teams/{team}/reports`: answers with the report as stored.
pub(crate) async fn send_report<S: Store>(
    State(app): State<Arc<App<S>>>,
    crate::auth::TeamPlayer(view): crate::auth::TeamPlayer,
    Json(request): Json<ReportRequest>,
) -> Response {
    let text = |v: Option<String>| v.unwrap_or_default().trim().to_owned();
    let report = atoll_exercise::answers::Report {
        to: request.to.trim().to_owned(),
        tlp: request.tlp.trim().to_owned(),
        what: request.what.trim().to_owned(),
        when: text(request.when),
        impact: text(request.impact),
        actions: text(request.actions),
        indicators: text(request.indicators),
        next_steps: text(request.next_steps),
    };
    match atoll_app::reports::send(&app, view.team, &view.user, &request.title, &report).await {
        Ok(sent) => (StatusCode::CREATED, Json(report_view(&app, sent, false))).into_response(),
        Err(e) => failed(&e),
    }
}
