//! The white cell's invitations (a whole team's on a printable sheet, revoked while unused)
//! and everyone's sessions (labelled by device, at most five each, ended one by one).

use super::*;

/// Every invitation link on a page, in order: the token after `/invite/`.
fn links(page: &str) -> Vec<String> {
    page.match_indices("/invite/")
        .map(|(at, m)| {
            page[at + m.len()..]
                .chars()
                .take_while(char::is_ascii_hexdigit)
                .collect::<String>()
        })
        .filter(|token| token.len() == 32)
        .collect()
}

/// The form a person sends to join with username `name`.
fn join_form(name: &str) -> String {
    format!("username={name}&password=reef-canoe-lantern-7&repeat=reef-canoe-lantern-7")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_sheet_makes_six_working_links_shown_once() {
    let app = app().await;
    let ines = sign_in(&app, "ines").await;
    let (status, headers, sheet) = send(
        &app,
        post("/people/invite/team", &ines, "team=palau&players=6&hours=24"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    assert_eq!(
        header(&headers, "cache-control"),
        Some("no-store"),
        "the links are secrets"
    );
    assert!(sheet.contains("@media print"), "a sheet to print");
    assert!(!sheet.contains("<script>"), "and no script of its own");
    let tokens = links(&sheet);
    assert_eq!(tokens.len(), 6, "{sheet}");
    let mut distinct = tokens.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 6, "six different links");
    // One slip per link: the team, what to do, and until when.
    assert_eq!(sheet.matches("class=\"slip\"").count(), 6);
    assert_eq!(
        sheet.matches("Open this link, choose a username and password.").count(),
        6
    );
    assert_eq!(sheet.matches("Team Palau").count(), 6);
    let expiry = app.db.invitations(None, 1).await.unwrap()[0].expires_at;
    let until = jiff::Timestamp::from_millisecond(expiry)
        .unwrap()
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string();
    assert!(
        sheet.contains(&format!("The link works once, until {until}.")),
        "{sheet}"
    );
    assert!(sheet.contains("http://localhost/invite/"), "whole links, to type in");

    // Only hashes are kept: no token is in the database, and each link works, once.
    let stored = app.db.invitations(None, 50).await.unwrap();
    assert_eq!(stored.len(), 6);
    for (n, token) in tokens.iter().enumerate() {
        let link = format!("/invite/{token}");
        let (status, _, form) = send(&app, get(&link, "")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(form.contains("invited as a player of Palau"), "{form}");
        let (status, headers, _) = send(&app, post(&link, "", &join_form(&format!("palau-{n}")))).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "link {n} joins");
        let cookie = header(&headers, "set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(send(&app, get("/teams/palau", &cookie)).await.0, StatusCode::OK);
        assert_eq!(
            send(&app, post(&link, "", &join_form("again"))).await.0,
            StatusCode::GONE
        );
    }
    let (_, _, people) = send(&app, get("/people", &ines)).await;
    for n in 0..6 {
        assert!(people.contains(&format!("used by palau-{n} at")), "{people}");
    }
    assert!(links(&people).is_empty(), "the people page never shows a link again");

    // The batch is one entry of the audit log, naming no link.
    let audit = app.db.audit_log(app.live.exercise, None, 10).await.unwrap();
    let invited: Vec<&str> = audit
        .iter()
        .filter(|e| e.action == "people.invite")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(invited, ["invited 6 players of palau at once (links valid 24 h)"]);

    // Refused with the field at fault, and nothing made.
    for (form, field) in [
        ("team=palau&players=13&hours=24", "players:"),
        ("team=palau&players=0&hours=24", "players:"),
        ("team=atlantis&players=2&hours=24", "team:"),
        ("team=palau&players=2&hours=5", "hours:"),
    ] {
        let (status, _, page) = send(&app, post("/people/invite/team", &ines, form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(page.contains(field), "{form}: {page}");
    }
    assert_eq!(app.db.invitations(None, 50).await.unwrap().len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn invitation_links_start_with_the_public_address_whatever_the_request_says() {
    let app = app().await;
    let ines = sign_in(&app, "ines").await;
    let token = make_token(&app, &ines, "invitations").await;
    let public = || {
        Site::new(
            Some("https://cyber.example.org".parse().unwrap()),
            Vec::new(),
            Vec::new(),
            [0, 0, 0, 0].into(),
        )
    };
    // Sent to the machine itself, with forwarded headers nobody trusted wrote.
    let spoofed = |mut request: Request<Body>| {
        let headers = request.headers_mut();
        headers.insert(header::HOST, "localhost:8080".parse().unwrap());
        headers.insert("x-forwarded-host", "evil.example".parse().unwrap());
        headers.insert("x-forwarded-proto", "http".parse().unwrap());
        request
    };
    let invite = || post("/people/invite", &ines, "as=observer&hours=1");
    let (status, _, page) = send_at(&app, public(), spoofed(invite())).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page.matches("https://cyber.example.org/invite/").count(), 1, "{page}");
    assert!(!page.contains("evil.example") && !page.contains("localhost"), "{page}");
    let sheet = post("/people/invite/team", &ines, "team=palau&players=2&hours=1");
    let (status, _, page) = send_at(&app, public(), spoofed(sheet)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page.matches("https://cyber.example.org/invite/").count(), 2, "{page}");
    let call = api(
        "POST",
        "/api/v1/invitations",
        &token,
        Some(r#"{"as":"player:palau","hours":24}"#),
    );
    let (status, _, body) = send_at(&app, public(), spoofed(call)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let made: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        made["link"]
            .as_str()
            .unwrap()
            .starts_with("https://cyber.example.org/invite/"),
        "{made}"
    );
    // With no public address set, a link names the host the request was for (one the
    // server answers to), and forwarded headers only from a trusted proxy.
    let (_, _, page) = send(&app, spoofed(invite())).await;
    assert_eq!(page.matches("http://localhost:8080/invite/").count(), 1, "{page}");
    let proxied = Site::new(
        None,
        vec!["cyber.example.org".parse().unwrap()],
        vec!["10.0.0.2".parse().unwrap()],
        [127, 0, 0, 1].into(),
    );
    let mut request = invite();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [10, 0, 0, 2],
            40000,
        ))));
    let headers = request.headers_mut();
    headers.insert("x-forwarded-host", "cyber.example.org".parse().unwrap());
    headers.insert("x-forwarded-proto", "https".parse().unwrap());
    let (_, _, page) = send_at(&app, proxied, request).await;
    assert_eq!(page.matches("https://cyber.example.org/invite/").count(), 1, "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_more_than_two_hundred_links_are_open_at_once() {
    let app = app().await;
    let ines = sign_in(&app, "ines").await;
    let id = app.db.user_by_name("ines").await.unwrap().unwrap().0.id;
    let now = clock_now();
    let hashes: Vec<Vec<u8>> = (0..197).map(|i| format!("prefilled-{i}").into_bytes()).collect();
    app.db
        .create_invitations(&hashes, Role::Observer, None, id, now, now + 3_600_000, 200)
        .await
        .unwrap()
        .unwrap();
    let (status, _, page) = send(&app, post("/people/invite/team", &ines, "team=palau&players=4&hours=1")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.contains("players: 197 invitation links are open already") && page.contains("at most 200"),
        "{page}"
    );
    assert_eq!(
        app.db.invitations(None, 250).await.unwrap().len(),
        197,
        "none of the four made"
    );
    let (status, _, page) = send(&app, post("/people/invite/team", &ines, "team=palau&players=3&hours=1")).await;
    assert_eq!(status, StatusCode::OK, "three fit");
    assert_eq!(links(&page).len(), 3);
    let (status, _, page) = send(&app, post("/people/invite", &ines, "as=observer&hours=1")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a single link counts too");
    assert!(page.contains("as: 200 invitation links are open already"), "{page}");

    // The people page lists them a page of 50 at a time, newest first.
    let (_, _, people) = send(&app, get("/people", &ines)).await;
    assert_eq!(people.matches(">Revoke</button>").count(), 50);
    let older = next_page(&people).expect("a link to older invitations");
    let older = older.split('#').next().unwrap();
    let (status, _, page) = send(&app, get(older, &ines)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches(">Revoke</button>").count(), 50);
    assert!(page.contains("Newest invitations"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_link_refuses_to_join_and_says_why() {
    let app = app().await;
    let ines = sign_in(&app, "ines").await;
    let (_, _, page) = send(&app, post("/people/invite", &ines, "as=player%3Apalau&hours=24")).await;
    let token = links(&page).pop().expect("a link");
    let link = format!("/invite/{token}");
    let id = app.db.invitations(None, 1).await.unwrap()[0].id;
    let (_, _, people) = send(&app, get("/people", &ines)).await;
    assert!(people.contains("unused (expires at"), "{people}");
    let revoke = format!("/people/invitations/{id}/revoke");
    assert!(people.contains(&format!("action=\"{revoke}\"")), "a Revoke button");

    let (status, headers, _) = send(&app, post(&revoke, &ines, "")).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/people"))
    );
    for (status, page) in [
        send(&app, get(&link, "")).await,
        send(&app, post(&link, "", &join_form("mele"))).await,
    ]
    .map(|(status, _, page)| (status, page))
    {
        assert_eq!(status, StatusCode::GONE);
        assert!(page.contains("This invitation was revoked"), "{page}");
        assert!(!page.contains("name=\"password\""), "no form to join with");
    }
    assert!(app.db.user_by_name("mele").await.unwrap().is_none(), "no account made");
    let (_, _, people) = send(&app, get("/people", &ines)).await;
    assert!(people.contains("revoked by ines at"), "{people}");
    assert!(
        !people.contains(&format!("action=\"{revoke}\"")),
        "nothing left to revoke"
    );

    // Once only; and the log says who revoked what.
    let (status, _, page) = send(&app, post(&revoke, &ines, "")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("invitation: This invitation cannot be revoked: it was revoked already."),
        "{page}"
    );
    let audit = app.db.audit_log(app.live.exercise, None, 10).await.unwrap();
    assert_eq!(
        (
            audit[0].action.as_str(),
            audit[0].team.as_deref(),
            audit[0].detail.as_str()
        ),
        (
            "people.revoke",
            Some("palau"),
            "revoked an unused invitation for a player of palau, made by ines"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_instructors_revoke_invitations() {
    let app = app().await;
    let ines = sign_in(&app, "ines").await;
    let (_, _, page) = send(&app, post("/people/invite", &ines, "as=observer&hours=24")).await;
    let link = format!("/invite/{}", links(&page).pop().expect("a link"));
    let id = app.db.invitations(None, 1).await.unwrap()[0].id;
    let revoke = format!("/people/invitations/{id}/revoke");
    for who in ["pita", "olga"] {
        let cookie = sign_in(&app, who).await;
        assert_eq!(
            send(&app, post(&revoke, &cookie, "")).await.0,
            StatusCode::FORBIDDEN,
            "{who}"
        );
        let token = make_token(&app, &cookie, who).await;
        let (status, _) = call(&app, "POST", &format!("/api/v1/invitations/{id}/revoke"), &token, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} by the API");
    }
    assert_eq!(
        send(&app, get(&link, "")).await.0,
        StatusCode::OK,
        "the link still works"
    );
    let (_, _, people) = send(&app, get("/people", &sign_in(&app, "olga").await)).await;
    assert!(
        people.contains("unused (expires at") && !people.contains(&format!("action=\"{revoke}\"")),
        "an observer sees the state, and no button"
    );

    // An instructor's script revokes it by the id it was made with.
    let token = make_token(&app, &ines, "ines").await;
    let (status, made) = call(
        &app,
        "POST",
        "/api/v1/invitations",
        &token,
        Some(r#"{"as":"player:nauru","hours":1}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let made_id = made["id"].as_i64().unwrap();
    let (status, revoked) = call(
        &app,
        "POST",
        &format!("/api/v1/invitations/{made_id}/revoke"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(
        (&revoked["state"], &revoked["revoked_by"], &revoked["team"]),
        (&"revoked".into(), &"ines".into(), &"nauru".into())
    );
    let made_link = made["link"].as_str().unwrap();
    let path = &made_link[made_link.find("/invite/").unwrap()..];
    assert_eq!(send(&app, get(path, "")).await.0, StatusCode::GONE);
    let (status, again) = call(
        &app,
        "POST",
        &format!("/api/v1/invitations/{made_id}/revoke"),
        &token,
        None,
    )
    .await;
    assert_eq!(
        (status, &again["error"]["field"]),
        (StatusCode::CONFLICT, &"invitation".into())
    );
}

/// Signs `username` in from a browser that says `user_agent`; returns the session cookie.
async fn sign_in_with(app: &Arc<App<Sqlite>>, username: &str, user_agent: &str) -> String {
    let mut request = login_request(username, PASSWORD);
    request
        .headers_mut()
        .insert(header::USER_AGENT, user_agent.parse().unwrap());
    let (status, headers, _) = send(app, request).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{username} signs in");
    header(&headers, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
    (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

#[tokio::test(flavor = "multi_thread")]
async fn the_sixth_sign_in_ends_the_oldest_session() {
    let app = app().await;
    let nora = sign_in(&app, "nora").await;
    let mut cookies = Vec::new();
    for n in 0..6 {
        let agent = if n % 2 == 0 { FIREFOX } else { IPHONE };
        cookies.push(sign_in_with(&app, "pita", agent).await);
    }
    let (status, headers, _) = send(&app, get("/teams/palau", &cookies[0])).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/login")),
        "the oldest session ended"
    );
    for cookie in &cookies[1..] {
        assert_eq!(send(&app, get("/teams/palau", cookie)).await.0, StatusCode::OK);
    }
    assert_eq!(
        send(&app, get("/teams/nauru", &nora)).await.0,
        StatusCode::OK,
        "others keep theirs"
    );
    let pita = app.db.user_by_name("pita").await.unwrap().unwrap().0.id;
    let sessions = app.db.sessions(Some(pita), clock_now()).await.unwrap();
    assert_eq!(sessions.len(), 5);

    // The account page lists each, by device only, this one marked.
    let (status, headers, page) = send(&app, get("/account", &cookies[5])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert_eq!(
        (
            page.matches("<td>Firefox on Windows").count(),
            page.matches("<td>Safari on iPhone").count()
        ),
        (2, 3)
    );
    assert_eq!(page.matches("(this device)").count(), 1, "{page}");
    assert!(
        !page.contains("Gecko/20100101") && !page.contains("AppleWebKit"),
        "never the User-Agent"
    );
    let (_, _, people) = send(&app, get("/people", &sign_in(&app, "ines").await)).await;
    assert!(
        people.contains("Safari on iPhone, ") && people.contains("Firefox on Windows, "),
        "{people}"
    );

    // End another device's session: that one is signed out, this one is not.
    let oldest = sessions[0].id;
    let end = format!("/account/sessions/{oldest}/end");
    assert!(page.contains(&format!("action=\"{end}\"")), "{page}");
    let (status, headers, _) = send(&app, post(&end, &cookies[5], "")).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/account"))
    );
    assert_eq!(
        send(&app, get("/teams/palau", &cookies[1])).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(send(&app, get("/teams/palau", &cookies[5])).await.0, StatusCode::OK);
    assert_eq!(
        send(&app, post(&end, &cookies[5], "")).await.0,
        StatusCode::NOT_FOUND,
        "gone"
    );

    // Not this device's (signing out does that), and not another user's.
    let this = app
        .db
        .sessions(Some(pita), clock_now())
        .await
        .unwrap()
        .last()
        .unwrap()
        .id;
    let (status, _, page) = send(&app, post(&format!("/account/sessions/{this}/end"), &cookies[5], "")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("session: this is the session of the device you are using"),
        "{page}"
    );
    assert_eq!(send(&app, get("/teams/palau", &cookies[5])).await.0, StatusCode::OK);
    let noras = app
        .db
        .sessions(
            Some(app.db.user_by_name("nora").await.unwrap().unwrap().0.id),
            clock_now(),
        )
        .await
        .unwrap()[0]
        .id;
    let (status, _, _) = send(&app, post(&format!("/account/sessions/{noras}/end"), &cookies[5], "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, get("/teams/nauru", &nora)).await.0, StatusCode::OK);
}
