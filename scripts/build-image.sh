#!/usr/bin/env bash
# Build the node image of the compose clusters without any registry:
#   1. a Debian bookworm root file system made by debootstrap with every package the
#      nodes need (plus the docker CLI taken from Debian's docker.io package, which
#      fence_container uses), imported as the base image; its tarball is kept in
#      $HAFAILOVER_CACHE so that the next build skips debootstrap;
#   2. the hafailover wheel and its dependencies' wheels in deploy/wheelhouse/;
#   3. deploy/Containerfile on that base, installing the wheels with --no-index.
# The image is tagged with a hash of its content (Containerfile, deploy/ files, package
# list, the wheels' contents); when an image with that tag exists nothing is built.
#
#   scripts/build-image.sh            # podman (default) or ENGINE=docker
# One image serves both compose files (docker-compose.yml, examples/progres/), so one
# debootstrap serves both. Prints the image name on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE=${ENGINE:-podman}
IMAGE=${HAFAILOVER_IMAGE:-localhost/hafailover-node}
CACHE=${HAFAILOVER_CACHE:-/var/cache/hafailover}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# keep in step with PACKAGES in deploy/Containerfile
PACKAGES=python3,python3-venv,iproute2,procps,curl,resource-agents,haproxy,varnish,tomcat10,libmariadb-java,mariadb-server,mariadb-client,glusterfs-server
if [[ $ENGINE == podman && -z ${CONTAINERS_CONF:-} ]]; then
  export CONTAINERS_CONF=$PWD/deploy/podman-containers.conf
fi
log() { echo "build-image: $*" >&2; }
image_exists() {
  if [[ $ENGINE == podman ]]; then podman image exists "$1"; else docker image inspect "$1" >/dev/null 2>&1; fi
}
started=$SECONDS

# --- the base image: debootstrap, cached as a tarball --------------------------------
base_hash=$(printf '%s\n' "$SUITE" "$PACKAGES" docker-cli | sha256sum | cut -c1-12)
BASE=localhost/hafailover-base:$SUITE-$base_hash
tarball=$CACHE/rootfs-$SUITE-$base_hash.tar
if ! image_exists "$BASE"; then
  if [[ ! -s $tarball ]]; then
    command -v debootstrap >/dev/null || { log "debootstrap is missing: apt-get install debootstrap"; exit 1; }
    mkdir -p "$CACHE"
    rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
    trap 'rm -rf "$rootfs"' EXIT
    log "debootstrap $SUITE with $PACKAGES (a few minutes, once)"
    debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
    # the docker CLI alone (fence_container talks to the engine's socket through it);
    # Debian has no package with only the client
    debs=$CACHE/debs
    mkdir -p "$debs"
    if ! ls "$debs"/docker.io_*.deb >/dev/null 2>&1; then
      (cd "$debs" && { apt-get download docker.io >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get download docker.io >/dev/null; }; }) \
        || { log "apt-get download docker.io failed"; exit 1; }
    fi
    extract=$(mktemp -d)
    dpkg-deb -x "$(ls "$debs"/docker.io_*.deb | tail -1)" "$extract"
    install -m 0755 "$extract/usr/bin/docker" "$rootfs/usr/bin/docker"
    rm -rf "$extract"
    chroot "$rootfs" apt-get clean
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
    trap - EXIT
  fi
  log "importing $tarball as $BASE"
  "$ENGINE" import "$tarball" "$BASE" >/dev/null
fi

# --- the wheels ------------------------------------------------------------------------
wheelhouse=deploy/wheelhouse
rm -f "$wheelhouse"/*.whl
python3 -m pip wheel -q --disable-pip-version-check -w "$wheelhouse" . >&2
# a wheel's bytes change with every build (timestamps); its RECORD lists its files' hashes
content=$(for w in "$wheelhouse"/*.whl; do
  case $(basename "$w") in
    hafailover-*) python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print("".join(z.read(n).decode() for n in z.namelist() if n.endswith(".dist-info/RECORD")))' "$w" ;;
    *) basename "$w" ;;
  esac
done | sort | sha256sum | cut -c1-12)
hash=$(find deploy/Containerfile deploy/*.py deploy/progres-webapp -type f | sort | xargs cat | sha256sum | cut -c1-12)
tag=$(printf '%s\n' "$base_hash" "$content" "$hash" | sha256sum | cut -c1-12)

# --- the image ---------------------------------------------------------------------------
if image_exists "$IMAGE:$tag"; then
  log "$IMAGE:$tag exists: nothing to build"
else
  log "building $IMAGE:$tag on $BASE"
  "$ENGINE" build -q -f deploy/Containerfile --build-arg BASE="$BASE" -t "$IMAGE:$tag" . >&2
fi
"$ENGINE" tag "$IMAGE:$tag" "$IMAGE:latest"
log "done in $((SECONDS - started)) s"
echo "$IMAGE:$tag"
