//! `memtest`'s patterns as the CLI names them, with each one's fault model
//! and source (the `--help` text and the man page come from here).

use crate::parse::DurationRange;
use std::time::Duration;

/// `--retention-pause`: each of the retention pattern's two waits.
pub const MEMTEST_RETENTION: DurationRange =
    DurationRange::new(Duration::from_secs(1), Duration::from_secs(3600));

pub(crate) const MEMTEST_LONG_HELP: &str = "\
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
