// SPDX-License-Identifier: LGPL-2.1-or-later
//
// load-things.ts: examples/load-things.js in TypeScript, type-checked
// against the definitions that ts-for-gir generates from AsyncRunner-1.gir
// (see README.md, "TypeScript"). tsc compiles it to an ES module that
// `gjs -m` runs.
//
// A call by name returns the finish function's values as unknown[]: the
// caller states their types, here with a tuple.
//
// Usage: gjs -m out/load-things.js [FILE]   (FILE defaults to /etc/os-release)

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import AsyncRunner from 'gi://AsyncRunner?version=1';
import System from 'system';

const runner = AsyncRunner.Runner.get_default();

function loadFile(path: string): void {
    const file = Gio.File.new_for_path(path);
    const [ok, contents] = runner.call_method_sync(file, 'load_contents_async', [], null) as
        [boolean, GLib.Bytes];
    const text = new TextDecoder().decode(contents.toArray());
    print(`${path}: ${contents.get_size()} bytes, starting with "${text.split('\n')[0]}" (${ok})`);
}

function resolveLocalhost(): void {
    const resolver = Gio.Resolver.get_default();
    // A list of objects comes as a Gio.ListModel.
    const [addresses] = runner.call_method_sync(resolver, 'lookup_by_name_async',
        ['localhost'], null) as [Gio.ListModel<Gio.InetAddress>];
    const names: string[] = [];
    for (let i = 0; i < addresses.get_n_items(); i++)
        names.push(addresses.get_item(i)!.to_string());
    print(`localhost: ${names.join(' ')}`);
}

function readSubprocess(): void {
    const process = Gio.Subprocess.new(['echo', 'hello'], Gio.SubprocessFlags.STDOUT_PIPE);
    const [, stdout] = runner.call_method_sync(process, 'communicate_utf8_async', [null], null) as
        [boolean, string, string | null];
    print(`echo hello: ${stdout.trimEnd()}`);
}

function writeTempFile(): void {
    // A static function: namespace, then Type.function.
    const [tmp, stream] = runner.call_function_sync('Gio', 'File.new_tmp_async',
        ['load-things-XXXXXX.txt', GLib.PRIORITY_DEFAULT], null) as [Gio.File, Gio.FileIOStream];
    try {
        const bytes = new GLib.Bytes(new TextEncoder().encode('written by name\n'));
        const [, written] = runner.call_method_sync(stream.get_output_stream(),
            'write_all_async', [bytes, GLib.PRIORITY_DEFAULT], null) as [boolean, number];
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
        printerr(`load-things.ts: ${e instanceof Error ? e.message : e}`);
    } finally {
        loop.quit();
    }
    return GLib.SOURCE_REMOVE;
});

loop.run();
System.exit(status);
