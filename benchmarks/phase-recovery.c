/* phase-recovery.c: trivial calls right after a run of slow ones
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Slow calls teach adaptive waiting that waits are long; the trivial
 * calls right after them should cost what they cost in the steady state.
 */

#include "bench-runner.h"

#include <stdio.h>

#define GOAL_RECOVERY_RATIO   1.5    /* first calls after slow ones / steady, at most */

#define SLOW_CALL_US     300
#define RECOVERY_CHUNKS  10

typedef struct
{
  guint  slow_calls;
  guint  per_chunk;
  double chunks_ns[RECOVERY_CHUNKS];   /* per call, in order */
  double steady_ns;                    /* per call, after the chunks */
} RecoveryResult;

static gboolean
return_later (gpointer user_data)
{
  g_task_return_boolean (user_data, TRUE);
  return G_SOURCE_REMOVE;
}

/* Completes its task SLOW_CALL_US later, from a source on the runner
 * context: what a real operation does, and what teaches adaptive waiting
 * that waits are long. */
static gboolean
slow_func (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  GSource *source = g_timeout_source_new (0);

  g_source_set_ready_time (source, g_get_monotonic_time () + SLOW_CALL_US);
  g_source_set_callback (source, return_later, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);

  return TRUE;
}

static RecoveryResult
measure_recovery (AsyncRunner *runner)
{
  RecoveryResult result = { 0, };
  double steady[5];

  result.slow_calls = config.quick ? 50 : 200;
  result.per_chunk = config.quick ? 200 : 1000;

  for (guint i = 0; i < result.slow_calls; i++)
    {
      GError *error = NULL;

      if (!async_runner_run_sync (runner, slow_func, NULL, NULL, NULL, &error))
        check_no_error ("async_runner_run_sync", error);
    }

  for (guint c = 0; c < RECOVERY_CHUNKS; c++)
    {
      gint64 start = now_ns ();

      bench_run_sync (runner, result.per_chunk);
      result.chunks_ns[c] = (double) (now_ns () - start) / result.per_chunk;
    }

  /* The steady state, measured the same way right after. */
  bench_run_sync (runner, 10 * result.per_chunk);
  for (guint c = 0; c < G_N_ELEMENTS (steady); c++)
    {
      gint64 start = now_ns ();

      bench_run_sync (runner, result.per_chunk);
      steady[c] = (double) (now_ns () - start) / result.per_chunk;
    }
  result.steady_ns = median (steady, G_N_ELEMENTS (steady));

  return result;
}

/* Main thread only. */
static RecoveryResult recovery;

static void
recovery_run (AsyncRunner *runner)
{
  recovery = measure_recovery (runner);
  printf ("\nTrivial run_sync calls right after %u calls of %u us: per call, chunks of %u calls in order\n ",
          recovery.slow_calls, SLOW_CALL_US, recovery.per_chunk);
  for (guint c = 0; c < RECOVERY_CHUNKS; c++)
    printf (" %.2f", recovery.chunks_ns[c] / 1000);
  printf (" us; steady state after them %.2f us\n", recovery.steady_ns / 1000);
}

static void
recovery_goals (void)
{
  double ratio = recovery.chunks_ns[0] / recovery.steady_ns;

  print_goal ("6b latency recovers at once after load", ratio <= GOAL_RECOVERY_RATIO,
              "first %u calls after slow ones / steady = %.2f (<= %.1f)",
              recovery.per_chunk, ratio, GOAL_RECOVERY_RATIO);
}

static void
recovery_markdown (void)
{
  printf ("| run_sync right after %u slow calls: first %u calls / steady, per call | %.2f / %.2f us | flat |\n",
          recovery.slow_calls, recovery.per_chunk,
          recovery.chunks_ns[0] / 1000, recovery.steady_ns / 1000);
}

const BenchPhase phase_recovery = {
  "recovery",
  "trivial calls right after a run of slow ones, against the steady state",
  recovery_run,
  recovery_goals,
  recovery_markdown,
};
