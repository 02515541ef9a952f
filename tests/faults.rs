//! Injected faults across every command: hung NVML and CUDA calls (short
//! and long, per call and per GPU), refused permissions, readings all
//! skipped, oversized values, a GPU lost mid-run, MIG mode, selections that
//! check nothing. Each case asserts the exit code, a time bound, a valid
//! JSON report, and that no unhealthy or untested GPU is called healthy.
//! Also: Ctrl-C during a hang, and that every command picks the same GPUs
//! for every `CUDA_VISIBLE_DEVICES` value.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

/// One injected fault and what must come of it.
struct Case {
    fixture: &'static str,
    /// The command and its arguments (`--json` and a short
    /// `--call-timeout` are added).
    args: &'static [&'static str],
    code: i32,
    /// Wall-clock bound for the whole run.
    within_ms: u64,
    /// NVML indices that must never be reported healthy.
    bad: &'static [u32],
    /// Whether the run as a whole may pass (exit 0, outcome pass).
    may_pass: bool,
}

const fn case(
    fixture: &'static str,
    args: &'static [&'static str],
    code: i32,
    within_ms: u64,
    bad: &'static [u32],
) -> Case {
    Case {
        fixture,
        args,
        code,
        within_ms,
        bad,
        may_pass: false,
    }
}

/// A case whose run may pass as a whole (no GPU is unhealthy, or the
/// command makes no health claim).
const fn passing(fixture: &'static str, args: &'static [&'static str], within_ms: u64) -> Case {
    Case {
        fixture,
        args,
        code: 0,
        within_ms,
        bad: &[],
        may_pass: true,
    }
}

/// The call bound used by the cases: short, so hangs cost little.
const CALL_TIMEOUT: &str = "600ms";

fn check(c: &Case) {
    let mut args: Vec<&str> = c.args.to_vec();
    args.extend(["--json", "--call-timeout", CALL_TIMEOUT]);
    let started = Instant::now();
    let r = run(c.fixture, &args);
    let took = started.elapsed();
    let what = format!("{} {}", c.fixture, c.args.join(" "));
    assert!(
        took <= Duration::from_millis(c.within_ms),
        "{what}: took {took:?}, bound {} ms",
        c.within_ms
    );
    assert_eq!(r.code, c.code, "{what}: exit code; {r:#?}");
    // --json is one document for every command, burn too.
    let rep = parse_report(&r.stdout);
    let expected = if c.args[0] == "probe" {
        i32::from(rep.exit_code != 0)
    } else {
        rep.exit_code
    };
    assert_eq!(r.code, expected, "{what}: exit is the report's");
    if !c.may_pass {
        assert_ne!(rep.outcome, "pass", "{what}: {rep:#?}");
        assert!(
            !rep.summary.starts_with("healthy"),
            "{what}: {}",
            rep.summary
        );
    }
    if r.code == 0 && rep.outcome == "pass" {
        // A passing run: no GPU in it may carry a FAIL.
        for g in &rep.gpus {
            assert_ne!(g.status.as_deref(), Some("fail"), "{what}: {g:#?}");
        }
    }
    for &i in c.bad {
        let Some(g) = rep.gpus.iter().find(|g| g.index == i) else {
            // Not reported at all: then the run must not pass.
            assert_ne!(rep.outcome, "pass", "{what}: GPU {i} missing");
            continue;
        };
        assert_ne!(
            g.status.as_deref(),
            Some("pass"),
            "{what}: GPU {i} reported healthy: {g:#?}"
        );
        if c.args[0] != "list" {
            assert!(g.status.is_some(), "{what}: GPU {i} has no verdict");
        }
        if c.code == 1 && c.args[0] == "list" {
            assert_eq!(g.status.as_deref(), Some("fail"), "{what}: {g:#?}");
        }
    }
}

fn check_all(cases: &[Case]) {
    for c in cases {
        check(c);
    }
}

// Bounds: one call timeout (600 ms: a simulated call that answers must not
// miss it on 2 busy cores) plus start-up; health adds its compute window,
// burn its 1 s.
const FAST: u64 = 4_000;
const BURN: u64 = 6_000;
/// bench's transfers run on simulated memory (23 verified copies of 1 MiB
/// per GPU for h2d): seconds of CPU in a debug build.
const BENCH: u64 = 30_000;

#[test]
fn long_nvml_hang_on_one_gpu_fails_it_in_every_command() {
    check_all(&[
        case("nvml_hang.json", &["list"], 1, FAST, &[0]),
        case("nvml_hang.json", &["probe"], 1, FAST, &[0]),
        case("nvml_hang.json", &["health"], 1, FAST, &[0]),
        case("nvml_hang.json", &["health", "--no-compute"], 1, FAST, &[0]),
        case("nvml_hang.json", &["burn", "-d", "1s"], 1, BURN, &[0]),
        case("nvml_hang.json", &["probe", "--compute"], 1, FAST, &[0]),
    ]);
}

#[test]
fn short_nvml_hang_longer_than_the_bound_fails_it() {
    check_all(&[
        case("nvml_hang_short.json", &["list"], 1, FAST, &[0]),
        case("nvml_hang_short.json", &["probe"], 1, FAST, &[0]),
        case("nvml_hang_short.json", &["health"], 1, FAST, &[0]),
        case(
            "nvml_hang_short.json",
            &["health", "--no-compute"],
            1,
            FAST,
            &[0],
        ),
        case("nvml_hang_short.json", &["burn", "-d", "1s"], 1, BURN, &[0]),
    ]);
}

#[test]
fn a_short_hang_within_the_bound_is_only_slow() {
    // 2 s hang, 5 s bound: every call answers; the GPU is judged normally.
    let started = Instant::now();
    let r = run(
        "nvml_hang_short.json",
        &[
            "probe",
            "--json",
            "--timeout",
            "10s",
            "--call-timeout",
            "5s",
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(9));
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.gpu(0).status.as_deref(), Some("pass"));
}

#[test]
fn hung_readings_after_a_good_identity_fail_that_gpu_only() {
    check_all(&[
        case("nvml_hang_reads.json", &["list"], 1, FAST, &[1]),
        case("nvml_hang_reads.json", &["probe"], 1, FAST, &[1]),
        case("nvml_hang_reads.json", &["health"], 1, FAST, &[1]),
        case(
            "nvml_hang_reads.json",
            &["health", "--no-compute"],
            1,
            FAST,
            &[1],
        ),
        case("nvml_hang_reads.json", &["burn", "-d", "1s"], 1, BURN, &[1]),
    ]);
    // The other GPU is still judged, and healthy.
    let rep = run(
        "nvml_hang_reads.json",
        &["health", "--json", "--call-timeout", CALL_TIMEOUT],
    )
    .report();
    assert_eq!(rep.gpu(0).status.as_deref(), Some("pass"));
    let c = rep.gpu(1).check("ecc_volatile_uncorrected");
    assert_eq!(c.status, "fail");
    assert!(
        c.message
            .contains(&format!("did not answer within {CALL_TIMEOUT}")),
        "{}",
        c.message
    );
    assert!(
        c.remedy.as_deref().is_some_and(|r| r.contains("drain")),
        "{c:?}"
    );
}

#[test]
fn hung_library_calls_never_pass() {
    check_all(&[
        // NVML init hangs: NVML is unavailable; what needs it fails.
        case("nvml_init_hang.json", &["probe"], 1, FAST, &[0, 1]),
        case("nvml_init_hang.json", &["health"], 1, FAST, &[0, 1]),
        case(
            "nvml_init_hang.json",
            &["health", "--no-compute"],
            3,
            FAST,
            &[0, 1],
        ),
        // Counting GPUs hangs: nothing can be enumerated.
        case("nvml_count_hang.json", &["list"], 3, FAST, &[0, 1]),
        case("nvml_count_hang.json", &["probe"], 1, FAST, &[0, 1]),
        case("nvml_count_hang.json", &["health"], 3, FAST, &[0, 1]),
        case(
            "nvml_count_hang.json",
            &["health", "--no-compute"],
            3,
            FAST,
            &[0, 1],
        ),
        case(
            "nvml_count_hang.json",
            &["burn", "-d", "1s"],
            3,
            FAST,
            &[0, 1],
        ),
        // CUDA enumeration hangs: compute cannot run anywhere.
        case("cuda_hang.json", &["health"], 1, FAST, &[0, 1]),
        case("cuda_hang.json", &["probe", "--compute"], 1, FAST, &[0, 1]),
        case("cuda_hang.json", &["burn", "-d", "1s"], 1, FAST, &[0, 1]),
    ]);
    // A hung driver is not a missing one: no install advice.
    let r = run(
        "nvml_init_hang.json",
        &[
            "health",
            "--json",
            "--no-compute",
            "--call-timeout",
            CALL_TIMEOUT,
        ],
    );
    let message = r.report().error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("driver is hung"), "{message}");
    assert!(!message.contains("Install"), "{message}");
    // An inventory without NVML still lists the GPUs, and says why.
    let r = run(
        "nvml_init_hang.json",
        &["list", "--json", "--call-timeout", CALL_TIMEOUT],
    );
    r.assert_code(0);
    let rep = r.report();
    assert!(
        rep.warnings
            .iter()
            .any(|w| w.contains("did not initialise")),
        "{:?}",
        rep.warnings
    );
}

#[test]
fn a_hung_self_test_is_bounded_by_the_compute_timeout() {
    check_all(&[
        case(
            "cuda_selftest_hang.json",
            &["health", "--compute-timeout", "500ms"],
            1,
            FAST,
            &[0],
        ),
        case(
            "cuda_selftest_hang.json",
            &["probe", "--compute", "--timeout", "1s"],
            1,
            FAST,
            &[],
        ),
        // health holds the GPU's context across its self-test and GEMM: a
        // hang there is bounded the same way and fails the GPU.
        case(
            "cuda_context_hang.json",
            &["health", "--compute-timeout", "500ms"],
            1,
            FAST,
            &[0],
        ),
        // Without compute the hang is never reached.
        passing("cuda_selftest_hang.json", &["health", "--no-compute"], FAST),
        passing("cuda_selftest_hang.json", &["probe"], FAST),
    ]);
}

#[test]
fn no_permission_is_never_healthy() {
    check_all(&[
        case("no_permission.json", &["probe"], 1, FAST, &[0, 1]),
        case("no_permission.json", &["health"], 1, FAST, &[0, 1]),
        case(
            "no_permission.json",
            &["health", "--no-compute"],
            1,
            FAST,
            &[0, 1],
        ),
        // The burn verified its products, but read no telemetry: WARN.
        Case {
            may_pass: false,
            ..case(
                "no_permission.json",
                &["burn", "-d", "1s"],
                0,
                BURN,
                &[0, 1],
            )
        },
        passing("no_permission.json", &["list"], FAST),
    ]);
    let rep = run("no_permission.json", &["health", "--json", "--no-compute"]).report();
    let c = rep.gpu(0).check("coverage");
    assert_eq!(c.status, "fail");
    assert!(c.message.contains("no permission"), "{}", c.message);
    assert!(c.remedy.as_deref().is_some_and(|r| r.contains("root")));
}

#[test]
fn every_reading_skipped_is_never_healthy() {
    check_all(&[
        case("all_skipped.json", &["probe"], 1, FAST, &[0, 1]),
        case("all_skipped.json", &["health"], 0, FAST, &[0, 1]),
        case(
            "all_skipped.json",
            &["health", "--no-compute"],
            0,
            FAST,
            &[0, 1],
        ),
        Case {
            may_pass: false,
            ..case(
                "all_skipped.json",
                &["health", "--fail-on", "warn"],
                1,
                FAST,
                &[0, 1],
            )
        },
        // The burn itself verified every product.
        passing("all_skipped.json", &["burn", "-d", "1s"], BURN),
    ]);
}

#[test]
fn oversized_values_fail_without_overflow() {
    check_all(&[
        passing("oversized.json", &["list"], FAST),
        case("oversized.json", &["probe"], 1, FAST, &[1]),
        case("oversized.json", &["health"], 1, FAST, &[1]),
        case("oversized.json", &["health", "--no-compute"], 1, FAST, &[1]),
        case("oversized.json", &["burn", "-d", "1s"], 1, BURN, &[1]),
    ]);
    let rep = run("oversized.json", &["health", "--json", "--no-compute"]).report();
    let g = rep.gpu(1);
    assert_eq!(g.check("temperature").status, "fail");
    assert_eq!(
        g.check("ecc_volatile_uncorrected").value,
        Some(serde_json::json!(u64::MAX))
    );
    assert_eq!(rep.gpu(0).status.as_deref(), Some("pass"));
}

#[test]
fn a_gpu_lost_mid_run_fails() {
    check_all(&[
        // health samples telemetry under load: the GPU goes away meanwhile.
        case("lost_mid_run.json", &["health"], 1, FAST, &[1]),
        case("lost_mid_run.json", &["burn", "-d", "1s"], 1, BURN, &[1]),
        // NVML says the GPU is gone while (or just after) the work ran: the
        // work's own checks may pass, the GPU may not.
        case(
            "lost_mid_run.json",
            &["memtest", "-d", "1s", "--patterns", "zeros-ones"],
            1,
            BURN,
            &[1],
        ),
        case(
            "lost_mid_run.json",
            &["bench", "--tests", "h2d"],
            1,
            BENCH,
            &[1],
        ),
        // health --no-compute reads telemetry once, last: before the loss,
        // but the XID watch sees the GPU gone by its end (issue 19: it is
        // not called watched).
        case(
            "lost_mid_run.json",
            &["health", "--no-compute"],
            1,
            FAST,
            &[1],
        ),
        case("lost_gpu.json", &["list"], 1, FAST, &[1]),
        case("lost_gpu.json", &["probe"], 1, FAST, &[1]),
    ]);
}

#[test]
fn checks_that_did_not_run_are_never_healthy() {
    check_all(&[
        // Deselecting the failing required check: WARN, not healthy.
        Case {
            may_pass: false,
            ..case(
                "ecc_error.json",
                &["health", "--skip", "ecc_volatile_uncorrected"],
                0,
                FAST,
                &[0],
            )
        },
        // MIG mode: burn cannot test the whole GPU; FAIL (issue 19), never
        // PASS, as memtest and bench.
        case("mig.json", &["burn", "-d", "1s"], 1, BURN, &[0]),
    ]);
    // Selecting nothing is a usage error, not a healthy report.
    let r = run(
        "ecc_error.json",
        &["health", "--json", "--checks", "xid", "--skip", "xid"],
    );
    r.assert_code(2);
    assert_eq!(r.report().outcome, "error");
}

#[test]
fn the_default_call_timeout_bounds_a_long_hang() {
    let started = Instant::now();
    let r = run("nvml_hang.json", &["list", "--json"]);
    let took = started.elapsed();
    r.assert_code(1);
    assert!(
        took >= Duration::from_millis(4_900) && took < Duration::from_secs(9),
        "default bound is 5 s: {took:?}"
    );
    let rep = r.report();
    let on_bus = rep.gpu(0).check("on_bus");
    assert!(on_bus.message.contains("within 5s"), "{}", on_bus.message);
}

#[test]
fn call_timeout_out_of_range_is_a_usage_error() {
    for bad in ["0s", "99ms", "11m", "x"] {
        let r = run("two_h100.json", &["list", "--json", "--call-timeout", bad]);
        r.assert_code(2);
        let rep = r.report();
        assert!(
            rep.error.unwrap().message.contains(bad),
            "names the value {bad}"
        );
    }
}

/// Spawns gpuctl with SIGINT at its default (a test harness may have it
/// ignored), signals it after `after`, and returns (exit code, seconds
/// from the signal to the exit, stdout).
fn interrupt(fixture: &str, args: &[&str], after: Duration) -> (Option<i32>, f64, String) {
    interrupt_with(libc::SIGINT, fixture, args, after)
}

/// [`interrupt`] with `signal`.
fn interrupt_with(
    signal: libc::c_int,
    fixture: &str,
    args: &[&str],
    after: Duration,
) -> (Option<i32>, f64, String) {
    let mut cmd = gpuctl_process(fixture);
    cmd.args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    // SAFETY: only async-signal-safe libc calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("gpuctl starts");
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    std::thread::sleep(after);
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
    // SAFETY: kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let sent = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if sent.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gpuctl {args:?} still running 5 s after signal {signal}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = sent.elapsed().as_secs_f64();
    (status.code(), took, reader.join().unwrap_or_default())
}

#[test]
fn sigint_during_a_hang_exits_within_two_seconds() {
    for args in [
        &["list", "--json"][..],
        &["health", "--json"][..],
        &[
            "probe",
            "--json",
            "--timeout",
            "30s",
            "--call-timeout",
            "20s",
        ][..],
    ] {
        let (_, took, _) = interrupt("nvml_hang.json", args, Duration::from_millis(500));
        assert!(took < 2.0, "{args:?}: {took:.2} s after SIGINT");
    }
    // burn handles the signal: the hung telemetry read is abandoned and the
    // partial report comes out.
    let (code, took, out) = interrupt(
        "nvml_hang_reads.json",
        &["burn", "-d", "30s", "--json", "--call-timeout", "20s"],
        Duration::from_millis(1500),
    );
    assert!(took < 2.0, "burn: {took:.2} s after SIGINT");
    assert_eq!(code, Some(130));
    let rep = parse_report(&out);
    assert_eq!(rep.outcome, "interrupted");
    // A CUDA call stuck where no bound reaches (burn set-up): the watchdog
    // still ends the run within 2 s.
    let (code, took, _) = interrupt(
        "cuda_selftest_hang.json",
        &["burn", "-d", "30s", "--json"],
        Duration::from_millis(1000),
    );
    assert!(took < 2.2, "stuck burn: {took:.2} s after SIGINT");
    assert_eq!(code, Some(130));
}

#[test]
fn a_stop_while_enumeration_hangs_still_reports_and_exits_130() {
    // NVML's device count hangs: SIGTERM (Kubernetes, systemd) and SIGINT
    // arrive before any GPU is known. Every command but probe answers with
    // a valid report saying no GPU was reached, and 130 (not a silent 143).
    for (signal, args) in [
        (
            libc::SIGTERM,
            &["list", "--json", "--call-timeout", "30s"][..],
        ),
        (
            libc::SIGINT,
            &["list", "--json", "--call-timeout", "30s"][..],
        ),
        (
            libc::SIGTERM,
            &["health", "--json", "--call-timeout", "30s"][..],
        ),
        (
            libc::SIGTERM,
            &["burn", "-d", "30s", "--json", "--call-timeout", "30s"][..],
        ),
        (
            libc::SIGTERM,
            &["memtest", "--json", "--call-timeout", "30s"][..],
        ),
    ] {
        let (code, took, out) = interrupt_with(
            signal,
            "nvml_count_hang.json",
            args,
            Duration::from_millis(500),
        );
        assert_eq!(code, Some(130), "{args:?} signal {signal}: {out}");
        assert!(took < 2.2, "{args:?}: {took:.2} s after the signal");
        // --json is one document for every command (issue 24).
        let rep = parse_report(&out);
        assert_eq!(rep.outcome, "interrupted", "{args:?}: {out}");
        assert_eq!(rep.exit_code, 130);
        assert!(rep.gpus.is_empty());
        assert!(
            rep.warnings
                .iter()
                .any(|w| w.contains("no GPU was reached")),
            "{args:?}: {:?}",
            rep.warnings
        );
    }
}

// ------------------------------------------ CUDA_VISIBLE_DEVICES agreement

/// The sorted UUIDs `args` reports under `env`, or the exit code of an error.
fn picked(fixture: &str, args: &[&str], env: &[(&str, &str)]) -> Result<BTreeSet<String>, i32> {
    let mut all = args.to_vec();
    all.push("--json");
    let r = run_env(fixture, &all, env);
    let rep = parse_report(&r.stdout);
    if rep.outcome == "error" {
        return Err(rep
            .error
            .map_or(0, |e| if e.kind == "usage" { 2 } else { 3 }));
    }
    Ok(rep.gpus.iter().filter_map(|g| g.uuid.clone()).collect())
}

#[test]
fn every_command_picks_the_same_gpus_for_every_cuda_visible_devices() {
    const SPECS: [&str; 16] = [
        "0",
        "1",
        "2",
        "0,1",
        "1,0",
        "-1",
        "0,0",
        "1,7,0",
        "",
        "GPU-9f8e",
        "GPU-1a2b",
        "GPU-1a2b,1",
        "1,GPU-1a2b",
        "GPU-",
        "garbage",
        "MIG-11111111",
    ];
    for fixture in [
        "two_h100.json",
        "lost_gpu.json",
        "mig.json",
        "shared_prefix.json",
    ] {
        for order in [None, Some("PCI_BUS_ID"), Some("FASTEST_FIRST")] {
            for spec in SPECS {
                let mut env = vec![("CUDA_VISIBLE_DEVICES", spec)];
                if let Some(o) = order {
                    env.push(("CUDA_DEVICE_ORDER", o));
                }
                // `list` enumerates through CUDA (as health and burn do);
                // probe and health --no-compute take the NVML-only path.
                let reference = picked(fixture, &["list"], &env);
                for args in [&["probe"][..], &["health", "--no-compute"][..]] {
                    let got = picked(fixture, args, &env);
                    let (a, b) = (
                        reference.as_ref().map_err(|_| ()),
                        got.as_ref().map_err(|_| ()),
                    );
                    assert_eq!(
                        a, b,
                        "{fixture} CUDA_VISIBLE_DEVICES={spec:?} order {order:?}: list vs {args:?}"
                    );
                }
            }
        }
    }
    // health (with compute) and burn enumerate like list: spot-check them.
    let env = [("CUDA_VISIBLE_DEVICES", "1")];
    let want = picked("two_h100.json", &["list"], &env);
    assert_eq!(
        want,
        Ok(BTreeSet::from([UUID0.to_string()])),
        "CUDA ordinal 1 is NVML 0 here"
    );
    assert_eq!(picked("two_h100.json", &["health"], &env), want);
    assert_eq!(
        picked("two_h100.json", &["burn", "-d", "300ms"], &env),
        want
    );
    assert_eq!(picked("two_h100.json", &["probe"], &env), want);
}

#[test]
fn a_hung_xid_watch_is_never_a_clean_xid_check() {
    let f = variant(|f| {
        f["gpus"][1]["hang_ms"] = serde_json::json!(60_000);
        f["gpus"][1]["hang_calls"] = serde_json::json!(["watch_xids"]);
    });
    let started = Instant::now();
    let r = run(
        f.path(),
        &[
            "health",
            "--json",
            "--no-compute",
            "--call-timeout",
            CALL_TIMEOUT,
        ],
    );
    assert!(started.elapsed() < Duration::from_millis(FAST));
    let rep = r.report();
    assert_eq!(rep.outcome, "warn", "{rep:#?}");
    for g in &rep.gpus {
        // A watch that failed is unverified (issue 19): SKIP, and the
        // fail-closed rule's coverage WARNs.
        let x = g.check("xid");
        assert_eq!(x.status, "skip");
        assert!(x.message.contains("watch_xids"), "{}", x.message);
        assert_eq!(g.check("coverage").status, "warn", "{g:#?}");
    }
}

#[test]
fn a_gpu_whose_identity_read_hangs_is_counted_once() {
    // GPU 0's NVML identity call hangs; CUDA still lists it. It is one GPU
    // (named from CUDA, failed as hung), never also a CUDA-only phantom
    // that could pass.
    let rep = run(
        "nvml_hang.json",
        &["list", "--json", "--call-timeout", CALL_TIMEOUT],
    )
    .report();
    assert_eq!(rep.indices(), [0, 1], "{rep:#?}");
    assert_eq!(
        rep.gpu(0).uuid.as_deref(),
        Some("GPU-1a2b3c4d-0000-1111-2222-333344445555")
    );
    assert_eq!(rep.gpu(0).status.as_deref(), Some("fail"));
    let r = run(
        "nvml_hang.json",
        &["burn", "-d", "1s", "--json", "--call-timeout", CALL_TIMEOUT],
    );
    let rep = parse_report(&r.stdout);
    assert_eq!(rep.indices(), [0, 1], "{rep:#?}");
    assert_ne!(rep.gpu(0).status.as_deref(), Some("pass"));
}
