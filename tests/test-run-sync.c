/* test-run-sync.c: run_sync(): where the function runs, what comes back
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"

#define N_THREADS 8

static gboolean
return_string (AsyncRunner *runner,
               GTask       *task,
               gpointer     user_data)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, user_data);
  g_task_return_value (task, &value);
  g_value_unset (&value);

  return TRUE;
}

static gboolean
return_error (AsyncRunner *runner,
              GTask       *task,
              gpointer     user_data)
{
  g_task_return_new_error (task, TEST_ERROR, TEST_ERROR_BROKEN,
                           "Broken on purpose: %s", (const char *) user_data);
  return TRUE;
}

/* run_sync() runs the function on the runner thread, in the runner's context. */
static void
test_run_sync_on_runner_thread (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  WhereInfo where = { 0 };

  g_assert_false (async_runner_is_runner_thread (runner));
  g_assert_nonnull (async_runner_get_context (runner));
  g_assert_true (async_runner_get_context (runner) != g_main_context_default ());

  g_assert_true (async_runner_run_sync (runner, record_where, &where, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (where.thread != g_thread_self ());
  g_assert_true (where.is_runner_thread);
  g_assert_true (where.context_is_runner_context);
  g_assert_true (where.context == async_runner_get_context (runner));
}

/* run_sync() hands back the GValue the task returned: an int, a string. */
static void
test_run_sync_value (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (async_runner_run_sync (runner, return_int, GINT_TO_POINTER (42),
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS_INT (&value));
  g_assert_cmpint (g_value_get_int (&value), ==, 42);
  g_value_unset (&value);

  g_assert_true (async_runner_run_sync (runner, return_string, "a string value",
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS_STRING (&value));
  g_assert_cmpstr (g_value_get_string (&value), ==, "a string value");
  g_value_unset (&value);
}

static gboolean
return_boolean_false (AsyncRunner *runner,
                      GTask       *task,
                      gpointer     user_data)
{
  gboolean *ran = user_data;

  *ran = TRUE;
  g_task_return_boolean (task, FALSE);
  return TRUE;
}

static gboolean
return_pointer (AsyncRunner *runner,
                GTask       *task,
                gpointer     user_data)
{
  g_task_return_pointer (task, g_strdup (user_data), g_free);
  return TRUE;
}

/* Without a value location, any g_task_return_*() completes the call. */
static void
test_run_sync_no_value (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  gboolean ran = FALSE;

  /* Without @value, any g_task_return_*() completes the call. */
  g_assert_true (async_runner_run_sync (runner, return_boolean_false, &ran, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ran);

  g_assert_true (async_runner_run_sync (runner, return_pointer, "dropped", NULL, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (async_runner_run_sync (runner, return_int, GINT_TO_POINTER (3), NULL, NULL, &error));
  g_assert_no_error (error);
}

/* A task's error is the call's, with or without a value location. */
static void
test_run_sync_error (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_false (async_runner_run_sync (runner, return_error, "no value", NULL, NULL, &error));
  g_assert_error (error, TEST_ERROR, TEST_ERROR_BROKEN);
  g_assert_cmpstr (error->message, ==, "Broken on purpose: no value");
  g_clear_error (&error);

  g_assert_false (async_runner_run_sync (runner, return_error, "with value", NULL, &value, &error));
  g_assert_error (error, TEST_ERROR, TEST_ERROR_BROKEN);
  g_assert_cmpstr (error->message, ==, "Broken on purpose: with value");
  assert_failed_value (&value);
  g_clear_error (&error);

  /* A NULL error location is fine. */
  g_assert_false (async_runner_run_sync (runner, return_error, "ignored", NULL, NULL, NULL));
}

/* A task completed later, from a timeout or an idle, completes the call. */
static void
test_run_sync_complete_later (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  /* From a timeout source on the runner context... */
  g_assert_true (async_runner_run_sync (runner, return_int_later, GINT_TO_POINTER (20),
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 1020);
  g_value_unset (&value);

  /* ...and from an idle source. */
  g_assert_true (async_runner_run_sync (runner, return_int_later, GINT_TO_POINTER (0),
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 1000);
  g_value_unset (&value);
}

#define CALLS_PER_THREAD 100

typedef struct
{
  AsyncRunner *runner;
  int          id;
  guint        ok;
} Caller;

static gpointer
caller_thread (gpointer data)
{
  Caller *caller = data;
  int i;

  for (i = 0; i < CALLS_PER_THREAD; i++)
    {
      g_autoptr(GError) error = NULL;
      int expected = caller->id * 1000 + i;

      if (i % 3 == 2)
        {
          g_autoptr(GAsyncResult) result = NULL;
          AddArgs args = { caller->id * 1000, i, FALSE };

          result = async_runner_call_sync (caller->runner, start_fake_add, &args, NULL, &error);
          g_assert_no_error (error);
          g_assert_cmpint (fake_add_finish (result, &error), ==, expected);
          g_assert_no_error (error);
        }
      else
        {
          GValue value = G_VALUE_INIT;

          g_assert_true (async_runner_run_sync (caller->runner,
                                                i % 3 == 0 ? return_int : return_int_idle,
                                                GINT_TO_POINTER (expected),
                                                NULL, &value, &error));
          g_assert_no_error (error);
          g_assert_cmpint (g_value_get_int (&value), ==, expected);
          g_value_unset (&value);
        }

      caller->ok++;
    }

  return NULL;
}

/* Threads calling one runner at once, both ways, each get their own results. */
static void
test_many_threads (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  Caller callers[N_THREADS];
  GThread *threads[N_THREADS];
  int i;

  for (i = 0; i < N_THREADS; i++)
    {
      callers[i].runner = runner;
      callers[i].id = i + 1;
      callers[i].ok = 0;
      threads[i] = g_thread_new ("caller", caller_thread, &callers[i]);
    }

  for (i = 0; i < N_THREADS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (callers[i].ok, ==, CALLS_PER_THREAD);
    }
}

typedef struct
{
  AsyncRunner *runner;
  GMainLoop   *loop;
  gboolean     canary_fired;
  gboolean     fired_during_call;
  gboolean     call_ok;
  int          value;
  gboolean     called;
} LoopCaller;

static gboolean
canary_cb (gpointer user_data)
{
  LoopCaller *lc = user_data;

  lc->canary_fired = TRUE;
  if (lc->called)
    g_main_loop_quit (lc->loop);

  return G_SOURCE_REMOVE;
}

static gboolean
call_from_loop_cb (gpointer user_data)
{
  LoopCaller *lc = user_data;
  GMainContext *context = g_main_loop_get_context (lc->loop);
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  /* Sources of the caller's context that are ready during the call. */
  attach_source (context, 0, canary_cb, lc, NULL);
  attach_source (context, 1, canary_cb, lc, NULL);

  /* The operation takes a while: it completes from a timeout source on
   * the runner context. */
  lc->call_ok = async_runner_run_sync (lc->runner, return_int_later, GINT_TO_POINTER (30),
                                       NULL, &value, &error);
  lc->fired_during_call = lc->canary_fired;
  g_assert_no_error (error);
  lc->value = g_value_get_int (&value);
  g_value_unset (&value);
  lc->called = TRUE;

  /* The canaries ran too early: nothing else would quit the loop. */
  if (lc->canary_fired)
    g_main_loop_quit (lc->loop);

  return G_SOURCE_REMOVE;
}

static void
run_loop_caller (AsyncRunner  *runner,
                 GMainContext *context)
{
  LoopCaller lc = { 0 };

  lc.runner = runner;
  lc.loop = g_main_loop_new (context, FALSE);
  attach_source (context, 0, call_from_loop_cb, &lc, NULL);
  g_main_loop_run (lc.loop);
  g_main_loop_unref (lc.loop);

  g_assert_true (lc.call_ok);
  g_assert_cmpint (lc.value, ==, 1030);
  g_assert_false (lc.fired_during_call);
  g_assert_true (lc.canary_fired);
}

static gpointer
loop_caller_thread (gpointer data)
{
  GMainContext *context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  run_loop_caller (data, context);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  return NULL;
}

/* The caller's own main context is not iterated while it waits. */
static void
test_caller_loop_not_dispatched (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  GThread *thread;

  /* The main thread running the global default context, as a GTK
   * application does... */
  run_loop_caller (runner, g_main_context_default ());

  /* ...and a worker thread with a thread-default context of its own. */
  thread = g_thread_new ("loop-caller", loop_caller_thread, runner);
  g_thread_join (thread);
}

static void
quick_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  task_return_int (task, GPOINTER_TO_INT (task_data));
}

static gboolean
run_in_thread_sync (AsyncRunner *runner,
                    GTask       *task,
                    gpointer     user_data)
{
  g_task_set_task_data (task, user_data, NULL);
  g_task_run_in_thread_sync (task, quick_worker);
  return TRUE;
}

static void
quick_error_worker (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Not here");
}

static gboolean
run_in_thread_sync_error (AsyncRunner *runner,
                          GTask       *task,
                          gpointer     user_data)
{
  g_task_run_in_thread_sync (task, quick_error_worker);
  return TRUE;
}

static gboolean
nested_run_in_thread_sync (AsyncRunner *runner,
                           GTask       *task,
                           gpointer     user_data)
{
  GValue value = G_VALUE_INIT;
  gint n = -1;

  if (async_runner_run_sync (runner, run_in_thread_sync, user_data, NULL, &value, NULL))
    n = g_value_get_int (&value);
  g_value_unset (&value);
  task_return_int (task, n);
  return TRUE;
}

/* A task completed by g_task_run_in_thread_sync() completes the call. */
static void
test_run_in_thread_sync (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  /* A function that completes its task with g_task_run_in_thread_sync()
   * (whose callback GLib never invokes) gets the task's outcome, and no
   * critical is raised (criticals are fatal in tests). */
  g_assert_true (async_runner_run_sync (runner, run_in_thread_sync, GINT_TO_POINTER (11),
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 11);
  g_value_unset (&value);

  g_assert_true (async_runner_run_sync (runner, run_in_thread_sync, GINT_TO_POINTER (12),
                                        NULL, NULL, &error));
  g_assert_no_error (error);

  g_assert_false (async_runner_run_sync (runner, run_in_thread_sync_error, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Nested, on the runner thread. */
  g_assert_true (async_runner_run_sync (runner, nested_run_in_thread_sync, GINT_TO_POINTER (13),
                                        NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 13);
  g_value_unset (&value);
}

static gboolean
func_return_int (AsyncRunner *runner,
                 GTask       *task,
                 gpointer     user_data)
{
  g_task_return_int (task, 7);
  return TRUE;
}

static gboolean
func_return_pointer (AsyncRunner *runner,
                     GTask       *task,
                     gpointer     user_data)
{
  g_task_return_pointer (task, g_strdup ("text"), g_free);
  return TRUE;
}

static gboolean
func_return_object (AsyncRunner *runner,
                    GTask       *task,
                    gpointer     user_data)
{
  g_task_return_pointer (task, g_cancellable_new (), g_object_unref);
  return TRUE;
}

static gboolean
func_return_value (AsyncRunner *runner,
                   GTask       *task,
                   gpointer     user_data)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_static_string (&value, "value");
  g_task_return_value (task, &value);
  g_value_unset (&value);
  return TRUE;
}

static gboolean
func_return_error (AsyncRunner *runner,
                   GTask       *task,
                   gpointer     user_data)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "own error");
  return TRUE;
}

static const struct
{
  const char      *what;
  AsyncRunnerFunc  func;
  gint             code;   /* -1: success */
} value_cases[] = {
  { "boolean", return_true, G_IO_ERROR_INVALID_DATA },
  { "int", func_return_int, G_IO_ERROR_INVALID_DATA },
  { "pointer", func_return_pointer, G_IO_ERROR_INVALID_DATA },
  { "object", func_return_object, G_IO_ERROR_INVALID_DATA },
  { "error", func_return_error, G_IO_ERROR_NOT_FOUND },
  { "value", func_return_value, -1 },
};

/* A value asked for, a task completed otherwise: GLib's critical, INVALID_DATA, no leak. */
static void
test_value_kinds (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();

  /* A value asked for, a task completed otherwise: GLib's own critical for
   * that misuse (the library reads nothing of GTask but its API), then
   * G_IO_ERROR_INVALID_DATA saying what to do, without leaking what the
   * task was completed with (memcheck and ASan see that). */
  for (guint round = 0; round < 2; round++)
    for (guint i = 0; i < G_N_ELEMENTS (value_cases); i++)
      {
        g_autoptr(GError) error = NULL;
        GValue value = G_VALUE_INIT;
        gboolean ok;

        g_test_message ("completed with %s", value_cases[i].what);
        if (value_cases[i].code == G_IO_ERROR_INVALID_DATA)
          g_test_expect_message ("GLib-GIO", G_LOG_LEVEL_CRITICAL, "*g_task_propagate_value*");
        ok = async_runner_run_sync (runner, value_cases[i].func, NULL, NULL, &value, &error);
        g_test_assert_expected_messages ();
        if (value_cases[i].code < 0)
          {
            g_assert_no_error (error);
            g_assert_true (ok);
            g_assert_cmpstr (g_value_get_string (&value), ==, "value");
          }
        else
          {
            g_assert_false (ok);
            g_assert_error (error, G_IO_ERROR, value_cases[i].code);
            if (value_cases[i].code == G_IO_ERROR_INVALID_DATA)
              g_assert_nonnull (strstr (error->message, "g_task_return_value()"));
          }
        g_value_unset (&value);

        /* Without a value, anything will do. */
        g_clear_error (&error);
        ok = async_runner_run_sync (runner, value_cases[i].func, NULL, NULL, NULL, &error);
        g_assert_true (ok == (value_cases[i].code != G_IO_ERROR_NOT_FOUND));
      }
}

/* A result of its own memory (memcheck and ASan see a second free), which
 * counts its frees in @destroyed. */
static gpointer
counted_new (gint *destroyed)
{
  gint **counted = g_new (gint *, 1);

  *counted = destroyed;
  return counted;
}

static void
counted_free (gpointer data)
{
  gint **counted = data;

  g_atomic_int_inc (*counted);
  g_free (counted);
}

/* Completes its task with a pointer whose destroy function counts. */
static gboolean
func_return_counted_pointer (AsyncRunner *runner,
                             GTask       *task,
                             gpointer     destroyed)
{
  g_task_return_pointer (task, counted_new (destroyed), counted_free);
  return TRUE;
}

/* Completes its task later, from an idle on the runner's context. */
static gboolean
return_counted_idle (gpointer task)
{
  g_task_return_pointer (task, counted_new (g_task_get_task_data (task)), counted_free);
  return G_SOURCE_REMOVE;
}

static gboolean
func_return_counted_pointer_later (AsyncRunner *runner,
                                   GTask       *task,
                                   gpointer     destroyed)
{
  g_task_set_task_data (task, destroyed, NULL);
  g_main_context_invoke_full (g_main_context_get_thread_default (), G_PRIORITY_DEFAULT,
                              return_counted_idle, g_object_ref (task), g_object_unref);
  return TRUE;
}

/* A pointer result with a destroy function, value asked for: freed once, at once or later. */
static void
test_pointer_result_freed_once (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  AsyncRunnerFunc funcs[] = { func_return_counted_pointer, func_return_counted_pointer_later };

  /* GLib's critical, the call fails, and the destroy function runs once,
   * when the task is finalized (after the call returned, maybe: waited for). */
  for (guint i = 0; i < G_N_ELEMENTS (funcs); i++)
    {
      g_autoptr(GError) error = NULL;
      GValue value = G_VALUE_INIT;
      gint destroyed = 0;

      g_test_expect_message ("GLib-GIO", G_LOG_LEVEL_CRITICAL, "*g_task_propagate_value*");
      g_assert_false (async_runner_run_sync (runner, funcs[i], &destroyed, NULL, &value, &error));
      g_test_assert_expected_messages ();
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_value_unset (&value);
      g_assert_true (wait_for_flag (&destroyed, 10000));
      barrier (runner);
      g_assert_cmpint (g_atomic_int_get (&destroyed), ==, 1);
    }
}

static const TestCase tests[] = {
  { "/run-sync/on-runner-thread", test_run_sync_on_runner_thread },
  { "/run-sync/value", test_run_sync_value },
  { "/run-sync/no-value", test_run_sync_no_value },
  { "/run-sync/error", test_run_sync_error },
  { "/run-sync/complete-later", test_run_sync_complete_later },
  { "/run-sync/many-threads", test_many_threads },
  { "/run-sync/caller-loop-not-dispatched", test_caller_loop_not_dispatched },
  { "/run-sync/run-in-thread-sync", test_run_in_thread_sync },
  { "/run-sync/value-kinds", test_value_kinds },
  { "/run-sync/pointer-result-freed-once", test_pointer_result_freed_once },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
