# SPDX-License-Identifier: LGPL-2.1-or-later
"""Coroutines on the runner's GLib context (issue 13): run_async, sync,
iterate, wrap, with_options; the asyncio loop behaves as asyncio's own."""

import asyncio
import contextvars
import functools
import os
import socket
import sys
import tempfile
import threading
import traceback

import gi
from gi.repository import AsyncRunner, Gio, GLib, GObject

import pytest

from conftest import DEADLINE, io_error

CONTENTS = b'some contents\n'
request_id = contextvars.ContextVar('request_id', default=None)


@pytest.fixture
def text_files():
    paths = []
    for i in range(3):
        with tempfile.NamedTemporaryFile(prefix='async-runner-', delete=False) as f:
            f.write(CONTENTS * (i + 1))
        paths.append(f.name)
    yield [Gio.File.new_for_path(p) for p in paths]
    for p in paths:
        os.unlink(p)


class Boom(Exception):
    pass


# --- run_async ---------------------------------------------------------------------

def test_run_async_returns_the_result_on_the_runner_thread(runner):
    async def main():
        await asyncio.sleep(0)
        return runner.is_runner_thread(), asyncio.get_running_loop() is not None

    assert runner.run_async(main()) == (True, True)


def test_run_async_raises_the_exception_with_its_traceback(runner):
    async def failing():
        await asyncio.sleep(0)
        raise Boom('from the coroutine')

    with pytest.raises(Boom, match='from the coroutine') as info:
        runner.run_async(failing())
    assert 'failing' in ''.join(traceback.format_tb(info.tb))


# asyncio's and Gio's awaitables together: sleep, gather of Gio loads, a
# subprocess, an executor, a queue.
def test_run_async_mixes_asyncio_and_gio(runner, text_files):
    async def main():
        queue = asyncio.Queue()
        await asyncio.sleep(0.001)
        loads = await asyncio.gather(*[AsyncRunner.wrap(f.load_contents_async)
                                       for f in text_files])
        process = await asyncio.create_subprocess_exec(
            'echo', 'from a subprocess', stdout=asyncio.subprocess.PIPE)
        out, _ = await process.communicate()
        in_thread = await asyncio.get_running_loop().run_in_executor(None, sum, [1, 2])
        await queue.put('queued')
        return [contents for ok, contents, etag in loads], out, in_thread, await queue.get()

    contents, out, in_thread, queued = runner.run_async(main())
    assert contents == [CONTENTS * (i + 1) for i in range(3)]
    assert out == b'from a subprocess\n'
    assert in_thread == 3 and queued == 'queued'


# Sockets through add_reader, on the runner's own poll.
def test_run_async_add_reader(runner):
    a, b = socket.socketpair()
    a.setblocking(False)

    async def main():
        loop = asyncio.get_running_loop()
        got = loop.create_future()
        loop.add_reader(a.fileno(), lambda: got.set_result(a.recv(100)))
        loop.call_soon(b.send, b'ping')
        try:
            return await got
        finally:
            loop.remove_reader(a.fileno())

    try:
        assert runner.run_async(main()) == b'ping'
    finally:
        a.close()
        b.close()


# PyGObject >= 3.50 makes Gio methods awaitable: they work on this loop too.
@pytest.mark.skipif(gi.version_info < (3, 50), reason='awaitable Gio methods need PyGObject >= 3.50')
def test_run_async_with_awaitable_gio_methods(runner, text_files):
    async def main():
        return await text_files[0].load_contents_async()

    assert runner.run_async(main())[1] == CONTENTS


def test_run_async_sees_the_callers_contextvars(runner):
    async def main():
        return request_id.get()

    token = request_id.set('abc')
    try:
        assert runner.run_async(main()) == 'abc'
    finally:
        request_id.reset(token)
    assert runner.run_async(main()) is None


def test_run_async_refuses_what_is_not_awaitable(runner):
    async def fetch():
        return 1

    with pytest.raises(TypeError, match=r'call .*fetch\(\)'):
        runner.run_async(fetch)
    with pytest.raises(TypeError, match='call functools.partial'):
        runner.run_async(functools.partial(fetch))
    with pytest.raises(TypeError, match='run\\(\\)'):
        runner.run_async(lambda: 1)


# --- timeouts, cancellables: the task is cancelled and may clean up -----------------

def cancellable_coroutine(entered, cleaned):
    async def main():
        try:
            entered.set()
            await asyncio.sleep(DEADLINE * 3)
        except asyncio.CancelledError:
            cleaned.set()
            raise
    return main()


def test_run_async_timeout_cancels_the_task(runner):
    entered, cleaned = threading.Event(), threading.Event()

    with pytest.raises(GLib.Error) as info:
        runner.run_async(cancellable_coroutine(entered, cleaned), timeout=0.05)

    assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)
    assert cleaned.wait(DEADLINE)
    assert runner.run_async(asyncio.sleep(0, 'next')) == 'next'


def test_run_async_cancellable_cancels_the_task(runner):
    entered, cleaned = threading.Event(), threading.Event()
    cancellable = Gio.Cancellable()
    threading.Thread(target=lambda: (entered.wait(DEADLINE), cancellable.cancel())).start()

    with pytest.raises(GLib.Error) as info:
        runner.with_options(cancellable=cancellable).run_async(
            cancellable_coroutine(entered, cleaned))

    assert io_error(info.value, Gio.IOErrorEnum.CANCELLED)
    assert cleaned.wait(DEADLINE)


# A Gio operation awaited through wrap() is cancelled with the task.
def test_wrap_cancels_the_gio_operation(runner):
    seen = []

    class Op:
        def hold_async(self, cancellable, callback):
            seen.append(cancellable)
            task = Gio.Task.new(None, cancellable, callback)
            GObject.Object.connect(cancellable, 'cancelled',
                                   lambda c: task.return_error_if_cancelled())

        def hold_finish(self, result):
            return result.propagate_boolean()

    async def main():
        task = asyncio.ensure_future(AsyncRunner.wrap(Op().hold_async))
        await asyncio.sleep(0.01)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return 'cancelled'

    assert runner.run_async(main()) == 'cancelled'
    assert seen[0].is_cancelled()


# --- on the runner thread itself ------------------------------------------------------

def test_run_async_nested_in_a_coroutine(runner):
    async def inner():
        await asyncio.sleep(0.001)
        return 'inner'

    async def outer():
        await asyncio.sleep(0)
        value = runner.run_async(inner())       # blocking, on the runner thread
        await asyncio.sleep(0)
        return 'outer+' + value

    assert runner.run_async(outer()) == 'outer+inner'


def test_run_async_nested_in_run(runner):
    async def inner():
        await asyncio.sleep(0.001)
        return runner.is_runner_thread()

    assert runner.run(lambda: runner.run_async(inner())) is True


# --- sync, iterate ------------------------------------------------------------------------

@AsyncRunner.sync
async def add_later(a, b):
    """Adds, after a sleep."""
    await asyncio.sleep(0)
    return a + b


def test_sync_makes_a_plain_function():
    assert add_later(2, 3) == 5
    assert add_later.__name__ == 'add_later'
    assert add_later.__doc__ == 'Adds, after a sleep.'


def test_sync_with_a_runner(runner):
    @AsyncRunner.sync(runner=runner)
    async def where():
        return runner.is_runner_thread()

    assert where() is True
    with pytest.raises(TypeError):
        AsyncRunner.sync(lambda: 1)


def test_iterate_gives_one_item_per_step(runner):
    async def numbers():
        for i in range(3):
            await asyncio.sleep(0)
            yield i

    assert list(runner.iterate(numbers())) == [0, 1, 2]


def test_iterate_closes_the_generator_when_stopped_early(runner):
    closed = []

    async def numbers():
        try:
            for i in range(100):
                yield i
        finally:
            closed.append(runner.is_runner_thread())

    for item in runner.iterate(numbers()):
        if item == 2:
            break
    assert closed == [True]


def test_module_level_run_async_and_iterate():
    async def numbers():
        yield 1

    assert AsyncRunner.run_async(asyncio.sleep(0, 'default')) == 'default'
    assert list(AsyncRunner.iterate(numbers())) == [1]


# --- the loop behaves as asyncio's own --------------------------------------------------

# An exception in a callback goes to the loop's exception handler; the coroutine goes on.
def test_exception_in_a_callback_goes_to_the_exception_handler(runner):
    async def main():
        loop = asyncio.get_running_loop()
        seen = []
        loop.set_exception_handler(lambda loop, context: seen.append(context['exception']))
        try:
            def fail():
                raise Boom('in a callback')
            loop.call_soon(fail)
            await asyncio.sleep(0.001)
            return seen
        finally:
            loop.set_exception_handler(None)

    seen = runner.run_async(main())
    assert len(seen) == 1 and isinstance(seen[0], Boom)


def test_call_later_ordering(runner):
    async def main():
        loop = asyncio.get_running_loop()
        order = []
        done = loop.create_future()
        loop.call_later(0.03, lambda: (order.append('30ms'), done.set_result(None)))
        loop.call_later(0.01, order.append, '10ms')
        loop.call_at(loop.time() + 0.02, order.append, '20ms')
        loop.call_soon(order.append, 'soon')
        start = loop.time()
        await done
        return order, loop.time() - start

    order, elapsed = runner.run_async(main())
    assert order == ['soon', '10ms', '20ms', '30ms']
    assert elapsed >= 0.03


# A coroutine that keeps the loop busy (callbacks always ready) leaves the
# runner's other sources their turn: a Gio operation and a thread's wake-up
# complete meanwhile, and timers still fire.
def test_busy_loop_leaves_other_sources_their_turn(runner, text_files):
    async def main():
        loop = asyncio.get_running_loop()
        load = asyncio.ensure_future(AsyncRunner.wrap(text_files[0].load_contents_async))
        woken = loop.create_future()
        threading.Thread(
            target=lambda: loop.call_soon_threadsafe(woken.set_result, 'woken')).start()
        timer = loop.create_future()
        loop.call_later(0.01, timer.set_result, 'timer')
        turns = 0
        while not (load.done() and woken.done() and timer.done()):
            turns += 1
            await asyncio.sleep(0)
        return load.result()[1], woken.result(), timer.result(), turns

    contents, woken, timer, turns = runner.with_options(timeout=DEADLINE).run_async(main())
    assert (contents, woken, timer) == (CONTENTS, 'woken', 'timer')
    assert turns > 0


# Two run_async() calls in a row, and one nested in a coroutine's own turn,
# each find the loop armed for their task (no source is left disarmed by the
# turn that ran when it was armed).
def test_run_async_back_to_back_and_nested_arm_the_loop(runner):
    async def inner(n):
        await asyncio.sleep(0)
        return n

    async def outer():
        await asyncio.sleep(0.001)
        nested = runner.run_async(inner(2))
        await asyncio.sleep(0)
        return nested + await inner(3)

    for i in range(50):
        assert runner.with_options(timeout=DEADLINE).run_async(inner(i)) == i
        assert runner.with_options(timeout=DEADLINE).run_async(outer()) == 5


def test_cancellation_inside(runner):
    async def main():
        async def child():
            try:
                await asyncio.sleep(DEADLINE * 3)
            except asyncio.CancelledError:
                return 'child cleaned up'

        task = asyncio.create_task(child())
        await asyncio.sleep(0)
        task.cancel()
        result = await task
        try:
            await asyncio.wait_for(asyncio.sleep(DEADLINE * 3), 0.01)
        except asyncio.TimeoutError:
            return result, 'wait_for timed out'

    assert runner.run_async(main()) == ('child cleaned up', 'wait_for timed out')


def test_call_soon_threadsafe_from_another_thread(runner):
    async def main():
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        threading.Thread(
            target=lambda: loop.call_soon_threadsafe(future.set_result, 'from a thread')).start()
        return await future

    assert runner.run_async(main()) == 'from a thread'


def test_loop_is_not_run_by_hand(runner):
    async def main():
        loop = asyncio.get_running_loop()
        sleep = asyncio.sleep(0)
        with pytest.raises(RuntimeError):
            loop.run_until_complete(sleep)
        sleep.close()
        return loop.is_running()

    assert runner.run_async(main()) is True


# Other threads wake the loop through its self-pipe only: a wake-up is never
# lost, however they interleave with the runner thread.
def test_many_wake_ups_from_other_threads(runner):
    async def main():
        loop = asyncio.get_running_loop()
        for i in range(300):
            future = loop.create_future()
            threading.Thread(target=loop.call_soon_threadsafe,
                             args=(future.set_result, i)).start()
            assert await future == i
        return 'all woken'

    assert runner.run_async(main()) == 'all woken'


# The sequence that lost a wake-up: a timeout cancels the task from the
# watchdog thread, then the next run sleeps on a timer.
def test_timeouts_then_timers(runner):
    for i in range(30):
        with pytest.raises(GLib.Error):
            runner.run_async(asyncio.sleep(DEADLINE), timeout=0.001)
        assert runner.run_async(asyncio.sleep(0.001, i)) == i
