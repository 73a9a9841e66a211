# SPDX-License-Identifier: LGPL-2.1-or-later
"""CPython's own asyncio tests against the runner's asyncio loop (issue 20,
point 18), side by side with the stock loop, in one run.

The override's loop leans on private asyncio names (``_run_once``,
``_ready``, ``_set_running_loop``, ``tasks._swap_current_task``...); this
run is what tells us when a new Python breaks them. It needs the test
package of the Python it runs under (Debian: ``libpython3.X-testsuite``);
without it, it exits 77 (skipped).

Two passes over every module of ``test.test_asyncio``, in worker processes
that run at once (the suite mostly waits, on sleeps and timeouts):

- ``stock``: the modules as CPython runs them, in the main thread;
- ``runner``: with an event loop policy whose loops are the override's
  loop, and with ``asyncio.SelectorEventLoop`` (which most loop tests
  construct directly) naming that loop too. Each loop lives on a
  GMainContext of its own; ``run_forever()`` iterates that context,
  whose sources step the loop, as the runner thread's iteration does in
  ``run_async()``. The tests run in the main thread, as CPython runs
  them: on a runner thread, test_events' setUp attaches a SIGCHLD child
  watcher to every loop (main thread only) and unittest's thread
  bookkeeping counts the runner thread as a dangling thread.

Every test that passes on the stock loop must pass on the runner's loop,
except those in `CANNOT_APPLY`, each with its reason. The counts of both
passes are printed.

    asyncio_conformance.py [--shards N] [MODULE...]
"""

import argparse
import asyncio
import faulthandler
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest

# A test that takes longer than this has hung: its worker dumps every
# thread's stack and exits (the stock suite's slowest test takes ~10 s).
TEST_LIMIT = 120

# The whole run's limit, for each worker (meson's timeout is above it).
WORKER_LIMIT = 840

# What cannot apply to the runner's loop, by test id prefix (a class or a
# test), with the reason: such a test may fail on the runner's loop (the
# summary says whether it still does).
CANNOT_APPLY = {
    # None today (point 3 made test_handle_source_traceback pass).
}


# What is not even run on the runner's loop, by test id prefix, with the
# reason (it would hang its worker).
NOT_RUN = {
    'test.test_asyncio.test_free_threading':
        'a loop made in one thread and run in others: the runner\'s loop lives on the '
        'thread that makes it (its runner\'s) and asserts so',
}


def _listed(table, test_id):
    for prefix, reason in table.items():
        if test_id == prefix or test_id.startswith(prefix + '.') or test_id.startswith(prefix + ' '):
            return reason
    return None


def _cannot_apply(test_id):
    return _listed(CANNOT_APPLY, test_id) or _listed(NOT_RUN, test_id)


# --- The runner's loop --------------------------------------------------------

def runner_loop_class():
    """The override's asyncio loop class: the one place that names it."""
    from gi.overrides._async_runner.loop import _RunnerLoop
    return _RunnerLoop


def _setup_gi():
    srcdir = os.environ.get('G_TEST_SRCDIR',
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    import gi
    gi.require_version('AsyncRunner', '1')
    import gi.overrides
    gi.overrides.__path__.insert(0, os.path.abspath(os.path.join(srcdir, '..', 'async-runner',
                                                                 'overrides')))


# One item per runner's loop made (the summary shows that the tests used them).
made = []


def _conformance_loop_class(GLib):
    base = runner_loop_class()
    from gi.module import get_introspection_module
    iteration = get_introspection_module('GLib').MainContext.iteration

    class ConformanceLoop(base):
        """The runner's loop, on the thread-default context (the runner's,
        on its thread; a new one elsewhere), with the run_forever() that
        the tests need: it iterates that context until stop()."""

        def __init__(self, selector=None):
            if selector is not None:
                selector.close()    # the loop's selector is GLib's
            context = GLib.MainContext.get_thread_default() or GLib.MainContext.new()
            self._stop_seen = False
            made.append(1)
            super().__init__(context)

        run_until_complete = asyncio.BaseEventLoop.run_until_complete

        def stop(self):
            self._stop_seen = True
            super().stop()

        def run_forever(self):
            self._check_closed()
            self._check_running()
            self._set_coroutine_origin_tracking(self._debug)
            hooks = sys.get_asyncgen_hooks()
            self._thread_id = threading.get_ident()
            sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook,
                                   finalizer=self._asyncgen_finalizer_hook)
            asyncio.events._set_running_loop(self)
            try:
                if self._stopping:
                    # Stopped before it ran: one turn, as asyncio's.
                    self._step()
                else:
                    self._stop_seen = False
                    while not self._stop_seen:
                        # GI's own: PyGObject >= 3.50 overrides it to pause
                        # its asyncio integration's loop of the context.
                        iteration(self._context, True)
            finally:
                self._stop_seen = False
                self._stopping = False
                self._thread_id = None
                asyncio.events._set_running_loop(None)
                self._set_coroutine_origin_tracking(False)
                sys.set_asyncgen_hooks(*hooks)

    return ConformanceLoop


def _install_runner_loop():
    """Makes the runner's loop the one the tests get: the policy's, and
    the one ``asyncio.SelectorEventLoop()`` makes. Returns a function that
    runs a test."""
    _setup_gi()
    from gi.repository import AsyncRunner, GLib  # noqa: F401 (loads the override)

    loop_class = _conformance_loop_class(GLib)
    policy_base = getattr(asyncio.unix_events, '_DefaultEventLoopPolicy', None) \
        or asyncio.DefaultEventLoopPolicy
    set_policy = getattr(asyncio.events, '_set_event_loop_policy', None) \
        or asyncio.set_event_loop_policy

    class Policy(policy_base):
        _loop_factory = loop_class

    def run_test(test, run, result):
        # Again before each test: the modules' tearDownModule() resets it.
        set_policy(Policy())
        asyncio.SelectorEventLoop = loop_class
        asyncio.unix_events.SelectorEventLoop = loop_class
        if hasattr(asyncio, 'EventLoop'):   # Python >= 3.13
            asyncio.EventLoop = loop_class
            asyncio.unix_events.EventLoop = loop_class
        return run(result)

    return run_test


# --- A worker -----------------------------------------------------------------

class _Recorder(unittest.TestResult):
    """Writes each test's outcome as a JSON line."""

    def __init__(self, out):
        super().__init__()
        self.out = out
        self.outcomes = {}

    def _record(self, test, outcome, err=None):
        test_id = test.id()
        # A failed subtest fails its test.
        if self.outcomes.get(test_id) in ('fail', 'error') and outcome == 'pass':
            return
        self.outcomes[test_id] = outcome
        detail = ''
        if err is not None:
            detail = ''.join(traceback.format_exception(*err))[-3000:]
        self.out.write(json.dumps({'id': test_id, 'outcome': outcome, 'detail': detail}) + '\n')
        self.out.flush()

    def startTest(self, test):
        super().startTest(test)
        faulthandler.dump_traceback_later(TEST_LIMIT, exit=True)
        sys.stderr.write('START %s\n' % test.id())
        sys.stderr.flush()

    def stopTest(self, test):
        faulthandler.cancel_dump_traceback_later()
        super().stopTest(test)

    def addSuccess(self, test):
        self._record(test, 'pass')

    def addFailure(self, test, err):
        self._record(test, 'fail', err)

    def addError(self, test, err):
        self._record(test, 'error', err)

    def addSkip(self, test, reason):
        self._record(test, 'skip')

    def addExpectedFailure(self, test, err):
        self._record(test, 'pass')

    def addUnexpectedSuccess(self, test):
        self._record(test, 'fail')

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self._record(test, 'fail' if issubclass(err[0], test.failureException)
                         else 'error', err)


def _tests_of(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _tests_of(test)
        else:
            yield test


def worker(kind, modules, out_path):
    faulthandler.enable()
    run_test = _install_runner_loop() if kind == 'runner' else None
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for module in modules:
        try:
            suite.addTest(loader.loadTestsFromName('test.test_asyncio.' + module))
        except unittest.SkipTest:
            pass    # not for this platform (test_windows_events)
    if run_test is not None:
        for test in _tests_of(suite):
            if isinstance(test, unittest.TestCase) and _listed(NOT_RUN, test.id()):
                test.run = (lambda test: lambda result=None: result.addSkip(test, 'not run'))(
                    test)
            elif isinstance(test, unittest.TestCase):
                # An instance attribute: TestCase.__call__() calls self.run().
                test.run = (lambda test, run: lambda result=None: run_test(test, run, result))(
                    test, test.run)
    with open(out_path, 'w') as out:
        suite.run(_Recorder(out))
        out.write(json.dumps({'id': None, 'loops made': len(made)}) + '\n')


# --- The driver ---------------------------------------------------------------

def _modules():
    import test.test_asyncio as package
    directory = os.path.dirname(package.__file__)
    names = [n[:-3] for n in os.listdir(directory)
             if n.startswith('test_') and n.endswith('.py')]
    # Largest first, for the shards' balance.
    return sorted(names, key=lambda n: -os.path.getsize(os.path.join(directory, n + '.py')))


def _shard(modules, count):
    shards = [[] for _ in range(count)]
    sizes = [0] * count
    import test.test_asyncio as package
    directory = os.path.dirname(package.__file__)
    for name in modules:
        index = sizes.index(min(sizes))
        shards[index].append(name)
        sizes[index] += os.path.getsize(os.path.join(directory, name + '.py'))
    return [s for s in shards if s]


# The number of runner's loops each worker made.
loops_made = []


def _read(path):
    outcomes = {}
    try:
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if record['id'] is None:
                    loops_made.append(record['loops made'])
                else:
                    outcomes[record['id']] = record
    except FileNotFoundError:
        pass
    return outcomes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--worker', choices=('stock', 'runner'))
    parser.add_argument('--out')
    parser.add_argument('--shards', type=int, default=4)
    parser.add_argument('modules', nargs='*')
    args = parser.parse_args()

    if args.worker:
        worker(args.worker, args.modules, args.out)
        return 0

    try:
        import test.test_asyncio  # noqa: F401
    except unittest.SkipTest as e:
        print('SKIP: test.test_asyncio: %s' % e)
        return 77
    except ImportError:
        print('SKIP: no test.test_asyncio for Python %d.%d (Debian: libpython%d.%d-testsuite)'
              % (sys.version_info[:2] * 2))
        return 77

    modules = args.modules or _modules()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='asyncio-conformance-') as tmp:
        workers = []
        for kind in ('stock', 'runner'):
            for index, shard in enumerate(_shard(modules, args.shards)):
                out = os.path.join(tmp, '%s-%d.jsonl' % (kind, index))
                log = open(os.path.join(tmp, '%s-%d.log' % (kind, index)), 'w+')
                proc = subprocess.Popen(
                    [sys.executable, '-B', os.path.abspath(__file__), '--worker', kind,
                     '--out', out] + shard,
                    stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
                workers.append((kind, shard, out, log, proc))
        results = {'stock': {}, 'runner': {}}
        broken = []
        for kind, shard, out, log, proc in workers:
            try:
                status = proc.wait(max(1, WORKER_LIMIT - (time.monotonic() - start)))
            except subprocess.TimeoutExpired:
                proc.kill()
                status = proc.wait()
            results[kind].update(_read(out))
            if status != 0:
                log.seek(0)
                broken.append('%s worker for %s ended with status %d:\n%s'
                              % (kind, ' '.join(shard), status, log.read()[-6000:]))
            log.close()
    elapsed = time.monotonic() - start

    stock, runner = results['stock'], results['runner']

    def count(outcomes, outcome):
        return sum(1 for r in outcomes.values() if r['outcome'] == outcome)

    print('Python %s, %d modules of test.test_asyncio, %.0f s'
          % (sys.version.split()[0], len(modules), elapsed))
    for kind, outcomes in (('stock loop', stock), ('runner\'s loop', runner)):
        print('  %-14s %5d tests: %5d passed, %3d failed, %3d errors, %3d skipped'
              % (kind, len(outcomes), count(outcomes, 'pass'), count(outcomes, 'fail'),
                 count(outcomes, 'error'), count(outcomes, 'skip')))

    print('  the runner\'s pass made %d runner\'s loops' % sum(loops_made))

    passed = [i for i, r in stock.items() if r['outcome'] == 'pass']
    both = [i for i in passed if runner.get(i, {}).get('outcome') == 'pass']
    excused, failed = [], []
    for test_id in passed:
        record = runner.get(test_id)
        if record is not None and record['outcome'] == 'pass':
            continue
        reason = _cannot_apply(test_id)
        (excused if reason else failed).append((test_id, record, reason))
    print('Of the %d tests that pass on the stock loop, %d pass on the runner\'s loop, '
          '%d cannot apply, %d fail' % (len(passed), len(both), len(excused), len(failed)))
    for test_id, record, reason in excused:
        print('  cannot apply: %s (%s): %s'
              % (test_id, record['outcome'] if record else 'not run', reason))
    for prefix in CANNOT_APPLY:
        now = [i for i in both if i == prefix or i.startswith(prefix + '.')]
        if now:
            print('  listed as cannot apply, passes now (drop it from the list): %s'
                  % ' '.join(now))
    for test_id, record, reason in failed:
        print('FAIL: %s: %s on the runner\'s loop' % (test_id, record['outcome'] if record
                                                       else 'not run'))
        if record and record['detail']:
            print('    ' + record['detail'].rstrip().replace('\n', '\n    '))
    for message in broken:
        print('BROKEN: ' + message)
    return 1 if failed or broken else 0


if __name__ == '__main__':
    sys.exit(main())
