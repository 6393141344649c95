//! The white cell's console: the clock, injects and messages, steps, the scoreboard, shared
//! rules, the audit log, the end of play, and what a detection sets off.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_clock_pauses_and_resumes_and_refuses_nonsense() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=pause")).await.0,
        StatusCode::SEE_OTHER
    );
    let paused = app.live.now();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(app.live.now(), paused, "a paused clock does not move");
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=pause")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("already paused"));
    let (status, _, body) = send(&app, post("/clock", &instructor, "speed=5")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.contains("action: say start, pause, resume, speed, jump or end"),
        "{body}"
    );
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=speed&speed=0")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("speed: give a whole number from 1 to 3600"), "{body}");
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=resume")).await.0,
        StatusCode::SEE_OTHER
    );
    let stored: Clock = serde_json::from_str(&app.db.exercises().await.unwrap()[0].clock).unwrap();
    assert!(matches!(stored.state, atoll_exercise::State::Running { at, .. } if at == paused));

    // Jumps go forward only, to an exercise time written as people write it.
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=jump&to=tomorrow")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("to: `tomorrow` is not an exercise time"), "{body}");
    // Three hours on would close the time to detect the web shell (it ran at about D1 09:10,
    // two hours allowed): the board says so first, and the clock waits for a confirmation.
    let before = app.live.now();
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=jump&to=%2B3h")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("Jumping to +3h passes"), "{body}");
    assert!(
        body.contains("Palau: «") && body.contains("closes at D1 1"),
        "each team's limit, with when it closes: {body}"
    );
    assert!(
        body.contains(r#"<button name="confirm" value="yes">Jump anyway</button>"#),
        "{body}"
    );
    assert!(app.live.now() < 3 * 3_600_000, "the clock did not jump: {before}");
    let asked = clock_now();
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=jump&to=%2B3h&confirm=yes"))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    // Every world has reached the jump's time when the board answers, and the clock counts on
    // from then: the time the worlds took to catch up is not taken from play.
    for team in 0..app.live.rebuilding().1 {
        assert!(app.live.team(team).reached() >= 3 * 3_600_000, "team {team} caught up");
    }
    let stored: Clock = serde_json::from_str(&app.db.exercises().await.unwrap()[0].clock).unwrap();
    assert!(
        matches!(stored.state, atoll_exercise::State::Running { since, at } if at == 3 * 3_600_000 && since >= asked),
        "{stored:?}"
    );
    let now = app.live.now();
    assert!(
        (3 * 3_600_000..3 * 3_600_000 + 60_000).contains(&now),
        "three hours in: {now}"
    );
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=jump&to=%2B1h")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.contains("to: `+1h` has passed; the clock only moves forward"),
        "{body}"
    );
    // A refusal comes back on the board, the form there to try again.
    assert!(
        body.contains("<h1>Board</h1>") && body.contains("id=\"jump-to\""),
        "{body}"
    );
    // A change answers on the board with what it did.
    let (status, headers, _) = send(&app, post("/clock", &instructor, "action=pause")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = header(&headers, "location").unwrap().to_owned();
    assert_eq!(back, "/board?done=pause");
    let (_, _, board) = send(&app, get(&back, &instructor)).await;
    assert!(
        board.contains("Paused at D1 11:") && board.contains("every team's world stands still"),
        "{board}"
    );
    let (_, _, board) = send(&app, get("/board?done=%3Cb%3Ehello", &instructor)).await;
    assert!(
        !board.contains("hello") && !board.contains("class=\"done\""),
        "unknown: nothing said"
    );
    send(&app, post("/clock", &instructor, "action=resume")).await;
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(
        board.contains(r#"Exercise time <strong data-live="clock">D1 11:"#),
        "the board follows the jump"
    );

    // Ending needs a confirmation, is stored, and is final.
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=end")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("tick the box"), "{body}");
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=end&confirm=yes"))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    let stored: Clock = serde_json::from_str(&app.db.exercises().await.unwrap()[0].clock).unwrap();
    assert!(
        matches!(stored.state, atoll_exercise::State::Ended { .. }),
        "{stored:?}"
    );
    let (status, _, body) = send(&app, post("/clock", &instructor, "action=resume")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("has ended"), "{body}");
    let observer = sign_in(&app, "olga").await;
    assert_eq!(
        send(&app, post("/clock", &observer, "action=end&confirm=yes")).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn injects_arrive_on_the_exercise_clock() {
    // Half an hour into play (D1 09:00): the start and the partner advisory (D1 08:45) are in,
    // the ministry's call (D1 13:00) is not.
    let app = app_started(30_000).await;
    let player = sign_in(&app, "pita").await;
    let (status, _, body) = send(&app, get("/teams/palau/inbox", &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("EXERCISE — Pacific Cable Shield begins"), "{body}");
    assert!(body.contains("TLP:AMBER — state actors pre-positioning in Pacific telecoms"));
    assert!(body.contains("for the technical track"));
    assert!(!body.contains("Ministry"), "later injects have not arrived: {body}");
    assert!(body.contains("read by pita"), "opening the inbox is a read receipt");
    let instructor = sign_in(&app, "ines").await;
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(board.contains("2 of 2"), "the board shows Palau has read both: {board}");
    let (_, _, nauru) = send(&app, get("/teams/nauru/inbox", &instructor)).await;
    assert!(
        nauru.contains("not read yet") && !nauru.contains("read by ines"),
        "instructors reading leave no receipt"
    );
    let advisory = body.find("TLP:AMBER").unwrap();
    let start = body.find("EXERCISE — Pacific").unwrap();
    assert!(advisory < start, "newest first");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_white_cell_and_the_teams_write_to_each_other() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let palau = sign_in(&app, "pita").await;
    let nauru = sign_in(&app, "nora").await;
    let observer = sign_in(&app, "olga").await;
    let everyone = "team=&subject=Situation+report+due&body=Send+your+first+report+by+D1+12%3A00.";
    assert_eq!(
        send(&app, post("/messages", &instructor, everyone)).await.0,
        StatusCode::SEE_OTHER
    );
    // To Palau's policy track: Palau's inbox says for whom.
    let only_palau = "team=palau&track=policy&subject=Ministry+waiting&body=The+minister+asks+for+a+call.";
    assert_eq!(
        send(&app, post("/messages", &instructor, only_palau)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &palau)).await;
    assert!(
        inbox.contains("Situation report due")
            && inbox.contains("Ministry waiting")
            && inbox.contains("from the white cell · for the Policy track"),
        "{inbox}"
    );
    let stored = app.db.messages(app.live.exercise).await.unwrap();
    assert_eq!(
        stored
            .iter()
            .map(|m| (m.team.as_str(), m.track.as_deref()))
            .collect::<Vec<_>>()[..6],
        [
            ("palau", None),
            ("micronesia", None),
            ("marshall-islands", None),
            ("nauru", None),
            ("kiribati", None),
            ("palau", Some("policy"))
        ]
    );
    let (status, _, body) = send(
        &app,
        post("/messages", &instructor, "team=&track=legal&subject=s&body=b"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("track: `legal` is not a track"), "{body}");
    let (_, _, inbox) = send(&app, get("/teams/nauru/inbox", &nauru)).await;
    assert!(
        inbox.contains("Situation report due") && !inbox.contains("Ministry waiting"),
        "only Palau got the second"
    );

    let reply = "subject=Report&body=PT-WEB01+isolated+at+D1+09%3A10.";
    assert_eq!(
        send(&app, post("/teams/palau/messages", &palau, reply)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, all) = send(&app, get("/messages", &instructor)).await;
    assert!(
        all.contains("from palau (pita)") && all.contains("PT-WEB01 isolated"),
        "{all}"
    );
    let (_, _, theirs) = send(&app, get("/teams/nauru/inbox", &nauru)).await;
    assert!(
        !theirs.contains("PT-WEB01 isolated"),
        "another team's reply stays with the white cell"
    );

    assert_eq!(
        send(&app, post("/messages", &observer, everyone)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, post("/messages", &palau, everyone)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, post("/teams/palau/messages", &nauru, reply)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, post("/teams/palau/messages", &palau, "subject=&body=x"))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send(&app, post("/messages", &instructor, "team=atlantis&subject=a&body=b"))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.db.messages(app.live.exercise).await.unwrap().len(),
        5 + 1 + 1,
        "five teams, then Palau, then the reply"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_white_cell_sends_a_scenario_inject_by_hand() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let pita = sign_in(&app, "pita").await; // palau
    let nora = sign_in(&app, "nora").await; // nauru
    let text = "Leadership has approved evicting the intruder now.";
    // `eviction-brief` has no planned time: only the white cell sends it.
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &pita)).await;
    assert!(!inbox.contains(text), "not arrived before it is sent");
    assert_eq!(
        send(
            &app,
            post("/messages/inject", &instructor, "inject=eviction-brief&team=palau")
        )
        .await
        .0,
        StatusCode::SEE_OTHER
    );
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &pita)).await;
    assert!(inbox.contains(text), "Palau has it");
    let (_, _, inbox) = send(&app, get("/teams/nauru/inbox", &nora)).await;
    assert!(!inbox.contains(text), "Nauru does not");
    let (status, _, body) = send(
        &app,
        post("/messages/inject", &instructor, "inject=eviction-brief&team=palau"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("already sent by hand to palau"), "{body}");
    // To every team it is addressed to: the others get it now, Palau keeps its first copy.
    assert_eq!(
        send(
            &app,
            post("/messages/inject", &instructor, "inject=eviction-brief&team=")
        )
        .await
        .0,
        StatusCode::SEE_OTHER
    );
    let (_, _, inbox) = send(&app, get("/teams/nauru/inbox", &nora)).await;
    assert!(inbox.contains(text), "Nauru has it now");
    assert_eq!(app.db.inject_sends(app.live.exercise).await.unwrap().len(), 5);
    let (status, _, body) = send(&app, post("/messages/inject", &instructor, "inject=nope&team=palau")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("`nope` is not an inject"), "{body}");
    let (status, _, body) = send(
        &app,
        post("/messages/inject", &instructor, "inject=startex&team=atlantis"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("`atlantis` is not a team"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_white_cell_runs_delays_and_skips_steps_for_one_team() {
    // Forty minutes of play: the web shell step (D1 09:00) has run in Palau; the rest of the
    // campaign is still to come.
    let app = app_started(40_000).await;
    app.live.tick(clock_now());
    let instructor = sign_in(&app, "ines").await;
    let change = |step: &str, change: &str| format!("step={step}&change={change}");
    let status_of = |app: &Arc<App<Sqlite>>, step: &str| {
        app.live
            .team(0)
            .outcomes()
            .iter()
            .find(|o| o.step == step)
            .map(|o| (o.status, o.due, o.reason.map(str::to_owned)))
            .unwrap()
    };
    use atoll_sim::campaign::Status;
    assert_eq!(status_of(&app, "vt-prtg-creds").0, Status::Pending);

    // Observers and players cannot change the campaign; nonsense and steps that already came
    // due are refused with the field named, and nothing is stored.
    let observer = sign_in(&app, "olga").await;
    let player = sign_in(&app, "pita").await;
    for who in [&observer, &player] {
        let (status, _, _) = send(
            &app,
            post("/teams/palau/timeline", who, &change("vt-prtg-creds", "skip")),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (_, _, page) = send(
        &app,
        post(
            "/teams/palau/timeline",
            &instructor,
            &change("vt-prtg-creds", "delay:9y"),
        ),
    )
    .await;
    assert!(page.contains("change: `delay:9y` is not one of"), "bad change named");
    let (status, _, page) = send(
        &app,
        post("/teams/palau/timeline", &instructor, &change("vt-edge-exploit", "skip")),
    )
    .await;
    assert!(
        page.contains("step: `vt-edge-exploit` is not a step still to come"),
        "a step that ran"
    );
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a refused change says so in its status too"
    );
    // A step cannot be run before what it requires: it would only be prevented, and the
    // team credited with a prevention it did not make.
    let (status, _, page) = send(
        &app,
        post(
            "/teams/palau/timeline",
            &instructor,
            &change("vt-putty-sessions", "run"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("step: `vt-putty-sessions` cannot run now: it requires") && page.contains("vt-prtg-creds"),
        "{page}"
    );
    assert!(app.db.actions(app.live.exercise).await.unwrap().is_empty());

    // Delay one step, skip another, run a third now.
    // Each answers with what it did.
    for (step, what, said) in [
        (
            "vt-clear-logs",
            "delay:2h",
            "Step vt-clear-logs is delayed by 2h for this team",
        ),
        ("vt-stage", "skip", "Step vt-stage is skipped for this team"),
        ("vt-webshell-recon", "run", "Step vt-webshell-recon runs now, at D1 "),
    ] {
        let (status, headers, _) = send(&app, post("/teams/palau/timeline", &instructor, &change(step, what))).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{step}");
        let back = header(&headers, "location").unwrap();
        assert!(back.starts_with("/teams/palau/timeline?step="), "{back}");
        let (_, _, page) = send(&app, get(back, &instructor)).await;
        assert!(page.contains(said), "{step}: {said}");
    }
    // Changes take effect from the next whole second of exercise time.
    app.live.tick(clock_now() + 1_000);
    let (status, due, _) = status_of(&app, "vt-webshell-recon");
    assert_eq!(status, Status::Succeeded, "run now");
    assert!(due.is_some_and(|d| d < 60 * 60_000), "{due:?}");
    let (_, _, page) = send(&app, get("/teams/palau/timeline", &instructor)).await;
    assert!(
        page.contains("White cell: delayed step vt-clear-logs by 2h"),
        "the delay is listed"
    );
    assert!(page.contains("White cell: skipped step vt-stage"), "the skip is listed");
    assert!(
        page.contains("White cell: ran step vt-webshell-recon now"),
        "the run is listed"
    );
    assert!(
        !page.contains("id=\"step-vt-webshell-recon\""),
        "a step that ran has no controls"
    );
    assert!(
        page.contains("id=\"step-vt-clear-logs\""),
        "a delayed step is still to come"
    );
    assert!(page.contains(", then delayed by 2h"), "its plan says so");
    assert!(!page.contains("id=\"step-vt-stage\""), "a skipped step is done with");

    // The team sees none of it.
    let (status, _, respond) = send(&app, get("/teams/palau/respond", &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(respond.contains("Action log"), "{respond}");
    for word in ["vt-clear-logs", "vt-stage", "Skip step", "Delay step", "Run step"] {
        assert!(!respond.contains(word), "{word} is not in the team's log: {respond}");
    }

    // A restarted server replays the changes: an exercise day later both worlds agree, and
    // the skipped step never ran.
    let stored = app.db.actions(app.live.exercise).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0].target, "vt-clear-logs\n2h");
    let clock = app.live.clock();
    let setup = Setup {
        seed: 1,
        date: atoll_sim::DEFAULT_DATE,
        end: SCENARIO.duration.value.as_secs() * 1000,
    };
    let again = Live::new(app.live.exercise, "Test".into(), &SCENARIO, &setup, clock, &RULES, &[]).unwrap();
    again.replay(&stored).unwrap();
    let later = clock_now() + 2 * 60_000;
    for live in [&app.live, &again] {
        live.tick(later);
    }
    assert_eq!(again.team(0).truth(), app.live.team(0).truth());
    let (status, _, reason) = status_of(&app, "vt-stage");
    assert_eq!(
        (status, reason.as_deref()),
        (Status::Prevented, Some(atoll_sim::actions::SKIPPED))
    );
    // Containing the intrusion before the skipped step is scored neither way.
    let score = send(&app, get("/teams/palau/score", &instructor)).await.2;
    let line = &score[score.find("expectation-e-contain-before-staging").expect("listed")..];
    let line = &line[..line.find("</tr>").unwrap()];
    assert!(
        line.contains("not scored")
            && line.contains("The white cell skipped step «Credentials archived for exfiltration»"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn teams_see_the_scoreboard_only_while_the_white_cell_shows_it() {
    let app = app().await;
    let instructor = sign_in(&app, "ines").await;
    let player = sign_in(&app, "pita").await;
    let (status, _, body) = send(&app, get("/scoreboard", &player)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("has not opened the scoreboard"), "{body}");
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(!score.contains(r#"href="/scoreboard""#), "no link while hidden");
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(
        board.contains("only the white cell sees it") && board.contains("Show it to teams"),
        "{board}"
    );

    let (status, _, _) = send(&app, post("/scoreboard", &instructor, "show=yes")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, body) = send(&app, get("/scoreboard", &player)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Teams can see this page"), "{body}");
    for team in SCENARIO.player_teams() {
        assert!(
            body.contains(&format!("<td>{}</td>", team.name.get("en"))),
            "{} in {body}",
            team.id.name
        );
    }
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(score.contains(r#"href="/scoreboard""#), "linked from the team's score");
    assert!(
        score.contains(r#"<a href="/scoreboard">Scoreboard</a>"#),
        "and from the navigation"
    );
    let (_, _, board) = send(&app, get("/scoreboard", &player)).await;
    assert!(
        board.contains("Share of its maximum") && board.contains(" %</strong>"),
        "{board}"
    );
    let (status, _, _) = send(&app, post("/scoreboard", &instructor, "show=maybe")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, _, _) = send(&app, post("/scoreboard", &instructor, "show=no")).await;
    assert_eq!(send(&app, get("/scoreboard", &player)).await.0, StatusCode::FORBIDDEN);
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(
        !score.contains(r#"<a href="/scoreboard">Scoreboard</a>"#),
        "hidden again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_white_cell_turns_a_rule_off_while_the_exercise_runs() {
    // Forty minutes in (D1 09:10), before the copy of the AD database (about D1 10:35).
    let app = app_with_pack(40_000).await;
    let wall = clock_now();
    app.live.tick(wall);
    let rule = "Suspicious Process Patterns NTDS.DIT Exfil";
    let id = PACK
        .0
        .rules()
        .iter()
        .find(|r| r.title == rule)
        .and_then(|r| r.id.clone())
        .expect("the rule is in the pack");
    let instructor = sign_in(&app, "ines").await;
    let (status, _, page) = send(&app, get("/detection?q=NTDS.DIT+Exfil", &instructor)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("aria-label=\"Turn off {rule}\"")),
        "instructors may switch it"
    );
    let observer = sign_in(&app, "olga").await;
    let (_, _, seen) = send(&app, get("/detection?q=NTDS.DIT+Exfil", &observer)).await;
    assert!(seen.contains(rule) && !seen.contains("Turn off"), "observers read only");
    let form = format!("rule={id}&on=off");
    for (who, status) in [
        (&observer, StatusCode::FORBIDDEN),
        (&sign_in(&app, "pita").await, StatusCode::FORBIDDEN),
    ] {
        assert_eq!(send(&app, post("/detection/switch", who, &form)).await.0, status);
    }
    for (bad, status) in [
        (format!("rule={id}&on=maybe"), StatusCode::BAD_REQUEST),
        ("rule=no-such-rule&on=off".to_owned(), StatusCode::NOT_FOUND),
    ] {
        assert_eq!(
            send(&app, post("/detection/switch", &instructor, &bad)).await.0,
            status,
            "{bad}"
        );
    }
    assert!(app.db.rule_switches(app.live.exercise).await.unwrap().is_empty());
    assert_eq!(
        send(&app, post("/detection/switch", &instructor, &form)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, page) = send(&app, get("/detection?q=NTDS.DIT+Exfil", &instructor)).await;
    assert!(page.contains("turned off by ines at D1 09:1"), "why, on the page");
    let logged = &app.db.audit_log(app.live.exercise, None, 10).await.unwrap()[0];
    assert_eq!(logged.action, "rule.off");
    assert!(
        logged.detail.starts_with(&format!("turned rule «{rule}» (`")),
        "the audit log names it by its title: {}",
        logged.detail
    );

    // Two hours on: the copy ran and other rules saw it, this one raised nothing.
    app.live.tick(wall + 120_000);
    let titles: Vec<String> = app.live.team(0).alerts().iter().map(|a| a.title.clone()).collect();
    assert!(titles.iter().any(|t| t == "Ntdsutil Abuse"), "the step ran: {titles:?}");
    assert!(!titles.iter().any(|t| t == rule), "{titles:?}");

    // A restarted server replays the switch and raises the same alerts.
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
        &PACK.1.set,
        &PACK.1.correlations,
    )
    .unwrap()
    .with_detection(&PACK.0, &PACK.1);
    let problems = again.replay_switches(&app.db.rule_switches(app.live.exercise).await.unwrap());
    assert!(problems.is_empty(), "{problems:?}");
    // A switch of a rule this server no longer has is reported, not fatal.
    let gone = atoll_store::RuleSwitch {
        rule: "no-longer-here".into(),
        on: false,
        at: 0,
        username: "ines".into(),
    };
    assert_eq!(again.replay_switches(&[gone]).len(), 1);
    again.tick(wall + 120_000);
    assert_eq!(again.team(0).alerts(), app.live.team(0).alerts());
}

#[tokio::test(flavor = "multi_thread")]
async fn once_play_has_ended_every_team_write_is_refused_and_nothing_is_stored() {
    let app = app_started(120_000).await;
    app.live.tick(clock_now());
    let instructor = sign_in(&app, "ines").await;
    let player = sign_in(&app, "pita").await;
    let token = make_token(&app, &player, "script").await;
    let (_, headers, _) = send(&app, post("/teams/palau/cases", &player, "title=Portal")).await;
    let case = header(&headers, "location")
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, _) = send(&app, post("/clock", &instructor, "action=end&confirm=yes")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let before = palau_stored(&app).await;
    let rule = "title: Any sign-in\nlogsource: {product: windows, service: security}\ndetection: {selection: {EventID: 4624}, condition: selection}\n";
    let rule = serde_urlencoded::to_string([("yaml", rule)]).unwrap();
    let refused = [
        ("/teams/palau/alerts", "row=0&rule=r&state=true_positive".to_owned()),
        ("/teams/palau/alerts/bulk", "q=x&verdict=false_positive".to_owned()),
        ("/teams/palau/alerts/case", format!("q=x&case={case}")),
        ("/teams/palau/suppressions", "rule=r&reason=noise".to_owned()),
        ("/teams/palau/suppressions/1/end", String::new()),
        (
            "/teams/palau/respond",
            "action=isolate_host&target=PT-WEB01&confirm=yes".to_owned(),
        ),
        (
            "/teams/palau/questions",
            "question=q-edge-indicators&answer=203.0.113.45".to_owned(),
        ),
        ("/teams/palau/hints", "hint=h-webshell".to_owned()),
        ("/teams/palau/reports", "title=Web+shell&body=Found+it".to_owned()),
        ("/teams/palau/cases", "title=Another".to_owned()),
        ("/teams/palau/cases/event", format!("case={case}&event=0")),
        (&format!("/teams/palau/cases/{case}"), "kind=note&note=late".to_owned()),
        ("/teams/palau/rules", format!("{rule}&action=on")),
        ("/teams/palau/rules/1/off", String::new()),
        ("/teams/palau/searches", "name=late&q=*".to_owned()),
        ("/teams/palau/searches/1/delete", String::new()),
        ("/teams/palau/messages", "subject=Late&body=Hello".to_owned()),
    ];
    for (path, form) in &refused {
        let (status, _, page) = send(&app, post(path, &player, form)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {page}");
        assert!(
            page.contains("Play ended at D1 ") && page.contains("nothing more can be handed in or changed"),
            "{path}: {page}"
        );
    }
    // The white cell's changes to a team's campaign too.
    let form = "step=vt-stage&change=delay%3A15m";
    let (status, _, _) = send(&app, post("/teams/palau/timeline", &instructor, form)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The API answers the same, as a problem naming no field.
    for (path, body) in [
        (
            "/api/v1/teams/palau/actions",
            r#"{"action":"block_address","target":"203.0.113.45"}"#,
        ),
        ("/api/v1/teams/palau/cases", r#"{"title":"Late"}"#),
        ("/api/v1/teams/palau/reports", r#"{"title":"Late","body":"Late"}"#),
    ] {
        let (status, problem) = call(&app, "POST", path, &token, Some(body)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {problem}");
        let message = problem["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("Play ended at D1 "), "{path}: {message}");
    }
    // Every write the API documents under a team, whoever asks and whatever the body.
    for (method, path) in atoll_web::api::operations() {
        // Testing a rule stays open (checked below).
        if method != "post" || !path.starts_with("/teams/{team}/") || path.ends_with("/rules/test") {
            continue;
        }
        let concrete = format!(
            "/api/v1{}",
            path.replace("{team}", "palau")
                .replace("{id}", "1")
                .replace("{question}", "q-telemetry-sources")
        );
        let (status, problem) = call(&app, "POST", &concrete, &token, Some("{}")).await;
        assert_eq!(status, StatusCode::CONFLICT, "{concrete}: {problem}");
    }
    assert_eq!(palau_stored(&app).await, before, "nothing stored");
    // Testing a rule stays open, on the page and through the API: it stores nothing, and now
    // shows a player what really happened.
    let yaml = serde_json::json!({"yaml": SIGN_IN_RULE}).to_string();
    let (status, tested) = call(&app, "POST", "/api/v1/teams/palau/rules/test", &token, Some(&yaml)).await;
    assert_eq!(status, StatusCode::OK, "{tested}");
    assert!(tested["truth"].is_object(), "{tested}");
    let (status, _, page) = send(
        &app,
        post("/teams/palau/rules", &player, &format!("{rule}&action=test")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // Every page says that play has ended; the score is final.
    for path in ["/teams/palau", "/teams/palau/inbox", "/teams/palau/respond"] {
        let (_, _, page) = send(&app, get(path, &player)).await;
        assert!(page.contains("Play ended at D1 "), "{path}");
    }
    let (_, _, score) = send(&app, get("/teams/palau/score", &player)).await;
    assert!(score.contains(", final: play ended at D1 "), "{score}");
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(board.contains("Play ended at D1 "));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_detection_sets_off_what_waits_for_it_live_and_after_a_restart() {
    // Forty minutes of play: the web shell is up and its upload raised an alert in Palau.
    let app = app_with(40_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    let player = sign_in(&app, "pita").await;
    let instructor = sign_in(&app, "ines").await;
    // The white cell pauses: a detection must set things off while the clock stands still.
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=pause")).await.0,
        StatusCode::SEE_OTHER
    );
    app.live.tick(clock_now());
    let call = "The ministry hears you found an intruder";
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &player)).await;
    assert!(!inbox.contains(call), "nothing found, no call");

    let (_, _, page) = send(&app, get("/teams/palau", &player)).await;
    let found = page.find("aspnet_client").expect("the web shell alert is listed");
    let (row, rule) = (
        input_value(&page, found, "row").to_owned(),
        input_value(&page, found, "rule").to_owned(),
    );
    let form = format!("row={row}&rule={rule}&state=true_positive&note=web+shell");
    assert_eq!(
        send(&app, post("/teams/palau/alerts", &player, &form)).await.0,
        StatusCode::SEE_OTHER
    );
    let stored = app.db.detections(app.live.exercise).await.unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(
        (
            stored[0].team.as_str(),
            stored[0].step.as_str(),
            stored[0].source.as_str(),
            stored[0].username.as_str()
        ),
        ("palau", "vt-edge-exploit", "verdict", "pita")
    );
    let detected_at = stored[0].at;
    // Marking it again, or another alert of the same step, records nothing more.
    assert_eq!(
        send(&app, post("/teams/palau/alerts", &player, &form)).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.db.detections(app.live.exercise).await.unwrap().len(), 1);

    // Half an hour of play after the verdict (given at about D1 09:11), the ministry calls
    // (`when: {detected: vt-edge-exploit}`, `delay: 30m`), and only Palau, whose analysts
    // found the shell.
    assert_eq!(
        send(&app, post("/clock", &instructor, "action=jump&to=%2B1h20m&confirm=yes"))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &player)).await;
    assert!(inbox.contains(call), "{inbox}");
    let arrived = |live: &Live| {
        live.team(0)
            .arrivals()
            .into_iter()
            .find(|a| a.id == "ministry-follow-up")
            .map(|a| (a.at, a.how))
    };
    assert_eq!(
        arrived(&app.live),
        Some((detected_at + 30 * 60_000, atoll_sim::How::Condition))
    );
    let nora = sign_in(&app, "nora").await;
    let (_, _, nauru) = send(&app, get("/teams/nauru/inbox", &nora)).await;
    assert!(!nauru.contains(call), "Nauru found nothing");

    // A restarted server gives the stored detection back to a fresh world: the call comes at
    // the same moment.
    let clock = app.live.clock();
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
        clock,
        &ATOLL_RULES.0,
        &ATOLL_RULES.1,
    )
    .unwrap();
    let sent = app.db.inject_sends(app.live.exercise).await.unwrap();
    again
        .replay_facts(&app.db.detections(app.live.exercise).await.unwrap(), &sent, &[])
        .unwrap();
    again.tick(clock_now());
    assert_eq!(arrived(&again), arrived(&app.live));
    let without = Live::new(
        app.live.exercise,
        "Test".into(),
        &SCENARIO,
        &setup,
        clock,
        &ATOLL_RULES.0,
        &ATOLL_RULES.1,
    )
    .unwrap();
    without.tick(clock_now());
    assert_eq!(arrived(&without), None, "without the detection, no call");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_white_cell_s_actions_are_kept_in_an_audit_log_it_reads_and_takes_away() {
    let app = app_started(40_000).await;
    app.live.tick(clock_now());
    let instructor = sign_in(&app, "ines").await;
    let (_, _, empty) = send(&app, get("/audit", &instructor)).await;
    assert!(empty.contains("Nothing yet."), "{empty}");
    for (path, form) in [
        ("/clock", "action=pause"),
        ("/messages/inject", "inject=eviction-brief&team=palau"),
        ("/messages", "team=nauru&subject=Call+the+CERT&body=Now."),
        ("/teams/palau/timeline", "step=vt-stage&change=skip"),
        ("/scoreboard", "show=yes"),
        ("/clock", "action=resume"),
    ] {
        let (status, _, page) = send(&app, post(path, &instructor, form)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path} {form}: {page}");
    }
    // A refused change is not an action: nothing is logged for it.
    let (status, _, _) = send(&app, post("/clock", &instructor, "action=speed&speed=0")).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, _, page) = send(&app, get("/audit", &instructor)).await;
    assert_eq!(status, StatusCode::OK);
    let order: Vec<usize> = ["scoreboard.show", "step.skip", "message", "inject.send", "clock.pause"]
        .iter()
        .map(|a| {
            page.find(&format!("<code>{a}</code>"))
                .unwrap_or_else(|| panic!("{a}: {page}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "newest first: {order:?}");
    assert!(page.contains("sent inject `eviction-brief` by hand") && page.contains("message: Call the CERT"));
    assert!(page.contains("skip step `vt-stage`"), "{page}");
    assert!(
        page.contains("paused the clock at D1 "),
        "the clock entry says what it did"
    );

    // The export: every entry, oldest first, one JSON object per line, as a download.
    let (status, headers, text) = send(&app, get("/audit.jsonl", &instructor)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-disposition").is_some_and(|d| d.contains("atoll-audit.jsonl")));
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let actions: Vec<&str> = lines.iter().map(|l| l["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "clock.pause",
            "inject.send",
            "message",
            "step.skip",
            "scoreboard.show",
            "clock.resume"
        ]
    );
    assert!(lines.iter().all(|l| l["user"] == "ines"));
    assert_eq!(lines[1]["team"], "palau");
    assert_eq!(lines[3]["team"], "palau");
    assert!(lines[0]["exercise_time"].as_str().unwrap().starts_with("D1 "));
    assert_eq!(app.db.audit_log(app.live.exercise, None, 100).await.unwrap().len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_moves_the_wall_clock_and_hours_of_play_pass_without_waiting() {
    // Play starts now on a clock that stands still until moved (60×: a real minute is an
    // exercise hour).
    let app = app_on(
        0,
        &ATOLL_RULES.0,
        &ATOLL_RULES.1,
        false,
        atoll_app::Wall::fixed(1_780_000_000_000),
    )
    .await;
    assert_eq!(app.live.now(), 0);
    app.live.wall().advance(3 * 60_000);
    app.live.tick(app.live.wall_now());
    assert_eq!(app.live.now(), 3 * 3_600_000, "three hours of play");
    assert_eq!(app.live.team(0).reached(), 3 * 3_600_000, "Palau's world is there");
    // The white cell's clock changes read the same clock: paused at D1 11:30, it stays.
    let ines = sign_in(&app, "ines").await;
    let (status, _, _) = send(&app, post("/clock", &ines, "action=pause")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    app.live.wall().advance(60 * 60_000);
    assert_eq!(app.live.now(), 3 * 3_600_000, "paused");
    let (_, _, log) = send(&app, get("/audit", &ines)).await;
    assert!(log.contains("paused the clock at D1 11:30"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_marked_absent_is_not_scored_for_availability_and_the_board_says_so() {
    let app = app_started(60_000).await;
    app.live.tick(clock_now());
    let instructor = sign_in(&app, "ines").await;
    let keep = |app: &Arc<App<Sqlite>>| {
        let app = app.clone();
        async move {
            let records = atoll_app::score::records(&app, "palau").await.unwrap();
            let score = atoll_app::score::team_score(&app, 0, &records);
            let item = score
                .items
                .iter()
                .find(|i| i.expectation == "e-keep-internet")
                .cloned()
                .unwrap();
            (item, score.possible())
        }
    };
    let (before, possible) = keep(&app).await;
    assert_eq!(before.standing, atoll_exercise::score::Standing::Open, "{}", before.why);
    let (status, headers, _) = send(&app, post("/teams/palau/absent", &instructor, "absent=yes")).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (StatusCode::SEE_OTHER, Some("/board"))
    );
    let (absent, absent_possible) = keep(&app).await;
    assert_eq!(absent.standing, atoll_exercise::score::Standing::Unscored);
    assert_eq!(
        absent.why,
        "The white cell (ines) marked the team absent: availability is not scored."
    );
    assert_eq!(absent_possible, possible - before.max);
    let (_, _, board) = send(&app, get("/board", &instructor)).await;
    assert!(board.contains("<strong>Absent</strong> (marked by ines): availability not scored"));
    assert!(board.contains("Mark present"));
    // Present again: scored as before.
    send(&app, post("/teams/palau/absent", &instructor, "absent=no")).await;
    let (again, _) = keep(&app).await;
    assert_eq!(again.standing, atoll_exercise::score::Standing::Open);
    let audit = app.db.audit_log(app.live.exercise, None, 100).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "team.absent" && a.detail == "marked the team absent")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_player_cannot_bury_the_white_cell_in_messages() {
    use atoll_app::limits::PLAYER_MESSAGES;
    let app = app().await;
    let palau = sign_in(&app, "pita").await;
    for n in 0..PLAYER_MESSAGES {
        let form = format!("subject=Update+{n}&body=Still+looking+at+PT-WEB01.");
        assert_eq!(
            send(&app, post("/teams/palau/messages", &palau, &form)).await.0,
            StatusCode::SEE_OTHER,
            "message {n}"
        );
    }
    // One more is refused, saying why, with what was written given back.
    let (status, _, page) = send(
        &app,
        post("/teams/palau/messages", &palau, "subject=One+more&body=The+last+word."),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.contains("you have written 150 messages to the white cell") && page.contains("The last word."),
        "{page}"
    );
    // It is the inbox, the message back in its form, open.
    assert!(
        page.contains("<h1>Inbox — Palau</h1>")
            && page.contains("value=\"One more\"")
            && page.contains(">The last word.</textarea>")
            && page.contains("<details open><summary>Write to the white cell"),
        "{page}"
    );
    let stored = app.db.messages(app.live.exercise).await.unwrap();
    assert_eq!(stored.len(), PLAYER_MESSAGES as usize);
    // The form says so before it happens.
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &palau)).await;
    assert!(inbox.contains("You can write 0 more messages"), "{inbox}");
    // Another team writes as before.
    let nauru = sign_in(&app, "nora").await;
    assert_eq!(
        send(
            &app,
            post("/teams/nauru/messages", &nauru, "subject=Hello&body=Nauru+here.")
        )
        .await
        .0,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_timeline_shows_a_decision_and_the_option_taken() {
    // Six hours of play at 60×: the eviction decision reached Palau about 12:15 and, with no
    // choice made, its default (keep monitoring) was taken an hour later.
    let app = app_started(6 * 60_000).await;
    let instructor = sign_in(&app, "ines").await;
    let (status, _, page) = send(&app, get("/teams/palau/timeline", &instructor)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Decision put to the team") && page.contains("(d-evict-or-monitor)"),
        "{page}"
    );
    assert!(
        page.contains("Decision: «Keep monitoring»") && page.contains("default at the deadline"),
        "{page}"
    );
}
