#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, from the distribution's packages, for the
# tests of `make grade ENGINE=slurm` (a department's cluster has its own; do not use this
# one for a class). No systemd: the daemons run from a folder of their own, and are
# stopped by the PIDs they wrote there.
#
#   scripts/slurm_cluster.sh start DIR   # writes DIR/slurm.conf, starts munged (if none
#                                        # runs), slurmctld and slurmd; waits for the node
#   scripts/slurm_cluster.sh stop DIR    # stops what `start` started, by PID
#
# Clients (sbatch, squeue, sacct) find the cluster with SLURM_CONF=DIR/slurm.conf.
# Needs root (SlurmUser=root) and Debian's `slurmctld slurmd slurm-client munge`
# (.ci/run installs them; Slurm 22.05 on Debian 12). The settings are the minimal ones
# that run without systemd or cgroup plugins: process tracking by /proc
# (proctrack/linuxproc), no task plugin, no accounting; one node named after
# `hostname -s` with this machine's CPUs and memory, one partition `grading`.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
conf=$dir/slurm.conf

wait_for() {  # wait_for WHAT COMMAND...: until the command succeeds, or fail saying WHAT
  local what=$1
  shift
  for _ in $(seq 1 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "slurm_cluster: $what did not happen; logs in $dir" >&2
  tail -n 20 "$dir"/*.log >&2 || true
  return 1
}

start() {
  for program in slurmctld slurmd sbatch munged; do
    command -v "$program" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
    command -v "$program" >/dev/null 2>&1 || {
      echo "slurm_cluster: $program is missing: apt-get install slurmctld slurmd slurm-client munge" >&2
      exit 1; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "slurm_cluster: run as root (SlurmUser=root)" >&2; exit 1; }
  local host cpus memory
  host=$(hostname -s)
  cpus=$(nproc)
  memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
  mkdir -p "$dir/state" "$dir/spool"
  cat >"$conf" <<EOF
# written by scripts/slurm_cluster.sh: a single-node test cluster
ClusterName=dl4phys
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
MinJobAge=3600
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=grading Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  if ! pgrep -x munged >/dev/null; then
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- munged
    echo started >"$dir/munged.started"
  fi
  wait_for "munged answering" sh -c 'munge -n | unmunge'
  slurmctld -f "$conf"
  wait_for "slurmctld answering" env SLURM_CONF="$conf" scontrol ping
  slurmd -f "$conf"
  wait_for "the node $host becoming idle" sh -c \
    "SLURM_CONF='$conf' sinfo -h -n '$host' -o %t | grep -qx idle"
  echo "slurm_cluster: node $host ($cpus CPUs, $memory MB) up; SLURM_CONF=$conf"
}

stop() {
  local pid
  for name in slurmd slurmctld; do
    if [ -f "$dir/$name.pid" ]; then
      pid=$(cat "$dir/$name.pid")
      kill "$pid" 2>/dev/null || true
      wait_for "$name (PID $pid) stopping" sh -c "! kill -0 $pid"
      rm -f "$dir/$name.pid"
    fi
  done
  if [ -f "$dir/munged.started" ] && [ -f /run/munge/munged.pid ]; then
    pid=$(cat /run/munge/munged.pid)
    kill "$pid" 2>/dev/null || true
    wait_for "munged (PID $pid) stopping" sh -c "! kill -0 $pid"
    rm -f "$dir/munged.started"
  fi
  echo "slurm_cluster: stopped"
}

case $action in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
