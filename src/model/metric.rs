//! `bench`'s metrics: their names, units, GEMM regimes and groups, and the
//! parsers of `--tests` and `METRIC=VALUE[UNIT]`. Plain data below the CLI,
//! which parses options with them (`commands::bench_gate` holds the gates).

use super::dtype::Dtype;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a GEMM figure was taken: the two differ once the power cap binds
/// (on an H200, bf16 at n = 16384: 786 vs 701 TFLOP/s).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// Short bursts after idle: the boost clock, a matmul benchmark's figure.
    Burst,
    /// Back-to-back GEMMs after a warm-up: the clock the power cap allows.
    Sustained,
}

impl Regime {
    pub fn name(self) -> &'static str {
        match self {
            Regime::Burst => "burst",
            Regime::Sustained => "sustained",
        }
    }
}

/// The metric name `launch_latency` had until it was split in two (issue
/// 21); refused wherever a metric is named, with [`RETIRED_WHY`].
pub const RETIRED_LAUNCH_LATENCY: &str = "launch_latency";
/// Why [`RETIRED_LAUNCH_LATENCY`] is refused, and what to name instead.
pub const RETIRED_WHY: &str = "launch_latency is retired: it measured GPU kernel spacing, not \
     launch latency; name kernel_spacing_us (graph replay, per kernel) or launch_overhead_us \
     (host launch to completion, one kernel at a time)";

/// An unknown metric name's message: the retired name's own, else the list.
fn unknown(name: &str) -> String {
    if name == RETIRED_LAUNCH_LATENCY {
        RETIRED_WHY.to_string()
    } else {
        format!(
            "unknown metric '{name}'; expected one of: {}",
            metric_names()
        )
    }
}

/// `Metric::from_name`, or the message naming what is accepted.
pub fn metric_named(name: &str) -> Result<Metric, String> {
    Metric::from_name(name).ok_or_else(|| unknown(name))
}

/// Every metric `bench` can measure, in the order it reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    GemmBf16,
    GemmFp16,
    GemmTf32,
    GemmFp32,
    GemmFp64,
    GemmBf16Sustained,
    GemmFp16Sustained,
    GemmTf32Sustained,
    GemmFp32Sustained,
    GemmFp64Sustained,
    HbmCopy,
    HbmRead,
    HbmWrite,
    H2d,
    D2h,
    /// GPU kernel spacing: empty kernels replayed from a CUDA graph.
    KernelSpacingUs,
    /// Host launch overhead: one empty kernel launched and waited for.
    LaunchOverheadUs,
}

/// What a metric measures, which fixes the units it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Flops,
    Bandwidth,
    Latency,
}

impl Metric {
    pub const ALL: [Metric; 17] = [
        Metric::GemmBf16,
        Metric::GemmFp16,
        Metric::GemmTf32,
        Metric::GemmFp32,
        Metric::GemmFp64,
        Metric::GemmBf16Sustained,
        Metric::GemmFp16Sustained,
        Metric::GemmTf32Sustained,
        Metric::GemmFp32Sustained,
        Metric::GemmFp64Sustained,
        Metric::HbmCopy,
        Metric::HbmRead,
        Metric::HbmWrite,
        Metric::H2d,
        Metric::D2h,
        Metric::KernelSpacingUs,
        Metric::LaunchOverheadUs,
    ];

    /// The dtypes whose sustained figure the `gemm` group (and so the
    /// default run) measures: the tensor-core ones, which draw the most
    /// power. fp32 and fp64 are measured sustained when named, which keeps
    /// the default run short.
    pub const SUSTAINED_BY_DEFAULT: [Dtype; 3] = [Dtype::Bf16, Dtype::Fp16, Dtype::Tf32];

    pub fn name(self) -> &'static str {
        match self {
            Metric::GemmBf16 => "gemm_bf16",
            Metric::GemmFp16 => "gemm_fp16",
            Metric::GemmTf32 => "gemm_tf32",
            Metric::GemmFp32 => "gemm_fp32",
            Metric::GemmFp64 => "gemm_fp64",
            Metric::GemmBf16Sustained => "gemm_bf16_sustained",
            Metric::GemmFp16Sustained => "gemm_fp16_sustained",
            Metric::GemmTf32Sustained => "gemm_tf32_sustained",
            Metric::GemmFp32Sustained => "gemm_fp32_sustained",
            Metric::GemmFp64Sustained => "gemm_fp64_sustained",
            Metric::HbmCopy => "hbm_copy",
            Metric::HbmRead => "hbm_read",
            Metric::HbmWrite => "hbm_write",
            Metric::H2d => "h2d",
            Metric::D2h => "d2h",
            Metric::KernelSpacingUs => "kernel_spacing_us",
            Metric::LaunchOverheadUs => "launch_overhead_us",
        }
    }

    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn kind(self) -> Kind {
        if self.dtype().is_some() {
            Kind::Flops
        } else if matches!(self, Metric::KernelSpacingUs | Metric::LaunchOverheadUs) {
            Kind::Latency
        } else {
            Kind::Bandwidth
        }
    }

    /// The burst GEMM metric of a dtype (`gemm_bf16` for bf16).
    pub fn gemm(dtype: Dtype) -> Metric {
        Metric::gemm_in(dtype, Regime::Burst)
    }

    /// The GEMM metric of a dtype in a regime (`gemm_bf16_sustained`).
    pub fn gemm_in(dtype: Dtype, regime: Regime) -> Metric {
        match (regime, dtype) {
            (Regime::Burst, Dtype::Bf16) => Metric::GemmBf16,
            (Regime::Burst, Dtype::Fp16) => Metric::GemmFp16,
            (Regime::Burst, Dtype::Tf32) => Metric::GemmTf32,
            (Regime::Burst, Dtype::Fp32) => Metric::GemmFp32,
            (Regime::Burst, Dtype::Fp64) => Metric::GemmFp64,
            (Regime::Sustained, Dtype::Bf16) => Metric::GemmBf16Sustained,
            (Regime::Sustained, Dtype::Fp16) => Metric::GemmFp16Sustained,
            (Regime::Sustained, Dtype::Tf32) => Metric::GemmTf32Sustained,
            (Regime::Sustained, Dtype::Fp32) => Metric::GemmFp32Sustained,
            (Regime::Sustained, Dtype::Fp64) => Metric::GemmFp64Sustained,
        }
    }

    /// The dtype and regime of a GEMM metric; `None` for the others.
    pub fn gemm_of(self) -> Option<(Dtype, Regime)> {
        [Regime::Burst, Regime::Sustained]
            .into_iter()
            .flat_map(|r| Dtype::ALL.map(|d| (d, r)))
            .find(|&(d, r)| Metric::gemm_in(d, r) == self)
    }

    /// The dtype a GEMM metric measures (either regime); `None` for the
    /// others.
    pub fn dtype(self) -> Option<Dtype> {
        self.gemm_of().map(|(d, _)| d)
    }

    /// The regime of a GEMM metric; `None` for the others.
    pub fn regime(self) -> Option<Regime> {
        self.gemm_of().map(|(_, r)| r)
    }

    /// The unit values are reported in.
    pub fn unit(self) -> &'static str {
        match self.kind() {
            Kind::Flops => "TFLOP/s",
            Kind::Bandwidth => "GB/s",
            Kind::Latency => "us",
        }
    }

    /// Timed on the host's wall clock, not with CUDA events: the host's CPU
    /// load and clock are in the figure, so it is gated only by explicit
    /// limits (`--max`, the thresholds file), never relative to a baseline
    /// or the run's other GPUs.
    pub fn host_timed(self) -> bool {
        self == Metric::LaunchOverheadUs
    }

    /// Latency is better low; everything else high.
    pub fn higher_is_better(self) -> bool {
        self.kind() != Kind::Latency
    }

    /// One line for `--help` and the README.
    pub fn describe(self) -> &'static str {
        match self {
            Metric::GemmBf16 => "bf16 GEMM (fp32 accumulate)",
            Metric::GemmFp16 => "fp16 GEMM (fp32 accumulate)",
            Metric::GemmTf32 => "tf32 GEMM on tensor cores",
            Metric::GemmFp32 => "fp32 GEMM",
            Metric::GemmFp64 => "fp64 GEMM",
            Metric::GemmBf16Sustained
            | Metric::GemmFp16Sustained
            | Metric::GemmTf32Sustained
            | Metric::GemmFp32Sustained
            | Metric::GemmFp64Sustained => "the same GEMM back to back, at the power cap",
            Metric::HbmCopy => "device copy kernel, bytes read plus written",
            Metric::HbmRead => "device read-only kernel",
            Metric::HbmWrite => "device write-only kernel",
            Metric::H2d => "pinned host to device, copy engine",
            Metric::D2h => "device to pinned host, copy engine",
            Metric::KernelSpacingUs => {
                "GPU kernel spacing: empty kernels back to back from a CUDA graph, per kernel"
            }
            Metric::LaunchOverheadUs => {
                "host launch overhead: one empty kernel launched and synchronised, host wall clock"
            }
        }
    }
}

/// Names `--tests` accepts: each metric, and groups.
pub fn parse_tests(list: &str) -> Result<Vec<Metric>, String> {
    let mut out = Vec::new();
    for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let group: Vec<Metric> = match word {
            "all" => group("gemm")
                .into_iter()
                .chain(group("hbm"))
                .chain(group("pcie"))
                .chain(group("latency"))
                .collect(),
            "gemm" | "hbm" | "pcie" | "latency" => group(word),
            RETIRED_LAUNCH_LATENCY => return Err(RETIRED_WHY.to_string()),
            other => vec![Metric::from_name(other).ok_or_else(|| {
                format!(
                    "unknown test '{other}'; expected all, gemm, hbm, pcie, latency or one of: {}",
                    metric_names()
                )
            })?],
        };
        for m in group {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    if out.is_empty() {
        return Err("no test named; expected e.g. gemm,hbm".into());
    }
    out.sort();
    Ok(out)
}

/// A `--tests` group's metrics. `all` is every group: every metric but
/// the sustained figures outside [`Metric::SUSTAINED_BY_DEFAULT`].
fn group(name: &str) -> Vec<Metric> {
    match name {
        "gemm" => Dtype::ALL
            .map(Metric::gemm)
            .into_iter()
            .chain(Metric::SUSTAINED_BY_DEFAULT.map(|d| Metric::gemm_in(d, Regime::Sustained)))
            .collect(),
        "hbm" => vec![Metric::HbmCopy, Metric::HbmRead, Metric::HbmWrite],
        "pcie" => vec![Metric::H2d, Metric::D2h],
        "latency" => vec![Metric::KernelSpacingUs, Metric::LaunchOverheadUs],
        _ => Vec::new(),
    }
}

pub fn metric_names() -> String {
    Metric::ALL.map(Metric::name).join(", ")
}

/// `VALUE[UNIT]` for `metric`, converted to the metric's unit. A bare
/// number is in the metric's unit.
pub fn parse_value(metric: Metric, text: &str) -> Result<f64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("'{text}' is not a number with an optional unit"))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(format!("'{text}': the value must be above zero"));
    }
    let unit = unit.trim().to_ascii_lowercase().replace(' ', "");
    let factor = match (metric.kind(), unit.as_str()) {
        (_, "") => 1.0,
        (Kind::Flops, "tflops" | "tflop/s" | "tf") => 1.0,
        (Kind::Flops, "gflops" | "gflop/s") => 1e-3,
        (Kind::Flops, "pflops" | "pflop/s") => 1e3,
        (Kind::Bandwidth, "gb/s" | "gbps") => 1.0,
        (Kind::Bandwidth, "tb/s" | "tbps") => 1e3,
        (Kind::Bandwidth, "mb/s" | "mbps") => 1e-3,
        (Kind::Bandwidth, "gib/s") => 1.073_741_824,
        (Kind::Latency, "us" | "µs") => 1.0,
        (Kind::Latency, "ns") => 1e-3,
        (Kind::Latency, "ms") => 1e3,
        _ => {
            return Err(format!(
                "'{text}': unit '{unit}' does not fit {} (measured in {}; e.g. {})",
                metric.name(),
                metric.unit(),
                match metric.kind() {
                    Kind::Flops => "700TFLOPS",
                    Kind::Bandwidth => "2.5TB/s or 48GB/s",
                    Kind::Latency => "5us",
                }
            ))
        }
    };
    Ok(value * factor)
}

/// `METRIC=VALUE[UNIT]`, as `--min` and `--max` take it.
pub fn parse_limit(text: &str) -> Result<(Metric, f64), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}': expected METRIC=VALUE, e.g. gemm_bf16=700TFLOPS"))?;
    let metric = metric_named(name.trim()).map_err(|e| format!("'{text}': {e}"))?;
    Ok((metric, parse_value(metric, value)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_metrics_are_named_after_their_dtype() {
        for d in Dtype::ALL {
            let m = Metric::gemm(d);
            assert_eq!(m.name(), format!("gemm_{}", d.name()));
            assert_eq!(m.dtype(), Some(d));
            assert_eq!(m.kind(), Kind::Flops);
        }
        let gemms: Vec<Metric> = Metric::ALL
            .into_iter()
            .filter(|m| m.regime() == Some(Regime::Burst))
            .collect();
        assert_eq!(gemms, Dtype::ALL.map(Metric::gemm));
        assert_eq!(Metric::HbmCopy.dtype(), None);
        for d in Dtype::ALL {
            let m = Metric::gemm_in(d, Regime::Sustained);
            assert_eq!(m.name(), format!("gemm_{}_sustained", d.name()));
            assert_eq!(m.gemm_of(), Some((d, Regime::Sustained)));
            assert_eq!(m.kind(), Kind::Flops);
            assert_eq!(Metric::gemm(d).regime(), Some(Regime::Burst));
        }
    }

    #[test]
    fn launch_latency_is_refused_naming_the_two_launch_metrics() {
        for err in [
            parse_limit("launch_latency=5us").unwrap_err(),
            parse_tests("pcie,launch_latency").unwrap_err(),
            metric_named("launch_latency").unwrap_err(),
        ] {
            assert!(
                err.contains("kernel_spacing_us") && err.contains("launch_overhead_us"),
                "{err}"
            );
        }
        assert_eq!(Metric::KernelSpacingUs.unit(), "us");
        assert_eq!(Metric::LaunchOverheadUs.kind(), Kind::Latency);
    }
}
