//! The PDF documents: valid, deterministic, saying what the HTML says, with Japanese and with
//! hostile text printed as it is. Text is read back with poppler's `pdftotext` (Debian
//! `poppler-utils`, listed in .ci/apt-packages), fonts with `pdffonts`.
//!
//! With `ATOLL_PDF_OUT=/some/folder`, every PDF these tests read is also written there, to look
//! at (`pdftoppm -r 60 -png`).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use atoll_report::pdf::{self, Block, Cell, Column, Document, Look, Run, Table};
use atoll_report::{ExerciseReport, Lesson, LessonKind};

use crate::{big, sample};

/// Text that Typst would read as code, markup, maths, a label, a reference, raw text, a
/// comment, a URL or an escape if it were pasted into markup.
const HOSTILE: [&str; 12] = [
    r#"#panic("x")"#,
    "*bold* and _italic_",
    "$x^2$",
    r"back\slash \ and \u{41}",
    "[brackets] and {braces}",
    "<label> and @ref",
    "`raw` and ```rust fn```",
    "// not a comment",
    "= not a heading",
    r#"#let x = "y"; #x"#,
    "https://evil.example/a?b=c",
    r#"quote " and "#,
];

/// Reads a PDF's text with `pdftotext` in the order it was drawn (`-raw`: a table row by row,
/// each cell whole), pages separated by form feeds. Within a page, lines are joined as they were
/// before they wrapped (see `unwrap`) and whitespace runs become single spaces.
fn text_of(pdf: &[u8]) -> String {
    let path = keep(pdf);
    let out = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian package poppler-utils)");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("pdftotext writes UTF-8")
        .split('\x0c')
        .map(|page| squeeze(&unwrap(page)))
        .collect::<Vec<_>>()
        .join("\x0c")
}

/// Lines joined back: with nothing between them after a hyphen or between two Japanese
/// characters (Japanese wraps between any two), with a space otherwise.
fn unwrap(page: &str) -> String {
    let japanese = |c: char| matches!(c, '\u{3000}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}');
    let mut text = String::new();
    for line in page.lines() {
        let joined = match (text.chars().last(), line.chars().next()) {
            (Some('-'), _) => true,
            (Some(a), Some(b)) => japanese(a) && japanese(b),
            _ => false,
        };
        if !joined && !text.is_empty() {
            text.push(' ');
        }
        text.push_str(line);
    }
    text
}

/// Text without the dots that lead from an entry of contents to its page number.
fn undotted(text: &str) -> String {
    text.replace(" .", "")
}

/// The fonts a PDF embeds, as `pdffonts` lists them.
fn fonts_of(pdf: &[u8]) -> String {
    let out = Command::new("pdffonts")
        .arg(keep(pdf))
        .output()
        .expect("pdffonts runs (Debian package poppler-utils)");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes a PDF to a file of its own: in `ATOLL_PDF_OUT` if set (kept), else in the temporary
/// folder (overwritten by the next test run).
fn keep(pdf: &[u8]) -> PathBuf {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let folder = std::env::var_os("ATOLL_PDF_OUT").map_or_else(std::env::temp_dir, PathBuf::from);
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(format!("atoll-report-{}-{n}.pdf", std::process::id()));
    std::fs::write(&path, pdf).unwrap();
    path
}

fn assert_pdf(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-"), "{:?}", &pdf[..pdf.len().min(20)]);
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
}

/// Whitespace runs as single spaces, as `text_of` gives.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_exercise_pdf_says_what_the_html_says() {
    let pdf = pdf::exercise(&sample::report());
    assert_pdf(&pdf);
    let text = text_of(&pdf);
    for expected in [
        "Pacific Cable Shield 2025 — after-action report",
        "Provisional: play goes on. This report stands as of D2 10:30",
        "Teams side by side",
        "65 % (312 of 480)",
        "60 % (240 of 400)",
        "◐ partly (1 of 2 lines)",
        "3 of 4 that ran",
        "Run the exercise again next year with the same teams",
        "Team Palau — Republic of Palau",
        "Team Nauru — Republic of Nauru",
        "312 of 480 points, 65 %",
        "330 earned on the score lines, 20 taken off, 2 by adjustment.",
        "Exploit the VPN gateway",
        "T1003.003",
        "within 30 min: late by 30 min",
        "D1 10:35 by Block 203.0.113.45 at the edge (1 h 15 min after it ran)",
        "By tactic, for the steps that ran",
        "27 min",
        "Of 5 techniques that ran, 3 were detected, 1 prevented and 1 missed; 2 have not run.",
        "D2 11:00 (99.9 %)",
        "Admin scripts run whoami every minute",
        "Exploitation of the VPN gateway (T1190). We blocked <b>203.0.113.45</b> at the edge",
        "not graded yet (out of 20)",
        "Good and early; the C2 domain lacks its first-seen time. (Ana (white cell))",
        "hxxp://evil.example/update.bin",
        "Look at the VPN appliance's logs around D1 09:20.",
        "Adjusted by the white cell: Clear briefing to the minister",
        "Send the portal's upload log to the SOC <b>before</b> next year",
        "Written by atoll from the exercise record as of D2 10:30.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // The charts' words are text in the PDF too.
    for chart_words in [
        "Campaign steps",
        "Reports, answers, hints",
        "Government mail",
        "as of D2 10:30",
    ] {
        assert!(text.contains(chart_words), "missing {chart_words:?}");
    }
    assert!(!text.contains("http://evil"), "indicators are defanged");
}

#[test]
fn pages_are_numbered_and_headed_and_each_team_starts_a_page() {
    let pdf = pdf::exercise(&sample::report());
    let text = text_of(&pdf);
    let pages: Vec<&str> = text.split('\x0c').filter(|p| !p.is_empty()).collect();
    let total = pages.len();
    assert!(total >= 4, "{total} pages");
    for (n, page) in pages.iter().enumerate() {
        assert!(
            page.starts_with("Pacific Cable Shield 2025 — after-action report"),
            "page {} has no header: {page}",
            n + 1
        );
        assert!(
            page.ends_with(&format!("page {} of {total}", n + 1)),
            "page {}: {page}",
            n + 1
        );
    }
    let starts = |heading: &str| {
        pages
            .iter()
            .position(|p| p.contains(heading))
            .unwrap_or_else(|| panic!("no {heading:?}"))
    };
    let palau = starts("Team Palau — Republic of Palau");
    let nauru = starts("Team Nauru — Republic of Nauru");
    assert!(palau > starts("Teams side by side") && nauru > palau);
    // A team's heading comes first on its page, straight after the page header.
    for (page, heading) in [(palau, "Team Palau"), (nauru, "Team Nauru")] {
        let body = pages[page]
            .trim_start_matches("Pacific Cable Shield 2025 — after-action report")
            .trim_start();
        assert!(body.starts_with(heading), "{body}");
    }
    // The list of teams gives the page each starts on, after a line of dots.
    let listed = |from: &str, to: &str| {
        let line = &pages[0][pages[0].find(from).unwrap() + from.len()..pages[0].find(to).unwrap()];
        undotted(line).trim().to_owned()
    };
    assert_eq!(listed("Palau (Republic of Palau)", "Nauru ("), (palau + 1).to_string());
    assert_eq!(
        listed("Nauru (Republic of Nauru)", "Teams side by side"),
        (nauru + 1).to_string()
    );
}

#[test]
fn a_team_pdf_holds_its_own_section_only() {
    let report = sample::report();
    let pdf = pdf::team(&report, "nauru").expect("Nauru took part");
    assert_pdf(&pdf);
    let text = text_of(&pdf);
    assert!(text.contains("Pacific Cable Shield 2025 — report for Nauru"));
    assert!(text.contains("Team Nauru — Republic of Nauru"));
    assert!(text.contains("198.51.100.7"));
    assert!(text.contains("No service of this team is monitored."));
    assert!(!text.contains("Palau"), "another team's name");
    assert!(!text.contains("Teams side by side"));
    assert!(pdf::team(&report, "tonga").is_none());
}

#[test]
fn the_same_report_gives_the_same_bytes() {
    let report = sample::report();
    let first = pdf::exercise(&report);
    assert_eq!(first, pdf::exercise(&report));
    assert_eq!(pdf::team(&report, "palau"), pdf::team(&report, "palau"));
    // No creation date in the document information.
    assert!(!first.windows(13).any(|w| w == b"/CreationDate"));
    // The document identifier is hashed from the report: another report, another one.
    let mut other = report;
    other.exercise.push_str(" (rerun)");
    let (one, two) = (identifier(&first), identifier(&pdf::exercise(&other)));
    assert!(one.len() > 10 && two.len() > 10, "{one} {two}");
    assert_ne!(one, two);
}

/// The PDF trailer's `/ID [...]`.
fn identifier(pdf: &[u8]) -> String {
    let at = pdf
        .windows(4)
        .position(|w| w == b"/ID[")
        .expect("the PDF has an identifier");
    let end = at + pdf[at..].iter().position(|b| *b == b']').unwrap();
    String::from_utf8_lossy(&pdf[at..=end]).into_owned()
}

/// A report whose teams' names and texts are Japanese or hostile.
fn japanese_and_hostile() -> ExerciseReport {
    let mut report = sample::report();
    let nauru = &mut report.teams[1];
    nauru.name = "東京チーム".to_owned();
    nauru.nation = "日本".to_owned();
    nauru.reports[0].comment = Some("検知が早かった。良い報告です。".to_owned());
    let palau = &mut report.teams[0];
    palau.name = HOSTILE[0].to_owned();
    palau.lessons = HOSTILE
        .iter()
        .map(|text| Lesson {
            objective: "O1".to_owned(),
            kind: LessonKind::Observation,
            text: (*text).to_owned(),
            owner: String::new(),
            due: String::new(),
            by: "Kiele".to_owned(),
        })
        .collect();
    palau.answers[0].answer = HOSTILE[9].to_owned();
    palau.reports[0].indicators.push(HOSTILE[6].to_owned());
    palau.steps[0].name = HOSTILE[2].to_owned();
    report.exercise = HOSTILE[1].to_owned();
    report
}

#[test]
fn japanese_and_hostile_text_print_as_written() {
    let report = japanese_and_hostile();
    let pdf = pdf::exercise(&report);
    assert_pdf(&pdf);
    let text = text_of(&pdf);
    for expected in [
        "Team 東京チーム — 日本",
        "東京チーム (日本)",
        "検知が早かった。良い報告です。 (Ana (white cell))",
        "Team #panic(\"x\") — Republic of Palau",
        "*bold* and _italic_ — after-action report",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    for hostile in HOSTILE {
        assert!(text.contains(&squeeze(hostile)), "missing {hostile:?} in:\n{text}");
    }
    // The Japanese is drawn with IPAexGothic, embedded (no missing glyphs), beside the Latin
    // fonts.
    let fonts = fonts_of(&pdf);
    for font in ["IPAexGothic", "LibertinusSerif", "DejaVuSansMono"] {
        assert!(fonts.contains(font), "{font} not embedded:\n{fonts}");
    }
    // The team's own document too.
    let team = pdf::team(&report, "nauru").unwrap();
    assert!(text_of(&team).contains("*bold* and _italic_ — report for 東京チーム"));
}

#[test]
fn user_text_in_markup_is_shown_not_run() {
    // Each hostile text between two words, so that what follows it is checked as well.
    let markup: String = HOSTILE
        .iter()
        .map(|text| format!("before {} after\n\n", pdf::markup_text(text)))
        .collect();
    let text = text_of(&pdf::render(&markup, &[]).expect("the markup compiles"));
    for hostile in HOSTILE {
        let line = squeeze(&format!("before {hostile} after"));
        assert!(text.contains(&line), "missing {line:?} in:\n{text}");
    }
    // The same text as a string in code, and as data read from a JSON file.
    let literals: Vec<String> = HOSTILE.iter().map(|t| pdf::string_literal(t)).collect();
    let markup = format!("#for t in ({},) [#t \\ ]", literals.join(", "));
    let text = text_of(&pdf::render(&markup, &[]).unwrap());
    let data = serde_json::to_vec(&HOSTILE).unwrap();
    let from_json = text_of(&pdf::render(r#"#for t in json("texts.json") [#t \ ]"#, &[("texts.json", data)]).unwrap());
    for hostile in HOSTILE {
        assert!(text.contains(&squeeze(hostile)), "literal {hostile:?} in:\n{text}");
        assert!(
            from_json.contains(&squeeze(hostile)),
            "JSON {hostile:?} in:\n{from_json}"
        );
    }
    // Newlines, tabs and control characters in a literal.
    assert_eq!(pdf::string_literal("a\nb\t\"c\"\\\u{7}"), r#""a\nb\t\"c\"\\\u{7}""#);
}

#[test]
fn markup_can_read_only_what_it_is_given() {
    let image = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>"#;
    let pdf = pdf::render(r#"#image("dot.svg", width: 1cm) Done"#, &[("dot.svg", image.to_vec())]).unwrap();
    assert!(text_of(&pdf).contains("Done"));
    for (markup, says) in [
        (r#"#read("/etc/passwd")"#, "not found"),
        (r#"#read("../../../../etc/passwd")"#, "escape"),
        (r#"#import "@preview/cetz:0.3.0""#, "not found"),
        ("#datetime.today()", "date"),
        (r#"#panic("stop")"#, "panicked"),
        ("#let x = ", "expected"),
    ] {
        let error = pdf::render(markup, &[]).expect_err(markup);
        assert!(error.starts_with("error: "), "{markup}: {error}");
        assert!(error.to_lowercase().contains(says), "{markup}: {error}");
    }
    let error = pdf::render("#let x = ", &[]).unwrap_err();
    assert!(error.contains("main.typ, line 1"), "{error}");
}

#[test]
fn a_document_built_as_data_is_laid_out_whatever_its_shape() {
    // Rows shorter and longer than the columns, spans past the edge, an empty table, a heading
    // level out of range and contents pointing nowhere: all laid out, nothing lost (header cells
    // past the columns make a second header row).
    let document = Document {
        title: "Odd shapes".to_owned(),
        blocks: vec![
            Block::Heading {
                level: 0,
                text: "Level zero".to_owned(),
                anchor: Some("top".to_owned()),
            },
            Block::Contents {
                entries: vec![
                    ("To the top".to_owned(), "top".to_owned()),
                    ("Nowhere".to_owned(), "nowhere".to_owned()),
                    ("Empty".to_owned(), String::new()),
                ],
            },
            Block::Table(Table {
                caption: Some("Ragged".to_owned()),
                columns: vec![Column::text(1), Column::number()],
                header: vec!["A".to_owned(), "B".to_owned(), "C".to_owned()],
                rows: vec![
                    vec![Cell::text("short row")],
                    vec![Cell::text("one"), Cell::text("two"), Cell::text("three")],
                    vec![Cell::text("wide").spanning(9)],
                    vec![],
                ],
                compact: false,
            }),
            Block::Table(Table {
                caption: None,
                columns: vec![],
                header: vec![],
                rows: vec![],
                compact: true,
            }),
            Block::Paragraph {
                look: Look::Boxed,
                runs: vec![Run::Strong("end".to_owned()), Run::LineBreak, Run::Code("x".to_owned())],
            },
        ],
    };
    let text = undotted(&text_of(&document.to_pdf().expect("laid out")));
    for expected in [
        "Level zero",
        "To the top 1",
        "Nowhere",
        "A B C",
        "short row",
        "three",
        "wide",
        "end x",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
}

#[test]
fn a_big_exercise_prints_within_bounds() {
    // Five teams, two days of play: the size the bench times.
    let report = big::report(5, 2);
    let pdf = pdf::exercise(&report);
    assert_pdf(&pdf);
    assert!(pdf.len() < 5_000_000, "{} bytes", pdf.len());
    let text = text_of(&pdf);
    assert!(text.contains("Team 東京チーム — 日本"));
    assert!(text.contains("Event 399: the team looked at host WS-011"));
    // Every page has its header and its number.
    let pages: Vec<&str> = text.split('\x0c').filter(|p| !p.is_empty()).collect();
    assert!(pages.iter().all(|p| p.contains("page ")), "a page without its number");
    // A table that spans pages repeats its header row.
    let story_pages = pages.iter().filter(|p| p.contains("When What kind What")).count();
    assert!(story_pages >= 10, "{story_pages} pages with the story table's header");
}
