#!/usr/bin/env bash
# The whole test suite, set-up included: npm dependencies, build, the real engines and models
# (cached after the first run), then every test. Fails loudly if an engine cannot be prepared.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules/.bin ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
bash scripts/prepare-test-engines.sh
npx vitest run "$@"
