/* parent.c: a parent project's program, linked with async-runner built as
 * a subproject: one call through the default runner.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <async-runner.h>

static gboolean
answer (AsyncRunner *runner,
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
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  if (!ASYNC_RUNNER_CHECK_VERSION (1, 0, 0))
    g_error ("version macros");

  if (!async_runner_run_sync (async_runner_get_default (), answer, NULL, NULL, &value, &error))
    g_error ("run_sync: %s", error->message);
  if (g_value_get_int (&value) != 42)
    g_error ("run_sync returned %d", g_value_get_int (&value));
  g_value_unset (&value);

  g_print ("parent project: OK\n");
  return 0;
}
