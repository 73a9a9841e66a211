#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-c.sh memcheck|asan SRCDIR BUILDDIR
#
# Builds the library and its C tests in BUILDDIR and runs the C tests
#   memcheck: under valgrind memcheck, through the 'valgrind' test setup of
#             tests/meson.build (GLib's suppressions; an invalid access or a
#             definitely lost block fails the test);
#   asan:     built with AddressSanitizer (and its leak checker) and
#             UndefinedBehaviorSanitizer; any report fails the test.
# Exits non-zero on any failure.
#
# ThreadSanitizer and Helgrind cannot see GLib's futex-based GMutex, so
# they are not used: the stress tests are the race detector, and these
# builds run them with every memory access checked.

set -eu

if [ $# -ne 3 ]; then
  echo "usage: $0 memcheck|asan SRCDIR BUILDDIR" >&2
  exit 2
fi

mode=$1
srcdir=$(cd "$2" && pwd)
builddir=$3

# The bindings, docs, examples and benchmarks are not what this checks.
set -- -Dintrospection=disabled -Ddocs=disabled -Dexamples=disabled -Dbenchmarks=disabled \
  -Dtests=enabled

case $mode in
  memcheck)
    if ! command -v valgrind >/dev/null 2>&1; then
      echo "$0: valgrind is not installed (Debian package: valgrind)" >&2
      exit 1
    fi
    ;;
  asan)
    asan_time_scale=3
    # b_lundef=false: a sanitized shared library leaves the runtime's
    # symbols to the executable.
    set -- "$@" -Db_sanitize=address,undefined -Db_lundef=false
    ;;
  *)
    echo "$0: unknown mode '$mode' (memcheck or asan)" >&2
    exit 2
    ;;
esac

if [ -f "$builddir/build.ninja" ]; then
  meson setup --reconfigure "$builddir" "$srcdir" "$@"
else
  meson setup "$builddir" "$srcdir" "$@"
fi
meson compile -C "$builddir"

case $mode in
  memcheck)
    # The setup sets G_SLICE=always-malloc and the stress knobs itself.
    meson test -C "$builddir" --setup valgrind --suite c --print-errorlogs
    ;;
  asan)
    # Slices would hide GLib's allocations from ASan. GLib is not built
    # with frame pointers: the slow unwinder gives leak reports whole stacks.
    # Every bound on time, meson's timeouts and the tests' own
    # (test_time_scale() in tests/test-util.h), is multiplied by one factor.
    G_SLICE=always-malloc \
    ASYNC_RUNNER_TEST_TIME_SCALE=$asan_time_scale \
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1:fast_unwind_on_malloc=0:print_summary=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1} \
      meson test -C "$builddir" --suite c --print-errorlogs --timeout-multiplier "$asan_time_scale"
    ;;
esac
