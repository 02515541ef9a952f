"""GPU check for `gpuctl health`: its readings agree with `nvidia-smi -q`
for the same card, it passes on a healthy GPU, and its JSON is complete.

Run on a GPU machine: python3 tests/gpu/check_health.py"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import *  # noqa: E402,F401,F403


def smi_q(index):
    """A few sections of `nvidia-smi -q -i N` as {path: value}."""
    code, out, err, _ = run(["nvidia-smi", "-q", "-i", str(index)])
    values, stack = {}, []
    for line in out.splitlines():
        if not line.strip() or line.startswith("="):
            continue
        depth = (len(line) - len(line.lstrip())) // 4
        key, _, value = line.strip().partition(":")
        key, value = key.strip(), value.strip()
        stack = stack[:depth] + [key]
        if value:
            values["/".join(stack[1:])] = value
    return values


def num(s):
    m = re.match(r"-?[\d.]+", s or "")
    return float(m.group(0)) if m else None


code, doc, err, secs = gpuctl_json("health")
equal(code, 0, f"health --json exit code ({doc['summary'] if doc else err})")
print(f"info  health (with compute test) took {secs*1000:.0f} ms")
if doc:
    for c in doc["host_checks"]:
        print(f"info  host {c['name']}: {c['status']} {c['message']}")
for g in (doc or {}).get("gpus", []):
    checks = {c["name"]: c for c in g["checks"]}
    for c in g["checks"]:
        print(f"info  GPU {g['index']} {c['name']:26s} {c['status']:4s} value={c['value']!r} threshold={c['threshold']!r} {c['message']}")
    q = smi_q(g["index"])
    tag = f"GPU {g['index']}"
    equal(checks["ecc_mode"]["value"], q.get("ECC Mode/Current") == "Enabled", f"{tag} ECC mode vs nvidia-smi -q")
    vol_unc = sum(int(q.get(f"ECC Errors/Volatile/{k}", "0")) for k in ["SRAM Uncorrectable Parity", "SRAM Uncorrectable SEC-DED", "DRAM Uncorrectable"])
    agg_unc = sum(int(q.get(f"ECC Errors/Aggregate/{k}", "0")) for k in ["SRAM Uncorrectable Parity", "SRAM Uncorrectable SEC-DED", "DRAM Uncorrectable"])
    vol_cor = sum(int(q.get(f"ECC Errors/Volatile/{k}", "0")) for k in ["SRAM Correctable", "DRAM Correctable"])
    equal(checks["ecc_volatile_uncorrected"]["value"], vol_unc, f"{tag} volatile uncorrectable ECC")
    equal(checks["ecc_aggregate_uncorrected"]["value"], agg_unc, f"{tag} aggregate uncorrectable ECC")
    equal(checks["ecc_corrected"]["value"], vol_cor, f"{tag} volatile corrected ECC")
    equal(checks["row_remap_pending"]["value"], q.get("Remapped Rows/Pending") == "Yes", f"{tag} row remap pending")
    equal(checks["row_remap_failure"]["value"], q.get("Remapped Rows/Remapping Failure Occurred", "No") == "Yes", f"{tag} row remap failure")
    equal(checks["row_remap_uncorrectable"]["value"], int(q.get("Remapped Rows/Uncorrectable Error", "0")), f"{tag} rows remapped for uncorrectable errors")
    equal(checks["retired_pages"]["status"], "skip", f"{tag} retired pages skipped on a row-remapping GPU")
    t_smi = num(q.get("Temperature/GPU Current Temp"))
    t_ours = checks["temperature"]["value"]
    # Ours is the peak under health's own GEMM load; nvidia-smi reads after
    # it, as the GPU cools: the peak is at least about the later reading and
    # no more than a load's heating above it.
    check(t_smi is not None and t_smi - 3 <= t_ours <= t_smi + 20,
          f"{tag} GPU temperature {t_ours} °C (peak under load) vs nvidia-smi {t_smi} °C just after")
    check(checks["temperature"]["threshold"] in (87, 88, 89, 90, 91, 92), f"{tag} slowdown threshold {checks['temperature']['threshold']} °C")
    equal(checks["power_limit"]["value"], num(q.get("GPU Power Readings/Current Power Limit")), f"{tag} enforced power limit")
    equal(checks["power_limit"]["threshold"], num(q.get("GPU Power Readings/Default Power Limit")), f"{tag} default power limit")
    hw = [k for k in ["HW Slowdown", "HW Thermal Slowdown", "HW Power Brake Slowdown"]
          if q.get(f"Clocks Event Reasons/{k}", q.get(f"Clocks Event Reasons/HW Slowdown/{k}")) == "Active"]
    check((checks["clock_events"]["status"] == "fail") == bool(hw), f"{tag} clock events {checks['clock_events']['message']} (nvidia-smi HW active: {hw})")
    link_max = f"Gen{q.get('PCI/GPU Link Info/PCIe Generation/Max')} x{q.get('PCI/GPU Link Info/Link Width/Max', '').rstrip('x')}"
    equal(checks["pcie_link"]["threshold"], link_max, f"{tag} PCIe max link")
    equal(checks["pcie_link"]["status"], "pass", f"{tag} PCIe link at max under load: {checks['pcie_link']['value']}")
    replays = int(q.get("PCI/Replays Since Reset", "-1"))
    equal(checks["pcie_replay"]["value"], replays, f"{tag} PCIe replays")
    equal(checks["persistence_mode"]["value"], q.get("Persistence Mode") == "Enabled", f"{tag} persistence mode")
    equal(checks["compute_mode"]["value"], q.get("Compute Mode", "").lower().replace(" ", "_"), f"{tag} compute mode")
    equal(checks["mig"]["value"], "on" if q.get("MIG Mode/Current") == "Enabled" else "off", f"{tag} MIG mode")
    code_nv, nv_out, _, _ = run(["nvidia-smi", "nvlink", "--status", "-i", str(g["index"])])
    smi_links = [l for l in nv_out.splitlines() if l.strip().startswith("Link") and "GB/s" in l]
    if smi_links:
        equal(checks["nvlink"]["value"], len(smi_links), f"{tag} active NVLink links vs nvidia-smi nvlink --status")
        equal(checks["nvlink"]["status"], "pass", f"{tag} NVLink check: {checks['nvlink']['message']}")
    else:
        equal(checks["nvlink"]["status"], "skip", f"{tag} NVLink check where nvidia-smi shows no active link")
    equal(checks["compute_self_test"]["status"], "pass", f"{tag} compute self-test")
    equal(checks["xid"]["status"], "pass", f"{tag} no XID errors: {checks['xid']['message']}")

code, out, err, secs = gpuctl("health")
equal(code, 0, "health (table) exit code")
print(out)
code, doc2, err, secs = gpuctl_json("health", "--no-compute")
equal(code, 0, f"health --no-compute exit code in {secs*1000:.0f} ms")
if doc2:
    st = {c["name"]: c["status"] for c in doc2["gpus"][0]["checks"]}
    equal(st.get("pcie_link"), "skip", "without the compute test the PCIe link is not judged")
    equal("compute_self_test" in st, False, "no self-test with --no-compute")
code, out, err, _ = gpuctl("health", "--min-driver", "999.0")
equal(code, 1, "a driver below --min-driver fails the run")
code, out, err, _ = gpuctl("health", "--expect-gpus", "99", "--no-compute")
equal(code, 1, "a wrong --expect-gpus fails the run")
code, out, err, _ = gpuctl("health", "--since", "10")
equal(code, 2, f"a bad duration is a usage error ({err.strip()})")
finish()
