//! `gpuctl diag` end to end on the simulated backend: each level's phases,
//! the fabric check, stopping at the first FAIL, `--keep-going`, a phase
//! that cannot run, an interrupted run, and bad options.

mod common;

use common::*;
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// `diag --json` on `fixture` with each simulated GPU's memory
/// [`SMALL_MEMORY`]: the memtest phase runs its kernels' Rust references,
/// quickly enough in debug builds.
fn diag(fixture: &str, args: &[&str]) -> Run {
    let small = small_gpus(fixture);
    let mut all = vec!["diag", "--json"];
    all.extend_from_slice(args);
    run(small.path(), &all)
}

fn gpu_check<'a>(report: &'a Report, gpu: u32, name: &str) -> &'a Check {
    report.gpu(gpu).check(name)
}

#[test]
fn level_1_runs_health_without_compute_and_the_fabric() {
    let r = diag("two_h100.json", &["--level", "1"]);
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.command, "diag");
    let d = rep.diag.as_ref().unwrap();
    assert_eq!(d.level, 1);
    assert_eq!(d.outcomes(), [("health", "pass"), ("fabric", "pass")]);
    let health = d.phase("health").report.as_deref().unwrap();
    assert_eq!(health.command, "health");
    // No compute at level 1: the self-test did not run on any GPU.
    for g in &health.gpus {
        assert!(
            !g.check_names().contains(&"compute_self_test"),
            "{:?}",
            g.check_names()
        );
        assert!(g.check_names().contains(&"persistence_mode"));
    }
    // No fabric in this fixture: SKIP, never a pass.
    let fabric = d.phase("fabric").report.as_deref().unwrap();
    for g in &fabric.gpus {
        assert_eq!(g.check("fabric").status, "skip");
    }
    for gpu in [0, 1] {
        assert_eq!(gpu_check(&rep, gpu, "diag_health").status, "pass");
        assert_eq!(gpu_check(&rep, gpu, "diag_fabric").status, "skip");
    }
    assert_eq!(host_check(&rep, "diag_health").status, "pass");
    assert!(
        rep.summary.starts_with("diag level 1: passed"),
        "{}",
        rep.summary
    );
}

#[test]
fn the_fabric_state_of_each_gpu_is_judged() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture_variant(dir.path(), "two_h100.json", "fabric.json", |f| {
        f["gpus"][0]["fabric"] =
            json!({ "state": "completed", "status": "success", "clique_id": 7 });
        f["gpus"][1]["fabric"] = json!({ "state": "not_started" });
    });
    let r = diag(&fixture, &["--level", "1"]);
    r.assert_code(1);
    let rep = r.report();
    assert_eq!(gpu_check(&rep, 0, "diag_fabric").status, "pass");
    assert_eq!(gpu_check(&rep, 1, "diag_fabric").status, "fail");
    let d = rep.diag.as_ref().unwrap();
    let fabric = d.phase("fabric").report.as_deref().unwrap();
    let failed = fabric.gpu(1).check("fabric");
    assert!(failed.message.contains("not_started"), "{failed:?}");
    let remedy = failed.remedy.as_deref().unwrap();
    assert!(remedy.contains("nvidia-fabricmanager"), "{remedy}");
    assert!(remedy.contains("00000000:2A:00.0"), "{remedy}");
    assert!(fabric.gpu(0).check("fabric").message.contains("clique 7"));
    assert!(
        rep.summary.contains("fabric: GPU 1 (fabric)"),
        "{}",
        rep.summary
    );
}

#[test]
fn level_2_runs_every_phase_with_compute_and_quick_options() {
    let r = diag(
        "two_h100.json",
        &["--level", "2", "--burn-duration", "300ms"],
    );
    r.assert_code(0);
    let rep = r.report();
    let d = rep.diag.as_ref().unwrap();
    assert_eq!(
        d.outcomes(),
        [
            ("health", "pass"),
            ("fabric", "pass"),
            ("burn", "pass"),
            ("memtest", "pass"),
            ("p2p", "pass"),
            ("bench", "pass")
        ]
    );
    let phase = |name| d.phase(name).report.as_deref().unwrap();
    assert!(phase("health")
        .gpu(0)
        .check_names()
        .contains(&"compute_self_test"));
    // The burn ran for the overridden time and verified products.
    let burn = phase("burn").gpu(1).burn.as_ref().unwrap();
    assert!(burn.products > 0, "{burn:?}");
    assert_eq!(d.phase("burn").command, "gpuctl burn --duration 300ms");
    assert_eq!(
        burn.mode.as_deref(),
        Some("gemm"),
        "level 2 burns the GEMM alone"
    );
    // One pass of the fast patterns only.
    let memtest = phase("memtest").gpu(0).memtest.as_ref().unwrap();
    let patterns: Vec<&str> = memtest
        .patterns
        .iter()
        .map(|p| p.pattern.as_str())
        .collect();
    assert_eq!(patterns, ["zeros-ones", "address", "random"]);
    assert_eq!(
        phase("p2p").p2p.as_ref().unwrap().size_bytes,
        Some(64 << 20)
    );
    assert!(d.phase("bench").command.ends_with("--quick"));
    for p in &d.phases {
        assert!(p.seconds.unwrap() >= 0.0);
        assert_eq!(host_check(&rep, &format!("diag_{}", p.name)).status, "pass");
    }
    for gpu in [0, 1] {
        let names = rep.gpu(gpu).check_names();
        assert_eq!(
            names,
            [
                "diag_health",
                "diag_fabric",
                "diag_burn",
                "diag_memtest",
                "diag_p2p",
                "diag_bench"
            ]
        );
    }
}

#[test]
fn level_3_runs_the_full_phases_and_overrides_apply() {
    let r = diag(
        "two_h100.json",
        &[
            "--level",
            "3",
            "--burn-duration",
            "300ms",
            "--memtest-passes",
            "1",
        ],
    );
    r.assert_code(0);
    let rep = r.report();
    let d = rep.diag.as_ref().unwrap();
    assert_eq!(d.level, 3);
    // Level 3's burn loads GPU core and memory together, both verified.
    assert_eq!(
        d.phase("burn").command,
        "gpuctl burn --duration 300ms --mode mixed"
    );
    let burn = d.phase("burn").report.as_deref().unwrap();
    for g in &burn.gpus {
        let b = g.burn.as_ref().unwrap();
        assert_eq!(b.mode.as_deref(), Some("mixed"));
        let s = b.stream.as_ref().unwrap();
        assert!(s.bytes_verified > 0 && s.mismatched_words == 0, "{s:?}");
        assert_eq!(g.check("stream_mismatch").status, "pass");
    }
    let memtest = d.phase("memtest").report.as_deref().unwrap();
    assert_eq!(memtest.gpu(0).memtest.as_ref().unwrap().patterns.len(), 7);
    assert_eq!(d.phase("bench").command, "gpuctl bench");
    assert_eq!(d.phase("p2p").command, "gpuctl p2p");
    let p2p = d.phase("p2p").report.as_deref().unwrap();
    assert_eq!(p2p.p2p.as_ref().unwrap().size_bytes, Some(1024 << 20));
}

#[test]
fn the_plan_with_durations_is_printed_before_the_run() {
    // Memory for memtest's flush buffer and log (the shipped 2 MiB has
    // not), so every phase runs.
    let small = small_gpus("two_h100.json");
    let r = run(
        small.path(),
        &["diag", "--level", "3", "--burn-duration", "300ms"],
    );
    r.assert_code(0);
    let plan = r.stderr.split("[1/6]").next().unwrap();
    assert!(plan.contains("diag level 3: 6 phases"), "{}", r.stderr);
    assert!(
        plan.contains("GEMM and HBM streaming burn (--mode mixed) for 300ms"),
        "{}",
        r.stderr
    );
    assert!(plan.contains("1 pass of every pattern"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("[3/6] gpuctl burn --duration 300ms --mode mixed"),
        "{}",
        r.stderr
    );
    // Every phase ran, the last one too.
    assert!(r.stderr.contains("[6/6] gpuctl bench"), "{}", r.stderr);
    let quiet = run("two_h100.json", &["diag", "--level", "1", "-q"]);
    assert_eq!(quiet.stderr, "");
}

#[test]
fn the_run_stops_at_the_first_fail() {
    let r = diag(
        "ecc_error.json",
        &["--level", "2", "--burn-duration", "300ms"],
    );
    r.assert_code(1);
    let rep = r.report();
    assert_eq!(rep.outcome, "fail");
    let d = rep.diag.as_ref().unwrap();
    assert_eq!(d.phase("health").outcome, "fail");
    for name in ["fabric", "burn", "memtest", "p2p", "bench"] {
        let p = d.phase(name);
        assert_eq!(p.outcome, "not_run", "{p:?}");
        assert!(p.report.is_none());
        assert!(p.note.as_deref().unwrap().contains("health failed first"));
    }
    assert_eq!(gpu_check(&rep, 0, "diag_health").status, "fail");
    assert!(gpu_check(&rep, 0, "diag_health")
        .message
        .contains("ecc_volatile_uncorrected"));
    // The phase's remedy, filled in for the GPU, comes with the verdict.
    let remedy = gpu_check(&rep, 0, "diag_health").remedy.clone().unwrap();
    assert!(remedy.contains("00000000:18:00.0"), "{remedy}");
    assert!(
        rep.summary.contains("not run: fabric, burn"),
        "{}",
        rep.summary
    );
}

/// GPU 1's memory has a stuck bit: the first phase that writes there (the
/// burn) fails it, and without `--keep-going` the rest do not run; with it
/// memtest finds the bit too.
fn stuck_bit(dir: &std::path::Path) -> String {
    fixture_variant(dir, "two_h100.json", "stuck.json", |f| {
        // A bit of the simulated memory that always reads 1, near the top
        // of the 2 MiB memtest tests: past the buffers health's self-test
        // takes first (which would find it half the time).
        f["gpus"][1]["compute"] =
            json!({ "memory_faults": [{ "offset": 2_000_000, "bit": 3, "kind": "stuck1" }] });
    })
}

#[test]
fn a_later_phase_failing_stops_the_rest_unless_keep_going() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = stuck_bit(dir.path());
    let args = ["--level", "2", "--burn-duration", "300ms"];
    let rep = diag(&fixture, &args).assert_code(1).report();
    let d = rep.diag.as_ref().unwrap();
    // The burn's products fill the memory the bit is in: its verification
    // finds it first, and the phases after it do not run.
    assert_eq!(
        d.outcomes(),
        [
            ("health", "pass"),
            ("fabric", "pass"),
            ("burn", "fail"),
            ("memtest", "not_run"),
            ("p2p", "not_run"),
            ("bench", "not_run")
        ]
    );
    assert_eq!(gpu_check(&rep, 0, "diag_burn").status, "pass");
    assert_eq!(gpu_check(&rep, 1, "diag_burn").status, "fail");
    assert!(!rep.gpu(0).check_names().contains(&"diag_memtest"));

    let mut keep = args.to_vec();
    keep.push("--keep-going");
    let rep = diag(&fixture, &keep).assert_code(1).report();
    let d = rep.diag.as_ref().unwrap();
    assert!(d.keep_going);
    assert_eq!(d.phase("memtest").outcome, "fail");
    assert_eq!(gpu_check(&rep, 1, "diag_memtest").status, "fail");
    // The later phases ran; GPU 1's bench buffers hold the bit too.
    assert_ne!(d.phase("p2p").outcome, "not_run");
    assert_ne!(d.phase("bench").outcome, "not_run");
    assert_eq!(gpu_check(&rep, 0, "diag_bench").status, "pass");
    assert_eq!(rep.outcome, "fail");
}

#[test]
fn a_phase_that_cannot_run_fails_the_diag() {
    // No CUDA: level 1 needs none and passes; level 2's health fails its
    // compute test, and with --keep-going burn cannot run at all.
    diag("no_cuda.json", &["--level", "1"]).assert_code(0);
    let rep = diag(
        "no_cuda.json",
        &["--level", "2", "--keep-going", "--burn-duration", "300ms"],
    )
    .assert_code(1)
    .report();
    let d = rep.diag.as_ref().unwrap();
    let burn = d.phase("burn");
    assert_eq!(burn.outcome, "error", "{burn:?}");
    assert!(burn.note.as_deref().unwrap().contains("CUDA"), "{burn:?}");
    let check = host_check(&rep, "diag_burn");
    assert_eq!(check.status, "fail");
    assert!(check.message.contains("could not run"), "{check:?}");
}

#[test]
fn no_driver_is_an_environment_error_with_json() {
    let r = diag("no_driver.json", &["--level", "1"]);
    r.assert_code(3);
    let rep = r.report();
    assert_eq!(rep.outcome, "error");
}

#[test]
fn bad_options_name_the_option_and_the_accepted_range() {
    for (args, option, accepted) in [
        (&["diag", "--level", "5"][..], "--level", "from 1 to 4"),
        (
            &["diag", "--level", "2", "--burn-duration", "0s"][..],
            "--burn-duration",
            "100ms",
        ),
        (
            &["diag", "--level", "2", "--memtest-passes", "0"][..],
            "--memtest-passes",
            "1 to 10000",
        ),
    ] {
        let r = run("two_h100.json", args);
        r.assert_code(2);
        let line = r.stderr_line();
        assert!(line.contains(option) && line.contains(accepted), "{line}");
    }
    let r = run("two_h100.json", &["diag", "--json"]);
    r.assert_code(2);
    assert_eq!(r.report().outcome, "error");
}

#[test]
fn an_interrupted_diag_reports_the_phases_not_run() {
    let mut child = gpuctl_process("two_h100.json")
        .args(["diag", "--level", "2", "--burn-duration", "60s", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gpuctl starts");
    let mut stderr = child.stderr.take().unwrap();
    // Wait until the burn phase has started.
    let started = Instant::now();
    let mut seen = String::new();
    let mut buf = [0u8; 256];
    while !seen.contains("[3/6]") {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no burn phase: {seen}"
        );
        let n = std::io::Read::read(&mut stderr, &mut buf).unwrap();
        assert!(n > 0, "stderr closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    std::thread::sleep(Duration::from_millis(700));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let sent = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if sent.elapsed() > Duration::from_secs(3) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gpuctl diag did not stop within 3 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let rep = parse_report(&stdout);
    assert_eq!(rep.outcome, "interrupted");
    assert_eq!(rep.exit_code, 130);
    let d = rep.diag.as_ref().unwrap();
    assert_eq!(d.phase("health").outcome, "pass");
    assert_eq!(d.phase("burn").outcome, "interrupted");
    for name in ["memtest", "p2p", "bench"] {
        let p = d.phase(name);
        assert_eq!(p.outcome, "not_run");
        assert!(p.note.as_deref().unwrap().contains("interrupted"), "{p:?}");
    }
    assert!(
        rep.summary.contains("not run: memtest, p2p, bench"),
        "{}",
        rep.summary
    );
    let _: Value = serde_json::from_str(&stdout).unwrap();
}

// ------------------------------------------------------------ RMA bundle

/// Every file of a `.tar.gz`, by path.
fn untar(path: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = std::collections::BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
        out.insert(name, text);
    }
    out
}

#[test]
fn the_rma_bundle_holds_what_a_vendor_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture_variant(dir.path(), "ecc_error.json", "rma.json", |f| {
        f["gpus"][0]["board"] = json!({
            "vbios_version": "96.00.99.00.01",
            "inforom_image": "G520.0200.00.05",
            "board_part_number": "692-2G520-0200-000",
            "pci_device_id": 0x2330_10de_u32
        });
        f["kernel_log"] = json!([
            "[ 12.5] NVRM: Xid (PCI:0000:18:00): 48, pid=7, name=train, DBE",
            "[ 13.5] NVRM: Xid (PCI:0000:2a:00): 79, pid=1, name=x, off the bus",
            "[ 14.5] some other line"
        ]);
    });
    let out = dir.path().join("rma");
    let out_arg = out.to_str().unwrap();
    let rep = diag(&fixture, &["--level", "1", "--report", out_arg])
        .assert_code(1)
        .report();
    let bundle = std::path::PathBuf::from(rep.bundle.as_deref().expect("bundle named"));
    assert_eq!(bundle.parent().unwrap(), out);
    let name = bundle.file_name().unwrap().to_str().unwrap().to_string();
    let host = rep.host.as_deref().unwrap();
    assert!(name.starts_with(&format!("gpuctl-{host}-")), "{name}");
    assert!(name.ends_with("-fail.tar.gz"), "{name}");
    // Only the bundle: no partial file left behind.
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);

    let files = untar(&bundle);
    let stem = name.trim_end_matches(".tar.gz");
    let file = |f: &str| {
        files
            .get(&format!("{stem}/{f}"))
            .unwrap_or_else(|| panic!("no {f} in {:?}", files.keys()))
    };
    let mut names: Vec<&str> = files.keys().map(|k| k.trim_start_matches(stem)).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "/gpu0/counters.json",
            "/gpu0/identity.json",
            "/gpu0/xid.log",
            "/gpu1/counters.json",
            "/gpu1/identity.json",
            "/gpu1/xid.log",
            "/gpuctl-version.txt",
            "/report.json"
        ]
    );
    // The report inside is the one printed, bundle name and all.
    let inside = parse_report(file("report.json"));
    assert_eq!(inside.summary, rep.summary);
    assert_eq!(inside.bundle, rep.bundle);
    assert!(
        file("gpuctl-version.txt").starts_with(&format!("gpuctl {}", env!("CARGO_PKG_VERSION")))
    );
    // Identity sheet: serial, UUID, board, PCI ids, driver.
    let id: Value = serde_json::from_str(file("gpu0/identity.json")).unwrap();
    assert_eq!(id["gpu"]["serial"], "1652320000");
    assert_eq!(id["gpu"]["uuid"], UUID0);
    let board = &id["gpu"]["details"]["board"];
    assert_eq!(board["vbios_version"], "96.00.99.00.01");
    assert_eq!(board["inforom_image_version"], "G520.0200.00.05");
    assert_eq!(board["board_part_number"], "692-2G520-0200-000");
    assert_eq!(board["pci_device_id"], "0x233010de");
    assert_eq!(id["driver"]["driver_version"], DRIVER_VERSION);
    // Each GPU's own XID lines only.
    let xid0 = file("gpu0/xid.log");
    assert!(xid0.contains("48") && xid0.contains("DBE"), "{xid0}");
    assert!(!xid0.contains("off the bus"), "{xid0}");
    assert!(
        file("gpu1/xid.log").contains("79"),
        "{}",
        file("gpu1/xid.log")
    );
    // Counters: GPU 0's uncorrected ECC errors as NVML gave them.
    let c0: Value = serde_json::from_str(file("gpu0/counters.json")).unwrap();
    assert_eq!(c0["ecc_volatile"]["uncorrected"], 2);
    assert!(c0.get("row_remap").is_some());
    // No environment in any file.
    for text in files.values() {
        assert!(!text.contains("GPUCTL_SIMULATE") && !text.contains("PATH="));
    }
}

#[test]
fn health_writes_the_bundle_too_and_a_bad_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    let r = run(
        "two_h100.json",
        &[
            "health",
            "--no-compute",
            "--json",
            "--report",
            out.to_str().unwrap(),
        ],
    );
    r.assert_code(0);
    let rep = r.report();
    let bundle = rep.bundle.as_deref().unwrap();
    assert!(bundle.ends_with("-pass.tar.gz"), "{bundle}");
    assert!(r.stderr.contains("RMA bundle: "), "{}", r.stderr);
    assert_eq!(untar(std::path::Path::new(bundle)).len(), 8);
    // A file where the directory should be: usage error before any run.
    let file = dir.path().join("f");
    std::fs::write(&file, "").unwrap();
    let r = run(
        "two_h100.json",
        &["diag", "-r", "1", "--report", file.to_str().unwrap()],
    );
    r.assert_code(2);
    assert!(r.stderr_line().contains("--report"), "{}", r.stderr);
    // Without --report there is no bundle key at all.
    assert!(diag("two_h100.json", &["-r", "1"])
        .report()
        .bundle
        .is_none());
}

#[test]
fn p2p_is_skipped_on_a_single_gpu_not_a_warning() {
    let rep = diag(
        "two_h100.json",
        &["--level", "2", "--burn-duration", "300ms", "-i", "0"],
    )
    .assert_code(0)
    .report();
    assert_eq!(rep.outcome, "pass", "{}", rep.summary);
    let d = rep.diag.as_ref().unwrap();
    let p2p = d.phase("p2p");
    assert_eq!(p2p.outcome, "skipped");
    assert!(p2p.report.is_none());
    assert_eq!(host_check(&rep, "diag_p2p").status, "skip");
    assert_eq!(d.phase("bench").outcome, "pass");
    assert!(!rep.gpu(0).check_names().contains(&"diag_p2p"));
}
