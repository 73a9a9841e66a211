/* async-runner-spin.c: bounded, adaptive spinning before a real sleep
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#if HAVE_SCHED_GETCPU || HAVE_SCHED_YIELD
# include <sched.h>
#endif

#include "async-runner-spin-private.h"

#define SPIN_START_US 16

/* Awake runner threads plus spinning callers: the cores this process
 * keeps busy by its own count. */
static gint busy_cores;        /* atomic */
static gint max_spinners = -1; /* atomic: -1 until first use, then the core count */

static inline gint
get_max_spinners (void)
{
  gint max = g_atomic_int_get (&max_spinners);

  if G_UNLIKELY (max < 0)
    {
      max = (gint) g_get_num_processors ();
      g_atomic_int_set (&max_spinners, max);
    }

  return max;
}

void
_async_runner_spin_init (AsyncRunnerSpin *spin)
{
  spin->budget_us = SPIN_START_US;
}

/* Tests use this to force the park path (0) or to restore the default (-1). */
void
_async_runner_spin_set_max_spinners (gint n)
{
  g_atomic_int_set (&max_spinners, n < 0 ? (gint) g_get_num_processors () : n);
}

static gint64
spin_stop (AsyncRunnerSpin *spin,
           gint64           now,
           gint64           limit_us)
{
  gint64 budget = g_atomic_int_get (&spin->budget_us);

  if (limit_us > 0 && limit_us < budget)
    budget = limit_us;

  return now + budget;
}

/* A caller about to wait. Returns the monotonic time at which to stop
 * spinning, or 0 when this thread must not spin (no core free, or no time
 * left before @limit_us, -1 for none). A non-zero return holds a core
 * until _async_runner_spin_end(). */
gint64
_async_runner_spin_begin (AsyncRunnerSpin *spin,
                          gint64           now,
                          gint64           limit_us)
{
  gint max = get_max_spinners ();
  gint busy;

  /* One core cannot run the spinner and the thread it waits for. */
  if (max < 2 || limit_us == 0)
    return 0;

  do
    {
      busy = g_atomic_int_get (&busy_cores);
      if (busy >= max)
        return 0;
    }
  while (!g_atomic_int_compare_and_exchange (&busy_cores, busy, busy + 1));

  return spin_stop (spin, now, limit_us);
}

/* A runner thread, which holds a core already (see
 * _async_runner_spin_hold_core()), about to wait for calls: as
 * _async_runner_spin_begin(), but it spins unless the process keeps more
 * cores busy than there are, and needs no _async_runner_spin_end(). */
gint64
_async_runner_spin_begin_holding (AsyncRunnerSpin *spin,
                                  gint64           now,
                                  gint64           limit_us)
{
  gint max = get_max_spinners ();

  if (max < 2 || limit_us == 0 || g_atomic_int_get (&busy_cores) > max)
    return 0;

  return spin_stop (spin, now, limit_us);
}

/* A runner thread: it is awake (it started, or woke from poll()). */
void
_async_runner_spin_hold_core (void)
{
  g_atomic_int_inc (&busy_cores);
}

/* A runner thread: it sleeps in poll(), or exits. */
void
_async_runner_spin_release_core (void)
{
  g_atomic_int_add (&busy_cores, -1);
}

/* In the child of fork(): the threads that were spinning, and the
 * runner threads, are not there, except the thread that forked, which
 * holds its core if it is a runner thread (it will release it). */
void
_async_runner_spin_after_fork (gboolean on_runner_thread)
{
  g_atomic_int_set (&busy_cores, on_runner_thread ? 1 : 0);
}

void
_async_runner_spin_end (void)
{
  g_atomic_int_add (&busy_cores, -1);
}

/* A wait that started spinning (or would have) took @waited_us in all:
 * aim the budget at twice that, growing at once and shrinking gradually,
 * so that one slow wait among fast ones does not turn spinning off. */
void
_async_runner_spin_learn (AsyncRunnerSpin *spin,
                          gint64           waited_us)
{
  gint budget = g_atomic_int_get (&spin->budget_us);
  gint target;

  if (waited_us <= ASYNC_RUNNER_SPIN_MAX_US / 2)
    target = MAX ((gint) waited_us * 2, ASYNC_RUNNER_SPIN_MIN_US);
  else if (waited_us <= ASYNC_RUNNER_SPIN_MAX_US)
    target = ASYNC_RUNNER_SPIN_MAX_US;
  else
    target = ASYNC_RUNNER_SPIN_MIN_US;

  if (target > budget)
    budget = target;
  else
    budget = (budget + target) / 2;

  if (budget != g_atomic_int_get (&spin->budget_us))
    g_atomic_int_set (&spin->budget_us, budget);
}

/* Waits, from round @first_round (1, or ASYNC_RUNNER_SPIN_PAUSE_ROUNDS to
 * yield from the start), until @check says stop, returning TRUE, or until
 * the monotonic time reaches @stop, returning FALSE. The clock is read
 * only on the rounds that look around, right after @check. Both waiters
 * use it: a caller waiting for its call (async-runner-call.c) and the
 * runner thread waiting for calls (async-runner-loop.c). */
gboolean
_async_runner_spin_until (gint64               stop,
                          guint                first_round,
                          AsyncRunnerSpinCheck check,
                          gpointer             data)
{
  guint round;

  for (round = first_round; ; round++)
    {
      gboolean look_around = round % ASYNC_RUNNER_SPIN_LOOK_EVERY == 0 ||
                             round >= ASYNC_RUNNER_SPIN_PAUSE_ROUNDS;

      if (check (data, look_around))
        return TRUE;

      if (look_around && g_get_monotonic_time () >= stop)
        return FALSE;

      _async_runner_spin_round (round);
    }
}

gint
_async_runner_current_cpu (void)
{
#if HAVE_SCHED_GETCPU
  return sched_getcpu ();
#else
  return -1;
#endif
}

/* Not g_thread_yield(): GLib 2.90 (2.84 still calls sched_yield())
 * makes it a 1 ns clock_nanosleep() on Unix, and a sleep lasts about the
 * thread's timer slack (50 microseconds by default), ten times a whole
 * hand-off. A waiter that yields means to stay runnable: sched_yield()
 * only moves it behind the threads waiting for its core, and returns at
 * once when there are none. */
void
_async_runner_yield_core (void)
{
#if HAVE_SCHED_YIELD
  sched_yield ();
#else
  g_thread_yield ();
#endif
}
