#!/usr/bin/env bash
# The Python client packages the e2e tests run against the gateway
# (packages/autobyteus-server/test/e2e/python/*.py): a venv of their own under the test cache,
# $AUTOBYTEUS_TEST_CACHE/clients-venv, with the pinned `openai` package from PyPI. Kept apart from
# the MLX venv, which the product installs and owns. A venv that already has the pin is kept (a
# second run costs a second); a missing or different one is made anew. Prints the venv's python.
set -euo pipefail

CACHE="${AUTOBYTEUS_TEST_CACHE:-$HOME/.cache/autobyteus-test}"
VENV="$CACHE/clients-venv"
OPENAI_PIN="openai==3.57.0"

log() { printf '[prepare-python-clients] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

has_pin() {
  "$VENV/bin/python" -c 'import importlib.metadata as m, sys, openai; sys.exit(m.version("openai") != sys.argv[1])' \
    "${OPENAI_PIN#openai==}" 2>/dev/null
}

if has_pin; then
  log "python clients venv at $VENV ($OPENAI_PIN)"
else
  log "creating $VENV with $OPENAI_PIN (pip)"
  mkdir -p "$CACHE"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "python3 -m venv $VENV failed (is python3-venv installed?)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$OPENAI_PIN" >&2 \
    || die "pip install $OPENAI_PIN failed (is PyPI reachable?)"
  has_pin || die "$OPENAI_PIN does not import with $VENV/bin/python after pip install"
fi
printf '%s\n' "$VENV/bin/python"
