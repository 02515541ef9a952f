#!/usr/bin/env bash
# GPU check for deploy/ (never in CI): run the container image's commands from
# the built binary as the container would (as nobody when we are root, with
# the image's environment), then the Slurm health check against the real GPU
# with a fake scontrol. Prints PASS/FAIL lines and timings; under 60 s.
#   bash tests/gpu/run.sh deploy      (binary: $GPUCTL, default .dev/bin/gpuctl)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 3
bin=$(readlink -f "${GPUCTL:-.dev/bin/gpuctl}")
port=${PORT:-9400}
rc=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; rc=1; }

work=$(mktemp -d)
chmod 755 "$work"
mon=""
trap '[[ -n $mon ]] && kill "$mon" 2>/dev/null; rm -rf "$work"' EXIT
cp "$bin" "$work/gpuctl" && chmod 755 "$work/gpuctl"

# As the image: ENV from deploy/Dockerfile, USER non-root.
as_user=()
if [[ $(id -u) -eq 0 ]]; then
    if command -v setpriv >/dev/null 2>&1; then
        as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
    elif command -v runuser >/dev/null 2>&1; then
        as_user=(runuser -u nobody --)
    fi
fi
echo "running as: ${as_user[*]:-$(id -un)}"
[[ -n ${GPUCTL_SIMULATE:-} ]] && echo "DRY RUN on the simulated backend: not a GPU check"
# GPUCTL_SIMULATE passes through only for a dry run of this script.
image_env=(env -i PATH="$work:/usr/bin:/bin" NVIDIA_VISIBLE_DEVICES=all
    NVIDIA_DRIVER_CAPABILITIES="compute,utility"
    ${GPUCTL_SIMULATE:+GPUCTL_SIMULATE="$GPUCTL_SIMULATE"})
run() { "${image_env[@]}" "${as_user[@]}" "$@"; }
ms() { date +%s%N; }

# HEALTHCHECK: gpuctl probe --timeout 3s, exit 0.
t0=$(ms)
out=$(run gpuctl probe --timeout 3s 2>&1); code=$?
t1=$(ms)
echo "probe: exit $code in $(((t1 - t0) / 1000000)) ms: $out"
if [[ $code -eq 0 ]]; then pass "probe exits 0 as the container user"; else fail "probe exit $code"; fi

# gpuctl health --json: valid JSON with an outcome.
t0=$(ms)
run gpuctl health --json >"$work/health.json" 2>"$work/health.err"; code=$?
t1=$(ms)
outcome=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["outcome"])' "$work/health.json" 2>&1)
echo "health: exit $code in $(((t1 - t0) / 1000000)) ms, outcome $outcome"
if [[ $outcome =~ ^(pass|warn|fail)$ ]]; then pass "health --json is a valid report ($outcome)"; else fail "health --json: $outcome $(cat "$work/health.err")"; fi

# monitor --listen: scraped once (gpuctl_gpu_up 1), then SIGTERM ends it with 0.
# Started directly (not through a function) so $! is gpuctl itself: env and
# setpriv exec it.
"${image_env[@]}" "${as_user[@]}" gpuctl monitor --quiet --listen "127.0.0.1:$port" --interval 1s &
mon=$!
metrics=""
for _ in $(seq 1 50); do
    sleep 0.2
    # Our monitor must be the one answering (a leftover on the port would not be).
    kill -0 "$mon" 2>/dev/null || break
    metrics=$(python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
        "http://127.0.0.1:$port/metrics" 2>/dev/null) && grep -q '^gpuctl_gpu_up{' <<<"$metrics" && break
done
up=$(grep -c '^gpuctl_gpu_up{.*} 1' <<<"$metrics")
gpus=$(nvidia-smi -L | grep -c '^GPU ')
echo "monitor: $up of $gpus GPU(s) with gpuctl_gpu_up 1; $(grep -vc '^#' <<<"$metrics") samples in the scrape"
if [[ $up -ge 1 && $up -eq $gpus ]]; then pass "monitor --listen scraped: gpuctl_gpu_up 1 for every GPU"; else fail "monitor scrape: up=$up gpus=$gpus"; fi
kill -TERM "$mon"
wait "$mon"; code=$?
if [[ $code -eq 0 ]]; then pass "monitor exits 0 on SIGTERM"; else fail "monitor exit $code on SIGTERM"; fi

# Slurm health check with a fake scontrol: a healthy GPU is never drained.
mkdir -p "$work/fake"
printf '#!/bin/sh\necho "$*" >> %s/scontrol.log\n' "$work" >"$work/fake/scontrol"
chmod 755 "$work/fake/scontrol"
PATH="$work/fake:$work:$PATH" GPUCTL_NODE=gpu-check GPUCTL_STATE_DIR="$work/state" bash deploy/slurm/gpuctl-healthcheck.sh; code=$?
# Only calls that change Slurm count (`show node` only reads).
calls=$(grep -v '^show node' "$work/scontrol.log" 2>/dev/null)
echo "slurm health check: exit $code, scontrol calls: ${calls:-none}"
if [[ $code -eq 0 && -z $calls ]]; then pass "slurm health check: healthy GPU, no drain"; else fail "slurm health check exit $code, calls: $calls"; fi
PATH="$work:$PATH" bash deploy/slurm/gpuctl-prolog.sh; code=$?
if [[ $code -eq 0 ]]; then pass "slurm prolog passes"; else fail "slurm prolog exit $code"; fi
# Issue 23: a job given GPU 0 only is checked on GPU 0 only.
PATH="$work:$PATH" SLURM_JOB_GPUS=0 bash deploy/slurm/gpuctl-prolog.sh; code=$?
if [[ $code -eq 0 ]]; then pass "slurm prolog passes for a job on GPU 0"; else fail "slurm prolog (SLURM_JOB_GPUS=0) exit $code"; fi
exit $rc
