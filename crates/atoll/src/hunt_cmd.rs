//! `atoll hunt`: a query over an event file, on the engine the server's hunt page uses.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use atoll_hunt::{Answer, Calendar, Context, Limits, Output, Page, Query, Row, Store};
use atoll_sigma::input::{Line, Lines, too_long};
use atoll_sigma::{Config, RuleSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Matching events as JSON lines (or one JSON object per table row).
    Jsonl,
    /// Aligned columns for reading.
    Table,
    /// Only the number of results.
    Count,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Events as JSON lines (as `atoll simulate` writes them); `-` reads standard input.
    #[arg(value_name = "EVENTS")]
    events: PathBuf,
    /// The query, e.g. `CommandLine:*ntdsutil*` or `EventID:4625 | stats count by host`
    /// (see docs/hunting.md). Every event when left out.
    #[arg(value_name = "QUERY", default_value = "")]
    query: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Keep only events that these Sigma rules (files or folders) match: a rule run as a hunt.
    #[arg(long = "sigma", value_name = "RULES")]
    sigma: Vec<PathBuf>,
    /// What `now` means in `earliest:-2h` (RFC 3339); the newest event's time by default.
    #[arg(long, value_name = "TIME")]
    now: Option<jiff::Timestamp>,
    /// The scenario the events come from: its time zone gives meaning to `"D2 08:30"`.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// The calendar date of exercise day 1 (YYYY-MM-DD), as given to `atoll simulate`.
    #[arg(long, value_name = "DATE", requires = "scenario")]
    date: Option<jiff::civil::Date>,
    /// Results to skip, then at most this many to show.
    #[arg(long, default_value_t = 0)]
    offset: usize,
    #[arg(long)]
    limit: Option<usize>,
    /// Seconds the query may run (at most a day).
    #[arg(long, default_value = "60", value_parser = parse_timeout)]
    timeout: Duration,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 86_400.0 => Ok(Duration::from_secs_f64(secs)),
        _ => Err("give a number of seconds from 0.001 to 86400".to_owned()),
    }
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    let query = match Query::parse(&args.query) {
        Ok(q) => q,
        Err(e) => {
            let _ = write!(stderr, "{}", render_error(&args.query, &e));
            return ExitCode::FAILURE;
        }
    };
    let mut ctx = Context {
        now: args.now.map(|t| t.as_millisecond()),
        calendar: None,
    };
    if let Some(path) = &args.scenario {
        match atoll_scenario::load_file(path) {
            Ok(scenario) => match Calendar::of(args.date.unwrap_or(atoll_sim::DEFAULT_DATE), &scenario.time_zone.0) {
                Some(calendar) => ctx.calendar = Some(calendar),
                None => {
                    let _ = writeln!(
                        stderr,
                        "{}: error: unknown time zone `{}`",
                        path.display(),
                        scenario.time_zone.0
                    );
                    return ExitCode::FAILURE;
                }
            },
            Err(problems) => {
                let _ = write!(stderr, "{}", problems.render(&path.display().to_string()));
                return ExitCode::FAILURE;
            }
        }
    }
    let rules = if args.sigma.is_empty() {
        None
    } else {
        let loaded = atoll_sigma::load(&args.sigma, &Config::default());
        for e in &loaded.errors {
            let _ = writeln!(stderr, "{e}");
        }
        if !loaded.errors.is_empty() || loaded.rules.is_empty() {
            let _ = writeln!(
                stderr,
                "error: the Sigma rules to hunt with must all load (found {})",
                loaded.rules.len()
            );
            return ExitCode::FAILURE;
        }
        Some(RuleSet::new(loaded.rules))
    };

    let name = args.events.display().to_string();
    let (store, bad) = match load(&args.events, &name, &mut stderr) {
        Ok(loaded) => loaded,
        Err(e) => {
            let _ = writeln!(stderr, "{name}: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let limits = Limits {
        timeout: args.timeout,
        ..Limits::default()
    };
    let page = Page {
        offset: args.offset,
        limit: args.limit.unwrap_or(usize::MAX),
    };
    let answer = match store.run(&query, rules.as_ref(), &ctx, &limits, page) {
        Ok(a) => a,
        Err(e) => {
            let _ = write!(stderr, "{}", render_error(&args.query, &e));
            return ExitCode::FAILURE;
        }
    };
    for note in &answer.notes {
        let _ = writeln!(stderr, "note: {note}");
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    let written = match args.format {
        Format::Count => writeln!(out, "{}", answer.total),
        Format::Jsonl => write_jsonl(&store, &answer, &mut out),
        Format::Table => write_table(&store, &answer, &mut out),
    };
    if written.and_then(|()| out.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    if bad > 0 {
        let what = if bad == 1 {
            "line was not an event and was"
        } else {
            "lines were not events and were"
        };
        let _ = writeln!(stderr, "{name}: {bad} {what} left out");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Reads every line into a store; lines that are not events are reported and skipped. A line
/// longer than [`MAX_EVENT_BYTES`](atoll_sigma::input::MAX_EVENT_BYTES) is one of them, and is
/// never held whole.
fn load(path: &PathBuf, name: &str, stderr: &mut impl Write) -> std::io::Result<(Store, u64)> {
    let reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path)?)
    };
    let mut lines = Lines::new(BufReader::with_capacity(1 << 20, reader));
    let mut store = Store::new();
    let mut bad = 0u64;
    while let Some((number, line)) = lines.next_line()? {
        let problem = match line {
            Line::TooLong => Some((None, too_long("line", false))),
            Line::Endless => Some((None, too_long("line", true))),
            Line::Text(bytes) => match std::str::from_utf8(bytes) {
                Err(e) => Some((Some(e.valid_up_to() + 1), "not UTF-8 text".to_owned())),
                Ok(text) => {
                    let text = text.trim_end_matches(['\n', '\r']);
                    if text.trim().is_empty() {
                        continue;
                    }
                    store
                        .push_json(text)
                        .err()
                        .map(|e| (Some(e.column.unwrap_or(1)), e.message))
                }
            },
        };
        if let Some((column, message)) = problem {
            bad += 1;
            // The first 20, and always the one after which the file was not read.
            if bad <= 20 || line == Line::Endless {
                let place = column.map_or(String::new(), |c| format!(":{c}"));
                let _ = writeln!(stderr, "{name}:{number}{place}: error: {message}");
            }
        }
    }
    Ok((store, bad))
}

/// The error under the query, with a caret at its column.
fn render_error(query: &str, e: &atoll_hunt::QueryError) -> String {
    format!("error: {}\n", e.pointed(query))
}

fn write_jsonl(store: &Store, answer: &Answer, out: &mut impl Write) -> std::io::Result<()> {
    let mut line = String::new();
    match &answer.output {
        Output::Events(rows) => {
            for &row in rows {
                line.clear();
                store.write_json(row, &mut line);
                writeln!(out, "{line}")?;
            }
        }
        Output::Table(table) => {
            for values in &table.rows {
                let object: serde_json::Map<String, serde_json::Value> = table
                    .columns
                    .iter()
                    .zip(values)
                    .map(|(c, v)| {
                        let value = match (c.as_str(), v.parse::<u64>()) {
                            ("count", Ok(n)) => serde_json::Value::from(n),
                            _ => serde_json::Value::from(v.as_str()),
                        };
                        (c.clone(), value)
                    })
                    .collect();
                writeln!(out, "{}", serde_json::Value::Object(object))?;
            }
        }
    }
    Ok(())
}

/// Events as `time host log` and their other fields; tables as aligned columns.
fn write_table(store: &Store, answer: &Answer, out: &mut impl Write) -> std::io::Result<()> {
    let (columns, rows): (Vec<String>, Vec<Vec<String>>) = match &answer.output {
        Output::Events(rows) => (
            ["@timestamp", "host", "log", "fields"].map(str::to_owned).to_vec(),
            rows.iter().map(|&row| event_row(store, row)).collect(),
        ),
        Output::Table(table) => (table.columns.clone(), table.rows.clone()),
    };
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            let widest = rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
            widest
                .max(columns[i].chars().count())
                .min(if i + 1 == columns.len() { usize::MAX } else { 60 })
        })
        .collect();
    let line = |values: &[String]| {
        let cells: Vec<String> = values
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (v, &w))| {
                if i + 1 == values.len() {
                    v.clone()
                } else {
                    format!("{:w$}", truncate(v, w))
                }
            })
            .collect();
        cells.join("  ").trim_end().to_owned()
    };
    writeln!(out, "{}", line(&columns))?;
    for row in &rows {
        writeln!(out, "{}", line(row))?;
    }
    if answer.total > rows.len() {
        writeln!(out, "({} of {} shown)", rows.len(), answer.total)?;
    }
    Ok(())
}

fn event_row(store: &Store, row: Row) -> Vec<String> {
    let mut head = [String::new(), String::new(), String::new()];
    let mut rest = Vec::new();
    for (name, _, text) in store.event(row) {
        match name {
            "@timestamp" => head[0] = text.into_owned(),
            "host" => head[1] = text.into_owned(),
            "log" => head[2] = text.into_owned(),
            _ => rest.push(format!("{name}={text}")),
        }
    }
    let [a, b, c] = head;
    vec![a, b, c, rest.join(" ")]
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut t: String = text.chars().take(width.saturating_sub(1)).collect();
    t.push('…');
    t
}
