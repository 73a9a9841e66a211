#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs async-runner (with its installed tests and reference) and builds
# and runs tests/installed, a separate project that uses it as users do,
# from C, Vala, Python and GJS, runs the installed tests with
# gnome-desktop-testing-runner and checks the installed reference.
#
# Usage: build-aux/test-installed.sh SRCDIR WORKDIR
#          into a staging prefix in WORKDIR, found through the environment
#        build-aux/test-installed.sh --usr-local SRCDIR WORKDIR
#          into the default prefix, /usr/local, with nothing set but what
#          README.md says such an install needs; uninstalled afterwards.
#          Needs root: CI runs it in a chroot.
set -euo pipefail

usr_local=false
if [ "${1:-}" = --usr-local ]; then
  usr_local=true
  shift
fi
srcdir=$(cd "$1" && pwd)
workdir=$2
rm -rf "$workdir"
mkdir -p "$workdir"

# With the installed tests and the reference, which tests/installed runs
# and checks.
lib_options=(-Dtests=enabled -Dinstalled_tests=true -Dexamples=disabled -Dbenchmarks=disabled)

if $usr_local; then
  meson setup "$workdir/lib" "$srcdir" "${lib_options[@]}"
  trap 'ninja -C "$workdir/lib" uninstall >/dev/null; ldconfig' EXIT
  ninja -C "$workdir/lib" install >/dev/null
  # What README.md's "Install" section says, and nothing more.
  ldconfig
  export GI_TYPELIB_PATH=/usr/local/lib/$(gcc -print-multiarch)/girepository-1.0
else
  prefix=$workdir/prefix
  meson setup "$workdir/lib" "$srcdir" --prefix="$prefix" "${lib_options[@]}"
  ninja -C "$workdir/lib" install >/dev/null

  libdir=$(find "$prefix" -name 'libasync-runner-1.so' -printf '%h\n' | head -n 1)
  overrides=$(find "$prefix" -path '*gi/overrides' -type d | head -n 1)

  export PKG_CONFIG_PATH=$libdir/pkgconfig
  export LD_LIBRARY_PATH=$libdir
  export GI_TYPELIB_PATH=$libdir/girepository-1.0
  export VALAFLAGS="--vapidir=$prefix/share/vala/vapi"
  # gnome-desktop-testing-runner finds the .test files through it.
  export XDG_DATA_DIRS=$prefix/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}
  # A prefix that Python does not search: the override is found through
  # PYTHONPATH, as README.md says.
  export PYTHONPATH=${overrides%/gi/overrides}
fi

meson setup "$workdir/build" "$srcdir/tests/installed"
ninja -C "$workdir/build"
meson test -C "$workdir/build" --print-errorlogs
