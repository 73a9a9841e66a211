/* test-binding.c: a JavaScript function is refused also when GJS is loaded after the library
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A plugin loader embeds GJS late: it dlopen()s libgjs (RTLD_GLOBAL or
 * RTLD_LOCAL) long after this library made its first runner, makes a
 * GjsContext and evaluates JavaScript that gives run_sync() a JS
 * function. GJS cannot run it on the runner thread (GJS 1.74: a critical,
 * fatal here; GJS >= 1.81.90: a crash): the library must refuse it with
 * G_IO_ERROR_NOT_SUPPORTED. Each case runs in a process of its own, since
 * a loaded GJS cannot be unloaded. Skipped where GJS is not installed.
 */

#include <dlfcn.h>

#include <async-runner.h>

#include "test-util.h"

#define LIBGJS "libgjs.so.0"

/* Throws unless run_sync() refuses the JS function with NOT_SUPPORTED
 * before running it. */
static const char script[] =
  "imports.gi.versions.AsyncRunner = '1';\n"
  "const {AsyncRunner, Gio, GLib} = imports.gi;\n"
  "const runner = new AsyncRunner.Runner({timeout: 20000});\n"
  "let ran = false;\n"
  "let refused = null;\n"
  "try {\n"
  "    runner.run_sync(() => { ran = true; return true; }, null);\n"
  "} catch (e) {\n"
  "    refused = e;\n"
  "}\n"
  "runner.shutdown();\n"
  "if (ran)\n"
  "    throw new Error('the JS function ran on the runner thread');\n"
  "if (!(refused instanceof GLib.Error) ||\n"
  "    !refused.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_SUPPORTED))\n"
  "    throw new Error(`not refused with NOT_SUPPORTED: ${refused}`);\n";

typedef gpointer (*ContextNewFunc) (void);
typedef gboolean (*EvalFunc) (gpointer     context,
                              const char  *script,
                              gssize       length,
                              const char  *filename,
                              int         *exit_status,
                              GError     **error);

/* In the child: the library first, GJS later with @mode, then the JS. */
static void
run_late_gjs (int mode)
{
  g_autoptr(GError) error = NULL;
  ContextNewFunc context_new;
  EvalFunc eval;
  gpointer handle;
  gpointer context;
  int status = 0;

  /* The library is in use before GJS exists. */
  assert_runner_works (async_runner_get_default ());

  handle = dlopen (LIBGJS, RTLD_NOW | mode);
  g_assert_nonnull (handle);
  context_new = (ContextNewFunc) dlsym (handle, "gjs_context_new");
  eval = (EvalFunc) dlsym (handle, "gjs_context_eval");
  g_assert_nonnull (context_new);
  g_assert_nonnull (eval);

  context = context_new ();
  if (!eval (context, script, -1, "<test-binding>", &status, &error))
    g_error ("%s", error != NULL ? error->message : "the script failed");
  g_assert_cmpint (status, ==, 0);
  g_object_unref (context);
}

/* Runs the calling test in a child that loads GJS with @mode; skips without GJS. */
static void
test_in_child (int mode)
{
  if (g_test_subprocess ())
    {
      run_late_gjs (mode);
      return;
    }

  /* The child is a new program: what this process loads is not its. */
  if (dlopen (LIBGJS, RTLD_LAZY | RTLD_LOCAL) == NULL)
    {
      g_autofree char *reason = g_strdup_printf ("GJS is not installed: %s", dlerror ());

      g_test_skip (reason);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* GJS loaded late with RTLD_GLOBAL: a JS function given to run_sync() is refused, NOT_SUPPORTED. */
static void
test_gjs_loaded_later_global (void)
{
  test_in_child (RTLD_GLOBAL);
}

/* GJS loaded late with RTLD_LOCAL (its symbols in no global scope): refused all the same. */
static void
test_gjs_loaded_later_local (void)
{
  test_in_child (RTLD_LOCAL);
}

static const TestCase tests[] = {
  { "/binding/gjs-loaded-later-global", test_gjs_loaded_later_global },
  { "/binding/gjs-loaded-later-local", test_gjs_loaded_later_local },
};

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add_watched_tests (tests, G_N_ELEMENTS (tests), 100);

  return g_test_run ();
}
