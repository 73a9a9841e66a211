/* test-by-name.c: introspected async functions called by name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * async_runner_call_method_sync() and async_runner_call_function_sync()
 * with real Gio operations: the typelibs of Gio and GLib are the system's.
 * Each test says in one line what it proves.
 */

#include <sys/prctl.h>
#include <signal.h>
#include <string.h>

#include <async-runner.h>
#include <glib/gstdio.h>

#include "test-util.h"

static void
value_init_string (GValue     *value,
                   const char *s)
{
  g_value_init (value, G_TYPE_STRING);
  g_value_set_string (value, s);
}

static void
value_init_int (GValue *value,
                gint    n)
{
  g_value_init (value, G_TYPE_INT);
  g_value_set_int (value, n);
}

static void
values_free (GValue *values,
             guint   n_values)
{
  guint i;

  for (i = 0; i < n_values; i++)
    g_value_unset (&values[i]);
  g_free (values);
}

static void
values_unset (GValue *values,
              guint   n_values)
{
  guint i;

  for (i = 0; i < n_values; i++)
    if (G_IS_VALUE (&values[i]))
      g_value_unset (&values[i]);
}

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("test-by-name-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_remove (child);
    }
  g_rmdir (path);
}

/* A file's contents come back as [TRUE, GBytes, etag], equal to what the
 * blocking call reads; a name without `_async` finds the async method. */
static void
test_load_contents (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "test-by-name.c", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *expected = NULL;
  gsize expected_length = 0;
  const char *names[] = { "load_contents_async", "load_contents" };
  gsize i;

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
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "test-by-name.c", NULL);
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

/* A directory is listed: enumerate_children gives an enumerator, whose
 * next_files gives a list of GFileInfo as a GListStore; numbers convert
 * from any numeric type and enums or flags from integers. */
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

/* A subprocess's output is read with communicate_utf8: [TRUE, stdout,
 * stderr], the NULL stderr as an empty string value. */
static void
test_communicate (void)
{
  g_autoptr(GError) error = NULL;
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

/* A static function with a return value and an out value: File.new_tmp
 * gives [GFile, GFileIOStream]; then a byte array argument is written. */
static void
test_new_tmp (void)
{
  g_autoptr(GError) error = NULL;
  GValue args[2] = { G_VALUE_INIT, G_VALUE_INIT };
  GValue *values = NULL;
  guint n_values = 0;
  GFile *file;

  value_init_string (&args[0], "test-by-name-XXXXXX.txt");
  value_init_int (&args[1], G_PRIORITY_DEFAULT);

  g_assert_true (async_runner_call_function_sync (async_runner_get_default (), "Gio",
                                                  "File.new_tmp_async", args, 2, NULL,
                                                  &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 2);
  g_assert_true (G_VALUE_HOLDS (&values[0], G_TYPE_FILE));
  g_assert_true (G_VALUE_HOLDS (&values[1], G_TYPE_FILE_IO_STREAM));
  file = g_value_get_object (&values[0]);
  g_assert_true (g_file_query_exists (file, NULL));
  values_unset (args, 2);

  /* A byte array argument (with its length) from a GBytes: write_all
   * gives [TRUE, bytes_written]. */
  {
    GOutputStream *output = g_io_stream_get_output_stream (g_value_get_object (&values[1]));
    g_autofree char *contents = NULL;
    GValue *written = NULL;
    guint n_written = 0;

    g_value_init (&args[0], G_TYPE_BYTES);
    g_value_take_boxed (&args[0], g_bytes_new_static ("by name\n", 8));
    value_init_int (&args[1], G_PRIORITY_DEFAULT);
    g_assert_true (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (output),
                                                  "write_all_async", args, 2, NULL,
                                                  &written, &n_written, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (n_written, ==, 2);
    g_assert_true (g_value_get_boolean (&written[0]));
    g_assert_true (G_VALUE_HOLDS_UINT64 (&written[1]));
    g_assert_cmpuint (g_value_get_uint64 (&written[1]), ==, 8);
    values_free (written, n_written);
    g_assert_true (g_io_stream_close (g_value_get_object (&values[1]), NULL, NULL));
    g_assert_true (g_file_load_contents (file, NULL, &contents, NULL, NULL, NULL));
    g_assert_cmpstr (contents, ==, "by name\n");
  }
  g_assert_true (g_file_delete (file, NULL, NULL));
  values_free (values, n_values);
  values_unset (args, 2);
}

/* ---- D-Bus, on a private bus ---- */

static void
die_with_parent (gpointer user_data)
{
  /* The daemon must not outlive a test that crashes. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Starts a private dbus-daemon; returns it and its address. */
static GSubprocess *
start_dbus_daemon (char **address)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  GSubprocess *daemon;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  daemon = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", "--session",
                                        "--nofork", "--print-address=1", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (daemon));
  *address = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*address);

  return daemon;
}

static void
stop_dbus_daemon (GSubprocess *daemon)
{
  g_subprocess_force_exit (daemon);
  g_subprocess_wait (daemon, NULL, NULL);
  g_object_unref (daemon);
}

/* A D-Bus connection is made by a static constructor, and a method call
 * on it returns a GVariant; NULL goes to nullable parameters; a D-Bus
 * error comes through; an object manager is made with NULL for its
 * get_proxy_type_func callback; a namespace function gives a stream. */
static void
test_dbus_call (void)
{
  g_autofree char *address = NULL;
  GSubprocess *daemon = start_dbus_daemon (&address);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  GValue args[8] = { G_VALUE_INIT, };
  GValue *values = NULL;
  guint n_values = 0;
  GVariant *reply;
  g_autofree char *id = NULL;

  value_init_string (&args[0], address);
  g_value_init (&args[1], G_TYPE_DBUS_CONNECTION_FLAGS);
  g_value_set_flags (&args[1], G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                               G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION);
  g_value_init (&args[2], G_TYPE_POINTER);               /* observer: NULL */

  g_assert_true (async_runner_call_function_sync (async_runner_get_default (), "Gio",
                                                  "DBusConnection.new_for_address", args, 3, NULL,
                                                  &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 1);
  connection = g_value_dup_object (&values[0]);
  g_assert_true (G_IS_DBUS_CONNECTION (connection));
  values_free (values, n_values);
  values_unset (args, 3);

  value_init_string (&args[0], "org.freedesktop.DBus");
  value_init_string (&args[1], "/org/freedesktop/DBus");
  value_init_string (&args[2], "org.freedesktop.DBus");
  value_init_string (&args[3], "GetId");
  g_value_init (&args[4], G_TYPE_VARIANT);                /* parameters: NULL */
  g_value_init (&args[5], G_TYPE_VARIANT_TYPE);
  g_value_set_boxed (&args[5], G_VARIANT_TYPE ("(s)"));
  value_init_int (&args[6], G_DBUS_CALL_FLAGS_NONE);
  value_init_int (&args[7], -1);

  g_assert_true (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (connection),
                                                "call", args, 8, NULL,
                                                &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 1);
  g_assert_true (G_VALUE_HOLDS_VARIANT (&values[0]));
  reply = g_value_get_variant (&values[0]);
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(s)");
  g_variant_get (reply, "(s)", &id);
  g_assert_cmpuint (strlen (id), ==, 32);
  values_free (values, n_values);

  /* A D-Bus error comes through unchanged. */
  g_value_set_string (&args[3], "NoSuchMethod");
  g_assert_false (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (connection),
                                                 "call", args, 8, NULL,
                                                 &values, &n_values, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
  g_assert_null (values);
  g_assert_cmpuint (n_values, ==, 0);
  g_clear_error (&error);
  values_unset (args, 8);

  /* Another callback (the nullable get_proxy_type_func), its data and its
   * destroy notify are passed NULL. Nobody owns the name: the manager
   * is made without a call. */
  g_value_init (&args[0], G_TYPE_DBUS_CONNECTION);
  g_value_set_object (&args[0], connection);
  g_value_init (&args[1], G_TYPE_DBUS_OBJECT_MANAGER_CLIENT_FLAGS);
  g_value_set_flags (&args[1], G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START);
  value_init_string (&args[2], "org.example.Nobody");
  value_init_string (&args[3], "/org/example/Nobody");
  g_assert_true (async_runner_call_function_sync (async_runner_get_default (), "Gio",
                                                  "DBusObjectManagerClient.new", args, 4, NULL,
                                                  &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 1);
  g_assert_true (G_IS_DBUS_OBJECT_MANAGER_CLIENT (g_value_get_object (&values[0])));
  g_assert_null (g_dbus_object_manager_client_get_name_owner (g_value_get_object (&values[0])));
  values_free (values, n_values);
  values_unset (args, 4);

  g_assert_true (g_dbus_connection_close_sync (connection, NULL, NULL));

  /* A namespace function: g_dbus_address_get_stream() gives
   * [GIOStream, guid]. */
  value_init_string (&args[0], address);
  g_assert_true (async_runner_call_function_sync (async_runner_get_default (), "Gio",
                                                  "dbus_address_get_stream", args, 1, NULL,
                                                  &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 2);
  g_assert_true (G_IS_IO_STREAM (g_value_get_object (&values[0])));
  g_assert_true (G_VALUE_HOLDS_STRING (&values[1]));
  g_assert_true (g_io_stream_close (g_value_get_object (&values[0]), NULL, NULL));
  values_free (values, n_values);
  values_unset (args, 1);

  stop_dbus_daemon (daemon);
}

/* ---- Errors ---- */

/* The finish function's error reaches the caller unchanged: domain, code
 * and message. */
static void
test_missing_file (void)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/nonexistent/test-by-name");
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) expected = NULL;
  GValue *values = NULL;
  guint n_values = 7;
  g_autofree char *contents = NULL;

  g_assert_false (g_file_load_contents (file, NULL, &contents, NULL, NULL, &expected));
  g_assert_false (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (file),
                                                 "load_contents_async", NULL, 0, NULL,
                                                 &values, &n_values, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, expected->message);
  g_assert_null (values);
  g_assert_cmpuint (n_values, ==, 0);
}

/* A `cat` that waits for its input forever, for operations that never
 * end until cancelled. */
static GSubprocess *
start_cat (void)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *cat = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, "cat", NULL);

  g_assert_no_error (error);
  return cat;
}

static void
stop_cat (GSubprocess *cat)
{
  g_subprocess_force_exit (cat);
  g_subprocess_wait (cat, NULL, NULL);
  g_object_unref (cat);
}

static gpointer
cancel_soon (gpointer data)
{
  g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  g_cancellable_cancel (data);
  return NULL;
}

/* A cancelled call: already cancelled, nothing runs; cancelled from
 * another thread while it waits, it returns CANCELLED at once and the
 * operation's cancellable is cancelled (wait_async returns). */
static void
test_cancelled (void)
{
  GSubprocess *cat = start_cat ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GThread *thread;
  GValue *values = NULL;
  guint n_values = 0;

  g_cancellable_cancel (cancellable);
  g_assert_false (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (cat),
                                                 "wait_async", NULL, 0, cancellable,
                                                 &values, &n_values, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_cancellable_reset (cancellable);
  thread = g_thread_new ("cancel", cancel_soon, cancellable);
  g_assert_false (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (cat),
                                                 "wait_async", NULL, 0, cancellable,
                                                 &values, &n_values, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (values);
  g_thread_join (thread);

  stop_cat (cat);
}

/* A call that outlives the runner's timeout fails with TIMED_OUT. */
static void
test_timed_out (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  GSubprocess *cat = start_cat ();
  g_autoptr(GError) error = NULL;

  async_runner_set_timeout (runner, 50);
  g_assert_false (async_runner_call_method_sync (runner, G_OBJECT (cat), "wait", NULL, 0, NULL,
                                                 NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  stop_cat (cat);
  async_runner_shutdown (runner);
}

static gpointer
shutdown_soon (gpointer data)
{
  g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  async_runner_shutdown (data);
  return NULL;
}

/* Shutting the runner down ends a pending call with CLOSED; later calls
 * fail with CLOSED too. */
static void
test_shutdown (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  GSubprocess *cat = start_cat ();
  g_autoptr(GError) error = NULL;
  GThread *thread = g_thread_new ("shutdown", shutdown_soon, runner);

  g_assert_false (async_runner_call_method_sync (runner, G_OBJECT (cat), "wait", NULL, 0, NULL,
                                                 NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_thread_join (thread);

  g_assert_false (async_runner_call_method_sync (runner, G_OBJECT (cat), "wait", NULL, 0, NULL,
                                                 NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  stop_cat (cat);
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

/* Called on the runner thread, the call iterates the runner's context
 * instead of deadlocking. */
static void
test_on_runner_thread (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "test-by-name.c", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (async_runner_run_sync (async_runner_get_default (), load_on_runner_thread,
                                        file, NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (&value), ==, 3);
  g_value_unset (&value);
}

/* ---- Bad input: INVALID_ARGUMENT, naming the argument, its type and
 * what was given; nothing is called ---- */

typedef struct
{
  const char *name;
  guint       n_args;
  void      (*fill) (GValue *args);   /* @n_args values */
  const char *message_parts[4];       /* each must be in the message */
} BadInput;

static void
fill_string_priority (GValue *args)
{
  value_init_string (&args[0], "not a number");
}

static void
fill_out_of_range (GValue *args)
{
  g_value_init (&args[0], G_TYPE_INT64);
  g_value_set_int64 (&args[0], G_GINT64_CONSTANT (1) << 40);
}

static void
fill_fraction (GValue *args)
{
  g_value_init (&args[0], G_TYPE_DOUBLE);
  g_value_set_double (&args[0], 1.5);
}

static void
fill_boolean (GValue *args)
{
  g_value_init (&args[0], G_TYPE_BOOLEAN);
  g_value_set_boolean (&args[0], TRUE);
}

static void
fill_unset (GValue *args)
{
}

static void
fill_two (GValue *args)
{
  value_init_int (&args[0], 0);
  value_init_int (&args[1], 0);
}

static void
fill_null_pointer (GValue *args)
{
  g_value_init (&args[0], G_TYPE_POINTER);
}

static const BadInput bad_make_directory[] = {
  { "too-few", 0, NULL, { "make_directory_async", "1 argument", "io_priority (gint32)", "0 given" } },
  { "too-many", 2, fill_two, { "make_directory_async", "1 argument", "2 given", NULL } },
  { "string-for-int", 1, fill_string_priority,
    { "Argument 1 (io_priority)", "expects gint32", "gchararray \"not a number\"", NULL } },
  { "out-of-range", 1, fill_out_of_range, { "Argument 1 (io_priority)", "gint32", "gint64 1099511627776", NULL } },
  { "fraction", 1, fill_fraction, { "Argument 1 (io_priority)", "gint32", "gdouble 1.5", NULL } },
  { "boolean-for-int", 1, fill_boolean, { "Argument 1 (io_priority)", "gint32", "gboolean TRUE", NULL } },
  { "unset-value", 1, fill_unset, { "Argument 1 (io_priority)", "gint32", "unset", NULL } },
  { "null-for-int", 1, fill_null_pointer, { "Argument 1 (io_priority)", "gint32", "gpointer", NULL } },
};

/* Each bad argument list of make_directory fails with INVALID_ARGUMENT and
 * a message naming the argument, the expected type and what was given; the
 * directory is not made. */
static void
test_bad_arguments (void)
{
  g_autofree char *dir_path = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir_path, "made", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (bad_make_directory); i++)
    {
      const BadInput *bad = &bad_make_directory[i];
      g_autoptr(GError) error = NULL;
      GValue args[2] = { G_VALUE_INIT, G_VALUE_INIT };
      GValue *values = NULL;
      guint n_values = 5;
      gsize j;

      g_test_message ("%s", bad->name);
      if (bad->fill != NULL)
        bad->fill (args);
      g_assert_false (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (file),
                                                     "make_directory", args, bad->n_args, NULL,
                                                     &values, &n_values, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      for (j = 0; j < G_N_ELEMENTS (bad->message_parts) && bad->message_parts[j] != NULL; j++)
        if (strstr (error->message, bad->message_parts[j]) == NULL)
          g_error ("%s: \"%s\" not in \"%s\"", bad->name, bad->message_parts[j], error->message);
      g_assert_null (values);
      g_assert_cmpuint (n_values, ==, 0);
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      values_unset (args, 2);
    }

  remove_tree (dir_path);
}

/* An object of the wrong type, NULL for a non-nullable object, flags out
 * of their range or of another type, a strv where a string is expected and
 * a GBytes where a number is each fail with INVALID_ARGUMENT naming the
 * argument. */
static void
test_bad_typed_arguments (void)
{
  g_autoptr(GFile) dir = g_file_new_for_path ("/");
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GCancellable) not_connectable = g_cancellable_new ();
  struct {
    GObject    *object;
    const char *method;
    GType       types[3];
    guint       n_args;
    const char *parts[3];
  } cases[] = {
    { G_OBJECT (client), "connect_async", { G_TYPE_CANCELLABLE }, 1,
      { "Argument 1 (connectable)", "expects Gio.SocketConnectable", "GCancellable object" } },
    { G_OBJECT (client), "connect_async", { G_TYPE_SOCKET_CONNECTABLE }, 1,
      { "Argument 1 (connectable)", "got NULL", NULL } },
    { G_OBJECT (dir), "enumerate_children_async", { G_TYPE_STRING, G_TYPE_UINT, G_TYPE_INT }, 3,
      { "Argument 2 (flags)", "Gio.FileQueryInfoFlags", "guint 1048576" } },
    { G_OBJECT (dir), "enumerate_children_async", { G_TYPE_STRV, G_TYPE_INT, G_TYPE_INT }, 3,
      { "Argument 1 (attributes)", "expects string", "GStrv" } },
    { G_OBJECT (dir), "enumerate_children_async", { G_TYPE_STRING, G_TYPE_FILE_COPY_FLAGS, G_TYPE_INT }, 3,
      { "Argument 2 (flags)", "Gio.FileQueryInfoFlags", "GFileCopyFlags" } },
    { G_OBJECT (dir), "enumerate_children_async", { G_TYPE_STRING, G_TYPE_INT, G_TYPE_BYTES }, 3,
      { "Argument 3 (io_priority)", "gint32", "GBytes" } },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      GValue args[3] = { G_VALUE_INIT, G_VALUE_INIT, G_VALUE_INIT };
      gsize j;

      for (j = 0; j < cases[i].n_args; j++)
        {
          GType type = cases[i].types[j];

          g_value_init (&args[j], type);
          if (type == G_TYPE_CANCELLABLE)
            g_value_set_object (&args[j], not_connectable);
          else if (type == G_TYPE_UINT)
            g_value_set_uint (&args[j], 1 << 20);
          else if (type == G_TYPE_STRING)
            g_value_set_string (&args[j], "standard::name");
          else if (type == G_TYPE_STRV)
            g_value_take_boxed (&args[j], g_strsplit ("a,b", ",", -1));
          else if (type == G_TYPE_BYTES)
            g_value_take_boxed (&args[j], g_bytes_new_static ("x", 1));
          else if (type == G_TYPE_FILE_COPY_FLAGS)
            g_value_set_flags (&args[j], G_FILE_COPY_OVERWRITE);
        }

      g_assert_false (async_runner_call_method_sync (async_runner_get_default (), cases[i].object,
                                                     cases[i].method, args, cases[i].n_args, NULL,
                                                     NULL, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      for (j = 0; j < G_N_ELEMENTS (cases[i].parts) && cases[i].parts[j] != NULL; j++)
        if (strstr (error->message, cases[i].parts[j]) == NULL)
          g_error ("case %" G_GSIZE_FORMAT ": \"%s\" not in \"%s\"", i, cases[i].parts[j], error->message);
      values_unset (args, 3);
    }
}

/* Names that cannot be found fail with NOT_FOUND and say what was looked
 * up: a missing method, a synchronous-only one, a missing namespace, type
 * or function. */
static void
test_not_found (void)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/");
  struct {
    const char *namespace_;   /* NULL: a method of @file */
    const char *name;
    const char *parts[2];
  } cases[] = {
    { NULL, "no_such_method", { "no_such_method and no_such_method_async", "GLocalFile" } },
    { NULL, "get_path", { "get_path and get_path_async", NULL } },
    { "NoSuchNamespace", "frob", { "NoSuchNamespace", NULL } },
    { "Gio", "NoSuchType.frob", { "Gio has no type NoSuchType", NULL } },
    { "Gio", "File.new_for_path", { "new_for_path and new_for_path_async", "Gio.File" } },
    { "Gio", "no_such_function", { "no_such_function and no_such_function_async", NULL } },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gsize j;

      if (cases[i].namespace_ == NULL)
        g_assert_false (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (file),
                                                       cases[i].name, NULL, 0, NULL,
                                                       NULL, NULL, &error));
      else
        g_assert_false (async_runner_call_function_sync (async_runner_get_default (),
                                                         cases[i].namespace_, cases[i].name,
                                                         NULL, 0, NULL, NULL, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
      for (j = 0; j < G_N_ELEMENTS (cases[i].parts) && cases[i].parts[j] != NULL; j++)
        if (strstr (error->message, cases[i].parts[j]) == NULL)
          g_error ("case %" G_GSIZE_FORMAT ": \"%s\" not in \"%s\"", i, cases[i].parts[j], error->message);
    }
}

/* A function whose values cannot be converted (lookup_records gives a
 * list of GVariant) fails with NOT_SUPPORTED, naming it, before anything
 * is called. */
static void
test_unsupported_type (void)
{
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autoptr(GError) error = NULL;
  GValue args[2] = { G_VALUE_INIT, G_VALUE_INIT };

  value_init_string (&args[0], "_nowhere._tcp.localhost");
  value_init_int (&args[1], G_RESOLVER_RECORD_SRV);
  g_assert_false (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (resolver),
                                                 "lookup_records_async", args, 2, NULL,
                                                 NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "Gio.Resolver.lookup_records_finish"));
  g_assert_nonnull (strstr (error->message, "GLib.List of GLib.Variant"));
  values_unset (args, 2);
}

/* Programmer errors are criticals and the call returns FALSE. */
static void
test_preconditions (void)
{
  g_autoptr(GError) error = NULL;
  GValue *values = NULL;
  guint n_values = 0;

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*G_IS_OBJECT*");
  g_assert_false (async_runner_call_method_sync (async_runner_get_default (), NULL, "x",
                                                 NULL, 0, NULL, &values, &n_values, &error));
  g_test_assert_expected_messages ();

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*args != NULL*");
  g_assert_false (async_runner_call_function_sync (async_runner_get_default (), "Gio", "bus_get",
                                                   NULL, 1, NULL, &values, &n_values, &error));
  g_test_assert_expected_messages ();

  g_test_expect_message ("AsyncRunner", G_LOG_LEVEL_CRITICAL, "*namespace_ != NULL*");
  g_assert_false (async_runner_call_function_sync (async_runner_get_default (), NULL, "bus_get",
                                                   NULL, 0, NULL, &values, &n_values, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
}

/* The binding-facing forms return the values alone, non-NULL even when
 * there are none, and NULL on failure. */
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

  values = async_runner_call_function_sync_values (async_runner_get_default (), "Gio",
                                                   "File.new_tmp_async", NULL, 0, NULL,
                                                   &n_values, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (values);
  g_value_unset (&arg);
  remove_tree (dir_path);
}

int
main (int   argc,
      char *argv[])
{
  static const TestCase tests[] = {
    { "/AsyncRunner/ByName/load-contents", test_load_contents },
    { "/AsyncRunner/ByName/no-out-values", test_no_out_values },
    { "/AsyncRunner/ByName/enumerate", test_enumerate },
    { "/AsyncRunner/ByName/communicate", test_communicate },
    { "/AsyncRunner/ByName/resolver", test_resolver },
    { "/AsyncRunner/ByName/new-tmp", test_new_tmp },
    { "/AsyncRunner/ByName/dbus-call", test_dbus_call },
    { "/AsyncRunner/ByName/missing-file", test_missing_file },
    { "/AsyncRunner/ByName/cancelled", test_cancelled },
    { "/AsyncRunner/ByName/timed-out", test_timed_out },
    { "/AsyncRunner/ByName/shutdown", test_shutdown },
    { "/AsyncRunner/ByName/on-runner-thread", test_on_runner_thread },
    { "/AsyncRunner/ByName/bad-arguments", test_bad_arguments },
    { "/AsyncRunner/ByName/bad-typed-arguments", test_bad_typed_arguments },
    { "/AsyncRunner/ByName/not-found", test_not_found },
    { "/AsyncRunner/ByName/unsupported-type", test_unsupported_type },
    { "/AsyncRunner/ByName/preconditions", test_preconditions },
    { "/AsyncRunner/ByName/values-forms", test_values_forms },
  };

  g_test_init (&argc, &argv, NULL);
  add_watched_tests (tests, G_N_ELEMENTS (tests), 30);

  return g_test_run ();
}
