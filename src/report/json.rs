//! JSON rendering: one pretty-printed document per run, or one compact line
//! (`--json-lines`: the events, then the report as the last line).
//!
//! Every number goes through [`tidy`] first, so a duration never reads
//! `4e-07` and a float never carries noise digits.

use super::Report;
use serde::Serialize;
use serde_json::Value;

/// Decimal places kept in every non-integer number of the JSON output:
/// a tenth of a millisecond for seconds, a tenth of a nanosecond for
/// microseconds, far below the noise of any GB/s or TFLOP/s figure.
pub const DECIMALS: i32 = 4;

/// `value` with every float rounded to [`DECIMALS`] places (so no float
/// prints in exponent form); integers and everything else untouched.
pub fn tidy(value: Value) -> Value {
    match value {
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => match n.as_f64() {
            Some(f) => {
                let scale = 10f64.powi(DECIMALS);
                let rounded = (f * scale).round() / scale;
                // -0.0 would print as `-0.0`.
                let rounded = if rounded == 0.0 { 0.0 } else { rounded };
                serde_json::Number::from_f64(rounded).map_or(Value::Null, Value::Number)
            }
            None => Value::Null,
        },
        Value::Array(items) => Value::Array(items.into_iter().map(tidy).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, tidy(v))).collect()),
        other => other,
    }
}

/// `item` as tidy JSON, compact or pretty.
fn to_text(item: &impl Serialize, pretty: bool) -> Result<String, serde_json::Error> {
    let value = tidy(serde_json::to_value(item)?);
    if pretty {
        serde_json::to_string_pretty(&value)
    } else {
        serde_json::to_string(&value)
    }
}

/// The report as one JSON document, newline-terminated.
pub fn render(report: &Report) -> String {
    match to_text(report, true) {
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
    match to_text(report, false) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(_) => render(report),
    }
}

/// One event of a JSON Lines stream as one compact line, without the
/// newline; `None` only if it cannot be serialized.
pub fn event_line(event: &impl Serialize) -> Option<String> {
    to_text(event, false).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tiny_durations_print_as_plain_numbers() {
        let v = tidy(json!({ "elapsed_s": 4e-7, "seconds": 1.23456789, "n": 3, "x": [2.5e-9] }));
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(
            text,
            r#"{"elapsed_s":0.0,"seconds":1.2346,"n":3,"x":[0.0]}"#
        );
    }

    #[test]
    fn integers_and_large_floats_keep_their_value() {
        let v = tidy(json!({ "bytes": 85899345920u64, "gbps": 3021.456789, "neg": -0.00001 }));
        assert_eq!(v["bytes"], json!(85899345920u64));
        assert_eq!(v["gbps"], json!(3021.4568));
        assert_eq!(serde_json::to_string(&v["neg"]).unwrap(), "0.0");
    }
}
