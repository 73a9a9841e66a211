/* bench-baselines.c: what a program does without this library, and what
 * any hand-off between two threads costs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The two baselines are written here the way a program would write them
 * without this library:
 *  - the naive runner: a GMainContext iterated by a thread of its own;
 *    per call, an idle GSource attached to that context, in which a GTask
 *    is made and returned; its callback signals a GCond the caller waits
 *    on;
 *  - the in-thread idiom: per call, a private GMainContext pushed as
 *    thread-default, a GTask made and returned, the context iterated
 *    until the callback ran.
 *
 * Two reference rows give the cost of a thread-to-thread round trip right
 * now: through a GMutex/GCond (a kernel sleep and wake-up each way) and
 * spinning on a shared word (the floor).
 */

#include "bench-runner.h"

#ifdef G_OS_UNIX
# include <sched.h>
#endif

/* ------------------------------------------------------------------ */
/* The naive runner                                                     */

struct _NaiveRunner
{
  GMainContext *context;
  GThread      *thread;
  gint          quit;         /* atomic */
};

typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean done;              /* protected by @mutex */
  gboolean value;             /* written before @done */
  GError  *error;
} NaiveCall;

static gpointer
naive_thread (gpointer data)
{
  NaiveRunner *runner = data;

  g_main_context_push_thread_default (runner->context);
  while (!g_atomic_int_get (&runner->quit))
    g_main_context_iteration (runner->context, TRUE);
  g_main_context_pop_thread_default (runner->context);

  return NULL;
}

NaiveRunner *
naive_runner_new (void)
{
  NaiveRunner *runner = g_new0 (NaiveRunner, 1);

  runner->context = g_main_context_new ();
  runner->thread = g_thread_new ("naive-runner", naive_thread, runner);

  return runner;
}

void
naive_runner_free (NaiveRunner *runner)
{
  g_atomic_int_set (&runner->quit, TRUE);
  g_main_context_wakeup (runner->context);
  g_thread_join (runner->thread);
  g_main_context_unref (runner->context);
  g_free (runner);
}

/* Runner thread: the task's callback. */
static void
naive_task_done (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  NaiveCall *call = user_data;

  call->value = g_task_propagate_boolean (G_TASK (result), &call->error);

  g_mutex_lock (&call->mutex);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->mutex);
}

/* Runner thread, runner context thread-default: the operation. */
static gboolean
naive_idle (gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, naive_task_done, user_data);

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);

  return G_SOURCE_REMOVE;
}

static void
naive_call (NaiveRunner *runner)
{
  NaiveCall call = { 0, };
  GSource *source;

  g_mutex_init (&call.mutex);
  g_cond_init (&call.cond);

  source = g_idle_source_new ();
  g_source_set_callback (source, naive_idle, &call, NULL);
  g_source_attach (source, runner->context);
  g_source_unref (source);

  g_mutex_lock (&call.mutex);
  while (!call.done)
    g_cond_wait (&call.cond, &call.mutex);
  g_mutex_unlock (&call.mutex);

  check_no_error ("naive runner call", call.error);
  g_assert (call.value);

  g_cond_clear (&call.cond);
  g_mutex_clear (&call.mutex);
}

void
bench_naive (gpointer data,
             guint    n)
{
  for (guint i = 0; i < n; i++)
    naive_call (data);
}

/* ------------------------------------------------------------------ */
/* The in-thread idiom                                                  */

typedef struct
{
  gboolean done;
  gboolean value;
  GError  *error;
} InThreadCall;

static void
in_thread_done (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  InThreadCall *call = user_data;

  call->value = g_task_propagate_boolean (G_TASK (result), &call->error);
  call->done = TRUE;
}

void
in_thread_call (void)
{
  GMainContext *context = g_main_context_new ();
  InThreadCall call = { 0, };
  GTask *task;

  g_main_context_push_thread_default (context);

  task = g_task_new (NULL, NULL, in_thread_done, &call);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);

  while (!call.done)
    g_main_context_iteration (context, TRUE);

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  check_no_error ("in-thread call", call.error);
  g_assert (call.value);
}

void
bench_in_thread (gpointer data,
                 guint    n)
{
  for (guint i = 0; i < n; i++)
    in_thread_call ();
}

/* ------------------------------------------------------------------ */
/* Reference floors: what one round trip between two threads costs      */

typedef struct
{
  GMutex   mutex;
  GCond    cond;
  guint    turn;              /* protected by @mutex: incremented by each side */
  guint    n;                 /* round trips; protected by @mutex */
  gint     word;              /* atomic: the spinning variant's turn */
} PingPong;

/* The echo side: answers every ping until @n pings were answered. */
static gpointer
futex_pong (gpointer data)
{
  PingPong *pp = data;

  g_mutex_lock (&pp->mutex);
  for (guint i = 0; i < pp->n; i++)
    {
      while (pp->turn % 2 == 0)
        g_cond_wait (&pp->cond, &pp->mutex);
      pp->turn++;
      g_cond_signal (&pp->cond);
    }
  g_mutex_unlock (&pp->mutex);

  return NULL;
}

void
bench_futex_ping_pong (gpointer data,
                       guint    n)
{
  PingPong pp = { 0, };
  GThread *thread;

  g_mutex_init (&pp.mutex);
  g_cond_init (&pp.cond);
  pp.n = n;
  thread = g_thread_new ("pong", futex_pong, &pp);

  g_mutex_lock (&pp.mutex);
  for (guint i = 0; i < n; i++)
    {
      pp.turn++;
      g_cond_signal (&pp.cond);
      while (pp.turn % 2 == 1)
        g_cond_wait (&pp.cond, &pp.mutex);
    }
  g_mutex_unlock (&pp.mutex);

  g_thread_join (thread);
  g_cond_clear (&pp.cond);
  g_mutex_clear (&pp.mutex);
}

/* Spins until @word has @value; yields now and then so that a
 * descheduled partner (the cores are shared) gets to run. With
 * sched_yield(), not g_thread_yield(), which sleeps for 50 microseconds
 * in GLib 2.90 (see _async_runner_yield_core()). */
static void
spin_until (gint *word,
            gint  value)
{
  for (guint i = 1; g_atomic_int_get (word) != value; i++)
    {
      if (i % 512 == 0)
        {
#ifdef G_OS_UNIX
          sched_yield ();
#else
          g_thread_yield ();
#endif
        }
#if defined (__x86_64__) || defined (__i386__)
      __builtin_ia32_pause ();
#endif
    }
}

static gpointer
spin_pong (gpointer data)
{
  PingPong *pp = data;

  for (guint i = 0; i < pp->n; i++)
    {
      spin_until (&pp->word, 1);
      g_atomic_int_set (&pp->word, 0);
    }

  return NULL;
}

void
bench_spin_ping_pong (gpointer data,
                      guint    n)
{
  PingPong pp = { 0, };
  GThread *thread;

  pp.n = n;
  thread = g_thread_new ("pong", spin_pong, &pp);

  for (guint i = 0; i < n; i++)
    {
      g_atomic_int_set (&pp.word, 1);
      spin_until (&pp.word, 0);
    }

  g_thread_join (thread);
}

