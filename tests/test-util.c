/* test-util.c: helpers shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "test-util.h"

/* ---- Watchdogs ---- */

struct _Watchdog
{
  GMutex      lock;
  GCond       cond;
  gboolean    disarmed;   /* protected by @lock */
  guint       seconds;
  const char *what;
  void      (*report) (void);
  GThread    *thread;
};

static gpointer
watchdog_thread (gpointer data)
{
  Watchdog *dog = data;
  gint64 deadline = g_get_monotonic_time () + dog->seconds * G_TIME_SPAN_SECOND;

  g_mutex_lock (&dog->lock);
  while (!dog->disarmed)
    {
      if (!g_cond_wait_until (&dog->cond, &dog->lock, deadline) && !dog->disarmed)
        {
          if (dog->report != NULL)
            dog->report ();
          g_error ("watchdog: %s did not finish within %u s: something hangs",
                   dog->what, dog->seconds);
        }
    }
  g_mutex_unlock (&dog->lock);

  return NULL;
}

/**
 * watchdog_arm:
 * @what: what is watched, for the message (a test path); must outlive
 *   the watchdog
 * @seconds: how long it may take
 * @report: (nullable): called on the watchdog's thread just before it
 *   aborts, to say more about the state of the test
 *
 * Starts a thread that aborts the process with a message, instead of
 * letting the test hang, unless watchdog_disarm() is called within
 * @seconds.
 *
 * Returns: (transfer full): the watchdog, for watchdog_disarm()
 */
Watchdog *
watchdog_arm (const char  *what,
              guint        seconds,
              void       (*report) (void))
{
  Watchdog *dog = g_new0 (Watchdog, 1);

  g_mutex_init (&dog->lock);
  g_cond_init (&dog->cond);
  dog->seconds = seconds;
  dog->what = what;
  dog->report = report;
  dog->thread = g_thread_new ("watchdog", watchdog_thread, dog);

  return dog;
}

/**
 * watchdog_disarm:
 * @dog: (transfer full): a watchdog from watchdog_arm()
 *
 * Stops @dog, joins its thread and frees it.
 */
void
watchdog_disarm (Watchdog *dog)
{
  g_mutex_lock (&dog->lock);
  dog->disarmed = TRUE;
  g_cond_signal (&dog->cond);
  g_mutex_unlock (&dog->lock);
  g_thread_join (dog->thread);
  g_cond_clear (&dog->cond);
  g_mutex_clear (&dog->lock);
  g_free (dog);
}

static GMutex process_watchdog_mutex;
static GCond process_watchdog_cond;
static guint process_watchdog_limit_s;     /* set before the thread starts */
static gint64 process_watchdog_deadline;   /* protected by @process_watchdog_mutex */
static char *process_watchdog_test;        /* protected by @process_watchdog_mutex */

static gpointer
process_watchdog_thread (gpointer data)
{
  g_mutex_lock (&process_watchdog_mutex);
  for (;;)
    {
      if (g_get_monotonic_time () >= process_watchdog_deadline)
        {
          g_printerr ("Bail out! watchdog: %s still running after %u s\n",
                      process_watchdog_test ? process_watchdog_test : "(setup)",
                      process_watchdog_limit_s);
          abort ();
        }
      g_cond_wait_until (&process_watchdog_cond, &process_watchdog_mutex,
                         process_watchdog_deadline);
    }

  return NULL;
}

/* Gives @test (%NULL: the setup) the full limit from now on. */
static void
process_watchdog_kick (const char *test)
{
  g_mutex_lock (&process_watchdog_mutex);
  process_watchdog_deadline = g_get_monotonic_time () + process_watchdog_limit_s * G_TIME_SPAN_SECOND;
  g_free (process_watchdog_test);
  process_watchdog_test = g_strdup (test);
  g_cond_signal (&process_watchdog_cond);
  g_mutex_unlock (&process_watchdog_mutex);
}

static void
run_watched_test (gconstpointer data)
{
  const TestCase *test = data;

  process_watchdog_kick (test->path);
  test->func ();
}

/**
 * add_watched_tests:
 * @tests: (array length=n_tests): the tests, which must outlive g_test_run()
 * @n_tests: how many
 * @limit_s: how long each test may take, in seconds
 *
 * Starts the process's watchdog, a thread that aborts the process with
 * a TAP "Bail out!" line when a test has been running for @limit_s
 * seconds (the setup until the first test counts as one), and adds
 * @tests with g_test_add_data_func(). Call it once, from main(), after
 * g_test_init().
 */
void
add_watched_tests (const TestCase *tests,
                   gsize           n_tests,
                   guint           limit_s)
{
  gsize i;

  process_watchdog_limit_s = limit_s;
  process_watchdog_kick (NULL);
  g_thread_unref (g_thread_new ("watchdog", process_watchdog_thread, NULL));

  for (i = 0; i < n_tests; i++)
    g_test_add_data_func (tests[i].path, &tests[i], run_watched_test);
}

/* ---- Environment knobs ---- */

/**
 * env_uint:
 * @name: an environment variable
 * @default_value: its value when unset or empty
 *
 * Reads a test's knob: a positive integer. Any other value aborts the
 * test with a message, rather than being silently ignored.
 *
 * Returns: the value of @name, or @default_value
 */
guint
env_uint (const char *name,
          guint       default_value)
{
  const char *str = g_getenv (name);
  guint64 value;

  if (str == NULL || *str == '\0')
    return default_value;
  if (!g_ascii_string_to_unsigned (str, 10, 1, G_MAXUINT, &value, NULL))
    g_error ("%s must be a positive integer, not “%s”", name, str);

  return (guint) value;
}

/* ---- Main contexts and tasks ---- */

/**
 * attach_source:
 * @context: where to attach
 * @timeout_ms: the source's delay in milliseconds; 0 for an idle source
 * @func: its callback
 * @data: for @func
 * @notify: (nullable): frees @data when the source goes
 *
 * Attaches a timeout source (or an idle one) to @context, which holds
 * the only reference to it.
 */
void
attach_source (GMainContext   *context,
               guint           timeout_ms,
               GSourceFunc     func,
               gpointer        data,
               GDestroyNotify  notify)
{
  GSource *source = timeout_ms > 0 ? g_timeout_source_new (timeout_ms) : g_idle_source_new ();

  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, context);
  g_source_unref (source);
}

/**
 * task_return_int:
 * @task: a task whose caller wants a #GValue
 * @n: the value
 *
 * Completes @task with a #GValue holding the int @n, as
 * async_runner_run_sync() expects of a value.
 */
void
task_return_int (GTask *task,
                 gint   n)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, n);
  g_task_return_value (task, &value);
  g_value_unset (&value);
}

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
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (g_atomic_int_get (&holds_alive) != 0)
    {
      if (g_get_monotonic_time () >= deadline)
        g_error ("%d held operations were never released", g_atomic_int_get (&holds_alive));
      g_usleep (G_TIME_SPAN_MILLISECOND / 4);
    }
}
