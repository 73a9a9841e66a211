/* test-call-all.c: async_runner_call_all_sync(), fan-out from sync code
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <async-runner.h>

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
} OpKind;

static OpKind op_kind;

static void
return_cancelled_counted (GTask *task)
{
  g_atomic_int_inc (&ops_returned);
  g_task_return_error_if_cancelled (task);
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

  g_atomic_int_inc (&ops_started);
  task = g_task_new (NULL, cancellable, callback, callback_data);
  g_task_set_task_data (task, user_data, NULL);

  if (op_kind == OP_COMPLETE)
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

/* A failed start: no more started, the rest cancelled, one failure after all. */
static void
test_failed_start (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autofree gpointer *datas = indices ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  /* A start that fails: no more are started, those started are cancelled,
   * and the call fails only once they have all called back. */
  reset (OP_HOLD_OR_FAIL);
  results = async_runner_call_all_sync (runner, start_op, datas, N_OPS, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpint (g_atomic_int_get (&ops_started), ==, FAIL_INDEX);
  /* Drained before the call returned. */
  g_assert_cmpint (g_atomic_int_get (&ops_returned), ==, FAIL_INDEX);
  assert_holds_released ();
}

static const TestCase tests[] = {
  { "/call-all/all-complete", test_all_complete },
  { "/call-all/none", test_none },
  { "/call-all/cancelled", test_cancelled },
  { "/call-all/timed-out", test_timed_out },
  { "/call-all/shutdown", test_shutdown },
  { "/call-all/failed-start", test_failed_start },
};

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
