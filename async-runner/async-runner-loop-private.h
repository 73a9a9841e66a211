/* async-runner-loop-private.h: the runner thread, its context and its queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "async-runner-call-private.h"
#include "async-runner-spin-private.h"

G_BEGIN_DECLS

AsyncRunnerLoop *_async_runner_loop_new             (void);
AsyncRunnerLoop *_async_runner_loop_ref             (AsyncRunnerLoop *loop);
void             _async_runner_loop_unref           (AsyncRunnerLoop *loop);
GMainContext    *_async_runner_loop_get_context     (AsyncRunnerLoop *loop);
AsyncRunnerSpin *_async_runner_loop_get_caller_spin (AsyncRunnerLoop *loop);
gint             _async_runner_loop_get_runner_cpu  (AsyncRunnerLoop *loop);
gboolean         _async_runner_loop_is_current      (AsyncRunnerLoop *loop);
gboolean         _async_runner_loop_is_quitting     (AsyncRunnerLoop *loop);
gboolean         _async_runner_loop_submit          (AsyncRunnerLoop *loop,
                                                     AsyncRunnerCall *call,
                                                     GError         **error);
void             _async_runner_loop_track           (AsyncRunnerLoop *loop,
                                                     AsyncRunnerCall *call);
void             _async_runner_loop_untrack         (AsyncRunnerLoop *loop,
                                                     AsyncRunnerCall *call);
gpointer         _async_runner_loop_add_op          (AsyncRunnerLoop *loop,
                                                     AsyncRunnerCall *call);
void             _async_runner_loop_retire_op       (AsyncRunnerLoop *loop,
                                                     AsyncRunnerCall *call);
AsyncRunnerCall *_async_runner_loop_take_op         (AsyncRunnerLoop *loop,
                                                     gpointer         key,
                                                     GAsyncResult    *result);
AsyncRunnerLoop *_async_runner_loop_get_current     (void);
void             _async_runner_loop_task_started    (AsyncRunnerLoop *loop);
void             _async_runner_loop_task_gone       (AsyncRunnerLoop *loop);
void             _async_runner_loop_discard_pending (AsyncRunnerLoop *loop);
void             _async_runner_loop_shutdown        (AsyncRunnerLoop *loop);

/* Diagnostics */
struct _AsyncRunnerDebug *_async_runner_loop_get_debug (AsyncRunnerLoop *loop);
gint64           _async_runner_loop_get_woke_at     (AsyncRunnerLoop *loop);
gboolean         _async_runner_loop_is_sleeping     (AsyncRunnerLoop *loop);

G_END_DECLS
