#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The TypeScript check of the GJS example: installs ts-for-gir and tsc at
# the versions examples/typescript/package-lock.json pins (npm registry),
# generates the definitions of AsyncRunner-1 from the build's GIR (and
# GLib's, Gio's, GObject's from the system), type-checks
# examples/typescript/load-things.ts with tsc, and runs the ES module tsc
# makes with gjs through meson devenv. Needs Node.js 20 or later (Debian's
# nodejs and npm are installed when there is no npm). Writes only in WORKDIR.
#
# Usage: build-aux/check-typescript.sh SRCDIR BUILDDIR WORKDIR
set -euo pipefail

srcdir=$(cd "$1" && pwd)
builddir=$(cd "$2" && pwd)
workdir=$3

if ! command -v npm >/dev/null; then
  . "$srcdir/build-aux/deps.sh"
  install_missing_packages nodejs npm
fi

rm -rf "$workdir"
mkdir -p "$workdir"
cp "$srcdir"/examples/typescript/{package.json,package-lock.json,tsconfig.json,load-things.ts} "$workdir"/
cd "$workdir"

passed=0 failed=0
# check NAME CMD...: one step, its output kept in NAME.log and shown if it fails.
check () {
  local name=$1
  shift
  if "$@" >"$name.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok: $name"
  else
    failed=$((failed + 1))
    cat "$name.log"
    echo "FAILED: $name"
  fi
}

echo "node $(node --version), npm $(npm --version)"
check npm-ci npm ci --no-audit --no-fund
check ts-for-gir npx --no-install ts-for-gir generate AsyncRunner-1 --ignoreVersionConflicts \
  -g "$builddir/async-runner" -g /usr/share/gir-1.0 -o @types
check tsc npx --no-install tsc -p .
check gjs meson devenv -C "$builddir" gjs -m "$workdir/out/load-things.js"
tail -n 4 gjs.log
echo "typescript: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
