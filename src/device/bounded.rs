//! Every driver call bounded by a deadline, so a hung GPU or driver is
//! reported as such instead of hanging the command.
//!
//! [`BoundedNvml`] and [`BoundedCuda`] wrap the real or simulated libraries
//! (installed once, in `Backend`). Each call runs on a worker thread; the
//! caller waits at most the call timeout (`--call-timeout`) and otherwise
//! gets `QueryError::TimedOut` naming the call. A call stuck inside the
//! driver cannot be cancelled: its thread is abandoned, and `main` ends the
//! process with `_exit`, which does not wait for it.
//!
//! Once a call on a GPU has hung, later calls on that GPU fail at once with
//! the same error (a wedged GPU does not answer the next call either, and
//! waiting again per reading would multiply the delay); a hung library-wide
//! call does the same for every call. A stop request (first Ctrl-C) ends
//! every wait at once, so a hang never delays the exit.
//!
//! `p2p_link` is bounded like any NVML call; the peer work (a workload
//! on two opened contexts) is bounded per pair by
//! `p2p`'s `--timeout` as the self-test and burn are by theirs.
//! A long-running command (`monitor`) calls [`retry_after_late_answers`]
//! first: then a GPU whose hung call has since answered is called again
//! (one more timeout if it hangs again), so a driver stall of a few seconds
//! does not mark the GPU down until gpuctl restarts. Calls that never answer
//! keep failing at once, so a wedged GPU still holds one thread, not one per
//! interval.
//!
//! `watch_xids` is long by design: its window is not bounded, only the time
//! it takes to answer once the window ends or the caller asks it to stop.

use super::types::*;
use super::{CudaApi, NvmlApi, XidLog};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default bound on one driver call (`--call-timeout`).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a waiting caller looks at the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// The longest the XID watch's waiter sleeps between looks at the stop flag.
const MAX_WATCH_SLICE: Duration = Duration::from_millis(500);

/// After a stop request, how long a call may still take to answer.
const STOP_GRACE: Duration = Duration::from_millis(300);

/// Whether guards made from now on forget a hang once its call answers.
static RETRY_AFTER_LATE_ANSWER: AtomicBool = AtomicBool::new(false);

/// From now on, a GPU (or library) whose hung call has since answered is
/// called again instead of failing at once. For commands that run for days,
/// where "hung once" must not mean "down until restart"; short commands
/// keep the one-timeout-per-GPU rule. Call it before opening the backend.
pub fn retry_after_late_answers() {
    RETRY_AFTER_LATE_ANSWER.store(true, Ordering::Relaxed);
}

/// A call that hung: its error, and whether it has answered since.
struct HungCall {
    error: QueryError,
    answered: Arc<AtomicBool>,
}

/// Where calls that hung are remembered.
#[derive(Default)]
struct Hung {
    library: Option<HungCall>,
    gpus: HashMap<u32, HungCall>,
}

/// The deadline and the memory of what hung, shared by one library's calls.
struct Guard {
    timeout: Duration,
    hung: Mutex<Hung>,
    stop: &'static AtomicBool,
    /// Forget a hang once its call answers ([`retry_after_late_answers`]).
    retry_after_answer: bool,
}

impl Guard {
    fn new(timeout: Duration) -> Self {
        Self::with_retry(timeout, RETRY_AFTER_LATE_ANSWER.load(Ordering::Relaxed))
    }

    fn with_retry(timeout: Duration, retry_after_answer: bool) -> Self {
        Self {
            timeout,
            hung: Mutex::new(Hung::default()),
            stop: crate::signal::stop_flag(),
            retry_after_answer,
        }
    }

    fn known_hang(&self, gpu: Option<u32>) -> Option<QueryError> {
        // A poisoned lock only means another caller panicked mid-update; the
        // map is still usable.
        let mut hung = self.hung.lock().unwrap_or_else(|p| p.into_inner());
        if self.retry_after_answer {
            let answered = |h: &HungCall| h.answered.load(Ordering::Relaxed);
            if hung.library.as_ref().is_some_and(answered) {
                hung.library = None;
            }
            hung.gpus.retain(|_, h| !answered(h));
        }
        hung.library
            .as_ref()
            .or_else(|| gpu.and_then(|g| hung.gpus.get(&g)))
            .map(|h| h.error.clone())
    }

    fn remember(&self, gpu: Option<u32>, error: &QueryError, answered: Arc<AtomicBool>) {
        let mut hung = self.hung.lock().unwrap_or_else(|p| p.into_inner());
        let call = || HungCall {
            error: error.clone(),
            answered,
        };
        match gpu {
            Some(g) => {
                hung.gpus.entry(g).or_insert_with(call);
            }
            None => {
                hung.library.get_or_insert_with(call);
            }
        }
    }

    /// Runs `f` on a worker thread and waits for it at most `extra` plus the
    /// call timeout. `gpu` is the NVML index the call concerns (None for a
    /// library-wide call).
    fn call<T: Send + 'static>(
        &self,
        gpu: Option<u32>,
        call: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, QueryError> {
        if let Some(e) = self.known_hang(gpu) {
            return Err(e);
        }
        let (tx, rx) = mpsc::channel();
        let answered = Arc::new(AtomicBool::new(false));
        let done = answered.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("gpuctl-{call}"))
            .spawn(move || {
                // A panic drops `tx`: the caller reports the call as panicked.
                crate::panics::report_panics_here();
                let value = f();
                done.store(true, Ordering::Relaxed);
                let _ = tx.send(value);
            });
        if let Err(e) = spawned {
            return Err(QueryError::Failed(format!(
                "cannot start a thread for `{call}`: {e}"
            )));
        }
        let started = Instant::now();
        let mut deadline = started + self.timeout;
        let mut stopping = false;
        loop {
            let now = Instant::now();
            if !stopping && self.stop.load(Ordering::Relaxed) {
                // A stop was asked: a driver that answers still answers in
                // time; one that does not must not hold up the exit.
                stopping = true;
                deadline = deadline.min(now + STOP_GRACE);
            }
            if now >= deadline {
                if stopping {
                    return Err(QueryError::Interrupted);
                }
                let error = timed_out(call, started.elapsed().min(self.timeout));
                self.remember(gpu, &error, answered);
                return Err(error);
            }
            match rx.recv_timeout(POLL.min(deadline - now)) {
                Ok(value) => return Ok(value),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(QueryError::Failed(format!("driver call `{call}` panicked")))
                }
            }
        }
    }
}

fn timed_out(call: &str, after: Duration) -> QueryError {
    QueryError::TimedOut {
        call: call.to_string(),
        after_ms: after.as_millis().min(u128::from(u64::MAX)) as u64,
    }
}

/// Opens a library on a worker thread within `timeout`: `nvmlInit` and
/// `cuInit` are driver calls too, and the first to hang on a wedged GPU.
pub fn open<T: Send + 'static>(
    what: &str,
    timeout: Duration,
    open: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    Guard::new(timeout)
        .call(None, "init", open)
        .unwrap_or_else(|e| Err(format!("{what} did not initialise: {e}")))
}

/// NVML with every call bounded.
pub struct BoundedNvml {
    inner: Arc<dyn NvmlApi>,
    guard: Guard,
}

impl BoundedNvml {
    pub fn new(inner: Arc<dyn NvmlApi>, timeout: Duration) -> Self {
        Self {
            inner,
            guard: Guard::new(timeout),
        }
    }

    fn gpu<T: Send + 'static>(
        &self,
        index: u32,
        call: &str,
        f: impl FnOnce(&dyn NvmlApi) -> T + Send + 'static,
    ) -> Result<T, QueryError> {
        let inner = self.inner.clone();
        self.guard
            .call(Some(index), call, move || f(inner.as_ref()))
    }

    fn library<T: Send + 'static>(
        &self,
        call: &str,
        f: impl FnOnce(&dyn NvmlApi) -> T + Send + 'static,
    ) -> Result<T, QueryError> {
        let inner = self.inner.clone();
        self.guard.call(None, call, move || f(inner.as_ref()))
    }
}

impl NvmlApi for BoundedNvml {
    fn driver_version(&self) -> Result<String, QueryError> {
        self.library("driver_version", |n| n.driver_version())?
    }

    fn cuda_driver_version(&self) -> Result<i32, QueryError> {
        self.library("cuda_driver_version", |n| n.cuda_driver_version())?
    }

    fn device_count(&self) -> Result<u32, QueryError> {
        self.library("device_count", |n| n.device_count())?
    }

    fn identity(&self, index: u32) -> Result<NvmlIdentity, QueryError> {
        self.gpu(index, "identity", move |n| n.identity(index))?
    }

    fn details(&self, index: u32) -> NvmlDetails {
        self.gpu(index, "details", move |n| n.details(index))
            .unwrap_or_else(details_error)
    }

    fn temperature_thresholds(&self, index: u32) -> TemperatureThresholds {
        self.gpu(index, "temperature_thresholds", move |n| {
            n.temperature_thresholds(index)
        })
        .unwrap_or_else(thresholds_error)
    }

    fn telemetry(&self, index: u32) -> Telemetry {
        self.gpu(index, "telemetry", move |n| n.telemetry(index))
            .unwrap_or_else(telemetry_error)
    }

    fn temperature_gpu(&self, index: u32) -> Reading<u32> {
        self.gpu(index, "temperature_gpu", move |n| n.temperature_gpu(index))
            .unwrap_or_else(Reading::err)
    }

    fn probe_readings(&self, index: u32) -> ProbeReadings {
        self.gpu(index, "probe_readings", move |n| n.probe_readings(index))
            .unwrap_or_else(|e| ProbeReadings::error(&e))
    }

    fn slowdown_threshold(&self, index: u32) -> Reading<u32> {
        self.gpu(index, "slowdown_threshold", move |n| {
            n.slowdown_threshold(index)
        })
        .unwrap_or_else(Reading::err)
    }

    fn error_counters(&self, index: u32) -> ErrorCounters {
        self.gpu(index, "error_counters", move |n| n.error_counters(index))
            .unwrap_or_else(counters_error)
    }

    fn monitor_readings(&self, index: u32) -> super::monitor::MonitorReadings {
        self.gpu(index, "monitor_readings", move |n| {
            n.monitor_readings(index)
        })
        .unwrap_or_else(|e| super::monitor::MonitorReadings::failed(&e))
    }

    fn energy_mj(&self, index: u32) -> Reading<u64> {
        self.gpu(index, "energy_mj", move |n| n.energy_mj(index))
            .unwrap_or_else(Reading::err)
    }

    fn nvlinks(&self, index: u32) -> Reading<Vec<NvLinkStatus>> {
        self.gpu(index, "nvlinks", move |n| n.nvlinks(index))
            .unwrap_or_else(Reading::err)
    }

    fn lost_pci_bus_id(&self, index: u32) -> Option<String> {
        self.gpu(index, "lost_pci_bus_id", move |n| n.lost_pci_bus_id(index))
            .ok()
            .flatten()
    }

    fn compute_processes(&self, index: u32) -> Reading<Vec<GpuProcess>> {
        self.gpu(index, "compute_processes", move |n| {
            n.compute_processes(index)
        })
        .unwrap_or_else(Reading::err)
    }

    fn board_identity(&self, index: u32) -> super::types::BoardIdentity {
        self.gpu(index, "board_identity", move |n| n.board_identity(index))
            .unwrap_or_else(super::types::BoardIdentity::unreadable)
    }

    fn fabric_info(&self, index: u32) -> Reading<super::types::FabricInfo> {
        self.gpu(index, "fabric_info", move |n| n.fabric_info(index))
            .unwrap_or_else(Reading::err)
    }

    fn p2p_link(&self, a: u32, b: u32) -> Result<super::p2p::PairLink, QueryError> {
        // Bounded as a call on `a`; a GPU already known hung on either end
        // answers at once instead of costing another timeout.
        if let Some(e) = self.guard.known_hang(Some(b)) {
            return Err(e);
        }
        self.gpu(a, "p2p_link", move |n| n.p2p_link(a, b))?
    }

    fn watch_xids(
        &self,
        indices: &[u32],
        window: Duration,
        poll: Duration,
        stop: &AtomicBool,
        log: &XidLog,
    ) -> Result<(), QueryError> {
        if let Some(e) = self.guard.known_hang(None) {
            return Err(e);
        }
        // The worker gets its own flag (it must outlive this call), mirrored
        // from the caller's while we wait.
        let inner_stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        // The worker writes into the caller's log: what it saw stays there
        // even if it is abandoned as hung.
        let (inner, flag, ids, log) = (
            self.inner.clone(),
            inner_stop.clone(),
            indices.to_vec(),
            log.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("gpuctl-watch_xids".into())
            .spawn(move || {
                crate::panics::report_panics_here();
                let _ = tx.send(inner.watch_xids(&ids, window, poll, &flag, &log));
            });
        if let Err(e) = spawned {
            return Err(QueryError::Failed(format!(
                "cannot start the XID watch thread: {e}"
            )));
        }
        let started = Instant::now();
        // The answer is due one call timeout after the window ends or a
        // stop is asked, whichever comes first.
        let mut due = started.checked_add(window).map(|t| t + self.guard.timeout);
        loop {
            let asked = stop.load(Ordering::Relaxed) || self.guard.stop.load(Ordering::Relaxed);
            if asked && !inner_stop.swap(true, Ordering::Relaxed) {
                let by = Instant::now() + self.guard.timeout;
                due = Some(due.map_or(by, |d| d.min(by)));
            }
            let signalled = self.guard.stop.load(Ordering::Relaxed);
            if signalled {
                // Ctrl-C: wait on the driver no longer than the grace.
                let by = Instant::now() + STOP_GRACE;
                due = Some(due.map_or(by, |d| d.min(by)));
            }
            let now = Instant::now();
            if due.is_some_and(|d| now >= d) {
                return Err(if signalled {
                    QueryError::Interrupted
                } else {
                    timed_out("watch_xids", self.guard.timeout)
                });
            }
            // A long driver wait (`poll`) is matched here: waking more often
            // than the driver answers would only burn CPU. A stop is still
            // seen within `poll`, well inside the 2 s a Ctrl-C may take.
            let slice = POLL.max(poll.min(MAX_WATCH_SLICE));
            let wait = due.map_or(slice, |d| slice.min(d - now));
            match rx.recv_timeout(wait) {
                Ok(result) => return result,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(QueryError::Failed("the XID watch panicked".into()))
                }
            }
        }
    }
}

/// CUDA with its quick, library-wide calls bounded. The self-test, the
/// burn and the memory test are long by design and bounded by their callers
/// (`--compute-timeout`, probe's `--timeout`, the harness's deadlines).
pub struct BoundedCuda {
    inner: Arc<dyn CudaApi>,
    guard: Guard,
}

impl BoundedCuda {
    pub fn new(inner: Arc<dyn CudaApi>, timeout: Duration) -> Self {
        Self {
            inner,
            guard: Guard::new(timeout),
        }
    }
}

impl CudaApi for BoundedCuda {
    fn driver_version(&self) -> Result<i32, QueryError> {
        let inner = self.inner.clone();
        self.guard
            .call(None, "cuDriverGetVersion", move || inner.driver_version())?
    }

    fn devices(&self) -> Result<Vec<CudaDevice>, QueryError> {
        let inner = self.inner.clone();
        self.guard
            .call(None, "cuDeviceGet (enumeration)", move || inner.devices())?
    }

    // Not bounded here, like open: health calls it on the harness's
    // per-GPU thread, under its set-up deadline.
    fn hold_context(&self, ordinal: u32) -> Result<super::ContextHold, QueryError> {
        self.inner.hold_context(ordinal)
    }

    // Not bounded here, like open: workloads open their context on
    // the harness's per-GPU thread, under its set-up deadline, and every
    // later call under its step deadline.
    fn open(&self, ordinal: u32) -> Result<Box<dyn super::compute::Context>, QueryError> {
        self.inner.open(ordinal)
    }

    fn cublaslt_available(&self) -> Result<(), String> {
        self.inner.cublaslt_available()
    }
}

fn err<T>(e: &QueryError) -> Reading<T> {
    Reading::err(e.clone())
}

pub(super) fn details_error(e: QueryError) -> NvmlDetails {
    NvmlDetails {
        serial: err(&e),
        memory: err(&e),
        compute_capability: err(&e),
        persistence_mode: err(&e),
        compute_mode: err(&e),
        mig_mode: err(&e),
        mig_instances: err(&e),
        power_limits: err(&e),
        temperature_thresholds: thresholds_error(e.clone()),
        pcie_current: err(&e),
        pcie_max: err(&e),
        architecture: err(&e),
    }
}

pub(super) fn thresholds_error(e: QueryError) -> TemperatureThresholds {
    TemperatureThresholds {
        slowdown_c: Reading::err(e.clone()),
        shutdown_c: Reading::err(e.clone()),
        gpu_max_c: Reading::err(e.clone()),
        memory_max_c: Reading::err(e),
    }
}

pub(super) fn telemetry_error(e: QueryError) -> Telemetry {
    Telemetry {
        temperature_gpu_c: err(&e),
        temperature_memory_c: err(&e),
        power_draw_w: err(&e),
        power_source: PowerSource::Average,
        sm_clock_mhz: err(&e),
        memory_clock_mhz: err(&e),
        clock_events: err(&e),
        utilization_gpu_pct: err(&e),
        memory_used_bytes: err(&e),
        pcie_current: err(&e),
    }
}

pub(super) fn counters_error(e: QueryError) -> ErrorCounters {
    ErrorCounters {
        ecc_enabled: err(&e),
        ecc_volatile: err(&e),
        ecc_aggregate: err(&e),
        row_remap: err(&e),
        retired_pages: err(&e),
        pcie_replay_count: err(&e),
        nvlinks: err(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_that_answers_in_time_returns_its_value() {
        let guard = Guard::new(Duration::from_secs(5));
        assert_eq!(guard.call(Some(0), "x", || 7), Ok(7));
    }

    #[test]
    fn a_hung_call_times_out_and_its_gpu_then_fails_at_once() {
        let guard = Guard::new(Duration::from_millis(50));
        let started = Instant::now();
        let r = guard.call(Some(1), "details", || {
            std::thread::sleep(Duration::from_secs(5));
        });
        assert!(
            matches!(&r, Err(QueryError::TimedOut { call, after_ms: 50 }) if call == "details"),
            "{r:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        // Same GPU: no second wait; other GPUs still answer.
        let again = Instant::now();
        assert!(guard.call(Some(1), "telemetry", || 1).is_err());
        assert!(again.elapsed() < Duration::from_millis(40));
        assert_eq!(guard.call(Some(2), "telemetry", || 1), Ok(1));
    }

    #[test]
    fn a_hang_is_forgotten_once_its_call_answers_only_when_asked() {
        for retry in [false, true] {
            let guard = Guard::with_retry(Duration::from_millis(30), retry);
            let r = guard.call(Some(0), "telemetry", || {
                std::thread::sleep(Duration::from_millis(150));
            });
            assert!(matches!(r, Err(QueryError::TimedOut { .. })), "{r:?}");
            // Still stuck in the driver: fails at once either way.
            assert!(guard.call(Some(0), "telemetry", || 1).is_err());
            std::thread::sleep(Duration::from_millis(300));
            // It answered late: a long-running caller may ask again.
            let again = guard.call(Some(0), "telemetry", || 1);
            if retry {
                assert_eq!(again, Ok(1));
            } else {
                assert!(again.is_err(), "{again:?}");
            }
        }
    }

    #[test]
    fn a_hung_library_call_fails_every_later_call() {
        let guard = Guard::new(Duration::from_millis(30));
        let r = guard.call(None, "device_count", || {
            std::thread::sleep(Duration::from_secs(5));
        });
        assert!(r.is_err());
        assert!(guard.call(Some(0), "identity", || 1).is_err());
    }

    #[test]
    fn a_hung_open_says_which_library() {
        let r: Result<(), String> = open("NVML", Duration::from_millis(30), || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert!(
            matches!(&r, Err(m) if m.starts_with("NVML did not initialise")),
            "{r:?}"
        );
    }
}
