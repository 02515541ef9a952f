//! End-to-end tests of `gpuctl list` on the simulated backend.

mod common;

use common::*;
use serde_json::json;
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

const GIB80: u64 = 85_520_809_984;

// ---------------------------------------------------------------- table

#[test]
fn table_lists_names_uuids_and_bus_ids() {
    let r = run("two_h100.json", &["list"]);
    r.assert_code(0);
    assert_eq!(r.stderr, "", "no stderr on success");
    for needle in [H100, UUID0, UUID1, PCI0, PCI1, "9.0", "132", "2 GPU(s)"] {
        assert!(
            r.stdout.contains(needle),
            "table lacks {needle}:\n{}",
            r.stdout
        );
    }
    // One record per GPU: `GPU n  name  bus id  CUDA k`, then the UUID.
    // GPU 0 is CUDA ordinal 1, GPU 1 is 0.
    let lines: Vec<&str> = r.stdout.lines().collect();
    for (gpu, uuid, pci, cuda) in [(0, UUID0, PCI0, 1), (1, UUID1, PCI1, 0)] {
        let at = lines
            .iter()
            .position(|l| l.starts_with(&format!("GPU {gpu}  ")))
            .unwrap_or_else(|| panic!("no record for GPU {gpu}:\n{}", r.stdout));
        assert_eq!(
            lines[at],
            format!("GPU {gpu}  {H100}  {pci}  CUDA {cuda}"),
            "{}",
            r.stdout
        );
        assert!(lines[at + 1].trim_start().starts_with(uuid), "{}", r.stdout);
        assert!(lines[at + 1].contains("serial 16523200"), "{}", r.stdout);
    }
    // Compact: a few lines per GPU, not a 14-column table.
    assert!(lines.len() <= 16, "{} lines:\n{}", lines.len(), r.stdout);
    assert!(
        lines.iter().all(|l| l.chars().count() <= 80),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("2 GPU(s)\n"), "{}", r.stdout);
}

#[test]
fn table_has_no_ansi_escapes_when_piped_or_with_no_color() {
    for env in [vec![], vec![("NO_COLOR", "1")]] {
        let r = run_env("two_h100.json", &["list"], &env);
        r.assert_code(0);
        assert!(!r.stdout.contains("\x1b["), "ANSI escape in {:?}", r.stdout);
        assert!(!r.stderr.contains("\x1b["), "ANSI escape in {:?}", r.stderr);
    }
    // Nor in probe's table or in an error line.
    let r = run_env("hot.json", &["probe"], &[("NO_COLOR", "1")]);
    assert!(!r.stdout.contains("\x1b["));
    let r = run("two_h100.json", &["list", "-i", "bogus"]);
    assert!(!r.stderr.contains("\x1b["));
}

// ---------------------------------------------------------------- JSON

#[test]
fn json_reports_every_field_of_two_h100() {
    let r = run("two_h100.json", &["list", "--json"]);
    r.assert_code(0);
    assert_eq!(r.stderr, "");
    let rep = r.report();
    assert_eq!(rep.command, "list");
    assert_eq!(rep.outcome, "pass");
    assert_eq!(rep.exit_code, 0);
    assert_eq!(rep.summary, "2 GPU(s)");
    assert!(rep.warnings.is_empty(), "{:?}", rep.warnings);
    assert!(rep.error.is_none());
    assert!(rep.host_checks.is_empty());
    assert!(rep.host.as_deref().is_some_and(|h| !h.is_empty()));

    let driver = rep.driver.as_ref().expect("driver is reported");
    assert_eq!(driver.driver_version.as_deref(), Some(DRIVER_VERSION));
    assert_eq!(driver.cuda_driver_version.as_deref(), Some("13.0"));
    assert_eq!(driver.nvml.status, "available");
    assert_eq!(driver.nvml.message, None);
    assert_eq!(driver.cuda.status, "available");
    assert_eq!(driver.cuda.message, None);

    assert_eq!(rep.indices(), vec![0, 1]);
    let expected = [
        (0, UUID0, PCI0, 1, "1652320000"),
        (1, UUID1, PCI1, 0, "1652320001"),
    ];
    for (index, uuid, pci, cuda, serial) in expected {
        let g = rep.gpu(index);
        assert_eq!(g.name.as_deref(), Some(H100));
        assert_eq!(g.uuid.as_deref(), Some(uuid));
        assert_eq!(g.pci_bus_id.as_deref(), Some(pci));
        assert_eq!(g.cuda_index, Some(cuda));
        assert_eq!(g.lost, None);
        assert_eq!(g.status, None, "list has no verdict per GPU");
        assert!(g.checks.is_none(), "list runs no checks");
        let d = g.details();
        assert_eq!(g.serial.as_deref(), Some(serial));
        assert_eq!(d.architecture.as_deref(), Some("Hopper"));
        assert_eq!(d.memory_total_bytes, Some(GIB80));
        assert_eq!(d.memory_used_bytes, Some(566_231_040));
        assert_eq!(d.memory_free_bytes, Some(84_954_578_944));
        assert_eq!(d.driver_version.as_deref(), Some(DRIVER_VERSION));
        assert_eq!(d.cuda_driver_version.as_deref(), Some("13.0"));
        assert_eq!(d.compute_capability.as_deref(), Some("9.0"));
        assert_eq!(d.sm_count, Some(132));
        assert_eq!(d.persistence_mode, Some(true));
        assert_eq!(d.compute_mode.as_deref(), Some("default"));
        assert_eq!(
            d.mig_mode,
            Some(MigMode {
                current: false,
                pending: false
            })
        );
        assert!(d.mig_instances.is_empty());
        assert_eq!(d.power_limit_w, Some(700.0));
        assert_eq!(d.power_limit_default_w, Some(700.0));
        assert_eq!(d.power_limit_min_w, Some(200.0));
        assert_eq!(d.power_limit_max_w, Some(700.0));
        assert_eq!(d.temperature_slowdown_c, Some(89));
        assert_eq!(d.temperature_shutdown_c, Some(95));
        assert_eq!(d.temperature_gpu_max_c, Some(87));
        assert_eq!(d.temperature_memory_max_c, Some(95));
        assert_eq!(d.pcie_link_gen_current, Some(5));
        assert_eq!(d.pcie_link_width_current, Some(16));
        assert_eq!(d.pcie_link_gen_max, Some(5));
        assert_eq!(d.pcie_link_width_max, Some(16));
    }
}

#[test]
fn json_details_carry_every_field_even_when_null() {
    // The schema does not require details' fields; the contract is that
    // every one is present (null when unknown) so consumers need no
    // `in` checks. Checked on a CUDA-only GPU, where most are null.
    let expected = [
        "architecture",
        "memory_total_bytes",
        "memory_used_bytes",
        "memory_free_bytes",
        "driver_version",
        "cuda_driver_version",
        "compute_capability",
        "sm_count",
        "persistence_mode",
        "compute_mode",
        "mig_mode",
        "mig_instances",
        "power_limit_w",
        "power_limit_default_w",
        "power_limit_min_w",
        "power_limit_max_w",
        "temperature_slowdown_c",
        "temperature_shutdown_c",
        "temperature_gpu_max_c",
        "temperature_memory_max_c",
        "pcie_link_gen_current",
        "pcie_link_width_current",
        "pcie_link_gen_max",
        "pcie_link_width_max",
        "board",
    ];
    for fixture in ["two_h100.json", "no_nvml.json"] {
        // The serial sits with the identity, beside the UUID, in every report.
        let v = run(fixture, &["list", "--json"]).json();
        for g in v["gpus"].as_array().unwrap() {
            let keys: Vec<&str> = g["details"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut want = expected.to_vec();
            want.sort_unstable();
            let mut got = keys.clone();
            got.sort_unstable();
            assert_eq!(got, want, "{fixture}");
        }
    }
}

#[test]
fn format_json_is_the_same_document_as_json_flag() {
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("timestamp");
        v
    };
    let a = run("two_h100.json", &["list", "--json"]);
    let b = run("two_h100.json", &["list", "--format", "json"]);
    let c = run("two_h100.json", &["list", "--format=json"]);
    let d = run("two_h100.json", &["--json", "list"]);
    for r in [&a, &b, &c, &d] {
        r.assert_code(0);
    }
    let base = strip(a.json());
    assert_eq!(strip(b.json()), base);
    assert_eq!(strip(c.json()), base);
    assert_eq!(strip(d.json()), base);
    // And the table is not JSON.
    let t = run("two_h100.json", &["list", "--format", "table"]);
    t.assert_code(0);
    assert!(serde_json::from_str::<serde_json::Value>(&t.stdout).is_err());
}

// ------------------------------------------- NVML vs CUDA ordering

#[test]
fn cuda_index_is_joined_by_bus_id_not_position() {
    // two_h100 ranks NVML 1 fastest, so CUDA enumerates it first.
    let rep = run("two_h100.json", &["list", "--json"]).report();
    assert_eq!(rep.gpu(0).uuid.as_deref(), Some(UUID0));
    assert_eq!(rep.gpu(0).cuda_index, Some(1));
    assert_eq!(rep.gpu(1).uuid.as_deref(), Some(UUID1));
    assert_eq!(rep.gpu(1).cuda_index, Some(0));
}

#[test]
fn cuda_device_order_pci_bus_id_makes_orders_agree() {
    let r = run_env(
        "two_h100.json",
        &["list", "--json"],
        &[("CUDA_DEVICE_ORDER", "PCI_BUS_ID")],
    );
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.gpu(0).cuda_index, Some(0));
    assert_eq!(rep.gpu(1).cuda_index, Some(1));
}

#[test]
fn cuda_visible_devices_index_uses_cuda_order() {
    // CUDA ordinal 0 is the fastest GPU, NVML index 1.
    let r = run_env(
        "two_h100.json",
        &["list", "--json"],
        &[("CUDA_VISIBLE_DEVICES", "0")],
    );
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.indices(), vec![1]);
    assert_eq!(rep.gpus[0].uuid.as_deref(), Some(UUID1));
    assert_eq!(rep.gpus[0].cuda_index, Some(0));
    assert_eq!(rep.summary, "1 GPU(s)");
}

#[test]
fn cuda_visible_devices_index_with_pci_order() {
    let r = run_env(
        "two_h100.json",
        &["list", "--json"],
        &[
            ("CUDA_VISIBLE_DEVICES", "0"),
            ("CUDA_DEVICE_ORDER", "PCI_BUS_ID"),
        ],
    );
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.indices(), vec![0]);
    assert_eq!(rep.gpus[0].uuid.as_deref(), Some(UUID0));
    assert_eq!(rep.gpus[0].cuda_index, Some(0));
}

#[test]
fn cuda_visible_devices_reorders_cuda_ordinals() {
    // "1,0" in CUDA's default order is NVML 0 then NVML 1: ordinals follow
    // the variable, NVML indices stay as nvidia-smi numbers them.
    let r = run_env(
        "two_h100.json",
        &["list", "--json"],
        &[("CUDA_VISIBLE_DEVICES", "1,0")],
    );
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.indices(), vec![0, 1]);
    assert_eq!(rep.gpu(0).cuda_index, Some(0));
    assert_eq!(rep.gpu(1).cuda_index, Some(1));
}

#[test]
fn cuda_visible_devices_full_uuid() {
    let r = run_env(
        "two_h100.json",
        &["list", "--json"],
        &[("CUDA_VISIBLE_DEVICES", UUID0)],
    );
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.indices(), vec![0]);
    assert_eq!(rep.gpus[0].uuid.as_deref(), Some(UUID0));
    assert_eq!(rep.gpus[0].cuda_index, Some(0));
}

#[test]
fn cuda_visible_devices_unique_uuid_prefix() {
    let r = run_env(
        "two_h100.json",
        &["list", "--json"],
        &[("CUDA_VISIBLE_DEVICES", "GPU-1a2b")],
    );
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.indices(), vec![0]);
    assert_eq!(rep.gpus[0].uuid.as_deref(), Some(UUID0));
    assert_eq!(rep.gpus[0].cuda_index, Some(0));
}

#[test]
fn cuda_visible_devices_empty_hides_every_gpu() {
    let r = run_env("two_h100.json", &["list"], &[("CUDA_VISIBLE_DEVICES", "")]);
    r.assert_code(3);
    assert_eq!(r.stdout, "", "errors go to stderr in table mode");
    let line = r.stderr_line();
    assert!(line.starts_with("gpuctl list: error: "), "{line}");
    assert!(line.contains("CUDA_VISIBLE_DEVICES"), "{line}");

    let r = run_env(
        "two_h100.json",
        &["list", "--json"],
        &[("CUDA_VISIBLE_DEVICES", "")],
    );
    r.assert_code(3);
    let rep = r.report();
    assert_eq!(rep.outcome, "error");
    assert_eq!(rep.exit_code, 3);
    let err = rep.error.unwrap();
    assert_eq!(err.kind, "environment");
    assert!(
        err.message.contains("CUDA_VISIBLE_DEVICES"),
        "{}",
        err.message
    );
    assert!(rep.gpus.is_empty());
}

// ---------------------------------------------------------------- -i

fn selected(args: &[&str]) -> Vec<u32> {
    let mut all = vec!["list", "--json"];
    all.extend_from_slice(args);
    let r = run("two_h100.json", &all);
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.summary, format!("{} GPU(s)", rep.gpus.len()));
    rep.indices()
}

#[test]
fn selectors_pick_gpus_by_index_uuid_prefix_and_bus_id() {
    assert_eq!(selected(&["-i", "1"]), vec![1]);
    assert_eq!(selected(&["--gpu", "0"]), vec![0]);
    assert_eq!(selected(&["-i", "GPU-9f8e"]), vec![1]);
    assert_eq!(selected(&["-i", "gpu-9F8E"]), vec![1], "case-insensitive");
    assert_eq!(selected(&["-i", UUID0]), vec![0]);
    assert_eq!(selected(&["-i", "0000:2a:00.0"]), vec![1]);
    assert_eq!(selected(&["-i", "00000000:2A:00.0"]), vec![1]);
    assert_eq!(selected(&["-i", "2a:00.0"]), vec![1]);
    assert_eq!(selected(&["-i", "0,1"]), vec![0, 1]);
    assert_eq!(selected(&["-i", "1,0"]), vec![0, 1], "inventory order");
    assert_eq!(selected(&["-i", "1,GPU-9f8e"]), vec![1], "no repeats");
    assert_eq!(selected(&["-i", "all"]), vec![0, 1]);
    assert_eq!(selected(&["-i", "ALL"]), vec![0, 1]);
    assert_eq!(selected(&[]), vec![0, 1]);
}

#[test]
fn selected_gpu_keeps_its_cuda_index() {
    let rep = run("two_h100.json", &["list", "--json", "-i", "GPU-9f8e"]).report();
    assert_eq!(rep.gpus.len(), 1);
    assert_eq!(rep.gpus[0].uuid.as_deref(), Some(UUID1));
    assert_eq!(rep.gpus[0].pci_bus_id.as_deref(), Some(PCI1));
    assert_eq!(rep.gpus[0].cuda_index, Some(0));
}

/// A bad selector: exit 2, one stderr line naming `named`, nothing on
/// stdout; with --json the same error as a schema-valid document.
fn assert_bad_selector(fixture: &str, selector: &str, named: &str) -> String {
    let r = run(fixture, &["list", "-i", selector]);
    r.assert_code(2);
    assert_eq!(r.stdout, "", "nothing on stdout in table mode");
    let line = r.stderr_line().to_string();
    assert!(line.starts_with("gpuctl list: error: "), "{line}");
    assert!(
        line.to_ascii_lowercase()
            .contains(&format!("'{}'", named.to_ascii_lowercase())),
        "stderr does not name '{named}': {line}"
    );

    let r = run(fixture, &["list", "--json", "-i", selector]);
    r.assert_code(2);
    let rep = r.report();
    assert_eq!(rep.outcome, "error");
    assert_eq!(rep.exit_code, 2);
    assert_eq!(rep.command, "list");
    assert!(rep.gpus.is_empty());
    let err = rep.error.expect("error is set");
    assert_eq!(err.kind, "usage");
    assert_eq!(rep.summary, format!("error: {}", err.message));
    assert!(
        line.ends_with(&err.message),
        "stderr and JSON disagree: {line} vs {}",
        err.message
    );
    // stderr still carries the one line with --json.
    assert_eq!(r.stderr_line(), line);
    line
}

#[test]
fn unparseable_selector_is_a_usage_error() {
    let line = assert_bad_selector("two_h100.json", "bogus", "bogus");
    assert!(line.contains("PCI bus id"), "says what is accepted: {line}");
    let line = assert_bad_selector("two_h100.json", "GPU-", "GPU-");
    assert!(line.contains("UUID"), "{line}");
    assert_bad_selector("two_h100.json", "0,bogus", "bogus");
    assert_bad_selector("two_h100.json", "-1", "-1");
    assert_bad_selector("two_h100.json", "zz:00.0", "zz:00.0");
}

#[test]
fn selector_matching_no_gpu_lists_what_exists() {
    let line = assert_bad_selector("two_h100.json", "7", "7");
    assert!(line.contains(UUID0) && line.contains(UUID1), "{line}");
    let line = assert_bad_selector("two_h100.json", "GPU-dead", "GPU-dead");
    assert!(line.contains(UUID0), "{line}");
    assert_bad_selector("two_h100.json", "0000:99:00.0", "0000:99:00.0");
}

#[test]
fn ambiguous_uuid_prefix_is_a_usage_error() {
    // shared_prefix: both UUIDs start with GPU-1a2b3c4d-.
    let line = assert_bad_selector("shared_prefix.json", "GPU-1a2b", "GPU-1a2b");
    assert!(line.contains("ambiguous"), "{line}");
    assert!(line.contains(UUID0), "names the candidates: {line}");
    assert!(
        line.contains("GPU-1a2b3c4d-ffff-eeee-dddd-ccccbbbbaaaa"),
        "{line}"
    );
    // A longer prefix is unique again.
    let rep = run(
        "shared_prefix.json",
        &["list", "--json", "-i", "GPU-1a2b3c4d-f"],
    )
    .report();
    assert_eq!(rep.indices(), vec![1]);
}

// ------------------------------------------------- degraded hosts

#[test]
fn lost_gpu_is_listed_as_lost() {
    // A lost GPU fails the inventory (exit 1): it is never listed as fine.
    let r = run("lost_gpu.json", &["list", "--json"]);
    r.assert_code(1);
    let rep = r.report();
    assert_eq!(rep.outcome, "fail");
    assert_eq!(rep.gpu(1).check("on_bus").status, "fail");
    assert_eq!(
        rep.gpu(0).status,
        None,
        "list judges only a lost or hung GPU"
    );
    assert_eq!(rep.indices(), vec![0, 1]);
    let ok = rep.gpu(0);
    assert_eq!(ok.lost, None);
    assert_eq!(ok.uuid.as_deref(), Some(UUID0));
    // CUDA no longer enumerates the lost GPU, so the survivor is ordinal 0.
    assert_eq!(ok.cuda_index, Some(0));
    assert_eq!(ok.details().sm_count, Some(132));
    let lost = rep.gpu(1);
    let why = lost.lost.as_deref().expect("GPU 1 is lost");
    assert!(why.contains("fallen off the bus"), "{why}");
    assert_eq!(lost.cuda_index, None);
    let d = lost.details();
    assert_eq!(d.memory_total_bytes, None);
    assert_eq!(d.sm_count, None);

    let t = run("lost_gpu.json", &["list"]);
    t.assert_code(1);
    assert!(t.stdout.contains("fallen off the bus"), "{}", t.stdout);
}

#[test]
fn without_cuda_gpus_have_no_cuda_index_and_a_warning() {
    let r = run("no_cuda.json", &["list", "--json"]);
    r.assert_code(0);
    let rep = r.report();
    assert_eq!(rep.outcome, "pass");
    assert_eq!(rep.indices(), vec![0, 1]);
    for g in &rep.gpus {
        assert_eq!(g.cuda_index, None);
        let d = g.details();
        assert_eq!(d.sm_count, None, "SM count comes from CUDA only");
        assert_eq!(
            d.compute_capability.as_deref(),
            Some("9.0"),
            "NVML knows CC"
        );
        assert_eq!(d.memory_total_bytes, Some(GIB80));
    }
    let driver = rep.driver.unwrap();
    assert_eq!(driver.nvml.status, "available");
    assert_eq!(driver.cuda.status, "unavailable");
    assert!(
        driver
            .cuda
            .message
            .as_deref()
            .unwrap()
            .contains("libcuda.so.1"),
        "{:?}",
        driver.cuda.message
    );
    assert_eq!(driver.driver_version.as_deref(), Some(DRIVER_VERSION));
    assert_eq!(rep.warnings.len(), 1, "{:?}", rep.warnings);
    assert!(rep.warnings[0].contains("CUDA"), "{:?}", rep.warnings);

    let t = run("no_cuda.json", &["list"]);
    t.assert_code(0);
    assert!(t.stdout.contains("note: ") && t.stdout.contains("libcuda.so.1"));
}

#[test]
fn without_nvml_gpus_are_listed_from_cuda() {
    let r = run("no_nvml.json", &["list", "--json"]);
    r.assert_code(0);
    let rep = r.report();
    let driver = rep.driver.as_ref().unwrap();
    assert_eq!(driver.nvml.status, "unavailable");
    assert!(driver
        .nvml
        .message
        .as_deref()
        .unwrap()
        .contains("libnvidia-ml.so.1"));
    assert_eq!(driver.cuda.status, "available");
    assert_eq!(driver.driver_version, None);
    assert_eq!(driver.cuda_driver_version.as_deref(), Some("13.0"));
    assert_eq!(rep.warnings.len(), 1, "{:?}", rep.warnings);
    assert!(rep.warnings[0].contains("NVML"), "{:?}", rep.warnings);
    assert!(rep.warnings[0].contains("CUDA only"), "{:?}", rep.warnings);
    // Indices are CUDA ordinals: fastest (UUID1) first.
    assert_eq!(rep.indices(), vec![0, 1]);
    assert_eq!(rep.gpu(0).uuid.as_deref(), Some(UUID1));
    assert_eq!(rep.gpu(0).cuda_index, Some(0));
    assert_eq!(rep.gpu(1).uuid.as_deref(), Some(UUID0));
    assert_eq!(rep.gpu(1).cuda_index, Some(1));
    for g in &rep.gpus {
        let d = g.details();
        assert_eq!(d.sm_count, Some(132));
        assert_eq!(d.compute_capability.as_deref(), Some("9.0"));
        assert_eq!(d.memory_total_bytes, Some(GIB80));
        assert_eq!(d.memory_used_bytes, None);
        assert_eq!(d.persistence_mode, None);
        assert_eq!(d.power_limit_w, None);
    }
}

#[test]
fn without_any_driver_list_is_an_environment_error() {
    let r = run("no_driver.json", &["list"]);
    r.assert_code(3);
    assert_eq!(r.stdout, "");
    let line = r.stderr_line();
    assert!(line.starts_with("gpuctl list: error: "), "{line}");
    for needle in [
        "libnvidia-ml.so.1",
        "libcuda.so.1",
        "NVIDIA_DRIVER_CAPABILITIES",
    ] {
        assert!(line.contains(needle), "stderr lacks {needle}: {line}");
    }

    let r = run("no_driver.json", &["list", "--json"]);
    r.assert_code(3);
    let rep = r.report();
    assert_eq!(rep.outcome, "error");
    assert_eq!(rep.exit_code, 3);
    assert!(rep.driver.is_none());
    let err = rep.error.unwrap();
    assert_eq!(err.kind, "environment");
    assert!(err.message.contains("libnvidia-ml.so.1"));
    assert!(err.message.contains("libcuda.so.1"));
}

#[test]
fn no_gpus_is_an_environment_error() {
    let r = run("no_gpus.json", &["list", "--json"]);
    r.assert_code(3);
    let rep = r.report();
    let err = rep.error.unwrap();
    assert_eq!(err.kind, "environment");
    assert!(err.message.contains("no GPU found"), "{}", err.message);
}

#[test]
fn mig_gpu_lists_its_instances_with_cuda_ordinals() {
    let r = run("mig.json", &["list", "--json"]);
    r.assert_code(0);
    let rep = r.report();
    let g = rep.gpu(0);
    assert_eq!(g.cuda_index, None, "a MIG-enabled GPU has no CUDA ordinal");
    let d = g.details();
    assert_eq!(
        d.mig_mode,
        Some(MigMode {
            current: true,
            pending: true
        })
    );
    assert_eq!(d.sm_count, None, "instance SM counts are not the GPU's");
    assert_eq!(d.mig_instances.len(), 2);
    let expected = [
        (0, "MIG-11111111-2222-3333-4444-555555555555", 1, 1),
        (1, "MIG-66666666-7777-8888-9999-000000000000", 2, 2),
    ];
    for (m, (index, uuid, cuda, gi)) in d.mig_instances.iter().zip(expected) {
        assert_eq!(m.index, index);
        assert_eq!(m.uuid, uuid);
        assert_eq!(m.cuda_index, Some(cuda));
        assert_eq!(m.gpu_instance_id, Some(gi));
        assert_eq!(m.compute_instance_id, Some(0));
        assert_eq!(m.memory_total_bytes, Some(42_949_672_960));
        assert_eq!(m.sm_count, Some(66));
    }
    // The other GPU is rank 0: CUDA ordinal 0, ahead of the instances.
    let other = rep.gpu(1);
    assert_eq!(other.cuda_index, Some(0));
    assert!(other.details().mig_instances.is_empty());

    let t = run("mig.json", &["list"]);
    t.assert_code(0);
    assert!(t
        .stdout
        .contains("MIG-11111111-2222-3333-4444-555555555555"));
    let record: String = t
        .stdout
        .split("\n\n")
        .find(|r| r.contains(UUID0))
        .unwrap_or_default()
        .to_string();
    assert!(record.contains("MIG on"), "MIG mode in {record}");
    assert!(record.contains("MIG 0:1"), "instance lines: {}", t.stdout);
}

#[test]
fn mig_uuid_selects_its_parent_gpu() {
    let rep = run("mig.json", &["list", "--json", "-i", "MIG-6666"]).report();
    assert_eq!(rep.indices(), vec![0]);
}

// ------------------------------------------------------ process edges

/// A fixture with `n` copies of the two_h100 GPUs, big enough that its
/// JSON report overflows a pipe buffer.
fn many_gpus(dir: &std::path::Path, n: usize) -> String {
    let base = load_fixture("two_h100.json");
    let template = base["gpus"][0].clone();
    let gpus: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let mut g = template.clone();
            g["uuid"] = json!(format!("GPU-{i:08x}-0000-1111-2222-333344445555"));
            g["pci_bus_id"] = json!(format!("00000000:{:02X}:00.0", i + 1));
            g
        })
        .collect();
    let mut fixture = base;
    fixture["gpus"] = json!(gpus);
    write_fixture(dir, "many.json", &fixture)
}

#[test]
fn closed_stdout_pipe_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = many_gpus(dir.path(), 128);
    // The full report is larger than a pipe buffer, so gpuctl is still
    // writing when the reader goes away.
    let full = run(&fixture, &["list", "--json"]);
    full.assert_code(0);
    assert!(full.stdout.len() > 100_000, "{}", full.stdout.len());

    for args in [&["list", "--json"][..], &["list"][..]] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("gpuctl"))
            .args(args)
            .env("GPUCTL_SIMULATE", &fixture)
            .env_remove("CUDA_VISIBLE_DEVICES")
            .env_remove("CUDA_DEVICE_ORDER")
            .env_remove("NO_COLOR")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut head = [0u8; 10];
        stdout.read_exact(&mut head).unwrap();
        drop(stdout); // `| head -c 10`
        let start = Instant::now();
        let out = child.wait_with_output().unwrap();
        assert!(start.elapsed() < Duration::from_secs(10));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panic"), "{args:?}: {stderr}");
        assert!(!stderr.contains("internal error"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn many_gpus_all_validate() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = many_gpus(dir.path(), 16);
    let rep = run(&fixture, &["list", "--json"]).report();
    assert_eq!(rep.gpus.len(), 16);
    assert_eq!(rep.summary, "16 GPU(s)");
    let mut cuda: Vec<u32> = rep.gpus.iter().filter_map(|g| g.cuda_index).collect();
    cuda.sort_unstable();
    assert_eq!(cuda, (0..16).collect::<Vec<u32>>());
}

#[test]
fn missing_fixture_file_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("does-not-exist.json");
    let missing = missing.to_str().unwrap();
    let r = run(missing, &["list"]);
    r.assert_code(2);
    assert_eq!(r.stdout, "");
    let line = r.stderr_line();
    assert!(line.contains(missing), "{line}");

    let r = run(missing, &["list", "--json"]);
    r.assert_code(2);
    let err = r.report().error.unwrap();
    assert_eq!(err.kind, "usage");
    assert!(err.message.contains(missing), "{}", err.message);
}

#[test]
fn invalid_fixture_json_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("broken.json", "{not json"),
        ("unknown_field.json", r#"{"gpus": [], "surprise": 1}"#),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let path = path.to_str().unwrap();
        let r = run(path, &["list"]);
        r.assert_code(2);
        assert_eq!(r.stdout, "");
        let line = r.stderr_line();
        assert!(line.contains(path), "{line}");
        assert!(line.contains("invalid simulation fixture"), "{line}");

        let r = run(path, &["list", "--json"]);
        r.assert_code(2);
        let rep = r.report();
        assert_eq!(rep.error.unwrap().kind, "usage");
    }
}

#[test]
fn unknown_flag_is_a_usage_error_in_both_formats() {
    let r = run("two_h100.json", &["list", "--bogus"]);
    r.assert_code(2);
    assert!(r.stderr.contains("--bogus"), "{}", r.stderr);

    let r = run("two_h100.json", &["list", "--json", "--bogus"]);
    r.assert_code(2);
    let rep = r.report();
    assert_eq!(rep.command, "list");
    let err = rep.error.unwrap();
    assert_eq!(err.kind, "usage");
    assert!(err.message.contains("--bogus"), "{}", err.message);
}

#[test]
fn gpu_indices_are_unique_when_a_cuda_device_has_no_nvml_match() {
    // CUDA reports GPU 1 on another bus than NVML does: the UUID still pairs
    // them, so no GPU is listed twice and indices stay unique.
    let mut fixture = load_fixture("two_h100.json");
    fixture["gpus"][1]["cuda"]["pci_bus_id"] = json!("0000:3b:00.0");
    let dir = tempfile::tempdir().unwrap();
    let path = write_fixture(dir.path(), "unmatched.json", &fixture);

    let rep = run(&path, &["list", "--json"]).report();
    assert_eq!(rep.gpus.len(), 2, "{:?}", rep.indices());
    assert!(rep.gpus.iter().all(|g| g.cuda_index.is_some()));
    let mut indices = rep.indices();
    indices.sort_unstable();
    indices.dedup();
    assert_eq!(
        indices.len(),
        rep.gpus.len(),
        "duplicate GPU index in {:?}",
        rep.indices()
    );
    // `-i 0` names NVML GPU 0 and nothing else.
    let r = run(&path, &["list", "--json", "-i", "0"]);
    r.assert_code(0);
    assert_eq!(r.report().gpus[0].uuid.as_deref(), Some(UUID0));
}

#[test]
fn board_identity_is_listed_and_null_where_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture_variant(dir.path(), "two_h100.json", "board.json", |f| {
        f["gpus"][0]["board"] = json!({
            "vbios_version": "96.00.99.00.01",
            "inforom_image": "G520.0200.00.05",
            "inforom_oem": "2.1",
            "inforom_ecc": "7.16",
            "inforom_power": { "error": "not_supported" },
            "board_part_number": "692-2G520-0200-000",
            "pci_device_id": 0x2330_10de_u32,
            "pci_subsystem_id": 0x16c1_10de_u32
        });
    });
    let rep = run(&path, &["list", "--json"]).assert_code(0).report();
    let b = &rep.gpu(0).details().board;
    assert_eq!(b.vbios_version.as_deref(), Some("96.00.99.00.01"));
    assert_eq!(b.inforom_image_version.as_deref(), Some("G520.0200.00.05"));
    assert_eq!(b.inforom_ecc_version.as_deref(), Some("7.16"));
    assert_eq!(b.inforom_power_version, None);
    assert_eq!(b.board_part_number.as_deref(), Some("692-2G520-0200-000"));
    assert_eq!(b.pci_device_id.as_deref(), Some("0x233010de"));
    assert_eq!(b.pci_subsystem_id.as_deref(), Some("0x16c110de"));
    // GPU 1's fixture has none: every field null, never a placeholder.
    let b1 = &rep.gpu(1).details().board;
    assert!(b1.vbios_version.is_none() && b1.board_part_number.is_none());
    let table = run(&path, &["list"]).assert_code(0).stdout.clone();
    assert!(table.contains("part 692-2G520-0200-000"), "{table}");
    assert!(table.contains("VBIOS 96.00.99.00.01"), "{table}");
    assert!(table.contains("InfoROM G520.0200.00.05"), "{table}");
}
