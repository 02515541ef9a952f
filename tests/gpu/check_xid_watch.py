"""GPU check for issue 19 part A: the one XID watch and the one healthy rule
on real NVML.

On a healthy GPU: every command that watches (health, burn, memtest, bench)
reports its `xid` check as PASS from NVML events (never SKIP, so the real
event registration covers every GPU), no `coverage` check appears; monitor's
samples say the watch covers each GPU (`xid_watch_error` null,
`gpuctl_xid_watch_up 1`) and `healthy` agrees with `probe`'s verdict.

Run on a GPU machine: python3 tests/gpu/check_xid_watch.py"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from common import *  # noqa: E402,F401,F403


def last_report(out):
    """The report: one document under --json."""
    return report_of(out)


def xid_of(doc, command):
    for g in (doc or {}).get("gpus", []):
        checks = {c["name"]: c for c in g["checks"]}
        x = checks.get("xid")
        check(x is not None, f"{command}: GPU {g['index']} has an xid check")
        if x is None:
            continue
        equal(x["status"], "pass", f"{command}: GPU {g['index']} xid status ({x['message']})")
        check("NVML events" in x["message"], f"{command}: GPU {g['index']} xid names the NVML watch", x["message"])
        check("coverage" not in checks, f"{command}: GPU {g['index']} has no coverage check",
              checks.get("coverage", {}).get("message", ""))


code, doc, err, _ = gpuctl_json("health", "--no-compute", "--watch", "2s")
equal(code, 0, "health --no-compute --watch 2s exit code")
xid_of(doc, "health")
for note in (doc or {}).get("warnings", []):
    check("XID events unavailable" not in note, "health: the NVML XID watch did not fail", note)

for command, args in [
    ("burn", ["burn", "-d", "5s"]),
    ("memtest", ["memtest", "--patterns", "random", "--memory", "20%"]),
    ("bench", ["bench", "--quick"]),
]:
    code, out, err, _ = gpuctl(*args, "--json")
    doc = last_report(out)
    equal(code, 0, f"{command} exit code ({(doc or {}).get('summary', err[:200])})")
    xid_of(doc, command)

code, _, _, _ = gpuctl("probe")
equal(code, 0, "probe says healthy")
with tempfile.TemporaryDirectory() as d:
    prom = os.path.join(d, "gpuctl.prom")
    code, out, err, _ = gpuctl("monitor", "--json", "-c", "3", "--interval", "1s", "--textfile", prom)
    equal(code, 0, "monitor -c 3 exit code")
    samples = [json.loads(l) for l in out.splitlines() if '"event":"sample"' in l]
    check(len(samples) > 0, "monitor printed samples")
    for s in samples[-len(set(x["gpu"] for x in samples)):]:
        equal(s.get("xid_watch_error"), None, f"monitor: GPU {s['gpu']} XID watch covers it")
        equal(s.get("healthy"), True, f"monitor: GPU {s['gpu']} healthy as probe says")
    text = open(prom).read() if os.path.exists(prom) else ""
    watch = [l for l in text.splitlines() if l.startswith("gpuctl_xid_watch_up{")]
    check(len(watch) > 0, "monitor exports gpuctl_xid_watch_up")
    check(all(float(l.rsplit(" ", 1)[1]) == 1.0 for l in watch), "gpuctl_xid_watch_up is 1 for every GPU", "; ".join(watch))

finish()
