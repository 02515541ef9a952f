//! `--events PATH` (issue 24): burn's and memtest's event stream into a
//! file while stdout takes the table or the `--json` document.

mod common;

use common::*;
use serde_json::{json, Value};

fn lines_of(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("events file written");
    assert!(text.ends_with('\n'), "the stream ends with a newline");
    text.lines()
        .map(|line| {
            assert_valid_line(line);
            serde_json::from_str(line).expect("JSON line")
        })
        .collect()
}

#[test]
fn burn_json_and_events_give_one_document_and_the_stream_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("burn.jsonl");
    let f = variant(|f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["compute"]["kernel_spacing_us"] = json!(0.0);
        }
    });
    let r = run(
        f.path(),
        &[
            "burn",
            "-d",
            "600ms",
            "--interval",
            "100ms",
            "--json",
            "--events",
            events.to_str().unwrap(),
        ],
    );
    // stdout: one document, no event lines.
    let doc: Value = serde_json::from_str(&r.stdout).expect("one JSON document on stdout");
    assert_valid(&doc);
    assert_eq!(doc.get("event"), None);
    assert_eq!(r.code, doc["exit_code"].as_i64().unwrap() as i32);
    let lines = lines_of(&events);
    let progress: Vec<&Value> = lines.iter().filter(|l| l["event"] == "progress").collect();
    for gpu in [0, 1] {
        assert!(
            progress
                .iter()
                .any(|p| p["gpu"] == gpu && p["tflops"].is_number()),
            "GPU {gpu} has progress with a figure"
        );
    }
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "report", "the report is the last line");
    assert_eq!(lines.iter().filter(|l| l["event"] == "report").count(), 1);
    assert_eq!(last["outcome"], doc["outcome"]);
    assert_eq!(last["gpus"][0]["burn"], doc["gpus"][0]["burn"]);
}

#[test]
fn memtest_table_and_events_put_patterns_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("memtest.jsonl");
    let f = variant(|f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["compute"] = json!({
                "memory_bytes": 4_237_824,
                "l2_bytes": 65536,
                "hbm_gbps": 50.0,
                "kernel_spacing_us": 0,
            });
        }
    });
    let r = run(
        f.path(),
        &[
            "memtest",
            "--patterns",
            "address,random",
            "--events",
            events.to_str().unwrap(),
        ],
    );
    r.assert_code(0);
    assert!(
        r.stdout.contains("memtest passed"),
        "the table: {}",
        r.stdout
    );
    assert!(!r.stdout.contains("\"event\""), "{}", r.stdout);
    let lines = lines_of(&events);
    let patterns: Vec<(i64, &str)> = lines
        .iter()
        .filter(|l| l["event"] == "pattern")
        .map(|l| (l["gpu"].as_i64().unwrap(), l["pattern"].as_str().unwrap()))
        .collect();
    for gpu in [0, 1] {
        let mine: Vec<&str> = patterns
            .iter()
            .filter(|p| p.0 == gpu)
            .map(|p| p.1)
            .collect();
        assert_eq!(mine, ["address", "random"], "GPU {gpu}");
    }
    assert_eq!(lines.last().unwrap()["event"], "report");
    assert_eq!(lines.last().unwrap()["outcome"], "pass");
}

#[test]
fn events_path_is_checked_before_any_work() {
    for (path, named) in [
        ("-", "'-' is not stdout"),
        ("/nonexistent-dir/e.jsonl", "does not exist"),
    ] {
        for command in ["burn", "memtest"] {
            let r = run("two_h100.json", &[command, "--events", path]);
            r.assert_code(2);
            let line = r.stderr_line();
            assert!(line.contains("--events") && line.contains(named), "{line}");
        }
    }
}
