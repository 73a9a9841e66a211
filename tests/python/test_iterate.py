# SPDX-License-Identifier: LGPL-2.1-or-later
"""iterate() runs the async generator as `async for` would (issue 20,
points 5, 6 and 9): in one task, with one context; a step that ends early
raises what ended it; a generator left suspended at exit is closed."""

import asyncio
import contextvars
import sys
import threading

from gi.repository import AsyncRunner, Gio

import pytest

from conftest import DEADLINE, io_error, run_script

var = contextvars.ContextVar('var', default='unset')


async def count(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


# --- 5: a step that ends early --------------------------------------------------

# A timeout during a step raises TIMED_OUT (not "aclose(): asynchronous
# generator is already running"); the generator, cancelled where it waits,
# runs its finally, which may await.
def test_a_timeout_during_a_step_raises_timed_out(runner):
    closed = threading.Event()

    async def gen():
        try:
            await asyncio.sleep(DEADLINE * 10)
            yield 1
        finally:
            await asyncio.sleep(0.01)   # a cleanup that takes some turns
            closed.set()

    items = runner.iterate(gen(), timeout=0.05)
    with pytest.raises(TimeoutError) as info:
        next(items)
    assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)
    assert closed.wait(DEADLINE)
    with pytest.raises(StopIteration):
        next(items)
    # The runner serves the next call.
    assert list(runner.iterate(count(3))) == [0, 1, 2]


# Ctrl-C during a step raises KeyboardInterrupt, and the generator is closed.
def test_ctrl_c_during_a_step_raises_keyboard_interrupt():
    proc = run_script('''
        import asyncio, os, signal, threading
        started = threading.Event()
        closed = threading.Event()

        async def gen():
            try:
                yield 1
                started.set()
                await asyncio.sleep(3600)
                yield 2
            finally:
                await asyncio.sleep(0.01)   # a cleanup that takes some turns
                closed.set()

        def interrupt():
            # The step runs on the runner thread: the main thread waits in
            # the call, its SIGINT handler swapped.
            started.wait(30)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=interrupt, daemon=True).start()
        items = AsyncRunner.iterate(gen())
        assert next(items) == 1
        try:
            next(items)
        except BaseException as error:
            print(type(error).__name__, error)
        print('closed', closed.wait(30))
        ''')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ['KeyboardInterrupt ', 'closed True'], proc.stderr


# --- 6: one task, one context ---------------------------------------------------

# A contextvars value set inside the generator survives its yields; the
# caller's values are copied in, and the generator's do not leak out.
def test_the_generator_keeps_its_context_across_yields(runner):
    async def gen():
        yield var.get()
        var.set('set in the generator')
        for i in range(3):
            await asyncio.sleep(0)
            yield var.get()

    token = var.set('the caller\'s')
    try:
        assert list(runner.iterate(gen())) == ['the caller\'s'] + ['set in the generator'] * 3
        assert var.get() == 'the caller\'s'
    finally:
        var.reset(token)


# The generator runs in one task: its own asyncio.current_task() is the
# same at every step.
def test_the_generator_runs_in_one_task(runner):
    async def gen():
        for i in range(3):
            yield asyncio.current_task()

    tasks = list(runner.iterate(gen()))
    assert len(tasks) == 3 and len(set(map(id, tasks))) == 1


# An asyncio.timeout() around several yields fires while the generator is
# suspended at one: the TimeoutError is raised there, where the generator
# may catch it. The loop's timer that wakes the caller is due after the
# timeout's, so the timeout has fired when the caller asks again.
@pytest.mark.skipif(sys.version_info < (3, 11), reason='asyncio.timeout() is new in 3.11')
def test_an_asyncio_timeout_around_yields_fires(runner):
    fired = threading.Event()

    async def gen():
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(0.05):
                loop.call_later(0.1, fired.set)
                while True:
                    yield 'item'
        except TimeoutError:
            yield 'timed out'

    items = runner.iterate(gen(), timeout=DEADLINE)
    assert next(items) == 'item'
    assert fired.wait(DEADLINE)
    assert next(items) == 'timed out'
    assert list(items) == []


# --- 9: at exit -----------------------------------------------------------------

# An iterate() still suspended at exit, on the default runner or a runner of
# its own: the generator is closed (its finally runs) and nothing else is
# printed.
@pytest.mark.parametrize('runner', ['AsyncRunner', 'AsyncRunner.Runner()'])
def test_a_suspended_iterate_is_closed_at_exit(runner):
    proc = run_script('''
        import asyncio

        async def gen():
            try:
                yield 1
                await asyncio.sleep(0)
                yield 2
            finally:
                print('generator closed', flush=True)

        items = {runner}.iterate(gen())
        print(next(items), flush=True)
        '''.format(runner=runner))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ['1', 'generator closed']
    assert proc.stderr == ''
