#!/usr/bin/env bash
# Run a command as if on a machine SLOWDOWN times slower (default 3): the command and
# everything it starts share a CPU quota of nproc/SLOWDOWN cores (a cgroup CPU quota,
# the mechanism the grading sandbox uses for its own caps).
#
#   scripts/slow_machine.sh make lab-check
#   SLOWDOWN=4.5 scripts/slow_machine.sh make assignments-check
#
# Machines of this project's kind differ up to ~4.5x in speed; a test that passes here
# does not wait for a time where it should wait for a condition. Needs a writable cgroup
# (v1 'cpu' hierarchy or cgroup v2 with the cpu controller), which root has on the CI
# machine. The cgroup is removed when the command ends; its exit status is the command's.
set -euo pipefail
if [ $# -eq 0 ]; then
  echo "usage: [SLOWDOWN=3] $0 COMMAND [ARGS...]" >&2
  exit 2
fi
SLOWDOWN="${SLOWDOWN:-3}"
if ! awk -v s="$SLOWDOWN" 'BEGIN { exit !(s >= 1) }'; then
  echo "SLOWDOWN must be a number >= 1 (how many times slower), got '$SLOWDOWN'" >&2
  exit 2
fi
cores=$(nproc)
period=100000
quota=$(awk -v c="$cores" -v s="$SLOWDOWN" -v p="$period" 'BEGIN { printf "%d", c * p / s }')
name="dl4phys-slow-$$"

own_v1=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3 }' /proc/self/cgroup | head -n1)
if [ -n "$own_v1" ] && [ -w "/sys/fs/cgroup/cpu${own_v1%/}" ]; then
  group="/sys/fs/cgroup/cpu${own_v1%/}/$name"
  mkdir "$group"
  echo "$period" >"$group/cpu.cfs_period_us"
  echo "$quota" >"$group/cpu.cfs_quota_us"
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
  own_v2=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  group="/sys/fs/cgroup${own_v2%/}/$name"
  mkdir "$group"
  echo "$quota $period" >"$group/cpu.max"
else
  echo "no writable cgroup with a CPU controller here: run as root on Linux (cgroup v1 'cpu'" \
       "or cgroup v2 with 'cpu' delegated)" >&2
  exit 1
fi

cleanup() {
  # Move this shell back out, then remove the (now empty) group.
  echo $$ >"$(dirname "$group")/cgroup.procs" 2>/dev/null || true
  for _ in $(seq 50); do rmdir "$group" 2>/dev/null && break; sleep 0.1; done
}
trap cleanup EXIT
echo $$ >"$group/cgroup.procs"
echo "slow_machine: $* with $(awk -v q="$quota" -v p="$period" 'BEGIN { printf "%.2f", q / p }')" \
     "of $cores cores (SLOWDOWN=$SLOWDOWN)" >&2
set +e
"$@"
status=$?
set -e
exit $status
