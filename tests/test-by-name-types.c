/* test-by-name-types.c: calls by name of tests/artest/, a library of this test's own
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ArTest-1.0 and ArTest-2.0 (libartest-1 and libartest-2, the same GType
 * names) are both on GI_TYPELIB_PATH. The objects come from libartest-1,
 * loaded with dlopen() once a test wants one: a process that uses
 * libartest-1 while ArTest-2.0's typelib is installed, as a libsoup 2
 * program with libsoup 3's typelib. The tests that need neither version
 * loaded yet run in a subprocess of their own.
 */

#include <dlfcn.h>
#include <string.h>

#include <async-runner.h>

#include "test-util.h"

/* A new ArTestSink of libartest-1, which this loads */
static GObject *
new_sink (void)
{
  void *library = dlopen ("libartest-1.so", RTLD_NOW | RTLD_GLOBAL);
  GObject *(*sink_new) (void);

  g_assert_nonnull (library);
  sink_new = (GObject *(*) (void)) dlsym (library, "ar_test_sink_new");
  g_assert_nonnull (sink_new);
  return sink_new ();
}

static gboolean
is_sink (gpointer object)
{
  return g_strcmp0 (G_OBJECT_TYPE_NAME (object), "ArTestSink") == 0;
}

static void
assert_message_has (const GError *error,
                    const char   *part)
{
  if (strstr (error->message, part) == NULL)
    g_error ("\"%s\" not in \"%s\"", part, error->message);
}

static void
value_init_double (GValue *value,
                   double  d)
{
  g_value_init (value, G_TYPE_DOUBLE);
  g_value_set_double (value, d);
}

static void
value_init_int64 (GValue *value,
                  gint64  n)
{
  g_value_init (value, G_TYPE_INT64);
  g_value_set_int64 (value, n);
}

static void
value_init_uint64 (GValue  *value,
                   guint64  n)
{
  g_value_init (value, G_TYPE_UINT64);
  g_value_set_uint64 (value, n);
}

/* Loads ArTest-1.0, as a binding that made the process's objects would */
static void
require_artest (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (async_runner_call_function_sync (async_runner_get_default (), "ArTest-1.0",
                                                  "version", NULL, 0, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* ArTest.numbers with the given float and unichar, the others in range */
static gboolean
call_numbers (double    f,
              guint64   c,
              GValue  **values,
              guint    *n_values,
              GError  **error)
{
  GValue args[7] = { G_VALUE_INIT, };
  gboolean ok;

  value_init_int64 (&args[0], G_MININT64 + 1);
  value_init_uint64 (&args[1], G_MAXUINT64);
  value_init_double (&args[2], 0.1);
  value_init_double (&args[3], f);
  value_init_uint64 (&args[4], c);
  value_init_uint64 (&args[5], G_MAXSIZE);
  value_init_int64 (&args[6], G_MINSSIZE);
  ok = async_runner_call_function_sync (async_runner_get_default (), "ArTest-1.0",
                                        "numbers_async", args, 7, NULL,
                                        values, n_values, error);
  values_unset (args, 7);
  return ok;
}

/* 64-bit and pointer-sized numbers go both ways whole, on every platform:
 * every integer comes back as a gint64 or a guint64 (a gsize too, which is
 * 32 bits on i386), a gdouble as a gdouble. */
static void
test_numbers (void)
{
  g_autoptr(GError) error = NULL;
  GValue *values = NULL;
  guint n_values = 0;
  GValue arg = G_VALUE_INIT;

  g_assert_true (call_numbers (1.5, 0x1F600, &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 7);
  g_assert_true (G_VALUE_HOLDS_INT64 (&values[0]));
  g_assert_cmpint (g_value_get_int64 (&values[0]), ==, G_MININT64 + 1);
  g_assert_true (G_VALUE_HOLDS_UINT64 (&values[1]));
  g_assert_cmpuint (g_value_get_uint64 (&values[1]), ==, G_MAXUINT64);
  g_assert_true (G_VALUE_HOLDS_DOUBLE (&values[2]));
  g_assert_cmpfloat (g_value_get_double (&values[2]), ==, 0.1);
  g_assert_true (G_VALUE_HOLDS_FLOAT (&values[3]));
  g_assert_cmpfloat (g_value_get_float (&values[3]), ==, 1.5f);
  g_assert_true (G_VALUE_HOLDS_UINT (&values[4]));   /* a gunichar is a character */
  g_assert_cmpuint (g_value_get_uint (&values[4]), ==, 0x1F600);
  g_assert_true (G_VALUE_HOLDS_UINT64 (&values[5]));
  g_assert_cmpuint (g_value_get_uint64 (&values[5]), ==, G_MAXSIZE);
  g_assert_true (G_VALUE_HOLDS_INT64 (&values[6]));
  g_assert_cmpint (g_value_get_int64 (&values[6]), ==, G_MINSSIZE);
  values_free (values, n_values);

  /* A gdouble return, from an integer argument */
  value_init_int (&arg, 3);
  g_assert_true (async_runner_call_function_sync (async_runner_get_default (), "ArTest-1.0",
                                                  "halve", &arg, 1, NULL,
                                                  &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 1);
  g_assert_true (G_VALUE_HOLDS_DOUBLE (&values[0]));
  g_assert_cmpfloat (g_value_get_double (&values[0]), ==, 1.5);
  values_free (values, n_values);
  g_value_unset (&arg);

  /* A guint return comes back as a guint64 as well. */
  g_assert_true (async_runner_call_function_sync (async_runner_get_default (), "ArTest-1.0",
                                                  "version", NULL, 0, NULL,
                                                  &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS_UINT64 (&values[0]));
  g_assert_cmpuint (g_value_get_uint64 (&values[0]), ==, 1);
  values_free (values, n_values);
}

/* A number that does not fit its parameter is refused, naming the argument. */
static void
test_numbers_out_of_range (void)
{
  struct {
    double      f;
    guint64     c;
    const char *part;
  } cases[] = {
    { 1e300, 'a', "Argument 4 (f)" },
    { -1e39, 'a', "Argument 4 (f)" },
    { 1.0, 0xFFFFFFFF, "Argument 5 (c)" },
    { 1.0, 0x110000, "Argument 5 (c)" },
    { 1.0, 0xD800, "Argument 5 (c)" },       /* a surrogate is no character */
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      GValue *values = NULL;
      guint n_values = 0;

      g_assert_false (call_numbers (cases[i].f, cases[i].c, &values, &n_values, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      assert_message_has (error, cases[i].part);
      g_assert_null (values);
    }
}

/* A NULL out value stays NULL: a string, a byte array, a GPtrArray, a strv. */
static void
test_null_outs (void)
{
  g_autoptr(GError) error = NULL;
  GValue *values = NULL;
  guint n_values = 0;

  g_assert_true (async_runner_call_function_sync (async_runner_get_default (), "ArTest-1.0",
                                                  "nothing", NULL, 0, NULL,
                                                  &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 5);
  g_assert_true (g_value_get_boolean (&values[0]));
  g_assert_true (G_VALUE_HOLDS_STRING (&values[1]));
  g_assert_null (g_value_get_string (&values[1]));
  g_assert_true (G_VALUE_HOLDS (&values[2], G_TYPE_BYTES));
  g_assert_null (g_value_get_boxed (&values[2]));
  g_assert_true (G_VALUE_HOLDS (&values[3], G_TYPE_LIST_STORE));
  g_assert_null (g_value_get_object (&values[3]));
  g_assert_true (G_VALUE_HOLDS (&values[4], G_TYPE_STRV));
  g_assert_null (g_value_get_boxed (&values[4]));
  values_free (values, n_values);
}

/* A transfer-full GPtrArray, with or without its own free function: each
 * element is released exactly once. */
static void
test_ptr_array (void)
{
  g_autoptr(GObject) sink = new_sink ();
  gboolean with_free_func;

  require_artest ();
  for (with_free_func = FALSE; with_free_func <= TRUE; with_free_func++)
    {
      g_autoptr(GError) error = NULL;
      GValue args[2] = { G_VALUE_INIT, G_VALUE_INIT };
      GValue *values = NULL;
      guint n_values = 0;
      GObject *items[3];
      GListModel *model;
      guint i;

      value_init_int (&args[0], 3);
      g_value_init (&args[1], G_TYPE_BOOLEAN);
      g_value_set_boolean (&args[1], with_free_func);
      g_assert_true (async_runner_call_method_sync (async_runner_get_default (), sink,
                                                    "list", args, 2, NULL,
                                                    &values, &n_values, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (n_values, ==, 1);
      model = g_value_get_object (&values[0]);
      g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
      for (i = 0; i < 3; i++)
        {
          items[i] = g_list_model_get_item (model, i);
          g_assert_true (is_sink (items[i]));
          g_object_unref (items[i]);
          g_object_add_weak_pointer (items[i], (gpointer *) &items[i]);
        }
      values_free (values, n_values);
      for (i = 0; i < 3; i++)
        g_assert_null (items[i]);
      values_unset (args, 2);
    }
}

/* A nullable callback with its data and destroy notify is passed NULL. */
static void
test_null_progress (void)
{
  g_autoptr(GObject) sink = new_sink ();
  g_autoptr(GError) error = NULL;
  GValue *values = NULL;
  guint n_values = 0;

  require_artest ();
  g_assert_true (async_runner_call_method_sync (async_runner_get_default (), sink,
                                                "progress", NULL, 0, NULL,
                                                &values, &n_values, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 1);
  g_assert_true (g_value_get_boolean (&values[0]));
  values_free (values, n_values);
}

static guint64
call_version (const char  *namespace_,
              GObject     *object,
              GError     **error)
{
  GValue *values = NULL;
  guint n_values = 0;
  guint64 version;
  gboolean ok;

  if (object != NULL)
    ok = async_runner_call_method_sync (async_runner_get_default (), object, "version",
                                        NULL, 0, NULL, &values, &n_values, error);
  else
    ok = async_runner_call_function_sync (async_runner_get_default (), namespace_, "version",
                                          NULL, 0, NULL, &values, &n_values, error);
  if (!ok)
    return 0;
  g_assert_cmpuint (n_values, ==, 1);
  version = g_value_get_uint64 (&values[0]);
  values_free (values, n_values);
  return version;
}

/* In the parent: runs the current test in a subprocess, and says so */
static gboolean
ran_in_subprocess (void)
{
  if (g_test_subprocess ())
    return FALSE;
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return TRUE;
}

/* With two versions installed and neither loaded, a function needs its
 * version named; once the process has loaded libartest-1, a method of its
 * object and the function are ArTest-1.0's, never ArTest-2.0's (in a
 * process of its own). */
static void
test_version_unknown (void)
{
  g_autoptr(GObject) sink = NULL;
  g_autoptr(GError) error = NULL;

  if (ran_in_subprocess ())
    return;

  g_assert_cmpuint (call_version ("ArTest", NULL, &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  assert_message_has (error, "(1.0, 2.0)");
  assert_message_has (error, "\"ArTest-2.0\"");
  g_clear_error (&error);

  sink = new_sink ();
  g_assert_cmpuint (call_version (NULL, sink, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (call_version ("ArTest", NULL, &error), ==, 1);
  g_assert_no_error (error);
}

/* An explicit version is loaded; then the plain name, and the methods of
 * the process's objects, use it, and the other version is refused (in a
 * process of its own). */
static void
test_version_explicit (void)
{
  g_autoptr(GObject) sink = NULL;
  g_autoptr(GError) error = NULL;

  if (ran_in_subprocess ())
    return;

  sink = new_sink ();
  g_assert_cmpuint (call_version ("ArTest-1.0", NULL, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (call_version ("ArTest", NULL, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (call_version (NULL, sink, &error), ==, 1);
  g_assert_no_error (error);

  g_assert_cmpuint (call_version ("ArTest-2.0", NULL, &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  assert_message_has (error, "ArTest-2.0");
}

static const TestCase tests[] = {
  { "/by-name/types/numbers", test_numbers },
  { "/by-name/types/numbers-out-of-range", test_numbers_out_of_range },
  { "/by-name/types/null-outs", test_null_outs },
  { "/by-name/types/ptr-array", test_ptr_array },
  { "/by-name/types/null-progress", test_null_progress },
  { "/by-name/types/version-unknown", test_version_unknown },
  { "/by-name/types/version-explicit", test_version_explicit },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
