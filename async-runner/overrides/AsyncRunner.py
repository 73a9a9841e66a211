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

import asyncio
import atexit
import collections
import contextvars
import functools
import gc
import importlib
import inspect
import math
import os
import select
import selectors
import signal
import sys
import threading
import types
import weakref

try:
    # The signal module's wrappers convert to and from enums on every call.
    import _signal as _signals
except ImportError:
    _signals = signal

from gi.repository import GLib, GObject, Gio

from .._gi import CallbackInfo, FunctionInfo
from .._gi import Direction as GIDirection
from .._gi import TypeTag as GITypeTag
from ..module import get_introspection_module
from ..overrides import override

AsyncRunner = get_introspection_module('AsyncRunner')

# The raw functions on the per-call path, looked up once.
_raw_run_sync_full = AsyncRunner.Runner.run_sync_full
_raw_call_sync_full = AsyncRunner.Runner.call_sync_full

__all__ = []

# GLib timeouts are a guint of milliseconds.
_MAX_TIMEOUT_MS = 0xFFFFFFFF

# An argument not given.
_UNSET = object()

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


_GLib = get_introspection_module('GLib')
_raw_main_loop_run = _GLib.MainLoop.run

try:
    # GLib >= 2.80 moved it; PyGObject then warns about the old name.
    _fd_source_new = get_introspection_module('GLibUnix').fd_source_new
except Exception:  # no GLibUnix typelib (gi.RepositoryError), or no function
    _fd_source_new = GLib.unix_fd_source_new


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
    poller = None             # polls read_fd: end() reads only what is there
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
            cls.poller = select.poll()
            cls.poller.register(cls.read_fd, select.POLLIN)
            source = _fd_source_new(cls.read_fd, GLib.IOCondition.IN)
            source.set_callback(cls._on_readable)
            source.attach(_Watchdog.get_context())
            cls.pid = os.getpid()
        # The pipe is empty: end() drained it once the wakeup fd was put
        # back, and only the main thread's signal handler writes to it.
        with cls.lock:
            cls.current = call
        return cls.write_fd

    @classmethod
    def end(cls, call):
        """Main thread, once the wakeup fd is put back: stops watching @call
        and returns the signal numbers that arrived for it."""
        with cls.lock:
            if cls.current is call:
                cls.current = None
                if cls.poller.poll(0):
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
                if signal.SIGINT in data:
                    # Under the lock: once end() has run, the call (and
                    # its cancellable, which may be recycled) is left alone.
                    call.cancel()
        return GLib.SOURCE_CONTINUE


def _after_fork_in_child():
    # A thread of the parent's may have held them.
    _Watchdog.lock = threading.Lock()
    _SigintWatch.lock = threading.Lock()
    _SigintWatch.current = None


os.register_at_fork(after_in_child=_after_fork_in_child)


# Cancellables of finished calls that nothing cancelled (list operations
# are atomic under the GIL).
_spare_cancellables = []

# The main thread is inside a call that watches SIGINT (main thread only).
_watching_sigint = False


_get_ident = threading.get_ident
_main_thread = threading.main_thread
_getsignal = _signals.getsignal
_SIGINT = int(signal.SIGINT)


def _may_watch_sigint():
    """A call from here watches Ctrl-C: the main thread, a Python-level
    SIGINT handler, and not already in a call that watches it."""
    return (not _watching_sigint and _get_ident() == _main_thread().ident
            and callable(_getsignal(_SIGINT)))


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

    @staticmethod
    def check_timeout(timeout):
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError('timeout is a number of seconds or None')
        if not timeout >= 0:
            raise ValueError('timeout must be None or a number of seconds >= 0 '
                             '(0: already expired)')

    __slots__ = ('user_cancellable', 'timeout', 'timed_out', 'watch_sigint', 'signals',
                 'cancellable', 'cancelled', '_on_user_cancelled', '_timeout_source',
                 '_saved_handler', '_saved_fd', '_interrupted', '_sigint_frame')

    def __init__(self, cancellable, timeout, watch_sigint):
        if timeout is not None:
            self.check_timeout(timeout)

        self.user_cancellable = cancellable
        self.timeout = timeout
        self.timed_out = False
        self.watch_sigint = watch_sigint
        self.signals = b''
        self.cancelled = False      # set before the call cancels its own cancellable
        self._on_user_cancelled = None
        self._timeout_source = None
        self._saved_handler = None
        self._saved_fd = []
        self._interrupted = False
        self._sigint_frame = None

        if watch_sigint or timeout is not None:
            try:
                self.cancellable = _spare_cancellables.pop()
            except IndexError:
                self.cancellable = Gio.Cancellable()
        else:
            self.cancellable = cancellable

    def cancel(self):
        """Cancels the call's own cancellable (any thread)."""
        self.cancelled = True
        self.cancellable.cancel()

    def recycle(self):
        """After close(): keeps the call's own cancellable for a later call
        if nothing cancelled it (making one costs a quarter of a call). The
        call and its operation are over, so nothing of theirs can see it
        again. Not when it was linked to the caller's cancellable or had a
        time limit: their handlers may be about to run on another thread
        (the watch's run under its lock, or in this thread)."""
        if (not self.cancelled and self.user_cancellable is None and self.timeout is None
                and self.cancellable is not None and len(_spare_cancellables) < 4):
            _spare_cancellables.append(self.cancellable)

    # Every step of open() is recorded before or as it takes effect, so
    # that close() undoes exactly what was done even if a signal handler
    # raised in the middle.
    def open(self):
        global _watching_sigint

        if self.cancellable is self.user_cancellable:
            return

        if self.user_cancellable is not None:
            cancel = self.cancel
            self._on_user_cancelled = lambda cancellable: cancel()
            GObject.Object.connect(self.user_cancellable, 'cancelled',
                                   self._on_user_cancelled)
            if self.user_cancellable.is_cancelled():
                self.cancel()

        if self.timeout == 0:
            # Already expired: the call ends before it starts, every time.
            self.timed_out = True
            self.cancel()
        elif self.timeout is not None:
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
        self.cancel()
        return GLib.SOURCE_REMOVE

    # Main thread: the Python-level SIGINT handler during the call.
    def _note_sigint(self, signum, frame):
        self._interrupted = True
        self._sigint_frame = frame
        self.cancel()

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


def _gi_type(arg):
    """The TypeInfo of the GI argument @arg (its name changed in PyGObject)."""
    getter = getattr(arg, 'get_type_info', None) or arg.get_type
    return getter()


def _gi_interface(arg):
    """(namespace, name, info) of the interface type of @arg, or None."""
    type_info = _gi_type(arg)
    if type_info.get_tag() != GITypeTag.INTERFACE:
        return None
    info = type_info.get_interface()
    return info.get_namespace(), info.get_name(), info


def _gi_closure_and_destroy(arg):
    """The indices of the user data and destroy notify of the GI argument
    @arg (-1: none); the methods were renamed in PyGObject 3.52."""
    if hasattr(arg, 'get_closure_index'):
        return arg.get_closure_index(), arg.get_destroy_index()
    return arg.get_closure(), arg.get_destroy()


def _gi_scope(info):
    """The Python object that holds the GI function @info: its class,
    interface or struct, or its namespace's module."""
    namespace = importlib.import_module('gi.repository.' + info.get_namespace())
    container = info.get_container()
    return namespace if container is None else getattr(namespace, container.get_name())


def _gi_function(fn):
    """(info, instance, bound) for a GI function @fn: PyGObject >= 3.52
    binds a method as a Python method (its instance known); older ones
    give a FunctionInfo bound or not (its instance hidden). (None, None,
    False) for anything else."""
    func = getattr(fn, '__func__', None)
    if isinstance(func, FunctionInfo):
        return func, fn.__self__, True
    if isinstance(fn, FunctionInfo):
        bound = (fn.is_method()
                 and fn is not inspect.getattr_static(_gi_scope(fn), fn.get_name(), None))
        return fn, None, bound
    return None, None, False


class _Shape:
    """How to start one asynchronous method, and how to finish it.

    For a GI function: the names of its cancellable and callback
    parameters, taken from its GI signature (they are not always last:
    ``Gio.File.copy_async`` has a progress callback between them), and its
    other parameters. For a Python callable: its ``cancellable`` and
    ``callback`` parameters if it names them so, else the last two
    positions.
    """

    __slots__ = ('cancellable', 'callback', 'names', 'order', 'aliases', 'gi_info',
                 'finish_name', 'unbound', 'instance', 'static', 'default_finish',
                 'is_method', 'positional', 'indices', 'first_user_data')

    def __init__(self, async_method):
        self.cancellable = None
        self.callback = None
        self.names = None
        self.order = []         # GI: (name, nullable) of each Python parameter
        self.aliases = {}
        self.unbound = False
        self.gi_info = None
        self.finish_name = None
        name = getattr(async_method, '__name__', None)

        self.static = None
        self.default_finish = None
        self.is_method = False
        # GI: by count of positional arguments given (the instance apart),
        # what fills the rest in order when no keyword argument is given
        # (_FILL_*), or None when that cannot be done by position.
        self.positional = {}
        self.indices = []       # GI: the GI argument index of each of @order
        self.first_user_data = math.inf
        info, self.instance, bound = _gi_function(async_method)
        if info is not None:
            self.is_method = info.is_method()
            self.static = inspect.getattr_static(_gi_scope(info), info.get_name(), None)
            self.gi_info = info
            name = info.get_name()
            self.unbound = info.is_method() and not bound
            self.names = set()
            closures = []
            hidden = set()
            arguments = info.get_arguments()
            for index, arg in enumerate(arguments):
                # A callback's user data and destroy notify: not in Python.
                interface = _gi_interface(arg)
                if interface is not None and isinstance(interface[2], CallbackInfo):
                    user_data, destroy = _gi_closure_and_destroy(arg)
                    for other in (user_data, destroy):
                        if other >= 0 and other != index:
                            hidden.add(other)
                    if user_data >= 0 and user_data != index:
                        # PyGObject takes a callback's user data by position.
                        self.first_user_data = min(self.first_user_data, user_data)
            for index, arg in enumerate(arguments):
                if index in hidden or arg.get_direction() == GIDirection.OUT:
                    continue
                arg_name = arg.get_name()
                self.names.add(arg_name)
                self.order.append((arg_name, arg.may_be_null()))
                self.indices.append(index)
                interface = _gi_interface(arg)
                if interface is None:
                    continue
                if interface[:2] == ('Gio', 'Cancellable') and self.cancellable is None:
                    self.cancellable = arg_name
                elif interface[:2] == ('Gio', 'AsyncReadyCallback'):
                    self.callback = arg_name
                elif interface[:2] == ('GObject', 'Closure'):
                    closures.append(arg_name)
            if self.callback is None and closures:
                # A function taking GClosures (g_file_copy_async_with_closures,
                # renamed copy_async): the ready callback is the last.
                ready = [c for c in closures if 'ready' in c]
                self.callback = (ready or closures)[-1]
            if self.cancellable is None or self.callback is None:
                raise TypeError('%s() takes no cancellable or no GAsyncReadyCallback: '
                                'it is not a Gio asynchronous method' % (name,))
            # Keyword names that hold on every PyGObject: a closure-taking
            # variant's "progress_callback_closure" is also "progress_callback".
            for arg_name in self.names:
                if arg_name.endswith('_closure'):
                    self.aliases[arg_name[:-len('_closure')]] = arg_name
        else:
            try:
                parameters = inspect.signature(async_method).parameters
            except (TypeError, ValueError):
                parameters = {}
            if 'cancellable' in parameters and 'callback' in parameters:
                self.cancellable = 'cancellable'
                self.callback = 'callback'

        if name:
            base = name[:-len('_async')] if name.endswith('_async') else name
            self.finish_name = base + '_finish'

    def bind(self, async_method, info, func):
        """A copy of this cached shape of a GI function, for @async_method
        (whose FunctionInfo is @info, and __func__ @func): the same
        function, bound or not."""
        shape = _Shape.__new__(_Shape)
        shape.cancellable = self.cancellable
        shape.callback = self.callback
        shape.names = self.names
        shape.order = self.order
        shape.aliases = self.aliases
        shape.finish_name = self.finish_name
        shape.static = self.static
        shape.default_finish = self.default_finish
        shape.is_method = self.is_method
        shape.positional = self.positional
        shape.indices = self.indices
        shape.first_user_data = self.first_user_data
        shape.gi_info = info
        if func is not None:
            shape.instance, bound = async_method.__self__, True
        else:
            shape.instance, bound = None, async_method is not self.static
        shape.unbound = self.is_method and not bound
        return shape

    def _fill(self, given):
        """What fills the parameters after the @given first ones, by
        position (see `positional`), or None."""
        fill = []
        if given < len(self.indices) and self.indices[-1] > self.first_user_data:
            # A callback's user data lies among them (copy_async's progress
            # callback): PyGObject would take the next value for it.
            return None
        for name, nullable in self.order[given:]:
            if name == self.cancellable:
                fill.append(_FILL_CANCELLABLE)
            elif name == self.callback:
                fill.append(_FILL_CALLBACK)
            elif nullable:
                fill.append(_FILL_NONE)
            else:
                return None     # a required parameter not given: PyGObject says so
        if _FILL_CANCELLABLE not in fill or _FILL_CALLBACK not in fill:
            return None         # given in @args: PyGObject says so
        return tuple(fill)

    def start(self, async_method, args, options, cancellable, callback):
        """Runner thread: starts the operation."""
        if self.callback is None:
            return async_method(*args, cancellable, callback, **options)
        if not options and self.gi_info is not None:
            given = len(args) - self.unbound
            try:
                fill = self.positional[given]
            except KeyError:
                fill = self.positional[given] = self._fill(given) if given >= 0 else None
            if fill is not None:
                return async_method(*args, *[cancellable if f == _FILL_CANCELLABLE
                                             else callback if f == _FILL_CALLBACK else None
                                             for f in fill])
        if self.aliases and options:
            options = {self.aliases.get(k, k) if k not in self.names else k: v
                       for k, v in options.items()}
        options[self.cancellable] = cancellable
        options[self.callback] = callback
        # PyGObject has no default for a nullable parameter followed by a
        # required one (copy_async's progress callback on 3.50): say None.
        for name, nullable in self.order[len(args) - self.unbound:]:
            if nullable and name not in options:
                options[name] = None
        return async_method(*args, **options)

    def check_options(self, options):
        """Refuses keyword arguments the method does not take, before the call."""
        if self.names is None:
            return
        for key in options:
            if key not in self.names and self.aliases.get(key) not in self.names:
                raise TypeError('%s() has no parameter %r' % (self.gi_info.get_name(), key))
            if key in (self.cancellable, self.callback) or self.aliases.get(key) == self.callback:
                raise TypeError('pass the cancellable as cancellable=; the callback is the call\'s own')


# What fills a parameter in a call by position (_Shape.positional).
_FILL_NONE = 0
_FILL_CANCELLABLE = 1
_FILL_CALLBACK = 2


def _gi_function_fast(fn):
    """(info, bound-or-not-known) of a GI function, (None, None) otherwise."""
    func = getattr(fn, '__func__', None)
    if isinstance(func, FunctionInfo):
        return func, True
    if isinstance(fn, FunctionInfo):
        return fn, None
    return None, None


# _Shape of each GI function seen, by C symbol.
_gi_shapes = {}


def _shape_of(async_method):
    """The _Shape of @async_method; cached for GI functions."""
    func = getattr(async_method, '__func__', None)
    if isinstance(func, FunctionInfo):
        info = func
    elif isinstance(async_method, FunctionInfo):
        info, func = async_method, None
    else:
        return _Shape(async_method)
    symbol = info.get_symbol()
    shape = _gi_shapes.get(symbol)
    if shape is None:
        shape = _gi_shapes[symbol] = _Shape(info)
    return shape.bind(async_method, info, func)


def _takes_async_result(info):
    for arg in info.get_arguments():
        interface = _gi_interface(arg)
        if interface is not None and interface[:2] == ('Gio', 'AsyncResult'):
            return True
    return False


def _find_finish(async_method, shape, args, finish):
    """Returns a function of the result that finishes @async_method: @finish
    if given (checked when both are GI functions), else the function found
    by name (``X_async`` or ``X`` -> ``X_finish``) beside it.

    Raises TypeError when there is none to find or @finish does not belong
    to @async_method, before anything runs.
    """
    info = shape.gi_info

    if finish is not None:
        if not callable(finish):
            raise TypeError('finish must be callable')
        finish_info, _, finish_bound = _gi_function(finish)
        if finish_info is None:
            return finish       # a Python function: trusted
        if not _takes_async_result(finish_info):
            raise TypeError('finish=%s() takes no Gio.AsyncResult: it is not a finish function'
                            % (finish_info.get_name(),))
        if info is None:
            return finish
        if finish_info.is_method() != info.is_method():
            raise TypeError('finish=%s() does not belong to %s(): one is a method, '
                            'the other is not' % (finish_info.get_name(), info.get_name()))
        if not info.is_method():
            if finish_info.get_namespace() != info.get_namespace():
                raise TypeError('finish=%s() does not belong to %s()'
                                % (finish_info.get_name(), info.get_name()))
            return finish
        owner, finish_owner = _gi_scope(info), _gi_scope(finish_info)
        if not (isinstance(owner, type) and isinstance(finish_owner, type)
                and issubclass(owner, finish_owner)):
            raise TypeError('finish=%s.%s() does not belong to %s.%s()'
                            % (finish_owner.__name__, finish_info.get_name(),
                               owner.__name__, info.get_name()))
        if finish_bound:
            return finish       # bound to its instance already
        return _bind_finish(finish, args, shape)

    if info is not None and shape.default_finish is not None:
        candidate = shape.default_finish
        if not shape.is_method:
            return candidate
        return _bind_finish(candidate, args, shape)
    if shape.finish_name is None:
        raise TypeError('cannot find the finish function of %r: pass finish=' % (async_method,))
    if info is None:
        owner = getattr(async_method, '__self__', None)
        candidate = getattr(owner, shape.finish_name, None) if owner is not None else None
        if candidate is None:
            raise TypeError('%r has no %s() beside it: pass finish='
                            % (async_method, shape.finish_name))
        return candidate
    candidate = getattr(_gi_scope(info), shape.finish_name, None)
    if candidate is None:
        raise TypeError('%s() has no %s() beside it: pass finish='
                        % (info.get_name(), shape.finish_name))
    candidate_info = _gi_function(candidate)[0]
    if candidate_info is not None and (not _takes_async_result(candidate_info)
                                       or candidate_info.is_method() != info.is_method()):
        raise TypeError('%s() is not the finish function of %s(): pass finish='
                        % (shape.finish_name, info.get_name()))
    cached = _gi_shapes.get(info.get_symbol())
    if cached is not None:
        cached.default_finish = candidate
    if not info.is_method():
        return candidate
    return _bind_finish(candidate, args, shape)


def _bind_finish(method, args, shape):
    """The unbound finish method @method, called on the async method's
    instance: known, or the first argument of an unbound call, else the
    result's source object (a bound FunctionInfo hides its instance)."""
    if shape.instance is not None:
        instance = shape.instance
        return lambda result: method(instance, result)
    if shape.unbound and args:
        instance = args[0]
        return lambda result: method(instance, result)

    info = shape.gi_info

    def finish_on_source(result):
        source = result.get_source_object()
        if source is None:
            raise TypeError('%s: the result has no source object: pass finish='
                            % (info.get_name(),))
        return method(source, result)
    return finish_on_source


class _RunnerThread(threading.local):
    """What the override keeps on each runner thread (runner thread only):
    its pinned Python thread state and its pump.

    PyGObject enters Python on a thread Python did not start with
    PyGILState_Ensure(), which creates a thread state and destroys it on
    the matching release: on a runner thread, for every call. Taking one
    more, once, keeps the thread state alive between calls (entering
    Python then only takes the GIL). It is given back when the runner is
    shut down from Python; a runner stopped behind Python's back (its last
    reference dropped in C) leaves it behind, as a daemon thread does.
    """

    pinned = False
    pump = None
    loop = None     # the thread's asyncio loop (_RunnerLoop), made on first use


_runner_thread = _RunnerThread()


def _in_main_interpreter():
    for name in ('_interpreters', '_xxsubinterpreters'):
        try:
            interpreters = importlib.import_module(name)
        except ImportError:
            continue
        return interpreters.get_current() == interpreters.get_main()
    return True


# Python calls from the runner threads use PyGILState_*(), which serve the
# main interpreter only. PyGObject >= 3.50 refuses to load in a
# sub-interpreter; older ones load, and so would this: refuse.
if not _in_main_interpreter():
    raise ImportError('the AsyncRunner override works in the main interpreter only')

try:
    import ctypes
    _PyGILState_Ensure = ctypes.pythonapi.PyGILState_Ensure
    _PyGILState_Ensure.restype = ctypes.c_int
    _PyGILState_Ensure.argtypes = []
    _PyGILState_Release = ctypes.pythonapi.PyGILState_Release
    _PyGILState_Release.restype = None
    _PyGILState_Release.argtypes = [ctypes.c_int]
    _PyGILState_LOCKED = 0
except (ImportError, AttributeError):
    _PyGILState_Ensure = None   # no ctypes: a thread state per call


class _Pump:
    """Runner thread: runs Python functions from one source on the runner's
    context, once the function that the core is calling has returned.

    The functions given to run_sync() and call_sync() only hand the work to
    the pump and return: the call's own timeout and Ctrl-C handling can
    then end the call promptly even while the Python work runs, since the
    core makes a caller wait for the function it gave only while that
    function runs. One source per runner thread, made ready with
    g_source_set_ready_time() (a new source per call costs more than the
    call); it may recurse, for calls nested on the runner thread.
    """

    __slots__ = ('queue', 'source')

    def __init__(self, context):
        self.queue = collections.deque()
        # A timeout source that never expires: ready only when told to; once
        # dispatched, it sets its next expiry itself.
        source = _GLib.timeout_source_new(_MAX_TIMEOUT_MS)
        source.set_priority(GLib.PRIORITY_DEFAULT)
        source.set_name('[AsyncRunner] Python')
        source.set_can_recurse(True)
        source.set_callback(self._dispatch)
        source.attach(context)
        self.source = source

    def soon(self, function, *args):
        self.queue.append((function, args))
        self.source.set_ready_time(0)

    def _dispatch(self, *unused):
        queue = self.queue
        while queue:
            function, args = queue.popleft()
            function(*args)
        return GLib.SOURCE_CONTINUE


def _pump(runner):
    """Runner thread, in a Python callback: the runner thread's pump; pins
    the thread state first."""
    here = _runner_thread
    pump = here.pump
    if pump is None:
        context = runner.get_context()
        if _PyGILState_Ensure is not None and not here.pinned:
            _PyGILState_Ensure()
            here.pinned = True
            _pinned_contexts.append(context)
        pump = here.pump = _Pump(context)
    return pump


# How many turns a runner's asyncio loop gets to end its cancelled tasks
# when the runner stops.
_CLOSING_TURNS = 16

# The contexts of the runner threads that keep a pinned thread state (any
# thread, under the GIL).
_pinned_contexts = []


def _unpin(*unused):
    """Runner thread, in a Python callback: closes the thread's asyncio loop,
    removes its pump's source and gives back the pinned thread state, which
    the end of this callback then destroys. No Python is left to run on
    the thread."""
    here = _runner_thread
    if here.loop is not None:
        loop, here.loop = here.loop, None
        if not loop._stepping:
            # Tasks still running (a coroutine whose call timed out) are
            # cancelled and given a few turns to end: each holds its call's
            # task, which keeps the runner thread until it is freed, and
            # that must happen while Python can still run.
            for turn in range(_CLOSING_TURNS):
                pending = asyncio.all_tasks(loop)
                if not pending:
                    break
                for task in pending:
                    task.cancel()
                loop._step()
            loop.close()
    if here.pump is not None:
        pump, here.pump = here.pump, None
        pump.source.destroy()
    if here.pinned:
        here.pinned = False
        context = GLib.MainContext.get_thread_default()
        if context in _pinned_contexts:
            _pinned_contexts.remove(context)
        _PyGILState_Release(_PyGILState_LOCKED)
    return GLib.SOURCE_REMOVE


def _unpin_soon(context):
    """Has the thread that iterates @context run `_unpin()`, first among
    what is ready. Returns the source and an event set once GLib has let
    go of the Python callback: from then on the thread runs no Python of
    the override's (GLib releases a source's callback after dispatching
    it, on the dispatching thread, which enters Python to do so)."""
    released = threading.Event()

    def unpin(*unused):
        return _unpin()

    # A weak reference, kept by the event, not weakref.finalize(): that one
    # stops calling back once its own exit hook, which runs before this
    # module's, has run.
    released.watch = weakref.ref(unpin, lambda unused: released.set())
    source = _GLib.idle_source_new()
    source.set_priority(GLib.PRIORITY_HIGH)
    source.set_callback(unpin)
    source.attach(context)
    return source, released


# The runners shut down from Python: nothing of Python's is attached to
# their contexts again (their threads may live on, past the interpreter).
_shut_down_runners = weakref.WeakSet()


def _shutdown(runner):
    """Shuts @runner down from Python (any thread): its thread gives back
    its Python thread state and its Python sources while it drains.

    Once only: the thread of a runner shut down before may live on for an
    operation that outlived the grace, and end (destroying what is left
    on its context, a Python callback included) at any time, during the
    interpreter's finalization too: Python entered then aborts the process
    ("gilstate_tss_set: failed to set current tstate" on Python 3.14). So
    no Python source is attached to it again, and none is left behind."""
    if runner in _shut_down_runners:
        AsyncRunner.Runner.shutdown(runner)
        return
    _shut_down_runners.add(runner)
    pending = None
    if _PyGILState_Ensure is not None:
        try:
            context = runner.get_context()
            pending = _unpin_soon(context)
        except Exception:
            pass    # then the thread state stays behind
    AsyncRunner.Runner.shutdown(runner)
    if pending is not None:
        # Shutdown returns once the thread has drained its context, which
        # dispatches the source, unless the thread was gone (shut down
        # from C) or busy past the grace: then the source goes here, its
        # callback released on this thread. If the runner thread is
        # dispatching it right now, it releases the callback at once.
        source, released = pending
        source.destroy()
        if not context.is_owner():
            released.wait(_EXIT_UNPIN_SECONDS)
        # Whether or not the thread gave back its thread state: the exit
        # must not send it Python again.
        while context in _pinned_contexts:
            _pinned_contexts.remove(context)


# Python >= 3.12 (needed from 3.14 on, where the current task is per thread).
_swap_current_task = getattr(asyncio.tasks, '_swap_current_task', None)


class _Selector(selectors._BaseSelectorImpl):
    """The selector of a `_RunnerLoop`: GLib fd sources on the runner's
    context, one per registered file descriptor and direction (PyGObject
    does not pass an fd source's condition to its callback). GLib polls;
    select() only hands over what the sources saw."""

    _CONDITIONS = (
        (selectors.EVENT_READ, GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR),
        (selectors.EVENT_WRITE, GLib.IOCondition.OUT | GLib.IOCondition.ERR),
    )

    def __init__(self, context):
        super().__init__()
        self.context = context
        self.loop = None            # set by the loop
        self.sources = {}           # fd -> its GLib sources
        self.seen = {}              # fd -> selectors events since the last select()

    def register(self, fileobj, events, data=None):
        key = super().register(fileobj, events, data)
        sources = []
        for event, condition in self._CONDITIONS:
            if events & event:
                source = _fd_source_new(key.fd, condition)
                source.set_callback(functools.partial(self._on_fd, key.fd, event))
                source.set_name('[AsyncRunner] asyncio fd')
                source.attach(self.context)
                sources.append(source)
        self.sources[key.fd] = sources
        return key

    def unregister(self, fileobj):
        key = super().unregister(fileobj)
        for source in self.sources.pop(key.fd, ()):
            source.destroy()
        self.seen.pop(key.fd, None)
        return key

    def _on_fd(self, fd, event, *unused):
        self.seen[fd] = self.seen.get(fd, 0) | event
        loop = self.loop
        if loop is not None:
            loop._step()
        return GLib.SOURCE_CONTINUE

    def select(self, timeout=None):
        ready = []
        seen, self.seen = self.seen, {}
        for fd, events in seen.items():
            key = self._fd_to_key.get(fd)
            if key is not None and events & key.events:
                ready.append((key, events & key.events))
        return ready

    def close(self):
        for sources in self.sources.values():
            for source in sources:
                source.destroy()
        self.sources.clear()
        super().close()


class _RunnerLoop(asyncio.SelectorEventLoop):
    """An asyncio event loop that lives on a runner's GMainContext and is
    driven by the runner thread's own iteration of that context: no thread
    and no run_forever() of its own.

    asyncio's `_run_once()` runs from GLib sources: a source made ready now
    when callbacks are ready, or at the earliest `call_later()`; one fd
    source per file descriptor (the selector's), the self-pipe among them
    (`call_soon_threadsafe()`). While it runs, the loop is the thread's
    running loop. Its clock is CLOCK_MONOTONIC, as GLib's is.

    The ready-or-timer source is one of two long-lived timeout sources
    armed with g_source_set_ready_time() (making a source per turn cost
    more than a trivial run_async()): GLib rearms a timeout source whose
    callback continues it once the callback returns, over any ready time
    set meanwhile, so a turn arms the other one.
    """

    def __init__(self, context):
        selector = _Selector(context)
        self._context = context
        # Runner thread only, as every field below: other threads wake the
        # loop through call_soon_threadsafe()'s self-pipe.
        self._runner_ident = threading.get_ident()
        self._sources = []
        self._armed = [-1, -1]      # the ready time each source was given
        self._dispatching = None    # the index of the source stepping the loop
        for index in range(2):
            source = _GLib.timeout_source_new(_MAX_TIMEOUT_MS)
            source.set_priority(GLib.PRIORITY_DEFAULT)
            source.set_name('[AsyncRunner] asyncio')
            source.set_callback(functools.partial(self._on_source, index))
            source.set_ready_time(-1)
            source.attach(context)
            self._sources.append(source)
        self._stepping = False
        self._completions = []      # the run_async() tasks to complete after this turn
        super().__init__(selector)
        selector.loop = self

    def _call_soon(self, callback, args, context):
        handle = super()._call_soon(callback, args, context)
        if not self._stepping and threading.get_ident() == self._runner_ident:
            self._reschedule()
        return handle

    def call_at(self, when, callback, *args, context=None):
        handle = super().call_at(when, callback, *args, context=context)
        if not self._stepping and threading.get_ident() == self._runner_ident:
            self._reschedule()
        return handle

    def run_forever(self):
        raise RuntimeError('this loop is driven by its runner: use run_async()')

    def run_until_complete(self, future):
        raise RuntimeError('this loop is driven by its runner: use run_async()')

    def _step(self):
        """Runner thread: runs what is ready, as one turn of run_forever()
        would (a few turns while callbacks are ready)."""
        if self._stepping or self.is_closed():
            return      # a nested iteration inside this loop's own callback
        previous = asyncio._get_running_loop()
        outer_task = None
        if previous is not None and previous is not self and _swap_current_task is not None:
            # Nested in another loop's task: Python >= 3.14 keeps one
            # current task per thread, which must step aside meanwhile.
            outer_task = _swap_current_task(previous, None)
        hooks = sys.get_asyncgen_hooks()
        self._stepping = True
        self._thread_id = threading.get_ident()
        asyncio._set_running_loop(self)
        sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook,
                               finalizer=self._asyncgen_finalizer_hook)
        try:
            try:
                for turn in range(4):
                    self._run_once()
                    if not self._ready or self._stopping:
                        break
            finally:
                self._stopping = False
                sys.set_asyncgen_hooks(*hooks)
                asyncio._set_running_loop(previous)
                if outer_task is not None:
                    _swap_current_task(previous, outer_task)
                self._thread_id = None if previous is not self else self._thread_id
                self._stepping = False
            self._reschedule()
        finally:
            # Last: each wakes its caller, who then needs the GIL.
            completions = self._completions
            while completions:
                completions.pop(0).return_value(True)

    def _reschedule(self):
        """Runner thread: arms a source for the next turn: now if callbacks
        are ready, else at the earliest timer, else never."""
        assert threading.get_ident() == self._runner_ident
        if self.is_closed():
            return
        if self._ready:
            ready_time = 0
        elif self._scheduled:
            # asyncio's clock and GLib's are both CLOCK_MONOTONIC.
            ready_time = max(0, math.ceil(self._scheduled[0]._when * 1e6))
        else:
            ready_time = -1
        # Not the source whose callback runs: GLib rearms that one after it.
        index = 1 if self._dispatching == 0 else 0
        armed = self._armed
        if armed[index] != ready_time:
            armed[index] = ready_time
            self._sources[index].set_ready_time(ready_time)
        other = 1 - index
        if armed[other] != -1 and self._dispatching != other:
            armed[other] = -1
            self._sources[other].set_ready_time(-1)

    def _on_source(self, index, *unused):
        # GLib gives the source a ready time of its own after this returns.
        self._armed[index] = -1
        if self._stepping:
            # Nested in this loop's own turn, which arms a source at its end.
            return GLib.SOURCE_CONTINUE
        self._dispatching = index
        try:
            self._step()
        finally:
            self._dispatching = None
        return GLib.SOURCE_CONTINUE

    def close(self):
        if self.is_closed():
            return
        super().close()
        for source in self._sources:
            source.destroy()
        self._sources = []


def _complete_after_turn(task):
    """Runner thread, in a run_async() coroutine: completes the core's
    @task at the end of its loop's turn."""
    loop = asyncio.get_running_loop()
    if isinstance(loop, _RunnerLoop) and loop._stepping:
        loop._completions.append(task)
    else:
        task.return_value(True)


def _loop_of_thread(runner):
    """Runner thread: the asyncio loop for a new run_async(): the thread's
    own, or a fresh one for a run nested in one of the thread's loop's
    callbacks (asyncio runs no loop inside itself)."""
    here = _runner_thread
    loop = here.loop
    if loop is None or loop.is_closed():
        _pump(runner)   # pins the thread state, which keeps the loop
        loop = here.loop = _RunnerLoop(runner.get_context())
    if loop._stepping:
        return _RunnerLoop(runner.get_context()), True
    return loop, False


# The runners made from Python, which the interpreter's exit stops.
_scoped_runners = weakref.WeakSet()


# How long the interpreter's exit waits for a runner thread that lives on
# (the default runner's) to leave Python.
_EXIT_UNPIN_SECONDS = 5

# The contexts whose threads did not let go of Python in time at exit (for
# the tests).
_exit_report = []


def _shut_down_at_exit():
    """Stops the runners made from Python that are still alive, while their
    threads can still take the GIL to finish running Python code: a
    finalizing interpreter no longer lets them (they hang or exit in the
    middle of GLib), and dispose would then wait for them forever.

    The runners that live on (the default runner, runners made in C) give
    back their thread state and their Python sources now: Python entered
    on their threads during finalization aborts the process."""
    for runner in list(_scoped_runners):
        _shutdown(runner)
    for context in list(_pinned_contexts):
        # Waits until the callback is released, not only run: the thread
        # enters Python once more to release it.
        source, released = _unpin_soon(context)
        del source
        if not released.wait(_EXIT_UNPIN_SECONDS):
            _exit_report.append(context)
    # Tasks of calls that ended early, still held by Python cycles, keep
    # their stopped runners' threads: free them while Python can still
    # run what freeing them runs.
    gc.collect()


atexit.register(_shut_down_at_exit)


def _seconds_to_ms(seconds, what):
    """The runner's timeout property (ms, 0 = no limit) for @seconds."""
    if seconds is None:
        return 0
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError('%s is a number of seconds or None' % (what,))
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


def _call_name(function):
    """The name of a call: what the stuck-call report, dup_pending_calls()
    and G_MESSAGES_DEBUG=AsyncRunner show (a Python function has no symbol
    that the library could find)."""
    name = getattr(function, '__qualname__', None) or getattr(function, '__name__', None)
    if name is None:
        return repr(function)
    owner = getattr(function, '__self__', None)
    if owner is not None and not isinstance(owner, type) and '.' not in name:
        name = type(owner).__name__ + '.' + name
    return name


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


@override
class Runner(AsyncRunner.Runner):
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
        lives as long as the process and cannot be shut down."""
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
        self.shutdown()
        return False

    def with_options(self, *, timeout=None, cancellable=None):
        """An object with the same `run()`, `call()` and `run_async()`,
        whose calls all take this @timeout (seconds, None: none) and
        @cancellable: ``runner.with_options(timeout=2).run(fn, timeout=x)``
        passes ``timeout=x`` to @fn."""
        return _WithOptions(self, timeout, cancellable)

    def _invoke(self, raw, function, cancellable, timeout, name):
        watch_sigint = _may_watch_sigint()
        if not watch_sigint and cancellable is None and timeout is None:
            # Nothing of the override's can end this call early: no _Call.
            # The per-call timeout 0 is the runner's own.
            return raw(self, name, 0, function, None, None)
        call = _Call(cancellable, timeout, watch_sigint)
        error = None
        try:
            call.open()
            try:
                # The per-call timeout is _Call's: 0 is the runner's own.
                result = raw(self, name, 0, function, None, call.cancellable)
            except GLib.Error as e:
                error = e
        finally:
            # close() is idempotent: a second call completes the first if a
            # signal handler raised in it (at its very start, say).
            try:
                call.close()
            except BaseException:
                call.close()
                raise
        call.deliver_sigint()
        if error is None:
            call.recycle()
        if error is not None:
            translated = call.translate(error)
            if translated is error:
                raise error
            raise translated from None
        return result

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
            expired); past it the operation is cancelled and `GLib.Error`
            ``Gio.IOErrorEnum.TIMED_OUT`` is raised. The runner's own
            `timeout` applies as well.
        :param finish: the function that takes the `Gio.AsyncResult` and
            returns the outcome. By default the ``X_finish`` function
            beside ``X_async`` (or beside ``X``: ``Gio.DBusConnection.call``
            is finished by ``call_finish``). A GI function that does not
            belong to @async_method is refused with `TypeError`.
        :returns: what the finish function returns.
        :raises GLib.Error: the operation's own error, unchanged, or
            CANCELLED, TIMED_OUT, or CLOSED when the runner shuts down.
        :raises KeyboardInterrupt: on Ctrl-C while the main thread waits.

        An exception raised while starting @async_method (bad arguments,
        say) ends the call at once and is raised as it is.
        """
        shape = _shape_of(async_method)
        if shape.gi_info is None:
            if inspect.iscoroutine(async_method) or inspect.iscoroutinefunction(async_method):
                raise TypeError('call() runs a Gio asynchronous method, not a coroutine: '
                                'use run_async()')
            if not callable(async_method):
                raise TypeError('call() takes a Gio asynchronous method, not %r'
                                % (async_method,))
        shape.check_options(options)
        finish = _find_finish(async_method, shape, args, finish)

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
                shape.start(async_method, args, dict(options), op_cancellable, deliver_once)
            except BaseException as error:
                # The call raises @error. End it now, unless it has ended.
                failure.append(error)
                if not delivered:
                    Gio.Task.new(None, op_cancellable, deliver_once).return_boolean(False)

        # Runner thread: start(runner, user_data, cancellable, callback).
        # A GI function starts at once and hands the core's own callback to
        # C (no Python on the way back); it cannot call back and then
        # raise. A Python method runs from the pump (it may take its time:
        # a timeout must still end the call), its callback checked.
        if shape.gi_info is not None:
            def start(runner, *rest):
                try:
                    shape.start(async_method, args, dict(options), rest[-2], rest[-1])
                except BaseException as error:
                    failure.append(error)
                    return False    # not started: the core ends the call
                return True
        else:
            def start(runner, *rest):
                try:
                    _pump(runner).soon(begin, rest[-2], rest[-1])
                except BaseException as error:
                    failure.append(error)
                    return False    # the core ends the call
                return True

        try:
            result = self._invoke(_raw_call_sync_full, start, cancellable, timeout,
                                  _call_name(async_method))
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

        self._invoke(_raw_run_sync_full, function, cancellable, timeout, _call_name(fn))
        succeeded, value = outcome.pop()
        if succeeded:
            return value
        try:
            raise value
        finally:
            del value


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
        return self._invoke(
            lambda runner, name, timeout_ms, unused, none, c: AsyncRunner.Runner.call_method_sync(
                runner, obj, method, values, c),
            None, cancellable, timeout, method)

    def call_function_sync(self, namespace, function, args=(), cancellable=None, timeout=None):
        """Calls the asynchronous function @function of @namespace by name.

        As `call_method_sync()`, for a function (``"bus_get"``) or a static
        method or constructor (``"File.new_tmp_async"``).
        """
        values = _to_values(args)
        return self._invoke(
            lambda runner, name, timeout_ms, unused, none, c: AsyncRunner.Runner.call_function_sync(
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
        if type(awaitable) is not types.CoroutineType:
            if inspect.iscoroutinefunction(awaitable) or inspect.isasyncgenfunction(awaitable):
                raise TypeError('run_async() takes an awaitable: call %s() to get one'
                                % (getattr(awaitable, '__qualname__', None) or repr(awaitable),))
            if not inspect.isawaitable(awaitable):
                raise TypeError('run_async() takes an awaitable (a coroutine), not %r; '
                                'for a plain callable use run()' % (awaitable,))
        context = contextvars.copy_context()
        outcome = []
        started = []    # (loop, asyncio task), once the runner thread made it

        # Runner thread, from the loop.
        async def main(task):
            try:
                outcome.append((True, await awaitable))
            except BaseException as error:
                outcome.append((False, error))
            finally:
                # Completed once the loop's turn is over: the caller, woken
                # at once, then finds the GIL free.
                _complete_after_turn(task)

        # Runner thread; the caller waits while it runs. It only makes the
        # asyncio task, which the loop's next turn starts: the coroutine
        # runs once this has returned, so that a timeout or Ctrl-C can end
        # the call while it runs.
        def function(runner, task, *unused):
            try:
                loop, private = _loop_of_thread(runner)
                if sys.version_info >= (3, 11):
                    asyncio_task = loop.create_task(main(task), context=context)
                else:
                    # No context= before Python 3.11: a task runs in a copy
                    # of the context it is made in, here of the caller's.
                    asyncio_task = context.run(loop.create_task, main(task))
            except BaseException as error:
                if inspect.iscoroutine(awaitable):
                    awaitable.close()
                outcome.append((False, error))
                task.return_value(True)
                return True
            if private:
                asyncio_task.add_done_callback(lambda unused: loop.close())
            started.append((loop, asyncio_task))
            return True

        try:
            self._invoke(_raw_run_sync_full, function, cancellable, timeout,
                         _call_name(awaitable))
        except BaseException:
            # The call ended early (timeout, cancellable, Ctrl-C, shutdown;
            # the core does not return before function() has): cancel the
            # asyncio task, which sees CancelledError on the runner thread.
            # Ended before the runner took it (an early timeout, say): close
            # the coroutine, which would otherwise never be awaited.
            if started:
                loop, asyncio_task = started[0]
                try:
                    loop.call_soon_threadsafe(asyncio_task.cancel)
                except RuntimeError:
                    pass    # the loop is closed: the task is over
            elif inspect.iscoroutine(awaitable):
                awaitable.close()
            raise
        succeeded, value = outcome.pop()
        if succeeded:
            return value
        try:
            raise value
        finally:
            del value

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
        async iterator), one `run_async()` per item with these options; it
        closes the generator (``aclose()``) when the loop over it stops
        early."""
        iterator = async_iterable.__aiter__()
        finished = False
        try:
            while True:
                try:
                    item = self._run_async(_anext(iterator), cancellable, timeout)
                except StopAsyncIteration:
                    finished = True
                    return
                yield item
        finally:
            aclose = getattr(iterator, 'aclose', None)
            if not finished and aclose is not None:
                self._run_async(aclose(), cancellable, timeout)

__all__.append('Runner')


# The default runner, per process (it lives as long as the process).
_default_runner_pid = None
_default_runner_object = None


def _default_runner():
    global _default_runner_pid, _default_runner_object
    pid = os.getpid()
    if _default_runner_pid != pid:
        _default_runner_object = Runner.get_default()
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
    return Runner.get_default().with_options(timeout=timeout, cancellable=cancellable)


def call_all(calls, *, return_exceptions=False, timeout=None, cancellable=None):
    """`Runner.call_all()` on the default runner."""
    return Runner.get_default().call_all(calls, return_exceptions=return_exceptions,
                                         timeout=timeout, cancellable=cancellable)


__all__ += ['call', 'run', 'with_options', 'call_all']


async def _anext(iterator):
    return await iterator.__anext__()


def wrap(async_method, *args, finish=None, **options):
    """An awaitable of a Gio asynchronous method, for a coroutine that runs
    in `run_async()` (or any asyncio loop on a thread that iterates the
    thread-default main context): ``await AsyncRunner.wrap(f.load_contents_async)``
    returns what `call()` would. The method starts at once, on the calling
    thread; cancelling the awaiting task cancels the operation. Arguments
    as for `call()`.
    """
    if inspect.iscoroutine(async_method) or inspect.iscoroutinefunction(async_method):
        raise TypeError('wrap() takes a Gio asynchronous method, not a coroutine: await it')
    shape = _shape_of(async_method)
    shape.check_options(options)
    finish = _find_finish(async_method, shape, args, finish)
    return _wrapped(async_method, shape, args, options, finish)


async def _wrapped(async_method, shape, args, options, finish):
    future = asyncio.get_running_loop().create_future()
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
        if not (inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)):
            raise TypeError('sync() takes an async def function, not %r' % (fn,))

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return (runner or Runner.get_default()).run_async(fn(*args, **kwargs))
        return wrapper

    if coroutine_function is None:
        return decorate
    return decorate(coroutine_function)


def run_async(awaitable, *, timeout=None, cancellable=None):
    """`Runner.run_async()` on the default runner."""
    return _default_runner()._run_async(awaitable, cancellable, timeout)


def iterate(async_iterable, *, timeout=None, cancellable=None):
    """`Runner.iterate()` on the default runner."""
    return Runner.get_default().iterate(async_iterable, timeout=timeout,
                                        cancellable=cancellable)


__all__ += ['run_async', 'iterate', 'wrap', 'sync']
