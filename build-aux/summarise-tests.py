#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Counts test CASES in the meson test logs of the build directories given,
and judges one stack's run. Prints every skipped case with its reason, every
failure, one line per suite, and last: "tests: N passed, N failed, N skipped".
Exits 1 on any failure.

Usage: summarise-tests.py [--step NAME=STATUS]... [--expect KEY=MIN]...
                          [--allow-skip REGEX]... LABEL=BUILDDIR...

A case is:
  - a TAP line of a TAP program (GTest --tap, the GJS tests): "ok",
    "ok # SKIP reason", "not ok"; "1..0 # SKIP reason" is one skipped case;
  - a <testcase> of the JUnit XML that a program's command names with
    --junitxml=PATH (pytest), written during that run;
  - else the program itself (exit status; 77 is a skip).
A program that meson judged failed (crash, timeout, wrong plan) counts one
failure more unless one of its cases failed already; a TAP or pytest program
that reports no case at all counts as a failure (an emptied file).

--step NAME=STATUS: a step of the run (configure, build, install...) and its
exit status; each non-zero one counts as one failure.
--expect KEY=MIN: at least MIN cases (passed, failed or skipped) must be
reported for KEY, which is LABEL (every test of that build directory),
LABEL/SUITE (one meson suite of it) or LABEL/SUITE/TEST (one test program);
fewer counts as one failure. This is
how a suite that vanishes (a tool not found, a file emptied) fails the run.
--allow-skip REGEX: a skipped case whose "LABEL TEST CASE" REGEX matches
(re.search) is expected on this stack; every other skip also counts as
one failure, so that a case that stops running fails the run.

A build directory that left no log counts as one failure.
"""

import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

TAP_RESULT = re.compile(
    r"^(?P<ok>ok|not ok)\b\s*(?P<number>\d+)?\s*(?P<name>[^#]*?)\s*"
    r"(?:#\s*(?P<directive>SKIP|TODO)\S*\s*(?P<reason>.*))?$",
    re.IGNORECASE)
TAP_PLAN = re.compile(r"^1\.\.(?P<count>\d+)\s*(?:#\s*SKIP\S*\s*(?P<reason>.*))?$",
                      re.IGNORECASE)
FAILED_RESULTS = ("FAIL", "ERROR", "TIMEOUT", "UNEXPECTEDPASS", "INTERRUPT")


class Counts:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def total(self):
        return self.passed + self.failed + self.skipped

    def __str__(self):
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"


class Summary:
    def __init__(self, allowed_skips=()):
        self.allowed_skips = [re.compile(r) for r in allowed_skips]
        self.total = Counts()
        self.programs = {}  # "LABEL/SUITE/PROGRAM" -> Counts
        self.skips = []  # lines
        self.failures = []  # lines

    def case(self, key, result, what, reason=""):
        for counts in (self.total, self.programs.setdefault(key, Counts())):
            if result == "pass":
                counts.passed += 1
            elif result == "skip":
                counts.skipped += 1
            else:
                counts.failed += 1
        if result == "skip":
            self.skips.append(f"skipped: {what}: {reason or 'no reason given'}")
            if not any(r.search(what) for r in self.allowed_skips):
                self.failure(f"{what}: skipped, and no --allow-skip expects it")
        elif result == "fail":
            self.failures.append(f"failed: {what}{': ' + reason if reason else ''}")

    def failure(self, what):
        """A failure that is not a case: a step, a missing log or suite."""
        self.total.failed += 1
        self.failures.append(f"failed: {what}")


def tap_cases(stdout):
    """(result, name, reason) of each top-level TAP line of @stdout."""
    cases = []
    for line in (stdout or "").splitlines():
        plan = TAP_PLAN.match(line)
        if plan and plan.group("count") == "0":
            cases.append(("skip", "(whole program)", plan.group("reason") or ""))
            continue
        if line.startswith("Bail out!"):
            cases.append(("fail", "Bail out!", line[len("Bail out!"):].strip()))
            continue
        match = TAP_RESULT.match(line)
        if not match:
            continue
        name = match.group("name").lstrip("- ") or f"#{match.group('number')}"
        directive = (match.group("directive") or "").upper()
        reason = match.group("reason") or ""
        if directive == "SKIP":
            cases.append(("skip", name, reason))
        elif directive == "TODO":
            # An expected failure, or an unexpected pass: neither breaks.
            cases.append(("pass", name, ""))
        elif match.group("ok").lower() == "ok":
            cases.append(("pass", name, ""))
        else:
            cases.append(("fail", name, ""))
    return cases


def junit_cases(path, starttime):
    """(result, name, reason) of each <testcase> of the JUnit XML at @path,
    or None if there is none written since @starttime (a stale file)."""
    try:
        if os.path.getmtime(path) < starttime - 1:
            return None
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    cases = []
    for case in root.iter("testcase"):
        name = "::".join(filter(None, (case.get("classname"), case.get("name"))))
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            message = (failure.get("message") or "").splitlines()
            cases.append(("fail", name, message[0] if message else ""))
        elif skipped is not None:
            cases.append(("skip", name, skipped.get("message") or ""))
        else:
            cases.append(("pass", name, ""))
    return cases


def tests_of(builddir):
    """[(name, suite, protocol, command)...] of the tests meson registered,
    from its introspection data (suite without the project's prefix)."""
    try:
        with open(os.path.join(builddir, "meson-info", "intro-tests.json")) as f:
            tests = json.load(f)
    except (OSError, ValueError):
        return []
    return [(t["name"], t["suite"][0].split(":", 1)[-1] if t["suite"] else "",
             t.get("protocol", "exitcode"), t.get("cmd") or [])
            for t in tests]


def identify(full, command, tests):
    """(suite, name, protocol or None) of the test that meson logged as
    @full running @command. The name depends on meson's version: 'name'
    (0.56), 'project:suite / name' (0.57 to 1.11), 'suite - project:name'
    or 'project:name' (1.12); the command ends with the registered one (a
    test setup may put a wrapper first)."""
    best, best_score = None, -1
    for name, suite, protocol, cmd in tests:
        if not (full == name or full.endswith((" / " + name, ":" + name, " - " + name))):
            continue
        score = len(name)
        if suite and re.search(r"(^|[ :])" + re.escape(suite) + r"( |$)", full):
            score += 1000
        if cmd and command[-len(cmd):] == cmd:
            score += 500
        if score > best_score:
            best, best_score = (suite, name, protocol), score
    if best is not None:
        return best
    # Not registered (no introspection data): parse what we can.
    if " / " in full:
        suite, name = full.split(" / ", 1)
        return suite.split(":", 1)[-1], name, None
    if " - " in full:
        suite, name = full.split(" - ", 1)
        return suite, name.split(":", 1)[-1], None
    return "", full.split(":", 1)[-1], None


def summarise_log(summary, label, path, tests):
    with open(path) as log:
        for line in log:
            record = json.loads(line)
            suite, name, protocol = identify(record["name"], record.get("command") or [], tests)
            stdout = record.get("stdout") or ""
            # The protocol as registered; else TAP output tells.
            if protocol is None:
                protocol = "tap" if any(TAP_PLAN.match(l) or TAP_RESULT.match(l)
                                        for l in stdout.splitlines()) else "exitcode"
            key = f"{label}/{suite}/{name}" if suite else f"{label}/{name}"
            program = f"{label} {name}"
            result = record["result"]
            junit = next((arg.split("=", 1)[1] for arg in record.get("command") or []
                          if arg.startswith("--junitxml=")), None)
            if junit is not None:
                cases = junit_cases(junit, record.get("starttime") or 0)
                if cases is None:
                    cases = []
                    if result not in FAILED_RESULTS:
                        summary.failure(f"{program}: no JUnit report written ({junit})")
                        continue
            elif protocol == "tap":
                cases = tap_cases(stdout)
            elif result not in FAILED_RESULTS:
                # Neither TAP nor JUnit: the program is the case.
                cases = [("skip" if result == "SKIP" else "pass", None, "")]
            else:
                cases = []
            if not cases and result not in FAILED_RESULTS:
                summary.failure(f"{program}: reported no test case")
            for case_result, case_name, reason in cases:
                what = program if case_name is None else f"{program} {case_name}"
                summary.case(key, case_result, what, reason)
            if result in FAILED_RESULTS and not any(c[0] == "fail" for c in cases):
                summary.case(key, "fail", program,
                             f"{result} (exit status {record.get('returncode')})")


def main(argv):
    steps, expects, allowed_skips, dirs = [], [], [], []
    args = iter(argv)
    for arg in args:
        if arg == "--allow-skip":
            value = next(args, None)
            if value is None:
                print(f"summarise-tests.py: {arg} needs a REGEX", file=sys.stderr)
                return 2
            allowed_skips.append(value)
        elif arg in ("--step", "--expect"):
            value = next(args, None)
            if value is None or "=" not in value:
                print(f"summarise-tests.py: {arg} needs NAME=VALUE", file=sys.stderr)
                return 2
            (steps if arg == "--step" else expects).append(value.split("=", 1))
        elif "=" in arg:
            dirs.append(arg.split("=", 1))
        else:
            print(f"summarise-tests.py: LABEL=BUILDDIR expected, not '{arg}'", file=sys.stderr)
            return 2

    summary = Summary(allowed_skips)
    for label, builddir in dirs:
        # Test setups (--setup valgrind) write testlog-SETUP.json.
        paths = sorted(glob.glob(f"{builddir}/meson-logs/testlog*.json"))
        if not paths:
            summary.failure(f"{label}: no test log in {builddir}")
        tests = tests_of(builddir)
        for path in paths:
            summarise_log(summary, label, path, tests)

    for key, minimum in expects:
        found = sum(c.total() for k, c in summary.programs.items()
                    if k == key or k.startswith(key + "/"))
        if found < int(minimum):
            summary.failure(f"{key}: {found} test cases, at least {minimum} expected "
                            "(a suite not built, or emptied)")

    for name, status in steps:
        if status != "0":
            summary.failure(f"step {name} (exit status {status})")

    suites = {}
    for key, counts in summary.programs.items():
        suites.setdefault(key.rsplit("/", 1)[0], Counts()).add(counts)
    for key in sorted(suites):
        print(f"suite {key}: {suites[key]}")
    for line in summary.skips + summary.failures:
        print(line)
    print(f"tests: {summary.total}")
    return 1 if summary.total.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
