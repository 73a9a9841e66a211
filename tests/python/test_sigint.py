# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ctrl-C (issue 5, point 5): SIGINT during a blocking call in the main
thread cancels the operation and raises KeyboardInterrupt within half a
second. Each case runs in a Python process of its own, which sends itself
SIGINT from a timer thread while its main thread is blocked in a call that
nothing else would end."""

import json
import signal
import sys
import textwrap

from gi.repository import Gio

import pytest

from conftest import run_script

# The scripts start as from a terminal, with SIGINT at its default, so that
# Python and PyGObject install their Ctrl-C handlers. A process started with
# SIGINT ignored (a background job of a shell without job control, as CI
# may be) passes that on to the processes it starts; a handler does not.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The liveness bound of issue 5: from the signal to KeyboardInterrupt.
BOUND = 0.5

# Shared by the scripts: an operation that never completes unless released,
# and a thread that sends SIGINT once it has started.
PRELUDE = '''
import json, os, signal, threading, time
from gi.repository import GObject

class Held:
    def __init__(self):
        self.started = threading.Event()
        self.task = None
        self.cancellable = None
    def start_async(self, cancellable, callback):
        # Cancelled, it completes, as a Gio operation does.
        self.task = Gio.Task.new(None, cancellable, callback)
        self.cancellable = cancellable
        GObject.Object.connect(cancellable, 'cancelled',
                               lambda c: self.task.return_error_if_cancelled())
        self.started.set()
    def start_finish(self, result):
        return result.propagate_value().value

sent = []

def interrupt_when(event, in_call=True):
    def send():
        assert event.wait(30)
        # The handshake, no sleep: the operation has started (event), so
        # the main thread is inside its call (in_call), whose SIGINT
        # handler is in place.
        if in_call and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            raise AssertionError('the call does not watch SIGINT')
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)
    threading.Thread(target=send, daemon=True).start()

def report(**values):
    print(json.dumps(values))
'''


def run(body):
    proc = run_script(PRELUDE + textwrap.dedent(body))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_ctrl_c_during_call_raises_keyboard_interrupt():
    result = run('''
        op = Held()
        interrupt_when(op.started)
        try:
            AsyncRunner.call(op.start_async)
            outcome = 'returned'
        except KeyboardInterrupt as e:
            outcome = 'KeyboardInterrupt'
            elapsed = time.monotonic() - sent[0]
            context = repr(e.__context__)
        report(outcome=outcome, elapsed=elapsed, context=context,
               op_cancelled=op.cancellable.is_cancelled(),
               handler_restored=signal.getsignal(signal.SIGINT) is signal.default_int_handler,
               wakeup_fd=signal.set_wakeup_fd(-1),
               after=AsyncRunner.run(lambda: 'still works'))
    ''')

    assert result['outcome'] == 'KeyboardInterrupt'
    assert result['elapsed'] < BOUND
    assert result['context'] == 'None'
    assert result['op_cancelled']
    assert result['handler_restored']
    assert result['wakeup_fd'] == -1
    assert result['after'] == 'still works'


def test_ctrl_c_during_run_raises_keyboard_interrupt():
    result = run('''
        entered = threading.Event()
        leave = threading.Event()

        def blocking():
            entered.set()
            assert leave.wait(30)
            return 'finished'

        runner = AsyncRunner.Runner()
        interrupt_when(entered)
        try:
            runner.run(blocking)
            outcome = 'returned'
        except KeyboardInterrupt:
            outcome = 'KeyboardInterrupt'
            elapsed = time.monotonic() - sent[0]
        leave.set()
        # The function ran on to its end; the runner serves the next call.
        after = runner.run(lambda: 'next')
        runner.shutdown()
        report(outcome=outcome, elapsed=elapsed, after=after)
    ''')

    assert result['outcome'] == 'KeyboardInterrupt'
    assert result['elapsed'] < BOUND
    assert result['after'] == 'next'


def test_ctrl_c_with_a_timeout_and_a_cancellable():
    result = run('''
        op = Held()
        cancellable = Gio.Cancellable()
        interrupt_when(op.started)
        try:
            AsyncRunner.call(op.start_async, cancellable=cancellable, timeout=60)
            outcome = 'returned'
        except KeyboardInterrupt:
            outcome = 'KeyboardInterrupt'
            elapsed = time.monotonic() - sent[0]
        signal_id = GObject.signal_lookup('cancelled', Gio.Cancellable)
        report(outcome=outcome, elapsed=elapsed,
               callers_cancellable_cancelled=cancellable.is_cancelled(),
               handlers_left=GObject.signal_has_handler_pending(cancellable, signal_id, 0, False))
    ''')

    assert result['outcome'] == 'KeyboardInterrupt'
    assert result['elapsed'] < BOUND
    assert not result['callers_cancellable_cancelled']
    assert not result['handlers_left']


def test_custom_sigint_handler_is_called_once_and_previous_wakeup_fd_kept():
    # A handler that does not raise: the call ends CANCELLED; the signal is
    # handed on to the wakeup fd that was set before the call.
    result = run('''
        import socket
        calls = []
        signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
        theirs, ours = socket.socketpair()
        theirs.setblocking(False)
        ours.setblocking(False)
        signal.set_wakeup_fd(ours.fileno(), warn_on_full_buffer=False)

        op = Held()
        interrupt_when(op.started)
        try:
            AsyncRunner.call(op.start_async)
            outcome = 'returned'
        except GLib.Error as e:
            outcome = 'cancelled' if e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED) else str(e)
            elapsed = time.monotonic() - sent[0]
        report(outcome=outcome, elapsed=elapsed, calls=calls,
               wakeup_fd_is_theirs=signal.set_wakeup_fd(-1) == ours.fileno(),
               forwarded=list(theirs.recv(16)))
    ''')

    assert result['outcome'] == 'cancelled'
    assert result['elapsed'] < BOUND
    assert result['calls'] == [2]
    assert result['wakeup_fd_is_theirs']
    assert result['forwarded'] == [2]


def test_ctrl_c_does_not_touch_calls_in_other_threads():
    result = run('''
        op = Held()
        results = []

        def worker():
            results.append(AsyncRunner.call(op.start_async))

        thread = threading.Thread(target=worker)
        thread.start()
        waiting = threading.Event()
        try:
            # The worker's call has started; the main thread is in no call.
            interrupt_when(op.started, in_call=False)
            # Short waits: the kernel may hand the signal to another thread
            # (the worker's, the runner's), and then nothing wakes a long
            # wait of this one; Python runs the handler between two waits.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                waiting.wait(0.05)
            outcome = 'returned'
        except KeyboardInterrupt:
            outcome = 'KeyboardInterrupt'
        cancelled = op.cancellable.is_cancelled()
        op.task.return_value('worker done')
        thread.join(30)
        report(outcome=outcome, worker_cancelled=cancelled, results=results)
    ''')

    assert result['outcome'] == 'KeyboardInterrupt'
    assert not result['worker_cancelled']
    assert result['results'] == ['worker done']


@pytest.mark.skipif(sys.version_info < (3, 11),
                    reason='asyncio.run() cancels its main task on Ctrl-C from Python 3.11')
def test_ctrl_c_in_asyncio_run_interrupts_the_program():
    # asyncio.run() installs its own SIGINT handler, which cancels the main
    # task instead of raising: the call ends CANCELLED, and asyncio then
    # turns the cancelled task into KeyboardInterrupt.
    result = run('''
        import asyncio
        op = Held()
        seen = []

        async def main():
            interrupt_when(op.started)
            try:
                AsyncRunner.call(op.start_async)
            except GLib.Error as e:
                seen.append(e.code)
                seen.append(time.monotonic() - sent[0])
            await asyncio.sleep(30)

        try:
            asyncio.run(main())
            outcome = 'returned'
        except KeyboardInterrupt:
            outcome = 'KeyboardInterrupt'
        report(outcome=outcome, seen=seen,
               handler_restored=signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    ''')

    assert result['outcome'] == 'KeyboardInterrupt'
    code, elapsed = result['seen']
    assert code == int(Gio.IOErrorEnum.CANCELLED)
    assert elapsed < BOUND
    assert result['handler_restored']


def test_ctrl_c_in_a_glib_main_loop_callback():
    # GLib.MainLoop.run() installs a SIGINT handler that quits the loop: the
    # call in the callback ends CANCELLED, the callback goes on, and run()
    # then raises KeyboardInterrupt (as the README says).
    result = run('''
        op = Held()
        loop = GLib.MainLoop()
        seen = []

        def callback():
            try:
                AsyncRunner.call(op.start_async)
                seen.append('returned')
            except GLib.Error as e:
                seen.append(e.code)
            seen.append('callback went on')
            return GLib.SOURCE_REMOVE

        GLib.idle_add(callback)
        interrupt_when(op.started)
        try:
            loop.run()
            outcome = 'returned'
        except KeyboardInterrupt:
            outcome = 'KeyboardInterrupt'
        report(outcome=outcome, seen=seen)
    ''')

    assert result['outcome'] == 'KeyboardInterrupt'
    assert result['seen'] == [int(Gio.IOErrorEnum.CANCELLED), 'callback went on']


def test_ctrl_c_during_run_async_cancels_the_task():
    result = run('''
        import asyncio
        entered = threading.Event()
        cleaned = threading.Event()

        async def main():
            try:
                entered.set()
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                cleaned.set()
                raise

        interrupt_when(entered)
        try:
            AsyncRunner.run_async(main())
            outcome = 'returned'
        except KeyboardInterrupt:
            outcome = 'KeyboardInterrupt'
            elapsed = time.monotonic() - sent[0]
        report(outcome=outcome, elapsed=elapsed, cleaned=cleaned.wait(10),
               after=AsyncRunner.run_async(asyncio.sleep(0, 'next')))
    ''')

    assert result['outcome'] == 'KeyboardInterrupt'
    assert result['elapsed'] < BOUND
    assert result['cleaned']
    assert result['after'] == 'next'
