//! XID errors: what each number means, and one check per GPU from the XIDs
//! seen on it (NVML events and kernel-log lines).
//!
//! Classes follow NVIDIA's XID catalogue (docs.nvidia.com, "Analyzing Xid
//! Errors with the Xid Catalog", Ampere and later, and the older catalogue
//! for pre-Ampere numbers): an XID whose catalogued action is a GPU reset,
//! a node reboot, a mechanical check or an RMA is [`XidClass::Hardware`]; one
//! whose action is "restart the application" is [`XidClass::Application`].
//! Everything else is [`XidClass::Unknown`], including a few catalogued XIDs
//! whose meaning depends on detail the number does not carry (154, 144-150).

use super::remedy;
use crate::device::{Gpu, QueryError, Reading, XidEvent, XidSeen};
use crate::report::{Check, CheckStatus};

/// Who is most likely at fault for an XID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XidClass {
    /// The GPU, its memory, its links or its board: the check fails.
    Hardware,
    /// Usually the job that ran: the check warns.
    Application,
    /// Not in our table, or not decidable from the number alone: warns.
    Unknown,
}

/// What an XID number means and what an operator should do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XidInfo {
    pub xid: u64,
    pub class: XidClass,
    pub description: &'static str,
    pub remedy: &'static str,
}

use remedy::{
    XID_APP as APP, XID_BUG_REPORT_RMA as BUG_REPORT_RMA, XID_BUS as BUS,
    XID_CATALOGUE as CATALOGUE, XID_CONTAINED as CONTAINED, XID_GSP as GSP, XID_NVLINK as NVLINK,
    XID_POWER as POWER, XID_RETIRE as RETIRE, XID_ROW_REMAP as ROW_REMAP, XID_SBE_RATE as SBE_RATE,
};

/// Whether `xid` means a hardware fault (the class that fails the check).
pub fn is_hardware(xid: u64) -> bool {
    classify(xid).class == XidClass::Hardware
}

/// The meaning of one XID number.
pub fn classify(xid: u64) -> XidInfo {
    use XidClass::{Application, Hardware, Unknown};
    let (class, description, remedy) = match xid {
        // Memory: ECC, page retirement, row remapping.
        48 => (Hardware, "double-bit ECC error", remedy::RESET),
        // The catalogue says "ignore" for 63 on row-remapping GPUs (the remap
        // worked); we still fail so the pending remap gets its reset.
        63 => (
            Hardware,
            "ECC page retirement or row remapping event",
            ROW_REMAP,
        ),
        64 => (
            Hardware,
            "ECC page retirement or row remapping failure",
            BUG_REPORT_RMA,
        ),
        92 => (Hardware, "high single-bit ECC error rate", SBE_RATE),
        94 => (Hardware, "contained ECC error", CONTAINED),
        95 => (Hardware, "uncontained ECC error", remedy::RESET),
        140 => (Hardware, "unrecovered ECC error", remedy::RESET),
        156 => (Hardware, "resource retirement event", RETIRE),
        157 => (Hardware, "resource retirement failure", BUG_REPORT_RMA),
        // Pre-Ampere memory interface faults (unused from Ampere on).
        57 => (
            Hardware,
            "error programming video memory interface",
            remedy::RESET,
        ),
        58 => (Hardware, "unstable video memory interface", remedy::RESET),
        // Bus, board, firmware.
        79 => (Hardware, "GPU has fallen off the bus", BUS),
        54 => (
            Hardware,
            "power or cooling fault: GPU running at reduced clocks",
            POWER,
        ),
        46 => (
            Hardware,
            "GPU timeout: GPU stopped processing",
            remedy::RESET,
        ),
        62 => (Hardware, "internal micro-controller halt", remedy::RESET),
        109 => (Hardware, "context switch timeout", remedy::RESET),
        110 => (Hardware, "security fault", remedy::RESET),
        119 => (Hardware, "GSP RPC timeout", GSP),
        120 => (Hardware, "GSP error", GSP),
        143 => (Hardware, "GPU initialization failure", remedy::RESET),
        158 => (Hardware, "GPU fatal timeout", remedy::RESET),
        // NVLink.
        74 => (Hardware, "NVLink error", NVLINK),
        136 => (Hardware, "NVLink link training failure", NVLINK),
        // Application faults: the catalogue's action is "restart the app".
        8 => (Application, "GPU stopped processing (idle timeout)", APP),
        11 | 32 => (Application, "invalid or corrupted push buffer stream", APP),
        13 => (Application, "graphics engine exception", APP),
        31 => (Application, "GPU memory page fault", APP),
        39..=41 => (Application, "copy engine exception", APP),
        43 => (Application, "GPU stopped processing", APP),
        45 => (
            Application,
            "preemptive cleanup after an earlier error or process exit",
            APP,
        ),
        68 => (Application, "video decoder (NVDEC) exception", APP),
        69 => (Application, "graphics engine class error", APP),
        // Catalogued, but the number alone does not say how bad it is.
        144..=150 => (
            Unknown,
            "NVLink5 error; severity depends on the sub-code in the kernel log line",
            remedy::XID_NVLINK5,
        ),
        154 => (
            Unknown,
            "GPU recovery action changed (summarises another XID)",
            remedy::XID_RECOVERY,
        ),
        155 => (
            Unknown,
            "NVLink software-defined error (also raised when a link is put to sleep on purpose)",
            remedy::XID_NVLINK_SW,
        ),
        // NVML's placeholder when an event carries no XID number.
        999 => (
            Unknown,
            "XID reported without its number; see the kernel log",
            CATALOGUE,
        ),
        _ => (
            Unknown,
            "unknown XID; see NVIDIA's XID catalogue",
            CATALOGUE,
        ),
    };
    XidInfo {
        xid,
        class,
        description,
        remedy,
    }
}

/// How urgent a hardware XID is, to pick the remedy when several fail.
fn urgency(info: &XidInfo) -> u8 {
    match (info.class, info.xid) {
        // The GPU is gone or its memory cannot be repaired.
        (XidClass::Hardware, 79 | 64 | 157) => 4,
        // NVLink faults take down the whole NVLink domain's jobs.
        (XidClass::Hardware, 74 | 136) => 2,
        // Recorded, contained or degrading: the GPU still runs.
        (XidClass::Hardware, 54 | 63 | 92 | 94 | 156) => 1,
        (XidClass::Hardware, _) => 3,
        (XidClass::Application, _) => 0,
        (XidClass::Unknown, _) => 0,
    }
}

fn class_rank(class: XidClass) -> u8 {
    match class {
        XidClass::Hardware => 2,
        XidClass::Application => 1,
        XidClass::Unknown => 0,
    }
}

/// One check named `xid` for one GPU from the XID events attributed to it.
///
/// No events pass; any hardware XID fails with the most urgent one's remedy;
/// otherwise the check warns. The message lists every distinct XID, most
/// serious first, with its count and meaning.
pub fn xid_check(events: &[&XidEvent], sources: &str) -> Check {
    const NAME: &str = "xid";
    if events.is_empty() {
        let message = if sources.is_empty() {
            "no XID errors".to_string()
        } else {
            format!("no XID errors ({sources})")
        };
        // XIDs are numbers everywhere (here, burn's `xids`): none is [].
        return Check::new(NAME, CheckStatus::Pass, message).value(Vec::<u64>::new(), None);
    }

    // Distinct XIDs in first-seen order, with counts.
    let mut seen: Vec<(XidInfo, usize)> = Vec::new();
    for event in events {
        match seen.iter_mut().find(|(info, _)| info.xid == event.xid) {
            Some((_, count)) => *count += 1,
            None => seen.push((classify(event.xid), 1)),
        }
    }
    // Stable sort: ties keep first-seen order.
    seen.sort_by_key(|(info, _)| std::cmp::Reverse((class_rank(info.class), urgency(info))));

    let message = seen
        .iter()
        .map(|(info, count)| format!("XID {} x{} ({})", info.xid, count, info.description))
        .collect::<Vec<_>>()
        .join("; ");
    let value: Vec<u64> = seen.iter().map(|(info, _)| info.xid).collect();
    // Sorted, so the first entry is the worst and its remedy leads.
    let (worst, _) = seen[0];
    let status = if worst.class == XidClass::Hardware {
        CheckStatus::Fail
    } else {
        CheckStatus::Warn
    };
    Check::new(NAME, status, message)
        .value(value, None)
        .remedy(worst.remedy)
}

/// What the XID sources of one run saw, judged per GPU by one rule
/// ([`verdict`]) in every command that watches.
pub struct Evidence<'a> {
    /// The NVML watch (`harness::xids`); None when none ran.
    pub watch: Option<&'a XidSeen>,
    /// What the watch covered, for messages: "NVML events during the burn".
    pub watch_label: String,
    /// Kernel-log lines (`health`): read, or why not; None when not read.
    pub kernel: Option<&'a Reading<Vec<XidEvent>>>,
    /// What the kernel log covered: "kernel log since 24h".
    pub kernel_label: String,
    /// Any XID fails the GPU, whatever its class: an XID while the GPU is
    /// under test (burn, memtest).
    pub strict: bool,
}

impl Evidence<'_> {
    /// Every event seen, NVML's and the kernel log's.
    fn all(&self) -> impl Iterator<Item = &XidEvent> {
        let watched = self.watch.map(|w| w.events.as_slice()).unwrap_or_default();
        let logged = self.kernel.and_then(|k| k.value()).map(Vec::as_slice);
        watched.iter().chain(logged.unwrap_or_default())
    }

    /// The events attributed to `gpu`.
    pub fn of(&self, gpu: &Gpu) -> Vec<&XidEvent> {
        self.all().filter(|e| belongs(e, gpu)).collect()
    }

    /// The sources that were read, for the message.
    fn sources(&self, watched: bool) -> String {
        let mut read = Vec::new();
        if watched {
            read.push(self.watch_label.clone());
        }
        if self.kernel.is_some_and(|k| k.value().is_some()) {
            read.push(self.kernel_label.clone());
        }
        read.join("; ")
    }

    /// What could not be read, as report warnings.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(e) = self.watch.and_then(|w| w.error.as_ref()) {
            out.push(format!("NVML XID events unavailable: {e}"));
        }
        match self.kernel.map(Reading::as_result) {
            Some(Err(QueryError::NoPermission)) => out.push(
                "kernel log not readable (kernel.dmesg_restrict): run as root to include past XIDs"
                    .into(),
            ),
            Some(Err(e)) => out.push(format!("kernel log not readable: {e}")),
            _ => {}
        }
        out
    }

    /// XIDs of no GPU in `gpus` (outside the selection, unknown to NVML):
    /// still the node's problem, as a host check; the remedy names the bus
    /// ids the events carry.
    pub fn stray(&self, gpus: &[&Gpu]) -> Option<Check> {
        let stray: Vec<&XidEvent> = self
            .all()
            .filter(|e| !gpus.iter().any(|g| belongs(e, g)))
            .collect();
        if stray.is_empty() {
            return None;
        }
        let mut check = self.judged(xid_check(&stray, &self.sources(true)));
        check.message = format!("not attributed to a selected GPU: {}", check.message);
        let mut ids: Vec<&str> = stray
            .iter()
            .filter_map(|e| e.pci_bus_id.as_deref())
            .collect();
        ids.dedup();
        let ids = if ids.is_empty() {
            "the GPU".to_string()
        } else {
            ids.join(", ")
        };
        check.remedy = check.remedy.map(|r| r.replace(remedy::GPU, &ids));
        Some(check)
    }

    fn judged(&self, mut check: Check) -> Check {
        if self.strict && check.status == CheckStatus::Warn {
            check.status = CheckStatus::Fail;
        }
        check
    }
}

/// Whether an XID event is this GPU's: by NVML index for NVML events, by
/// PCI id for kernel-log lines.
pub fn belongs(e: &XidEvent, gpu: &Gpu) -> bool {
    match (e.gpu_index, &e.pci_bus_id) {
        (Some(i), _) if e.source == "nvml_event" => gpu.has_nvml && i == gpu.index,
        (_, Some(pci)) => crate::device::kernel_log::same_pci_device(pci, &gpu.pci_bus_id),
        _ => false,
    }
}

/// One GPU's `xid` check, the same rule in every command that watches:
///
/// - any XID seen on the GPU gives its verdict ([`xid_check`]), whatever
///   happened to the watch afterwards (the watch is lossless);
/// - none seen, and the watch covered the GPU to the end: PASS, naming what
///   was read;
/// - none seen, but the watch failed or could not cover the GPU: SKIP,
///   unverified (the fail-closed rule's `coverage` then refuses a healthy
///   verdict), except a GPU that is itself lost (FAIL) and a watch NVML
///   does not support or a stop cut short (plain SKIP);
/// - a GPU NVML cannot watch at all (lost, or unknown to NVML): SKIP.
pub fn verdict(evidence: &Evidence, gpu: &Gpu) -> Check {
    let own = evidence.watch.and_then(|w| w.unwatched.get(&gpu.index));
    let failed = own.or(evidence.watch.and_then(|w| w.error.as_ref()));
    let watchable = gpu.has_nvml && gpu.lost.is_none();
    let covered = watchable && evidence.watch.is_some() && failed.is_none();
    let mine = evidence.of(gpu);
    if !mine.is_empty() {
        return evidence.judged(xid_check(&mine, &evidence.sources(covered)));
    }
    const NAME: &str = "xid";
    match (watchable, evidence.watch, failed) {
        (false, ..) => Check::new(NAME, CheckStatus::Skip, "NVML cannot watch this GPU"),
        (true, None, _) => Check::new(
            NAME,
            CheckStatus::Skip,
            "NVML is unavailable: XID events not watched",
        ),
        (true, Some(_), None) => xid_check(&[], &evidence.sources(true)),
        (true, Some(_), Some(e)) => watch_failed(e, own.is_some()),
    }
}

/// The `xid` check of a watch that failed (`own`: on this GPU alone).
pub fn watch_failed(error: &QueryError, own: bool) -> Check {
    const WHAT: &str = "NVML XID events";
    match error {
        QueryError::NotSupported | QueryError::Interrupted => super::unreadable("xid", WHAT, error),
        QueryError::GpuLost if own => super::unreadable("xid", WHAT, error),
        e => Check::new(
            "xid",
            CheckStatus::Skip,
            format!("the XID watch failed ({e}): XIDs not verified"),
        )
        .unverified(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(xid: u64) -> XidEvent {
        XidEvent {
            gpu_index: Some(0),
            pci_bus_id: Some("0000:18:00".into()),
            xid,
            source: "kernel_log".into(),
            detail: String::new(),
        }
    }

    fn check_of(xids: &[u64]) -> Check {
        let events: Vec<XidEvent> = xids.iter().map(|&x| event(x)).collect();
        let refs: Vec<&XidEvent> = events.iter().collect();
        xid_check(&refs, "NVML events for 2s; kernel log since 24h")
    }

    fn gpu(index: u32, pci: &str) -> Gpu {
        Gpu {
            index,
            has_nvml: true,
            name: String::new(),
            uuid: String::new(),
            pci_bus_id: pci.into(),
            cuda: Vec::new(),
            lost: None,
        }
    }

    fn evidence(watch: &XidSeen, strict: bool) -> Evidence<'_> {
        Evidence {
            watch: Some(watch),
            watch_label: "NVML events during the burn".into(),
            kernel: None,
            kernel_label: String::new(),
            strict,
        }
    }

    fn nvml_event(index: u32, xid: u64) -> XidEvent {
        XidEvent {
            gpu_index: Some(index),
            pci_bus_id: None,
            xid,
            source: "nvml_event".into(),
            detail: String::new(),
        }
    }

    #[test]
    fn an_xid_seen_gives_its_verdict_whatever_the_watch_did_later() {
        let mut seen = XidSeen {
            events: vec![nvml_event(0, 48)],
            ..Default::default()
        };
        seen.unwatched.insert(1, QueryError::GpuLost);
        seen.error = Some(QueryError::GpuLost);
        let (g0, g1) = (gpu(0, "00000000:18:00.0"), gpu(1, "00000000:2A:00.0"));
        let c = verdict(&evidence(&seen, false), &g0);
        assert_eq!(
            (c.status, c.value),
            (CheckStatus::Fail, Some(serde_json::json!([48])))
        );
        // The GPU that fell off is lost, not "no XIDs".
        let c = verdict(&evidence(&seen, false), &g1);
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.message.contains("lost"), "{}", c.message);
    }

    #[test]
    fn a_failed_watch_is_unverified_and_unsupported_is_plain() {
        let g = gpu(0, "00000000:18:00.0");
        let failed = XidSeen {
            error: Some(QueryError::Failed("event set broke".into())),
            ..Default::default()
        };
        let c = verdict(&evidence(&failed, true), &g);
        assert_eq!(c.status, CheckStatus::Skip);
        assert!(
            c.unverified && c.message.contains("event set broke"),
            "{c:?}"
        );
        let mut unsupported = XidSeen::default();
        unsupported.unwatched.insert(0, QueryError::NotSupported);
        let c = verdict(&evidence(&unsupported, true), &g);
        assert_eq!(c.status, CheckStatus::Skip);
        assert!(!c.unverified);
        let clean = verdict(&evidence(&XidSeen::default(), true), &g);
        assert_eq!(clean.status, CheckStatus::Pass);
        assert_eq!(clean.message, "no XID errors (NVML events during the burn)");
        let lost = Gpu {
            lost: Some("fell off".into()),
            ..g.clone()
        };
        assert_eq!(
            verdict(&evidence(&XidSeen::default(), true), &lost).status,
            CheckStatus::Skip
        );
    }

    #[test]
    fn strict_fails_application_xids_and_stray_remedies_name_the_bus() {
        let seen = XidSeen {
            events: vec![nvml_event(0, 13)],
            ..Default::default()
        };
        let g = gpu(0, "00000000:18:00.0");
        assert_eq!(
            verdict(&evidence(&seen, false), &g).status,
            CheckStatus::Warn
        );
        assert_eq!(
            verdict(&evidence(&seen, true), &g).status,
            CheckStatus::Fail
        );
        let logged = Reading::Value(vec![XidEvent {
            gpu_index: None,
            pci_bus_id: Some("0000:99:00".into()),
            xid: 48,
            source: "kernel_log".into(),
            detail: String::new(),
        }]);
        let ev = Evidence {
            kernel: Some(&logged),
            kernel_label: "kernel log since 1day".into(),
            ..evidence(&seen, false)
        };
        let stray = ev.stray(&[&g]).expect("a stray XID");
        let r = stray.remedy.unwrap_or_default();
        assert!(r.contains("nvidia-smi -r -i 0000:99:00"), "{r}");
    }

    #[test]
    fn hardware_xids_classify_as_hardware() {
        for xid in [
            46, 48, 54, 57, 58, 62, 63, 64, 74, 79, 92, 94, 95, 109, 110, 119, 120, 136, 140, 143,
            156, 157, 158,
        ] {
            assert_eq!(classify(xid).class, XidClass::Hardware, "XID {xid}");
        }
    }

    #[test]
    fn application_and_unknown_xids() {
        for xid in [8, 13, 31, 32, 43, 45, 68, 69] {
            assert_eq!(classify(xid).class, XidClass::Application, "XID {xid}");
        }
        let unknown = classify(9999);
        assert_eq!(unknown.class, XidClass::Unknown);
        assert_eq!(
            unknown.description,
            "unknown XID; see NVIDIA's XID catalogue"
        );
        assert_eq!(classify(154).class, XidClass::Unknown);
        assert_eq!(classify(999).class, XidClass::Unknown);
    }

    #[test]
    fn remedies_are_worded_for_operators() {
        assert_eq!(classify(79).description, "GPU has fallen off the bus");
        assert!(classify(63)
            .remedy
            .starts_with("row remapping recorded: drain the node, then reset"));
        assert!(classify(74).remedy.contains("fabric manager"));
        assert!(classify(64).remedy.contains("nvidia-bug-report.sh"));
        assert_eq!(classify(13).remedy, APP);
    }

    #[test]
    fn no_events_pass_and_name_the_sources() {
        let c = xid_check(&[], "NVML events for 2s; kernel log since 24h");
        assert_eq!(c.name, "xid");
        assert_eq!(c.status, CheckStatus::Pass);
        assert_eq!(
            c.message,
            "no XID errors (NVML events for 2s; kernel log since 24h)"
        );
        assert_eq!(c.remedy, None);
        assert_eq!(xid_check(&[], "").message, "no XID errors");
    }

    #[test]
    fn hardware_xid_fails_with_counts_and_descriptions() {
        let c = check_of(&[13, 79, 13]);
        assert_eq!(c.status, CheckStatus::Fail);
        assert_eq!(
            c.message,
            "XID 79 x1 (GPU has fallen off the bus); XID 13 x2 (graphics engine exception)"
        );
        assert_eq!(c.value, Some(serde_json::json!([79, 13])));
        assert_eq!(c.unit, None);
        assert_eq!(c.threshold, None);
        assert_eq!(c.remedy.as_deref(), Some(BUS));
    }

    #[test]
    fn worst_hardware_xid_gives_the_remedy() {
        // 63 seen first, but 64 (remap failed) is the more urgent one.
        let c = check_of(&[63, 63, 64]);
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.message.starts_with("XID 64 x1"), "{}", c.message);
        assert!(c.message.contains("XID 63 x2"), "{}", c.message);
        assert_eq!(c.remedy.as_deref(), Some(BUG_REPORT_RMA));
        assert_eq!(c.value, Some(serde_json::json!([64, 63])));
    }

    #[test]
    fn application_or_unknown_only_warns() {
        let c = check_of(&[31, 9999, 31]);
        assert_eq!(c.status, CheckStatus::Warn);
        assert_eq!(
            c.message,
            "XID 31 x2 (GPU memory page fault); XID 9999 x1 (unknown XID; see NVIDIA's XID catalogue)"
        );
        assert_eq!(c.remedy.as_deref(), Some(APP));

        let unknown = check_of(&[9999]);
        assert_eq!(unknown.status, CheckStatus::Warn);
        assert_eq!(unknown.value, Some(serde_json::json!([9999])));
    }
}
