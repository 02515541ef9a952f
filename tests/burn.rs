//! End-to-end tests of `gpuctl burn` through the simulated backend: the
//! JSON Lines stream (progress events, then the report), every per-GPU check
//! and its FAIL / WARN paths, engines, environment and usage errors, and
//! SIGINT / SIGTERM.
//!
//! The burn runs its real workload code on simulated GPUs (2 MiB of host
//! memory each, a Rust reference of every kernel): the products are
//! 128 x 128, their time comes from the simulated clock (700 TFLOP/s, no
//! gap between kernels in [`variant`]), and a batch lasts about a second of
//! wall time (the host computes the products). Faults are injected where a
//! GPU would have them, in the fixture's `compute` section: a corrupted
//! GEMM element, stuck memory bits, a lost, hung or panicking device at a
//! given driver call; the tests assert what the burn found.

mod common;

use common::*;
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Per-GPU checks of a GPU that produced a reference product, in order.
const CHECKS: [&str; 11] = [
    "burn_ran",
    "result_mismatch",
    "verification_mode",
    "reference_anchor",
    "memory_wipe",
    "cross_gpu_reference",
    "xid",
    "throttle",
    "temperature",
    "memory_temperature",
    "throughput",
];

/// Per-GPU checks of a GPU that never got past set-up (no reference product,
/// so nothing to compare across GPUs).
const CHECKS_NO_REFERENCE: [&str; 10] = [
    "burn_ran",
    "result_mismatch",
    "verification_mode",
    "reference_anchor",
    "memory_wipe",
    "xid",
    "throttle",
    "temperature",
    "memory_temperature",
    "throughput",
];

/// Exact keys of a progress event.
const PROGRESS_KEYS: [&str; 12] = [
    "event",
    "gpu",
    "elapsed_s",
    "tflops",
    "power_w",
    "temperature_c",
    "sm_clock_mhz",
    "memory_clock_mhz",
    "clock_events",
    "clock_events_mask",
    "mismatches",
    "error",
];

/// The matrix size on a simulated GPU of 2 MiB (the default 16384 shrunk
/// to fit a quarter of its memory).
const N: u32 = 128;
/// A driver call of the first batch: set-up makes 299 on these GPUs
/// (cuBLASLt, 19 result buffers, 256 anchor reads), a batch starts with
/// 5 or more.
const MID_RUN_CALL: u64 = 305;

// Remedies (src/commands/burn.rs, src/checks/remedy.rs, src/checks/xid.rs).
const RMA: &str = "drain the node and open an RMA for the GPU at {gpu} (give its serial)";
/// A CUDA error during the burn (illegal address): the GPU's fault.
const BURN_ERROR: &str =
    "drain the node, then reset the GPU (nvidia-smi -r -i {gpu}) or reboot; RMA if it recurs";
const HW_CLOCKS: &str =
    "check cooling, power supply and the power-brake cable; if it persists, drain the node and open an RMA for the GPU at {gpu}";
const SLOW: &str =
    "check cooling, clocks and power limit; compare with nvidia-smi -q -d PERFORMANCE -i {gpu}";
const TIE: &str = "rerun burn; the GPU that keeps disagreeing is faulty";
const XID_BUS: &str = "drain the node and reboot it (a GPU reset cannot reach it); \
                       collect nvidia-bug-report.sh; reseat or RMA if it recurs";
const XID_APP: &str = "usually an application fault: check the job's logs; if it repeats \
                       across jobs, drain the node and reset the GPU (nvidia-smi -r -i {gpu})";

// ------------------------------------------------------------ helpers

/// `two_h100.json` with no gap between simulated kernels (the product time
/// is then the simulated GEMM's alone: 700 TFLOP/s), then `mutate`.
fn variant(mutate: impl FnOnce(&mut Value)) -> Variant {
    common::variant(|f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["compute"]["kernel_spacing_us"] = json!(0.0);
        }
        mutate(f);
    })
}

/// Fixture `base` with no gap between simulated kernels, then `mutate`.
fn variant_of(base: &str, mutate: impl FnOnce(&mut Value)) -> Variant {
    common::variant_of(base, |f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["compute"]["kernel_spacing_us"] = json!(0.0);
        }
        mutate(f);
    })
}

/// Fixture `base` as the burn tests run it.
fn fx(base: &str) -> Variant {
    variant_of(base, |_| {})
}

/// The plain two-H100 fixture for the burn.
fn two() -> Variant {
    variant(|_| {})
}

/// GPU `gpu`'s `compute` section field `key` set to `value`.
fn compute(gpu: usize, key: &str, value: Value) -> Variant {
    variant(|f| f["gpus"][gpu]["compute"][key] = value)
}

/// The reference checksum every healthy GPU of the run reports (they
/// share the run's seed): 16 hex digits, the same on every GPU.
fn common_checksum(b: &Burned) -> String {
    let sums: Vec<String> = b
        .report
        .gpus
        .iter()
        .filter(|g| g.status.as_deref() == Some("pass"))
        .filter_map(|g| burn_of(g).reference_checksum.clone())
        .collect();
    assert!(!sums.is_empty(), "{:#?}", b.report);
    assert!(
        sums.iter().all(|s| s == &sums[0] && s.len() == 16),
        "{sums:?}"
    );
    sums[0].clone()
}

/// `two_h100.json` plus a third H100 (NVML index 2, CUDA rank 2), cloned
/// from GPU 0 with its own UUID and bus id.
fn three_h100(mutate: impl FnOnce(&mut Value)) -> Variant {
    variant(|f| {
        let mut third = f["gpus"][0].clone();
        third["uuid"] = json!("GPU-33333333-4444-5555-6666-777777777777");
        third["pci_bus_id"] = json!("00000000:3B:00.0");
        third["details"]["serial"] = json!("1652320002");
        third["cuda"]["rank"] = json!(2);
        f["gpus"].as_array_mut().unwrap().push(third);
        mutate(f);
    })
}

/// One progress event of `burn --json`, exactly as printed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Progress {
    event: String,
    gpu: u32,
    elapsed_s: f64,
    tflops: Option<f64>,
    power_w: Option<f64>,
    temperature_c: Option<u32>,
    sm_clock_mhz: Option<u32>,
    memory_clock_mhz: Option<u32>,
    clock_events: Vec<String>,
    clock_events_mask: Option<u64>,
    mismatches: u64,
    error: Option<String>,
}

/// A finished `burn --json` run: the progress events and the report.
#[derive(Debug)]
struct Burned {
    progress: Vec<Progress>,
    report: Report,
}

impl Burned {
    /// GPU `gpu`'s progress events, in order.
    fn progress_of(&self, gpu: u32) -> Vec<&Progress> {
        self.progress.iter().filter(|p| p.gpu == gpu).collect()
    }

    /// GPU `gpu`'s last progress event.
    fn last_progress(&self, gpu: u32) -> &Progress {
        self.progress_of(gpu)
            .last()
            .copied()
            .unwrap_or_else(|| panic!("no progress event for GPU {gpu}: {self:#?}"))
    }
}

/// Parses `burn --json-lines` output: every line is JSON; every line but the last
/// is a progress event with exactly the documented keys; the last line is
/// the report (`event: report`, schema-valid, typed). Also checks what every
/// burn report keeps: each GPU has a burn section and the burn checks in
/// order, its status is its worst judged check, and the outcome, exit code
/// and summary agree.
fn parse_stream(stdout: &str, duration_s: f64) -> Burned {
    assert!(
        stdout.ends_with('\n'),
        "JSON Lines output is not newline-terminated: {stdout:?}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let (last, events) = lines.split_last().expect("burn --json-lines prints lines");
    for line in &lines {
        assert_valid_line(line);
    }
    let progress: Vec<Progress> = events
        .iter()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            let mut keys: Vec<&str> = value
                .as_object()
                .unwrap_or_else(|| panic!("progress line is not an object: {line}"))
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            let mut expected = PROGRESS_KEYS.to_vec();
            expected.sort_unstable();
            assert_eq!(keys, expected, "progress event keys: {line}");
            let p: Progress = serde_json::from_value(value)
                .unwrap_or_else(|e| panic!("progress event does not match ({e}): {line}"));
            assert_eq!(p.event, "progress", "{line}");
            // Set-up (the reference on the host) and the last batch (about
            // a second) may run past the duration.
            assert!(
                (0.0..=duration_s + 10.0).contains(&p.elapsed_s),
                "elapsed_s out of range: {line}"
            );
            p
        })
        .collect();
    let report = parse_report(&format!("{last}\n"));
    assert_eq!(report.event.as_deref(), Some("report"), "{last}");
    assert_eq!(report.command, "burn");
    assert!(report.error.is_none(), "{report:#?}");
    assert!(report.host_checks.is_empty(), "{report:#?}");

    let indices = report.indices();
    for p in &progress {
        assert!(
            indices.contains(&p.gpu),
            "progress for a GPU not in the report: {p:?}"
        );
    }
    for &i in &indices {
        let mine: Vec<&Progress> = progress.iter().filter(|p| p.gpu == i).collect();
        assert!(
            mine.windows(2).all(|w| w[0].elapsed_s <= w[1].elapsed_s),
            "GPU {i}'s progress goes back in time: {mine:#?}"
        );
        assert!(
            mine.windows(2).all(|w| w[0].mismatches <= w[1].mismatches),
            "GPU {i}'s mismatch count shrinks: {mine:#?}"
        );
    }

    for g in &report.gpus {
        let b = burn_of(g);
        let mut expected: Vec<&str> = if b.reference_checksum.is_some() {
            CHECKS.to_vec()
        } else {
            CHECKS_NO_REFERENCE.to_vec()
        };
        // A mixed burn judges its HBM stream right after the products.
        if b.mode.as_deref() == Some("mixed") {
            expected.insert(2, "stream_mismatch");
        }
        // The fail-closed rule may append `coverage` (what was not verified).
        let mut names = g.check_names();
        if names.last() == Some(&"coverage") {
            names.pop();
        }
        assert_eq!(names, expected, "GPU {}", g.index);
        let worst = g
            .checks
            .iter()
            .flatten()
            .map(|c| rank(&c.status))
            .filter(|&r| r != rank("skip"))
            .max()
            .unwrap_or(0);
        assert_eq!(
            g.status.as_deref().map(rank),
            Some(worst),
            "GPU {}'s status is its worst check: {g:#?}",
            g.index
        );
        for c in g.checks.iter().flatten() {
            match c.status.as_str() {
                "fail" | "warn" => assert!(
                    c.remedy.as_deref().is_some_and(|r| !r.is_empty()),
                    "{} carries a remedy: {c:?}",
                    c.status
                ),
                _ => assert_eq!(c.remedy, None, "no remedy on {c:?}"),
            }
        }
        // The burn section agrees with itself and with the checks.
        assert_eq!(b.batches == 0, b.products == 0, "{b:?}");
        assert_eq!(b.batches == 0, b.tflops_median.is_none(), "{b:?}");
        if let (Some(lo), Some(mid), Some(hi)) = (b.tflops_min, b.tflops_median, b.tflops_max) {
            assert!(lo <= mid && mid <= hi, "{b:?}");
        }
        assert!(b.mismatched_elements >= b.mismatched_products, "{b:?}");
        assert_eq!(
            b.error.is_some(),
            g.check("burn_ran").status == "fail",
            "burn.error is set exactly when burn_ran fails: {g:#?}"
        );
        assert_eq!(
            b.mismatched_products > 0,
            g.check("result_mismatch").status == "fail"
        );
        // XIDs were seen exactly when the xid check fails, or the GPU fell
        // off the bus while watched (it may also be SKIP when no watch could
        // run on that GPU).
        let x = g.check("xid");
        let lost = x.message.contains("GPU is lost");
        assert_eq!(!b.xids.is_empty() || lost, x.status == "fail", "{x:?}");
        assert!(b.throttle.iter().all(|t| t.seconds >= 0.0), "{b:?}");
    }
    Burned { progress, report }
}

fn rank(status: &str) -> u8 {
    match status {
        "pass" => 0,
        "skip" => 1,
        "warn" => 2,
        "interrupted" => 3,
        "fail" => 4,
        other => panic!("unknown status {other}"),
    }
}

fn burn_of(g: &Gpu) -> &Burn {
    g.burn
        .as_ref()
        .unwrap_or_else(|| panic!("GPU {} has no burn section: {g:#?}", g.index))
}

/// Duration argument in seconds (`600ms`, `1s`).
fn seconds_of(d: &str) -> f64 {
    match d.strip_suffix("ms") {
        Some(ms) => ms.parse::<f64>().unwrap() / 1000.0,
        None => d.strip_suffix('s').unwrap().parse().unwrap(),
    }
}

/// `burn --json-lines --interval 100ms -d 600ms` plus `args` (which may give their
/// own `-d`): the process exits with the report's code and writes nothing on
/// stderr.
fn burn(fixture: &str, args: &[&str]) -> Burned {
    let mut all = vec!["burn", "--json-lines", "--interval", "100ms"];
    let duration = match args.iter().position(|a| *a == "-d") {
        Some(i) => args[i + 1],
        None => {
            all.extend(["-d", "600ms"]);
            "600ms"
        }
    };
    all.extend_from_slice(args);
    let r = run(fixture, &all);
    let b = parse_stream(&r.stdout, seconds_of(duration));
    assert_eq!(r.code, b.report.exit_code, "exit is the report's; {r:#?}");
    assert_eq!(
        r.stderr, "",
        "a completed burn --json-lines writes nothing on stderr"
    );
    b
}

/// Names of the WARN and FAIL checks of GPU `g`.
fn bad_names(g: &Gpu) -> Vec<&str> {
    g.checks
        .iter()
        .flatten()
        .filter(|c| c.status == "warn" || c.status == "fail")
        .map(|c| c.name.as_str())
        .collect()
}

/// GPU `g` passed every check, burned at 700 TFLOP/s (simulated clock),
/// matched the common reference and saw no error.
fn assert_gpu_passed(g: &Gpu) {
    assert_eq!(g.status.as_deref(), Some("pass"), "{g:#?}");
    assert_eq!(g.lost, None);
    for name in CHECKS {
        let c = g.check(name);
        // Alone of its model (the others failed set-up): nothing to compare.
        if name == "cross_gpu_reference" && c.status == "skip" {
            assert!(c.message.starts_with("no other "), "{c:#?}");
            continue;
        }
        assert_eq!(c.status, "pass", "GPU {}: {g:#?}", g.index);
    }
    let b = burn_of(g);
    assert!(b.batches >= 1, "GPU {} ran {} batches", g.index, b.batches);
    assert!(b.products >= b.batches, "{b:?}");
    assert_eq!(b.matrix_size, Some(N));
    assert_eq!(b.tflops_median, Some(700.0));
    assert_eq!(b.mismatched_products, 0);
    assert_eq!(b.mismatched_elements, 0);
    assert!(
        b.reference_checksum.as_ref().is_some_and(|s| s.len() == 16),
        "{b:?}"
    );
    assert_eq!(b.error, None);
    assert_eq!(b.xids, Vec::<u64>::new());
}

/// The run failed on exactly GPU `gpu` with exactly the checks `names`; the
/// other GPUs passed; the summary names that GPU and those checks.
fn assert_only_fails(b: &Burned, gpu: u32, names: &[&str]) {
    let rep = &b.report;
    assert_eq!(rep.outcome, "fail", "{rep:#?}");
    assert_eq!(rep.exit_code, 1);
    let g = rep.gpu(gpu);
    assert_eq!(g.status.as_deref(), Some("fail"));
    assert_eq!(bad_names(g), names, "{g:#?}");
    for name in names {
        assert_eq!(g.check(name).status, "fail");
    }
    for other in rep.gpus.iter().filter(|g| g.index != gpu) {
        assert_gpu_passed(other);
    }
    assert!(
        rep.summary
            .starts_with(&format!("burn FAIL: GPU {gpu} ({}): ", names.join(", "))),
        "{}",
        rep.summary
    );
}

/// Runs `burn` on a variant whose GPU 0 reports `clock_events` throughout.
fn with_clock_events(bits: u64) -> Burned {
    let v = variant(|f| f["gpus"][0]["telemetry"]["clock_events"] = json!(bits));
    burn(v.path(), &[])
}

/// The throttle entry for `reason` in GPU `g`'s burn section.
fn throttle_seconds(g: &Gpu, reason: &str) -> Option<f64> {
    burn_of(g)
        .throttle
        .iter()
        .find(|t| t.reason == reason)
        .map(|t| t.seconds)
}

/// A hardware clock event on GPU 0 fails its throttle check, naming the
/// reason; the burn section and progress events list it.
fn assert_hardware_throttle_fails(bits: u64, name: &str) {
    let b = with_clock_events(bits);
    assert_only_fails(&b, 0, &["throttle"]);
    let g = b.report.gpu(0);
    let c = g.check("throttle");
    assert_eq!(c.value, Some(json!({"reasons": [name], "mask": bits})));
    assert!(
        c.message.starts_with(&format!(
            "hardware slowdown during burn: {name} (all: {name} "
        )),
        "{c:?}"
    );
    assert_eq!(unfill(&c.remedy).as_deref(), Some(HW_CLOCKS));
    let reasons: Vec<&str> = burn_of(g)
        .throttle
        .iter()
        .map(|t| t.reason.as_str())
        .collect();
    assert_eq!(reasons, [name]);
    assert!(throttle_seconds(g, name).unwrap() > 0.0);
    assert_eq!(b.last_progress(0).clock_events, [name]);
    assert_eq!(b.last_progress(0).clock_events_mask, Some(bits));
    assert_eq!(b.last_progress(1).clock_events, ["gpu_idle"]);
    assert_eq!(b.last_progress(1).clock_events_mask, Some(1));
}

/// A usage or environment error of `burn`: exit `code`, one line on stderr
/// (returned), nothing on stdout; with `--json` the same line's message in a
/// schema-valid error document on stdout.
fn burn_error(fixture: &str, args: &[&str], code: i32, kind: &str) -> String {
    let mut all = vec!["burn"];
    all.extend_from_slice(args);
    let r = run(fixture, &all);
    r.assert_code(code);
    assert_eq!(r.stdout, "", "a table-mode error prints nothing on stdout");
    let line = r.stderr_line().to_string();
    let message = line
        .strip_prefix("gpuctl burn: error: ")
        .unwrap_or_else(|| panic!("stderr line: {line}"))
        .to_string();

    // --json-lines answers an error as one line, the report.
    all.push("--json-lines");
    let r = run(fixture, &all);
    r.assert_code(code);
    assert_eq!(r.stderr_line(), line, "the same one line with --json-lines");
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert_valid_line(r.stdout_line());
    assert_eq!(r.report().event.as_deref(), Some("report"));

    // --json: one document, as every command prints.
    *all.last_mut().unwrap() = "--json";
    let r = run(fixture, &all);
    r.assert_code(code);
    assert_eq!(r.stderr_line(), line, "the same one line with --json");
    let rep = r.report();
    assert_eq!(rep.event, None, "--json is a document, not a stream");
    assert_eq!(rep.command, "burn");
    assert_eq!(rep.outcome, "error");
    assert_eq!(rep.exit_code, code);
    assert!(rep.gpus.is_empty());
    let err = rep.error.as_ref().unwrap();
    assert_eq!(err.kind, kind);
    assert_eq!(err.message, message);
    assert_eq!(rep.summary, format!("error: {message}"));
    message
}

// ------------------------------------------------------------ healthy runs

#[test]
fn healthy_gpus_pass_every_check() {
    // Distinct power per GPU shows the telemetry lands on the right GPU.
    let v = variant(|f| {
        f["gpus"][0]["telemetry"]["power_draw_w"] = json!(650.0);
        f["gpus"][1]["telemetry"]["power_draw_w"] = json!(640.5);
        f["gpus"][1]["telemetry"]["temperature_gpu_c"] = json!(62);
        f["gpus"][1]["telemetry"]["sm_clock_mhz"] = json!(1755);
    });
    let b = burn(v.path(), &[]);
    let rep = &b.report;
    assert_eq!(rep.outcome, "pass");
    assert_eq!(rep.exit_code, 0);
    assert_eq!(rep.indices(), [0, 1]);
    assert_eq!(rep.warnings, Vec::<String>::new());
    assert_eq!(
        rep.summary,
        "burn passed: GPU 0 700 TFLOP/s, GPU 1 700 TFLOP/s"
    );
    let driver = rep.driver.as_ref().unwrap();
    assert_eq!(driver.driver_version.as_deref(), Some(DRIVER_VERSION));
    assert_eq!(rep.gpu(0).uuid.as_deref(), Some(UUID0));
    assert_eq!(rep.gpu(1).uuid.as_deref(), Some(UUID1));

    for (i, power, temp, sm) in [(0, 650.0, 31, 345), (1, 640.5, 62, 1755)] {
        let g = rep.gpu(i);
        assert_gpu_passed(g);
        let bs = burn_of(g);
        assert_eq!(bs.engine.as_deref(), Some("cublas"), "auto picks cuBLASLt");
        assert_eq!(bs.dtype.as_deref(), Some("bf16"));
        assert_eq!(bs.detail.as_deref(), Some("cuBLASLt"));
        assert_eq!(bs.matrix_size, Some(N));
        // 90% of 2 MiB: operands, reference and as many 64 KiB results as
        // fit beside a margin.
        assert!(bs.result_buffers.is_some_and(|n| n > 1), "{bs:?}");
        assert!(
            bs.memory_bytes.is_some_and(|m| m > 0 && m <= 2 << 20),
            "{bs:?}"
        );
        assert!(bs.seconds > 0.0, "{bs:?}");
        assert!(bs.products > 0);
        assert_eq!(bs.tflops_min, Some(700.0));
        assert_eq!(bs.tflops_max, Some(700.0));
        assert!(bs.tflops_with_verification.is_some());
        assert!(bs.verification_overhead_pct.is_some());
        assert_eq!(bs.power_avg_w, Some(power));
        assert_eq!(bs.power_peak_w, Some(power));
        assert!(bs.seconds_to_power_plateau.is_some_and(|s| s >= 0.0));
        assert_eq!(bs.temperature_gpu_peak_c, Some(temp));
        assert_eq!(bs.temperature_memory_peak_c, Some(38));
        assert_eq!(bs.sm_clock_min_mhz, Some(sm));
        assert_eq!(bs.sm_clock_avg_mhz, Some(f64::from(sm)));
        // The fixture's idle bit is listed with its time, and is no slowdown.
        let reasons: Vec<&str> = bs.throttle.iter().map(|t| t.reason.as_str()).collect();
        assert_eq!(reasons, ["gpu_idle"]);
        assert!(throttle_seconds(g, "gpu_idle").unwrap() > 0.0);

        let ran = &g.check("burn_ran").message;
        assert!(
            ran.starts_with(&format!("{} batches verified in ", bs.batches)),
            "{ran}"
        );
        let c = g.check("result_mismatch");
        assert_eq!(c.value, Some(json!(0)));
        assert_eq!(c.unit.as_deref(), Some("products"));
        assert_eq!(c.threshold, Some(json!(0)));
        assert_eq!(
            c.message,
            format!("all {} products matched the reference", bs.products)
        );
        let c = g.check("cross_gpu_reference");
        assert_eq!(c.value, Some(json!(common_checksum(&b))));
        assert_eq!(
            c.message,
            format!("reference product agrees with every {H100} in the run")
        );
        let c = g.check("xid");
        assert_eq!(c.message, "no XID errors (NVML events during the burn)");
        let c = g.check("throttle");
        assert!(
            c.message
                .starts_with("no hardware slowdown; reasons seen: gpu_idle "),
            "{c:?}"
        );
        let c = g.check("throughput");
        assert_eq!(c.value, Some(json!(700.0)));
        assert_eq!(c.unit.as_deref(), Some("TFLOP/s"));
        assert_eq!(c.threshold, Some(json!(630.0)), "10% below the best");
        assert_eq!(c.message, "median 700 TFLOP/s");

        // Progress: events with telemetry of this GPU, no errors.
        let mine = b.progress_of(i);
        assert!(!mine.is_empty(), "GPU {i}: {mine:#?}");
        for p in &mine {
            assert!(p.tflops.is_none() || p.tflops == Some(700.0), "{p:?}");
            assert!(p.power_w.is_none() || p.power_w == Some(power), "{p:?}");
            assert_eq!(p.mismatches, 0);
            assert_eq!(p.error, None);
        }
        let last = b.last_progress(i);
        assert_eq!(last.tflops, Some(700.0));
        assert_eq!(last.power_w, Some(power));
        assert_eq!(last.temperature_c, Some(temp));
        assert_eq!(last.sm_clock_mhz, Some(sm));
        assert_eq!(last.memory_clock_mhz, Some(2619));
        assert_eq!(last.clock_events, ["gpu_idle"]);
    }
}

#[test]
fn healthy_table_has_a_row_per_gpu_and_the_summary_line() {
    let r = run(
        two().path(),
        &["burn", "-d", "500ms", "--interval", "100ms"],
    );
    r.assert_code(0);
    assert_eq!(r.stderr, "", "no progress on a non-terminal stderr");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("SIMULATED"), "{}", r.stdout);
    assert!(
        lines.iter().all(|l| l.chars().count() <= 80),
        "{}",
        r.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Engine") && l.contains("TFLOP/s")),
        "{}",
        r.stdout
    );
    for i in 0..2 {
        let row = lines
            .iter()
            .find(|l| l.starts_with(&format!("{i} ")))
            .unwrap_or_else(|| panic!("no row for GPU {i}:\n{}", r.stdout));
        assert!(row.contains("cublas bf16"), "{row}");
        assert!(row.contains("700/700/700"), "{row}");
        assert!(row.contains("PASS"), "{row}");
    }
    assert_eq!(
        *lines.last().unwrap(),
        "burn passed: GPU 0 700 TFLOP/s, GPU 1 700 TFLOP/s"
    );
    assert!(!r.stdout.contains('\x1b'), "no colour off a terminal");
}

#[test]
fn quiet_and_non_terminal_stderr_show_no_progress() {
    for args in [
        &["burn", "-q", "-d", "300ms", "--interval", "100ms"][..],
        &["burn", "-d", "300ms", "--interval", "100ms"][..],
        &[
            "burn",
            "--quiet",
            "--json",
            "-d",
            "300ms",
            "--interval",
            "100ms",
        ][..],
    ] {
        let r = run(two().path(), args);
        r.assert_code(0);
        assert_eq!(r.stderr, "", "{args:?}: {r:#?}");
        assert!(!r.stdout.is_empty());
    }
}

#[test]
fn gpu_selection_burns_only_the_selected_gpus() {
    let b = burn(two().path(), &["-i", "1"]);
    assert_eq!(b.report.indices(), [1]);
    assert_gpu_passed(b.report.gpu(1));
    assert!(b.progress.iter().all(|p| p.gpu == 1), "{:#?}", b.progress);
    assert_eq!(b.report.summary, "burn passed: GPU 1 700 TFLOP/s");
}

// ------------------------------------------------------------ wrong results

#[test]
fn injected_fault_fails_only_that_gpu() {
    // The fault goes into the second batch's first product.
    let b = burn(two().path(), &["--inject-fault", "1", "-d", "3s"]);
    assert_only_fails(&b, 1, &["result_mismatch"]);
    let g = b.report.gpu(1);
    let bs = burn_of(g);
    assert_eq!(bs.mismatched_products, 1);
    assert_eq!(bs.mismatched_elements, 1);
    assert_eq!(bs.error, None, "a mismatch does not stop the burn");
    assert!(bs.batches >= 2, "{bs:?}");
    let c = g.check("result_mismatch");
    assert_eq!(c.value, Some(json!(1)));
    assert_eq!(c.unit.as_deref(), Some("products"));
    assert_eq!(c.threshold, Some(json!(0)));
    assert_eq!(
        c.message,
        format!(
            "1 of {} products differed from the reference (1 elements)",
            bs.products
        )
    );
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RMA));
    assert_eq!(g.check("burn_ran").status, "pass");
    assert_eq!(burn_of(b.report.gpu(0)).mismatched_products, 0);

    // Progress lines may precede the last batch: never more than the report.
    assert!(b.last_progress(1).mismatches <= 1);
    assert!(b.progress_of(0).iter().all(|p| p.mismatches == 0));
}

/// Every injected fault shape is caught end to end: the fault is written
/// into a result buffer in simulated memory and the checksum kernel's
/// reference finds it.
#[test]
fn every_injected_fault_shape_fails_that_gpu() {
    for kind in ["gross", "low-bit", "same-bit-two-words", "stuck-bit-row"] {
        let b = burn(
            two().path(),
            &[
                "--inject-fault",
                "0",
                "--inject-fault-kind",
                kind,
                "-d",
                "3s",
            ],
        );
        assert_eq!(b.report.exit_code, 1, "{kind}");
        assert_only_fails(&b, 0, &["result_mismatch"]);
        let bs = burn_of(b.report.gpu(0));
        assert_eq!(bs.mismatched_products, 1, "{kind}");
        let want_elements = match kind {
            "same-bit-two-words" => 2..=2,
            "stuck-bit-row" => 2..=N as u64,
            _ => 1..=1,
        };
        assert!(
            want_elements.contains(&bs.mismatched_elements),
            "{kind}: {} elements",
            bs.mismatched_elements
        );
    }
}

#[test]
fn an_unknown_fault_kind_is_a_usage_error() {
    let r = run(
        "two_h100.json",
        &[
            "burn",
            "--inject-fault",
            "0",
            "--inject-fault-kind",
            "cosmic-ray",
        ],
    );
    assert_eq!(r.code, 2, "{r:#?}");
}

#[test]
fn a_reference_that_does_not_reproduce_fails_the_gpu() {
    // No tolerance fallback: the engine's repeat of the reference differed,
    // and so did its re-run (an intermittent fault or the library). The
    // hidden hook corrupts the repeat in simulated memory.
    let v = two();
    let b = burn(v.path(), &["--inject-reference-fault", "0"]);
    assert_eq!(b.report.exit_code, 1);
    let g = b.report.gpu(0);
    let c = g.check("burn_ran");
    assert_eq!(c.status, "fail", "{c:#?}");
    assert!(
        c.message.contains("did not reproduce bit for bit"),
        "{}",
        c.message
    );
    assert!(c.message.contains("--engine builtin"), "{}", c.message);
    assert_eq!(
        b.report.gpu(1).check("verification_mode").value,
        Some(json!("exact"))
    );
    assert_eq!(b.report.gpu(1).check("burn_ran").status, "pass");
    let r = run(v.path(), &["burn", "--inject-reference-fault", "5"]);
    assert_eq!(r.code, 2, "{r:#?}");
    assert!(
        r.stderr
            .contains("--inject-reference-fault 5: no such selected GPU"),
        "{r:#?}"
    );
}

#[test]
fn a_reference_the_host_disagrees_with_fails_the_gpu() {
    // A deterministic fault: the exponent's top bit stuck at 1 in the first
    // element of every row of operand A (at byte 256, after the 8-byte wipe
    // counter's 256-byte slot; rows of 128 bf16). Every product agrees with
    // itself; only the host's recomputation from the known operands can
    // tell.
    let faults: Vec<Value> = (0..N as u64)
        .map(|row| json!({"offset": 256 + row * 2 * N as u64, "bit": 14, "kind": "stuck1"}))
        .collect();
    let v = compute(1, "memory_faults", json!(faults));
    let b = burn(v.path(), &[]);
    assert_only_fails(&b, 1, &["burn_ran"]);
    let g = b.report.gpu(1);
    let c = g.check("burn_ran");
    assert!(c.message.contains("reference anchor"), "{}", c.message);
    assert!(c.message.contains("datapath fault"), "{}", c.message);
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RMA));
    assert_eq!(g.check("reference_anchor").status, "skip");
    assert_eq!(b.report.gpu(0).check("reference_anchor").status, "pass");
}

#[test]
fn out_of_memory_names_the_processes_holding_it() {
    // 64 KiB of device memory: the operands fit, the reference does not.
    let v = variant(|f| {
        f["gpus"][0]["compute"]["memory_bytes"] = json!(65536);
        f["gpus"][0]["processes"] = json!([
            { "pid": 4242, "name": "python3", "used_bytes": 75161927680u64 }
        ]);
    });
    let b = burn(v.path(), &[]);
    assert_only_fails(&b, 0, &["burn_ran"]);
    let c = b.report.gpu(0).check("burn_ran");
    assert!(c.message.contains("out of GPU memory"), "{}", c.message);
    assert!(
        c.message.contains("pid 4242 (python3) 71680 MiB"),
        "{}",
        c.message
    );
    let remedy = c.remedy.as_deref().unwrap_or_default();
    assert!(
        remedy.starts_with("free the GPU: other processes hold 71680 MiB (pids 4242)"),
        "{remedy}"
    );
    assert!(!remedy.contains("RMA"), "{remedy}");
}

#[test]
fn buffers_are_wiped_and_verified_before_they_are_freed() {
    let b = burn(two().path(), &[]);
    for g in &b.report.gpus {
        let c = g.check("memory_wipe");
        assert_eq!(c.status, "pass", "{c:#?}");
        // Operands, reference, checksum slots, compare counters and every
        // result buffer, each read back as zeros.
        let buffers = burn_of(g).result_buffers.unwrap() + 5;
        assert!(
            c.message.starts_with(&format!("{buffers} buffers (")),
            "{}",
            c.message
        );
    }
}

#[test]
fn a_corrupted_gemm_element_fails_that_gpu() {
    // From the fifth cuBLASLt product on (set-up computes four: the
    // reference and three timed), one element of C has its lowest bit
    // flipped: every product of the burn differs from the reference.
    let v = compute(0, "gemm_corrupt", json!({"element": 4321, "from_call": 5}));
    let b = burn(v.path(), &[]);
    assert_only_fails(&b, 0, &["result_mismatch"]);
    let bs = burn_of(b.report.gpu(0));
    assert_eq!(bs.mismatched_products, bs.products, "{bs:?}");
    // Where the buffer still holds the product, the compare kernel counts
    // the one element.
    assert!(bs.mismatched_elements >= bs.products);
    assert!(bs.mismatched_elements <= bs.products + 1, "{bs:?}");
    // Progress lines come at most every interval: the last may precede the
    // last batches, never count more than the report.
    assert!(b.last_progress(0).mismatches <= bs.mismatched_products);
    assert_eq!(b.last_progress(1).mismatches, 0);
}

#[test]
fn a_gpu_lost_mid_burn_stops_while_the_others_burn_on() {
    let v = compute(0, "lost_at_call", json!(MID_RUN_CALL));
    let b = burn(v.path(), &["-d", "2s"]);
    // The wipe cannot reach it either.
    assert_only_fails(&b, 0, &["burn_ran", "memory_wipe"]);
    let g0 = b.report.gpu(0);
    let c = g0.check("burn_ran");
    assert!(
        c.message.starts_with("failed while running: ")
            && c.message.ends_with(": CUDA_ERROR_UNKNOWN (999)"),
        "{}",
        c.message
    );
    assert_eq!(unfill(&c.remedy).as_deref(), Some(BURN_ERROR));
    let b0 = burn_of(g0);
    assert_eq!(b0.error.as_deref(), Some(c.message.as_str()));
    assert!(b0.reference_checksum.is_some());
    // The wipe cannot reach it either.
    assert_eq!(g0.check("memory_wipe").status, "fail");
    let b1 = burn_of(b.report.gpu(1));
    assert_eq!(b1.error, None);
    assert!(b1.batches > b0.batches, "{} vs {}", b1.batches, b0.batches);
    assert_eq!(
        b.last_progress(0).error.as_deref(),
        Some(c.message.as_str())
    );
    assert!(b.progress_of(1).iter().all(|p| p.error.is_none()));
}

#[test]
fn set_up_error_fails_that_gpu() {
    // The fill kernel faults: the GPU's illegal address, at set-up.
    let v = compute(0, "failing_kernels", json!(["gpuctl_fill_bf16"]));
    let b = burn(v.path(), &[]);
    assert_only_fails(&b, 0, &["burn_ran"]);
    let g = b.report.gpu(0);
    let error = "set-up failed: kernel gpuctl_fill_bf16: injected fault: \
                 CUDA_ERROR_ILLEGAL_ADDRESS (700)";
    assert_eq!(g.check("burn_ran").message, error);
    assert_eq!(g.check_names(), CHECKS_NO_REFERENCE);
    assert_eq!(g.check("throttle").status, "skip");
    assert_eq!(g.check("throughput").status, "skip");
    assert_eq!(g.check("throughput").message, "no batch finished");
    let bs = burn_of(g);
    assert_eq!(bs.error.as_deref(), Some(error));
    assert_eq!((bs.batches, bs.products, bs.seconds), (0, 0, 0.0));
    assert_eq!(bs.tflops_median, None);
    assert_eq!(bs.reference_checksum, None);
    assert_eq!(bs.power_avg_w, None, "no samples before set-up");
    assert!(bs.throttle.is_empty());
    assert_eq!(bs.matrix_size, None);
    assert!(
        b.report
            .summary
            .ends_with("GPU 0 - TFLOP/s, GPU 1 700 TFLOP/s"),
        "{}",
        b.report.summary
    );
}

// ------------------------------------------------------------ throttling

#[test]
fn hw_slowdown_fails_throttle() {
    assert_hardware_throttle_fails(0x8, "hw_slowdown");
}

#[test]
fn hw_thermal_slowdown_fails_throttle() {
    assert_hardware_throttle_fails(0x40, "hw_thermal_slowdown");
}

#[test]
fn hw_power_brake_fails_throttle() {
    assert_hardware_throttle_fails(0x80, "hw_power_brake_slowdown");
}

#[test]
fn sw_power_cap_passes_and_is_listed_with_its_time() {
    let b = with_clock_events(0x4);
    let rep = &b.report;
    assert_eq!(rep.outcome, "pass", "{rep:#?}");
    assert_eq!(rep.exit_code, 0);
    let g = rep.gpu(0);
    assert_gpu_passed(g);
    let c = g.check("throttle");
    let secs = throttle_seconds(g, "sw_power_cap").expect("sw_power_cap listed");
    assert!(secs > 0.0);
    assert_eq!(
        c.message,
        format!("no hardware slowdown; reasons seen: sw_power_cap {secs:.1}s")
    );
    assert_eq!(burn_of(g).throttle.len(), 1);
    assert_eq!(b.last_progress(0).clock_events, ["sw_power_cap"]);
}

#[test]
fn combined_reasons_fail_on_the_hardware_bit() {
    let b = with_clock_events(0x0C);
    assert_only_fails(&b, 0, &["throttle"]);
    let g = b.report.gpu(0);
    let c = g.check("throttle");
    // The hardware reasons that failed it, as names and mask.
    assert_eq!(
        c.value,
        Some(json!({"reasons": ["hw_slowdown"], "mask": 8}))
    );
    assert!(
        c.message
            .starts_with("hardware slowdown during burn: hw_slowdown (all: sw_power_cap "),
        "{c:?}"
    );
    assert!(c.message.contains(", hw_slowdown "), "{c:?}");
    let reasons: Vec<&str> = burn_of(g)
        .throttle
        .iter()
        .map(|t| t.reason.as_str())
        .collect();
    assert_eq!(reasons, ["sw_power_cap", "hw_slowdown"], "bit order");
    assert_eq!(
        throttle_seconds(g, "sw_power_cap"),
        throttle_seconds(g, "hw_slowdown")
    );
    assert_eq!(
        b.last_progress(0).clock_events,
        ["sw_power_cap", "hw_slowdown"]
    );
}

// ------------------------------------------------------------ XIDs

#[test]
fn hardware_xid_fails_that_gpu() {
    let v = variant(|f| f["gpus"][0]["xid_events"] = json!([79]));
    let b = burn(v.path(), &[]);
    assert_only_fails(&b, 0, &["xid"]);
    let g = b.report.gpu(0);
    let c = g.check("xid");
    assert_eq!(c.value, Some(json!([79])));
    assert_eq!(c.message, "XID 79 x1 (GPU has fallen off the bus)");
    assert_eq!(unfill(&c.remedy).as_deref(), Some(XID_BUS));
    assert_eq!(burn_of(g).xids, [79]);
    assert_eq!(burn_of(b.report.gpu(1)).xids, Vec::<u64>::new());
}

#[test]
fn application_xid_still_fails_during_burn() {
    let v = variant(|f| f["gpus"][1]["xid_events"] = json!([13, 13]));
    let b = burn(v.path(), &[]);
    assert_only_fails(&b, 1, &["xid"]);
    let g = b.report.gpu(1);
    let c = g.check("xid");
    assert_eq!(c.status, "fail", "any XID during burn-in fails");
    assert_eq!(c.value, Some(json!([13])));
    assert_eq!(c.message, "XID 13 x2 (graphics engine exception)");
    assert_eq!(unfill(&c.remedy).as_deref(), Some(XID_APP));
    assert_eq!(burn_of(g).xids, [13, 13]);
}

// ------------------------------------------------------------ throughput

#[test]
fn slow_gpu_warns_against_the_best_of_its_model() {
    let v = compute(1, "tflops", json!(600.0));
    let b = burn(v.path(), &[]);
    let rep = &b.report;
    assert_eq!(rep.outcome, "warn", "{rep:#?}");
    assert_eq!(rep.exit_code, 0, "a WARN alone exits 0");
    assert_eq!(
        rep.summary,
        "burn passed with warnings: GPU 0 700 TFLOP/s, GPU 1 600 TFLOP/s"
    );
    assert_gpu_passed(rep.gpu(0));
    let g = rep.gpu(1);
    assert_eq!(g.status.as_deref(), Some("warn"));
    assert_eq!(bad_names(g), ["throughput"]);
    let c = g.check("throughput");
    assert_eq!(c.status, "warn");
    assert_eq!(c.value, Some(json!(600.0)));
    assert_eq!(c.threshold, Some(json!(630.0)));
    assert_eq!(
        c.message,
        "600 TFLOP/s is more than 10% below the best GPU of this model (700)"
    );
    assert_eq!(unfill(&c.remedy).as_deref(), Some(SLOW));
    assert_eq!(burn_of(g).tflops_median, Some(600.0));
    assert_eq!(b.last_progress(1).tflops, Some(600.0));
}

#[test]
fn wider_tolerance_accepts_the_slow_gpu() {
    let v = compute(1, "tflops", json!(600.0));
    let b = burn(v.path(), &["--tolerance", "20%"]);
    assert_eq!(b.report.outcome, "pass", "{:#?}", b.report);
    for g in &b.report.gpus {
        let c = g.check("throughput");
        assert_eq!(c.status, "pass");
        assert_eq!(c.threshold, Some(json!(560.0)));
    }
    assert_eq!(
        b.report.gpu(1).check("throughput").message,
        "median 600 TFLOP/s"
    );
}

#[test]
fn expected_floor_warns_every_gpu_below_it() {
    let b = burn(two().path(), &["--expect-tflops", "800"]);
    let rep = &b.report;
    assert_eq!(rep.outcome, "warn", "{rep:#?}");
    assert_eq!(rep.exit_code, 0);
    for g in &rep.gpus {
        assert_eq!(g.status.as_deref(), Some("warn"));
        assert_eq!(bad_names(g), ["throughput"]);
        let c = g.check("throughput");
        assert_eq!(c.message, "700 TFLOP/s is below the expected 800");
        assert_eq!(c.threshold, Some(json!(800.0)));
    }
    // Met floor: pass.
    let b = burn(two().path(), &["--expect-tflops", "650"]);
    assert_eq!(b.report.outcome, "pass");
}

#[test]
fn different_models_are_not_compared() {
    let v = variant(|f| {
        f["gpus"][1]["name"] = json!("NVIDIA A100-SXM4-80GB");
        f["gpus"][1]["compute"]["tflops"] = json!(300.0);
        // A deterministic difference of the other model's product.
        f["gpus"][1]["compute"]["gemm_corrupt"] = json!({"element": 9});
    });
    let b = burn(v.path(), &[]);
    assert_eq!(b.report.outcome, "pass", "{:#?}", b.report);
    let g = b.report.gpu(1);
    assert_eq!(g.check("throughput").status, "pass");
    assert_eq!(g.check("throughput").threshold, Some(json!(270.0)));
    // The only A100: nothing to compare its reference with is a SKIP.
    let c = g.check("cross_gpu_reference");
    assert_eq!(c.status, "skip", "{c:#?}");
    assert_eq!(
        c.message,
        "no other NVIDIA A100-SXM4-80GB in the run to compare the reference product with"
    );
    let own = burn_of(g).reference_checksum.clone().unwrap();
    assert_eq!(c.value, Some(json!(own)));
    assert_ne!(Some(own), burn_of(b.report.gpu(0)).reference_checksum);
}

#[test]
fn one_gpu_has_no_cross_gpu_reference_to_pass() {
    let b = burn(two().path(), &["-i", "0"]);
    assert_eq!(b.report.gpu(0).check("cross_gpu_reference").status, "skip");
}

// ------------------------------------------------------------ cross-GPU reference

#[test]
fn the_gpu_outvoted_on_the_reference_fails() {
    // GPU 2's GEMM flips the lowest bit of one element of every product:
    // its reference agrees with itself (and with the host, within
    // rounding), not with the other GPUs of its model.
    let v = three_h100(|f| f["gpus"][2]["compute"]["gemm_corrupt"] = json!({"element": 77}));
    let b = burn(v.path(), &[]);
    assert_eq!(b.report.indices(), [0, 1, 2]);
    assert_only_fails(&b, 2, &["cross_gpu_reference"]);
    let c = b.report.gpu(2).check("cross_gpu_reference");
    let own = burn_of(b.report.gpu(2)).reference_checksum.clone().unwrap();
    assert_eq!(c.value, Some(json!(own)));
    assert_ne!(own, common_checksum(&b));
    assert_eq!(
        c.message,
        "reference product differs from the other GPUs of this model"
    );
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RMA));
    for i in [0, 1] {
        assert_eq!(
            b.report.gpu(i).check("cross_gpu_reference").message,
            "reference product agrees with the majority of this model"
        );
    }
}

#[test]
fn two_gpus_disagreeing_on_the_reference_both_warn() {
    let v = compute(1, "gemm_corrupt", json!({"element": 77}));
    let b = burn(v.path(), &[]);
    let rep = &b.report;
    assert_eq!(rep.outcome, "warn", "{rep:#?}");
    assert_eq!(rep.exit_code, 0);
    let sums: Vec<String> = (0..2)
        .map(|i| burn_of(rep.gpu(i)).reference_checksum.clone().unwrap())
        .collect();
    assert_ne!(sums[0], sums[1]);
    for (i, sum) in [(0, &sums[0]), (1, &sums[1])] {
        let g = rep.gpu(i);
        assert_eq!(bad_names(g), ["cross_gpu_reference"]);
        let c = g.check("cross_gpu_reference");
        assert_eq!(c.status, "warn");
        assert_eq!(c.value, Some(json!(sum)));
        assert_eq!(unfill(&c.remedy).as_deref(), Some(TIE));
    }
}

// ------------------------------------------------------------ engines and types

#[test]
fn cublas_engine_without_cublaslt_is_an_environment_error() {
    let v = variant(|f| {
        f["cublaslt_missing"] = json!("libcublasLt.so.13: cannot open shared object file")
    });
    let message = burn_error(v.path(), &["--engine", "cublas"], 3, "environment");
    assert!(message.contains("--engine builtin"), "{message}");
    assert!(message.contains("libcublasLt.so.13"), "{message}");
}

#[test]
fn auto_engine_falls_back_to_the_builtin_kernel() {
    let v = variant(|f| f["cublaslt_missing"] = json!("libcublasLt.so.13: not found"));
    for args in [&[][..], &["--engine", "auto"][..]] {
        let b = burn(v.path(), args);
        assert_eq!(b.report.outcome, "pass", "{:#?}", b.report);
        for g in &b.report.gpus {
            let bs = burn_of(g);
            assert_eq!(bs.engine.as_deref(), Some("builtin"));
            assert_eq!(bs.detail.as_deref(), Some("built-in gpuctl_gemm_bf16"));
        }
    }
}

#[test]
fn builtin_engine_is_used_when_asked_for() {
    let b = burn(two().path(), &["--engine", "builtin"]);
    assert_eq!(b.report.outcome, "pass");
    for g in &b.report.gpus {
        assert_eq!(burn_of(g).engine.as_deref(), Some("builtin"));
    }
}

#[test]
fn dtype_is_reported() {
    let b = burn(two().path(), &["--dtype", "fp64", "-d", "300ms"]);
    for g in &b.report.gpus {
        assert_eq!(burn_of(g).dtype.as_deref(), Some("fp64"));
    }
}

#[test]
fn power_source_says_which_nvml_reading_fed_the_power_figures() {
    // GPU 0 has NVML's instantaneous power field, GPU 1 only the 1-second
    // average (the field absent from the fixture: not supported).
    let v = variant(|f| f["gpus"][0]["telemetry"]["power_source"] = json!("instant"));
    let b = burn(v.path(), &[]);
    assert_eq!(b.report.exit_code, 0, "{:#?}", b.report);
    let source = |i| burn_of(b.report.gpu(i)).power_source.clone();
    assert_eq!(source(0).as_deref(), Some("instant"));
    assert_eq!(source(1).as_deref(), Some("average"));
    assert!(burn_of(b.report.gpu(0)).power_peak_w.is_some());
}

#[test]
fn power_source_is_null_without_a_power_reading() {
    let v = variant(|f| {
        f["gpus"][0]["telemetry"]["power_draw_w"] = json!({"error": "not_supported"});
        f["gpus"][0]["telemetry"]["power_source"] = json!("instant");
    });
    let b = burn(v.path(), &[]);
    assert_eq!(burn_of(b.report.gpu(0)).power_source, None);
    assert_eq!(burn_of(b.report.gpu(0)).power_peak_w, None);
}

// ------------------------------------------------------------ environment

#[test]
fn no_cuda_is_an_environment_error() {
    let message = burn_error("no_cuda.json", &["-d", "300ms"], 3, "environment");
    assert_eq!(
        message,
        "burn needs the CUDA driver: libcuda.so.1 (CUDA driver) not found"
    );
}

#[test]
fn gpu_in_mig_mode_fails_untested_and_the_other_burns() {
    // MIG mode is a configuration, not a fault, but burn cannot test the
    // GPU: FAIL (never a pass, as memtest and bench), with a remedy that
    // says so and how to test it, never an RMA.
    let b = burn(fx("mig.json").path(), &[]);
    assert_eq!(b.report.exit_code, 1, "{:#?}", b.report);
    assert_eq!(b.report.outcome, "fail");
    let g = b.report.gpu(0);
    assert_eq!(g.cuda_index, None);
    assert_eq!(g.status.as_deref(), Some("fail"));
    assert_eq!(g.check_names(), CHECKS_NO_REFERENCE);
    let c = g.check("burn_ran");
    assert_eq!(c.status, "fail");
    assert!(c.message.contains("MIG"), "{g:#?}");
    let remedy = unfill(&c.remedy).unwrap_or_default();
    assert!(
        remedy.contains("burn cannot test a MIG-enabled GPU")
            && remedy.contains("nvidia-smi -i {gpu} -mig 0")
            && remedy.contains("drain the node")
            && !remedy.contains("open an RMA"),
        "{remedy}"
    );
    assert_eq!(burn_of(g).batches, 0);
    assert_eq!(b.report.gpu(1).cuda_index, Some(0));
    assert_eq!(b.report.gpu(1).status.as_deref(), Some("pass"));
}

#[test]
fn lost_gpu_fails_and_the_other_burns() {
    let b = burn(fx("lost_gpu.json").path(), &[]);
    assert_only_fails(&b, 1, &["burn_ran"]);
    let g = b.report.gpu(1);
    assert!(g.lost.is_some(), "{g:#?}");
    assert_eq!(g.cuda_index, None);
    assert!(g.check("burn_ran").message.contains("lost"), "{g:#?}");
    assert_eq!(burn_of(g).batches, 0);
    assert_eq!(
        g.check("throttle").status,
        "skip",
        "no telemetry from a lost GPU"
    );
}

#[test]
fn lost_gpu_does_not_blind_the_xid_watch_on_the_others() {
    let v = variant_of("lost_gpu.json", |f| {
        f["gpus"][0]["xid_events"] = json!([79])
    });
    let b = burn(v.path(), &[]);
    let g = b.report.gpu(0);
    assert_eq!(g.check("xid").status, "fail", "{g:#?}");
    assert_eq!(burn_of(g).xids, [79]);
    assert_eq!(b.report.warnings, Vec::<String>::new());
}

#[test]
fn verification_never_adds_throughput() {
    let b = burn(two().path(), &[]);
    for g in &b.report.gpus {
        let bs = burn_of(g);
        // Wall time of the batches against the products' device time: on
        // a simulated GPU the host's reference GEMMs make it nearly 100%.
        let overhead = bs.verification_overhead_pct.unwrap();
        assert!((0.0..=100.0).contains(&overhead), "{bs:?}");
        assert!(
            bs.tflops_with_verification.unwrap() <= bs.tflops_max.unwrap(),
            "{bs:?}"
        );
    }
}

// ------------------------------------------------------------ signals

/// Starts a 30 s `burn --json`, sends `signal` once it has burned for about
/// a second, and checks it stops within 2 s with exit 130 and a partial
/// report on the last line.
fn interrupted_by(signal: libc::c_int) {
    let v = two();
    let mut child = gpuctl_process(v.path())
        .args(["burn", "-d", "30s", "--json-lines", "--interval", "100ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gpuctl starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("stdout is UTF-8");
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The first progress event comes after the handler is installed.
    let started = Instant::now();
    let mut lines = vec![rx
        .recv_timeout(Duration::from_secs(10))
        .expect("a progress event within 10 s")];
    // Set-up computes the reference on the host: give it time to batch.
    while started.elapsed() < Duration::from_secs(3) {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(50)) {
            lines.push(line);
        }
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let sent = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if sent.elapsed() > Duration::from_secs(2) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gpuctl burn did not stop within 2 s of signal {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "stderr: {stderr}");
    assert_eq!(stderr, "");

    let stdout = lines.join("\n") + "\n";
    let b = parse_stream(&stdout, 30.0);
    let rep = &b.report;
    assert_eq!(rep.outcome, "interrupted", "{rep:#?}");
    assert_eq!(rep.exit_code, 130);
    assert!(
        rep.summary
            .starts_with("burn interrupted (partial report): "),
        "{}",
        rep.summary
    );
    assert_eq!(rep.indices(), [0, 1]);
    for g in &rep.gpus {
        let bs = burn_of(g);
        assert!(bs.seconds > 0.0 && bs.seconds < 5.0, "{bs:?}");
        assert!(bs.batches > 0);
        assert_eq!(bs.error, None);
        // Cut short, not passed: the GPU's own status says so.
        assert_eq!(
            g.status.as_deref(),
            Some("interrupted"),
            "a clean partial run: {g:#?}"
        );
        assert_eq!(g.check("burn_ran").status, "interrupted");
        // Its buffers were still wiped and verified: a WARN naming the stop.
        let w = g.check("memory_wipe");
        assert_eq!(w.status, "warn", "{w:#?}");
        assert!(w.message.contains("zeroed and verified"), "{}", w.message);
    }
}

#[test]
fn sigint_stops_with_a_partial_report() {
    interrupted_by(libc::SIGINT);
}

#[test]
fn sigterm_stops_with_a_partial_report() {
    interrupted_by(libc::SIGTERM);
}

// ------------------------------------------------------------ usage errors

#[test]
fn bad_values_are_usage_errors_naming_the_value() {
    for (args, value) in [
        (&["-d", "0s"][..], "'0s'"),
        (&["-d", "10"][..], "'10'"),
        (&["--interval", "0s"][..], "'0s'"),
        (&["--memory", "150%"][..], "'150%'"),
        (&["--memory", "lots"][..], "'lots'"),
        (&["--dtype", "int8"][..], "'int8'"),
        (&["--engine", "magic"][..], "'magic'"),
        (&["--tolerance", "x"][..], "'x'"),
        (&["--expect-tflops", "-5"][..], "'-5'"),
        (&["--expect-tflops=-5"][..], "'-5'"),
        (&["--expect-tflops", "0"][..], "'0'"),
    ] {
        let message = burn_error(two().path(), args, 2, "usage");
        assert!(message.contains(value), "{args:?}: {message}");
    }
    let message = burn_error(two().path(), &["--dtype", "int8"], 2, "usage");
    assert!(
        message.contains("[possible values: bf16, fp16, tf32, fp32, fp64]"),
        "{message}"
    );
}

#[test]
fn fault_injection_into_a_gpu_not_burned_is_a_usage_error() {
    let message = burn_error(two().path(), &["--inject-fault", "7"], 2, "usage");
    assert_eq!(message, "--inject-fault 7: no such selected GPU");
    let message = burn_error(
        two().path(),
        &["-i", "1", "--inject-fault", "0"],
        2,
        "usage",
    );
    assert_eq!(message, "--inject-fault 0: no such selected GPU");
}

// The workload harness fails closed: a worker that panics or hangs fails
// its GPU, never hangs the run; a slow set-up never eats the work.

#[test]
fn a_panicking_worker_fails_that_gpu_and_the_run_ends_on_time() {
    let v = compute(0, "panic_at_call", json!(MID_RUN_CALL));
    let started = std::time::Instant::now();
    let b = burn(v.path(), &["-d", "2s"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_only_fails(&b, 0, &["burn_ran"]);
    let c = b.report.gpu(0).check("burn_ran");
    assert!(c.message.contains("crashed"), "{c:#?}");
    assert!(c.message.contains("simulated panic at call"), "{c:#?}");
}

#[test]
fn a_hung_batch_fails_that_gpu_within_the_step_deadline() {
    let v = compute(1, "hang_at_call", json!(MID_RUN_CALL));
    let started = std::time::Instant::now();
    let r = run(
        v.path(),
        &["burn", "--json-lines", "-d", "1s", "--interval", "100ms"],
    );
    // The step deadline is 30 s; the run must not wait for the hour-long hang.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(45),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.code, 1, "{r:#?}");
    let b = parse_stream(&r.stdout, 45.0);
    let c = b.report.gpu(1).check("burn_ran");
    assert_eq!(c.status, "fail");
    assert!(c.message.contains("hung"), "{c:#?}");
    // Its buffers are still held and were never wiped: a FAIL, not a SKIP.
    let w = b.report.gpu(1).check("memory_wipe");
    assert_eq!(w.status, "fail", "{w:#?}");
    assert!(w.message.contains("never reported"), "{}", w.message);
    assert_gpu_passed(b.report.gpu(0));
}

#[test]
fn a_set_up_longer_than_the_duration_still_burns_and_verifies() {
    // Set-up (the reference computed four times on the host) takes longer
    // than 100 ms: the batches still run.
    let b = burn(two().path(), &["-d", "100ms"]);
    assert_eq!(b.report.outcome, "pass", "{:#?}", b.report);
    for g in &b.report.gpus {
        let bs = burn_of(g);
        assert!(
            bs.batches >= 1,
            "the deadline starts when set-up ends: {bs:#?}"
        );
        assert!(bs.products > 0);
    }
}

#[test]
fn peak_temperature_is_judged_as_health_judges_it() {
    // hot.json: GPU 0 at 90 °C, slowdown at 89 °C; health FAILs it too.
    let b = burn("hot.json", &[]);
    let c = b.report.gpu(0).check("temperature");
    assert_eq!(c.status, "fail");
    assert_eq!(c.value, Some(json!(90)));
    assert_eq!(c.threshold, Some(json!(89)));
    assert_eq!(b.report.gpu(0).status.as_deref(), Some("fail"));
    assert_eq!(b.report.gpu(1).check("temperature").status, "pass");
    let health = run("hot.json", &["health", "--no-compute", "--json"]).report();
    assert_eq!(health.gpu(0).check("temperature").status, c.status);
}

#[test]
fn an_xid_already_seen_survives_another_gpu_falling_off_the_bus() {
    // Issue 19: GPU 1 falls off the bus mid-burn; the XID watch is lossless,
    // so GPU 0's XID 48 still fails it.
    let v = variant(|f| {
        f["gpus"][0]["xid_events"] = json!([48]);
        f["gpus"][1]["lost_after_reads"] = json!(1);
    });
    let b = burn(v.path(), &[]);
    let g = b.report.gpu(0);
    assert_eq!(g.check("xid").status, "fail", "{g:#?}");
    assert_eq!(burn_of(g).xids, vec![48]);
    assert_eq!(b.report.exit_code, 1);
}

#[test]
fn a_failed_xid_watch_is_unverified_never_a_pass() {
    let v = variant(|f| f["gpus"][1]["xid_watch_error"] = json!("no_permission"));
    let b = burn(v.path(), &[]);
    for g in &b.report.gpus {
        assert_eq!(g.check("xid").status, "skip", "{g:#?}");
        assert_eq!(g.check("coverage").status, "warn", "{g:#?}");
        assert_eq!(g.status.as_deref(), Some("warn"));
    }
    assert_eq!(b.report.outcome, "warn");
    assert!(
        b.report
            .warnings
            .iter()
            .any(|w| w.contains("XID events unavailable")),
        "{:?}",
        b.report.warnings
    );
}

#[test]
fn mixed_mode_streams_hbm_beside_the_gemm_and_verifies_it() {
    let b = burn(two().path(), &["--mode", "mixed"]);
    assert_eq!(b.report.outcome, "pass", "{:#?}", b.report);
    for g in &b.report.gpus {
        let bs = burn_of(g);
        assert_eq!(bs.mode.as_deref(), Some("mixed"));
        let s = bs.stream.as_ref().expect("a mixed burn reports its stream");
        assert!(s.bytes_verified > 0 && s.bytes >= s.bytes_verified, "{s:?}");
        assert_eq!(s.mismatched_words, 0);
        assert!(s.gbps.is_some_and(|r| r > 0.0), "{s:?}");
        assert!(bs.products > 0, "the GEMM ran too");
        assert_eq!(g.check("stream_mismatch").status, "pass");
    }
}

#[test]
fn gemm_mode_has_no_stream() {
    let b = burn(two().path(), &[]);
    let bs = burn_of(b.report.gpu(0));
    assert_eq!(bs.mode.as_deref(), Some("gemm"));
    assert!(bs.stream.is_none());
    assert!(!b.report.gpu(0).check_names().contains(&"stream_mismatch"));
}

#[test]
fn mixed_mode_stream_mismatch_fails_that_gpu() {
    // Stuck bits in the stream's buffers (placed after the GEMM's, from
    // 1.375 MiB on in 2 MiB), each at another bit, alternately stuck at 0
    // and 1: the word-by-word check finds the words they change.
    let faults: Vec<Value> = (0..8u64)
        .map(|k| {
            let kind = if k % 2 == 0 { "stuck1" } else { "stuck0" };
            json!({"offset": 0x16_0000 + k * 0x8000, "bit": 13 + 7 * k, "kind": kind})
        })
        .collect();
    let v = compute(1, "memory_faults", json!(faults));
    let b = burn(v.path(), &["--mode", "mixed"]);
    // A bit stuck at 1 cannot be wiped either: the wipe's check finds it.
    assert_only_fails(&b, 1, &["stream_mismatch", "memory_wipe"]);
    let c = b.report.gpu(1).check("stream_mismatch");
    let bad = burn_of(b.report.gpu(1))
        .stream
        .as_ref()
        .map_or(0, |s| s.mismatched_words);
    assert!(bad >= 1, "{bad}");
    assert!(c.message.contains(&format!("{bad} words")), "{}", c.message);
    assert!(
        unfill(&c.remedy).is_some_and(|r| r.contains("RMA")),
        "{c:#?}"
    );
    assert_eq!(b.report.gpu(0).check("stream_mismatch").status, "pass");
}

#[test]
fn bad_mode_is_a_usage_error() {
    let r = run(two().path(), &["burn", "--mode", "hbm"]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("--mode") && r.stderr.contains("mixed"),
        "{}",
        r.stderr
    );
}
