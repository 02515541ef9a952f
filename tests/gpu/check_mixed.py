"""Issue 22's mixed stress on one card, in one call (run by `bash
tests/gpu/run.sh mixed`; about 2.5-3 minutes): 40 s each of

    burn -i 0 -d 40s --json
    memtest -i 0 -d 40s --json
    burn -i 0 -d 40s --mode mixed --json

on the same GPU, one after the other, with nvidia-smi sampled every 0.5 s in
a thread during each run (memtest's report has no telemetry, so all three
are measured the same way: max GPU temperature, max memory temperature, and
mean power over the run's last 30 s, after set-up and ramp). A pause between
runs lets the card cool a little; the order is fixed (burn, memtest, mixed),
so mixed runs on the warmest card: it must not gain from a cold start.

Goals (a table with PASS/FAIL at the end):
- mixed's max memory temperature >= memtest's alone
- mixed's max GPU temperature >= burn's alone
- mixed's mean power >= 0.97x burn's alone

Also checked: each run exits 0; mixed's report has `mode` mixed, a stream
with bytes verified and no wrong words, `stream_mismatch` PASS; and a short
mixed burn with GPUCTL_BURN_STREAM_INJECT=1 (one byte of a streamed buffer
overwritten in the second batch) FAILs the GPU on `stream_mismatch`, exit 1.

Against the simulator (GPUCTL_SIMULATE set, GPUCTL=target/debug/gpuctl), with
MIXED_SECONDS=2 for a quick run, the script runs through; nvidia-smi is
absent there, so the telemetry columns fall back to the reports' own
fields and the goals print as n/a.
"""
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import GPUCTL, check, finish, report_of  # noqa: E402

SECONDS = int(os.environ.get("MIXED_SECONDS", "40"))
STEADY = min(30.0, SECONDS * 0.75)
COOL = float(os.environ.get("MIXED_COOL_SECONDS", "20"))
SMI = shutil.which("nvidia-smi")


def sample_smi(stop, rows):
    """nvidia-smi every 0.5 s on GPU 0: (t, gpu C, mem C, W); None where N/A."""
    fields = "temperature.gpu,temperature.memory,power.draw.instant"
    fallback = "temperature.gpu,temperature.memory,power.draw"
    t0 = time.monotonic()
    while not stop.is_set():
        for q in (fields, fallback):
            p = subprocess.run([SMI, "-i", "0", f"--query-gpu={q}", "--format=csv,noheader,nounits"],
                               capture_output=True, text=True)
            if p.returncode == 0:
                break
        if p.returncode == 0:
            vals = []
            for v in p.stdout.strip().split(","):
                try:
                    vals.append(float(v))
                except ValueError:
                    vals.append(None)
            if len(vals) == 3:
                rows.append((time.monotonic() - t0, *vals))
        stop.wait(0.5)


def measure(name, args, env=None):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    rows, stop = [], threading.Event()
    th = threading.Thread(target=sample_smi, args=(stop, rows)) if SMI else None
    if th:
        th.start()
    start = time.monotonic()
    p = subprocess.run([GPUCTL, *args], capture_output=True, text=True, env=full_env,
                       timeout=SECONDS + 300)
    wall = time.monotonic() - start
    stop.set()
    if th:
        th.join()
    rep = report_of(p.stdout)
    check(p.returncode == 0, f"{name}: gpuctl {' '.join(args)} exits 0",
          f"exit {p.returncode}: {p.stderr[-300:]}")
    check(rep is not None, f"{name}: --json is one valid document")
    steady = [r for r in rows if r[0] >= wall - STEADY]
    m = {
        "name": name,
        "wall": wall,
        "gpu_c": max((r[1] for r in rows if r[1] is not None), default=None),
        "mem_c": max((r[2] for r in rows if r[2] is not None), default=None),
        "power_w": (sum(r[3] for r in steady if r[3] is not None)
                    / max(1, sum(1 for r in steady if r[3] is not None))) if steady else None,
        "samples": len(rows),
        "report": rep,
    }
    # The report's own telemetry (burn has it; memtest does not), for reference.
    g = (rep or {}).get("gpus", [{}])[0] if rep else {}
    b = g.get("burn") or {}
    m["rep_gpu_c"], m["rep_mem_c"], m["rep_power_w"] = (
        b.get("temperature_gpu_peak_c"), b.get("temperature_memory_peak_c"), b.get("power_avg_w"))
    if not SMI:
        m["gpu_c"], m["mem_c"], m["power_w"] = m["rep_gpu_c"], m["rep_mem_c"], m["rep_power_w"]
    print(f"   {name}: {m['samples']} samples, wall {wall:.1f} s, max GPU {m['gpu_c']} C, "
          f"max mem {m['mem_c']} C, mean power (last {STEADY:.0f} s) {m['power_w']}")
    return m


d = f"{SECONDS}s"
burn = measure("burn", ["burn", "-i", "0", "-d", d, "--json"])
time.sleep(COOL)
memtest = measure("memtest", ["memtest", "-i", "0", "-d", d, "--json"])
time.sleep(COOL)
mixed = measure("mixed", ["burn", "-i", "0", "-d", d, "--mode", "mixed", "--json"])

# What the mixed burn itself reported.
g = ((mixed["report"] or {}).get("gpus") or [{}])[0]
b = g.get("burn") or {}
s = b.get("stream") or {}
check(b.get("mode") == "mixed", f"mixed: report's burn.mode is mixed ({b.get('mode')!r})")
check((s.get("bytes_verified") or 0) > 0 and s.get("mismatched_words") == 0,
      f"mixed: stream verified {s.get('bytes_verified')} bytes, {s.get('mismatched_words')} wrong words, "
      f"{s.get('gbps')} GB/s beside {b.get('tflops_median')} TFLOP/s (burn alone: "
      f"{((burn['report'] or {}).get('gpus') or [{}])[0].get('burn', {}).get('tflops_median')})")
st = {c.get("name"): c.get("status") for c in g.get("checks") or []}
check(st.get("stream_mismatch") == "pass", f"mixed: stream_mismatch is pass ({st.get('stream_mismatch')!r})")
print(f"   mixed detail: {b.get('detail')}")

# A streaming fault must fail the GPU.
p = subprocess.run([GPUCTL, "burn", "-i", "0", "-d", "5s", "--mode", "mixed", "--json"],
                   capture_output=True, text=True, env={**os.environ, "GPUCTL_BURN_STREAM_INJECT": "1"},
                   timeout=300)
rep = report_of(p.stdout) or {}
gi = (rep.get("gpus") or [{}])[0]
sti = {c.get("name"): c.get("status") for c in gi.get("checks") or []}
if os.environ.get("GPUCTL_SIMULATE"):
    print("   (simulator: the injection hook is the real worker's; skipped)")
else:
    check(p.returncode == 1 and sti.get("stream_mismatch") == "fail",
          f"injected streaming fault: exit {p.returncode}, stream_mismatch {sti.get('stream_mismatch')!r}",
          p.stderr[-300:])


def goal(label, value, ref, factor=1.0):
    if value is None or ref is None:
        # On a GPU a goal that could not be measured is not met.
        check(not SMI, f"goal: {label}: measured", f"mixed {value}, reference {ref}")
        return f"{label:<44} {'n/a':>8} {'n/a':>8}  n/a"
    ok = value >= factor * ref
    check(ok, f"goal: {label}: {value:.1f} vs {factor * ref:.1f}")
    return f"{label:<44} {value:>8.1f} {factor * ref:>8.1f}  {'PASS' if ok else 'FAIL'}"


print()
print(f"{'run (' + d + ', GPU 0)':<16} {'max GPU C':>10} {'max mem C':>10} {'mean W':>8}")
for m in (burn, memtest, mixed):
    fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
    print(f"{m['name']:<16} {fmt(m['gpu_c']):>10} {fmt(m['mem_c']):>10} {fmt(m['power_w']):>8}")
print()
print(f"{'goal':<44} {'mixed':>8} {'needs':>8}  result")
print(goal("max memory temperature >= memtest's", mixed["mem_c"], memtest["mem_c"]))
print(goal("max GPU temperature >= burn's", mixed["gpu_c"], burn["gpu_c"]))
print(goal("mean power >= 0.97x burn's", mixed["power_w"], burn["power_w"], 0.97))
finish()
