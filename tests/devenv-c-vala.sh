#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run through `meson devenv -C BUILDDIR`: builds a C program with pkg-config
# and the Vala example with valac as a user does, against the uninstalled
# build, and runs both. Any warning of valac or of the C compiler it calls
# fails: the README's Vala pattern compiles cleanly.
# Usage: devenv-c-vala.sh SRCDIR
set -eu
srcdir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC2046 # pkg-config's flags are words
cc -o "$tmp/installed-c" "$srcdir/tests/installed/installed.c" $(pkg-config --cflags --libs async-runner-1)
"$tmp/installed-c"

status=0
valac --pkg gio-2.0 --pkg async-runner-1 -d "$tmp" -o "$tmp/load-things-vala" \
  "$srcdir/examples/load-things.vala" >"$tmp/valac.log" 2>&1 || status=$?
cat "$tmp/valac.log"
[ $status -eq 0 ] || exit $status
if grep -q 'warning:' "$tmp/valac.log"; then
  echo 'devenv-c-vala.sh: valac or the C compiler warned about examples/load-things.vala' >&2
  exit 1
fi
"$tmp/load-things-vala" "$srcdir/examples/load-things.vala"
echo 'C and Vala through meson devenv: OK'
