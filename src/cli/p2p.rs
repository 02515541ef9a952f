//! `gpuctl p2p`'s options.

use super::*;

pub const P2P_LONG_HELP: &str = "\
PAIRS
  Every ordered pair of the selected GPUs (at least two; one GPU: \"no pairs\", a WARN that
  exits 0, since nothing was tested). Pairs
  that share no GPU run at the same time (rounds of a round-robin schedule). Pairs are named
  by NVML index and UUID, also under CUDA_VISIBLE_DEVICES.

PER PAIR
  topology: NVLink (active links), NVSwitch, or the PCIe path (PIX switch, PHB host bridge,
  NODE, SYS across CPUs), from NVML. peer access: cuDeviceCanAccessPeer, then enabled.
  integrity: a fresh pattern per copy, copied by the copy engine and by an SM kernel writing
  through the peer pointer, each way and both ways at once, every word checked on the
  receiving GPU. bandwidth: copy engine and SM copy, one way and both ways, median of
  --repeats. latency: back-to-back 4-byte copies, one-word peer writes, and a ping-pong of
  the two GPUs spinning on each other's flags (bounded: a lost write times out, never hangs).

VERDICT PER PAIR
  FAIL: a word arrived wrong; no peer access over NVLink; a copy or kernel error, a hang; a
  ping-pong that timed out; copy-engine bandwidth below --min-bandwidth; a required check
  missing (coverage: peer access, and unless --enable-only integrity and bandwidth, must
  each have run).
  WARN: no peer access over PCIe (copies go through host memory); bandwidth below
  --warn-below of what the link should carry (active NVLinks x per-link rate: 25 GB/s
  per direction for NVLink 4; or PCIe generation x width).

--enable-only
  Checks and enables peer access for every pair and reports what could not be, without
  copying (fast, for job prologues). Peer access belongs to a process: this proves it can be
  enabled; the application still enables it for itself.

EXIT
  0 every pair passed (warnings allowed), 1 a pair failed, 2 usage, 3 no driver or no GPU,
  130 interrupted (partial report).";

/// Bytes per copy, in MiB.
pub const P2P_SIZE_MIB: IntRange = IntRange::new(1, 65_536);

pub const P2P_REPEATS: IntRange = IntRange::new(1, 1000);

pub const P2P_WARN_BELOW: FloatRange = FloatRange::new(0.0, false, 100.0);

pub const P2P_MIN_BANDWIDTH: FloatRange = FloatRange::new(0.0, true, 100_000.0);

/// Per round of pairs; a pair not done by then is hung.
pub const P2P_TIMEOUT: DurationRange =
    DurationRange::new(Duration::from_secs(1), Duration::from_secs(3600));

fn parse_min_bandwidth(s: &str) -> Result<f64, String> {
    parse::number(s, P2P_MIN_BANDWIDTH)
}

/// `A:B`, two different NVML indices.
fn parse_gpu_pair(s: &str) -> Result<(u32, u32), String> {
    let bad = || {
        format!(
            "expected two GPU indices A:B, each {}",
            INJECT_FAULT.describe()
        )
    };
    let (a, b) = s.split_once(':').ok_or_else(bad)?;
    let a = parse::integer_u32(a, INJECT_FAULT).map_err(|_| bad())?;
    let b = parse::integer_u32(b, INJECT_FAULT).map_err(|_| bad())?;
    if a == b {
        return Err("expected two different GPU indices A:B".into());
    }
    Ok((a, b))
}

#[derive(Debug, Clone, Args)]
pub struct P2pArgs {
    /// Only check and enable peer access for every pair; copy nothing.
    #[arg(long)]
    pub enable_only: bool,
    /// MiB per copy; each GPU holds two buffers of this size, at most 40%
    /// of its free memory together [1 to 65536].
    #[arg(long, value_name = "MIB", default_value = "1024", allow_hyphen_values = true, value_parser = count_in(P2P_SIZE_MIB))]
    pub size_mib: u32,
    /// Timed copies per measurement; the median is reported [1 to 1000].
    #[arg(long, value_name = "N", default_value = "10", allow_hyphen_values = true, value_parser = count_in(P2P_REPEATS))]
    pub repeats: u32,
    /// WARN a pair whose copy-engine bandwidth is below this share of what
    /// its link should carry [0% to 100%].
    #[arg(long, value_name = "PCT", default_value = "80%", allow_hyphen_values = true, value_parser = fraction_in(P2P_WARN_BELOW))]
    pub warn_below: f64,
    /// FAIL a pair whose copy-engine bandwidth (GB/s, one way) is below
    /// this [above 0 up to 100000].
    #[arg(long, value_name = "GBPS", allow_hyphen_values = true, value_parser = parse_min_bandwidth)]
    pub min_bandwidth: Option<f64>,
    /// Give up on pairs not finished this long after their round began
    /// [1s to 1h].
    #[arg(long, value_name = "DURATION", default_value = "120s", allow_hyphen_values = true, value_parser = duration_in(P2P_TIMEOUT))]
    pub timeout: Duration,
    /// Testing only: corrupt the data copied from GPU A to GPU B (NVML
    /// indices A:B), to prove that corruption fails that pair alone.
    #[arg(long, value_name = "A:B", hide = true, value_parser = parse_gpu_pair)]
    pub inject_corruption: Option<(u32, u32)>,
    #[command(flatten)]
    pub config: crate::cli::ConfigPath,
}
