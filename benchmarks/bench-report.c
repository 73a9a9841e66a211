/* bench-report.c: the lines around the phases' sections: the header, the
 * goals, the markdown table and the closing lines
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The goals are informational: the program exits 0 whether or not they
 * are met.
 */

#include "bench-runner.h"

#include <stdarg.h>
#include <stdio.h>

#ifndef BENCH_BUILDTYPE
# define BENCH_BUILDTYPE "unknown"
#endif

/* Main thread only. */
static guint goals_met;
static guint goals_missed;

/* @phases_note: NULL when every phase runs, else which ones do. */
void
print_header (const char *phases_note)
{
  g_autofree char *load = load_average ();
  g_autofree char *cpus = describe_cpus ();

  g_autofree char *pinned = config.cpus > 0 ? g_strdup_printf (", pinned by --cpus %u", config.cpus) : NULL;

  /* GLib 2.84's g_get_num_processors () counts the CPUs this process may
   * use, 2.74's counts them all: both are printed. */
  printf ("async-runner %s benchmark (%s run, %s build), GLib %u.%u.%u, %u CPUs (this process on %s%s), load average %s\n",
          ASYNC_RUNNER_VERSION_S, config.quick ? "quick" : "full", BENCH_BUILDTYPE,
          glib_major_version, glib_minor_version, glib_micro_version,
          g_get_num_processors (), cpus, pinned != NULL ? pinned : "", load);
  if (phases_note != NULL)
    printf ("Phases: %s\n", phases_note);
}

void
print_goal (const char *name,
            gboolean    met,
            const char *format,
            ...)
{
  va_list args;

  printf ("  %-4s  %-40s ", met ? "PASS" : "MISS", name);
  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  printf ("\n");

  if (met)
    goals_met++;
  else
    goals_missed++;
}

/* The goals of @phases, then their markdown table if @markdown, then
 * how busy the machine was since @machine_start. */
void
print_report (const BenchPhase *const *phases,
              guint                    n_phases,
              gboolean                 markdown,
              gint64                   run_start_ns,
              const MachineSample     *machine_start)
{
  g_autofree char *load = NULL;

  printf ("\nGoals (informational)\n");
  for (guint p = 0; p < n_phases; p++)
    if (phases[p]->goals != NULL)
      phases[p]->goals ();

  if (markdown)
    {
      printf ("\n| Measure | Result | Goal |\n");
      printf ("| --- | ---: | --- |\n");
      for (guint p = 0; p < n_phases; p++)
        if (phases[p]->markdown != NULL)
          phases[p]->markdown ();
    }

  printf ("\n");
  print_machine ("Machine during the whole run", machine_start);
  load = load_average ();
  printf ("%u goals met, %u missed; whole run %.1f s; load average %s\n",
          goals_met, goals_missed, (now_ns () - run_start_ns) / 1e9, load);
}
