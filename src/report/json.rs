//! JSON rendering: one pretty-printed document per run.

use super::Report;

/// The report as one JSON document, newline-terminated.
pub fn render(report: &Report) -> String {
    match serde_json::to_string_pretty(report) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // Serializing plain structs cannot fail; keep stdout valid JSON anyway.
        Err(e) => format!(
            "{{\"schema_version\":{},\"outcome\":\"error\",\"error\":{{\"kind\":\"internal\",\"message\":{}}}}}\n",
            super::SCHEMA_VERSION,
            serde_json::Value::String(e.to_string())
        ),
    }
}
