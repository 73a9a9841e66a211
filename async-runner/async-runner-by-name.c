/* async-runner-by-name.c: introspected asynchronous functions called by name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NOTES
 * A call by name is a call_sync() whose start function is the library's
 * own: the caller's thread looks the `_async` function and its `_finish`
 * up in the typelib (once: the outcome is cached), converts the GValue
 * arguments into C arguments, and hands them to async_runner_call_sync().
 * On the runner thread the start function only fills in the cancellable,
 * the callback and its data and calls the function through libffi; no
 * binding code runs there. Back on the caller's thread the `_finish`
 * function is called the same way and its results become GValues.
 *
 * The hot path touches no typelib: everything a call needs (the libffi
 * call interfaces, each argument's role and conversion) is worked out when
 * a name is first looked up, under @by_name_lock.
 */

#include "config.h"

#include <string.h>

#include "async-runner.h"

#include "async-runner-compat-private.h"
#if ASYNC_RUNNER_BY_NAME
# include "async-runner-by-name-private.h"
#endif

/**
 * async_runner_call_method_sync:
 * @self: a runner
 * @object: the object whose method is called
 * @method: the name of an asynchronous method of @object, such as
 *   `"load_contents_async"` (or `"load_contents"`: `_async` is appended
 *   when the name as given is not an asynchronous method)
 * @args: (array length=n_args) (nullable): the method's arguments other
 *   than the instance, the cancellable, the callback and its data, in order
 * @n_args: the number of @args
 * @cancellable: (nullable): a cancellable for the call
 * @out_values: (out) (array length=n_out_values) (transfer full) (optional):
 *   where to store the values the finish function returns
 * @n_out_values: (out) (optional): where to store the number of @out_values
 * @error: return location for a #GError
 *
 * Calls an asynchronous method of @object on the runner thread, waits for
 * it as [method@AsyncRunner.Runner.call_sync] does, then calls its finish
 * function on the calling thread and returns what that gave.
 *
 * The method is looked up with GObject Introspection, on the class of
 * @object, its ancestors and its interfaces (a `GLocalFile` answers
 * [iface@Gio.File]'s methods). Its finish function is the one the typelib
 * names for it (girepository >= 2.84), else the one named by convention
 * (`foo_async` → `foo_finish`, `foo` → `foo_finish`). Look-ups are cached,
 * so a repeated call costs little more than
 * [method@AsyncRunner.Runner.call_sync] with a start function written by
 * hand.
 *
 * The method is looked up in the typelib that describes the object's type
 * in this process, never in another version of its namespace: a version
 * already loaded (a binding has loaded it; `Gio`, `GLib` and `GObject`
 * always are), else the one installed version, or the one of several
 * whose shared libraries the process has loaded, of the namespace that
 * the type's name suggests (`SoupSession` → `Soup`). Loading libsoup 3
 * into a process that uses libsoup 2 would abort it; where the versions
 * cannot be told apart so, the call fails with
 * %G_IO_ERROR_INVALID_ARGUMENT.
 *
 * Each of @args is converted to its parameter's type: numbers from any
 * numeric value (within range, and integral for integer parameters),
 * enumerations and flags from integers or their own type, strings,
 * objects and interfaces (an instance of the parameter's type), boxed
 * types, [struct@GLib.Variant], strv, a [struct@GLib.Bytes] for a byte
 * array, and %NULL (a pointer or an empty object, string or boxed value)
 * for a nullable parameter. Too few or too many @args, or one that cannot
 * be converted, fail the call with %G_IO_ERROR_INVALID_ARGUMENT naming the
 * argument, its expected type and what was given; nothing is called then.
 * A number that does not fit is refused the same way: an integer out of
 * range or not integral, a `gfloat` beyond its range, a `gunichar` that
 * is no Unicode character. Callbacks other than the
 * [callback@Gio.AsyncReadyCallback] (a progress callback), with their
 * data and destroy notify, are passed %NULL; a method that needs one
 * cannot be called.
 *
 * The arguments belong to the operation until it calls back, even when
 * the call ends before (cancellation, a timeout, shutdown): each of @args
 * is copied (strings, strv, boxed values) or referenced (objects,
 * [struct@GLib.Bytes], [struct@GLib.Variant]) before the call, and
 * released once the operation has called back, as is a reference to
 * @object; so the caller may free @args as soon as the call returns. Only
 * a raw pointer (a %G_TYPE_POINTER value) is passed as it is.
 *
 * @out_values holds the finish function's return value (unless it returns
 * nothing) followed by its out parameters, in order: `load_contents_async`
 * gives `TRUE`, the contents and the etag. Byte arrays come as
 * [struct@GLib.Bytes], arrays and lists of strings as strv, arrays and
 * lists of objects as a [class@Gio.ListStore] of the element type (a
 * [iface@Gio.ListModel]: JavaScript iterates it with `for...of` or
 * `[...model]` and has `get_n_items()` and `get_item()`; Python iterates,
 * indexes it and takes its `len()`). Every integer comes back as a
 * %G_TYPE_INT64 or a %G_TYPE_UINT64 value whatever its width, on every
 * platform: a `gsize` is 32 bits on i386 and 64 on amd64, and a typelib
 * cannot tell it from a `guint` or a `guint64`. A `gunichar` comes back as
 * a %G_TYPE_UINT, a `gfloat` as a %G_TYPE_FLOAT, a `gdouble` as a
 * %G_TYPE_DOUBLE, anything else as a value of its own type. A %NULL
 * string, array or object comes back as a value of its type holding %NULL
 * (`read_line_finish()`'s %NULL at the end of a stream is not an empty
 * [struct@GLib.Bytes]); a %NULL `GList` is the empty list. Free the
 * values with g_value_unset() each, then g_free(). When the call fails,
 * @out_values is %NULL and @n_out_values 0.
 *
 * The call is named after the function (`Gio.File.load_contents_async`)
 * in the stuck-call report, [method@AsyncRunner.Runner.dup_pending_calls]
 * and debug messages.
 *
 * The typelibs are read with the girepository library that the process
 * already uses (PyGObject's or GJS's: libgirepository-1.0 or
 * girepository-2.0; the two must never meet in one process), else with
 * the one installed, girepository-2.0 first.
 *
 * Errors of the finish function reach the caller unchanged. Cancelling
 * @cancellable, the [property@AsyncRunner.Runner:timeout] and shutdown
 * end the call as with [method@AsyncRunner.Runner.call_sync], cancelling
 * the cancellable passed to the method. A call on the runner thread
 * iterates the runner's context until the method calls back.
 *
 * No code of the caller's language runs on the runner thread, so this
 * works from languages whose functions cannot run on another thread,
 * such as JavaScript.
 *
 * From `examples/load-things.js`:
 *
 * ```js
 * const runner = AsyncRunner.Runner.get_default();
 * ...
 *     const file = Gio.File.new_for_path(path);
 *     const [ok, contents] = runner.call_method_sync(file, 'load_contents_async', [], null);
 * ```
 *
 * Bindings see the values alone, as a list (the boolean return is
 * skipped; see [method@AsyncRunner.Runner.call_method_sync_values]).
 *
 * From `examples/load-things.py`:
 *
 * ```python
 * runner = AsyncRunner.Runner.get_default()
 * ...
 * ok, contents, etag = runner.call_method_sync(tmp, "load_contents_async", [], None)
 * ```
 *
 * PyGObject cannot put None, integers beyond 32 bits, `bytes` or lists of
 * strings in a GValue by itself: the Python override converts them (to a
 * %NULL pointer, a 64-bit integer, a [struct@GLib.Bytes], a strv). GJS
 * puts `null` as a %NULL pointer and a number as a double (converted to
 * the parameter's type when it is an integer in range); GJS 1.74 crashes on
 * a JavaScript array among @args, so pass a strv as a `GObject.Value`
 * there.
 *
 * A library built without GObject Introspection has this function too: it
 * fails with %G_IO_ERROR_NOT_SUPPORTED.
 *
 * This function is thread-safe.
 *
 * Returns: (skip): %TRUE if the finish function succeeded; %FALSE with
 *   @error set otherwise
 *
 * Since: 1.0
 */

/**
 * async_runner_call_function_sync:
 * @self: a runner
 * @namespace_: the namespace of the function, such as `"Gio"`, or a
 *   namespace and its version, such as `"Soup-3.0"`; its typelib is
 *   loaded if it is not yet
 * @function: the name of an asynchronous function of @namespace_:
 *   a function (`"bus_get"`) or a static method or constructor of a type
 *   (`"File.new_tmp_async"`, `"DBusProxy.new_for_bus"`); `_async` is
 *   appended when the name as given is not an asynchronous function
 * @args: (array length=n_args) (nullable): the function's arguments other
 *   than the cancellable, the callback and its data, in order
 * @n_args: the number of @args
 * @cancellable: (nullable): a cancellable for the call
 * @out_values: (out) (array length=n_out_values) (transfer full) (optional):
 *   where to store the values the finish function returns
 * @n_out_values: (out) (optional): where to store the number of @out_values
 * @error: return location for a #GError
 *
 * Calls an asynchronous function on the runner thread, waits for it as
 * [method@AsyncRunner.Runner.call_sync] does, then calls its finish
 * function on the calling thread and returns what that gave, exactly as
 * [method@AsyncRunner.Runner.call_method_sync] does for methods.
 *
 * A namespace without a version is used at the version already loaded in
 * the process, else at its one installed version, else at the one of
 * several installed whose shared libraries the process has loaded; where
 * none or several are, the call fails with %G_IO_ERROR_INVALID_ARGUMENT,
 * naming the versions, rather than load a second version of a library
 * into the process. A namespace with a version (`"Soup-3.0"`) is loaded
 * at that version, and fails with %G_IO_ERROR_NOT_FOUND if another is
 * loaded. A method given as a function (`"File.load_contents_async"`)
 * fails with %G_IO_ERROR_INVALID_ARGUMENT: call it with
 * [method@AsyncRunner.Runner.call_method_sync].
 *
 * From `examples/load-things.js`:
 *
 * ```js
 * const [tmp, stream] = runner.call_function_sync('Gio', 'File.new_tmp_async',
 *     ['load-things-XXXXXX.txt', GLib.PRIORITY_DEFAULT], null);
 * ```
 *
 * From `examples/load-things.py`:
 *
 * ```python
 * tmp, stream = runner.call_function_sync(
 *     "Gio", "File.new_tmp_async", ["load-things-XXXXXX.txt", GLib.PRIORITY_DEFAULT], None)
 * ```
 *
 * This function is thread-safe.
 *
 * Returns: (skip): %TRUE if the finish function succeeded; %FALSE with
 *   @error set otherwise
 *
 * Since: 1.0
 */

#if ASYNC_RUNNER_BY_NAME

/* One call: the arguments (owned until the operation calls back) and what
 * the start function says. The caller's stack; read by the runner thread
 * only until the start function returns. */
typedef struct
{
  ByNameArgs *args;
  GError     *start_error;   /* a throwing async function's error */
} Invocation;

/* Runner thread: calls the async function, through the arguments' owner. */
static gboolean
start_by_name (AsyncRunner         *runner,
               gpointer             user_data,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             callback_data)
{
  Invocation *invocation = user_data;

  return _async_runner_by_name_args_invoke (invocation->args, cancellable, callback,
                                            callback_data, &invocation->start_error);
}

/* The length of the array that @slot of @finish returned, from its length
 * argument in @args; 0 if it has none */
static gsize
array_length (const Callable   *finish,
              const Slot       *slot,
              const GIArgument *args)
{
  if (slot->length < 0)
    return 0;
  return _async_runner_by_name_get_length (&args[slot->length], finish->slots[slot->length].kind);
}

/* The caller's thread: calls the finish function with @result. */
static gboolean
finish_by_name (const ByName  *by_name,
                GObject       *instance,
                GAsyncResult  *result,
                GValue       **out_values,
                guint         *n_out_values,
                GError       **error)
{
  const Callable *finish = &by_name->finish;
  GIArgument *args = g_newa (GIArgument, finish->n_slots);
  gpointer *out_ptrs = g_newa (gpointer, finish->n_slots);
  void **ffi_args = g_newa (void *, finish->n_slots + 1);
  g_autoptr(GObject) source = NULL;
  GError *local_error = NULL;
  GError **error_ptr = &local_error;
  GIArgument ret_arg = { 0, };
  guint64 ret[2] = { 0, 0 };
  GValue *values;
  guint n = 0;
  guint i;

  memset (args, 0, sizeof (GIArgument) * finish->n_slots);

  for (i = 0; i < finish->n_slots; i++)
    {
      switch (finish->slots[i].role)
        {
        case ROLE_INSTANCE:
          if (instance == NULL)
            instance = source = g_async_result_get_source_object (result);
          args[i].v_pointer = instance;
          ffi_args[i] = &args[i];
          break;
        case ROLE_RESULT:
          args[i].v_pointer = result;
          ffi_args[i] = &args[i];
          break;
        case ROLE_OUT:
        case ROLE_LENGTH:
          out_ptrs[i] = &args[i];
          ffi_args[i] = &out_ptrs[i];
          break;
        default:
          args[i].v_pointer = NULL;
          ffi_args[i] = &args[i];
          break;
        }
    }
  if (finish->throws)
    ffi_args[finish->n_slots] = &error_ptr;

  ffi_call ((ffi_cif *) &finish->invoker.cif, FFI_FN (finish->invoker.native_address),
            ret, ffi_args);

  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  if (finish->ret.kind != KIND_VOID)
    _async_runner_by_name_extract_return (finish->ret.kind, ret, &ret_arg);

  values = g_new0 (GValue, MAX (by_name->n_out_values, 1));

  if (finish->ret.kind != KIND_VOID)
    _async_runner_by_name_convert_out (&finish->ret, &ret_arg,
                                       array_length (finish, &finish->ret, args),
                                       &values[n++]);

  for (i = 0; i < finish->n_slots; i++)
    if (finish->slots[i].role == ROLE_OUT)
      _async_runner_by_name_convert_out (&finish->slots[i], &args[i],
                                         array_length (finish, &finish->slots[i], args),
                                         &values[n++]);

  g_assert (n == by_name->n_out_values);

  if (n_out_values != NULL)
    *n_out_values = n;
  if (out_values != NULL)
    *out_values = values;
  else
    {
      for (i = 0; i < n; i++)
        g_value_unset (&values[i]);
      g_free (values);
    }

  return TRUE;
}

/* Any thread: one call. The call is named after the function
 * ("Gio.File.load_contents_async") in the stuck-call report, the pending
 * calls and debug messages. */
static gboolean
call_by_name (AsyncRunner    *self,
              const ByName   *by_name,
              GObject        *instance,
              const GValue   *values,
              guint           n_values,
              GCancellable   *cancellable,
              GValue        **out_values,
              guint          *n_out_values,
              GError        **error)
{
  g_autoptr(ByNameArgs) args = NULL;
  Invocation invocation = { NULL, NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;

  args = _async_runner_by_name_args_new (by_name, instance, values, n_values, error);
  if (args == NULL)
    return FALSE;

  invocation.args = args;
  result = async_runner_call_sync_full (self, by_name->async.what, 0, start_by_name,
                                        &invocation, cancellable, &local_error);
  if (result == NULL)
    {
      if (invocation.start_error != NULL)
        g_propagate_error (error, g_steal_pointer (&invocation.start_error));
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_clear_error (&invocation.start_error);

  return finish_by_name (by_name, instance, result, out_values, n_out_values, error);
}

#endif /* ASYNC_RUNNER_BY_NAME */

static void
clear_out_values (GValue **out_values,
                  guint   *n_out_values)
{
  if (out_values != NULL)
    *out_values = NULL;
  if (n_out_values != NULL)
    *n_out_values = 0;
}

gboolean
async_runner_call_method_sync (AsyncRunner   *self,
                               GObject       *object,
                               const char    *method,
                               const GValue  *args,
                               guint          n_args,
                               GCancellable  *cancellable,
                               GValue       **out_values,
                               guint         *n_out_values,
                               GError       **error)
{
  g_return_val_if_fail (ASYNC_IS_RUNNER (self), FALSE);
  g_return_val_if_fail (G_IS_OBJECT (object), FALSE);
  g_return_val_if_fail (method != NULL, FALSE);
  g_return_val_if_fail (args != NULL || n_args == 0, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  clear_out_values (out_values, n_out_values);

#if ASYNC_RUNNER_BY_NAME
  {
    const ByName *by_name = _async_runner_by_name_find_method (G_OBJECT_TYPE (object), method,
                                                               error);

    if (by_name == NULL)
      return FALSE;

    return call_by_name (self, by_name, object, args, n_args, cancellable,
                         out_values, n_out_values, error);
  }
#else
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "async-runner was built without libffi: "
               "the method %s of %s cannot be looked up",
               method, G_OBJECT_TYPE_NAME (object));
  return FALSE;
#endif
}

gboolean
async_runner_call_function_sync (AsyncRunner   *self,
                                 const char    *namespace_,
                                 const char    *function,
                                 const GValue  *args,
                                 guint          n_args,
                                 GCancellable  *cancellable,
                                 GValue       **out_values,
                                 guint         *n_out_values,
                                 GError       **error)
{
  g_return_val_if_fail (ASYNC_IS_RUNNER (self), FALSE);
  g_return_val_if_fail (namespace_ != NULL, FALSE);
  g_return_val_if_fail (function != NULL, FALSE);
  g_return_val_if_fail (args != NULL || n_args == 0, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  clear_out_values (out_values, n_out_values);

#if ASYNC_RUNNER_BY_NAME
  {
    const ByName *by_name = _async_runner_by_name_find_function (namespace_, function, error);

    if (by_name == NULL)
      return FALSE;

    return call_by_name (self, by_name, NULL, args, n_args, cancellable,
                         out_values, n_out_values, error);
  }
#else
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "async-runner was built without libffi: "
               "the function %s.%s cannot be looked up",
               namespace_, function);
  return FALSE;
#endif
}

/**
 * async_runner_call_method_sync_values: (rename-to async_runner_call_method_sync)
 * @self: a runner
 * @object: the object whose method is called
 * @method: the name of an asynchronous method of @object
 * @args: (array length=n_args) (nullable): the method's arguments other
 *   than the instance, the cancellable, the callback and its data, in order
 * @n_args: the number of @args
 * @cancellable: (nullable): a cancellable for the call
 * @n_out_values: (out) (optional): where to store the number of values
 *   returned
 * @error: return location for a #GError
 *
 * [method@AsyncRunner.Runner.call_method_sync] for language bindings: the
 * same call, returning the values alone. Bindings present it as
 * `call_method_sync()`, so that every version of GJS and PyGObject returns
 * the values, whether or not it honours the `(skip)` annotation of a
 * return value (GJS before 1.85 does not).
 *
 * This function is thread-safe.
 *
 * Returns: (array length=n_out_values) (transfer full) (nullable): the
 *   values, never %NULL on success (even when there are none); %NULL with
 *   @error set when the call failed
 *
 * Since: 1.0
 */
GValue *
async_runner_call_method_sync_values (AsyncRunner   *self,
                                      GObject       *object,
                                      const char    *method,
                                      const GValue  *args,
                                      guint          n_args,
                                      GCancellable  *cancellable,
                                      guint         *n_out_values,
                                      GError       **error)
{
  GValue *values = NULL;
  guint n_values = 0;

  if (n_out_values != NULL)
    *n_out_values = 0;

  if (!async_runner_call_method_sync (self, object, method, args, n_args, cancellable,
                                      &values, &n_values, error))
    return NULL;

  if (n_out_values != NULL)
    *n_out_values = n_values;
  return values;
}

/**
 * async_runner_call_function_sync_values: (rename-to async_runner_call_function_sync)
 * @self: a runner
 * @namespace_: the namespace of the function, such as `"Gio"`
 * @function: the name of an asynchronous function of @namespace_
 * @args: (array length=n_args) (nullable): the function's arguments other
 *   than the cancellable, the callback and its data, in order
 * @n_args: the number of @args
 * @cancellable: (nullable): a cancellable for the call
 * @n_out_values: (out) (optional): where to store the number of values
 *   returned
 * @error: return location for a #GError
 *
 * [method@AsyncRunner.Runner.call_function_sync] for language bindings:
 * the same call, returning the values alone. Bindings present it as
 * `call_function_sync()` (see
 * [method@AsyncRunner.Runner.call_method_sync_values]).
 *
 * This function is thread-safe.
 *
 * Returns: (array length=n_out_values) (transfer full) (nullable): the
 *   values, never %NULL on success (even when there are none); %NULL with
 *   @error set when the call failed
 *
 * Since: 1.0
 */
GValue *
async_runner_call_function_sync_values (AsyncRunner   *self,
                                        const char    *namespace_,
                                        const char    *function,
                                        const GValue  *args,
                                        guint          n_args,
                                        GCancellable  *cancellable,
                                        guint         *n_out_values,
                                        GError       **error)
{
  GValue *values = NULL;
  guint n_values = 0;

  if (n_out_values != NULL)
    *n_out_values = 0;

  if (!async_runner_call_function_sync (self, namespace_, function, args, n_args, cancellable,
                                        &values, &n_values, error))
    return NULL;

  if (n_out_values != NULL)
    *n_out_values = n_values;
  return values;
}
