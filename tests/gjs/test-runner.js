// SPDX-License-Identifier: LGPL-2.1-or-later
//
// test-runner.js: AsyncRunner from GJS. Run with `gjs -m test-runner.js`;
// prints TAP and exits non-zero if a test fails.
//
// GJS runs JavaScript on its own thread only (GJS 1.74 blocks a JS function
// called on another thread with a critical; GJS >= 1.81.90 crashes). So the
// library refuses a JS function given to run_sync() or call_sync() with
// Gio.IOErrorEnum.NOT_SUPPORTED before anything runs, on every GJS; GJS 1.74
// does not even marshal a JS function for call_sync() (a callback that
// receives a callback). Everything else works from JS and is tested here.
//
// Nothing here can hang for long: the meson test has a timeout, and every
// call given a JS function goes through a runner whose `timeout` property
// is set, so a blocked call would come back as TIMED_OUT and fail.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import AsyncRunner from 'gi://AsyncRunner?version=1';
import System from 'system';
import {Tests, assert, assertEqual, errorToString} from './tap.js';

const WATCHDOG_MS = 20000;

const tests = new Tests('/AsyncRunner/GJS');
const test = tests.add.bind(tests);

// Calls fn() and checks that it throws a GLib.Error of Gio.IOErrorEnum with
// the given code.
function assertIOError(fn, code, message) {
    try {
        fn();
    } catch (e) {
        if (!(e instanceof GLib.Error))
            throw new Error(`${message}: expected a GLib.Error, got ${errorToString(e)}`);
        if (e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT) &&
            code !== Gio.IOErrorEnum.TIMED_OUT)
            throw new Error(`${message}: the call blocked until the watchdog expired`);
        if (!e.matches(Gio.IOErrorEnum, code))
            throw new Error(`${message}: expected Gio.IOErrorEnum ${code}, got ${errorToString(e)}`);
        return e;
    }
    throw new Error(`${message}: did not throw`);
}

// Whether @context belongs to another thread: a runner's thread holds its
// context for the runner's whole life.
function isHeldElsewhere(context) {
    if (context.acquire()) {
        context.release();
        return false;
    }
    return true;
}

// Whether @context holds a source named @name with the given id: tells
// contexts apart, as JS wrappers of the same GMainContext are distinct
// objects.
function contextHasSource(context, id, name) {
    const source = context.find_source_by_id(id);
    return source !== null && source.get_name() === name;
}

// A source that never dispatches (no callback runs on the runner thread).
function attachProbe(context, name) {
    const source = GLib.timeout_source_new_seconds(3600);
    source.set_name(name);
    const id = source.attach(context);
    return {source, id, name};
}

test('default-is-a-singleton', () => {
    const runner = AsyncRunner.Runner.get_default();
    assert(runner instanceof AsyncRunner.Runner, 'get_default() returns a Runner');
    assert(runner instanceof GObject.Object, 'a Runner is a GObject');
    assertEqual(AsyncRunner.Runner.get_default(), runner, 'get_default() twice');
    assertEqual(GObject.type_name(AsyncRunner.Runner.$gtype), 'AsyncRunner',
        'GType name');
});

test('new-runners-are-independent', () => {
    const a = new AsyncRunner.Runner();
    const b = new AsyncRunner.Runner();
    const def = AsyncRunner.Runner.get_default();
    assert(a !== b && a !== def && b !== def, 'new() makes a new runner');
    assert(isHeldElsewhere(a.get_context()), 'a has a running thread');
    assert(isHeldElsewhere(b.get_context()), 'b has a running thread');

    a.shutdown();
    assert(!isHeldElsewhere(a.get_context()), 'shutdown() joined the thread of a');
    assert(isHeldElsewhere(b.get_context()), 'b still runs after a shut down');
    assert(isHeldElsewhere(def.get_context()), 'the default runner still runs');
    b.shutdown();
});

test('get-context', () => {
    const runner = new AsyncRunner.Runner();
    const context = runner.get_context();
    assert(context instanceof GLib.MainContext, 'get_context() returns a GLib.MainContext');
    assert(!isHeldElsewhere(GLib.MainContext.default()),
        'the default context is free on the JS thread');
    assert(isHeldElsewhere(context),
        'the runner context is distinct from the default one: its thread holds it');
    assert(!context.is_owner(), 'the JS thread does not own the runner context');

    const probe = attachProbe(context, 'gjs-test-probe-a');
    try {
        assert(contextHasSource(runner.get_context(), probe.id, probe.name),
            'get_context() returns the same context every time');
        assert(!contextHasSource(GLib.MainContext.default(), probe.id, probe.name),
            'the default context is another one');
        const other = new AsyncRunner.Runner();
        assert(!contextHasSource(other.get_context(), probe.id, probe.name),
            'another runner has another context');
        other.shutdown();
    } finally {
        probe.source.destroy();
    }
    runner.shutdown();
});

test('timeout-property', () => {
    const runner = new AsyncRunner.Runner();
    const seen = [];
    runner.connect('notify::timeout', obj => seen.push(obj.timeout));

    assertEqual(runner.timeout, 0, 'default timeout');
    assertEqual(runner.get_timeout(), 0, 'default get_timeout()');

    runner.timeout = 250;
    assertEqual(runner.get_timeout(), 250, 'get_timeout() after setting the property');
    runner.set_timeout(500);
    assertEqual(runner.timeout, 500, 'property after set_timeout()');
    runner.set_timeout(500);
    runner.timeout = 500;
    runner.timeout = 0;
    assertEqual(runner.get_timeout(), 0, 'back to no timeout');
    assertEqual(JSON.stringify(seen), JSON.stringify([250, 500, 0]),
        'notify::timeout once per change, not when unchanged');

    const constructed = new AsyncRunner.Runner({timeout: 42});
    assertEqual(constructed.timeout, 42, 'timeout set at construction');

    runner.shutdown();
    constructed.shutdown();
});

test('is-runner-thread', () => {
    const runner = new AsyncRunner.Runner();
    assertEqual(runner.is_runner_thread(), false, 'new runner');
    assertEqual(AsyncRunner.Runner.get_default().is_runner_thread(), false, 'default runner');
    runner.shutdown();
    assertEqual(runner.is_runner_thread(), false, 'after shutdown');
});

// A JS function given to run_sync() is refused at once, whatever the
// runner and the state of the call: the function never runs, nothing
// crashes and the runner goes on.
test('run-sync-js-function-refused', () => {
    const cancelled = new Gio.Cancellable();
    cancelled.cancel();
    for (const [label, runner, cancellable] of [
        ['new', new AsyncRunner.Runner(), null],
        ['default', AsyncRunner.Runner.get_default(), null],
        ['cancelled', new AsyncRunner.Runner(), cancelled]]) {
        let ran = false;
        runner.timeout = WATCHDOG_MS;
        try {
            const e = assertIOError(() => runner.run_sync((r, task) => {
                ran = true;
                task.return_boolean(true);
                return true;
            }, cancellable), Gio.IOErrorEnum.NOT_SUPPORTED, `run_sync() on the ${label} runner`);
            assert(/JavaScript/.test(e.message), `the error says why: ${e.message}`);
        } finally {
            runner.timeout = 0;
        }
        assertEqual(ran, false, 'the JS function never ran');
        assert(isHeldElsewhere(runner.get_context()), `the ${label} runner still runs`);
        if (label !== 'default')
            runner.shutdown();
    }
});

// A JS function as an AsyncRunnerStartFunc: GJS 1.74 throws before reaching
// C; where GJS marshals it, the library refuses it with NOT_SUPPORTED.
test('call-sync-js-function-refused', () => {
    const runner = new AsyncRunner.Runner();
    let ran = false;
    let thrown = null;
    runner.timeout = WATCHDOG_MS;
    try {
        runner.call_sync((r, cancellable, callback) => {
            ran = true;
            Gio.File.new_for_path('/').query_info_async('standard::name', 0,
                GLib.PRIORITY_DEFAULT, cancellable, callback);
            return true;
        }, null);
    } catch (e) {
        thrown = e;
    }
    assert(thrown !== null, 'call_sync() with a JS function throws');
    // Exactly one of two refusals, nothing else: GJS's own (a callback that
    // receives a callback: GJS 1.74 and 1.82 do not marshal it), or the
    // library's.
    if (thrown instanceof GLib.Error) {
        assert(thrown.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_SUPPORTED),
            `refused as NOT_SUPPORTED: ${errorToString(thrown)}`);
    } else {
        assert(/accepts another callback as a parameter\. This is not supported/.test(String(thrown)),
            `refused by GJS as a callback that receives a callback: ${errorToString(thrown)}`);
    }
    assertEqual(ran, false, 'the JS function never ran');
    runner.shutdown();
});

test('shutdown-is-idempotent', () => {
    const runner = new AsyncRunner.Runner();
    runner.shutdown();
    assert(!isHeldElsewhere(runner.get_context()), 'the thread was joined');
    runner.shutdown();
    runner.shutdown();
    assert(runner.get_context() instanceof GLib.MainContext,
        'get_context() still answers after shutdown');
});

// After shutdown a JS function is refused as before: never run, no crash.
test('js-function-refused-after-shutdown', () => {
    const runner = new AsyncRunner.Runner();
    let ran = false;
    runner.shutdown();

    assertIOError(() => runner.run_sync(() => {
        ran = true;
        return true;
    }, null), Gio.IOErrorEnum.NOT_SUPPORTED, 'run_sync() after shutdown');
    assertEqual(ran, false, 'no function ran after shutdown');
});

const failures = tests.run();

System.exit(failures > 0 ? 1 : 0);
