/* bench-trivial.c: the library's calls at their most trivial, which the
 * phases time against the baselines
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * run_sync of a function that returns its task at once; call_sync of a
 * GIO-style asynchronous function that does the same, and its _finish.
 * What they cost is the hand-off to the runner thread and back.
 */

#include "bench-runner.h"

static gboolean
trivial_func (AsyncRunner *runner,
              GTask       *task,
              gpointer     user_data)
{
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

void
run_sync_trivial (AsyncRunner *runner)
{
  GError *error = NULL;

  if (!async_runner_run_sync (runner, trivial_func, NULL, NULL, NULL, &error))
    check_no_error ("async_runner_run_sync", error);
}

void
bench_run_sync (gpointer data,
                guint    n)
{
  for (guint i = 0; i < n; i++)
    run_sync_trivial (data);
}

/* A GIO-style asynchronous function at its most trivial, and its finish. */
static void
fake_op_async (GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
fake_op_finish (GAsyncResult  *result,
                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
start_fake_op (AsyncRunner         *runner,
               gpointer             user_data,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             callback_data)
{
  fake_op_async (cancellable, callback, callback_data);
  return TRUE;
}

void
bench_call_sync (gpointer data,
                 guint    n)
{
  for (guint i = 0; i < n; i++)
    {
      GError *error = NULL;
      GAsyncResult *result;

      result = async_runner_call_sync (data, start_fake_op, NULL, NULL, &error);
      check_no_error ("async_runner_call_sync", error);
      if (!fake_op_finish (result, &error))
        check_no_error ("fake_op_finish", error);
      g_object_unref (result);
    }
}

