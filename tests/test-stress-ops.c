/* test-stress-ops.c: the operations of the stress tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <async-runner.h>

#include "test-util.h"
#include "test-stress-ops.h"

/* Completion delays, in milliseconds, far below the runner's timeout. */
#define LATER_MAX_MS   10
#define CANCEL_MAX_MS   5

const char * const kind_names[N_KINDS] = {
  "immediate", "later", "error", "cancel", "held",
};

/* Polls @counter until it is at least @min (at most @max) or @seconds
 * (times test_time_scale()) pass. */
gboolean
wait_for_range (gint  *counter,
                gint   min,
                gint   max,
                guint  seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * test_time_scale () * G_TIME_SPAN_SECOND;
  gint value;

  while ((value = g_atomic_int_get (counter)) < min || value > max)
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (G_TIME_SPAN_MILLISECOND / 4);
    }

  return TRUE;
}

typedef struct
{
  guint id;
  guint flags;
  guint delay_ms;
} OpData;

/* Operations whose task is not finalized yet. */
gint live_ops;   /* atomic */

gint begun_ops[N_KINDS];   /* atomic */

/* Per calling thread: the cancellable of its current call, so that the
 * runner thread can cancel it without pointing into the caller's stack. */
typedef struct
{
  guint         id;
  GCancellable *cancellable;
} Slot;

static GMutex slots_lock;

static Slot slots[MAX_THREADS];

/* Cancels cancellables from a thread of its own. */
static GAsyncQueue *canceller_queue;

static GThread *canceller;

static gpointer
canceller_thread (gpointer data)
{
  GCancellable *cancellable;

  /* The queue itself is the sentinel: it is not a cancellable. */
  while ((cancellable = g_async_queue_pop (canceller_queue)) != (gpointer) canceller_queue)
    {
      /* Vary how far into the call the cancellation lands. */
      if (g_random_boolean ())
        g_thread_yield ();
      g_cancellable_cancel (cancellable);
      g_object_unref (cancellable);
    }

  return NULL;
}

void
canceller_start (void)
{
  canceller_queue = g_async_queue_new ();
  canceller = g_thread_new ("canceller", canceller_thread, NULL);
}

void
canceller_stop (void)
{
  g_async_queue_push (canceller_queue, canceller_queue);
  g_thread_join (canceller);
  g_async_queue_unref (canceller_queue);
}

/* Registers the cancellable (or %NULL) of the current call @id of the
 * calling thread @slot, for cancel_caller(). */
void
slot_set (guint         slot,
          guint         id,
          GCancellable *cancellable)
{
  g_mutex_lock (&slots_lock);
  slots[slot].id = id;
  slots[slot].cancellable = cancellable;
  g_mutex_unlock (&slots_lock);
}

static void
op_gone (gpointer  data,
         GObject  *where_the_task_was)
{
  g_atomic_int_add (&live_ops, -1);
}

static void
return_id (GTask *task,
           guint  id)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_UINT);
  g_value_set_uint (&value, id);
  g_task_return_value (task, &value);
  g_value_unset (&value);
}

/* Completes @task as its kind says. */
static void
op_complete (GTask *task,
             Kind   kind)
{
  OpData *op = g_task_get_task_data (task);

  if (kind == KIND_ERROR)
    g_task_return_new_error (task, STRESS_ERROR, 1 + op->id % 5, "operation %u failed", op->id);
  else
    return_id (task, op->id);
}

static gboolean
on_later (gpointer user_data)
{
  GTask *task = user_data;

  op_complete (task, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "kind")));

  return G_SOURCE_REMOVE;
}

/* On the runner thread: completes @task from a source on the
 * thread-default context, the runner's, after @delay_ms. */
static void
op_complete_later (GTask *task,
                   guint  delay_ms)
{
  g_assert_true (g_main_context_get_thread_default () != NULL);
  attach_source (g_main_context_get_thread_default (), delay_ms,
                 on_later, g_object_ref (task), g_object_unref);
}

/* The operation's cancellable was cancelled (the call was cancelled,
 * timed out or the runner shut down): a well-behaved operation fails
 * with G_IO_ERROR_CANCELLED; an ill-behaved one completes anyway with a
 * value, later, which must be dropped. */
static void
on_op_cancelled (GTask *task)
{
  OpData *op = g_task_get_task_data (task);

  if (op->flags & FLAG_IGNORES)
    {
      g_object_set_data (G_OBJECT (task), "kind", GINT_TO_POINTER (KIND_LATER));
      op_complete_later (task, op->delay_ms);
    }
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "operation %u cancelled", op->id);
}

/* Both the runner's timeout and shutdown cancel it. */
static void
op_hold (GTask *task)
{
  hold_until_cancelled (task, on_op_cancelled);
}

static gboolean
on_cancel_caller (gpointer user_data)
{
  g_cancellable_cancel (user_data);

  return G_SOURCE_REMOVE;
}

/* On the runner thread, mid-flight: has the caller's cancellable
 * cancelled, from another thread or from a timeout on the runner. */
static void
cancel_caller (gpointer req,
               guint    delay_ms)
{
  GCancellable *cancellable = NULL;
  Slot *slot = &slots[REQ_SLOT (req)];

  g_mutex_lock (&slots_lock);
  if (slot->id == REQ_ID (req) && slot->cancellable != NULL)
    cancellable = g_object_ref (slot->cancellable);
  g_mutex_unlock (&slots_lock);

  /* The caller is waiting for this very call: it cannot have left. */
  g_assert_nonnull (cancellable);

  if (REQ_FLAGS (req) & FLAG_CANCEL_LOCAL)
    {
      GSource *source = g_timeout_source_new (delay_ms);

      g_source_set_callback (source, on_cancel_caller, cancellable, g_object_unref);
      g_source_attach (source, g_main_context_get_thread_default ());
      g_source_unref (source);
    }
  else
    g_async_queue_push (canceller_queue, cancellable);
}

/* On the runner thread: starts the operation @req describes on @task. */
static void
op_begin (AsyncRunner *runner,
          GTask       *task,
          gpointer     req)
{
  Kind kind = REQ_KIND (req);
  OpData *op = g_new0 (OpData, 1);

  g_assert_true (async_runner_is_runner_thread (runner));
  g_assert_true (g_main_context_get_thread_default () == async_runner_get_context (runner));

  op->id = REQ_ID (req);
  op->flags = REQ_FLAGS (req);
  op->delay_ms = g_random_int_range (0, LATER_MAX_MS + 1);
  g_task_set_task_data (task, op, g_free);
  g_object_set_data (G_OBJECT (task), "kind", GINT_TO_POINTER (kind));

  g_atomic_int_inc (&live_ops);
  g_atomic_int_inc (&begun_ops[kind]);
  g_object_weak_ref (G_OBJECT (task), op_gone, NULL);

  switch (kind)
    {
    case KIND_IMMEDIATE:
      op_complete (task, kind);
      break;

    case KIND_LATER:
      op_complete_later (task, op->delay_ms);
      break;

    case KIND_ERROR:
      if (op->flags & FLAG_LATER)
        op_complete_later (task, op->delay_ms);
      else
        op_complete (task, kind);
      break;

    case KIND_CANCEL:
      op_hold (task);
      cancel_caller (req, g_random_int_range (0, CANCEL_MAX_MS + 1));
      break;

    case KIND_HELD:
      op_hold (task);
      break;

    case N_KINDS:
    default:
      g_assert_not_reached ();
    }
}

static gboolean
run_func (AsyncRunner *runner,
          GTask       *task,
          gpointer     user_data)
{
  op_begin (runner, task, user_data);

  return TRUE;
}

DEFINE_START_FROM_FUNC (start_func, run_func)

/* One call of the given kind, on any thread, through run_sync or
 * call_sync. Returns its outcome: TRUE with @id in @out_id, or FALSE
 * with @error set. */
gboolean
do_call (AsyncRunner   *runner,
         gpointer       req,
         gboolean       use_call_sync,
         gboolean       want_value,
         GCancellable  *cancellable,
         guint         *out_id,
         GError       **error)
{
  GValue value = G_VALUE_INIT;

  *out_id = G_MAXUINT;

  if (use_call_sync)
    {
      g_autoptr(GAsyncResult) result = NULL;

      result = async_runner_call_sync (runner, start_func, req, cancellable, error);
      if (result == NULL)
        return FALSE;

      g_assert_true (g_task_is_valid (result, NULL));
      if (!g_task_propagate_value (G_TASK (result), &value, error))
        return FALSE;
    }
  else if (!async_runner_run_sync (runner, run_func, req, cancellable,
                                   want_value ? &value : NULL, error))
    return FALSE;

  if (G_IS_VALUE (&value))
    {
      g_assert_true (G_VALUE_HOLDS_UINT (&value));
      *out_id = g_value_get_uint (&value);
      g_value_unset (&value);
    }
  else
    *out_id = REQ_ID (req);

  return TRUE;
}

/* Checks that a call ended exactly as its kind dictates. */
void
check_outcome (Kind          kind,
               guint         id,
               gboolean      ok,
               guint         got_id,
               const GError *error)
{
  g_autofree char *expected_message = NULL;

  switch (kind)
    {
    case KIND_IMMEDIATE:
    case KIND_LATER:
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpuint (got_id, ==, id);
      break;

    case KIND_ERROR:
      g_assert_false (ok);
      g_assert_error (error, STRESS_ERROR, (gint) (1 + id % 5));
      expected_message = g_strdup_printf ("operation %u failed", id);
      g_assert_cmpstr (error->message, ==, expected_message);
      break;

    case KIND_CANCEL:
      g_assert_false (ok);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      break;

    case KIND_HELD:
      g_assert_false (ok);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      break;

    case N_KINDS:
    default:
      g_assert_not_reached ();
    }
}
