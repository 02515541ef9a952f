//! The harness's unit tests: scripted workloads that pass, fail, panic,
//! hang and get stopped.

use super::*;
use crate::report::CheckStatus;

/// A scripted workload: each step returns the next entry.
struct Script {
    steps: Vec<Result<u64, &'static str>>,
    at: usize,
    delay: Duration,
}

impl Workload for Script {
    type Setup = ();
    type Step = u64;
    type Cleanup = ();
    fn setup(&self) {}
    fn finish(&mut self) -> Result<(), WorkError> {
        Ok(())
    }
    fn step(&mut self) -> Result<u64, WorkError> {
        std::thread::sleep(self.delay);
        let next = self.steps.get(self.at).cloned().unwrap_or(Ok(1));
        self.at += 1;
        match next {
            Ok(n) => Ok(n),
            Err("panic") => panic!("scripted panic"),
            Err(e) => Err(WorkError::new(e, Blame::Gpu)),
        }
    }
    fn verified(step: &u64) -> u64 {
        *step
    }
}

fn options(duration_ms: u64) -> Options {
    Options {
        duration: Duration::from_millis(duration_ms),
        max_steps: None,
        setup_timeout: Duration::from_secs(2),
        step_timeout: Duration::from_millis(500),
        sample_every: None,
        watch_xids: false,
        progress_every: Duration::from_secs(60),
    }
}

fn target() -> Target {
    Target {
        nvml_index: None,
        cuda_ordinal: Ok(0),
    }
}

static NO_STOP: AtomicBool = AtomicBool::new(false);

fn run_script(
    steps: Vec<Result<u64, &'static str>>,
    delay: Duration,
    opts: Options,
) -> RunResult<Script> {
    let steps = Arc::new(steps);
    run(
        &[target()],
        None,
        &opts,
        &NO_STOP,
        move |_| {
            Ok(Script {
                steps: (*steps).clone(),
                at: 0,
                delay,
            })
        },
        &mut |_, _| {},
    )
}

#[test]
fn a_clean_run_verifies_and_passes() {
    let r = run_script(vec![], Duration::from_millis(5), options(50));
    let run = &r.runs[0];
    assert!(run.failure.is_none());
    assert!(run.verified >= 1);
    assert_eq!(run.cleanup, Some(Ok(())));
    assert_eq!(
        completion_check("x", "steps", run, false).status,
        CheckStatus::Pass
    );
}

#[test]
fn a_panicking_step_fails_the_gpu_and_does_not_hang() {
    let t = Instant::now();
    let r = run_script(vec![Err("panic")], Duration::ZERO, options(10_000));
    assert!(t.elapsed() < Duration::from_secs(3));
    let check = completion_check("x", "steps", &r.runs[0], false);
    assert_eq!(check.status, CheckStatus::Fail);
    assert!(check.message.contains("crashed"), "{}", check.message);
}

#[test]
fn a_panicking_setup_fails_the_gpu() {
    let r = run(
        &[target()],
        None,
        &options(100),
        &NO_STOP,
        |_| -> Result<Script, WorkError> { panic!("set-up bug") },
        &mut |_, _| {},
    );
    let check = completion_check("x", "steps", &r.runs[0], false);
    assert_eq!(check.status, CheckStatus::Fail);
    assert!(check.message.contains("set-up bug"));
}

#[test]
fn a_step_error_fails_with_its_message_and_remedy() {
    let r = run_script(vec![Ok(1), Err("boom")], Duration::ZERO, options(10_000));
    let check = completion_check("x", "steps", &r.runs[0], false);
    assert_eq!(check.status, CheckStatus::Fail);
    assert!(check.message.contains("boom"));
    assert!(check.remedy.unwrap_or_default().contains("reset"));
}

#[test]
fn a_hung_step_is_reported_within_its_deadline() {
    let t = Instant::now();
    let r = run_script(vec![], Duration::from_secs(30), options(100));
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let check = completion_check("x", "steps", &r.runs[0], false);
    assert_eq!(check.status, CheckStatus::Fail);
    assert!(check.message.contains("hung"), "{}", check.message);
}

#[test]
fn a_slow_setup_still_gets_its_full_duration() {
    // Set-up takes 300 ms, duration 100 ms: the work still runs.
    let r = run(
        &[target()],
        None,
        &options(100),
        &NO_STOP,
        |_| {
            std::thread::sleep(Duration::from_millis(300));
            Ok(Script {
                steps: vec![],
                at: 0,
                delay: Duration::from_millis(10),
            })
        },
        &mut |_, _| {},
    );
    assert!(r.runs[0].verified >= 5, "{}", r.runs[0].verified);
    assert_eq!(
        completion_check("x", "steps", &r.runs[0], false).status,
        CheckStatus::Pass
    );
}

#[test]
fn a_run_that_verified_nothing_fails() {
    let r = run_script(
        vec![Ok(0)],
        Duration::ZERO,
        Options {
            max_steps: Some(1),
            ..options(10)
        },
    );
    let check = completion_check("x", "steps", &r.runs[0], false);
    assert_eq!(check.status, CheckStatus::Fail);
    assert!(check.message.contains("verified"));
}

#[test]
fn an_unusable_gpu_fails_without_a_worker() {
    let r: RunResult<Script> = run(
        &[Target {
            nvml_index: None,
            cuda_ordinal: Err("MIG mode".into()),
        }],
        None,
        &options(10),
        &NO_STOP,
        |_| unreachable!("no worker for an unusable GPU"),
        &mut |_, _| {},
    );
    let check = completion_check("x", "steps", &r.runs[0], false);
    assert_eq!(check.status, CheckStatus::Fail);
    assert!(check.message.contains("MIG"));
}

#[test]
fn a_stop_returns_within_the_grace_even_with_a_hung_worker() {
    static STOP: AtomicBool = AtomicBool::new(false);
    let t = Instant::now();
    let r = run(
        &[target()],
        None,
        &Options {
            step_timeout: Duration::from_secs(60),
            ..options(60_000)
        },
        &STOP,
        |_| {
            STOP.store(true, Ordering::Relaxed);
            Ok(Script {
                steps: vec![],
                at: 0,
                delay: Duration::from_secs(30),
            })
        },
        &mut |_, _| {},
    );
    assert!(r.interrupted);
    assert!(
        t.elapsed() < Duration::from_millis(2000),
        "{:?}",
        t.elapsed()
    );
    assert_ne!(
        completion_check("x", "steps", &r.runs[0], true).status,
        CheckStatus::Pass
    );
}

#[test]
fn map_bounded_turns_panics_and_hangs_into_errors() {
    let stop = AtomicBool::new(false);
    let t = Instant::now();
    let out = map_bounded(vec![0u32, 1, 2], Duration::from_millis(300), &stop, |i| {
        match i {
            1 => panic!("reader bug"),
            2 => std::thread::sleep(Duration::from_secs(10)),
            _ => {}
        }
        i * 10
    });
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(out[0], Ok(0));
    assert!(out[1].as_ref().unwrap_err().contains("crashed"));
    assert!(out[2].as_ref().unwrap_err().contains("no answer"));
}
