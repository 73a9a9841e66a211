/* test-stress.c: every call returns exactly once, under a mixed load
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Several threads hammer one runner with calls of every kind (see
 * test-stress-ops.h, which lists the knobs), each of which has exactly
 * one right outcome.
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"
#include "test-stress-ops.h"

/* Nothing in the calling thread's own context may run during a call. */
static gboolean
on_caller_idle (gpointer user_data)
{
  g_error ("a call dispatched its caller's thread-default context");
  return G_SOURCE_REMOVE;
}

typedef struct
{
  AsyncRunner *runner;
  guint        slot;
  gint64       end_time;
  GRand       *rand;

  gint         current_kind;    /* atomic: for the watchdog's report; -1 between calls */
  gint64       current_since;   /* atomic enough for a report */
  guint        current_id;

  guint        ended[N_KINDS];
  guint        calls;
} MixedWorker;

static MixedWorker mixed_workers[MAX_THREADS];

static guint n_mixed_workers;

static void
mixed_report (void)
{
  gint64 now = g_get_monotonic_time ();
  guint i;

  for (i = 0; i < n_mixed_workers; i++)
    {
      MixedWorker *w = &mixed_workers[i];
      gint kind = g_atomic_int_get (&w->current_kind);

      if (kind >= 0)
        g_printerr ("# worker %u: call %u (%s) pending for %" G_GINT64_FORMAT " ms\n",
                    i, w->current_id, kind_names[kind], (now - w->current_since) / 1000);
      else
        g_printerr ("# worker %u: between calls after %u calls\n", i, w->calls);
    }
  g_printerr ("# operations alive: %d\n", g_atomic_int_get (&live_ops));
}

static Kind
pick_kind (GRand *rand)
{
  /* Weights: held calls cost a whole timeout each, so they are rare. */
  static const guint weights[N_KINDS] = { 30, 25, 20, 24, 1 };
  guint total = 0;
  guint r;
  guint k;

  for (k = 0; k < N_KINDS; k++)
    total += weights[k];

  r = g_rand_int_range (rand, 0, total);
  for (k = 0; k < N_KINDS; k++)
    {
      if (r < weights[k])
        return k;
      r -= weights[k];
    }

  g_assert_not_reached ();
}

static gpointer
mixed_worker_thread (gpointer data)
{
  MixedWorker *w = data;
  g_autoptr(GMainContext) own_context = g_main_context_new ();
  GSource *idle = g_idle_source_new ();
  guint n = 0;

  /* A calling thread with a context of its own, with work pending in it. */
  g_main_context_push_thread_default (own_context);
  g_source_set_callback (idle, on_caller_idle, NULL, NULL);
  g_source_attach (idle, own_context);

  while (g_get_monotonic_time () < w->end_time)
    {
      /* Every kind at least once, then at random. */
      Kind kind = n < N_KINDS ? (Kind) n : pick_kind (w->rand);
      guint flags = g_rand_int_range (w->rand, 0, 8);
      guint id = ((w->slot << 24) | n) & ID_MASK;
      gpointer req = REQ_PACK (kind, flags, w->slot, id);
      gboolean use_call_sync = g_rand_boolean (w->rand);
      gboolean want_value = g_rand_boolean (w->rand);
      g_autoptr(GCancellable) cancellable = NULL;
      g_autoptr(GError) error = NULL;
      guint got_id;
      gboolean ok;

      /* Calls of other kinds sometimes carry a cancellable nobody cancels. */
      if (kind == KIND_CANCEL || g_rand_boolean (w->rand))
        cancellable = g_cancellable_new ();

      slot_set (w->slot, id, cancellable);

      w->current_id = id;
      w->current_since = g_get_monotonic_time ();
      g_atomic_int_set (&w->current_kind, kind);

      ok = do_call (w->runner, req, use_call_sync, want_value, cancellable, &got_id, &error);

      g_atomic_int_set (&w->current_kind, -1);

      slot_set (w->slot, id, NULL);

      if (error != NULL && kind != KIND_ERROR &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_printerr ("# worker %u: call %u (%s, %s) failed: %s\n", w->slot, id,
                    kind_names[kind], use_call_sync ? "call_sync" : "run_sync",
                    error->message);
      check_outcome (kind, id, ok, got_id, error);
      w->ended[kind]++;
      n++;
    }

  w->calls = n;

  g_source_destroy (idle);
  g_source_unref (idle);
  g_main_context_pop_thread_default (own_context);

  return NULL;
}

/* Threads making calls of every kind at once each get the one right outcome. */
static void
test_mixed_load (void)
{
  guint seconds = env_uint ("ASYNC_RUNNER_STRESS_SECONDS", 10);
  guint n_threads = MIN (env_uint ("ASYNC_RUNNER_STRESS_THREADS", 4), MAX_THREADS);
  guint timeout_ms = env_uint ("ASYNC_RUNNER_STRESS_TIMEOUT_MS", 500 * test_time_scale ());
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  GThread *threads[MAX_THREADS];
  guint ended[N_KINDS] = { 0, };
  guint total_begun = 0;
  guint total_calls = 0;
  gint64 end_time;
  guint i;
  guint k;

  async_runner_set_timeout (runner, timeout_ms);
  canceller_start ();
  for (k = 0; k < N_KINDS; k++)
    g_atomic_int_set (&begun_ops[k], 0);

  /* Room for the last call of each thread to time out, and then some. */
  watchdog_set_limit (seconds + 30 + 2 * timeout_ms / 1000, mixed_report);

  end_time = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  n_mixed_workers = n_threads;
  for (i = 0; i < n_threads; i++)
    {
      MixedWorker *w = &mixed_workers[i];

      memset (w, 0, sizeof *w);
      w->runner = runner;
      w->slot = i;
      w->end_time = end_time;
      w->rand = g_rand_new_with_seed (g_test_rand_int ());
      w->current_kind = -1;
      threads[i] = g_thread_new ("mixed-worker", mixed_worker_thread, w);
    }

  for (i = 0; i < n_threads; i++)
    {
      MixedWorker *w = &mixed_workers[i];

      g_thread_join (threads[i]);
      g_rand_free (w->rand);
      total_calls += w->calls;
      for (k = 0; k < N_KINDS; k++)
        ended[k] += w->ended[k];
    }

  /* Results that arrived after their call had ended were dropped, and
   * operations still running when their call ended have finished: no
   * task is left behind. */
  if (!wait_for_range (&live_ops, 0, 0, 10))
    g_error ("%d operations were never released", g_atomic_int_get (&live_ops));

  canceller_stop ();
  g_clear_object (&runner);

  /* Each call ran its operation exactly once: what the callers counted
   * matches what the runner thread counted. A held call may time out
   * before its operation begins; no other kind may (its outcome would
   * have been a timeout, which check_outcome() refuses). */
  for (k = 0; k < N_KINDS; k++)
    {
      guint begun = (guint) g_atomic_int_get (&begun_ops[k]);

      g_test_message ("%-9s %u calls, %u operations begun", kind_names[k], ended[k], begun);
      if (k == KIND_HELD)
        g_assert_cmpuint (begun, <=, ended[k]);
      else
        g_assert_cmpuint (begun, ==, ended[k]);
      g_assert_cmpuint (ended[k], >, 0);
      total_begun += begun;
    }
  g_test_message ("%u calls in %u s on %u threads", total_calls, seconds, n_threads);
  g_assert_cmpuint (total_begun, <=, total_calls);
  g_assert_cmpuint (total_begun, >=, total_calls - ended[KIND_HELD]);
}

static const TestCase tests[] = {
  { "/stress/mixed-load", test_mixed_load },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
