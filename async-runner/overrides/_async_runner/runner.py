# SPDX-License-Identifier: LGPL-2.1-or-later
"""The methods of the `Runner` override, and what they check and convert."""

import asyncio
import inspect
import math
import sys
import types

from gi.repository import GLib, GObject

from .common import AsyncRunner, _MAX_TIMEOUT_MS, _UNSET, _call_name, _outcome, _raw_run_sync_full
from .exit import _scoped_runners, _shutdown
from .functions import wrap
from .gio_call import _call
from .iterate import _iterate
from .loop import _run_async
from .signals import _Call, _invoke, _may_watch_sigint
from .thread import _pump, _runner_thread


def _seconds_to_ms(seconds, what):
    """The runner's timeout property (ms, 0 = no limit) for @seconds."""
    if seconds is None:
        return 0
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError('%s is a number of seconds or None' % (what,))
    if seconds == math.inf:
        return 0
    if not seconds > 0:
        raise ValueError('%s must be a number of seconds > 0, or None for no limit '
                         '(a runner\'s 0 would mean no limit)' % (what,))
    ms = seconds * 1000
    return _MAX_TIMEOUT_MS if ms >= _MAX_TIMEOUT_MS else max(1, math.ceil(ms))


def _check_raw_timeout(value):
    """The raw GObject property is in milliseconds: refuse what looks like
    seconds instead of truncating it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError('the raw "timeout" property is an int of milliseconds; '
                        'set runner.timeout in seconds instead')


class _Props:
    """`Runner.props` of an instance: the raw properties, with the
    millisecond timeout refusing a float."""

    __slots__ = ('_props',)

    def __init__(self, props):
        object.__setattr__(self, '_props', props)

    def __getattr__(self, name):
        return getattr(self._props, name)

    def __setattr__(self, name, value):
        if name == 'timeout':
            _check_raw_timeout(value)
        setattr(self._props, name, value)

    def __dir__(self):
        return dir(self._props)


class _PropsDescriptor:
    """Wraps PyGObject's ``props`` descriptor."""

    def __init__(self, descriptor):
        self.descriptor = descriptor

    def __get__(self, obj, cls=None):
        props = self.descriptor.__get__(obj, cls)
        return props if obj is None else _Props(props)


# Kinds of callables that are never coroutine functions or awaitables.
_PLAIN_CALLABLE_TYPES = frozenset({
    type(len), type(list.append), type(object.__init__), type(object().__str__),
    type(str.join), type(dict.__dict__['fromkeys']),
})

# co_flags of an async def, an async generator and a types.coroutine().
_ASYNC_CODE_FLAGS = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE


def _is_plain_callable(fn):
    """True for a callable that is surely neither a coroutine function nor
    an awaitable: a plain Python function (or a method of one) that no
    one marked, or a builtin. Cheap; False means 'look closer'."""
    kind = type(fn)
    if kind in _PLAIN_CALLABLE_TYPES:
        return True
    if kind is type:    # a class of the plain metaclass: not awaitable
        return getattr(fn, '_is_coroutine_marker', None) is None
    if kind is types.MethodType:
        fn = fn.__func__
        kind = type(fn)
    return (kind is types.FunctionType and not fn.__code__.co_flags & _ASYNC_CODE_FLAGS
            and not fn.__dict__)


def _refuse_coroutine(fn, where):
    if inspect.iscoroutine(fn) or inspect.isawaitable(fn):
        raise TypeError('%s() takes a callable, not an awaitable: use run_async(%s)'
                        % (where, getattr(fn, '__qualname__', 'coroutine')))
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        name = getattr(fn, '__qualname__', None) or repr(fn)
        raise TypeError('%s is an async function, which %s() would only call to get a '
                        'coroutine: use run_async(%s(...))' % (name, where, name))


def _to_value(arg):
    """@arg as PyGObject can put it in a GObject.Value for call_*_sync()."""
    if arg is None:
        return GObject.Value(GObject.TYPE_POINTER, None)
    if type(arg) is int and not -2**31 <= arg < 2**31:
        return GObject.Value(GObject.TYPE_INT64 if arg < 2**63 else GObject.TYPE_UINT64, arg)
    if isinstance(arg, (bytes, bytearray)):
        return GLib.Bytes.new(bytes(arg))
    if isinstance(arg, (list, tuple)) and all(isinstance(a, str) for a in arg):
        return GObject.Value(GObject.TYPE_STRV, list(arg))
    return arg


def _to_values(args):
    return [_to_value(a) for a in args]



class _WithOptions:
    """A runner with a timeout and a cancellable for every call made through
    it: `Runner.with_options()`."""

    __slots__ = ('runner', 'timeout', 'cancellable')

    def __init__(self, runner, timeout, cancellable):
        if timeout is not None:
            _Call.check_timeout(timeout)
        self.runner = runner
        self.timeout = timeout
        self.cancellable = cancellable

    def run(self, fn, *args, **kwargs):
        """`Runner.run()` with these options."""
        return self.runner._run(fn, args, kwargs, self.cancellable, self.timeout)

    def call(self, async_method, *args, finish=None, **options):
        """`Runner.call()` with these options."""
        return self.runner.call(async_method, *args, cancellable=self.cancellable,
                                timeout=self.timeout, finish=finish, **options)

    def run_async(self, awaitable):
        """`Runner.run_async()` with these options."""
        return self.runner._run_async(awaitable, self.cancellable, self.timeout)

    def iterate(self, async_iterable):
        """`Runner.iterate()` with these options."""
        return self.runner.iterate(async_iterable, timeout=self.timeout,
                                   cancellable=self.cancellable)

    def with_options(self, *, timeout=_UNSET, cancellable=_UNSET):
        """These options, some replaced."""
        return _WithOptions(self.runner,
                            self.timeout if timeout is _UNSET else timeout,
                            self.cancellable if cancellable is _UNSET else cancellable)

    def __repr__(self):
        return '<%s.with_options(timeout=%r, cancellable=%r)>' % (
            self.runner, self.timeout, self.cancellable)



class RunnerMethods:
    """The methods of `AsyncRunner.Runner`: the override's class is this
    mixin over the GI class (see ``gi/overrides/AsyncRunner.py``)."""

    props = _PropsDescriptor(inspect.getattr_static(AsyncRunner.Runner, 'props'))

    def __init__(self, *, timeout=None, **properties):
        super().__init__(**properties)
        _scoped_runners.add(self)
        if timeout is not None:
            self.timeout = timeout

    @classmethod
    def new(cls):
        runner = AsyncRunner.Runner.new()
        _scoped_runners.add(runner)
        return runner

    def __del__(self):
        # The wrapper goes and holds the last reference: stop the runner
        # here, where the call releases the GIL, not in dispose. PyGObject
        # drops its last (toggle) reference with the GIL held, and dispose
        # joins the runner thread, which may be waiting for the GIL to run
        # Python code (a Python source on its context, a timed-out run()
        # still going): that would deadlock, in the cyclic GC too. Once the
        # interpreter is finalizing the runner thread cannot take the GIL:
        # _shut_down_at_exit() stopped the runners before.
        try:
            last = self.__grefcount__ == 1
        except Exception:
            return  # never initialized
        if last and not sys.is_finalizing():
            _shutdown(self)

    @property
    def timeout(self):
        """The time limit of every call, in seconds, or None for no limit."""
        ms = AsyncRunner.Runner.get_timeout(self)
        return None if ms == 0 else ms / 1000

    @timeout.setter
    def timeout(self, seconds):
        AsyncRunner.Runner.set_timeout(self, _seconds_to_ms(seconds, 'timeout'))

    def set_timeout(self, timeout_ms):
        """The raw setter, in milliseconds (an int; 0: no limit)."""
        _check_raw_timeout(timeout_ms)
        AsyncRunner.Runner.set_timeout(self, timeout_ms)

    def set_property(self, name, value):
        if name == 'timeout':
            _check_raw_timeout(value)
        super().set_property(name, value)

    def _is_default(self):
        return self is AsyncRunner.Runner.get_default()

    def shutdown(self):
        """Stops the runner (see the C documentation). The default runner
        lives as long as the process and cannot be shut down.

        A function still running on the runner thread holds the shutdown
        up until it returns; Ctrl-C in the main thread ends that wait at
        once (`KeyboardInterrupt`) and leaves the runner to its thread,
        which shuts it down once the function returns."""
        if self._is_default():
            raise RuntimeError('the default runner lives as long as the process; '
                               'use AsyncRunner.Runner() for one you can shut down')
        _shutdown(self)

    def __enter__(self):
        if self._is_default():
            raise RuntimeError('the default runner lives as long as the process; '
                               'use AsyncRunner.Runner() for a scoped one')
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        # With Ctrl-C on its way, a function still running on the runner
        # thread does not hold it up: the runner is left to it.
        _shutdown(self, wait=not (exc_type is not None
                                  and issubclass(exc_type, KeyboardInterrupt)))
        return False

    def with_options(self, *, timeout=None, cancellable=None):
        """An object with the same `run()`, `call()` and `run_async()`,
        whose calls all take this @timeout (seconds, None: none) and
        @cancellable: ``runner.with_options(timeout=2).run(fn, timeout=x)``
        passes ``timeout=x`` to @fn."""
        return _WithOptions(self, timeout, cancellable)

    def call(self, async_method, *args, cancellable=None, timeout=None, finish=None,
             **options):
        """Runs a Gio asynchronous method to completion and returns its result.

        Calls @async_method on the runner thread with @args, its own
        cancellable and callback, and @options; waits for the callback,
        then returns exactly what the matching finish function returns
        when given the result, on the calling thread.

        :param async_method: a Gio asynchronous method or function: a bound
            method (``file.load_contents_async``), or an unbound method,
            static method or function followed by its own arguments. The
            cancellable and the callback go where its GI signature puts
            them (for a Python method: its ``cancellable`` and
            ``callback`` parameters, else the last two positions).
        :param args: the method's other positional arguments, such as
            ``io_priority``.
        :param options: the method's other keyword arguments, such as
            ``progress_callback=`` of ``Gio.File.copy_async``. Callbacks
            given so are called on the runner thread.
        :param cancellable: a `Gio.Cancellable` that cancels the call from
            any thread; the call then raises `GLib.Error`
            ``Gio.IOErrorEnum.CANCELLED`` at once.
        :param timeout: a time limit in seconds for this call (0: already
            expired; None or ``math.inf``: none); past it the operation is
            cancelled and `GLib.Error` ``Gio.IOErrorEnum.TIMED_OUT`` is
            raised. The runner's own `timeout` applies as well.
        :param finish: the function that takes the `Gio.AsyncResult` and
            returns the outcome. By default the finish function that GI
            pairs with @async_method where the stack says (GLib >= 2.80,
            PyGObject >= 3.52), else the ``X_finish`` function beside
            ``X_async`` (or beside ``X``: ``Gio.DBusConnection.call`` is
            finished by ``call_finish``), a method or a plain function
            (``Gio.IOStream.splice_finish``). A GI function that does not
            finish @async_method's own operation (another class's, or
            another operation's of the same class) is refused with
            `TypeError` before anything runs; a Python function is trusted.
            A positional argument in the place of the cancellable is
            refused likewise.
        :returns: what the finish function returns.
        :raises GLib.Error: the operation's own error, unchanged, or
            CANCELLED, TIMED_OUT, or CLOSED when the runner shuts down.
        :raises KeyboardInterrupt: on Ctrl-C while the main thread waits.

        An exception raised while starting @async_method (bad arguments,
        say) ends the call at once and is raised as it is.
        """
        return _call(self, async_method, args, cancellable, timeout, finish, options)

    def run(self, fn, *args, **kwargs):
        """Runs ``fn(*args, **kwargs)`` on the runner thread and returns its result.

        Use it for objects that must be created and used on the runner's
        context (clients and connections that bind to the thread-default
        context), or for a sequence of asynchronous steps. An exception
        raised by @fn is raised again here, with its own type and
        traceback. For a timeout or a cancellable, use `with_options()`:
        all of @kwargs go to @fn.

        In the main thread, Ctrl-C raises `KeyboardInterrupt` at once; @fn
        itself runs on to its end on the runner thread. If the runner shuts
        down meanwhile, `GLib.Error` ``Gio.IOErrorEnum.CLOSED`` is raised.
        A coroutine function is refused: use `run_async()`.
        """
        return self._run(fn, args, kwargs, None, None)

    def _run(self, fn, args, kwargs, cancellable, timeout):
        if not _is_plain_callable(fn):
            _refuse_coroutine(fn, 'run')
            if not callable(fn):
                raise TypeError('run() takes a callable, not %r' % (fn,))
        outcome = []

        # Runner thread.
        def run_fn(task):
            try:
                outcome.append((True, fn(*args, **kwargs)))
            except BaseException as error:
                outcome.append((False, error))
            task.return_value(True)

        if (cancellable is None and timeout is None and not _may_watch_sigint()
                and AsyncRunner.Runner.get_timeout(self) == 0):
            # Runner thread. Nothing can end this call before @fn returns
            # (no time limit, no cancellable, no Ctrl-C to watch in this
            # thread; the core would make a shutdown wait for it anyway):
            # @fn runs here, without the hand-off to the pump.
            def function(runner, task, *unused):
                if not _runner_thread.pinned:
                    _pump(runner)
                run_fn(task)
                return True
        else:
            # Runner thread: @fn runs from the pump, once this has returned,
            # so that a timeout, the cancellable or Ctrl-C end the call while
            # it runs.
            def function(runner, task, *unused):
                _pump(runner).soon(run_fn, task)
                return True

        _invoke(self, _raw_run_sync_full, function, cancellable, timeout, _call_name(fn))
        return _outcome(*outcome.pop())


    def call_method_sync(self, obj, method, args=(), cancellable=None, timeout=None):
        """Calls the asynchronous method @method of @obj by name; returns its results.

        The C function of the same name, with what PyGObject cannot put in
        a `GObject.Value` by itself converted first: None (NULL for a
        nullable argument), ints beyond 32 bits, `bytes` (as `GLib.Bytes`)
        and lists of str (as a strv). Like `call()`, it takes a per-call
        @timeout in seconds and Ctrl-C cancels it in the main thread.

        :returns: a list: the finish function's return value (unless void)
            and its out values.
        """
        values = _to_values(args)
        return _invoke(
            self, lambda runner, name, timeout_ms, unused, none, c: AsyncRunner.Runner.call_method_sync(
                runner, obj, method, values, c),
            None, cancellable, timeout, method)

    def call_function_sync(self, namespace, function, args=(), cancellable=None, timeout=None):
        """Calls the asynchronous function @function of @namespace by name.

        As `call_method_sync()`, for a function (``"bus_get"``) or a static
        method or constructor (``"File.new_tmp_async"``).
        """
        values = _to_values(args)
        return _invoke(
            self, lambda runner, name, timeout_ms, unused, none, c: AsyncRunner.Runner.call_function_sync(
                runner, namespace, function, values, c),
            None, cancellable, timeout, function)

    def run_async(self, awaitable, *, timeout=None, cancellable=None):
        """Runs @awaitable (a coroutine, task-like or any awaitable) to
        completion on an asyncio event loop that lives on the runner's
        main context, and returns its result or raises its exception.

        Inside, asyncio's awaitables (``asyncio.sleep()``, ``gather()``,
        queues, ``run_in_executor()``, sockets, subprocesses) and Gio's
        (``await AsyncRunner.wrap(f.load_contents_async)``) mix. The
        caller's contextvars are copied in. A timeout (seconds), the
        cancellable or Ctrl-C (main thread) ends the call as `call()`
        does and cancels the asyncio task, which sees
        `asyncio.CancelledError` and may clean up. Called on the runner
        thread itself (from a coroutine or a callback there), it runs
        @awaitable in a nested iteration.
        """
        return self._run_async(awaitable, cancellable, timeout)

    def _run_async(self, awaitable, cancellable, timeout):
        return _run_async(self, awaitable, cancellable, timeout)

    def call_all(self, calls, *, return_exceptions=False, timeout=None, cancellable=None):
        """Starts every call of @calls at once on the runner thread and waits
        for all of them: the fan-out of `call()` (C:
        async_runner_call_all_sync()).

        :param calls: tuples ``(async_method, *args)``, each as for `call()`.
        :param return_exceptions: as in `asyncio.gather()`: False raises the
            first error, once the other operations were cancelled and have
            ended; True puts each call's exception in its place.
        :returns: a list of what each finish function returned, in order.

        Every call is checked before any starts. A @timeout (seconds) or
        @cancellable ends them all.
        """
        calls = list(calls)
        for call in calls:
            if not isinstance(call, tuple) or not call:
                raise TypeError('call_all() takes tuples (async_method, *args), not %r'
                                % (call,))
            # Checked here, on the calling thread; made again (its look-ups
            # cached) where it runs, so that none is left unawaited.
            wrap(*call).close()

        async def gather_all():
            tasks = [asyncio.ensure_future(wrap(*call)) for call in calls]
            try:
                results = await asyncio.gather(*tasks, return_exceptions=return_exceptions)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
            return list(results)

        return self._run_async(gather_all(), cancellable, timeout)

    def iterate(self, async_iterable, *, timeout=None, cancellable=None):
        """A synchronous iterator over @async_iterable (an async generator or
        async iterator), which runs in one asyncio task on the runner's
        loop, as `async for` would run it: its contextvars and its
        ``asyncio.timeout()`` hold across its yields. Each item is one
        call with these options; a step that ends early (timeout, Ctrl-C,
        the cancellable, the runner's shutdown) raises as `run_async()`
        does and cancels the generator. When the loop over it stops early,
        the generator is closed (``aclose()``)."""
        return _iterate(self, async_iterable, cancellable, timeout)
