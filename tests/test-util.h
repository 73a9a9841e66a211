/* test-util.h: helpers shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Only what several test files need in exactly the same form lives here
 * (test-util.c: registration, knobs, flags, contexts; test-util-ops.c: the
 * operations the tests run); a helper that one file needs differently
 * stays in that file.
 */

#pragma once

#include <async-runner.h>

/* valgrind.h is a header of macros that do nothing outside valgrind. */
#if defined (__has_include)
# if __has_include (<valgrind/valgrind.h>)
#  include <valgrind/valgrind.h>
#  define HAVE_VALGRIND_H 1
# endif
#endif
#ifndef HAVE_VALGRIND_H
# define RUNNING_ON_VALGRIND 0
# define VALGRIND_COUNT_ERRORS 0
#endif

G_BEGIN_DECLS

/* Every bound on elapsed time in the C tests is multiplied by
 * test_time_scale(): ASYNC_RUNNER_TEST_TIME_SCALE, which the valgrind and
 * ASan setups set (tests/meson.build, build-aux/check-c.sh) to the factor
 * they also give meson's timeouts. Default 1. */
guint test_time_scale (void);

/* How long a test waits for something that must happen before it fails. */
#define WAIT_LIMIT_S (30 * test_time_scale ())

/* A timeout that only a hang reaches: a call that should succeed and
 * times out instead failed, it did not just run slowly. */
#define HANG_TIMEOUT_MS (5000 * test_time_scale ())

/* ---- Registration, under the process's watchdog ---- */

/* Every test file registers its tests in one table with
 * add_watched_tests(): one watchdog thread for the process aborts it
 * with a TAP "Bail out!" line, instead of letting it hang, when a test
 * runs longer than its limit. */
typedef struct
{
  const char *path;
  GTestFunc   func;
} TestCase;

/* The limits given are scaled by test_time_scale(). */
void add_watched_tests  (const TestCase *tests,
                         gsize           n_tests,
                         guint           limit_s);
void watchdog_set_limit (guint           seconds,
                         void          (*report) (void));

/* ---- Environment knobs ---- */

guint env_uint (const char *name,
                guint       default_value);

/* ---- Flags: something that happens on some thread, waited for ---- */

typedef struct
{
  GMutex mutex;
  GCond  cond;
  gint   count;   /* protected by @mutex */
} Flag;

void     flag_init       (Flag     *flag);
void     flag_clear      (Flag     *flag);
void     flag_set        (Flag     *flag);
void     flag_set_notify (gpointer  flag);
gint     flag_count      (Flag     *flag);
gboolean flag_is_set     (Flag     *flag);
void     flag_wait_count (Flag     *flag,
                          gint      count);
void     flag_wait       (Flag     *flag);

gboolean wait_for_flag (gint  *flag,
                        guint  ms);

/* ---- Gates: threads wait at one until the test opens it ---- */

typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean open;     /* protected by @mutex */
  gint     waiting;  /* protected by @mutex */
} Gate;

void gate_init       (Gate *gate);
void gate_clear      (Gate *gate);
void gate_pass       (Gate *gate);
void gate_open       (Gate *gate);
void gate_wait_empty (Gate *gate);

/* ---- Main contexts and tasks ---- */

void attach_source   (GMainContext   *context,
                      guint           timeout_ms,
                      GSourceFunc     func,
                      gpointer        data,
                      GDestroyNotify  notify);

void task_return_int (GTask          *task,
                      gint            n);

void watch_context_freed (AsyncRunner *runner,
                          Flag        *flag);

/* ---- Values and files ---- */

void  value_init_string (GValue     *value,
                         const char *s);
void  value_init_int    (GValue     *value,
                         gint        n);
void  values_free       (GValue     *values,
                         guint       n_values);
void  values_unset      (GValue     *values,
                         guint       n_values);
char *make_temp_dir     (void);
void  remove_tree       (const char *path);

/* ---- Errors and values ---- */

typedef enum
{
  TEST_ERROR_BROKEN = 7,
  TEST_ERROR_NEGATIVE,
} TestError;

#define TEST_ERROR (test_error_quark ())
GQuark test_error_quark (void);

void assert_failed_value (GValue *value);

/* ---- Functions and start functions the tests run ---- */

/* DEFINE_START_FROM_FUNC (start, func) defines `static gboolean start
 * (...)`, an #AsyncRunnerStartFunc that runs the #AsyncRunnerFunc @func
 * with a task of its own, completed through call_sync()'s callback: the
 * same operation through either entry point, with the same user_data. */
#define DEFINE_START_FROM_FUNC(start, func)                                   \
  static gboolean                                                             \
  start (AsyncRunner         *runner,                                         \
         gpointer             user_data,                                      \
         GCancellable        *cancellable,                                    \
         GAsyncReadyCallback  callback,                                       \
         gpointer             callback_data)                                  \
  {                                                                           \
    g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback,          \
                                        callback_data);                       \
                                                                              \
    return func (runner, task, user_data);                                    \
  }

gboolean return_int   (AsyncRunner *runner,
                       GTask       *task,
                       gpointer     user_data);
gboolean return_true  (AsyncRunner *runner,
                       GTask       *task,
                       gpointer     user_data);
gboolean return_false (AsyncRunner *runner,
                       GTask       *task,
                       gpointer     user_data);
gboolean func_never   (AsyncRunner *runner,
                       GTask       *task,
                       gpointer     user_data);
gboolean return_int_later (AsyncRunner *runner,
                           GTask       *task,
                           gpointer     user_data);
gboolean return_int_idle  (AsyncRunner *runner,
                           GTask       *task,
                           gpointer     user_data);

typedef struct
{
  GThread      *thread;
  gboolean      is_runner_thread;
  gboolean      context_is_runner_context;
  GMainContext *context;
} WhereInfo;

gboolean record_where (AsyncRunner *runner,
                       GTask       *task,
                       gpointer     user_data);

gboolean start_never  (AsyncRunner         *runner,
                       gpointer             user_data,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             callback_data);

gint run_int             (AsyncRunner  *runner,
                          gint          n,
                          GError      **error);
void barrier             (AsyncRunner *runner);
void assert_runner_works (AsyncRunner *runner);

/* A fake GIO-style asynchronous operation: adds two numbers, failing
 * for a negative @b, completing from an idle source. */
void fake_add_async  (int                  a,
                      int                  b,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data);
int  fake_add_finish (GAsyncResult        *result,
                      GError             **error);

typedef struct
{
  int      a;
  int      b;
  gboolean on_runner_thread;
} AddArgs;

gboolean start_fake_add (AsyncRunner         *runner,
                         gpointer             user_data,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             callback_data);

gboolean set_flag_func   (AsyncRunner         *runner,
                          GTask               *task,
                          gpointer             ran);
gboolean start_set_flag  (AsyncRunner         *runner,
                          gpointer             ran,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             callback_data);
gpointer shutdown_thread (gpointer             runner);

/* ---- Operations that complete only once cancelled ---- */

void hold_until_cancelled  (GTask  *task,
                            void  (*fire) (GTask *task));
void hold_return_cancelled (GTask  *task);
void assert_holds_released (void);

/* ---- Held operations: held until the test releases them ---- */

/* An operation that holds its task (or, for call_sync, its own GTask)
 * and ignores cancellation until the test releases it. */
typedef struct
{
  Flag          started;          /* the operation was started */
  Flag          freed;            /* its late result was freed */
  GTask        *task;             /* runner thread only, once started */
  GCancellable *op_cancellable;   /* the operation's cancellable */
  gboolean      on_runner_thread;
  gboolean      until_cancelled;  /* completes itself once cancelled */
} Held;

void     held_init          (Held         *held);
void     held_clear         (Held         *held);
void     held_result_freed  (gpointer      held);
void     held_release       (Held         *held,
                             AsyncRunner  *runner);
gboolean hold_task          (AsyncRunner  *runner,
                             GTask        *task,
                             gpointer      held);
gboolean hold_task_and_fail (AsyncRunner  *runner,
                             GTask        *task,
                             gpointer      held);

/* A call to a held operation, through run_sync or call_sync. */
typedef struct
{
  AsyncRunner   *runner;
  Held          *held;
  gboolean       use_call_sync;
  GCancellable  *cancellable;
  gboolean       ok;
  GError        *error;
  Flag           done;
} HeldCall;

void     held_call_init   (HeldCall     *hc,
                           AsyncRunner  *runner,
                           Held         *held,
                           GCancellable *cancellable);
void     held_call_clear  (HeldCall     *hc);
gpointer held_call_thread (gpointer      hc);

G_END_DECLS
