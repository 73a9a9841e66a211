# SPDX-License-Identifier: LGPL-2.1-or-later
"""The raw binding (AsyncRunner.Runner.run_sync / call_sync), as Python sees
it through PyGObject, with the override loaded alongside."""

import asyncio
import os
import tempfile
import threading

from gi.repository import AsyncRunner, Gio, GLib

import pytest

from conftest import DEADLINE, Held, io_error, run_script


def start_held(op):
    """A start function for call_sync() that starts @op (a Held)."""
    def start(runner, user_data, cancellable, callback):
        op.start_async(cancellable, callback)
        return True
    return start


# --- run_sync ---------------------------------------------------------------

def test_run_sync_returns_true_and_the_value(runner):
    seen = {}

    def fn(r, task, *user_data):
        seen['runner'] = r
        seen['user_data'] = user_data
        seen['thread'] = threading.get_ident()
        seen['is_runner_thread'] = r.is_runner_thread()
        seen['context'] = GLib.MainContext.get_thread_default()
        task.return_value(42)
        return True

    ok, value = runner.run_sync(fn, None)

    assert (ok, value) == (True, 42)
    assert seen['runner'] is runner
    assert seen['user_data'] == (None,)
    assert seen['thread'] != threading.get_ident()
    assert seen['is_runner_thread']
    assert not runner.is_runner_thread()
    assert seen['context'] == runner.get_context()


def test_run_sync_passes_user_data(runner):
    def fn(r, task, data):
        task.return_value(data * 2)
        return True

    assert runner.run_sync(fn, 'ab') == (True, 'abab')


def test_run_sync_task_completed_later_on_the_runner_context(runner):
    def fn(r, task, *unused):
        def later(*unused):
            task.return_value('later')
            return GLib.SOURCE_REMOVE
        source = GLib.timeout_source_new(10)
        source.set_callback(later)
        source.attach(GLib.MainContext.get_thread_default())
        return True

    assert runner.run_sync(fn, None) == (True, 'later')


@pytest.mark.parametrize('domain, code, message', [
    ('g-io-error-quark', Gio.IOErrorEnum.NOT_FOUND, 'no such thing'),
    ('my-test-domain', 7, 'boom'),
])
def test_run_sync_error_arrives_intact(runner, domain, code, message):
    def fn(r, task, *unused):
        task.return_error(GLib.Error.new_literal(GLib.quark_from_string(domain), message, code))
        return True

    with pytest.raises(GLib.Error) as info:
        runner.run_sync(fn, None)

    assert (info.value.domain, info.value.code, info.value.message) == (domain, code, message)


def test_run_sync_exception_in_func_becomes_gerror(runner):
    def fn(r, task, *unused):
        # PyGObject prints the exception and keeps it (sys.last_exc): its
        # frame would keep the task alive, and the core could not tell it
        # was dropped (GLib >= 2.76 then warns when it is freed unreturned).
        del task
        raise ValueError('raised on the runner thread')

    with pytest.raises(GLib.Error) as info:
        runner.run_sync(fn, None)

    assert io_error(info.value, Gio.IOErrorEnum.FAILED)
    # The runner still works.
    assert runner.run_sync(lambda r, t, *u: t.return_value(1) or True, None) == (True, 1)


def test_run_sync_func_returning_false_fails(runner):
    with pytest.raises(GLib.Error) as info:
        runner.run_sync(lambda r, t, *u: False, None)

    assert io_error(info.value, Gio.IOErrorEnum.FAILED)


# --- call_sync --------------------------------------------------------------

@pytest.fixture
def text_file():
    with tempfile.NamedTemporaryFile(prefix='async-runner-', delete=False) as f:
        f.write(b'hello from a file\n')
    yield Gio.File.new_for_path(f.name)
    os.unlink(f.name)


def test_call_sync_with_a_gio_method(runner, text_file):
    seen = {}

    def start(r, user_data, cancellable, callback):
        seen['args'] = (r, user_data, cancellable)
        seen['is_runner_thread'] = r.is_runner_thread()
        text_file.load_contents_async(cancellable, callback)
        return True

    result = runner.call_sync(start, 'data')
    ok, contents, etag = text_file.load_contents_finish(result)

    assert ok and contents == b'hello from a file\n' and etag
    r, user_data, cancellable = seen['args']
    assert r is runner and user_data == 'data'
    assert isinstance(cancellable, Gio.Cancellable)
    assert seen['is_runner_thread']
    assert isinstance(result, Gio.AsyncResult)


def test_call_sync_operation_error_comes_from_finish(runner):
    missing = Gio.File.new_for_path('/nonexistent/async-runner/file')

    def start(r, user_data, cancellable, callback):
        missing.load_contents_async(cancellable, callback)
        return True

    result = runner.call_sync(start, None)
    with pytest.raises(GLib.Error) as info:
        missing.load_contents_finish(result)

    assert io_error(info.value, Gio.IOErrorEnum.NOT_FOUND)


def test_call_sync_exception_in_start_becomes_gerror(runner):
    def start(r, user_data, cancellable, callback):
        raise RuntimeError('no start')

    with pytest.raises(GLib.Error) as info:
        runner.call_sync(start, None)

    assert io_error(info.value, Gio.IOErrorEnum.FAILED)


# --- cancellation, timeout, shutdown ----------------------------------------

def test_cancel_from_another_thread(runner):
    op = Held()
    cancellable = Gio.Cancellable()

    def cancel_when_started():
        op.wait_started()
        cancellable.cancel()

    canceller = threading.Thread(target=cancel_when_started)
    canceller.start()
    with pytest.raises(GLib.Error) as info:
        runner.call_sync(start_held(op), None, cancellable)
    canceller.join()

    assert io_error(info.value, Gio.IOErrorEnum.CANCELLED)
    assert op.cancellable.is_cancelled()   # the operation's own cancellable
    op.release()                           # already ended: does nothing


def test_already_cancelled_fails_at_once(runner):
    op = Held()
    cancellable = Gio.Cancellable()
    cancellable.cancel()

    with pytest.raises(GLib.Error) as info:
        runner.call_sync(start_held(op), None, cancellable)

    assert io_error(info.value, Gio.IOErrorEnum.CANCELLED)
    assert not op.started.is_set()


def test_timeout_property(runner):
    assert runner.get_timeout() == 0
    assert runner.props.timeout == 0

    runner.props.timeout = 100
    assert runner.get_timeout() == 100
    op = Held()

    with pytest.raises(GLib.Error) as info:
        runner.call_sync(start_held(op), None)

    assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)
    assert op.cancellable.is_cancelled()

    runner.set_timeout(0)
    assert runner.props.timeout == 0


def test_shutdown_ends_calls_in_flight_and_later_ones(runner):
    op = Held()
    outcome = {}

    def caller():
        try:
            runner.call_sync(start_held(op), None)
        except GLib.Error as e:
            outcome['error'] = e

    thread = threading.Thread(target=caller)
    thread.start()
    op.wait_started()
    runner.shutdown()
    thread.join(DEADLINE)

    assert not thread.is_alive()
    assert io_error(outcome['error'], Gio.IOErrorEnum.CLOSED)
    with pytest.raises(GLib.Error) as info:
        runner.run_sync(lambda r, t, *u: t.return_value(1) or True, None)
    assert io_error(info.value, Gio.IOErrorEnum.CLOSED)
    runner.shutdown()   # idempotent


def test_get_default_is_one_object_everywhere():
    default = AsyncRunner.Runner.get_default()
    from_thread = []
    thread = threading.Thread(target=lambda: from_thread.append(AsyncRunner.Runner.get_default()))
    thread.start()
    thread.join(DEADLINE)

    assert default is AsyncRunner.Runner.get_default()
    assert from_thread == [default]
    other = AsyncRunner.Runner.new()
    try:
        assert other is not default
        assert other.get_context() != default.get_context()
    finally:
        other.shutdown()


def test_gil_released_while_waiting(runner):
    # The task is completed by another Python thread that has to run
    # Python code while the caller waits: with the GIL held, it never would.
    kept = []
    kept_ready = threading.Event()

    def fn(r, task, *unused):
        kept.append(task)
        kept_ready.set()
        return True

    def completer():
        assert kept_ready.wait(DEADLINE)
        total = sum(range(10000))
        kept[0].return_value(total)

    thread = threading.Thread(target=completer)
    thread.start()
    assert runner.run_sync(fn, None) == (True, sum(range(10000)))
    thread.join(DEADLINE)


# --- issue 4, point 7 -------------------------------------------------------

def test_four_python_threads_at_once_with_others_running():
    # In a process of its own: see test_func_returns_before_its_caller.
    proc = run_script('''
        import threading
        runner = AsyncRunner.Runner.new()
        stop = threading.Event()
        spins = [0, 0]

        def busy(i):
            while not stop.is_set():
                spins[i] += 1

        def fn(r, task, n):
            task.return_value(n * n)
            return True

        results = {}

        def caller(k):
            results[k] = [runner.run_sync(fn, k * 1000 + i)[1] for i in range(200)]

        busy_threads = [threading.Thread(target=busy, args=(i,)) for i in range(2)]
        callers = [threading.Thread(target=caller, args=(k,)) for k in range(4)]
        for t in busy_threads + callers:
            t.start()
        for t in callers:
            t.join()
        stop.set()
        for t in busy_threads:
            t.join()
        for k in range(4):
            assert results[k] == [(k * 1000 + i) ** 2 for i in range(200)], k
        assert all(spins)
        runner.shutdown()
        print('ok')
    ''')

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['ok']


def test_call_while_an_asyncio_loop_runs_in_the_calling_thread(runner, text_file):
    async def main():
        loop = asyncio.get_running_loop()
        dispatched = []
        loop.call_soon(dispatched.append, 'soon')

        def fn(r, task, *unused):
            task.return_value('from the runner')
            return True

        value = runner.run_sync(fn, None)

        def start(r, user_data, cancellable, callback):
            text_file.load_contents_async(cancellable, callback)
            return True

        contents = text_file.load_contents_finish(runner.call_sync(start, None))[1]
        # The loop was not iterated during the calls.
        not_yet = list(dispatched)
        await asyncio.sleep(0)
        return value, contents, not_yet, dispatched

    value, contents, not_yet, dispatched = asyncio.run(main())

    assert value == (True, 'from the runner')
    assert contents == b'hello from a file\n'
    assert not_yet == [] and dispatched == ['soon']


def test_callers_glib_main_loop_is_not_dispatched(runner):
    # The calling thread runs a GLib main loop; a call made from one of its
    # callbacks must not dispatch the loop's other sources.
    context = GLib.MainContext.new()
    loop = GLib.MainLoop.new(context, False)
    seen = []

    def other(*unused):
        seen.append('other')
        loop.quit()
        return GLib.SOURCE_REMOVE

    def fn(r, task, *unused):
        # Make a source of the caller's context ready while the caller waits.
        other_source = GLib.idle_source_new()
        other_source.set_callback(other)
        other_source.attach(context)
        task.return_value(1)
        return True

    def first(*unused):
        try:
            seen.append(('call', runner.run_sync(fn, None)))
            seen.append(list(seen))
        finally:
            # Whatever happened, end the loop before the watchdog would.
            deadline = GLib.timeout_source_new_seconds(int(DEADLINE))
            deadline.set_callback(lambda *a: loop.quit())
            deadline.attach(context)
        return GLib.SOURCE_REMOVE

    context.push_thread_default()
    try:
        source = GLib.idle_source_new()
        source.set_callback(first)
        source.attach(context)
        loop.run()
    finally:
        context.pop_thread_default()

    assert seen[0] == ('call', (True, 1))
    assert seen[1] == [('call', (True, 1))]   # 'other' not dispatched inside the call
    assert seen[2:] == ['other']


# --- lifetime of the Python function ----------------------------------------
#
# The func and the start function are (scope call) callbacks: the binding
# frees them as soon as run_sync() or call_sync() returns. So a call must
# not return while its func still runs on the runner thread: not when the
# func completes its task itself (GTask then ends the call from inside
# g_task_return_value(), which releases the GIL), nor when the call is
# cancelled, times out or the runner shuts down meanwhile. A core that let
# it return would have the runner thread return into a freed PyGObject
# closure (valgrind: invalid reads in _gi; segfaults with a few threads).
# These run in a process of their own so that a crash is a failure, not
# the end of the test run.

def test_func_returns_before_its_caller():
    proc = run_script('''
        import threading
        runner = AsyncRunner.Runner.new()

        def fn(r, task, n):
            task.return_value(n)
            return True

        def caller(k):
            for i in range(500):
                assert runner.run_sync(fn, i) == (True, i)

        threads = [threading.Thread(target=caller, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        runner.shutdown()
        print('ok')
    ''')

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['ok']


def test_func_still_running_when_its_call_times_out():
    proc = run_script('''
        import time
        runner = AsyncRunner.Runner.new()
        runner.set_timeout(100)

        def fn(r, task, *unused):
            time.sleep(0.5)
            task.return_value(True)
            return True

        try:
            runner.run_sync(fn, None)
        except GLib.Error as e:
            print('error', e.code)
        runner.shutdown()
        print('ok')
    ''')

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['error', str(int(Gio.IOErrorEnum.TIMED_OUT)), 'ok']
