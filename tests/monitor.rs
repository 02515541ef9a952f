//! `gpuctl monitor` end to end on the simulated backend: every output mode,
//! the Prometheus exposition (checked by promtool), a live `--listen` server
//! scraped on loopback, a hanging and a failing GPU, signals and exit codes.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Both GPUs with the counters only monitor reads.
fn with_monitor(mutate: impl FnOnce(&mut Value)) -> Variant {
    variant(|f| {
        for (i, g) in f["gpus"].as_array_mut().unwrap().iter_mut().enumerate() {
            g["monitor"] = json!({
                "energy_mj": 1_000_000 + i as u64,
                "utilization_memory_pct": 12,
                "pcie_tx_bytes_per_s": 1_000_000,
                "pcie_rx_bytes_per_s": 2_000_000,
            });
            g["processes"] =
                json!([{"pid": 4242, "name": "python3", "used_bytes": 1_073_741_824u64}]);
        }
        mutate(f);
    })
}

/// Every line, each validated against `$defs/JsonLine` of the schema
/// (samples, GPU and textfile events, the summary report).
fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| {
            common::assert_valid_line(l);
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))
        })
        .collect()
}

/// The last line is the summary report, schema-valid.
fn summary(stdout: &str) -> Report {
    let last = stdout.lines().last().expect("some output");
    let report = parse_report(&format!("{last}\n"));
    assert_eq!(report.command, "monitor");
    report
}

fn samples_of(lines: &[Value], gpu: u64) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l["event"] == "sample" && l["gpu"] == gpu)
        .collect()
}

#[test]
fn table_prints_one_line_per_gpu_per_interval_under_one_header() {
    let run = run(
        "two_h100.json",
        &["monitor", "--count", "3", "--interval", "100ms"],
    );
    run.assert_code(0);
    // The simulated banner comes first, before the stream (issue 24).
    let all: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        all[0], "# SIMULATED GPUs (GPUCTL_SIMULATE): not real hardware",
        "{}",
        run.stdout
    );
    assert!(!run.stdout.trim_end().ends_with("not real hardware"));
    // 80 columns, like every other table.
    assert!(
        all.iter().all(|l| l.chars().count() <= 80),
        "{}",
        run.stdout
    );
    let lines: Vec<&str> = all[1..].to_vec();
    assert!(
        lines[0].starts_with("# gpu") && lines[0].contains("pwr"),
        "{}",
        run.stdout
    );
    assert!(lines[1].starts_with("# Idx"), "{}", run.stdout);
    // Not a terminal: the header is printed once.
    assert_eq!(lines.iter().filter(|l| l.starts_with("# gpu")).count(), 1);
    let rows: Vec<&&str> = lines.iter().filter(|l| l.ends_with(" up")).collect();
    assert_eq!(rows.len(), 6, "{}", run.stdout);
    assert!(
        rows[0].contains("71.5") && rows[0].contains(" ok "),
        "{}",
        rows[0]
    );
    assert!(run.stdout.contains("monitored 2 GPU(s)"), "{}", run.stdout);
}

#[test]
fn csv_has_a_header_and_one_row_per_gpu_per_interval() {
    let v = with_monitor(|_| {});
    let run = run(
        v.path(),
        &["monitor", "--csv", "-c", "2", "--interval", "100ms"],
    );
    run.assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header[0], "timestamp");
    assert!(header.contains(&"power_w") && header.contains(&"pcie_rx_bytes_per_s"));
    let rows: Vec<Vec<&str>> = lines[1..5].iter().map(|l| l.split(',').collect()).collect();
    for row in &rows {
        assert_eq!(row.len(), header.len(), "{row:?}");
        let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
        assert_eq!(col("simulated"), "1", "the simulated marker (issue 24)");
        assert_eq!(col("up"), "1");
        assert_eq!(col("power_w"), "71.50");
        assert_eq!(col("clock_events"), "gpu_idle");
        assert_eq!(col("processes"), "1");
    }
    // The second round has a rate from the counters' growth (2 MB/s).
    let rx = header
        .iter()
        .position(|h| *h == "pcie_rx_bytes_per_s")
        .unwrap();
    let rate: f64 = rows[2][rx].parse().expect("a rate in round two");
    assert!((1.5e6..2.5e6).contains(&rate), "{rate}");
}

#[test]
fn the_schema_knows_monitor_lines_and_rejects_a_malformed_one() {
    let v = with_monitor(|_| {});
    let run = run(v.path(), &["monitor", "--json", "-c", "1"]);
    run.assert_code(0);
    let sample = run.stdout.lines().next().expect("a sample line");
    assert!(common::line_errors(sample).is_empty(), "{sample}");
    let mut bad: Value = serde_json::from_str(sample).unwrap();
    bad["gpu"] = json!("zero");
    assert!(!common::line_errors(&bad.to_string()).is_empty(), "{bad}");
    let mut bad: Value = serde_json::from_str(sample).unwrap();
    bad["breaker"] = json!("ajar");
    assert!(!common::line_errors(&bad.to_string()).is_empty(), "{bad}");
    let event = r#"{"event":"gpu_down","timestamp":"t","gpu":0,"uuid":"u","error":"lost"}"#;
    assert!(common::line_errors(event).is_empty());
    let unknown = r#"{"event":"gpu_sideways","timestamp":"t","gpu":0,"uuid":"u"}"#;
    assert!(!common::line_errors(unknown).is_empty());
}

#[test]
fn json_lines_are_samples_then_a_schema_valid_summary() {
    let v = with_monitor(|_| {});
    let run = run(
        v.path(),
        &["monitor", "--json", "-c", "3", "--interval", "100ms"],
    );
    run.assert_code(0);
    let lines = json_lines(&run.stdout);
    for gpu in [0, 1] {
        let s = samples_of(&lines, gpu);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0]["simulated"], true, "the simulated marker (issue 24)");
        assert_eq!(s[0]["up"], true);
        assert_eq!(s[0]["healthy"], true);
        assert_eq!(s[0]["clock_events"], json!(["gpu_idle"]));
        assert_eq!(s[0]["clock_events_mask"], 1);
        assert_eq!(s[0]["processes"][0]["pid"], 4242);
        assert_eq!(s[0]["ecc_volatile_uncorrected"], 0);
        assert_eq!(s[0]["row_remap_failure"], false);
        // The energy counter is read once per 10 s (its read is the dearest
        // of a sample), so three samples 100 ms apart share one reading.
        assert!(s[0]["energy_j"].as_f64().is_some(), "{}", s[0]);
        assert_eq!(s[2]["energy_j"], s[0]["energy_j"]);
    }
    let report = summary(&run.stdout);
    assert_eq!(report.exit_code, 0);
    let m = report.gpus[0].monitor.as_ref().expect("monitor section");
    assert_eq!(m["samples"], 3);
    assert_eq!(m["failed_samples"], 0);
    assert_eq!(m["up"], true);
    assert!(m["energy_j"].as_f64().unwrap() > 0.0);
    assert!(m["read_ms_avg"].as_f64().is_some());
}

#[test]
fn samples_and_summary_say_which_power_reading_they_hold() {
    // GPU 0 has NVML's instantaneous power field; GPU 1 only the average.
    let v = with_monitor(|f| f["gpus"][0]["telemetry"]["power_source"] = json!("instant"));
    let run = run(
        v.path(),
        &["monitor", "--json", "-c", "2", "--interval", "100ms"],
    );
    run.assert_code(0);
    let lines = json_lines(&run.stdout);
    for (gpu, source) in [(0, "instant"), (1, "average")] {
        for s in samples_of(&lines, gpu) {
            assert_eq!(s["power_source"], source, "{s}");
        }
    }
    let report = summary(&run.stdout);
    let source =
        |i: usize| report.gpus[i].monitor.as_ref().expect("monitor")["power_source"].clone();
    assert_eq!(source(0), "instant");
    assert_eq!(source(1), "average");
}

#[test]
fn a_hanging_gpu_is_reported_down_while_the_other_is_sampled_on_time() {
    let v = with_monitor(|f| {
        f["gpus"][0]["hang_ms"] = json!(60_000);
        f["gpus"][0]["hang_calls"] = json!(["monitor_readings"]);
    });
    let t0 = Instant::now();
    let run = run(
        v.path(),
        &["monitor", "--json", "-c", "4", "--interval", "200ms"],
    );
    let took = t0.elapsed();
    run.assert_code(0);
    // 4 rounds of 200 ms: the hang costs no more than one read timeout.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let lines = json_lines(&run.stdout);
    let good = samples_of(&lines, 1);
    assert_eq!(good.len(), 4);
    assert!(good.iter().all(|s| s["up"] == true));
    let hung = samples_of(&lines, 0);
    assert_eq!(hung.len(), 4);
    assert!(hung
        .iter()
        .all(|s| s["up"] == false && s["healthy"] == false));
    assert!(
        hung[0]["error"].as_str().unwrap().contains("timed out"),
        "{}",
        hung[0]
    );
    assert!(lines
        .iter()
        .any(|l| l["event"] == "gpu_down" && l["gpu"] == 0));
    let report = summary(&run.stdout);
    assert_eq!(report.gpus[0].monitor.as_ref().unwrap()["samples"], 0);
    assert_eq!(report.gpus[1].monitor.as_ref().unwrap()["samples"], 4);
    assert_eq!(report.outcome, "warn");
}

#[test]
fn a_hung_call_times_out_in_the_bounded_layer_and_later_reads_fail_fast() {
    let v = with_monitor(|f| {
        f["gpus"][0]["hang_ms"] = json!(60_000);
        f["gpus"][0]["hang_calls"] = json!(["monitor_readings"]);
    });
    let run = run(
        v.path(),
        &[
            "--call-timeout",
            "100ms",
            "monitor",
            "--json",
            "-c",
            "5",
            "--interval",
            "300ms",
        ],
    );
    run.assert_code(0);
    let lines = json_lines(&run.stdout);
    let hung = samples_of(&lines, 0);
    assert_eq!(hung.len(), 5);
    // Every round answers within the interval with the decorator's error
    // (naming the call), not monitor's own "no answer": the reader is never
    // left stuck, and after the first timeout the GPU fails at once.
    for s in &hung {
        assert_eq!(s["up"], false, "{s}");
        let e = s["error"].as_str().unwrap_or_default();
        assert!(
            e.contains("monitor_readings") || e.contains("backed off"),
            "{s}"
        );
    }
    assert!(hung[0]["error"]
        .as_str()
        .unwrap()
        .contains("did not answer"));
    assert!(samples_of(&lines, 1).iter().all(|x| x["up"] == true));
}

#[test]
fn the_circuit_breaker_backs_off_then_retries_half_open_and_recovers() {
    let v = with_monitor(|f| f["gpus"][0]["monitor"]["fail_first"] = json!(3));
    let run = run(
        v.path(),
        &[
            "monitor",
            "--json",
            "-c",
            "12",
            "--interval",
            "100ms",
            "--breaker-backoff",
            "400ms",
        ],
    );
    run.assert_code(0);
    let lines = json_lines(&run.stdout);
    let s = samples_of(&lines, 0);
    assert!(s[..3].iter().all(|x| x["up"] == false), "{s:#?}");
    assert_eq!(s[2]["breaker"], "open");
    // While open, the GPU is not read: still down, with why.
    assert!(
        s[3]["error"].as_str().unwrap().contains("backed off"),
        "{}",
        s[3]
    );
    assert!(lines
        .iter()
        .any(|l| l["event"] == "gpu_up" && l["gpu"] == 0));
    let last = s.last().unwrap();
    assert_eq!(last["up"], true);
    assert_eq!(last["breaker"], "closed");
    let m = summary(&run.stdout).gpus[0].monitor.clone().unwrap();
    assert_eq!(m["up"], true);
    // The other GPU never missed a beat.
    assert!(samples_of(&lines, 1).iter().all(|x| x["up"] == true));
}

#[test]
fn a_lost_gpu_is_down_with_why_and_never_crashes() {
    let run = run(
        "lost_gpu.json",
        &["monitor", "--json", "-c", "2", "--interval", "100ms"],
    );
    run.assert_code(0);
    let lines = json_lines(&run.stdout);
    let down: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "sample" && l["up"] == false)
        .collect();
    assert!(!down.is_empty(), "{}", run.stdout);
    summary(&run.stdout);
}

#[test]
fn unhealthy_hardware_shows_as_not_healthy() {
    let run = run("ecc_error.json", &["monitor", "--json", "-c", "1"]);
    run.assert_code(0);
    let lines = json_lines(&run.stdout);
    assert!(lines
        .iter()
        .any(|l| l["event"] == "sample" && l["up"] == true && l["healthy"] == false));
}

#[test]
fn usage_and_environment_errors_have_their_codes_and_json_stays_valid() {
    for args in [
        &["monitor", "--interval", "10ms"][..],
        &["monitor", "--count", "0"][..],
        &["monitor", "--duration", "-1s"][..],
        &["monitor", "--metric-names", "nope"][..],
        &["monitor", "--listen", "not-an-address", "-c", "1"][..],
    ] {
        let mut a = args.to_vec();
        a.push("--json");
        let run = run("two_h100.json", &a);
        run.assert_code(2);
        let report = summary(&run.stdout);
        assert_eq!(report.outcome, "error", "{args:?}");
    }
    let run = run("no_driver.json", &["monitor", "--json", "-c", "1"]);
    run.assert_code(3);
    summary(&run.stdout);
}

fn promtool() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("promtool"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "promtool is missing in CI (.ci/run installs Debian's prometheus package)"
        );
        eprintln!("promtool not installed: skipping its check");
    }
    found
}

fn promtool_check(text: &str) -> (bool, String) {
    let Some(tool) = promtool() else {
        return (true, String::new());
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
    let msg = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), msg)
}

fn textfile(names: &str) -> String {
    let v = with_monitor(|f| {
        f["gpus"][1]["monitor"]["nvlink_tx_bytes_per_s"] = json!(5_000_000);
        f["gpus"][1]["monitor"]["nvlink_rx_bytes_per_s"] = json!(5_000_000);
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gpuctl.prom");
    let p = path.to_str().unwrap();
    run(
        v.path(),
        &[
            "monitor",
            "-q",
            "-c",
            "2",
            "--interval",
            "100ms",
            "--textfile",
            p,
            "--metric-names",
            names,
        ],
    )
    .assert_code(0);
    // Renamed into place: no temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    std::fs::read_to_string(&path).unwrap()
}

#[test]
fn the_textfile_passes_promtool_and_follows_prometheus_conventions() {
    let text = textfile("gpuctl");
    let (ok, msg) = promtool_check(&text);
    assert!(ok, "promtool check metrics failed:\n{msg}\n{text}");
    for name in [
        "gpuctl_gpu_up{",
        "gpuctl_gpu_healthy{",
        "gpuctl_power_watts{",
        "gpuctl_energy_joules_total{",
        "gpuctl_gpu_temperature_celsius{",
        "gpuctl_sm_clock_hertz{",
        "gpuctl_memory_used_bytes{",
        "gpuctl_pcie_receive_bytes_total{",
        "gpuctl_nvlink_transmit_bytes_total{",
        "gpuctl_xid_errors_total{",
        "# TYPE gpuctl_energy_joules_total counter",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    // HELP/TYPE once per family, not per GPU.
    assert_eq!(text.matches("# TYPE gpuctl_power_watts ").count(), 1);
    assert!(text.contains(&format!("uuid=\"{UUID0}\"")) && text.contains("hostname=\""));
    assert!(text.contains(&format!("model=\"{H100}\"")));
    // No NVLink on GPU 0: no series for it.
    assert_eq!(
        text.matches("gpuctl_nvlink_transmit_bytes_total{").count(),
        1
    );
    assert!(!text.contains("# EOF"));
}

#[test]
fn dcgm_names_and_labels_match_dcgm_exporter() {
    let text = textfile("dcgm");
    for name in [
        "DCGM_FI_DEV_GPU_TEMP{",
        "DCGM_FI_DEV_POWER_USAGE{",
        "DCGM_FI_DEV_SM_CLOCK{",
        "DCGM_FI_DEV_MEM_CLOCK{",
        "DCGM_FI_DEV_GPU_UTIL{",
        "DCGM_FI_DEV_FB_USED{",
        "DCGM_FI_DEV_FB_FREE{",
        "DCGM_FI_DEV_XID_ERRORS{",
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{",
        "DCGM_FI_DEV_MEMORY_TEMP{",
        "gpuctl_gpu_up{",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    for label in [
        "UUID=\"",
        "modelName=\"",
        "Hostname=\"",
        "device=\"nvidia0\"",
        "pci_bus_id=\"",
    ] {
        assert!(text.contains(label), "{label} missing");
    }
    assert!(!text.contains("gpuctl_power_watts"));
    // dcgm-exporter's units: MHz, MiB, percent.
    assert!(text.contains("DCGM_FI_DEV_SM_CLOCK{") && text.contains("} 345"));
    // Parses; the only complaints allowed are dcgm-exporter's camelCase labels.
    let (ok, msg) = promtool_check(&text);
    if !ok {
        for line in msg.lines().filter(|l| !l.trim().is_empty()) {
            // dcgm-exporter's own names and labels: camelCase labels, and
            // e.g. DCGM_FI_DEV_PCIE_REPLAY_COUNTER naming a type.
            assert!(
                line.contains("camelCase") || line.contains("should not include type"),
                "promtool: {line}\n{msg}"
            );
        }
    }
}

fn spawn_monitor(fixture: &str, args: &[&str]) -> Child {
    gpuctl_process(fixture)
        .arg("monitor")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

fn wait_for_exit(child: &mut Child, within: Duration) -> i32 {
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().expect("exited by itself, not killed");
        }
        if t0.elapsed() > within {
            let _ = child.kill();
            panic!("monitor did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_all(r: impl Read) -> String {
    let mut s = String::new();
    BufReader::new(r).read_to_string(&mut s).unwrap();
    s
}

#[test]
fn sigterm_and_ctrl_c_end_with_a_summary_and_exit_0_and_sighup_is_ignored() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let mut child = spawn_monitor("two_h100.json", &["--json", "--interval", "100ms"]);
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        assert!(first.contains("\"sample\""), "{first}");
        signal(&child, libc::SIGHUP);
        std::thread::sleep(Duration::from_millis(300));
        assert!(child.try_wait().unwrap().is_none(), "SIGHUP ended monitor");
        signal(&child, sig);
        let code = wait_for_exit(&mut child, Duration::from_secs(5));
        let rest = read_all(out);
        assert_eq!(code, 0, "signal {sig}: {rest}");
        let report = summary(&rest);
        assert!(
            report.gpus[0].monitor.as_ref().unwrap()["samples"]
                .as_u64()
                .unwrap()
                >= 3
        );
    }
}

/// A plain HTTP/1.0 GET on loopback: status line and body.
fn http_get(addr: &str, path: &str) -> (String, String, Duration) {
    let t0 = Instant::now();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let text = read_all(&mut s);
    let took = t0.elapsed();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
        took,
    )
}

#[test]
fn listen_serves_metrics_and_healthz_on_loopback() {
    let v = with_monitor(|_| {});
    let mut child = spawn_monitor(
        v.path(),
        &["-q", "--interval", "100ms", "--listen", "127.0.0.1:0"],
    );
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.strip_suffix("/metrics\n"))
        .unwrap_or_else(|| panic!("no address on stderr: {line}"))
        .to_string();
    // The first sample is taken at once; give it a moment.
    let t0 = Instant::now();
    let body = loop {
        let (status, body, _) = http_get(&addr, "/metrics");
        if status.contains(" 200") {
            break body;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "{status}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(body.contains("gpuctl_gpu_up{"), "{body}");
    assert!(body.contains("gpuctl_gpu_healthy{") && body.contains(" 1"));
    let (ok, msg) = promtool_check(&body);
    assert!(ok, "promtool on the scrape:\n{msg}");
    let (status, body, _) = http_get(&addr, "/healthz");
    assert!(status.contains(" 200"), "{status} {body}");
    let (status, _, _) = http_get(&addr, "/nope");
    assert!(status.contains(" 404"), "{status}");
    // Scrapes are served from the snapshot: fast even on a busy CI machine.
    let mut times: Vec<Duration> = (0..50).map(|_| http_get(&addr, "/metrics").2).collect();
    times.sort();
    assert!(
        times[25] < Duration::from_millis(100),
        "median scrape {:?}",
        times[25]
    );
    signal(&child, libc::SIGTERM);
    assert_eq!(wait_for_exit(&mut child, Duration::from_secs(5)), 0);
}

#[test]
fn readme_lists_every_metric_from_the_table_in_code() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let table = gpuctl::commands::monitor::metrics::markdown_table();
    assert!(
        readme.contains(&table),
        "README's metric table is stale; paste this under the monitor section:\n{table}"
    );
}

/// Prints the README's metric table (`cargo test --test monitor -- --ignored print_metric_table --nocapture`).
#[test]
#[ignore]
fn print_metric_table() {
    print!("{}", gpuctl::commands::monitor::metrics::markdown_table());
}

#[test]
fn refused_reads_are_not_healthy_in_monitor_as_in_probe() {
    // Issue 19: ECC, row-remap and temperature refused on GPU 0: probe
    // says unhealthy, and monitor's healthy comes from the same rule.
    let v = variant(|f| {
        let g = &mut f["gpus"][0];
        g["errors"]["ecc_volatile"] = json!({"error": "no_permission"});
        g["errors"]["row_remap"] = json!({"error": "no_permission"});
        g["telemetry"]["temperature_gpu_c"] = json!({"error": "no_permission"});
    });
    run(v.path(), &["probe"]).assert_code(1);
    let r = run(v.path(), &["monitor", "--json", "-c", "1"]);
    r.assert_code(0);
    let lines = json_lines(&r.stdout);
    let s0 = samples_of(&lines, 0);
    assert!(
        s0.iter().all(|s| s["up"] == true && s["healthy"] == false),
        "{s0:?}"
    );
    let s1 = samples_of(&lines, 1);
    assert!(s1.iter().all(|s| s["healthy"] == true), "{s1:?}");
}

#[test]
fn a_dead_xid_watch_shows_and_is_not_healthy() {
    let v = variant(|f| f["gpus"][0]["xid_watch_error"] = json!({"failed": "event set broke"}));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gpuctl.prom");
    let args = [
        "monitor",
        "--json",
        "-c",
        "3",
        "--interval",
        "200ms",
        "--textfile",
        file.to_str().unwrap(),
    ];
    let r = run(v.path(), &args);
    r.assert_code(0);
    let lines = json_lines(&r.stdout);
    let last = |gpu| samples_of(&lines, gpu).last().copied().cloned().unwrap();
    for gpu in [0, 1] {
        let s = last(gpu);
        assert_eq!(s["up"], true, "{s}");
        assert!(
            s["xid_watch_error"]
                .as_str()
                .is_some_and(|e| e.contains("event set broke")),
            "{s}"
        );
        assert_eq!(s["healthy"], false, "a blind watch is unverified: {s}");
    }
    let text = std::fs::read_to_string(&file).unwrap();
    let watch: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("gpuctl_xid_watch_up{"))
        .collect();
    assert_eq!(watch.len(), 2, "{text}");
    let value = |l: &str| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap();
    assert!(watch.iter().all(|l| value(l) == 0.0), "{text}");
    // A watch that works exports 1 and stays healthy.
    let r = run(
        "two_h100.json",
        &["monitor", "--json", "-c", "2", "--interval", "200ms"],
    );
    let lines = json_lines(&r.stdout);
    let s = samples_of(&lines, 0).last().copied().cloned().unwrap();
    assert_eq!(s["xid_watch_error"], Value::Null, "{s}");
    assert_eq!(s["healthy"], true, "{s}");
}

/// Issue 24: `--format csv` is monitor's CSV (`--csv` kept); other commands
/// refuse it in one line; the metrics carry the simulated marker.
#[test]
fn format_csv_is_monitors_csv_and_metrics_say_simulated() {
    let a = run(
        "two_h100.json",
        &[
            "monitor",
            "--format",
            "csv",
            "-c",
            "1",
            "--interval",
            "100ms",
        ],
    );
    a.assert_code(0);
    let b = run(
        "two_h100.json",
        &["monitor", "--csv", "-c", "1", "--interval", "100ms"],
    );
    assert_eq!(
        a.stdout.lines().next(),
        b.stdout.lines().next(),
        "the same CSV header"
    );
    assert!(a.stdout.lines().next().unwrap().starts_with("timestamp,"));
    // Where CSV makes no sense, it is refused naming the commands that take it.
    let r = run("two_h100.json", &["burn", "--format", "csv"]);
    r.assert_code(2);
    let line = r.stderr_line();
    assert!(line.contains("--format csv"), "{r:?}");
    assert!(line.contains("list, health, bench, monitor"), "{line}");
    for names in ["gpuctl", "dcgm"] {
        let text = textfile(names);
        assert!(
            text.contains("\ngpuctl_simulated{gpu=\"0\","),
            "{names}: {text}"
        );
    }
}

#[test]
fn query_chooses_the_csv_and_table_columns_by_gpuctl_or_nvidia_smi_names() {
    // Issue 24: --query picks the columns, in the order given.
    let v = with_monitor(|_| {});
    let args = [
        "monitor",
        "--csv",
        "-c",
        "1",
        "--interval",
        "100ms",
        "--query",
        "power.draw,index,clocks.sm,memory_used_bytes",
    ];
    let csv = run(v.path(), &args);
    csv.assert_code(0);
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(lines[0], "power_w,gpu,sm_clock_mhz,memory_used_bytes");
    let rows: Vec<Vec<&str>> = lines[1..3].iter().map(|l| l.split(',').collect()).collect();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), 4, "{row:?}");
        assert_eq!(row[0], "71.50");
        assert_eq!(row[1], i.to_string());
        assert!(row[2].parse::<u32>().is_ok_and(|c| c > 0), "{row:?}");
    }
    // The table: one header line of the chosen names, then one row per GPU.
    let table = run_table(v.path(), &["index", "temperature.gpu"]);
    let header = table
        .lines()
        .find(|l| l.starts_with('#') && l.contains("gpu"))
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["#", "gpu", "temperature_gpu_c"]
    );
    assert!(!header.contains("pwr"), "{header}");
}

fn run_table(fixture: &str, fields: &[&str]) -> String {
    let q = fields.join(",");
    let out = run(
        fixture,
        &["monitor", "-c", "1", "--interval", "100ms", "--query", &q],
    );
    out.assert_code(0);
    out.stdout
}

#[test]
fn query_with_an_unknown_field_is_exit_2_naming_it_and_the_accepted_ones() {
    let bad = run(
        "two_h100.json",
        &["monitor", "-c", "1", "--query", "index,temperature.bogus"],
    );
    bad.assert_code(2);
    assert!(bad.stderr.contains("'temperature.bogus'"), "{}", bad.stderr);
    assert!(bad.stderr.contains("power.draw"), "{}", bad.stderr);
    let json = run(
        "two_h100.json",
        &["monitor", "--json", "-c", "1", "--query", "nope"],
    );
    json.assert_code(2);
    assert_eq!(summary(&json.stdout).outcome, "error");
}

#[test]
fn readme_lists_every_query_field_from_the_table_in_code() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let table = gpuctl::commands::monitor::query::markdown_table();
    assert!(
        readme.contains(&table),
        "README's --query table is stale; paste this under the monitor section:\n{table}"
    );
}
