//! Throughput of the Sigma engine over the SigmaHQ Windows rule set.
//!
//! `cargo bench -p atoll-sigma --bench throughput` (set `ATOLL_BENCH_EVENTS` to change the
//! corpus size, default 1,000,000). It builds a corpus deterministically from `../shared/sigma`
//! alone: the regression events and the threat cases, repeated with perturbed hosts, record
//! ids and times, as flat JSON lines. Then, on one core, it measures:
//! - atoll: rule load time, events per second (JSON parsing included), peak memory;
//! - atoll without its prefilter (every routed rule evaluated: the straightforward version);
//! - rsigma-eval 0.23 (`Engine::evaluate`, no log source filtering) on the same lines.
//!
//! The two baselines run on a slice of the corpus, since they are far slower. Set
//! `ATOLL_BENCH_ONLY_ATOLL=1` to measure atoll alone (no worst cases, no baselines), e.g. under a
//! profiler.

#![expect(clippy::print_stdout, reason = "a benchmark reports its numbers on stdout")]

use std::path::{Path, PathBuf};
use std::time::Instant;

use atoll_sigma::{Config, Event, RuleSet};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

#[path = "../../../bench-support/measure.rs"]
mod measure;
use measure::{cpu_secs, peak_rss_mib, rss_mib};

/// Base events as flat JSON objects.
fn base_events() -> Vec<serde_json::Map<String, serde_json::Value>> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    let mut stack = vec![shared().join("sigma/regression_data")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("regression data").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    for f in files {
        atoll_sigma::input::read_path(&f, &mut |_, e: &Event<'_>| out.push(to_map(e)), &mut |p| {
            panic!("{}: {p}", f.display())
        })
        .expect("readable");
    }
    let cases = std::fs::read_to_string(shared().join("research/threat-cases.jsonl")).expect("threat cases");
    for line in cases.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).expect("json");
        let mut event = case["event"].as_object().cloned().unwrap_or_default();
        // The cases carry the fields rules read; give Windows ones their channel.
        if !event.contains_key("Channel") {
            let id = event.get("EventID").and_then(serde_json::Value::as_i64);
            let channel = match id {
                Some(1..=29) => Some("Microsoft-Windows-Sysmon/Operational"),
                Some(4104) => Some("Microsoft-Windows-PowerShell/Operational"),
                Some(7045 | 104) => Some("System"),
                Some(4000..=5999) => Some("Security"),
                _ => None,
            };
            if let Some(c) = channel {
                event.insert("Channel".into(), c.into());
            }
        }
        out.push(event);
    }
    out
}

fn to_map(e: &Event<'_>) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    for (k, v) in &e.fields {
        let v = match v {
            atoll_sigma::Value::Str(s) => serde_json::Value::from(s.as_ref()),
            atoll_sigma::Value::Int(i) => serde_json::Value::from(*i),
            atoll_sigma::Value::Float(f) => serde_json::Value::from(*f),
            atoll_sigma::Value::Bool(b) => serde_json::Value::from(*b),
            atoll_sigma::Value::Null => serde_json::Value::Null,
        };
        m.entry(k.to_string()).or_insert(v);
    }
    m
}

/// The corpus: `n` JSON lines, each a base event with its host, record id and time perturbed.
/// The lines sit in one buffer, as a file read into memory would, not in a million separate
/// allocations that would slow every later allocation of the measured loop.
fn corpus(n: usize) -> Vec<&'static str> {
    let base = base_events();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        // xorshift64*: deterministic, no dependency.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let text: String = (0..n)
        .map(|i| {
            let mut e = base[i % base.len()].clone();
            let r = next();
            let host = format!("PT-WS{:03}", r % 400);
            if e.contains_key("Computer") {
                e.insert("Computer".into(), host.clone().into());
            }
            e.insert("host".into(), host.into());
            e.insert("EventRecordID".into(), (i as u64 + 1000).into());
            let secs = 1_700_000_000 + (i as i64) * 3 + (r % 3) as i64;
            let ts = jiff::Timestamp::from_second(secs).expect("in range");
            e.insert("@timestamp".into(), ts.to_string().into());
            let mut line = serde_json::to_string(&e).expect("serialisable");
            line.push('\n');
            line
        })
        .collect();
    let text: &'static str = String::leak(text);
    text.lines().collect()
}

/// The worst rules and events we could write, each timed on the largest event a JSON line may
/// hold (4 MiB): a pathological rule must cost milliseconds, not stall the engine.
fn pathological() {
    let big = |unit: &str| unit.repeat(4_000_000 / unit.len());
    let list = |unit: &str, n: usize| format!("[{}]", vec![format!("\"{unit}\""); n].join(","));
    let stars: String = (0..60).map(|_| "a*").collect();
    let many: Vec<String> = (0..1000).map(|i| format!("'v{i}x'")).collect();
    let cases: Vec<(&str, String, String)> = vec![
        (
            "60-star wildcard, 4 MB value of `a`",
            format!("CommandLine: '*{stars}b'"),
            format!(r#"{{"CommandLine": "{}"}}"#, big("a")),
        ),
        (
            "wildcard with 60 `?`, 4 MB value",
            format!("CommandLine: '*{}b*'", "a?".repeat(60)),
            format!(r#"{{"CommandLine": "{}"}}"#, big("a")),
        ),
        (
            "regex near the size limit, 4 MB value",
            "CommandLine|re: '(?i)(\\w+\\s+){1,50}[a-z]{1,64}x$'".to_owned(),
            format!(r#"{{"CommandLine": "{}"}}"#, big("ab ")),
        ),
        (
            "1,000 values with |contains|all, 4 MB value",
            format!("CommandLine|contains|all: [{}]", many.join(",")),
            format!(r#"{{"CommandLine": "{}"}}"#, big("v1x ")),
        ),
        (
            "1,000 values `a…ab` of growing length, 4 MB value of `a`",
            format!(
                "CommandLine|contains: [{}]",
                (1..=1000)
                    .map(|n| format!("'{}b'", "a".repeat(n)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            format!(r#"{{"CommandLine": "{}"}}"#, big("a")),
        ),
        (
            "121 values `a…a` with one `b` at each place, 4 MB value of `a`",
            format!(
                "CommandLine|contains: [{}]",
                (0..=120)
                    .map(|i| format!("'{}b{}'", "a".repeat(i), "a".repeat(120 - i)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            format!(r#"{{"CommandLine": "{}"}}"#, big("a")),
        ),
        (
            "8 values of 249 to 256 `a`, 4 MB value of `a`",
            format!(
                "CommandLine|contains: [{}]",
                (249..=256)
                    .map(|n| format!("'{}'", "a".repeat(n)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            format!(r#"{{"CommandLine": "{}"}}"#, big("a")),
        ),
        (
            "fieldref|contains between two lists of 100,000 values",
            "a|fieldref|contains: b".to_owned(),
            format!(r#"{{"a": {}, "b": {}}}"#, list("xy", 100_000), list("z", 100_000)),
        ),
        (
            "1,000 wildcard keywords, 100,000 values",
            format!(
                "keywords: [{}]",
                (0..1000).map(|i| format!("'*k{i}*q'")).collect::<Vec<_>>().join(",")
            ),
            format!(r#"{{"a": {}}}"#, list("k1 k2 k3", 100_000)),
        ),
    ];
    for (name, detection, event) in cases {
        let (sel, cond) = if detection.starts_with("keywords") {
            (detection.replacen("keywords: ", "keywords:\n    ", 1), "keywords")
        } else {
            (format!("selection:\n    {detection}"), "selection")
        };
        let rule = format!("title: worst\nlogsource: {{product: windows}}\ndetection:\n  {sel}\n  condition: {cond}\n");
        let (rules, _) = atoll_sigma::load_str(&rule, &Config::default()).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let set = RuleSet::new(rules);
        // A Security event, so that the rule (`product: windows`) is routed to it.
        let event = event.replacen('{', r#"{"Channel": "Security", "#, 1);
        let e = Event::from_json(&event).expect("valid event");
        let mut scanner = set.scanner();
        let time = |f: &mut dyn FnMut() -> usize| {
            let t = Instant::now();
            let matched: usize = (0..3).map(|_| f()).sum();
            (t.elapsed().as_secs_f64() / 3.0 * 1000.0, matched)
        };
        let (fast, m1) = time(&mut || scanner.matches(&e).len());
        let (full, m2) = time(&mut || set.matches_unfiltered(&e).len());
        println!(
            "worst case: {name}: {fast:.1} ms per event ({full:.1} ms without the prefilter; {m1}/{m2} of 3 matched)"
        );
    }
}

fn main() {
    let n: usize = std::env::var("ATOLL_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // `cargo test --benches` lists targets with `--list`; there is nothing to list.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sigma = shared().join("sigma");
    let folders: Vec<PathBuf> = ["rules/windows", "rules-emerging-threats", "rules-threat-hunting"]
        .iter()
        .map(|f| sigma.join(f))
        .collect();

    let rss0 = rss_mib();
    let t = Instant::now();
    let cpu = cpu_secs();
    let mut config = Config::default();
    config.placeholders.insert("known_cdcs".into(), vec!["CDC01$".into()]);
    let loaded = atoll_sigma::load(&folders, &config);
    let set = RuleSet::new(loaded.rules);
    let load_s = t.elapsed().as_secs_f64();
    let load_cpu = cpu_secs() - cpu;
    let rules_mib = rss_mib() - rss0;
    println!(
        "rules: {} loaded ({} failed) in {:.2} s CPU ({:.3} s wall); resident memory for the rule set {:.1} MiB",
        set.len(),
        loaded.errors.len(),
        load_cpu,
        load_s,
        rules_mib
    );

    let t = Instant::now();
    let lines = corpus(n);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    println!(
        "corpus: {} events, {:.0} MiB of JSON lines, built in {:.1} s",
        lines.len(),
        bytes as f64 / (1024.0 * 1024.0),
        t.elapsed().as_secs_f64()
    );

    // atoll, full corpus, one core: three passes, the median reported (the machine is shared
    // and noisy; one pass can be a third slower than the next).
    let passes = std::env::var("ATOLL_BENCH_PASSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3usize)
        .max(1);
    let mut rates = Vec::new();
    let mut matches = 0usize;
    let mut scanner = set.scanner();
    for _ in 0..passes {
        let cpu = cpu_secs();
        matches = 0;
        for line in &lines {
            let e = Event::from_json(line).expect("valid line");
            matches += scanner.matches(&e).len();
        }
        rates.push(lines.len() as f64 / (cpu_secs() - cpu));
    }
    rates.sort_by(f64::total_cmp);
    let atoll_rate = rates[rates.len() / 2];
    println!(
        "atoll:            {:>10.0} events per CPU second, median of {passes} passes (slowest {:.0}, fastest {:.0}; {} matches per pass, {:.1} MB/s of JSON)",
        atoll_rate,
        rates[0],
        rates[rates.len() - 1],
        matches,
        bytes as f64 * atoll_rate / lines.len() as f64 / 1e6
    );

    if std::env::var_os("ATOLL_BENCH_ONLY_ATOLL").is_some() {
        return;
    }
    pathological();
    // Baseline 1: the same engine without routing shortcuts or prefilter.
    let slice = &lines[..lines.len().min(20_000)];
    let cpu = cpu_secs();
    let mut m1 = 0usize;
    for line in slice {
        let e = Event::from_json(line).expect("valid line");
        m1 += set.matches_unfiltered(&e).len();
    }
    let rate1 = slice.len() as f64 / (cpu_secs() - cpu);
    println!(
        "atoll, no prefilter: {:>7.0} events per CPU second over {} events ({m1} matches) — prefilter speed-up {:.1}×",
        rate1,
        slice.len(),
        atoll_rate / rate1
    );

    // Baseline 2: rsigma-eval, detection only (it does not route by Channel/EventID).
    let rsigma_slice = &lines[..lines.len().min(5_000)];
    let t = Instant::now();
    let mut engine = rsigma_eval::Engine::new();
    let mut rsigma_rules = 0;
    for folder in &folders {
        if let Ok(c) = rsigma_parser::parse_sigma_directory(folder) {
            rsigma_rules += c.rules.len();
            let _ = engine.add_rules(&c.rules);
        }
    }
    let rsigma_load = t.elapsed().as_secs_f64();
    let cpu = cpu_secs();
    let mut m2 = 0usize;
    for line in rsigma_slice {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid line");
        m2 += engine.evaluate(&rsigma_eval::JsonEvent::borrow(&v)).len();
    }
    let rate2 = rsigma_slice.len() as f64 / (cpu_secs() - cpu);
    println!(
        "rsigma-eval 0.23: {:>10.0} events per CPU second over {} events ({m2} matches, no log source routing); \
         {rsigma_rules} rules loaded in {rsigma_load:.3} s — atoll is {:.0}× faster",
        rate2,
        rsigma_slice.len(),
        atoll_rate / rate2
    );
    println!(
        "peak resident memory of the whole run (corpus included): {:.0} MiB",
        peak_rss_mib()
    );
}
