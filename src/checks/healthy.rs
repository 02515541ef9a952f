//! The one healthy rule. `probe`, `health` and `monitor`'s
//! `gpuctl_gpu_healthy` judge a GPU by the same required checks
//! ([`REQUIRED`]), made from readings by the same functions ([`checks`],
//! through `checks::unreadable`), and decide with [`judge`]: the fail-closed
//! rule (`report::fail_closed`) first, then [`is_healthy`].

use super::basic;
use crate::device::{Reading, RowRemap};
use crate::report::{fail_closed, Check, CheckStatus, Required, COVERAGE};

/// The device checks that define a healthy GPU (ARCHITECTURE.md).
pub const REQUIRED: [&str; 4] = [
    "on_bus",
    "ecc_volatile_uncorrected",
    "row_remap_failure",
    "temperature",
];
/// The compute test's check, required too where it runs (`probe
/// --compute`, `health` without `--no-compute`).
pub const COMPUTE: &str = "compute_self_test";
/// [`REQUIRED`] and [`COMPUTE`].
pub const REQUIRED_COMPUTE: [&str; 5] =
    [REQUIRED[0], REQUIRED[1], REQUIRED[2], REQUIRED[3], COMPUTE];

/// What the healthy rule reads of one GPU.
pub struct Readings<'a> {
    /// Why the GPU is lost or hung, if it is.
    pub lost: Option<&'a str>,
    pub ecc_uncorrected: &'a Reading<u64>,
    pub row_remap: &'a Reading<RowRemap>,
    pub temperature: &'a Reading<u32>,
    pub slowdown: &'a Reading<u32>,
}

/// The required device checks from their readings (`probe`, `monitor`).
pub fn checks(r: &Readings) -> Vec<Check> {
    vec![
        basic::on_bus(r.lost),
        basic::ecc_volatile_uncorrected(r.ecc_uncorrected),
        basic::row_remap_failure(r.row_remap),
        basic::temperature_below_slowdown(r.temperature, r.slowdown),
    ]
}

/// Applies the fail-closed rule (appends its `coverage` check when health
/// was not established) and says whether the GPU is healthy.
pub fn judge(checks: &mut Vec<Check>, required: &Required) -> bool {
    if let Some(coverage) = fail_closed(checks, required) {
        checks.push(coverage);
    }
    is_healthy(checks)
}

/// Healthy: no check FAILs and health was established (no `coverage`
/// check, WARN or FAIL). Other WARNs are degraded, not unhealthy.
pub fn is_healthy(checks: &[Check]) -> bool {
    unhealthy(checks).next().is_none()
}

/// The checks that make a GPU unhealthy.
pub fn unhealthy(checks: &[Check]) -> impl Iterator<Item = &Check> {
    checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail || c.name == COVERAGE)
}

pub use crate::report::text::why_unverified;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::QueryError;

    fn refused<T>() -> Reading<T> {
        Reading::err(QueryError::NoPermission)
    }

    #[test]
    fn refused_reads_are_never_healthy() {
        let (ecc, remap, temp, slowdown) = (refused(), refused(), refused(), Reading::Value(89));
        let mut checks = checks(&Readings {
            lost: None,
            ecc_uncorrected: &ecc,
            row_remap: &remap,
            temperature: &temp,
            slowdown: &slowdown,
        });
        let required = Required {
            checks: &REQUIRED,
            deselected: &[],
        };
        assert!(!judge(&mut checks, &required));
        let coverage = checks
            .iter()
            .find(|c| c.name == COVERAGE)
            .expect("coverage");
        assert_eq!(coverage.status, CheckStatus::Fail);
    }

    #[test]
    fn good_readings_are_healthy_and_a_failed_watch_is_not() {
        let (ecc, remap) = (Reading::Value(0), Reading::Value(RowRemap::default()));
        let (temp, slowdown) = (Reading::Value(40), Reading::Value(89));
        let r = Readings {
            lost: None,
            ecc_uncorrected: &ecc,
            row_remap: &remap,
            temperature: &temp,
            slowdown: &slowdown,
        };
        let required = Required {
            checks: &REQUIRED,
            deselected: &[],
        };
        assert!(judge(&mut checks(&r), &required));
        let mut with_watch = checks(&r);
        with_watch.push(crate::checks::xid::watch_failed(
            &QueryError::Failed("boom".into()),
            false,
        ));
        assert!(!judge(&mut with_watch, &required));
        let coverage = with_watch
            .iter()
            .find(|c| c.name == COVERAGE)
            .expect("coverage");
        assert!(
            coverage
                .message
                .contains("xid (not verified: its source failed)"),
            "{}",
            coverage.message
        );
        assert_eq!(REQUIRED_COMPUTE[..4], REQUIRED);
    }
}
