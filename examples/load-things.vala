/* load-things.vala: synchronous GIO calls from a main loop callback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The main thread runs a MainLoop, as a GTK application does. From a
 * callback on that loop, this program loads a file, resolves "localhost"
 * and reads the output of a subprocess: each with a GIO async method,
 * called synchronously through the default AsyncRunner. Each call blocks
 * the callback until its result is there; meanwhile the main loop is not
 * iterated, so no other handler of the application runs behind its back.
 *
 * Usage: load-things-vala [FILE]   (FILE defaults to /etc/os-release)
 */

/* call_sync() runs the lambda on the runner thread, where it begins one
 * async method with the runner's cancellable and callback; the method's
 * .end() then runs here, on the calling thread. */

/* load_bytes_async(), not load_contents_async(): GIO's VAPI gives
 * load_contents_finish() a uint8[] where its C takes a char **, which the
 * C compiler warns about (harmless: the same bytes, a pointer of another
 * signedness). A GLib.Bytes comes without the warning. */
void load_file (string path) throws Error {
    var file = File.new_for_path (path);
    var result = AsyncRunner.Runner.get_default ().call_sync ((runner, cancellable, callback) => {
        file.load_bytes_async.begin (cancellable, callback);
        return true;
    });

    Bytes contents = file.load_bytes_async.end (result, null);
    var first_line = new DataInputStream (new MemoryInputStream.from_bytes (contents)).read_line ();
    print ("%s: %d bytes, starting with \"%s\"\n",
           path, (int) contents.get_size (), first_line ?? "");
}

void resolve_localhost () throws Error {
    var resolver = Resolver.get_default ();
    var result = AsyncRunner.Runner.get_default ().call_sync ((runner, cancellable, callback) => {
        resolver.lookup_by_name_async.begin ("localhost", cancellable, callback);
        return true;
    });

    print ("localhost:");
    foreach (var address in resolver.lookup_by_name_async.end (result))
        print (" %s", address.to_string ());
    print ("\n");
}

void read_subprocess () throws Error {
    var process = new Subprocess (SubprocessFlags.STDOUT_PIPE, "echo", "hello");
    var result = AsyncRunner.Runner.get_default ().call_sync ((runner, cancellable, callback) => {
        process.communicate_utf8_async.begin (null, cancellable, callback);
        return true;
    });

    string output;
    process.communicate_utf8_async.end (result, out output, null);
    print ("echo hello: %s", output);
}

int main (string[] args) {
    var loop = new MainLoop ();
    var path = args.length > 1 ? args[1] : "/etc/os-release";
    int status = 1;

    /* A main loop callback, as a button's "clicked" handler would be. */
    Idle.add (() => {
        try {
            load_file (path);
            resolve_localhost ();
            read_subprocess ();
            status = 0;
        } catch (Error e) {
            printerr ("load-things-vala: %s\n", e.message);
        }
        loop.quit ();
        return Source.REMOVE;
    });
    loop.run ();

    return status;
}
