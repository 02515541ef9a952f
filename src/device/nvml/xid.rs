//! NVML's XID event watch (`NvmlApi::watch_xids` of [`RealNvml`]):
//! lossless, each event into the caller's [`XidLog`] as it arrives.

use super::{query_error, RealNvml, XID_UNKNOWN};
use crate::device::{QueryError, XidEvent, XidLog};
use nvml_wrapper::bitmasks::event::EventTypes;
use nvml_wrapper::enums::event::XidError;
use nvml_wrapper::error::{nvml_sym, nvml_try, NvmlError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A GPU registered with the event set, to name the source of an event.
struct Watched {
    index: u32,
    uuid: String,
    pci_bus_id: String,
}

pub(super) fn watch(
    nvml: &RealNvml,
    indices: &[u32],
    (window, poll): (Duration, Duration),
    stop: &AtomicBool,
    log: &XidLog,
) -> Result<(), QueryError> {
    let start = Instant::now();
    let set = nvml.nvml.create_event_set().map_err(query_error)?;
    // Registered through the raw symbol: the wrapper's `register_events`
    // frees the whole set when one device refuses, losing the others.
    let register =
        nvml_sym(nvml.nvml.lib().nvmlDeviceRegisterEvents.as_ref()).map_err(query_error)?;
    let mut watched = Vec::new();
    for &index in indices {
        // A GPU that cannot be reached, report XIDs as events or be
        // named is recorded as unwatched (never read as "no XIDs"); the
        // others are still watched.
        let Some(device) = nvml
            .device(index)
            .map_err(|e| log.unwatched(index, query_error(e)))
            .ok()
        else {
            continue;
        };
        // SAFETY: device and set handles come from NVML and outlive the
        // call (the set lives until the end of this function).
        let code = unsafe {
            register(
                device.handle(),
                EventTypes::CRITICAL_XID_ERROR.bits(),
                set.handle(),
            )
        };
        let identity =
            nvml_try(code).and_then(|()| Ok((device.uuid()?, device.pci_info()?.bus_id)));
        match identity {
            Ok((uuid, pci_bus_id)) => watched.push(Watched {
                index,
                uuid,
                pci_bus_id,
            }),
            Err(e) => log.unwatched(index, query_error(e)),
        }
    }
    if watched.is_empty() {
        return Err(QueryError::NotSupported);
    }

    crate::trace::mark("XID watch registered");
    while !stop.load(Ordering::Relaxed) {
        let left = window.saturating_sub(start.elapsed());
        if left.is_zero() {
            break;
        }
        let wait_ms = left.min(poll).as_millis().clamp(1, u128::from(u32::MAX)) as u32;
        let data = match set.wait(wait_ms) {
            Ok(d) => d,
            Err(NvmlError::Timeout) => continue,
            Err(e) => return Err(query_error(e)),
        };
        if !data.event_type.contains(EventTypes::CRITICAL_XID_ERROR) {
            continue;
        }
        let xid = match data.event_data {
            Some(XidError::Value(v)) => v,
            Some(XidError::Unknown) | None => XID_UNKNOWN,
        };
        let source = data
            .device
            .uuid()
            .ok()
            .and_then(|u| watched.iter().find(|w| w.uuid == u));
        log.push(XidEvent {
            gpu_index: source.map(|w| w.index),
            pci_bus_id: match source {
                Some(w) => Some(w.pci_bus_id.clone()),
                None => data.device.pci_info().ok().map(|p| p.bus_id),
            },
            xid,
            source: "nvml_event".into(),
            detail: String::new(),
        });
    }
    Ok(())
}
