//! Health checks as pure functions: readings in, [`Check`] out.
//!
//! No check prints or touches a device; commands read the device layer and
//! hand the readings here, so `probe` and `health` share one judgement and
//! tests can drive every branch with plain values.

pub mod basic;
pub mod health;
pub mod remedy;
pub mod xid;

use crate::device::QueryError;
use crate::report::{Check, CheckStatus};

/// The SKIP (or FAIL, for a lost GPU) a check gives when its reading failed.
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
            format!("{what}: no permission to read it (run as root)"),
        ),
        QueryError::GpuLost => Check::new(name, CheckStatus::Fail, format!("{what}: GPU is lost"))
            .remedy(remedy::RESET),
        QueryError::Failed(msg) => Check::new(
            name,
            CheckStatus::Fail,
            format!("{what}: could not be read: {msg}"),
        ),
    }
}
