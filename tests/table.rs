//! The human tables on the simulated backend: problems first, skips hidden
//! but counted, 80 columns through a pipe, `COLUMNS` honoured, no word or
//! number split, colour only on a real terminal, simulated runs marked.

mod common;

use common::*;
use serde_json::json;

/// Every fixture and command whose table an operator reads.
const CASES: [(&str, &[&str]); 14] = [
    ("two_h100.json", &["list"]),
    ("mig.json", &["list"]),
    ("lost_gpu.json", &["list"]),
    ("two_h100.json", &["health"]),
    ("ecc_error.json", &["health"]),
    ("lost_gpu.json", &["health", "--no-compute"]),
    ("hot.json", &["health", "-v"]),
    ("remap_failure.json", &["health", "-v"]),
    ("selftest_mismatch.json", &["health"]),
    ("no_cuda.json", &["health", "-v"]),
    ("two_h100.json", &["burn", "-d", "300ms"]),
    ("two_h100.json", &["memtest", "--patterns", "random"]),
    (
        "two_h100.json",
        &[
            "memtest",
            "--patterns",
            "address",
            "--inject-fault",
            "1",
            "--inject-offset",
            "1073741824",
            "--inject-bit",
            "63",
        ],
    ),
    ("ecc_error.json", &["probe"]),
];

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// Every check name and PCI id of the JSON report, as whole words of the
/// table (a word split across lines or cells would not be found whole).
fn assert_tokens_whole(table: &str, fixture: &str, args: &[&str]) {
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let rep = run(fixture, &json_args).report();
    let words: Vec<&str> = table
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .collect();
    let verbose = args.contains(&"-v");
    for g in &rep.gpus {
        if let Some(pci) = &g.pci_bus_id {
            assert!(words.contains(&pci.as_str()), "{pci} split in:\n{table}");
        }
        for c in g.checks.iter().flatten() {
            let shown = match c.status.as_str() {
                "fail" | "warn" => true,
                "skip" => verbose,
                _ => false,
            };
            if shown {
                assert!(
                    words.contains(&c.name.as_str()),
                    "{} split or missing in:\n{table}",
                    c.name
                );
            }
        }
    }
}

#[test]
fn tables_fit_80_columns_through_a_pipe_without_splitting_words() {
    for (fixture, args) in CASES {
        let r = run(fixture, args);
        // probe's answer is one line by contract (Docker shows that line).
        assert!(
            args[0] == "probe" || widest(&r.stdout) <= 80,
            "{fixture} {args:?}: {} columns:\n{}",
            widest(&r.stdout),
            r.stdout
        );
        assert!(!r.stdout.contains('\x1b'), "colour in a pipe: {}", r.stdout);
        // burn and memtest answer --json with JSON Lines (progress first).
        if !matches!(args[0], "probe" | "burn" | "memtest") {
            assert_tokens_whole(&r.stdout, fixture, args);
        }
    }
}

#[test]
fn columns_is_honoured_through_a_pipe() {
    for (fixture, args) in CASES {
        for (columns, limit) in [("80", 80), ("60", 60), ("40", 40)] {
            let r = run_env(fixture, args, &[("COLUMNS", columns)]);
            if args[0] == "probe" {
                continue; // one summary line, not a table
            }
            // A line longer than the width may only be one unbreakable word.
            for line in r.stdout.lines().filter(|l| l.chars().count() > limit) {
                assert_eq!(
                    line.split_whitespace().count(),
                    1,
                    "COLUMNS={columns} {fixture} {args:?}: {line:?} in\n{}",
                    r.stdout
                );
            }
            if !matches!(args[0], "burn" | "memtest") {
                assert_tokens_whole(&r.stdout, fixture, args);
            }
        }
    }
    // A wide COLUMNS lets the health overview stay one line per GPU.
    let r = run_env("ecc_error.json", &["health"], &[("COLUMNS", "200")]);
    let row = r.stdout.lines().find(|l| l.starts_with("0 ")).unwrap();
    assert!(
        row.contains(H100) && row.contains("ecc_volatile_uncorrected"),
        "{row}"
    );
}

#[test]
fn narrow_tables_fall_back_to_one_record_per_gpu() {
    let r = run_env(
        "two_h100.json",
        &["burn", "-d", "300ms"],
        &[("COLUMNS", "50")],
    );
    r.assert_code(0);
    assert!(widest(&r.stdout) <= 50, "{}", r.stdout);
    assert!(
        !r.stdout.contains("Engine"),
        "no table header:\n{}",
        r.stdout
    );
    for gpu in 0..2 {
        let record = r
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("GPU {gpu}  PASS")))
            .unwrap_or_else(|| panic!("no record for GPU {gpu}:\n{}", r.stdout));
        assert!(record.contains("cublas bf16"), "{record}");
    }
}

/// GPU 0 warns (power capped), GPU 1 fails (uncorrectable ECC).
fn warn_then_fail() -> Variant {
    variant(|f| {
        f["gpus"][0]["details"]["power_limits"]["enforced_w"] = json!(500.0);
        f["gpus"][1]["errors"]["ecc_volatile"]["uncorrected"] = json!(3);
    })
}

#[test]
fn problems_are_sorted_fail_first_and_skips_are_counted() {
    let v = warn_then_fail();
    let r = run(v.path(), &["health"]);
    r.assert_code(1);
    let fail = r
        .stdout
        .find("FAIL  GPU 1  ecc_volatile_uncorrected")
        .unwrap_or_else(|| panic!("no FAIL record:\n{}", r.stdout));
    let warn = r
        .stdout
        .find("WARN  GPU 0  power_limit")
        .unwrap_or_else(|| panic!("no WARN record:\n{}", r.stdout));
    assert!(fail < warn, "FAIL comes first:\n{}", r.stdout);
    assert!(!r.stdout.contains("SKIP  "), "skips hidden:\n{}", r.stdout);
    // The hidden skips are counted, exactly.
    let rep = run(v.path(), &["health", "--json"]).report();
    let skipped = rep
        .gpus
        .iter()
        .flat_map(|g| g.checks.iter().flatten())
        .chain(rep.host_checks.iter())
        .filter(|c| c.status == "skip")
        .count();
    assert!(skipped > 0);
    assert!(
        r.stdout
            .contains(&format!("{skipped} checks skipped (not supported")),
        "{}",
        r.stdout
    );
    // -v shows each of them, after the WARN.
    let r = run(v.path(), &["health", "-v"]);
    assert_eq!(r.stdout.matches("SKIP  ").count(), skipped, "{}", r.stdout);
    let first_skip = r.stdout.find("SKIP  ").unwrap();
    assert!(first_skip > r.stdout.find("WARN  GPU 0").unwrap());
    assert!(!r.stdout.contains("checks skipped"));
}

#[test]
fn remedy_in_the_table_names_that_gpus_address() {
    let v = warn_then_fail();
    let r = run(v.path(), &["health"]);
    let record: String = r
        .stdout
        .split("FAIL  GPU 1")
        .nth(1)
        .unwrap()
        .split("WARN")
        .next()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        record.contains(&format!(
            "remedy: drain the node, then reset the GPU (nvidia-smi -r -i {PCI1})"
        )),
        "{record}"
    );
}

#[test]
fn health_shows_serial_numbers_in_table_and_json() {
    let r = run("two_h100.json", &["health", "--no-compute"]);
    assert!(r.stdout.contains("Serial"), "{}", r.stdout);
    assert!(r.stdout.contains("1652320000"), "{}", r.stdout);
    let rep = run("two_h100.json", &["health", "--no-compute", "--json"]).report();
    assert_eq!(rep.gpu(0).serial.as_deref(), Some("1652320000"));
    assert_eq!(rep.gpu(1).serial.as_deref(), Some("1652320001"));
}

#[test]
fn a_lost_gpu_keeps_its_pci_address_and_is_null_elsewhere() {
    for args in [
        &["list", "--json"][..],
        &["health", "--no-compute", "--json"],
    ] {
        let r = run("lost_gpu.json", args);
        let raw = r.json();
        let lost = &raw["gpus"][1];
        assert_eq!(lost["pci_bus_id"], PCI1, "{args:?}");
        for field in ["name", "uuid", "serial"] {
            assert!(lost[field].is_null(), "{args:?}: {field} = {}", lost[field]);
        }
        assert!(!r.stdout.contains("\"unknown\""), "{}", r.stdout);
    }
    let r = run("lost_gpu.json", &["list"]);
    assert!(!r.stdout.contains("unknown"), "{}", r.stdout);
    assert!(r.stdout.contains(PCI1), "{}", r.stdout);
}

#[test]
fn simulated_runs_say_so_in_json_and_table() {
    for args in [
        &["list"][..],
        &["health", "--no-compute"],
        &["burn", "-d", "200ms"],
    ] {
        let r = run("two_h100.json", args);
        assert!(
            r.stdout.starts_with("SIMULATED GPUs"),
            "{args:?}:\n{}",
            r.stdout
        );
    }
    assert!(run("two_h100.json", &["list", "--json"]).report().simulated);
    assert!(
        run("two_h100.json", &["health", "--no-compute", "--json"])
            .report()
            .simulated
    );
}

#[test]
fn list_is_compact() {
    let r = run("two_h100.json", &["list"]);
    // A header line, then at most 6 lines per GPU, then the summary.
    assert!(r.stdout.lines().count() <= 16, "{}", r.stdout);
}

/// Runs gpuctl on a pseudo-terminal (`script`), as a person at a terminal
/// would, with `env` set; returns what the terminal showed.
fn on_terminal(fixture: &str, args: &[&str], env: &[(&str, &str)]) -> Option<String> {
    let mut line = format!(
        "GPUCTL_SIMULATE={} {}",
        fixture_path(fixture).display(),
        env!("CARGO_BIN_EXE_gpuctl")
    );
    for a in args {
        line.push(' ');
        line.push_str(a);
    }
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"]);
    for var in ["NO_COLOR", "COLUMNS", "TERM"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().ok()?;
    out.status.code()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn colour_only_on_a_capable_terminal() {
    let Some(coloured) = on_terminal("ecc_error.json", &["health"], &[("TERM", "xterm")]) else {
        eprintln!("no `script` here: terminal behaviour untested");
        return;
    };
    assert!(coloured.contains("\x1b[31mFAIL"), "{coloured:?}");
    for env in [
        &[("TERM", "dumb")][..],
        &[("TERM", "xterm"), ("NO_COLOR", "1")],
    ] {
        let plain = on_terminal("ecc_error.json", &["health"], env).unwrap();
        assert!(plain.contains("FAIL"), "{plain:?}");
        assert!(!plain.contains("\x1b["), "{env:?}: {plain:?}");
    }
}

// ------------------------------------------------------------ issue 24

/// A healthy `health` shows numbers: the driver line on top and one line
/// per GPU under the table, read from the checks' values.
#[test]
fn a_healthy_health_screen_shows_numbers() {
    let r = run("two_h100.json", &["health", "--no-compute"]);
    r.assert_code(0);
    assert!(
        r.stdout
            .contains(&format!("driver {DRIVER_VERSION}  CUDA 13.0\n")),
        "{}",
        r.stdout
    );
    let doc = run("two_h100.json", &["health", "--no-compute", "--json"]).report();
    for g in &doc.gpus {
        let value = |n: &str| g.check(n).value.clone().unwrap();
        let line = format!(
            "GPU {}  {} °C  {} W  ECC {} uncorr {} corr  remapped {}  PCIe {}",
            g.index,
            value("temperature"),
            value("power").as_f64().unwrap().round(),
            value("ecc_volatile_uncorrected"),
            value("ecc_corrected"),
            value("row_remap_uncorrectable"),
            value("pcie_link").as_str().unwrap(),
        );
        assert!(r.stdout.contains(&line), "{line}\n{}", r.stdout);
    }
    assert!(widest(&r.stdout) <= 80);
}

#[test]
fn list_names_the_driver_and_cuda_versions() {
    let r = run("two_h100.json", &["list"]);
    r.assert_code(0);
    assert!(
        r.stdout
            .contains(&format!("driver {DRIVER_VERSION}  CUDA 13.0\n")),
        "{}",
        r.stdout
    );
}

/// Reads refused: the coverage FAIL names the required checks and only
/// counts the others; the shared remedy is said once per GPU.
#[test]
fn refused_reads_give_a_short_failure_screen() {
    let doc = run("no_permission.json", &["health", "--no-compute", "--json"]).report();
    let c = doc.gpu(0).check("coverage");
    assert_eq!(c.status, "fail");
    assert!(
        c.message
            .contains("temperature (not verified: no permission)"),
        "{}",
        c.message
    );
    for not_required in ["ecc_corrected", "power_limit", "pcie_link", "memory_usage"] {
        assert!(
            !c.message.contains(not_required),
            "{not_required}: {}",
            c.message
        );
    }
    assert!(
        c.message
            .contains("other checks not verified (no permission)"),
        "{}",
        c.message
    );
    let r = run("no_permission.json", &["health", "--no-compute"]);
    let records = r.stdout.matches("coverage").count();
    assert!(r.stdout.lines().count() < 30, "{}", r.stdout);
    assert!(records >= 2, "{}", r.stdout);
}

/// bench: a remedy shared by several failed metrics is said once per GPU,
/// and the closing summary is at most a few lines.
#[test]
fn bench_failures_say_a_remedy_once_and_close_briefly() {
    let r = run("bench_slow_gpu.json", &["bench", "--quick"]);
    r.assert_code(1);
    let remedies: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("remedy: ") && !l.contains("as above"))
        .collect();
    assert_eq!(remedies.len(), 1, "{}", r.stdout);
    let summary = r.stdout.trim_end().rsplit("\n\n").next().unwrap();
    assert!(
        summary.starts_with("bench FAIL: GPU 1 gemm_bf16"),
        "{summary}"
    );
    assert!(summary.lines().count() <= 3, "{summary}");
}
