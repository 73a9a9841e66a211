/* test-sysprof.c: one Sysprof mark per call, with its name and duration
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built only with sysprof-capture-4. The library records its marks with
 * the capture writer into the file named by ASYNC_RUNNER_DEBUG=capture=FILE
 * (set in main() before the first runner exists); the test reads them
 * back with the capture reader.
 */

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sysprof-capture.h>

#include <async-runner.h>

#include "test-util.h"

static char *capture_path;

static gboolean
func_return_boolean (AsyncRunner *runner,
                     GTask       *task,
                     gpointer     user_data)
{
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gboolean
func_return_error (AsyncRunner *runner,
                   GTask       *task,
                   gpointer     user_data)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "nothing here");
  return TRUE;
}

/* Each call leaves one named mark with its duration, and its error as message. */
static void
test_marks (void)
{
  g_autoptr(AsyncRunner) runner = async_runner_new ();
  g_autoptr(GError) error = NULL;
  SysprofCaptureReader *reader;
  SysprofCaptureFrameType type;
  gint64 before = g_get_monotonic_time () * 1000;
  guint n_ok = 0;
  guint n_failed = 0;

  /* Each call leaves one mark in group "AsyncRunner", named after the call,
   * with its duration, and with its error as the message. */
  g_assert_true (async_runner_run_sync_full (runner, "marked call", 0, func_return_boolean,
                                             NULL, NULL, NULL, &error));
  g_assert_false (async_runner_run_sync_full (runner, "failed call", 0, func_return_error,
                                              NULL, NULL, NULL, &error));

  reader = sysprof_capture_reader_new (capture_path);
  g_assert_nonnull (reader);
  while (sysprof_capture_reader_peek_type (reader, &type))
    {
      const SysprofCaptureMark *mark;

      if (type != SYSPROF_CAPTURE_FRAME_MARK)
        {
          g_assert_true (sysprof_capture_reader_skip (reader));
          continue;
        }

      mark = sysprof_capture_reader_read_mark (reader);
      g_assert_nonnull (mark);
      g_assert_cmpstr (mark->group, ==, "AsyncRunner");
      g_assert_cmpint (mark->frame.pid, ==, getpid ());
      g_assert_cmpint (mark->frame.time, >=, before);
      g_assert_cmpint (mark->duration, >=, 0);
      if (g_str_equal (mark->name, "marked call"))
        {
          g_assert_cmpstr (mark->message, ==, "");
          n_ok++;
        }
      else if (g_str_equal (mark->name, "failed call"))
        {
          g_assert_cmpstr (mark->message, ==, "nothing here");
          n_failed++;
        }
    }
  sysprof_capture_reader_unref (reader);

  g_assert_cmpuint (n_ok, ==, 1);
  g_assert_cmpuint (n_failed, ==, 1);
}

static const TestCase tests[] = {
  { "/sysprof/marks", test_marks },
};

int
main (int    argc,
      char **argv)
{
  g_autofree char *option = NULL;
  int fd;
  int status;

  g_test_init (&argc, &argv, NULL);

  fd = g_file_open_tmp ("async-runner-XXXXXX.syscap", &capture_path, NULL);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  option = g_strdup_printf ("capture=%s", capture_path);
  g_setenv ("ASYNC_RUNNER_DEBUG", option, TRUE);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);
  status = g_test_run ();

  g_unlink (capture_path);
  g_free (capture_path);

  return status;
}
