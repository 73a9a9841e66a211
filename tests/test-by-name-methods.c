/* test-by-name-methods.c: introspected async methods called by name, and what comes back
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * async_runner_call_method_sync() and async_runner_call_function_sync()
 * with real Gio operations: the typelibs of Gio and GLib are the system's.
 */

#include <string.h>

#include <async-runner.h>
#include <glib/gstdio.h>

#include "test-util.h"

/* A file's contents come back as [TRUE, GBytes, etag]; "_async" is optional. */
static void
test_load_contents (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "test-by-name-methods.c", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *expected = NULL;
  gsize expected_length = 0;
  const char *names[] = { "load_contents_async", "load_contents" };
  gsize i;

  /* A file's contents come back as [TRUE, GBytes, etag], equal to what the
   * blocking call reads; a name without `_async` finds the async method. */
  g_assert_true (g_file_get_contents (path, &expected, &expected_length, NULL));

  for (i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      GValue *values = NULL;
      guint n_values = 0;
      GBytes *bytes;

      g_assert_true (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (file),
                                                    names[i], NULL, 0, NULL,
                                                    &values, &n_values, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (n_values, ==, 3);
      g_assert_true (G_VALUE_HOLDS_BOOLEAN (&values[0]));
      g_assert_true (g_value_get_boolean (&values[0]));
      g_assert_true (G_VALUE_HOLDS (&values[1], G_TYPE_BYTES));
      bytes = g_value_get_boxed (&values[1]);
      g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                       expected, expected_length);
      g_assert_true (G_VALUE_HOLDS_STRING (&values[2]));
      g_assert_nonnull (g_value_get_string (&values[2]));
      values_free (values, n_values);
    }
}

/* Out values are optional: without them the results are freed. */
static void
test_no_out_values (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "test-by-name-methods.c", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  guint n_values = 99;

  g_assert_true (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (file),
                                                "load_contents", NULL, 0, NULL,
                                                NULL, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 3);

  g_assert_true (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (file),
                                                "load_contents", NULL, 0, NULL,
                                                NULL, NULL, &error));
  g_assert_no_error (error);
}

/* A directory is listed; numbers, enums and flags convert from any numeric type. */
static void
test_enumerate (void)
{
  g_autofree char *dir_path = make_temp_dir ();
  g_autoptr(GFile) dir = g_file_new_for_path (dir_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GValue args[3] = { G_VALUE_INIT, G_VALUE_INIT, G_VALUE_INIT };
  GValue *values = NULL;
  guint n_values = 0;
  GListModel *infos;
  guint i;

  /* A directory is listed: enumerate_children gives an enumerator, whose
   * next_files gives a list of GFileInfo as a GListStore; numbers convert
   * from any numeric type and enums or flags from integers. */
  for (i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("file-%u", i);
      g_autofree char *path = g_build_filename (dir_path, name, NULL);

      g_assert_true (g_file_set_contents (path, name, -1, NULL));
    }

  value_init_string (&args[0], G_FILE_ATTRIBUTE_STANDARD_NAME);
  g_value_init (&args[1], G_TYPE_UINT);                   /* flags from an integer */
  g_value_set_uint (&args[1], G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS);
  g_value_init (&args[2], G_TYPE_DOUBLE);                 /* gint32 from a double */
  g_value_set_double (&args[2], G_PRIORITY_DEFAULT);

  g_assert_true (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (dir),
                                                "enumerate_children_async", args, 3, NULL,
                                                &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 1);
  g_assert_true (G_VALUE_HOLDS (&values[0], G_TYPE_FILE_ENUMERATOR));
  enumerator = g_value_dup_object (&values[0]);
  values_free (values, n_values);
  values_unset (args, 3);

  value_init_int (&args[0], 10);
  g_value_init (&args[1], G_TYPE_INT64);
  g_value_set_int64 (&args[1], G_PRIORITY_DEFAULT);
  g_assert_true (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (enumerator),
                                                "next_files", args, 2, NULL,
                                                &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 1);
  g_assert_true (G_VALUE_HOLDS (&values[0], G_TYPE_LIST_STORE));
  infos = g_value_get_object (&values[0]);
  g_assert_true (g_list_model_get_item_type (infos) == G_TYPE_FILE_INFO);
  g_assert_cmpuint (g_list_model_get_n_items (infos), ==, 3);
  for (i = 0; i < 3; i++)
    {
      g_autoptr(GFileInfo) info = g_list_model_get_item (infos, i);

      g_hash_table_add (seen, g_strdup (g_file_info_get_name (info)));
    }
  g_assert_true (g_hash_table_contains (seen, "file-0"));
  g_assert_true (g_hash_table_contains (seen, "file-1"));
  g_assert_true (g_hash_table_contains (seen, "file-2"));
  values_free (values, n_values);

  /* The end: an empty list; then close, which returns TRUE. */
  g_assert_true (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (enumerator),
                                                "next_files", args, 2, NULL,
                                                &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (g_value_get_object (&values[0])), ==, 0);
  values_free (values, n_values);
  values_unset (args, 2);

  value_init_int (&args[0], G_PRIORITY_DEFAULT);
  g_assert_true (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (enumerator),
                                                "close", args, 1, NULL,
                                                &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 1);
  g_assert_true (g_value_get_boolean (&values[0]));
  values_free (values, n_values);
  values_unset (args, 1);

  remove_tree (dir_path);
}

/* communicate_utf8 gives [TRUE, stdout, stderr], a NULL stderr as "". */
static void
test_communicate (void)
{
  g_autoptr(GError) error = NULL;

  /* A subprocess's output is read with communicate_utf8: [TRUE, stdout,
   * stderr], the NULL stderr as an empty string value. */
  g_autoptr(GSubprocess) subprocess =
    g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                      &error, "cat", NULL);
  GValue arg = G_VALUE_INIT;
  GValue *values = NULL;
  guint n_values = 0;

  g_assert_no_error (error);
  value_init_string (&arg, "hello, runner\n");

  g_assert_true (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (subprocess),
                                                "communicate_utf8_async", &arg, 1, NULL,
                                                &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 3);
  g_assert_true (g_value_get_boolean (&values[0]));
  g_assert_cmpstr (g_value_get_string (&values[1]), ==, "hello, runner\n");
  g_assert_true (G_VALUE_HOLDS_STRING (&values[2]));
  g_assert_null (g_value_get_string (&values[2]));
  values_free (values, n_values);
  g_value_unset (&arg);
}

/* localhost resolves to a list of loopback GInetAddress, as a GListStore. */
static void
test_resolver (void)
{
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autoptr(GError) error = NULL;
  GValue arg = G_VALUE_INIT;
  GValue *values = NULL;
  guint n_values = 0;
  GListModel *addresses;
  guint i;

  value_init_string (&arg, "localhost");
  g_assert_true (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (resolver),
                                                "lookup_by_name_async", &arg, 1, NULL,
                                                &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 1);
  addresses = g_value_get_object (&values[0]);
  g_assert_true (g_list_model_get_item_type (addresses) == G_TYPE_INET_ADDRESS);
  g_assert_cmpuint (g_list_model_get_n_items (addresses), >=, 1);
  for (i = 0; i < g_list_model_get_n_items (addresses); i++)
    {
      g_autoptr(GInetAddress) address = g_list_model_get_item (addresses, i);

      g_assert_true (g_inet_address_get_is_loopback (address));
    }
  values_free (values, n_values);
  g_value_unset (&arg);
}

static gboolean
load_on_runner_thread (AsyncRunner *runner,
                       GTask       *task,
                       gpointer     user_data)
{
  GError *error = NULL;
  guint n_values = 0;

  g_assert_true (async_runner_is_runner_thread (runner));
  if (async_runner_call_method_sync (runner, user_data, "load_contents", NULL, 0, NULL,
                                     NULL, &n_values, &error))
    task_return_int (task, (gint) n_values);
  else
    g_task_return_error (task, error);
  return TRUE;
}

/* Called on the runner thread, a call iterates its context, no deadlock. */
static void
test_on_runner_thread (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "test-by-name-methods.c", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  /* Called on the runner thread, the call iterates the runner's context
   * instead of deadlocking. */
  g_assert_true (async_runner_run_sync (async_runner_get_default (), load_on_runner_thread,
                                        file, NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 3);
  g_value_unset (&value);
}

/* The _values forms return the values alone: non-NULL when none, NULL on failure. */
static void
test_values_forms (void)
{
  g_autofree char *dir_path = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir_path, "made", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  GValue arg = G_VALUE_INIT;
  GValue *values;
  guint n_values = 9;

  /* The binding-facing forms return the values alone, non-NULL even when
   * there are none, and NULL on failure. */
  value_init_int (&arg, G_PRIORITY_DEFAULT);
  values = async_runner_call_method_sync_values (async_runner_get_default (), G_OBJECT (file),
                                                 "make_directory", &arg, 1, NULL,
                                                 &n_values, &error);
  g_assert_no_error (error);
  g_assert_nonnull (values);
  g_assert_cmpuint (n_values, ==, 1);
  g_assert_true (g_value_get_boolean (&values[0]));
  values_free (values, n_values);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));

  values = async_runner_call_method_sync_values (async_runner_get_default (), G_OBJECT (file),
                                                 "make_directory", &arg, 1, NULL,
                                                 &n_values, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_null (values);
  g_assert_cmpuint (n_values, ==, 0);
  g_clear_error (&error);

  /* Gio.File.new_tmp_async() is GLib 2.74. */
  if (glib_check_version (2, 74, 0) == NULL)
    {
      values = async_runner_call_function_sync_values (async_runner_get_default (), "Gio",
                                                       "File.new_tmp_async", NULL, 0, NULL,
                                                       &n_values, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_null (values);
    }
  g_value_unset (&arg);
  remove_tree (dir_path);
}

static const TestCase tests[] = {
  { "/by-name/method/load-contents", test_load_contents },
  { "/by-name/method/no-out-values", test_no_out_values },
  { "/by-name/method/enumerate", test_enumerate },
  { "/by-name/method/communicate", test_communicate },
  { "/by-name/method/resolver", test_resolver },
  { "/by-name/method/on-runner-thread", test_on_runner_thread },
  { "/by-name/method/values-forms", test_values_forms },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
