/* phase-by-name.c: a call by name against a start function written by
 * hand, for the same operation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * call_method_sync ("skip_async") looks the method up through
 * introspection (cached after the first call) and marshals its arguments;
 * this phase shows what that adds to call_sync with a hand-written start
 * function.
 */

#include "bench-runner.h"

#include <stdio.h>

/* Skipping 0 bytes of a memory stream: a real introspected Gio method
 * whose GTask completes at once, so that the figures are the calls' own
 * cost. */
typedef struct
{
  AsyncRunner  *runner;
  GInputStream *stream;
  GValue        args[2];      /* count, io_priority */
} SkipBench;

static gboolean
start_skip (AsyncRunner         *runner,
            gpointer             user_data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             callback_data)
{
  g_input_stream_skip_async (user_data, 0, G_PRIORITY_DEFAULT, cancellable, callback, callback_data);
  return TRUE;
}

static void
bench_skip_start_function (gpointer data,
                           guint    n)
{
  SkipBench *skip = data;

  for (guint i = 0; i < n; i++)
    {
      GError *error = NULL;
      GAsyncResult *result;

      result = async_runner_call_sync (skip->runner, start_skip, skip->stream, NULL, &error);
      check_no_error ("async_runner_call_sync", error);
      if (g_input_stream_skip_finish (skip->stream, result, &error) != 0)
        check_no_error ("g_input_stream_skip_finish", error);
      g_object_unref (result);
    }
}

static void
bench_skip_by_name (gpointer data,
                    guint    n)
{
  SkipBench *skip = data;

  for (guint i = 0; i < n; i++)
    {
      GError *error = NULL;
      GValue *values = NULL;
      guint n_values = 0;

      if (!async_runner_call_method_sync (skip->runner, G_OBJECT (skip->stream), "skip_async",
                                          skip->args, G_N_ELEMENTS (skip->args), NULL,
                                          &values, &n_values, &error))
        check_no_error ("async_runner_call_method_sync", error);
      for (guint v = 0; v < n_values; v++)
        g_value_unset (&values[v]);
      g_free (values);
    }
}

static void
by_name_run (AsyncRunner *runner)
{
  SkipBench skip = { runner, g_memory_input_stream_new_from_data ("", 0, NULL), };
  GError *error = NULL;
  Bench by_name[2];

  g_value_init (&skip.args[0], G_TYPE_UINT64);
  g_value_init (&skip.args[1], G_TYPE_INT);
  g_value_set_int (&skip.args[1], G_PRIORITY_DEFAULT);

  printf ("\nCalls by name: g_input_stream_skip_async (0 bytes of a memory stream) + _finish,\n"
          "  a start function written by hand against call_method_sync (\"skip_async\")\n");
  if (!async_runner_call_method_sync (runner, G_OBJECT (skip.stream), "skip_async",
                                      skip.args, 2, NULL, NULL, NULL, &error))
    {
      printf ("  not available: %s\n", error->message);
      g_clear_error (&error);
    }
  else
    {
      by_name[0] = (Bench) { "call_sync + start function + _finish", bench_skip_start_function, &skip };
      by_name[1] = (Bench) { "call_method_sync (\"skip_async\")", bench_skip_by_name, &skip };
      run_interleaved (by_name, G_N_ELEMENTS (by_name));
      printf ("  %-44s %11s %11s\n", "", "wall", "CPU");
      for (guint b = 0; b < G_N_ELEMENTS (by_name); b++)
        print_bench (&by_name[b]);
      printf ("  by name / start function = %.2f (wall), %.2f (CPU)\n",
              by_name[1].median_ns / by_name[0].median_ns, by_name[1].cpu_ns / by_name[0].cpu_ns);
      for (guint b = 0; b < G_N_ELEMENTS (by_name); b++)
        bench_clear (&by_name[b]);
    }
  g_value_unset (&skip.args[0]);
  g_value_unset (&skip.args[1]);
  g_object_unref (skip.stream);
}

const BenchPhase phase_by_name = {
  "by-name",
  "call_method_sync (\"skip_async\") against call_sync with a start function",
  by_name_run,
  NULL,
  NULL,
};
