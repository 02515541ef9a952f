"""GPU check for burn verification (issue 7): every injected fault shape is
caught on the GPU by both engines, a clean burn passes with exact
verification, an anchored reference and a verified memory wipe, and the
verification overhead stays small.

For each engine (cublas, builtin) and each --inject-fault-kind, runs N short
burns on GPU 0 (N = $BURN_VERIFY_N, default 3) and prints the catch rate.
About 4 minutes on one H100 (N=3).

Run on a GPU machine: bash tests/gpu/run.sh burnverify"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import *  # noqa: E402,F401,F403

N = int(os.environ.get("BURN_VERIFY_N", "3"))
KINDS = ["gross", "low-bit", "same-bit-two-words", "stuck-bit-row"]
ENGINES = ["cublas", "builtin"]


def burn(*args, timeout=180):
    code, out, err, secs = gpuctl("burn", "-i", "0", "--json-lines", *args, timeout=timeout)
    report = {}
    for line in out.splitlines():
        try:
            doc = json.loads(line)
        except json.JSONDecodeError:
            check(False, "every line of burn --json is JSON", line[:200])
            continue
        if doc.get("event") == "report" or "gpus" in doc:
            report = doc
    gpu = (report.get("gpus") or [{}])[0]
    checks = {c["name"]: c for c in gpu.get("checks", [])}
    return code, report, gpu, checks, err, secs


def status(checks, name):
    return checks.get(name, {}).get("status")


rates = {}
for engine in ENGINES:
    # A clean burn: passes, exact verification, anchored reference, wiped
    # memory, and the verification overhead from the report.
    code, report, gpu, checks, err, secs = burn("--engine", engine, "-d", "10s")
    b = gpu.get("burn", {})
    equal(code, 0, f"{engine}: clean 10 s burn exit code ({report.get('summary', err.strip()[:200])})")
    equal(b.get("mismatched_products"), 0, f"{engine}: no mismatches in {b.get('products')} products")
    equal(status(checks, "verification_mode"), "pass",
          f"{engine}: verification_mode ({checks.get('verification_mode', {}).get('message')})")
    equal(status(checks, "reference_anchor"), "pass",
          f"{engine}: reference_anchor ({checks.get('reference_anchor', {}).get('message')})")
    equal(status(checks, "memory_wipe"), "pass",
          f"{engine}: memory_wipe ({checks.get('memory_wipe', {}).get('message')})")
    overhead = b.get("verification_overhead_pct")
    check(overhead is not None and overhead <= 3.0, f"{engine}: verification overhead {overhead}% <= 3%")
    print(f"info  {engine}: {b.get('detail')}, n={b.get('matrix_size')}, {b.get('result_buffers')} buffers, "
          f"TFLOP/s median {b.get('tflops_median')} (with verification {b.get('tflops_with_verification')}), "
          f"verification overhead {overhead}%, power avg {b.get('power_avg_w')} W, wall {secs:.1f} s")

    for kind in KINDS:
        caught = injected = 0
        for i in range(N):
            # The fault goes into the second batch: 5 s leaves room for
            # set-up and two batches of about a second.
            code, report, gpu, checks, err, secs = burn(
                "--engine", engine, "-d", "5s", "--memory", "25%",
                "--inject-fault", "0", "--inject-fault-kind", kind)
            b = gpu.get("burn", {})
            if (b.get("batches") or 0) < 2:
                print(f"info  {engine}/{kind} run {i}: not injected, only {b.get('batches')} batches "
                      f"({report.get('summary', err.strip()[:200])})")
                continue
            injected += 1
            hit = code == 1 and status(checks, "result_mismatch") == "fail" and b.get("mismatched_products", 0) >= 1
            caught += hit
            print(f"info  {engine}/{kind} run {i}: {'caught' if hit else 'MISSED'}: exit {code}, "
                  f"{b.get('mismatched_products')} products / {b.get('mismatched_elements')} elements, "
                  f"verification {checks.get('verification_mode', {}).get('value')}, {secs:.1f} s")
        rates[(engine, kind)] = (caught, injected)
        check(injected > 0 and caught == injected, f"{engine}/{kind}: caught {caught} of {injected} injections")

print("catch rates (engine, kind: caught/injected):")
for (engine, kind), (caught, injected) in rates.items():
    rate = f"{caught / injected:.0%}" if injected else "n/a"
    print(f"  {engine:8} {kind:20} {caught}/{injected} = {rate}")
finish()
