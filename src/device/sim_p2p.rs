//! The simulated backend's peer-to-peer behaviour, from the fixture's
//! optional `p2p` section: one link and one set of rates for every pair,
//! and per-pair overrides (another topology, no peer access, corruption,
//! an error, a panic or a hang) so each failure path runs in tests.

use super::p2p::{Integrity, P2pConfig, PairLink, PairMeasurement, PeerAccess};
use super::QueryError;
use serde::Deserialize;
use std::time::Duration;

/// A fixture's `p2p` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimP2p {
    /// How every pair is linked unless a pair says otherwise; absent means
    /// NVML cannot tell (NotSupported).
    pub link: Option<PairLink>,
    pub ce_gbps: f64,
    pub ce_both_gbps: f64,
    pub sm_gbps: f64,
    pub sm_both_gbps: f64,
    pub copy_latency_us: f64,
    pub write_latency_us: f64,
    pub pingpong_us: f64,
    /// Wall time of one pair's measurement.
    pub pair_ms: u64,
    pub pairs: Vec<SimPair>,
}

impl Default for SimP2p {
    fn default() -> Self {
        Self {
            link: None,
            ce_gbps: 390.0,
            ce_both_gbps: 770.0,
            sm_gbps: 370.0,
            sm_both_gbps: 720.0,
            copy_latency_us: 2.3,
            write_latency_us: 2.6,
            pingpong_us: 1.3,
            pair_ms: 20,
            pairs: Vec::new(),
        }
    }
}

/// Overrides for one pair, named by NVML indices (either order).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimPair {
    pub gpus: [u32; 2],
    pub link: Option<PairLink>,
    /// cuDeviceCanAccessPeer says no.
    pub no_peer_access: bool,
    /// Copy-engine rate each way and both ways, instead of the default.
    pub ce_gbps: Option<f64>,
    /// Words that arrive wrong on every copy-engine copy.
    pub corrupt_words: u64,
    /// The measurement fails with this CUDA error.
    pub error: Option<String>,
    /// The measurement panics (a bug must fail the pair, not the run).
    pub panic: bool,
    /// The measurement never returns (a hung driver call).
    pub hang: bool,
}

impl SimP2p {
    pub fn pair(&self, a: u32, b: u32) -> Option<&SimPair> {
        self.pairs
            .iter()
            .find(|p| p.gpus == [a, b] || p.gpus == [b, a])
    }

    pub fn link(&self, a: u32, b: u32) -> Result<PairLink, QueryError> {
        self.pair(a, b)
            .and_then(|p| p.link.clone())
            .or_else(|| self.link.clone())
            .ok_or(QueryError::NotSupported)
    }

    pub fn enable(&self, a: u32, b: u32) -> PeerAccess {
        let blocked = self.pair(a, b).is_some_and(|p| p.no_peer_access);
        let why = blocked
            .then(|| "cuDeviceCanAccessPeer says the platform does not allow it".to_string());
        PeerAccess {
            can_access: [!blocked; 2],
            enable_error: [why.clone(), why],
        }
    }

    /// `a` and `b` are NVML indices.
    pub fn measure(
        &self,
        a: u32,
        b: u32,
        config: &P2pConfig,
    ) -> Result<PairMeasurement, QueryError> {
        let spec = self.pair(a, b).cloned().unwrap_or_default();
        std::thread::sleep(Duration::from_millis(self.pair_ms));
        if spec.panic {
            panic!("simulated p2p bug on pair {a}-{b}");
        }
        if spec.hang {
            std::thread::sleep(Duration::from_secs(3600));
        }
        if let Some(e) = spec.error {
            return Err(QueryError::Failed(e));
        }
        let peer = !spec.no_peer_access;
        // One verify after the one-way copies, one after both ways, as on
        // a real GPU.
        let words = config.bytes / 8 * 2;
        let ok = |w| Integrity {
            words: w,
            mismatches: 0,
        };
        let mut ce = [ok(words), ok(words)];
        for c in &mut ce {
            c.mismatches = spec.corrupt_words.min(words);
        }
        if config.inject_corruption {
            ce[0].mismatches += 1;
        }
        let ce_rate = spec.ce_gbps.unwrap_or(self.ce_gbps);
        let both = spec.ce_gbps.map_or(self.ce_both_gbps, |r| 2.0 * r);
        let when = |x: f64| peer.then_some(x);
        Ok(PairMeasurement {
            ce_gbps: [Some(ce_rate); 2],
            ce_both_gbps: Some(both),
            sm_gbps: [when(self.sm_gbps); 2],
            sm_both_gbps: when(self.sm_both_gbps),
            copy_latency_us: [Some(self.copy_latency_us); 2],
            write_latency_us: [when(self.write_latency_us); 2],
            pingpong_us: when(self.pingpong_us),
            pingpong_error: (!peer).then(|| "needs peer access".to_string()),
            integrity_ce: ce,
            integrity_sm: if peer {
                [ok(words), ok(words)]
            } else {
                Default::default()
            },
        })
    }
}
