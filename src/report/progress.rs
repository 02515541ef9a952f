//! Live progress of long runs: one line per GPU on stderr (indicatif, only
//! on a terminal), or JSON Lines progress events on stdout with
//! `--json-lines` (`--json` prints only the report).
//!
//! Commands emit [`ProgressEvent`]s into a [`ProgressSink`]; they never
//! decide how progress looks.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use schemars::JsonSchema;
use serde::Serialize;

/// Longest progress line: the bar's prefix, elapsed time and bar take
/// [`BAR_COLUMNS`], the message the rest of 79 columns.
pub const LINE_MAX: usize = 79;
/// `GPU 12  12s ##########` plus spaces.
const BAR_COLUMNS: usize = 24;
use std::io::Write;
use std::sync::Mutex;

/// One GPU's state at one moment of a run (`"event":"progress"`, `burn`
/// and `memtest` with `--json-lines`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ProgressEvent {
    /// Always `progress`.
    #[schemars(extend("const" = "progress"))]
    pub event: &'static str,
    pub gpu: u32,
    pub elapsed_s: f64,
    /// Median TFLOP/s of the batches so far.
    pub tflops: Option<f64>,
    pub power_w: Option<f64>,
    pub temperature_c: Option<u32>,
    pub sm_clock_mhz: Option<u32>,
    pub memory_clock_mhz: Option<u32>,
    /// Active clock event reasons by name, and the raw NVML mask (null
    /// when unread): the same pair `health`'s clock_events check reports.
    pub clock_events: Vec<String>,
    pub clock_events_mask: Option<u64>,
    pub mismatches: u64,
    pub error: Option<String>,
}

/// `memtest`: one pattern finished on one GPU (`"event":"pattern"`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PatternEvent {
    /// Always `pattern`.
    #[schemars(extend("const" = "pattern"))]
    pub event: &'static str,
    pub gpu: u32,
    pub elapsed_s: f64,
    /// 1-based pass.
    pub pass: u32,
    #[schemars(schema_with = "crate::model::pattern::name_schema")]
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

/// JSON Lines on stdout, one object per event (`--json-lines`).
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
    if let Some(line) = super::json::event_line(event) {
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

/// The words after the bar, at most `room` characters: the numbers (and
/// any mismatches) and as many throttle reasons as fit (`+N` for the rest),
/// or once the GPU stopped, its error; cut at a character boundary.
pub fn message(e: &ProgressEvent, room: usize) -> String {
    let mut msg = format!(
        "{} TFLOP/s {} {} {}",
        opt(e.tflops.map(|t| format!("{t:.0}")), ""),
        opt(e.power_w.map(|p| format!("{p:.0}")), " W"),
        opt(e.temperature_c, "°C"),
        opt(e.sm_clock_mhz, " MHz"),
    );
    if e.mismatches > 0 {
        msg.push_str(&format!(" MISMATCHES {}", e.mismatches));
    }
    let throttled: Vec<&str> = e
        .clock_events
        .iter()
        .map(String::as_str)
        .filter(|r| *r != "gpu_idle")
        .collect();
    if let Some(err) = &e.error {
        // This GPU stopped: the error is what matters, and gets the room.
        msg = match e.mismatches {
            0 => format!("error: {err}"),
            n => format!("MISMATCHES {n} error: {err}"),
        };
    }
    let reasons = if e.error.is_some() {
        &[][..]
    } else {
        &throttled[..]
    };
    for (i, reason) in reasons.iter().enumerate() {
        let left = reasons.len() - i - 1;
        let more = if left > 0 {
            format!(" +{left}")
        } else {
            String::new()
        };
        if msg.chars().count() + 1 + reason.len() + more.len() <= room {
            msg.push(' ');
            msg.push_str(reason);
        } else {
            msg.push_str(&format!(" +{}", reasons.len() - i));
            break;
        }
    }
    if msg.chars().count() > room {
        msg = msg.chars().take(room.saturating_sub(3)).collect::<String>() + "...";
    }
    msg
}

fn opt<T: std::fmt::Display>(v: Option<T>, unit: &str) -> String {
    v.map(|v| format!("{v}{unit}"))
        .unwrap_or_else(|| "-".into())
}

impl ProgressSink for Bars {
    fn start(&self, gpu: u32, _label: &str) {
        let bar = self
            .multi
            .add(ProgressBar::new((self.total_s * 10.0) as u64));
        let style = ProgressStyle::with_template("{prefix:6} {elapsed:>4} {bar:10} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        // The index alone: the model name would push the line past 80.
        bar.set_prefix(format!("GPU {gpu}"));
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
        let msg = message(e, LINE_MAX - BAR_COLUMNS);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> ProgressEvent {
        ProgressEvent {
            event: "progress",
            gpu: 7,
            elapsed_s: 12.3,
            tflops: Some(694.4),
            power_w: Some(698.2),
            temperature_c: Some(61),
            sm_clock_mhz: Some(1980),
            memory_clock_mhz: Some(2619),
            clock_events: vec![
                "gpu_idle".into(),
                "sw_power_cap".into(),
                "sw_thermal_slowdown".into(),
                "hw_power_brake_slowdown".into(),
            ],
            clock_events_mask: Some(0xa5),
            mismatches: 0,
            error: None,
        }
    }

    #[test]
    fn progress_lines_fit_80_columns() {
        let room = LINE_MAX - BAR_COLUMNS;
        let plain = message(&event(), room);
        assert!(
            plain.starts_with("694 TFLOP/s 698 W 61°C 1980 MHz"),
            "{plain}"
        );
        assert!(plain.contains("sw_power_cap"), "{plain}");
        assert!(!plain.contains("gpu_idle"), "{plain}");
        assert!(plain.chars().count() <= room, "{plain}");
        let mut failing = event();
        failing.mismatches = 3;
        failing.error = Some("CUDA_ERROR_ILLEGAL_ADDRESS at step 3 of the GEMM batch ".repeat(3));
        let line = message(&failing, room);
        assert!(line.chars().count() <= room, "{line}");
        assert!(line.contains("MISMATCHES 3"), "{line}");
        assert!(line.contains("error: CUDA_ERROR"), "{line}");
        // The widest prefix: `GPU 12`, elapsed (`59m`/`1h`), a 10-column bar.
        assert!(BAR_COLUMNS >= "GPU 12 100s ########## ".len());
    }
}
