/* phase-contention.c: many threads calling at once: throughput, and the
 * CPU time a call costs, against the in-thread idiom
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A sync facade is often called from several threads at once (a worker
 * pool, a server's handlers). Here 1, 2, 4, 8 and 16 threads make trivial
 * calls back to back for one batch:
 *  - run_sync, all on one shared runner: every call is a hand-off to the
 *    runner thread and back;
 *  - the in-thread idiom, each call on a private context of the calling
 *    thread: nothing is shared, so it shows what the cores give with no
 *    hand-off at all.
 * Per column: the calls per second of all threads together, and the CPU
 * time of the whole process (every thread: callers, runner, spinning
 * included, from getrusage (RUSAGE_SELF)) per call, which a wall-clock
 * figure hides: a waiter that spins burns a core another caller could use.
 *
 * The threads are started for each batch and released together; the
 * batches are interleaved round by round (run_sync with 1 thread, the
 * idiom with 1, run_sync with 2, ...) so that outside load hits them all
 * alike, and each figure is the median over the rounds. `--cpus 1` pins
 * the process to one CPU, to measure one core.
 */

#include "bench-runner.h"

#include <stdio.h>

#define GOAL_SCALING_RATIO    1.0    /* N callers / 1 caller throughput, at least */
#define GOAL_CPU_RATIO        1.0    /* CPU per call, run_sync / idiom, at most */

static const guint callers[] = { 1, 2, 4, 8, 16 };
#define N_COLUMNS G_N_ELEMENTS (callers)

static void
idiom_call (AsyncRunner *runner)
{
  in_thread_call ();
}

typedef struct
{
  const char *name;
  void      (*call) (AsyncRunner *runner);
} Subject;

enum { RUN_SYNC, IDIOM, N_SUBJECTS };

static const Subject subjects[N_SUBJECTS] = {
  [RUN_SYNC] = { "run_sync", run_sync_trivial },
  [IDIOM] = { "idiom", idiom_call },
};

/* One batch: @n_threads threads calling at once. */
typedef struct
{
  const Subject *subject;
  AsyncRunner   *runner;
  GMutex         mutex;
  GCond          cond;
  guint          ready;       /* protected by @mutex */
  gboolean       go;          /* protected by @mutex */
  gint           stop;        /* atomic */
} Race;

typedef struct
{
  Race    *race;
  GThread *thread;
  guint64  calls;             /* its thread's until joined */
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
      race->subject->call (race->runner);
      racer->calls++;
    }

  return NULL;
}

/* Calls per second of all threads together, and process CPU ns per
 * call, for one batch of @n_threads threads calling @subject at once. */
static void
race_batch (const Subject *subject,
            AsyncRunner   *runner,
            guint          n_threads,
            double        *calls_per_s,
            double        *cpu_ns)
{
  Race race = { subject, runner, };
  Racer *racers = g_new0 (Racer, n_threads);
  guint64 total = 0;
  gint64 cpu_start;
  gint64 start;
  gint64 elapsed;

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
  /* The racers sleep on @cond until now: their start costs nothing. */
  cpu_start = process_cpu_ns ();
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
  *cpu_ns = (double) (process_cpu_ns () - cpu_start) / MAX (total, 1);
  *calls_per_s = (double) total * 1e9 / elapsed;

  g_cond_clear (&race.cond);
  g_mutex_clear (&race.mutex);
  g_free (racers);
}

/* Medians over the rounds. Main thread only. */
static double tput[N_SUBJECTS][N_COLUMNS];   /* calls/s */
static double cpu[N_SUBJECTS][N_COLUMNS];    /* ns per call */

static void
print_row (const char   *label,
           const double *values,
           const char   *format,
           double        scale)
{
  printf ("  %-30s", label);
  for (guint c = 0; c < N_COLUMNS; c++)
    printf (format, values[c] / scale);
  printf ("\n");
}

static void
contention_run (AsyncRunner *runner)
{
  double *samples[N_SUBJECTS][N_COLUMNS][2];  /* calls/s, CPU ns per call */
  g_autofree char *cpus_used = describe_cpus ();

  for (guint s = 0; s < N_SUBJECTS; s++)
    for (guint c = 0; c < N_COLUMNS; c++)
      for (guint k = 0; k < 2; k++)
        samples[s][c][k] = g_new0 (double, config.tput_batches);

  for (guint round = 0; round < config.tput_batches; round++)
    for (guint c = 0; c < N_COLUMNS; c++)
      for (guint s = 0; s < N_SUBJECTS; s++)
        race_batch (&subjects[s], runner, callers[c],
                    &samples[s][c][0][round], &samples[s][c][1][round]);

  for (guint s = 0; s < N_SUBJECTS; s++)
    for (guint c = 0; c < N_COLUMNS; c++)
      {
        tput[s][c] = median (samples[s][c][0], config.tput_batches);
        cpu[s][c] = median (samples[s][c][1], config.tput_batches);
        g_free (samples[s][c][0]);
        g_free (samples[s][c][1]);
      }

  printf ("\nContention: trivial calls from N threads at once, run_sync on one runner against the\n"
          "  in-thread idiom on each thread's own context; median of %u interleaved rounds of\n"
          "  %.2f s batches; CPU = the process's CPU time (all threads) per call; on CPUs %s\n",
          config.tput_batches, config.tput_batch_ns / 1e9, cpus_used);
  printf ("  %-30s", "calling threads");
  for (guint c = 0; c < N_COLUMNS; c++)
    printf (" %10u", callers[c]);
  printf ("\n");
  for (guint s = 0; s < N_SUBJECTS; s++)
    {
      double ratio[N_COLUMNS];
      g_autofree char *label = g_strdup_printf ("%s calls/s", subjects[s].name);

      for (guint c = 0; c < N_COLUMNS; c++)
        ratio[c] = tput[s][c] / tput[s][0];
      print_row (label, tput[s], " %10.0f", 1);
      print_row ("  x 1 caller", ratio, " %10.2f", 1);
      print_row ("  CPU per call (us)", cpu[s], " %10.2f", 1000);
    }
  {
    double ratio[N_COLUMNS];

    for (guint c = 0; c < N_COLUMNS; c++)
      ratio[c] = cpu[RUN_SYNC][c] / cpu[IDIOM][c];
    print_row ("CPU per call, run_sync / idiom", ratio, " %10.2f", 1);
  }
}

static void
contention_goals (void)
{
  static const char *const names[N_COLUMNS] = {
    NULL,
    "3a 2 callers >= 1 caller",
    "3b 4 callers >= 1 caller",
    "3c 8 callers >= 1 caller",
    "3d 16 callers >= 1 caller",
  };
  double ratio;
  double worst = 0;
  guint worst_c = 1;

  for (guint c = 1; c < N_COLUMNS; c++)
    {
      ratio = tput[RUN_SYNC][c] / tput[RUN_SYNC][0];
      print_goal (names[c], ratio >= GOAL_SCALING_RATIO,
                  "%u-caller/1-caller throughput = %.2f", callers[c], ratio);
    }

  ratio = cpu[RUN_SYNC][0] / cpu[IDIOM][0];
  print_goal ("7a CPU per call <= idiom's, 1 caller", ratio <= GOAL_CPU_RATIO,
              "run_sync/idiom CPU per call = %.2f", ratio);
  for (guint c = 1; c < N_COLUMNS; c++)
    {
      ratio = cpu[RUN_SYNC][c] / cpu[IDIOM][c];
      if (ratio > worst)
        {
          worst = ratio;
          worst_c = c;
        }
    }
  print_goal ("7b CPU per call <= idiom's, 2-16 callers", worst <= GOAL_CPU_RATIO,
              "run_sync/idiom CPU per call, worst = %.2f (%u callers)", worst, callers[worst_c]);
}

/* One markdown row: @values one per column, " / " between them. */
static void
markdown_row (const char   *measure,
              const double *values,
              const char   *format,
              double        scale,
              const char   *unit,
              const char   *goal)
{
  printf ("| %s | ", measure);
  for (guint c = 0; c < N_COLUMNS; c++)
    {
      printf (format, values[c] / scale);
      printf ("%s", c + 1 < N_COLUMNS ? " / " : unit);
    }
  printf (" | %s |\n", goal);
}

static void
contention_markdown (void)
{
  double ratio[N_COLUMNS];

  markdown_row ("run_sync calls/s, 1 / 2 / 4 / 8 / 16 calling threads", tput[RUN_SYNC], "%.0f", 1, "", "");
  for (guint c = 0; c < N_COLUMNS; c++)
    ratio[c] = tput[RUN_SYNC][c] / tput[RUN_SYNC][0];
  markdown_row ("throughput, 1 / 2 / 4 / 8 / 16 callers / 1 caller", ratio, "%.2f", 1, "", ">= 1");
  markdown_row ("in-thread idiom calls/s, 1 / 2 / 4 / 8 / 16 threads", tput[IDIOM], "%.0f", 1, "", "");
  markdown_row ("CPU per run_sync call (all threads), 1 / 2 / 4 / 8 / 16 callers", cpu[RUN_SYNC], "%.2f", 1000, " us", "");
  markdown_row ("CPU per in-thread idiom call, 1 / 2 / 4 / 8 / 16 threads", cpu[IDIOM], "%.2f", 1000, " us", "");
  for (guint c = 0; c < N_COLUMNS; c++)
    ratio[c] = cpu[RUN_SYNC][c] / cpu[IDIOM][c];
  markdown_row ("CPU per call, run_sync / idiom, 1 / 2 / 4 / 8 / 16 callers", ratio, "%.2f", 1, "", "<= 1");
}

const BenchPhase phase_contention = {
  "contention",
  "run_sync from 1 to 16 threads on one runner against the in-thread idiom: calls/s, CPU per call",
  contention_run,
  contention_goals,
  contention_markdown,
};
