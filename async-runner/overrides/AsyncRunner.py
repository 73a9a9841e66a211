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
cancels the operation and raises `KeyboardInterrupt`: the SIGINT handler
is called once the call has ended, and if it does not raise (asyncio.run()
installs one that cancels the main task instead), the call raises
`GLib.Error` ``Gio.IOErrorEnum.CANCELLED``. Calls from other threads are
left alone, as Python delivers signals to the main thread only.

Per-call timeouts and the Ctrl-C watch are served by one helper thread,
started on first use, so that they work even while the runner thread is
busy.

The raw binding (`Runner.run_sync()`, `Runner.call_sync()`, ...) is left
as it is.
"""

import atexit
import functools
import importlib
import math
import os
import signal
import sys
import threading
import weakref

try:
    # The signal module's wrappers convert to and from enums on every call.
    import _signal as _signals
except ImportError:
    _signals = signal

from gi.repository import GLib, GObject, Gio

from .._gi import FunctionInfo
from ..module import get_introspection_module
from ..overrides import override

AsyncRunner = get_introspection_module('AsyncRunner')

__all__ = []

# GLib timeouts are a guint of milliseconds.
_MAX_TIMEOUT_MS = 0xFFFFFFFF

# Restoring a wakeup fd: the previous owner's warn_on_full_buffer setting
# cannot be read back; asyncio (the usual owner) sets it to False.
_set_wakeup_fd = functools.partial(signal.set_wakeup_fd, warn_on_full_buffer=False)


def _drain(fd):
    """Reads and returns everything waiting in the non-blocking @fd."""
    data = b''
    while True:
        try:
            chunk = os.read(fd, 512)
        except (BlockingIOError, InterruptedError):
            return data
        if not chunk:
            return data
        data += chunk


_raw_main_loop_run = get_introspection_module('GLib').MainLoop.run


class _Watchdog:
    """A thread of the process's own that ends calls early: it serves the
    per-call timeouts and the Ctrl-C watch.

    Not the runner thread: that one may be busy (running a function given
    to `Runner.run()`, or a nested call) exactly when a call must end. It
    is started on first use; a forked child starts its own.
    """

    lock = threading.Lock()
    pid = None
    context = None

    @classmethod
    def get_context(cls):
        if cls.pid == os.getpid():
            return cls.context
        with cls.lock:
            if cls.pid != os.getpid():
                context = GLib.MainContext.new()
                loop = GLib.MainLoop.new(context, False)
                # The C function, not the override (which meddles with
                # signals): the thread stays in C and takes the GIL only to
                # run a callback.
                threading.Thread(target=_raw_main_loop_run, args=(loop,),
                                 name='AsyncRunner watchdog', daemon=True).start()
                cls.context = context
                cls.pid = os.getpid()
            return cls.context


class _SigintWatch:
    """Ctrl-C while the main thread waits in C.

    Python's C-level signal handler then only marks the signal pending and
    writes its number to the signal wakeup fd. During a call, that fd is
    this pipe, which the watchdog thread watches: on SIGINT it cancels the
    call, which returns at once. Only the main thread waits here; one call
    at a time. The pipe and its source are made once per process.
    """

    lock = threading.Lock()   # protects @current and reading the pipe
    pid = None
    read_fd = -1
    write_fd = -1
    current = None            # the main thread's call being watched

    @classmethod
    def begin(cls, call):
        """Main thread: watches @call; returns the fd to make the wakeup fd."""
        if cls.pid != os.getpid():
            # A forked child shares the inherited pipe with its parent.
            for fd in (cls.read_fd, cls.write_fd):
                if fd >= 0:
                    os.close(fd)
            cls.read_fd, cls.write_fd = os.pipe()
            os.set_blocking(cls.read_fd, False)
            os.set_blocking(cls.write_fd, False)
            source = GLib.unix_fd_source_new(cls.read_fd, GLib.IOCondition.IN)
            source.set_callback(cls._on_readable)
            source.attach(_Watchdog.get_context())
            cls.pid = os.getpid()
        with cls.lock:
            _drain(cls.read_fd)   # from before: not this call's
            cls.current = call
        return cls.write_fd

    @classmethod
    def end(cls, call):
        """Main thread, once the wakeup fd is put back: stops watching @call
        and returns the signal numbers that arrived for it."""
        with cls.lock:
            if cls.current is call:
                cls.current = None
                call.signals += _drain(cls.read_fd)
        data, call.signals = call.signals, b''
        return data

    @classmethod
    def _on_readable(cls, *unused):
        # Watchdog thread.
        with cls.lock:
            data = _drain(cls.read_fd)
            call = cls.current
            if call is not None:
                call.signals += data
        if call is not None and signal.SIGINT in data:
            call.cancellable.cancel()
        return GLib.SOURCE_CONTINUE


def _after_fork_in_child():
    # A thread of the parent's may have held them.
    _Watchdog.lock = threading.Lock()
    _SigintWatch.lock = threading.Lock()
    _SigintWatch.current = None


os.register_at_fork(after_in_child=_after_fork_in_child)


# The main thread is inside a call that watches SIGINT (main thread only).
_watching_sigint = False


def _may_watch_sigint():
    return (not _watching_sigint
            and threading.get_ident() == threading.main_thread().ident
            and callable(_signals.getsignal(signal.SIGINT)))


def _checkpoint():
    """Does nothing; calling it lets Python run pending signal handlers.

    Python runs them in the main thread between bytecodes, at points such
    as a function's entry.
    """


class _Call:
    """One synchronous call: the cancellable handed to the core, and what
    may cancel it besides the caller's cancellable (a per-call timeout,
    Ctrl-C in the main thread).

    A call from another thread with no timeout hands the caller's
    cancellable to the core as it is and costs nothing more.

    Ctrl-C (see `_SigintWatch`): once the call returns, Python runs the
    pending SIGINT handler at its first chance, which may be in the middle
    of PyGObject turning the GError into an exception. So during the call
    the Python-level handler is one that only takes note, and the original
    handler (the default one raises `KeyboardInterrupt`) is called once
    everything is put back.
    """

    def __init__(self, cancellable, timeout):
        if timeout is not None and not timeout >= 0:
            raise ValueError('timeout must be None or a number of seconds >= 0')

        self.user_cancellable = cancellable
        self.timeout = timeout
        self.timed_out = False
        self.watch_sigint = _may_watch_sigint()
        self.signals = b''
        self._on_user_cancelled = None
        self._timeout_source = None
        self._saved_handler = None
        self._saved_fd = []
        self._interrupted = False
        self._sigint_frame = None

        if self.watch_sigint or timeout is not None:
            self.cancellable = Gio.Cancellable()
        else:
            self.cancellable = cancellable

    # Every step of open() is recorded before or as it takes effect, so
    # that close() undoes exactly what was done even if a signal handler
    # raised in the middle.
    def open(self):
        global _watching_sigint

        if self.cancellable is self.user_cancellable:
            return

        if self.user_cancellable is not None:
            own = self.cancellable
            self._on_user_cancelled = lambda cancellable: own.cancel()
            GObject.Object.connect(self.user_cancellable, 'cancelled',
                                   self._on_user_cancelled)
            if self.user_cancellable.is_cancelled():
                own.cancel()

        if self.timeout is not None:
            ms = self.timeout * 1000
            ms = _MAX_TIMEOUT_MS if ms >= _MAX_TIMEOUT_MS else math.ceil(ms)
            self._timeout_source = GLib.timeout_source_new(ms)
            self._timeout_source.set_callback(self._on_timeout)
            self._timeout_source.attach(_Watchdog.get_context())

        if self.watch_sigint:
            _watching_sigint = True
            write_fd = _SigintWatch.begin(self)
            self._saved_handler = _signals.getsignal(signal.SIGINT)
            _signals.signal(signal.SIGINT, self._note_sigint)
            # extend() stores the previous fd from C: Python cannot run a
            # signal handler (and raise) between the swap and the store.
            self._saved_fd.extend(map(_set_wakeup_fd, (write_fd,)))

    # Watchdog thread.
    def _on_timeout(self, *unused):
        self.timed_out = True
        self.cancellable.cancel()
        return GLib.SOURCE_REMOVE

    # Main thread: the Python-level SIGINT handler during the call.
    def _note_sigint(self, signum, frame):
        self._interrupted = True
        self._sigint_frame = frame
        self.cancellable.cancel()

    def close(self):
        """Undoes open(). Idempotent. Each step runs in a `finally:` so that
        a signal handler raising in the middle does not skip the rest."""
        global _watching_sigint

        _checkpoint()  # a SIGINT still pending is noted before the handler goes
        try:
            if self._saved_fd:
                _set_wakeup_fd(self._saved_fd[0])
        finally:
            try:
                if self._saved_handler is not None:
                    _signals.signal(signal.SIGINT, self._saved_handler)
                    self._saved_handler = None
            finally:
                try:
                    if self._timeout_source is not None:
                        self._timeout_source.destroy()
                        self._timeout_source = None
                finally:
                    try:
                        if self._on_user_cancelled is not None:
                            try:
                                GObject.Object.disconnect_by_func(self.user_cancellable,
                                                                  self._on_user_cancelled)
                            except TypeError:
                                pass  # already disconnected
                            self._on_user_cancelled = None
                    finally:
                        if self.watch_sigint:
                            try:
                                self._forward_signals(_SigintWatch.end(self))
                            finally:
                                _watching_sigint = False

    def _forward_signals(self, data):
        # The previous owner of the wakeup fd (asyncio, PyGObject's main
        # loop) learns of signals from it: hand on what arrived meanwhile.
        previous = self._saved_fd[0] if self._saved_fd else -1
        if data and previous >= 0:
            try:
                os.write(previous, data)
            except OSError:
                pass  # full (it holds wake-ups already) or gone

    def deliver_sigint(self):
        """Calls the original SIGINT handler if Ctrl-C was pressed during the
        call: the default one raises `KeyboardInterrupt`."""
        if self._interrupted:
            self._interrupted = False
            frame, self._sigint_frame = self._sigint_frame, None
            handler = _signals.getsignal(signal.SIGINT)
            if callable(handler):
                handler(signal.SIGINT, frame)

    def translate(self, error):
        """The error to raise for the core's @error."""
        if (self.timed_out
                and error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
                and not (self.user_cancellable is not None
                         and self.user_cancellable.is_cancelled())):
            return GLib.Error.new_literal(Gio.io_error_quark(), 'Operation timed out',
                                          Gio.IOErrorEnum.TIMED_OUT)
        return error


def _finish_by_name(async_method):
    """Finds the ``*_finish`` function that matches @async_method.

    Returns a function of the result. Raises TypeError when there is none
    to find: the caller must pass ``finish=``.
    """
    name = getattr(async_method, '__name__', '')
    if not name.endswith('_async'):
        raise TypeError('%r is not named *_async: pass finish=' % (async_method,))
    finish_name = name[:-len('_async')] + '_finish'

    # A Python bound method.
    owner = getattr(async_method, '__self__', None)
    if owner is not None:
        return getattr(owner, finish_name)

    # A GI function: bound or unbound method, static method, module function.
    if isinstance(async_method, FunctionInfo):
        if async_method.is_method():
            # The instance is not reachable from a bound GI method; the
            # result's source object is that instance.
            def finish_method(result):
                source = result.get_source_object()
                if source is None:
                    raise TypeError('%s: the result has no source object: pass finish='
                                    % (name,))
                return getattr(source, finish_name)(result)
            return finish_method

        namespace = importlib.import_module('gi.repository.' + async_method.get_namespace())
        container = async_method.get_container()
        scope = namespace if container is None else getattr(namespace, container.get_name())
        return getattr(scope, finish_name)

    raise TypeError('cannot find the finish function of %r: pass finish=' % (async_method,))


def _soon(runner, function, *args):
    """Runner thread: calls ``function(*args)`` from an idle source, once the
    function that the core is calling has returned.

    The functions given to run_sync() and call_sync() only schedule the
    work and return: the call's own timeout and Ctrl-C handling can then end
    the call promptly even while the Python work runs, since the core makes
    a caller wait for the function it gave only while that function runs.
    """
    def dispatch(*unused):
        function(*args)
        return GLib.SOURCE_REMOVE

    source = GLib.idle_source_new()
    source.set_priority(GLib.PRIORITY_DEFAULT)
    source.set_name('[AsyncRunner] Python')
    source.set_callback(dispatch)
    source.attach(runner.get_context())


# The runners made from Python, which the interpreter's exit stops.
_scoped_runners = weakref.WeakSet()


def _shut_down_at_exit():
    """Stops the runners made from Python that are still alive, while their
    threads can still take the GIL to finish running Python code: a
    finalizing interpreter no longer lets them (they hang or exit in the
    middle of GLib), and dispose would then wait for them forever."""
    for runner in list(_scoped_runners):
        AsyncRunner.Runner.shutdown(runner)


atexit.register(_shut_down_at_exit)


@override
class Runner(AsyncRunner.Runner):
    """Runs Gio asynchronous operations synchronously on a thread of its own.

    ``Runner()`` makes a new runner with its own thread and main context;
    `Runner.get_default()` returns the process-wide one. A runner is a
    context manager that shuts down on exit::

        with AsyncRunner.Runner() as runner:
            ok, contents, etag = runner.call(f.load_contents_async)

    The `timeout` property (milliseconds) bounds every call of the runner;
    `call()` also takes a per-call timeout in seconds.
    """

    def __init__(self, **properties):
        super().__init__(**properties)
        _scoped_runners.add(self)

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
            AsyncRunner.Runner.shutdown(self)

    def __enter__(self):
        if self is AsyncRunner.Runner.get_default():
            raise RuntimeError('the default runner lives as long as the process; '
                               'use AsyncRunner.Runner() for a scoped one')
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.shutdown()
        return False

    def _invoke(self, raw, function, cancellable, timeout):
        call = _Call(cancellable, timeout)
        error = None
        try:
            call.open()
            try:
                result = raw(self, function, None, call.cancellable)
            except GLib.Error as e:
                error = e
        finally:
            # close() is idempotent: the second call completes the first if
            # a signal handler raised at its very start.
            try:
                call.close()
            finally:
                call.close()
        call.deliver_sigint()
        if error is not None:
            translated = call.translate(error)
            if translated is error:
                raise error
            raise translated from None
        return result

    def call(self, async_method, *args, cancellable=None, timeout=None, finish=None):
        """Runs a Gio asynchronous method to completion and returns its result.

        Calls ``async_method(*args, cancellable, callback)`` on the runner
        thread, waits for the callback, then returns exactly what the
        matching finish function returns when given the result, on the
        calling thread.

        :param async_method: a ``*_async`` method or function whose last
            arguments are a cancellable and a callback, as in Gio: a bound
            method (``file.load_contents_async``), or an unbound method,
            static method or function followed by its own arguments.
        :param args: the arguments that come before the cancellable, such as
            ``io_priority``.
        :param cancellable: a `Gio.Cancellable` that cancels the call from
            any thread; the call then raises `GLib.Error`
            ``Gio.IOErrorEnum.CANCELLED`` at once.
        :param timeout: a time limit in seconds for this call; past it the
            operation is cancelled and `GLib.Error`
            ``Gio.IOErrorEnum.TIMED_OUT`` is raised. The runner's own
            `timeout` property applies as well.
        :param finish: the function that takes the `Gio.AsyncResult` and
            returns the outcome. By default the ``*_finish`` method of the
            same name on the same object (or class, or module).
        :returns: what the finish function returns.
        :raises GLib.Error: the operation's own error, unchanged, or
            CANCELLED, TIMED_OUT, or CLOSED when the runner shuts down.
        :raises KeyboardInterrupt: on Ctrl-C while the main thread waits.

        An exception raised by @async_method itself (bad arguments, say)
        is raised as it is.
        """
        if finish is None:
            finish = _finish_by_name(async_method)
        elif not callable(finish):
            raise TypeError('finish must be callable')

        failure = []

        # Runner thread.
        def begin(op_cancellable, callback):
            delivered = False

            # The core's callback, called at most once: a method that
            # raises may have called or scheduled it already.
            def deliver_once(source, result, *unused):
                nonlocal delivered
                if not delivered:
                    delivered = True
                    callback(source, result)

            try:
                async_method(*args, op_cancellable, deliver_once)
            except BaseException as error:
                # The call raises @error. End it now, unless it has ended.
                failure.append(error)
                if not delivered:
                    Gio.Task.new(None, op_cancellable, deliver_once).return_boolean(False)

        # Runner thread: start(runner, user_data, cancellable, callback).
        def start(runner, *rest):
            _soon(runner, begin, rest[-2], rest[-1])
            return True

        try:
            result = self._invoke(AsyncRunner.Runner.call_sync, start, cancellable, timeout)
        except GLib.Error:
            if failure:
                raise failure.pop() from None
            raise
        if failure:
            raise failure.pop()
        return finish(result)

    def run(self, fn, *args, **kwargs):
        """Runs ``fn(*args, **kwargs)`` on the runner thread and returns its result.

        Use it for objects that must be created and used on the runner's
        context (clients and connections that bind to the thread-default
        context), or for a sequence of asynchronous steps. An exception
        raised by @fn is raised again here, with its own type and
        traceback.

        In the main thread, Ctrl-C raises `KeyboardInterrupt` at once; @fn
        itself runs on to its end on the runner thread. If the runner shuts
        down meanwhile, `GLib.Error` ``Gio.IOErrorEnum.CLOSED`` is raised.
        """
        outcome = []

        # Runner thread.
        def run_fn(task):
            try:
                outcome.append((True, fn(*args, **kwargs)))
            except BaseException as error:
                outcome.append((False, error))
            task.return_value(True)

        # Runner thread.
        def function(runner, task, *unused):
            _soon(runner, run_fn, task)
            return True

        self._invoke(AsyncRunner.Runner.run_sync, function, None, None)
        succeeded, value = outcome.pop()
        if succeeded:
            return value
        try:
            raise value
        finally:
            del value


__all__.append('Runner')


def call(async_method, *args, cancellable=None, timeout=None, finish=None):
    """`Runner.call()` on the default runner."""
    return Runner.get_default().call(async_method, *args, cancellable=cancellable,
                                     timeout=timeout, finish=finish)


def run(fn, *args, **kwargs):
    """`Runner.run()` on the default runner."""
    return Runner.get_default().run(fn, *args, **kwargs)


__all__ += ['call', 'run']
