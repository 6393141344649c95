//! The briefing, first page after a first sign-in and always one click away: what the exercise
//! is (the scenario's own summary, audience, tracks and objectives — nothing of the attack),
//! who is on the team, what to do in the first fifteen minutes, how each kind of point is
//! earned (from the expectations that apply to the team), and a glossary written for an
//! official. Shown in each of the scenario's languages that atoll writes its own texts in
//! (English and Japanese); the scenario's texts follow the chosen language.
//!
//! The short "What is this page?" help on the alerts, hunt, respond and score pages is here
//! too ([`help`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use atoll_scenario::model::{Expectation, Scenario};
use atoll_store::{Role, Store, User};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::Signed;
use crate::{App, html};

/// The languages atoll writes its own texts in.
const OWN_LANGUAGES: &[&str] = &["en", "ja"];

/// `en` or `ja`: atoll's text in the chosen language.
fn t<'a>(lang: &str, en: &'a str, ja: &'a str) -> &'a str {
    if lang == "ja" { ja } else { en }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Lang {
    lang: Option<String>,
}

/// The languages the briefing offers: the scenario's, as far as atoll writes its own texts in
/// them (English always).
fn offered(scenario: &Scenario) -> Vec<&'static str> {
    let mut langs = vec!["en"];
    for l in scenario.languages.iter() {
        if let Some(own) = OWN_LANGUAGES.iter().find(|o| **o == l.value.0)
            && !langs.contains(own)
        {
            langs.push(own);
        }
    }
    langs
}

fn language_name(lang: &str) -> &'static str {
    match lang {
        "ja" => "日本語",
        _ => "English",
    }
}

/// The kinds of points, in the order the briefing explains them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PointKind {
    Detect,
    Contain,
    Rule,
    Answer,
    Report,
    Decide,
    KeepUp,
}

fn kind_of(e: &Expectation) -> Option<PointKind> {
    Some(if e.detect.is_some() {
        PointKind::Detect
    } else if e.contain_before.is_some() {
        PointKind::Contain
    } else if e.rule.is_some() {
        PointKind::Rule
    } else if e.answer.is_some() {
        PointKind::Answer
    } else if e.report.is_some() {
        PointKind::Report
    } else if e.decide.is_some() {
        PointKind::Decide
    } else if e.keep_up.is_some() {
        PointKind::KeepUp
    } else {
        return None;
    })
}

/// Each kind of point with how many expectations and points it holds: the items of the
/// team's score that count toward its maximum (what the Score page adds up).
fn points_by_kind(scenario: &Scenario, score: &atoll_exercise::score::Score) -> BTreeMap<PointKind, (usize, u32)> {
    let mut kinds = BTreeMap::new();
    for item in score
        .items
        .iter()
        .filter(|i| i.standing != atoll_exercise::score::Standing::Unscored)
    {
        let Some(kind) = scenario
            .expectations
            .iter()
            .find(|e| e.id.name == item.expectation)
            .and_then(kind_of)
        else {
            continue;
        };
        let entry = kinds.entry(kind).or_insert((0, 0));
        entry.0 += 1;
        entry.1 += item.max;
    }
    kinds
}

/// How a kind of point is earned, and on which page.
fn how_earned(kind: PointKind, lang: &str, team: &str) -> (&'static str, Markup) {
    let page = |path: &str, name: &str| html! { a href={ "/teams/" (team) (path) } { (name) } };
    match kind {
        PointKind::Detect => (
            t(lang, "Detection", "検知"),
            html! {
                (t(lang, "An attack step counts as detected when an alert it raised is marked ", "攻撃の段階は、それが発したアラートを "))
                strong { (t(lang, "true positive", "真陽性")) }
                (t(lang, " on the ", " と判定したときに検知として数えられます（"))
                (page("", t(lang, "Alerts", "アラート")))
                (t(lang, " page, in time when the scenario sets a limit.", "ページ。期限がある場合は期限内）。"))
            },
        ),
        PointKind::Contain => (
            t(lang, "Containment", "封じ込め"),
            html! {
                (t(lang, "Stop the intruder before a later step of the attack runs: isolate a host, disable an account or block an address on the ", "攻撃の後の段階が実行される前に侵入者を止めます。"))
                (page("/respond", t(lang, "Respond", "対応")))
                (t(lang, " page. Isolating a host also takes its services down, which can cost availability points.", "ページでホストの隔離、アカウントの無効化、アドレスの遮断を行います。ホストを隔離するとそのサービスも止まり、可用性の得点を失うことがあります。"))
            },
        ),
        PointKind::Rule => (
            t(lang, "Detection rules", "検知ルール"),
            html! {
                (t(lang, "Write a rule on the ", ""))
                (page("/rules", t(lang, "Rules", "ルール")))
                (t(lang, " page that catches an attack step with few false alarms.", "ページで、誤検知の少ない、攻撃の段階を捉えるルールを書きます。"))
            },
        ),
        PointKind::Answer => (
            t(lang, "Questions", "質問"),
            html! {
                (t(lang, "Answer the white cell's ", "白セルからの"))
                (page("/questions", t(lang, "questions", "質問")))
                (t(lang, ", before the time limit when a question has one; each card shows its points. Points follow the answer's grade.", "に回答します（期限がある場合は期限内に）。各カードに配点が表示されます。得点は回答の評価に応じます。"))
            },
        ),
        PointKind::Report => (
            t(lang, "Incident reports", "インシデント報告"),
            html! {
                (t(lang, "Hand in an incident report on the ", ""))
                (page("/reports", t(lang, "Reports", "報告")))
                (t(lang, " page in time; the white cell grades it.", "ページで期限内にインシデント報告を提出します。白セルが評価します。"))
            },
        ),
        PointKind::Decide => (
            t(lang, "Decisions", "意思決定"),
            html! { (t(lang, "Take the decisions the white cell puts to the team's officials, in time.", "白セルがチームの政策担当者に求める判断を、期限内に行います。")) },
        ),
        PointKind::KeepUp => (
            t(lang, "Availability", "可用性"),
            html! {
                (t(lang, "Keep the services people depend on running. Time a service spends down, because of the attack or because you isolated its host, costs points; the ", "人々が依存するサービスを止めないでください。攻撃によって、または自分たちの隔離によってサービスが止まった時間は減点になります。"))
                (page("/network", t(lang, "Network", "ネットワーク")))
                (t(lang, " page shows each service's state.", "ページで各サービスの状態がわかります。"))
            },
        ),
    }
}

/// The glossary: (term, explanation), for someone who has never worked in a security team.
fn glossary(lang: &str) -> Vec<(&'static str, &'static str)> {
    if lang == "ja" {
        vec![
            (
                "アラート",
                "検知ルールに一致したイベントについて atoll が出す知らせ。攻撃とは限りません。まず何が起きたかを読みます。",
            ),
            (
                "真陽性 / 誤検知（偽陽性）",
                "真陽性：アラートが本当に攻撃を示している。誤検知：通常の業務（管理者の作業、更新など）でアラートが出た。アラートページで判定します。",
            ),
            (
                "イベント",
                "コンピュータやネットワーク機器が記録する一行の出来事（ログオン、プログラムの起動、接続など）。",
            ),
            (
                "Sysmon",
                "Windows の無償ツール。起動したプログラム、ネットワーク接続、作成されたファイルを記録します。攻撃を見つける主な手がかりです。",
            ),
            (
                "ハント（検索）",
                "アラートを待たずに、イベントを自分で検索して攻撃の痕跡を探すこと。ハントページで行います。",
            ),
            (
                "IOC（侵害の痕跡）",
                "攻撃に結びつくアドレス、ドメイン名、ファイル名、ハッシュなど。共有や遮断に使います。",
            ),
            (
                "TLP（トラフィックライトプロトコル）",
                "情報をどこまで共有してよいかの表示。CLEAR：制限なし。GREEN：関係コミュニティ内。AMBER：自組織と必要な相手のみ。RED：その場の参加者のみ。",
            ),
            (
                "封じ込め",
                "侵入者がそれ以上進めないようにすること。ホストの隔離、アカウントの無効化、アドレスの遮断など。",
            ),
            (
                "ATT&CK",
                "攻撃者の手口を分類した公開の一覧（MITRE）。T1003 のような番号で技術を示します。",
            ),
            (
                "Sigma ルール",
                "ログから特定の振る舞いを見つけるための公開形式のルール。atoll の検知はこれで動いています。",
            ),
            (
                "インジェクト",
                "演習中に届くメール、ニュース、電話メモ、チケットなど。受信箱に届きます。",
            ),
            (
                "白セル",
                "演習を運営する講師チーム。時計を進め、質問を出し、報告を評価します。",
            ),
            (
                "演習時刻",
                "演習の中の時刻（D1 09:00 は1日目の9時）。現実の時刻より速く進むことがあります。画面上部に表示されます。",
            ),
        ]
    } else {
        vec![
            (
                "Alert",
                "A notice atoll raises when an event matches a detection rule. Not every alert is the attack: read what happened first.",
            ),
            (
                "True positive / false positive",
                "True positive: the alert really shows the attack. False positive: normal work (an administrator's task, an update) raised it. You mark each on the Alerts page.",
            ),
            (
                "Event",
                "One line a computer or network device records: a sign-in, a program starting, a connection.",
            ),
            (
                "Sysmon",
                "A free Windows tool that records which programs start, which connections they open and which files they write: the main trace of an intruder.",
            ),
            (
                "Hunt",
                "Searching the events yourself for signs of the attack, without waiting for an alert. Done on the Hunt page.",
            ),
            (
                "IOC (indicator of compromise)",
                "An address, domain name, file name or hash tied to the attack: what you block and share.",
            ),
            (
                "TLP (Traffic Light Protocol)",
                "How far information may be shared. CLEAR: anyone. GREEN: your community. AMBER: your organisation and those who need it. RED: only the people in the room.",
            ),
            (
                "Containment",
                "Stopping the intruder from going further: isolating a host, disabling an account, blocking an address.",
            ),
            (
                "ATT&CK",
                "MITRE's public catalogue of attackers' techniques; a number such as T1003 names one.",
            ),
            (
                "Sigma rule",
                "A rule, in a public format, that finds one behaviour in logs. atoll's detection runs on them.",
            ),
            (
                "Inject",
                "A message that arrives during the exercise: an email, a news item, a phone-call note, a ticket. It lands in the Inbox.",
            ),
            (
                "White cell",
                "The instructors running the exercise: they run the clock, ask the questions and grade the reports.",
            ),
            (
                "Exercise time",
                "The time inside the exercise (D1 09:00 is day one, nine o'clock), shown at the top of every page. It can run faster than real time.",
            ),
        ]
    }
}

/// `/briefing`: the briefing for the signed-in user's role.
pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    Signed(user): Signed,
    Query(query): Query<Lang>,
) -> Response {
    let scenario = app.live.scenario;
    let langs = offered(scenario);
    let lang = query
        .lang
        .as_deref()
        .and_then(|l| langs.iter().find(|o| **o == l).copied())
        .unwrap_or("en");
    app.briefed(user.id);
    let team = match (user.role, &user.team) {
        (Role::Player, Some(team)) => Some(team.clone()),
        _ => None,
    };
    // The team's score as it stands: its maximum is what the briefing explains.
    let score = match (
        &team,
        app.live
            .scenario
            .player_teams()
            .position(|t| Some(&t.id.name) == team.as_ref()),
    ) {
        (Some(team), Some(index)) => match atoll_app::score::records(&app, team).await {
            Ok(records) => {
                let worker = app.clone();
                tokio::task::spawn_blocking(move || atoll_app::score::team_score(&worker, index, &records))
                    .await
                    .ok()
            }
            Err(_) => None,
        },
        _ => None,
    };
    let members: Vec<String> = match &team {
        Some(team) => app
            .db
            .users()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|u| u.role == Role::Player && u.team.as_deref() == Some(team.as_str()))
            .map(|u| u.username)
            .collect(),
        None => Vec::new(),
    };
    let body = html! {
        h1 { (t(lang, "Briefing", "ブリーフィング")) " — " (scenario.title.get(lang)) }
        @if langs.len() > 1 {
            p {
                @for l in &langs {
                    @if *l == lang { strong { (language_name(l)) } } @else { a href={ "/briefing?lang=" (l) } lang=(l) { (language_name(l)) } }
                    " "
                }
            }
        }
        (situation(scenario, lang))
        p {
            (t(lang, "To print or read offline: the Situation Manual", "印刷・オフライン用：状況説明書（英語）"))
            " (" a href="/documents/situation-manual" download { "HTML" } ", " a href="/documents/situation-manual?format=pdf" download { "PDF" } ")."
        }
        @match &team {
            Some(team) => (player_part(&app.live, scenario, lang, team, &members, score.as_ref())),
            None => (white_cell_part(lang, &user)),
        }
        h2 #glossary { (t(lang, "Words you will meet", "用語集")) }
        dl {
            @for (term, meaning) in glossary(lang) { dt { (term) } dd { (meaning) } }
        }
    };
    html::page(
        html::heading(&app, &user).await,
        t(lang, "Briefing", "ブリーフィング"),
        Some(&user),
        &body,
    )
    .into_response()
}

/// What the exercise is: the scenario's summary, audience, tracks and objectives.
fn situation(scenario: &Scenario, lang: &str) -> Markup {
    html! {
        h2 { (t(lang, "The exercise", "演習について")) }
        @if let Some(summary) = &scenario.summary { p lang=(lang) { (summary.get(lang)) } }
        @if let Some(audience) = &scenario.audience { p.muted lang=(lang) { (audience.get(lang)) } }
        @if !scenario.objectives.is_empty() {
            h3 { (t(lang, "What the exercise trains", "演習の目標")) }
            ul { @for o in &scenario.objectives { li lang=(lang) { (o.text.get(lang)) } } }
        }
        @if !scenario.tracks.is_empty() {
            h3 { (t(lang, "Tracks", "トラック")) }
            p { (t(lang, "Each team plays on these tracks at once; agree among yourselves who follows which. Every player sees every page of the team.", "各チームは次のトラックを同時に進めます。誰がどのトラックを担当するかをチーム内で決めてください。どのプレーヤーもチームのすべてのページを見られます。")) }
            dl {
                @for track in &scenario.tracks {
                    dt lang=(lang) { (track.name.get(lang)) }
                    @if let Some(d) = &track.description { dd lang=(lang) { (d.get(lang)) } }
                }
            }
        }
    }
}

fn player_part(
    live: &crate::Live,
    scenario: &Scenario,
    lang: &str,
    team: &str,
    members: &[String],
    score: Option<&atoll_exercise::score::Score>,
) -> Markup {
    let team_name = live.team_name_of(team);
    let organisations: Vec<&str> = scenario
        .world
        .organisations
        .iter()
        .filter(|o| o.team.as_ref().is_some_and(|t| t.name == team))
        .map(|o| o.name.as_str())
        .collect();
    let kinds = score.map(|s| points_by_kind(scenario, s)).unwrap_or_default();
    let total: u32 = kinds.values().map(|(_, p)| p).sum();
    let link = |path: &str, name: &str| html! { a href={ "/teams/" (team) (path) } { (name) } };
    html! {
        h2 { (t(lang, "Your team", "あなたのチーム")) ": " (team_name) }
        @if !organisations.is_empty() {
            p { (t(lang, "You defend the simulated networks of ", "あなたのチームが守るのは次の組織の模擬ネットワークです：")) (organisations.join(", ")) (t(lang, ". Nothing you do here touches a real system.", "。ここでの操作が実際のシステムに触れることはありません。")) }
        }
        p {
            (t(lang, "Players: ", "メンバー："))
            @if members.is_empty() { (t(lang, "none has joined yet.", "まだ誰も参加していません。")) } @else { (members.join(", ")) }
        }
        h2 { (t(lang, "Your first fifteen minutes", "最初の15分")) }
        ol {
            li { (t(lang, "Read the ", "まず")) (link("/inbox", t(lang, "Inbox", "受信箱"))) (t(lang, ": the opening message says what the organisers expect, and later messages bring news and requests.", "を読みます。最初のメッセージに運営側の期待が書かれ、その後もニュースや依頼が届きます。")) }
            li { (t(lang, "Agree who does what: the technical players take Alerts, Hunt and Respond; the officials follow the Inbox, the Questions and the Reports, and decide what to disconnect and whom to tell.", "役割を決めます。技術担当はアラート・ハント・対応を、政策担当は受信箱・質問・報告を受け持ち、何を切断し誰に知らせるかを判断します。")) }
            li { (t(lang, "Open the ", "")) (link("/network", t(lang, "Network", "ネットワーク"))) (t(lang, " page to learn your hosts, accounts and services by name: the Respond page takes the same names.", "ページで、ホスト・アカウント・サービスの名前を確認します。対応ページでも同じ名前を使えます。")) }
            li { (t(lang, "On ", "")) (link("", t(lang, "Alerts", "アラート"))) (t(lang, ", open the highest-level alert first. Read what ran, on which host, under which account; mark it true positive if it is the attack, false positive if it is normal work. Unsure? Leave it and look at the events around it.", "ページで、レベルの高いアラートから開きます。何が、どのホストで、どのアカウントで実行されたかを読み、攻撃なら真陽性、通常業務なら誤検知と判定します。迷ったら判定せず、前後のイベントを確認します。")) }
            li { (t(lang, "Look at the ", "")) (link("/questions", t(lang, "Questions", "質問"))) (t(lang, ": a question with a time limit shows it, and the time left, on its card. A hint helps when you are stuck, at a cost in points.", "を確認します。期限のある質問は、その期限と残り時間がカードに表示されます。行き詰まったらヒントを使えますが、減点があります。")) }
        }
        h2 #points { (t(lang, "How points are earned", "得点のしくみ")) }
        @if kinds.is_empty() {
            p { (t(lang, "This exercise scores nothing for your team: play it for practice and for the debrief.", "この演習ではあなたのチームに得点はつきません。練習と振り返りのために取り組んでください。")) }
        } @else {
            p { (t(lang, "Your team can earn up to ", "あなたのチームの満点は ")) strong { (total) } (t(lang, " points:", " 点です。内訳：")) }
            table {
                thead { tr { th { (t(lang, "Kind", "種類")) } th { (t(lang, "How", "方法")) } th { (t(lang, "Expectations", "評価項目")) } th { (t(lang, "Points", "点")) } } }
                tbody {
                    @for (kind, (count, points)) in &kinds {
                        @let (name, how) = how_earned(*kind, lang, team);
                        tr { td { (name) } td { (how) } td.num { (count) } td.num { (points) } }
                    }
                }
            }
            p { (t(lang, "Opening a hint costs the points it shows. The ", "ヒントを開くと表示された点数が引かれます。")) (link("/score", t(lang, "Score", "得点"))) (t(lang, " page gives the reason for every point as it is settled.", "ページに、確定した得点ごとの理由が表示されます。")) }
        }
    }
}

fn white_cell_part(lang: &str, user: &User) -> Markup {
    let instructor = user.role == Role::Instructor;
    html! {
        h2 { (t(lang, "Your part", "あなたの役割")) }
        @if instructor {
            ol {
                li { a href="/people" { (t(lang, "People", "参加者")) } (t(lang, ": invite each team's players (a sheet of links per team) and the observers.", "：各チームのプレーヤー（チームごとの招待リンク一覧）とオブザーバーを招待します。")) }
                li { a href="/board" { (t(lang, "Board", "ボード")) } (t(lang, ": start the clock when the teams have read their briefing; pause it for a talk; every team's progress is there.", "：チームがブリーフィングを読んだら時計を開始します。説明のために一時停止もできます。各チームの進み具合が表示されます。")) }
                li { a href="/messages" { (t(lang, "Messages", "メッセージ")) } (t(lang, ": send injects by hand and answer the teams.", "：インジェクトを手動で送り、チームに返信します。")) }
                li { a href="/grading" { (t(lang, "Grading", "評価")) } (t(lang, ": grade reports and written answers; the score follows the grade.", "：報告と記述回答を評価します。得点は評価に従います。")) }
                li { a href="/scoreboard" { (t(lang, "Scoreboard", "スコアボード")) } (t(lang, ": show it to the teams when you choose.", "：好きな時にチームに公開できます。")) }
            }
        } @else {
            p { (t(lang, "You observe: you read what the white cell lets you follow and change nothing. The Board lists the teams; each team's pages open from there.", "あなたはオブザーバーです。白セルが許可した範囲を閲覧でき、変更はできません。ボードにチームの一覧があり、そこから各チームのページを開けます。")) }
        }
    }
}

/// The pages that carry a "What is this page?" note.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Help {
    Alerts,
    Hunt,
    Respond,
    Score,
}

/// A short, folded note on what a page is for and how to use it, linking the glossary.
pub(crate) fn help(page: Help) -> Markup {
    let text = match page {
        Help::Alerts => html! {
            p { "Each row is an alert: an event in your network matched a detection rule. Most are normal work; some are the attack. Open one to read the event (what ran, on which host, under which account) and the events around it." }
            p { "Mark an alert " strong { "true positive" } " when it shows the attack and " strong { "false positive" } " when it is normal work. An attack step counts as detected when one of its alerts is marked true positive. Link alerts that belong together into a case." }
        },
        Help::Hunt => html! {
            p { "Search every event of your network, not only those that raised alerts. Type words that must appear (" span.mono { "aspnet_client" } "), or a field and a value (" span.mono { "Image:*ntdsutil.exe" } "), and narrow the time. Each result is one event; open it to see all its fields." }
            p { "Something found here can become a detection rule on the Rules page, or a case." }
        },
        Help::Respond => html! {
            p { "Act on your simulated network: isolate a host (it stops talking to anything, and its services stop too), disable an account, block an address or a domain. Name the target as the pages show it: a host's name or address, an account as " span.mono { "DOMAIN\\user" } " or " span.mono { "user" } "." }
            p { "An action is stored and takes effect at once; an intruder who loses a host or an account cannot use it for the steps that follow. Isolating a busy server can cost availability points." }
        },
        Help::Score => html! {
            p { "Every line is one thing the exercise expects of your team, with its points and the reason. A line appears once it is settled: earned, missed or not scored. Hints you opened are taken off." }
        },
    };
    html! {
        details.help {
            summary { "What is this page?" }
            (text)
            p { a href="/briefing#glossary" { "Words explained" } " · " a href="/briefing#points" { "How points are earned" } }
        }
    }
}
