/* async-runner-spin.c: bounded, adaptive spinning before a real sleep
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "async-runner-spin-private.h"

#define SPIN_START_US 16
#define SPIN_MIN_US    2

static gint spinners;        /* atomic: threads spinning right now */
static gint max_spinners;    /* atomic: 0 until first use, then the core count */

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

/* Returns the monotonic time at which to stop spinning, or 0 when this
 * thread must not spin (no budget, or as many spinners as cores). A
 * non-zero return must be paired with _async_runner_spin_end(). */
gint64
_async_runner_spin_begin (AsyncRunnerSpin *spin,
                          gint64           limit_us)
{
  gint budget = g_atomic_int_get (&spin->budget_us);
  gint max = g_atomic_int_get (&max_spinners);

  if G_UNLIKELY (max == 0)
    {
      max = (gint) g_get_num_processors ();
      g_atomic_int_set (&max_spinners, max);
    }

  /* One core cannot run the spinner and the thread it waits for. */
  if (max < 2 || limit_us == 0)
    return 0;

  if (g_atomic_int_add (&spinners, 1) >= max)
    {
      g_atomic_int_add (&spinners, -1);
      return 0;
    }

  if (limit_us > 0 && limit_us < budget)
    budget = (gint) limit_us;

  return g_get_monotonic_time () + budget;
}

void
_async_runner_spin_end (AsyncRunnerSpin *spin,
                        gboolean         paid_off)
{
  gint budget = g_atomic_int_get (&spin->budget_us);

  g_atomic_int_add (&spinners, -1);

  /* Grow quickly while spinning pays off, shrink when it does not. The
   * floor keeps probing, so a workload that turns fast again gets its
   * spinning back, at a cost of a couple of microseconds per slow wait. */
  if (paid_off)
    budget = MIN (budget * 2, ASYNC_RUNNER_SPIN_MAX_US);
  else
    budget = MAX (budget / 2, SPIN_MIN_US);

  g_atomic_int_set (&spin->budget_us, budget);
}
