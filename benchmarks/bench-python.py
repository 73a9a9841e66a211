#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Per-call cost of the Python override, side by side in one run.

From the main thread, one after the other in interleaved rounds (so that
a busy machine weighs on every row alike):

- AsyncRunner.run() of a trivial callable, from the main thread (which
  watches Ctrl-C) and from another thread (nothing to watch), and the raw
  run_sync() of one: the floor of any run() built on it through PyGObject;
- AsyncRunner.run_async() of a trivial coroutine;
- the peer Python users come from: one asyncio loop in a background
  thread and asyncio.run_coroutine_threadsafe(coro, loop).result();
- AsyncRunner.call(f.load_contents_async), the C async_runner_call_sync()
  of the same load (bench-python-c.c, through ctypes), and the blocking
  f.load_contents() from Python.

Prints the median and the best round of each, in microseconds per call,
the ratios the issue sets goals for, and how far the raw run_sync() itself
is from them. --quick: a smoke run.

Usage: bench-python.py [--quick] OVERRIDES_DIR C_HELPER_LIBRARY
"""

import asyncio
import ctypes
import os
import statistics
import sys
import tempfile
import threading
import time

quick = '--quick' in sys.argv
args = [a for a in sys.argv[1:] if a != '--quick']
overrides_dir, helper_path = args

import gi  # noqa: E402

gi.require_version('AsyncRunner', '1')
gi.require_version('Gio', '2.0')
import gi.overrides  # noqa: E402

gi.overrides.__path__.insert(0, overrides_dir)

from gi.repository import AsyncRunner, Gio  # noqa: E402

ROUNDS = 3 if quick else 15
ROUND_SECONDS = 0.01 if quick else 0.15


def load_average():
    try:
        with open('/proc/loadavg') as f:
            return ' '.join(f.read().split()[:3])
    except OSError:
        return 'unknown'


def main():
    helper = ctypes.CDLL(helper_path)
    helper.bench_python_c_call_sync_load.restype = ctypes.c_double
    helper.bench_python_c_call_sync_load.argtypes = [ctypes.c_char_p, ctypes.c_uint]

    with tempfile.NamedTemporaryFile(prefix='bench-python-', delete=False) as f:
        f.write(b'x' * 4096)
    path = f.name
    gfile = Gio.File.new_for_path(path)

    seed_loop = asyncio.new_event_loop()
    threading.Thread(target=seed_loop.run_forever, daemon=True).start()

    async def trivial():
        return 1

    def raw_fn(runner, task, *unused):
        task.return_value(1)
        return True

    runner = AsyncRunner.Runner.get_default()

    def c_call_sync(n):
        seconds = helper.bench_python_c_call_sync_load(path.encode(), n)
        if seconds < 0:
            raise RuntimeError('the C load failed')
        return seconds

    def timed(fn):
        def batch(n):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            return time.perf_counter() - start
        return batch

    def in_a_thread(batch):
        def threaded(n):
            seconds = []
            thread = threading.Thread(target=lambda: seconds.append(batch(n)))
            thread.start()
            thread.join()
            return seconds[0]
        return threaded

    cases = [
        ('run() of a trivial callable', timed(lambda: AsyncRunner.run(int))),
        ('run() of it, from another thread', in_a_thread(timed(lambda: AsyncRunner.run(int)))),
        ('raw run_sync() from Python', timed(lambda: runner.run_sync(raw_fn, None))),
        ('run_async() of a trivial coroutine', timed(lambda: AsyncRunner.run_async(trivial()))),
        ('seed: run_coroutine_threadsafe().result()',
         timed(lambda: asyncio.run_coroutine_threadsafe(trivial(), seed_loop).result())),
        ('call(f.load_contents_async)', timed(lambda: AsyncRunner.call(gfile.load_contents_async))),
        ('C async_runner_call_sync() of the same load', c_call_sync),
        ('blocking f.load_contents() from Python', timed(lambda: gfile.load_contents(None))),
    ]

    # Batch sizes: about ROUND_SECONDS per case and round.
    sizes = []
    for name, batch in cases:
        batch(20)
        n = 20
        while True:
            seconds = batch(n)
            if seconds >= ROUND_SECONDS / 4 or n >= 1 << 20:
                break
            n *= 2
        sizes.append(max(20, int(n * ROUND_SECONDS / max(seconds, 1e-9))))

    load_before = load_average()
    figures = [[] for _ in cases]
    for _ in range(ROUNDS):
        for i, (name, batch) in enumerate(cases):
            figures[i].append(batch(sizes[i]) / sizes[i] * 1e6)

    print('async-runner Python benchmark (%s run): PyGObject %s, Python %s, %d CPUs, '
          'load average %s (start) %s (end)'
          % ('quick' if quick else 'full', gi.__version__, sys.version.split()[0],
             os.cpu_count(), load_before, load_average()))
    print('  %-46s %10s %10s' % ('per call, from the main thread', 'median', 'best'))
    medians = {}
    for (name, _), values in zip(cases, figures):
        medians[name] = statistics.median(values)
        print('  %-46s %7.2f us %7.2f us' % (name, medians[name], min(values)))

    seed = medians['seed: run_coroutine_threadsafe().result()']
    print('  the seed costs %.1fx a run() (goal: 8x or more) and %.1fx a run_async() '
          '(goal: above 1x)' % (seed / medians['run() of a trivial callable'],
                                seed / medians['run_async() of a trivial coroutine']))
    print('  the seed costs %.1fx the raw run_sync(), the most any run() built on it '
          'could reach; run() costs %.1fx the raw run_sync()'
          % (seed / medians['raw run_sync() from Python'],
             medians['run() of a trivial callable'] / medians['raw run_sync() from Python']))
    print('  call() costs %.2fx the C call_sync() of the same load (goal: within 1.5x)'
          % (medians['call(f.load_contents_async)']
             / medians['C async_runner_call_sync() of the same load']))

    seed_loop.call_soon_threadsafe(seed_loop.stop)
    os.unlink(path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
