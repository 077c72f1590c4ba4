#!/usr/bin/env bash
# A single-node Slurm on this machine (munge + slurmctld + slurmd; no
# systemd, no cgroups, no accounting daemon), for the Slurm tests and for
# trying `coordinator launch slurm` without a cluster. Needs root.
#
#   bash scripts/slurm-local.sh start    # install if missing, configure, start; idempotent
#   bash scripts/slurm-local.sh status   # sinfo and squeue
#   bash scripts/slurm-local.sh stop     # cancel jobs, stop the daemons by pid
#
# Debian's packages (slurmctld slurmd slurm-client munge, about 13 MB) with
# --no-install-recommends. Without accounting, use squeue and scontrol, not sacct.
# KillWait is 10 s: a drained worker must exit within it (its --stop-grace is 8).
set -euo pipefail
cmd="${1:-start}"
conf=/etc/slurm/slurm.conf
host="$(hostname -s)"

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
    fi
    # munge: Debian's postinst makes the key; make one if it is missing.
    if [ ! -s /etc/munge/munge.key ]; then mungekey --create; chown munge:munge /etc/munge/munge.key; fi
    install -d -o munge -g munge -m 0755 /run/munge
    # munged refuses to run as root with its log owned by munge: run it as munge.
    alive /run/munge/munged.pid || runuser -u munge -- /usr/sbin/munged
    mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
    if [ ! -s "$conf" ]; then
        # The node line as slurmd measures this machine; both addresses explicit
        # so nothing depends on the host name resolving.
        node="$(slurmd -C | head -1)"
        cat >"$conf" <<CONF
# Written by scripts/slurm-local.sh: a single-node test cluster.
ClusterName=lineargan-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=10
MinJobAge=300
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
$node NodeAddr=127.0.0.1
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    fi
    alive /run/slurmctld.pid || slurmctld
    alive /run/slurmd.pid || slurmd
    for _ in $(seq 1 120); do
        case "$(sinfo -h -n "$host" -o %T 2>/dev/null || true)" in
            idle|mixed|allocated) echo "slurm-local: node $host is up"; sinfo; return 0 ;;
        esac
        sleep 0.5
    done
    echo "slurm-local: node $host not up after 60 s" >&2
    sinfo -R >&2 || true
    tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
    return 1
}

stop() {
    # The daemons remove their pid files before they exit: read the pids first,
    # and stop by pid, never by name.
    pids=()
    for f in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
        [ -s "$f" ] && pids+=("$(cat "$f")")
    done
    if command -v scontrol >/dev/null && scontrol ping >/dev/null 2>&1; then
        scancel --user="$(id -un)" 2>/dev/null || true
        for _ in $(seq 1 40); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
        scontrol shutdown >/dev/null 2>&1 || true
    fi
    for p in "${pids[@]}"; do          # slurmd, slurmctld, then munged (Slurm needs it until the end)
        kill "$p" 2>/dev/null || continue
        for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || continue 2; sleep 0.25; done
        kill -9 "$p" 2>/dev/null || true
    done
    echo "slurm-local: stopped"
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    status) sinfo; squeue ;;
    *) echo "usage: $0 start|status|stop" >&2; exit 2 ;;
esac
