"""GPU check for the foundation: `list` agrees with nvidia-smi, `probe`
passes, CUDA_VISIBLE_DEVICES maps to the right device.

Run on a GPU machine: python3 tests/gpu/check_foundation.py
(GPUCTL=path/to/gpuctl, default .dev/bin/gpuctl)."""
import sys
import os

sys.path.insert(0, os.path.dirname(__file__))
from common import *  # noqa: E402,F401,F403

FIELDS = ["index", "name", "uuid", "pci.bus_id", "memory.total", "driver_version",
          "pcie.link.gen.max", "pcie.link.width.max", "serial", "compute_cap",
          "persistence_mode", "power.limit", "power.default_limit", "mig.mode.current"]
smi = {row["uuid"]: row for row in smi_query(FIELDS)}

code, doc, err, _ = gpuctl_json("list")
equal(code, 0, "list --json exit code")
gpus = doc["gpus"] if doc else []
equal(len(gpus), len(smi), "list finds as many GPUs as nvidia-smi")
equal(doc["driver"]["cuda"]["status"], "available", "CUDA driver available")
equal(doc["driver"]["nvml"]["status"], "available", "NVML available")
for g in gpus:
    s = smi.get(g["uuid"])
    if not check(s is not None, f"GPU {g['index']} UUID {g['uuid']} known to nvidia-smi"):
        continue
    d = g["details"]
    tag = f"GPU {g['index']}"
    equal(str(g["index"]), s["index"], f"{tag} index")
    equal(g["name"], s["name"], f"{tag} name")
    equal(g["pci_bus_id"].upper(), s["pci.bus_id"].upper(), f"{tag} PCI bus id")
    equal(d["memory_total_bytes"] // (1 << 20), int(s["memory.total"]), f"{tag} memory total MiB")
    equal(d["driver_version"], s["driver_version"], f"{tag} driver version")
    equal(d["pcie_link_gen_max"], int(s["pcie.link.gen.max"]), f"{tag} PCIe max gen")
    equal(d["pcie_link_width_max"], int(s["pcie.link.width.max"]), f"{tag} PCIe max width")
    equal(g["serial"], s["serial"], f"{tag} serial")  # identity, beside name and UUID
    equal(d["compute_capability"], s["compute_cap"], f"{tag} compute capability")
    equal(d["persistence_mode"], s["persistence_mode"] == "Enabled", f"{tag} persistence mode")
    check(abs(d["power_limit_w"] - float(s["power.limit"])) < 0.5, f"{tag} power limit {d['power_limit_w']} W", s["power.limit"])
    equal(d["mig_mode"]["current"], s["mig.mode.current"] == "Enabled", f"{tag} MIG mode")
    check(isinstance(d["sm_count"], int) and d["sm_count"] > 0, f"{tag} SM count {d['sm_count']}")
    check(d["temperature_slowdown_c"] is not None, f"{tag} slowdown threshold {d['temperature_slowdown_c']} °C")
    check(g["cuda_index"] is not None, f"{tag} has a CUDA index {g['cuda_index']}")
    # PCIe current link: compare with nvidia-smi read right after (idle links may downtrain).
    cur = smi_query(["uuid", "pcie.link.gen.current", "pcie.link.width.current"])
    cur = {r["uuid"]: r for r in cur}[g["uuid"]]
    check(d["pcie_link_width_current"] == int(cur["pcie.link.width.current"]),
          f"{tag} PCIe current width {d['pcie_link_width_current']}", cur["pcie.link.width.current"])
    print(f"info  {tag} PCIe current gen gpuctl={d['pcie_link_gen_current']} nvidia-smi={cur['pcie.link.gen.current']} (idle links downtrain)")

code, out, err, secs = gpuctl("list")
equal(code, 0, "list (table) exit code")
print(out)

code, out, err, secs = gpuctl("probe")
equal(code, 0, f"probe exit code ({out.strip()}) in {secs*1000:.0f} ms")
check(out.startswith("healthy:") and out.count("\n") == 1, "probe prints one 'healthy:' line", out)
code, out, err, secs = gpuctl("probe", "--compute")
equal(code, 0, f"probe --compute exit code ({out.strip()}) in {secs*1000:.0f} ms")
code, pdoc, err, _ = gpuctl_json("probe", "--compute")
if pdoc:
    for g in pdoc["gpus"]:
        for c in g["checks"]:
            print(f"info  probe GPU {g['index']} {c['name']}: {c['status']} {c['message']}")
    # The probe reads ECC and remap state through one field-values call;
    # health reads them one by one (checked against nvidia-smi -q).
    code, hdoc, err, _ = gpuctl_json("health", "--no-compute")
    if hdoc:
        for pg, hg in zip(pdoc["gpus"], hdoc["gpus"]):
            pc = {c["name"]: c["value"] for c in pg["checks"]}
            hc = {c["name"]: c["value"] for c in hg["checks"]}
            for name in ["ecc_volatile_uncorrected", "row_remap_failure", "temperature"]:
                ok = pc.get(name) == hc.get(name) or (name == "temperature" and abs(pc[name] - hc[name]) <= 3)
                check(ok, f"GPU {pg['index']} probe {name} = {pc.get(name)!r} agrees with health ({hc.get(name)!r})")
    st = [c for g in pdoc["gpus"] for c in g["checks"] if c["name"] == "compute_self_test"]
    check(len(st) == len(gpus) and all(c["status"] == "pass" for c in st), "self-test passed on every GPU")
    # Issue 20: the self-test (workloads::selftest) launches 8 blocks of 256
    # threads per SM and checks every element and block sum: 271,392 on a
    # 132-SM H100 or H200, as before the move.
    sms = {g["index"]: (g.get("details") or {}).get("sm_count") for g in gpus}
    for g in pdoc["gpus"]:
        sm = sms.get(g["index"])
        for c in g["checks"]:
            if c["name"] == "compute_self_test" and isinstance(sm, int):
                want = sm * 8 * 256 + sm * 8
                check(f": {want} results correct" in c["message"],
                      f"GPU {g['index']} self-test checked {want} results ({sm} SMs)", c["message"])

# CUDA_VISIBLE_DEVICES by UUID (last GPU: not index 0 where there are several) and by index.
if gpus:
    target = gpus[-1]
    code, vdoc, err, _ = gpuctl_json("list", env={"CUDA_VISIBLE_DEVICES": target["uuid"]})
    equal(code, 0, "list with CUDA_VISIBLE_DEVICES=<uuid> exit code")
    if vdoc:
        equal([g["uuid"] for g in vdoc["gpus"]], [target["uuid"]], "CUDA_VISIBLE_DEVICES=<uuid> shows exactly that GPU")
        equal(vdoc["gpus"][0]["cuda_index"], 0, "and it is CUDA device 0")
        equal(vdoc["gpus"][0]["index"], target["index"], "and keeps its NVML index")
    code, out, err, _ = gpuctl("probe", "--compute", env={"CUDA_VISIBLE_DEVICES": target["uuid"]})
    equal(code, 0, f"probe --compute with CUDA_VISIBLE_DEVICES=<uuid> ({out.strip()})")
    code, vdoc, err, _ = gpuctl_json("list", env={"CUDA_VISIBLE_DEVICES": target["uuid"][:12]})
    if vdoc:
        equal([g["uuid"] for g in vdoc["gpus"]], [target["uuid"]], "CUDA_VISIBLE_DEVICES=<uuid prefix> shows that GPU")
    code, out, err, _ = gpuctl("list", env={"CUDA_VISIBLE_DEVICES": ""})
    equal(code, 3, f"CUDA_VISIBLE_DEVICES='' is an environment error ({err.strip()})")
    code, out, err, _ = gpuctl("list", "-i", "99")
    equal(code, 2, f"unknown selector is a usage error ({err.strip()[:100]})")
    code, out, err, _ = gpuctl("probe", "-i", "99")
    equal(code, 1, "probe with unknown selector exits 1")
    code, out, err, _ = gpuctl("list", "-i", target["uuid"][:10])
    equal(code, 0, "selector by UUID prefix")
    code, out, err, _ = gpuctl("list", "-i", target["pci_bus_id"])
    equal(code, 0, "selector by PCI bus id")

finish()
