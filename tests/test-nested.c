/* test-nested.c: calls made on the runner thread, by a function or a source
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"

typedef struct
{
  gboolean  run_sync_ok;
  int       run_sync_value;
  gboolean  call_sync_ok;
  int       call_sync_value;
  GError   *error;
  Flag      done;
} NestedResult;

static void
nested_calls (AsyncRunner  *runner,
              NestedResult *nested)
{
  g_autoptr(GAsyncResult) result = NULL;
  GValue value = G_VALUE_INIT;
  AddArgs args = { 20, 3, FALSE };

  g_assert_true (async_runner_is_runner_thread (runner));

  nested->run_sync_ok = async_runner_run_sync (runner, return_int_later, GINT_TO_POINTER (5),
                                               NULL, &value, &nested->error);
  if (nested->run_sync_ok)
    {
      nested->run_sync_value = g_value_get_int (&value);
      g_value_unset (&value);
    }

  result = async_runner_call_sync (runner, start_fake_add, &args, NULL, &nested->error);
  if (result != NULL)
    {
      nested->call_sync_value = fake_add_finish (result, &nested->error);
      nested->call_sync_ok = nested->error == NULL;
    }
}

static gboolean
nested_func (AsyncRunner *runner,
             GTask       *task,
             gpointer     user_data)
{
  nested_calls (runner, user_data);
  g_task_return_boolean (task, TRUE);

  return TRUE;
}

static void
check_nested_result (NestedResult *nested)
{
  g_assert_no_error (nested->error);
  g_assert_true (nested->run_sync_ok);
  g_assert_cmpint (nested->run_sync_value, ==, 1005);
  g_assert_true (nested->call_sync_ok);
  g_assert_cmpint (nested->call_sync_value, ==, 23);
}

/* run_sync() and call_sync() work from a function on the runner thread. */
static void
test_nested_in_func (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  NestedResult nested = { 0 };

  g_assert_true (async_runner_run_sync (runner, nested_func, &nested, NULL, NULL, &error));
  g_assert_no_error (error);
  check_nested_result (&nested);
}

typedef struct
{
  AsyncRunner  *runner;
  NestedResult  nested;
} NestedSource;

static gboolean
nested_source_cb (gpointer user_data)
{
  NestedSource *ns = user_data;

  nested_calls (ns->runner, &ns->nested);
  flag_set (&ns->nested.done);

  return G_SOURCE_REMOVE;
}

/* run_sync() and call_sync() work from a source on the runner thread. */
static void
test_nested_in_callback (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  NestedSource ns = { 0 };

  ns.runner = runner;
  flag_init (&ns.nested.done);
  attach_source (async_runner_get_context (runner), 0, nested_source_cb, &ns, NULL);
  flag_wait (&ns.nested.done);
  check_nested_result (&ns.nested);
  flag_clear (&ns.nested.done);
}

typedef struct
{
  Held      held;
  gboolean  ok;
  GError   *error;
  gboolean  cancelled_on_return;
  gboolean  after_ok;
} NestedTimeout;

static gboolean
nested_timeout_func (AsyncRunner *runner,
                     GTask       *task,
                     gpointer     user_data)
{
  NestedTimeout *nt = user_data;
  g_autoptr(GTask) held_task = NULL;

  /* The limit applies to calls that start from now on: not to this one. */
  async_runner_set_timeout (runner, 50);
  nt->ok = async_runner_run_sync (runner, hold_task, &nt->held, NULL, NULL, &nt->error);
  async_runner_set_timeout (runner, 0);

  nt->cancelled_on_return = g_cancellable_is_cancelled (nt->held.op_cancellable);

  /* Complete the held task now: its result is dropped. */
  held_task = g_steal_pointer (&nt->held.task);
  g_task_return_pointer (held_task, &nt->held, held_result_freed);

  /* And the runner is still usable from here. */
  nt->after_ok = async_runner_run_sync (runner, return_true, NULL, NULL, NULL, NULL);

  g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* A nested call times out by itself; the runner is still usable after. */
static void
test_nested_timeout (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  NestedTimeout nt = { 0 };

  held_init (&nt.held);
  g_assert_true (async_runner_run_sync (runner, nested_timeout_func, &nt, NULL, NULL, &error));
  g_assert_no_error (error);

  g_assert_false (nt.ok);
  g_assert_error (nt.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_true (nt.held.on_runner_thread);
  g_assert_true (nt.cancelled_on_return);
  g_assert_true (nt.after_ok);
  flag_wait (&nt.held.freed);

  g_clear_error (&nt.error);
  held_clear (&nt.held);
}

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

  g_assert_true (async_runner_run_sync (deep.runner, return_int, GINT_TO_POINTER (99),
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

DEFINE_START_FROM_FUNC (deep_start, deep_func)

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

/* Calls nested 3 deep, both ways, complete; other threads' calls are served. */
static void
test_reentrant_3_deep (void)
{
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

/* Each of 3 nested calls times out at its own deadline. */
static void
test_reentrant_3_deep_timeout (void)
{
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

typedef struct
{
  AsyncRunner *runner;
  GMainContext *private_context;
  AsyncRunnerFunc inner;          /* what the nested call runs */
  gint          nested_value;
  GError       *nested_error;
  gboolean      inner_context_ok;
  gint          other_value;     /* written by the other thread */
  GError       *other_error;
} Foreign;

static gboolean
return_int_checking_context (AsyncRunner *runner,
                             GTask       *task,
                             gpointer     user_data)
{
  Foreign *f = user_data;

  f->inner_context_ok = g_main_context_get_thread_default () == async_runner_get_context (runner) &&
                        g_task_get_context (task) == async_runner_get_context (runner);
  task_return_int (task, 5);
  return TRUE;
}

/* A library's own sync wrapper on the runner thread: a private context,
 * pushed, around a nested call of @f->inner. */
static gboolean
nested_under_private_context (AsyncRunner *runner,
                              GTask       *task,
                              gpointer     user_data)
{
  Foreign *f = user_data;
  GValue value = G_VALUE_INIT;

  g_main_context_push_thread_default (f->private_context);
  if (async_runner_run_sync (runner, f->inner, f, NULL, &value, &f->nested_error))
    f->nested_value = g_value_get_int (&value);
  g_value_unset (&value);
  g_main_context_pop_thread_default (f->private_context);

  g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* A nested call under a pushed private context runs in the runner's. */
static void
test_nested_private_context (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  Foreign f = { runner, g_main_context_new (), return_int_checking_context, 0, NULL, FALSE, 0, NULL };

  /* A call made on the runner thread while a private context is
   * thread-default runs its function with the runner's context pushed, and
   * completes. */

  /* Without the fix the nested call hangs: the timeout turns that into
   * a failure. */
  async_runner_set_timeout (runner, HANG_TIMEOUT_MS);

  g_assert_true (async_runner_run_sync (runner, nested_under_private_context, &f, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_no_error (f.nested_error);
  g_assert_cmpint (f.nested_value, ==, 5);
  g_assert_true (f.inner_context_ok);

  g_main_context_unref (f.private_context);
}

static gpointer
other_thread_call (gpointer data)
{
  GTask *task = data;   /* the nested call's task, owned */
  Foreign *f = g_task_get_task_data (task);

  f->other_value = run_int (f->runner, 6, &f->other_error);
  task_return_int (task, 7);
  g_object_unref (task);

  return NULL;
}

static gboolean
complete_from_other_thread (AsyncRunner *runner,
                            GTask       *task,
                            gpointer     user_data)
{
  /* Completed by a thread that first makes a call of its own, submitted
   * while the runner thread waits in the nested call. */
  g_task_set_task_data (task, user_data, NULL);
  g_thread_unref (g_thread_new ("other", other_thread_call, g_object_ref (task)));
  return TRUE;
}

/* Other threads' calls made meanwhile run in the runner's context too. */
static void
test_nested_private_context_others (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  Foreign f = { runner, g_main_context_new (), complete_from_other_thread, 0, NULL, FALSE, 0, NULL };

  /* Calls that other threads submit while the runner thread waits in such
   * a nested call are prepared under the runner's context, and complete. */
  async_runner_set_timeout (runner, HANG_TIMEOUT_MS);

  g_assert_true (async_runner_run_sync (runner, nested_under_private_context, &f, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_no_error (f.nested_error);
  g_assert_cmpint (f.nested_value, ==, 7);
  /* The nested call returned after the other thread's call did. */
  g_assert_no_error (f.other_error);
  g_assert_cmpint (f.other_value, ==, 6);

  g_main_context_unref (f.private_context);
}

static const TestCase tests[] = {
  { "/nested/in-func", test_nested_in_func },
  { "/nested/in-callback", test_nested_in_callback },
  { "/nested/timeout", test_nested_timeout },
  { "/nested/3-deep", test_reentrant_3_deep },
  { "/nested/3-deep-timeout", test_reentrant_3_deep_timeout },
  { "/nested/private-context", test_nested_private_context },
  { "/nested/private-context-others", test_nested_private_context_others },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
