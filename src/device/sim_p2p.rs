//! The simulated backend's peer-to-peer topology, from the fixture's
//! optional `p2p` section: how NVML says every pair is linked, and
//! per-pair overrides (another topology). What the copies do is the
//! simulated GPUs' business (`gpus[].compute`: rates, dropped copies,
//! memory faults, peers it cannot access, hung or lost devices): the p2p
//! workload runs on them as on real GPUs.

use super::p2p::PairLink;
use super::QueryError;
use serde::Deserialize;

/// A fixture's `p2p` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimP2p {
    /// How every pair is linked unless a pair says otherwise; absent means
    /// NVML cannot tell (NotSupported).
    pub link: Option<PairLink>,
    pub pairs: Vec<SimPair>,
}

/// Overrides for one pair, named by NVML indices (either order).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimPair {
    pub gpus: [u32; 2],
    pub link: Option<PairLink>,
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
}
