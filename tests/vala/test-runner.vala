/* test-runner.vala: AsyncRunner from Vala, through the generated VAPI
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Checks are plain assert (), which prints the failed expression: Vala 0.48
 * (Debian 11, the oldest supported stack) has no GLib.assert_cmp* yet.
 */

errordomain TestError {
    BOOM
}

/* A one-shot gate between threads. wait() gives up after a deadline, so a
 * bug fails the test instead of hanging it. */
class Latch {
    Mutex mutex = Mutex ();
    Cond cond = Cond ();
    bool opened = false;

    public void open () {
        mutex.lock ();
        opened = true;
        cond.broadcast ();
        mutex.unlock ();
    }

    public bool wait () {
        int64 deadline = get_monotonic_time () + 30 * TimeSpan.SECOND;

        mutex.lock ();
        while (!opened && cond.wait_until (mutex, deadline)) {
        }
        bool result = opened;
        mutex.unlock ();

        return result;
    }
}

/* The path of this file in the source tree (G_TEST_SRCDIR is tests/). */
string source_path () {
    return Test.build_filename (Test.FileType.DIST, "vala", "test-runner.vala");
}

/* Loads @file synchronously on @runner with the real asynchronous API. */
string load_on (AsyncRunner.Runner runner, File file, Cancellable? cancellable = null) throws Error {
    AsyncResult result = runner.call_sync ((r, op_cancellable, callback) => {
        assert_true (r.is_runner_thread ());
        file.load_contents_async.begin (op_cancellable, callback);
        return true;
    }, cancellable);

    uint8[] contents;
    file.load_contents_async.end (result, out contents, null);

    return (string) contents;
}

/* A Vala async method: it yields once to the thread-default context, which
 * is the runner's when started from a runner function. */
async int add_later (AsyncRunner.Runner runner, int a, int b) {
    assert_true (runner.is_runner_thread ());
    assert_true (MainContext.get_thread_default () == runner.get_context ());

    var idle = new IdleSource ();
    idle.set_callback (add_later.callback);
    idle.attach (MainContext.get_thread_default ());
    yield;

    return a + b;
}

/* The stuck-call report names the call and the Idle.add trap; here it
 * cancels the call, which would otherwise never return. */
void test_idle_add_trap_reported () {
    var runner = new AsyncRunner.Runner ();
    var cancellable = new Cancellable ();
    var report_lock = Mutex ();
    string? report = null;

    runner.stuck_threshold = 50;
    /* The report is a warning: caught here, not fatal. */
    Test.log_set_fatal_handler ((domain, level, message) => {
        return !(domain == "AsyncRunner" && "has waited" in message);
    });
    var handler = Log.set_handler ("AsyncRunner", LogLevelFlags.LEVEL_WARNING | LogLevelFlags.FLAG_FATAL,
                                   (domain, level, message) => {
        report_lock.lock ();
        if (report == null && "Call idle trap," in message && "Idle.add()" in message) {
            report = message;
            cancellable.cancel ();
        }
        report_lock.unlock ();
    });

    try {
        /* The g_idle_add trap in Vala: Idle.add() goes to the global
         * default context, which nobody dispatches while the caller is
         * blocked. (An async method resumed by `Idle.add (m.callback);
         * yield;` falls into the same trap; it is not used here because a
         * coroutine that ends on another thread than its context's waits
         * for that context.) */
        runner.run_sync_full ("idle trap", 0, (r, task) => {
            Idle.add (() => {
                task.return_boolean (true);
                return Source.REMOVE;
            });
            return true;
        }, cancellable, null);
        assert_not_reached ();
    } catch (Error e) {
        assert_true (e is IOError.CANCELLED);
    }
    Log.remove_handler ("AsyncRunner", handler);

    report_lock.lock ();
    assert_nonnull (report);
    Test.message ("%s", report);
    report_lock.unlock ();

    /* Let the idle run: it completes the task of a call that has ended. */
    var global = MainContext.default ();
    assert_true (global.acquire ());
    while (global.iteration (false)) {
    }
    global.release ();
    runner.shutdown ();
}

void test_run_sync_value () {
    var runner = new AsyncRunner.Runner ();
    int answer = 41;
    Value value;

    try {
        assert_true (runner.run_sync ((r, task) => {
            assert_true (r == runner);
            assert_true (r.is_runner_thread ());
            assert_true (MainContext.get_thread_default () == r.get_context ());
            task.return_value (answer + 1);
            return true;
        }, null, out value));
    } catch (Error e) {
        error ("run_sync: %s", e.message);
    }

    assert_true (value.holds (typeof (int)));
    assert (value.get_int () == 42);
    try {
        runner.run_sync ((r, task) => {
            task.return_value ("a string");
            return true;
        }, null, out value);
    } catch (Error e) {
        error ("run_sync: %s", e.message);
    }
    assert (value.get_string () == "a string");
}

void test_run_sync_without_value () {
    var runner = new AsyncRunner.Runner ();
    bool ran = false;

    try {
        assert_true (runner.run_sync ((r, task) => {
            ran = true;
            task.return_boolean (true);
            return true;
        }, null, null));
    } catch (Error e) {
        error ("run_sync: %s", e.message);
    }
    assert_true (ran);
}

void test_run_sync_error () {
    var runner = new AsyncRunner.Runner ();

    try {
        runner.run_sync ((r, task) => {
            task.return_error (new TestError.BOOM ("kaboom %d", 7));
            return true;
        }, null, null);
        assert_not_reached ();
    } catch (TestError.BOOM e) {
        assert (e.message == "kaboom 7");
    } catch (Error e) {
        error ("wrong error: %s", e.message);
    }
}

void test_run_sync_not_started () {
    var runner = new AsyncRunner.Runner ();

    try {
        runner.run_sync ((r, task) => false, null, null);
        assert_not_reached ();
    } catch (IOError.FAILED e) {
    } catch (Error e) {
        error ("wrong error: %s", e.message);
    }
}

void test_call_sync_load_contents () {
    var runner = new AsyncRunner.Runner ();
    var path = source_path ();
    string expected;

    try {
        FileUtils.get_contents (path, out expected);
        assert (load_on (runner, File.new_for_path (path)) == expected);
    } catch (Error e) {
        error ("%s", e.message);
    }
}

void test_call_sync_operation_error () {
    var runner = new AsyncRunner.Runner ();
    var file = File.new_for_path (Test.build_filename (Test.FileType.DIST, "vala", "no-such-file"));

    try {
        load_on (runner, file);
        assert_not_reached ();
    } catch (IOError.NOT_FOUND e) {
    } catch (Error e) {
        error ("wrong error: %s", e.message);
    }
}

void test_call_sync_vala_async () {
    var runner = new AsyncRunner.Runner ();

    try {
        AsyncResult result = runner.call_sync ((r, cancellable, callback) => {
            add_later.begin (r, 40, 2, callback);
            return true;
        });
        assert (add_later.end (result) == 42);
    } catch (Error e) {
        error ("call_sync: %s", e.message);
    }
}

void test_call_sync_not_started () {
    var runner = new AsyncRunner.Runner ();

    try {
        runner.call_sync ((r, cancellable, callback) => false);
        assert_not_reached ();
    } catch (IOError.FAILED e) {
    } catch (Error e) {
        error ("wrong error: %s", e.message);
    }
}

void test_cancel_from_other_thread () {
    var runner = new AsyncRunner.Runner ();
    var cancellable = new Cancellable ();
    var started = new Latch ();
    Task? held = null;

    /* Cancels once the function has taken the task. */
    var canceller = new Thread<bool> ("canceller", () => {
        if (!started.wait ())
            return false;
        cancellable.cancel ();
        return true;
    });

    try {
        /* The function keeps the task and ignores cancellation. */
        runner.run_sync ((r, task) => {
            held = task;
            started.open ();
            return true;
        }, cancellable, null);
        assert_not_reached ();
    } catch (IOError.CANCELLED e) {
    } catch (Error e) {
        error ("wrong error: %s", e.message);
    }

    assert_true (canceller.join ());
    assert_nonnull (held);
    assert_true (held.get_cancellable ().is_cancelled ());

    /* A result that arrives late is dropped. */
    held.return_boolean (true);
    held = null;
}

void test_already_cancelled () {
    var runner = new AsyncRunner.Runner ();
    var cancellable = new Cancellable ();
    bool ran = false;

    cancellable.cancel ();
    try {
        runner.run_sync ((r, task) => {
            ran = true;
            return false;
        }, cancellable, null);
        assert_not_reached ();
    } catch (IOError.CANCELLED e) {
    } catch (Error e) {
        error ("wrong error: %s", e.message);
    }
    assert_false (ran);
}

void test_timeout () {
    var runner = new AsyncRunner.Runner ();
    Task? held = null;

    runner.timeout = 50;
    try {
        /* The function keeps the task and never completes it in time. */
        runner.run_sync ((r, task) => {
            held = task;
            return true;
        }, null, null);
        assert_not_reached ();
    } catch (IOError.TIMED_OUT e) {
    } catch (Error e) {
        error ("wrong error: %s", e.message);
    }

    assert_nonnull (held);
    assert_true (held.get_cancellable ().is_cancelled ());
    held.return_boolean (true);
    held = null;
}

void test_nested_call () {
    var runner = new AsyncRunner.Runner ();
    var path = source_path ();
    Value value;

    /* A call made on the runner thread itself iterates the runner's
     * context instead of deadlocking. */
    try {
        runner.run_sync ((r, task) => {
            try {
                task.return_value (load_on (r, File.new_for_path (path)).length);
            } catch (Error e) {
                task.return_error (e);
            }
            return true;
        }, null, out value);
    } catch (Error e) {
        error ("run_sync: %s", e.message);
    }

    string expected;
    try {
        FileUtils.get_contents (path, out expected);
    } catch (Error e) {
        error ("%s", e.message);
    }
    assert (value.get_int () == expected.length);
}

Thread<bool> start_caller (AsyncRunner.Runner runner, int id, int n_calls) {
    return new Thread<bool> ("caller", () => {
        for (int i = 0; i < n_calls; i++) {
            Value value;
            try {
                runner.run_sync ((r, task) => {
                    task.return_value (id * 1000 + i);
                    return true;
                }, null, out value);
            } catch (Error e) {
                return false;
            }
            if (value.get_int () != id * 1000 + i)
                return false;
        }
        return true;
    });
}

void test_many_threads () {
    var runner = AsyncRunner.Runner.get_default ();
    Thread<bool>[] threads = {};

    for (int id = 0; id < 4; id++)
        threads += start_caller (runner, id, 25);
    foreach (var thread in threads)
        assert_true (thread.join ());
}

void test_shutdown () {
    var runner = new AsyncRunner.Runner ();
    bool ran = false;

    runner.shutdown ();
    runner.shutdown ();

    try {
        runner.run_sync ((r, task) => {
            ran = true;
            return false;
        }, null, null);
        assert_not_reached ();
    } catch (IOError.CLOSED e) {
    } catch (Error e) {
        error ("wrong error: %s", e.message);
    }

    try {
        runner.call_sync ((r, cancellable, callback) => {
            ran = true;
            return false;
        });
        assert_not_reached ();
    } catch (IOError.CLOSED e) {
    } catch (Error e) {
        error ("wrong error: %s", e.message);
    }

    assert_false (ran);
}

void test_properties () {
    var runner = new AsyncRunner.Runner ();
    int notified = 0;

    assert_true (AsyncRunner.Runner.get_default () == AsyncRunner.Runner.get_default ());
    assert_true (AsyncRunner.Runner.get_default () != runner);
    assert_false (runner.is_runner_thread ());
    assert_true (runner.get_context () != MainContext.default ());
    assert_true (runner.get_context () != AsyncRunner.Runner.get_default ().get_context ());

    runner.notify["timeout"].connect (() => notified++);
    assert (runner.timeout == 0);
    runner.timeout = 250;
    assert (runner.get_timeout () == 250);
    runner.set_timeout (250);
    runner.set_timeout (0);
    assert (runner.timeout == 0);
    assert (notified == 2);
}

int main (string[] args) {
    Test.init (ref args);

    Test.add_func ("/AsyncRunner/Vala/run-sync-value", test_run_sync_value);
    Test.add_func ("/AsyncRunner/Vala/run-sync-without-value", test_run_sync_without_value);
    Test.add_func ("/AsyncRunner/Vala/run-sync-error", test_run_sync_error);
    Test.add_func ("/AsyncRunner/Vala/run-sync-not-started", test_run_sync_not_started);
    Test.add_func ("/AsyncRunner/Vala/call-sync-load-contents", test_call_sync_load_contents);
    Test.add_func ("/AsyncRunner/Vala/call-sync-operation-error", test_call_sync_operation_error);
    Test.add_func ("/AsyncRunner/Vala/call-sync-vala-async", test_call_sync_vala_async);
    Test.add_func ("/AsyncRunner/Vala/call-sync-not-started", test_call_sync_not_started);
    Test.add_func ("/AsyncRunner/Vala/cancel-from-other-thread", test_cancel_from_other_thread);
    Test.add_func ("/AsyncRunner/Vala/already-cancelled", test_already_cancelled);
    Test.add_func ("/AsyncRunner/Vala/timeout", test_timeout);
    Test.add_func ("/AsyncRunner/Vala/nested-call", test_nested_call);
    Test.add_func ("/AsyncRunner/Vala/many-threads", test_many_threads);
    Test.add_func ("/AsyncRunner/Vala/shutdown", test_shutdown);
    Test.add_func ("/AsyncRunner/Vala/properties", test_properties);
    Test.add_func ("/AsyncRunner/Vala/idle-add-trap-reported", test_idle_add_trap_reported);

    return Test.run ();
}
