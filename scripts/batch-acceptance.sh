#!/bin/bash
# Acceptance checks of `voxsam batch` on the real-data test batch (scripts/batch-testdata.sh):
#  1. an uninterrupted run: 6 studies done, the corrupt one failed with its error, one skipped (exit 5);
#  2. two shards (--shard 0/2 and 1/2) run concurrently into one folder = the uninterrupted run;
#  3. the batch SIGKILLed at random points at least KILLS times (default 5), resumed each time with
#     --resume: the final outputs are byte-identical to the uninterrupted run, no partial or orphaned
#     files remain and the manifest is complete.
# Usage: scripts/batch-acceptance.sh [WORK_DIR]   (env: VOXSAM=path/to/voxsam, KILLS=5, SEED=…)
# Exits 77 (skip) when ../shared/data or the model is absent.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/env.sh"
VOXSAM=${VOXSAM:-$ROOT/.build/release/voxsam}
WORK=${1:-$(mktemp -d /tmp/voxsam-batch-acceptance.XXXXXX)}
KILLS=${KILLS:-5}
SEED=${SEED:-$$}
RANDOM=$SEED
fail() { echo "batch-acceptance: FAIL: $*" >&2; exit 1; }
say() { echo "batch-acceptance: $*" >&2; }

[ -x "$VOXSAM" ] || fail "no voxsam executable at $VOXSAM (build with swift build -c release, or set VOXSAM)"
if ! "$VOXSAM" model path >/dev/null 2>&1; then echo "skipped: the LiteMedSAM model is not installed (voxsam model fetch)" >&2; exit 77; fi
"$ROOT/scripts/batch-testdata.sh" "$WORK/data"; rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || fail "building the test batch failed"
STUDIES=$WORK/data/studies PROMPTS=$WORK/data/prompts.csv

batch() { "$VOXSAM" batch "$STUDIES" --prompts "$PROMPTS" "$@"; }

# Outputs of a batch folder as "sha256  path" lines (study folders only), and the manifest without
# the fields that legitimately differ between runs (times, pid, host, shard).
digest() {
  (cd "$1" && find . -path ./manifests -prune -o -type f ! -name manifest.jsonl ! -name summary.csv -print | sort | xargs sha256sum)
}
stripped_manifest() {
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    for k in ("timings", "shard", "host", "pid", "started_at", "finished_at"):
        r.pop(k, None)
    print(json.dumps(r, sort_keys=True))' "$1/manifest.jsonl"
}
check_clean() {
  local out=$1
  [ ! -e "$out/.staging" ] || { ls -la "$out/.staging" >&2; fail "$out/.staging left behind"; }
  local tmp; tmp=$(find "$out" -name '*.voxsam-tmp-*' -o -name '*.old' | head -5)
  [ -z "$tmp" ] || fail "temporary files left behind: $tmp"
  for d in "$out"/*/; do
    d=${d%/}; n=$(basename "$d"); [ "$n" = manifests ] && continue
    grep -q "\"study\":\"$n\",\"version\"\|\"study\":\"$n\"" "$out/manifest.jsonl" || fail "orphaned output folder $d (no manifest record)"
  done
  local count; count=$(wc -l < "$out/manifest.jsonl")
  [ "$count" -eq 8 ] || fail "$out/manifest.jsonl has $count records, expected 8"
}

# 1. Uninterrupted run.
REF=$WORK/ref
start=$(date +%s.%N)
batch --output "$REF" --quiet; rc=$?
ref_secs=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
[ $rc -eq 5 ] || fail "uninterrupted run: exit $rc, expected 5 (one study fails)"
python3 - "$REF/manifest.jsonl" <<'PY' || fail "uninterrupted run: unexpected statuses"
import json, sys
recs = {r["study"]: r for r in map(json.loads, open(sys.argv[1]))}
want = {"brain1_nrrd": "done", "corrupt": "failed", "ct3slice": "done", "ct_sm": "done", "mr_brain2": "done",
        "no_prompts": "skipped", "tiny24x38": "done", "two_series": "done"}
got = {k: v["status"] for k, v in recs.items()}
assert got == want, got
assert "corrupt/mr.nii.gz" in recs["corrupt"]["error"], recs["corrupt"]["error"]
assert all(r["objects"] and r["outputs"] for r in recs.values() if r["status"] == "done")
print("statuses ok:", ", ".join(f"{k} {v}" for k, v in sorted(got.items())))
PY
check_clean "$REF"
digest "$REF" > "$WORK/ref.digest"; stripped_manifest "$REF" > "$WORK/ref.manifest"
say "uninterrupted run: $ref_secs s, $(wc -l < "$WORK/ref.digest") output files"

# 2. Two concurrent shards into one folder.
SH=$WORK/shards
batch --output "$SH" --shard 0/2 --quiet & p0=$!
batch --output "$SH" --shard 1/2 --quiet & p1=$!
wait $p0; r0=$?; wait $p1; r1=$?
say "shards: exit $r0 and $r1 (the shard holding the corrupt study exits 5)"
[ $((r0 == 5 || r1 == 5)) -eq 1 ] && [ $((r0 == 0 || r1 == 0)) -eq 1 ] || fail "shard exit codes $r0, $r1"
"$VOXSAM" batch --merge-manifests "$SH" --quiet; [ $? -eq 5 ] || fail "--merge-manifests should exit 5 (one failed study)"
check_clean "$SH"
digest "$SH" | diff - "$WORK/ref.digest" >&2 || fail "two shards differ from the unsharded run"
stripped_manifest "$SH" | diff - "$WORK/ref.manifest" >&2 || fail "the merged shard manifests differ from the unsharded run"
ls "$SH/manifests" | grep -q 'shard-0-of-2.jsonl' && ls "$SH/manifests" | grep -q 'shard-1-of-2.jsonl' || fail "per-shard manifests missing"
say "two concurrent shards: outputs and manifest identical to the unsharded run"

# 3. SIGKILL at random points, resume each time.
KO=$WORK/killed
# At least KILLS kills, and at least 2 of them after some studies were already recorded as done
# (so that resuming has finished studies to skip and an interrupted one to redo).
kills=0; runs=0; midway=0
while :; do
  runs=$((runs + 1))
  [ $runs -le 40 ] || fail "no $KILLS kills with 2 midway in 40 runs"
  # Started directly (not through a shell function) so that $! is voxsam itself.
  "$VOXSAM" batch "$STUDIES" --prompts "$PROMPTS" --output "$KO" --resume --quiet 2>/dev/null & pid=$!
  if [ $kills -lt "$KILLS" ] || [ $midway -lt 2 ]; then
    # 0.3 … 15 s (an uninterrupted run takes ~20–30 s): model load, reading, inference, writing,
    # committing and appending to the manifest all get hit across the runs.
    delay=$(python3 -c "import random; random.seed($SEED * 1000 + $runs); print(round(random.uniform(0.3, 15), 2))")
    sleep "$delay"
    if kill -0 $pid 2>/dev/null; then
      kill -KILL $pid; wait $pid 2>/dev/null
      kills=$((kills + 1))
      left=$(find "$KO" -name '*.voxsam-tmp-*' 2>/dev/null | wc -l); staged=$(ls "$KO/.staging" 2>/dev/null | wc -l)
      done_so_far=$(cat "$KO"/manifests/*.jsonl 2>/dev/null | grep -c '"status":"done"')
      [ "$done_so_far" -gt 0 ] && midway=$((midway + 1))
      say "kill $kills after $delay s (run $runs): $done_so_far done records so far; $staged staged folders and $left temporary files left for the next run to clean up"
      continue
    fi
  fi
  wait $pid; rc=$?
  [ $rc -eq 5 ] || fail "resumed run $runs ended with exit $rc, expected 5"
  [ $kills -ge "$KILLS" ] && [ $midway -ge 2 ] && break
  # Finished before enough kills: check this folder too, then start over from scratch, keep counting.
  check_clean "$KO"
  digest "$KO" | diff - "$WORK/ref.digest" >&2 || fail "outputs after $kills kills (run $runs) differ from the uninterrupted run"
  stripped_manifest "$KO" | diff - "$WORK/ref.manifest" >&2 || fail "manifest after $kills kills (run $runs) differs from the uninterrupted run"
  say "run $runs finished before enough kills ($kills, $midway midway): outputs identical to the uninterrupted run; starting again with a fresh output folder"
  rm -rf "$KO"
done
check_clean "$KO"
digest "$KO" | diff - "$WORK/ref.digest" >&2 || fail "outputs after $kills kills differ from the uninterrupted run"
stripped_manifest "$KO" | diff - "$WORK/ref.manifest" >&2 || fail "manifest after $kills kills differs from the uninterrupted run"
say "killed $kills times, $midway of them midway (seed $SEED, $runs runs): outputs byte-identical to the uninterrupted run, no leftovers, manifest complete"

# 4. A changed input is redone, an unchanged one is not (the NIfTI recompressed: other bytes, same image).
gzip -dc "$STUDIES/ct_sm.nii.gz" | gzip -1 > "$WORK/ct_sm.nii.gz" && mv "$WORK/ct_sm.nii.gz" "$STUDIES/ct_sm.nii.gz"
out=$(batch --output "$KO" --resume 2>&1); rc=$?
echo "$out" | grep -q 'ct_sm: done' || fail "changed input was not redone: $out"
[ "$(echo "$out" | grep -c ': up to date$')" -eq 5 ] || fail "expected 5 studies up to date: $out"
cmp -s "$KO/ct_sm/labels.nii.gz" "$REF/ct_sm/labels.nii.gz" || fail "the recompressed NIfTI gave another label map"
say "resume after changing one input file: that study redone (same label map), 5 up to date"
say "PASS ($WORK)"
