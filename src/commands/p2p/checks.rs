//! `p2p`'s checks of one ordered pair: peer access, integrity of every
//! copied word, bandwidth against what the link should carry, latency.

use super::*;

/// The checks of one ordered pair (`dir` 0: first to second of the
/// measured pair; 1: the reverse).
#[allow(clippy::too_many_arguments)]
pub(super) fn judge_pair(
    from: &Gpu,
    to: &Gpu,
    dir: usize,
    link: Result<PairLink, QueryError>,
    pcie: Option<(u32, u32)>,
    outcome: Option<&PairOutcome>,
    args: &P2pArgs,
    interrupted: bool,
) -> P2pPair {
    let (pair, checks) = pair_checks(from, to, dir, link, pcie, outcome, args, interrupted);
    let required: &[&str] = if args.enable_only {
        &REQUIRED_ENABLE_ONLY
    } else {
        &REQUIRED
    };
    seal(pair, checks, from, to, required)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn pair_checks(
    from: &Gpu,
    to: &Gpu,
    dir: usize,
    link: Result<PairLink, QueryError>,
    pcie: Option<(u32, u32)>,
    outcome: Option<&PairOutcome>,
    args: &P2pArgs,
    interrupted: bool,
) -> (P2pPair, Vec<Check>) {
    let mut checks = Vec::new();
    let mut pair = P2pPair {
        from: end(from),
        to: end(to),
        status: CheckStatus::Pass,
        link: None,
        nvlinks: None,
        nvlink_version: None,
        expected_gbps: None,
        can_access_peer: None,
        peer_access_enabled: None,
        copy_bytes: None,
        ce_gbps: None,
        ce_both_gbps: None,
        sm_gbps: None,
        sm_both_gbps: None,
        copy_latency_us: None,
        write_latency_us: None,
        pingpong_us: None,
        words_verified: 0,
        mismatches: 0,
        error: None,
        checks: Vec::new(),
    };
    let nvlink = link.as_ref().is_ok_and(|l| l.kind.is_nvlink());
    match &link {
        Ok(l) => {
            pair.link = serde_json::to_value(l.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string));
            pair.nvlinks = Some(l.nvlinks);
            pair.nvlink_version = l.nvlink_version;
            pair.expected_gbps = expected_gbps(l, pcie).map(round1);
            checks.push(
                Check::new("p2p_topology", CheckStatus::Pass, describe_link(l, pcie))
                    .value(topology_label(l), None),
            );
        }
        // A hung or failed read FAILs (the bandwidth goes unjudged); no
        // NVML (NotSupported) is a SKIP.
        Err(e) => checks.push(crate::checks::unreadable("p2p_topology", "the link", e)),
    }

    let Some(outcome) = outcome else {
        let status = if interrupted {
            CheckStatus::Warn
        } else {
            CheckStatus::Fail
        };
        let why = if interrupted {
            "interrupted before this pair ran"
        } else {
            "this pair never ran"
        };
        pair.error = Some(why.into());
        checks.push(Check::new("p2p_ran", status, why));
        return (pair, checks);
    };
    let access = match &outcome.access {
        Ok(a) => a,
        Err(e) => {
            pair.error = Some(e.clone());
            let status = if interrupted && e.contains("interrupted") {
                CheckStatus::Warn
            } else {
                CheckStatus::Fail
            };
            checks.push(
                Check::new("p2p_ran", status, format!("the pair could not run: {e}"))
                    .remedy(remedy::for_blame(Blame::Unknown)),
            );
            return (pair, checks);
        }
    };
    pair.can_access_peer = Some(access.can_access[dir]);
    let enabled = access.can_access[dir] && access.enable_error[dir].is_none();
    pair.peer_access_enabled = Some(enabled);
    checks.push(if enabled {
        Check::new("p2p_peer_access", CheckStatus::Pass, "peer access enabled").value(true, None)
    } else {
        let why = access.enable_error[dir]
            .clone()
            .unwrap_or_else(|| "not allowed".into());
        if nvlink {
            Check::new(
                "p2p_peer_access",
                CheckStatus::Fail,
                format!("the GPUs share NVLink but peer access is unavailable: {why}"),
            )
            .value(false, None)
            .remedy(remedy::P2P_NVLINK_NO_PEER)
        } else {
            Check::new(
                "p2p_peer_access",
                CheckStatus::Warn,
                format!("peer access unavailable, copies go through host memory: {why}"),
            )
            .value(false, None)
            .remedy(remedy::P2P_PCIE_NO_PEER)
        }
    });
    if args.enable_only {
        return (pair, checks);
    }
    let m = match &outcome.measured {
        Some(Ok(m)) => m,
        Some(Err(e)) => {
            pair.error = Some(e.clone());
            checks.push(
                Check::new(
                    "p2p_integrity",
                    CheckStatus::Fail,
                    format!("copies between the GPUs failed: {e}"),
                )
                .remedy(remedy::P2P_COPY_FAILED),
            );
            return (pair, checks);
        }
        None => {
            pair.error = Some("not measured".into());
            checks.push(Check::new(
                "p2p_integrity",
                CheckStatus::Fail,
                "nothing was copied: the pair proved nothing",
            ));
            return (pair, checks);
        }
    };
    pair.copy_bytes = (m.copy_bytes > 0).then_some(m.copy_bytes);
    pair.ce_gbps = m.ce_gbps[dir].map(round1);
    pair.ce_both_gbps = m.ce_both_gbps.map(round1);
    pair.sm_gbps = m.sm_gbps[dir].map(round1);
    pair.sm_both_gbps = m.sm_both_gbps.map(round1);
    pair.copy_latency_us = m.copy_latency_us[dir].map(round2);
    pair.write_latency_us = m.write_latency_us[dir].map(round2);
    pair.pingpong_us = m.pingpong_us.map(round2);
    let (ce, sm) = (&m.integrity_ce[dir], &m.integrity_sm[dir]);
    pair.words_verified = ce.words + sm.words;
    pair.mismatches = ce.mismatches + sm.mismatches;
    checks.push(integrity_check(
        pair.words_verified,
        ce.mismatches,
        sm.mismatches,
    ));
    checks.push(bandwidth_check(
        pair.ce_gbps,
        pair.ce_both_gbps.map(|b| b / 2.0),
        pair.expected_gbps,
        args.warn_below,
        args.min_bandwidth,
    ));
    checks.push(latency_check(&pair, m, enabled));
    (pair, checks)
}

/// The pair's verdict under the fail-closed rule, its remedies naming both
/// GPUs. A pair with a `p2p_ran` check did not run: that check already
/// says so (FAIL, or WARN when Ctrl-C stopped it first), and the coverage
/// check would only turn an interruption into a hardware FAIL.
pub(super) fn seal(
    mut pair: P2pPair,
    mut checks: Vec<Check>,
    from: &Gpu,
    to: &Gpu,
    required: &[&str],
) -> P2pPair {
    if !checks.iter().any(|c| c.name == "p2p_ran") {
        let required = Required {
            checks: required,
            deselected: &[],
        };
        if let Some(coverage) = fail_closed(&checks, &required) {
            checks.push(coverage);
        }
    }
    pair.status = worst(&checks);
    pair.checks = remedy::fill_pair(checks, from, to);
    pair
}

/// `NV18`, `NVS18`, `PIX`: the topology matrix cell.
pub fn topology_label(l: &PairLink) -> String {
    match l.kind {
        LinkKind::Nvlink | LinkKind::Nvswitch => format!("{}{}", l.kind.label(), l.nvlinks),
        k => k.label().to_string(),
    }
}

pub(super) fn describe_link(l: &PairLink, pcie: Option<(u32, u32)>) -> String {
    let version = l
        .nvlink_version
        .map_or(String::new(), |v| format!(" (NVLink {v})"));
    let pcie_text = pcie.map_or(String::new(), |(g, w)| format!(", Gen{g} x{w}"));
    match l.kind {
        LinkKind::Nvlink => format!("{} active NVLink links{version}", l.nvlinks),
        LinkKind::Nvswitch => format!(
            "through NVSwitch, {} active NVLink links{version}",
            l.nvlinks
        ),
        LinkKind::PcieBoard => format!("PCIe on one board{pcie_text}"),
        LinkKind::PcieSwitch => format!("PCIe through PCIe switches{pcie_text}"),
        LinkKind::PcieHostBridge => format!("PCIe through the host bridge{pcie_text}"),
        LinkKind::PcieNode => format!("PCIe across host bridges of one NUMA node{pcie_text}"),
        LinkKind::PcieSystem => format!("PCIe across CPU sockets{pcie_text}"),
    }
}

/// FAIL on any word that arrived wrong, and when nothing was verified.
pub fn integrity_check(words: u64, ce_bad: u64, sm_bad: u64) -> Check {
    let bad = ce_bad + sm_bad;
    if bad > 0 {
        return Check::new(
            "p2p_integrity",
            CheckStatus::Fail,
            format!(
                "{bad} of {words} words arrived wrong (copy engine {ce_bad}, SM kernel {sm_bad})"
            ),
        )
        .value(bad, Some("words"))
        .threshold(0)
        .remedy(remedy::P2P_CORRUPT);
    }
    if words == 0 {
        return Check::new(
            "p2p_integrity",
            CheckStatus::Fail,
            "no word was verified: the pair proved nothing",
        )
        .remedy(remedy::P2P_NOTHING_VERIFIED);
    }
    Check::new(
        "p2p_integrity",
        CheckStatus::Pass,
        format!("all {words} words arrived intact"),
    )
    .value(0, Some("words"))
    .threshold(0)
}

/// Copy-engine bandwidth (the lower of one way and half of both ways)
/// against `--min-bandwidth` (FAIL) and `--warn-below` of the expected
/// figure (WARN).
pub fn bandwidth_check(
    one_way: Option<f64>,
    half_both: Option<f64>,
    expected: Option<f64>,
    warn_below: f64,
    min_bandwidth: Option<f64>,
) -> Check {
    let measured = match (one_way, half_both) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let Some(gbps) = measured else {
        return Check::new(
            "p2p_bandwidth",
            CheckStatus::Fail,
            "no copy-engine bandwidth was measured",
        );
    };
    let gbps = round1(gbps);
    if let Some(min) = min_bandwidth {
        if gbps < min {
            return Check::new(
                "p2p_bandwidth",
                CheckStatus::Fail,
                format!("{gbps} GB/s, below --min-bandwidth {min} GB/s"),
            )
            .value(gbps, Some("GB/s"))
            .threshold(min)
            .remedy(remedy::P2P_BELOW_FLOOR);
        }
    }
    match expected {
        Some(want) if gbps < warn_below * want => Check::new(
            "p2p_bandwidth",
            CheckStatus::Warn,
            format!(
                "{gbps} GB/s, below {:.0}% of the {want:.1} GB/s the link should carry",
                warn_below * 100.0
            ),
        )
        .value(gbps, Some("GB/s"))
        .threshold(round1(warn_below * want))
        .remedy(remedy::P2P_SLOW),
        Some(want) => Check::new(
            "p2p_bandwidth",
            CheckStatus::Pass,
            format!(
                "{gbps} GB/s, {:.0}% of the {want:.1} GB/s the link should carry",
                100.0 * gbps / want
            ),
        )
        .value(gbps, Some("GB/s"))
        .threshold(round1(warn_below * want)),
        None => Check::new(
            "p2p_bandwidth",
            CheckStatus::Pass,
            format!("{gbps} GB/s (no expected figure for this link)"),
        )
        .value(gbps, Some("GB/s")),
    }
}

/// Latency is reported, not judged, except a ping-pong that never came
/// back with peer access on: a write through the link was lost.
pub(super) fn latency_check(pair: &P2pPair, m: &PairMeasurement, peer: bool) -> Check {
    if peer {
        if let Some(e) = &m.pingpong_error {
            return Check::new("p2p_latency", CheckStatus::Fail, e.clone())
                .remedy(remedy::P2P_COPY_FAILED);
        }
    }
    let parts: Vec<String> = [
        ("copy", pair.copy_latency_us),
        ("peer write", pair.write_latency_us),
        ("ping-pong", pair.pingpong_us),
    ]
    .iter()
    .filter_map(|(n, v)| v.map(|v| format!("{n} {v:.2} us")))
    .collect();
    match pair.copy_latency_us {
        Some(us) => {
            Check::new("p2p_latency", CheckStatus::Pass, parts.join(", ")).value(us, Some("us"))
        }
        None => Check::new("p2p_latency", CheckStatus::Skip, "latency not measured"),
    }
}
