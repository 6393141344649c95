//! The OpenAPI 3.1 document, written from the operations listed here and the schemas of their
//! types.

use super::*;

// ----- The OpenAPI document --------------------------------------------------------------

/// Who may call an operation.
#[derive(Debug, Clone, Copy)]
pub(super) enum Who {
    Anyone,
    Signed,
    Staff,
    Instructor,
    /// The team's players, instructors and observers.
    TeamView,
    /// The team's players and instructors.
    TeamActor,
    /// The team's own players.
    TeamPlayer,
}

/// One operation of the API.
pub(super) struct Operation {
    method: &'static str,
    /// Under [`BASE`].
    path: &'static str,
    summary: &'static str,
    who: Who,
    request: Option<fn(&mut SchemaGenerator) -> Schema>,
    /// Status and body of the answer on success.
    status: u16,
    response: fn(&mut SchemaGenerator) -> Schema,
}

pub(super) fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Every operation, in the order the document lists them.
pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        method: "get",
        path: "/openapi.json",
        summary: "This document.",
        who: Who::Anyone,
        request: None,
        status: 200,
        response: schema::<Value>,
    },
    Operation {
        method: "get",
        path: "/exercise",
        summary: "The exercise: its clock, the teams you may see, the tracks, and who you are.",
        who: Who::Signed,
        request: None,
        status: 200,
        response: schema::<ExerciseView>,
    },
    Operation {
        method: "post",
        path: "/clock",
        summary: "Start, pause, resume, change the speed, jump forward, or end play. Answers with the clock.",
        who: Who::Instructor,
        request: Some(schema::<ClockRequest>),
        status: 200,
        response: schema::<ClockView>,
    },
    Operation {
        method: "get",
        path: "/board",
        summary: "Every team at a glance: campaign, detection, availability, alerts, injects read, score, last activity, who is signed in.",
        who: Who::Staff,
        request: None,
        status: 200,
        response: schema::<Board>,
    },
    Operation {
        method: "post",
        path: "/scoreboard",
        summary: "Show the scoreboard to the teams, or hide it.",
        who: Who::Instructor,
        request: Some(schema::<ScoreboardRequest>),
        status: 200,
        response: schema::<ScoreboardRequest>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/absent",
        summary: "Mark a team absent (nobody of it plays: its availability is not scored), or present again.",
        who: Who::Instructor,
        request: Some(schema::<AbsentRequest>),
        status: 200,
        response: schema::<AbsentRequest>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/score",
        summary: "A team's score with the reason for every point (players: settled items only).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<ScoreView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/timeline",
        summary: "A team's campaign as it stands (ran, prevented, skipped or to come; when detected) and the injects that reached it. Never shown to players.",
        who: Who::Staff,
        request: None,
        status: 200,
        response: schema::<Timeline>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/steps",
        summary: "Run a campaign step still to come now, delay it or skip it, for this team alone. Answers with the change as stored.",
        who: Who::Instructor,
        request: Some(schema::<StepChange>),
        status: 201,
        response: schema::<ActionView>,
    },
    Operation {
        method: "get",
        path: "/messages",
        summary: "Messages between the white cell and the teams, oldest first, a page at a time (at most 100; `after`: the id of the last message of the page before; `before`: newest first below that id; `limit`).",
        who: Who::Staff,
        request: None,
        status: 200,
        response: schema::<Vec<MessageView>>,
    },
    Operation {
        method: "post",
        path: "/messages",
        summary: "Send a message (an ad-hoc inject written on the spot) to one team or every team, one track or every track. Answers with the messages stored.",
        who: Who::Instructor,
        request: Some(schema::<MessageRequest>),
        status: 201,
        response: schema::<Vec<MessageView>>,
    },
    Operation {
        method: "post",
        path: "/injects",
        summary: "Send one of the scenario's injects now, to one team or every team it is addressed to.",
        who: Who::Instructor,
        request: Some(schema::<InjectRequest>),
        status: 201,
        response: schema::<InjectSent>,
    },
    Operation {
        method: "get",
        path: "/grading",
        summary: "Reports and answers written in free text, with what they are graded on and their grade; oldest first, a page at a time (`after`, `before`, `limit`, at most 100).",
        who: Who::Staff,
        request: None,
        status: 200,
        response: schema::<Vec<GradingItem>>,
    },
    Operation {
        method: "post",
        path: "/grading/{id}",
        summary: "Grade a report or a written answer (again, to change its grade).",
        who: Who::Instructor,
        request: Some(schema::<GradeRequest>),
        status: 200,
        response: schema::<GradingItem>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/actions",
        summary: "The team's response actions (and, for the white cell, its changes to the team's campaign).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<ActionView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/actions",
        summary: "Take a response action now. Answers with the action as stored.",
        who: Who::TeamActor,
        request: Some(schema::<ActionRequest>),
        status: 201,
        response: schema::<ActionView>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/cases",
        summary: "Open a case.",
        who: Who::TeamActor,
        request: Some(schema::<CaseRequest>),
        status: 201,
        response: schema::<CaseView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/cases/{id}",
        summary: "A case and its entries.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<CaseView>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/cases/{id}/entries",
        summary: "Add a note, an alert, an event, an indicator or a status to a case. Answers with the case.",
        who: Who::TeamActor,
        request: Some(schema::<EntryRequest>),
        status: 201,
        response: schema::<CaseView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/reports",
        summary: "The team's incident reports, with the white cell's grade and comment once graded; oldest first, a page at a time (`after`, `before`, `limit`, at most 100).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<ReportView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/reports",
        summary: "Hand in an incident report (the team's players only, while play goes on). Answers with the report as stored.",
        who: Who::TeamPlayer,
        request: Some(schema::<ReportRequest>),
        status: 201,
        response: schema::<ReportView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/alerts",
        summary: "A page of the team's alerts, newest first, filtered as the queue filters them (query: `state` open|new|investigating|true_positive|false_positive|suppressed|any, `level`, `rule`, `host`, `attack`, `from`, `to`, `q`, `sort` newest|oldest|level, `after` for the next page).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<AlertsPage>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/alerts/{id}/verdict",
        summary: "Judge an alert by its number (a process seen by Sysmon and by Security auditing is judged as one). Marked true positive, it tells the team's world that the step behind it was detected. Answers with the alert as it now stands.",
        who: Who::TeamActor,
        request: Some(schema::<VerdictRequest>),
        status: 200,
        response: schema::<AlertView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/inbox",
        summary: "What reached the team: the scenario's injects (by their time, after what they follow, when their condition held, or sent by hand), newest first, with attachments; and the messages between the team and the white cell (oldest first, a page at a time: `after`, `before`, `limit`, at most 100).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<InboxView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/hunt",
        summary: "Hunt in the team's events with the hunt page's language (`q`; `page` from 0, 100 rows a page): the events found, each with its fields and `row`, or the table the query's stages made. A query that cannot be read is refused saying at which column.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<HuntAnswer>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/rules",
        summary: "The Sigma rules the team wrote, on and off, in the order turned on, each with who turned it on and from when, and why it is not running if the server could not turn it on again; a page at a time (`after`, `before`, `limit`, at most 100).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<TeamRuleView>>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/searches",
        summary: "The searches the team saved by name, in the order saved (run one with `GET /teams/{team}/hunt?q=`); a page at a time (`after`, `before`, `limit`, at most 100).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<SavedSearchView>>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/hints",
        summary: "The hints the team may open now and those it opened (with who, when and the text). A hint says which question it helps with only once that question was asked.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<HintView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/hints/{id}/open",
        summary: "Open a hint by its number (the team's players only, once, when it is available, while play goes on): its penalty counts from now. Answers with the hint and its text.",
        who: Who::TeamPlayer,
        request: None,
        status: 201,
        response: schema::<HintView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/questions",
        summary: "The questions put to the team so far, oldest first, each with its form and the team's answer and grade once answered.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<QuestionView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/questions/{question}/answer",
        summary: "Hand in the team's answer to a question put to it (the team's players only, once, while play goes on). Answers with the question and the answer as stored.",
        who: Who::TeamPlayer,
        request: Some(schema::<AnswerRequest>),
        status: 201,
        response: schema::<QuestionView>,
    },
    Operation {
        method: "get",
        path: "/exercises",
        summary: "Every exercise in this server's database (made with `atoll admin`), and which one this server runs.",
        who: Who::Instructor,
        request: None,
        status: 200,
        response: schema::<Vec<ExerciseEntry>>,
    },
    Operation {
        method: "get",
        path: "/detection",
        summary: "The exercise's detection rules as the Detection rules page lists them, on or off and why, 100 a page (query: `show` on|off, `q`, `level`, `page` from 0).",
        who: Who::Staff,
        request: None,
        status: 200,
        response: schema::<CatalogPage>,
    },
    Operation {
        method: "post",
        path: "/detection/{rule}",
        summary: "Turn one of the exercise's shared detection rules (by its id) on or off for every team, from now. Written to the audit log.",
        who: Who::Instructor,
        request: Some(schema::<SwitchRequest>),
        status: 200,
        response: schema::<Switched>,
    },
    Operation {
        method: "get",
        path: "/scoreboard",
        summary: "The scoreboard as the Scoreboard page shows it to you, best first: the white cell always; players once an instructor shows it to teams.",
        who: Who::Signed,
        request: None,
        status: 200,
        response: schema::<ScoreboardView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/alerts/{id}",
        summary: "One of the team's alerts, by its number.",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<AlertView>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/alerts/verdicts",
        summary: "One verdict for every alert a filter selects (at least one filter; at most 10,000 alerts), each with its twin; `expect` refuses it if the filter now selects another number. A true positive tells the team's world which steps were detected.",
        who: Who::TeamActor,
        request: Some(schema::<BulkVerdictRequest>),
        status: 200,
        response: schema::<BulkVerdictDone>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/cases",
        summary: "The team's cases, newest first, with how many entries of each kind; a page at a time (`before`: the id of the last case of the page before; `limit`, at most 100).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<CaseSummary>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/cases/{id}/alerts",
        summary: "Add every alert a filter selects (and the case has not yet) to one of the team's open cases: at most 200 at once. Answers with the case.",
        who: Who::TeamActor,
        request: Some(schema::<CaseAlertsRequest>),
        status: 200,
        response: schema::<CaseView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/suppressions",
        summary: "The team's suppressions, newest first, in force and ended, each with how many alerts it hides now; a page at a time (`before`, or `after` for oldest first; `limit`, at most 100).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<Vec<SuppressionView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/suppressions",
        summary: "Suppress a rule's alerts (by the title they show), optionally on one host and where one field has one value, with a reason. At most 50 in force. Answers with the suppression as stored.",
        who: Who::TeamActor,
        request: Some(schema::<SuppressionRequest>),
        status: 201,
        response: schema::<SuppressionView>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/suppressions/{id}/end",
        summary: "End a suppression: its alerts come back to the queue. Answers with the team's suppressions.",
        who: Who::TeamActor,
        request: None,
        status: 200,
        response: schema::<Vec<SuppressionView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/rules",
        summary: "Turn on a Sigma rule the team wrote: it raises alerts on the team's events from now. Answers with the rule as stored.",
        who: Who::TeamActor,
        request: Some(schema::<RuleRequest>),
        status: 201,
        response: schema::<TeamRuleView>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/rules/test",
        summary: "Test a Sigma rule over the team's events so far, storing nothing: how many it matches, by host, the newest; against what really happened for the white cell, and for players once play has ended. Open after play too.",
        who: Who::TeamActor,
        request: Some(schema::<RuleRequest>),
        status: 200,
        response: schema::<RuleTestView>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/rules/{id}/off",
        summary: "Turn off one of the team's rules. Answers with the team's rules.",
        who: Who::TeamActor,
        request: None,
        status: 200,
        response: schema::<Vec<TeamRuleView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/searches",
        summary: "Save a hunt by name (saving a name again replaces its query). Answers with the team's saved searches.",
        who: Who::TeamActor,
        request: Some(schema::<SearchRequest>),
        status: 201,
        response: schema::<Vec<SavedSearchView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/searches/{id}/delete",
        summary: "Delete a saved search. Answers with the team's saved searches.",
        who: Who::TeamActor,
        request: None,
        status: 200,
        response: schema::<Vec<SavedSearchView>>,
    },
    Operation {
        method: "post",
        path: "/teams/{team}/messages",
        summary: "Write to the white cell as the team (the team's players only). Answers with the message as stored.",
        who: Who::TeamPlayer,
        request: Some(schema::<TeamMessageRequest>),
        status: 201,
        response: schema::<MessageView>,
    },
    Operation {
        method: "get",
        path: "/teams/{team}/network",
        summary: "The team's services (up now, availability so far and hour by hour) and hosts (with the id response actions name them by, and what the team did to them).",
        who: Who::TeamView,
        request: None,
        status: 200,
        response: schema::<NetworkView>,
    },
    Operation {
        method: "get",
        path: "/account/tokens",
        summary: "Your personal API tokens (never the tokens themselves), as the account page lists them.",
        who: Who::Signed,
        request: None,
        status: 200,
        response: schema::<Vec<TokenView>>,
    },
    Operation {
        method: "post",
        path: "/account/tokens",
        summary: "Make a personal API token (at most 20 at once): the answer holds it, this once.",
        who: Who::Signed,
        request: Some(schema::<TokenRequest>),
        status: 201,
        response: schema::<NewToken>,
    },
    Operation {
        method: "post",
        path: "/account/tokens/{id}/revoke",
        summary: "Revoke one of your API tokens. Answers with your tokens.",
        who: Who::Signed,
        request: None,
        status: 200,
        response: schema::<Vec<TokenView>>,
    },
    Operation {
        method: "get",
        path: "/people",
        summary: "Every account, and who is signed in. Observers who follow chosen teams are refused, as on the People page.",
        who: Who::Staff,
        request: None,
        status: 200,
        response: schema::<Vec<Person>>,
    },
    Operation {
        method: "post",
        path: "/people/{id}/end",
        summary: "End every session and API token of a user (a lost laptop, a shared account). Answers with everyone.",
        who: Who::Instructor,
        request: None,
        status: 200,
        response: schema::<Vec<Person>>,
    },
    Operation {
        method: "post",
        path: "/people/{id}/follows",
        summary: "Choose the teams an observer follows (none: every team). Answers with everyone.",
        who: Who::Instructor,
        request: Some(schema::<FollowsRequest>),
        status: 200,
        response: schema::<Vec<Person>>,
    },
    Operation {
        method: "get",
        path: "/audit",
        summary: "The white cell's audit log, newest first, 100 entries a page (`before`: the id of the last entry of the page before). Entries are never changed or removed.",
        who: Who::Instructor,
        request: None,
        status: 200,
        response: schema::<Vec<AuditView>>,
    },
    Operation {
        method: "post",
        path: "/invitations",
        summary: "Make a one-time invitation link: a player of one team, or an observer.",
        who: Who::Instructor,
        request: Some(schema::<InvitationRequest>),
        status: 201,
        response: schema::<InvitationView>,
    },
    Operation {
        method: "post",
        path: "/invitations/{id}/revoke",
        summary: "Revoke an unused, unexpired invitation, by the id `POST /invitations` answered with. Its link no longer works. Answers with the invitation as it now stands.",
        who: Who::Instructor,
        request: None,
        status: 200,
        response: schema::<InvitationState>,
    },
];

/// Every operation as (method, path under [`BASE`]), for tests.
pub fn operations() -> Vec<(&'static str, &'static str)> {
    OPERATIONS.iter().map(|o| (o.method, o.path)).collect()
}

/// The OpenAPI 3.1 document.
pub fn openapi() -> Value {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut generator = settings.into_generator();
    let problem_ref = generator.subschema_for::<Problem>();
    let mut paths = serde_json::Map::new();
    for op in OPERATIONS {
        let mut parameters = Vec::new();
        for name in ["team", "id", "question", "rule"] {
            if op.path.contains(&format!("{{{name}}}")) {
                parameters.push(json!({
                    "name": name,
                    "in": "path",
                    "required": true,
                    "schema": if name == "id" { json!({"type": "integer"}) } else { json!({"type": "string"}) },
                    "description": match name {
                        "team" => "A team's id, e.g. `palau`.",
                        "question" => "A question's id, e.g. `q-edge-indicators`.",
                        "rule" => "A detection rule's id, as the detection page shows it.",
                        _ => "The item's id.",
                    },
                }));
            }
        }
        let who = match op.who {
            Who::Anyone => "Anyone; no token needed.",
            Who::Signed => "Anyone with a token.",
            Who::Staff => "Instructors and observers (observers who follow chosen teams see those).",
            Who::Instructor => "Instructors.",
            Who::TeamView => "The team's players, instructors, and observers who follow the team.",
            Who::TeamActor => "The team's players and instructors.",
            Who::TeamPlayer => "The team's own players.",
        };
        let mut operation = json!({
            "summary": op.summary,
            "description": format!("Who: {who}"),
            "parameters": parameters,
            "responses": {
                op.status.to_string(): {
                    "description": "Done.",
                    "content": {"application/json": {"schema": (op.response)(&mut generator)}},
                },
                "default": {
                    "description": "Refused: the message says what and, in `field`, where.",
                    "content": {"application/json": {"schema": problem_ref}},
                },
            },
        });
        if matches!(op.who, Who::Anyone) {
            operation["security"] = json!([]);
        }
        if let Some(request) = op.request {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": request(&mut generator)}},
            });
        }
        let path = paths.entry(format!("{BASE}{}", op.path)).or_insert_with(|| json!({}));
        path[op.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "atoll",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Drive an atoll exercise from scripts: everything the white cell's console does (clock, steps, messages, injects, grading, detection rules, scoreboard, people, invitations, the audit log), and everything a team does on its pages (alerts and verdicts, suppressions, hunts and saved searches, its own rules, cases, response actions, questions, hints, reports, messages, its network and score). Authenticate with a personal API token (made on /account) as `Authorization: Bearer atoll_…`; a token acts as its user, with the same rights.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "description": "A personal API token, `atoll_` and 64 hex digits."}},
        },
    })
}

/// `GET /api/v1/openapi.json`
pub(crate) async fn document() -> Response {
    Json(openapi()).into_response()
}
