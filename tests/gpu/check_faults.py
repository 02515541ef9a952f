"""GPU check for bounded driver calls and CUDA_VISIBLE_DEVICES agreement on
real hardware (issue 8's fault side).

- The bound costs little: probe and health --no-compute with the default
  --call-timeout, timed against the same commands in the same run (median of
  N runs each); the per-call worker threads are the only new cost.
- Every call answers well within the bound on a healthy GPU: no check
  mentions "did not answer", and every GPU passes.
- CUDA_VISIBLE_DEVICES: probe / health --no-compute / list pick the same
  UUIDs for every index and UUID value, under both CUDA_DEVICE_ORDERs; on a
  multi-GPU host it also prints whether CUDA's default order equals PCI order
  there (informational: gpuctl asks CUDA either way).
- probe's cost with CUDA_VISIBLE_DEVICES set (it now initialises CUDA to
  learn CUDA's order), against probe without it.

Run on a GPU machine: python3 tests/gpu/check_faults.py [runs]
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import *  # noqa: E402,F401,F403

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15


def median_ms(args, env=None):
    times = []
    for _ in range(RUNS):
        code, _, _, secs = gpuctl(*args, env=env)
        times.append(secs * 1000)
    return statistics.median(times), code


# 1. Healthy GPUs: nothing times out, everything passes.
for args in (["probe"], ["health", "--no-compute"], ["list"]):
    code, doc, err, secs = gpuctl_json(*args)
    text = str(doc)
    equal(code, 0, f"{' '.join(args)} exits 0 on healthy GPUs")
    check("did not answer" not in text, f"{' '.join(args)}: no driver call timed out ({secs * 1000:.0f} ms)")
    if doc and args[0] != "list":
        bad = [g["index"] for g in doc["gpus"] if g.get("status") != "pass"]
        check(not bad, f"{' '.join(args)}: every GPU passes", f"not pass: {bad}")

# 2. Latency with every call bounded (compare with ENGINEERING.md section 7:
#    probe 23.8 ms, health --no-compute 33 ms on one H100, on main).
for args in (["probe"], ["health", "--no-compute"]):
    ms, code = median_ms(args)
    print(f"MEASURE {' '.join(args)}: median {ms:.1f} ms over {RUNS} runs (exit {code})")
    check(ms < 1000, f"{' '.join(args)} stays under 1 s (Kubernetes exec probe default)", f"{ms:.1f} ms")

# 3. CUDA_VISIBLE_DEVICES agreement.
smi = smi_query(["index", "uuid", "pci.bus_id"])
n = len(smi)
values = [str(i) for i in range(n)] + [",".join(map(str, reversed(range(n))))] + [r["uuid"] for r in smi]
if n >= 2:
    values += ["1,0", "0,1", f"{smi[1]['uuid']},0"]
for order in (None, "PCI_BUS_ID"):
    for v in values:
        env = {"CUDA_VISIBLE_DEVICES": v, "CUDA_DEVICE_ORDER": order}
        picks = {}
        for args in (["list"], ["probe"], ["health", "--no-compute"]):
            code, doc, _, _ = gpuctl_json(*args, env=env)
            picks[args[0] + (" --no-compute" if len(args) > 1 else "")] = sorted(g["uuid"] for g in (doc or {}).get("gpus", []))
        same = len({tuple(p) for p in picks.values()}) == 1
        check(same, f"CUDA_VISIBLE_DEVICES={v} CUDA_DEVICE_ORDER={order}: every command picks {picks['list']}", str(picks))

# 4. Informational: CUDA's default order vs PCI order on this host.
if n >= 2:
    code, doc, _, _ = gpuctl_json("list", env={"CUDA_DEVICE_ORDER": None, "CUDA_VISIBLE_DEVICES": None})
    order = sorted(((g["cuda_index"], g["index"]) for g in doc["gpus"] if g["cuda_index"] is not None))
    same = all(c == i for c, i in order)
    print(f"MEASURE CUDA default order vs NVML (PCI) order: {'same' if same else 'DIFFERENT'}: {order}")

# 5. Cost of asking CUDA when CUDA_VISIBLE_DEVICES is set.
base, _ = median_ms(["probe"], env={"CUDA_VISIBLE_DEVICES": None})
withv, _ = median_ms(["probe"], env={"CUDA_VISIBLE_DEVICES": "0"})
print(f"MEASURE probe median: {base:.1f} ms without CUDA_VISIBLE_DEVICES, {withv:.1f} ms with it ({withv / base:.2f}x)")
check(withv < 1000, "probe with CUDA_VISIBLE_DEVICES stays under 1 s", f"{withv:.1f} ms")

finish()
