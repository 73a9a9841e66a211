/* async-runner-debug-private.h: names of calls, the stuck-call report, the pending calls
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "async-runner-call-private.h"

G_BEGIN_DECLS

/* Default of AsyncRunner:stuck-threshold, in milliseconds. */
#define ASYNC_RUNNER_DEBUG_STUCK_MS_DEFAULT 10000

/* One per runner: the calls whose callers sleep, for the stuck report and
 * async_runner_dup_pending_calls(). A call is listed only once its caller
 * stops spinning and sleeps (it already takes its own mutex and a futex
 * then): a call that ends while its caller spins costs nothing here. */
typedef struct _AsyncRunnerDebug
{
  GMutex  lock;
  GQueue  sleeping;    /* protected by @lock: AsyncRunnerCall.sleeping_link */
  guint   stuck_ms;    /* atomic: 0 for no report */
} AsyncRunnerDebug;

/* Whether every call is timed: G_MESSAGES_DEBUG asks for this library's
 * debug messages, or Sysprof marks are recorded. Looked up once, before
 * the first runner exists, and read without a lock. */
extern gboolean _async_runner_debug_log_calls;

void      _async_runner_debug_init          (void);
void      _async_runner_debug_construct     (AsyncRunnerDebug *debug);
void      _async_runner_debug_destruct      (AsyncRunnerDebug *debug);

char     *_async_runner_debug_describe_func (gpointer          func);
char     *_async_runner_call_dup_name       (AsyncRunnerCall  *call);

gint64    _async_runner_debug_log_start     (AsyncRunnerCall  *call);
void      _async_runner_debug_log_end       (AsyncRunnerCall  *call,
                                             gint64            start,
                                             const GError     *error);

void      _async_runner_debug_sleep         (AsyncRunnerCall  *call,
                                             gint64            since);
void      _async_runner_debug_wake          (AsyncRunnerCall  *call);
void      _async_runner_debug_report_stuck  (AsyncRunnerCall  *call,
                                             gint64            now);
char    **_async_runner_debug_dup_pending   (AsyncRunnerDebug *debug);

G_END_DECLS
