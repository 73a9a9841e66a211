/* test-reliability.c: the ways a call could hang, leak or lie that an
 * adversarial review found (issue 10), each pinned down
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <dirent.h>
#include <string.h>

#include <async-runner.h>

#include "test-util.h"

/* No test may take longer than this; the watchdog aborts the process
 * instead of letting it hang. */
#define WATCHDOG_LIMIT_S 60

/* A timeout that only a hang reaches: a call that should succeed and
 * times out instead failed, it did not just run slowly. */
#define HANG_TIMEOUT_MS 5000

/* ---- Helpers ---- */

/* A gate that threads wait at until the test opens it. */
typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean open;     /* protected by @mutex */
  gint     waiting;  /* protected by @mutex */
} Gate;

static void
gate_init (Gate *gate)
{
  g_mutex_init (&gate->mutex);
  g_cond_init (&gate->cond);
  gate->open = FALSE;
  gate->waiting = 0;
}

static void
gate_clear (Gate *gate)
{
  g_cond_clear (&gate->cond);
  g_mutex_clear (&gate->mutex);
}

static void
gate_pass (Gate *gate)
{
  g_mutex_lock (&gate->mutex);
  gate->waiting++;
  g_cond_broadcast (&gate->cond);
  while (!gate->open)
    g_cond_wait (&gate->cond, &gate->mutex);
  gate->waiting--;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

static void
gate_open (Gate *gate)
{
  g_mutex_lock (&gate->mutex);
  gate->open = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

/* Waits until nobody waits at @gate any more. */
static void
gate_wait_empty (Gate *gate)
{
  g_mutex_lock (&gate->mutex);
  while (gate->waiting > 0)
    g_cond_wait (&gate->cond, &gate->mutex);
  g_mutex_unlock (&gate->mutex);
}

static gboolean
return_int (AsyncRunner *runner,
            GTask       *task,
            gpointer     user_data)
{
  task_return_int (task, GPOINTER_TO_INT (user_data));
  return TRUE;
}

static gint
run_int (AsyncRunner  *runner,
         gint          n,
         GError      **error)
{
  GValue value = G_VALUE_INIT;
  gint ret;

  if (!async_runner_run_sync (runner, return_int, GINT_TO_POINTER (n), NULL, &value, error))
    {
      g_value_unset (&value);
      return -1;
    }
  ret = g_value_get_int (&value);
  g_value_unset (&value);

  return ret;
}

/* ---- 1. A nested call while another context is thread-default ---- */

typedef struct
{
  AsyncRunner *runner;
  GMainContext *private_context;
  gint          nested_value;
  GError       *nested_error;
  gboolean      inner_context_ok;
  gint          other_value;     /* written by the other thread */
  GError       *other_error;
} Foreign;

static gboolean
return_int_checking_context (AsyncRunner *runner,
                             GTask       *task,
                             gpointer     user_data)
{
  Foreign *f = user_data;

  f->inner_context_ok = g_main_context_get_thread_default () == async_runner_get_context (runner) &&
                        g_task_get_context (task) == async_runner_get_context (runner);
  task_return_int (task, 5);
  return TRUE;
}

static gboolean
nested_under_private_context (AsyncRunner *runner,
                              GTask       *task,
                              gpointer     user_data)
{
  Foreign *f = user_data;
  GValue value = G_VALUE_INIT;

  /* A library's own sync wrapper: a private context, pushed. */
  g_main_context_push_thread_default (f->private_context);
  if (async_runner_run_sync (runner, return_int_checking_context, f, NULL, &value, &f->nested_error))
    f->nested_value = g_value_get_int (&value);
  g_value_unset (&value);
  g_main_context_pop_thread_default (f->private_context);

  g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* A call made on the runner thread while a private context is
 * thread-default runs its function with the runner's context pushed, and
 * completes. */
static void
test_nested_private_context (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  Foreign f = { runner, g_main_context_new (), 0, NULL, FALSE, 0, NULL };

  /* Without the fix the nested call hangs: the timeout turns that into
   * a failure. */
  async_runner_set_timeout (runner, HANG_TIMEOUT_MS);

  g_assert_true (async_runner_run_sync (runner, nested_under_private_context, &f, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_no_error (f.nested_error);
  g_assert_cmpint (f.nested_value, ==, 5);
  g_assert_true (f.inner_context_ok);

  g_main_context_unref (f.private_context);
}

static gpointer
other_thread_call (gpointer data)
{
  GTask *task = data;   /* the nested call's task, owned */
  Foreign *f = g_task_get_task_data (task);

  f->other_value = run_int (f->runner, 6, &f->other_error);
  task_return_int (task, 7);
  g_object_unref (task);

  return NULL;
}

static gboolean
complete_from_other_thread (AsyncRunner *runner,
                            GTask       *task,
                            gpointer     user_data)
{
  /* Completed by a thread that first makes a call of its own, submitted
   * while the runner thread waits in the nested call. */
  g_task_set_task_data (task, user_data, NULL);
  g_thread_unref (g_thread_new ("other", other_thread_call, g_object_ref (task)));
  return TRUE;
}

static gboolean
nested_waits_for_other_thread (AsyncRunner *runner,
                               GTask       *task,
                               gpointer     user_data)
{
  Foreign *f = user_data;
  GValue value = G_VALUE_INIT;

  g_main_context_push_thread_default (f->private_context);
  if (async_runner_run_sync (runner, complete_from_other_thread, f, NULL, &value, &f->nested_error))
    f->nested_value = g_value_get_int (&value);
  g_value_unset (&value);
  g_main_context_pop_thread_default (f->private_context);

  g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* Calls that other threads submit while the runner thread waits in such
 * a nested call are prepared under the runner's context, and complete. */
static void
test_nested_private_context_others (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  Foreign f = { runner, g_main_context_new (), 0, NULL, FALSE, 0, NULL };

  async_runner_set_timeout (runner, HANG_TIMEOUT_MS);

  g_assert_true (async_runner_run_sync (runner, nested_waits_for_other_thread, &f, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_no_error (f.nested_error);
  g_assert_cmpint (f.nested_value, ==, 7);
  /* The nested call returned after the other thread's call did. */
  g_assert_no_error (f.other_error);
  g_assert_cmpint (f.other_value, ==, 6);

  g_main_context_unref (f.private_context);
}

/* ---- 4. Two runners calling each other ---- */

typedef struct
{
  AsyncRunner *a;
  AsyncRunner *b;
  guint        a_timeout_ms;   /* set once A runs its function */
  guint        b_timeout_ms;
  GError      *a_to_b_error;   /* fA's call to B */
  gint         b_to_a_value;   /* fB's call to A */
  GError      *b_to_a_error;
} Cycle;

static gboolean
b_calls_a (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  Cycle *c = user_data;

  c->b_to_a_value = run_int (c->a, 3, &c->b_to_a_error);
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gboolean
a_calls_b (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  Cycle *c = user_data;

  GMainContext *private_context = g_main_context_new ();

  /* From now on: the test's own call to A has none. */
  async_runner_set_timeout (c->a, c->a_timeout_ms);
  async_runner_set_timeout (c->b, c->b_timeout_ms);

  /* A private context pushed, as a library's sync wrapper does: the calls
   * A serves while it waits still run under A's context. */
  g_main_context_push_thread_default (private_context);
  async_runner_run_sync (c->b, b_calls_a, c, NULL, NULL, &c->a_to_b_error);
  g_main_context_pop_thread_default (private_context);
  g_main_context_unref (private_context);

  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static void
run_cycle (guint  a_timeout_ms,
           guint  b_timeout_ms,
           Cycle *c)
{
  g_autoptr(GError) error = NULL;

  memset (c, 0, sizeof *c);
  c->a = async_runner_new ();
  c->b = async_runner_new ();
  c->a_timeout_ms = a_timeout_ms;
  c->b_timeout_ms = b_timeout_ms;

  g_assert_true (async_runner_run_sync (c->a, a_calls_b, c, NULL, NULL, &error));
  g_assert_no_error (error);

  g_object_unref (c->a);
  g_object_unref (c->b);
}

/* A→B→A: a timeout on the calls to B alone ends the cycle. A's call to B
 * times out; while A's thread waits for B's function to return, it serves
 * A's own calls, so B's call to A completes and B's function returns. */
static void
test_cycle_timeout_on_b (void)
{
  Cycle c;

  run_cycle (0, 100, &c);
  g_assert_error (c.a_to_b_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_no_error (c.b_to_a_error);
  g_assert_cmpint (c.b_to_a_value, ==, 3);
  g_clear_error (&c.a_to_b_error);
}

/* A→B→A: a timeout on the calls to A alone ends the cycle too: B's call
 * to A times out, B's function returns and A's call to B completes. */
static void
test_cycle_timeout_on_a (void)
{
  Cycle c;

  run_cycle (100, 0, &c);
  g_assert_error (c.b_to_a_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_no_error (c.a_to_b_error);
  g_clear_error (&c.b_to_a_error);
}

typedef struct
{
  AsyncRunner *a;
  AsyncRunner *b;
  Gate         gate;
  gboolean     b_to_a_ok;
  GError      *b_to_a_error;
  GError      *a_to_b_error;
} CycleShutdown;

static gboolean
b_waits_then_calls_a (AsyncRunner *runner,
                      GTask       *task,
                      gpointer     user_data)
{
  CycleShutdown *cs = user_data;

  gate_pass (&cs->gate);
  cs->b_to_a_ok = run_int (cs->a, 3, &cs->b_to_a_error) == 3;
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gboolean
a_calls_b_then_waits (AsyncRunner *runner,
                      GTask       *task,
                      gpointer     user_data)
{
  CycleShutdown *cs = user_data;

  async_runner_set_timeout (cs->b, 100);
  async_runner_run_sync (cs->b, b_waits_then_calls_a, cs, NULL, NULL, &cs->a_to_b_error);
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gpointer
call_a_thread (gpointer data)
{
  CycleShutdown *cs = data;
  g_autoptr(GError) error = NULL;

  /* Its result or G_IO_ERROR_CLOSED, depending on who is first. */
  if (!async_runner_run_sync (cs->a, a_calls_b_then_waits, cs, NULL, NULL, &error))
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  return NULL;
}

static gpointer
shutdown_thread (gpointer data)
{
  async_runner_shutdown (data);
  return NULL;
}

/* A runner thread that serves its own calls while it waits for another
 * runner's function (see cycle-timeout-on-b) and is shut down meanwhile
 * ends the calls submitted to it with G_IO_ERROR_CLOSED instead of
 * leaving them queued: the function waiting on it returns, and so does
 * the shutdown. */
static void
test_cycle_shutdown_while_serving (void)
{
  CycleShutdown cs = { async_runner_new (), async_runner_new () };
  GThread *caller;
  GThread *stopper;

  gate_init (&cs.gate);
  caller = g_thread_new ("call-a", call_a_thread, &cs);

  /* B's function runs; A's call to it times out 100 ms later. */
  g_mutex_lock (&cs.gate.mutex);
  while (cs.gate.waiting < 1)
    g_cond_wait (&cs.gate.cond, &cs.gate.mutex);
  g_mutex_unlock (&cs.gate.mutex);

  /* Shut A down (which waits for A's function) and let B's function
   * call A: long before A's call to B times out, so A is shut down by
   * the time it serves that call. */
  stopper = g_thread_new ("shutdown-a", shutdown_thread, cs.a);
  gate_open (&cs.gate);

  g_thread_join (stopper);
  g_thread_join (caller);

  g_assert_error (cs.a_to_b_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  if (!cs.b_to_a_ok)
    g_assert_error (cs.b_to_a_error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  g_clear_error (&cs.a_to_b_error);
  g_clear_error (&cs.b_to_a_error);
  gate_clear (&cs.gate);
  g_object_unref (cs.a);
  g_object_unref (cs.b);
}

/* ---- 5. Operations that outlive the shutdown grace ---- */

static guint
count_open_fds (void)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *entry;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((entry = readdir (dir)) != NULL)
    if (entry->d_name[0] != '.')
      n++;
  closedir (dir);

  return n - 1;   /* the directory itself */
}

static void
slow_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  /* Ignores cancellation until the test opens the gate. */
  gate_pass (task_data);
  task_return_int (task, 9);
}

static gboolean
run_in_thread_slowly (AsyncRunner *runner,
                      GTask       *task,
                      gpointer     user_data)
{
  g_task_set_task_data (task, user_data, NULL);
  g_task_run_in_thread (task, slow_worker);
  return TRUE;
}

static gboolean
start_in_thread_slowly (AsyncRunner         *runner,
                        gpointer             user_data,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             callback_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, callback_data);

  g_task_set_task_data (task, user_data, NULL);
  g_task_run_in_thread (task, slow_worker);
  return TRUE;
}

/* The same, calling back without its data, as some bindings do. */
static gboolean
start_in_thread_slowly_lost_data (AsyncRunner         *runner,
                                  gpointer             user_data,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             callback_data)
{
  return start_in_thread_slowly (runner, user_data, cancellable, callback, NULL);
}

typedef enum
{
  SLOW_RUN_SYNC,
  SLOW_CALL_SYNC,
  SLOW_CALL_SYNC_LOST_DATA,
  N_SLOW_KINDS
} SlowKind;

typedef struct
{
  AsyncRunner *runner;
  SlowKind     kind;
  GError      *error;
} SlowCall;

static gpointer
slow_call_thread (gpointer data)
{
  SlowCall *sc = data;
  Gate *gate = g_object_get_data (G_OBJECT (sc->runner), "gate");

  if (sc->kind == SLOW_RUN_SYNC)
    g_assert_false (async_runner_run_sync (sc->runner, run_in_thread_slowly, gate, NULL, NULL, &sc->error));
  else
    g_assert_null (async_runner_call_sync (sc->runner,
                                           sc->kind == SLOW_CALL_SYNC
                                             ? start_in_thread_slowly
                                             : start_in_thread_slowly_lost_data,
                                           gate, NULL, &sc->error));

  return NULL;
}

#define N_SLOW_RUNNERS 3

/* A runner shut down while a g_task_run_in_thread() operation it started
 * outlives the 100 ms grace leaves no file descriptor (nor memory: see
 * the memcheck and ASan runs) behind once that operation completes, even
 * if its callback comes back without its data (and with no critical). */
static void
test_late_completion_frees_context (void)
{
  Gate gate;
  guint fds_before;
  gint64 deadline;
  guint i;

  /* In a process of its own: runners of earlier tests, finishing late
   * operations of their own, would close descriptors meanwhile. */
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  /* Warm up GLib's thread pool and whatever else opens a descriptor once
   * per process. */
  {
    g_autoptr(AsyncRunner) warm = async_runner_new ();
    Gate open_gate;

    gate_init (&open_gate);
    gate_open (&open_gate);
    g_assert_true (async_runner_run_sync (warm, run_in_thread_slowly, &open_gate, NULL, NULL, NULL));
    async_runner_shutdown (warm);
    gate_clear (&open_gate);
  }

  fds_before = count_open_fds ();
  gate_init (&gate);

  for (i = 0; i < N_SLOW_KINDS * N_SLOW_RUNNERS; i++)
    {
      SlowCall sc = { async_runner_new (), i % N_SLOW_KINDS, NULL };
      GThread *thread;

      g_object_set_data (G_OBJECT (sc.runner), "gate", &gate);
      thread = g_thread_new ("slow-call", slow_call_thread, &sc);
      /* The operation is running in GLib's pool, blocked at the gate. */
      g_mutex_lock (&gate.mutex);
      while (gate.waiting < (gint) i + 1)
        g_cond_wait (&gate.cond, &gate.mutex);
      g_mutex_unlock (&gate.mutex);

      /* Shut down: the call ends at once, the operation outlives the
       * grace. */
      async_runner_shutdown (sc.runner);
      g_thread_join (thread);
      g_object_unref (sc.runner);
      g_assert_error (sc.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
      g_clear_error (&sc.error);
    }

  /* The operations complete, long after their runners were shut down. */
  gate_open (&gate);
  gate_wait_empty (&gate);

  /* Their completions are dispatched and every runner's context and its
   * descriptor are freed: wait for that, with a deadline. */
  deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (count_open_fds () > fds_before && g_get_monotonic_time () < deadline)
    g_usleep (G_TIME_SPAN_MILLISECOND);
  /* At most as many as before: the warm-up runner's own context may be
   * freed meanwhile (its thread-pool task lets go of it late, seen with
   * ASan on sid), never more. */
  g_assert_cmpuint (count_open_fds (), <=, fds_before);

  gate_clear (&gate);
}

/* ---- 6. g_task_run_in_thread_sync() ---- */

static void
quick_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  task_return_int (task, GPOINTER_TO_INT (task_data));
}

static gboolean
run_in_thread_sync (AsyncRunner *runner,
                    GTask       *task,
                    gpointer     user_data)
{
  g_task_set_task_data (task, user_data, NULL);
  g_task_run_in_thread_sync (task, quick_worker);
  return TRUE;
}

static void
quick_error_worker (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Not here");
}

static gboolean
run_in_thread_sync_error (AsyncRunner *runner,
                          GTask       *task,
                          gpointer     user_data)
{
  g_task_run_in_thread_sync (task, quick_error_worker);
  return TRUE;
}

static gboolean
nested_run_in_thread_sync (AsyncRunner *runner,
                           GTask       *task,
                           gpointer     user_data)
{
  GValue value = G_VALUE_INIT;
  gint n = -1;

  if (async_runner_run_sync (runner, run_in_thread_sync, user_data, NULL, &value, NULL))
    n = g_value_get_int (&value);
  g_value_unset (&value);
  task_return_int (task, n);
  return TRUE;
}

/* A function that completes its task with g_task_run_in_thread_sync()
 * (whose callback GLib never invokes) gets the task's outcome, and no
 * critical is raised (criticals are fatal in tests). */
static void
test_run_in_thread_sync (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (async_runner_run_sync (runner, run_in_thread_sync, GINT_TO_POINTER (11),
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 11);
  g_value_unset (&value);

  g_assert_true (async_runner_run_sync (runner, run_in_thread_sync, GINT_TO_POINTER (12),
                                        NULL, NULL, &error));
  g_assert_no_error (error);

  g_assert_false (async_runner_run_sync (runner, run_in_thread_sync_error, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Nested, on the runner thread. */
  g_assert_true (async_runner_run_sync (runner, nested_run_in_thread_sync, GINT_TO_POINTER (13),
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 13);
  g_value_unset (&value);
}

/* ---- Recycled cancellables ---- */

static gboolean
keep_weak_ref (AsyncRunner *runner,
               GTask       *task,
               gpointer     user_data)
{
  g_weak_ref_set (user_data, g_task_get_cancellable (task));
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gboolean
check_not_old (AsyncRunner *runner,
               GTask       *task,
               gpointer     user_data)
{
  g_autoptr(GCancellable) old = g_weak_ref_get (user_data);

  /* The old operation, still holding its weak reference, cancels what it
   * believes is its own cancellable. */
  if (old != NULL)
    g_cancellable_cancel (old);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled by another call");
  else
    g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* The cancellable of a finished call is never handed to another call:
 * whoever kept a weak reference to it cannot cancel an unrelated call. */
static void
test_cancellable_not_recycled (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  guint i;

  for (i = 0; i < 16; i++)
    {
      g_autoptr(GError) error = NULL;
      GWeakRef old;

      g_weak_ref_init (&old, NULL);
      g_assert_true (async_runner_run_sync (runner, keep_weak_ref, &old, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (async_runner_run_sync (runner, check_not_old, &old, NULL, NULL, &error));
      g_assert_no_error (error);
      g_weak_ref_clear (&old);
    }
}

/* ---- A function that delivers its outcome, then returns FALSE ---- */

static gboolean
start_call_back_then_false (AsyncRunner         *runner,
                            gpointer             user_data,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             callback_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, NULL, NULL);

  /* Calls back before returning, as a synchronous operation might. */
  g_task_return_boolean (task, TRUE);
  callback (NULL, G_ASYNC_RESULT (task), callback_data);
  return FALSE;
}

static gboolean
complete_then_false (AsyncRunner *runner,
                     GTask       *task,
                     gpointer     user_data)
{
  task_return_int (task, 8);
  return FALSE;
}

static gboolean
nested_false_calls (AsyncRunner *runner,
                    GTask       *task,
                    gpointer     user_data)
{
  g_autoptr(GError) error1 = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gboolean ok;

  ok = async_runner_run_sync (runner, complete_then_false, NULL, NULL, NULL, &error1);
  result = async_runner_call_sync (runner, start_call_back_then_false, NULL, NULL, &error2);

  if (!ok && result == NULL &&
      g_error_matches (error1, G_IO_ERROR, G_IO_ERROR_FAILED) &&
      g_error_matches (error2, G_IO_ERROR, G_IO_ERROR_FAILED))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             "A nested call that returned FALSE did not fail");
  return TRUE;
}

/* A function that returns FALSE fails its call with G_IO_ERROR_FAILED
 * even if it delivered an outcome first (completed its task, or called
 * back), from another thread and nested alike. */
static void
test_false_after_delivery (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GValue value = G_VALUE_INIT;

  result = async_runner_call_sync (runner, start_call_back_then_false, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_null (result);
  g_clear_error (&error);

  g_assert_false (async_runner_run_sync (runner, complete_then_false, NULL, NULL, &value, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_value_unset (&value);
  g_clear_error (&error);

  g_assert_true (async_runner_run_sync (runner, nested_false_calls, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* The runner still works. */
  g_assert_cmpint (run_int (runner, 4, &error), ==, 4);
  g_assert_no_error (error);
}

static const TestCase tests[] = {
  { "/AsyncRunner/Reliability/nested-private-context", test_nested_private_context },
  { "/AsyncRunner/Reliability/nested-private-context-others", test_nested_private_context_others },
  { "/AsyncRunner/Reliability/cycle-timeout-on-b", test_cycle_timeout_on_b },
  { "/AsyncRunner/Reliability/cycle-timeout-on-a", test_cycle_timeout_on_a },
  { "/AsyncRunner/Reliability/cycle-shutdown-while-serving", test_cycle_shutdown_while_serving },
  { "/AsyncRunner/Reliability/late-completion-frees-context", test_late_completion_frees_context },
  { "/AsyncRunner/Reliability/run-in-thread-sync", test_run_in_thread_sync },
  { "/AsyncRunner/Reliability/cancellable-not-recycled", test_cancellable_not_recycled },
  { "/AsyncRunner/Reliability/false-after-delivery", test_false_after_delivery },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), WATCHDOG_LIMIT_S);

  return g_test_run ();
}
