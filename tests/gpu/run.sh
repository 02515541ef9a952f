#!/usr/bin/env bash
# The whole GPU check in one call on a GPU machine (never in CI):
#   bash tests/gpu/run.sh [foundation|health|burn|burnverify|faults|report|multi|p2p|memtest|monitor|xidwatch|rss-start|rss-collect|deploy|bench|benchcmd|outfile|likeforlike|mixed|diag|diag3-start|diag3-collect|verify19|ops|columns|schema|parity|pods|all]
#   (likeforlike: issue 21's measurements in one call, ~6 min: memtest vs PyTorch copy, probe vs
#   nvidia-smi and the bare C verdict-only program, monitor vs nvidia-smi, bench's launch metrics
#   vs benches/floor/launch.cu, bench's GEMM per dtype, burst and sustained, vs benches/gemm_ref.cu;
#   a table at the end; LIKEFORLIKE_PARTS=launch,gemm runs only those parts)
#   (monitor: MONITOR_ARGS='--rss-minutes 1' by default; the 10-minute RSS run outlasts one
#   device call, so it is split: rss-start starts it detached (setsid), and rss-collect, in a
#   later call on the same warm machine, waits for it and prints the figures;
#   bench runs the latency/burn benchmarks; benchcmd checks the `gpuctl bench` command)
# A dry run without a GPU: GPUCTL=target/debug/gpuctl GPUCTL_CHECK_SIMULATE=tests/fixtures/two_h100.json
# with an nvidia-smi stand-in on PATH (tests/gpu/common.py passes the fixture on).
# Expects the release binary at .dev/bin/gpuctl (build here with
# `cargo build --release && mkdir -p .dev/bin && cp target/release/gpuctl .dev/bin/`).
#   (parity: issue 20's kernel parity check, every PTX kernel against its Rust reference on
#   GPU 0; expects .dev/bin/kernel_parity, built here with `cargo build --release --example
#   kernel_parity && cp target/release/examples/kernel_parity .dev/bin/`; PARITY overrides it)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 3
what="${1:-all}"
export GPUCTL="${GPUCTL:-.dev/bin/gpuctl}"
export PYTHONUNBUFFERED=1
out="${OUT:-/tmp}"
rc=0
nvidia-smi --query-gpu=index,name,driver_version,pci.bus_id --format=csv,noheader
if [[ $what == foundation || $what == all ]]; then
    echo "== foundation checks"; python3 tests/gpu/check_foundation.py 2>&1 | tee "$out/foundation.log" || rc=1
fi
if [[ $what == health || $what == all ]]; then
    echo "== health checks"; python3 tests/gpu/check_health.py 2>&1 | tee "$out/health.log" || rc=1
fi
if [[ $what == burn || $what == all ]]; then
    echo "== burn checks"; python3 tests/gpu/check_burn.py 2>&1 | tee "$out/burn.log" || rc=1
fi
if [[ $what == burnverify || $what == all ]]; then
    echo "== burn verification checks"; python3 tests/gpu/check_burn_verify.py 2>&1 | tee "$out/burnverify.log" || rc=1
fi
if [[ $what == faults || $what == all ]]; then
    echo "== fault checks (bounded calls, CUDA_VISIBLE_DEVICES agreement)"; python3 tests/gpu/check_faults.py 2>&1 | tee "$out/faults.log" || rc=1
fi
if [[ $what == report || $what == all ]]; then
    echo "== report checks (80 columns, identity, remedies, SIGTERM)"; python3 tests/gpu/check_report.py 2>&1 | tee "$out/report.log" || rc=1
fi
if [[ $what == multi ]]; then
    echo "== multi-GPU checks (identity, scaling, burn, memtest, bench outlier)"; python3 tests/gpu/check_multi.py 2>&1 | tee "$out/multi.log" || rc=1
fi
if [[ $what == p2p ]]; then
    echo "== p2p checks (2+ GPUs)"; python3 tests/gpu/check_p2p.py 2>&1 | tee "$out/p2p.log" || rc=1
fi
if [[ $what == parity ]]; then
    echo "== kernel parity (issue 20): every PTX kernel against its Rust reference"
    parity="${PARITY:-.dev/bin/kernel_parity}"
    if [[ ! -x $parity ]]; then
        echo "FAIL  $parity is missing: cargo build --release --example kernel_parity, then copy it there"
        rc=1
    else
        "$parity" 2>&1 | tee "$out/parity.log" || rc=1
        "$parity" --json > "$out/parity.json" || rc=1
    fi
fi
if [[ $what == ops || $what == all ]]; then
    echo "== operator checks (issue 24: 80 columns, one JSON document, numbers)"; python3 tests/gpu/check_ops.py 2>&1 | tee "$out/ops.log" || rc=1
fi
if [[ $what == columns || $what == all ]]; then
    echo "== every command at COLUMNS=80, CSV, --events, --config (issue 24, second look)"; python3 tests/gpu/check_columns.py 2>&1 | tee "$out/columns.log" || rc=1
fi
if [[ $what == schema || $what == all ]]; then
    echo "== schema checks (issue 20: real JSON against schema.json, catalogued check names)"; python3 tests/gpu/check_schema.py 2>&1 | tee "$out/schema.log" || rc=1
fi
if [[ $what == memtest || $what == all ]]; then
    echo "== memtest checks"; python3 tests/gpu/check_memtest.py 2>&1 | tee "$out/memtest.log" || rc=1
fi
if [[ $what == bench || $what == all ]]; then
    echo "== probe latency benchmark"; python3 benches/probe_latency.py 30 2>&1 | tee "$out/probe_latency.log" || rc=1
    echo "== health latency benchmark"; python3 benches/health_latency.py 10 2>&1 | tee "$out/health_latency.log" || rc=1
    echo "== burn benchmark"; python3 benches/burn_bench.py "${BURN_SECONDS:-60}" 2>&1 | tee "$out/burn_bench.log" || rc=1
fi
if [[ $what == benchcmd || $what == all ]]; then
    echo "== gpuctl bench checks"; OUT="$out" python3 tests/gpu/check_bench.py 2>&1 | tee "$out/check_bench.log" || rc=1
fi
if [[ $what == mixed ]]; then
    echo "== mixed stress (issue 22): burn, memtest, burn --mode mixed, 40 s each on GPU 0"; python3 tests/gpu/check_mixed.py 2>&1 | tee "$out/mixed.log" || rc=1
fi
if [[ $what == likeforlike ]]; then
    echo "== like-for-like measurements (issue 21)"; python3 tests/gpu/check_likeforlike.py 2>&1 | tee "$out/likeforlike.log" || rc=1
fi
if [[ $what == verify19 || $what == all ]]; then
    echo "== verification that catches faults (issue 19 C: bench buffers, burn reference)"
    python3 tests/gpu/check_verify19.py 2>&1 | tee "$out/verify19.log" || rc=1
fi
if [[ $what == monitor || $what == all ]]; then
    echo "== monitor checks and figures"
    # shellcheck disable=SC2086
    python3 tests/gpu/check_monitor.py ${MONITOR_ARGS:---rss-minutes 1} 2>&1 | tee "$out/monitor.log" || rc=1
fi
if [[ $what == pods || $what == all ]]; then
    echo "== monitor --pod-resources (issue 23): pod labels against a kubelet stand-in"
    python3 tests/gpu/check_pods.py 2>&1 | tee "$out/pods.log" || rc=1
fi
if [[ $what == xidwatch || $what == all ]]; then
    echo "== XID watch and healthy rule (issue 19)"; python3 tests/gpu/check_xid_watch.py 2>&1 | tee "$out/xidwatch.log" || rc=1
fi
if [[ $what == rss-start ]]; then
    python3 tests/gpu/monitor_rss.py start "${RSS_MINUTES:-10}" || rc=1
fi
if [[ $what == rss-collect ]]; then
    echo "== monitor RSS run"; python3 tests/gpu/monitor_rss.py collect 2>&1 | tee "$out/rss.log" || rc=1
fi
if [[ $what == outfile || $what == all ]]; then
    echo "== output files and stdout (issue 19)"; python3 tests/gpu/check_outfile.py 2>&1 | tee "$out/outfile.log" || rc=1
fi
if [[ $what == diag || $what == all ]]; then
    echo "== diag checks (list identity, levels 1-2 timed, Ctrl-C, RMA bundle)"
    OUT="$out" python3 tests/gpu/check_diag.py levels 2>&1 | tee "$out/diag.log" || rc=1
fi
if [[ $what == diag3-start ]]; then
    OUT="$out" python3 tests/gpu/check_diag.py l3-start || rc=1
fi
if [[ $what == diag3-collect ]]; then
    echo "== diag level 3 (timed)"; OUT="$out" python3 tests/gpu/check_diag.py l3-collect 2>&1 | tee "$out/diag3.log" || rc=1
fi
if [[ $what == deploy || $what == all ]]; then
    echo "== deploy checks (the image's commands as the container runs them)"
    bash tests/gpu/check_deploy.sh 2>&1 | tee "$out/deploy.log" || rc=1
fi
exit $rc
