//! The JSON Lines `monitor --json` prints besides its summary report, as one
//! type for the schema (`$defs/JsonLine` in `schema.json`): each sample, a
//! GPU going down or up or an XID, and `--textfile` failing or recovering.

use super::sample::GpuSample;
use super::textfile::{TextfileFailing, TextfileRecovered};
use super::Event;

/// One line of `monitor --json` other than the summary report. Told apart
/// by `event`.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only its schema is used.
pub(crate) enum MonitorLine<'a> {
    /// `"event":"sample"`: one GPU at one moment.
    Sample(GpuSample),
    /// `"event":"gpu_down"`, `"gpu_up"` or `"xid"`.
    Gpu(Event<'a>),
    /// `"event":"textfile_failing"`.
    TextfileFailing(TextfileFailing<'a>),
    /// `"event":"textfile_recovered"`.
    TextfileRecovered(TextfileRecovered<'a>),
}
