//! Burn verification checks as pure functions: how the results were
//! verified (bit for bit or within a tolerance), whether the reference
//! agreed with the host's recomputation, whether the memory wipe verified,
//! and what a device error means for the operator (whose fault, which
//! remedy).

use super::remedy;
use crate::device::burn::{BatchResult, BurnSetup, VerificationMode};
use crate::device::{Blame, DeviceError, GpuProcess, Reading};
use crate::model::stats::round1;
use crate::report::{Check, CheckStatus};

/// `verification_mode`: PASS when every product was compared bit for bit;
/// FAIL should a tolerance ever be reported (a reference that does not
/// reproduce fails the set-up instead: no fallback passes).
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
        // No engine falls back to a tolerance any more; should a report
        // ever say so, low-bit faults went unseen: never a pass.
        _ => Check::new(
            NAME,
            CheckStatus::Fail,
            format!(
                "tolerance: products were compared within relative tolerance {:e} \
                 ({tolerant_batches} batches), where small faults go unseen",
                tolerance.unwrap_or(0.0)
            ),
        )
        .value("tolerance", None)
        .remedy(crate::device::burn_engine::verify::NOT_REPRODUCED),
    }
}

/// `reference_anchor`: the reference product's entries recomputed on the
/// host from the known operands. A disagreement is a deterministic datapath
/// fault (the set-up then fails with [`DeviceError::WrongResult`]; see
/// [`device_error_check`]); a burn whose reference was never anchored has
/// not shown that its reference is right.
/// The HBM stream of `burn --mode mixed` over a GPU's batches.
pub fn stream_summary(batches: &[BatchResult]) -> crate::report::burn_stream::StreamSummary {
    let bytes = batches.iter().map(|b| b.stream_bytes).sum::<u64>();
    let seconds = batches.iter().map(|b| b.stream_seconds).sum::<f64>();
    crate::report::burn_stream::StreamSummary {
        gbps: (seconds > 0.0).then(|| round1(bytes as f64 / seconds / 1e9)),
        bytes,
        bytes_verified: batches.iter().map(|b| b.stream_bytes_verified).sum(),
        mismatched_words: batches.iter().map(|b| b.stream_mismatched_words).sum(),
    }
}

/// `stream_mismatch`: every word the mixed burn streamed must match its
/// pattern (a wrong word fails the GPU as a wrong product does), and a
/// stream that verified nothing fails too (fail closed).
pub fn stream_mismatch(s: &crate::report::burn_stream::StreamSummary) -> Check {
    if s.mismatched_words > 0 {
        Check::new(
            "stream_mismatch",
            CheckStatus::Fail,
            format!(
                "{} words of HBM streamed beside the GEMM differed from the pattern",
                s.mismatched_words
            ),
        )
        .value(s.mismatched_words, Some("words"))
        .threshold(0)
        .remedy(remedy::RMA)
    } else if s.bytes_verified == 0 {
        Check::new(
            "stream_mismatch",
            CheckStatus::Fail,
            "the HBM stream verified no bytes beside the GEMM",
        )
        .value(0, Some("bytes"))
        .remedy(remedy::STREAM_UNVERIFIED)
    } else {
        Check::new(
            "stream_mismatch",
            CheckStatus::Pass,
            format!(
                "all {} bytes streamed beside the GEMM matched the pattern",
                s.bytes_verified
            ),
        )
        .value(0, Some("words"))
        .threshold(0)
    }
}

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
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.message.contains("1e-5"), "{}", c.message);
        // A batch that switched is enough to fail, whatever the set-up said.
        let switched = BatchResult {
            tolerance_mode: true,
            ..batch
        };
        assert_eq!(
            verification_mode(Some(&exact), &[batch, switched]).status,
            CheckStatus::Fail
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
}
