//! Every remedy text, worded once, as templates filled per GPU.
//!
//! A remedy names the command for *that* GPU: `{gpu}` stands for the GPU's
//! PCI bus id (`00000000:18:00.0`, which `nvidia-smi -i` accepts) and is
//! filled by [`fill`] when a GPU's checks go into its report. Any action
//! that interrupts running jobs (reset, reboot, RMA) says to drain first.

pub use crate::report::text::{address, fill, fill_pair, FROM, GPU, TO};

pub const RESET: &str =
    "drain the node, then reset the GPU (nvidia-smi -r -i {gpu}) or reboot; RMA if it recurs";
pub const HUNG: &str = "drain the node, then reset the GPU (nvidia-smi -r -i {gpu}) or reboot; \
                        RMA if it recurs";
/// A run a stop signal cut short: nothing wrong was found, nothing finished.
pub const RERUN: &str = "rerun without interrupting it to finish the test";
pub const RMA: &str = "drain the node and open an RMA for the GPU at {gpu} (give its serial)";
pub const COOLING: &str =
    "check airflow, fans and inlet temperature (nvidia-smi -q -d TEMPERATURE -i {gpu})";
pub const COUNT: &str = "check `nvidia-smi`, the PCIe slots and `dmesg` for a missing GPU";
pub const DRIVER: &str = "install the NVIDIA driver, or in a container run with --gpus all and \
                          NVIDIA_DRIVER_CAPABILITIES=compute,utility";
pub const NEWER_DRIVER: &str = "drain the node and install a newer NVIDIA driver";
pub const MODEL: &str = "check the node's inventory: wrong GPU model installed or reported";
pub const ECC_ENABLE: &str =
    "drain the node, then enable ECC (nvidia-smi -e 1 -i {gpu}) and reset the GPU \
     (nvidia-smi -r -i {gpu})";
pub const ECC_TREND: &str =
    "watch the trend; if it keeps rising, drain the node and open an RMA for the GPU at {gpu}";
pub const REMAP_PENDING: &str =
    "drain the node, then reset the GPU (nvidia-smi -r -i {gpu}) or reboot to apply the \
     pending row remap";
pub const REMAP_SPARES: &str = "spare rows are being used up: plan an RMA for the GPU at {gpu}";
pub const POWER_DRAW: &str = "check the power supply and the power-brake signal; if it \
                              persists, drain the node and reset the GPU (nvidia-smi -r -i {gpu})";
pub const POWER_LIMIT: &str =
    "restore the default limit (nvidia-smi -pl <default W> -i {gpu}) unless the cap is intended";
pub const FABRIC: &str = "check the fabric manager (systemctl status nvidia-fabricmanager) and \
                          the NVSwitches; drain the node, then reset the GPU (nvidia-smi -r -i \
                          {gpu}) or reboot";
pub const PCIE_REPLAY: &str = "drain the node, then reseat the GPU at {gpu}; check the riser \
                               and slot";
pub const PCIE_LINK: &str = "drain the node, then reseat the GPU at {gpu} or its riser/cable; \
                             check the slot";
pub const PCIE_GEN: &str = "check BIOS PCIe settings, the riser and the slot; drain the node \
                            and reseat the GPU at {gpu}";
pub const RETIRE_PENDING: &str =
    "drain the node, then reset the GPU (nvidia-smi -r -i {gpu}) to retire the pending pages";
pub const NVLINK_DOWN: &str = "check NVLink bridges/NVSwitch and fabric manager; drain the \
                               node and reset the GPU (nvidia-smi -r -i {gpu}); RMA if links \
                               stay down";
pub const NVLINK_ERRORS: &str = "check NVLink bridges/NVSwitch; if errors keep rising, drain \
                                 the node and reset the GPU (nvidia-smi -r -i {gpu})";
pub const PERSISTENCE: &str = "run nvidia-persistenced (or nvidia-smi -pm 1 -i {gpu})";
pub const COMPUTE_MODE: &str = "set the compute mode back to default (nvidia-smi -c 0 -i {gpu})";
pub const MIG_PENDING: &str =
    "drain the node, then reset the GPU (nvidia-smi -r -i {gpu}) to apply the pending MIG mode";
pub const MEMORY_USAGE: &str = "find the process holding the memory (nvidia-smi \
                                --query-compute-apps=pid,used_memory --format=csv -i {gpu}); \
                                stale jobs block new ones";
pub const HW_SLOWDOWN: &str = "check cooling, power supply and the power-brake cable; if it \
                               persists, drain the node and open an RMA for the GPU at {gpu}";
pub const BURN_ERROR: &str = "read the error; drain the node, reset the GPU \
                              (nvidia-smi -r -i {gpu}) and rerun; RMA if it repeats";
pub const BENCH_SHORTFALL: &str = "check clocks, power limit, cooling and the PCIe link \
                                   (nvidia-smi -q -d PERFORMANCE,CLOCK -i {gpu}); rerun; drain \
                                   the node if it repeats";
pub const TELEMETRY_HUNG: &str = "run `gpuctl health` to find the GPU whose NVML reads hang \
     (the sampler reads every GPU in turn, so one hung GPU starves the others), then drain the \
     node and reset that GPU or reboot";
pub const STREAM_UNVERIFIED: &str = "rerun `burn --mode mixed`; if its HBM stream still verifies \
nothing, run `gpuctl memtest` and `gpuctl bench --tests hbm` on the GPU at {gpu}";
pub const BURN_DISAGREE: &str = "rerun burn; the GPU that keeps disagreeing is faulty";
pub const THROUGHPUT: &str = "check cooling, clocks and power limit; compare with nvidia-smi \
                              -q -d PERFORMANCE -i {gpu}";
pub const MEMTEST_REFUSED: &str = "the driver refused more memory (see allocation_notes): \
                                   rerun, or lower --min-coverage";
pub const MEMTEST_HELD: &str = "memory held by other processes is not tested: stop them \
                                (nvidia-smi --query-compute-apps=pid,used_memory --format=csv \
                                -i {gpu}) and rerun for full coverage";

// XIDs (`checks::xid`): what NVIDIA's XID catalogue asks for, for the GPU
// that raised it.
pub const XID_APP: &str = "usually an application fault: check the job's logs; if it repeats \
                           across jobs, drain the node and reset the GPU (nvidia-smi -r -i {gpu})";
pub const XID_NVLINK: &str = "check NVLink/NVSwitch cabling and fabric manager; drain the node, \
                              then reset the GPU (nvidia-smi -r -i {gpu}) or reboot";
pub const XID_BUG_REPORT_RMA: &str =
    "drain the node; collect nvidia-bug-report.sh; open an RMA for the GPU at {gpu}";
pub const XID_BUS: &str = "drain the node and reboot it (a GPU reset cannot reach it); \
                           collect nvidia-bug-report.sh; reseat or RMA if it recurs";
pub const XID_ROW_REMAP: &str = "row remapping recorded: drain the node, then reset the GPU \
                                 (nvidia-smi -r -i {gpu}) to apply it; RMA if remapping fails \
                                 (XID 64)";
pub const XID_RETIRE: &str = "resource retirement recorded: drain the node, then reset the GPU \
                              (nvidia-smi -r -i {gpu}) to apply it; RMA if it recurs";
pub const XID_SBE_RATE: &str =
    "memory is degrading: watch the ECC counters; drain the node and open an RMA if it persists";
pub const XID_CONTAINED: &str = "restart the affected job; when convenient, drain the node and \
                                 reset the GPU (nvidia-smi -r -i {gpu}) to apply row remapping; \
                                 RMA if it recurs";
pub const XID_GSP: &str = "drain the node, then reset the GPU (nvidia-smi -r -i {gpu}) or \
                           reboot; if it recurs, collect nvidia-bug-report.sh and check the \
                           driver/firmware version";
pub const XID_POWER: &str =
    "check the board's auxiliary power cables, power supplies and cooling; RMA if it recurs";
pub const XID_CATALOGUE: &str = "see NVIDIA's XID catalogue; if it repeats, drain the node and \
                                 reset the GPU (nvidia-smi -r -i {gpu})";
pub const XID_NVLINK5: &str = "read the kernel log line; if the driver asks for a reset (XID \
                               154), drain the node and reset the GPU (nvidia-smi -r -i {gpu})";
pub const XID_RECOVERY: &str = "do what the kernel log line names: drain the node, then reset \
                                the GPU (nvidia-smi -r -i {gpu}) or reboot the node";
pub const XID_NVLINK_SW: &str = "if no link was taken down on purpose, check NVLink and fabric \
                                 manager, then drain the node and reset the GPU (nvidia-smi -r \
                                 -i {gpu})";
/// A GPU a command cannot test whole because MIG splits it (`{command}`
/// names the command).
pub const MIG_UNTESTABLE: &str = "not a hardware fault (no RMA): {command} cannot test a \
                                  MIG-enabled GPU; to test it whole, drain the node, disable MIG \
                                  (nvidia-smi -i {gpu} -mig 0) and reset the GPU (nvidia-smi -r \
                                  -i {gpu}), then rerun {command}";

// `p2p`: a pair's remedies name both ends, `{from}` and `{to}`, filled by
// [`fill_pair`] (a pair's fault may lie in either GPU or the link between).

pub const P2P_CORRUPT: &str = "drain the node; reseat or replace the NVLink bridge / PCIe switch \
                               path between {from} and {to}, reset both GPUs (nvidia-smi -r -i \
                               {from}, then {to}) and rerun; RMA if it repeats";
pub const P2P_NOTHING_VERIFIED: &str = "rerun; if it repeats, report it";
pub const P2P_COPY_FAILED: &str = "drain the node, then reset both GPUs (nvidia-smi -r -i {from}, \
                                   then {to}) or reboot; RMA if it recurs";
pub const P2P_NVLINK_NO_PEER: &str =
    "check the NVLink state (nvidia-smi nvlink -s -i {from}) and, \
                                      on NVSwitch systems, that nvidia-fabricmanager runs; drain \
                                      the node and reset the GPUs or reboot; RMA if it repeats";
pub const P2P_PCIE_NO_PEER: &str = "enable ACS/IOMMU pass-through for peer traffic in the BIOS or \
                                    kernel, or accept host-staged copies";
pub const P2P_BELOW_FLOOR: &str = "check the link (nvidia-smi nvlink -s -i {from}, PCIe width and \
                                   generation); drain the node, then reseat and reset the GPUs; \
                                   RMA if it repeats";
pub const P2P_SLOW: &str =
    "check for inactive NVLinks or a downtrained PCIe link, and for other traffic";
pub const P2P_NO_PAIRS: &str = "select at least two GPUs (-i), or skip p2p on a one-GPU node";
pub const OUTPUT_FILE: &str = "free space or fix the permissions where the file goes, or name \
                               another path; the report on stdout is complete";

/// The remedy for an error, by whose fault it is: one table for every
/// command (the harness's failures, typed device errors).
pub fn for_blame(blame: crate::device::Blame) -> &'static str {
    use crate::device::Blame;
    match blame {
        Blame::Gpu => RESET,
        Blame::Host => {
            "install or fix the NVIDIA driver and CUDA libraries on the host (libcuda.so.1, \
             libcublasLt), then rerun; the GPU was not tested"
        }
        Blame::Contention => {
            "another process holds the GPU (its memory, or exclusive-process compute mode); \
             free it, then rerun"
        }
        Blame::Tool => "a gpuctl bug or a bad setting; report it with this message",
        Blame::Unknown => "rerun; if it repeats, reset the GPU and report the message",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Gpu;
    use crate::report::{Check, CheckStatus};

    fn gpu(pci: &str) -> Gpu {
        Gpu {
            index: 3,
            has_nvml: true,
            name: String::new(),
            uuid: String::new(),
            pci_bus_id: pci.into(),
            cuda: Vec::new(),
            lost: None,
        }
    }

    #[test]
    fn remedies_name_the_gpus_address() {
        let checks = vec![Check::new("on_bus", CheckStatus::Fail, "lost").remedy(RESET)];
        let filled = fill(checks, &gpu("00000000:18:00.0"));
        let r = filled[0].remedy.as_deref().unwrap_or_default();
        assert!(r.contains("nvidia-smi -r -i 00000000:18:00.0"), "{r}");
        assert!(r.starts_with("drain the node"), "{r}");
        let unknown = fill(
            vec![Check::new("x", CheckStatus::Fail, "").remedy(RESET)],
            &gpu(""),
        );
        assert!(unknown[0]
            .remedy
            .as_deref()
            .unwrap_or_default()
            .contains("-i 3"));
    }

    #[test]
    fn every_interrupting_action_says_drain_first() {
        for r in [
            RESET,
            RMA,
            ECC_ENABLE,
            REMAP_PENDING,
            MIG_PENDING,
            NVLINK_DOWN,
            BURN_ERROR,
            P2P_CORRUPT,
            P2P_COPY_FAILED,
            P2P_NVLINK_NO_PEER,
            P2P_BELOW_FLOOR,
        ] {
            assert!(r.contains("drain the node"), "{r}");
        }
    }

    #[test]
    fn every_xid_reset_names_the_gpu_and_drains_first() {
        for xid in 0..200 {
            let r = crate::checks::xid::classify(xid).remedy;
            if r.contains("nvidia-smi -r") || r.contains("reset the GPU") {
                assert!(r.contains("nvidia-smi -r -i {gpu}"), "XID {xid}: {r}");
                assert!(r.contains("drain the node"), "XID {xid}: {r}");
            }
            assert!(!r.contains("nvidia-smi -r)"), "XID {xid}: {r}");
        }
    }

    #[test]
    fn pair_remedies_name_both_ends() {
        let (from, to) = (gpu("00000000:18:00.0"), gpu("00000000:2A:00.0"));
        let checks = vec![
            Check::new("p2p_integrity", CheckStatus::Fail, "").remedy(P2P_CORRUPT),
            Check::new("p2p_ran", CheckStatus::Fail, "").remedy(RESET),
        ];
        let filled = fill_pair(checks, &from, &to);
        let r = filled[0].remedy.as_deref().unwrap_or_default();
        assert!(
            r.contains("between 00000000:18:00.0 and 00000000:2A:00.0"),
            "{r}"
        );
        assert!(!r.contains('{'), "{r}");
        let r = filled[1].remedy.as_deref().unwrap_or_default();
        assert!(r.contains("00000000:18:00.0 and 00000000:2A:00.0"), "{r}");
    }
}
