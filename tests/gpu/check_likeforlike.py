"""Like-for-like measurements of issue 21, one call on one card (run by
`bash tests/gpu/run.sh likeforlike`; about 4-6 minutes on an H200), every
ratio computed in this run on this card, a compact table at the end:

- memtest: PyTorch's device-to-device copy of 4 GiB (median of 20, event
  timed) as the reference; the default pass on GPU 0 (every pattern once):
  wall time, coverage of free memory, each pattern's GB/s (bytes read +
  written) as a ratio of the reference; goals: streaming patterns >= 0.85x,
  moving-inversions and modulo (classic, ordered / disturbing) >= 0.5x, the
  pass under 60 s, coverage >= 97%. Then flips injected into the ordered
  walk (moving-inversions) found at their address and bit, and retention
  with a 2 s pause (passes, waits twice).
- probe: whole processes, interleaved 30 times: `gpuctl probe`,
  `nvidia-smi --query-gpu=index,temperature.gpu,ecc.errors.uncorrected.volatile.total`
  and the bare C verdict-only NVML program (benches/floor/nvml_probe.c
  `v2 verdict`, built here with gcc); `gpuctl probe --compute` against
  benches/floor/cuda_startup.c (built here with nvcc) on the same GPUs.
- monitor: a whole `gpuctl monitor -c 1 --csv` process against a whole
  `nvidia-smi --query-gpu` process with the fields both read.
- launch: benches/floor/launch.cu's host launch overhead (launch to
  completion on a stream of its own, one kernel at a time, median of 2000)
  and GPU kernel spacing (graph of 1000 replayed, median of 50), each beside
  its `gpuctl bench --tests latency` metric: `launch_overhead_us` and
  `kernel_spacing_us` (goal: within 1.05x of the reference), interleaved
  three times so a noisy host shows as spread rather than a ratio.
- GEMM: `gpuctl bench` per dtype in both regimes against
  benches/gemm_ref.cu (cuBLASLt, the same n read from bench's detail,
  dtypes and output type, built here with nvcc): burst (`gemm_<dtype>`, 25
  ms after 50 ms idle, 10 bursts) against its burst mode, sustained
  (`gemm_<dtype>_sustained`: 1.5 s warm-up, then 3 s in 0.5 s batches back
  to back) against its sustained mode with the same batch and warm-up;
  goal >= 1.00x each. `gpuctl burn -d 30s` (bf16) against the same
  program's 30 s sustained mode, with burn's verification overhead printed
  beside it, and the power source (`instant` or `average`) burn's JSON
  names for its peaks and plateau.

Run only a part: LIKEFORLIKE_PARTS=launch,gemm (default: every part).
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import GPUCTL, check, finish, gpuctl, median, report_of  # noqa: E402

TORCH_COPY = r"""
import torch, statistics
n = 4 << 30
a = torch.empty(n, dtype=torch.uint8, device="cuda")
b = torch.empty_like(a)
a.fill_(1)
for _ in range(3):
    b.copy_(a)
torch.cuda.synchronize()
ts = []
for _ in range(20):
    s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
    s.record(); b.copy_(a); e.record(); torch.cuda.synchronize()
    ts.append(s.elapsed_time(e) / 1e3)
print(2 * n / statistics.median(ts) / 1e9)
"""

ORDERED = {"moving-inversions", "modulo"}
# nvidia-smi's names for what `gpuctl monitor` reads from NVML (gpuctl reads
# energy, PCIe/NVLink throughput and processes on top).
SMI_MONITOR_FIELDS = ("index,uuid,power.draw,temperature.gpu,temperature.memory,clocks.sm,clocks.mem,"
                      "utilization.gpu,utilization.memory,memory.used,memory.free,"
                      "clocks_event_reasons.active,ecc.errors.corrected.volatile.total,"
                      "ecc.errors.uncorrected.volatile.total,remapped_rows.correctable,"
                      "remapped_rows.uncorrectable,remapped_rows.pending,remapped_rows.failure")
TABLE = []


def row(what, value, ref=None, goal=None, higher_is_better=True):
    ratio = value / ref if ref else None
    ok = None
    if goal is not None and ratio is not None:
        ok = ratio >= goal if higher_is_better else ratio <= goal
    TABLE.append((what, value, ref, ratio, goal, ok, higher_is_better))


def memtest(*args, timeout=300):
    code, out, err, secs = gpuctl("memtest", "-i", "0", "--json-lines", *args, timeout=timeout)
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    rep = lines[-1] if lines and lines[-1].get("event") == "report" else None
    if rep is None:
        print(f"no report: code {code} stderr {err[-500:]!r}")
    return code, rep, secs, err


def wall(cmd, env=None):
    s = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - s


def interleaved(cmds, runs):
    for c in cmds.values():
        wall(c)
    t = {k: [] for k in cmds}
    for _ in range(runs):
        for k, c in cmds.items():
            t[k].append(wall(c))
    return {k: median(v) for k, v in t.items()}


def memtest_part():
    ref = float(subprocess.run([sys.executable, "-c", TORCH_COPY], capture_output=True, text=True,
                               check=True).stdout.strip())
    print(f"reference: PyTorch copy_ 4 GiB, median of 20: {ref:.0f} GB/s (read + write)")
    code, rep, secs, err = memtest()
    m = rep["gpus"][0]["memtest"] if rep else {}
    check(code == 0, f"memtest default pass exits 0 (got {code})", err[-300:])
    for p in m.get("patterns", []):
        g = p.get("gb_per_s") or 0
        goal = 0.5 if p["pattern"] in ORDERED else 0.85
        row(f"memtest {p['pattern']} GB/s vs PyTorch copy", g, ref, goal)
        check(g >= goal * ref, f"{p['pattern']} {g:.0f} GB/s >= {goal} x PyTorch copy ({ref:.0f})")
    row("memtest default pass wall s (goal < 60)", secs)
    check(secs < 60, f"default pass wall time {secs:.1f} s < 60 s")
    cov = m.get("coverage_free_pct") or 0
    row("memtest coverage of free memory %", cov)
    check(cov >= 97.0, f"coverage {cov}% of free memory >= 97%")
    # Flips in the ordered walk: found at the exact address and bit.
    for offset, bit in ((8, 0), (123456792, 17), (70 * 10**9 - 8, 63)):
        code, rep, _, err = memtest("--patterns", "moving-inversions", "--inject-fault", "0",
                                    "--inject-offset", str(offset), "--inject-bit", str(bit))
        m = rep["gpus"][0]["memtest"] if rep else {}
        errs = m.get("errors", [])
        inj = m.get("injected") or {}
        check(code == 1 and m.get("mismatches") == 1 and errs and errs[0]["offset"] == offset
              and errs[0]["flipped_bits"] == [bit] and inj.get("found") is True,
              f"moving-inversions finds a flip at offset {offset} bit {bit}", f"{errs} {inj}")
    code, rep, secs, err = memtest("--patterns", "zeros-ones", "--retention-pause", "2s")
    names = [p["pattern"] for p in (rep["gpus"][0]["memtest"]["patterns"] if rep else [])]
    check(code == 0 and names == ["zeros-ones", "retention"] and secs >= 4,
          f"retention with a 2 s pause passes and waits twice ({secs:.1f} s, {names})", err[-300:])


def probe_part():
    have_gcc = shutil.which("gcc") is not None
    if have_gcc:
        subprocess.run(["gcc", "-O2", "-o", "/tmp/nvml_probe", "benches/floor/nvml_probe.c", "-ldl",
                        "-lpthread"], check=True)
    smi = ["nvidia-smi", "--query-gpu=index,temperature.gpu,ecc.errors.uncorrected.volatile.total",
           "--format=csv,noheader"]
    cmds = {"gpuctl probe": [GPUCTL, "probe"], "nvidia-smi query": smi}
    if have_gcc:
        cmds["C verdict-only"] = ["/tmp/nvml_probe", "v2", "verdict"]
    t = interleaved(cmds, 30)
    for k, v in t.items():
        print(f"  {k:20s} median {v * 1e3:7.2f} ms")
    row("probe ms vs nvidia-smi query (goal <= 1.00)", t["gpuctl probe"] * 1e3,
        t["nvidia-smi query"] * 1e3, 1.00, higher_is_better=False)
    if have_gcc:
        row("probe ms vs C verdict-only (goal <= 1.05)", t["gpuctl probe"] * 1e3,
            t["C verdict-only"] * 1e3, 1.05, higher_is_better=False)
    if shutil.which("nvcc"):
        subprocess.run(["nvcc", "-O2", "-o", "/tmp/cuda_startup", "benches/floor/cuda_startup.c", "-lcuda",
                        "-lpthread"], check=True)
        t = interleaved({"probe --compute": [GPUCTL, "probe", "--compute"],
                         "cuda_startup par": ["/tmp/cuda_startup", "par"]}, 15)
        row("probe --compute ms vs cuda_startup (goal <= 1.10)", t["probe --compute"] * 1e3,
            t["cuda_startup par"] * 1e3, 1.10, higher_is_better=False)
    else:
        print("  nvcc not found: probe --compute vs cuda_startup not measured")


def monitor_part():
    t = interleaved({"gpuctl monitor -c 1": [GPUCTL, "monitor", "-c", "1", "--csv"],
                     "nvidia-smi same fields": ["nvidia-smi", f"--query-gpu={SMI_MONITOR_FIELDS}",
                                                "--format=csv,noheader"]}, 20)
    row("monitor -c 1 process ms vs nvidia-smi process", t["gpuctl monitor -c 1"] * 1e3,
        t["nvidia-smi same fields"] * 1e3)


def bench_results(*args, timeout=300):
    code, out, err, _ = gpuctl("bench", "-i", "0", *args, "--json", timeout=timeout)
    doc = json.loads(out) if out.strip() else {}
    results = {r["metric"]: r for r in ((doc.get("gpus") or [{}])[0].get("bench") or {}).get("results", [])}
    return code, results, err


def launch_part():
    if not shutil.which("nvcc"):
        print("  nvcc not found: launch floors not measured")
        return
    subprocess.run(["nvcc", "-O2", "-o", "/tmp/launch", "benches/floor/launch.cu"], check=True)
    # Interleaved: reference, gpuctl, three times; the medians compared.
    ref = {"launch_overhead_us": [], "kernel_spacing_us": []}
    mine = {"launch_overhead_us": [], "kernel_spacing_us": []}
    for _ in range(3):
        out = subprocess.run(["/tmp/launch"], capture_output=True, text=True, check=True).stdout
        print("  " + out.strip().replace("\n", "\n  "))
        overhead, spacing = [float(l.split()[3]) for l in out.splitlines()]
        ref["launch_overhead_us"].append(overhead)
        ref["kernel_spacing_us"].append(spacing)
        code, results, err = bench_results("--tests", "latency", timeout=120)
        check(code == 0, "bench --tests latency exits 0", err[-300:])
        for m in mine:
            v = results.get(m, {}).get("value")
            check(v is not None and results[m].get("unit") == "us", f"bench reports {m} in us ({v})")
            if v is not None:
                mine[m].append(v)
        check("launch_latency" not in results, "bench no longer reports launch_latency")
    for m, label in (("launch_overhead_us", "host launch overhead (launch+sync, one at a time)"),
                     ("kernel_spacing_us", "GPU kernel spacing (graph replay)")):
        if mine[m]:
            print(f"  {m}: gpuctl {mine[m]} us, reference {ref[m]} us")
            row(f"bench {m} vs C {label}"[:52], median(mine[m]), median(ref[m]), 1.05,
                higher_is_better=False)


def gemm_part():
    if not shutil.which("nvcc"):
        print("  nvcc not found: GEMM references not measured")
        return
    subprocess.run(["nvcc", "-O2", "-o", "/tmp/gemm_ref", "benches/gemm_ref.cu", "-lcublasLt"], check=True)

    def ref(*args):
        out = subprocess.run(["/tmp/gemm_ref", *args], capture_output=True, text=True, check=True).stdout
        print(f"  gemm_ref {' '.join(args)}: {out.strip()}")
        return float(out.split()[4])

    # Every dtype in both regimes, in one bench run (bursts first, then the
    # sustained regime of each dtype: the same order as a default run).
    dtypes = ("bf16", "fp16", "tf32", "fp32", "fp64")
    tests = ",".join([f"gemm_{d}" for d in dtypes] + [f"gemm_{d}_sustained" for d in dtypes])
    code, results, err = bench_results("--tests", tests, timeout=300)
    check(code == 0, "bench GEMM run (both regimes, every dtype) exits 0", err[-300:])
    for dt in dtypes:
        for metric, regime in ((f"gemm_{dt}", "burst"), (f"gemm_{dt}_sustained", "sustained")):
            r = results.get(metric, {})
            v = r.get("value")
            if v is None:
                check(False, f"bench {metric} measured", err[-300:])
                continue
            check(r.get("regime") == regime, f"{metric} labelled {regime} ({r.get('regime')})")
            # The same n as bench's (its detail ends "n = N, <regime>: ...").
            n = (r.get("detail") or "").split("n = ")[-1].split(",")[0].strip()
            if regime == "burst":
                theirs = ref(dt, n, "burst", "10")
            else:
                # bench's sustained protocol: 1.5 s warm-up, 3 s in 0.5 s batches.
                theirs = ref(dt, n, "sustained", "3.0", "0.5", "1.5")
            print(f"  {metric}: {v} TFLOP/s (spread {r.get('spread_pct')}%, "
                  f"sm {r.get('sm_clock_min_mhz')}-{r.get('sm_clock_max_mhz')} MHz, {r.get('power_max_w')} W)")
            row(f"bench {metric} vs cuBLASLt {regime} n={n}", v, theirs, 1.00)
    code, out, err, _ = gpuctl("burn", "-i", "0", "-d", "30s", "--dtype", "bf16", "--json", timeout=120)
    rep = report_of(out) or {}
    b = (rep.get("gpus") or [{}])[0].get("burn", {})
    t = b.get("tflops_median")
    if t is None:
        check(False, "burn -d 30s reported TFLOP/s", err[-300:])
        return
    print(f"  burn: {t} TFLOP/s median, verification overhead {b.get('verification_overhead_pct')}%, "
          f"power avg {b.get('power_avg_w')} W, peak {b.get('power_peak_w')} W "
          f"({b.get('power_source')}), plateau after {b.get('seconds_to_power_plateau')} s, "
          f"n = {b.get('matrix_size')}")
    # Which NVML reading fed the peaks and the time to plateau: `instant`
    # where the GPU has NVML_FI_DEV_POWER_INSTANT (expected on Hopper with
    # a current driver), else `average` (the 1-second average).
    check(b.get("power_source") in ("instant", "average"),
          f"burn's JSON says which power reading it used ({b.get('power_source')})", json.dumps(b)[:300])
    row("burn bf16 sustained TFLOP/s vs cuBLASLt sustained", t, ref("bf16", "16384", "sustained", "30"), 0.97)


def main():
    name = subprocess.run(["nvidia-smi", "-i", "0", "--query-gpu=name,driver_version",
                           "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
    print(f"card: {name}")
    chosen = [p for p in os.environ.get("LIKEFORLIKE_PARTS", "").split(",") if p]
    parts = (memtest_part, probe_part, monitor_part, launch_part, gemm_part)
    for part in parts:
        if chosen and part.__name__.removesuffix("_part") not in chosen:
            continue
        try:
            part()
        except Exception as e:  # one part failing must not hide the others' figures
            check(False, f"{part.__name__} ran", repr(e))
    print(f"\nlike for like on {name} (one call, same card)")
    print(f"{'measurement':52s} {'value':>9s} {'reference':>10s} {'ratio':>7s} {'goal':>6s}")
    for what, value, ref, ratio, goal, ok, hib in TABLE:
        g = "" if goal is None else (">=" if hib else "<=") + f"{goal}"
        verdict = "" if ok is None else ("ok" if ok else "MISS")
        print(f"{what:52s} {value:9.2f} {'' if ref is None else f'{ref:10.2f}':>10s} "
              f"{'' if ratio is None else f'{ratio:7.3f}':>7s} {g:>6s} {verdict}")
    finish()


if __name__ == "__main__":
    main()
