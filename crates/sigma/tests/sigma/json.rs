//! The fast path for flat JSON lines reads exactly what serde_json reads.
//!
//! `Event::from_json` tries a one-pass reader of flat objects first and falls back to
//! serde_json (`Event::from_json_slow`) for everything else. On any text, the two must give the
//! same event, or both an error: checked on hand-picked edge cases, on every regression event
//! of `../shared/sigma`, and on generated lines (fixed seed) that spell the same characters in
//! every way JSON allows, with numbers at the edges of `i64`, nested values, and random
//! damage.

use std::path::Path;

use atoll_sigma::{Event, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};

fn same(text: &str) -> Result<(), String> {
    let fast = Event::from_json(text);
    let slow = Event::from_json_slow(text);
    match (&fast, &slow) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        _ => Err(format!("{text:?}: fast path {fast:?}, serde_json {slow:?}")),
    }
}

#[test]
fn edge_cases_read_the_same_both_ways() {
    let cases = [
        r#"{}"#,
        r#"  { "a" : "b" , "c":1 }  "#,
        "{\"a\":\"b\"}\n",
        r#"{"Image": "C:\\Windows\\System32\\cmd.exe", "n": -42}"#,
        r#"{"q": "say \"hi\"", "s": "a\/b", "c": "\b\f\n\r\t"}"#,
        r#"{"u": "\u00e9\u4e2d\ud83d\ude00", "k\u0041": 1}"#,
        r#"{"zero": "\u0000"}"#,
        r#"{"lone": "\ud83d"}"#,
        r#"{"lone": "\ude00x"}"#,
        r#"{"bad": "\x41"}"#,
        r#"{"bad": "\u12"}"#,
        "{\"ctl\": \"a\u{1}b\"}",
        "{\"tab\": \"a\tb\"}",
        r#"{"max": 9223372036854775807, "min": -9223372036854775808}"#,
        r#"{"big": 9223372036854775808}"#,
        r#"{"big": 18446744073709551616}"#,
        r#"{"low": -9223372036854775809}"#,
        r#"{"negzero": -0, "zero": 0}"#,
        r#"{"lead": 01}"#,
        r#"{"f": 1.5, "e": 1e3, "E": -2E-2}"#,
        r#"{"minus": -}"#,
        r#"{"t": true, "f": false, "n": null}"#,
        r#"{"t": tru}"#,
        r#"{"nested": {"b": [1, "x", null]}, "Threat Name": "EICAR"}"#,
        r#"{"Event": {"System": {"Channel": "Security", "EventID": 4688}}}"#,
        r#"{"Event.System.Channel": "Security"}"#,
        r#"{"a": 1,}"#,
        r#"{"a" 1}"#,
        r#"{"a": 1} x"#,
        r#"{"a": 1}{"b": 2}"#,
        r#"[1, 2]"#,
        r#"{"a": 1"#,
        r#"{"a": "unterminated"#,
        r#"{"a": "ends in a backslash\"#,
        r#"{"dup": 1, "dup": "2"}"#,
        "",
        "   ",
    ];
    for text in cases {
        same(text).unwrap();
    }
    // And what the fast path reads is what a reader expects.
    let e = Event::from_json(r#"{"Image": "C:\\x.exe", "n": -7, "u": "\u00e9\ud83d\ude00", "ok": true}"#).unwrap();
    assert_eq!(e.get("Image"), Some(&Value::Str("C:\\x.exe".into())));
    assert_eq!(e.get("n"), Some(&Value::Int(-7)));
    assert_eq!(e.get("u"), Some(&Value::Str("é😀".into())));
    assert_eq!(e.get("ok"), Some(&Value::Bool(true)));
}

#[test]
fn regression_events_read_the_same_both_ways() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sigma/regression_data");
    let mut stack = vec![root];
    let mut lines = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("regression data").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&path).expect("readable");
                // The files hold nested EVTX dumps; their flat form is what atoll reads most.
                for value in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
                    let value = value.expect("valid JSON");
                    let nested = value.to_string();
                    same(&nested).unwrap();
                    let flat = Event::from_json(&nested).expect("readable event");
                    let mut object = serde_json::Map::new();
                    for (k, v) in &flat.fields {
                        let v = match v {
                            Value::Str(s) => serde_json::Value::from(s.as_ref()),
                            Value::Int(i) => serde_json::Value::from(*i),
                            Value::Float(f) => serde_json::Value::from(*f),
                            Value::Bool(b) => serde_json::Value::from(*b),
                            Value::Null => serde_json::Value::Null,
                        };
                        object.entry(k.to_string()).or_insert(v);
                    }
                    let line = serde_json::Value::Object(object).to_string();
                    same(&line).unwrap();
                    lines += 1;
                }
            }
        }
    }
    assert!(lines > 200, "only {lines} regression events found");
}

/// A character of a generated string, and which of its JSON spellings to use.
fn spelled() -> impl Strategy<Value = (char, u8)> {
    let chars = prop_oneof![
        4 => proptest::sample::select(vec!['a', 'Z', ' ', '\\', '"', '/', ':', '.', '-', '0']),
        1 => proptest::sample::select(vec!['\u{0}', '\u{1f}', '\n', '\t', '\u{7f}', 'é', 'İ', '中', '😀']),
        1 => any::<char>(),
    ];
    (chars, 0u8..3)
}

fn spell(out: &mut String, (c, how): (char, u8)) {
    let short = match c {
        '"' => Some("\\\""),
        '\\' => Some("\\\\"),
        '/' if how == 1 => Some("\\/"),
        '\u{8}' => Some("\\b"),
        '\u{c}' => Some("\\f"),
        '\n' => Some("\\n"),
        '\r' => Some("\\r"),
        '\t' => Some("\\t"),
        _ => None,
    };
    if how == 2 || (short.is_none() && (c as u32) < 0x20) {
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            out.push_str(&format!("\\u{unit:04x}"));
        }
    } else if let Some(s) = short {
        out.push_str(s);
    } else {
        out.push(c);
    }
}

fn string() -> impl Strategy<Value = String> {
    proptest::collection::vec(spelled(), 0..12).prop_map(|chars| {
        let mut out = String::from("\"");
        for c in chars {
            spell(&mut out, c);
        }
        out.push('"');
        out
    })
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => string(),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        1 => proptest::sample::select(vec![
            "0", "-0", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
            "-9223372036854775809", "18446744073709551615", "1.5", "-2e3", "1E-2", "true",
            "false", "null", "{}", "[]", "{\"x\": [1, {\"y\": \"z\"}]}", "[\"a\", 2, null]",
        ])
        .prop_map(str::to_owned),
        1 => any::<f64>().prop_map(|f| serde_json::Value::from(f).to_string()),
    ]
}

fn line() -> impl Strategy<Value = String> {
    let ws = proptest::sample::select(vec!["", " ", "\n", "\t", "\r\n  "]);
    proptest::collection::vec((string(), value(), ws.clone(), ws), 0..8).prop_map(|entries| {
        let mut out = String::from("{");
        for (i, (k, v, a, b)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("{a}{k}{b}:{a}{v}{b}"));
        }
        out.push('}');
        out
    })
}

#[test]
fn generated_lines_read_the_same_both_ways() {
    let config = ProptestConfig {
        cases: 4000,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    runner
        .run(&line(), |text| {
            same(&text).map_err(TestCaseError::fail)?;
            // The generator writes valid JSON: both paths must read it.
            prop_assert!(Event::from_json_slow(&text).is_ok(), "{text:?} is not valid");
            Ok(())
        })
        .unwrap();
    // Damaged lines: a byte cut out or a character put in anywhere.
    let damaged = (line(), any::<prop::sample::Index>(), 0u8..4).prop_map(|(text, at, how)| {
        let cut = at.index(text.len() + 1);
        let cut = (0..=cut).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let mut out = text[..cut].to_owned();
        match how {
            0 => out.extend(text[cut..].chars().skip(1)),
            1 => {
                out.push('"');
                out.push_str(&text[cut..]);
            }
            2 => {
                out.push('\\');
                out.push_str(&text[cut..]);
            }
            _ => {}
        }
        out
    });
    runner
        .run(&damaged, |text| same(&text).map_err(TestCaseError::fail))
        .unwrap();
}
