# SPDX-License-Identifier: LGPL-2.1-or-later
"""A call's timeout is pythonic (issue 20, point 17): the exception is a
`TimeoutError` and still the `GLib.Error` G_IO_ERROR_TIMED_OUT."""

import asyncio
import threading

from gi.repository import AsyncRunner, Gio, GLib

import pytest

from conftest import DEADLINE, Held, io_error


def check_timeout(error):
    assert isinstance(error, TimeoutError)
    assert isinstance(error, GLib.Error)
    assert io_error(error, Gio.IOErrorEnum.TIMED_OUT)
    assert error.message == 'Operation timed out'


def raised(fn):
    """The exception that @fn raises, caught by `except TimeoutError:`."""
    try:
        fn()
    except TimeoutError as error:
        return error
    raise AssertionError('no TimeoutError raised')


def slow(runner):
    """A function that runs past any short timeout, until released."""
    release = threading.Event()
    return release, lambda: release.wait(DEADLINE)


async def hang():
    await asyncio.sleep(DEADLINE * 10)


# Each way of ending a call at its time limit: call(), run(), run_async(),
# iterate(), call_all(), the module-level ones and with_options().
def test_per_call_timeouts_are_timeout_errors(runner):
    op = Held()
    check_timeout(raised(lambda: runner.call(op.start_async, timeout=0.05, finish=op.start_finish)))
    check_timeout(raised(lambda: runner.run_async(hang(), timeout=0.05)))
    check_timeout(raised(lambda: next(iter(runner.iterate(ticks_forever(), timeout=0.05)))))
    check_timeout(raised(lambda: runner.call_all([(Held().start_async,)], timeout=0.05)))
    release, busy = slow(runner)
    try:
        check_timeout(raised(lambda: runner.with_options(timeout=0.05).run(busy)))
    finally:
        release.set()
    check_timeout(raised(lambda: AsyncRunner.run_async(hang(), timeout=0)))


async def ticks_forever():
    while True:
        await asyncio.sleep(DEADLINE * 10)
        yield 1


# The runner's own time limit (Runner(timeout=...)), in the main thread
# (which watches Ctrl-C) and from another thread (the call's fast path).
def test_the_runners_timeout_is_a_timeout_error():
    with AsyncRunner.Runner(timeout=0.05) as runner:
        release, busy = slow(runner)
        try:
            check_timeout(raised(lambda: runner.run(busy)))
        finally:
            release.set()

        errors = []

        def other_thread():
            release, busy = slow(runner)
            try:
                runner.run(busy)
            except BaseException as error:
                errors.append(error)
            finally:
                release.set()

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join(DEADLINE)
        assert len(errors) == 1
        check_timeout(errors[0])


# What is not a timeout stays as it was: CANCELLED is not a TimeoutError.
def test_a_cancelled_call_is_not_a_timeout_error(runner):
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    with pytest.raises(GLib.Error) as info:
        runner.run_async(hang(), cancellable=cancellable, timeout=DEADLINE)
    assert io_error(info.value, Gio.IOErrorEnum.CANCELLED)
    assert not isinstance(info.value, TimeoutError)
