/* test-util.h: helpers shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Only what several test files need in exactly the same form lives here;
 * a helper that one file needs differently stays in that file.
 */

#pragma once

#include <async-runner.h>

G_BEGIN_DECLS

/* ---- Watchdogs: a test aborts with a message instead of hanging ---- */

/* A watchdog for one stretch of a test, from watchdog_arm() to
 * watchdog_disarm(). */
typedef struct _Watchdog Watchdog;

Watchdog *watchdog_arm    (const char  *what,
                           guint        seconds,
                           void       (*report) (void));
void      watchdog_disarm (Watchdog    *dog);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watchdog, watchdog_disarm)

/* Tests run under one watchdog for the whole process, restarted by
 * every test. */
typedef struct
{
  const char *path;
  GTestFunc   func;
} TestCase;

void add_watched_tests (const TestCase *tests,
                        gsize           n_tests,
                        guint           limit_s);

/* ---- Environment knobs ---- */

guint env_uint (const char *name,
                guint       default_value);

/* ---- Main contexts and tasks ---- */

void attach_source   (GMainContext   *context,
                      guint           timeout_ms,
                      GSourceFunc     func,
                      gpointer        data,
                      GDestroyNotify  notify);

void task_return_int (GTask          *task,
                      gint            n);

/* ---- Operations that complete only once cancelled ---- */

void hold_until_cancelled  (GTask  *task,
                            void  (*fire) (GTask *task));
void hold_return_cancelled (GTask  *task);
void assert_holds_released (void);

G_END_DECLS
