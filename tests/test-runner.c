/* test-runner.c: the core behaviour of AsyncRunner
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <async-runner.h>

static gboolean
return_int (AsyncRunner *runner,
            GTask       *task,
            gpointer     user_data)
{
  GValue value = G_VALUE_INIT;

  g_assert_true (async_runner_is_runner_thread (runner));
  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, GPOINTER_TO_INT (user_data));
  g_task_return_value (task, &value);
  g_value_unset (&value);

  return TRUE;
}

static void
test_run_sync_value (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (async_runner_run_sync (runner, return_int, GINT_TO_POINTER (42),
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 42);
  g_value_unset (&value);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/AsyncRunner/Runner/run-sync-value", test_run_sync_value);

  return g_test_run ();
}
