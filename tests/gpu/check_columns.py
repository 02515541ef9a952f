"""Issue 24 (second look) on a real GPU: every command at COLUMNS=80, no
table line over 80 columns, each output printed; plus the pieces this round
added: list --query and --format csv, health/bench CSV, burn --events,
a [burn] table applied through --config, and config show.

Run: bash tests/gpu/run.sh columns   (prints every output it judged)
"""
import csv
import io
import json
import os
import tempfile

from common import check, finish, gpuctl, smi_query

smi = smi_query(["index", "uuid", "memory.total"])
n = len(smi)
env80 = {"COLUMNS": "80", "NO_COLOR": "1"}
tmp = tempfile.mkdtemp(prefix="gpuctl-columns-")
cfg = os.path.join(tmp, "gpuctl.toml")
with open(cfg, "w") as f:
    f.write('[burn]\nduration = "5s"\ntolerance = "12%"\n[memtest]\npatterns = ["address", "random"]\n')

tables = [
    ["list"],
    ["list", "--query", "index,name,memory.total,pcie.link.gen.current"],
    ["probe"],
    ["health"],
    ["burn", "-d", "10s"],
    ["memtest", "-d", "10s"],
    ["bench", "--quick"],
    ["monitor", "-c", "2", "--interval", "500ms"],
    ["diag", "--level", "1"],
    ["config", "show", "--config", cfg],
]
if n >= 2:
    tables.append(["p2p", "-i", "0,1"])
else:
    tables.append(["p2p"])  # one GPU: says there is no pair, still 80 columns

for cmd in tables:
    name = " ".join(cmd)
    code, out, err, secs = gpuctl(*cmd, env=env80, timeout=900)
    print(f"---- gpuctl {name} (exit {code}, {secs:.1f} s)\n{out}", end="")
    if err.strip():
        print(f"[stderr] {err.strip()[:400]}")
    widest = max((len(l) for l in out.splitlines()), default=0)
    check(widest <= 80, f"{name}: no line over 80 columns", f"widest {widest}")

# list --format csv: one row per GPU, the same facts as nvidia-smi.
code, out, err, _ = gpuctl("list", "--format", "csv", "--query", "index,uuid,memory.total")
print(f"---- gpuctl list --format csv --query index,uuid,memory.total (exit {code})\n{out}", end="")
rows = list(csv.reader(io.StringIO(out)))
check(rows and rows[0] == ["gpu", "uuid", "memory_total_bytes"], "list csv: the header", str(rows[:1]))
check(len(rows) == n + 1, "list csv: one row per GPU", f"{len(rows) - 1} rows for {n} GPUs")
for row, s in zip(rows[1:], smi):
    check(row[1] == s["uuid"], f"list csv GPU {row[0]}: the UUID nvidia-smi gives", f"{row[1]} vs {s['uuid']}")
    mib = int(row[2]) / 2**20
    check(abs(mib - float(s["memory.total"].split()[0])) <= 1,
          f"list csv GPU {row[0]}: memory as nvidia-smi's MiB", f"{mib} MiB vs {s['memory.total']}")

# health CSV: one row per check.
code, out, err, _ = gpuctl("health", "--format", "csv")
rows = list(csv.reader(io.StringIO(out)))
print(f"---- gpuctl health --format csv (exit {code}): {len(rows) - 1} rows\n{out}", end="")
check(rows[0][:4] == ["gpu", "uuid", "check", "status"], "health csv: the header", str(rows[:1]))
check(all(r[3] in ("pass", "warn", "fail", "skip", "interrupted") for r in rows[1:]), "health csv: statuses")

# bench CSV: one row per GPU per metric.
code, out, err, _ = gpuctl("bench", "--quick", "--format", "csv", timeout=900)
rows = list(csv.reader(io.StringIO(out)))
print(f"---- gpuctl bench --quick --format csv (exit {code})\n{out}", end="")
check(rows[0] == ["gpu", "metric", "value", "unit", "threshold", "status"], "bench csv: the header", str(rows[:1]))
check(len(rows) > n, "bench csv: metrics for every GPU", f"{len(rows) - 1} rows")

# burn --json --events: one document on stdout, the stream in the file.
events = os.path.join(tmp, "burn.jsonl")
code, out, err, _ = gpuctl("burn", "-d", "10s", "--json", "--events", events, timeout=900)
try:
    doc = json.loads(out)
    check("event" not in doc, "burn --events: stdout is one document")
except json.JSONDecodeError as e:
    check(False, "burn --events: stdout is one document", str(e))
    doc = {}
lines = [json.loads(l) for l in open(events) if l.strip()]
progress = [l for l in lines if l.get("event") == "progress"]
check(len(progress) >= n and lines[-1].get("event") == "report", "burn --events: progress, then the report last",
      f"{len(progress)} progress lines, last {lines[-1].get('event') if lines else None}")
check(lines and lines[-1].get("outcome") == doc.get("outcome"), "burn --events: the same verdict as stdout")

# --config: the [burn] table changes the run; a flag beats it.
code, out, err, _ = gpuctl("burn", "--config", cfg, "--json", timeout=900)
doc = json.loads(out)
secs = [g.get("burn", {}).get("seconds") for g in doc.get("gpus", [])]
print(f"---- gpuctl burn --config (duration = 5s): seconds {secs}, exit {code}")
check(all(s is not None and 4.5 <= s <= 15 for s in secs), "burn --config: the file's 5s duration applies", str(secs))
code, out, err, _ = gpuctl("config", "show", "--config", cfg, "--json")
show = json.loads(out)
dur = next(r for r in show["tables"]["burn"] if r["key"] == "duration")
check(dur["source"] == f"file:{cfg}:2" and dur["value"] == "5s", "config show: burn.duration from the file", str(dur))
finish()
