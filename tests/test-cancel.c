/* test-cancel.c: cancellation: from another thread, before, from the runner thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"

typedef struct
{
  Held         *held;
  GCancellable *cancellable;
} Canceller;

static gpointer
cancel_when_started (gpointer data)
{
  Canceller *canceller = data;

  flag_wait (&canceller->held->started);
  g_cancellable_cancel (canceller->cancellable);

  return NULL;
}

static void
check_cancel_from_other_thread (gboolean use_call_sync)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Canceller canceller;
  GThread *thread;
  HeldCall hc;
  Held held;

  held_init (&held);
  held_call_init (&hc, runner, &held, cancellable);
  hc.use_call_sync = use_call_sync;
  canceller.held = &held;
  canceller.cancellable = cancellable;

  thread = g_thread_new ("canceller", cancel_when_started, &canceller);
  held_call_thread (&hc);
  g_thread_join (thread);

  g_assert_false (hc.ok);
  g_assert_error (hc.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (held.on_runner_thread);
  /* The operation's cancellable was cancelled by the time the call
   * returned, and it is not the caller's. */
  g_assert_true (held.op_cancellable != cancellable);
  g_assert_true (g_cancellable_is_cancelled (held.op_cancellable));

  /* The operation completes later: its result is dropped and freed. */
  g_assert_false (flag_is_set (&held.freed));
  held_release (&held, runner);

  held_call_clear (&hc);
  held_clear (&held);

  /* The runner still works. */
  barrier (runner);
}

/* Cancelled from another thread, run_sync() ends at once; the late result is freed. */
static void
test_cancel_from_other_thread (void)
{
  check_cancel_from_other_thread (FALSE);
}

/* Cancelled from another thread, call_sync() ends at once; the late result is freed. */
static void
test_cancel_from_other_thread_call_sync (void)
{
  check_cancel_from_other_thread (TRUE);
}

/* A call whose cancellable is already cancelled fails without running anything. */
static void
test_cancel_before (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GValue value = G_VALUE_INIT;
  gboolean ran = FALSE;

  g_cancellable_cancel (cancellable);

  g_assert_false (async_runner_run_sync (runner, set_flag_func, &ran, cancellable, &value, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_failed_value (&value);
  g_clear_error (&error);

  result = async_runner_call_sync (runner, start_set_flag, &ran, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (result);
  g_clear_error (&error);

  /* Once every earlier call has been run, the functions still have not. */
  barrier (runner);
  g_assert_false (ran);

  /* A cancellable that was not cancelled does not get in the way. */
  g_cancellable_reset (cancellable);
  g_assert_true (async_runner_run_sync (runner, set_flag_func, &ran, cancellable, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ran);
}

typedef enum
{
  CANCEL_IN_FUNC,      /* in the function itself, before it returns */
  CANCEL_FROM_SOURCE,  /* from a timeout on the runner context, later */
} CancelHow;

typedef struct
{
  GCancellable *cancellable;   /* the caller's */
  CancelHow     how;
} CancelArgs;

static gboolean
on_cancel_source (gpointer user_data)
{
  g_cancellable_cancel (user_data);

  return G_SOURCE_REMOVE;
}

/* On the runner thread: cancels the caller's cancellable. @args is the
 * caller's: it is not touched once the call may have ended. */
static void
cancel_caller (CancelArgs *args)
{
  g_assert_false (g_cancellable_is_cancelled (args->cancellable));

  if (args->how == CANCEL_IN_FUNC)
    g_cancellable_cancel (args->cancellable);
  else
    attach_source (g_main_context_get_thread_default (), 5,
                   on_cancel_source, g_object_ref (args->cancellable), g_object_unref);
}

static gboolean
func_cancel_caller (AsyncRunner *runner,
                    GTask       *task,
                    gpointer     user_data)
{
  g_assert_true (async_runner_is_runner_thread (runner));
  hold_until_cancelled (task, hold_return_cancelled);
  cancel_caller (user_data);

  return TRUE;
}

DEFINE_START_FROM_FUNC (start_cancel_caller, func_cancel_caller)

/* The runner thread makes a nested call and cancels it from there. */
static gboolean
func_nested_cancel (AsyncRunner *runner,
                    GTask       *task,
                    gpointer     user_data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  CancelArgs args = { cancellable, GPOINTER_TO_INT (user_data) };

  g_assert_false (async_runner_run_sync (runner, func_cancel_caller, &args, cancellable,
                                         NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  task_return_int (task, 42);

  return TRUE;
}

/* Cancelled from the runner thread (in the function, a source, nested), a call ends. */
static void
test_cancel_from_runner_thread (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  CancelHow how;

  for (how = CANCEL_IN_FUNC; how <= CANCEL_FROM_SOURCE; how++)
    {
      guint use_call_sync;

      for (use_call_sync = 0; use_call_sync <= 1; use_call_sync++)
        {
          g_autoptr(GCancellable) cancellable = g_cancellable_new ();
          g_autoptr(GError) error = NULL;
          CancelArgs args = { cancellable, how };

          if (use_call_sync)
            {
              g_autoptr(GAsyncResult) result = NULL;

              result = async_runner_call_sync (runner, start_cancel_caller, &args, cancellable, &error);
              g_assert_null (result);
            }
          else
            g_assert_false (async_runner_run_sync (runner, func_cancel_caller, &args, cancellable,
                                                   NULL, &error));
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          g_assert_true (g_cancellable_is_cancelled (cancellable));
        }

      /* The same, nested: the runner thread is both caller and canceller. */
      {
        g_autoptr(GError) error = NULL;
        GValue value = G_VALUE_INIT;

        g_assert_true (async_runner_run_sync (runner, func_nested_cancel, GINT_TO_POINTER (how),
                                              NULL, &value, &error));
        g_assert_no_error (error);
        g_assert_cmpint (g_value_get_int (&value), ==, 42);
        g_value_unset (&value);
      }
    }

  assert_runner_works (runner);
  assert_holds_released ();
}

static gboolean
func_cancel_own (AsyncRunner *runner,
                 GTask       *task,
                 gpointer     user_data)
{
  GCancellable **seen = user_data;

  *seen = g_object_ref (g_task_get_cancellable (task));
  g_cancellable_cancel (g_task_get_cancellable (task));
  g_task_return_boolean (task, TRUE);

  return TRUE;
}

static gboolean
func_report_cancelled (AsyncRunner *runner,
                       GTask       *task,
                       gpointer     user_data)
{
  GCancellable **seen = user_data;

  *seen = g_object_ref (g_task_get_cancellable (task));
  if (g_cancellable_is_cancelled (*seen))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "given a cancelled cancellable");
  else
    g_task_return_boolean (task, TRUE);

  return TRUE;
}

/* Every call gets a cancellable of its own: cancelling one affects no other. */
static void
test_own_cancellable_per_call (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GCancellable) first = NULL;
  g_autoptr(GCancellable) second = NULL;
  g_autoptr(GError) error = NULL;

  /* An operation that cancels the cancellable it was given (to stop work
   * of its own) affects no other call: every call gets its own, even
   * without a caller's cancellable or a timeout. */
  g_assert_true (async_runner_run_sync (runner, func_cancel_own, &first, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_cancellable_is_cancelled (first));

  g_assert_true (async_runner_run_sync (runner, func_report_cancelled, &second, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (second != first);
  g_assert_false (g_cancellable_is_cancelled (second));
}

static void
count_stale_handler (GCancellable *cancellable,
                     gpointer      data)
{
  g_atomic_int_inc ((gint *) data);
}

static gboolean
func_connect_and_forget (AsyncRunner *runner,
                         GTask       *task,
                         gpointer     user_data)
{
  /* Never disconnected: the cancellable must not serve another call. */
  g_signal_connect (g_task_get_cancellable (task), "cancelled",
                    G_CALLBACK (count_stale_handler), user_data);
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gboolean
func_hold_then_cancel (AsyncRunner *runner,
                       GTask       *task,
                       gpointer     user_data)
{
  /* The caller's cancellation wins, so the operation's cancellable is
   * cancelled, running whatever handlers it has. */
  hold_until_cancelled (task, hold_return_cancelled);
  g_cancellable_cancel (user_data);
  return TRUE;
}

/* A finished call's cancellable is never given to another call. */
static void
test_no_reuse_of_used_cancellable (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  gint stale_hits = 0;
  guint i;

  /* A finished call's cancellable, left with a handler connected (or
   * cancelled), is never given to another call, whose cancellation would
   * run that handler. */
  for (i = 0; i < 20; i++)
    g_assert_true (async_runner_run_sync (runner, func_connect_and_forget, &stale_hits,
                                          NULL, NULL, NULL));

  for (i = 0; i < 50; i++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();

      g_autoptr(GError) error = NULL;

      g_assert_false (async_runner_run_sync (runner, func_hold_then_cancel, cancellable,
                                             cancellable, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }

  g_assert_cmpint (g_atomic_int_get (&stale_hits), ==, 0);
  async_runner_shutdown (runner);
  assert_holds_released ();
}

typedef struct
{
  GCancellable *cancellable;
  gint          in_func;          /* atomic */
  gint          caller_returned;  /* atomic */
  gint          overlapped;       /* atomic: the caller returned while the function ran */
} Overlap;

/* Cancels its own call, then watches for a while whether the caller
 * returns while the function is still running. */
static gboolean
func_watch_caller (AsyncRunner *runner,
                   GTask       *task,
                   gpointer     user_data)
{
  Overlap *o = user_data;   /* lives until the test has joined us */

  g_atomic_int_set (&o->in_func, TRUE);
  hold_until_cancelled (task, hold_return_cancelled);
  g_cancellable_cancel (o->cancellable);

  /* A window to catch the caller out, not a timing assumption: a
   * correct runner never lets it return in the meantime. */
  if (wait_for_flag (&o->caller_returned, 300))
    g_atomic_int_set (&o->overlapped, TRUE);

  g_atomic_int_set (&o->in_func, FALSE);

  return TRUE;
}

/* A cancelled call returns only once its function has returned. */
static void
test_func_not_running_after_return (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Overlap o = { cancellable, 0, 0, 0 };
  gint not_in_func = 0;

  /* run_sync's function is `(scope call)`: bindings free it, and C callers
   * free its user_data, as soon as the call returns. A call that ends
   * while its function is still running (cancelled, timed out) must
   * therefore not return before the function has. */
  g_assert_false (async_runner_run_sync (runner, func_watch_caller, &o, cancellable, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_atomic_int_set (&o.caller_returned, TRUE);

  /* Let the function finish before @o goes. */
  assert_runner_works (runner);
  g_assert_cmpint (g_atomic_int_get (&o.in_func), ==, not_in_func);
  g_assert_false (g_atomic_int_get (&o.overlapped));
  assert_holds_released ();
}

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

/* A finished call's cancellable, weakly kept, cannot cancel a later call. */
static void
test_cancellable_not_recycled (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  guint i;

  /* The cancellable of a finished call is never handed to another call:
   * whoever kept a weak reference to it cannot cancel an unrelated call. */
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

static const TestCase tests[] = {
  { "/cancel/from-other-thread", test_cancel_from_other_thread },
  { "/cancel/from-other-thread-call-sync", test_cancel_from_other_thread_call_sync },
  { "/cancel/before", test_cancel_before },
  { "/cancel/from-runner-thread", test_cancel_from_runner_thread },
  { "/cancel/own-cancellable-per-call", test_own_cancellable_per_call },
  { "/cancel/no-reuse-of-used-cancellable", test_no_reuse_of_used_cancellable },
  { "/cancel/func-not-running-after-return", test_func_not_running_after_return },
  { "/cancel/cancellable-not-recycled", test_cancellable_not_recycled },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
