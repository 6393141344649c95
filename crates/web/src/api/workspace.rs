//! The rest of a team's workspace: one alert, verdicts and case links for many alerts at once,
//! suppressions, the team's cases, its own rules turned on and off, saved searches, its
//! messages to the white cell, and its network.

use super::*;

/// The queue's filters, as the alerts list takes them in its query (every one optional;
/// empty is no filter).
#[derive(Debug, Default, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertFilter {
    /// `open` (new or investigating), `new`, `investigating`, `true_positive`,
    /// `false_positive`, `suppressed` or `any`.
    #[serde(default)]
    pub state: String,
    /// Lowest level: `informational`, `low`, `medium`, `high`, `critical`.
    #[serde(default)]
    pub level: String,
    /// A rule's exact title.
    #[serde(default)]
    pub rule: String,
    /// A host's exact name (any case).
    #[serde(default)]
    pub host: String,
    /// An ATT&CK technique (`T1505`, with its sub-techniques) or tactic (`persistence`).
    #[serde(default)]
    pub attack: String,
    /// Exercise time range, e.g. `D1 09:00`.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// Words looked for in the rule's title and the host.
    #[serde(default)]
    pub q: String,
}

impl AlertFilter {
    fn queue(self) -> atoll_app::queue::Filter {
        atoll_app::queue::Filter {
            state: self.state,
            level: self.level,
            rule: self.rule,
            host: self.host,
            attack: self.attack,
            from: self.from,
            to: self.to,
            q: self.q,
            ..Default::default()
        }
    }
}

/// `GET /api/v1/teams/{team}/alerts/{id}`: one alert by its number.
pub(crate) async fn alert<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Path((_, id)): Path<(String, usize)>,
) -> Response {
    let index = view.team;
    let records = match atoll_app::queue::queue_records(&app, &app.live.team_id(index)).await {
        Ok(records) => records,
        Err(e) => return failed(&e),
    };
    let worker = app.clone();
    let one = tokio::task::spawn_blocking(move || {
        atoll_app::queue::one(&worker, index, id, &records.triages, &records.suppressions)
            .map(|l| alert_view(&worker, l))
    })
    .await
    .ok()
    .flatten();
    match one {
        Some(view) => Json(view).into_response(),
        None => problem(StatusCode::NOT_FOUND, "Your team has no such alert."),
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkVerdictRequest {
    /// Which alerts: at least one filter (never the whole queue at once).
    pub filter: AlertFilter,
    /// `new`, `investigating`, `true_positive` or `false_positive`.
    pub state: String,
    /// Why (at most 2,000 characters).
    pub note: Option<String>,
    /// How many alerts you expect the filter to select (as a listing showed): refused if it
    /// selects another number now.
    pub expect: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkVerdictDone {
    /// How many alerts of the queue were judged (each with its twin, if it has one).
    pub judged: usize,
    pub state: String,
}

/// `POST /api/v1/teams/{team}/alerts/verdicts`: one verdict for every alert a filter selects.
pub(crate) async fn bulk_verdict<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Json(request): Json<BulkVerdictRequest>,
) -> Response {
    let filter = request.filter.queue();
    let note = request.note.unwrap_or_default();
    let shown = atoll_app::queue::Shown {
        upto: None,
        expect: request.expect,
    };
    let judged =
        atoll_app::queue::bulk_verdict(&app, view.team, &view.user, &filter, (&request.state, &note), shown).await;
    match judged {
        Ok(judged) => Json(BulkVerdictDone {
            judged,
            state: request.state.trim().to_owned(),
        })
        .into_response(),
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseAlertsRequest {
    /// Which alerts: at least one filter (at most 200 alerts go into a case at once).
    pub filter: AlertFilter,
    /// How many alerts you expect the filter to select: refused if it selects another number.
    pub expect: Option<usize>,
}

/// `POST /api/v1/teams/{team}/cases/{id}/alerts`: adds every alert a filter selects (and the
/// case has not yet) to one of the team's open cases. Answers with the case.
pub(crate) async fn case_alerts<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, i64)>,
    Json(request): Json<CaseAlertsRequest>,
) -> Response {
    let filter = request.filter.queue();
    let shown = atoll_app::queue::Shown {
        upto: None,
        expect: request.expect,
    };
    if let Err(e) = atoll_app::queue::link_to_case(&app, view.team, &view.user, &filter, Some(id), shown).await {
        return failed(&e);
    }
    case_view(&app, &app.live.team_id(view.team), id, StatusCode::OK).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseSummary {
    pub id: i64,
    pub title: String,
    /// `open`, `contained`, `eradicated`, `recovered` or `closed`.
    pub status: String,
    pub opened_by: String,
    pub at: When,
    /// How many of each kind of entry it has.
    pub alerts: u32,
    pub events: u32,
    pub indicators: u32,
    pub notes: u32,
}

/// `GET /api/v1/teams/{team}/cases`: a page of the team's cases, newest first.
pub(crate) async fn cases<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    axum::extract::Query(query): axum::extract::Query<super::ListQuery>,
) -> Response {
    let page = query.page(false);
    let Ok(cases) = app
        .db
        .cases_page(app.live.exercise, &app.live.team_id(view.team), page)
        .await
    else {
        return unreadable();
    };
    let list: Vec<CaseSummary> = cases
        .into_iter()
        .map(|c| CaseSummary {
            id: c.id,
            title: c.title,
            status: c.status,
            opened_by: c.username,
            at: when(&app, c.at),
            alerts: c.alerts,
            events: c.events,
            indicators: c.indicators,
            notes: c.notes,
        })
        .collect();
    Json(list).into_response()
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// `host`, or a field of the alert's event (`Image`, `User`, …).
    pub field: String,
    pub value: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionView {
    pub id: i64,
    /// The rule whose alerts it hides, by the title its alerts show.
    pub rule: String,
    /// What an alert's event must all have to be hidden.
    pub conditions: Vec<Condition>,
    pub reason: String,
    pub by: String,
    pub at: When,
    /// When it was ended and by whom; absent while it is in force.
    pub ended: Option<When>,
    pub ended_by: Option<String>,
    /// How many of the team's alerts it hides now.
    pub hides: usize,
}

/// The team's suppressions as views, with how many alerts each hides. Takes the team's lock.
fn suppression_views<S>(app: &App<S>, index: usize, list: Vec<atoll_store::Suppression>) -> Vec<SuppressionView> {
    let hidden = {
        let runtime = app.live.team(index);
        atoll_app::suppress::hidden(&list, runtime.alerts(), runtime.store())
    };
    list.into_iter()
        .map(|s| SuppressionView {
            hides: hidden.iter().find(|(id, _)| *id == s.id).map_or(0, |(_, h)| h.len()),
            id: s.id,
            rule: s.rule,
            conditions: s
                .conditions
                .into_iter()
                .map(|(field, value)| Condition { field, value })
                .collect(),
            reason: s.reason,
            by: s.username,
            at: when(app, s.at),
            ended: s.ended.as_ref().map(|(at, _)| when(app, *at)),
            ended_by: s.ended.map(|(_, who)| who),
        })
        .collect()
}

/// A page of the team's suppressions (newest first unless asked `after` an id), as the answer.
async fn suppressions_of<S: Store>(app: &Arc<App<S>>, index: usize, query: ListQuery) -> Response {
    let Ok(mut list) = app
        .db
        .suppressions(app.live.exercise, Some(&app.live.team_id(index)))
        .await
    else {
        return unreadable();
    };
    list.sort_by_key(|s| s.id);
    let worker = app.clone();
    match tokio::task::spawn_blocking(move || query.of(suppression_views(&worker, index, list), |s| s.id, false)).await
    {
        Ok(views) => Json(views).into_response(),
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "The suppressions could not be read."),
    }
}

/// `GET /api/v1/teams/{team}/suppressions`
pub(crate) async fn suppressions<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    axum::extract::Query(query): axum::extract::Query<ListQuery>,
) -> Response {
    suppressions_of(&app, view.team, query).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionRequest {
    /// The rule whose alerts to hide, by the title its alerts show.
    pub rule: String,
    /// Only on this host.
    pub host: Option<String>,
    /// Only where this field of the event…
    pub field: Option<String>,
    /// …has this value.
    pub value: Option<String>,
    /// Why (3 to 500 characters; the white cell reads it).
    pub reason: String,
}

/// `POST /api/v1/teams/{team}/suppressions`: answers with the suppression as stored.
pub(crate) async fn suppress<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Json(request): Json<SuppressionRequest>,
) -> Response {
    let asked = atoll_app::suppress::NewSuppression {
        rule: request.rule,
        host: request.host.unwrap_or_default(),
        field: request.field.unwrap_or_default(),
        value: request.value.unwrap_or_default(),
        reason: request.reason,
    };
    let index = view.team;
    match atoll_app::suppress::create(&app, index, &view.user, asked).await {
        Ok(made) => {
            let worker = app.clone();
            match tokio::task::spawn_blocking(move || suppression_views(&worker, index, vec![made])).await {
                Ok(mut views) if !views.is_empty() => (StatusCode::CREATED, Json(views.remove(0))).into_response(),
                _ => problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The suppression was stored but cannot be shown.",
                ),
            }
        }
        Err(e) => failed(&e),
    }
}

/// `POST /api/v1/teams/{team}/suppressions/{id}/end`: its alerts come back to the queue.
/// Answers with the team's suppressions.
pub(crate) async fn end_suppression<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    if let Err(e) = atoll_app::suppress::end(&app, view.team, &view.user, id).await {
        return failed(&e);
    }
    suppressions_of(&app, view.team, ListQuery::default()).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    /// One Sigma detection rule (YAML, at most 20,000 bytes). A rule that does not compile is
    /// refused with each problem's line and column.
    pub yaml: String,
}

/// `POST /api/v1/teams/{team}/rules`: turns a rule the team wrote on, from now. Answers with
/// the rule as stored.
pub(crate) async fn turn_on_rule<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Json(request): Json<RuleRequest>,
) -> Response {
    match atoll_app::rules::turn_on(&app, view.team, &view.user, &request.yaml).await {
        Ok(on) => (
            StatusCode::CREATED,
            Json(TeamRuleView {
                id: on.id,
                title: on.title,
                yaml: request.yaml,
                by: view.user.username.clone(),
                on: when(&app, on.at),
                off: None,
                off_by: None,
                problem: None,
            }),
        )
            .into_response(),
        Err(e) => failed(&e),
    }
}

/// `POST /api/v1/teams/{team}/rules/{id}/off`: answers with the team's rules.
pub(crate) async fn turn_off_rule<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    if let Err(e) = atoll_app::rules::turn_off(&app, view.team, &view.user, id).await {
        return failed(&e);
    }
    team_rules(State(app), view, axum::extract::Query(ListQuery::default())).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// At most 80 characters; saving a name again replaces its query.
    pub name: String,
    /// A hunt, in the hunt page's language.
    pub q: String,
}

/// `POST /api/v1/teams/{team}/searches`: answers with the team's saved searches.
pub(crate) async fn save_search<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Json(request): Json<SearchRequest>,
) -> Response {
    if let Err(e) = atoll_app::searches::save(&app, view.team, &view.user, &request.name, &request.q).await {
        return failed(&e);
    }
    let mut answer = searches(State(app), view, axum::extract::Query(ListQuery::default())).await;
    if answer.status() == StatusCode::OK {
        *answer.status_mut() = StatusCode::CREATED;
    }
    answer
}

/// `POST /api/v1/teams/{team}/searches/{id}/delete`: answers with the team's saved searches.
pub(crate) async fn delete_search<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    if let Err(e) = atoll_app::searches::delete(&app, view.team, id).await {
        return failed(&e);
    }
    searches(State(app), view, axum::extract::Query(ListQuery::default())).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMessageRequest {
    pub subject: String,
    pub body: String,
    /// A reply on the thread of this scenario inject (one in the team's inbox); absent: a
    /// message on its own.
    #[serde(default)]
    pub inject: Option<String>,
}

/// `POST /api/v1/teams/{team}/messages`: the team's players write to the white cell.
pub(crate) async fn team_message<S: Store>(
    State(app): State<Arc<App<S>>>,
    crate::auth::TeamPlayer(view): crate::auth::TeamPlayer,
    Json(request): Json<TeamMessageRequest>,
) -> Response {
    match atoll_app::messages::from_team(
        &app,
        view.team,
        &view.user,
        &request.subject,
        &request.body,
        request.inject.as_deref(),
    )
    .await
    {
        Ok(sent) => (StatusCode::CREATED, Json(sent_view(&app, &view.user, sent))).into_response(),
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceView {
    pub name: String,
    pub organisation: String,
    /// `low`, `medium`, `high` or `critical`.
    pub criticality: String,
    /// Up now.
    pub up: bool,
    /// Percent of play so far it was up.
    pub available: f64,
    /// Percent up hour by hour from the start of play (the latest 120 hours): the hour's
    /// start, and the share.
    pub hourly: Vec<HourUp>,
    /// The hosts it runs on.
    pub hosts: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HourUp {
    pub hour: String,
    pub percent: f64,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostView {
    pub hostname: String,
    /// What response actions name it by.
    pub id: String,
    pub address: String,
    pub role: String,
    pub organisation: String,
    /// What the team has done to it (`isolated`, `shut down`, …), or `normal`.
    pub state: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkView {
    pub services: Vec<ServiceView>,
    pub hosts: Vec<HostView>,
}

/// `GET /api/v1/teams/{team}/network`: the team's services and hosts as they stand.
pub(crate) async fn network<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let index = view.team;
    let worker = app.clone();
    blocking_json(move || {
        let (services, hosts) = crate::network::rows(&worker, index);
        NetworkView {
            services: services
                .into_iter()
                .map(|s| ServiceView {
                    name: s.name,
                    organisation: s.org,
                    criticality: s.criticality.to_owned(),
                    up: s.up,
                    available: s.available,
                    hourly: s
                        .hourly
                        .into_iter()
                        .map(|(hour, percent)| HourUp { hour, percent })
                        .collect(),
                    hosts: s.hosts,
                })
                .collect(),
            hosts: hosts
                .into_iter()
                .map(|h| HostView {
                    hostname: h.hostname,
                    id: h.id,
                    address: h.address,
                    role: h.role.to_owned(),
                    organisation: h.org,
                    state: if h.state.is_empty() {
                        "normal".to_owned()
                    } else {
                        h.state
                    },
                })
                .collect(),
        }
    })
    .await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExerciseEntry {
    pub id: i64,
    pub name: String,
    /// Where its scenario came from: a file, or `bundled:NAME`.
    pub scenario: String,
    pub seed: u64,
    /// Day 1, `YYYY-MM-DD`.
    pub day_one: String,
    /// The one this server runs.
    pub running: bool,
}

/// `GET /api/v1/exercises`: every exercise in this server's database (made with
/// `atoll admin`), and which one it runs.
pub(crate) async fn exercises<S: Store>(State(app): State<Arc<App<S>>>, Instructor(_): Instructor) -> Response {
    let Ok(all) = app.db.exercises().await else {
        return unreadable();
    };
    let list: Vec<ExerciseEntry> = all
        .into_iter()
        .map(|e| ExerciseEntry {
            running: e.id == app.live.exercise,
            id: e.id,
            name: e.name,
            scenario: e.scenario_path,
            seed: e.seed,
            day_one: e.date,
        })
        .collect();
    Json(list).into_response()
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchRequest {
    /// `true` to turn the rule on for every team, `false` to turn it off.
    pub on: bool,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Switched {
    /// The rule's id.
    pub rule: String,
    pub on: bool,
}

/// `POST /api/v1/detection/{rule}`: turns one of the exercise's shared rules on or off for
/// every team, from now.
pub(crate) async fn switch_rule<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Path(rule): Path<String>,
    Json(request): Json<SwitchRequest>,
) -> Response {
    match atoll_app::rules::switch_shared(&app, &user, &rule, request.on).await {
        Ok(()) => Json(Switched { rule, on: request.on }).into_response(),
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StandingLine {
    /// 1 for the highest share of its own maximum; equal shares share a rank.
    pub rank: usize,
    pub team: String,
    pub name: String,
    pub total: u32,
    pub earned: u32,
    pub penalty: u32,
    pub possible: u32,
    /// Points as a share of the team's own maximum, in percent: what ranks teams, whose
    /// maxima differ.
    pub percent: u32,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreboardView {
    /// Whether the teams see it.
    pub shown: bool,
    /// Best first.
    pub teams: Vec<StandingLine>,
}

/// `GET /api/v1/scoreboard`: as the Scoreboard page shows it to this user.
pub(crate) async fn standings<S: Store>(State(app): State<Arc<App<S>>>, Signed(user): Signed) -> Response {
    match atoll_app::score::standings(&app, &user).await {
        Ok((lines, shown)) => Json(ScoreboardView {
            shown,
            teams: lines
                .into_iter()
                .map(|l| StandingLine {
                    rank: l.rank,
                    team: l.team,
                    name: l.name.to_owned(),
                    total: l.total,
                    earned: l.earned,
                    penalty: l.penalty,
                    possible: l.possible,
                    percent: l.percent,
                })
                .collect(),
        })
        .into_response(),
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostHits {
    pub host: String,
    pub events: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchedEvent {
    /// `D1 09:23`.
    pub time: String,
    pub host: String,
    /// `field=value`, one per line.
    pub fields: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepCaught {
    pub step: String,
    /// Its events the rule matches, of all its events.
    pub matched: u64,
    pub events: u64,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleTruth {
    /// Matching events that the attack left.
    pub attack: u64,
    /// Matching events of benign activity: the false positives it would raise.
    pub benign: u64,
    /// Steps that ran whose events it matches.
    pub caught: Vec<StepCaught>,
    /// Steps that ran and that it misses.
    pub missed: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleTestView {
    /// Events it matches, of the team's events so far.
    pub matched: u64,
    pub events: u64,
    /// Matching events by host, most first.
    pub by_host: Vec<HostHits>,
    /// The newest matching events (at most 20).
    pub newest: Vec<MatchedEvent>,
    /// Against what really happened: for the white cell, and for players once play has ended.
    pub truth: Option<RuleTruth>,
}

/// `POST /api/v1/teams/{team}/rules/test`: runs a rule over the team's events so far, storing
/// nothing (also after play has ended, for the debrief).
pub(crate) async fn test_rule<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Json(request): Json<RuleRequest>,
) -> Response {
    let set = match atoll_app::rules::compile(&request.yaml) {
        Ok(set) => set,
        Err(problems) => {
            let e = atoll_app::Error::invalid("yaml", problems.join("; ")).with_details(problems);
            return failed(&e);
        }
    };
    let truth = view.user.role != atoll_store::Role::Player || app.live.ended().is_some();
    let tested = match atoll_app::rules::test(&app, view.team, set, truth).await {
        Ok(tested) => tested,
        Err(why) => {
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("The rule was not tested: {why}"),
            );
        }
    };
    Json(RuleTestView {
        matched: tested.matched,
        events: tested.events,
        by_host: tested
            .by_host
            .into_iter()
            .map(|(host, events)| HostHits { host, events })
            .collect(),
        newest: tested
            .newest
            .into_iter()
            .map(|(time, host, fields)| MatchedEvent { time, host, fields })
            .collect(),
        truth: tested.truth.map(|t| RuleTruth {
            attack: t.attack,
            benign: t.benign,
            caught: t
                .caught
                .into_iter()
                .map(|(step, matched, events)| StepCaught {
                    step,
                    matched: matched as u64,
                    events: events as u64,
                })
                .collect(),
            missed: t.missed,
        }),
    })
    .into_response()
}

#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogQuery {
    /// `on`, `off`, or empty for both.
    #[serde(default)]
    pub show: String,
    /// Words looked for in the id, title, author and techniques.
    #[serde(default)]
    pub q: String,
    /// The lowest level listed: `informational`, `low`, `medium`, `high`, `critical`.
    #[serde(default)]
    pub level: String,
    /// From 0, 100 rules a page.
    #[serde(default)]
    pub page: usize,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogRule {
    /// Its id: `POST /detection/{rule}` switches it (empty for one that cannot be switched).
    pub id: String,
    pub title: String,
    pub level: Option<String>,
    pub status: String,
    pub author: String,
    pub techniques: String,
    /// `sigmahq`, `atoll` or an added folder.
    pub origin: String,
    pub on: bool,
    /// Why it is on or off: the scenario's choice, or who switched it and when.
    pub why: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogPage {
    /// Rules on in this exercise, of all it could run.
    pub on: usize,
    pub all: usize,
    /// How many the filters select, over every page.
    pub matching: usize,
    /// On first, then by level (highest first) and title.
    pub rules: Vec<CatalogRule>,
}

/// `GET /api/v1/detection`: the exercise's detection rules, as the Detection rules page lists
/// them.
pub(crate) async fn catalog<S: Store>(
    State(app): State<Arc<App<S>>>,
    Staff(_): Staff,
    axum::extract::Query(query): axum::extract::Query<CatalogQuery>,
) -> Response {
    let filter = atoll_app::rules::CatalogFilter {
        show: query.show,
        q: query.q,
        level: query.level,
    };
    match atoll_app::rules::catalog(&app, &filter).await {
        Ok(listed) => Json(CatalogPage {
            on: listed.on,
            all: listed.all,
            matching: listed.rows.len(),
            rules: listed
                .rows
                .into_iter()
                .skip(query.page.min(1000) * 100)
                .take(100)
                .map(|r| CatalogRule {
                    id: if r.switchable { r.id } else { String::new() },
                    title: r.title,
                    level: r.level.map(|l| l.as_str().to_owned()),
                    status: r.status,
                    author: r.author,
                    techniques: r.techniques,
                    origin: r.origin.to_owned(),
                    on: r.on,
                    why: r.why,
                })
                .collect(),
        })
        .into_response(),
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What you will know it by (at most 100 characters).
    pub name: String,
    /// How long it works: 1, 7, 30 or 90 days.
    pub days: u32,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// The token itself: shown this once, never again.
    pub token: String,
    pub tokens: Vec<TokenView>,
}

/// Your API tokens, as the account page lists them.
async fn tokens_of<S: Store>(app: &App<S>, user: &User) -> Result<Vec<TokenView>, Response> {
    let tokens = app.db.tokens(user.id).await.map_err(|_| unreadable())?;
    Ok(tokens
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used: t.last_used,
        })
        .collect())
}

/// `GET /api/v1/account/tokens`
pub(crate) async fn tokens<S: Store>(State(app): State<Arc<App<S>>>, Signed(user): Signed) -> Response {
    match tokens_of(&app, &user).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => e,
    }
}

/// `POST /api/v1/account/tokens`: a new token for you (at most 20 at once).
pub(crate) async fn make_token<S: Store>(
    State(app): State<Arc<App<S>>>,
    Signed(user): Signed,
    Json(request): Json<TokenRequest>,
) -> Response {
    match atoll_app::people::create_token(&app, &user, &request.name, &request.days.to_string()).await {
        Ok(token) => match tokens_of(&app, &user).await {
            Ok(tokens) => (
                StatusCode::CREATED,
                [(header::CACHE_CONTROL, "no-store")],
                Json(NewToken { token, tokens }),
            )
                .into_response(),
            Err(e) => e,
        },
        Err(e) => failed(&e),
    }
}

/// `POST /api/v1/account/tokens/{id}/revoke`: answers with your tokens.
pub(crate) async fn revoke_token<S: Store>(
    State(app): State<Arc<App<S>>>,
    Signed(user): Signed,
    Path(id): Path<i64>,
) -> Response {
    if let Err(e) = atoll_app::people::revoke_token(&app, &user, id).await {
        return failed(&e);
    }
    tokens(State(app), Signed(user)).await
}
