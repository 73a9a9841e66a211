#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The installed tests (-Dinstalled_tests=true) as GNOME runs them:
# gnome-desktop-testing-runner async-runner-1/, one TAP line per .test
# file. Each test's output goes to a log file; a failed test's is printed
# on stderr. Finds the .test files through XDG_DATA_DIRS, whose default
# covers /usr and /usr/local.
set -u
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
status=0
gnome-desktop-testing-runner --tap --parallel=0 --log-directory="$logdir" async-runner-1/ \
  >"$logdir/tap" || status=$?
cat "$logdir/tap"
# A run that found no test fails, whatever the runner says.
grep -q '^ok ' "$logdir/tap" || { echo 'no installed test of async-runner-1 found' >&2; status=1; }
for name in $(sed -n 's|^not ok - async-runner-1/\(.*\)\.test.*|\1|p' "$logdir/tap"); do
  echo "=== output of the installed test $name ===" >&2
  cat "$logdir/async-runner-1_$name.test.txt" >&2
done
exit $status
