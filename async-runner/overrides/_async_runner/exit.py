# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shutting runners down from Python and the interpreter's exit: each
runner thread gives back its Python thread state and its Python sources
while Python can still run."""

import atexit
import gc
import threading
import weakref

from gi.repository import GLib, Gio

from .common import AsyncRunner, _GLib, _PyGILState_Ensure, _PyGILState_LOCKED, _PyGILState_Release
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
        loop._fail_runs(GLib.Error.new_literal(Gio.io_error_quark(), 'The AsyncRunner was shut down',
                                               Gio.IOErrorEnum.CLOSED))
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

