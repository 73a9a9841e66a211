/* phase-latency.c: what one call costs, against the baselines and the
 * floors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The naive runner, the in-thread idiom, run_sync and call_sync of a
 * trivial operation, and the two thread-to-thread floors, in batches
 * interleaved round by round; wall time and process CPU time per call.
 */

#include "bench-runner.h"

#include <stdio.h>

/* The goals. */
#define GOAL_NAIVE_RATIO      8.0    /* naive / run_sync, at least */
#define GOAL_IN_THREAD_RATIO  1.0    /* in-thread / run_sync, more than */
#define GOAL_CALL_SYNC_RATIO  1.3    /* call_sync / run_sync, at most */

enum
{
  NAIVE,
  IN_THREAD,
  RUN_SYNC,
  CALL_SYNC,
  FUTEX_PING_PONG,
  SPIN_PING_PONG,
  N_LATENCY
};

/* Main thread only, as every phase's figures. */
static Bench latency[N_LATENCY];

static void
latency_run (AsyncRunner *runner)
{
  NaiveRunner *naive = naive_runner_new ();

  latency[NAIVE] = (Bench) { "naive runner (idle source + GCond)", bench_naive, naive };
  latency[IN_THREAD] = (Bench) { "in-thread idiom (private context)", bench_in_thread, NULL };
  latency[RUN_SYNC] = (Bench) { "async_runner_run_sync (trivial func)", bench_run_sync, runner };
  latency[CALL_SYNC] = (Bench) { "async_runner_call_sync + _finish (trivial)", bench_call_sync, runner };
  latency[FUTEX_PING_PONG] = (Bench) { "reference: GMutex/GCond ping-pong", bench_futex_ping_pong, NULL };
  latency[SPIN_PING_PONG] = (Bench) { "reference: spin ping-pong (the floor)", bench_spin_ping_pong, NULL };
  run_interleaved (latency, N_LATENCY);

  naive_runner_free (naive);

  printf ("\nPer-call latency: median of %u batches of per-call means; CPU time of the process per call\n"
          "  (all threads); [min .. max] of the batch means; calls per batch\n", config.rounds);
  printf ("  %-44s %11s %11s\n", "", "wall", "CPU");
  for (guint b = 0; b < N_LATENCY; b++)
    {
      print_bench (&latency[b]);
      bench_clear (&latency[b]);
    }
}

static void
latency_goals (void)
{
  double ratio;

  ratio = latency[NAIVE].median_ns / latency[RUN_SYNC].median_ns;
  print_goal ("1a run_sync >= 8x cheaper than naive", ratio >= GOAL_NAIVE_RATIO,
              "naive/run_sync = %.2f", ratio);
  ratio = latency[IN_THREAD].median_ns / latency[RUN_SYNC].median_ns;
  print_goal ("1b run_sync cheaper than in-thread", ratio > GOAL_IN_THREAD_RATIO,
              "in-thread/run_sync = %.2f", ratio);
  ratio = latency[CALL_SYNC].median_ns / latency[RUN_SYNC].median_ns;
  print_goal ("2  call_sync <= 1.3x run_sync", ratio <= GOAL_CALL_SYNC_RATIO,
              "call_sync/run_sync = %.2f", ratio);
}

static void
latency_markdown (void)
{
  printf ("| naive runner (idle source + GCond), per call | %.2f us | |\n", latency[NAIVE].median_ns / 1000);
  printf ("| in-thread idiom (private context), per call | %.2f us | |\n", latency[IN_THREAD].median_ns / 1000);
  printf ("| `async_runner_run_sync()`, trivial func, per call | %.2f us | |\n", latency[RUN_SYNC].median_ns / 1000);
  printf ("| `async_runner_call_sync()` + `_finish()`, trivial, per call | %.2f us | |\n", latency[CALL_SYNC].median_ns / 1000);
  printf ("| CPU per call (all threads): naive / in-thread / run_sync / call_sync | %.2f / %.2f / %.2f / %.2f us | |\n",
          latency[NAIVE].cpu_ns / 1000, latency[IN_THREAD].cpu_ns / 1000,
          latency[RUN_SYNC].cpu_ns / 1000, latency[CALL_SYNC].cpu_ns / 1000);
  printf ("| naive / run_sync | %.2f | >= 8 |\n", latency[NAIVE].median_ns / latency[RUN_SYNC].median_ns);
  printf ("| in-thread / run_sync | %.2f | > 1 |\n", latency[IN_THREAD].median_ns / latency[RUN_SYNC].median_ns);
  printf ("| call_sync / run_sync | %.2f | <= 1.3 |\n", latency[CALL_SYNC].median_ns / latency[RUN_SYNC].median_ns);
}

const BenchPhase phase_latency = {
  "latency",
  "per-call latency of run_sync and call_sync against the baselines",
  latency_run,
  latency_goals,
  latency_markdown,
};
