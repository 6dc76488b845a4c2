#!/usr/bin/env python3
"""Checks VoxSAM's label-map exports with independent readers (SimpleITK, nibabel, pynrrd, slicerio).

Usage:
  check_volume_export.py --source SOURCE --expected EXPECTED [--labels X.labels.json] [--tolerance MM] WRITTEN...
  check_volume_export.py --cases CASES.json [--tolerance MM]
  check_volume_export.py --check-modules

SOURCE    the image the label map belongs to (.nii/.nii.gz/.nrrd/DICOM folder, anything SimpleITK reads).
EXPECTED  the expected label values: a .npz holding `segs` (or its only array) shaped (D, H, W) = [k][j][i],
          or any label image SimpleITK reads.
WRITTEN   files to check, by extension: .nii/.nii.gz, .nrrd, .seg.nrrd, .labels.json, .itksnap.txt.
--cases   a JSON list of {"source": ..., "expected": ..., "written": [...], "labels": ... (optional)}:
          many checks in one run (one Python start for, e.g., all 48 axis orientations).
--labels  the VoxSAM label description (`<stem>.labels.json`) holding the expected segment names, label
          values and colours for .seg.nrrd and ITK-SNAP files (when absent, only geometry and voxels are checked).

Every image is checked for: geometry identical to SOURCE (4x4 index->LPS affine, i.e. origin, spacing and
direction, within --tolerance mm, default 1e-4) and voxels equal to EXPECTED, with every reader that
understands the format. A NIfTI SOURCE's geometry is taken from nibabel (sform, then qform, as VoxSAM
reads it); other sources from SimpleITK.

Exit codes: 0 all checks passed; 1 a check failed (each failure printed as `FAIL: file: what`);
2 bad arguments or unreadable files; 3 a required Python module is missing (`MISSING: ...`).
"""
import argparse
import json
import os
import re
import sys

MODULES = [("numpy", "numpy"), ("SimpleITK", "SimpleITK"), ("nibabel", "nibabel"), ("nrrd", "pynrrd"), ("slicerio", "slicerio")]


def check_modules():
    missing = []
    for module, package in MODULES:
        try:
            __import__(module)
        except Exception as e:  # noqa: BLE001 - any import failure counts as missing
            missing.append(f"{module} (pip install {package}): {e}")
    return missing


class Checker:
    def __init__(self, tolerance):
        self.tolerance = tolerance
        self.failures = []
        self.passed = []

    def fail(self, path, what):
        self.failures.append(f"FAIL: {path}: {what}")

    def ok(self, path, what):
        self.passed.append(f"ok: {path}: {what}")

    def compare_affine(self, path, reader, affine, reference):
        import numpy as np
        diff = float(np.max(np.abs(np.asarray(affine, dtype=float)[:3, :4] - reference[:3, :4])))
        if diff > self.tolerance:
            self.fail(path, f"{reader} geometry differs from the source by {diff:.3g} mm (tolerance {self.tolerance}):\n"
                            f"  written LPS affine {np.array2string(np.asarray(affine)[:3], precision=6)}\n"
                            f"  source  LPS affine {np.array2string(reference[:3], precision=6)}")
        else:
            self.ok(path, f"{reader} geometry within {diff:.2g} mm")

    def compare_voxels(self, path, reader, kji, expected):
        import numpy as np
        kji = np.asarray(kji)
        if kji.shape != expected.shape:
            self.fail(path, f"{reader} shape (D,H,W) {kji.shape} != expected {expected.shape}")
            return
        if np.issubdtype(kji.dtype, np.floating) and not np.all(kji == np.round(kji)):
            self.fail(path, f"{reader} voxels are not integers")
            return
        wrong = int(np.count_nonzero(kji.astype(np.int64) != expected.astype(np.int64)))
        if wrong:
            idx = np.argwhere(kji.astype(np.int64) != expected.astype(np.int64))[0]
            k, j, i = (int(v) for v in idx)
            self.fail(path, f"{reader} voxels differ from the expected label map at {wrong} voxels, first at (i,j,k)=({i},{j},{k}): "
                            f"{kji[k, j, i]} != {expected[k, j, i]}")
        else:
            self.ok(path, f"{reader} voxels equal ({int(np.count_nonzero(expected))} labelled)")


def sitk_affine(img):
    import numpy as np
    d = np.array(img.GetDirection(), dtype=float).reshape(3, 3)
    a = np.eye(4)
    a[:3, :3] = d @ np.diag(img.GetSpacing())
    a[:3, 3] = img.GetOrigin()
    return a



def ras_to_lps(affine):
    import numpy as np
    return np.diag([-1.0, -1.0, 1.0, 1.0]) @ np.asarray(affine, dtype=float)


def is_nifti(path):
    p = path.lower()
    return p.endswith(".nii") or p.endswith(".nii.gz") or p.endswith(".hdr")


def source_affine(path):
    if is_nifti(path):
        import nibabel as nib
        return ras_to_lps(nib.load(path).affine), "nibabel"
    import SimpleITK as sitk
    if os.path.isdir(path):
        reader = sitk.ImageSeriesReader()
        files = reader.GetGDCMSeriesFileNames(path)
        reader.SetFileNames(files)
        return sitk_affine(reader.Execute()), "SimpleITK (DICOM series)"
    return sitk_affine(sitk.ReadImage(path)), "SimpleITK"


def expected_labels(path):
    import numpy as np
    if path.lower().endswith(".npz"):
        with np.load(path) as z:
            name = "segs" if "segs" in z.files else z.files[0]
            return np.asarray(z[name])
    import SimpleITK as sitk
    return sitk.GetArrayFromImage(sitk.ReadImage(path))


def check_sitk(c, path, reference, expected):
    import SimpleITK as sitk
    img = sitk.ReadImage(path)
    c.compare_affine(path, "SimpleITK", sitk_affine(img), reference)
    c.compare_voxels(path, "SimpleITK", sitk.GetArrayFromImage(img), expected)


def check_nifti(c, path, reference, expected):
    import nibabel as nib
    import numpy as np
    img = nib.load(path)
    hdr = img.header
    s_code, q_code = int(hdr["sform_code"]), int(hdr["qform_code"])
    if s_code <= 0 or q_code <= 0:
        c.fail(path, f"sform_code {s_code} / qform_code {q_code}: both must be set so every reader agrees")
    c.compare_affine(path, "nibabel (sform)", ras_to_lps(img.get_sform()), reference)
    c.compare_affine(path, "nibabel (qform)", ras_to_lps(img.get_qform()), reference)
    data = np.asanyarray(img.dataobj)
    if data.ndim != 3:
        c.fail(path, f"nibabel: {data.ndim}D image, expected 3D")
    else:
        c.compare_voxels(path, "nibabel", np.transpose(data, (2, 1, 0)), expected)
    check_sitk(c, path, reference, expected)


def nrrd_affine(header):
    import numpy as np
    space = header.get("space", "left-posterior-superior")
    to_lps = {"left-posterior-superior": [1, 1, 1], "right-anterior-superior": [-1, -1, 1]}.get(space)
    if to_lps is None:
        raise ValueError(f"unexpected NRRD space {space}")
    dirs = np.asarray(header["space directions"], dtype=float)
    a = np.eye(4)
    a[:3, :3] = (np.diag(to_lps) @ dirs.T)
    a[:3, 3] = np.diag(to_lps) @ np.asarray(header["space origin"], dtype=float)
    return a


def check_nrrd(c, path, reference, expected):
    import nrrd
    import numpy as np
    data, header = nrrd.read(path, index_order="C")
    if header.get("dimension") != 3:
        c.fail(path, f"pynrrd: dimension {header.get('dimension')}, expected 3 (one label-map layer)")
        return header
    c.compare_affine(path, "pynrrd", nrrd_affine(header), reference)
    c.compare_voxels(path, "pynrrd", data, expected)
    check_sitk(c, path, reference, expected)
    return header


def load_labels(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != "voxsam-labels" or doc.get("version") != 1:
        raise ValueError(f"{path}: not a voxsam-labels version 1 file")
    return {int(e["label"]): e for e in doc["labels"]}


def check_labels_json(c, path, expected):
    import numpy as np
    try:
        labels = load_labels(path)
    except Exception as e:  # noqa: BLE001
        c.fail(path, f"unreadable label description: {e}")
        return
    for label, e in labels.items():
        for key in ("name", "color", "category", "type"):
            if key not in e:
                c.fail(path, f"label {label} lacks `{key}`")
        for key in ("category", "type", "typeModifier", "anatomicRegion"):
            if key in e and set(e[key]) != {"scheme", "value", "meaning"}:
                c.fail(path, f"label {label}: `{key}` must have scheme, value, meaning")
    present = set(int(v) for v in np.unique(expected)) - {0}
    undescribed = sorted(present - set(labels))
    if undescribed:
        c.fail(path, f"labels {undescribed} of the label map are not described")
    else:
        c.ok(path, f"{len(labels)} labels described")


def check_seg_nrrd(c, path, reference, expected, labels):
    import numpy as np
    import slicerio
    check_nrrd(c, path, reference, expected)
    seg = slicerio.read_segmentation(path)
    c.compare_affine(path, "slicerio", seg["ijkToLPS"], reference)
    voxels = np.asarray(seg["voxels"])
    if voxels.ndim == 3:
        c.compare_voxels(path, "slicerio", np.transpose(voxels, (2, 1, 0)), expected)
    else:
        c.fail(path, f"slicerio: voxels have {voxels.ndim} dimensions, expected 3")
    if seg.get("masterRepresentation") != "Binary labelmap":
        c.fail(path, f"slicerio: master representation {seg.get('masterRepresentation')!r}, expected 'Binary labelmap'")
    segments = seg["segments"]
    by_label = {}
    for s in segments:
        for key in ("id", "name", "labelValue", "layer", "color", "extent"):
            if key not in s:
                c.fail(path, f"slicerio: segment {s.get('id')} lacks {key}")
        if s.get("layer", 0) != 0:
            c.fail(path, f"slicerio: segment {s.get('name')} is in layer {s.get('layer')}, expected 0")
        by_label[int(s.get("labelValue", -1))] = s
        # Extent: the bounding box of the label's voxels ([i0,i1,j0,j1,k0,k1]) or empty.
        idx = np.argwhere(expected == s.get("labelValue", -1))
        if len(idx):
            (k0, j0, i0), (k1, j1, i1) = idx.min(axis=0), idx.max(axis=0)
            want = [int(i0), int(i1), int(j0), int(j1), int(k0), int(k1)]
            if [int(v) for v in s.get("extent", [])] != want:
                c.fail(path, f"segment {s.get('name')}: extent {s.get('extent')} != voxel bounding box {want}")
    present = set(int(v) for v in np.unique(expected)) - {0}
    if not present <= set(by_label):
        c.fail(path, f"slicerio: labels {sorted(present - set(by_label))} have no segment")
    if labels is None:
        return
    for label, e in labels.items():
        s = by_label.get(label)
        if s is None:
            c.fail(path, f"slicerio: no segment with label value {label} ({e['name']})")
            continue
        if s.get("name") != e["name"]:
            c.fail(path, f"slicerio: label {label} is named {s.get('name')!r}, expected {e['name']!r}")
        want = np.asarray(e["color"], dtype=float) / 255.0
        got = np.asarray(s.get("color", [np.nan] * 3), dtype=float)
        if got.shape != (3,) or np.max(np.abs(got - want)) > 1e-5:
            c.fail(path, f"slicerio: label {label} colour {got.tolist()} != {want.tolist()}")
        term = s.get("terminology")
        if term is None:
            c.fail(path, f"slicerio: label {label} has no terminology entry")
        else:
            for key in ("category", "type", "typeModifier", "anatomicRegion"):
                if key in e:
                    want_code = [e[key]["scheme"], e[key]["value"], e[key]["meaning"]]
                    if term.get(key) != want_code:
                        c.fail(path, f"slicerio: label {label} terminology {key} {term.get(key)} != {want_code}")
    if not c.failures:
        c.ok(path, f"slicerio: {len(segments)} segments with the expected names, labels, colours and codes")


ITKSNAP_ROW = re.compile(r'^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([0-9.eE+-]+)\s+(\d+)\s+(\d+)\s+"(.*)"\s*$')


def check_itksnap(c, path, labels):
    rows = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if "# ITK-SnAP Label Description File" not in lines[:3]:
        c.fail(path, "missing the `# ITK-SnAP Label Description File` header")
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        m = ITKSNAP_ROW.match(line)
        if not m:
            c.fail(path, f"line {n} is not `IDX R G B A VIS MSH \"LABEL\"`: {line!r}")
            continue
        rows[int(m.group(1))] = (int(m.group(2)), int(m.group(3)), int(m.group(4)), m.group(8))
    if rows.get(0, (None,) * 4)[3] != "Clear Label":
        c.fail(path, "label 0 must be \"Clear Label\"")
    if labels is not None:
        for label, e in labels.items():
            r = rows.get(label)
            want = (*e["color"], e["name"].replace('"', "'"))
            if r != tuple(want):
                c.fail(path, f"label {label}: row {r} != expected {want}")
    c.ok(path, f"{len(rows)} ITK-SNAP rows")


def run_case(c, source, expected_path, written, labels_path):
    """Checks one group of written files; returns 2 when inputs are missing or unreadable, else 0."""
    for p in [source, expected_path, *written] + ([labels_path] if labels_path else []):
        if not os.path.exists(p):
            print(f"error: {p} does not exist", file=sys.stderr)
            return 2
    try:
        reference, ref_reader = source_affine(source)
        expected = expected_labels(expected_path)
        labels = load_labels(labels_path) if labels_path else None
    except Exception as e:  # noqa: BLE001
        print(f"error: cannot read the source, expected label map or labels: {e}", file=sys.stderr)
        return 2
    c.ok(source, f"source geometry from {ref_reader}")
    for path in written:
        p = path.lower()
        try:
            if p.endswith(".seg.nrrd"):
                check_seg_nrrd(c, path, reference, expected, labels)
            elif p.endswith(".nrrd") or p.endswith(".nhdr"):
                check_nrrd(c, path, reference, expected)
            elif is_nifti(path):
                check_nifti(c, path, reference, expected)
            elif p.endswith(".labels.json"):
                check_labels_json(c, path, expected)
            elif p.endswith(".itksnap.txt"):
                check_itksnap(c, path, labels)
            else:
                c.fail(path, "unknown extension (expected .nii/.nii.gz/.nrrd/.seg.nrrd/.labels.json/.itksnap.txt)")
        except Exception as e:  # noqa: BLE001
            c.fail(path, f"reading failed: {type(e).__name__}: {e}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check-modules", action="store_true", help="only check that the Python modules are importable")
    ap.add_argument("--source")
    ap.add_argument("--expected")
    ap.add_argument("--labels")
    ap.add_argument("--cases")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("written", nargs="*")
    args = ap.parse_args()

    missing = check_modules()
    if missing:
        for m in missing:
            print(f"MISSING: {m}", file=sys.stderr)
        return 3
    if args.check_modules:
        return 0
    if not args.cases and (not args.source or not args.expected or not args.written):
        ap.print_usage(sys.stderr)
        print("error: --source, --expected and at least one written file (or --cases) are required", file=sys.stderr)
        return 2

    c = Checker(args.tolerance)
    if args.cases:
        with open(args.cases, encoding="utf-8") as f:
            cases = json.load(f)
    else:
        cases = [{"source": args.source, "expected": args.expected, "written": args.written, "labels": args.labels}]
    count = 0
    for case in cases:
        rc = run_case(c, case["source"], case["expected"], case["written"], case.get("labels"))
        if rc:
            return rc
        count += len(case["written"])
    if args.verbose:
        for line in c.passed:
            print(line)
    for line in c.failures:
        print(line, file=sys.stderr)
    if c.failures:
        return 1
    print(f"ok: {count} file(s) in {len(cases)} case(s) match the source geometry and the expected labels ({len(c.passed)} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
