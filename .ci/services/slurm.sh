# Sourced by .ci/run (bash, set -euo pipefail): a private single-node Slurm for the Slurm tests.
# Installs slurm-wlm and munge when missing, writes slurm.conf (this node's real CPUs and memory,
# random loopback ports, temporary state and spool) in a temporary directory, starts munged,
# slurmctld and slurmd on it, waits until sinfo shows the node idle, then exports SLURM_CONF and
# TUTOR_SLURM_SHARED_DIR (what the tests read) and leaves stop commands (by pid) in ci_cleanup.
# Standalone: `source .ci/services/slurm.sh` in a root bash; `eval "${ci_cleanup[@]}"` stops it.

_slurm_setup() {
  local need=() sudo=""
  command -v slurmctld >/dev/null 2>&1 || need+=(slurm-wlm)
  command -v munged >/dev/null 2>&1 || need+=(munge)
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ ${#need[@]} -gt 0 ]; then
    echo "ci: slurm: installing ${need[*]} with apt"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  local dir node cpus mem ports
  dir="$(mktemp -d /tmp/tutor-slurm-XXXXXX)"
  chmod 755 "$dir"
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge" "$dir/shared"
  chmod 1777 "$dir/shared"
  # A key of this instance's own: nothing on the host's munge is touched or needed.
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 700 "$dir/munge"; chmod 400 "$dir/munge/munge.key"
  munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed"
  ci_cleanup+=("kill \$(cat '$dir/munge/munged.pid') 2>/dev/null")

  node="$(hostname -s)"
  cpus="$(nproc)"
  mem="$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')"
  ports="$(python3 -c 'import socket
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' | tr '\n' ' ')"
  read -r ctld_port slurmd_port <<<"$ports"
  cat >"$dir/slurm.conf" <<EOF
ClusterName=tutorci
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
KillWait=5
MinJobAge=600
SchedulerParameters=sched_interval=2
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE OverSubscribe=FORCE:4 State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF" -N "$node"
  local i
  for i in $(seq 1 60); do
    [ -s "$dir/slurmctld.pid" ] && [ -s "$dir/slurmd.pid" ] && break
    sleep 0.5
  done
  ci_cleanup+=("kill \$(cat '$dir/slurmd.pid') 2>/dev/null" "kill \$(cat '$dir/slurmctld.pid') 2>/dev/null"
               "sleep 1; rm -rf '$dir'")
  for i in $(seq 1 90); do
    if sinfo -h -N -o '%T' 2>/dev/null | grep -qx idle; then
      break
    fi
    sleep 1
  done
  if ! sinfo -h -N -o '%T' 2>/dev/null | grep -qx idle; then
    echo "ci: slurm: the node did not become idle within 90 s; logs in $dir/log" >&2
    tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
    return 1
  fi
  export TUTOR_SLURM_SHARED_DIR="$dir/shared"
  printf 'export SLURM_CONF=%q TUTOR_SLURM_SHARED_DIR=%q\n' "$SLURM_CONF" "$TUTOR_SLURM_SHARED_DIR" >"$dir/env.sh"
  export TUTOR_CI_SERVICES="${TUTOR_CI_SERVICES:+$TUTOR_CI_SERVICES,}slurm"
  echo "ci: slurm: node $node idle ($cpus CPUs, $mem MiB), SLURM_CONF=$SLURM_CONF"
}
_slurm_setup
unset -f _slurm_setup
