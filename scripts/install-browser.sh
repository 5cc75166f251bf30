#!/usr/bin/env bash
# Makes sure Debian's chromium is there for the web console's browser test
# (packages/autobyteus-server/test/e2e/console.e2e.test.ts drives it with playwright-core; Playwright's
# own browser download is not used). Installs it with apt-get when missing and running as root;
# otherwise exits non-zero saying what to do. CHROMIUM_PATH overrides /usr/bin/chromium.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
log() { printf '[install-browser] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

if [[ -x "$CHROMIUM" ]]; then
  log "chromium at $CHROMIUM"
  exit 0
fi
[[ -n "${CHROMIUM_PATH:-}" ]] && die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable"
command -v apt-get >/dev/null || die "chromium is missing and there is no apt-get: install Chromium and set CHROMIUM_PATH"
[[ "$(id -u)" -eq 0 ]] || die "chromium is missing: run 'sudo apt-get install -y chromium' (or set CHROMIUM_PATH)"
log "installing chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q >&2 || die "apt-get update failed"
apt-get -o DPkg::Lock::Timeout=600 install -y -q chromium >&2 || die "apt-get install chromium failed"
[[ -x "$CHROMIUM" ]] || die "apt-get installed chromium but $CHROMIUM is not there"
log "chromium at $CHROMIUM"
