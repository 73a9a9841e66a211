/* phase-idle.c: what an idle runner costs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * After a burst of calls (the runner's spinning at its busiest), the
 * process's CPU time while no call is pending, and how often the runner
 * thread woke up meanwhile.
 */

#include "bench-runner.h"

#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define GOAL_IDLE_PERCENT     1.0    /* of one core, under */

static gboolean
get_tid (AsyncRunner *runner,
         GTask       *task,
         gpointer     user_data)
{
  *(pid_t *) user_data = (pid_t) syscall (SYS_gettid);
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

typedef struct
{
  double  percent;            /* of one core, whole process */
  double  seconds;
  gint64  runner_switches;    /* -1 if unknown */
} IdleResult;

static IdleResult
measure_idle (AsyncRunner *runner)
{
  IdleResult result = { 0, };
  pid_t tid = 0;
  GError *error = NULL;
  gint64 wall_start, cpu_start, switches_start;
  gint64 wall, cpu;

  if (!async_runner_run_sync (runner, get_tid, &tid, NULL, NULL, &error))
    check_no_error ("async_runner_run_sync", error);

  /* A burst first, so that the runner's spinning is at its busiest. */
  bench_run_sync (runner, config.quick ? 2000 : 20000);

  switches_start = thread_switches (tid);
  cpu_start = process_cpu_ns ();
  wall_start = now_ns ();

  g_usleep (config.idle_ns / 1000);

  cpu = process_cpu_ns () - cpu_start;
  wall = now_ns () - wall_start;
  result.runner_switches = switches_start < 0 ? -1 : thread_switches (tid) - switches_start;
  result.percent = 100.0 * cpu / wall;
  result.seconds = wall / 1e9;

  return result;
}

/* Main thread only. */
static IdleResult idle;

static void
idle_run (AsyncRunner *runner)
{
  idle = measure_idle (runner);
  printf ("\nIdle runner, no call pending, over %.2f s after a burst of calls\n", idle.seconds);
  printf ("  process CPU time %.3f %% of one core; runner thread woke %" G_GINT64_FORMAT " times\n",
          idle.percent, idle.runner_switches);
}

static void
idle_goals (void)
{
  print_goal ("4  idle runner < 1% of a core", idle.percent < GOAL_IDLE_PERCENT,
              "%.3f %%", idle.percent);
}

static void
idle_markdown (void)
{
  printf ("| idle runner, CPU | %.3f %% of a core | < 1 %% |\n", idle.percent);
}

const BenchPhase phase_idle = {
  "idle",
  "CPU time and wake-ups of an idle runner after a burst of calls",
  idle_run,
  idle_goals,
  idle_markdown,
};
