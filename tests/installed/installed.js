// SPDX-License-Identifier: LGPL-2.1-or-later
// Uses the installed typelib from GJS.
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import AsyncRunner from 'gi://AsyncRunner?version=1';

const runner = AsyncRunner.Runner.get_default();
if (runner !== AsyncRunner.Runner.get_default())
    throw new Error('get_default() is not one object');
if (runner.get_context() === GLib.MainContext.default())
    throw new Error('the runner context is the default context');

const own = new AsyncRunner.Runner({timeout: 250});
if (own.timeout !== 250)
    throw new Error('timeout property');
if (own.is_runner_thread())
    throw new Error('the JS thread is not the runner thread');
own.shutdown();
own.shutdown();

// GJS cannot run a JS function on the runner thread: the call must fail
// (GJS logs a critical and blocks the callback), never hang.
let failed = false;
try {
    runner.run_sync(() => true, null);
} catch (e) {
    failed = true;
}
if (!failed)
    throw new Error('run_sync with a JS function must fail');

print('installed GJS script: OK');
