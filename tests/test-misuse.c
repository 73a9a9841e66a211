/* test-misuse.c: bad input and broken contracts: an error, never a crash or a hang
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"

/* Bad arguments to any entry point: a critical and FALSE/NULL, nothing run, no crash. */
static void
test_bad_input (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GObject) not_a_runner = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GObject) not_a_cancellable = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GError) error = NULL;
  GError *preset = g_error_new_literal (TEST_ERROR, TEST_ERROR_BROKEN, "already set");
  GValue value = G_VALUE_INIT;
  GAsyncResult *result;

  /* Programmer errors: the usual GLib criticals and FALSE/NULL, never a
   * crash, and the function is never run. */

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
  g_assert_error (preset, TEST_ERROR, TEST_ERROR_BROKEN);

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*assertion*error == NULL*failed*");
  result = async_runner_call_sync (runner, start_never, NULL, NULL, &preset);
  g_test_assert_expected_messages ();
  g_assert_null (result);
  g_assert_error (preset, TEST_ERROR, TEST_ERROR_BROKEN);
  g_clear_error (&preset);

  /* The runner's accessors, given no runner */
  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*ASYNC_IS_RUNNER*");
  g_assert_null (async_runner_get_context (NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*ASYNC_IS_RUNNER*");
  g_assert_false (async_runner_is_runner_thread (NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*ASYNC_IS_RUNNER*");
  g_assert_cmpuint (async_runner_get_timeout (NULL), ==, 0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*ASYNC_IS_RUNNER*");
  async_runner_set_timeout (NULL, 10);
  g_test_assert_expected_messages ();

  /* None of it hurt the runner. */
  assert_runner_works (runner);
}

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

/* A function that loses its task ends its call with an error, never a hang. */
static void
test_dropped_task (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GAsyncResult) result = NULL;
  guint want_value;

  /* A function that loses its task ends its call with an error, not a
   * hang; when it drops the task at once, the runner returns the task
   * itself, so that newer GLib (2.76 and later) has no unreturned task to
   * complain about. */
  for (want_value = 0; want_value <= 1; want_value++)
    {
      g_autoptr(GError) error = NULL;
      GValue value = G_VALUE_INIT;
      GValue *out = want_value ? &value : NULL;
      TaskWatch dropped = { 0, 0 };
      TaskWatch refused = { 0, 0 };

      g_assert_false (async_runner_run_sync (runner, func_drop_task, &dropped, NULL, out, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
      if (want_value)
        assert_failed_value (&value);
      g_clear_error (&error);

      g_assert_false (async_runner_run_sync (runner, func_refuse, &refused, NULL, out, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
      if (want_value)
        assert_failed_value (&value);
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

  /* A value was wanted, but the task was completed without one: GLib's
   * own critical for that misuse, and an error that says what to do. */
  {
    g_autoptr(GError) error = NULL;
    GValue value = G_VALUE_INIT;

    g_test_expect_message ("GLib-GIO", G_LOG_LEVEL_CRITICAL, "*g_task_propagate_value*");
    g_assert_false (async_runner_run_sync (runner, func_wrong_return, NULL, NULL, &value, &error));
    g_test_assert_expected_messages ();
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

static gboolean
start_false (AsyncRunner         *runner,
             gpointer             user_data,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             callback_data)
{
  return FALSE;
}

/* A function or start function returning FALSE fails its call at once. */
static void
test_func_returns_false (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GValue value = G_VALUE_INIT;
  Held held;

  g_assert_false (async_runner_run_sync (runner, return_false, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);

  g_assert_false (async_runner_run_sync (runner, return_false, NULL, NULL, &value, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  assert_failed_value (&value);
  g_clear_error (&error);

  result = async_runner_call_sync (runner, start_false, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_null (result);
  g_clear_error (&error);

  /* Returning FALSE while keeping the task still fails the call at once;
   * completing it later changes nothing. */
  held_init (&held);
  g_assert_false (async_runner_run_sync (runner, hold_task_and_fail, &held, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);
  held_release (&held, runner);
  held_clear (&held);

  /* The runner still works. */
  g_assert_true (async_runner_run_sync (runner, return_int, GINT_TO_POINTER (5), NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 5);
  g_value_unset (&value);
}

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

/* A refused start does not leave its call held until shutdown. */
static void
test_failed_start_releases_call (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  gint freed = 0;
  guint i;

  /* A start function that returns FALSE fails its call, and the runner
   * does not keep the call (and what it holds) until it shuts down. */
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
  g_assert_true (async_runner_run_sync (runner, return_true, NULL, NULL, NULL, NULL));
  g_assert_cmpint (g_atomic_int_get (&freed), ==, 100);
}

static gboolean
start_call_back_then_false (AsyncRunner         *runner,
                            gpointer             user_data,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             callback_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, NULL, NULL);

  /* Calls back before returning, as a synchronous operation might. */
  g_task_return_boolean (task, TRUE);
  callback (NULL, G_ASYNC_RESULT (task), callback_data);
  return FALSE;
}

static gboolean
complete_then_false (AsyncRunner *runner,
                     GTask       *task,
                     gpointer     user_data)
{
  task_return_int (task, 8);
  return FALSE;
}

static gboolean
nested_false_calls (AsyncRunner *runner,
                    GTask       *task,
                    gpointer     user_data)
{
  g_autoptr(GError) error1 = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gboolean ok;

  ok = async_runner_run_sync (runner, complete_then_false, NULL, NULL, NULL, &error1);
  result = async_runner_call_sync (runner, start_call_back_then_false, NULL, NULL, &error2);

  if (!ok && result == NULL &&
      g_error_matches (error1, G_IO_ERROR, G_IO_ERROR_FAILED) &&
      g_error_matches (error2, G_IO_ERROR, G_IO_ERROR_FAILED))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             "A nested call that returned FALSE did not fail");
  return TRUE;
}

/* FALSE from a function fails its call even after it delivered an outcome. */
static void
test_false_after_delivery (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GValue value = G_VALUE_INIT;

  /* A function that returns FALSE fails its call with G_IO_ERROR_FAILED
   * even if it delivered an outcome first (completed its task, or called
   * back), from another thread and nested alike. */
  result = async_runner_call_sync (runner, start_call_back_then_false, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_null (result);
  g_clear_error (&error);

  g_assert_false (async_runner_run_sync (runner, complete_then_false, NULL, NULL, &value, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_value_unset (&value);
  g_clear_error (&error);

  g_assert_true (async_runner_run_sync (runner, nested_false_calls, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* The runner still works. */
  g_assert_cmpint (run_int (runner, 4, &error), ==, 4);
  g_assert_no_error (error);
}

/* Shutting down the default runner is refused with a critical; it runs on. */
static void
test_default_shutdown_refused (void)
{
  AsyncRunner *runner = async_runner_get_default ();
  g_autoptr(GError) error = NULL;

  /* Shutting down the default runner is refused with a critical; it keeps
   * running. */
  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*shutdown*default AsyncRunner*");
  async_runner_shutdown (runner);
  g_test_assert_expected_messages ();

  g_assert_true (async_runner_run_sync (runner, return_true, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  (*(guint *) user_data)++;
}

/* Unreffing the default runner is refused with a critical; it all stays. */
static void
test_default_unref_refused (void)
{
  AsyncRunner *runner = async_runner_get_default ();
  g_autoptr(GError) error = NULL;
  guint notified = 0;
  gulong handler;

  /* Dropping a reference to the default runner that one does not own is
   * refused with a critical: the runner, its handlers and its thread stay. */
  handler = g_signal_connect (runner, "notify::timeout", G_CALLBACK (on_notify), &notified);

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*reference to the default AsyncRunner*");
  g_object_unref (runner);
  g_test_assert_expected_messages ();

  g_assert_true (async_runner_get_default () == runner);
  g_assert_true (G_IS_OBJECT (runner));
  g_assert_true (async_runner_run_sync (runner, return_true, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  async_runner_set_timeout (runner, 12345);
  async_runner_set_timeout (runner, 0);
  g_assert_cmpuint (notified, ==, 2);
  g_signal_handler_disconnect (runner, handler);

  /* Twice: still refused. */
  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*reference to the default AsyncRunner*");
  g_object_unref (runner);
  g_test_assert_expected_messages ();
  g_assert_true (async_runner_run_sync (runner, return_true, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static const TestCase tests[] = {
  { "/misuse/bad-input", test_bad_input },
  { "/misuse/dropped-task", test_dropped_task },
  { "/misuse/func-returns-false", test_func_returns_false },
  { "/misuse/failed-start-releases-call", test_failed_start_releases_call },
  { "/misuse/false-after-delivery", test_false_after_delivery },
  { "/misuse/default-shutdown-refused", test_default_shutdown_refused },
  { "/misuse/default-unref-refused", test_default_unref_refused },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
