//! `gpuctl p2p` end to end on the simulated backend: every exit code, the
//! topology kinds, peer access, corruption of one pair, errors, panics and
//! hangs of one pair (the rest still run), Ctrl-C, `--enable-only`, one GPU,
//! CUDA_VISIBLE_DEVICES, and the JSON contract on errors.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn p2p_of(r: &Report) -> &P2p {
    r.p2p.as_ref().expect("a p2p section")
}

/// `base` with per-pair overrides in its `p2p.pairs`.
fn with_pairs(base: &str, pairs: Value) -> Variant {
    variant_of(base, |f| {
        f["p2p"]["pairs"] = pairs;
    })
}

#[test]
fn two_nvlink_gpus_pass_with_every_measurement() {
    let r = run("two_h100.json", &["p2p", "--json"]);
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.command, "p2p");
    assert_eq!(rep.outcome, "pass");
    let p2p = p2p_of(&rep);
    assert!(!p2p.enable_only);
    assert_eq!(p2p.size_bytes, Some(1 << 30));
    assert_eq!(p2p.concurrency, 1);
    assert_eq!(p2p.pairs.len(), 2);
    for (from, to) in [(0, 1), (1, 0)] {
        let p = p2p.pair(from, to);
        assert_eq!(p.status, "pass", "{p:#?}");
        assert_eq!(p.link.as_deref(), Some("nvlink"));
        assert_eq!((p.nvlinks, p.nvlink_version), (Some(18), Some(4)));
        assert_eq!(p.expected_gbps, Some(450.0));
        assert_eq!(p.peer_access_enabled, Some(true));
        assert_eq!(p.ce_gbps, Some(390.0));
        assert_eq!(p.ce_both_gbps, Some(770.0));
        assert!(p.sm_gbps.is_some() && p.sm_both_gbps.is_some());
        assert!(p.copy_latency_us.is_some() && p.pingpong_us.is_some());
        assert!(p.words_verified > 0);
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
    let r = run("two_h100.json", &["p2p"]);
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
        let r = run(
            "two_h100.json",
            &["p2p", "--json", "--inject-corruption", &arg],
        );
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
fn a_corrupting_pair_among_four_fails_alone() {
    let v = with_pairs(
        "four_h100_nvswitch.json",
        json!([{ "gpus": [1, 3], "corrupt_words": 7 }]),
    );
    let r = run(v.path(), &["p2p", "--json"]);
    r.assert_code(1);
    let rep = r.report();
    let p2p = p2p_of(&rep);
    assert_eq!(p2p.pairs.len(), 12);
    assert_eq!(p2p.concurrency, 2);
    assert_eq!(p2p.with_status("fail"), [(1, 3), (3, 1)]);
    assert_eq!(p2p.pair(1, 3).mismatches, 7);
    assert_eq!(p2p.with_status("pass").len(), 10);
    assert!(p2p
        .pairs
        .iter()
        .all(|p| p.link.as_deref() == Some("nvswitch")));
}

#[test]
fn eight_gpus_through_nvswitch_run_four_pairs_at_once() {
    let r = run("eight_h100_nvswitch.json", &["p2p", "--json"]);
    r.assert_code(0);
    let rep = r.report();
    let p2p = p2p_of(&rep);
    assert_eq!(p2p.pairs.len(), 56);
    assert_eq!(p2p.concurrency, 4);
    assert_eq!(p2p.with_status("pass").len(), 56);
    // 28 pairs of 20 ms each in 7 rounds of 4: well under the serial time.
    assert!(p2p.seconds < 28.0 * 0.02 * 0.8, "{}", p2p.seconds);
    let r = run("eight_h100_nvswitch.json", &["p2p"]);
    r.assert_code(0);
    assert!(r.stdout.contains("NVS18") && r.stdout.contains("GPU7"));
    // The matrices fit 80 columns through a pipe; narrower, each sending
    // GPU becomes a record that still fits.
    assert!(
        r.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        r.stdout
    );
    let r = run_env("eight_h100_nvswitch.json", &["p2p"], &[("COLUMNS", "40")]);
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
    let v = with_pairs(
        "two_h100.json",
        json!([{ "gpus": [0, 1], "no_peer_access": true }]),
    );
    let r = run(v.path(), &["p2p", "--json"]);
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
    let v = with_pairs(
        "pcie_pair.json",
        json!([{ "gpus": [0, 1], "no_peer_access": true }]),
    );
    let r = run(v.path(), &["p2p", "--json"]);
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.outcome, "warn");
    for p in &p2p_of(&rep).pairs {
        assert_eq!(p.check("p2p_peer_access").status, "warn");
    }
}

#[test]
fn a_pcie_pair_is_judged_against_its_generation_and_width() {
    let r = run("pcie_pair.json", &["p2p", "--json"]);
    r.assert_code(0);
    let rep = r.report();
    let p = p2p_of(&rep).pair(0, 1);
    assert_eq!(p.link.as_deref(), Some("pcie_switch"));
    assert_eq!(p.nvlinks, Some(0));
    // Gen5 x16: 3.938 GB/s per lane x 16 x 0.9.
    assert_eq!(p.expected_gbps, Some(56.7));
    assert_eq!(p.check("p2p_topology").value, Some(json!("PIX")));
    assert_eq!(p.check("p2p_bandwidth").status, "pass");
    let r = run("pcie_pair.json", &["p2p"]);
    assert!(r.stdout.contains("PIX"), "{}", r.stdout);
}

#[test]
fn slow_links_warn_and_fail_below_the_floor() {
    let v = with_pairs(
        "two_h100.json",
        json!([{ "gpus": [0, 1], "ce_gbps": 200.0 }]),
    );
    let r = run(v.path(), &["p2p", "--json"]);
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.outcome, "warn");
    let c = p2p_of(&rep).pair(0, 1).check("p2p_bandwidth").clone();
    assert_eq!(c.status, "warn");
    assert_eq!(c.value, Some(json!(200.0)));
    let r = run(v.path(), &["p2p", "--json", "--min-bandwidth", "300"]);
    r.assert_code(1);
    let c = p2p_of(&r.report())
        .pair(1, 0)
        .check("p2p_bandwidth")
        .clone();
    assert_eq!(c.status, "fail");
    assert_eq!(c.threshold, Some(json!(300.0)));
    // --warn-below 0% never warns.
    let r = run(v.path(), &["p2p", "--json", "--warn-below", "0%"]);
    r.assert_code(0);
    assert_eq!(r.report().outcome, "pass");
}

#[test]
fn an_error_a_panic_and_a_hang_fail_their_pair_and_the_rest_run() {
    let v = with_pairs(
        "four_h100_nvswitch.json",
        json!([
            { "gpus": [0, 1], "error": "cuMemcpyPeerAsync: CUDA_ERROR_ILLEGAL_ADDRESS (700)" },
            { "gpus": [2, 3], "panic": true },
            { "gpus": [0, 2], "hang": true }
        ]),
    );
    let started = Instant::now();
    let r = run(v.path(), &["p2p", "--json", "--timeout", "1s"]);
    assert!(
        started.elapsed() < Duration::from_secs(8),
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
        [(0, 1), (0, 2), (1, 0), (2, 0), (2, 3), (3, 2)],
        "{p2p:#?}"
    );
    assert_eq!(p2p.with_status("pass").len(), 6);
    let e = p2p.pair(0, 1).error.clone().unwrap_or_default();
    assert!(e.contains("ILLEGAL_ADDRESS"), "{e}");
    let e = p2p.pair(3, 2).error.clone().unwrap_or_default();
    assert!(e.contains("crashed"), "{e}");
    let e = p2p.pair(2, 0).error.clone().unwrap_or_default();
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
    let v = with_pairs(
        "four_h100_nvswitch.json",
        json!([{ "gpus": [3, 0], "no_peer_access": true }]),
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
    let r = run("two_h100.json", &["p2p", "--json"]);
    let rep = r.report();
    assert_eq!(p2p_of(&rep).pair(0, 1).from.cuda_index, Some(1));
    let r = run_env(
        "two_h100.json",
        &["p2p", "--json"],
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
    let r = run(v.path(), &["p2p", "--json"]);
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
    let r = run(v.path(), &["p2p", "--json"]);
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
    let r = run(v.path(), &["--call-timeout", "300ms", "p2p", "--json"]);
    r.assert_code(1);
    let rep = r.report();
    let p = p2p_of(&rep).pair(0, 1);
    let c = p.check("p2p_topology");
    assert_eq!(c.status, "fail", "{c:#?}");
    assert!(c.message.contains("p2p_link"), "{}", c.message);
}

#[test]
fn ctrl_c_prints_a_partial_report_and_exits_130() {
    let v = variant_of("four_h100_nvswitch.json", |f| {
        f["p2p"]["pair_ms"] = json!(1500);
    });
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gpuctl"))
        .env("GPUCTL_SIMULATE", v.path())
        .env_remove("CUDA_VISIBLE_DEVICES")
        .env_remove("CUDA_DEVICE_ORDER")
        .args(["p2p", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gpuctl starts");
    // Into the second round (3 rounds of 1.5 s).
    std::thread::sleep(Duration::from_millis(2000));
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
    // The first round's pairs finished; the rest say they never ran.
    assert_eq!(p2p.with_status("pass").len(), 4, "{p2p:#?}");
    assert!(p2p.with_status("fail").is_empty(), "{p2p:#?}");
    assert_eq!(p2p.with_status("warn").len(), 8);
}
