#!/usr/bin/env bash
# The whole test suite, set-up included: npm dependencies, build, the real engines and models
# (installed through the product into the test cache, kept after the first run), then every test.
# Fails loudly if an engine cannot be prepared. With arguments, they go to vitest (after the same
# set-up) and only those tests run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules/.bin ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
bash scripts/install-browser.sh  # Debian chromium for the console's browser test
CACHE="${AUTOBYTEUS_TEST_CACHE:-$HOME/.cache/autobyteus-test}"

if (($#)); then
  bash scripts/prepare-test-engines.sh
  exec npx vitest run "$@"
fi

# The full suite builds llama.cpp exactly once: in the cold `up` test (an empty home and an empty
# build cache, as on a fresh machine), which runs first. Its build cache is then handed to the test
# cache, so preparing the suite's llama-server through the product is a copy, not a second build.
UP_TEST=packages/autobyteus-server/test/e2e/up.e2e.test.ts
COLD="$CACHE/cold-up-build-cache"
rm -rf "$COLD"
STEPS="model mlx" bash scripts/prepare-test-engines.sh
# A failing `up` test still lets the rest run (prepare then builds llama-server itself if it has to).
up_status=0
AUTOBYTEUS_COLD_UP_BUILD_CACHE="$COLD" npx vitest run "$UP_TEST" || up_status=$?
mkdir -p "$CACHE/build-cache"
for built in "$COLD"/llama-server-*; do
  if [[ -e "$built" && ! -e "$CACHE/build-cache/${built##*/}" ]]; then mv "$built" "$CACHE/build-cache/"; fi
done
rm -rf "$COLD"
STEPS="llama extra-models clients" bash scripts/prepare-test-engines.sh
bash scripts/install-deploy-tools.sh  # helm + kubernetes-validate for test/deploy (the tests also run it)
npx vitest run --exclude "$UP_TEST"
exit "$up_status"
