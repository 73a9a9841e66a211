/* test-stress-shutdown.c: every call returns exactly once when the runner shuts down under load
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The operations and knobs are those of test-stress-ops.h.
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"
#include "test-stress-ops.h"

/* Liveness bound for shutdown: not a benchmark, a "did not hang". */
#define SHUTDOWN_BOUND_US (G_TIME_SPAN_SECOND * test_time_scale ())

typedef struct
{
  AsyncRunner *runner;
  guint        slot;
  GRand       *rand;
  gint        *calls;          /* atomic, shared: calls ended */
  gint        *held;           /* atomic, shared: callers in a held call now */
  gint64       returned_at;    /* when the first G_IO_ERROR_CLOSED came back */
} ShutdownWorker;

static gpointer
shutdown_worker_thread (gpointer data)
{
  ShutdownWorker *w = data;
  guint n;

  for (n = 0; ; n++)
    {
      /* No timeout on this runner: only shutdown ends a held call. */
      static const Kind kinds[] = { KIND_IMMEDIATE, KIND_LATER, KIND_ERROR, KIND_HELD };
      Kind kind = kinds[g_rand_int_range (w->rand, 0, G_N_ELEMENTS (kinds))];
      guint flags = g_rand_int_range (w->rand, 0, 4) & (FLAG_LATER | FLAG_IGNORES);
      guint id = ((w->slot << 24) | n) & ID_MASK;
      gboolean use_call_sync = g_rand_boolean (w->rand);
      g_autoptr(GCancellable) cancellable = g_rand_boolean (w->rand) ? g_cancellable_new () : NULL;
      g_autoptr(GError) error = NULL;
      guint got_id;
      gboolean ok;

      if (kind == KIND_HELD)
        g_atomic_int_inc (w->held);
      ok = do_call (w->runner, REQ_PACK (kind, flags, w->slot, id), use_call_sync,
                    g_rand_boolean (w->rand), cancellable, &got_id, &error);
      if (kind == KIND_HELD)
        g_atomic_int_add (w->held, -1);
      g_atomic_int_inc (w->calls);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
        {
          w->returned_at = g_get_monotonic_time ();
          break;
        }

      /* Ended before shutdown, or had its result when shutdown came; a
       * held call has no result of its own to return. */
      if (kind == KIND_HELD)
        g_error ("held call %u (%s) ended with %s instead of G_IO_ERROR_CLOSED", id,
                 use_call_sync ? "call_sync" : "run_sync",
                 error != NULL ? error->message : "a value");
      check_outcome (kind, id, ok, got_id, error);
    }

  return NULL;
}

/* Waits until @min_calls calls have ended (or every caller is held: no
 * more can end) and at least @min_held callers are in a held call. */
static gboolean
wait_for_load (gint  *calls,
               gint   min_calls,
               gint  *held,
               gint   min_held,
               gint   n_threads,
               guint  seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * test_time_scale () * G_TIME_SPAN_SECOND;

  while ((g_atomic_int_get (calls) < min_calls && g_atomic_int_get (held) < n_threads) ||
         g_atomic_int_get (held) < min_held)
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (G_TIME_SPAN_MILLISECOND / 4);
    }

  return TRUE;
}

/* Shutdown under load ends every call promptly, with its result or CLOSED. */
static void
test_shutdown_under_load (void)
{
  guint rounds = env_uint ("ASYNC_RUNNER_STRESS_ROUNDS", 10);
  guint n_threads = MIN (env_uint ("ASYNC_RUNNER_STRESS_THREADS", 4), MAX_THREADS);
  guint round;

  /* Threads calling in a loop while another thread shuts the runner down:
   * every call in flight returns promptly, with its result if it already
   * had one or with G_IO_ERROR_CLOSED, and later calls fail with
   * G_IO_ERROR_CLOSED. */
  watchdog_set_limit (30 + rounds * 5, NULL);
  canceller_start ();

  for (round = 0; round < rounds; round++)
    {
      g_autoptr(AsyncRunner) runner = async_runner_new ();
      ShutdownWorker workers[MAX_THREADS];
      GThread *threads[MAX_THREADS];
      GThread *shutters[2];
      guint n_shutters = 1 + round % 2;   /* idempotent, even concurrently */
      gint calls = 0;
      gint held = 0;
      gint64 shutdown_at;
      gint64 shutdown_done;
      g_autoptr(GError) error = NULL;
      guint got_id;
      guint i;

      for (i = 0; i < n_threads; i++)
        {
          ShutdownWorker *w = &workers[i];

          memset (w, 0, sizeof *w);
          w->runner = runner;
          w->slot = i;
          w->rand = g_rand_new_with_seed (g_test_rand_int ());
          w->calls = &calls;
          w->held = &held;
          threads[i] = g_thread_new ("shutdown-worker", shutdown_worker_thread, w);
        }

      /* Under load: some calls done, and some callers held right now. */
      if (!wait_for_load (&calls, 20 + round * 7, &held, MIN (2, n_threads), n_threads, 20))
        g_error ("round %u: the load never built up (%d calls, %d held)",
                 round, g_atomic_int_get (&calls), g_atomic_int_get (&held));

      shutdown_at = g_get_monotonic_time ();
      for (i = 0; i < n_shutters; i++)
        shutters[i] = g_thread_new ("shutter", shutdown_thread, runner);
      for (i = 0; i < n_shutters; i++)
        g_thread_join (shutters[i]);
      shutdown_done = g_get_monotonic_time ();

      /* Liveness bounds, not benchmarks: "did not hang". */
      g_assert_cmpint (shutdown_done - shutdown_at, <, SHUTDOWN_BOUND_US);
      for (i = 0; i < n_threads; i++)
        {
          ShutdownWorker *w = &workers[i];

          g_thread_join (threads[i]);
          g_rand_free (w->rand);
          g_assert_cmpint (w->returned_at, >=, shutdown_at);
          g_assert_cmpint (w->returned_at - shutdown_at, <, SHUTDOWN_BOUND_US);
        }

      /* Later calls fail at once, both ways. */
      g_assert_false (do_call (runner, REQ_PACK (KIND_IMMEDIATE, 0, 0, 0), FALSE, TRUE,
                               NULL, &got_id, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
      g_clear_error (&error);
      g_assert_false (do_call (runner, REQ_PACK (KIND_IMMEDIATE, 0, 0, 0), TRUE, TRUE,
                               NULL, &got_id, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

      /* Held operations were cancelled and completed while the runner
       * drained: none is left behind. */
      if (!wait_for_range (&live_ops, 0, 0, 10))
        g_error ("round %u: %d operations were never released", round,
                 g_atomic_int_get (&live_ops));

      g_test_message ("round %u: %d calls, shutdown took %.1f ms",
                      round, g_atomic_int_get (&calls), (shutdown_done - shutdown_at) / 1000.0);
    }

  canceller_stop ();
}

static const TestCase tests[] = {
  { "/stress/shutdown-under-load", test_shutdown_under_load },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
