#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian packages that building and testing async-runner need, for the
# Debian release this runs on (12 "bookworm", 13 "trixie" or sid), and a
# function that installs the missing ones. Sourced by demo.sh, test.sh and
# stack.sh.

async_runner_common_packages=(
  meson ninja-build pkg-config gcc
  libglib2.0-dev libglib2.0-bin
  gobject-introspection libgirepository1.0-dev gir1.2-glib-2.0
  python3-gi python3-pytest
  gjs valac gi-docgen
  valgrind dbus-daemon gnome-desktop-testing
)

# async_runner_packages_for RELEASE: the list for a Debian release
# (bookworm, trixie, sid); GLib >= 2.80 ships girepository-2.0 apart.
async_runner_packages_for () {
  printf '%s\n' "${async_runner_common_packages[@]}"
  # Sysprof's capture library: in sysprof's own -dev package on Debian 12.
  case $1 in
    bookworm) echo libsysprof-4-dev ;;
    *) printf '%s\n' libgirepository-2.0-dev libsysprof-capture-4-dev ;;
  esac
}

# The release this machine runs.
async_runner_release () {
  local VERSION_ID=
  [ -r /etc/os-release ] && . /etc/os-release
  case $VERSION_ID in
    12) echo bookworm ;;
    13) echo trixie ;;
    *) echo sid ;;
  esac
}

# The releases CI proves, oldest first, and their names in README.md.
async_runner_releases=(bookworm trixie sid)
async_runner_release_title () {
  case $1 in
    bullseye) echo 'Debian 11' ;;
    bookworm) echo 'Debian 12' ;;
    trixie) echo 'Debian 13' ;;
    *) echo "Debian $1" ;;
  esac
}

# What a package is for, in README.md's table of build dependencies: the
# library alone needs only the first group. A package not named here is
# counted as one the tests need.
async_runner_package_purposes=(library introspection python gjs vala docs sysprof tests)
async_runner_package_purpose () {
  case $1 in
    meson|ninja-build|pkg-config|gcc|libglib2.0-dev) echo library ;;
    gobject-introspection|libgirepository1.0-dev|libgirepository-2.0-dev|gir1.2-glib-2.0) echo introspection ;;
    python3-gi) echo python ;;
    gjs) echo gjs ;;
    valac) echo vala ;;
    gi-docgen) echo docs ;;
    libsysprof-4-dev|libsysprof-capture-4-dev) echo sysprof ;;
    *) echo tests ;;
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

# README.md's table of build dependencies, made from the lists above: one
# row per purpose, the packages every release needs, then those of some.
async_runner_readme_deps () {
  local purpose release pkg title releases_of
  declare -A has=()
  local all=()
  for release in "${async_runner_releases[@]}"; do
    for pkg in $(async_runner_packages_for "$release"); do
      [ -n "${has[$pkg]:-}" ] || all+=("$pkg")
      has[$pkg]="${has[$pkg]:-}$release "
    done
  done
  echo '| For | Debian packages |'
  echo '| --- | --- |'
  for purpose in "${async_runner_package_purposes[@]}"; do
    case $purpose in
      library) title='the library alone' ;;
      introspection) title='GObject Introspection (for Python, GJS and Vala)' ;;
      python) title='Python' ;;
      gjs) title='GJS' ;;
      vala) title='Vala' ;;
      docs) title='the reference (`-Ddocs`)' ;;
      sysprof) title='Sysprof marks' ;;
      tests) title='the tests (`build-aux/test.sh`)' ;;
    esac
    local common=() some=()
    declare -A by_releases=()
    local order=()
    for pkg in "${all[@]}"; do
      [ "$(async_runner_package_purpose "$pkg")" = "$purpose" ] || continue
      if [ "${has[$pkg]}" = "${async_runner_releases[*]} " ]; then
        common+=("\`$pkg\`")
      else
        releases_of=${has[$pkg]% }
        [ -n "${by_releases[$releases_of]:-}" ] || order+=("$releases_of")
        by_releases[$releases_of]="${by_releases[$releases_of]:-} \`$pkg\`"
      fi
    done
    local cell="${common[*]}" names
    for releases_of in "${order[@]}"; do
      names=
      for release in $releases_of; do
        names="${names:+$names, }$(async_runner_release_title "$release")"
      done
      cell="${cell:+$cell; }$names:${by_releases[$releases_of]}"
    done
    [ -z "$cell" ] || echo "| $title | $cell |"
    unset by_releases
  done
  echo
  echo 'The library alone, on each of them:'
  echo
  echo '```sh'
  echo "sudo apt-get install $(for pkg in "${all[@]}"; do
    [ "$(async_runner_package_purpose "$pkg")" = library ] && printf '%s ' "$pkg"; done | sed 's/ $//')"
  echo '```'
}

# Run rather than sourced: --readme prints that table; --check-readme FILE
# checks that FILE holds it between its two marker lines (a test does, in
# suite docs); --update-readme FILE puts it there.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case ${1:-} in
    --readme) async_runner_readme_deps ;;
    --update-readme)
      async_runner_readme_deps >"$2.deps"
      awk -v deps="$2.deps" '
        /^<!-- end: build-aux\/deps.sh --readme -->$/ { skip = 0 }
        !skip { print }
        /^<!-- begin: build-aux\/deps.sh --readme -->$/ { while ((getline line < deps) > 0) print line; skip = 1 }
      ' "$2" >"$2.new"
      rm "$2.deps"
      mv "$2.new" "$2" ;;
    --check-readme)
      readme_table=$(sed -n '/^<!-- begin: build-aux\/deps.sh --readme -->$/,/^<!-- end: build-aux\/deps.sh --readme -->$/p' "$2" | sed '1d;$d')
      if [ "$readme_table" != "$(async_runner_readme_deps)" ]; then
        diff -u <(echo "$readme_table") <(async_runner_readme_deps) || true
        echo "$2: its table of build dependencies is not the one deps.sh installs (build-aux/deps.sh --readme prints it)" >&2
        exit 1
      fi
      echo "$2: the build dependencies are those deps.sh installs for ${async_runner_releases[*]}" ;;
    *) echo "usage: $0 --readme | --check-readme README.md | --update-readme README.md" >&2; exit 2 ;;
  esac
fi
