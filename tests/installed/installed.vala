// SPDX-License-Identifier: LGPL-2.1-or-later
// Compiled against the installed VAPI.
int main () {
    var runner = AsyncRunner.Runner.get_default ();
    var file = File.new_for_path ("/etc/os-release");
    try {
        var result = runner.call_sync ((r, cancellable, callback) => {
            file.load_contents_async.begin (cancellable, callback);
            return true;
        });
        uint8[] contents;
        file.load_contents_async.end (result, out contents, null);
        assert ("ID=" in (string) contents);

        Value value;
        runner.run_sync ((r, task) => {
            var v = Value (typeof (int));
            v.set_int (42);
            task.return_value (v);
            return true;
        }, null, out value);
        assert (value.get_int () == 42);
    } catch (Error e) {
        error ("%s", e.message);
    }
    print ("installed Vala program: OK\n");
    return 0;
}
