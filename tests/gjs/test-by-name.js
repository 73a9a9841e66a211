// SPDX-License-Identifier: LGPL-2.1-or-later
//
// test-by-name.js: call_method_sync() and call_function_sync() from GJS.
// Run with `gjs -m test-by-name.js`; prints TAP and exits non-zero if a
// test fails.
//
// These are JavaScript's way in: no JS function runs on the runner thread
// (GJS >= 1.81.90 would abort if one did), the runner calls the `_async`
// function and its `_finish` itself. Real Gio operations, as a JS user
// would write them.
//
// Nothing here can hang for long: every call goes through a runner whose
// `timeout` property is set, and the meson test has a timeout. The private
// dbus-daemon dies with this process (setpriv --pdeathsig) and is stopped
// at the end of its test in any case.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import AsyncRunner from 'gi://AsyncRunner?version=1';
import System from 'system';
import {Tests, assert, assertEqual, errorToString, skip} from './tap.js';

const runner = new AsyncRunner.Runner({timeout: 20000});

const tests = new Tests('/AsyncRunner/GJS/ByName');
const test = tests.add.bind(tests);

// Calls fn() and checks that it throws a GLib.Error of Gio.IOErrorEnum with
// @code whose message contains each of @parts. Returns the error.
function assertIOError(fn, code, message, parts = []) {
    let error = null;
    try {
        fn();
    } catch (e) {
        error = e;
    }
    if (error === null)
        throw new Error(`${message}: did not throw`);
    if (!(error instanceof GLib.Error))
        throw new Error(`${message}: expected a GLib.Error, got ${errorToString(error)}`);
    if (!error.matches(Gio.IOErrorEnum, code))
        throw new Error(`${message}: expected Gio.IOErrorEnum ${code}, got ${errorToString(error)}`);
    for (const part of parts) {
        if (!error.message.includes(part))
            throw new Error(`${message}: "${part}" not in "${error.message}"`);
    }
    return error;
}

function thisFile() {
    return Gio.File.new_for_uri(import.meta.url);
}

function makeTempDir() {
    return Gio.File.new_for_path(GLib.dir_make_tmp('test-by-name-XXXXXX'));
}

function removeTree(dir) {
    const enumerator = dir.enumerate_children('standard::name,standard::type',
        Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    let info;
    while ((info = enumerator.next_file(null)) !== null) {
        const child = dir.get_child(info.get_name());
        if (info.get_file_type() === Gio.FileType.DIRECTORY)
            removeTree(child);
        else
            child.delete(null);
    }
    enumerator.close(null);
    dir.delete(null);
}

// A file's contents come back as [ok, GLib.Bytes, etag], equal to what the
// blocking call reads; a name without `_async` finds the async method.
test('load-contents', () => {
    const file = thisFile();
    const [, expected] = file.load_contents(null);

    const [ok, contents, etag] = runner.call_method_sync(file, 'load_contents_async', [], null);
    assertEqual(ok, true, 'load_contents_finish returned TRUE');
    assert(contents instanceof GLib.Bytes, 'the contents are a GLib.Bytes');
    assertEqual(new TextDecoder().decode(contents.toArray()),
        new TextDecoder().decode(expected), 'the contents');
    assertEqual(typeof etag, 'string', 'the etag is a string');

    const values = runner.call_method_sync(file, 'load_contents', [], null);
    assertEqual(values.length, 3, 'three values without _async too');
    assertEqual(values[1].get_size(), expected.length, 'the same length');
});

// A directory is listed: an enumerator, then a Gio.ListModel of
// Gio.FileInfo that JS iterates and indexes.
test('enumerate', () => {
    const dir = makeTempDir();
    try {
        for (const name of ['a', 'b', 'c'])
            dir.get_child(name).replace_contents(name, null, false, Gio.FileCreateFlags.NONE, null);

        const [enumerator] = runner.call_method_sync(dir, 'enumerate_children_async',
            ['standard::name', Gio.FileQueryInfoFlags.NONE, GLib.PRIORITY_DEFAULT], null);
        assert(enumerator instanceof Gio.FileEnumerator, 'an enumerator');

        const [infos] = runner.call_method_sync(enumerator, 'next_files_async',
            [10, GLib.PRIORITY_DEFAULT], null);
        assert(infos instanceof Gio.ListModel, 'a Gio.ListModel');
        assertEqual(infos.get_n_items(), 3, 'three items');
        assert(infos.get_item(0) instanceof Gio.FileInfo, 'of Gio.FileInfo');
        const names = [];
        for (const info of infos)
            names.push(info.get_name());
        assertEqual(names.sort().join(), 'a,b,c', 'the names, by for...of');
        assertEqual([...infos].length, 3, 'spread into an array');

        const [rest] = runner.call_method_sync(enumerator, 'next_files', [10, 0], null);
        assertEqual(rest.get_n_items(), 0, 'the end: an empty list');
        const [closed] = runner.call_method_sync(enumerator, 'close', [0], null);
        assertEqual(closed, true, 'closed');
    } finally {
        removeTree(dir);
    }
});

// A subprocess's output is read with communicate_utf8: [ok, stdout, stderr].
test('communicate', () => {
    const proc = Gio.Subprocess.new(['cat'],
        Gio.SubprocessFlags.STDIN_PIPE | Gio.SubprocessFlags.STDOUT_PIPE);
    const [ok, stdout, stderr] = runner.call_method_sync(proc, 'communicate_utf8_async',
        ['hello from JS\n'], null);
    assertEqual(ok, true, 'communicate_utf8_finish returned TRUE');
    assertEqual(stdout, 'hello from JS\n', 'stdout');
    assertEqual(stderr, null, 'no stderr pipe');
});

// localhost resolves to loopback addresses, in a Gio.ListModel.
test('resolver', () => {
    const [addresses] = runner.call_method_sync(Gio.Resolver.get_default(),
        'lookup_by_name_async', ['localhost'], null);
    assert(addresses.get_n_items() >= 1, 'at least one address');
    for (const address of addresses) {
        assert(address instanceof Gio.InetAddress, 'an InetAddress');
        assert(address.get_is_loopback(), `${address.to_string()} is loopback`);
    }
});

// A static function with two out values: File.new_tmp gives [file, stream].
test('new-tmp', () => {
    if (!Gio.File.new_tmp_async)
        skip('Gio.File.new_tmp_async is GLib 2.74');
    const [file, stream] = runner.call_function_sync('Gio', 'File.new_tmp_async',
        ['test-by-name-XXXXXX.txt', GLib.PRIORITY_DEFAULT], null);
    assert(file instanceof Gio.File, 'a Gio.File');
    assert(stream instanceof Gio.FileIOStream, 'a Gio.FileIOStream');
    assert(file.query_exists(null), 'the file exists');
    stream.close(null);
    file.delete(null);
});

// A private dbus-daemon: a connection made by a static constructor, a
// method call returning a GLib.Variant, a D-Bus error coming through, an
// object manager made with NULL for its other callback.
test('dbus-call', () => {
    const daemon = Gio.Subprocess.new(
        ['setpriv', '--pdeathsig', 'KILL', 'dbus-daemon', '--session', '--nofork', '--print-address=1'],
        Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_SILENCE);
    let connection = null;
    try {
        const out = new Gio.DataInputStream({base_stream: daemon.get_stdout_pipe()});
        const [address] = out.read_line_utf8(null);
        assert(address, 'the daemon printed its address');

        [connection] = runner.call_function_sync('Gio', 'DBusConnection.new_for_address', [
            address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
                Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
            null,
        ], null);
        assert(connection instanceof Gio.DBusConnection, 'a connection');

        const args = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
            'GetId', null, new GLib.VariantType('(s)'), Gio.DBusCallFlags.NONE, -1];
        const [reply] = runner.call_method_sync(connection, 'call', args, null);
        assert(reply instanceof GLib.Variant, 'a GLib.Variant');
        const [id] = reply.deepUnpack();
        assertEqual(id.length, 32, 'the bus id');

        args[3] = 'NoSuchMethod';
        let error = null;
        try {
            runner.call_method_sync(connection, 'call', args, null);
        } catch (e) {
            error = e;
        }
        assert(error instanceof GLib.Error &&
            error.matches(Gio.DBusError, Gio.DBusError.UNKNOWN_METHOD),
        `UNKNOWN_METHOD, got ${errorToString(error)}`);

        // Another callback (get_proxy_type_func, nullable) is passed NULL.
        const [manager] = runner.call_function_sync('Gio', 'DBusObjectManagerClient.new', [
            connection, Gio.DBusObjectManagerClientFlags.DO_NOT_AUTO_START,
            'org.example.Nobody', '/org/example/Nobody',
        ], null);
        assert(manager instanceof Gio.DBusObjectManagerClient, 'an object manager');
        assertEqual(manager.get_name_owner(), null, 'nobody owns the name');

        // A namespace function: [Gio.IOStream, guid].
        const [stream, guid] = runner.call_function_sync('Gio', 'dbus_address_get_stream',
            [address], null);
        assert(stream instanceof Gio.IOStream, 'a stream');
        assertEqual(typeof guid, 'string', 'the guid');
        stream.close(null);
    } finally {
        connection?.close_sync(null);
        daemon.force_exit();
        daemon.wait(null);
    }
});

// The finish function's error comes through unchanged.
test('missing-file', () => {
    const file = Gio.File.new_for_path('/nonexistent/test-by-name');
    let expected = null;
    try {
        file.load_contents(null);
    } catch (e) {
        expected = e;
    }
    const error = assertIOError(
        () => runner.call_method_sync(file, 'load_contents_async', [], null),
        Gio.IOErrorEnum.NOT_FOUND, 'a missing file');
    assertEqual(error.message, expected.message, 'the same message');
});

// A cancelled call fails with CANCELLED and starts nothing.
test('cancelled', () => {
    const dir = makeTempDir();
    try {
        const made = dir.get_child('made');
        const cancellable = new Gio.Cancellable();
        cancellable.cancel();
        assertIOError(() => runner.call_method_sync(made, 'make_directory', [0], cancellable),
            Gio.IOErrorEnum.CANCELLED, 'cancelled');
        assert(!made.query_exists(null), 'nothing was made');
    } finally {
        removeTree(dir);
    }
});

// A call that outlives the runner's timeout fails with TIMED_OUT.
test('timed-out', () => {
    const own = new AsyncRunner.Runner({timeout: 50});
    const cat = Gio.Subprocess.new(['cat'], Gio.SubprocessFlags.STDIN_PIPE);
    try {
        assertIOError(() => own.call_method_sync(cat, 'wait_async', [], null),
            Gio.IOErrorEnum.TIMED_OUT, 'timed out');
    } finally {
        cat.force_exit();
        cat.wait(null);
        own.shutdown();
    }
});

// After shutdown, calls fail with CLOSED.
test('shutdown', () => {
    const own = new AsyncRunner.Runner();
    own.shutdown();
    assertIOError(() => own.call_method_sync(thisFile(), 'load_contents', [], null),
        Gio.IOErrorEnum.CLOSED, 'after shutdown');
});

// The JS main loop is not iterated during a call: an idle source added
// before it runs only when the loop is.
test('main-loop-not-iterated', () => {
    let ran = false;
    const id = GLib.idle_add(GLib.PRIORITY_HIGH, () => {
        ran = true;
        return GLib.SOURCE_REMOVE;
    });
    try {
        runner.call_method_sync(thisFile(), 'load_contents', [], null);
        if (Gio.File.new_tmp_async)    // GLib >= 2.74
            runner.call_function_sync('Gio', 'File.new_tmp', ['x-XXXXXX', 0], null)[0].delete(null);
        assertEqual(ran, false, 'the idle did not run during the calls');
        const context = GLib.MainContext.default();
        while (!ran)
            context.iteration(true);
    } finally {
        if (!ran)
            GLib.source_remove(id);
    }
});

// Bad input fails with INVALID_ARGUMENT naming the argument, its type and
// what was given, and calls nothing: the directory is not made.
test('bad-arguments', () => {
    const dir = makeTempDir();
    try {
        const made = dir.get_child('made');
        const cases = [
            [[], ['make_directory_async', '1 argument', 'io_priority (gint32)', '0 given']],
            [[0, 0], ['make_directory_async', '2 given']],
            [['high'], ['Argument 1 (io_priority)', 'expects gint32', '"high"']],
            [[1.5], ['Argument 1 (io_priority)', 'gint32', '1.5']],
            [[2 ** 40], ['Argument 1 (io_priority)', 'gint32']],
            [[null], ['Argument 1 (io_priority)', 'gint32', 'NULL']],
            [[true], ['Argument 1 (io_priority)', 'gint32', 'gboolean TRUE']],
            [[made], ['Argument 1 (io_priority)', 'gint32', 'object']],
        ];
        for (const [args, parts] of cases) {
            assertIOError(() => runner.call_method_sync(made, 'make_directory', args, null),
                Gio.IOErrorEnum.INVALID_ARGUMENT, `make_directory(${args})`, parts);
            assert(!made.query_exists(null), `nothing was made by make_directory(${args})`);
        }

        const client = new Gio.SocketClient();
        assertIOError(() => runner.call_method_sync(client, 'connect_async',
            [new Gio.Cancellable()], null),
        Gio.IOErrorEnum.INVALID_ARGUMENT, 'an object of the wrong type',
        ['Argument 1 (connectable)', 'expects Gio.SocketConnectable', 'GCancellable object']);
        assertIOError(() => runner.call_method_sync(client, 'connect_async', [null], null),
            Gio.IOErrorEnum.INVALID_ARGUMENT, 'NULL for a non-nullable object',
            ['Argument 1 (connectable)', 'NULL']);
        assertIOError(() => runner.call_method_sync(dir, 'enumerate_children_async',
            ['standard::name', 1 << 20, 0], null),
        Gio.IOErrorEnum.INVALID_ARGUMENT, 'flags out of range',
        ['Argument 2 (flags)', 'Gio.FileQueryInfoFlags']);
        // (A JS array among the arguments crashes GJS 1.74 itself, in its
        // conversion to GValue: not tested.)
        assertIOError(() => runner.call_method_sync(dir, 'enumerate_children',
            [new GLib.Variant('s', 'a'), 0, 0], null),
        Gio.IOErrorEnum.INVALID_ARGUMENT, 'a GLib.Variant for a string',
        ['Argument 1 (attributes)', 'expects string', "GVariant 'a'"]);
    } finally {
        removeTree(dir);
    }
});

// Names that do not exist fail with NOT_FOUND saying what was looked up.
test('not-found', () => {
    assertIOError(() => runner.call_method_sync(thisFile(), 'frobnicate', [], null),
        Gio.IOErrorEnum.NOT_FOUND, 'a missing method', ['frobnicate and frobnicate_async']);
    assertIOError(() => runner.call_method_sync(thisFile(), 'get_path', [], null),
        Gio.IOErrorEnum.NOT_FOUND, 'a synchronous method', ['get_path and get_path_async']);
    assertIOError(() => runner.call_function_sync('NoSuchNamespace', 'frob', [], null),
        Gio.IOErrorEnum.NOT_FOUND, 'a missing namespace', ['NoSuchNamespace']);
    assertIOError(() => runner.call_function_sync('Gio', 'NoSuchType.frob', [], null),
        Gio.IOErrorEnum.NOT_FOUND, 'a missing type', ['Gio has no type NoSuchType']);
    assertIOError(() => runner.call_method_sync(thisFile(), 'load_content_async', [], null),
        Gio.IOErrorEnum.NOT_FOUND, 'a misspelt method, on the type a user knows',
        ['on Gio.File (a GLocalFile)']);
});

// A by-name read loop ends: read_line_finish's NULL at the end of the
// stream comes back as null, not as an empty GLib.Bytes (which is an
// empty line). A gsize comes back as a number.
test('read-line-loop-ends', () => {
    const memory = Gio.MemoryInputStream.new_from_bytes(new GLib.Bytes('one\n\nthree\n'));
    const stream = Gio.DataInputStream.new(memory);
    const lines = [];
    for (let i = 0; i < 10; i++) {
        const [line, length] = runner.call_method_sync(stream, 'read_line_async',
            [GLib.PRIORITY_DEFAULT], null);
        if (line === null)
            break;
        assertEqual(typeof length, 'number', 'the length is a number');
        lines.push(new TextDecoder().decode(line.toArray()));
    }
    assertEqual(JSON.stringify(lines), JSON.stringify(['one', '', 'three']), 'the lines');
});

// A method given as a function fails at once, saying to call it as a method.
test('method-as-function', () => {
    assertIOError(() => runner.call_function_sync('Gio', 'File.load_contents_async', [], null),
        Gio.IOErrorEnum.INVALID_ARGUMENT, 'a method as a function',
        ['Gio.File.load_contents_async is a method', 'call_method_sync']);
});

// ArTest (tests/artest/, when the build has it): JavaScript numbers, which
// are doubles, into 64-bit, pointer-sized, float and character arguments
// and back; a number that does not fit is refused, naming its argument.
const haveArTest = (GLib.getenv('GI_TYPELIB_PATH') ?? '').includes('artest');
if (haveArTest) {
    test('numbers', () => {
        const [i64, u64, d, f, c, size, ssize] = runner.call_function_sync('ArTest-1.0',
            'numbers', [-(2 ** 40), 2 ** 52, 0.1, 1.5, 0x1F600, 4096, -4096], null);
        assertEqual(i64, -(2 ** 40), 'a gint64');
        assertEqual(u64, 2 ** 52, 'a guint64');
        assertEqual(d, 0.1, 'a gdouble');
        assertEqual(f, 1.5, 'a gfloat');
        assertEqual(c, 0x1F600, 'a gunichar');
        assertEqual(size, 4096, 'a gsize');
        assertEqual(ssize, -4096, 'a gssize');
        const [half] = runner.call_function_sync('ArTest-1.0', 'halve', [3], null);
        assertEqual(half, 1.5, 'a gdouble return');

        assertIOError(() => runner.call_function_sync('ArTest-1.0', 'numbers',
            [0, 0, 0, 1e300, 65, 0, 0], null),
        Gio.IOErrorEnum.INVALID_ARGUMENT, 'a gfloat out of range', ['Argument 4 (f)']);
        assertIOError(() => runner.call_function_sync('ArTest-1.0', 'numbers',
            [0, 0, 0, 1, 0xFFFFFFFF, 0, 0], null),
        Gio.IOErrorEnum.INVALID_ARGUMENT, 'no character', ['Argument 5 (c)']);
        assertIOError(() => runner.call_function_sync('ArTest-1.0', 'numbers',
            [0, -1, 0, 1, 65, 0, 0], null),
        Gio.IOErrorEnum.INVALID_ARGUMENT, 'a negative guint64', ['Argument 2 (u64)']);
    });
}

const failures = tests.run();

runner.shutdown();
System.exit(failures > 0 ? 1 : 0);
