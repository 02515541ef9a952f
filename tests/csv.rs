//! `--format csv` beyond monitor (issue 24): `list` (one row per GPU, the
//! columns `--query` chooses), `health` (one row per check) and `bench`
//! (one row per GPU per metric), each row the same facts as `--json`.

mod common;

use common::*;
use serde_json::{json, Value};

/// Parses simple CSV (no quoted commas in these fixtures' values).
fn rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("a header")
        .split(',')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
        .collect();
    (header, rows)
}

fn json_of(fixture: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&run(fixture, &all).stdout).expect("JSON")
}

#[test]
fn list_csv_is_one_row_per_gpu_with_the_query_columns() {
    let r = run("two_h100.json", &["list", "--format", "csv"]);
    r.assert_code(0);
    let (header, body) = rows(&r.stdout);
    assert_eq!(&header[..4], ["gpu", "uuid", "pci_bus_id", "model"]);
    assert_eq!(body.len(), 2);
    let doc = json_of("two_h100.json", &["list"]);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (row, gpu) in body.iter().zip(doc["gpus"].as_array().unwrap()) {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[col("uuid")], gpu["uuid"].as_str().unwrap());
        assert_eq!(
            row[col("memory_total_bytes")],
            gpu["details"]["memory_total_bytes"].to_string()
        );
    }
    // nvidia-smi's names choose gpuctl's columns, in the order given.
    let r = run(
        "two_h100.json",
        &[
            "list",
            "--format",
            "csv",
            "--query",
            "name,index,memory.total",
        ],
    );
    let (header, body) = rows(&r.stdout);
    assert_eq!(header, ["model", "gpu", "memory_total_bytes"]);
    assert_eq!(body[1][1], "1");
    assert_eq!(body[0][0], H100);
    // Without --format csv, --query is a table of those columns.
    let r = run("two_h100.json", &["list", "--query", "gpu,pci_bus_id"]);
    r.assert_code(0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(lines[0].starts_with("gpu  pci_bus_id"), "{}", r.stdout);
    assert!(lines[2].ends_with(PCI1), "{}", r.stdout);
    // An unknown field names the option and the fields accepted.
    let r = run("two_h100.json", &["list", "--query", "gpu,bogus"]);
    r.assert_code(2);
    assert!(
        r.stderr_line().contains("unknown field 'bogus'"),
        "{}",
        r.stderr
    );
}

#[test]
fn health_csv_is_one_row_per_check_with_its_verdict() {
    let args = ["health", "--no-compute", "--expect-gpus", "3"];
    let mut csv_args = args.to_vec();
    csv_args.extend(["--format", "csv"]);
    let r = run("two_h100.json", &csv_args);
    let doc = json_of("two_h100.json", &args);
    assert_eq!(r.code, doc["exit_code"].as_i64().unwrap() as i32);
    assert_eq!(r.code, 1);
    let (header, body) = rows(&r.stdout);
    assert_eq!(
        header,
        [
            "gpu",
            "uuid",
            "check",
            "status",
            "value",
            "unit",
            "threshold",
            "message"
        ]
    );
    let checks: usize = doc["host_checks"].as_array().unwrap().len()
        + doc["gpus"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["checks"].as_array().unwrap().len())
            .sum::<usize>();
    assert_eq!(body.len(), checks);
    let count = body
        .iter()
        .find(|r| r[2] == "gpu_count")
        .expect("gpu_count row");
    assert_eq!(
        (count[0].as_str(), count[3].as_str(), count[6].as_str()),
        ("", "fail", "3")
    );
    let gpu1: Vec<&Vec<String>> = body.iter().filter(|r| r[0] == "1").collect();
    assert!(!gpu1.is_empty() && gpu1.iter().all(|r| r[1] == UUID1));
}

#[test]
fn bench_csv_is_one_row_per_gpu_per_metric() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture_variant(dir.path(), "two_h100.json", "b.json", |f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["compute"]["memory_bytes"] = json!(6u64 << 20);
            g["compute"]["kernel_spacing_us"] = json!(0.01);
        }
    });
    let args = [
        "bench",
        "--quick",
        "--tests",
        "hbm_copy,h2d",
        "--min",
        "h2d=1000000",
    ];
    let mut csv_args = args.to_vec();
    csv_args.extend(["--format", "csv"]);
    let r = run(&fixture, &csv_args);
    let doc = json_of(&fixture, &args);
    assert_eq!(
        r.code,
        doc["exit_code"].as_i64().unwrap() as i32,
        "{}",
        r.stderr
    );
    let (header, body) = rows(&r.stdout);
    assert_eq!(
        header,
        ["gpu", "metric", "value", "unit", "threshold", "status"]
    );
    assert_eq!(body.len(), 4, "{}", r.stdout);
    for row in &body {
        let gpu = &doc["gpus"][row[0].parse::<usize>().unwrap()];
        let result = gpu["bench"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == row[1].as_str())
            .expect("the metric is in the JSON");
        assert_eq!(row[2], result["value"].to_string());
        assert_eq!(row[3], result["unit"].as_str().unwrap());
    }
    let h2d = body.iter().find(|r| r[1] == "h2d").unwrap();
    assert_eq!((h2d[4].as_str(), h2d[5].as_str()), ("1000000.0", "fail"));
}
