/* async-runner-park-private.h: sleeping until a word changes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A thread that has spun long enough parks on a word of the object it
 * waits for (a call's state, say) until another thread changes the word
 * and unparks it. No mutex or condition per object: on Linux the word is
 * a futex, so a park is one system call and an unpark one more, and an
 * unparked thread never then queues for a mutex its waker still holds.
 * Elsewhere, threads park on one of a fixed set of mutexes and conditions
 * chosen by the word's address, which several words may share.
 *
 * The protocol, as folly's Baton follows it: the waiter announces that it
 * parks (in a flag of its own), reads the word, and parks expecting the
 * value it read; the waker stores the new value, then reads the flag and
 * unparks only if it is set. Each stores before it reads, so at least one
 * of them sees the other; and a park whose word no longer holds the
 * expected value returns at once, so an unpark that comes before the park
 * is not lost. A park may return early (a signal, a shared condition):
 * waiters loop until the word tells them to stop. The waker must keep the
 * word alive until it has unparked (it holds a reference to its object).
 */

void _async_runner_park            (gint   *word,
                                    gint    expected,
                                    gint64  deadline);
void _async_runner_unpark          (gint   *word);

/* The fallback of systems without futexes, built everywhere so that the
 * tests can run it. */
void _async_runner_park_portable   (gint   *word,
                                    gint    expected,
                                    gint64  deadline);
void _async_runner_unpark_portable (gint   *word);

G_END_DECLS
