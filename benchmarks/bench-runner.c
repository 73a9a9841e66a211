/* bench-runner.c: what a synchronous call through AsyncRunner costs, side
 * by side with the alternatives it replaces
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every figure comes from this one process in this one run, so that they
 * share the machine's state (a virtual machine's futex wake-ups vary with
 * the load of its neighbours, and the host may take a core away: each
 * section says how busy the machine was meanwhile). The baselines
 * (bench-baselines.c) are written the way a program would write them
 * without this library: the naive runner, and GLib's in-thread idiom.
 *
 * The phases, in the order of the table below: per-call latency against
 * the baselines and two thread-to-thread floors; calls by name; run_sync
 * from 1, 2, 4, 8 and 16 calling threads against the in-thread idiom
 * (calls per second, CPU time per call); the CPU an idle runner costs; loading small files through call_sync against the blocking loop
 * (and against the in-thread idiom around the same async call, which is
 * what GIO's own asynchronous path costs); memory and latency over a
 * million calls; latency right after a run of slow calls. Then the
 * issue's goals, PASS or MISS.
 *
 * Run it directly (`benchmarks/bench-runner`; `--quick` for a smoke run of
 * a few seconds, `--markdown` to add a table, `--only PHASE,...` for some
 * phases, `--cpus N` to pin the process to N CPUs) or with
 * `meson test -C BUILDDIR --benchmark -v`. It exits 0 whether or not the
 * goals are met; it fails only if a call fails.
 */

#include "bench-runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The report's sections, in order. */
static const BenchPhase *const phases[] = {
  &phase_latency,
  &phase_by_name,
  &phase_contention,
  &phase_idle,
  &phase_files,
  &phase_memory,
  &phase_recovery,
};

BenchConfig config;

static void
config_init (gboolean quick,
             gint     memory_calls,
             gint     cpus)
{
  static const BenchConfig quick_config = {
    .quick = TRUE,
    .rounds = 5,
    .batch_ns = 4 * G_GINT64_CONSTANT (1000000),
    .min_batch = 20,
    .tput_batches = 3,
    .tput_batch_ns = 60 * G_GINT64_CONSTANT (1000000),
    .idle_ns = 200 * G_GINT64_CONSTANT (1000000),
    .n_files = 200,
    .file_rounds = 3,
    .files_budget_ns = G_GINT64_CONSTANT (1000000000),
    .memory_calls = 20000,
    .memory_budget_ns = 2 * G_GINT64_CONSTANT (1000000000),
  };
  static const BenchConfig full_config = {
    .quick = FALSE,
    .rounds = 31,
    .batch_ns = 40 * G_GINT64_CONSTANT (1000000),
    .min_batch = 200,
    .tput_batches = 7,
    .tput_batch_ns = 300 * G_GINT64_CONSTANT (1000000),
    .idle_ns = 1000 * G_GINT64_CONSTANT (1000000),
    .n_files = 1000,
    .file_rounds = 9,
    .files_budget_ns = 8 * G_GINT64_CONSTANT (1000000000),
    .memory_calls = 1000000,
    .memory_budget_ns = 14 * G_GINT64_CONSTANT (1000000000),
  };

  config = quick ? quick_config : full_config;
  if (memory_calls > 0)
    config.memory_calls = (guint) memory_calls;
  config.cpus = (guint) MAX (cpus, 0);
}

/* "Phases:" and one line per phase, for --help. */
static char *
describe_phases (void)
{
  GString *text = g_string_new ("Phases (--only takes their names):");

  for (guint p = 0; p < G_N_ELEMENTS (phases); p++)
    g_string_append_printf (text, "\n  %-12s %s", phases[p]->name, phases[p]->summary);
  return g_string_free (text, FALSE);
}

/* Fills @selected with the phases @only names (each element a name or a
 * comma-separated list; NULL for all), in the table's order; returns
 * how many. */
static guint
select_phases (char             **only,
               const BenchPhase **selected,
               GError           **error)
{
  g_autofree char *joined = only != NULL ? g_strjoinv (",", only) : NULL;
  g_auto(GStrv) names = joined != NULL ? g_strsplit (joined, ",", -1) : NULL;
  guint n = 0;

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      gboolean known = FALSE;

      for (guint p = 0; p < G_N_ELEMENTS (phases); p++)
        known |= strcmp (g_strstrip (names[i]), phases[p]->name) == 0;
      if (!known)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--only: no phase \"%s\" (see --help)", names[i]);
          return 0;
        }
    }

  for (guint p = 0; p < G_N_ELEMENTS (phases); p++)
    if (names == NULL || g_strv_contains ((const char *const *) names, phases[p]->name))
      selected[n++] = phases[p];
  if (n == 0)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--only: no phase named");

  return n;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AsyncRunner) runner = NULL;
  g_autofree char *phases_help = describe_phases ();
  g_auto(GStrv) only = NULL;
  g_autofree char *phases_note = NULL;
  const BenchPhase *selected[G_N_ELEMENTS (phases)];
  guint n_selected = 0;
  gboolean quick = FALSE;
  gboolean markdown = FALSE;
  gint memory_calls = 0;
  gint cpus = 0;
  gint64 run_start = now_ns ();
  MachineSample machine_start = machine_sample ();
  GOptionEntry entries[] = {
    { "quick", 'q', 0, G_OPTION_ARG_NONE, &quick, "Few iterations: a smoke run of a few seconds", NULL },
    { "markdown", 0, 0, G_OPTION_ARG_NONE, &markdown, "Also print the figures as a markdown table", NULL },
    { "memory-calls", 'm', 0, G_OPTION_ARG_INT, &memory_calls,
      "run_sync calls of the memory test (default 1000000, 20000 with --quick)", "N" },
    { "only", 0, 0, G_OPTION_ARG_STRING_ARRAY, &only, "Run only these phases (see below)", "PHASE,..." },
    { "cpus", 0, 0, G_OPTION_ARG_INT, &cpus, "Pin the whole process to the first N CPUs it may use", "N" },
    { NULL }
  };

  context = g_option_context_new ("- benchmark AsyncRunner against the naive runner and the in-thread idiom");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context, phases_help);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      (n_selected = select_phases (only, selected, &error)) == 0 ||
      (cpus != 0 && !pin_to_cpus (cpus, &error)))
    {
      g_printerr ("bench-runner: %s\n", error->message);
      return EXIT_FAILURE;
    }
  config_init (quick, memory_calls, cpus);
  phases_note = only != NULL ? g_strjoinv (",", only) : NULL;

  print_header (phases_note);
  fflush (stdout);

  runner = async_runner_new ();
  for (guint p = 0; p < n_selected; p++)
    {
      MachineSample phase_start = machine_sample ();

      selected[p]->run (runner);
      print_machine ("machine meanwhile", &phase_start);
      fflush (stdout);
    }

  print_report (selected, n_selected, markdown, run_start, &machine_start);
  async_runner_shutdown (runner);

  return EXIT_SUCCESS;
}
