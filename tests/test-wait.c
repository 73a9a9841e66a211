/* test-wait.c: the hand-off between a waiting caller and whoever ends its call
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An internal test: it drives the call protocol directly. A caller waits
 * in _async_runner_call_wait(), spinning for a bounded time and then
 * parking on the call's state word; another thread ends the call with
 * _async_runner_call_claim() + _async_runner_call_publish(), or with
 * _async_runner_call_abort(). The dangerous moment is a publisher that
 * arrives while the waiter is between spinning and sleeping: these tests
 * make it arrive at random points around it, many times, with spinning
 * allowed and with spinning forced off.
 *
 * Set ASYNC_RUNNER_TEST_QUICK to run fewer rounds (the valgrind setup of
 * tests/meson.build does).
 */

#include "config.h"

#ifdef __linux__
# include <sys/resource.h>
#endif

#include <async-runner.h>

#include "test-util.h"

#include "async-runner-call-private.h"
#include "async-runner-compat-private.h"
#include "async-runner-loop-private.h"
#include "async-runner-spin-private.h"

#define WATCHDOG_LIMIT_S 60

/* Random publisher delays go up to this: past the longest spin, so that
 * every phase of the wait gets hit. */
#define MAX_DELAY_US (2 * ASYNC_RUNNER_SPIN_MAX_US + 20)

static gboolean quick;

static guint
rounds (guint normal)
{
  return quick ? MAX (normal / 40, 50) : normal;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

/* Calls here are never run: the function only has to exist. */
static gboolean
never_run (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  g_assert_not_reached ();
  return FALSE;
}

static AsyncRunnerCall *
call_new (AsyncRunnerLoop *loop)
{
  return _async_runner_call_new (NULL, loop, never_run, NULL, NULL);
}

static void
busy_delay (gint64 us)
{
  gint64 end;

  if (us <= 0)
    return;

  end = g_get_monotonic_time () + us;
  while (g_get_monotonic_time () < end)
    _async_runner_cpu_relax ();
}

/* No delay a quarter of the time, else uniform up to @max_us. */
static gint64
pick_delay (GRand *rand,
            gint64 max_us)
{
  if (g_rand_int_range (rand, 0, 4) == 0)
    return 0;

  return g_rand_int_range (rand, 0, (gint32) max_us + 1);
}

/* Forces the park path (max 0) or restores spinning (max -1). */
static void
set_spinning (gboolean allowed)
{
  _async_runner_spin_set_max_spinners (allowed ? -1 : 0);
}

/* ------------------------------------------------------------------ */
/* A waiter and a publisher                                             */
/* ------------------------------------------------------------------ */

typedef struct
{
  AsyncRunnerLoop *loop;
  guint            rounds;
  gint64           max_delay_us;
  gint64           max_deadline_us;  /* 0: the waiter has no deadline */
  guint32          seed;

  AsyncRunnerCall *slot;             /* atomic: the next call, with a reference */

  guint            publisher_won;    /* read after joining the publisher */
  guint            waiter_won;       /* read after joining the waiter */
  GThread         *publisher;
  GThread         *waiter;
} Pair;

/* Every fourth round the publisher aborts instead of publishing a value. */
static gboolean
round_aborts (guint i)
{
  return i % 4 == 3;
}

static gpointer
publisher_thread (gpointer data)
{
  Pair *pair = data;
  GRand *rand = g_rand_new_with_seed (pair->seed);
  guint won = 0;
  guint i;

  for (i = 0; i < pair->rounds; i++)
    {
      AsyncRunnerCall *call;

      while ((call = g_atomic_pointer_exchange (&pair->slot, NULL)) == NULL)
        g_thread_yield ();

      busy_delay (pick_delay (rand, pair->max_delay_us));

      if (round_aborts (i))
        {
          if (_async_runner_call_abort (call, G_IO_ERROR_CANCELLED, "Cancelled by the publisher"))
            won++;
        }
      else if (_async_runner_call_claim (call))
        {
          g_value_init (_async_runner_call_get_value (call), G_TYPE_UINT);
          g_value_set_uint (_async_runner_call_get_value (call), i);
          _async_runner_call_publish (call);
          won++;
        }

      /* Holding a reference until after publishing is the protocol: the
       * waiter may free its own as soon as it sees the call finished. */
      _async_runner_call_unref (call);
    }

  pair->publisher_won = won;
  g_rand_free (rand);

  return NULL;
}

static gpointer
waiter_thread (gpointer data)
{
  Pair *pair = data;
  GRand *rand = g_rand_new_with_seed (pair->seed ^ 0x5a5a5a5a);
  guint won = 0;
  guint i;

  for (i = 0; i < pair->rounds; i++)
    {
      AsyncRunnerCall *call = call_new (pair->loop);
      gboolean timed_out = FALSE;

      /* The previous call may have timed out before the publisher took
       * it: one call at a time in the slot. */
      while (g_atomic_pointer_get (&pair->slot) != NULL)
        g_thread_yield ();
      g_atomic_pointer_set (&pair->slot, _async_runner_call_ref (call));

      if (pair->max_deadline_us > 0)
        {
          gint64 deadline = g_get_monotonic_time () +
                            g_rand_int_range (rand, 0, (gint32) pair->max_deadline_us + 1);

          /* As the runner does: past the deadline, try to end the call;
           * if someone else is ending it right now, wait for them. */
          while (!_async_runner_call_wait (call, deadline))
            {
              if (_async_runner_call_abort (call, G_IO_ERROR_TIMED_OUT, "Timed out"))
                {
                  timed_out = TRUE;
                  won++;
                  break;
                }
              deadline = -1;
            }
        }
      else
        g_assert_true (_async_runner_call_wait (call, -1));

      g_assert_true (_async_runner_call_is_finished (call));

      if (timed_out)
        g_assert_error (_async_runner_call_get_error (call), G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      else if (round_aborts (i))
        {
          g_assert_error (_async_runner_call_get_error (call), G_IO_ERROR, G_IO_ERROR_CANCELLED);
          g_assert_false (G_IS_VALUE (_async_runner_call_get_value (call)));
        }
      else
        {
          g_assert_no_error (_async_runner_call_get_error (call));
          g_assert_true (G_VALUE_HOLDS_UINT (_async_runner_call_get_value (call)));
          g_assert_cmpuint (g_value_get_uint (_async_runner_call_get_value (call)), ==, i);
        }

      /* Ended once: nobody else can claim it any more. */
      g_assert_false (_async_runner_call_claim (call));
      g_assert_false (_async_runner_call_abort (call, G_IO_ERROR_FAILED, "Too late"));

      _async_runner_call_unref (call);
    }

  pair->waiter_won = won;
  g_rand_free (rand);

  return NULL;
}

static void
run_pairs (guint    n_pairs,
           guint    n_rounds,
           gint64   max_deadline_us,
           gboolean spinning)
{
  AsyncRunnerLoop *loop = _async_runner_loop_new ();
  Pair *pairs = g_new0 (Pair, n_pairs);
  guint32 seed = g_test_rand_int ();
  guint i;

  set_spinning (spinning);

  for (i = 0; i < n_pairs; i++)
    {
      pairs[i].loop = loop;
      pairs[i].rounds = n_rounds;
      pairs[i].max_delay_us = MAX_DELAY_US;
      pairs[i].max_deadline_us = max_deadline_us;
      pairs[i].seed = seed + i;
      pairs[i].publisher = g_thread_new ("publisher", publisher_thread, &pairs[i]);
      pairs[i].waiter = g_thread_new ("waiter", waiter_thread, &pairs[i]);
    }

  for (i = 0; i < n_pairs; i++)
    {
      g_thread_join (pairs[i].waiter);
      g_thread_join (pairs[i].publisher);
      g_assert_null (pairs[i].slot);

      /* Every call ended exactly once. */
      g_assert_cmpuint (pairs[i].publisher_won + pairs[i].waiter_won, ==, n_rounds);
      if (max_deadline_us == 0)
        g_assert_cmpuint (pairs[i].waiter_won, ==, 0);

      g_test_message ("pair %u: publisher ended %u calls, waiter timed out %u",
                      i, pairs[i].publisher_won, pairs[i].waiter_won);
    }

  set_spinning (TRUE);
  g_free (pairs);
  _async_runner_loop_shutdown (loop);
  _async_runner_loop_unref (loop);
}

/* Publisher against spinning waiter: every call ends exactly once. */
static void
test_handoff_spin (void)
{
  run_pairs (1, rounds (6000), 0, TRUE);
}

/* Publisher against parking waiter: every call ends exactly once. */
static void
test_handoff_park (void)
{
  run_pairs (1, rounds (6000), 0, FALSE);
}

/* More waiters than cores: not all of them may spin. */
static void
test_handoff_many (void)
{
  run_pairs (3, rounds (2000), 0, TRUE);
}

/* Deadlines expiring as the publisher ends the call (spinning): one outcome. */
static void
test_deadline_race_spin (void)
{
  run_pairs (1, rounds (6000), MAX_DELAY_US, TRUE);
}

/* Deadlines expiring as the publisher ends the call (parked): one outcome. */
static void
test_deadline_race_park (void)
{
  run_pairs (1, rounds (4000), MAX_DELAY_US, FALSE);
}

/* ------------------------------------------------------------------ */
/* A publisher that arrives just as the waiter parks                    */
/* ------------------------------------------------------------------ */

typedef struct
{
  AsyncRunnerLoop *loop;
  guint            rounds;
  guint32          seed;
  AsyncRunnerCall *slot;   /* atomic: the next call, with a reference */
} AtPark;

static gpointer
at_park_publisher (gpointer data)
{
  AtPark *at = data;
  GRand *rand = g_rand_new_with_seed (at->seed);
  guint i;

  for (i = 0; i < at->rounds; i++)
    {
      AsyncRunnerCall *call;
      guint spins;

      while ((call = g_atomic_pointer_exchange (&at->slot, NULL)) == NULL)
        g_thread_yield ();

      /* The waiter announces that it parks before it reads the state
       * and sleeps: publish right then, or a moment later. */
      for (spins = 0; !_async_runner_call_has_state_waiter (call); spins++)
        {
          if (spins < 1000)
            _async_runner_cpu_relax ();
          else
            g_thread_yield ();
        }
      busy_delay (g_rand_int_range (rand, 0, 4) == 0 ? 0 : g_rand_int_range (rand, 0, 30));

      g_assert_true (_async_runner_call_claim (call));
      g_value_init (_async_runner_call_get_value (call), G_TYPE_UINT);
      g_value_set_uint (_async_runner_call_get_value (call), i);
      _async_runner_call_publish (call);
      _async_runner_call_unref (call);
    }

  g_rand_free (rand);

  return NULL;
}

static void
run_at_park (gboolean spinning,
             gboolean with_deadline)
{
  AtPark at = { 0 };
  GThread *publisher;
  guint i;

  at.loop = _async_runner_loop_new ();
  at.rounds = rounds (3000);
  at.seed = g_test_rand_int ();
  set_spinning (spinning);

  publisher = g_thread_new ("publisher", at_park_publisher, &at);

  for (i = 0; i < at.rounds; i++)
    {
      AsyncRunnerCall *call = call_new (at.loop);
      gint64 deadline = -1;

      if (with_deadline)
        deadline = g_get_monotonic_time () + WATCHDOG_LIMIT_S * test_time_scale () * G_TIME_SPAN_SECOND;

      g_atomic_pointer_set (&at.slot, _async_runner_call_ref (call));
      g_assert_true (_async_runner_call_wait (call, deadline));
      g_assert_true (_async_runner_call_is_finished (call));
      g_assert_true (_async_runner_call_has_state_waiter (call));
      g_assert_no_error (_async_runner_call_get_error (call));
      g_assert_cmpuint (g_value_get_uint (_async_runner_call_get_value (call)), ==, i);
      _async_runner_call_unref (call);

      /* The publisher took this round's call before ending it. */
      g_assert_null (g_atomic_pointer_get (&at.slot));
    }

  g_thread_join (publisher);
  set_spinning (TRUE);
  _async_runner_loop_shutdown (at.loop);
  _async_runner_loop_unref (at.loop);
}

/* A publisher arriving just as a waiter that spun parks wakes it. */
static void
test_at_park_spin (void)
{
  run_at_park (TRUE, FALSE);
}

/* A publisher arriving just as a waiter that did not spin parks wakes it. */
static void
test_at_park_park (void)
{
  run_at_park (FALSE, FALSE);
}

/* A publisher arriving as the waiter parks, with a deadline: one outcome. */
static void
test_at_park_deadline (void)
{
  run_at_park (TRUE, TRUE);
}

/* ------------------------------------------------------------------ */
/* Deadlines                                                            */
/* ------------------------------------------------------------------ */

static void
check_deadline_expiry (gboolean spinning)
{
  AsyncRunnerLoop *loop = _async_runner_loop_new ();
  AsyncRunnerCall *call = call_new (loop);
  gint64 start;
  gint64 deadline;

  set_spinning (spinning);

  /* Nobody ends the call: the wait gives up at its deadline, not
   * before. */
  start = g_get_monotonic_time ();
  deadline = start + 20 * G_TIME_SPAN_MILLISECOND;
  g_assert_false (_async_runner_call_wait (call, deadline));
  g_assert_cmpint (g_get_monotonic_time (), >=, deadline);
  g_assert_false (_async_runner_call_is_finished (call));

  /* A deadline already past: at once. */
  g_assert_false (_async_runner_call_wait (call, g_get_monotonic_time () - 1000));
  g_assert_false (_async_runner_call_wait (call, 0));
  g_assert_false (_async_runner_call_is_finished (call));

  /* The waiter ends the call itself, once. */
  g_assert_true (_async_runner_call_abort (call, G_IO_ERROR_TIMED_OUT, "Timed out"));
  g_assert_false (_async_runner_call_abort (call, G_IO_ERROR_CANCELLED, "Cancelled"));
  g_assert_false (_async_runner_call_claim (call));
  g_assert_true (_async_runner_call_is_finished (call));
  g_assert_error (_async_runner_call_get_error (call), G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  /* A finished call needs no waiting, whatever the deadline. */
  g_assert_true (_async_runner_call_wait (call, -1));
  g_assert_true (_async_runner_call_wait (call, 0));
  g_assert_true (_async_runner_call_wait (call, g_get_monotonic_time () + G_TIME_SPAN_SECOND));

  _async_runner_call_unref (call);
  set_spinning (TRUE);
  _async_runner_loop_shutdown (loop);
  _async_runner_loop_unref (loop);
}

/* Unended, a waiter that may spin gives up at its deadline, not before. */
static void
test_deadline_expiry_spin (void)
{
  check_deadline_expiry (TRUE);
}

/* Unended, a waiter that may not spin gives up at its deadline, not before. */
static void
test_deadline_expiry_park (void)
{
  check_deadline_expiry (FALSE);
}

/* ------------------------------------------------------------------ */
/* The spinning knob itself                                             */
/* ------------------------------------------------------------------ */

/* With at most 0 spinners, every spinner is refused. */
static void
test_park_only_forced (void)
{
  AsyncRunnerSpin spin;
  gint64 stop;

  /* Setting the maximum number of spinners to 0 must refuse every spinner:
   * the "no spinning" tests above rely on it. (A waiter refused spinning
   * may still yield its core for a while before it parks.) */
  _async_runner_spin_init (&spin);

  _async_runner_spin_set_max_spinners (0);
  stop = _async_runner_spin_begin (&spin, g_get_monotonic_time (), -1);
  if (stop != 0)
    _async_runner_spin_end ();
  _async_runner_spin_set_max_spinners (-1);
  g_assert_cmpint (stop, ==, 0);

  /* With the default, a machine of more than one core spins. */
  stop = _async_runner_spin_begin (&spin, g_get_monotonic_time (), -1);
  if (stop != 0)
    _async_runner_spin_end ();
  if (g_get_num_processors () > 1)
    g_assert_cmpint (stop, !=, 0);
  else
    g_assert_cmpint (stop, ==, 0);

  /* And no time left means no spinning. */
  g_assert_cmpint (_async_runner_spin_begin (&spin, g_get_monotonic_time (), 0), ==, 0);
}

/* Yielding the core keeps the thread runnable. */
static void
test_yield_does_not_sleep (void)
{
#ifdef RUSAGE_THREAD
  struct rusage before;
  struct rusage after;
  const guint n = 200;

  /* A waiter past its pausing rounds yields its core every round: it
   * must not sleep there (GLib 2.90's g_thread_yield() sleeps for the
   * timer slack, 50 microseconds). Sleeping counts as a voluntary context
   * switch, giving the core to another runnable thread does not; a few
   * are allowed for what else may block a thread (a page fault). */
  g_assert_cmpint (getrusage (RUSAGE_THREAD, &before), ==, 0);
  for (guint i = 0; i < n; i++)
    _async_runner_yield_core ();
  g_assert_cmpint (getrusage (RUSAGE_THREAD, &after), ==, 0);

  g_assert_cmpint (after.ru_nvcsw - before.ru_nvcsw, <, n / 4);
#else
  g_test_skip ("no per-thread count of voluntary context switches here");
#endif
}

/* ------------------------------------------------------------------ */

static const TestCase tests[] = {
  { "/wait/deadline-expiry-spin", test_deadline_expiry_spin },
  { "/wait/deadline-expiry-park", test_deadline_expiry_park },
  { "/wait/handoff-spin", test_handoff_spin },
  { "/wait/handoff-park", test_handoff_park },
  { "/wait/handoff-many", test_handoff_many },
  { "/wait/at-park-spin", test_at_park_spin },
  { "/wait/at-park-park", test_at_park_park },
  { "/wait/at-park-deadline", test_at_park_deadline },
  { "/wait/deadline-race-spin", test_deadline_race_spin },
  { "/wait/deadline-race-park", test_deadline_race_park },
  { "/wait/yield-does-not-sleep", test_yield_does_not_sleep },
  /* Last: the park-only tests do not depend on it to pass. */
  { "/wait/park-only-forced", test_park_only_forced },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  quick = g_getenv ("ASYNC_RUNNER_TEST_QUICK") != NULL;

  add_watched_tests (tests, G_N_ELEMENTS (tests), WATCHDOG_LIMIT_S);

  return g_test_run ();
}
