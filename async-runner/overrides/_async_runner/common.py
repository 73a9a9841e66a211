# SPDX-License-Identifier: LGPL-2.1-or-later
"""What every module of the override shares: the raw GI modules, the raw
functions on the per-call path, constants, and the interpreter checks."""

import functools
import importlib
import os
import signal

from gi.module import get_introspection_module
from gi.repository import GLib, Gio

AsyncRunner = get_introspection_module('AsyncRunner')

# The raw functions on the per-call path, looked up once.
_raw_run_sync_full = AsyncRunner.Runner.run_sync_full
_raw_call_sync_full = AsyncRunner.Runner.call_sync_full


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


def _outcome(succeeded, value):
    """Returns @value, or raises it if it is what a call raised (without
    keeping it in a frame: a traceback cycle)."""
    if succeeded:
        return value
    try:
        raise value
    finally:
        del value


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



class _TimedOut(GLib.Error, TimeoutError):
    """A call's time limit ran out: `GLib.Error` ``G_IO_ERROR_TIMED_OUT``
    that ``except TimeoutError:`` catches too."""

    def __new__(cls, *args, **kwargs):
        # Not OSError's: it would read the GLib.Error's arguments as
        # (errno, strerror, filename).
        return TimeoutError.__new__(cls)


def _timed_out(error=None):
    """The `_TimedOut` to raise for the core's TIMED_OUT @error (or for a
    per-call timeout), or @error itself if it is one already."""
    if isinstance(error, _TimedOut):
        return error
    message = 'Operation timed out' if error is None else error.message
    return _TimedOut(message, GLib.quark_to_string(Gio.io_error_quark()),
                     Gio.IOErrorEnum.TIMED_OUT)


def _closed_error():
    """The `GLib.Error` CLOSED that a call ended by its runner's shutdown
    raises, as the core's calls do."""
    return GLib.Error.new_literal(Gio.io_error_quark(), 'The AsyncRunner was shut down',
                                  Gio.IOErrorEnum.CLOSED)


def _is_timed_out(error):
    return error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT)
