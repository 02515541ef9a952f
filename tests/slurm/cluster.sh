#!/usr/bin/env bash
# A one-node Slurm cluster on this host, for tests/slurm.rs (issue 23):
#   cluster.sh start DIR   munged, slurmctld and slurmd with every file under
#                          DIR (slurm.conf, state, logs, munge socket), ports
#                          on 127.0.0.1; prints SLURM_CONF=DIR/slurm.conf
#   cluster.sh stop DIR    stops the three daemons started in DIR
# The node has two GRES gpus (gres.conf: DIR/dev/nvidia0 and nvidia1, links
# to /dev/null and /dev/zero: Slurm wants character devices), so a job
# asking for GPUs gets SLURM_JOB_GPUS in its prolog. EXTRA_SLURM_CONF adds
# lines to slurm.conf (a Prolog=, say).
# Needs root (slurmd runs jobs as any user) and Debian's slurmctld, slurmd,
# slurm-client and munge packages (.ci/run installs them). No cgroups:
# proctrack/linuxproc and task/none, so it runs in a container.
set -euo pipefail

cmd=${1:?usage: cluster.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: cluster.sh start|stop DIR}")

stop() {
    for pidfile in "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munge/munged.pid; do
        [[ -s $pidfile ]] || continue
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    done
}

if [[ $cmd == stop ]]; then
    stop
    exit 0
fi
[[ $cmd == start ]] || { echo "usage: cluster.sh start|stop DIR" >&2; exit 2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

host=$(hostname -s)
mkdir -p "$dir"/ctld "$dir"/spool "$dir"/munge "$dir"/dev
chmod 755 "$dir"
ln -sfn /dev/null "$dir/dev/nvidia0"
ln -sfn /dev/zero "$dir/dev/nvidia1"
printf 'AutoDetect=off\nName=gpu File=%s/dev/nvidia[0-1]\n' "$dir" >"$dir/gres.conf"

# munge: its own key, socket and files under DIR, run as the munge user.
install -m 0700 -o munge -g munge -d "$dir/munge"
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chown munge:munge "$dir/munge/munge.key"
chmod 0400 "$dir/munge/munge.key"
runuser -u munge -- munged --force \
    --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
    --seed-file="$dir/munge/munged.seed"
chmod 0755 "$dir/munge"

cat >"$dir/slurm.conf" <<CONF
ClusterName=gpuctlci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
GresTypes=gpu
${EXTRA_SLURM_CONF:-}
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
    if state=$(scontrol show node "$host" -o 2>/dev/null) && [[ $state == *State=IDLE* ]]; then
        echo "SLURM_CONF=$SLURM_CONF"
        exit 0
    fi
    sleep 0.2
done
echo "the one-node cluster did not come up: ${state:-no answer}" >&2
tail -5 "$dir"/slurmctld.log "$dir"/slurmd.log >&2 || true
stop
exit 1
