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
# The same label map for 3D Slicer (named, coloured, SNOMED-coded segments).
$voxsam export out/example_ct_sm_seg.nii.gz --reference SampleData/ct/example_ct_sm.nii.gz \
  --names 1=liver,2=spleen --output out/example_ct_sm.seg.nrrd
# A DICOM series straight to DICOM SEG (for PACS/OHIF) and RTSTRUCT (for planning systems).
$voxsam segment SampleData/dicom-ct3 --box 79,145,0,350,366,2 --name liver --label 1 \
  --output out/ct3_liver_seg.dcm --qa out/ct3_liver_qa.png
$voxsam segment SampleData/dicom-ct3 --box 79,145,0,350,366,2 --name liver --label 1 \
  --output-format rtstruct --output out/ct3_liver_rtstruct.dcm
echo "demo: outputs in out/ (label maps, Slicer .seg.nrrd, DICOM SEG, RTSTRUCT, confidence JSON, QA pictures)"
