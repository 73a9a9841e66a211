/* test-contention.c: many callers on one runner, and the parking they rely on
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An internal test. A thread that has spun long enough parks on a word
 * (a futex on Linux, a striped mutex and condition elsewhere) until
 * another thread changes it and unparks it. These tests race the parking
 * primitive itself, both implementations.
 *
 * Set ASYNC_RUNNER_TEST_QUICK to run fewer rounds (under valgrind).
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

static const TestCase tests[] = {
  { "/AsyncRunner/Contention/park-race-futex", test_park_race_futex },
  { "/AsyncRunner/Contention/park-race-portable", test_park_race_portable },
  { "/AsyncRunner/Contention/park-deadline", test_park_deadline },
  { "/AsyncRunner/Contention/unpark-all", test_unpark_all },
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
