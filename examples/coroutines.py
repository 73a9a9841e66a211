#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Coroutines run from plain synchronous code, in Python.

One call, AsyncRunner.run_async(), runs an async def coroutine to
completion on the default runner's thread, where an asyncio loop lives on
the runner's GLib main context: asyncio's awaitables (sleep, gather, a
subprocess) and Gio's (any *_async method through AsyncRunner.wrap()) mix
in the same coroutine. Then the same with a runner of its own, a time
limit, an async generator and a function made synchronous.

Usage: coroutines.py FILE...   (FILE defaults to /etc/os-release)
"""

import asyncio
import sys

import gi

gi.require_version('AsyncRunner', '1')
gi.require_version('Gio', '2.0')

from gi.repository import AsyncRunner, Gio, GLib  # noqa: E402


async def load(path):
    f = Gio.File.new_for_path(path)
    # Any Gio asynchronous method, awaited: what load_contents_finish() returns.
    ok, contents, etag = await AsyncRunner.wrap(f.load_contents_async)
    return path, len(contents)


async def echo(text):
    process = await asyncio.create_subprocess_exec(
        'echo', text, stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    return out.decode().strip()


async def load_all(paths):
    await asyncio.sleep(0.01)
    sizes = await asyncio.gather(*(load(path) for path in paths))
    said = await echo('hello from a subprocess')
    return sizes, said


async def ticks(n):
    for i in range(n):
        await asyncio.sleep(0.001)
        yield i


@AsyncRunner.sync
async def count_lines(path):
    """Counts the lines of the file at @path."""
    ok, contents, etag = await AsyncRunner.wrap(Gio.File.new_for_path(path).load_contents_async)
    return contents.count(b'\n')


def main(argv):
    paths = argv[1:] or ['/etc/os-release']

    # Plain synchronous code: one call runs the coroutine to completion.
    sizes, said = AsyncRunner.run_async(load_all(paths))
    for path, size in sizes:
        print('%s: %d bytes' % (path, size))
    print('echo:', said)

    with AsyncRunner.Runner() as runner:
        # A time limit in seconds: the coroutine is cancelled, the call raises.
        try:
            runner.run_async(asyncio.sleep(10), timeout=0.05)
        except GLib.Error as e:
            if not e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT):
                raise
            print('timed out after 50 ms, as asked')

        # An async generator, one item per step.
        for i in runner.iterate(ticks(3)):
            print('tick', i)

    # A coroutine function made into a plain function.
    print('%s: %d lines' % (paths[0], count_lines(paths[0])))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
