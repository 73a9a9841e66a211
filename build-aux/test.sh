#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole test suite, on every stack CI proves: this machine ("host"),
# then Debian 13 "trixie", Debian sid, Debian 11 "bullseye" (the oldest
# supported GLib, 2.66) and Debian 13 for i386 ("trixie-i386", 32-bit) in
# chroots that build-aux/stack.sh builds and caches. On each: installs the
# Debian packages it needs, builds with warnings fatal and runs every suite
# (C, Python, GJS, Vala, examples, docs, benchmark smoke run), the
# installed-library check, the C tests under ASan+UBSan and, on the stacks
# where it pays most (all of them when one is asked for alone), under
# valgrind memcheck. Ends with one line that counts every stage's tests.
#
# Usage: build-aux/test.sh                      every stack
#        build-aux/test.sh --stack host         this machine only, no chroot
#        build-aux/test.sh --stack NAME         one chroot stack: trixie, sid,
#                                               bullseye or trixie-i386
#        build-aux/test.sh --stack sid --shell  a shell in that chroot, with
#                                               the source tree at /src
# --usr-local (root only) also installs into /usr/local and uses the install
# as README.md says; CI does that in the trixie chroot. BUILDDIR overrides
# the build directory of the host stack.
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
stacks=(host trixie sid bullseye trixie-i386)
shell=false
usr_local=false

while [ $# -gt 0 ]; do
  case $1 in
    --stack)
      [ $# -ge 2 ] || { echo "$0: --stack needs host, trixie, sid, bullseye or trixie-i386" >&2; exit 2; }
      case $2 in
        host|trixie|sid|bullseye|trixie-i386) stacks=("$2") ;;
        *) echo "$0: unknown stack '$2' (host, trixie, sid, bullseye or trixie-i386)" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --shell) shell=true; shift ;;
    --usr-local) usr_local=true; shift ;;
    -h|--help) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

. "$srcdir/build-aux/deps.sh"

stage () { printf '\n=== %s ===\n' "$*"; }

# One line naming the stack this runs on.
describe_stack () {
  local PRETTY_NAME=unknown
  [ -r /etc/os-release ] && . /etc/os-release
  printf '%s (%s): GLib %s, gobject-introspection %s, PyGObject %s, GJS %s, meson %s, %s, Python %s\n' \
    "$PRETTY_NAME" "$(dpkg --print-architecture 2>/dev/null || uname -m)" \
    "$(pkg-config --modversion glib-2.0 2>/dev/null || echo none)" \
    "$(pkg-config --modversion gobject-introspection-1.0 2>/dev/null || echo none)" \
    "$(/usr/bin/python3 -c 'import gi; print(gi.__version__)' 2>/dev/null || echo none)" \
    "$(gjs --version 2>/dev/null | awk '{print $2}' || echo none)" \
    "$(meson --version 2>/dev/null || echo none)" \
    "$(gcc --version 2>/dev/null | head -n 1 || echo 'no gcc')" \
    "$(/usr/bin/python3 -c 'import platform; print(platform.python_version())')"
}

# The suite on this machine as it is.
run_host () {
  local builddir=${BUILDDIR:-$srcdir/_build-test}
  local status=0
  local logs=()

  # Each step says itself whether it failed: errexit does not hold inside a
  # function run as ( run_host ) || ...
  install_missing_packages "${async_runner_packages[@]}" || return 1
  stage "stack: $(describe_stack)"

  # The reference needs gi-docgen, which Debian 11 does not have.
  local docs=true
  command -v gi-docgen >/dev/null || docs=false
  if $docs; then
    stage "build (werror, docs)"
  else
    stage "build (werror; docs skipped: no gi-docgen)"
  fi
  rm -rf "$builddir" "$builddir"-*
  meson setup "$builddir" "$srcdir" -Dwerror=true -Ddocs=$docs || return 1
  ninja -C "$builddir" || return 1

  stage "meson test: every suite"
  meson test -C "$builddir" --print-errorlogs || status=1
  logs+=("$builddir")

  stage "installed library: C, Python, GJS and Vala programs outside the tree"
  "$srcdir/build-aux/test-installed.sh" "$srcdir" "$builddir-installed" || status=1
  logs+=("$builddir-installed/build")

  if $usr_local; then
    stage "installed into /usr/local: C, Python, GJS and Vala with only what README.md says"
    "$srcdir/build-aux/test-installed.sh" --usr-local "$srcdir" "$builddir-usr-local" || status=1
    logs+=("$builddir-usr-local/build")
  fi

  stage "meson subproject: a parent project, shared and static"
  "$srcdir/build-aux/test-subproject.sh" "$srcdir" "$builddir-subproject" || status=1
  logs+=("$builddir-subproject/build-shared" "$builddir-subproject/build-static")

  if [ "${ASYNC_RUNNER_MEMCHECK:-yes}" = yes ]; then
    stage "valgrind memcheck"
    "$srcdir/build-aux/check-c.sh" memcheck "$srcdir" "$builddir-memcheck" || status=1
    logs+=("$builddir-memcheck")
  else
    stage "valgrind memcheck: not on this stack in the full run (see README.md)"
  fi

  stage "AddressSanitizer + UndefinedBehaviorSanitizer"
  "$srcdir/build-aux/check-c.sh" asan "$srcdir" "$builddir-asan" || status=1
  logs+=("$builddir-asan")

  stage "summary: $(describe_stack)"
  /usr/bin/python3 "$srcdir/build-aux/summarise-tests.py" "${logs[@]}" || status=1
  return $status
}

if [ "${stacks[*]}" = host ]; then
  if $shell; then
    echo "$0: --shell needs a chroot stack (trixie or sid)" >&2
    exit 2
  fi
  run_host
  exit
fi

. "$srcdir/build-aux/stack.sh"

# run_chroot NAME [CMD...]: the suite (or CMD) in the chroot of NAME,
# built first if needed. One run at a time per chroot.
run_chroot () {
  local name=$1
  shift
  mkdir -p "$stack_cache"
  exec {lock}>"$stack_cache/$name.lock"
  flock "$lock"
  trap 'stack_umount '"$name" EXIT
  local status=0
  stack_build "$name" || status=$?
  if [ $status -eq 0 ]; then
    if [ $# -gt 0 ]; then
      stack_run "$name" "$srcdir" "$@" || status=$?
    else
      # trixie also proves the /usr/local install of README.md.
      local extra=()
      [ "$name" = trixie ] && extra=(--usr-local)
      stack_run "$name" "$srcdir" env BUILDDIR=/var/tmp/async-runner-test \
        ASYNC_RUNNER_MEMCHECK="${ASYNC_RUNNER_MEMCHECK:-yes}" \
        /src/build-aux/test.sh --stack host "${extra[@]}" || status=$?
    fi
  fi
  stack_umount "$name"
  trap - EXIT
  exec {lock}>&-
  return $status
}

if $shell; then
  [ "$(id -u)" -eq 0 ] || { echo "$0: chroots need root" >&2; exit 1; }
  run_chroot "${stacks[0]}" bash -c 'cd /src && exec bash -i'
  exit
fi

# Every stack in turn, each stage's output kept to count its tests.
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
summary=()
status=0
for name in "${stacks[@]}"; do
  stage "stack $name"
  log=$logdir/$name.log
  started=$SECONDS
  # The long memcheck pass runs where it pays most: the oldest GLib (the
  # compatibility stand-ins), 32-bit and the newest GLib. ASan+UBSan runs
  # everywhere. One stack asked for alone runs everything.
  memcheck=yes
  if [ ${#stacks[@]} -gt 1 ]; then
    case $name in
      host|trixie) memcheck=no ;;
    esac
  fi
  if [ "$name" = host ]; then
    ( ASYNC_RUNNER_MEMCHECK=$memcheck run_host ) 2>&1 | tee "$log" || true
  elif [ "$(id -u)" -ne 0 ]; then
    echo "stack $name: chroots need root" | tee "$log"
  else
    ( ASYNC_RUNNER_MEMCHECK=$memcheck run_chroot "$name" ) 2>&1 | tee "$log" || true
  fi
  # The stage's own closing line and the stack it named.
  counts=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1 || true)
  described=$(grep -E '^=== summary: ' "$log" | tail -n 1 | sed 's/^=== summary: \(.*\) ===$/\1/' || true)
  if [ -z "$counts" ]; then
    counts="tests: 0 passed, 1 failed, 0 skipped"
    described="no result (see above)"
    status=1
  fi
  summary+=("$name|$described|$counts|$((SECONDS - started))")
done

stage "summary of every stack"
total_passed=0 total_failed=0 total_skipped=0
for line in "${summary[@]}"; do
  IFS='|' read -r name described counts seconds <<<"$line"
  read -r passed failed skipped < <(echo "$counts" | sed -E 's/tests: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')
  printf 'stack %-11s %s passed, %s failed, %s skipped in %d min %02d s on %s\n' \
    "$name" "$passed" "$failed" "$skipped" $((seconds / 60)) $((seconds % 60)) "$described"
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
done
[ $total_failed -eq 0 ] || status=1
echo "tests: $total_passed passed, $total_failed failed, $total_skipped skipped"
exit $status
