//! The JSON Lines `monitor --json` prints besides its summary report, as one
//! type for the schema (`$defs/JsonLine` in `schema.json`): each sample, a
//! GPU going down or up or an XID, and `--textfile` failing or recovering.

use super::sample::GpuSample;
use super::textfile::{TextfileFailing, TextfileRecovered};
use serde::Serialize;

/// The `"event":"listening"` line.
pub(crate) fn listening(address: &str) -> String {
    let line = Listening {
        event: "listening",
        address,
    };
    // Serializing two strings cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}

/// A GPU state change or XID, as a JSON Lines event.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "GpuEvent")]
pub(crate) struct Event<'a> {
    /// `gpu_down`, `gpu_up` (after being down) or `xid`.
    #[schemars(extend("enum" = ["gpu_down", "gpu_up", "xid"]))]
    pub event: &'static str,
    pub timestamp: &'a str,
    pub gpu: u32,
    pub uuid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xid: Option<u64>,
}

/// `"event":"listening"`: `--listen` serves `/metrics` at `address`.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct Listening<'a> {
    /// Always `listening`.
    #[schemars(extend("const" = "listening"))]
    pub event: &'static str,
    pub address: &'a str,
}

/// One line of `monitor --json` other than the summary report. Told apart
/// by `event`.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only its schema is used.
pub(crate) enum MonitorLine<'a> {
    /// `"event":"sample"`: one GPU at one moment.
    Sample(Box<GpuSample>),
    /// `"event":"gpu_down"`, `"gpu_up"` or `"xid"`.
    Gpu(Event<'a>),
    /// `"event":"listening"`.
    Listening(Listening<'a>),
    /// `"event":"textfile_failing"`.
    TextfileFailing(TextfileFailing<'a>),
    /// `"event":"textfile_recovered"`.
    TextfileRecovered(TextfileRecovered<'a>),
}
