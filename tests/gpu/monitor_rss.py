"""The 10-minute resident-memory run of `monitor` (issue 13: flat within
1 MiB at a 100 ms interval), split in two so it can outlast one device call:

  python3 tests/gpu/monitor_rss.py start [minutes]   starts it detached (setsid)
  python3 tests/gpu/monitor_rss.py collect           waits for it, prints the figures

While it runs, a detached sampler records RSS and open fds every 5 s and
scrapes /metrics every second, so the server side is exercised too. Files
live under /tmp/gpuctl_rss/. Run on a GPU machine, never in CI."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from check_monitor import GPUCTL, fds, http_get, rss_kib  # noqa: E402

DIR = "/tmp/gpuctl_rss"


def sample(minutes):
    """The detached part: runs monitor, samples it, then stops it with SIGTERM."""
    os.makedirs(DIR, exist_ok=True)
    p = subprocess.Popen(
        [GPUCTL, "monitor", "-q", "--interval", "100ms", "--listen", "127.0.0.1:0",
         "--textfile", f"{DIR}/metrics.prom", "--json"],
        stdout=open(f"{DIR}/monitor.jsonl", "w"), stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    addr = line.split("http://")[1].split("/metrics")[0] if "http://" in line else None
    t0 = time.time()
    series, scrapes, failed, statuses = [], 0, 0, {}
    next_rss = 0.0
    while time.time() - t0 < minutes * 60 and p.poll() is None:
        now = time.time() - t0
        if now >= next_rss:
            series.append((round(now, 1), rss_kib(p.pid), fds(p.pid)))
            next_rss += 5
            with open(f"{DIR}/series.json", "w") as f:
                json.dump({"series": series, "scrapes": scrapes, "failed": failed,
                           "statuses": statuses}, f)
        if addr:
            try:
                status, _, _ = http_get(addr, "/metrics")
                scrapes += 1
                code = status.split()[1] if len(status.split()) > 1 else status
                # 503 until the first sample is in is the server's answer by
                # design ("no sample yet"), not a failure.
                if code == "503" and "200" not in statuses:
                    code = "503 before the first sample"
                statuses[code] = statuses.get(code, 0) + 1
                failed += code not in ("200", "503 before the first sample")
            except OSError as e:
                failed += 1
                statuses[type(e).__name__] = statuses.get(type(e).__name__, 0) + 1
        time.sleep(1)
    series.append((round(time.time() - t0, 1), rss_kib(p.pid), fds(p.pid)))
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "killed after 10 s"
    with open(f"{DIR}/series.json", "w") as f:
        json.dump({"series": series, "scrapes": scrapes, "failed": failed, "rc": rc,
                   "statuses": statuses,
                   "minutes": minutes, "done": True}, f)


def collect():
    path = f"{DIR}/series.json"
    for _ in range(700):
        if os.path.exists(path):
            with open(path) as f:
                data = json.load(f)
            if data.get("done"):
                break
        time.sleep(1)
    else:
        print("FAIL  the RSS run did not finish")
        return 1
    series = data["series"]
    settled = [s for s in series if s[0] >= 30]
    lo, hi = min(s[1] for s in settled), max(s[1] for s in settled)
    fd_lo, fd_hi = min(s[2] for s in settled), max(s[2] for s in settled)
    with open(f"{DIR}/monitor.jsonl") as f:
        lines = [json.loads(x) for x in f if x.strip()]
    samples = sum(1 for x in lines if x.get("event") == "sample")
    print(f"FIGURE RSS over {data['minutes']} min at 100 ms (after the first 30 s): "
          f"{settled[0][1]} -> {settled[-1][1]} KiB, range {hi - lo} KiB; fds {fd_lo}..{fd_hi}; "
          f"{samples} samples, {data['scrapes']} scrapes ({data['failed']} failed, by status "
          f"{data.get('statuses')}); SIGTERM rc {data['rc']}")
    print("RSS series (s, KiB, fds):", series)
    ok = hi - lo <= 1024 and fd_lo == fd_hi and data["rc"] == 0 and data["failed"] == 0
    print(("PASS" if ok else "FAIL") + "  RSS flat within 1 MiB, fds constant, SIGTERM exits 0")
    return 0 if ok else 1


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "collect"
    if what == "start":
        minutes = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
        subprocess.Popen([sys.executable, __file__, "_sample", str(minutes)],
                         start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"started a {minutes}-minute RSS run of monitor (detached)")
    elif what == "_sample":
        sample(float(sys.argv[2]))
    else:
        sys.exit(collect())
