//! Typst as a library: a [`World`] that holds one document's markup and files in memory, the
//! fonts compiled into the binary, and nothing else.
//!
//! No file system, no network, no package downloads and no clock: `today()` is `None`, so a
//! document that asks for the date fails rather than changing from one day to the next. The PDF
//! carries no creation date, and its identifier is a hash of what it was made from, so the same
//! input gives the same bytes.

use std::collections::HashMap;
use std::sync::LazyLock;

use sha1::{Digest, Sha1};
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_pdf::PdfOptions;

/// IPAexGothic, for Japanese (and the rest of CJK that it covers); see `fonts/NOTICE`.
static IPAEX_GOTHIC: &[u8] = include_bytes!("../../fonts/ipaexg.ttf");

/// Name of the main file in diagnostics; documents name their other files as they like.
const MAIN: &str = "/main.typ";

/// Every font a document can use, read once per process: typst-assets' Latin fonts (Libertinus
/// Serif, New Computer Modern and its math, DejaVu Sans Mono) and IPAexGothic.
struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .chain([IPAEX_GOTHIC])
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    Fonts {
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

/// Typst's standard library, without `sys.inputs`: documents read their data from files.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// One document's world: its markup and its files.
struct Memory {
    main: Source,
    files: HashMap<FileId, Bytes>,
}

impl Memory {
    fn new(markup: &str, files: &[(&str, Vec<u8>)]) -> Result<Memory, String> {
        let main = Source::new(file_id(MAIN)?, markup.to_owned());
        let mut by_id = HashMap::new();
        for (name, bytes) in files {
            let id = file_id(name)?;
            if id == main.id() {
                return Err(format!("a file may not be named {MAIN:?}: that is the markup's name"));
            }
            by_id.insert(id, Bytes::new(bytes.clone()));
        }
        Ok(Memory { main, files: by_id })
    }
}

/// The id of a file name; names are relative to the document's root, `/` or not.
///
/// Typst keeps every distinct name for the life of the process (at most 65,535 of them), so
/// documents should use a fixed set of names, not names made from user data.
fn file_id(name: &str) -> Result<FileId, String> {
    let path = VirtualPath::new(name).map_err(|e| format!("bad file name {name:?}: {e:?}"))?;
    Ok(RootedPath::new(VirtualRoot::Project, path).intern())
}

impl World for Memory {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        // A file given with the document can be imported as markup, if it is text.
        let bytes = self.file(id)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.to_owned()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.vpath().get_with_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// A PDF and the warnings Typst gave while making it.
pub(crate) struct Compiled {
    pub(crate) pdf: Vec<u8>,
    pub(crate) warnings: Vec<String>,
}

/// Compiles Typst markup to PDF, with the files it may read (images, JSON data, markup to
/// import) by name; see [`render`](super::render).
pub(crate) fn compile(markup: &str, files: &[(&str, Vec<u8>)]) -> Result<Compiled, String> {
    let world = Memory::new(markup, files)?;
    // The document type (typst-layout's `PagedDocument`) is the one `typst_pdf::pdf` takes.
    let compiled = typst::compile(&world);
    let warnings = compiled.warnings.iter().map(|w| describe(&world, w)).collect();
    let document = compiled.output.map_err(|errors| {
        errors
            .iter()
            .map(|e| describe(&world, e))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let options = PdfOptions {
        ident: Smart::Custom(ident(markup, files)),
        creator: Smart::Custom(Some("atoll".to_owned())),
        timestamp: None,
        ..PdfOptions::default()
    };
    let pdf = typst_pdf::pdf(&document, &options).map_err(|errors| {
        errors
            .iter()
            .map(|e| describe(&world, e))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    // Typst memoises layouts across documents; keep what the last few renders used and drop
    // the rest, so that a long-running server does not keep every report it ever wrote.
    typst::comemo::evict(3);
    Ok(Compiled { pdf, warnings })
}

/// A stable identifier for the PDF: a hash of everything it was made from.
fn ident(markup: &str, files: &[(&str, Vec<u8>)]) -> String {
    let mut hash = Sha1::new();
    hash.update(markup.as_bytes());
    for (name, bytes) in files {
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A diagnostic in a line: "error: unknown variable: x (main.typ, line 3, column 2)".
fn describe(world: &Memory, diagnostic: &SourceDiagnostic) -> String {
    let severity = match diagnostic.severity {
        typst::diag::Severity::Error => "error",
        typst::diag::Severity::Warning => "warning",
    };
    let mut words = format!("{severity}: {}", diagnostic.message);
    let place = diagnostic.span.id().and_then(|id| {
        let range = world.range(diagnostic.span)?;
        let source = world.source(id).ok()?;
        let (line, column) = source.lines().byte_to_line_column(range.start)?;
        Some(format!(
            " ({}, line {}, column {})",
            id.vpath().get_without_slash(),
            line + 1,
            column + 1
        ))
    });
    words.push_str(&place.unwrap_or_default());
    for hint in &diagnostic.hints {
        words.push_str(&format!("; hint: {}", hint.v));
    }
    words
}
