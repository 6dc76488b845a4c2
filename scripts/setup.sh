#!/usr/bin/env bash
# Installs the Debian packages VoxSAM builds against. Idempotent: quiet when everything is there,
# `apt-get update` once and one `apt-get install` otherwise.
set -euo pipefail
packages=(libdcmtk-dev dcmtk libnifti2-dev libopenblas-dev libpng-dev libopenjp2-7-dev zlib1g-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
