//! `gpuctl bench`'s options.

use super::*;

/// A `bench` tolerance: from 0% to 50%.
pub const BENCH_TOLERANCE: FloatRange = FloatRange::new(0.0, false, 50.0);

/// The parsed `bench --tests` value, in report order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchTests(pub Vec<Metric>);

fn parse_bench_tests(s: &str) -> Result<BenchTests, String> {
    metric::parse_tests(s).map(BenchTests)
}

fn parse_bench_limit(s: &str) -> Result<(Metric, f64), String> {
    metric::parse_limit(s)
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// What to measure, comma-separated: all, gemm, hbm, pcie, latency, or
    /// metric names (gemm_bf16, hbm_copy, h2d, launch_latency, ...).
    #[arg(long, value_name = "TESTS", default_value = "all", value_parser = parse_bench_tests)]
    pub tests: BenchTests,
    /// Pre-job check in under 5 s: bf16 GEMM only, smaller buffers, fewer
    /// repetitions (other GEMM metrics are not measured).
    #[arg(long)]
    pub quick: bool,
    /// GEMM implementation (auto: cuBLASLt when it loads, else built-in).
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
    pub engine: EngineChoice,
    /// Fail a GPU whose METRIC is below VALUE, e.g. gemm_bf16=700TFLOPS,
    /// hbm_copy=2.5TB/s, h2d=48GB/s (repeatable; replaces the built-in
    /// expectation for that metric).
    #[arg(long, value_name = "METRIC=VALUE", value_parser = parse_bench_limit)]
    pub min: Vec<(Metric, f64)>,
    /// Fail a GPU whose METRIC is above VALUE, e.g. launch_latency=5us
    /// (repeatable).
    #[arg(long, value_name = "METRIC=VALUE", value_parser = parse_bench_limit)]
    pub max: Vec<(Metric, f64)>,
    /// TOML file with [min] and [max] tables of metric = value (command-line
    /// values win).
    #[arg(long, value_name = "PATH")]
    pub thresholds: Option<std::path::PathBuf>,
    /// Do not apply gpuctl's built-in expectations per GPU model.
    #[arg(long)]
    pub no_builtin_thresholds: bool,
    /// Write this node's results (with GPU model, driver and gpuctl version)
    /// as a baseline file.
    #[arg(long, value_name = "PATH")]
    pub save_baseline: Option<std::path::PathBuf>,
    /// Fail a metric more than --tolerance worse than this baseline; a
    /// baseline from another GPU model or driver is refused.
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<std::path::PathBuf>,
    /// Allowed shortfall against the baseline and against the median of the
    /// run's GPUs of the same model [0% to 50%].
    #[arg(long, value_name = "PCT", default_value = "5%", allow_hyphen_values = true, value_parser = fraction_in(BENCH_TOLERANCE))]
    pub tolerance: f64,
    /// Also write the results as JUnit XML (one testcase per GPU and metric).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub config: crate::cli::ConfigPath,
}

pub const BENCH_LONG_HELP: &str = "\
METRICS (median of repetitions timed with CUDA events after a warm-up)
  gemm_bf16, gemm_fp16, gemm_tf32, gemm_fp32, gemm_fp64   TFLOP/s, the burn engine's verified
      products (cuBLASLt when it loads, else the built-in kernel; the report says which)
  hbm_copy (bytes read + written), hbm_read, hbm_write     GB/s, 16-byte-per-thread kernels
  h2d, d2h                  GB/s, pinned host memory, copy engine
  launch_latency            us per empty kernel, back to back, replayed from a CUDA graph
                            (timed on the GPU, so the host's CPU speed is not in it)
  Every word moved (a per-word pattern, fresh each repetition) and every product is checked;
  a wrong result fails the GPU. Device buffers are zeroed and read back before they are freed
  (memory_wipe). A GPU passes only when its run finished and verified its work (bench_ran);
  one on which nothing was judged fails (coverage).

GATES (each shortfall fails the GPU's metric: exit 1)
  --min/--max METRIC=VALUE, and a --thresholds file:
      [min]
      gemm_bf16 = \"700TFLOPS\"
      hbm_copy = \"2.5TB/s\"
      [max]
      launch_latency = \"5us\"
  built-in expectations for H100 SXM/PCIe, H200, A100, L40S: 60% of datasheet GEMM peak
      (cuBLASLt only), 70% of memory bandwidth, 70% of the PCIe link; off with
      --no-builtin-thresholds, replaced per metric by --min/--max or the file
  --baseline FILE: more than --tolerance (5%) worse than the saved figure
  GPUs of one model in the run: more than --tolerance worse than the median of steady others

TIME
  A default run takes about 7 s on an H100 (all GPUs in parallel); --quick under 5 s.
  GEMM repetitions are 25 ms bursts after 50 ms idle (matmul speed before the power cap).

EXIT
  0 every metric passed, 1 a metric failed or a GPU could not be measured, 2 bad option,
  output path, threshold file or baseline from another model or driver, 3 no driver or
  GPU, or --junit/--save-baseline not written though the GPUs passed; 130 interrupted.";
