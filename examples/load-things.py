#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Synchronous GIO calls from a main loop callback, in Python.

The main thread runs a GLib main loop, as a GTK application does. From a
callback on that loop, this script loads a file, resolves "localhost",
reads the output of a subprocess and writes a temporary file (this last one
by name, as JavaScript does): each with a GIO asynchronous method, called
synchronously through the default AsyncRunner. Each call blocks the
callback until its result is there; meanwhile the main loop is not
iterated, so no other handler of the application runs behind its back.

Usage: load-things.py [FILE]   (FILE defaults to /etc/os-release)
"""

import sys

import gi

gi.require_version('AsyncRunner', '1')
gi.require_version('Gio', '2.0')

from gi.repository import AsyncRunner, Gio, GLib  # noqa: E402


def load_file(path):
    f = Gio.File.new_for_path(path)
    # AsyncRunner.call() returns what load_contents_finish() returns.
    ok, contents, etag = AsyncRunner.call(f.load_contents_async)
    first_line = contents.split(b'\n', 1)[0].decode('utf-8', 'replace')
    print('%s: %d bytes, starting with "%s"' % (path, len(contents), first_line))


def resolve_localhost():
    resolver = Gio.Resolver.get_default()
    addresses = AsyncRunner.call(resolver.lookup_by_name_async, 'localhost', timeout=10)
    print('localhost:', ' '.join(a.to_string() for a in addresses))


def read_subprocess():
    process = Gio.Subprocess.new(['echo', 'hello'], Gio.SubprocessFlags.STDOUT_PIPE)
    ok, stdout, stderr = AsyncRunner.call(process.communicate_utf8_async, None)
    print('echo hello:', stdout, end='')


def write_temp_file():
    # By name, as from any language (the raw functions that JavaScript uses):
    # call_function_sync() and call_method_sync() return the finish
    # function's values as a list.
    runner = AsyncRunner.Runner.get_default()
    if hasattr(Gio.File, 'new_tmp_async'):
        tmp, stream = runner.call_function_sync(
            "Gio", "File.new_tmp_async", ["load-things-XXXXXX.txt", GLib.PRIORITY_DEFAULT], None)
    else:   # GLib < 2.74 has no Gio.File.new_tmp_async
        tmp, stream = Gio.File.new_tmp("load-things-XXXXXX.txt")
    try:
        ok, written = runner.call_method_sync(
            stream.get_output_stream(), "write_all_async", [b"written by name\n", GLib.PRIORITY_DEFAULT], None)
        runner.call_method_sync(stream, "close_async", [GLib.PRIORITY_DEFAULT], None)
        ok, contents, etag = runner.call_method_sync(tmp, "load_contents_async", [], None)
        print('%s: %d bytes written, %d read back' % (tmp.get_basename(), written, contents.get_size()))
    finally:
        tmp.delete(None)


def main(argv):
    path = argv[1] if len(argv) > 1 else '/etc/os-release'
    loop = GLib.MainLoop()
    status = 1

    # A main loop callback, as a button's "clicked" handler would be.
    def load_things():
        nonlocal status
        try:
            load_file(path)
            resolve_localhost()
            read_subprocess()
            write_temp_file()
            status = 0
        except GLib.Error as error:
            print('load-things.py:', error.message, file=sys.stderr)
        finally:
            loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.idle_add(load_things)
    loop.run()
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv))
