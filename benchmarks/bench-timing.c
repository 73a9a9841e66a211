/* bench-timing.c: clocks, medians, and latency benchmarks run in
 * interleaved batches
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Per-call latencies are the median, over several batches, of each
 * batch's mean time per call; the batches of the benchmarks of one phase
 * are interleaved round by round so that a burst of outside load hits
 * them all alike.
 */

#include "bench-runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* CPU time of every thread of the process: a call that spins on two
 * cores costs twice its wall time. */
gint64
process_cpu_ns (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return ((gint64) usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_GINT64_CONSTANT (1000000000) +
         ((gint64) usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000;
}

void
check_no_error (const char *what,
                GError     *error)
{
  if (error != NULL)
    {
      g_printerr ("bench-runner: %s failed: %s\n", what, error->message);
      exit (EXIT_FAILURE);
    }
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Sorts @values in place. */
double
median (double *values,
        guint   n)
{
  g_assert (n > 0);

  qsort (values, n, sizeof *values, compare_doubles);
  if (n % 2 == 1)
    return values[n / 2];
  return (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* Doubles the batch until one takes a quarter of the target, then scales
 * it to the target. Serves as the warm-up too. */
static void
calibrate (Bench *bench)
{
  gint64 warm_up_end = now_ns () + config.batch_ns / 2;
  guint n = 1;

  /* Untimed: the first calls start threads, and adaptive waiting needs
   * a few calls to learn. */
  do
    bench->run (bench->data, WARM_UP_CALLS);
  while (now_ns () < warm_up_end);

  for (;;)
    {
      gint64 start = now_ns ();
      gint64 elapsed;

      bench->run (bench->data, n);
      elapsed = MAX (now_ns () - start, 1);

      if (elapsed >= config.batch_ns / 4 || n >= (1u << 24))
        {
          /* A floor, so that a calibration slowed down by outside load
           * does not leave batches too short to average anything. */
          bench->batch = (guint) CLAMP ((double) n * config.batch_ns / elapsed,
                                        config.min_batch, 1u << 26);
          return;
        }
      n *= 2;
    }
}

void
run_interleaved (Bench *benches,
                 guint  n_benches)
{
  for (guint b = 0; b < n_benches; b++)
    {
      calibrate (&benches[b]);
      benches[b].samples = g_new0 (double, config.rounds);
      benches[b].cpu_samples = g_new0 (double, config.rounds);
    }

  for (guint round = 0; round < config.rounds; round++)
    for (guint b = 0; b < n_benches; b++)
      {
        Bench *bench = &benches[b];
        gint64 cpu_start;
        gint64 start;

        /* Untimed: threads that slept while the other benchmarks ran
         * wake up here, so that the batch measures the steady state. */
        bench->run (bench->data, WARM_UP_CALLS);

        cpu_start = process_cpu_ns ();
        start = now_ns ();

        bench->run (bench->data, bench->batch);
        bench->samples[round] = (double) (now_ns () - start) / bench->batch;
        bench->cpu_samples[round] = (double) (process_cpu_ns () - cpu_start) / bench->batch;
      }

  for (guint b = 0; b < n_benches; b++)
    {
      Bench *bench = &benches[b];

      bench->median_ns = median (bench->samples, config.rounds);
      bench->min_ns = bench->samples[0];
      bench->max_ns = bench->samples[config.rounds - 1];
      bench->cpu_ns = median (bench->cpu_samples, config.rounds);
    }
}

void
print_bench (const Bench *bench)
{
  printf ("  %-44s %8.2f us %8.2f us   [%.2f .. %.2f]  x%u\n",
          bench->label, bench->median_ns / 1000, bench->cpu_ns / 1000,
          bench->min_ns / 1000, bench->max_ns / 1000, bench->batch);
}

/* Frees the samples; the figures stay. */
void
bench_clear (Bench *bench)
{
  g_clear_pointer (&bench->samples, g_free);
  g_clear_pointer (&bench->cpu_samples, g_free);
}
