//! What an XID watch has seen so far, shared between the thread that
//! watches and whoever reads it.
//!
//! Lossless by construction: the watch pushes each event as it arrives, so
//! an error that ends the watch (a GPU fallen off the bus, a hung driver
//! call abandoned by `bounded`) never takes back the events seen before it.

use super::{QueryError, XidEvent};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Everything an XID watch saw: its events, the GPUs it could not cover,
/// and why it ended early if it did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct XidSeen {
    pub events: Vec<XidEvent>,
    /// GPUs (NVML index) the watch could not cover, and why: no event of
    /// theirs can be vouched for.
    pub unwatched: BTreeMap<u32, QueryError>,
    /// Why the watch stopped before it was asked to: from then on no GPU's
    /// events were seen.
    pub error: Option<QueryError>,
}

/// The shared record an XID watch writes into ([`super::NvmlApi::watch_xids`]).
#[derive(Debug, Clone, Default)]
pub struct XidLog(Arc<Mutex<XidSeen>>);

impl XidLog {
    fn lock(&self) -> MutexGuard<'_, XidSeen> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One event, as it arrives.
    pub fn push(&self, event: XidEvent) {
        self.lock().events.push(event);
    }

    /// A GPU the watch cannot cover (the others still are).
    pub fn unwatched(&self, index: u32, error: QueryError) {
        self.lock().unwatched.entry(index).or_insert(error);
    }

    /// The watch ended early; the first reason is kept.
    pub fn failed(&self, error: QueryError) {
        self.lock().error.get_or_insert(error);
    }

    /// The failures of the latest watch replace the earlier ones (a watch
    /// re-armed window after window, as `monitor`'s, is as good as its
    /// latest window).
    pub fn replace_failures(&self, latest: &XidSeen) {
        let mut seen = self.lock();
        seen.error = latest.error.clone();
        seen.unwatched = latest.unwatched.clone();
    }

    /// Everything seen so far.
    pub fn snapshot(&self) -> XidSeen {
        self.lock().clone()
    }

    /// The events seen since the last call, removed (a long-running reader
    /// keeps its memory flat); failures stay.
    pub fn take_events(&self) -> Vec<XidEvent> {
        std::mem::take(&mut self.lock().events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(xid: u64) -> XidEvent {
        XidEvent {
            gpu_index: Some(0),
            pci_bus_id: None,
            xid,
            source: "nvml_event".into(),
            detail: String::new(),
        }
    }

    #[test]
    fn an_error_keeps_the_events_seen_before_it() {
        let log = XidLog::default();
        let writer = log.clone();
        writer.push(event(48));
        writer.unwatched(1, QueryError::GpuLost);
        writer.failed(QueryError::GpuLost);
        writer.failed(QueryError::NotSupported);
        let seen = log.snapshot();
        assert_eq!(seen.events, vec![event(48)]);
        assert_eq!(seen.unwatched.get(&1), Some(&QueryError::GpuLost));
        assert_eq!(
            seen.error,
            Some(QueryError::GpuLost),
            "the first reason stays"
        );
        assert_eq!(log.take_events(), vec![event(48)]);
        assert!(log.snapshot().events.is_empty());
        log.replace_failures(&XidSeen::default());
        assert_eq!(log.snapshot(), XidSeen::default());
    }
}
