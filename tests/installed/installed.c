/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Built against the installed headers and library through pkg-config. */
#include <async-runner.h>

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

static gboolean
return_answer (AsyncRunner *runner,
               GTask       *task,
               gpointer     user_data)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 42);
  g_task_return_value (task, &value);
  g_value_unset (&value);
  return TRUE;
}

int
main (void)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/etc/os-release");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (ASYNC_RUNNER_CHECK_VERSION (1, 0, 0));

  result = async_runner_call_sync (async_runner_get_default (), start_load, file, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_load_contents_finish (file, result, &contents, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, "ID="));

  g_assert_true (async_runner_run_sync (async_runner_get_default (), return_answer, NULL,
                                        NULL, &value, &error));
  g_assert_cmpint (g_value_get_int (&value), ==, 42);

  g_print ("installed C program: OK\n");
  return 0;
}
