#!/usr/bin/env bash
# A real Slurm job array on a one-node cluster brought up on this machine: an 8-task array of
# `entente batch --shard auto`, merged with `entente merge`, must equal the one-process batch
# bit for bit. Run as root on Debian (it installs munge and Slurm with apt if they are
# missing); CI runs it from .ci/run.
#
#   tests/cluster/slurm-local.sh [path/to/entente]     # default: target/release/entente
#
# It starts munged, slurmctld and slurmd itself, in the background, and stops exactly the
# processes it started (by PID) when it exits, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."

entente=$(realpath "${1:-target/release/entente}")
scenario=$(realpath scenarios/minimal.toml)
runs=200000   # 49 segments of 4,096 runs: every one of the 8 shards has work
tasks=8

if [ "$(id -u)" != 0 ]; then
    echo "slurm-local: needs root (it starts munged, slurmctld and slurmd)" >&2
    exit 1
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "== installing munge and Slurm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        munge slurmctld slurmd slurm-client >/dev/null
fi

work=$(mktemp -d /tmp/entente-slurm.XXXXXX)
chmod 755 "$work"
pids=()
passed=no
stop() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "$passed" = yes ]; then
        rm -rf "$work"
    else
        echo "slurm-local: logs and outputs kept in $work" >&2
    fi
}
trap stop EXIT

echo "== munge"
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chmod 755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --force >/dev/null 2>&1 || mungekey -c -f
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
fi
# In the foreground, and through setpriv (which execs, unlike su), so that the PID we stop
# is munged's own.
setpriv --reuid=munge --regid=munge --clear-groups /usr/sbin/munged --foreground --force \
    >"$work/munged.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    munge -n </dev/null >/dev/null 2>&1 && break
    sleep 0.1
done
munge -n </dev/null | unmunge >/dev/null

echo "== slurm.conf"
host=$(hostname -s)
cpus=$(nproc)
memory=$(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1024 / 2))
mkdir -p /run/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/slurm
# Debian's package creates the slurm user; slurmctld runs as it, slurmd as root.
slurm_user=$(id -u slurm >/dev/null 2>&1 && echo slurm || echo root)
touch "$work/slurmctld.log" "$work/slurmd.log"
chown "$slurm_user" /run/slurm /var/spool/slurmctld /var/log/slurm "$work/slurmctld.log"
cat >/etc/slurm/slurm.conf <<EOF
ClusterName=entente-local
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=${slurm_user}
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=${work}/slurmctld.log
SlurmdLogFile=${work}/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=local Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
# Debian's slurm-wlm reads /etc/slurm/slurm.conf; a cgroup.conf is not needed with task/none.

echo "== slurmctld and slurmd"
/usr/sbin/slurmctld -D -c -f /etc/slurm/slurm.conf >"$work/slurmctld.out" 2>&1 &
pids+=($!)
/usr/sbin/slurmd -D -N "$host" -f /etc/slurm/slurm.conf >"$work/slurmd.out" 2>&1 &
pids+=($!)
ready=no
for _ in $(seq 120); do
    if sinfo -h -N -o '%t' 2>/dev/null | grep -qE '^(idle|mix)'; then
        ready=yes
        break
    fi
    sleep 0.5
done
if [ "$ready" != yes ]; then
    echo "slurm-local: the node never became idle" >&2
    sinfo -N -l >&2 || true
    tail -n 30 "$work/slurmctld.log" "$work/slurmd.log" "$work/slurmctld.out" "$work/slurmd.out" >&2 || true
    exit 1
fi
sinfo -N

echo "== the one-process batch"
"$entente" batch "$scenario" --runs "$runs" --out "$work/whole" >/dev/null

echo "== sbatch --array=0-$((tasks - 1)): each task runs its shard"
cat >"$work/batch.sbatch" <<EOF
#!/bin/bash
#SBATCH --job-name=entente-shards
#SBATCH --output=${work}/task-%a.out
#SBATCH --cpus-per-task=1
#SBATCH --ntasks=1
exec "$entente" batch "$scenario" --runs $runs --threads 1 --shard auto \
    --resume --out "${work}/shards/\${SLURM_ARRAY_TASK_ID}"
EOF
job=$(sbatch --parsable --array=0-$((tasks - 1)) "$work/batch.sbatch")
echo "job $job"
finished=no
for _ in $(seq 600); do
    if [ -z "$(squeue -h -j "$job" 2>/dev/null)" ]; then
        finished=yes
        break
    fi
    sleep 0.5
done
if [ "$finished" != yes ]; then
    echo "slurm-local: the array did not finish in 300 s" >&2
    squeue >&2 || true
    exit 1
fi
# An empty queue is not success: every task must have left its partial result.
for task in $(seq 0 $((tasks - 1))); do
    if [ ! -s "$work/shards/$task/partial.entente" ]; then
        echo "slurm-local: task $task left no partial result; its output:" >&2
        cat "$work/task-$task.out" >&2 || true
        tail -n 30 "$work/slurmd.log" >&2 || true
        exit 1
    fi
    grep -q "^shard $task/$tasks: " "$work/task-$task.out" || {
        echo "slurm-local: task $task did not run shard $task/$tasks:" >&2
        cat "$work/task-$task.out" >&2
        exit 1
    }
done

echo "== entente merge"
"$entente" merge "$work"/shards/* --out "$work/merged" >/dev/null
for file in summary.json summary.csv envelopes.csv; do
    if ! cmp "$work/whole/$file" "$work/merged/$file"; then
        echo "slurm-local: the merged $file differs from the one-process batch" >&2
        exit 1
    fi
done
passed=yes
echo "slurm-local: an $tasks-task Slurm array merged equals the one-process batch bit for bit"
