/* async-runner-runner.c: the AsyncRunner object
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#if HAVE_PTHREAD_ATFORK
# include <pthread.h>
#endif

#include "async-runner.h"

#include "async-runner-binding-private.h"
#include "async-runner-call-private.h"
#include "async-runner-debug-private.h"
#include "async-runner-loop-private.h"

/**
 * AsyncRunner:
 *
 * Runs GIO-style asynchronous operations to completion from synchronous
 * code, on any thread, without iterating the caller's main context.
 *
 * A runner owns a [struct@GLib.MainContext] that spins in a thread of its
 * own for the runner's whole life, as that thread's thread-default
 * context. [method@AsyncRunner.Runner.call_sync] and
 * [method@AsyncRunner.Runner.run_sync] hand an operation to that thread
 * and put the calling thread to sleep until the operation completes, is
 * cancelled, times out or the runner shuts down. The caller's own context
 * is never iterated, so no unrelated source is dispatched behind its back,
 * and it does not matter whether the caller runs a main loop, which
 * thread it is, or whether another thread owns its context.
 *
 * Most programs share [func@AsyncRunner.Runner.get_default];
 * [ctor@AsyncRunner.Runner.new] makes a runner of one's own, which
 * [method@AsyncRunner.Runner.shutdown] stops. The
 * [property@AsyncRunner.Runner:timeout] property bounds every call.
 *
 * A start function runs on the runner thread and starts one asynchronous
 * operation; the caller gets the operation's result back and finishes it
 * on its own thread.
 *
 * From `examples/load-things.c`:
 *
 * ```c
 * static gboolean
 * start_load_contents (AsyncRunner         *runner,
 *                      gpointer             user_data,
 *                      GCancellable        *cancellable,
 *                      GAsyncReadyCallback  callback,
 *                      gpointer             callback_data)
 * {
 *   g_file_load_contents_async (user_data, cancellable, callback, callback_data);
 *   return TRUE;
 * }
 *
 * ...
 *
 *   result = async_runner_call_sync (async_runner_get_default (),
 *                                    start_load_contents, file, NULL, error);
 *   if (result == NULL ||
 *       !g_file_load_contents_finish (file, result, &contents, &length, NULL, error))
 *     return FALSE;
 * ```
 *
 * The guides tell more: [Why a runner](why-a-runner.html),
 * [Calling GIO async APIs synchronously](calling-async-apis.html),
 * [Threads, cancellation, timeouts and shutdown](threads-cancellation-shutdown.html),
 * [Performance](performance.html) and
 * [Debugging a stuck call](debugging-a-stuck-call.html).
 *
 * Every call returns exactly once: with the operation's result, with the
 * operation's own error, or with %G_IO_ERROR_CANCELLED,
 * %G_IO_ERROR_TIMED_OUT or %G_IO_ERROR_CLOSED.
 *
 * All methods are thread-safe. A call made on the runner thread itself
 * (from inside a function or callback that the runner runs) does not
 * deadlock: it iterates the runner's context, pushed as thread-default,
 * until its operation completes. A call from one runner's thread to
 * another runner sleeps like any caller, so two runners whose functions
 * call each other wait for each other forever, unless the
 * [property@AsyncRunner.Runner:timeout] of either runner (or a
 * cancellable) ends one of the calls in the cycle: a runner thread whose
 * call has ended serves its own runner's calls while it waits for the
 * other runner's function to return, so the cycle unwinds.
 *
 * Since: 1.0
 */
struct _AsyncRunner
{
  GObject          parent_instance;

  AsyncRunnerLoop *loop;          /* immutable: the thread and its context */
  guint            timeout_ms;    /* atomic */
  guint            generation;    /* immutable: the fork generation it was made in */
};

enum {
  PROP_0,
  PROP_TIMEOUT,
  PROP_STUCK_THRESHOLD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Bumped in the child after fork(): a runner made before has no thread
 * there. */
static guint fork_generation;     /* atomic */

static AsyncRunner *default_runner;   /* atomic; written with @default_lock */
static GSList *inherited_runners;     /* protected by @default_lock */
static GMutex default_lock;

G_DEFINE_FINAL_TYPE (AsyncRunner, async_runner, G_TYPE_OBJECT)

static gboolean
async_runner_is_forked (AsyncRunner *self)
{
  return self->generation != (guint) g_atomic_int_get (&fork_generation);
}

#if HAVE_PTHREAD_ATFORK
static void
before_fork (void)
{
  g_mutex_lock (&default_lock);
}

static void
after_fork_in_parent (void)
{
  g_mutex_unlock (&default_lock);
}

static void
after_fork_in_child (void)
{
  g_atomic_int_inc (&fork_generation);
  _async_runner_spin_after_fork (_async_runner_loop_get_current () != NULL);
  g_mutex_unlock (&default_lock);
}
#endif

/* The default runner is owned by this file alone: a process-wide
 * reference that nobody else may drop. */
static gboolean
async_runner_is_default (AsyncRunner *self)
{
  return self == g_atomic_pointer_get (&default_runner) &&
         !async_runner_is_forked (self);
}

static void
async_runner_dispose (GObject *object)
{
  AsyncRunner *self = ASYNC_RUNNER (object);

  /* Someone dropped a reference to the default runner that was not
   * theirs (it is transfer none). Disposing it would break every later
   * call in the process: take the reference back instead. GObject lets
   * dispose resurrect an object by taking a reference; not chaining up
   * keeps its signal handlers and weak references as they were. */
  if G_UNLIKELY (async_runner_is_default (self))
    {
      g_critical ("A reference to the default AsyncRunner was dropped by "
                  "someone who did not own it (async_runner_get_default() "
                  "is transfer none); the runner keeps running");
      g_object_ref (self);
      return;
    }

  /* In a forked child the thread does not exist: nothing to stop. */
  if (!async_runner_is_forked (self))
    _async_runner_loop_shutdown (self->loop);

  G_OBJECT_CLASS (async_runner_parent_class)->dispose (object);
}

static void
async_runner_finalize (GObject *object)
{
  AsyncRunner *self = ASYNC_RUNNER (object);

  /* In a forked child the loop's locks may be held by threads that do
   * not exist here: leave it alone. */
  if (!async_runner_is_forked (self))
    _async_runner_loop_unref (self->loop);

  G_OBJECT_CLASS (async_runner_parent_class)->finalize (object);
}

static void
async_runner_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  AsyncRunner *self = ASYNC_RUNNER (object);

  switch (prop_id)
    {
    case PROP_TIMEOUT:
      g_value_set_uint (value, async_runner_get_timeout (self));
      break;

    case PROP_STUCK_THRESHOLD:
      g_value_set_uint (value, async_runner_get_stuck_threshold (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
async_runner_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  AsyncRunner *self = ASYNC_RUNNER (object);

  switch (prop_id)
    {
    case PROP_TIMEOUT:
      async_runner_set_timeout (self, g_value_get_uint (value));
      break;

    case PROP_STUCK_THRESHOLD:
      async_runner_set_stuck_threshold (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
async_runner_class_init (AsyncRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = async_runner_dispose;
  object_class->finalize = async_runner_finalize;
  object_class->get_property = async_runner_get_property;
  object_class->set_property = async_runner_set_property;

  /**
   * AsyncRunner:timeout:
   *
   * The time limit of every call, in milliseconds; 0 (the default) means
   * none. A call still running when it expires fails with
   * %G_IO_ERROR_TIMED_OUT and its operation's cancellable is cancelled.
   * A change applies to calls that start after it.
   *
   * Since: 1.0
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * AsyncRunner:stuck-threshold:
   *
   * How long a call may wait, in milliseconds, before the runner logs a
   * warning that names it and says why it has not returned (see the guide
   * [Debugging a stuck call](debugging-a-stuck-call.html)); the warning
   * is repeated after twice, four times... as long. 0 means never.
   *
   * The default is 10000 (10 seconds), or the value given with the
   * environment variable `ASYNC_RUNNER_DEBUG=stuck=MILLISECONDS`, read
   * once when the first runner is made. A change applies to calls whose
   * callers start waiting after it. Calls made on the runner thread itself
   * are not reported.
   *
   * Until a call has waited that long, the report costs nothing: the
   * caller's own sleep simply wakes at the threshold.
   *
   * Since: 1.0
   */
  properties[PROP_STUCK_THRESHOLD] =
    g_param_spec_uint ("stuck-threshold", NULL, NULL,
                       0, G_MAXUINT, ASYNC_RUNNER_DEBUG_STUCK_MS_DEFAULT,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

#if HAVE_PTHREAD_ATFORK
  pthread_atfork (before_fork, after_fork_in_parent, after_fork_in_child);
#endif

  _async_runner_debug_init ();
}

static void
async_runner_init (AsyncRunner *self)
{
  self->generation = g_atomic_int_get (&fork_generation);
  self->loop = _async_runner_loop_new ();
}

/**
 * async_runner_new:
 *
 * Creates a runner with a thread and a [struct@GLib.MainContext] of its
 * own. The thread runs until [method@AsyncRunner.Runner.shutdown] is
 * called or the last reference is dropped.
 *
 * Most programs can share [func@AsyncRunner.Runner.get_default] instead.
 * A runner of one's own suits objects that must stay bound to one context
 * (a D-Bus connection, a client library), or work that must not queue
 * behind other users of the default runner.
 *
 * This function is thread-safe.
 *
 * Returns: (transfer full): a new runner
 *
 * Since: 1.0
 */
AsyncRunner *
async_runner_new (void)
{
  return g_object_new (ASYNC_TYPE_RUNNER, NULL);
}

/**
 * async_runner_get_default:
 *
 * Gets the process-wide runner, creating it on first use. It lives until
 * the process exits: [method@AsyncRunner.Runner.shutdown] on it, or
 * dropping a reference to it that the caller does not own, is reported
 * with a critical and has no effect.
 *
 * In the child of a fork(), the first use creates a new default runner:
 * the parent's runner thread does not exist there. This is safe only if no
 * other thread of the parent was inside GLib at the moment of the fork (no
 * call in flight on any runner, no GLib thread pool at work): otherwise the
 * child may hang in a lock that a thread that does not exist there held,
 * as with any use of GLib after fork(). See
 * [Threads, cancellation, timeouts and shutdown](threads-cancellation-shutdown.html).
 *
 * This function is thread-safe.
 *
 * Returns: (transfer none): the default runner
 *
 * Since: 1.0
 */
AsyncRunner *
async_runner_get_default (void)
{
  AsyncRunner *runner = g_atomic_pointer_get (&default_runner);

  if G_LIKELY (runner != NULL && !async_runner_is_forked (runner))
    return runner;

  g_mutex_lock (&default_lock);
  runner = default_runner;
  if (runner == NULL || async_runner_is_forked (runner))
    {
      /* A default runner inherited from the parent has no thread here:
       * it is left as it is, but kept reachable. */
      if (runner != NULL)
        inherited_runners = g_slist_prepend (inherited_runners, runner);
      runner = async_runner_new ();
      g_atomic_pointer_set (&default_runner, runner);
    }
  g_mutex_unlock (&default_lock);

  return runner;
}

/**
 * async_runner_get_context:
 * @self: a runner
 *
 * Gets the context that the runner thread iterates. Sources attached to
 * it are dispatched on the runner thread; objects that bind to the
 * thread-default context, created inside a function that the runner runs,
 * are bound to it.
 *
 * Do not iterate this context: the runner thread owns it. It lives as
 * long as the runner; hold a reference (g_main_context_ref()) to use it
 * beyond that, for instance in a source that drops the last reference to
 * the runner.
 *
 * This function is thread-safe.
 *
 * Returns: (transfer none): the runner's context
 *
 * Since: 1.0
 */
GMainContext *
async_runner_get_context (AsyncRunner *self)
{
  g_return_val_if_fail (ASYNC_IS_RUNNER (self), NULL);

  return _async_runner_loop_get_context (self->loop);
}

/**
 * async_runner_is_runner_thread:
 * @self: a runner
 *
 * Checks whether the calling thread is the runner's thread, as it is
 * inside the functions and callbacks that the runner runs.
 *
 * This function is thread-safe.
 *
 * Returns: %TRUE if called on the runner thread
 *
 * Since: 1.0
 */
gboolean
async_runner_is_runner_thread (AsyncRunner *self)
{
  g_return_val_if_fail (ASYNC_IS_RUNNER (self), FALSE);

  return _async_runner_loop_is_current (self->loop);
}

/**
 * async_runner_get_timeout:
 * @self: a runner
 *
 * Gets the [property@AsyncRunner.Runner:timeout] of every call.
 *
 * This function is thread-safe.
 *
 * Returns: the timeout in milliseconds, or 0 for none
 *
 * Since: 1.0
 */
guint
async_runner_get_timeout (AsyncRunner *self)
{
  g_return_val_if_fail (ASYNC_IS_RUNNER (self), 0);

  return (guint) g_atomic_int_get (&self->timeout_ms);
}

/**
 * async_runner_set_timeout:
 * @self: a runner
 * @timeout_ms: the time limit of every call in milliseconds, or 0 for none
 *
 * Sets the [property@AsyncRunner.Runner:timeout] of every call that starts
 * from now on.
 *
 * This function is thread-safe.
 *
 * Since: 1.0
 */
void
async_runner_set_timeout (AsyncRunner *self,
                          guint        timeout_ms)
{
  g_return_if_fail (ASYNC_IS_RUNNER (self));

  if ((guint) g_atomic_int_exchange (&self->timeout_ms, timeout_ms) != timeout_ms)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

/**
 * async_runner_get_stuck_threshold:
 * @self: a runner
 *
 * Gets the [property@AsyncRunner.Runner:stuck-threshold].
 *
 * This function is thread-safe.
 *
 * Returns: the threshold in milliseconds, or 0 for none
 *
 * Since: 1.0
 */
guint
async_runner_get_stuck_threshold (AsyncRunner *self)
{
  g_return_val_if_fail (ASYNC_IS_RUNNER (self), 0);

  return (guint) g_atomic_int_get (&_async_runner_loop_get_debug (self->loop)->stuck_ms);
}

/**
 * async_runner_set_stuck_threshold:
 * @self: a runner
 * @threshold_ms: how long a call may wait before it is reported, in
 *   milliseconds, or 0 for never
 *
 * Sets the [property@AsyncRunner.Runner:stuck-threshold].
 *
 * This function is thread-safe.
 *
 * Since: 1.0
 */
void
async_runner_set_stuck_threshold (AsyncRunner *self,
                                  guint        threshold_ms)
{
  g_return_if_fail (ASYNC_IS_RUNNER (self));

  AsyncRunnerDebug *debug = _async_runner_loop_get_debug (self->loop);

  if ((guint) g_atomic_int_exchange (&debug->stuck_ms, threshold_ms) != threshold_ms)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STUCK_THRESHOLD]);
}

/**
 * async_runner_dup_pending_calls:
 * @self: a runner
 *
 * Describes the calls in flight on @self whose callers are waiting, one
 * human-readable line each: the call's name, the calling thread, how long
 * it has waited and its state (queued, its function running, or waiting
 * for the operation to call back). For a debugger or a user interface;
 * the format may change. From gdb, in a stuck process:
 *
 * ```console
 * (gdb) printf "%s\n", (char *) g_strjoinv ("\n", (char **) async_runner_dup_pending_calls ((void *) async_runner_get_default ()))
 * ```
 *
 * A call is listed once its caller has stopped spinning and sleeps, a few
 * microseconds after it began; calls made on the runner thread itself are
 * not listed.
 *
 * This function is thread-safe.
 *
 * Returns: (transfer full) (array zero-terminated=1): one line per call,
 *   an empty array when there is none
 *
 * Since: 1.0
 */
char **
async_runner_dup_pending_calls (AsyncRunner *self)
{
  g_return_val_if_fail (ASYNC_IS_RUNNER (self), NULL);

  return _async_runner_debug_dup_pending (_async_runner_loop_get_debug (self->loop));
}

/* Any thread: the time limit of a call, its own or the runner's. */
static guint
async_runner_get_call_timeout (AsyncRunner *self,
                               guint        timeout_ms)
{
  return timeout_ms != 0 ? timeout_ms : (guint) g_atomic_int_get (&self->timeout_ms);
}

/* Any thread: a runner made before fork() has no thread in this process. */
static gboolean
async_runner_check_not_forked (AsyncRunner  *self,
                               GError      **error)
{
  if G_LIKELY (!async_runner_is_forked (self))
    return TRUE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                       "The AsyncRunner was created before fork(): "
                       "its thread does not exist in this process");
  return FALSE;
}

/**
 * async_runner_run_sync:
 * @self: a runner
 * @func: (scope call) (closure user_data): the function that starts the
 *   operation on the runner thread
 * @user_data: data for @func; the call does not return before @func has
 *   returned
 * @cancellable: (nullable): a cancellable for the call
 * @value: (out caller-allocates) (optional): where to store the value the
 *   task was completed with
 * @error: return location for a #GError
 *
 * Runs @func on the runner thread, with the runner's context as the
 * thread-default context, and waits until the [class@Gio.Task] it was
 * given is completed.
 *
 * With @value non-%NULL, @func must complete the task with
 * g_task_return_value() and @value (zero-initialized, as with
 * %G_VALUE_INIT) receives that value; with @value %NULL any
 * `g_task_return_*()` function will do. When the call fails, @value holds
 * the boolean %FALSE, which needs no freeing (unset it before reusing it).
 * An error returned on the task reaches the caller with its domain, code
 * and message intact.
 *
 * If @func returns %FALSE (whether or not it completed the task first),
 * or drops the task without completing it, the call fails with
 * %G_IO_ERROR_FAILED. A task completed with g_task_run_in_thread_sync()
 * counts as completed.
 *
 * With @value non-%NULL, completing the task other than with
 * g_task_return_value() or an error (with g_task_return_boolean(),
 * g_task_return_int() or g_task_return_pointer()) is a programmer error:
 * GTask offers no way to ask what a task holds, so GLib reports it with
 * its own critical from g_task_propagate_value() on the runner thread,
 * and the call fails with %G_IO_ERROR_INVALID_DATA. What the task was
 * completed with stays the task's, freed once by its own destroy function
 * when the task is finalized.
 *
 * Cancelling @cancellable, from any thread, makes the call return
 * %G_IO_ERROR_CANCELLED at once even if the operation ignores it (if
 * @func itself is still running, as soon as it returns); the task's own
 * cancellable (g_task_get_cancellable()), which belongs to this call alone,
 * is cancelled then and a result that arrives later is dropped. The same
 * happens with %G_IO_ERROR_TIMED_OUT when the
 * [property@AsyncRunner.Runner:timeout] expires, and with
 * %G_IO_ERROR_CLOSED when the runner shuts down.
 *
 * The calling thread sleeps (after spinning briefly) and its own context
 * is not iterated. Called on the runner thread, the call iterates the
 * runner's context, pushed as thread-default if another context was, until
 * the task completes. Called on another runner's thread, once the call
 * has ended (cancelled or timed out) while @func still runs, that thread
 * serves its own runner's calls until @func returns.
 *
 * GJS cannot run JavaScript on another thread (GJS 1.81.90 and later crash
 * when asked to): a JavaScript @func is refused with
 * %G_IO_ERROR_NOT_SUPPORTED before anything runs, however and whenever GJS
 * was loaded (a program may embed it after this library). A JavaScript
 * function is told from C by where it lies: a binding's function is a
 * libffi closure, in no loaded object; so a C function in an anonymous
 * executable mapping (JIT-generated code) is refused too while a GJS
 * context exists.
 *
 * This function is thread-safe.
 *
 * Returns: %TRUE if the task completed without an error (and @value, if
 *   given, holds its value); %FALSE with @error set otherwise
 *
 * Since: 1.0
 */
gboolean
async_runner_run_sync (AsyncRunner      *self,
                       AsyncRunnerFunc   func,
                       gpointer          user_data,
                       GCancellable     *cancellable,
                       GValue           *value,
                       GError          **error)
{
  return async_runner_run_sync_full (self, NULL, 0, func, user_data, cancellable, value, error);
}

/**
 * async_runner_run_sync_full:
 * @self: a runner
 * @name: (nullable): the call's name, for the stuck-call report,
 *   [method@AsyncRunner.Runner.dup_pending_calls] and debug messages;
 *   %NULL names it after @func's symbol (or address)
 * @timeout_ms: the call's time limit in milliseconds; 0 means the
 *   runner's [property@AsyncRunner.Runner:timeout]
 * @func: (scope call) (closure user_data): the function that starts the
 *   operation on the runner thread
 * @user_data: data for @func; the call does not return before @func has
 *   returned
 * @cancellable: (nullable): a cancellable for the call
 * @value: (out caller-allocates) (optional): where to store the value the
 *   task was completed with
 * @error: return location for a #GError
 *
 * Like [method@AsyncRunner.Runner.run_sync], with a name and a time limit
 * of its own. A call that runs out of time fails with
 * %G_IO_ERROR_TIMED_OUT, as with the runner's timeout.
 *
 * With `G_MESSAGES_DEBUG=AsyncRunner` in the environment, the start and the
 * end of every call are logged at the debug level with the call's name
 * and duration; under Sysprof each call leaves a mark with its name (see
 * [Debugging a stuck call](debugging-a-stuck-call.html)).
 *
 * This function is thread-safe.
 *
 * Returns: %TRUE if the task completed without an error (and @value, if
 *   given, holds its value); %FALSE with @error set otherwise
 *
 * Since: 1.0
 */
gboolean
async_runner_run_sync_full (AsyncRunner      *self,
                            const char       *name,
                            guint             timeout_ms,
                            AsyncRunnerFunc   func,
                            gpointer          user_data,
                            GCancellable     *cancellable,
                            GValue           *value,
                            GError          **error)
{
  g_return_val_if_fail (ASYNC_IS_RUNNER (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (value == NULL || G_VALUE_TYPE (value) == G_TYPE_INVALID, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_async_runner_binding_check_function ((gpointer) func, error) ||
      !async_runner_check_not_forked (self, error) ||
      !_async_runner_call_run_sync (self, self->loop, name,
                                    async_runner_get_call_timeout (self, timeout_ms),
                                    func, user_data, cancellable, value, error))
    {
      /* Some bindings (GJS) convert out values even when the call failed,
       * and cannot convert an empty GValue. */
      if (value != NULL)
        g_value_init (value, G_TYPE_BOOLEAN);
      return FALSE;
    }

  return TRUE;
}

/**
 * async_runner_call_sync:
 * @self: a runner
 * @start: (scope call) (closure user_data): the function that starts the
 *   asynchronous operation on the runner thread
 * @user_data: data for @start; the call does not return before @start has
 *   returned
 * @cancellable: (nullable): a cancellable for the call
 * @error: return location for a #GError
 *
 * Runs @start on the runner thread, with the runner's context as the
 * thread-default context, and waits for the asynchronous operation it
 * starts to call back. Returns the [iface@Gio.AsyncResult] it delivered,
 * to pass to the operation's `_finish()` function, which may run on the
 * calling thread; the operation's own errors come out of that function.
 *
 * If @start returns %FALSE the call fails with %G_IO_ERROR_FAILED, even
 * if the operation called back before @start returned.
 * Cancellation, the [property@AsyncRunner.Runner:timeout] and shutdown end
 * the call as with [method@AsyncRunner.Runner.run_sync], cancelling the
 * cancellable that @start passed to the operation. GJS does not pass a
 * JavaScript function as @start (it throws its own error: a callback that
 * takes a callback is not supported); one that reached this function would
 * be refused with %G_IO_ERROR_NOT_SUPPORTED, as with run_sync().
 *
 * A binding may lose @callback_data on its way back (PyGObject 3.50 and
 * later do, with GLib 2.80's GIR): the callback still ends its own call,
 * which it finds by the [class@Gio.Task]'s cancellable. A callback that
 * comes twice, or that belongs to no call, is ignored with a critical.
 *
 * This function is thread-safe.
 *
 * Returns: (transfer full): the result of the operation, or %NULL with
 *   @error set
 *
 * Since: 1.0
 */
GAsyncResult *
async_runner_call_sync (AsyncRunner           *self,
                        AsyncRunnerStartFunc   start,
                        gpointer               user_data,
                        GCancellable          *cancellable,
                        GError               **error)
{
  return async_runner_call_sync_full (self, NULL, 0, start, user_data, cancellable, error);
}

/**
 * async_runner_call_sync_full:
 * @self: a runner
 * @name: (nullable): the call's name, for the stuck-call report,
 *   [method@AsyncRunner.Runner.dup_pending_calls] and debug messages;
 *   %NULL names it after @start's symbol (or address)
 * @timeout_ms: the call's time limit in milliseconds; 0 means the
 *   runner's [property@AsyncRunner.Runner:timeout]
 * @start: (scope call) (closure user_data): the function that starts the
 *   asynchronous operation on the runner thread
 * @user_data: data for @start; the call does not return before @start has
 *   returned
 * @cancellable: (nullable): a cancellable for the call
 * @error: return location for a #GError
 *
 * Like [method@AsyncRunner.Runner.call_sync], with a name and a time limit
 * of its own. A call that runs out of time fails with
 * %G_IO_ERROR_TIMED_OUT, as with the runner's timeout.
 *
 * With `G_MESSAGES_DEBUG=AsyncRunner` in the environment, the start and the
 * end of every call are logged at the debug level with the call's name
 * and duration; under Sysprof each call leaves a mark with its name (see
 * [Debugging a stuck call](debugging-a-stuck-call.html)).
 *
 * This function is thread-safe.
 *
 * Returns: (transfer full): the result of the operation, or %NULL with
 *   @error set
 *
 * Since: 1.0
 */
GAsyncResult *
async_runner_call_sync_full (AsyncRunner           *self,
                             const char            *name,
                             guint                  timeout_ms,
                             AsyncRunnerStartFunc   start,
                             gpointer               user_data,
                             GCancellable          *cancellable,
                             GError               **error)
{
  g_return_val_if_fail (ASYNC_IS_RUNNER (self), NULL);
  g_return_val_if_fail (start != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_async_runner_binding_check_function ((gpointer) start, error) ||
      !async_runner_check_not_forked (self, error))
    return NULL;

  return _async_runner_call_call_sync (self, self->loop, name,
                                       async_runner_get_call_timeout (self, timeout_ms),
                                       start, user_data, cancellable, error);
}

/**
 * async_runner_shutdown:
 * @self: a runner
 *
 * Stops the runner: every call in flight returns at once (with
 * %G_IO_ERROR_CLOSED, or with its result if it already had one), later
 * calls fail with %G_IO_ERROR_CLOSED, operations in flight are cancelled
 * and the thread is joined after giving them a grace period of at most
 * 100 milliseconds to complete. If some outlive the grace, this function
 * returns all the same, and the thread, detached, waits for them only to
 * dispatch their completion, then exits and frees the runner's context:
 * an operation that completes late leaks nothing, one that never
 * completes keeps the thread.
 *
 * Called on the runner thread itself, it does not wait: once the current
 * function or callback returns, the thread ends the pending calls, gives
 * the operations the same grace period and exits.
 *
 * Calling it again, even concurrently, returns once the runner has
 * stopped. Dropping the last reference to the runner shuts it down.
 *
 * The default runner ([func@AsyncRunner.Runner.get_default]) is shared by
 * the whole process and cannot be shut down: calling this function on it
 * is a programmer error, reported with a critical, and has no effect.
 * Likewise, dropping a reference to the default runner that one does not
 * own is reported with a critical and the runner keeps running.
 *
 * This function is thread-safe.
 *
 * Since: 1.0
 */
void
async_runner_shutdown (AsyncRunner *self)
{
  g_return_if_fail (ASYNC_IS_RUNNER (self));

  if G_UNLIKELY (async_runner_is_default (self))
    {
      g_critical ("async_runner_shutdown() called on the default AsyncRunner, "
                  "which the whole process shares; ignored (make a runner of "
                  "your own with async_runner_new() to shut it down)");
      return;
    }

  if (!async_runner_is_forked (self))
    _async_runner_loop_shutdown (self->loop);
}
