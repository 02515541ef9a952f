//! Health checks as pure functions: readings in, [`Check`] out.
//!
//! No check prints or touches a device; commands read the device layer and
//! hand the readings here, so `probe` and `health` share one judgement and
//! tests can drive every branch with plain values.

pub mod basic;
pub mod burn;
pub mod fabric;
pub mod health;
pub mod healthy;
pub mod memtest;
pub mod remedy;
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
        // Not read because a stop came first: not verified, never a pass.
        QueryError::Interrupted => {
            Check::new(name, CheckStatus::Interrupted, format!("{what}: {error}"))
        }
        QueryError::TimedOut { .. } => {
            Check::new(name, CheckStatus::Fail, format!("{what}: {error}")).remedy(remedy::HUNG)
        }
    }
}
