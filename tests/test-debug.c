/* test-debug.c: a stuck call explains itself; call names, per-call limits, debug messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built with export_dynamic, so that dladdr() finds this file's non-static
 * functions by name. Runs with G_MESSAGES_DEBUG=AsyncRunner (set in main()
 * before the first runner exists): the library's debug messages and stuck
 * reports are caught by a log handler here, never printed.
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"

/* ---- Catching the library's messages ---- */

static GMutex log_lock;
static GPtrArray *debug_messages;   /* protected by @log_lock */
static GPtrArray *stuck_reports;    /* protected by @log_lock */
static GArray *stuck_report_times;  /* protected by @log_lock: when each was logged */
static GCond log_cond;              /* with @log_lock: a report came */

static void
catch_message (const char     *log_domain,
               GLogLevelFlags  log_level,
               const char     *message,
               gpointer        user_data)
{
  g_mutex_lock (&log_lock);
  if (log_level & G_LOG_LEVEL_DEBUG)
    g_ptr_array_add (debug_messages, g_strdup (message));
  else
    {
      gint64 now = g_get_monotonic_time ();

      g_ptr_array_add (stuck_reports, g_strdup (message));
      g_array_append_val (stuck_report_times, now);
    }
  g_cond_broadcast (&log_cond);
  g_mutex_unlock (&log_lock);
}

/* The stuck report is a warning: caught, not fatal. Anything else stays
 * fatal. */
static gboolean
stuck_report_not_fatal (const char     *log_domain,
                        GLogLevelFlags  log_level,
                        const char     *message,
                        gpointer        user_data)
{
  return !(g_strcmp0 (log_domain, "AsyncRunner") == 0 &&
           (log_level & G_LOG_LEVEL_WARNING) != 0 &&
           strstr (message, "has waited") != NULL);
}

/* Also makes the stuck report non-fatal for the current test: GTest
 * resets the fatal handler at the start of each test. */
static void
clear_reports (void)
{
  g_test_log_set_fatal_handler (stuck_report_not_fatal, NULL);
  g_mutex_lock (&log_lock);
  g_ptr_array_set_size (stuck_reports, 0);
  g_array_set_size (stuck_report_times, 0);
  g_ptr_array_set_size (debug_messages, 0);
  g_mutex_unlock (&log_lock);
}

/* Waits (no time limit but the watchdog's) until a stuck report contains
 * every one of @needles, and returns it. */
static char *
wait_for_report (const char * const *needles)
{
  char *found = NULL;

  g_mutex_lock (&log_lock);
  while (found == NULL)
    {
      for (guint i = 0; i < stuck_reports->len && found == NULL; i++)
        {
          const char *report = g_ptr_array_index (stuck_reports, i);
          gboolean all = TRUE;

          for (guint j = 0; needles[j] != NULL; j++)
            all = all && strstr (report, needles[j]) != NULL;
          if (all)
            found = g_strdup (report);
        }
      if (found == NULL)
        g_cond_wait (&log_cond, &log_lock);
    }
  g_mutex_unlock (&log_lock);

  return found;
}

static gboolean
has_debug_message (const char *prefix)
{
  gboolean found = FALSE;

  g_mutex_lock (&log_lock);
  for (guint i = 0; i < debug_messages->len && !found; i++)
    found = g_str_has_prefix (g_ptr_array_index (debug_messages, i), prefix);
  g_mutex_unlock (&log_lock);

  return found;
}

/* ---- Functions the calls run ---- */

static gboolean
func_return_boolean (AsyncRunner *runner,
                     GTask       *task,
                     gpointer     user_data)
{
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* Exported (the test is linked with export_dynamic): found by its symbol. */
gboolean debug_start_nothing (AsyncRunner         *runner,
                              gpointer             user_data,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             callback_data);

/* Returns TRUE but starts nothing: the first hang recipe of issue 14. */
gboolean
debug_start_nothing (AsyncRunner         *runner,
                     gpointer             user_data,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             callback_data)
{
  return TRUE;
}

static gboolean
return_task_idle (gpointer user_data)
{
  GTask *task = user_data;

  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

/* The g_idle_add trap: the idle goes to the global default context, not
 * the runner's. */
static gboolean
func_idle_add (AsyncRunner *runner,
               GTask       *task,
               gpointer     user_data)
{
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, return_task_idle,
                   g_object_ref (task), g_object_unref);
  return TRUE;
}

/* Keeps the task until the call's cancellable is cancelled. */
static gboolean
func_hold (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  hold_until_cancelled (task, hold_return_cancelled);
  return TRUE;
}

/* Blocks the runner thread until the gate opens: a function that blocks. */
static gboolean
func_block (AsyncRunner *runner,
            GTask       *task,
            gpointer     user_data)
{
  gate_pass (user_data);
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* ---- Names, per-call limits, debug messages ---- */

/* A call's own time limit applies to it alone; 0 means the runner's. */
static void
test_per_call_timeout (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  async_runner_set_stuck_threshold (runner, 0);

  result = async_runner_call_sync_full (runner, "never", 50, debug_start_nothing,
                                        NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);

  g_assert_false (async_runner_run_sync_full (runner, "never either", 50, func_hold,
                                              NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);
  assert_holds_released ();

  /* 0: the runner's own timeout. */
  async_runner_set_timeout (runner, 50);
  result = async_runner_call_sync_full (runner, NULL, 0, debug_start_nothing, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);

  /* A call's own limit may be longer than the runner's. */
  g_assert_true (async_runner_run_sync_full (runner, "quick", G_MAXUINT, func_return_boolean,
                                             NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Each call's start and end are logged with its name, given or its symbol. */
static void
test_debug_messages (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  /* With G_MESSAGES_DEBUG=AsyncRunner each call's start and end are logged
   * with its name: the given one, else its function's symbol. */
  async_runner_set_stuck_threshold (runner, 0);
  clear_reports ();

  g_assert_true (async_runner_run_sync_full (runner, "load settings", 0, func_return_boolean,
                                             NULL, NULL, NULL, &error));
  g_assert_true (has_debug_message ("call load settings: started from thread"));
  g_assert_true (has_debug_message ("call load settings: ended after "));

  result = async_runner_call_sync_full (runner, NULL, 20, debug_start_nothing, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_true (has_debug_message ("call debug_start_nothing: started"));
  g_assert_true (has_debug_message ("call debug_start_nothing: ended after "));
  g_clear_error (&error);

  /* A static function has no symbol the dynamic linker knows: it is
   * named by where it lies, for addr2line. */
  g_assert_true (async_runner_run_sync (runner, func_return_boolean, NULL, NULL, NULL, &error));
  g_assert_true (has_debug_message ("call test-debug+0x"));
}

/* ---- The stuck-call report and the pending calls ---- */

typedef struct
{
  AsyncRunner  *runner;
  const char   *name;
  gboolean      with_function;   /* run_sync (func) rather than call_sync (start) */
  AsyncRunnerFunc func;
  gpointer      data;
  GCancellable *cancellable;
  GError       *error;
} Caller;

static gpointer
caller_thread (gpointer data)
{
  Caller *caller = data;

  if (caller->with_function)
    async_runner_run_sync_full (caller->runner, caller->name, 0, caller->func, caller->data,
                                caller->cancellable, NULL, &caller->error);
  else
    {
      GAsyncResult *result = async_runner_call_sync_full (caller->runner, caller->name, 0,
                                                          debug_start_nothing, NULL,
                                                          caller->cancellable, &caller->error);
      g_assert_null (result);
    }

  return NULL;
}

static GThread *
start_caller (Caller *caller)
{
  caller->cancellable = g_cancellable_new ();
  return g_thread_new ("stuck-caller", caller_thread, caller);
}

static void
end_caller (Caller  *caller,
            GThread *thread)
{
  g_cancellable_cancel (caller->cancellable);
  g_thread_join (thread);
  g_assert_error (caller->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&caller->error);
  g_clear_object (&caller->cancellable);
}

/* A start function that starts nothing: the report names the call and why. */
static void
test_stuck_started_nothing (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  Caller caller = { runner, NULL, FALSE };

  /* A start function that starts nothing: the report names the call (here
   * by its symbol), its thread, and says the runner is idle and why. The
   * report repeats; the call ends when the test has seen the right one. */
  const char *needles[] = { "Call debug_start_nothing,", "thread \"stuck-caller\"", "has waited",
                            "idle", "started nothing", NULL };
  g_autofree char *report = NULL;
  GThread *thread;

  async_runner_set_stuck_threshold (runner, 50);
  clear_reports ();
  thread = start_caller (&caller);
  report = wait_for_report (needles);
  g_test_message ("%s", report);
  end_caller (&caller, thread);
}

typedef struct
{
  const char * const *needles;
  GCancellable       *cancellable;
  char               *report;
} Watch;

/* Waits for the report, then cancels the call. */
static gpointer
cancel_on_report (gpointer data)
{
  Watch *watch = data;

  watch->report = wait_for_report (watch->needles);
  g_cancellable_cancel (watch->cancellable);

  return NULL;
}

/* Lets the idles that runner code added to the global default context run
 * (each returns the task of a call that has ended). */
static void
flush_default_context (void)
{
  GMainContext *global = g_main_context_default ();

  g_assert_true (g_main_context_acquire (global));
  while (g_main_context_iteration (global, FALSE))
    ;
  g_main_context_release (global);
}

/* The g_idle_add trap: the report says who owns the default context, and the fix. */
static void
test_stuck_idle_add (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  GMainContext *global = g_main_context_default ();

  /* The g_idle_add trap: runner code adds an idle to the global default
   * context, which the blocked caller owns (as a main thread running its
   * loop does) or does not. The report says which, with the fix. */
  const char *owned[] = { "Call idle trap,", "g_idle_add()", "owns the global default main context",
                          "g_main_context_invoke", NULL };
  const char *unowned[] = { "Call idle trap,", "g_idle_add()", "only if some thread iterates it",
                            NULL };
  Watch watch = { owned, NULL, NULL };
  Caller caller = { runner, "idle trap", TRUE, func_idle_add };
  g_autoptr(GError) error = NULL;
  g_autofree char *report = NULL;
  GThread *thread;

  async_runner_set_stuck_threshold (runner, 50);

  /* Owned by this thread, the caller. */
  g_assert_true (g_main_context_acquire (global));
  clear_reports ();
  watch.cancellable = g_cancellable_new ();
  thread = g_thread_new ("report-watcher", cancel_on_report, &watch);
  g_assert_false (async_runner_run_sync_full (runner, "idle trap", 0, func_idle_add, NULL,
                                              watch.cancellable, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_thread_join (thread);
  g_test_message ("%s", watch.report);
  g_free (watch.report);
  g_object_unref (watch.cancellable);
  g_main_context_release (global);
  flush_default_context ();

  /* Owned by nobody: the caller is another thread, and no thread runs
   * the default context's loop. */
  clear_reports ();
  thread = start_caller (&caller);
  report = wait_for_report (unowned);
  g_test_message ("%s", report);
  end_caller (&caller, thread);
  flush_default_context ();
}

/* A source on the global default context that records where its prepare() ran. */
typedef struct
{
  GSource    source;
  GMutex     lock;
  GPtrArray *threads;   /* protected by @lock: one per prepare() */
} WatchSource;

static gboolean
watch_prepare (GSource *source,
               gint    *timeout)
{
  WatchSource *watch = (WatchSource *) source;

  g_mutex_lock (&watch->lock);
  g_ptr_array_add (watch->threads, g_thread_self ());
  g_mutex_unlock (&watch->lock);
  *timeout = -1;

  return FALSE;
}

static void
watch_finalize (GSource *source)
{
  WatchSource *watch = (WatchSource *) source;

  g_ptr_array_unref (watch->threads);
  g_mutex_clear (&watch->lock);
}

static GSourceFuncs watch_funcs = { watch_prepare, NULL, NULL, watch_finalize, NULL, NULL };

static gpointer
idle_trap_thread (gpointer data)
{
  Caller *caller = data;

  caller->data = g_thread_self ();
  caller_thread (caller);

  return NULL;
}

/* The report runs nobody's prepare() on the blocked caller's thread, owner of the global context or not. */
static void
test_stuck_report_runs_no_prepare (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  GMainContext *global = g_main_context_default ();
  const char *unowned[] = { "Call unowned,", "g_idle_add()", NULL };
  const char *owned[] = { "Call owned,", "g_idle_add()", NULL };
  Caller caller = { runner, "unowned", TRUE, func_hold };
  Watch watch = { owned, NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *report = NULL;
  WatchSource *source;
  GThread *thread;

  /* A GTK or X11 source's prepare() runs only on the thread that iterates
   * its context: the report must never run it on the blocked caller's. */
  source = (WatchSource *) g_source_new (&watch_funcs, sizeof (WatchSource));
  g_mutex_init (&source->lock);
  source->threads = g_ptr_array_new ();
  g_source_attach (&source->source, global);
  async_runner_set_stuck_threshold (runner, 50);

  /* A caller that does not own the global default context. */
  clear_reports ();
  caller.cancellable = g_cancellable_new ();
  thread = g_thread_new ("stuck-caller", idle_trap_thread, &caller);
  report = wait_for_report (unowned);
  end_caller (&caller, thread);

  /* A caller that owns it, as a main thread running its loop does. */
  g_assert_true (g_main_context_acquire (global));
  clear_reports ();
  watch.cancellable = g_cancellable_new ();
  thread = g_thread_new ("report-watcher", cancel_on_report, &watch);
  g_assert_false (async_runner_run_sync_full (runner, "owned", 0, func_hold, NULL,
                                              watch.cancellable, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_thread_join (thread);
  g_free (watch.report);
  g_object_unref (watch.cancellable);
  g_main_context_release (global);

  g_mutex_lock (&source->lock);
  for (guint i = 0; i < source->threads->len; i++)
    {
      g_assert_true (g_ptr_array_index (source->threads, i) != caller.data);
      g_assert_true (g_ptr_array_index (source->threads, i) != g_thread_self ());
    }
  g_mutex_unlock (&source->lock);
  g_source_destroy (&source->source);
  g_source_unref (&source->source);
  assert_holds_released ();
}

/* A blocking function: its call is "still running", a call behind it "busy". */
static void
test_stuck_blocking_function (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  Gate gate;
  Caller blocked = { runner, "blocker", TRUE, func_block, &gate };
  Caller queued = { runner, "queued", FALSE };
  const char *running[] = { "Call blocker,", "still running", NULL };
  const char *behind[] = { "Call queued,", "not run yet", "busy", "the function of call blocker", NULL };
  g_autofree char *report1 = NULL;
  g_autofree char *report2 = NULL;
  GThread *blocked_thread;
  GThread *queued_thread;

  /* A function that blocks: its own call's report says it is still
   * running; a call queued behind it says the runner is busy with it. */
  gate_init (&gate);
  async_runner_set_stuck_threshold (runner, 50);
  clear_reports ();

  blocked_thread = start_caller (&blocked);
  report1 = wait_for_report (running);
  g_test_message ("%s", report1);
  queued_thread = start_caller (&queued);
  report2 = wait_for_report (behind);
  g_test_message ("%s", report2);

  gate_open (&gate);
  g_thread_join (blocked_thread);
  g_assert_no_error (blocked.error);
  g_clear_object (&blocked.cancellable);
  end_caller (&queued, queued_thread);
  gate_clear (&gate);
}

/* The stuck threshold: 10 s, the environment's, the property's; 0: no report. */
static void
test_stuck_threshold_property (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (runner), "stuck-threshold");
  guint threshold = 1;

  /* The threshold: 10 s by default, ASYNC_RUNNER_DEBUG=stuck=MS (set in
   * main()) for every runner, the property per runner; with 0, no report. */
  g_assert_cmpuint (g_value_get_uint (g_param_spec_get_default_value (pspec)), ==, 10000);
  g_object_get (runner, "stuck-threshold", &threshold, NULL);
  g_assert_cmpuint (threshold, ==, 1234);
  g_object_set (runner, "stuck-threshold", 0, NULL);
  g_assert_cmpuint (async_runner_get_stuck_threshold (runner), ==, 0);

  clear_reports ();
  result = async_runner_call_sync_full (runner, "unreported", 100, debug_start_nothing,
                                        NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_mutex_lock (&log_lock);
  g_assert_cmpuint (stuck_reports->len, ==, 0);
  g_mutex_unlock (&log_lock);
}

/* Waits (no time limit but the watchdog's) until @n stuck reports came;
 * returns when the @n-th was logged. */
static gint64
wait_for_report_count (guint n)
{
  gint64 logged_at;

  g_mutex_lock (&log_lock);
  while (stuck_reports->len < n)
    g_cond_wait (&log_cond, &log_lock);
  logged_at = g_array_index (stuck_report_times, gint64, n - 1);
  g_mutex_unlock (&log_lock);

  return logged_at;
}

/* The stuck report repeats at growing intervals: after T, 2T, 4T, 8T. */
static void
test_stuck_repeats_growing (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  Caller caller = { runner, "repeated", FALSE };
  const gint64 threshold_us = 100 * G_TIME_SPAN_MILLISECOND;
  GThread *thread;
  gint64 start;
  guint n;

  /* Lower bounds only, which load cannot break: report n comes after the
   * call has waited threshold * 2^(n-1) at least. Reports at a fixed
   * interval would bring the 4th after 4 thresholds, not 8. */
  async_runner_set_stuck_threshold (runner, threshold_us / G_TIME_SPAN_MILLISECOND);
  clear_reports ();
  start = g_get_monotonic_time ();
  thread = start_caller (&caller);
  for (n = 1; n <= 4; n++)
    {
      gint64 logged_at = wait_for_report_count (n);

      g_test_message ("report %u after %.3f s", n, (logged_at - start) / (double) G_TIME_SPAN_SECOND);
      g_assert_cmpint (logged_at - start, >=, threshold_us << (n - 1));
    }
  end_caller (&caller, thread);
}

typedef struct
{
  AsyncRunner *runner;
  gboolean     ok;
  gint         value;
  Flag         done;
} RunnerThreadCall;

/* On the runner thread: a call of its own, which lasts well past the
 * stuck threshold. */
static gboolean
call_on_runner_thread (gpointer data)
{
  RunnerThreadCall *rc = data;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_assert_true (async_runner_is_runner_thread (rc->runner));
  rc->ok = async_runner_run_sync (rc->runner, return_int_later, GUINT_TO_POINTER (300),
                                  NULL, &value, &error);
  g_assert_no_error (error);
  rc->value = g_value_get_int (&value);
  flag_set (&rc->done);

  return G_SOURCE_REMOVE;
}

/* A call on the runner thread is never reported as stuck: it serves the
 * runner's context instead of sleeping. */
static void
test_stuck_not_on_runner_thread (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  RunnerThreadCall rc = { runner, FALSE, 0 };

  /* The call lasts at least 300 ms (its operation completes from a
   * timeout), six times the threshold; no other call is in flight. */
  async_runner_set_stuck_threshold (runner, 50);
  clear_reports ();
  flag_init (&rc.done);
  g_main_context_invoke (async_runner_get_context (runner), call_on_runner_thread, &rc);
  flag_wait (&rc.done);
  g_assert_true (rc.ok);
  g_assert_cmpint (rc.value, ==, 1300);

  g_mutex_lock (&log_lock);
  g_assert_cmpuint (stuck_reports->len, ==, 0);
  g_mutex_unlock (&log_lock);
  flag_clear (&rc.done);
}

/* dup_pending_calls(): nothing when idle, one line per waiting call. */
static void
test_pending_calls (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  Caller caller = { runner, "listed", FALSE };
  g_auto(GStrv) none = async_runner_dup_pending_calls (runner);
  g_auto(GStrv) after = NULL;
  GThread *thread;

  /* dup_pending_calls(): nothing when idle; one line per waiting call with
   * its name, its thread and its state. */
  g_assert_nonnull (none);
  g_assert_cmpuint (g_strv_length (none), ==, 0);

  async_runner_set_stuck_threshold (runner, 0);
  thread = start_caller (&caller);
  for (;;)
    {
      g_auto(GStrv) lines = async_runner_dup_pending_calls (runner);

      if (g_strv_length (lines) == 1 &&
          strstr (lines[0], "waiting for the operation to call back") != NULL)
        {
          g_test_message ("%s", lines[0]);
          g_assert_true (g_str_has_prefix (lines[0], "listed: called from thread \"stuck-caller\""));
          break;
        }
      g_usleep (1000);
    }
  end_caller (&caller, thread);

  after = async_runner_dup_pending_calls (runner);
  g_assert_cmpuint (g_strv_length (after), ==, 0);
}

/* The child of /debug/bad-stuck-value whose path ends with VALUE runs
 * with ASYNC_RUNNER_DEBUG=stuck=VALUE (set by main()). */
#define BAD_STUCK_CHILD "/debug/bad-stuck-value/subprocess/"

static void
bad_stuck_child (void)
{
  const char *option = g_getenv ("ASYNC_RUNNER_DEBUG");
  g_autofree char *pattern = g_strdup_printf ("*'%s' is not a whole number of milliseconds "
                                              "from 0 (no report) to %u*", option, G_MAXUINT);
  g_autoptr(AsyncRunner) runner = NULL;

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_WARNING, pattern);
  runner = async_runner_new ();
  g_test_assert_expected_messages ();
  g_assert_cmpuint (async_runner_get_stuck_threshold (runner), ==, 10000);
}

/* A bad stuck= value: a warning naming the accepted range (not "unknown option"), the default kept. */
static void
test_bad_stuck_value (void)
{
  const char *values[] = { "abc", "-1", "4294967296" };

  /* Each in a process of its own, which reads the variable once. */
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *path = g_strconcat (BAD_STUCK_CHILD, values[i], NULL);

      g_test_trap_subprocess (path, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
    }
}

static const TestCase tests[] = {
  { "/debug/per-call-timeout", test_per_call_timeout },
  { "/debug/debug-messages", test_debug_messages },
  { "/debug/stuck-started-nothing", test_stuck_started_nothing },
  { "/debug/stuck-idle-add", test_stuck_idle_add },
  { "/debug/stuck-blocking-function", test_stuck_blocking_function },
  { "/debug/stuck-report-runs-no-prepare", test_stuck_report_runs_no_prepare },
  { "/debug/stuck-threshold-property", test_stuck_threshold_property },
  { "/debug/stuck-repeats-growing", test_stuck_repeats_growing },
  { "/debug/stuck-not-on-runner-thread", test_stuck_not_on_runner_thread },
  { "/debug/pending-calls", test_pending_calls },
  { "/debug/bad-stuck-value", test_bad_stuck_value },
  { BAD_STUCK_CHILD "abc", bad_stuck_child },
  { BAD_STUCK_CHILD "-1", bad_stuck_child },
  { BAD_STUCK_CHILD "4294967296", bad_stuck_child },
};

int
main (int    argc,
      char **argv)
{
  /* Before the first runner exists: the library looks once. */
  g_setenv ("G_MESSAGES_DEBUG", "AsyncRunner", TRUE);
  g_setenv ("ASYNC_RUNNER_DEBUG", "stuck=1234", TRUE);
  for (int i = 1; i < argc; i++)
    if (g_str_has_prefix (argv[i], BAD_STUCK_CHILD))
      {
        g_autofree char *option = g_strconcat ("stuck=", argv[i] + strlen (BAD_STUCK_CHILD), NULL);

        g_setenv ("ASYNC_RUNNER_DEBUG", option, TRUE);
      }
  g_test_init (&argc, &argv, NULL);

  debug_messages = g_ptr_array_new_with_free_func (g_free);
  stuck_reports = g_ptr_array_new_with_free_func (g_free);
  stuck_report_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_log_set_handler ("AsyncRunner", G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL,
                     catch_message, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
