#!/usr/bin/env python3
"""Generates the hostile-header corpus in Tests/VoxSAMIOTests/Fixtures/hostile/ (seeded, reproducible).

Every file attacks one header field of one format (DICOM, NIfTI-1/2, Analyze, NRRD raw/gzip/detached,
NPY/NPZ). MANIFEST.tsv lists per file: the format, the field it attacks and the words the reader's error
must contain (`|`-separated, case-insensitive); `OK` means the file must be read without error.

    python3 scripts/make-hostile-corpus.py                 # regenerate the committed corpus
    python3 scripts/make-hostile-corpus.py --big-bombs DIR # also ~1 MB gzip/zip bombs (1 GiB inflated) in DIR

Needs numpy and pydicom (pip install pydicom==3.0.2). Files are a few kB at most.
"""
import argparse
import gzip
import io
import os
import random
import struct
import sys
import zipfile
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/VoxSAMIOTests/Fixtures/hostile")
rng = random.Random(20240611)
manifest = []


def add(name, data, fmt, field, expect):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data)
    manifest.append((name, fmt, field, expect))


def gz(data, mtime=0):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=mtime, compresslevel=9) as g:
        g.write(data)
    return buf.getvalue()


def zeros_gz(n):
    """gzip of n zero bytes, compressed in a stream (n may be large)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(b"\0" * min(n, 1 << 20)) for _ in range(n >> 20)]
    out.append(c.compress(b"\0" * (n & ((1 << 20) - 1))))
    out.append(c.flush())
    return b"".join(out)


# MARK: NRRD

def nrrd(fields, data=b"", magic="NRRD0004"):
    return (magic + "\n" + "".join(f"{k}: {v}\n" for k, v in fields) + "\n").encode() + data


def nrrd_fields(sizes="4 4 4", type_="uchar", encoding="raw", space=True, directions="(1,0,0) (0,1,0) (0,0,1)",
                origin="(0,0,0)", extra=()):
    f = [("type", type_), ("dimension", str(len(sizes.split()))), ("sizes", sizes), ("encoding", encoding),
         ("endian", "little")]
    if space:
        f += [("space", "left-posterior-superior"), ("space directions", directions), ("space origin", origin)]
    return f + list(extra)


def make_nrrd():
    ok = bytes(rng.randrange(256) for _ in range(64))
    add("nrrd_sizes_overflow.nrrd", nrrd(nrrd_fields(sizes="4294967296 4294967296 4294967296")), "NRRD", "sizes", "sizes|overflows")
    add("nrrd_sizes_product_int64.nrrd", nrrd(nrrd_fields(sizes="9223372036854775807 2 1")), "NRRD", "sizes", "sizes|overflows")
    add("nrrd_sizes_negative.nrrd", nrrd(nrrd_fields(sizes="-4 4 4"), ok), "NRRD", "sizes", "sizes")
    add("nrrd_sizes_zero.nrrd", nrrd(nrrd_fields(sizes="4 0 4")), "NRRD", "sizes", "sizes")
    add("nrrd_sizes_text.nrrd", nrrd(nrrd_fields(sizes="4 four 4")), "NRRD", "sizes", "sizes")
    add("nrrd_sizes_count.nrrd", nrrd([("type", "uchar"), ("dimension", "3"), ("sizes", "4 4"), ("encoding", "raw")]), "NRRD", "sizes", "sizes")
    add("nrrd_dimension_huge.nrrd", nrrd([("type", "uchar"), ("dimension", "99999999999999999999"), ("sizes", "4 4 4"), ("encoding", "raw")]),
        "NRRD", "dimension", "dimension")
    add("nrrd_voxel_limit.nrrd", nrrd(nrrd_fields(sizes="2048 2048 2048"), ok), "NRRD", "sizes (voxel limit)", "sizes|--max-voxels")
    # 102-ish bytes of gzip NRRD declaring 100000^3: refused from the header, nothing allocated.
    add("nrrd_gzip_100000cubed.nrrd", nrrd(nrrd_fields(sizes="100000 100000 100000", encoding="gzip", space=False), gz(b"\0" * 16)),
        "NRRD", "sizes (gzip, voxel limit)", "sizes|--max-voxels")
    add("nrrd_gzip_ratio.nrrd", nrrd(nrrd_fields(sizes="1000 1000 1000", type_="uchar", encoding="gzip", space=False), gz(b"\0" * 64)),
        "NRRD", "sizes vs compressed size", "declares|inflate to at most")
    add("nrrd_raw_truncated.nrrd", nrrd(nrrd_fields(sizes="64 64 64"), ok), "NRRD", "sizes vs file size", "too short|truncated")
    add("nrrd_raw_short_type.nrrd", nrrd(nrrd_fields(sizes="4 4 4", type_="double"), ok), "NRRD", "type size vs file size", "too short")
    add("nrrd_gzip_short.nrrd", nrrd(nrrd_fields(sizes="64 64 64", encoding="gzip"), gz(bytes(rng.randrange(256) for _ in range(1000)))), "NRRD", "sizes vs gzip stream",
        "too short|truncated")
    add("nrrd_gzip_bomb.nrrd", nrrd(nrrd_fields(sizes="8 8 8", encoding="gzip"), zeros_gz(4 << 20)), "NRRD", "gzip stream longer than sizes",
        "more than|bomb")
    add("nrrd_gzip_corrupt.nrrd", nrrd(nrrd_fields(sizes="8 8 8", encoding="gzip"), b"\x1f\x8b\x08\x00" + bytes(rng.randrange(256) for _ in range(200))),
        "NRRD", "gzip stream", "corrupt")
    add("nrrd_encoding_bzip2.nrrd", nrrd(nrrd_fields(encoding="bzip2"), ok), "NRRD", "encoding", "encoding")
    add("nrrd_type_block.nrrd", nrrd(nrrd_fields(type_="block"), ok), "NRRD", "type", "type")
    add("nrrd_dir_zero.nrrd", nrrd(nrrd_fields(directions="(1,0,0) (0,0,0) (0,0,1)"), ok), "NRRD", "space directions",
        "space directions: vector 2 is zero")
    add("nrrd_dir_nan.nrrd", nrrd(nrrd_fields(directions="(nan,0,0) (0,1,0) (0,0,1)"), ok), "NRRD", "space directions",
        "space directions: vector 1 is not finite")
    add("nrrd_dir_inf.nrrd", nrrd(nrrd_fields(directions="(1,0,0) (0,1,0) (0,0,inf)"), ok), "NRRD", "space directions",
        "space directions: vector 3 is not finite")
    add("nrrd_dir_parallel.nrrd", nrrd(nrrd_fields(directions="(1,0,0) (2,0,0) (0,0,1)"), ok), "NRRD", "space directions",
        "space directions|degenerate")
    add("nrrd_dir_two_components.nrrd", nrrd(nrrd_fields(directions="(1,0) (0,1,0) (0,0,1)"), ok), "NRRD", "space directions",
        "space directions: vector 1|components")
    add("nrrd_dir_text.nrrd", nrrd(nrrd_fields(directions="(1,0,0) (0,one,0) (0,0,1)"), ok), "NRRD", "space directions",
        "space directions|non-numeric")
    add("nrrd_dir_count.nrrd", nrrd(nrrd_fields(directions="(1,0,0) (0,1,0)"), ok), "NRRD", "space directions", "space directions|entries")
    add("nrrd_origin_nan.nrrd", nrrd(nrrd_fields(origin="(nan,0,0)"), ok), "NRRD", "space origin", "space origin|not finite")
    add("nrrd_origin_two.nrrd", nrrd(nrrd_fields(origin="(0,0)"), ok), "NRRD", "space origin", "space origin")
    add("nrrd_spacings_zero.nrrd", nrrd(nrrd_fields(space=False, extra=[("spacings", "1 0 1")]), ok), "NRRD", "spacings",
        "spacings: value 2 is zero")
    add("nrrd_byte_skip_huge.nrrd", nrrd(nrrd_fields(extra=[("byte skip", "9223372036854775807")]), ok), "NRRD", "byte skip",
        "byte skip|overflows")
    add("nrrd_byte_skip_negative.nrrd", nrrd(nrrd_fields(extra=[("byte skip", "-7")]), ok), "NRRD", "byte skip", "byte skip")
    add("nrrd_byte_skip_past_end.nrrd", nrrd(nrrd_fields(extra=[("byte skip", "100000")]), ok), "NRRD", "byte skip", "before its data starts")
    add("nrrd_space_unknown.nrrd", nrrd(nrrd_fields(extra=[]) [:5] + [("space", "right-handed-upside-down")], ok), "NRRD", "space", "space")
    add("nrrd_bad_line.nrrd", b"NRRD0004\ntype uchar\n\n" + ok, "NRRD", "header line", "header line")
    # Detached headers.
    add("detached_escape.nhdr", nrrd(nrrd_fields(extra=[("data file", "../../../../../../../../etc/hostname")])), "NRRD detached",
        "data file (..)", "data file|outside")
    add("detached_absolute.nhdr", nrrd(nrrd_fields(extra=[("data file", "/etc/hostname")])), "NRRD detached", "data file (absolute)",
        "data file|--allow-absolute-data-file")
    add("detached_dev_zero.nhdr", nrrd(nrrd_fields(extra=[("data file", "/dev/zero")])), "NRRD detached", "data file (device)",
        "data file|--allow-absolute-data-file")
    add("detached_missing.nhdr", nrrd(nrrd_fields(extra=[("data file", "no_such_file.raw")])), "NRRD detached", "data file (missing)",
        "data file|does not exist")
    add("detached_symlink.nhdr", nrrd(nrrd_fields(extra=[("data file", "detached_symlink.link")])), "NRRD detached",
        "data file (symlink out)", "data file|outside")
    link = os.path.join(OUT, "detached_symlink.link")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("/etc/hostname", link)
    add("detached_short.raw", ok[:10], "NRRD data", "data of detached_short.nhdr", "SKIP")
    add("detached_short.nhdr", nrrd(nrrd_fields(extra=[("data file", "detached_short.raw")])), "NRRD detached", "data file size",
        "data file|too short")
    add("detached_list.nhdr", nrrd(nrrd_fields(extra=[("data file", "LIST")])), "NRRD detached", "data file (LIST)", "data file|LIST")


# MARK: NIfTI

def nifti1(dims=(3, 4, 4, 4), datatype=2, bitpix=8, pixdim=(1, 1, 1, 1), vox_offset=352.0, qform=0, sform=1,
           quatern=(0, 0, 0), qoffset=(0, 0, 0), srow=((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0)), magic=b"n+1\0"):
    d = list(dims) + [1] * (8 - len(dims))
    p = [1.0] + list(pixdim) + [0.0] * (7 - len(pixdim))
    h = struct.pack("<i", 348) + b"\0" * 36
    h += struct.pack("<8h", *d)
    h += struct.pack("<3f", 0, 0, 0)
    h += struct.pack("<hhhh", 0, datatype, bitpix, 0)
    h += struct.pack("<8f", *p)
    h += struct.pack("<f", vox_offset)
    h += struct.pack("<ff", 1.0, 0.0)  # scl_slope, scl_inter
    h += struct.pack("<hbb", 0, 2, 0)  # slice_end, slice_code, xyzt_units
    h += struct.pack("<ffffii", 0, 0, 0, 0, 0, 0)
    h += b"hostile".ljust(80, b"\0") + b"\0" * 24
    h += struct.pack("<hh", qform, sform)
    h += struct.pack("<6f", *quatern, *qoffset)
    for r in srow:
        h += struct.pack("<4f", *r)
    h += b"\0" * 16 + magic
    assert len(h) == 348, len(h)
    return h + b"\0" * 4


def nifti2(dims=(3, 4, 4, 4), datatype=2, bitpix=8, pixdim=(1, 1, 1, 1), vox_offset=544, qform=0, sform=1,
           srow=((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0))):
    d = list(dims) + [1] * (8 - len(dims))
    p = [1.0] + list(pixdim) + [0.0] * (7 - len(pixdim))
    h = struct.pack("<i", 540) + b"n+2\0\r\n\x1a\n"
    h += struct.pack("<hh", datatype, bitpix)
    h += struct.pack("<8q", *d)
    h += struct.pack("<3d", 0, 0, 0)
    h += struct.pack("<8d", *p)
    h += struct.pack("<q", vox_offset)
    h += struct.pack("<dddd", 1.0, 0.0, 0, 0)  # scl_slope, scl_inter, cal_max, cal_min
    h += struct.pack("<dd", 0, 0)  # slice_duration, toffset
    h += struct.pack("<qq", 0, 0)  # slice_start, slice_end
    h += b"hostile".ljust(80, b"\0") + b"\0" * 24
    h += struct.pack("<ii", qform, sform)
    h += struct.pack("<6d", 0, 0, 0, 0, 0, 0)
    for r in srow:
        h += struct.pack("<4d", *r)
    h += struct.pack("<iii", 0, 2, 0)  # slice_code, xyzt_units, intent_code
    h += b"\0" * 16 + b"\0" * 16  # intent_name, dim_info, unused
    assert len(h) == 540, len(h)
    return h + b"\0" * 4


def make_nifti():
    nan, inf = float("nan"), float("inf")
    ok = bytes(rng.randrange(256) for _ in range(64))
    add("nii1_dims_overflow.nii", nifti1(dims=(7, 32767, 32767, 32767, 32767, 32767, 32767, 32767)), "NIfTI-1", "dim[1..7]", "dim|overflows")
    add("nii1_voxel_limit.nii", nifti1(dims=(3, 2048, 2048, 2048)), "NIfTI-1", "dim[1..3] (voxel limit)", "dim[1...3]|--max-voxels")
    add("nii1_truncated.nii", nifti1(dims=(3, 64, 64, 64)) + ok, "NIfTI-1", "dim vs file size", "too short|truncated")
    add("nii1_truncated_float.nii", nifti1(dims=(3, 4, 4, 4), datatype=16, bitpix=32) + ok, "NIfTI-1", "datatype size vs file size", "too short")
    add("nii1_gz_bomb.nii.gz", gz(nifti1(dims=(3, 8, 8, 8)) + b"\0" * (4 << 20)), "NIfTI-1 gz", "dim vs gzip stream", "more than|bomb")
    add("nii1_gz_short.nii.gz", gz(nifti1(dims=(3, 64, 64, 64)) + bytes(rng.randrange(256) for _ in range(1000))), "NIfTI-1 gz", "dim vs gzip stream", "too short|truncated")
    add("nii1_gz_huge.nii.gz", gz(nifti1(dims=(3, 1000, 1000, 1000)) + bytes(64)), "NIfTI-1 gz", "dim vs compressed size",
        "inflate to at most")
    add("nii1_vox_offset_huge.nii", nifti1(vox_offset=1e30) + ok, "NIfTI-1", "vox_offset", "vox_offset|not a valid data offset")
    add("nii1_vox_offset_past_end.nii", nifti1(vox_offset=100000.0) + ok, "NIfTI-1", "vox_offset", "before its data starts")
    add("nii1_pixdim_nan.nii", nifti1(pixdim=(1, nan, 1), qform=1, sform=0) + ok, "NIfTI-1", "pixdim[2]", "pixdim[2]|not finite")
    add("nii1_pixdim_inf.nii", nifti1(pixdim=(inf, 1, 1)) + ok, "NIfTI-1", "pixdim[1]", "pixdim[1]|not finite")
    add("nii1_pixdim_zero_qform.nii", nifti1(pixdim=(1, 1, 0), qform=1, sform=0) + ok, "NIfTI-1", "pixdim[3]", "pixdim[3] is zero")
    add("nii1_pixdim_zero_none.nii", nifti1(pixdim=(0, 1, 1), qform=0, sform=0) + ok, "NIfTI-1", "pixdim[1]", "pixdim[1] is zero")
    add("nii1_srow_nan.nii", nifti1(srow=((nan, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0))) + ok, "NIfTI-1", "srow_x", "sform|NaN")
    add("nii1_srow_inf_offset.nii", nifti1(srow=((1, 0, 0, 0), (0, 1, 0, inf), (0, 0, 1, 0))) + ok, "NIfTI-1", "srow_y", "sform|NaN")
    add("nii1_sform_singular.nii", nifti1(srow=((1, 0, 0, 0), (0, 0, 0, 0), (0, 0, 1, 0))) + ok, "NIfTI-1", "srow (singular)",
        "sform|singular")
    add("nii1_sform_parallel.nii", nifti1(srow=((1, 0, 0, 0), (1, 0, 0, 0), (0, 0, 1, 0))) + ok, "NIfTI-1", "srow (parallel axes)",
        "sform|singular")
    add("nii1_quatern_nan.nii", nifti1(qform=1, sform=0, quatern=(nan, 0, 0)) + ok, "NIfTI-1", "quatern_b", "qform|NaN")
    add("nii1_qoffset_inf.nii", nifti1(qform=1, sform=0, qoffset=(0, inf, 0)) + ok, "NIfTI-1", "qoffset_y", "qform|NaN")
    add("nii1_datatype_bad.nii", nifti1(datatype=9999) + ok, "NIfTI-1", "datatype", "datatype")
    add("nii1_datatype_rgb.nii", nifti1(datatype=128, bitpix=24) + ok * 3, "NIfTI-1", "datatype", "datatype|RGB")
    add("nii1_dim_negative.nii", nifti1(dims=(3, 4, -4, 4)) + ok, "NIfTI-1", "dim[2]", "dim[2] = -4|not a positive size")
    add("nii1_dim0_bad.nii", nifti1(dims=(9, 4, 4, 4)) + ok, "NIfTI-1", "dim[0]", "NIfTI")
    add("nii1_sizeof_hdr.nii", struct.pack("<i", 1234) + nifti1()[4:] + ok, "NIfTI-1", "sizeof_hdr", "NIfTI")
    add("nii2_dims_overflow.nii", nifti2(dims=(3, 1 << 40, 1 << 40, 1 << 40)), "NIfTI-2", "dim[1..3]", "dim|overflows")
    add("nii2_voxel_limit.nii", nifti2(dims=(3, 4096, 4096, 4096)), "NIfTI-2", "dim[1..3] (voxel limit)", "dim[1...3]|--max-voxels")
    add("nii2_truncated.nii", nifti2(dims=(3, 64, 64, 64)) + ok, "NIfTI-2", "dim vs file size", "too short|truncated")
    add("nii2_pixdim_nan.nii", nifti2(pixdim=(1, 1, nan), qform=1, sform=0) + ok, "NIfTI-2", "pixdim[3]", "pixdim[3]|not finite")
    add("nii2_srow_nan.nii", nifti2(srow=((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, nan, 0))) + ok, "NIfTI-2", "srow_z", "sform|NaN")
    add("nii2_vox_offset_negative.nii", nifti2(vox_offset=-1 << 62) + ok, "NIfTI-2", "vox_offset", "vox_offset|not a valid data offset")
    # Analyze-style pair: the .img is shorter than the .hdr declares.
    add("pair_short.hdr", nifti1(dims=(3, 16, 16, 16), vox_offset=0.0, magic=b"ni1\0")[:348], "NIfTI-1 pair", "dim vs .img size",
        "too short")
    add("pair_short.img", ok, "NIfTI-1 pair data", "data of pair_short.hdr", "SKIP")


# MARK: NPY / NPZ

def npy(shape, descr="|u1", fortran=False, data=b"", version=1, header_len=None):
    shape_text = "(" + "".join(f"{s}, " for s in shape).rstrip(" ") + ")" if len(shape) != 1 else f"({shape[0]},)"
    if len(shape) > 1:
        shape_text = "(" + ", ".join(str(s) for s in shape) + ")"
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape_text}, }}"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    n = len(header) if header_len is None else header_len
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", n) + header.encode() + data
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", n) + header.encode() + data


def npz(members, compress=True):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            z.writestr(info, data, compresslevel=9)
    return buf.getvalue()


def f64(*v):
    return struct.pack(f"<{len(v)}d", *v)


def make_npz():
    nan = float("nan")
    img = npy((4, 4, 4), data=bytes(rng.randrange(256) for _ in range(64)))
    sp = npy((3,), "<f8", data=f64(1, 1, 1))
    add("npz_shape_overflow.npz", npz([("imgs.npy", npy((4294967296, 4294967296, 4294967296)))]), "NPZ", "shape", "shape|overflows")
    add("npz_voxel_limit.npz", npz([("imgs.npy", npy((2048, 2048, 2048)))]), "NPZ", "shape (voxel limit)", "shape|--max-voxels")
    add("npz_shape_negative.npz", npz([("imgs.npy", npy((-1, 4, 4)))]), "NPZ", "shape", "shape")
    add("npz_shape_text.npz", npz([("imgs.npy", npy(("x", 4, 4)))]), "NPZ", "shape", "shape")
    add("npz_truncated_data.npz", npz([("imgs.npy", npy((64, 64, 64), data=bytes(100)))]), "NPZ", "shape vs member size", "truncated")
    add("npz_zip_bomb.npz", npz([("imgs.npy", npy((8, 8, 8), data=b"\0" * (4 << 20)))]), "NPZ", "member longer than shape",
        "more than|bomb")
    add("npz_ratio.npz", npz([("imgs.npy", npy((1000, 1000, 1000), data=b"\0" * 64))]), "NPZ", "shape vs compressed size",
        "inflate to at most")
    add("npz_header_length.npz", npz([("imgs.npy", npy((4, 4, 4), version=2, header_len=0x7FFFFFF0))]), "NPZ", "npy header length",
        "header length")
    add("npz_bad_magic.npz", npz([("imgs.npy", b"NOTNUMPY" + bytes(64))]), "NPZ", "npy magic", "magic")
    add("npz_dtype_complex.npz", npz([("imgs.npy", npy((4, 4, 4), "<c16", data=bytes(1024)))]), "NPZ", "descr", "dtype")
    add("npz_dtype_int64.npz", npz([("imgs.npy", npy((4, 4, 4), "<i8", data=bytes(512)))]), "NPZ", "descr", "dtype")
    add("npz_fortran.npz", npz([("imgs.npy", npy((4, 4, 4), fortran=True, data=bytes(64)))]), "NPZ", "fortran_order", "Fortran")
    add("npz_shape_4d.npz", npz([("imgs.npy", npy((2, 2, 2, 2), data=bytes(16)))]), "NPZ", "shape (rank)", "shape")
    add("npz_spacing_nan.npz", npz([("imgs.npy", img), ("spacing.npy", npy((3,), "<f8", data=f64(1, nan, 1)))]), "NPZ", "spacing",
        "spacing")
    add("npz_spacing_zero.npz", npz([("imgs.npy", img), ("spacing.npy", npy((3,), "<f8", data=f64(0, 1, 1)))]), "NPZ", "spacing",
        "spacing")
    add("npz_spacing_bomb.npz", npz([("imgs.npy", img), ("spacing.npy", npy((3,), "<f8", data=b"\0" * (4 << 20)))]), "NPZ",
        "spacing member longer than shape", "spacing|more than")
    add("npz_direction_singular.npz", npz([("imgs.npy", img), ("spacing.npy", sp), ("direction.npy", npy((9,), "<f8", data=f64(*[0] * 9))),
                                           ("origin.npy", npy((3,), "<f8", data=f64(0, 0, 0)))]), "NPZ", "direction", "direction|singular")
    add("npz_origin_nan.npz", npz([("imgs.npy", img), ("spacing.npy", sp), ("direction.npy", npy((9,), "<f8", data=f64(1, 0, 0, 0, 1, 0, 0, 0, 1))),
                                   ("origin.npy", npy((3,), "<f8", data=f64(nan, 0, 0)))]), "NPZ", "origin", "origin|NaN")
    add("npz_not_zip.npz", b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(300)), "NPZ", "zip structure", "zip")
    add("npz_no_arrays.npz", npz([("readme.txt", b"hello")]), "NPZ", "members", "no .npy arrays")
    # Members the reader does not need are never inflated: a corrupt / bomb `junk` member next to a
    # valid image reads fine; next to a hostile image, the error names the image.
    junk_bomb = npy((8,), data=b"\0" * (4 << 20))
    add("npz_junk_member_ok.npz", npz([("imgs.npy", img), ("spacing.npy", sp), ("junk.npy", junk_bomb),
                                       ("boxes_junk.npy", b"\x93NUMPY garbage" * 20)]), "NPZ", "unneeded member (never inflated)", "OK")
    add("npz_junk_member_bad_imgs.npz", npz([("junk.npy", junk_bomb), ("imgs.npy", npy((-3, 4, 4)))]), "NPZ",
        "shape (junk member never inflated)", "array `imgs`|shape")


# MARK: DICOM

def make_dicom():
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, CTImageStorage, generate_uid
    pydicom.config.settings.writing_validation_mode = pydicom.config.IGNORE
    pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE

    counter = [0]

    def uid():
        counter[0] += 1
        return f"1.2.826.0.1.3680043.8.498.4242.{counter[0]}"

    def ds(rows=4, cols=4, frames=None, bits=16, spp=1, pixel=None, spacing="0.5\\0.5", iop="1\\0\\0\\0\\1\\0", ipp="0\\0\\0",
           ts=ExplicitVRLittleEndian, photometric="MONOCHROME2"):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = uid()
        meta.TransferSyntaxUID = ts
        d = Dataset()
        d.file_meta = meta
        d.SOPClassUID = CTImageStorage
        d.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        d.StudyInstanceUID = uid()
        d.SeriesInstanceUID = uid()
        d.FrameOfReferenceUID = uid()
        d.Modality = "CT"
        d.InstanceNumber = 1
        d.SeriesNumber = 1
        d.Rows, d.Columns = rows, cols
        d.SamplesPerPixel = spp
        d.PhotometricInterpretation = photometric
        d.BitsAllocated = bits
        d.BitsStored = min(bits, 16) if bits in (8, 16, 32) else 12
        d.HighBit = d.BitsStored - 1
        d.PixelRepresentation = 1
        if frames is not None:
            d.add_new(0x00280008, "IS", frames)
        if spacing is not None:
            d.add_new(0x00280030, "DS", spacing)
        if iop is not None:
            d.add_new(0x00200037, "DS", iop)
        if ipp is not None:
            d.add_new(0x00200032, "DS", ipp)
        if pixel is None:
            pixel = bytes(rows * cols * max(bits // 8, 1) * spp)
        d.add_new(0x7FE00010, "OB" if ts == JPEG2000Lossless else "OW", pixel)
        return d

    def save(name, d, field, expect, patch=None):
        """patch: (placeholder, value) of equal length, replaced in the written bytes (pydicom refuses
        to write values such as `nan` or `many` in DS/IS elements)."""
        buf = io.BytesIO()
        d.save_as(buf, enforce_file_format=True)
        raw = buf.getvalue()
        if patch:
            old, new = (v.encode() for v in patch)
            assert len(old) == len(new) and raw.count(old) == 1, (name, patch)
            raw = raw.replace(old, new)
        add(name, raw, "DICOM", field, expect)

    save("dcm_frames_zero.dcm", ds(frames="0"), "NumberOfFrames (0028,0008)", "NumberOfFrames")
    save("dcm_frames_negative.dcm", ds(frames="-5"), "NumberOfFrames (0028,0008)", "NumberOfFrames")
    save("dcm_frames_text.dcm", ds(frames="9876"), "NumberOfFrames (0028,0008)", "NumberOfFrames", patch=("9876", "many"))
    save("dcm_frames_huge.dcm", ds(frames="2147483647"), "NumberOfFrames vs PixelData", "PixelData|NumberOfFrames")
    save("dcm_rows_cols_huge.dcm", ds(rows=65535, cols=65535, pixel=bytes(128)), "Rows x Columns vs PixelData", "PixelData|holds")
    d = ds(rows=65535, cols=65535, frames="2147483647", pixel=bytes(128))
    d.SamplesPerPixel = 65535
    d.BitsAllocated = 65535
    save("dcm_size_overflow.dcm", d, "Rows x Columns x NumberOfFrames x SamplesPerPixel x BitsAllocated", "overflows")
    # Encapsulated: one empty offset table and one fragment, but a million frames declared.
    from pydicom.encaps import encapsulate
    d = ds(frames="1000000", ts=JPEG2000Lossless, pixel=encapsulate([bytes(16)]))
    d["PixelData"].is_undefined_length = True
    save("dcm_encapsulated_frames.dcm", d, "NumberOfFrames vs fragments", "NumberOfFrames|fragment")
    save("dcm_pixelspacing_zero.dcm", ds(spacing="0\\0.5"), "PixelSpacing (0028,0030)", "PixelSpacing|positive")
    save("dcm_pixelspacing_negative.dcm", ds(spacing="-0.5\\0.5"), "PixelSpacing (0028,0030)", "PixelSpacing|positive")
    save("dcm_pixelspacing_nan.dcm", ds(spacing="0.123\\0.5"), "PixelSpacing (0028,0030)", "PixelSpacing", patch=("0.123", "nan  "))
    save("dcm_pixelspacing_text.dcm", ds(spacing="0.1234\\0.2345"), "PixelSpacing (0028,0030)", "PixelSpacing",
         patch=("0.1234\\0.2345", "wide  \\tall  "))
    save("dcm_pixelspacing_one_value.dcm", ds(spacing="0.5"), "PixelSpacing (0028,0030)", "PixelSpacing")
    save("dcm_iop_zero.dcm", ds(iop="0\\0\\0\\0\\0\\0"), "ImageOrientationPatient (0020,0037)", "ImageOrientationPatient")
    save("dcm_iop_parallel.dcm", ds(iop="1\\0\\0\\1\\0\\0"), "ImageOrientationPatient (0020,0037)", "ImageOrientationPatient|orthogonal")
    save("dcm_iop_nan.dcm", ds(iop="0.75\\0\\0\\0\\1\\0"), "ImageOrientationPatient (0020,0037)", "ImageOrientationPatient", patch=("0.75", "nan "))
    save("dcm_iop_inf.dcm", ds(iop="1\\0\\0\\0\\0.25\\0"), "ImageOrientationPatient (0020,0037)", "ImageOrientationPatient", patch=("0.25", "inf "))
    save("dcm_ipp_nan.dcm", ds(ipp="0\\12.5\\0"), "ImagePositionPatient (0020,0032)", "ImagePositionPatient", patch=("12.5", "nan "))
    save("dcm_bits_allocated_12.dcm", ds(bits=12, pixel=bytes(32)), "BitsAllocated (0028,0100)", "BitsAllocated")
    save("dcm_spp_3.dcm", ds(spp=3, photometric="RGB", bits=8), "SamplesPerPixel (0028,0002)", "SamplesPerPixel")
    # Pixel Data element longer than the file.
    d = ds()
    buf = io.BytesIO()
    d.save_as(buf, enforce_file_format=True)
    raw = buf.getvalue()
    i = raw.rfind(b"\xe0\x7f\x10\x00")
    raw = raw[:i + 8] + struct.pack("<I", 1 << 30) + raw[i + 12:]
    add("dcm_pixeldata_length.dcm", raw, "DICOM", "PixelData (7FE0,0010) length", "truncated|PixelData|DICOM")


def make_big_bombs(folder):
    """~1 MB inputs that inflate to 1 GiB (for the RSS check; not committed)."""
    os.makedirs(folder, exist_ok=True)
    gib = 1 << 30
    with open(os.path.join(folder, "big_bomb.nrrd"), "wb") as f:
        f.write(nrrd(nrrd_fields(sizes="8 8 8", encoding="gzip"), zeros_gz(gib)))
    with open(os.path.join(folder, "big_bomb.nii.gz"), "wb") as f:
        f.write(zeros_gz_prefixed(nifti1(dims=(3, 8, 8, 8)), gib))
    for name, members in [("big_bomb.npz", [("imgs.npy", (8, 8, 8))]),
                          ("big_junk.npz", [("imgs.npy", (4, 4, 4)), ("junk.npy", (8,))])]:
        with zipfile.ZipFile(os.path.join(folder, name), "w", zipfile.ZIP_DEFLATED) as z:
            for member, shape in members:
                info = zipfile.ZipInfo(member, date_time=(2024, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with z.open(info, "w", force_zip64=True) as w:
                    w.write(npy(shape))
                    extra = gib if (name == "big_bomb.npz" or member == "junk.npy") else 64
                    chunk = b"\0" * (1 << 20)
                    for _ in range(extra >> 20):
                        w.write(chunk)
                    w.write(b"\0" * (extra & ((1 << 20) - 1)))


def zeros_gz_prefixed(prefix, n):
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(prefix)]
    chunk = b"\0" * (1 << 20)
    for _ in range(n >> 20):
        out.append(c.compress(chunk))
    out.append(c.flush())
    return b"".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--big-bombs", metavar="DIR")
    ap.add_argument("--no-corpus", action="store_true", help="only write the big bombs")
    args = ap.parse_args()
    if not args.no_corpus:
        os.makedirs(OUT, exist_ok=True)
        for name in os.listdir(OUT):
            os.remove(os.path.join(OUT, name))
        make_nrrd()
        make_nifti()
        make_npz()
        make_dicom()
        with open(os.path.join(OUT, "MANIFEST.tsv"), "w") as f:
            f.write("# Hostile-header corpus (generated by scripts/make-hostile-corpus.py; do not edit).\n")
            f.write("# file\tformat\tattacked field\texpected words in the error (|-separated, case-insensitive; OK = reads fine; SKIP = data of another entry)\n")
            for row in manifest:
                f.write("\t".join(row) + "\n")
        big = max(os.path.getsize(os.path.join(OUT, r[0])) for r in manifest)
        tested = sum(1 for r in manifest if r[3] != "SKIP")
        print(f"{tested} corpus entries ({len(manifest)} files) in {OUT}; largest {big} bytes")
    if args.big_bombs:
        make_big_bombs(args.big_bombs)
        for name in sorted(os.listdir(args.big_bombs)):
            print(f"{name}: {os.path.getsize(os.path.join(args.big_bombs, name))} bytes")


if __name__ == "__main__":
    sys.exit(main())
