#!/bin/bash
# SLURM array job for `voxsam batch`: each array task runs one shard (the shard comes from
# SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT); all tasks write into one output folder; the last
# one to finish merges the shard manifests (run `voxsam batch --merge-manifests OUT` to be sure).
#
#   STUDIES=/data/studies PROMPTS=/data/prompts.csv OUT=/data/out \
#     sbatch --array=0-3 --export=ALL scripts/slurm-batch-array.sh [extra voxsam batch options…]
#
# Environment: STUDIES, PROMPTS, OUT (required); VOXSAM (default: voxsam on PATH); PROTOCOL (optional).
#SBATCH --job-name=voxsam-batch
#SBATCH --cpus-per-task=1
#SBATCH --output=voxsam-batch-%A_%a.log
set -euo pipefail
: "${STUDIES:?set STUDIES}" "${PROMPTS:?set PROMPTS}" "${OUT:?set OUT}"
VOXSAM=${VOXSAM:-voxsam}
export OPENBLAS_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
args=("$STUDIES" --prompts "$PROMPTS" --output "$OUT" --resume)
[ -n "${PROTOCOL:-}" ] && args+=(--protocol "$PROTOCOL")
echo "task ${SLURM_ARRAY_TASK_ID:-?} of ${SLURM_ARRAY_TASK_COUNT:-?} on $(hostname)"
set +e
"$VOXSAM" batch "${args[@]}" "$@"
rc=$?
set -e
# Exit 5 = some studies of this shard failed (recorded in the manifest): the task itself worked.
[ $rc -eq 5 ] && exit 0
exit $rc
