"""GPU checks and performance figures for `gpuctl monitor` (issue 13).

Run on a GPU machine:  bash tests/gpu/run.sh monitor
or directly:           python3 tests/gpu/check_monitor.py [--rss-minutes 10] [--cpu-seconds 30]

Prints PASS/FAIL lines and the measured figures:
  - every output mode (table, CSV, JSON Lines) on the real GPUs;
  - under a PyTorch matmul load: utilisation, power, the process list;
  - cost of one full sample per GPU (in process) vs one `nvidia-smi --query-gpu`
    with the same fields, measured in the same run;
  - CPU of `monitor --interval 1s` as % of one core (goal <= 1%);
  - /metrics scrape latency p50/p99 over 1000 scrapes on loopback (goal p99 < 5 ms);
  - resident memory and open fds over --rss-minutes at 100 ms (goal: flat within 1 MiB);
  - SIGTERM ends with the summary and exit 0, and leaves the textfile saying
    gpuctl_gpu_up 0 (issue 23); the sample timestamp and each GPU's slowdown
    temperature are exported.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import GPUCTL, check, finish, median, run  # noqa: E402

SMI_FIELDS = (
    "power.draw,total_energy_consumption,temperature.gpu,temperature.memory,clocks.sm,clocks.mem,"
    "utilization.gpu,utilization.memory,memory.used,memory.free,clocks_event_reasons.active,"
    "ecc.errors.corrected.volatile.total,ecc.errors.uncorrected.volatile.total,"
    "ecc.errors.corrected.aggregate.total,ecc.errors.uncorrected.aggregate.total,"
    "remapped_rows.correctable,remapped_rows.uncorrectable,remapped_rows.pending,"
    "remapped_rows.failure,pcie.link.gen.current,pcie.link.width.current"
)


def lines_json(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime, seconds


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def http_get(addr, path):
    host, port = addr.rsplit(":", 1)
    t0 = time.perf_counter()
    s = socket.create_connection((host, int(port)))
    s.sendall(f"GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n".encode())
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            break
        chunks.append(b)
    s.close()
    dt = time.perf_counter() - t0
    text = b"".join(chunks).decode(errors="replace")
    head, _, body = text.partition("\r\n\r\n")
    return head.split("\r\n")[0], body, dt


def start_listen(interval, extra=()):
    p = subprocess.Popen(
        [GPUCTL, "monitor", "-q", "--interval", interval, "--listen", "127.0.0.1:0", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    addr = line.split("http://")[1].split("/metrics")[0] if "http://" in line else None
    return p, addr


def stop(p, what):
    p.send_signal(signal.SIGTERM)
    try:
        out, _ = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        check(False, f"{what}: exits within 10 s of SIGTERM")
        return None
    check(p.returncode == 0, f"{what}: SIGTERM exits 0", f"rc={p.returncode}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rss-minutes", type=float, default=10.0)
    ap.add_argument("--cpu-seconds", type=float, default=30.0)
    ap.add_argument("--scrapes", type=int, default=1000)
    a = ap.parse_args()

    # The long RSS run goes first, in the background, while the rest runs.
    rss_p, rss_addr = start_listen("100ms", ["--textfile", "/tmp/gpuctl_monitor_check.prom"])
    check(rss_addr is not None, "monitor --listen prints the bound address")
    rss_t0 = time.time()
    rss_series = []

    def rss_tick():
        if rss_p.poll() is None:
            rss_series.append((time.time() - rss_t0, rss_kib(rss_p.pid), fds(rss_p.pid)))

    # Every output mode.
    code, out, err, _ = run([GPUCTL, "monitor", "-c", "2", "--interval", "200ms"])
    rows = [l for l in out.splitlines() if not l.startswith("#") and " up" in l]
    check(code == 0 and out.startswith("# gpu") and len(rows) >= 2, "table: header and rows", out[:400] + err[:300])
    print(out)
    code, out, err, _ = run([GPUCTL, "monitor", "--csv", "-c", "2", "--interval", "200ms"])
    csv = out.splitlines()
    check(code == 0 and csv[0].startswith("timestamp,gpu,uuid") and len(csv) >= 3, "csv: header and rows", out[:300] + err[:300])
    print("\n".join(csv[:3]))
    code, out, err, _ = run([GPUCTL, "monitor", "--json", "-c", "3", "--interval", "200ms"])
    js = lines_json(out)
    samples = [x for x in js if x.get("event") == "sample"]
    check(code == 0 and js[-1].get("event") == "report", "json: samples then the report", err[:300])
    for s in samples[:1]:
        print(json.dumps(s))
    check(all(s["up"] for s in samples), "json: every GPU up")
    check(all(s["healthy"] for s in samples), "json: every GPU healthy (probe checks)")
    check(all(s["power_w"] and s["temperature_gpu_c"] and s["sm_clock_mhz"] for s in samples), "json: power, temperature, clock read")
    check(all(s["energy_j"] is not None for s in samples), "json: energy counter read")
    check(all(s["pcie_tx_bytes"] is not None or s["pcie_tx_bytes_per_s"] is not None for s in samples), "json: PCIe traffic read")
    print("nvlink (None on a single-GPU host):", [s["nvlink_tx_bytes"] for s in samples[:2]])
    print("clock events:", [s["clock_events"] for s in samples[:2]])
    rss_tick()

    # Under load: PyTorch matmul in the background.
    load = subprocess.Popen([sys.executable, "-c", (
        "import torch,time\n"
        "a=torch.randn(8192,8192,device='cuda',dtype=torch.bfloat16);b=a.clone()\n"
        "c=a@b;torch.cuda.synchronize();print('go',flush=True)\n"
        "t=time.time()\n"
        "while time.time()-t<6:\n"
        "    c=a@b;torch.cuda.synchronize()\n")], stdout=subprocess.PIPE, text=True)
    load.stdout.readline()  # CUDA context up and the first product done
    time.sleep(0.5)
    code, out, err, _ = run([GPUCTL, "monitor", "--json", "-c", "4", "--interval", "500ms", "-i", "0"])
    load.wait()
    s = [x for x in lines_json(out) if x.get("event") == "sample"]
    util = max((x["utilization_gpu_pct"] or 0) for x in s) if s else 0
    power = max((x["power_w"] or 0) for x in s) if s else 0
    pids = {p["pid"] for x in s for p in (x["processes"] or [])}
    print(f"under load: utilization {util}%, power {power:.0f} W, pids {sorted(pids)}, torch pid {load.pid}")
    check(util >= 50, "under load: utilization seen", f"{util}%")
    check(power >= 150, "under load: power seen", f"{power} W")
    check(load.pid in pids, "under load: the PyTorch process is listed", f"{pids}")
    rss_tick()

    # Cost of one full sample vs nvidia-smi with the same fields.
    code, out, err, _ = run([GPUCTL, "monitor", "--json", "-c", "20", "--interval", "100ms"])
    rep = lines_json(out)[-1]
    per_gpu = [g["monitor"]["read_ms_avg"] for g in rep["gpus"]]
    smi = []
    for _ in range(10):
        c, o, e, secs = run(["nvidia-smi", f"--query-gpu={SMI_FIELDS}", "--format=csv,noheader", "-i", "0"])
        smi.append(secs * 1000)
    smi_ms = median(smi)
    one = []
    for _ in range(5):
        c, o, e, secs = run([GPUCTL, "monitor", "-q", "-c", "1", "-i", "0"])
        one.append(secs * 1000)
    print(f"FIGURE sample cost per GPU (in process, avg of 20): {', '.join(f'{x:.2f} ms' for x in per_gpu)}")
    print(f"FIGURE nvidia-smi --query-gpu (same fields, 1 GPU, median of 10): {smi_ms:.1f} ms wall")
    print(f"FIGURE gpuctl monitor -c 1 -i 0 whole process (median of 5): {median(one):.1f} ms wall")
    print(f"FIGURE ratio in-process sample / nvidia-smi call: {max(per_gpu) / smi_ms:.3f}")
    check(max(per_gpu) <= smi_ms, "one sample of one GPU costs no more than one nvidia-smi query")
    rss_tick()

    # CPU at 1 s.
    p = subprocess.Popen([GPUCTL, "monitor", "-q", "--interval", "1s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2.5)
    c0, t0 = proc_stat(p.pid), time.time()
    end = time.time() + a.cpu_seconds
    while time.time() < end:
        time.sleep(5)
        rss_tick()
    c1, t1 = proc_stat(p.pid), time.time()
    stop(p, "monitor --interval 1s")
    cpu = 100 * (c1 - c0) / (t1 - t0)
    ngpu = len(per_gpu)
    print(f"FIGURE CPU at 1 s interval: {cpu:.3f}% of one core for {ngpu} GPU(s) ({cpu / max(ngpu, 1):.3f}% per GPU) over {t1 - t0:.0f} s")
    check(cpu <= 1.0, "CPU at 1 s interval <= 1% of a core", f"{cpu:.3f}%")

    # Scrape latency, on the server of the RSS run (100 ms sampling in the background).
    if rss_addr:
        status, body, _ = http_get(rss_addr, "/metrics")
        check(status.endswith("200 OK") and "gpuctl_gpu_up{" in body, "/metrics answers with gpuctl_gpu_up", status)
        check("gpuctl_gpu_healthy{" in body and "gpuctl_energy_joules_total{" in body, "/metrics has healthy and energy")
        status, _, _ = http_get(rss_addr, "/healthz")
        check(status.endswith("200 OK"), "/healthz is 200", status)
        times = sorted(http_get(rss_addr, "/metrics")[2] * 1000 for _ in range(a.scrapes))
        p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99) - 1]
        print(f"FIGURE /metrics scrape over {a.scrapes} scrapes: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {times[-1]:.3f} ms, {len(body)} bytes")
        check(p99 < 5.0, "/metrics scrape p99 < 5 ms", f"{p99:.3f} ms")
        c, o, e, _ = run([GPUCTL, "monitor", "-q", "-c", "2", "--interval", "200ms", "--listen", "127.0.0.1:0", "--metric-names", "dcgm"])
        check(c == 0, "monitor --metric-names dcgm runs")

    # RSS over the rest of the window.
    while time.time() - rss_t0 < a.rss_minutes * 60:
        time.sleep(5)
        rss_tick()
    rss_tick()
    with open("/tmp/gpuctl_monitor_check.prom") as f:
        prom = f.read()
    check("gpuctl_gpu_up{" in prom, "--textfile written")
    # Issue 23: the sample timestamp, each GPU's own slowdown temperature
    # and the hardware-XID counter, read from the real GPUs.
    stamps = [float(l.rsplit(" ", 1)[1]) for l in prom.splitlines() if l.startswith("gpuctl_sample_timestamp_seconds{")]
    check(stamps and all(abs(time.time() - t) < 5 for t in stamps), "textfile: sample timestamp is now", str(stamps))
    slow = [float(l.rsplit(" ", 1)[1]) for l in prom.splitlines() if l.startswith("gpuctl_gpu_slowdown_temperature_celsius{")]
    print("FIGURE slowdown temperatures (C):", slow)
    check(slow and all(60 <= t <= 110 for t in slow), "textfile: per-GPU slowdown temperature from NVML", str(slow))
    check("gpuctl_xid_hardware_errors_total{" in prom, "textfile: hardware-XID counter exported")
    nvl = [l for l in prom.splitlines() if l.startswith("gpuctl_nvlink_crc_errors_total{")]
    print(f"FIGURE NVLink CRC error series: {len(nvl)} (one per GPU with NVLink; none on PCIe-only GPUs)")
    out = stop(rss_p, "monitor --interval 100ms --listen --textfile")
    with open("/tmp/gpuctl_monitor_check.prom") as f:
        left = f.read()
    up = [l for l in left.splitlines() if l.startswith("gpuctl_gpu_up{")]
    check(up and all(l.endswith(" 0.0") for l in up) and "gpuctl_gpu_healthy{" not in left,
          "after SIGTERM the textfile says gpuctl_gpu_up 0 and nothing healthy", left[:400])
    if out:
        rep = json.loads(out.strip().splitlines()[-1]) if out.strip().startswith("{") else None
        print("summary:", out.strip().splitlines()[-1][:300])
    # Flat after a 30 s warm-up (allocator and thread stacks settle).
    settled = [r for r in rss_series if r[0] >= min(30, a.rss_minutes * 30)]
    if len(settled) >= 2:
        lo, hi = min(r[1] for r in settled), max(r[1] for r in settled)
        fd_lo, fd_hi = min(r[2] for r in settled), max(r[2] for r in settled)
        print(f"FIGURE RSS over {a.rss_minutes} min at 100 ms: {settled[0][1]} -> {settled[-1][1]} KiB, range {hi - lo} KiB; fds {fd_lo}..{fd_hi}")
        print("RSS series (s, KiB, fds):", [(round(t), k, n) for t, k, n in rss_series])
        check(hi - lo <= 1024, "RSS flat within 1 MiB", f"{hi - lo} KiB")
        check(fd_hi == fd_lo, "no fd growth", f"{fd_lo}..{fd_hi}")
    else:
        check(False, "RSS series collected", str(rss_series))
    finish()


if __name__ == "__main__":
    main()
