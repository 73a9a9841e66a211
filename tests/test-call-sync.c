/* test-call-sync.c: call_sync(): a GIO-style operation started on the runner, finished by the caller
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>

#include <string.h>

#include <async-runner.h>

#include "test-util.h"

static gboolean
start_load_contents (AsyncRunner         *runner,
                     gpointer             user_data,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             callback_data)
{
  g_assert_true (async_runner_is_runner_thread (runner));
  g_file_load_contents_async (G_FILE (user_data), cancellable, callback, callback_data);

  return TRUE;
}

/* call_sync() runs a GIO operation on the runner; the caller finishes it. */
static void
test_call_sync_load_contents (void)
{
  static const char data[] = "Some contents\nof a temporary file\n";
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  int fd;

  fd = g_file_open_tmp ("async-runner-test-XXXXXX", &path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_close (fd, NULL);
  g_file_set_contents (path, data, -1, &error);
  g_assert_no_error (error);

  file = g_file_new_for_path (path);
  result = async_runner_call_sync (runner, start_load_contents, file, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (G_IS_ASYNC_RESULT (result));

  /* _finish on the calling thread. */
  g_assert_true (g_file_load_contents_finish (file, result, &contents, &length, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (contents, length, data, sizeof data - 1);

  g_unlink (path);
}

/* An operation's own error is in its result: the call itself succeeds. */
static void
test_call_sync_not_found (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;

  dir = g_dir_make_tmp ("async-runner-test-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "does-not-exist", NULL);
  file = g_file_new_for_path (path);

  /* The call itself succeeds: the error belongs to the operation. */
  result = async_runner_call_sync (runner, start_load_contents, file, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);

  g_assert_false (g_file_load_contents_finish (file, result, &contents, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (contents);

  g_rmdir (dir);
}

/* call_sync() works with any GIO-style operation, success and error. */
static void
test_call_sync_fake_op (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  AddArgs args = { 40, 2, FALSE };
  GAsyncResult *result;

  result = async_runner_call_sync (runner, start_fake_add, &args, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (args.on_runner_thread);
  g_assert_cmpint (fake_add_finish (result, &error), ==, 42);
  g_assert_no_error (error);
  g_object_unref (result);

  args.b = -5;
  args.on_runner_thread = FALSE;
  result = async_runner_call_sync (runner, start_fake_add, &args, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (args.on_runner_thread);
  g_assert_cmpint (fake_add_finish (result, &error), ==, -1);
  g_assert_error (error, TEST_ERROR, TEST_ERROR_NEGATIVE);
  g_assert_cmpstr (error->message, ==, "Negative operand -5");
  g_object_unref (result);
}

static const TestCase tests[] = {
  { "/call-sync/load-contents", test_call_sync_load_contents },
  { "/call-sync/not-found", test_call_sync_not_found },
  { "/call-sync/fake-op", test_call_sync_fake_op },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
