#!/usr/bin/env bash
# Installs the independent readers the interoperability tests check VoxSAM's exports with, and the peers
# the server and PACS tests talk to (Orthanc + its DICOMweb plugin, MONAI Label's client):
# dicom3tools (dciodvfy) and dcm2niix (the DICOM conversion benchmark's peer) from Debian, and pydicom, highdicom, SimpleITK, nibabel, pynrrd and
# slicerio from PyPI, ctk-cli (the Slicer Execution Model parser the CLI-module test uses) and MONAI Label's
# Python client (the `voxsam serve` tests; monailabel without its dependencies: the client needs only requests) (pinned). Test-only: VoxSAM itself needs none of them. Idempotent.
set -euo pipefail
# dicom3tools (dciodvfy) and GNU time (/usr/bin/time -v: peak RSS in scripts/hostile-corpus.sh).
missing=()
command -v dciodvfy >/dev/null 2>&1 || missing+=(dicom3tools)
command -v dcm2niix >/dev/null 2>&1 || missing+=(dcm2niix)
[ -x /usr/bin/time ] || missing+=(time)
# Orthanc with its DICOMweb plugin (the PACS of PACSTests) and DCMTK's storescu (feeds it).
[ -x /usr/sbin/Orthanc ] || missing+=(orthanc)
[ -f /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || missing+=(orthanc-dicomweb)
command -v storescu >/dev/null 2>&1 || missing+=(dcmtk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-interop: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
pins=(pydicom==3.0.2 highdicom==0.28.2 SimpleITK==2.5.7 nibabel==5.4.2 pynrrd==1.1.3 slicerio==1.4.0 ctk-cli==1.5)
if ! python3 - "${pins[@]}" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    assert version(name) == want, pin
PY
then
  echo "setup-interop: pip install ${pins[*]}" >&2
  python3 -m pip install -q --disable-pip-version-check "${pins[@]}"
fi
# MONAI Label's client: its package without dependencies (torch, monai… are for its server), plus requests.
if ! python3 -c 'from importlib.metadata import version; assert version("monailabel") == "0.8.5"; import requests' >/dev/null 2>&1; then
  echo "setup-interop: pip install --no-deps monailabel==0.8.5; pip install requests" >&2
  python3 -m pip install -q --disable-pip-version-check --no-deps monailabel==0.8.5
  python3 -m pip install -q --disable-pip-version-check "requests>=2.31,<3"
fi
python3 -c 'from monailabel.client import MONAILabelClient' >/dev/null
