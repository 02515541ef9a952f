#!/usr/bin/env bash
# CI check for kernels/: the committed PTX matches a fresh NVRTC 12.2 build, and every PTX file
# assembles with ptxas for sm_80 and sm_90. Run `bash kernels/install-tools.sh` first.
# Env overrides: NVRTC_LIB, PTXAS, GPUCTL_KERNEL_TOOLS, PYTHON.
set -uo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS="${GPUCTL_KERNEL_TOOLS:-$HOME/.cache/gpuctl-kernel-tools}"
PY="${PYTHON:-python3}"

if [ -z "${PTXAS:-}" ]; then
    for cand in "$TOOLS"/lib/python3*/site-packages/nvidia/cuda_nvcc/bin/ptxas \
                "$("$PY" -c 'import site; print(site.getusersitepackages())' 2>/dev/null)/nvidia/cuda_nvcc/bin/ptxas"; do
        if [ -f "$cand" ]; then PTXAS="$cand"; break; fi
    done
fi
if [ -z "${PTXAS:-}" ] || [ ! -f "$PTXAS" ]; then
    echo "check.sh: ptxas not found; run bash kernels/install-tools.sh (or set PTXAS)" >&2
    exit 1
fi

fail=0
"$PY" "$DIR/build.py" --check || fail=1

shopt -s nullglob
ptx_files=("$DIR"/*.ptx)
if [ ${#ptx_files[@]} -eq 0 ]; then
    echo "check.sh: no PTX files in $DIR" >&2
    exit 1
fi
for ptx in "${ptx_files[@]}"; do
    for arch in sm_80 sm_90; do
        if out="$("$PTXAS" -arch="$arch" -v "$ptx" -o /dev/null 2>&1)"; then
            spills="$(printf '%s\n' "$out" | grep -E '[1-9][0-9]* bytes spill' || true)"
            echo "ptxas $arch $(basename "$ptx"): ok${spills:+ (WARNING: register spills)}"
        else
            echo "ptxas $arch $(basename "$ptx"): FAILED" >&2
            printf '%s\n' "$out" >&2
            fail=1
        fi
    done
done
if [ "$fail" -ne 0 ]; then
    echo "check.sh: FAILED" >&2
    exit 1
fi
echo "check.sh: all kernels OK"
