# SPDX-License-Identifier: LGPL-2.1-or-later
# Uses the installed typelib and the installed PyGObject override.
import gi
gi.require_version('AsyncRunner', '1')
from gi.repository import AsyncRunner, Gio, GLib  # noqa: E402

runner = AsyncRunner.Runner.get_default()


def answer(runner, task, *user_data):
    task.return_value(42)
    return True


assert runner.run_sync(answer, None) == (True, 42)

f = Gio.File.new_for_path('/etc/os-release')
ok, contents, etag = AsyncRunner.call(f.load_contents_async)
assert ok and b'ID=' in contents

try:
    AsyncRunner.call(Gio.File.new_for_path('/nonexistent/x').load_contents_async)
    raise AssertionError('expected GLib.Error')
except GLib.Error as e:
    assert e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)

print('installed Python script: OK')
