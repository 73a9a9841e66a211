#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Counts the results in the meson test logs of the build directories given
and prints one line: "tests: N passed, N failed, N skipped". A build
directory that left no log counts as one failure. Exits 1 on any failure.

Usage: summarise-tests.py BUILDDIR...
"""

import glob
import json
import sys


def main(builddirs):
    passed = failed = skipped = 0
    for builddir in builddirs:
        # Test setups (--setup valgrind) write testlog-SETUP.json.
        paths = glob.glob(f"{builddir}/meson-logs/testlog*.json")
        if not paths:
            print(f"no test log in {builddir}")
            failed += 1
        for path in paths:
            with open(path) as log:
                for line in log:
                    result = json.loads(line)["result"]
                    if result in ("OK", "EXPECTEDFAIL"):
                        passed += 1
                    elif result == "SKIP":
                        skipped += 1
                    else:
                        failed += 1
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
