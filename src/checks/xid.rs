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
use crate::device::XidEvent;
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

const APP: &str =
    "usually an application fault: check the job's logs; if it repeats across jobs, reset the GPU";
const NVLINK: &str =
    "check NVLink/NVSwitch cabling and fabric manager; reset the GPU (nvidia-smi -r) or reboot the node";
const BUG_REPORT_RMA: &str = "drain the node; collect nvidia-bug-report.sh; RMA";
const BUS: &str = "drain the node and reboot it (a GPU reset cannot reach it); \
                   collect nvidia-bug-report.sh; reseat or RMA if it recurs";
const ROW_REMAP: &str = "row remapping recorded; reset to apply (nvidia-smi -r); \
                         RMA if remapping fails (XID 64)";
const RETIRE: &str =
    "resource retirement recorded; reset to apply (nvidia-smi -r); RMA if it recurs";
const SBE_RATE: &str =
    "memory is degrading: watch the ECC counters; drain the node and open an RMA if it persists";
const CONTAINED: &str = "restart the affected job; reset the GPU (nvidia-smi -r) when convenient \
                         to apply row remapping; RMA if it recurs";
const GSP: &str = "reset the GPU (nvidia-smi -r) or reboot the node; if it recurs, \
                   collect nvidia-bug-report.sh and check the driver/firmware version";
const POWER: &str =
    "check the board's auxiliary power cables, power supplies and cooling; RMA if it recurs";
const CATALOGUE: &str = "see NVIDIA's XID catalogue; reset the GPU if it repeats";

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
        46 => (Hardware, "GPU timeout: GPU stopped processing", remedy::RESET),
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
            "read the kernel log line; reset the GPU if the driver asks for it (XID 154)",
        ),
        154 => (
            Unknown,
            "GPU recovery action changed (summarises another XID)",
            "do what the kernel log line names: drain, reset the GPU or reboot the node",
        ),
        155 => (
            Unknown,
            "NVLink software-defined error (also raised when a link is put to sleep on purpose)",
            "if no link was taken down on purpose, check NVLink and fabric manager, then reset the GPU",
        ),
        // NVML's placeholder when an event carries no XID number.
        999 => (
            Unknown,
            "XID reported without its number; see the kernel log",
            CATALOGUE,
        ),
        _ => (Unknown, "unknown XID; see NVIDIA's XID catalogue", CATALOGUE),
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
            .starts_with("row remapping recorded; reset to apply"));
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
