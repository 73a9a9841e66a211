# SPDX-License-Identifier: LGPL-2.1-or-later
"""The pythonic layer: AsyncRunner.call(), AsyncRunner.run(), Runner as a
context manager (issue 5, points 1-4, 6 and 7; Ctrl-C is in test_sigint.py)."""

import asyncio
import os
import tempfile
import threading
import traceback

from gi.repository import AsyncRunner, Gio, GLib, GObject

import pytest

from conftest import DEADLINE, Held, io_error, run_script

CONTENTS = b'line one\nline two\n'


@pytest.fixture
def text_file():
    with tempfile.NamedTemporaryFile(prefix='async-runner-', delete=False) as f:
        f.write(CONTENTS)
    yield Gio.File.new_for_path(f.name)
    os.unlink(f.name)


def hold_async(cancellable, callback):
    """Starts nothing and never calls back: only a timeout or a cancellation ends it."""


class Doubler(GObject.Object):
    """A Python object with a Gio-style asynchronous method."""

    def double_async(self, x, cancellable, callback):
        task = Gio.Task.new(self, cancellable, callback)
        task.return_value(x * 2)

    def double_finish(self, result):
        return result.propagate_value().value


# --- 1. call() ---------------------------------------------------------------

def test_call_returns_what_finish_returns(runner, text_file):
    result = runner.call(text_file.load_contents_async)

    assert result == text_file.load_contents(None)
    ok, contents, etag = result
    assert ok and contents == CONTENTS and etag


def test_call_with_extra_arguments(runner, text_file):
    stream = text_file.read(None)
    try:
        first = runner.call(stream.read_bytes_async, 4, GLib.PRIORITY_DEFAULT)
        rest = runner.call(stream.read_bytes_async, 100, GLib.PRIORITY_HIGH)
    finally:
        stream.close(None)

    assert isinstance(first, GLib.Bytes)
    assert first.get_data() + rest.get_data() == CONTENTS
    assert first.get_data() == CONTENTS[:4]


def test_call_with_an_unbound_method(runner, text_file):
    ok, contents, etag = runner.call(Gio.File.load_contents_async, text_file)

    assert ok and contents == CONTENTS


def test_call_with_a_python_method(runner):
    assert runner.call(Doubler().double_async, 21) == 42


needs_new_tmp_async = pytest.mark.skipif(not hasattr(Gio.File, 'new_tmp_async'),
                                         reason='Gio.File.new_tmp_async is GLib 2.74')


@needs_new_tmp_async
def test_call_static_function_with_finish(runner):
    file, iostream = runner.call(Gio.File.new_tmp_async, 'async-runner-XXXXXX',
                                 GLib.PRIORITY_DEFAULT, finish=Gio.File.new_tmp_finish)
    try:
        assert isinstance(file, Gio.File) and isinstance(iostream, Gio.FileIOStream)
        assert os.path.basename(file.get_path()).startswith('async-runner-')
    finally:
        iostream.close(None)
        file.delete(None)


@needs_new_tmp_async
def test_call_static_function_finds_its_finish(runner):
    # What Gio.File.new_tmp_finish() returns: found by the name, not given.
    file, iostream = runner.call(Gio.File.new_tmp_async, None, GLib.PRIORITY_DEFAULT)
    try:
        assert isinstance(file, Gio.File) and isinstance(iostream, Gio.FileIOStream)
        assert file.query_exists(None)
    finally:
        iostream.close(None)
        file.delete(None)


def test_call_with_finish_for_another_name(runner, text_file):
    contents = runner.call(text_file.load_contents_async,
                           finish=lambda result: text_file.load_contents_finish(result)[1])

    assert contents == CONTENTS


def test_call_needs_finish_when_the_name_says_nothing(runner):
    calls = []

    def start(cancellable, callback):
        calls.append(1)

    with pytest.raises(TypeError, match='finish='):
        runner.call(start)
    assert calls == []


def test_call_runs_the_method_on_the_runner_thread(runner):
    op = Held()
    releaser = threading.Thread(target=op.release, args=('done',))
    releaser.start()

    assert runner.call(op.start_async) == 'done'
    releaser.join(DEADLINE)
    assert op.thread not in (threading.get_ident(), releaser.ident)
    assert isinstance(op.cancellable, Gio.Cancellable)


def test_call_error_is_unchanged(runner):
    missing = Gio.File.new_for_path('/nonexistent/async-runner')
    with pytest.raises(GLib.Error) as direct:
        missing.load_contents(None)

    with pytest.raises(GLib.Error) as info:
        runner.call(missing.load_contents_async)

    assert io_error(info.value, Gio.IOErrorEnum.NOT_FOUND)
    assert (info.value.domain, info.value.code, info.value.message) == \
        (direct.value.domain, direct.value.code, direct.value.message)


def test_call_exception_from_the_method_is_raised_as_it_is(runner, text_file):
    with pytest.raises(TypeError):
        runner.call(text_file.load_contents_async, 'not', 'these', 'arguments')

    def broken_async(cancellable, callback):
        raise KeyError('broken')

    with pytest.raises(KeyError, match='broken'):
        runner.call(broken_async, finish=lambda r: r)


def test_call_timeout_raises_timed_out(runner):
    op = Held()

    with pytest.raises(GLib.Error) as info:
        runner.call(op.start_async, timeout=0.1)

    assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)
    assert op.cancellable.is_cancelled()
    # The runner goes on, and a timeout that does not expire changes nothing.
    assert runner.call(Doubler().double_async, 4, timeout=DEADLINE) == 8


def test_call_timeout_while_the_runner_thread_is_busy(runner):
    # The runner thread is stuck in another caller's run(): the timeout
    # still ends this call, without waiting for the runner.
    entered = threading.Event()
    leave = threading.Event()

    def blocking():
        entered.set()
        assert leave.wait(DEADLINE * 3)
        return 'finished'

    other = []
    thread = threading.Thread(target=lambda: other.append(runner.run(blocking)))
    thread.start()
    try:
        assert entered.wait(DEADLINE)
        with pytest.raises(GLib.Error) as info:
            runner.call(Doubler().double_async, 1, timeout=0.1)
        still_busy = not leave.is_set() and thread.is_alive()
    finally:
        leave.set()
        thread.join(DEADLINE)

    assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)
    assert still_busy
    assert other == ['finished']


def test_call_timeout_in_a_forked_child():
    # The child has neither the parent's runner thread nor its watchdog.
    proc = run_script('''
        import os
        class Hold:
            def hold_async(self, cancellable, callback):
                pass
        assert AsyncRunner.run(lambda: 1, ) == 1
        try:
            AsyncRunner.call(Hold().hold_async, timeout=0.05, finish=lambda r: r)
        except GLib.Error as e:
            assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT)
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                try:
                    AsyncRunner.call(Hold().hold_async, timeout=0.05, finish=lambda r: r)
                except GLib.Error as e:
                    if e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT):
                        status = 0 if AsyncRunner.run(lambda: 2) == 2 else 3
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        print('child', os.waitstatus_to_exitcode(status))
    ''')

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['child', '0']


def test_call_timeout_zero(runner):
    with pytest.raises(GLib.Error) as info:
        runner.call(hold_async, timeout=0, finish=lambda r: r)

    assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)


def test_call_timeout_must_be_a_duration(runner):
    with pytest.raises(ValueError):
        runner.call(Doubler().double_async, 1, timeout=-1)


def test_call_cancellable_from_another_thread(runner):
    op = Held()
    cancellable = Gio.Cancellable()

    def cancel():
        op.wait_started()
        cancellable.cancel()

    canceller = threading.Thread(target=cancel)
    canceller.start()
    with pytest.raises(GLib.Error) as info:
        runner.call(op.start_async, cancellable=cancellable)
    canceller.join(DEADLINE)

    assert io_error(info.value, Gio.IOErrorEnum.CANCELLED)
    assert op.cancellable.is_cancelled()


def test_call_cancellable_wins_over_a_timeout(runner):
    op = Held()
    cancellable = Gio.Cancellable()

    def cancel():
        op.wait_started()
        cancellable.cancel()

    canceller = threading.Thread(target=cancel)
    canceller.start()
    with pytest.raises(GLib.Error) as info:
        runner.call(op.start_async, cancellable=cancellable, timeout=DEADLINE)
    canceller.join(DEADLINE)

    assert io_error(info.value, Gio.IOErrorEnum.CANCELLED)


def test_call_already_cancelled(runner):
    op = Held()
    cancellable = Gio.Cancellable()
    cancellable.cancel()

    for timeout in (None, DEADLINE):
        with pytest.raises(GLib.Error) as info:
            runner.call(op.start_async, cancellable=cancellable, timeout=timeout)
        assert io_error(info.value, Gio.IOErrorEnum.CANCELLED)
    assert not op.started.is_set()


def test_call_leaves_no_handler_on_the_callers_cancellable(runner):
    cancellable = Gio.Cancellable()
    for _ in range(3):
        assert runner.call(Doubler().double_async, 1, cancellable=cancellable,
                           timeout=DEADLINE) == 2
    signal_id = GObject.signal_lookup('cancelled', Gio.Cancellable)

    assert not GObject.signal_has_handler_pending(cancellable, signal_id, 0, False)


# --- 2. run() ---------------------------------------------------------------

def test_run_returns_the_result(runner):
    def fn(a, b, *, scale):
        return {'sum': (a + b) * scale,
                'thread': threading.get_ident(),
                'on_runner': runner.is_runner_thread(),
                'context': GLib.MainContext.get_thread_default()}

    result = runner.run(fn, 1, 2, scale=10)

    assert result['sum'] == 30
    assert result['on_runner']
    assert result['thread'] != threading.get_ident()
    assert result['context'] == runner.get_context()


class CustomError(Exception):
    pass


def raising_function(marker):
    raise CustomError(marker)


def test_run_reraises_the_original_exception(runner):
    marker = object()

    with pytest.raises(CustomError) as info:
        runner.run(raising_function, marker)

    assert info.value.args == (marker,)
    frames = [frame.name for frame in traceback.extract_tb(info.value.__traceback__)]
    assert frames[-1] == 'raising_function'


def test_run_nested_on_the_runner_thread(runner):
    def outer():
        return runner.run(lambda: runner.is_runner_thread()), \
            runner.call(Doubler().double_async, 5)

    assert runner.run(outer) == (True, 10)


def test_run_sources_of_the_thread_default_context_run_on_the_runner(runner):
    # What run() attaches to the thread-default context (as objects bound to
    # "the current context" do) is dispatched later by the runner thread.
    fired = []
    done = threading.Event()

    def on_idle(*unused):
        fired.append(runner.is_runner_thread())
        done.set()
        return GLib.SOURCE_REMOVE

    def make():
        source = GLib.idle_source_new()
        source.set_callback(on_idle)
        return source.attach(GLib.MainContext.ref_thread_default())

    assert runner.run(make) > 0
    assert done.wait(DEADLINE)
    assert fired == [True]


def test_run_after_shutdown_is_closed():
    r = AsyncRunner.Runner()
    r.shutdown()

    with pytest.raises(GLib.Error) as info:
        r.run(lambda: 1)

    assert io_error(info.value, Gio.IOErrorEnum.CLOSED)


# --- 3. module-level functions ----------------------------------------------

def test_module_level_call_and_run_use_the_default_runner(text_file):
    default = AsyncRunner.Runner.get_default()

    assert AsyncRunner.run(default.is_runner_thread)
    assert AsyncRunner.call(text_file.load_contents_async)[1] == CONTENTS
    assert AsyncRunner.call(Doubler().double_async, 3, timeout=DEADLINE) == 6


# --- 4. Runner() and the context manager ------------------------------------

def test_runner_constructor_makes_a_new_runner():
    r = AsyncRunner.Runner(timeout=0.25)
    try:
        assert isinstance(r, AsyncRunner.Runner)
        assert r is not AsyncRunner.Runner.get_default()
        assert r.props.timeout == 250
        assert r.run(r.is_runner_thread)
    finally:
        r.shutdown()


def test_runner_is_a_context_manager(text_file):
    with AsyncRunner.Runner() as r:
        assert isinstance(r, AsyncRunner.Runner)
        assert r.call(text_file.load_contents_async)[1] == CONTENTS

    with pytest.raises(GLib.Error) as info:
        r.call(text_file.load_contents_async)
    assert io_error(info.value, Gio.IOErrorEnum.CLOSED)


def test_context_manager_shuts_down_on_an_exception():
    with pytest.raises(CustomError):
        with AsyncRunner.Runner() as r:
            raise CustomError()

    with pytest.raises(GLib.Error) as info:
        r.run(lambda: 1)
    assert io_error(info.value, Gio.IOErrorEnum.CLOSED)


def test_default_runner_is_not_a_context_manager():
    with pytest.raises(RuntimeError):
        with AsyncRunner.Runner.get_default():
            pass

    assert AsyncRunner.run(lambda: 'still alive') == 'still alive'


# --- 6. many threads, asyncio -----------------------------------------------

def test_many_threads_at_once(text_file):
    errors = []

    def worker(k):
        try:
            for i in range(30):
                assert AsyncRunner.run(lambda a, b: a * b, k, i) == k * i
                assert AsyncRunner.call(Doubler().double_async, i, timeout=DEADLINE) == 2 * i
                assert AsyncRunner.call(text_file.load_contents_async)[1] == CONTENTS
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE * 3)

    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_inside_a_running_asyncio_loop(text_file):
    async def main():
        loop = asyncio.get_running_loop()
        dispatched = []
        loop.call_soon(dispatched.append, 'soon')

        contents = AsyncRunner.call(text_file.load_contents_async)[1]
        value = AsyncRunner.run(lambda: 'ran')
        with pytest.raises(GLib.Error) as info:
            AsyncRunner.call(hold_async, timeout=0.05, finish=lambda r: r)
        not_yet = list(dispatched)
        await asyncio.sleep(0)
        return contents, value, info.value, not_yet, dispatched

    contents, value, error, not_yet, dispatched = asyncio.run(main())

    assert contents == CONTENTS and value == 'ran'
    assert io_error(error, Gio.IOErrorEnum.TIMED_OUT)
    assert not_yet == [] and dispatched == ['soon']


def test_asyncio_keeps_its_wakeup_fd_and_signals(runner):
    import signal

    async def main():
        loop = asyncio.get_running_loop()
        got = asyncio.Event()
        loop.add_signal_handler(signal.SIGUSR1, got.set)
        try:
            before = signal.set_wakeup_fd(-1)
            signal.set_wakeup_fd(before, warn_on_full_buffer=False)

            # The signal arrives while the call blocks the loop's thread.
            op = Held()

            def signal_then_release():
                op.wait_started()
                os.kill(os.getpid(), signal.SIGUSR1)
                op.release('released')

            thread = threading.Thread(target=signal_then_release)
            thread.start()
            value = runner.call(op.start_async)
            thread.join(DEADLINE)

            after = signal.set_wakeup_fd(-1)
            signal.set_wakeup_fd(after, warn_on_full_buffer=False)
            await asyncio.wait_for(got.wait(), DEADLINE)
            return value, before, after
        finally:
            loop.remove_signal_handler(signal.SIGUSR1)

    value, before, after = asyncio.run(main())

    assert value == 'released'
    assert before >= 0 and after == before


# --- 7. the raw API alongside -----------------------------------------------

def test_raw_api_unchanged_alongside(runner, text_file):
    assert type(runner) is AsyncRunner.Runner
    assert runner.call(text_file.load_contents_async)[1] == CONTENTS

    def fn(r, task, *unused):
        task.return_value(42)
        return True

    assert runner.run_sync(fn, None) == (True, 42)

    def start(r, user_data, cancellable, callback):
        text_file.load_contents_async(cancellable, callback)
        return True

    assert text_file.load_contents_finish(runner.call_sync(start, None))[1] == CONTENTS
    assert runner.run(lambda: 'and back') == 'and back'


def test_call_timeout_infinite(runner):
    assert runner.call(Doubler().double_async, 5, timeout=float('inf')) == 10
    with pytest.raises(ValueError):
        runner.call(Doubler().double_async, 5, timeout=float('nan'))


# --- Names (issue 14, point 3) ---------------------------------------------

def pending_line_while_held(runner, make_call):
    """Runs make_call(cancellable) until the runner lists it, then cancels
    it; returns the line that dup_pending_calls() gave for it."""
    cancellable = Gio.Cancellable()
    lines = []

    def watch():
        while not lines:
            lines.extend(runner.dup_pending_calls())
            if not lines:
                threading.Event().wait(0.001)
        cancellable.cancel()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with pytest.raises(GLib.Error) as raised:
        make_call(cancellable)
    watcher.join(DEADLINE)
    assert io_error(raised.value, Gio.IOErrorEnum.CANCELLED)
    return lines[0]


def test_call_is_named_after_its_method(runner):
    line = pending_line_while_held(
        runner, lambda c: runner.call(hold_async, cancellable=c, finish=lambda r: r))

    assert line.startswith('hold_async: called from thread'), line


def test_call_of_a_bound_method_names_its_class(runner):
    class Holder(GObject.Object):
        def hold_async(self, cancellable, callback):
            pass

        def hold_finish(self, result):
            return result

    line = pending_line_while_held(
        runner, lambda c: runner.call(Holder().hold_async, cancellable=c))

    assert line.startswith('test_call_of_a_bound_method_names_its_class.<locals>.Holder.hold_async:'), line


def test_empty_pending_calls(runner):
    assert runner.dup_pending_calls() == []


def test_run_is_named_after_its_function(runner):
    release = threading.Event()
    lines = []

    def blocker():
        release.wait(DEADLINE)

    def watch():
        while not lines:
            lines.extend(runner.dup_pending_calls())
            if not lines:
                threading.Event().wait(0.001)
        release.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    runner.run(blocker)
    watcher.join(DEADLINE)

    assert lines[0].startswith('test_run_is_named_after_its_function.<locals>.blocker:'), lines


# --- a callback delivered at most once (issue 10, point 3) -------------------

class CallsBackThenRaises(GObject.Object):
    """A method that completes its task, then raises: written in Python, a
    Gio-style method can do both."""

    def now_async(self, cancellable, callback):
        # The callback runs before the method returns.
        task = Gio.Task.new(self, cancellable, None)
        task.return_value(1)
        callback(self, task)
        raise RuntimeError('raised after calling back')

    def soon_async(self, cancellable, callback):
        # The callback is scheduled: it runs once the method has returned.
        Gio.Task.new(self, cancellable, callback).return_value(1)
        raise RuntimeError('raised after scheduling the callback')


# The method's exception is raised, and the core's callback comes once (GLib
# criticals are fatal in this process: a second one would abort it).
@pytest.mark.parametrize('method', ['now_async', 'soon_async'])
def test_call_method_that_calls_back_then_raises(method):
    proc = run_script('''
        from gi.repository import GObject
        import sys
        sys.path.insert(0, {testdir!r})
        from test_override import CallsBackThenRaises
        runner = AsyncRunner.Runner()
        for i in range(20):
            try:
                runner.call(getattr(CallsBackThenRaises(), {method!r}), finish=lambda r: r)
            except RuntimeError as e:
                outcome = str(e)
        assert runner.run(lambda: 'next') == 'next'
        runner.shutdown()
        print(outcome)
    '''.format(testdir=os.path.dirname(os.path.abspath(__file__)), method=method),
        env=dict(os.environ, G_DEBUG='fatal-criticals'))

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().startswith('raised after')
