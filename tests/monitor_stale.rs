//! monitor's staleness (issue 23): the sample timestamp, the textfile a
//! signal leaves behind, and dcgm help text in dcgm's units.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn series<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .collect()
}

fn value(line: &str) -> f64 {
    line.rsplit_once(' ').unwrap().1.parse().unwrap()
}

fn wait_for_file(path: &Path, needle: &str) -> String {
    let start = Instant::now();
    loop {
        if let Ok(t) = std::fs::read_to_string(path) {
            if t.contains(needle) {
                return t;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no {needle} in {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn a_signal_leaves_a_textfile_that_says_down_not_healthy() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gpuctl.prom");
        let mut child = common::gpuctl_process("two_h100.json")
            .args(["monitor", "-q", "--interval", "200ms", "--textfile"])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let live = wait_for_file(&file, "gpuctl_gpu_healthy{");
        let up = series(&live, "gpuctl_gpu_up");
        assert_eq!(up.len(), 2, "{live}");
        assert!(up.iter().all(|l| value(l) == 1.0), "{live}");
        let stamps = series(&live, "gpuctl_sample_timestamp_seconds");
        assert_eq!(stamps.len(), 2, "{live}");
        for s in &stamps {
            assert!((unix_now() - value(s)).abs() < 10.0, "{s}");
            assert!(s.contains("uuid=\"GPU-"), "{s}");
        }

        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = child.wait().unwrap();
        assert!(status.code().is_some(), "signal {signal}: {status:?}");
        let left = std::fs::read_to_string(&file).unwrap();
        let up = series(&left, "gpuctl_gpu_up");
        assert_eq!(up.len(), 2, "{left}");
        assert!(
            up.iter().all(|l| value(l) == 0.0),
            "signal {signal}: {left}"
        );
        assert!(series(&left, "gpuctl_gpu_healthy").is_empty(), "{left}");
        assert!(series(&left, "gpuctl_power_watts").is_empty(), "{left}");
        assert_eq!(series(&left, "gpuctl_sample_timestamp_seconds").len(), 2);
        // No temporary file is left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}

#[test]
fn a_counted_run_keeps_its_last_exposition() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gpuctl.prom");
    let run = common::run(
        "two_h100.json",
        &[
            "monitor",
            "-q",
            "-c",
            "1",
            "--textfile",
            file.to_str().unwrap(),
        ],
    );
    run.assert_code(0);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        series(&text, "gpuctl_gpu_up")
            .iter()
            .all(|l| value(l) == 1.0),
        "{text}"
    );
    assert_eq!(series(&text, "gpuctl_gpu_healthy").len(), 2, "{text}");
    assert_eq!(
        series(&text, "gpuctl_sample_timestamp_seconds").len(),
        2,
        "{text}"
    );
}

#[test]
fn dcgm_names_carry_help_in_dcgm_units() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gpuctl.prom");
    // An energy counter, read on the second round.
    let v = common::variant(|f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["monitor"] = serde_json::json!({"energy_mj": 1_000_000});
        }
    });
    let run = common::run(
        v.path(),
        &[
            "monitor",
            "-q",
            "-c",
            "2",
            "--interval",
            "100ms",
            "--metric-names",
            "dcgm",
            "--textfile",
            file.to_str().unwrap(),
        ],
    );
    run.assert_code(0);
    let text = std::fs::read_to_string(&file).unwrap();
    for (name, unit) in [
        ("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "millijoules"),
        ("DCGM_FI_DEV_FB_USED", "MiB"),
        ("DCGM_FI_DEV_SM_CLOCK", "megahertz"),
        ("DCGM_FI_DEV_GPU_UTIL", "percent"),
    ] {
        let help = text
            .lines()
            .find(|l| l.starts_with(&format!("# HELP {name} ")))
            .unwrap_or_else(|| panic!("no {name} in {text}"));
        assert!(help.contains(unit), "{help}");
    }
}

#[test]
fn hardware_xids_are_counted_even_when_an_application_xid_follows() {
    let v = common::variant(|f| f["gpus"][0]["xid_events"] = serde_json::json!([79, 13]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gpuctl.prom");
    let run = common::run(
        v.path(),
        &[
            "monitor",
            "-q",
            "-c",
            "8",
            "--interval",
            "500ms",
            "--textfile",
            file.to_str().unwrap(),
        ],
    );
    run.assert_code(0);
    let text = std::fs::read_to_string(&file).unwrap();
    let gpu0 = |name: &str| {
        series(&text, name)
            .into_iter()
            .find(|l| l.contains("gpu=\"0\""))
            .map(value)
            .unwrap_or_else(|| panic!("no {name} for GPU 0 in {text}"))
    };
    // The simulator delivers [79, 13] once per 1 s XID window: one hardware
    // XID in every two, the last one an application XID.
    let hardware = gpu0("gpuctl_xid_hardware_errors_total");
    assert!(hardware >= 1.0, "{text}");
    assert_eq!(gpu0("gpuctl_xid_errors_total"), 2.0 * hardware, "{text}");
    assert_eq!(gpu0("gpuctl_last_xid"), 13.0, "{text}");
}

#[test]
fn nvlink_error_counters_are_summed_over_links() {
    let v = common::variant(|f| {
        f["gpus"][1]["nvlinks"] = serde_json::json!([
            {"link": 0, "active": true, "crc_errors": 3, "replay_errors": 1, "recovery_errors": 0},
            {"link": 1, "active": true, "crc_errors": 4, "replay_errors": 0, "recovery_errors": 2},
        ]);
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gpuctl.prom");
    common::run(
        v.path(),
        &[
            "monitor",
            "-q",
            "-c",
            "1",
            "--textfile",
            file.to_str().unwrap(),
        ],
    )
    .assert_code(0);
    let text = std::fs::read_to_string(&file).unwrap();
    for (name, want) in [
        ("gpuctl_nvlink_crc_errors_total", 7.0),
        ("gpuctl_nvlink_replay_errors_total", 1.0),
        ("gpuctl_nvlink_recovery_errors_total", 2.0),
    ] {
        let found = series(&text, name);
        // GPU 0 has no NVLink: no series, not a zero.
        assert_eq!(found.len(), 1, "{name}: {text}");
        assert!(found[0].contains("gpu=\"1\""), "{}", found[0]);
        assert_eq!(value(found[0]), want, "{name}");
    }
}
