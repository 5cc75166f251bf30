#!/usr/bin/env bash
# Makes a Debian base image with Node 20 from Debian's packages alone (debootstrap), for machines
# that reach Debian's archive and the npm registry but no container registry, so deploy/Dockerfile
# can be built there with --build-arg NODE_IMAGE=<this> --build-arg DEBIAN_IMAGE=<this>:
#
#   sudo deploy/local-base-image.sh                       # -> localhost/autobyteus-base:trixie
#   podman build --network host -f deploy/Dockerfile \
#     --build-arg NODE_IMAGE=localhost/autobyteus-base:trixie \
#     --build-arg DEBIAN_IMAGE=localhost/autobyteus-base:trixie -t autobyteus-server .
#
# Debian 13 (trixie), because its nodejs is 20.19 (bookworm's is 18, older than the server's
# minimum); npm, ca-certificates and passwd (useradd) as the node and debian slim images have them.
# This machine's CA bundle and apt settings are copied in, so a TLS-inspecting proxy or a snapshot
# mirror that works here works in the build too. Needs root, debootstrap and podman (or
# CONTAINER=docker).
set -euo pipefail

TAG="${1:-localhost/autobyteus-base:trixie}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CONTAINER="${CONTAINER:-podman}"

log() { printf '[local-base-image] %s\n' "$*" >&2; }

if "$CONTAINER" image inspect "$TAG" >/dev/null 2>&1; then
  log "$TAG exists"
  exit 0
fi
command -v debootstrap >/dev/null || { log "FAILED: debootstrap is not installed (apt-get install debootstrap)"; exit 1; }

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
log "debootstrap trixie into $root ($MIRROR)"
# --include does not resolve every dependency of npm: apt completes it inside the chroot.
debootstrap --variant=minbase --include=ca-certificates,passwd trixie "$root" "$MIRROR" >&2
cp /etc/apt/apt.conf.d/* "$root/etc/apt/apt.conf.d/" 2>/dev/null || true
chroot "$root" bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm' >&2
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
chroot "$root" apt-get clean
rm -rf "$root/var/lib/apt/lists/"*
log "node $(chroot "$root" node --version), npm $(chroot "$root" npm --version)"

tar -C "$root" -c . | "$CONTAINER" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["bash"]' - "$TAG" >&2
log "imported $TAG"
