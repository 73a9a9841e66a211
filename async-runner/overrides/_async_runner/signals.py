# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ending a synchronous call early: its own cancellable, the per-call
timeout, and Ctrl-C in the main thread (the signal wakeup fd, the SIGINT
handler), served by the watchdog thread; what a forked child resets."""

import math
import os
import queue
import select
import signal
import threading

try:
    # The signal module's wrappers convert to and from enums on every call.
    import _signal as _signals
except ImportError:
    _signals = signal

from gi.repository import GLib, GObject, Gio

from .common import (_MAX_TIMEOUT_MS, _drain, _fd_source_new, _is_timed_out, _outcome,
                     _raw_main_loop_run, _set_wakeup_fd, _timed_out)


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
                if call.wake is not None:
                    call.wake.set()     # the main thread runs the handlers
                if signal.SIGINT in data:
                    # Under the lock: once end() has run, the call (and
                    # its cancellable, which may be recycled) is left alone.
                    call.cancel()
        return GLib.SOURCE_CONTINUE


def _after_fork_in_child():
    """A child forked (by another thread) while the main thread waits in a
    call that watches Ctrl-C: the call is the parent's, so its SIGINT
    handler and its wakeup fd (the parent's pipe, which the parent's
    watchdog reads) give way to what was there before it."""
    global _watching_sigint
    # A thread of the parent's may have held them.
    _Watchdog.lock = threading.Lock()
    _SigintWatch.lock = threading.Lock()
    call, _SigintWatch.current = _SigintWatch.current, None
    if call is not None and _watching_sigint:
        _watching_sigint = False
        if call._saved_handler is not None:
            _signals.signal(signal.SIGINT, call._saved_handler)
            call._saved_handler = None
        if call._saved_fd:
            _set_wakeup_fd(call._saved_fd[0])
            del call._saved_fd[:]
        call.watch_sigint = False


os.register_at_fork(after_in_child=_after_fork_in_child)


# Cancellables of finished calls that nothing cancelled (list operations
# are atomic under the GIL).
_spare_cancellables = []

# The main thread is inside a call that watches SIGINT (main thread only).
_watching_sigint = False


_INF = math.inf
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
                 '_saved_handler', '_saved_fd', '_interrupted', '_sigint_frame', 'wake')

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
        self.wake = None            # main thread: set when its call ends or a signal comes

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
        """Undoes open(), step by step. Idempotent.

        Every step runs even if one before it raised: the original SIGINT
        handler is back after the second step and may raise at any
        bytecode (`KeyboardInterrupt`). The first exception is raised once
        all steps have run. If one is raised between two steps (where no
        `except` can catch it), the caller calls close() again to finish:
        each step does nothing once done, except the first, which is
        harmless to repeat.
        """
        _checkpoint()  # a SIGINT still pending is noted before the handler goes
        first_error = None
        for step in (self._restore_wakeup_fd, self._restore_sigint_handler,
                     self._remove_timeout, self._disconnect_user_cancellable,
                     self._end_sigint_watch):
            try:
                step()
            except BaseException as error:
                if first_error is None:
                    first_error = error
        if first_error is not None:
            try:
                raise first_error
            finally:
                first_error = None

    # The steps of close(), in order.
    def _restore_wakeup_fd(self):
        if self._saved_fd:
            _set_wakeup_fd(self._saved_fd[0])

    def _restore_sigint_handler(self):
        if self._saved_handler is not None:
            _signals.signal(signal.SIGINT, self._saved_handler)
            self._saved_handler = None

    def _remove_timeout(self):
        if self._timeout_source is not None:
            self._timeout_source.destroy()
            self._timeout_source = None

    def _disconnect_user_cancellable(self):
        if self._on_user_cancelled is not None:
            try:
                GObject.Object.disconnect_by_func(self.user_cancellable,
                                                  self._on_user_cancelled)
            except TypeError:
                pass  # already disconnected
            self._on_user_cancelled = None

    def _end_sigint_watch(self):
        global _watching_sigint
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
            return _timed_out()
        if _is_timed_out(error):
            return _timed_out(error)    # the runner's own timeout
        return error


class _MainCaller:
    """A thread that makes the main thread's calls in C while the main
    thread waits in Python (`_call_from_main()`), where the Python-level
    handler of every signal runs at once, as in
    ``run_coroutine_threadsafe(...).result()``: a SIGTERM handler does not
    wait for the end of a 5 s call. Started on first use; a forked child
    starts its own."""

    pid = None
    queue = None

    @classmethod
    def submit(cls, work):
        """Main thread: has the thread run work(); RuntimeError when no
        thread can start (at the interpreter's exit)."""
        if cls.pid != os.getpid():
            work_queue = queue.SimpleQueue()
            threading.Thread(target=cls._serve, args=(work_queue,),
                             name='AsyncRunner main-thread calls', daemon=True).start()
            cls.queue, cls.pid = work_queue, os.getpid()
        cls.queue.put(work)

    @staticmethod
    def _serve(work_queue):
        while True:
            work_queue.get()()


def _call_from_main(call, raw, runner, name, function):
    """Main thread, in a call that watches Ctrl-C: makes the raw call on
    the `_MainCaller` thread and waits for it in Python. The watchdog
    wakes the wait when a signal comes (the wakeup fd is its pipe):
    Python then runs the signal's handler here, at once. A handler that
    raises ends the call (cancelled) and its exception is raised once the
    call has ended."""
    outcome = []
    wake = threading.Event()

    # The _MainCaller thread.
    def work():
        try:
            outcome.append((True, raw(runner, name, 0, function, None, call.cancellable)))
        except BaseException as error:
            outcome.append((False, error))
        wake.set()

    call.wake = wake
    try:
        _MainCaller.submit(work)
    except RuntimeError:
        call.wake = None    # no thread at exit: wait in C
        return raw(runner, name, 0, function, None, call.cancellable)
    try:
        while not outcome:
            wake.wait()
            wake.clear()
            _checkpoint()   # the signal handlers run here (or in wait())
    except BaseException:
        call.cancel()
        while not outcome:
            try:
                wake.wait()
            except BaseException:
                pass        # the first exception is the one raised
        raise
    finally:
        call.wake = None
    return _outcome(*outcome.pop())


def _invoke(runner, raw, function, cancellable, timeout, name):
    """Calls the raw run_sync_full() or call_sync_full() @raw on @runner
    with @function, ended early by @cancellable, @timeout or Ctrl-C."""
    if timeout == _INF:
        timeout = None      # no limit
    watch_sigint = _may_watch_sigint()
    if not watch_sigint and cancellable is None and timeout is None:
        # Nothing of the override's can end this call early: no _Call.
        # The per-call timeout 0 is the runner's own.
        try:
            return raw(runner, name, 0, function, None, None)
        except GLib.Error as error:
            if not _is_timed_out(error):
                raise
            raise _timed_out(error) from None
    call = _Call(cancellable, timeout, watch_sigint)
    error = None
    try:
        call.open()
        try:
            # The per-call timeout is _Call's: 0 is the runner's own.
            if watch_sigint:
                result = _call_from_main(call, raw, runner, name, function)
            else:
                result = raw(runner, name, 0, function, None, call.cancellable)
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
