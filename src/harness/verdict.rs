//! The checks the harness itself answers for every command: did the work
//! run and verify something ([`completion_check`]), and was the device
//! memory it held wiped before it was freed ([`wipe_check`]). One function
//! each, so the same harness fact gets the same verdict in burn, memtest,
//! bench and health.

use super::{remedy_for, Failure, GpuRun, Workload};
use crate::checks::remedy;
use crate::report::{Check, CheckStatus};

/// The check every harness command reports per GPU: did the work run,
/// finish and verify something? FAIL for a failure of any kind (the first
/// one recorded), and for a run that verified nothing; INTERRUPTED when a
/// stop signal cut this GPU's work short (never a PASS: the work did not
/// finish). `interrupted` is the run's stop flag; `steps` names what a step
/// is ("batches", "passes").
pub fn completion_check<W: Workload>(
    name: &str,
    steps: &str,
    run: &GpuRun<W>,
    interrupted: bool,
) -> Check {
    if let Some(failure) = &run.failure {
        let remedy = match failure {
            Failure::Unusable(_) => {
                "run on a GPU CUDA can use: check CUDA_VISIBLE_DEVICES and MIG mode".to_string()
            }
            Failure::Panicked(_) => "rerun; report the message to the gpuctl developers".into(),
            Failure::SetupFailed(e) | Failure::StepFailed(e) => e.remedy(),
            other => remedy_for(other.blame()).to_string(),
        };
        return Check::new(name, CheckStatus::Fail, failure.message()).remedy(&remedy);
    }
    if interrupted && run.interrupted {
        let message = if run.verified == 0 {
            "interrupted before any work was verified".to_string()
        } else {
            format!(
                "interrupted after {} {steps} verified in {:.1} s: the run did not finish",
                run.steps.len(),
                run.work_seconds
            )
        };
        return Check::new(name, CheckStatus::Interrupted, message).value(run.verified, None);
    }
    if run.verified == 0 {
        return Check::new(
            name,
            CheckStatus::Fail,
            "no work was verified: the run proved nothing",
        )
        .remedy("rerun with a longer duration; if it repeats, report it");
    }
    Check::new(
        name,
        CheckStatus::Pass,
        format!(
            "{} {steps} verified in {:.1} s",
            run.steps.len(),
            run.work_seconds
        ),
    )
    .value(run.verified, None)
}

/// What a clean-up says of its wipe, in one shape for every workload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wiped {
    /// Buffers wiped, when the workload counts them.
    pub buffers: Option<u64>,
    pub bytes: u64,
    /// Every word was read back after the wipe.
    pub verified: bool,
    /// Words that did not read back as zero.
    pub nonzero_words: u64,
}

/// A clean-up that wipes device memory. `None`: nothing was held, so
/// nothing needed wiping.
pub trait Wipes {
    fn wiped(&self) -> Option<Wiped>;
}

impl Wipes for crate::device::burn::WipeReport {
    fn wiped(&self) -> Option<Wiped> {
        Some(Wiped {
            buffers: Some(u64::from(self.buffers)),
            bytes: self.bytes,
            verified: self.verified || self.nonzero_words > 0,
            nonzero_words: self.nonzero_words,
        })
    }
}

impl Wipes for crate::device::memtest::WipeStats {
    fn wiped(&self) -> Option<Wiped> {
        // memtest's wipe reads every word back; an unreadable one is an Err.
        Some(Wiped {
            buffers: None,
            bytes: self.bytes,
            verified: true,
            nonzero_words: self.mismatches,
        })
    }
}

impl<T: Wipes> Wipes for Option<T> {
    fn wiped(&self) -> Option<Wiped> {
        self.as_ref().and_then(Wipes::wiped)
    }
}

/// The wipe check of every command that holds device memory (burn's and
/// bench's `memory_wipe`, memtest's `wipe`, the health compute test's GEMM),
/// from the harness's record of the clean-up:
///
/// - PASS: the clean-up wiped every buffer and read it back as zero;
/// - WARN: the same, after a stop signal cut the work short;
/// - FAIL: words left non-zero, the wipe errored or did not verify, or
///   set-up succeeded (memory was held) and the clean-up never reported
///   (a hang, a worker abandoned): the memory is held, unwiped;
/// - FAIL too when set-up itself hung (what it allocated was never wiped);
///   INTERRUPTED when a stop came during set-up and it never returned;
/// - SKIP: no memory was ever held (set-up failed and released it).
pub fn wipe_check<W>(name: &str, run: &GpuRun<W>) -> Check
where
    W: Workload,
    W::Cleanup: Wipes,
{
    const UNWIPED: &str = "test data may remain in GPU memory, which stays held until the \
                           process exits";
    let Some(cleanup) = &run.cleanup else {
        let set_up = run.started.is_some();
        return match (&run.failure, set_up) {
            (_, true) => Check::new(
                name,
                CheckStatus::Fail,
                format!("the clean-up never reported: the memory was not wiped; {UNWIPED}"),
            )
            .remedy(remedy::RESET),
            (Some(Failure::Hung { .. }), false) => Check::new(
                name,
                CheckStatus::Fail,
                format!("set-up did not return: what it allocated was not wiped; {UNWIPED}"),
            )
            .remedy(remedy::RESET),
            (None, false) if run.interrupted => Check::new(
                name,
                CheckStatus::Interrupted,
                format!("interrupted during set-up: what it allocated was not wiped; {UNWIPED}"),
            ),
            _ => Check::new(name, CheckStatus::Skip, "no memory was held"),
        };
    };
    let w = match cleanup {
        Err(e) => {
            return Check::new(
                name,
                CheckStatus::Fail,
                format!("wiping GPU memory failed: {}; {UNWIPED}", e.message),
            )
            .remedy(&e.remedy())
        }
        Ok(c) => match c.wiped() {
            None => return Check::new(name, CheckStatus::Skip, "no memory was held"),
            Some(w) => w,
        },
    };
    if w.nonzero_words > 0 {
        return Check::new(
            name,
            CheckStatus::Fail,
            format!(
                "{} words did not read back as zero after the wipe: memory does not hold \
                 what was written",
                w.nonzero_words
            ),
        )
        .value(w.nonzero_words, Some("words"))
        .threshold(0)
        .remedy(remedy::RMA);
    }
    if !w.verified {
        return Check::new(
            name,
            CheckStatus::Fail,
            format!("the wipe was not read back: {UNWIPED}"),
        )
        .remedy(remedy::RESET);
    }
    let what = match w.buffers {
        Some(n) => format!("{n} buffers ({} MiB)", w.bytes >> 20),
        None => format!("{:.1} GiB", w.bytes as f64 / (1u64 << 30) as f64),
    };
    let done = format!("{what} zeroed and verified before they were freed");
    if run.interrupted {
        Check::new(
            name,
            CheckStatus::Warn,
            format!("interrupted; {done} all the same"),
        )
        .remedy(remedy::RERUN)
    } else {
        Check::new(name, CheckStatus::Pass, done)
    }
}

/// `on_bus` for a GPU NVML reported lost (fallen off the bus) while the
/// harness worked on it: a FAIL whatever the work itself verified. None
/// when no telemetry sample said so (the command's other checks judge).
pub fn lost_check<W: Workload>(run: &GpuRun<W>) -> Option<Check> {
    let lost = |t: &crate::device::Telemetry| {
        [
            t.temperature_gpu_c.as_result().err(),
            t.power_draw_w.as_result().err(),
            t.clock_events.as_result().err(),
        ]
        .into_iter()
        .flatten()
        .any(|e| *e == crate::device::QueryError::GpuLost)
    };
    let seen =
        run.samples.iter().any(|(_, t)| lost(t)) || run.last_sample.as_ref().is_some_and(lost);
    seen.then(|| {
        Check::new(
            "on_bus",
            CheckStatus::Fail,
            "NVML reported the GPU lost (fallen off the bus) during the run",
        )
        .remedy(remedy::RESET)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::burn::WipeReport;
    use crate::harness::{run, Blame, Options, Target, WorkError};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// A workload whose first step sleeps `first_step`, whose steps fail
    /// when `fail` is set, and whose clean-up sleeps `finish`; `started`
    /// counts the steps begun.
    struct Timed {
        first_step: Duration,
        fail: bool,
        finish: Duration,
        started: Arc<AtomicU64>,
    }

    impl Workload for Timed {
        type Setup = ();
        type Step = u64;
        type Cleanup = WipeReport;
        fn setup(&self) {}
        fn step(&mut self) -> Result<u64, WorkError> {
            if self.started.fetch_add(1, Ordering::SeqCst) == 0 {
                std::thread::sleep(self.first_step);
            }
            if self.fail {
                return Err(WorkError::new("boom", Blame::Gpu));
            }
            std::thread::sleep(Duration::from_millis(10));
            Ok(1)
        }
        fn verified(step: &u64) -> u64 {
            *step
        }
        fn finish(&mut self) -> Result<WipeReport, WorkError> {
            std::thread::sleep(self.finish);
            Ok(CLEAN)
        }
    }

    const CLEAN: WipeReport = WipeReport {
        buffers: 3,
        bytes: 3 << 20,
        verified: true,
        nonzero_words: 0,
    };

    fn options() -> Options {
        Options {
            duration: Duration::from_secs(10),
            max_steps: None,
            setup_timeout: Duration::from_secs(2),
            step_timeout: Duration::from_millis(200),
            sample_every: None,
            watch_xids: false,
            progress_every: Duration::from_secs(60),
        }
    }

    static NO_STOP: AtomicBool = AtomicBool::new(false);

    fn run_timed(w: Timed) -> crate::harness::RunResult<Timed> {
        let w = std::sync::Mutex::new(Some(w));
        run(
            &[Target {
                nvml_index: None,
                cuda_ordinal: Ok(0),
            }],
            None,
            &options(),
            &NO_STOP,
            move |_| {
                w.lock()
                    .ok()
                    .and_then(|mut w| w.take())
                    .ok_or_else(|| WorkError::new("started twice", Blame::Tool))
            },
            &mut |_, _| {},
        )
    }

    #[test]
    fn a_hung_worker_is_cancelled_and_starts_no_further_step() {
        let started = Arc::new(AtomicU64::new(0));
        let r = run_timed(Timed {
            first_step: Duration::from_millis(800),
            fail: false,
            finish: Duration::ZERO,
            started: started.clone(),
        });
        let hung = &r.runs[0];
        assert!(matches!(hung.failure, Some(Failure::Hung { .. })));
        // Its step answers later: the worker must not go on sweeping.
        std::thread::sleep(Duration::from_millis(1200));
        assert_eq!(started.load(Ordering::SeqCst), 1, "steps after the hang");
        // Its memory was held and never reported wiped: FAIL, not SKIP.
        let w = wipe_check("memory_wipe", hung);
        assert_eq!(w.status, CheckStatus::Fail, "{w:?}");
        assert!(w.message.contains("never reported"), "{}", w.message);
    }

    #[test]
    fn a_hang_after_a_failure_keeps_the_first_failure() {
        let t = Instant::now();
        let r = run_timed(Timed {
            first_step: Duration::ZERO,
            fail: true,
            finish: Duration::from_secs(3),
            started: Arc::new(AtomicU64::new(0)),
        });
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        let run = &r.runs[0];
        assert!(
            matches!(run.failure, Some(Failure::StepFailed(_))),
            "{:?}",
            run.failure
        );
        let c = completion_check("burn_ran", "batches", run, false);
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.message.contains("boom"), "{}", c.message);
    }

    fn with(
        started: bool,
        failure: Option<Failure>,
        cleanup: Option<Result<WipeReport, WorkError>>,
        interrupted: bool,
    ) -> GpuRun<Timed> {
        GpuRun {
            started: started.then(Instant::now),
            failure,
            cleanup,
            interrupted,
            ..GpuRun::default()
        }
    }

    #[test]
    fn one_wipe_verdict_for_every_clean_up() {
        let status = |r: &GpuRun<Timed>| wipe_check("memory_wipe", r).status;
        assert_eq!(
            status(&with(true, None, Some(Ok(CLEAN)), false)),
            CheckStatus::Pass
        );
        // A clean interruption that still wiped: WARN.
        assert_eq!(
            status(&with(true, None, Some(Ok(CLEAN)), true)),
            CheckStatus::Warn
        );
        let left = WipeReport {
            verified: false,
            nonzero_words: 5,
            ..CLEAN
        };
        assert_eq!(
            status(&with(true, None, Some(Ok(left)), false)),
            CheckStatus::Fail
        );
        let unread = WipeReport {
            verified: false,
            ..CLEAN
        };
        assert_eq!(
            status(&with(true, None, Some(Ok(unread)), false)),
            CheckStatus::Fail
        );
        let err = WorkError::new("wipe: verify failed", Blame::Gpu);
        assert_eq!(
            status(&with(true, None, Some(Err(err)), false)),
            CheckStatus::Fail
        );
        // Held and never reported: FAIL, interrupted or not.
        assert_eq!(status(&with(true, None, None, false)), CheckStatus::Fail);
        assert_eq!(status(&with(true, None, None, true)), CheckStatus::Fail);
        let hung = Failure::Hung {
            stage: "set-up",
            after: Duration::from_secs(1),
        };
        assert_eq!(
            status(&with(false, Some(hung), None, false)),
            CheckStatus::Fail
        );
        assert_eq!(
            status(&with(false, None, None, true)),
            CheckStatus::Interrupted
        );
        // Set-up failed and released what it had: nothing held.
        let failed = Failure::SetupFailed(WorkError::new("out of memory", Blame::Host));
        assert_eq!(
            status(&with(false, Some(failed), None, false)),
            CheckStatus::Skip
        );
    }

    #[test]
    fn a_gpu_cut_short_by_a_stop_is_interrupted_never_pass() {
        let mut run = with(true, None, Some(Ok(CLEAN)), true);
        run.verified = 10;
        run.steps = vec![10];
        let c = completion_check("burn_ran", "batches", &run, true);
        assert_eq!(c.status, CheckStatus::Interrupted, "{c:?}");
        // Finished before the stop: its own verdict stands.
        run.interrupted = false;
        let c = completion_check("burn_ran", "batches", &run, true);
        assert_eq!(c.status, CheckStatus::Pass, "{c:?}");
    }
}
