/* async-runner-call-private.h: one synchronous call and its outcome
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "async-runner-runner.h"
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
GValue          *_async_runner_call_get_value    (AsyncRunnerCall      *call);
const GError    *_async_runner_call_get_error    (AsyncRunnerCall      *call);
gboolean         _async_runner_call_has_state_waiter (AsyncRunnerCall  *call);
gboolean         _async_runner_call_wait         (AsyncRunnerCall      *call,
                                                  gint64                deadline);

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
