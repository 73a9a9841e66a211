/* phase-memory.c: memory and latency over many calls
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Resident size and heap before and after a long run of trivial run_sync
 * calls, and the latency of its first and last tenth: both flat, or
 * something leaks or degrades.
 */

#include "bench-runner.h"

#include <stdio.h>

/* "Memory flat": what this program calls flat. */
#define GOAL_RSS_GROWTH_KIB   1024   /* at most, over the whole run of calls */
#define GOAL_LATENCY_DRIFT    1.5    /* last 10% / first 10%, at most: the VM's noise alone moves it 1.3x */

#define MEMORY_CHUNKS 1000

typedef struct
{
  guint  calls;
  guint  wanted;
  gint64 rss_before;          /* bytes */
  gint64 rss_after;
  gint64 heap_before;         /* bytes in use by malloc */
  gint64 heap_after;
  guint  chunks;
  double first_ns;            /* per call, median chunk of the first 10% */
  double last_ns;             /* ... of the last 10% */
  double seconds;
} MemoryResult;

static MemoryResult
measure_memory (AsyncRunner *runner)
{
  MemoryResult result = { 0, };
  double *chunks = g_new0 (double, MEMORY_CHUNKS);
  gint64 estimate_end = now_ns () + config.memory_budget_ns / 100;
  guint estimate_calls = 0;
  double call_ns;
  guint per_chunk;
  guint done;
  guint tenth;
  gint64 start;

  /* What a call costs right now (outside load comes and goes), to stay
   * within the time budget: fewer calls if they are slow today. */
  start = now_ns ();
  do
    {
      bench_run_sync (runner, 100);
      estimate_calls += 100;
    }
  while (now_ns () < estimate_end);
  call_ns = (double) (now_ns () - start) / estimate_calls;

  result.wanted = config.memory_calls;
  result.calls = config.memory_calls;
  if (call_ns * result.calls > config.memory_budget_ns)
    result.calls = (guint) (config.memory_budget_ns / call_ns);
  per_chunk = MAX (result.calls / MEMORY_CHUNKS, 1);

  result.rss_before = rss_bytes ();
  result.heap_before = heap_bytes ();

  start = now_ns ();
  for (done = 0; done < MEMORY_CHUNKS; done++)
    {
      gint64 chunk_start = now_ns ();

      /* Calls that turned slow after the estimate: stop at 1.5 times
       * the budget, and compare the first and last tenth of what was
       * done. */
      if (chunk_start - start > 3 * config.memory_budget_ns / 2 && done >= 20)
        break;

      bench_run_sync (runner, per_chunk);
      chunks[done] = (double) (now_ns () - chunk_start) / per_chunk;
    }
  result.seconds = (now_ns () - start) / 1e9;
  result.calls = done * per_chunk;

  result.rss_after = rss_bytes ();
  result.heap_after = heap_bytes ();
  tenth = MAX (done / 10, 1);
  result.chunks = done;
  result.first_ns = median (chunks, tenth);
  result.last_ns = median (chunks + done - tenth, tenth);

  g_free (chunks);

  return result;
}


/* Main thread only. */
static MemoryResult memory;

static void
memory_run (AsyncRunner *runner)
{
  memory = measure_memory (runner);
  printf ("\nMemory over %u run_sync calls (%.1f s)", memory.calls, memory.seconds);
  if (memory.calls < memory.wanted)
    printf (": FEWER than the %u asked for, to stay within about %.0f s",
            memory.wanted, config.memory_budget_ns / 1e9);
  printf ("\n");
  printf ("  RSS   %8" G_GINT64_FORMAT " KiB -> %8" G_GINT64_FORMAT " KiB (%+" G_GINT64_FORMAT " KiB)\n",
          memory.rss_before / 1024, memory.rss_after / 1024,
          (memory.rss_after - memory.rss_before) / 1024);
  printf ("  heap  %8" G_GINT64_FORMAT " KiB -> %8" G_GINT64_FORMAT " KiB (%+" G_GINT64_FORMAT " bytes)\n",
          memory.heap_before / 1024, memory.heap_after / 1024,
          memory.heap_after - memory.heap_before);
  printf ("  per call: first 10%% %.2f us, last 10%% %.2f us (median of %u chunks of %u calls each)\n",
          memory.first_ns / 1000, memory.last_ns / 1000,
          MAX (memory.chunks / 10, 1), memory.calls / MAX (memory.chunks, 1));
}

static void
memory_goals (void)
{
  double ratio = memory.last_ns / memory.first_ns;

  print_goal ("6a flat: memory and latency",
              memory.rss_after - memory.rss_before <= GOAL_RSS_GROWTH_KIB * 1024 &&
              ratio <= GOAL_LATENCY_DRIFT,
              "RSS %+" G_GINT64_FORMAT " KiB (<= %d), last/first 10%% = %.2f (<= %.2f)",
              (memory.rss_after - memory.rss_before) / 1024, GOAL_RSS_GROWTH_KIB,
              ratio, GOAL_LATENCY_DRIFT);
}

static void
memory_markdown (void)
{
  printf ("| %u run_sync calls: RSS before -> after | %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT " KiB | flat |\n",
          memory.calls, memory.rss_before / 1024, memory.rss_after / 1024);
  printf ("| %u run_sync calls: per call, first / last 10%% | %.2f / %.2f us | flat |\n",
          memory.calls, memory.first_ns / 1000, memory.last_ns / 1000);
}

const BenchPhase phase_memory = {
  "memory",
  "resident size, heap and latency drift over a long run of calls",
  memory_run,
  memory_goals,
  memory_markdown,
};
