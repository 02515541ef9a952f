//! `monitor --pod-resources` (issue 23) end to end: the real binary on the
//! simulated backend asks a kubelet stand-in (tonic's gRPC server on a unix
//! socket, `tests/kubelet/`) which containers hold which GPUs, and labels
//! those GPUs' metrics with `pod`, `namespace` and `container`, in both
//! metric-name sets; a GPU nobody holds gets none; a kubelet that is missing
//! or silent is one warning, and the metrics go on without the labels.

mod common;
mod kubelet;

use common::*;
use kubelet::{pod, Kubelet};
use serde_json::Value;
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The MIG instances of `mig.json`'s GPU 0.
const MIG_A: &str = "MIG-11111111-2222-3333-4444-555555555555";
const MIG_B: &str = "MIG-66666666-7777-8888-9999-000000000000";

/// `monitor -q -c N --textfile F --pod-resources SOCKET ...`: exit code,
/// stderr and the textfile.
fn textfile_run(fixture: &str, socket: &std::path::Path, extra: &[&str]) -> (Run, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gpuctl.prom");
    let mut args = vec![
        "monitor",
        "-q",
        "--interval",
        "100ms",
        "--textfile",
        path.to_str().unwrap(),
        "--pod-resources",
        socket.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    if !extra.contains(&"-c") {
        args.extend_from_slice(&["-c", "1"]);
    }
    let run = run(fixture, &args);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    (run, text)
}

/// The series lines (no comments) whose labels include `label`.
fn series_with<'a>(text: &'a str, label: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains(label))
        .collect()
}

fn promtool_accepts(text: &str) {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("promtool"))
            .find(|p| p.is_file())
    });
    let Some(tool) = found else {
        assert!(std::env::var("CI").is_err(), "promtool is missing in CI");
        eprintln!("promtool not installed: skipping its check");
        return;
    };
    let mut child = std::process::Command::new(tool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_gpu_a_container_holds_carries_its_pod_labels_in_both_name_sets() {
    let kubelet = Kubelet::start(vec![
        pod("ml", "train-0", "trainer", "nvidia.com/gpu", &[UUID1]),
        // Not a GPU resource: never attributes GPU 0, whatever its ids.
        pod("net", "rdma-0", "agent", "rdma/hca_shared", &[UUID0]),
    ]);
    for (names, uuid_label) in [("gpuctl", "uuid"), ("dcgm", "UUID")] {
        let (run, text) = textfile_run(
            "two_h100.json",
            kubelet.socket(),
            &["--metric-names", names],
        );
        run.assert_code(0);
        assert_eq!(run.stderr, "", "no warning when the kubelet answers");
        let held = series_with(&text, &format!("{uuid_label}=\"{UUID1}\""));
        let free = series_with(&text, &format!("{uuid_label}=\"{UUID0}\""));
        assert!(held.len() >= 10, "{names}: {text}");
        // Every per-GPU series of the held GPU, and none of the other's.
        for line in &held {
            assert!(
                line.contains(r#"pod="train-0",namespace="ml",container="trainer""#),
                "{names}: {line}"
            );
        }
        for line in &free {
            assert!(
                !line.contains("pod=") && !line.contains("namespace="),
                "{names}: {line}"
            );
        }
        // Only the held GPU's series carry them.
        assert_eq!(series_with(&text, "pod=").len(), held.len(), "{names}");
        // promtool's lint refuses dcgm-exporter's own camelCase labels
        // (`modelName`), with or without pod labels: gpuctl's names only.
        if names == "gpuctl" {
            promtool_accepts(&text);
        }
    }
    assert!(kubelet.calls() >= 2, "asked once per run at least");
}

#[test]
fn a_pod_holding_mig_instances_labels_their_gpu() {
    let kubelet = Kubelet::start(vec![
        pod("a", "p1", "c1", "nvidia.com/mig-3g.40gb", &[MIG_A]),
        pod("b", "p2", "c2", "nvidia.com/mig-3g.40gb", &[MIG_B]),
    ]);
    let (run, text) = textfile_run("mig.json", kubelet.socket(), &[]);
    run.assert_code(0);
    let up: Vec<&str> = series_with(&text, "gpuctl_gpu_up{");
    assert_eq!(up.len(), 2, "{text}");
    let gpu0 = up.iter().find(|l| l.contains("gpu=\"0\"")).unwrap();
    // Two containers share the GPU: each label lists both, in one order.
    assert!(
        gpu0.contains(r#"pod="p1,p2",namespace="a,b",container="c1,c2""#),
        "{gpu0}"
    );
    let gpu1 = up.iter().find(|l| l.contains("gpu=\"1\"")).unwrap();
    assert!(!gpu1.contains("pod="), "{gpu1}");
}

#[test]
fn a_missing_socket_is_one_warning_and_metrics_without_labels() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("kubelet.sock");
    let (run, text) = textfile_run("two_h100.json", &socket, &["-c", "3"]);
    run.assert_code(0);
    let warning = run.stderr_line();
    assert!(warning.contains("--pod-resources"), "{warning}");
    assert!(warning.contains(socket.to_str().unwrap()), "{warning}");
    assert!(warning.contains("no such socket"), "{warning}");
    assert!(warning.contains("without pod labels"), "{warning}");
    assert_eq!(series_with(&text, "gpuctl_gpu_up{").len(), 2, "{text}");
    assert!(!text.contains("pod="), "{text}");
    assert!(text.contains("gpuctl_gpu_healthy{"), "{text}");
}

#[test]
fn json_lines_tell_a_failing_kubelet_once_and_stay_json() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("kubelet.sock");
    let run = run(
        "two_h100.json",
        &[
            "monitor",
            "--json",
            "-c",
            "3",
            "--interval",
            "100ms",
            "--pod-resources",
            socket.to_str().unwrap(),
        ],
    );
    run.assert_code(0);
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let events: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "pod_resources_failing")
        .collect();
    assert_eq!(events.len(), 1, "{}", run.stdout);
    assert_eq!(events[0]["socket"], socket.to_str().unwrap());
    assert!(events[0]["error"]
        .as_str()
        .unwrap()
        .contains("no such socket"));
    assert_eq!(
        lines.iter().filter(|l| l["event"] == "sample").count(),
        6,
        "the samples go on"
    );
    parse_report(&format!("{}\n", run.stdout.lines().last().unwrap()));
}

#[test]
fn a_kubelet_that_never_answers_delays_nothing_past_the_read_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let socket = kubelet::silent_socket(dir.path());
    let t0 = Instant::now();
    let (run, text) = textfile_run("two_h100.json", &socket, &["-c", "3"]);
    run.assert_code(0);
    // The first round waits for the first answer once (at most 1 s and a
    // margin at this interval), later rounds never wait.
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    let warning = run.stderr_line();
    assert!(
        warning.contains("did not answer") || warning.contains("no answer"),
        "{warning}"
    );
    assert_eq!(series_with(&text, "gpuctl_gpu_up{").len(), 2, "{text}");
    assert!(!text.contains("pod="), "{text}");
}

#[test]
fn the_default_socket_is_the_kubelets_and_an_empty_one_is_refused() {
    // No kubelet here: the warning names the default socket.
    if !std::path::Path::new(kubelet_default()).exists() {
        let run = run(
            "two_h100.json",
            &["monitor", "-q", "-c", "1", "--pod-resources"],
        );
        run.assert_code(0);
        assert!(
            run.stderr_line().contains(kubelet_default()),
            "{}",
            run.stderr
        );
    }
    let run = run("two_h100.json", &["monitor", "-c", "1", "--pod-resources="]);
    run.assert_code(2);
    let line = run.stderr.lines().find(|l| l.contains("--pod-resources"));
    assert!(
        line.is_some_and(|l| l.contains("empty path")),
        "{}",
        run.stderr
    );
}

fn kubelet_default() -> &'static str {
    "/var/lib/kubelet/pod-resources/kubelet.sock"
}
