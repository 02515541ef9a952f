"""GPU check for issue 19 part C (verification that catches faults), on GPU 0:

- bench: a clean run of every bandwidth metric passes; then, for each bandwidth
  buffer, GPUCTL_BENCH_INJECT changes one byte of it after the first repetition
  and the run must exit 1 with that GPU's bench_ran FAILing on a wrong result
  ("words read back wrong" / "arrived wrong"), the metric SKIPped;
- bench figures with the per-word check (hbm_read is now read-and-check)
  printed next to the clean run's, so the lead can judge the check's cost;
- burn: --inject-reference-fault 0 (the reference's repeat and its re-run are
  corrupted) exits 1 with burn_ran FAILing "did not reproduce bit for bit", for
  the cuBLASLt engine and the built-in one; a clean 10 s burn passes with
  verification_mode exact and a 256-entry anchor.

Run on a GPU machine: python3 tests/gpu/check_verify19.py (or tests/gpu/run.sh verify19)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import *  # noqa: E402,F401,F403

# Metric under `bench --tests`, the transfer name the hook takes.
BUFFERS = [
    ("hbm_copy", "hbm_copy"),
    ("hbm_read", "hbm_read"),
    ("hbm_write", "hbm_write"),
    ("h2d", "host_to_device"),
    ("d2h", "device_to_host"),
]


def checks_of(doc):
    return {c["name"]: c for c in (doc["gpus"][0].get("checks") or [])} if doc and doc.get("gpus") else {}


code, doc, err, secs = gpuctl_json("bench", "-i", "0", "--tests", "hbm,pcie", env={"GPUCTL_BENCH_INJECT": None})
equal(code, 0, f"clean bandwidth run exit code ({doc and doc.get('summary')} {err.strip()[:200]})")
for r in ((doc or {}).get("gpus") or [{}])[0].get("bench", {}).get("results", []):
    print(f"info  clean {r['metric']}: {r['value']} {r['unit']} (spread {r['spread_pct']}%, {r['repetitions']} reps)")

for metric, hook in BUFFERS:
    code, doc, err, secs = gpuctl_json("bench", "-i", "0", "--tests", metric, env={"GPUCTL_BENCH_INJECT": hook})
    equal(code, 1, f"{metric}: one byte changed in its buffer exits 1 ({doc and doc.get('summary')})")
    c = checks_of(doc)
    ran = c.get("bench_ran", {})
    equal(ran.get("status"), "fail", f"{metric}: bench_ran")
    msg = ran.get("message") or ""
    check("wrong" in msg, f"{metric}: the message says what was wrong: {msg[:160]}")
    equal((c.get(metric) or {}).get("status"), "skip", f"{metric}: not judged on corrupted data")

for engine in ("cublas", "builtin"):
    code, doc, err, secs = gpuctl_json("burn", "-i", "0", "-d", "5s", "--engine", engine,
                                       "--inject-reference-fault", "0", timeout=300)
    equal(code, 1, f"burn --engine {engine} with a reference that does not reproduce exits 1")
    ran = checks_of(doc).get("burn_ran", {})
    check("did not reproduce bit for bit" in (ran.get("message") or ""),
          f"burn --engine {engine}: burn_ran says the reference did not reproduce",
          ran.get("message"))

code, doc, err, secs = gpuctl_json("burn", "-i", "0", "-d", "10s", timeout=300)
equal(code, 0, f"clean burn exit code ({doc and doc.get('summary')})")
c = checks_of(doc)
equal((c.get("verification_mode") or {}).get("value"), "exact", "clean burn verification_mode")
print(f"info  reference_anchor: {(c.get('reference_anchor') or {}).get('message')}")
equal((c.get("cross_gpu_reference") or {}).get("status"), "skip", "one GPU: cross_gpu_reference")
finish()
