//! JSON out and back, and the schema that describes it.

use std::path::PathBuf;

use atoll_report::json;

use crate::sample;

fn schema_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json")
}

#[test]
fn the_report_goes_to_json_and_back_unchanged() {
    let report = sample::report();
    let text = json::to_string(&report);
    let back: atoll_report::ExerciseReport = serde_json::from_str(&text).unwrap();
    assert_eq!(json::to_string(&back), text);
    // Fields in declaration order, dates as written.
    assert!(text.starts_with("{\n  \"format\": 1,\n  \"exercise\": \"Pacific Cable Shield 2025\","));
    assert!(text.contains("\"date\": \"2025-03-10\""));
    assert!(text.contains("\"status\": \"to_come\""));
}

/// `docs/report.schema.json` is what other tools read; it must be what `json::schema` says.
/// `UPDATE_EXPECT=1 cargo test -p atoll-report` rewrites it.
#[test]
fn the_committed_schema_is_current() {
    let current = serde_json::to_string_pretty(&json::schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(schema_file(), &current).unwrap();
    }
    let committed = std::fs::read_to_string(schema_file()).unwrap_or_default();
    assert!(
        committed == current,
        "docs/report.schema.json is stale: run `UPDATE_EXPECT=1 cargo test -p atoll-report` and review the diff"
    );
}

#[test]
fn the_schema_accepts_a_report_and_nothing_looser() {
    let schema = json::schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(
        schema["properties"]["teams"]["description"]
            .as_str()
            .unwrap()
            .starts_with("One entry per team"),
        "field docs become descriptions"
    );
    let validator = jsonschema::draft202012::new(&schema).expect("the schema is valid draft 2020-12");
    let good: serde_json::Value = serde_json::from_str(&json::to_string(&sample::report())).unwrap();
    let errors: Vec<String> = validator.iter_errors(&good).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let mut unknown = good.clone();
    unknown["teams"][0]["score"]["bonus"] = 5.into();
    assert!(!validator.is_valid(&unknown), "an unknown field passed");
    let mut missing = good.clone();
    missing["teams"][1].as_object_mut().unwrap().remove("triage");
    assert!(!validator.is_valid(&missing), "a missing field passed");
    let mut status = good.clone();
    status["teams"][0]["steps"][0]["status"] = "running".into();
    assert!(!validator.is_valid(&status), "an unknown step status passed");
    let mut date = good;
    date["date"] = "10/03/2025".into();
    assert!(!validator.is_valid(&date), "a date not YYYY-MM-DD passed");
}
