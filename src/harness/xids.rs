//! The one XID watch, for every command that watches: `health`, `burn`,
//! `memtest` (through [`super::run`]) and `monitor`.
//!
//! It runs NVML's event watch on a thread of its own and keeps what it saw
//! in an [`XidLog`], so nothing is lost: [`XidWatch::finish`] returns every
//! event seen plus any error (a failed watch is never read as "no XIDs";
//! `checks::xid::verdict` makes it an unverified SKIP). `monitor` re-arms
//! the watch window after window and reads the events as they come
//! ([`XidWatch::take_events`]) and whether it still watches each GPU
//! ([`XidWatch::failure`]).

use crate::device::{NvmlApi, QueryError, XidEvent, XidLog, XidSeen, XID_POLL_SHORT};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// How long [`XidWatch::finish`] waits for the watch to answer its stop.
const ANSWER_WITHIN: Duration = Duration::from_secs(1);
/// A command's watch is one driver watch for the whole run.
const WHOLE_RUN: Duration = Duration::from_secs(7 * 24 * 3600);

/// A running XID watch.
pub struct XidWatch {
    log: XidLog,
    stop: Arc<AtomicBool>,
    done: mpsc::Receiver<()>,
}

impl XidWatch {
    /// Watches the GPUs at these NVML indices until [`XidWatch::finish`].
    pub fn start(api: Arc<dyn NvmlApi>, indices: Vec<u32>) -> Self {
        let log = XidLog::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, done) = mpsc::channel();
        let (writer, flag) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            super::report_panics_here();
            if let Err(e) = watch_once(&*api, &indices, WHOLE_RUN, XID_POLL_SHORT, &flag, &writer) {
                writer.failed(e);
            }
            let _ = tx.send(());
        });
        Self { log, stop, done }
    }

    /// Watches in windows of `window`, re-armed until `stop` is set (the
    /// process's stop signal): `monitor`. A window that fails is retried
    /// after `retry`; "not supported" is final. Each window's failures
    /// replace the last ones, so [`XidWatch::failure`] tells the state now.
    pub fn start_rearmed(
        api: Arc<dyn NvmlApi>,
        indices: Vec<u32>,
        window: Duration,
        retry: Duration,
        stop: &'static AtomicBool,
    ) -> Self {
        let log = XidLog::default();
        let (tx, done) = mpsc::channel();
        let writer = log.clone();
        std::thread::spawn(move || {
            super::report_panics_here();
            while !stop.load(Ordering::Relaxed) {
                let this = XidLog::default();
                let result = watch_once(&*api, &indices, window, window, stop, &this);
                let mut seen = this.snapshot();
                if let Err(e) = result {
                    seen.error.get_or_insert(e);
                }
                for e in seen.events.drain(..) {
                    writer.push(e);
                }
                writer.replace_failures(&seen);
                match &seen.error {
                    None => {}
                    Some(QueryError::NotSupported) => break,
                    Some(_) => sleep_unless_stopped(retry, stop),
                }
            }
            let _ = tx.send(());
        });
        Self {
            log,
            stop: Arc::new(AtomicBool::new(false)),
            done,
        }
    }

    /// Stops the watch and returns everything it saw. A watch that does not
    /// answer within a second is abandoned with an error; the events it
    /// saw until then are kept.
    pub fn finish(self) -> XidSeen {
        self.stop.store(true, Ordering::Relaxed);
        if self.done.recv_timeout(ANSWER_WITHIN).is_err() {
            self.log.failed(QueryError::Failed(
                "the XID watch did not answer when stopped".into(),
            ));
        }
        self.log.snapshot()
    }

    /// The events seen since the last call (monitor).
    pub fn take_events(&self) -> Vec<XidEvent> {
        self.log.take_events()
    }

    /// Why the GPU at this NVML index is not watched now; `None` while it
    /// is (monitor).
    pub fn failure(&self, index: u32) -> Option<QueryError> {
        let seen = self.log.snapshot();
        seen.unwatched.get(&index).cloned().or(seen.error)
    }
}

/// One driver watch, a panic inside it made an error.
fn watch_once(
    api: &dyn NvmlApi,
    indices: &[u32],
    window: Duration,
    poll: Duration,
    stop: &AtomicBool,
    log: &XidLog,
) -> Result<(), QueryError> {
    catch_unwind(AssertUnwindSafe(|| {
        api.watch_xids(indices, window, poll, stop, log)
    }))
    .unwrap_or_else(|p| {
        Err(QueryError::Failed(format!(
            "XID watch crashed: {}",
            super::panic_text(&p)
        )))
    })
}

fn sleep_unless_stopped(time: Duration, stop: &AtomicBool) {
    let until = std::time::Instant::now() + time;
    while std::time::Instant::now() < until && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
}
