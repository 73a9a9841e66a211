/* async-runner-call.c: one synchronous call and its outcome
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "async-runner-call-private.h"
#include "async-runner-debug-private.h"
#include "async-runner-loop-private.h"
#include "async-runner-task-private.h"

/* How many spin rounds between looks at the clock. */
#define SPIN_CLOCK_EVERY 32

static GQuark task_call_quark;

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
  g_mutex_init (&call->mutex);
  g_cond_init (&call->cond);
  call->runner = runner;
  call->loop = _async_runner_loop_ref (loop);
  call->func = func;
  call->start = start;
  call->user_data = user_data;
  call->inflight_link.data = call;

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
  g_cond_clear (&call->cond);
  g_mutex_clear (&call->mutex);
  g_free (call);
}

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

/* Any thread, by the claimer, holding a reference: makes the outcome
 * visible to the caller and wakes it. */
void
_async_runner_call_publish (AsyncRunnerCall *call)
{
  GMainContext *context = NULL;

  g_assert (g_atomic_int_get (&call->state) == ASYNC_RUNNER_CALL_CLAIMED);

  /* A nested caller iterates the runner context instead of sleeping. */
  if (call->nested)
    context = g_main_context_ref (_async_runner_loop_get_context (call->loop));

  /* Stored @state first, read @parked second; the caller does the
   * reverse, so at least one of us sees the other. */
  g_atomic_int_set (&call->state, ASYNC_RUNNER_CALL_FINISHED);

  if (context != NULL)
    {
      g_main_context_wakeup (context);
      g_main_context_unref (context);
    }
  else if (g_atomic_int_get (&call->parked))
    {
      g_mutex_lock (&call->mutex);
      g_cond_signal (&call->cond);
      g_mutex_unlock (&call->mutex);
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
      guint i;

      for (i = 1; ; i++)
        {
          if (_async_runner_call_is_finished (call))
            {
              finished = TRUE;
              break;
            }

          if ((i % SPIN_CLOCK_EVERY == 0 || i >= ASYNC_RUNNER_SPIN_PAUSE_ROUNDS) &&
              g_get_monotonic_time () >= stop)
            break;

          _async_runner_spin_round (i);
        }

      _async_runner_spin_end ();
    }
  else if (same_cpu || deadline < 0)
    {
      /* More waiters than cores, or sharing the runner's CPU: do not spin,
       * but let the threads that do the work run, for as long as spinning
       * would have lasted. */
      gint64 yield_stop = start + g_atomic_int_get (&spin->budget_us);

      while (!(finished = _async_runner_call_is_finished (call)) &&
             g_get_monotonic_time () < yield_stop)
        g_thread_yield ();
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
        _async_runner_debug_sleep (call, start);

      g_atomic_int_set (&call->parked, TRUE);

      g_mutex_lock (&call->mutex);
      while (!_async_runner_call_is_finished (call))
        {
          gint64 until = report_at < 0 ? deadline
                         : deadline < 0 ? report_at
                         : MIN (deadline, report_at);

          if (until < 0)
            g_cond_wait (&call->cond, &call->mutex);
          else if (!g_cond_wait_until (&call->cond, &call->mutex, until) &&
                   !_async_runner_call_is_finished (call))
            {
              gint64 now = g_get_monotonic_time ();

              if (deadline >= 0 && now >= deadline)
                {
                  g_mutex_unlock (&call->mutex);
                  if (call->debug != NULL)
                    _async_runner_debug_wake (call);
                  return FALSE;
                }

              if (report_at >= 0 && now >= report_at)
                {
                  g_mutex_unlock (&call->mutex);
                  _async_runner_debug_report_stuck (call, now);
                  /* Again after twice as long a wait: at most a few lines. */
                  stuck_us *= 2;
                  report_at = start + stuck_us;
                  g_mutex_lock (&call->mutex);
                }
            }
        }
      g_mutex_unlock (&call->mutex);

      if (call->debug != NULL)
        _async_runner_debug_wake (call);
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

  /* Stored @waiter_context, then @ran_waiter, then read @run_state; the
   * runner does the reverse (see end_run()). */
  g_atomic_pointer_set (&call->waiter_context, g_main_context_ref (context));
  g_atomic_int_set (&call->ran_waiter, TRUE);

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
void
_async_runner_call_settle (AsyncRunnerCall *call)
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

  /* Stored @ran_waiter first, read @run_state second; the runner does the
   * reverse. */
  g_atomic_int_set (&call->ran_waiter, TRUE);
  g_mutex_lock (&call->mutex);
  while (g_atomic_int_get (&call->run_state) == ASYNC_RUNNER_RUN_RUNNING)
    g_cond_wait (&call->cond, &call->mutex);
  g_mutex_unlock (&call->mutex);
}

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

  if (g_atomic_int_get (&call->ran_waiter))
    {
      GMainContext *waiter_context = g_atomic_pointer_get (&call->waiter_context);

      if (waiter_context != NULL)
        g_main_context_wakeup (waiter_context);

      g_mutex_lock (&call->mutex);
      g_cond_broadcast (&call->cond);
      g_mutex_unlock (&call->mutex);
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

  /* g_task_propagate_value() refuses a result that was not returned with
   * g_task_return_value() with a critical: ask first. */
  if (g_task_had_error (task))
    g_task_propagate_boolean (task, &call->error);
  else if (call->want_value &&
           _async_runner_task_get_result_kind (task) != ASYNC_RUNNER_TASK_RESULT_OTHER)
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

  call->task_done = TRUE;
  _async_runner_loop_untrack (call->loop, call);

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

  _async_runner_call_abort (call, G_IO_ERROR_FAILED,
                            "The AsyncRunnerFunc dropped its task without completing it");
  _async_runner_call_unref (call);
  _async_runner_loop_task_gone (loop);
  _async_runner_loop_unref (loop);
}

/* Runner thread, with the runner context as thread-default: makes the
 * task of a run_sync call. */
void
_async_runner_call_prepare (AsyncRunnerCall *call)
{
  GTask *task;

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
  _async_runner_loop_task_started (call->loop);
}

/* Runner thread, with the runner context as thread-default: a call that
 * will not run. Its task, if made, is returned so that it is not
 * finalized unreturned. */
void
_async_runner_call_discard (AsyncRunnerCall *call)
{
  g_autoptr(GTask) task = g_steal_pointer (&call->task);

  _async_runner_call_abort (call, G_IO_ERROR_CLOSED, "The AsyncRunner was shut down");

  if (task != NULL)
    {
      watch_task (call, task);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                               "The AsyncRunner was shut down");
    }
}

/* Runner thread, callback of a call_sync operation. @user_data is the
 * operation's key in the loop's table (see _async_runner_loop_add_op()):
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

  call = _async_runner_loop_take_op (loop, user_data, result);
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

  _async_runner_loop_untrack (call->loop, call);
}

/* Runner thread: the operation of @call will not call back, or if it
 * does, it must find no call. */
void
_async_runner_call_forget_op (AsyncRunnerCall *call)
{
  if (!call->op_pending)
    return;

  _async_runner_loop_retire_op (call->loop, call);
  call->op_pending = FALSE;
  _async_runner_loop_untrack (call->loop, call);
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
void
_async_runner_call_run (AsyncRunnerCall *call)
{
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
        _async_runner_loop_track (call->loop, call);
    }
  else
    {
      g_autoptr(GAsyncResult) early = NULL;
      gboolean started;
      gpointer key;

      /* Tracked first: the operation may call back before start returns,
       * and the in-flight list keeps the call alive for the callback. */
      call->op_pending = TRUE;
      _async_runner_loop_track (call->loop, call);
      key = _async_runner_loop_add_op (call->loop, call);

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
          _async_runner_call_forget_op (call);
        }
      else if (early != NULL && _async_runner_call_claim (call))
        {
          call->result = g_steal_pointer (&early);
          _async_runner_call_publish (call);
        }
    }
}
