/* async-runner-task.c: what a run_sync function completed its task with
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * run_sync() with a value wants the task completed with
 * g_task_return_value(). g_task_propagate_value() on a task completed
 * otherwise fails with a GLib critical, and GTask offers no way to ask
 * first. But g_task_return_value() stores a GValue with g_task_return_pointer()
 * and a destroy function of its own, which the task keeps until the result
 * is propagated. So, once per process, two throwaway tasks find where a task
 * keeps the destroy function of its result and which function
 * g_task_return_value() puts there; a completed task is then told apart by
 * one read. Should the layout ever defeat this (the destroy function is not
 * found exactly once), the kind is UNKNOWN and run_sync() behaves as before.
 */

#include "config.h"

#include "async-runner-task-private.h"

/* Written once, under g_once_init. */
static gsize destroy_offset;      /* 0: not found */
static gpointer value_destroy;

static void
probe_destroy (gpointer data)
{
}

static gpointer
word_at (GTask *task,
         gsize  offset)
{
  return *(gpointer *) (gpointer) ((guint8 *) task + offset);
}

static void
probe (void)
{
  /* The probes complete in a context of their own, iterated here, so that
   * no source is left in the caller's. */
  g_autoptr(GMainContext) context = g_main_context_new ();
  GTypeQuery query;
  GTask *with_pointer;
  GTask *with_value;
  GTask *with_boolean;
  GValue value = G_VALUE_INIT;
  gsize found = 0;
  guint n_found = 0;

  g_type_query (G_TYPE_TASK, &query);
  g_main_context_push_thread_default (context);

  with_pointer = g_task_new (NULL, NULL, NULL, NULL);
  with_value = g_task_new (NULL, NULL, NULL, NULL);
  with_boolean = g_task_new (NULL, NULL, NULL, NULL);
  g_task_return_pointer (with_pointer, &destroy_offset, probe_destroy);
  g_value_init (&value, G_TYPE_INT);
  g_task_return_value (with_value, &value);
  g_task_return_boolean (with_boolean, TRUE);

  for (gsize offset = sizeof (GObject);
       offset + sizeof (gpointer) <= query.instance_size;
       offset += sizeof (gpointer))
    {
      if (word_at (with_pointer, offset) == (gpointer) probe_destroy)
        {
          found = offset;
          n_found++;
        }
    }

  if (n_found == 1 &&
      word_at (with_value, found) != NULL &&
      word_at (with_value, found) != (gpointer) probe_destroy &&
      word_at (with_boolean, found) == NULL)
    {
      value_destroy = word_at (with_value, found);
      destroy_offset = found;
    }

  while (g_main_context_iteration (context, FALSE))
    ;
  g_object_unref (with_pointer);
  g_object_unref (with_value);
  g_object_unref (with_boolean);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
}

/* Any thread: @task has been completed without an error and its result
 * not yet propagated. */
AsyncRunnerTaskResult
_async_runner_task_get_result_kind (GTask *task)
{
  static gsize probed;

  if (g_once_init_enter (&probed))
    {
      probe ();
      g_once_init_leave (&probed, 1);
    }

  if (destroy_offset == 0)
    return ASYNC_RUNNER_TASK_RESULT_UNKNOWN;

  return word_at (task, destroy_offset) == value_destroy
    ? ASYNC_RUNNER_TASK_RESULT_VALUE
    : ASYNC_RUNNER_TASK_RESULT_OTHER;
}
