/* async-runner-spin-private.h: bounded, adaptive spinning before a real sleep
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A futex sleep and wake-up costs tens of microseconds on a virtual
 * machine, far more than the work a trivial call does. A thread that
 * expects an answer soon may spin for a short, bounded time first.
 *
 * A waiter spins only on a core that nobody else needs: the process
 * counts the cores it keeps busy, each runner thread from the moment it
 * wakes until it sleeps again (working or spinning), each caller while it
 * spins, and a caller spins only while that count is below the number of
 * cores. So waiting threads never steal the CPU from the threads they
 * wait for; a caller refused a core yields its own instead, then parks.
 *
 * Each kind of waiter keeps a budget in microseconds that follows how
 * long its recent waits actually took: about twice that while the waits
 * are short, shrinking to a small floor when they are longer than
 * spinning could ever cover.
 */

typedef struct
{
  gint budget_us;   /* atomic: between ASYNC_RUNNER_SPIN_MIN_US and _MAX_US */
} AsyncRunnerSpin;

#define ASYNC_RUNNER_SPIN_MIN_US 2
#define ASYNC_RUNNER_SPIN_MAX_US 64

void     _async_runner_spin_init             (AsyncRunnerSpin *spin);
gint64   _async_runner_spin_begin            (AsyncRunnerSpin *spin,
                                              gint64           now,
                                              gint64           limit_us);
void     _async_runner_spin_end              (void);
void     _async_runner_spin_hold_core        (void);
void     _async_runner_spin_release_core     (void);
gint64   _async_runner_spin_begin_holding    (AsyncRunnerSpin *spin,
                                              gint64           now,
                                              gint64           limit_us);
void     _async_runner_spin_learn            (AsyncRunnerSpin *spin,
                                              gint64           waited_us);
void     _async_runner_spin_set_max_spinners (gint             max_spinners);
void     _async_runner_spin_after_fork       (gboolean         on_runner_thread);

/* How many rounds a spinner only pauses before it starts yielding its
 * core each round: when the machine has more runnable threads than cores,
 * the thread it waits for may need exactly that core. */
#define ASYNC_RUNNER_SPIN_PAUSE_ROUNDS 64

static inline void
_async_runner_cpu_relax (void)
{
#if defined (__x86_64__) || defined (__i386__)
  __builtin_ia32_pause ();
#elif defined (__aarch64__) || defined (__arm__)
  __asm__ __volatile__ ("yield" ::: "memory");
#else
  __asm__ __volatile__ ("" ::: "memory");
#endif
}

/* How many pausing rounds between a waiter's looks around (at the clock,
 * and for the runner at its descriptors); once yielding, every round looks. */
#define ASYNC_RUNNER_SPIN_LOOK_EVERY 32

/* A waiter's test, once per round: TRUE to stop waiting. On the rounds
 * where @look_around is TRUE the waiter may also make a costlier check
 * (the runner thread polls its descriptors). */
typedef gboolean (*AsyncRunnerSpinCheck) (gpointer data,
                                          gboolean look_around);

gboolean _async_runner_spin_until            (gint64               stop,
                                              guint                first_round,
                                              AsyncRunnerSpinCheck check,
                                              gpointer             data);

/* The CPU the calling thread runs on, or -1 if unknown. */
gint     _async_runner_current_cpu           (void);

/* Lets another runnable thread have this core, without sleeping. */
void     _async_runner_yield_core            (void);

/* One round of waiting: @round counts from 1. */
static inline void
_async_runner_spin_round (guint round)
{
  if (round < ASYNC_RUNNER_SPIN_PAUSE_ROUNDS)
    _async_runner_cpu_relax ();
  else
    _async_runner_yield_core ();
}

G_END_DECLS
