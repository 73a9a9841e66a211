# SPDX-License-Identifier: LGPL-2.1-or-later
"""The machinery of the AsyncRunner override (``gi/overrides/AsyncRunner.py``),
one module per concern; dependencies go one way, down this list:

- ``common``: the raw GI modules and functions, constants, interpreter checks.
- ``signals``: ending a call early: its cancellable, the per-call timeout,
  Ctrl-C (wakeup fd, SIGINT handler) on the watchdog thread, fork.
- ``thread``: each runner thread's pinned thread state and Python pump.
- ``gio_call``: call(): how a Gio async method starts, and its finish.
- ``loop``: the asyncio loop over a runner's GLib context; run_async().
- ``iterate``: iterate(): the async generator in one task of the loop.
- ``exit``: shutting runners down from Python, and the interpreter's exit.
- ``functions``: the module-level functions (call, run, run_async, iterate,
  wrap, sync, call_all, with_options).
- ``runner``: the methods of the `Runner` override.

Private: nothing here is API.
"""
