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
rm -rf "$builddir" "$builddir-installed" "$builddir-memcheck" "$builddir-asan"
meson setup "$builddir" "$srcdir" -Dwerror=true -Ddocs=true
ninja -C "$builddir"

stage "meson test: every suite"
status=0
meson test -C "$builddir" --print-errorlogs || status=1
logs+=("$builddir")

stage "installed library: C, Python, GJS and Vala programs outside the tree"
"$srcdir/build-aux/test-installed.sh" "$srcdir" "$builddir-installed" || status=1
logs+=("$builddir-installed/build")

if [ -x "$srcdir/build-aux/ci-memcheck.sh" ]; then
  stage "valgrind memcheck"
  "$srcdir/build-aux/ci-memcheck.sh" "$srcdir" "$builddir-memcheck" || status=1
  logs+=("$builddir-memcheck")
fi

if [ -x "$srcdir/build-aux/ci-sanitizers.sh" ]; then
  stage "AddressSanitizer + UndefinedBehaviorSanitizer"
  "$srcdir/build-aux/ci-sanitizers.sh" "$srcdir" "$builddir-asan" || status=1
  logs+=("$builddir-asan")
fi

stage "summary"
# One line for every run above; a run that left no log counts as failed.
/usr/bin/python3 - "${logs[@]}" <<'PY' || status=1
import glob, json, sys
passed = failed = skipped = 0
for builddir in sys.argv[1:]:
    paths = glob.glob(f"{builddir}/meson-logs/testlog*.json")
    if not paths:
        print(f"no test log in {builddir}")
        failed += 1
    for path in paths:
        for line in open(path).read().splitlines():
            result = json.loads(line)["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
exit $status
