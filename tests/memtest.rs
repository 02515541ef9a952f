//! `gpuctl memtest` end to end on the simulated backend, whose GPUs hold a
//! few MiB of real memory and run the Rust reference of every memtest
//! kernel: faults are declared in variants of `two_h100.json` (stuck and
//! coupled bits in the simulated memory, ECC changes, a failing kernel, a
//! GPU that panics, hangs or falls off the bus at a given call) or injected
//! through the hidden `--inject-fault` option, and the tests assert what
//! the memory test found; every exit code and failure path.

mod common;

use common::*;
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Where simulated GPU `d`'s memory starts (`compute::sim::mem::device_base`).
fn device_base(d: u64) -> u64 {
    0x7000_0000_0000 + (d << 40)
}
/// Each simulated GPU's memory: the L2 flush buffer (2 MiB) and the error
/// log come out first, and 98% of the rest is just over 2 MiB, so the
/// default `--memory` tests one 2 MiB page at 98% coverage.
const MEMORY: u64 = SMALL_MEMORY;
const FREE: u64 = MEMORY - (2 << 20) - 512;
const TESTED: u64 = 2 << 20;
/// The simulated GPUs' memory bandwidth, GB/s: the rate every pattern's
/// bytes and event times must give (low, so a pattern over 2 MiB still
/// takes a tenth of a millisecond of simulated time, the JSON's precision).
const GBPS: f64 = 50.0;

/// `base` with each GPU's simulated memory small (the memtest kernels'
/// references run in debug builds) and `mutate` applied.
fn small_of(base: &str, mutate: impl FnOnce(&mut Value)) -> Variant {
    variant_of(base, |f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["compute"] = json!({
                "memory_bytes": MEMORY,
                "l2_bytes": 65536,
                "hbm_gbps": GBPS,
                "kernel_spacing_us": 0,
            });
        }
        mutate(f)
    })
}

/// `two_h100.json`, small.
fn small(mutate: impl FnOnce(&mut Value)) -> Variant {
    small_of("two_h100.json", mutate)
}

/// Whether a rate is the simulated bandwidth (f32 event times round).
fn at_hbm_rate(gbps: Option<f64>) -> bool {
    gbps.is_some_and(|r| (r - GBPS).abs() < GBPS * 0.01)
}
const PATTERNS: [&str; 7] = [
    "zeros-ones",
    "walking-ones",
    "walking-zeros",
    "moving-inversions",
    "address",
    "random",
    "modulo",
];

/// A `pattern` event of the JSON Lines stream.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternEvent {
    event: String,
    gpu: u32,
    elapsed_s: f64,
    pass: u32,
    pattern: String,
    bytes: u64,
    seconds: f64,
    gb_per_s: Option<f64>,
    mismatches: u64,
}

struct Tested {
    events: Vec<PatternEvent>,
    report: Report,
    code: i32,
}

/// Parses `memtest --json-lines` output: pattern events, then the report.
fn parse_stream(stdout: &str) -> (Vec<PatternEvent>, Report) {
    assert!(stdout.ends_with('\n'), "not newline-terminated: {stdout:?}");
    let lines: Vec<&str> = stdout.lines().collect();
    let (last, events) = lines
        .split_last()
        .expect("memtest --json-lines prints lines");
    let events = events
        .iter()
        .map(|l| {
            assert_valid_line(l);
            let e: PatternEvent = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("pattern event does not match ({e}): {l}"));
            assert_eq!(e.event, "pattern");
            assert!(
                PATTERNS.contains(&e.pattern.as_str()) || e.pattern == "retention",
                "{l}"
            );
            e
        })
        .collect();
    let report = parse_report(&format!("{last}\n"));
    assert_eq!(report.event.as_deref(), Some("report"));
    assert_eq!(report.command, "memtest");
    (events, report)
}

fn memtest(fixture: &str, args: &[&str]) -> Tested {
    let mut all = vec!["memtest", "--json-lines"];
    all.extend_from_slice(args);
    let r = run(fixture, &all);
    assert_eq!(r.stderr, "", "{r:#?}");
    let (events, report) = parse_stream(&r.stdout);
    assert_eq!(report.exit_code, r.code);
    Tested {
        events,
        report,
        code: r.code,
    }
}

fn mt(g: &Gpu) -> &Memtest {
    g.memtest
        .as_ref()
        .unwrap_or_else(|| panic!("GPU {} has no memtest section", g.index))
}

fn bad_names(g: &Gpu) -> Vec<&str> {
    g.checks
        .iter()
        .flatten()
        .filter(|c| c.status != "pass")
        .map(|c| c.name.as_str())
        .collect()
}

fn assert_gpu_passed(g: &Gpu) {
    assert_eq!(g.status.as_deref(), Some("pass"), "{g:#?}");
    assert!(bad_names(g).is_empty(), "{g:#?}");
    let m = mt(g);
    assert_eq!(m.mismatches, 0);
    assert_eq!(m.wiped, Some(true));
}

#[test]
fn healthy_gpus_pass_every_pattern_once_by_default() {
    let v = small(|_| {});
    let t = memtest(v.path(), &[]);
    assert_eq!(t.code, 0, "{:#?}", t.report);
    assert_eq!(t.report.outcome, "pass");
    assert!(t.report.summary.starts_with("memtest passed: "));
    for g in &t.report.gpus {
        assert_gpu_passed(g);
        assert_eq!(
            g.check_names(),
            [
                "memtest_ran",
                "memory_errors",
                "memory_coverage",
                "ecc_during_test",
                "xid",
                "wipe"
            ]
        );
        let m = mt(g);
        assert_eq!(m.passes, 1);
        let names: Vec<&str> = m.patterns.iter().map(|p| p.pattern.as_str()).collect();
        assert_eq!(names, PATTERNS);
        let tested = m.tested_bytes.unwrap();
        for p in &m.patterns {
            assert_eq!(p.passes, 1, "{p:?}");
            // From the pattern's own bytes and the sweeps' event times.
            assert!(at_hbm_rate(p.gb_per_s), "{p:?}");
            if p.pattern == "modulo" {
                // Each word checked once against p (a twentieth per
                // offset); the complement written 3 times around it.
                assert!(p.bytes_read <= tested && tested - p.bytes_read < 20 * 20);
                assert!(p.bytes_written > 3 * tested, "{p:?}");
                continue;
            }
            // Every pattern reads back every byte it wrote.
            assert_eq!(p.bytes_read, p.bytes_written, "{p:?}");
            assert_eq!(p.bytes_read % tested, 0);
            assert!(p.bytes_read >= tested);
        }
        // 98% of the simulated GPU's free memory (after the flush buffer
        // and the log), in 2 MiB pages.
        assert_eq!(m.free_bytes, Some(FREE));
        assert_eq!(m.total_bytes, Some(MEMORY));
        assert_eq!(tested, TESTED);
        assert_eq!(m.coverage_free_pct, Some(98.0));
        assert_eq!(m.allocation_retries, 0);
        assert_eq!(m.chunks, Some(1));
        assert_eq!(m.ecc_corrected_delta, Some(0));
        assert_eq!(m.ecc_uncorrected_delta, Some(0));
        assert!(m.errors.is_empty() && m.injected.is_none());
        // One event per pattern per GPU, in order.
        let evs: Vec<&str> = t
            .events
            .iter()
            .filter(|e| e.gpu == g.index)
            .map(|e| e.pattern.as_str())
            .collect();
        assert_eq!(evs, PATTERNS);
    }
    for e in &t.events {
        assert_eq!(e.pass, 1);
        assert_eq!(e.mismatches, 0);
        assert!(e.bytes > 0 && e.seconds > 0.0 && e.elapsed_s >= 0.0);
        assert!(at_hbm_rate(e.gb_per_s), "{e:?}");
        // The rate is the event's bytes over its device time (seconds
        // rounded to 4 places).
        let seconds = e.bytes as f64 / (e.gb_per_s.unwrap() * 1e9);
        assert!((seconds - e.seconds).abs() <= 0.000_06, "{e:?}");
    }
}

#[test]
fn table_shows_a_row_per_gpu_and_the_summary() {
    let v = small(|_| {});
    let r = run(v.path(), &["memtest", "--patterns", "random"]);
    r.assert_code(0);
    assert!(r.stdout.contains("Tested"), "{}", r.stdout);
    assert!(r.stdout.contains("Wiped"));
    assert!(r.stdout.contains(" 50"), "{}", r.stdout);
    // The 80-column renderer: one row per GPU, within 80 columns.
    assert!(
        r.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .lines()
        .any(|l| l.starts_with("1 ") && l.contains("yes") && l.ends_with("PASS")));
    // Narrower than the table: one record per GPU, still whole words.
    let narrow = run_env(
        v.path(),
        &["memtest", "--patterns", "random"],
        &[("COLUMNS", "50")],
    );
    assert!(
        narrow.stdout.lines().all(|l| l.chars().count() <= 50),
        "{}",
        narrow.stdout
    );
    assert!(narrow.stdout.contains("GPU 1  PASS"), "{}", narrow.stdout);
    assert!(narrow.stdout.contains("wiped yes"), "{}", narrow.stdout);
    assert!(r
        .stdout
        .trim_end()
        .ends_with("memtest passed: GPU 0 0.0 GiB at 50 GB/s, GPU 1 0.0 GiB at 50 GB/s"));
}

#[test]
fn patterns_and_passes_choose_the_work() {
    let v = small(|_| {});
    let t = memtest(
        v.path(),
        &["--patterns", "address,random,address", "--passes", "3"],
    );
    assert_eq!(t.code, 0);
    let m = mt(t.report.gpu(0));
    let names: Vec<&str> = m.patterns.iter().map(|p| p.pattern.as_str()).collect();
    assert_eq!(names, ["address", "random"]);
    assert_eq!(m.passes, 3);
    assert!(m.patterns.iter().all(|p| p.passes == 3));
    let passes: Vec<u32> = t
        .events
        .iter()
        .filter(|e| e.gpu == 0)
        .map(|e| e.pass)
        .collect();
    assert_eq!(passes, [1, 1, 2, 2, 3, 3]);
}

#[test]
fn retention_runs_only_with_a_pause_and_waits_it_twice() {
    let v = small(|_| {});
    let started = Instant::now();
    let t = memtest(
        v.path(),
        &["--patterns", "zeros-ones", "--retention-pause", "1s"],
    );
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(t.code, 0, "{:#?}", t.report);
    let m = mt(t.report.gpu(0));
    let names: Vec<&str> = m.patterns.iter().map(|p| p.pattern.as_str()).collect();
    assert_eq!(names, ["zeros-ones", "retention"]);
    let r = &m.patterns[1];
    // Zeros, then ones, each written and checked once.
    assert_eq!(r.bytes_read, 2 * m.tested_bytes.unwrap());
    assert_eq!(r.bytes_written, r.bytes_read);
    // The waits are not sweep time: the rate is the sweeps'.
    assert!(at_hbm_rate(r.gb_per_s), "{r:?}");
}

#[test]
fn duration_repeats_passes_until_it_ends() {
    let v = small(|_| {});
    let started = Instant::now();
    let t = memtest(v.path(), &["--patterns", "zeros-ones", "-d", "3s"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(t.code, 0);
    let m = mt(t.report.gpu(1));
    assert!(m.passes >= 2, "{m:?}");
}

#[test]
fn injected_flip_is_found_at_its_exact_address_and_bit() {
    for (pattern, offset, bit) in [
        ("zeros-ones", 4096u64, 13u32),
        ("walking-zeros", 8, 0),
        ("random", TESTED - 8, 63),
        // A word modulo marks first (word index = 0 mod 20 from address 0;
        // GPU 1's memory starts at word 16 mod 20): the others are
        // rewritten before the check, flip and all.
        ("modulo", 192, 31),
    ] {
        let v = small(|_| {});
        let off = offset.to_string();
        let b = bit.to_string();
        let t = memtest(
            v.path(),
            &[
                "--patterns",
                pattern,
                "--inject-fault",
                "1",
                "--inject-offset",
                &off,
                "--inject-bit",
                &b,
            ],
        );
        assert_eq!(t.code, 1, "{:#?}", t.report);
        assert_gpu_passed(t.report.gpu(0));
        let g = t.report.gpu(1);
        assert_eq!(bad_names(g), ["memory_errors"]);
        let m = mt(g);
        assert_eq!(m.mismatches, 1);
        let e = &m.errors[0];
        assert_eq!(e.pattern, pattern);
        assert_eq!(e.offset, offset);
        assert_eq!(e.address, format!("{:#018x}", device_base(1) + offset));
        assert_eq!(e.flipped_bits, [bit]);
        let exp = u64::from_str_radix(&e.expected[2..], 16).unwrap();
        let act = u64::from_str_radix(&e.actual[2..], 16).unwrap();
        assert_eq!(exp ^ act, 1 << bit);
        let inj = m.injected.as_ref().unwrap();
        assert!(inj.found);
        assert_eq!((inj.offset, inj.bit), (offset, bit));
        assert_eq!(inj.address, e.address);
        // Found by the check right after the first write, and only there.
        let c = g.check("memory_errors");
        assert_eq!(c.status, "fail");
        assert!(c.message.contains(&format!("offset {offset}")), "{c:?}");
        assert!(c.message.contains(&format!("[{bit}]")), "{c:?}");
        assert!(c.remedy.is_some());
        assert_eq!(m.wiped, Some(true), "wiped after a failure too");
        assert!(t
            .report
            .summary
            .starts_with("memtest FAIL: GPU 1 (memory_errors)"));
    }
}

/// GPU `gpu`'s simulated memory with these faults (`memory_faults`).
fn with_faults(gpu: usize, faults: Value) -> Variant {
    small(move |f| f["gpus"][gpu]["compute"]["memory_faults"] = faults)
}

/// The one error a GPU's memory test recorded: (pattern, offset, expected,
/// actual, flipped bits).
fn only_error(g: &Gpu) -> (String, u64, u64, u64, Vec<u32>) {
    let m = mt(g);
    assert_eq!(m.errors.len(), 1, "{m:#?}");
    let e = &m.errors[0];
    let hex = |s: &str| u64::from_str_radix(&s[2..], 16).unwrap();
    (
        e.pattern.clone(),
        e.offset,
        hex(&e.expected),
        hex(&e.actual),
        e.flipped_bits.clone(),
    )
}

#[test]
fn a_stuck_bit_declared_in_the_fixture_is_found_at_its_offset_and_bit() {
    // Issue 20's done-when: the bit reads 1 whatever is written.
    let v = with_faults(0, json!([{ "offset": 4096, "bit": 3, "kind": "stuck1" }]));
    let t = memtest(v.path(), &["--patterns", "zeros-ones"]);
    assert_eq!(t.code, 1);
    let g = t.report.gpu(0);
    // Zeros read back with bit 3 set; ones read back right.
    assert_eq!(
        only_error(g),
        ("zeros-ones".into(), 4096, 0, 1 << 3, vec![3])
    );
    let m = mt(g);
    assert_eq!(m.mismatches, 1);
    assert_eq!(
        m.errors[0].address,
        format!("{:#018x}", device_base(0) + 4096)
    );
    assert!(m.injected.is_none());
    let c = g.check("memory_errors");
    assert_eq!(c.status, "fail");
    assert!(c.message.contains("offset 4096"), "{c:?}");
    assert!(c.message.contains("[3]"), "{c:?}");
    // The wipe writes zeros and reads the stuck bit back: it did not
    // verify, and the wipe check fails closed.
    assert_eq!(m.wiped, Some(false));
    let w = g.check("wipe");
    assert_eq!(w.status, "fail");
    assert!(
        w.message.contains("did not read back as zero"),
        "{}",
        w.message
    );
    let ev = t
        .events
        .iter()
        .find(|e| e.gpu == 0)
        .expect("a pattern event");
    assert_eq!(ev.mismatches, 1);
    assert_gpu_passed(t.report.gpu(1));
}

#[test]
fn a_stuck0_bit_is_found_where_ones_are_written() {
    let v = with_faults(
        1,
        json!([{ "offset": 1_000_004, "bit": 40, "kind": "stuck0" }]),
    );
    let t = memtest(v.path(), &["--patterns", "zeros-ones"]);
    assert_eq!(t.code, 1);
    // Rounded down to its word; found by the check of the ones.
    assert_eq!(
        only_error(t.report.gpu(1)),
        (
            "zeros-ones".into(),
            1_000_000,
            u64::MAX,
            u64::MAX ^ (1 << 40),
            vec![40]
        )
    );
    assert_eq!(
        mt(t.report.gpu(1)).wiped,
        Some(true),
        "zeros wipe a stuck0 bit"
    );
    assert_gpu_passed(t.report.gpu(0));
}

#[test]
fn walking_ones_find_a_stuck_bit_in_every_write_that_clears_it() {
    let v = with_faults(
        0,
        json!([{ "offset": 65_536, "bit": 17, "kind": "stuck1" }]),
    );
    let t = memtest(v.path(), &["--patterns", "walking-ones"]);
    assert_eq!(t.code, 1);
    let m = mt(t.report.gpu(0));
    // 64 walking values; the one with bit 17 set reads right.
    assert_eq!(m.mismatches, 63);
    assert!(m
        .errors
        .iter()
        .all(|e| e.offset == 65_536 && e.flipped_bits == [17]));
}

#[test]
fn moving_inversions_find_a_coupling_fault_at_the_victim() {
    // Writing bit 5 of the word at 4096 flips bit 5 of the word at 5120,
    // 1 KiB further up the same warp's segment: the upward walk inverts
    // the aggressor first and then finds the victim disturbed.
    let v = with_faults(
        1,
        json!([{ "offset": 4096, "bit": 5, "kind": "coupling", "victim": 5120 }]),
    );
    let t = memtest(v.path(), &["--patterns", "moving-inversions"]);
    assert_eq!(t.code, 1, "{:#?}", t.report);
    let m = mt(t.report.gpu(1));
    assert!(m.mismatches >= 1, "{m:#?}");
    for e in &m.errors {
        assert_eq!(e.pattern, "moving-inversions");
        assert_eq!(
            (e.offset, e.flipped_bits.as_slice()),
            (5120, &[5][..]),
            "{e:?}"
        );
    }
    assert_gpu_passed(t.report.gpu(0));
}

#[test]
fn a_fault_outside_the_memory_under_test_is_not_reported() {
    // The flush buffer sits above the tested page: a stuck bit there is
    // never checked, and nothing is claimed about it.
    let v = with_faults(
        0,
        json!([{ "offset": TESTED + 4096, "bit": 0, "kind": "stuck1" }]),
    );
    let t = memtest(v.path(), &["--patterns", "random"]);
    assert_eq!(t.code, 0, "{:#?}", t.report);
    assert_gpu_passed(t.report.gpu(0));
}

#[test]
fn memory_held_by_another_process_lowers_coverage_and_is_named() {
    // 5 MiB free after the flush buffer and the log.
    let v = small(|f| {
        f["gpus"][1]["processes"] =
            json!([{ "pid": 4242, "name": "python3", "used_bytes": 60_000_000_000u64 }]);
        f["gpus"][1]["compute"]["memory_bytes"] = json!((7u64 << 20) + 512);
    });
    // Less than --min-coverage of the free memory tested.
    let t = memtest(
        v.path(),
        &["-i", "1", "--patterns", "zeros-ones", "--memory", "50%"],
    );
    assert_eq!(t.code, 0, "low coverage warns, it does not fail");
    assert_eq!(t.report.outcome, "warn");
    let g = t.report.gpu(1);
    assert_eq!(bad_names(g), ["memory_coverage"]);
    let c = g.check("memory_coverage");
    assert_eq!(c.status, "warn");
    assert!(c.message.contains("pid 4242 (python3"), "{c:?}");
    let m = mt(g);
    assert_eq!(m.free_bytes, Some(5 << 20));
    assert_eq!(
        m.target_bytes,
        Some(2 << 20),
        "50% of 5 MiB, in 2 MiB pages"
    );
    assert_eq!(m.tested_bytes, Some(2 << 20));
    assert_eq!(m.coverage_free_pct, Some(40.0));
    assert_eq!(m.other_processes[0].pid, 4242);
}

/// GPU `gpu` with this `memtest` section (what NVML shows once the test
/// has started).
fn with_memtest(gpu: usize, spec: Value) -> Variant {
    small(move |f| f["gpus"][gpu]["memtest"] = spec)
}

/// GPU `gpu`'s simulated GPU with these `compute` fields added.
fn with_compute(gpu: usize, fields: Value) -> Variant {
    small(move |f| {
        for (k, v) in fields.as_object().unwrap() {
            f["gpus"][gpu]["compute"][k] = v.clone();
        }
    })
}

#[test]
fn new_corrected_ecc_errors_warn() {
    let v = with_memtest(
        0,
        json!({ "ecc_during": { "corrected": 7, "uncorrected": 0 } }),
    );
    let t = memtest(v.path(), &["--patterns", "random"]);
    assert_eq!(t.code, 0);
    let g = t.report.gpu(0);
    assert_eq!(bad_names(g), ["ecc_during_test"]);
    assert_eq!(g.check("ecc_during_test").status, "warn");
    assert_eq!(mt(g).ecc_corrected_delta, Some(7));
    assert_gpu_passed(t.report.gpu(1));
}

#[test]
fn new_uncorrectable_ecc_errors_fail() {
    let v = with_memtest(
        1,
        json!({ "ecc_during": { "corrected": 0, "uncorrected": 2 } }),
    );
    let t = memtest(v.path(), &["--patterns", "random"]);
    assert_eq!(t.code, 1);
    let g = t.report.gpu(1);
    assert_eq!(bad_names(g), ["ecc_during_test"]);
    let c = g.check("ecc_during_test");
    assert_eq!(c.status, "fail");
    assert!(c.message.contains("2 new uncorrectable"), "{c:?}");
    assert!(c.remedy.is_some());
    assert_eq!(mt(g).ecc_uncorrected_delta, Some(2));
}

#[test]
fn a_row_remap_failure_during_the_test_fails() {
    let v = with_memtest(
        0,
        json!({ "remap_during": { "correctable": 0, "uncorrectable": 1, "pending": true, "failure": true } }),
    );
    let t = memtest(v.path(), &["--patterns", "random"]);
    assert_eq!(t.code, 1);
    let g = t.report.gpu(0);
    let c = g.check("ecc_during_test");
    assert_eq!(c.status, "fail");
    assert!(c.message.contains("row remapping failed"), "{c:?}");
    let m = mt(g);
    assert_eq!(m.remap_failure, Some(true));
    assert_eq!(m.remap_uncorrectable_delta, Some(1));
}

#[test]
fn a_faulting_kernel_fails_that_gpu_and_the_unwiped_memory_fails_closed() {
    // The sweep kernel hits an illegal address: the context is dead, so
    // the wipe cannot run either, and that is a FAIL too.
    let v = with_compute(1, json!({ "failing_kernels": ["gpuctl_memtest_pass"] }));
    let t = memtest(v.path(), &["--patterns", "zeros-ones"]);
    assert_eq!(t.code, 1);
    assert_gpu_passed(t.report.gpu(0));
    let g = t.report.gpu(1);
    let c = g.check("memtest_ran");
    assert_eq!(c.status, "fail");
    assert!(c.message.contains("CUDA_ERROR_ILLEGAL_ADDRESS"), "{c:?}");
    assert_eq!(g.check("wipe").status, "fail");
    let m = mt(g);
    assert_ne!(m.wiped, Some(true));
    assert!(m.error.is_some());
    assert_eq!(m.passes, 0);
}

#[test]
fn a_panicking_worker_fails_that_gpu() {
    // Call 8: the first sweep's end event (the set-up makes 5 calls).
    let v = with_compute(0, json!({ "panic_at_call": 8 }));
    let started = Instant::now();
    let t = memtest(v.path(), &["--patterns", "random"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(t.code, 1);
    let c = t.report.gpu(0).check("memtest_ran");
    assert_eq!(c.status, "fail");
    assert!(c.message.contains("crashed"), "{c:?}");
    assert_gpu_passed(t.report.gpu(1));
}

#[test]
fn a_gpu_that_hangs_mid_run_fails_within_the_step_deadline() {
    // Call 14: inside the second sweep, the first that checks.
    let v = with_compute(1, json!({ "hang_at_call": 14 }));
    let started = Instant::now();
    let t = memtest(v.path(), &["--patterns", "zeros-ones"]);
    assert!(started.elapsed() < Duration::from_secs(45));
    assert_eq!(t.code, 1);
    let g = t.report.gpu(1);
    let c = g.check("memtest_ran");
    assert!(c.message.contains("hung"), "{c:?}");
    // Its memory could not be wiped: said so, and a FAIL.
    assert_eq!(g.check("wipe").status, "fail");
    assert_eq!(mt(g).wiped, None);
    assert_gpu_passed(t.report.gpu(0));
    // The summary does not call the hung GPU's memory tested.
    assert!(
        t.report.summary.contains("GPU 1 not fully tested (FAIL)"),
        "{}",
        t.report.summary
    );
}

#[test]
fn a_gpu_lost_mid_run_fails_and_is_not_called_wiped() {
    // From call 14 on the GPU is off the bus: every call fails.
    let v = with_compute(0, json!({ "lost_at_call": 14 }));
    let t = memtest(v.path(), &["--patterns", "zeros-ones"]);
    assert_eq!(t.code, 1);
    let g = t.report.gpu(0);
    let c = g.check("memtest_ran");
    assert_eq!(c.status, "fail");
    assert!(c.message.contains("CUDA_ERROR_UNKNOWN (999)"), "{c:?}");
    assert_eq!(g.check("wipe").status, "fail");
    assert_ne!(mt(g).wiped, Some(true));
    assert_gpu_passed(t.report.gpu(1));
}

#[test]
fn a_set_up_error_fails_that_gpu_and_nothing_is_claimed() {
    // Lost before the first call: the set-up fails.
    let v = with_compute(1, json!({ "lost_at_call": 1 }));
    let t = memtest(v.path(), &["--patterns", "random"]);
    assert_eq!(t.code, 1);
    let g = t.report.gpu(1);
    assert_eq!(g.check("memtest_ran").status, "fail");
    assert_eq!(g.check("memory_errors").status, "skip");
    assert_eq!(g.check("memory_coverage").status, "skip");
    assert_eq!(g.check("wipe").status, "skip");
    assert_eq!(mt(g).tested_bytes, None);
    assert_gpu_passed(t.report.gpu(0));
}

#[test]
fn gpu_selection_tests_only_the_selected_gpu() {
    let v = small(|_| {});
    let t = memtest(v.path(), &["-i", "1", "--patterns", "random"]);
    assert_eq!(t.code, 0);
    assert_eq!(t.report.indices(), [1]);
    assert!(t.events.iter().all(|e| e.gpu == 1));
}

#[test]
fn lost_and_mig_gpus_fail_while_the_others_are_tested() {
    for fixture in ["lost_gpu.json", "mig.json"] {
        let v = small_of(fixture, |_| {});
        let t = memtest(v.path(), &["--patterns", "random"]);
        assert_eq!(t.code, 1, "{fixture}");
        let failed: Vec<&Gpu> = t
            .report
            .gpus
            .iter()
            .filter(|g| g.status.as_deref() == Some("fail"))
            .collect();
        assert!(!failed.is_empty(), "{fixture}");
        for g in failed {
            let c = g.check("memtest_ran");
            assert_eq!(c.status, "fail", "{fixture}");
            if fixture == "mig.json" {
                let r = c.remedy.as_deref().unwrap_or_default();
                assert!(r.contains("memtest cannot test a MIG-enabled GPU"), "{r}");
            }
        }
    }
}

fn memtest_error(fixture: &str, args: &[&str], code: i32, kind: &str) -> String {
    let mut all = vec!["memtest"];
    all.extend_from_slice(args);
    let r = run(fixture, &all);
    r.assert_code(code);
    assert_eq!(r.stdout, "");
    let line = r.stderr_line().to_string();
    all.push("--json-lines");
    let r = run(fixture, &all);
    r.assert_code(code);
    assert_eq!(r.stderr_line(), line);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert_valid_line(r.stdout_line());
    assert_eq!(r.report().event.as_deref(), Some("report"));
    // --json: one document.
    *all.last_mut().unwrap() = "--json";
    let r = run(fixture, &all);
    r.assert_code(code);
    assert_eq!(r.stderr_line(), line);
    let rep = r.report();
    assert_eq!(rep.event, None);
    assert_eq!(rep.command, "memtest");
    assert_eq!(rep.outcome, "error");
    assert_eq!(rep.error.as_ref().unwrap().kind, kind);
    line
}

#[test]
fn no_cuda_is_an_environment_error_with_json_lines() {
    let line = memtest_error("no_cuda.json", &[], 3, "environment");
    assert!(line.contains("memtest needs the CUDA driver"), "{line}");
}

#[test]
fn bad_options_are_usage_errors() {
    for (args, named) in [
        (
            &["--inject-fault", "0", "--inject-offset", "12"][..],
            "--inject-offset",
        ),
        (
            &["--inject-fault", "0", "--inject-bit", "64"][..],
            "--inject-bit",
        ),
        (&["--inject-offset", "8"][..], "--inject-fault"),
        (&["--passes", "0"][..], "--passes"),
        (&["--passes", "2", "-d", "1s"][..], "--passes"),
        (&["--patterns", "bogus"][..], "bogus"),
        (&["--memory", "0%"][..], "--memory"),
        (&["--min-coverage", "101%"][..], "--min-coverage"),
        (&["--inject-fault", "7"][..], "--inject-fault 7"),
        (&["--retention-pause", "0s"][..], "--retention-pause"),
        (&["--retention-pause", "2h"][..], "--retention-pause"),
    ] {
        let line = memtest_error("two_h100.json", args, 2, "usage");
        assert!(line.contains(named), "{args:?}: {line}");
    }
}

fn interrupted_by(signal: libc::c_int) {
    let v = small(|_| {});
    let mut child = gpuctl_process(v.path())
        .args([
            "memtest",
            "-d",
            "60s",
            "--json-lines",
            "--interval",
            "100ms",
        ])
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
    // zeros-ones ends after 3 sweeps: its events show the test is running
    // on both GPUs.
    let mut lines = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 2 {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a pattern event of each GPU within 30 s");
        let e: Value = serde_json::from_str(&line).unwrap();
        seen.insert(e["gpu"].as_u64().unwrap());
        lines.push(line);
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
            panic!("gpuctl memtest did not stop within 2 s of signal {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "stderr: {stderr}");
    assert_eq!(stderr, "");
    let (_, rep) = parse_stream(&(lines.join("\n") + "\n"));
    assert_eq!(rep.outcome, "interrupted");
    assert_eq!(rep.exit_code, 130);
    assert!(rep
        .summary
        .starts_with("memtest interrupted (partial report): "));
    for g in &rep.gpus {
        let m = mt(g);
        assert_eq!(m.wiped, Some(true), "wiped after the signal: {m:?}");
        assert_eq!(g.check("wipe").status, "warn");
        assert!(m.patterns[0].passes >= 1);
        assert_eq!(m.passes, 0, "a partial pass is not a pass");
        // Cut short, never a PASS.
        assert_eq!(g.status.as_deref(), Some("interrupted"), "{g:#?}");
        assert_eq!(g.check("memtest_ran").status, "interrupted");
    }
}

#[test]
fn sigint_stops_wipes_and_reports_partially() {
    interrupted_by(libc::SIGINT);
}

#[test]
fn sigterm_stops_wipes_and_reports_partially() {
    interrupted_by(libc::SIGTERM);
}

#[test]
fn refused_or_hung_ecc_reads_are_not_unsupported() {
    // Issue 19: a refused ECC read is not "not supported": nothing was
    // verified, and the fail-closed rule says so.
    let v = small(|f| {
        f["gpus"][0]["errors"]["ecc_volatile"] = json!({"error": "no_permission"});
        f["gpus"][0]["errors"]["row_remap"] = json!({"error": "no_permission"});
    });
    let t = memtest(v.path(), &["--patterns", "random"]);
    let g = t.report.gpu(0);
    let c = g.check("ecc_during_test");
    assert_eq!(c.status, "skip", "{c:?}");
    assert!(!c.message.contains("not supported"), "{}", c.message);
    assert_eq!(g.check("coverage").status, "warn", "{g:#?}");
    assert_eq!(t.report.outcome, "warn");
    // A read that timed out FAILs.
    let v = small(|f| {
        f["gpus"][0]["errors"]["ecc_volatile"] =
            json!({"error": {"timed_out": {"call": "error_counters", "after_ms": 5000}}});
    });
    let t = memtest(v.path(), &["--patterns", "random"]);
    assert_eq!(t.report.gpu(0).check("ecc_during_test").status, "fail");
    assert_eq!(t.code, 1);
}
