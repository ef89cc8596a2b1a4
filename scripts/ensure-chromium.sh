#!/usr/bin/env bash
# Makes sure Debian's chromium is at /usr/bin/chromium for the browser tests (test/web); installs it
# with apt-get when it is missing (CI on a fresh machine runs as root). Prints where it is.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"; exit 0; fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "chromium: missing and not root; install Debian's chromium package" >&2; exit 1
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "chromium: installing Debian's chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
# Korean glyphs for the Korean pages and screenshots (not needed for the tests to pass)
as_root apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null ||
  echo "chromium: fonts-noto-cjk not installed; Korean text may show as boxes" >&2
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo installed)"
