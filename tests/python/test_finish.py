# SPDX-License-Identifier: LGPL-2.1-or-later
"""call()'s finish look-up and its small traps (issue 20, points 14-16)."""

import math

from gi.repository import AsyncRunner, Gio, GLib

import pytest

from conftest import run_script

CONTENTS = b'finish\n'


@pytest.fixture
def source_file(tmp_path):
    path = tmp_path / 'source.txt'
    path.write_bytes(CONTENTS)
    return Gio.File.new_for_path(str(path))


# --- Point 14: a finish of the same class but another operation ---------------

# The finish of another operation of the same class is refused with
# TypeError before anything runs; it used to segfault the interpreter (so
# the check runs in a process of its own).
def test_call_refuses_the_finish_of_another_operation_of_the_class():
    proc = run_script('''
        f = Gio.File.new_for_path('/etc/os-release')
        outcomes = []
        for attempt in (
                lambda: AsyncRunner.call(f.load_contents_async, finish=f.query_info_finish),
                lambda: AsyncRunner.call(f.load_contents_async,
                                         finish=Gio.File.query_info_finish),
                lambda: AsyncRunner.call(Gio.File.load_contents_async, f,
                                         finish=Gio.File.query_info_finish),
                lambda: AsyncRunner.wrap(f.load_contents_async,
                                         finish=f.load_partial_contents_finish)):
            try:
                attempt()
                outcomes.append('accepted')
            except TypeError as e:
                outcomes.append('TypeError' if 'finish' in str(e) else str(e))
        print(' '.join(outcomes))
    ''')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == ['TypeError'] * 4


# The operation's own finish is still accepted, bound or not, and a Python
# function is trusted.
def test_call_accepts_the_operations_own_finish(runner, source_file):
    assert runner.call(source_file.load_contents_async,
                       finish=Gio.File.load_contents_finish)[1] == CONTENTS
    assert runner.call(source_file.load_contents_async,
                       finish=lambda result: source_file.load_contents_finish(result)[1]) \
        == CONTENTS


# --- Point 15: the finish of a method is a function ---------------------------

def _io_stream(data):
    return Gio.SimpleIOStream.new(Gio.MemoryInputStream.new_from_data(data),
                                  Gio.MemoryOutputStream.new_resizable())


# g_io_stream_splice_async() is a method; its finish,
# g_io_stream_splice_finish(), is a plain function: found by default and
# accepted as finish=.
def test_call_finds_the_function_that_finishes_a_method(runner):
    for finish in (None, Gio.IOStream.splice_finish):
        one, two = _io_stream(b'one'), _io_stream(b'two')
        flags = Gio.IOStreamSpliceFlags.CLOSE_STREAM1 | Gio.IOStreamSpliceFlags.CLOSE_STREAM2
        assert runner.call(one.splice_async, two, flags, GLib.PRIORITY_DEFAULT,
                           finish=finish) is True
        assert two.get_output_stream().steal_as_bytes().get_data() == b'one'
        assert one.get_output_stream().steal_as_bytes().get_data() == b'two'


# --- Point 16: small traps -----------------------------------------------------

# sync() of an async generator function fails when decorating, not later.
def test_sync_refuses_an_async_generator_function_at_once():
    async def numbers():
        yield 1

    with pytest.raises(TypeError, match='async generator'):
        AsyncRunner.sync(numbers)


# iterate() of something that is not async-iterable fails when called,
# not at the first step.
def test_iterate_refuses_what_is_not_async_iterable_at_once(runner):
    with pytest.raises(TypeError):
        AsyncRunner.iterate(42)
    with pytest.raises(TypeError):
        runner.iterate(42)
    with pytest.raises(TypeError):
        runner.with_options(timeout=5).iterate(42)


# A positional argument in the cancellable's place is named as such.
def test_call_says_an_argument_is_not_a_cancellable(runner, source_file):
    for attempt in (lambda: runner.call(source_file.load_contents_async, 42),
                    lambda: AsyncRunner.wrap(source_file.load_contents_async, 42)):
        with pytest.raises(TypeError) as raised:
            attempt()
        message = str(raised.value)
        assert 'multiple values' not in message
        assert '42' in message and 'cancellable=' in message, message


# timeout=inf is no limit: the runner's property reads back None (0 ms,
# the raw "no limit"), and a per-call inf is accepted everywhere.
def test_timeout_inf_means_no_limit(source_file):
    with AsyncRunner.Runner(timeout=math.inf) as runner:
        assert runner.timeout is None
        assert runner.props.timeout == 0
        runner.timeout = 2
        assert runner.timeout == 2
        runner.timeout = math.inf
        assert runner.timeout is None and runner.props.timeout == 0
        assert runner.call(source_file.load_contents_async, timeout=math.inf)[1] == CONTENTS
        assert runner.with_options(timeout=math.inf).run(lambda: 7) == 7

