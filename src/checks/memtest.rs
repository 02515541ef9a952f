//! `memtest`'s judgement of the error counters read before and after the
//! test, through the same unreadable rule as every other reading
//! ([`super::unreadable`]): only "not supported" is a plain SKIP; a refused
//! read verifies nothing, a timed-out or failed one FAILs.

use super::{remedy, unreadable};
use crate::device::{ErrorCounters, QueryError, Reading};
use crate::report::{Check, CheckStatus};

const NAME: &str = "ecc_during_test";

/// Both readings, `None` when the GPU does not support them, or the first
/// error that is more than "not supported".
fn both<'a, T>(
    before: &'a Reading<T>,
    after: &'a Reading<T>,
) -> Result<Option<(&'a T, &'a T)>, &'a QueryError> {
    match (before.as_result(), after.as_result()) {
        (Ok(b), Ok(a)) => Ok(Some((b, a))),
        (Err(e), _) | (_, Err(e)) if *e != QueryError::NotSupported => Err(e),
        _ => Ok(None),
    }
}

/// New uncorrectable ECC errors or a row-remap failure during the test
/// FAIL; new corrected errors, remapped rows or a pending remap WARN.
pub fn ecc_during_test(
    before: Result<&ErrorCounters, &QueryError>,
    after: Result<&ErrorCounters, &QueryError>,
) -> Check {
    let (b, a) = match (before, after) {
        (Ok(b), Ok(a)) => (b, a),
        (Err(e), _) | (_, Err(e)) => return unreadable(NAME, "error counters", e),
    };
    let ecc = both(&b.ecc_volatile, &a.ecc_volatile);
    let remap = both(&b.row_remap, &a.row_remap);
    let mut fail = Vec::new();
    let mut warn = Vec::new();
    if let Ok(Some((b, a))) = ecc {
        let (c, u) = (
            a.corrected.saturating_sub(b.corrected),
            a.uncorrected.saturating_sub(b.uncorrected),
        );
        if u > 0 {
            fail.push(format!("{u} new uncorrectable ECC errors"));
        }
        if c > 0 {
            warn.push(format!("{c} new corrected ECC errors"));
        }
    }
    if let Ok(Some((b, a))) = remap {
        if a.failure && !b.failure {
            fail.push("row remapping failed".to_string());
        }
        let (rc, ru) = (
            a.correctable.saturating_sub(b.correctable),
            a.uncorrectable.saturating_sub(b.uncorrectable),
        );
        if rc + ru > 0 {
            warn.push(format!(
                "{} rows newly remapped ({rc} correctable, {ru} uncorrectable)",
                rc + ru
            ));
        }
        if a.pending && !b.pending {
            warn.push("a row remap is pending (applied at the next GPU reset)".to_string());
        }
    }
    let all: Vec<String> = fail.iter().chain(&warn).cloned().collect();
    if !fail.is_empty() {
        return Check::new(NAME, CheckStatus::Fail, all.join("; ")).remedy(remedy::RMA);
    }
    // What could not be read is judged as any reading is: only "not
    // supported" passes over in silence.
    if let Err(e) = ecc {
        return unreadable(NAME, "volatile ECC counters", e);
    }
    if let Err(e) = remap {
        return unreadable(NAME, "row remapping", e);
    }
    if matches!((&ecc, &remap), (Ok(None), Ok(None))) {
        return Check::new(
            NAME,
            CheckStatus::Skip,
            "ECC counters and row remapping are not supported on this GPU",
        );
    }
    if !warn.is_empty() {
        Check::new(NAME, CheckStatus::Warn, all.join("; ")).remedy(remedy::RESET)
    } else {
        Check::new(
            NAME,
            CheckStatus::Pass,
            "no new ECC errors or row remaps during the test",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{EccCounts, RowRemap};

    fn counters(corrected: u64, uncorrected: u64, remap: RowRemap) -> ErrorCounters {
        ErrorCounters {
            ecc_volatile: Reading::Value(EccCounts {
                corrected,
                uncorrected,
            }),
            row_remap: Reading::Value(remap),
            ..Default::default()
        }
    }

    fn check(before: &ErrorCounters, after: &ErrorCounters) -> Check {
        ecc_during_test(Ok(before), Ok(after))
    }

    #[test]
    fn ecc_changes_judge_as_the_issue_says() {
        let base = counters(1, 0, RowRemap::default());
        assert_eq!(check(&base, &base).status, CheckStatus::Pass);
        let c = counters(3, 0, RowRemap::default());
        assert_eq!(check(&base, &c).status, CheckStatus::Warn);
        let u = counters(1, 1, RowRemap::default());
        assert_eq!(check(&base, &u).status, CheckStatus::Fail);
        let f = counters(
            1,
            0,
            RowRemap {
                failure: true,
                ..Default::default()
            },
        );
        assert_eq!(check(&base, &f).status, CheckStatus::Fail);
        let none = ErrorCounters::default();
        let unsupported = check(&none, &none);
        assert_eq!(unsupported.status, CheckStatus::Skip);
        assert!(!unsupported.unverified);
    }

    #[test]
    fn refused_or_timed_out_reads_are_not_unsupported() {
        let base = counters(1, 0, RowRemap::default());
        let mut refused = base.clone();
        refused.ecc_volatile = Reading::err(QueryError::NoPermission);
        refused.row_remap = Reading::err(QueryError::NoPermission);
        let c = check(&refused, &refused);
        assert_eq!(c.status, CheckStatus::Skip);
        assert!(c.unverified, "a refused read verified nothing");
        assert!(!c.message.contains("not supported"), "{}", c.message);

        let mut hung = base.clone();
        hung.ecc_volatile = Reading::err(QueryError::TimedOut {
            call: "error_counters".into(),
            after_ms: 5000,
        });
        assert_eq!(check(&base, &hung).status, CheckStatus::Fail);
        // A reader that hung as a whole FAILs; a GPU NVML cannot read SKIPs.
        let gone = QueryError::Failed("the reader did not answer".into());
        assert_eq!(
            ecc_during_test(Ok(&base), Err(&gone)).status,
            CheckStatus::Fail
        );
        let unsupported = ecc_during_test(Err(&QueryError::NotSupported), Ok(&base));
        assert_eq!(unsupported.status, CheckStatus::Skip);
        // New uncorrectable errors still FAIL when the remap read failed.
        let mut u = counters(1, 1, RowRemap::default());
        u.row_remap = Reading::err(QueryError::NoPermission);
        assert_eq!(check(&base, &u).status, CheckStatus::Fail);
    }
}
