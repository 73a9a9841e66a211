/* async-runner-park.c: sleeping until a word changes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

/* The futex system call takes a struct timespec of the kernel's native
 * layout: use it where that is the C library's (64-bit Linux). */
#if defined (__linux__) && defined (__LP64__)
# include <linux/futex.h>
# include <sys/syscall.h>
# include <time.h>
# include <unistd.h>
# if defined (SYS_futex) && defined (FUTEX_WAIT_BITSET_PRIVATE)
#  define HAVE_PARK_FUTEX 1
# endif
#endif

#include "async-runner-park-private.h"

/* The portable parker: a word's threads park on the stripe its address
 * picks, shared with the words of other stripes' collisions; an unpark
 * wakes every thread of the stripe, and those whose word did not change
 * park again. Go's runtime keeps its semaphores' sleepers in such a
 * table too. Statically allocated GMutex and GCond need no setup. */
#define N_STRIPES 64

typedef struct
{
  GMutex mutex;
  GCond  cond;
} Stripe;

static Stripe stripes[N_STRIPES];

static inline Stripe *
stripe_for (gint *word)
{
  return &stripes[(GPOINTER_TO_SIZE (word) / sizeof (gint)) % N_STRIPES];
}

/* Any thread: sleeps while *@word holds @expected, until unparked, until
 * the monotonic time reaches @deadline (-1: no deadline), or for no
 * reason. The word is read under the stripe's mutex and the waker locks
 * it after storing: the change cannot slip in between. */
void
_async_runner_park_portable (gint   *word,
                             gint    expected,
                             gint64  deadline)
{
  Stripe *stripe = stripe_for (word);

  g_mutex_lock (&stripe->mutex);
  if (g_atomic_int_get (word) == expected)
    {
      if (deadline < 0)
        g_cond_wait (&stripe->cond, &stripe->mutex);
      else
        g_cond_wait_until (&stripe->cond, &stripe->mutex, deadline);
    }
  g_mutex_unlock (&stripe->mutex);
}

/* Any thread, after changing *@word: wakes every thread parked on it. */
void
_async_runner_unpark_portable (gint *word)
{
  Stripe *stripe = stripe_for (word);

  g_mutex_lock (&stripe->mutex);
  g_cond_broadcast (&stripe->cond);
  g_mutex_unlock (&stripe->mutex);
}

#ifdef HAVE_PARK_FUTEX

/* As _async_runner_park_portable(). The kernel compares the word with
 * @expected and sleeps atomically; the deadline is absolute, on the
 * monotonic clock that g_get_monotonic_time() reads. */
void
_async_runner_park (gint   *word,
                    gint    expected,
                    gint64  deadline)
{
  struct timespec until = { 0, 0 };

  if (deadline >= 0)
    {
      until.tv_sec = deadline / G_USEC_PER_SEC;
      until.tv_nsec = (deadline % G_USEC_PER_SEC) * 1000;
    }

  syscall (SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE, expected,
           deadline >= 0 ? &until : NULL, NULL, FUTEX_BITSET_MATCH_ANY);
}

/* As _async_runner_unpark_portable(). */
void
_async_runner_unpark (gint *word)
{
  syscall (SYS_futex, word, FUTEX_WAKE_PRIVATE, G_MAXINT, NULL, NULL, 0);
}

#else

void
_async_runner_park (gint   *word,
                    gint    expected,
                    gint64  deadline)
{
  _async_runner_park_portable (word, expected, deadline);
}

void
_async_runner_unpark (gint *word)
{
  _async_runner_unpark_portable (word);
}

#endif
