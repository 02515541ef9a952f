//! XID errors from the kernel log: the driver prints every XID there, also
//! those that happened before this run, which NVML events cannot show.
//!
//! The driver's line is `NVRM: Xid (PCI:dddd:bb:dd[ GPU-I:nn GPU-CI:nn]): N,
//! detail` (older drivers leave out `PCI:`). The PCI id has no function
//! number, so callers match it to a GPU with [`same_pci_device`].

use super::{QueryError, Reading, XidEvent};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration;

const KMSG: &str = "/dev/kmsg";

/// Largest record the kernel hands out (`CONSOLE_EXT_LOG_MAX`); a smaller
/// buffer makes read() fail with EINVAL.
const RECORD_MAX: usize = 8192;

/// Upper bound on records read, so a log flooded while we read still ends.
const MAX_RECORDS: usize = 1 << 20;

/// Parses one kernel log message such as
/// `NVRM: Xid (PCI:0000:18:00): 79, pid=1234, name=python, GPU has fallen off the bus.`
/// into (PCI id as `0000:18:00`, XID, the rest of the line). Also takes the
/// older form without `PCI:`, MIG lines (`PCI:0000:18:00 GPU-I:05`) and any
/// prefix (dmesg `[ 123.456] `, syslog). None for any other line.
pub fn parse_xid_line(line: &str) -> Option<(String, u64, String)> {
    const MARK: &str = "NVRM: Xid";
    let start = line.find(MARK)? + MARK.len();
    let rest = line[start..].trim_start().strip_prefix('(')?;
    let close = rest.find(')')?;
    // First token inside the parentheses is the PCI id; MIG ids may follow.
    let id = rest[..close].split_whitespace().next()?;
    let (domain, bus, device) = parse_pci(id)?;
    let rest = rest[close + 1..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start();
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let xid: u64 = rest[..digits].parse().ok()?;
    let detail = rest[digits..].trim_start();
    let detail = detail.strip_prefix(',').unwrap_or(detail).trim();
    Some((
        // NVML's form, like every PCI id gpuctl prints; the log names no
        // function, and a GPU is function 0.
        format!("{domain:08X}:{bus:02X}:{device:02X}.0"),
        xid,
        detail.to_string(),
    ))
}

/// XID events from kernel log lines (already windowed); other lines are skipped.
pub fn xids_from_lines(lines: &[String]) -> Vec<XidEvent> {
    lines
        .iter()
        .filter_map(|line| parse_xid_line(line))
        .map(|(pci, xid, detail)| XidEvent {
            gpu_index: None,
            pci_bus_id: Some(pci),
            xid,
            source: "kernel_log".into(),
            detail,
        })
        .collect()
}

/// Whether a kernel-log PCI id (`0000:18:00`) names the same device as a
/// GPU's bus id (`00000000:18:00.0` from NVML, `0000:18:00.0` from CUDA):
/// domain, bus and device compared as numbers, the function ignored.
pub fn same_pci_device(kernel_id: &str, gpu_bus_id: &str) -> bool {
    match (parse_pci(kernel_id), parse_pci(gpu_bus_id)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// `[PCI:][domain:]bus:device[.function]` as (domain, bus, device), hex.
fn parse_pci(id: &str) -> Option<(u32, u32, u32)> {
    let id = id.trim();
    let id = id
        .strip_prefix("PCI:")
        .or_else(|| id.strip_prefix("pci:"))
        .unwrap_or(id);
    let id = match id.split_once('.') {
        Some((bdf, function)) => {
            hex(function, 1)?;
            bdf
        }
        None => id,
    };
    let parts: Vec<&str> = id.split(':').collect();
    let (domain, bus, device) = match parts.as_slice() {
        [d, b, dev] => (hex(d, 8)?, hex(b, 2)?, hex(dev, 2)?),
        [b, dev] => (0, hex(b, 2)?, hex(dev, 2)?),
        _ => return None,
    };
    // PCI allows 32 devices per bus.
    (device < 32).then_some((domain, bus, device))
}

fn hex(s: &str, max_digits: usize) -> Option<u32> {
    if s.is_empty() || s.len() > max_digits || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// Splits a `/dev/kmsg` record `prio,seq,usec,flags[,..];message\n[ KEY=val\n]`
/// into its timestamp (microseconds since boot) and the message's first line.
fn parse_kmsg_record(record: &str) -> Option<(u64, &str)> {
    let (header, body) = record.split_once(';')?;
    let usec = header.split(',').nth(2)?.parse().ok()?;
    // Continuation lines (" KEY=value") follow the first newline.
    let message = body.split('\n').next().unwrap_or("");
    Some((usec, message))
}

/// The simulator's kernel log within `since` of now, for a fixture whose
/// stamps are on this host's clock (`kernel_log_host_clock`): a line stamped
/// as dmesg prints it (`[  966.503025] ...`, seconds on the kmsg clock) is
/// kept only within the window, as its /dev/kmsg record would be; a line
/// with no stamp is always kept.
pub fn lines_within(lines: &[String], since: Duration) -> Vec<String> {
    let Ok(now) = now_usec() else {
        return lines.to_vec();
    };
    lines
        .iter()
        .filter(|line| {
            let stamp = line
                .trim_start()
                .strip_prefix('[')
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(secs, _)| secs.trim().parse::<f64>().ok());
            stamp.is_none_or(|secs| within((secs * 1e6) as u64, now, since))
        })
        .cloned()
        .collect()
}

/// Whether a record stamped `record_usec` lies within `since` of `now_usec`.
fn within(record_usec: u64, now_usec: u64, since: Duration) -> bool {
    let since_usec = u64::try_from(since.as_micros()).unwrap_or(u64::MAX);
    record_usec >= now_usec.saturating_sub(since_usec)
}

/// Now on the clock kmsg stamps records with, in microseconds.
///
/// printk's clock stops during suspend like CLOCK_MONOTONIC, while
/// /proc/uptime (CLOCK_BOOTTIME) runs on; after a suspend the latter would
/// push recent records out of the window. /proc/uptime is the fallback.
fn now_usec() -> Result<u64, QueryError> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } == 0 {
        let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
        let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
        return Ok(secs.saturating_mul(1_000_000) + nanos / 1_000);
    }
    let uptime = std::fs::read_to_string("/proc/uptime")
        .map_err(|e| QueryError::Failed(format!("/proc/uptime: {e}")))?;
    uptime
        .split_whitespace()
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .map(|secs| (secs * 1e6) as u64)
        .ok_or_else(|| QueryError::Failed("/proc/uptime: unreadable".into()))
}

fn open_error(e: &std::io::Error) -> QueryError {
    match e.kind() {
        ErrorKind::NotFound => QueryError::NotSupported,
        // EPERM or EACCES: kernel.dmesg_restrict, or no CAP_SYSLOG.
        ErrorKind::PermissionDenied => QueryError::NoPermission,
        _ => QueryError::Failed(format!("{KMSG}: {e}")),
    }
}

/// XID events from the kernel ring buffer within `since` of now.
///
/// Reads `/dev/kmsg` without blocking, one record per read(), to the end of
/// the buffer. No permission (`kernel.dmesg_restrict`) reads as
/// `NoPermission`, no `/dev/kmsg` (some containers) as `NotSupported`.
pub fn read_kernel_xids(since: Duration) -> Reading<Vec<XidEvent>> {
    read_kmsg_lines(since)
        .map(|lines| xids_from_lines(&lines))
        .into()
}

fn read_kmsg_lines(since: Duration) -> Result<Vec<String>, QueryError> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(KMSG)
        .map_err(|e| open_error(&e))?;
    let now = now_usec()?;
    let mut buf = vec![0u8; RECORD_MAX];
    let mut lines = Vec::new();
    for _ in 0..MAX_RECORDS {
        let n = match file.read(&mut buf) {
            // EOF: not what kmsg does, but an end all the same.
            Ok(0) => break,
            Ok(n) => n,
            // EAGAIN: no more records.
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            // EPIPE: records we had not read yet were overwritten; the next
            // read continues from the oldest one left.
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(open_error(&e)),
        };
        let record = String::from_utf8_lossy(&buf[..n]);
        // Cheap filter first: almost no record is an XID.
        if !record.contains("NVRM: Xid") {
            continue;
        }
        if let Some((usec, message)) = parse_kmsg_record(&record) {
            if within(usec, now, since) {
                lines.push(message.to_string());
            }
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    #[test]
    fn simulated_lines_are_windowed_by_their_dmesg_stamp() {
        let now = super::now_usec().unwrap() as f64 / 1e6;
        let xid = "NVRM: Xid (PCI:0000:18:00): 79, pid=1, name=x, off the bus";
        let lines = vec![
            format!("[{:.6}] {xid}", now - 100.0),
            format!("[{:.6}] {xid}", now - 10.0),
            xid.to_string(),
        ];
        let kept = super::lines_within(&lines, std::time::Duration::from_secs(50));
        assert_eq!(kept, lines[1..].to_vec());
        let kept = super::lines_within(&lines, std::time::Duration::from_secs(1000));
        assert_eq!(kept, lines);
    }

    use super::*;
    use std::time::Instant;

    fn parsed(line: &str) -> Option<(String, u64, String)> {
        parse_xid_line(line)
    }

    #[test]
    fn parses_current_driver_lines() {
        assert_eq!(
            parsed("NVRM: Xid (PCI:0000:18:00): 79, pid=1234, name=python, GPU has fallen off the bus."),
            Some((
                "00000000:18:00.0".into(),
                79,
                "pid=1234, name=python, GPU has fallen off the bus.".into()
            ))
        );
        assert_eq!(
            parsed("NVRM: Xid (PCI:0000:10:1c): 63, pid=1896, Row Remapper: New row marked for remapping, reset gpu to activate."),
            Some((
                "00000000:10:1C.0".into(),
                63,
                "pid=1896, Row Remapper: New row marked for remapping, reset gpu to activate.".into()
            ))
        );
        // Process unknown: no pid/name fields.
        assert_eq!(
            parsed("NVRM: Xid (PCI:0000:2B:00): 79, GPU has fallen off the bus."),
            Some((
                "00000000:2B:00.0".into(),
                79,
                "GPU has fallen off the bus.".into()
            ))
        );
    }

    #[test]
    fn parses_older_mig_and_prefixed_lines() {
        assert_eq!(
            parsed("NVRM: Xid (0000:01:00): 31, Ch 0000000b, engmask 00000120, intr 10000000"),
            Some((
                "00000000:01:00.0".into(),
                31,
                "Ch 0000000b, engmask 00000120, intr 10000000".into()
            ))
        );
        assert_eq!(
            parsed("[  966.503025] NVRM: Xid (0000:01:00): 13, 0005 00000000 0000502d"),
            Some((
                "00000000:01:00.0".into(),
                13,
                "0005 00000000 0000502d".into()
            ))
        );
        assert_eq!(
            parsed("Nov 22 18:29:55 host kernel: [ 966.503025] NVRM: Xid (PCI:0000:b9:00): 74, pid=<unknown>, name=<unknown>, NVLink: fatal error detected on link 6"),
            Some((
                "00000000:B9:00.0".into(),
                74,
                "pid=<unknown>, name=<unknown>, NVLink: fatal error detected on link 6".into()
            ))
        );
        assert_eq!(
            parsed("NVRM: Xid (PCI:0000:01:00 GPU-I:05): 94, pid=7194, Contained: CE User Channel (0x9). RST: No, D-RST: No"),
            Some((
                "00000000:01:00.0".into(),
                94,
                "pid=7194, Contained: CE User Channel (0x9). RST: No, D-RST: No".into()
            ))
        );
        assert_eq!(
            parsed("NVRM: Xid (PCI:0000:3b:00 GPU-I:01 GPU-CI:02): 13, pid=9, name=a, Graphics Exception"),
            Some(("00000000:3B:00.0".into(), 13, "pid=9, name=a, Graphics Exception".into()))
        );
        // A function number, if a driver ever prints one, is dropped.
        assert_eq!(
            parsed("NVRM: Xid (PCI:0000:10:00.0): 48, An uncorrectable double bit error"),
            Some((
                "00000000:10:00.0".into(),
                48,
                "An uncorrectable double bit error".into()
            ))
        );
        // No detail at all.
        assert_eq!(
            parsed("NVRM: Xid (PCI:0000:18:00): 119"),
            Some(("00000000:18:00.0".into(), 119, String::new()))
        );
    }

    #[test]
    fn other_lines_are_not_xids() {
        for line in [
            "",
            "garbage",
            "NVRM: GPU at PCI:0000:18:00: GPU-bc0fa0b9-cac2-f507-b715-9bebdb69c71e",
            "NVRM: GPU 0000:2b:00.0: GPU has fallen off the bus.",
            "NVRM: loading NVIDIA UNIX x86_64 Kernel Module  535.104.05",
            "NVRM: SXid (PCI:0000:07:00.0): 12028, Non-fatal, Link 32 egress non-posted PRIV error",
            "nvidia-nvswitch0: SXid (PCI:0000:07:00.0): 20034, Fatal, Link 30 LTSSM Fault Up",
            "NVRM: Xid (PCI:0000:18:00): , no number",
            "NVRM: Xid (PCI:0000:18:00) 79, no colon",
            "NVRM: Xid (PCI:zz:18:00): 79, bad hex",
            "NVRM: Xid (PCI:0000:18:00: 79, unclosed",
            "NVRM: Xid 79",
            "NVRM: Xid (PCI:0000:18:00): 99999999999999999999999, overflow",
        ] {
            assert_eq!(parsed(line), None, "{line:?}");
        }
    }

    #[test]
    fn events_from_lines_keep_only_xids() {
        let lines = vec![
            "[ 1.0] NVRM: loading NVIDIA UNIX x86_64 Kernel Module".to_string(),
            "NVRM: Xid (PCI:0000:18:00): 79, GPU has fallen off the bus.".to_string(),
            "NVRM: Xid (PCI:0000:3b:00): 13, pid=9, name=a, Graphics Exception".to_string(),
        ];
        let events = xids_from_lines(&lines);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].xid, 79);
        assert_eq!(events[0].pci_bus_id.as_deref(), Some("00000000:18:00.0"));
        assert_eq!(events[0].gpu_index, None);
        assert_eq!(events[0].source, "kernel_log");
        assert_eq!(events[0].detail, "GPU has fallen off the bus.");
        assert_eq!(events[1].xid, 13);
    }

    #[test]
    fn pci_ids_match_by_domain_bus_device() {
        assert!(same_pci_device("0000:18:00", "00000000:18:00.0"));
        assert!(same_pci_device("0000:18:00", "0000:18:00.0"));
        assert!(same_pci_device("0000:b9:00", "00000000:B9:00.0"));
        assert!(same_pci_device("PCI:0000:18:00", "00000000:18:00.0"));
        assert!(same_pci_device("0001:18:00", "00000001:18:00.0"));
        assert!(!same_pci_device("0000:18:00", "00000000:19:00.0"));
        assert!(!same_pci_device("0000:18:00", "00000001:18:00.0"));
        assert!(!same_pci_device("0000:18:00", "00000000:18:01.0"));
        assert!(!same_pci_device("", "00000000:18:00.0"));
        assert!(!same_pci_device("0000:18:00", "GPU-1234"));
        assert!(!same_pci_device("garbage", "garbage"));
    }

    #[test]
    fn kmsg_records_split_and_window() {
        let rec = "3,1234,5000000,-,caller=T1;NVRM: Xid (PCI:0000:18:00): 79, GPU has fallen off the bus.\n SUBSYSTEM=pci\n DEVICE=+pci:0000:18:00.0\n";
        let (usec, msg) = parse_kmsg_record(rec).expect("record");
        assert_eq!(usec, 5_000_000);
        assert_eq!(
            msg,
            "NVRM: Xid (PCI:0000:18:00): 79, GPU has fallen off the bus."
        );
        assert_eq!(parse_kmsg_record("no header"), None);
        assert_eq!(parse_kmsg_record("6,1,notanumber,-;msg\n"), None);

        let hour = Duration::from_secs(3600);
        let now = 10 * 3600 * 1_000_000;
        assert!(within(now - 1_000_000, now, hour));
        assert!(!within(now - 2 * 3600 * 1_000_000, now, hour));
        // A window longer than the uptime keeps everything.
        assert!(within(0, 1_000, hour));
        assert!(within(0, now, Duration::MAX));
    }

    #[test]
    fn reading_the_kernel_log_is_quick_and_never_panics() {
        let start = Instant::now();
        let reading = read_kernel_xids(Duration::from_secs(24 * 3600));
        let elapsed = start.elapsed();
        // Generous for slow CI; the read itself takes a few ms.
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
        match reading {
            Reading::Value(events) => {
                assert!(events.iter().all(|e| e.source == "kernel_log"));
            }
            Reading::Error { error } => {
                assert!(
                    matches!(
                        error,
                        QueryError::NoPermission | QueryError::NotSupported | QueryError::Failed(_)
                    ),
                    "{error:?}"
                );
            }
        }
    }
}
