#!/usr/bin/env bash
# The main job end to end on a fresh machine: system packages, build, model, then VoxSAM on the
# sample data in SampleData/ (outputs in out/).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
. scripts/env.sh
swift build -c release --product voxsam
voxsam=.build/release/voxsam
mkdir -p out
$voxsam model fetch
$voxsam info SampleData/ct/example_ct_sm.nii.gz
$voxsam convert SampleData/ct/example_ct_sm.nii.gz out/example_ct_sm.nrrd
$voxsam info out/example_ct_sm.nrrd
