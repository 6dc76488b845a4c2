#!/usr/bin/env bash
# Fuzzes VoxSAM's readers of untrusted input with libFuzzer + AddressSanitizer (LeakSanitizer on).
#
#   scripts/fuzz.sh TARGET SECONDS     build (incrementally) and fuzz one target for SECONDS
#   scripts/fuzz.sh all SECONDS        every target, SECONDS each, one after another
#   scripts/fuzz.sh list               the targets
#
# Targets live in one executable of the separate package Fuzz/ (built into .build-fuzz, never part
# of the root package's build); VOXSAM_FUZZ_TARGET selects the harness. Each run first replays
# Fuzz/regressions/TARGET (inputs that once crashed), then fuzzes from the seeds in Fuzz/corpus/TARGET
# plus the inputs found by earlier runs (.build-fuzz/corpus/TARGET, kept between runs on a machine).
# Exits non-zero when any target crashes, leaks, times out (> 10 s per input) or goes past 2 GB RSS;
# the failing input is saved under .build-fuzz/artifacts/TARGET/ and the command to replay it printed.
# Set FUZZ_NO_BUILD=1 to skip the build step; FUZZ_RUNS=N stops a target after N executions (or SECONDS,
# whichever comes first). FUZZ_JOBS is not supported on purpose (2 cores, shared).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/env.sh

targets=(nifti nrrd npy npz dicom checkpoint pickle prompts-json prompts-csv segment-prompts refine-report protocol)
max_len() {
  case "$1" in
    nifti|npz|dicom) echo 65536 ;;
    nrrd|checkpoint|protocol|refine-report) echo 16384 ;;
    *) echo 4096 ;;
  esac
}
# DCMTK allocates an element's declared length (up to 4 GiB) while reading a deflated data set, before
# it finds the stream too short: virtual memory only (peak RSS 79 MB on the 80 kB input that found it,
# see Fuzz/README.md), so the dicom target's single-malloc limit is above 4 GiB; -rss_limit_mb still holds.
malloc_limit() { case "$1" in dicom) echo 4200 ;; *) echo 2048 ;; esac; }
dict_for() { [ -f "Fuzz/dict/$1.dict" ] && echo "-dict=Fuzz/dict/$1.dict"; }

usage() { echo "usage: scripts/fuzz.sh TARGET|all SECONDS   (targets: ${targets[*]})" >&2; exit 2; }
[ "${1:-}" = "list" ] && { printf '%s\n' "${targets[@]}"; exit 0; }
[ $# -eq 2 ] || usage
what=$1 seconds=$2
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage
if [ "$what" = all ]; then run=("${targets[@]}")
elif printf '%s\n' "${targets[@]}" | grep -qx -- "$what"; then run=("$what")
else usage
fi

# swiftc keeps only the LAST `-sanitize=` it is given (`-sanitize=fuzzer -sanitize=address` = ASan without
# coverage, the reverse = coverage without ASan), and SwiftPM passes its `--sanitize` list in no fixed
# order (a Set): so the Swift code also gets one combined `-Xswiftc -sanitize=address,fuzzer`, which comes
# last. `--sanitize` stays for the C/C++ targets and the link. The check below refuses a binary whose
# Swift code lacks either instrumentation (a fuzzer without coverage feedback mutates blindly).
scratch=$root/.build-fuzz
bin=$scratch/release/voxsam-fuzz
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  start=$(date +%s)
  if ! swift build -c release --package-path Fuzz --scratch-path "$scratch" \
        --sanitize=address --sanitize=fuzzer -Xswiftc -sanitize=address,fuzzer \
        --product voxsam-fuzz >"$scratch.build.log" 2>&1; then
    tail -40 "$scratch.build.log" >&2
    echo "fuzz: the sanitized build failed (log: $scratch.build.log)" >&2
    exit 1
  fi
  echo "fuzz: built voxsam-fuzz in $(( $(date +%s) - start )) s"
fi
[ -x "$bin" ] || { echo "fuzz: $bin is missing" >&2; exit 1; }
for module in VoxSAMIO VoxSAMCheckpoint; do
  objects=$(find "$scratch/release/$module.build" -name '*.o' | head -20)
  [ -n "$objects" ] || { echo "fuzz: no object files of $module in $scratch" >&2; exit 1; }
  # shellcheck disable=SC2086
  syms=$(nm $objects 2>/dev/null)
  grep -q '__sanitizer_cov' <<<"$syms" && grep -q '__asan_' <<<"$syms" || {
    echo "fuzz: $module was built without coverage or ASan instrumentation (see the comment above); rm -rf $scratch and retry" >&2
    exit 1
  }
done

# LeakSanitizer: Fuzz/lsan.supp lists the one-time runtime allocations it must not report.
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:handle_abort=1:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

failed=()
printf '%-16s %12s %8s %8s  %s\n' target executions seconds exit result > "$scratch.summary"
for t in "${run[@]}"; do
  export VOXSAM_FUZZ_TARGET=$t
  log=$scratch/logs/$t.log
  mkdir -p "$scratch/corpus/$t" "$scratch/artifacts/$t" "$scratch/logs"
  # The harness writes each input to a file in its own folder below TMPDIR; when a crash kills the
  # process before libFuzzer can save the input (stack smashing, nested ASan reports) the newest of
  # those files is the input, and it is copied to the artifacts.
  rm -rf "$scratch/tmp/$t"; mkdir -p "$scratch/tmp/$t"
  export TMPDIR="$scratch/tmp/$t"
  : > "$log"
  status=0 result=ok
  # 1. Regressions: every input that once failed must now pass.
  if compgen -G "Fuzz/regressions/$t/*" >/dev/null; then
    "$bin" -timeout=10 -rss_limit_mb=2048 -runs=1 Fuzz/regressions/$t/* >>"$log" 2>&1 || { status=$?; result="regression input fails"; }
  fi
  # 2. Fuzzing.
  start=$(date +%s)
  if [ $status -eq 0 ]; then
    "$bin" "$scratch/corpus/$t" "Fuzz/corpus/$t" -max_total_time="$seconds" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -timeout=10 -rss_limit_mb=2048 \
      -malloc_limit_mb="$(malloc_limit "$t")" -max_len="$(max_len "$t")" $(dict_for "$t") -artifact_prefix="$scratch/artifacts/$t/" \
      -print_final_stats=1 -close_fd_mask=1 >>"$log" 2>&1
    status=$?
    [ $status -eq 0 ] || result="FAILED (see $log)"
  fi
  took=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  printf '%-16s %12s %8s %8s  %s\n' "$t" "${execs:-?}" "$took" "$status" "$result" | tee -a "$scratch.summary"
  if [ $status -ne 0 ]; then
    failed+=("$t")
    grep -E '^==[0-9]+==ERROR|^SUMMARY|Fatal error|Test unit written|deadly signal|ERROR: libFuzzer' "$log" | head -8 >&2
    last=$(ls -t "$scratch"/tmp/"$t"/voxsam-fuzz.*/* 2>/dev/null | head -1)
    [ -n "$last" ] && cp "$last" "$scratch/artifacts/$t/last-input-$(date +%s)-$(basename "$last")"
    artifact=$(ls -t "$scratch/artifacts/$t/" 2>/dev/null | grep -Ev '^last-input-' | head -1)
    [ -n "$artifact" ] || artifact=$(ls -t "$scratch/artifacts/$t/" 2>/dev/null | head -1)
    [ -n "$artifact" ] && echo "fuzz: replay with: VOXSAM_FUZZ_TARGET=$t $bin $scratch/artifacts/$t/$artifact" >&2
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} of ${#run[@]} targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#run[@]} of ${#run[@]} targets ran ${seconds} s each without a crash, leak, timeout or OOM"
