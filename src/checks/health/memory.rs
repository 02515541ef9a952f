//! Memory health: ECC mode and counters, row remapping, retired pages,
//! memory in use.

use crate::checks::{remedy, unreadable};
use crate::device::{EccCounts, MemoryInfo, Reading, RetiredPages, RowRemap};
use crate::model::stats::round1;
use crate::report::{Check, CheckStatus};

pub fn ecc_mode(enabled: &Reading<bool>) -> Check {
    const NAME: &str = "ecc_mode";
    match enabled.as_result() {
        Err(e) => unreadable(NAME, "ECC mode", e),
        Ok(true) => Check::new(NAME, CheckStatus::Pass, "ECC enabled").value(true, None),
        Ok(false) => Check::new(
            NAME,
            CheckStatus::Warn,
            "ECC disabled: memory errors go undetected",
        )
        .value(false, None)
        .threshold(true)
        .remedy(remedy::ECC_ENABLE),
    }
}

pub fn ecc_aggregate_uncorrected(reading: &Reading<EccCounts>) -> Check {
    const NAME: &str = "ecc_aggregate_uncorrected";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "aggregate ECC counters", e),
        Ok(c) if c.uncorrected > 0 => Check::new(
            NAME,
            CheckStatus::Fail,
            format!(
                "{} uncorrectable ECC error(s) over the GPU's lifetime",
                c.uncorrected
            ),
        )
        .value(c.uncorrected, Some("errors"))
        .threshold(0)
        .remedy(remedy::RMA),
        Ok(c) => Check::new(
            NAME,
            CheckStatus::Pass,
            "no uncorrectable ECC errors recorded",
        )
        .value(c.uncorrected, Some("errors"))
        .threshold(0),
    }
}

pub fn ecc_corrected(reading: &Reading<EccCounts>, max: u64) -> Check {
    const NAME: &str = "ecc_corrected";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "volatile ECC counters", e),
        Ok(c) => {
            let status = if c.corrected > max {
                CheckStatus::Warn
            } else {
                CheckStatus::Pass
            };
            let check = Check::new(
                NAME,
                status,
                format!(
                    "{} corrected ECC error(s) since reset (warn above {max})",
                    c.corrected
                ),
            )
            .value(c.corrected, Some("errors"))
            .threshold(max);
            if status == CheckStatus::Warn {
                check.remedy(remedy::ECC_TREND)
            } else {
                check
            }
        }
    }
}

pub fn row_remap_pending(reading: &Reading<RowRemap>) -> Check {
    const NAME: &str = "row_remap_pending";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "row remapping", e),
        Ok(r) if r.pending => Check::new(
            NAME,
            CheckStatus::Warn,
            "a row remap is pending: it takes effect at the next GPU reset",
        )
        .value(true, None)
        .threshold(false)
        .remedy(remedy::REMAP_PENDING),
        Ok(_) => Check::new(NAME, CheckStatus::Pass, "no row remap pending").value(false, None),
    }
}

pub fn row_remap_uncorrectable(reading: &Reading<RowRemap>, max: u64) -> Check {
    const NAME: &str = "row_remap_uncorrectable";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "row remapping", e),
        Ok(r) => {
            let warn = r.uncorrectable > max;
            let check = Check::new(
                NAME,
                if warn { CheckStatus::Warn } else { CheckStatus::Pass },
                format!(
                    "{} row(s) remapped for uncorrectable errors, {} for correctable (warn above {max})",
                    r.uncorrectable, r.correctable
                ),
            )
            .value(r.uncorrectable, Some("rows"))
            .threshold(max);
            if warn {
                check.remedy(remedy::REMAP_SPARES)
            } else {
                check
            }
        }
    }
}

pub fn retired_pages(reading: &Reading<RetiredPages>, max: u64) -> Check {
    const NAME: &str = "retired_pages";
    match reading.as_result() {
        Err(crate::device::QueryError::NotSupported) => Check::new(
            NAME,
            CheckStatus::Skip,
            "page retirement not supported (Ampere and later use row remapping)",
        ),
        Err(e) => unreadable(NAME, "retired pages", e),
        Ok(p) => {
            let total = p.single_bit + p.double_bit;
            let (status, remedy_text) = if total >= max {
                (CheckStatus::Fail, Some(remedy::RMA))
            } else if p.pending {
                (CheckStatus::Warn, Some(remedy::RETIRE_PENDING))
            } else {
                (CheckStatus::Pass, None)
            };
            let check = Check::new(
                NAME,
                status,
                format!(
                    "{total} page(s) retired ({} single-bit, {} double-bit){}",
                    p.single_bit,
                    p.double_bit,
                    if p.pending {
                        ", retirement pending"
                    } else {
                        ""
                    }
                ),
            )
            .value(total, Some("pages"))
            .threshold(max);
            match remedy_text {
                Some(r) => check.remedy(r),
                None => check,
            }
        }
    }
}

pub fn memory_usage(reading: &Reading<MemoryInfo>, max_pct: f64) -> Check {
    const NAME: &str = "memory_usage";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "memory usage", e),
        Ok(m) if m.total_bytes == 0 => Check::new(NAME, CheckStatus::Skip, "memory total reads 0"),
        Ok(m) => {
            let pct = round1(m.used_bytes as f64 * 100.0 / m.total_bytes as f64);
            let warn = pct > max_pct;
            let check = Check::new(
                NAME,
                if warn {
                    CheckStatus::Warn
                } else {
                    CheckStatus::Pass
                },
                format!("{pct}% of memory in use (warn above {max_pct}%)"),
            )
            .value(pct, Some("%"))
            .threshold(max_pct);
            if warn {
                check.remedy(remedy::MEMORY_USAGE)
            } else {
                check
            }
        }
    }
}
