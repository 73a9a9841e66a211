/* phase-throughput.c: run_sync calls per second from several threads at
 * once on one runner
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "bench-runner.h"

#include <stdio.h>

#define GOAL_SCALING_RATIO    1.0    /* N callers / 1 caller throughput, at least */

typedef struct
{
  AsyncRunner *runner;
  GMutex       mutex;
  GCond        cond;
  guint        ready;         /* protected by @mutex */
  gboolean     go;            /* protected by @mutex */
  gint         stop;          /* atomic */
} Race;

typedef struct
{
  Race    *race;
  GThread *thread;
  guint64  calls;
} Racer;

static gpointer
racer_thread (gpointer data)
{
  Racer *racer = data;
  Race *race = racer->race;

  g_mutex_lock (&race->mutex);
  race->ready++;
  g_cond_broadcast (&race->cond);
  while (!race->go)
    g_cond_wait (&race->cond, &race->mutex);
  g_mutex_unlock (&race->mutex);

  while (!g_atomic_int_get (&race->stop))
    {
      run_sync_trivial (race->runner);
      racer->calls++;
    }

  return NULL;
}

/* Calls per second of @n_threads threads calling at once for one batch. */
static double
throughput_batch (AsyncRunner *runner,
                  guint        n_threads)
{
  Race race = { 0, };
  Racer *racers = g_new0 (Racer, n_threads);
  guint64 total = 0;
  gint64 start;
  gint64 elapsed;

  race.runner = runner;
  g_mutex_init (&race.mutex);
  g_cond_init (&race.cond);

  for (guint i = 0; i < n_threads; i++)
    {
      racers[i].race = &race;
      racers[i].thread = g_thread_new ("caller", racer_thread, &racers[i]);
    }

  g_mutex_lock (&race.mutex);
  while (race.ready < n_threads)
    g_cond_wait (&race.cond, &race.mutex);
  race.go = TRUE;
  g_cond_broadcast (&race.cond);
  start = now_ns ();
  g_mutex_unlock (&race.mutex);

  g_usleep (config.tput_batch_ns / 1000);
  g_atomic_int_set (&race.stop, TRUE);

  for (guint i = 0; i < n_threads; i++)
    {
      g_thread_join (racers[i].thread);
      total += racers[i].calls;
    }
  /* Until every thread returned: the calls counted include their last. */
  elapsed = now_ns () - start;

  g_cond_clear (&race.cond);
  g_mutex_clear (&race.mutex);
  g_free (racers);

  return (double) total * 1e9 / elapsed;
}

static const guint tput_threads[] = { 1, 2, 4 };

/* Calls per second, one per entry of tput_threads. Main thread only. */
static double tput[G_N_ELEMENTS (tput_threads)];

static void
throughput_run (AsyncRunner *runner)
{
  for (guint t = 0; t < G_N_ELEMENTS (tput_threads); t++)
    {
      double *batches = g_new0 (double, config.tput_batches);

      for (guint b = 0; b < config.tput_batches; b++)
        batches[b] = throughput_batch (runner, tput_threads[t]);
      tput[t] = median (batches, config.tput_batches);
      g_free (batches);
    }

  printf ("\nThroughput of run_sync (trivial) on one runner: median of %u batches of %.2f s\n",
          config.tput_batches, config.tput_batch_ns / 1e9);
  for (guint t = 0; t < G_N_ELEMENTS (tput_threads); t++)
    printf ("  %u calling thread%s %12.0f calls/s   (%.2f x 1 thread)\n",
            tput_threads[t], tput_threads[t] == 1 ? " " : "s",
            tput[t], tput[t] / tput[0]);
}

static void
throughput_goals (void)
{
  double ratio;

  ratio = tput[1] / tput[0];
  print_goal ("3a 2 callers >= 1 caller", ratio >= GOAL_SCALING_RATIO,
              "2-caller/1-caller throughput = %.2f", ratio);
  ratio = tput[2] / tput[0];
  print_goal ("3b 4 callers >= 1 caller", ratio >= GOAL_SCALING_RATIO,
              "4-caller/1-caller throughput = %.2f", ratio);
}

static void
throughput_markdown (void)
{
  printf ("| run_sync calls/s, 1 / 2 / 4 calling threads | %.0f / %.0f / %.0f | |\n", tput[0], tput[1], tput[2]);
  printf ("| throughput, 2 and 4 callers / 1 caller | %.2f / %.2f | >= 1 |\n", tput[1] / tput[0], tput[2] / tput[0]);
}

const BenchPhase phase_throughput = {
  "throughput",
  "run_sync calls per second from 1, 2 and 4 threads on one runner",
  throughput_run,
  throughput_goals,
  throughput_markdown,
};
