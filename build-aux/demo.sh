#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demo: builds async-runner and its reference, runs its examples (C,
# Python, Vala, GJS) and says where the reference is, installing the Debian
# packages it needs first. Usage: build-aux/demo.sh
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$srcdir/_build}
. "$srcdir/build-aux/deps.sh"
install_missing_packages "${async_runner_packages[@]}"

[ -f "$builddir/build.ninja" ] || meson setup "$builddir" "$srcdir"
ninja -C "$builddir"
meson test -C "$builddir" --suite examples --verbose

# The reference, built when gi-docgen is there (deps.sh installs it).
if [ -f "$builddir/docs/async-runner-1/index.html" ]; then
  echo "The API reference and the guides: file://$builddir/docs/async-runner-1/index.html"
else
  echo "The API reference was not built (no gi-docgen, or -Ddocs=disabled)"
fi
