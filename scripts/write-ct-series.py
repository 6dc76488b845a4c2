#!/usr/bin/env python3
"""Writes a synthetic uncompressed CT series with pydicom, for `voxsam-io-bench dicom`.

    write-ct-series.py OUT_DIR [--slices 61] [--size 512]

One CT Image Storage file per slice (Explicit VR Little Endian, int16 stored with RescaleIntercept
-1024, 0.75 mm pixels, 5 mm slices, axial), a body ellipse of soft tissue with a spine-like disc in air,
deterministic. pydicom is installed by scripts/setup-interop.sh.
"""
import argparse
import os

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--slices", type=int, default=61)
parser.add_argument("--size", type=int, default=512)
a = parser.parse_args()
os.makedirs(a.out, exist_ok=True)

n, s = a.slices, a.size
y, x = np.mgrid[0:s, 0:s].astype(np.float64)
body = ((x - s / 2) / (0.43 * s)) ** 2 + ((y - s / 2) / (0.33 * s)) ** 2 < 1
spine = ((x - s / 2) / (0.05 * s)) ** 2 + ((y - 0.68 * s) / (0.05 * s)) ** 2 < 1
study, series, frame = generate_uid(entropy_srcs=["voxsam-bench-study"]), generate_uid(entropy_srcs=["voxsam-bench-series"]), \
    generate_uid(entropy_srcs=["voxsam-bench-frame"])
for k in range(n):
    hu = np.full((s, s), -1000, dtype=np.int16)
    hu[body] = 40 + ((x[body] * 7 + y[body] * 3 + k) % 60).astype(np.int16)
    hu[spine] = 700
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=["voxsam-bench", str(k)])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientName, ds.PatientID = "CT", "Bench^Synthetic", "BENCH"
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
    ds.SeriesNumber, ds.InstanceNumber = 1, k + 1
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.ImagePositionPatient = [-0.375 * s, -0.375 * s, -5.0 * k]
    ds.PixelSpacing, ds.SliceThickness = [0.75, 0.75], 5
    ds.Rows = ds.Columns = s
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    ds.PixelData = (hu + 1024).astype("<i2").tobytes()
    ds.save_as(os.path.join(a.out, f"CT{k + 1:04d}.dcm"), enforce_file_format=True)
print(f"wrote {n} slices of {s} x {s} to {a.out}")
