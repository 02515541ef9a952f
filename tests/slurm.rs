//! The shipped Slurm scripts against a real one-node Slurm cluster (Debian's
//! slurmctld, slurmd and munge, started by `tests/slurm/cluster.sh` in a
//! temporary directory and stopped at the end), with the real `scontrol` and
//! `srun` and `gpuctl` on simulated fixtures (issue 23):
//!
//! - HealthCheckProgram: a healthy node stays idle; an ECC error, a lost GPU
//!   and a missing driver each drain it with a reason naming the GPU and the
//!   check; a reason a person set is kept; after a resume, an XID from before
//!   it does not drain the node again, while a new one does.
//! - Prolog: a job given GPU 0 starts on a node whose GPU 1 is lost (only the
//!   job's GPUs are checked); a job given both GPUs is refused and Slurm
//!   drains the node ("Prolog error").
//!
//! In CI (`CI` set) missing daemons or running as non-root fail the test;
//! elsewhere it is skipped with the reason printed.

mod common;
#[path = "common/daemons.rs"]
mod daemons;

use daemons::{required_tool, wait_for};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The one-node cluster; stopped on drop, whatever the test did.
struct Cluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
    node: String,
}

impl Cluster {
    fn start(extra_conf: &str) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("bash")
            .arg(repo().join("tests/slurm/cluster.sh"))
            .arg("start")
            .arg(dir.path())
            .env("EXTRA_SLURM_CONF", extra_conf)
            .output()
            .unwrap();
        let cluster = Cluster {
            conf: dir.path().join("slurm.conf"),
            dir,
            node: String::from_utf8(Command::new("hostname").arg("-s").output().unwrap().stdout)
                .unwrap()
                .trim()
                .to_string(),
        };
        assert!(
            out.status.success(),
            "the cluster did not start: {}",
            text(&out)
        );
        cluster
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("SLURM_CONF", &self.conf);
        cmd
    }

    fn scontrol(&self, args: &[&str]) -> String {
        let out = self.command("scontrol").args(args).output().unwrap();
        assert!(out.status.success(), "scontrol {args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// (State, Reason without its `[user@time]`) as Slurm has them.
    fn node_state(&self) -> (String, String) {
        let line = self.scontrol(&["show", "node", &self.node, "-o"]);
        let state = line
            .split_whitespace()
            .find_map(|f| f.strip_prefix("State="))
            .unwrap_or_default()
            .to_string();
        let reason = line
            .split_once(" Reason=")
            .map(|(_, r)| {
                r.trim_end()
                    .rsplit_once(" [")
                    .map_or(r, |(r, _)| r)
                    .to_string()
            })
            .unwrap_or_default();
        (state, reason)
    }

    fn drained(&self) -> bool {
        self.node_state().0.contains("DRAIN")
    }

    fn resume(&self) {
        self.scontrol(&["update", &format!("nodename={}", self.node), "state=resume"]);
        wait_for(Duration::from_secs(30), "node resumed", || {
            (!self.drained()).then_some(())
        });
    }

    /// Runs the shipped HealthCheckProgram over `fixture`: (exit code, output).
    fn healthcheck(&self, fixture: &str) -> (i32, String) {
        let out = self
            .command("bash")
            .arg(repo().join("deploy/slurm/gpuctl-healthcheck.sh"))
            .env("GPUCTL", env!("CARGO_BIN_EXE_gpuctl"))
            .env("GPUCTL_SIMULATE", common::fixture_path(fixture))
            .env("GPUCTL_NODE", &self.node)
            .env("GPUCTL_STATE_DIR", self.path("gpuctl-state"))
            .env_remove("GPUCTL_HEALTH_ARGS")
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), text(&out))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("tests/slurm/cluster.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

/// The daemons and root, or None (skipped) outside CI.
fn slurm_available() -> bool {
    for tool in ["slurmctld", "slurmd", "munged", "scontrol", "srun"] {
        if required_tool(tool, "a one-node Slurm cluster").is_none() {
            return false;
        }
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run as root to start Slurm"
        );
        eprintln!("SKIPPED: not root, cannot start slurmd");
        return false;
    }
    true
}

/// Seconds on the clock kernel-log stamps use (CLOCK_MONOTONIC).
fn kmsg_now() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// `two_h100.json` with kernel-log XID 79 lines on GPU 0, stamped at these
/// kmsg times.
fn with_xids(dir: &Path, name: &str, stamps: &[f64]) -> String {
    let mut f = common::load_fixture("two_h100.json");
    f["kernel_log_host_clock"] = json!(true);
    f["kernel_log"] = json!(stamps
        .iter()
        .map(|t| format!(
            "[{t:.6}] NVRM: Xid (PCI:0000:18:00): 79, pid=1, name=x, GPU has fallen off the bus."
        ))
        .collect::<Vec<_>>());
    common::write_fixture(dir, name, &f)
}

#[test]
fn healthcheck_drains_for_real_and_only_for_new_faults() {
    if !slurm_available() {
        return;
    }
    let c = Cluster::start("");

    let (code, out) = c.healthcheck("two_h100.json");
    assert_eq!(code, 0, "{out}");
    assert!(!c.drained(), "{:?}", c.node_state());

    for (fixture, want) in [
        (
            "ecc_error.json",
            "gpuctl: GPU 0 FAIL (ecc_volatile_uncorrected)",
        ),
        ("lost_gpu.json", "gpuctl: GPU 1 FAIL (on_bus)"),
        (
            "no_driver.json",
            "gpuctl: host FAIL (driver: libnvidia-ml.so.1 (NVML) not found",
        ),
    ] {
        let (code, out) = c.healthcheck(fixture);
        assert_eq!(code, 1, "{fixture}: {out}");
        let (state, reason) = c.node_state();
        assert!(state.contains("DRAIN"), "{fixture}: {state}");
        assert!(reason.starts_with(want), "{fixture}: {reason}");
        c.resume();
    }

    // A reason a person set stays.
    let mine = "fan broken, ticket 42";
    c.scontrol(&[
        "update",
        &format!("nodename={}", c.node),
        "state=drain",
        &format!("reason={mine}"),
    ]);
    let (code, out) = c.healthcheck("ecc_error.json");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("kept"), "{out}");
    assert_eq!(c.node_state().1, mine);
    c.resume();

    // A fresh XID drains; checked again while drained (as slurmd does),
    // then resumed after the repair: that XID no longer counts. (An XID
    // from before the resumes above would not drain at all.)
    let tmp = tempfile::tempdir().unwrap();
    let before = with_xids(tmp.path(), "before.json", &[kmsg_now() - 60.0]);
    let (code, out) = c.healthcheck(&before);
    assert_eq!(code, 0, "an XID from before the last resume drained: {out}");
    let old = with_xids(tmp.path(), "old.json", &[kmsg_now()]);
    let (code, out) = c.healthcheck(&old);
    assert_eq!(code, 1, "{out}");
    assert!(
        c.node_state().1.starts_with("gpuctl: GPU 0 FAIL (xid"),
        "{:?}",
        c.node_state()
    );
    std::thread::sleep(Duration::from_millis(3100));
    let (code, out) = c.healthcheck(&old);
    assert_eq!(code, 1, "{out}");
    std::thread::sleep(Duration::from_millis(2100));
    c.resume();
    let (code, out) = c.healthcheck(&old);
    assert_eq!(
        code, 0,
        "drained again for an XID from before the resume: {out}"
    );
    assert!(!c.drained(), "{:?}", c.node_state());
    // A new XID after the resume drains it again.
    let new = with_xids(tmp.path(), "new.json", &[kmsg_now() - 4.0, kmsg_now()]);
    let (code, out) = c.healthcheck(&new);
    assert_eq!(code, 1, "{out}");
    assert!(c.drained(), "{:?}", c.node_state());
}

#[test]
fn prolog_checks_only_the_jobs_gpus_in_a_real_job() {
    if !slurm_available() {
        return;
    }
    // The prolog slurmd runs: the shipped script over the lost_gpu fixture
    // (GPU 1 has fallen off the bus), logging what Slurm gave it.
    let tmp = tempfile::tempdir().unwrap();
    let prolog = tmp.path().join("prolog.sh");
    let log = tmp.path().join("prolog.log");
    std::fs::write(
        &prolog,
        format!(
            "#!/bin/sh\necho \"SLURM_JOB_GPUS=$SLURM_JOB_GPUS\" >> '{log}'\nexport GPUCTL='{bin}' GPUCTL_SIMULATE='{fixture}'\nexec bash '{script}' 2>> '{log}'\n",
            log = log.display(),
            bin = env!("CARGO_BIN_EXE_gpuctl"),
            fixture = common::fixture_path("lost_gpu.json").display(),
            script = repo().join("deploy/slurm/gpuctl-prolog.sh").display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&prolog, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let c = Cluster::start(&format!("Prolog={}", prolog.display()));
    let srun = |gpus: &str| {
        c.command("timeout")
            .args([
                "60",
                "srun",
                "-N1",
                "--immediate=30",
                &format!("--gres=gpu:{gpus}"),
                "true",
            ])
            .output()
            .unwrap()
    };

    let out = srun("1");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        out.status.success(),
        "a job on healthy GPU 0 was refused: {}\n{logged}",
        text(&out)
    );
    assert!(logged.contains("SLURM_JOB_GPUS=0\n"), "{logged}");
    assert!(!c.drained(), "{:?}", c.node_state());

    let out = srun("2");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !out.status.success(),
        "a job on lost GPU 1 started: {}",
        text(&out)
    );
    assert!(logged.contains("SLURM_JOB_GPUS=0,1\n"), "{logged}");
    assert!(logged.contains("GPUs 0,1: unhealthy: GPU 1"), "{logged}");
    wait_for(
        Duration::from_secs(30),
        "node drained for the prolog",
        || c.drained().then_some(()),
    );
    assert!(c.node_state().1.contains("Prolog"), "{:?}", c.node_state());
}
