/* async-runner-binding.c: functions that a language binding cannot run on the runner thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GJS runs JavaScript on its own thread only. Asked to run a JS function on
 * another thread, GJS 1.74 refuses with a critical, and GJS >= 1.81.90
 * crashes the process. A call whose function is JavaScript can therefore
 * never work, and is refused before anything runs.
 *
 * A binding's function is a libffi closure: its code lies in no loaded
 * object, or in libffi's trampolines. In a process where GJS has a current
 * context, such a function is taken for JavaScript. C functions (a C
 * library used from JavaScript) lie in their object and are not affected;
 * nor are other bindings' functions in processes without GJS.
 */

#include "config.h"

#include <string.h>
#if HAVE_DLADDR
# include <dlfcn.h>
#endif

#include <gio/gio.h>

#include "async-runner-binding-private.h"

typedef gpointer (*GetCurrentFunc) (void);

/* libgjs's gjs_context_get_current(), if GJS is in the process: it loads
 * the typelib, and so this library, after itself. Written once. */
static GetCurrentFunc gjs_get_current;

/* Once, before the first runner exists. */
void
_async_runner_binding_init (void)
{
#if HAVE_DLADDR
  gjs_get_current = (GetCurrentFunc) dlsym (RTLD_DEFAULT, "gjs_context_get_current");
#endif
}

#if HAVE_DLADDR
static gboolean
is_binding_closure (gpointer func)
{
  Dl_info info;
  const char *base;

  if (dladdr (func, &info) == 0 || info.dli_fname == NULL)
    return TRUE;

  base = strrchr (info.dli_fname, '/');
  base = base != NULL ? base + 1 : info.dli_fname;
  return g_str_has_prefix (base, "libffi.");
}
#endif

/* Any thread: FALSE with @error set if @func is a JavaScript function,
 * which GJS cannot run on the runner thread. Costs one test of a pointer
 * in a process without GJS. */
gboolean
_async_runner_binding_check_function (gpointer   func,
                                      GError   **error)
{
#if HAVE_DLADDR
  if G_UNLIKELY (gjs_get_current != NULL && gjs_get_current () != NULL &&
                 is_binding_closure (func))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "GJS cannot run a JavaScript function on the runner thread; "
                           "call the asynchronous function by name instead, with "
                           "call_method_sync() or call_function_sync()");
      return FALSE;
    }
#endif

  return TRUE;
}
