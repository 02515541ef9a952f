//! What `bench` may conclude beyond one GPU's own figures, as pure
//! functions: the comparison of a GPU with the run's other GPUs of its
//! model, what a baseline file may contain, and when a run may become one.
//! Nothing here touches a GPU or prints.

use super::bench_gate::{median, Baseline, BaselineGpu, Metric};
use super::Selected;
use crate::device::{QueryError, Telemetry};
use crate::report::{Check, CheckStatus, Outcome, Report};
use std::collections::BTreeMap;

/// A peer whose own repetitions spread wider than this (percent of its
/// median), or wider than twice `--tolerance` if that is more, is too
/// erratic to be a reference: its median says little about the model.
pub const PEER_SPREAD_MAX_PCT: f64 = 10.0;

/// The largest baseline median accepted, in the metric's unit (TFLOP/s,
/// GB/s, us): a million of any of them is no GPU's figure, and a huge
/// floor could never pass while a huge ceiling could never fail.
pub const BASELINE_MAX_VALUE: f64 = 1e6;

/// One GPU's figure for one metric: its median and its spread (percent).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    pub value: f64,
    pub spread_pct: f64,
}

/// The reference the run's other GPUs give one GPU for one metric.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerRef {
    /// The median of `peers` steady GPUs of the same model (not this one).
    Median { value: f64, peers: usize },
    /// No comparison: why (no other GPU of the model, or all too erratic).
    TooFew(String),
}

/// Spread beyond which a peer is not used ([`PEER_SPREAD_MAX_PCT`] or
/// twice the tolerance, whichever is wider).
pub fn peer_spread_limit(tolerance: f64) -> f64 {
    PEER_SPREAD_MAX_PCT.max(2.0 * tolerance * 100.0)
}

/// For each GPU (slot) and metric: the median of the *other* GPUs of the
/// same model whose own spread is within [`peer_spread_limit`]. The GPU
/// itself never counts (a slow GPU must not pull its own reference down),
/// nor does an erratic peer (it must not fail a steady GPU).
pub fn peer_references(
    models: &[&str],
    figures: &[BTreeMap<Metric, Figure>],
    tolerance: f64,
) -> Vec<BTreeMap<Metric, PeerRef>> {
    let spread_max = peer_spread_limit(tolerance);
    figures
        .iter()
        .enumerate()
        .map(|(me, mine)| {
            mine.keys()
                .map(|&metric| {
                    let others: Vec<Figure> = figures
                        .iter()
                        .enumerate()
                        .filter(|&(i, _)| i != me && models.get(i) == models.get(me))
                        .filter_map(|(_, f)| f.get(&metric).copied())
                        .collect();
                    let steady: Vec<f64> = others
                        .iter()
                        .filter(|f| f.spread_pct <= spread_max && f.value.is_finite())
                        .map(|f| f.value)
                        .collect();
                    let r = match median(&steady) {
                        Some(value) if value > 0.0 => PeerRef::Median {
                            value,
                            peers: steady.len(),
                        },
                        _ if others.is_empty() => {
                            PeerRef::TooFew("no other GPU of this model measured it".into())
                        }
                        _ => PeerRef::TooFew(format!(
                            "the {} other GPU(s) of this model spread more than {spread_max:.0}% \
                             over their repetitions: too erratic to judge by",
                            others.len()
                        )),
                    };
                    (metric, r)
                })
                .collect()
        })
        .collect()
}

/// `peer_comparison` for one GPU: PASS when every measured metric was
/// compared with steady peers of its model, SKIP (never PASS) naming the
/// metrics that could not be and why. None when nothing was measured.
pub fn peer_check(refs: &BTreeMap<Metric, PeerRef>) -> Option<Check> {
    const NAME: &str = "peer_comparison";
    if refs.is_empty() {
        return None;
    }
    let mut missing: Vec<String> = Vec::new();
    let mut most = 0;
    for (metric, r) in refs {
        match r {
            PeerRef::Median { peers, .. } => most = most.max(*peers),
            PeerRef::TooFew(why) => missing.push(format!("{}: {why}", metric.name())),
        }
    }
    Some(if missing.is_empty() {
        Check::new(
            NAME,
            CheckStatus::Pass,
            format!(
                "every metric compared with the median of up to {most} other GPU(s) of this model"
            ),
        )
        .value(most as u64, Some("GPUs"))
    } else {
        Check::new(
            NAME,
            CheckStatus::Skip,
            format!("not compared with other GPUs: {}", missing.join("; ")),
        )
    })
}

/// Checks a parsed baseline like any input: at least one GPU, each with
/// metrics, every metric name known and every median a positive finite
/// figure no larger than [`BASELINE_MAX_VALUE`]. The error names the GPU
/// entry and the key.
pub fn validate_baseline(b: &Baseline) -> Result<(), String> {
    if b.gpus.is_empty() {
        return Err("key 'gpus': no GPU entries, so it cannot judge any GPU".into());
    }
    for (k, g) in b.gpus.iter().enumerate() {
        let at = format!("gpus[{k}] ({})", g.uuid);
        if g.metrics.is_empty() {
            return Err(format!("{at}: key 'metrics' is empty"));
        }
        for (name, v) in &g.metrics {
            if name == crate::model::metric::RETIRED_LAUNCH_LATENCY {
                // A baseline from before the split: its figure was the
                // kernel spacing, under a name that no longer gates.
                return Err(format!(
                    "{at}: key 'metrics.{name}': {}; record a new baseline with --save-baseline",
                    crate::model::metric::RETIRED_WHY
                ));
            }
            if Metric::from_name(name).is_none() {
                return Err(format!(
                    "{at}: key 'metrics.{name}' is not a bench metric (known: {})",
                    super::bench_gate::metric_names()
                ));
            }
            if !(v.is_finite() && *v > 0.0 && *v <= BASELINE_MAX_VALUE) {
                return Err(format!(
                    "{at}: key 'metrics.{name}' is {v}: a median must be a positive finite \
                     figure up to {BASELINE_MAX_VALUE:e}"
                ));
            }
        }
    }
    Ok(())
}

/// Why this run may not be saved as a baseline, if it may not: only a run
/// that passed (every GPU measured and judged healthy) may set the bar
/// later runs are held to.
pub fn save_refusal(report: &Report) -> Option<String> {
    match report.outcome {
        Outcome::Pass => None,
        Outcome::Interrupted => Some("the run was interrupted".into()),
        _ => {
            let bad = report.failed_gpus();
            Some(if bad.is_empty() {
                "the run did not pass (warnings)".into()
            } else {
                format!("the run did not pass: {}", bad.join(", "))
            })
        }
    }
}

/// `bench_telemetry`: FAIL when NVML did not answer (a hung call) or lost
/// the GPU while it was measured: its clocks, power and throttling went
/// unjudged, and a GPU whose driver hangs is not healthy. None otherwise
/// (a reading the GPU does not support is no fault).
/// `newest` is the newest sample taken at all (a read that hung past the
/// call timeout answers with TimedOut readings, maybe after the work).
pub fn telemetry_check(samples: &[(f64, Telemetry)], newest: Option<&Telemetry>) -> Option<Check> {
    let all = samples.iter().map(|(_, t)| t).chain(newest);
    let hung = all.into_iter().find_map(|t| {
        [
            t.sm_clock_mhz.as_result().err(),
            t.memory_clock_mhz.as_result().err(),
            t.power_draw_w.as_result().err(),
            t.temperature_gpu_c.as_result().err(),
            t.clock_events.as_result().err(),
        ]
        .into_iter()
        .flatten()
        .find(|e| e.is_timeout() || matches!(e, QueryError::GpuLost))
        .cloned()
    })?;
    Some(
        Check::new(
            "bench_telemetry",
            CheckStatus::Fail,
            format!(
                "NVML did not answer while the GPU was measured ({hung}): its clocks, power \
                 and throttling went unjudged"
            ),
        )
        .remedy(crate::checks::remedy::TELEMETRY_HUNG),
    )
}

/// The medians of every GPU whose measurements all ran.
pub fn baseline_of(report: &Report, selected: &Selected) -> Baseline {
    Baseline {
        gpuctl_baseline: super::bench_gate::BASELINE_VERSION,
        gpuctl_version: env!("CARGO_PKG_VERSION").to_string(),
        host: report.host.clone(),
        timestamp: report.timestamp.clone(),
        driver_version: selected.inventory.driver.driver_version.clone(),
        gpus: report
            .gpus
            .iter()
            .filter(|g| {
                g.checks
                    .iter()
                    .flatten()
                    .any(|c| c.name == "bench_ran" && c.status == CheckStatus::Pass)
            })
            // A baseline entry is matched by UUID or model: one without
            // either could never be used.
            .filter_map(|g| {
                Some(BaselineGpu {
                    index: g.index,
                    uuid: g.uuid.clone()?,
                    name: g.name.clone()?,
                    metrics: g
                        .bench
                        .iter()
                        .flat_map(|b| &b.results)
                        .map(|r| (r.metric.clone(), r.value))
                        .collect(),
                })
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(value: f64, spread_pct: f64) -> Figure {
        Figure { value, spread_pct }
    }

    fn one(metric: Metric, f: Figure) -> BTreeMap<Metric, Figure> {
        BTreeMap::from([(metric, f)])
    }

    #[test]
    fn a_gpu_is_compared_with_the_others_not_itself() {
        let m = Metric::HbmCopy;
        let figs = [
            one(m, fig(3000.0, 1.0)),
            one(m, fig(2550.0, 1.0)),
            one(m, fig(3010.0, 1.0)),
        ];
        let refs = peer_references(&["H100"; 3], &figs, 0.05);
        assert_eq!(
            refs[1][&m],
            PeerRef::Median {
                value: 3005.0,
                peers: 2
            }
        );
        assert_eq!(
            refs[0][&m],
            PeerRef::Median {
                value: 2780.0,
                peers: 2
            }
        );
    }

    #[test]
    fn an_erratic_peer_is_no_reference_and_one_gpu_is_skip() {
        let m = Metric::H2d;
        // The old rule (median of both, 40.5) failed the steady GPU at 55
        // only when the erratic one read high; now it is not used at all.
        let figs = [one(m, fig(55.0, 1.0)), one(m, fig(80.0, 60.0))];
        let refs = peer_references(&["H100"; 2], &figs, 0.05);
        assert!(matches!(&refs[0][&m], PeerRef::TooFew(w) if w.contains("erratic")));
        // The erratic GPU itself is still judged by its steady peer.
        assert_eq!(
            refs[1][&m],
            PeerRef::Median {
                value: 55.0,
                peers: 1
            }
        );
        let c = peer_check(&refs[0]).unwrap();
        assert_eq!(c.status, CheckStatus::Skip, "{c:?}");
        let single = peer_references(&["H100"], &[one(m, fig(55.0, 1.0))], 0.05);
        let c = peer_check(&single[0]).unwrap();
        assert_eq!(c.status, CheckStatus::Skip, "{c:?}");
        assert!(c.message.contains("no other GPU"), "{}", c.message);
        let pair = peer_references(
            &["H100"; 2],
            &[one(m, fig(55.0, 1.0)), one(m, fig(55.0, 1.0))],
            0.05,
        );
        assert_eq!(peer_check(&pair[0]).unwrap().status, CheckStatus::Pass);
        assert!(peer_check(&BTreeMap::new()).is_none());
    }

    #[test]
    fn other_models_are_not_peers() {
        let m = Metric::HbmRead;
        let figs = [one(m, fig(3000.0, 1.0)), one(m, fig(4000.0, 1.0))];
        let refs = peer_references(&["H100", "H200"], &figs, 0.05);
        assert!(matches!(refs[0][&m], PeerRef::TooFew(_)));
    }

    fn baseline(metrics: &[(&str, f64)]) -> Baseline {
        Baseline {
            gpuctl_baseline: 1,
            gpuctl_version: "0".into(),
            host: None,
            timestamp: "t".into(),
            driver_version: None,
            gpus: vec![BaselineGpu {
                index: 0,
                uuid: "GPU-x".into(),
                name: "H100".into(),
                metrics: metrics.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            }],
        }
    }

    #[test]
    fn a_baseline_that_could_never_fail_is_refused() {
        assert_eq!(
            validate_baseline(&baseline(&[("hbm_copy", 3000.0)])),
            Ok(())
        );
        for (key, v) in [
            ("hbm_copy", 0.0),
            ("hbm_copy", -5.0),
            ("hbm_copy", f64::INFINITY),
            ("kernel_spacing_us", 1e300),
            ("launch_latency", 1.0),
            ("hbm_kopy", 3000.0),
        ] {
            let e = validate_baseline(&baseline(&[(key, v)])).unwrap_err();
            assert!(e.contains(&format!("metrics.{key}")), "{e}");
            assert!(e.contains("gpus[0]"), "{e}");
        }
        assert!(validate_baseline(&baseline(&[])).is_err());
        let mut empty = baseline(&[]);
        empty.gpus.clear();
        assert!(validate_baseline(&empty).unwrap_err().contains("gpus"));
    }

    #[test]
    fn only_a_passing_run_may_become_a_baseline() {
        let mut r = Report::new("bench");
        r.outcome = Outcome::Pass;
        assert_eq!(save_refusal(&r), None);
        for o in [Outcome::Fail, Outcome::Warn, Outcome::Interrupted] {
            r.outcome = o;
            assert!(save_refusal(&r).is_some(), "{o:?}");
        }
    }

    #[test]
    fn a_hung_telemetry_read_fails_and_unsupported_does_not() {
        let mut t = Telemetry::default();
        assert!(telemetry_check(&[(0.0, t.clone())], Some(&t)).is_none());
        t.sm_clock_mhz = crate::device::Reading::err(QueryError::NotSupported);
        assert!(telemetry_check(&[(0.0, t.clone())], Some(&t)).is_none());
        assert!(telemetry_check(&[], None).is_none());
        t.power_draw_w = crate::device::Reading::err(QueryError::TimedOut {
            call: "telemetry".into(),
            after_ms: 300,
        });
        let c = telemetry_check(&[], Some(&t)).unwrap();
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.message.contains("telemetry"), "{}", c.message);
    }
}
