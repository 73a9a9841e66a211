#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds tests/subproject, a parent project that uses async-runner as a
# meson subproject (found by dependency('async-runner-1') through the
# wrap's [provide] entry), once with a shared and once with a static
# library, and checks that the subproject builds only what the parent needs:
# no tests, examples, benchmarks or bindings.
# Usage: build-aux/test-subproject.sh SRCDIR WORKDIR
set -euo pipefail

srcdir=$(cd "$1" && pwd)
workdir=$2
rm -rf "$workdir"
mkdir -p "$workdir/parent/subprojects"
cp "$srcdir/tests/subproject/meson.build" "$srcdir/tests/subproject/parent.c" "$workdir/parent/"
ln -s "$srcdir" "$workdir/parent/subprojects/async-runner"
# The wrap as README.md shows it, but the directory is there already: no
# download.
cat > "$workdir/parent/subprojects/async-runner.wrap" <<'WRAP'
[wrap-file]
directory = async-runner

[provide]
dependency_names = async-runner-1
WRAP

status=0
for library in shared static; do
  build=$workdir/build-$library
  meson setup "$build" "$workdir/parent" -Ddefault_library=$library
  ninja -C "$build"
  # Only the parent's own test, and no target of the subproject but its
  # library.
  extra=$(meson introspect "$build" --targets | /usr/bin/python3 -c '
import json, sys
names = [t["name"] for t in json.load(sys.stdin)
         if t["subproject"] and not t["name"].startswith(("async-runner", "async_runner"))]
print(" ".join(names))')
  if [ -n "$extra" ]; then
    echo "the subproject built more than the library ($library): $extra" >&2
    status=1
  fi
  meson test -C "$build" --print-errorlogs || status=1
done
exit $status
