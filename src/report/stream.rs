//! The JSON Schema of everything gpuctl prints as JSON: the report (the
//! root of the schema) and, under `$defs/JsonLine`, any one line of a
//! `--json-lines` stream (an event, or the report as the last line).

use super::progress::{PatternEvent, ProgressEvent};
use super::values::{self, CheckType};
use super::Report;
use schemars::JsonSchema;

/// One line of `--json-lines`: `burn`'s and `memtest`'s events as they
/// happen, then the report (`"event":"report"`) as the last line. Told
/// apart by `event`. A command's own lines (`monitor --json`'s samples and
/// events) join these in the published schema (`schema_with_lines`).
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only its schema is used.
pub enum JsonLine {
    /// `"event":"progress"`: one GPU's state (burn, memtest).
    Progress(ProgressEvent),
    /// `"event":"pattern"`: one memtest pattern finished on one GPU.
    Pattern(PatternEvent),
    /// `"event":"report"`: the last line, the same report `--json` prints.
    Report(Box<Report>),
}

/// Name of the JSON Lines definition in the schema's `$defs`.
pub const JSON_LINE_DEF: &str = "JsonLine";

fn line_ref() -> serde_json::Value {
    serde_json::Value::String(format!("#/$defs/{JSON_LINE_DEF}"))
}

/// The JSON Schema of [`Report`] with [`JsonLine`] among its `$defs` and
/// each check's value type from `checks` ([`values::constrain`]),
/// pretty-printed and newline-terminated.
pub fn schema_with(checks: &[CheckType]) -> String {
    schema_with_lines::<JsonLine>(checks, &[])
}

/// [`schema_with`], with `L` (a command's own JSON Lines, defined with the
/// command: `monitor`'s samples and events) also accepted as one line of
/// `$defs/JsonLine`. The committed `schema.json` is this, with every check
/// and every command's lines (`commands::schema`).
/// With `prefixes`, a check's name must be one of `checks` or start with a
/// prefix ([`values::constrain_names`]).
pub fn schema_with_lines<L: JsonSchema>(checks: &[CheckType], prefixes: &[&str]) -> String {
    let mut generator = schemars::SchemaGenerator::default();
    // Registers JsonLine (and the events) as definitions of the root.
    let _ = generator.subschema_for::<JsonLine>();
    let extra = generator.subschema_for::<L>().to_value();
    let mut schema = generator.into_root_schema_for::<Report>().to_value();
    if extra.get("$ref").is_some() && extra.get("$ref") != Some(&line_ref()) {
        if let Some(any) = schema["$defs"][JSON_LINE_DEF]["anyOf"].as_array_mut() {
            any.push(extra);
        }
    }
    values::constrain_names(&mut schema, checks, prefixes);
    // Serializing a `serde_json::Value` cannot fail.
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_is_in_the_schema() {
        let schema: serde_json::Value = serde_json::from_str(&schema_with(&[])).unwrap();
        let defs = &schema["$defs"];
        for name in [JSON_LINE_DEF, "ProgressEvent", "PatternEvent", "Report"] {
            assert!(defs.get(name).is_some(), "$defs lacks {name}");
        }
        for (def, event) in [("ProgressEvent", "progress"), ("PatternEvent", "pattern")] {
            assert_eq!(
                defs[def]["properties"]["event"]["const"], event,
                "{def}'s event is a constant"
            );
        }
        // The root is still the report `--json` prints.
        assert_eq!(schema["title"], "Report");
    }
}
