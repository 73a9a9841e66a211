/* test-fork.c: runners across fork()
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A forked child has only the thread that called fork(): the runner
 * threads of the parent do not exist there. The default runner must be
 * made anew in the child, and a runner made before the fork must fail
 * with a clear error instead of waiting forever for a thread that is not
 * there; a child may also just exec(). All of it with no call in flight
 * at the moment of the fork: that is all the library promises (see the
 * threads guide: a thread of the parent inside GLib at that moment may
 * hold a lock that the child will wait for forever).
 *
 * The child reports its verdict (0, or the number of the check that
 * failed, with a message on stderr) through a pipe; the parent waits for
 * it with a deadline.
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <async-runner.h>

#include "test-util.h"

/* Under valgrind, a forked child's exit-time leak check reports what the
 * parent's threads held (their thread-local data, in a process where
 * they do not exist): real, but neither ours nor avoidable. So a child
 * under valgrind counts its own memory errors (invalid accesses are
 * reported as usual), hands its verdict over a pipe and ends with
 * SIGKILL, which skips that leak check (RUNNING_ON_VALGRIND and
 * VALGRIND_COUNT_ERRORS come from test-util.h). */

/* The verdict of a child that found memory errors. */
#define CHILD_MEMORY_ERRORS 99

/* How long a child may take before it counts as hung. */
#define CHILD_DEADLINE_S ((gint) (20 * test_time_scale ()))

/* return_int(), for a child: off the runner thread it fails the call
 * rather than aborting. */
static gboolean
return_int_checked (AsyncRunner *runner,
                    GTask       *task,
                    gpointer     user_data)
{
  if (!async_runner_is_runner_thread (runner))
    return FALSE;

  task_return_int (task, GPOINTER_TO_INT (user_data));

  return TRUE;
}

DEFINE_START_FROM_FUNC (start_return_int, return_int_checked)

static gboolean
never_run (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  g_error ("a function ran on a runner thread that does not exist");
  return FALSE;
}

static gboolean
start_never_run (AsyncRunner         *runner,
                 gpointer             user_data,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             callback_data)
{
  g_error ("a start function ran on a runner thread that does not exist");
  return FALSE;
}

/* TRUE if both run_sync and call_sync work on @runner. */
static gboolean
runner_works (AsyncRunner *runner,
              gint         n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GValue value = G_VALUE_INIT;
  gboolean ok;

  if (!async_runner_run_sync (runner, return_int_checked, GINT_TO_POINTER (n), NULL, &value, &error))
    {
      g_printerr ("# run_sync failed: %s\n", error->message);
      return FALSE;
    }
  ok = g_value_get_int (&value) == n;
  g_value_unset (&value);
  if (!ok)
    return FALSE;

  result = async_runner_call_sync (runner, start_return_int, GINT_TO_POINTER (n + 1), NULL, &error);
  if (result == NULL)
    {
      g_printerr ("# call_sync failed: %s\n", error->message);
      return FALSE;
    }
  if (!g_task_propagate_value (G_TASK (result), &value, &error))
    return FALSE;
  ok = g_value_get_int (&value) == n + 1;
  g_value_unset (&value);

  return ok;
}

/* TRUE if @runner refuses both kinds of call with G_IO_ERROR_CLOSED and
 * a message that says why. */
static gboolean
runner_refuses (AsyncRunner *runner)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  if (async_runner_run_sync (runner, never_run, NULL, NULL, NULL, &error) ||
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
      strstr (error->message, "fork") == NULL)
    {
      g_printerr ("# run_sync: %s\n", error != NULL ? error->message : "succeeded");
      return FALSE;
    }
  g_clear_error (&error);

  result = async_runner_call_sync (runner, start_never_run, NULL, NULL, &error);
  if (result != NULL || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    {
      g_printerr ("# call_sync: %s\n", error != NULL ? error->message : "succeeded");
      return FALSE;
    }

  return TRUE;
}

#define CHILD_CHECK(n, cond) \
  G_STMT_START { \
    if (!(cond)) \
      { \
        g_printerr ("# child check %d failed: %s\n", (n), #cond); \
        return (n); \
      } \
  } G_STMT_END

/* Forks; runs @child_func in the child; waits for the child with a
 * deadline, failing the test if it hung or crashed, and returns its
 * verdict: what @child_func returned, 0 for success. */
static int
run_in_child (int    (*child_func) (gpointer data),
              gpointer data)
{
  gint64 deadline;
  int fds[2];
  int verdict = -1;
  pid_t pid;
  int status;

  g_assert_no_errno (pipe (fds));
  fflush (stdout);
  fflush (stderr);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);

  if (pid == 0)
    {
      unsigned int errors_before = VALGRIND_COUNT_ERRORS;

      close (fds[0]);
      /* The child's own watchdog: SIGALRM ends it if something hangs. */
      alarm (CHILD_DEADLINE_S);
      verdict = child_func (data);

      if (RUNNING_ON_VALGRIND && VALGRIND_COUNT_ERRORS > errors_before && verdict == 0)
        verdict = CHILD_MEMORY_ERRORS;
      if (write (fds[1], &verdict, sizeof verdict) != sizeof verdict)
        _exit (1);
      if (RUNNING_ON_VALGRIND)
        kill (getpid (), SIGKILL);
      _exit (0);
    }

  close (fds[1]);

  deadline = g_get_monotonic_time () + (CHILD_DEADLINE_S + 10) * G_TIME_SPAN_SECOND;
  for (;;)
    {
      pid_t ret = waitpid (pid, &status, WNOHANG);

      if (ret == pid)
        break;
      g_assert_cmpint (ret, ==, 0);

      if (g_get_monotonic_time () >= deadline)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          g_error ("the child did not exit within %d s", CHILD_DEADLINE_S + 10);
        }
      g_usleep (G_TIME_SPAN_MILLISECOND);
    }

  if (read (fds[0], &verdict, sizeof verdict) != sizeof verdict)
    {
      if (WIFSIGNALED (status))
        g_error ("the child was killed by signal %d (%s)%s", WTERMSIG (status),
                 g_strsignal (WTERMSIG (status)),
                 WTERMSIG (status) == SIGALRM ? ": it hung" : "");
      g_error ("the child exited with status %d and no verdict", WEXITSTATUS (status));
    }
  close (fds[0]);

  if (verdict == CHILD_MEMORY_ERRORS)
    g_error ("valgrind found memory errors in the child");

  return verdict;
}

typedef struct
{
  AsyncRunner *parent_default;
  AsyncRunner *before;          /* made and used before the fork */
  AsyncRunner *unused_before;   /* made before the fork, never used */
} Inherited;

static int
grandchild (gpointer data)
{
  AsyncRunner *child_default = data;
  AsyncRunner *grandchild_default = async_runner_get_default ();

  CHILD_CHECK (30, grandchild_default != child_default);
  CHILD_CHECK (31, runner_works (grandchild_default, 300));
  CHILD_CHECK (32, runner_refuses (child_default));

  return 0;
}

static int
child (gpointer data)
{
  Inherited *inherited = data;
  AsyncRunner *child_default;
  AsyncRunner *fresh;
  int status;

  /* The default runner is made anew, and works. */
  child_default = async_runner_get_default ();
  CHILD_CHECK (10, child_default != NULL);
  CHILD_CHECK (11, child_default != inherited->parent_default);
  CHILD_CHECK (12, runner_works (child_default, 100));
  CHILD_CHECK (13, async_runner_get_default () == child_default);

  /* Runners from before the fork fail at once, saying why. */
  CHILD_CHECK (14, runner_refuses (inherited->parent_default));
  CHILD_CHECK (15, runner_refuses (inherited->before));
  CHILD_CHECK (16, runner_refuses (inherited->unused_before));

  /* Their other methods neither hang nor crash. */
  async_runner_set_timeout (inherited->before, 10);
  CHILD_CHECK (17, async_runner_get_timeout (inherited->before) == 10);
  CHILD_CHECK (18, !async_runner_is_runner_thread (inherited->before));
  CHILD_CHECK (19, async_runner_get_context (inherited->before) != NULL);
  async_runner_shutdown (inherited->before);
  g_object_unref (inherited->before);
  g_object_unref (inherited->unused_before);

  /* New runners work. */
  fresh = async_runner_new ();
  CHILD_CHECK (20, runner_works (fresh, 200));
  g_object_unref (fresh);

  /* And again, one generation down. */
  status = run_in_child (grandchild, child_default);
  CHILD_CHECK (21, status == 0);

  /* The child's default still works after its own fork. */
  CHILD_CHECK (22, runner_works (child_default, 400));

  return 0;
}

/* In a forked child, runners of the parent fail cleanly; new ones and the default work. */
static void
test_fork (void)
{
  Inherited inherited;
  int status;

  /* The default runner exists and has run calls before the fork. */
  inherited.parent_default = async_runner_get_default ();
  g_assert_true (runner_works (inherited.parent_default, 1));
  inherited.before = async_runner_new ();
  g_assert_true (runner_works (inherited.before, 2));
  inherited.unused_before = async_runner_new ();

  status = run_in_child (child, &inherited);
  g_assert_cmpint (status, ==, 0);

  /* Nothing changed for the parent. */
  g_assert_true (async_runner_get_default () == inherited.parent_default);
  g_assert_true (runner_works (inherited.parent_default, 3));
  g_assert_true (runner_works (inherited.before, 4));
  g_assert_true (runner_works (inherited.unused_before, 5));

  g_object_unref (inherited.before);
  g_object_unref (inherited.unused_before);
}

/* The first use of the default runner can be in the child. */
static int
child_first_default (gpointer data)
{
  CHILD_CHECK (40, runner_works (async_runner_get_default (), 500));

  return 0;
}

/* The default runner's first use may be in a forked child. */
static void
test_fork_before_default (void)
{
  /* A subprocess, so that this process has no default runner yet. */
  if (g_test_subprocess ())
    {
      g_assert_cmpint (run_in_child (child_first_default, NULL), ==, 0);
      g_assert_true (runner_works (async_runner_get_default (), 6));
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A child forked while runners have threads can exec() */
static void
test_fork_then_exec (void)
{
  g_autoptr(AsyncRunner) own = async_runner_new ();
  gint64 deadline;
  pid_t pid;
  int status;

  /* Fork with no call in flight, while runners (the default one, and one
   * of the parent's own) have threads, then exec(): the child runs the new
   * program and exits with its status. */
  g_assert_true (runner_works (async_runner_get_default (), 7));
  g_assert_true (runner_works (own, 8));

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);

  if (pid == 0)
    {
      /* Only async-signal-safe functions from here to exec(). */
      execl ("/bin/sh", "sh", "-c", "exit 7", (char *) NULL);
      _exit (127);
    }

  deadline = g_get_monotonic_time () + CHILD_DEADLINE_S * G_TIME_SPAN_SECOND;
  for (;;)
    {
      pid_t ret = waitpid (pid, &status, WNOHANG);

      if (ret == pid)
        break;
      g_assert_cmpint (ret, ==, 0);

      if (g_get_monotonic_time () >= deadline)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          g_error ("the child did not exit within %d s", CHILD_DEADLINE_S);
        }
      g_usleep (G_TIME_SPAN_MILLISECOND);
    }

  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 7);

  /* Nothing changed for the parent. */
  g_assert_true (runner_works (async_runner_get_default (), 9));
  g_assert_true (runner_works (own, 10));
}

static const TestCase tests[] = {
  { "/fork/child", test_fork },
  { "/fork/before-default", test_fork_before_default },
  { "/fork/exec", test_fork_then_exec },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_watched_tests (tests, G_N_ELEMENTS (tests), 60);

  return g_test_run ();
}
