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
    /// metric names (gemm_bf16, gemm_bf16_sustained, hbm_copy, h2d,
    /// kernel_spacing_us, launch_overhead_us, ...).
    #[arg(long, value_name = "TESTS", default_value = "all", value_parser = parse_bench_tests)]
    pub tests: BenchTests,
    /// Short pre-job check: bf16 GEMM only (burst and a shorter
    /// sustained regime), smaller buffers, fewer repetitions (other GEMM
    /// metrics are not measured).
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
    /// Fail a GPU whose METRIC is above VALUE, e.g. launch_overhead_us=20us
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
  gemm_bf16, gemm_fp16, gemm_tf32, gemm_fp32, gemm_fp64   TFLOP/s, burst regime: 25 ms of the
      burn engine's verified products after 50 ms idle (boost clock; cuBLASLt when it loads,
      else the built-in kernel; the report says which)
  gemm_bf16_sustained, gemm_fp16_sustained, gemm_tf32_sustained   TFLOP/s, sustained regime:
      the same GEMM back to back, 1.5 s warm-up then 3 s measured in 0.5 s batches (the power
      cap's clock); gemm_fp32_sustained and gemm_fp64_sustained only when named
  hbm_copy (bytes read + written), hbm_read, hbm_write     GB/s, 16-byte-per-thread kernels
  h2d, d2h                  GB/s, pinned host memory, copy engine
  kernel_spacing_us         GPU kernel spacing: us per empty kernel, back to back, replayed
                            from a CUDA graph (timed on the GPU, the host's CPU out of it)
  launch_overhead_us        host launch overhead: us from launching one empty kernel to the
                            return of the stream synchronise, one at a time, host wall clock
                            (median of each repetition's 500 launches; the CPU's speed is in it)
  launch_latency is retired: a thresholds file, --min/--max, --tests or a baseline naming it
  is refused (exit 2), naming the two metrics above.
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
      launch_overhead_us = \"20us\"
  built-in expectations for H100 SXM/PCIe, H200, A100, L40S, each in one GEMM regime
      (cuBLASLt only): bf16, fp16, tf32 sustained at 55% of datasheet peak, fp32, fp64 burst at
      60%; 70% of memory bandwidth, 70% of the PCIe link; none on the launch metrics; off with
      --no-builtin-thresholds, replaced per metric by --min/--max or the file
  --baseline FILE: more than --tolerance (5%) worse than the saved figure
  GPUs of one model in the run: more than --tolerance worse than the median of steady others

TIME
  Bursts, bandwidth and launch take about 7 s on an H100 (all GPUs in parallel); each sustained
  dtype adds its set-up and 4.5 s of load (--quick: bf16 only, 1.5 s). Every burst runs before
  any sustained load, so bursts start from an idle GPU.

EXIT
  0 every metric passed, 1 a metric failed or a GPU could not be measured, 2 bad option,
  output path, threshold file or baseline from another model or driver, 3 no driver or
  GPU, or --junit/--save-baseline not written though the GPUs passed; 130 interrupted.";
