//! NVML's GPU fabric info (`nvmlDeviceGetGpuFabricInfo`), which nvml-wrapper
//! 0.13 does not wrap: the GPU's registration with the NVSwitch fabric
//! manager, read by `diag`.

use super::nvml::{query_error, reading};
use super::types::{FabricInfo, Reading};
use nvml_wrapper::error::{nvml_sym, nvml_try};
use nvml_wrapper::Device;
use nvml_wrapper_sys::bindings::nvmlGpuFabricInfo_t;

/// The fabric state's name for NVML's `NVML_GPU_FABRIC_STATE_*` value.
pub fn state_name(state: u8) -> &'static str {
    match state {
        0 => "not_supported",
        1 => "not_started",
        2 => "in_progress",
        3 => "completed",
        _ => "unknown",
    }
}

/// The GPU's fabric registration; a GPU outside any fabric (or a driver
/// without the call) reads as not supported.
pub(super) fn fabric_info(device: &Device<'_>) -> Reading<FabricInfo> {
    let sym = match nvml_sym(device.nvml().lib().nvmlDeviceGetGpuFabricInfo.as_ref()) {
        Ok(sym) => sym,
        Err(e) => return Reading::err(query_error(e)),
    };
    let mut info = nvmlGpuFabricInfo_t {
        clusterUuid: [0; 16],
        status: 0,
        cliqueId: 0,
        state: 0,
    };
    // SAFETY: the handle comes from NVML and outlives the call; `info` is a
    // valid, initialised out-struct of the layout this symbol expects.
    if let Reading::Error { error } = reading(nvml_try(unsafe { sym(device.handle(), &mut info) }))
    {
        return Reading::err(error);
    }
    let state = state_name(info.state);
    if state == "not_supported" {
        return Reading::err(super::QueryError::NotSupported);
    }
    let completed = state == "completed";
    let status = completed.then(|| match nvml_try(info.status) {
        Ok(()) => "success".to_string(),
        Err(e) => e.to_string(),
    });
    let uuid = (completed && info.clusterUuid.iter().any(|b| *b != 0)).then(|| {
        info.clusterUuid
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    });
    Reading::Value(FabricInfo {
        state: state.to_string(),
        status,
        clique_id: completed.then_some(info.cliqueId),
        cluster_uuid: uuid,
    })
}
