# SPDX-License-Identifier: LGPL-2.1-or-later
"""A pythonic layer over the AsyncRunner binding.

One line runs a Gio asynchronous method synchronously, from any thread::

    from gi.repository import AsyncRunner, Gio

    f = Gio.File.new_for_path("/etc/os-release")
    ok, contents, etag = AsyncRunner.call(f.load_contents_async)

    with AsyncRunner.Runner() as runner:          # shut down on exit
        ok, contents, etag = runner.call(f.load_contents_async,
                                         cancellable=c, timeout=2.0)
        client = runner.run(make_client)          # runs on the runner thread

`Runner.call()` starts the method on the runner thread and returns what the
matching ``*_finish`` method returns; `Runner.run()` runs any Python callable
on the runner thread and returns its result or raises its exception. The
module-level `call()` and `run()` use the default runner.

While the calling thread waits, it releases the GIL and its own main
context, if any, is not iterated. In the main thread, Ctrl-C (SIGINT)
cancels the operation, then calls the SIGINT handler once the call has
ended: Python's default handler raises `KeyboardInterrupt`. A handler that
does not raise makes the call raise `GLib.Error`
``Gio.IOErrorEnum.CANCELLED``: so in a `GLib.MainLoop` callback (whose
run() installs a handler that quits the loop) the call raises CANCELLED,
the callback goes on, and ``loop.run()`` then raises `KeyboardInterrupt`;
under asyncio.run() the main task is cancelled. Calls from other threads
are left alone, as Python delivers signals to the main thread only.

Times are in seconds everywhere in the override (``timeout=2.5``); None
means no limit. The raw GObject property ``timeout`` is in milliseconds.

Per-call timeouts and the Ctrl-C watch are served by one helper thread,
started on first use, so that they work even while the runner thread is
busy.

The raw binding (`Runner.run_sync()`, `Runner.call_sync()`, ...) is left
as it is; `Runner.call_method_sync()` and `Runner.call_function_sync()`
only convert what PyGObject cannot put in a `GObject.Value` (None, large
ints, bytes, lists of str) and take a timeout, like `call()`.
"""
from gi.overrides import override

from ._async_runner import functions as _functions
from ._async_runner.common import AsyncRunner as _AsyncRunner
from ._async_runner.runner import RunnerMethods as _RunnerMethods

# The machinery lives in the package _async_runner beside this file, one
# module per concern (its __init__.py lists them).


@override
class Runner(_RunnerMethods, _AsyncRunner.Runner):
    """Runs Gio asynchronous operations synchronously on a thread of its own.

    ``Runner()`` makes a new runner with its own thread and main context;
    `Runner.get_default()` returns the process-wide one. A runner is a
    context manager that shuts down on exit::

        with AsyncRunner.Runner() as runner:
            ok, contents, etag = runner.call(f.load_contents_async)

    Times are in seconds: ``Runner(timeout=2.5)`` and `Runner.timeout`
    bound every call of the runner (None: no limit); `call()` and
    `with_options()` take a per-call timeout. The raw GObject property
    (``runner.props.timeout``, `set_timeout()`) stays in milliseconds and
    refuses a float.
    """


call = _functions.call
run = _functions.run
with_options = _functions.with_options
call_all = _functions.call_all
run_async = _functions.run_async
iterate = _functions.iterate
wrap = _functions.wrap
sync = _functions.sync

__all__ = ['Runner', 'call', 'run', 'with_options', 'call_all', 'run_async', 'iterate',
           'wrap', 'sync']
