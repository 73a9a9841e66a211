# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the override keeps on each runner thread: its pinned Python thread
state, and the pump that runs Python functions on the runner's context."""

import collections
import threading

from gi.repository import GLib

from .common import _GLib, _MAX_TIMEOUT_MS, _PyGILState_Ensure


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



# The contexts of the runner threads that keep a pinned thread state (any
# thread, under the GIL).
_pinned_contexts = []
