/* test-callback.c: what a call_sync operation's callback may do wrong
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A start function passes the runner's callback and its data to one
 * operation. Bindings do not always pass the data back (PyGObject >= 3.50
 * with GLib >= 2.80's GIR passes NULL), and a faulty operation may call
 * back twice. None of that may crash the process or leave a call waiting.
 */

#include <async-runner.h>

#include "test-util.h"

/* An operation that completes at once, through a GTask made with the
 * call's cancellable and tagged with @tag, and calls @callback with @data. */
static void
op_async (GCancellable        *cancellable,
          gpointer             tag,
          GAsyncReadyCallback  callback,
          gpointer             data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, data);

  g_object_set_data (G_OBJECT (task), "tag", tag);
  g_task_return_int (task, 42);
}

static gint
op_finish (GAsyncResult  *result,
           GError       **error)
{
  return (gint) g_task_propagate_int (G_TASK (result), error);
}

static gboolean
start_with_null_data (AsyncRunner         *runner,
                      gpointer             user_data,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             callback_data)
{
  op_async (cancellable, NULL, callback, NULL);
  return TRUE;
}

static gboolean
start_with_foreign_data (AsyncRunner         *runner,
                         gpointer             user_data,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             callback_data)
{
  /* Some binding's own closure data: any address at all. */
  op_async (cancellable, NULL, callback, user_data);
  return TRUE;
}

/* A callback without its data, or with a binding's, still ends its own call. */
static void
test_lost_data (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();

  /* A callback that arrives without its data, or with a binding's data
   * instead, still ends its own call with the operation's result. */
  static const AsyncRunnerStartFunc starts[] = {
    start_with_null_data,
    start_with_foreign_data,
  };
  gint foreign = 0;

  for (guint i = 0; i < G_N_ELEMENTS (starts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GAsyncResult) result = NULL;

      result = async_runner_call_sync (runner, starts[i], &foreign, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (op_finish (result, &error), ==, 42);
      g_assert_no_error (error);
    }
}

typedef struct
{
  GCancellable        *cancellable;
  GAsyncReadyCallback  callback;
  gpointer             data;
} Pending;

static gboolean
start_pending (AsyncRunner         *runner,
               gpointer             user_data,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             callback_data)
{
  Pending *pending = user_data;

  pending->cancellable = g_object_ref (cancellable);
  pending->callback = callback;
  pending->data = callback_data;
  return TRUE;
}

typedef struct
{
  Pending *pending;
  gboolean lose_data;
} Complete;

static void
complete_pending (Complete *complete)
{
  Pending *pending = complete->pending;

  op_async (pending->cancellable, pending, pending->callback,
            complete->lose_data ? NULL : pending->data);
  g_clear_object (&pending->cancellable);
}

/* An AsyncRunnerFunc: completes the operations of a NULL-terminated array
 * of Complete pointers, on the runner thread, in order. */
static gboolean
func_complete (AsyncRunner *runner,
               GTask       *task,
               gpointer     user_data)
{
  Complete **completes = user_data;

  for (guint i = 0; completes[i] != NULL; i++)
    complete_pending (completes[i]);
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

typedef struct
{
  AsyncRunner *runner;
  Pending     *pending;
  GAsyncResult *result;
  GError      *error;
} Caller;

static gpointer
caller_thread (gpointer user_data)
{
  Caller *caller = user_data;

  caller->result = async_runner_call_sync (caller->runner, start_pending, caller->pending,
                                           NULL, &caller->error);
  return NULL;
}

/* Two pending callbacks without their data each reach their own call. */
static void
test_lost_data_two_pending (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  Pending pending[2] = { { 0, }, };
  Caller callers[2] = { { 0, }, };
  GThread *threads[2];
  Complete completes[2];
  Complete *order[] = { &completes[0], &completes[1], NULL };

  /* Two operations pending at once, both calling back without their data:
   * each result reaches its own call, told apart by the GTask's cancellable. */
  for (guint i = 0; i < 2; i++)
    {
      callers[i].runner = runner;
      callers[i].pending = &pending[i];
      threads[i] = g_thread_new ("caller", caller_thread, &callers[i]);
    }

  /* Both operations are started before either completes. */
  for (guint i = 0; i < 2; i++)
    while (!g_atomic_pointer_get (&pending[i].callback))
      g_thread_yield ();

  /* Completed in the reverse order. */
  for (guint i = 0; i < 2; i++)
    {
      completes[i].pending = &pending[1 - i];
      completes[i].lose_data = TRUE;
    }
  g_assert_true (async_runner_run_sync (runner, func_complete, order, NULL, NULL, NULL));

  for (guint i = 0; i < 2; i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (callers[i].error);
      g_assert_nonnull (callers[i].result);
      /* Its own operation's result: the one made with its cancellable. */
      g_assert_true (g_object_get_data (G_OBJECT (callers[i].result), "tag") == &pending[i]);
      g_clear_object (&callers[i].result);
    }
}

static gboolean
start_call_back_twice (AsyncRunner         *runner,
                       gpointer             user_data,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             callback_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, NULL, NULL);

  g_task_return_int (task, 42);
  callback (NULL, G_ASYNC_RESULT (task), callback_data);
  callback (NULL, G_ASYNC_RESULT (task), callback_data);
  return TRUE;
}

/* A callback delivered twice ends the call once, with the first result. */
static void
test_called_back_twice (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  /* A callback delivered twice ends the call once, with the first result;
   * the second is ignored with a critical (and no use of freed memory,
   * which memcheck and ASan would see). */
  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*belongs to no pending call*");
  result = async_runner_call_sync (runner, start_call_back_twice, NULL, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpint (op_finish (result, &error), ==, 42);
  g_assert_no_error (error);

  /* The runner goes on serving calls. */
  g_clear_object (&result);
  result = async_runner_call_sync (runner, start_with_null_data, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (op_finish (result, &error), ==, 42);
}

static gboolean
start_then_fail (AsyncRunner         *runner,
                 gpointer             user_data,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             callback_data)
{
  start_pending (runner, user_data, cancellable, callback, callback_data);
  return FALSE;
}

/* A late callback after a start that returned FALSE is received silently. */
static void
test_failed_start_calls_back_later (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Pending pending = { 0, };
  Complete complete = { &pending, FALSE };
  Complete *order[] = { &complete, NULL };

  /* A start function that returns FALSE but did start its operation: the
   * late callback is received silently, and the runner goes on. */
  result = async_runner_call_sync (runner, start_then_fail, &pending, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);

  /* The operation calls back now, with its data, but its call is over. */
  g_assert_true (async_runner_run_sync (runner, func_complete, order, NULL, NULL, NULL));
  g_assert_null (pending.cancellable);

  result = async_runner_call_sync (runner, start_with_null_data, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (op_finish (result, &error), ==, 42);
}

static const TestCase tests[] = {
  { "/callback/lost-data", test_lost_data },
  { "/callback/lost-data-two-pending", test_lost_data_two_pending },
  { "/callback/called-back-twice", test_called_back_twice },
  { "/callback/failed-start-calls-back-later", test_failed_start_calls_back_later },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  add_watched_tests (tests, G_N_ELEMENTS (tests), 30);

  return g_test_run ();
}
