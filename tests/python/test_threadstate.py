# SPDX-License-Identifier: LGPL-2.1-or-later
"""The runner thread keeps one Python thread state between calls (issue 13,
per-call cost) and gives it back when the runner is shut down; no deadlock
at dispose, at exit or in a forked child; sub-interpreters are refused."""

import asyncio
import gc
import os
import subprocess
import sys
import textwrap
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


def python_sources(context):
    """The names of the sources on @context other than the core's own (a
    new context numbers its sources from 1)."""
    found = (context.find_source_by_id(i) for i in range(1, 1000))
    return [source.get_name() for source in found
            if source is not None and source.get_name() != '[async-runner] calls']


# Once shut down from Python, a runner has nothing of Python's on its context, and
# nothing is attached to it again: not by a second shutdown, nor when it goes, nor
# at exit. Its thread may live on, past the interpreter, and destroys what is left
# on its context when it ends: a Python callback then aborted the process.
def test_nothing_of_python_is_left_on_a_shut_down_runner():
    runner = AsyncRunner.Runner()
    context = runner.get_context()
    assert runner.run(lambda: 1) == 1
    assert runner.run_async(asyncio.sleep(0, 2)) == 2
    assert python_sources(context) != []    # the pump and the asyncio loop's

    runner.shutdown()
    assert python_sources(context) == []
    runner.shutdown()
    assert python_sources(context) == []
    del runner
    gc.collect()
    assert python_sources(context) == []


# At exit, the default runner's thread lets go of the last Python callback sent to
# it (the one that gives back its thread state) before the interpreter finalizes,
# and nothing of Python's is left on its context.
def test_exit_waits_until_the_default_runner_lets_go_of_python():
    script = textwrap.dedent('''
        import asyncio, atexit, sys

        def after_the_override():    # registered first, so run last
            override = sys.modules['gi.overrides.AsyncRunner']
            context = AsyncRunner.Runner.get_default().get_context()
            found = (context.find_source_by_id(i) for i in range(1, 1000))
            print(len(override._exit_report), [s.get_name() for s in found if s is not None])

        atexit.register(after_the_override)
        import gi
        gi.require_version('AsyncRunner', '1')
        import gi.overrides
        gi.overrides.__path__.insert(0, sys.argv[1])
        from gi.repository import AsyncRunner
        with AsyncRunner.Runner() as runner:    # one shut down before the exit too
            assert runner.run(lambda: 0) == 0
        assert AsyncRunner.run(lambda: 1) == 1
        assert AsyncRunner.run_async(asyncio.sleep(0.001, 2)) == 2
    ''')
    proc = subprocess.run([sys.executable, '-B', '-c', script, OVERRIDES_DIR],
                          capture_output=True, text=True, timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0 ['[async-runner] calls']"


def run_the_coroutines_example():
    example = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           '..', '..', 'examples', 'coroutines.py')
    return subprocess.Popen(
        [sys.executable, '-B', '-c',
         'import gi.overrides, runpy, sys; gi.overrides.__path__.insert(0, sys.argv.pop(1)); '
         'sys.argv.pop(0); runpy.run_path(sys.argv[0], run_name="__main__")',
         OVERRIDES_DIR, example, example],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# The default runner lives on at exit: its thread gives back its thread state and
# its Python sources before the interpreter finalizes, and a runner shut down
# before (whose thread may live on for an operation that outlived the grace) has
# no Python left to run. Python entered on a runner thread during finalization
# aborted about half of the runs of examples/coroutines.py on Python 3.14, then
# about one in 150 (see test_exit_stress).
def test_exit_after_the_coroutines_example():
    for i in range(3):
        proc = run_the_coroutines_example()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, (i, proc.returncode, err)


# The same, ASYNC_RUNNER_STRESS_EXIT=N times, several at once (build-aux/test.sh runs it
# 30 times; hundreds take minutes): prints how many runs failed, and fails if any did:
#   ASYNC_RUNNER_STRESS_EXIT=600 meson test -C _build python-threadstate -v -t 10
@pytest.mark.skipif(not os.environ.get('ASYNC_RUNNER_STRESS_EXIT'),
                    reason='a stress test: set ASYNC_RUNNER_STRESS_EXIT=N to run it N times')
def test_exit_stress():
    runs = int(os.environ['ASYNC_RUNNER_STRESS_EXIT'])
    jobs = 2 * (os.cpu_count() or 1)
    failures = []
    running = []
    started = 0
    while started < runs or running:
        while started < runs and len(running) < jobs:
            running.append((started, run_the_coroutines_example()))
            started += 1
        index, proc = running.pop(0)
        out, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            failures.append((index, proc.returncode, err[-2000:]))
    # To the terminal (fd 1, which pytest's --capture=sys leaves alone).
    report = 'exit stress: %d of %d runs failed (%d at once)\n' % (len(failures), runs, jobs)
    for failure in failures[:3]:
        report += 'run %d: exit status %d\n%s\n' % failure
    os.write(1, report.encode())
    assert not failures


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
