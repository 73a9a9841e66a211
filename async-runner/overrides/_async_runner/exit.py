# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shutting runners down from Python and the interpreter's exit: each
runner thread gives back its Python thread state and its Python sources
while Python can still run."""

import atexit
import gc
import os
import threading
import weakref

from gi.repository import GLib

from .common import AsyncRunner, _GLib, _PyGILState_LOCKED, _PyGILState_Release, _closed_error
from .thread import _pinned_contexts, _runner_thread


def _unpin(*unused):
    """Runner thread, in a Python callback: closes the thread's asyncio loop,
    removes its pump's source and gives back the pinned thread state, which
    the end of this callback then destroys. No Python is left to run on
    the thread."""
    here = _runner_thread
    if here.loop is not None:
        loop, here.loop = here.loop, None
        # The run_async() calls in flight raise CLOSED, as the core's
        # calls do; their tasks (a coroutine whose call timed out, too)
        # are cancelled and given a few turns to end: each holds its
        # call's task, which keeps the runner thread until it is freed,
        # and that must happen while Python can still run.
        loop._fail_runs(_closed_error())
        loop._finish()
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


def _unpin_soon(context, runner=None):
    """Has the thread that iterates @context run `_unpin()`, first among
    what is ready (and, given @runner, shut it down from its own thread
    first, which does not wait: the thread then drains and exits once
    back in its loop). Returns the source and an event set once GLib has
    let go of the Python callback: from then on the thread runs no Python
    of the override's (GLib releases a source's callback after
    dispatching it, on the dispatching thread, which enters Python to do
    so)."""
    released = threading.Event()

    def unpin(*unused):
        if runner is not None:
            AsyncRunner.Runner.shutdown(runner)
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


# How long a shutdown that must not wait (at exit, or with Ctrl-C on its
# way) gives a runner thread to come back to its loop from what it runs:
# the C library's grace for operations, DRAIN_GRACE_US.
_COME_BACK_SECONDS = 0.1

# The runners shut down from Python: nothing of Python's is attached to
# their contexts again (their threads may live on, past the interpreter).
_shut_down_runners = weakref.WeakSet()

# The runners whose threads did not come back in time (see _detach()).
_detached_runners = weakref.WeakSet()

try:
    import ctypes
    _Py_IncRef = ctypes.pythonapi.Py_IncRef
    _Py_IncRef.restype = None
    _Py_IncRef.argtypes = [ctypes.py_object]
except (ImportError, AttributeError):
    _Py_IncRef = None
_kept = []      # without ctypes: kept until the module goes


def _detach(runner, context):
    """Leaves @runner to its busy thread, which shuts it down itself once
    back in its loop (the source of _unpin_soon() stays attached), as the
    C library leaves a thread to an operation that outlived the grace.
    Its wrapper is kept for the life of the process: dropping it would
    dispose of the runner, which waits for the thread."""
    _detached_runners.add(runner)
    if _Py_IncRef is not None:
        _Py_IncRef(runner)
    else:
        _kept.append(runner)
    while context in _pinned_contexts:
        _pinned_contexts.remove(context)


def _shutdown_in_c(runner, done):
    # A thread of its own: the C shutdown waits for a busy runner thread.
    AsyncRunner.Runner.shutdown(runner)
    done.set()


def _shutdown(runner, wait=True):
    """Shuts @runner down from Python (any thread): its thread gives back
    its Python thread state and its Python sources, then drains.

    A function running on the runner thread holds the C shutdown up until
    it returns. So the thread is first asked to shut the runner down
    itself (a source on its context); with @wait, the C shutdown waits
    for it on a thread of its own, while this thread waits in Python,
    where Ctrl-C ends the wait at once. Without @wait (at exit, or with
    `KeyboardInterrupt` on its way), the thread gets _COME_BACK_SECONDS.
    A thread that is not back by then, or when Ctrl-C comes, is detached
    (see _detach()).

    Once only: the thread of a runner shut down before may live on for an
    operation that outlived the grace, and end (destroying what is left
    on its context, a Python callback included) at any time, during the
    interpreter's finalization too: Python entered then aborts the process
    ("gilstate_tss_set: failed to set current tstate" on Python 3.14). So
    no Python source is attached to it again, and none is left behind."""
    if runner in _shut_down_runners:
        if runner not in _detached_runners:
            AsyncRunner.Runner.shutdown(runner)
        return
    _shut_down_runners.add(runner)
    try:
        context = runner.get_context()
    except Exception:
        context = None
    if context is None or context not in _pinned_contexts:
        # No Python of the override's on its thread (none ran there, or
        # it gave it back): nothing to give back, no function of ours to
        # wait for.
        AsyncRunner.Runner.shutdown(runner)
        return
    source, released = _unpin_soon(context, runner)
    if AsyncRunner.Runner.is_runner_thread(runner):
        # From a function on the runner thread: the C shutdown does not
        # wait, and the thread runs the source as it drains, once back.
        AsyncRunner.Runner.shutdown(runner)
        while context in _pinned_contexts:
            _pinned_contexts.remove(context)
        return
    try:
        if not released.wait(_COME_BACK_SECONDS):
            if not wait:
                _detach(runner, context)
                return
            # Busy, or gone (shut down from C): the C shutdown says which.
            done = threading.Event()
            threading.Thread(target=_shutdown_in_c, args=(runner, done),
                             name='AsyncRunner shutdown', daemon=True).start()
            done.wait()
    except BaseException:
        # Ctrl-C (or another signal handler's exception) while waiting.
        _detach(runner, context)
        raise
    # The thread is back, or gone: this returns once it has drained.
    AsyncRunner.Runner.shutdown(runner)
    # If the thread was gone, the source goes here, its callback released
    # on this thread; if the runner thread is dispatching it right now,
    # it releases the callback at once.
    source.destroy()
    if not context.is_owner():
        released.wait(_COME_BACK_SECONDS)
    # Whether or not the thread gave back its thread state: the exit must
    # not send it Python again.
    while context in _pinned_contexts:
        _pinned_contexts.remove(context)


# The runners made from Python, which the interpreter's exit stops.
_scoped_runners = weakref.WeakSet()


# How long the interpreter's exit waits for a runner thread that lives on
# (the default runner's) to leave Python.
_EXIT_UNPIN_SECONDS = _COME_BACK_SECONDS

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
        _shutdown(runner, wait=False)
    for context in list(_pinned_contexts):
        # Waits until the callback is released, not only run: the thread
        # enters Python once more to release it. A thread busy past this
        # is left to it: the exit does not wait for a function that may
        # never end.
        source, released = _unpin_soon(context)
        del source
        if not released.wait(_EXIT_UNPIN_SECONDS):
            _exit_report.append(context)
    # Tasks of calls that ended early, still held by Python cycles, keep
    # their stopped runners' threads: free them while Python can still
    # run what freeing them runs.
    gc.collect()


atexit.register(_shut_down_at_exit)


def _after_fork_in_child():
    # The runner threads are the parent's: the child's exit has nothing of
    # theirs to wait for (the runners know they are forked).
    del _pinned_contexts[:]
    _scoped_runners.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)

