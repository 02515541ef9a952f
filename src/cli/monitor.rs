//! `gpuctl monitor`'s options.

use super::*;

pub const MONITOR_LONG_HELP: &str = "\
OUTPUT
  Table (default): one line per GPU per interval like `nvidia-smi dmon`; the header repeats
  every 20 lines on a terminal; `# ...` lines report a GPU going down or up and XIDs.
  --csv: CSV with a header line. --json: JSON Lines: {\"event\":\"sample\", ...} per GPU per
  interval, {\"event\":\"gpu_down\"|\"gpu_up\"|\"xid\", ...} as they happen, then the summary
  report ({\"event\":\"report\", ...}). --quiet prints only the summary.
  Error counters are read at most every 5 s and the energy counter every 10 s (its read
  costs more than the rest of a sample); the summary's energy is read at the end.

PROMETHEUS
  --listen ADDR serves /metrics (Prometheus text, or OpenMetrics when asked for) and /healthz
  from the last sample; port 0 picks a free port (the address is printed on stderr).
  --textfile PATH writes the same metrics for node_exporter's textfile collector (PATH must
  end in .prom), through a temporary file and a rename. gpuctl_gpu_up and
  gpuctl_gpu_healthy (the probe's checks) are always exported.

FAILING GPUS
  A GPU whose reads fail or take longer than 90% of the interval (at most 5 s) is down for
  that interval; the other GPUs are reported on time. After 3 failures in a row it is left
  alone for 10 s, doubling to at most 5 min, then tried once again. Each driver call is also
  bounded by --call-timeout: after a call on a GPU hangs, its reads fail at once until that
  call answers, then the GPU is read again.

SIGNALS AND EXIT
  Runs until --count, --duration, Ctrl-C or SIGTERM, then prints the summary and exits 0
  (monitor observes; it never gates: use probe or health for that). SIGHUP is ignored.
  2: bad arguments, --listen or --textfile unusable; 3: no driver or GPU, --textfile failing.";

/// Below 100 ms NVML's own counters (utilisation, energy) barely move.
pub const MONITOR_INTERVAL: DurationRange =
    DurationRange::new(Duration::from_millis(100), Duration::from_secs(3600));

/// Up to a year, so `Instant + d` never overflows.
pub const MONITOR_DURATION: DurationRange = DurationRange::new(
    Duration::from_millis(100),
    Duration::from_secs(366 * 24 * 3600),
);

pub const MONITOR_COUNT: IntRange = IntRange::new(1, 1_000_000_000);

#[derive(Debug, Clone, Args)]
pub struct MonitorArgs {
    /// Time between samples [100ms to 1h].
    #[arg(long, value_name = "DURATION", default_value = "1s", allow_hyphen_values = true, value_parser = duration_in(MONITOR_INTERVAL))]
    pub interval: Duration,
    /// Stop after this long [100ms to 1year 18h]; default: until a signal.
    #[arg(short, long, value_name = "DURATION", allow_hyphen_values = true, value_parser = duration_in(MONITOR_DURATION))]
    pub duration: Option<Duration>,
    /// Stop after this many samples of each GPU [1 to 1000000000].
    #[arg(short = 'c', long, value_name = "N", allow_hyphen_values = true, value_parser = count_in(MONITOR_COUNT))]
    pub count: Option<u32>,
    /// Print CSV with a header line instead of the table.
    #[arg(long)]
    pub csv: bool,
    /// Serve /metrics and /healthz on this address (e.g. 0.0.0.0:9835,
    /// 127.0.0.1:0 for a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Write the metrics to this file each interval, for node_exporter's
    /// textfile collector (name it *.prom).
    #[arg(long, value_name = "PATH")]
    pub textfile: Option<std::path::PathBuf>,
    /// Metric names and labels: gpuctl's (Prometheus conventions) or
    /// dcgm-exporter's, so existing dashboards work unchanged.
    #[arg(long, value_enum, default_value_t = crate::model::monitor::MetricNames::Gpuctl)]
    pub metric_names: crate::model::monitor::MetricNames,
    /// Columns to show (table and CSV), e.g. index,power.draw,temperature.gpu.
    #[arg(long, value_name = "FIELD,...", long_help = crate::model::monitor::query_help(), value_parser = crate::model::monitor::parse_query)]
    pub query: Option<crate::model::monitor::Query>,
    /// Label each GPU's metrics with the pod, namespace and container the
    /// kubelet gave it to, from its pod-resources API at SOCKET (default
    /// /var/lib/kubelet/pod-resources/kubelet.sock), asked once per interval.
    #[arg(long, value_name = "SOCKET", num_args = 0..=1, default_missing_value = crate::model::monitor::POD_RESOURCES_SOCKET, value_parser = crate::model::monitor::parse_pod_socket)]
    pub pod_resources: Option<std::path::PathBuf>,
    /// Testing only: the circuit breaker's first back-off [100ms to 1h].
    #[arg(long, value_name = "DURATION", hide = true, default_value = "10s", allow_hyphen_values = true, value_parser = duration_in(MONITOR_INTERVAL))]
    pub breaker_backoff: Duration,
    #[command(flatten)]
    pub config: crate::cli::ConfigPath,
}
