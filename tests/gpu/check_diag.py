"""GPU checks for `gpuctl diag`, `list`'s board identity and the RMA bundle
(run by `bash tests/gpu/run.sh diag`, and `diag3-start` / `diag3-collect`).

Modes:
  levels         list's identity (VBIOS, InfoROM, part number read), diag
                 levels 1 and 2 on every GPU with each phase's measured
                 duration, Ctrl-C during level 2's burn (exit 130, phases not
                 run named), and the bundle of `diag -r 1 --report`.
  l3-start       starts `diag --level 3 --json` detached (it outlasts one
                 device call): output in $OUT/diag3.json.
  l3-collect     waits for it and prints every phase's duration.
"""
import json
import shutil
import os
import signal
import subprocess
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import GPUCTL, RESULTS, check, gpuctl, gpuctl_json  # noqa: E402

OUT = os.environ.get("OUT", "/tmp")


def phase_table(doc):
    for p in doc["diag"]["phases"]:
        secs = p["seconds"]
        took = f"{secs:7.1f} s" if secs is not None else "      -  "
        exp = p["expected_seconds"]
        print(f"    {p['name']:<8} {p['outcome']:<11} {took}  (expected {exp if exp is not None else '-'} s)  {p['command']}")


def levels():
    code, doc, err, secs = gpuctl_json("list")
    if doc:
        for g in doc["gpus"]:
            b = g["details"]["board"]
            print(f"  GPU {g['index']}: {json.dumps(b)}")
            check(b["vbios_version"] is not None, f"list: GPU {g['index']} VBIOS read", b)
            check(b["inforom_image_version"] is not None, f"list: GPU {g['index']} InfoROM image read", b)
            check(b["board_part_number"] is not None, f"list: GPU {g['index']} board part number read", b)
            check(b["pci_device_id"] is not None, f"list: GPU {g['index']} PCI device id read", b)

    code, doc, err, secs = gpuctl_json("diag", "--level", "1", timeout=120)
    print(f"  level 1: exit {code} in {secs:.1f} s: {doc and doc['summary']}")
    if doc:
        phase_table(doc)
        check(code == 0, "diag -r 1 passes on a healthy node", doc["summary"])
        check(secs < 15, "diag -r 1 takes seconds", f"{secs:.1f} s")
        fabric = [g for p in doc["diag"]["phases"] if p["name"] == "fabric" for g in p["report"]["gpus"]]
        for g in fabric:
            c = g["checks"][0]
            print(f"    fabric GPU {g['index']}: {c['status']} {c['message']}")
            check(c["status"] in ("pass", "skip"), f"fabric GPU {g['index']} registered or no fabric", c)

    code, doc, err, secs = gpuctl_json("diag", "--level", "2", timeout=600)
    print(f"  level 2: exit {code} in {secs:.1f} s: {doc and doc['summary']}")
    if doc:
        phase_table(doc)
        check(code == 0, "diag -r 2 passes on a healthy node", doc["summary"])
        check(secs < 240, "diag -r 2 takes about 2 minutes", f"{secs:.1f} s")
        outcomes = {p["name"]: p["outcome"] for p in doc["diag"]["phases"]}
        # p2p is "skipped" (not a warning) on a node with one GPU.
        check(all(o in ("pass", "warn") or (n == "p2p" and o == "skipped")
                  for n, o in outcomes.items()), "every level-2 phase ran", outcomes)

    # Ctrl-C in level 2's burn: exit 130, a partial report naming what did not run.
    p = subprocess.Popen([GPUCTL, "diag", "--level", "2", "--burn-duration", "60s", "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = ""
    start = time.time()
    while "[3/6]" not in seen and time.time() - start < 60:
        line = p.stderr.readline()
        if not line:
            break
        seen += line
    time.sleep(5)
    sent = time.time()
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=30)
    took = time.time() - sent
    check(p.returncode == 130, "Ctrl-C in diag's burn exits 130", p.returncode)
    check(took < 3, "and answers within 3 s", f"{took:.1f} s")
    try:
        doc = json.loads(out)
        outcomes = {ph["name"]: ph["outcome"] for ph in doc["diag"]["phases"]}
        check(outcomes.get("burn") == "interrupted" and outcomes.get("bench") == "not_run",
              "the partial report names the phases not run", outcomes)
    except (json.JSONDecodeError, KeyError) as e:
        check(False, "the partial report is JSON", f"{e}: {out[:200]!r}")

    bundle_dir = os.path.join(OUT, "bundle")
    code, doc, err, secs = gpuctl_json("diag", "--level", "1", "--report", bundle_dir, timeout=120)
    path = doc and doc.get("bundle")
    check(bool(path) and os.path.exists(path), "diag --report writes the bundle", path)
    if path and os.path.exists(path):
        with tarfile.open(path) as t:
            names = t.getnames()
            print("  bundle: " + ", ".join(names))
            ident = [n for n in names if n.endswith("gpu0/identity.json")]
            check(bool(ident), "the bundle has GPU 0's identity sheet", names)
            if ident:
                sheet = json.load(t.extractfile(ident[0]))
                b = sheet["gpu"]["details"]["board"]
                check(sheet["gpu"]["serial"] is not None and b["vbios_version"] is not None,
                      "the identity sheet has serial and VBIOS", sheet["gpu"])
            check(any(n.endswith("gpu0/counters.json") for n in names), "the bundle has ECC/remap counters", names)
            check(any(n.endswith("gpu0/xid.log") for n in names), "the bundle has the XID lines", names)


# $OUT is emptied before each device call: the detached run keeps its files
# here, and l3-collect copies them into $OUT.
L3_DIR = os.environ.get("DIAG3_DIR", "/tmp/gpuctl-diag3")


def l3_start():
    os.makedirs(L3_DIR, exist_ok=True)
    for name in ("diag3.json", "diag3.err", "diag3.rc"):
        if os.path.exists(os.path.join(L3_DIR, name)):
            os.remove(os.path.join(L3_DIR, name))
    path = os.path.join(L3_DIR, "diag3.json")
    with open(path, "w") as out, open(os.path.join(L3_DIR, "diag3.err"), "w") as err:
        subprocess.Popen(["bash", "-c", f"start=$(date +%s.%N); {GPUCTL} diag --level 3 --json; "
                          f"echo $? $start $(date +%s.%N) > {L3_DIR}/diag3.rc"],
                         stdout=out, stderr=err, start_new_session=True)
    print(f"  started diag --level 3 (about 15 min) in {L3_DIR}; collect with run.sh diag3-collect")


def l3_collect():
    rc_path = os.path.join(L3_DIR, "diag3.rc")
    deadline = time.time() + float(os.environ.get("DIAG3_WAIT", "540"))
    while not os.path.exists(rc_path) and time.time() < deadline:
        time.sleep(5)
    if not os.path.exists(rc_path):
        print("  diag --level 3 is still running: run diag3-collect again")
        return
    for name in ("diag3.json", "diag3.err", "diag3.rc"):
        shutil.copy(os.path.join(L3_DIR, name), os.path.join(OUT, name))
    code, start, end = open(rc_path).read().split()
    secs = float(end) - float(start)
    doc = json.load(open(os.path.join(L3_DIR, "diag3.json")))
    print(f"  level 3: exit {code} in {secs:.1f} s: {doc['summary']}")
    phase_table(doc)
    check(code == "0", "diag -r 3 passes on a healthy node", doc["summary"])
    check(secs < 25 * 60, "diag -r 3 takes about 15 minutes", f"{secs:.0f} s")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "levels"
    {"levels": levels, "l3-start": l3_start, "l3-collect": l3_collect}[mode]()
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    sys.exit(1 if RESULTS["failed"] else 0)
