#!/usr/bin/env bash
# Debian packages paylab needs outside Python: chromium (browser suites, report screenshots)
# ffmpeg (Playwright video), wrk (load/bench.py) and prometheus (promtool: the alert rules' test). Idempotent; uses sudo when not root.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)  # promtool checks the shipped alerting rules
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)  # Chinese on the cashier screenshots
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "paylab: please install ${missing[*]} with your package manager" >&2
  exit 1
fi
echo "paylab: installing ${missing[*]} (apt)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
