#!/usr/bin/env python3
"""Checks VoxSAM's DICOM SEG and RTSTRUCT with independent readers (pydicom, highdicom).

    check_dicom_export.py seg SEG.dcm SOURCE_DIR LABELMAP NAMES
    check_dicom_export.py rtstruct RTSTRUCT.dcm SOURCE_DIR LABELMAP NAMES [MIN_DICE]
    check_dicom_export.py layout SEG.dcm REFERENCE_SEG.dcm
    check_dicom_export.py frames SEG.dcm MULTIFRAME_SOURCE.dcm LABELMAP

LABELMAP is the expected label map on the source grid as a NRRD (written by VoxSAM, read here with
pynrrd), NAMES is "1=Liver,2=Spleen". The source series is read with pydicom; every source instance
is placed on the label map's grid from its own ImagePositionPatient, so a shifted or flipped export
fails.

seg: highdicom reads the SEG; per source instance and segment, the mask equals the label map's
     slice exactly; every frame's ImagePositionPatient equals its source instance's and the shared
     ImageOrientationPatient equals the source's (1e-4 mm); segment labels and numbers match NAMES.
rtstruct: per ROI, contours are rasterised back by pixel centres (even-odd) on their referenced
     instance after checking that every point lies in that instance's plane (1e-3 mm); Dice against
     the label map must be >= MIN_DICE (default 0.98).
layout: every attribute a reference SEG (dcmqi's) has at the top level, in the shared and per-frame
     functional groups, the derivation/source image items, the segment items, the referenced series
     and the dimension index is also in ours (clinical-trial attributes excepted: optional).
frames: for a multi-frame source, every SEG frame's (ReferencedSOPInstanceUID, ReferencedFrameNumber)
     is a frame of the source whose ImagePositionPatient equals the SEG frame's, and the frame's mask
     equals the label map on that slice.
Both print per-object results and a world-space centroid (mm) per object, and exit 1 on failure.
"""
import sys

import numpy as np
import nrrd
import pydicom


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def load_labelmap(path):
    data, header = nrrd.read(path, index_order="F")  # data[i, j, k]
    directions = np.array(header["space directions"], dtype=float)  # rows: step along i, j, k
    origin = np.array(header["space origin"], dtype=float)
    space = header.get("space", "left-posterior-superior")
    if space not in ("left-posterior-superior", "LPS"):
        fail(f"{path}: expected an LPS NRRD, got space {space}")
    return data.astype(np.int64), origin, directions


def load_series(folder):
    import os
    out = []
    for root, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            try:
                ds = pydicom.dcmread(p, stop_before_pixels=True)
            except Exception:
                continue
            if "ImagePositionPatient" not in ds:
                continue
            out.append(ds)
    if not out:
        fail(f"{folder}: no DICOM images")
    return {ds.SOPInstanceUID: ds for ds in out}


def slice_of(ds, origin, directions, shape):
    """Index k of a source instance on the label map grid (its IPP must be voxel (0, 0, k))."""
    ipp = np.array(ds.ImagePositionPatient, dtype=float)
    idx = np.linalg.solve(directions.T, ipp - origin)
    k = int(round(idx[2]))
    if abs(idx[0]) > 1e-3 or abs(idx[1]) > 1e-3 or abs(idx[2] - k) > 1e-3 or not 0 <= k < shape[2]:
        fail(f"source instance {ds.SOPInstanceUID}: ImagePositionPatient {ipp} is not a slice corner of the label map grid (index {idx})")
    # The source's rows/columns must run along the label map's i and j.
    iop = np.array(ds.ImageOrientationPatient, dtype=float)
    ps = np.array(ds.PixelSpacing, dtype=float)
    if not (np.allclose(iop[:3] * ps[1], directions[0], atol=1e-4) and np.allclose(iop[3:] * ps[0], directions[1], atol=1e-4)):
        fail(f"source instance {ds.SOPInstanceUID}: orientation/spacing differ from the label map grid")
    return k


def parse_names(text):
    names = {}
    for part in text.split(","):
        label, name = part.split("=", 1)
        names[int(label)] = name
    return names


def centroid(points):
    return np.mean(np.array(points, dtype=float), axis=0)


def check_seg(seg_path, source_dir, labelmap_path, names_text):
    import highdicom as hd
    labels, origin, directions = load_labelmap(labelmap_path)
    names = parse_names(names_text)
    series = load_series(source_dir)
    seg = hd.seg.segread(seg_path)
    if seg.SegmentationType != "BINARY":
        fail(f"SegmentationType {seg.SegmentationType}")
    by_name = {s.SegmentLabel: s.SegmentNumber for s in seg.SegmentSequence}
    present = sorted(set(np.unique(labels)) - {0})
    for label in present:
        if names[label] not in by_name:
            fail(f"label {label} ({names[label]}) has no segment; segments: {by_name}")
    # Geometry of every frame against its source instance.
    shared = seg.SharedFunctionalGroupsSequence[0]
    seg_iop = np.array(shared.PlaneOrientationSequence[0].ImageOrientationPatient, dtype=float)
    for n, frame in enumerate(seg.PerFrameFunctionalGroupsSequence):
        src_uid = frame.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        if src_uid not in series:
            fail(f"frame {n + 1} references {src_uid}, which is not in the source series")
        src = series[src_uid]
        ipp = np.array(frame.PlanePositionSequence[0].ImagePositionPatient, dtype=float)
        if not np.allclose(ipp, np.array(src.ImagePositionPatient, dtype=float), atol=1e-4):
            fail(f"frame {n + 1}: ImagePositionPatient {ipp} differs from its source's {src.ImagePositionPatient}")
        if not np.allclose(seg_iop, np.array(src.ImageOrientationPatient, dtype=float), atol=1e-4):
            fail(f"frame {n + 1}: ImageOrientationPatient {seg_iop} differs from its source's")
    # Masks per source instance and segment.
    uids = list(series.keys())
    kmap = {uid: slice_of(series[uid], origin, directions, labels.shape) for uid in uids}
    world = {}
    for label in present:
        number = by_name[names[label]]
        mismatched = 0
        for uid in uids:
            k = kmap[uid]
            expected = (labels[:, :, k].T == label)  # rows = j, columns = i
            try:
                got = seg.get_pixels_by_source_instance([uid], segment_numbers=[number],
                                                        assert_missing_frames_are_empty=True)[0, :, :, 0] > 0
            except Exception as e:  # noqa: BLE001
                fail(f"highdicom could not read segment {number} on {uid}: {e}")
            if got.shape != expected.shape:
                fail(f"segment {number} on {uid}: shape {got.shape}, expected {expected.shape}")
            mismatched += int(np.count_nonzero(got != expected))
            for j, i in zip(*np.nonzero(got)):
                world.setdefault(label, []).append(origin + i * directions[0] + j * directions[1] + k * directions[2])
        if mismatched:
            fail(f"segment {number} ({names[label]}): {mismatched} pixels differ from the label map")
        c = centroid(world[label])
        print(f"seg label {label} {names[label]}: equal on {len(uids)} instances; centroid {c[0]:.3f} {c[1]:.3f} {c[2]:.3f}")
    print("OK")


def fill_even_odd(polys, rows, cols):
    """Pixels whose centres lie inside (even-odd over all polygons); polys in (i, j) pixel units."""
    mask = np.zeros((rows, cols), dtype=bool)
    for j in range(rows):
        xs = []
        for poly in polys:
            p = np.asarray(poly)
            q = np.roll(p, -1, axis=0)
            y0, y1 = p[:, 1], q[:, 1]
            cross = ((y0 <= j) & (y1 > j)) | ((y1 <= j) & (y0 > j))
            if not np.any(cross):
                continue
            t = (j - y0[cross]) / (y1[cross] - y0[cross])
            xs.extend(p[cross, 0] + t * (q[cross, 0] - p[cross, 0]))
        xs.sort()
        inside = np.zeros(cols, dtype=np.int32)
        for x in xs:
            start = int(np.floor(x)) + 1  # first pixel centre right of the crossing
            if start < cols:
                inside[max(start, 0):] ^= 1
        mask[j] = inside.astype(bool)
    return mask


def check_rtstruct(rt_path, source_dir, labelmap_path, names_text, min_dice=0.98):
    labels, origin, directions = load_labelmap(labelmap_path)
    names = parse_names(names_text)
    series = load_series(source_dir)
    rt = pydicom.dcmread(rt_path)
    if rt.Modality != "RTSTRUCT":
        fail(f"Modality {rt.Modality}")
    roi_names = {r.ROINumber: r.ROIName for r in rt.StructureSetROISequence}
    for_uid = rt.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID
    src_for = next(iter(series.values())).FrameOfReferenceUID
    if for_uid != src_for:
        fail(f"frame of reference {for_uid} differs from the source's {src_for}")
    present = sorted(set(np.unique(labels)) - {0})
    by_name = {v: k for k, v in roi_names.items()}
    contours_by_roi = {c.ReferencedROINumber: c for c in rt.ROIContourSequence}
    for label in present:
        name = names[label]
        if name not in by_name:
            fail(f"label {label} ({name}) has no ROI; ROIs: {roi_names}")
        roi = contours_by_roi[by_name[name]]
        per_slice = {}
        world = []
        for c in getattr(roi, "ContourSequence", []):
            if c.ContourGeometricType != "CLOSED_PLANAR":
                fail(f"ROI {name}: contour type {c.ContourGeometricType}")
            uid = c.ContourImageSequence[0].ReferencedSOPInstanceUID
            src = series.get(uid)
            if src is None:
                fail(f"ROI {name}: contour references {uid}, not in the source series")
            pts = np.array(c.ContourData, dtype=float).reshape(-1, 3)
            if len(pts) != int(c.NumberOfContourPoints):
                fail(f"ROI {name}: NumberOfContourPoints {c.NumberOfContourPoints} != {len(pts)}")
            ipp = np.array(src.ImagePositionPatient, dtype=float)
            iop = np.array(src.ImageOrientationPatient, dtype=float)
            ps = np.array(src.PixelSpacing, dtype=float)
            normal = np.cross(iop[:3], iop[3:])
            off = (pts - ipp) @ normal
            if np.max(np.abs(off)) > 1e-3:
                fail(f"ROI {name}: contour points up to {np.max(np.abs(off)):.4f} mm off the plane of {uid}")
            i = (pts - ipp) @ iop[:3] / ps[1]
            j = (pts - ipp) @ iop[3:] / ps[0]
            per_slice.setdefault(uid, []).append(np.stack([i, j], axis=1))
            world.extend(pts)
        inter = total_l = total_r = 0
        for uid, src in series.items():
            k = slice_of(src, origin, directions, labels.shape)
            expected = labels[:, :, k].T == label
            got = fill_even_odd(per_slice.get(uid, []), int(src.Rows), int(src.Columns))
            inter += int(np.count_nonzero(got & expected))
            total_l += int(np.count_nonzero(expected))
            total_r += int(np.count_nonzero(got))
        dice = 2 * inter / max(total_l + total_r, 1)
        c = centroid(world) if world else [float("nan")] * 3
        print(f"rtstruct ROI {name} (label {label}): Dice {dice:.4f} over {len(series)} instances; "
              f"contour-point centroid {c[0]:.3f} {c[1]:.3f} {c[2]:.3f}")
        if dice < min_dice:
            fail(f"ROI {name}: Dice {dice:.4f} < {min_dice}")
    print("OK")


def check_layout(ours_path, reference_path):
    ours, ref = pydicom.dcmread(ours_path), pydicom.dcmread(reference_path)
    optional = {"ClinicalTrialCoordinatingCenterName", "ClinicalTrialSeriesID", "ClinicalTrialTimePointID",
                "ClinicalTrialSponsorName", "ClinicalTrialProtocolID", "ClinicalTrialProtocolName", "ClinicalTrialSiteID",
                "ClinicalTrialSiteName", "ClinicalTrialSubjectID", "ClinicalTrialSubjectReadingID"}

    def keys(ds):
        return {e.keyword for e in ds if e.keyword} - optional

    def first(ds, *path):
        for name in path:
            ds = ds[name][0]
        return ds

    places = [("top level", ()), ("shared functional groups", ("SharedFunctionalGroupsSequence",)),
              ("per-frame functional groups", ("PerFrameFunctionalGroupsSequence",)),
              ("derivation image", ("PerFrameFunctionalGroupsSequence", "DerivationImageSequence")),
              ("source image", ("PerFrameFunctionalGroupsSequence", "DerivationImageSequence", "SourceImageSequence")),
              ("segment", ("SegmentSequence",)), ("referenced series", ("ReferencedSeriesSequence",)),
              ("dimension index", ("DimensionIndexSequence",))]
    missing = []
    for what, path in places:
        lacking = sorted(keys(first(ref, *path)) - keys(first(ours, *path)))
        print(f"{what}: {'same attributes or more' if not lacking else 'missing ' + ', '.join(lacking)}")
        missing += [f"{what}: {k}" for k in lacking]
    if missing:
        fail("attributes the reference SEG has and ours lacks: " + "; ".join(missing))
    print("OK")


def check_frames(seg_path, source_path, labelmap_path):
    labels, origin, directions = load_labelmap(labelmap_path)
    seg, src = pydicom.dcmread(seg_path), pydicom.dcmread(source_path)
    pixels = seg.pixel_array if int(seg.NumberOfFrames) > 1 else seg.pixel_array[None]
    for n, frame in enumerate(seg.PerFrameFunctionalGroupsSequence):
        ref = frame.DerivationImageSequence[0].SourceImageSequence[0]
        if ref.ReferencedSOPInstanceUID != src.SOPInstanceUID:
            fail(f"frame {n + 1} references {ref.ReferencedSOPInstanceUID}, not the multi-frame source")
        number = int(ref.ReferencedFrameNumber)
        if not 1 <= number <= int(src.NumberOfFrames):
            fail(f"frame {n + 1}: ReferencedFrameNumber {number} outside 1…{src.NumberOfFrames}")
        src_ipp = np.array(src.PerFrameFunctionalGroupsSequence[number - 1].PlanePositionSequence[0].ImagePositionPatient, dtype=float)
        ipp = np.array(frame.PlanePositionSequence[0].ImagePositionPatient, dtype=float)
        if not np.allclose(ipp, src_ipp, atol=1e-4):
            fail(f"frame {n + 1}: position {ipp} differs from source frame {number}'s {src_ipp}")
        k = int(round(np.linalg.solve(directions.T, ipp - origin)[2]))
        segment = frame.SegmentIdentificationSequence[0].ReferencedSegmentNumber
        expected = labels[:, :, k].T == segment
        if np.count_nonzero((pixels[n] > 0) != expected):
            fail(f"frame {n + 1} (source frame {number}, slice {k}): mask differs from the label map")
        print(f"frame {n + 1}: source frame {number}, slice {k}, {int(expected.sum())} pixels, equal")
    print("OK")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "frames":
        check_frames(*sys.argv[2:5])
        sys.exit(0)
    if len(sys.argv) == 4 and sys.argv[1] == "layout":
        check_layout(sys.argv[2], sys.argv[3])
        sys.exit(0)
    if len(sys.argv) < 6:
        print(__doc__)
        sys.exit(2)
    kind = sys.argv[1]
    if kind == "seg":
        check_seg(*sys.argv[2:6])
    elif kind == "rtstruct":
        check_rtstruct(*sys.argv[2:6], *(float(x) for x in sys.argv[6:7]))
    else:
        print(__doc__)
        sys.exit(2)
