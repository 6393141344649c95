//! `atoll sigma`: Sigma rules over event files, one match per line.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use atoll_sigma::{Config, Event, Level, Loaded, RuleSet, Stream, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Jsonl,
    Table,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Rule files or folders (searched for .yml and .yaml files), run instead of the default
    /// pack. The paths after `--rules` that are neither folders nor YAML files are inputs.
    #[arg(long = "rules", num_args = 1.., value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Without `--rules`: choose the default pack's rules as this scenario's `detection:`
    /// section does (the bundled scenario's choice, the defaults, when not given).
    #[arg(long, value_name = "FILE", conflicts_with = "rules")]
    scenario: Option<PathBuf>,
    /// Event files: JSON lines, JSON objects (EVTX dumps) or .evtx; `-` reads JSON lines from stdin.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
    /// Report only rules of this level or higher.
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    min_level: Option<Level>,
    /// Stop without matching when any rule fails to load.
    #[arg(long)]
    strict: bool,
    /// A value for a `%NAME%` placeholder of the `expand` modifier; repeat for several values.
    #[arg(long = "placeholder", value_name = "NAME=VALUE", value_parser = parse_placeholder)]
    placeholders: Vec<(String, String)>,
}

fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s).ok_or_else(|| format!("use one of {}", Level::NAMES.join(", ")))
}

fn parse_placeholder(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err("write NAME=VALUE".to_owned()),
    }
}

fn is_rule_path(p: &Path) -> bool {
    p.is_dir() || p.extension().is_some_and(|e| e == "yml" || e == "yaml")
}

pub(crate) fn run(mut args: Args) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    // `--rules` takes every path after it; the trailing ones that are not rules are inputs.
    let mut moved = Vec::new();
    while args.rules.len() > 1 && args.rules.last().is_some_and(|p| !is_rule_path(p)) {
        moved.extend(args.rules.pop());
    }
    moved.reverse();
    moved.append(&mut args.inputs);
    args.inputs = moved;
    if args.inputs.is_empty() {
        let _ = writeln!(
            stderr,
            "error: name at least one event file\n\n\
             Usage: atoll sigma [--rules PATH... | --scenario FILE] INPUT... [--format jsonl|table] [--min-level LEVEL]"
        );
        return ExitCode::from(2);
    }
    if args.rules.is_empty() {
        let scenario = match crate::server::scenario_or_bundled(args.scenario.as_deref()) {
            Ok(s) => s,
            Err(e) => {
                let _ = write!(stderr, "{e}");
                return ExitCode::FAILURE;
            }
        };
        let (_, selected) = match crate::server::rules(&[], &scenario) {
            Ok(r) => r,
            Err(e) => {
                let _ = writeln!(stderr, "error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let _ = writeln!(
            stderr,
            "{} rules and {} correlations of the default pack ({}): {}",
            selected.on.iter().filter(|&&on| on).count(),
            selected.correlations.len(),
            atoll_rules::sigmahq_version(),
            crate::server::selection(&scenario).describe()
        );
        return run_set(&args, &selected.set, selected.correlations, Some(&selected.on));
    }
    let mut config = Config::default();
    for (name, value) in &args.placeholders {
        config.placeholders.entry(name.clone()).or_default().push(value.clone());
    }
    let Loaded {
        rules,
        correlations,
        errors,
        ..
    } = atoll_sigma::load(&args.rules, &config);
    for e in &errors {
        let _ = writeln!(
            stderr,
            "{}:{}:{}: error: {}",
            e.file.display(),
            e.line,
            e.column,
            e.message
        );
    }
    if !errors.is_empty() {
        let (what, verb) = if errors.len() == 1 {
            ("rule", "is")
        } else {
            ("rules", "are")
        };
        if args.strict {
            let _ = writeln!(stderr, "{} {what} failed to load; stopping (--strict)", errors.len());
            return ExitCode::FAILURE;
        }
        let _ = writeln!(stderr, "{} {what} failed to load and {verb} skipped", errors.len());
    }
    if rules.is_empty() {
        let _ = writeln!(stderr, "no rules loaded from {}", list(&args.rules));
        return ExitCode::FAILURE;
    }
    run_set(&args, &RuleSet::new(rules), correlations, None)
}

/// Matches the inputs against `set` and `correlations`, one line per match; with `on`, only
/// the rules it marks report their matches.
fn run_set(args: &Args, set: &RuleSet, correlations: Vec<atoll_sigma::Correlation>, on: Option<&[bool]>) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    let mut unroutable: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for r in set.unroutable() {
        *unroutable.entry(r.logsource.to_string()).or_default() += 1;
    }
    if !unroutable.is_empty() {
        let total: usize = unroutable.values().sum();
        let kinds: Vec<String> = unroutable.iter().take(6).map(|(ls, n)| format!("{ls} ({n})")).collect();
        let more = if unroutable.len() > 6 { ", …" } else { "" };
        let _ = writeln!(
            stderr,
            "note: {total} rules are for log sources atoll does not route and see no events: {}{more} \
             (docs/logsources.md)",
            kinds.join("; ")
        );
    }
    let correlation_meta: Vec<_> = correlations.clone();
    let mut stream = match Stream::new(set, correlations) {
        Ok(s) => s,
        Err(problems) => {
            for p in problems {
                let _ = writeln!(stderr, "error: {p}");
            }
            return ExitCode::FAILURE;
        }
    };
    let min = args.min_level.unwrap_or(Level::Informational);
    let mut out = BufWriter::new(std::io::stdout().lock());
    if args.format == Format::Table {
        let _ = writeln!(
            out,
            "{:>8}  {:<13}  {:<16}  {:<60}  AUTHOR",
            "EVENT", "LEVEL", "HOST", "RULE"
        );
    }
    let (mut events, mut matches, mut bad) = (0u64, 0u64, 0u64);
    let mut write_failed = false;
    for input in &args.inputs {
        let name = input.display().to_string();
        let mut each = |index: u64, event: &Event<'_>| {
            if write_failed {
                return;
            }
            events += 1;
            let output = stream.push(event);
            for r in output.rules {
                if on.is_some_and(|on| !on.get(r).copied().unwrap_or(true)) {
                    continue;
                }
                let rule = &set.rules()[r];
                if rule.level.unwrap_or(Level::Informational) < min {
                    continue;
                }
                matches += 1;
                let line = match args.format {
                    Format::Jsonl => jsonl(
                        rule.id.as_deref(),
                        &rule.title,
                        rule.level,
                        rule.author.as_deref(),
                        index,
                        &name,
                        event,
                    ),
                    Format::Table => table(&rule.title, rule.level, rule.author.as_deref(), index, event),
                };
                write_failed |= writeln!(out, "{line}").is_err();
            }
            for hit in output.correlations {
                let c = &correlation_meta[hit.correlation];
                if c.level.unwrap_or(Level::Informational) < min {
                    continue;
                }
                matches += 1;
                let line = serde_json::json!({
                    "correlation_id": c.id,
                    "title": c.title,
                    "level": c.level,
                    "author": c.author,
                    "event": index,
                    "input": name,
                    "group": hit
                        .group
                        .iter()
                        .map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone())))
                        .collect::<serde_json::Map<_, _>>(),
                    "count": hit.count,
                    "first": hit.first,
                    "last": hit.last,
                });
                write_failed |= writeln!(out, "{line}").is_err();
            }
        };
        let mut problem = |p: atoll_sigma::input::InputError| {
            bad += 1;
            let _ = writeln!(std::io::stderr(), "{name}:{p}");
        };
        let result = if input == Path::new("-") {
            atoll_sigma::input::read_json_lines(std::io::stdin().lock(), &mut each, &mut problem)
        } else {
            atoll_sigma::input::read_path(input, &mut each, &mut problem)
        };
        if let Err(e) = result {
            bad += 1;
            let _ = writeln!(stderr, "{name}: error: {e}");
        }
        if write_failed {
            break;
        }
    }
    let _ = out.flush();
    let _ = writeln!(
        stderr,
        "{events} events, {matches} matches, {} rules{}",
        set.len(),
        if bad > 0 {
            format!(", {bad} unreadable events or inputs")
        } else {
            String::new()
        }
    );
    if bad > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn text_of(event: &Event<'_>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| event.get(n).and_then(Value::text).map(|t| t.into_owned()))
}

fn jsonl(
    id: Option<&str>,
    title: &str,
    level: Option<Level>,
    author: Option<&str>,
    index: u64,
    input: &str,
    event: &Event<'_>,
) -> String {
    let mut line = serde_json::json!({
        "rule_id": id,
        "title": title,
        "level": level,
        "author": author,
        "event": index,
        "input": input,
    });
    if let Some(map) = line.as_object_mut() {
        if let Some(t) = text_of(event, &["@timestamp", "SystemTime"]) {
            map.insert("timestamp".into(), t.into());
        }
        if let Some(h) = text_of(event, &["host", "Computer"]) {
            map.insert("host".into(), h.into());
        }
    }
    line.to_string()
}

fn table(title: &str, level: Option<Level>, author: Option<&str>, index: u64, event: &Event<'_>) -> String {
    let cut = |s: &str, n: usize| -> String {
        if s.chars().count() > n {
            let mut t: String = s.chars().take(n - 1).collect();
            t.push('…');
            t
        } else {
            s.to_owned()
        }
    };
    let host = text_of(event, &["host", "Computer"]).unwrap_or_else(|| "-".into());
    format!(
        "{index:>8}  {:<13}  {:<16}  {:<60}  {}",
        level.map_or("-", Level::as_str),
        cut(&host, 16),
        cut(title, 60),
        author.unwrap_or("-")
    )
}
