# SPDX-License-Identifier: LGPL-2.1-or-later
"""Signals, exit and fork around a call (issue 20, points 11-13).

Each case runs in a Python process of its own (run_script(), whose
watchdog ends it if it hangs). Handshakes are explicit: a function on the
runner thread says when it runs, and a function that must not hold
anything up waits on an event that only the end of the test sets (or its
own limit, FUNCTION_LIMIT, which the old code then waits out: that is how
the old code fails, never by a timing assertion)."""

import json
import textwrap

from gi.repository import GLib

import pytest

from conftest import run_script

# How long a function that "does not end" runs before it gives up, in the
# scripts: far beyond anything a fixed override waits.
FUNCTION_LIMIT = 20

PRELUDE = '''
import json, os, signal, sys, threading, time
from gi.repository import GObject

FUNCTION_LIMIT = %d

class Busy:
    """A function for run() that runs until released (or its limit)."""
    def __init__(self, limit=FUNCTION_LIMIT):
        self.limit = limit
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()
    def __call__(self):
        self.started.set()
        self.release.wait(self.limit)
        self.finished.set()
        # Not print(): this thread may still run while the interpreter
        # finalizes, and a daemon thread that takes stdout's lock then
        # aborts the process (CPython's _enter_buffered_busy).
        os.write(1, b'busy finished\\n')
        return 'finished'

class Held:
    """An operation that completes when released, or cancelled."""
    def __init__(self):
        self.started = threading.Event()
        self.task = None
    def start_async(self, cancellable, callback):
        self.task = Gio.Task.new(None, cancellable, callback)
        GObject.Object.connect(cancellable, 'cancelled',
                               lambda c: self.task.return_error_if_cancelled())
        self.started.set()
    def start_finish(self, result):
        return result.propagate_value().value
    def release(self, value):
        self.task.return_value(value)

def in_thread(fn, *args):
    thread = threading.Thread(target=fn, args=args, daemon=True)
    thread.start()
    return thread

def report(**values):
    print(json.dumps(values), flush=True)

def report_interrupted(fn, busy):
    """Runs fn(); reports whether Ctrl-C ended it and whether @busy had
    finished by then, then releases @busy."""
    try:
        fn()
        outcome = 'returned'
    except KeyboardInterrupt:
        outcome = 'KeyboardInterrupt'
    report(outcome=outcome, busy_finished=busy.finished.is_set())
    busy.release.set()
    # Not at exit: a thread that prints while the interpreter finalizes
    # aborts it (a daemon thread would too).
    busy.finished.wait(30)
''' % FUNCTION_LIMIT


def run(body, **kwargs):
    proc = run_script(PRELUDE + textwrap.dedent(body), **kwargs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith('{')]
    return json.loads(lines[-1]), proc


# --- Point 11: Ctrl-C and exit are never held up by a running function -------

# Ctrl-C in `with Runner():` while run()'s function is busy: the
# KeyboardInterrupt leaves the `with` at once; the function runs on, the
# runner detached from the exit of the `with`.
def test_ctrl_c_leaves_a_with_block_while_its_function_runs_on():
    result, proc = run('''
        busy = Busy()
        in_thread(lambda: busy.started.wait(30) and os.kill(os.getpid(), signal.SIGINT))
        def with_block():
            with AsyncRunner.Runner() as runner:
                runner.run(busy)
        report_interrupted(with_block, busy)
    ''')
    assert result == {'outcome': 'KeyboardInterrupt', 'busy_finished': False}


# Ctrl-C while shutdown() waits for a function that another thread's call
# runs: shutdown() raises KeyboardInterrupt at once. The function sends
# the signal once the shutdown has asked its thread for something (a
# source on the runner's context), that is, once the main thread is in
# shutdown().
def test_ctrl_c_ends_a_shutdown_that_waits_for_a_function():
    result, proc = run('''
        class Interrupting(Busy):
            def __call__(self):
                context = GLib.MainContext.get_thread_default()
                self.started.set()
                deadline = time.monotonic() + 30
                while not context.pending() and time.monotonic() < deadline:
                    self.release.wait(0.005)
                os.kill(os.getpid(), signal.SIGINT)
                return super().__call__()

        busy = Interrupting()
        runner = AsyncRunner.Runner()
        in_thread(runner.run, busy)
        assert busy.started.wait(30)
        report_interrupted(runner.shutdown, busy)
    ''')
    assert result == {'outcome': 'KeyboardInterrupt', 'busy_finished': False}


# The exit does not wait for a function that does not end: a private
# runner that a daemon thread keeps busy (the old exit waited for it), and
# the default runner (the old exit waited 5 s: the function's limit is 3 s).
def test_exit_does_not_wait_for_a_busy_function():
    for make_runner, limit in (('AsyncRunner.Runner()', 'FUNCTION_LIMIT'),
                               ('AsyncRunner.Runner.get_default()', '3')):
        result, proc = run('''
            busy = Busy(%s)
            runner = %s
            in_thread(runner.run, busy)
            assert busy.started.wait(30)
            report(exiting=True)
        ''' % (limit, make_runner))
        assert result == {'exiting': True}
        assert 'busy finished' not in proc.stdout, make_runner
        assert proc.stderr == '', proc.stderr


# --- Point 12: other Python signal handlers run during a call ------------------

# A SIGTERM handler runs at once while the main thread waits in call() or
# run(): the operation (the function) is released only once it has run.
def test_a_sigterm_handler_runs_during_a_call():
    result, proc = run('''
        handled = threading.Event()
        signal.signal(signal.SIGTERM, lambda signum, frame: handled.set())
        ran = {}

        def terminate_then(what, started, release):
            assert started.wait(30)
            os.kill(os.getpid(), signal.SIGTERM)
            ran[what] = handled.wait(FUNCTION_LIMIT)
            handled.clear()
            release()

        op = Held()
        in_thread(terminate_then, 'call', op.started, lambda: op.release('released'))
        value = AsyncRunner.call(op.start_async)
        busy = Busy()
        in_thread(terminate_then, 'run', busy.started, busy.release.set)
        report(call=value, run=AsyncRunner.run(busy), handler_ran_during=ran)
    ''')
    assert result == {'call': 'released', 'run': 'finished',
                      'handler_ran_during': {'call': True, 'run': True}}


# A handler that raises ends the call (its operation cancelled) and its
# exception is raised once the call has ended.
def test_a_signal_handler_that_raises_ends_the_call():
    result, proc = run('''
        def terminate(signum, frame):
            sys.exit(7)
        signal.signal(signal.SIGTERM, terminate)
        op = Held()
        in_thread(lambda: op.started.wait(30) and os.kill(os.getpid(), signal.SIGTERM))
        try:
            AsyncRunner.call(op.start_async)
            outcome = 'returned'
        except SystemExit as e:
            outcome = 'SystemExit %d' % e.code
        report(outcome=outcome, cancelled=op.task.get_cancellable().is_cancelled(),
               after=AsyncRunner.run(lambda: 'still works'))
    ''')
    assert result == {'outcome': 'SystemExit 7', 'cancelled': True, 'after': 'still works'}


# shutdown() from a function on the runner thread itself returns at once
# (it cannot wait for its own thread), and the runner is shut down.
def test_shutdown_from_the_runner_thread_returns(runner):
    runner.run(lambda: None)
    runner.run(runner.shutdown)
    with pytest.raises(GLib.Error):
        runner.run(lambda: None)


# --- Point 13: fork ----------------------------------------------------------

# A child forked (by another thread) while the main thread waits in a call
# has Python's SIGINT handler and no wakeup fd of the call's; SIGINT in
# the child interrupts the child, and leaves the parent's call alone.
def test_a_child_forked_during_a_call_has_its_own_ctrl_c():
    result, proc = run('''
        op = Held()
        child = {}
        def fork_then_release():
            assert op.started.wait(30)
            pid = os.fork()
            if pid == 0:
                code = 10
                try:
                    handler = signal.getsignal(signal.SIGINT)
                    fd = signal.set_wakeup_fd(-1)
                    code = 0 if handler is signal.default_int_handler else 11
                    code = code or (0 if fd == -1 else 12)
                    try:
                        os.kill(os.getpid(), signal.SIGINT)
                        for i in range(1000):
                            pass
                        code = code or 13     # not interrupted
                    except KeyboardInterrupt:
                        pass
                finally:
                    os._exit(code)
            child['status'] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            op.release('parent done')
        in_thread(fork_then_release)
        try:
            value = AsyncRunner.call(op.start_async)
        except KeyboardInterrupt:
            value = 'KeyboardInterrupt'
        report(value=value, child=child.get('status'))
    ''')
    assert result == {'value': 'parent done', 'child': 0}


# A child forked from a process that used the default runner, and that
# never uses a runner itself, exits at once: its exit hooks wait for no
# runner thread (they are the parent's). The child runs the exit hooks
# itself and reports how long they took (it leaves by os._exit(): the
# faulthandler watchdog of run_script() would hang a forked child's
# finalization).
def test_a_forked_child_that_uses_no_runner_exits_at_once():
    result, proc = run('''
        import atexit
        AsyncRunner.run(lambda: None)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            start = time.monotonic()
            atexit._run_exitfuncs()
            os.write(write_fd, b'%f\\n' % (time.monotonic() - start))
            os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd) as f:
            exit_seconds = float(f.readline())
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        report(status=status, exit_seconds=exit_seconds)
    ''')
    assert result['status'] == 0
    # The old exit hooks waited 5 s for the parent's runner threads.
    assert result['exit_seconds'] < 2.5
