#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ci-sanitizers.sh SRCDIR [BUILDDIR]
#
# Builds the library and its C tests with AddressSanitizer (and its leak
# checker) and UndefinedBehaviorSanitizer in BUILDDIR (default:
# $TMPDIR/async-runner-ci-sanitizers) and runs the C tests. Any report
# fails the test that triggered it. Exits non-zero on any failure.
#
# ThreadSanitizer and Helgrind cannot see GLib's futex-based GMutex, so
# they are not used: the stress tests are the race detector, and this
# build runs them with every memory access checked.

set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 SRCDIR [BUILDDIR]" >&2
  exit 2
fi

srcdir=$(cd "$1" && pwd)
builddir=${2:-${TMPDIR:-/tmp}/async-runner-ci-sanitizers}

# b_lundef=false: a sanitized shared library leaves the runtime's symbols
# to the executable. Introspection would run the scanner on sanitized
# code; it is not what this checks.
set -- \
  -Db_sanitize=address,undefined \
  -Db_lundef=false \
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

# Slices would hide GLib's allocations from ASan. GLib is not built with
# frame pointers: the slow unwinder gives leak reports whole stacks.
G_SLICE=always-malloc \
G_DEBUG=gc-friendly \
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1:fast_unwind_on_malloc=0:print_summary=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1} \
  meson test -C "$builddir" --suite c --print-errorlogs
