/* bench-fanout.c: 100 file queries at once, one after the other, and blocking
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What async_runner_call_all_sync() buys: it starts N
 * g_file_query_info_async() calls at once on the runner thread and
 * waits for all of them, so that the batch costs about as long as the
 * slowest one (GIO runs local file queries in its thread pool), where N
 * call_sync() calls in a row cost N round trips. The blocking
 * g_file_query_info() loop is the floor for files in the page cache.
 *
 * Each round times one batch of each kind, interleaved, over the same N
 * files made in a temporary directory; the figures are the median batch
 * [min .. max] over the rounds, all from this one process and run.
 *
 * Local file queries cost a few microseconds of CPU each, so on a small
 * machine their thread-pool hand-offs, not their latency, set the pace.
 * A second table uses operations that only wait (a 5 ms timer on the
 * runner's context, as a network or D-Bus round trip would): there the
 * whole batch costs about one operation's latency.
 *
 * Usage: bench-fanout [--quick] [--files=N]
 */

#include <async-runner.h>
#include <glib/gstdio.h>

#include <stdio.h>
#include <stdlib.h>

#define ATTRIBUTES G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_TIME_MODIFIED

static gboolean
start_query_info (AsyncRunner         *runner,
                  gpointer             user_data,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             callback_data)
{
  g_file_query_info_async (user_data, ATTRIBUTES, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, cancellable, callback, callback_data);
  return TRUE;
}

static G_GNUC_NORETURN void
fail (const GError *error)
{
  g_printerr ("bench-fanout: %s\n", error != NULL ? error->message : "failed");
  exit (EXIT_FAILURE);
}

#define WAIT_MS 5

static gboolean
return_after_wait (gpointer user_data)
{
  g_task_return_boolean (user_data, TRUE);
  return G_SOURCE_REMOVE;
}

/* An operation that only waits: a timer on the thread-default context,
 * the runner's. */
static gboolean
start_wait (AsyncRunner         *runner,
            gpointer             user_data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             callback_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, callback_data);
  GSource *source = g_timeout_source_new (WAIT_MS);

  g_source_set_callback (source, return_after_wait, task, g_object_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);

  return TRUE;
}

static void
check_info (GFileInfo    *info,
            const GError *error)
{
  if (info == NULL)
    fail (error);
  g_object_unref (info);
}

static void
batch_fan_out (GFile **files,
               guint   n)
{
  GError *error = NULL;
  GPtrArray *results = async_runner_call_all_sync (async_runner_get_default (),
                                                   start_query_info, (gpointer *) files, n,
                                                   NULL, &error);

  if (results == NULL)
    fail (error);
  for (guint i = 0; i < n; i++)
    check_info (g_file_query_info_finish (files[i], g_ptr_array_index (results, i), &error), error);
  g_ptr_array_unref (results);
}

static void
batch_sequential (GFile **files,
                  guint   n)
{
  for (guint i = 0; i < n; i++)
    {
      GError *error = NULL;
      GAsyncResult *result = async_runner_call_sync (async_runner_get_default (),
                                                     start_query_info, files[i], NULL, &error);

      if (result == NULL)
        fail (error);
      check_info (g_file_query_info_finish (files[i], result, &error), error);
      g_object_unref (result);
    }
}

static void
batch_blocking (GFile **files,
                guint   n)
{
  for (guint i = 0; i < n; i++)
    {
      GError *error = NULL;

      check_info (g_file_query_info (files[i], ATTRIBUTES, G_FILE_QUERY_INFO_NONE, NULL, &error),
                  error);
    }
}

static void
batch_wait_fan_out (GFile **files,
                    guint   n)
{
  GError *error = NULL;
  GPtrArray *results = async_runner_call_all_sync (async_runner_get_default (), start_wait,
                                                   (gpointer *) files, n, NULL, &error);

  if (results == NULL)
    fail (error);
  g_ptr_array_unref (results);
}

static void
batch_wait_sequential (GFile **files,
                       guint   n)
{
  for (guint i = 0; i < n; i++)
    {
      GError *error = NULL;
      GAsyncResult *result = async_runner_call_sync (async_runner_get_default (),
                                                     start_wait, files[i], NULL, &error);

      if (result == NULL)
        fail (error);
      g_object_unref (result);
    }
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

int
main (int   argc,
      char *argv[])
{
  static const struct
  {
    const char *what;
    void      (*batch) (GFile **files, guint n);
  } kinds[] = {
    { "call_all_sync: all at once", batch_fan_out },
    { "call_sync, one after the other", batch_sequential },
    { "blocking g_file_query_info()", batch_blocking },
    { "call_all_sync: all at once", batch_wait_fan_out },
    { "call_sync, one after the other", batch_wait_sequential },
  };
  /* The first three query files; the last two wait WAIT_MS each. */
  const guint n_file_kinds = 3;
  gboolean quick = FALSE;
  gint n_files = 100;
  GOptionEntry entries[] = {
    { "quick", 'q', 0, G_OPTION_ARG_NONE, &quick, "A few rounds: a smoke run", NULL },
    { "files", 'n', 0, G_OPTION_ARG_INT, &n_files, "Files per batch (default 100)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("- fan-out of file queries");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  GFile **files;
  guint rounds;
  gint64 *times[G_N_ELEMENTS (kinds)];
  double load[3] = { 0, 0, 0 };

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || n_files < 1)
    {
      g_printerr ("bench-fanout: %s\n", error != NULL ? error->message : "--files must be positive");
      return EXIT_FAILURE;
    }
  rounds = quick ? 2 : 15;

  dir = g_dir_make_tmp ("bench-fanout-XXXXXX", &error);
  if (dir == NULL)
    {
      g_printerr ("bench-fanout: %s\n", error->message);
      return EXIT_FAILURE;
    }
  files = g_new (GFile *, n_files);
  for (gint i = 0; i < n_files; i++)
    {
      g_autofree char *name = g_strdup_printf ("file-%03d", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (!g_file_set_contents (path, name, -1, &error))
        {
          g_printerr ("bench-fanout: %s\n", error->message);
          return EXIT_FAILURE;
        }
      files[i] = g_file_new_for_path (path);
    }

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      times[k] = g_new (gint64, rounds);
      kinds[k].batch (files, n_files);   /* warm up */
    }

  for (guint r = 0; r < rounds; r++)
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
      {
        gint64 start = g_get_monotonic_time ();

        kinds[k].batch (files, n_files);
        times[k][r] = g_get_monotonic_time () - start;
      }

  if (getloadavg (load, 3) < 0)
    load[0] = load[1] = load[2] = 0;
  printf ("%d file queries per batch: median of %u rounds [min .. max]; load average %.2f %.2f %.2f\n",
          n_files, rounds, load[0], load[1], load[2]);
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      if (k == n_file_kinds)
        printf ("%d operations that each wait %d ms on the runner's context, per batch\n",
                n_files, WAIT_MS);
      qsort (times[k], rounds, sizeof (gint64), compare_gint64);
      printf ("  %-34s %9.3f ms   [%.3f .. %.3f]\n", kinds[k].what,
              times[k][rounds / 2] / 1000.0, times[k][0] / 1000.0, times[k][rounds - 1] / 1000.0);
      g_free (times[k]);
    }

  for (gint i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);

      g_unlink (path);
      g_object_unref (files[i]);
    }
  g_free (files);
  g_rmdir (dir);

  return EXIT_SUCCESS;
}
