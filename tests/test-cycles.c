/* test-cycles.c: runners that call each other: A calls B, which calls A
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"

/* Which call of the cycle a test cancels, once B's function calls A. */
typedef enum
{
  CANCEL_NONE,
  CANCEL_A_TO_B,
  CANCEL_B_TO_A,
} CancelWhich;

typedef struct
{
  AsyncRunner  *a;
  AsyncRunner  *b;
  guint         a_timeout_ms;         /* set once A runs its function */
  guint         b_timeout_ms;
  GCancellable *a_to_b_cancellable;   /* fA's call to B */
  GCancellable *b_to_a_cancellable;   /* fB's call to A */
  Flag          b_calling_a;          /* fB is about to call A */
  GError       *a_to_b_error;
  gint          b_to_a_value;
  GError       *b_to_a_error;
} Cycle;

static gboolean
b_calls_a (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  Cycle *c = user_data;
  g_auto(GValue) value = G_VALUE_INIT;

  flag_set (&c->b_calling_a);
  if (async_runner_run_sync (c->a, return_int, GINT_TO_POINTER (3), c->b_to_a_cancellable,
                             &value, &c->b_to_a_error))
    c->b_to_a_value = g_value_get_int (&value);
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gboolean
a_calls_b (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  Cycle *c = user_data;

  GMainContext *private_context = g_main_context_new ();

  /* From now on: the test's own call to A has none. */
  async_runner_set_timeout (c->a, c->a_timeout_ms);
  async_runner_set_timeout (c->b, c->b_timeout_ms);

  /* A private context pushed, as a library's sync wrapper does: the calls
   * A serves while it waits still run under A's context. */
  g_main_context_push_thread_default (private_context);
  async_runner_run_sync (c->b, b_calls_a, c, c->a_to_b_cancellable, NULL, &c->a_to_b_error);
  g_main_context_pop_thread_default (private_context);
  g_main_context_unref (private_context);

  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gpointer
cancel_when_b_calls_a (gpointer data)
{
  Cycle *c = data;

  flag_wait (&c->b_calling_a);
  g_cancellable_cancel (c->a_to_b_cancellable != NULL ? c->a_to_b_cancellable
                                                      : c->b_to_a_cancellable);
  return NULL;
}

/* Runs A->B->A with the given timeouts (0: none), cancelling one call
 * once B's function calls A; without a timeout or a cancellation, the
 * cycle would never end (the watchdog's). */
static void
run_cycle (guint        a_timeout_ms,
           guint        b_timeout_ms,
           CancelWhich  cancel,
           Cycle       *c)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GThread *canceller = NULL;

  memset (c, 0, sizeof *c);
  c->a = async_runner_new ();
  c->b = async_runner_new ();
  c->a_timeout_ms = a_timeout_ms;
  c->b_timeout_ms = b_timeout_ms;
  c->b_to_a_value = -1;
  flag_init (&c->b_calling_a);
  if (cancel == CANCEL_A_TO_B)
    c->a_to_b_cancellable = cancellable;
  else if (cancel == CANCEL_B_TO_A)
    c->b_to_a_cancellable = cancellable;
  if (cancel != CANCEL_NONE)
    canceller = g_thread_new ("canceller", cancel_when_b_calls_a, c);

  g_assert_true (async_runner_run_sync (c->a, a_calls_b, c, NULL, NULL, &error));
  g_assert_no_error (error);

  if (canceller != NULL)
    g_thread_join (canceller);
  flag_clear (&c->b_calling_a);
  g_object_unref (c->a);
  g_object_unref (c->b);
}

/* Runs the cycle: the call to B (@to_b_ends) or the call to A fails with
 * @code, and the other one completes, so that both functions return. */
static void
check_cycle_ends (guint        a_timeout_ms,
                  guint        b_timeout_ms,
                  CancelWhich  cancel,
                  gboolean     to_b_ends,
                  gint         code)
{
  Cycle c;
  GError *ended;
  GError *completed;

  run_cycle (a_timeout_ms, b_timeout_ms, cancel, &c);
  ended = to_b_ends ? c.a_to_b_error : c.b_to_a_error;
  completed = to_b_ends ? c.b_to_a_error : c.a_to_b_error;
  g_assert_error (ended, G_IO_ERROR, code);
  g_assert_no_error (completed);
  g_assert_cmpint (c.b_to_a_value, ==, to_b_ends ? 3 : -1);
  g_clear_error (&c.a_to_b_error);
  g_clear_error (&c.b_to_a_error);
}

/* A->B->A: a timeout on the calls to B alone ends the cycle. */
static void
test_cycle_timeout_on_b (void)
{
  /* A's call to B times out; while A's thread waits for B's function to
   * return, it serves A's own calls, so B's call to A completes and B's
   * function returns. */
  check_cycle_ends (0, 100, CANCEL_NONE, TRUE, G_IO_ERROR_TIMED_OUT);
}

/* A->B->A: a timeout on the calls to A alone ends the cycle. */
static void
test_cycle_timeout_on_a (void)
{
  /* B's call to A times out, B's function returns and A's call to B
   * completes. */
  check_cycle_ends (100, 0, CANCEL_NONE, FALSE, G_IO_ERROR_TIMED_OUT);
}

/* A->B->A: cancelling A's call to B ends the cycle, as its timeout does. */
static void
test_cycle_cancel_on_b (void)
{
  check_cycle_ends (0, 0, CANCEL_A_TO_B, TRUE, G_IO_ERROR_CANCELLED);
}

/* A->B->A: cancelling B's call to A ends the cycle, as its timeout does. */
static void
test_cycle_cancel_on_a (void)
{
  check_cycle_ends (0, 0, CANCEL_B_TO_A, FALSE, G_IO_ERROR_CANCELLED);
}

typedef struct
{
  AsyncRunner *a;
  AsyncRunner *b;
  Gate         gate;
  gboolean     b_to_a_ok;
  GError      *b_to_a_error;
  GError      *a_to_b_error;
} CycleShutdown;

static gboolean
b_waits_then_calls_a (AsyncRunner *runner,
                      GTask       *task,
                      gpointer     user_data)
{
  CycleShutdown *cs = user_data;

  gate_pass (&cs->gate);
  cs->b_to_a_ok = run_int (cs->a, 3, &cs->b_to_a_error) == 3;
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gboolean
a_calls_b_then_waits (AsyncRunner *runner,
                      GTask       *task,
                      gpointer     user_data)
{
  CycleShutdown *cs = user_data;

  async_runner_set_timeout (cs->b, 100);
  async_runner_run_sync (cs->b, b_waits_then_calls_a, cs, NULL, NULL, &cs->a_to_b_error);
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gpointer
call_a_thread (gpointer data)
{
  CycleShutdown *cs = data;
  g_autoptr(GError) error = NULL;

  /* Its result or G_IO_ERROR_CLOSED, depending on who is first. */
  if (!async_runner_run_sync (cs->a, a_calls_b_then_waits, cs, NULL, NULL, &error))
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  return NULL;
}

/* A runner shut down while serving its own calls in a cycle ends them. */
static void
test_cycle_shutdown_while_serving (void)
{
  CycleShutdown cs = { async_runner_new (), async_runner_new () };
  GThread *caller;
  GThread *stopper;

  /* A runner thread that serves its own calls while it waits for another
   * runner's function (see /cycle/timeout-on-b) and is shut down meanwhile
   * ends the calls submitted to it with G_IO_ERROR_CLOSED instead of
   * leaving them queued: the function waiting on it returns, and so does
   * the shutdown. */
  gate_init (&cs.gate);
  caller = g_thread_new ("call-a", call_a_thread, &cs);

  /* B's function runs; A's call to it times out 100 ms later. */
  g_mutex_lock (&cs.gate.mutex);
  while (cs.gate.waiting < 1)
    g_cond_wait (&cs.gate.cond, &cs.gate.mutex);
  g_mutex_unlock (&cs.gate.mutex);

  /* Shut A down (which waits for A's function) and let B's function
   * call A: long before A's call to B times out, so A is shut down by
   * the time it serves that call. */
  stopper = g_thread_new ("shutdown-a", shutdown_thread, cs.a);
  gate_open (&cs.gate);

  g_thread_join (stopper);
  g_thread_join (caller);

  g_assert_error (cs.a_to_b_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  if (!cs.b_to_a_ok)
    g_assert_error (cs.b_to_a_error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  g_clear_error (&cs.a_to_b_error);
  g_clear_error (&cs.b_to_a_error);
  gate_clear (&cs.gate);
  g_object_unref (cs.a);
  g_object_unref (cs.b);
}

static const TestCase tests[] = {
  { "/cycle/timeout-on-b", test_cycle_timeout_on_b },
  { "/cycle/timeout-on-a", test_cycle_timeout_on_a },
  { "/cycle/cancel-on-b", test_cycle_cancel_on_b },
  { "/cycle/cancel-on-a", test_cycle_cancel_on_a },
  { "/cycle/shutdown-while-serving", test_cycle_shutdown_while_serving },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
