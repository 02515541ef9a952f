//! Tests for the fleet files under `deploy/`: the Slurm health check and
//! prolog run against a fake `scontrol` (which records its arguments) and the
//! real `gpuctl` on the simulated backend; the burn-in gate; the Prometheus
//! rules and the Grafana dashboard against a real `monitor` exposition; and
//! each file's own validator (promtool, hadolint, kubernetes-validate,
//! yamllint, shellcheck, systemd-analyze). A validator that is not installed
//! is skipped with a notice, except under CI (`CI` set), where `.ci/run`
//! installs them all (systemd-analyze excepted: it may not run in a container).

mod common;

use common::{fixture_path, variant_of};
use gpuctl::checks::xid::{classify, XidClass};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gpuctl_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("gpuctl")
}

/// The validator `name` on PATH, or None (skipped) outside CI.
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err() || name == "systemd-analyze",
            "{name} is missing in CI (.ci/run installs it)"
        );
        eprintln!("{name} not installed: skipping its check");
    }
    found
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write_exec(path: &Path, body: &str) {
    fs::write(path, body).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A PATH directory holding a fake `scontrol` and `logger` (both append their
/// arguments to a file) and `gpuctl` (the real binary, unless replaced).
struct FakeNode {
    dir: tempfile::TempDir,
}

impl FakeNode {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (name, log) in [("scontrol", "scontrol.log"), ("logger", "logger.log")] {
            write_exec(
                &d.join(name),
                &format!(
                    "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n",
                    d.join(log).display()
                ),
            );
        }
        std::os::unix::fs::symlink(gpuctl_bin(), d.join("gpuctl")).unwrap();
        FakeNode { dir }
    }

    /// Replaces `gpuctl` with a shell script.
    fn fake_gpuctl(&self, body: &str) {
        let p = self.dir.path().join("gpuctl");
        fs::remove_file(&p).unwrap();
        write_exec(&p, body);
    }

    fn lines(&self, log: &str) -> Vec<String> {
        fs::read_to_string(self.dir.path().join(log))
            .map(|s| s.lines().map(String::from).collect())
            .unwrap_or_default()
    }

    /// The calls that change Slurm (not `show node`, which only reads).
    fn scontrol_calls(&self) -> Vec<String> {
        self.lines("scontrol.log")
            .into_iter()
            .filter(|c| !c.starts_with("show node"))
            .collect()
    }

    /// Runs a deploy/ script with PATH starting at the fake directory.
    fn run(&self, script: &str, fixture: &str, env: &[(&str, &str)]) -> Output {
        let path = format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        cmd.arg(repo().join(script))
            .env("PATH", path)
            .env("GPUCTL_SIMULATE", fixture_path(fixture))
            .env("GPUCTL_NODE", "node17")
            .env("GPUCTL_STATE_DIR", self.dir.path().join("state"))
            .env_remove("CUDA_VISIBLE_DEVICES")
            .env_remove("GPUCTL")
            .env_remove("GPUCTL_HEALTH_ARGS")
            .env_remove("SLURM_JOB_GPUS")
            .env_remove("GPUCTL_HEALTH_COMMAND");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            !self.scontrol_calls().iter().any(|c| c.contains("resume")),
            "a script resumed a node: {:?}",
            self.scontrol_calls()
        );
        out
    }
}

const HEALTHCHECK: &str = "deploy/slurm/gpuctl-healthcheck.sh";
const PROLOG: &str = "deploy/slurm/gpuctl-prolog.sh";

/// The JSON readers the health check can use here (jq, python3).
fn json_tools() -> Vec<&'static str> {
    let tools: Vec<&str> = ["jq", "python3"]
        .into_iter()
        .filter(|t| {
            Command::new(t)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    assert!(!tools.is_empty(), "neither jq nor python3 is installed");
    tools
}

#[test]
fn healthcheck_on_a_healthy_node_calls_no_scontrol() {
    for t in json_tools() {
        let node = FakeNode::new();
        let out = node.run(HEALTHCHECK, "two_h100.json", &[("GPUCTL_JSON_TOOL", t)]);
        assert_eq!(out.status.code(), Some(0), "{t}: {}", text(&out));
        assert!(node.scontrol_calls().is_empty(), "{t}");
        assert!(node.lines("logger.log").is_empty(), "{t}");
    }
}

#[test]
fn healthcheck_drains_once_naming_the_gpu_check_and_remedy() {
    for t in json_tools() {
        let node = FakeNode::new();
        let out = node.run(HEALTHCHECK, "ecc_error.json", &[("GPUCTL_JSON_TOOL", t)]);
        assert_eq!(out.status.code(), Some(1), "{t}: {}", text(&out));
        assert_eq!(
            node.scontrol_calls(),
            vec![
                "update nodename=node17 state=drain reason=gpuctl: GPU 0 FAIL \
                 (ecc_volatile_uncorrected) - drain the node, then reset the GPU \
                 (nvidia-smi -r -i 00000000:18:00.0) or reboot; RMA if it recurs"
            ],
            "{t}"
        );
        assert!(
            node.lines("logger.log")
                .iter()
                .any(|l| l.contains("draining node17")),
            "{t}"
        );
    }
}

#[test]
fn healthcheck_can_run_diag_level_1_and_drains_with_the_phase_remedy() {
    for t in json_tools() {
        let node = FakeNode::new();
        let env = [
            ("GPUCTL_JSON_TOOL", t),
            ("GPUCTL_HEALTH_COMMAND", "diag"),
            ("GPUCTL_HEALTH_ARGS", "--level 1"),
        ];
        let out = node.run(HEALTHCHECK, "two_h100.json", &env);
        assert_eq!(out.status.code(), Some(0), "{t}: {}", text(&out));
        assert!(node.scontrol_calls().is_empty(), "{t}");
        let out = node.run(HEALTHCHECK, "ecc_error.json", &env);
        assert_eq!(out.status.code(), Some(1), "{t}: {}", text(&out));
        let calls = node.scontrol_calls();
        assert_eq!(calls.len(), 1, "{t}: {calls:?}");
        assert!(
            calls[0].contains("GPU 0 FAIL (diag_health)")
                && calls[0].contains("nvidia-smi -r -i 00000000:18:00.0"),
            "{t}: {calls:?}"
        );
    }
}

#[test]
fn healthcheck_names_every_failing_gpu_and_host_check_and_truncates() {
    // GPU 0 hot, GPU 1 with a row-remap failure, and one GPU fewer than expected.
    let v = variant_of("hot.json", |f| {
        f["gpus"][1]["errors"]["row_remap"]["failure"] = json!(true);
    });
    for t in json_tools() {
        let node = FakeNode::new();
        let env = [
            ("GPUCTL_JSON_TOOL", t),
            ("GPUCTL_HEALTH_ARGS", "--no-compute --expect-gpus 3"),
        ];
        let out = node.run(HEALTHCHECK, v.path(), &env);
        assert_eq!(out.status.code(), Some(1), "{t}: {}", text(&out));
        let calls = node.scontrol_calls();
        assert_eq!(calls.len(), 1, "{t}: {calls:?}");
        let reason = calls[0].split("reason=").nth(1).unwrap();
        for part in ["host FAIL (gpu_count)", "GPU 0 FAIL (temperature)"] {
            assert!(reason.contains(part), "{t}: {reason}");
        }
        assert!(
            reason.contains("GPU 1 FAIL (row_remap_failure)"),
            "{t}: {reason}"
        );

        let node = FakeNode::new();
        let out = node.run(
            HEALTHCHECK,
            v.path(),
            &[env[0], env[1], ("GPUCTL_REASON_MAX", "60")],
        );
        assert_eq!(out.status.code(), Some(1), "{t}: {}", text(&out));
        let reason = node.scontrol_calls()[0]
            .split("reason=")
            .nth(1)
            .unwrap()
            .to_string();
        assert_eq!(reason.chars().count(), 60, "{t}: {reason}");
        assert!(reason.starts_with("gpuctl: host FAIL") && reason.ends_with("..."));
    }
}

#[test]
fn healthcheck_never_drains_on_a_usage_error_or_a_broken_gpuctl_but_does_without_a_driver() {
    for t in json_tools() {
        // exit 2: a bad option.
        let node = FakeNode::new();
        let env = [("GPUCTL_JSON_TOOL", t), ("GPUCTL_HEALTH_ARGS", "--bogus")];
        let out = node.run(HEALTHCHECK, "ecc_error.json", &env);
        assert_eq!(out.status.code(), Some(2), "{t}: {}", text(&out));
        assert!(node.scontrol_calls().is_empty(), "{t}");
        assert!(text(&out).contains("usage error (exit 2), node NOT drained"));
        assert!(node.lines("logger.log")[0].contains("NOT drained"));

        // exit 3: no driver. No GPU job can run: drained, the error as
        // reason (issue 23).
        let node = FakeNode::new();
        let out = node.run(HEALTHCHECK, "no_driver.json", &[("GPUCTL_JSON_TOOL", t)]);
        assert_eq!(out.status.code(), Some(1), "{t}: {}", text(&out));
        let calls = node.scontrol_calls();
        assert_eq!(calls.len(), 1, "{t}: {calls:?}");
        assert!(
            calls[0]
                .contains("reason=gpuctl: host FAIL (driver: libnvidia-ml.so.1 (NVML) not found"),
            "{t}: {calls:?}"
        );

        // gpuctl missing.
        let node = FakeNode::new();
        let env = [("GPUCTL_JSON_TOOL", t), ("GPUCTL", "/nonexistent/gpuctl")];
        let out = node.run(HEALTHCHECK, "ecc_error.json", &env);
        assert_eq!(out.status.code(), Some(3), "{t}: {}", text(&out));
        assert!(node.scontrol_calls().is_empty(), "{t}");
    }
}

#[test]
fn healthcheck_never_drains_on_output_it_cannot_trust() {
    let cases = [
        // exit 1 with output that is not JSON
        "echo 'Segmentation fault'; exit 1",
        // exit 1 with JSON that is not a report
        "echo '[1,2]'; exit 1",
        // exit 1 but the report says pass
        r#"echo '{"outcome":"pass","gpus":[]}'; exit 1"#,
        // exit 0 but the report says fail
        r#"echo '{"outcome":"fail","gpus":[]}'; exit 0"#,
        // interrupted
        r#"echo '{"outcome":"interrupted"}'; exit 130"#,
    ];
    for t in json_tools() {
        for body in cases {
            let node = FakeNode::new();
            node.fake_gpuctl(&format!("#!/bin/sh\n{body}\n"));
            let out = node.run(HEALTHCHECK, "two_h100.json", &[("GPUCTL_JSON_TOOL", t)]);
            let code = out.status.code().unwrap();
            assert!(code >= 2, "{t} {body}: exit {code}; {}", text(&out));
            assert!(node.scontrol_calls().is_empty(), "{t} {body}");
            assert!(text(&out).contains("NOT drained"), "{t} {body}");
        }
    }
}

#[test]
fn prolog_passes_a_healthy_node_refuses_a_sick_one_and_guards_p2p() {
    let node = FakeNode::new();
    let out = node.run(PROLOG, "two_h100.json", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = node.run(PROLOG, "ecc_error.json", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("uncorrectable ECC"), "{}", text(&out));
    let out = node.run(PROLOG, "no_driver.json", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // A gpuctl that has `p2p`: called with --enable-only on a 2-GPU node, and
    // its failure refuses the job.
    let node = FakeNode::new();
    let log = node.dir.path().join("p2p.log");
    node.fake_gpuctl(&format!(
        "#!/bin/sh\nif [ \"$1\" = p2p ]; then echo \"$*\" >> '{}'; [ \"$2\" = --help ] && exit 0; exit \"${{P2P_RC:-0}}\"; fi\nexec '{}' \"$@\"\n",
        log.display(),
        gpuctl_bin().display()
    ));
    let both = ("SLURM_JOB_GPUS", "0,1");
    let out = node.run(PROLOG, "two_h100.json", &[both]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        node.lines("p2p.log"),
        vec!["p2p --help", "p2p -i 0,1 --enable-only"]
    );
    // No job GPUs: no contexts at all.
    let out = node.run(PROLOG, "two_h100.json", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(node.lines("p2p.log").len(), 2);
    let out = node.run(PROLOG, "two_h100.json", &[both, ("P2P_RC", "1")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // One GPU: no p2p at all.
    let one = variant_of("two_h100.json", |f| {
        f["gpus"].as_array_mut().unwrap().truncate(1);
    });
    let node2 = FakeNode::new();
    let log2 = node2.dir.path().join("p2p.log");
    node2.fake_gpuctl(&format!(
        "#!/bin/sh\nif [ \"$1\" = p2p ]; then echo \"$*\" >> '{}'; exit 0; fi\nexec '{}' \"$@\"\n",
        log2.display(),
        gpuctl_bin().display()
    ));
    let out = node2.run(PROLOG, one.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(node2.lines("p2p.log").is_empty());
}

#[test]
fn burn_in_gate_passes_only_when_every_step_ran_and_passed() {
    let node = FakeNode::new();
    let script = "deploy/kubernetes/burnin.sh";
    let quick = [
        ("GPUCTL_BURNIN_STEPS", "health burn"),
        ("GPUCTL_BURN_DURATION", "1s"),
    ];
    // The default gate's first step: diag --level 3 (its burn shortened).
    let diag = [
        ("GPUCTL_BURNIN_STEPS", "diag"),
        ("GPUCTL_BURN_DURATION", "1s"),
    ];
    // diag's memtest runs its kernels' references on the simulated GPUs'
    // memory: a few MiB each, with room for its flush buffer and for
    // bench's buffers; the fixtures' launch gap stays (bench's HBM figures
    // on buffers this small are mostly the gap).
    let small = common::small_gpus;
    let (two, ecc) = (small("two_h100.json"), small("ecc_error.json"));
    let out = node.run(script, two.path(), &diag);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("gpuctl diag --level 3 --burn-duration 1s"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("burn-in: PASS: diag"), "{}", text(&out));
    let out = node.run(script, ecc.path(), &diag);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("'gpuctl diag --level 3 --burn-duration 1s' exited 1"),
        "{}",
        text(&out)
    );
    let out = node.run(script, "two_h100.json", &quick);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("burn-in: PASS: health burn"));
    let out = node.run(script, "ecc_error.json", &quick);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("'gpuctl health --fail-on warn' exited 1"));
    // A node a step could not fully verify is not admitted (issue 19): a
    // WARN fails the gate, in health (--fail-on warn) and in burn.
    let blind = variant_of("two_h100.json", |f| {
        f["gpus"][1]["xid_watch_error"] = json!({"failed": "event set broke"});
    });
    let out = node.run(script, blind.path(), &quick);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("'gpuctl health --fail-on warn' exited 1"));
    let burn_only = [("GPUCTL_BURNIN_STEPS", "burn"), quick[1]];
    let out = node.run(script, blind.path(), &burn_only);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("outcome is 'warn', not pass"),
        "{}",
        text(&out)
    );
    // A MIG GPU burn cannot test fails the gate.
    let out = node.run(script, "mig.json", &burn_only);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // The default steps need memtest and bench (and a real baseline): a gpuctl
    // without them, or the shipped empty baseline, fails closed.
    let baseline = repo().join("deploy/kubernetes/baseline.json");
    let out = node.run(
        script,
        "two_h100.json",
        &[
            ("GPUCTL_BURN_DURATION", "1s"),
            ("GPUCTL_BASELINE", baseline.to_str().unwrap()),
        ],
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("burn-in: FAIL"), "{}", text(&out));
}

/// A real `monitor` exposition on the simulator: two samples of the ECC
/// fixture with PCIe and NVLink traffic, so every metric is present.
/// Two active NVLinks with some errors, so their counters are exposed.
fn nvlinks() -> serde_json::Value {
    json!([
        {"link": 0, "active": true, "crc_errors": 3, "replay_errors": 1, "recovery_errors": 0},
        {"link": 1, "active": true, "crc_errors": 0, "replay_errors": 0, "recovery_errors": 0},
    ])
}

fn exposition() -> String {
    let v = variant_of("ecc_error.json", |f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["monitor"] = json!({
                "energy_mj": 1_000_000,
                "pcie_tx_bytes_per_s": 1_000_000,
                "pcie_rx_bytes_per_s": 2_000_000,
                "nvlink_tx_bytes_per_s": 3_000_000,
                "nvlink_rx_bytes_per_s": 4_000_000,
            });
            g["nvlinks"] = nvlinks();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gpuctl.prom");
    let run = common::run(
        v.path(),
        &[
            "monitor",
            "-q",
            "--textfile",
            file.to_str().unwrap(),
            "-c",
            "2",
            "--interval",
            "100ms",
        ],
    );
    run.assert_code(0);
    fs::read_to_string(file).unwrap()
}

fn exposed_names_and_labels(expo: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut names = BTreeSet::new();
    let mut labels = BTreeSet::new();
    for line in expo.lines().filter(|l| !l.starts_with('#')) {
        let (name, rest) = line.split_once('{').unwrap();
        names.insert(name.to_string());
        let inner = rest.split_once('}').unwrap().0;
        for kv in inner.split("\",") {
            labels.insert(kv.split_once('=').unwrap().0.to_string());
        }
    }
    (names, labels)
}

fn gpuctl_names_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(pos) = text[i..].find("gpuctl_") {
        let start = i + pos;
        let mut end = start;
        while end < b.len() && (b[end].is_ascii_lowercase() || b[end] == b'_') {
            end += 1;
        }
        out.insert(text[start..end].to_string());
        i = end;
    }
    out
}

#[test]
fn rules_tests_and_dashboard_use_only_metrics_monitor_exposes() {
    let expo = exposition();
    if let Some(promtool) = tool("promtool") {
        let out = Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .output_with_stdin(&expo);
        assert!(out.status.success(), "{}", text(&out));
    }
    let (names, labels) = exposed_names_and_labels(&expo);
    assert_eq!(
        labels,
        ["gpu", "uuid", "pci_bus_id", "model", "hostname"]
            .map(String::from)
            .into(),
    );
    for file in [
        "deploy/prometheus/gpuctl-rules.yml",
        "deploy/prometheus/gpuctl-rules.test.yml",
        "deploy/grafana/gpuctl.json",
    ] {
        let used = gpuctl_names_in(&fs::read_to_string(repo().join(file)).unwrap());
        assert!(used.len() >= 5, "{file}: {used:?}");
        let missing: Vec<_> = used.difference(&names).collect();
        assert!(
            missing.is_empty(),
            "{file} uses {missing:?}, not in:\n{expo}"
        );
    }
    // The unit tests' series carry exactly the exposition's labels.
    let tests = fs::read_to_string(repo().join("deploy/prometheus/gpuctl-rules.test.yml")).unwrap();
    let mut n = 0;
    // (`up` is Prometheus's own series, of the exporter-down test.)
    for line in tests
        .lines()
        .filter(|l| l.contains("- series:") && !l.contains("'up{"))
    {
        let inner = line.split_once('{').unwrap().1.split_once('}').unwrap().0;
        let got: BTreeSet<String> = inner
            .split("\",")
            .map(|kv| kv.split_once('=').unwrap().0.to_string())
            .collect();
        assert_eq!(got, labels, "{line}");
        n += 1;
    }
    assert!(n >= 10);
}

trait OutputWithStdin {
    fn output_with_stdin(&mut self, input: &str) -> Output;
}

impl OutputWithStdin for Command {
    fn output_with_stdin(&mut self, input: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

#[test]
fn promtool_checks_and_unit_tests_the_rules() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let dir = repo().join("deploy/prometheus");
    let out = Command::new(&promtool)
        .args(["check", "rules", "gpuctl-rules.yml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    for tests in ["gpuctl-rules.test.yml", "gpuctl-rules-dcgm.test.yml"] {
        let out = Command::new(&promtool)
            .args(["test", "rules", tests])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{tests}: {}", text(&out));
    }
    // The tests can fail: a rule that stops firing is caught.
    let tmp = tempfile::tempdir().unwrap();
    let rules = fs::read_to_string(dir.join("gpuctl-rules.yml"))
        .unwrap()
        .replace(
            "gpuctl_row_remap_failure == 1",
            "gpuctl_row_remap_failure == 2",
        );
    fs::write(tmp.path().join("gpuctl-rules.yml"), rules).unwrap();
    fs::copy(
        dir.join("gpuctl-rules.test.yml"),
        tmp.path().join("gpuctl-rules.test.yml"),
    )
    .unwrap();
    let out = Command::new(&promtool)
        .args(["test", "rules", "gpuctl-rules.test.yml"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
}

#[test]
fn hardware_xid_rule_counts_the_hardware_class_not_the_last_xid() {
    // The class lives in src/checks/xid.rs only: monitor counts by it, and
    // the rule reads that counter (issue 23: a hardware XID followed by an
    // application one was missed when the rule read the last XID).
    let rules = fs::read_to_string(repo().join("deploy/prometheus/gpuctl-rules.yml")).unwrap();
    let rule = rules
        .split("- alert: ")
        .find(|r| r.starts_with("GpuctlHardwareXid"))
        .unwrap();
    assert!(
        rule.contains("increase(gpuctl_xid_hardware_errors_total[10m]) > 0"),
        "{rule}"
    );
    assert!(!rules.contains("gpuctl_last_xid =="), "{rules}");
    assert!(classify(79).class == XidClass::Hardware && classify(13).class != XidClass::Hardware);
}

#[test]
fn grafana_dashboard_is_valid_json_with_queries_on_a_datasource_variable() {
    let dash: Value = serde_json::from_str(
        &fs::read_to_string(repo().join("deploy/grafana/gpuctl.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(dash["uid"], "gpuctl-gpus");
    let panels = dash["panels"].as_array().unwrap();
    assert!(panels.len() >= 10);
    let mut ids = BTreeSet::new();
    for p in panels {
        assert!(ids.insert(p["id"].as_u64().unwrap()), "duplicate panel id");
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        for t in p["targets"].as_array().unwrap() {
            let expr = t["expr"].as_str().unwrap();
            assert!(expr.contains("hostname=~\"$hostname\""), "{expr}");
        }
    }
}

#[test]
fn dockerfile_passes_hadolint_and_runs_gpuctl_as_non_root() {
    let path = repo().join("deploy/Dockerfile");
    let df = fs::read_to_string(&path).unwrap();
    for needle in [
        "HEALTHCHECK --interval=30s --timeout=5s",
        r#"CMD ["gpuctl", "probe", "--timeout", "3s"]"#,
        r#"ENTRYPOINT ["gpuctl"]"#,
        "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
        "NVIDIA_VISIBLE_DEVICES=all",
        "USER 10001:10001",
        "ARG WITH_CUBLASLT=0",
        "FROM runtime-${WITH_CUBLASLT}",
    ] {
        assert!(df.contains(needle), "Dockerfile lacks {needle}");
    }
    // The HEALTHCHECK's command gives Docker's codes: 0 healthy, 1 unhealthy.
    assert_eq!(
        common::run("two_h100.json", &["probe", "--timeout", "3s"]).code,
        0
    );
    assert_eq!(
        common::run("ecc_error.json", &["probe", "--timeout", "3s"]).code,
        1
    );
    if let Some(hadolint) = tool("hadolint") {
        let out = Command::new(hadolint).arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
}

const K8S_CORE: [&str; 4] = [
    "namespace.yaml",
    "daemonset.yaml",
    "service.yaml",
    "burnin-job.yaml",
];

#[test]
fn kubernetes_manifests_validate_and_kustomization_lists_them() {
    let dir = repo().join("deploy/kubernetes");
    let kust = fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    let listed: BTreeSet<&str> = kust
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .collect();
    for f in K8S_CORE
        .iter()
        .filter(|f| **f != "burnin-job.yaml")
        .chain(&["podmonitor.yaml", "burnin.sh", "baseline.json"])
    {
        assert!(listed.contains(f), "kustomization.yaml lacks {f}");
        assert!(dir.join(f).is_file(), "{f}");
    }
    // The burn-in Job is a per-node template, never applied by `apply -k`
    // (issue 23); its name and node come from NODE_NAME, and health gates
    // on warnings too.
    assert!(!listed.contains("burnin-job.yaml"), "{kust}");
    let job = fs::read_to_string(dir.join("burnin-job.yaml")).unwrap();
    assert!(job.contains("name: gpuctl-burnin-NODE_NAME\n"), "{job}");
    assert!(job.contains("kubernetes.io/hostname: NODE_NAME\n"), "{job}");
    let gate = fs::read_to_string(dir.join("burnin.sh")).unwrap();
    assert!(
        gate.contains("health) args=(health --fail-on warn)"),
        "{gate}"
    );
    let ds = fs::read_to_string(dir.join("daemonset.yaml")).unwrap();
    for needle in [
        r#"args: ["monitor", "--quiet", "--listen", "0.0.0.0:9400", "--interval", "10s", "--pod-resources"]"#,
        r#"command: ["gpuctl", "probe", "--timeout", "3s"]"#,
        "timeoutSeconds: 5",
        // Root for the kubelet's pod-resources socket (issue 23).
        "runAsUser: 0\n",
        "readOnlyRootFilesystem: true",
        // Every GPU whatever the container toolkit does (issue 23).
        "privileged: true",
        "mountPath: /var/lib/kubelet/pod-resources",
        "key: nvidia.com/gpu.present",
        "key: nvidia.com/gpu\n",
        "prometheus.io/scrape: \"true\"",
    ] {
        assert!(ds.contains(needle), "daemonset.yaml lacks {needle}");
    }
    // The DaemonSet's arguments are ones monitor accepts.
    let run = common::run(
        "two_h100.json",
        &[
            "monitor",
            "--quiet",
            "--listen",
            "127.0.0.1:0",
            "--interval",
            "10s",
            "--pod-resources",
            "-c",
            "1",
        ],
    );
    run.assert_code(0);

    if let Some(kv) = tool("kubernetes-validate") {
        // ServiceMonitor/PodMonitor are custom resources and the
        // kustomization is not a resource: kubernetes-validate has no schema
        // for them, so only yamllint checks those three.
        let out = Command::new(kv)
            .args(["--strict", "--quiet"])
            .args(K8S_CORE)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        // It does catch a mistyped field.
        let tmp = tempfile::tempdir().unwrap();
        let bad = tmp.path().join("bad.yaml");
        fs::write(&bad, ds.replace("timeoutSeconds", "timeoutSecond")).unwrap();
        let out = Command::new(tool("kubernetes-validate").unwrap())
            .args(["--strict", "--quiet"])
            .arg(&bad)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{}", text(&out));
    }
    if let Some(yamllint) = tool("yamllint") {
        let out = Command::new(yamllint)
            .args(["-s", "deploy", ".yamllint"])
            .current_dir(repo())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
}

#[test]
fn shell_scripts_pass_shellcheck() {
    let Some(sc) = tool("shellcheck") else {
        return;
    };
    let scripts = [
        HEALTHCHECK,
        PROLOG,
        "deploy/kubernetes/burnin.sh",
        "tests/gpu/check_deploy.sh",
        "tests/gpu/run.sh",
        "tests/slurm/cluster.sh",
    ];
    let out = Command::new(sc)
        .args(scripts)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn systemd_units_verify() {
    let dir = repo().join("deploy/systemd");
    let units = [
        "gpuctl-monitor.service",
        "gpuctl-health.service",
        "gpuctl-health.timer",
    ];
    let monitor = fs::read_to_string(dir.join(units[0])).unwrap();
    assert!(monitor.contains(
        "ExecStart=/usr/local/bin/gpuctl monitor --quiet --interval 15s --textfile \
         /var/lib/node_exporter/textfile_collector/gpuctl.prom"
    ));
    let health = fs::read_to_string(dir.join(units[1])).unwrap();
    assert!(health.contains("ExecStart=/usr/local/bin/gpuctl health --json"));
    let Some(sa) = tool("systemd-analyze") else {
        return;
    };
    // verify needs ExecStart's binary to exist: point it at the one built here.
    let tmp = tempfile::tempdir().unwrap();
    for u in units {
        let body = fs::read_to_string(dir.join(u))
            .unwrap()
            .replace("/usr/local/bin/gpuctl", gpuctl_bin().to_str().unwrap());
        fs::write(tmp.path().join(u), body).unwrap();
    }
    let out = Command::new(sa)
        .args(["verify", "--man=no"])
        .args(units.map(|u| tmp.path().join(u)))
        .output()
        .unwrap();
    let msg = text(&out);
    if msg.contains("Failed to initialize manager") || msg.contains("System has not been booted") {
        eprintln!("systemd-analyze cannot run here: skipping ({msg})");
        return;
    }
    // Unknown keys are only warnings to systemd-analyze: any output fails.
    assert!(out.status.success() && msg.trim().is_empty(), "{msg}");
}

/// The shell commands in README's "Fleet" section (```sh blocks).
fn readme_fleet_commands() -> Vec<String> {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("\n## Fleet\n")
        .expect("README has a Fleet section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let mut cmds = Vec::new();
    let mut in_sh = false;
    for line in section.lines() {
        match line.trim() {
            "```sh" => in_sh = true,
            "```" => in_sh = false,
            l if in_sh && !l.is_empty() && !l.starts_with('#') => cmds.push(l.to_string()),
            _ => {}
        }
    }
    cmds
}

#[test]
fn every_command_in_the_readme_fleet_section_is_run_or_its_files_validated() {
    let cmds = readme_fleet_commands();
    assert!(cmds.len() >= 10, "{cmds:?}");
    let node = FakeNode::new();
    let textfile_dir = tempfile::tempdir().unwrap();
    let path = format!(
        "{}:{}",
        node.dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |cmd: &str| {
        let cmd = cmd.replace(
            "/var/lib/node_exporter/textfile_collector",
            textfile_dir.path().to_str().unwrap(),
        );
        let out = Command::new("bash")
            .args(["-c", &cmd])
            .current_dir(repo())
            .env("PATH", &path)
            .env("GPUCTL_SIMULATE", fixture_path("two_h100.json"))
            .env_remove("CUDA_VISIBLE_DEVICES")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README command failed: {cmd}\n{}",
            text(&out)
        );
    };
    // Commands that need a cluster, a container runtime, systemd or root:
    // the files they name must exist (their validators run in the tests above).
    let validated_only = [
        "sed 's/NODE_NAME/",
        "docker build ",
        "kubectl ",
        "sudo install ",
        "sudo systemctl ",
    ];
    let mut ran = 0;
    for cmd in &cmds {
        if cmd.starts_with("gpuctl ") || cmd.starts_with("bash deploy/") {
            run(cmd);
            ran += 1;
        } else if cmd.starts_with("promtool ") {
            if tool("promtool").is_some() {
                run(cmd);
                ran += 1;
            }
        } else if validated_only.iter().any(|p| cmd.starts_with(p)) {
            for word in cmd.split_whitespace() {
                let word = word.split_once('=').map_or(word, |(_, v)| v);
                if word.starts_with("deploy/") {
                    assert!(repo().join(word).exists(), "{cmd}: {word} does not exist");
                }
            }
        } else {
            panic!("README Fleet command not covered by tests/deploy.rs: {cmd}");
        }
    }
    assert_eq!(node.scontrol_calls(), Vec::<String>::new());
    assert!(ran >= 4, "{cmds:?}");
}

/// The health unit's journal recipe, run on what gpuctl writes when its
/// stdout is the journal (issue 23): one compact line per report, found by
/// the recipe among stderr lines, outcome read by jq.
#[test]
fn health_unit_journal_recipe_reads_the_one_line_report() {
    let unit = fs::read_to_string(repo().join("deploy/systemd/gpuctl-health.service")).unwrap();
    assert!(unit.contains("AmbientCapabilities=CAP_SYSLOG"), "{unit}");
    assert!(
        unit.contains("CapabilityBoundingSet=CAP_SYSLOG\n"),
        "{unit}"
    );
    let recipe = unit
        .lines()
        .find_map(|l| l.strip_prefix("# Recipe: "))
        .expect("the unit documents its recipe");
    let journalctl = "journalctl -u gpuctl-health -o cat";
    assert!(recipe.starts_with(journalctl), "{recipe}");
    let Some(_) = tool("jq") else {
        return;
    };
    for (fixture, want) in [("two_h100.json", "pass"), ("ecc_error.json", "fail")] {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal");
        let file = fs::File::create(&journal).unwrap();
        let meta = fs::metadata(&journal).unwrap();
        use std::os::unix::fs::MetadataExt;
        // stdout and stderr both to the "journal", as the unit has them.
        let status = common::gpuctl_process(fixture)
            .args(["health", "--json", "--no-compute"])
            .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .status()
            .unwrap();
        assert!(status.code().is_some_and(|c| c <= 1), "{status:?}");
        let written = fs::read_to_string(&journal).unwrap();
        let json_lines = written.lines().filter(|l| l.starts_with('{')).count();
        assert_eq!(json_lines, 1, "{written}");
        assert!(written.lines().count() < 5, "{written}");
        let cmd = recipe.replace(journalctl, &format!("cat '{}'", journal.display()));
        let got = Command::new("bash").args(["-c", &cmd]).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&got.stdout).trim(),
            want,
            "{}",
            text(&got)
        );
    }
    // Anywhere else the report stays pretty (a JOURNAL_STREAM naming some
    // other file changes nothing).
    let out = common::gpuctl_process("two_h100.json")
        .args(["health", "--json", "--no-compute"])
        .env("JOURNAL_STREAM", "1:1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).lines().count() > 20);
}

/// `gpuctl-rules.yml` for `--metric-names dcgm`: each rule whose metrics
/// all have a dcgm-exporter name in the same unit, renamed, with dcgm's
/// label names (`UUID`, `Hostname`); a rule reading a metric dcgm names do
/// not carry (the XID counters) is left out, and the XID rules are made on
/// dcgm's last-XID gauge instead ([`dcgm_xid_rules`]). The names come from
/// monitor's own table and the XID classes from gpuctl's, so nothing can
/// drift.
fn dcgm_rules(gpuctl_rules: &str) -> String {
    use gpuctl::commands::monitor::metrics::{HEALTHY, METRICS, SAMPLED, UP};
    let (_, body) = gpuctl_rules.split_once("    rules:\n").unwrap();
    let mut out = String::from(
        "# Generated from gpuctl-rules.yml for `gpuctl monitor --metric-names dcgm`\n\
         # (dcgm-exporter's names and labels) by tests/deploy.rs: do not edit;\n\
         # run `GPUCTL_BLESS=1 cargo test --test deploy dcgm` after changing\n\
         # gpuctl-rules.yml. Rules on metrics dcgm names lack (the XID counters)\n\
         # are made on DCGM_FI_DEV_XID_ERRORS, the last XID, at the end.\n\
         groups:\n  - name: gpuctl-dcgm\n    rules:\n",
    );
    let blocks: Vec<&str> = body
        .split("      - alert: ")
        .filter(|b| !b.trim().is_empty())
        .collect();
    for block in blocks {
        let mut names: Vec<String> = gpuctl_names_in(block).into_iter().collect();
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        let mut text = format!("      - alert: {block}");
        let mut keep = true;
        for name in &names {
            if [UP.0, HEALTHY.0, SAMPLED.0].contains(&name.as_str()) {
                continue;
            }
            match METRICS.iter().find(|d| d.name == name).and_then(|d| d.dcgm) {
                Some((dcgm, 1.0)) => text = text.replace(name.as_str(), dcgm),
                _ => keep = false,
            }
        }
        if keep {
            out.push_str(
                &text
                    .replace("$labels.uuid", "$labels.UUID")
                    .replace("$labels.hostname", "$labels.Hostname"),
            );
        }
    }
    out.push_str(&dcgm_xid_rules());
    out
}

/// The XID rules on dcgm-exporter's names, which carry only the last XID
/// per GPU (`DCGM_FI_DEV_XID_ERRORS`): any new XID warns; an XID of the
/// hardware class (gpuctl's table, `checks::xid::is_hardware`) seen as the
/// last XID at any minute of the last 10 is critical, so an application
/// XID that follows it does not hide it for those 10 minutes.
fn dcgm_xid_rules() -> String {
    let hardware: Vec<String> = (1..=1000u64)
        .filter(|&x| gpuctl::checks::xid::is_hardware(x))
        .map(|x| format!("DCGM_FI_DEV_XID_ERRORS == {x}"))
        .collect();
    format!(
        "
      - alert: GpuctlXid
        # A change of the last XID to a non-zero value is a new XID (the
        # same number twice in a row is seen once).
        expr: changes(DCGM_FI_DEV_XID_ERRORS[10m]) > 0 and DCGM_FI_DEV_XID_ERRORS > 0
        labels:
          severity: warning
        annotations:
          summary: \"XID errors on GPU {{{{ $labels.gpu }}}} of {{{{ $labels.Hostname }}}}\"
          description: >-
            GPU {{{{ $labels.gpu }}}} ({{{{ $labels.UUID }}}}) reported XID errors in
            the last 10 minutes. `gpuctl health` classifies them.

      - alert: GpuctlHardwareXid
        # The hardware class of gpuctl's XID table (src/checks/xid.rs).
        expr: >-
          count_over_time((
          {}
          )[10m:1m]) > 0
        labels:
          severity: critical
        annotations:
          summary: \"Hardware XID on GPU {{{{ $labels.gpu }}}} of {{{{ $labels.Hostname }}}}\"
          description: >-
            GPU {{{{ $labels.gpu }}}} ({{{{ $labels.UUID }}}}) reported XIDs that mean
            a hardware fault in the last 10 minutes: drain the node and run
            `gpuctl health` (it names the XID and its remedy).
",
        // A folded scalar: one term a line, joined by spaces.
        hardware.join(" or\n          ")
    )
}

#[test]
fn dcgm_rules_are_the_gpuctl_rules_under_dcgm_names() {
    let dir = repo().join("deploy/prometheus");
    let fresh = dcgm_rules(&fs::read_to_string(dir.join("gpuctl-rules.yml")).unwrap());
    let path = dir.join("gpuctl-rules-dcgm.yml");
    if std::env::var_os("GPUCTL_BLESS").is_some() {
        fs::write(&path, &fresh).unwrap();
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run `GPUCTL_BLESS=1 cargo test --test deploy dcgm`",
        path.display()
    );
    // Only dcgm names and labels are left, and the rules that matter most.
    assert!(fresh.contains("DCGM_FI_DEV_XID_ERRORS == 79 or"), "{fresh}");
    assert!(
        !fresh.contains("DCGM_FI_DEV_XID_ERRORS == 13 "),
        "13 is not hardware"
    );
    for name in gpuctl_names_in(&fresh) {
        assert!(
            [
                "gpuctl_gpu_up",
                "gpuctl_gpu_healthy",
                "gpuctl_sample_timestamp_seconds"
            ]
            .contains(&name.as_str()),
            "{name} has no dcgm name"
        );
    }
    assert!(!fresh.contains("$labels.uuid") && !fresh.contains("$labels.hostname"));
    for alert in [
        "GpuctlExporterDown",
        "GpuctlStaleSample",
        "GpuctlGPUUnhealthy",
        "GpuctlUncorrectableECC",
        "GpuctlHighTemperature",
        "GpuctlXid",
        "GpuctlHardwareXid",
        "GpuctlNVLinkRecovery",
    ] {
        assert!(
            fresh.contains(&format!("- alert: {alert}\n")),
            "{alert} missing"
        );
    }
    // A dcgm exposition from a real monitor has every name they use.
    let dir_t = tempfile::tempdir().unwrap();
    let file = dir_t.path().join("dcgm.prom");
    let fixture = variant_of("ecc_error.json", |f| {
        for g in f["gpus"].as_array_mut().unwrap() {
            g["nvlinks"] = nvlinks();
        }
    });
    common::run(
        fixture.path(),
        &[
            "monitor",
            "-q",
            "-c",
            "1",
            "--metric-names",
            "dcgm",
            "--textfile",
            file.to_str().unwrap(),
        ],
    )
    .assert_code(0);
    let expo = fs::read_to_string(&file).unwrap();
    for word in fresh.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("DCGM_FI_") {
            assert!(
                expo.contains(&format!("\n{word}{{")),
                "{word} not exposed:\n{expo}"
            );
        }
    }
    if let Some(promtool) = tool("promtool") {
        let out = Command::new(promtool)
            .args(["check", "rules"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
}
