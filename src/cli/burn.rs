//! `gpuctl burn`'s options (the `--help` text and the man page come from
//! here).

use super::*;
use crate::device::burn::BurnMode;

pub const BURN_LONG_HELP: &str = "\
LOAD
  One worker per GPU, all in parallel: n x n x n matrix products on the tensor cores (n =
  16384 for bf16, fp16 and tf32; 8192 for fp32 and fp64), into as many result buffers as
  --memory allows. --engine auto uses cuBLASLt when
  libcublasLt.so.13/.12 loads (set GPUCTL_CUBLASLT=path to choose one) and the built-in
  kernel otherwise, so burn runs on a host with only the driver.

CORRECTNESS
  A reference product is computed once per GPU; every later product is checksummed on the
  GPU and compared with it, and a differing product is compared element by element. GPUs of
  the same model must agree on the reference checksum. One mismatch fails that GPU.

VERDICT PER GPU
  FAIL: a mismatch, an XID, HW slowdown / HW thermal / HW power brake, a CUDA error, a GPU
  whose telemetry hung or that fell off the bus, a GPU burn could not test (MIG mode: not a
  fault, no RMA; disable MIG to burn it whole). A failed XID watch: SKIP, unverified.
  WARN: median TFLOP/s more than --tolerance below the best GPU of the same model, or below
  --expect-tflops.

OUTPUT
  Progress: one line per GPU on stderr, on a terminal only (not with --quiet).
  --json: JSON Lines on stdout: {\"event\":\"progress\", ...} every --interval per GPU, then
  the report as the last line ({\"event\":\"report\", \"schema_version\":1, ...}).

SIGNALS AND EXIT
  Ctrl-C or SIGTERM stops within about 2 s, frees GPU memory, prints the partial report (a
  GPU cut short is INTERRUPTED) and exits 130; else 0 when every GPU passed, 1 when any failed.";

/// Long enough for any burn-in, short enough that `Instant + d` never overflows.
pub const BURN_DURATION: DurationRange = DurationRange::new(
    Duration::from_millis(100),
    Duration::from_secs(7 * 24 * 3600),
);

/// Faster sampling floods JSON Lines and slows the burn itself.
pub const BURN_INTERVAL: DurationRange =
    DurationRange::new(Duration::from_millis(100), Duration::from_secs(3600));

pub const BURN_MEMORY: FloatRange = FloatRange::new(5.0, false, 100.0);

pub const BURN_TOLERANCE: FloatRange = FloatRange::new(0.0, false, 100.0);

pub const EXPECT_TFLOPS: FloatRange = FloatRange::new(0.0, true, 100_000.0);

pub const INJECT_FAULT: IntRange = IntRange::new(0, 1023);

fn parse_tflops(s: &str) -> Result<f64, String> {
    parse::number(s, EXPECT_TFLOPS)
}

/// Which GEMM implementation `burn` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineChoice {
    /// cuBLASLt when it loads, else the built-in kernel.
    Auto,
    /// cuBLASLt only (an environment error when it is missing).
    Cublas,
    /// gpuctl's own tensor-core kernel, needs only the driver.
    Builtin,
}

/// Shape of the fault `--inject-fault` writes (testing only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FaultKindChoice {
    /// One element set to 1e6.
    Gross,
    /// The lowest bit of one element flipped.
    LowBit,
    /// The same bit flipped in two elements.
    SameBitTwoWords,
    /// One bit stuck at 1 across a row of the result.
    StuckBitRow,
}

#[derive(Debug, Clone, Args)]
pub struct BurnArgs {
    /// How long to burn [100ms to 7days].
    #[arg(short, long, value_name = "DURATION", default_value = "30s", allow_hyphen_values = true, value_parser = duration_in(BURN_DURATION))]
    pub duration: Duration,
    /// GEMM implementation.
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
    pub engine: EngineChoice,
    /// What loads the GPU: the GEMM alone, or GEMM and HBM streaming together.
    #[arg(long, value_enum, default_value_t = crate::cli::ModeChoice::Gemm)]
    pub mode: crate::cli::ModeChoice,
    /// Operand type (accumulation is fp32, fp64 for fp64).
    #[arg(long, value_enum, default_value_t = Dtype::Bf16)]
    pub dtype: Dtype,
    /// Share of each GPU's free memory for operands and result buffers [5% to
    /// 100%; a bare number is a percentage].
    #[arg(long, value_name = "PCT", default_value = "90%", allow_hyphen_values = true, value_parser = fraction_in(BURN_MEMORY))]
    pub memory: f64,
    /// WARN a GPU more than this far below the best GPU of its model [0% to 100%].
    #[arg(long, value_name = "PCT", default_value = "10%", allow_hyphen_values = true, value_parser = fraction_in(BURN_TOLERANCE))]
    pub tolerance: f64,
    /// WARN a GPU whose median TFLOP/s is below this floor [above 0 up to 100000].
    #[arg(long, value_name = "TFLOPS", allow_hyphen_values = true, value_parser = parse_tflops)]
    pub expect_tflops: Option<f64>,
    /// Telemetry sampling interval [100ms to 1h].
    #[arg(long, value_name = "DURATION", default_value = "500ms", allow_hyphen_values = true, value_parser = duration_in(BURN_INTERVAL))]
    pub interval: Duration,
    /// Testing only: corrupt a result on this GPU in its second batch.
    #[arg(long, value_name = "GPU", hide = true, allow_hyphen_values = true, value_parser = count_in(INJECT_FAULT))]
    pub inject_fault: Option<u32>,
    /// Testing only: the shape of the fault `--inject-fault` writes.
    #[arg(long, value_enum, value_name = "KIND", default_value_t = FaultKindChoice::Gross, hide = true)]
    pub inject_fault_kind: FaultKindChoice,
    #[arg(long, value_name = "GPU", hide = true, allow_hyphen_values = true, value_parser = count_in(INJECT_FAULT))]
    pub inject_reference_fault: Option<u32>,
    #[command(flatten)]
    pub events: crate::cli::EventsPath,
    #[command(flatten)]
    pub config: crate::cli::ConfigPath,
}

/// What `burn` loads the GPU with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ModeChoice {
    /// The tensor-core GEMM alone, every product verified.
    #[default]
    Gemm,
    /// The GEMM and a verified HBM streaming copy together, on their own
    /// streams: GPU core and memory both at full load within the power
    /// limit.
    Mixed,
}

impl ModeChoice {
    /// The device layer's mode.
    pub fn mode(self) -> BurnMode {
        match self {
            ModeChoice::Gemm => BurnMode::Gemm,
            ModeChoice::Mixed => BurnMode::Mixed,
        }
    }
}
