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
 * At most one thread per core spins at any time, counting the runner
 * threads, so waiting threads never steal the CPU from the threads they
 * wait for. Each spinner has a budget in microseconds that grows when
 * spinning paid off and shrinks when it did not, down to zero.
 */

typedef struct
{
  gint budget_us;   /* atomic: current budget, between 0 and the maximum */
} AsyncRunnerSpin;

#define ASYNC_RUNNER_SPIN_MAX_US 64

void     _async_runner_spin_init   (AsyncRunnerSpin *spin);
gint64   _async_runner_spin_begin  (AsyncRunnerSpin *spin,
                                    gint64           limit_us);
void     _async_runner_spin_end    (AsyncRunnerSpin *spin,
                                    gboolean         paid_off);
void     _async_runner_spin_set_max_spinners (gint max_spinners);

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

G_END_DECLS
