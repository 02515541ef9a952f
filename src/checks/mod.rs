//! Health checks as pure functions: readings in, [`Check`] out.
//!
//! No check prints or touches a device; commands read the device layer and
//! hand the readings here, so `probe` and `health` share one judgement and
//! tests can drive every branch with plain values.

pub mod basic;
pub mod burn;
pub mod health;
pub mod xid;

use crate::device::QueryError;
use crate::report::{Check, CheckStatus};

/// The check a failed reading gives: SKIP when the GPU does not support it,
/// SKIP marked unverified when permission is missing (the fail-closed rule in
/// `report` then refuses a healthy verdict), FAIL for a lost or hung GPU or
/// any other error.
pub fn unreadable(name: &str, what: &str, error: &QueryError) -> Check {
    match error {
        QueryError::NotSupported => Check::new(
            name,
            CheckStatus::Skip,
            format!("{what}: not supported on this GPU"),
        ),
        QueryError::NoPermission => Check::new(
            name,
            CheckStatus::Skip,
            format!("{what}: no permission to read it, not verified (run as root)"),
        )
        .unverified(),
        QueryError::GpuLost => Check::new(name, CheckStatus::Fail, format!("{what}: GPU is lost"))
            .remedy(remedy::RESET),
        QueryError::Failed(msg) => Check::new(
            name,
            CheckStatus::Fail,
            format!("{what}: could not be read: {msg}"),
        ),
        QueryError::Device(e) => burn::device_error_check(name, what, e, None),
        QueryError::Interrupted => Check::new(name, CheckStatus::Skip, format!("{what}: {error}")),
        QueryError::TimedOut { .. } => {
            Check::new(name, CheckStatus::Fail, format!("{what}: {error}")).remedy(remedy::HUNG)
        }
    }
}

/// Remedies, worded once so every command gives the same advice.
pub mod remedy {
    pub const RESET: &str = "reset the GPU (nvidia-smi -r) or reboot the node; RMA if it recurs";
    pub const HUNG: &str = "drain the node, then reset the GPU (nvidia-smi -r) or reboot; RMA if \
                            it recurs";
    pub const RMA: &str = "drain the node and open an RMA";
    pub const COOLING: &str = "check airflow, fans and inlet temperature";
    pub const COUNT: &str = "check `nvidia-smi`, the PCIe slots and `dmesg` for a missing GPU";
    pub const DRIVER: &str =
        "install the NVIDIA driver, or in a container run with --gpus all and \
                              NVIDIA_DRIVER_CAPABILITIES=compute,utility";

    use crate::device::Blame;

    /// The remedy for an error, by whose fault it is.
    pub fn for_blame(blame: Blame) -> &'static str {
        match blame {
            Blame::Gpu => RESET,
            Blame::Host => {
                "install or fix the NVIDIA driver and CUDA libraries on the host (libcuda.so.1, \
                 libcublasLt), then rerun; the GPU was not tested"
            }
            Blame::Contention => {
                "another process holds the GPU (its memory, or exclusive-process compute mode); \
                 free it, then rerun"
            }
            Blame::Tool => "a gpuctl bug or a bad setting; report it with this message",
            Blame::Unknown => "rerun; if it repeats, reset the GPU and report the message",
        }
    }
}
