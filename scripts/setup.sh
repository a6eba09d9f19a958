#!/usr/bin/env bash
# Installs the Debian packages cai builds with, when any is missing (apt-get; sudo if not root).
set -euo pipefail
# python3-yaml and python3-numpy: the output-contract tests (tests/contract.py) parse the card
# and fit a reward model with them.
pkgs=(build-essential g++ groff-base cmake pkg-config libcjson-dev libcurl4-openssl-dev zlib1g-dev check libssl-dev
      python3 python3-yaml python3-numpy ${CAI_EXTRA_PACKAGES:-})
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
