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

/// The report as one compact line (the last line of a JSON Lines stream).
pub fn render_line(report: &Report) -> String {
    match serde_json::to_string(report) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(_) => render(report),
    }
}
