/* async-runner-call-queue-private.h: all that the runner thread knows of calls
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The loop (async-runner-loop.c) queues, runs and, at shutdown, ends
 * calls without seeing one: it holds queue nodes, and one set of the
 * calls it started, through the functions below. async-runner-call.c,
 * which owns AsyncRunnerCall, implements them. See the module map in
 * async-runner-call-private.h.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Embedded in each call: links it in the loop's submit stack, then in its
 * ready list. The queue holds a reference to the call from
 * _async_runner_loop_submit() until _async_runner_call_node_run() or
 * _async_runner_call_node_discard() drops it. */
typedef struct _AsyncRunnerQueueNode AsyncRunnerQueueNode;

struct _AsyncRunnerQueueNode
{
  AsyncRunnerQueueNode *next;
};

/* Runner thread, with the runner context thread-default: taken from the
 * submit stack, before any is run (makes a run_sync call's task). */
void _async_runner_call_node_prepare (AsyncRunnerQueueNode *node);
/* Runner thread, with the runner context thread-default: runs the call's
 * function, then drops the queue's reference. */
void _async_runner_call_node_run     (AsyncRunnerQueueNode *node);
/* Runner thread, with the runner context thread-default, shut down: ends
 * the call with G_IO_ERROR_CLOSED, then drops the queue's reference. */
void _async_runner_call_node_discard (AsyncRunnerQueueNode *node);

/* The calls a runner thread started whose operation has not ended, the
 * keys their call_sync operations call back with, and the run_sync tasks
 * that outlived their function. One per loop; runner thread only, unless
 * said otherwise. */
typedef struct _AsyncRunnerCallSet AsyncRunnerCallSet;

AsyncRunnerCallSet *_async_runner_call_set_new             (void);
/* Any thread, once the runner thread has exited */
void                _async_runner_call_set_free            (AsyncRunnerCallSet *set);
/* Shutdown: ends every call in flight with G_IO_ERROR_CLOSED */
void                _async_runner_call_set_close           (AsyncRunnerCallSet *set);
/* Calls in flight, or tasks that outlived their function */
gboolean            _async_runner_call_set_is_busy         (AsyncRunnerCallSet *set);
/* Shutdown, after the grace: forgets the calls still in flight */
void                _async_runner_call_set_abandon         (AsyncRunnerCallSet *set);
/* Operations still to come back: outliving tasks or abandoned operations */
gboolean            _async_runner_call_set_has_operations  (AsyncRunnerCallSet *set);
/* The thread exits: no failed start can call back any more */
void                _async_runner_call_set_forget_retired  (AsyncRunnerCallSet *set);
/* Tests: the key the last call_sync operation got (tests/test-op-keys.c) */
void                _async_runner_call_set_set_last_op_key (AsyncRunnerCallSet *set,
                                                            guintptr            key);

G_END_DECLS
