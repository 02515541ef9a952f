//! End-to-end tests of `gpuctl health`: every check's FAIL and WARN path,
//! SKIP for what a GPU does not support, check selection, the config file,
//! flag errors and exit codes, all through the simulated backend.
//!
//! Faults are injected into variants of `two_h100.json` built in the test
//! (see [`variant`]), so each test shows the one field it changes.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Host-level checks, in report order.
const HOST_CHECKS: [&str; 5] = ["driver", "cuda_driver", "nvml", "cuda", "gpu_count"];

/// Per-GPU checks of a healthy H100 with the compute self-test, in order.
const GPU_CHECKS: [&str; 24] = [
    "gpu_model",
    "on_bus",
    "ecc_mode",
    "ecc_volatile_uncorrected",
    "ecc_aggregate_uncorrected",
    "ecc_corrected",
    "row_remap_pending",
    "row_remap_failure",
    "row_remap_uncorrectable",
    "retired_pages",
    "xid",
    "temperature",
    "memory_temperature",
    "power",
    "power_limit",
    "clock_events",
    "pcie_link",
    "pcie_replay",
    "nvlink",
    "persistence_mode",
    "compute_mode",
    "mig",
    "memory_usage",
    "compute_self_test",
];

// Remedies as the operator reads them (src/checks/mod.rs, src/checks/xid.rs).
const RESET: &str =
    "drain the node, then reset the GPU (nvidia-smi -r -i {gpu}) or reboot; RMA if it recurs";
const RMA: &str = "drain the node and open an RMA for the GPU at {gpu} (give its serial)";
const COOLING: &str =
    "check airflow, fans and inlet temperature (nvidia-smi -q -d TEMPERATURE -i {gpu})";
const COUNT: &str = "check `nvidia-smi`, the PCIe slots and `dmesg` for a missing GPU";
const HW_CLOCKS: &str =
    "check cooling, power supply and the power-brake cable; if it persists, drain the node and open an RMA for the GPU at {gpu}";
const XID_BUS: &str = "drain the node and reboot it (a GPU reset cannot reach it); \
                       collect nvidia-bug-report.sh; reseat or RMA if it recurs";
const XID_APP: &str = "usually an application fault: check the job's logs; if it repeats \
                       across jobs, drain the node and reset the GPU (nvidia-smi -r -i {gpu})";
const XID_CATALOGUE: &str = "see NVIDIA's XID catalogue; if it repeats, drain the node and \
                             reset the GPU (nvidia-smi -r -i {gpu})";

// ------------------------------------------------------------ helpers

/// `health --json` with `args`: one schema-valid document deserialized into
/// the typed mirror; the process exits with the report's code and writes
/// nothing on stderr.
fn health(fixture: &str, args: &[&str]) -> Report {
    let mut all = vec!["health", "--json"];
    all.extend_from_slice(args);
    let r = run(fixture, &all);
    let rep = r.report();
    assert_eq!(rep.command, "health");
    assert_eq!(
        r.code, rep.exit_code,
        "process exit is the report's; {r:#?}"
    );
    assert!(
        r.code == 0 || r.code == 1,
        "a completed health run exits 0 or 1; {r:#?}"
    );
    assert_eq!(r.stderr, "", "a completed run writes nothing on stderr");
    assert!(rep.error.is_none());
    rep
}

/// Names of the WARN and FAIL checks in `checks`.
fn bad_names(checks: &[Check]) -> Vec<&str> {
    checks
        .iter()
        .filter(|c| c.status == "warn" || c.status == "fail")
        .map(|c| c.name.as_str())
        .collect()
}

fn gpu_bad_names(g: &Gpu) -> Vec<&str> {
    bad_names(g.checks.as_deref().unwrap_or_default())
}

/// A GPU with status pass (skipped checks do not hide the passes), no
/// WARN or FAIL check, no remedy anywhere, no lost flag.
fn assert_gpu_ok(g: &Gpu) {
    assert!(g.lost.is_none(), "GPU {} lost: {g:#?}", g.index);
    assert_eq!(g.status.as_deref(), Some("pass"), "GPU {}", g.index);
    assert_eq!(gpu_bad_names(g), Vec::<&str>::new(), "GPU {}", g.index);
    for c in g.checks.iter().flatten() {
        assert_eq!(
            c.remedy, None,
            "a passing or skipped check has no remedy: {c:?}"
        );
    }
}

/// Every GPU but `except` is healthy.
fn assert_others_ok(rep: &Report, except: u32) {
    for g in rep.gpus.iter().filter(|g| g.index != except) {
        assert_gpu_ok(g);
    }
}

/// A run where exactly `name` on GPU `gpu` fails (the other GPU and the host
/// are healthy): exit 1, outcome fail, the summary names that one check, and
/// the check carries a remedy. Returns the check.
fn assert_fails(fixture: &str, args: &[&str], gpu: u32, name: &str) -> Check {
    let rep = health(fixture, args);
    assert_eq!(rep.exit_code, 1, "{rep:#?}");
    assert_eq!(rep.outcome, "fail");
    let g = rep.gpu(gpu);
    assert_eq!(g.status.as_deref(), Some("fail"));
    assert_eq!(gpu_bad_names(g), vec![name], "only {name} fails: {g:#?}");
    let c = g.check(name).clone();
    assert_eq!(c.status, "fail");
    assert!(
        c.remedy.as_deref().is_some_and(|r| !r.is_empty()),
        "FAIL carries a remedy: {c:?}"
    );
    assert_others_ok(&rep, gpu);
    assert_eq!(bad_names(&rep.host_checks), Vec::<&str>::new());
    assert_eq!(rep.summary, format!("unhealthy: GPU {gpu} FAIL ({name})"));
    c
}

/// A run where exactly `name` on GPU `gpu` warns: exit 0 and outcome warn by
/// default, exit 1 (outcome still warn) with `--fail-on warn`; the summary
/// names the check and the check carries a remedy. Returns the check.
fn assert_warns(fixture: &str, args: &[&str], gpu: u32, name: &str) -> Check {
    let rep = health(fixture, args);
    assert_eq!(rep.exit_code, 0, "a WARN alone exits 0: {rep:#?}");
    assert_eq!(rep.outcome, "warn");
    let g = rep.gpu(gpu);
    assert_eq!(g.status.as_deref(), Some("warn"));
    assert_eq!(gpu_bad_names(g), vec![name], "only {name} warns: {g:#?}");
    let c = g.check(name).clone();
    assert_eq!(c.status, "warn");
    assert!(
        c.remedy.as_deref().is_some_and(|r| !r.is_empty()),
        "WARN carries a remedy: {c:?}"
    );
    assert_others_ok(&rep, gpu);
    assert_eq!(rep.summary, format!("degraded: GPU {gpu} WARN ({name})"));

    let mut strict = args.to_vec();
    strict.extend(["--fail-on", "warn"]);
    let rep = health(fixture, &strict);
    assert_eq!(rep.exit_code, 1, "--fail-on warn fails on a WARN");
    assert_eq!(rep.outcome, "warn");
    assert_eq!(rep.gpu(gpu).check(name).status, "warn");
    c
}

/// A run that passes with exit 0 even under `--fail-on warn`.
fn assert_all_ok(fixture: &str, args: &[&str]) -> Report {
    let mut strict = args.to_vec();
    strict.extend(["--fail-on", "warn"]);
    let rep = health(fixture, &strict);
    assert_eq!(rep.exit_code, 0, "{rep:#?}");
    assert_eq!(rep.outcome, "pass");
    for g in &rep.gpus {
        assert_gpu_ok(g);
    }
    assert_eq!(bad_names(&rep.host_checks), Vec::<&str>::new());
    rep
}

/// A usage error: exit 2, nothing on stdout, one stderr line containing
/// every one of `named`. Returns the line.
fn assert_usage_error(fixture: &str, args: &[&str], named: &[&str]) -> String {
    let mut all = vec!["health"];
    all.extend_from_slice(args);
    let r = run(fixture, &all);
    r.assert_code(2);
    assert_eq!(r.stdout, "", "a table-mode error prints only on stderr");
    let line = r.stderr_line().to_string();
    assert!(line.starts_with("gpuctl health: error: "), "{line}");
    for n in named {
        assert!(line.contains(n), "stderr lacks {n:?}: {line}");
    }

    // The same error with --json is a JSON error document on stdout.
    all.push("--json");
    let r = run(fixture, &all);
    r.assert_code(2);
    let rep = r.report();
    assert_eq!(rep.command, "health");
    assert_eq!(rep.outcome, "error");
    assert_eq!(rep.exit_code, 2);
    assert!(rep.gpus.is_empty() && rep.host_checks.is_empty());
    let err = rep.error.expect("error document");
    assert_eq!(err.kind, "usage");
    for n in named {
        assert!(
            err.message.contains(n),
            "JSON error lacks {n:?}: {}",
            err.message
        );
    }
    line
}

fn telemetry(fixture: &mut Value, gpu: usize, key: &str, value: Value) {
    fixture["gpus"][gpu]["telemetry"][key] = value;
}

fn errors(fixture: &mut Value, gpu: usize, key: &str, value: Value) {
    fixture["gpus"][gpu]["errors"][key] = value;
}

fn details(fixture: &mut Value, gpu: usize, key: &str, value: Value) {
    fixture["gpus"][gpu]["details"][key] = value;
}

// ------------------------------------------------------------ healthy

#[test]
fn healthy_host_passes_every_check() {
    let rep = health("two_h100.json", &[]);
    assert_eq!(rep.exit_code, 0);
    assert_eq!(rep.outcome, "pass");
    assert_eq!(rep.summary, "healthy: 2 GPU(s), every check passed");
    assert_eq!(rep.warnings, Vec::<String>::new());
    let driver = rep.driver.as_ref().unwrap();
    assert_eq!(driver.driver_version.as_deref(), Some(DRIVER_VERSION));
    assert_eq!(driver.nvml.status, "available");
    assert_eq!(driver.cuda.status, "available");

    let host: Vec<&str> = rep.host_checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(host, HOST_CHECKS);
    for c in &rep.host_checks {
        assert_eq!(c.status, "pass", "{c:?}");
        assert_eq!(c.remedy, None);
    }
    assert_eq!(
        host_check(&rep, "driver").value,
        Some(json!(DRIVER_VERSION))
    );
    assert_eq!(host_check(&rep, "cuda_driver").value, Some(json!("13.0")));
    assert_eq!(host_check(&rep, "gpu_count").value, Some(json!(2)));

    assert_eq!(rep.indices(), vec![0, 1]);
    for g in &rep.gpus {
        assert_eq!(g.check_names(), GPU_CHECKS, "GPU {}", g.index);
        assert!(g.details.is_none(), "health reports checks, not details");
        assert_gpu_ok(g);
        for c in g.checks.iter().flatten() {
            let want = match c.name.as_str() {
                // Not on an H100: skipped, neither passed nor failed.
                "retired_pages" | "nvlink" => "skip",
                _ => "pass",
            };
            assert_eq!(c.status, want, "GPU {}: {c:?}", g.index);
        }
        let t = g.check("temperature");
        assert_eq!(t.value, Some(json!(31)));
        assert_eq!(t.threshold, Some(json!(89)));
        assert_eq!(t.unit.as_deref(), Some("°C"));
        let m = g.check("memory_temperature");
        assert_eq!(
            (m.value.clone(), m.threshold.clone()),
            (Some(json!(38)), Some(json!(95)))
        );
        let p = g.check("pcie_link");
        assert_eq!(p.value, Some(json!("Gen5 x16")));
        assert_eq!(p.threshold, Some(json!("Gen5 x16")));
        assert!(p.message.contains("under load"), "{}", p.message);
        assert_eq!(g.check("ecc_corrected").threshold, Some(json!(1000)));
        assert_eq!(g.check("row_remap_uncorrectable").threshold, Some(json!(8)));
        assert_eq!(g.check("pcie_replay").threshold, Some(json!(100)));
        assert_eq!(g.check("memory_usage").threshold, Some(json!(95.0)));
        assert_eq!(
            g.check("clock_events").value,
            Some(json!({"reasons": ["gpu_idle"], "mask": 1}))
        );
        assert_eq!(g.check("xid").value, Some(json!([])));
        assert_eq!(g.check("compute_self_test").value, Some(json!(0)));
    }
    // CUDA ranks GPU 1 first: each self-test names its CUDA device.
    assert!(rep
        .gpu(0)
        .check("compute_self_test")
        .message
        .starts_with("CUDA device 1:"));
    assert!(rep
        .gpu(1)
        .check("compute_self_test")
        .message
        .starts_with("CUDA device 0:"));
}

#[test]
fn health_checks_match_the_commands_check_names() {
    let all: Vec<&str> = HOST_CHECKS.iter().chain(&GPU_CHECKS).copied().collect();
    let mut ours = all.clone();
    ours.sort_unstable();
    let mut theirs = gpuctl::commands::health::CHECK_NAMES.to_vec();
    theirs.sort_unstable();
    assert_eq!(ours, theirs, "every check name is covered here");
}

#[test]
fn healthy_gpu_status_is_pass_although_some_checks_skip() {
    // retired_pages and nvlink skip on an H100; the GPU still passes.
    let rep = health("two_h100.json", &[]);
    for g in &rep.gpus {
        assert_eq!(g.check("nvlink").status, "skip");
        assert_eq!(g.status.as_deref(), Some("pass"), "GPU {}", g.index);
    }
}

#[test]
fn healthy_table_has_one_row_per_gpu_and_host() {
    let r = run("two_h100.json", &["health"]);
    r.assert_code(0);
    assert_eq!(r.stderr, "");
    // The overview: a header, a host row and one row per GPU.
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("SIMULATED"), "{}", r.stdout);
    let header = lines
        .iter()
        .position(|l| l.starts_with("GPU ") && l.contains("Status"))
        .unwrap_or_else(|| panic!("no overview header:\n{}", r.stdout));
    let overview = &lines[header + 1..header + 4];
    assert!(overview[0].starts_with("host "), "{}", overview[0]);
    for row in overview {
        assert!(row.contains("PASS"), "{row}");
    }
    assert!(overview[1].starts_with("0 "), "{}", overview[1]);
    assert!(overview[1].contains(PCI0), "{}", overview[1]);
    assert!(overview[2].starts_with("1 "), "{}", overview[2]);
    assert!(overview[2].contains(PCI1), "{}", overview[2]);
    let last = r.stdout.lines().last().unwrap();
    assert!(last.starts_with("healthy:"), "{last}");
    assert_eq!(last, "healthy: 2 GPU(s), every check passed");
}

#[test]
fn unhealthy_table_names_the_failing_check_and_its_remedy() {
    let r = run("ecc_error.json", &["health"]);
    r.assert_code(1);
    let row = r
        .stdout
        .lines()
        .find(|l| (l.starts_with("0 ") || l.starts_with("GPU 0 ")) && l.contains(PCI0))
        .unwrap_or_else(|| panic!("no overview row for GPU 0:\n{}", r.stdout));
    // A row, or at 80 columns a record whose problems may wrap onto the next line.
    let record: String = r.stdout[r.stdout.find(row).unwrap()..]
        .lines()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        row.contains("FAIL") && record.contains("ecc_volatile_uncorrected"),
        "{record}"
    );
    assert!(
        r.stdout.contains("FAIL  GPU 0  ecc_volatile_uncorrected"),
        "problem record shown:\n{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("remedy: drain the node, then reset the GPU"),
        "remedy shown:\n{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.lines().last().unwrap(),
        "unhealthy: GPU 0 FAIL (ecc_volatile_uncorrected)"
    );
}

// -------------------------------------------------------------- FAILs

#[test]
fn lost_gpu_fails_on_bus() {
    let rep = health("lost_gpu.json", &[]);
    assert_eq!(rep.exit_code, 1);
    assert_eq!(rep.outcome, "fail");
    let g = rep.gpu(1);
    assert!(g
        .lost
        .as_deref()
        .is_some_and(|l| l.contains("fallen off the bus")));
    assert_eq!(g.status.as_deref(), Some("fail"));
    let c = g.check("on_bus");
    assert_eq!(c.status, "fail");
    assert!(c.message.contains("fallen off the bus"), "{}", c.message);
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RESET));
    assert_eq!(gpu_bad_names(g), vec!["on_bus"]);
    // A self-test cannot reach a lost GPU; on_bus already fails it.
    assert!(!g.check_names().contains(&"compute_self_test"));
    assert_others_ok(&rep, 1);
    // The lost GPU does not count as present.
    let count = host_check(&rep, "gpu_count");
    assert_eq!(
        (count.status.as_str(), count.value.clone()),
        ("pass", Some(json!(1)))
    );
    assert_eq!(rep.summary, "unhealthy: GPU 1 FAIL (on_bus)");
}

#[test]
fn volatile_uncorrectable_ecc_fails() {
    let c = assert_fails("ecc_error.json", &[], 0, "ecc_volatile_uncorrected");
    assert_eq!(c.value, Some(json!(2)));
    assert_eq!(c.threshold, Some(json!(0)));
    assert_eq!(c.unit.as_deref(), Some("errors"));
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RESET));
    assert!(c.message.contains("2 uncorrectable"), "{}", c.message);
}

#[test]
fn aggregate_uncorrectable_ecc_fails() {
    let f = variant(|f| {
        errors(
            f,
            1,
            "ecc_aggregate",
            json!({"corrected": 0, "uncorrected": 4}),
        )
    });
    let c = assert_fails(f.path(), &[], 1, "ecc_aggregate_uncorrected");
    assert_eq!(c.value, Some(json!(4)));
    assert_eq!(c.threshold, Some(json!(0)));
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RMA));
    assert!(c.message.contains("lifetime"), "{}", c.message);
}

#[test]
fn row_remap_failure_fails() {
    let c = assert_fails("remap_failure.json", &[], 1, "row_remap_failure");
    assert_eq!(c.value, Some(json!(true)));
    assert_eq!(c.threshold, Some(json!(false)));
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RMA));
}

#[test]
fn retired_pages_at_the_maximum_fail() {
    let pages = |single: u64, double: u64, pending: bool| {
        variant(move |f| {
            errors(
                f,
                0,
                "retired_pages",
                json!({"single_bit": single, "double_bit": double, "pending": pending}),
            )
        })
    };
    let at_max = pages(30, 30, false);
    let c = assert_fails(at_max.path(), &[], 0, "retired_pages");
    assert_eq!(c.value, Some(json!(60)));
    assert_eq!(c.threshold, Some(json!(60)));
    assert_eq!(c.unit.as_deref(), Some("pages"));
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RMA));
    assert!(
        c.message.contains("30 single-bit, 30 double-bit"),
        "{}",
        c.message
    );

    // Below the maximum it passes (a value, not a skip) ...
    let below = pages(30, 29, false);
    let rep = assert_all_ok(below.path(), &[]);
    let c = rep.gpu(0).check("retired_pages");
    assert_eq!(
        (c.status.as_str(), c.value.clone()),
        ("pass", Some(json!(59)))
    );
    // ... and a raised maximum lets 60 pass.
    let rep = assert_all_ok(at_max.path(), &["--retired-pages-max", "61"]);
    assert_eq!(rep.gpu(0).check("retired_pages").threshold, Some(json!(61)));

    // Pending retirement warns.
    let pending = pages(1, 0, true);
    let c = assert_warns(pending.path(), &[], 0, "retired_pages");
    assert!(c.message.contains("retirement pending"), "{}", c.message);
}

#[test]
fn hardware_xid_from_nvml_event_fails_with_remedy() {
    let f = variant(|f| f["gpus"][1]["xid_events"] = json!([79]));
    let c = assert_fails(f.path(), &[], 1, "xid");
    assert_eq!(c.value, Some(json!([79])));
    assert_eq!(c.message, "XID 79 x1 (GPU has fallen off the bus)");
    assert_eq!(unfill(&c.remedy).as_deref(), Some(XID_BUS));
}

#[test]
fn hardware_xid_from_kernel_log_is_attributed_by_pci_id() {
    // Lower-case hex and no function number, as the driver prints it; GPU 1
    // is 00000000:2A:00.0 to NVML.
    let f = variant(|f| {
        f["kernel_log"] = json!([
            "[ 1234.5678] NVRM: Xid (PCI:0000:2a:00): 79, pid=1, name=x, GPU has fallen off the bus.",
            "[ 1234.9999] some unrelated line",
        ])
    });
    let c = assert_fails(f.path(), &[], 1, "xid");
    assert_eq!(c.value, Some(json!([79])));
    assert_eq!(unfill(&c.remedy).as_deref(), Some(XID_BUS));
    let rep = health(f.path(), &[]);
    assert!(
        rep.gpu(0).check("xid").message.contains("kernel log since"),
        "{}",
        rep.gpu(0).check("xid").message
    );

    // The same line for GPU 0's bus lands on GPU 0.
    let f = variant(|f| {
        f["kernel_log"] = json!(["NVRM: Xid (PCI:0000:18:00): 48, pid=7, name=train, DBE"])
    });
    let c = assert_fails(f.path(), &[], 0, "xid");
    assert_eq!(c.value, Some(json!([48])));
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RESET));
}

#[test]
fn xid_of_no_selected_gpu_is_a_host_check() {
    let f = variant(|f| {
        f["kernel_log"] =
            json!(["NVRM: Xid (PCI:0000:99:00): 79, pid=1, name=x, GPU has fallen off the bus."])
    });
    let rep = health(f.path(), &[]);
    assert_eq!(rep.exit_code, 1);
    assert_eq!(rep.outcome, "fail");
    let c = host_check(&rep, "xid");
    assert_eq!(c.status, "fail");
    assert_eq!(c.value, Some(json!([79])));
    assert!(
        c.message
            .starts_with("not attributed to a selected GPU: XID 79 x1"),
        "{}",
        c.message
    );
    assert_eq!(unfill(&c.remedy).as_deref(), Some(XID_BUS));
    for g in &rep.gpus {
        assert_eq!(g.check("xid").status, "pass");
        assert_gpu_ok(g);
    }
    assert_eq!(rep.summary, "unhealthy: host (xid)");

    // A GPU left out by -i: its XID is still the node's problem.
    let f = variant(|f| {
        f["kernel_log"] = json!(["NVRM: Xid (PCI:0000:2A:00): 79, pid=1, name=x, off the bus"])
    });
    let rep = health(f.path(), &["-i", "0"]);
    assert_eq!(rep.indices(), vec![0]);
    assert_eq!(rep.exit_code, 1);
    assert_eq!(host_check(&rep, "xid").status, "fail");
    assert_eq!(rep.gpu(0).check("xid").status, "pass");
}

#[test]
fn temperature_at_slowdown_fails() {
    let c = assert_fails("hot.json", &[], 0, "temperature");
    assert_eq!(c.value, Some(json!(90)));
    assert_eq!(c.threshold, Some(json!(89)));
    assert_eq!(unfill(&c.remedy).as_deref(), Some(COOLING));

    // Exactly at the threshold fails too.
    let f = variant(|f| telemetry(f, 1, "temperature_gpu_c", json!(89)));
    let c = assert_fails(f.path(), &[], 1, "temperature");
    assert_eq!(c.value, Some(json!(89)));
    assert!(c.message.contains("at or above"), "{}", c.message);
}

#[test]
fn memory_temperature_at_max_fails() {
    let f = variant(|f| telemetry(f, 0, "temperature_memory_c", json!(95)));
    let c = assert_fails(f.path(), &[], 0, "memory_temperature");
    assert_eq!(c.value, Some(json!(95)));
    assert_eq!(c.threshold, Some(json!(95)));
    assert_eq!(c.unit.as_deref(), Some("°C"));
    assert_eq!(unfill(&c.remedy).as_deref(), Some(COOLING));
}

/// GPU 0 busy (utilization 90%) with clock event mask `mask`.
fn clocks(mask: u64) -> Variant {
    variant(move |f| {
        telemetry(f, 0, "clock_events", json!(mask));
        telemetry(f, 0, "utilization_gpu_pct", json!(90));
    })
}

#[test]
fn hardware_clock_events_fail() {
    for (mask, name) in [
        (0x8, "hw_slowdown"),
        (0x40, "hw_thermal_slowdown"),
        (0x80, "hw_power_brake_slowdown"),
    ] {
        let f = clocks(mask);
        let c = assert_fails(f.path(), &[], 0, "clock_events");
        assert_eq!(
            c.value,
            Some(json!({"reasons": [name], "mask": mask})),
            "{name}"
        );
        assert_eq!(
            c.message,
            format!("hardware slowdown active: {name} (all reasons: {name})")
        );
        assert_eq!(unfill(&c.remedy).as_deref(), Some(HW_CLOCKS));
    }
}

#[test]
fn combined_clock_event_mask_fails_and_names_every_reason() {
    // sw_power_cap | hw_slowdown: the hardware bit must not hide behind the
    // software one (nor the other way round in the message).
    let f = clocks(0x0C);
    let c = assert_fails(f.path(), &[], 0, "clock_events");
    assert_eq!(
        c.value,
        Some(json!({"reasons": ["sw_power_cap", "hw_slowdown"], "mask": 12}))
    );
    assert!(
        c.message.contains("hw_slowdown") && c.message.contains("sw_power_cap"),
        "{}",
        c.message
    );
    assert_eq!(
        c.message,
        "hardware slowdown active: hw_slowdown (all reasons: sw_power_cap, hw_slowdown)"
    );
    // Idle too: a hardware slowdown fails whatever the load.
    let f = variant(|f| telemetry(f, 0, "clock_events", json!(0x9)));
    assert_fails(f.path(), &[], 0, "clock_events");
}

#[test]
fn narrow_pcie_link_under_load_fails_and_is_skipped_without_compute() {
    let f = variant(|f| telemetry(f, 1, "pcie_current", json!({"gen": 5, "width": 8})));
    let c = assert_fails(f.path(), &[], 1, "pcie_link");
    assert_eq!(c.value, Some(json!("Gen5 x8")));
    assert_eq!(c.threshold, Some(json!("Gen5 x16")));
    assert!(c.message.contains("x8 under load"), "{}", c.message);
    assert!(c.remedy.as_deref().unwrap().contains("reseat"));

    // Idle links downtrain: without the load of the self-test, not judged.
    let rep = health(f.path(), &["--no-compute"]);
    assert_eq!(rep.exit_code, 0);
    let c = rep.gpu(1).check("pcie_link");
    assert_eq!(c.status, "skip");
    assert_eq!(c.value, Some(json!("Gen5 x8")));
    assert!(c.message.contains("at idle"), "{}", c.message);
    assert_eq!(c.remedy, None);
    for g in &rep.gpus {
        assert!(!g.check_names().contains(&"compute_self_test"));
    }
}

#[test]
fn nvlink_link_down_fails() {
    let f = variant(|f| {
        f["gpus"][0]["nvlinks"] = json!([
            {"link": 0, "active": true, "crc_errors": 0, "replay_errors": 0, "recovery_errors": 0},
            {"link": 1, "active": false, "crc_errors": 0, "replay_errors": 0, "recovery_errors": 0},
            {"link": 2, "active": true, "crc_errors": 0, "replay_errors": 0, "recovery_errors": 0},
        ])
    });
    let c = assert_fails(f.path(), &[], 0, "nvlink");
    assert_eq!(c.value, Some(json!(2)));
    assert_eq!(c.threshold, Some(json!(3)));
    assert_eq!(c.unit.as_deref(), Some("links"));
    assert!(c.message.contains("link(s) 1 down"), "{}", c.message);
    assert!(c.remedy.as_deref().unwrap().contains("NVLink"));
}

#[test]
fn self_test_mismatch_fails() {
    let c = assert_fails("selftest_mismatch.json", &[], 1, "compute_self_test");
    assert_eq!(c.value, Some(json!(3)));
    assert_eq!(c.threshold, Some(json!(0)));
    // Three elements of the kernel's output sit on stuck bits of the
    // simulated memory; the comparison with the host reference finds them
    // among the 4 simulated SMs' 8192 elements and 32 block sums.
    assert_eq!(c.message, "CUDA device 0: 3 of 8224 results wrong");
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RMA));
    // Without the self-test the fault is invisible.
    assert_all_ok("selftest_mismatch.json", &["--no-compute"]);
}

#[test]
fn self_test_error_fails() {
    let c = assert_fails("selftest_error.json", &[], 0, "compute_self_test");
    // The kernel faults on the simulated GPU (`failing_kernels`).
    assert_eq!(
        c.message,
        "CUDA device 1: set-up failed: kernel launch failed: kernel gpuctl_selftest: \
         injected fault: CUDA_ERROR_ILLEGAL_ADDRESS (700)"
    );
    assert_eq!(c.value, None);
    // A typed error: an illegal address in gpuctl's own kernel is the GPU's.
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RESET));
}

#[test]
fn hung_self_test_times_out() {
    let f = variant(|f| f["gpus"][0]["compute"] = json!({"hang_at_call": 1}));
    let start = Instant::now();
    let c = assert_fails(
        f.path(),
        &["--compute-timeout", "500ms"],
        0,
        "compute_self_test",
    );
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert!(
        elapsed >= Duration::from_millis(450),
        "returned early: {elapsed:?}"
    );
    assert_eq!(
        c.message,
        "CUDA device 1: no answer from the GPU during set-up within 500ms: a hung driver call or GPU"
    );
    assert!(
        c.remedy.as_deref().unwrap_or("").contains("reset"),
        "{c:#?}"
    );
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RESET));
}

#[test]
fn wrong_gpu_count_fails_on_the_host() {
    let rep = health("two_h100.json", &["--expect-gpus", "3"]);
    assert_eq!(rep.exit_code, 1);
    assert_eq!(rep.outcome, "fail");
    let c = host_check(&rep, "gpu_count");
    assert_eq!(c.status, "fail");
    assert_eq!(c.value, Some(json!(2)));
    assert_eq!(c.threshold, Some(json!(3)));
    assert_eq!(c.message, "expected 3 GPU(s), found 2");
    assert_eq!(unfill(&c.remedy).as_deref(), Some(COUNT));
    assert_eq!(bad_names(&rep.host_checks), vec!["gpu_count"]);
    for g in &rep.gpus {
        assert_gpu_ok(g);
    }
    assert_eq!(rep.summary, "unhealthy: host (gpu_count)");

    let rep = assert_all_ok("two_h100.json", &["--expect-gpus", "2"]);
    assert_eq!(host_check(&rep, "gpu_count").threshold, Some(json!(2)));
}

#[test]
fn wrong_gpu_model_fails_every_gpu() {
    let rep = health("two_h100.json", &["--expect-model", "A100"]);
    assert_eq!(rep.exit_code, 1);
    for g in &rep.gpus {
        assert_eq!(gpu_bad_names(g), vec!["gpu_model"]);
        let c = g.check("gpu_model");
        assert_eq!(c.status, "fail");
        assert_eq!(c.value, Some(json!(H100)));
        assert_eq!(c.threshold, Some(json!("A100")));
        assert_eq!(c.message, format!("{H100} is not the expected 'A100'"));
        assert!(c.remedy.is_some());
    }
    assert_eq!(
        rep.summary,
        "unhealthy: GPU 0 FAIL (gpu_model); GPU 1 FAIL (gpu_model)"
    );
    // Case-insensitive substring.
    let rep = assert_all_ok("two_h100.json", &["--expect-model", "h100"]);
    assert_eq!(rep.gpu(0).check("gpu_model").threshold, Some(json!("h100")));
}

#[test]
fn driver_older_than_required_fails() {
    let rep = health("two_h100.json", &["--min-driver", "999"]);
    assert_eq!(rep.exit_code, 1);
    let c = host_check(&rep, "driver");
    assert_eq!(c.status, "fail");
    assert_eq!(c.value, Some(json!(DRIVER_VERSION)));
    assert_eq!(c.threshold, Some(json!("999")));
    assert_eq!(
        c.message,
        "driver 580.159.04 is older than the required 999"
    );
    assert_eq!(
        unfill(&c.remedy).as_deref(),
        Some("drain the node and install a newer NVIDIA driver")
    );
    assert_eq!(rep.summary, "unhealthy: host (driver)");
    // Compared numerically, not as text: 580.159.04 >= 535.104.
    let rep = assert_all_ok("two_h100.json", &["--min-driver", "535.104"]);
    assert_eq!(host_check(&rep, "driver").threshold, Some(json!("535.104")));
}

#[test]
fn cuda_older_than_required_fails() {
    let rep = health("two_h100.json", &["--min-cuda", "99.0"]);
    assert_eq!(rep.exit_code, 1);
    let c = host_check(&rep, "cuda_driver");
    assert_eq!(c.status, "fail");
    assert_eq!(c.value, Some(json!("13.0")));
    assert_eq!(c.threshold, Some(json!("99.0")));
    assert!(c.remedy.is_some());
    assert_eq!(bad_names(&rep.host_checks), vec!["cuda_driver"]);
    assert_all_ok("two_h100.json", &["--min-cuda", "12.2"]);
}

#[test]
fn missing_cuda_fails_the_host_and_blames_no_gpu() {
    let rep = health("no_cuda.json", &[]);
    assert_eq!(rep.exit_code, 1);
    assert_eq!(rep.outcome, "fail");
    assert_eq!(rep.driver.as_ref().unwrap().cuda.status, "unavailable");
    let c = host_check(&rep, "cuda");
    assert_eq!(c.status, "fail");
    assert!(c.message.contains("libcuda.so.1"), "{}", c.message);
    assert!(c
        .remedy
        .as_deref()
        .unwrap()
        .contains("NVIDIA_DRIVER_CAPABILITIES"));
    // A host problem stays at host level: no GPU is failed or sent to RMA.
    for g in &rep.gpus {
        assert!(gpu_bad_names(g).is_empty(), "{g:#?}");
        let t = g.check("compute_self_test");
        assert_eq!(t.status, "skip");
        assert!(
            t.message.contains("CUDA driver is unavailable"),
            "{}",
            t.message
        );
        assert_eq!(t.remedy, None);
    }
    assert_eq!(rep.summary, "unhealthy: host (cuda)");

    // Without the self-test CUDA is not loaded at all: skipped, exit 0.
    let rep = health("no_cuda.json", &["--no-compute"]);
    assert_eq!(rep.exit_code, 0);
    assert_eq!(rep.outcome, "pass");
    let c = host_check(&rep, "cuda");
    assert_eq!(c.status, "skip");
    for g in &rep.gpus {
        assert!(!g.check_names().contains(&"compute_self_test"));
        assert_gpu_ok(g);
    }
    assert_eq!(rep.summary, "healthy: 2 GPU(s), every check passed");
    let strict = health("no_cuda.json", &["--no-compute", "--fail-on", "warn"]);
    assert_eq!(strict.exit_code, 0);
}

// -------------------------------------------------------------- WARNs

#[test]
fn ecc_disabled_warns() {
    let f = variant(|f| errors(f, 0, "ecc_enabled", json!(false)));
    let c = assert_warns(f.path(), &[], 0, "ecc_mode");
    assert_eq!(c.value, Some(json!(false)));
    assert_eq!(c.threshold, Some(json!(true)));
    assert!(c.remedy.as_deref().unwrap().contains("nvidia-smi -e 1"));
}

/// GPU 1 with 5000 corrected ECC errors since reset.
fn corrected_ecc() -> Variant {
    variant(|f| {
        errors(
            f,
            1,
            "ecc_volatile",
            json!({"corrected": 5000, "uncorrected": 0}),
        )
    })
}

#[test]
fn corrected_ecc_above_threshold_warns() {
    let f = corrected_ecc();
    let c = assert_warns(f.path(), &[], 1, "ecc_corrected");
    assert_eq!(c.value, Some(json!(5000)));
    assert_eq!(c.threshold, Some(json!(1000)));
    assert_eq!(c.unit.as_deref(), Some("errors"));
    // The flag moves the threshold either way; "above" is strict.
    let c = assert_warns(
        f.path(),
        &["--ecc-corrected-max", "4999"],
        1,
        "ecc_corrected",
    );
    assert_eq!(c.threshold, Some(json!(4999)));
    let rep = assert_all_ok(f.path(), &["--ecc-corrected-max", "5000"]);
    assert_eq!(rep.gpu(1).check("ecc_corrected").status, "pass");
}

#[test]
fn pending_row_remap_warns() {
    let f = variant(|f| {
        errors(
            f,
            0,
            "row_remap",
            json!({"correctable": 1, "uncorrectable": 0, "pending": true, "failure": false}),
        )
    });
    let c = assert_warns(f.path(), &[], 0, "row_remap_pending");
    assert_eq!(c.value, Some(json!(true)));
    assert!(c.remedy.as_deref().unwrap().contains("nvidia-smi -r"));
}

#[test]
fn many_uncorrectable_remapped_rows_warn() {
    let rows = |n: u64| {
        variant(move |f| {
            errors(
                f,
                1,
                "row_remap",
                json!({"correctable": 2, "uncorrectable": n, "pending": false, "failure": false}),
            )
        })
    };
    let f = rows(9);
    let c = assert_warns(f.path(), &[], 1, "row_remap_uncorrectable");
    assert_eq!(c.value, Some(json!(9)));
    assert_eq!(c.threshold, Some(json!(8)));
    assert_eq!(c.unit.as_deref(), Some("rows"));
    assert_all_ok(rows(8).path(), &[]);
    assert_all_ok(f.path(), &["--remap-uncorrectable-max", "9"]);
}

#[test]
fn application_xid_warns() {
    let f = variant(|f| f["gpus"][0]["xid_events"] = json!([13, 13]));
    let c = assert_warns(f.path(), &[], 0, "xid");
    assert_eq!(c.value, Some(json!([13])));
    assert_eq!(c.message, "XID 13 x2 (graphics engine exception)");
    assert_eq!(unfill(&c.remedy).as_deref(), Some(XID_APP));
}

#[test]
fn unknown_xid_warns() {
    let f = variant(|f| f["gpus"][1]["xid_events"] = json!([9999]));
    let c = assert_warns(f.path(), &[], 1, "xid");
    assert_eq!(c.value, Some(json!([9999])));
    assert_eq!(
        c.message,
        "XID 9999 x1 (unknown XID; see NVIDIA's XID catalogue)"
    );
    assert_eq!(unfill(&c.remedy).as_deref(), Some(XID_CATALOGUE));
}

#[test]
fn hardware_xid_outranks_application_xid() {
    let f = variant(|f| f["gpus"][0]["xid_events"] = json!([13, 79]));
    let c = assert_fails(f.path(), &[], 0, "xid");
    assert_eq!(c.value, Some(json!([79, 13])));
    assert_eq!(unfill(&c.remedy).as_deref(), Some(XID_BUS));
}

#[test]
fn skipped_xid_check_ignores_xids() {
    let f = variant(|f| f["gpus"][0]["xid_events"] = json!([79]));
    let rep = assert_all_ok(f.path(), &["--skip", "xid"]);
    assert!(rep.gpus.iter().all(|g| !g.check_names().contains(&"xid")));
}

#[test]
fn temperature_within_margin_warns() {
    let f = variant(|f| telemetry(f, 0, "temperature_gpu_c", json!(85)));
    let c = assert_warns(f.path(), &[], 0, "temperature");
    assert_eq!(c.value, Some(json!(85)));
    assert_eq!(c.threshold, Some(json!(89)));
    assert_eq!(
        c.message,
        "GPU temperature 85 °C is within 5 °C of its limit 89 °C"
    );
    assert_eq!(unfill(&c.remedy).as_deref(), Some(COOLING));
    // A smaller margin makes 85 °C fine; a larger one makes 83 °C warn.
    assert_all_ok(f.path(), &["--temperature-margin-c", "3"]);
    let cooler = variant(|f| telemetry(f, 0, "temperature_gpu_c", json!(83)));
    assert_all_ok(cooler.path(), &[]);
    assert_warns(
        cooler.path(),
        &["--temperature-margin-c", "6"],
        0,
        "temperature",
    );
}

#[test]
fn memory_temperature_within_margin_warns() {
    let f = variant(|f| telemetry(f, 1, "temperature_memory_c", json!(91)));
    let c = assert_warns(f.path(), &[], 1, "memory_temperature");
    assert_eq!((c.value, c.threshold), (Some(json!(91)), Some(json!(95))));
}

#[test]
fn capped_power_limit_warns() {
    let f = variant(|f| {
        details(
            f,
            1,
            "power_limits",
            json!({"enforced_w": 500.0, "default_w": 700.0, "min_w": 200.0, "max_w": 700.0}),
        )
    });
    let c = assert_warns(f.path(), &[], 1, "power_limit");
    assert_eq!(c.value, Some(json!(500.0)));
    assert_eq!(c.threshold, Some(json!(700.0)));
    assert_eq!(c.unit.as_deref(), Some("W"));
    assert!(c.remedy.as_deref().unwrap().contains("nvidia-smi -pl"));
}

#[test]
fn power_draw_above_the_enforced_limit_warns() {
    let f = variant(|f| telemetry(f, 0, "power_draw_w", json!(760.0)));
    let c = assert_warns(f.path(), &[], 0, "power");
    assert_eq!(c.value, Some(json!(760.0)));
    assert_eq!(c.threshold, Some(json!(700.0)));
    // Within 5% of the limit is normal boost behaviour.
    let f = variant(|f| telemetry(f, 0, "power_draw_w", json!(730.0)));
    assert_all_ok(f.path(), &[]);
}

#[test]
fn software_power_cap_while_busy_warns_but_not_idle() {
    let f = clocks(0x4);
    // Under the compute test's own full-power GEMM the cap is expected.
    let rep = assert_all_ok(f.path(), &[]);
    assert_eq!(rep.gpu(0).check("compute_self_test").status, "pass");
    // Under someone else's load it warns.
    let c = assert_warns(f.path(), &["--no-compute"], 0, "clock_events");
    assert_eq!(
        c.value,
        Some(json!({"reasons": ["sw_power_cap"], "mask": 4}))
    );
    assert_eq!(
        c.message,
        "throttled while busy: sw_power_cap (all reasons: sw_power_cap)"
    );
    assert_eq!(unfill(&c.remedy).as_deref(), Some(COOLING));
    // Idle (utilization 0): a power cap is expected, not a problem.
    let idle = variant(|f| telemetry(f, 0, "clock_events", json!(0x5)));
    let rep = assert_all_ok(idle.path(), &[]);
    let c = rep.gpu(0).check("clock_events");
    assert_eq!(c.message, "active reasons: gpu_idle, sw_power_cap");
}

#[test]
fn software_thermal_slowdown_while_busy_warns() {
    let f = clocks(0x20);
    let c = assert_warns(f.path(), &[], 0, "clock_events");
    assert_eq!(
        c.value,
        Some(json!({"reasons": ["sw_thermal_slowdown"], "mask": 32}))
    );
    assert!(
        c.message
            .starts_with("throttled while busy: sw_thermal_slowdown"),
        "{}",
        c.message
    );
}

#[test]
fn pcie_generation_below_max_under_load_warns() {
    let f = variant(|f| telemetry(f, 0, "pcie_current", json!({"gen": 4, "width": 16})));
    let c = assert_warns(f.path(), &[], 0, "pcie_link");
    assert_eq!(c.value, Some(json!("Gen4 x16")));
    assert_eq!(c.threshold, Some(json!("Gen5 x16")));
    assert!(c.message.contains("Gen4 under load"), "{}", c.message);
    let rep = assert_all_ok(f.path(), &["--no-compute"]);
    assert_eq!(rep.gpu(0).check("pcie_link").status, "skip");
}

#[test]
fn pcie_replays_above_threshold_warn() {
    let f = variant(|f| errors(f, 1, "pcie_replay_count", json!(500)));
    let c = assert_warns(f.path(), &[], 1, "pcie_replay");
    assert_eq!(c.value, Some(json!(500)));
    assert_eq!(c.threshold, Some(json!(100)));
    assert_eq!(c.unit.as_deref(), Some("replays"));
    assert_all_ok(f.path(), &["--pcie-replay-max", "500"]);
}

/// GPU 1 with four active NVLinks, link 2 with the given error counters.
fn nvlinks(crc: u64, replay: u64, recovery: u64) -> Variant {
    variant(move |f| {
        let links: Vec<Value> = (0..4)
            .map(|link| {
                let (c, r, v) = if link == 2 { (crc, replay, recovery) } else { (0, 0, 0) };
                json!({"link": link, "active": true, "crc_errors": c, "replay_errors": r, "recovery_errors": v})
            })
            .collect();
        f["gpus"][1]["nvlinks"] = Value::Array(links);
    })
}

#[test]
fn nvlink_errors_above_thresholds_warn() {
    let f = nvlinks(500, 0, 0);
    let c = assert_warns(f.path(), &[], 1, "nvlink");
    assert_eq!(c.value, Some(json!(4)));
    // The same type as every other nvlink threshold: the links expected.
    assert_eq!(c.threshold, Some(json!(4)));
    assert_eq!(
        c.message,
        "NVLink errors above thresholds (crc 100, replay 100, recovery 10): link 2 (crc 500, replay 0, recovery 0)"
    );
    assert_all_ok(f.path(), &["--nvlink-crc-max", "500"]);
    assert_warns(nvlinks(0, 101, 0).path(), &[], 1, "nvlink");
    assert_warns(nvlinks(0, 0, 11).path(), &[], 1, "nvlink");
    // Healthy links pass (not skip) once the GPU has NVLink.
    let rep = assert_all_ok(nvlinks(100, 100, 10).path(), &[]);
    let c = rep.gpu(1).check("nvlink");
    assert_eq!(
        (c.status.as_str(), c.value.clone()),
        ("pass", Some(json!(4)))
    );
}

#[test]
fn persistence_mode_off_warns() {
    let f = variant(|f| details(f, 0, "persistence_mode", json!(false)));
    let c = assert_warns(f.path(), &[], 0, "persistence_mode");
    assert_eq!(c.value, Some(json!(false)));
    assert!(c.remedy.as_deref().unwrap().contains("nvidia-persistenced"));
}

#[test]
fn prohibited_compute_mode_warns() {
    let f = variant(|f| details(f, 1, "compute_mode", json!("prohibited")));
    let c = assert_warns(f.path(), &[], 1, "compute_mode");
    assert_eq!(c.value, Some(json!("prohibited")));
    let f = variant(|f| details(f, 1, "compute_mode", json!("exclusive_process")));
    assert_all_ok(f.path(), &[]);
}

#[test]
fn pending_mig_change_warns() {
    let f = variant(|f| details(f, 0, "mig_mode", json!({"current": false, "pending": true})));
    let c = assert_warns(f.path(), &[], 0, "mig");
    assert_eq!(c.value, Some(json!("off")));
    assert_eq!(
        c.message,
        "MIG mode change pending (off now, on after reset)"
    );
    assert!(c.remedy.as_deref().unwrap().contains("reset"));
}

#[test]
fn memory_usage_above_threshold_warns() {
    // 96% of 100 GB in use.
    let f = variant(|f| {
        details(
            f,
            1,
            "memory",
            json!({"total_bytes": 100_000_000_000u64, "used_bytes": 96_000_000_000u64, "free_bytes": 4_000_000_000u64}),
        )
    });
    let c = assert_warns(f.path(), &[], 1, "memory_usage");
    assert_eq!(c.value, Some(json!(96.0)));
    assert_eq!(c.threshold, Some(json!(95.0)));
    assert_eq!(c.unit.as_deref(), Some("%"));
    assert_all_ok(f.path(), &["--memory-used-max-pct", "96"]);
}

// ------------------------------------------------------ mixed multi-GPU

#[test]
fn one_gpus_failed_sensor_fails_only_that_gpu() {
    let f = variant(|f| {
        telemetry(
            f,
            1,
            "temperature_gpu_c",
            json!({"error": {"failed": "Unknown Error"}}),
        )
    });
    let rep = health(f.path(), &[]);
    assert_eq!(rep.exit_code, 1);
    let c = rep.gpu(1).check("temperature");
    assert_eq!(c.status, "fail");
    assert_eq!(c.value, None);
    assert_eq!(
        c.message,
        "GPU temperature: could not be read: Unknown Error"
    );
    assert_eq!(gpu_bad_names(rep.gpu(1)), vec!["temperature"]);
    // GPU 1's other checks completed.
    assert_eq!(rep.gpu(1).check_names(), GPU_CHECKS);
    // GPU 0 completed every check and is healthy.
    assert_eq!(rep.gpu(0).check_names(), GPU_CHECKS);
    assert_gpu_ok(rep.gpu(0));
    assert_eq!(rep.gpu(0).check("temperature").status, "pass");
    assert_eq!(rep.summary, "unhealthy: GPU 1 FAIL (temperature)");
}

#[test]
fn one_gpu_fails_and_the_other_warns() {
    let f = variant_of("ecc_error.json", |f| {
        details(f, 1, "persistence_mode", json!(false))
    });
    let rep = health(f.path(), &[]);
    assert_eq!(rep.exit_code, 1);
    assert_eq!(rep.outcome, "fail");
    assert_eq!(rep.gpu(0).status.as_deref(), Some("fail"));
    assert_eq!(rep.gpu(1).status.as_deref(), Some("warn"));
    assert_eq!(
        rep.summary,
        "unhealthy: GPU 0 FAIL (ecc_volatile_uncorrected); GPU 1 WARN (persistence_mode)"
    );
}

#[test]
fn several_problems_on_one_gpu_are_all_named() {
    let f = variant(|f| {
        errors(
            f,
            0,
            "ecc_aggregate",
            json!({"corrected": 0, "uncorrected": 1}),
        );
        errors(f, 0, "pcie_replay_count", json!(1000));
        telemetry(f, 0, "temperature_gpu_c", json!(95));
    });
    let rep = health(f.path(), &[]);
    assert_eq!(rep.exit_code, 1);
    assert_eq!(
        gpu_bad_names(rep.gpu(0)),
        vec!["ecc_aggregate_uncorrected", "temperature", "pcie_replay"]
    );
    assert_eq!(
        rep.summary,
        "unhealthy: GPU 0 FAIL (ecc_aggregate_uncorrected, temperature, pcie_replay)"
    );
}

// ----------------------------------------------- not supported, no permission

#[test]
fn unsupported_readings_skip_never_pass() {
    let f = variant(|f| {
        let e = f["gpus"][0]["errors"].as_object_mut().unwrap();
        e.remove("ecc_enabled");
        e.remove("ecc_aggregate");
        e.remove("row_remap");
        e.remove("pcie_replay_count");
        let t = f["gpus"][0]["telemetry"].as_object_mut().unwrap();
        t.remove("temperature_memory_c");
        t.remove("clock_events");
        let d = f["gpus"][0]["details"].as_object_mut().unwrap();
        d.remove("persistence_mode");
        d.remove("mig_mode");
        d.remove("compute_mode");
    });
    let rep = assert_all_ok(f.path(), &[]);
    let g = rep.gpu(0);
    for name in [
        "ecc_mode",
        "ecc_aggregate_uncorrected",
        "row_remap_pending",
        "row_remap_failure",
        "row_remap_uncorrectable",
        "retired_pages",
        "memory_temperature",
        "clock_events",
        "pcie_replay",
        "nvlink",
        "persistence_mode",
        "compute_mode",
        "mig",
    ] {
        let c = g.check(name);
        assert_eq!(c.status, "skip", "{c:?}");
        assert_eq!(c.remedy, None, "{c:?}");
    }
    assert!(g.check("ecc_mode").message.contains("not supported"));
    assert!(g.check("compute_mode").message.contains("not supported"));
    assert_eq!(rep.summary, "healthy: 2 GPU(s), every check passed");
}

#[test]
fn a_reading_refused_for_permission_is_never_a_pass() {
    // Not required: WARN (not verified). Required: FAIL.
    let f = variant(|f| details(f, 0, "compute_mode", json!({"error": "no_permission"})));
    let rep = health(f.path(), &[]);
    assert_eq!(rep.outcome, "warn");
    let g = rep.gpu(0);
    assert_eq!(g.check("compute_mode").status, "skip");
    assert!(g.check("compute_mode").message.contains("no permission"));
    assert_eq!(g.check("coverage").status, "warn");
    let f = variant(|f| {
        f["gpus"][0]["errors"]["ecc_volatile"] = json!({"error": "no_permission"});
    });
    let rep = health(f.path(), &[]);
    assert_eq!(rep.exit_code, 1);
    let c = rep.gpu(0).check("coverage");
    assert_eq!(c.status, "fail");
    assert!(
        c.message.contains("ecc_volatile_uncorrected (not verified"),
        "{}",
        c.message
    );
    assert!(c.remedy.is_some());
}

#[test]
fn unreadable_kernel_log_is_a_warning_not_a_failure() {
    let f = variant(|f| f["kernel_log"] = json!({"error": "no_permission"}));
    let rep = assert_all_ok(f.path(), &[]);
    assert_eq!(rep.warnings.len(), 1, "{:?}", rep.warnings);
    assert!(
        rep.warnings[0].contains("kernel log not readable") && rep.warnings[0].contains("root"),
        "{}",
        rep.warnings[0]
    );
    // NVML events are still watched; the message says only they were read.
    for g in &rep.gpus {
        let c = g.check("xid");
        assert_eq!(c.status, "pass");
        assert!(c.message.contains("NVML events"), "{}", c.message);
        assert!(!c.message.contains("kernel log"), "{}", c.message);
    }
    // The table shows the warning as a note.
    let r = run(f.path(), &["health"]);
    r.assert_code(0);
    assert!(
        r.stdout.contains("note: kernel log not readable"),
        "{}",
        r.stdout
    );
}

// ------------------------------------------------------------ selection

#[test]
fn checks_selects_by_prefix() {
    let rep = health("two_h100.json", &["--checks", "ecc"]);
    // Required checks switched off: degraded (WARN), never "healthy".
    assert_eq!(rep.exit_code, 0);
    assert_eq!(rep.outcome, "warn");
    assert!(rep.host_checks.is_empty(), "{:?}", rep.host_checks);
    for g in &rep.gpus {
        assert_eq!(
            g.check_names(),
            [
                "ecc_mode",
                "ecc_volatile_uncorrected",
                "ecc_aggregate_uncorrected",
                "ecc_corrected",
                "coverage"
            ]
        );
        let c = g.check("coverage");
        assert_eq!(c.status, "warn");
        assert!(c.message.contains("on_bus (switched off)"), "{}", c.message);
    }
    // Only what was selected can fail.
    let rep = health("ecc_error.json", &["--checks", "temperature,xid"]);
    assert_eq!(rep.exit_code, 0);
    assert_eq!(rep.outcome, "warn", "ECC was not checked: not healthy");
    for g in &rep.gpus {
        assert_eq!(g.check_names(), ["xid", "temperature", "coverage"]);
    }
    let rep = health("two_h100.json", &["--checks", "gpu_count,driver"]);
    let host: Vec<&str> = rep.host_checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(host, ["driver", "gpu_count"]);
    assert_eq!(rep.outcome, "warn");
    assert!(rep.gpus.iter().all(|g| g.check_names() == ["coverage"]));
}

#[test]
fn skip_leaves_out_named_checks() {
    let rep = health("two_h100.json", &["--skip", "xid,nvlink"]);
    assert_eq!(rep.exit_code, 0);
    let want: Vec<&str> = GPU_CHECKS
        .iter()
        .copied()
        .filter(|n| *n != "xid" && *n != "nvlink")
        .collect();
    for g in &rep.gpus {
        assert_eq!(g.check_names(), want);
    }
    assert_eq!(rep.host_checks.len(), HOST_CHECKS.len());
    // Skipping a failing required check hides the FAIL but never gives a
    // healthy verdict: the GPU is WARN (coverage), and --fail-on warn fails.
    let rep = health("ecc_error.json", &["--skip", "ecc_volatile_uncorrected"]);
    assert_eq!(rep.exit_code, 0);
    assert_eq!(rep.outcome, "warn");
    let c = rep.gpu(0).check("coverage");
    assert!(
        c.message
            .contains("ecc_volatile_uncorrected (switched off)"),
        "{}",
        c.message
    );
    let strict = health(
        "ecc_error.json",
        &["--skip", "ecc_volatile_uncorrected", "--fail-on", "warn"],
    );
    assert_eq!(strict.exit_code, 1);
}

#[test]
fn unknown_check_name_is_a_usage_error() {
    let line = assert_usage_error("two_h100.json", &["--checks", "ecc,bogus"], &["'bogus'"]);
    assert!(line.contains("ecc_mode"), "lists the valid names: {line}");
    assert_usage_error("two_h100.json", &["--skip", "xyz"], &["'xyz'"]);
}

#[test]
fn gpu_selector_runs_only_that_gpu() {
    let rep = assert_all_ok("ecc_error.json", &["-i", "1"]);
    assert_eq!(rep.indices(), vec![1]);
    assert_eq!(rep.gpu(1).check_names(), GPU_CHECKS);
    assert_eq!(host_check(&rep, "gpu_count").value, Some(json!(1)));
    assert_eq!(rep.summary, "healthy: 1 GPU(s), every check passed");
    // Its self-test ran on its own CUDA device.
    assert!(rep
        .gpu(1)
        .check("compute_self_test")
        .message
        .starts_with("CUDA device 0:"));
    let rep = health("ecc_error.json", &["-i", "0"]);
    assert_eq!(rep.indices(), vec![0]);
    assert_eq!(rep.exit_code, 1);
}

// ---------------------------------------------------------- config file

/// A config file with `text` in a temporary directory.
struct Config {
    _dir: tempfile::TempDir,
    path: String,
}

fn config(text: &str) -> Config {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gpuctl.toml");
    std::fs::write(&path, text).unwrap();
    Config {
        path: path.to_str().unwrap().to_string(),
        _dir: dir,
    }
}

#[test]
fn config_thresholds_and_fail_on_apply() {
    let f = variant(|f| {
        errors(
            f,
            0,
            "ecc_volatile",
            json!({"corrected": 5, "uncorrected": 0}),
        )
    });
    let cfg = config("[health]\necc_corrected_max = 0\nfail_on = \"warn\"\n");
    let rep = health(f.path(), &["--config", &cfg.path]);
    assert_eq!(rep.exit_code, 1, "file's fail_on = warn");
    assert_eq!(rep.outcome, "warn");
    let c = rep.gpu(0).check("ecc_corrected");
    assert_eq!(c.status, "warn");
    assert_eq!(c.value, Some(json!(5)));
    assert_eq!(c.threshold, Some(json!(0)));

    // A flag wins over the file.
    let rep = health(
        f.path(),
        &["--config", &cfg.path, "--ecc-corrected-max", "100"],
    );
    assert_eq!(rep.exit_code, 0);
    assert_eq!(rep.outcome, "pass");
    let c = rep.gpu(0).check("ecc_corrected");
    assert_eq!(
        (c.status.as_str(), c.threshold.clone()),
        ("pass", Some(json!(100)))
    );
    let rep = health(f.path(), &["--config", &cfg.path, "--fail-on", "fail"]);
    assert_eq!((rep.exit_code, rep.outcome.as_str()), (0, "warn"));

    // Without the file the default threshold (1000) applies.
    assert_all_ok(f.path(), &[]);
}

#[test]
fn config_selection_and_expectations_apply() {
    let cfg = config(
        "[health]\nexpect_gpus = 3\nexpect_model = \"H100\"\nskip = [\"xid\", \"nvlink\"]\n\
         compute = false\nmin_driver = \"535.104\"\n",
    );
    let rep = health("two_h100.json", &["--config", &cfg.path]);
    assert_eq!(rep.exit_code, 1);
    let c = host_check(&rep, "gpu_count");
    assert_eq!(
        (c.status.as_str(), c.threshold.clone()),
        ("fail", Some(json!(3)))
    );
    assert_eq!(host_check(&rep, "driver").threshold, Some(json!("535.104")));
    for g in &rep.gpus {
        let names = g.check_names();
        assert!(
            !names.contains(&"xid") && !names.contains(&"nvlink"),
            "{names:?}"
        );
        assert!(!names.contains(&"compute_self_test"), "compute = false");
        assert_eq!(g.check("gpu_model").threshold, Some(json!("H100")));
    }
    // The flag wins.
    let rep = health(
        "two_h100.json",
        &["--config", &cfg.path, "--expect-gpus", "2"],
    );
    assert_eq!(rep.exit_code, 0);
}

#[test]
fn config_bad_value_is_a_usage_error_naming_key_and_value() {
    let cfg = config("[health]\necc_corrected_max = \"lots\"\n");
    assert_usage_error(
        "two_h100.json",
        &["--config", &cfg.path],
        &["ecc_corrected_max", "\"lots\"", "line 2", cfg.path.as_str()],
    );
}

#[test]
fn config_bad_strings_are_usage_errors() {
    for (text, named) in [
        (
            "[health]\nwatch = \"soon\"\n",
            &["health.watch", "'soon'"][..],
        ),
        ("[health]\nsince = \"10\"\n", &["health.since", "'10'"][..]),
        (
            "[health]\nmin_driver = \"abc\"\n",
            &["health.min_driver", "'abc'"][..],
        ),
        (
            "[health]\nfail_on = \"maybe\"\n",
            &["health.fail_on", "'maybe'"][..],
        ),
        ("[health]\nskip = [\"bogus\"]\n", &["'bogus'"][..]),
    ] {
        let cfg = config(text);
        assert_usage_error("two_h100.json", &["--config", &cfg.path], named);
    }
}

#[test]
fn config_unknown_key_is_a_usage_error() {
    let cfg = config("[health]\necc_max = 1\n");
    assert_usage_error("two_h100.json", &["--config", &cfg.path], &["ecc_max"]);
    let cfg = config("[probe]\nexpect = 1\n");
    assert_usage_error("two_h100.json", &["--config", &cfg.path], &["probe"]);
}

#[test]
fn missing_config_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.toml");
    let path = path.to_str().unwrap();
    assert_usage_error(
        "two_h100.json",
        &["--config", path],
        &["cannot read config file", path],
    );
}

// ------------------------------------------------------------ bad flags

#[test]
fn bad_flag_values_are_usage_errors_naming_the_value() {
    assert_usage_error("two_h100.json", &["--since", "10"], &["'10'", "--since"]);
    assert_usage_error("two_h100.json", &["--watch", "soon"], &["'soon'"]);
    assert_usage_error("two_h100.json", &["--compute-timeout", "5"], &["'5'"]);
    assert_usage_error("two_h100.json", &["--min-driver", "abc"], &["'abc'"]);
    assert_usage_error("two_h100.json", &["--min-cuda", "12."], &["'12.'"]);
    assert_usage_error(
        "two_h100.json",
        &["--fail-on", "maybe"],
        &["'maybe'", "--fail-on"],
    );
    assert_usage_error("two_h100.json", &["--expect-gpus", "many"], &["'many'"]);
    assert_usage_error("two_h100.json", &["--ecc-corrected-max", "-1"], &["'-1'"]);
    assert_usage_error(
        "two_h100.json",
        &["--memory-used-max-pct", "150"],
        &["'150'"],
    );
}

// ---------------------------------------------------------------- timing

#[test]
fn watch_lasts_at_least_its_duration() {
    let start = Instant::now();
    let rep = health("two_h100.json", &["--no-compute", "--watch", "300ms"]);
    let elapsed = start.elapsed();
    assert_eq!(rep.exit_code, 0);
    assert!(elapsed >= Duration::from_millis(300), "took {elapsed:?}");

    let start = Instant::now();
    let rep = health("two_h100.json", &["--watch", "800ms"]);
    let elapsed = start.elapsed();
    assert_eq!(rep.exit_code, 0);
    assert!(elapsed >= Duration::from_millis(800), "took {elapsed:?}");
    // The message gives the time the watch really ran: at least 0.8 s (more
    // on a loaded machine).
    let xid = rep.gpu(0).check("xid");
    let watched: f64 = xid
        .message
        .split("NVML events for ")
        .nth(1)
        .and_then(|r| r.split('s').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no watch time in {:?}", xid.message));
    assert!(watched >= 0.8, "{}", xid.message);
    assert!(
        xid.message.contains("kernel log since 1day"),
        "{}",
        xid.message
    );

    // XID events that arrive are still seen when the watch is longer.
    let f = variant(|f| f["gpus"][0]["xid_events"] = json!([94]));
    let c = assert_fails(f.path(), &["--watch", "300ms"], 0, "xid");
    assert_eq!(c.value, Some(json!([94])));
}

#[test]
fn since_sets_the_kernel_log_window_in_the_message() {
    let rep = health("two_h100.json", &["--since", "2h"]);
    let xid = rep.gpu(1).check("xid");
    assert!(
        xid.message.contains("kernel log since 2h"),
        "{}",
        xid.message
    );
}

// ------------------------------------------------- environment and more

#[test]
fn no_compute_runs_nvml_checks_only() {
    let rep = assert_all_ok("two_h100.json", &["--no-compute"]);
    let want: Vec<&str> = GPU_CHECKS
        .iter()
        .copied()
        .filter(|n| *n != "compute_self_test")
        .collect();
    for g in &rep.gpus {
        assert_eq!(g.check_names(), want);
        let p = g.check("pcie_link");
        assert_eq!(
            (p.status.as_str(), p.value.clone()),
            ("skip", Some(json!("Gen5 x16")))
        );
    }
    assert_eq!(host_check(&rep, "cuda").status, "skip");
}

#[test]
fn no_compute_driver_block_agrees_with_the_cuda_host_check() {
    for fixture in ["two_h100.json", "no_cuda.json"] {
        let rep = health(fixture, &["--no-compute"]);
        let lib = &rep.driver.as_ref().unwrap().cuda;
        let check = host_check(&rep, "cuda");
        let judged = matches!(check.status.as_str(), "pass" | "warn" | "fail");
        assert!(
            !(judged && lib.status == "not_loaded"),
            "{fixture}: host check cuda is {} ({}) but driver.cuda is not_loaded",
            check.status,
            check.message
        );
    }
}

#[test]
fn huge_temperature_margin_is_a_usage_error_naming_the_range() {
    assert_usage_error(
        "two_h100.json",
        &["--temperature-margin-c", "4294967295"],
        &["'4294967295'", "--temperature-margin-c", "from 0 to 50"],
    );
}

#[test]
fn bad_fail_on_names_the_accepted_values() {
    let line = assert_usage_error("two_h100.json", &["--fail-on", "maybe"], &["'maybe'"]);
    assert!(line.contains("warn"), "accepted values not named: {line}");
}

#[test]
fn mig_gpu_self_tests_every_instance() {
    let rep = assert_all_ok("mig.json", &[]);
    let g = rep.gpu(0);
    let mig = g.check("mig");
    assert_eq!(mig.value, Some(json!("on")));
    assert_eq!(mig.message, "MIG on, 2 instance(s)");
    let tests: Vec<&Check> = g
        .checks
        .iter()
        .flatten()
        .filter(|c| c.name == "compute_self_test")
        .collect();
    assert_eq!(tests.len(), 2, "one self-test per MIG instance");
    assert!(tests.iter().all(|c| c.status == "pass"));
}

#[test]
fn without_nvml_gpus_come_from_cuda_and_the_host_fails() {
    let rep = health("no_nvml.json", &[]);
    assert_eq!(rep.exit_code, 1);
    let nvml = host_check(&rep, "nvml");
    assert_eq!(nvml.status, "fail");
    assert!(
        nvml.message.contains("libnvidia-ml.so.1"),
        "{}",
        nvml.message
    );
    assert!(nvml.remedy.is_some());
    assert!(!rep.warnings.is_empty());
    for g in &rep.gpus {
        // NVML-only checks skip with one "nvml" skip; the self-test still
        // runs; ECC, remapping and temperature went unjudged, so the GPU
        // fails closed.
        assert_eq!(g.check("nvml").status, "skip");
        assert_eq!(g.check("compute_self_test").status, "pass");
        assert_eq!(gpu_bad_names(g), vec!["coverage"]);
        let c = g.check("coverage");
        assert_eq!(c.status, "fail");
        assert!(
            c.message.contains("ecc_volatile_uncorrected (did not run)"),
            "{}",
            c.message
        );
    }
}

#[test]
fn no_driver_or_no_gpu_is_an_environment_error() {
    for fixture in ["no_driver.json", "no_gpus.json"] {
        let r = run(fixture, &["health"]);
        r.assert_code(3);
        assert_eq!(r.stdout, "");
        assert!(r.stderr_line().starts_with("gpuctl health: error: "));
        let r = run(fixture, &["health", "--json"]);
        r.assert_code(3);
        let rep = r.report();
        assert_eq!(rep.outcome, "error");
        assert_eq!(rep.exit_code, 3);
        assert_eq!(rep.error.unwrap().kind, "environment");
    }
}

// ----------------------------------------------- the harness fails closed

#[test]
fn a_reader_that_panics_fails_its_gpu_instead_of_passing_it() {
    let f = variant(|f| f["gpus"][0]["panic_on_details"] = json!(true));
    for args in [&[][..], &["--no-compute"][..]] {
        let mut all = vec!["health", "--json"];
        all.extend_from_slice(args);
        let r = run(f.path(), &all);
        assert_eq!(r.code, 1, "{args:?}: {r:#?}");
        let rep = parse_report(&r.stdout);
        assert_eq!(rep.outcome, "fail");
        let g = rep.gpu(0);
        assert_eq!(g.status.as_deref(), Some("fail"));
        // Every check that needed the crashed read fails and says so.
        let crashed: Vec<&str> = g
            .checks
            .iter()
            .flatten()
            .filter(|c| c.message.contains("panicked") || c.message.contains("crashed"))
            .map(|c| c.status.as_str())
            .collect();
        assert!(!crashed.is_empty(), "{g:#?}");
        assert!(crashed.iter().all(|s| *s == "fail"), "{g:#?}");
        assert_eq!(rep.gpu(1).status.as_deref(), Some("pass"));
    }
}

#[test]
fn a_wrong_tensor_core_product_fails_the_compute_test() {
    // GPU 1's GEMM (the burn workload, on simulated memory) flips the
    // lowest bit of one element from its fifth product on, after the
    // reference: the checksum of every product of the short burn differs.
    let f = variant(|f| {
        f["gpus"][1]["compute"]["gemm_corrupt"] = json!({"element": 100, "from_call": 5})
    });
    let c = assert_fails(f.path(), &[], 1, "compute_self_test");
    assert!(
        c.message.contains("tensor-core GEMM products differed"),
        "{}",
        c.message
    );
    assert_eq!(unfill(&c.remedy).as_deref(), Some(RMA));
}

#[test]
fn the_compute_test_verifies_gemm_products_under_load() {
    let rep = health("two_h100.json", &[]);
    for g in &rep.gpus {
        let c = g.check("compute_self_test");
        assert_eq!(c.status, "pass");
        assert!(
            c.message
                .contains("tensor-core GEMM products verified under load"),
            "{}",
            c.message
        );
    }
}

#[test]
fn sigint_gives_a_partial_report_and_130() {
    let f = variant(|f| f["gpus"][0]["compute"] = json!({"hang_at_call": 1}));
    let child = gpuctl_process(f.path())
        .args(["health", "--json", "--compute-timeout", "30s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("gpuctl starts");
    std::thread::sleep(Duration::from_millis(700));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let sent = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(out.status.code(), Some(130));
    let rep = parse_report(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rep.outcome, "interrupted");
    assert_eq!(rep.exit_code, 130);
    assert!(
        rep.summary.starts_with("interrupted (partial report)"),
        "{}",
        rep.summary
    );
    assert_ne!(rep.gpu(0).check("compute_self_test").status, "pass");
}

#[test]
fn no_compute_never_opens_cuda() {
    // cuda_hang.json: every CUDA call hangs. Without the compute test,
    // health must not touch CUDA at all (cuInit alone costs ~100 ms per
    // GPU on real hardware), so it finishes at NVML speed.
    let f = variant_of("cuda_hang.json", |f| {
        f["cuda"]["hang_calls"] = json!(["open", "driver_version", "devices"])
    });
    let started = Instant::now();
    let r = run(f.path(), &["health", "--no-compute", "--json"]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let rep = parse_report(&r.stdout);
    assert_eq!(host_check(&rep, "cuda").status, "skip");
    assert_eq!(rep.driver.as_ref().unwrap().cuda.status, "not_loaded");
}

#[test]
fn an_xid_already_seen_survives_another_gpu_falling_off_the_bus() {
    // Issue 19: GPU 0 has XID 48 and the kernel log is unreadable; GPU 1
    // falls off the bus during the watch. The watch is lossless: GPU 0's
    // XID still fails it, and GPU 1 (lost) is not called watched.
    let f = variant(|f| {
        f["gpus"][0]["xid_events"] = json!([48]);
        f["kernel_log"] = json!({"error": "no_permission"});
        f["gpus"][1]["lost_after_reads"] = json!(1);
    });
    for args in [&[][..], &["--no-compute"][..]] {
        let rep = health(f.path(), args);
        let c = rep.gpu(0).check("xid");
        assert_eq!(c.status, "fail", "{args:?}: {c:?}");
        assert_eq!(c.value, Some(json!([48])), "{args:?}");
        assert_eq!(rep.exit_code, 1, "{args:?}");
        assert_ne!(rep.gpu(1).check("xid").status, "pass", "{args:?}");
    }
}

#[test]
fn a_failed_xid_watch_is_unverified_never_a_pass() {
    let f = variant(|f| f["gpus"][0]["xid_watch_error"] = json!({"failed": "event set broke"}));
    let rep = health(f.path(), &["--no-compute"]);
    for g in &rep.gpus {
        let c = g.check("xid");
        assert_eq!(c.status, "skip", "{c:?}");
        assert!(c.message.contains("event set broke"), "{}", c.message);
        let coverage = g.check("coverage");
        assert_eq!(coverage.status, "warn", "{coverage:?}");
        assert!(
            coverage.message.contains("xid (not verified"),
            "{}",
            coverage.message
        );
        assert!(
            !coverage.message.contains("no permission"),
            "{}",
            coverage.message
        );
    }
    assert_eq!(rep.outcome, "warn");
    // The burn-in gate's --fail-on warn refuses it.
    let r = run(f.path(), &["health", "--no-compute", "--fail-on", "warn"]);
    r.assert_code(1);
}

#[test]
fn xid_remedies_name_the_gpu_and_drain_first() {
    // 63 (row remap recorded) asks for a reset: of that GPU, drained first.
    let f = variant(|f| f["gpus"][1]["xid_events"] = json!([63]));
    let c = assert_fails(f.path(), &[], 1, "xid");
    let r = c.remedy.clone().unwrap_or_default();
    assert!(r.contains("nvidia-smi -r -i 00000000:2A:00.0"), "{r}");
    assert!(r.contains("drain the node"), "{r}");
}

// ------------------------------------------------ config discovery (24)

fn config_with(dir: &std::path::Path, name: &str, skip: &str) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("[health]\nskip = [\"{skip}\"]\n")).unwrap();
    path.to_str().unwrap().to_string()
}

fn has_check(rep: &Report, name: &str) -> bool {
    rep.gpus[0].checks.iter().flatten().any(|c| c.name == name)
}

/// Issue 24: `--config`, then `$GPUCTL_CONFIG`, then the system file, then
/// the user's config dir; a `$GPUCTL_CONFIG` that names no file is refused.
#[test]
fn the_config_file_is_found_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = config_with(dir.path(), "env.toml", "xid");
    let flag_file = config_with(dir.path(), "flag.toml", "temperature");
    let base = ["health", "--no-compute", "--json"];
    let rep = run_env("two_h100.json", &base, &[("GPUCTL_CONFIG", &env_file)]).report();
    assert!(!has_check(&rep, "xid") && has_check(&rep, "temperature"));
    let mut with_flag = base.to_vec();
    with_flag.extend(["--config", &flag_file]);
    let rep = run_env("two_h100.json", &with_flag, &[("GPUCTL_CONFIG", &env_file)]).report();
    assert!(
        has_check(&rep, "xid") && !has_check(&rep, "temperature"),
        "--config wins"
    );
    let user = tempfile::tempdir().unwrap();
    config_with(user.path(), "gpuctl/config.toml", "xid");
    let xdg = user.path().to_str().unwrap();
    let rep = run_env("two_h100.json", &base, &[("XDG_CONFIG_HOME", xdg)]).report();
    assert!(!has_check(&rep, "xid"), "the user's config dir");
    let r = run_env(
        "two_h100.json",
        &["health", "--no-compute"],
        &[("GPUCTL_CONFIG", "/nonexistent/gpuctl.toml")],
    );
    r.assert_code(2);
    assert!(r.stderr_line().contains("$GPUCTL_CONFIG"), "{r:?}");
}
