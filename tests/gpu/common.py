"""Helpers for the GPU checks: run gpuctl and nvidia-smi, record assertions.

These scripts run on a machine with a real GPU (never in CI). Each assertion
prints one PASS/FAIL line; the run ends with 'N passed, M failed'.
"""
import json
import os
import subprocess
import sys
import time

GPUCTL = os.environ.get("GPUCTL", ".dev/bin/gpuctl")
RESULTS = {"passed": 0, "failed": 0}


def run(args, env=None, timeout=600):
    """Runs a command; returns (exit code, stdout, stderr, seconds)."""
    full_env = dict(os.environ)
    full_env.pop("GPUCTL_SIMULATE", None)
    # A dry run of a script on a machine without a GPU (with an nvidia-smi
    # stand-in on PATH): GPUCTL_CHECK_SIMULATE=fixture.json. Never on a GPU.
    if os.environ.get("GPUCTL_CHECK_SIMULATE"):
        full_env["GPUCTL_SIMULATE"] = os.environ["GPUCTL_CHECK_SIMULATE"]
    if env:
        for k, v in env.items():
            if v is None:
                full_env.pop(k, None)
            else:
                full_env[k] = v
    start = time.perf_counter()
    p = subprocess.run(args, capture_output=True, text=True, env=full_env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr, time.perf_counter() - start


def gpuctl(*args, env=None, timeout=600):
    return run([GPUCTL, *args], env=env, timeout=timeout)


def gpuctl_json(*args, env=None, timeout=600):
    code, out, err, secs = gpuctl(*args, "--json", env=env, timeout=timeout)
    try:
        doc = json.loads(out)
    except json.JSONDecodeError as e:
        check(False, f"gpuctl {' '.join(args)} --json printed valid JSON", f"{e}: {out[:200]!r} {err[:200]!r}")
        doc = None
    return code, doc, err, secs


def smi_query(fields):
    """nvidia-smi --query-gpu rows as dicts (values stripped, no units)."""
    code, out, err, _ = run(["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"])
    if code != 0:
        raise RuntimeError(f"nvidia-smi failed: {err}")
    rows = []
    for line in out.strip().splitlines():
        rows.append(dict(zip(fields, [v.strip() for v in line.split(",")])))
    return rows


def check(ok, what, detail=""):
    RESULTS["passed" if ok else "failed"] += 1
    print(f"{'PASS' if ok else 'FAIL'}  {what}" + (f"  [{detail}]" if detail and not ok else ""))
    return ok


def equal(actual, expected, what):
    return check(actual == expected, f"{what}: {actual!r}", f"expected {expected!r}")


def finish():
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    sys.exit(1 if RESULTS["failed"] else 0)


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def report_of(out):
    """The report in a command's stdout: the whole of it under --json (one
    document), or its last line under --json-lines; None if neither parses."""
    try:
        return json.loads(out)
    except ValueError:
        lines = [l for l in out.strip().splitlines() if l.strip()]
        try:
            return json.loads(lines[-1]) if lines else None
        except ValueError:
            return None
