//! Live progress of long runs: one line per GPU on stderr (indicatif, only
//! on a terminal), or JSON Lines progress events on stdout with `--json`.
//!
//! Commands emit [`ProgressEvent`]s into a [`ProgressSink`]; they never
//! decide how progress looks.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::io::Write;
use std::sync::Mutex;

/// One GPU's state at one moment of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressEvent {
    /// Always `progress`.
    pub event: &'static str,
    pub gpu: u32,
    pub elapsed_s: f64,
    /// Median TFLOP/s of the batches so far.
    pub tflops: Option<f64>,
    pub power_w: Option<f64>,
    pub temperature_c: Option<u32>,
    pub sm_clock_mhz: Option<u32>,
    pub memory_clock_mhz: Option<u32>,
    pub clock_events: Vec<String>,
    pub mismatches: u64,
    pub error: Option<String>,
}

/// `memtest`: one pattern finished on one GPU (`"event":"pattern"`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternEvent {
    /// Always `pattern`.
    pub event: &'static str,
    pub gpu: u32,
    pub elapsed_s: f64,
    /// 1-based pass.
    pub pass: u32,
    pub pattern: &'static str,
    /// Bytes read plus written by this pattern in this pass.
    pub bytes: u64,
    pub seconds: f64,
    pub gb_per_s: Option<f64>,
    pub mismatches: u64,
}

/// Where progress goes.
pub trait ProgressSink: Send + Sync {
    /// A GPU joins the run (before its first update).
    fn start(&self, _gpu: u32, _label: &str) {}
    fn update(&self, event: &ProgressEvent);
    /// A memtest pattern finished on a GPU.
    fn pattern(&self, _event: &PatternEvent) {}
    /// The run is over: clear bars, flush lines.
    fn finish(&self) {}
}

/// Shows nothing (`--quiet`, or stderr is not a terminal).
pub struct Silent;

impl ProgressSink for Silent {
    fn update(&self, _event: &ProgressEvent) {}
}

/// JSON Lines on stdout, one object per event.
pub struct JsonLines;

impl ProgressSink for JsonLines {
    fn update(&self, event: &ProgressEvent) {
        json_line(event);
    }

    fn pattern(&self, event: &PatternEvent) {
        json_line(event);
    }
}

fn json_line(event: &impl Serialize) {
    if let Ok(line) = serde_json::to_string(event) {
        let mut out = std::io::stdout().lock();
        // A closed pipe is not an error; the report write will see it too.
        let _ = writeln!(out, "{line}").and_then(|_| out.flush());
    }
}

/// One indicatif line per GPU on stderr.
pub struct Bars {
    multi: MultiProgress,
    total_s: f64,
    bars: Mutex<Vec<(u32, ProgressBar)>>,
}

impl Bars {
    pub fn new(total: std::time::Duration) -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            total_s: total.as_secs_f64(),
            bars: Mutex::new(Vec::new()),
        }
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>, unit: &str) -> String {
    v.map(|v| format!("{v}{unit}"))
        .unwrap_or_else(|| "-".into())
}

impl ProgressSink for Bars {
    fn start(&self, gpu: u32, label: &str) {
        let bar = self
            .multi
            .add(ProgressBar::new((self.total_s * 10.0) as u64));
        let style = ProgressStyle::with_template("{prefix} [{elapsed_precise}] {bar:24} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(format!("GPU {gpu} {label}"));
        if let Ok(mut bars) = self.bars.lock() {
            bars.push((gpu, bar));
        }
    }

    fn update(&self, e: &ProgressEvent) {
        let Ok(bars) = self.bars.lock() else { return };
        let Some((_, bar)) = bars.iter().find(|(g, _)| *g == e.gpu) else {
            return;
        };
        bar.set_position((e.elapsed_s * 10.0) as u64);
        let mut msg = format!(
            "{} TFLOP/s  {}  {}  SM {}  errors {}",
            opt(e.tflops.map(|t| format!("{t:.0}")), ""),
            opt(e.power_w.map(|p| format!("{p:.0}")), " W"),
            opt(e.temperature_c, " °C"),
            opt(e.sm_clock_mhz, " MHz"),
            e.mismatches
        );
        let throttled: Vec<&String> = e
            .clock_events
            .iter()
            .filter(|r| r.as_str() != "gpu_idle")
            .collect();
        if !throttled.is_empty() {
            msg.push_str(&format!(
                "  [{}]",
                throttled
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
        if let Some(err) = &e.error {
            msg.push_str(&format!("  error: {err}"));
        }
        bar.set_message(msg);
    }

    fn pattern(&self, e: &PatternEvent) {
        let Ok(bars) = self.bars.lock() else { return };
        let Some((_, bar)) = bars.iter().find(|(g, _)| *g == e.gpu) else {
            return;
        };
        bar.set_position((e.elapsed_s * 10.0) as u64);
        bar.set_message(format!(
            "pass {} {} done  {} GB/s  mismatches {}",
            e.pass,
            e.pattern,
            opt(e.gb_per_s.map(|g| format!("{g:.0}")), ""),
            e.mismatches
        ));
    }

    fn finish(&self) {
        if let Ok(bars) = self.bars.lock() {
            for (_, bar) in bars.iter() {
                bar.finish_and_clear();
            }
        }
        let _ = self.multi.clear();
    }
}
