//! The whole story of an exercise in a real browser: headless Chromium driven through
//! ChromeDriver (Debian's `chromium` and `chromium-driver`, which `.ci/run` installs), on the
//! demo as `atoll demo` serves it.
//!
//! The instructor starts the exercise and moves the clock to mid-morning; a player of Palau
//! reads the first inject, finds the web-shell alert and marks it, hunts the processes the web
//! server started, isolates the host, opens a case, answers a question after opening its hint
//! and sends a report; the instructor grades the report; the team's score and the board show
//! it. The story runs once on the bare loopback and once with the browser's network throttled
//! to 256 kbit/s and 600 ms round trips, as a satellite hop would be. Each page visited is
//! saved as a screenshot under the target folder (`browser/<story>/`), and how long each took
//! to load is printed (and written to `timings.txt` there).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{Lines, Server, demo_password};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Checks run on every page the story visits, in the page: what a screen-reader user, a
/// keyboard user or someone on a small or dim screen would trip over. Returns the problems.
/// - every form control has a name (a `label for`, a wrapping label, `aria-label`), and so
///   does every button and link;
/// - text contrasts with its background as WCAG 2 AA asks (4.5:1, or 3:1 for large text),
///   the background being the first opaque one among the text's ancestors;
/// - the page has a language, a title and one `h1`;
/// - nothing is wider than the window (no sideways scrolling of the page);
/// - nothing is taken out of the keyboard's reach (`tabindex` below 0) or forced into an
///   order of its own (above 0).
const ACCESSIBILITY: &str = r##"
const problems = [];
const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? "[name=" + el.name + "]" : "");
const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) && getComputedStyle(el).visibility !== "hidden";
for (const el of document.querySelectorAll("input, select, textarea")) {
  if (el.type === "hidden" || el.type === "submit" || !visible(el)) continue;
  const named = (el.id && document.querySelector('label[for="' + el.id + '"]')) || el.closest("label") || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
  if (!named) problems.push("no label: " + describe(el));
}
for (const el of document.querySelectorAll("button, a[href]")) {
  if (visible(el) && !(el.textContent.trim() || el.getAttribute("aria-label"))) problems.push("no name: " + describe(el));
}
for (const el of document.querySelectorAll("[tabindex]")) {
  if (parseInt(el.getAttribute("tabindex"), 10) !== 0) problems.push("tabindex " + el.getAttribute("tabindex") + ": " + describe(el));
}
const rgb = (text) => { const m = text.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; };
const luminance = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length < 4 || c[3] > 0.99) return c; } return [255, 255, 255]; };
for (const el of document.querySelectorAll("body *")) {
  const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!own || !visible(el)) continue;
  const style = getComputedStyle(el);
  const fg = luminance(rgb(style.color)), bg = luminance(background(el));
  const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
  const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
  if (ratio < needed) problems.push("contrast " + ratio.toFixed(2) + " < " + needed + ": " + describe(el) + " «" + el.textContent.trim().slice(0, 40) + "»");
}
if (!document.documentElement.lang) problems.push("no lang on html");
if (!document.title.trim()) problems.push("no title");
if (document.querySelectorAll("h1").length !== 1) problems.push(document.querySelectorAll("h1").length + " h1 elements");
if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push("wider than the window: " + document.documentElement.scrollWidth + " > " + window.innerWidth);
return problems;
"##;
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_story_on_the_loopback() {
    let _group = crate::group("browser");
    story("loopback", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_story_over_a_satellite_link() {
    let _group = crate::group("browser");
    story(
        "satellite",
        Some(Throttle {
            latency_ms: 600,
            bytes_per_second: 256_000 / 8,
        }),
    )
    .await;
}

/// The attack does not drown in a loud queue: the white cell turns on the low-level firewall
/// rule that once buried it under 7,000 alerts, runs the clock past the web shell, and a player
/// still finds it through the filters, opens it, marks its group and earns the detection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attack_is_found_in_a_loud_queue() {
    let _group = crate::group("browser");
    let (_server, _output, driver, mut visit, data) = demo("loud", None).await;

    // Before the start, the white cell turns on the firewall's "Cleartext Protocol Usage".
    visit.sign_in("instructor", &demo_password(&data, "instructor")).await;
    let noisy = "Cleartext Protocol Usage";
    visit
        .open("/detection?show=off&q=Cleartext+Protocol+Usage", "detection-off")
        .await;
    let page = visit
        .click(
            &format!("form[action='/detection/switch'] button[aria-label='Turn on {noisy}']"),
            "detection-on",
        )
        .await;
    assert!(page.contains(noisy), "{page}");
    visit.open("/board", "board").await;
    visit.click("button[value='start']", "board-started").await;
    let board = visit.jump("D1 10:30").await;
    assert!(board.contains("D1 10:3"), "{board}");
    // The worlds catch up with the jump within seconds; the board's numbers follow.
    let mut alerts = 0;
    for _ in 0..90 {
        let cell = visit
            .client
            .find(Locator::Css("td[data-live='palau.alerts']"))
            .await
            .unwrap();
        alerts = cell.text().await.unwrap().trim().parse().unwrap();
        if alerts >= 2_000 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    visit.seen("board-loud").await;
    assert!(alerts >= 2_000, "{alerts} alerts for Palau by D1 10:30");
    visit.sign_out().await;

    // A player of Palau finds the web shell among them.
    visit.sign_in("palau-1", &demo_password(&data, "palau-1")).await;
    find_and_mark_the_web_shell(&mut visit).await;
    visit.client.close().await.unwrap();
    drop(driver);
    let _ = std::fs::remove_dir_all(&data);
}

/// Network conditions for the browser: ChromeDriver's `network_conditions` command.
#[derive(Debug, Clone, Copy)]
struct Throttle {
    /// Added to every round trip.
    latency_ms: u32,
    /// Each way.
    bytes_per_second: u32,
}

impl WebDriverCompatibleCommand for Throttle {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/chromium/network_conditions",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({
            "network_conditions": {
                "offline": false,
                "latency": self.latency_ms,
                "download_throughput": self.bytes_per_second,
                "upload_throughput": self.bytes_per_second,
            }
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// ChromeDriver on a free port of the loopback, stopped with the test.
struct Driver(std::process::Child, u16);

impl Driver {
    fn start() -> Driver {
        assert!(
            Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
            "the browser tests need Debian's chromium and chromium-driver \
             (`apt-get install chromium chromium-driver`; .ci/run installs them)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let child = std::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Driver(child, port)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            // A laptop screen of the kind teams bring; no sandbox, as CI runs as root.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,768"],
        }),
    );
    let url = format!("http://127.0.0.1:{}", driver.1);
    let mut last = None;
    // ChromeDriver takes a moment to listen.
    for _ in 0..100 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return client,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("ChromeDriver did not start a browser: {last:?}");
}

/// One browser and where its screenshots go.
struct Visit {
    client: Client,
    base: String,
    shots: PathBuf,
    count: usize,
    /// (page, milliseconds from the request to the end of the load event).
    timings: Vec<(String, f64)>,
    /// When the page now shown was requested (`performance.timeOrigin`).
    page_origin: Option<f64>,
}

impl Visit {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Opens `path` and returns the page's text.
    async fn open(&mut self, path: &str, name: &str) -> String {
        self.client.goto(&self.url(path)).await.unwrap();
        self.seen(name).await
    }

    /// Clicks what `css` selects (a form's button, say), waits for the page it leads to and
    /// returns that page's text.
    async fn click(&mut self, css: &str, name: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.seen(name).await
    }

    /// Jumps the clock from the board to `to`, confirming if the board lists time limits the
    /// jump passes.
    async fn jump(&mut self, to: &str) -> String {
        self.fill("#jump-to", to).await;
        let board = self.click("button[value='jump']", "board-jumped").await;
        if board.contains("Jump anyway") {
            return self.click("button[name='confirm'][value='yes']", "board-jumped").await;
        }
        board
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    async fn choose(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }

    /// The page as it stands now: its screenshot saved, its load time noted, its text.
    async fn seen(&mut self, name: &str) -> String {
        self.count += 1;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{:02}-{name}.png", self.count)), png).unwrap();
        self.check_accessibility(name).await;
        // From the request to the end of the load event (the stylesheet applied), for pages
        // reached by a navigation; a click that only opened part of the page has none.
        let timing = self
            .client
            .execute(
                "const n = performance.getEntriesByType('navigation')[0]; return n ? [performance.timeOrigin, n.loadEventEnd] : null;",
                vec![],
            )
            .await
            .unwrap();
        if let Some([origin, ms]) = timing.as_array().map(|t| [t[0].as_f64(), t[1].as_f64()])
            && origin != self.page_origin
        {
            self.page_origin = origin;
            self.timings.push((name.to_owned(), ms.unwrap_or_default()));
        }
        self.text().await
    }

    async fn check_accessibility(&self, name: &str) {
        let problems = self.client.execute(ACCESSIBILITY, vec![]).await.unwrap();
        let problems: Vec<&str> = problems
            .as_array()
            .unwrap()
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect();
        assert!(
            problems.is_empty(),
            "{name} ({}): {problems:#?}",
            self.client.current_url().await.unwrap()
        );
    }

    async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The text `css` selects once the live updates have filled it (at most twenty seconds).
    async fn live_text(&self, css: &str) -> String {
        for _ in 0..100 {
            let text = self.client.find(Locator::Css(css)).await.unwrap().text().await.unwrap();
            if !text.is_empty() {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("the live updates never filled {css}");
    }

    async fn sign_in(&mut self, username: &str, password: &str) -> String {
        self.open("/login", &format!("sign-in-{username}")).await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button", &format!("signed-in-{username}"))
            .await
    }

    async fn sign_out(&mut self) {
        self.client
            .find(Locator::Css("form[action='/logout'] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Reloads `path` until its text holds `wanted` (the clock moves on its own), for at most
    /// a minute.
    async fn wait_for(&mut self, path: &str, name: &str, wanted: &str) -> String {
        for _ in 0..60 {
            let text = self.open(path, name).await;
            if text.contains(wanted) {
                return text;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        panic!("{path} never showed «{wanted}»");
    }
}

/// `12 / 430` on the board or `12 of 430 points` on the score page: the first number.
fn points(text: &str) -> u32 {
    text.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap()
}

async fn palau_score_on_board(visit: &mut Visit, name: &str) -> u32 {
    visit.open("/board", name).await;
    let cell = visit
        .client
        .find(Locator::XPath("//tr[td[1][normalize-space()='Palau']]/td[10]"))
        .await
        .unwrap();
    points(&cell.text().await.unwrap())
}

async fn team_score(visit: &mut Visit, name: &str) -> u32 {
    let text = visit.open("/teams/palau/score", name).await;
    let total = text
        .lines()
        .find(|l| l.starts_with(|c: char| c.is_ascii_digit()) && l.contains(" points ("))
        .unwrap_or_else(|| panic!("no total on the score page:\n{text}"));
    points(total)
}

/// The points of the score page's lines that a report's grade gives, summed (the page must
/// be open).
async fn report_points(visit: &mut Visit, title: &str) -> u32 {
    let cells = visit
        .client
        .find_all(Locator::XPath(&format!(
            "//tr[starts-with(@id,'expectation-')][td[4][contains(., 'Report «{title}»')]]/td[2]"
        )))
        .await
        .unwrap();
    assert!(!cells.is_empty(), "the score page has lines for the report «{title}»");
    let mut total = 0;
    for cell in cells {
        total += points(&cell.text().await.unwrap());
    }
    total
}

/// The rule that sees the web shell's upload.
const WEB_SHELL_RULE: &str = "Script Page Uploaded Or Run Under IIS aspnet_client Folder";

/// The web-shell alert found with the queue's filters, opened to its event, and its group (rule
/// and host) marked a true positive with one verdict; the detection is earned, in time (the
/// upload ran at D1 09:00, `within: 2h`). A player of Palau is signed in.
async fn find_and_mark_the_web_shell(visit: &mut Visit) {
    let rule = WEB_SHELL_RULE;
    visit.wait_for("/teams/palau", "alerts", rule).await;
    visit.fill("form.filters input[name='q']", "aspnet_client").await;
    let found = visit.click("form.filters button", "alerts-filtered").await;
    assert!(
        found.contains(rule) && (found.contains("alerts match") || found.contains("alert matches")),
        "{found}"
    );
    let alert = visit.click("tr[id^='alert-'] td:nth-child(4) a", "alert-opened").await;
    assert!(
        alert.contains("/aspnet_client/") && alert.contains("203.0.113.45"),
        "the upload's address and the client's: {alert}"
    );
    visit
        .open("/teams/palau?view=groups&q=aspnet_client", "alerts-grouped")
        .await;
    visit
        .choose("form[action='/teams/palau/alerts/bulk'] select", "true_positive")
        .await;
    visit
        .fill(
            "form[action='/teams/palau/alerts/bulk'] input[name='note']",
            "web shell upload",
        )
        .await;
    let alerts = visit
        .click("form[action='/teams/palau/alerts/bulk'] button", "alert-marked")
        .await;
    assert!(alerts.contains("marked true positive"), "{alerts}");
    // The detection is earned, in time (the upload ran at D1 09:00, `within: 2h`).
    let score = visit.open("/teams/palau/score", "score-detected").await;
    let line = score
        .lines()
        .find(|l| l.contains("Detect the web shell on the customer portal"))
        .unwrap_or_else(|| panic!("the web shell's expectation is settled: {score}"));
    assert!(line.contains("100 / 100") && line.contains("earned"), "{line}");
}

/// A demo started paused at 60× in a fresh data folder, and a browser on it (throttled if
/// asked) whose screenshots go to `browser/{name}` in the test's folder: (server, its output,
/// ChromeDriver, the browser, the data folder).
async fn demo(name: &str, throttle: Option<Throttle>) -> (Server, Lines, Driver, Visit, PathBuf) {
    let data = std::env::temp_dir().join(format!("atoll-browser-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser").join(name);
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let (server, _, address, output): (Server, String, String, Lines) = Server::start(&[
        "demo".as_ref(),
        "--paused".as_ref(),
        "--speed".as_ref(),
        "60".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    let driver = Driver::start();
    let client = browser(&driver).await;
    if let Some(throttle) = throttle {
        client.issue_cmd(throttle).await.unwrap();
    }
    let visit = Visit {
        client,
        base: format!("http://{address}"),
        shots,
        count: 0,
        timings: Vec::new(),
        page_origin: None,
    };
    (server, output, driver, visit, data)
}

async fn story(name: &str, throttle: Option<Throttle>) {
    let (_server, _output, driver, mut visit, data) = demo(name, throttle).await;
    let shots = visit.shots.clone();

    // The white cell starts the exercise and moves the clock past the web shell's arrival
    // (D1 09:10 ± 10m) and the question about it (an hour later).
    let board = visit.sign_in("instructor", &demo_password(&data, "instructor")).await;
    assert!(board.contains("EXERCISE") && board.contains("not started"), "{board}");
    let board = visit.click("button[value='start']", "board-started").await;
    assert!(board.contains("Pause"), "{board}");
    let board = visit.jump("D1 10:30").await;
    assert!(board.contains("D1 10:3"), "{board}");
    let score_before_grading = palau_score_on_board(&mut visit, "board-before").await;
    visit.sign_out().await;

    // A player of Palau reads the first inject; opening the inbox is a read receipt.
    let alerts = visit.sign_in("palau-1", &demo_password(&data, "palau-1")).await;
    assert!(alerts.contains("Alerts — Palau"), "{alerts}");
    // With JavaScript on, the live updates fill in the exercise time and the counts: what
    // came since the player last opened the page.
    let clock = visit.live_text("header .clock").await;
    assert!(clock.starts_with("D1 "), "{clock}");
    let count = visit.live_text("header [data-live='inbox']").await;
    assert!(count.parse::<u32>().is_ok_and(|n| n > 0), "inbox count {count}");
    visit.open("/teams/palau/inbox", "inbox").await;
    let clock = visit.live_text("header .clock").await;
    assert!(clock.starts_with("D1 "), "{clock}");
    let count = visit
        .client
        .find(Locator::Css("header [data-live='inbox']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, "", "nothing new in the inbox once it is open");
    let first = visit
        .client
        .find_all(Locator::Css("article.inject"))
        .await
        .unwrap()
        .pop()
        .expect("an inject has arrived by D1 10:30");
    let first = first.text().await.unwrap();
    assert!(first.contains("from "), "{first}");
    let inbox = visit.open("/teams/palau/inbox", "inbox-read").await;
    assert!(inbox.contains("read by palau-1"), "{inbox}");

    find_and_mark_the_web_shell(&mut visit).await;
    let rule = WEB_SHELL_RULE;

    // What the web server's worker process started: the web shell's reconnaissance.
    visit.open("/teams/palau/hunt", "hunt").await;
    visit
        .fill(
            "#q",
            "host:PT-WEB01 ParentImage:*w3wp.exe | table @timestamp, ParentImage, Image, CommandLine",
        )
        .await;
    let hunt = visit.click("form[role='search'] button", "hunt-process-tree").await;
    assert!(hunt.contains("whoami /all"), "{hunt}");

    // Isolating the web server, after reading what it costs.
    visit.open("/teams/palau/respond", "respond").await;
    visit.choose("#action", "isolate_host").await;
    visit.fill("#target", "PT-WEB01").await;
    let review = visit
        .click("form[action='/teams/palau/respond'] button", "respond-review")
        .await;
    assert!(
        review.contains("PT-WEB01") && review.contains("Customer web portal"),
        "the cost names the service that stops: {review}"
    );
    let done = visit.click("button[name='confirm']", "respond-done").await;
    assert!(done.contains("Isolate host") && done.contains("palau-1"), "{done}");

    // A case with the alert and the attacker's address.
    visit.open("/teams/palau/cases", "cases").await;
    visit.fill("#title", "Web shell on the customer portal").await;
    let case = visit
        .click("form[action='/teams/palau/cases'] button", "case-opened")
        .await;
    assert!(case.contains("Web shell on the customer portal"), "{case}");
    let option = visit
        .client
        .find(Locator::XPath(&format!(
            "//select[@id='alert']/option[contains(., '{rule}')]"
        )))
        .await
        .unwrap();
    option.click().await.unwrap();
    visit.click("#alert ~ button", "case-alert-linked").await;
    visit.choose("#indicator_kind", "ipv4").await;
    visit.fill("input[name='indicator']", "203.0.113.45").await;
    let case = visit.click("input[value='indicator'] ~ button", "case-indicator").await;
    assert!(case.contains(rule) && case.contains("203.0.113.45"), "{case}");

    // The question about the delivering address, after opening its hint.
    let questions = visit.open("/teams/palau/questions", "questions").await;
    assert!(questions.contains("From which external address"), "{questions}");
    // With the keyboard alone: Tab to the hint's button (each stop visibly focused), Enter.
    let wanted = "#question-q-edge-indicators form[action='/teams/palau/hints'] button";
    let mut reached = false;
    for _ in 0..80 {
        visit
            .client
            .active_element()
            .await
            .unwrap()
            .send_keys("\u{E004}")
            .await
            .unwrap();
        let focus = visit
            .client
            .execute(
                "const e = document.activeElement; return [e.matches(arguments[0]), getComputedStyle(e).outlineStyle];",
                vec![serde_json::json!(wanted)],
            )
            .await
            .unwrap();
        assert_ne!(focus[1], "none", "the focused element shows it");
        if focus[0] == true {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab reaches the hint's button");
    visit
        .client
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    // The form's answer may still be on its way.
    for _ in 0..50 {
        if visit
            .client
            .source()
            .await
            .is_ok_and(|page| page.contains("look at the client address"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let questions = visit.seen("hint-opened").await;
    assert!(questions.contains("look at the client address"), "{questions}");
    visit.fill("#q-edge-indicators-indicators", "203.0.113[.]45").await;
    let answered = visit
        .click(
            "#question-q-edge-indicators form[action='/teams/palau/questions'] button",
            "answered",
        )
        .await;
    assert!(answered.contains("1 of the 1 needed found"), "{answered}");

    // A report to the national CERT.
    visit.open("/teams/palau/reports", "reports").await;
    visit.click("summary", "report-form").await;
    visit.fill("#title", "Web shell on the customer portal").await;
    visit
        .fill("#what", "A web shell was uploaded to PT-WEB01 and used to run whoami.")
        .await;
    visit.fill("#actions", "PT-WEB01 isolated at D1 10:3x.").await;
    visit.fill("#indicators", "203.0.113.45").await;
    let reports = visit
        .click("form[action='/teams/palau/reports'] button", "report-sent")
        .await;
    assert!(reports.contains("Web shell on the customer portal"), "{reports}");
    let score_before_grade = team_score(&mut visit, "score-before-grade").await;
    visit.sign_out().await;

    // The white cell grades the report: full marks and a comment.
    visit.sign_in("instructor", &demo_password(&data, "instructor")).await;
    let queue = visit.open("/grading", "grading").await;
    assert!(queue.contains("Web shell on the customer portal"), "{queue}");
    let mut given = 0;
    for input in visit
        .client
        .find_all(Locator::Css("form[action^='/grading/'] input[type='number']"))
        .await
        .unwrap()
    {
        let max: u32 = input.attr("max").await.unwrap().unwrap().parse().unwrap();
        input.clear().await.unwrap();
        input.send_keys(&max.to_string()).await.unwrap();
        given += max;
    }
    assert!(given > 0, "the report has expectations to grade");
    visit
        .fill(
            "form[action^='/grading/'] textarea",
            "Clear and early; name the CERT contact next time.",
        )
        .await;
    let graded = visit.click("form[action^='/grading/'] button", "graded").await;
    assert!(graded.contains("Graded by instructor"), "{graded}");
    let score_after_grading = palau_score_on_board(&mut visit, "board-after").await;
    assert!(
        score_after_grading > score_before_grading,
        "board: {score_before_grading} before, {score_after_grading} after"
    );
    visit.sign_out().await;

    // The team sees the grade, its comment and its score.
    visit.sign_in("palau-2", &demo_password(&data, "palau-2")).await;
    let reports = visit.open("/teams/palau/reports", "reports-graded").await;
    assert!(reports.contains("name the CERT contact next time"), "{reports}");
    let score_after_grade = team_score(&mut visit, "score-after-grade").await;
    // The clock runs (60×) while the white cell grades, so other expectations may settle in
    // the meantime: the report's own lines must give exactly the points given, and the total
    // must have grown by at least that.
    assert_eq!(
        report_points(&mut visit, "Web shell on the customer portal").await,
        given,
        "the report's points count"
    );
    assert!(
        score_after_grade >= score_before_grade + given,
        "score {score_before_grade} before grading, {score_after_grade} after, {given} given"
    );

    // The same pages on a phone: readable, nothing wider than the screen.
    visit.client.set_window_size(390, 844).await.unwrap();
    for path in [
        "/teams/palau/inbox",
        "/teams/palau",
        "/teams/palau/hunt?q=host%3APT-WEB01",
        "/teams/palau/network",
        "/teams/palau/respond",
        "/teams/palau/cases",
        "/teams/palau/rules",
        "/teams/palau/questions",
        "/teams/palau/reports",
        "/teams/palau/score",
    ] {
        let name = format!("phone{}", path.replace(['/', '?', '%'], "-"));
        visit.open(path, &name).await;
    }

    let table: String = visit
        .timings
        .iter()
        .map(|(page, ms)| format!("{page:<24} {ms:>7.0} ms\n"))
        .collect();
    std::fs::write(shots.join("timings.txt"), &table).unwrap();
    eprintln!("{name}: page load times (screenshots in {}):\n{table}", shots.display());
    visit.client.close().await.unwrap();
    drop(driver);
    let _ = std::fs::remove_dir_all(&data);
}
