# SPDX-License-Identifier: LGPL-2.1-or-later
"""The module-level functions of the override: the default runner's calls,
and wrap() and sync()."""

import asyncio
import functools
import inspect
import os

from gi.repository import GLib, Gio

from .common import AsyncRunner
from .gio_call import _find_finish, _shape_of
from .loop import _RunnerLoop




# The default runner, per process (it lives as long as the process).
_default_runner_pid = None
_default_runner_object = None


def _default_runner():
    global _default_runner_pid, _default_runner_object
    pid = os.getpid()
    if _default_runner_pid != pid:
        _default_runner_object = AsyncRunner.Runner.get_default()
        _default_runner_pid = pid
    return _default_runner_object


def call(async_method, *args, cancellable=None, timeout=None, finish=None, **options):
    """`Runner.call()` on the default runner."""
    return _default_runner().call(async_method, *args, cancellable=cancellable,
                                     timeout=timeout, finish=finish, **options)


def run(fn, *args, **kwargs):
    """`Runner.run()` on the default runner."""
    return _default_runner()._run(fn, args, kwargs, None, None)


def with_options(*, timeout=None, cancellable=None):
    """`Runner.with_options()` on the default runner."""
    return AsyncRunner.Runner.get_default().with_options(timeout=timeout, cancellable=cancellable)


def call_all(calls, *, return_exceptions=False, timeout=None, cancellable=None):
    """`Runner.call_all()` on the default runner."""
    return AsyncRunner.Runner.get_default().call_all(calls, return_exceptions=return_exceptions,
                                         timeout=timeout, cancellable=cancellable)



def wrap(async_method, *args, finish=None, **options):
    """An awaitable of a Gio asynchronous method, for a coroutine that runs
    in `run_async()`: ``await AsyncRunner.wrap(f.load_contents_async)``
    returns what `call()` would. Arguments as for `call()`, checked at once.

    The method starts when the awaitable is first awaited (or when a task
    made of it first runs), on the awaiting thread, and calls back on that
    thread's thread-default main context. So the running loop must iterate
    that context: the runner's loop in `run_async()` does, and so does
    PyGObject's asyncio loop; on one that does not (plain
    ``asyncio.run()``), awaiting it raises `RuntimeError` at once, before
    anything starts, instead of waiting for ever. Cancelling the awaiting
    task cancels the operation.
    """
    if inspect.iscoroutine(async_method) or inspect.iscoroutinefunction(async_method):
        raise TypeError('wrap() takes a Gio asynchronous method, not a coroutine: await it')
    shape = _shape_of(async_method)
    shape.check(args, options)
    finish = _find_finish(async_method, shape, args, finish)
    return _wrapped(async_method, shape, args, options, finish)


async def _wrapped(async_method, shape, args, options, finish):
    loop = asyncio.get_running_loop()
    if not isinstance(loop, _RunnerLoop):
        # Another loop: it iterates the thread-default context if it owns it.
        if not GLib.MainContext.ref_thread_default().is_owner():
            raise RuntimeError(
                'wrap() awaited on an asyncio loop that does not iterate this thread\'s '
                'GLib main context: the operation would never call back. Run the coroutine '
                'with AsyncRunner.run_async() (or on PyGObject\'s asyncio loop)')
    future = loop.create_future()
    cancellable = Gio.Cancellable()

    def callback(source, result, *unused):
        if future.done():
            return
        try:
            future.set_result(finish(result))
        except BaseException as error:
            future.set_exception(error)

    shape.start(async_method, args, dict(options), cancellable, callback)
    try:
        return await future
    except asyncio.CancelledError:
        cancellable.cancel()
        raise


def sync(coroutine_function=None, *, runner=None):
    """Turns an ``async def`` function into a plain one that runs it with
    `run_async()` (on @runner, or the default runner) and returns its
    result; the name and docstring are kept::

        @AsyncRunner.sync
        async def fetch(path):
            ...
        data = fetch('/etc/os-release')
    """
    def decorate(fn):
        if inspect.isasyncgenfunction(fn):
            raise TypeError('sync() takes an async def function that returns, not the async '
                            'generator function %r: iterate over it with iterate()' % (fn,))
        if not inspect.iscoroutinefunction(fn):
            raise TypeError('sync() takes an async def function, not %r' % (fn,))

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return (runner or AsyncRunner.Runner.get_default()).run_async(fn(*args, **kwargs))
        return wrapper

    if coroutine_function is None:
        return decorate
    return decorate(coroutine_function)


def run_async(awaitable, *, timeout=None, cancellable=None):
    """`Runner.run_async()` on the default runner."""
    return _default_runner()._run_async(awaitable, cancellable, timeout)


def iterate(async_iterable, *, timeout=None, cancellable=None):
    """`Runner.iterate()` on the default runner."""
    return AsyncRunner.Runner.get_default().iterate(async_iterable, timeout=timeout,
                                        cancellable=cancellable)


