/* phase-files.c: real work, loading small files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The blocking g_file_load_contents() loop, the same files through
 * call_sync and g_file_load_contents_async(), and, for reference, the
 * same asynchronous call in the in-thread idiom: what GIO's own
 * asynchronous path costs without any runner.
 */

#include "bench-runner.h"

#include <glib/gstdio.h>

#include <stdio.h>

#define GOAL_FILES_RATIO      1.2    /* runner / blocking, at most */

typedef struct
{
  GFile **files;
  gsize  *sizes;
  guint   n;
  guint   rounds;
  double  blocking_ns;        /* per file, median */
  double  runner_ns;
  double  in_thread_ns;
  double  blocking_min_ns, blocking_max_ns;
  double  runner_min_ns, runner_max_ns;
  double  in_thread_min_ns, in_thread_max_ns;
} FileSet;

static char *
make_files (FileSet *set,
            guint    n)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("bench-runner-XXXXXX", &error);

  check_no_error ("g_dir_make_tmp", error);

  set->n = n;
  set->files = g_new0 (GFile *, n);
  set->sizes = g_new0 (gsize, n);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/file-%04u.txt", dir, i);
      gsize size = 64 + (i * 37) % 449;   /* 64 to 512 bytes */
      g_autofree char *contents = g_malloc (size);

      for (gsize j = 0; j < size; j++)
        contents[j] = 'a' + (i + j) % 26;
      if (!g_file_set_contents (path, contents, size, &error))
        check_no_error ("g_file_set_contents", error);

      set->files[i] = g_file_new_for_path (path);
      set->sizes[i] = size;
    }

  return dir;
}

static void
remove_files (FileSet    *set,
              const char *dir)
{
  for (guint i = 0; i < set->n; i++)
    {
      g_autofree char *path = g_file_get_path (set->files[i]);

      g_unlink (path);
      g_object_unref (set->files[i]);
    }
  g_rmdir (dir);
  g_free (set->files);
  g_free (set->sizes);
}

static void
load_blocking (FileSet *set)
{
  for (guint i = 0; i < set->n; i++)
    {
      GError *error = NULL;
      char *contents = NULL;
      gsize length = 0;

      if (!g_file_load_contents (set->files[i], NULL, &contents, &length, NULL, &error))
        check_no_error ("g_file_load_contents", error);
      g_assert (length == set->sizes[i]);
      g_free (contents);
    }
}

static gboolean
start_load (AsyncRunner         *runner,
            gpointer             user_data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             callback_data)
{
  g_file_load_contents_async (user_data, cancellable, callback, callback_data);
  return TRUE;
}

static void
load_through_runner (FileSet     *set,
                     AsyncRunner *runner)
{
  for (guint i = 0; i < set->n; i++)
    {
      GError *error = NULL;
      GAsyncResult *result;
      char *contents = NULL;
      gsize length = 0;

      result = async_runner_call_sync (runner, start_load, set->files[i], NULL, &error);
      check_no_error ("async_runner_call_sync", error);
      if (!g_file_load_contents_finish (set->files[i], result, &contents, &length, NULL, &error))
        check_no_error ("g_file_load_contents_finish", error);
      g_assert (length == set->sizes[i]);
      g_free (contents);
      g_object_unref (result);
    }
}

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} InThreadLoad;

static void
in_thread_loaded (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  InThreadLoad *load = user_data;

  load->result = g_object_ref (result);
  load->done = TRUE;
}

/* What GIO's asynchronous loading costs without any runner: the
 * in-thread idiom around g_file_load_contents_async(). */
static void
load_in_thread (FileSet *set)
{
  for (guint i = 0; i < set->n; i++)
    {
      GMainContext *context = g_main_context_new ();
      InThreadLoad load = { 0, };
      GError *error = NULL;
      char *contents = NULL;
      gsize length = 0;

      g_main_context_push_thread_default (context);
      g_file_load_contents_async (set->files[i], NULL, in_thread_loaded, &load);
      while (!load.done)
        g_main_context_iteration (context, TRUE);
      g_main_context_pop_thread_default (context);

      if (!g_file_load_contents_finish (set->files[i], load.result, &contents, &length, NULL, &error))
        check_no_error ("g_file_load_contents_finish", error);
      g_assert (length == set->sizes[i]);
      g_free (contents);
      g_object_unref (load.result);
      g_main_context_unref (context);
    }
}

static void
measure_files (FileSet     *set,
               AsyncRunner *runner)
{
  double *blocking = g_new0 (double, config.file_rounds);
  double *through = g_new0 (double, config.file_rounds);
  double *in_thread = g_new0 (double, config.file_rounds);
  gint64 start_all;
  guint rounds;

  /* Warm-up: the page cache, GIO's thread pool, the runner. */
  load_blocking (set);
  load_through_runner (set, runner);
  load_in_thread (set);

  start_all = now_ns ();
  for (rounds = 0; rounds < config.file_rounds; rounds++)
    {
      gint64 start = now_ns ();

      if (rounds >= 3 && start - start_all > config.files_budget_ns)
        break;

      load_blocking (set);
      blocking[rounds] = (double) (now_ns () - start) / set->n;

      start = now_ns ();
      load_through_runner (set, runner);
      through[rounds] = (double) (now_ns () - start) / set->n;

      start = now_ns ();
      load_in_thread (set);
      in_thread[rounds] = (double) (now_ns () - start) / set->n;
    }

  set->rounds = rounds;
  set->blocking_ns = median (blocking, rounds);
  set->blocking_min_ns = blocking[0];
  set->blocking_max_ns = blocking[rounds - 1];
  set->runner_ns = median (through, rounds);
  set->runner_min_ns = through[0];
  set->runner_max_ns = through[rounds - 1];
  set->in_thread_ns = median (in_thread, rounds);
  set->in_thread_min_ns = in_thread[0];
  set->in_thread_max_ns = in_thread[rounds - 1];

  g_free (blocking);
  g_free (through);
  g_free (in_thread);
}

/* Main thread only. */
static FileSet files;

static void
files_run (AsyncRunner *runner)
{
  char *dir = make_files (&files, config.n_files);

  measure_files (&files, runner);
  remove_files (&files, dir);
  g_free (dir);

  printf ("\nLoading %u files of 64 to 512 bytes: per file, median of %u rounds [min .. max]\n",
          config.n_files, files.rounds);
  printf ("  %-44s %9.2f us   [%.2f .. %.2f]\n", "blocking g_file_load_contents()",
          files.blocking_ns / 1000, files.blocking_min_ns / 1000, files.blocking_max_ns / 1000);
  printf ("  %-44s %9.2f us   [%.2f .. %.2f]\n", "call_sync + g_file_load_contents_async()",
          files.runner_ns / 1000, files.runner_min_ns / 1000, files.runner_max_ns / 1000);
  printf ("  %-44s %9.2f us   [%.2f .. %.2f]\n", "reference: in-thread idiom, same async call",
          files.in_thread_ns / 1000, files.in_thread_min_ns / 1000, files.in_thread_max_ns / 1000);
}

static void
files_goals (void)
{
  double ratio = files.runner_ns / files.blocking_ns;

  print_goal ("5  files: runner <= 1.2x blocking", ratio <= GOAL_FILES_RATIO,
              "runner/blocking = %.2f", ratio);
}

static void
files_markdown (void)
{
  printf ("| %u files: blocking `g_file_load_contents()`, per file | %.2f us | |\n", files.n, files.blocking_ns / 1000);
  printf ("| %u files: `call_sync` + `g_file_load_contents_async()`, per file | %.2f us | |\n", files.n, files.runner_ns / 1000);
  printf ("| %u files: in-thread idiom, same async call, per file | %.2f us | |\n", files.n, files.in_thread_ns / 1000);
  printf ("| files: runner / blocking | %.2f | <= 1.2 |\n", files.runner_ns / files.blocking_ns);
}

const BenchPhase phase_files = {
  "files",
  "loading small files: blocking, through call_sync, and in the in-thread idiom",
  files_run,
  files_goals,
  files_markdown,
};
