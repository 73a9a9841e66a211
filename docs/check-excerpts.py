#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that every code example in the guides is an excerpt of a file in
examples/, which the build runs as a smoke test.

A fenced code block is an example when its language is not a shell one.
The nearest non-blank line above it must name its file, as in

    From `examples/load-things.c`:

and the block, split at elision lines (a line holding only "...",
possibly inside a comment), must appear in that file piece by piece, in
order, each piece as consecutive lines, allowing a common extra
indentation. The file must be mentioned in examples/meson.build.

With --gir, the code blocks in the documentation of every symbol in the
GIR (the reference) are checked the same way.

Usage: check-excerpts.py SOURCE_ROOT [--gir FILE.gir] [GUIDE.md...]
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

SHELL_LANGUAGES = {'sh', 'shell', 'console'}
CAPTION = re.compile(r'^From `(examples/[^`]+)`')
ELISION = re.compile(r'^\s*(\.\.\.|/\* \.\.\. \*/|// \.\.\.|# \.\.\.)\s*$')
FENCE = re.compile(r'^(\s*)```(\S*)\s*$')


def code_blocks(path, text):
    """Yields (line number, language, caption file or None, lines)."""
    lines = text.split('\n')

    i = 0
    last_text = None
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            if lines[i].strip():
                last_text = lines[i].strip()
            i += 1
            continue

        indent, language = m.group(1), m.group(2)
        start = i + 1
        body = []
        i += 1
        while i < len(lines) and not re.match(r'^\s*```\s*$', lines[i]):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        if i == len(lines):
            raise SystemExit(f'{path}:{start}: unterminated code block')

        caption = CAPTION.match(last_text or '')
        yield start, language, caption.group(1) if caption else None, body
        last_text = None
        i += 1


def split_chunks(body):
    chunks = [[]]
    for line in body:
        if ELISION.match(line):
            chunks.append([])
        else:
            chunks[-1].append(line.rstrip())
    chunks = [c for c in chunks if any(line.strip() for line in c)]
    # Blank lines at either end of a piece carry no meaning.
    for c in chunks:
        while not c[0].strip():
            c.pop(0)
        while not c[-1].strip():
            c.pop()
    return chunks


def find_chunk(chunk, file_lines, start):
    """Returns the index just past @chunk in @file_lines, searching from
    @start, or -1."""
    first = chunk[0]
    for i in range(start, len(file_lines) - len(chunk) + 1):
        line = file_lines[i]
        if not line.endswith(first) or line[:len(line) - len(first)].strip():
            continue
        extra = line[:len(line) - len(first)]
        if all((not c.strip() and not f.strip()) or f == extra + c
               for c, f in zip(chunk, file_lines[i:i + len(chunk)])):
            return i + len(chunk)
    return -1


def guide_texts(paths):
    """Yields (name, text) of each guide."""
    for path in paths:
        with open(path, encoding='utf-8') as f:
            yield path, f.read()


def gir_texts(path):
    """Yields (name, text) of each symbol's documentation in the GIR."""
    core = '{http://www.gtk.org/introspection/core/1.0}'
    c = '{http://www.gtk.org/introspection/c/1.0}'
    for parent in ET.parse(path).getroot().iter():
        doc = parent.find(core + 'doc')
        if doc is None or not doc.text:
            continue
        symbol = parent.get(c + 'identifier') or parent.get(c + 'type') or parent.get('name')
        yield f'{path}: {symbol}', doc.text


def main(argv):
    args = argv[1:]
    gir = None
    if len(args) >= 3 and args[1] == '--gir':
        gir = args[2]
        del args[1:3]
    if not args or (gir is None and len(args) < 2):
        print(__doc__, file=sys.stderr)
        return 2

    root = args[0]
    texts = list(guide_texts(args[1:]))
    if gir is not None:
        texts += list(gir_texts(gir))
    with open(os.path.join(root, 'examples', 'meson.build'), encoding='utf-8') as f:
        examples_meson = f.read()

    errors = []
    n_examples = 0
    for name, text in texts:
        for line_no, language, source, body in code_blocks(name, text):
            where = f'{name}:{line_no}'
            if language in SHELL_LANGUAGES:
                continue
            if not language:
                errors.append(f'{where}: code block without a language')
                continue
            if source is None:
                errors.append(f'{where}: {language} block not introduced by "From `examples/...`:"')
                continue

            path = os.path.join(root, source)
            if not os.path.isfile(path):
                errors.append(f'{where}: {source} does not exist')
                continue
            if os.path.basename(source) not in examples_meson:
                errors.append(f'{where}: {source} is not built or run by examples/meson.build')

            with open(path, encoding='utf-8') as f:
                file_lines = [line.rstrip() for line in f.read().split('\n')]

            pos = 0
            for chunk in split_chunks(body):
                pos = find_chunk(chunk, file_lines, pos)
                if pos < 0:
                    errors.append(f'{where}: not found in {source} (in this order):\n    '
                                  + '\n    '.join(chunk))
                    break
            n_examples += 1

    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1

    print(f'{n_examples} examples checked against examples/')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
