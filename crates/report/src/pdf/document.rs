//! Documents in atoll's house style, built as data: headings, paragraphs, tables and SVG
//! pictures in Rust, laid out by one Typst template (`document.typ`).
//!
//! The template reads the document as JSON and shows every text as a string, never as markup,
//! so whatever a user wrote (`#panic()`, `*`, `$`, `<label>`, backslashes) prints as it is.

use serde::Serialize;

use super::engine;

/// The template: A4, the title in the header, "page N of M" in the footer, tables whose header
/// row repeats on every page.
const TEMPLATE: &str = include_str!("document.typ");

/// The data file the template reads.
const DATA: &str = "document.json";

/// A document to print: a title (for the page header and the PDF's metadata) and its blocks
/// in order.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Document {
    /// The document as PDF.
    ///
    /// It fails only if the template does, which no document's content can make happen: an
    /// error here is a bug in this crate.
    pub fn to_pdf(&self) -> Result<Vec<u8>, String> {
        Ok(self.compile()?.pdf)
    }

    pub(crate) fn compile(&self) -> Result<engine::Compiled, String> {
        let data = serde_json::to_vec(self).map_err(|e| format!("the document cannot be written as JSON: {e}"))?;
        engine::compile(TEMPLATE, &[(DATA, data)])
    }
}

/// A part of a document, one after the other down the page.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// A heading: level 1 is the document's title, 2 a section, 3 and 4 below it. With an
    /// anchor, [`Block::Contents`] can point at it.
    Heading {
        level: u8,
        text: String,
        anchor: Option<String>,
    },
    /// A paragraph of runs of text.
    Paragraph {
        look: Look,
        runs: Vec<Run>,
    },
    Table(Table),
    /// An SVG picture as wide as the page's text, with what it shows in words for readers who
    /// cannot see it.
    Picture {
        svg: String,
        alt: String,
    },
    /// A list of the anchored headings, each with its page number and a link to it: the text
    /// shown and the heading's anchor.
    Contents {
        entries: Vec<(String, String)>,
    },
    /// What follows starts a new page (nothing happens at the top of a page).
    PageBreak,
}

/// How a paragraph looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Look {
    Plain,
    /// Grey: a side remark.
    Quiet,
    /// Large and bold: the one figure a section is about.
    Lead,
    /// In a dashed box: a warning that holds for the whole document.
    Boxed,
    /// Smaller: a legend.
    Small,
}

/// A run of text within a paragraph or a table cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum Run {
    Text(String),
    Strong(String),
    /// An identifier, a host or an indicator: monospaced.
    Code(String),
    Quiet(String),
    LineBreak,
}

/// A table: an optional caption above, a header row that repeats on every page it spans
/// (none if `header` is empty), and rows of cells.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub caption: Option<String>,
    pub columns: Vec<Column>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// As narrow as its content, with its first column in bold: a table of named figures.
    pub compact: bool,
}

/// A table's column: its share of the width left by the `Auto` columns, and whether it holds
/// numbers (aligned right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Column {
    /// 0 for as wide as its content, else its share of what the others leave.
    pub share: u16,
    pub numeric: bool,
}

impl Column {
    /// Text, with this share of the width.
    pub fn text(share: u16) -> Column {
        Column { share, numeric: false }
    }

    /// Text, as wide as its content.
    pub fn fit() -> Column {
        Column {
            share: 0,
            numeric: false,
        }
    }

    /// Numbers, as wide as they are, aligned right.
    pub fn number() -> Column {
        Column {
            share: 0,
            numeric: true,
        }
    }

    /// Numbers aligned right, with this share of the width.
    pub fn number_share(share: u16) -> Column {
        Column { share, numeric: true }
    }
}

/// A table cell: runs of text across one column or more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub runs: Vec<Run>,
    /// Columns it spans, at least 1.
    pub span: u16,
}

impl Cell {
    /// A cell of runs of text.
    pub fn runs(runs: Vec<Run>) -> Cell {
        Cell { runs, span: 1 }
    }

    /// A cell of plain text.
    pub fn text(text: impl Into<String>) -> Cell {
        Cell::runs(vec![Run::Text(text.into())])
    }

    /// A cell of monospaced text.
    pub fn code(text: impl Into<String>) -> Cell {
        Cell::runs(vec![Run::Code(text.into())])
    }

    /// The same cell across `columns` columns.
    pub fn spanning(self, columns: u16) -> Cell {
        Cell {
            span: columns.max(1),
            ..self
        }
    }
}
