# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runner.call_method_sync() and Runner.call_function_sync() from Python:
introspected async functions called by name, with real Gio operations."""

import os
import shutil
import subprocess
import tempfile
import threading

from gi.repository import AsyncRunner, Gio, GLib, GObject

import pytest

from conftest import io_error


@pytest.fixture
def tmpdir_path():
    path = tempfile.mkdtemp(prefix='test-by-name-')
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_load_contents_gives_ok_bytes_and_etag(runner):
    """A file's contents come back as [True, GLib.Bytes, etag], as the
    blocking call reads them; a name without _async finds the method."""
    path = os.path.abspath(__file__)
    f = Gio.File.new_for_path(path)
    with open(path, 'rb') as source:
        expected = source.read()

    ok, contents, etag = runner.call_method_sync(f, "load_contents_async", [], None)
    assert ok is True
    assert isinstance(contents, GLib.Bytes)
    assert contents.get_data() == expected
    assert isinstance(etag, str)

    values = runner.call_method_sync(f, "load_contents")
    assert len(values) == 3 and values[1].get_data() == expected


def test_raw_binding_returns_the_values(runner):
    """The raw binding, without the override's conversions, returns a list."""
    f = Gio.File.new_for_path(os.path.abspath(__file__))
    values = AsyncRunner.Runner.call_method_sync(runner, f, 'load_contents', [], None)
    assert isinstance(values, list) and len(values) == 3


def test_enumerate_gives_a_list_model(runner, tmpdir_path):
    """A directory is listed: an enumerator, then a Gio.ListModel of
    Gio.FileInfo that Python iterates, measures and indexes."""
    for name in ('a', 'b', 'c'):
        with open(os.path.join(tmpdir_path, name), 'w') as f:
            f.write(name)
    d = Gio.File.new_for_path(tmpdir_path)

    (enumerator,) = runner.call_method_sync(
        d, 'enumerate_children_async',
        ['standard::name', Gio.FileQueryInfoFlags.NONE, GLib.PRIORITY_DEFAULT])
    assert isinstance(enumerator, Gio.FileEnumerator)

    (infos,) = runner.call_method_sync(enumerator, 'next_files_async', [10, GLib.PRIORITY_DEFAULT])
    assert isinstance(infos, Gio.ListModel)
    assert len(infos) == 3
    assert isinstance(infos[0], Gio.FileInfo)
    assert sorted(info.get_name() for info in infos) == ['a', 'b', 'c']

    (rest,) = runner.call_method_sync(enumerator, 'next_files', [10, 0])
    assert len(rest) == 0
    assert runner.call_method_sync(enumerator, 'close', [0]) == [True]


def test_communicate_utf8(runner):
    """A subprocess's output: [True, stdout, None]."""
    proc = Gio.Subprocess.new(['cat'], Gio.SubprocessFlags.STDIN_PIPE | Gio.SubprocessFlags.STDOUT_PIPE)
    ok, out, err = runner.call_method_sync(proc, 'communicate_utf8_async', ['hello from Python\n'])
    assert ok is True
    assert out == 'hello from Python\n'
    assert err is None


def test_resolve_localhost(runner):
    """localhost resolves to loopback addresses, in a Gio.ListModel."""
    (addresses,) = runner.call_method_sync(Gio.Resolver.get_default(), 'lookup_by_name_async',
                                           ['localhost'])
    assert len(addresses) >= 1
    assert all(a.get_is_loopback() for a in addresses)


@pytest.mark.skipif(not hasattr(Gio.File, 'new_tmp_async'),
                    reason='Gio.File.new_tmp_async is GLib 2.74')
def test_new_tmp_static_function(runner):
    """A static function with a return value and an out value."""
    tmp, stream = runner.call_function_sync(
        'Gio', 'File.new_tmp_async', ['test-by-name-XXXXXX.txt', GLib.PRIORITY_DEFAULT], None)
    try:
        assert isinstance(stream, Gio.FileIOStream)
        assert tmp.query_exists(None)
        stream.close(None)
    finally:
        tmp.delete(None)


@pytest.fixture
def dbus_daemon():
    """A private dbus-daemon that dies with this process, stopped afterwards."""
    daemon = subprocess.Popen(
        ['setpriv', '--pdeathsig', 'KILL', 'dbus-daemon', '--session', '--nofork',
         '--print-address=1'],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = daemon.stdout.readline().strip()
        assert address
        yield address
    finally:
        daemon.kill()
        daemon.wait()
        daemon.stdout.close()


def test_dbus_call_gives_a_variant(runner, dbus_daemon):
    """A connection made by a static constructor (None for the nullable
    observer), then a call that returns a GLib.Variant; a D-Bus error comes
    through."""
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
             | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    (connection,) = runner.call_function_sync('Gio', 'DBusConnection.new_for_address',
                                              [dbus_daemon, flags, None])
    try:
        args = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                'GetId', None, GLib.VariantType.new('(s)'), Gio.DBusCallFlags.NONE, -1]
        (reply,) = runner.call_method_sync(connection, 'call', args)
        assert isinstance(reply, GLib.Variant)
        assert len(reply.unpack()[0]) == 32

        args[3] = 'NoSuchMethod'
        with pytest.raises(GLib.Error) as info:
            runner.call_method_sync(connection, 'call', args)
        assert info.value.matches(Gio.DBusError.quark(), Gio.DBusError.UNKNOWN_METHOD)

        # Another callback (get_proxy_type_func, nullable) is passed NULL.
        (manager,) = runner.call_function_sync(
            'Gio', 'DBusObjectManagerClient.new',
            [connection, Gio.DBusObjectManagerClientFlags.DO_NOT_AUTO_START,
             'org.example.Nobody', '/org/example/Nobody'])
        assert isinstance(manager, Gio.DBusObjectManagerClient)
        assert manager.get_name_owner() is None
    finally:
        connection.close_sync(None)


def test_missing_file_error_comes_through(runner):
    """The finish function's error, unchanged."""
    f = Gio.File.new_for_path('/nonexistent/test-by-name')
    with pytest.raises(GLib.Error) as expected:
        f.load_contents(None)
    with pytest.raises(GLib.Error) as info:
        runner.call_method_sync(f, 'load_contents_async')
    assert io_error(info.value, Gio.IOErrorEnum.NOT_FOUND)
    assert info.value.message == expected.value.message


def test_cancelled_from_another_thread(runner):
    """Cancelled while it waits, from another thread: CANCELLED at once."""
    cat = Gio.Subprocess.new(['cat'], Gio.SubprocessFlags.STDIN_PIPE)
    cancellable = Gio.Cancellable()
    timer = threading.Timer(0.05, cancellable.cancel)
    timer.start()
    try:
        with pytest.raises(GLib.Error) as info:
            runner.call_method_sync(cat, 'wait_async', [], cancellable)
        assert io_error(info.value, Gio.IOErrorEnum.CANCELLED)
    finally:
        timer.join()
        cat.force_exit()
        cat.wait(None)


def test_timed_out(runner):
    """Past the runner's timeout: TIMED_OUT; a per-call timeout too."""
    cat = Gio.Subprocess.new(['cat'], Gio.SubprocessFlags.STDIN_PIPE)
    try:
        runner.props.timeout = 50
        with pytest.raises(GLib.Error) as info:
            runner.call_method_sync(cat, 'wait')
        assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)

        runner.props.timeout = 0
        with pytest.raises(GLib.Error) as info:
            runner.call_method_sync(cat, 'wait', timeout=0.05)
        assert io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)
    finally:
        cat.force_exit()
        cat.wait(None)


@pytest.mark.parametrize('args, parts', [
    ([], ['make_directory_async', '1 argument', 'io_priority (gint32)', '0 given']),
    ([0, 0], ['2 given']),
    (['high'], ['Argument 1 (io_priority)', 'expects gint32', '"high"']),
    ([1.5], ['Argument 1 (io_priority)', 'gint32', '1.5']),
    ([2**40], ['Argument 1 (io_priority)', 'gint32', '1099511627776']),
    ([None], ['Argument 1 (io_priority)', 'gint32', 'NULL']),
    ([True], ['Argument 1 (io_priority)', 'gint32', 'gboolean TRUE']),
    ([b'x'], ['Argument 1 (io_priority)', 'gint32', 'GBytes']),
])
def test_bad_arguments(runner, tmpdir_path, args, parts):
    """INVALID_ARGUMENT naming the argument, its type and what was given;
    nothing is called: the directory is not made."""
    made = Gio.File.new_for_path(os.path.join(tmpdir_path, 'made'))
    with pytest.raises(GLib.Error) as info:
        runner.call_method_sync(made, 'make_directory', args)
    assert io_error(info.value, Gio.IOErrorEnum.INVALID_ARGUMENT)
    for part in parts:
        assert part in info.value.message
    assert not made.query_exists(None)


def test_bad_object_and_flags(runner, tmpdir_path):
    """An object of the wrong type, None for a non-nullable object, flags
    out of range, a strv for a string."""
    d = Gio.File.new_for_path(tmpdir_path)
    client = Gio.SocketClient()
    cases = [
        (client, 'connect_async', [Gio.Cancellable()],
         ['Argument 1 (connectable)', 'GCancellable object']),
        (client, 'connect_async', [None], ['Argument 1 (connectable)', 'NULL']),
        (d, 'enumerate_children', ['standard::name', 1 << 20, 0],
         ['Argument 2 (flags)', 'Gio.FileQueryInfoFlags']),
        (d, 'enumerate_children', [['a', 'b'], 0, 0], ['Argument 1 (attributes)', 'GStrv']),
    ]
    for obj, method, args, parts in cases:
        with pytest.raises(GLib.Error) as info:
            runner.call_method_sync(obj, method, args)
        assert io_error(info.value, Gio.IOErrorEnum.INVALID_ARGUMENT)
        for part in parts:
            assert part in info.value.message


def test_not_found(runner):
    """What was looked up is named."""
    f = Gio.File.new_for_path('/')
    with pytest.raises(GLib.Error) as info:
        runner.call_method_sync(f, 'frobnicate')
    assert io_error(info.value, Gio.IOErrorEnum.NOT_FOUND)
    assert 'frobnicate and frobnicate_async' in info.value.message
    with pytest.raises(GLib.Error) as info:
        runner.call_function_sync('Gio', 'NoSuchType.frob')
    assert 'Gio has no type NoSuchType' in info.value.message


def test_after_shutdown_closed():
    """After shutdown, calls fail with CLOSED."""
    r = AsyncRunner.Runner.new()
    r.shutdown()
    with pytest.raises(GLib.Error) as info:
        r.call_method_sync(Gio.File.new_for_path('/'), 'query_info', ['standard::name', 0, 0])
    assert io_error(info.value, Gio.IOErrorEnum.CLOSED)


def test_values_are_gobject_values_when_given(runner):
    """GObject.Value arguments go through as they are."""
    f = Gio.File.new_for_path(os.path.abspath(__file__))
    (info,) = runner.call_method_sync(
        f, 'query_info_async',
        [GObject.Value(GObject.TYPE_STRING, 'standard::size'),
         GObject.Value(Gio.FileQueryInfoFlags, Gio.FileQueryInfoFlags.NONE),
         GObject.Value(GObject.TYPE_INT64, 0)])
    assert info.get_size() == os.path.getsize(os.path.abspath(__file__))


def test_read_line_loop_ends(runner):
    """A by-name read loop ends: read_line_finish's NULL at the end of the
    stream comes back as None, not as empty bytes (an empty line); the
    length, a gsize, is an int on every platform."""
    memory = Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(b'one\n\nthree\n'))
    stream = Gio.DataInputStream.new(memory)
    lines = []
    for _ in range(10):
        line, length = runner.call_method_sync(stream, 'read_line_async', [GLib.PRIORITY_DEFAULT])
        if line is None:
            break
        assert isinstance(length, int)
        lines.append(bytes(line.get_data()).decode())
    assert lines == ['one', '', 'three']


def test_method_as_function_refused(runner):
    """A method given as a function fails at once, saying to call it as a
    method, instead of calling it with a NULL instance."""
    with pytest.raises(GLib.Error) as info:
        runner.call_function_sync('Gio', 'File.load_contents_async', [], None)
    assert info.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.INVALID_ARGUMENT)
    assert 'call_method_sync' in info.value.message
