#!/usr/bin/env bash
# The main job end to end on a fresh machine: system packages, build, model, then VoxSAM on the
# sample CT in SampleData/ (outputs in out/).
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
# Liver and spleen: 3D boxes in voxel indices x0,y0,z0,x1,y1,z1 (see README, "Boxes").
$voxsam segment SampleData/ct/example_ct_sm.nii.gz \
  --box 44,25,0,105,83,29 --name liver --label 1 \
  --box 10,22,0,34,54,29 --name spleen --label 2 \
  --output out/example_ct_sm_seg.nii.gz --confidence out/example_ct_sm_confidence.json --qa out/example_ct_sm_qa.png
echo "demo: outputs in out/ (label map, confidence JSON, QA picture)"
