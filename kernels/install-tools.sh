#!/usr/bin/env bash
# Install the kernel build tools from PyPI (no CUDA toolkit, no GPU needed):
#   nvidia-cuda-nvrtc-cu12==12.2.140  -> libnvrtc.so.12 (used by kernels/build.py via ctypes)
#   nvidia-cuda-nvcc-cu12==12.9.86    -> ptxas (used by kernels/check.sh)
# into a venv at $GPUCTL_KERNEL_TOOLS (default ~/.cache/gpuctl-kernel-tools); falls back to
# `pip install --user` when python3 cannot create a venv. Idempotent.
set -euo pipefail
NVRTC_PKG="nvidia-cuda-nvrtc-cu12==12.2.140"
NVCC_PKG="nvidia-cuda-nvcc-cu12==12.9.86"
TOOLS="${GPUCTL_KERNEL_TOOLS:-$HOME/.cache/gpuctl-kernel-tools}"
PY="${PYTHON:-python3}"

if [ -x "$TOOLS/bin/python" ] || "$PY" -m venv "$TOOLS" >/dev/null 2>&1; then
    "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check "$NVRTC_PKG" "$NVCC_PKG"
    SITE="$("$TOOLS/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
else
    echo "install-tools.sh: python3 -m venv unavailable; installing with pip --user" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check --user "$NVRTC_PKG" "$NVCC_PKG" \
        || "$PY" -m pip install --quiet --disable-pip-version-check --user --break-system-packages \
               "$NVRTC_PKG" "$NVCC_PKG"
    SITE="$("$PY" -c 'import site; print(site.getusersitepackages())')"
fi

NVRTC="$(ls "$SITE"/nvidia/cuda_nvrtc/lib/libnvrtc.so.12* 2>/dev/null | grep -v builtins | head -n1 || true)"
PTXAS="$SITE/nvidia/cuda_nvcc/bin/ptxas"
[ -n "$NVRTC" ] && [ -f "$NVRTC" ] || { echo "install-tools.sh: libnvrtc.so.12 not found under $SITE" >&2; exit 1; }
[ -f "$PTXAS" ] || { echo "install-tools.sh: ptxas not found under $SITE" >&2; exit 1; }
chmod +x "$PTXAS" 2>/dev/null || true
echo "NVRTC_LIB=$NVRTC"
echo "PTXAS=$PTXAS"
