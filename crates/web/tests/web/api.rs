//! Scripts driving the exercise through the JSON API, checked against the OpenAPI document's
//! schemas.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_script_runs_the_exercise_through_the_api_as_the_console_does() {
    let app = app_started(40_000).await;
    app.live.tick(clock_now());
    let (ines, pita) = (sign_in(&app, "ines").await, sign_in(&app, "pita").await);
    let (white, player) = (
        make_token(&app, &ines, "script").await,
        make_token(&app, &pita, "script").await,
    );

    // The clock: pause, a bad speed refused by field (nothing changes), jump, resume.
    let (status, clock) = call(&app, "POST", "/api/v1/clock", &white, Some(r#"{"action":"pause"}"#)).await;
    assert_eq!((status, clock["state"].as_str()), (StatusCode::OK, Some("paused")));
    let paused_at = clock["time"]["ms"].as_u64().unwrap();
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/clock",
        &white,
        Some(r#"{"action":"speed","speed":0}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["error"]["field"], "speed", "{problem}");
    assert_eq!(app.live.clock().speed, 60);
    let (status, problem) = call(&app, "POST", "/api/v1/clock", &white, Some(r#"{"action":"end"}"#)).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("confirm"))
    );
    let (status, clock) = call(
        &app,
        "POST",
        "/api/v1/clock",
        &white,
        Some(r#"{"action":"jump","to":"D1 10:30"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{clock}");
    assert_eq!(
        (clock["state"].as_str(), clock["time"]["label"].as_str()),
        (Some("paused"), Some("D1 10:30"))
    );
    assert!(clock["time"]["ms"].as_u64().unwrap() > paused_at);
    let (_, clock) = call(&app, "POST", "/api/v1/clock", &white, Some(r#"{"action":"resume"}"#)).await;
    assert_eq!(clock["state"], "running");

    // Bodies that are not what the operation takes are refused, saying where.
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/clock",
        &white,
        Some(r#"{"action":"pause","sped":2}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `sped`"),
        "{problem}"
    );
    let (status, problem) = call(&app, "POST", "/api/v1/clock", &white, Some("{\"action\":\n  pause}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["error"]["message"].as_str().unwrap().contains("line 2 column"),
        "{problem}"
    );

    // A message to one track of one team; a scenario inject; a campaign step delayed.
    let (status, sent) = call(
        &app,
        "POST",
        "/api/v1/messages",
        &white,
        Some(r#"{"team":"palau","track":"policy","subject":"Minister asks","body":"Brief the minister by noon."}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent.as_array().unwrap().len(), 1);
    assert_eq!(
        (sent[0]["team"].as_str(), sent[0]["track"].as_str()),
        (Some("palau"), Some("policy"))
    );
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/messages",
        &white,
        Some(r#"{"subject":"","body":"x"}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("subject"))
    );
    let (_, _, inbox) = send(&app, get("/teams/palau/inbox", &pita)).await;
    assert!(inbox.contains("Brief the minister by noon."), "the player reads it");
    let (status, sent) = call(
        &app,
        "POST",
        "/api/v1/injects",
        &white,
        Some(r#"{"inject":"news-rumour"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert!(!sent["sent"].as_array().unwrap().is_empty());
    let (status, again) = call(
        &app,
        "POST",
        "/api/v1/injects",
        &white,
        Some(r#"{"inject":"news-rumour"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, change) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/steps",
        &white,
        Some(r#"{"step":"vt-clear-logs","change":"delay:1h"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{change}");
    assert_eq!(
        (change["action"].as_str(), change["by"].as_str()),
        (Some("delay_step"), Some("ines"))
    );
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/steps",
        &white,
        Some(r#"{"step":"vt-prtg-creds","change":"delay:5h"}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("change"))
    );
    // The timeline shows the web shell step that ran and the delayed one still to come; a
    // player never gets it.
    let (status, timeline) = call(&app, "GET", "/api/v1/teams/palau/timeline", &white, None).await;
    assert_eq!(status, StatusCode::OK);
    let step = |id: &str| {
        timeline["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(step("vt-edge-exploit")["status"], "ran", "{timeline}");
    assert!(
        step("vt-edge-exploit")["at"]["label"]
            .as_str()
            .unwrap()
            .starts_with("D1 09:")
    );
    assert_eq!(step("vt-clear-logs")["status"], "to_come");
    assert!(
        timeline["injects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["inject"] == "news-rumour")
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/teams/palau/timeline", &player, None).await.0,
        StatusCode::FORBIDDEN
    );

    // The team acts through the API: the host by its name, then a case with a note and an
    // indicator. A bad target is refused by field and stores nothing.
    let stored = app.db.actions(app.live.exercise).await.unwrap().len();
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/actions",
        &player,
        Some(r#"{"action":"isolate_host","target":"NO-SUCH-HOST"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(app.db.actions(app.live.exercise).await.unwrap().len(), stored);
    let (status, action) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/actions",
        &player,
        Some(r#"{"action":"isolate_host","target":"pt-web01"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    assert_eq!(
        (action["action"].as_str(), action["by"].as_str()),
        (Some("isolate_host"), Some("pita"))
    );
    let (_, listed) = call(&app, "GET", "/api/v1/teams/palau/actions", &player, None).await;
    let words: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        words,
        ["isolate_host"],
        "the white cell's delay is not the team's to see"
    );
    let (_, listed) = call(&app, "GET", "/api/v1/teams/palau/actions", &white, None).await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "the white cell sees its change too"
    );
    let (status, case) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/cases",
        &player,
        Some(r#"{"title":"Web shell on PT-WEB01"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let case_path = format!("/api/v1/teams/palau/cases/{}/entries", case["id"]);
    let (status, case) = call(
        &app,
        "POST",
        &case_path,
        &player,
        Some(r#"{"kind":"indicator","indicator_kind":"ipv4","indicator":"203.0.113.45"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let (status, problem) = call(
        &app,
        "POST",
        &case_path,
        &player,
        Some(r#"{"kind":"indicator","indicator_kind":"ipv4","indicator":"not an address"}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("indicator"))
    );
    let entries: Vec<(&str, &str)> = case["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["body"].as_str().unwrap()))
        .collect();
    assert_eq!(entries, [("indicator", "ipv4\n203.0.113.45")]);

    // A report handed in through the API (a refused one names its field and stores nothing)
    // is graded through the API; the score says why, and the team reads the grade.
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/reports",
        &player,
        Some(r#"{"title":"Web shell","to":"the press","tlp":"TLP:AMBER","what":"w"}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("to"))
    );
    let (status, report) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/reports",
        &player,
        Some(r#"{"title":"Web shell","to":"national_cert","tlp":"TLP:AMBER","what":"A web shell on PT-WEB01.","indicators":"203.0.113.45"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(
        (report["by"].as_str(), report["content"]["indicators"].as_str()),
        (Some("pita"), Some("203.0.113.45"))
    );
    assert!(report["grade"].is_null());
    let (_, queue) = call(&app, "GET", "/api/v1/grading", &white, None).await;
    let item = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["subject"] == "Web shell")
        .unwrap()
        .clone();
    assert!(item["grade"].is_null());
    let criterion = item["criteria"][0]["id"].as_str().unwrap().to_owned();
    let max = item["criteria"][0]["max"].as_u64().unwrap();
    let grade_path = format!("/api/v1/grading/{}", item["id"]);
    let too_many = format!(r#"{{"points":{{"{criterion}":{}}}}}"#, max + 1);
    let (status, problem) = call(&app, "POST", &grade_path, &white, Some(&too_many)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["error"]["field"], format!("points.{criterion}"));
    let full = format!(r#"{{"points":{{"{criterion}":{max}}},"comment":"Clear and on time."}}"#);
    let (status, graded) = call(&app, "POST", &grade_path, &white, Some(&full)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(graded["grade"]["points"][&criterion].as_u64(), Some(max));
    assert_eq!(graded["grade"]["total"].as_u64(), Some(max));
    assert_eq!(graded["grade"]["comment"], "Clear and on time.");
    let (_, reports) = call(&app, "GET", "/api/v1/teams/palau/reports", &player, None).await;
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 1, "the refused report was not stored");
    assert_eq!(reports[0]["grade"]["comment"], "Clear and on time.");
    // The team reads its total, not the points per expectation, as on the page: those name
    // campaign steps that may not have happened yet. The white cell reads both.
    assert_eq!(reports[0]["grade"]["total"].as_u64(), Some(max));
    assert!(reports[0]["grade"].get("points").is_none(), "{}", reports[0]);
    let (_, staff_view) = call(&app, "GET", "/api/v1/teams/palau/reports", &white, None).await;
    assert_eq!(staff_view[0]["grade"]["points"][&criterion].as_u64(), Some(max));
    let (_, score) = call(&app, "GET", "/api/v1/teams/palau/score", &player, None).await;
    let item = score["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["expectation"] == criterion.as_str())
        .unwrap();
    assert_eq!(
        (item["points"].as_u64(), item["standing"].as_str()),
        (Some(max), Some("earned")),
        "{item}"
    );
    assert!(!item["why"].as_str().unwrap().is_empty());
    assert!(
        score["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["standing"] == "earned" || i["standing"] == "missed"),
        "players see settled items only"
    );

    // People: an observer made to follow Palau only, a team that does not exist refused by
    // field; an invitation whose link opens the join page, bad hours refused by field.
    let olga = app.db.user_by_name("olga").await.unwrap().unwrap().0.id;
    let follows = format!("/api/v1/people/{olga}/follows");
    let (status, people) = call(&app, "POST", &follows, &white, Some(r#"{"teams":["palau"]}"#)).await;
    assert_eq!(status, StatusCode::OK);
    let olga_row = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["username"] == "olga")
        .unwrap();
    assert_eq!(olga_row["follows"], serde_json::json!(["palau"]));
    let (status, problem) = call(&app, "POST", "/api/v1/people/999/end", &white, None).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::NOT_FOUND, Some("user"))
    );
    let (status, problem) = call(&app, "POST", &follows, &white, Some(r#"{"teams":["atlantis"]}"#)).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("team"))
    );
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/invitations",
        &white,
        Some(r#"{"as":"observer","hours":5}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("hours"))
    );
    let (status, invitation) = call(
        &app,
        "POST",
        "/api/v1/invitations",
        &white,
        Some(r#"{"as":"observer","hours":1}"#),
    )
    .await;
    assert_eq!(
        (status, invitation["role"].as_str()),
        (StatusCode::CREATED, Some("observer"))
    );
    let link = invitation["link"].as_str().unwrap();
    let path = &link[link.find("/invite/").unwrap()..];
    let (status, _, page) = send(&app, Request::get(path).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{page}");

    // The board agrees with the score and lists every team for the white cell.
    let (_, board) = call(&app, "GET", "/api/v1/board", &white, None).await;
    let teams: Vec<&str> = board["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = SCENARIO.player_teams().map(|t| t.id.name.clone()).collect();
    assert_eq!(teams, expected);
    assert_eq!(board["teams"][0]["score"]["total"], score["total"]);
    assert!(board["teams"][0]["events"].as_u64().unwrap() > 0);
    assert_eq!(board["teams"][0]["online"], serde_json::json!(["pita"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_reads_alerts_and_questions_judges_and_answers_through_the_api() {
    // Forty minutes of play with atoll's rules: the web shell's upload raised alerts in Palau.
    let app = app_with(40_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    // Paused, so that what is available at D1 09:10 does not depend on how fast this runs.
    let ines = sign_in(&app, "ines").await;
    assert_eq!(
        send(&app, post("/clock", &ines, "action=pause")).await.0,
        StatusCode::SEE_OTHER
    );
    let pita = sign_in(&app, "pita").await;
    let token = make_token(&app, &pita, "pita").await;
    let olga = sign_in(&app, "olga").await;
    let observer = make_token(&app, &olga, "olga").await;

    // The queue's filters, as query parameters; the same alerts the page lists.
    let (status, page) = call(&app, "GET", "/api/v1/teams/palau/alerts?q=aspnet_client", &token, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, _, html) = send(&app, get("/teams/palau?q=aspnet_client", &pita)).await;
    let numbers: Vec<usize> = page["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["number"].as_u64().unwrap() as usize)
        .collect();
    assert!(!numbers.is_empty());
    assert_eq!(numbers, listed(&html), "the page and the API list the same alerts");
    assert_eq!(page["matching"].as_u64().unwrap() as usize, matching(&html));
    let shell = &page["alerts"][0];
    assert_eq!(shell["state"], "new");
    assert!(shell["rule"].as_str().unwrap().contains("aspnet_client"), "{shell}");
    assert_eq!(shell["host"], "PT-WEB01");

    // Bad filters and verdicts are refused by field, and change nothing.
    let (status, problem) = call(&app, "GET", "/api/v1/teams/palau/alerts?level=loud", &token, None).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("level"))
    );
    let path = format!("/api/v1/teams/palau/alerts/{}/verdict", numbers[0]);
    let (status, problem) = call(&app, "POST", &path, &token, Some(r#"{"state":"guilty"}"#)).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("state"))
    );
    let (status, _) = call(&app, "POST", &path, &observer, Some(r#"{"state":"true_positive"}"#)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "observers do not judge");
    let (status, _) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/alerts/99999999/verdict",
        &token,
        Some(r#"{"state":"true_positive"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.db.triages(app.live.exercise, "palau").await.unwrap().is_empty());

    // A verdict: stored as the console stores it, the step behind it detected.
    let (status, judged) = call(
        &app,
        "POST",
        &path,
        &token,
        Some(r#"{"state":"true_positive","note":"web shell"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{judged}");
    assert_eq!(
        (judged["state"].as_str(), judged["judged_by"].as_str()),
        (Some("true_positive"), Some("pita"))
    );
    assert_eq!(judged["number"], shell["number"]);
    let stored = app.db.triages(app.live.exercise, "palau").await.unwrap();
    assert!(
        !stored.is_empty()
            && stored
                .iter()
                .all(|t| t.state == "true_positive" && t.note == "web shell")
    );
    let detections = app.db.detections(app.live.exercise).await.unwrap();
    assert_eq!(detections.len(), 1);
    assert_eq!(detections[0].step, "vt-edge-exploit");
    let (_, open) = call(
        &app,
        "GET",
        "/api/v1/teams/palau/alerts?q=aspnet_client&state=open",
        &token,
        None,
    )
    .await;
    assert!(
        open["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["number"] != shell["number"]),
        "no longer open: {open}"
    );

    // A hunt: the events found, with their fields and row; or the table of its stages.
    let (status, found) = call(&app, "GET", "/api/v1/teams/palau/hunt?q=aspnet_client", &token, None).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let events = found["events"].as_array().unwrap();
    assert!(!events.is_empty() && found["table"].is_null());
    assert!(
        events
            .iter()
            .any(|e| e["cs-uri-stem"] == "/aspnet_client/upload.aspx" && e["row"].is_u64()),
        "{found}"
    );
    assert_eq!(
        found["matched"].as_u64().unwrap() as usize,
        found["total"].as_u64().unwrap() as usize
    );
    let (status, table) = call(
        &app,
        "GET",
        "/api/v1/teams/palau/hunt?q=%7C+stats+count+by+log",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{table}");
    assert_eq!(table["table"]["columns"], serde_json::json!(["log", "count"]));
    assert!(table["events"].is_null());
    let (status, problem) = call(&app, "GET", "/api/v1/teams/palau/hunt?q=%7C+stats", &token, None).await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("q")),
        "{problem}"
    );

    // The team's own rules and saved searches, as its pages made them.
    let form = rule_form(SIGN_IN_RULE, "on");
    assert_eq!(
        send(&app, post("/teams/palau/rules", &pita, &form)).await.0,
        StatusCode::SEE_OTHER
    );
    let saved = "q=aspnet_client&name=Web+shells";
    assert_eq!(
        send(&app, post("/teams/palau/searches", &pita, saved)).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, rules) = call(&app, "GET", "/api/v1/teams/palau/rules", &token, None).await;
    assert_eq!(rules.as_array().unwrap().len(), 1, "{rules}");
    assert_eq!(
        (rules[0]["title"].as_str(), rules[0]["by"].as_str()),
        (Some("Successful sign-in"), Some("pita"))
    );
    assert!(
        rules[0]["off"].is_null()
            && rules[0]["problem"].is_null()
            && rules[0]["yaml"].as_str().unwrap().contains("4624")
    );
    let (_, searches) = call(&app, "GET", "/api/v1/teams/palau/searches", &token, None).await;
    assert_eq!(
        searches,
        serde_json::json!([{"id": searches[0]["id"], "name": "Web shells", "query": "aspnet_client", "by": "pita"}])
    );

    // The inbox: the injects that reached the team, with attachments, and its messages.
    let message = "team=palau&subject=Call+the+CERT&body=Now.";
    assert_eq!(
        send(&app, post("/messages", &ines, message)).await.0,
        StatusCode::SEE_OTHER
    );
    let (status, inbox) = call(&app, "GET", "/api/v1/teams/palau/inbox", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    let advisory = inbox["injects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "partner-advisory")
        .unwrap_or_else(|| panic!("the advisory reached Palau at D1 08:45: {inbox}"));
    assert_eq!(
        (advisory["channel"].as_str(), advisory["track"].as_str()),
        (Some("email"), Some("technical"))
    );
    assert!(
        advisory["attachments"][0]["content"]
            .as_str()
            .unwrap()
            .contains("198.51.100.77"),
        "{advisory}"
    );
    assert!(
        !inbox["injects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == "ministry-call"),
        "D1 13:00, not yet"
    );
    assert_eq!(inbox["messages"][0]["subject"], "Call the CERT");
    assert!(
        inbox["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["team"] == "palau")
    );

    // Questions: those put to the team so far, with their forms.
    let (status, questions) = call(&app, "GET", "/api/v1/teams/palau/questions", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = questions
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"q-telemetry-sources"), "{questions}");
    assert!(
        !ids.contains(&"q-declare-incident"),
        "asked at D1 11:00, not yet: {ids:?}"
    );
    let q = questions
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "q-telemetry-sources")
        .unwrap();
    assert_eq!(
        (q["form"].as_str(), q["multiple"].as_bool()),
        (Some("choice"), Some(true))
    );
    assert!(q["options"].as_array().unwrap().iter().any(|o| o["id"] == "process"));
    assert!(q["answer"].is_null());
    let answer = "/api/v1/teams/palau/questions/q-telemetry-sources/answer";
    for (body, field) in [
        (r#"{"text":"the web log"}"#, "choices"),
        (r#"{"choices":["nope"]}"#, "choices"),
    ] {
        let (status, problem) = call(&app, "POST", answer, &token, Some(body)).await;
        assert_eq!(
            (status, problem["error"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{body}: {problem}"
        );
    }
    let (status, problem) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/questions/q-declare-incident/answer",
        &token,
        Some(r#"{"text":"now"}"#),
    )
    .await;
    assert_eq!(
        (status, problem["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("question")),
        "{problem}"
    );
    let (status, _) = call(&app, "POST", answer, &observer, Some(r#"{"choices":["iis"]}"#)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        app.db
            .submissions(app.live.exercise, Some("palau"))
            .await
            .unwrap()
            .is_empty(),
        "nothing stored"
    );
    let (status, answered) = call(&app, "POST", answer, &token, Some(r#"{"choices":["iis","process"]}"#)).await;
    assert_eq!(status, StatusCode::CREATED, "{answered}");
    let given = &answered["answer"];
    assert_eq!(
        (given["by"].as_str(), given["choices"][1].as_str()),
        (Some("pita"), Some("process"))
    );
    assert_eq!(
        given["grade"]["earned"], given["grade"]["max"],
        "both right options, graded at once: {given}"
    );
    let (status, problem) = call(&app, "POST", answer, &token, Some(r#"{"choices":["iis"]}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already answered"),
        "{problem}"
    );

    // Hints: none yet; at D1 10:30, the web shell's (half an hour after it) and the one for the
    // question about its address (asked an hour after it).
    let (_, hints) = call(&app, "GET", "/api/v1/teams/palau/hints", &token, None).await;
    assert_eq!(hints, serde_json::json!([]), "nothing available at D1 09:10");
    let jump = "action=jump&to=D1+10%3A30&confirm=yes";
    assert_eq!(send(&app, post("/clock", &ines, jump)).await.0, StatusCode::SEE_OTHER);
    let (status, hints) = call(&app, "GET", "/api/v1/teams/palau/hints", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    let numbers: Vec<u64> = hints
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 3], "{hints}");
    assert!(
        hints[0]["question"].is_null(),
        "an expectation's hint does not say what it is for"
    );
    assert_eq!(hints[1]["question"], "q-edge-indicators");
    assert!(
        hints.as_array().unwrap().iter().all(|h| h["text"].is_null()),
        "closed: no text"
    );
    let (status, _) = call(&app, "POST", "/api/v1/teams/palau/hints/3/open", &observer, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(&app, "POST", "/api/v1/teams/palau/hints/99/open", &token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, opened) = call(&app, "POST", "/api/v1/teams/palau/hints/3/open", &token, None).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    assert_eq!(
        (opened["opened_by"].as_str(), opened["penalty"].as_u64()),
        (Some("pita"), Some(10))
    );
    assert!(!opened["text"].as_str().unwrap().is_empty());
    let stored = app.db.hints_opened(app.live.exercise, Some("palau")).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].hint, "h-indicators");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_does_through_the_api_what_a_team_does_on_its_workspace_pages() {
    // Four hours of play with the default pack: Palau has alerts to judge and suppress.
    let app = app_with_pack(240_000).await;
    app.live.tick(clock_now());
    let (ines, pita) = (sign_in(&app, "ines").await, sign_in(&app, "pita").await);
    let (white, player) = (
        make_token(&app, &ines, "script").await,
        make_token(&app, &pita, "script").await,
    );
    use StatusCode as S;

    // One alert, by the number the list gives it.
    let (status, list) = call(&app, "GET", "/api/v1/teams/palau/alerts", &player, None).await;
    assert_eq!(status, S::OK);
    let first = &list["alerts"][0];
    let number = first["number"].as_u64().unwrap();
    let (status, one) = call(
        &app,
        "GET",
        &format!("/api/v1/teams/palau/alerts/{number}"),
        &player,
        None,
    )
    .await;
    assert_eq!(status, S::OK);
    assert_eq!((&one["rule"], &one["host"]), (&first["rule"], &first["host"]));

    // A verdict for every alert of one rule on one host: refused when the count it expects
    // is not the count now, then taken, and the list agrees.
    let (rule, host) = (first["rule"].as_str().unwrap(), first["host"].as_str().unwrap());
    let query = serde_urlencoded::to_string([("rule", rule), ("host", host), ("state", "open")]).unwrap();
    let (_, selected) = call(
        &app,
        "GET",
        &format!("/api/v1/teams/palau/alerts?{query}"),
        &player,
        None,
    )
    .await;
    let open = selected["matching"].as_u64().unwrap();
    assert!(open > 0, "{selected}");
    let filter = serde_json::json!({"rule": rule, "host": host, "state": "open"});
    let body = |expect: u64| {
        serde_json::json!({"filter": filter, "state": "investigating", "note": "looking", "expect": expect}).to_string()
    };
    let (status, refused) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/alerts/verdicts",
        &player,
        Some(&body(open + 1)),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (S::BAD_REQUEST, Some("filter")),
        "{refused}"
    );
    let (status, done) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/alerts/verdicts",
        &player,
        Some(&body(open)),
    )
    .await;
    assert_eq!((status, done["judged"].as_u64()), (S::OK, Some(open)), "{done}");
    let judged = serde_urlencoded::to_string([("rule", rule), ("host", host), ("state", "investigating")]).unwrap();
    let (_, now) = call(
        &app,
        "GET",
        &format!("/api/v1/teams/palau/alerts?{judged}"),
        &player,
        None,
    )
    .await;
    assert_eq!(now["matching"].as_u64(), Some(open));

    // Those alerts into a new case, once each.
    let (status, case) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/cases",
        &player,
        Some(r#"{"title":"What the first alert is"}"#),
    )
    .await;
    assert_eq!(
        (status, case["entries"].as_array().map(Vec::len)),
        (S::CREATED, Some(0))
    );
    let id = case["id"].as_i64().unwrap();
    let link = serde_json::json!({"filter": {"rule": rule, "host": host, "state": "investigating"}}).to_string();
    let path = format!("/api/v1/teams/palau/cases/{id}/alerts");
    let (status, linked) = call(&app, "POST", &path, &player, Some(&link)).await;
    assert_eq!(status, S::OK, "{linked}");
    let entries = linked["entries"].as_array().unwrap().len();
    assert_eq!(entries as u64, open.min(200));
    let (_, again) = call(&app, "POST", &path, &player, Some(&link)).await;
    assert_eq!(again["entries"].as_array().unwrap().len(), entries, "none twice");
    let (status, cases) = call(&app, "GET", "/api/v1/teams/palau/cases", &player, None).await;
    assert_eq!(status, S::OK);
    assert_eq!(cases[0]["id"].as_i64(), Some(id));
    assert_eq!(cases[0]["alerts"].as_u64(), Some(entries as u64));

    // A suppression of that rule on that host hides them; ended, it hides nothing.
    let asked = serde_json::json!({"rule": rule, "host": host, "reason": "known scanner"}).to_string();
    let (status, made) = call(&app, "POST", "/api/v1/teams/palau/suppressions", &player, Some(&asked)).await;
    assert_eq!(status, S::CREATED, "{made}");
    assert!(made["hides"].as_u64().unwrap() >= open, "{made}");
    assert_eq!(made["conditions"][0]["value"].as_str(), Some(host));
    let sid = made["id"].as_i64().unwrap();
    let (_, listed) = call(&app, "GET", "/api/v1/teams/palau/suppressions", &player, None).await;
    assert_eq!(listed[0]["id"].as_i64(), Some(sid));
    let (status, ended) = call(
        &app,
        "POST",
        &format!("/api/v1/teams/palau/suppressions/{sid}/end"),
        &player,
        None,
    )
    .await;
    assert_eq!(status, S::OK);
    assert_eq!(
        (ended[0]["ended_by"].as_str(), ended[0]["hides"].as_u64()),
        (Some("pita"), Some(0))
    );

    // The team's own rule: tested (stores nothing; no ground truth for players while play
    // goes on), on and off; a rule that does not compile says where.
    let yaml = serde_json::json!({"yaml": SIGN_IN_RULE}).to_string();
    let (status, tested) = call(&app, "POST", "/api/v1/teams/palau/rules/test", &player, Some(&yaml)).await;
    assert_eq!(status, S::OK, "{tested}");
    assert!(
        tested["matched"].as_u64().unwrap() > 0 && tested["truth"].is_null(),
        "{tested}"
    );
    assert!(!tested["newest"].as_array().unwrap().is_empty());
    let (status, on) = call(&app, "POST", "/api/v1/teams/palau/rules", &player, Some(&yaml)).await;
    assert_eq!(
        (status, on["title"].as_str()),
        (S::CREATED, Some("Successful sign-in")),
        "{on}"
    );
    let (status, bad) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/rules",
        &player,
        Some(r#"{"yaml":"title: x\ndetection: {condition: nothing}\n"}"#),
    )
    .await;
    assert_eq!((status, bad["error"]["field"].as_str()), (S::BAD_REQUEST, Some("yaml")));
    assert!(bad["error"]["message"].as_str().unwrap().contains("line "), "{bad}");
    let rid = on["id"].as_i64().unwrap();
    let (status, rules) = call(
        &app,
        "POST",
        &format!("/api/v1/teams/palau/rules/{rid}/off"),
        &player,
        None,
    )
    .await;
    assert_eq!(status, S::OK);
    let off = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_i64() == Some(rid))
        .unwrap();
    assert_eq!(off["off_by"].as_str(), Some("pita"));

    // A saved search, and gone again.
    let (status, saved) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/searches",
        &player,
        Some(r#"{"name":"web shells","q":"aspnet_client"}"#),
    )
    .await;
    assert_eq!(status, S::CREATED);
    let search = saved
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "web shells")
        .unwrap();
    let path = format!("/api/v1/teams/palau/searches/{}/delete", search["id"]);
    let (status, left) = call(&app, "POST", &path, &player, None).await;
    assert_eq!(status, S::OK);
    assert!(left.as_array().unwrap().iter().all(|s| s["name"] != "web shells"));
    let (status, bad) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/searches",
        &player,
        Some(r#"{"name":"broken","q":"Image:\"unclosed"}"#),
    )
    .await;
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (S::BAD_REQUEST, Some("q")),
        "{bad}"
    );

    // A message to the white cell, which reads it.
    let (status, sent) = call(
        &app,
        "POST",
        "/api/v1/teams/palau/messages",
        &player,
        Some(r#"{"subject":"Portal isolated","body":"We cut PT-WEB01 off at 10:05."}"#),
    )
    .await;
    assert_eq!((status, sent["to_team"].as_bool()), (S::CREATED, Some(false)), "{sent}");
    let (_, messages) = call(&app, "GET", "/api/v1/messages", &white, None).await;
    assert!(
        messages
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == sent["id"] && m["subject"] == "Portal isolated"),
        "{messages}"
    );

    // The network: services with their availability, hosts with the ids actions take.
    let (status, network) = call(&app, "GET", "/api/v1/teams/palau/network", &player, None).await;
    assert_eq!(status, S::OK);
    assert!(!network["services"].as_array().unwrap().is_empty());
    let web = network["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["hostname"] == "PT-WEB01");
    assert!(
        web.is_some_and(|h| h["state"] == "normal" && !h["id"].as_str().unwrap().is_empty()),
        "{network}"
    );

    // The scoreboard: refused to players until the white cell shows it, then every team.
    let (status, _) = call(&app, "GET", "/api/v1/scoreboard", &player, None).await;
    assert_eq!(status, S::FORBIDDEN);
    let (status, _) = call(&app, "POST", "/api/v1/scoreboard", &white, Some(r#"{"show":true}"#)).await;
    assert_eq!(status, S::OK);
    let (status, board) = call(&app, "GET", "/api/v1/scoreboard", &player, None).await;
    assert_eq!((status, board["shown"].as_bool()), (S::OK, Some(true)));
    let lines = board["teams"].as_array().unwrap();
    assert_eq!(lines.len(), SCENARIO.player_teams().count());
    assert_eq!(lines[0]["rank"], 1);
    assert!(
        lines
            .windows(2)
            .all(|w| w[0]["percent"].as_u64() >= w[1]["percent"].as_u64()),
        "{board}"
    );

    // The white cell's catalog of rules: found by words, switched on, and saying who did.
    let (status, found) = call(
        &app,
        "GET",
        "/api/v1/detection?show=off&q=Cleartext+Protocol",
        &white,
        None,
    )
    .await;
    assert_eq!(status, S::OK, "{found}");
    let rule = found["rules"][0]["id"].as_str().unwrap().to_owned();
    assert!(!rule.is_empty() && found["rules"][0]["on"] == false, "{found}");
    let (status, switched) = call(
        &app,
        "POST",
        &format!("/api/v1/detection/{rule}"),
        &white,
        Some(r#"{"on":true}"#),
    )
    .await;
    assert_eq!((status, switched["on"].as_bool()), (S::OK, Some(true)));
    let (_, now) = call(
        &app,
        "GET",
        "/api/v1/detection?show=on&q=Cleartext+Protocol",
        &white,
        None,
    )
    .await;
    let line = now["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == rule.as_str())
        .unwrap();
    assert!(line["why"].as_str().unwrap().starts_with("turned on by ines"), "{line}");

    // A token made through the API works, and once revoked does not.
    let (status, made) = call(
        &app,
        "POST",
        "/api/v1/account/tokens",
        &player,
        Some(r#"{"name":"second","days":1}"#),
    )
    .await;
    assert_eq!(status, S::CREATED, "{made}");
    let second = made["token"].as_str().unwrap().to_owned();
    let (status, _) = call(&app, "GET", "/api/v1/teams/palau/cases", &second, None).await;
    assert_eq!(status, S::OK);
    let id = made["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "second")
        .unwrap()["id"]
        .clone();
    let (status, _) = call(
        &app,
        "POST",
        &format!("/api/v1/account/tokens/{id}/revoke"),
        &player,
        None,
    )
    .await;
    assert_eq!(status, S::OK);
    let (status, _) = call(&app, "GET", "/api/v1/teams/palau/cases", &second, None).await;
    assert_eq!(status, S::UNAUTHORIZED);

    // The white cell: the exercises in the database, and this one running.
    let (status, exercises) = call(&app, "GET", "/api/v1/exercises", &white, None).await;
    assert_eq!(status, S::OK);
    let running: Vec<_> = exercises
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["running"] == true)
        .collect();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0]["id"].as_i64(), Some(app.live.exercise));
}
