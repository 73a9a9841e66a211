/* test-util-ops.c: operations shared by the C tests: functions and start
 * functions, held operations, a fake GIO-style operation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "test-util.h"

/* ---- Operations that complete only once cancelled ---- */

/* Not a GCancellableSource: in GLib 2.74 one whose last reference goes
 * while its cancellable is being cancelled on another thread resurrects
 * itself for a handler that has already run, and leaks. */
typedef struct
{
  GTask        *task;          /* owned */
  GCancellable *cancellable;   /* owned */
  GMainContext *context;       /* owned */
  gulong        handler;       /* written before any fire can run */
  void        (*fire) (GTask *task);
} Hold;

/* Holds not freed yet. */
static gint holds_alive;   /* atomic */

static gboolean
hold_fire (gpointer data)
{
  Hold *hold = data;

  hold->fire (hold->task);

  return G_SOURCE_REMOVE;
}

static void
hold_free (gpointer data)
{
  Hold *hold = data;

  g_cancellable_disconnect (hold->cancellable, hold->handler);
  g_object_unref (hold->task);
  g_object_unref (hold->cancellable);
  g_main_context_unref (hold->context);
  g_free (hold);
  g_atomic_int_add (&holds_alive, -1);
}

/* Any thread: the one that cancelled. */
static void
on_hold_cancelled (GCancellable *cancellable,
                   gpointer      data)
{
  Hold *hold = data;

  attach_source (hold->context, 0, hold_fire, hold, hold_free);
}

/**
 * hold_until_cancelled:
 * @task: a task with a cancellable
 * @fire: what to do with @task once cancelled
 *
 * Holds @task until its cancellable is cancelled, then calls @fire on
 * the thread-default context of the caller (the runner thread, when
 * called from an operation).
 */
void
hold_until_cancelled (GTask  *task,
                      void  (*fire) (GTask *task))
{
  Hold *hold = g_new0 (Hold, 1);

  g_assert_nonnull (g_task_get_cancellable (task));
  g_atomic_int_inc (&holds_alive);
  hold->task = g_object_ref (task);
  hold->cancellable = g_object_ref (g_task_get_cancellable (task));
  hold->context = g_main_context_ref_thread_default ();
  hold->fire = fire;
  /* Called at once if already cancelled; the idle it adds runs later,
   * on this thread, so @handler is set by then. */
  hold->handler = g_cancellable_connect (hold->cancellable, G_CALLBACK (on_hold_cancelled),
                                         hold, NULL);
}

/**
 * hold_return_cancelled:
 * @task: a cancelled task
 *
 * A @fire for hold_until_cancelled() that ends @task the way a
 * well-behaved operation does: with %G_IO_ERROR_CANCELLED.
 */
void
hold_return_cancelled (GTask *task)
{
  g_task_return_error_if_cancelled (task);
}

/**
 * assert_holds_released:
 *
 * Waits, with a deadline, until every operation held by
 * hold_until_cancelled() was released (its task returned and its
 * references dropped); aborts the test if some never are.
 */
void
assert_holds_released (void)
{
  gint64 deadline = g_get_monotonic_time () + 10 * test_time_scale () * G_TIME_SPAN_SECOND;

  while (g_atomic_int_get (&holds_alive) != 0)
    {
      if (g_get_monotonic_time () >= deadline)
        g_error ("%d held operations were never released", g_atomic_int_get (&holds_alive));
      g_usleep (G_TIME_SPAN_MILLISECOND / 4);
    }
}

/* ---- Errors and values ---- */

GQuark
test_error_quark (void)
{
  return g_quark_from_static_string ("async-runner-test-error-quark");
}

/* After a failed call, @value holds the boolean FALSE (so that bindings
 * can convert it) and must be unset before it is used again. */
void
assert_failed_value (GValue *value)
{
  g_assert_true (G_VALUE_HOLDS_BOOLEAN (value));
  g_assert_false (g_value_get_boolean (value));
  g_value_unset (value);
}

/* ---- Functions and start functions the tests run ---- */

/* Completes at once with the int @user_data, on the runner thread. */
gboolean
return_int (AsyncRunner *runner,
            GTask       *task,
            gpointer     user_data)
{
  g_assert_true (async_runner_is_runner_thread (runner));
  task_return_int (task, GPOINTER_TO_INT (user_data));

  return TRUE;
}

/* Completes at once, to wait until every call submitted before it was
 * run. */
gboolean
return_true (AsyncRunner *runner,
             GTask       *task,
             gpointer     user_data)
{
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* Says it could not start, without completing the task. */
gboolean
return_false (AsyncRunner *runner,
              GTask       *task,
              gpointer     user_data)
{
  return FALSE;
}

/* For a call that must be refused before its function runs. */
gboolean
func_never (AsyncRunner *runner,
            GTask       *task,
            gpointer     user_data)
{
  g_assert_not_reached ();
}

gboolean
start_never (AsyncRunner         *runner,
             gpointer             user_data,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             callback_data)
{
  g_assert_not_reached ();
}

static gboolean
return_int_later_cb (gpointer user_data)
{
  GTask *task = user_data;

  task_return_int (task, GPOINTER_TO_INT (g_task_get_task_data (task)));

  return G_SOURCE_REMOVE;
}

/* Completes the task from a timeout source (user_data > 0: its delay
 * in ms) or an idle source (0) on the runner context. */
gboolean
return_int_later (AsyncRunner *runner,
                  GTask       *task,
                  gpointer     user_data)
{
  g_task_set_task_data (task, GINT_TO_POINTER (1000 + GPOINTER_TO_INT (user_data)), NULL);
  attach_source (g_main_context_get_thread_default (),
                 GPOINTER_TO_UINT (user_data),
                 return_int_later_cb, g_object_ref (task), g_object_unref);

  return TRUE;
}

/* Completes the task with the value @user_data from an idle source on
 * the runner context. */
gboolean
return_int_idle (AsyncRunner *runner,
                 GTask       *task,
                 gpointer     user_data)
{
  g_task_set_task_data (task, user_data, NULL);
  attach_source (g_main_context_get_thread_default (), 0,
                 return_int_later_cb, g_object_ref (task), g_object_unref);

  return TRUE;
}

/* Records where it runs: a WhereInfo in @user_data. */
gboolean
record_where (AsyncRunner *runner,
              GTask       *task,
              gpointer     user_data)
{
  WhereInfo *where = user_data;

  where->thread = g_thread_self ();
  where->is_runner_thread = async_runner_is_runner_thread (runner);
  where->context = g_main_context_get_thread_default ();
  where->context_is_runner_context = where->context == async_runner_get_context (runner);
  g_task_return_boolean (task, TRUE);

  return TRUE;
}

/* Runs return_int() with @n on @runner: its value, or -1 with @error set. */
gint
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

/* Waits until every call submitted before it was run. */
void
barrier (AsyncRunner *runner)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (async_runner_run_sync (runner, return_true, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Calls on @runner still work (and the runner thread is not stuck in
 * some nested wait). */
void
assert_runner_works (AsyncRunner *runner)
{
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (async_runner_run_sync (runner, return_int, GINT_TO_POINTER (7),
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 7);
  g_value_unset (&value);
}

static gboolean
fake_add_complete_cb (gpointer user_data)
{
  GTask *task = user_data;
  int *operands = g_task_get_task_data (task);

  if (operands[1] < 0)
    g_task_return_new_error (task, TEST_ERROR, TEST_ERROR_NEGATIVE,
                             "Negative operand %d", operands[1]);
  else
    g_task_return_int (task, operands[0] + operands[1]);

  return G_SOURCE_REMOVE;
}

void
fake_add_async (int                  a,
                int                  b,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  int *operands = g_new (int, 2);

  operands[0] = a;
  operands[1] = b;
  g_task_set_source_tag (task, fake_add_async);
  g_task_set_task_data (task, operands, g_free);
  attach_source (g_main_context_get_thread_default (), 0,
                 fake_add_complete_cb, g_object_ref (task), g_object_unref);
}

int
fake_add_finish (GAsyncResult  *result,
                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fake_add_async, -1);

  return (int) g_task_propagate_int (G_TASK (result), error);
}

gboolean
start_fake_add (AsyncRunner         *runner,
                gpointer             user_data,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             callback_data)
{
  AddArgs *args = user_data;

  args->on_runner_thread = async_runner_is_runner_thread (runner);
  fake_add_async (args->a, args->b, cancellable, callback, callback_data);

  return TRUE;
}

/* Sets the gboolean @user_data, and completes at once. */
gboolean
set_flag_func (AsyncRunner *runner,
               GTask       *task,
               gpointer     user_data)
{
  gboolean *ran = user_data;

  *ran = TRUE;
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* Sets the gboolean @user_data, and starts a fake_add_async(). */
gboolean
start_set_flag (AsyncRunner         *runner,
                gpointer             user_data,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             callback_data)
{
  AddArgs args = { 1, 1, FALSE };
  gboolean *ran = user_data;

  *ran = TRUE;
  return start_fake_add (runner, &args, cancellable, callback, callback_data);
}

/* A thread that shuts the runner @data down. */
gpointer
shutdown_thread (gpointer data)
{
  async_runner_shutdown (data);
  return NULL;
}

/* ---- Held operations ---- */

void
held_init (Held *held)
{
  memset (held, 0, sizeof *held);
  flag_init (&held->started);
  flag_init (&held->freed);
}

void
held_clear (Held *held)
{
  g_assert_null (held->task);
  g_clear_object (&held->op_cancellable);
  flag_clear (&held->started);
  flag_clear (&held->freed);
}

/* The destroy notify of the held task's result: called when the task
 * is finalized with a result that nobody took. */
void
held_result_freed (gpointer data)
{
  Held *held = data;

  flag_set (&held->freed);
}

static gboolean
held_complete_cb (gpointer user_data)
{
  Held *held = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&held->task);

  g_assert_nonnull (task);
  g_task_return_pointer (task, held, held_result_freed);

  return G_SOURCE_REMOVE;
}

static gboolean
held_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  return held_complete_cb (user_data);
}

/* Runner thread: takes charge of @task and holds it. */
static void
held_start (Held         *held,
            AsyncRunner  *runner,
            GTask        *task,
            GCancellable *cancellable)
{
  g_assert_null (held->task);
  held->task = g_object_ref (task);
  g_assert_nonnull (cancellable);
  held->op_cancellable = g_object_ref (cancellable);
  held->on_runner_thread = async_runner_is_runner_thread (runner);

  if (held->until_cancelled)
    {
      GSource *source = g_cancellable_source_new (cancellable);

      g_source_set_callback (source, G_SOURCE_FUNC (held_cancelled_cb), held, NULL);
      g_source_attach (source, g_main_context_get_thread_default ());
      g_source_unref (source);
    }

  flag_set (&held->started);
}

gboolean
hold_task (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  held_start (user_data, runner, task, g_task_get_cancellable (task));
  return TRUE;
}

gboolean
hold_task_and_fail (AsyncRunner *runner,
                    GTask       *task,
                    gpointer     user_data)
{
  held_start (user_data, runner, task, g_task_get_cancellable (task));
  return FALSE;
}

static gboolean
start_held_op (AsyncRunner         *runner,
               gpointer             user_data,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             callback_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, callback_data);

  /* An operation that ignores its cancellable. */
  g_task_set_check_cancellable (task, FALSE);
  held_start (user_data, runner, task, cancellable);

  return TRUE;
}

/* Completes the held operation later, from a timeout source on the
 * runner context, and waits until its result was dropped and freed. */
void
held_release (Held        *held,
              AsyncRunner *runner)
{
  attach_source (async_runner_get_context (runner), 5, held_complete_cb, held, NULL);
  flag_wait (&held->freed);
}

void
held_call_init (HeldCall     *hc,
                AsyncRunner  *runner,
                Held         *held,
                GCancellable *cancellable)
{
  memset (hc, 0, sizeof *hc);
  hc->runner = runner;
  hc->held = held;
  hc->cancellable = cancellable;
  flag_init (&hc->done);
}

void
held_call_clear (HeldCall *hc)
{
  g_clear_error (&hc->error);
  flag_clear (&hc->done);
}

/* Makes the held call, on whatever thread runs it. */
gpointer
held_call_thread (gpointer data)
{
  HeldCall *hc = data;

  if (hc->use_call_sync)
    {
      g_autoptr(GAsyncResult) result = async_runner_call_sync (hc->runner, start_held_op, hc->held,
                                                                hc->cancellable, &hc->error);
      hc->ok = result != NULL;
    }
  else
    hc->ok = async_runner_run_sync (hc->runner, hold_task, hc->held, hc->cancellable,
                                    NULL, &hc->error);

  flag_set (&hc->done);

  return NULL;
}
