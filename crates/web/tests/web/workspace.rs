//! A team's workspace through its pages: alerts and the queue, hunts, responses, answers,
//! hints, reports, cases, rules, searches and suppressions.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_team_hunts_in_its_own_events() {
    let app = app().await;
    app.live.tick(clock_now() + 30 * 60_000 / 60);
    let player = sign_in(&app, "pita").await;
    let (status, _, body) = send(
        &app,
        get("/teams/palau/hunt?q=log%3Adns+%7C+stats+count+by+host", &player),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("pt-dns01"), "Palau's resolver is in Palau's results");
    assert!(!body.contains("nt-dns01"), "no other team's host appears");
    let (_, _, body) = send(&app, get("/teams/palau/hunt?q=log%3Adns", &player)).await;
    assert!(body.contains("class=\"hist\""), "a plain search draws its histogram");
    assert!(
        body.contains("<details><summary>") && body.contains("query="),
        "each event opens to its fields"
    );
    assert!(
        body.contains("Fields in your events") && body.contains("query ("),
        "the team's own fields are listed"
    );
    let (_, _, body) = send(&app, get("/teams/palau/hunt?q=comandline%3A*ntds*", &player)).await;
    assert!(
        body.contains("did you mean `CommandLine`?") || body.contains("no event has a field `comandline`"),
        "{body}"
    );
    let (status, _, _) = send(&app, get("/teams/palau/hunt?q=log%3Adns&page=-1", &player)).await;
    assert_eq!(status, StatusCode::OK, "a strange page number is the first page");
    let (_, _, body) = send(
        &app,
        get("/teams/palau/hunt?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", &player),
    )
    .await;
    assert!(!body.contains("<script>"), "query text is escaped");
}

/// What a team's world has done so far, to compare two worlds: its events, its alerts and the
/// ground truth (steps, services, actions taken).
fn world_summary(app: &Arc<App<Sqlite>>, index: usize) -> (usize, usize, u64, Vec<serde_json::Value>) {
    let team = app.live.team(index);
    (team.store().len(), team.alerts().len(), team.reached(), team.truth())
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_restart_a_team_acts_before_its_world_is_rebuilt_and_the_action_lands_in_order() {
    let start = 1_780_000_000_000;
    let app = app_on(0, &ATOLL_RULES.0, &ATOLL_RULES.1, false, atoll_app::Wall::fixed(start)).await;
    // The server starts with play three hours in (60×: three real minutes): every world stands
    // at the start of play, to be rebuilt.
    let three_hours = 3 * 3_600_000;
    app.live.wall().advance(3 * 60_000);
    app.live.begin_rebuild();
    app.live.tick(app.live.wall_now());
    assert_eq!(
        app.live.team(0).reached(),
        0,
        "the tick leaves a world being rebuilt to the rebuild"
    );
    let player = sign_in(&app, "pita").await;
    let (_, _, page) = send(&app, get("/teams/palau", &player)).await;
    assert!(
        page.contains("is rebuilding the simulated networks from the record (0 of 5 ready)"),
        "pages say why they are behind: {page}"
    );
    // Palau acts before anything is rebuilt: the action is taken at the clock's time, and the
    // request does not rebuild the world to get there.
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/respond",
            &player,
            "action=isolate_host&target=pw-tel-web01&confirm=yes",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.live.team(0).reached(),
        0,
        "the request did not wait for the rebuild"
    );
    // The rebuild runs; Palau acts again meanwhile.
    let builder = app.clone();
    let rebuild = std::thread::spawn(move || builder.live.rebuild(2));
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/respond",
            &player,
            "action=disable_account&target=pw-tel-helpdesk&confirm=yes",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    rebuild.join().unwrap();
    assert_eq!(app.live.rebuilding(), (0, 5), "every world is rebuilt");
    // A second later, both actions have taken effect.
    app.live.wall().advance(1000);
    app.live.tick(app.live.wall_now());
    let stored = app.db.actions(app.live.exercise).await.unwrap();
    let taken: Vec<(&str, u64)> = stored.iter().map(|a| (a.action.as_str(), a.at)).collect();
    assert_eq!(taken, [("isolate_host", three_hours), ("disable_account", three_hours)]);
    let (_, _, page) = send(&app, get("/teams/palau", &player)).await;
    assert!(
        !page.contains("is rebuilding"),
        "the note goes once the worlds are rebuilt"
    );
    // The world is the one a server started later builds from the same record.
    let again = app_on(0, &ATOLL_RULES.0, &ATOLL_RULES.1, false, atoll_app::Wall::fixed(start)).await;
    again.live.wall().advance(3 * 60_000 + 1000);
    again.live.replay(&stored).unwrap();
    again.live.tick(again.live.wall_now());
    for index in 0..5 {
        let rebuilt = world_summary(&app, index);
        assert_eq!(rebuilt.2, three_hours + 60_000);
        assert!(rebuilt.0 > 10_000, "hours of telemetry: {}", rebuilt.0);
        assert_eq!(rebuilt, world_summary(&again, index), "team {index}");
    }
    let portal = world_summary(&app, 0)
        .3
        .into_iter()
        .find(|t| t["service"] == "pw-portal")
        .unwrap();
    assert!(
        portal["outages"].as_array().is_some_and(|o| o.len() == 1),
        "the portal went down with its host, once: {portal}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_acts_after_seeing_the_cost_and_the_action_survives_a_restart() {
    let app = app().await;
    let player = sign_in(&app, "pita").await;
    let (status, _, body) = send(
        &app,
        post(
            "/teams/palau/respond",
            &player,
            "action=isolate_host&target=pw-tel-web01",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("is cut off the network"),
        "the cost is stated before anything happens"
    );
    assert!(
        body.contains("Services that stop with it") && body.contains("Customer web portal"),
        "and the services that stop with the host: {body}"
    );
    assert!(
        app.db.actions(app.live.exercise).await.unwrap().is_empty(),
        "nothing is taken before confirming"
    );
    let (status, _, body) = send(
        &app,
        post(
            "/teams/palau/respond",
            &player,
            "action=isolate_host&target=no-such-host",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("has no host `no-such-host`"), "{body}");
    assert!(
        body.contains(r#"value="no-such-host""#) && body.contains(r#"<option value="isolate_host" selected>"#),
        "the refused form comes back filled in: {body}"
    );
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/respond",
            &player,
            "action=isolate_host&target=nr-tel-web01",
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "another team's host is not Palau's to isolate"
    );
    let (status, _, body) = send(
        &app,
        post("/teams/palau/respond", &player, "action=format_everything&target=x"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("is not a response action"), "{body}");
    let (status, headers, _) = send(
        &app,
        post(
            "/teams/palau/respond",
            &player,
            "action=isolate_host&target=pw-tel-web01&confirm=yes",
        ),
    )
    .await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/teams/palau/respond"))
    );
    let stored = app.db.actions(app.live.exercise).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (
            stored[0].team.as_str(),
            stored[0].action.as_str(),
            stored[0].username.as_str()
        ),
        ("palau", "isolate_host", "pita")
    );
    let (_, _, body) = send(&app, get("/teams/palau/respond", &player)).await;
    assert!(
        body.contains("Isolate host") && body.contains("pw-tel-web01") && body.contains("pita"),
        "the log shows it"
    );
    // Once the world has moved past the action (the clock ticks every second), the network
    // page shows the host as isolated, and only Palau's hosts.
    app.live.tick(clock_now() + 2_000);
    let (status, _, body) = send(&app, get("/teams/palau/network", &player)).await;
    assert_eq!(status, StatusCode::OK);
    let hosts = &body[body.find("<h2>Hosts</h2>").expect("a hosts section")..];
    let row = &hosts[hosts
        .find("<td class=\"mono\">PT-WEB01</td>")
        .expect("the web server is listed")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("isolated") && row.contains("pw-tel-web01"), "{row}");
    assert!(!body.contains("nr-tel-web01"), "no other team's host");
    assert!(
        body.contains("Available") && body.contains("%"),
        "services with their availability"
    );
    // Hour by hour: the portal on the isolated web server is down in the first hour of play.
    assert!(
        body.contains(r#"class="strip" role="img" aria-label="Down for part or all of: D1 08:30"#)
            && body.contains(r#"title="D1 08:30: 100% up""#),
        "{body}"
    );

    // A restarted server replays it into a fresh world.
    let clock = app.live.clock();
    let setup = Setup {
        seed: 1,
        date: atoll_sim::DEFAULT_DATE,
        end: SCENARIO.duration.value.as_secs() * 1000,
    };
    let again = Live::new(app.live.exercise, "Test".into(), &SCENARIO, &setup, clock, &RULES, &[]).unwrap();
    again.replay(&stored).unwrap();
    let without = Live::new(app.live.exercise, "Test".into(), &SCENARIO, &setup, clock, &RULES, &[]).unwrap();
    // An hour of play later, the replayed world is the one the action made, not the one without it.
    let later = clock_now() + 60_000;
    for live in [&app.live, &again, &without] {
        live.tick(later);
    }
    let palau = 0;
    assert_eq!(SCENARIO.player_teams().next().unwrap().id.name, "palau");
    let (acted, replayed, untouched) = (
        app.live.team(palau).truth(),
        again.team(palau).truth(),
        without.team(palau).truth(),
    );
    assert_eq!(replayed, acted);
    assert_ne!(replayed, untouched, "the isolation changed what the adversary could do");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_triages_its_alerts_and_only_its_own() {
    // Forty minutes of play (40 s at 60×): the web shell upload at D1 09:00 has raised an
    // alert in Palau.
    let app = app_with(40_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (_, _, page) = send(&app, get("/teams/palau", &player)).await;
    let found = page.find("aspnet_client").unwrap_or_else(|| {
        panic!(
            "the web shell alert is listed: {}",
            &page[page.find("alerts on").unwrap_or(0)..][..200]
        )
    });
    let (row, rule) = (
        input_value(&page, found, "row").to_owned(),
        input_value(&page, found, "rule").to_owned(),
    );
    let form = |state: &str, row: &str| format!("row={row}&rule={rule}&state={state}&note=web+shell+on+PT-WEB01");

    let (status, headers, _) = send(&app, post("/teams/palau/alerts", &player, &form("true_positive", &row))).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/teams/palau"))
    );
    let (_, _, page) = send(&app, get("/teams/palau", &player)).await;
    assert!(page.contains("1 true positive"), "counted");
    assert!(page.contains("By rule and host"), "alerts are grouped");
    assert!(
        page.contains("<option value=\"true_positive\" selected>") && page.contains("by pita"),
        "shown with who set it"
    );
    let stored = &app.db.triages(app.live.exercise, "palau").await.unwrap()[0];
    assert_eq!(stored.note, "web shell on PT-WEB01");
    assert!(
        stored.at.is_some_and(|t| t >= 30 * 60_000),
        "exercise time kept: {:?}",
        stored.at
    );

    // The verdict detects the web shell step: the team's score and the board say so, with why.
    let (status, _, page) = send(&app, get("/teams/palau/score", &player)).await;
    assert_eq!(status, StatusCode::OK);
    let line = &page[page
        .find("expectation-e-detect-webshell")
        .expect("the expectation is listed")..];
    let line = &line[..line.find("</tr>").unwrap()];
    assert!(line.contains("100 / 100") && line.contains("earned"), "{line}");
    assert!(
        line.contains("Detected: ") && line.contains("marked true positive by pita"),
        "{line}"
    );
    // Players see only what is settled: an open item would tell them what comes next.
    assert!(page.contains("not settled yet"), "the rest is counted");
    assert!(!page.contains("expectation-e-contain-before-staging") && !page.contains("has not happened yet"));
    let instructor = sign_in(&app, "ines").await;
    let (_, _, full) = send(&app, get("/teams/palau/score", &instructor)).await;
    assert!(
        full.contains("expectation-e-contain-before-staging"),
        "the white cell sees everything"
    );
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(
        board.contains("href=\"/teams/palau/score\">100 / "),
        "board shows Palau's score"
    );
    assert!(
        board.contains("<td>pita<form"),
        "the board shows who of Palau is signed in"
    );
    // Palau's row: how far the campaign got, what was detected and how fast, the service
    // that was up least.
    let palau_row = &board[board.find("href=\"/teams/palau\"").expect("Palau's row")..];
    let palau_row = &palau_row[..palau_row.find("</tr>").unwrap()];
    assert!(palau_row.contains(" steps ran; latest "), "{palau_row}");
    assert!(
        palau_row.contains("1 of ") && palau_row.contains(" detected; median "),
        "{palau_row}"
    );
    assert!(palau_row.contains("% "), "availability: {palau_row}");
    assert!(
        palau_row.contains(" · pita marked an alert"),
        "last activity: {palau_row}"
    );
    // The white cell's timeline of Palau: the web shell step ran and was detected, with the
    // time it took; steps still to come are listed with their plan.
    let (status, _, timeline) = send(&app, get("/teams/palau/timeline", &instructor)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        timeline.contains(">ran<") && timeline.contains(" after)"),
        "a detected step"
    );
    assert!(
        timeline.contains("to come") && timeline.contains("planned "),
        "steps to come"
    );
    assert!(
        timeline.contains("; expected about D1 "),
        "with when they would run if all goes as planned: {timeline}"
    );
    assert!(timeline.contains("Inject: "), "arrived injects are on it");
    let (_, _, nauru) = send(&app, get("/board", &instructor)).await;
    let nauru = &nauru[nauru.find("href=\"/teams/nauru\"").expect("Nauru's row")..];
    let nauru = &nauru[..nauru.find("</tr>").unwrap()];
    assert!(
        nauru.contains(">0 of ") && nauru.contains("nothing to detect yet") && nauru.contains("nothing yet<"),
        "Nauru's campaign has not begun: {nauru}"
    );

    let observer = sign_in(&app, "olga").await;
    assert_eq!(
        send(
            &app,
            post("/teams/palau/alerts", &observer, &form("false_positive", &row))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let other = sign_in(&app, "nora").await;
    assert_eq!(
        send(&app, post("/teams/palau/alerts", &other, &form("false_positive", &row)))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            &app,
            post("/teams/palau/alerts", &player, &form("false_positive", "999999999"))
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&app, post("/teams/palau/alerts", &player, &form("maybe", &row)))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.db.triages(app.live.exercise, "palau").await.unwrap().len(),
        1,
        "refused verdicts change nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_answers_opens_a_hint_and_reports_and_the_white_cell_grades() {
    // Three hours of play (D1 11:30): the partner advisory with its question, the web shell
    // (about D1 09:10) and the question on declaring an incident (D1 11:00) are all in.
    let app = app_started(180_000).await;
    let worker = app.clone();
    tokio::task::spawn_blocking(move || worker.live.tick(clock_now()))
        .await
        .unwrap();
    let player = sign_in(&app, "pita").await;
    let instructor = sign_in(&app, "ines").await;
    let observer = sign_in(&app, "olga").await;

    let (status, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Which of your log sources would show activity through a web shell",
        "At what point do you declare an incident",
        "Send answer (final)",
    ] {
        assert!(page.contains(text), "{text:?} missing: {page}");
    }
    assert!(
        !page.contains("firmware image you installed"),
        "the D2 question is not asked yet"
    );

    // A choice question sent without a choice: refused by field, nothing stored.
    let (status, _, page) = send(
        &app,
        post("/teams/palau/questions", &player, "question=q-telemetry-sources"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("choice: choose an option"), "{page}");
    assert!(app.db.submissions(app.live.exercise, None).await.unwrap().is_empty());

    // Both right options: graded at once, and final.
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/questions",
            &player,
            "question=q-telemetry-sources&choice=iis&choice=process",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(page.contains("1 of 1</strong> — Right: The web server"), "{page}");
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/questions",
            &player,
            "question=q-telemetry-sources&choice=iis",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("your team has already answered this question"), "{page}");

    // A written answer waits for the white cell.
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/questions",
            &player,
            "question=q-declare-incident&text=Now%3A+the+web+shell+is+evidence.+The+CISO+declares%3B+we+tell+the+CERT.",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let written = newest_submission(&app, "palau").await;
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(page.contains("The white cell has not graded it yet."), "{page}");

    // The web shell's hint is no longer sold: the two hours to detect it have passed.
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(!page.contains("Opening it costs 20 points"), "{page}");
    // The indicators question's hint (the scenario's third) costs 10 points.
    assert!(page.contains("Opening it costs 10 points"), "{page}");
    let (status, _, _) = send(&app, post("/teams/palau/hints", &player, "hint=3")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(
        page.contains("look at the client address that sent them") && page.contains("opened by pita"),
        "{page}"
    );
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(
        score.contains("less 10 for hints") && score.contains("Hint 3") && !score.contains("h-indicators"),
        "{score}"
    );

    // A report without a title comes back as it was written, saying what is missing.
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/reports",
            &player,
            "title=&to=national_cert&tlp=TLP%3AAMBER&what=Web+shell+on+PT-WEB01",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("title: give the report a title"), "{page}");
    assert!(
        page.contains("Web shell on PT-WEB01</textarea>"),
        "nothing typed is lost: {page}"
    );
    let (status, _, _) = send(
        &app,
        post(
            "/teams/palau/reports",
            &player,
            "title=Web+shell+on+the+portal&to=national_cert&tlp=TLP%3AGREEN&what=Web+shell+on+PT-WEB01&indicators=203.0.113.45",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let report = newest_submission(&app, "palau").await;

    // The white cell's queue holds both, with the rubric and the report expectation.
    let (_, _, queue) = send(&app, get("/grading", &instructor)).await;
    assert!(queue.contains("Waiting (2)"), "{queue}");
    assert!(queue.contains("Names who declares and who is notified"), "{queue}");
    // The rubric (4 + 4 + 2) says how it scales to the expectation's 50 points.
    assert!(
        queue.contains("The rubric's 10 points scale to the 50 points of «Decide when to declare the incident»: each rubric point is worth 5.0."),
        "{queue}"
    );
    assert!(
        queue.contains("Report the incident to the national CERT within four hours"),
        "{queue}"
    );
    assert!(
        !queue.contains("log sources would show"),
        "choices are graded automatically: {queue}"
    );
    // Observers read it but get no forms.
    let (_, _, seen) = send(&app, get("/grading", &observer)).await;
    assert!(
        seen.contains("Waiting (2)") && !seen.contains("action=\"/grading/"),
        "{seen}"
    );

    // Points above a criterion's maximum are refused, and nothing is stored.
    let (status, _, page) = send(
        &app,
        post(
            &format!("/grading/{written}"),
            &instructor,
            "points.evidence=9&points.authority=4&points.timing=2",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("points.evidence: give whole points from 0 to 4"),
        "{page}"
    );
    let (status, _, _) = send(
        &app,
        post(
            &format!("/grading/{written}"),
            &instructor,
            "points.evidence=4&points.authority=4&points.timing=2&comment=Clear+and+timely.",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = send(
        &app,
        post(
            &format!("/grading/{report}"),
            &instructor,
            "points.e-report-incident=70&comment=Add+the+affected+accounts.",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, queue) = send(&app, get("/grading", &instructor)).await;
    assert!(queue.contains("Waiting (0)") && queue.contains("Graded (2)"), "{queue}");

    // The team reads its grades and comments, and its score changes with them.
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(
        page.contains("10 of 10") && page.contains("Comment: Clear and timely."),
        "{page}"
    );
    let (_, _, page) = send(&app, get("/teams/palau/reports", &player)).await;
    assert!(
        page.contains("70 points") && page.contains("Comment: Add the affected accounts."),
        "{page}"
    );
    assert!(
        !page.contains("within four hours of the database copy"),
        "players are not told the report expectations, which name later steps: {page}"
    );
    let (_, _, staff_view) = send(&app, get("/teams/palau/reports", &instructor)).await;
    assert!(staff_view.contains("70 of 100 points"), "{staff_view}");
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    for id in ["expectation-e-answer-declare", "expectation-e-report-incident"] {
        let at = score
            .find(id)
            .unwrap_or_else(|| panic!("{id} settled and shown: {score}"));
        assert!(score[at..].contains("earned"), "{id}: {score}");
    }
    assert!(score.contains("50 / 50") && score.contains("70 / 100"), "{score}");
    // The board shows the team's last act.
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(board.contains("pita sent a report"), "{board}");
    // Once play has ended, nothing more is handed in.
    let (status, _, _) = send(&app, post("/clock", &instructor, "action=end&confirm=yes")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/questions",
            &player,
            "question=q-authorise-isolation&text=The+CEO",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("Play ended at D1 "), "{page}");
    assert!(
        page.contains("What you sent (not stored)") && page.contains("<blockquote class=\"sent\">The CEO</blockquote>"),
        "nothing typed is lost: {page}"
    );
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/reports",
            &player,
            "title=Late&to=national_cert&tlp=TLP%3AAMBER&what=w",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("Play ended at D1 ") && page.contains("<blockquote class=\"sent\">Late</blockquote>"),
        "{page}"
    );
    // Another team sees none of it.
    let nora = sign_in(&app, "nora").await;
    let (status, _, _) = send(&app, get("/teams/palau/reports", &nora)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, theirs) = send(&app, get("/teams/nauru/questions", &nora)).await;
    assert!(
        !theirs.contains("opened by pita") && !theirs.contains("10 of 10"),
        "{theirs}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_builds_a_case_from_its_alerts() {
    // Forty minutes of play with atoll's rules: the web shell upload has raised an alert.
    let app = app_with(40_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (status, headers, _) = send(
        &app,
        post("/teams/palau/cases", &player, "title=Web+shell+on+the+portal"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let case = header(&headers, "location").unwrap().to_owned();
    assert!(case.starts_with("/teams/palau/cases/"), "{case}");
    let (status, _, page) = send(&app, get(&case, &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Status: <strong>Open</strong>"), "{page}");
    // The alert on offer, and linking it.
    let at = page.find("name=\"alert\"").expect("alerts to link");
    let value_at = at + page[at..].find("value=\"").unwrap() + 7;
    let value = &page[value_at..value_at + page[value_at..].find('"').unwrap()];
    let form = format!("kind=alert&alert={}", value.replace(':', "%3A").replace(' ', "+"));
    let (status, _, _) = send(&app, post(&case, &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    for form in [
        "kind=note&note=iisstart.aspx+was+written+by+w3wp.exe",
        "kind=indicator&indicator_kind=ipv4&indicator=203.0.113[.]45",
        "kind=status&status=contained",
    ] {
        let (status, _, page) = send(&app, post(&case, &player, form)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{form}: {page}");
    }
    // Bad entries are refused by field, and nothing is stored.
    for (form, message) in [
        (
            "kind=indicator&indicator_kind=ipv4&indicator=not-an-address",
            "indicator: `not-an-address` is not an IPv4 address",
        ),
        ("kind=status&status=solved", "status: `solved` is not a case status"),
        ("kind=alert&alert=999999%3Anope", "alert: no such alert of your team"),
        ("kind=note&note=+", "note: write a note"),
    ] {
        let (status, _, page) = send(&app, post(&case, &player, form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(page.contains(message), "{message:?} missing: {page}");
    }
    let (_, _, page) = send(&app, get(&case, &player)).await;
    assert!(page.contains("Status: <strong>Contained</strong>"), "{page}");
    let timeline = &page[page.find("<ol class=\"timeline\">").unwrap()..];
    let order: Vec<usize> = [
        "linked alert",
        "iisstart.aspx was written",
        "203.0.113[.]45",
        "status set to",
    ]
    .iter()
    .map(|t| timeline.find(t).unwrap_or_else(|| panic!("{t:?} missing: {timeline}")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "in the order added: {order:?}");
    assert!(timeline.contains("The event that raised it"), "{timeline}");
    assert_eq!(
        timeline.matches("<li ").count(),
        4,
        "the refused entries left nothing: {timeline}"
    );
    let (_, _, list) = send(&app, get("/teams/palau/cases", &player)).await;
    assert!(
        list.contains("Web shell on the portal") && list.contains("Contained"),
        "{list}"
    );
    // Nauru cannot read it, even through its own path.
    let nora = sign_in(&app, "nora").await;
    let id = case.rsplit('/').next().unwrap();
    let (status, _, _) = send(&app, get(&format!("/teams/nauru/cases/{id}"), &nora)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(&app, get(&case, &nora)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_tests_a_rule_turns_it_on_and_its_alerts_come_back_after_a_restart() {
    // Half an hour of play (60×) so far: sign-ins to test against.
    let app = app_started(30_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;

    let (status, _, body) = send(&app, get("/teams/palau/rules", &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Scheduled task created") && body.contains("No rule turned on yet"),
        "{body}"
    );

    // A broken rule: where and what, the text kept, nothing stored.
    let broken =
        "title: Broken\nlogsource: {product: windows}\ndetection: {selection: {EventID: 4624}, condition: selecton}\n";
    let (status, _, body) = send(&app, post("/teams/palau/rules", &player, &rule_form(broken, "on"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("line ") && body.contains("selecton"), "{body}");
    assert!(
        body.contains("condition: selecton}"),
        "the rule comes back as written: {body}"
    );
    assert!(app.db.team_rules(app.live.exercise, None).await.unwrap().is_empty());

    // A test counts the matches among the team's events, by host, with the newest events.
    let (status, _, body) = send(
        &app,
        post("/teams/palau/rules", &player, &rule_form(SIGN_IN_RULE, "test")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let matched: u64 = body
        .split(r#"<strong id="matched">"#)
        .nth(1)
        .and_then(|t| t.split('<').next())
        .and_then(|n| n.parse().ok())
        .expect("a count of matching events");
    let expected = {
        let runtime = app.live.team(0);
        let set = rule_set(SIGN_IN_RULE);
        let mut line = String::new();
        (0..runtime.store().len() as u32)
            .filter(|&row| {
                line.clear();
                runtime.store().write_json(row, &mut line);
                !set.matches(&atoll_sigma::Event::from_json(&line).unwrap()).is_empty()
            })
            .count() as u64
    };
    assert!(expected > 0, "sign-ins in the first half hour");
    assert_eq!(matched, expected);
    assert!(
        body.contains("Newest matching events") && body.contains("EventID=4624"),
        "{body}"
    );
    assert!(
        app.db.team_rules(app.live.exercise, None).await.unwrap().is_empty(),
        "testing stores nothing"
    );
    // The ground truth is the white cell's while play lasts: it would tell players which
    // events are the attack.
    assert!(!body.contains("Against what really happened"), "{body}");
    let instructor = sign_in(&app, "ines").await;
    let (_, _, judged) = send(
        &app,
        post("/teams/palau/rules", &instructor, &rule_form(SIGN_IN_RULE, "test")),
    )
    .await;
    let truth = &judged[judged
        .find("<p id=\"truth\">")
        .expect("the ground truth for the white cell")..];
    let numbers: Vec<u64> = truth
        .split("<strong>")
        .skip(1)
        .take(2)
        .map(|t| t.split('<').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        numbers[0] + numbers[1],
        matched,
        "attack and benign make up the matches: {truth}"
    );
    assert!(numbers[1] > 0, "sign-ins are mostly people at work: {truth}");

    // Turned on: stored, and from then on it raises alerts on new events, with its author.
    let (status, headers, _) = send(
        &app,
        post("/teams/palau/rules", &player, &rule_form(SIGN_IN_RULE, "on")),
    )
    .await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/teams/palau/rules#rule-1"))
    );
    let stored = app.db.team_rules(app.live.exercise, None).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].title.as_str(), stored[0].username.as_str()),
        ("Successful sign-in", "pita")
    );
    let from = stored[0].at;
    assert!(
        app.live.team(0).alerts().iter().all(|a| a.team_rule().is_none()),
        "nothing before it was turned on"
    );
    let later = clock_now() + 60_000;
    app.live.tick(later);
    let raised: Vec<(u64, u32)> = app
        .live
        .team(0)
        .alerts()
        .iter()
        .filter(|a| a.team_rule() == Some(1))
        .map(|a| (a.at, a.row))
        .collect();
    assert!(!raised.is_empty(), "an hour of play brings sign-ins");
    assert!(raised.iter().all(|&(at, _)| at >= from), "{raised:?} from {from}");
    assert!(
        app.live.team(1).alerts().iter().all(|a| a.team_rule().is_none()),
        "Nauru's world has none of Palau's rules"
    );
    let (_, _, alerts) = send(&app, get("/teams/palau", &player)).await;
    assert!(
        alerts.contains("Successful sign-in") && alerts.contains("Palau SOC"),
        "{alerts}"
    );
    let (_, _, body) = send(&app, get("/teams/palau/rules", &player)).await;
    assert!(
        body.contains("Turn off") && body.contains(&format!(">{}</td>", raised.len())),
        "{body}"
    );

    // A restarted server turns it on again from the same time: the same alerts.
    let setup = Setup {
        seed: 1,
        date: atoll_sim::DEFAULT_DATE,
        end: SCENARIO.duration.value.as_secs() * 1000,
    };
    let again = Live::new(
        app.live.exercise,
        "Test".into(),
        &SCENARIO,
        &setup,
        app.live.clock(),
        &RULES,
        &[],
    )
    .unwrap();
    assert_eq!(again.replay_rules(&stored), Vec::<String>::new());
    again.tick(later);
    let replayed: Vec<(u64, u32)> = again
        .team(0)
        .alerts()
        .iter()
        .filter(|a| a.team_rule() == Some(1))
        .map(|a| (a.at, a.row))
        .collect();
    assert_eq!(replayed, raised);

    // Turned off: no alert after that.
    let (status, _, _) = send(&app, post("/teams/palau/rules/1/off", &player, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let off = app.db.team_rules(app.live.exercise, None).await.unwrap()[0]
        .off
        .clone()
        .unwrap();
    app.live.tick(later + 60_000);
    assert!(
        app.live
            .team(0)
            .alerts()
            .iter()
            .filter(|a| a.team_rule() == Some(1))
            .all(|a| a.at < off.0),
        "none after {off:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_that_cannot_be_read_again_after_a_restart_says_so_on_the_rules_page() {
    let app = app().await;
    let pita = app.db.user_by_name("pita").await.unwrap().unwrap().0.id;
    // As if written by an older atoll that read what this one refuses.
    let id = app
        .db
        .add_team_rule(
            app.live.exercise,
            "palau",
            "Old rule",
            "title: Old rule\nlogsource: {}\n",
            pita,
            0,
            0,
            atoll_store::AtMost::NONE,
        )
        .await
        .unwrap();
    let problems = app
        .live
        .replay_rules(&app.db.team_rules(app.live.exercise, None).await.unwrap());
    assert_eq!(
        problems,
        Vec::<String>::new(),
        "given to Palau's world, to compile when it gets there"
    );
    assert_eq!(app.live.rule_problem(id), None);
    app.live.tick(clock_now());
    let problem = app.live.rule_problem(id).expect("found out when the world reached it");
    assert!(problem.contains("detection"), "{problem}");
    let cookie = sign_in(&app, "pita").await;
    let (_, _, page) = send(&app, get("/teams/palau/rules", &cookie)).await;
    let row = &page[page.find(&format!("id=\"rule-{id}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("not running") && row.contains("Turn off"), "{row}");
    // Turned off, it is listed as off.
    let (status, _, _) = send(&app, post(&format!("/teams/palau/rules/{id}/off"), &cookie, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&app, get("/teams/palau/rules", &cookie)).await;
    let row = &page[page.find(&format!("id=\"rule-{id}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("off since") && !row.contains("not running"), "{row}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_saves_a_search_and_runs_it_again_in_one_click() {
    let app = app_started(10_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let observer = sign_in(&app, "olga").await;
    let (_, _, body) = send(&app, get("/teams/palau/hunt?q=log%3Adns", &player)).await;
    assert!(
        body.contains("Save this search as"),
        "offered once a search ran: {body}"
    );
    let (_, _, body) = send(&app, get("/teams/palau/hunt?q=log%3Adns", &observer)).await;
    assert!(!body.contains("Save this search as"), "observers do not save");

    // No name, or a query that does not parse: refused by field, what was typed kept.
    let (status, _, body) = send(&app, post("/teams/palau/searches", &player, "q=log%3Adns&name=")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("name: give the search a name") && body.contains("log:dns"),
        "{body}"
    );
    let (status, _, body) = send(
        &app,
        post("/teams/palau/searches", &player, "q=%28log%3Adns&name=broken"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("q: ") && body.contains(r#"value="broken""#), "{body}");
    assert!(
        app.db
            .saved_searches(app.live.exercise, "palau")
            .await
            .unwrap()
            .is_empty()
    );

    let (status, headers, _) = send(
        &app,
        post("/teams/palau/searches", &player, "q=log%3Adns&name=DNS+lookups"),
    )
    .await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/teams/palau/hunt?q=log%3Adns"))
    );
    let (_, _, body) = send(&app, get("/teams/palau/hunt", &player)).await;
    assert!(
        body.contains(r#"<a href="/teams/palau/hunt?q=log%3Adns" title="log:dns">DNS lookups</a>"#),
        "{body}"
    );
    // Nauru's hunt page does not list it.
    let nora = sign_in(&app, "nora").await;
    let (_, _, body) = send(&app, get("/teams/nauru/hunt", &nora)).await;
    assert!(!body.contains("DNS lookups"), "{body}");
    // Deleted by the team, it is gone.
    let id = app.db.saved_searches(app.live.exercise, "palau").await.unwrap()[0].id;
    let (status, _, _) = send(&app, post(&format!("/teams/palau/searches/{id}/delete"), &player, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, body) = send(&app, get("/teams/palau/hunt", &player)).await;
    assert!(!body.contains("DNS lookups"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_links_an_event_it_found_by_hunting_to_a_case() {
    let app = app_started(10_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (_, _, hunt) = send(&app, get("/teams/palau/hunt?q=log%3Adns", &player)).await;
    assert!(!hunt.contains("/cases/event"), "no open case, nothing to link to");
    let (status, _, _) = send(&app, post("/teams/palau/cases", &player, "title=DNS+oddities")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, hunt) = send(&app, get("/teams/palau/hunt?q=log%3Adns", &player)).await;
    assert!(
        hunt.contains(r#"action="/teams/palau/cases/event""#)
            && hunt.contains(r#"<option value="1">DNS oddities</option>"#),
        "{hunt}"
    );
    let row: u32 = hunt
        .split(r#"name="event" value=""#)
        .nth(1)
        .and_then(|t| t.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("an event row to link");

    // A row the team does not have is refused by field; nothing is stored.
    let (status, _, body) = send(&app, post("/teams/palau/cases/event", &player, "case=1&event=99999999")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("event: no such event of your team"), "{body}");
    // Another team cannot add to Palau's case.
    let nora = sign_in(&app, "nora").await;
    let (status, _, _) = send(
        &app,
        post("/teams/nauru/cases/event", &nora, &format!("case=1&event={row}")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, headers, _) = send(
        &app,
        post("/teams/palau/cases/event", &player, &format!("case=1&event={row}")),
    )
    .await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/teams/palau/cases/1"))
    );
    let (_, _, case) = send(&app, get("/teams/palau/cases/1", &player)).await;
    let mut expected = String::new();
    app.live.team(0).store().write_json(row, &mut expected);
    let event: serde_json::Value = serde_json::from_str(&expected).unwrap();
    assert!(
        case.contains("linked event") && case.contains(&format!("host: {}", event["host"].as_str().unwrap())),
        "{case}"
    );
    assert!(case.contains("log: dns"), "the event's fields: {case}");
    let (_, _, list) = send(&app, get("/teams/palau/cases", &player)).await;
    assert!(list.contains("<th>Events</th>"), "{list}");
    let entries = app
        .db
        .case(app.live.exercise, "palau", 1, atoll_store::Page::after(None, u32::MAX))
        .await
        .unwrap()
        .1;
    assert_eq!(
        entries
            .iter()
            .map(|e| (e.kind.as_str(), e.body.clone()))
            .collect::<Vec<_>>(),
        [("event", row.to_string())]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_alert_queue_pages_filters_groups_opens_and_marks_in_bulk() {
    // Four hours of play with the default pack: Palau's queue is longer than a page.
    let app = app_with_pack(240_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (status, _, first) = send(&app, get("/teams/palau", &player)).await;
    assert_eq!(status, StatusCode::OK);
    let total = matching(&first);
    assert!(total > 50, "more than a page: {total}");

    // Every page, newest first: each alert once, and all of them.
    let mut seen = listed(&first);
    let mut next = next_page(&first);
    while let Some(path) = next {
        let (status, _, page) = send(&app, get(&path, &player)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        seen.extend(listed(&page));
        next = next_page(&page);
    }
    assert_eq!(seen.len(), total);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats");

    // The web shell's alert, found with the words filter, opens to its event and rule.
    let (_, _, found) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    let shell = listed(&found);
    assert!(!shell.is_empty() && matching(&found) == shell.len(), "{found}");
    let (status, _, alert) = send(&app, get(&format!("/teams/palau/alerts/{}", shell[0]), &player)).await;
    assert_eq!(status, StatusCode::OK);
    for part in [
        "Script Page Uploaded Or Run Under IIS aspnet_client Folder",
        "<th scope=\"row\">cs-uri-stem ◆</th>",
        "/aspnet_client/",
        "<th scope=\"row\">c-ip</th>",
        "(UTC)",
        "The rule as written (atoll)",
        "This host ±5 minutes",
        "Everything on host PT-WEB01",
    ] {
        assert!(alert.contains(part), "{part} on the alert's page");
    }

    // Filters that make no sense are refused by field, with the form kept.
    for (query, message) in [
        (
            "level=severe",
            "level: choose one of informational, low, medium, high, critical.",
        ),
        ("from=tomorrow", "from: `tomorrow` is not an exercise time"),
        (
            "from=D1+10%3A00&to=D1+09%3A00",
            "to: the end of the range must come after its start.",
        ),
        ("sort=random", "sort: choose newest, oldest or level."),
    ] {
        let (status, _, page) = send(&app, get(&format!("/teams/palau?{query}"), &player)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(page.contains(message), "{query}: {message}");
    }
    // A time range keeps what falls inside it.
    let (_, _, early) = send(
        &app,
        get("/teams/palau?from=D1+08%3A30&to=D1+09%3A30&sort=oldest", &player),
    )
    .await;
    let (_, _, late) = send(&app, get("/teams/palau?from=D1+09%3A30&sort=oldest", &player)).await;
    assert_eq!(matching(&early) + matching(&late), total);

    // The grouped view, and one verdict for the web shell's group.
    let (_, _, groups) = send(&app, get("/teams/palau?view=groups", &player)).await;
    assert!(groups.contains("Verdict for the group"), "group rows carry a bulk form");
    assert!(groups.contains("Script Page Uploaded Or Run Under IIS aspnet_client Folder"));
    let title = "Script+Page+Uploaded+Or+Run+Under+IIS+aspnet_client+Folder";
    // Refused: no verdict, or a filter that selects nothing; nothing is stored.
    for form in [
        format!("rule={title}&host=PT-WEB01&verdict=maybe"),
        format!("rule={title}&host=NO-SUCH-HOST&verdict=true_positive"),
    ] {
        let (status, _, _) = send(&app, post("/teams/palau/alerts/bulk", &player, &form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
    }
    // Refused too: the whole queue unfiltered; a group that changed since the page showed it;
    // and nothing but the alerts the page was drawn with (`upto`).
    for (form, message) in [
        (
            "verdict=false_positive&state=any".to_owned(),
            "filter: a verdict for many alerts needs a filter or a group",
        ),
        (
            format!("rule={title}&host=PT-WEB01&verdict=true_positive&expect=999"),
            "not the 999 the page showed",
        ),
        (
            format!("rule={title}&host=PT-WEB01&verdict=true_positive&upto=0"),
            "filter: no alert matches it",
        ),
    ] {
        let (status, _, page) = send(&app, post("/teams/palau/alerts/bulk", &player, &form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(page.contains(message), "{form}: {message}");
    }
    assert!(app.db.triages(app.live.exercise, "palau").await.unwrap().is_empty());
    let observer = sign_in(&app, "olga").await;
    let form = format!("rule={title}&host=PT-WEB01&verdict=true_positive&note=web+shell");
    assert_eq!(
        send(&app, post("/teams/palau/alerts/bulk", &observer, &form)).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, headers, _) = send(&app, post("/teams/palau/alerts/bulk", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = header(&headers, "location").unwrap().to_owned();
    let marked = app.db.triages(app.live.exercise, "palau").await.unwrap();
    assert_eq!(marked.len(), shell.len(), "one verdict per alert of the group");
    assert!(
        marked
            .iter()
            .all(|t| t.state == "true_positive" && t.note == "web shell")
    );
    assert!(back.contains(&format!("marked={}", shell.len())), "{back}");
    let (_, _, page) = send(&app, get(&back, &player)).await;
    assert!(
        page.contains(&format!("{} alerts marked true positive.", shell.len())),
        "{back}"
    );
    let (_, _, open) = send(&app, get("/teams/palau?state=open", &player)).await;
    assert_eq!(matching(&open), total - shell.len());
    // Scoring reads the verdicts given in bulk (hours after the upload, too late for its
    // points: the expectation's `within: 2h`).
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    let line = &score[score.find("expectation-e-detect-webshell").expect("listed")..];
    let line = &line[..line.find("</tr>").unwrap()];
    assert!(
        line.contains("aspnet_client Folder» on PT-WEB01 was marked true positive by pita"),
        "{line}"
    );

    // An alert is added to a case from its page.
    let (_, headers, _) = send(&app, post("/teams/palau/cases", &player, "title=Portal")).await;
    let case = header(&headers, "location").unwrap().to_owned();
    // The case page offers the alerts judged true positive first.
    let (_, _, case_page) = send(&app, get(&case, &player)).await;
    let offered = &case_page[case_page.find("<select id=\"alert\"").expect("alerts offered")..];
    let first = &offered[offered.find("<option").unwrap()..offered.find("</option>").unwrap()];
    assert!(first.contains("aspnet_client"), "{first}");
    let (_, _, alert) = send(&app, get(&format!("/teams/palau/alerts/{}", shell[0]), &player)).await;
    let value = input_value(&alert, alert.find("name=\"alert\"").unwrap() - 40, "alert").to_owned();
    let form = format!(
        "case={}&alert={}",
        case.rsplit('/').next().unwrap(),
        value.replace(':', "%3A").replace(' ', "+")
    );
    let (status, _, _) = send(&app, post("/teams/palau/cases/event", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, case_page) = send(&app, get(&case, &player)).await;
    assert!(case_page.contains("linked alert"), "{case_page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_suppresses_alerts_and_pays_for_hiding_the_attack() {
    // Forty minutes of play with the default pack: the web shell's upload has raised an alert.
    let app = app_with_pack(40_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (status, _, page) = send(&app, get("/teams/palau/suppressions", &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Script Page Uploaded Or Run Under IIS aspnet_client Folder"),
        "the rule is offered"
    );
    let (_, _, before) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    let shell = listed(&before);
    assert!(!shell.is_empty());
    let rule = "rule=Script+Page+Uploaded+Or+Run+Under+IIS+aspnet_client+Folder";

    // Refused by field, and nothing stored.
    for (form, message) in [
        (format!("{rule}&host=PT-WEB01&reason="), "reason: say why"),
        (
            "rule=No+such+rule&reason=noise".to_owned(),
            "rule: choose a rule your team has alerts from.",
        ),
        (
            format!("{rule}&field=Image&reason=noise"),
            "value: give the value of Image",
        ),
        (format!("{rule}&value=x&reason=noise"), "field: name the field"),
    ] {
        let (status, _, page) = send(&app, post("/teams/palau/suppressions", &player, &form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(page.contains(message), "{form}: {message}");
    }
    let observer = sign_in(&app, "olga").await;
    let form = format!("{rule}&host=PT-WEB01&reason=the+portal%27s+own+uploads");
    assert_eq!(
        send(&app, post("/teams/palau/suppressions", &observer, &form)).await.0,
        StatusCode::FORBIDDEN
    );
    let nora = sign_in(&app, "nora").await;
    assert_eq!(
        send(&app, post("/teams/palau/suppressions", &nora, &form)).await.0,
        StatusCode::FORBIDDEN
    );
    assert!(app.db.suppressions(app.live.exercise, None).await.unwrap().is_empty());

    // The web shell's alerts leave the queue, are counted as suppressed, and cost points.
    let (status, headers, _) = send(&app, post("/teams/palau/suppressions", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(header(&headers, "location").unwrap().contains("#suppression-"));
    let (_, _, after) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    assert_eq!(matching(&after), 0, "out of the queue");
    let (_, _, hidden) = send(&app, get("/teams/palau?state=suppressed", &player)).await;
    assert_eq!(listed(&hidden), shell, "shown on request, never deleted");
    assert!(hidden.contains(&format!("{} suppressed", shell.len())));
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    let tuning = &score[score.find("<h2>Tuning</h2>").expect("a tuning line")..];
    assert!(
        tuning.contains("−50") && tuning.contains("raised by campaign step «Web shell on the customer portal»"),
        "{tuning}"
    );

    // Ended, it brings them back and costs nothing.
    let id = app.db.suppressions(app.live.exercise, Some("palau")).await.unwrap()[0].id;
    assert_eq!(
        send(
            &app,
            post(&format!("/teams/palau/suppressions/{id}/end"), &observer, "")
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (status, _, _) = send(&app, post(&format!("/teams/palau/suppressions/{id}/end"), &player, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = send(&app, post(&format!("/teams/palau/suppressions/{id}/end"), &player, "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "ended once");
    let (_, _, back) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    assert_eq!(listed(&back), shell);
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(!score.contains("<h2>Tuning</h2>"));
    let (_, _, list) = send(&app, get("/teams/palau/suppressions", &player)).await;
    assert!(list.contains("ended by pita"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_verdicts_and_suppressions_that_reach_too_far_are_refused() {
    static FLOWS: LazyLock<RuleSet> = LazyLock::new(|| rule_set(EVERY_FLOW_RULE));
    // Three quarters of an hour of play (60×): more than 10,000 flow alerts for Palau, from
    // one rule.
    let app = app_with(45_000, &FLOWS, &[]).await;
    app.live.tick(clock_now());
    let alerts = app.live.team(0).alerts().len();
    assert!(alerts > 10_000, "{alerts} alerts");
    let player = sign_in(&app, "pita").await;
    let (status, _, page) = send(
        &app,
        post("/teams/palau/alerts/bulk", &player, "level=low&verdict=false_positive"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(&format!(
            "filter: {alerts} alerts match; one verdict covers at most 10000"
        )),
        "the count is given"
    );
    // The queue offers no bulk form for so many.
    let (_, _, queue) = send(&app, get("/teams/palau?level=low", &player)).await;
    assert!(!queue.contains("/alerts/bulk") && queue.contains("Narrow the filter to 10000"));
    // A suppression of the one rule with nothing to narrow it would empty the queue.
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/suppressions",
            &player,
            "rule=Every+TCP+flow&reason=too+many",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("host: this would hide every alert your team has"),
        "refused"
    );
    assert!(app.db.triages(app.live.exercise, "palau").await.unwrap().is_empty());
    assert!(app.db.suppressions(app.live.exercise, None).await.unwrap().is_empty());
    // Narrowed to one host, it is taken.
    let host = app.live.team(0).alerts()[0].host.clone().unwrap();
    let form = format!("rule=Every+TCP+flow&host={host}&reason=the+proxy%27s+own+traffic");
    let (status, _, _) = send(&app, post("/teams/palau/suppressions", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_process_seen_by_sysmon_and_by_security_auditing_is_one_detection() {
    // Two and a half hours of play with the default pack: Palau's hosts log process starts
    // to Sysmon and to Security auditing both.
    let app = app_with_pack(150_000).await;
    app.live.tick(clock_now());
    let palau = (0..5).find(|&i| app.live.team_id(i) == "palau").unwrap();
    let (first, second, rows, key, title, host) = {
        let runtime = app.live.team(palau);
        let twins = runtime.twins();
        let first = (0..twins.len())
            .find(|&i| twins[i].is_some_and(|t| t as usize > i))
            .expect("a process seen twice");
        let second = twins[first].unwrap() as usize;
        let (a, b) = (&runtime.alerts()[first], &runtime.alerts()[second]);
        assert_eq!((&a.title, &a.host), (&b.title, &b.host));
        (
            first,
            second,
            (a.row, b.row),
            a.rule_id.clone().unwrap(),
            a.title.clone(),
            a.host.clone().unwrap(),
        )
    };
    let player = sign_in(&app, "pita").await;
    // The queue lists the first sighting only.
    let filter = serde_urlencoded::to_string([("rule", title.as_str()), ("host", host.as_str())]).unwrap();
    let mut listed_here = Vec::new();
    let mut next = Some(format!("/teams/palau?{filter}"));
    while let Some(path) = next {
        let (_, _, page) = send(&app, get(&path, &player)).await;
        listed_here.extend(listed(&page));
        next = next_page(&page);
    }
    assert!(listed_here.contains(&first), "{first} listed");
    assert!(
        !listed_here.contains(&second),
        "{second} not listed on a row of its own"
    );
    // The second opens the first's page, which shows both events.
    let (status, headers, _) = send(&app, get(&format!("/teams/palau/alerts/{second}"), &player)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        header(&headers, "location"),
        Some(format!("/teams/palau/alerts/{first}").as_str())
    );
    let (_, _, page) = send(&app, get(&format!("/teams/palau/alerts/{first}"), &player)).await;
    for part in [
        "One process start, seen twice: by Sysmon (event 1) and by Security auditing (event 4688).",
        "The same process in the other log",
        "<th scope=\"row\">Image",
        "<th scope=\"row\">NewProcessName",
    ] {
        assert!(page.contains(part), "{part} on the page");
    }
    // A verdict on either is a verdict on both.
    let form = format!("row={}&rule={key}&state=false_positive&note=admin", rows.1);
    let (status, _, _) = send(&app, post("/teams/palau/alerts", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mut marked: Vec<(u32, String)> = app
        .db
        .triages(app.live.exercise, "palau")
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.row, t.state))
        .collect();
    marked.sort();
    let mut expected = vec![
        (rows.0, "false_positive".to_owned()),
        (rows.1, "false_positive".to_owned()),
    ];
    expected.sort();
    assert_eq!(marked, expected);
    let (_, _, page) = send(&app, get(&format!("/teams/palau/alerts/{first}"), &player)).await;
    assert!(
        page.contains("State: <strong>False positive</strong>"),
        "the first shows the verdict"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_alerts_a_filter_selects_go_into_a_case_at_once() {
    let app = app_with_pack(240_000).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    // Without an open case, the queue offers nothing to add alerts to.
    let (_, _, page) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    assert!(!page.contains("Add them to the case"));
    let (_, headers, _) = send(&app, post("/teams/palau/cases", &player, "title=Portal")).await;
    let case_path = header(&headers, "location").unwrap().to_owned();
    let case: i64 = case_path.rsplit('/').next().unwrap().parse().unwrap();
    let (_, _, page) = send(&app, get("/teams/palau?q=aspnet_client", &player)).await;
    let shell = matching(&page);
    assert!(shell > 0 && page.contains("Add them to the case"), "{page}");
    let linked = |app: Arc<App<Sqlite>>| async move {
        let (_, entries) = app
            .db
            .case(
                app.live.exercise,
                "palau",
                case,
                atoll_store::Page::after(None, u32::MAX),
            )
            .await
            .unwrap();
        entries.into_iter().filter(|e| e.kind == "alert").count()
    };
    // Refused, storing nothing: no filter; a case that is not the team's; a count that changed.
    for (form, message) in [
        (
            format!("case={case}"),
            "filter: adding many alerts to a case needs a filter or a group",
        ),
        (
            "q=aspnet_client&case=999".to_owned(),
            "case: choose one of your team's open cases",
        ),
        (
            format!("q=aspnet_client&case={case}&expect=999"),
            "not the 999 the page showed",
        ),
    ] {
        let (status, _, page) = send(&app, post("/teams/palau/alerts/case", &player, &form)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert!(page.contains(message), "{form}: {message}\n{page}");
    }
    assert_eq!(linked(app.clone()).await, 0);
    let observer = sign_in(&app, "olga").await;
    let form = format!("q=aspnet_client&case={case}&expect={shell}");
    assert_eq!(
        send(&app, post("/teams/palau/alerts/case", &observer, &form)).await.0,
        StatusCode::FORBIDDEN
    );
    // Every alert the filter selects goes in, once.
    let (status, headers, _) = send(&app, post("/teams/palau/alerts/case", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(header(&headers, "location"), Some(case_path.as_str()));
    assert_eq!(linked(app.clone()).await, shell);
    send(&app, post("/teams/palau/alerts/case", &player, &form)).await;
    assert_eq!(linked(app.clone()).await, shell, "none twice");
    let (_, _, page) = send(&app, get(&case_path, &player)).await;
    assert!(
        page.contains("Script Page Uploaded Or Run Under IIS aspnet_client Folder"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_action_shows_at_once_even_while_the_clock_is_paused() {
    let app = app_started(40_000).await;
    app.live.tick(clock_now());
    let instructor = sign_in(&app, "ines").await;
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=pause")).await.0,
        StatusCode::SEE_OTHER
    );
    app.live.tick(clock_now());
    let paused = app.live.now();
    let player = sign_in(&app, "pita").await;
    let form = "action=isolate_host&target=pw-tel-web01&confirm=yes";
    assert_eq!(
        send(&app, post("/teams/palau/respond", &player, form)).await.0,
        StatusCode::SEE_OTHER
    );
    // No tick: the clock stands still, and the network page already shows the host cut off.
    let (_, _, body) = send(&app, get("/teams/palau/network", &player)).await;
    let hosts = &body[body.find("<h2>Hosts</h2>").expect("a hosts section")..];
    let row = &hosts[hosts.find("<td class=\"mono\">PT-WEB01</td>").expect("listed")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("isolated"), "{row}");
    assert_eq!(app.live.now(), paused, "the clock did not move");
    let reached = app.live.team(0).reached();
    assert!(
        reached > paused && reached <= paused + 1_001,
        "the world is at most a second ahead: {paused} → {reached}"
    );
    // Stored at the time it took effect, so that a restart gives the same world.
    let stored = app.db.actions(app.live.exercise).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].at, paused.div_ceil(1000) * 1000);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_time_player_names_targets_as_pages_show_them_and_sees_the_time_without_the_script() {
    let app = app_with(600_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    // The exercise time is written by the server (the script only keeps it current), and a
    // keyboard user can skip the navigation.
    let (_, _, page) = send(&app, get("/teams/palau", &player)).await;
    assert!(page.contains(r#"<span class="clock" data-live="clock">D1 "#), "{page}");
    assert!(page.contains(r##"<a class="skip" href="#main">"##) && page.contains(r#"<main id="main">"#));
    // Respond offers the team's hosts, accounts and services by the names its pages show…
    let (_, _, respond) = send(&app, get("/teams/palau/respond", &player)).await;
    for offered in [
        r#"<datalist id="targets">"#,
        r#"<option value="PT-WEB01">host, 10.20.5.10</option>"#,
        r#"<option value="PACTEL\svc_prtg">account</option>"#,
        r#"<option value="Customer web portal">service</option>"#,
    ] {
        assert!(respond.contains(offered), "{offered}");
    }
    assert!(!respond.contains("FT-WEB01"), "not another team's host");
    // …and the addresses in the team's newest alerts, an outside address before its own.
    let seen = {
        let runtime = app.live.team(0);
        let store = runtime.store();
        runtime
            .alerts()
            .iter()
            .rev()
            .flat_map(|a| {
                store
                    .event(a.row)
                    .into_iter()
                    .map(|(f, _, v)| (f.to_owned(), v.into_owned()))
            })
            .find(|(f, v)| {
                ["DestinationIp", "src_ip", "dst_ip", "c-ip", "IpAddress"].contains(&f.as_str())
                    && ["192.0.2.", "198.51.100.", "203.0.113."]
                        .iter()
                        .any(|r| v.starts_with(r))
            })
    };
    let (_, address) = seen.expect("an outside address in Palau's alerts by D1 18:30");
    assert!(
        respond.contains(&format!(r#"<option value="{address}">address in an alert at D1 "#)),
        "{address}"
    );
    // …and takes them: the account as logs write it, the host by its address.
    for (action, target) in [("disable_account", r"PACTEL\svc_prtg"), ("isolate_host", "10.20.5.10")] {
        let form = serde_urlencoded::to_string([("action", action), ("target", target), ("confirm", "yes")]).unwrap();
        let (status, _, page) = send(&app, post("/teams/palau/respond", &player, &form)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{target}: {page}");
    }
    let (_, _, log) = send(&app, get("/teams/palau/respond", &player)).await;
    assert!(
        log.contains(r"PACTEL\svc_prtg") && log.contains("10.20.5.10"),
        "the log shows what was typed"
    );
    // A near miss says what was meant, and keeps what was typed.
    let form = "action=disable_account&target=PACTEL%5Csvc_prtgg&confirm=yes";
    let (status, _, page) = send(&app, post("/teams/palau/respond", &player, form)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(r"did you mean `PACTEL\svc_prtg`?") && page.contains(r#"value="PACTEL\svc_prtgg""#),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_shows_its_points_and_time_limit_and_after_it_takes_no_answer_and_sells_no_hint() {
    // Play starts now on a clock a test moves (60×: a real minute is an exercise hour).
    let wall = atoll_app::Wall::fixed(1_780_000_000_000);
    let app = app_on(0, &ATOLL_RULES.0, &ATOLL_RULES.1, false, wall).await;
    let player = sign_in(&app, "pita").await;
    // Four hours in, the question on the web shell's address has been asked.
    app.live.wall().advance(4 * 60_000);
    app.live.tick(app.live.wall_now());
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    let card = &page[page.find(r#"id="question-q-edge-indicators""#).expect("asked")..];
    let card = &card[..card.find("</article>").unwrap()];
    assert!(
        card.contains("Worth <strong>50 points</strong> · answer by <strong>D1 ") && card.contains(" left)"),
        "{card}"
    );
    // Four hours later its time is up: no answer is taken, the page and the score agree.
    app.live.wall().advance(4 * 60_000);
    app.live.tick(app.live.wall_now());
    let form = "question=q-edge-indicators&indicators=203.0.113.45";
    let (status, _, page) = send(&app, post("/teams/palau/questions", &player, form)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("question: «From which external address was the web shell delivered? Sub…»: the time to answer it ended at D1 ")
            && page.contains("; answers are no longer taken"),
        "{page}"
    );
    let card = &page[page.find(r#"id="question-q-edge-indicators""#).unwrap()..];
    let card = &card[..card.find("</article>").unwrap()];
    assert!(card.contains("Closed: answers are no longer taken.") && card.contains("<strong>0 of 50 points</strong>"));
    let practice = &page[page.find(r#"id="question-q-telemetry-sources""#).expect("asked")..];
    assert!(
        practice.contains("Not scored: this question is for practice"),
        "{practice}"
    );
    assert!(
        card.contains("the limit was D1 ")
            && !card.contains("Send answer")
            && card.contains("Not answered: the question was asked at D1 "),
        "{card}"
    );
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(
        score.contains("Submit the address that delivered the web shell"),
        "{score}"
    );
    // Its hint is no longer sold.
    let number = SCENARIO.hints.iter().position(|h| h.id.name == "h-indicators").unwrap() + 1;
    let (_, _, page) = send(&app, post("/teams/palau/hints", &player, &format!("hint={number}"))).await;
    assert!(
        page.contains("hint: the question it helps with no longer takes answers"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_time_player_is_briefed_first_and_the_badges_count_only_what_is_new_without_the_script() {
    let app = app_started(900_000).await;
    app.live.tick(clock_now());
    // The clock stands still, so that what the inbox holds is the same on every page.
    let instructor = sign_in(&app, "ines").await;
    send(&app, post("/clock", &instructor, "action=pause")).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    // The first start page after signing in is the briefing; after it, the team's queue.
    let (status, headers, _) = send(&app, get("/", &player)).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/briefing"))
    );
    let (status, _, briefing) = send(&app, get("/briefing", &player)).await;
    assert_eq!(status, StatusCode::OK);
    // The points a team can earn: the maximum the Score page gives.
    let records = atoll_app::score::records(&app, "palau").await.unwrap();
    let possible = atoll_app::score::team_score(&app, 0, &records).possible();
    assert!(possible > 0);
    for said in [
        "Pacific Cable Shield",
        "Your team: Palau",
        "Your first fifteen minutes",
        &format!("<strong>{possible}</strong>"),
        "True positive / false positive",
        "TLP (Traffic Light Protocol)",
        r#"<a href="/teams/palau/network">Network</a>"#,
        r#"<a href="/briefing?lang=ja" lang="ja">日本語</a>"#,
    ] {
        assert!(briefing.contains(said), "{said}");
    }
    assert!(!briefing.contains("vt-"), "no step of the attack is named");
    let (_, _, japanese) = send(&app, get("/briefing?lang=ja", &player)).await;
    assert!(japanese.contains("用語集") && japanese.contains("パシフィック・ケーブル・シールド"));
    let (_, headers, _) = send(&app, get("/", &player)).await;
    assert_eq!(header(&headers, "location"), Some("/teams/palau"));
    // Every page carries the briefing's link and the help on the pages that need it.
    let (_, _, queue) = send(&app, get("/teams/palau", &player)).await;
    assert!(queue.contains(r#"<a href="/briefing">Briefing</a>"#));
    assert!(queue.contains("<summary>What is this page?</summary>"));
    // Badges are written by the server: what came since the page that lists it was opened.
    let badge = |page: &str, what: &str| -> String {
        let open = format!(r#"data-live="{what}">"#);
        let at = page.find(&open).map(|i| i + open.len()).expect("a badge");
        page[at..at + page[at..].find('<').unwrap()].to_owned()
    };
    let arrived = atoll_app::inbox::arrivals(&app.live, 0).len();
    assert!(arrived > 0, "something reached the inbox in the first quarter hour");
    assert_eq!(badge(&queue, "inbox"), arrived.to_string());
    assert_eq!(badge(&queue, "alerts"), "", "the queue itself was just opened");
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &player)).await;
    assert_eq!(badge(&inbox, "inbox"), "", "read now");
    let (_, _, hunt) = send(&app, get("/teams/palau/hunt", &player)).await;
    assert_eq!(badge(&hunt, "inbox"), "", "and still read on the next page");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_replies_on_an_inject_and_the_white_cell_answers_in_the_same_thread() {
    let app = app_started(120_000).await;
    app.live.tick(clock_now());
    let arrived = atoll_app::inbox::arrivals(&app.live, 0);
    let (_, first, _) = arrived.last().expect("the opening inject has arrived");
    let first = first.id.name.clone();
    let later = app
        .live
        .scenario
        .injects
        .iter()
        .find(|i| !arrived.iter().any(|(_, a, _)| a.id.name == i.id.name))
        .expect("an inject still to come")
        .id
        .name
        .clone();
    let player = sign_in(&app, "pita").await;
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &player)).await;
    assert!(inbox.contains(&format!(r#"<input type="hidden" name="inject" value="{first}">"#)));
    let form = format!("inject={first}&subject=Re%3A+opening&body=We+have+started+triage.");
    let (status, headers, _) = send(&app, post("/teams/palau/messages", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        header(&headers, "location").map(str::to_owned),
        Some(format!("/teams/palau/inbox#inject-{first}"))
    );
    // A reply on an inject the team has not had would tell it what comes: refused, naming why.
    let form = format!("inject={later}&subject=Re%3A+x&body=guess");
    let (status, _, page) = send(&app, post("/teams/palau/messages", &player, &form)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("inject: `") && page.contains("is not in this team"),
        "{page}"
    );
    // The white cell sees it beside the inject, and answers on the same thread.
    let instructor = sign_in(&app, "ines").await;
    let (_, _, messages) = send(&app, get("/messages", &instructor)).await;
    assert!(messages.contains("We have started triage.") && messages.contains("· on the inject «"));
    let form = format!("team=palau&inject={first}&subject=Re%3A+opening&body=Good%2C+keep+the+ministry+informed.");
    assert_eq!(
        send(&app, post("/messages", &instructor, &form)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &player)).await;
    let article = &inbox[inbox.find(&format!(r#"id="inject-{first}""#)).expect("the inject")..];
    let article = &article[..article.find("</article>").unwrap()];
    let reply = article
        .find("We have started triage.")
        .expect("the team's reply in the thread");
    let answer = article
        .find("Good, keep the ministry informed.")
        .expect("the answer in the thread");
    assert!(reply < answer, "oldest first");
    assert!(
        !inbox.contains("<h2>Messages</h2>"),
        "a reply on an inject is in its thread, not among the messages"
    );
    // Sent to every team, a reply on one team's inject is refused.
    let form = format!("team=&inject={first}&subject=x&body=y");
    assert_eq!(
        send(&app, post("/messages", &instructor, &form)).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn play_ended_early_says_on_the_score_page_why_the_maximum_is_smaller() {
    let app = app_started(120_000).await;
    app.live.tick(clock_now());
    let instructor = sign_in(&app, "ines").await;
    let (status, _, _) = send(&app, post("/clock", &instructor, "action=end&confirm=yes")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let player = sign_in(&app, "pita").await;
    let (_, _, page) = send(&app, get("/teams/palau/score", &player)).await;
    // Two hours into a play planned for two days and more: most of the campaign never came.
    let records = atoll_app::score::records(&app, "palau").await.unwrap();
    let score = atoll_app::score::team_score(&app, 0, &records);
    let cut: Vec<_> = score
        .items
        .iter()
        .filter(|i| i.standing == atoll_exercise::score::Standing::Unscored && i.why.starts_with("Play ended before"))
        .collect();
    assert!(!cut.is_empty());
    let points: u32 = cut.iter().map(|i| i.max).sum();
    let said = format!(
        "before its planned end at D3 16:00: {} expectations worth {points} points are about steps the adversary never reached, so they are not scored, and the maximum is {} rather than {}.",
        cut.len(),
        score.possible(),
        score.possible() + points
    );
    assert!(page.contains(&said), "{said}");
    assert!(page.contains(&format!(" of {} points", score.possible())));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hint_for_an_expectation_is_sold_only_while_the_expectation_can_be_earned() {
    // The web shell's hint (the scenario's first) helps detect it within two hours of the
    // exploit at D1 09:10 (± 10 min); it is on sale from half an hour after the exploit.
    let offered = r#"<input type="hidden" name="hint" value="1">"#;
    let app = app_started(100_000).await; // D1 10:10
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(page.contains(offered), "on sale while the detection can be earned");
    let app = app_started(200_000).await; // D1 11:50: the two hours have passed
    app.live.tick(clock_now());
    let records = atoll_app::score::records(&app, "palau").await.unwrap();
    let score = atoll_app::score::team_score(&app, 0, &records);
    let webshell = score
        .items
        .iter()
        .find(|i| i.expectation == "e-detect-webshell")
        .unwrap();
    assert_eq!(
        webshell.standing,
        atoll_exercise::score::Standing::Missed,
        "{}",
        webshell.why
    );
    let player = sign_in(&app, "pita").await;
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(!page.contains(offered), "no longer offered");
    hint_refused(&app, &player, 1, "settled in the score").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_answered_sells_no_more_hints() {
    let app = app_started(100_000).await; // D1 10:10: the indicators question came at 10:00
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let offered = r#"<input type="hidden" name="hint" value="3">"#;
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(page.contains(offered), "its hint is on sale while it takes an answer");
    let form = "question=q-edge-indicators&indicators=198.51.100.9";
    assert_eq!(
        send(&app, post("/teams/palau/questions", &player, form)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, page) = send(&app, get("/teams/palau/questions", &player)).await;
    assert!(!page.contains(offered), "an answer is final: no hint to buy");
    hint_refused(&app, &player, 3, "the question it helps with is answered").await;
}

/// Opening hint `number` is refused saying `why`, and no hint is opened.
async fn hint_refused(app: &Arc<App<Sqlite>>, player: &str, number: usize, why: &str) {
    let form = format!("hint={number}");
    let (status, _, page) = send(app, post("/teams/palau/hints", player, &form)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains(why), "{page}");
    let opened = app.db.hints_opened(app.live.exercise, Some("palau")).await.unwrap();
    assert!(opened.is_empty(), "{opened:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_teams_hunts_never_hold_every_slot() {
    use std::time::Duration;
    let app = app().await;
    let index = |team: &str| {
        app.live
            .scenario
            .player_teams()
            .position(|t| t.id.name == team)
            .unwrap()
    };
    let (palau, nauru) = (index("palau"), index("nauru"));
    // Palau's hunt runs; Palau's next waits for it, even though a shared slot is free…
    let running = app.hunt_slot(palau).await.expect("a slot");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), app.hunt_slot(palau))
            .await
            .is_err(),
        "a team's second hunt waits for its first"
    );
    // …and Nauru's runs at once.
    let theirs = tokio::time::timeout(Duration::from_secs(10), app.hunt_slot(nauru)).await;
    assert!(matches!(theirs, Ok(Some(_))), "another team's hunt is not held up");
    drop(running);
    assert!(
        tokio::time::timeout(Duration::from_secs(10), app.hunt_slot(palau))
            .await
            .is_ok_and(|s| s.is_some())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_has_a_few_dozen_rules_on_at_most() {
    use atoll_app::limits::TEAM_RULES_ON;
    let app = app().await;
    let player = sign_in(&app, "pita").await;
    let pita = app.db.user_by_name("pita").await.unwrap().unwrap().0.id;
    for n in 0..TEAM_RULES_ON {
        app.db
            .add_team_rule(
                app.live.exercise,
                "palau",
                &format!("t{n}"),
                "title: t",
                pita,
                0,
                0,
                atoll_store::AtMost::NONE,
            )
            .await
            .unwrap();
    }
    let form = serde_urlencoded::to_string([("action", "on"), ("yaml", SIGN_IN_RULE)]).unwrap();
    let (status, _, page) = send(&app, post("/teams/palau/rules", &player, &form)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{page}");
    assert!(
        page.contains("25 rules on, the most it may have at once") && page.contains("Successful sign-in"),
        "says which limit, and gives the rule back: {page}"
    );
    // Turned off, one frees a place.
    let (status, _, _) = send(&app, post("/teams/palau/rules/1/off", &player, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = send(&app, post("/teams/palau/rules", &player, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_team_stores_has_a_limit_said_near_it_and_refused_with_the_text_back() {
    use atoll_app::limits::{CASE_ENTRIES, TEAM_CASES, TEAM_REPORTS, TEAM_RULES_STORED, USER_SEARCHES};
    use atoll_store::{AtMost, Kind};
    let app = app().await;
    let player = sign_in(&app, "pita").await;
    let pita = app.db.user_by_name("pita").await.unwrap().unwrap().0.id;
    let (db, x) = (&app.db, app.live.exercise);
    // Each quota filled to one below its limit, straight into the store.
    for n in 1..TEAM_REPORTS {
        db.submit(
            x,
            "palau",
            Kind::Report,
            &format!("r{n}"),
            "{}",
            pita,
            0,
            0,
            AtMost::NONE,
        )
        .await
        .unwrap();
    }
    let mut case = 0;
    for n in 1..TEAM_CASES {
        case = db
            .open_case(x, "palau", &format!("c{n}"), "open", pita, 0, 0, AtMost::NONE)
            .await
            .unwrap();
    }
    let notes: Vec<String> = (1..CASE_ENTRIES).map(|n| format!("n{n}")).collect();
    let notes: Vec<&str> = notes.iter().map(String::as_str).collect();
    db.add_case_entries(x, "palau", case, "note", &notes, pita, 0, 0, AtMost::NONE)
        .await
        .unwrap();
    for n in 1..USER_SEARCHES {
        db.save_search(x, "palau", &format!("s{n}"), "*", pita, 0, AtMost::NONE)
            .await
            .unwrap();
    }
    // Stored, and turned off since: the limit on rules on at once is another.
    for n in 1..TEAM_RULES_STORED {
        let id = db
            .add_team_rule(x, "palau", &format!("t{n}"), "title: t", pita, 0, 0, AtMost::NONE)
            .await
            .unwrap();
        db.turn_off_rule(x, "palau", id, pita, 0).await.unwrap();
    }
    let rule = serde_urlencoded::to_string([("action", "on"), ("yaml", SIGN_IN_RULE)]).unwrap();
    let report = "to=national_cert&tlp=TLP%3AAMBER&what=Web+shell+on+PT-WEB01&title=";
    // (the page that says how many are left, the form, the first and second sending, and what
    // the refusal gives back)
    let case_page = format!("/teams/palau/cases/{case}");
    let families: [(&str, &str, &str, String, String, &str); 5] = [
        (
            "/teams/palau/reports",
            "/teams/palau/reports",
            "1 more reports",
            format!("{report}Last"),
            format!("{report}Over+the+top"),
            "Over the top",
        ),
        (
            "/teams/palau/cases",
            "/teams/palau/cases",
            "1 more cases",
            "title=Last".into(),
            "title=Over+the+top".into(),
            "Over the top",
        ),
        (
            &case_page,
            &case_page,
            "1 more entries",
            "kind=note&note=Last".into(),
            "kind=note&note=Over+the+top".into(),
            "Over the top</textarea>",
        ),
        (
            "",
            "/teams/palau/searches",
            "",
            "name=Last&q=*".into(),
            "name=Over+the+top&q=*".into(),
            "Over the top",
        ),
        (
            "/teams/palau/rules",
            "/teams/palau/rules",
            "1 more rules",
            rule.clone(),
            rule,
            "Successful sign-in",
        ),
    ];
    for (page, form, near, last, over, given_back) in families {
        if !near.is_empty() {
            let (_, _, shown) = send(&app, get(page, &player)).await;
            assert!(shown.contains(near), "{page} says how many are left");
        }
        let (status, _, _) = send(&app, post(form, &player, &last)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{form}: the last one is taken");
        let (status, _, refused) = send(&app, post(form, &player, &over)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{form}: {refused}");
        assert!(refused.contains("the most"), "{form} says which limit: {refused}");
        assert!(refused.contains(given_back), "{form} gives the text back: {refused}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_test_that_runs_out_of_time_says_so_and_what_to_change() {
    let app = app_started(2 * 60_000).await;
    app.live.tick(clock_now());
    let events = app.live.team(0).store().len();
    assert!(
        events > 65_536,
        "enough events for the search to look at the clock: {events}"
    );
    let rule = || atoll_app::rules::compile(SIGN_IN_RULE).unwrap();
    let stopped = atoll_app::rules::test_within(&app, 0, rule(), false, std::time::Duration::ZERO)
        .await
        .expect_err("no time at all: the test stops");
    assert!(
        stopped.starts_with("the test stopped after 0 s")
            && stopped.contains("takes too long")
            && stopped.contains("Name fewer values"),
        "{stopped}"
    );
    // The same rule with time to run: a result.
    let tested = atoll_app::rules::test_within(&app, 0, rule(), false, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert!(tested.matched > 0 && tested.events as usize >= events, "{tested:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn suppressions_and_team_rules_are_shown_a_page_at_a_time() {
    use atoll_app::limits::{ENDED_SUPPRESSIONS_PAGE, RULES_OFF_PAGE};
    let app = app().await;
    let player = sign_in(&app, "pita").await;
    let pita = app.db.user_by_name("pita").await.unwrap().unwrap().0.id;
    let (db, x) = (&app.db, app.live.exercise);
    // 40 suppressions made and ended, then 2 in force; 30 rules turned off, then 2 on.
    let mut ended = Vec::new();
    for n in 0..40 {
        let id = db
            .suppress(
                x,
                "palau",
                &format!("Rule {n}"),
                &[],
                "checked, harmless",
                pita,
                0,
                0,
                50,
                500,
            )
            .await
            .unwrap();
        db.end_suppression(x, "palau", id, pita, 1).await.unwrap();
        ended.push(id);
    }
    for n in 40..42 {
        db.suppress(
            x,
            "palau",
            &format!("Rule {n}"),
            &[],
            "checked, harmless",
            pita,
            2,
            0,
            50,
            500,
        )
        .await
        .unwrap();
    }
    let mut off = Vec::new();
    for n in 0..30 {
        let id = db
            .add_team_rule(
                x,
                "palau",
                &format!("Old rule {n}"),
                "title: x",
                pita,
                0,
                0,
                atoll_store::AtMost::NONE,
            )
            .await
            .unwrap();
        db.turn_off_rule(x, "palau", id, pita, 1).await.unwrap();
        off.push(id);
    }
    for n in 30..32 {
        db.add_team_rule(
            x,
            "palau",
            &format!("Live rule {n}"),
            "title: x",
            pita,
            2,
            0,
            atoll_store::AtMost::NONE,
        )
        .await
        .unwrap();
    }

    // The suppressions page: both in force, then the newest ended ones; "Older" goes on.
    let (status, _, page) = send(&app, get("/teams/palau/suppressions", &player)).await;
    assert_eq!(status, StatusCode::OK);
    let rows = page.matches("<tr id=\"suppression-").count();
    assert_eq!(rows, 2 + ENDED_SUPPRESSIONS_PAGE as usize, "{page}");
    let last_shown = ended[ended.len() - ENDED_SUPPRESSIONS_PAGE as usize];
    assert!(
        page.contains(&format!("href=\"/teams/palau/suppressions?before={last_shown}\"")),
        "{page}"
    );
    let (_, _, older) = send(
        &app,
        get(&format!("/teams/palau/suppressions?before={last_shown}"), &player),
    )
    .await;
    assert_eq!(
        older.matches("<tr id=\"suppression-").count(),
        40 - ENDED_SUPPRESSIONS_PAGE as usize,
        "the rest of the ended ones, none in force: {older}"
    );
    assert!(older.contains(&format!("id=\"suppression-{}\"", ended[0])) && !older.contains("Rule 41"));
    let (status, _, _) = send(&app, get("/teams/palau/suppressions?before=x", &player)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The rules page: both on, then the newest turned off, each with its text.
    let (_, _, page) = send(&app, get("/teams/palau/rules", &player)).await;
    assert_eq!(
        page.matches("<tr id=\"rule-").count(),
        2 + RULES_OFF_PAGE as usize,
        "{page}"
    );
    let last_shown = off[off.len() - RULES_OFF_PAGE as usize];
    assert!(
        page.contains(&format!("href=\"/teams/palau/rules?before={last_shown}\"")),
        "{page}"
    );
    let (_, _, older) = send(&app, get(&format!("/teams/palau/rules?before={last_shown}"), &player)).await;
    assert_eq!(
        older.matches("<tr id=\"rule-").count(),
        RULES_OFF_PAGE as usize,
        "{older}"
    );
    assert!(!older.contains("Live rule"));

    // The API pages them too.
    let player = make_token(&app, &player, "paging").await;
    let (status, list) = call(&app, "GET", "/api/v1/teams/palau/suppressions?limit=5", &player, None).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 5);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let (_, list) = call(
        &app,
        "GET",
        &format!("/api/v1/teams/palau/suppressions?before={}&limit=100", ids[4]),
        &player,
        None,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 42 - 5);
    let (_, list) = call(&app, "GET", "/api/v1/teams/palau/rules?limit=20", &player, None).await;
    let rules = list.as_array().unwrap();
    assert_eq!(
        (rules.len(), rules[0]["id"].as_i64()),
        (20, Some(off[0])),
        "oldest first"
    );
    let (_, list) = call(
        &app,
        "GET",
        &format!("/api/v1/teams/palau/rules?after={}", rules[19]["id"]),
        &player,
        None,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 12);
}
