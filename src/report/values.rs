//! The JSON type of each check's `value` and `threshold`: one type per check
//! name (null when nothing was measured or no limit applies), written into
//! the schema so that a consumer, and every test that validates output,
//! can rely on it. The list itself lives with the commands
//! (`model::checks`), which know every check name.

use serde_json::{json, Value};

/// What a check's `value` or `threshold` holds when it is not null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Always null: the check says yes or no in its status alone.
    Nothing,
    Number,
    Bool,
    /// A name or version (`"Gen5 x16"`, `"580.159.04"`, `"Default"`).
    String,
    /// Clock event reasons: `{"reasons": ["sw_power_cap"], "mask": 4}`.
    Reasons,
    /// XID numbers: `[79, 48]`.
    Xids,
}

impl Kind {
    /// JSON Schema of a value of this kind (or null).
    pub fn schema(self) -> Value {
        match self {
            Kind::Nothing => json!({ "type": "null" }),
            Kind::Number => json!({ "type": ["number", "null"] }),
            Kind::Bool => json!({ "type": ["boolean", "null"] }),
            Kind::String => json!({ "type": ["string", "null"] }),
            Kind::Reasons => json!({
                "type": ["object", "null"],
                "required": ["reasons", "mask"],
                "additionalProperties": false,
                "properties": {
                    "reasons": { "type": "array", "items": { "type": "string" } },
                    "mask": { "type": ["integer", "null"], "minimum": 0 }
                }
            }),
            Kind::Xids => json!({
                "type": ["array", "null"],
                "items": { "type": "integer", "minimum": 0 }
            }),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Nothing => "null",
            Kind::Number => "number",
            Kind::Bool => "bool",
            Kind::String => "string",
            Kind::Reasons => "{reasons, mask}",
            Kind::Xids => "[xid]",
        }
    }
}

/// One check name and the types of its `value` and `threshold`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckType {
    pub name: String,
    pub value: Kind,
    pub threshold: Kind,
}

/// `schema` with, on `$defs/Check`, one `if name is N then value/threshold
/// have these types` rule per check, and a line per check in the
/// description of `value`.
pub fn constrain(schema: &mut Value, types: &[CheckType]) {
    constrain_names(schema, types, &[]);
}

/// [`constrain`], and `name` limited to the checks in `types` or a name
/// starting with one of `prefixes` (checks named per run, such as diag's
/// `diag_<phase>`): a check no catalogue declares fails validation.
pub fn constrain_names(schema: &mut Value, types: &[CheckType], prefixes: &[&str]) {
    if !prefixes.is_empty() {
        let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
        let mut allowed = vec![json!({ "enum": names })];
        allowed.extend(
            prefixes
                .iter()
                .map(|p| json!({ "pattern": format!("^{p}[a-z0-9_]+$") })),
        );
        if let Some(name) = schema
            .get_mut("$defs")
            .and_then(|d| d.get_mut("Check"))
            .and_then(|c| c.get_mut("properties"))
            .and_then(|p| p.get_mut("name"))
            .and_then(Value::as_object_mut)
        {
            name.insert("anyOf".to_string(), Value::Array(allowed));
        }
    }
    let Some(check) = schema
        .get_mut("$defs")
        .and_then(|d| d.get_mut("Check"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let rules: Vec<Value> = types
        .iter()
        .map(|t| {
            json!({
                "if": { "properties": { "name": { "const": t.name } }, "required": ["name"] },
                "then": { "properties": {
                    "value": t.value.schema(),
                    "threshold": t.threshold.schema()
                } }
            })
        })
        .collect();
    check.insert("allOf".to_string(), Value::Array(rules));
    let listing: Vec<String> = types
        .iter()
        .map(|t| format!("{}: {}", t.name, t.value.label()))
        .collect();
    if let Some(value) = check
        .get_mut("properties")
        .and_then(|p| p.get_mut("value"))
        .and_then(Value::as_object_mut)
    {
        value.insert(
            "description".to_string(),
            Value::String(format!(
                "What was measured; null when nothing was. One type per check name: {}.",
                listing.join("; ")
            )),
        );
    }
}
