# SPDX-License-Identifier: LGPL-2.1-or-later
"""build-aux/summarise-tests.py, the verdict of build-aux/test.sh: it counts
cases, not programs, and counts as a failure whatever should fail the run
(a failed step, a missing log, an emptied suite, an unexpected skip)."""

import json
import os
import subprocess
import sys
import time

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), '..', '..', 'build-aux', 'summarise-tests.py')


# How meson names a test in its log: 0.56, 0.57 to 1.11, 1.12.
NAME_FORMATS = ['{test}', 'proj:{suite} / {test}', '{suite} - proj:{test}']


def builddir(tmp_path, name, tests, name_format=NAME_FORMATS[1]):
    """A build directory whose meson logs hold @tests: (suite, name,
    protocol, result, stdout, command) tuples."""
    path = tmp_path / name
    (path / 'meson-logs').mkdir(parents=True)
    (path / 'meson-info').mkdir()
    intro = [{'name': t[1], 'suite': ['proj:' + t[0]], 'protocol': t[2], 'cmd': t[5]}
             for t in tests]
    (path / 'meson-info' / 'intro-tests.json').write_text(json.dumps(intro))
    with open(path / 'meson-logs' / 'testlog.json', 'w') as log:
        for suite, test, protocol, result, stdout, command in tests:
            log.write(json.dumps({'name': name_format.format(suite=suite, test=test),
                                  'result': result,
                                  'stdout': stdout, 'command': command,
                                  'starttime': time.time() - 10, 'returncode': 0}) + '\n')
    return path


def summarise(*args):
    proc = subprocess.run([sys.executable, SCRIPT, *map(str, args)],
                          capture_output=True, text=True)
    lines = proc.stdout.splitlines()
    return proc.returncode, lines


TAP = 'TAP version 13\n1..3\nok 1 /a\nok 2 /b # SKIP no frobnicator here\nnot ok 3 /c\n'


def test_tap_cases_are_counted_with_their_skips(tmp_path):
    build = builddir(tmp_path, 'b', [('c', 'prog', 'tap', 'FAIL', TAP, ['prog'])])
    status, lines = summarise('--allow-skip', '/b$', f'test={build}')
    assert status == 1
    assert 'skipped: test prog /b: no frobnicator here' in lines
    assert 'failed: test prog /c' in lines
    assert lines[-1] == 'tests: 1 passed, 1 failed, 1 skipped'


# Two suites with a test of the same name keep theirs, in every meson's log.
@pytest.mark.parametrize('name_format', NAME_FORMATS)
def test_suites_are_found_whatever_meson_logs(tmp_path, name_format):
    build = builddir(tmp_path, 'b', [('python', 'coro', 'tap', 'OK', '1..1\nok 1 /a\n', ['x']),
                                     ('examples', 'coro', 'exitcode', 'OK', '', ['y'])],
                     name_format)
    status, lines = summarise('--expect', 'test/python/coro=1', '--expect', 'test/examples=1',
                              f'test={build}')
    assert 'suite test/python: 1 passed, 0 failed, 0 skipped' in lines
    assert 'suite test/examples: 1 passed, 0 failed, 0 skipped' in lines
    assert (status, lines[-1]) == (0, 'tests: 2 passed, 0 failed, 0 skipped')


def test_a_skip_not_allowed_fails(tmp_path):
    build = builddir(tmp_path, 'b', [('c', 'prog', 'tap', 'OK', '1..2\nok 1 /a\nok 2 /b # SKIP x\n',
                                      ['prog'])])
    status, lines = summarise(f'test={build}')
    assert status == 1
    assert lines[-1] == 'tests: 1 passed, 1 failed, 1 skipped'
    status, lines = summarise('--allow-skip', '^test prog /b$', f'test={build}')
    assert (status, lines[-1]) == (0, 'tests: 1 passed, 0 failed, 1 skipped')


def test_a_crash_after_passing_cases_fails(tmp_path):
    build = builddir(tmp_path, 'b', [('c', 'prog', 'tap', 'ERROR', '1..3\nok 1 /a\n', ['prog'])])
    status, lines = summarise(f'test={build}')
    assert status == 1
    assert lines[-1] == 'tests: 1 passed, 1 failed, 0 skipped'


def test_pytest_cases_come_from_the_junit_report(tmp_path):
    report = tmp_path / 'report.xml'
    report.write_text('<testsuites><testsuite>'
                      '<testcase classname="test_x" name="test_a"/>'
                      '<testcase classname="test_x" name="test_b">'
                      '<skipped message="needs PyGObject 9"/></testcase>'
                      '</testsuite></testsuites>')
    build = builddir(tmp_path, 'b', [('python', 'py', 'exitcode', 'OK', '',
                                      ['python3', '-m', 'pytest', f'--junitxml={report}'])])
    status, lines = summarise('--allow-skip', 'test_b$', f'test={build}')
    assert 'skipped: test py test_x::test_b: needs PyGObject 9' in lines
    assert (status, lines[-1]) == (0, 'tests: 1 passed, 0 failed, 1 skipped')


def test_a_stale_or_missing_junit_report_fails(tmp_path):
    report = tmp_path / 'report.xml'
    report.write_text('<testsuites><testsuite><testcase classname="t" name="a"/>'
                      '</testsuite></testsuites>')
    os.utime(report, (0, 0))
    build = builddir(tmp_path, 'b', [('python', 'py', 'exitcode', 'OK', '',
                                      ['pytest', f'--junitxml={report}'])])
    status, lines = summarise(f'test={build}')
    assert status == 1
    assert lines[-1] == 'tests: 0 passed, 1 failed, 0 skipped'


def test_a_program_that_is_neither_tap_nor_pytest_is_one_case(tmp_path):
    build = builddir(tmp_path, 'b', [('examples', 'ex', 'exitcode', 'OK', 'hello\n', ['ex']),
                                     ('examples', 'ex2', 'exitcode', 'SKIP', '', ['ex2'])])
    status, lines = summarise('--allow-skip', 'ex2', f'test={build}')
    assert (status, lines[-1]) == (0, 'tests: 1 passed, 0 failed, 1 skipped')


def test_an_emptied_program_or_suite_fails(tmp_path):
    build = builddir(tmp_path, 'b', [('c', 'prog', 'tap', 'OK', '1..0\n', ['prog'])])
    status, lines = summarise(f'test={build}')
    assert status == 1
    build = builddir(tmp_path, 'b2', [('c', 'prog', 'tap', 'OK', '1..1\nok 1 /a\n', ['prog'])])
    status, lines = summarise('--expect', 'test/c=1', '--expect', 'test/gjs=1', f'test={build}')
    assert status == 1
    assert any(line.startswith('failed: test/gjs: 0 test cases') for line in lines)
    assert lines[-1] == 'tests: 1 passed, 1 failed, 0 skipped'


def test_a_failed_step_or_a_missing_log_fails(tmp_path):
    build = builddir(tmp_path, 'b', [('c', 'prog', 'tap', 'OK', '1..1\nok 1 /a\n', ['prog'])])
    status, lines = summarise('--step', 'configure=0', '--step', 'subproject=1', f'test={build}',
                              f'gone={tmp_path / "nowhere"}')
    assert status == 1
    assert 'failed: step subproject (exit status 1)' in lines
    assert lines[-1] == 'tests: 1 passed, 2 failed, 0 skipped'


@pytest.mark.parametrize('args', [['--step'], ['--expect', 'x'], ['nolabel']])
def test_bad_arguments_are_refused(args):
    assert summarise(*args)[0] == 2
