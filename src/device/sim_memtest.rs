//! The simulated memory test: memory, bandwidth and faults from the
//! fixture's optional `memtest` object, so every path of `gpuctl memtest`
//! runs in CI. Injected bit flips are found by the next check with the
//! exact value the real kernel would have expected there.

use super::memtest::{
    self, Allocation, MemtestConfig, MemtestSetup, MemtestWorker, Mismatch, Phase, PhaseStats,
    WipeStats, MAX_RECORDS,
};
use super::types::{EccCounts, RowRemap};
use serde::Deserialize;
use std::time::Duration;

/// Where the simulated memory starts (a plausible device address).
pub const SIM_BASE: u64 = 0x7f00_0000_0000;

/// A stuck bit the simulated memory shows in one phase.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimStuck {
    /// Phase (0-based, counted over the whole run) whose check finds it.
    pub phase: u64,
    /// Byte offset of the word (rounded down to 8).
    pub offset: u64,
    /// Bit of the 64-bit word.
    pub bit: u32,
}

/// How a simulated GPU behaves under `memtest`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimMemtest {
    /// Pattern traffic (bytes read plus written), GB/s.
    pub gbps: f64,
    /// Wall time of one phase.
    pub phase_ms: u64,
    /// Free memory when the test starts; default the fixture's NVML free.
    pub free_bytes: Option<u64>,
    /// Allocations beyond this fail with out-of-memory (memory taken by
    /// another process meanwhile); default all of `free_bytes`.
    pub available_bytes: Option<u64>,
    pub stuck: Option<SimStuck>,
    /// This phase fails with a CUDA error.
    pub error_at_phase: Option<u64>,
    /// This phase panics.
    pub panic_at_phase: Option<u64>,
    /// This phase never returns.
    pub hang_at_phase: Option<u64>,
    /// Set-up fails with this message.
    pub start_error: Option<String>,
    /// Words still not zero after the wipe.
    pub wipe_mismatches: u64,
    /// Added to the volatile ECC counts once the test has started.
    pub ecc_during: Option<EccCounts>,
    /// The row-remap state once the test has started.
    pub remap_during: Option<RowRemap>,
}

impl Default for SimMemtest {
    fn default() -> Self {
        Self {
            gbps: 2900.0,
            phase_ms: 2,
            free_bytes: None,
            available_bytes: None,
            stuck: None,
            error_at_phase: None,
            panic_at_phase: None,
            hang_at_phase: None,
            start_error: None,
            wipe_mismatches: 0,
            ecc_during: None,
            remap_during: None,
        }
    }
}

pub(super) struct SimMemtestWorker {
    spec: SimMemtest,
    setup: MemtestSetup,
    phase: u64,
    /// Flipped words not yet overwritten: (offset, mask).
    flips: Vec<(u64, u64)>,
}

pub(super) fn start(
    spec: &SimMemtest,
    total: u64,
    free: u64,
    config: &MemtestConfig,
) -> Result<SimMemtestWorker, String> {
    if let Some(e) = &spec.start_error {
        return Err(e.clone());
    }
    let free = spec.free_bytes.unwrap_or(free).min(total);
    let mut left = spec.available_bytes.unwrap_or(free);
    let mut a = Allocation {
        total_bytes: total,
        free_bytes: free,
        target_bytes: memtest::target_bytes(free, config.memory_fraction),
        ..Default::default()
    };
    memtest::allocate_with_recovery(
        &mut a,
        |size| {
            Ok(if size <= left {
                left -= size;
                true
            } else {
                false
            })
        },
        |_| {},
    )?;
    Ok(SimMemtestWorker {
        spec: spec.clone(),
        setup: MemtestSetup {
            allocation: a,
            detail: "simulated memory test".into(),
        },
        phase: 0,
        flips: Vec::new(),
    })
}

impl MemtestWorker for SimMemtestWorker {
    fn setup(&self) -> &MemtestSetup {
        &self.setup
    }

    fn run_phase(&mut self, phase: &Phase) -> Result<PhaseStats, String> {
        let this = self.phase;
        self.phase += 1;
        std::thread::sleep(Duration::from_millis(self.spec.phase_ms));
        if self.spec.panic_at_phase == Some(this) {
            panic!("simulated worker bug in phase {this}");
        }
        if self.spec.hang_at_phase == Some(this) {
            std::thread::sleep(Duration::from_secs(3600));
        }
        if self.spec.error_at_phase == Some(this) {
            return Err(format!(
                "phase {this}: memory test kernel failed: CUDA_ERROR_ECC_UNCORRECTABLE (214)"
            ));
        }
        let (bytes_read, bytes_written) = phase.bytes(self.setup.allocation.tested_bytes);
        let mut stats = PhaseStats {
            bytes_read,
            bytes_written,
            ..Default::default()
        };
        stats.seconds = (stats.bytes_read + stats.bytes_written) as f64 / (self.spec.gbps * 1e9);
        if let Some(check) = phase.check {
            let mut found: Vec<(u64, u64)> = self.flips.clone();
            if let Some(s) = self.spec.stuck.filter(|s| s.phase == this) {
                found.push((s.offset & !7, 1u64 << (s.bit & 63)));
            }
            for (offset, mask) in found {
                let address = SIM_BASE + offset;
                if !phase.select.takes(address) {
                    continue;
                }
                let expected = memtest::value(&check, address);
                stats.mismatches += 1;
                if stats.records.len() < MAX_RECORDS {
                    stats.records.push(Mismatch {
                        offset,
                        address,
                        expected,
                        actual: expected ^ mask,
                    });
                }
            }
        }
        if phase.write.is_some() {
            // A write overwrites the flips in the words it touches.
            self.flips
                .retain(|&(offset, _)| !phase.select.takes(SIM_BASE + offset));
        }
        Ok(stats)
    }

    fn flip(&mut self, offset: u64, mask: u64) -> Result<u64, String> {
        if offset + 8 > self.setup.allocation.tested_bytes {
            return Err(format!("offset {offset} is beyond the memory under test"));
        }
        self.flips.push((offset, mask));
        Ok(SIM_BASE + offset)
    }

    fn wipe(&mut self) -> Result<WipeStats, String> {
        self.flips.clear();
        Ok(WipeStats {
            bytes: self.setup.allocation.tested_bytes,
            mismatches: self.spec.wipe_mismatches,
        })
    }
}
