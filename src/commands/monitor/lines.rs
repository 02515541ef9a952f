//! The JSON Lines `monitor --json` prints besides its summary report, as one
//! type for the schema (`$defs/JsonLine` in `schema.json`): each sample, a
//! GPU going down or up or an XID, and `--textfile` failing or recovering.

use super::sample::GpuSample;
use super::textfile::{TextfileFailing, TextfileRecovered};
use super::Event;

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
