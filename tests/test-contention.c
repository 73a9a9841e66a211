/* test-contention.c: many callers on one runner, and the parking they rely on
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An internal test. Callers wait for their call by spinning while a core
 * is free, else by yielding, and then by parking on the call's state word
 * (a futex on Linux, a striped mutex and condition elsewhere); a runner
 * thread holds a core while it is awake. These tests race the parking
 * primitive itself, many callers against one runner with spinning allowed
 * and forced off, a whole queued batch completing while its waiters are
 * parked, and shutdown while many waiters are parked; and check who may
 * spin.
 *
 * Set ASYNC_RUNNER_TEST_QUICK to run fewer rounds (the valgrind setup of
 * tests/meson.build does).
 */

#include <async-runner.h>

#include "test-util.h"

#include "async-runner-park-private.h"
#include "async-runner-spin-private.h"

#define WATCHDOG_LIMIT_S 60
#define N_THREADS 8

static gboolean quick;

static guint
rounds (guint normal)
{
  return quick ? MAX (normal / 40, 20) : normal;
}

static void
busy_delay (gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;

  while (g_get_monotonic_time () < end)
    _async_runner_cpu_relax ();
}

/* Forces the park path (max 0) or restores spinning (max -1). */
static void
set_spinning (gboolean allowed)
{
  _async_runner_spin_set_max_spinners (allowed ? -1 : 0);
}

/* Waits, polling, until @runner lists @n sleeping callers: each of them
 * has stopped spinning and is about to park or parked. */
static void
wait_for_sleepers (AsyncRunner *runner,
                   guint        n)
{
  for (;;)
    {
      g_auto(GStrv) lines = async_runner_dup_pending_calls (runner);

      if (g_strv_length (lines) >= n)
        {
          g_assert_cmpuint (g_strv_length (lines), ==, n);
          return;
        }
      g_usleep (G_TIME_SPAN_MILLISECOND / 4);
    }
}

/* ------------------------------------------------------------------ */
/* The parking primitive                                                */
/* ------------------------------------------------------------------ */

typedef struct
{
  void   (*park)   (gint *word, gint expected, gint64 deadline);
  void   (*unpark) (gint *word);
  guint    rounds;
  guint32  seed;
  gint     word;      /* atomic: the round the parker may leave */
  gint     arrived;   /* atomic: the round the parker waits in */
} Flip;

static gpointer
flip_waker (gpointer data)
{
  Flip *flip = data;
  GRand *rand = g_rand_new_with_seed (flip->seed);
  guint i;

  for (i = 0; i < flip->rounds; i++)
    {
      while (g_atomic_int_get (&flip->arrived) != (gint) i)
        g_thread_yield ();

      /* While the parker goes to sleep (most rounds), or once it sleeps. */
      switch (g_rand_int_range (rand, 0, 8))
        {
        case 0:
          busy_delay (g_rand_int_range (rand, 10, 60));
          break;
        case 1:
        case 2:
        case 3:
          for (guint spins = g_rand_int_range (rand, 0, 200); spins > 0; spins--)
            _async_runner_cpu_relax ();
          break;
        default:
          break;
        }

      g_atomic_int_set (&flip->word, i + 1);
      flip->unpark (&flip->word);
    }

  g_rand_free (rand);

  return NULL;
}

static void
run_flip (void (*park)   (gint *word, gint expected, gint64 deadline),
          void (*unpark) (gint *word))
{
  Flip flip = { park, unpark, rounds (5000), g_test_rand_int (), 0, -1 };
  GThread *waker = g_thread_new ("waker", flip_waker, &flip);
  guint i;

  for (i = 0; i < flip.rounds; i++)
    {
      g_atomic_int_set (&flip.arrived, i);
      /* A lost wake-up leaves this loop asleep: the watchdog reports it. */
      while (g_atomic_int_get (&flip.word) == (gint) i)
        flip.park (&flip.word, i, -1);
      g_assert_cmpint (g_atomic_int_get (&flip.word), ==, i + 1);
    }

  g_thread_join (waker);
}

/* Every change of the word followed by an unpark wakes the futex parker,
 * whenever it comes relative to the parker going to sleep. */
static void
test_park_race_futex (void)
{
  run_flip (_async_runner_park, _async_runner_unpark);
}

/* The same for the portable parker (striped mutexes and conditions),
 * which only other systems use otherwise. */
static void
test_park_race_portable (void)
{
  run_flip (_async_runner_park_portable, _async_runner_unpark_portable);
}

static void
check_park_deadline (void (*park) (gint *word, gint expected, gint64 deadline))
{
  gint word = 7;
  gint64 deadline;

  /* The word differs: at once, whatever the deadline. */
  park (&word, 6, -1);
  park (&word, 6, g_get_monotonic_time () + G_TIME_SPAN_SECOND);

  /* Nobody unparks: the deadline ends the wait (spurious wake-ups may
   * end it earlier, so loop as every caller does). */
  deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_MILLISECOND;
  while (g_get_monotonic_time () < deadline)
    park (&word, 7, deadline);
  park (&word, 7, g_get_monotonic_time () - G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (word, ==, 7);
}

/* A park with a deadline returns by it, and one whose word already
 * changed returns at once, for both parkers. */
static void
test_park_deadline (void)
{
  check_park_deadline (_async_runner_park);
  check_park_deadline (_async_runner_park_portable);
}

typedef struct
{
  void (*park) (gint *word, gint expected, gint64 deadline);
  gint *word;
  gint *parked;   /* atomic */
} Sleeper;

static gpointer
sleeper_thread (gpointer data)
{
  Sleeper *sleeper = data;

  g_atomic_int_inc (sleeper->parked);
  while (g_atomic_int_get (sleeper->word) == 0)
    sleeper->park (sleeper->word, 0, -1);

  return NULL;
}

static void
check_unpark_all (void (*park)   (gint *word, gint expected, gint64 deadline),
                  void (*unpark) (gint *word))
{
  GThread *threads[N_THREADS];
  Sleeper sleeper;
  gint word = 0;
  gint parked = 0;
  guint i;

  sleeper = (Sleeper) { park, &word, &parked };
  for (i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("sleeper", sleeper_thread, &sleeper);
  while (g_atomic_int_get (&parked) < N_THREADS)
    g_thread_yield ();

  g_atomic_int_set (&word, 1);
  unpark (&word);

  for (i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);
}

/* One unpark wakes every thread parked on the word. */
static void
test_unpark_all (void)
{
  check_unpark_all (_async_runner_park, _async_runner_unpark);
  check_unpark_all (_async_runner_park_portable, _async_runner_unpark_portable);
}

/* ------------------------------------------------------------------ */
/* Many callers on one runner                                           */
/* ------------------------------------------------------------------ */

typedef struct
{
  AsyncRunner *runner;
  guint        index;
  guint        calls;
} Caller;

static gpointer
caller_thread (gpointer data)
{
  Caller *caller = data;
  guint i;

  for (i = 0; i < caller->calls; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      g_autoptr(GError) error = NULL;
      gint expected = (gint) (caller->index * 1000000 + i);

      g_assert_true (async_runner_run_sync (caller->runner, return_int,
                                            GINT_TO_POINTER (expected),
                                            NULL, &value, &error));
      g_assert_no_error (error);
      g_assert_cmpint (g_value_get_int (&value), ==, expected);
    }

  return NULL;
}

static void
run_callers (gboolean spinning)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  Caller callers[N_THREADS];
  GThread *threads[N_THREADS];
  guint i;

  set_spinning (spinning);

  for (i = 0; i < N_THREADS; i++)
    {
      callers[i] = (Caller) { runner, i, rounds (1000) };
      threads[i] = g_thread_new ("caller", caller_thread, &callers[i]);
    }
  for (i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  set_spinning (TRUE);
  async_runner_shutdown (runner);
}

/* More callers than cores, spinning where a core is free: every call
 * gets its own value back, none is lost or woken for another's. */
static void
test_many_callers_spin (void)
{
  run_callers (TRUE);
}

/* The same with every waiter parking: no wake-up is lost. */
static void
test_many_callers_park (void)
{
  run_callers (FALSE);
}

/* ------------------------------------------------------------------ */
/* A batch completing while its waiters are parked                      */
/* ------------------------------------------------------------------ */

/* A function that holds the runner thread until the test opens @gate. */
typedef struct
{
  AsyncRunner *runner;
  Flag         entered;
  Gate         gate;
} Blocker;

static gboolean
block_at_gate (AsyncRunner *runner,
               GTask       *task,
               gpointer     user_data)
{
  Blocker *blocker = user_data;

  flag_set (&blocker->entered);
  gate_pass (&blocker->gate);
  g_task_return_boolean (task, TRUE);

  return TRUE;
}

static gpointer
blocked_caller_thread (gpointer data)
{
  Blocker *blocker = data;
  g_autoptr(GError) error = NULL;

  g_assert_true (async_runner_run_sync (blocker->runner, block_at_gate, blocker,
                                        NULL, NULL, &error));
  g_assert_no_error (error);

  return NULL;
}

/* Holds @runner's thread in a function until blocker_release(). */
static GThread *
blocker_start (Blocker     *blocker,
               AsyncRunner *runner)
{
  GThread *thread;

  blocker->runner = runner;
  flag_init (&blocker->entered);
  gate_init (&blocker->gate);
  thread = g_thread_new ("blocked", blocked_caller_thread, blocker);
  flag_wait (&blocker->entered);

  return thread;
}

static void
blocker_release (Blocker *blocker,
                 GThread *thread)
{
  gate_open (&blocker->gate);
  g_thread_join (thread);
  gate_clear (&blocker->gate);
  flag_clear (&blocker->entered);
}

/* Callers queued behind a busy runner park; the runner then takes them
 * as one batch and completes it while they sleep: each is woken with its
 * own value. */
static void
test_parked_while_batch_completes (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  Caller callers[N_THREADS];
  GThread *threads[N_THREADS];
  guint round;
  guint i;

  for (round = 0; round < rounds (20); round++)
    {
      Blocker blocker;
      GThread *blocked = blocker_start (&blocker, runner);

      for (i = 0; i < N_THREADS; i++)
        {
          callers[i] = (Caller) { runner, i, 1 };
          threads[i] = g_thread_new ("caller", caller_thread, &callers[i]);
        }

      /* Every caller, and the blocked one, stopped spinning. */
      wait_for_sleepers (runner, N_THREADS + 1);
      blocker_release (&blocker, blocked);

      for (i = 0; i < N_THREADS; i++)
        g_thread_join (threads[i]);
    }

  async_runner_shutdown (runner);
}

/* ------------------------------------------------------------------ */
/* Shutdown while many waiters are parked                               */
/* ------------------------------------------------------------------ */

static gboolean
hold (AsyncRunner *runner,
      GTask       *task,
      gpointer     user_data)
{
  hold_until_cancelled (task, hold_return_cancelled);
  return TRUE;
}

static gpointer
held_caller_thread (gpointer data)
{
  AsyncRunner *runner = data;
  g_autoptr(GError) error = NULL;

  g_assert_false (async_runner_run_sync (runner, hold, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  return NULL;
}

/* Many waiters parked on operations in flight all return
 * G_IO_ERROR_CLOSED when the runner shuts down: none is left asleep. */
static void
test_shutdown_while_parked (void)
{
  guint round;

  for (round = 0; round < rounds (10); round++)
    {
      g_autoptr(AsyncRunner) runner = async_runner_new ();
      GThread *threads[N_THREADS];
      guint i;

      for (i = 0; i < N_THREADS; i++)
        threads[i] = g_thread_new ("held", held_caller_thread, runner);

      wait_for_sleepers (runner, N_THREADS);
      async_runner_shutdown (runner);

      for (i = 0; i < N_THREADS; i++)
        g_thread_join (threads[i]);
    }

  assert_holds_released ();
}

typedef struct
{
  AsyncRunner *runner;
  gint        *started;   /* atomic: calls that returned so far, all threads */
} Racer;

static gpointer
racer_thread (gpointer data)
{
  Racer *racer = data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;

      if (!async_runner_run_sync (racer->runner, return_int, NULL, NULL, NULL, &error))
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
          return NULL;
        }
      g_atomic_int_inc (racer->started);
    }
}

/* Shutdown arriving while many callers submit, spin, yield and park:
 * each of them ends with G_IO_ERROR_CLOSED, none hangs. */
static void
test_shutdown_under_load (void)
{
  guint round;

  for (round = 0; round < rounds (20); round++)
    {
      g_autoptr(AsyncRunner) runner = async_runner_new ();
      GThread *threads[N_THREADS];
      gint started = 0;
      Racer racer = { runner, &started };
      guint i;

      set_spinning (round % 2 == 0);

      for (i = 0; i < N_THREADS; i++)
        threads[i] = g_thread_new ("racer", racer_thread, &racer);

      while (g_atomic_int_get (&started) < (gint) (round * 10 + N_THREADS))
        g_thread_yield ();
      async_runner_shutdown (runner);

      for (i = 0; i < N_THREADS; i++)
        g_thread_join (threads[i]);
    }

  set_spinning (TRUE);
}

/* ------------------------------------------------------------------ */
/* Who may spin                                                         */
/* ------------------------------------------------------------------ */

/* A runner thread at work occupies a core: with two cores, one caller
 * may spin beside it and a second must not. */
static void
test_runner_counts_as_busy (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  AsyncRunnerSpin spin;
  Blocker blocker;
  GThread *blocked;
  gint64 first;
  gint64 second;

  _async_runner_spin_init (&spin);
  _async_runner_spin_set_max_spinners (2);

  blocked = blocker_start (&blocker, runner);
  /* Its caller no longer spins. */
  wait_for_sleepers (runner, 1);

  first = _async_runner_spin_begin (&spin, g_get_monotonic_time (), -1);
  second = _async_runner_spin_begin (&spin, g_get_monotonic_time (), -1);
  if (second != 0)
    _async_runner_spin_end ();
  if (first != 0)
    _async_runner_spin_end ();

  blocker_release (&blocker, blocked);
  _async_runner_spin_set_max_spinners (-1);
  async_runner_shutdown (runner);

  g_assert_cmpint (first, !=, 0);
  g_assert_cmpint (second, ==, 0);
}

/* ------------------------------------------------------------------ */

static const TestCase tests[] = {
  { "/AsyncRunner/Contention/park-race-futex", test_park_race_futex },
  { "/AsyncRunner/Contention/park-race-portable", test_park_race_portable },
  { "/AsyncRunner/Contention/park-deadline", test_park_deadline },
  { "/AsyncRunner/Contention/unpark-all", test_unpark_all },
  { "/AsyncRunner/Contention/many-callers-spin", test_many_callers_spin },
  { "/AsyncRunner/Contention/many-callers-park", test_many_callers_park },
  { "/AsyncRunner/Contention/parked-while-batch-completes", test_parked_while_batch_completes },
  { "/AsyncRunner/Contention/shutdown-while-parked", test_shutdown_while_parked },
  { "/AsyncRunner/Contention/shutdown-under-load", test_shutdown_under_load },
  { "/AsyncRunner/Contention/runner-counts-as-busy", test_runner_counts_as_busy },
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
