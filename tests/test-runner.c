/* test-runner.c: the core behaviour of AsyncRunner
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <glib/gstdio.h>

#include <async-runner.h>

#include "test-util.h"

/* No test may take longer than this; the watchdog aborts the process
 * instead of letting it hang. */
#define WATCHDOG_LIMIT_S 60

/* How long a test waits for something that must happen. */
#define WAIT_LIMIT_S 30

#define N_THREADS 8

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

typedef enum
{
  TEST_ERROR_BROKEN = 7,
  TEST_ERROR_NEGATIVE,
} TestError;

#define TEST_ERROR (test_error_quark ())

static GQuark
test_error_quark (void)
{
  return g_quark_from_static_string ("async-runner-test-error-quark");
}

/* Something that happens once, on any thread, that a test waits for. */
typedef struct
{
  GMutex mutex;
  GCond  cond;
  gint   count;   /* protected by @mutex */
} Flag;

static void
flag_init (Flag *flag)
{
  g_mutex_init (&flag->mutex);
  g_cond_init (&flag->cond);
  flag->count = 0;
}

static void
flag_clear (Flag *flag)
{
  g_cond_clear (&flag->cond);
  g_mutex_clear (&flag->mutex);
}

static void
flag_set (Flag *flag)
{
  g_mutex_lock (&flag->mutex);
  flag->count++;
  g_cond_broadcast (&flag->cond);
  g_mutex_unlock (&flag->mutex);
}

static gint
flag_count (Flag *flag)
{
  gint count;

  g_mutex_lock (&flag->mutex);
  count = flag->count;
  g_mutex_unlock (&flag->mutex);

  return count;
}

static gboolean
flag_is_set (Flag *flag)
{
  return flag_count (flag) > 0;
}

/* Waits until @flag was set @count times, failing the test past the
 * limit. */
static void
flag_wait_count (Flag *flag,
                 gint  count)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_LIMIT_S * G_TIME_SPAN_SECOND;
  gboolean reached;

  g_mutex_lock (&flag->mutex);
  while (flag->count < count)
    if (!g_cond_wait_until (&flag->cond, &flag->mutex, deadline))
      break;
  reached = flag->count >= count;
  g_mutex_unlock (&flag->mutex);

  g_assert_true (reached);
}

static void
flag_wait (Flag *flag)
{
  flag_wait_count (flag, 1);
}

static void
flag_set_notify (gpointer data)
{
  flag_set (data);
}

static gboolean
never_cb (gpointer user_data)
{
  g_assert_not_reached ();
  return G_SOURCE_REMOVE;
}

/* Sets @flag when @runner's context is freed, which happens when its
 * thread has ended and nothing holds it any more. */
static void
watch_context_freed (AsyncRunner *runner,
                     Flag        *flag)
{
  GSource *source = g_timeout_source_new_seconds (3600);

  g_source_set_callback (source, never_cb, flag, flag_set_notify);
  g_source_attach (source, async_runner_get_context (runner));
  g_source_unref (source);
}

/* After a failed call, @value holds the boolean FALSE (so that bindings
 * can convert it) and must be unset before it is used again. */
static void
assert_failed_value (GValue *value)
{
  g_assert_true (G_VALUE_HOLDS_BOOLEAN (value));
  g_assert_false (g_value_get_boolean (value));
  g_value_unset (value);
}

/* A call that completes at once, on the runner thread, to wait until
 * every call submitted before it was run. */
static gboolean
return_true (AsyncRunner *runner,
             GTask       *task,
             gpointer     user_data)
{
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static void
barrier (AsyncRunner *runner)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (async_runner_run_sync (runner, return_true, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------ */
/* Operations used by the tests                                         */
/* ------------------------------------------------------------------ */

typedef struct
{
  GThread      *thread;
  gboolean      is_runner_thread;
  gboolean      context_is_runner_context;
  GMainContext *context;
} WhereInfo;

static gboolean
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

static gboolean
return_int (AsyncRunner *runner,
            GTask       *task,
            gpointer     user_data)
{
  g_assert_true (async_runner_is_runner_thread (runner));
  task_return_int (task, GPOINTER_TO_INT (user_data));

  return TRUE;
}

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

static gboolean
return_int_later_cb (gpointer user_data)
{
  GTask *task = user_data;

  task_return_int (task, GPOINTER_TO_INT (g_task_get_task_data (task)));

  return G_SOURCE_REMOVE;
}

/* Completes the task from a timeout source (user_data > 0: its delay
 * in ms) or an idle source (0) on the runner context. */
static gboolean
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
static gboolean
return_int_idle (AsyncRunner *runner,
                 GTask       *task,
                 gpointer     user_data)
{
  g_task_set_task_data (task, user_data, NULL);
  attach_source (g_main_context_get_thread_default (), 0,
                 return_int_later_cb, g_object_ref (task), g_object_unref);

  return TRUE;
}

/* A fake GIO-style asynchronous operation: adds two numbers, failing
 * for a negative @b, completing from an idle source. */
static void
fake_add_async (int                  a,
                int                  b,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data);

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

static void
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

static int
fake_add_finish (GAsyncResult  *result,
                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fake_add_async, -1);

  return (int) g_task_propagate_int (G_TASK (result), error);
}

typedef struct
{
  int      a;
  int      b;
  gboolean on_runner_thread;
} AddArgs;

static gboolean
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

static gboolean
start_load_contents (AsyncRunner         *runner,
                     gpointer             user_data,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             callback_data)
{
  g_assert_true (async_runner_is_runner_thread (runner));
  g_file_load_contents_async (G_FILE (user_data), cancellable, callback, callback_data);

  return TRUE;
}

/* An operation that holds its task (or, for call_sync, its own GTask)
 * and ignores cancellation until the test releases it. */
typedef struct
{
  Flag          started;          /* the operation was started */
  Flag          freed;            /* its late result was freed */
  GTask        *task;             /* runner thread only, once started */
  GCancellable *op_cancellable;   /* the operation's cancellable */
  gboolean      on_runner_thread;
  gboolean      until_cancelled;  /* completes itself once cancelled */
} Held;

static void
held_init (Held *held)
{
  memset (held, 0, sizeof *held);
  flag_init (&held->started);
  flag_init (&held->freed);
}

static void
held_clear (Held *held)
{
  g_assert_null (held->task);
  g_clear_object (&held->op_cancellable);
  flag_clear (&held->started);
  flag_clear (&held->freed);
}

/* The destroy notify of the held task's result: called when the task
 * is finalized with a result that nobody took. */
static void
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

static gboolean
hold_task (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  held_start (user_data, runner, task, g_task_get_cancellable (task));
  return TRUE;
}

static gboolean
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
static void
held_release (Held        *held,
              AsyncRunner *runner)
{
  attach_source (async_runner_get_context (runner), 5, held_complete_cb, held, NULL);
  flag_wait (&held->freed);
}

typedef struct
{
  AsyncRunner   *runner;
  Held          *held;
  gboolean       use_call_sync;
  GCancellable  *cancellable;
  gboolean       ok;
  GError        *error;
  Flag           done;
} HeldCall;

static void
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

static void
held_call_clear (HeldCall *hc)
{
  g_clear_error (&hc->error);
  flag_clear (&hc->done);
}

/* Makes the held call, on whatever thread runs it. */
static gpointer
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

/* ------------------------------------------------------------------ */
/* 1. run_sync                                                          */
/* ------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------ */
/* 2. call_sync                                                         */
/* ------------------------------------------------------------------ */

static void
test_call_sync_load_contents (void)
{
  static const char data[] = "Some contents\nof a temporary file\n";
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  int fd;

  fd = g_file_open_tmp ("async-runner-test-XXXXXX", &path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_close (fd, NULL);
  g_file_set_contents (path, data, -1, &error);
  g_assert_no_error (error);

  file = g_file_new_for_path (path);
  result = async_runner_call_sync (runner, start_load_contents, file, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (G_IS_ASYNC_RESULT (result));

  /* _finish on the calling thread. */
  g_assert_true (g_file_load_contents_finish (file, result, &contents, &length, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (contents, length, data, sizeof data - 1);

  g_unlink (path);
}

static void
test_call_sync_not_found (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;

  dir = g_dir_make_tmp ("async-runner-test-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "does-not-exist", NULL);
  file = g_file_new_for_path (path);

  /* The call itself succeeds: the error belongs to the operation. */
  result = async_runner_call_sync (runner, start_load_contents, file, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);

  g_assert_false (g_file_load_contents_finish (file, result, &contents, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (contents);

  g_rmdir (dir);
}

static void
test_call_sync_fake_op (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  AddArgs args = { 40, 2, FALSE };
  GAsyncResult *result;

  result = async_runner_call_sync (runner, start_fake_add, &args, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (args.on_runner_thread);
  g_assert_cmpint (fake_add_finish (result, &error), ==, 42);
  g_assert_no_error (error);
  g_object_unref (result);

  args.b = -5;
  args.on_runner_thread = FALSE;
  result = async_runner_call_sync (runner, start_fake_add, &args, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (args.on_runner_thread);
  g_assert_cmpint (fake_add_finish (result, &error), ==, -1);
  g_assert_error (error, TEST_ERROR, TEST_ERROR_NEGATIVE);
  g_assert_cmpstr (error->message, ==, "Negative operand -5");
  g_object_unref (result);
}

/* ------------------------------------------------------------------ */
/* 3. Failing to start                                                  */
/* ------------------------------------------------------------------ */

static gboolean
return_false (AsyncRunner *runner,
              GTask       *task,
              gpointer     user_data)
{
  return FALSE;
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

static gboolean
drop_task (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  /* Neither kept nor completed. */
  return TRUE;
}

static gboolean
drop_task_later_cb (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

static gboolean
drop_task_later (AsyncRunner *runner,
                 GTask       *task,
                 gpointer     user_data)
{
  /* Kept by a source, then dropped without being completed. */
  attach_source (g_main_context_get_thread_default (), 10,
                 drop_task_later_cb, g_object_ref (task), g_object_unref);
  return TRUE;
}

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
test_func_drops_task (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_false (async_runner_run_sync (runner, drop_task, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);

  g_assert_false (async_runner_run_sync (runner, drop_task, NULL, NULL, &value, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  assert_failed_value (&value);
  g_clear_error (&error);

  /* Newer GLib complains about a task finalized without being returned. */
  if (glib_check_version (2, 76, 0) == NULL)
    g_test_expect_message ("GLib-GIO", G_LOG_LEVEL_CRITICAL, "*finalized without ever returning*");
  g_assert_false (async_runner_run_sync (runner, drop_task_later, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);
  g_test_assert_expected_messages ();
}

/* ------------------------------------------------------------------ */
/* 4. Cancellation                                                      */
/* ------------------------------------------------------------------ */

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

static void
test_cancel_from_other_thread (void)
{
  check_cancel_from_other_thread (FALSE);
}

static void
test_cancel_from_other_thread_call_sync (void)
{
  check_cancel_from_other_thread (TRUE);
}

static gboolean
set_flag_func (AsyncRunner *runner,
               GTask       *task,
               gpointer     user_data)
{
  gboolean *ran = user_data;

  *ran = TRUE;
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gboolean
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

/* ------------------------------------------------------------------ */
/* 5. Timeout                                                           */
/* ------------------------------------------------------------------ */

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  guint *count = user_data;

  g_assert_cmpstr (pspec->name, ==, "timeout");
  (*count)++;
}

static void
test_timeout_property (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  guint notified = 0;
  guint timeout = 1;

  g_assert_cmpuint (async_runner_get_timeout (runner), ==, 0);
  g_object_get (runner, "timeout", &timeout, NULL);
  g_assert_cmpuint (timeout, ==, 0);

  g_signal_connect (runner, "notify::timeout", G_CALLBACK (on_notify), &notified);

  async_runner_set_timeout (runner, 250);
  g_assert_cmpuint (async_runner_get_timeout (runner), ==, 250);
  g_assert_cmpuint (notified, ==, 1);

  /* No change, no notification. */
  async_runner_set_timeout (runner, 250);
  g_assert_cmpuint (notified, ==, 1);

  g_object_set (runner, "timeout", 1000, NULL);
  g_assert_cmpuint (async_runner_get_timeout (runner), ==, 1000);
  g_object_get (runner, "timeout", &timeout, NULL);
  g_assert_cmpuint (timeout, ==, 1000);
  g_assert_cmpuint (notified, ==, 2);

  async_runner_set_timeout (runner, 0);
  g_assert_cmpuint (async_runner_get_timeout (runner), ==, 0);
  g_assert_cmpuint (notified, ==, 3);
}

/* The call may time out before the runner thread ran the operation at
 * all (then it never runs): retry with longer limits until it ran. */
static void
check_timeout (gboolean use_call_sync)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  guint timeout_ms;

  for (timeout_ms = 50; ; timeout_ms *= 4)
    {
      gboolean started;
      HeldCall hc;
      Held held;

      g_assert_cmpuint (timeout_ms, <, 20000);

      held_init (&held);
      held_call_init (&hc, runner, &held, NULL);
      hc.use_call_sync = use_call_sync;

      async_runner_set_timeout (runner, timeout_ms);
      held_call_thread (&hc);
      async_runner_set_timeout (runner, 0);

      g_assert_false (hc.ok);
      g_assert_error (hc.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

      /* Either the operation had started and its cancellable was
       * cancelled before the call returned, or it never runs. */
      g_mutex_lock (&held.started.mutex);
      if (held.started.count > 0)
        g_assert_true (g_cancellable_is_cancelled (held.op_cancellable));
      g_mutex_unlock (&held.started.mutex);

      barrier (runner);
      started = flag_is_set (&held.started);
      if (started)
        {
          g_assert_true (g_cancellable_is_cancelled (held.op_cancellable));
          held_release (&held, runner);
        }
      else
        g_test_message ("The operation never started within %u ms", timeout_ms);

      held_call_clear (&hc);
      held_clear (&held);

      if (started)
        break;
    }

  /* A call that ends in time is not affected. */
  async_runner_set_timeout (runner, 60000);
  g_assert_true (async_runner_run_sync (runner, return_true, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_timeout (void)
{
  check_timeout (FALSE);
}

static void
test_timeout_call_sync (void)
{
  check_timeout (TRUE);
}

/* ------------------------------------------------------------------ */
/* 6. Calls made on the runner thread                                   */
/* ------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------ */
/* 7. Concurrency                                                       */
/* ------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------ */
/* 8. Lifecycle                                                         */
/* ------------------------------------------------------------------ */

typedef struct
{
  Flag        *go;
  AsyncRunner *runner;
} DefaultGetter;

static gpointer
get_default_thread (gpointer data)
{
  DefaultGetter *getter = data;

  flag_wait (getter->go);
  getter->runner = async_runner_get_default ();

  return NULL;
}

static void
test_get_default (void)
{
  DefaultGetter getters[N_THREADS];
  GThread *threads[N_THREADS];
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;
  AsyncRunner *runner;
  Flag go;
  int i;

  flag_init (&go);
  for (i = 0; i < N_THREADS; i++)
    {
      getters[i].go = &go;
      getters[i].runner = NULL;
      threads[i] = g_thread_new ("get-default", get_default_thread, &getters[i]);
    }
  flag_set (&go);
  for (i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);
  flag_clear (&go);

  runner = async_runner_get_default ();
  g_assert_true (ASYNC_IS_RUNNER (runner));
  for (i = 0; i < N_THREADS; i++)
    g_assert_true (getters[i].runner == runner);

  g_assert_true (async_runner_run_sync (runner, return_int, GINT_TO_POINTER (7), NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 7);
  g_value_unset (&value);

  g_assert_true (async_runner_get_default () == runner);
}

static void
test_new_independent (void)
{
  g_autoptr(AsyncRunner) a = async_runner_new ();
  g_autoptr(AsyncRunner) b = async_runner_new ();
  g_autoptr(GError) error = NULL;
  WhereInfo where_a = { 0 };
  WhereInfo where_b = { 0 };
  GThread *thread;
  HeldCall hc;
  Held held;

  g_assert_true (a != b);
  g_assert_true (a != async_runner_get_default ());
  g_assert_true (async_runner_get_context (a) != async_runner_get_context (b));

  g_assert_true (async_runner_run_sync (a, record_where, &where_a, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (async_runner_run_sync (b, record_where, &where_b, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (where_a.is_runner_thread);
  g_assert_true (where_b.is_runner_thread);
  g_assert_true (where_a.thread != where_b.thread);
  g_assert_true (where_a.context == async_runner_get_context (a));
  g_assert_true (where_b.context == async_runner_get_context (b));

  /* A call held on one runner does not hold up the other. */
  held_init (&held);
  held.until_cancelled = TRUE;
  held_call_init (&hc, a, &held, NULL);
  thread = g_thread_new ("held-call", held_call_thread, &hc);
  flag_wait (&held.started);

  g_assert_true (async_runner_run_sync (b, return_true, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* Shutting one down leaves the other alone. */
  async_runner_shutdown (a);
  g_thread_join (thread);
  g_assert_false (hc.ok);
  g_assert_error (hc.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  flag_wait (&held.freed);
  held_call_clear (&hc);
  held_clear (&held);

  g_assert_true (async_runner_run_sync (b, return_true, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_shutdown_idempotent (void)
{
  AsyncRunner *runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gboolean ran = FALSE;
  Flag freed;

  flag_init (&freed);
  watch_context_freed (runner, &freed);

  barrier (runner);
  async_runner_shutdown (runner);
  async_runner_shutdown (runner);

  g_assert_false (async_runner_run_sync (runner, set_flag_func, &ran, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  result = async_runner_call_sync (runner, start_set_flag, &ran, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_null (result);
  g_clear_error (&error);

  async_runner_shutdown (runner);
  g_assert_false (ran);

  /* Dispose shuts down once more; everything is freed. */
  g_object_unref (runner);
  flag_wait (&freed);
  flag_clear (&freed);
}

static void
test_shutdown_in_flight (void)
{
  AsyncRunner *runner = async_runner_new ();
  HeldCall calls[3];
  Held helds[3];
  GThread *threads[3];
  g_autoptr(GError) error = NULL;
  Flag freed;
  int i;

  flag_init (&freed);
  watch_context_freed (runner, &freed);

  for (i = 0; i < 3; i++)
    {
      held_init (&helds[i]);
      helds[i].until_cancelled = TRUE;
      held_call_init (&calls[i], runner, &helds[i], NULL);
      calls[i].use_call_sync = i == 1;
      threads[i] = g_thread_new ("held-call", held_call_thread, &calls[i]);
    }

  for (i = 0; i < 3; i++)
    flag_wait (&helds[i].started);

  async_runner_shutdown (runner);

  for (i = 0; i < 3; i++)
    {
      g_thread_join (threads[i]);
      g_assert_false (calls[i].ok);
      g_assert_error (calls[i].error, G_IO_ERROR, G_IO_ERROR_CLOSED);
      g_assert_true (g_cancellable_is_cancelled (helds[i].op_cancellable));
      /* The cancelled operations completed during the grace period. */
      flag_wait (&helds[i].freed);
      held_call_clear (&calls[i]);
      held_clear (&helds[i]);
    }

  g_assert_false (async_runner_run_sync (runner, return_true, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  g_object_unref (runner);
  flag_wait (&freed);
  flag_clear (&freed);
}

static void
test_dispose_idle (void)
{
  AsyncRunner *runner = async_runner_new ();
  Flag freed;

  flag_init (&freed);
  watch_context_freed (runner, &freed);
  barrier (runner);

  g_object_unref (runner);
  flag_wait (&freed);
  flag_clear (&freed);
}

static void
test_dispose_in_flight (void)
{
  AsyncRunner *runner = async_runner_new ();
  GThread *thread;
  HeldCall hc;
  Held held;
  Flag freed;

  flag_init (&freed);
  watch_context_freed (runner, &freed);

  held_init (&held);
  held.until_cancelled = TRUE;
  held_call_init (&hc, runner, &held, NULL);
  thread = g_thread_new ("held-call", held_call_thread, &hc);
  flag_wait (&held.started);

  /* The call was submitted: the thread no longer uses the runner
   * itself, only the call. Drop the last reference from here. */
  g_object_unref (runner);

  g_thread_join (thread);
  g_assert_false (hc.ok);
  g_assert_error (hc.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_true (g_cancellable_is_cancelled (held.op_cancellable));
  flag_wait (&held.freed);
  flag_wait (&freed);

  held_call_clear (&hc);
  held_clear (&held);
  flag_clear (&freed);
}

typedef struct
{
  GThread  *runner_thread;
  gboolean  disposed_on_runner_thread;
  Flag      disposed;
  Flag      context_freed;
} LastRef;

static void
last_ref_init (LastRef *lr)
{
  memset (lr, 0, sizeof *lr);
  flag_init (&lr->disposed);
  flag_init (&lr->context_freed);
}

static void
last_ref_clear (LastRef *lr)
{
  flag_clear (&lr->disposed);
  flag_clear (&lr->context_freed);
}

static void
on_runner_disposed (gpointer  data,
                    GObject  *where_the_object_was)
{
  LastRef *lr = data;

  lr->disposed_on_runner_thread = g_thread_self () == lr->runner_thread;
  flag_set (&lr->disposed);
}

static AsyncRunner *
last_ref_runner_new (LastRef *lr)
{
  AsyncRunner *runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  WhereInfo where = { 0 };

  g_assert_true (async_runner_run_sync (runner, record_where, &where, NULL, NULL, &error));
  g_assert_no_error (error);
  lr->runner_thread = where.thread;
  g_object_weak_ref (G_OBJECT (runner), on_runner_disposed, lr);
  watch_context_freed (runner, &lr->context_freed);

  return runner;
}

static gboolean
idle_noop_cb (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

static void
test_last_ref_in_source (void)
{
  GMainContext *context;
  AsyncRunner *runner;
  LastRef lr;

  last_ref_init (&lr);
  runner = last_ref_runner_new (&lr);
  context = async_runner_get_context (runner);

  /* The source's destroy notify, on the runner thread, drops the last
   * reference: the test gives its own away. */
  attach_source (context, 0, idle_noop_cb, g_steal_pointer (&runner), g_object_unref);

  flag_wait (&lr.disposed);
  g_assert_true (lr.disposed_on_runner_thread);
  /* The thread ended and freed its context. */
  flag_wait (&lr.context_freed);

  last_ref_clear (&lr);
}

static gboolean
drop_runner_func (AsyncRunner *runner,
                  GTask       *task,
                  gpointer     user_data)
{
  /* @user_data is the last reference, given to this function. */
  g_object_unref (user_data);

  /* The runner is gone and shutting down: the call gets this result or
   * G_IO_ERROR_CLOSED, but only one of them. */
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static void
test_last_ref_in_func (void)
{
  g_autoptr(GError) error = NULL;
  AsyncRunner *runner;
  gboolean ok;
  LastRef lr;

  last_ref_init (&lr);
  runner = last_ref_runner_new (&lr);

  /* The caller hands its only reference to the function and does not
   * use the runner once the call returns. */
  ok = async_runner_run_sync (runner, drop_runner_func, runner, NULL, NULL, &error);
  runner = NULL;
  if (ok)
    g_assert_no_error (error);
  else
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  flag_wait (&lr.disposed);
  g_assert_true (lr.disposed_on_runner_thread);
  flag_wait (&lr.context_freed);

  last_ref_clear (&lr);
}

/* ------------------------------------------------------------------ */
/* 9. Programmer errors                                                 */
/* ------------------------------------------------------------------ */

static void
test_programmer_errors (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();

  /* run_sync() and call_sync() with a NULL or bogus runner, function,
   * cancellable, value or error: /AsyncRunner/Edge/bad-input. */

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

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*ASYNC_IS_RUNNER*");
  async_runner_shutdown (NULL);
  g_test_assert_expected_messages ();

  /* The runner was not harmed. */
  barrier (runner);
}

/* ------------------------------------------------------------------ */

static const TestCase tests[] = {
  /* First: the race must be on the default runner's first use. */
  { "/AsyncRunner/Runner/get-default-race", test_get_default },

  { "/AsyncRunner/Runner/run-sync-on-runner-thread", test_run_sync_on_runner_thread },
  { "/AsyncRunner/Runner/run-sync-value", test_run_sync_value },
  { "/AsyncRunner/Runner/run-sync-no-value", test_run_sync_no_value },
  { "/AsyncRunner/Runner/run-sync-error", test_run_sync_error },
  { "/AsyncRunner/Runner/run-sync-complete-later", test_run_sync_complete_later },

  { "/AsyncRunner/Runner/call-sync-load-contents", test_call_sync_load_contents },
  { "/AsyncRunner/Runner/call-sync-not-found", test_call_sync_not_found },
  { "/AsyncRunner/Runner/call-sync-fake-op", test_call_sync_fake_op },

  { "/AsyncRunner/Runner/func-returns-false", test_func_returns_false },
  { "/AsyncRunner/Runner/func-drops-task", test_func_drops_task },

  { "/AsyncRunner/Runner/cancel-from-other-thread", test_cancel_from_other_thread },
  { "/AsyncRunner/Runner/cancel-from-other-thread-call-sync", test_cancel_from_other_thread_call_sync },
  { "/AsyncRunner/Runner/cancel-before", test_cancel_before },

  { "/AsyncRunner/Runner/timeout-property", test_timeout_property },
  { "/AsyncRunner/Runner/timeout", test_timeout },
  { "/AsyncRunner/Runner/timeout-call-sync", test_timeout_call_sync },

  { "/AsyncRunner/Runner/nested-in-func", test_nested_in_func },
  { "/AsyncRunner/Runner/nested-in-callback", test_nested_in_callback },
  { "/AsyncRunner/Runner/nested-timeout", test_nested_timeout },

  { "/AsyncRunner/Runner/many-threads", test_many_threads },
  { "/AsyncRunner/Runner/caller-loop-not-dispatched", test_caller_loop_not_dispatched },

  { "/AsyncRunner/Runner/new-independent", test_new_independent },
  { "/AsyncRunner/Runner/shutdown-idempotent", test_shutdown_idempotent },
  { "/AsyncRunner/Runner/shutdown-in-flight", test_shutdown_in_flight },
  { "/AsyncRunner/Runner/dispose-idle", test_dispose_idle },
  { "/AsyncRunner/Runner/dispose-in-flight", test_dispose_in_flight },
  { "/AsyncRunner/Runner/last-ref-in-source", test_last_ref_in_source },
  { "/AsyncRunner/Runner/last-ref-in-func", test_last_ref_in_func },

  { "/AsyncRunner/Runner/programmer-errors", test_programmer_errors },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), WATCHDOG_LIMIT_S);

  return g_test_run ();
}
