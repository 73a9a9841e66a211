# SPDX-License-Identifier: LGPL-2.1-or-later
"""iterate(): a synchronous iterator over an async generator that runs, as
`async for` would run it, in one asyncio task on the runner's loop.

NOTES. The task (the driver) pulls one item per step that the calling
thread asks for, and waits between steps, the generator suspended at its
`yield`. One task means one context (a contextvars value set in the
generator survives its yields) and one cancel scope (an asyncio.timeout()
around several yields fires). Each step is a call of the core, as a
run_async() is: a timeout, the cancellable, Ctrl-C or the runner's
shutdown end it, and a step in flight is a `_Run` of the loop, so that
what escapes a turn (KeyboardInterrupt, SystemExit) or the shutdown
(CLOSED) reaches the caller.

The driver, when cancelled while it waits between two steps (the
generator's own timeout, or the loop closing), throws the CancelledError
into the generator where it is suspended, at its yield.
"""

import asyncio
import contextvars
import sys

from .common import _call_name, _closed_error, _outcome, _raw_run_sync_full
from .loop import _Run, _create_task, _loop_of_thread
from .signals import _Call, _invoke


class _Iteration:
    """One iterate(). Fields: set once by the calling thread, or runner
    thread only, as marked."""

    def __init__(self, runner, iterator, cancellable, timeout):
        # Calling thread, set once.
        self.runner = runner
        self.iterator = iterator
        self.cancellable = cancellable
        self.timeout = timeout
        self.context = contextvars.copy_context()
        self.name = _call_name(iterator)
        self.abandoned = False      # a step failed: the driver was cancelled
        self.failed = False         # a step's outcome was an error: nothing to close
        # Runner thread only (the calling thread reads them once the driver
        # is made, which the core's return of the first step publishes).
        self.loop = None
        self.private = False        # a loop of the iteration's own (nested)
        self.driver = None          # the asyncio task
        self.over = False           # the driver has ended
        self.run = None             # the step in flight
        self.wake = None            # the future the driver waits on between steps
        self.closing = False        # the step in flight asks the driver to close
        self.early = None           # an outcome that came between two steps

    # --- calling thread ------------------------------------------------------------

    def items(self):
        """The synchronous generator that iterate() returns."""
        try:
            while True:
                succeeded, value = self._step(False)
                if not succeeded:
                    # The generator raised (it is over), or the loop ended
                    # the step (CLOSED, KeyboardInterrupt: the driver is
                    # cancelled): no close step, whose outcome would hide
                    # this one.
                    self.failed = True
                    if isinstance(value, StopAsyncIteration):
                        return
                yield _outcome(succeeded, value)
        finally:
            self._close()

    def _step(self, closing):
        """Asks the driver for the next item (or, @closing, to close the
        generator) and waits for it: (succeeded, value)."""
        outcome = []

        def function(runner, task, *unused):
            self._start_step(runner, task, outcome, closing)
            return True

        try:
            _invoke(self.runner, _raw_run_sync_full, function, self.cancellable,
                    self.timeout, self.name)
        except BaseException:
            self._abandon()
            raise
        return outcome.pop()

    def _abandon(self):
        """The step ended early (timeout, Ctrl-C, cancellable, shutdown):
        cancels the driver, which closes the generator, without waiting."""
        self.abandoned = True
        if self.driver is None:
            return
        if self.private:
            self.loop._finish()     # here on the runner thread
            return
        try:
            self.loop.call_soon_threadsafe(self.driver.cancel)
        except RuntimeError:
            pass    # the loop is closed: the driver is over

    def _close(self):
        """The loop over the items has ended: the generator was exhausted,
        or failed, or a step ended early (the driver is being cancelled),
        or the loop stopped early (GeneratorExit): then the generator is
        closed, as `async for` would leave it to aclose()."""
        if not (self.over or self.abandoned or self.failed or self.driver is None
                or sys.is_finalizing()):
            succeeded, value = self._step(True)
            if succeeded or not isinstance(value, StopAsyncIteration):
                _outcome(succeeded, value)
        if self.private and self.loop is not None:
            self.loop._finish()

    # --- runner thread -------------------------------------------------------------

    def _start_step(self, runner, task, outcome, closing):
        """The core's function for a step: hands it to the driver."""
        if self.early is not None or self.over:
            # Came between two steps, or the generator is over (closed at
            # the runner's shutdown, say).
            early, self.early = self.early, None
            if early is not None and isinstance(early[1], asyncio.CancelledError):
                # Only the loop's close cancels the driver between two
                # steps that are still asked for (an abandoned iteration
                # asks no more): the runner is shutting down.
                early = (False, _closed_error())
            outcome.append(early or (False, StopAsyncIteration()))
            task.return_value(True)
            return
        if self.loop is None:
            self.loop, self.private = _loop_of_thread(runner)
        run = self.run = _Run(self.loop, task, outcome)
        self.closing = closing
        if self.driver is None:
            self.driver = _create_task(self.loop, self._drive(), self.context)
        run.asyncio_task = self.driver
        self.loop._runs.add(run)
        if self.wake is not None and not self.wake.done():
            self.wake.set_result(None)

    def _deliver(self, succeeded, value):
        run, self.run = self.run, None
        if run is not None:
            run.end(succeeded, value)
        elif self.early is None:
            self.early = (succeeded, value)

    async def _drive(self):
        iterator = self.iterator
        throw = None
        finished = False
        try:
            while True:
                if self.run is None:
                    self.wake = self.loop.create_future()
                    try:
                        await self.wake
                    except asyncio.CancelledError as error:
                        throw = error   # to the generator, at its yield
                    finally:
                        self.wake = None
                if self.closing and throw is None:
                    break
                try:
                    if throw is not None:
                        error, throw = throw, None
                        athrow = getattr(iterator, 'athrow', None)
                        if athrow is None:
                            raise error
                        item = await athrow(error)
                    else:
                        item = await iterator.__anext__()
                except BaseException as error:
                    finished = True
                    self._deliver(False, error)
                    return
                self._deliver(True, item)
        finally:
            self.over = True
            if not finished:
                aclose = getattr(iterator, 'aclose', None)
                try:
                    if aclose is not None:
                        await aclose()
                except BaseException as error:
                    self._deliver(False, error)
                else:
                    self._deliver(True, None)


def _iterate(runner, async_iterable, cancellable, timeout):
    """`Runner.iterate()`."""
    if getattr(type(async_iterable), '__aiter__', None) is None:
        raise TypeError('iterate() takes an async iterable (an async generator or async '
                        'iterator), not %r' % (async_iterable,))
    if timeout is not None:
        _Call.check_timeout(timeout)
    iteration = _Iteration(runner, async_iterable.__aiter__(), cancellable, timeout)
    return iteration.items()
