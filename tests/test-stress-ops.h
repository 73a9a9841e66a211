/* test-stress-ops.h: the operations of the stress tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Calls of every kind, each of which has exactly one right outcome, made
 * from several threads at once by test-stress.c (under load) and
 * test-stress-shutdown.c (under shutdown). GLib's futex-based GMutex is
 * invisible to ThreadSanitizer and Helgrind: these tests are the race
 * detector, run plain, under memcheck and under ASan+UBSan.
 *
 * Environment (CI under valgrind makes them shorter or more patient):
 *   ASYNC_RUNNER_STRESS_SECONDS     how long mixed-load runs (default 10)
 *   ASYNC_RUNNER_STRESS_THREADS     calling threads (default 4)
 *   ASYNC_RUNNER_STRESS_TIMEOUT_MS  the runner's timeout in mixed-load (default 500
 *                                   times test_time_scale())
 *   ASYNC_RUNNER_STRESS_ROUNDS      shutdown-under-load rounds (default 10)
 */

#pragma once

#include <async-runner.h>

G_BEGIN_DECLS

#define MAX_THREADS 16

/* What a call does; each kind has exactly one right outcome. */
typedef enum
{
  KIND_IMMEDIATE,   /* completes with a value before the function returns */
  KIND_LATER,       /* completes with a value from a timeout source */
  KIND_ERROR,       /* fails with its own error, at once or later */
  KIND_CANCEL,      /* the caller's cancellable is cancelled mid-flight */
  KIND_HELD,        /* never completes by itself: the timeout or shutdown ends it */
  N_KINDS
} Kind;

/* Variations within a kind. */
enum
{
  FLAG_LATER        = 1 << 0,   /* error: from a source rather than at once */
  FLAG_IGNORES      = 1 << 1,   /* cancel/held: completes with a value after being cancelled */
  FLAG_CANCEL_LOCAL = 1 << 2,   /* cancel: from a timeout on the runner, not another thread */
};

#define STRESS_ERROR (g_quark_from_static_string ("async-runner-stress-error"))

/* A request travels as the user_data of run_sync/call_sync, packed in the
 * pointer itself: the function may (in theory) run after its caller gave
 * up, so it must not point into the caller's stack. */
#define REQ_PACK(kind, flags, slot, id) \
  GSIZE_TO_POINTER ((gsize) (kind) | ((gsize) (flags) << 4) | \
                    ((gsize) (slot) << 8) | ((gsize) (id) << 16))
#define REQ_KIND(req)  ((Kind) (GPOINTER_TO_SIZE (req) & 0xf))
#define REQ_FLAGS(req) ((guint) ((GPOINTER_TO_SIZE (req) >> 4) & 0xf))
#define REQ_SLOT(req)  ((guint) ((GPOINTER_TO_SIZE (req) >> 8) & 0xff))
#define REQ_ID(req)    ((guint) (GPOINTER_TO_SIZE (req) >> 16))
#define ID_MASK        ((guint) (G_MAXSIZE >> 16))

extern const char * const kind_names[N_KINDS];

/* Operations whose task is not finalized yet. */
extern gint live_ops;   /* atomic */

/* Operations begun on the runner thread, by kind: counted where the
 * operation runs, apart from the callers' own counts. */
extern gint begun_ops[N_KINDS];   /* atomic */

gboolean wait_for_range  (gint          *counter,
                          gint           min,
                          gint           max,
                          guint          seconds);
void     canceller_start (void);
void     canceller_stop  (void);
void     slot_set        (guint          slot,
                          guint          id,
                          GCancellable  *cancellable);
gboolean do_call         (AsyncRunner   *runner,
                          gpointer       req,
                          gboolean       use_call_sync,
                          gboolean       want_value,
                          GCancellable  *cancellable,
                          guint         *out_id,
                          GError       **error);
void     check_outcome   (Kind           kind,
                          guint          id,
                          gboolean       ok,
                          guint          got_id,
                          const GError  *error);

G_END_DECLS
