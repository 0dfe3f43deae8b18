#!/usr/bin/env bash
# Installs a tool from Debian's packages when it is missing:
#   tools/install_debian_tool.sh BINARY PACKAGE [PACKAGE...]
# Used for Chromium (browser tests; Playwright cannot download browsers on this network)
# and wrk (the voting benchmark). Without root or sudo it only warns: what needs the tool
# then skips locally, and fails on CI.
set -euo pipefail
binary="$1"; shift
if [ -x "$binary" ] || command -v "$binary" >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "warning: $binary is missing and this user cannot install it (apt-get install $*)" >&2
  exit 0
fi
echo "installing Debian's $* ..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
