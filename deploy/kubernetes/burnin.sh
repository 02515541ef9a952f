#!/usr/bin/env bash
# Burn-in gate, run by burnin-job.yaml on a node before it enters service:
# `gpuctl diag --level 3` (health, fabric, burn, memtest, p2p, bench), then
# bench against a baseline. Exit 0 only when
# every step ran and passed: the Job completes, and the operator admits the
# node (README, "Fleet"). Any other exit fails the Job and the node stays out.
# A WARN fails the gate too (health --fail-on warn; for the others, the
# report's outcome must be "pass"): a GPU a step could not test or verify
# fully is never admitted.
#
# A step whose subcommand this gpuctl lacks fails the gate (fail closed); list
# only the steps you want in GPUCTL_BURNIN_STEPS (default: diag bench; also
# health burn memtest). Other settings: GPUCTL (binary), GPUCTL_DIAG_LEVEL (3),
# GPUCTL_BURN_DURATION (10m; diag: its level's unless set),
# GPUCTL_BASELINE (/etc/gpuctl/baseline.json), GPUCTL_BENCH_TOLERANCE (5%).
set -uo pipefail

gpuctl=${GPUCTL:-gpuctl}
baseline=${GPUCTL_BASELINE:-/etc/gpuctl/baseline.json}
read -r -a steps <<<"${GPUCTL_BURNIN_STEPS:-diag bench}"

for step in "${steps[@]}"; do
    if ! "$gpuctl" "$step" --help >/dev/null 2>&1; then
        echo "burn-in: FAIL: this gpuctl has no '$step' command; set GPUCTL_BURNIN_STEPS to the steps it has" >&2
        exit 3
    fi
    case $step in
        # --fail-on warn: a node joins only clean; a warning (a corrected-ECC
        # burst, a slow link) is a reason to look before it takes work. (burn
        # has no --fail-on: it fails on its own verification.)
        health) args=(health --fail-on warn) ;;
        diag)
            args=(diag --level "${GPUCTL_DIAG_LEVEL:-3}")
            if [[ -n ${GPUCTL_BURN_DURATION:-} ]]; then args+=(--burn-duration "$GPUCTL_BURN_DURATION"); fi
            ;;
        burn) args=(burn --duration "${GPUCTL_BURN_DURATION:-10m}") ;;
        memtest) args=(memtest) ;;
        bench)
            # A baseline from a known-good node of the same model and driver
            # (gpuctl bench --save-baseline FILE); the shipped file is empty.
            if [[ ! -s $baseline ]] || [[ $(tr -d ' \n' <"$baseline") == '{}' ]]; then
                echo "burn-in: FAIL: no bench baseline in $baseline; save one with 'gpuctl bench --save-baseline baseline.json' on a known-good node" >&2
                exit 3
            fi
            args=(bench --baseline "$baseline" --tolerance "${GPUCTL_BENCH_TOLERANCE:-5%}")
            ;;
        *) echo "burn-in: FAIL: unknown step '$step'" >&2; exit 2 ;;
    esac
    echo "burn-in: gpuctl ${args[*]}"
    # The JSON report goes to the log as well; its outcome decides.
    report=$("$gpuctl" "${args[@]}" --json)
    rc=$?
    printf '%s\n' "$report"
    if [[ $rc -ne 0 ]]; then
        echo "burn-in: FAIL: 'gpuctl ${args[*]}' exited $rc" >&2
        exit "$rc"
    fi
    outcome=$(printf '%s\n' "$report" | grep -o '"outcome": *"[a-z]*"' | tail -n 1 | grep -o '[a-z]*"$' | tr -d '"')
    if [[ $outcome != pass ]]; then
        echo "burn-in: FAIL: 'gpuctl ${args[*]}' outcome is '${outcome:-missing}', not pass" >&2
        exit 1
    fi
done
echo "burn-in: PASS: ${steps[*]}"
