#!/bin/bash
# Builds the small test batch used by the batch tests and scripts: 8 studies made from real data in
# ../shared/data and SampleData (DICOM series, a folder with two series, NIfTI, NRRD, CVPR24 npz, a
# corrupt NIfTI and a study without prompts) plus prompts.csv and the masks it refers to.
#   scripts/batch-testdata.sh DEST      → DEST/studies/<study>/…, DEST/prompts.csv, DEST/masks/…
# Exits 77 (skip) with a message when ../shared/data is absent.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${VOXSAM_SHARED:-$ROOT/../shared}
D=$SHARED/data
DEST=${1:?usage: scripts/batch-testdata.sh DEST}
SEG=$D/D/dcmqi/data/segmentations
for f in "$SEG/ct-3slice/01.dcm" "$SEG/24x38x3/image/IMG0001.dcm" "$D/A/pyradiomics/data/brain1_image.nrrd" \
         "$D/A/TotalSegmentator/tests/reference_files/example_mr_sm.nii.gz"; do
  if [ ! -f "$f" ]; then echo "skipped: $f is not available (../shared is absent)" >&2; exit 77; fi
done
rm -rf "$DEST"; mkdir -p "$DEST/studies" "$DEST/masks"
S=$DEST/studies
# 1. DICOM CT, 3 slices 512x512 (dcmqi), box from the liver label map
mkdir -p "$S/ct3slice"; cp "$SEG"/ct-3slice/0?.dcm "$S/ct3slice/"
cp "$SEG/liver_seg.nrrd" "$DEST/masks/ct3slice_liver.nrrd"
# 2. DICOM 24x38x3 (dcmqi), box from its label map
mkdir -p "$S/tiny24x38"; cp "$SEG"/24x38x3/image/IMG000?.dcm "$S/tiny24x38/"
cp "$SEG/24x38x3/nrrd/label.nrrd" "$DEST/masks/tiny24x38_label.nrrd"
# 3. two DICOM series in one study: the prompts pick one by SeriesInstanceUID
mkdir -p "$S/two_series/a" "$S/two_series/b"
cp "$SEG"/ct-3slice/0?.dcm "$S/two_series/a/"; cp "$SEG"/24x38x3/image/IMG000?.dcm "$S/two_series/b/"
# 4. CVPR24 npz with its own boxes (MR brain tumour, 3 slices)
mkdir -p "$S/mr_brain2"; cp "$ROOT/SampleData/reference/3DBox_MR_brain2/img.npz" "$S/mr_brain2/img.npz"
# 5. NIfTI CT (TotalSegmentator example), a voxel box (liver) and a millimetre box (spleen) over 4 slices
cp "$ROOT/SampleData/ct/example_ct_sm.nii.gz" "$S/ct_sm.nii.gz"
# 6. NRRD MR brain (pyradiomics) with its lesion label map
mkdir -p "$S/brain1_nrrd"; cp "$D/A/pyradiomics/data/brain1_image.nrrd" "$S/brain1_nrrd/"
cp "$D/A/pyradiomics/data/brain1_label.nrrd" "$DEST/masks/brain1_label.nrrd"
# 7. a corrupt study: a truncated .nii.gz
mkdir -p "$S/corrupt"; head -c 20000 "$D/A/TotalSegmentator/tests/reference_files/example_mr_sm.nii.gz" > "$S/corrupt/mr.nii.gz"
# 8. a study the prompts file does not mention
mkdir -p "$S/no_prompts"; cp "$D/A/TotalSegmentator/tests/reference_files/example_mr_sm.nii.gz" "$S/no_prompts/"
cat > "$DEST/prompts.csv" <<'CSV'
study,series,name,label,box,box_mm,from_mask,mask_label
ct3slice,,liver,1,,,masks/ct3slice_liver.nrrd,1
tiny24x38,,lesion,1,,,masks/tiny24x38_label.nrrd,
two_series,1.2.826.0.1.3680043.2.1125.1.9881642883347102869241902700569139,lesion,1,,,masks/tiny24x38_label.nrrd,
mr_brain2,,,,,,,
ct_sm,,liver,1,"44,25,12,105,83,15",,,
ct_sm,,spleen,2,,"147.956 -77.319 133.302 75.956 -173.319 139.302",,
brain1_nrrd,,tumour,1,,,masks/brain1_label.nrrd,1
corrupt,,liver,1,"1,1,1,5,5,2",,,
CSV
echo "test batch: $(ls "$S" | wc -l) studies in $S, prompts $DEST/prompts.csv" >&2
