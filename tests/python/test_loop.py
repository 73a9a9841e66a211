# SPDX-License-Identifier: LGPL-2.1-or-later
"""The runner's asyncio loop where asyncio.run() sets the rule (issue 20,
points 1-4 and 10): exceptions that are not `Exception`s, nested runs,
debug-mode tracebacks, a descriptor closed behind the loop's back, tasks
left running."""

import asyncio
import gc
import os
import sys
import threading

from gi.repository import AsyncRunner, GLib

import pytest

from conftest import DEADLINE, Held, run_script


class Stop(KeyboardInterrupt):
    """A KeyboardInterrupt of the test's own, told apart from a real one."""


def raise_now(exception):
    raise exception


async def raise_soon(exception):
    await asyncio.sleep(0)
    raise exception


# --- 1: KeyboardInterrupt and SystemExit --------------------------------------------

# Raised in a task that the coroutine spawned, in a callback, or in a task
# that it awaits through gather(): asyncio lets it out of the loop's turn,
# and asyncio.run() raises it to its caller. So does run_async(), and the
# runner then serves the next call. (SystemExit: in a process of its own,
# below.)
@pytest.mark.parametrize('where', ['spawned task', 'callback', 'gathered task'])
def test_keyboard_interrupt_reaches_the_caller(runner, where):
    exception = Stop('from the loop')
    spawned = []

    async def main():
        loop = asyncio.get_running_loop()
        if where == 'spawned task':
            spawned.append(loop.create_task(raise_soon(exception)))
        elif where == 'callback':
            loop.call_soon(raise_now, exception)
        else:
            await asyncio.gather(raise_soon(exception))
        await asyncio.sleep(DEADLINE * 10)

    with pytest.raises(Stop) as info:
        runner.run_async(main(), timeout=DEADLINE / 2)
    assert info.value is exception
    # The task that raised it holds it, as under asyncio.run().
    assert [task.exception() for task in spawned] == ([exception] if spawned else [])
    # The runner, its loop and their sources are as before.
    for turn in range(3):
        assert runner.run_async(asyncio.sleep(0.001, 'still usable'), timeout=DEADLINE) == 'still usable'


# sys.exit(3) in a task or a callback: the process exits with status 3, as
# under asyncio.run() (the reference, checked too). It deadlocked: the
# runner thread started the interpreter's exit while the main thread waited
# for it.
@pytest.mark.parametrize('where', ['spawned task', 'callback', 'gathered task'])
@pytest.mark.parametrize('run', ['asyncio.run', 'AsyncRunner.run_async'])
def test_sys_exit_on_the_loop_exits_the_process(run, where):
    proc = run_script('''
        import asyncio, sys

        async def exits():
            sys.exit(3)

        async def main():
            loop = asyncio.get_running_loop()
            if {where!r} == 'spawned task':
                loop.create_task(exits())
            elif {where!r} == 'callback':
                loop.call_soon(sys.exit, 3)
            else:
                await asyncio.gather(exits())
            await asyncio.sleep(3600)

        {run}(main())
        print('not reached')
        '''.format(run=run, where=where), timeout=40)
    assert proc.returncode == 3, proc.stderr
    assert 'not reached' not in proc.stdout
    assert 'Fatal Python error' not in proc.stderr


# --- 2: nested run_async() ---------------------------------------------------------

def open_descriptors():
    return len(os.listdir('/proc/self/fd'))


# A run_async() nested in a coroutine (or in run()) runs on a loop of its
# own, which it closes when it returns: no descriptor, no GLib source and
# no "Cannot close a running event loop" left behind, over 100 calls.
def test_nested_run_async_closes_its_loop(runner, caplog):
    async def inner(i):
        await asyncio.sleep(0)
        return i

    async def outer(n):
        return [runner.run_async(inner(i)) for i in range(n)]

    assert runner.run_async(outer(1)) == [0]     # the thread's own loop, made once
    gc.collect()    # what earlier tests left to the collector closes its descriptors now
    before = open_descriptors()
    assert runner.run_async(outer(100)) == list(range(100))
    assert runner.run(lambda: [runner.run_async(inner(i)) for i in range(100)]) == list(range(100))
    assert open_descriptors() <= before
    assert 'Cannot close a running event loop' not in caplog.text
    assert 'Traceback' not in caplog.text


# --- 3: debug-mode tracebacks ------------------------------------------------------

# In debug mode (PYTHONASYNCIODEBUG=1, loop.set_debug()) a handle records
# where it was made: the user's line, not the override's call_soon hook.
def test_debug_source_traceback_names_the_users_line(runner):
    def boom():
        raise ValueError('from a callback')

    async def main():
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        seen = []
        loop.set_exception_handler(lambda loop, context: seen.append(context))
        done = asyncio.Event()
        try:
            line = sys._getframe().f_lineno + 1
            loop.call_soon(boom)
            loop.call_later(0.001, boom)
            loop.call_at(loop.time(), boom)
            loop.call_soon_threadsafe(boom)
            loop.call_later(0.01, done.set)
            await done.wait()
        finally:
            loop.set_exception_handler(None)
            loop.set_debug(False)
        return line, seen

    line, seen = runner.run_async(main(), timeout=DEADLINE / 2)
    assert sorted(c['source_traceback'][-1][:3] for c in seen) == [
        (__file__, line + i, 'main') for i in range(4)]


# --- 4: a descriptor closed without remove_reader() --------------------------------

class IterationCounter(GLib.Source):
    """Counts the iterations of the context it is attached to (GLib asks
    every source to prepare at each one)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def prepare(self):
        self.count += 1
        return False, -1

    def check(self):
        return False

    def dispatch(self, callback, args):
        return GLib.SOURCE_CONTINUE


# asyncio forgets a descriptor that is closed behind its back (epoll drops
# it) and spends no CPU on it; GLib's poll() reports POLLNVAL for it at
# every iteration. The proof counts the runner's iterations while the loop
# waits 0.5 s: a few without a spin, whatever the load (a spin runs
# thousands, even on a loaded machine or under valgrind).
def test_a_descriptor_closed_without_remove_reader_does_not_spin(runner):
    counter = IterationCounter()
    counter.attach(runner.get_context())

    async def main():
        loop = asyncio.get_running_loop()
        read_fd, write_fd = os.pipe()
        loop.add_reader(read_fd, lambda: None)
        loop.add_writer(write_fd, lambda: None)
        await asyncio.sleep(0.01)
        os.close(read_fd)
        os.close(write_fd)
        await asyncio.sleep(0.01)   # the loop sees them closed
        before = counter.count
        await asyncio.sleep(0.5)
        iterations = counter.count - before
        loop.remove_reader(read_fd)
        loop.remove_writer(write_fd)
        return iterations

    try:
        iterations = runner.run_async(main(), timeout=DEADLINE / 2)
    finally:
        counter.destroy()
    assert iterations < 50


# --- 8: wrap() on a loop that does not iterate GLib ------------------------------

# The operation would call back on the thread's main context, which plain
# asyncio.run() never iterates: awaiting wrap() there raises at once, and
# the operation does not start (it waited for ever).
def test_wrap_on_a_loop_that_does_not_iterate_glib_raises_at_once():
    op = Held()

    async def main():
        return await asyncio.wait_for(AsyncRunner.wrap(op.start_async, finish=op.start_finish), 2)

    with pytest.raises(RuntimeError, match='does not iterate'):
        asyncio.run(main())
    assert not op.started.is_set()


# --- 10: tasks left running --------------------------------------------------------

# A task that a coroutine spawned and did not await goes on after
# run_async() returns, on the runner's loop (which lives as long as the
# runner): it runs whenever the runner thread iterates its context. Unlike
# asyncio.run(), which cancels it.
def test_a_task_left_running_goes_on_after_run_async(runner):
    release = threading.Event()
    tasks = []

    async def background():
        while not release.is_set():
            await asyncio.sleep(0.001)
        return 'went on'

    async def spawn():
        tasks.append(asyncio.get_running_loop().create_task(background()))

    runner.run_async(spawn())
    assert not tasks[0].done()
    release.set()

    async def collect():
        return await tasks[0]

    assert runner.run_async(collect(), timeout=DEADLINE) == 'went on'


# A nested run_async() runs on a loop of its own, closed when it returns,
# as asyncio.run() closes its loop: what it left running is cancelled then.
def test_a_task_left_running_by_a_nested_run_async_is_cancelled(runner):
    tasks = []
    cancelled = []

    async def background():
        try:
            await asyncio.sleep(DEADLINE * 10)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def spawn():
        tasks.append(asyncio.get_running_loop().create_task(background()))
        await asyncio.sleep(0)

    async def outer():
        runner.run_async(spawn())
        return tasks[0].cancelled(), cancelled

    assert runner.run_async(outer(), timeout=DEADLINE) == (True, [True])
