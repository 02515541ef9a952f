"""GPU check for `gpuctl burn`: both engines run clean, an injected fault is
caught by both, Ctrl-C stops within 2 s with a partial report and exit 130,
and the JSON Lines stream is valid.

Run on a GPU machine: python3 tests/gpu/check_burn.py"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import *  # noqa: E402,F401,F403


def burn_json(*args, timeout=300):
    code, out, err, secs = gpuctl("burn", "-i", "0", "--json-lines", *args, timeout=timeout)
    lines = []
    for line in out.splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            check(False, "every line of burn --json is JSON", line[:200])
    return code, lines, err, secs


for engine in ["cublas", "builtin"]:
    code, lines, err, secs = burn_json("--engine", engine, "-d", "8s")
    report = lines[-1] if lines else {}
    b = report.get("gpus", [{}])[0].get("burn", {})
    equal(code, 0, f"{engine}: clean 8 s burn exit code ({report.get('summary', err.strip())})")
    equal(report.get("event"), "report", f"{engine}: last JSON line is the report")
    check(all(l.get("event") == "progress" for l in lines[:-1]) and len(lines) > 2, f"{engine}: {len(lines) - 1} progress events before it")
    equal(b.get("engine"), engine, f"{engine}: engine used")
    equal(b.get("mismatched_products"), 0, f"{engine}: no mismatches in {b.get('products')} products")
    # Issue 20: the workload over the capability layer keeps the full product
    # on a GPU (it shrinks only on a device of a few MiB) and its overhead.
    equal(b.get("matrix_size"), 16384, f"{engine}: bf16 products at n = 16384")
    check((b.get("verification_overhead_pct") or 100) <= 5.0,
          f"{engine}: verification overhead {b.get('verification_overhead_pct')}% <= 5%")
    print(f"info  {engine}: {b.get('detail')}, n={b.get('matrix_size')}, {b.get('result_buffers')} buffers, "
          f"TFLOP/s {b.get('tflops_min')}/{b.get('tflops_median')}/{b.get('tflops_max')}, verification overhead "
          f"{b.get('verification_overhead_pct')}%, power avg {b.get('power_avg_w')} W peak {b.get('power_peak_w')} W")

    code, lines, err, secs = burn_json("--engine", engine, "-d", "6s", "--inject-fault", "0")  # noqa
    report = lines[-1] if lines else {}
    g = report.get("gpus", [{}])[0]
    b = g.get("burn", {})
    equal(code, 1, f"{engine}: injected fault fails the run ({report.get('summary', err.strip())})")
    equal(b.get("mismatched_products"), 1, f"{engine}: exactly the corrupted product is caught")
    mm = [c for c in g.get("checks", []) if c["name"] == "result_mismatch"]
    equal(mm[0]["status"] if mm else None, "fail", f"{engine}: result_mismatch check fails")

# Several GPUs: all burn at once, agree on the reference, and a fault on one
# fails only that one.
n_gpus = len(smi_query(["index"]))
if n_gpus > 1:
    code, out, err, secs = gpuctl("burn", "-d", "15s", "--json-lines", "--inject-fault", "1", timeout=300)
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    report = lines[-1]
    equal(code, 1, f"{n_gpus} GPUs with a fault injected into GPU 1: exit code ({report['summary']})")
    status = {g["index"]: g["status"] for g in report["gpus"]}
    check(status.get(1) == "fail" and all(s == "pass" for i, s in status.items() if i != 1),
          f"only GPU 1 fails: {status}")
    sums = {g["burn"]["reference_checksum"] for g in report["gpus"]}
    equal(len(sums), 1, f"every GPU computed the same reference product ({sums})")
    xref = [c["status"] for g in report["gpus"] for c in g["checks"] if c["name"] == "cross_gpu_reference"]
    check(xref and all(s == "pass" for s in xref), f"cross_gpu_reference passes on every GPU: {xref}")
    for g in report["gpus"]:
        b = g["burn"]
        print(f"info  GPU {g['index']}: {b['tflops_median']} TFLOP/s, {b['power_avg_w']} W avg, peak {b['temperature_gpu_peak_c']} °C, "
              f"mismatches {b['mismatched_products']}, checksum {b['reference_checksum']}")

# Ctrl-C: stop within 2 s, exit 130, partial report as the last line.
p = subprocess.Popen([GPUCTL, "burn", "-i", "0", "-d", "10m", "--json-lines"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(12)
sent = time.perf_counter()
p.send_signal(signal.SIGINT)
out, err = p.communicate(timeout=60)
stop_s = time.perf_counter() - sent
equal(p.returncode, 130, "SIGINT exit code")
check(stop_s <= 2.0, f"stopped {stop_s:.2f} s after SIGINT (goal <= 2 s)")
last = json.loads(out.splitlines()[-1])
equal(last["outcome"], "interrupted", "partial report outcome")
check(last["gpus"][0]["burn"]["seconds"] > 1, f"partial report covers {last['gpus'][0]['burn']['seconds']} s of burning")
# Issue 19: a GPU cut short is interrupted, never pass; its buffers still wiped (WARN).
equal(last["gpus"][0]["status"], "interrupted", "GPU cut short by Ctrl-C is interrupted")
wipe = [c for c in last["gpus"][0]["checks"] if c["name"] == "memory_wipe"]
check(wipe and wipe[0]["status"] == "warn" and "zeroed and verified" in wipe[0]["message"],
      f"memory_wipe after Ctrl-C: wiped and verified, WARN ({wipe})")

p = subprocess.Popen([GPUCTL, "burn", "-i", "0", "-d", "10m", "--engine", "builtin"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(8)
sent = time.perf_counter()
p.send_signal(signal.SIGTERM)
out, err = p.communicate(timeout=60)
stop_s = time.perf_counter() - sent
equal(p.returncode, 130, "SIGTERM exit code")
check(stop_s <= 2.0, f"stopped {stop_s:.2f} s after SIGTERM (goal <= 2 s)")
check("interrupted" in out, "table report says interrupted")
check("INTERRUPTED" in out, "table shows the GPU as INTERRUPTED")

# Issue 19: SIGTERM right after start (during enumeration / set-up) still
# reports: exit 130 and valid JSON on stdout.
p = subprocess.Popen([GPUCTL, "burn", "-d", "10m", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(0.05)
p.send_signal(signal.SIGTERM)
out, err = p.communicate(timeout=60)
equal(p.returncode, 130, "SIGTERM during start-up exit code")
lines = out.splitlines()
check(bool(lines), "SIGTERM during start-up still prints a report")
if lines:
    early = json.loads(out)  # --json is one document (issue 24)
    equal(early["outcome"], "interrupted", "start-up SIGTERM report outcome")
    check(all(g.get("status") != "pass" for g in early["gpus"]), "no GPU passes after an early SIGTERM")
print(out)
finish()
