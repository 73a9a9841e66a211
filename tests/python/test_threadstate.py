# SPDX-License-Identifier: LGPL-2.1-or-later
"""The runner thread keeps one Python thread state between calls (issue 13,
per-call cost) and gives it back when the runner is shut down; no deadlock
at dispose, at exit or in a forked child; sub-interpreters are refused."""

import gc
import os
import subprocess
import sys
import threading
import weakref

from gi.repository import AsyncRunner

import pytest

from conftest import OVERRIDES_DIR, run_script


class Marker:
    pass


# A thread-local value set by one call is there in the next: one thread state.
def test_runner_thread_keeps_its_thread_state_between_calls(runner):
    local = threading.local()
    runner.run(setattr, local, 'value', 'kept')

    assert runner.run(getattr, local, 'value', None) == 'kept'
    assert runner.run(threading.get_ident) == runner.run(threading.get_ident)


# Shut down, the thread gives its thread state back: what it held is freed.
def test_thread_state_given_back_at_shutdown():
    runner = AsyncRunner.Runner()
    local = threading.local()
    marker = Marker()
    runner.run(setattr, local, 'marker', marker)
    ref = weakref.ref(marker)
    del marker

    runner.shutdown()
    gc.collect()
    assert ref() is None


# The same when the last reference goes.
def test_thread_state_given_back_when_the_runner_goes():
    runner = AsyncRunner.Runner()
    local = threading.local()
    marker = Marker()
    runner.run(setattr, local, 'marker', marker)
    ref = weakref.ref(marker)
    del marker, runner

    gc.collect()
    assert ref() is None


# Runners with thread states alive at exit, and a forked child using the default runner.
def test_exit_and_fork_with_kept_thread_states():
    proc = run_script('''
        import os, threading
        runners = [AsyncRunner.Runner() for i in range(3)]
        for r in runners:
            r.label = 'x'
            assert r.run(lambda: 1) == 1
        assert AsyncRunner.run(lambda: 2) == 2
        pid = os.fork()
        if pid == 0:
            try:
                status = 0 if AsyncRunner.run(lambda: 3) == 3 else 1
                child = AsyncRunner.Runner()
                status |= 0 if child.run(lambda: 4) == 4 else 2
                child.shutdown()
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        print('child', os.waitstatus_to_exitcode(status))
    ''')

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['child', '0']


# The default runner lives on at exit: its thread gives back its thread state and
# its Python sources before the interpreter finalizes. Python entered there during
# finalization aborted about half of the runs of examples/coroutines.py on Python 3.14
# (three runs: a rarer race at exit remains, see NEWS).
def test_exit_after_the_coroutines_example():
    example = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           '..', '..', 'examples', 'coroutines.py')
    for i in range(3):
        proc = subprocess.run(
            [sys.executable, '-B', '-c',
             'import gi.overrides, runpy, sys; gi.overrides.__path__.insert(0, sys.argv.pop(1)); '
             'sys.argv.pop(0); runpy.run_path(sys.argv[0], run_name="__main__")',
             OVERRIDES_DIR, example, example],
            capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, (i, proc.returncode, proc.stderr)


# A sub-interpreter cannot load the override: ImportError (from PyGObject >= 3.50, or from
# the override on older ones), not a crash.
@pytest.mark.skipif(sys.version_info < (3, 13),
                    reason='on Python 3.11, importing gi in a (legacy) sub-interpreter hangs '
                    'in PyGObject, before the override is reached')
def test_sub_interpreter_is_refused():
    proc = run_script('''
        try:
            import _interpreters as interpreters
        except ImportError:
            import _xxsubinterpreters as interpreters
        code = 'from gi.repository import AsyncRunner; AsyncRunner.run'
        interp = interpreters.create()
        try:
            outcome = interpreters.run_string(interp, code)
        except Exception as e:
            outcome = e
        interpreters.destroy(interp)
        print('ImportError' in repr(outcome))
    ''')

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['True']
