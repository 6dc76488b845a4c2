#!/bin/bash
# Starts a throwaway single-node SLURM (slurmctld + slurmd + munge, no systemd; see
# ../shared/notes/slurm.md) and runs the documented array job (scripts/slurm-batch-array.sh) over
# the test batch (scripts/batch-testdata.sh) with 2 array tasks, then checks the merged manifest.
# Usage: scripts/slurm-batch-test.sh [WORK_DIR]   (env: VOXSAM=path/to/voxsam, TASKS=2)
# Installs slurmctld slurmd slurm-client munge with apt-get when missing (root). Exits 77 (skip)
# with the reason when SLURM cannot be installed or started here, or data/model are absent.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/env.sh"
VOXSAM=${VOXSAM:-$ROOT/.build/release/voxsam}
WORK=${1:-$(mktemp -d /tmp/voxsam-slurm.XXXXXX)}
TASKS=${TASKS:-2}
say() { echo "slurm-batch-test: $*" >&2; }
skip() { echo "skipped: $*" >&2; exit 77; }
fail() { echo "slurm-batch-test: FAIL: $*" >&2; exit 1; }
[ -x "$VOXSAM" ] || fail "no voxsam executable at $VOXSAM"
"$VOXSAM" model path >/dev/null 2>&1 || skip "the LiteMedSAM model is not installed (voxsam model fetch)"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  [ "$(id -u)" -eq 0 ] || skip "SLURM is not installed and this is not root (apt-get install slurmctld slurmd slurm-client munge)"
  say "installing slurmctld slurmd slurm-client munge"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge) >"$WORK.apt.log" 2>&1 \
    || skip "apt-get could not install SLURM (see $WORK.apt.log)"
fi
"$ROOT/scripts/batch-testdata.sh" "$WORK/data"; rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || fail "building the test batch failed"

T=$WORK/slurm; mkdir -p "$T/state" "$T/spool" "$T/log" "$T/munge"; chmod 755 "$T" "$T/munge"
HOST=$(hostname -s)
PIDS=()
cleanup() {
  if [ -n "${SLURM_CONF:-}" ] && command -v scancel >/dev/null; then scancel --quiet --full -u root 2>/dev/null || true; sleep 1; fi
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT

# munge with its own key and socket.
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 status=none; chmod 600 "$T/munge.key"
SOCK=$T/munge/munge.socket
munged -F --force --key-file="$T/munge.key" --socket="$SOCK" --pid-file="$T/munge.pid" \
  --log-file="$T/log/munged.log" --seed-file="$T/munge.seed" >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || skip "munged did not start (see $T/log/munged.log)"

NODE=$(slurmd -C 2>/dev/null | head -1)
[ -n "$NODE" ] || skip "slurmd -C gave no node description"
PORT=$((20000 + RANDOM % 20000))
export SLURM_CONF=$T/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=voxsam
SlurmctldHost=$HOST
SlurmUser=root
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
$NODE State=UNKNOWN
PartitionName=batch Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -i -f "$SLURM_CONF" >"$T/log/slurmctld.out" 2>&1 & PIDS+=($!)
slurmd -D -f "$SLURM_CONF" -N "$HOST" >"$T/log/slurmd.out" 2>&1 & PIDS+=($!)
ready=
for _ in $(seq 60); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1)
  case "$state" in idle*|mix*|alloc*) ready=1; break;; esac
  sleep 0.5
done
[ -n "$ready" ] || skip "the SLURM node did not become idle (state '${state:-none}'; logs in $T/log)"
say "SLURM up: $(sinfo -h -o '%P %D %c %t' | head -1)"

OUT=$WORK/out
start=$(date +%s)
JOB=$(STUDIES=$WORK/data/studies PROMPTS=$WORK/data/prompts.csv OUT=$OUT VOXSAM=$VOXSAM \
  sbatch --parsable --array=0-$((TASKS - 1)) --export=ALL --chdir="$WORK" "$ROOT/scripts/slurm-batch-array.sh" --quiet) \
  || fail "sbatch failed"
say "submitted array job $JOB with $TASKS tasks"
for _ in $(seq 600); do
  [ -z "$(squeue -h -j "$JOB" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$JOB" 2>/dev/null)" ] || fail "the array job did not finish in 10 minutes"
say "array job finished in $(( $(date +%s) - start )) s; logs: $(ls "$WORK"/voxsam-batch-*.log | wc -l)"
"$VOXSAM" batch --merge-manifests "$OUT" --quiet; rc=$?
[ $rc -eq 5 ] || fail "--merge-manifests exit $rc, expected 5 (the corrupt study)"
python3 - "$OUT" "$TASKS" <<'PY' || { cat "$WORK"/voxsam-batch-*.log >&2; fail "manifest check failed"; }
import json, os, sys
out, tasks = sys.argv[1], int(sys.argv[2])
recs = {r["study"]: r for r in map(json.loads, open(os.path.join(out, "manifest.jsonl")))}
want = {"brain1_nrrd": "done", "corrupt": "failed", "ct3slice": "done", "ct_sm": "done", "mr_brain2": "done",
        "no_prompts": "skipped", "tiny24x38": "done", "two_series": "done"}
assert {k: v["status"] for k, v in recs.items()} == want, {k: v["status"] for k, v in recs.items()}
shards = sorted({r["shard"] for r in recs.values()})
assert shards == [f"{i}/{tasks}" for i in range(tasks)], shards
files = sorted(os.listdir(os.path.join(out, "manifests")))
assert [f for f in files if f.endswith(".jsonl")] == [f"shard-{i}-of-{tasks}.jsonl" for i in range(tasks)], files
print("slurm-batch-test: manifest ok: 8 studies from shards", ", ".join(shards), file=sys.stderr)
PY
say "PASS ($WORK)"
