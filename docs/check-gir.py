#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks what gi-docgen's own check does not: every public symbol in the
GIR carries a "Since:" version, and the C API states from which thread it
may be called.

Usage: check-gir.py AsyncRunner-1.gir
"""

import sys
import xml.etree.ElementTree as ET

CORE = '{http://www.gtk.org/introspection/core/1.0}'
GLIB = '{http://www.gtk.org/introspection/glib/1.0}'
C = '{http://www.gtk.org/introspection/c/1.0}'

SYMBOLS = ['class', 'interface', 'record', 'union', 'enumeration', 'bitfield',
           'callback', 'constant', 'function', 'constructor', 'method',
           'property', f'{GLIB}signal']
CALLABLES = ['function', 'constructor', 'method']


def tag(name):
    return name if name.startswith('{') else CORE + name


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2

    namespace = ET.parse(argv[1]).getroot().find(tag('namespace'))
    errors = []
    n_symbols = 0

    for kind in SYMBOLS:
        for element in namespace.iter(tag(kind)):
            if element.get(f'{GLIB}is-gtype-struct-for') is not None:
                continue
            name = element.get(f'{C}identifier') or element.get(f'{C}type') or element.get('name')
            n_symbols += 1
            if element.get('version') is None:
                errors.append(f'{name}: no "Since:" line')

            doc = element.find(tag('doc'))
            if kind in CALLABLES and (doc is None or 'thread' not in doc.text):
                errors.append(f'{name}: the documentation does not say which threads may call it')

    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1

    print(f'{n_symbols} symbols checked')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
