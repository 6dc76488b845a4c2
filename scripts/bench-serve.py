#!/usr/bin/env python3
"""Benchmark of `voxsam serve` through MONAI Label's own Python client (the code its 3D Slicer plugin uses).

Starts `.build/release/voxsam serve` on a free port (the user path: the same job, thread set-up and session
cache), then measures:
  1. first and second `infer` on a freshly uploaded image (second: another ROI on the same slices), median of
     --runs runs; target: second <= 0.3x first;
  2. 8 concurrent clients x 5 requests, each client on its own uploaded image; every returned label map is
     compared with `voxsam segment` on the same box; p50/p95 latency.
Prints the CPU model and flags, OpenBLAS core, threads and load average.

Needs: the LiteMedSAM checkpoint (voxsam model fetch), `pip install --no-deps monailabel==0.8.5` + requests,
nibabel and numpy (scripts/setup-interop.sh). Usage: scripts/bench-serve.py [--runs 3] [--clients 8] [--requests 5]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import nibabel
import numpy
from monailabel.client import MONAILabelClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXE = os.path.join(ROOT, ".build/release/voxsam")
IMAGE = os.path.join(ROOT, "SampleData/ct/example_ct_sm.nii.gz")
# Boxes on example_ct_sm.nii.gz as voxsam segment takes them (x0,y0,z0,x1,y1,z1, inclusive); the first two
# lie on the same slices (the second infer then needs no encoder pass).
BOXES = [
    ("liver", [44, 25, 11, 105, 83, 17]),
    ("spleen", [10, 22, 12, 34, 54, 15]),
    ("liver_small", [50, 30, 12, 100, 80, 16]),
    ("right", [60, 20, 11, 110, 70, 17]),
    ("left", [5, 20, 12, 40, 60, 16]),
]


def roi(box):
    """voxsam's box -> MONAI Label's [i0, i1, j0, j1, k0, k1]."""
    return [box[0], box[3], box[1], box[4], box[2], box[5]]


def cpu_facts():
    model, flags = "?", set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and model == "?":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    wanted = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile"]
    return model, " ".join(f for f in wanted if f in flags)


def start_server(folder):
    out = open(os.path.join(folder, "serve.out"), "w+")
    err = open(os.path.join(folder, "serve.err"), "w+")
    proc = subprocess.Popen([EXE, "serve", "--port", "0", "--datastore", os.path.join(folder, "datastore"), "--max-images", "10"],
                            stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        out.seek(0)
        text = out.read()
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+) \((.*)\)", text)
        if m:
            return proc, m.group(1), m.group(2)
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    err.seek(0)
    sys.exit("voxsam serve did not start: " + err.read())


def expected_masks(folder):
    masks = {}
    for name, box in BOXES:
        out = os.path.join(folder, f"segment-{name}.nii.gz")
        subprocess.run([EXE, "segment", IMAGE, "-o", out, "--box", ",".join(map(str, box)), "--name", name],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        masks[name] = numpy.asarray(nibabel.load(out).dataobj)
    return masks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=5)
    a = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="voxsam-bench-serve-")
    model, flags = cpu_facts()
    print(f"cpu: {model}; flags: {flags}; cores: {os.cpu_count()}")
    print(f"load average at start: {' '.join('%.2f' % x for x in os.getloadavg())}")
    proc, url, facts = start_server(folder)
    print(f"server: {facts}")
    try:
        masks = expected_masks(folder)

        def infer(client, image_id, name, box):
            tmp = tempfile.mkdtemp(dir=folder)
            client._tmpdir = tmp
            t = time.perf_counter()
            f, params = client.infer("voxsam", image_id, {"roi": roi(box), "label": name})
            seconds = time.perf_counter() - t
            ok = numpy.array_equal(numpy.asarray(nibabel.load(f).dataobj) > 0, masks[name] > 0)
            shutil.rmtree(tmp)
            return seconds, params, ok

        # 1. First and second infer on a fresh image.
        firsts, seconds_, ratios = [], [], []
        for r in range(a.runs):
            c = MONAILabelClient(url, tmpdir=folder)
            c.upload_image(IMAGE, f"run{r}")
            t1, p1, ok1 = infer(c, f"run{r}", *BOXES[0])
            t2, p2, ok2 = infer(c, f"run{r}", *BOXES[1])
            assert ok1 and ok2, "a label map differs from voxsam segment's"
            firsts.append(t1); seconds_.append(t2); ratios.append(t2 / t1)
            print(f"run {r + 1}: first {t1:.2f} s ({p1['encoded_slices']} slices encoded), second {t2:.3f} s "
                  f"({p2['encoded_slices']} encoded, {p2['cached_slices']} from the session): {t2 / t1:.3f}x")
        print(f"first infer: median {statistics.median(firsts):.2f} s; second infer: median {statistics.median(seconds_):.3f} s; "
              f"ratio median {statistics.median(ratios):.3f}x (target <= 0.3x)")

        # 2. Concurrent clients, each on its own image.
        for i in range(a.clients):
            MONAILabelClient(url, tmpdir=folder).upload_image(IMAGE, f"client{i}")
        latencies, failures, lock = [], [], threading.Lock()

        def client_loop(i):
            c = MONAILabelClient(url, tmpdir=folder)
            for n in range(a.requests):
                name, box = BOXES[n % len(BOXES)]
                try:
                    t, _, ok = infer(c, f"client{i}", name, box)
                    with lock:
                        latencies.append(t)
                        if not ok:
                            failures.append(f"client {i} request {n}: mask differs")
                except Exception as e:  # noqa: BLE001 (reported below)
                    with lock:
                        failures.append(f"client {i} request {n}: {e}")

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(a.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        lat = sorted(latencies)
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))] if lat else float("nan")
        print(f"{a.clients} clients x {a.requests} requests: {len(latencies)} completed, {len(failures)} failed, "
              f"{sum(1 for _ in lat)} masks checked against voxsam segment; wall {wall:.1f} s; "
              f"latency p50 {statistics.median(lat):.2f} s, p95 {p95:.2f} s, max {lat[-1]:.2f} s")
        for f in failures:
            print("FAILED:", f)
        print(f"load average at end: {' '.join('%.2f' % x for x in os.getloadavg())}")
        return 1 if failures else 0
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
