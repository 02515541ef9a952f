"""Issue 9 on a real GPU: the reports as an operator sees them at 80 columns.

Prints `list`, `health` and a short `burn` exactly as a pipe shows them (the
lead pastes them into the note), then checks: every line fits 80 columns,
nothing says SIMULATED, serials and PCI ids match nvidia-smi, remedies name
the GPU's address, JSON identity fields are never placeholder strings,
clock events are {reasons, mask}, and `probe` answers 1 to SIGTERM.
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import GPUCTL, RESULTS, check, gpuctl, gpuctl_json, smi_query  # noqa: E402

ENV80 = {"COLUMNS": None, "NO_COLOR": None, "TERM": "xterm"}


def show(title, text):
    print(f"---- {title} (through a pipe, COLUMNS unset) ----")
    print(text, end="" if text.endswith("\n") else "\n")
    print("----")


def widest(text):
    return max((len(line) for line in text.splitlines()), default=0)


def main():
    smi = smi_query(["index", "pci.bus_id", "serial", "uuid"])
    for cmd in (["list"], ["health"], ["burn", "-d", os.environ.get("BURN", "20s")]):
        code, out, err, secs = gpuctl(*cmd, env=ENV80)
        show(f"gpuctl {' '.join(cmd)} (exit {code}, {secs:.1f} s)", out)
        check(widest(out) <= 80, f"{cmd[0]}: every line within 80 columns", f"widest {widest(out)}")
        check("\x1b[" not in out, f"{cmd[0]}: no colour through a pipe")
        check("SIMULATED" not in out, f"{cmd[0]}: not marked simulated on real GPUs")
        if cmd[0] == "list":
            check("unknown" not in out.lower(), "list: no 'unknown' placeholders")

    code, doc, _, _ = gpuctl_json("health", "--no-compute")
    if doc:
        check(doc.get("simulated") is False, "health --json: simulated is false")
        check(doc["tool"].get("commit") not in (None, ""), "tool.commit present", doc["tool"])
        for g in doc["gpus"]:
            row = next((r for r in smi if int(r["index"]) == g["index"]), None)
            if row is None:
                continue
            check(g["pci_bus_id"] == row["pci.bus_id"], f"GPU {g['index']}: PCI id in NVML form",
                  f"{g['pci_bus_id']} vs {row['pci.bus_id']}")
            want_serial = None if row["serial"] in ("[N/A]", "N/A", "") else row["serial"]
            check(g.get("serial") == want_serial, f"GPU {g['index']}: serial matches nvidia-smi",
                  f"{g.get('serial')} vs {row['serial']}")
            for field in ("name", "uuid", "pci_bus_id"):
                check(g[field] not in ("unknown", ""), f"GPU {g['index']}: {field} is a value or null")
            for c in g.get("checks") or []:
                if c.get("remedy") and "{gpu}" in c["remedy"]:
                    check(False, f"GPU {g['index']} {c['name']}: remedy template filled", c["remedy"])
                if c["name"] == "clock_events" and c["value"] is not None:
                    v = c["value"]
                    check(isinstance(v, dict) and isinstance(v.get("mask"), int)
                          and isinstance(v.get("reasons"), list),
                          f"GPU {g['index']}: clock_events is {{reasons, mask}}", v)
                if c["name"] == "xid" and c["value"] is not None:
                    check(isinstance(c["value"], list) and all(isinstance(x, int) for x in c["value"]),
                          f"GPU {g['index']}: xid value is a list of numbers", c["value"])

    # probe answers 1 to SIGTERM, however far it got.
    for delay in (0.002, 0.01, 0.05):
        p = subprocess.Popen([GPUCTL, "probe", "--compute"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        time.sleep(delay)
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=10)
        # A probe that already finished answers 0 (healthy) legitimately.
        check(p.returncode in (0, 1), f"probe SIGTERM after {delay*1000:.0f} ms exits 0/1, never 143",
              f"exit {p.returncode}: {out!r}")
        print(f"      probe SIGTERM after {delay*1000:.0f} ms: exit {p.returncode}: {out.strip()}")

    code, out, _, _ = gpuctl("--version")
    print(f"      {out.strip()}")
    check("commit" in out and "R535" in out, "--version names commit and oldest driver", out)

    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
