//! Who may do what: every route and API operation for every role and team, sign-in, sessions,
//! other sites, invitations, observers and API tokens.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn every_route_for_every_role_and_team() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let observer = sign_in(&app, "olga").await;
    let player = sign_in(&app, "pita").await; // palau
    let nobody = "atoll_session=not-a-session".to_owned();
    use StatusCode as S;
    let (css, js) = asset_paths(&app, &instructor).await;
    // (request builder, [instructor, observer, palau player, no session])
    type Build = Box<dyn Fn(&str) -> Request<Body>>;
    let cases: Vec<(&str, Build, [S; 4])> = vec![
        (
            "home",
            Box::new(|c| get("/", c)),
            [S::SEE_OTHER, S::SEE_OTHER, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "board",
            Box::new(|c| get("/board", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team alerts",
            Box::new(|c| get("/teams/palau", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team alerts",
            Box::new(|c| get("/teams/nauru", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team hunt",
            Box::new(|c| get("/teams/palau/hunt?q=*", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team hunt",
            Box::new(|c| get("/teams/nauru/hunt?q=*", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // A player is told nothing about which teams exist.
            "no such team",
            Box::new(|c| get("/teams/atlantis", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "clock",
            Box::new(|c| post("/clock", c, "action=speed&speed=60")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "logout",
            Box::new(|c| post("/logout", c, "")),
            [S::SEE_OTHER, S::SEE_OTHER, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "own team respond",
            Box::new(|c| get("/teams/palau/respond", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team respond",
            Box::new(|c| get("/teams/nauru/respond", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "send a scenario inject",
            Box::new(|c| post("/messages/inject", c, "inject=news-rumour&team=palau")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "make an invitation",
            Box::new(|c| post("/people/invite", c, "as=player%3Apalau&hours=24")),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "invite a team's players",
            Box::new(|c| post("/people/invite/team", c, "team=palau&players=2&hours=24")),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // No such invitation: the instructor is told so.
            "revoke an invitation",
            Box::new(|c| post("/people/invitations/999999/revoke", c, "")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // Anyone may open a link; this one is not known.
            "unknown invitation",
            Box::new(|c| get("/invite/0123456789abcdef", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND],
        ),
        (
            "own team network",
            Box::new(|c| get("/teams/palau/network", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team network",
            Box::new(|c| get("/teams/nauru/network", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // What comes next: never for players, not even their own team's.
            "own team timeline",
            Box::new(|c| get("/teams/palau/timeline", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "other team timeline",
            Box::new(|c| get("/teams/nauru/timeline", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // Olga (id 2) follows every team: ticking none keeps it so.
            "choose the teams an observer follows",
            Box::new(|c| post("/people/follows", c, "user=2")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "change a step of the campaign",
            Box::new(|c| post("/teams/palau/timeline", c, "step=vt-stage&change=delay%3A15m")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team score",
            Box::new(|c| get("/teams/palau/score", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team score",
            Box::new(|c| get("/teams/nauru/score", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team inbox",
            Box::new(|c| get("/teams/palau/inbox", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team inbox",
            Box::new(|c| get("/teams/nauru/inbox", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "people",
            Box::new(|c| get("/people", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "audit log",
            Box::new(|c| get("/audit", c)),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "audit log export",
            Box::new(|c| get("/audit.jsonl", c)),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "end sessions",
            Box::new(|c| post("/people/end", c, "user=999")),
            // No account 999: the instructor is told so.
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "messages",
            Box::new(|c| get("/messages", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "send a message",
            Box::new(|c| post("/messages", c, "team=&subject=s&body=b")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // Only the team's players speak for the team.
            "own team writes",
            Box::new(|c| post("/teams/palau/messages", c, "subject=s&body=b")),
            [S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "other team writes",
            Box::new(|c| post("/teams/nauru/messages", c, "subject=s&body=b")),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // No alerts exist in this world (no rules), so a verdict on one is 404 once allowed.
        (
            "own team verdict",
            Box::new(|c| post("/teams/palau/alerts", c, "row=0&rule=r&state=new")),
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::SEE_OTHER],
        ),
        (
            "other team verdict",
            Box::new(|c| post("/teams/nauru/alerts", c, "row=0&rule=r&state=new")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // A bulk verdict that selects nothing is refused on the queue's page (400).
        (
            "own team bulk verdict",
            Box::new(|c| post("/teams/palau/alerts/bulk", c, "rule=r&verdict=false_positive")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            "other team bulk verdict",
            Box::new(|c| post("/teams/nauru/alerts/bulk", c, "rule=r&verdict=false_positive")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Alerts into a case that is not the team's: refused on the queue's page (400).
        (
            "own team alerts into a case",
            Box::new(|c| post("/teams/palau/alerts/case", c, "rule=r&case=1")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            "other team alerts into a case",
            Box::new(|c| post("/teams/nauru/alerts/case", c, "rule=r&case=1")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team suppressions",
            Box::new(|c| get("/teams/palau/suppressions", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team suppressions",
            Box::new(|c| get("/teams/nauru/suppressions", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // No alerts in this world: a suppression is refused on its page (400) once allowed.
        (
            "own team suppresses",
            Box::new(|c| post("/teams/palau/suppressions", c, "rule=r&reason=noise")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            "other team suppresses",
            Box::new(|c| post("/teams/nauru/suppressions", c, "rule=r&reason=noise")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team ends a suppression",
            Box::new(|c| post("/teams/palau/suppressions/999/end", c, "")),
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::SEE_OTHER],
        ),
        (
            "other team ends a suppression",
            Box::new(|c| post("/teams/nauru/suppressions/999/end", c, "")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // The test app has no catalog: the page says so (404) to the white cell.
        (
            "detection rules",
            Box::new(|c| get("/detection", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "switch a detection rule",
            Box::new(|c| post("/detection/switch", c, "rule=r&on=off")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team alert page",
            Box::new(|c| get("/teams/palau/alerts/0", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::SEE_OTHER],
        ),
        (
            "other team alert page",
            Box::new(|c| get("/teams/nauru/alerts/0", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Reviewing an action shows its cost (200); observers never act.
        (
            "own team action",
            Box::new(|c| post("/teams/palau/respond", c, "action=isolate_host&target=pw-tel-web01")),
            [S::OK, S::FORBIDDEN, S::OK, S::SEE_OTHER],
        ),
        (
            "other team action",
            Box::new(|c| post("/teams/nauru/respond", c, "action=isolate_host&target=nr-tel-web01")),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team questions",
            Box::new(|c| get("/teams/palau/questions", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team questions",
            Box::new(|c| get("/teams/nauru/questions", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Only a team's players hand in its work. At the start of play no question has been
        // put to any team and no hint is open: refused, with why.
        (
            "own team answer",
            Box::new(|c| post("/teams/palau/questions", c, "question=q-tlp&choice=amber")),
            [S::FORBIDDEN, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            "other team answer",
            Box::new(|c| post("/teams/nauru/questions", c, "question=q-tlp&choice=amber")),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team hint",
            Box::new(|c| post("/teams/palau/hints", c, "hint=1")),
            [S::FORBIDDEN, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            "other team hint",
            Box::new(|c| post("/teams/nauru/hints", c, "hint=1")),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team reports",
            Box::new(|c| get("/teams/palau/reports", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team reports",
            Box::new(|c| get("/teams/nauru/reports", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team sends a report",
            Box::new(|c| {
                post(
                    "/teams/palau/reports",
                    c,
                    "title=t&to=national_cert&tlp=TLP%3AAMBER&what=w",
                )
            }),
            [S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "other team sends a report",
            Box::new(|c| {
                post(
                    "/teams/nauru/reports",
                    c,
                    "title=t&to=national_cert&tlp=TLP%3AAMBER&what=w",
                )
            }),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team cases",
            Box::new(|c| get("/teams/palau/cases", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team cases",
            Box::new(|c| get("/teams/nauru/cases", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team opens a case",
            Box::new(|c| post("/teams/palau/cases", c, "title=Case")),
            [S::SEE_OTHER, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "other team opens a case",
            Box::new(|c| post("/teams/nauru/cases", c, "title=Case")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Case 1 is Palau's (the instructor opened it just above).
        (
            "own team case",
            Box::new(|c| get("/teams/palau/cases/1", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "own team adds to a case",
            Box::new(|c| post("/teams/palau/cases/1", c, "kind=note&note=n")),
            [S::SEE_OTHER, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            // Palau's case through Nauru's path: not Nauru's case.
            "a case through another team's path",
            Box::new(|c| get("/teams/nauru/cases/1", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "adding to a case through another team's path",
            Box::new(|c| post("/teams/nauru/cases/1", c, "kind=note&note=n")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team rules",
            Box::new(|c| get("/teams/palau/rules", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team rules",
            Box::new(|c| get("/teams/nauru/rules", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Testing a rule shows what it matches; observers never write rules.
        (
            "own team tests a rule",
            Box::new(|c| post("/teams/palau/rules", c, &rule_form(SIGN_IN_RULE, "test"))),
            [S::OK, S::FORBIDDEN, S::OK, S::SEE_OTHER],
        ),
        (
            "other team tests a rule",
            Box::new(|c| post("/teams/nauru/rules", c, &rule_form(SIGN_IN_RULE, "test"))),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // Rule 1 is the instructor's, rule 2 the player's.
        (
            "own team turns a rule on",
            Box::new(|c| post("/teams/palau/rules", c, &rule_form(SIGN_IN_RULE, "on"))),
            [S::SEE_OTHER, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "a rule turned off through another team's path",
            Box::new(|c| post("/teams/nauru/rules/1/off", c, "")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // The instructor turns it off first; the player then finds it off already.
            "own team turns a rule off",
            Box::new(|c| post("/teams/palau/rules/1/off", c, "")),
            [S::SEE_OTHER, S::FORBIDDEN, S::NOT_FOUND, S::SEE_OTHER],
        ),
        // Saved search 1 is Palau's (saved by the instructor, then again by the player).
        (
            "own team saves a search",
            Box::new(|c| post("/teams/palau/searches", c, "q=log%3Adns&name=dns")),
            [S::SEE_OTHER, S::FORBIDDEN, S::SEE_OTHER, S::SEE_OTHER],
        ),
        (
            "other team saves a search",
            Box::new(|c| post("/teams/nauru/searches", c, "q=log%3Adns&name=dns")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "a search deleted through another team's path",
            Box::new(|c| post("/teams/nauru/searches/1/delete", c, "")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // The instructor deletes it first; the player then finds it gone.
            "own team deletes a search",
            Box::new(|c| post("/teams/palau/searches/1/delete", c, "")),
            [S::SEE_OTHER, S::FORBIDDEN, S::NOT_FOUND, S::SEE_OTHER],
        ),
        // Hidden from teams at first; only instructors show it.
        (
            "scoreboard",
            Box::new(|c| get("/scoreboard", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "show the scoreboard",
            Box::new(|c| post("/scoreboard", c, "show=no")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        // No event has that row: refused with why, once the role may link events at all.
        (
            "own team links an event to a case",
            Box::new(|c| post("/teams/palau/cases/event", c, "case=1&event=999999999")),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::SEE_OTHER],
        ),
        (
            // Case 1 is Palau's: through Nauru's path there is no such case.
            "other team links an event to a case",
            Box::new(|c| post("/teams/nauru/cases/event", c, "case=1&event=999999999")),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "mark a team present",
            Box::new(|c| post("/teams/palau/absent", c, "absent=no")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "grading queue",
            Box::new(|c| get("/grading", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            // The report Palau's player sent above: instructors grade it, nobody else.
            "grade a report",
            Box::new(|c| post("/grading/1", c, "points.e-report-incident=10&comment=ok")),
            [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "stylesheet",
            Box::new(move |c| get(&css, c)),
            [S::OK, S::OK, S::OK, S::OK],
        ),
        ("script", Box::new(move |c| get(&js, c)), [S::OK, S::OK, S::OK, S::OK]),
        (
            "no such asset",
            Box::new(|c| get("/assets/style-0000000000.css", c)),
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND],
        ),
        (
            "white cell's live updates",
            Box::new(|c| get("/live", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "own team's live updates",
            Box::new(|c| get("/teams/palau/live", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "other team's live updates",
            Box::new(|c| get("/teams/nauru/live", c)),
            [S::OK, S::OK, S::FORBIDDEN, S::SEE_OTHER],
        ),
        (
            "briefing",
            Box::new(|c| get("/briefing", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "briefing in Japanese",
            Box::new(|c| get("/briefing?lang=ja", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            "own account",
            Box::new(|c| get("/account", c)),
            [S::OK, S::OK, S::OK, S::SEE_OTHER],
        ),
        (
            // Nobody's session, so nobody's to end.
            "end a session",
            Box::new(|c| post("/account/sessions/999999/end", c, "")),
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::SEE_OTHER],
        ),
        (
            // Nobody's token, so nobody's to revoke.
            "revoke a token",
            Box::new(|c| post("/account/tokens/999/revoke", c, "")),
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::SEE_OTHER],
        ),
        (
            "login page",
            Box::new(|c| get("/login", c)),
            [S::SEE_OTHER, S::SEE_OTHER, S::SEE_OTHER, S::OK],
        ),
    ];
    for (name, build, expected) in &cases {
        for (who, cookie, want) in [
            ("instructor", &instructor, expected[0]),
            ("observer", &observer, expected[1]),
            ("player", &player, expected[2]),
            ("nobody", &nobody, expected[3]),
        ] {
            // Logging out ends the session, so every sign-in is fresh for that case.
            let cookie = if *name == "logout" && who != "nobody" {
                sign_in(
                    &app,
                    match who {
                        "instructor" => "ines",
                        "observer" => "olga",
                        _ => "pita",
                    },
                )
                .await
            } else {
                cookie.clone()
            };
            let (status, headers, _) = send(&app, build(&cookie)).await;
            assert_eq!(status, want, "{name} as {who}");
            if status == S::SEE_OTHER && who == "nobody" && *name != "home" && *name != "logout" {
                assert_eq!(header(&headers, "location"), Some("/login"), "{name} as {who}");
            }
        }
    }
    // The player's team page shows their own team; another's is refused whatever the page.
    let (_, _, body) = send(&app, get("/teams/palau", &player)).await;
    assert!(body.contains("Alerts — Palau"), "{body}");
    let (_, _, body) = send(&app, get("/teams/nauru/hunt?q=host:*", &player)).await;
    assert!(body.contains("another team") && !body.contains("NT-DC01"));
}

/// A sign-in request from another address.
fn login_from(username: &str, password: &str, ip: std::net::IpAddr) -> Request<Body> {
    let mut request = login_request(username, password);
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(ip, 50000)));
    request
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_failures_are_counted_and_then_refused() {
    let app = app().await;
    let (status, _, body) = send(&app, login_request("pita", "wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("Wrong username or password."));
    let (status, _, body) = send(&app, login_request("nobody-at-all", "wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "unknown users get the same answer");
    assert!(body.contains("Wrong username or password."));
    for _ in 0..4 {
        send(&app, login_request("pita", "wrong")).await;
    }
    // Five failures: even the right password waits now, for 30 seconds, from any address
    // (guessing from many addresses gets no more tries), and in any case of the username.
    let (status, _, body) = send(&app, login_request("pita", PASSWORD)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        body.contains("Too many failed sign-ins. Try again in 30 seconds"),
        "{body}"
    );
    let elsewhere = login_from("pita", PASSWORD, [10, 9, 9, 9].into());
    assert_eq!(send(&app, elsewhere).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        send(&app, login_request("PITA", "wrong")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another account is not slowed by them.
    sign_in(&app, "nora").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_guesses_get_no_more_tries_than_sequential_ones() {
    let app = app().await;
    let guesses = (0..8).map(|n| {
        let app = app.clone();
        tokio::spawn(async move { send(&app, login_request("nora", &format!("guess-{n}"))).await.0 })
    });
    let mut answers = Vec::new();
    for g in guesses {
        answers.push(g.await.unwrap());
    }
    let wrong = answers.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = answers.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((wrong, refused), (5, 3), "{answers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_is_counted_by_its_ipv6_network_and_slowed_not_locked_out() {
    let app = app().await;
    // Thirty failures from addresses of one /64, each at a different (unknown) account.
    for n in 0..30u16 {
        let ip = std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, n + 1);
        let (status, _, _) = send(&app, login_from(&format!("user{n}"), "wrong", ip.into())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "failure {n}");
    }
    // Any address of that network now waits ten seconds, whatever the account…
    let same_net = std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0xabcd, 0, 0, 0xffff);
    let (status, _, body) = send(&app, login_from("pita", PASSWORD, same_net.into())).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("Try again in 10 seconds"), "{body}");
    // …while the next network, and the accounts themselves, are not held up.
    let next_net = std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1);
    assert_eq!(
        send(&app, login_from("pita", PASSWORD, next_net.into())).await.0,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_from_other_sites_change_nothing() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let before = app.db.exercises().await.unwrap()[0].clock.clone();
    let cross = Request::post("/clock")
        .header(header::COOKIE, &instructor)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from("action=pause"))
        .unwrap();
    assert_eq!(send(&app, cross).await.0, StatusCode::FORBIDDEN);
    let other_origin = Request::post("/clock")
        .header(header::COOKIE, &instructor)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "localhost:8080")
        .header(header::ORIGIN, "http://evil.example")
        .body(Body::from("action=pause"))
        .unwrap();
    assert_eq!(send(&app, other_origin).await.0, StatusCode::FORBIDDEN);
    let login = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from(format!(
            "username=ines&password={}",
            PASSWORD.replace(' ', "+")
        )))
        .unwrap();
    assert_eq!(send(&app, login).await.0, StatusCode::FORBIDDEN);
    // Saying nothing about where it comes from is not enough either.
    let silent = Request::post("/clock")
        .header(header::COOKIE, &instructor)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("action=pause"))
        .unwrap();
    assert_eq!(send(&app, silent).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        app.db.exercises().await.unwrap()[0].clock,
        before,
        "the clock was not touched"
    );
    // From the server's own page, with the matching origin, it pauses.
    let same = Request::post("/clock")
        .header(header::COOKIE, &instructor)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "localhost:8080")
        .header(header::ORIGIN, "http://localhost:8080")
        .body(Body::from("action=pause"))
        .unwrap();
    assert_eq!(send(&app, same).await.0, StatusCode::SEE_OTHER);
    let stored: Clock = serde_json::from_str(&app.db.exercises().await.unwrap()[0].clock).unwrap();
    assert!(
        matches!(stored.state, atoll_exercise::State::Paused { .. }),
        "{stored:?}"
    );
    // With a public address set, a form of its pages is this site's even when the proxy
    // in front passes on a `Host` of its own; another port of an allowed name is not.
    let public = || {
        Site::new(
            Some("https://cyber.example.org".parse().unwrap()),
            Vec::new(),
            Vec::new(),
            [127, 0, 0, 1].into(),
        )
    };
    let resume = |origin: &str| {
        Request::post("/clock")
            .header(header::COOKIE, &instructor)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::ORIGIN, origin)
            .body(Body::from("action=resume"))
            .unwrap()
    };
    let (status, _, _) = send_at(&app, public(), resume("http://127.0.0.1:3000")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send_at(&app, public(), resume("https://cyber.example.org")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_ends_the_session() {
    let app = app().await;
    let cookie = sign_in(&app, "olga").await;
    assert_eq!(send(&app, get("/board", &cookie)).await.0, StatusCode::OK);
    let (status, headers, _) = send(&app, post("/logout", &cookie, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(header(&headers, "set-cookie").unwrap().contains("Max-Age=0"));
    let (status, headers, _) = send(&app, get("/board", &cookie)).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
}

/// A server behind a proxy at 10.0.0.0/8, with no public address set.
fn behind_a_proxy() -> Site {
    Site::new(
        None,
        Vec::new(),
        vec!["10.0.0.0/8".parse().unwrap()],
        [127, 0, 0, 1].into(),
    )
}

/// `request` with a header added.
fn with(mut request: Request<Body>, name: &'static str, value: &str) -> Request<Body> {
    request.headers_mut().append(name, value.parse().unwrap());
    request
}

#[tokio::test(flavor = "multi_thread")]
async fn https_and_the_client_address_come_from_settings_or_a_trusted_proxy_only() {
    let app = app().await;
    let secure = |headers: &[(String, String)]| {
        let cookie = header(headers, "set-cookie").unwrap();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        cookie.ends_with("; Secure")
    };
    let https_from = |ip: [u8; 4]| with(login_from("olga", PASSWORD, ip.into()), "x-forwarded-proto", "https");
    let (_, headers, _) = send(&app, login_request("olga", PASSWORD)).await;
    assert!(!secure(&headers), "plain HTTP");
    // Anyone can send X-Forwarded-Proto: believed only from a trusted proxy.
    let (_, headers, _) = send(&app, https_from([10, 0, 0, 2])).await;
    assert!(!secure(&headers), "no proxy is trusted");
    let (_, headers, _) = send_at(&app, behind_a_proxy(), https_from([203, 0, 113, 9])).await;
    assert!(!secure(&headers), "a client beside the proxy");
    let (status, headers, _) = send_at(&app, behind_a_proxy(), https_from([10, 0, 0, 2])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(secure(&headers), "the trusted proxy");
    // A public https address decides, whatever a proxy says.
    let public = Site::new(
        Some("https://cyber.example.org".parse().unwrap()),
        Vec::new(),
        vec!["10.0.0.0/8".parse().unwrap()],
        [0, 0, 0, 0].into(),
    );
    let request = with(
        with(
            login_from("olga", PASSWORD, [10, 0, 0, 2].into()),
            "x-forwarded-proto",
            "http",
        ),
        "x-forwarded-host",
        "cyber.example.org",
    );
    let (_, headers, _) = send_at(&app, public, request).await;
    assert!(secure(&headers), "the public address is https");

    // Sign-in failures are counted by the client the trusted proxy names (the last address it
    // added, not what the client wrote before it), never by the proxy; from anyone else the
    // header is not believed.
    let failures = |address: &'static str| {
        let app = app.clone();
        async move { app.db.login_failures("pita", address, 0).await.unwrap().address }
    };
    let forwarded = |peer: [u8; 4]| {
        with(
            login_from("pita", "wrong", peer.into()),
            "x-forwarded-for",
            "192.0.2.1, 198.51.100.7",
        )
    };
    let (status, _, _) = send_at(&app, behind_a_proxy(), forwarded([10, 0, 0, 2])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send_at(&app, behind_a_proxy(), forwarded([203, 0, 113, 9])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        [
            failures("198.51.100.7").await,
            failures("10.0.0.2").await,
            failures("192.0.2.1").await,
            failures("203.0.113.9").await,
        ],
        [1, 0, 0, 1]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_for_another_host_name_is_refused_and_changes_nothing() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let token = make_token(&app, &instructor, "hosts").await;
    let before = app.db.exercises().await.unwrap()[0].clock.clone();
    let to = |host: &str, request: Request<Body>| with(request, "host", host);
    let pause = || post("/clock", &instructor, "action=pause");

    // A page of another site whose name was pointed at this server (DNS rebinding) gets
    // nothing: no page, no form taken, no API call.
    let (status, _, page) = send(&app, to("evil.example", get("/board", &instructor))).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
    assert!(
        page.contains("This server answers to localhost, 127.0.0.1 and [::1] only."),
        "{page}"
    );
    assert_eq!(
        send(&app, to("evil.example:8080", pause())).await.0,
        StatusCode::MISDIRECTED_REQUEST
    );
    let call = api("POST", "/api/v1/clock", &token, Some(r#"{"action":"pause"}"#));
    let (status, headers, body) = send(&app, to("evil.example", call)).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(header(&headers, "content-type"), Some("application/json"));
    assert!(body.contains("answers to localhost"), "{body}");
    // An absolute address in the request line names the host, whatever `Host` says.
    let absolute = Request::post("http://evil.example/clock")
        .header(header::HOST, "localhost")
        .header(header::COOKIE, &instructor)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from("action=pause"))
        .unwrap();
    assert_eq!(send(&app, absolute).await.0, StatusCode::MISDIRECTED_REQUEST);
    // A request naming no host is refused too.
    let response = router(app.clone(), Site::loopback()).oneshot(pause()).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // X-Forwarded-Host names the host only from a trusted proxy.
    let forwarded = |peer: [u8; 4], host: &str| {
        let mut request = with(pause(), "x-forwarded-host", host);
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((peer, 40000))));
        request
    };
    let (status, _, _) = send_at(&app, behind_a_proxy(), forwarded([10, 0, 0, 2], "evil.example")).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(app.db.exercises().await.unwrap()[0].clock, before, "nothing changed");

    // The addresses `atoll demo` prints and their loopback twins are answered; a server on
    // every address (0.0.0.0) answers to any IP address, never to a name it was not given.
    for host in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "LOCALHOST"] {
        assert_eq!(
            send(&app, to(host, get("/board", &instructor))).await.0,
            StatusCode::OK,
            "{host}"
        );
    }
    let everywhere = || Site::new(None, Vec::new(), Vec::new(), [0, 0, 0, 0].into());
    let (status, _, _) = send_at(&app, everywhere(), to("10.1.2.3:8080", get("/board", &instructor))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send_at(&app, everywhere(), to("atoll.example", get("/board", &instructor))).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
    // From a peer that is no trusted proxy, X-Forwarded-Host is not even read: the pause
    // sent to localhost goes through.
    let (status, _, _) = send_at(&app, behind_a_proxy(), forwarded([203, 0, 113, 9], "evil.example")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_ne!(app.db.exercises().await.unwrap()[0].clock, before, "paused");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instructor_sees_who_is_signed_in_and_ends_a_session() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let player = sign_in(&app, "pita").await;
    let (_, _, page) = send(&app, get("/people", &instructor)).await;
    assert!(page.contains("2 of 4 accounts signed in"), "{page}");
    let pita = app.db.user_by_name("pita").await.unwrap().unwrap().0.id;
    assert_eq!(send(&app, get("/teams/palau", &player)).await.0, StatusCode::OK);
    let (status, _, _) = send(&app, post("/people/end", &instructor, &format!("user={pita}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, headers, _) = send(&app, get("/teams/palau", &player)).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/login")),
        "signed out"
    );
    assert_eq!(
        send(&app, get("/board", &instructor)).await.0,
        StatusCode::OK,
        "others stay signed in"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_makes_one_account_once_and_expires() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let (status, headers, page) = send(&app, post("/people/invite", &instructor, "as=player%3Apalau&hours=1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&headers, "cache-control"),
        Some("no-store"),
        "the link is a secret"
    );
    let start = page.find("/invite/").expect("the link is shown");
    let token: String = page[start + 8..].chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(token.len(), 32, "{}", &page[start..start + 60]);
    assert!(page.contains("a player of Palau"), "says whom it invites");
    let link = format!("/invite/{token}");

    // Anyone holding the link sees the form; mistakes keep the username and change nothing.
    let (status, _, form) = send(&app, get(&link, "")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("invited as a player of Palau"), "{form}");
    let (status, _, form) = send(
        &app,
        post(
            &link,
            "",
            "username=mele&password=reef-canoe-lantern-7&repeat=reef-canoe-lantern-8",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        form.contains("the two passwords differ") && form.contains("value=\"mele\""),
        "{form}"
    );
    let (status, _, form) = send(&app, post(&link, "", "username=mele&password=short&repeat=short")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(form.contains("password: 10 to 200 characters"), "{form}");
    let (status, _, form) = send(
        &app,
        post(
            &link,
            "",
            "username=pita&password=reef-canoe-lantern-7&repeat=reef-canoe-lantern-7",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(form.contains("taken"), "an existing username: {form}");
    // The same name in other letters is the same person in every log.
    let (status, _, form) = send(
        &app,
        post(
            &link,
            "",
            "username=PITA&password=reef-canoe-lantern-7&repeat=reef-canoe-lantern-7",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(form.contains("taken"), "{form}");
    // Guessable passwords are refused with the reason.
    for (password, why) in [("1234567890", "password: "), ("mele-of-palau", "username")] {
        let (status, _, form) = send(
            &app,
            post(
                &link,
                "",
                &format!("username=mele&password={password}&repeat={password}"),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{password}");
        assert!(form.contains(why), "{password}: {form}");
    }
    assert!(app.db.user_by_name("mele").await.unwrap().is_none());

    // Joining makes a Palau player and signs them in.
    let (status, headers, _) = send(
        &app,
        post(
            &link,
            "",
            "username=mele&password=reef-canoe-lantern-7&repeat=reef-canoe-lantern-7",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = header(&headers, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(send(&app, get("/teams/palau", &cookie)).await.0, StatusCode::OK);
    assert_eq!(send(&app, get("/teams/nauru", &cookie)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        send(&app, login_request("mele", "reef-canoe-lantern-7")).await.0,
        StatusCode::SEE_OTHER
    );

    // Once only.
    let (status, _, page) = send(
        &app,
        post(
            &link,
            "",
            "username=mele2&password=reef-canoe-lantern-7&repeat=reef-canoe-lantern-7",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("already been used"), "{page}");
    assert!(app.db.user_by_name("mele2").await.unwrap().is_none());
    let (_, _, people) = send(&app, get("/people", &instructor)).await;
    assert!(people.contains("by mele"), "the people page says who used it");

    // An expired link shows why and creates nothing.
    let ines = app.db.user_by_name("ines").await.unwrap().unwrap().0;
    let now = clock_now();
    app.db
        .create_invitations(
            &[sha2::Sha256::digest(b"feedfacefeedfacefeedfacefeedface").to_vec()],
            Role::Observer,
            None,
            ines.id,
            now - 7_200_000,
            now - 1,
            200,
        )
        .await
        .unwrap()
        .unwrap();
    let old = "/invite/feedfacefeedfacefeedfacefeedface";
    let (status, _, page) = send(&app, get(old, "")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("expired"), "{page}");
    let (status, _, _) = send(
        &app,
        post(
            old,
            "",
            "username=late&password=reef-canoe-lantern-7&repeat=reef-canoe-lantern-7",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(app.db.user_by_name("late").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_observer_can_follow_chosen_teams_only() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let olga = app.db.user_by_name("olga").await.unwrap().unwrap().0;
    let pita = app.db.user_by_name("pita").await.unwrap().unwrap().0;
    // One message to each team, so the messages page has something to hide.
    for (team, subject) in [("palau", "For+Palau"), ("nauru", "For+Nauru")] {
        let form = format!("team={team}&subject={subject}&body=Read+this");
        assert_eq!(
            send(&app, post("/messages", &instructor, &form)).await.0,
            StatusCode::SEE_OTHER
        );
    }
    // Bad requests change nothing and say what is wrong.
    let refused = [
        (
            format!("user={}&team=atlantis", olga.id),
            "team: `atlantis` is not a team",
        ),
        (
            format!("user={}&team=palau", pita.id),
            "only observers follow chosen teams",
        ),
    ];
    for (form, says) in refused {
        let (status, _, page) = send(&app, post("/people/follows", &instructor, &form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(page.contains(says), "{form}: {page}");
    }
    let observer = sign_in(&app, "olga").await;
    assert_eq!(
        send(
            &app,
            post("/people/follows", &observer, &format!("user={}&team=palau", olga.id))
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "observers do not choose for themselves"
    );
    let (_, _, board) = send(&app, get("/board", &observer)).await;
    assert!(board.contains("href=\"/teams/nauru\""), "every team before choosing");

    // The white cell has Olga follow Palau alone.
    let form = format!("user={}&team=palau", olga.id);
    assert_eq!(
        send(&app, post("/people/follows", &instructor, &form)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, people) = send(&app, get("/people", &instructor)).await;
    assert!(people.contains("value=\"palau\" checked"), "the choice is shown ticked");
    for (path, expected) in [
        ("/teams/palau", StatusCode::OK),
        ("/teams/palau/timeline", StatusCode::OK),
        ("/teams/nauru", StatusCode::FORBIDDEN),
        ("/teams/nauru/score", StatusCode::FORBIDDEN),
        ("/teams/nauru/timeline", StatusCode::FORBIDDEN),
        ("/people", StatusCode::FORBIDDEN),
    ] {
        assert_eq!(send(&app, get(path, &observer)).await.0, expected, "{path}");
    }
    let (_, _, board) = send(&app, get("/board", &observer)).await;
    assert!(board.contains("href=\"/teams/palau\"") && !board.contains("href=\"/teams/nauru\""));
    assert!(!board.contains("href=\"/people\""), "no People link");
    let (_, _, messages) = send(&app, get("/messages", &observer)).await;
    assert!(messages.contains("For Palau") && !messages.contains("For Nauru"));
    // The instructor still sees everything.
    let (_, _, messages) = send(&app, get("/messages", &instructor)).await;
    assert!(messages.contains("For Palau") && messages.contains("For Nauru"));
}

#[tokio::test(flavor = "multi_thread")]
async fn api_tokens_are_made_on_the_account_page_shown_once_and_revoked() {
    let app = app().await;
    let pita = sign_in(&app, "pita").await;
    let token = make_token(&app, &pita, "nightly").await;
    // Shown once: the list names it, and the token is nowhere on the page again. Only its
    // hash is stored.
    let (_, _, page) = send(&app, get("/account", &pita)).await;
    assert!(
        page.contains("nightly") && page.contains("never") && !page.contains(&token),
        "{page}"
    );
    let (status, me) = call(&app, "GET", "/api/v1/exercise", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (me["you"]["username"].as_str(), me["you"]["team"].as_str()),
        (Some("pita"), Some("palau"))
    );
    let teams: Vec<&str> = me["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(teams, ["palau"], "a player's token sees the player's team only");
    let (_, _, page) = send(&app, get("/account", &pita)).await;
    assert!(!page.contains("never"), "last use noted: {page}");

    // Refused forms name the field and make nothing.
    for (form, field) in [("name=&days=30", "name:"), ("name=x&days=365", "days:")] {
        let (status, _, page) = send(&app, post("/account", &pita, form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(
            page.contains(field) && !page.contains("value=\"atoll_"),
            "{form}: {page}"
        );
    }
    assert_eq!(
        app.db
            .tokens(app.db.user_by_name("pita").await.unwrap().unwrap().0.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Without a token, with a wrong one, or with a session cookie instead: 401, said in JSON.
    let cookie_only = Request::get("/api/v1/exercise")
        .header(header::COOKIE, &pita)
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&app, cookie_only).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the API takes no cookies");
    assert!(header(&headers, "www-authenticate").is_some_and(|v| v.starts_with("Bearer")));
    assert!(body.contains("\"field\":\"Authorization\""), "{body}");
    for bad in ["", "atoll_0000", &format!("{token}x")] {
        let (status, problem) = call(&app, "GET", "/api/v1/exercise", bad, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(problem["error"]["status"], 401);
    }
    // Another player cannot revoke it; its owner can, and then it opens nothing.
    let nora = sign_in(&app, "nora").await;
    let (status, _, _) = send(&app, post("/account/tokens/1/revoke", &nora, "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        call(&app, "GET", "/api/v1/exercise", &token, None).await.0,
        StatusCode::OK
    );
    let (status, _, _) = send(&app, post("/account/tokens/1/revoke", &pita, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        call(&app, "GET", "/api/v1/exercise", &token, None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // An instructor ending a player's sessions ends their tokens too.
    let second = make_token(&app, &pita, "second").await;
    let ines = sign_in(&app, "ines").await;
    let id = app.db.user_by_name("pita").await.unwrap().unwrap().0.id;
    let (status, _, _) = send(&app, post("/people/end", &ines, &format!("user={id}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        call(&app, "GET", "/api/v1/exercise", &second, None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_api_operation_for_every_role_and_team() {
    let app = app_started(40_000).await;
    app.live.tick(clock_now());
    let mut tokens = Vec::new();
    for who in ["ines", "olga", "pita"] {
        let cookie = sign_in(&app, who).await;
        tokens.push(make_token(&app, &cookie, who).await);
    }
    // A report from Palau, for the grading rows.
    let pita = sign_in(&app, "pita").await;
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/reports",
            &pita,
            "title=t&to=national_cert&tlp=TLP%3AAMBER&what=w",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let report = newest_submission(&app, "palau").await;
    use StatusCode as S;
    let grade = format!("/api/v1/grading/{report}");
    // (method, path, body, [instructor, observer, palau player, no token])
    let cases: Vec<(&str, &str, Option<&str>, [S; 4])> = vec![
        ("GET", "/api/v1/openapi.json", None, [S::OK, S::OK, S::OK, S::OK]),
        ("GET", "/api/v1/exercise", None, [S::OK, S::OK, S::OK, S::UNAUTHORIZED]),
        (
            "GET",
            "/api/v1/audit",
            None,
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/clock",
            Some(r#"{"action":"speed","speed":60}"#),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/board",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/scoreboard",
            Some(r#"{"show":false}"#),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/absent",
            Some(r#"{"absent":false}"#),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/no-such-team/absent",
            Some(r#"{"absent":false}"#),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/score",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/score",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/atlantis/score",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/timeline",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/timeline",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/steps",
            Some(r#"{"step":"vt-prtg-creds","change":"delay:15m"}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/alerts",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/alerts?state=open",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // No rule raised an alert in this exercise: the ones allowed find none.
            "POST",
            "/api/v1/teams/palau/alerts/0/verdict",
            Some(r#"{"state":"false_positive"}"#),
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/alerts/0/verdict",
            Some(r#"{"state":"false_positive"}"#),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/inbox",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/inbox",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/hunt?q=EventID%3A4688",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/hunt?q=EventID%3A4688",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/rules",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/rules",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/searches",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/searches",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/hints",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/hints",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // Only the team's players open hints; this one is not available yet.
            "POST",
            "/api/v1/teams/palau/hints/1/open",
            None,
            [S::FORBIDDEN, S::FORBIDDEN, S::CONFLICT, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/questions",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/questions",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // Only the team's players answer.
            "POST",
            "/api/v1/teams/palau/questions/q-telemetry-sources/answer",
            Some(r#"{"choices":["iis","process"]}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/questions/q-telemetry-sources/answer",
            Some(r#"{"choices":["iis"]}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/messages",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/messages",
            Some(r#"{"team":"nauru","subject":"Status","body":"Send us your status."}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/injects",
            Some(r#"{"inject":"news-rumour","team":"nauru"}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/grading",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            &grade,
            Some(r#"{"points":{"e-report-incident":10},"comment":"ok"}"#),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/actions",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/actions",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/actions",
            Some(r#"{"action":"block_address","target":"203.0.113.45"}"#),
            [S::CREATED, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/actions",
            Some(r#"{"action":"block_address","target":"203.0.113.45"}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/cases",
            Some(r#"{"title":"Web shell"}"#),
            [S::CREATED, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/cases",
            Some(r#"{"title":"Web shell"}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/cases/1",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        // Case 1 is Palau's: asked for as Nauru's it does not exist.
        (
            "GET",
            "/api/v1/teams/nauru/cases/1",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/cases/1/entries",
            Some(r#"{"kind":"note","note":"seen"}"#),
            [S::CREATED, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/cases/1/entries",
            Some(r#"{"kind":"note","note":"seen"}"#),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/reports",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/reports",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/reports",
            Some(r#"{"title":"t","to":"national_cert","tlp":"TLP:AMBER","what":"w"}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/reports",
            Some(r#"{"title":"t","to":"national_cert","tlp":"TLP:AMBER","what":"w"}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/people",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        // Nora's sessions (she has none here); Olga follows every team, as before.
        (
            "POST",
            "/api/v1/people/4/end",
            None,
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/people/2/follows",
            Some(r#"{"teams":[]}"#),
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/invitations",
            Some(r#"{"as":"player:palau","hours":24}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/invitations/999999/revoke",
            None,
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // Players see it only once the white cell shows it to teams.
            "GET",
            "/api/v1/scoreboard",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // The test exercise runs without the rule catalog.
            "GET",
            "/api/v1/detection",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/account/tokens",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/account/tokens",
            Some(r#"{"name":"nightly export","days":7}"#),
            [S::CREATED, S::CREATED, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/account/tokens/999999/revoke",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/exercises",
            None,
            [S::OK, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // This exercise runs no shared rule of that id.
            "POST",
            "/api/v1/detection/no-such-rule",
            Some(r#"{"on":false}"#),
            [S::NOT_FOUND, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/alerts/999999",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/alerts/999999",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // Never the whole queue at once: a filter is needed.
            "POST",
            "/api/v1/teams/palau/alerts/verdicts",
            Some(r#"{"filter":{},"state":"false_positive"}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/alerts/verdicts",
            Some(r#"{"filter":{},"state":"false_positive"}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/cases",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/cases",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // No such open case of the team.
            "POST",
            "/api/v1/teams/palau/cases/999999/alerts",
            Some(r#"{"filter":{"level":"high"}}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/suppressions",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/suppressions",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            // A rule the team has no alerts from.
            "POST",
            "/api/v1/teams/palau/suppressions",
            Some(r#"{"rule":"No such rule","reason":"testing it"}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/suppressions/999999/end",
            None,
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::UNAUTHORIZED],
        ),
        (
            // Not a whole rule: refused with where.
            "POST",
            "/api/v1/teams/palau/rules",
            Some(r#"{"yaml":"title: x"}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/rules/test",
            Some(r#"{"yaml":"title: x"}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::BAD_REQUEST, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/rules/test",
            Some(r#"{"yaml":"title: x"}"#),
            [S::BAD_REQUEST, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/rules/999999/off",
            None,
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/searches",
            Some(r#"{"name":"process starts","q":"EventID:4688"}"#),
            [S::CREATED, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/searches",
            Some(r#"{"name":"process starts","q":"EventID:4688"}"#),
            [S::CREATED, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/palau/searches/999999/delete",
            None,
            [S::NOT_FOUND, S::FORBIDDEN, S::NOT_FOUND, S::UNAUTHORIZED],
        ),
        (
            // Only the team's players write as the team.
            "POST",
            "/api/v1/teams/palau/messages",
            Some(r#"{"subject":"Status","body":"Web server isolated."}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::CREATED, S::UNAUTHORIZED],
        ),
        (
            "POST",
            "/api/v1/teams/nauru/messages",
            Some(r#"{"subject":"Status","body":"b"}"#),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/palau/network",
            None,
            [S::OK, S::OK, S::OK, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/teams/nauru/network",
            None,
            [S::OK, S::OK, S::FORBIDDEN, S::UNAUTHORIZED],
        ),
        (
            "GET",
            "/api/v1/no-such-thing",
            None,
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND],
        ),
    ];
    let documented = atoll_web::api::operations();
    for (method, path) in &documented {
        let tested = cases.iter().any(|(m, p, _, _)| {
            let (a, b): (Vec<&str>, Vec<&str>) = (
                path.split('/').collect(),
                p.trim_start_matches("/api/v1")
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .split('/')
                    .collect(),
            );
            m.eq_ignore_ascii_case(method)
                && a.len() == b.len()
                && a.iter().zip(&b).all(|(x, y)| x.starts_with('{') || x == y)
        });
        assert!(tested, "{method} {path} is in the table");
    }
    for (method, path, body, expected) in &cases {
        for (who, token, want) in [
            ("instructor", tokens[0].as_str(), expected[0]),
            ("observer", &tokens[1], expected[1]),
            ("player", &tokens[2], expected[2]),
            ("nobody", "", expected[3]),
        ] {
            if *path == "/api/v1/no-such-thing" {
                let (status, _, text) = send(&app, api(method, path, token, *body)).await;
                assert_eq!(status, want, "{method} {path} as {who}");
                assert!(text.contains("openapi.json"), "{text}");
                continue;
            }
            let (status, answer) = call(&app, method, path, token, *body).await;
            assert_eq!(status, want, "{method} {path} as {who}: {answer}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_lists_every_api_route_and_only_those() {
    let app = app().await;
    let (status, document) = call(&app, "GET", "/api/v1/openapi.json", "", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    // Every operation is routed (without a token: 401, never 404 or 405); and its schemas
    // resolve.
    for (method, path) in atoll_web::api::operations() {
        let concrete = format!("/api/v1{}", path.replace("{team}", "palau").replace("{id}", "1"));
        let (status, _, _) = send(&app, api(&method.to_uppercase(), &concrete, "", Some("{}"))).await;
        let want = if path == "/openapi.json" {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(status, want, "{method} {path}");
    }
    let text = document.to_string();
    let mut at = 0;
    while let Some(i) = text[at..].find("\"$ref\":\"#/components/schemas/") {
        let start = at + i + "\"$ref\":\"#/components/schemas/".len();
        let name = &text[start..start + text[start..].find('"').unwrap()];
        assert!(document["components"]["schemas"][name].is_object(), "{name} is defined");
        at = start;
    }
    assert!(at > 0, "schemas are referenced");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_without_a_page_answers_with_a_page_that_says_so() {
    let app = app().await;
    let player = sign_in(&app, "pita").await;
    let (status, _, page) = send(&app, get("/no/such/page", &player)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("There is no page at this address"), "{page}");
    // A form's address opened as a link.
    let (status, _, page) = send(&app, get("/teams/palau/alerts", &player)).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(page.contains("This address receives a form"), "{page}");
    // The API keeps answering in JSON.
    let (status, headers, body) = send(&app, get("/api/v1/no-such-thing", &player)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        header(&headers, "content-type").is_some_and(|c| c.contains("json")),
        "{headers:?}"
    );
    assert!(body.contains("No such API path"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_has_the_security_headers_and_team_data_is_never_cached() {
    let app = app().await;
    let player = sign_in(&app, "pita").await;
    let (css, _) = asset_paths(&app, &sign_in(&app, "ines").await).await;
    let token = make_token(&app, &player, "cache check").await;
    let secured = |what: &str, headers: &[(String, String)]| {
        let csp = header(headers, "content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
        let script = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap_or_else(|| panic!("{what}: {csp}"));
        assert_eq!(script, "script-src 'self'", "{what}: no inline script");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert_eq!(header(headers, "x-content-type-options"), Some("nosniff"), "{what}");
        assert_eq!(header(headers, "referrer-policy"), Some("same-origin"), "{what}");
    };
    // Team pages, the API's answers and refusals of both: never kept in a cache.
    let mut answers = Vec::new();
    for path in [
        "/teams/palau",
        "/teams/palau/reports",
        "/teams/palau/inbox",
        "/briefing",
        "/no/such/page",
    ] {
        answers.push((path, send(&app, get(path, &player)).await));
    }
    answers.push(("API", send(&app, api("GET", "/api/v1/exercise", &token, None)).await));
    answers.push((
        "API 404",
        send(&app, api("GET", "/api/v1/teams/palau/nothing", &token, None)).await,
    ));
    answers.push((
        "another host",
        send(&app, with(get("/teams/palau", &player), "host", "evil.example")).await,
    ));
    for (what, (status, headers, _)) in &answers {
        match *what {
            "/no/such/page" | "API 404" => assert_eq!(*status, StatusCode::NOT_FOUND, "{what}"),
            "another host" => assert_eq!(*status, StatusCode::MISDIRECTED_REQUEST),
            _ => assert!(status.is_success(), "{what}: {status}"),
        }
        secured(what, headers);
        assert_eq!(header(headers, "cache-control"), Some("no-store"), "{what}");
    }
    // The fingerprinted assets alone are cached, and carry the same headers.
    let (_, headers, _) = send(&app, get(&css, &player)).await;
    secured("stylesheet", &headers);
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}
