/* async-runner-call-all.c: one start function, many operations at once
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * async_runner_call_all_sync() is a run_sync() call whose function starts
 * every operation on the runner thread and completes its task once all of
 * them have ended, so that cancellation, timeouts and shutdown end it
 * exactly as they end any call: the call's cancellable is cancelled,
 * which cancels every operation, and the caller returns at once. The
 * operations then call back on the runner thread (shutdown drains them),
 * and the task, completed after the last one, is dropped.
 *
 * Each operation is a call_sync() call of its own, started in place
 * (_async_runner_call_start_op()): its key, a callback that comes early,
 * twice or after a failed start, and shutdown are call.c's business,
 * never this file's, so that the two cannot drift apart. Each has its own
 * cancellable (as each call_sync() has), so that a stray callback is never
 * taken for a sibling's; the fan-out's cancellable cancels them all.
 */

#include "config.h"

#include "async-runner.h"

#include "async-runner-binding-private.h"
#include "async-runner-call-private.h"

typedef struct
{
  AsyncRunnerStartFunc  start;
  gpointer             *user_datas;
  guint                 n_user_datas;
} FanOutArgs;

/* Runner thread only */
typedef struct
{
  GTask        *task;            /* owned until completed */
  GCancellable *cancellable;     /* cancels every operation's own: cancelled
                                  * with the call's, or when one fails */
  GPtrArray    *results;         /* one slot per operation, in order */
  guint         n_ops;
  guint         pending;         /* operations not yet ended, + 1 while starting */
  GError       *error;           /* the first operation that failed */
} FanOut;

typedef struct
{
  FanOut *fan;
  guint   index;
} FanOutOp;

/* Slots of operations never started stay empty. */
static void
unref_result (gpointer result)
{
  if (result != NULL)
    g_object_unref (result);
}

/* Any thread: the thread that cancels the call, or the runner thread
 * after a failure. Never disconnected: a handler must not disconnect
 * itself, and the fan-out's cancellable dies with the fan-out. */
static void
cancel_op (GCancellable *fan_cancellable,
           GCancellable *op_cancellable)
{
  g_cancellable_cancel (op_cancellable);
}

/* Runner thread: one operation fewer to wait for; the last one completes
 * the task. */
static void
fan_out_release (FanOut *fan)
{
  g_assert (fan->pending > 0);

  if (--fan->pending > 0)
    return;

  if (fan->error != NULL)
    g_task_return_error (fan->task, g_steal_pointer (&fan->error));
  else
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_PTR_ARRAY);
      g_value_take_boxed (&value, g_steal_pointer (&fan->results));
      g_task_return_value (fan->task, &value);
      g_value_unset (&value);
    }

  g_clear_pointer (&fan->results, g_ptr_array_unref);
  g_object_unref (fan->task);
  g_object_unref (fan->cancellable);
  g_free (fan);
}

/* Runner thread: an operation ended, once (it called back, its start
 * failed, or shutdown closed it). */
static void
on_op_done (AsyncRunnerCall *call,
            gpointer         user_data)
{
  FanOutOp *op = user_data;
  FanOut *fan = op->fan;
  GError *error = NULL;
  GAsyncResult *result = _async_runner_call_finish_op (call, &error);

  if (result != NULL)
    {
      g_assert (g_ptr_array_index (fan->results, op->index) == NULL);
      g_ptr_array_index (fan->results, op->index) = result;
    }
  else
    {
      /* A failed start: start no more, cancel those started. */
      g_prefix_error (&error, "Operation %u of %u: ", op->index + 1, fan->n_ops);
      if (fan->error == NULL)
        fan->error = g_steal_pointer (&error);
      g_clear_error (&error);
      g_cancellable_cancel (fan->cancellable);
    }

  g_free (op);
  fan_out_release (fan);
}

/* Runner thread: starts every operation; after a failed start, starts no
 * more, cancels those started and fails once they have all called back. */
static gboolean
fan_out_func (AsyncRunner *runner,
              GTask       *task,
              gpointer     user_data)
{
  FanOutArgs *args = user_data;
  FanOut *fan = g_new0 (FanOut, 1);

  fan->task = g_object_ref (task);
  fan->cancellable = g_cancellable_new ();
  fan->n_ops = args->n_user_datas;
  fan->results = g_ptr_array_new_full (args->n_user_datas, unref_result);
  g_ptr_array_set_size (fan->results, args->n_user_datas);
  fan->pending = 1;
  /* Called at once if the call has ended already. Never disconnected
   * (see cancel_op()): the task's cancellable is the call's own. */
  g_cancellable_connect (g_task_get_cancellable (task), G_CALLBACK (cancel_op),
                         g_object_ref (fan->cancellable), g_object_unref);

  for (guint i = 0; i < args->n_user_datas && !g_cancellable_is_cancelled (fan->cancellable); i++)
    {
      g_autoptr(GCancellable) op_cancellable = g_cancellable_new ();
      FanOutOp *op = g_new (FanOutOp, 1);

      op->fan = fan;
      op->index = i;
      fan->pending++;
      g_cancellable_connect (fan->cancellable, G_CALLBACK (cancel_op),
                             g_object_ref (op_cancellable), g_object_unref);
      _async_runner_call_start_op (runner, args->start, args->user_datas[i], op_cancellable,
                                   on_op_done, op);
    }

  fan_out_release (fan);

  return TRUE;
}

/**
 * async_runner_call_all_sync: (skip)
 * @self: a runner
 * @start: (scope call): the function that starts one asynchronous
 *   operation on the runner thread, called once per element of
 *   @user_datas
 * @user_datas: (nullable) (array length=n_user_datas): the data for each
 *   call of @start; the call does not return before every call of @start
 *   has returned
 * @n_user_datas: the number of elements of @user_datas
 * @cancellable: (nullable): a cancellable for the whole call
 * @error: return location for a #GError
 *
 * Starts @n_user_datas operations at once on the runner thread, calling
 * @start with each element of @user_datas in turn, and waits until all of
 * them have called back. Returns their [iface@Gio.AsyncResult]s in the
 * order of @user_datas, each to pass to the operation's `_finish()`
 * function; the operations' own errors come out of those.
 *
 * The operations share one cancellable. Cancelling @cancellable, the
 * [property@AsyncRunner.Runner:timeout] and shutdown end the whole call
 * as they end [method@AsyncRunner.Runner.call_sync], cancelling every
 * operation; the call returns once, and every operation's callback runs
 * once, on the runner thread. Each operation gets a cancellable of its
 * own, all of them cancelled together.
 *
 * Each operation is held to the rules of call_sync(): if @start returns
 * %FALSE for one element (even if its operation called back already), no
 * further operation is started, those already started are cancelled,
 * and once they have all called back the call fails with
 * %G_IO_ERROR_FAILED, naming the operation; a late callback of the
 * operation that did not start is ignored. An operation that calls back
 * twice is reported with a critical and its second callback ignored.
 *
 * With @n_user_datas 0, returns an empty array, or fails as any call
 * does (%G_IO_ERROR_CLOSED once the runner was shut down).
 *
 * Not available to language bindings, which cannot pass an array of
 * untyped pointers.
 *
 * This function is thread-safe.
 *
 * Returns: (transfer full) (element-type Gio.AsyncResult): the results,
 *   in order, or %NULL with @error set
 *
 * Since: 1.0
 */
GPtrArray *
async_runner_call_all_sync (AsyncRunner           *self,
                            AsyncRunnerStartFunc   start,
                            gpointer              *user_datas,
                            guint                  n_user_datas,
                            GCancellable          *cancellable,
                            GError               **error)
{
  FanOutArgs args = { start, user_datas, n_user_datas };
  GValue value = G_VALUE_INIT;
  GPtrArray *results;

  g_return_val_if_fail (ASYNC_IS_RUNNER (self), NULL);
  g_return_val_if_fail (start != NULL, NULL);
  g_return_val_if_fail (user_datas != NULL || n_user_datas == 0, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_async_runner_binding_check_function ((gpointer) start, error))
    return NULL;

  if (!async_runner_run_sync_full (self, "async_runner_call_all_sync", 0, fan_out_func, &args,
                                   cancellable, &value, error))
    {
      g_value_unset (&value);
      return NULL;
    }

  results = g_value_dup_boxed (&value);
  g_value_unset (&value);

  return results;
}
