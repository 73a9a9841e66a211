#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole test suite: installs the Debian packages it needs, then builds
# with warnings fatal and runs every suite (C, Python, GJS, Vala, examples,
# docs, benchmark smoke run), the installed-library check, the C tests
# under valgrind memcheck and under ASan+UBSan.
# Usage: build-aux/test.sh   (BUILDDIR overrides the build directory)
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$srcdir/_build-test}
. "$srcdir/build-aux/deps.sh"
install_missing_packages "${async_runner_packages[@]}"

logs=()
stage () { printf '\n=== %s ===\n' "$*"; }

stage "build (werror, docs)"
rm -rf "$builddir"
meson setup "$builddir" "$srcdir" -Dwerror=true -Ddocs=true
ninja -C "$builddir"

stage "meson test: every suite"
status=0
meson test -C "$builddir" --print-errorlogs || status=1
logs+=("$builddir/meson-logs/testlog.json")

stage "installed library: C, Python, GJS and Vala programs outside the tree"
"$srcdir/build-aux/test-installed.sh" "$srcdir" "$builddir-installed" || status=1
logs+=("$builddir-installed/build/meson-logs/testlog.json")

if [ -x "$srcdir/build-aux/ci-memcheck.sh" ]; then
  stage "valgrind memcheck"
  "$srcdir/build-aux/ci-memcheck.sh" "$srcdir" "$builddir-memcheck" || status=1
  logs+=("$builddir-memcheck/meson-logs/testlog.json")
fi

if [ -x "$srcdir/build-aux/ci-sanitizers.sh" ]; then
  stage "AddressSanitizer + UndefinedBehaviorSanitizer"
  "$srcdir/build-aux/ci-sanitizers.sh" "$srcdir" "$builddir-asan" || status=1
  logs+=("$builddir-asan/meson-logs/testlog.json")
fi

stage "summary"
/usr/bin/python3 - "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        print(f"missing log: {path}")
        failed += 1
        continue
    for line in lines:
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
