//! End-to-end tests of `gpuctl bench` through the simulated backend: a
//! healthy run, each gate (limits, thresholds file, built-in expectations,
//! baseline, GPUs of one model) turning a shortfall into exit 1, refused
//! baselines, JUnit XML, worker faults through the harness, and SIGINT.
//!
//! The bandwidth and launch measurements run the bench workload on
//! simulated GPUs (`gpus[].compute`): its kernels really write, copy and
//! check simulated memory, and its figures are its own bytes over the
//! simulated clock, which charges each operation its bytes at the
//! fixture's rate (`hbm_gbps` 3000, `pcie_gbps` 55 by default) plus the
//! kernel spacing (0.01 us here: [`run`] sets it, and 6 MiB of simulated
//! memory per GPU, which gives buffers of 1 MiB: half of it over two, whole
//! MiB; the shipped fixtures have 2 MiB and no spacing, for burn and
//! memtest). GEMM figures come from the burn workload on
//! simulated memory at the fixture's `compute.tflops` (700).

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// `common::run` with every simulated GPU of 2 MiB given 6 MiB of memory
/// and, where a fixture leaves it at 0, a kernel spacing of 0.01 us (the
/// shipped fixtures have 2 MiB and no spacing, for burn and memtest).
fn run(fixture: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let sized = fixture_variant(dir.path(), fixture, "sized.json", |f| {
        if let Some(gpus) = f["gpus"].as_array_mut() {
            for g in gpus {
                // Only the shipped fixtures' 2 MiB: a test's own size stays.
                let m = g["compute"]["memory_bytes"].as_u64().unwrap_or(0);
                if m == 2 << 20 {
                    g["compute"]["memory_bytes"] = json!(6u64 << 20);
                }
                if g["compute"]["kernel_spacing_us"].as_f64().unwrap_or(0.0) == 0.0 {
                    g["compute"]["kernel_spacing_us"] = json!(0.01);
                }
            }
        }
    });
    common::run(&sized, args)
}

/// `two_h100.json` with each edit's sections (`compute`, `bench`, ...)
/// merged into GPU `gpu`'s.
fn variant(dir: &Path, name: &str, edits: &[(usize, Value)]) -> String {
    fixture_variant(dir, "two_h100.json", name, |f| {
        // Room for the bandwidth buffers and the spacing [`run`] gives
        // (the shipped fixtures have 2 MiB and none).
        for g in f["gpus"].as_array_mut().unwrap() {
            g["compute"]["memory_bytes"] = json!(6 << 20);
            g["compute"]["kernel_spacing_us"] = json!(0.01);
        }
        for (gpu, sections) in edits {
            for (section, fields) in sections.as_object().unwrap() {
                for (k, v) in fields.as_object().unwrap() {
                    f["gpus"][*gpu][section][k] = v.clone();
                }
            }
        }
    })
}

/// Bytes of each simulated bandwidth buffer (and of the pinned one).
const BUF: f64 = 1048576.0;

/// What a measurement of `bytes` per repetition reads on a simulated GPU:
/// its bytes over the simulated time, `bytes` at `gbps` plus the kernel
/// spacing of 0.01 us ([`run`]).
fn sim_gbps(bytes: f64, gbps: f64) -> f64 {
    bytes / (bytes / gbps + 10.0)
}

/// A GPU at `share` of the default rates at everything: GEMM, device
/// memory and host copies (the simulated GPU's `compute` rates).
fn slow(share: f64) -> Value {
    json!({
        "compute": { "hbm_gbps": 3000.0 * share, "pcie_gbps": 55.0 * share, "tflops": 700.0 * share }
    })
}

fn value(doc: &Value, gpu: usize, metric: &str) -> f64 {
    result(doc, gpu, metric)["value"].as_f64().unwrap()
}

/// Within the report's rounding of `want`.
fn assert_near(got: f64, want: f64) {
    assert!((got / want - 1.0).abs() < 2e-3, "{got} vs {want}");
}

/// `two_h100.json` for the GEMM metrics (the burn workload on simulated
/// memory, small products timed alone at the fixture's 700 TFLOP/s: the
/// simulated cuBLASLt charges no launch gap).
fn gemm_ready(dir: &Path) -> String {
    fixture_variant(dir, "two_h100.json", "gemm.json", |_| {})
}

fn bench_json(fixture: &str, args: &[&str]) -> (Run, Value) {
    let mut all = vec!["bench", "--json"];
    all.extend(args);
    let run = run(fixture, &all);
    let doc = run.json();
    (run, doc)
}

fn result<'a>(doc: &'a Value, gpu: usize, metric: &str) -> &'a Value {
    doc["gpus"][gpu]["bench"]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {doc:#}"))
        .iter()
        .find(|r| r["metric"] == metric)
        .unwrap_or_else(|| panic!("no {metric} on GPU {gpu}: {doc:#}"))
}

fn check<'a>(doc: &'a Value, gpu: usize, name: &str) -> &'a Value {
    doc["gpus"][gpu]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} on GPU {gpu}: {doc:#}"))
}

fn failing(doc: &Value, gpu: usize) -> Vec<String> {
    doc["gpus"][gpu]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// What a default run measures: every burst GEMM, the sustained figure of
/// the tensor-core dtypes, bandwidth and both launch metrics.
const METRICS: [&str; 15] = [
    "gemm_bf16",
    "gemm_fp16",
    "gemm_tf32",
    "gemm_fp32",
    "gemm_fp64",
    "gemm_bf16_sustained",
    "gemm_fp16_sustained",
    "gemm_tf32_sustained",
    "hbm_copy",
    "hbm_read",
    "hbm_write",
    "h2d",
    "d2h",
    "kernel_spacing_us",
    "launch_overhead_us",
];

#[test]
fn healthy_run_measures_every_metric_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let (run, doc) = bench_json(&gemm_ready(dir.path()), &[]);
    run.assert_code(0);
    assert_eq!(doc["outcome"], "pass");
    assert_eq!(doc["command"], "bench");
    for gpu in 0..2 {
        assert_eq!(doc["gpus"][gpu]["status"], "pass");
        assert_eq!(check(&doc, gpu, "bench_ran")["status"], "pass");
        assert_eq!(doc["gpus"][gpu]["bench"]["engine"], "cublas");
        for m in METRICS {
            let r = result(&doc, gpu, m);
            let samples = r["samples"].as_array().unwrap();
            assert_eq!(r["repetitions"].as_u64().unwrap() as usize, samples.len());
            assert!(!samples.is_empty());
            assert!(r["value"].as_f64().unwrap() > 0.0, "{r}");
            assert!(r["min"].as_f64() <= r["value"].as_f64());
            assert!(r["max"].as_f64() >= r["value"].as_f64());
            // Telemetry is recorded with each result.
            assert!(r["sm_clock_min_mhz"].is_u64(), "{r}");
            assert!(r["power_max_w"].is_number(), "{r}");
            assert_eq!(check(&doc, gpu, m)["status"], "pass");
        }
        // Ten GEMM bursts per dtype by default, labelled burst; the
        // sustained regime's 6 measured batches (after its warm-up),
        // labelled sustained; no regime on the others.
        assert_eq!(result(&doc, gpu, "gemm_bf16")["repetitions"], 10);
        for d in ["bf16", "fp16", "tf32", "fp32", "fp64"] {
            assert_eq!(result(&doc, gpu, &format!("gemm_{d}"))["regime"], "burst");
        }
        for d in ["bf16", "fp16", "tf32"] {
            let r = result(&doc, gpu, &format!("gemm_{d}_sustained"));
            assert_eq!(r["regime"], "sustained", "{r}");
            assert_eq!(r["repetitions"], 6, "{r}");
            assert_eq!(r["unit"], "TFLOP/s");
            // The simulated GPU has no power cap: the same rate.
            assert_near(r["value"].as_f64().unwrap(), 700.0);
            let detail = r["detail"].as_str().unwrap();
            assert!(detail.contains("sustained: 3 warm-up then 6"), "{detail}");
        }
        assert_eq!(result(&doc, gpu, "hbm_copy")["regime"], Value::Null);
        // bf16's built-in expectation gates its sustained figure (55% of
        // the H100 SXM's 989), not its burst.
        let gated = |m: &str| {
            result(&doc, gpu, m)["gates"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|g| g["source"] == "builtin")
                .map(|g| g["limit"].as_f64().unwrap())
                .collect::<Vec<f64>>()
        };
        assert_eq!(gated("gemm_bf16_sustained"), [543.95]);
        assert!(gated("gemm_bf16").is_empty());
        // The workload's bytes over the simulated time: a copy counts what
        // it read and wrote, at 3000 GB/s; host copies at 55 GB/s; an empty
        // kernel costs the spacing.
        assert_near(value(&doc, gpu, "hbm_copy"), sim_gbps(2.0 * BUF, 3000.0));
        for m in ["hbm_read", "hbm_write"] {
            assert_near(value(&doc, gpu, m), sim_gbps(BUF, 3000.0));
        }
        for m in ["h2d", "d2h"] {
            assert_near(value(&doc, gpu, m), sim_gbps(BUF, 55.0));
        }
        assert_near(value(&doc, gpu, "kernel_spacing_us"), 0.01);
        assert_eq!(result(&doc, gpu, "h2d")["unit"], "GB/s");
        // Two launch metrics, each in us: the GPU's spacing (the simulated
        // clock) and the host's launch-and-wait, timed on the host's own
        // clock: a launch and a synchronise through the simulated driver
        // take the host longer than the 10 ns the GPU spaces kernels by.
        for m in ["kernel_spacing_us", "launch_overhead_us"] {
            assert_eq!(result(&doc, gpu, m)["unit"], "us");
            assert_eq!(result(&doc, gpu, m)["higher_is_better"], false);
        }
        let overhead = result(&doc, gpu, "launch_overhead_us");
        assert_eq!(overhead["repetitions"], 20);
        assert!(
            value(&doc, gpu, "launch_overhead_us") > value(&doc, gpu, "kernel_spacing_us"),
            "{overhead}"
        );
        // Host-timed: no GPU of the model is compared with it.
        assert!(!overhead["gates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["source"] == "peers"));
        // Built-in expectation for an H100 SXM: 70% of 3350 GB/s.
        let gates = result(&doc, gpu, "hbm_copy")["gates"]
            .as_array()
            .unwrap()
            .clone();
        assert!(gates
            .iter()
            .any(|g| g["source"] == "builtin" && g["limit"] == 2345.0 && g["passed"] == true));
        // Two GPUs of one model: each is compared with their median.
        assert!(gates.iter().any(|g| g["source"] == "peers"));
        // Every buffer was wiped and verified before being freed: the
        // bandwidth workload's 3 (checked on simulated memory) and, for
        // each of five burst and three sustained workers, the GEMM's
        // operands, reference, checksum slots, compare counters and the one
        // result buffer 1% of the simulated memory allows.
        let wipe = check(&doc, gpu, "memory_wipe");
        assert_eq!(wipe["status"], "pass");
        assert!(
            wipe["message"].as_str().unwrap().starts_with("51 buffers"),
            "{wipe}"
        );
    }
}

#[test]
fn table_has_a_row_per_gpu_and_metric() {
    let dir = tempfile::tempdir().unwrap();
    let run = run(
        &gemm_ready(dir.path()),
        &["bench", "--tests", "gemm_bf16,h2d", "-i", "0"],
    );
    run.assert_code(0);
    for needle in [
        "gemm_bf16",
        "h2d",
        "700 TFLOP/s",
        // 1 MiB at 55 GB/s plus the spacing.
        "54.97 GB/s",
        ">= 44.80",
        "PASS",
    ] {
        assert!(
            run.stdout.contains(needle),
            "{needle} missing:\n{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("bench passed: 2 metric(s) on 1 GPU(s)"));
}

#[test]
fn tests_option_chooses_and_quick_keeps_one_gemm() {
    let (run, doc) = bench_json("two_h100.json", &["--tests", "pcie,latency", "-i", "0"]);
    run.assert_code(0);
    let names: Vec<&str> = doc["gpus"][0]["bench"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["metric"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["h2d", "d2h", "kernel_spacing_us", "launch_overhead_us"]
    );
    assert_eq!(doc["gpus"][0]["bench"]["engine"], Value::Null);
    // No GEMM ran: only the bandwidth worker's buffers were wiped.
    let wipe = check(&doc, 0, "memory_wipe");
    assert_eq!(wipe["status"], "pass");
    assert!(
        wipe["message"]
            .as_str()
            .unwrap()
            .starts_with("3 buffers (2 MiB)"),
        "{wipe}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (run, doc) = bench_json(&gemm_ready(dir.path()), &["--quick", "-i", "0"]);
    run.assert_code(0);
    let gemms: Vec<&str> = doc["gpus"][0]["bench"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["metric"].as_str().unwrap())
        .filter(|m| m.starts_with("gemm"))
        .collect();
    assert_eq!(gemms, ["gemm_bf16", "gemm_bf16_sustained"]);
    assert_eq!(result(&doc, 0, "gemm_bf16")["repetitions"], 5);
    // A shorter sustained regime: 1 warm-up and 2 measured batches.
    assert_eq!(result(&doc, 0, "gemm_bf16_sustained")["repetitions"], 2);
}

#[test]
fn min_above_the_measured_value_fails_with_value_threshold_and_distance() {
    let dir = tempfile::tempdir().unwrap();
    let (run, doc) = bench_json(
        &gemm_ready(dir.path()),
        &["--tests", "gemm_bf16", "--min", "gemm_bf16=875TFLOPS"],
    );
    run.assert_code(1);
    assert_eq!(doc["outcome"], "fail");
    for gpu in 0..2 {
        let c = check(&doc, gpu, "gemm_bf16");
        assert_eq!(c["status"], "fail");
        assert_eq!(c["value"], 700.0);
        assert_eq!(c["threshold"], 875.0);
        let msg = c["message"].as_str().unwrap();
        assert!(
            msg.contains("700 TFLOP/s is 20.0% below the threshold >= 875 TFLOP/s (--min/--max)"),
            "{msg}"
        );
    }
    assert!(doc["summary"]
        .as_str()
        .unwrap()
        .starts_with("bench FAIL: GPU 0 gemm_bf16"));
    // Units convert: 0.5 PFLOPS passes.
    let (run, _) = bench_json(
        &gemm_ready(dir.path()),
        &["--tests", "gemm_bf16", "--min", "gemm_bf16=0.5PFLOPS"],
    );
    run.assert_code(0);
}

#[test]
fn max_on_latency_fails_above_it() {
    // Kernels 2 us apart: each empty kernel costs that.
    let dir = tempfile::tempdir().unwrap();
    let spaced = json!({ "compute": { "kernel_spacing_us": 2.0 } });
    let f = variant(dir.path(), "spaced.json", &[(1, spaced)]);
    let (run, doc) = bench_json(
        &f,
        &[
            "--tests",
            "latency",
            "--max",
            "kernel_spacing_us=1500ns",
            "-i",
            "1",
        ],
    );
    run.assert_code(1);
    let msg = check(&doc, 0, "kernel_spacing_us")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("2.00 us is 33.3% above the threshold <= 1.50 us"),
        "{msg}"
    );
    // The host launch overhead is gated by a thresholds file the same way:
    // no host launches and waits for a kernel in 1 ns.
    let file = dir.path().join("t.toml");
    std::fs::write(&file, "[max]\nlaunch_overhead_us = \"1ns\"\n").unwrap();
    let path = file.to_str().unwrap();
    let (run, doc) = bench_json(&f, &["--tests", "latency", "--thresholds", path, "-i", "1"]);
    run.assert_code(1);
    assert_eq!(failing(&doc, 0), ["launch_overhead_us"]);
    let c = check(&doc, 0, "launch_overhead_us");
    assert_eq!(c["threshold"], 0.001);
    assert!(c["message"]
        .as_str()
        .unwrap()
        .contains("above the threshold <= 0.00 us (thresholds file)"));
}

#[test]
fn thresholds_file_gates_and_command_line_wins() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.toml");
    std::fs::write(&file, "[min]\nh2d = \"60GB/s\"\nd2h = 50\n").unwrap();
    let path = file.to_str().unwrap();
    let (run, doc) = bench_json("two_h100.json", &["--tests", "pcie", "--thresholds", path]);
    run.assert_code(1);
    assert_eq!(failing(&doc, 0), ["h2d"]);
    assert!(check(&doc, 0, "h2d")["message"]
        .as_str()
        .unwrap()
        .contains("(thresholds file)"));
    let (run, _) = bench_json(
        "two_h100.json",
        &[
            "--tests",
            "pcie",
            "--thresholds",
            path,
            "--min",
            "h2d=50GB/s",
        ],
    );
    run.assert_code(0);
}

#[test]
fn bad_thresholds_and_limits_are_usage_errors_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.toml");
    std::fs::write(&file, "[min]\nh2d = \"60TFLOPS\"\n").unwrap();
    let (run, doc) = bench_json("two_h100.json", &["--thresholds", file.to_str().unwrap()]);
    run.assert_code(2);
    assert_eq!(doc["error"]["kind"], "usage");
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("does not fit h2d"));
    for bad in [
        &["--min", "gemm_bf17=1"][..],
        &["--min", "h2d=fast"],
        &["--tests", "gemm,nope"],
        &["--tolerance", "60%"],
    ] {
        let (run, doc) = bench_json("two_h100.json", bad);
        run.assert_code(2);
        assert_eq!(doc["outcome"], "error", "{bad:?}");
    }
    let (run, _) = bench_json("two_h100.json", &["--thresholds", "/nonexistent.toml"]);
    run.assert_code(2);
}

/// Issue 24: a floor on a latency or a ceiling on a bandwidth would invert
/// the gate: refused, naming the file, line and key (or the flag).
#[test]
fn gates_against_their_metric_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.toml");
    std::fs::write(&file, "[min]\nh2d = 48\nkernel_spacing_us = \"5us\"\n").unwrap();
    let path = file.to_str().unwrap();
    let (run, doc) = bench_json("two_h100.json", &["--thresholds", path]);
    run.assert_code(2);
    let msg = doc["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(path) && msg.contains("line 3: [min] kernel_spacing_us"),
        "{msg}"
    );
    for (flag, limit, word) in [
        ("--max", "h2d=48GB/s", "better high"),
        ("--min", "launch_overhead_us=5us", "better low"),
    ] {
        let (run, doc) = bench_json("two_h100.json", &[flag, limit]);
        run.assert_code(2);
        let msg = doc["error"]["message"].as_str().unwrap();
        assert!(msg.starts_with(flag) && msg.contains(word), "{msg}");
    }
}

#[test]
fn builtin_expectation_fails_a_slow_gpu_and_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    // Half speed at everything: below 55% of the bf16 peak (sustained)
    // and 70% of HBM.
    let slow = variant(dir.path(), "slow.json", &[(1, slow(0.5))]);
    let (run, doc) = bench_json(
        &slow,
        &["-i", "1", "--tests", "gemm_bf16_sustained,hbm_copy,h2d"],
    );
    run.assert_code(1);
    assert_eq!(failing(&doc, 0), ["gemm_bf16_sustained", "hbm_copy", "h2d"]);
    assert_near(value(&doc, 0, "hbm_copy"), sim_gbps(2.0 * BUF, 1500.0));
    let msg = check(&doc, 0, "hbm_copy")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains(
            "1489 GB/s is 36.5% below the threshold >= 2345 GB/s (built-in expectation for H100 SXM)"
        ),
        "{msg}"
    );
    let (run, _) = bench_json(
        &slow,
        &[
            "-i",
            "1",
            "--tests",
            "gemm_bf16_sustained,hbm_copy,h2d",
            "--no-builtin-thresholds",
        ],
    );
    run.assert_code(0);
    // A per-metric limit replaces the built-in one for that metric only.
    let (run, doc) = bench_json(
        &slow,
        &[
            "-i",
            "1",
            "--tests",
            "gemm_bf16_sustained,hbm_copy",
            "--min",
            "hbm_copy=1TB/s",
        ],
    );
    run.assert_code(1);
    assert_eq!(failing(&doc, 0), ["gemm_bf16_sustained"]);
}

/// Issue 21: each built-in GEMM expectation declares the regime it gates.
/// A GPU at 75% of the simulated rate (525 TFLOP/s) in both regimes is
/// below bf16's sustained expectation (55% of 989 = 543.95) and fails that
/// metric alone: its burst figure, the same rate, is not what bf16's
/// expectation gates, and fp32's (gated burst, at 60% of 67) clears it.
#[test]
fn expectations_gate_the_regime_they_declare() {
    let dir = tempfile::tempdir().unwrap();
    let slow = variant(dir.path(), "slow.json", &[(1, slow(0.75))]);
    let (run, doc) = bench_json(
        &slow,
        &[
            "-i",
            "1",
            "--quick",
            "--tests",
            "gemm_bf16,gemm_bf16_sustained",
        ],
    );
    run.assert_code(1);
    assert_eq!(failing(&doc, 0), ["gemm_bf16_sustained"]);
    assert_near(value(&doc, 0, "gemm_bf16"), 525.0);
    assert_near(value(&doc, 0, "gemm_bf16_sustained"), 525.0);
    let msg = check(&doc, 0, "gemm_bf16_sustained")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("525 TFLOP/s is 3.5% below the threshold >= 544 TFLOP/s (built-in expectation for H100 SXM)"),
        "{msg}"
    );
    assert!(check(&doc, 0, "gemm_bf16")["message"]
        .as_str()
        .unwrap()
        .contains("no threshold set"));
    // fp32 is gated in the burst regime; its sustained figure only by a
    // limit the user sets.
    let (run, doc) = bench_json(
        &slow,
        &[
            "-i",
            "1",
            "--tests",
            "gemm_fp32_sustained",
            "--quick",
            "--min",
            "gemm_fp32_sustained=600TFLOPS",
        ],
    );
    run.assert_code(1);
    assert_eq!(failing(&doc, 0), ["gemm_fp32_sustained"]);
    let r = result(&doc, 0, "gemm_fp32_sustained");
    assert_eq!(r["regime"], "sustained");
    assert!(!r["gates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["source"] == "builtin"));
}

/// Issue 21: `launch_latency` (graph kernel spacing under a name that said
/// launch latency) is refused wherever a metric is named, with one line
/// naming the two metrics that replace it; exit 2, JSON on stdout.
#[test]
fn launch_latency_is_refused_naming_the_two_launch_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.toml");
    std::fs::write(&file, "[max]\nlaunch_latency = \"5us\"\n").unwrap();
    let base = dir.path().join("base.json");
    let b = base.to_str().unwrap();
    bench_json("two_h100.json", &["--tests", "h2d", "--save-baseline", b])
        .0
        .assert_code(0);
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    saved["gpus"][0]["metrics"]["launch_latency"] = json!(0.97);
    std::fs::write(&base, saved.to_string()).unwrap();
    for args in [
        &["--thresholds", file.to_str().unwrap()][..],
        &["--max", "launch_latency=5us"],
        &["--tests", "pcie,launch_latency"],
        &["--baseline", b],
    ] {
        let (run, doc) = bench_json("two_h100.json", args);
        run.assert_code(2);
        assert_eq!(doc["error"]["kind"], "usage", "{args:?}");
        let msg = doc["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("launch_latency is retired")
                && msg.contains("kernel_spacing_us")
                && msg.contains("launch_overhead_us")
                && !msg.contains('\n'),
            "{args:?}: {msg}"
        );
    }
}

#[test]
fn builtin_kernel_has_no_gemm_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let slow = variant(dir.path(), "slow.json", &[(1, slow(0.5))]);
    let (run, doc) = bench_json(
        &slow,
        &[
            "-i",
            "1",
            "--quick",
            "--tests",
            "gemm_bf16_sustained",
            "--engine",
            "builtin",
        ],
    );
    run.assert_code(0);
    assert_eq!(doc["gpus"][0]["bench"]["engine"], "builtin");
    assert!(result(&doc, 0, "gemm_bf16_sustained")["detail"]
        .as_str()
        .unwrap()
        .starts_with("builtin"));
    assert!(check(&doc, 0, "gemm_bf16_sustained")["message"]
        .as_str()
        .unwrap()
        .contains("no threshold set"));
}

#[test]
fn outlier_below_the_median_of_its_model_fails_only_that_gpu() {
    // tests/fixtures/bench_slow_gpu.json: GPU 1 at 85% of GPU 0 at
    // everything (its `compute` rates and its GEMM `bench.scale`).
    let slow = "bench_slow_gpu.json";
    let (run, doc) = bench_json(slow, &["--tests", "hbm_copy,h2d"]);
    run.assert_code(1);
    assert_eq!(failing(&doc, 0), Vec::<String>::new());
    assert_eq!(failing(&doc, 1), ["hbm_copy", "h2d"]);
    let msg = check(&doc, 1, "hbm_copy")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("(GPUs of this model)"), "{msg}");
    // A wider tolerance accepts it.
    let (run, _) = bench_json(slow, &["--tests", "hbm_copy,h2d", "--tolerance", "20%"]);
    run.assert_code(0);
}

#[test]
fn baseline_round_trip_passes_and_a_slower_node_fails() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let b = base.to_str().unwrap();
    let (run, _) = bench_json(
        "two_h100.json",
        &["--tests", "hbm,pcie", "--save-baseline", b],
    );
    run.assert_code(0);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    assert_eq!(saved["gpuctl_baseline"], 1);
    assert_eq!(saved["driver_version"], DRIVER_VERSION);
    assert_eq!(saved["gpuctl_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(saved["gpus"][0]["uuid"], UUID0);
    assert_eq!(saved["gpus"][0]["name"], H100);
    let saved_copy = saved["gpus"][0]["metrics"]["hbm_copy"].as_f64().unwrap();
    assert_near(saved_copy, sim_gbps(2.0 * BUF, 3000.0));

    let (run, _) = bench_json("two_h100.json", &["--tests", "hbm,pcie", "--baseline", b]);
    run.assert_code(0);
    // 10% slower everywhere: within the built-in expectations and equal to
    // each other, so only the baseline catches it.
    let slower = variant(dir.path(), "slower.json", &[(0, slow(0.9)), (1, slow(0.9))]);
    let (run, doc) = bench_json(&slower, &["--tests", "hbm,pcie", "--baseline", b]);
    run.assert_code(1);
    assert_eq!(
        failing(&doc, 0),
        ["hbm_copy", "hbm_read", "hbm_write", "h2d", "d2h"]
    );
    let msg = check(&doc, 0, "hbm_copy")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("2666 GB/s is 5.1% below the threshold >= 2810 GB/s (baseline)"),
        "{msg}"
    );
    let (run, _) = bench_json(
        &slower,
        &["--tests", "hbm,pcie", "--baseline", b, "--tolerance", "15%"],
    );
    run.assert_code(0);
}

#[test]
fn kernel_spacing_is_gated_by_the_baseline_and_by_peers() {
    // Timed on the GPU (a replayed CUDA graph), kernel spacing is steady
    // enough for relative gates: a GPU whose kernels take longer than the
    // baseline or its peers by more than the tolerance fails. The
    // host-timed launch overhead, measured beside it, is not compared.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let b = base.to_str().unwrap();
    // Kernels 2 us apart on both GPUs, then 2.5 us on GPU 1.
    let spaced = |us: f64| json!({ "compute": { "kernel_spacing_us": us } });
    let base_fixture = variant(
        dir.path(),
        "spaced.json",
        &[(0, spaced(2.0)), (1, spaced(2.0))],
    );
    let (run, _) = bench_json(&base_fixture, &["--tests", "latency", "--save-baseline", b]);
    run.assert_code(0);
    let slow = variant(
        dir.path(),
        "slow_launch.json",
        &[(0, spaced(2.0)), (1, spaced(2.5))],
    );
    let (run, doc) = bench_json(&slow, &["--tests", "latency", "--baseline", b]);
    run.assert_code(1);
    assert!(failing(&doc, 0).is_empty(), "{:?}", failing(&doc, 0));
    assert_eq!(failing(&doc, 1), ["kernel_spacing_us"]);
    let msg = check(&doc, 1, "kernel_spacing_us")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("(baseline)"), "{msg}");
    // Without a baseline, its same-model peer still catches it.
    let (run, doc) = bench_json(&slow, &["--tests", "latency"]);
    run.assert_code(1);
    assert_eq!(failing(&doc, 1), ["kernel_spacing_us"]);
}

#[test]
fn baseline_from_another_driver_or_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let b = base.to_str().unwrap();
    bench_json("two_h100.json", &["--tests", "h2d", "--save-baseline", b])
        .0
        .assert_code(0);
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    saved["driver_version"] = json!("570.1.2");
    let other_driver = dir.path().join("driver.json");
    std::fs::write(&other_driver, saved.to_string()).unwrap();
    let (run, doc) = bench_json(
        "two_h100.json",
        &["--baseline", other_driver.to_str().unwrap()],
    );
    run.assert_code(2);
    let msg = doc["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("recorded with driver 570.1.2, this node runs 580.159.04"),
        "{msg}"
    );

    saved["driver_version"] = json!(DRIVER_VERSION);
    for g in saved["gpus"].as_array_mut().unwrap() {
        g["name"] = json!("NVIDIA A100-SXM4-80GB");
    }
    let other_model = dir.path().join("model.json");
    std::fs::write(&other_model, saved.to_string()).unwrap();
    let (run, doc) = bench_json(
        "two_h100.json",
        &["--baseline", other_model.to_str().unwrap()],
    );
    run.assert_code(2);
    let msg = doc["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("recorded on NVIDIA A100-SXM4-80GB but this run has NVIDIA H100"),
        "{msg}"
    );

    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{}").unwrap();
    let (run, doc) = bench_json("two_h100.json", &["--baseline", junk.to_str().unwrap()]);
    run.assert_code(2);
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not a gpuctl baseline"));
}

#[test]
fn a_failing_run_is_never_saved_as_a_baseline() {
    // tests/fixtures/bench_slow_gpu.json: GPU 1 15% slow, the run exits 1.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let b = base.to_str().unwrap();
    let (run, doc) = bench_json(
        "bench_slow_gpu.json",
        &["--tests", "hbm_copy", "--save-baseline", b],
    );
    run.assert_code(1);
    assert!(!base.exists(), "a failing run was saved as the baseline");
    let summary = doc["summary"].as_str().unwrap();
    assert!(
        summary.contains("not saved: the run did not pass"),
        "{summary}"
    );
    assert!(summary.contains("GPU 1 (hbm_copy)"), "{summary}");
}

#[test]
fn a_baseline_that_could_never_fail_is_a_usage_error_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let b = base.to_str().unwrap();
    bench_json(
        "two_h100.json",
        &["--tests", "hbm_copy", "--save-baseline", b],
    )
    .0
    .assert_code(0);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    for (key, value) in [
        ("hbm_copy", json!(0.0)),
        ("hbm_copy", json!(-3000.0)),
        ("hbm_copy", json!(1e300)),
        ("hbm_kopy", json!(3000.0)),
    ] {
        let mut bad = saved.clone();
        bad["gpus"][1]["metrics"] = json!({ key: value });
        let path = dir.path().join("bad.json");
        std::fs::write(&path, bad.to_string()).unwrap();
        let (run, doc) = bench_json("two_h100.json", &["--baseline", path.to_str().unwrap()]);
        run.assert_code(2);
        let msg = doc["error"]["message"].as_str().unwrap();
        assert!(msg.contains("bad.json"), "{msg}");
        assert!(msg.contains("gpus[1]"), "{msg}");
        assert!(msg.contains(&format!("metrics.{key}")), "{msg}");
    }
}

#[test]
fn an_erratic_peer_never_fails_a_steady_gpu_and_one_gpu_is_not_compared() {
    // GPU 1 swings 60% either way; GPU 0 is steady. The median of both
    // (the old reference) was high enough to fail GPU 0.
    let dir = tempfile::tempdir().unwrap();
    let erratic = variant(
        dir.path(),
        "erratic.json",
        &[(
            1,
            json!({ "compute": { "hbm_gbps": 5000.0, "jitter_pct": 60.0 } }),
        )],
    );
    let (_, doc) = bench_json(&erratic, &["--tests", "hbm_copy"]);
    assert!(failing(&doc, 0).is_empty(), "{:?}", failing(&doc, 0));
    let c = check(&doc, 0, "peer_comparison");
    assert_eq!(c["status"], "skip", "{c:#}");
    assert!(c["message"].as_str().unwrap().contains("erratic"), "{c:#}");
    // Two steady GPUs are compared with each other.
    let (_, doc) = bench_json("two_h100.json", &["--tests", "hbm_copy"]);
    assert_eq!(check(&doc, 0, "peer_comparison")["status"], "pass");
    // One GPU: nothing to compare with is a SKIP, not a PASS.
    let (run, doc) = bench_json("two_h100.json", &["--tests", "hbm_copy", "-i", "0"]);
    run.assert_code(0);
    let c = check(&doc, 0, "peer_comparison");
    assert_eq!(c["status"], "skip", "{c:#}");
    assert!(
        c["message"].as_str().unwrap().contains("no other GPU"),
        "{c:#}"
    );
}

#[test]
fn a_hung_telemetry_read_during_bench_is_a_fail_not_a_silent_pass() {
    // tests/fixtures/nvml_hang_reads.json: GPU 1's NVML reads hang.
    let run = run(
        "nvml_hang_reads.json",
        &[
            "--call-timeout",
            "100ms",
            "bench",
            "--json",
            "--tests",
            "gemm_bf16,hbm_copy",
        ],
    );
    run.assert_code(1);
    let doc = run.json();
    let c = check(&doc, 1, "bench_telemetry");
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(c["message"].as_str().unwrap().contains("unjudged"), "{c:#}");
}

#[test]
fn junit_has_a_testcase_per_gpu_and_metric_with_failures() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("bench.xml");
    let (run, _) = bench_json(
        "two_h100.json",
        &[
            "--tests",
            "pcie",
            "--min",
            "h2d=60GB/s",
            "--junit",
            xml.to_str().unwrap(),
        ],
    );
    run.assert_code(1);
    let text = std::fs::read_to_string(&xml).unwrap();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    // Per GPU: bench_ran, xid, h2d, d2h, the wipe of the bandwidth buffers
    // and the comparison with the other GPU.
    assert!(text.contains("tests=\"12\" failures=\"2\""), "{text}");
    assert_eq!(text.matches("<testcase ").count(), 12);
    assert_eq!(text.matches("<failure ").count(), 2);
    assert!(text.contains("classname=\"gpuctl.bench.gpu1\" name=\"h2d\""));
    assert!(
        text.contains("is 8.4% below the threshold &gt;= 60.0 GB/s"),
        "{text}"
    );
    // Well-formed: every element opened is closed.
    assert_eq!(
        text.matches("<testsuite ").count(),
        text.matches("</testsuite>").count()
    );
}

#[test]
fn corrupted_transfer_fails_that_gpu_only() {
    let dir = tempfile::tempdir().unwrap();
    // Two bits of a word of buffer B (after buffer A's 1 MiB) stuck, one
    // at 0 and one at 1: the copy's destination reads back wrong.
    let stuck = json!({ "compute": { "memory_faults": [
        { "offset": (1 << 20) + 8, "bit": 3, "kind": "stuck0" },
        { "offset": (1 << 20) + 8, "bit": 4, "kind": "stuck1" }
    ] } });
    let bad = variant(dir.path(), "corrupt.json", &[(0, stuck)]);
    let (run, doc) = bench_json(&bad, &["--tests", "hbm"]);
    run.assert_code(1);
    // The wipe ran after the failure, and the word with a bit stuck at 1
    // did not read back as zero.
    assert_eq!(failing(&doc, 0), ["bench_ran", "memory_wipe"]);
    let c = check(&doc, 0, "bench_ran");
    let msg = c["message"].as_str().unwrap();
    assert!(msg.contains("device copy: "), "{c}");
    assert!(msg.contains("corrupted"), "{c}");
    // The stuck word, found at its byte in buffer B.
    assert!(msg.contains("(last at byte 8)"), "{c}");
    assert!(c["remedy"].as_str().unwrap().contains("RMA"), "{c}");
    assert_eq!(check(&doc, 0, "hbm_copy")["status"], "skip");
    let wipe = check(&doc, 0, "memory_wipe")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(wipe.contains("1 "), "{wipe}");
    assert_eq!(doc["gpus"][1]["status"], "pass");
}

#[test]
fn gemm_mismatch_panic_and_setup_error_fail_through_the_harness() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture_variant(dir.path(), "two_h100.json", "faults.json", |f| {
        // GPU 0's GEMM flips one bit of C from its fifth product on (the
        // first four make the reference); GPU 1's worker panics at its
        // 50th driver call (the GEMM's set-up).
        f["gpus"][0]["compute"]["gemm_corrupt"] = json!({"element": 3, "from_call": 5});
        f["gpus"][1]["compute"]["panic_at_call"] = json!(50);
    });
    let (run, doc) = bench_json(&f, &["--tests", "gemm_bf16"]);
    run.assert_code(1);
    assert_eq!(failing(&doc, 0), ["gemm_bf16"]);
    assert!(check(&doc, 0, "gemm_bf16")["message"]
        .as_str()
        .unwrap()
        .contains("differed from the reference"));
    assert_eq!(failing(&doc, 1), ["bench_ran"]);
    assert!(check(&doc, 1, "bench_ran")["message"]
        .as_str()
        .unwrap()
        .contains("crashed"));

    // GPU 1 falls off the bus at its first call: the set-up's.
    let f = variant(
        dir.path(),
        "nostart.json",
        &[(1, json!({ "compute": { "lost_at_call": 1 } }))],
    );
    let (run, doc) = bench_json(&f, &["--tests", "h2d"]);
    run.assert_code(1);
    assert_eq!(failing(&doc, 1), ["bench_ran"]);
    let msg = check(&doc, 1, "bench_ran")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("set-up failed: cuMemGetInfo: CUDA_ERROR_UNKNOWN (999)"),
        "{msg}"
    );
}

#[test]
fn out_of_memory_at_gemm_setup_names_the_holders_not_the_gpu() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture_variant(dir.path(), "two_h100.json", "oom.json", |f| {
        // 64 KiB of device memory: the GEMM's operands fit, its reference
        // does not.
        f["gpus"][0]["compute"]["memory_bytes"] = json!(65536);
        f["gpus"][0]["processes"] = json!([
            { "pid": 4242, "name": "python3", "used_bytes": 75161927680u64 }
        ]);
    });
    let (run, doc) = bench_json(&f, &["--tests", "gemm_bf16", "-i", "0"]);
    run.assert_code(1);
    assert_eq!(failing(&doc, 0), ["bench_ran"]);
    let c = check(&doc, 0, "bench_ran");
    let message = c["message"].as_str().unwrap();
    assert!(message.contains("out of GPU memory"), "{message}");
    assert!(message.contains("pid 4242 (python3)"), "{message}");
    let remedy = c["remedy"].as_str().unwrap();
    assert!(remedy.starts_with("free the GPU"), "{remedy}");
    assert!(!remedy.contains("RMA"), "{remedy}");
}

#[test]
fn out_of_memory_at_bandwidth_setup_names_the_holders_not_the_gpu() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture_variant(dir.path(), "two_h100.json", "oom_bench.json", |f| {
        // 3 MiB: too little for two buffers of 1 MiB within half of it.
        f["gpus"][0]["compute"]["memory_bytes"] = json!(3 << 20);
        f["gpus"][0]["processes"] = json!([
            { "pid": 4242, "name": "python3", "used_bytes": 75161927680u64 }
        ]);
    });
    let (run, doc) = bench_json(&f, &["--tests", "hbm", "-i", "0"]);
    run.assert_code(1);
    assert_eq!(failing(&doc, 0), ["bench_ran"]);
    let c = check(&doc, 0, "bench_ran");
    let message = c["message"].as_str().unwrap();
    assert!(
        message.contains("sizing the benchmark buffers: out of GPU memory"),
        "{message}"
    );
    assert!(message.contains("pid 4242 (python3)"), "{message}");
    let remedy = c["remedy"].as_str().unwrap();
    assert!(remedy.starts_with("free the GPU"), "{remedy}");
    assert!(!remedy.contains("RMA"), "{remedy}");
}

#[test]
fn no_cuda_is_an_environment_error() {
    let (run, doc) = bench_json("no_cuda.json", &[]);
    run.assert_code(3);
    assert_eq!(doc["error"]["kind"], "environment");
}

#[test]
fn sigint_during_a_hung_gemm_gives_a_partial_report_and_130() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture_variant(dir.path(), "two_h100.json", "hang.json", |f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["compute"]["memory_bytes"] = json!(6 << 20);
            g["compute"]["kernel_spacing_us"] = json!(0.01);
        }
        f["gpus"][0]["compute"]["hang_at_call"] = json!(300);
    });
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gpuctl"))
        .env("GPUCTL_SIMULATE", &f)
        .env_remove("CUDA_VISIBLE_DEVICES")
        .args(["bench", "--json", "--tests", "h2d,gemm_bf16", "-i", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Time for the simulated h2d on a loaded machine.
    std::thread::sleep(Duration::from_millis(8000));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let sent = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(3),
            "no exit within 3 s of SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let doc = parse_report(&out);
    assert_eq!(doc.outcome, "interrupted");
    let v: Value = serde_json::from_str(&out).unwrap();
    // The measurements that finished are in the partial report.
    assert!(result(&v, 0, "h2d")["value"].as_f64().unwrap() > 0.0);
    assert_eq!(check(&v, 0, "gemm_bf16")["status"], "skip");
    assert_eq!(
        check(&v, 0, "gemm_bf16")["message"],
        "not measured: interrupted"
    );
}

#[test]
fn an_xid_during_the_benchmark_fails_that_gpu() {
    // bench watches XIDs like burn and memtest (one watch, one verdict).
    let v = common::variant(|f| f["gpus"][1]["xid_events"] = json!([13]));
    let (run, _) = bench_json(v.path(), &["--tests", "pcie"]);
    run.assert_code(1);
    let rep = run.report();
    let c = rep.gpu(1).check("xid");
    assert_eq!(c.status, "fail", "{c:?}");
    assert_eq!(rep.gpu(0).check("xid").status, "pass");
}

#[test]
fn a_dropped_host_copy_fails_that_gpu_naming_the_transfer() {
    // GPU 1's first copy prepares the pinned buffer; 2-4 are the warm-ups,
    // 5 the first timed host-to-device copy: dropped, its destination
    // (zeroed before every copy) reads back as zeros.
    let dir = tempfile::tempdir().unwrap();
    let f = variant(
        dir.path(),
        "drop.json",
        &[(1, json!({ "compute": { "drop_copy_at": 5 } }))],
    );
    let (run, doc) = bench_json(&f, &["--tests", "h2d"]);
    run.assert_code(1);
    assert!(failing(&doc, 0).is_empty(), "{:?}", failing(&doc, 0));
    assert_eq!(failing(&doc, 1), ["bench_ran"]);
    let msg = check(&doc, 1, "bench_ran")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains(
            "host-to-device copy: 131072 of 131072 words read back wrong after repetition 1"
        ),
        "{msg}"
    );
    // The buffers were still wiped after the failure.
    assert_eq!(check(&doc, 1, "memory_wipe")["status"], "pass");
}

#[test]
fn sigint_during_a_hung_transfer_gives_a_partial_report_and_130() {
    // GPU 0 stops answering at its 40th call (inside hbm_copy); GPU 1
    // measures. The harness's step deadline is a minute: Ctrl-C ends the
    // wait, GPU 0 is reported interrupted, never passed.
    let dir = tempfile::tempdir().unwrap();
    let f = variant(
        dir.path(),
        "hang.json",
        &[(0, json!({ "compute": { "hang_at_call": 40 } }))],
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gpuctl"))
        .env("GPUCTL_SIMULATE", &f)
        .env_remove("CUDA_VISIBLE_DEVICES")
        .args(["bench", "--json", "--tests", "hbm_copy"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(6000));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"], "interrupted");
    assert_ne!(v["gpus"][0]["status"], "pass", "{v:#}");
    assert_eq!(check(&v, 0, "hbm_copy")["status"], "skip");
    assert_near(value(&v, 1, "hbm_copy"), sim_gbps(2.0 * BUF, 3000.0));
}
