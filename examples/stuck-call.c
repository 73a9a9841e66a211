/* stuck-call.c: a named call with a time limit of its own, and the g_idle_add trap
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The main thread runs a GMainLoop, as a GTK application does. From a
 * callback on that loop it makes a synchronous call whose function
 * completes its task from an idle callback. Added with g_idle_add(), that
 * idle would go to the global default context, which the main thread
 * owns and cannot dispatch while it is blocked in the call: the call
 * would never return. Added to the thread-default context, which is the
 * runner's inside runner code, it runs at once.
 *
 * Usage: stuck-call          the right way: prints "done"
 *        stuck-call --trap   the trap: the runner reports the stuck call
 *                            after its stuck-threshold, and the call fails
 *                            with its own 3-second limit. Try it with
 *                            ASYNC_RUNNER_DEBUG=stuck=1000 and
 *                            G_MESSAGES_DEBUG=AsyncRunner.
 */

#include <stdlib.h>
#include <string.h>

#include <async-runner.h>

typedef struct
{
  GMainLoop *loop;
  gboolean   trap;
  int        status;
} Example;

static gboolean
return_task (gpointer user_data)
{
  g_task_return_boolean (user_data, TRUE);
  return G_SOURCE_REMOVE;
}

/* The trap: g_idle_add() attaches to the global default context, not to
 * the runner's. */
static gboolean
finish_later_trapped (AsyncRunner *runner,
                      GTask       *task,
                      gpointer     user_data)
{
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, return_task,
                   g_object_ref (task), g_object_unref);
  return TRUE;
}

/* The fix: inside runner code, the thread-default context is the
 * runner's. */
static gboolean
finish_later (AsyncRunner *runner,
              GTask       *task,
              gpointer     user_data)
{
  g_main_context_invoke_full (g_main_context_get_thread_default (),
                              G_PRIORITY_DEFAULT_IDLE, return_task,
                              g_object_ref (task), g_object_unref);
  return TRUE;
}

static gboolean
call_from_loop (gpointer user_data)
{
  Example *example = user_data;
  g_autoptr(GError) error = NULL;
  AsyncRunnerFunc func = example->trap ? finish_later_trapped : finish_later;

  /* Named, for the stuck-call report, the pending calls and debug
   * messages; and limited to 3 seconds, whatever the runner's timeout. */
  if (async_runner_run_sync_full (async_runner_get_default (), "finish later", 3000,
                                  func, NULL, NULL, NULL, &error))
    {
      g_print ("done\n");
      example->status = EXIT_SUCCESS;
    }
  else
    g_printerr ("finish later: %s\n", error->message);

  g_main_loop_quit (example->loop);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  Example example = {
    .loop = g_main_loop_new (NULL, FALSE),
    .trap = argc > 1 && strcmp (argv[1], "--trap") == 0,
    .status = EXIT_FAILURE,
  };

  g_idle_add (call_from_loop, &example);
  g_main_loop_run (example.loop);
  g_main_loop_unref (example.loop);

  return example.status;
}
