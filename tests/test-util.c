/* test-util.c: helpers shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include <glib/gstdio.h>
#include <string.h>

#include "test-util.h"

/* ---- Registration, under the process's watchdog ---- */

static GMutex process_watchdog_mutex;
static GCond process_watchdog_cond;
static guint process_watchdog_limit_s;     /* set before the thread starts */
static gint64 process_watchdog_deadline;   /* protected by @process_watchdog_mutex */
static char *process_watchdog_test;        /* protected by @process_watchdog_mutex */
static guint process_watchdog_test_limit_s;  /* protected by @process_watchdog_mutex */
static void (*process_watchdog_report) (void);   /* protected by @process_watchdog_mutex */
static gboolean process_watchdog_started;  /* protected by @process_watchdog_mutex */

static gpointer
process_watchdog_thread (gpointer data)
{
  g_mutex_lock (&process_watchdog_mutex);
  process_watchdog_started = TRUE;
  g_cond_broadcast (&process_watchdog_cond);
  for (;;)
    {
      if (g_get_monotonic_time () >= process_watchdog_deadline)
        {
          if (process_watchdog_report != NULL)
            process_watchdog_report ();
          g_printerr ("Bail out! watchdog: %s still running after %u s: something hangs\n",
                      process_watchdog_test ? process_watchdog_test : "(setup)",
                      process_watchdog_test_limit_s);
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
  process_watchdog_test_limit_s = process_watchdog_limit_s;
  process_watchdog_report = NULL;
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
 * @limit_s: how long each test may take, in seconds (times
 *   test_time_scale())
 *
 * Starts the process's watchdog, a thread that aborts the process with
 * a TAP "Bail out!" line when a test has been running for @limit_s
 * seconds (the setup until the first test counts as one), and adds
 * @tests with g_test_add_data_func(). Call it once, from main(), after
 * g_test_init().
 *
 * Returns once the watchdog thread has started and waits: a test that
 * forks must not do so while a thread is being made, since the new
 * thread may hold the allocator's lock (ASan's on i386 did), which the
 * child would then wait for forever. The waiting watchdog holds none.
 */
void
add_watched_tests (const TestCase *tests,
                   gsize           n_tests,
                   guint           limit_s)
{
  gsize i;

  process_watchdog_limit_s = limit_s * test_time_scale ();
  process_watchdog_kick (NULL);
  g_thread_unref (g_thread_new ("watchdog", process_watchdog_thread, NULL));
  g_mutex_lock (&process_watchdog_mutex);
  while (!process_watchdog_started)
    g_cond_wait (&process_watchdog_cond, &process_watchdog_mutex);
  g_mutex_unlock (&process_watchdog_mutex);

  for (i = 0; i < n_tests; i++)
    g_test_add_data_func (tests[i].path, &tests[i], run_watched_test);
}

/**
 * watchdog_set_limit:
 * @seconds: how long the running test may still take, from now (times
 *   test_time_scale())
 * @report: (nullable): called on the watchdog's thread just before it
 *   aborts, to say more about the state of the test
 *
 * Gives the running test a limit of its own instead of the file's, for
 * a test whose length depends on its knobs (env_uint()). The next test
 * gets the file's limit again.
 */
void
watchdog_set_limit (guint   seconds,
                    void  (*report) (void))
{
  seconds *= test_time_scale ();
  g_mutex_lock (&process_watchdog_mutex);
  process_watchdog_deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  process_watchdog_test_limit_s = seconds;
  process_watchdog_report = report;
  g_cond_signal (&process_watchdog_cond);
  g_mutex_unlock (&process_watchdog_mutex);
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

/**
 * test_time_scale:
 *
 * The factor by which every bound on elapsed time in the C tests is
 * multiplied: ASYNC_RUNNER_TEST_TIME_SCALE, 1 when unset. The valgrind
 * and ASan setups set it to the factor they give meson's timeouts, so
 * that no bound but a hang's is reached there either.
 *
 * Returns: the factor, at least 1
 */
guint
test_time_scale (void)
{
  static gsize scale;

  if (g_once_init_enter (&scale))
    g_once_init_leave (&scale, env_uint ("ASYNC_RUNNER_TEST_TIME_SCALE", 1));

  return (guint) scale;
}

/* ---- Flags ---- */

/* A Flag counts how often something happened, on any thread; a test
 * waits for it with a deadline. */

void
flag_init (Flag *flag)
{
  g_mutex_init (&flag->mutex);
  g_cond_init (&flag->cond);
  flag->count = 0;
}

void
flag_clear (Flag *flag)
{
  g_cond_clear (&flag->cond);
  g_mutex_clear (&flag->mutex);
}

void
flag_set (Flag *flag)
{
  g_mutex_lock (&flag->mutex);
  flag->count++;
  g_cond_broadcast (&flag->cond);
  g_mutex_unlock (&flag->mutex);
}

/* A #GDestroyNotify that sets the Flag @data. */
void
flag_set_notify (gpointer data)
{
  flag_set (data);
}

gint
flag_count (Flag *flag)
{
  gint count;

  g_mutex_lock (&flag->mutex);
  count = flag->count;
  g_mutex_unlock (&flag->mutex);

  return count;
}

gboolean
flag_is_set (Flag *flag)
{
  return flag_count (flag) > 0;
}

/* Waits until @flag was set @count times, failing the test past
 * WAIT_LIMIT_S. */
void
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

void
flag_wait (Flag *flag)
{
  flag_wait_count (flag, 1);
}

/**
 * wait_for_flag:
 * @flag: an atomic int
 * @ms: how long to wait, in milliseconds
 *
 * Polls @flag until it is set or @ms milliseconds pass.
 *
 * Returns: whether @flag was set in time
 */
gboolean
wait_for_flag (gint  *flag,
               guint  ms)
{
  gint64 deadline = g_get_monotonic_time () +
                    (gint64) ms * test_time_scale () * G_TIME_SPAN_MILLISECOND;

  while (!g_atomic_int_get (flag))
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (G_TIME_SPAN_MILLISECOND / 4);
    }

  return TRUE;
}

/* ---- Gates ---- */

void
gate_init (Gate *gate)
{
  g_mutex_init (&gate->mutex);
  g_cond_init (&gate->cond);
  gate->open = FALSE;
  gate->waiting = 0;
}

void
gate_clear (Gate *gate)
{
  g_cond_clear (&gate->cond);
  g_mutex_clear (&gate->mutex);
}

void
gate_pass (Gate *gate)
{
  g_mutex_lock (&gate->mutex);
  gate->waiting++;
  g_cond_broadcast (&gate->cond);
  while (!gate->open)
    g_cond_wait (&gate->cond, &gate->mutex);
  gate->waiting--;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

void
gate_open (Gate *gate)
{
  g_mutex_lock (&gate->mutex);
  gate->open = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

/* Waits until nobody waits at @gate any more. */
void
gate_wait_empty (Gate *gate)
{
  g_mutex_lock (&gate->mutex);
  while (gate->waiting > 0)
    g_cond_wait (&gate->cond, &gate->mutex);
  g_mutex_unlock (&gate->mutex);
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

static gboolean
never_cb (gpointer user_data)
{
  g_assert_not_reached ();
  return G_SOURCE_REMOVE;
}

/* Sets @flag when @runner's context is freed, which happens when its
 * thread has ended and nothing holds it any more. */
void
watch_context_freed (AsyncRunner *runner,
                     Flag        *flag)
{
  GSource *source = g_timeout_source_new_seconds (3600);

  g_source_set_callback (source, never_cb, flag, flag_set_notify);
  g_source_attach (source, async_runner_get_context (runner));
  g_source_unref (source);
}

/* ---- Values and files ---- */

void
value_init_string (GValue     *value,
                   const char *s)
{
  g_value_init (value, G_TYPE_STRING);
  g_value_set_string (value, s);
}

void
value_init_int (GValue *value,
                gint    n)
{
  g_value_init (value, G_TYPE_INT);
  g_value_set_int (value, n);
}

void
values_free (GValue *values,
             guint   n_values)
{
  guint i;

  for (i = 0; i < n_values; i++)
    g_value_unset (&values[i]);
  g_free (values);
}

void
values_unset (GValue *values,
              guint   n_values)
{
  guint i;

  for (i = 0; i < n_values; i++)
    if (G_IS_VALUE (&values[i]))
      g_value_unset (&values[i]);
}

char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("async-runner-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_remove (child);
    }
  g_rmdir (path);
}
