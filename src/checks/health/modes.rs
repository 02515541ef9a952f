//! Modes: persistence, compute mode, MIG.

use crate::checks::{remedy, unreadable};
use crate::device::{MigMode, Reading};
use crate::report::{Check, CheckStatus};

pub fn persistence_mode(reading: &Reading<bool>) -> Check {
    const NAME: &str = "persistence_mode";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "persistence mode", e),
        Ok(true) => Check::new(NAME, CheckStatus::Pass, "persistence mode on").value(true, None),
        Ok(false) => Check::new(
            NAME,
            CheckStatus::Warn,
            "persistence mode off: every first use pays 1-3 s of driver start-up",
        )
        .value(false, None)
        .threshold(true)
        .remedy(remedy::PERSISTENCE),
    }
}

pub fn compute_mode(reading: &Reading<String>) -> Check {
    const NAME: &str = "compute_mode";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "compute mode", e),
        Ok(m) if m == "prohibited" => Check::new(
            NAME,
            CheckStatus::Warn,
            "compute mode prohibited: no CUDA context can run",
        )
        .value(m.as_str(), None)
        .remedy(remedy::COMPUTE_MODE),
        Ok(m) => {
            Check::new(NAME, CheckStatus::Pass, format!("compute mode {m}")).value(m.as_str(), None)
        }
    }
}

pub fn mig(mode: &Reading<MigMode>, instances: usize) -> Check {
    const NAME: &str = "mig";
    match mode.as_result() {
        Err(crate::device::QueryError::NotSupported) => {
            Check::new(NAME, CheckStatus::Skip, "MIG not supported on this GPU")
        }
        Err(e) => unreadable(NAME, "MIG mode", e),
        Ok(m) if m.current != m.pending => Check::new(
            NAME,
            CheckStatus::Warn,
            format!(
                "MIG mode change pending ({} now, {} after reset)",
                on_off(m.current),
                on_off(m.pending)
            ),
        )
        .value(on_off(m.current), None)
        .remedy(remedy::MIG_PENDING),
        Ok(m) if m.current => Check::new(
            NAME,
            CheckStatus::Pass,
            format!("MIG on, {instances} instance(s)"),
        )
        .value("on", None),
        Ok(_) => Check::new(NAME, CheckStatus::Pass, "MIG off").value("off", None),
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}
