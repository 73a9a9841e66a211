# SPDX-License-Identifier: LGPL-2.1-or-later
"""Loads AsyncRunner from the build tree and its override from the source tree.

meson sets GI_TYPELIB_PATH and LD_LIBRARY_PATH to the build tree and
G_TEST_SRCDIR to tests/ in the source tree. As installed tests
(ASYNC_RUNNER_INSTALLED_TESTS=1), the installed library and override.
"""

import faulthandler
import os
import subprocess
import sys
import textwrap
import threading

import gi

gi.require_version('AsyncRunner', '1')
gi.require_version('Gio', '2.0')

import gi.overrides  # noqa: E402

SRCDIR = os.environ.get('G_TEST_SRCDIR',
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
OVERRIDES_DIR = os.path.abspath(os.path.join(SRCDIR, '..', 'async-runner', 'overrides'))

if os.environ.get('ASYNC_RUNNER_INSTALLED_TESTS'):
    # Installed tests (-Dinstalled_tests=true): the installed override,
    # found where PyGObject finds it.
    OVERRIDES_DIR = next((d for d in gi.overrides.__path__
                          if os.path.exists(os.path.join(d, 'AsyncRunner.py'))), None)
    if OVERRIDES_DIR is None:
        raise SystemExit('the installed AsyncRunner override is not on gi.overrides.__path__')

# First, so that an installed copy does not shadow the one under test.
gi.overrides.__path__.insert(0, OVERRIDES_DIR)

from gi.repository import AsyncRunner, Gio, GObject  # noqa: E402

import pytest  # noqa: E402

# A test that takes longer than this has hung: dump every thread's stack and exit.
WATCHDOG_SECONDS = 60

# How long a test waits for something that should happen at once.
DEADLINE = 10.0


@pytest.fixture(autouse=True)
def watchdog():
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True, file=sys.__stderr__)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def runner():
    """A runner of the test's own, shut down afterwards."""
    r = AsyncRunner.Runner.new()
    yield r
    r.shutdown()


def io_error(error, code):
    """Whether @error is the G_IO_ERROR @code."""
    return error.matches(Gio.io_error_quark(), code)


class Held:
    """A Gio-style asynchronous operation that completes only when told to,
    or when cancelled, as a Gio operation does.

    ``op.start_async(cancellable, callback)`` takes a GTask on the thread
    that calls it (the runner thread); ``op.release(value)`` completes it
    from any thread; cancelling the cancellable completes it with
    ``G_IO_ERROR_CANCELLED``. ``op.start_finish(result)`` returns the
    value. Its task always returns (GLib >= 2.76 warns about one that
    does not).
    """

    def __init__(self):
        self.started = threading.Event()
        self.lock = threading.Lock()
        self.task = None
        self.returned = False
        self.cancellable = None
        self.thread = None

    def start_async(self, cancellable, callback):
        self.task = Gio.Task.new(None, cancellable, callback)
        self.cancellable = cancellable
        self.thread = threading.get_ident()
        if cancellable is not None:
            GObject.Object.connect(cancellable, 'cancelled', self._on_cancelled)
            if cancellable.is_cancelled():
                self._on_cancelled(cancellable)
        self.started.set()

    def _on_cancelled(self, cancellable):
        with self.lock:
            if not self.returned:
                self.returned = True
                self.task.return_error_if_cancelled()

    def start_finish(self, result):
        return result.propagate_value().value

    def wait_started(self):
        assert self.started.wait(DEADLINE), 'the operation never started'

    def release(self, value=True):
        """Completes the operation, unless it was cancelled already."""
        self.wait_started()
        with self.lock:
            if not self.returned:
                self.returned = True
                self.task.return_value(value)


def run_script(body, timeout=60, **kwargs):
    """Runs @body in a fresh Python with AsyncRunner set up as here.

    Returns the CompletedProcess (text output). The script's own watchdog
    ends it if it hangs.
    """
    prelude = textwrap.dedent('''\
        import faulthandler, sys
        faulthandler.enable()
        faulthandler.dump_traceback_later({watchdog}, exit=True)
        import gi
        gi.require_version('AsyncRunner', '1')
        import gi.overrides
        gi.overrides.__path__.insert(0, {overrides!r})
        from gi.repository import AsyncRunner, Gio, GLib
        ''').format(watchdog=timeout - 10, overrides=OVERRIDES_DIR)
    return subprocess.run([sys.executable, '-B', '-c', prelude + textwrap.dedent(body)],
                          capture_output=True, text=True, timeout=timeout, **kwargs)
