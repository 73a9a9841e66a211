/* async-runner-call-private.h: one synchronous call, from submission to outcome
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NOTES: the modules, and which may use which (each arrow: "includes the
 * private header of, and calls"; nothing points back up)
 *
 *   runner.c  the GObject: properties, argument checks, public entry points
 *      |      call-all.c (fan-out) sits beside it: a run_sync() call whose
 *      |      function starts each operation with _async_runner_call_start_op()
 *      v
 *   call.c    a call's whole life (the NOTES at the top of call.c); owns
 *      |  \    AsyncRunnerCall, opaque everywhere else, and implements
 *      |   \   call-queue-private.h for the loop
 *      |    v
 *      |   debug.c  names, debug messages, the stuck-call report and the
 *      |            pending calls: reads an AsyncRunnerDebugCall record that
 *      |            call.c fills, never a call
 *      v
 *   loop.c    the runner thread, its context and its queue: sees calls only
 *      |      as queue nodes and a set of calls in flight, through
 *      |      call-queue-private.h (implemented in call.c, the one way back)
 *      v
 *   spin.c    spinning before a sleep: _async_runner_spin_until()
 *
 * Besides: loop.c embeds and constructs the runner's AsyncRunnerDebug
 * (debug-private.h), and debug.c reads the two state enums below but calls
 * neither call.c nor loop.c; runner.c asks loop.c for the context, the
 * thread and shutdown, and debug.c for the stuck threshold and the pending
 * calls.
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

/* A whole call, for the public entry points (async-runner-runner.c) */
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

/* One operation of a fan-out (async-runner-call-all.c), started by a
 * running function on the runner thread with call_sync()'s bookkeeping:
 * @done runs once there when it ends, and _async_runner_call_finish_op()
 * then gives its result or error. */
typedef void   (*AsyncRunnerOpDone)              (AsyncRunnerCall      *op,
                                                  gpointer              data);
void             _async_runner_call_start_op     (AsyncRunner          *runner,
                                                  AsyncRunnerStartFunc  start,
                                                  gpointer              user_data,
                                                  GCancellable         *cancellable,
                                                  AsyncRunnerOpDone     done,
                                                  gpointer              done_data);
GAsyncResult    *_async_runner_call_finish_op    (AsyncRunnerCall      *op,
                                                  GError              **error);

/* The hand-off between a waiting caller and whoever ends its call, which
 * tests/test-wait.c drives directly */
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsyncRunnerCall, _async_runner_call_unref)

G_END_DECLS
