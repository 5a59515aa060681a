#!/usr/bin/env bash
# The base image the Dockerfiles start FROM, built here because no registry can be reached:
# `debootstrap --variant=minbase bookworm` from the configured Debian mirror, plus this machine's
# own CPython 3.11 build under /usr/local as a stand-in for python:3.11-slim-bookworm (Debian's
# python3 is 3.11.2; the lock needs >= 3.11.5). Imported as docker.io/library/python:3.11-slim-bookworm,
# the exact name the FROM lines use, so the Dockerfiles are built unchanged. Slimmed as the real one
# is (Debian's slim variant: no docs, man pages or translations, and later apt installs keep no
# downloaded packages; the official Python image: stripped binaries, no static libpython, test
# suites or .pyc files), so image sizes measured here are the sizes Fly would deploy.
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
# debian:bookworm-slim's apt settings for images: downloaded packages deleted once installed, no
# package caches or translations (debuerreotype's docker-clean, docker-no-languages and kin).
cat > "$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
echo 'Acquire::Languages "none";' > "$rootfs/etc/apt/apt.conf.d/docker-no-languages"
echo 'Acquire::GzipIndexes "true";' > "$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Apt::AutoRemove::SuggestsImportant "false";' > "$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
rm -f "$rootfs"/var/cache/apt/*.bin
# debian:bookworm-slim's dpkg filter (debuerreotype --slimify), and what it would have kept out.
cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
SLIM
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/linda/* \
       "$rootfs"/usr/share/lintian/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/man/*
# python:3.11-slim-bookworm's own clean-up of /usr/local, and its binaries linked with --strip-all.
strip --strip-all "$rootfs/usr/local/bin/python3.11" "$rootfs"/usr/local/lib/libpython3.11.so.* \
    "$rootfs"/usr/local/lib/python3.11/lib-dynload/*.so
find "$rootfs/usr/local" -depth \( \( -type d -a \( -name test -o -name tests -o -name idle_test \) \) \
    -o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \) -exec rm -rf '{}' +
tar -C "$rootfs" --numeric-owner -cf - . | podman import --change 'CMD ["python3"]' \
    --change 'ENV LANG=C.UTF-8 PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image"
podman image ls "$image"
