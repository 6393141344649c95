//! Pages and live streams over thin links: compression, byte budgets, nothing from elsewhere,
//! live updates that resume.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn pages_are_compressed_and_load_nothing_from_elsewhere() {
    let app = app().await;
    app.live.tick(clock_now() + 20_000);
    let player = sign_in(&app, "pita").await;
    let plain = send(&app, get("/teams/palau/hunt?q=log%3Adns", &player)).await;
    let mut request = get("/teams/palau/hunt?q=log%3Adns", &player);
    request
        .headers_mut()
        .insert(header::ACCEPT_ENCODING, "br, gzip".parse().unwrap());
    let response = answer(&app, request).await;
    assert_eq!(response.headers().get(header::CONTENT_ENCODING).unwrap(), "br");
    let csp = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    let compressed = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
    assert!(
        plain.2.len() > 3 * compressed.len(),
        "{} bytes plain, {} compressed",
        plain.2.len(),
        compressed.len()
    );
    // No page refers to anything outside the server.
    for page in [plain.2, send(&app, get("/login", "")).await.2] {
        assert!(
            !page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"),
            "{page}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_fits_a_satellite_link_budget() {
    // Two hours of play with atoll's rules: full alert lists, inbox and hunt pages.
    let app = app_with(2 * 60_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    const PAGE_BUDGET: usize = 30 * 1024;
    const ASSET_BUDGET: usize = 40 * 1024;
    let mut largest = (0, String::new());
    for (who, paths) in [
        (
            "ines",
            vec![
                "/board",
                "/people",
                "/messages",
                "/teams/palau",
                "/teams/palau/inbox",
                "/teams/palau/respond",
                "/teams/palau/score",
                "/teams/palau/network",
                "/teams/palau/timeline",
                "/teams/palau/questions",
                "/teams/palau/reports",
                "/teams/palau/cases",
                "/teams/palau/rules",
                "/grading",
                "/teams/palau/hunt?q=*",
                "/teams/palau/hunt?q=log%3Asysmon+%7C+stats+count+by+Image",
            ],
        ),
        (
            "olga",
            vec!["/board", "/teams/nauru", "/teams/nauru/hunt?q=log%3Adns", "/grading"],
        ),
        (
            "pita",
            vec![
                "/teams/palau",
                "/teams/palau?view=groups",
                "/teams/palau?sort=level&level=medium",
                "/teams/palau/alerts/0",
                "/teams/palau/suppressions",
                "/teams/palau/inbox",
                "/teams/palau/respond",
                "/teams/palau/questions",
                "/teams/palau/reports",
                "/teams/palau/score",
                "/teams/palau/rules",
                "/teams/palau/hunt?q=*",
                "/teams/palau/hunt?q=%7C+timeline+5m",
                "/account",
            ],
        ),
    ] {
        let cookie = sign_in(&app, who).await;
        for path in paths {
            let (status, size) = compressed_size(&app, path, &cookie).await;
            assert_eq!(status, StatusCode::OK, "{path} as {who}");
            assert!(
                size <= PAGE_BUDGET,
                "{path} as {who}: {size} bytes compressed, over {PAGE_BUDGET}"
            );
            if size > largest.0 {
                largest = (size, format!("{path} as {who}"));
            }
        }
    }
    let (_, login) = compressed_size(&app, "/login", "").await;
    assert!(login <= PAGE_BUDGET);
    let (css_path, js_path) = asset_paths(&app, &sign_in(&app, "ines").await).await;
    let (_, css) = compressed_size(&app, &css_path, "").await;
    let (_, js) = compressed_size(&app, &js_path, "").await;
    assert!(css + js <= ASSET_BUDGET, "all CSS and JS together: {} bytes", css + js);
    // The largest page, for the record (cargo test -- --nocapture shows it).
    eprintln!(
        "largest page: {} ({} bytes compressed); stylesheet {css} bytes, script {js} bytes",
        largest.1, largest.0
    );
    assert!(largest.0 > 1000, "pages have content");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_stream_ends_when_its_session_does() {
    use futures_util::StreamExt as _;
    let app = app().await;
    for (user, path) in [("pita", "/teams/palau/live"), ("ines", "/live")] {
        let cookie = sign_in(&app, user).await;
        let response = answer(&app, get(path, &cookie)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let mut body = response.into_body().into_data_stream();
        // The stream goes on while the session lasts…
        let first = tokio::time::timeout(std::time::Duration::from_secs(10), body.next()).await;
        assert!(matches!(first, Ok(Some(Ok(_)))), "{user}: the stream sends");
        // Past the first session checks (every 5 s), it is still open.
        assert!(
            !ends_within(&mut body, 7).await,
            "{user}: the stream stays open while the session lasts"
        );
        // …and ends within a few polls of signing out.
        let (status, _, _) = send(&app, post("/logout", &cookie, "")).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            ends_within(&mut body, 60).await,
            "{user}: the stream ended with the session"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_observers_live_stream_ends_when_the_teams_they_follow_change() {
    use futures_util::StreamExt as _;
    let app = app().await;
    let observer = sign_in(&app, "olga").await;
    let response = answer(&app, get("/live", &observer)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body().into_data_stream();
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), body.next()).await;
    assert!(matches!(first, Ok(Some(Ok(_)))), "the stream sends");
    // The board stream was opened seeing every team; once she follows Palau alone it ends,
    // and the browser reconnects seeing Palau only.
    let instructor = sign_in(&app, "ines").await;
    let (status, _, _) = send(&app, post("/people/follows", &instructor, "user=2&team=palau")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        ends_within(&mut body, 60).await,
        "the stream ended when her teams changed"
    );
    // Her session itself goes on.
    let (status, _, _) = send(&app, get("/board", &observer)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn live_updates_bring_new_items_and_resume_after_a_dropout() {
    // Two hours of play with an alert on every sign-in: alerts and injects to be told of.
    static SIGN_INS: LazyLock<RuleSet> = LazyLock::new(|| rule_set(SIGN_IN_RULE));
    let app = app_with(2 * 60_000, &SIGN_INS, &[]).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (alerts, last_title) = {
        let team = app.live.team(0);
        (team.alerts().len(), team.alerts().last().unwrap().title.clone())
    };
    assert!(alerts > 6, "{alerts} alerts");

    // A first connection: the numbers the pages show, no notes.
    let first = live_events(&app, "/teams/palau/live", &player, None).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let values: serde_json::Value = serde_json::from_str(&first[0].2).unwrap();
    assert_eq!(values["alerts"], alerts.to_string());
    assert!(values["clock"].as_str().unwrap().starts_with("D1 "), "{values}");
    let inbox: usize = values["inbox"].as_str().unwrap().parse().unwrap();
    assert!(inbox > 0, "injects have arrived in two hours: {values}");
    let cursor = first[0].1.clone();
    assert_eq!(
        cursor,
        format!("{alerts}.{inbox}.0.{}", values["questions"].as_str().unwrap())
    );

    // Resumed from the cursor: nothing missed, nothing to tell.
    let again = live_events(&app, "/teams/palau/live", &player, Some(&cursor)).await;
    assert_eq!(again.len(), 1, "{again:?}");

    // The white cell writes while the browser is away; back with the old cursor, it is told.
    let instructor = sign_in(&app, "ines").await;
    let message = "team=palau&subject=Call+the+CERT&body=Now.";
    assert_eq!(
        send(&app, post("/messages", &instructor, message)).await.0,
        StatusCode::SEE_OTHER
    );
    let resumed = live_events(&app, "/teams/palau/live", &player, Some(&cursor)).await;
    let notes: Vec<&str> = resumed.iter().filter(|e| e.0 == "note").map(|e| e.2.as_str()).collect();
    assert_eq!(notes.len(), 1, "{resumed:?}");
    assert!(
        notes[0].contains("Message from the white cell: Call the CERT") && notes[0].contains("/teams/palau/inbox"),
        "{notes:?}"
    );

    // Back from a long dropout (nothing seen): one note for every alert missed, with the
    // newest, opening the queue.
    let long = live_events(&app, "/teams/palau/live", &player, Some("0.0.0.0")).await;
    let alert_notes: Vec<&str> = long
        .iter()
        .filter(|e| e.0 == "note" && e.2.contains("new alerts"))
        .map(|e| e.2.as_str())
        .collect();
    assert_eq!(alert_notes.len(), 1, "{long:?}");
    assert!(
        alert_notes[0].contains(&format!("{alerts} new alerts"))
            && alert_notes[0].contains(&format!("newest: {last_title}"))
            && alert_notes[0].contains("\"href\":\"/teams/palau\""),
        "{alert_notes:?}"
    );
    assert!(long.iter().any(|e| e.2.contains("In your inbox: ")), "{long:?}");
    let ids: Vec<&str> = long.iter().map(|e| e.1.as_str()).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every event carries the new cursor: {ids:?}"
    );

    // The badge counts the alerts that came since the player last opened the queue.
    assert_eq!(send(&app, get("/teams/palau", &player)).await.0, StatusCode::OK);
    let opened = live_events(&app, "/teams/palau/live", &player, None).await;
    let values: serde_json::Value = serde_json::from_str(&opened[0].2).unwrap();
    assert_eq!(values["alerts"], "", "nothing new since the queue was opened");

    // The white cell's stream: the board's numbers for every team, and what teams write.
    let board = live_events(&app, "/live", &instructor, None).await;
    let values: serde_json::Value = serde_json::from_str(&board[0].2).unwrap();
    assert_eq!(values["palau.alerts"], alerts.to_string());
    assert!(values["nauru.events"].as_str().is_some(), "{values}");
    let cursor = board[0].1.clone();
    let reply = "subject=Web+shell+found&body=PT-WEB01+isolated.";
    assert_eq!(
        send(&app, post("/teams/palau/messages", &player, reply)).await.0,
        StatusCode::SEE_OTHER
    );
    let told = live_events(&app, "/live", &instructor, Some(&cursor)).await;
    assert!(
        told.iter()
            .any(|e| e.0 == "note" && e.2.contains("Message from Palau: Web shell found")),
        "{told:?}"
    );
    // A player's stream of another team is refused (the route table checks every role).
    let nora = sign_in(&app, "nora").await;
    assert_eq!(
        send(&app, get("/teams/palau/live", &nora)).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_stream_is_gzipped_for_browsers_that_take_it_each_event_readable_as_it_comes() {
    use futures_util::StreamExt as _;
    use std::io::Write as _;
    let app = app().await;
    let cookie = sign_in(&app, "pita").await;
    let mut request = get("/teams/palau/live", &cookie);
    request
        .headers_mut()
        .insert(header::ACCEPT_ENCODING, "gzip, deflate, br".parse().unwrap());
    let response = answer(&app, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    let mut body = response.into_body().into_data_stream();
    // The first event decodes from what came so far: the stream is flushed after each.
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    let mut received = 0;
    while !String::from_utf8_lossy(decoder.get_ref()).contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), body.next())
            .await
            .expect("an event within ten seconds")
            .unwrap()
            .unwrap();
        received += chunk.len();
        decoder.write_all(&chunk).unwrap();
        decoder.flush().unwrap();
    }
    let text = String::from_utf8_lossy(decoder.get_ref()).into_owned();
    assert!(text.starts_with("event: update\nid: "), "{text}");
    assert!(text.contains("\"clock\":\"D1 "), "{text}");
    assert!(received < text.len() + 40, "{received} bytes for {}", text.len());
    // Without gzip among what the browser takes, the stream is plain.
    let mut request = get("/teams/palau/live", &cookie);
    request
        .headers_mut()
        .insert(header::ACCEPT_ENCODING, "br;q=1, gzip;q=0".parse().unwrap());
    let response = answer(&app, request).await;
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
}

/// Stores `n` messages of 5,000 characters for Palau, from the team (pita) and the white cell
/// (ines) in turn, subjects `m000`, `m001`, …, straight into the store (the limits are not what
/// is tested here). Returns their ids, oldest first.
async fn long_messages(app: &Arc<App<Sqlite>>, n: usize) -> Vec<i64> {
    let users = app.db.users().await.unwrap();
    let id = |name: &str| users.iter().find(|u| u.username == name).unwrap().id;
    let (pita, ines) = (id("pita"), id("ines"));
    let body = "x".repeat(atoll_app::limits::BODY_CHARS);
    let mut ids = Vec::new();
    for i in 0..n {
        let (to_team, user) = if i % 2 == 0 { (false, pita) } else { (true, ines) };
        let subject = format!("m{i:03}");
        let stored = app.db.send_message(
            app.live.exercise,
            "palau",
            to_team,
            None,
            None,
            &subject,
            &body,
            user,
            0,
            0,
            atoll_store::AtMost::NONE,
        );
        ids.push(stored.await.unwrap());
    }
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_of_messages_stay_small_however_many_are_stored() {
    // 400 messages of 5,000 characters: 2 MB of text in one team's inbox.
    let app = app().await;
    long_messages(&app, 400).await;
    let (pita, ines) = (sign_in(&app, "pita").await, sign_in(&app, "ines").await);
    let page_size = atoll_app::limits::MESSAGES_PAGE as usize;
    for (path, cookie) in [("/teams/palau/inbox", &pita), ("/messages", &ines)] {
        let (status, _, page) = send(&app, get(path, cookie)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.len() < 200_000, "{path}: {} bytes", page.len());
        // The newest page, then the one before it by its link.
        assert!(
            page.contains("m399") && page.contains(&format!("m{:03}", 400 - page_size)),
            "{path}"
        );
        assert!(!page.contains(&format!("m{:03}", 399 - page_size)), "{path}");
        let older = page
            .split("before=")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{path} links to older messages"));
        let (status, _, second) = send(&app, get(&format!("{path}?before={older}"), cookie)).await;
        assert_eq!(status, StatusCode::OK, "{path} page 2");
        assert!(second.len() < 200_000, "{path} page 2: {} bytes", second.len());
        assert!(
            second.contains(&format!("m{:03}", 399 - page_size)) && !second.contains("m399"),
            "{path} page 2 holds the next older ones"
        );
    }
    // The API pages likewise: at most a page, and the next starts after the last id given.
    let token = make_token(&app, &ines, "pages").await;
    let (status, first) = call(&app, "GET", "/api/v1/messages?limit=50", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    let first = first.as_array().unwrap().clone();
    assert_eq!(first.len(), 50);
    let last = first[49]["id"].as_i64().unwrap();
    let (_, next) = call(&app, "GET", &format!("/api/v1/messages?after={last}"), &token, None).await;
    let next = next.as_array().unwrap();
    assert_eq!(next.len(), atoll_app::limits::API_PAGE as usize);
    assert_eq!(next[0]["subject"], "m050");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_poll_reads_only_what_came_after_its_cursor() {
    use futures_util::StreamExt as _;
    // 400 long messages stored; a player's live tab stays open.
    let app = app().await;
    long_messages(&app, 400).await;
    let player = sign_in(&app, "pita").await;
    let steps = app.db.count_steps().await.unwrap();
    let response = answer(&app, get("/teams/palau/live", &player)).await;
    let mut body = response.into_body().into_data_stream();
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), body.next()).await;
    assert!(matches!(first, Ok(Some(Ok(_)))), "the stream sends");
    // Polls while the browser reads: each looks only past its cursor, so it costs the
    // database a few dozen steps, not a read of every message (thousands).
    let reading = tokio::spawn(async move { while body.next().await.is_some() {} });
    let before = steps.load(std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    let during = steps.load(std::sync::atomic::Ordering::Relaxed) - before;
    reading.abort();
    assert!(during > 0, "the stream polled");
    assert!(during < 1_000, "{during} steps of SQLite's machine in three polls");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_holds_a_few_live_streams_at_most_and_a_new_one_ends_the_oldest() {
    let app = app().await;
    let player = sign_in(&app, "pita").await;
    let live = || get("/teams/palau/live", &player);
    let mut open = Vec::new();
    for _ in 0..atoll_app::limits::STREAMS_PER_SESSION {
        let response = answer(&app, live()).await;
        assert_eq!(response.status(), StatusCode::OK);
        open.push(response.into_body().into_data_stream());
    }
    // One more: it is served, and the oldest (a tab closed over a link that never said so,
    // or the oldest of too many) ends.
    let newest = answer(&app, live()).await;
    assert_eq!(newest.status(), StatusCode::OK);
    let mut oldest = open.remove(0);
    assert!(ends_within(&mut oldest, 10).await, "the oldest stream ends");
    let mut second = open.remove(0);
    assert!(!ends_within(&mut second, 3).await, "the others go on");
    // Another sign-in, and the white cell, are not touched by this one.
    let other = sign_in(&app, "pita").await;
    assert_eq!(
        answer(&app, get("/teams/palau/live", &other)).await.status(),
        StatusCode::OK
    );
    let ines = sign_in(&app, "ines").await;
    assert_eq!(answer(&app, get("/live", &ines)).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_body_that_never_arrives_is_given_up_and_stores_nothing() {
    let app = app().await;
    let player = sign_in(&app, "pita").await;
    // Headers sent, then nothing: a client trickling its body to hold the connection.
    let (parts, _) = post("/teams/palau/messages", &player, "").into_parts();
    let never = futures_util::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
    let request = Request::from_parts(parts, Body::from_stream(never));
    let site = Site::loopback().with_body_timeout(std::time::Duration::from_millis(300));
    let (status, _, _) = tokio::time::timeout(std::time::Duration::from_secs(30), send_at(&app, site, request))
        .await
        .expect("answered once the body's time is up, not never");
    assert!(status.is_client_error(), "{status}");
    assert!(app.db.messages(app.live.exercise).await.unwrap().is_empty());
}
