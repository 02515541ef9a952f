"""Benchmark: `gpuctl burn` against PyTorch on the same card in the same run.

Measures, for one GPU:
  1. PyTorch bf16 8192^3 matmul TFLOP/s (median of 20, CUDA events) and the
     average board power of a PyTorch bf16 matmul loop of the same length as
     the burns (the full-load reference; gpu-burn itself is not installable
     on the GPU machine, see the notes),
  2. `gpuctl burn --engine cublas --dtype bf16` and `--engine builtin`:
     average power (gpuctl's own NVML samples and nvidia-smi's, both over the
     whole run and after the first 5 s), seconds to the power plateau, median
     TFLOP/s, verification overhead,
and prints the ratios the burn issue asks for.

Run on a GPU machine: python3 benches/burn_bench.py [seconds=60]"""
import json
import os
import subprocess
import sys
import threading
import time

GPUCTL = os.environ.get("GPUCTL", ".dev/bin/gpuctl")
SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 60


class PowerSampler:
    """nvidia-smi power samples every 200 ms while a workload runs."""

    def __init__(self):
        self.samples = []
        self.stop = threading.Event()

    def run(self):
        start = time.perf_counter()
        while not self.stop.is_set():
            out = subprocess.run(["nvidia-smi", "-i", "0", "--query-gpu=power.draw", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True).stdout.strip()
            try:
                self.samples.append((time.perf_counter() - start, float(out)))
            except ValueError:
                pass
            time.sleep(0.2)

    def __enter__(self):
        self.thread = threading.Thread(target=self.run)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def average(self, skip=0.0):
        xs = [p for t, p in self.samples if t >= skip]
        return sum(xs) / len(xs) if xs else float("nan")


def torch_reference():
    import torch
    n = 8192
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    for _ in range(5):
        a @ b
    torch.cuda.synchronize()
    times = []
    for _ in range(20):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        a @ b
        e.record()
        torch.cuda.synchronize()
        times.append(s.elapsed_time(e) / 1e3)
    tflops = 2 * n ** 3 / sorted(times)[len(times) // 2] / 1e12
    # The same product sustained for the burn's length: at the power cap the
    # rate settles below the short-burst median above.
    with PowerSampler() as p:
        start = time.perf_counter()
        end = start + SECONDS
        count = 0
        while time.perf_counter() < end:
            for _ in range(50):
                a @ b
            count += 50
            torch.cuda.synchronize()
        sustained = 2 * n ** 3 * count / (time.perf_counter() - start) / 1e12
    del a, b
    torch.cuda.empty_cache()
    return tflops, sustained, p.average(), p.average(5.0)


def burn(engine):
    with PowerSampler() as p:
        proc = subprocess.run([GPUCTL, "burn", "-i", "0", "--engine", engine, "--dtype", "bf16",
                               "-d", f"{SECONDS}s", "--json-lines"], capture_output=True, text=True)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    report = lines[-1]
    b = report["gpus"][0]["burn"]
    return proc.returncode, report, b, p.average(), p.average(5.0)


torch_tflops, torch_sustained, torch_power, torch_power_5 = torch_reference()
print(f"pytorch bf16 matmul 8192^3: {torch_tflops:.1f} TFLOP/s (median of 20); sustained over {SECONDS}s: {torch_sustained:.1f} TFLOP/s, avg power {torch_power:.1f} W (after 5 s: {torch_power_5:.1f} W)")
results = {}
for engine in ["cublas", "builtin"]:
    code, report, b, smi_power, smi_power_5 = burn(engine)
    results[engine] = (b, smi_power_5)
    print(f"gpuctl burn --engine {engine}: exit {code}, {report['summary']}")
    print(f"   detail {b['detail']}; {b['result_buffers']} result buffers, {b['memory_bytes']/2**30:.1f} GiB")
    print(f"   TFLOP/s min/median/max {b['tflops_min']}/{b['tflops_median']}/{b['tflops_max']}, with verification {b['tflops_with_verification']}, verification overhead {b['verification_overhead_pct']}%")
    print(f"   power: gpuctl NVML avg {b['power_avg_w']} W peak {b['power_peak_w']} W; nvidia-smi avg {smi_power:.1f} W (after 5 s: {smi_power_5:.1f} W); plateau after {b['seconds_to_power_plateau']} s")
    print(f"   peak temp {b['temperature_gpu_peak_c']} °C, lowest SM clock {b['sm_clock_min_mhz']} MHz, throttle {b['throttle']}, mismatches {b['mismatched_products']}")
cub, cub_p = results["cublas"]
bi, bi_p = results["builtin"]
print("ratios (same card, same run):")
print(f"  cuBLASLt burn power / PyTorch matmul-loop power (after 5 s, nvidia-smi) = {cub_p / torch_power_5:.4f} (goal >= 0.99 of the full-load reference)")
print(f"  cuBLASLt burn TFLOP/s / PyTorch bf16 matmul, short-burst median = {cub['tflops_median'] / torch_tflops:.4f} (goal >= 0.95)")
print(f"  cuBLASLt burn TFLOP/s / PyTorch bf16 matmul, sustained {SECONDS}s = {cub['tflops_median'] / torch_sustained:.4f}")
print(f"  built-in burn power / cuBLASLt burn power       = {bi_p / cub_p:.4f} (goal >= 0.95)")
print(f"  built-in TFLOP/s / cuBLASLt TFLOP/s             = {bi['tflops_median'] / cub['tflops_median']:.4f}")
print(f"  verification overhead: cuBLASLt {cub['verification_overhead_pct']}%, built-in {bi['verification_overhead_pct']}% (goal <= 5%)")
