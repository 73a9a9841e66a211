#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demo: builds async-runner and runs its examples (C, Python, Vala, GJS),
# installing the Debian packages it needs first. Usage: build-aux/demo.sh
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$srcdir/_build}
. "$srcdir/build-aux/deps.sh"
install_missing_packages "${async_runner_packages[@]}"

[ -f "$builddir/build.ninja" ] || meson setup "$builddir" "$srcdir"
ninja -C "$builddir"
meson test -C "$builddir" --suite examples --verbose
