#!/usr/bin/env python3
"""CI check: `gpuctl bench --junit` output validates against tests/junit.xsd,
and its counts agree with its testcases. Runs the debug binary on the
simulated backend: a passing run, a failing one (a --min above the value)
and one with a GPU that could not be measured. Each fixture's simulated GPUs
get 6 MiB (the shipped 2 MiB cannot hold bench's buffers at its memory
share), and the failing cases must fail the testcase they are about.

Usage: python3 tests/validate_junit.py [path/to/gpuctl]   (needs `xmlschema`)"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import xmlschema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GPUCTL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug", "gpuctl")
schema = xmlschema.XMLSchema(os.path.join(ROOT, "tests", "junit.xsd"))
fixtures = os.path.join(ROOT, "tests", "fixtures")
passed = failed = 0

# (name, fixture, args, exit code, testcases that must fail)
cases = [
    ("pass", "two_h100.json", ["--tests", "pcie,latency"], 0, set()),
    ("fail", "two_h100.json", ["--tests", "pcie", "--min", "h2d=60GB/s"], 1, {"h2d"}),
    ("mig", "mig.json", ["--tests", "h2d"], 1, {"bench_ran"}),
]


def sized(tmp, fixture):
    """The fixture with 6 MiB per simulated GPU, as tests/bench.rs runs it."""
    with open(os.path.join(fixtures, fixture)) as f:
        doc = json.load(f)
    for g in doc.get("gpus", []):
        g.setdefault("compute", {})
        g["compute"]["memory_bytes"] = 6 << 20
        g["compute"].setdefault("kernel_spacing_us", 0.01)
    path = os.path.join(tmp, "sized-" + fixture)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


with tempfile.TemporaryDirectory() as tmp:
    for name, fixture, args, want, must_fail in cases:
        path = os.path.join(tmp, f"{name}.xml")
        env = dict(os.environ, GPUCTL_SIMULATE=sized(tmp, fixture))
        p = subprocess.run([GPUCTL, "bench", "--junit", path, *args], env=env,
                           capture_output=True, text=True, timeout=120)
        errors = []
        if p.returncode != want:
            errors.append(f"exit {p.returncode}, expected {want}: {p.stderr.strip()}")
        if os.path.exists(path):
            errors += [str(e) for e in schema.iter_errors(path)]
            root = ET.parse(path).getroot()
            cases_ = root.findall("./testsuite/testcase")
            if int(root.get("tests")) != len(cases_):
                errors.append(f"tests={root.get('tests')} but {len(cases_)} testcases")
            if int(root.get("failures")) != len(root.findall("./testsuite/testcase/failure")):
                errors.append("failures count disagrees with <failure> elements")
            if want == 1 and not root.findall("./testsuite/testcase/failure"):
                errors.append("a failing run has no <failure>")
            failing = {c.get("name") for c in cases_ if c.find("failure") is not None}
            if failing != must_fail:
                errors.append(f"failing testcases {sorted(failing)}, expected {sorted(must_fail)}")
        else:
            errors.append("no JUnit file written")
        ok = not errors
        passed += ok
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  junit {name}: {fixture} {' '.join(args)}" + ("" if ok else f"  {errors}"))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
