"""Output files and stdout on a real GPU (issue 19): bad output paths are
refused before CUDA starts, a side file that fails late joins the report,
and a closed stdout is exit 3.

Run: bash tests/gpu/run.sh outfile
"""
import json
import os
import resource
import signal
import stat
import subprocess
import tempfile

from common import GPUCTL, check, equal, finish, gpuctl


def no_file_space():
    """In the child: every file stays at 0 bytes (writes fail with EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))


def run_limited(args):
    env = dict(os.environ)
    env.pop("GPUCTL_SIMULATE", None)
    p = subprocess.run([GPUCTL, *args], capture_output=True, text=True, env=env,
                       preexec_fn=no_file_space, timeout=600)
    return p.returncode, p.stdout, p.stderr


with tempfile.TemporaryDirectory() as tmp:
    # 1. Refused before any GPU work: a real bench takes seconds (CUDA
    #    start-up alone is ~0.3 s per GPU); a refusal takes milliseconds.
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    cases = [
        ("--junit", os.path.join(tmp, "missing", "x.xml"), "does not exist"),
        ("--junit", fifo, "is a FIFO"),
        ("--save-baseline", tmp, "is a directory"),
    ]
    if os.geteuid() == 0:
        node = os.path.join(tmp, "null")
        os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        cases.append(("--junit", node, "is a device node"))
    for option, path, why in cases:
        code, out, err, secs = gpuctl("bench", "--quick", "--json", option, path)
        equal(code, 2, f"bench {option} {path}: exit")
        doc = json.loads(out)
        msg = doc["error"]["message"] if doc.get("error") else ""
        check(msg.startswith(f"{option} '{path}': ") and why in msg, f"names option, path and why: {msg}")
        check(secs < 0.5 and not doc["gpus"], f"refused before any GPU work ({secs:.3f} s)")
    if os.geteuid() == 0:
        code, out, err, secs = gpuctl("monitor", "-c", "1", "--textfile", node)
        equal(code, 2, "monitor --textfile on a device node: exit")
        check(stat.S_ISCHR(os.stat(node).st_mode), "the device node is still a device node")
    check(stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO is still a FIFO")

    # 2. A side file that fails after the run: the report stays.
    xml = os.path.join(tmp, "bench.xml")
    code, out, err = run_limited(["bench", "--quick", "--tests", "h2d", "--json", "--junit", xml])
    doc = json.loads(out)
    checks = [c for c in doc["host_checks"] if c["name"] == "output_file"]
    check(len(checks) == 1 and checks[0]["status"] == "fail", "late --junit failure is an output_file FAIL host check")
    check(doc["error"] is None and all(g.get("bench") for g in doc["gpus"]), "the GPUs' results are in the report")
    gpus_passed = all(g["status"] == "pass" for g in doc["gpus"])
    equal(code, 3 if gpus_passed else 1, "exit: 3 when the GPUs passed, else the verdict's 1")

    code, out, err = run_limited(["monitor", "--json", "-c", "3", "--interval", "200ms", "--textfile",
                                  os.path.join(tmp, "gpu.prom")])
    equal(code, 3, "monitor whose textfile cannot be written: exit")
    equal(sum("cannot write --textfile" in l for l in err.splitlines()), 2, "told on stderr once while running, once at the end")
    last = json.loads(out.splitlines()[-1])
    check(any(c["name"] == "output_file" and c["status"] == "fail" for c in last["host_checks"]),
          "monitor summary has the output_file FAIL")

    prom = os.path.join(tmp, "ok.prom")
    code, out, err, _ = gpuctl("monitor", "-q", "-c", "2", "--interval", "200ms", "--textfile", prom)
    equal(code, 0, "monitor with a writable textfile: exit")
    with open(prom) as f:
        check(any(l.startswith("gpuctl_textfile_write_failures_total{hostname=") and l.strip().endswith(" 0.0")
                  for l in f),
              "the textfile counts its failed writes (0)")

# 3. Closed stdout (fd 1 closed), versus a reader that left.
for args, want in ((["list"], 3), (["health", "--no-compute", "--json"], 3), (["probe"], 1)):
    p = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-', GPUCTL, *args], capture_output=True, text=True)
    equal(p.returncode, want, f"{' '.join(args)} >&-: exit")
    check("stdout is closed" in p.stderr, f"{' '.join(args)} >&-: says stdout is closed", p.stderr)
p = subprocess.Popen([GPUCTL, "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
p.stdout.read(1)
p.stdout.close()
equal(p.wait(timeout=30), 0, "list | head -c 1 (reader left): exit")

finish()
