/* async-runner-debug.c: names of calls, the stuck-call report, the pending calls
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NOTES
 * Nothing here runs on the path of a call that ends quickly. A call is
 * named only when a name is needed (a debug message, a report, a listing),
 * from the caller's name or its function's symbol. A caller that stops
 * spinning and sleeps lists itself in its runner's list (it takes its own
 * mutex and a futex then anyway), and its timed sleep wakes it at the stuck
 * threshold: the report is made by the blocked caller itself, on its own
 * thread, so that nothing else watches the calls.
 */

#include "config.h"

#include <pthread.h>
#include <string.h>
#if HAVE_DLADDR
# include <dlfcn.h>
#endif
#if HAVE_SYSPROF
# include <unistd.h>
# include <sysprof-capture.h>
#endif

#include "async-runner.h"

#include "async-runner-call-private.h"
#include "async-runner-debug-private.h"

gboolean _async_runner_debug_log_calls;

/* Debug messages, Sysprof marks: each written once, before the first
 * runner exists. */
static gboolean log_messages;
#if HAVE_SYSPROF
static gboolean sysprof_marks;          /* running under Sysprof */
static SysprofCaptureWriter *capture;   /* ASYNC_RUNNER_DEBUG=capture=FILE */
static GMutex capture_lock;             /* protects @capture's writes */
#endif

/* ASYNC_RUNNER_DEBUG=stuck=MS, read once. */
static guint default_stuck_ms = ASYNC_RUNNER_DEBUG_STUCK_MS_DEFAULT;

/* Once, before the first runner exists. */
void
_async_runner_debug_init (void)
{
  const char *env = g_getenv ("ASYNC_RUNNER_DEBUG");

  log_messages = !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN);
#if HAVE_SYSPROF
  /* Sysprof passes its collector's socket to the programs it starts. */
  sysprof_marks = g_getenv ("SYSPROF_CONTROL_FD") != NULL;
#endif

  if (env != NULL)
    {
      g_auto(GStrv) options = g_strsplit (env, ",", -1);

      for (guint i = 0; options[i] != NULL; i++)
        {
          const char *option = g_strstrip (options[i]);
          guint64 ms;

          if (g_str_has_prefix (option, "stuck="))
            {
              /* Not an unknown option, but a bad value: say what is accepted. */
              if (g_ascii_string_to_unsigned (option + strlen ("stuck="), 10, 0, G_MAXUINT,
                                              &ms, NULL))
                default_stuck_ms = (guint) ms;
              else
                g_warning ("ASYNC_RUNNER_DEBUG: '%s' is not a whole number of milliseconds "
                           "from 0 (no report) to %u; the stuck threshold stays %u ms",
                           option, G_MAXUINT, default_stuck_ms);
            }
#if HAVE_SYSPROF
          else if (g_str_has_prefix (option, "capture=") && capture == NULL)
            {
              capture = sysprof_capture_writer_new (option + strlen ("capture="), 0);
              if (capture == NULL)
                g_warning ("ASYNC_RUNNER_DEBUG: cannot write a capture to '%s'",
                           option + strlen ("capture="));
            }
#endif
          else if (*option != '\0')
            g_warning ("ASYNC_RUNNER_DEBUG: unknown option '%s' (known: stuck=MILLISECONDS%s)",
                       option,
#if HAVE_SYSPROF
                       ", capture=FILE"
#else
                       ""
#endif
                       );
        }
    }

  _async_runner_debug_log_calls = log_messages;
#if HAVE_SYSPROF
  _async_runner_debug_log_calls |= sysprof_marks || capture != NULL;
#endif
}

void
_async_runner_debug_construct (AsyncRunnerDebug *debug)
{
  g_mutex_init (&debug->lock);
  g_queue_init (&debug->sleeping);
  debug->stuck_ms = default_stuck_ms;
}

void
_async_runner_debug_destruct (AsyncRunnerDebug *debug)
{
  g_assert (debug->sleeping.length == 0);
  g_mutex_clear (&debug->lock);
}

/* ---- Names ---- */

/* Any thread: @func's symbol if the dynamic linker knows it exactly, else
 * where it lies ("object+0xoffset", for addr2line), else its address. */
char *
_async_runner_debug_describe_func (gpointer func)
{
#if HAVE_DLADDR
  Dl_info info;

  if (dladdr (func, &info) != 0 && info.dli_fname != NULL)
    {
      const char *base = strrchr (info.dli_fname, '/');

      if (info.dli_sname != NULL && info.dli_saddr == func)
        return g_strdup (info.dli_sname);

      base = base != NULL ? base + 1 : info.dli_fname;
      return g_strdup_printf ("%s+0x%" G_GINTPTR_MODIFIER "x", base,
                              (guintptr) func - (guintptr) info.dli_fbase);
    }
#endif

  return g_strdup_printf ("%p", func);
}

/* Any thread, while the caller of @record waits for it. */
char *
_async_runner_debug_call_dup_name (const AsyncRunnerDebugCall *record)
{
  if (record->name != NULL)
    return g_strdup (record->name);

  return _async_runner_debug_describe_func (record->func);
}

/* Any thread: "name" (thread's name and pthread id). */
static char *
describe_thread (pthread_t thread)
{
  char name[64] = "";

  if (pthread_getname_np (thread, name, sizeof name) != 0 || name[0] == '\0')
    return g_strdup_printf ("thread %#lx", (unsigned long) thread);

  return g_strdup_printf ("thread \"%s\" (%#lx)", name, (unsigned long) thread);
}

/* ---- Debug messages: G_MESSAGES_DEBUG=AsyncRunner ---- */

/* The caller's thread, with debug messages or marks on: the call begins.
 * Returns the time, in nanoseconds on the monotonic clock. */
gint64
_async_runner_debug_log_start (const AsyncRunnerDebugCall *record)
{
  if (log_messages)
    {
      g_autofree char *name = _async_runner_debug_call_dup_name (record);
      g_autofree char *thread = describe_thread (pthread_self ());

      g_debug ("call %s: started from %s", name, thread);
    }

  return g_get_monotonic_time () * 1000;
}

#if HAVE_SYSPROF
/* One mark per call, as libdex does: in Sysprof's capture when it runs
 * the program, else in the capture file of ASYNC_RUNNER_DEBUG. */
static void
mark_call (gint64        start_ns,
           gint64        duration_ns,
           const char   *name,
           const GError *error)
{
  const char *message = error != NULL ? error->message : "";

  if (capture != NULL)
    {
      g_mutex_lock (&capture_lock);
      sysprof_capture_writer_add_mark (capture, start_ns, -1, getpid (), duration_ns,
                                       "AsyncRunner", name, message);
      sysprof_capture_writer_flush (capture);
      g_mutex_unlock (&capture_lock);
    }
  if (sysprof_marks)
    sysprof_collector_mark (start_ns, duration_ns, "AsyncRunner", name, message);
}
#endif

/* The caller's thread, with debug messages on: the call ended. */
void
_async_runner_debug_log_end (const AsyncRunnerDebugCall *record,
                             gint64                      start,
                             const GError               *error)
{
  g_autofree char *name = _async_runner_debug_call_dup_name (record);
  gint64 duration_ns = g_get_monotonic_time () * 1000 - start;
  double ms = duration_ns / 1e6;

#if HAVE_SYSPROF
  mark_call (start, duration_ns, name, error);
#endif

  if (!log_messages)
    return;
  if (error == NULL)
    g_debug ("call %s: ended after %.3f ms", name, ms);
  else
    g_debug ("call %s: ended after %.3f ms with an error: %s", name, ms, error->message);
}

/* ---- Sleeping callers ---- */

/* The caller's thread, about to sleep on the call of @record since
 * @since: lists it in @debug, the runner's. */
void
_async_runner_debug_sleep (AsyncRunnerDebug     *debug,
                           AsyncRunnerDebugCall *record,
                           gint64                since)
{
  record->caller_thread = (guintptr) pthread_self ();
  record->sleep_since = since;
  record->link.data = record;

  g_mutex_lock (&debug->lock);
  g_queue_push_tail_link (&debug->sleeping, &record->link);
  g_mutex_unlock (&debug->lock);
  record->listed = TRUE;
}

/* The caller's thread: done sleeping on the call of @record. */
void
_async_runner_debug_wake (AsyncRunnerDebug     *debug,
                          AsyncRunnerDebugCall *record)
{
  if (!record->listed)
    return;

  g_mutex_lock (&debug->lock);
  g_queue_unlink (&debug->sleeping, &record->link);
  g_mutex_unlock (&debug->lock);
  record->listed = FALSE;
}

static const char *
describe_state (const AsyncRunnerDebugCall *record)
{
  if (g_atomic_int_get (record->state) != ASYNC_RUNNER_CALL_PENDING)
    return "ending";

  switch (g_atomic_int_get (record->run_state))
    {
    case ASYNC_RUNNER_RUN_NOT_STARTED:
      return "queued: its function has not run yet";
    case ASYNC_RUNNER_RUN_RUNNING:
      return "its function is running on the runner thread";
    default:
      return "started: waiting for the operation to call back";
    }
}

/* Any thread: one line per sleeping caller. */
char **
_async_runner_debug_dup_pending (AsyncRunnerDebug *debug)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  gint64 now = g_get_monotonic_time ();
  char **lines;

  g_mutex_lock (&debug->lock);
  for (GList *l = debug->sleeping.head; l != NULL; l = l->next)
    {
      AsyncRunnerDebugCall *record = l->data;
      g_autofree char *name = _async_runner_debug_call_dup_name (record);
      g_autofree char *thread = describe_thread ((pthread_t) record->caller_thread);
      g_autofree char *line = NULL;

      line = g_strdup_printf ("%s: called from %s %.3f s ago; %s",
                              name, thread,
                              (now - record->sleep_since) / (double) G_TIME_SPAN_SECOND,
                              describe_state (record));
      g_strv_builder_add (builder, line);
    }
  g_mutex_unlock (&debug->lock);

  lines = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);

  return lines;
}

/* ---- The stuck-call report ---- */

/* The caller's thread: the function of a sleeping call that is running
 * on the runner thread, if any: the runner runs one function at a time. */
static char *
dup_running_name (AsyncRunnerDebug *debug)
{
  char *name = NULL;

  g_mutex_lock (&debug->lock);
  for (GList *l = debug->sleeping.head; l != NULL && name == NULL; l = l->next)
    {
      AsyncRunnerDebugCall *record = l->data;

      if (g_atomic_int_get (record->run_state) == ASYNC_RUNNER_RUN_RUNNING)
        name = _async_runner_debug_call_dup_name (record);
    }
  g_mutex_unlock (&debug->lock);

  return name;
}

/* The caller's thread: what the report can say of main contexts. It
 * says it from what this thread knows of itself (which contexts it owns),
 * never by acquiring a context or asking whether one has a source ready:
 * g_main_context_pending() would run other sources' prepare() functions
 * (a GTK or X11 source's, say) on this thread, which never runs them. */
static void
append_idle_runner_causes (GString *report)
{
  GMainContext *global = g_main_context_default ();
  GMainContext *own = g_main_context_get_thread_default ();

  g_string_append (report,
                   "The runner thread is idle and the operation has not called back. "
                   "Likely causes: the function started nothing (it returned TRUE "
                   "without starting an operation, or kept the task without ever "
                   "completing it), or the operation sent its callback to another "
                   "main context.");

  if (g_main_context_is_owner (global))
    g_string_append (report,
                     " This thread owns the global default main context and is "
                     "blocked in this call, so nothing attached there can run "
                     "before the call returns: if runner code called "
                     "g_idle_add() or g_timeout_add() (Vala: Idle.add()), which "
                     "attach to the global default context, not the runner's, or "
                     "the operation belongs to an object made on that context, "
                     "the call cannot end. Use g_main_context_invoke "
                     "(g_main_context_get_thread_default (), ...) in runner code "
                     "instead, and make such objects on the runner thread.");
  else if (own != NULL && own != global && g_main_context_is_owner (own))
    g_string_append (report,
                     " This thread owns its thread-default main context and is "
                     "blocked in this call: an operation that calls back on the "
                     "caller's context cannot complete. Start it from the runner "
                     "thread's own context instead.");
  else
    g_string_append (report,
                     " Note that g_idle_add() and g_timeout_add() (Vala: "
                     "Idle.add()) attach to the global default context, not the "
                     "runner's, where they run "
                     "only if some thread iterates it: in runner code use "
                     "g_main_context_invoke (g_main_context_get_thread_default "
                     "(), ...).");
}

/* The caller's thread, woken in its sleep at the stuck threshold: says
 * why the call of @record has not returned. @runner_woke_at is when the runner thread
 * last stopped waiting, @runner_idle whether it waits now (see
 * _async_runner_loop_get_woke_at() and _async_runner_loop_is_sleeping()). */
void
_async_runner_debug_report_stuck (AsyncRunnerDebug           *debug,
                                  const AsyncRunnerDebugCall *record,
                                  gint64                      now,
                                  gint64                      runner_woke_at,
                                  gboolean                    runner_idle)
{
  g_autofree char *name = _async_runner_debug_call_dup_name (record);
  g_autofree char *thread = describe_thread (pthread_self ());
  GString *report = g_string_new (NULL);
  g_autofree char *text = NULL;
  double waited = (now - record->sleep_since) / (double) G_TIME_SPAN_SECOND;
  gint run_state = g_atomic_int_get (record->run_state);

  g_string_append_printf (report, "Call %s, from %s, has waited %.1f s. ",
                          name, thread, waited);

  if (run_state == ASYNC_RUNNER_RUN_RUNNING)
    {
      g_string_append_printf (report,
                              "Its function is still running on the runner "
                              "thread, in the same main-loop iteration for %.1f s: "
                              "a function that blocks holds up the runner and "
                              "every call queued behind it. A function should "
                              "start the work and return (blocking work belongs "
                              "in g_task_run_in_thread()).",
                              (now - runner_woke_at) /
                                (double) G_TIME_SPAN_SECOND);
    }
  else if (runner_idle)
    {
      if (run_state == ASYNC_RUNNER_RUN_NOT_STARTED)
        g_string_append (report, "Its function has not run yet, though the runner "
                                 "thread is idle. ");
      else
        append_idle_runner_causes (report);
    }
  else
    {
      g_autofree char *running = dup_running_name (debug);

      g_string_append_printf (report,
                              "%s The runner thread is busy, in the same main-loop "
                              "iteration for %.1f s, running %s%s: a function or "
                              "callback that blocks holds up the runner.",
                              run_state == ASYNC_RUNNER_RUN_NOT_STARTED
                                ? "Its function has not run yet."
                                : "The operation has not called back.",
                              (now - runner_woke_at) /
                                (double) G_TIME_SPAN_SECOND,
                              running != NULL ? "the function of call " : "a callback or source",
                              running != NULL ? running : "");
    }

  text = g_string_free (report, FALSE);
  g_warning ("%s", text);
}
