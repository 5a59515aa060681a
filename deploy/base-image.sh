#!/usr/bin/env bash
# The base image the Dockerfiles start FROM, built here because no registry can be reached:
# `debootstrap --variant=minbase bookworm` from the configured Debian mirror, plus this machine's
# own CPython 3.11 build under /usr/local as a stand-in for python:3.11-slim-bookworm (Debian's
# python3 is 3.11.2; the lock needs >= 3.11.5). Imported as docker.io/library/python:3.11-slim-bookworm,
# the exact name the FROM lines use, so the Dockerfiles are built unchanged.
# Usage: DEPLOY_CHECK_DIR=... deploy/base-image.sh   (skips when the image exists)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/containers.sh"
image=docker.io/library/python:3.11-slim-bookworm
if podman image exists "$image"; then echo "base image $image exists"; exit 0; fi
python_prefix=${BASE_PYTHON_PREFIX:-$(python3.11 -c 'import sys; print(sys.base_prefix)')}
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
rootfs="$DEPLOY_CHECK_DIR/rootfs"
if [ ! -x "$rootfs/usr/bin/apt-get" ]; then
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}"
fi
# CPython: the interpreter, libpython, the standard library (no test suite, no site-packages).
mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/lib" "$rootfs/usr/local/include"
cp -a "$python_prefix/bin/python3.11" "$rootfs/usr/local/bin/"
cp -a "$python_prefix"/lib/libpython3.11.so* "$rootfs/usr/local/lib/"
cp -a "$python_prefix/include/python3.11" "$rootfs/usr/local/include/"
tar -C "$python_prefix/lib" --exclude=python3.11/site-packages --exclude=python3.11/test \
    --exclude='__pycache__' -cf - python3.11 | tar -C "$rootfs/usr/local/lib" -xf -
mkdir -p "$rootfs/usr/local/lib/python3.11/site-packages"
ln -sf python3.11 "$rootfs/usr/local/bin/python3"
ln -sf python3 "$rootfs/usr/local/bin/python"
# The shared libraries python:3.11-slim-bookworm carries for the standard library's modules.
chroot "$rootfs" apt-get update -qq
DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get install -y -qq --no-install-recommends \
    libsqlite3-0 libssl3 libffi8 libbz2-1.0 liblzma5 libreadline8 libncursesw6 zlib1g libexpat1 \
    libuuid1 libgdbm6 tzdata netbase >/dev/null
chroot "$rootfs" /sbin/ldconfig
chroot "$rootfs" /usr/local/bin/python3 -m ensurepip --default-pip >/dev/null
chroot "$rootfs" /usr/local/bin/python3 -c 'import ssl, sqlite3, ctypes, sys; print("base python", sys.version.split()[0])'
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" --numeric-owner -cf - . | podman import --change 'CMD ["python3"]' \
    --change 'ENV LANG=C.UTF-8 PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image"
podman image ls "$image"
