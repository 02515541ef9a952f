"""GPU check for issue 23's pod attribution (`bash tests/gpu/run.sh pods`):
`monitor --pod-resources` on real GPUs against a kubelet stand-in
(tests/gpu/kubelet_stub.py, a second HTTP/2 peer beside the Rust tests'
tonic server) holding GPU 0 by its real NVML UUID.

- both metric-name sets: every series of GPU 0 carries pod, namespace and
  container; no other GPU's does; exit 0, nothing on stderr;
- no socket: one warning naming it, exit 0, metrics without the labels;
- a kubelet that never answers: one warning, and the run is not held up
  past the first round's read timeout;
- cost, like for like in one call: the same `monitor -c 20 --interval 100ms`
  with and without --pod-resources (median wall of 3 each).

PODS_SIMULATE=tests/fixtures/two_h100.json runs it on the simulated backend
(no GPU), to check the script itself.
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import GPUCTL, check, equal, finish, median, run  # noqa: E402
import kubelet_stub  # noqa: E402

SIM = {"GPUCTL_SIMULATE": os.environ.get("PODS_SIMULATE")}


def gpuctl(*args, timeout=120):
    return run([GPUCTL, *args], env=SIM, timeout=timeout)


def uuids():
    import json

    code, out, err, _ = gpuctl("list", "--json")
    doc = json.loads(out)
    return [g["uuid"] for g in doc["gpus"]]


def series(text, needle):
    return [l for l in text.splitlines() if not l.startswith("#") and needle in l]


def textfile_run(tmp, socket, *extra):
    path = os.path.join(tmp, "gpuctl.prom")
    if os.path.exists(path):
        os.remove(path)
    args = ["monitor", "-q", "--interval", "500ms", "--textfile", path, "--pod-resources", socket, *extra]
    if "-c" not in extra:
        args += ["-c", "2"]
    code, out, err, secs = gpuctl(*args)
    text = open(path).read() if os.path.exists(path) else ""
    return code, err, text, secs


def main():
    ids = uuids()
    print(f"GPUs: {ids}")
    tmp = tempfile.mkdtemp(prefix="gpuctl-pods-")
    sock = os.path.join(tmp, "kubelet.sock")
    kubelet = kubelet_stub.Kubelet(sock, [("ml", "train-0", "trainer", "nvidia.com/gpu", [ids[0]])])

    for names, uuid_label in [("gpuctl", "uuid"), ("dcgm", "UUID")]:
        code, err, text, _ = textfile_run(tmp, sock, "--metric-names", names)
        equal(code, 0, f"{names}: exit code")
        equal(err, "", f"{names}: stderr")
        held = series(text, f'{uuid_label}="{ids[0]}"')
        check(len(held) >= 10, f"{names}: GPU 0 has {len(held)} series")
        labelled = [l for l in held if 'pod="train-0",namespace="ml",container="trainer"' in l]
        equal(len(labelled), len(held), f"{names}: GPU 0 series with pod labels")
        others = [l for l in text.splitlines() if "pod=" in l and ids[0] not in l]
        equal(others, [], f"{names}: other GPUs' series with pod labels")
    check(kubelet.calls >= 2, f"the stand-in answered {kubelet.calls} List calls")

    code, err, text, _ = textfile_run(tmp, os.path.join(tmp, "none.sock"))
    equal(code, 0, "no socket: exit code")
    lines = err.strip().splitlines()
    check(len(lines) == 1 and "no such socket" in err and "none.sock" in err, "no socket: one warning naming it", err)
    check("pod=" not in text and len(series(text, "gpuctl_gpu_up{")) == len(ids), "no socket: metrics without labels", text[:300])

    silent_path = os.path.join(tmp, "silent.sock")
    kubelet_stub.silent(silent_path)
    code, err, text, secs = textfile_run(tmp, silent_path, "-c", "3")
    equal(code, 0, "silent kubelet: exit code")
    check(len(err.strip().splitlines()) == 1 and "answer" in err, "silent kubelet: one warning", err)
    # Rounds at 0, 0.5, 1.0 s; only the first waits, at most 1 s + 0.5 s.
    check(secs < 4.0, f"silent kubelet: 3 samples in {secs:.2f} s (< 4 s)")

    walls = {"without": [], "with": []}
    for _ in range(3):
        for kind in ("without", "with"):
            extra = ["--pod-resources", sock] if kind == "with" else []
            t0 = time.perf_counter()
            code, _, err, _ = gpuctl("monitor", "-q", "-c", "20", "--interval", "100ms", *extra)
            walls[kind].append(time.perf_counter() - t0)
            check(code == 0 and err == "", f"cost run {kind} --pod-resources: exit 0, quiet", err)
    a, b = median(walls["without"]), median(walls["with"])
    print(f"monitor -c 20 --interval 100ms, median wall of 3: without {a:.3f} s, with --pod-resources {b:.3f} s ({b / a:.3f}x)")
    finish()


if __name__ == "__main__":
    main()
