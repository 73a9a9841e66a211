// SPDX-License-Identifier: LGPL-2.1-or-later
//
// tap.js: the tiny TAP harness of the GJS tests, imported by each of them.

import GLib from 'gi://GLib';

export function assert(condition, message) {
    if (!condition)
        throw new Error(`assertion failed: ${message}`);
}

export function assertEqual(actual, expected, message) {
    if (actual !== expected)
        throw new Error(`${message}: expected ${expected}, got ${actual}`);
}

export function errorToString(e) {
    if (e instanceof GLib.Error)
        return `GLib.Error ${GLib.quark_to_string(e.domain)} ${e.code}: ${e.message}`;
    return String(e);
}

class Skip extends Error {}

// Ends the test that calls it as skipped, for @reason.
export function skip(reason) {
    throw new Skip(reason);
}

// A list of tests named @prefix/NAME: add() registers one, run() runs them
// all, prints TAP and returns how many failed.
export class Tests {
    constructor(prefix) {
        this.prefix = prefix;
        this.tests = [];
    }

    add(name, fn) {
        this.tests.push({name: `${this.prefix}/${name}`, fn});
    }

    run() {
        print('TAP version 13');
        print(`1..${this.tests.length}`);
        let failures = 0;
        this.tests.forEach(({name, fn}, i) => {
            try {
                fn();
                print(`ok ${i + 1} ${name}`);
            } catch (e) {
                if (e instanceof Skip) {
                    print(`ok ${i + 1} ${name} # SKIP ${e.message}`);
                    return;
                }
                failures++;
                print(`not ok ${i + 1} ${name}`);
                for (const line of `${errorToString(e)}\n${e.stack ?? ''}`.trimEnd().split('\n'))
                    print(`# ${line}`);
            }
        });
        return failures;
    }
}
