#!/usr/bin/env bash
# Runs the release `voxsam info FILE` as a child process on every file of the hostile corpus
# (Tests/VoxSAMIOTests/Fixtures/hostile, see MANIFEST.tsv), on ~1 MB gzip/zip bombs that inflate to
# 1 GiB (generated into a temporary folder), on a FIFO and /dev/zero (also as --model), and checks
# for each: it ends within the timeout, its exit code is < 128 (no crash or signal; 2 = refused
# input), corpus files that must be refused exit non-zero, and its peak RSS is <= MAX_RSS_MB
# (default 200; measured with /usr/bin/time -v). Exits non-zero on any failure.
#
#   scripts/hostile-corpus.sh [path/to/voxsam]   (default: .build/release/voxsam)
set -u
cd "$(dirname "$0")/.."
. scripts/env.sh
VOXSAM="${1:-}"
if [ -z "$VOXSAM" ]; then
  for c in .build/release/voxsam; do [ -x "$c" ] && { VOXSAM="$c"; break; }; done
fi
[ -x "${VOXSAM:-}" ] || { echo "hostile-corpus: build first (swift build -c release), or pass the voxsam binary" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "hostile-corpus: /usr/bin/time (GNU time) is needed" >&2; exit 1; }
MAX_RSS_MB="${MAX_RSS_MB:-200}"
TIMEOUT="${TIMEOUT:-30}"
CORPUS=Tests/VoxSAMIOTests/Fixtures/hostile
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

failures=0 runs=0 max_rss=0 max_file=""
# run LABEL MUST_FAIL(1/0) ARGS...: one child process, checked.
run() {
  local label="$1" must_fail="$2"; shift 2
  runs=$((runs + 1))
  timeout -s KILL "$TIMEOUT" /usr/bin/time -v -o "$TMP/time" "$VOXSAM" "$@" >"$TMP/out" 2>&1
  local rc=$?
  local rss_kb
  rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$TMP/time" 2>/dev/null)
  rss_kb=${rss_kb:-0}
  local status
  status=$(awk -F': ' '/Exit status/ {print $2}' "$TMP/time" 2>/dev/null)
  [ -n "$status" ] && [ "$rc" -lt 128 ] && rc=$status
  local rss_mb=$((rss_kb / 1024))
  [ "$rss_kb" -gt "$max_rss" ] && { max_rss=$rss_kb; max_file="$label"; }
  local problem=""
  if [ "$rc" -ge 124 ] || ! grep -q "Exit status" "$TMP/time" 2>/dev/null; then problem="killed, crashed or timed out (rc $rc)"
  elif [ "$must_fail" = 1 ] && [ "$rc" -eq 0 ]; then problem="was accepted (exit 0)"
  elif [ "$must_fail" = 0 ] && [ "$rc" -ne 0 ]; then problem="failed (exit $rc): $(head -c 300 "$TMP/out")"
  elif [ "$rss_mb" -gt "$MAX_RSS_MB" ]; then problem="peak RSS ${rss_mb} MB > ${MAX_RSS_MB} MB"
  fi
  if [ -n "$problem" ]; then
    failures=$((failures + 1))
    echo "FAIL $label: $problem"
  fi
  printf '%s\t%s\t%s\t%s\n' "$label" "$rc" "$rss_mb" "$(head -1 "$TMP/out" | cut -c1-200)" >>"$TMP/log"
}

# 1. The committed corpus.
while IFS=$'\t' read -r file format field expect; do
  case "$file" in '#'*|'') continue ;; esac
  [ "$expect" = SKIP ] && continue
  if [ "$expect" = OK ]; then run "$file" 0 info "$CORPUS/$file"; else run "$file" 1 info "$CORPUS/$file"; fi
done <"$CORPUS/MANIFEST.tsv"
corpus_runs=$runs

# 2. ~1 MB bombs inflating to 1 GiB (not committed: generated here).
python3 scripts/make-hostile-corpus.py --no-corpus --big-bombs "$TMP/bombs" >"$TMP/bombs.txt" || { echo "FAIL: cannot generate the bombs"; exit 1; }
for f in "$TMP"/bombs/*; do
  case "$(basename "$f")" in big_junk.npz) run "$(basename "$f")" 0 info "$f" ;; *) run "$(basename "$f")" 1 info "$f" ;; esac
done

# 3. Special files: must fail fast, never hang.
mkfifo "$TMP/pipe.nrrd"
run "FIFO input" 1 info "$TMP/pipe.nrrd"
run "/dev/zero input" 1 info /dev/zero
run "--model /dev/zero" 1 segment "$CORPUS/npz_junk_member_ok.npz" --model /dev/zero --box 0,0,0,2,2,2 -o "$TMP/out.nii.gz"
run "--model FIFO" 1 segment "$CORPUS/npz_junk_member_ok.npz" --model "$TMP/pipe.nrrd" --box 0,0,0,2,2,2 -o "$TMP/out.nii.gz"

echo "hostile-corpus: $runs runs ($corpus_runs corpus files, $(ls "$TMP/bombs" | wc -l) bombs of $(du -ch "$TMP"/bombs/* | tail -1 | cut -f1), 4 special files); max RSS $((max_rss / 1024)) MB ($max_file); $failures failures"
if [ "${VERBOSE:-0}" = 1 ]; then column -t -s $'\t' "$TMP/log"; fi
[ "$failures" -eq 0 ]
