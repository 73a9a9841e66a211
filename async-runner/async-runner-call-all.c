/* async-runner-call-all.c: one start function, many operations at once
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * async_runner_call_all_sync() is a run_sync() call whose function starts
 * every operation on the runner thread and completes its task once all of
 * them have called back, so that cancellation, timeouts and shutdown end
 * it exactly as they end any call: the call's cancellable is cancelled,
 * which cancels every operation, and the caller returns at once. The
 * operations then call back on the runner thread (shutdown drains them),
 * and the task, completed after the last one, is dropped.
 */

#include "config.h"

#include "async-runner.h"

#include "async-runner-binding-private.h"

typedef struct
{
  AsyncRunnerStartFunc  start;
  gpointer             *user_datas;
  guint                 n_user_datas;
} FanOutArgs;

/* Runner thread only, but for @cancellable */
typedef struct
{
  GTask        *task;            /* owned until completed */
  GCancellable *cancellable;     /* the operations': cancelled with the call's,
                                  * or when a start fails */
  GCancellable *call_cancellable;
  gulong        handler;
  GPtrArray    *results;         /* one slot per operation, in order */
  guint         pending;         /* operations not yet called back, + 1 while starting */
  GError       *error;           /* the first start that failed */
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

/* Any thread: the thread that cancels the call. */
static void
on_call_cancelled (GCancellable *call_cancellable,
                   GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

/* Runner thread: one operation fewer to wait for; the last one completes
 * the task. */
static void
fan_out_release (FanOut *fan)
{
  g_assert (fan->pending > 0);

  if (--fan->pending > 0)
    return;

  g_cancellable_disconnect (fan->call_cancellable, fan->handler);

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
  g_object_unref (fan->call_cancellable);
  g_free (fan);
}

/* Runner thread: an operation called back. */
static void
on_op_ready (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  FanOutOp *op = user_data;
  FanOut *fan = op->fan;

  g_assert (g_ptr_array_index (fan->results, op->index) == NULL);
  g_ptr_array_index (fan->results, op->index) = g_object_ref (result);
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
  fan->call_cancellable = g_object_ref (g_task_get_cancellable (task));
  fan->results = g_ptr_array_new_full (args->n_user_datas, unref_result);
  g_ptr_array_set_size (fan->results, args->n_user_datas);
  fan->pending = 1;
  /* Called at once if the call has ended already. */
  fan->handler = g_cancellable_connect (fan->call_cancellable, G_CALLBACK (on_call_cancelled),
                                        fan->cancellable, NULL);

  for (guint i = 0; i < args->n_user_datas && !g_cancellable_is_cancelled (fan->cancellable); i++)
    {
      FanOutOp *op = g_new (FanOutOp, 1);

      op->fan = fan;
      op->index = i;
      fan->pending++;

      if (!args->start (runner, args->user_datas[i], fan->cancellable, on_op_ready, op))
        {
          g_free (op);
          fan->pending--;
          fan->error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                    "The AsyncRunnerStartFunc did not start operation %u of %u",
                                    i + 1, args->n_user_datas);
          g_cancellable_cancel (fan->cancellable);
        }
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
 * once, on the runner thread. If @start returns %FALSE for one element,
 * no further operation is started, those already started are cancelled,
 * and once they have all called back the call fails with
 * %G_IO_ERROR_FAILED.
 *
 * With @n_user_datas 0, returns an empty array at once.
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

  if (n_user_datas == 0)
    return g_ptr_array_new_with_free_func (g_object_unref);

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
