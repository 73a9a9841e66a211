/* async-runner-call.c: one synchronous call, from submission to outcome
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NOTES: the life of a call
 *
 * A call is one AsyncRunnerCall, opaque outside this file. The caller's
 * thread makes it and waits; the runner thread runs its function and
 * completes it; whoever ends it first (the operation, the caller's
 * cancellable, the timeout, shutdown) claims it and publishes the outcome.
 *
 *   submit    caller     _async_runner_call_run_sync() / _call_sync() make
 *                        the call and drive() it: drive_to_end() pushes its
 *                        queue node on the loop's submit stack
 *                        (_async_runner_loop_submit()), waking the runner
 *                        thread if it sleeps in loop_poll().
 *   take      runner     take_submitted() (async-runner-loop.c), from the
 *                        queue source's prepare or check, takes the whole
 *                        stack, oldest first: _async_runner_call_node_prepare()
 *                        -> prepare() makes a run_sync call's task.
 *   run       runner     queue_source_dispatch() -> _async_runner_call_node_run()
 *                        -> run_function(): begin_run() (unless the caller
 *                        gave up first), the function or start function,
 *                        end_run(). A task or operation still out is tracked
 *                        in the set of calls in flight: set_track(),
 *                        set_add_op(); watch_task() for a task kept uncompleted.
 *   complete  runner     on_task_ready() -> finish_from_task(), or
 *                        on_async_ready() (its call found by set_take_op());
 *                        the first _async_runner_call_claim() writes the
 *                        outcome, _async_runner_call_publish() wakes the caller.
 *   wait      caller     _async_runner_call_wait(): spins
 *                        (_async_runner_spin_until()), then parks on the
 *                        call's @state (_async_runner_park()), announced in
 *                        @state_waiter. Then wait_for_function(): the caller
 *                        owns user_data, so it returns only once the function
 *                        will never run or has returned (parked on @run_state,
 *                        or serve_until_returned() on another runner's thread).
 *   cancel    any        on_caller_cancelled(); the deadline in drive_to_end(),
 *   timeout              on_nested_timeout() for a nested call:
 *                        _async_runner_call_abort() claims the call, cancels
 *                        the operation's own cancellable and publishes.
 *   nested    runner     a call made on its own runner's thread: drive_nested()
 *                        prepares and runs it in place, then iterates the
 *                        runner context until it ends.
 *   shutdown  runner     loop_drain() (async-runner-loop.c): queued calls are
 *                        ended by _async_runner_call_node_discard() -> discard(),
 *                        calls in flight by _async_runner_call_set_close();
 *                        after a grace, _async_runner_call_set_abandon() forgets
 *                        the operations still out. A nested caller or a
 *                        caller serving its own runner notices the shutdown
 *                        and unwinds.
 *
 * The memory-ordering notes at each announce-then-recheck site say which
 * side stores first; the thread each function runs on is stated above it.
 */

#include "config.h"

#include <string.h>

#include "async-runner-call-private.h"
#include "async-runner-call-queue-private.h"
#include "async-runner-debug-private.h"
#include "async-runner-loop-private.h"
#include "async-runner-park-private.h"

/* The in-flight list keeps calls that ended elsewhere (cancelled, timed
 * out) until it is pruned, once it has doubled since the last pruning. */
#define INFLIGHT_PRUNE_MIN 64

/* The call a queue node is embedded in */
#define CALL_OF_NODE(n) \
  ((AsyncRunnerCall *) (gpointer) ((guint8 *) (n) - G_STRUCT_OFFSET (AsyncRunnerCall, node)))

struct _AsyncRunnerCall
{
  gatomicrefcount       ref_count;
  gint                  state;         /* atomic: AsyncRunnerCallState */
  gint                  run_state;     /* atomic: AsyncRunnerRunState */

  /* A caller parks on @state or @run_state (async-runner-park-private.h)
   * only after announcing it in that word's waiter flag, so whoever
   * changes the word unparks only when someone may sleep. */
  gint                  state_waiter;     /* atomic: waits for @state */
  gint                  run_state_waiter; /* atomic: waits for @run_state */

  /* Immutable once submitted */
  AsyncRunner          *runner;        /* the caller holds a reference */
  AsyncRunnerLoop      *loop;          /* owned */
  AsyncRunnerFunc       func;          /* exactly one of @func and @start */
  AsyncRunnerStartFunc  start;
  gpointer              user_data;
  GCancellable         *cancellable;   /* the operation's own, never NULL */
  guint                 want_value : 1;
  guint                 nested : 1;    /* waited for by iterating the loop */
  AsyncRunnerOpDone     done;          /* a fan-out's operation: told when it ends */
  gpointer              done_data;

  /* The loop's submit stack, then its ready list */
  AsyncRunnerQueueNode  node;

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

/* The calls one runner thread started (see async-runner-call-queue-private.h) */
struct _AsyncRunnerCallSet
{
  /* Runner thread only */
  GQueue            inflight;        /* started calls, each holding a reference */
  guint             inflight_pruned; /* length after the last pruning */
  GHashTable       *ops;             /* call_sync operations by key: their call, or
                                      * NULL for a failed start whose callback may
                                      * still come */
  GHashTable       *abandoned;       /* call_sync operations still running when the
                                      * thread stopped, by key: their cancellable
                                      * (owned), to recognise a callback that lost
                                      * its key */
  guintptr          last_op_key;

  gint              outliving_tasks; /* atomic: run_sync tasks that outlived their
                                      * function, not yet finalized */
};

static GQuark task_call_quark;

static void             set_track   (AsyncRunnerCallSet *set,
                                     AsyncRunnerCall    *call);
static void             set_untrack (AsyncRunnerCallSet *set,
                                     AsyncRunnerCall    *call);
static gpointer         set_add_op  (AsyncRunnerCallSet *set,
                                     AsyncRunnerCall    *call);
static void             set_retire_op (AsyncRunnerCallSet *set,
                                       AsyncRunnerCall    *call);
static AsyncRunnerCall *set_take_op (AsyncRunnerCallSet *set,
                                     gpointer            key,
                                     GAsyncResult       *result);

/* The set of calls in flight that @call belongs to: its loop's. */
static inline AsyncRunnerCallSet *
calls_of (AsyncRunnerCall *call)
{
  return _async_runner_loop_get_calls (call->loop);
}

AsyncRunnerCall *
_async_runner_call_new (AsyncRunner          *runner,
                        AsyncRunnerLoop      *loop,
                        AsyncRunnerFunc       func,
                        AsyncRunnerStartFunc  start,
                        gpointer              user_data)
{
  AsyncRunnerCall *call = g_new0 (AsyncRunnerCall, 1);

  g_assert ((func == NULL) != (start == NULL));

  g_atomic_ref_count_init (&call->ref_count);
  call->runner = runner;
  call->loop = _async_runner_loop_ref (loop);
  call->func = func;
  call->start = start;
  call->user_data = user_data;
  call->inflight_link.data = call;
  call->diag.func = func != NULL ? (gpointer) func : (gpointer) start;
  call->diag.state = &call->state;
  call->diag.run_state = &call->run_state;

  return call;
}

AsyncRunnerCall *
_async_runner_call_ref (AsyncRunnerCall *call)
{
  g_atomic_ref_count_inc (&call->ref_count);
  return call;
}

void
_async_runner_call_unref (AsyncRunnerCall *call)
{
  if (!g_atomic_ref_count_dec (&call->ref_count))
    return;

  g_assert (call->task == NULL);
  g_assert (!call->inflight);

  if (G_IS_VALUE (&call->value))
    g_value_unset (&call->value);
  g_clear_object (&call->result);
  g_clear_error (&call->error);
  g_clear_pointer (&call->waiter_context, g_main_context_unref);
  g_clear_object (&call->cancellable);
  _async_runner_loop_unref (call->loop);
  g_free (call);
}

/* ---- Ending a call, exactly once: claim, then publish ---- */

/* Any thread. Returns TRUE if the caller won the right to end @call: it
 * must write the outcome and then call _async_runner_call_publish(). */
gboolean
_async_runner_call_claim (AsyncRunnerCall *call)
{
  return g_atomic_int_compare_and_exchange (&call->state,
                                            ASYNC_RUNNER_CALL_PENDING,
                                            ASYNC_RUNNER_CALL_CLAIMED);
}

gboolean
_async_runner_call_is_finished (AsyncRunnerCall *call)
{
  return g_atomic_int_get (&call->state) == ASYNC_RUNNER_CALL_FINISHED;
}

/* The outcome's value: written by the claimer before it publishes, read
 * by the caller once the call is finished. */
GValue *
_async_runner_call_get_value (AsyncRunnerCall *call)
{
  return &call->value;
}

/* The caller's thread, once the call is finished: its error, if any. */
const GError *
_async_runner_call_get_error (AsyncRunnerCall *call)
{
  return call->error;
}

/* Any thread: whether the caller announced that it sleeps until the call
 * is finished (tests/test-wait.c publishes at that moment). */
gboolean
_async_runner_call_has_state_waiter (AsyncRunnerCall *call)
{
  return g_atomic_int_get (&call->state_waiter);
}

/* Any thread, by the claimer, holding a reference: makes the outcome
 * visible to the caller and wakes it. */
void
_async_runner_call_publish (AsyncRunnerCall *call)
{
  GMainContext *context = NULL;
  AsyncRunnerOpDone done = call->done;

  g_assert (g_atomic_int_get (&call->state) == ASYNC_RUNNER_CALL_CLAIMED);

  /* A nested caller iterates the runner context instead of sleeping. */
  if (call->nested)
    context = g_main_context_ref (_async_runner_loop_get_context (call->loop));

  /* Stored @state first, read @state_waiter second; the caller does the
   * reverse, so at least one of us sees the other. */
  g_atomic_int_set (&call->state, ASYNC_RUNNER_CALL_FINISHED);

  if (context != NULL)
    {
      g_main_context_wakeup (context);
      g_main_context_unref (context);
    }
  else if (g_atomic_int_get (&call->state_waiter))
    _async_runner_unpark (&call->state);

  /* A fan-out's operation: nobody waits, its fan-out is told instead.
   * Only the runner thread ends such a call (see start_op()). */
  if (done != NULL)
    {
      ASYNC_RUNNER_ASSERT_RUNNER_THREAD (call->loop);
      done (call, call->done_data);
    }
}

/* Any thread. Ends @call with a G_IO_ERROR unless it has ended already,
 * cancelling the operation's cancellable first. Returns TRUE if it did. */
gboolean
_async_runner_call_abort (AsyncRunnerCall *call,
                          gint             code,
                          const char      *message)
{
  if (!_async_runner_call_claim (call))
    return FALSE;

  call->error = g_error_new_literal (G_IO_ERROR, code, message);
  if (call->cancellable != NULL)
    g_cancellable_cancel (call->cancellable);
  _async_runner_call_publish (call);

  return TRUE;
}

/* ---- The runner's side: prepare, run, complete ---- */

/* Runner thread: the function may run unless the caller gave up first. */
static gboolean
begin_run (AsyncRunnerCall *call)
{
  return g_atomic_int_compare_and_exchange (&call->run_state,
                                            ASYNC_RUNNER_RUN_NOT_STARTED,
                                            ASYNC_RUNNER_RUN_RUNNING);
}

/* Runner thread: the function returned; its caller may go. */
static void
end_run (AsyncRunnerCall *call)
{
  g_atomic_int_set (&call->run_state, ASYNC_RUNNER_RUN_RAN);

  if (g_atomic_int_get (&call->run_state_waiter))
    {
      GMainContext *waiter_context = g_atomic_pointer_get (&call->waiter_context);

      if (waiter_context != NULL)
        g_main_context_wakeup (waiter_context);

      _async_runner_unpark (&call->run_state);
    }
}

/* Runner thread: @task was completed; its outcome ends @call unless
 * something else ended it first. */
static void
finish_from_task (AsyncRunnerCall *call,
                  GTask           *task)
{
  if (!_async_runner_call_claim (call))
    return;

  /* GTask offers no way to ask what a task was completed with: a task
   * completed other than with g_task_return_value() makes
   * g_task_propagate_value() fail with GLib's own critical (the documented
   * misuse), and keeps its result, which the task frees with its own
   * destroy function when finalized. */
  if (g_task_had_error (task))
    g_task_propagate_boolean (task, &call->error);
  else if (call->want_value)
    g_task_propagate_value (task, &call->value, &call->error);

  /* Never return nothing. */
  if (call->want_value && call->error == NULL && !G_IS_VALUE (&call->value))
    call->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                       "The function completed its task other than with "
                                       "g_task_return_value(), and the caller asked for a "
                                       "value: complete it with g_task_return_value()");

  _async_runner_call_publish (call);
}

/* Runner thread, from the task's context: the task was completed. */
static void
on_task_ready (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  AsyncRunnerCall *call = user_data;   /* kept alive by the caller or the task */

  /* GTask calls back directly only while dispatching a source of the
   * task's context, else from an idle there: on the runner thread. */
  ASYNC_RUNNER_ASSERT_RUNNER_THREAD (call->loop);

  call->task_done = TRUE;
  set_untrack (calls_of (call), call);

  /* Completed while the function runs: what it returns decides. */
  if (call->running)
    return;

  finish_from_task (call, G_TASK (result));
}

/* Any thread: the task is being finalized. */
static void
on_task_finalized (gpointer user_data)
{
  AsyncRunnerCall *call = user_data;   /* the task's reference */
  AsyncRunnerLoop *loop = _async_runner_loop_ref (call->loop);
  AsyncRunnerCallSet *set = _async_runner_loop_get_calls (loop);

  _async_runner_call_abort (call, G_IO_ERROR_FAILED,
                            "The AsyncRunnerFunc dropped its task without completing it");
  _async_runner_call_unref (call);

  /* The last one, after shutdown: the thread may be waiting for it. */
  if (g_atomic_int_add (&set->outliving_tasks, -1) == 1 &&
      _async_runner_loop_is_quitting (loop))
    g_main_context_wakeup (_async_runner_loop_get_context (loop));
  _async_runner_loop_unref (loop);
}

/* Runner thread, with the runner context as thread-default: makes the
 * task of a run_sync call. */
static void
prepare (AsyncRunnerCall *call)
{
  GTask *task;

  ASYNC_RUNNER_ASSERT_RUNNER_THREAD (call->loop);

  if (call->func == NULL)
    return;

  if G_UNLIKELY (task_call_quark == 0)
    task_call_quark = g_quark_from_static_string ("async-runner-call");

  task = g_task_new (NULL, call->cancellable, on_task_ready, call);
  /* The function form: the macro would also copy a name into every task. */
  (g_task_set_source_tag) (task, async_runner_run_sync);
  /* The outcome is what the function returned, even once cancelled. */
  g_task_set_check_cancellable (task, FALSE);
  call->task = task;
}

/* Runner thread: @task outlives its function and its callback has not
 * run. The task keeps the call alive for that callback; if whoever holds
 * the task drops it uncompleted, its finalization ends the call. Not
 * task data: that is the function's. In the common case the function
 * completes the task at once and this is never needed. */
static void
watch_task (AsyncRunnerCall *call,
            GTask           *task)
{
  if (call->task_done)
    return;

  g_object_set_qdata_full (G_OBJECT (task), task_call_quark,
                           _async_runner_call_ref (call), on_task_finalized);
  g_atomic_int_inc (&calls_of (call)->outliving_tasks);
}

/* Runner thread, with the runner context as thread-default: a call that
 * will not run. Its task, if made, is returned so that it is not
 * finalized unreturned. */
static void
discard (AsyncRunnerCall *call)
{
  g_autoptr(GTask) task = g_steal_pointer (&call->task);

  ASYNC_RUNNER_ASSERT_RUNNER_THREAD (call->loop);

  _async_runner_call_abort (call, G_IO_ERROR_CLOSED, "The AsyncRunner was shut down");

  if (task != NULL)
    {
      watch_task (call, task);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                               "The AsyncRunner was shut down");
    }
}

/* Runner thread, callback of a call_sync operation. @user_data is the
 * operation's key in the set of calls in flight (see set_add_op()):
 * a number, never dereferenced, so that a callback whose data a binding
 * lost or replaced, or one delivered twice, cannot touch freed memory. */
static void
on_async_ready (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  AsyncRunnerLoop *loop = _async_runner_loop_get_current ();
  AsyncRunnerCall *call;

  if G_UNLIKELY (loop == NULL)
    {
      g_critical ("An AsyncRunnerStartFunc's operation called back on a thread "
                  "that is not a runner thread; ignored");
      return;
    }

  call = set_take_op (_async_runner_loop_get_calls (loop), user_data, result);
  if (call == NULL)
    return;

  call->op_pending = FALSE;

  /* Called back before the start function returned: what it returns
   * decides. */
  if (call->running)
    call->early_result = g_object_ref (result);
  else if (_async_runner_call_claim (call))
    {
      call->result = g_object_ref (result);
      _async_runner_call_publish (call);
    }

  set_untrack (calls_of (call), call);
}

/* Runner thread: the operation of @call will not call back, or if it
 * does, it must find no call. */
static void
forget_op (AsyncRunnerCall *call)
{
  if (!call->op_pending)
    return;

  set_retire_op (calls_of (call), call);
  call->op_pending = FALSE;
  set_untrack (calls_of (call), call);
}

/* TRUE if nobody but the caller holds @task: it was neither kept nor
 * returned (a task returned with a pending callback is held by its
 * idle source). */
static gboolean
task_is_orphan (GTask *task)
{
  return g_atomic_int_get ((gint *) &G_OBJECT (task)->ref_count) == 1;
}

/* Runner thread, with the runner context as thread-default: runs the
 * function of a call, prepared before. */
static void
run_function (AsyncRunnerCall *call)
{
  ASYNC_RUNNER_ASSERT_RUNNER_THREAD (call->loop);

  /* Ended before it started (cancelled, timed out, shut down). */
  if (g_atomic_int_get (&call->state) != ASYNC_RUNNER_CALL_PENDING ||
      !begin_run (call))
    {
      g_autoptr(GTask) task = g_steal_pointer (&call->task);

      if (task != NULL)
        {
          watch_task (call, task);
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                   "The call ended before it started");
        }
      return;
    }

  if (call->func != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&call->task);
      gboolean started;

      g_assert (task != NULL);
      call->running = TRUE;
      started = call->func (call->runner, task, call->user_data);
      call->running = FALSE;
      end_run (call);

      /* g_task_run_in_thread_sync() completes the task and never invokes
       * its callback. */
      if (!call->task_done && g_task_get_completed (task))
        call->task_done = TRUE;

      if (call->task_done)
        {
          if (started)
            finish_from_task (call, task);
          else
            _async_runner_call_abort (call, G_IO_ERROR_FAILED,
                                      "The AsyncRunnerFunc did not start the operation");
          return;
        }

      /* Not completed yet (the usual case is that it was, at once): the
       * task must keep the call alive for its callback. */
      watch_task (call, task);

      if (!started)
        _async_runner_call_abort (call, G_IO_ERROR_FAILED,
                                  "The AsyncRunnerFunc did not start the operation");

      if (task_is_orphan (task))
        {
          /* Neither kept nor returned: return it here, which ends the
           * call (unless it failed already), rather than let it be
           * finalized unreturned. */
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                                   started
                                     ? "The AsyncRunnerFunc dropped its task without completing it"
                                     : "The AsyncRunnerFunc did not start the operation");
        }
      else if (started && g_atomic_int_get (&call->state) == ASYNC_RUNNER_CALL_PENDING)
        set_track (calls_of (call), call);
    }
  else
    {
      g_autoptr(GAsyncResult) early = NULL;
      gboolean started;
      gpointer key;

      /* Tracked first: the operation may call back before start returns,
       * and the in-flight list keeps the call alive for the callback. */
      call->op_pending = TRUE;
      set_track (calls_of (call), call);
      key = set_add_op (calls_of (call), call);

      call->running = TRUE;
      started = call->start (call->runner, call->user_data, call->cancellable,
                             on_async_ready, key);
      call->running = FALSE;
      end_run (call);

      early = g_steal_pointer (&call->early_result);

      if (!started)
        {
          /* Even if it called back: it says it did not start. */
          _async_runner_call_abort (call, G_IO_ERROR_FAILED,
                                    "The AsyncRunnerStartFunc did not start the operation");
          forget_op (call);
        }
      else if (early != NULL && _async_runner_call_claim (call))
        {
          call->result = g_steal_pointer (&early);
          _async_runner_call_publish (call);
        }
    }
}

/* ---- The caller's side: submit, wait, cancel, time out, nested ---- */

static gboolean
check_finished (gpointer data,
                gboolean look_around)
{
  return _async_runner_call_is_finished (data);
}

/* The caller's thread. Spins for a bounded time, then sleeps until @call
 * is finished or the monotonic time reaches @deadline (-1: no deadline).
 * Returns FALSE if the deadline passed first. */
gboolean
_async_runner_call_wait (AsyncRunnerCall *call,
                         gint64           deadline)
{
  AsyncRunnerSpin *spin = _async_runner_loop_get_caller_spin (call->loop);
  gint64 start;
  gint64 stop = 0;
  gboolean same_cpu;
  gboolean finished = FALSE;

  ASYNC_RUNNER_ASSERT_NOT_RUNNER_THREAD (call->loop);

  if (_async_runner_call_is_finished (call))
    return TRUE;

  start = g_get_monotonic_time ();

  /* On the runner thread's own CPU the runner cannot run while we spin:
   * yield to it at once instead. */
  same_cpu = _async_runner_current_cpu () == _async_runner_loop_get_runner_cpu (call->loop);

  if (!same_cpu)
    stop = _async_runner_spin_begin (spin, start, deadline < 0 ? -1 : MAX (deadline - start, 0));

  if (stop != 0)
    {
      finished = _async_runner_spin_until (stop, 1, check_finished, call);
      _async_runner_spin_end ();
    }
  else if (same_cpu || deadline < 0)
    {
      /* More waiters than cores, or sharing the runner's CPU: do not spin,
       * but let the threads that do the work run, for as long as spinning
       * would have lasted. */
      finished = _async_runner_spin_until (start + g_atomic_int_get (&spin->budget_us),
                                           ASYNC_RUNNER_SPIN_PAUSE_ROUNDS,
                                           check_finished, call);
    }

  if (!finished)
    {
      /* Diagnostics: the sleep wakes at the stuck threshold to report the
       * call (async-runner-debug.c), which costs nothing before then. */
      gint64 stuck_us = call->debug != NULL
        ? (gint64) g_atomic_int_get (&call->debug->stuck_ms) * G_TIME_SPAN_MILLISECOND
        : 0;
      gint64 report_at = stuck_us > 0 ? start + stuck_us : -1;

      if (call->debug != NULL)
        _async_runner_debug_sleep (call->debug, &call->diag, start);

      g_atomic_int_set (&call->state_waiter, TRUE);

      for (;;)
        {
          gint state = g_atomic_int_get (&call->state);
          gint64 until = report_at < 0 ? deadline
                         : deadline < 0 ? report_at
                         : MIN (deadline, report_at);
          gint64 now;

          if (state == ASYNC_RUNNER_CALL_FINISHED)
            break;

          /* Returns at once if @state changed since it was read. */
          _async_runner_park (&call->state, state, until);

          if (until < 0 || _async_runner_call_is_finished (call))
            continue;

          now = g_get_monotonic_time ();
          if (deadline >= 0 && now >= deadline)
            {
              if (call->debug != NULL)
                _async_runner_debug_wake (call->debug, &call->diag);
              return FALSE;
            }

          if (report_at >= 0 && now >= report_at)
            {
              _async_runner_debug_report_stuck (call->debug, &call->diag, now,
                                                _async_runner_loop_get_woke_at (call->loop),
                                                _async_runner_loop_is_sleeping (call->loop));
              /* Again after twice as long a wait: at most a few lines. */
              stuck_us *= 2;
              report_at = start + stuck_us;
            }
        }

      if (call->debug != NULL)
        _async_runner_debug_wake (call->debug, &call->diag);
    }

  _async_runner_spin_learn (spin, g_get_monotonic_time () - start);

  return TRUE;
}

/* A caller on the thread of runner @own, whose call to another runner
 * has ended, waits for that call's function to return. That function may
 * itself be waiting for a call to @own (runners calling each other): so
 * serve @own's calls meanwhile, as a nested call does, rather than sleep.
 * Any timeout or cancellation in such a cycle then ends it. */
static void
serve_until_returned (AsyncRunnerCall *call,
                      AsyncRunnerLoop *own)
{
  GMainContext *context = _async_runner_loop_get_context (own);

  /* Stored @waiter_context, then @run_state_waiter, then read @run_state;
   * the runner does the reverse (see end_run()). */
  g_atomic_pointer_set (&call->waiter_context, g_main_context_ref (context));
  g_atomic_int_set (&call->run_state_waiter, TRUE);

  while (g_atomic_int_get (&call->run_state) == ASYNC_RUNNER_RUN_RUNNING)
    {
      /* Shut down meanwhile: this frame must unwind for the thread to
       * stop, and the calls waiting for it must not wait for that. */
      if (_async_runner_loop_is_quitting (own))
        _async_runner_loop_discard_pending (own);
      g_main_context_iteration (context, TRUE);
    }
}

/* The caller's thread, once @call has ended: makes sure its function
 * will not run, or waits until it has returned. Functions only start
 * work, so this wait is short. */
static void
wait_for_function (AsyncRunnerCall *call)
{
  AsyncRunnerLoop *own;
  guint i;

  if (g_atomic_int_compare_and_exchange (&call->run_state,
                                         ASYNC_RUNNER_RUN_NOT_STARTED,
                                         ASYNC_RUNNER_RUN_SKIPPED))
    return;

  for (i = 1; i < ASYNC_RUNNER_SPIN_PAUSE_ROUNDS; i++)
    {
      if (g_atomic_int_get (&call->run_state) != ASYNC_RUNNER_RUN_RUNNING)
        return;
      _async_runner_cpu_relax ();
    }

  own = _async_runner_loop_get_current ();
  if (own != NULL && own != call->loop)
    {
      serve_until_returned (call, own);
      return;
    }

  /* Stored @run_state_waiter first, read @run_state second; the runner
   * does the reverse. */
  g_atomic_int_set (&call->run_state_waiter, TRUE);
  while (g_atomic_int_get (&call->run_state) == ASYNC_RUNNER_RUN_RUNNING)
    _async_runner_park (&call->run_state, ASYNC_RUNNER_RUN_RUNNING, -1);
}

/* Any thread: the caller's cancellable was cancelled. */
static void
on_caller_cancelled (GCancellable    *cancellable,
                     AsyncRunnerCall *call)
{
  _async_runner_call_abort (call, G_IO_ERROR_CANCELLED, "Operation was cancelled");
}

/* Runner thread: the deadline of a nested call passed. */
static gboolean
on_nested_timeout (gpointer user_data)
{
  _async_runner_call_abort (user_data, G_IO_ERROR_TIMED_OUT, "Operation timed out");

  return G_SOURCE_REMOVE;
}

/* Runner thread, calling its own runner: nobody else could run the call,
 * so run it here and iterate the runner context until it ends. */
static void
drive_nested (AsyncRunnerCall *call,
              gint64           deadline)
{
  GMainContext *context = _async_runner_loop_get_context (call->loop);
  GSource *timeout_source = NULL;
  gboolean pushed = FALSE;

  ASYNC_RUNNER_ASSERT_RUNNER_THREAD (call->loop);

  /* The function calling may have pushed a context of its own (a
   * library's sync wrapper does): the task, the operation and the calls
   * served meanwhile belong to the runner context all the same. */
  if (g_main_context_get_thread_default () != context)
    {
      g_main_context_push_thread_default (context);
      pushed = TRUE;
    }

  prepare (call);
  run_function (call);

  if (deadline >= 0 && !_async_runner_call_is_finished (call))
    {
      timeout_source = g_timeout_source_new (0);
      g_source_set_ready_time (timeout_source, deadline);
      g_source_set_callback (timeout_source, on_nested_timeout, call, NULL);
      g_source_set_static_name (timeout_source, "[async-runner] timeout");
      g_source_attach (timeout_source, context);
    }

  while (!_async_runner_call_is_finished (call))
    {
      /* Shut down from inside: this frame must unwind for the thread to
       * stop. */
      if (_async_runner_loop_is_quitting (call->loop))
        _async_runner_call_abort (call, G_IO_ERROR_CLOSED, "The AsyncRunner was shut down");
      else
        g_main_context_iteration (context, TRUE);
    }

  if (timeout_source != NULL)
    {
      g_source_destroy (timeout_source);
      g_source_unref (timeout_source);
    }

  if (pushed)
    g_main_context_pop_thread_default (context);
}

/* Any thread: runs @call to its end (submitted to the runner thread, or
 * run in place on it) and takes its error, if any. @timeout_ms 0 is no
 * time limit. */
static gboolean
drive_to_end (AsyncRunnerCall  *call,
              guint             timeout_ms,
              GCancellable     *cancellable,
              GError          **error)
{
  gint64 deadline = -1;
  gulong handler = 0;
  gboolean nested;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  if (timeout_ms > 0)
    deadline = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;

  /* The operation's own: it may cancel it too, without touching any
   * other call. Always a new one: whoever keeps a weak reference to it
   * must never reach another call's. */
  call->cancellable = g_cancellable_new ();

  nested = _async_runner_loop_is_current (call->loop);
  call->nested = nested;

  if (nested && _async_runner_loop_is_quitting (call->loop))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           "The AsyncRunner has been shut down");
      return FALSE;
    }

  if (!nested)
    {
      /* The queue's reference: dropped by _async_runner_call_node_run()
       * or _async_runner_call_node_discard(). */
      _async_runner_call_ref (call);
      if (!_async_runner_loop_submit (call->loop, &call->node, error))
        {
          _async_runner_call_unref (call);
          return FALSE;
        }
    }

  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                     _async_runner_call_ref (call),
                                     (GDestroyNotify) _async_runner_call_unref);

  if (nested)
    drive_nested (call, deadline);
  else
    {
      while (!_async_runner_call_wait (call, deadline))
        {
          if (_async_runner_call_abort (call, G_IO_ERROR_TIMED_OUT, "Operation timed out"))
            break;
          /* Someone else is ending it right now. */
          deadline = -1;
        }
    }

  /* The caller owns @user_data: return only once the function will not
   * run or has returned. */
  wait_for_function (call);

  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);

  if (call->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&call->error));
      return FALSE;
    }

  return TRUE;
}

/* Any thread: drive_to_end(), with the call's start and end logged
 * (G_MESSAGES_DEBUG=AsyncRunner) and marked (Sysprof) when asked for. */
static gboolean
drive (AsyncRunnerCall  *call,
       guint             timeout_ms,
       GCancellable     *cancellable,
       GError          **error)
{
  GError *local_error = NULL;
  gint64 start;
  gboolean ok;

  call->debug = _async_runner_loop_get_debug (call->loop);

  if G_LIKELY (!_async_runner_debug_log_calls)
    return drive_to_end (call, timeout_ms, cancellable, error);

  start = _async_runner_debug_log_start (&call->diag);
  ok = drive_to_end (call, timeout_ms, cancellable, &local_error);
  _async_runner_debug_log_end (&call->diag, start, local_error);
  if (local_error != NULL)
    g_propagate_error (error, local_error);

  return ok;
}

/* Any thread: async_runner_run_sync_full() once its arguments are checked.
 * @timeout_ms 0 is no time limit. On failure @value is left untouched. */
gboolean
_async_runner_call_run_sync (AsyncRunner      *runner,
                             AsyncRunnerLoop  *loop,
                             const char       *name,
                             guint             timeout_ms,
                             AsyncRunnerFunc   func,
                             gpointer          user_data,
                             GCancellable     *cancellable,
                             GValue           *value,
                             GError          **error)
{
  g_autoptr(AsyncRunnerCall) call = _async_runner_call_new (runner, loop, func, NULL, user_data);

  call->want_value = value != NULL;
  call->diag.name = name;

  if (!drive (call, timeout_ms, cancellable, error))
    return FALSE;

  if (value != NULL)
    {
      *value = call->value;
      memset (&call->value, 0, sizeof call->value);
    }

  return TRUE;
}

/* Any thread: async_runner_call_sync_full() once its arguments are
 * checked. @timeout_ms 0 is no time limit. */
GAsyncResult *
_async_runner_call_call_sync (AsyncRunner           *runner,
                              AsyncRunnerLoop       *loop,
                              const char            *name,
                              guint                  timeout_ms,
                              AsyncRunnerStartFunc   start,
                              gpointer               user_data,
                              GCancellable          *cancellable,
                              GError               **error)
{
  g_autoptr(AsyncRunnerCall) call = _async_runner_call_new (runner, loop, NULL, start, user_data);

  call->diag.name = name;

  if (!drive (call, timeout_ms, cancellable, error))
    return NULL;

  return g_steal_pointer (&call->result);
}

/* ---- A fan-out's operations (async-runner-call-all.c) ---- */

/* Runner thread, in a running function: starts one operation of a
 * fan-out as a call_sync() call of its own that no caller waits for, run
 * in place by run_function(), so that the operation's key, an early
 * callback, a start that fails (before or after its operation called
 * back), a second callback and shutdown are handled exactly as for
 * call_sync(). @done runs once, on the runner thread, when that call ends;
 * only this thread ends it (the operation's callback, @start's failure,
 * or _async_runner_call_set_close()), since no caller waits or cancels.
 * @cancellable must be this operation's alone: a callback that lost its
 * key is recognised by it (find_op()). */
void
_async_runner_call_start_op (AsyncRunner          *runner,
                             AsyncRunnerStartFunc  start,
                             gpointer              user_data,
                             GCancellable         *cancellable,
                             AsyncRunnerOpDone     done,
                             gpointer              done_data)
{
  AsyncRunnerLoop *loop = _async_runner_loop_get_current ();
  g_autoptr(AsyncRunnerCall) call = NULL;

  g_assert (loop != NULL);

  call = _async_runner_call_new (runner, loop, NULL, start, user_data);
  call->cancellable = g_object_ref (cancellable);
  call->done = done;
  call->done_data = done_data;
  /* Our reference keeps the call alive until run_function() returns,
   * even if @done runs meanwhile. */
  run_function (call);
}

/* Runner thread, in the @done of _async_runner_call_start_op(): the
 * operation's result, or NULL with @error set. */
GAsyncResult *
_async_runner_call_finish_op (AsyncRunnerCall  *call,
                              GError          **error)
{
  g_assert (_async_runner_call_is_finished (call));

  if (call->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&call->error));
      return NULL;
    }

  return g_steal_pointer (&call->result);
}

/* ---- What the runner thread knows of calls: async-runner-call-queue-private.h ---- */

void
_async_runner_call_node_prepare (AsyncRunnerQueueNode *node)
{
  prepare (CALL_OF_NODE (node));
}

void
_async_runner_call_node_run (AsyncRunnerQueueNode *node)
{
  AsyncRunnerCall *call = CALL_OF_NODE (node);

  run_function (call);
  _async_runner_call_unref (call);
}

void
_async_runner_call_node_discard (AsyncRunnerQueueNode *node)
{
  AsyncRunnerCall *call = CALL_OF_NODE (node);

  discard (call);
  _async_runner_call_unref (call);
}

AsyncRunnerCallSet *
_async_runner_call_set_new (void)
{
  AsyncRunnerCallSet *set = g_new0 (AsyncRunnerCallSet, 1);

  g_queue_init (&set->inflight);
  set->ops = g_hash_table_new (NULL, NULL);
  set->abandoned = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);

  return set;
}

void
_async_runner_call_set_free (AsyncRunnerCallSet *set)
{
  g_assert (set->inflight.length == 0);

  g_hash_table_unref (set->ops);
  g_hash_table_unref (set->abandoned);
  g_free (set);
}

static void
prune_inflight (AsyncRunnerCallSet *set)
{
  GList *l = set->inflight.head;

  while (l != NULL)
    {
      AsyncRunnerCall *call = l->data;

      l = l->next;
      if (!call->op_pending && g_atomic_int_get (&call->state) != ASYNC_RUNNER_CALL_PENDING)
        set_untrack (set, call);
    }

  set->inflight_pruned = set->inflight.length;
}

/* Runner thread: @call was started; shutdown must be able to end it. */
static void
set_track (AsyncRunnerCallSet *set,
           AsyncRunnerCall    *call)
{
  ASYNC_RUNNER_ASSERT_RUNNER_THREAD (call->loop);
  g_assert (!call->inflight);

  if (set->inflight.length >= MAX (INFLIGHT_PRUNE_MIN, 2 * set->inflight_pruned))
    prune_inflight (set);

  call->inflight = TRUE;
  g_queue_push_tail_link (&set->inflight, &call->inflight_link);
  _async_runner_call_ref (call);
}

/* Runner thread: @call's operation came back. */
static void
set_untrack (AsyncRunnerCallSet *set,
             AsyncRunnerCall    *call)
{
  if (!call->inflight)
    return;

  call->inflight = FALSE;
  g_queue_unlink (&set->inflight, &call->inflight_link);
  _async_runner_call_unref (call);
}

/* Runner thread: registers the operation that @call is about to start
 * (the in-flight list keeps @call alive) and returns the key to pass as its
 * callback's data. Keys are numbers, never addresses. */
static gpointer
set_add_op (AsyncRunnerCallSet *set,
            AsyncRunnerCall    *call)
{
  gpointer key;

  ASYNC_RUNNER_ASSERT_RUNNER_THREAD (call->loop);

  /* Never 0 (NULL is what a binding that lost the data passes). */
  if G_UNLIKELY (++set->last_op_key == 0)
    ++set->last_op_key;
  key = GSIZE_TO_POINTER (set->last_op_key);
  call->op_key = key;
  g_hash_table_insert (set->ops, key, call);

  return key;
}

/* Runner thread: @call's start function failed. Its operation may call
 * back all the same; that callback is ignored silently. */
static void
set_retire_op (AsyncRunnerCallSet *set,
               AsyncRunnerCall    *call)
{
  g_hash_table_insert (set->ops, g_steal_pointer (&call->op_key), NULL);
}

/* Runner thread: a call whose operation is pending, found by @result's
 * cancellable (GTask results) or, when @key is NULL, as the only one. */
static AsyncRunnerCall *
find_op (AsyncRunnerCallSet *set,
         gpointer            key,
         GAsyncResult       *result)
{
  GCancellable *cancellable = NULL;
  AsyncRunnerCall *found = NULL;
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  if (G_IS_TASK (result))
    cancellable = g_task_get_cancellable (G_TASK (result));

  g_hash_table_iter_init (&iter, set->ops);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      AsyncRunnerCall *call = value;

      if (call == NULL)
        continue;
      if (cancellable != NULL && call->cancellable == cancellable)
        return call;
      found = call;
      n++;
    }

  return key == NULL && cancellable == NULL && n == 1 ? found : NULL;
}

/* Runner thread: forgets the abandoned operation of @cancellable, if any. */
static gboolean
remove_abandoned (AsyncRunnerCallSet *set,
                  GCancellable       *cancellable)
{
  GHashTableIter iter;
  gpointer value;

  if (cancellable == NULL)
    return FALSE;

  g_hash_table_iter_init (&iter, set->abandoned);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (value == cancellable)
      {
        g_hash_table_iter_remove (&iter);
        return TRUE;
      }

  return FALSE;
}

/* Runner thread, in the callback of a call_sync operation: the call it
 * belongs to, removed from the table, or NULL if there is none to end. A
 * callback brings back its key unless a binding lost it (some pass NULL
 * or data of their own): then the call is found by the result. */
static AsyncRunnerCall *
set_take_op (AsyncRunnerCallSet *set,
             gpointer            key,
             GAsyncResult       *result)
{
  AsyncRunnerCall *call;
  gpointer value;

  if (g_hash_table_steal_extended (set->ops, key, NULL, &value))
    {
      /* NULL: a failed start's operation, called back after all. */
      call = value;
    }
  else if (g_hash_table_remove (set->abandoned, key) ||
           (G_IS_TASK (result) &&
            remove_abandoned (set, g_task_get_cancellable (G_TASK (result)))))
    {
      /* Still running when the thread stopped: the call is over. */
      return NULL;
    }
  else
    {
      call = find_op (set, key, result);
      if (call == NULL)
        {
          g_critical ("An AsyncRunnerStartFunc's operation called back with data %p, "
                      "which belongs to no pending call (a callback delivered twice, "
                      "or a binding that does not pass callback_data back); ignored",
                      key);
          return NULL;
        }
      g_hash_table_remove (set->ops, call->op_key);
    }

  if (call != NULL)
    call->op_key = NULL;

  return call;
}

/* Runner thread, shut down: ends every call in flight with
 * G_IO_ERROR_CLOSED, cancelling its operation. */
void
_async_runner_call_set_close (AsyncRunnerCallSet *set)
{
  GPtrArray *inflight;
  GList *l;
  guint i;

  /* Aborting cancels the operation, whose handlers may call back and so
   * change the list: walk a snapshot. */
  inflight = g_ptr_array_new_with_free_func ((GDestroyNotify) _async_runner_call_unref);
  for (l = set->inflight.head; l != NULL; l = l->next)
    g_ptr_array_add (inflight, _async_runner_call_ref (l->data));
  for (i = 0; i < inflight->len; i++)
    _async_runner_call_abort (g_ptr_array_index (inflight, i), G_IO_ERROR_CLOSED,
                              "The AsyncRunner was shut down");
  g_ptr_array_unref (inflight);
}

gboolean
_async_runner_call_set_is_busy (AsyncRunnerCallSet *set)
{
  return set->inflight.length > 0 || g_atomic_int_get (&set->outliving_tasks) > 0;
}

/* Runner thread, shut down, after the grace: the operations that have not
 * called back yet are over for their calls. A run_sync task keeps what it
 * needs (see @outliving_tasks); a call_sync operation's callback will
 * find its key abandoned. */
void
_async_runner_call_set_abandon (AsyncRunnerCallSet *set)
{
  GList *l;

  while ((l = g_queue_pop_head_link (&set->inflight)) != NULL)
    {
      AsyncRunnerCall *call = l->data;

      call->inflight = FALSE;
      if (call->op_pending)
        {
          g_hash_table_remove (set->ops, call->op_key);
          g_hash_table_insert (set->abandoned, g_steal_pointer (&call->op_key),
                               g_object_ref (call->cancellable));
          call->op_pending = FALSE;
        }
      _async_runner_call_unref (call);
    }
}

gboolean
_async_runner_call_set_has_operations (AsyncRunnerCallSet *set)
{
  return g_atomic_int_get (&set->outliving_tasks) > 0 || g_hash_table_size (set->abandoned) > 0;
}

void
_async_runner_call_set_forget_retired (AsyncRunnerCallSet *set)
{
  g_hash_table_remove_all (set->ops);
}
