#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs async-runner into a staging directory and builds and runs
# tests/installed, a separate project that uses it as users do.
# Usage: build-aux/test-installed.sh SRCDIR WORKDIR
set -euo pipefail

srcdir=$1
workdir=$2
prefix=$workdir/prefix
rm -rf "$workdir"
mkdir -p "$workdir"

meson setup "$workdir/lib" "$srcdir" --prefix="$prefix" -Dtests=false -Dexamples=false \
  -Dbenchmarks=false -Ddocs=false
ninja -C "$workdir/lib" install >/dev/null

libdir=$(find "$prefix" -name 'libasync-runner-1.so' -printf '%h\n' | head -n 1)
overrides=$(find "$prefix" -path '*gi/overrides' -type d | head -n 1)

export PKG_CONFIG_PATH=$libdir/pkgconfig
export LD_LIBRARY_PATH=$libdir
export GI_TYPELIB_PATH=$libdir/girepository-1.0
export VALAFLAGS="--vapidir=$prefix/share/vala/vapi"
# The override is found through the gi package's overrides path.
export PYTHONPATH=$workdir/pythonpath
mkdir -p "$PYTHONPATH"
cat > "$PYTHONPATH/sitecustomize.py" <<PY
import gi.overrides
gi.overrides.__path__.insert(0, "$overrides")
PY

meson setup "$workdir/build" "$srcdir/tests/installed"
ninja -C "$workdir/build"
meson test -C "$workdir/build" --print-errorlogs
