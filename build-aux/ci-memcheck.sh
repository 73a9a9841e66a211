#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ci-memcheck.sh SRCDIR [BUILDDIR]
#
# Builds the library and its C tests in BUILDDIR (default:
# $TMPDIR/async-runner-ci-memcheck) and runs the C tests under valgrind
# memcheck, through the 'valgrind' test setup of tests/meson.build: an
# invalid access or a definitely lost block fails the test. Exits non-zero
# on any failure. Needs the Debian packages valgrind and libglib2.0-dev
# (GLib's suppression file).

set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 SRCDIR [BUILDDIR]" >&2
  exit 2
fi

srcdir=$(cd "$1" && pwd)
builddir=${2:-${TMPDIR:-/tmp}/async-runner-ci-memcheck}

if ! command -v valgrind >/dev/null 2>&1; then
  echo "$0: valgrind is not installed (Debian package: valgrind)" >&2
  exit 1
fi

# The bindings, docs, examples and benchmarks are not what this checks.
set -- \
  -Dintrospection=disabled \
  -Ddocs=false \
  -Dexamples=false \
  -Dbenchmarks=false \
  -Dtests=true

if [ -f "$builddir/build.ninja" ]; then
  meson setup --reconfigure "$builddir" "$srcdir" "$@"
else
  meson setup "$builddir" "$srcdir" "$@"
fi
meson compile -C "$builddir"

# Slices would hide GLib's allocations from memcheck.
G_SLICE=always-malloc G_DEBUG=gc-friendly \
  meson test -C "$builddir" --setup valgrind --suite c --print-errorlogs
