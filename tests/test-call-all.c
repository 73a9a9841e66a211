/* test-call-all.c: async_runner_call_all_sync(), fan-out from sync code
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <async-runner.h>

#include <string.h>

#include "test-util.h"

#define N_OPS 100

/* Callbacks of the test operations, counted on the runner thread. */
static gint ops_started;    /* atomic */
static gint ops_returned;   /* atomic */

/* user_data: an index; an operation started with FAIL_INDEX refuses. */
#define FAIL_INDEX 5

typedef enum
{
  OP_COMPLETE,     /* completes at once with its index */
  OP_HOLD,         /* completes only once cancelled */
  OP_HOLD_OR_FAIL, /* holds, but FAIL_INDEX does not start */
  OP_HOLD_OR_CALL_BACK_THEN_FAIL, /* holds, but FAIL_INDEX calls back, then
                                   * returns FALSE */
  OP_HOLD_OR_FAIL_CALL_BACK_LATER, /* holds, but FAIL_INDEX returns FALSE
                                    * and calls back later */
  OP_COMPLETE_OR_CALL_BACK_TWICE,  /* completes, but FAIL_INDEX calls back
                                    * twice */
} OpKind;

static OpKind op_kind;

/* The task of the operation at FAIL_INDEX was finalized. */
static Flag misbehaved_freed;

static void
return_cancelled_counted (GTask *task)
{
  g_atomic_int_inc (&ops_returned);
  g_task_return_error_if_cancelled (task);
}

/* The operation at FAIL_INDEX, as op_kind says. */
static gboolean
start_misbehaving (GAsyncReadyCallback callback,
                   gpointer            callback_data)
{
  g_autoptr(GTask) task = NULL;

  if (op_kind == OP_HOLD_OR_FAIL_CALL_BACK_LATER)
    {
      /* Called back from an idle, after the start has returned. */
      task = g_task_new (NULL, NULL, callback, callback_data);
      g_task_set_task_data (task, &misbehaved_freed, flag_set_notify);
      g_task_return_int (task, FAIL_INDEX);
      return FALSE;
    }

  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, &misbehaved_freed, flag_set_notify);
  g_task_return_int (task, FAIL_INDEX);
  callback (NULL, G_ASYNC_RESULT (task), callback_data);

  if (op_kind == OP_HOLD_OR_CALL_BACK_THEN_FAIL)
    return FALSE;

  callback (NULL, G_ASYNC_RESULT (task), callback_data);
  return TRUE;
}

static gboolean
start_op (AsyncRunner         *runner,
          gpointer             user_data,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             callback_data)
{
  guint index = GPOINTER_TO_UINT (user_data);
  g_autoptr(GTask) task = NULL;

  g_assert_true (async_runner_is_runner_thread (runner));
  g_assert_nonnull (cancellable);

  if (op_kind == OP_HOLD_OR_FAIL && index == FAIL_INDEX)
    return FALSE;
  if (op_kind >= OP_HOLD_OR_CALL_BACK_THEN_FAIL && index == FAIL_INDEX)
    return start_misbehaving (callback, callback_data);

  g_atomic_int_inc (&ops_started);
  task = g_task_new (NULL, cancellable, callback, callback_data);
  g_task_set_task_data (task, user_data, NULL);

  if (op_kind == OP_COMPLETE || op_kind == OP_COMPLETE_OR_CALL_BACK_TWICE)
    {
      g_atomic_int_inc (&ops_returned);
      g_task_return_int (task, index);
    }
  else
    hold_until_cancelled (task, return_cancelled_counted);

  return TRUE;
}

static void
reset (OpKind kind)
{
  op_kind = kind;
  g_mutex_lock (&misbehaved_freed.mutex);
  misbehaved_freed.count = 0;
  g_mutex_unlock (&misbehaved_freed.mutex);
  g_atomic_int_set (&ops_started, 0);
  g_atomic_int_set (&ops_returned, 0);
}

static gpointer *
indices (void)
{
  gpointer *datas = g_new (gpointer, N_OPS);

  for (guint i = 0; i < N_OPS; i++)
    datas[i] = GUINT_TO_POINTER (i);

  return datas;
}

/* Every operation runs, and the results come back in order, one each. */
static void
test_all_complete (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autofree gpointer *datas = indices ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  reset (OP_COMPLETE);
  results = async_runner_call_all_sync (runner, start_op, datas, N_OPS, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (results);
  g_assert_cmpuint (results->len, ==, N_OPS);
  for (guint i = 0; i < N_OPS; i++)
    {
      GTask *task = g_ptr_array_index (results, i);

      g_assert_true (G_IS_TASK (task));
      g_assert_cmpint (g_task_propagate_int (task, &error), ==, i);
      g_assert_no_error (error);
    }
  g_assert_cmpint (g_atomic_int_get (&ops_started), ==, N_OPS);
}

/* Nothing to do: an empty array, at once. */
static void
test_none (void)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  reset (OP_COMPLETE);
  results = async_runner_call_all_sync (async_runner_get_default (), start_op, NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 0);
  g_assert_cmpint (g_atomic_int_get (&ops_started), ==, 0);
}

static gpointer
cancel_when_started (gpointer data)
{
  while (g_atomic_int_get (&ops_started) < N_OPS)
    g_usleep (500);
  g_cancellable_cancel (data);

  return NULL;
}

/* Cancelling ends the call once; every operation is cancelled, calls back once. */
static void
test_cancelled (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree gpointer *datas = indices ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;

  /* Cancelling the call ends it once; every operation is cancelled and
   * calls back once. */
  reset (OP_HOLD);
  thread = g_thread_new ("canceller", cancel_when_started, cancellable);
  results = async_runner_call_all_sync (runner, start_op, datas, N_OPS, cancellable, &error);
  g_thread_join (thread);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_holds_released ();
  g_assert_cmpint (g_atomic_int_get (&ops_returned), ==, N_OPS);
}

/* The runner's timeout ends the whole call, the same way. */
static void
test_timed_out (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autofree gpointer *datas = indices ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  reset (OP_HOLD);
  async_runner_set_timeout (runner, 50);
  results = async_runner_call_all_sync (runner, start_op, datas, N_OPS, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  assert_holds_released ();
  g_assert_cmpint (g_atomic_int_get (&ops_returned), ==, g_atomic_int_get (&ops_started));
}

static gpointer
shutdown_when_started (gpointer data)
{
  while (g_atomic_int_get (&ops_started) < N_OPS)
    g_usleep (500);
  async_runner_shutdown (data);

  return NULL;
}

/* Shutdown ends the call with CLOSED and drains every operation. */
static void
test_shutdown (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autofree gpointer *datas = indices ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;

  /* Shutdown ends the call with G_IO_ERROR_CLOSED and drains every
   * operation, each calling back once. */
  reset (OP_HOLD);
  thread = g_thread_new ("shutter", shutdown_when_started, runner);
  results = async_runner_call_all_sync (runner, start_op, datas, N_OPS, NULL, &error);
  g_thread_join (thread);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  assert_holds_released ();
  g_assert_cmpint (g_atomic_int_get (&ops_returned), ==, N_OPS);
}

/* Runs the calling test's body in a process of its own (TRUE: this is
 * it), which the old code crashed, and checks that it passed. Under
 * memcheck the body runs here instead, so that memcheck sees it. */
static gboolean
in_own_process (void)
{
  if (g_test_subprocess () || RUNNING_ON_VALGRIND)
    return TRUE;

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return FALSE;
}

/* A start that fails: no more are started, those started are cancelled,
 * and the call fails (naming the operation) only once they have all
 * called back. */
static void
fail_and_drain (OpKind kind)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autofree gpointer *datas = indices ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  reset (kind);
  results = async_runner_call_all_sync (runner, start_op, datas, N_OPS, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "Operation 6 of 100"));
  g_assert_nonnull (strstr (error->message, "did not start"));
  g_assert_cmpint (g_atomic_int_get (&ops_started), ==, FAIL_INDEX);
  g_assert_cmpint (g_atomic_int_get (&ops_returned), ==, FAIL_INDEX);
  assert_holds_released ();
  /* Its result, if any, was dropped once (memcheck and ASan see a double free). */
  if (kind != OP_HOLD_OR_FAIL)
    flag_wait (&misbehaved_freed);
  assert_runner_works (runner);
}

/* A failed start: no more started, the rest cancelled, one failure after all. */
static void
test_failed_start (void)
{
  fail_and_drain (OP_HOLD_OR_FAIL);
}

/* A start that returns FALSE after its operation called back fails the call, as in call_sync(). */
static void
test_fails_after_callback (void)
{
  if (in_own_process ())
    fail_and_drain (OP_HOLD_OR_CALL_BACK_THEN_FAIL);
}

/* A start that returns FALSE and calls back later fails the call; the late callback is ignored. */
static void
test_fails_then_calls_back (void)
{
  if (in_own_process ())
    fail_and_drain (OP_HOLD_OR_FAIL_CALL_BACK_LATER);
}

/* An operation that calls back twice: a critical, the second callback ignored, as in call_sync(). */
static void
test_called_back_twice (void)
{
  g_autoptr(AsyncRunner) runner = NULL;
  g_autofree gpointer *datas = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  if (!in_own_process ())
    return;

  runner = async_runner_new ();
  datas = indices ();
  reset (OP_COMPLETE_OR_CALL_BACK_TWICE);
  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*belongs to no pending call*");
  results = async_runner_call_all_sync (runner, start_op, datas, N_OPS, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, N_OPS);
  for (guint i = 0; i < N_OPS; i++)
    {
      g_assert_cmpint (g_task_propagate_int (g_ptr_array_index (results, i), &error), ==, i);
      g_assert_no_error (error);
    }
  g_clear_pointer (&results, g_ptr_array_unref);
  flag_wait (&misbehaved_freed);
}

/* Nothing to do on a runner that was shut down: CLOSED, like every call. */
static void
test_none_after_shutdown (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  async_runner_shutdown (runner);
  results = async_runner_call_all_sync (runner, start_op, NULL, 0, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

static const TestCase tests[] = {
  { "/call-all/all-complete", test_all_complete },
  { "/call-all/none", test_none },
  { "/call-all/cancelled", test_cancelled },
  { "/call-all/timed-out", test_timed_out },
  { "/call-all/shutdown", test_shutdown },
  { "/call-all/failed-start", test_failed_start },
  { "/call-all/fails-after-callback", test_fails_after_callback },
  { "/call-all/fails-then-calls-back", test_fails_then_calls_back },
  { "/call-all/called-back-twice", test_called_back_twice },
  { "/call-all/none-after-shutdown", test_none_after_shutdown },
};

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  flag_init (&misbehaved_freed);
  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
