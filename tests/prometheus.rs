//! The shipped alerting rules in a real Prometheus (Debian's `prometheus`,
//! installed by `.ci/run`), scraping real `gpuctl monitor` processes on the
//! simulated backend (issue 23):
//!
//! - `monitor --listen` on a healthy fixture raises no alert;
//! - `monitor --listen` on the ECC fixture raises `GpuctlGPUUnhealthy`;
//! - killing a `--listen` monitor raises `GpuctlExporterDown`;
//! - a `--textfile` monitor killed outright (SIGKILL: it cannot clean up)
//!   leaves its file behind, and `GpuctlStaleSample` fires on it;
//! - a `--textfile` monitor stopped by SIGTERM rewrites its file to
//!   `gpuctl_gpu_up 0`, and `GpuctlGPUDown` fires on it.
//!
//! The textfiles are served by a small static HTTP server in this test, in
//! place of node_exporter's textfile collector: the collector passes a
//! file's samples through unchanged, and the stale rule reads only the
//! value monitor wrote (`gpuctl_sample_timestamp_seconds`), so what serves
//! the file does not change what the rule sees.
//!
//! Prometheus runs the shipped rules with the waits shortened (every `for:`
//! becomes 0s, the stale limit 300 s becomes 4 s) and scrapes and
//! evaluates every second, so the test takes seconds; `promtool test rules`
//! (tests/deploy.rs) tests the shipped file with its real waits.

mod common;
#[path = "common/daemons.rs"]
mod daemons;

use daemons::{free_port, http_get, required_tool, wait_for, Reaped};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped rules with the waits shortened; each replacement must hit,
/// so a rule renamed or reworded fails here rather than silently testing
/// something else.
fn fast_rules() -> String {
    let shipped =
        std::fs::read_to_string(repo().join("deploy/prometheus/gpuctl-rules.yml")).unwrap();
    let stale = "time() - gpuctl_sample_timestamp_seconds > 300";
    assert!(
        shipped.contains(stale),
        "the stale rule changed: update this test"
    );
    let mut out = String::new();
    let mut fors = 0;
    for line in shipped
        .replace(stale, "time() - gpuctl_sample_timestamp_seconds > 4")
        .lines()
    {
        if line.trim_start().starts_with("for: ") {
            let indent = &line[..line.len() - line.trim_start().len()];
            out.push_str(&format!("{indent}for: 0s\n"));
            fors += 1;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(fors >= 5, "{fors} `for:` lines");
    out
}

/// Serves the files of `dir` (GET /NAME) with the Prometheus text format's
/// content type, as node_exporter would serve a textfile's samples.
fn serve_dir(dir: &Path) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]);
            let name = req
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let reply = match std::fs::read_to_string(dir.join(name)) {
                Ok(body) => format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                ),
                Err(_) => "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string(),
            };
            let _ = conn.write_all(reply.as_bytes());
        }
    });
    addr
}

fn monitor(fixture: &str, args: &[&str]) -> Reaped {
    let child = common::gpuctl_process(fixture)
        .args(["monitor", "-q", "--interval", "500ms"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Reaped(Some(child))
}

/// Prometheus's alerts: (alertname, job, state) of each.
fn alerts(prom: &str) -> Vec<(String, String, String)> {
    let Some((200, body)) = http_get(prom, "/api/v1/alerts") else {
        return Vec::new();
    };
    let v: Value = serde_json::from_str(&body).unwrap();
    v["data"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = |x: &Value| x.as_str().unwrap_or("").to_string();
            (
                s(&a["labels"]["alertname"]),
                s(&a["labels"]["job"]),
                s(&a["state"]),
            )
        })
        .collect()
}

fn firing(prom: &str, alert: &str, job: &str) -> Option<()> {
    alerts(prom)
        .iter()
        .any(|(a, j, s)| a == alert && j == job && s == "firing")
        .then_some(())
}

/// How many series `query` returns (0 when Prometheus does not answer).
fn series(prom: &str, query: &str) -> usize {
    let path = format!("/api/v1/query?query={query}");
    let Some((200, body)) = http_get(prom, &path) else {
        return 0;
    };
    let v: Value = serde_json::from_str(&body).unwrap_or_default();
    v["data"]["result"].as_array().map_or(0, Vec::len)
}

#[test]
fn shipped_rules_alert_in_a_real_prometheus() {
    let Some(prometheus) =
        required_tool("prometheus", "the Prometheus server runs the shipped rules")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let files = tmp.path().join("textfiles");
    std::fs::create_dir(&files).unwrap();

    let (healthy_port, ecc_port) = (free_port(), free_port());
    let healthy_addr = format!("127.0.0.1:{healthy_port}");
    let ecc_addr = format!("127.0.0.1:{ecc_port}");
    let mut healthy = monitor("two_h100.json", &["--listen", &healthy_addr]);
    let _ecc = monitor("ecc_error.json", &["--listen", &ecc_addr]);
    let killed_file = files.join("killed.prom");
    let stopped_file = files.join("stopped.prom");
    let mut killed = monitor(
        "two_h100.json",
        &["--textfile", killed_file.to_str().unwrap()],
    );
    let mut stopped = monitor(
        "two_h100.json",
        &["--textfile", stopped_file.to_str().unwrap()],
    );
    let files_addr = serve_dir(&files);

    std::fs::write(tmp.path().join("rules.yml"), fast_rules()).unwrap();
    let job = |name: &str, addr: &str, path: &str| {
        format!(
            "  - job_name: {name}\n    metrics_path: {path}\n    static_configs:\n      - targets: ['{addr}']\n"
        )
    };
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - rules.yml\nscrape_configs:\n{}{}{}{}",
        job("gpuctl-healthy", &healthy_addr, "/metrics"),
        job("gpuctl-ecc", &ecc_addr, "/metrics"),
        job("node-killed", &files_addr, "/killed.prom"),
        job("node-stopped", &files_addr, "/stopped.prom"),
    );
    std::fs::write(tmp.path().join("prometheus.yml"), config).unwrap();
    let prom = format!("127.0.0.1:{}", free_port());
    let log = std::fs::File::create(tmp.path().join("prometheus.log")).unwrap();
    let _server = Reaped(Some(
        std::process::Command::new(prometheus)
            .current_dir(tmp.path())
            .arg(format!(
                "--config.file={}",
                tmp.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                tmp.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={prom}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    ));
    let log_of = || std::fs::read_to_string(tmp.path().join("prometheus.log")).unwrap_or_default();

    // Every target up, the rules evaluated a few times over real samples.
    wait_for(LIMIT, "Prometheus ready", || {
        matches!(http_get(&prom, "/-/ready"), Some((200, _))).then_some(())
    });
    wait_for(
        LIMIT,
        "4 targets up and 4 GPUs' samples healthy or not",
        || (series(&prom, "up==1") == 4 && series(&prom, "gpuctl_gpu_healthy") == 8).then_some(()),
    );
    wait_for(LIMIT, "GpuctlGPUUnhealthy for the ECC fixture", || {
        firing(&prom, "GpuctlGPUUnhealthy", "gpuctl-ecc")
    });
    std::thread::sleep(Duration::from_secs(3));
    let now = alerts(&prom);
    for quiet in ["gpuctl-healthy", "node-killed", "node-stopped"] {
        let raised: Vec<_> = now.iter().filter(|(_, j, _)| j == quiet).collect();
        assert!(
            raised.is_empty(),
            "{quiet} is healthy but raised {raised:?}\n{}",
            log_of()
        );
    }

    // SIGKILL: the textfile stays as it was; its sample time stops.
    killed.signal_and_wait(libc::SIGKILL);
    wait_for(
        LIMIT,
        "GpuctlStaleSample for the killed monitor's textfile",
        || firing(&prom, "GpuctlStaleSample", "node-killed"),
    );

    // SIGTERM: the textfile says every GPU is down.
    let status = stopped.signal_and_wait(libc::SIGTERM).unwrap();
    assert!(
        status.code().is_some(),
        "monitor died of the signal: {status:?}"
    );
    wait_for(
        LIMIT,
        "GpuctlGPUDown for the stopped monitor's textfile",
        || firing(&prom, "GpuctlGPUDown", "node-stopped"),
    );
    assert!(
        !alerts(&prom)
            .iter()
            .any(|(a, j, _)| a == "GpuctlGPUUnhealthy" && j == "node-stopped"),
        "a stopped monitor must not claim its GPUs unhealthy"
    );

    // The exporter itself gone: its scrape fails.
    healthy.signal_and_wait(libc::SIGKILL);
    wait_for(
        LIMIT,
        "GpuctlExporterDown for the killed --listen monitor",
        || firing(&prom, "GpuctlExporterDown", "gpuctl-healthy"),
    );
    assert!(
        firing(&prom, "GpuctlExporterDown", "gpuctl-ecc").is_none(),
        "only the killed exporter is down"
    );
}
