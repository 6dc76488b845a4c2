#!/usr/bin/env python3
"""Orientation cases for the DICOM exports, built from niivue's 48-orientation NIfTI set.

    oriented_series.py make NIFTI OUT_DIR [--oblique DEGREES] [--descending]
        Writes OUT_DIR/series/ (a CT DICOM series with pydicom on NIFTI's grid — the same voxels and
        patient geometry, optionally rotated by DEGREES about an oblique axis, slices written in
        reverse InstanceNumber order with --descending), OUT_DIR/labels.nii.gz (a 2-label map made by
        thresholding the image, stored by nibabel in the closest canonical RAS orientation, i.e. in
        another axis order than the series) and OUT_DIR/expected.nrrd (the same labels on the
        series' own grid, LPS, for check_dicom_export.py).

    oriented_series.py centroids SEG RTSTRUCT SOURCE_DIR LABELS_NIFTI
        World centroids (LPS mm) per label from the NIfTI (nibabel affine), from the SEG's frames
        (highdicom pixels placed with each frame's ImagePositionPatient and the shared orientation)
        and from the RTSTRUCT (contours filled by pixel centres on their referenced image); fails
        when any two differ by more than half the smallest voxel spacing.
"""
import os
import sys

import numpy as np
import nibabel as nib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_dicom_export import fill_even_odd, load_series  # noqa: E402

RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def rotation(degrees):
    axis = np.array([0.3, 0.8, 0.52])
    axis /= np.linalg.norm(axis)
    t = np.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * (k @ k)


def make(nifti, out, oblique=0.0, descending=False):
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid, CTImageStorage
    import nrrd

    img = nib.load(nifti)
    data = np.asarray(img.dataobj).astype(np.float64)  # scaled values
    lps = RAS_TO_LPS @ img.affine
    if oblique:
        r = rotation(oblique)
        centre = lps[:3, :3] @ (np.array(data.shape) / 2.0) + lps[:3, 3]
        lps[:3, :3] = r @ lps[:3, :3]
        lps[:3, 3] = r @ (lps[:3, 3] - centre) + centre
    spacing = np.linalg.norm(lps[:3, :3], axis=0)
    dirs = lps[:3, :3] / spacing
    ni, nj, nk = data.shape
    stored = np.clip(np.round(data * 10), 0, 4000).astype(np.uint16)  # CT-like numbers

    # Labels: bright tissue = 1, and inside it a sub-box = 2 (both touch several slices).
    labels = np.zeros(data.shape, dtype=np.uint8)
    labels[data > np.percentile(data, 70)] = 1
    box = tuple(slice(s // 3, 2 * s // 3) for s in data.shape)
    sub = labels[box]
    sub[sub == 1] = 2
    labels[box] = sub

    series_dir = os.path.join(out, "series")
    os.makedirs(series_dir, exist_ok=True)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    order = list(range(nk))
    for k in order:
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.PatientName = "Orientation^Test"
        ds.PatientID = "VOXSAM-ORIENT"
        ds.PatientBirthDate = ""
        ds.PatientSex = "O"
        ds.StudyInstanceUID = study
        ds.StudyDate = "20260101"
        ds.StudyTime = "120000"
        ds.StudyID = "1"
        ds.AccessionNumber = ""
        ds.ReferringPhysicianName = ""
        ds.SeriesInstanceUID = series
        ds.SeriesNumber = 1
        ds.Modality = "CT"
        ds.Manufacturer = "VoxSAM test"
        ds.FrameOfReferenceUID = frame
        ds.PositionReferenceIndicator = ""
        ds.InstanceNumber = (nk - k) if descending else (k + 1)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ImagePositionPatient = [float(f"{v:.6f}") for v in lps[:3, :3] @ np.array([0, 0, k]) + lps[:3, 3]]
        ds.ImageOrientationPatient = [float(f"{v:.8f}") for v in list(dirs[:, 0]) + list(dirs[:, 1])]
        ds.PixelSpacing = [float(f"{spacing[1]:.8f}"), float(f"{spacing[0]:.8f}")]
        ds.SliceThickness = float(f"{spacing[2]:.8f}")
        ds.KVP = ""
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = nj, ni
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "HU"
        ds.PixelData = np.ascontiguousarray(stored[:, :, k].T).tobytes()  # rows = j, columns = i
        ds.save_as(os.path.join(series_dir, f"IM{k:04d}.dcm"), enforce_file_format=True)

    # The label map as nibabel stores it canonically (another axis order/direction than the series).
    label_img = nib.Nifti1Image(labels, RAS_TO_LPS @ lps)
    nib.save(nib.as_closest_canonical(label_img), os.path.join(out, "labels.nii.gz"))
    header = {"space": "left-posterior-superior", "space directions": lps[:3, :3].T.tolist(),
              "space origin": lps[:3, 3].tolist()}
    nrrd.write(os.path.join(out, "expected.nrrd"), labels.astype(np.int16), header, index_order="F")
    print(f"wrote {nk} slices {ni}x{nj}, orientation {nib.aff2axcodes(RAS_TO_LPS @ lps)} (RAS codes), "
          f"labels stored {nib.aff2axcodes(nib.as_closest_canonical(label_img).affine)}")


def nifti_centroids(path):
    img = nib.load(path)
    lab = np.asarray(img.dataobj).astype(np.int64)
    lps = RAS_TO_LPS @ img.affine
    out = {}
    for label in sorted(set(np.unique(lab)) - {0}):
        idx = np.argwhere(lab == label).astype(float)
        pts = idx @ lps[:3, :3].T + lps[:3, 3]
        out[int(label)] = pts.mean(axis=0)
    spacing = np.linalg.norm(lps[:3, :3], axis=0)
    return out, float(spacing.min())


def pixel_to_world(ds_ipp, iop, ps, i, j):
    ipp = np.asarray(ds_ipp, dtype=float)
    iop = np.asarray(iop, dtype=float)
    return ipp + np.outer(i * ps[1], iop[:3]) + np.outer(j * ps[0], iop[3:])


def seg_centroids(path, names_to_label):
    import highdicom as hd
    seg = hd.seg.segread(path)
    shared = seg.SharedFunctionalGroupsSequence[0]
    iop = shared.PlaneOrientationSequence[0].ImageOrientationPatient
    ps = [float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing]
    pixels = seg.pixel_array if seg.NumberOfFrames > 1 else seg.pixel_array[None]
    sums = {}
    for n, frame in enumerate(seg.PerFrameFunctionalGroupsSequence):
        number = frame.SegmentIdentificationSequence[0].ReferencedSegmentNumber
        j, i = np.nonzero(pixels[n])
        pts = pixel_to_world(frame.PlanePositionSequence[0].ImagePositionPatient, iop, ps, i, j)
        label = names_to_label[seg.SegmentSequence[number - 1].SegmentLabel]
        s = sums.setdefault(label, [np.zeros(3), 0])
        s[0] += pts.sum(axis=0)
        s[1] += len(pts)
    return {k: v[0] / v[1] for k, v in sums.items()}


def rt_centroids(path, series, names_to_label):
    import pydicom
    rt = pydicom.dcmread(path)
    roi_names = {r.ROINumber: r.ROIName for r in rt.StructureSetROISequence}
    out = {}
    for roi in rt.ROIContourSequence:
        label = names_to_label[roi_names[roi.ReferencedROINumber]]
        per_image = {}
        for c in getattr(roi, "ContourSequence", []):
            uid = c.ContourImageSequence[0].ReferencedSOPInstanceUID
            src = series[uid]
            pts = np.array(c.ContourData, dtype=float).reshape(-1, 3)
            ipp = np.array(src.ImagePositionPatient, dtype=float)
            iop = np.array(src.ImageOrientationPatient, dtype=float)
            ps = [float(v) for v in src.PixelSpacing]
            per_image.setdefault(uid, []).append(np.stack([(pts - ipp) @ iop[:3] / ps[1], (pts - ipp) @ iop[3:] / ps[0]], axis=1))
        total, count = np.zeros(3), 0
        for uid, polys in per_image.items():
            src = series[uid]
            mask = fill_even_odd(polys, int(src.Rows), int(src.Columns))
            j, i = np.nonzero(mask)
            pts = pixel_to_world(src.ImagePositionPatient, src.ImageOrientationPatient, [float(v) for v in src.PixelSpacing], i, j)
            total += pts.sum(axis=0)
            count += len(pts)
        out[label] = total / max(count, 1)
    return out


def centroids(seg_path, rt_path, source_dir, labels_path, names_text="1=Tissue,2=Core"):
    names_to_label = {}
    for part in names_text.split(","):
        label, name = part.split("=", 1)
        names_to_label[name] = int(label)
    ref, spacing = nifti_centroids(labels_path)
    series = load_series(source_dir)
    seg = seg_centroids(seg_path, names_to_label)
    rt = rt_centroids(rt_path, series, names_to_label)
    worst = 0.0
    for label, c in ref.items():
        for what, other in (("SEG", seg), ("RTSTRUCT", rt)):
            if label not in other:
                fail(f"label {label} missing from the {what}")
            d = float(np.linalg.norm(other[label] - c))
            worst = max(worst, d)
            print(f"label {label}: label map {c.round(3)}, {what} {other[label].round(3)}, distance {d:.4f} mm")
    limit = spacing / 2
    print(f"largest centroid distance {worst:.4f} mm (limit {limit:.4f} mm = half the smallest spacing)")
    if worst > limit:
        fail("centroids differ by more than half a voxel")
    print("OK")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "make":
        args = sys.argv[2:]
        oblique = 0.0
        descending = "--descending" in args
        if "--oblique" in args:
            oblique = float(args[args.index("--oblique") + 1])
        make(args[0], args[1], oblique, descending)
    elif len(sys.argv) >= 6 and sys.argv[1] == "centroids":
        centroids(*sys.argv[2:7])
    else:
        print(__doc__)
        sys.exit(2)
