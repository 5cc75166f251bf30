#!/usr/bin/env bash
# Smoke test of built images, on loopback only: the llama.cpp image serves a GGUF model, the server
# image in front of it answers /api/health (its HEALTHCHECK command) and an OpenAI chat with the
# token, and llama-server answers a chat through two rpc-server containers (llama.cpp's RPC
# backend). All containers share the server container's network namespace; only the server's port
# is published, on 127.0.0.1.
#
# usage: deploy/smoke-test-images.sh <server image> <llama image> <model.gguf>
# CONTAINER=docker to use Docker instead of Podman. Not part of `npm test` (it needs built images;
# see docs/deploy.md).
set -euo pipefail

SERVER_IMAGE="${1:?usage: smoke-test-images.sh <server image> <llama image> <model.gguf>}"
LLAMA_IMAGE="${2:?usage: smoke-test-images.sh <server image> <llama image> <model.gguf>}"
MODEL="$(readlink -f "${3:?usage: smoke-test-images.sh <server image> <llama image> <model.gguf>}")"
CONTAINER="${CONTAINER:-podman}"
PORT="${SMOKE_PORT:-18765}"
TOKEN="smoke-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
NAME="autobyteus-smoke-$$"
STARTED=()

log() { printf '[smoke-test-images] %s\n' "$*" >&2; }
die() {
  log "FAILED: $*"
  for c in "${STARTED[@]}"; do "$CONTAINER" logs --tail 20 "$c" >&2 2>&1 || true; done
  exit 1
}
# Newest first: the server container's network namespace is shared with the others.
cleanup() {
  local i
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    timeout 60 "$CONTAINER" rm -f -t 5 "${STARTED[i]}" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

# Runs a container detached; extra arguments go to `run` before the image.
start() {
  local name="$1"
  shift
  "$CONTAINER" run -d --name "$name" "$@" >/dev/null || die "could not start $name"
  STARTED+=("$name")
}

# Waits until a command succeeds (bounded: 120 tries, 1 s apart).
wait_for() {
  local what="$1" i
  shift
  for ((i = 0; i < 120; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "$what did not come up"
}

# True when a TCP port accepts connections inside the shared network namespace.
port_open() {
  "$CONTAINER" exec "$NAME-server" node -e \
    'require("net").connect(Number(process.argv[1]), "127.0.0.1").on("connect", () => process.exit(0)).on("error", () => process.exit(1))' "$1"
}

chat() {
  curl -fsS --max-time 60 "http://127.0.0.1:$PORT/v1/chat/completions" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}],\"max_tokens\":8}"
}

log "engine binaries in $LLAMA_IMAGE"
"$CONTAINER" run --rm "$LLAMA_IMAGE" --version >&2 || die "llama-server --version failed"
"$CONTAINER" run --rm --entrypoint tini "$LLAMA_IMAGE" -- rpc-server --help 2>&1 | grep -q -- '--host' \
  || die "rpc-server is missing from $LLAMA_IMAGE"

# The server, as the image starts it (serve --host 0.0.0.0, ALLOW_REMOTE), with a llama.cpp host in
# its network namespace.
start "$NAME-server" -p "127.0.0.1:$PORT:8765" -e AUTOBYTEUS_API_TOKEN="$TOKEN" \
  -e LLAMACPP_HOSTS=http://127.0.0.1:8080 -e AUTOBYTEUS_HEALTH_INTERVAL_MS=1000 \
  -e LMSTUDIO_HOSTS= -e OLLAMA_HOSTS= "$SERVER_IMAGE"
start "$NAME-llama" --network "container:$NAME-server" -v "$MODEL:/models/model.gguf:ro" \
  "$LLAMA_IMAGE" --host 127.0.0.1 --port 8080 -m /models/model.gguf -c 512 -t 2
wait_for "the server" curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/health"
"$CONTAINER" exec "$NAME-server" node /app/deploy/healthcheck.mjs || die "the image's health check failed"
status="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/health")"
[[ "$status" == 401 ]] || die "/api/health without the token answered $status, not 401"
log "server up, health check passes, token required"

wait_for "the model on the llama.cpp host" bash -c \
  "curl -fsS -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:$PORT/v1/models | grep -q llama_cpp@127.0.0.1:8080"
model="$(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/v1/models" \
  | grep -o '"id":"[^"]*llama_cpp@127.0.0.1:8080"' | head -1 | cut -d'"' -f4)"
answer="$(chat "$model")" || die "chat through the server failed"
[[ "$answer" == *'"choices"'* ]] || die "chat answer has no choices: $answer"
log "chat through the server to the llama.cpp container: ok ($model)"

# llama.cpp RPC: two rpc-server workers, llama-server offloading to both.
start "$NAME-rpc1" --network "container:$NAME-server" --entrypoint tini "$LLAMA_IMAGE" -- rpc-server -H 127.0.0.1 -p 50052 -t 1
start "$NAME-rpc2" --network "container:$NAME-server" --entrypoint tini "$LLAMA_IMAGE" -- rpc-server -H 127.0.0.1 -p 50053 -t 1
wait_for "rpc-server 1" port_open 50052
wait_for "rpc-server 2" port_open 50053
start "$NAME-llama-rpc" --network "container:$NAME-server" -v "$MODEL:/models/model.gguf:ro" \
  "$LLAMA_IMAGE" --host 127.0.0.1 --port 8081 -m /models/model.gguf -c 512 -t 1 \
  --rpc 127.0.0.1:50052,127.0.0.1:50053 -ngl 99 -lv 4
wait_for "llama-server with --rpc" "$CONTAINER" exec "$NAME-server" node -e \
  'fetch("http://127.0.0.1:8081/health").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))'
rpc_answer="$("$CONTAINER" exec "$NAME-server" node -e '
  fetch("http://127.0.0.1:8081/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "Say hi" }], max_tokens: 8 }) })
    .then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { console.error(e); process.exit(1); });')" \
  || die "chat with llama-server over rpc failed"
[[ "$rpc_answer" == *'"choices"'* ]] || die "rpc chat answer has no choices: $rpc_answer"
rpc_log="$("$CONTAINER" logs "$NAME-llama-rpc" 2>&1)"
for device in 'RPC0 (127.0.0.1:50052)' 'RPC1 (127.0.0.1:50053)'; do
  [[ "$rpc_log" == *"using device $device"* ]] || die "llama-server did not use device $device"
done
[[ "$rpc_log" =~ offloaded\ ([0-9]+)/([0-9]+)\ layers ]] && [[ "${BASH_REMATCH[1]}" == "${BASH_REMATCH[2]}" ]] \
  || die "llama-server did not offload every layer to the rpc-server devices"
# Stops within the grace period: tini forwards SIGTERM to rpc-server.
timeout 30 "$CONTAINER" stop -t 20 "$NAME-rpc2" >/dev/null || die "rpc-server did not stop on SIGTERM"
log "chat with llama-server over two rpc-server workers: ok"
log "passed"
