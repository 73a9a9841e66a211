/* async-runner-loop.c: the runner thread, its context and its queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Calls are opaque here: the queue holds AsyncRunnerQueueNode, and the
 * calls in flight are an AsyncRunnerCallSet, both handled only through
 * async-runner-call-queue-private.h (see the module map in
 * async-runner-call-private.h).
 */

#include "config.h"

#include "async-runner-compat-private.h"
#include "async-runner-debug-private.h"
#include "async-runner-loop-private.h"

/* After shutdown the runner thread keeps iterating for at most this long
 * while operations it started are still completing (they were cancelled)
 * before shutdown returns. Operations that ignore cancellation for longer
 * keep the thread, detached, until they complete: their completion is
 * queued on the runner context, and it would otherwise never be
 * dispatched, holding the context (and its descriptor) forever. */
#define DRAIN_GRACE_US (100 * G_TIME_SPAN_MILLISECOND)

/* An iteration with a source already ready (an idle completing a task,
 * say) polls with a zero timeout only to see whether descriptors became
 * ready too. Back-to-back such iterations skip that system call when the
 * last poll was this recent: descriptors wait at most this long. */
#define ZERO_POLL_INTERVAL_US 20

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

  /* Immutable: the calls started and not known to have ended (owned;
   * runner thread only, but for the count of outliving tasks) */
  AsyncRunnerCallSet *calls;

  /* Runner thread only */
  AsyncRunnerQueueNode *ready_head; /* taken and prepared, not yet run */
  AsyncRunnerQueueNode *ready_tail;
  gint64            polled_at;     /* monotonic time of the last real poll */

  /* Diagnostics: written by the runner thread with relaxed stores (plain
   * stores of values it has anyway), read by the stuck-call report. Eight
   * bytes aligned: i386 aligns a gint64 in a struct to 4, and a 64-bit
   * access there is only atomic when aligned to 8. */
  _Alignas (8) gint64 woke_at;     /* when the runner last stopped waiting */
  /* The stuck-call report and the sleeping callers: here, since every
   * call holds a reference to its loop, not to its runner. */
  AsyncRunnerDebug  debug;
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (AsyncRunnerLoop, woke_at) % 8 == 0);

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
push_ready (AsyncRunnerLoop      *loop,
            AsyncRunnerQueueNode *node)
{
  node->next = NULL;
  if (loop->ready_tail != NULL)
    loop->ready_tail->next = node;
  else
    loop->ready_head = node;
  loop->ready_tail = node;
}

static AsyncRunnerQueueNode *
pop_ready (AsyncRunnerLoop *loop)
{
  AsyncRunnerQueueNode *node = loop->ready_head;

  if (node != NULL)
    {
      loop->ready_head = g_steal_pointer (&node->next);
      if (loop->ready_head == NULL)
        loop->ready_tail = NULL;
    }

  return node;
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
  AsyncRunnerQueueNode *newest = g_atomic_pointer_get (&loop->stack);
  AsyncRunnerQueueNode *oldest = NULL;

  ASYNC_RUNNER_ASSERT_RUNNER_THREAD (loop);

  /* Once closed, the stack stays closed: nobody can push any more. */
  if (newest == CLOSED_STACK (loop) ||
      (newest == NULL && replacement == NULL))
    return loop->ready_head != NULL;

  newest = g_atomic_pointer_exchange (&loop->stack, replacement);
  if (newest == CLOSED_STACK (loop))
    newest = NULL;

  while (newest != NULL)
    {
      AsyncRunnerQueueNode *next = newest->next;

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
          AsyncRunnerQueueNode *node = oldest;

          oldest = node->next;
          _async_runner_call_node_prepare (node);
          push_ready (loop, node);
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
  AsyncRunnerQueueNode *node;
  gboolean pushed;

  ASYNC_RUNNER_ASSERT_RUNNER_THREAD (loop);

  if (loop->ready_head == NULL)
    return G_SOURCE_CONTINUE;

  /* A call may iterate the context itself (a call made from the runner
   * thread); the source can recurse, so nested iterations keep serving
   * the queue from the same list, with the runner context thread-default
   * even if the function waiting in the nested call pushed another. After
   * shutdown, what is left is ended by loop_drain(). */
  pushed = push_runner_context (loop->context);
  while (!g_atomic_int_get (&loop->quit) &&
         (node = pop_ready (loop)) != NULL)
    _async_runner_call_node_run (node);
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

/* The runner thread spinning in loop_poll() */
typedef struct
{
  AsyncRunnerLoop *loop;
  GPollFD         *fds;
  guint            n_fds;
  gboolean         submitted;   /* out: a call was submitted */
  gint             ret;         /* out: what the last poll() returned */
} PollSpin;

/* Each round, look for submitted calls; on the rounds that look around,
 * at the context's file descriptors too, no more often than a
 * zero-timeout poll would (a yielding runner looks around every round):
 * a spinning runner must still notice sources woken from other threads. */
static gboolean
poll_spin_check (gpointer data,
                 gboolean look_around)
{
  PollSpin *spin = data;

  if (has_submitted (spin->loop))
    {
      spin->submitted = TRUE;
      return TRUE;
    }

  if (look_around &&
      g_get_monotonic_time () - spin->loop->polled_at >= ZERO_POLL_INTERVAL_US)
    {
      spin->ret = g_poll (spin->fds, spin->n_fds, 0);
      spin->loop->polled_at = g_get_monotonic_time ();
      if (spin->ret != 0)
        return TRUE;
    }

  return FALSE;
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
  stop = _async_runner_spin_begin_holding (&loop->runner_spin, start,
                                           timeout < 0 ? -1 : timeout * G_TIME_SPAN_MILLISECOND);
  if (stop != 0)
    {
      PollSpin spin = { loop, fds, n_fds, FALSE, 0 };

      _async_runner_spin_until (stop, round, poll_spin_check, &spin);

      if (spin.submitted)
        {
          gint64 now = g_get_monotonic_time ();

          _async_runner_spin_learn (&loop->runner_spin, now - start);
          set_woke_at (loop, now);
          return 0;
        }

      if (spin.ret != 0)
        {
          set_woke_at (loop, loop->polled_at);
          return spin.ret;
        }
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

  _async_runner_spin_release_core ();
  ret = g_poll (fds, n_fds, timeout);
  _async_runner_spin_hold_core ();
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
  AsyncRunnerQueueNode *node;
  gint64 deadline = g_get_monotonic_time () + DRAIN_GRACE_US;
  GSource *wake;

  ASYNC_RUNNER_ASSERT_RUNNER_THREAD (loop);

  take_submitted (loop, CLOSED_STACK (loop));
  while ((node = pop_ready (loop)) != NULL)
    _async_runner_call_node_discard (node);

  _async_runner_call_set_close (loop->calls);

  wake = g_timeout_source_new (DRAIN_GRACE_US / G_TIME_SPAN_MILLISECOND);
  g_source_set_callback (wake, drain_deadline_cb, NULL, NULL);
  g_source_attach (wake, loop->context);

  /* Bounded in every case: a source that is always ready (a user's idle
   * that never stops) must not keep the thread from being joined. */
  while (g_get_monotonic_time () < deadline &&
         (g_main_context_pending (loop->context) ||
          _async_runner_call_set_is_busy (loop->calls)))
    g_main_context_iteration (loop->context, TRUE);

  g_source_destroy (wake);
  g_source_unref (wake);

  /* Operations that have not called back yet: the calls are over. */
  _async_runner_call_set_abandon (loop->calls);
}

/* Runner thread, after draining: operations it started are still to
 * complete. */
static gboolean
loop_has_operations (AsyncRunnerLoop *loop)
{
  return _async_runner_call_set_has_operations (loop->calls);
}

static gpointer
loop_thread (gpointer data)
{
  AsyncRunnerLoop *loop = data;   /* the thread's own reference */

  g_private_set (&current_loop, loop);
  g_main_context_push_thread_default (loop->context);
  _async_runner_spin_hold_core ();

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
  _async_runner_call_set_forget_retired (loop->calls);

  _async_runner_spin_release_core ();
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
  loop->calls = _async_runner_call_set_new ();
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

  _async_runner_call_set_free (loop->calls);
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

/* Any thread but the runner's: hands the call of @node, with a reference
 * for the queue, to the runner thread; or fails with G_IO_ERROR_CLOSED
 * once the runner has stopped, and the reference stays the caller's. */
gboolean
_async_runner_loop_submit (AsyncRunnerLoop       *loop,
                           AsyncRunnerQueueNode  *node,
                           GError               **error)
{
  gpointer head;

  ASYNC_RUNNER_ASSERT_NOT_RUNNER_THREAD (loop);

  g_atomic_int_set (&loop->caller_cpu, _async_runner_current_cpu ());

  do
    {
      head = g_atomic_pointer_get (&loop->stack);
      if (head == CLOSED_STACK (loop))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                               "The AsyncRunner has been shut down");
          return FALSE;
        }
      node->next = head;
    }
  while (!g_atomic_pointer_compare_and_exchange (&loop->stack, head, node));

  /* Pushed first, read @sleeping second: see loop_poll(). */
  if (g_atomic_int_get (&loop->sleeping) &&
      g_atomic_int_compare_and_exchange (&loop->sleeping, TRUE, FALSE))
    g_main_context_wakeup (loop->context);

  return TRUE;
}

/* The set of calls in flight (async-runner-call.c): runner thread only,
 * but for the count of the tasks that outlived their function. */
AsyncRunnerCallSet *
_async_runner_loop_get_calls (AsyncRunnerLoop *loop)
{
  return loop->calls;
}

AsyncRunnerLoop *
_async_runner_loop_get_current (void)
{
  return g_private_get (&current_loop);
}

/* Runner thread, once shut down, while a function waits on it (see
 * wait_for_function() in async-runner-call.c): ends the calls submitted
 * so far with G_IO_ERROR_CLOSED, as loop_drain() will once the thread
 * gets there. */
void
_async_runner_loop_discard_pending (AsyncRunnerLoop *loop)
{
  AsyncRunnerQueueNode *node;

  ASYNC_RUNNER_ASSERT_RUNNER_THREAD (loop);

  take_submitted (loop, NULL);
  while ((node = pop_ready (loop)) != NULL)
    _async_runner_call_node_discard (node);
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
