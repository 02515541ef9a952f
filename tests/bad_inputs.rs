//! A battery of bad inputs across every command and option (numbers,
//! durations, percentages, versions, selectors, enums, config files): each
//! must be a usage error (exit 2; `probe` exits 1) within a time bound, with
//! exactly one stderr line naming the option or the value, one valid JSON
//! document (JSON Lines for burn) with `error.kind == "usage"` under
//! `--json`, and never a healthy verdict.
//!
//! Cases run in parallel threads of one test (each is one short process) so
//! the battery stays fast on a 2-core CI runner.

mod common;

use serde_json::Value;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// No bad input may take longer than this (they all fail before any GPU work).
const TIME_LIMIT: Duration = Duration::from_secs(10);
const FIXTURE: &str = "two_h100.json";

#[derive(Debug, Clone)]
struct Case {
    args: Vec<String>,
    /// stderr must contain at least one of these (the option or the value).
    named: Vec<String>,
}

fn case(args: &[&str], named: &[&str]) -> Case {
    Case {
        args: args.iter().map(|s| s.to_string()).collect(),
        named: named.iter().map(|s| s.to_string()).collect(),
    }
}

#[derive(Debug)]
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// The binary on the fixture, with a clean CUDA environment.
fn gpuctl() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gpuctl"));
    cmd.env("GPUCTL_SIMULATE", common::fixture_path(FIXTURE))
        .env_remove("CUDA_VISIBLE_DEVICES")
        .env_remove("CUDA_DEVICE_ORDER");
    cmd
}

/// Runs gpuctl, killing it (and failing) if it outlives [`TIME_LIMIT`].
fn run_bounded(args: &[String]) -> Outcome {
    let mut cmd = gpuctl();
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("gpuctl starts");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let out_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        let _ = tx.send(());
        s
    });
    let finished = rx.recv_timeout(TIME_LIMIT).is_ok();
    if !finished {
        let _ = child.kill();
    }
    let status = child.wait().expect("wait");
    let elapsed = start.elapsed();
    assert!(finished, "gpuctl {args:?} ran past {TIME_LIMIT:?}");
    Outcome {
        code: status.code().expect("exited by a signal"),
        stdout: String::from_utf8(out_thread.join().expect("stdout reader")).expect("UTF-8"),
        stderr: String::from_utf8(err_thread.join().expect("stderr reader")).expect("UTF-8"),
        elapsed,
    }
}

/// Checks one case in JSON and in table mode; returns the failures.
fn check(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let is_probe = case.args.first().map(String::as_str) == Some("probe");
    // monitor answers in JSON Lines; every other command in one document.
    let is_stream = case.args.first().map(String::as_str) == Some("monitor");
    let want_code = if is_probe { 1 } else { 2 };
    let mut fail = |what: String| problems.push(format!("{:?}: {what}", case.args));
    let names_it = |stderr: &str| case.named.iter().any(|n| stderr.contains(n.as_str()));

    // --json goes first: a value-taking option at the end must not eat it.
    let mut json_args = vec!["--json".to_string()];
    json_args.extend(case.args.iter().cloned());
    let o = run_bounded(&json_args);
    if o.code != want_code {
        fail(format!("--json exit {} (want {want_code}); {o:?}", o.code));
    }
    if o.elapsed > TIME_LIMIT {
        fail(format!("took {:?}", o.elapsed));
    }
    let lines: Vec<&str> = o.stderr.lines().collect();
    if lines.len() != 1 || !names_it(&o.stderr) || o.stderr.contains("panicked") {
        fail(format!(
            "--json stderr is not one line naming {:?}: {:?}",
            case.named, o.stderr
        ));
    }
    let docs: Vec<Value> = if is_stream {
        o.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
            .collect()
    } else {
        vec![serde_json::from_str(&o.stdout).unwrap_or(Value::Null)]
    };
    match docs.last() {
        Some(doc) if docs.len() == 1 => {
            if doc["error"]["kind"] != "usage" {
                fail(format!("error.kind is not usage: {}", o.stdout));
            }
            if doc["outcome"] == "passed" || doc["exit_code"] == 0 {
                fail(format!("reported healthy: {}", o.stdout));
            }
            if is_stream && doc["event"] != "report" {
                fail(format!("the stream's line is not the report: {}", o.stdout));
            }
            if !is_stream {
                // The schema and the typed mirror of the report hold too.
                if let Err(e) = std::panic::catch_unwind(|| common::parse_report(&o.stdout)) {
                    fail(format!("report fails the schema: {e:?}"));
                }
            }
        }
        _ => fail(format!("stdout is not one JSON document: {:?}", o.stdout)),
    }

    // Table mode: the same verdict, one stderr line (probe: one stdout line).
    let t = run_bounded(&case.args);
    if t.code != want_code {
        fail(format!("exit {} (want {want_code}); {t:?}", t.code));
    }
    if is_probe {
        let line_ok = t.stdout.lines().count() == 1
            && t.stdout.starts_with("unhealthy: ")
            && names_it(&t.stdout);
        if !line_ok || !t.stderr.is_empty() {
            fail(format!("probe output is not one unhealthy line: {t:?}"));
        }
    } else if t.stderr.lines().count() != 1 || !names_it(&t.stderr) || !t.stdout.is_empty() {
        fail(format!(
            "stderr is not one line naming {:?}: {t:?}",
            case.named
        ));
    }
    problems
}

/// memtest's options: durations, counts, percentages, patterns, injection.
fn memtest_cases(out: &mut Vec<Case>) {
    for v in ["-1s", "10", "0s", "8days", ""] {
        out.push(case(&["memtest", "-d", v], &["--duration"]));
    }
    for v in ["99ms", "soon"] {
        out.push(case(&["memtest", "--interval", v], &["--interval"]));
    }
    for v in ["0", "-1", "x", "1.5", "10001", "18446744073709551616"] {
        out.push(case(&["memtest", "--passes", v], &["--passes"]));
    }
    for v in ["0%", "101%", "-5%", "x", "0.5"] {
        out.push(case(&["memtest", "--memory", v], &["--memory"]));
    }
    for v in ["101%", "-1%", "y"] {
        out.push(case(&["memtest", "--min-coverage", v], &["--min-coverage"]));
    }
    out.push(case(&["memtest", "--patterns", "bogus"], &["'bogus'"]));
    out.push(case(
        &["memtest", "--passes", "2", "-d", "1s"],
        &["--passes", "--duration"],
    ));
    out.push(case(
        &["memtest", "--inject-fault", "1024"],
        &["--inject-fault"],
    ));
    out.push(case(
        &["memtest", "--inject-fault", "5"],
        &["--inject-fault 5"],
    ));
    for v in ["64", "-1", "x"] {
        out.push(case(
            &["memtest", "--inject-fault", "0", "--inject-bit", v],
            &["--inject-bit"],
        ));
    }
    for v in ["12", "-8", "281474976710664"] {
        out.push(case(
            &["memtest", "--inject-fault", "0", "--inject-offset", v],
            &["--inject-offset"],
        ));
    }
}

/// Bad values for duration options, each with the flag that must be named.
fn duration_cases(out: &mut Vec<Case>) {
    let options: [(&str, &str, &str); 7] = [
        ("probe", "--timeout", "--timeout"),
        ("health", "--watch", "--watch"),
        ("health", "--since", "--since"),
        ("health", "--compute-timeout", "--compute-timeout"),
        ("burn", "-d", "--duration"),
        ("burn", "--duration", "--duration"),
        ("burn", "--interval", "--interval"),
    ];
    let values = [
        "-1s",
        "10",
        "soon",
        "",
        "18446744073709551615s",
        "18446744073709551616s",
        "99999999999999h",
        "1.5.3s",
    ];
    for (cmd, flag, named) in options {
        for v in values {
            out.push(case(&[cmd, flag, v], &[named]));
        }
        // `--flag=value` spelling too.
        out.push(case(&[cmd, &format!("{flag}=-5m")], &[named]));
    }
    for (cmd, flag, v) in [
        ("probe", "--timeout", "0s"),
        ("probe", "--timeout", "2h"),
        ("health", "--compute-timeout", "0s"),
        ("health", "--compute-timeout", "18446744073709551615s"),
        ("health", "--watch", "2h"),
        ("health", "--since", "31days"),
        ("burn", "-d", "0s"),
        ("burn", "-d", "1ns"),
        ("burn", "-d", "8days"),
        ("burn", "--interval", "1ns"),
        ("burn", "--interval", "0s"),
        ("burn", "--interval", "99ms"),
    ] {
        let named = if flag == "-d" { "--duration" } else { flag };
        out.push(case(&[cmd, flag, v], &[named]));
    }
}

fn count_cases(out: &mut Vec<Case>) {
    let options: [(&str, &str, &str); 11] = [
        ("probe", "--expect", "1025"),
        ("health", "--expect-gpus", "1025"),
        ("health", "--temperature-margin-c", "51"),
        ("health", "--ecc-corrected-max", "1000000001"),
        ("health", "--remap-uncorrectable-max", "1000000001"),
        ("health", "--retired-pages-max", "0"),
        ("health", "--pcie-replay-max", "1000000001"),
        ("health", "--nvlink-crc-max", "1000000001"),
        ("health", "--nvlink-replay-max", "1000000001"),
        ("health", "--nvlink-recovery-max", "1000000001"),
        ("burn", "--inject-fault", "1024"),
    ];
    for (cmd, flag, above) in options {
        for v in ["-1", "x", "1.5", "18446744073709551616", "1e3", above] {
            out.push(case(&[cmd, flag, v], &[flag]));
        }
    }
}

fn percent_and_float_cases(out: &mut Vec<Case>) {
    for v in ["-5%", "0.5", "0", "4%", "101%", "lots", "NaN", "inf%", "%"] {
        out.push(case(&["burn", "--memory", v], &["--memory"]));
    }
    for v in ["-1%", "101", "x", "1e400"] {
        out.push(case(&["burn", "--tolerance", v], &["--tolerance"]));
    }
    for v in ["150", "-1", "x%", "NaN"] {
        out.push(case(
            &["health", "--memory-used-max-pct", v],
            &["--memory-used-max-pct"],
        ));
    }
    for v in ["-5", "0", "inf", "NaN", "1e9", "x"] {
        out.push(case(&["burn", "--expect-tflops", v], &["--expect-tflops"]));
    }
}

fn version_cases(out: &mut Vec<Case>) {
    for flag in ["--min-driver", "--min-cuda"] {
        for v in [
            "99999999999999999999999.1",
            "18446744073709551616",
            "4294967296",
            "1..2",
            "abc",
            "12.",
            "-1",
            "1.2.3.4.5",
            "",
        ] {
            out.push(case(&["health", flag, v], &[flag]));
        }
    }
}

fn selector_and_enum_cases(out: &mut Vec<Case>) {
    for cmd in ["list", "probe", "health"] {
        for (v, named) in [
            ("all,99", "'99'"),
            ("99", "'99'"),
            ("bogus", "bogus"),
            ("-1", "'-1'"),
            ("0,,1", "'0,,1'"),
            ("", "--gpu"),
            ("GPU-", "GPU-"),
            ("gpu-ffff", "gpu-ffff"),
            ("zz:00.0", "zz:00.0"),
            ("0000:99:00.0", "0000:99:00.0"),
            ("4294967296", "4294967296"),
        ] {
            let mut args = vec![cmd, "-i", v];
            if cmd == "health" {
                args.push("--no-compute");
            }
            out.push(case(&args, &[named]));
        }
    }
    out.push(case(&["burn", "-i", "all,99", "-d", "1s"], &["'99'"]));
    out.push(case(&["list", "--format", "xml"], &["'xml'"]));
    out.push(case(&["health", "--fail-on", "maybe"], &["'maybe'"]));
    out.push(case(&["health", "--checks", "bogus"], &["'bogus'"]));
    out.push(case(&["health", "--skip", "ecc,nope"], &["'nope'"]));
    out.push(case(&["burn", "--dtype", "int8"], &["'int8'"]));
    out.push(case(&["burn", "--engine", "magic"], &["'magic'"]));
    out.push(case(&["completions", "klingon"], &["'klingon'"]));
    out.push(case(&["completions"], &["<SHELL>"]));
    out.push(case(&["list", "--bogus"], &["--bogus"]));
    out.push(case(&["probe", "--bogus"], &["--bogus"]));
    out.push(case(&["frobnicate"], &["frobnicate"]));
}

/// Config files, written under `dir`; each case names the file and the key.
fn config_cases(out: &mut Vec<Case>, dir: &std::path::Path) {
    let mut n = 0;
    let mut file = |text: &[u8]| -> String {
        n += 1;
        let p = dir.join(format!("c{n}.toml"));
        std::fs::write(&p, text).expect("write config");
        p.to_string_lossy().into_owned()
    };
    let bad: Vec<(&str, &str)> = vec![
        (
            "[health]\necc_corrected_max = \"lots\"\n",
            "ecc_corrected_max",
        ),
        ("[health]\necc_corrected_max = -1\n", "ecc_corrected_max"),
        ("[health]\necc_corrected_max = 1.5\n", "ecc_corrected_max"),
        (
            "[health]\necc_corrected_max = 18446744073709551615\n",
            "line 2",
        ),
        (
            "[health]\nremap_uncorrectable_max = true\n",
            "remap_uncorrectable_max",
        ),
        ("[health]\nretired_pages_max = 0\n", "retired_pages_max"),
        ("[health]\npcie_replay_max = [1]\n", "pcie_replay_max"),
        ("[health]\nnvlink_crc_max = 1000000001\n", "nvlink_crc_max"),
        ("[health]\nnvlink_replay_max = \"\"\n", "nvlink_replay_max"),
        (
            "[health]\nnvlink_recovery_max = -5\n",
            "nvlink_recovery_max",
        ),
        (
            "[health]\ntemperature_margin_c = 4294967296\n",
            "temperature_margin_c",
        ),
        (
            "[health]\nmemory_used_max_pct = 150\n",
            "memory_used_max_pct",
        ),
        (
            "[health]\nmemory_used_max_pct = \"x%\"\n",
            "memory_used_max_pct",
        ),
        ("[health]\nexpect_gpus = -1\n", "expect_gpus"),
        ("[health]\nexpect_gpus = \"eight\"\n", "expect_gpus"),
        ("[health]\nexpect_model = 5\n", "expect_model"),
        (
            "[health]\nmin_driver = \"99999999999999999999999.1\"\n",
            "min_driver",
        ),
        (
            "[health]\nmin_cuda = \"18446744073709551616\"\n",
            "min_cuda",
        ),
        ("[health]\nmin_cuda = 12.2\n", "min_cuda"),
        ("[health]\nwatch = \"soon\"\n", "watch"),
        ("[health]\nwatch = 5\n", "watch"),
        ("[health]\nsince = \"18446744073709551616s\"\n", "since"),
        ("[health]\ncompute_timeout = \"0s\"\n", "compute_timeout"),
        (
            "[health]\ncompute_timeout = \"18446744073709551615s\"\n",
            "compute_timeout",
        ),
        ("[health]\ncompute = \"yes\"\n", "compute"),
        ("[health]\nchecks = \"ecc\"\n", "checks"),
        ("[health]\nskip = [\"bogus\"]\n", "bogus"),
        ("[health]\nfail_on = \"maybe\"\n", "fail_on"),
        ("[health]\necc_max = 1\n", "ecc_max"),
        ("[probe]\nexpect = 1\n", "probe"),
        ("[health\n", "line 1"),
        ("[health]\nwatch = \n", "line 2"),
        ("[health]\nwatch = \"1s\"\nwatch = \"2s\"\n", "line 3"),
        ("health = 5\n", "health"),
    ];
    for (text, key) in bad {
        let path = file(text.as_bytes());
        out.push(case(&["health", "--config", &path], &[key]));
    }
    let not_utf8 = file(b"[health]\nexpect_model = \"\xff\"\n");
    out.push(case(&["health", "--config", &not_utf8], &["UTF-8"]));
    let huge = file(&vec![b'#'; 2 * 1024 * 1024]);
    out.push(case(&["health", "--config", &huge], &["limit"]));
    let absent = dir.join("absent.toml").to_string_lossy().into_owned();
    out.push(case(&["health", "--config", &absent], &[absent.as_str()]));
    let sub = dir.to_string_lossy().into_owned();
    out.push(case(&["health", "--config", &sub], &["not a regular file"]));
    out.push(case(&["health", "--config", "/dev/zero"], &["/dev/zero"]));
    out.push(case(&["health", "--config", "/dev/null"], &["/dev/null"]));
    let fifo = dir.join("fifo.toml");
    let c_path = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).expect("path");
    // SAFETY: mkfifo reads a valid NUL-terminated path and touches nothing else.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
    let fifo = fifo.to_string_lossy().into_owned();
    out.push(case(
        &["health", "--config", &fifo],
        &["not a regular file"],
    ));
}

#[test]
fn every_bad_input_is_a_bounded_usage_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cases = Vec::new();
    duration_cases(&mut cases);
    count_cases(&mut cases);
    percent_and_float_cases(&mut cases);
    version_cases(&mut cases);
    selector_and_enum_cases(&mut cases);
    memtest_cases(&mut cases);
    config_cases(&mut cases, dir.path());
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    eprintln!(
        "{} bad inputs, each run with --json and without",
        cases.len()
    );

    let threads = 4;
    let chunks: Vec<Vec<Case>> = (0..threads)
        .map(|t| cases.iter().skip(t).step_by(threads).cloned().collect())
        .collect();
    let problems: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| s.spawn(move || chunk.iter().flat_map(check).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("case thread"))
            .collect()
    });
    assert!(
        problems.is_empty(),
        "{} of {} cases failed:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}

/// `/dev/full` as stdout: the lost report is an error on stderr, exit 3.
#[test]
fn a_report_written_to_a_full_disk_is_an_error() {
    for args in [
        &["list"][..],
        &["list", "--json"][..],
        &["health", "--no-compute"][..],
        &["completions", "bash"][..],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = gpuctl()
            .args(args)
            .stdout(full)
            .output()
            .expect("gpuctl runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains("cannot write"), "{args:?}: {stderr}");
        assert!(stderr.contains("No space left"), "{args:?}: {stderr}");
    }
}

/// A reader that stops early (`| head`) is not an error.
#[test]
fn a_closed_pipe_is_still_a_success() {
    let mut child = gpuctl()
        .args(["list", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gpuctl starts");
    // Close the read end before gpuctl writes.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The valid edges of each range are accepted (the battery's rejections
/// are not a parser that refuses everything).
#[test]
fn the_edges_of_each_range_are_accepted() {
    for args in [
        &["list", "-i", "all,0"][..],
        &["probe", "--timeout", "1h", "--expect", "2"][..],
        &[
            "health",
            "--no-compute",
            "--watch",
            "0s",
            "--since",
            "30days",
        ][..],
        &[
            "health",
            "--no-compute",
            "--memory-used-max-pct",
            "100%",
            "--ecc-corrected-max",
            "1000000000",
            "--temperature-margin-c",
            "0",
            "--min-driver",
            "535.104",
        ][..],
    ] {
        let r = common::run(FIXTURE, args);
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
    }
}

/// Issue 24: clap's "did you mean" survives the one-line message, for a
/// command, an option and a value.
#[test]
fn typos_get_a_suggestion() {
    for (args, hint) in [
        (&["helth"][..], "(did you mean 'health'?)"),
        (
            &["health", "--chekcs", "ecc"][..],
            "(did you mean '--checks'?)",
        ),
        (
            &["health", "--fail-on", "wrn"][..],
            "(did you mean 'warn'?)",
        ),
        (&["list", "--format", "jsn"][..], "(did you mean 'json'?)"),
    ] {
        let r = common::run(FIXTURE, args);
        r.assert_code(2);
        assert!(r.stderr_line().contains(hint), "{args:?}: {r:?}");
        let mut json = args.to_vec();
        json.insert(0, "--json");
        let doc = common::run(FIXTURE, &json).report();
        assert!(
            doc.error.unwrap().message.contains(hint),
            "{args:?}: the JSON error keeps the hint"
        );
    }
}

/// Issue 24: `gpuctl` alone is one line pointing at `--help`, exit 2.
#[test]
fn no_command_is_one_line() {
    let r = common::run(FIXTURE, &[]);
    r.assert_code(2);
    assert_eq!(r.stdout, "");
    let line = r.stderr_line();
    assert!(
        line.starts_with("gpuctl: error: no command given"),
        "{line}"
    );
    assert!(
        line.contains("health") && line.contains("`gpuctl --help`"),
        "{line}"
    );
    let doc = common::run(FIXTURE, &["--json"]).report();
    assert_eq!(doc.error.unwrap().kind, "usage");
}
