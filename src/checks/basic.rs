//! The checks `probe` runs (and `health` runs too): presence, lost GPUs,
//! uncorrectable memory errors, remap failure, temperature, self-test.

use super::{remedy, unreadable};
use crate::device::{QueryError, Reading, RowRemap, SelfTestOutcome};
use crate::report::{Check, CheckStatus};

/// The expected number of GPUs is present.
pub fn gpu_count(expected: Option<u32>, found: u32) -> Check {
    match expected {
        None => Check::new(
            "gpu_count",
            CheckStatus::Pass,
            format!("{found} GPU(s) found"),
        )
        .value(found, None),
        Some(n) if n == found => Check::new(
            "gpu_count",
            CheckStatus::Pass,
            format!("{found} GPU(s) found as expected"),
        )
        .value(found, None)
        .threshold(n),
        Some(n) => Check::new(
            "gpu_count",
            CheckStatus::Fail,
            format!("expected {n} GPU(s), found {found}"),
        )
        .value(found, None)
        .threshold(n)
        .remedy(remedy::COUNT),
    }
}

/// How many MIG instances CUDA sees in place of the whole GPU (0: not in
/// MIG mode).
pub fn mig_instances(gpu: &crate::device::Gpu) -> usize {
    gpu.cuda
        .iter()
        .filter(|d| d.uuid.starts_with("MIG-"))
        .count()
}

/// A GPU split into MIG instances cannot be tested whole by `command`
/// (burn, memtest, bench): FAIL, as for any GPU a command could not test,
/// naming MIG, with the way to test it (not a hardware fault: never RMA).
pub fn mig_untestable(name: &str, command: &str, instances: usize) -> Check {
    Check::new(
        name,
        CheckStatus::Fail,
        format!(
            "not tested: the GPU is in MIG mode ({instances} instance(s) visible) and {command} \
             needs the whole GPU"
        ),
    )
    .value(instances as u64, Some("MIG instances"))
    .remedy(&remedy::MIG_UNTESTABLE.replace("{command}", command))
}

/// NVML can still reach the GPU.
pub fn on_bus(lost: Option<&str>) -> Check {
    match lost {
        None => Check::new("on_bus", CheckStatus::Pass, "GPU answers NVML"),
        // A hung GPU may still hold jobs: drain before resetting.
        Some(why) if why.starts_with(crate::device::inventory::HUNG) => {
            Check::new("on_bus", CheckStatus::Fail, why).remedy(remedy::HUNG)
        }
        Some(why) => Check::new("on_bus", CheckStatus::Fail, why).remedy(remedy::RESET),
    }
}

/// Any volatile (since last reset) uncorrectable ECC error fails.
pub fn ecc_volatile_uncorrected(reading: &Reading<u64>) -> Check {
    const NAME: &str = "ecc_volatile_uncorrected";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "volatile ECC counters", e),
        Ok(&n) if n > 0 => Check::new(
            NAME,
            CheckStatus::Fail,
            format!("{} uncorrectable ECC error(s) since the last reset", n),
        )
        .value(n, Some("errors"))
        .threshold(0)
        .remedy(remedy::RESET),
        Ok(&n) => Check::new(
            NAME,
            CheckStatus::Pass,
            "no uncorrectable ECC errors since reset",
        )
        .value(n, Some("errors"))
        .threshold(0),
    }
}

/// A row-remap failure means memory the GPU could not repair.
pub fn row_remap_failure(reading: &Reading<RowRemap>) -> Check {
    const NAME: &str = "row_remap_failure";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "row remapping", e),
        Ok(r) if r.failure => Check::new(
            NAME,
            CheckStatus::Fail,
            "a row remap failed: the GPU ran out of spare rows or could not remap",
        )
        .value(true, None)
        .threshold(false)
        .remedy(remedy::RMA),
        Ok(_) => Check::new(NAME, CheckStatus::Pass, "no row remap failure").value(false, None),
    }
}

/// GPU temperature stays below the card's slowdown threshold.
pub fn temperature_below_slowdown(temp: &Reading<u32>, slowdown: &Reading<u32>) -> Check {
    const NAME: &str = "temperature";
    let t = match temp.as_result() {
        Err(e) => return unreadable(NAME, "GPU temperature", e),
        Ok(t) => *t,
    };
    match slowdown.get() {
        None => Check::new(
            NAME,
            CheckStatus::Skip,
            format!("{t} °C; slowdown threshold unknown"),
        )
        .value(t, Some("°C")),
        Some(s) if t >= s => Check::new(
            NAME,
            CheckStatus::Fail,
            format!("{t} °C is at or above the slowdown threshold {s} °C"),
        )
        .value(t, Some("°C"))
        .threshold(s)
        .remedy(remedy::COOLING),
        Some(s) => Check::new(
            NAME,
            CheckStatus::Pass,
            format!("{t} °C, slowdown at {s} °C"),
        )
        .value(t, Some("°C"))
        .threshold(s),
    }
}

/// The self-test kernel ran and every element matched the host.
pub fn self_test(device: &str, outcome: &Result<SelfTestOutcome, QueryError>) -> Check {
    const NAME: &str = "compute_self_test";
    match outcome {
        // Typed errors pick their remedy: a host library or a busy GPU is
        // not answered with "reset the GPU; RMA".
        Err(QueryError::Device(d)) => super::burn::device_error_check(
            NAME,
            &format!("{device}: self-test could not run"),
            d,
            None,
        ),
        Err(e) => Check::new(
            NAME,
            CheckStatus::Fail,
            format!("{device}: self-test could not run: {e}"),
        )
        .remedy(remedy::RESET),
        Ok(o) if o.mismatches > 0 => Check::new(
            NAME,
            CheckStatus::Fail,
            format!("{device}: {} of {} results wrong", o.mismatches, o.checked),
        )
        .value(o.mismatches, Some("mismatches"))
        .threshold(0)
        .remedy(remedy::RMA),
        Ok(o) => Check::new(
            NAME,
            CheckStatus::Pass,
            format!(
                "{device}: {} results correct, kernel {:.2} ms",
                o.checked, o.kernel_ms
            ),
        )
        .value(0, Some("mismatches"))
        .threshold(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_test_remedy_follows_whose_fault_it_is() {
        let host: Result<SelfTestOutcome, QueryError> =
            Err(crate::device::DeviceError::HostLibrary {
                library: "libcuda.so.1".into(),
                reason: "too old or broken: missing symbol".into(),
            }
            .into());
        let c = self_test("GPU 0", &host);
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(
            c.message
                .starts_with("GPU 0: self-test could not run: libcuda.so.1"),
            "{}",
            c.message
        );
        assert!(
            !c.remedy.clone().unwrap_or_default().contains("RMA"),
            "{c:?}"
        );
        let gpu: Result<SelfTestOutcome, QueryError> = Err(crate::device::DeviceError::Cuda {
            step: "kernel execution failed".into(),
            code: 700,
            name: "CUDA_ERROR_ILLEGAL_ADDRESS".into(),
        }
        .into());
        assert_eq!(
            self_test("GPU 0", &gpu).remedy.as_deref(),
            Some(remedy::RESET)
        );
    }

    #[test]
    fn mig_mode_fails_untested_never_an_rma() {
        let c = mig_untestable("burn_ran", "burn", 2);
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(
            c.message.contains("MIG mode (2 instance(s)"),
            "{}",
            c.message
        );
        let r = c.remedy.unwrap_or_default();
        assert!(r.contains("burn cannot test a MIG-enabled GPU"), "{r}");
        assert!(r.contains("no RMA") && !r.contains("open an RMA"), "{r}");
        assert!(r.contains("drain the node") && r.contains("-mig 0"), "{r}");
    }

    #[test]
    fn any_uncorrectable_ecc_error_fails() {
        let ok = Reading::Value(0);
        let bad = Reading::Value(1);
        assert_eq!(ecc_volatile_uncorrected(&ok).status, CheckStatus::Pass);
        assert_eq!(ecc_volatile_uncorrected(&bad).status, CheckStatus::Fail);
        assert_eq!(
            ecc_volatile_uncorrected(&Reading::default()).status,
            CheckStatus::Skip
        );
    }

    #[test]
    fn temperature_fails_at_slowdown_and_skips_without_threshold() {
        let at = temperature_below_slowdown(&Reading::Value(89), &Reading::Value(89));
        assert_eq!(at.status, CheckStatus::Fail);
        let below = temperature_below_slowdown(&Reading::Value(88), &Reading::Value(89));
        assert_eq!(below.status, CheckStatus::Pass);
        let unknown = temperature_below_slowdown(&Reading::Value(88), &Reading::default());
        assert_eq!(unknown.status, CheckStatus::Skip);
    }

    #[test]
    fn lost_gpu_reading_fails_rather_than_skips() {
        let lost: Reading<RowRemap> = Reading::err(QueryError::GpuLost);
        assert_eq!(row_remap_failure(&lost).status, CheckStatus::Fail);
    }

    #[test]
    fn count_mismatch_fails() {
        assert_eq!(gpu_count(Some(8), 7).status, CheckStatus::Fail);
        assert_eq!(gpu_count(Some(8), 8).status, CheckStatus::Pass);
        assert_eq!(gpu_count(None, 0).status, CheckStatus::Pass);
    }
}
