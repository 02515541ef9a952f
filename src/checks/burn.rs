//! Burn verification checks as pure functions: how the results were
//! verified (bit for bit or within a tolerance), whether the reference
//! agreed with the host's recomputation, whether the memory wipe verified,
//! and what a device error means for the operator (whose fault, which
//! remedy).

use super::remedy;
use crate::device::burn::{BatchResult, BurnSetup, VerificationMode, WipeReport};
use crate::device::{Blame, DeviceError, GpuProcess, Reading};
use crate::report::{Check, CheckStatus};

/// `verification_mode`: PASS when every product was compared bit for bit;
/// WARN when the engine was not reproducible and the burn fell back to a
/// tolerance (weaker: small errors within it go unnoticed).
pub fn verification_mode(setup: Option<&BurnSetup>, batches: &[BatchResult]) -> Check {
    const NAME: &str = "verification_mode";
    let Some(setup) = setup else {
        return Check::new(NAME, CheckStatus::Skip, "the burn did not start");
    };
    let tolerance = match setup.verification {
        VerificationMode::Tolerance { relative } => Some(relative),
        VerificationMode::Exact => None,
    };
    let tolerant_batches = batches.iter().filter(|b| b.tolerance_mode).count();
    match tolerance {
        None if tolerant_batches == 0 => Check::new(
            NAME,
            CheckStatus::Pass,
            format!(
                "exact: the reference was reproduced bit for bit ({} products) and every \
                 product's checksum compared",
                setup.reference_products
            ),
        )
        .value("exact", None),
        _ => Check::new(
            NAME,
            CheckStatus::Warn,
            format!(
                "tolerance: the engine did not reproduce its own product bit for bit, so \
                 products were compared element by element within relative tolerance {:e} \
                 ({tolerant_batches} batches)",
                tolerance.unwrap_or(0.0)
            ),
        )
        .value("tolerance", None)
        .remedy(
            "rerun with --engine builtin (bitwise reproducible); if the cuBLASLt engine \
             keeps varying on this GPU, compare with another GPU of the same model",
        ),
    }
}

/// `reference_anchor`: the reference product's entries recomputed on the
/// host from the known operands. A disagreement is a deterministic datapath
/// fault (the set-up then fails with [`DeviceError::WrongResult`]; see
/// [`device_error_check`]); a burn whose reference was never anchored has
/// not shown that its reference is right.
pub fn reference_anchor(setup: Option<&BurnSetup>) -> Check {
    const NAME: &str = "reference_anchor";
    let Some(setup) = setup else {
        return Check::new(NAME, CheckStatus::Skip, "the burn did not start");
    };
    match &setup.anchor {
        Some(a) if a.passed() => Check::new(
            NAME,
            CheckStatus::Pass,
            format!(
                "{} entries of the reference recomputed on the host agree (largest error {:.2e}, \
                 tolerance {:.2e})",
                a.entries, a.max_abs_error, a.tolerance
            ),
        )
        .value(a.beyond_tolerance, Some("entries"))
        .threshold(0),
        Some(a) => Check::new(
            NAME,
            CheckStatus::Fail,
            format!(
                "{} of {} entries of the reference differ from the host's recomputation \
                 (largest error {:.2e}, tolerance {:.2e}): a deterministic datapath fault",
                a.beyond_tolerance, a.entries, a.max_abs_error, a.tolerance
            ),
        )
        .value(a.beyond_tolerance, Some("entries"))
        .threshold(0)
        .remedy(remedy::RMA),
        None => Check::new(
            NAME,
            CheckStatus::Warn,
            "the reference product was not checked against the host",
        ),
    }
}

/// `memory_wipe`: every buffer zeroed and read back as zero before it was
/// freed, so no test data is left for the next job.
pub fn memory_wipe(wipe: Option<&Result<WipeReport, DeviceError>>) -> Check {
    const NAME: &str = "memory_wipe";
    match wipe {
        None => Check::new(NAME, CheckStatus::Skip, "no buffers to wipe"),
        Some(Ok(w)) if w.verified => Check::new(
            NAME,
            CheckStatus::Pass,
            format!(
                "{} buffers ({} MiB) zeroed and verified before they were freed",
                w.buffers,
                w.bytes >> 20
            ),
        ),
        Some(Ok(w)) => Check::new(
            NAME,
            CheckStatus::Fail,
            format!(
                "{} not read back as zero after the wipe: memory does not hold what was \
                 written",
                crate::report::text::count(w.nonzero_words, "word")
            ),
        )
        .value(w.nonzero_words, Some("words"))
        .threshold(0)
        .remedy(remedy::RMA),
        Some(Err(e)) => device_error_check(NAME, "wiping GPU memory", e, None),
    }
}

/// "pid 123 (python) 40960 MiB, pid 456 ? MiB".
pub fn describe_holders(procs: &[GpuProcess]) -> String {
    procs
        .iter()
        .map(|p| {
            let name = p
                .name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            let mib = p
                .used_bytes
                .map(|b| format!("{} MiB", b >> 20))
                .unwrap_or_else(|| "? MiB".into());
            format!("pid {}{name} {mib}", p.pid)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The check a device error gives, with the remedy its [`Blame`] calls for.
/// `holders` (NVML's compute processes, other than ours) name who holds
/// the memory when the error is out-of-memory.
pub fn device_error_check(
    name: &str,
    what: &str,
    e: &DeviceError,
    holders: Option<&Reading<Vec<GpuProcess>>>,
) -> Check {
    let message = format!("{what}: {e}");
    if e.is_out_of_memory() {
        let others = holders.and_then(|h| h.value()).filter(|p| !p.is_empty());
        return match others {
            Some(procs) => {
                let held: u64 = procs.iter().filter_map(|p| p.used_bytes).sum();
                let pids: Vec<String> = procs.iter().map(|p| p.pid.to_string()).collect();
                Check::new(
                    name,
                    CheckStatus::Fail,
                    format!(
                        "{message}; other processes hold the GPU's memory: {}",
                        describe_holders(procs)
                    ),
                )
                .remedy(&format!(
                    "free the GPU: other processes hold {} MiB (pids {}); stop them or \
                     drain the node, then rerun. Not a hardware fault",
                    held >> 20,
                    pids.join(", ")
                ))
            }
            None => Check::new(name, CheckStatus::Fail, message).remedy(
                "free the GPU's memory (see nvidia-smi for processes using it) or run with \
                 a smaller --memory, then rerun. Not a hardware fault",
            ),
        };
    }
    match e.blame() {
        // A wrong answer where the answer is known: the datapath is faulty.
        Blame::Gpu if matches!(e, DeviceError::WrongResult { .. }) => {
            Check::new(name, CheckStatus::Fail, message).remedy(remedy::RMA)
        }
        Blame::Host => Check::new(
            name,
            CheckStatus::Fail,
            format!("{message} (a host problem, not a GPU fault)"),
        )
        .remedy(remedy::for_blame(Blame::Host)),
        other => Check::new(name, CheckStatus::Fail, message).remedy(remedy::for_blame(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::burn::{AnchorResult, Dtype, Engine};

    fn setup(verification: VerificationMode, anchor: Option<AnchorResult>) -> BurnSetup {
        BurnSetup {
            engine: Engine::Cublas,
            dtype: Dtype::Bf16,
            matrix_size: 16384,
            result_buffers: 8,
            memory_bytes: 1 << 33,
            detail: String::new(),
            reference_products: 2,
            verification,
            anchor,
        }
    }

    const GOOD: AnchorResult = AnchorResult {
        entries: 64,
        beyond_tolerance: 0,
        max_abs_error: 1e-5,
        tolerance: 2e-3,
    };

    #[test]
    fn exact_passes_and_tolerance_warns() {
        let exact = setup(VerificationMode::Exact, Some(GOOD));
        let batch = BatchResult::default();
        assert_eq!(
            verification_mode(Some(&exact), &[batch]).status,
            CheckStatus::Pass
        );
        let tol = setup(VerificationMode::Tolerance { relative: 1e-5 }, Some(GOOD));
        let c = verification_mode(Some(&tol), &[batch]);
        assert_eq!(c.status, CheckStatus::Warn);
        assert!(c.message.contains("1e-5"), "{}", c.message);
        // A batch that switched is enough to warn, whatever the set-up said.
        let switched = BatchResult {
            tolerance_mode: true,
            ..batch
        };
        assert_eq!(
            verification_mode(Some(&exact), &[batch, switched]).status,
            CheckStatus::Warn
        );
        assert_eq!(verification_mode(None, &[]).status, CheckStatus::Skip);
    }

    #[test]
    fn anchor_passes_fails_and_never_passes_unchecked() {
        let ok = setup(VerificationMode::Exact, Some(GOOD));
        assert_eq!(reference_anchor(Some(&ok)).status, CheckStatus::Pass);
        let bad = setup(
            VerificationMode::Exact,
            Some(AnchorResult {
                beyond_tolerance: 3,
                max_abs_error: 0.5,
                ..GOOD
            }),
        );
        let c = reference_anchor(Some(&bad));
        assert_eq!(c.status, CheckStatus::Fail);
        assert_eq!(c.remedy.as_deref(), Some(remedy::RMA));
        let none = setup(VerificationMode::Exact, None);
        assert_eq!(reference_anchor(Some(&none)).status, CheckStatus::Warn);
    }

    #[test]
    fn out_of_memory_names_the_holders_and_is_not_an_rma() {
        let e = DeviceError::OutOfMemory {
            step: "cuMemAlloc result buffer 0".into(),
            requested_bytes: 1 << 30,
            free_bytes: 100 << 20,
        };
        let holders = Reading::Value(vec![
            GpuProcess {
                pid: 4242,
                name: Some("python".into()),
                used_bytes: Some(70 << 30),
            },
            GpuProcess {
                pid: 77,
                name: None,
                used_bytes: None,
            },
        ]);
        let c = device_error_check("burn_ran", "set-up failed", &e, Some(&holders));
        assert_eq!(c.status, CheckStatus::Fail);
        let remedy = c.remedy.unwrap_or_default();
        assert!(
            remedy.contains("free the GPU: other processes hold 71680 MiB (pids 4242, 77)"),
            "{remedy}"
        );
        assert!(!remedy.contains("RMA"), "{remedy}");
        assert!(
            c.message.contains("pid 4242 (python) 71680 MiB"),
            "{}",
            c.message
        );
        // Without NVML's list it still is not blamed on the GPU.
        let c = device_error_check("burn_ran", "set-up failed", &e, None);
        assert!(!c.remedy.unwrap_or_default().contains("RMA"));
    }

    #[test]
    fn host_library_problems_are_not_gpu_faults() {
        let e = DeviceError::HostLibrary {
            library: "libcuda.so.1".into(),
            reason: "not found".into(),
        };
        let c = device_error_check("compute_self_test", "self-test", &e, None);
        assert!(c.message.contains("not a GPU fault"), "{}", c.message);
        let remedy = c.remedy.unwrap_or_default();
        assert!(
            remedy.contains("install or fix the NVIDIA driver"),
            "{remedy}"
        );
        assert!(!remedy.contains("RMA"), "{remedy}");
        // A real GPU fault keeps the reset/RMA remedy.
        let ill = DeviceError::Cuda {
            step: "batch 3".into(),
            code: 700,
            name: "CUDA_ERROR_ILLEGAL_ADDRESS".into(),
        };
        let c = device_error_check("burn_ran", "burn", &ill, None);
        assert_eq!(c.remedy.as_deref(), Some(remedy::RESET));
    }

    #[test]
    fn wipe_verified_passes_and_leftovers_fail() {
        let ok = Ok(WipeReport {
            buffers: 10,
            bytes: 10 << 30,
            verified: true,
            nonzero_words: 0,
        });
        assert_eq!(memory_wipe(Some(&ok)).status, CheckStatus::Pass);
        let bad = Ok(WipeReport {
            buffers: 10,
            bytes: 10 << 30,
            verified: false,
            nonzero_words: 5,
        });
        assert_eq!(memory_wipe(Some(&bad)).status, CheckStatus::Fail);
        assert_eq!(memory_wipe(None).status, CheckStatus::Skip);
    }
}
