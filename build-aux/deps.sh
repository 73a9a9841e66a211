#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian packages that building and testing async-runner need, for the
# Debian release this runs on (11 "bullseye", 12 "bookworm", 13 "trixie" or
# sid), and a function that installs the missing ones. Sourced by demo.sh, test.sh and
# stack.sh.

async_runner_common_packages=(
  meson ninja-build pkg-config gcc
  libglib2.0-dev libglib2.0-bin
  gobject-introspection libgirepository1.0-dev gir1.2-glib-2.0
  python3-gi python3-pytest
  gjs valac valgrind
)

# async_runner_packages_for RELEASE: the list for a Debian release
# (bullseye, bookworm, trixie, sid); GLib >= 2.80 ships girepository-2.0
# apart.
async_runner_packages_for () {
  printf '%s\n' "${async_runner_common_packages[@]}"
  case $1 in
    # No gi-docgen (the docs are not built there), dbus-daemon is in dbus,
    # and the Sysprof capture library only comes with the sysprof program
    # and GTK (the Sysprof marks are not built there).
    bullseye) printf '%s\n' dbus ;;
    # Sysprof's capture library: in sysprof's own -dev package on Debian 12.
    bookworm) printf '%s\n' gi-docgen dbus-daemon libsysprof-4-dev ;;
    *) printf '%s\n' gi-docgen dbus-daemon libgirepository-2.0-dev libsysprof-capture-4-dev ;;
  esac
}

# The release this machine runs.
async_runner_release () {
  local VERSION_ID=
  [ -r /etc/os-release ] && . /etc/os-release
  case $VERSION_ID in
    11) echo bullseye ;;
    12) echo bookworm ;;
    13) echo trixie ;;
    *) echo sid ;;
  esac
}

mapfile -t async_runner_packages < <(async_runner_packages_for "$(async_runner_release)")

install_missing_packages () {
  local missing=()
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  echo "Installing missing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}
