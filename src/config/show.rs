//! `gpuctl config show`: the effective setting of every config key of
//! every command, where each came from, which file was found and the search
//! order. Returns the text; `app.rs` prints it.

use super::apply::{load_checked, Loaded};
use super::file::{discover, search_order};
use super::tables::{KeySpec, Kind, TABLES};
use super::{Limit, HEALTH_THRESHOLDS};
use crate::error::AppError;
use serde_json::{json, Value};
use std::path::Path;

/// One key's effective setting.
struct Setting {
    key: &'static str,
    flag: String,
    /// None: unset (the command decides).
    value: Option<String>,
    source: String,
}

/// The settings as text (80 columns) or as one JSON document.
pub fn show(cmd: &clap::Command, explicit: Option<&Path>, json: bool) -> Result<String, AppError> {
    let loaded = match discover(explicit)? {
        Some(found) => Some(load_checked(cmd, found)?),
        None => None,
    };
    let tables: Vec<(&str, Vec<Setting>)> = TABLES
        .iter()
        .map(|t| {
            let settings = t
                .keys
                .iter()
                .map(|spec| {
                    let arg = cmd
                        .find_subcommand(t.name)
                        .and_then(|c| c.get_arguments().find(|a| a.get_id() == spec.arg));
                    let long = arg.and_then(|a| a.get_long()).unwrap_or(spec.key);
                    let from_file = loaded.as_ref().and_then(|l| {
                        l.entries
                            .iter()
                            .find(|e| e.table == t.name && e.spec.key == spec.key)
                            .map(|e| (e.text.clone(), l.source(e)))
                    });
                    let (value, source) = match from_file {
                        Some((v, s)) => (Some(v), s),
                        None => (default_of(spec, arg), "default".to_string()),
                    };
                    Setting {
                        key: spec.key,
                        flag: format!("--{long}"),
                        value,
                        source,
                    }
                })
                .collect();
            (t.name, settings)
        })
        .collect();
    Ok(if json {
        as_json(loaded.as_ref(), &tables)
    } else {
        as_text(loaded.as_ref(), &tables)
    })
}

/// The flag's default, or a health threshold's from its declaration.
fn default_of(spec: &KeySpec, arg: Option<&clap::Arg>) -> Option<String> {
    if let Some(t) = HEALTH_THRESHOLDS.iter().find(|t| t.key == spec.key) {
        return Some(match t.limit {
            Limit::Count { default, .. } => default.to_string(),
            Limit::Percent { default, .. } => format!("{default}%"),
        });
    }
    match spec.kind {
        Kind::Switch => Some("false".into()),
        Kind::Negated => Some("true".into()),
        _ => {
            let values: Vec<String> = arg?
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            (!values.is_empty()).then(|| values.join(","))
        }
    }
}

fn as_json(loaded: Option<&Loaded>, tables: &[(&str, Vec<Setting>)]) -> String {
    let file = loaded.map(|l| {
        json!({
            "path": l.found.path.display().to_string(),
            "found_by": l.found.origin.describe(),
        })
    });
    let tables: serde_json::Map<String, Value> = tables
        .iter()
        .map(|(name, settings)| {
            let rows: Vec<Value> = settings
                .iter()
                .map(
                    |s| json!({"key": s.key, "flag": s.flag, "value": s.value, "source": s.source}),
                )
                .collect();
            (name.to_string(), Value::Array(rows))
        })
        .collect();
    let doc = json!({
        "config_file": file,
        "search_order": search_order(),
        "tables": tables,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// Lines of at most 80 columns, but for a path longer than that.
fn as_text(loaded: Option<&Loaded>, tables: &[(&str, Vec<Setting>)]) -> String {
    let mut out = String::new();
    match loaded {
        Some(l) => out.push_str(&format!(
            "config file: {} (found by {})\n",
            l.found.path.display(),
            l.found.origin.describe()
        )),
        None => out.push_str("config file: none found; every value is its default\n"),
    }
    out.push_str("search order (the first that exists):\n");
    for (n, place) in search_order().iter().enumerate() {
        out.push_str(&format!("  {}. {place}\n", n + 1));
    }
    for (name, settings) in tables {
        out.push_str(&format!("\n[{name}]\n"));
        let width = settings
            .iter()
            .map(|s| s.key.len() + 3 + shown(s).len())
            .max()
            .unwrap_or(0);
        for s in settings {
            let left = format!("{} = {}", s.key, shown(s));
            let line = format!("  {left:<width$}  {}", s.source);
            if line.chars().count() <= 80 {
                out.push_str(line.trim_end());
            } else {
                out.push_str(&format!("  {left}\n      {}", s.source));
            }
            out.push('\n');
        }
    }
    out
}

fn shown(s: &Setting) -> String {
    match &s.value {
        Some(v) => v.clone(),
        None => "(unset)".to_string(),
    }
}
