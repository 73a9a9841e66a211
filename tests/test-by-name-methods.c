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

/* ---- An output stream whose writes read their buffer late ---- */

/* LateSink's write_async() keeps the buffer it is given and reads it only
 * when the test calls late_sink_release(), ignoring cancellation: an
 * operation that runs on after its call by name ended. */
typedef struct
{
  GOutputStream  parent_instance;
  GMutex         lock;
  GTask         *task;       /* protected by @lock: the pending write */
  const guint8  *buffer;     /* protected by @lock */
  gsize          count;      /* protected by @lock */
  GByteArray    *received;   /* protected by @lock */
} LateSink;

typedef GOutputStreamClass LateSinkClass;

static GType late_sink_get_type (void);
G_DEFINE_TYPE (LateSink, late_sink, G_TYPE_OUTPUT_STREAM)

static void
late_sink_write_async (GOutputStream       *stream,
                       const void          *buffer,
                       gsize                count,
                       int                  io_priority,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  LateSink *self = (LateSink *) stream;

  g_mutex_lock (&self->lock);
  g_assert_null (self->task);
  self->task = g_task_new (stream, NULL, callback, user_data);
  self->buffer = buffer;
  self->count = count;
  g_mutex_unlock (&self->lock);
}

static gssize
late_sink_write_finish (GOutputStream  *stream,
                        GAsyncResult   *result,
                        GError        **error)
{
  return g_task_propagate_int (G_TASK (result), error);
}

static gssize
late_sink_write_fn (GOutputStream  *stream,
                    const void     *buffer,
                    gsize           count,
                    GCancellable   *cancellable,
                    GError        **error)
{
  g_assert_not_reached ();
}

static void
late_sink_finalize (GObject *object)
{
  LateSink *self = (LateSink *) object;

  g_assert_null (self->task);
  g_byte_array_unref (self->received);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (late_sink_parent_class)->finalize (object);
}

static void
late_sink_class_init (LateSinkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = late_sink_finalize;
  klass->write_fn = late_sink_write_fn;
  klass->write_async = late_sink_write_async;
  klass->write_finish = late_sink_write_finish;
}

static void
late_sink_init (LateSink *self)
{
  g_mutex_init (&self->lock);
  self->received = g_byte_array_new ();
}

/* Reads the pending write's buffer now, and completes it. */
static void
late_sink_release (LateSink *self)
{
  g_autoptr(GTask) task = NULL;
  gsize count;

  g_mutex_lock (&self->lock);
  g_assert_nonnull (self->task);
  task = g_steal_pointer (&self->task);
  g_byte_array_append (self->received, self->buffer, self->count);
  count = self->count;
  g_mutex_unlock (&self->lock);
  g_task_return_int (task, (gssize) count);
}

static gboolean
late_sink_has_write (LateSink *self)
{
  gboolean pending;

  g_mutex_lock (&self->lock);
  pending = self->task != NULL;
  g_mutex_unlock (&self->lock);
  return pending;
}

#define POISON 0xAA

/* A GBytes's free function that poisons the buffer before freeing it */
static void
poison_free (gpointer data)
{
  guint8 *buffer = data;
  gsize size = buffer[0];   /* new_poisoned_bytes() starts with the size */

  memset (buffer, POISON, size);
  g_free (buffer);
}

static GBytes *
new_poisoned_bytes (gsize size)
{
  guint8 *buffer = g_malloc (size);
  gsize i;

  g_assert_cmpuint (size, <, 256);
  for (i = 0; i < size; i++)
    buffer[i] = (guint8) (size - i);
  return g_bytes_new_with_free_func (buffer, size, poison_free, buffer);
}

/* The arguments belong to the operation until it calls back: the caller
 * frees (and poisons) its GBytes as soon as its call timed out, the
 * operation reads it later and gets the original bytes. */
static void
test_arguments_owned (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GOutputStream) sink = g_object_new (late_sink_get_type (), NULL);
  g_autoptr(GError) error = NULL;
  GValue args[2] = { G_VALUE_INIT, G_VALUE_INIT };
  GByteArray *received;
  gsize i;

  async_runner_set_timeout (runner, 50);
  g_value_init (&args[0], G_TYPE_BYTES);
  g_value_take_boxed (&args[0], new_poisoned_bytes (200));
  value_init_int (&args[1], G_PRIORITY_DEFAULT);
  g_assert_false (async_runner_call_method_sync (runner, G_OBJECT (sink), "write_all_async",
                                                 args, 2, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  values_unset (args, 2);          /* the caller's GBytes: freed and poisoned */

  g_assert_true (late_sink_has_write ((LateSink *) sink));
  late_sink_release ((LateSink *) sink);
  async_runner_shutdown (runner);  /* waits for the operation to call back */

  received = ((LateSink *) sink)->received;
  g_assert_cmpuint (received->len, ==, 200);
  for (i = 0; i < received->len; i++)
    g_assert_cmpuint (received->data[i], ==, 200 - i);
}

typedef struct
{
  AsyncRunner   *runner;
  GOutputStream *sink;
  gboolean       ok;
} WriteCall;

static gpointer
write_in_thread (gpointer data)
{
  WriteCall *call = data;
  GValue args[2] = { G_VALUE_INIT, G_VALUE_INIT };

  g_value_init (&args[0], G_TYPE_BYTES);
  g_value_take_boxed (&args[0], g_bytes_new_static ("x", 1));
  value_init_int (&args[1], G_PRIORITY_DEFAULT);
  call->ok = async_runner_call_method_sync (call->runner, G_OBJECT (call->sink),
                                            "write_all", args, 2, NULL, NULL, NULL, NULL);
  values_unset (args, 2);
  return NULL;
}

/* The stuck-call reports of the process: warnings of the library's domain */
static GMutex     report_lock;
static GString   *reports;    /* protected by @report_lock */

static void
catch_report (const char     *log_domain,
              GLogLevelFlags  log_level,
              const char     *message,
              gpointer        user_data)
{
  g_mutex_lock (&report_lock);
  g_string_append_printf (reports, "%s\n", message);
  g_mutex_unlock (&report_lock);
}

/* The stuck report is a warning: caught, not fatal; anything else is. */
static gboolean
report_not_fatal (const char     *log_domain,
                  GLogLevelFlags  log_level,
                  const char     *message,
                  gpointer        user_data)
{
  return !(g_strcmp0 (log_domain, "AsyncRunner") == 0 && strstr (message, "has waited") != NULL);
}

static gboolean
reports_name (const char *name)
{
  gboolean found;

  g_mutex_lock (&report_lock);
  found = strstr (reports->str, name) != NULL;
  g_mutex_unlock (&report_lock);
  return found;
}

/* A call by name is named after its function in the pending calls and the
 * stuck-call report. */
static void
test_pending_name (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GOutputStream) sink = g_object_new (late_sink_get_type (), NULL);
  WriteCall call = { runner, sink, FALSE };
  gint64 deadline = g_get_monotonic_time () + WAIT_LIMIT_S * G_USEC_PER_SEC;
  const char *name = "Gio.OutputStream.write_all_async";
  GThread *thread;
  char **pending = NULL;
  guint handler;

  reports = g_string_new (NULL);
  g_test_log_set_fatal_handler (report_not_fatal, NULL);
  handler = g_log_set_handler ("AsyncRunner", G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL,
                               catch_report, NULL);
  async_runner_set_stuck_threshold (runner, 20);
  thread = g_thread_new ("write", write_in_thread, &call);

  /* Listed once the caller sleeps, which it does until the write is released. */
  for (;;)
    {
      pending = async_runner_dup_pending_calls (runner);
      if (pending != NULL && pending[0] != NULL)
        break;
      g_strfreev (pending);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
  g_assert_null (pending[1]);
  if (strstr (pending[0], name) == NULL)
    g_error ("pending call named \"%s\"", pending[0]);
  g_strfreev (pending);

  while (!late_sink_has_write ((LateSink *) sink) || !reports_name (name))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
  late_sink_release ((LateSink *) sink);
  g_thread_join (thread);
  g_assert_true (call.ok);

  g_log_remove_handler ("AsyncRunner", handler);
  g_string_free (g_steal_pointer (&reports), TRUE);
}

static const TestCase tests[] = {
  { "/by-name/method/load-contents", test_load_contents },
  { "/by-name/method/no-out-values", test_no_out_values },
  { "/by-name/method/enumerate", test_enumerate },
  { "/by-name/method/communicate", test_communicate },
  { "/by-name/method/resolver", test_resolver },
  { "/by-name/method/on-runner-thread", test_on_runner_thread },
  { "/by-name/method/values-forms", test_values_forms },
  { "/by-name/method/arguments-owned", test_arguments_owned },
  { "/by-name/method/pending-name", test_pending_name },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
