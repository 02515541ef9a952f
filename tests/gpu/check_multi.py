"""Multi-GPU checks (issues 7 and 15): identity under CUDA_VISIBLE_DEVICES,
scaling of probe/health from one GPU to all, burn throughput per GPU alone
and together, memtest and bench on every GPU at once, and bench's
cross-GPU outlier check with one GPU loaded on purpose.

Run on a host with 2 or more GPUs:  python3 tests/gpu/check_multi.py
Every figure comes from this run; ratios compare runs on the same host.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import GPUCTL, check, equal, finish, gpuctl, gpuctl_json, median, run, smi_query  # noqa: E402

REPEAT = int(os.environ.get("MULTI_REPEAT", "5"))
# MULTI_ONLY=scaling runs only the probe/health scaling section.
ONLY = os.environ.get("MULTI_ONLY", "")


def timed(args, env=None, n=REPEAT):
    times = []
    code = None
    for _ in range(n):
        code, _, err, secs = gpuctl(*args, env=env, timeout=120)
        times.append(secs)
    return median(times), code


def last_json_line(out):
    return report_of(out)


smi = smi_query(["index", "uuid", "pci.bus_id", "name"])
n = len(smi)
print(f"info  {n} GPUs: {smi[0]['name']}")
all_ids = ",".join(str(i) for i in range(n))

# --- identity under CUDA_VISIBLE_DEVICES -------------------------------------
code, doc, _, _ = gpuctl_json("list") if ONLY != "scaling" else (0, None, "", 0)
if doc:
    got = {g["index"]: g["uuid"] for g in doc["gpus"]}
    want = {int(r["index"]): r["uuid"] for r in smi}
    equal(got, want, "list: NVML index -> UUID as nvidia-smi")
subsets = [",".join(str(i) for i in reversed(range(n))), smi[-1]["uuid"]]
if n >= 4:
    subsets.insert(0, "3,1")
for cvd in subsets if ONLY != "scaling" else []:
    code, doc, _, _ = gpuctl_json("list", env={"CUDA_VISIBLE_DEVICES": cvd})
    if not doc:
        continue
    entries = cvd.split(",")
    expected = {}
    for pos, e in enumerate(entries):
        uuid = e if e.startswith("GPU-") else smi[int(e)]["uuid"]
        expected[uuid] = pos
    got = {g["uuid"]: g["cuda_index"] for g in doc["gpus"] if g["cuda_index"] is not None}
    equal(got, expected, f"CUDA_VISIBLE_DEVICES={cvd}: CUDA ordinal of each UUID")
    for cmd in (["probe"], ["health", "--no-compute"]):
        code, d2, _, _ = gpuctl_json(*cmd, env={"CUDA_VISIBLE_DEVICES": cvd})
        if d2:
            equal(sorted(g["uuid"] for g in d2["gpus"]), sorted(expected),
                  f"CUDA_VISIBLE_DEVICES={cvd}: {' '.join(cmd)} picks the same GPUs as list")

# --- scaling: one GPU vs two vs all -----------------------------------------
# Issue 7's goal is for the CUDA commands (probe --compute, health) against
# CUDA_VISIBLE_DEVICES=0. The NVML-only commands are compared by -i instead:
# CUDA_VISIBLE_DEVICES makes them ask CUDA which GPUs it means (cuInit), which
# -i does not, so CVD would time CUDA's start-up, not their own work.
rows = []
for name, args, cuda in [("probe", ["probe"], False), ("probe --compute", ["probe", "--compute"], True),
                         ("health --no-compute", ["health", "--no-compute"], False),
                         ("health", ["health"], True)]:
    if cuda:
        one, c1 = timed(args, env={"CUDA_VISIBLE_DEVICES": "0"})
        two, c2 = timed(args, env={"CUDA_VISIBLE_DEVICES": "0,1"})
        how = "CUDA_VISIBLE_DEVICES=0 / =0,1"
    else:
        one, c1 = timed([*args, "-i", "0"])
        two, c2 = timed([*args, "-i", "0,1"])
        how = "-i 0 / -i 0,1"
    alln, cn = timed(args)
    rows.append((name, one, two, alln))
    check(c1 == 0 and c2 == 0 and cn == 0, f"{name}: exit 0 on 1, 2 and {n} GPUs", f"{c1} {c2} {cn}")
    print(f"FIGURE {name} ({how}, median of {REPEAT}): 1 GPU {one*1e3:.1f} ms, "
          f"2 GPUs {two*1e3:.1f} ms ({two/one:.2f}x), {n} GPUs {alln*1e3:.1f} ms ({alln/one:.2f}x)")
    if cuda:
        check(two / one <= 1.3, f"{name}: 2 GPUs within 1.3x of one ({two/one:.2f}x)")
code, _, err, _ = gpuctl("probe", "--compute", env={"GPUCTL_TRACE": "1"})
print("TRACE probe --compute, all GPUs:\n" + "\n".join("  " + l for l in err.strip().splitlines()[-12:]))
code, _, err, _ = gpuctl("health", "--no-compute", env={"GPUCTL_TRACE": "1"})
print("TRACE health --no-compute, all GPUs:\n" + "\n".join("  " + l for l in err.strip().splitlines()[-12:]))

if ONLY == "scaling":
    finish()

# --- burn: per-GPU throughput alone and all together -------------------------
def burn(env=None, secs="10s"):
    code, out, err, _ = gpuctl("burn", "-d", secs, "--json-lines", env=env, timeout=300)
    rep = last_json_line(out)
    rates = {g["index"]: (g.get("burn") or {}).get("tflops_median") for g in rep["gpus"]} if rep else {}
    return code, rates

code1, alone = burn(env={"CUDA_VISIBLE_DEVICES": "0"})
codeN, together = burn()
check(code1 == 0 and codeN == 0, f"burn passes alone and on {n} GPUs", f"{code1} {codeN}")
if alone.get(0) and all(together.values()):
    worst = min(together.values())
    print(f"FIGURE burn bf16: GPU 0 alone {alone[0]:.1f} TFLOP/s; together {together} (min {worst:.1f})")
    check(worst / alone[0] >= 0.97, f"burn: per-GPU throughput together >= 0.97x alone ({worst/alone[0]:.3f})")

# --- memtest and bench on every GPU at once ----------------------------------
code, out, err, secs = gpuctl("memtest", "--patterns", "zeros-ones,address", "--json-lines", timeout=300)
rep = last_json_line(out) if out else None
check(code == 0 and rep and rep["outcome"] == "pass", f"memtest on {n} GPUs passes ({secs:.1f} s)", f"{code} {err[-300:]}")
code, doc, err, secs = gpuctl_json("bench", "--quick", timeout=300)
check(code == 0, f"bench --quick on {n} GPUs exits 0 ({secs:.1f} s)", err[-300:])

# --- bench outlier: load one GPU with a second process -----------------------
victim = n - 1
load = subprocess.Popen([sys.executable, "-c", f"""
import torch, time
torch.cuda.set_device({victim})
a = torch.randn(8192, 8192, device='cuda', dtype=torch.bfloat16)
t = time.time()
while time.time() - t < 60:
    for _ in range(50):
        a @ a
    torch.cuda.synchronize()
"""])
time.sleep(8)
code, doc, err, secs = gpuctl_json("bench", "--quick", "--tests", "gemm_bf16", timeout=300)
load.kill()
if doc:
    failed = sorted(g["index"] for g in doc["gpus"] if g.get("status") == "fail")
    equal(failed, [victim], f"bench outlier check fails only the loaded GPU {victim}")
    equal(code, 1, "bench with a loaded GPU exits 1")

finish()
