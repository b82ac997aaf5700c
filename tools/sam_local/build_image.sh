#!/usr/bin/env bash
# Builds a local stand-in for the AWS Lambda base image public.ecr.aws/lambda/python:3.12 when the
# real one cannot be pulled (no container registry access). It is what `sam local invoke
# --skip-pull-image` then starts the function in:
#   Debian's minimal root file system (debootstrap, from the Debian mirror apt uses)
#   + a CPython 3.12 prefix copied to /var/lang (the real image's prefix)
#   + awslambdaric (PyPI) in /var/runtime, with a /var/runtime/bootstrap like the real image's.
# Tagged public.ecr.aws/lambda/python:3.12-x86_64, the name aws-sam-cli asks for.
#
# Needs root (debootstrap, chroot), docker, debootstrap, and a relocatable CPython 3.12 built for
# a glibc no newer than bookworm's, such as pyenv's. Settings (environment): PYTHON_PREFIX
# (default: `pyenv prefix 3.12.1`), SUITE (bookworm), MIRROR (apt's own), CACHE (a folder that
# keeps the debootstrap tarball between runs), AWSLAMBDARIC_VERSION.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE=${IMAGE:-public.ecr.aws/lambda/python:3.12-x86_64}
SUITE=${SUITE:-bookworm}
AWSLAMBDARIC_VERSION=${AWSLAMBDARIC_VERSION:-4.2.2}
CACHE=${CACHE:-${TMPDIR:-/tmp}/amp-publisher-sam-local}
PYTHON_PREFIX=${PYTHON_PREFIX:-$(PYENV_VERSION=3.12.1 pyenv prefix 2>/dev/null || true)}
if [ -z "${MIRROR:-}" ]; then
  MIRROR=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  MIRROR=${MIRROR:-$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)}
fi

say() { printf 'sam-local image: %s\n' "$*" >&2; }
fail() { say "$*"; exit 2; }

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap and chroot)"
command -v debootstrap >/dev/null || fail "needs debootstrap (apt-get install debootstrap)"
[ -x "$PYTHON_PREFIX/bin/python3.12" ] || fail "no CPython 3.12 at PYTHON_PREFIX='$PYTHON_PREFIX'"
[ -n "$MIRROR" ] || fail "no Debian mirror configured for apt (set MIRROR)"

started=$(date +%s)
mkdir -p "$CACHE"
base_tar="$CACHE/$SUITE-minbase.tar"
root="$CACHE/rootfs"

# Shared libraries CPython's extension modules link against (ssl, ctypes, sqlite3, lzma, ...).
libs=libssl3,libffi8,libsqlite3-0,libexpat1,libbz2-1.0,liblzma5,zlib1g,libuuid1,libncursesw6,libreadline8,ca-certificates

if [ ! -s "$base_tar" ]; then
  say "debootstrap $SUITE (minbase) from $MIRROR"
  rm -rf "$CACHE/bootstrap"
  if ! debootstrap --variant=minbase --include="$libs" "$SUITE" "$CACHE/bootstrap" "$MIRROR" \
      > "$CACHE/debootstrap.log" 2>&1; then
    tail -n 15 "$CACHE/debootstrap.log" >&2
    fail "debootstrap failed"
  fi
  rm -rf "$CACHE/bootstrap"/var/cache/apt/archives/*.deb "$CACHE/bootstrap"/var/lib/apt/lists/* \
         "$CACHE/bootstrap"/usr/share/{doc,man,info,locale}/*
  tar -C "$CACHE/bootstrap" -cf "$base_tar.part" . && mv "$base_tar.part" "$base_tar"
  rm -rf "$CACHE/bootstrap"
fi
rm -rf "$root" && mkdir -p "$root" && tar -C "$root" -xf "$base_tar"

say "CPython from $PYTHON_PREFIX → /var/lang"
mkdir -p "$root/var/lang"
tar -C "$PYTHON_PREFIX" -cf - --anchored \
    --exclude='lib/python3.12/test' --exclude='lib/python3.12/idlelib' \
    --exclude='lib/python3.12/tkinter' --exclude='lib/python3.12/site-packages/*' \
    --exclude='lib/*.a' --exclude='lib/python3.12/config-3.12-*' bin lib \
  | tar -C "$root/var/lang" -xf -
echo /var/lang/lib > "$root/etc/ld.so.conf.d/00-var-lang.conf"
chroot "$root" /sbin/ldconfig

say "awslambdaric $AWSLAMBDARIC_VERSION → /var/runtime"
"$PYTHON_PREFIX/bin/python3.12" -m pip install --quiet --disable-pip-version-check --no-compile \
    --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 --implementation cp \
    --python-version 3.12 --only-binary=:all: --target "$root/var/runtime" \
    "awslambdaric==$AWSLAMBDARIC_VERSION"
install -m 0755 "$HERE/image/bootstrap" "$root/var/runtime/bootstrap"
install -m 0644 "$HERE/image/runtime.py" "$root/var/runtime/runtime.py"
mkdir -p "$root/var/task" "$root/opt" && chmod 1777 "$root/tmp"

chroot "$root" /usr/bin/env -i PATH=/var/lang/bin:/usr/bin:/bin LD_LIBRARY_PATH=/var/lang/lib \
  /var/lang/bin/python3.12 -c '
import sys; sys.path.insert(0, "/var/runtime")
import ssl, sqlite3, ctypes, lzma, decimal, awslambdaric.bootstrap
assert sys.prefix == "/var/lang", sys.prefix' || fail "the image's Python does not start"

say "docker import → $IMAGE"
tar -C "$root" -cf - . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin' \
  --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
  --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
  --change 'LABEL org.amp-publisher.sam-local=stand-in' \
  --change 'WORKDIR /var/task' \
  - "$IMAGE" > /dev/null
rm -rf "$root"
say "built in $(( $(date +%s) - started )) s"
