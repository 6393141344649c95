//! The report as JSON, and the JSON Schema that describes it (`docs/report.schema.json`).
//!
//! The JSON is the model serialised as it is: fields in the order the structs declare them, so
//! the same report always gives the same text.

use serde_json::{Map, Value};

use crate::model::ExerciseReport;

/// The report as pretty-printed JSON.
pub fn to_string(report: &ExerciseReport) -> String {
    serde_json::to_string_pretty(report).expect("a report holds only strings, numbers and lists")
}

/// The JSON Schema (draft 2020-12) of what [`to_string`] writes; field docs become descriptions.
/// Its keys are sorted, so it prints the same whatever features `serde_json` is built with.
pub fn schema() -> Value {
    sorted(serde_json::to_value(schemars::schema_for!(ExerciseReport)).expect("a schema is JSON"))
}

/// The same value with the keys of every object in sorted order.
///
/// `serde_json` keeps keys sorted, or in insertion order when some crate of the build turns on
/// its `preserve_order` feature; sorting here makes the documents built from `Value`s (schema,
/// Navigator layer, STIX bundle) print the same bytes either way.
pub(crate) fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted(v)))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
