#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing.
# Playwright cannot download its own browsers on this network, so the tests launch
# /usr/bin/chromium instead. Without root (or sudo) this only warns: the browser tests
# then skip locally, and fail on CI.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "warning: Chromium is missing and this user cannot install it (apt-get install chromium)" >&2
  exit 0
fi
echo "installing Debian's chromium for the browser tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
