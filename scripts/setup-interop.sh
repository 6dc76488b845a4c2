#!/usr/bin/env bash
# Installs the independent readers the interoperability tests check VoxSAM's exports with:
# dicom3tools (dciodvfy) and dcm2niix (the DICOM conversion benchmark's peer) from Debian, and pydicom, highdicom, SimpleITK, nibabel, pynrrd and
# slicerio from PyPI, and ctk-cli (the Slicer Execution Model parser the CLI-module test uses) (pinned). Test-only: VoxSAM itself needs none of them. Idempotent.
set -euo pipefail
# dicom3tools (dciodvfy) and GNU time (/usr/bin/time -v: peak RSS in scripts/hostile-corpus.sh).
missing=()
command -v dciodvfy >/dev/null 2>&1 || missing+=(dicom3tools)
command -v dcm2niix >/dev/null 2>&1 || missing+=(dcm2niix)
[ -x /usr/bin/time ] || missing+=(time)
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
