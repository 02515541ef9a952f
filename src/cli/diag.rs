//! `gpuctl diag`'s options and help text. The phases of each level are in
//! `commands::diag::plan`.

use super::{BURN_DURATION, GPU_COUNT, MEMTEST_PASSES};
use crate::parse::{self, IntRange};
use clap::Args;
use std::time::Duration;

/// `--level`: dcgmi diag's -r 1 to 4.
pub const DIAG_LEVEL: IntRange = IntRange::new(1, 4);

#[derive(Debug, Clone, Args)]
pub struct DiagArgs {
    /// 1: health without compute and the fabric (seconds); 2: adds compute,
    /// a short burn, a fast memtest pass, a quick p2p and bench (about 2
    /// min); 3: a 10-minute burn with GEMM and HBM streaming together
    /// (burn --mode mixed), a full memtest pass, full bench and p2p (about
    /// 15 min); 4: level 3 longer, with memtest's retention pattern (an hour or more) [1 to 4].
    #[arg(short = 'r', long, value_name = "LEVEL", allow_hyphen_values = true, value_parser = level)]
    pub level: u32,
    /// Run every phase even after one FAILs (default: stop at the first FAIL).
    #[arg(long)]
    pub keep_going: bool,
    /// The burn phase's duration instead of the level's [100ms to 7days].
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = burn_duration)]
    pub burn_duration: Option<Duration>,
    /// The memtest phase's full passes instead of the level's [1 to 10000].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = memtest_passes)]
    pub memtest_passes: Option<u32>,
    /// Fail unless exactly this many GPUs are present (health's
    /// --expect-gpus) [0 to 1024].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = expect_gpus)]
    pub expect_gpus: Option<u32>,
    /// Also write an RMA bundle (.tar.gz named by host, time and verdict)
    /// into this directory.
    #[arg(long, value_name = "DIR")]
    pub report: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub config: crate::cli::ConfigPath,
}

fn level(s: &str) -> Result<u32, String> {
    parse::integer_u32(s, DIAG_LEVEL)
}

fn burn_duration(s: &str) -> Result<Duration, String> {
    parse::duration(s, BURN_DURATION)
}

fn memtest_passes(s: &str) -> Result<u32, String> {
    parse::integer_u32(s, MEMTEST_PASSES)
}

fn expect_gpus(s: &str) -> Result<u32, String> {
    parse::integer_u32(s, GPU_COUNT)
}

/// `diag --help`'s long text (also the man page).
pub const LONG_HELP: &str = "\
LEVELS (every selected GPU at once; phases run in this order)
  1  health --no-compute (driver, persistence, ECC, remapping, XIDs, ...) and the
     NVSwitch fabric registration (SKIP where there is no fabric): seconds
  2  health with the compute self-test, fabric, burn 30s, memtest 1 pass of
     zeros-ones,address,random, p2p with 64 MiB copies, bench --quick: about 2 min
  3  health, fabric, burn 10m, memtest 1 full pass, the full p2p matrix, the full
     bench: about 15 min
  4  level 3 with burn 1h and 3 memtest passes
  The plan with each phase's duration is printed on stderr before the run;
  --burn-duration and --memtest-passes override the level's.

VERDICT
  Each phase runs the same code as its command and its report is kept whole in
  the JSON (diag.phases[].report). The diag has one check per phase
  (diag_<phase>) and one per GPU and phase. The run stops at the first phase
  that FAILs or cannot run (the rest are named as not run) unless --keep-going.

EXIT
  0 every phase passed (warnings allowed), 1 a phase failed or could not run,
  2 bad option, 3 no driver or GPU, 130 interrupted (partial report naming the
  phases not run).";
