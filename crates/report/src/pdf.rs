//! The report as PDF, made in process by Typst used as a library, and the means to print other
//! documents the same way.
//!
//! - [`exercise`] and [`team`]: the same documents as [`html::exercise`](crate::html::exercise)
//!   and [`html::team`](crate::html::team), section for section, on A4.
//! - [`Document`]: a document built as data (headings, paragraphs, tables, SVG pictures) in
//!   atoll's house style: the title in the page header, "page N of M" in the footer, table
//!   header rows repeated on each page, nothing told by colour alone. User text in it is data
//!   and prints as it is.
//! - [`render`]: any Typst markup, with files (images, JSON data) by name; [`markup_text`] and
//!   [`string_literal`] put user text into such markup so that it is never read as markup or
//!   code.
//!
//! Fonts are compiled into the binary (`fonts/NOTICE`): Libertinus Serif for text, DejaVu Sans
//! Mono for identifiers, IPAexGothic for Japanese. Typst reads no file, no network and no
//! clock, and the PDF carries no date: the same input gives the same bytes.

mod document;
mod engine;
pub(crate) mod report;

pub use document::{Block, Cell, Column, Document, Look, Run, Table};

use crate::model::ExerciseReport;

/// The white cell's document as PDF: the teams side by side (each normalised to the points it
/// could have earned), the exercise's lessons, then each team's section on a new page.
pub fn exercise(report: &ExerciseReport) -> Vec<u8> {
    print(&report::exercise(report))
}

/// One team's document as PDF. `None` if no team has this id.
pub fn team(report: &ExerciseReport, team_id: &str) -> Option<Vec<u8>> {
    report::team(report, team_id).map(|document| print(&document))
}

/// A report's document as PDF. The template is this crate's and every text in the document is
/// data, so a failure is a bug here, not something a report can cause; the tests render
/// hostile text to keep it so.
fn print(document: &Document) -> Vec<u8> {
    match document.compile() {
        Ok(compiled) => {
            debug_assert!(
                compiled.warnings.is_empty(),
                "the report template gave warnings: {:?}",
                compiled.warnings
            );
            compiled.pdf
        }
        Err(error) => panic!("the report template failed, a bug in atoll-report: {error}"),
    }
}

/// Compiles Typst markup into a PDF.
///
/// `files` are what the markup may read, by name (`"chart.svg"` or `"/chart.svg"`): images
/// (`#image("chart.svg")`), data (`#json("data.json")`, which is how user text is best passed:
/// as data, never as markup), or markup to `#import`. Nothing else can be read: no file system,
/// no packages, no network, and `datetime.today()` fails. Typst keeps each distinct file name
/// for the life of the process, so use a fixed set of names, not names made from user data.
///
/// The PDF has no creation date and an identifier hashed from the markup and files, so the same
/// input gives the same bytes. An error lists Typst's diagnostics, one a line; warnings are
/// dropped.
pub fn render(markup: &str, files: &[(&str, Vec<u8>)]) -> Result<Vec<u8>, String> {
    engine::compile(markup, files).map(|compiled| compiled.pdf)
}

/// User text as a Typst string literal, for code: `Kiele's "notes" \ 1` becomes
/// `"Kiele's \"notes\" \\ 1"`. Nothing in it is evaluated.
pub fn string_literal(text: &str) -> String {
    let mut literal = String::with_capacity(text.len() + 2);
    literal.push('"');
    for c in text.chars() {
        match c {
            '"' => literal.push_str("\\\""),
            '\\' => literal.push_str("\\\\"),
            '\n' => literal.push_str("\\n"),
            '\r' => literal.push_str("\\r"),
            '\t' => literal.push_str("\\t"),
            c if c.is_control() => literal.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => literal.push(c),
        }
    }
    literal.push('"');
    literal
}

/// User text for markup, shown exactly as written: the string literal embedded and ended with a
/// semicolon (`#"*not bold*";`), so that neither the text nor what follows it in the markup is
/// read as markup, code, a label, a reference, maths or a URL.
pub fn markup_text(text: &str) -> String {
    format!("#{};", string_literal(text))
}
