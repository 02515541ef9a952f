//! The RMA bundle (`diag --report DIR`, `health --report DIR`): what a
//! vendor asks for with a ticket, as one `.tar.gz` named by host, time and
//! verdict. It holds the JSON report, per GPU an identity sheet (`list`'s
//! view of it: serial, UUID, board part number, VBIOS and InfoROM versions,
//! PCI ids, driver), the kernel-log XID lines of that GPU and its ECC and
//! row-remap counters, and gpuctl's version. Nothing else: no environment,
//! no command line beyond the report's own, no secrets.

use crate::cli::GlobalArgs;
use crate::device::{kernel_log, Backend};
use crate::error::AppError;
use crate::report::{json, Check, CheckStatus, Outcome, Report};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How far back the kernel log is read for the bundle's XID lines.
pub const XID_SINCE: Duration = Duration::from_secs(30 * 24 * 3600);

/// The check a bundle that could not be written fails.
pub const CHECK: &str = "rma_bundle";

/// Refuses a `--report` directory that cannot take the bundle, before
/// anything runs (usage error); creates it when missing.
pub fn check_dir(dir: &Path) -> Result<(), AppError> {
    let bad = |why: String| AppError::usage(format!("--report {}: {why}", dir.display()));
    std::fs::create_dir_all(dir).map_err(|e| bad(format!("cannot create the directory: {e}")))?;
    if !dir.is_dir() {
        return Err(bad("not a directory".into()));
    }
    let probe = dir.join(format!(".gpuctl-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| bad(format!("cannot write there: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// The bundle's file name: `gpuctl-<host>-<UTC time>-<verdict>.tar.gz`,
/// the host reduced to letters, digits, dots and dashes.
pub fn file_name(report: &Report) -> String {
    let host: String = report
        .host
        .as_deref()
        .unwrap_or("unknown-host")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let time: String = report
        .timestamp
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let verdict = serde_json::to_value(report.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    format!("gpuctl-{host}-{time}-{verdict}.tar.gz")
}

/// Writes the bundle for `report` into `dir` when asked (`dir` set) and
/// names it in the report; a bundle that cannot be written FAILs the run
/// (`rma_bundle`), since the operator asked for it.
pub fn attach(global: &GlobalArgs, dir: Option<&Path>, mut report: Report) -> Report {
    let Some(dir) = dir else {
        return report;
    };
    let path = dir.join(file_name(&report));
    report.bundle = Some(path.display().to_string());
    if let Err(e) = write(global, &report, &path) {
        report.bundle = None;
        report.host_checks.push(Check::new(
            CHECK,
            CheckStatus::Fail,
            format!(
                "the RMA bundle could not be written to {}: {e}",
                path.display()
            ),
        ));
        if !matches!(report.outcome, Outcome::Error | Outcome::Interrupted) {
            report.outcome = Outcome::Fail;
            report.exit_code = crate::exit::CHECK_FAILED;
        }
    }
    report
}

/// One file of the bundle: its path inside and its bytes.
type Entry = (String, Vec<u8>);

fn write(global: &GlobalArgs, report: &Report, path: &Path) -> Result<(), String> {
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".tar.gz"))
        .unwrap_or("gpuctl-bundle")
        .to_string();
    let entries = entries(global, report);
    let tmp = PathBuf::from(format!("{}.partial", path.display()));
    let result = pack(&tmp, &stem, &entries).and_then(|()| {
        std::fs::rename(&tmp, path).map_err(|e| format!("cannot rename into place: {e}"))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn pack(path: &Path, stem: &str, entries: &[Entry]) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_cksum();
        tar.append_data(&mut header, format!("{stem}/{name}"), bytes.as_slice())
            .map_err(|e| e.to_string())?;
    }
    let gz = tar.into_inner().map_err(|e| e.to_string())?;
    let file = gz.finish().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        serde_json::json!({ "error": format!("cannot serialize: {e}") }).to_string()
    });
    text.push('\n');
    text.into_bytes()
}

/// Every file of the bundle, read now.
fn entries(global: &GlobalArgs, report: &Report) -> Vec<Entry> {
    let mut out: Vec<Entry> = vec![
        ("report.json".into(), json::render(report).into_bytes()),
        (
            "gpuctl-version.txt".into(),
            format!(
                "gpuctl {}{}\n",
                report.tool.version,
                report
                    .tool
                    .commit
                    .map(|c| format!(" (commit {c})"))
                    .unwrap_or_default()
            )
            .into_bytes(),
        ),
    ];
    // `list`'s view of each GPU is the identity sheet.
    let listed = crate::commands::list::run(global);
    let backend = Backend::from_env_bounded(global.call_timeout).ok();
    let xids = backend.as_ref().map(|b| b.kernel_log_xids(XID_SINCE));
    let nvml = backend.as_ref().and_then(|b| b.nvml().ok().cloned());
    for g in &report.gpus {
        let dir = format!("gpu{}", g.index);
        let sheet = match &listed {
            Ok(list) => serde_json::json!({
                "gpu": list.gpus.iter().find(|l| l.index == g.index),
                "driver": list.driver,
            }),
            Err(e) => serde_json::json!({ "gpu": g, "error": e.message }),
        };
        out.push((format!("{dir}/identity.json"), to_json(&sheet)));
        let xid_text = match (xids.as_ref().map(|x| x.as_result()), &g.pci_bus_id) {
            (Some(Ok(events)), Some(pci)) => events
                .iter()
                .filter(|e| {
                    e.pci_bus_id
                        .as_deref()
                        .is_some_and(|k| kernel_log::same_pci_device(k, pci))
                })
                .map(|e| {
                    format!(
                        "Xid (PCI:{}): {}, {}\n",
                        e.pci_bus_id.as_deref().unwrap_or("?"),
                        e.xid,
                        e.detail
                    )
                })
                .collect::<String>(),
            (Some(Ok(_)), None) => "# the GPU's PCI bus id is unknown\n".into(),
            (Some(Err(e)), _) => format!("# the kernel log could not be read: {e}\n"),
            (None, _) => "# the driver could not be opened\n".into(),
        };
        let header = format!(
            "# XID lines of the kernel log for the GPU at {}, last {}\n",
            g.pci_bus_id.as_deref().unwrap_or("?"),
            humantime::format_duration(XID_SINCE)
        );
        out.push((format!("{dir}/xid.log"), (header + &xid_text).into_bytes()));
        let counters = match (&nvml, g.lost.is_none()) {
            (Some(api), true) => {
                let c = api.error_counters(g.index);
                serde_json::json!({
                    "ecc_enabled": c.ecc_enabled,
                    "ecc_volatile": c.ecc_volatile,
                    "ecc_aggregate": c.ecc_aggregate,
                    "row_remap": c.row_remap,
                    "retired_pages": c.retired_pages,
                    "pcie_replay_count": c.pcie_replay_count,
                })
            }
            (Some(_), false) => serde_json::json!({ "error": "the GPU is lost" }),
            (None, _) => serde_json::json!({ "error": "NVML is not available" }),
        };
        out.push((format!("{dir}/counters.json"), to_json(&counters)));
    }
    out
}
