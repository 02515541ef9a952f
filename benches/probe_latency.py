"""Benchmark: whole-process wall time of `gpuctl probe` against
`nvidia-smi --query-gpu=index,temperature.gpu,ecc.errors.uncorrected.volatile.total
--format=csv` (the same facts a probe judges) on the same GPUs in the same
run. Reports medians and the ratio (issue 7's goal: <= 0.9).

Run on a GPU machine: python3 benches/probe_latency.py [runs]"""
import os
import subprocess
import sys
import time

GPUCTL = os.environ.get("GPUCTL", ".dev/bin/gpuctl")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 30


def wall(cmd):
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, p.returncode


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2]


commands = {
    "gpuctl probe": [GPUCTL, "probe"],
    "nvidia-smi query": [
        "nvidia-smi",
        "--query-gpu=index,temperature.gpu,ecc.errors.uncorrected.volatile.total",
        "--format=csv",
    ],
    "gpuctl probe --compute": [GPUCTL, "probe", "--compute"],
}
times = {k: [] for k in commands}
codes = {k: set() for k in commands}
for name, cmd in commands.items():  # warm-up (page cache, driver state)
    wall(cmd)
for _ in range(RUNS):  # interleaved so drift hits every command alike
    for name, cmd in commands.items():
        t, code = wall(cmd)
        times[name].append(t)
        codes[name].add(code)
for name in commands:
    print(f"{name:28s} median {median(times[name])*1000:7.1f} ms  min {min(times[name])*1000:7.1f} ms  exit codes {sorted(codes[name])}")
ratio = median(times["gpuctl probe"]) / median(times["nvidia-smi query"])
print(f"ratio gpuctl probe / nvidia-smi query = {ratio:.3f} (goal <= 0.90) over {RUNS} runs")
