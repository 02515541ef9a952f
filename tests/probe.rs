//! End-to-end tests of `gpuctl probe`: one line, exit 0 or 1, never else.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// The probe's per-GPU checks without `--compute`, in order.
const NVML_CHECKS: [&str; 4] = [
    "on_bus",
    "ecc_volatile_uncorrected",
    "row_remap_failure",
    "temperature",
];

/// Runs `probe` and checks the contract every probe run keeps: exit 0 or
/// 1, exactly one stdout line, `healthy:` iff exit 0, nothing on stderr.
fn probe(fixture: &str, args: &[&str]) -> Run {
    probe_env(fixture, args, &[])
}

fn probe_env(fixture: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["probe"];
    all.extend_from_slice(args);
    let r = run_env(fixture, &all, env);
    assert!(
        r.code == 0 || r.code == 1,
        "probe exited {}; {r:#?}",
        r.code
    );
    let line = r.stdout_line();
    if r.code == 0 {
        assert!(line.starts_with("healthy: "), "{line}");
    } else {
        assert!(line.starts_with("unhealthy: "), "{line}");
    }
    assert_eq!(r.stderr, "", "probe's table mode writes only its line");
    assert!(
        line.ends_with(SIMULATED),
        "a simulated probe says so: {line}"
    );
    r
}

/// How probe's line ends on the simulated backend.
const SIMULATED: &str = " [SIMULATED GPUs]";

/// Probe's line without the simulated marker.
fn unmarked(r: &Run) -> String {
    let line = r.stdout_line();
    line.strip_suffix(SIMULATED).unwrap_or(line).to_string()
}

fn assert_healthy(fixture: &str, args: &[&str]) -> String {
    let r = probe(fixture, args);
    r.assert_code(0);
    unmarked(&r)
}

/// Exit 1 with a line that contains every one of `reasons`.
fn assert_unhealthy(fixture: &str, args: &[&str], reasons: &[&str]) -> String {
    let r = probe(fixture, args);
    r.assert_code(1);
    let line = unmarked(&r);
    for reason in reasons {
        assert!(line.contains(reason), "line lacks {reason:?}: {line}");
    }
    line
}

/// `probe --json` with `args`: schema-valid, typed, exit folded to 0/1.
fn probe_json(fixture: &str, args: &[&str]) -> (i32, Report) {
    let mut all = vec!["probe", "--json"];
    all.extend_from_slice(args);
    let r = run(fixture, &all);
    assert!(
        r.code == 0 || r.code == 1,
        "probe exited {}; {r:#?}",
        r.code
    );
    let rep = r.report();
    assert_eq!(rep.command, "probe");
    assert_eq!(
        r.code,
        if rep.exit_code == 0 { 0 } else { 1 },
        "process exit is the report's code folded into 0/1"
    );
    (r.code, rep)
}

// ------------------------------------------------------------ healthy

#[test]
fn healthy_host_passes_with_one_line() {
    let line = assert_healthy("two_h100.json", &[]);
    assert_eq!(line, "healthy: 2 GPU(s) OK");
}

#[test]
fn healthy_probe_json_has_every_check_passing() {
    let (code, rep) = probe_json("two_h100.json", &[]);
    assert_eq!(code, 0);
    assert_eq!(rep.outcome, "pass");
    assert_eq!(rep.exit_code, 0);
    assert_eq!(rep.summary, "healthy: 2 GPU(s) OK");
    assert!(rep.error.is_none());
    let driver = rep.driver.as_ref().unwrap();
    assert_eq!(driver.nvml.status, "available");
    assert_eq!(
        driver.cuda.status, "not_loaded",
        "the fast probe never opens CUDA"
    );
    assert_eq!(rep.host_checks.len(), 1);
    let count = &rep.host_checks[0];
    assert_eq!(count.name, "gpu_count");
    assert_eq!(count.status, "pass");
    assert_eq!(count.value, Some(serde_json::json!(2)));
    assert_eq!(rep.indices(), vec![0, 1]);
    for g in &rep.gpus {
        assert_eq!(g.check_names(), NVML_CHECKS);
        assert_eq!(g.status.as_deref(), Some("pass"));
        assert!(g.details.is_none(), "probe reports checks, not details");
        for c in g.checks.iter().flatten() {
            assert_eq!(c.status, "pass", "{c:?}");
            assert_eq!(c.remedy, None);
        }
        let t = g.check("temperature");
        assert_eq!(t.value, Some(serde_json::json!(31)));
        assert_eq!(t.threshold, Some(serde_json::json!(89)));
        assert_eq!(t.unit.as_deref(), Some("°C"));
        let ecc = g.check("ecc_volatile_uncorrected");
        assert_eq!(ecc.value, Some(serde_json::json!(0)));
        assert_eq!(ecc.unit.as_deref(), Some("errors"));
    }
}

#[test]
fn probe_is_fast() {
    let start = Instant::now();
    assert_healthy("two_h100.json", &[]);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

// ------------------------------------------------------------- faults

#[test]
fn lost_gpu_is_unhealthy() {
    let line = assert_unhealthy("lost_gpu.json", &[], &["GPU 1", "fallen off the bus"]);
    assert!(!line.contains("GPU 0"), "GPU 0 is fine: {line}");
    let (code, rep) = probe_json("lost_gpu.json", &[]);
    assert_eq!(code, 1);
    assert_eq!(rep.outcome, "fail");
    assert_eq!(rep.exit_code, 1);
    let lost = rep.gpu(1);
    assert!(lost.lost.is_some());
    assert_eq!(lost.status.as_deref(), Some("fail"));
    assert_eq!(lost.check("on_bus").status, "fail");
    assert!(lost.check("on_bus").remedy.is_some());
    assert_eq!(rep.gpu(0).status.as_deref(), Some("pass"));
    // The lost GPU does not count as present.
    assert_eq!(rep.host_checks[0].value, Some(serde_json::json!(1)));
}

#[test]
fn uncorrectable_ecc_error_is_unhealthy() {
    assert_unhealthy(
        "ecc_error.json",
        &[],
        &["GPU 0", "2 uncorrectable ECC error(s)"],
    );
    let (_, rep) = probe_json("ecc_error.json", &[]);
    let c = rep.gpu(0).check("ecc_volatile_uncorrected");
    assert_eq!(c.status, "fail");
    assert_eq!(c.value, Some(serde_json::json!(2)));
    assert_eq!(c.threshold, Some(serde_json::json!(0)));
    assert!(c.remedy.is_some());
    assert_eq!(rep.gpu(1).status.as_deref(), Some("pass"));
}

#[test]
fn row_remap_failure_is_unhealthy() {
    assert_unhealthy("remap_failure.json", &[], &["GPU 1", "row remap failed"]);
    let (_, rep) = probe_json("remap_failure.json", &[]);
    let c = rep.gpu(1).check("row_remap_failure");
    assert_eq!(c.status, "fail");
    assert_eq!(c.value, Some(serde_json::json!(true)));
    assert_eq!(
        unfill(&c.remedy).as_deref(),
        Some("drain the node and open an RMA for the GPU at {gpu} (give its serial)")
    );
    assert_eq!(rep.gpu(0).status.as_deref(), Some("pass"));
}

#[test]
fn gpu_at_slowdown_temperature_is_unhealthy() {
    assert_unhealthy("hot.json", &[], &["GPU 0", "90 °C", "slowdown", "89 °C"]);
    let (_, rep) = probe_json("hot.json", &[]);
    let c = rep.gpu(0).check("temperature");
    assert_eq!(c.status, "fail");
    assert_eq!(c.value, Some(serde_json::json!(90)));
    assert_eq!(c.threshold, Some(serde_json::json!(89)));
}

#[test]
fn no_gpus_is_unhealthy() {
    assert_unhealthy("no_gpus.json", &[], &["no GPU found"]);
    let (code, rep) = probe_json("no_gpus.json", &[]);
    assert_eq!(code, 1);
    assert_eq!(rep.outcome, "error");
    assert_eq!(rep.exit_code, 3, "the report keeps the unfolded code");
    assert_eq!(rep.error.unwrap().kind, "environment");
}

#[test]
fn no_driver_is_unhealthy() {
    assert_unhealthy(
        "no_driver.json",
        &[],
        &["libnvidia-ml.so.1", "NVIDIA_DRIVER_CAPABILITIES"],
    );
    let (code, rep) = probe_json("no_driver.json", &[]);
    assert_eq!(code, 1);
    assert_eq!(rep.error.unwrap().kind, "environment");
}

#[test]
fn no_nvml_is_unhealthy_because_the_probe_reads_nvml() {
    assert_unhealthy("no_nvml.json", &[], &["libnvidia-ml.so.1"]);
}

#[test]
fn every_failing_check_is_named_in_the_line() {
    // Two faults at once: both reasons in the one line.
    let mut fixture = load_fixture("two_h100.json");
    fixture["gpus"][0]["errors"]["ecc_volatile"]["uncorrected"] = serde_json::json!(5);
    fixture["gpus"][1]["telemetry"]["temperature_gpu_c"] = serde_json::json!(95);
    let dir = tempfile::tempdir().unwrap();
    let path = write_fixture(dir.path(), "two_faults.json", &fixture);
    let line = assert_unhealthy(&path, &[], &["GPU 0", "5 uncorrectable", "GPU 1", "95 °C"]);
    assert!(
        line.contains("; "),
        "reasons are joined on one line: {line}"
    );
}

// ------------------------------------------------------------ --expect

#[test]
fn expect_matching_count_passes() {
    assert_eq!(
        assert_healthy("two_h100.json", &["--expect", "2"]),
        "healthy: 2 GPU(s) OK"
    );
    let (_, rep) = probe_json("two_h100.json", &["--expect", "2"]);
    let c = &rep.host_checks[0];
    assert_eq!(c.name, "gpu_count");
    assert_eq!(c.status, "pass");
    assert_eq!(c.threshold, Some(serde_json::json!(2)));
}

#[test]
fn expect_wrong_count_fails() {
    let line = assert_unhealthy(
        "two_h100.json",
        &["--expect", "3"],
        &["expected 3 GPU(s), found 2"],
    );
    assert_eq!(line, "unhealthy: expected 3 GPU(s), found 2");
    let (code, rep) = probe_json("two_h100.json", &["--expect", "3"]);
    assert_eq!(code, 1);
    let c = &rep.host_checks[0];
    assert_eq!(c.status, "fail");
    assert_eq!(c.value, Some(serde_json::json!(2)));
    assert_eq!(c.threshold, Some(serde_json::json!(3)));
    // Per-GPU checks still pass: only the count is wrong.
    assert!(rep.gpus.iter().all(|g| g.status.as_deref() == Some("pass")));
}

#[test]
fn expect_counts_a_lost_gpu_as_missing() {
    assert_unhealthy(
        "lost_gpu.json",
        &["--expect", "2"],
        &["expected 2 GPU(s), found 1"],
    );
}

// ----------------------------------------------------------- --compute

#[test]
fn compute_self_test_passes_on_healthy_gpus() {
    assert_eq!(
        assert_healthy("two_h100.json", &["--compute"]),
        "healthy: 2 GPU(s) OK"
    );
    let (code, rep) = probe_json("two_h100.json", &["--compute"]);
    assert_eq!(code, 0);
    assert_eq!(rep.driver.as_ref().unwrap().cuda.status, "available");
    for g in &rep.gpus {
        let mut want = NVML_CHECKS.to_vec();
        want.push("compute_self_test");
        assert_eq!(g.check_names(), want);
        assert_eq!(g.check("compute_self_test").status, "pass");
    }
    // With CUDA loaded, the probe knows CUDA ordinals (joined by bus id).
    assert_eq!(rep.gpu(0).cuda_index, Some(1));
    assert_eq!(rep.gpu(1).cuda_index, Some(0));
}

#[test]
fn compute_self_test_mismatch_fails() {
    assert_unhealthy(
        "selftest_mismatch.json",
        &["--compute"],
        &["GPU 1", "CUDA device 0", "3 of", "results wrong"],
    );
    let (_, rep) = probe_json("selftest_mismatch.json", &["--compute"]);
    let c = rep.gpu(1).check("compute_self_test");
    assert_eq!(c.status, "fail");
    assert_eq!(c.value, Some(serde_json::json!(3)));
    assert_eq!(rep.gpu(0).check("compute_self_test").status, "pass");
    // Without --compute the fault is invisible.
    assert_healthy("selftest_mismatch.json", &[]);
}

#[test]
fn compute_self_test_error_fails() {
    assert_unhealthy(
        "selftest_error.json",
        &["--compute"],
        &["GPU 0", "CUDA device 1", "CUDA_ERROR_ILLEGAL_ADDRESS"],
    );
    let (_, rep) = probe_json("selftest_error.json", &["--compute"]);
    assert_eq!(rep.gpu(0).check("compute_self_test").status, "fail");
    assert_healthy("selftest_error.json", &[]);
}

#[test]
fn compute_needs_cuda_but_the_fast_probe_does_not() {
    assert_eq!(assert_healthy("no_cuda.json", &[]), "healthy: 2 GPU(s) OK");
    assert_unhealthy(
        "no_cuda.json",
        &["--compute"],
        &["--compute needs the CUDA driver", "libcuda.so.1"],
    );
    let (code, rep) = probe_json("no_cuda.json", &["--compute"]);
    assert_eq!(code, 1);
    assert_eq!(rep.driver.as_ref().unwrap().cuda.status, "unavailable");
    for g in &rep.gpus {
        assert_eq!(g.check("compute_self_test").status, "fail");
    }
}

#[test]
fn compute_on_mig_gpu_tests_each_instance() {
    assert_healthy("mig.json", &["--compute"]);
    let (_, rep) = probe_json("mig.json", &["--compute"]);
    let checks: Vec<&Check> = rep
        .gpu(0)
        .checks
        .iter()
        .flatten()
        .filter(|c| c.name == "compute_self_test")
        .collect();
    assert_eq!(checks.len(), 2, "one self-test per MIG instance");
    assert!(checks[0].message.starts_with("CUDA device 1:"));
    assert!(checks[1].message.starts_with("CUDA device 2:"));
}

// ------------------------------------------------------------ timeout

#[test]
fn hung_driver_times_out() {
    // Each driver call is bounded by 3/4 of --timeout, so the probe names
    // the hung GPU before the whole probe gives up.
    let start = Instant::now();
    let line = assert_unhealthy(
        "nvml_hang.json",
        &["--timeout", "500ms"],
        &["GPU 0", "hung"],
    );
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert!(
        elapsed >= Duration::from_millis(350),
        "returned before the call timeout: {elapsed:?}"
    );
    assert!(line.contains("375ms"), "{line}");

    let start = Instant::now();
    let (code, rep) = probe_json("nvml_hang.json", &["--timeout", "500ms"]);
    assert!(start.elapsed() < Duration::from_secs(3));
    assert_eq!(code, 1);
    assert_eq!(rep.outcome, "fail");
    assert_eq!(rep.gpu(0).check("on_bus").status, "fail");
    assert_eq!(
        rep.gpu(1).status.as_deref(),
        Some("pass"),
        "the other GPU is judged"
    );
}

// ----------------------------------------------------- bad arguments

#[test]
fn bad_arguments_exit_1_never_2() {
    let cases: [(&[&str], &str); 5] = [
        (&["--expect", "x"], "'x'"),
        (&["--timeout", "10"], "'10'"),
        (&["--bogus"], "--bogus"),
        (&["-i", "bogus"], "'bogus'"),
        (&["-i", "7"], "'7'"),
    ];
    for (args, named) in cases {
        let line = assert_unhealthy("two_h100.json", args, &[named]);
        assert!(!line.contains("error: "), "no clap prefix: {line}");

        let (code, rep) = probe_json("two_h100.json", args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(rep.outcome, "error");
        assert_eq!(rep.exit_code, 2, "{args:?}: report keeps the usage code");
        let err = rep.error.unwrap();
        assert_eq!(err.kind, "usage", "{args:?}");
        assert!(err.message.contains(named), "{args:?}: {}", err.message);
    }
}

#[test]
fn bad_argument_before_the_subcommand_still_folds_to_1() {
    let r = run("two_h100.json", &["-i", "bogus", "probe"]);
    r.assert_code(1);
    assert!(r.stdout_line().starts_with("unhealthy: "), "{}", r.stdout);
}

#[test]
fn missing_fixture_is_unhealthy_not_a_crash() {
    assert_unhealthy("missing-fixture.json", &[], &["missing-fixture.json"]);
}

// ------------------------------------------------------ NotSupported

#[test]
fn unsupported_temperature_skips_and_stays_healthy() {
    // no_temperature: GPU 0 has no telemetry.temperature_gpu_c.
    assert_eq!(
        assert_healthy("no_temperature.json", &[]),
        "healthy: 2 GPU(s) OK"
    );
    let (code, rep) = probe_json("no_temperature.json", &[]);
    assert_eq!(code, 0);
    assert_eq!(rep.outcome, "pass");
    let t = rep.gpu(0).check("temperature");
    assert_eq!(t.status, "skip");
    assert_eq!(t.value, None);
    assert!(t.message.contains("not supported"), "{}", t.message);
    assert_eq!(rep.gpu(1).check("temperature").status, "pass");
}

// ------------------------------------------------- CUDA_VISIBLE_DEVICES

#[test]
fn empty_cuda_visible_devices_is_unhealthy() {
    let r = probe_env("two_h100.json", &[], &[("CUDA_VISIBLE_DEVICES", "")]);
    r.assert_code(1);
    assert!(
        r.stdout_line().contains("CUDA_VISIBLE_DEVICES"),
        "{}",
        r.stdout
    );
}

#[test]
fn cuda_visible_devices_narrows_the_probe() {
    let r = probe_env(
        "two_h100.json",
        &["--expect", "1"],
        &[("CUDA_VISIBLE_DEVICES", UUID1)],
    );
    r.assert_code(0);
    assert_eq!(r.stdout_line(), "healthy: 1 GPU(s) OK [SIMULATED GPUs]");
}

#[test]
fn selector_narrows_the_probe_to_the_healthy_gpu() {
    // ecc_error's fault is on GPU 0; probing GPU 1 alone passes.
    assert_eq!(
        assert_healthy("ecc_error.json", &["-i", "1"]),
        "healthy: 1 GPU(s) OK"
    );
    assert_unhealthy("ecc_error.json", &["-i", "0"], &["GPU 0"]);
    let (_, rep) = probe_json("ecc_error.json", &["-i", PCI1]);
    assert_eq!(rep.indices(), vec![1]);
}

#[test]
fn cuda_visible_devices_with_pci_order_picks_the_same_gpu_either_way() {
    // With CUDA_DEVICE_ORDER=PCI_BUS_ID, CUDA ordinal 0 is NVML 0 (the one
    // with the ECC fault) for the fast probe and for --compute alike.
    let env = [
        ("CUDA_VISIBLE_DEVICES", "0"),
        ("CUDA_DEVICE_ORDER", "PCI_BUS_ID"),
    ];
    for args in [&[][..], &["--compute"][..]] {
        let r = probe_env("ecc_error.json", args, &env);
        r.assert_code(1);
        assert!(
            r.stdout_line().contains("GPU 0: 2 uncorrectable"),
            "{args:?}: {}",
            r.stdout
        );
    }
}

#[test]
fn cuda_visible_devices_index_picks_the_gpu_cuda_would_use() {
    // A mixed node: NVML 0 is a slower A100 with an ECC fault, which CUDA
    // (fastest first) numbers 1. CUDA_VISIBLE_DEVICES=0 gives a CUDA program
    // NVML 1, which is healthy: the fast probe must judge that GPU too, as
    // `list` and `probe --compute` do.
    let mut fixture = load_fixture("ecc_error.json");
    fixture["gpus"][0]["name"] = serde_json::json!("NVIDIA A100-SXM4-80GB");
    let dir = tempfile::tempdir().unwrap();
    let path = write_fixture(dir.path(), "mixed.json", &fixture);
    let path = path.as_str();
    let env = [("CUDA_VISIBLE_DEVICES", "0")];
    let list = run_env(path, &["list", "--json"], &env).report();
    assert_eq!(list.indices(), vec![1], "list: CUDA 0 is NVML 1");

    let full = probe_env(path, &["--compute"], &env);
    full.assert_code(0);

    let fast = probe_env(path, &[], &env);
    assert_eq!(
        fast.code, full.code,
        "probe and probe --compute disagree: {:?} vs {:?}",
        fast.stdout, full.stdout
    );
    let r = run_env(path, &["probe", "--json"], &env);
    assert_eq!(r.report().indices(), vec![1], "probe: CUDA 0 is NVML 1");
}

/// Starts `probe` on a hung driver, sends `signal` once it is running, and
/// returns its exit code and stdout.
fn probe_signalled(signal: libc::c_int, extra: &[&str]) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = gpuctl_process("nvml_hang.json")
        .args(["probe", "--timeout", "30s"])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("gpuctl starts");
    // Long enough for the handler to be installed; the hang is 60 s.
    std::thread::sleep(Duration::from_millis(500));
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
            panic!("probe did not end within 2 s of signal {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    (status.code(), stdout)
}

#[test]
fn sigterm_makes_probe_unhealthy_never_143() {
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let (code, stdout) = probe_signalled(signal, &[]);
        assert_eq!(code, Some(1), "signal {signal}: {stdout}");
        assert!(stdout.starts_with("unhealthy: "), "{stdout}");
    }
    let (code, stdout) = probe_signalled(libc::SIGTERM, &["--json"]);
    assert_eq!(code, Some(1));
    let rep = parse_report(&stdout);
    assert_eq!(rep.exit_code, 1);
    assert_eq!(rep.command, "probe");
}
