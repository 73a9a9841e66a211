/* async-runner-loop-private.h: the runner thread, its context and its queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "async-runner-call-queue-private.h"
#include "async-runner-spin-private.h"

G_BEGIN_DECLS

typedef struct _AsyncRunnerLoop AsyncRunnerLoop;

AsyncRunnerLoop *_async_runner_loop_new             (void);
AsyncRunnerLoop *_async_runner_loop_ref             (AsyncRunnerLoop *loop);
void             _async_runner_loop_unref           (AsyncRunnerLoop *loop);
GMainContext    *_async_runner_loop_get_context     (AsyncRunnerLoop *loop);
AsyncRunnerSpin *_async_runner_loop_get_caller_spin (AsyncRunnerLoop *loop);
gint             _async_runner_loop_get_runner_cpu  (AsyncRunnerLoop *loop);
gboolean         _async_runner_loop_is_current      (AsyncRunnerLoop *loop);
gboolean         _async_runner_loop_is_quitting     (AsyncRunnerLoop *loop);
gboolean         _async_runner_loop_submit          (AsyncRunnerLoop      *loop,
                                                     AsyncRunnerQueueNode *node,
                                                     GError              **error);
AsyncRunnerCallSet *_async_runner_loop_get_calls    (AsyncRunnerLoop *loop);
AsyncRunnerLoop *_async_runner_loop_get_current     (void);
void             _async_runner_loop_discard_pending (AsyncRunnerLoop *loop);
void             _async_runner_loop_shutdown        (AsyncRunnerLoop *loop);

/* The thread rules that comments state ("Runner thread", "Any thread but
 * the runner's"), asserted in debug builds only (meson's debug option,
 * which the default debugoptimized build has): they cost a thread-local
 * read each, on the path of every call. */
#ifdef ASYNC_RUNNER_ENABLE_DEBUG
# define ASYNC_RUNNER_ASSERT_RUNNER_THREAD(loop) \
  g_assert (_async_runner_loop_is_current (loop))
# define ASYNC_RUNNER_ASSERT_NOT_RUNNER_THREAD(loop) \
  g_assert (!_async_runner_loop_is_current (loop))
#else
# define ASYNC_RUNNER_ASSERT_RUNNER_THREAD(loop) G_STMT_START { } G_STMT_END
# define ASYNC_RUNNER_ASSERT_NOT_RUNNER_THREAD(loop) G_STMT_START { } G_STMT_END
#endif

/* Diagnostics */
struct _AsyncRunnerDebug *_async_runner_loop_get_debug (AsyncRunnerLoop *loop);
gint64           _async_runner_loop_get_woke_at     (AsyncRunnerLoop *loop);
gboolean         _async_runner_loop_is_sleeping     (AsyncRunnerLoop *loop);

G_END_DECLS
