/* bench-python-c.c: the C side of bench-python.py, loaded with ctypes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Python benchmark compares AsyncRunner.call() with the C
 * async_runner_call_sync() of the same operation in one process and one
 * run: these functions time the C calls.
 */

#include <async-runner.h>
#include <gio/gio.h>
#include <gmodule.h>

static gboolean
start_load (AsyncRunner         *runner,
            gpointer             user_data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             callback_data)
{
  g_file_load_contents_async (user_data, cancellable, callback, callback_data);
  return TRUE;
}

G_MODULE_EXPORT double bench_python_c_call_sync_load (const char   *path,
                                                      unsigned int  n);

/* Loads the file at @path @n times with async_runner_call_sync() on the
 * default runner and returns the seconds taken, or -1 on an error. */
G_MODULE_EXPORT double
bench_python_c_call_sync_load (const char  *path,
                               unsigned int n)
{
  AsyncRunner *runner = async_runner_get_default ();
  g_autoptr(GFile) file = g_file_new_for_path (path);
  gint64 start = g_get_monotonic_time ();

  for (unsigned int i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      g_autofree char *contents = NULL;
      gsize length;

      result = async_runner_call_sync (runner, start_load, file, NULL, &error);
      if (result == NULL ||
          !g_file_load_contents_finish (file, result, &contents, &length, NULL, &error))
        return -1;
    }

  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}
