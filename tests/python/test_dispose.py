# SPDX-License-Identifier: LGPL-2.1-or-later
"""Dropping the last reference to a Runner from Python never deadlocks
(issue 10, point 2).

PyGObject drops the reference of a wrapper that has instance attributes
(a toggle reference) with the GIL held, and the runner's dispose joins its
thread: a runner thread that needs the GIL at that moment (a Python source
on its context, a timed-out run() still going) used to wait for it
forever. Each case runs in a process of its own, whose watchdog ends it if
it hangs.
"""

from conftest import run_script

# A source on the runner's context whose Python callback is ready on every
# iteration: the runner thread needs the GIL until the moment it exits.
PRELUDE = '''
import gc, os, threading
from gi.repository import GObject

def always_ready(runner):
    source = GLib.idle_source_new()
    source.set_callback(lambda *unused: GLib.SOURCE_CONTINUE)
    source.attach(runner.get_context())
'''


def run(body):
    proc = run_script(PRELUDE + body)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.split()


# The last reference, a toggle reference, goes while the runner thread runs Python sources.
def test_last_reference_with_instance_attributes_and_a_python_source():
    assert run('''
runner = AsyncRunner.Runner()
runner.label = 'x'
always_ready(runner)
del runner
print('ok')
''') == ['ok']


# The same, with the wrapper in a reference cycle: the cyclic GC drops the reference.
def test_last_reference_dropped_by_the_cyclic_gc():
    assert run('''
runner = AsyncRunner.Runner()
runner.me = runner
always_ready(runner)
del runner
gc.collect()
print('ok')
''') == ['ok']


# A failed call's traceback holds the runner in a cycle with the frame; the GC ends it.
def test_last_reference_held_by_a_failed_calls_traceback():
    assert run('''
def fail():
    runner = AsyncRunner.Runner()
    runner.label = 'x'
    always_ready(runner)
    runner.run(lambda: 1 / 0)

try:
    fail()
except ZeroDivisionError as e:
    error = e
del error
gc.collect()
print('ok')
''') == ['ok']


# A run() that was cancelled is still going when the last reference goes:
# its function returns, needing the GIL, while the runner stops. (Its task
# holds the runner until then, so the last reference goes on the runner
# thread.)
def test_last_reference_while_a_cancelled_run_is_still_going():
    assert run('''
read_fd, write_fd = os.pipe()
entered = threading.Event()
cancellable = Gio.Cancellable()

def blocked():
    entered.set()
    os.read(read_fd, 1)     # until the write end is closed
    return 'done'

threading.Thread(target=lambda: (entered.wait(30), cancellable.cancel())).start()
runner = AsyncRunner.Runner()
runner.label = 'x'
try:
    runner.with_options(cancellable=cancellable).run(blocked)
except GLib.Error as e:
    print('cancelled' if e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED) else e)

# A list drops its items last first, in C, without running bytecode in
# between: the function is let go (its read ends), then the runner goes.
pair = [runner, os.fdopen(write_fd, 'wb', buffering=0)]
del runner
del pair
print('ok')
''') == ['cancelled', 'ok']


# A runner left in a global with a Python source on its context: the interpreter exits.
def test_runner_alive_at_interpreter_exit():
    assert run('''
runner = AsyncRunner.Runner()
runner.label = 'x'
always_ready(runner)
print('ok')
''') == ['ok']


# The interpreter's exit shuts down the runners made from Python while Python
# still runs: a call in flight then (from a daemon thread) has its operation
# cancelled, whose Python handler still runs and prints.
def test_runner_shut_down_at_interpreter_exit():
    assert run('''
runner = AsyncRunner.Runner()
started = threading.Event()

class Held:
    def start_async(self, cancellable, callback):
        self.task = Gio.Task.new(None, cancellable, callback)
        GObject.Object.connect(cancellable, 'cancelled', self.on_cancelled)
        started.set()
    def on_cancelled(self, cancellable):
        os.write(1, b'cancelled\\n')
        self.task.return_error_if_cancelled()
    def start_finish(self, result):
        return result.propagate_boolean()

def caller():
    try:
        runner.call(Held().start_async)
    except GLib.Error:
        pass

threading.Thread(target=caller, daemon=True).start()
assert started.wait(30)
print('ok', flush=True)
''') == ['ok', 'cancelled']
