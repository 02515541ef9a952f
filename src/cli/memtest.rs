//! `gpuctl memtest`'s options: patterns (`model::pattern`) with each one's
//! fault model and source, passes, memory share, retention pause.

use super::*;

pub const MEMTEST_PASSES: IntRange = IntRange::new(1, 10_000);

pub const MEMTEST_MEMORY: FloatRange = FloatRange::new(1.0, false, 100.0);

pub const MEMTEST_COVERAGE: FloatRange = FloatRange::new(0.0, false, 100.0);

/// Any byte offset of a GPU's memory (256 TiB is far beyond any GPU).
pub const INJECT_OFFSET: IntRange = IntRange::new(0, 1 << 48);

pub const INJECT_BIT: IntRange = IntRange::new(0, 63);

#[derive(Debug, Clone, Args)]
pub struct MemtestArgs {
    /// Repeat full passes until this much time has passed (at least one
    /// pattern runs) [100ms to 7days; default: one pass].
    #[arg(short, long, value_name = "DURATION", conflicts_with = "passes", allow_hyphen_values = true, value_parser = duration_in(BURN_DURATION))]
    pub duration: Option<Duration>,
    /// Full passes over every chosen pattern [1 to 10000; default: 1].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = count_in(MEMTEST_PASSES))]
    pub passes: Option<u32>,
    /// Patterns to run, comma-separated [default: all, in the order listed].
    #[arg(long, value_enum, value_name = "NAMES", value_delimiter = ',')]
    pub patterns: Vec<Pattern>,
    /// Share of each GPU's free memory to test [1% to 100%; a bare number is
    /// a percentage].
    #[arg(long, value_name = "PCT", default_value = "98%", allow_hyphen_values = true, value_parser = fraction_in(MEMTEST_MEMORY))]
    pub memory: f64,
    /// WARN when the tested memory is below this share of the free memory
    /// [0% to 100%].
    #[arg(long, value_name = "PCT", default_value = "90%", allow_hyphen_values = true, value_parser = fraction_in(MEMTEST_COVERAGE))]
    pub min_coverage: f64,
    /// Telemetry sampling and progress interval [100ms to 1h].
    #[arg(long, value_name = "DURATION", default_value = "500ms", allow_hyphen_values = true, value_parser = duration_in(BURN_INTERVAL))]
    pub interval: Duration,
    /// Add the retention (bit-fade) pattern: each of its two waits lasts
    /// this long [1s to 1h; default: not run].
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = duration_in(MEMTEST_RETENTION))]
    pub retention_pause: Option<Duration>,
    /// Testing only: flip one bit on the GPU with this index after the
    /// first pattern is written, to prove the flip is found.
    #[arg(long, value_name = "GPU", hide = true, allow_hyphen_values = true, value_parser = count_in(INJECT_FAULT))]
    pub inject_fault: Option<u32>,
    /// Testing only: byte offset of the word to flip (a multiple of 8).
    #[arg(long, value_name = "BYTES", hide = true, default_value = "0", requires = "inject_fault", allow_hyphen_values = true, value_parser = offset_in(INJECT_OFFSET))]
    pub inject_offset: u64,
    /// Testing only: bit of the 64-bit word to flip [0 to 63].
    #[arg(long, value_name = "BIT", hide = true, default_value = "0", requires = "inject_fault", allow_hyphen_values = true, value_parser = count_in(INJECT_BIT))]
    pub inject_bit: u32,
    #[command(flatten)]
    pub events: crate::cli::EventsPath,
    #[command(flatten)]
    pub config: crate::cli::ConfigPath,
}

fn offset_in(
    range: IntRange,
) -> impl Fn(&str) -> Result<u64, String> + Clone + Send + Sync + 'static {
    move |s| {
        let n = parse::integer(s, range)?;
        if n % 8 != 0 {
            return Err("expected a multiple of 8 (the offset of a 64-bit word)".into());
        }
        Ok(n)
    }
}

/// `--retention-pause`: each of the retention pattern's two waits.
pub const MEMTEST_RETENTION: DurationRange =
    DurationRange::new(Duration::from_secs(1), Duration::from_secs(3600));

pub const MEMTEST_LONG_HELP: &str = "\
PATTERNS (GPU kernels; every word checked is compared on the GPU)
  zeros-ones         all zeros, then all ones. Finds stuck bits.
  walking-ones       one bit set, walking through all 64 bits of every word (64 sweeps).
  walking-zeros      one bit clear, the same way. Both find stuck bits and data lines
                     shorted together.
  moving-inversions  memtest86's moving inversions (also cuda_memtest's): write p; walking up
                     the addresses, check p and write !p word after word; walking down, check
                     !p and write p; for p = 0 and a random word. Finds coupling faults: a
                     write that disturbs a cell above it (seen going up) or below it (seen
                     going down). On the GPU each warp owns a contiguous segment and walks it
                     in order, 512 bytes (32 lanes x 16 bytes) per step: the step is checked,
                     then inverted, before the next is read. The order is the order accesses
                     leave the SM; DRAM sees a written line when L2 evicts it (microseconds
                     later), and segments run side by side, so couplings across segments or
                     within one step are not ordered.
  address            every word holds its own address, then its inverse: aliasing, address
                     lines.
  random             random words from a new seed each run, regenerated on the GPU for the
                     check: pattern-sensitive faults.
  modulo             memtest86's modulo-20 (also cuda_memtest's): for each offset k of 20,
                     write p to the words at k mod 20, write !p to all the other words 3
                     times, then check only the p words. Finds cells disturbed by repeated
                     writes to their neighbours. Checks each word against p only: a bit stuck
                     at p's value is left to the other patterns.
  retention          (with --retention-pause only) memtest86's bit fade: write zeros, wait,
                     check; write ones, wait, check. Finds cells that lose their charge.
  The streaming patterns (all but moving-inversions) sweep with no order inside a sweep, at
  HBM speed. Before every sweep that checks, a buffer of 3x the L2 size is written, so the
  previous sweep's lines are written back and the check reads HBM, not L2 (also right after
  a direction reversal). Mismatches are counted on the GPU; the first 16 per sweep are
  reported with offset, device address, expected and actual value, and the flipped bits.
  Sources: the test definitions of memtest86/memtest86+ and cuda_memtest (as published in
  their documentation and sources); no code is taken from either.

MEMORY
  --memory of the free memory is taken in 1 GiB chunks; when an allocation fails it is
  retried with backoff, then the chunk is halved down to 64 MiB, and the test runs on what was
  obtained. memory_coverage (tested bytes / free memory) below --min-coverage is a WARN that
  names the processes holding memory. Every buffer is overwritten with zeros and the wipe verified
  before it is freed, also after Ctrl-C or an error.

VERDICT PER GPU
  FAIL: any mismatch, a new uncorrectable ECC error or row-remap failure during the test, a
  CUDA error, an XID, a wipe that did not verify.
  WARN: new corrected ECC errors or row remaps, memory_coverage below --min-coverage.
  Required (fail-closed): memtest_ran and memory_errors; without them, coverage FAILs.

OUTPUT
  --json: JSON Lines on stdout: {\"event\":\"pattern\", ...} when a pattern finishes on a GPU,
  then the report as the last line ({\"event\":\"report\", ...}).

SIGNALS AND EXIT
  Ctrl-C or SIGTERM stops within about 2 s, wipes and frees GPU memory, prints the partial
  report (a GPU cut short is INTERRUPTED, never PASS) and exits 130. Otherwise 0 when every
  GPU passed (warnings allowed), 1 when any failed.";
