//! Peer-to-peer types shared by the real and simulated backends: how two
//! GPUs are linked (from NVML), whether peer access can be enabled, and
//! what one pair measured (from CUDA). `commands/p2p.rs` judges them.

use serde::{Deserialize, Serialize};

/// How two GPUs are joined, nearest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// NVLink links straight between the two GPUs.
    Nvlink,
    /// NVLink through NVSwitch (HGX/DGX): every pair reaches every other.
    Nvswitch,
    /// PCIe, on one board (NVML "internal", e.g. a dual-GPU card).
    PcieBoard,
    /// PCIe through one or more PCIe switches, no host bridge.
    PcieSwitch,
    /// PCIe through one host bridge.
    PcieHostBridge,
    /// PCIe through several host bridges of one NUMA node.
    PcieNode,
    /// PCIe across CPU sockets (the interconnect between them).
    PcieSystem,
}

impl LinkKind {
    /// Short label for the topology matrix, like `nvidia-smi topo -m`.
    pub fn label(self) -> &'static str {
        match self {
            LinkKind::Nvlink => "NV",
            LinkKind::Nvswitch => "NVS",
            LinkKind::PcieBoard => "BRD",
            LinkKind::PcieSwitch => "PIX",
            LinkKind::PcieHostBridge => "PHB",
            LinkKind::PcieNode => "NODE",
            LinkKind::PcieSystem => "SYS",
        }
    }

    pub fn is_nvlink(self) -> bool {
        matches!(self, LinkKind::Nvlink | LinkKind::Nvswitch)
    }
}

/// How NVML says one GPU reaches another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairLink {
    pub kind: LinkKind,
    /// Active NVLink links from the first GPU to the second (or to the
    /// switch, for NVSwitch); 0 over PCIe.
    #[serde(default)]
    pub nvlinks: u32,
    /// NVLink generation (4 on Hopper), when NVML says.
    #[serde(default)]
    pub nvlink_version: Option<u32>,
}

/// Peer access between two CUDA devices, both ways.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerAccess {
    /// cuDeviceCanAccessPeer, first to second and second to first.
    pub can_access: [bool; 2],
    /// Why enabling failed, each way; None when enabled (or already was).
    pub enable_error: [Option<String>; 2],
}

impl PeerAccess {
    /// Usable both ways: kernels may write through peer pointers.
    pub fn enabled(&self) -> bool {
        self.can_access.iter().all(|&c| c) && self.enable_error.iter().all(Option::is_none)
    }
}

/// What `p2p` asks of one pair.
#[derive(Debug, Clone, PartialEq)]
pub struct P2pConfig {
    /// Bytes per copy (each GPU holds a source and a destination buffer).
    pub bytes: u64,
    /// Timed repetitions per measurement (the median is reported).
    pub repeats: u32,
    /// Round trips of the ping-pong.
    pub pingpong_iters: u32,
    /// Testing only: corrupt the copy-engine data from the first GPU to
    /// the second after it lands, before it is verified.
    pub inject_corruption: bool,
}

/// One direction's or one method's integrity result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integrity {
    /// 64-bit words verified on the receiving GPU.
    pub words: u64,
    /// Words that differed from the pattern sent.
    pub mismatches: u64,
}

impl Integrity {
    pub fn add(&mut self, other: &Integrity) {
        self.words += other.words;
        self.mismatches += other.mismatches;
    }
}

/// What one unordered pair measured; `[0]` is first to second, `[1]` the
/// reverse. Bandwidth in GB/s (10^9 bytes per second of payload), median of
/// the repetitions; None when that measurement could not run (no peer
/// access for SM kernels).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PairMeasurement {
    /// Bytes per copy: the size asked for, less where the two GPUs' free
    /// memory could not hold it.
    pub copy_bytes: u64,
    pub ce_gbps: [Option<f64>; 2],
    /// Both directions at once, the sum of the two.
    pub ce_both_gbps: Option<f64>,
    pub sm_gbps: [Option<f64>; 2],
    pub sm_both_gbps: Option<f64>,
    /// Back-to-back 4-byte copy-engine copies, per copy (the method of the
    /// CUDA sample p2pBandwidthLatencyTest).
    pub copy_latency_us: [Option<f64>; 2],
    /// Back-to-back one-word kernel writes through a peer pointer, per write.
    pub write_latency_us: [Option<f64>; 2],
    /// Ping-pong through peer memory: half a round trip.
    pub pingpong_us: Option<f64>,
    /// Why the ping-pong gave no figure.
    pub pingpong_error: Option<String>,
    /// Verified on the receiving GPU, per direction, copy engine and SM.
    pub integrity_ce: [Integrity; 2],
    pub integrity_sm: [Integrity; 2],
}
