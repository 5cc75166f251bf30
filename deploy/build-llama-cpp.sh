#!/usr/bin/env bash
# Builds llama-server, rpc-server and llama-quantize for a container image (deploy/Dockerfile runs
# it in its first stage), from the llama.cpp source that the node-llama-cpp npm package carries
# (llama/gitRelease.bundle): the same pinned source `npm test` builds its engine from, and it needs
# nothing beyond the npm registry.
#
# Unlike `autobyteus-server engines install llama-cpp --source` (tuned to the CPU of the machine it
# runs on: GGML_NATIVE=ON), an image is built on one machine and run on others, so this build is
# portable: GGML_NATIVE=OFF with every CPU variant of the ggml backend as a loadable module
# (GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS on x86_64 and aarch64), and llama.cpp picks the best one
# for the CPU it finds at start-up, as llama.cpp's own images do. GGML_RPC=ON adds rpc-server
# (built as ggml-rpc-server; installed under both names).
#
# usage: build-llama-cpp.sh <node-llama-cpp version> <prefix>     -> <prefix>/bin/{llama-server,rpc-server,...}
# LLAMA_CPU_ALL_VARIANTS=OFF builds only the baseline CPU backend (a faster build for a smoke test).
set -euo pipefail

VERSION="${1:?usage: build-llama-cpp.sh <node-llama-cpp version> <prefix>}"
PREFIX="${2:?usage: build-llama-cpp.sh <node-llama-cpp version> <prefix>}"
JOBS="${JOBS:-$(nproc)}"
case "$(uname -m)" in
  x86_64 | aarch64) VARIANTS="${LLAMA_CPU_ALL_VARIANTS:-ON}" ;;
  *) VARIANTS=OFF ;;
esac

log() { printf '[build-llama-cpp] %s\n' "$*" >&2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
log "node-llama-cpp@$VERSION from the npm registry"
tarball="$(npm pack "node-llama-cpp@$VERSION" --silent)"
tar xzf "$tarball" package/llama/gitRelease.bundle
git clone --quiet package/llama/gitRelease.bundle src

# Shared libraries (GGML_BACKEND_DL needs them), found through RPATH=$ORIGIN next to the binaries;
# no OpenSSL (models come from the volume, `autobyteus-server models pull` downloads them), no
# prebuilt web UI (its download is not from a package registry), no tests or examples.
log "cmake configure (GGML_CPU_ALL_VARIANTS=$VARIANTS)"
cmake -S src -B build \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=ON \
  -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON \
  -DGGML_NATIVE=OFF \
  -DGGML_BACKEND_DL=ON \
  -DGGML_CPU_ALL_VARIANTS="$VARIANTS" \
  -DGGML_RPC=ON \
  -DLLAMA_OPENSSL=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF \
  -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF >&2
log "cmake build: llama-server ggml-rpc-server llama-quantize ($JOBS jobs)"
cmake --build build --target llama-server ggml-rpc-server llama-quantize --parallel "$JOBS" >&2

mkdir -p "$PREFIX/bin"
cp build/bin/llama-server build/bin/ggml-rpc-server build/bin/llama-quantize "$PREFIX/bin/"
# libllama, libggml, libggml-base, the ggml CPU/RPC backend modules, and the libraries they link.
find build/bin -maxdepth 1 -name '*.so*' -exec cp -P {} "$PREFIX/bin/" \;
ln -sf ggml-rpc-server "$PREFIX/bin/rpc-server"
# The one AMX variant goes: ggml picks a variant by CPUID alone, and many virtual machines report
# AMX without enabling its register state, so that variant dies with SIGILL there (the reason the
# product's source build turns AMX off). AMX only speeds up a few quantisation types on large Xeons;
# those get the best AVX-512 variant instead.
rm -f "$PREFIX"/bin/libggml-cpu-sapphirerapids.so
strip --strip-unneeded "$PREFIX"/bin/* 2>/dev/null || true

for binary in llama-server ggml-rpc-server llama-quantize; do
  if ldd "$PREFIX/bin/$binary" | grep -q 'not found'; then
    ldd "$PREFIX/bin/$binary" >&2
    log "FAILED: $binary has unresolved libraries"
    exit 1
  fi
done
"$PREFIX/bin/llama-server" --version >&2
log "installed in $PREFIX/bin: $(cd "$PREFIX/bin" && echo *)"
