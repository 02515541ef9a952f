//! The EXAMPLES section of every man page and `--help`: one list per
//! command, appended to its long help by `cli::command`. `tests/docs.rs`
//! runs every example on the simulated backend (durations shortened), so an
//! example that stops working fails a test.

/// (command, [(example, what it does)]); `gpuctl` is the top-level page.
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "gpuctl",
        &[
            ("gpuctl health", "is this node fit for work? (exit 0 yes, 1 no)"),
            ("gpuctl list --json", "every GPU's identity, versions and links, for scripts"),
        ],
    ),
    (
        "list",
        &[
            ("gpuctl list", "every GPU, with the driver and CUDA versions"),
            ("gpuctl list -i 0 --json", "GPU 0 as one JSON document"),
        ],
    ),
    (
        "probe",
        &[
            (
                "gpuctl probe --expect 8 --timeout 3s",
                "Docker: HEALTHCHECK --interval=30s --timeout=5s CMD gpuctl probe --expect 8 --timeout 3s",
            ),
            ("gpuctl probe --compute", "also run a verified kernel on every GPU"),
        ],
    ),
    (
        "health",
        &[
            ("gpuctl health", "every check on every GPU, with the numbers under the table"),
            ("gpuctl health --no-compute -i 0,1", "NVML only (tens of milliseconds), GPUs 0 and 1"),
            ("gpuctl health --skip xid --json > health.json", "one JSON document, without the XID check"),
        ],
    ),
    (
        "burn",
        &[
            ("gpuctl burn -d 10m", "every GPU at full power for ten minutes, every result checked"),
            ("gpuctl burn -d 1h -i 0 --json-lines > burn.jsonl", "progress events, then the report as the last line"),
        ],
    ),
    (
        "bench",
        &[
            ("gpuctl bench --quick", "every metric, briefly, against the built-in expectations"),
            ("gpuctl bench --min gemm_bf16=700TFLOPS --max launch_overhead_us=20us --json > bench.json", "gate on your own limits"),
        ],
    ),
    (
        "p2p",
        &[
            ("gpuctl p2p", "every pair: topology, peer access, verified copies, bandwidth, latency"),
            ("gpuctl p2p -i 0,1 --enable-only", "peer access between GPUs 0 and 1 only, nothing measured"),
        ],
    ),
    (
        "memtest",
        &[
            ("gpuctl memtest", "every pattern once over nearly all free memory of every GPU"),
            ("gpuctl memtest -d 10m --patterns random,address -i 0 --json-lines > memtest.jsonl", "ten minutes of two patterns on GPU 0, events as they happen"),
        ],
    ),
    (
        "monitor",
        &[
            ("gpuctl monitor -d 1m --interval 5s", "a live table for a minute"),
            ("gpuctl monitor --csv -d 1h > gpus.csv", "an hour of samples as CSV"),
            (
                "gpuctl monitor --pod-resources --textfile /tmp/gpuctl.prom -d 1h",
                "on a Kubernetes node: an hour of metrics for node_exporter, each GPU labelled with the pod, namespace and container holding it",
            ),
        ],
    ),
    (
        "diag",
        &[
            ("gpuctl diag --level 1", "node acceptance in seconds: health without compute, the NVSwitch fabric"),
            (
                "gpuctl diag --level 2 --burn-duration 1m --json > diag.json",
                "the 2-minute level with a shorter burn, one JSON document with a section per phase",
            ),
        ],
    ),
    (
        "config",
        &[
            ("gpuctl config show", "every command's settings and where each came from"),
            (
                "gpuctl config show --json | jq '.tables.burn'",
                "burn's settings and their sources, from one JSON document",
            ),
        ],
    ),
    (
        "schema",
        &[("gpuctl schema > gpuctl.schema.json", "the JSON Schema of every --json report and --json-lines line")],
    ),
    (
        "completions",
        &[("gpuctl completions bash > /etc/bash_completion.d/gpuctl", "install bash completion")],
    ),
];

/// The EXAMPLES section for `command` (its heading and one item per
/// example), or None when it has none.
pub fn section(command: &str) -> Option<String> {
    let (_, list) = EXAMPLES.iter().find(|(name, _)| *name == command)?;
    let items: Vec<String> = list
        .iter()
        .map(|(example, what)| format!("  {example}\n      {what}"))
        .collect();
    Some(format!("EXAMPLES\n{}", items.join("\n")))
}

/// `cmd` and its subcommands with each one's EXAMPLES after its long help
/// (`cli::command` applies it).
pub fn with_examples(cmd: clap::Command) -> clap::Command {
    let add = |c: clap::Command| match section(c.get_name()) {
        Some(examples) => {
            let help = c
                .get_after_long_help()
                .map(|h| format!("{}\n\n", h.to_string().trim_end()));
            c.after_long_help(format!("{}{examples}", help.unwrap_or_default()))
        }
        None => c,
    };
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    names
        .iter()
        .fold(add(cmd), |cmd, name| cmd.mut_subcommand(name, add))
}
