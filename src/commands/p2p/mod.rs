//! `gpuctl p2p`: peer-to-peer topology, enablement, integrity, bandwidth
//! and latency between every pair of selected GPUs.
//!
//! Pairs run in rounds of a round-robin schedule (pairs that share no GPU
//! run at once), each pair on its own detached thread with a deadline
//! (`harness::map_bounded`): a pair that errors, panics or hangs is
//! reported with why, and every other pair still runs. Each unordered pair
//! is measured once and yields two ordered entries (from, to), judged
//! separately.

mod checks;
use self::checks::judge_pair;
pub use self::checks::{bandwidth_check, integrity_check, topology_label};
pub mod render;

use super::{harness_target, Selected};
use crate::checks::remedy;
use crate::cli::{GlobalArgs, P2pArgs};
use crate::device::inventory::Enumerate;
use crate::device::p2p::{LinkKind, P2pConfig, PairLink, PairMeasurement, PeerAccess};
use crate::device::{Blame, Gpu, NvmlApi, QueryError};
use crate::error::AppError;
use crate::harness;
use crate::model::stats::{round1, round2};
use crate::report::{
    fail_closed, worst, Check, CheckStatus, GpuReport, P2pEnd, P2pPair, P2pSummary, Report,
    Required,
};
use crate::signal;
use crate::workloads::p2p;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The host check a selection of fewer than two GPUs gets.
pub const PAIRS_CHECK: &str = "p2p_pairs";

/// What a pair must have run and judged before it may pass (the
/// fail-closed rule): peer access, and unless `--enable-only`, verified
/// copies and their bandwidth. Topology is informative (NVML may not say)
/// and latency is reported, not judged.
pub const REQUIRED: [&str; 3] = ["p2p_peer_access", "p2p_integrity", "p2p_bandwidth"];
pub const REQUIRED_ENABLE_ONLY: [&str; 1] = ["p2p_peer_access"];

/// Round trips of the ping-pong (tens of milliseconds over NVLink).
const PINGPONG_ITERS: u32 = 10_000;
/// Budget for reading the topology of every pair from NVML.
const TOPOLOGY_TIMEOUT: Duration = Duration::from_secs(10);

/// NVLink payload per link per direction, GB/s, by NVLink version: the
/// datasheet figures (H100 SXM: 450 GB/s per direction over 18 links, so
/// 25 per link; the 26.6 GB/s signalling rate includes protocol overhead
/// no copy can use, and judging against it warned on healthy NV18 pairs).
pub fn nvlink_rate_gbps(version: Option<u32>) -> f64 {
    match version {
        Some(1) => 20.0,
        Some(5) => 50.0,
        // NVLink 2, 3 and 4, and the fallback when NVML does not say.
        _ => 25.0,
    }
}

/// PCIe payload per direction, GB/s: lanes x per-lane rate after line
/// coding, less about 10% for packet headers.
pub fn pcie_rate_gbps(gen: u32, width: u32) -> Option<f64> {
    let lane = match gen {
        1 => 0.25,
        2 => 0.5,
        3 => 0.985,
        4 => 1.969,
        5 => 3.938,
        6 => 7.563,
        _ => return None,
    };
    (width > 0).then(|| lane * f64::from(width) * 0.9)
}

/// What the link should carry one way, GB/s.
pub fn expected_gbps(link: &PairLink, pcie: Option<(u32, u32)>) -> Option<f64> {
    if link.kind.is_nvlink() {
        (link.nvlinks > 0).then(|| f64::from(link.nvlinks) * nvlink_rate_gbps(link.nvlink_version))
    } else {
        pcie.and_then(|(g, w)| pcie_rate_gbps(g, w))
    }
}

/// Rounds of a round-robin tournament over `n` players: every unordered
/// pair exactly once, no player twice in a round (the circle method).
pub fn rounds(n: usize) -> Vec<Vec<(usize, usize)>> {
    if n < 2 {
        return Vec::new();
    }
    // An odd count gets a bye (a phantom player).
    let m = n + n % 2;
    let mut ring: Vec<usize> = (0..m).collect();
    let mut out = Vec::new();
    for _ in 0..m - 1 {
        let mut round = Vec::new();
        for k in 0..m / 2 {
            let (a, b) = (ring[k], ring[m - 1 - k]);
            if a < n && b < n {
                round.push((a.min(b), a.max(b)));
            }
        }
        round.sort_unstable();
        out.push(round);
        // Keep the first fixed, rotate the rest.
        let last = ring.pop().unwrap_or(0);
        ring.insert(1, last);
    }
    out
}

/// One unordered pair's work for a round: CUDA ordinals in the order to
/// measure (or why CUDA cannot use one), what to measure, and whether the
/// order is swapped from the pair's.
struct Job {
    ordinals: Result<(u32, u32), String>,
    measure: Option<P2pConfig>,
    swap: bool,
}

/// What one unordered pair came back with.
#[derive(Debug, Clone)]
struct PairOutcome {
    access: Result<PeerAccess, String>,
    measured: Option<Result<PairMeasurement, String>>,
}

fn end(gpu: &Gpu) -> P2pEnd {
    P2pEnd {
        index: gpu.index,
        uuid: (!gpu.uuid.is_empty()).then(|| gpu.uuid.clone()),
        cuda_index: gpu.cuda_index(),
    }
}

fn pcie_of(nvml: Option<&Arc<dyn NvmlApi>>, gpu: &Gpu) -> Option<(u32, u32)> {
    let details = nvml?.details(gpu.index);
    let link = details.pcie_max.get()?;
    Some((link.gen, link.width))
}

pub fn run(global: &GlobalArgs, args: &P2pArgs) -> Result<Report, AppError> {
    let selected = Selected::open(global, Enumerate::Full)?;
    let gpus: Vec<&Gpu> = selected.gpus().collect();
    if let Some((a, b)) = args.inject_corruption {
        for i in [a, b] {
            if !gpus.iter().any(|g| g.index == i) {
                return Err(AppError::usage(format!(
                    "--inject-corruption {a}:{b}: GPU {i} is not selected"
                )));
            }
        }
    }
    let mut report = Report::new("p2p");
    report.driver = Some(selected.inventory.driver.clone());
    report.warnings = selected.inventory.warnings.clone();
    report.gpus = gpus.iter().map(|g| GpuReport::identity(g)).collect();
    let began = Instant::now();
    let mut summary = P2pSummary {
        enable_only: args.enable_only,
        size_bytes: (!args.enable_only).then_some(u64::from(args.size_mib) << 20),
        ..P2pSummary::default()
    };
    if gpus.len() < 2 {
        // Nothing tested is never healthy (the fail-closed rule), yet one
        // GPU is no fault of the node: a WARN, which still exits 0.
        let why = format!("no pairs ({} GPU selected): nothing to check", gpus.len());
        report.host_checks.push(
            Check::new(PAIRS_CHECK, CheckStatus::Warn, why.clone())
                .value(gpus.len() as u64, Some("GPUs"))
                .threshold(2)
                .remedy(remedy::P2P_NO_PAIRS),
        );
        summary.seconds = round2(began.elapsed().as_secs_f64());
        finish(&mut report, summary, false);
        report.summary = format!("p2p: {why}");
        return Ok(report);
    }
    let cuda = selected.cuda_for("p2p")?;
    let nvml = selected.backend.nvml().ok().cloned();
    let stop = signal::stop_flag();

    // Topology of every unordered pair, bounded (a hung NVML call must
    // not hold the run).
    let schedule = rounds(gpus.len());
    let all_pairs: Vec<(usize, usize)> = schedule.iter().flatten().copied().collect();
    let links: Vec<Result<PairLink, QueryError>> = match &nvml {
        Some(api) => {
            let items: Vec<(u32, u32)> = all_pairs
                .iter()
                .map(|&(i, j)| (gpus[i].index, gpus[j].index))
                .collect();
            let api = api.clone();
            harness::map_bounded(items, TOPOLOGY_TIMEOUT, stop, move |(a, b)| {
                api.p2p_link(a, b)
            })
            .into_iter()
            .map(|r| r.map_err(QueryError::Failed).and_then(|l| l))
            .collect()
        }
        None => all_pairs
            .iter()
            .map(|_| Err(QueryError::NotSupported))
            .collect(),
    };

    let config = P2pConfig {
        bytes: u64::from(args.size_mib) << 20,
        repeats: args.repeats,
        pingpong_iters: PINGPONG_ITERS,
        inject_corruption: false,
    };
    let mut outcomes: Vec<Option<PairOutcome>> = vec![None; all_pairs.len()];
    let (mut concurrency, holds) = (0, Arc::new(p2p::Holds::default()));
    for round in &schedule {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        concurrency = concurrency.max(round.len() as u32);
        let jobs: Vec<Job> = round
            .iter()
            .map(|&(i, j)| {
                let (gi, gj) = (gpus[i].index, gpus[j].index);
                // Corruption is injected into the first direction measured:
                // for "j to i", measure j first (and swap back after).
                let swap = args.inject_corruption == Some((gj, gi));
                let inject = swap || args.inject_corruption == Some((gi, gj));
                let ordinals = [gpus[i], gpus[j]]
                    .iter()
                    .map(|g| {
                        harness_target(g)
                            .cuda_ordinal
                            .map_err(|why| format!("GPU {}: {why}", g.index))
                    })
                    .collect::<Result<Vec<u32>, String>>()
                    .map(|o| if swap { (o[1], o[0]) } else { (o[0], o[1]) });
                Job {
                    ordinals,
                    measure: (!args.enable_only).then(|| P2pConfig {
                        inject_corruption: inject,
                        ..config.clone()
                    }),
                    swap,
                }
            })
            .collect();
        let (cuda, holds) = (cuda.clone(), holds.clone());
        let results = harness::map_bounded(jobs, args.timeout, stop, move |job| {
            let (x, y) = job.ordinals?;
            let (access, measured) = p2p::run_pair(&*cuda, x, y, job.measure.as_ref(), &holds)?;
            Ok::<_, String>((access, measured, job.swap))
        });
        for (&(i, j), result) in round.iter().zip(results) {
            let slot = all_pairs.iter().position(|&p| p == (i, j)).unwrap_or(0);
            outcomes[slot] = Some(match result.and_then(|r| r) {
                Ok((access, measured, swap)) => {
                    let (access, measured) = if swap {
                        (
                            swap_access(access),
                            measured.map(|m| m.map(swap_measurement)),
                        )
                    } else {
                        (access, measured)
                    };
                    PairOutcome {
                        access: Ok(access),
                        measured,
                    }
                }
                Err(e) => PairOutcome {
                    access: Err(e),
                    measured: None,
                },
            });
        }
    }
    let interrupted = stop.load(Ordering::Relaxed);

    let mut pairs = Vec::new();
    let mut pcie_cache: Vec<Option<Option<(u32, u32)>>> = vec![None; gpus.len()];
    for (slot, &(i, j)) in all_pairs.iter().enumerate() {
        for (dir, (from, to)) in [(i, j), (j, i)].into_iter().enumerate() {
            let link = links[slot].clone();
            let pcie = match &link {
                Ok(l) if !l.kind.is_nvlink() => {
                    let mut read = |k: usize| {
                        *pcie_cache[k].get_or_insert_with(|| pcie_of(nvml.as_ref(), gpus[k]))
                    };
                    match (read(from), read(to)) {
                        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.min(b.1))),
                        _ => None,
                    }
                }
                _ => None,
            };
            pairs.push(judge_pair(
                gpus[from],
                gpus[to],
                dir,
                link,
                pcie,
                outcomes[slot].as_ref(),
                args,
                interrupted,
            ));
        }
    }
    // Rows by from, then to: the matrix order.
    pairs.sort_by_key(|p| (p.from.index, p.to.index));
    summary.pairs = pairs;
    summary.concurrency = concurrency;
    summary.seconds = round2(began.elapsed().as_secs_f64());
    finish(&mut report, summary, interrupted);
    Ok(report)
}

fn swap_access(a: PeerAccess) -> PeerAccess {
    let [c0, c1] = a.can_access;
    let [e0, e1] = a.enable_error;
    PeerAccess {
        can_access: [c1, c0],
        enable_error: [e1, e0],
    }
}

fn swap_measurement(m: PairMeasurement) -> PairMeasurement {
    let sw = |[x, y]: [Option<f64>; 2]| [y, x];
    let [i0, i1] = m.integrity_ce;
    let [s0, s1] = m.integrity_sm;
    PairMeasurement {
        ce_gbps: sw(m.ce_gbps),
        sm_gbps: sw(m.sm_gbps),
        copy_latency_us: sw(m.copy_latency_us),
        write_latency_us: sw(m.write_latency_us),
        integrity_ce: [i1, i0],
        integrity_sm: [s1, s0],
        ..m
    }
}

fn finish(report: &mut Report, summary: P2pSummary, interrupted: bool) {
    let failed: Vec<String> = summary
        .pairs
        .iter()
        .filter(|p| p.status == CheckStatus::Fail)
        .map(|p| {
            let names: Vec<&str> = p
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Fail)
                .map(|c| c.name.as_str())
                .collect();
            format!("{}->{} ({})", p.from.index, p.to.index, names.join(", "))
        })
        .collect();
    let n = summary.pairs.len();
    let seconds = summary.seconds;
    report.p2p = Some(summary);
    let verdict = report.conclude(interrupted, &failed);
    report.summary = format!("p2p {verdict}: {n} ordered pairs in {seconds:.1} s");
}

#[cfg(test)]
mod tests {
    use super::checks::{pair_checks, seal};
    use super::*;
    use QueryError::NotSupported as NS;

    #[test]
    fn rounds_cover_every_pair_once_and_never_reuse_a_gpu() {
        for n in 0..=9 {
            let r = rounds(n);
            let mut seen = std::collections::BTreeSet::new();
            for round in &r {
                let mut used = std::collections::BTreeSet::new();
                for &(a, b) in round {
                    assert!(a < b && b < n);
                    assert!(used.insert(a) && used.insert(b), "GPU reused in {round:?}");
                    assert!(seen.insert((a, b)), "pair twice: {a}-{b}");
                }
            }
            assert_eq!(seen.len(), n * n.saturating_sub(1) / 2, "n = {n}");
            if n >= 2 {
                // Even n: n-1 rounds of n/2 pairs; 8 GPUs run 4 pairs at once.
                assert_eq!(r.len(), n - 1 + n % 2);
                assert_eq!(r[0].len(), n / 2);
            }
        }
    }

    #[test]
    fn expected_bandwidth_follows_the_link() {
        let nv = |kind, links, v| PairLink {
            kind,
            nvlinks: links,
            nvlink_version: v,
        };
        let x = expected_gbps(&nv(LinkKind::Nvlink, 18, Some(4)), None).unwrap();
        assert!((x - 450.0).abs() < 0.01, "{x}");
        // Unknown version: the NVLink 4 figure.
        assert_eq!(
            expected_gbps(&nv(LinkKind::Nvswitch, 18, None), None),
            Some(18.0 * 25.0)
        );
        assert_eq!(
            expected_gbps(&nv(LinkKind::Nvlink, 12, Some(3)), None),
            Some(300.0)
        );
        assert_eq!(expected_gbps(&nv(LinkKind::Nvlink, 0, Some(4)), None), None);
        let p = expected_gbps(&nv(LinkKind::PcieSwitch, 0, None), Some((5, 16))).unwrap();
        assert!((p - 56.7).abs() < 0.1, "{p}");
        assert_eq!(
            expected_gbps(&nv(LinkKind::PcieSystem, 0, None), None),
            None
        );
    }

    #[test]
    fn bandwidth_check_warns_fails_and_passes() {
        let c = bandwidth_check(Some(390.0), Some(381.0), Some(450.0), 0.8, None);
        assert_eq!(c.status, CheckStatus::Pass);
        assert_eq!(c.value, Some(serde_json::json!(381.0)));
        assert_eq!(c.threshold, Some(serde_json::json!(360.0)));
        let c = bandwidth_check(Some(200.0), Some(390.0), Some(450.0), 0.8, None);
        assert_eq!(c.status, CheckStatus::Warn);
        let c = bandwidth_check(Some(200.0), None, Some(450.0), 0.8, Some(300.0));
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.message.contains("--min-bandwidth"));
        assert_eq!(
            bandwidth_check(None, None, None, 0.8, None).status,
            CheckStatus::Fail
        );
        assert_eq!(
            bandwidth_check(Some(10.0), None, None, 0.8, None).status,
            CheckStatus::Pass
        );
    }

    #[test]
    fn integrity_fails_on_any_bad_word_and_on_nothing_verified() {
        assert_eq!(integrity_check(100, 0, 0).status, CheckStatus::Pass);
        let c = integrity_check(100, 1, 0);
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.message.contains("copy engine 1"));
        assert_eq!(integrity_check(100, 0, 2).status, CheckStatus::Fail);
        assert_eq!(integrity_check(0, 0, 0).status, CheckStatus::Fail);
    }

    fn gpu(index: u32) -> Gpu {
        Gpu {
            index,
            has_nvml: true,
            name: String::new(),
            uuid: String::new(),
            pci_bus_id: format!("00000000:{:02X}:00.0", 0x18 + index),
            cuda: Vec::new(),
            lost: None,
        }
    }

    fn blank_pair() -> P2pPair {
        let (a, b) = (gpu(0), gpu(1));
        let (pair, _) = pair_checks(&a, &b, 0, Err(NS), None, None, &args(), true);
        pair
    }

    fn args() -> P2pArgs {
        P2pArgs {
            enable_only: false,
            size_mib: 1,
            repeats: 1,
            warn_below: 0.8,
            min_bandwidth: None,
            timeout: Duration::from_secs(1),
            inject_corruption: None,
            config: Default::default(),
        }
    }

    #[test]
    fn a_pair_missing_a_required_check_fails_closed() {
        let (a, b) = (gpu(0), gpu(1));
        let pass = |n: &str| Check::new(n, CheckStatus::Pass, "ok");
        // Peer access passed but nothing was copied or timed: not healthy.
        let p = seal(
            blank_pair(),
            vec![pass("p2p_topology"), pass("p2p_peer_access")],
            &a,
            &b,
            &REQUIRED,
        );
        assert_eq!(p.status, CheckStatus::Fail);
        assert!(p.checks.iter().any(|c| c.name == "coverage"));
        // The same checks are enough with --enable-only.
        let p = seal(
            blank_pair(),
            vec![pass("p2p_topology"), pass("p2p_peer_access")],
            &a,
            &b,
            &REQUIRED_ENABLE_ONLY,
        );
        assert_eq!(p.status, CheckStatus::Pass);
        // Every required check: a pass, remedies naming both GPUs.
        let mut checks: Vec<Check> = REQUIRED.iter().map(|n| pass(n)).collect();
        checks[1] = Check::new("p2p_integrity", CheckStatus::Warn, "").remedy(remedy::P2P_CORRUPT);
        let p = seal(blank_pair(), checks, &a, &b, &REQUIRED);
        assert_eq!(p.status, CheckStatus::Warn);
        let r = p.checks[1].remedy.as_deref().unwrap_or_default();
        assert!(r.contains("00000000:18:00.0 and 00000000:19:00.0"), "{r}");
    }

    #[test]
    fn an_interrupted_pair_stays_a_warn() {
        let (a, b) = (gpu(0), gpu(1));
        let (pair, checks) = pair_checks(&a, &b, 0, Err(NS), None, None, &args(), true);
        let p = seal(pair, checks, &a, &b, &REQUIRED);
        assert_eq!(p.status, CheckStatus::Warn);
        assert!(!p.checks.iter().any(|c| c.name == "coverage"));
        // Not interrupted: a pair that never ran fails.
        let (pair, checks) = pair_checks(&a, &b, 0, Err(NS), None, None, &args(), false);
        assert_eq!(
            seal(pair, checks, &a, &b, &REQUIRED).status,
            CheckStatus::Fail
        );
    }

    #[test]
    fn labels_match_nvidia_smi_topo() {
        let l = PairLink {
            kind: LinkKind::Nvlink,
            nvlinks: 18,
            nvlink_version: Some(4),
        };
        assert_eq!(topology_label(&l), "NV18");
        let l = PairLink {
            kind: LinkKind::PcieHostBridge,
            nvlinks: 0,
            nvlink_version: None,
        };
        assert_eq!(topology_label(&l), "PHB");
    }
}
