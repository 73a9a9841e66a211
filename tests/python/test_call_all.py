# SPDX-License-Identifier: LGPL-2.1-or-later
"""runner.call_all(): the fan-out of call() (issue 14, point 6)."""

import os
import tempfile

from gi.repository import AsyncRunner, Gio, GLib

import pytest

from conftest import io_error


@pytest.fixture
def files():
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(5):
            path = os.path.join(tmp, 'f%d' % i)
            with open(path, 'wb') as f:
                f.write(b'x' * i)
            paths.append(path)
        yield paths


# Every call's finish result, in the order of the calls.
def test_results_in_order(runner, files):
    results = runner.call_all([(Gio.File.new_for_path(p).load_contents_async,) for p in files])

    assert [contents for ok, contents, etag in results] == [b'x' * i for i in range(5)]


# The first error is raised (the others were cancelled and ended); with
# return_exceptions=True, each error stands in its place.
def test_errors(runner, files):
    calls = [(Gio.File.new_for_path(p).load_contents_async,) for p in files]
    calls.insert(2, (Gio.File.new_for_path(files[0] + '-missing').load_contents_async,))

    with pytest.raises(GLib.Error) as raised:
        runner.call_all(calls)
    assert io_error(raised.value, Gio.IOErrorEnum.NOT_FOUND)

    results = runner.call_all(calls, return_exceptions=True)
    assert io_error(results[2], Gio.IOErrorEnum.NOT_FOUND)
    assert [r[1] for i, r in enumerate(results) if i != 2] == [b'x' * i for i in range(5)]


# A bad call is refused before any starts.
def test_bad_call_refused_first(runner, files):
    with pytest.raises(TypeError):
        runner.call_all([(Gio.File.new_for_path(files[0]).load_contents_async,), 'not a tuple'])
    with pytest.raises(TypeError):
        runner.call_all([(print,)])


# The module-level function uses the default runner; a cancelled cancellable
# ends every call.
def test_default_runner_and_cancellable(files):
    assert len(AsyncRunner.call_all([(Gio.File.new_for_path(files[1]).load_contents_async,)])) == 1

    cancellable = Gio.Cancellable()
    cancellable.cancel()
    with pytest.raises(GLib.Error) as raised:
        AsyncRunner.call_all([(Gio.File.new_for_path(p).load_contents_async,) for p in files],
                             cancellable=cancellable)
    assert io_error(raised.value, Gio.IOErrorEnum.CANCELLED)
