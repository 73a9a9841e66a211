/* load-things.c: synchronous GIO calls from a main loop callback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The main thread runs a GMainLoop, as a GTK application does. From a
 * callback on that loop, this program loads a file, resolves "localhost"
 * and reads the output of a subprocess: each with a GIO asynchronous API,
 * called synchronously through the default AsyncRunner. Each call blocks
 * the callback until its result is there; meanwhile the main loop is not
 * iterated, so no other handler of the application runs behind its back.
 *
 * Usage: load-things [FILE]   (FILE defaults to /etc/os-release)
 */

#include <stdlib.h>
#include <string.h>

#include <async-runner.h>

/* Start functions run on the runner thread. Each starts one asynchronous
 * operation, passing it the cancellable, callback and callback data that
 * the runner gives. */

static gboolean
start_load_contents (AsyncRunner         *runner,
                     gpointer             user_data,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             callback_data)
{
  g_file_load_contents_async (user_data, cancellable, callback, callback_data);
  return TRUE;
}

static gboolean
start_lookup_localhost (AsyncRunner         *runner,
                        gpointer             user_data,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             callback_data)
{
  g_resolver_lookup_by_name_async (user_data, "localhost", cancellable, callback, callback_data);
  return TRUE;
}

static gboolean
start_communicate (AsyncRunner         *runner,
                   gpointer             user_data,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             callback_data)
{
  g_subprocess_communicate_utf8_async (user_data, NULL, cancellable, callback, callback_data);
  return TRUE;
}

/* call_sync() returns the operation's GAsyncResult; the matching _finish()
 * function runs here, on the calling thread. */

static gboolean
load_file (const char  *path,
           GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  result = async_runner_call_sync (async_runner_get_default (),
                                   start_load_contents, file, NULL, error);
  if (result == NULL ||
      !g_file_load_contents_finish (file, result, &contents, &length, NULL, error))
    return FALSE;

  g_print ("%s: %" G_GSIZE_FORMAT " bytes, starting with \"%.*s\"\n",
           path, length, (int) strcspn (contents, "\n"), contents);
  return TRUE;
}

static gboolean
resolve_localhost (GError **error)
{
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autoptr(GAsyncResult) result = NULL;
  GList *addresses;

  result = async_runner_call_sync (async_runner_get_default (),
                                   start_lookup_localhost, resolver, NULL, error);
  if (result == NULL)
    return FALSE;

  addresses = g_resolver_lookup_by_name_finish (resolver, result, error);
  if (addresses == NULL)
    return FALSE;

  g_print ("localhost:");
  for (GList *l = addresses; l != NULL; l = l->next)
    {
      g_autofree char *text = g_inet_address_to_string (l->data);
      g_print (" %s", text);
    }
  g_print ("\n");

  g_resolver_free_addresses (addresses);
  return TRUE;
}

static gboolean
read_subprocess (GError **error)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *output = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, error, "echo", "hello", NULL);
  if (process == NULL)
    return FALSE;

  result = async_runner_call_sync (async_runner_get_default (),
                                   start_communicate, process, NULL, error);
  if (result == NULL ||
      !g_subprocess_communicate_utf8_finish (process, result, &output, NULL, error))
    return FALSE;

  g_print ("echo hello: %s", output);
  return TRUE;
}

typedef struct {
  GMainLoop  *loop;
  const char *path;
  int         status;
} Example;

/* A main loop callback, as a button's "clicked" handler would be. */
static gboolean
load_things (gpointer user_data)
{
  Example *example = user_data;
  g_autoptr(GError) error = NULL;

  if (load_file (example->path, &error) &&
      resolve_localhost (&error) &&
      read_subprocess (&error))
    example->status = EXIT_SUCCESS;
  else
    g_printerr ("load-things: %s\n", error->message);

  g_main_loop_quit (example->loop);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  Example example = {
    .loop = g_main_loop_new (NULL, FALSE),
    .path = argc > 1 ? argv[1] : "/etc/os-release",
    .status = EXIT_FAILURE,
  };

  g_idle_add (load_things, &example);
  g_main_loop_run (example.loop);
  g_main_loop_unref (example.loop);

  return example.status;
}
