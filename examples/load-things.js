// SPDX-License-Identifier: LGPL-2.1-or-later
//
// load-things.js: synchronous GIO calls from a main loop callback, in
// JavaScript (GJS).
//
// The main thread runs a GLib main loop, as a GTK application does. From a
// callback on that loop, this script loads a file, resolves "localhost",
// reads the output of a subprocess and writes a temporary file: each with
// a GIO asynchronous method, called synchronously through the default
// AsyncRunner by name. No JavaScript runs on the runner thread: the runner
// calls the `_async` method and its `_finish` itself. Each call blocks the
// callback until its result is there; meanwhile the main loop is not
// iterated, so no other handler of the application runs behind its back.
//
// Usage: gjs -m load-things.js [FILE]   (FILE defaults to /etc/os-release)

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import AsyncRunner from 'gi://AsyncRunner?version=1';
import System from 'system';

const runner = AsyncRunner.Runner.get_default();

function loadFile(path) {
    const file = Gio.File.new_for_path(path);
    const [ok, contents] = runner.call_method_sync(file, 'load_contents_async', [], null);
    const text = new TextDecoder().decode(contents.toArray());
    print(`${path}: ${contents.get_size()} bytes, starting with "${text.split('\n')[0]}" (${ok})`);
}

function resolveLocalhost() {
    const resolver = Gio.Resolver.get_default();
    // A list of objects comes as a Gio.ListModel, which JS iterates.
    const [addresses] = runner.call_method_sync(resolver, 'lookup_by_name_async',
        ['localhost'], null);
    print(`localhost: ${[...addresses].map(a => a.to_string()).join(' ')}`);
}

function readSubprocess() {
    const process = Gio.Subprocess.new(['echo', 'hello'], Gio.SubprocessFlags.STDOUT_PIPE);
    const [, stdout] = runner.call_method_sync(process, 'communicate_utf8_async', [null], null);
    print(`echo hello: ${stdout.trimEnd()}`);
}

function writeTempFile() {
    // A static function: namespace, then Type.function.
    const [tmp, stream] = runner.call_function_sync('Gio', 'File.new_tmp_async',
        ['load-things-XXXXXX.txt', GLib.PRIORITY_DEFAULT], null);
    try {
        const bytes = new GLib.Bytes(new TextEncoder().encode('written by name\n'));
        const [, written] = runner.call_method_sync(stream.get_output_stream(),
            'write_all_async', [bytes, GLib.PRIORITY_DEFAULT], null);
        runner.call_method_sync(stream, 'close_async', [GLib.PRIORITY_DEFAULT], null);
        print(`${tmp.get_basename()}: ${written} bytes written`);
    } finally {
        tmp.delete(null);
    }
}

const path = ARGV[0] ?? '/etc/os-release';
const loop = new GLib.MainLoop(null, false);
let status = 1;

// A main loop callback, as a button's "clicked" handler would be.
GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
    try {
        loadFile(path);
        resolveLocalhost();
        readSubprocess();
        writeTempFile();
        status = 0;
    } catch (e) {
        printerr(`load-things.js: ${e.message}`);
    } finally {
        loop.quit();
    }
    return GLib.SOURCE_REMOVE;
});

loop.run();
System.exit(status);
