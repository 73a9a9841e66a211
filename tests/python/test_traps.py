# SPDX-License-Identifier: LGPL-2.1-or-later
"""The override's traps, removed (issue 13): where the cancellable and the
callback go, finding and checking the finish function, failures while
starting, one unit of time, with_options(), the default runner."""

import functools
import inspect
import os
import tempfile
import threading

from gi.repository import AsyncRunner, Gio, GLib, GObject

import pytest

from conftest import DEADLINE, Held, io_error, run_script

CONTENTS = b'0123456789' * 1000


@pytest.fixture
def tmpdir_path():
    with tempfile.TemporaryDirectory(prefix='async-runner-') as path:
        yield path


@pytest.fixture
def source_file(tmpdir_path):
    f = Gio.File.new_for_path(os.path.join(tmpdir_path, 'source'))
    f.replace_contents(CONTENTS, None, False, Gio.FileCreateFlags.NONE, None)
    return f


def blocking_fn(entered, leave):
    def blocking(*args, **kwargs):
        entered.set()
        assert leave.wait(DEADLINE * 3)
        return args, kwargs
    return blocking


# --- the cancellable and the callback where the signature puts them ----------

# copy_async takes a progress callback between its cancellable and its
# callback: positional arguments before them, and the progress callback by
# keyword, called on the runner thread.
def test_call_copy_async_with_a_progress_callback(runner, source_file, tmpdir_path):
    destination = Gio.File.new_for_path(os.path.join(tmpdir_path, 'copy'))
    progress = []

    def on_progress(current, total, *unused):
        progress.append((current, total, runner.is_runner_thread()))

    ok = runner.call(source_file.copy_async, destination, Gio.FileCopyFlags.NONE,
                     GLib.PRIORITY_DEFAULT, progress_callback=on_progress)

    assert ok is True
    assert destination.load_contents(None)[1] == CONTENTS
    assert progress and all(on_runner for _, _, on_runner in progress)
    assert progress[-1][:2] == (len(CONTENTS), len(CONTENTS))


# The same without a progress callback, from the default runner, as the issue wrote it.
def test_call_copy_async_without_keywords(source_file, tmpdir_path):
    destination = Gio.File.new_for_path(os.path.join(tmpdir_path, 'copy'))

    assert AsyncRunner.call(source_file.copy_async, destination, Gio.FileCopyFlags.NONE,
                            GLib.PRIORITY_DEFAULT) is True
    assert destination.load_contents(None)[1] == CONTENTS


# A Python method whose cancellable and callback are not last, named so.
def test_call_python_method_with_named_cancellable_and_callback(runner):
    class Op:
        def go_async(self, x, cancellable, callback, scale=1):
            Gio.Task.new(None, cancellable, callback).return_value(x * scale)

        def go_finish(self, result):
            return result.propagate_value().value

    assert runner.call(Op().go_async, 4, scale=3) == 12


# --- finding the finish function ---------------------------------------------

def dbus_pair(runner):
    """Two connected peer-to-peer D-Bus connections (client, server)."""
    import socket
    a, b = socket.socketpair()
    streams = [Gio.Socket.new_from_fd(s.detach()).connection_factory_create_connection()
               for s in (a, b)]
    guid = Gio.dbus_generate_guid()
    server = []
    thread = threading.Thread(target=lambda: server.append(runner.call(
        Gio.DBusConnection.new, streams[1], guid,
        Gio.DBusConnectionFlags.AUTHENTICATION_SERVER
        | Gio.DBusConnectionFlags.AUTHENTICATION_ALLOW_ANONYMOUS, None)))
    thread.start()
    # Gio.DBusConnection.new is finished by new_finish: not named *_async.
    client = runner.call(Gio.DBusConnection.new, streams[0], None,
                         Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT, None)
    thread.join(DEADLINE)
    return client, server[0]


# DBusConnection.call is finished by call_finish, found by name.
def test_call_finds_call_finish(runner):
    client, server = dbus_pair(runner)
    try:
        reply = runner.call(client.call, None, '/', 'org.freedesktop.DBus.Peer', 'Ping',
                            None, None, Gio.DBusCallFlags.NONE, -1, timeout=DEADLINE)
        assert isinstance(reply, GLib.Variant) and reply.unpack() == ()
    finally:
        client.close_sync(None)     # the server then closes on its own


# DBusProxy.new_for_bus is finished by new_for_bus_finish: with no bus to
# reach, the error comes from that finish function.
def test_call_finds_new_for_bus_finish():
    proc = run_script('''
        try:
            AsyncRunner.call(Gio.DBusProxy.new_for_bus, Gio.BusType.SESSION,
                             Gio.DBusProxyFlags.NONE, None, 'org.example.None',
                             '/', 'org.example.None', timeout=30)
            print('returned')
        except GLib.Error as e:
            print('GLib.Error', e.domain)
    ''', env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS='unix:path=/nonexistent/bus'))

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == 'GLib.Error'


# A finish function that does not belong to the method is refused before anything runs.
@pytest.mark.parametrize('finish', [
    Gio.InputStream.read_bytes_finish,    # another class's method
    # a static function for a method (GLib >= 2.74)
    *([Gio.File.new_tmp_finish] if hasattr(Gio.File, 'new_tmp_finish') else []),
    Gio.File.new_for_path,                # takes no GAsyncResult
    'not callable',
])
def test_call_refuses_a_finish_of_another_method(runner, source_file, finish):
    with pytest.raises(TypeError):
        runner.call(source_file.load_contents_async, finish=finish)
    with pytest.raises(TypeError):
        runner.call(Gio.File.load_contents_async, source_file, finish=finish)


# The finish method of the same class, bound or not, is accepted.
def test_call_accepts_the_finish_method(runner, source_file):
    assert runner.call(source_file.load_contents_async,
                       finish=Gio.File.load_contents_finish)[1] == CONTENTS
    assert runner.call(source_file.load_contents_async,
                       finish=source_file.load_contents_finish)[1] == CONTENTS


# A plain function with no finish beside it needs finish=; nothing runs.
def test_call_without_a_finish_to_find():
    started = []

    def go(cancellable, callback):
        started.append(1)

    with pytest.raises(TypeError, match='finish='):
        AsyncRunner.call(go)
    assert started == []


# --- failures while starting end the call at once ------------------------------

# Wrong arguments: the TypeError is raised at once, not a wait for a callback.
def test_call_with_wrong_arguments_raises_at_once(runner, source_file):
    with pytest.raises(TypeError):
        runner.call(source_file.copy_async, 'not a file', Gio.FileCopyFlags.NONE, 0)
    with pytest.raises(TypeError):
        runner.call(source_file.copy_async)
    # A keyword the method does not take is refused before anything runs.
    with pytest.raises(TypeError, match='no parameter'):
        runner.call(source_file.load_contents_async, no_such_thing=1)
    assert runner.run(lambda: 'next') == 'next'


# A method that raises before starting anything: the call raises it.
def test_call_python_method_that_raises_at_once(runner):
    def broken_async(cancellable, callback):
        raise LookupError('broken')

    with pytest.raises(LookupError, match='broken'):
        runner.call(broken_async, finish=lambda r: r, timeout=DEADLINE * 3)


# Something not asynchronous at all: a GI function with no callback.
def test_call_refuses_a_function_that_is_not_asynchronous(runner, source_file):
    with pytest.raises(TypeError, match='not a Gio asynchronous'):
        runner.call(source_file.load_contents, finish=lambda r: r)


# --- one unit of time: seconds --------------------------------------------------

def test_runner_timeout_is_in_seconds():
    r = AsyncRunner.Runner(timeout=2.5)
    try:
        assert r.timeout == 2.5
        assert r.props.timeout == 2500 and r.get_timeout() == 2500
        r.timeout = 0.0001              # rounded up: never 0, which means no limit
        assert r.props.timeout == 1
        r.timeout = None
        assert r.timeout is None and r.props.timeout == 0
    finally:
        r.shutdown()
    assert AsyncRunner.Runner().timeout is None


def test_runner_timeout_zero_or_negative_is_refused():
    for value in (0, -1, float('nan')):
        with pytest.raises(ValueError):
            AsyncRunner.Runner(timeout=value)
    with pytest.raises(TypeError):
        AsyncRunner.Runner(timeout='2')


# The raw property stays in milliseconds and refuses a float, by every way in.
def test_raw_timeout_property_refuses_a_float(runner):
    with pytest.raises(TypeError):
        runner.props.timeout = 2.5
    with pytest.raises(TypeError):
        runner.set_timeout(2.5)
    with pytest.raises(TypeError):
        runner.set_property('timeout', 2.5)
    assert runner.props.timeout == 0
    runner.props.timeout = 1500
    assert runner.timeout == 1.5
    runner.set_timeout(0)
    assert runner.timeout is None


# The runner's timeout, given in seconds, ends a call.
def test_runner_timeout_ends_a_call():
    r = AsyncRunner.Runner(timeout=0.05)
    try:
        op = Held()
        with pytest.raises(GLib.Error) as info:
            r.call(op.start_async)
        assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)
    finally:
        r.shutdown()


# A per-call timeout of 0 is already expired, never "no limit".
def test_call_timeout_zero_is_expired(runner):
    op = Held()
    with pytest.raises(GLib.Error) as info:
        runner.with_options(timeout=0).call(op.start_async)
    assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)
    with pytest.raises(GLib.Error) as info:
        runner.with_options(timeout=0).run(lambda: 1)
    assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)


# --- with_options() ----------------------------------------------------------------

# run() passes every keyword to the function; the options come from with_options().
def test_with_options_run_keeps_the_functions_own_keywords(runner):
    fn = lambda *args, **kwargs: (args, kwargs)  # noqa: E731
    cancellable = Gio.Cancellable()
    options = runner.with_options(timeout=DEADLINE, cancellable=cancellable)

    assert options.run(fn, 1, timeout=2, cancellable=3) == ((1,), {'timeout': 2, 'cancellable': 3})
    assert runner.run(fn, timeout=2) == ((), {'timeout': 2})


def test_with_options_timeout_ends_run(runner):
    entered, leave = threading.Event(), threading.Event()
    try:
        with pytest.raises(GLib.Error) as info:
            runner.with_options(timeout=0.05).run(blocking_fn(entered, leave))
        assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)
    finally:
        leave.set()
    assert runner.run(lambda: 'next') == 'next'


# From another thread with nothing to end it early, run() runs the function at
# once on the runner thread: its result, its exception, a nested call and the
# runner's context are as from the main thread. With the runner's own time
# limit, or a per-call one, the call still ends while the function runs.
def test_run_from_another_thread(runner):
    entered, leave = threading.Event(), threading.Event()
    outcome = {}

    def from_a_thread():
        outcome['value'] = runner.run(lambda: (runner.is_runner_thread(),
                                               runner.run(lambda: 'nested'),
                                               GLib.MainContext.get_thread_default()
                                               == runner.get_context()))
        try:
            runner.run(int, 'x')
        except ValueError as e:
            outcome['error'] = e
        runner.timeout = 0.05
        try:
            runner.run(blocking_fn(entered, leave))
        except GLib.Error as e:
            outcome['timed out'] = io_error(e, Gio.IOErrorEnum.TIMED_OUT)
        finally:
            leave.set()
            runner.timeout = None
        outcome['next'] = runner.run(lambda: 'next')

    thread = threading.Thread(target=from_a_thread)
    thread.start()
    thread.join(DEADLINE)

    assert outcome.pop('value') == (True, 'nested', True)
    assert isinstance(outcome.pop('error'), ValueError)
    assert outcome == {'timed out': True, 'next': 'next'}


def test_with_options_cancellable_ends_call(runner):
    cancellable = Gio.Cancellable()
    op = Held()
    threading.Thread(target=lambda: (op.wait_started(), cancellable.cancel())).start()

    with pytest.raises(GLib.Error) as info:
        runner.with_options(cancellable=cancellable).call(op.start_async)
    assert io_error(info.value, Gio.IOErrorEnum.CANCELLED)


def test_with_options_refuses_bad_timeouts(runner):
    with pytest.raises(ValueError):
        runner.with_options(timeout=-1)
    with pytest.raises(TypeError):
        runner.with_options(timeout='1')
    with pytest.raises(TypeError):
        runner.with_options(2)          # keywords only


def test_module_level_with_options_uses_the_default_runner():
    assert AsyncRunner.with_options(timeout=DEADLINE).run(AsyncRunner.Runner.get_default()
                                                          .is_runner_thread)


# --- the default runner --------------------------------------------------------------

def test_default_runner_cannot_be_shut_down():
    with pytest.raises(RuntimeError):
        AsyncRunner.Runner.get_default().shutdown()
    assert AsyncRunner.run(lambda: 'still alive') == 'still alive'


# --- coroutines given to run() and call() ----------------------------------------------

async def fetch():
    return 1


def test_run_refuses_a_coroutine_function_and_a_coroutine(runner):
    with pytest.raises(TypeError, match='run_async'):
        runner.run(fetch)
    coroutine = fetch()
    try:
        with pytest.raises(TypeError, match='run_async'):
            runner.run(coroutine)
        with pytest.raises(TypeError, match='run_async'):
            runner.call(coroutine)
    finally:
        coroutine.close()
    with pytest.raises(TypeError, match='run_async'):
        runner.call(fetch)


class Fetcher:
    async def fetch(self):
        return 1

    def plain(self):
        return 'plain'


# run() checks plain functions and builtins cheaply: every other kind of async
# callable (a bound async method, a partial, a marked function) is still refused,
# and plain ones of every kind still run.
def test_run_refuses_every_kind_of_async_callable(runner):
    def marked():
        return fetch()
    async_callables = [Fetcher().fetch, functools.partial(fetch), Fetcher.fetch]
    if hasattr(inspect, 'markcoroutinefunction'):   # Python >= 3.12
        async_callables.append(inspect.markcoroutinefunction(marked))
    for fn in async_callables:
        with pytest.raises(TypeError, match='run_async'):
            runner.run(fn)
        with pytest.raises(TypeError, match='run_async'):
            AsyncRunner.run(fn)

    assert runner.run(len, 'abc') == 3
    assert runner.run(int, '7') == 7
    assert runner.run(Fetcher().plain) == 'plain'
    assert runner.run(Fetcher.plain, None) == 'plain'
    assert runner.run(functools.partial(int, '8')) == 8
    assert runner.run(str.upper, 'a') == 'A'
    assert runner.run('x'.upper) == 'X'
    assert runner.run(lambda: 'lambda') == 'lambda'
    with pytest.raises(TypeError, match='callable'):
        runner.run(5)
