//! `gpuctl probe`'s options.

use super::*;

pub const PROBE_LONG_HELP: &str = "\
CHECKS (NVML only, no CUDA context)
the driver answers; --expect N GPUs are present; no GPU has fallen off the bus; no
volatile uncorrectable ECC error; no row-remap failure; GPU temperature below the card's
slowdown threshold. A check the GPU does not support is skipped, not failed.
--compute also creates a context and runs a self-test kernel on each GPU, checking every
result on the host.

OUTPUT AND EXIT
One line: `healthy: ...` (exit 0) or `unhealthy: <why>` (exit 1). Anything else that can
go wrong (no driver, bad arguments, a hung driver call past --timeout, an internal
error) is also exit 1, never 2, which Docker reserves. Each driver call is bounded by the
smaller of --call-timeout and 3/4 of --timeout, so a hung GPU is named. A required check
that could not be read (no permission) or no reading giving a verdict is unhealthy too.
";

pub const PROBE_TIMEOUT: DurationRange =
    DurationRange::new(Duration::from_millis(1), Duration::from_secs(3600));

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// Unhealthy unless exactly this many GPUs are present [0 to 1024].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = count_in(GPU_COUNT))]
    pub expect: Option<u32>,
    /// Also create a context and run a self-test kernel on each GPU.
    #[arg(long)]
    pub compute: bool,
    /// Upper bound on the whole probe; a hung driver call fails it [1ms to
    /// 1h]. Each driver call gets the smaller of --call-timeout and 3/4 of
    /// this, so a hung GPU is named before the whole probe gives up.
    #[arg(long, value_name = "DURATION", default_value = "5s", allow_hyphen_values = true, value_parser = duration_in(PROBE_TIMEOUT))]
    pub timeout: Duration,
}
