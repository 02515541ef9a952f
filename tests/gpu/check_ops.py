"""Issue 24 on a real GPU: every command's table at 80 columns, --json one
document for every command, --json-lines events then the report, numbers on
a healthy health screen, the driver line, no simulated marker on real GPUs.

Run: bash tests/gpu/run.sh ops   (prints each table it judged, for the note)
"""
import json
import re

from common import check, finish, gpuctl, smi_query

smi = smi_query(["index", "driver_version", "temperature.gpu"])
n = len(smi)
driver = smi[0]["driver_version"]
env80 = {"COLUMNS": "80", "NO_COLOR": "1"}
commands = [
    ["list"],
    ["health"],
    ["health", "--no-compute"],
    ["burn", "-d", "10s"],
    ["bench", "--quick"],
    ["memtest", "-d", "10s"],
    ["monitor", "-c", "3", "--interval", "500ms"],
]
if n >= 2:
    commands.append(["p2p", "-i", "0,1"])
# A JSON number in exponent form: a value (after ':' or in an array), not
# text inside a string such as a message or a UUID.
EXPONENT = re.compile(r'(?:[:\[,]\s*)-?\d+(\.\d+)?[eE][-+]?\d+\s*[,\]}\n]')

for cmd in commands:
    name = " ".join(cmd)
    code, out, err, secs = gpuctl(*cmd, env=env80, timeout=900)
    print(f"---- gpuctl {name} (exit {code}, {secs:.1f} s)\n{out}", end="")
    widest = max((len(l) for l in out.splitlines()), default=0)
    check(widest <= 80, f"{name}: table within 80 columns", f"widest {widest}")
    check("SIMULATED" not in out, f"{name}: no simulated marker on real GPUs")
    if cmd[0] == "monitor":
        code, out, err, _ = gpuctl(*cmd, "--json", timeout=120)
        lines = [json.loads(l) for l in out.splitlines() if l.strip()]
        check(all(l.get("simulated") is False for l in lines if l.get("event") == "sample"),
              "monitor --json: samples say simulated false")
        continue
    code, out, err, _ = gpuctl(*cmd, "--json", timeout=900)
    try:
        doc = json.loads(out)
        check(doc.get("schema_version") == 4 and "event" not in doc, f"{name} --json: one document, schema 4")
        check(doc.get("simulated") is False, f"{name} --json: simulated false")
    except json.JSONDecodeError as e:
        check(False, f"{name} --json: one document", f"{e}: {out[:200]!r}")
    check(not EXPONENT.search(out), f"{name} --json: no number in exponent form")
    if cmd[0] in ("burn", "memtest"):
        code, out, err, _ = gpuctl(*cmd, "--json-lines", timeout=900)
        lines = [json.loads(l) for l in out.splitlines() if l.strip()]
        kinds = {l.get("event") for l in lines[:-1]}
        check(len(lines) > 1 and lines[-1].get("event") == "report"
              and kinds <= {"progress", "pattern"},
              f"{name} --json-lines: {len(lines) - 1} events, then the report", str(kinds))

code, out, _, _ = gpuctl("list", env=env80)
check(f"driver {driver}" in out, "list: driver line matches nvidia-smi", driver)
code, out, _, _ = gpuctl("health", "--no-compute", env=env80)
check(f"driver {driver}" in out, "health: driver line matches nvidia-smi", driver)
for row in smi:
    m = re.search(rf"^GPU {row['index']}  (\d+) °C  (\d+) W  ECC (\d+) uncorr", out, re.M)
    ok = m is not None and abs(int(m.group(1)) - int(row["temperature.gpu"])) <= 3
    check(ok, f"health: GPU {row['index']} numbers line, temperature near nvidia-smi's",
          f"{m.group(0) if m else 'no line'} vs {row['temperature.gpu']} C")
code, _, err, _ = gpuctl("helth")
check(code == 2 and "did you mean 'health'" in err, "typo: did you mean 'health'", err)
# monitor --query with nvidia-smi's --query-gpu names: the same GPUs, the
# same identity, memory used near nvidia-smi's (bytes vs MiB).
qfields = ["index", "uuid", "pci.bus_id", "name", "memory.used", "temperature.gpu"]
code, out, err, _ = gpuctl("monitor", "--csv", "-c", "1", "--query", ",".join(qfields))
lines = [l for l in out.splitlines() if l.strip() and not l.startswith("monitored")]
check(code == 0 and lines[:1] == ["gpu,uuid,pci_bus_id,model,memory_used_bytes,temperature_gpu_c"],
      "monitor --query: CSV header of the chosen fields, gpuctl's names", f"{code} {lines[:1]} {err}")
ref = {r["index"]: r for r in smi_query(qfields)}
for line in lines[1:]:
    v = line.split(",")
    r = ref.get(v[0])
    ok = (r is not None and v[1] == r["uuid"] and v[2].lower() == r["pci.bus_id"].lower()
          and v[3] == r["name"]
          and abs(int(v[4]) / 2**20 - float(r["memory.used"])) <= 64
          and abs(int(v[5]) - int(r["temperature.gpu"])) <= 3)
    check(ok, f"monitor --query: GPU {v[0]} row agrees with nvidia-smi --query-gpu", f"{v} vs {r}")
check(len(lines) - 1 == n, "monitor --query: one row per GPU", f"{len(lines) - 1} vs {n}")
code, _, err, _ = gpuctl("monitor", "-c", "1", "--query", "index,bogus")
check(code == 2 and "'bogus'" in err, "monitor --query: unknown field is exit 2 naming it", err)
finish()
