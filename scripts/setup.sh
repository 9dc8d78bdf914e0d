#!/usr/bin/env bash
# Install every Debian package vigie needs to build, test and demo.
# Idempotent: only missing packages are installed.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libpcap-dev libndpi-dev libndpi-bin libmaxminddb-dev libhiredis-dev
  libyaml-dev libcmocka-dev libssl-dev
  redis-server redis-tools tshark tcpreplay jq python3-scapy python3-yaml
  libmaxmind-db-writer-perl iproute2 procps time chromium
  python3-jsonschema adduser systemd man-db logrotate
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
# tshark asks whether non-root users may capture; answer non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
