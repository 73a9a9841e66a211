#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks the installed reference (-Ddocs): the index, the class and its
methods, and every guide, as pages of share/doc/async-runner-1.

Usage: reference.py DOCDIR
"""

import os
import sys

PAGES = {
    'index.html': ['class.Runner.html', 'why-a-runner.html'],
    'class.Runner.html': ['call_sync_full', 'run_sync_full', 'call_all_sync',
                          'call_method_sync', 'call_function_sync'],
    'method.Runner.call_sync_full.html': ['timeout_ms'],
    'method.Runner.call_method_sync.html': ['load_contents_async'],
    'why-a-runner.html': [],
    'calling-async-apis.html': [],
    'threads-cancellation-shutdown.html': [],
    'performance.html': [],
    'debugging-a-stuck-call.html': [],
    'python.html': ['AsyncRunner.call'],
    'async-runner-1.devhelp2': [],
}

docdir = sys.argv[1]
failures = 0
for page, needles in PAGES.items():
    path = os.path.join(docdir, page)
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError as e:
        print(f'{page}: {e.strerror}', file=sys.stderr)
        failures += 1
        continue
    for needle in needles:
        if needle not in text:
            print(f'{page}: does not mention {needle}', file=sys.stderr)
            failures += 1
print(f'{len(PAGES)} pages of the installed reference in {docdir}: '
      f'{"OK" if failures == 0 else f"{failures} problems"}')
sys.exit(1 if failures else 0)
