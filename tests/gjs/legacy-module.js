// SPDX-License-Identifier: LGPL-2.1-or-later
//
// legacy-module.js: runs one of the GJS tests, which are ES modules, on a
// GJS older than 1.68 (Debian 11 has 1.66), which has no `gjs -m`:
//     gjs legacy-module.js test-runner.js
// The tests use only the import forms below; each is rewritten to the
// legacy `imports` object and the module body runs as a strict function.
// Anything else that looks like an import or export is refused, so a test
// that needs more fails here loudly instead of being half translated.
// tests/gjs/meson.build uses `gjs -m` from 1.68 on and this before.

'use strict';

const GLib = imports.gi.GLib;
const ByteArray = imports.byteArray;
const System = imports.system;

const loaded = new Map();

// TextDecoder came with GJS 1.70; the tests decode UTF-8 only.
if (typeof globalThis.TextDecoder === 'undefined') {
    globalThis.TextDecoder = class TextDecoder {
        decode(bytes) {
            return ByteArray.toString(bytes);
        }
    };
}

function translate(path, source) {
    const exported = [];
    let body = source
        // import X from 'gi://X' or 'gi://X?version=N'
        .replace(/^import (\w+) from 'gi:\/\/(\w+)(?:\?version=([\w.]+))?';$/gm,
            (_m, local, ns, version) => `${version
                ? `imports.gi.versions.${ns} = '${version}'; ` : ''}const ${local} = imports.gi.${ns};`)
        // import X from 'system'
        .replace(/^import (\w+) from 'system';$/gm, 'const $1 = imports.system;')
        // import {a, b} from './file.js'
        .replace(/^import \{([\w\s,]*)\} from '\.\/([\w-]+\.js)';$/gm,
            (_m, names, file) => `const {${names}} = __legacyImport('${file}');`)
        // export function|class|const|let NAME
        .replace(/^export (function|class|const|let) (\w+)/gm, (_m, kind, name) => {
            exported.push(name);
            return `${kind} ${name}`;
        })
        .replace(/\bimport\.meta\.url\b/g, '__legacyMetaUrl');
    const left = body.match(/^\s*(import|export)\b.*$/m);
    if (left)
        throw new Error(`${path}: cannot run without ES modules: ${left[0]}`);
    body = `'use strict';\n${body}\nreturn {${exported.join(', ')}};`;
    // eslint-disable-next-line no-new-func
    return new Function('__legacyImport', '__legacyMetaUrl', body);
}

function load(path) {
    if (loaded.has(path))
        return loaded.get(path);
    const [, bytes] = GLib.file_get_contents(path);
    const fn = translate(path, ByteArray.toString(bytes));
    const dir = GLib.path_get_dirname(path);
    const exports = fn(file => load(GLib.build_filenamev([dir, file])),
        GLib.filename_to_uri(path, null));
    loaded.set(path, exports);
    return exports;
}

if (ARGV.length < 1) {
    printerr('usage: gjs legacy-module.js MODULE.js [ARG...]');
    System.exit(2);
}
let path = ARGV.shift();
if (!GLib.path_is_absolute(path))
    path = GLib.build_filenamev([GLib.get_current_dir(), path]);
load(path);
