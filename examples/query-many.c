/* query-many.c: many asynchronous operations at once, from synchronous code
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Queries the size of every file named on the command line with
 * g_file_query_info_async(), all at once on the default runner, and waits
 * for all of them with one call: the batch takes about as long as the
 * slowest query, not as long as all of them in a row.
 *
 * Usage: query-many FILE...
 */

#include <stdlib.h>

#include <async-runner.h>

static gboolean
start_query_size (AsyncRunner         *runner,
                  gpointer             user_data,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             callback_data)
{
  g_file_query_info_async (user_data, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, cancellable, callback, callback_data);
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  int status = EXIT_SUCCESS;

  for (int i = 1; i < argc; i++)
    g_ptr_array_add (files, g_file_new_for_commandline_arg (argv[i]));

  /* One result per file, in order, once every query has called back. */
  results = async_runner_call_all_sync (async_runner_get_default (), start_query_size,
                                        files->pdata, files->len, NULL, &error);
  if (results == NULL)
    {
      g_printerr ("query-many: %s\n", error->message);
      return EXIT_FAILURE;
    }

  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr(GFileInfo) info = NULL;
      g_autoptr(GError) query_error = NULL;

      info = g_file_query_info_finish (files->pdata[i], results->pdata[i], &query_error);
      if (info == NULL)
        {
          g_printerr ("%s: %s\n", argv[i + 1], query_error->message);
          status = EXIT_FAILURE;
          continue;
        }
      g_print ("%10" G_GOFFSET_FORMAT " %s\n", g_file_info_get_size (info), argv[i + 1]);
    }

  return status;
}
