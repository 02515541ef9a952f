#!/usr/bin/env bash
# Slurm Prolog snippet (Prolog=/etc/slurm/prolog.d/*, or call it from your
# prolog): refuse to start a job on a node whose GPUs fail gpuctl's fast NVML
# probe (about 30 ms). A non-zero prolog makes Slurm drain the node ("Prolog
# error") and requeue the job, so a job never lands on a GPU known to be sick.
#
# On nodes with more than one GPU it then runs `gpuctl p2p --enable-only`
# when this gpuctl has that subcommand (it is skipped on older builds).
#
# Environment: GPUCTL (default: gpuctl on PATH), GPUCTL_PROBE_TIMEOUT
# (default 3s).
set -uo pipefail

tag='gpuctl-prolog'
gpuctl=${GPUCTL:-gpuctl}

say() {
    printf '%s: %s\n' "$tag" "$*" >&2
    logger -t "$tag" -p daemon.err -- "$*" 2>/dev/null || true
}

# probe exits 0 (healthy) or 1 (unhealthy, including "no driver").
if ! verdict=$("$gpuctl" probe --timeout "${GPUCTL_PROBE_TIMEOUT:-3s}" 2>&1); then
    say "${verdict:-gpuctl probe failed}"
    exit 1
fi

# Count physical GPUs by their UUIDs in the JSON report (MIG instances have
# MIG- UUIDs and are not counted); no jq needed.
gpus=$("$gpuctl" list --json 2>/dev/null | grep -c '"uuid": "GPU-' || true)
if ((gpus > 1)) && "$gpuctl" p2p --help >/dev/null 2>&1; then
    if ! out=$("$gpuctl" p2p --enable-only 2>&1); then
        say "p2p --enable-only failed: $out"
        exit 1
    fi
fi
exit 0
