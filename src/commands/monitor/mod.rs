//! `gpuctl monitor`: samples every selected GPU at an interval and streams
//! the samples as a live table, CSV or JSON Lines, serves them as Prometheus
//! metrics (`--listen`) and/or writes them for node_exporter's textfile
//! collector (`--textfile`), until `--count`, `--duration` or a signal.
//!
//! Each GPU has one long-lived reader thread. Every interval the loop asks
//! each idle reader for a sample and waits at most the read timeout: a GPU
//! whose reads hang or fail is marked down for that interval while the others
//! are reported on time, and a reader still stuck in the driver is never
//! asked again until it returns (so threads stay bounded at one per GPU). A
//! circuit breaker per GPU backs off after repeated failures and retries
//! half-open later. Only the last sample and running summaries are kept, so
//! memory stays flat over weeks.
//!
//! SIGTERM and Ctrl-C end the run with the summary and exit 0 (monitor
//! observes, it does not gate; a daemon is expected to stop on SIGTERM);
//! SIGHUP is ignored.

pub(crate) mod lines;
pub mod metrics;
pub mod pods;
pub mod query;
mod render;
pub mod sample;
mod serve;
mod stale;
mod textfile;

use self::render::{opt, opt_f, table_header, table_row};
pub use self::render::{Table, CSV_COLUMNS};
use self::sample::{Breaker, GpuId, GpuSample, Previous, RawReadings};
use super::Selected;
use crate::cli::{GlobalArgs, MonitorArgs};
use crate::device::inventory::Enumerate;
use crate::device::{NvmlApi, Reading, XidEvent};
use crate::error::AppError;
use crate::harness::xids::XidWatch;
use crate::report::{CheckStatus, GpuReport, MonitorSummary, Outcome, Report};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime};

/// Where monitor's lines go; app.rs owns stdout and stderr.
pub trait MonitorOutput {
    /// One line of the stream (no newline); an error ends the run (a
    /// closed pipe is a normal end).
    fn line(&mut self, line: &str) -> std::io::Result<()>;
    /// A note for the operator on stderr (e.g. the address served).
    fn notice(&mut self, message: &str);
    /// Repeat the table header every this many lines (on a terminal).
    fn header_every(&self) -> Option<usize>;
}

/// How samples are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Table,
    Csv,
    Json,
}

/// Longest wait for one round of reads, whatever the interval.
const MAX_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// ECC, row-remap and PCIe replay counters are read at most this often and
/// reused in between: they are about 7 of a sample's ~20 driver round trips
/// and change rarely; 5 s is still well inside any scrape interval an alert
/// would use.
const ERROR_COUNTERS_EVERY: Duration = Duration::from_secs(5);
/// How often the cumulative energy counter is read. One read costs 6-9 ms
/// of CPU on an H100 (`GPUCTL_TRACE=2`), most of a sample's cost: read
/// every second it alone would spend about 1% of a core per GPU. The counter
/// is cumulative, so a reading a few seconds old loses no energy, only
/// delays it; power is read every interval.
const ENERGY_EVERY: Duration = Duration::from_secs(10);
/// XIDs kept per GPU in the summary (the count has them all).
const XIDS_KEPT: usize = 32;

/// The read timeout for an interval: most of the interval, at most 5 s.
pub fn read_timeout(interval: Duration) -> Duration {
    (interval.mul_f64(0.9)).clamp(Duration::from_millis(50), MAX_READ_TIMEOUT)
}

/// One reader thread's answer.
struct Reply {
    slot: usize,
    seq: u64,
    result: Result<RawReadings, String>,
}

/// One GPU's state across the run.
struct Slot {
    id: GpuId,
    nvml_index: Option<u32>,
    request: Option<mpsc::Sender<u64>>,
    in_flight: Option<(u64, Instant)>,
    breaker: Breaker,
    prev: Previous,
    up: Option<bool>,
    last: GpuSample,
    summary: MonitorSummary,
    first_energy_j: Option<f64>,
    power_sum: f64,
    power_n: u64,
    util_sum: f64,
    util_n: u64,
    read_ms_sum: f64,
    xid_count: u64,
    xid_hardware: u64,
    last_xid: Option<u64>,
}

pub fn run(
    global: &GlobalArgs,
    args: &MonitorArgs,
    out: &mut dyn MonitorOutput,
) -> Result<Report, AppError> {
    // The stop handler (app.rs) is shared with the HTTP thread.
    crate::signal::ignore_hangup();
    // Every driver call is bounded by --call-timeout underneath the readers;
    // a GPU whose hung call answers later is read again rather than down
    // until restart (the circuit breaker paces the retries).
    crate::device::bounded::retry_after_late_answers();
    let selected = Selected::open(global, Enumerate::NvmlOnly)?;
    let nvml: Arc<dyn NvmlApi> = selected
        .backend
        .nvml()
        .map_err(|e| AppError::environment(format!("monitor needs NVML: {e}")))?
        .clone();
    let style = if global.format() == crate::cli::Format::Json {
        Style::Json
    } else if args.csv || global.format() == crate::cli::Format::Csv {
        Style::Csv
    } else {
        Style::Table
    };
    // Unknown host: an empty label, which Prometheus treats as no label
    // (never a placeholder such as "unknown").
    let hostname = crate::report::Report::new("monitor")
        .host
        .unwrap_or_default();
    let stop = crate::signal::stop_flag();

    let server = match &args.listen {
        Some(addr) => {
            let s = serve::Server::start(addr, args.interval)
                .map_err(|e| AppError::usage(format!("--listen {addr}: {e}")))?;
            out.notice(&format!(
                "serving metrics on http://{}/metrics",
                s.address()
            ));
            if style == Style::Json {
                let _ = out.line(&lines::listening(&s.address().to_string()));
            }
            Some(s)
        }
        None => None,
    };

    let mut textfile = args.textfile.as_deref().map(textfile::Textfile::new);
    let (reply_tx, reply_rx) = mpsc::channel::<Reply>();
    let mut slots: Vec<Slot> = selected
        .gpus()
        .enumerate()
        .map(|(slot, gpu)| {
            let id = GpuId {
                gpu: gpu.index,
                uuid: gpu.uuid.clone(),
                pci_bus_id: gpu.pci_bus_id.clone(),
                model: gpu.name.clone(),
                lost: gpu.lost.clone(),
            };
            let nvml_index = (gpu.has_nvml && gpu.lost.is_none()).then_some(gpu.index);
            let request = nvml_index.map(|i| spawn_reader(slot, i, nvml.clone(), reply_tx.clone()));
            Slot {
                last: GpuSample::blank(&id, String::new(), 0.0),
                id,
                nvml_index,
                request,
                in_flight: None,
                breaker: Breaker::new(args.breaker_backoff),
                prev: Previous::default(),
                up: None,
                summary: MonitorSummary::default(),
                first_energy_j: None,
                power_sum: 0.0,
                power_n: 0,
                util_sum: 0.0,
                util_n: 0,
                read_ms_sum: 0.0,
                xid_count: 0,
                xid_hardware: 0,
                last_xid: None,
            }
        })
        .collect();
    drop(reply_tx);
    // XID events as they happen: windows of a second (events reach the
    // output within one, and the thread sleeps in the driver meanwhile), a
    // failed window retried after 5 s. Whether it watches shows per GPU.
    let indices: Vec<u32> = slots.iter().filter_map(|s| s.nvml_index).collect();
    let (window, retry) = (Duration::from_secs(1), Duration::from_secs(5));
    let xids = (!indices.is_empty())
        .then(|| XidWatch::start_rearmed(nvml.clone(), indices, window, retry, stop));

    let timeout = read_timeout(args.interval);
    let gpus = slots.iter().map(|s| (s.id.uuid.clone(), s.nvml_index));
    let mut attribution = pods::start(args, style == Style::Json, nvml.as_ref(), gpus);
    let start = Instant::now();
    let mut next_tick = start;
    let mut rounds: u64 = 0;
    let mut lines_since_header: Option<usize> = None;
    let mut seq: u64 = 0;
    let columns = args.query.clone().map(|q| q.0);
    let csv_fields = columns
        .clone()
        .unwrap_or_else(|| query::defaults(CSV_COLUMNS));
    if style == Style::Csv && out.line(&query::csv_header(&csv_fields)).is_err() {
        return Ok(summary_report(&selected, &slots, start));
    }
    'run: loop {
        if args.count.is_some_and(|c| rounds >= u64::from(c))
            || args
                .duration
                .is_some_and(|d| next_tick.duration_since(start) >= d)
        {
            break;
        }
        // Sleep to the tick in short slices so a signal is answered fast.
        while Instant::now() < next_tick {
            if stop.load(Ordering::Relaxed) {
                break 'run;
            }
            std::thread::sleep((next_tick - Instant::now()).min(Duration::from_millis(50)));
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let now = Instant::now();
        seq += 1;
        let mut waiting = 0;
        for slot in &mut slots {
            if slot.in_flight.is_none() && slot.breaker.allow(now) {
                if let Some(tx) = &slot.request {
                    if tx.send(seq).is_ok() {
                        slot.in_flight = Some((seq, now));
                        waiting += 1;
                    }
                }
            }
        }
        let mut replies: Vec<Option<Result<RawReadings, String>>> =
            (0..slots.len()).map(|_| None).collect();
        let deadline = now + timeout;
        while waiting > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match reply_rx.recv_timeout(left) {
                Ok(r) => {
                    let slot = &mut slots[r.slot];
                    // A late answer frees the reader but is too old to use.
                    let current = slot.in_flight.is_some_and(|(s, _)| s == r.seq) && r.seq == seq;
                    slot.in_flight = None;
                    if current {
                        replies[r.slot] = Some(r.result);
                        waiting -= 1;
                    }
                }
                Err(_) => break,
            }
        }
        // Late answers from earlier rounds that arrived since.
        while let Ok(r) = reply_rx.try_recv() {
            if r.seq != seq {
                slots[r.slot].in_flight = None;
            }
        }

        let timestamp = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        let elapsed = now.duration_since(start).as_secs_f64();
        let new_xids: Vec<XidEvent> = xids.as_ref().map_or_else(Vec::new, XidWatch::take_events);
        let mut stream: Vec<String> = Vec::new();
        stream.extend(pods::refresh(&mut attribution, out, &timestamp));
        for (i, slot) in slots.iter_mut().enumerate() {
            let mut s = GpuSample::blank(&slot.id, timestamp.clone(), elapsed);
            s.pod = pods::labels(&attribution, &slot.id.uuid);
            for x in new_xids
                .iter()
                .filter(|x| x.gpu_index == slot.nvml_index.or(Some(u32::MAX)))
            {
                slot.xid_count += 1;
                slot.xid_hardware += u64::from(crate::checks::xid::is_hardware(x.xid));
                slot.last_xid = Some(x.xid);
                if slot.summary.xids.len() < XIDS_KEPT {
                    slot.summary.xids.push(x.xid);
                }
                stream.push(event_line(
                    style,
                    "xid",
                    &timestamp,
                    &slot.id,
                    None,
                    Some(x.xid),
                ));
            }
            let outcome: Result<RawReadings, String> = match (&slot.id.lost, replies[i].take()) {
                (Some(lost), _) => Err(lost.clone()),
                (None, _) if slot.nvml_index.is_none() => {
                    Err("NVML cannot read this GPU".to_string())
                }
                (None, Some(Ok(r))) => match r.failure() {
                    Some(e) => Err(e),
                    None => Ok(r),
                },
                (None, Some(Err(e))) => Err(e),
                (None, None) => Err(match (slot.in_flight, slot.breaker.state) {
                    (Some((_, since)), _) => format!(
                        "read timed out (no answer from the driver for {} ms)",
                        now.duration_since(since)
                            .as_millis()
                            .max(timeout.as_millis())
                    ),
                    (None, sample::BreakerState::Open { until }) => format!(
                        "backed off after {} failed reads; retry in {:.1} s",
                        slot.breaker.failures,
                        until.saturating_duration_since(now).as_secs_f64()
                    ),
                    _ => "no answer".to_string(),
                }),
            };
            let attempted = replies_attempted(slot, seq);
            let unwatched = slot.nvml_index.and_then(|i| xids.as_ref()?.failure(i));
            s.xid_watch_error = unwatched.as_ref().map(ToString::to_string);
            match outcome {
                Ok(r) => {
                    slot.breaker.success();
                    s.fill(&r, &mut slot.prev, now, unwatched.as_ref());
                }
                Err(e) => {
                    if attempted {
                        slot.breaker.failure(now);
                    }
                    s.error = Some(e);
                }
            }
            s.breaker = slot.breaker.label();
            s.xid_count = slot.xid_count;
            s.xid_hardware_count = slot.xid_hardware;
            s.last_xid = slot.last_xid;
            if slot.up != Some(s.up) {
                let kind = if s.up { "gpu_up" } else { "gpu_down" };
                if slot.up.is_some() || !s.up {
                    stream.push(event_line(
                        style,
                        kind,
                        &timestamp,
                        &slot.id,
                        s.error.as_deref(),
                        None,
                    ));
                }
                if slot.up == Some(true) && !s.up {
                    slot.summary.down_events += 1;
                }
                slot.up = Some(s.up);
            }
            account(slot, &s);
            stream.push(match style {
                Style::Json => serde_json::to_string(&s).unwrap_or_default(),
                Style::Csv => query::csv_row(&csv_fields, &s),
                Style::Table => match &columns {
                    Some(c) => query::table_row(c, &s),
                    None => table_row(&s),
                },
            });
            slot.last = s;
        }
        rounds += 1;

        if server.is_some() || args.textfile.is_some() {
            let samples: Vec<GpuSample> = slots.iter().map(|s| s.last.clone()).collect();
            let failures = textfile.as_ref().map(textfile::Textfile::failures);
            let om = metrics::render_openmetrics(&samples, args.metric_names, &hostname, failures);
            let text = metrics::to_prometheus_text(&om);
            if let Some(file) = textfile.as_mut() {
                if let Some(change) = file.write(&text) {
                    out.notice(&change.notice(file.path()));
                    if style == Style::Json {
                        stream.push(change.event(file.path(), &timestamp));
                    }
                }
            }
            if let Some(s) = &server {
                s.publish(om, text);
            }
        }
        if !global.quiet {
            for line in stream {
                if style == Style::Table && !line.starts_with('#') {
                    let every = out.header_every();
                    let due = match (lines_since_header, every) {
                        (None, _) => true,
                        (Some(n), Some(e)) => n >= e,
                        (Some(_), None) => false,
                    };
                    if due {
                        let header = match &columns {
                            Some(c) => query::table_header(c),
                            None => table_header(),
                        };
                        for h in header {
                            if out.line(&h).is_err() {
                                break 'run;
                            }
                        }
                        lines_since_header = Some(0);
                    }
                    lines_since_header = lines_since_header.map(|n| n + 1);
                }
                if out.line(&line).is_err() {
                    // A closed pipe (`| head`) ends the run normally.
                    break 'run;
                }
            }
        }
        next_tick += args.interval;
        let now = Instant::now();
        if next_tick < now {
            // Sampling fell behind (a slow driver): skip, don't burst.
            next_tick = now;
        }
    }
    drop(server);
    if let (Some(path), true) = (&args.textfile, crate::signal::stopped()) {
        let last: Vec<GpuSample> = slots.iter().map(|s| s.last.clone()).collect();
        stale::leave_textfile(path, &last, args.metric_names, &hostname, out);
    }
    // The energy counter is read every ENERGY_EVERY: read it once more so
    // the summary's energy covers the whole run, short runs included. After
    // a Ctrl-C the bounded layer gives a hung call 300 ms, not the full
    // call timeout, so the exit stays prompt.
    for slot in slots.iter_mut() {
        if let (Some(index), Some(first)) = (slot.nvml_index, slot.first_energy_j) {
            if let Some(mj) = nvml.energy_mj(index).get() {
                let joules = mj as f64 / 1000.0;
                slot.summary.energy_j = Some((joules - first).max(0.0));
            }
        }
    }
    let mut report = summary_report(&selected, &slots, start);
    if let Some(file) = &textfile {
        file.conclude(&mut report);
    }
    Ok(report)
}

/// Whether this round asked the GPU (failures that only reflect an open
/// breaker or a still-hung earlier read don't count again).
fn replies_attempted(slot: &Slot, seq: u64) -> bool {
    slot.nvml_index.is_some()
        && slot.id.lost.is_none()
        && slot.in_flight.is_none_or(|(s, _)| s == seq)
        && !matches!(slot.breaker.state, sample::BreakerState::Open { .. })
}

fn account(slot: &mut Slot, s: &GpuSample) {
    let m = &mut slot.summary;
    m.seconds = s.elapsed_s;
    m.up = s.up;
    m.healthy = s.healthy;
    if !s.up {
        m.failed_samples += 1;
        m.last_error = s.error.clone();
        return;
    }
    m.samples += 1;
    if let Some(p) = s.power_w {
        slot.power_sum += p;
        slot.power_n += 1;
        m.power_avg_w = Some(slot.power_sum / slot.power_n as f64);
        m.power_peak_w = Some(m.power_peak_w.map_or(p, |x| x.max(p)));
        m.power_source = crate::model::gpu::PowerSource::merge(m.power_source, s.power_source);
    }
    if let Some(e) = s.energy_j {
        let first = *slot.first_energy_j.get_or_insert(e);
        m.energy_j = Some((e - first).max(0.0));
    }
    if let Some(t) = s.temperature_gpu_c {
        m.temperature_gpu_peak_c = Some(m.temperature_gpu_peak_c.map_or(t, |x| x.max(t)));
    }
    if let Some(t) = s.temperature_memory_c {
        m.temperature_memory_peak_c = Some(m.temperature_memory_peak_c.map_or(t, |x| x.max(t)));
    }
    if let Some(c) = s.sm_clock_mhz {
        m.sm_clock_min_mhz = Some(m.sm_clock_min_mhz.map_or(c, |x| x.min(c)));
    }
    if let Some(u) = s.utilization_gpu_pct {
        slot.util_sum += f64::from(u);
        slot.util_n += 1;
        m.utilization_gpu_avg_pct = Some(slot.util_sum / slot.util_n as f64);
    }
    if let Some(r) = s.read_ms {
        slot.read_ms_sum += r;
        m.read_ms_avg = Some(slot.read_ms_sum / m.samples as f64);
        m.read_ms_max = Some(m.read_ms_max.map_or(r, |x| x.max(r)));
    }
    m.xid_count = slot.xid_count;
}

fn summary_report(selected: &Selected, slots: &[Slot], start: Instant) -> Report {
    let mut report = Report::new("monitor");
    report.driver = Some(selected.inventory.driver.clone());
    report.warnings = selected.inventory.warnings.clone();
    let seconds = start.elapsed().as_secs_f64();
    report.gpus = selected
        .gpus()
        .zip(slots)
        .map(|(gpu, slot)| {
            let mut summary = slot.summary.clone();
            summary.seconds = seconds;
            summary.xid_count = slot.xid_count;
            // Never sampled, or down or unhealthy at the end: a warning, so
            // the operator looks; monitor itself never gates (exit 0).
            let status = if summary.samples > 0 && summary.up && summary.healthy {
                CheckStatus::Pass
            } else {
                CheckStatus::Warn
            };
            GpuReport {
                status: Some(status),
                monitor: Some(summary),
                ..GpuReport::identity(gpu)
            }
        })
        .collect();
    let warned = report
        .gpus
        .iter()
        .filter(|g| g.status == Some(CheckStatus::Warn))
        .count();
    let samples: u64 = slots.iter().map(|s| s.summary.samples).sum();
    report.outcome = if warned == 0 {
        Outcome::Pass
    } else {
        Outcome::Warn
    };
    report.exit_code = crate::exit::SUCCESS;
    report.summary = format!(
        "monitored {} GPU(s) for {:.1} s: {samples} sample(s){}",
        slots.len(),
        seconds,
        if warned == 0 {
            String::new()
        } else {
            format!(", {warned} GPU(s) down or unhealthy at the end")
        }
    );
    report
}

/// The long-lived reader of one GPU: answers each request with one full
/// sample, panics caught. A read stuck in the driver blocks only this thread.
fn spawn_reader(
    slot: usize,
    index: u32,
    nvml: Arc<dyn NvmlApi>,
    replies: mpsc::Sender<Reply>,
) -> mpsc::Sender<u64> {
    let (tx, rx) = mpsc::channel::<u64>();
    std::thread::spawn(move || {
        crate::harness::report_panics_here();
        let mut slowdown: Option<Reading<u32>> = None;
        let mut errors: Option<(Instant, crate::device::ErrorCounters)> = None;
        let mut energy: Option<(Instant, Reading<u64>)> = None;
        while let Ok(seq) = rx.recv() {
            let result = catch_unwind(AssertUnwindSafe(|| {
                let t0 = Instant::now();
                let threshold = slowdown
                    .get_or_insert_with(|| nvml.slowdown_threshold(index))
                    .clone();
                let counters = match &errors {
                    Some((at, c)) if at.elapsed() < ERROR_COUNTERS_EVERY => c.clone(),
                    _ => {
                        let mut c = nvml.error_counters(index);
                        c.nvlinks = nvml.nvlinks(index);
                        errors = Some((Instant::now(), c.clone()));
                        c
                    }
                };
                // A value (or "not supported") is kept for ENERGY_EVERY; a
                // failed read is retried next interval.
                let keep = |e: &Reading<u64>| {
                    matches!(
                        e,
                        Reading::Value(_)
                            | Reading::Error {
                                error: crate::device::QueryError::NotSupported
                            }
                    )
                };
                let energy_mj = match &energy {
                    Some((at, e)) if at.elapsed() < ENERGY_EVERY && keep(e) => e.clone(),
                    _ => {
                        let e = nvml.energy_mj(index);
                        energy = Some((Instant::now(), e.clone()));
                        e
                    }
                };
                let mut r = RawReadings {
                    telemetry: nvml.telemetry(index),
                    errors: counters,
                    extra: nvml.monitor_readings(index),
                    energy_mj,
                    slowdown: threshold,
                    read_ms: 0.0,
                };
                r.read_ms = t0.elapsed().as_secs_f64() * 1000.0;
                r
            }))
            .map_err(|_| "the reader thread crashed (a gpuctl bug)".to_string());
            if replies.send(Reply { slot, seq, result }).is_err() {
                break;
            }
        }
    });
    tx
}

fn event_line(
    style: Style,
    kind: &'static str,
    timestamp: &str,
    id: &GpuId,
    error: Option<&str>,
    xid: Option<u64>,
) -> String {
    match style {
        Style::Json => serde_json::to_string(&lines::Event {
            event: kind,
            timestamp,
            gpu: id.gpu,
            uuid: &id.uuid,
            error,
            xid,
        })
        .unwrap_or_default(),
        _ => {
            let what = match (kind, xid, error) {
                ("xid", Some(x), _) => format!("XID {x}"),
                ("gpu_down", _, Some(e)) => format!("down: {e}"),
                ("gpu_down", _, None) => "down".to_string(),
                _ => "up again".to_string(),
            };
            format!("# {timestamp} gpu {} {what}", id.gpu)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_timeout_is_most_of_the_interval_within_bounds() {
        assert_eq!(
            read_timeout(Duration::from_secs(1)),
            Duration::from_millis(900)
        );
        assert_eq!(
            read_timeout(Duration::from_millis(10)),
            Duration::from_millis(50)
        );
        assert_eq!(read_timeout(Duration::from_secs(3600)), MAX_READ_TIMEOUT);
    }

    #[test]
    fn csv_quotes_only_what_needs_it() {
        use query::csv_field;
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn csv_rows_have_as_many_fields_as_the_header() {
        let id = GpuId {
            gpu: 0,
            uuid: "GPU-x".into(),
            pci_bus_id: "00000000:18:00.0".into(),
            model: "H100".into(),
            lost: None,
        };
        let mut s = GpuSample::blank(&id, "t".into(), 0.0);
        s.error = Some("no, really".into());
        let row = query::csv_row(&query::defaults(CSV_COLUMNS), &s);
        // The quoted comma is one field.
        assert_eq!(row.matches(',').count() - 1, CSV_COLUMNS.len() - 1);
    }
}
