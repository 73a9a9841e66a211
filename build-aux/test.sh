#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole test suite, on every stack CI proves: this machine ("host"),
# then Debian 13 "trixie", Debian sid and Debian 13 for i386
# ("trixie-i386", 32-bit) in chroots that build-aux/stack.sh builds and
# caches; Debian 11 "bullseye" (GLib 2.66) with --stack. On
# each: installs the Debian packages it needs, builds with warnings fatal
# and runs every suite (C, Python, GJS, Vala, examples, docs, benchmark
# smoke run), the installed-library check, the C tests under ASan+UBSan
# and, on the stacks where it pays most (all of them when one is asked for
# alone), under valgrind memcheck, each a step (see step()).
# Then the verdict, per stack and in all: every test CASE counted (GTest
# and GJS TAP lines, pytest's JUnit reports) with every skip and its
# reason, every failed step, and every suite that reported fewer cases than
# expected_cases_for() asks counted as a failure. The last line is
#   tests: N passed, N failed, N skipped
# and the exit status is 0 only if N failed is 0 on every stack.
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
# bullseye is left out of the full run until the Python override's signal
# handling passes on Python 3.9 / PyGObject 3.38 (README.md, "Supported
# stacks"); --stack bullseye runs it.
stacks=(host trixie sid trixie-i386)
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
    -h|--help) sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# The fewest test cases each part of a stack's run must report, so that a
# suite that is not built (its tool not found) or is emptied fails the run.
# KEY=MIN, KEY being a build directory's label (below), LABEL/SUITE or
# LABEL/SUITE/TEST. Floors a little below today's counts: raise them as
# tests are added; a stack that cannot run a suite says so here, and the
# README's stack table says it too.
expected_cases_for () {
  printf '%s\n' \
    test/c=100 test/python=150 test/gjs=20 test/vala=10 test/benchmarks=4 test/ci=10 \
    installed/async-runner-installed-check/installed-tests=25 \
    subproject-shared=1 subproject-static=1 asan/c=100
  case $(async_runner_release) in
    # No gi-docgen (no reference docs, installed or not), no Sysprof
    # capture library, and the GJS example is an ES module, which GJS 1.66
    # cannot run.
    bullseye) printf '%s\n' test/examples=6 installed=29 ;;
    *) printf '%s\n' test/examples=7 test/docs=6 test/c/sysprof=1 installed=30 ;;
  esac
  if $memcheck; then echo memcheck/c=100; fi
  if $usr_local; then echo usr-local=30 usr-local/async-runner-installed-check/installed-tests=25; fi
  # meson devenv and its one-liners: meson 0.58 and later.
  if [ "$(printf '%s\n' 0.58 "$(meson --version)" | sort -V | head -n 1)" = 0.58 ]; then
    echo test/devenv=3
  fi
}

# The skips a stack may report, one extended regex a line matched against
# "LABEL TEST CASE" (as the summary prints them). Each is stated in the
# README's stack table as not covered there; any other skip fails the run.
allowed_skips_for () {
  case $(async_runner_release) in
    bullseye|bookworm)
      echo '^test python-coroutines test_coroutines::test_run_async_with_awaitable_gio_methods$'
      echo '^test python-threadstate test_threadstate::test_sub_interpreter_is_refused$'
      ;;
  esac
  case $(async_runner_release) in
    # Gio.File.new_tmp_async() is GLib 2.74, final types 2.70;
    # asyncio.run() cancels its task on Ctrl-C from Python 3.11.
    bullseye)
      echo '^(test|memcheck|asan) by-name-functions /by-name/function/new-tmp$'
      echo '^(test|memcheck|asan) lifecycle /lifecycle/type-is-final$'
      echo '^test python-by_name test_by_name::test_new_tmp_static_function$'
      echo '^test python-override test_override::test_call_static_function_(with|finds_its)_finish$'
      echo '^test python-sigint test_sigint::test_ctrl_c_in_asyncio_run_interrupts_the_program$'
      echo '^test gjs-by-name /AsyncRunner/GJS/ByName/new-tmp$'
      ;;
  esac
}

# step NAME CMD...: runs CMD as the step NAME of this stack's run. Its exit
# status is recorded for the verdict whatever the caller does with the one
# step returns (it returns CMD's), so a step is one line that cannot lose
# its status. CMD runs without errexit: a shell function must check its own
# commands (chain them with &&).
step () {
  local name=$1 rc=0
  shift
  stage "$name"
  "$@" || rc=$?
  step_statuses+=(--step "$name=$rc")
  [ $rc -eq 0 ] || echo "step $name: FAILED (exit status $rc)"
  return $rc
}

# The suite on this machine as it is: every step, then the verdict, which
# counts every step's status, every test case of every build directory in
# $logs (LABEL=BUILDDIR) and checks expected_cases_for.
run_host () {
  local builddir=${BUILDDIR:-$srcdir/_build-test}
  local logs=() step_statuses=() expected=() key skip docs=true memcheck=true
  # The reference needs gi-docgen, which Debian 11 does not have; the full
  # run leaves memcheck to some stacks (see the loop below).
  command -v gi-docgen >/dev/null || docs=false
  [ "${ASYNC_RUNNER_MEMCHECK:-yes}" = yes ] || memcheck=false
  # A failed step must not end the run: step records it. (run_host runs in
  # a subshell, so this stays inside.)
  set +e

  step packages install_missing_packages "${async_runner_packages[@]}"
  stage "stack: $(describe_stack)"
  rm -rf "$builddir" "$builddir"-*

  logs+=("test=$builddir")
  $docs || stage "no gi-docgen: the reference docs are not built"
  step configure meson setup "$builddir" "$srcdir" -Dwerror=true -Ddocs=$($docs && echo enabled || echo disabled) &&
    step build ninja -C "$builddir" &&
    step test env ASYNC_RUNNER_STRESS_EXIT=30 meson test -C "$builddir" --print-errorlogs

  logs+=("installed=$builddir-installed/build")
  step installed "$srcdir/build-aux/test-installed.sh" "$srcdir" "$builddir-installed"

  if $usr_local; then
    logs+=("usr-local=$builddir-usr-local/build")
    step usr-local "$srcdir/build-aux/test-installed.sh" --usr-local "$srcdir" "$builddir-usr-local"
  fi

  # On this machine only (the chroots have no npm registry client).
  if [ -z "${ASYNC_RUNNER_IN_CHROOT:-}" ]; then
    step typescript "$srcdir/build-aux/check-typescript.sh" "$srcdir" "$builddir" "$builddir-typescript"
  fi

  logs+=("subproject-shared=$builddir-subproject/build-shared"
         "subproject-static=$builddir-subproject/build-static")
  step subproject "$srcdir/build-aux/test-subproject.sh" "$srcdir" "$builddir-subproject"

  if $memcheck; then
    logs+=("memcheck=$builddir-memcheck")
    step memcheck "$srcdir/build-aux/check-c.sh" memcheck "$srcdir" "$builddir-memcheck"
  else
    stage "memcheck: not on this stack in the full run (see README.md)"
  fi

  logs+=("asan=$builddir-asan")
  step asan "$srcdir/build-aux/check-c.sh" asan "$srcdir" "$builddir-asan"

  stage "summary: $(describe_stack)"
  for key in $(expected_cases_for); do expected+=(--expect "$key"); done
  while IFS= read -r skip; do expected+=(--allow-skip "$skip"); done < <(allowed_skips_for)
  /usr/bin/python3 "$srcdir/build-aux/summarise-tests.py" \
    "${step_statuses[@]}" "${expected[@]}" "${logs[@]}"
}

if [ "${stacks[*]}" = host ]; then
  if $shell; then
    echo "$0: --shell needs a chroot stack (trixie, sid, bullseye or trixie-i386)" >&2
    exit 2
  fi
  status=0
  ( run_host ) || status=$?
  exit $status
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
      stack_run "$name" "$srcdir" env BUILDDIR=/var/tmp/async-runner-test ASYNC_RUNNER_IN_CHROOT=1 \
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

# Every stack in turn, each one's output kept for its verdict: the exit
# status of the whole stack (test.sh --stack host, in the chroot for the
# chroot stacks), then the summary that its last lines hold.
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
summary=()
details=()
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
  set +e
  if [ "$name" = host ]; then
    ( ASYNC_RUNNER_MEMCHECK=$memcheck run_host ) 2>&1 | tee "$log"
  elif [ "$(id -u)" -ne 0 ]; then
    echo "stack $name: chroots need root" | tee "$log"
  else
    ( ASYNC_RUNNER_MEMCHECK=$memcheck run_chroot "$name" ) 2>&1 | tee "$log"
  fi
  # The stack's status, and tee's.
  pipe=("${PIPESTATUS[@]}")
  set -e
  rc=${pipe[0]}
  [ "${pipe[1]:-0}" -eq 0 ] || rc=${pipe[1]}
  [ "$(id -u)" -eq 0 ] || [ "$name" = host ] || rc=1

  # The stage's own closing line, the stack it named, and the skipped and
  # failed lines of its summary.
  counts=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1 || true)
  described=$(grep -E '^=== summary: ' "$log" | tail -n 1 | sed 's/^=== summary: \(.*\) ===$/\1/' || true)
  while IFS= read -r line; do
    details+=("$name: $line")
  done < <(awk '/^=== summary: /{ n = NR } { line[NR] = $0 }
                END { for (i = n + 1; i <= NR; i++) if (line[i] ~ /^(skipped|failed): /) print line[i] }' "$log")
  if [ -z "$counts" ]; then
    counts="tests: 0 passed, 0 failed, 0 skipped"
    described="no result (see above)"
  fi
  read -r passed failed skipped < <(echo "$counts" | sed -E 's/tests: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')
  # A stack that failed always shows a failure, even one no test counted
  # (a chroot not built, a summary never printed).
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1
    details+=("$name: failed: stack $name ended with exit status $rc")
  fi
  [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] || status=1
  summary+=("$name|$described|$passed|$failed|$skipped|$((SECONDS - started))")
done

stage "summary of every stack"
total_passed=0 total_failed=0 total_skipped=0
for line in "${details[@]}"; do
  echo "$line"
done
for line in "${summary[@]}"; do
  IFS='|' read -r name described passed failed skipped seconds <<<"$line"
  printf 'stack %-11s %s passed, %s failed, %s skipped in %d min %02d s on %s\n' \
    "$name" "$passed" "$failed" "$skipped" $((seconds / 60)) $((seconds % 60)) "$described"
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
done
echo "tests: $total_passed passed, $total_failed failed, $total_skipped skipped"
exit $status
