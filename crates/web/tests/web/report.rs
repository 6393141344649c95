//! The after-action report: the white cell's whole report, lessons and the improvement plan,
//! and each team's own report once released.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_white_cell_writes_lessons_and_releases_each_teams_report_to_it_alone() {
    let app = app_started(2 * 60_000).await;
    app.live.tick(clock_now());
    let ines = sign_in(&app, "ines").await;
    let pita = sign_in(&app, "pita").await;

    // Held back at first: a player reads only that it is not out yet.
    let (status, _, page) = send(&app, get("/teams/palau/report", &pita)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("has not released"), "{page}");
    assert!(!page.contains("Time to detect"), "{page}");
    let (status, _, _) = send(&app, get("/teams/palau/report/download?format=json", &pita)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, get("/report", &pita)).await.0, StatusCode::FORBIDDEN);
    // Nor can it write lessons into a report it cannot read yet.
    let early = "objective=&kind=observation&text=Written+before+the+release";
    assert_eq!(
        send(&app, post("/teams/palau/lessons", &pita, early)).await.0,
        StatusCode::FORBIDDEN
    );

    // The white cell's report: every team, side by side, with charts drawn in the page.
    let (status, _, page) = send(&app, get("/report", &ines)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Palau") && page.contains("Nauru") && page.contains("<svg"),
        "{page}"
    );
    assert!(page.contains("Play is still on"), "{page}");

    // An observer reads it too, without the white cell's switch, and cannot release it.
    let olga = sign_in(&app, "olga").await;
    let (status, _, page) = send(&app, get("/report", &olga)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Palau") && !page.contains("Release each team"), "{page}");
    assert!(
        page.contains(r#"<a href="/report">Report</a>"#),
        "the navigation links it"
    );
    assert_eq!(
        send(&app, post("/report/release", &olga, "release=yes")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, post("/lessons", &olga, "kind=strength&text=Well+played"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // A lesson with a bad field is refused by name, and what was typed comes back.
    let bad = "objective=&kind=action&text=Log+the+portal%27s+uploads&owner=Palau+CERT&due=31%2F03%2F2027";
    let (status, _, page) = send(&app, post("/lessons", &ines, bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("due:") && page.contains("YYYY-MM-DD"), "{page}");
    assert!(
        page.contains("Log the portal&#39;s uploads") || page.contains("Log the portal's uploads"),
        "{page}"
    );
    assert!(
        app.db.lessons(app.live.exercise).await.unwrap().is_empty(),
        "nothing stored"
    );
    let good = "objective=&kind=action&text=Run+the+exercise+again+in+2027&owner=Programme+office&due=2027-06-30";
    assert_eq!(send(&app, post("/lessons", &ines, good)).await.0, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&app, get("/report", &ines)).await;
    assert!(
        page.contains("Run the exercise again in 2027") && page.contains("2027-06-30"),
        "{page}"
    );

    // Released: each team reads its own report, and only its own.
    assert_eq!(
        send(&app, post("/report/release", &ines, "release=yes")).await.0,
        StatusCode::SEE_OTHER
    );
    let (status, _, page) = send(&app, get("/teams/palau/report", &pita)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("After-action report — Palau"), "{page}");
    assert!(
        !page.contains("Run the exercise again in 2027"),
        "the exercise's lessons are the white cell's"
    );
    assert!(
        page.contains(r#"href="/teams/palau/report">Report</a>"#),
        "the navigation links it now"
    );
    assert_eq!(
        send(&app, get("/teams/nauru/report", &pita)).await.0,
        StatusCode::FORBIDDEN
    );
    // The team writes its own lessons; another team's player cannot.
    let strength = "objective=obj-detect-lotl&kind=strength&text=Found+the+web+shell+through+the+queue%27s+filters";
    assert_eq!(
        send(&app, post("/teams/palau/lessons", &pita, strength)).await.0,
        StatusCode::SEE_OTHER
    );
    let nora = sign_in(&app, "nora").await;
    assert_eq!(
        send(&app, post("/teams/palau/lessons", &nora, strength)).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, _, page) = send(&app, get("/teams/palau/report", &pita)).await;
    assert!(page.contains("Found the web shell through the queue"), "{page}");

    // The downloads: JSON of this team alone, a Navigator layer, a STIX bundle, one HTML file.
    let (status, headers, json) = send(&app, get("/teams/palau/report/download?format=json", &pita)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-disposition").unwrap().contains("attachment"));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let teams = report["teams"].as_array().unwrap();
    assert_eq!((teams.len(), teams[0]["id"].as_str()), (1, Some("palau")));
    let (_, _, layer) = send(&app, get("/teams/palau/report/download?format=navigator", &pita)).await;
    let layer: serde_json::Value = serde_json::from_str(&layer).unwrap();
    assert_eq!(layer["versions"]["layer"], "4.5", "{layer}");
    let (_, _, bundle) = send(&app, get("/teams/palau/report/download?format=stix", &pita)).await;
    let bundle: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    assert_eq!(bundle["type"], "bundle", "{bundle}");
    let (_, _, file) = send(&app, get("/teams/palau/report/download?format=html", &pita)).await;
    assert!(
        file.starts_with("<!") && !file.contains("<script") && !file.contains("https://"),
        "{file}"
    );
    assert!(
        file.contains("Found the web shell through the queue"),
        "the team's lessons are in its document"
    );
    assert!(
        !file.contains("Run the exercise again in 2027"),
        "the exercise's are not"
    );
    let (_, _, whole) = send(&app, get("/report/download?format=html", &ines)).await;
    assert!(
        whole.contains("Run the exercise again in 2027") && whole.contains("Found the web shell through the queue")
    );
    // The same report as PDF; a format that does not exist is refused.
    let (status, _, pdf) = send(&app, get("/teams/palau/report/download?format=pdf", &pita)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with("%PDF-"), "a PDF file");
    let (status, _, _) = send(&app, get("/teams/palau/report/download?format=docx", &pita)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Held back again: gone for the players; the audit log says who did what.
    send(&app, post("/report/release", &ines, "release=no")).await;
    assert_eq!(
        send(&app, get("/teams/palau/report", &pita)).await.0,
        StatusCode::FORBIDDEN
    );
    let audit = app.db.audit_log(app.live.exercise, None, 100).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "report.release" && a.detail == "released the teams' reports")
    );
    assert!(
        audit
            .iter()
            .any(|a| a.action == "lesson.add" && a.team.as_deref() == Some("palau"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_tells_what_the_team_did_in_every_format() {
    // Forty minutes in: the web shell (about D1 09:00) has raised its alerts.
    let app = app_with(40_000, &ATOLL_RULES.0, &ATOLL_RULES.1).await;
    app.live.tick(clock_now());
    let pita = sign_in(&app, "pita").await;
    let title = "Script+Page+Uploaded+Or+Run+Under+IIS+aspnet_client+Folder";
    let marked = format!("rule={title}&host=PT-WEB01&verdict=true_positive&note=web+shell");
    assert_eq!(
        send(&app, post("/teams/palau/alerts/bulk", &pita, &marked)).await.0,
        StatusCode::SEE_OTHER
    );
    let sent = "title=Web+shell+on+the+portal&to=national_cert&tlp=TLP%3AAMBER&what=A+web+shell+on+PT-WEB01\
                &indicators=203.0.113.45%0Aevil.example";
    assert_eq!(
        send(&app, post("/teams/palau/reports", &pita, sent)).await.0,
        StatusCode::SEE_OTHER
    );
    let ines = sign_in(&app, "ines").await;

    let (_, _, json) = send(&app, get("/teams/palau/report/download?format=json", &ines)).await;
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let palau = &report["teams"][0];
    let step = palau["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "vt-edge-exploit")
        .unwrap();
    assert_eq!(step["status"], "ran", "{step}");
    let (ran, detected) = (
        step["at"]["ms"].as_u64().unwrap(),
        step["detected"]["ms"].as_u64().unwrap(),
    );
    assert!(detected >= ran, "{step}");
    assert_eq!(step["detect_within_ms"], 2 * 3_600_000, "the scenario's `within: 2h`");
    let technique = palau["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "T1190")
        .unwrap();
    assert_eq!(technique["outcome"], "detected");
    assert!(palau["triage"]["true_positives"].as_u64().unwrap() >= 1);
    let kinds: Vec<&str> = palau["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"detection") && kinds.contains(&"report"), "{kinds:?}");
    assert_eq!(
        palau["reports"][0]["indicators"],
        serde_json::json!(["203.0.113.45", "evil.example"])
    );
    // The score earned it: the detection line, with its reason.
    let line = palau["score"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["expectation"] == "e-detect-webshell")
        .unwrap();
    assert_eq!(
        (line["standing"].as_str(), line["points"].as_u64()),
        (Some("earned"), Some(100)),
        "{line}"
    );

    // The same facts in the other formats.
    let (_, _, page) = send(&app, get("/teams/palau/report", &ines)).await;
    assert!(
        page.contains("Web shell on the portal") && page.contains("203.0.113"),
        "{page}"
    );
    let (_, _, layer) = send(&app, get("/teams/palau/report/download?format=navigator", &ines)).await;
    let layer: serde_json::Value = serde_json::from_str(&layer).unwrap();
    let scored = layer["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["techniqueID"] == "T1190")
        .unwrap();
    assert_eq!(scored["tactic"], "initial-access", "{scored}");
    assert!(scored["score"].as_u64().unwrap() > 0, "{scored}");
    let (_, _, stix) = send(&app, get("/teams/palau/report/download?format=stix", &ines)).await;
    assert!(stix.contains("[ipv4-addr:value = '203.0.113.45']"), "{stix}");
    assert!(stix.contains("[domain-name:value = 'evil.example']"), "{stix}");
}
