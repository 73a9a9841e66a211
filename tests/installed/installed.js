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

// GJS cannot run a JS function on the runner thread: the library refuses
// it before anything runs, on every GJS (never a crash, never a hang).
let refused = false;
try {
    runner.run_sync(() => true, null);
} catch (e) {
    refused = e instanceof GLib.Error && e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_SUPPORTED);
}
if (!refused)
    throw new Error('run_sync with a JS function must be refused with NOT_SUPPORTED');

print('installed GJS script: OK');
