/* async-runner-loop.c: the runner thread, its context and its queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "async-runner-debug-private.h"
#include "async-runner-loop-private.h"

/* After shutdown the runner thread keeps iterating for at most this long
 * while operations it started are still completing (they were cancelled)
 * before shutdown returns. Operations that ignore cancellation for longer
 * keep the thread, detached, until they complete: their completion is
 * queued on the runner context, and it would otherwise never be
 * dispatched, holding the context (and its descriptor) forever. */
#define DRAIN_GRACE_US (100 * G_TIME_SPAN_MILLISECOND)

/* How many pausing spin rounds between looks at the context's file
 * descriptors (once yielding, every round looks): a spinning runner must
 * still notice sources woken from other threads. */
#define SPIN_POLL_EVERY 32

/* An iteration with a source already ready (an idle completing a task,
 * say) polls with a zero timeout only to see whether descriptors became
 * ready too. Back-to-back such iterations skip that system call when the
 * last poll was this recent: descriptors wait at most this long. */
#define ZERO_POLL_INTERVAL_US 20

/* The in-flight list keeps calls that ended elsewhere (cancelled, timed
 * out) until it is pruned, once it has doubled since the last pruning. */
#define INFLIGHT_PRUNE_MIN 64

struct _AsyncRunnerLoop
{
  gatomicrefcount   ref_count;
  GMainContext     *context;       /* immutable */
  GSource          *source;        /* immutable: dispatches submitted calls */
  AsyncRunnerSpin   runner_spin;   /* the runner thread waiting for calls */
  AsyncRunnerSpin   caller_spin;   /* callers waiting for their outcome */

  /* Submitted calls, newest first: pushed by any thread, taken whole by
   * the runner thread; CLOSED_STACK once the runner has stopped. */
  gpointer          stack;         /* atomic */
  gint              sleeping;      /* atomic: the runner thread is in poll() */
  gint              quit;          /* atomic */
  gint              live_tasks;    /* atomic: run_sync tasks not yet finalized */
  gint              runner_cpu;    /* atomic: where the runner thread last waited */
  gint              caller_cpu;    /* atomic: where the last call was submitted */

  GMutex            lock;
  GCond             cond;          /* with @lock: @started or @exited changed */
  gboolean          started;       /* protected by @lock: the thread owns @context */
  gboolean          exited;        /* protected by @lock: the thread has drained */
  gboolean          lingering;     /* protected by @lock: and waits for operations
                                    * that outlived the grace, so it is detached,
                                    * not joined */
  GThread          *thread;        /* protected by @lock; NULL once taken by shutdown */

  /* Runner thread only */
  AsyncRunnerCall  *ready_head;    /* taken and prepared, not yet run */
  AsyncRunnerCall  *ready_tail;
  GQueue            inflight;      /* started calls, each holding a reference */
  GHashTable       *ops;           /* call_sync operations by key: their call, or
                                    * NULL for a failed start whose callback may
                                    * still come */
  GHashTable       *abandoned;     /* call_sync operations still running when the
                                    * thread stopped, by key: their cancellable
                                    * (owned), to recognise a callback that lost
                                    * its key */
  guintptr          last_op_key;
  gint64            polled_at;     /* monotonic time of the last real poll */

  /* Diagnostics: written by the runner thread with relaxed stores (plain
   * stores of values it has anyway), read by the stuck-call report. */
  gint64            woke_at;       /* when the runner last stopped waiting */
  /* The stuck-call report and the sleeping callers: here, since every
   * call holds a reference to its loop, not to its runner. */
  AsyncRunnerDebug  debug;
  guint             inflight_pruned; /* length after the last pruning */
};

typedef struct
{
  GSource          source;
  AsyncRunnerLoop *loop;           /* the loop owns the source */
} QueueSource;

#define CLOSED_STACK(loop) ((gpointer) &(loop)->stack)

/* The loop whose thread this is, if any. */
static GPrivate current_loop;

static inline gboolean
has_submitted (AsyncRunnerLoop *loop)
{
  gpointer head = g_atomic_pointer_get (&loop->stack);

  return head != NULL && head != CLOSED_STACK (loop);
}

static void
push_ready (AsyncRunnerLoop *loop,
            AsyncRunnerCall *call)
{
  call->next = NULL;
  if (loop->ready_tail != NULL)
    loop->ready_tail->next = call;
  else
    loop->ready_head = call;
  loop->ready_tail = call;
}

static AsyncRunnerCall *
pop_ready (AsyncRunnerLoop *loop)
{
  AsyncRunnerCall *call = loop->ready_head;

  if (call != NULL)
    {
      loop->ready_head = g_steal_pointer (&call->next);
      if (loop->ready_head == NULL)
        loop->ready_tail = NULL;
    }

  return call;
}

/* Runner thread: makes the runner context thread-default unless it is
 * already (a function that pushed a context of its own may iterate the
 * runner context, through a nested call). Returns TRUE if it pushed it,
 * for pop_runner_context(). */
static gboolean
push_runner_context (GMainContext *context)
{
  if G_LIKELY (g_main_context_get_thread_default () == context)
    return FALSE;

  g_main_context_push_thread_default (context);
  return TRUE;
}

static void
pop_runner_context (GMainContext *context,
                    gboolean      pushed)
{
  if (pushed)
    g_main_context_pop_thread_default (context);
}

/* Runner thread: takes the submitted calls, oldest first, and prepares
 * them. @replacement is NULL, or CLOSED_STACK to refuse any more. */
static gboolean
take_submitted (AsyncRunnerLoop *loop,
                gpointer         replacement)
{
  AsyncRunnerCall *newest = g_atomic_pointer_get (&loop->stack);
  AsyncRunnerCall *oldest = NULL;

  /* Once closed, the stack stays closed: nobody can push any more. */
  if (newest == CLOSED_STACK (loop) ||
      (newest == NULL && replacement == NULL))
    return loop->ready_head != NULL;

  newest = g_atomic_pointer_exchange (&loop->stack, replacement);
  if (newest == CLOSED_STACK (loop))
    newest = NULL;

  while (newest != NULL)
    {
      AsyncRunnerCall *next = newest->next;

      newest->next = oldest;
      oldest = newest;
      newest = next;
    }

  /* Tasks are made here, outside any dispatch, so that GTask may invoke
   * their callback straight from g_task_return_*() during dispatch
   * instead of one main loop iteration later; and bound to the runner
   * context, whatever context a function that waits in a nested call
   * pushed. */
  if (oldest != NULL)
    {
      gboolean pushed = push_runner_context (loop->context);

      while (oldest != NULL)
        {
          AsyncRunnerCall *call = oldest;

          oldest = call->next;
          _async_runner_call_prepare (call);
          push_ready (loop, call);
        }

      pop_runner_context (loop->context, pushed);
    }

  return loop->ready_head != NULL;
}

static gboolean
queue_source_prepare (GSource *source,
                      gint    *timeout)
{
  *timeout = -1;
  return take_submitted (((QueueSource *) source)->loop, NULL);
}

static gboolean
queue_source_check (GSource *source)
{
  return take_submitted (((QueueSource *) source)->loop, NULL);
}

static gboolean
queue_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  AsyncRunnerLoop *loop = ((QueueSource *) source)->loop;
  AsyncRunnerCall *call;
  gboolean pushed;

  if (loop->ready_head == NULL)
    return G_SOURCE_CONTINUE;

  /* A call may iterate the context itself (a call made from the runner
   * thread); the source can recurse, so nested iterations keep serving
   * the queue from the same list, with the runner context thread-default
   * even if the function waiting in the nested call pushed another. After
   * shutdown, what is left is ended by loop_drain(). */
  pushed = push_runner_context (loop->context);
  while (!g_atomic_int_get (&loop->quit) &&
         (call = pop_ready (loop)) != NULL)
    {
      _async_runner_call_run (call);
      _async_runner_call_unref (call);
    }
  pop_runner_context (loop->context, pushed);

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs queue_source_funcs = {
  queue_source_prepare,
  queue_source_check,
  queue_source_dispatch,
  NULL,
  NULL,
  NULL,
};

/* Runner thread: it stops waiting and will dispatch. A relaxed store: a
 * plain store on every CPU, read only by the stuck-call report. */
static inline void
set_woke_at (AsyncRunnerLoop *loop,
             gint64           now)
{
  __atomic_store_n (&loop->woke_at, now, __ATOMIC_RELAXED);
}

/* The context's poll function, on the runner thread (the only thread
 * that can own the context). Before sleeping, spin for a bounded time
 * watching for submitted calls, so that a busy caller does not pay a
 * kernel wake-up per call. */
static gint
loop_poll (GPollFD *fds,
           guint    n_fds,
           gint     timeout)
{
  AsyncRunnerLoop *loop = g_private_get (&current_loop);
  gint64 start;
  gint64 stop;
  guint round;
  gint cpu;
  gint ret;

  if (loop == NULL)
    return g_poll (fds, n_fds, timeout);

  start = g_get_monotonic_time ();
  cpu = _async_runner_current_cpu ();
  g_atomic_int_set (&loop->runner_cpu, cpu);
  /* Sharing a CPU with the last caller, pausing only delays it. */
  round = cpu == g_atomic_int_get (&loop->caller_cpu) ? ASYNC_RUNNER_SPIN_PAUSE_ROUNDS : 1;

  if (timeout == 0)
    {
      set_woke_at (loop, start);
      if (start - loop->polled_at < ZERO_POLL_INTERVAL_US)
        return 0;
      loop->polled_at = start;
      return g_poll (fds, n_fds, 0);
    }
  stop = _async_runner_spin_begin (&loop->runner_spin, start,
                                   timeout < 0 ? -1 : timeout * G_TIME_SPAN_MILLISECOND);
  if (stop != 0)
    {
      guint i;

      for (i = round; ; i++)
        {
          if (has_submitted (loop))
            {
              gint64 now = g_get_monotonic_time ();

              _async_runner_spin_end ();
              _async_runner_spin_learn (&loop->runner_spin, now - start);
              set_woke_at (loop, now);
              return 0;
            }

          if (i % SPIN_POLL_EVERY == 0 || i >= ASYNC_RUNNER_SPIN_PAUSE_ROUNDS)
            {
              ret = g_poll (fds, n_fds, 0);
              loop->polled_at = g_get_monotonic_time ();
              if (ret != 0)
                {
                  _async_runner_spin_end ();
                  set_woke_at (loop, loop->polled_at);
                  return ret;
                }
              if (loop->polled_at >= stop)
                break;
            }

          _async_runner_spin_round (i);
        }

      _async_runner_spin_end ();
    }

  /* Announce the sleep, then look once more: a submitter pushes before
   * it reads @sleeping, so one of us sees the other. */
  g_atomic_int_set (&loop->sleeping, TRUE);
  if (has_submitted (loop))
    {
      g_atomic_int_set (&loop->sleeping, FALSE);
      set_woke_at (loop, g_get_monotonic_time ());
      return 0;
    }

  ret = g_poll (fds, n_fds, timeout);
  g_atomic_int_set (&loop->sleeping, FALSE);
  loop->polled_at = g_get_monotonic_time ();
  set_woke_at (loop, loop->polled_at);

  /* Woken for a call: learn how long spinning would have needed. */
  if (has_submitted (loop))
    _async_runner_spin_learn (&loop->runner_spin, g_get_monotonic_time () - start);

  return ret;
}

static gboolean
drain_deadline_cb (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* Runner thread, after shutdown: refuse new calls, end every pending one
 * with G_IO_ERROR_CLOSED, and give the cancelled operations a short grace
 * period to complete. */
static void
loop_drain (AsyncRunnerLoop *loop)
{
  const char *closed = "The AsyncRunner was shut down";
  AsyncRunnerCall *call;
  gint64 deadline = g_get_monotonic_time () + DRAIN_GRACE_US;
  GPtrArray *inflight;
  GSource *wake;
  GList *l;
  guint i;

  take_submitted (loop, CLOSED_STACK (loop));
  while ((call = pop_ready (loop)) != NULL)
    {
      _async_runner_call_discard (call);
      _async_runner_call_unref (call);
    }

  /* Aborting cancels the operation, whose handlers may call back and so
   * change the list: walk a snapshot. */
  inflight = g_ptr_array_new_with_free_func ((GDestroyNotify) _async_runner_call_unref);
  for (l = loop->inflight.head; l != NULL; l = l->next)
    g_ptr_array_add (inflight, _async_runner_call_ref (l->data));
  for (i = 0; i < inflight->len; i++)
    _async_runner_call_abort (g_ptr_array_index (inflight, i), G_IO_ERROR_CLOSED, closed);
  g_ptr_array_unref (inflight);

  wake = g_timeout_source_new (DRAIN_GRACE_US / G_TIME_SPAN_MILLISECOND);
  g_source_set_callback (wake, drain_deadline_cb, NULL, NULL);
  g_source_attach (wake, loop->context);

  /* Bounded in every case: a source that is always ready (a user's idle
   * that never stops) must not keep the thread from being joined. */
  while (g_get_monotonic_time () < deadline &&
         (g_main_context_pending (loop->context) ||
          loop->inflight.length > 0 ||
          g_atomic_int_get (&loop->live_tasks) > 0))
    g_main_context_iteration (loop->context, TRUE);

  g_source_destroy (wake);
  g_source_unref (wake);

  /* Operations that have not called back yet: the calls are over. A
   * run_sync task keeps what it needs (see live_tasks); a call_sync
   * operation's callback will find its key abandoned. */
  while ((l = g_queue_pop_head_link (&loop->inflight)) != NULL)
    {
      call = l->data;
      call->inflight = FALSE;
      if (call->op_pending)
        {
          g_hash_table_remove (loop->ops, call->op_key);
          g_hash_table_insert (loop->abandoned, g_steal_pointer (&call->op_key),
                               g_object_ref (call->cancellable));
          call->op_pending = FALSE;
        }
      _async_runner_call_unref (call);
    }
}

/* Runner thread, after draining: operations it started are still to
 * complete. */
static gboolean
loop_has_operations (AsyncRunnerLoop *loop)
{
  return g_atomic_int_get (&loop->live_tasks) > 0 || g_hash_table_size (loop->abandoned) > 0;
}

static gpointer
loop_thread (gpointer data)
{
  AsyncRunnerLoop *loop = data;   /* the thread's own reference */

  g_private_set (&current_loop, loop);
  g_main_context_push_thread_default (loop->context);

  g_mutex_lock (&loop->lock);
  loop->started = TRUE;
  g_cond_broadcast (&loop->cond);
  g_mutex_unlock (&loop->lock);

  while (!g_atomic_int_get (&loop->quit))
    g_main_context_iteration (loop->context, TRUE);

  loop_drain (loop);

  g_mutex_lock (&loop->lock);
  loop->exited = TRUE;
  loop->lingering = loop_has_operations (loop);
  g_cond_broadcast (&loop->cond);
  g_mutex_unlock (&loop->lock);

  /* Shutdown has returned. Operations that outlived the grace queue their
   * completion on this context: dispatch it when it comes, so that their
   * tasks, and with them this context, are freed. An operation that never
   * completes keeps the thread waiting here, as it would have kept its
   * task and the context alive anyway. */
  while (loop_has_operations (loop))
    g_main_context_iteration (loop->context, TRUE);

  /* The callbacks that failed starts might still make cannot come now
   * (they would be dispatched here). */
  g_hash_table_remove_all (loop->ops);

  g_main_context_pop_thread_default (loop->context);
  g_private_set (&current_loop, NULL);
  _async_runner_loop_unref (loop);

  return NULL;
}

AsyncRunnerLoop *
_async_runner_loop_new (void)
{
  AsyncRunnerLoop *loop = g_new0 (AsyncRunnerLoop, 1);

  g_atomic_ref_count_init (&loop->ref_count);
  loop->runner_cpu = -1;
  loop->caller_cpu = -1;
  g_mutex_init (&loop->lock);
  g_cond_init (&loop->cond);
  g_queue_init (&loop->inflight);
  loop->ops = g_hash_table_new (NULL, NULL);
  loop->abandoned = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  _async_runner_debug_construct (&loop->debug);
  _async_runner_spin_init (&loop->runner_spin);
  _async_runner_spin_init (&loop->caller_spin);

  loop->context = g_main_context_new ();
  g_main_context_set_poll_func (loop->context, loop_poll);

  loop->source = g_source_new (&queue_source_funcs, sizeof (QueueSource));
  ((QueueSource *) loop->source)->loop = loop;
  g_source_set_static_name (loop->source, "[async-runner] calls");
  g_source_set_can_recurse (loop->source, TRUE);
  g_source_attach (loop->source, loop->context);

  /* Wait until the thread owns the context, so that nobody else (say,
   * g_main_context_invoke() right after construction) can acquire it. */
  g_mutex_lock (&loop->lock);
  loop->thread = g_thread_new ("async-runner", loop_thread, _async_runner_loop_ref (loop));
  while (!loop->started)
    g_cond_wait (&loop->cond, &loop->lock);
  g_mutex_unlock (&loop->lock);

  return loop;
}

AsyncRunnerLoop *
_async_runner_loop_ref (AsyncRunnerLoop *loop)
{
  g_atomic_ref_count_inc (&loop->ref_count);
  return loop;
}

void
_async_runner_loop_unref (AsyncRunnerLoop *loop)
{
  if (!g_atomic_ref_count_dec (&loop->ref_count))
    return;

  g_assert (loop->ready_head == NULL);
  g_assert (loop->inflight.length == 0);

  g_hash_table_unref (loop->ops);
  g_hash_table_unref (loop->abandoned);
  g_source_destroy (loop->source);
  g_source_unref (loop->source);
  g_main_context_unref (loop->context);
  g_clear_pointer (&loop->thread, g_thread_unref);
  g_cond_clear (&loop->cond);
  g_mutex_clear (&loop->lock);
  _async_runner_debug_destruct (&loop->debug);
  g_free (loop);
}

GMainContext *
_async_runner_loop_get_context (AsyncRunnerLoop *loop)
{
  return loop->context;
}

AsyncRunnerSpin *
_async_runner_loop_get_caller_spin (AsyncRunnerLoop *loop)
{
  return &loop->caller_spin;
}

gint
_async_runner_loop_get_runner_cpu (AsyncRunnerLoop *loop)
{
  return g_atomic_int_get (&loop->runner_cpu);
}

gboolean
_async_runner_loop_is_current (AsyncRunnerLoop *loop)
{
  return g_private_get (&current_loop) == loop;
}

gboolean
_async_runner_loop_is_quitting (AsyncRunnerLoop *loop)
{
  return g_atomic_int_get (&loop->quit);
}

/* Any thread but the runner's: hands @call to the runner thread, or fails
 * with G_IO_ERROR_CLOSED once the runner has stopped. */
gboolean
_async_runner_loop_submit (AsyncRunnerLoop  *loop,
                           AsyncRunnerCall  *call,
                           GError          **error)
{
  gpointer head;

  _async_runner_call_ref (call);
  g_atomic_int_set (&loop->caller_cpu, _async_runner_current_cpu ());

  do
    {
      head = g_atomic_pointer_get (&loop->stack);
      if (head == CLOSED_STACK (loop))
        {
          _async_runner_call_unref (call);
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                               "The AsyncRunner has been shut down");
          return FALSE;
        }
      call->next = head;
    }
  while (!g_atomic_pointer_compare_and_exchange (&loop->stack, head, call));

  /* Pushed first, read @sleeping second: see loop_poll(). */
  if (g_atomic_int_get (&loop->sleeping) &&
      g_atomic_int_compare_and_exchange (&loop->sleeping, TRUE, FALSE))
    g_main_context_wakeup (loop->context);

  return TRUE;
}

static void
prune_inflight (AsyncRunnerLoop *loop)
{
  GList *l = loop->inflight.head;

  while (l != NULL)
    {
      AsyncRunnerCall *call = l->data;

      l = l->next;
      if (!call->op_pending && g_atomic_int_get (&call->state) != ASYNC_RUNNER_CALL_PENDING)
        _async_runner_loop_untrack (loop, call);
    }

  loop->inflight_pruned = loop->inflight.length;
}

/* Runner thread: @call was started; shutdown must be able to end it. */
void
_async_runner_loop_track (AsyncRunnerLoop *loop,
                          AsyncRunnerCall *call)
{
  g_assert (!call->inflight);

  if (loop->inflight.length >= MAX (INFLIGHT_PRUNE_MIN, 2 * loop->inflight_pruned))
    prune_inflight (loop);

  call->inflight = TRUE;
  g_queue_push_tail_link (&loop->inflight, &call->inflight_link);
  _async_runner_call_ref (call);
}

/* Runner thread: @call's operation came back. */
void
_async_runner_loop_untrack (AsyncRunnerLoop *loop,
                            AsyncRunnerCall *call)
{
  if (!call->inflight)
    return;

  call->inflight = FALSE;
  g_queue_unlink (&loop->inflight, &call->inflight_link);
  _async_runner_call_unref (call);
}

/* Runner thread: registers the operation that @call is about to start
 * (the in-flight list keeps @call alive) and returns the key to pass as its
 * callback's data. Keys are numbers, never addresses. */
gpointer
_async_runner_loop_add_op (AsyncRunnerLoop *loop,
                           AsyncRunnerCall *call)
{
  gpointer key;

  /* Never 0 (NULL is what a binding that lost the data passes). */
  if G_UNLIKELY (++loop->last_op_key == 0)
    ++loop->last_op_key;
  key = GSIZE_TO_POINTER (loop->last_op_key);
  call->op_key = key;
  g_hash_table_insert (loop->ops, key, call);

  return key;
}

/* Runner thread: @call's start function failed. Its operation may call
 * back all the same; that callback is ignored silently. */
void
_async_runner_loop_retire_op (AsyncRunnerLoop *loop,
                              AsyncRunnerCall *call)
{
  g_hash_table_insert (loop->ops, g_steal_pointer (&call->op_key), NULL);
}

/* Runner thread: a call whose operation is pending, found by @result's
 * cancellable (GTask results) or, when @key is NULL, as the only one. */
static AsyncRunnerCall *
find_op (AsyncRunnerLoop *loop,
         gpointer         key,
         GAsyncResult    *result)
{
  GCancellable *cancellable = NULL;
  AsyncRunnerCall *found = NULL;
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  if (G_IS_TASK (result))
    cancellable = g_task_get_cancellable (G_TASK (result));

  g_hash_table_iter_init (&iter, loop->ops);
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
remove_abandoned (AsyncRunnerLoop *loop,
                  GCancellable    *cancellable)
{
  GHashTableIter iter;
  gpointer value;

  if (cancellable == NULL)
    return FALSE;

  g_hash_table_iter_init (&iter, loop->abandoned);
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
AsyncRunnerCall *
_async_runner_loop_take_op (AsyncRunnerLoop *loop,
                            gpointer         key,
                            GAsyncResult    *result)
{
  AsyncRunnerCall *call;
  gpointer value;

  if (g_hash_table_steal_extended (loop->ops, key, NULL, &value))
    {
      /* NULL: a failed start's operation, called back after all. */
      call = value;
    }
  else if (g_hash_table_remove (loop->abandoned, key) ||
           (G_IS_TASK (result) &&
            remove_abandoned (loop, g_task_get_cancellable (G_TASK (result)))))
    {
      /* Still running when the thread stopped: the call is over. */
      return NULL;
    }
  else
    {
      call = find_op (loop, key, result);
      if (call == NULL)
        {
          g_critical ("An AsyncRunnerStartFunc's operation called back with data %p, "
                      "which belongs to no pending call (a callback delivered twice, "
                      "or a binding that does not pass callback_data back); ignored",
                      key);
          return NULL;
        }
      g_hash_table_remove (loop->ops, call->op_key);
    }

  if (call != NULL)
    call->op_key = NULL;

  return call;
}

AsyncRunnerLoop *
_async_runner_loop_get_current (void)
{
  return g_private_get (&current_loop);
}

void
_async_runner_loop_task_started (AsyncRunnerLoop *loop)
{
  g_atomic_int_inc (&loop->live_tasks);
}

/* Any thread: a run_sync task was finalized. */
void
_async_runner_loop_task_gone (AsyncRunnerLoop *loop)
{
  /* The last one, after shutdown: the thread may be waiting for it. */
  if (g_atomic_int_add (&loop->live_tasks, -1) == 1 &&
      g_atomic_int_get (&loop->quit))
    g_main_context_wakeup (loop->context);
}

/* Runner thread, once shut down, while a function waits on it (see
 * _async_runner_call_settle()): ends the calls submitted so far with
 * G_IO_ERROR_CLOSED, as loop_drain() will once the thread gets there. */
void
_async_runner_loop_discard_pending (AsyncRunnerLoop *loop)
{
  AsyncRunnerCall *call;

  take_submitted (loop, NULL);
  while ((call = pop_ready (loop)) != NULL)
    {
      _async_runner_call_discard (call);
      _async_runner_call_unref (call);
    }
}

/* Any thread, any number of times. Stops the runner thread, which ends
 * every pending call with G_IO_ERROR_CLOSED and refuses new ones; joins
 * it (or detaches it, once drained, if operations outlived the grace), or
 * when called on the runner thread itself, lets it exit as soon as the
 * current dispatch returns. */
void
_async_runner_loop_shutdown (AsyncRunnerLoop *loop)
{
  GThread *thread;
  gboolean lingering;

  g_mutex_lock (&loop->lock);
  g_atomic_int_set (&loop->quit, TRUE);
  thread = g_steal_pointer (&loop->thread);

  /* Shut down already, or right now by another thread: return once the
   * runner has stopped, as the first caller does (the runner thread itself
   * cannot wait for that). */
  if (thread == NULL)
    {
      if (!_async_runner_loop_is_current (loop))
        while (!loop->exited)
          g_cond_wait (&loop->cond, &loop->lock);
      g_mutex_unlock (&loop->lock);
      return;
    }
  g_mutex_unlock (&loop->lock);

  g_main_context_wakeup (loop->context);

  if (thread == g_thread_self ())
    {
      g_thread_unref (thread);
      return;
    }

  g_mutex_lock (&loop->lock);
  while (!loop->exited)
    g_cond_wait (&loop->cond, &loop->lock);
  lingering = loop->lingering;
  g_mutex_unlock (&loop->lock);

  if (lingering)
    g_thread_unref (thread);
  else
    g_thread_join (thread);
}

/* Any thread, for the stuck-call report: when the runner thread last
 * stopped waiting, that is, since when its current main-loop iteration
 * has been dispatching. */
gint64
_async_runner_loop_get_woke_at (AsyncRunnerLoop *loop)
{
  return __atomic_load_n (&loop->woke_at, __ATOMIC_RELAXED);
}

/* Any thread, for the stuck-call report: the runner thread sleeps in
 * poll(), with nothing to dispatch. */
gboolean
_async_runner_loop_is_sleeping (AsyncRunnerLoop *loop)
{
  return g_atomic_int_get (&loop->sleeping);
}

/* Any thread: the loop's diagnostics (async-runner-debug.c). */
AsyncRunnerDebug *
_async_runner_loop_get_debug (AsyncRunnerLoop *loop)
{
  return &loop->debug;
}
