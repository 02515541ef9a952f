#!/usr/bin/env bash
# Slurm HealthCheckProgram: run `gpuctl health --json` and drain this node when
# a GPU or host check FAILs, with the failing GPUs, checks and remedies as the
# drain reason. It never resumes a node: an operator does that after repair
# (scontrol update nodename=NODE state=resume).
#
# A node whose driver is gone (gpuctl's environment error, exit 3: no NVML,
# no GPU, the driver does not answer) is drained too, the error as reason:
# no GPU job can run there. When gpuctl itself cannot give a verdict (usage
# error: exit 2; not runnable; interrupted; output that is not the expected
# JSON) the node is NOT drained: the script says why on stderr and in syslog
# (logger) and exits non-zero, so a broken gpuctl install cannot drain a fleet.
#
# A drain reason a person set is kept: a node already drained or down for a
# reason that is not gpuctl's is left as it is (the script still exits 1).
#
# After a resume, XIDs logged before it are not held against the node again:
# while the node is drained the script notes the time in GPUCTL_STATE_DIR;
# once it sees the node resumed, it passes `--since` so the kernel-log scan
# starts at the last time it saw the node drained (for 24 hours, the default
# window; then the note goes).
#
# Exit: 0 healthy (pass or warn), 1 unhealthy (node drained, already drained,
# or the drain itself failed), 2 or 3 no verdict (nothing changed).
#
# Environment (all optional):
#   GPUCTL               gpuctl binary (default: gpuctl on PATH)
#   SCONTROL             scontrol binary (default: scontrol on PATH)
#   GPUCTL_HEALTH_COMMAND  `health` (default) or `diag` (then set
#                        GPUCTL_HEALTH_ARGS="--level 1": health without compute
#                        plus the NVSwitch fabric state, one verdict)
#   GPUCTL_HEALTH_ARGS   extra arguments for that command, split on spaces
#                        (default: --no-compute, so a periodic check does not
#                        compete with running jobs; use "" for the full check)
#   GPUCTL_NODE          node name (default: hostname -s)
#   GPUCTL_REASON_MAX    longest drain reason in characters (default 256)
#   GPUCTL_JSON_TOOL     jq or python3 (default: jq when installed)
#   GPUCTL_STATE_DIR     where the drained/resumed notes live
#                        (default: /var/lib/gpuctl)
set -uo pipefail

tag='gpuctl-healthcheck'
gpuctl=${GPUCTL:-gpuctl}
scontrol=${SCONTROL:-scontrol}
reason_max=${GPUCTL_REASON_MAX:-256}
health_command=${GPUCTL_HEALTH_COMMAND:-health}
read -r -a health_args <<<"${GPUCTL_HEALTH_ARGS---no-compute}"
node=${GPUCTL_NODE:-$(hostname -s)}
state_dir=${GPUCTL_STATE_DIR:-/var/lib/gpuctl}
drained_note=$state_dir/healthcheck-drained
since_note=$state_dir/healthcheck-since

# Loud: stderr (the slurmd log) and syslog, tagged so it can be alerted on.
say() {
    printf '%s: %s\n' "$tag" "$*" >&2
    logger -t "$tag" -p daemon.err -- "$*" 2>/dev/null || true
}

# Prints two lines from the report on stdin: the outcome, then the drain
# reason ("GPU 0 FAIL (check, ...); host FAIL (check) - remedy; remedy").
# Fails when the input is not a gpuctl report.
summarize_jq() {
    jq -r '
      if (type != "object") or (.outcome | type != "string") then error("not a gpuctl report") else . end
      | if .outcome == "error" then
          (if .error.kind == "environment" then "environment" else "error" end),
          "host FAIL (driver: \(.error.message // "no message"))"
        else
      .outcome,
        ( [ (.host_checks // [] | map(select(.status == "fail")) | select(length > 0)
               | "host FAIL (" + (map(.name) | join(", ")) + ")"),
            (.gpus // [] | .[] | select(.status == "fail")
               | "GPU \(.index) FAIL (" + ([.checks // [] | .[] | select(.status == "fail") | .name] | join(", ")) + ")") ]
          as $parts
          | ([ (.host_checks // [])[], ((.gpus // [])[] | (.checks // [])[]) | select(.status == "fail") | .remedy // empty ]
             | unique) as $remedies
          | if ($parts | length) == 0 then (.summary // "unhealthy")
            else ($parts | join("; ")) + (if ($remedies | length) > 0 then " - " + ($remedies | join("; ")) else "" end)
            end )
        end'
}

summarize_python() {
    python3 -c '
import json, sys
r = json.load(sys.stdin)
if not isinstance(r, dict) or not isinstance(r.get("outcome"), str):
    sys.exit("not a gpuctl report")
if r["outcome"] == "error":
    e = r.get("error") or {}
    print("environment" if e.get("kind") == "environment" else "error")
    print("host FAIL (driver: %s)" % (e.get("message") or "no message"))
    sys.exit(0)
failed = lambda checks: [c for c in (checks or []) if c.get("status") == "fail"]
parts, remedies = [], []
host = failed(r.get("host_checks"))
if host:
    parts.append("host FAIL (%s)" % ", ".join(c["name"] for c in host))
for c in host:
    remedies.append(c.get("remedy"))
for g in r.get("gpus") or []:
    bad = failed(g.get("checks"))
    remedies += [c.get("remedy") for c in bad]
    if g.get("status") == "fail":
        parts.append("GPU %s FAIL (%s)" % (g.get("index"), ", ".join(c["name"] for c in bad)))
remedies = sorted({x for x in remedies if x})
reason = "; ".join(parts) + (" - " + "; ".join(remedies) if remedies else "") if parts else (r.get("summary") or "unhealthy")
print(r["outcome"])
print(reason)
'
}

json_tool=${GPUCTL_JSON_TOOL:-}
if [[ -z $json_tool ]]; then
    if command -v jq >/dev/null 2>&1; then json_tool=jq; else json_tool=python3; fi
fi
if ! command -v "$json_tool" >/dev/null 2>&1; then
    say "neither jq nor python3 is installed: cannot read gpuctl's report; node NOT drained"
    exit 3
fi

errfile=$(mktemp) || { say "mktemp failed; node NOT drained"; exit 3; }
trap 'rm -f "$errfile"' EXIT

# Slurm's view of this node: its state flags and the drain reason, if any
# (`scontrol show node -o` ends with `Reason=TEXT [user@time]`).
node_line=$("$scontrol" show node "$node" -o 2>/dev/null | head -1) || node_line=
node_state=
current_reason=
if [[ $node_line =~ (^|[[:space:]])State=([^[:space:]]+) ]]; then
    node_state=${BASH_REMATCH[2]}
fi
if [[ $node_line =~ [[:space:]]Reason=(.*)$ ]]; then
    current_reason=${BASH_REMATCH[1]}
    current_reason=${current_reason% \[*\]}
fi
held=false
[[ $node_state == *DRAIN* || $node_state == DOWN* ]] && held=true

# A node drained now: note when it was last seen so. A note on a node that
# is no longer drained means it was resumed since: XIDs before the note are
# the ones it was drained (and repaired) for.
now=$(date +%s)
if $held; then
    mkdir -p "$state_dir" 2>/dev/null && printf '%s\n' "$now" >"$drained_note" 2>/dev/null
elif [[ -s $drained_note && -n $node_state ]]; then
    mv -f "$drained_note" "$since_note" 2>/dev/null
fi
since_args=()
if [[ -s $since_note ]]; then
    since=$(cat "$since_note" 2>/dev/null)
    if [[ $since =~ ^[0-9]+$ ]] && ((now - since < 86400)); then
        if [[ " ${health_args[*]} " != *" --since "* ]]; then
            # Whole seconds: one more, so the second of the note is in.
            since_args=(--since "$((now > since ? now - since + 1 : 1))s")
        fi
    else
        rm -f "$since_note"
    fi
fi

# diag takes no --since: its level 1 judges XIDs over its own window.
[[ $health_command == health ]] || since_args=()
report=$("$gpuctl" "$health_command" --json "${health_args[@]}" "${since_args[@]}" 2>"$errfile")
rc=$?
stderr_text=$(tr '\n' ' ' <"$errfile")

case $rc in
    0 | 1 | 3) ;;
    2) say "gpuctl usage error (exit 2), node NOT drained: ${stderr_text:-no message}"; exit 2 ;;
    126 | 127) say "gpuctl could not be run ($gpuctl, exit $rc), node NOT drained: ${stderr_text:-no message}"; exit 3 ;;
    *) say "gpuctl gave no verdict (exit $rc), node NOT drained: ${stderr_text:-no message}"; exit 3 ;;
esac

summarize() {
    if [[ $json_tool == jq ]]; then summarize_jq; else summarize_python; fi
}
if ! parsed=$(printf '%s' "$report" | summarize 2>"$errfile"); then
    say "gpuctl exited $rc but its output is not a valid report ($(tr '\n' ' ' <"$errfile")), node NOT drained"
    exit 3
fi
outcome=${parsed%%$'\n'*}
reason=${parsed#*$'\n'}

# The exit code and the outcome must agree; anything else is no verdict.
if [[ $rc -eq 0 && ($outcome == pass || $outcome == warn) ]]; then
    exit 0
fi
if ! [[ ($rc -eq 1 && $outcome == fail) || ($rc -eq 3 && $outcome == environment) ]]; then
    say "gpuctl exit $rc disagrees with outcome '$outcome', node NOT drained: ${stderr_text:-no message}"
    exit 3
fi

reason="gpuctl: ${reason//[$'\n\r\t']/ }"
if ((${#reason} > reason_max)); then
    reason="${reason:0:reason_max-3}..."
fi
if $held && [[ -n $current_reason && $current_reason != gpuctl:* ]]; then
    say "$node is already drained for '$current_reason' (not gpuctl's): kept; gpuctl found: $reason"
    exit 1
fi
say "draining $node: $reason"
if ! "$scontrol" update "nodename=$node" state=drain "reason=$reason"; then
    say "scontrol could not drain $node"
    exit 1
fi
mkdir -p "$state_dir" 2>/dev/null && printf '%s\n' "$now" >"$drained_note" 2>/dev/null
exit 1
