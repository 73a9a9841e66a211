/* test-stress.c: every call returns exactly once, under load and under shutdown
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Several threads hammer one runner with calls of every kind, each of
 * which has exactly one right outcome. GLib's futex-based GMutex is
 * invisible to ThreadSanitizer and Helgrind: these tests are the race
 * detector, run plain, under memcheck and under ASan+UBSan.
 *
 * Environment (CI under valgrind makes them shorter or more patient):
 *   ASYNC_RUNNER_STRESS_SECONDS     how long mixed-load runs (default 10)
 *   ASYNC_RUNNER_STRESS_THREADS     calling threads (default 4)
 *   ASYNC_RUNNER_STRESS_TIMEOUT_MS  the runner's timeout in mixed-load (default 500)
 *   ASYNC_RUNNER_STRESS_ROUNDS      shutdown-under-load rounds (default 10)
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"

#define MAX_THREADS 16

/* Completion delays, in milliseconds, far below the runner's timeout. */
#define LATER_MAX_MS   10
#define CANCEL_MAX_MS   5

/* Liveness bound for shutdown: not a benchmark, a "did not hang". */
#define SHUTDOWN_BOUND_US G_TIME_SPAN_SECOND

/* ---- Helpers shared by the tests of this file ---- */

/* Polls @counter until it is at least @min (at most @max) or @seconds
 * pass. */
static gboolean
wait_for_range (gint  *counter,
                gint   min,
                gint   max,
                guint  seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  gint value;

  while ((value = g_atomic_int_get (counter)) < min || value > max)
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (G_TIME_SPAN_MILLISECOND / 4);
    }

  return TRUE;
}

/* ---- The operations ---- */

/* What a call does; each kind has exactly one right outcome. */
typedef enum
{
  KIND_IMMEDIATE,   /* completes with a value before the function returns */
  KIND_LATER,       /* completes with a value from a timeout source */
  KIND_ERROR,       /* fails with its own error, at once or later */
  KIND_CANCEL,      /* the caller's cancellable is cancelled mid-flight */
  KIND_HELD,        /* never completes by itself: the timeout or shutdown ends it */
  N_KINDS
} Kind;

static const char * const kind_names[N_KINDS] = {
  "immediate", "later", "error", "cancel", "held",
};

/* Variations within a kind. */
enum
{
  FLAG_LATER        = 1 << 0,   /* error: from a source rather than at once */
  FLAG_IGNORES      = 1 << 1,   /* cancel/held: completes with a value after being cancelled */
  FLAG_CANCEL_LOCAL = 1 << 2,   /* cancel: from a timeout on the runner, not another thread */
};

#define STRESS_ERROR (g_quark_from_static_string ("async-runner-stress-error"))

/* A request travels as the user_data of run_sync/call_sync, packed in the
 * pointer itself: the function may (in theory) run after its caller gave
 * up, so it must not point into the caller's stack. */
#define REQ_PACK(kind, flags, slot, id) \
  GSIZE_TO_POINTER ((gsize) (kind) | ((gsize) (flags) << 4) | \
                    ((gsize) (slot) << 8) | ((gsize) (id) << 16))
#define REQ_KIND(req)  ((Kind) (GPOINTER_TO_SIZE (req) & 0xf))
#define REQ_FLAGS(req) ((guint) ((GPOINTER_TO_SIZE (req) >> 4) & 0xf))
#define REQ_SLOT(req)  ((guint) ((GPOINTER_TO_SIZE (req) >> 8) & 0xff))
#define REQ_ID(req)    ((guint) (GPOINTER_TO_SIZE (req) >> 16))
#define ID_MASK        ((guint) (G_MAXSIZE >> 16))

typedef struct
{
  guint id;
  guint flags;
  guint delay_ms;
} OpData;

/* Operations whose task is not finalized yet. */
static gint live_ops;   /* atomic */

/* Per calling thread: the cancellable of its current call, so that the
 * runner thread can cancel it without pointing into the caller's stack. */
typedef struct
{
  guint         id;
  GCancellable *cancellable;
} Slot;

static GMutex slots_lock;
static Slot slots[MAX_THREADS];

/* Cancels cancellables from a thread of its own. */
static GAsyncQueue *canceller_queue;
static GThread *canceller;

static gpointer
canceller_thread (gpointer data)
{
  GCancellable *cancellable;

  /* The queue itself is the sentinel: it is not a cancellable. */
  while ((cancellable = g_async_queue_pop (canceller_queue)) != (gpointer) canceller_queue)
    {
      /* Vary how far into the call the cancellation lands. */
      if (g_random_boolean ())
        g_thread_yield ();
      g_cancellable_cancel (cancellable);
      g_object_unref (cancellable);
    }

  return NULL;
}

static void
canceller_start (void)
{
  canceller_queue = g_async_queue_new ();
  canceller = g_thread_new ("canceller", canceller_thread, NULL);
}

static void
canceller_stop (void)
{
  g_async_queue_push (canceller_queue, canceller_queue);
  g_thread_join (canceller);
  g_async_queue_unref (canceller_queue);
}

static void
op_gone (gpointer  data,
         GObject  *where_the_task_was)
{
  g_atomic_int_add (&live_ops, -1);
}

static void
return_id (GTask *task,
           guint  id)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_UINT);
  g_value_set_uint (&value, id);
  g_task_return_value (task, &value);
  g_value_unset (&value);
}

/* Completes @task as its kind says. */
static void
op_complete (GTask *task,
             Kind   kind)
{
  OpData *op = g_task_get_task_data (task);

  if (kind == KIND_ERROR)
    g_task_return_new_error (task, STRESS_ERROR, 1 + op->id % 5, "operation %u failed", op->id);
  else
    return_id (task, op->id);
}

static gboolean
on_later (gpointer user_data)
{
  GTask *task = user_data;

  op_complete (task, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "kind")));

  return G_SOURCE_REMOVE;
}

/* On the runner thread: completes @task from a source on the
 * thread-default context, the runner's, after @delay_ms. */
static void
op_complete_later (GTask *task,
                   guint  delay_ms)
{
  g_assert_true (g_main_context_get_thread_default () != NULL);
  attach_source (g_main_context_get_thread_default (), delay_ms,
                 on_later, g_object_ref (task), g_object_unref);
}

/* The operation's cancellable was cancelled (the call was cancelled,
 * timed out or the runner shut down): a well-behaved operation fails
 * with G_IO_ERROR_CANCELLED; an ill-behaved one completes anyway with a
 * value, later, which must be dropped. */
static void
on_op_cancelled (GTask *task)
{
  OpData *op = g_task_get_task_data (task);

  if (op->flags & FLAG_IGNORES)
    {
      g_object_set_data (G_OBJECT (task), "kind", GINT_TO_POINTER (KIND_LATER));
      op_complete_later (task, op->delay_ms);
    }
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "operation %u cancelled", op->id);
}

/* Both the runner's timeout and shutdown cancel it. */
static void
op_hold (GTask *task)
{
  hold_until_cancelled (task, on_op_cancelled);
}

static gboolean
on_cancel_caller (gpointer user_data)
{
  g_cancellable_cancel (user_data);

  return G_SOURCE_REMOVE;
}

/* On the runner thread, mid-flight: has the caller's cancellable
 * cancelled, from another thread or from a timeout on the runner. */
static void
cancel_caller (gpointer req,
               guint    delay_ms)
{
  GCancellable *cancellable = NULL;
  Slot *slot = &slots[REQ_SLOT (req)];

  g_mutex_lock (&slots_lock);
  if (slot->id == REQ_ID (req) && slot->cancellable != NULL)
    cancellable = g_object_ref (slot->cancellable);
  g_mutex_unlock (&slots_lock);

  /* The caller is waiting for this very call: it cannot have left. */
  g_assert_nonnull (cancellable);

  if (REQ_FLAGS (req) & FLAG_CANCEL_LOCAL)
    {
      GSource *source = g_timeout_source_new (delay_ms);

      g_source_set_callback (source, on_cancel_caller, cancellable, g_object_unref);
      g_source_attach (source, g_main_context_get_thread_default ());
      g_source_unref (source);
    }
  else
    g_async_queue_push (canceller_queue, cancellable);
}

/* On the runner thread: starts the operation @req describes on @task. */
static void
op_begin (AsyncRunner *runner,
          GTask       *task,
          gpointer     req)
{
  Kind kind = REQ_KIND (req);
  OpData *op = g_new0 (OpData, 1);

  g_assert_true (async_runner_is_runner_thread (runner));
  g_assert_true (g_main_context_get_thread_default () == async_runner_get_context (runner));

  op->id = REQ_ID (req);
  op->flags = REQ_FLAGS (req);
  op->delay_ms = g_random_int_range (0, LATER_MAX_MS + 1);
  g_task_set_task_data (task, op, g_free);
  g_object_set_data (G_OBJECT (task), "kind", GINT_TO_POINTER (kind));

  g_atomic_int_inc (&live_ops);
  g_object_weak_ref (G_OBJECT (task), op_gone, NULL);

  switch (kind)
    {
    case KIND_IMMEDIATE:
      op_complete (task, kind);
      break;

    case KIND_LATER:
      op_complete_later (task, op->delay_ms);
      break;

    case KIND_ERROR:
      if (op->flags & FLAG_LATER)
        op_complete_later (task, op->delay_ms);
      else
        op_complete (task, kind);
      break;

    case KIND_CANCEL:
      op_hold (task);
      cancel_caller (req, g_random_int_range (0, CANCEL_MAX_MS + 1));
      break;

    case KIND_HELD:
      op_hold (task);
      break;

    case N_KINDS:
    default:
      g_assert_not_reached ();
    }
}

static gboolean
run_func (AsyncRunner *runner,
          GTask       *task,
          gpointer     user_data)
{
  op_begin (runner, task, user_data);

  return TRUE;
}

static gboolean
start_func (AsyncRunner         *runner,
            gpointer             user_data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             callback_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, callback_data);

  op_begin (runner, task, user_data);

  return TRUE;
}

/* One call of the given kind, on any thread, through run_sync or
 * call_sync. Returns its outcome: TRUE with @id in @out_id, or FALSE
 * with @error set. */
static gboolean
do_call (AsyncRunner   *runner,
         gpointer       req,
         gboolean       use_call_sync,
         gboolean       want_value,
         GCancellable  *cancellable,
         guint         *out_id,
         GError       **error)
{
  GValue value = G_VALUE_INIT;

  *out_id = G_MAXUINT;

  if (use_call_sync)
    {
      g_autoptr(GAsyncResult) result = NULL;

      result = async_runner_call_sync (runner, start_func, req, cancellable, error);
      if (result == NULL)
        return FALSE;

      g_assert_true (g_task_is_valid (result, NULL));
      if (!g_task_propagate_value (G_TASK (result), &value, error))
        return FALSE;
    }
  else if (!async_runner_run_sync (runner, run_func, req, cancellable,
                                   want_value ? &value : NULL, error))
    return FALSE;

  if (G_IS_VALUE (&value))
    {
      g_assert_true (G_VALUE_HOLDS_UINT (&value));
      *out_id = g_value_get_uint (&value);
      g_value_unset (&value);
    }
  else
    *out_id = REQ_ID (req);

  return TRUE;
}

/* Nothing in the calling thread's own context may run during a call. */
static gboolean
on_caller_idle (gpointer user_data)
{
  g_error ("a call dispatched its caller's thread-default context");
  return G_SOURCE_REMOVE;
}

/* ---- /AsyncRunner/Stress/mixed-load ---- */

typedef struct
{
  AsyncRunner *runner;
  guint        slot;
  gint64       end_time;
  GRand       *rand;

  gint         current_kind;    /* atomic: for the watchdog's report; -1 between calls */
  gint64       current_since;   /* atomic enough for a report */
  guint        current_id;

  guint        chosen[N_KINDS];
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

/* Checks that a call ended exactly as its kind dictates. */
static void
check_outcome (Kind          kind,
               guint         id,
               gboolean      ok,
               guint         got_id,
               const GError *error)
{
  g_autofree char *expected_message = NULL;

  switch (kind)
    {
    case KIND_IMMEDIATE:
    case KIND_LATER:
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpuint (got_id, ==, id);
      break;

    case KIND_ERROR:
      g_assert_false (ok);
      g_assert_error (error, STRESS_ERROR, (gint) (1 + id % 5));
      expected_message = g_strdup_printf ("operation %u failed", id);
      g_assert_cmpstr (error->message, ==, expected_message);
      break;

    case KIND_CANCEL:
      g_assert_false (ok);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      break;

    case KIND_HELD:
      g_assert_false (ok);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      break;

    case N_KINDS:
    default:
      g_assert_not_reached ();
    }
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

      g_mutex_lock (&slots_lock);
      slots[w->slot].id = id;
      slots[w->slot].cancellable = cancellable;
      g_mutex_unlock (&slots_lock);

      w->current_id = id;
      w->current_since = g_get_monotonic_time ();
      g_atomic_int_set (&w->current_kind, kind);
      w->chosen[kind]++;

      ok = do_call (w->runner, req, use_call_sync, want_value, cancellable, &got_id, &error);

      g_atomic_int_set (&w->current_kind, -1);

      g_mutex_lock (&slots_lock);
      slots[w->slot].cancellable = NULL;
      g_mutex_unlock (&slots_lock);

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

static void
test_mixed_load (void)
{
  guint seconds = env_uint ("ASYNC_RUNNER_STRESS_SECONDS", 10);
  guint n_threads = MIN (env_uint ("ASYNC_RUNNER_STRESS_THREADS", 4), MAX_THREADS);
  guint timeout_ms = env_uint ("ASYNC_RUNNER_STRESS_TIMEOUT_MS", 500);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  GThread *threads[MAX_THREADS];
  guint chosen[N_KINDS] = { 0, };
  guint ended[N_KINDS] = { 0, };
  guint total_chosen = 0;
  guint total_ended = 0;
  guint total_calls = 0;
  Watchdog *dog;
  gint64 end_time;
  guint i;
  guint k;

  async_runner_set_timeout (runner, timeout_ms);
  canceller_start ();

  /* Room for the last call of each thread to time out, and then some. */
  dog = watchdog_arm ("/AsyncRunner/Stress/mixed-load",
                      seconds + 30 + 2 * timeout_ms / 1000, mixed_report);

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
        {
          chosen[k] += w->chosen[k];
          ended[k] += w->ended[k];
        }
    }

  /* Results that arrived after their call had ended were dropped, and
   * operations still running when their call ended have finished: no
   * task is left behind. */
  if (!wait_for_range (&live_ops, 0, 0, 10))
    g_error ("%d operations were never released", g_atomic_int_get (&live_ops));

  canceller_stop ();
  g_clear_object (&runner);
  watchdog_disarm (dog);

  for (k = 0; k < N_KINDS; k++)
    {
      g_test_message ("%-9s %u calls", kind_names[k], ended[k]);
      g_assert_cmpuint (ended[k], ==, chosen[k]);
      g_assert_cmpuint (ended[k], >, 0);
      total_chosen += chosen[k];
      total_ended += ended[k];
    }
  g_test_message ("%u calls in %u s on %u threads", total_calls, seconds, n_threads);
  g_assert_cmpuint (total_chosen, ==, total_calls);
  g_assert_cmpuint (total_ended, ==, total_calls);
}

/* ---- /AsyncRunner/Stress/shutdown-under-load ---- */

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
  gint64 deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;

  while ((g_atomic_int_get (calls) < min_calls && g_atomic_int_get (held) < n_threads) ||
         g_atomic_int_get (held) < min_held)
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (G_TIME_SPAN_MILLISECOND / 4);
    }

  return TRUE;
}

static gpointer
shutter_thread (gpointer data)
{
  async_runner_shutdown (data);

  return NULL;
}

/* Threads calling in a loop while another thread shuts the runner down:
 * every call in flight returns promptly, with its result if it already
 * had one or with G_IO_ERROR_CLOSED, and later calls fail with
 * G_IO_ERROR_CLOSED. */
static void
test_shutdown_under_load (void)
{
  guint rounds = env_uint ("ASYNC_RUNNER_STRESS_ROUNDS", 10);
  guint n_threads = MIN (env_uint ("ASYNC_RUNNER_STRESS_THREADS", 4), MAX_THREADS);
  Watchdog *dog;
  guint round;

  dog = watchdog_arm ("/AsyncRunner/Stress/shutdown-under-load", 30 + rounds * 5, NULL);
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
        shutters[i] = g_thread_new ("shutter", shutter_thread, runner);
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
  watchdog_disarm (dog);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/AsyncRunner/Stress/mixed-load", test_mixed_load);
  g_test_add_func ("/AsyncRunner/Stress/shutdown-under-load", test_shutdown_under_load);

  return g_test_run ();
}
