/* test-edge.c: re-entrancy, cancellation from the runner thread, bad input
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"

#define EDGE_ERROR (g_quark_from_static_string ("async-runner-edge-error"))

/* ---- Helpers ---- */

/* Polls @flag until it is set or @ms milliseconds pass. */
static gboolean
wait_for_flag (gint  *flag,
               guint  ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (!g_atomic_int_get (flag))
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (G_TIME_SPAN_MILLISECOND / 4);
    }

  return TRUE;
}

static gboolean
func_return_int (AsyncRunner *runner,
                 GTask       *task,
                 gpointer     user_data)
{
  task_return_int (task, GPOINTER_TO_INT (user_data));

  return TRUE;
}

/* Calls on the runner still work (and the runner thread is not stuck in
 * some nested wait). */
static void
assert_runner_works (AsyncRunner *runner)
{
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (async_runner_run_sync (runner, func_return_int, GINT_TO_POINTER (7),
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 7);
  g_value_unset (&value);
}

/* ---- /AsyncRunner/Edge/reentrant-3-deep ---- */

#define DEPTH 3

typedef struct
{
  AsyncRunner *runner;
  GThread     *helper;      /* joined by the test */
  gint         helper_done; /* atomic */
} Deep;

static Deep deep;

static gboolean deep_func (AsyncRunner *runner, GTask *task, gpointer user_data);

/* Another thread's call to the same runner while the runner thread is
 * three calls deep: the nested iteration serves it, and then completes
 * the innermost task from an idle the helper adds. */
static gboolean
complete_innermost (gpointer user_data)
{
  GTask *task = user_data;

  g_assert_true (async_runner_is_runner_thread (deep.runner));
  task_return_int (task, DEPTH);

  return G_SOURCE_REMOVE;
}

static gpointer
helper_thread (gpointer data)
{
  GTask *task = data;   /* owned */
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (async_runner_run_sync (deep.runner, func_return_int, GINT_TO_POINTER (99),
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 99);

  /* Done before the innermost task is completed: once it is, the test's
   * call may return and look, before this thread runs again. */
  g_atomic_int_set (&deep.helper_done, TRUE);
  g_main_context_invoke_full (async_runner_get_context (deep.runner), G_PRIORITY_DEFAULT,
                              complete_innermost, task, g_object_unref);

  return NULL;
}

static gboolean
deep_start (AsyncRunner         *runner,
            gpointer             user_data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             callback_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, callback_data);

  return deep_func (runner, task, user_data);
}

/* Level n calls level n + 1 on the runner thread, alternating run_sync
 * and call_sync; the innermost completes later. Each level returns the
 * value of the one below times ten plus its own level: 321. */
static gboolean
deep_func (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  gint level = GPOINTER_TO_INT (user_data);
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (async_runner_is_runner_thread (runner));
  g_assert_true (g_main_context_get_thread_default () == async_runner_get_context (runner));

  if (level == DEPTH)
    {
      deep.helper = g_thread_new ("helper", helper_thread, g_object_ref (task));
      return TRUE;
    }

  if (level % 2 == 1)
    {
      g_assert_true (async_runner_run_sync (runner, deep_func, GINT_TO_POINTER (level + 1),
                                            NULL, &value, &error));
      g_assert_no_error (error);
    }
  else
    {
      g_autoptr(GAsyncResult) result = NULL;

      result = async_runner_call_sync (runner, deep_start, GINT_TO_POINTER (level + 1),
                                       NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_task_propagate_value (G_TASK (result), &value, &error));
      g_assert_no_error (error);
    }

  task_return_int (task, g_value_get_int (&value) * 10 + level);
  g_value_unset (&value);

  return TRUE;
}

static void
test_reentrant_3_deep (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  deep.runner = runner;
  deep.helper = NULL;
  deep.helper_done = FALSE;

  g_assert_true (async_runner_run_sync (runner, deep_func, GINT_TO_POINTER (1), NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 321);
  g_value_unset (&value);

  g_assert_true (g_atomic_int_get (&deep.helper_done));
  g_thread_join (deep.helper);

  assert_runner_works (runner);
}

/* ---- /AsyncRunner/Edge/reentrant-3-deep-timeout ---- */

static GError *timeout_errors[DEPTH + 1];
static gint timeout_levels_done;   /* atomic */

/* Every level waits on the one below; the innermost never completes by
 * itself. Each nested call has its own deadline: all end TIMED_OUT. */
static gboolean
deep_timeout_func (AsyncRunner *runner,
                   GTask       *task,
                   gpointer     user_data)
{
  gint level = GPOINTER_TO_INT (user_data);
  GError *error = NULL;

  if (level == DEPTH)
    {
      hold_until_cancelled (task, hold_return_cancelled);
      return TRUE;
    }

  g_assert_false (async_runner_run_sync (runner, deep_timeout_func, GINT_TO_POINTER (level + 1),
                                         NULL, NULL, &error));
  timeout_errors[level + 1] = g_error_copy (error);
  g_task_return_error (task, error);
  if (level == 1)
    g_atomic_int_set (&timeout_levels_done, TRUE);

  return TRUE;
}

static void
test_reentrant_3_deep_timeout (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  gint i;

  async_runner_set_timeout (runner, 50);
  memset (timeout_errors, 0, sizeof timeout_errors);
  timeout_levels_done = FALSE;

  g_assert_false (async_runner_run_sync (runner, deep_timeout_func, GINT_TO_POINTER (1),
                                         NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  /* The caller's own deadline may pass first; the levels end on the
   * runner thread, each at its own deadline. */
  g_assert_true (wait_for_flag (&timeout_levels_done, 10000));
  async_runner_set_timeout (runner, 0);
  assert_runner_works (runner);

  for (i = 2; i <= DEPTH; i++)
    {
      g_assert_error (timeout_errors[i], G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      g_clear_error (&timeout_errors[i]);
    }
  assert_holds_released ();
}

/* ---- /AsyncRunner/Edge/cancel-from-runner-thread ---- */

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

static gboolean
start_cancel_caller (AsyncRunner         *runner,
                     gpointer             user_data,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             callback_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, callback_data);

  return func_cancel_caller (runner, task, user_data);
}

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

static void
test_cancel_from_runner_thread (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
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

/* ---- /AsyncRunner/Edge/func-not-running-after-return ---- */

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

/* run_sync's function is `(scope call)`: bindings free it, and C callers
 * free its user_data, as soon as the call returns. A call that ends
 * while its function is still running (cancelled, timed out) must
 * therefore not return before the function has. */
static void
test_func_not_running_after_return (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Overlap o = { cancellable, 0, 0, 0 };
  gint not_in_func = 0;

  g_assert_false (async_runner_run_sync (runner, func_watch_caller, &o, cancellable, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_atomic_int_set (&o.caller_returned, TRUE);

  /* Let the function finish before @o goes. */
  assert_runner_works (runner);
  g_assert_cmpint (g_atomic_int_get (&o.in_func), ==, not_in_func);
  g_assert_false (g_atomic_int_get (&o.overlapped));
  assert_holds_released ();
}

/* ---- /AsyncRunner/Edge/func-not-running-after-return-race ---- */

#define RACE_ALIVE 0x600dcafeu
#define RACE_DEAD  0xdeadbeefu
#define RACE_CALLS 2000

typedef struct
{
  guint magic;
  guint ran;
} RaceArgs;

static void
race_check_alive (RaceArgs *args)
{
  if (args->magic != RACE_ALIVE)
    g_error ("a function used its user_data after its call returned");
}

/* Uses its user_data before and after completing its task: both are
 * within the function's run, so both are allowed. */
static gboolean
func_race (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  RaceArgs *args = user_data;
  guint i;

  race_check_alive (args);
  for (i = 0; i < 8; i++)
    g_thread_yield ();
  race_check_alive (args);
  g_task_return_boolean (task, TRUE);
  for (i = 0; i < 8; i++)
    g_thread_yield ();
  race_check_alive (args);
  args->ran++;

  return TRUE;
}

static gboolean
start_race (AsyncRunner         *runner,
            gpointer             user_data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             callback_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, callback_data);

  return func_race (runner, task, user_data);
}

static GAsyncQueue *race_queue;

static gpointer
race_canceller (gpointer data)
{
  GCancellable *cancellable;

  while ((cancellable = g_async_queue_pop (race_queue)) != (gpointer) race_queue)
    {
      /* Land anywhere from before the function starts to after it ends. */
      gint64 until = g_get_monotonic_time () + g_random_int_range (0, 40);

      while (g_get_monotonic_time () < until)
        ;
      g_cancellable_cancel (cancellable);
      g_object_unref (cancellable);
    }

  return NULL;
}

/* Calls whose cancellation (from another thread) or timeout (1 ms)
 * races with the start of their function, each with user_data freed the
 * moment the call returns, as a binding frees a `(scope call)` closure:
 * the function either never runs or runs entirely before the call
 * returns. ASan and memcheck see any use after free; the magic number
 * catches most of them without. */
static void
test_func_not_running_after_return_race (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  GThread *canceller;
  guint outcomes[3] = { 0, 0, 0 };   /* completed, cancelled, timed out */
  guint i;

  race_queue = g_async_queue_new ();
  canceller = g_thread_new ("canceller", race_canceller, NULL);

  for (i = 0; i < RACE_CALLS; i++)
    {
      g_autoptr(GCancellable) cancellable = NULL;
      g_autoptr(GError) error = NULL;
      RaceArgs *args = g_new0 (RaceArgs, 1);
      gboolean ok;

      args->magic = RACE_ALIVE;
      async_runner_set_timeout (runner, i % 3 == 2 ? 1 : 0);
      if (i % 3 == 1)
        {
          cancellable = g_cancellable_new ();
          g_async_queue_push (race_queue, g_object_ref (cancellable));
        }

      if (i % 2 == 0)
        ok = async_runner_run_sync (runner, func_race, args, cancellable, NULL, &error);
      else
        {
          g_autoptr(GAsyncResult) result = NULL;

          result = async_runner_call_sync (runner, start_race, args, cancellable, &error);
          ok = result != NULL;
        }

      if (ok)
        outcomes[0]++;
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        outcomes[1]++;
      else
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
          outcomes[2]++;
        }

      args->magic = RACE_DEAD;
      g_free (args);
    }

  g_async_queue_push (race_queue, race_queue);
  g_thread_join (canceller);
  g_clear_pointer (&race_queue, g_async_queue_unref);

  g_test_message ("%u completed, %u cancelled, %u timed out",
                  outcomes[0], outcomes[1], outcomes[2]);
  g_assert_cmpuint (outcomes[0] + outcomes[1] + outcomes[2], ==, RACE_CALLS);
  async_runner_set_timeout (runner, 0);
  assert_runner_works (runner);
}

/* ---- /AsyncRunner/Edge/bad-input ---- */

static gboolean
start_never (AsyncRunner         *runner,
             gpointer             user_data,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             callback_data)
{
  g_assert_not_reached ();
}

static gboolean
func_never (AsyncRunner *runner,
            GTask       *task,
            gpointer     user_data)
{
  g_assert_not_reached ();
}

/* Programmer errors: the usual GLib criticals and FALSE/NULL, never a
 * crash, and the function is never run. */
static void
test_bad_input (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GObject) not_a_runner = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GObject) not_a_cancellable = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GError) error = NULL;
  GError *preset = g_error_new_literal (EDGE_ERROR, 1, "already set");
  GValue value = G_VALUE_INIT;
  GAsyncResult *result;

  /* NULL runner */
  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*ASYNC_IS_RUNNER*failed*");
  g_assert_false (async_runner_run_sync (NULL, func_never, NULL, NULL, &value, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_false (G_IS_VALUE (&value));

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*ASYNC_IS_RUNNER*failed*");
  result = async_runner_call_sync (NULL, start_never, NULL, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_null (result);
  g_assert_no_error (error);

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*ASYNC_IS_RUNNER*failed*");
  async_runner_shutdown (NULL);
  g_test_assert_expected_messages ();

  /* Something that is not a runner */
  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*ASYNC_IS_RUNNER*failed*");
  g_assert_false (async_runner_run_sync ((AsyncRunner *) not_a_runner, func_never, NULL, NULL,
                                         NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*ASYNC_IS_RUNNER*failed*");
  result = async_runner_call_sync ((AsyncRunner *) not_a_runner, start_never, NULL, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_null (result);
  g_assert_no_error (error);

  /* NULL function */
  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*func != NULL*failed*");
  g_assert_false (async_runner_run_sync (runner, NULL, NULL, NULL, &value, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*start != NULL*failed*");
  result = async_runner_call_sync (runner, NULL, NULL, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_null (result);
  g_assert_no_error (error);

  /* A cancellable that is not one */
  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*G_IS_CANCELLABLE*failed*");
  g_assert_false (async_runner_run_sync (runner, func_never, NULL,
                                         (GCancellable *) not_a_cancellable, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*G_IS_CANCELLABLE*failed*");
  result = async_runner_call_sync (runner, start_never, NULL,
                                   (GCancellable *) not_a_cancellable, &error);
  g_test_assert_expected_messages ();
  g_assert_null (result);
  g_assert_no_error (error);

  /* A value that already holds one */
  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 3);
  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*G_VALUE_TYPE*failed*");
  g_assert_false (async_runner_run_sync (runner, func_never, NULL, NULL, &value, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 3);
  g_value_unset (&value);

  /* An error that is already set */
  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*error == NULL*failed*");
  g_assert_false (async_runner_run_sync (runner, func_never, NULL, NULL, NULL, &preset));
  g_test_assert_expected_messages ();
  g_assert_error (preset, EDGE_ERROR, 1);

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*error == NULL*failed*");
  result = async_runner_call_sync (runner, start_never, NULL, NULL, &preset);
  g_test_assert_expected_messages ();
  g_assert_null (result);
  g_assert_error (preset, EDGE_ERROR, 1);
  g_clear_error (&preset);

  /* None of it hurt the runner. */
  assert_runner_works (runner);
}

/* ---- /AsyncRunner/Edge/dropped-task ---- */

typedef struct
{
  gint completed;   /* atomic: GTask:completed became TRUE */
  gint finalized;   /* atomic */
} TaskWatch;

static void
on_task_completed (GObject    *task,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  TaskWatch *watch = user_data;

  if (g_task_get_completed (G_TASK (task)))
    g_atomic_int_set (&watch->completed, TRUE);
}

static void
on_task_finalized (gpointer  user_data,
                   GObject  *where_the_task_was)
{
  TaskWatch *watch = user_data;

  g_atomic_int_set (&watch->finalized, TRUE);
}

static void
watch_task (GTask     *task,
            TaskWatch *watch)
{
  g_signal_connect (task, "notify::completed", G_CALLBACK (on_task_completed), watch);
  g_object_weak_ref (G_OBJECT (task), on_task_finalized, watch);
}

/* A failed call leaves @value empty, or (for bindings that convert it
 * anyway) holding a boolean; never a value of the operation's. */
static void
clear_failed_value (GValue *value)
{
  if (G_IS_VALUE (value))
    {
      g_assert_true (G_VALUE_HOLDS_BOOLEAN (value));
      g_value_unset (value);
    }
}

/* Takes charge of the task, or says it did, and drops it at once. */
static gboolean
func_drop_task (AsyncRunner *runner,
                GTask       *task,
                gpointer     user_data)
{
  watch_task (task, user_data);

  return TRUE;
}

/* Says it could not start, without completing the task. */
static gboolean
func_refuse (AsyncRunner *runner,
             GTask       *task,
             gpointer     user_data)
{
  watch_task (task, user_data);

  return FALSE;
}

static gboolean
on_drop_later (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* Keeps the task, and drops it later without completing it. */
static gboolean
func_drop_task_later (AsyncRunner *runner,
                      GTask       *task,
                      gpointer     user_data)
{
  watch_task (task, user_data);
  attach_source (g_main_context_get_thread_default (), 5,
                 on_drop_later, g_object_ref (task), g_object_unref);

  return TRUE;
}

/* Starts nothing and never calls back. */
static gboolean
start_never_calls_back (AsyncRunner         *runner,
                        gpointer             user_data,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             callback_data)
{
  return TRUE;
}

static gboolean
start_refuse (AsyncRunner         *runner,
              gpointer             user_data,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             callback_data)
{
  return FALSE;
}

/* The task completed with g_task_return_boolean() where a value was
 * wanted. */
static gboolean
func_wrong_return (AsyncRunner *runner,
                   GTask       *task,
                   gpointer     user_data)
{
  g_task_return_boolean (task, TRUE);

  return TRUE;
}

/* A function that loses its task ends its call with an error, not a
 * hang; when it drops the task at once, the runner returns the task
 * itself, so that newer GLib (2.76 and later) has no unreturned task to
 * complain about. */
static void
test_dropped_task (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GAsyncResult) result = NULL;
  guint want_value;

  for (want_value = 0; want_value <= 1; want_value++)
    {
      g_autoptr(GError) error = NULL;
      GValue value = G_VALUE_INIT;
      GValue *out = want_value ? &value : NULL;
      TaskWatch dropped = { 0, 0 };
      TaskWatch refused = { 0, 0 };

      g_assert_false (async_runner_run_sync (runner, func_drop_task, &dropped, NULL, out, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
      clear_failed_value (&value);
      g_clear_error (&error);

      g_assert_false (async_runner_run_sync (runner, func_refuse, &refused, NULL, out, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
      clear_failed_value (&value);
      g_clear_error (&error);

      /* The tasks were returned before they went (the notification comes
       * on the runner thread, after the call has ended). */
      g_assert_true (wait_for_flag (&dropped.finalized, 10000));
      g_assert_true (g_atomic_int_get (&dropped.completed));
      g_assert_true (wait_for_flag (&refused.finalized, 10000));
      g_assert_true (g_atomic_int_get (&refused.completed));
    }

  /* Kept and dropped later: nobody can return a task being finalized,
   * and newer GLib says so; the call still ends. */
  {
    g_autoptr(GError) error = NULL;
    TaskWatch later = { 0, 0 };

    if (glib_check_version (2, 76, 0) == NULL)
      g_test_expect_message ("GLib-GIO", G_LOG_LEVEL_CRITICAL, "*finalized without ever returning*");
    g_assert_false (async_runner_run_sync (runner, func_drop_task_later, &later, NULL, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
    g_test_assert_expected_messages ();
    g_assert_true (wait_for_flag (&later.finalized, 10000));
    g_assert_false (g_atomic_int_get (&later.completed));
  }

  /* A value was wanted, but the task was completed without one: an
   * error that says so, and no GLib critical (fatal here). */
  {
    g_autoptr(GError) error = NULL;
    GValue value = G_VALUE_INIT;

    g_assert_false (async_runner_run_sync (runner, func_wrong_return, NULL, NULL, &value, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "g_task_return_value()"));
    clear_failed_value (&value);
  }

  /* A start function that refuses fails at once. */
  {
    g_autoptr(GError) error = NULL;

    result = async_runner_call_sync (runner, start_refuse, NULL, NULL, &error);
    g_assert_null (result);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  }

  /* A start function whose operation never calls back cannot be told
   * from a slow one: the runner's timeout ends it. */
  {
    g_autoptr(GError) error = NULL;

    async_runner_set_timeout (runner, 20);
    result = async_runner_call_sync (runner, start_never_calls_back, NULL, NULL, &error);
    g_assert_null (result);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    async_runner_set_timeout (runner, 0);
  }

  assert_runner_works (runner);
}

/* ---- /AsyncRunner/Edge/shutdown-from-func ---- */

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

/* A function that shuts its own runner down: its caller gets
 * G_IO_ERROR_CLOSED, later calls too, and nothing deadlocks. */
static void
test_shutdown_from_func (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

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

/* ---- /AsyncRunner/Edge/shutdown-with-busy-source ---- */

static gboolean
idle_forever (gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return G_SOURCE_CONTINUE;
}

/* A source on the runner context that is always ready (a user's idle that
 * never stops) must not keep shutdown from joining the thread. */
static void
test_shutdown_with_busy_source (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  gint runs = 0;
  GSource *idle = g_idle_source_new ();

  g_source_set_callback (idle, idle_forever, &runs, NULL);
  g_source_attach (idle, async_runner_get_context (runner));
  g_source_unref (idle);

  while (g_atomic_int_get (&runs) == 0)
    g_thread_yield ();

  async_runner_shutdown (runner);

  g_assert_false (async_runner_run_sync (runner, func_never, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

/* ---- /AsyncRunner/Edge/own-cancellable-per-call ---- */

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

/* An operation that cancels the cancellable it was given (to stop work
 * of its own) affects no other call: every call gets its own, even
 * without a caller's cancellable or a timeout. */
static void
test_own_cancellable_per_call (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GCancellable) first = NULL;
  g_autoptr(GCancellable) second = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (async_runner_run_sync (runner, func_cancel_own, &first, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_cancellable_is_cancelled (first));

  g_assert_true (async_runner_run_sync (runner, func_report_cancelled, &second, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (second != first);
  g_assert_false (g_cancellable_is_cancelled (second));
}

/* ---- /AsyncRunner/Edge/failed-start-releases-call ---- */

static void
count_freed (gpointer  data,
             GObject  *where_the_object_was)
{
  g_atomic_int_inc ((gint *) data);
}

static gboolean
start_refuse_watched (AsyncRunner         *runner,
                      gpointer             user_data,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             callback_data)
{
  /* The call owns @cancellable: once the call is freed, so is it. */
  g_object_weak_ref (G_OBJECT (cancellable), count_freed, user_data);

  return FALSE;
}

static gboolean
func_return_true (AsyncRunner *runner,
                  GTask       *task,
                  gpointer     user_data)
{
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* A start function that returns FALSE fails its call, and the runner
 * does not keep the call (and what it holds) until it shuts down. */
static void
test_failed_start_releases_call (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  gint freed = 0;
  guint i;

  for (i = 0; i < 100; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GAsyncResult) result = NULL;

      result = async_runner_call_sync (runner, start_refuse_watched, &freed, NULL, &error);
      g_assert_null (result);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
    }

  /* The runner drops its last references on its own thread, after the
   * callers returned: a call that runs after them sees them done. */
  g_assert_true (async_runner_run_sync (runner, func_return_true, NULL, NULL, NULL, NULL));
  g_assert_cmpint (g_atomic_int_get (&freed), ==, 100);
}

/* ---- /AsyncRunner/Edge/concurrent-shutdown ---- */

static gpointer
shutdown_thread (gpointer data)
{
  async_runner_shutdown (data);
  return NULL;
}

/* Two threads shut a runner down at once: each returns only once the
 * runner has stopped, so a call made right after either fails. */
static void
test_concurrent_shutdown (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 60, NULL);
  guint round;

  for (round = 0; round < 50; round++)
    {
      g_autoptr(AsyncRunner) runner = async_runner_new ();
      g_autoptr(GError) error = NULL;
      GThread *other = g_thread_new ("shutdown", shutdown_thread, runner);

      async_runner_shutdown (runner);
      g_assert_false (async_runner_run_sync (runner, func_return_true, NULL, NULL, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

      g_thread_join (other);
    }
}

/* ---- /AsyncRunner/Edge/no-reuse-of-used-cancellable ---- */

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

/* A finished call's cancellable, left with a handler connected (or
 * cancelled), is never given to another call, whose cancellation would
 * run that handler. */
static void
test_no_reuse_of_used_cancellable (void)
{
  g_autoptr(Watchdog) dog = watchdog_arm (g_test_get_path (), 30, NULL);
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  gint stale_hits = 0;
  guint i;

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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/AsyncRunner/Edge/reentrant-3-deep", test_reentrant_3_deep);
  g_test_add_func ("/AsyncRunner/Edge/reentrant-3-deep-timeout", test_reentrant_3_deep_timeout);
  g_test_add_func ("/AsyncRunner/Edge/cancel-from-runner-thread", test_cancel_from_runner_thread);
  g_test_add_func ("/AsyncRunner/Edge/bad-input", test_bad_input);
  g_test_add_func ("/AsyncRunner/Edge/dropped-task", test_dropped_task);
  g_test_add_func ("/AsyncRunner/Edge/shutdown-from-func", test_shutdown_from_func);
  g_test_add_func ("/AsyncRunner/Edge/func-not-running-after-return-race", test_func_not_running_after_return_race);
  g_test_add_func ("/AsyncRunner/Edge/func-not-running-after-return", test_func_not_running_after_return);
  g_test_add_func ("/AsyncRunner/Edge/shutdown-with-busy-source", test_shutdown_with_busy_source);
  g_test_add_func ("/AsyncRunner/Edge/own-cancellable-per-call", test_own_cancellable_per_call);
  g_test_add_func ("/AsyncRunner/Edge/failed-start-releases-call", test_failed_start_releases_call);
  g_test_add_func ("/AsyncRunner/Edge/concurrent-shutdown", test_concurrent_shutdown);
  g_test_add_func ("/AsyncRunner/Edge/no-reuse-of-used-cancellable", test_no_reuse_of_used_cancellable);

  return g_test_run ();
}
