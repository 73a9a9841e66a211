/* async-runner-debug-private.h: names of calls, the stuck-call report, the pending calls
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

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
  GQueue  sleeping;    /* protected by @lock: AsyncRunnerDebugCall.link */
  guint   stuck_ms;    /* atomic: 0 for no report */
} AsyncRunnerDebug;

/* What the diagnostics know of one call, which is opaque here: a record
 * that async-runner-call.c embeds in the call and fills, so that nothing
 * here reads the call itself. */
typedef struct _AsyncRunnerDebugCall
{
  /* Immutable once the call is made */
  const char   *name;          /* the caller's, or NULL: named after @func */
  gpointer      func;          /* the call's function or start function */
  const gint   *state;         /* the call's AsyncRunnerCallState: atomic */
  const gint   *run_state;     /* the call's AsyncRunnerRunState: atomic */

  /* Written by the caller before it lists the record in an
   * AsyncRunnerDebug, read only under that one's lock while listed. */
  guintptr      caller_thread; /* the caller's pthread_t */
  gint64        sleep_since;   /* monotonic time the caller's wait began */
  GList         link;          /* in AsyncRunnerDebug.sleeping while listed */
  gboolean      listed;        /* the caller's thread only */
} AsyncRunnerDebugCall;

/* Whether every call is timed: G_MESSAGES_DEBUG asks for this library's
 * debug messages, or Sysprof marks are recorded. Looked up once, before
 * the first runner exists, and read without a lock. */
extern gboolean _async_runner_debug_log_calls;

void      _async_runner_debug_init          (void);
void      _async_runner_debug_construct     (AsyncRunnerDebug *debug);
void      _async_runner_debug_destruct      (AsyncRunnerDebug *debug);

char     *_async_runner_debug_describe_func (gpointer                    func);
char     *_async_runner_debug_call_dup_name (const AsyncRunnerDebugCall *record);

gint64    _async_runner_debug_log_start     (const AsyncRunnerDebugCall *record);
void      _async_runner_debug_log_end       (const AsyncRunnerDebugCall *record,
                                             gint64                      start,
                                             const GError               *error);

void      _async_runner_debug_sleep         (AsyncRunnerDebug           *debug,
                                             AsyncRunnerDebugCall       *record,
                                             gint64                      since);
void      _async_runner_debug_wake          (AsyncRunnerDebug           *debug,
                                             AsyncRunnerDebugCall       *call);
void      _async_runner_debug_report_stuck  (AsyncRunnerDebug           *debug,
                                             const AsyncRunnerDebugCall *record,
                                             gint64                      now,
                                             gint64                      runner_woke_at,
                                             gboolean                    runner_idle);
char    **_async_runner_debug_dup_pending   (AsyncRunnerDebug           *debug);

G_END_DECLS
