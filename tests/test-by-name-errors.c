/* test-by-name-errors.c: calls by name that fail: bad input, cancelled, timed out, shut down
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

/* The finish function's error reaches the caller unchanged. */
static void
test_missing_file (void)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/nonexistent/test-by-name");
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) expected = NULL;
  GValue *values = NULL;
  guint n_values = 7;
  g_autofree char *contents = NULL;

  /* The finish function's error reaches the caller unchanged: domain, code
   * and message. */
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

/* Waits until @object holds @n_refs references again; FALSE if it does
 * not within WAIT_LIMIT_S. */
static gboolean
wait_for_ref_count (GObject *object,
                    gint     n_refs)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_LIMIT_S * G_TIME_SPAN_SECOND;

  while (g_atomic_int_get ((gint *) &object->ref_count) != n_refs)
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (G_TIME_SPAN_MILLISECOND);
    }

  return TRUE;
}

/* A cancelled call by name returns CANCELLED and cancels its operation. */
static void
test_cancelled (void)
{
  GSubprocess *cat = start_cat ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GThread *thread;
  GValue *values = NULL;
  guint n_values = 0;
  gint refs_before;

  /* A cancelled call: already cancelled, nothing runs; cancelled from
   * another thread while it waits, it returns CANCELLED at once and the
   * operation's cancellable is cancelled (wait_async returns). */
  g_cancellable_cancel (cancellable);
  g_assert_false (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (cat),
                                                 "wait_async", NULL, 0, cancellable,
                                                 &values, &n_values, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_cancellable_reset (cancellable);
  refs_before = g_atomic_int_get ((gint *) &G_OBJECT (cat)->ref_count);
  thread = g_thread_new ("cancel", cancel_soon, cancellable);
  g_assert_false (async_runner_call_method_sync (async_runner_get_default (), G_OBJECT (cat),
                                                 "wait_async", NULL, 0, cancellable,
                                                 &values, &n_values, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (values);
  g_thread_join (thread);

  /* The operation was cancelled too: g_subprocess_wait_async() gave up its
   * wait, and its task the reference it held on cat. A wait left running
   * would hold it until cat exits, which it does not by itself. */
  if (!wait_for_ref_count (G_OBJECT (cat), refs_before))
    g_error ("the wait_async() operation still runs after its call was cancelled "
             "(%d references on cat, %d before the call)",
             g_atomic_int_get ((gint *) &G_OBJECT (cat)->ref_count), refs_before);

  stop_cat (cat);
}

/* A call by name that outlives the runner's timeout fails with TIMED_OUT. */
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

/* Shutdown ends a pending call by name with CLOSED, and later calls too. */
static void
test_shutdown (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  GSubprocess *cat = start_cat ();
  g_autoptr(GError) error = NULL;
  GThread *thread = g_thread_new ("shutdown", shutdown_soon, runner);

  /* Shutting the runner down ends a pending call with CLOSED; later calls
   * fail with CLOSED too. */
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

/* Each bad argument list fails with INVALID_ARGUMENT, saying which and why. */
static void
test_bad_arguments (void)
{
  g_autofree char *dir_path = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir_path, "made", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  gsize i;

  /* Each bad argument list of make_directory fails with INVALID_ARGUMENT and
   * a message naming the argument, the expected type and what was given; the
   * directory is not made. */
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

/* Arguments of the wrong type fail with INVALID_ARGUMENT naming them. */
static void
test_bad_typed_arguments (void)
{
  g_autoptr(GFile) dir = g_file_new_for_path ("/");
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GCancellable) not_connectable = g_cancellable_new ();

  /* An object of the wrong type, NULL for a non-nullable object, flags out
   * of their range or of another type, a strv where a string is expected and
   * a GBytes where a number is each fail with INVALID_ARGUMENT naming the
   * argument. */
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

/* Names that cannot be found fail with NOT_FOUND, saying what was looked up. */
static void
test_not_found (void)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/");

  /* Names that cannot be found fail with NOT_FOUND and say what was looked
   * up: a missing method, a synchronous-only one, a missing namespace, type
   * or function. */
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

/* Values that cannot be converted fail with NOT_SUPPORTED before any call. */
static void
test_unsupported_type (void)
{
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autoptr(GError) error = NULL;
  GValue args[2] = { G_VALUE_INIT, G_VALUE_INIT };

  /* A function whose values cannot be converted (lookup_records gives a
   * list of GVariant) fails with NOT_SUPPORTED, naming it, before anything
   * is called. */
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

/* Programmer errors are criticals, and the call returns FALSE. */
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

static const TestCase tests[] = {
  { "/by-name/error/missing-file", test_missing_file },
  { "/by-name/error/cancelled", test_cancelled },
  { "/by-name/error/timed-out", test_timed_out },
  { "/by-name/error/shutdown", test_shutdown },
  { "/by-name/error/bad-arguments", test_bad_arguments },
  { "/by-name/error/bad-typed-arguments", test_bad_typed_arguments },
  { "/by-name/error/not-found", test_not_found },
  { "/by-name/error/unsupported-type", test_unsupported_type },
  { "/by-name/error/preconditions", test_preconditions },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
