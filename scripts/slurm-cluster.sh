#!/usr/bin/env bash
# A single-node Slurm cluster on this machine for agentpod's Slurm tests and CI (not part of agentpod itself).
#   scripts/slurm-cluster.sh up      install Debian's slurm-wlm + munge if missing, write the configs, start
#                                    munged, slurmctld and slurmd directly (no systemd), wait for the node idle
#                                    with an empty queue (no job of an earlier run survives)
#   scripts/slurm-cluster.sh down    cancel every job, wait for their steps, stop exactly the daemons `up` started
#   scripts/slurm-cluster.sh status  what runs, and the node's state
# Root, idempotent. cgroup plugins are on (proctrack/cgroup, task/cgroup): --mem is enforced by the kernel and
# conmon cannot escape a job. No accounting daemon: agentpod reads squeue, scontrol and the jobcomp/filetxt log.
# Measured facts and pitfalls behind each choice: docs/slurm.md.
set -euo pipefail

STATE=${AGENTPOD_SLURM_STATE:-/var/tmp/agentpod-slurm}
CONF_DIR=/etc/slurm
NODE=localhost

die() { echo "slurm-cluster: $*" >&2; exit 1; }
say() { echo "slurm-cluster: $*"; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts daemons)"

# A daemon is alive when its pid file names a process that is not a zombie and has the right name: PID 1 on these
# machines reaps late, and `kill -0` succeeds on zombies.
alive() { # name pidfile
  local pid
  [ -s "$2" ] || return 1
  pid=$(cat "$2" 2>/dev/null)
  [ -n "$pid" ] && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != "Z" ] && [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$1" ]
}

wait_for() { # seconds description command...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || die "timed out waiting for $what"
    sleep 0.1
  done
}

pidfile_of() {
  case "$1" in
    munged) echo /run/munge/munged.pid ;;
    slurmctld) echo "$STATE/slurmctld.pid" ;;
    slurmd) echo "$STATE/slurmd.pid" ;;
  esac
}

install_packages() {
  local missing=()
  for pkg in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return
  say "apt-get install --no-install-recommends ${missing[*]}"
  # Postinst must not start the daemons itself (this script starts and stops them): a policy-rc.d that says no,
  # only for the install and only if the machine has none.
  local policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy_added=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$policy_added" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

write_configs() {
  install -d -m 0755 "$STATE"
  install -d -o slurm -g slurm -m 0755 "$STATE/ctld" "$STATE/log"
  install -d -m 0755 "$STATE/d"
  # The node's size from slurmd itself, memory minus 1 GiB for the system.
  local cpus mem
  cpus=$(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' | head -1)
  mem=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -1)
  mem=$((mem > 2048 ? mem - 1024 : mem))
  local cgroup_plugin=cgroup/v1 ignore_systemd=""
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    cgroup_plugin=cgroup/v2
    ignore_systemd="IgnoreSystemd=yes" # no systemd here: slurmd makes its own scope (needs 22.05+)
  fi
  cat > "$STATE/slurm.conf.new" <<CONF
# Written by agentpod's scripts/slurm-cluster.sh: a single-node cluster for tests.
ClusterName=agentpod
SlurmctldHost=$NODE
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup,task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/cgroup
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/log/jobcomp.log
MailProg=/bin/true
MpiDefault=none
ReturnToService=2
KillWait=30
SchedulerParameters=sched_interval=1
NodeName=$NODE CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
  cat > "$STATE/cgroup.conf.new" <<CONF
# Written by agentpod's scripts/slurm-cluster.sh: --mem and --cpus-per-task enforced by the kernel.
CgroupPlugin=$cgroup_plugin
$ignore_systemd
ConstrainRAMSpace=yes
ConstrainCores=yes
ConstrainSwapSpace=no
CONF
  for f in slurm.conf cgroup.conf; do
    install -d -m 0755 "$CONF_DIR"
    if ! cmp -s "$STATE/$f.new" "$CONF_DIR/$f"; then
      [ -e "$CONF_DIR/$f" ] && [ ! -e "$STATE/$f.orig" ] && ! grep -q "agentpod's scripts/slurm-cluster.sh" "$CONF_DIR/$f" && cp "$CONF_DIR/$f" "$STATE/$f.orig"
      install -m 0644 "$STATE/$f.new" "$CONF_DIR/$f"
    fi
    rm -f "$STATE/$f.new"
  done
}

config_hash() { cat "$CONF_DIR/slurm.conf" "$CONF_DIR/cgroup.conf" | sha256sum | cut -d' ' -f1; }

started() { [ -f "$STATE/started" ] && grep -qx "$1" "$STATE/started"; }

stop_daemon() { # name: TERM, wait, KILL; only a daemon this script started
  local name=$1 pidfile
  pidfile=$(pidfile_of "$name")
  if alive "$name" "$pidfile"; then
    if ! started "$name"; then
      say "$name was not started by this script: left running"
      return
    fi
    local pid
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while alive "$name" "$pidfile" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    alive "$name" "$pidfile" && kill -KILL "$pid" 2>/dev/null || true
    say "stopped $name (pid $pid)"
  fi
  [ -f "$STATE/started" ] && sed -i "/^$name\$/d" "$STATE/started"
  return 0
}

start_daemon() { # name
  local name=$1 pidfile
  pidfile=$(pidfile_of "$name")
  if alive "$name" "$pidfile"; then return; fi
  case "$name" in
    munged)
      install -d -o munge -g munge -m 0755 /run/munge
      runuser -u munge -- /usr/sbin/munged
      ;;
    slurmctld) slurmctld ;;
    slurmd) slurmd -N "$NODE" ;;
  esac
  # The pid file appears a moment after the fork.
  wait_for 10 "$name's pid file" alive "$name" "$pidfile"
  echo "$name" >> "$STATE/started"
  say "started $name (pid $(cat "$pidfile"))"
}

node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null | head -1; }
node_ready() { case "$(node_state)" in idle | mixed | allocated) return 0 ;; *) return 1 ;; esac; }

up() {
  local t0=$SECONDS
  install_packages
  write_configs
  local hash
  hash=$(config_hash)
  # Plugins are not reloaded by `scontrol reconfigure`: daemons running with another config, or with one this
  # script did not record (a half-done earlier run), are restarted.
  if { [ ! -f "$STATE/config.sha" ] || [ "$(cat "$STATE/config.sha")" != "$hash" ]; } &&
    { alive slurmctld "$(pidfile_of slurmctld)" || alive slurmd "$(pidfile_of slurmd)"; }; then
    say "configuration changed: restarting the Slurm daemons"
    stop_daemon slurmd
    stop_daemon slurmctld
  fi
  echo "$hash" > "$STATE/config.sha"
  start_daemon munged
  munge -n | unmunge >/dev/null || die "munge does not work (munge -n | unmunge)"
  if ! alive slurmctld "$(pidfile_of slurmctld)"; then fresh_state; fi
  start_daemon slurmctld
  start_daemon slurmd
  wait_for 30 "node $NODE to be idle (state: \$(sinfo))" node_ready
  # A node left DOWN or DRAIN by an earlier run (a killed slurmd) is put back.
  case "$(node_state)" in down* | drain*) scontrol update NodeName="$NODE" State=RESUME ;; esac
  cancel_all_jobs
  say "up in $((SECONDS - t0)) s: node $NODE $(node_state), $(scontrol show config | sed -n 's/^MaxArraySize *= *//p') array indices, config $CONF_DIR"
}

# A controller that starts does so without an earlier run's jobs: a machine restarted under a running cluster
# leaves jobs COMPLETING for ever in the saved state, holding the node's CPUs. Job ids then start again at 1, so
# the completion log of the earlier jobs is moved aside (kept, not lost) and cannot answer for a new job.
fresh_state() {
  rm -rf "${STATE:?}/ctld/"*
  alive slurmd "$(pidfile_of slurmd)" || rm -rf "${STATE:?}/d/"*
  if [ -s "$STATE/log/jobcomp.log" ]; then mv "$STATE/log/jobcomp.log" "$STATE/log/jobcomp.log.$(date +%Y%m%dT%H%M%S)"; fi
}

cancel_all_jobs() {
  alive slurmctld "$(pidfile_of slurmctld)" || return 0
  local jobs
  jobs=$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
  [ -n "${jobs// /}" ] || return 0
  say "cancelling jobs $jobs"
  # shellcheck disable=SC2086
  scancel $jobs || true
  local deadline=$((SECONDS + 60))
  while [ -n "$(squeue -h -o %A 2>/dev/null)" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
}

down() {
  cancel_all_jobs
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
  rm -f "$STATE/config.sha"
}

status() {
  for d in munged slurmctld slurmd; do
    if alive "$d" "$(pidfile_of "$d")"; then echo "$d: running (pid $(cat "$(pidfile_of "$d")"))$(started "$d" && echo ', started by this script')"; else echo "$d: not running"; fi
  done
  alive slurmctld "$(pidfile_of slurmctld)" && echo "node $NODE: $(node_state)"
  return 0
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
