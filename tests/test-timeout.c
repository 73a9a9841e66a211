/* test-timeout.c: the runner's timeout, and calls that end while their function starts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  guint *count = user_data;

  g_assert_cmpstr (pspec->name, ==, "timeout");
  (*count)++;
}

/* The timeout property reads and writes, and notifies only on a change. */
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

/* Past the timeout, run_sync() fails with TIMED_OUT and cancels its operation. */
static void
test_timeout (void)
{
  check_timeout (FALSE);
}

/* Past the timeout, call_sync() fails with TIMED_OUT and cancels its operation. */
static void
test_timeout_call_sync (void)
{
  check_timeout (TRUE);
}

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

DEFINE_START_FROM_FUNC (start_race, func_race)

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

/* A call cancelled or timed out as its function starts never outlives it. */
static void
test_func_not_running_after_return_race (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  GThread *canceller;
  guint outcomes[3] = { 0, 0, 0 };   /* completed, cancelled, timed out */
  guint i;

  /* Calls whose cancellation (from another thread) or timeout (1 ms)
   * races with the start of their function, each with user_data freed the
   * moment the call returns, as a binding frees a `(scope call)` closure:
   * the function either never runs or runs entirely before the call
   * returns. ASan and memcheck see any use after free; the magic number
   * catches most of them without. */
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

static const TestCase tests[] = {
  { "/timeout/property", test_timeout_property },
  { "/timeout/run-sync", test_timeout },
  { "/timeout/call-sync", test_timeout_call_sync },
  { "/timeout/func-not-running-after-return-race", test_func_not_running_after_return_race },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
