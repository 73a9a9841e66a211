/* test-by-name-functions.c: introspected async functions (static, namespace) called by name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * async_runner_call_method_sync() and async_runner_call_function_sync()
 * with real Gio operations: the typelibs of Gio and GLib are the system's.
 */

#include <sys/prctl.h>
#include <signal.h>

#include <string.h>

#include <async-runner.h>
#include <glib/gstdio.h>

#include "test-util.h"

/* A static function gives [GFile, GFileIOStream]; a byte array argument is written. */
static void
test_new_tmp (void)
{
  g_autoptr(GError) error = NULL;
  GValue args[2] = { G_VALUE_INIT, G_VALUE_INIT };
  GValue *values = NULL;
  guint n_values = 0;
  GFile *file;

  if (glib_check_version (2, 74, 0) != NULL)
    {
      g_test_skip ("Gio.File.new_tmp_async() is GLib 2.74");
      return;
    }

  /* A static function with a return value and an out value: File.new_tmp
   * gives [GFile, GFileIOStream]; then a byte array argument is written. */
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
    g_assert_true (G_VALUE_HOLDS_UINT64 (&written[1]));   /* a gsize: 64-bit everywhere */
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

/* D-Bus by name: a constructor, a method call's GVariant, its error, a callback. */
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

  /* A D-Bus connection is made by a static constructor, and a method call
   * on it returns a GVariant; NULL goes to nullable parameters; a D-Bus
   * error comes through; an object manager is made with NULL for its
   * get_proxy_type_func callback; a namespace function gives a stream. */
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

static const TestCase tests[] = {
  { "/by-name/function/new-tmp", test_new_tmp },
  { "/by-name/function/dbus-call", test_dbus_call },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
