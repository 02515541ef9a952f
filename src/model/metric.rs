//! `bench`'s metrics: their names, units and groups, and the parsers of
//! `--tests` and `METRIC=VALUE[UNIT]`. Plain data below the CLI, which
//! parses options with them (`commands::bench_gate` holds the gates).

use super::dtype::Dtype;
use serde::{Deserialize, Serialize};

/// Every metric `bench` can measure, in the order it reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    GemmBf16,
    GemmFp16,
    GemmTf32,
    GemmFp32,
    GemmFp64,
    HbmCopy,
    HbmRead,
    HbmWrite,
    H2d,
    D2h,
    LaunchLatency,
}

/// What a metric measures, which fixes the units it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Flops,
    Bandwidth,
    Latency,
}

impl Metric {
    pub const ALL: [Metric; 11] = [
        Metric::GemmBf16,
        Metric::GemmFp16,
        Metric::GemmTf32,
        Metric::GemmFp32,
        Metric::GemmFp64,
        Metric::HbmCopy,
        Metric::HbmRead,
        Metric::HbmWrite,
        Metric::H2d,
        Metric::D2h,
        Metric::LaunchLatency,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::GemmBf16 => "gemm_bf16",
            Metric::GemmFp16 => "gemm_fp16",
            Metric::GemmTf32 => "gemm_tf32",
            Metric::GemmFp32 => "gemm_fp32",
            Metric::GemmFp64 => "gemm_fp64",
            Metric::HbmCopy => "hbm_copy",
            Metric::HbmRead => "hbm_read",
            Metric::HbmWrite => "hbm_write",
            Metric::H2d => "h2d",
            Metric::D2h => "d2h",
            Metric::LaunchLatency => "launch_latency",
        }
    }

    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn kind(self) -> Kind {
        match self {
            Metric::GemmBf16
            | Metric::GemmFp16
            | Metric::GemmTf32
            | Metric::GemmFp32
            | Metric::GemmFp64 => Kind::Flops,
            Metric::LaunchLatency => Kind::Latency,
            _ => Kind::Bandwidth,
        }
    }

    /// The GEMM metric of a dtype (`gemm_bf16` for bf16).
    pub fn gemm(dtype: Dtype) -> Metric {
        match dtype {
            Dtype::Bf16 => Metric::GemmBf16,
            Dtype::Fp16 => Metric::GemmFp16,
            Dtype::Tf32 => Metric::GemmTf32,
            Dtype::Fp32 => Metric::GemmFp32,
            Dtype::Fp64 => Metric::GemmFp64,
        }
    }

    /// The dtype a GEMM metric measures; `None` for the others.
    pub fn dtype(self) -> Option<Dtype> {
        Dtype::ALL.into_iter().find(|&d| Metric::gemm(d) == self)
    }

    /// The unit values are reported in.
    pub fn unit(self) -> &'static str {
        match self.kind() {
            Kind::Flops => "TFLOP/s",
            Kind::Bandwidth => "GB/s",
            Kind::Latency => "us",
        }
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
            Metric::HbmCopy => "device copy kernel, bytes read plus written",
            Metric::HbmRead => "device read-only kernel",
            Metric::HbmWrite => "device write-only kernel",
            Metric::H2d => "pinned host to device, copy engine",
            Metric::D2h => "device to pinned host, copy engine",
            Metric::LaunchLatency => "empty kernel, per launch, back to back from a CUDA graph",
        }
    }
}

/// Names `--tests` accepts: each metric, and groups.
pub fn parse_tests(list: &str) -> Result<Vec<Metric>, String> {
    let mut out = Vec::new();
    for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let group: Vec<Metric> = match word {
            "all" => Metric::ALL.to_vec(),
            "gemm" => Dtype::ALL.map(Metric::gemm).to_vec(),
            "hbm" => vec![Metric::HbmCopy, Metric::HbmRead, Metric::HbmWrite],
            "pcie" => vec![Metric::H2d, Metric::D2h],
            "latency" => vec![Metric::LaunchLatency],
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
    let metric = Metric::from_name(name.trim()).ok_or_else(|| {
        format!(
            "'{text}': unknown metric '{}'; expected one of: {}",
            name.trim(),
            metric_names()
        )
    })?;
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
            .filter(|m| m.dtype().is_some())
            .collect();
        assert_eq!(gemms, Dtype::ALL.map(Metric::gemm));
        assert_eq!(Metric::HbmCopy.dtype(), None);
    }
}
