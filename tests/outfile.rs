//! Output files and stdout (issue 19): every output path is checked before
//! any work, a side file that fails late never replaces the report, and a
//! closed stdout is an error, not a silent success.

mod common;

use common::{gpuctl_process, host_check, parse_report, run, Run};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Runs gpuctl where no file may grow past 0 bytes (RLIMIT_FSIZE 0, with
/// SIGXFSZ ignored so a write fails with EFBIG): creating files works, so
/// every output path passes its check, and then every write fails, as on a
/// disk that filled during the run. stdout is a pipe, which the limit
/// does not touch.
fn run_no_file_space(fixture: &str, args: &[&str]) -> Run {
    let mut cmd = gpuctl_process(fixture);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let zero = libc::rlimit {
                rlim_cur: 0,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &zero) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn unwritable_output_paths_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let missing = dir.path().join("no-such-dir").join("bench.xml");
    let cases: Vec<(&str, String, &str)> = vec![
        ("--junit", missing.display().to_string(), "does not exist"),
        ("--junit", "/dev/null".into(), "is a device node"),
        ("--junit", fifo.display().to_string(), "is a FIFO"),
        (
            "--save-baseline",
            dir.path().display().to_string(),
            "is a directory",
        ),
    ];
    for (option, path, why) in &cases {
        let run = run(
            "two_h100.json",
            &["bench", "--json", "--tests", "h2d", option, path],
        );
        run.assert_code(2);
        let report = parse_report(&run.stdout);
        let message = report.error.expect("an error").message;
        assert!(
            message.starts_with(&format!("{option} '{path}': ")) && message.contains(why),
            "{message}"
        );
        // Refused before the GPUs were even opened.
        assert!(report.gpus.is_empty(), "{option} {path}: work ran");
        assert!(report.driver.is_none(), "{option} {path}: driver opened");
    }
    // Nothing was created in place of the FIFO or in the missing directory.
    assert!(!missing.parent().unwrap().exists());
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn monitor_refuses_an_unwritable_textfile_or_a_taken_address_before_sampling() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("metrics.prom");
    mkfifo(&fifo);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let fifo_arg = fifo.display().to_string();
    for (args, why) in [
        (["--textfile", fifo_arg.as_str()], "is a FIFO"),
        (["--listen", address.as_str()], "cannot listen"),
    ] {
        let mut all = vec!["monitor", "--json", "-c", "2", "--interval", "100ms"];
        all.extend(args);
        let run = run("two_h100.json", &all);
        run.assert_code(2);
        // JSON Lines: the error is the one line, the report; no sample ran.
        let report = parse_report(&run.stdout);
        let message = report.error.expect("an error").message;
        assert!(
            message.starts_with(&format!("{} '{}': {why}", args[0], args[1])),
            "{message}"
        );
        assert!(report.gpus.is_empty());
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn a_side_file_that_fails_late_joins_the_report_and_keeps_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("bench.xml");
    let baseline = dir.path().join("baseline.json");
    let (xml_arg, baseline_arg) = (xml.display().to_string(), baseline.display().to_string());
    let args = [
        "bench",
        "--json",
        "--tests",
        "h2d",
        "--junit",
        xml_arg.as_str(),
        "--save-baseline",
        baseline_arg.as_str(),
    ];
    // The run passed on its GPUs: the report stays, with the two files as
    // FAIL host checks, and the exit code says the environment failed.
    // 6 MiB per simulated GPU: room for bench's buffers.
    let sized = common::variant(|f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["compute"]["memory_bytes"] = serde_json::json!(6u64 << 20);
        }
    });
    let run = run_no_file_space(sized.path(), &args);
    run.assert_code(3);
    let report = parse_report(&run.stdout);
    assert_eq!(report.outcome, "fail", "{report:#?}");
    assert!(report.error.is_none());
    assert_eq!(report.gpus.len(), 2);
    assert!(report
        .gpus
        .iter()
        .all(|g| g.status.as_deref() == Some("pass")));
    let failed: Vec<&str> = report
        .host_checks
        .iter()
        .filter(|c| c.name == "output_file" && c.status == "fail")
        .map(|c| c.message.as_str())
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed[0].starts_with(&format!("cannot write --save-baseline '{baseline_arg}'")));
    assert!(failed[1].starts_with(&format!("cannot write --junit '{xml_arg}'")));
    assert!(
        report.summary.contains("cannot write --junit"),
        "{}",
        report.summary
    );
    // No temporary file is left behind, and nothing half-written.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // And stderr says so, for `--json > file` users.
    assert!(
        run.stderr.contains(&format!(
            "gpuctl bench: error: cannot write --junit '{xml_arg}'"
        )),
        "{}",
        run.stderr
    );

    // A run whose GPUs failed keeps exit 1: CI still learns the verdict.
    let mut failing = args.to_vec();
    failing.extend(["--min", "h2d=60GB/s"]);
    let run = run_no_file_space("two_h100.json", &failing);
    run.assert_code(1);
    let report = parse_report(&run.stdout);
    assert_eq!(report.outcome, "fail");
    assert_eq!(host_check(&report, "output_file").status, "fail");
}

#[test]
fn a_textfile_that_stops_being_written_is_told_and_fails_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gpu.prom");
    let p = path.display().to_string();
    let run = run_no_file_space(
        "two_h100.json",
        &[
            "monitor",
            "--json",
            "-c",
            "3",
            "--interval",
            "100ms",
            "--textfile",
            &p,
        ],
    );
    run.assert_code(3);
    // Told once on stderr when it started, not every interval, and again
    // with the report.
    let told: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("cannot write --textfile"))
        .collect();
    assert_eq!(told.len(), 2, "{}", run.stderr);
    assert!(told[1].starts_with("gpuctl monitor: error: cannot write --textfile"));
    // And in the JSON Lines stream, as an event.
    let events: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &serde_json::Value| l["event"] == "textfile_failing")
        .collect();
    assert_eq!(events.len(), 1, "{}", run.stdout);
    assert_eq!(events[0]["path"], p.as_str());
    let last = run.stdout.lines().last().unwrap();
    let report = parse_report(&format!("{last}\n"));
    let check = host_check(&report, "output_file");
    assert_eq!(check.status, "fail");
    assert!(check.message.contains("3 of 3 writes failed"), "{check:?}");
    assert_eq!(report.exit_code, 3);
}

#[test]
fn a_written_textfile_counts_its_failed_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gpu.prom");
    let p = path.display().to_string();
    run(
        "two_h100.json",
        &[
            "monitor",
            "-q",
            "-c",
            "2",
            "--interval",
            "100ms",
            "--textfile",
            &p,
        ],
    )
    .assert_code(0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.lines().any(
            |l| l.starts_with("gpuctl_textfile_write_failures_total{hostname=")
                && l.ends_with(" 0.0")
        ),
        "{text}"
    );
    // Renamed into place: nothing else is left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// Spawns gpuctl with fd 1 closed, as `gpuctl ... >&-` does.
fn run_stdout_closed(args: &[&str]) -> (i32, String) {
    let mut cmd = gpuctl_process("two_h100.json");
    cmd.args(args).stderr(Stdio::piped());
    // SAFETY: close is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().expect("exited"),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_closed_stdout_is_an_error_not_a_lost_report() {
    for args in [&["list"][..], &["health", "--json"][..]] {
        let (code, stderr) = run_stdout_closed(args);
        assert_eq!(code, 3, "{args:?}: {stderr}");
        assert!(stderr.contains("stdout is closed"), "{args:?}: {stderr}");
    }
    // probe answers only 0 or 1.
    let (code, stderr) = run_stdout_closed(&["probe"]);
    assert_eq!(code, 1, "{stderr}");
}
