#!/usr/bin/env python3
"""Writes the synthetic seeds of Fuzz/corpus (standard library only; run from anywhere):
npy arrays taken out of SampleData's npz files, torch.save-shaped checkpoints and pickles made
with the pickle module (no torch needed), and prompts files in the documented formats."""
import io, os, pickle, struct, zipfile, collections

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))

def out(target, name, data):
    os.makedirs(os.path.join(here, target), exist_ok=True)
    with open(os.path.join(here, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

# --- npy: members of the sample npz files (small ones only)
for case in ("3DBox_MR_brain2", "3DBox_CT_TSsmall"):
    for npz in ("gts", "reference_segs", "img"):
        p = os.path.join(repo, "SampleData", "reference", case, npz + ".npz")
        with zipfile.ZipFile(p) as z:
            for m in z.namelist():
                b = z.read(m)
                if len(b) <= 4096:
                    out("npy", f"sampledata-{case}-{npz}-{m}", b)

def npy(dtype, shape, body, fortran=False, version=(1, 0)):
    hdr = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (dtype, fortran, repr(tuple(shape)))
    pre = 10 if version[0] == 1 else 12
    pad = 64 - (pre + len(hdr) + 1) % 64
    hdr = hdr + " " * pad + "\n"
    size = struct.pack("<H", len(hdr)) if version[0] == 1 else struct.pack("<I", len(hdr))
    return b"\x93NUMPY" + bytes(version) + size + hdr.encode("latin1") + body
out("npy", "synthetic-u1-2x3x4.npy", npy("|u1", (2, 3, 4), bytes(range(24))))
out("npy", "synthetic-f4be-2x2.npy", npy(">f4", (2, 2), struct.pack(">4f", 1, 2, 3, 4)))
out("npy", "synthetic-i2-v2.npy", npy("<i2", (3,), struct.pack("<3h", -1, 0, 1), version=(2, 0)))
out("npy", "synthetic-f8-v3.npy", npy("<f8", (1, 2), struct.pack("<2d", 0.5, -0.5), version=(3, 0)))

# --- checkpoints: torch.save's zip layout; the pickle refers to storages by persistent id.
class FloatStorage: pass
FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
class HalfStorage: pass
HalfStorage.__module__, HalfStorage.__qualname__ = "torch", "HalfStorage"
def _rebuild_tensor_v2(*a): pass
_rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"

class Storage:
    def __init__(self, cls, key, n): self.cls, self.key, self.n = cls, key, n

class Tensor:
    def __init__(self, storage, offset, shape, stride): self.a = (storage, offset, shape, stride)
    def __reduce_ex__(self, proto):
        s, off, shape, stride = self.a
        return (_rebuild_tensor_v2, (s, off, tuple(shape), tuple(stride), False, collections.OrderedDict()))

class P(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage): return ("storage", obj.cls, obj.key, "cpu", obj.n)
        return None

import sys
sys.modules.setdefault("torch", type(sys)("torch")).FloatStorage = FloatStorage
sys.modules["torch"].HalfStorage = HalfStorage
sys.modules.setdefault("torch._utils", type(sys)("torch._utils"))._rebuild_tensor_v2 = _rebuild_tensor_v2

def dumps(obj):
    f = io.BytesIO(); P(f, protocol=2).dump(obj); return f.getvalue()

s0, s1 = Storage(FloatStorage, "0", 16), Storage(HalfStorage, "1", 12)
sd = collections.OrderedDict()
sd["conv.weight"] = Tensor(s0, 0, (2, 2, 2, 2), (8, 4, 2, 1))
sd["conv.bias"] = Tensor(s0, 4, (2,), (1,))
sd["norm.weight"] = Tensor(s1, 0, (3, 4), (4, 1))
sd["norm.num_batches_tracked"] = Tensor(s0, 15, (), ())
small = collections.OrderedDict([("w", Tensor(s0, 0, (4, 4), (1, 4)))])  # transposed strides
pickles = {"state_dict": sd, "small": small,
           "training": {"model": sd, "epoch": 3, "lr": 0.5, "name": "lite", "flags": [True, False, None]}}
for name, obj in pickles.items():
    p = dumps(obj)
    out("pickle", name + ".pkl", p)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", p)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/data/0", struct.pack("<16f", *range(16)))
        z.writestr("archive/data/1", bytes(24))
        z.writestr("archive/version", "3\n")
    out("checkpoint", name + ".pth", buf.getvalue())

# --- prompts
out("prompts-json", "studies.json", """{"studies": [
  {"study": "case01", "series": "1.2.3", "image": "ct.nii.gz",
   "objects": [{"name": "liver", "label": 1, "box": [10, 20, 0, 60, 80, 29], "color": [255, 0, 0], "key_slice": 12},
               {"name": "spleen", "box_mm": [-100.5, 20, -30, 10, 80.25, 29]},
               {"from_mask": "masks/case01.nrrd", "mask_label": 3, "label": 3}]},
  {"study": "case02", "objects": []}
]}
""")
out("prompts-json", "mapping.json", """{"case01": {"objects": [{"name": "kidney", "label": 2, "box": [1, 2, 3, 4, 5, 6]}]},
 "case02": {"series": "1.2.840.1", "objects": []}}
""")
out("prompts-json", "list.json", """[{"study": "a", "objects": [{"box": [0, 0, 0, 1, 1, 1]}]}]""")
out("prompts-csv", "rows.csv", """study,series,image,name,label,box,box_mm,from_mask,mask_label,key_slice,color
case01,1.2.3,ct.nii.gz,liver,1,"10,20,0,60,80,29",,,,12,255 0 0
case01,,,spleen,2,,-100.5 20 -30 10 80.25 29,,,,
case01,,,lesion,3,,,masks/case01.nrrd,3,,
case02,,,,,,,,,,
""")
out("prompts-csv", "short.csv", "name,study,box\nliver,a,1 2 3 4 5 6\n")
out("segment-prompts", "objects.json", """{"objects": [{"name": "liver", "label": 1, "box": [10, 20, 0, 60, 80, 29]},
  {"name": "spleen", "label": 2, "box_mm": [-10.5, 2, 3, 40, 50, 60.75], "color": [0, 128, 255], "key_slice": 4},
  {"name": "tumour", "from_mask": "mask.nii.gz", "mask_label": 2}]}
""")
out("segment-prompts", "bare-list.json", """[{"box": [0, 0, 0, 5, 5, 5]}]""")

# --- npz: a tiny CVPR24 case (imgs, boxes, spacing), stored and deflated
for method, tag in ((zipfile.ZIP_STORED, "stored"), (zipfile.ZIP_DEFLATED, "deflated")):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        z.writestr("imgs.npy", npy("|u1", (3, 8, 8), bytes((i * 7) % 256 for i in range(192))))
        z.writestr("boxes.npy", npy("<i8", (1, 6), struct.pack("<6q", 1, 1, 0, 6, 6, 2)))
        z.writestr("spacing.npy", npy("<f8", (3,), struct.pack("<3d", 3.0, 0.8, 0.8)))
    out("npz", f"synthetic-small-{tag}.npz", buf.getvalue())
