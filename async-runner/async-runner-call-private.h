/* async-runner-call-private.h: one synchronous call and its outcome
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "async-runner-runner.h"
#include "async-runner-debug-private.h"
#include "async-runner-loop-private.h"

G_BEGIN_DECLS

typedef struct _AsyncRunnerCall AsyncRunnerCall;


/* A call ends exactly once: the first party to claim it (the operation
 * completing, the caller's cancellable, the timeout, shutdown, a failure
 * to start) writes the outcome and publishes it; every later attempt is
 * refused and drops what it had. */
typedef enum
{
  ASYNC_RUNNER_CALL_PENDING,
  ASYNC_RUNNER_CALL_CLAIMED,
  ASYNC_RUNNER_CALL_FINISHED,
} AsyncRunnerCallState;

/* Whether the call's function has run. The caller may return only once
 * the function will never run or has returned: it owns @user_data, which
 * bindings free as soon as the call returns (scope call). */
typedef enum
{
  ASYNC_RUNNER_RUN_NOT_STARTED,
  ASYNC_RUNNER_RUN_RUNNING,
  ASYNC_RUNNER_RUN_RAN,
  ASYNC_RUNNER_RUN_SKIPPED,
} AsyncRunnerRunState;

struct _AsyncRunnerCall
{
  gatomicrefcount       ref_count;
  gint                  state;         /* atomic: AsyncRunnerCallState */
  gint                  run_state;     /* atomic: AsyncRunnerRunState */

  /* Parking: the caller sleeps on @cond only after announcing it in
   * @parked, so whoever publishes signals only when someone sleeps. */
  gint                  parked;        /* atomic: waits for @state */
  gint                  ran_waiter;    /* atomic: waits for @run_state */
  GMutex                mutex;
  GCond                 cond;

  /* Immutable once submitted */
  AsyncRunner          *runner;        /* the caller holds a reference */
  AsyncRunnerLoop      *loop;          /* owned */
  AsyncRunnerFunc       func;          /* exactly one of @func and @start */
  AsyncRunnerStartFunc  start;
  gpointer              user_data;
  GCancellable         *cancellable;   /* the operation's own, never NULL */
  guint                 want_value : 1;
  guint                 nested : 1;    /* waited for by iterating the loop */

  AsyncRunnerQueueNode  node;          /* in the loop's queue */

  /* Runner thread only */
  GTask                *task;          /* run_sync: made before dispatch */
  GList                 inflight_link; /* started, not known to have ended */
  gpointer              op_key;        /* call_sync: what the operation calls back with */
  GAsyncResult         *early_result;  /* call_sync: delivered while @start ran */
  guint                 inflight : 1;
  guint                 op_pending : 1; /* call_sync: callback not yet run */
  guint                 task_done : 1;  /* run_sync: the task's callback ran */
  guint                 running : 1;    /* the function has not returned yet */

  /* Set by a caller that waits for the function on another runner's
   * thread, which it keeps serving meanwhile: woken when the function
   * returns. Owned. */
  GMainContext         *waiter_context; /* atomic */

  /* Diagnostics (async-runner-debug.c), which see only @diag */
  AsyncRunnerDebug     *debug;         /* immutable: the runner's, or NULL */
  AsyncRunnerDebugCall  diag;

  /* The outcome: written by the claimer, read by the caller once
   * the call is finished. */
  GValue                value;
  GAsyncResult         *result;
  GError               *error;
};

AsyncRunnerCall *_async_runner_call_new          (AsyncRunner          *runner,
                                                  AsyncRunnerLoop      *loop,
                                                  AsyncRunnerFunc       func,
                                                  AsyncRunnerStartFunc  start,
                                                  gpointer              user_data);
AsyncRunnerCall *_async_runner_call_ref          (AsyncRunnerCall      *call);
void             _async_runner_call_unref        (AsyncRunnerCall      *call);
gboolean         _async_runner_call_claim        (AsyncRunnerCall      *call);
void             _async_runner_call_publish      (AsyncRunnerCall      *call);
gboolean         _async_runner_call_abort        (AsyncRunnerCall      *call,
                                                  gint                  code,
                                                  const char           *message);
gboolean         _async_runner_call_is_finished  (AsyncRunnerCall      *call);
gboolean         _async_runner_call_wait         (AsyncRunnerCall      *call,
                                                  gint64                deadline);
void             _async_runner_call_settle       (AsyncRunnerCall      *call);

gboolean         _async_runner_call_run_sync     (AsyncRunner          *runner,
                                                  AsyncRunnerLoop      *loop,
                                                  const char           *name,
                                                  guint                 timeout_ms,
                                                  AsyncRunnerFunc       func,
                                                  gpointer              user_data,
                                                  GCancellable         *cancellable,
                                                  GValue               *value,
                                                  GError              **error);
GAsyncResult    *_async_runner_call_call_sync    (AsyncRunner          *runner,
                                                  AsyncRunnerLoop      *loop,
                                                  const char           *name,
                                                  guint                 timeout_ms,
                                                  AsyncRunnerStartFunc  start,
                                                  gpointer              user_data,
                                                  GCancellable         *cancellable,
                                                  GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsyncRunnerCall, _async_runner_call_unref)

G_END_DECLS
