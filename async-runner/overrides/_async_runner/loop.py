# SPDX-License-Identifier: LGPL-2.1-or-later
"""The asyncio event loop of a runner thread, driven by GLib's iteration of
the runner's main context, and run_async() on it."""

import asyncio
import contextvars
import fcntl
import functools
import inspect
import math
import selectors
import sys
import threading
import types

from gi.repository import GLib

from .common import _GLib, _MAX_TIMEOUT_MS, _call_name, _outcome, _fd_source_new, _raw_run_sync_full
from .signals import _invoke
from .thread import _pump, _runner_thread


# How many turns a loop gets to end its cancelled tasks when it closes.
_CLOSING_TURNS = 16

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
        try:
            fcntl.fcntl(fd, fcntl.F_GETFD)
        except OSError:
            # Closed without remove_reader() or remove_writer(): GLib would
            # poll it (POLLNVAL) for ever, at 100 % of a core; asyncio's
            # epoll forgets a closed descriptor. So do we, until unregister.
            for source in self.sources.pop(fd, ()):
                source.destroy()
            return GLib.SOURCE_REMOVE
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
        self._runs = set()          # the run_async() calls in flight (_Run)
        super().__init__(selector)
        selector.loop = self

    # Both hooks below add a frame to the traceback that asyncio's debug
    # mode records in a handle: removed, as asyncio removes its own.
    def _call_soon(self, callback, args, context):
        handle = super()._call_soon(callback, args, context)
        if handle._source_traceback:
            del handle._source_traceback[-1]
        if not self._stepping and threading.get_ident() == self._runner_ident:
            self._reschedule()
        return handle

    def call_at(self, when, callback, *args, context=None):
        handle = super().call_at(when, callback, *args, context=context)
        if handle._source_traceback:
            del handle._source_traceback[-1]
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
        escaped = None
        try:
            try:
                for turn in range(4):
                    self._run_once()
                    if not self._ready or self._stopping:
                        break
            except (KeyboardInterrupt, SystemExit) as error:
                # What asyncio lets out of a task or a callback, for
                # run_forever() to raise to asyncio.run()'s caller: here,
                # to the callers of run_async() waiting on this loop.
                escaped = error
            finally:
                self._stopping = False
                sys.set_asyncgen_hooks(*hooks)
                asyncio._set_running_loop(previous)
                if outer_task is not None:
                    _swap_current_task(previous, outer_task)
                self._thread_id = None if previous is not self else self._thread_id
                self._stepping = False
            if escaped is not None:
                self._fail_runs(escaped)
                escaped = None
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

    def _fail_runs(self, error):
        """Runner thread: ends every run_async() in flight on this loop
        with @error, and cancels its task."""
        runs = list(self._runs)
        if not runs and not isinstance(error, GLib.Error):
            self.call_exception_handler({
                'message': '%s on the runner\'s loop, with no run_async() in flight to raise it'
                           % (type(error).__name__,),
                'exception': error,
            })
        for run in runs:
            run.end(False, error)
            run.asyncio_task.cancel()

    def _finish(self):
        """Runner thread, outside its turns: closes the loop as asyncio.run()
        closes its own: cancels the tasks left (each once), closes the async
        generators left, and gives them a few turns to end."""
        if self._stepping or self.is_closed():
            return
        cancelled = set()
        closing = None      # the task that closes the async generators
        for turn in range(_CLOSING_TURNS):
            pending = asyncio.all_tasks(self)
            pending.discard(closing)
            if pending:
                for task in pending - cancelled:
                    task.cancel()
                cancelled |= pending
            elif closing is None and self._asyncgens:
                closing = self.create_task(self.shutdown_asyncgens())
            elif closing is None or closing.done():
                break
            self._step()
        self.close()


class _Run:
    """A run_async() call, as its loop sees it (runner thread only). It ends
    once: with its coroutine's outcome, or earlier with a KeyboardInterrupt
    or SystemExit that escaped its loop's turn, or with CLOSED when the
    runner shuts down."""

    __slots__ = ('loop', 'task', 'outcome', 'asyncio_task', 'done')

    def __init__(self, loop, task, outcome):
        self.loop = loop
        self.task = task            # the core's: returned once the run ends
        self.outcome = outcome      # the caller's: (succeeded, value)
        self.asyncio_task = None
        self.done = False

    def end(self, succeeded, value):
        if self.done:
            return
        self.done = True
        loop = self.loop
        loop._runs.discard(self)
        self.outcome.append((succeeded, value))
        if loop._stepping:
            # Completed once the loop's turn is over: the caller, woken at
            # once, then finds the GIL free.
            loop._completions.append(self.task)
        else:
            self.task.return_value(True)


def _create_task(loop, coroutine, context):
    """A task of @coroutine on @loop that runs in @context."""
    if sys.version_info >= (3, 11):
        return loop.create_task(coroutine, context=context)
    return context.run(loop.create_task, coroutine)     # the task copies it


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


def _close_unstarted(coroutine):
    if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
        coroutine.close()


def _run_async(runner, awaitable, cancellable, timeout):
    """`Runner.run_async()`."""
    if type(awaitable) is not types.CoroutineType:
        if inspect.iscoroutinefunction(awaitable) or inspect.isasyncgenfunction(awaitable):
            raise TypeError('run_async() takes an awaitable: call %s() to get one'
                            % (getattr(awaitable, '__qualname__', None) or repr(awaitable),))
        if not inspect.isawaitable(awaitable):
            raise TypeError('run_async() takes an awaitable (a coroutine), not %r; '
                            'for a plain callable use run()' % (awaitable,))
    context = contextvars.copy_context()
    outcome = []
    started = []    # (loop, asyncio task, private), once the runner thread made it

    # Runner thread, from the loop.
    async def main(run):
        try:
            result = await awaitable
        except BaseException as error:
            run.end(False, error)
        else:
            run.end(True, result)

    # Runner thread; the caller waits while it runs. It only makes the
    # asyncio task, which the loop's next turn starts: the coroutine
    # runs once this has returned, so that a timeout or Ctrl-C can end
    # the call while it runs.
    def function(runner, task, *unused):
        try:
            loop, private = _loop_of_thread(runner)
            run = _Run(loop, task, outcome)
            run.asyncio_task = _create_task(loop, main(run), context)
        except BaseException as error:
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            outcome.append((False, error))
            task.return_value(True)
            return True
        loop._runs.add(run)
        if inspect.iscoroutine(awaitable):
            # A task cancelled before its first step (the loop closing at
            # exit) never awaits the coroutine: close it, silently.
            run.asyncio_task.add_done_callback(lambda unused: _close_unstarted(awaitable))
        started.append((loop, run.asyncio_task, private))
        return True

    try:
        _invoke(runner, _raw_run_sync_full, function, cancellable, timeout,
                _call_name(awaitable))
    except BaseException:
        # The call ended early (timeout, cancellable, Ctrl-C, shutdown;
        # the core does not return before function() has): cancel the
        # asyncio task, which sees CancelledError on the runner thread.
        # Ended before the runner took it (an early timeout, say): close
        # the coroutine, which would otherwise never be awaited.
        if not started:
            if inspect.iscoroutine(awaitable):
                awaitable.close()
        elif started[0][2]:
            started[0][0]._finish()     # a nested run, here on the runner thread
        else:
            loop, asyncio_task, private = started[0]
            try:
                loop.call_soon_threadsafe(asyncio_task.cancel)
            except RuntimeError:
                pass    # the loop is closed: the task is over
        raise
    if started and started[0][2]:
        # A nested run's own loop, which no one else uses: closed, with
        # what its coroutine left running (it would leak its descriptors
        # and sources; asyncio.run() does the same).
        started[0][0]._finish()
    return _outcome(*outcome.pop())
