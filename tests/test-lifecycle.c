/* test-lifecycle.c: no thread or file descriptor outlives its runner
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Environment:
 *   ASYNC_RUNNER_LIFECYCLE_RUNNERS  how many runners to create (default 1000)
 */

#include <async-runner.h>

#include "test-util.h"

/* ---- Helpers ---- */

/* Open file descriptors. The one that GDir holds while listing is
 * counted every time: it cancels out. */
static guint
count_fds (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, &error);
  guint n = 0;

  g_assert_no_error (error);
  while (g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

/* Threads of the process, but for GLib's thread-pool workers (named
 * "pool-<prgname>" or "pool-spawner"), which GLib starts and retires on its own schedule, and this
 * test's short-lived "dropper" threads; and of those, the runner threads
 * (named "async-runner"). */
static void
count_threads (guint *threads,
               guint *runner_threads)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, &error);
  const char *name;

  g_assert_no_error (error);
  *threads = 0;
  *runner_threads = 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", name, "comm", NULL);
      g_autofree char *comm = NULL;

      /* A thread that exited since the listing has no comm any more. */
      if (!g_file_get_contents (path, &comm, NULL, NULL))
        continue;
      g_strchomp (comm);
      if (g_str_has_prefix (comm, "pool") || g_str_equal (comm, "dropper"))
        continue;
      (*threads)++;
      if (g_str_equal (comm, "async-runner"))
        (*runner_threads)++;
    }
}

typedef struct
{
  guint fds;
  guint threads;
  guint runner_threads;
} Counts;

static void
get_counts (Counts *counts)
{
  count_threads (&counts->threads, &counts->runner_threads);
  counts->fds = count_fds ();
}

static gboolean
counts_equal (const Counts *a,
              const Counts *b)
{
  return a->fds == b->fds && a->threads == b->threads && a->runner_threads == b->runner_threads;
}

/* A joined thread is reaped by the kernel a moment after g_thread_join()
 * returns (the join waits for its exit, not for its removal from /proc),
 * and a runner dropped on its own thread exits on its own: wait, with a
 * deadline, for the counts to come back to @expected. */
static gboolean
wait_for_counts (const Counts *expected,
                 guint         seconds,
                 Counts       *counts)
{
  gint64 deadline = g_get_monotonic_time () + seconds * test_time_scale () * G_TIME_SPAN_SECOND;

  for (;;)
    {
      get_counts (counts);
      if (counts_equal (counts, expected))
        return TRUE;
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (G_TIME_SPAN_MILLISECOND);
    }
}

/* Waits, with a deadline, until only @n runner threads are left; then
 * fills @counts. */
static void
wait_for_runner_threads (guint   n,
                         Counts *counts)
{
  gint64 deadline = g_get_monotonic_time () + 10 * test_time_scale () * G_TIME_SPAN_SECOND;

  for (get_counts (counts); counts->runner_threads != n; get_counts (counts))
    {
      if (g_get_monotonic_time () >= deadline)
        g_error ("%u runner threads left instead of %u", counts->runner_threads, n);
      g_usleep (G_TIME_SPAN_MILLISECOND);
    }
}

static void
assert_counts (const Counts *before,
               const Counts *after)
{
  g_test_message ("before: %u fds, %u threads (%u runners); after: %u fds, %u threads (%u runners)",
                  before->fds, before->threads, before->runner_threads,
                  after->fds, after->threads, after->runner_threads);
  g_assert_cmpuint (after->runner_threads, ==, before->runner_threads);
  g_assert_cmpuint (after->threads, ==, before->threads);
  g_assert_cmpuint (after->fds, ==, before->fds);
}

/* ---- Operations ---- */

static gboolean
on_later (gpointer user_data)
{
  GTask *task = user_data;

  g_task_return_boolean (task, TRUE);

  return G_SOURCE_REMOVE;
}

/* Completes from a source on the runner context, one iteration later. */
static gboolean
return_later (AsyncRunner *runner,
              GTask       *task,
              gpointer     user_data)
{
  attach_source (g_main_context_get_thread_default (), 0,
                 on_later, g_object_ref (task), g_object_unref);

  return TRUE;
}

/* Completes only when cancelled: the runner's timeout ends the call. */
static gboolean
hold (AsyncRunner *runner,
      GTask       *task,
      gpointer     user_data)
{
  hold_until_cancelled (task, hold_return_cancelled);

  return TRUE;
}

static void
on_file_read (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  if (g_file_load_contents_finish (G_FILE (source_object), result, &contents, NULL, NULL, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
  g_object_unref (task);
}

/* A real GIO operation, which opens and closes a descriptor of its own
 * on GLib's worker threads. */
static gboolean
load_file (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/proc/self/stat");

  g_file_load_contents_async (file, g_task_get_cancellable (task), on_file_read, g_object_ref (task));

  return TRUE;
}

static void
use_runner (AsyncRunner *runner,
            gint         n)
{
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (async_runner_run_sync (runner, return_int, GINT_TO_POINTER (n), NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, n);
  g_value_unset (&value);

  g_assert_true (async_runner_run_sync (runner, return_later, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
unref_runner (gpointer user_data)
{
  AsyncRunner *runner = user_data;

  g_assert_true (async_runner_is_runner_thread (runner));
  g_object_unref (runner);

  return G_SOURCE_REMOVE;
}

/* Hands our reference to the runner thread, which drops it there: this
 * must neither deadlock (the thread cannot join itself) nor touch freed
 * memory. The context is ours to hold while we use it: the runner may be
 * gone before g_main_context_invoke() returns. */
static void
drop_on_runner_thread (AsyncRunner *runner)
{
  g_autoptr(GMainContext) context = g_main_context_ref (async_runner_get_context (runner));

  g_main_context_invoke (context, unref_runner, runner);
}

typedef enum
{
  FATE_NEVER_USED,          /* created and dropped */
  FATE_USED,                /* used, then dropped by its creator */
  FATE_SHUT_DOWN,           /* used, shut down, used again (and refused), dropped */
  FATE_DROPPED_ON_ITSELF,   /* the last reference dropped on its own thread */
  FATE_TIMED_OUT,           /* a call timed out, with its operation still cancelling */
  FATE_REAL_IO,             /* a GIO operation through the runner */
  FATE_DROPPED_ELSEWHERE,   /* used on one thread, dropped on another */
  N_FATES
} Fate;

static gpointer
unref_in_thread (gpointer data)
{
  g_object_unref (data);

  return NULL;
}

static void
live_and_die (guint i)
{
  AsyncRunner *runner = async_runner_new ();
  g_autoptr(GError) error = NULL;

  switch ((Fate) (i % N_FATES))
    {
    case FATE_NEVER_USED:
      g_object_unref (runner);
      break;

    case FATE_USED:
      use_runner (runner, i);
      g_object_unref (runner);
      break;

    case FATE_SHUT_DOWN:
      use_runner (runner, i);
      async_runner_shutdown (runner);
      g_assert_false (async_runner_run_sync (runner, return_int, NULL, NULL, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
      async_runner_shutdown (runner);
      g_object_unref (runner);
      break;

    case FATE_DROPPED_ON_ITSELF:
      use_runner (runner, i);
      drop_on_runner_thread (runner);
      break;

    case FATE_TIMED_OUT:
      async_runner_set_timeout (runner, 1);
      g_assert_false (async_runner_run_sync (runner, hold, NULL, NULL, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      g_object_unref (runner);
      break;

    case FATE_REAL_IO:
      g_assert_true (async_runner_run_sync (runner, load_file, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      g_object_unref (runner);
      break;

    case FATE_DROPPED_ELSEWHERE:
      use_runner (runner, i);
      g_thread_join (g_thread_new ("dropper", unref_in_thread, runner));
      break;

    case N_FATES:
    default:
      g_assert_not_reached ();
    }
}

/* A runner's thread is gone with the runner, however it was used and dropped. */
static void
test_thread_per_runner (void)
{
  AsyncRunner *runner;
  Counts before;
  Counts during;
  Counts after;

  /* A runner's thread is gone once the runner is, whether it was used or
   * not, and whether it was dropped on another thread or its own. */

  /* Warm up: GLib makes its global default context and GTask's context
   * on first use; they live for the process. */
  runner = async_runner_new ();
  use_runner (runner, 0);
  g_object_unref (runner);
  wait_for_runner_threads (0, &before);

  runner = async_runner_new ();
  get_counts (&during);
  g_assert_cmpuint (during.threads, ==, before.threads + 1);
  g_assert_cmpuint (during.runner_threads, ==, before.runner_threads + 1);
  g_object_unref (runner);
  if (!wait_for_counts (&before, 10, &after))
    assert_counts (&before, &after);

  runner = async_runner_new ();
  use_runner (runner, 1);
  g_object_unref (runner);
  if (!wait_for_counts (&before, 10, &after))
    assert_counts (&before, &after);

  runner = async_runner_new ();
  use_runner (runner, 2);
  drop_on_runner_thread (runner);
  if (!wait_for_counts (&before, 10, &after))
    assert_counts (&before, &after);

}

/* 1,000 runners made, used and dropped: threads and descriptors come back. */
static void
test_many_runners (void)
{
  guint n_runners = env_uint ("ASYNC_RUNNER_LIFECYCLE_RUNNERS", 1000);
  guint initial_runner_threads;
  Counts before;
  Counts after;
  guint i;

  /* 1,000 runners created, used and dropped in all the ways there are:
   * threads and descriptors are back to where they started. */

  /* Warm up: GLib starts threads of its own on first use (its worker,
   * the thread pool behind g_file_load_contents_async()) that live for
   * the process. They are not ours. */
  get_counts (&before);
  initial_runner_threads = before.runner_threads;
  for (i = 0; i < N_FATES; i++)
    live_and_die (i);

  /* The baseline, once the warm-up's runner threads are gone (those
   * dropped on their own thread exit by themselves). */
  wait_for_runner_threads (initial_runner_threads, &before);

  for (i = 0; i < n_runners; i++)
    live_and_die (i);

  if (!wait_for_counts (&before, 10, &after))
    assert_counts (&before, &after);

}

#define N_THREADS 8

typedef struct
{
  Flag        *go;
  AsyncRunner *runner;
} DefaultGetter;

static gpointer
get_default_thread (gpointer data)
{
  DefaultGetter *getter = data;

  flag_wait (getter->go);
  getter->runner = async_runner_get_default ();

  return NULL;
}

/* Threads racing to the default runner's first use all get the same one. */
static void
test_get_default (void)
{
  DefaultGetter getters[N_THREADS];
  GThread *threads[N_THREADS];
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;
  AsyncRunner *runner;
  Flag go;
  int i;

  flag_init (&go);
  for (i = 0; i < N_THREADS; i++)
    {
      getters[i].go = &go;
      getters[i].runner = NULL;
      threads[i] = g_thread_new ("get-default", get_default_thread, &getters[i]);
    }
  flag_set (&go);
  for (i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);
  flag_clear (&go);

  runner = async_runner_get_default ();
  g_assert_true (ASYNC_IS_RUNNER (runner));
  for (i = 0; i < N_THREADS; i++)
    g_assert_true (getters[i].runner == runner);

  g_assert_true (async_runner_run_sync (runner, return_int, GINT_TO_POINTER (7), NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 7);
  g_value_unset (&value);

  g_assert_true (async_runner_get_default () == runner);
}

/* Runners from async_runner_new() have a thread and a context each, and stop apart. */
static void
test_new_independent (void)
{
  g_autoptr(AsyncRunner) a = async_runner_new ();
  g_autoptr(AsyncRunner) b = async_runner_new ();
  g_autoptr(GError) error = NULL;
  WhereInfo where_a = { 0 };
  WhereInfo where_b = { 0 };
  GThread *thread;
  HeldCall hc;
  Held held;

  g_assert_true (a != b);
  g_assert_true (a != async_runner_get_default ());
  g_assert_true (async_runner_get_context (a) != async_runner_get_context (b));

  g_assert_true (async_runner_run_sync (a, record_where, &where_a, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (async_runner_run_sync (b, record_where, &where_b, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (where_a.is_runner_thread);
  g_assert_true (where_b.is_runner_thread);
  g_assert_true (where_a.thread != where_b.thread);
  g_assert_true (where_a.context == async_runner_get_context (a));
  g_assert_true (where_b.context == async_runner_get_context (b));

  /* A call held on one runner does not hold up the other. */
  held_init (&held);
  held.until_cancelled = TRUE;
  held_call_init (&hc, a, &held, NULL);
  thread = g_thread_new ("held-call", held_call_thread, &hc);
  flag_wait (&held.started);

  g_assert_true (async_runner_run_sync (b, return_true, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* Shutting one down leaves the other alone. */
  async_runner_shutdown (a);
  g_thread_join (thread);
  g_assert_false (hc.ok);
  g_assert_error (hc.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  flag_wait (&held.freed);
  held_call_clear (&hc);
  held_clear (&held);

  g_assert_true (async_runner_run_sync (b, return_true, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* The type is final where GLib knows final types (2.70), as on the floor's
 * own G_DEFINE_FINAL_TYPE: a binding refuses to subclass it. */
static void
test_type_is_final (void)
{
  /* G_TYPE_FLAG_FINAL, spelled out: the build allows only GLib 2.66 API. */
  const GTypeFlags final_flag = (GTypeFlags) (1 << 6);

  if (glib_check_version (2, 70, 0) != NULL)
    {
      g_test_skip ("GLib < 2.70 has no final types");
      return;
    }
  g_assert_true (g_type_test_flags (ASYNC_TYPE_RUNNER, final_flag));
}

static const TestCase tests[] = {
  { "/lifecycle/type-is-final", test_type_is_final },
  { "/lifecycle/thread-per-runner", test_thread_per_runner },
  { "/lifecycle/many-runners", test_many_runners },
  /* The race must be on the default runner's first use, after the tests
   * that count runner threads: its thread stays. */
  { "/lifecycle/get-default-race", test_get_default },
  { "/lifecycle/new-independent", test_new_independent },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 90);

  return g_test_run ();
}
