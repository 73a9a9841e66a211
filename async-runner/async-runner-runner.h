/* async-runner-runner.h: the AsyncRunner object
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (ASYNC_RUNNER_INSIDE) && !defined (ASYNC_RUNNER_COMPILATION)
# error "Only <async-runner.h> can be included directly."
#endif

#include <gio/gio.h>

#include "async-runner-version-macros.h"

G_BEGIN_DECLS

#define ASYNC_TYPE_RUNNER (async_runner_get_type ())

ASYNC_RUNNER_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsyncRunner, async_runner, ASYNC, RUNNER, GObject)

/**
 * AsyncRunnerFunc:
 * @runner: the runner calling the function
 * @task: the task to complete with one of the `g_task_return_*()` functions
 * @user_data: (closure): the data passed to [method@AsyncRunner.Runner.run_sync]
 *
 * A function run by [method@AsyncRunner.Runner.run_sync] on the runner
 * thread, with the runner's [struct@GLib.MainContext] as the thread-default
 * context (even when the call was made on the runner thread by a function
 * that had pushed a context of its own).
 *
 * It starts some work that eventually completes @task with
 * g_task_return_value() (when the caller wants a value) or any other
 * `g_task_return_*()` function. It may complete @task before returning or
 * later, from any callback on the runner context. @task is not owned by the
 * function: to complete it after returning, keep a reference
 * (g_object_ref()) and drop it once the task is returned. A task that is
 * dropped without being completed fails the call with %G_IO_ERROR_FAILED.
 *
 * The operation should use g_task_get_cancellable() on @task: that
 * cancellable is cancelled when the call is cancelled, times out or the
 * runner shuts down.
 *
 * Sources for later work go to the thread-default context, which is the
 * runner's here: g_idle_add() and g_timeout_add() attach to the global
 * default context instead, whose owner (often the main thread) may be the
 * very thread blocked in this call, and the call would never return. Use
 * g_main_context_invoke() on g_main_context_get_thread_default(), or
 * attach the source to it (see
 * [Debugging a stuck call](debugging-a-stuck-call.html)).
 *
 * The function should start the work and return: the runner runs one
 * function at a time, so a function that blocks holds up every other call
 * on the runner. Blocking work can run in a thread of its own with
 * g_task_run_in_thread() on @task; g_task_run_in_thread_sync() on @task
 * completes it too, but blocks the runner meanwhile. Anything the work
 * uses after the function has returned must be owned by it (keep a
 * reference), since the call may have ended by then.
 *
 * Returns: %TRUE if the function took charge of @task (or completed it);
 *   %FALSE if it could not start the work, which fails the call at once
 *   with %G_IO_ERROR_FAILED, even if it completed @task before returning:
 *   the outcome of a task completed while the function runs is delivered
 *   only once the function has returned %TRUE
 *
 * Since: 1.0
 */
typedef gboolean (*AsyncRunnerFunc) (AsyncRunner *runner,
                                     GTask       *task,
                                     gpointer     user_data);

/**
 * AsyncRunnerStartFunc:
 * @runner: the runner calling the function
 * @user_data: (closure): the data passed to [method@AsyncRunner.Runner.call_sync]
 * @cancellable: (nullable): the cancellable to pass to the asynchronous
 *   operation; it is cancelled when the call is cancelled, times out or the
 *   runner shuts down
 * @callback: (scope async): the callback to pass to the asynchronous
 *   operation
 * @callback_data: (skip): the data to pass along with @callback
 *
 * A function run by [method@AsyncRunner.Runner.call_sync] on the runner
 * thread, with the runner's [struct@GLib.MainContext] as the thread-default
 * context (even when the call was made on the runner thread by a function
 * that had pushed a context of its own). It calls one GIO-style asynchronous function, such as
 * g_file_load_contents_async(), passing it @cancellable, @callback and
 * @callback_data, and returns. Anything the operation uses after the
 * function has returned must be owned by it (GIO functions keep a
 * reference to their source object), since the call may have ended by
 * then.
 *
 * The operation must call back on the runner's context: an object made on
 * another thread's context (a D-Bus connection or proxy made on the main
 * thread, say) calls back there, and if that thread is the one blocked in
 * the call, the call never returns. Make such objects on the runner thread
 * (see [Debugging a stuck call](debugging-a-stuck-call.html)).
 *
 * Returns: %TRUE if the operation was started; %FALSE if it could not be,
 *   which fails the call at once with %G_IO_ERROR_FAILED, even if
 *   @callback was called before the function returned: a result delivered
 *   while the function runs counts only once it has returned %TRUE (in
 *   case @callback is called after %FALSE, the runner keeps a few bytes to
 *   receive it until it shuts down)
 *
 * Since: 1.0
 */
typedef gboolean (*AsyncRunnerStartFunc) (AsyncRunner         *runner,
                                          gpointer             user_data,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             callback_data);

ASYNC_RUNNER_AVAILABLE_IN_1_0
AsyncRunner  *async_runner_new              (void) G_GNUC_WARN_UNUSED_RESULT;
ASYNC_RUNNER_AVAILABLE_IN_1_0
AsyncRunner  *async_runner_get_default      (void);
ASYNC_RUNNER_AVAILABLE_IN_1_0
GMainContext *async_runner_get_context      (AsyncRunner          *self);
ASYNC_RUNNER_AVAILABLE_IN_1_0
gboolean      async_runner_is_runner_thread (AsyncRunner          *self);
ASYNC_RUNNER_AVAILABLE_IN_1_0
guint         async_runner_get_timeout      (AsyncRunner          *self);
ASYNC_RUNNER_AVAILABLE_IN_1_0
void          async_runner_set_timeout      (AsyncRunner          *self,
                                             guint                 timeout_ms);
ASYNC_RUNNER_AVAILABLE_IN_1_0
gboolean      async_runner_run_sync         (AsyncRunner          *self,
                                             AsyncRunnerFunc       func,
                                             gpointer              user_data,
                                             GCancellable         *cancellable,
                                             GValue               *value,
                                             GError              **error);
ASYNC_RUNNER_AVAILABLE_IN_1_0
GAsyncResult *async_runner_call_sync        (AsyncRunner          *self,
                                             AsyncRunnerStartFunc  start,
                                             gpointer              user_data,
                                             GCancellable         *cancellable,
                                             GError              **error) G_GNUC_WARN_UNUSED_RESULT;
ASYNC_RUNNER_AVAILABLE_IN_1_0
gboolean      async_runner_run_sync_full    (AsyncRunner          *self,
                                             const char           *name,
                                             guint                 timeout_ms,
                                             AsyncRunnerFunc       func,
                                             gpointer              user_data,
                                             GCancellable         *cancellable,
                                             GValue               *value,
                                             GError              **error);
ASYNC_RUNNER_AVAILABLE_IN_1_0
GAsyncResult *async_runner_call_sync_full   (AsyncRunner          *self,
                                             const char           *name,
                                             guint                 timeout_ms,
                                             AsyncRunnerStartFunc  start,
                                             gpointer              user_data,
                                             GCancellable         *cancellable,
                                             GError              **error) G_GNUC_WARN_UNUSED_RESULT;
ASYNC_RUNNER_AVAILABLE_IN_1_0
GPtrArray    *async_runner_call_all_sync    (AsyncRunner          *self,
                                             AsyncRunnerStartFunc  start,
                                             gpointer             *user_datas,
                                             guint                 n_user_datas,
                                             GCancellable         *cancellable,
                                             GError              **error) G_GNUC_WARN_UNUSED_RESULT;
ASYNC_RUNNER_AVAILABLE_IN_1_0
guint         async_runner_get_stuck_threshold (AsyncRunner       *self);
ASYNC_RUNNER_AVAILABLE_IN_1_0
void          async_runner_set_stuck_threshold (AsyncRunner       *self,
                                                guint              threshold_ms);
ASYNC_RUNNER_AVAILABLE_IN_1_0
char        **async_runner_dup_pending_calls (AsyncRunner         *self) G_GNUC_WARN_UNUSED_RESULT;
ASYNC_RUNNER_AVAILABLE_IN_1_0
void          async_runner_shutdown         (AsyncRunner          *self);

G_END_DECLS
