#!/usr/bin/env bash
# The driver's own floors that issue 7's and 11's goals were measured against, in one call
# on a GPU machine (needs gcc and nvcc there, and .dev/bin/gpuctl):
#   bash benches/floor/run.sh [probe|startup|copy|all]
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 3
what="${1:-all}"
if [[ $what == probe || $what == all ]]; then
    gcc -O2 -o /tmp/nvml_probe benches/floor/nvml_probe.c -ldl -lpthread || exit 3
    python3 benches/floor/probe_floor.py 30
fi
if [[ $what == startup || $what == all ]]; then
    nvcc -O2 -o /tmp/cuda_startup benches/floor/cuda_startup.c -lcuda -lpthread || exit 3
    n=$(nvidia-smi -L | wc -l)
    all=$(seq -s, 0 $((n - 1)))
    for v in 0 "$all"; do for m in serial par; do
        echo "CUDA_VISIBLE_DEVICES=$v $m"; CUDA_VISIBLE_DEVICES=$v /tmp/cuda_startup $m
    done; done
    if (( n >= 2 )); then
        echo "two processes at once, one GPU each:"
        s=$(date +%s%N)
        CUDA_VISIBLE_DEVICES=0 /tmp/cuda_startup par & CUDA_VISIBLE_DEVICES=1 /tmp/cuda_startup par & wait
        echo " wall $(( ($(date +%s%N) - s) / 1000000 )) ms"
    fi
fi
if [[ $what == copy || $what == all ]]; then
    nvcc -O3 -std=c++20 -arch=sm_90 -diag-suppress 549 -o /tmp/copy_shapes benches/floor/copy_shapes.cu || exit 3
    /tmp/copy_shapes
fi
