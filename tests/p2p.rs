//! `gpuctl p2p` end to end on the simulated backend: every exit code, the
//! topology kinds, peer access, a dropped copy in one pair, a lost, hung
//! and panicking GPU (their pairs fail, the rest still run), Ctrl-C,
//! `--enable-only`, one GPU, CUDA_VISIBLE_DEVICES, and the JSON contract on
//! errors.
//!
//! The p2p workload runs on simulated GPUs (`gpus[].compute`): its copies
//! really move simulated memory, its verify kernel really checks it, and
//! its bandwidth is its bytes over the simulated clock (bytes at the
//! fixture's `peer_gbps`, plus `kernel_spacing_us` per operation).

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn p2p_of(r: &Report) -> &P2p {
    r.p2p.as_ref().expect("a p2p section")
}

/// `base` with `compute` settings merged into the GPUs' (by position).
fn with_compute(base: &str, gpus: &[(usize, Value)]) -> Variant {
    variant_of(base, |f| {
        for (gpu, settings) in gpus {
            for (k, v) in settings.as_object().unwrap() {
                f["gpus"][*gpu]["compute"][k] = v.clone();
            }
        }
    })
}

/// `common::run_env` with every simulated GPU of the shipped 2 MiB given
/// the simulator's default 16 MiB: room for p2p's buffers (a test's own
/// size stays). Two 1 MiB buffers and the scratch do not fit in 2 MiB, and
/// p2p's copies never go below 1 MiB, so every pair would fail allocating.
fn run_env(fixture: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let sized = fixture_variant(dir.path(), fixture, "sized.json", |f| {
        if let Some(gpus) = f["gpus"].as_array_mut() {
            for g in gpus {
                if g["compute"]["memory_bytes"].as_u64() == Some(2 << 20) {
                    g["compute"]["memory_bytes"] = json!(SIM_MEMORY);
                }
            }
        }
    });
    common::run_env(&sized, args, env)
}

/// [`run_env`] with no extra environment.
fn run(fixture: &str, args: &[&str]) -> Run {
    run_env(fixture, args, &[])
}

/// The memory [`run`] gives each simulated GPU.
const SIM_MEMORY: u64 = 16 << 20;

/// Copies of 1 MiB, two timed each: quick on simulated memory.
const QUICK: [&str; 4] = ["--size-mib", "1", "--repeats", "2"];

/// `p2p --json` with [`QUICK`] copies and `extra` arguments.
fn p2p(fixture: &str, extra: &[&str]) -> Run {
    let mut args = vec!["p2p", "--json"];
    args.extend(QUICK);
    args.extend(extra);
    run(fixture, &args)
}

/// What a copy of `bytes` measures on a simulated GPU: its bytes over the
/// simulated time, `bytes` at `gbps` plus the fixtures' kernel spacing
/// (0.01 us).
fn sim_gbps(bytes: f64, gbps: f64) -> f64 {
    bytes / (bytes / gbps + 10.0)
}

const MIB: f64 = 1048576.0;

#[test]
fn two_nvlink_gpus_pass_with_every_measurement() {
    let r = p2p("two_h100.json", &[]);
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.command, "p2p");
    assert_eq!(rep.outcome, "pass");
    let p2p = p2p_of(&rep);
    assert!(!p2p.enable_only);
    assert_eq!(p2p.size_bytes, Some(1 << 20));
    // 1 MiB at the fixture's 390 GB/s: 388.6 GB/s with the spacing.
    let one_way = sim_gbps(MIB, 390.0);
    assert_eq!(p2p.concurrency, 1);
    assert_eq!(p2p.pairs.len(), 2);
    for (from, to) in [(0, 1), (1, 0)] {
        let p = p2p.pair(from, to);
        assert_eq!(p.status, "pass", "{p:#?}");
        assert_eq!(p.link.as_deref(), Some("nvlink"));
        assert_eq!((p.nvlinks, p.nvlink_version), (Some(18), Some(4)));
        assert_eq!(p.expected_gbps, Some(450.0));
        assert_eq!(p.peer_access_enabled, Some(true));
        let ce = p.ce_gbps.unwrap();
        assert!((ce - one_way).abs() <= 0.05, "{ce} vs {one_way}");
        // Both ways at once: the two copies overlap, twice the bytes.
        let both = p.ce_both_gbps.unwrap();
        assert!((both - 2.0 * one_way).abs() <= 0.1, "{both}");
        assert!(p.sm_gbps.is_some() && p.sm_both_gbps.is_some());
        assert!(p.copy_latency_us.is_some() && p.pingpong_us.is_some());
        // Verified on the receiving GPU: the one-way and both-ways copies
        // of the copy engine and of the SM kernel, 1 MiB each.
        assert_eq!(p.words_verified, 4 * (1 << 20) / 8);
        assert_eq!(p.mismatches, 0);
        assert_eq!(
            p.checks.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            [
                "p2p_topology",
                "p2p_peer_access",
                "p2p_integrity",
                "p2p_bandwidth",
                "p2p_latency"
            ]
        );
        assert_eq!(p.check("p2p_topology").value, Some(json!("NV18")));
        assert_eq!(p.check("p2p_bandwidth").threshold, Some(json!(360.0)));
    }
    // Pairs are named by NVML index and UUID.
    assert_eq!(p2p.pair(0, 1).from.uuid.as_deref(), Some(UUID0));
    assert_eq!(p2p.pair(0, 1).to.uuid.as_deref(), Some(UUID1));
}

#[test]
fn the_table_shows_matrices_and_the_verdict() {
    let r = run(
        "two_h100.json",
        &["p2p", "--size-mib", "1", "--repeats", "1"],
    );
    r.assert_code(0);
    for text in [
        "Topology",
        "NV18",
        "Copy engine GB/s, one way",
        "both ways",
        "SM copy GB/s",
        "Latency us",
        "Verdict",
        "PASS",
        "p2p passed: 2 ordered pairs",
    ] {
        assert!(r.stdout.contains(text), "{text} missing:\n{}", r.stdout);
    }
}

#[test]
fn one_gpu_has_no_pairs_warns_and_exits_zero() {
    let r = run("two_h100.json", &["p2p", "-i", "0", "--json"]);
    r.assert_code(0);
    let rep = r.report();
    assert!(p2p_of(&rep).pairs.is_empty());
    assert!(rep.summary.contains("no pairs"), "{}", rep.summary);
    // Nothing tested is never a pass (the fail-closed rule).
    assert_eq!(rep.outcome, "warn");
    assert_eq!(host_check(&rep, "p2p_pairs").status, "warn");
    let r = run("two_h100.json", &["p2p", "-i", "1"]);
    r.assert_code(0);
    assert!(r.stdout.contains("no pairs"), "{}", r.stdout);
}

#[test]
fn injected_corruption_fails_only_that_direction() {
    for (a, b) in [(0u32, 1u32), (1, 0)] {
        let arg = format!("{a}:{b}");
        let r = p2p("two_h100.json", &["--inject-corruption", &arg]);
        r.assert_code(1);
        let rep = r.report();
        assert_eq!(rep.outcome, "fail");
        let p2p = p2p_of(&rep);
        assert_eq!(p2p.with_status("fail"), [(a, b)], "{arg}");
        assert_eq!(p2p.with_status("pass"), [(b, a)], "{arg}");
        let bad = p2p.pair(a, b);
        assert_eq!(bad.mismatches, 1);
        let c = bad.check("p2p_integrity");
        assert_eq!(c.status, "fail");
        assert!(c.message.contains("copy engine 1"), "{}", c.message);
        assert!(c.remedy.as_deref().unwrap_or("").contains("RMA"));
        assert!(rep.summary.contains(&format!("{a}->{b} (p2p_integrity)")));
    }
}

#[test]
fn a_dropped_copy_fails_its_direction_alone_among_four() {
    // GPU 1 measures (1, 2) in the first round and (1, 3) in the second,
    // the first GPU of both. Per pair it issues, with --repeats 1: 3
    // one-way copies (2 warm-ups, 1 timed), 3 both ways and 500 latency
    // copies. Copy 506 + 3 is the timed copy from GPU 1 to GPU 3: dropped,
    // it leaves GPU 3's cleared destination empty.
    let v = with_compute(
        "four_h100_nvswitch.json",
        &[(1, json!({ "drop_copy_at": 2 * 3 + 500 + 3 }))],
    );
    let r = run(
        v.path(),
        &["p2p", "--json", "--size-mib", "1", "--repeats", "1"],
    );
    r.assert_code(1);
    let rep = r.report();
    let p2p = p2p_of(&rep);
    assert_eq!(p2p.pairs.len(), 12);
    assert_eq!(p2p.concurrency, 2);
    assert_eq!(p2p.with_status("fail"), [(1, 3)]);
    // Every word of the copy is missing, and only the copy engine's.
    let bad = p2p.pair(1, 3);
    assert_eq!(bad.mismatches, (1 << 20) / 8);
    let c = bad.check("p2p_integrity");
    assert!(
        c.message.contains("copy engine 131072, SM kernel 0"),
        "{}",
        c.message
    );
    assert!(
        rep.summary.contains("1->3 (p2p_integrity)"),
        "{}",
        rep.summary
    );
    assert_eq!(p2p.with_status("pass").len(), 11);
    assert!(p2p
        .pairs
        .iter()
        .all(|p| p.link.as_deref() == Some("nvswitch")));
}

#[test]
fn every_round_finds_the_memory_the_last_round_used_free_again() {
    // Asked for more than fits, each pair's copies shrink to 40% of the
    // free memory over two buffers. A pair's buffers end with its
    // contexts (a primary context stays held across pairs, its buffers do
    // not), so every pair of every round finds all of it free again: 3
    // MiB copies out of 16 MiB, in the third round as in the first.
    let r = run(
        "four_h100_nvswitch.json",
        &["p2p", "--json", "--size-mib", "64", "--repeats", "1"],
    );
    r.assert_code(0);
    let rep = r.report();
    let p2p = p2p_of(&rep);
    assert_eq!(p2p.pairs.len(), 12);
    assert_eq!(p2p.with_status("pass").len(), 12);
    let copy = (SIM_MEMORY as f64 * 0.4 / 2.0) as u64 >> 20 << 20;
    assert_eq!(copy, 3 << 20);
    // The summary keeps the size asked for; each pair says what it copied.
    assert_eq!(p2p.size_bytes, Some(64 << 20));
    // Verified on the receiver: one way and both ways, by the copy engine
    // and by the SM kernel.
    for p in &p2p.pairs {
        assert_eq!(p.copy_bytes, Some(copy), "{}->{}", p.from.index, p.to.index);
        assert_eq!(
            p.words_verified,
            4 * copy / 8,
            "{}->{}",
            p.from.index,
            p.to.index
        );
    }
}

#[test]
fn eight_gpus_through_nvswitch_run_four_pairs_at_once() {
    let quick = ["p2p", "--size-mib", "1", "--repeats", "1"];
    let r = run(
        "eight_h100_nvswitch.json",
        &[&quick[..], &["--json"]].concat(),
    );
    r.assert_code(0);
    let rep = r.report();
    let p2p = p2p_of(&rep);
    assert_eq!(p2p.pairs.len(), 56);
    assert_eq!(p2p.concurrency, 4);
    assert_eq!(p2p.with_status("pass").len(), 56);
    let r = run("eight_h100_nvswitch.json", &quick);
    r.assert_code(0);
    assert!(r.stdout.contains("NVS18") && r.stdout.contains("GPU7"));
    // The matrices fit 80 columns through a pipe; narrower, each sending
    // GPU becomes a record that still fits.
    assert!(
        r.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        r.stdout
    );
    let r = run_env("eight_h100_nvswitch.json", &quick, &[("COLUMNS", "40")]);
    r.assert_code(0);
    assert!(
        r.stdout.lines().all(|l| l.chars().count() <= 40),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("GPU0  ->1 NVS18"), "{}", r.stdout);
}

#[test]
fn no_peer_access_fails_over_nvlink_and_warns_over_pcie() {
    // Each GPU's driver refuses to map the other (CUDA ordinals).
    let refused = [
        (0, json!({ "no_peer_access": [1] })),
        (1, json!({ "no_peer_access": [0] })),
    ];
    let v = with_compute("two_h100.json", &refused);
    let r = p2p(v.path(), &[]);
    r.assert_code(1);
    let rep = r.report();
    for p in &p2p_of(&rep).pairs {
        let c = p.check("p2p_peer_access");
        assert_eq!(c.status, "fail", "{c:#?}");
        assert!(c.message.contains("NVLink"), "{}", c.message);
        assert!(c.remedy.as_deref().unwrap_or("").contains("fabricmanager"));
        assert_eq!(p.peer_access_enabled, Some(false));
        assert_eq!(p.can_access_peer, Some(false));
        // Copies still ran (staged) and were verified; no SM kernel ran.
        assert!(p.ce_gbps.is_some() && p.sm_gbps.is_none());
        assert_eq!(p.check("p2p_integrity").status, "pass");
    }
    let v = with_compute("pcie_pair.json", &refused);
    let r = p2p(v.path(), &[]);
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.outcome, "warn");
    for p in &p2p_of(&rep).pairs {
        assert_eq!(p.check("p2p_peer_access").status, "warn");
    }
}

#[test]
fn a_pcie_pair_is_judged_against_its_generation_and_width() {
    let r = p2p("pcie_pair.json", &[]);
    r.assert_code(0);
    let rep = r.report();
    let p = p2p_of(&rep).pair(0, 1);
    // The fixture's 50 GB/s, over the simulated clock.
    let ce = p.ce_gbps.unwrap();
    assert!((ce - sim_gbps(MIB, 50.0)).abs() <= 0.05, "{ce}");
    assert_eq!(p.link.as_deref(), Some("pcie_switch"));
    assert_eq!(p.nvlinks, Some(0));
    // Gen5 x16: 3.938 GB/s per lane x 16 x 0.9.
    assert_eq!(p.expected_gbps, Some(56.7));
    assert_eq!(p.check("p2p_topology").value, Some(json!("PIX")));
    assert_eq!(p.check("p2p_bandwidth").status, "pass");
    let r = run(
        "pcie_pair.json",
        &["p2p", "--size-mib", "1", "--repeats", "1"],
    );
    assert!(r.stdout.contains("PIX"), "{}", r.stdout);
}

#[test]
fn slow_links_warn_and_fail_below_the_floor() {
    // Both GPUs copy to their peer at 200 GB/s.
    let slow = json!({ "peer_gbps": 200.0 });
    let v = with_compute("two_h100.json", &[(0, slow.clone()), (1, slow)]);
    let r = p2p(v.path(), &[]);
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.outcome, "warn");
    let c = p2p_of(&rep).pair(0, 1).check("p2p_bandwidth").clone();
    assert_eq!(c.status, "warn");
    let gbps = c.value.and_then(|v| v.as_f64()).unwrap();
    assert!((gbps - sim_gbps(MIB, 200.0)).abs() <= 0.05, "{gbps}");
    let r = p2p(v.path(), &["--min-bandwidth", "300"]);
    r.assert_code(1);
    let c = p2p_of(&r.report())
        .pair(1, 0)
        .check("p2p_bandwidth")
        .clone();
    assert_eq!(c.status, "fail");
    assert_eq!(c.threshold, Some(json!(300.0)));
    // --warn-below 0% never warns.
    let r = p2p(v.path(), &["--warn-below", "0%"]);
    r.assert_code(0);
    assert_eq!(r.report().outcome, "pass");
}

#[test]
fn a_lost_a_hung_and_a_panicking_gpu_fail_their_pairs_and_the_rest_run() {
    // Rounds of four GPUs: (0,3) (1,2), then (0,2) (1,3), then (0,1)
    // (2,3). GPU 0 falls off the bus at its first call (every pair of it
    // fails); GPU 2's first call never returns (in (1,2)) and GPU 3's
    // first call panics (in (1,3), its first pair after GPU 0's error):
    // each once, so (2,3) still runs and passes.
    let v = with_compute(
        "four_h100_nvswitch.json",
        &[
            (0, json!({ "lost_at_call": 1 })),
            (2, json!({ "hang_at_call": 1 })),
            (3, json!({ "panic_at_call": 1 })),
        ],
    );
    // The timeout leaves a loaded CI machine time for the simulated copies.
    let started = Instant::now();
    let r = p2p(v.path(), &["--timeout", "10s"]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    r.assert_code(1);
    let rep = r.report();
    let p2p = p2p_of(&rep);
    let mut failed = p2p.with_status("fail");
    failed.sort_unstable();
    assert_eq!(
        failed,
        [
            (0, 1),
            (0, 2),
            (0, 3),
            (1, 0),
            (1, 2),
            (1, 3),
            (2, 0),
            (2, 1),
            (3, 0),
            (3, 1)
        ],
        "{p2p:#?}"
    );
    assert_eq!(p2p.with_status("pass"), [(2, 3), (3, 2)]);
    let e = p2p.pair(1, 0).error.clone().unwrap_or_default();
    assert!(
        e.contains("GPU 0: ") && e.contains("CUDA_ERROR_UNKNOWN"),
        "{e}"
    );
    let e = p2p.pair(3, 1).error.clone().unwrap_or_default();
    assert!(e.contains("crashed"), "{e}");
    let e = p2p.pair(2, 1).error.clone().unwrap_or_default();
    assert!(e.contains("no answer"), "{e}");
    assert!(!r.stderr.contains("internal error"), "{}", r.stderr);
}

#[test]
fn enable_only_checks_peer_access_and_copies_nothing() {
    let r = run(
        "four_h100_nvswitch.json",
        &["p2p", "--enable-only", "--json"],
    );
    r.assert_code(0);
    let rep = r.report();
    let p2p = p2p_of(&rep);
    assert!(p2p.enable_only);
    assert_eq!(p2p.size_bytes, None);
    for p in &p2p.pairs {
        assert_eq!(p.peer_access_enabled, Some(true));
        assert_eq!(p.ce_gbps, None);
        assert_eq!(p.words_verified, 0);
        assert_eq!(
            p.checks.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["p2p_topology", "p2p_peer_access"]
        );
    }
    let v = with_compute(
        "four_h100_nvswitch.json",
        &[
            (0, json!({ "no_peer_access": [3] })),
            (3, json!({ "no_peer_access": [0] })),
        ],
    );
    let r = run(v.path(), &["p2p", "--enable-only", "--json"]);
    r.assert_code(1);
    assert_eq!(p2p_of(&r.report()).with_status("fail"), [(0, 3), (3, 0)]);
    let r = run(v.path(), &["p2p", "--enable-only"]);
    r.assert_code(1);
    assert!(r.stdout.contains("Peer access") && r.stdout.contains("OFF"));
    assert!(!r.stdout.contains("Copy engine"));
}

#[test]
fn cuda_visible_devices_renumbers_cuda_but_pairs_keep_nvml_names() {
    let r = p2p("two_h100.json", &[]);
    let rep = r.report();
    assert_eq!(p2p_of(&rep).pair(0, 1).from.cuda_index, Some(1));
    let r = run_env(
        "two_h100.json",
        &[&["p2p", "--json"][..], &QUICK].concat(),
        &[("CUDA_VISIBLE_DEVICES", &format!("{UUID0},{UUID1}"))],
    );
    r.assert_code(0);
    let rep = r.report();
    let p = p2p_of(&rep).pair(0, 1);
    assert_eq!((p.from.cuda_index, p.to.cuda_index), (Some(0), Some(1)));
    assert_eq!(p.from.uuid.as_deref(), Some(UUID0));
    // A GPU hidden from CUDA is not selected: one GPU left, no pairs.
    let r = run_env(
        "two_h100.json",
        &["p2p", "--json"],
        &[("CUDA_VISIBLE_DEVICES", UUID1)],
    );
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.indices(), [1]);
    assert!(p2p_of(&rep).pairs.is_empty());
}

#[test]
fn a_gpu_cuda_cannot_use_fails_its_pairs_with_why() {
    // GPU 1 in MIG mode: CUDA sees only its instances, not the whole GPU.
    let v = variant(|f| {
        f["gpus"][1]["cuda"]["mig_uuids"] = json!(["MIG-11111111-2222-3333-4444-555555555555"]);
    });
    let r = p2p(v.path(), &[]);
    r.assert_code(1);
    let rep = r.report();
    let p2p = p2p_of(&rep);
    assert_eq!(p2p.pairs.len(), 2);
    for p in &p2p.pairs {
        assert_eq!(p.status, "fail");
        assert!(p.error.as_deref().unwrap_or("").contains("MIG"), "{p:#?}");
    }
}

#[test]
fn usage_and_environment_errors_keep_the_json_contract() {
    for args in [
        &["p2p", "--json", "--inject-corruption", "0:0"][..],
        &["p2p", "--json", "--inject-corruption", "1"][..],
        &["p2p", "--json", "--size-mib", "0"][..],
        &["p2p", "--json", "--warn-below", "101%"][..],
        &["p2p", "--json", "--min-bandwidth", "-1"][..],
        &["p2p", "--json", "--repeats", "1001"][..],
    ] {
        let r = run("two_h100.json", args);
        r.assert_code(2);
        let rep = r.report();
        assert_eq!(rep.command, "p2p", "{args:?}");
        assert_eq!(rep.error.as_ref().map(|e| e.kind.as_str()), Some("usage"));
    }
    let r = run(
        "two_h100.json",
        &["p2p", "--json", "-i", "0", "--inject-corruption", "0:1"],
    );
    r.assert_code(2);
    assert!(r.report().summary.contains("not selected"));
    let r = run("no_cuda.json", &["p2p", "--json"]);
    r.assert_code(3);
    let rep = r.report();
    assert_eq!(rep.outcome, "error");
    assert!(rep.summary.contains("CUDA"), "{}", rep.summary);
    let r = run("no_driver.json", &["p2p", "--json"]);
    r.assert_code(3);
    r.report();
}

#[test]
fn nvml_without_topology_skips_the_topology_check_only() {
    let v = variant(|f| {
        f["p2p"]["link"] = Value::Null;
    });
    let r = p2p(v.path(), &[]);
    r.assert_code(0);
    let rep = r.report();
    let p = p2p_of(&rep).pair(0, 1);
    assert_eq!(p.link, None);
    assert_eq!(p.expected_gbps, None);
    assert_eq!(p.check("p2p_topology").status, "skip");
    assert_eq!(p.check("p2p_integrity").status, "pass");
    assert_eq!(p.check("p2p_bandwidth").status, "pass");
}

#[test]
fn a_hung_topology_read_fails_the_pair_not_passes_it() {
    // NVML's link query hangs on GPU 0: the bandwidth has nothing to be
    // judged against, so the pair is not healthy.
    let v = variant(|f| {
        f["gpus"][0]["hang_ms"] = json!(5000);
        f["gpus"][0]["hang_calls"] = json!(["p2p_link"]);
    });
    let r = run(
        v.path(),
        &[&["--call-timeout", "300ms", "p2p", "--json"][..], &QUICK].concat(),
    );
    r.assert_code(1);
    let rep = r.report();
    let p = p2p_of(&rep).pair(0, 1);
    let c = p.check("p2p_topology");
    assert_eq!(c.status, "fail", "{c:#?}");
    assert!(c.message.contains("p2p_link"), "{}", c.message);
}

#[test]
fn ctrl_c_prints_a_partial_report_and_exits_130() {
    // GPU 0's first call never returns: its pair of the first round
    // hangs (under the default 120 s timeout) while (1, 2) finishes (peer
    // access only: quick, whatever the machine's load).
    let v = with_compute(
        "four_h100_nvswitch.json",
        &[(0, json!({ "hang_at_call": 1 }))],
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gpuctl"))
        .env("GPUCTL_SIMULATE", v.path())
        .env_remove("CUDA_VISIBLE_DEVICES")
        .env_remove("CUDA_DEVICE_ORDER")
        .args(["p2p", "--json", "--enable-only"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gpuctl starts");
    std::thread::sleep(Duration::from_millis(1500));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let sent = Instant::now();
    let status = child.wait().expect("gpuctl exits");
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(status.code(), Some(130));
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let rep = parse_report(&out);
    assert_eq!(rep.outcome, "interrupted");
    assert_eq!(rep.exit_code, 130);
    let p2p = p2p_of(&rep);
    assert_eq!(p2p.pairs.len(), 12);
    // The pair that finished passed; the hung one was interrupted and the
    // rest never ran: warnings, not failures.
    assert_eq!(p2p.with_status("pass"), [(1, 2), (2, 1)], "{p2p:#?}");
    assert!(p2p.with_status("fail").is_empty(), "{p2p:#?}");
    assert_eq!(p2p.with_status("warn").len(), 10);
}
