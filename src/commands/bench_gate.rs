//! `bench`'s metrics and gates, as pure functions: metric names and units,
//! `--min`/`--max` values with units, the thresholds file, the built-in
//! expectations per GPU model, baselines, and the comparison of GPUs of one
//! model with each other. Nothing here touches a GPU or prints.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::model::dtype::Dtype;
pub use crate::model::metric::{
    metric_named, metric_names, parse_limit, parse_tests, parse_value, Kind, Metric, Regime,
};
pub use crate::model::stats::{median, round2};

/// A limit on a metric: a floor for rates, a ceiling for latency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub value: f64,
    /// True: the value must be at least `value`; false: at most.
    pub at_least: bool,
    pub source: Source,
}

/// Where a limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `--min`/`--max` on the command line.
    Option,
    /// The thresholds file.
    File,
    /// gpuctl's expectation for the GPU model.
    Builtin,
    /// `--baseline` less the tolerance.
    Baseline,
    /// The median of the run's GPUs of the same model less the tolerance.
    Peers,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Option => "--min/--max",
            Source::File => "thresholds file",
            Source::Builtin => "built-in expectation",
            Source::Baseline => "baseline",
            Source::Peers => "GPUs of this model",
        }
    }
}

/// A gate whose direction contradicts its metric (a floor on a latency, a
/// ceiling on a bandwidth or TFLOP/s) would pass a bad GPU and fail a good
/// one: refused, saying which direction the metric takes.
pub fn check_direction(metric: Metric, at_least: bool) -> Result<(), String> {
    match (metric.higher_is_better(), at_least) {
        (true, false) => Err(format!(
            "{} is better high, so its gate is a minimum (--min, [min]), not a maximum",
            metric.name()
        )),
        (false, true) => Err(format!(
            "{} is better low, so its gate is a maximum (--max, [max]), not a minimum",
            metric.name()
        )),
        _ => Ok(()),
    }
}

/// The thresholds file: `[min]` and `[max]` tables of metric = value
/// (a number in the metric's unit, or a string with a unit); an error
/// names the line, table and key.
pub fn parse_thresholds_file(text: &str) -> Result<BTreeMap<Metric, Limit>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        min: BTreeMap<String, toml::Spanned<toml::Value>>,
        #[serde(default)]
        max: BTreeMap<String, toml::Spanned<toml::Value>>,
    }
    let file: File = toml::from_str(text).map_err(|e| {
        format!(
            "{} (expected [min] and [max] tables of metric = value)",
            e.message()
        )
    })?;
    let mut out = BTreeMap::new();
    for (table, at_least, heading) in [(&file.min, true, "min"), (&file.max, false, "max")] {
        for (name, spanned) in table {
            let line = text[..spanned.span().start.min(text.len())]
                .matches('\n')
                .count()
                + 1;
            let at = |why: String| format!("line {line}: [{heading}] {name}: {why}");
            let metric = metric_named(name).map_err(at)?;
            check_direction(metric, at_least).map_err(at)?;
            let value = spanned.get_ref();
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                _ => {
                    return Err(at(
                        "expected a number or a string like \"700TFLOPS\"".to_string()
                    ))
                }
            };
            let v = parse_value(metric, &text).map_err(at)?;
            out.insert(
                metric,
                Limit {
                    value: v,
                    at_least,
                    source: Source::File,
                },
            );
        }
    }
    Ok(out)
}

/// Datasheet peaks of one GPU model: what the built-in expectations are a
/// share of. `None` where the datasheet gives no figure.
#[derive(Debug, Clone, Copy)]
pub struct Datasheet {
    pub model: &'static str,
    /// Dense tensor-core TFLOP/s: bf16/fp16, tf32, fp64; and SIMT fp32.
    pub bf16: f64,
    pub tf32: f64,
    pub fp64: Option<f64>,
    pub fp32: f64,
    /// Memory bandwidth, GB/s.
    pub memory: f64,
    /// Host link, GB/s per direction (PCIe gen x16 theoretical).
    pub host_link: f64,
}

/// Share of the datasheet figure a healthy GPU must reach. Measured on an
/// H100 SXM (ENGINEERING.md section 1): GEMM 78-82% of peak, HBM copy 90%,
/// pinned copies 86% of PCIe Gen5 x16; the shares leave a wide margin below
/// that so only a real fault (or a wrong part) fails.
pub const GEMM_SHARE: f64 = 0.60;
/// The sustained regime's share: the power cap takes 10-15% off the burst
/// figure on an SXM card (H200 bf16: 701 vs 786 TFLOP/s), more on a PCIe
/// card's lower cap.
pub const GEMM_SUSTAINED_SHARE: f64 = 0.55;
pub const MEMORY_SHARE: f64 = 0.70;
pub const HOST_LINK_SHARE: f64 = 0.70;

/// NVIDIA datasheets (dense, without sparsity): H100 SXM5 and PCIe, H200
/// SXM, A100 80GB SXM4 / 40GB, L40S. Matched on the NVML name, most
/// specific first.
pub const DATASHEETS: &[(&[&str], Datasheet)] = &[
    (
        &["H100", "PCIe"],
        Datasheet {
            model: "H100 PCIe",
            bf16: 756.0,
            tf32: 378.0,
            fp64: Some(51.0),
            fp32: 51.0,
            memory: 2000.0,
            host_link: 64.0,
        },
    ),
    (
        &["H100"],
        Datasheet {
            model: "H100 SXM",
            bf16: 989.0,
            tf32: 495.0,
            fp64: Some(67.0),
            fp32: 67.0,
            memory: 3350.0,
            host_link: 64.0,
        },
    ),
    (
        &["H200"],
        Datasheet {
            model: "H200 SXM",
            bf16: 989.0,
            tf32: 495.0,
            fp64: Some(67.0),
            fp32: 67.0,
            memory: 4800.0,
            host_link: 64.0,
        },
    ),
    (
        &["A100", "80GB"],
        Datasheet {
            model: "A100 80GB",
            bf16: 312.0,
            tf32: 156.0,
            fp64: Some(19.5),
            fp32: 19.5,
            memory: 1935.0,
            host_link: 32.0,
        },
    ),
    (
        &["A100"],
        Datasheet {
            model: "A100 40GB",
            bf16: 312.0,
            tf32: 156.0,
            fp64: Some(19.5),
            fp32: 19.5,
            memory: 1555.0,
            host_link: 32.0,
        },
    ),
    (
        &["L40S"],
        Datasheet {
            model: "L40S",
            bf16: 362.0,
            tf32: 183.0,
            fp64: None,
            fp32: 91.6,
            memory: 864.0,
            host_link: 32.0,
        },
    ),
];

/// The datasheet for an NVML name, if gpuctl knows the model.
pub fn datasheet(name: &str) -> Option<&'static Datasheet> {
    DATASHEETS
        .iter()
        .find(|(words, _)| words.iter().all(|w| name.contains(w)))
        .map(|(_, d)| d)
}

/// A built-in GEMM expectation: which dtypes, which regime it gates, and
/// the share of the datasheet peak it asks for. One per dtype: the regime
/// a fleet cares about for it.
#[derive(Debug, Clone, Copy)]
pub struct GemmExpectation {
    pub dtypes: &'static [Dtype],
    /// The figure it gates: `gemm_<dtype>` (burst) or
    /// `gemm_<dtype>_sustained`; the other regime's figure is not gated.
    pub regime: Regime,
    pub share: f64,
}

/// The tensor-core dtypes are gated sustained (what a training job gets
/// once the power cap binds); fp32 and fp64 burst (their sustained figures
/// are measured only when named).
pub const GEMM_EXPECTATIONS: [GemmExpectation; 2] = [
    GemmExpectation {
        dtypes: &[Dtype::Bf16, Dtype::Fp16, Dtype::Tf32],
        regime: Regime::Sustained,
        share: GEMM_SUSTAINED_SHARE,
    },
    GemmExpectation {
        dtypes: &[Dtype::Fp32, Dtype::Fp64],
        regime: Regime::Burst,
        share: GEMM_SHARE,
    },
];

/// The expectation that gates `metric`, if one does (a GEMM metric in the
/// regime its dtype's expectation declares).
pub fn gemm_expectation(metric: Metric) -> Option<&'static GemmExpectation> {
    let (dtype, regime) = metric.gemm_of()?;
    GEMM_EXPECTATIONS
        .iter()
        .find(|e| e.regime == regime && e.dtypes.contains(&dtype))
}

/// The built-in expectation for `metric` on `sheet`: a floor, or None
/// where gpuctl sets none (the launch metrics, a GEMM regime its dtype's
/// expectation does not gate, fp64 without a datasheet figure, GEMM on the
/// built-in kernel, which is not tuned to peak).
pub fn builtin_limit(sheet: &Datasheet, metric: Metric, cublas: bool) -> Option<Limit> {
    let value = match (metric.dtype(), metric) {
        (Some(dtype), _) if cublas => {
            let peak = match dtype {
                Dtype::Bf16 | Dtype::Fp16 => sheet.bf16,
                Dtype::Tf32 => sheet.tf32,
                Dtype::Fp32 => sheet.fp32,
                Dtype::Fp64 => sheet.fp64?,
            };
            peak * gemm_expectation(metric)?.share
        }
        (None, Metric::HbmCopy | Metric::HbmRead | Metric::HbmWrite) => sheet.memory * MEMORY_SHARE,
        (None, Metric::H2d | Metric::D2h) => sheet.host_link * HOST_LINK_SHARE,
        _ => return None,
    };
    Some(Limit {
        value: round2(value),
        at_least: true,
        source: Source::Builtin,
    })
}

/// A limit `tolerance` (a fraction) worse than `reference`.
pub fn relative_limit(metric: Metric, reference: f64, tolerance: f64, source: Source) -> Limit {
    let higher = metric.higher_is_better();
    Limit {
        value: round2(if higher {
            reference * (1.0 - tolerance)
        } else {
            reference * (1.0 + tolerance)
        }),
        at_least: higher,
        source,
    }
}

/// How one limit judged a value: None when it passed, else how far off it
/// is, in percent of the limit.
pub fn shortfall_pct(value: f64, limit: &Limit) -> Option<f64> {
    if limit.at_least && value < limit.value {
        Some((limit.value - value) / limit.value * 100.0)
    } else if !limit.at_least && value > limit.value {
        Some((value - limit.value) / limit.value * 100.0)
    } else {
        None
    }
}

/// A node's results saved by `--save-baseline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Format marker and version.
    pub gpuctl_baseline: u32,
    pub gpuctl_version: String,
    /// Null when the host name could not be read.
    pub host: Option<String>,
    pub timestamp: String,
    pub driver_version: Option<String>,
    pub gpus: Vec<BaselineGpu>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineGpu {
    pub index: u32,
    pub uuid: String,
    pub name: String,
    /// Median per metric, in the metric's unit.
    pub metrics: BTreeMap<String, f64>,
}

pub const BASELINE_VERSION: u32 = 1;

impl Baseline {
    pub fn parse(text: &str) -> Result<Self, String> {
        let b: Baseline = serde_json::from_str(text)
            .map_err(|e| format!("not a gpuctl baseline ({e}); write one with --save-baseline"))?;
        if b.gpuctl_baseline != BASELINE_VERSION {
            return Err(format!(
                "baseline format {} is not supported (this gpuctl reads {BASELINE_VERSION})",
                b.gpuctl_baseline
            ));
        }
        Ok(b)
    }

    /// Why this baseline cannot judge GPUs of `models` under `driver`, if
    /// it cannot: another driver, or a model it has no figures for.
    pub fn refuse(&self, models: &[&str], driver: Option<&str>) -> Option<String> {
        if let (Some(mine), Some(theirs)) = (driver, self.driver_version.as_deref()) {
            if mine != theirs {
                return Some(format!(
                    "the baseline was recorded with driver {theirs}, this node runs {mine}: \
                     performance may differ by driver; record a new baseline with \
                     --save-baseline after checking the node"
                ));
            }
        }
        let known: Vec<&str> = self.gpus.iter().map(|g| g.name.as_str()).collect();
        let missing: Vec<&str> = models
            .iter()
            .copied()
            .filter(|m| !known.contains(m))
            .collect();
        if !missing.is_empty() {
            let mut theirs = known.clone();
            theirs.sort();
            theirs.dedup();
            return Some(format!(
                "the baseline was recorded on {} but this run has {}: a baseline judges only \
                 the GPU model it was recorded on",
                theirs.join(", "),
                missing.join(", ")
            ));
        }
        None
    }

    /// The reference for `metric` on a GPU: the same GPU (UUID) when the
    /// baseline has it, else the median over GPUs of the same model.
    pub fn reference(&self, uuid: &str, name: &str, metric: Metric) -> Option<f64> {
        let key = metric.name();
        if let Some(g) = self.gpus.iter().find(|g| g.uuid == uuid) {
            if let Some(v) = g.metrics.get(key) {
                return Some(*v);
            }
        }
        let same: Vec<f64> = self
            .gpus
            .iter()
            .filter(|g| g.name == name)
            .filter_map(|g| g.metrics.get(key).copied())
            .collect();
        median(&same)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_take_units_that_fit_the_metric() {
        assert_eq!(parse_value(Metric::GemmBf16, "700TFLOPS"), Ok(700.0));
        assert_eq!(parse_value(Metric::GemmBf16, "700 TFLOP/s"), Ok(700.0));
        assert_eq!(parse_value(Metric::GemmBf16, "0.7PFLOPS"), Ok(700.0));
        assert_eq!(parse_value(Metric::HbmCopy, "2.5TB/s"), Ok(2500.0));
        assert_eq!(parse_value(Metric::H2d, "48GB/s"), Ok(48.0));
        assert_eq!(parse_value(Metric::H2d, "48"), Ok(48.0));
        assert_eq!(parse_value(Metric::KernelSpacingUs, "5us"), Ok(5.0));
        assert_eq!(parse_value(Metric::LaunchOverheadUs, "1500ns"), Ok(1.5));
        assert!(parse_value(Metric::H2d, "48TFLOPS").is_err());
        assert!(parse_value(Metric::GemmBf16, "-1").is_err());
        assert!(parse_value(Metric::GemmBf16, "0").is_err());
        assert!(parse_value(Metric::GemmBf16, "fast").is_err());
    }

    #[test]
    fn limits_name_a_metric() {
        assert_eq!(
            parse_limit("gemm_bf16=700TFLOPS"),
            Ok((Metric::GemmBf16, 700.0))
        );
        assert!(parse_limit("gemm_bf17=700")
            .unwrap_err()
            .contains("unknown metric"));
        assert!(parse_limit("700").unwrap_err().contains("METRIC=VALUE"));
    }

    #[test]
    fn tests_expand_groups_in_order() {
        assert_eq!(
            parse_tests("pcie,gemm_bf16").unwrap(),
            vec![Metric::GemmBf16, Metric::H2d, Metric::D2h]
        );
        // Every metric but the two sustained figures measured by name.
        assert_eq!(parse_tests("all").unwrap().len(), 15);
        assert!(!parse_tests("all")
            .unwrap()
            .contains(&Metric::GemmFp64Sustained));
        assert!(parse_tests("gemm,bogus").is_err());
        assert!(parse_tests(",").is_err());
    }

    #[test]
    fn thresholds_file_has_min_and_max() {
        let t = parse_thresholds_file(
            "[min]\ngemm_bf16 = \"700TFLOPS\"\nh2d = 48\n[max]\nkernel_spacing_us = \"5us\"\n",
        )
        .unwrap();
        assert_eq!(t[&Metric::GemmBf16].value, 700.0);
        assert!(t[&Metric::GemmBf16].at_least);
        assert_eq!(t[&Metric::H2d].value, 48.0);
        assert!(!t[&Metric::KernelSpacingUs].at_least);
        let err = parse_thresholds_file("[max]\nlaunch_latency = \"5us\"\n").unwrap_err();
        assert!(err.starts_with("line 2: [max] launch_latency: "), "{err}");
        assert!(err.contains("kernel_spacing_us"), "{err}");
        assert!(parse_thresholds_file("[min]\nnope = 1\n").is_err());
        assert!(parse_thresholds_file("[minimum]\n").is_err());
        assert!(parse_thresholds_file("[min]\nh2d = \"48TFLOPS\"\n").is_err());
    }

    #[test]
    fn a_gate_against_its_metric_is_refused_with_its_line() {
        let err =
            parse_thresholds_file("[max]\nh2d = 48\nlaunch_overhead_us = \"5us\"\n").unwrap_err();
        assert!(
            err.starts_with("line 2: [max] h2d: h2d is better high"),
            "{err}"
        );
        let err =
            parse_thresholds_file("[min]\nh2d = 48\nlaunch_overhead_us = \"5us\"\n").unwrap_err();
        assert!(
            err.starts_with("line 3: [min] launch_overhead_us:"),
            "{err}"
        );
        assert!(err.contains("better low"), "{err}");
        assert!(parse_thresholds_file("[max]\ngemm_bf16 = 900\n").is_err());
        assert!(check_direction(Metric::KernelSpacingUs, false).is_ok());
        assert!(check_direction(Metric::HbmCopy, true).is_ok());
    }

    #[test]
    fn builtin_expectations_by_model() {
        let h100 = datasheet("NVIDIA H100 80GB HBM3").unwrap();
        assert_eq!(h100.model, "H100 SXM");
        assert_eq!(datasheet("NVIDIA H100 PCIe").unwrap().model, "H100 PCIe");
        assert_eq!(
            datasheet("NVIDIA A100-SXM4-80GB").unwrap().model,
            "A100 80GB"
        );
        assert_eq!(datasheet("NVIDIA L40S").unwrap().model, "L40S");
        assert!(datasheet("NVIDIA GeForce RTX 4090").is_none());
        // bf16 is gated sustained (55% of 989), its burst figure not at all.
        let bf16 = builtin_limit(h100, Metric::GemmBf16Sustained, true).unwrap();
        assert_eq!(bf16.value, 543.95);
        assert!(builtin_limit(h100, Metric::GemmBf16, true).is_none());
        // fp64 is gated burst (60% of 67), its sustained figure not at all.
        assert_eq!(
            builtin_limit(h100, Metric::GemmFp64, true).unwrap().value,
            40.2
        );
        assert!(builtin_limit(h100, Metric::GemmFp64Sustained, true).is_none());
        // Each dtype has one expectation, in one regime.
        for d in Dtype::ALL {
            let gated: Vec<Regime> = [Regime::Burst, Regime::Sustained]
                .into_iter()
                .filter(|&r| gemm_expectation(Metric::gemm_in(d, r)).is_some())
                .collect();
            assert_eq!(gated.len(), 1, "{d:?}");
        }
        // Measured H100 figures clear every expectation (sustained:
        // PyTorch's back-to-back loop, ENGINEERING.md section 7).
        for (m, measured) in [
            (Metric::GemmBf16Sustained, 677.0),
            (Metric::GemmTf32Sustained, 353.0),
            (Metric::GemmFp32, 51.0),
            (Metric::GemmFp64, 55.0),
            (Metric::HbmCopy, 3000.0),
            (Metric::H2d, 55.0),
        ] {
            let l = builtin_limit(h100, m, true).unwrap();
            assert_eq!(shortfall_pct(measured, &l), None, "{m:?}");
        }
        assert!(builtin_limit(h100, Metric::GemmBf16Sustained, false).is_none());
        assert!(builtin_limit(h100, Metric::KernelSpacingUs, true).is_none());
        assert!(builtin_limit(h100, Metric::LaunchOverheadUs, true).is_none());
    }

    #[test]
    fn shortfall_in_the_metrics_direction() {
        let floor = relative_limit(Metric::HbmCopy, 3000.0, 0.05, Source::Baseline);
        assert_eq!(floor.value, 2850.0);
        assert_eq!(shortfall_pct(2900.0, &floor), None);
        let off = shortfall_pct(2565.0, &floor).unwrap();
        assert!((off - 10.0).abs() < 1e-9);
        let ceiling = relative_limit(Metric::KernelSpacingUs, 2.0, 0.05, Source::Peers);
        assert_eq!(ceiling.value, 2.1);
        assert!(shortfall_pct(2.5, &ceiling).is_some());
        assert_eq!(shortfall_pct(1.0, &ceiling), None);
    }

    #[test]
    fn baseline_refuses_another_driver_or_model() {
        let b = Baseline {
            gpuctl_baseline: 1,
            gpuctl_version: "0".into(),
            host: Some("h".into()),
            timestamp: "t".into(),
            driver_version: Some("580.1".into()),
            gpus: vec![BaselineGpu {
                index: 0,
                uuid: "GPU-a".into(),
                name: "H100".into(),
                metrics: [("h2d".to_string(), 55.0)].into_iter().collect(),
            }],
        };
        assert!(b.refuse(&["H100"], Some("580.1")).is_none());
        assert!(b
            .refuse(&["H100"], Some("570.1"))
            .unwrap()
            .contains("driver 580.1"));
        assert!(b.refuse(&["A100"], Some("580.1")).unwrap().contains("A100"));
        assert_eq!(b.reference("GPU-a", "H100", Metric::H2d), Some(55.0));
        assert_eq!(b.reference("GPU-b", "H100", Metric::H2d), Some(55.0));
        assert_eq!(b.reference("GPU-b", "H100", Metric::D2h), None);
        let text = serde_json::to_string(&b).unwrap();
        assert_eq!(Baseline::parse(&text).unwrap(), b);
        assert!(Baseline::parse("{}").is_err());
    }
}
