//! People: accounts, who is signed in, sessions, observers' teams, invitations and the audit
//! log.

use super::*;

// ----- People ----------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: i64,
    pub username: String,
    /// `instructor`, `player` or `observer`.
    pub role: String,
    pub team: Option<String>,
    /// The teams an observer follows (empty: every team).
    pub follows: Vec<String>,
    /// Signed-in sessions now.
    pub sessions: u32,
    /// Unix milliseconds of the latest sign-in of those sessions.
    pub latest_sign_in: Option<i64>,
}

/// The people `GET /api/v1/people` lists (a [`Staff`] who sees every team).
pub(super) async fn people_list<S: Store>(app: &App<S>, user: &User) -> Response {
    if !user.sees_all() {
        return problem(
            StatusCode::FORBIDDEN,
            "People lists every team's people; you follow chosen teams only.",
        );
    }
    let (Ok(users), Ok(active)) = (app.db.users().await, app.db.active_sessions(clock_now()).await) else {
        return unreadable();
    };
    let people: Vec<Person> = users
        .into_iter()
        .map(|u| {
            let signed = active.iter().find(|(id, _, _)| *id == u.id);
            Person {
                id: u.id,
                role: u.role.as_str().to_owned(),
                sessions: signed.map_or(0, |s| s.1),
                latest_sign_in: signed.map(|s| s.2),
                username: u.username,
                team: u.team,
                follows: u.follows,
            }
        })
        .collect();
    Json(people).into_response()
}

/// One entry of the audit log.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditView {
    pub id: i64,
    /// When, in UTC (RFC 3339).
    pub time: String,
    /// When on the exercise clock, as people read it (`D1 09:40`), and in milliseconds.
    pub exercise_time: String,
    pub exercise_ms: u64,
    pub user: String,
    /// What kind of action: `clock.pause`, `inject.send`, `message`, `step.skip`, `grade`,
    /// `rule.on`, `scoreboard.show`, `people.end`, …
    pub action: String,
    pub team: Option<String>,
    /// What was done, in words.
    pub detail: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuditQuery {
    before: Option<i64>,
}

/// `GET /api/v1/audit`: the audit log, a page at a time.
pub(crate) async fn audit<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(_): Instructor,
    axum::extract::Query(query): axum::extract::Query<AuditQuery>,
) -> Response {
    let Ok(entries) = app
        .db
        .audit_log(app.live.exercise, query.before, crate::audit::PAGE)
        .await
    else {
        return unreadable();
    };
    let list: Vec<Value> = entries.iter().map(|e| crate::audit::json(&app, e)).collect();
    Json(list).into_response()
}

/// `GET /api/v1/people`: every account and who is signed in.
pub(crate) async fn people<S: Store>(State(app): State<Arc<App<S>>>, Staff(user): Staff) -> Response {
    people_list(&app, &user).await
}

/// `POST /api/v1/people/{id}/end`: ends every session and API token of a user. Answers with
/// everyone, as `GET /api/v1/people` does.
pub(crate) async fn end_sessions<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Path(id): Path<i64>,
) -> Response {
    if let Err(e) = atoll_app::people::end_sessions(&app, &user, id).await {
        return failed(&e);
    }
    people_list(&app, &user).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowsRequest {
    /// The teams the observer follows; empty: every team.
    pub teams: Vec<String>,
}

/// `POST /api/v1/people/{id}/follows`: the teams an observer follows.
pub(crate) async fn follows<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Path(id): Path<i64>,
    Json(request): Json<FollowsRequest>,
) -> Response {
    if let Err(e) = atoll_app::people::set_follows(&app, &user, id, &request.teams).await {
        return failed(&e);
    }
    people_list(&app, &user).await
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    /// `observer`, or `player:` and a team's id (`player:palau`).
    #[serde(rename = "as")]
    pub as_: String,
    /// How long the link works: 1, 24 or 168 hours.
    pub hours: u32,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationView {
    /// The invitation's id, to revoke it by.
    pub id: i64,
    /// The one-time link to send; this is the only time it is given.
    pub link: String,
    pub role: String,
    pub team: Option<String>,
    /// Unix milliseconds.
    pub expires: i64,
}

/// `POST /api/v1/invitations`
pub(crate) async fn invite<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    axum::Extension(reached): axum::Extension<crate::site::Reached>,
    Json(request): Json<InvitationRequest>,
) -> Response {
    match crate::invite::make(&app, &user, &reached, &request.as_, &request.hours.to_string()).await {
        Ok(made) => (
            StatusCode::CREATED,
            [(header::CACHE_CONTROL, "no-store")],
            Json(InvitationView {
                id: made.id,
                link: made.link,
                role: made.role.as_str().to_owned(),
                team: made.team,
                expires: made.expires,
            }),
        )
            .into_response(),
        Err(e) => failed(&e),
    }
}

/// An invitation as it stands (its link is never given again).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationState {
    pub id: i64,
    /// `player` or `observer`.
    pub role: String,
    pub team: Option<String>,
    /// Who made it, and when (Unix milliseconds).
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// `unused`, `used`, `expired` or `revoked`.
    pub state: String,
    /// Who joined with it, and when.
    pub used_by: Option<String>,
    pub used_at: Option<i64>,
    /// Who revoked it, and when.
    pub revoked_by: Option<String>,
    pub revoked_at: Option<i64>,
}

impl InvitationState {
    fn of(invitation: atoll_store::Invitation, now: i64) -> InvitationState {
        let state = match invitation.unusable(now) {
            None => "unused",
            Some(atoll_store::Unusable::Used) => "used",
            Some(atoll_store::Unusable::Revoked) => "revoked",
            Some(atoll_store::Unusable::Expired | atoll_store::Unusable::Unknown) => "expired",
        };
        InvitationState {
            id: invitation.id,
            role: invitation.role.as_str().to_owned(),
            team: invitation.team,
            created_by: invitation.created_by,
            created_at: invitation.created_at,
            expires_at: invitation.expires_at,
            state: state.to_owned(),
            used_by: invitation.used_by,
            used_at: invitation.used_at,
            revoked_by: invitation.revoked_by,
            revoked_at: invitation.revoked_at,
        }
    }
}

/// `POST /api/v1/invitations/{id}/revoke`: revokes an unused invitation; its link no longer
/// works. Answers with the invitation as it now stands.
pub(crate) async fn revoke_invitation<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Path(id): Path<i64>,
) -> Response {
    match atoll_app::people::revoke_invitation(&app, &user, id).await {
        Ok(revoked) => Json(InvitationState::of(revoked, clock_now())).into_response(),
        Err(e) => failed(&e),
    }
}
