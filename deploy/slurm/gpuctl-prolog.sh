#!/usr/bin/env bash
# Slurm Prolog snippet (Prolog=/etc/slurm/prolog.d/*, or call it from your
# prolog): refuse to start a job on a node whose GPUs fail gpuctl's fast NVML
# probe (about 30 ms). A non-zero prolog makes Slurm drain the node ("Prolog
# error") and requeue the job, so a job never lands on a GPU known to be sick.
#
# Only the job's GPUs are checked: SLURM_JOB_GPUS (set by Slurm for a job
# with GRES gpu), else CUDA_VISIBLE_DEVICES, as nvidia-smi indices. A sick GPU
# that another job uses, or no job uses, does not refuse this job (the
# HealthCheckProgram drains the node for it). With neither set (a job without
# GPUs, or a cluster without GRES gpu) every GPU gets the probe, which makes
# no GPU context; `p2p` is then skipped.
#
# With two or more job GPUs it then runs `gpuctl p2p --enable-only` on those
# GPUs only, when this gpuctl has that subcommand (skipped on older builds).
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

job_gpus=${SLURM_JOB_GPUS:-${CUDA_VISIBLE_DEVICES:-}}
# gpuctl -i takes nvidia-smi indices; CUDA_VISIBLE_DEVICES would renumber
# what the CUDA driver shows, so it goes once read.
unset CUDA_VISIBLE_DEVICES
select=()
if [[ -n $job_gpus ]]; then
    if ! [[ $job_gpus =~ ^[0-9]+(,[0-9]+)*$ ]]; then
        say "job GPUs '$job_gpus' are not a list of indices; checking every GPU"
    else
        select=(-i "$job_gpus")
    fi
fi

# probe exits 0 (healthy) or 1 (unhealthy, including "no driver").
if ! verdict=$("$gpuctl" probe "${select[@]}" --timeout "${GPUCTL_PROBE_TIMEOUT:-3s}" 2>&1); then
    say "GPUs ${job_gpus:-all}: ${verdict:-gpuctl probe failed}"
    exit 1
fi

if ((${#select[@]} > 0)) && [[ $job_gpus == *,* ]] && "$gpuctl" p2p --help >/dev/null 2>&1; then
    if ! out=$("$gpuctl" p2p "${select[@]}" --enable-only 2>&1); then
        say "p2p --enable-only on GPUs $job_gpus failed: $out"
        exit 1
    fi
fi
exit 0
