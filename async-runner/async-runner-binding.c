/* async-runner-binding.c: functions that a language binding cannot run on the runner thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GJS runs JavaScript on its own thread only. Asked to run a JS function on
 * another thread, GJS 1.74 refuses with a critical, and GJS >= 1.81.90
 * crashes the process. A call whose function is JavaScript can therefore
 * never work, and is refused before anything runs.
 *
 * NOTES: how a JavaScript function is told from C, from public facts only
 *
 * - A binding's function is a libffi closure: its code lies in no loaded
 *   object (an anonymous executable mapping), or in libffi's trampolines.
 *   A C function lies in the object that defines it (dladdr() finds it).
 * - GJS is in the process, and has a context, once the GjsContext GType
 *   exists with its class: GJS registers it when it makes its first
 *   context. The class's finalize function lies in libgjs (or in the
 *   program that links GJS in), whichever way it was loaded, RTLD_GLOBAL
 *   or RTLD_LOCAL, before or after this library: dladdr() names that
 *   object, and its exported gjs_context_get_current() says whether a
 *   context is current.
 *
 * So a function is refused when it lies in no object but libffi's while
 * a GJS context is current. Nothing is looked up before it is needed, and
 * a C function, once found in its object, is remembered: the common call
 * costs one load. A C function in an anonymous executable mapping
 * (JIT-generated code) cannot be told from a closure: it is refused while
 * a GJS context is current (the docs say so).
 */

#include "config.h"

#include <string.h>
#if HAVE_DLADDR
# include <dlfcn.h>
#endif

#include <gio/gio.h>

#include "async-runner-binding-private.h"

#if HAVE_DLADDR

typedef gpointer (*GetCurrentFunc) (void);

/* libgjs's gjs_context_get_current(), once GJS is found: atomic. A GType
 * is never unregistered, and we hold a handle on its object. */
static GetCurrentFunc gjs_get_current;

/* C functions found in a loaded object other than libffi, by address:
 * atomic, written by any thread, a miss only costs a lookup. (A function
 * of an object that was unloaded stays listed; an anonymous mapping that
 * later reuses its address would be taken for C.) */
#define N_VERIFIED 64
static gpointer verified[N_VERIFIED];

static inline gpointer *
verified_slot (gpointer func)
{
  return &verified[((guintptr) func >> 4) % N_VERIFIED];
}

/* Any thread: TRUE if @func lies in no loaded object, or in libffi's
 * trampolines: a binding's closure. */
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

/* Any thread: gjs_context_get_current(), if GJS has made a context in
 * this process (see the NOTES), else NULL. */
static GetCurrentFunc
find_gjs (void)
{
  GetCurrentFunc found = (GetCurrentFunc) g_atomic_pointer_get (&gjs_get_current);
  GObjectClass *klass;
  GType type;
  Dl_info info;
  gpointer handle;

  if (found != NULL)
    return found;

  type = g_type_from_name ("GjsContext");
  klass = type != 0 ? g_type_class_peek (type) : NULL;
  if (klass == NULL || klass->finalize == NULL ||
      dladdr ((gpointer) klass->finalize, &info) == 0 || info.dli_fname == NULL)
    return NULL;

  /* The object already loaded, whichever way: RTLD_NOLOAD loads nothing.
   * The handle is kept: the GType outlives any unloading anyway. */
  handle = dlopen (info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  found = (GetCurrentFunc) dlsym (handle != NULL ? handle : RTLD_DEFAULT,
                                  "gjs_context_get_current");
  if (found == NULL)
    return NULL;

  /* Racing threads store the same function. */
  g_atomic_pointer_set (&gjs_get_current, (gpointer) found);
  return found;
}

#endif /* HAVE_DLADDR */

/* Any thread: FALSE with @error set if @func is a JavaScript function,
 * which GJS cannot run on the runner thread. A C function seen before
 * costs one load. */
gboolean
_async_runner_binding_check_function (gpointer   func,
                                      GError   **error)
{
#if HAVE_DLADDR
  GetCurrentFunc get_current;

  if G_LIKELY (g_atomic_pointer_get (verified_slot (func)) == func)
    return TRUE;

  if (!is_binding_closure (func))
    {
      g_atomic_pointer_set (verified_slot (func), func);
      return TRUE;
    }

  get_current = find_gjs ();
  if (get_current != NULL && get_current () != NULL)
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
