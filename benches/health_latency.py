"""Benchmark: whole-process wall time of `gpuctl health` with and without
the compute test, against `gpuctl probe` on the same GPU in the same run.
Goals (issue 3): with compute <= 1.5 s on one H100; without it <= 3x probe.

Run on a GPU machine: python3 benches/health_latency.py [runs]"""
import os
import subprocess
import sys
import time

GPUCTL = os.environ.get("GPUCTL", ".dev/bin/gpuctl")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
commands = {
    "gpuctl probe": [GPUCTL, "probe"],
    "gpuctl health --no-compute": [GPUCTL, "health", "--no-compute"],
    "gpuctl health": [GPUCTL, "health"],
}
times = {k: [] for k in commands}
codes = {k: set() for k in commands}
for cmd in commands.values():
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(RUNS):
    for name, cmd in commands.items():
        start = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[name].append(time.perf_counter() - start)
        codes[name].add(p.returncode)
med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
for name in commands:
    print(f"{name:28s} median {med[name]*1000:7.1f} ms  min {min(times[name])*1000:7.1f} ms  exit codes {sorted(codes[name])}")
print(f"health with compute: {med['gpuctl health']:.2f} s (goal <= 1.5 s)")
print(f"ratio health --no-compute / probe = {med['gpuctl health --no-compute'] / med['gpuctl probe']:.2f} (goal <= 3.00) over {RUNS} runs")
