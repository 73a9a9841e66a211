/* test-shutdown.c: shutdown and the last reference: calls in flight end, everything is freed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <dirent.h>
#include <string.h>

#include <async-runner.h>

#include "test-util.h"

/* shutdown() may be called again and again; later calls fail with CLOSED. */
static void
test_shutdown_idempotent (void)
{
  AsyncRunner *runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gboolean ran = FALSE;
  Flag freed;

  flag_init (&freed);
  watch_context_freed (runner, &freed);

  barrier (runner);
  async_runner_shutdown (runner);
  async_runner_shutdown (runner);

  g_assert_false (async_runner_run_sync (runner, set_flag_func, &ran, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  result = async_runner_call_sync (runner, start_set_flag, &ran, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_null (result);
  g_clear_error (&error);

  async_runner_shutdown (runner);
  g_assert_false (ran);

  /* Dispose shuts down once more; everything is freed. */
  g_object_unref (runner);
  flag_wait (&freed);
  flag_clear (&freed);
}

/* Shutdown ends the calls in flight with CLOSED and cancels their operations. */
static void
test_shutdown_in_flight (void)
{
  AsyncRunner *runner = async_runner_new ();
  HeldCall calls[3];
  Held helds[3];
  GThread *threads[3];
  g_autoptr(GError) error = NULL;
  Flag freed;
  int i;

  flag_init (&freed);
  watch_context_freed (runner, &freed);

  for (i = 0; i < 3; i++)
    {
      held_init (&helds[i]);
      helds[i].until_cancelled = TRUE;
      held_call_init (&calls[i], runner, &helds[i], NULL);
      calls[i].use_call_sync = i == 1;
      threads[i] = g_thread_new ("held-call", held_call_thread, &calls[i]);
    }

  for (i = 0; i < 3; i++)
    flag_wait (&helds[i].started);

  async_runner_shutdown (runner);

  for (i = 0; i < 3; i++)
    {
      g_thread_join (threads[i]);
      g_assert_false (calls[i].ok);
      g_assert_error (calls[i].error, G_IO_ERROR, G_IO_ERROR_CLOSED);
      g_assert_true (g_cancellable_is_cancelled (helds[i].op_cancellable));
      /* The cancelled operations completed during the grace period. */
      flag_wait (&helds[i].freed);
      held_call_clear (&calls[i]);
      held_clear (&helds[i]);
    }

  g_assert_false (async_runner_run_sync (runner, return_true, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  g_object_unref (runner);
  flag_wait (&freed);
  flag_clear (&freed);
}

static gboolean
func_shutdown_self (AsyncRunner *runner,
                    GTask       *task,
                    gpointer     user_data)
{
  g_autoptr(GError) error = NULL;

  hold_until_cancelled (task, hold_return_cancelled);

  /* From the runner thread: no wait (it cannot join itself). */
  async_runner_shutdown (runner);
  async_runner_shutdown (runner);

  /* A nested call after that is refused at once. */
  g_assert_false (async_runner_run_sync (runner, func_never, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  return TRUE;
}

/* A function may shut its own runner down: CLOSED for its caller, no deadlock. */
static void
test_shutdown_from_func (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  /* A function that shuts its own runner down: its caller gets
   * G_IO_ERROR_CLOSED, later calls too, and nothing deadlocks. */
  g_assert_false (async_runner_run_sync (runner, func_shutdown_self, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  g_assert_false (async_runner_run_sync (runner, func_never, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  result = async_runner_call_sync (runner, start_never, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  /* From another thread now, after the fact: still nothing to wait for. */
  async_runner_shutdown (runner);
  assert_holds_released ();
}

static gboolean
idle_forever (gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return G_SOURCE_CONTINUE;
}

/* A source that is always ready does not keep shutdown from joining. */
static void
test_shutdown_with_busy_source (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  gint runs = 0;
  GSource *idle = g_idle_source_new ();

  /* A source on the runner context that is always ready (a user's idle that
   * never stops) must not keep shutdown from joining the thread. */
  g_source_set_callback (idle, idle_forever, &runs, NULL);
  g_source_attach (idle, async_runner_get_context (runner));
  g_source_unref (idle);

  while (g_atomic_int_get (&runs) == 0)
    g_thread_yield ();

  async_runner_shutdown (runner);

  g_assert_false (async_runner_run_sync (runner, func_never, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

/* Two threads shutting down at once both return once the runner stopped. */
static void
test_concurrent_shutdown (void)
{
  guint round;

  /* Two threads shut a runner down at once: each returns only once the
   * runner has stopped, so a call made right after either fails. */
  for (round = 0; round < 50; round++)
    {
      g_autoptr(AsyncRunner) runner = async_runner_new ();
      g_autoptr(GError) error = NULL;
      GThread *other = g_thread_new ("shutdown", shutdown_thread, runner);

      async_runner_shutdown (runner);
      g_assert_false (async_runner_run_sync (runner, return_true, NULL, NULL, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

      g_thread_join (other);
    }
}

/* Dropping an idle runner frees its thread and its context. */
static void
test_dispose_idle (void)
{
  AsyncRunner *runner = async_runner_new ();
  Flag freed;

  flag_init (&freed);
  watch_context_freed (runner, &freed);
  barrier (runner);

  g_object_unref (runner);
  flag_wait (&freed);
  flag_clear (&freed);
}

/* Dropping the last reference during a call ends the call with CLOSED. */
static void
test_dispose_in_flight (void)
{
  AsyncRunner *runner = async_runner_new ();
  GThread *thread;
  HeldCall hc;
  Held held;
  Flag freed;

  flag_init (&freed);
  watch_context_freed (runner, &freed);

  held_init (&held);
  held.until_cancelled = TRUE;
  held_call_init (&hc, runner, &held, NULL);
  thread = g_thread_new ("held-call", held_call_thread, &hc);
  flag_wait (&held.started);

  /* The call was submitted: the thread no longer uses the runner
   * itself, only the call. Drop the last reference from here. */
  g_object_unref (runner);

  g_thread_join (thread);
  g_assert_false (hc.ok);
  g_assert_error (hc.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_true (g_cancellable_is_cancelled (held.op_cancellable));
  flag_wait (&held.freed);
  flag_wait (&freed);

  held_call_clear (&hc);
  held_clear (&held);
  flag_clear (&freed);
}

typedef struct
{
  GThread  *runner_thread;
  gboolean  disposed_on_runner_thread;
  Flag      disposed;
  Flag      context_freed;
} LastRef;

static void
last_ref_init (LastRef *lr)
{
  memset (lr, 0, sizeof *lr);
  flag_init (&lr->disposed);
  flag_init (&lr->context_freed);
}

static void
last_ref_clear (LastRef *lr)
{
  flag_clear (&lr->disposed);
  flag_clear (&lr->context_freed);
}

static void
on_runner_disposed (gpointer  data,
                    GObject  *where_the_object_was)
{
  LastRef *lr = data;

  lr->disposed_on_runner_thread = g_thread_self () == lr->runner_thread;
  flag_set (&lr->disposed);
}

static AsyncRunner *
last_ref_runner_new (LastRef *lr)
{
  AsyncRunner *runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  WhereInfo where = { 0 };

  g_assert_true (async_runner_run_sync (runner, record_where, &where, NULL, NULL, &error));
  g_assert_no_error (error);
  lr->runner_thread = where.thread;
  g_object_weak_ref (G_OBJECT (runner), on_runner_disposed, lr);
  watch_context_freed (runner, &lr->context_freed);

  return runner;
}

static gboolean
idle_noop_cb (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* The last reference dropped in a source disposes the runner on its thread. */
static void
test_last_ref_in_source (void)
{
  GMainContext *context;
  AsyncRunner *runner;
  LastRef lr;

  last_ref_init (&lr);
  runner = last_ref_runner_new (&lr);
  context = async_runner_get_context (runner);

  /* The source's destroy notify, on the runner thread, drops the last
   * reference: the test gives its own away. */
  attach_source (context, 0, idle_noop_cb, g_steal_pointer (&runner), g_object_unref);

  flag_wait (&lr.disposed);
  g_assert_true (lr.disposed_on_runner_thread);
  /* The thread ended and freed its context. */
  flag_wait (&lr.context_freed);

  last_ref_clear (&lr);
}

static gboolean
drop_runner_func (AsyncRunner *runner,
                  GTask       *task,
                  gpointer     user_data)
{
  /* @user_data is the last reference, given to this function. */
  g_object_unref (user_data);

  /* The runner is gone and shutting down: the call gets this result or
   * G_IO_ERROR_CLOSED, but only one of them. */
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* The last reference dropped by the call's function: one outcome, all freed. */
static void
test_last_ref_in_func (void)
{
  g_autoptr(GError) error = NULL;
  AsyncRunner *runner;
  gboolean ok;
  LastRef lr;

  last_ref_init (&lr);
  runner = last_ref_runner_new (&lr);

  /* The caller hands its only reference to the function and does not
   * use the runner once the call returns. */
  ok = async_runner_run_sync (runner, drop_runner_func, runner, NULL, NULL, &error);
  runner = NULL;
  if (ok)
    g_assert_no_error (error);
  else
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  flag_wait (&lr.disposed);
  g_assert_true (lr.disposed_on_runner_thread);
  flag_wait (&lr.context_freed);

  last_ref_clear (&lr);
}

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

DEFINE_START_FROM_FUNC (start_in_thread_slowly, run_in_thread_slowly)

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

/* Waits until @n threads wait at @gate. */
static void
gate_wait_waiting (Gate *gate,
                   gint  n)
{
  g_mutex_lock (&gate->mutex);
  while (gate->waiting < n)
    g_cond_wait (&gate->cond, &gate->mutex);
  g_mutex_unlock (&gate->mutex);
}

/* Shutdown gives an operation that ignores its cancellation the grace of
 * 100 ms, then returns without it. */
static void
test_shutdown_grace (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  SlowCall sc = { runner, SLOW_RUN_SYNC, NULL };
  Gate gate;
  GThread *thread;
  gint64 before;
  gint64 after;

  gate_init (&gate);
  g_object_set_data (G_OBJECT (runner), "gate", &gate);
  thread = g_thread_new ("slow-call", slow_call_thread, &sc);
  /* The operation runs in GLib's pool, blocked at the gate. */
  gate_wait_waiting (&gate, 1);

  before = g_get_monotonic_time ();
  async_runner_shutdown (runner);
  after = g_get_monotonic_time ();

  /* The grace was given in full: load can lengthen it, nothing can make
   * it shorter. That shutdown returned at all, with the operation still
   * at the closed gate, shows that it gives no more (a hang would be the
   * watchdog's). */
  g_assert_cmpint (after - before, >=, 100 * G_TIME_SPAN_MILLISECOND);
  g_thread_join (thread);
  g_assert_error (sc.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&sc.error);

  gate_open (&gate);
  gate_wait_empty (&gate);
  gate_clear (&gate);
}

/* An operation outliving the shutdown grace leaves nothing behind. */
static void
test_late_completion_frees_context (void)
{
  Gate gate;
  guint fds_before;
  gint64 deadline;
  guint i;

  /* A runner shut down while a g_task_run_in_thread() operation it started
   * outlives the 100 ms grace leaves no file descriptor (nor memory: see
   * the memcheck and ASan runs) behind once that operation completes, even
   * if its callback comes back without its data (and with no critical). */

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
      gate_wait_waiting (&gate, (gint) i + 1);

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
  deadline = g_get_monotonic_time () + 10 * test_time_scale () * G_TIME_SPAN_SECOND;
  while (count_open_fds () > fds_before && g_get_monotonic_time () < deadline)
    g_usleep (G_TIME_SPAN_MILLISECOND);
  /* At most as many as before: the warm-up runner's own context may be
   * freed meanwhile (its thread-pool task lets go of it late, seen with
   * ASan on sid), never more. */
  g_assert_cmpuint (count_open_fds (), <=, fds_before);

  gate_clear (&gate);
}

static const TestCase tests[] = {
  { "/shutdown/idempotent", test_shutdown_idempotent },
  { "/shutdown/in-flight", test_shutdown_in_flight },
  { "/shutdown/from-func", test_shutdown_from_func },
  { "/shutdown/with-busy-source", test_shutdown_with_busy_source },
  { "/shutdown/concurrent", test_concurrent_shutdown },
  { "/shutdown/dispose-idle", test_dispose_idle },
  { "/shutdown/dispose-in-flight", test_dispose_in_flight },
  { "/shutdown/last-ref-in-source", test_last_ref_in_source },
  { "/shutdown/last-ref-in-func", test_last_ref_in_func },
  { "/shutdown/grace", test_shutdown_grace },
  { "/shutdown/late-completion-frees-context", test_late_completion_frees_context },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
