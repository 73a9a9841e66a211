/* test-op-keys.c: the keys call_sync operations call back with
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each call_sync operation gets a number as its callback data, from a
 * pointer-sized counter. On 32-bit the counter goes round after 2^32
 * calls, which a long-lived process reaches: a key still held by an
 * operation that has not called back yet (one whose call timed out, say)
 * must not be given again, or its late callback would end the new call.
 * The test sets the counter just before the wrap instead of making 2^32
 * calls.
 */

#include "config.h"

#include <async-runner.h>

#include "test-util.h"

#include "async-runner-call-queue-private.h"
#include "async-runner-loop-private.h"

/* A started operation that has not called back yet. */
typedef struct
{
  GCancellable        *cancellable;
  GAsyncReadyCallback  callback;
  gpointer             callback_data;
} HeldOp;

/* Runner thread: sets the runner's key counter to GPOINTER_TO_SIZE (@user_data). */
static gboolean
set_last_op_key (AsyncRunner *runner,
                 GTask       *task,
                 gpointer     user_data)
{
  AsyncRunnerLoop *loop = _async_runner_loop_get_current ();

  _async_runner_call_set_set_last_op_key (_async_runner_loop_get_calls (loop),
                                          (guintptr) GPOINTER_TO_SIZE (user_data));
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static void
set_key_counter (AsyncRunner *runner,
                 guintptr     last)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (async_runner_run_sync (runner, set_last_op_key, GSIZE_TO_POINTER (last),
                                        NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Runner thread: starts an operation that does not call back; @user_data
 * (a HeldOp) keeps its callback for later. */
static gboolean
hold (AsyncRunner         *runner,
      gpointer             user_data,
      GCancellable        *cancellable,
      GAsyncReadyCallback  callback,
      gpointer             callback_data)
{
  HeldOp *held = user_data;

  g_set_object (&held->cancellable, cancellable);
  held->callback = callback;
  held->callback_data = callback_data;
  return TRUE;
}

/* Runner thread: the held operation calls back late, with "late" as its
 * result, then this call's own operation completes with "own". */
static gboolean
late_then_own (AsyncRunner         *runner,
               gpointer             user_data,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             callback_data)
{
  HeldOp *held = user_data;
  GTask *late = g_task_new (NULL, held->cancellable, held->callback, held->callback_data);
  GTask *own = g_task_new (NULL, cancellable, callback, callback_data);

  g_task_return_pointer (late, (gpointer) "late", NULL);
  g_task_return_pointer (own, (gpointer) "own", NULL);
  g_object_unref (late);
  g_object_unref (own);
  return TRUE;
}

/* After the key counter went round, a call never gets the key of an operation still to call back. */
static void
test_wrap_skips_held_keys (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  HeldOp held = { NULL, NULL, NULL };

  /* The first call's operation gets key 1 and never calls back: its call
   * times out, the operation stays pending. */
  set_key_counter (runner, 0);
  result = async_runner_call_sync_full (runner, "held", 50, hold, &held, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_null (result);
  g_clear_error (&error);
  g_assert_nonnull (held.callback);

  /* The counter goes round: the next key would be 1 again. The held
   * operation calls back (late) while the new call runs; the new call
   * ends with its own result. */
  set_key_counter (runner, (guintptr) -1);
  result = async_runner_call_sync (runner, late_then_own, &held, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_cmpstr (g_task_propagate_pointer (G_TASK (result), NULL), ==, "own");

  g_clear_object (&held.cancellable);
  async_runner_shutdown (runner);
}

static const TestCase tests[] = {
  { "/op-keys/wrap-skips-held-keys", test_wrap_skips_held_keys },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 30);

  return g_test_run ();
}
