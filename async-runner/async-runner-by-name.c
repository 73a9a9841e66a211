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

#include <math.h>
#include <string.h>

#include "async-runner.h"

#include "async-runner-compat-private.h"
#if ASYNC_RUNNER_BY_NAME
# include "async-runner-gi-private.h"
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
 * hand. The typelib of the object's namespace must be loaded (a binding
 * has loaded it; `Gio`, `GLib` and `GObject` always are); other
 * namespaces are loaded on demand when their name can be told from the
 * type's name (`SoupSession` → `Soup`).
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
 * Callbacks other than the [callback@Gio.AsyncReadyCallback] (a progress
 * callback) are passed %NULL; a method that needs one cannot be called.
 *
 * @out_values holds the finish function's return value (unless it returns
 * nothing) followed by its out parameters, in order: `load_contents_async`
 * gives `TRUE`, the contents and the etag. Byte arrays come as
 * [struct@GLib.Bytes], arrays and lists of strings as strv, arrays and
 * lists of objects as a [class@Gio.ListStore] of the element type (a
 * [iface@Gio.ListModel]: JavaScript iterates it with `for...of` or
 * `[...model]` and has `get_n_items()` and `get_item()`; Python iterates,
 * indexes it and takes its `len()`), anything else as a value of
 * its own type. Free them with g_value_unset() each, then g_free(). When
 * the call fails, @out_values is %NULL and @n_out_values 0.
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
 * @namespace_: the namespace of the function, such as `"Gio"`; its
 *   typelib is loaded if it is not yet
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

typedef enum
{
  ROLE_ARG,            /* one of the caller's args */
  ROLE_INSTANCE,
  ROLE_CANCELLABLE,
  ROLE_CALLBACK,       /* the GAsyncReadyCallback */
  ROLE_CALLBACK_DATA,
  ROLE_NULL,           /* another callback, its data or its destroy notify */
  ROLE_LENGTH,         /* the length of an array argument */
  ROLE_RESULT,         /* the finish function's GAsyncResult */
  ROLE_OUT,            /* an out value */
} Role;

typedef enum
{
  KIND_VOID,
  KIND_BOOLEAN,
  KIND_INT8,
  KIND_UINT8,
  KIND_INT16,
  KIND_UINT16,
  KIND_INT32,
  KIND_UINT32,
  KIND_INT64,
  KIND_UINT64,
  KIND_FLOAT,
  KIND_DOUBLE,
  KIND_UNICHAR,
  KIND_GTYPE,
  KIND_ENUM,           /* @gtype, or G_TYPE_NONE when not registered */
  KIND_FLAGS,
  /* Kinds from here on can be NULL. */
  KIND_POINTER,
  KIND_STRING,
  KIND_OBJECT,         /* an object or interface: @gtype */
  KIND_BOXED,
  KIND_VARIANT,
  KIND_STRV,           /* a zero-terminated C array of strings */
  KIND_BYTES,          /* a C array of bytes with a length, or a GByteArray */
  KIND_OBJECT_LIST,    /* out only: objects of @gtype in a @container */
  KIND_STRING_LIST,    /* out only: strings in a @container */
} Kind;

typedef enum
{
  CONTAINER_NONE,
  CONTAINER_C_ARRAY,
  CONTAINER_PTR_ARRAY,
  CONTAINER_BYTE_ARRAY,
  CONTAINER_LIST,
  CONTAINER_SLIST,
} Container;

typedef struct
{
  char       *name;         /* the parameter's name, for messages */
  char       *type_name;    /* its type, for messages */
  Role        role;
  Kind        kind;
  Container   container;
  GType       gtype;
  GITransfer  transfer;
  int         length;       /* the slot of this array's length, or -1 */
  int         array;        /* ROLE_LENGTH: the slot of the array */
  guint       arg_index;    /* ROLE_ARG: its place in the caller's args */
  guint       nullable : 1;
  guint       zero_terminated : 1;
} Slot;

typedef struct
{
  char              *what;      /* "Gio.File.load_contents_async" */
  GIFunctionInvoker  invoker;
  Slot              *slots;     /* one per C argument, the instance first */
  guint              n_slots;
  Slot               ret;       /* KIND_VOID: none */
  guint              throws : 1;
  guint              is_method : 1;
} Callable;

typedef struct
{
  Callable  async;
  Callable  finish;
  guint    *arg_slots;      /* the caller's args: their slot in @async */
  guint     n_args;
  guint     n_out_values;
} ByName;

typedef struct
{
  GType       type;         /* methods: the object's class */
  const char *namespace_;   /* functions */
  const char *name;
} Key;

/* Protects the repository and @by_name_cache. A name is looked up once
 * under the writer lock; calls read the cache under the reader lock, and
 * its entries live as long as the process, like the typelibs. */
static GRWLock      by_name_lock;
static GHashTable  *by_name_cache;    /* Key* => ByName* */
static gboolean     gio_loaded;

static guint
key_hash (gconstpointer data)
{
  const Key *key = data;

  return g_str_hash (key->name) ^ (guint) key->type ^
         (key->namespace_ != NULL ? g_str_hash (key->namespace_) : 0);
}

static gboolean
key_equal (gconstpointer a,
           gconstpointer b)
{
  const Key *ka = a;
  const Key *kb = b;

  return ka->type == kb->type &&
         g_strcmp0 (ka->namespace_, kb->namespace_) == 0 &&
         strcmp (ka->name, kb->name) == 0;
}

/* ---- Look-up: under the writer lock ---- */

/* "Gio.File" for a type, "gint32" for a basic one */
static char *
describe_type (GITypeInfo *type)
{
  GITypeTag tag = gi_type_info_get_tag (type);

  if (tag == GI_TYPE_TAG_INTERFACE)
    {
      GIBaseInfo *iface = gi_type_info_get_interface (type);
      char *name = g_strdup_printf ("%s.%s", gi_base_info_get_namespace (iface),
                                    gi_base_info_get_name (iface));

      gi_base_info_unref (iface);
      return name;
    }

  if (tag == GI_TYPE_TAG_ARRAY || tag == GI_TYPE_TAG_GLIST || tag == GI_TYPE_TAG_GSLIST)
    {
      GITypeInfo *element = gi_type_info_get_param_type (type, 0);
      g_autofree char *element_name = element != NULL ? describe_type (element) : g_strdup ("?");
      const char *container = tag == GI_TYPE_TAG_ARRAY ? "array" :
                              tag == GI_TYPE_TAG_GLIST ? "GLib.List" : "GLib.SList";

      g_clear_pointer (&element, gi_base_info_unref);
      return g_strdup_printf ("%s of %s", container, element_name);
    }

  if (tag == GI_TYPE_TAG_UTF8 || tag == GI_TYPE_TAG_FILENAME)
    return g_strdup ("string");

  return g_strdup (gi_type_tag_to_string (tag));
}

static Kind
kind_of_tag (GITypeTag tag)
{
  switch (tag)
    {
    case GI_TYPE_TAG_BOOLEAN: return KIND_BOOLEAN;
    case GI_TYPE_TAG_INT8: return KIND_INT8;
    case GI_TYPE_TAG_UINT8: return KIND_UINT8;
    case GI_TYPE_TAG_INT16: return KIND_INT16;
    case GI_TYPE_TAG_UINT16: return KIND_UINT16;
    case GI_TYPE_TAG_INT32: return KIND_INT32;
    case GI_TYPE_TAG_UINT32: return KIND_UINT32;
    case GI_TYPE_TAG_INT64: return KIND_INT64;
    case GI_TYPE_TAG_UINT64: return KIND_UINT64;
    case GI_TYPE_TAG_FLOAT: return KIND_FLOAT;
    case GI_TYPE_TAG_DOUBLE: return KIND_DOUBLE;
    case GI_TYPE_TAG_UNICHAR: return KIND_UNICHAR;
    case GI_TYPE_TAG_GTYPE: return KIND_GTYPE;
    case GI_TYPE_TAG_UTF8:
    case GI_TYPE_TAG_FILENAME: return KIND_STRING;
    default: return KIND_VOID;
    }
}

static gboolean
is_async_ready_callback (GIBaseInfo *iface)
{
  return _async_runner_gi_is_callback (iface) &&
         strcmp (gi_base_info_get_namespace (iface), "Gio") == 0 &&
         strcmp (gi_base_info_get_name (iface), "AsyncReadyCallback") == 0;
}

/* The GType of an object, interface or boxed type info, or G_TYPE_NONE. */
static GType
registered_gtype (GIBaseInfo *iface)
{
  GType gtype = gi_registered_type_info_get_g_type ((GIRegisteredTypeInfo *) iface);

  return gtype == G_TYPE_INVALID ? G_TYPE_NONE : gtype;
}

/* Fills @slot's kind from @type; FALSE if the type cannot be converted in
 * the direction @out says. */
static gboolean
classify (Slot       *slot,
          GITypeInfo *type,
          gboolean    out)
{
  GITypeTag tag = gi_type_info_get_tag (type);

  slot->kind = kind_of_tag (tag);
  if (slot->kind != KIND_VOID)
    return TRUE;

  if (tag == GI_TYPE_TAG_VOID)
    {
      /* A gpointer: only NULL or a pointer value can be given. */
      slot->kind = KIND_POINTER;
      return gi_type_info_is_pointer (type);
    }

  if (tag == GI_TYPE_TAG_INTERFACE)
    {
      GIBaseInfo *iface = gi_type_info_get_interface (type);
      gboolean ok = TRUE;

      if (_async_runner_gi_is_flags (iface))
        {
          slot->kind = KIND_FLAGS;
          slot->gtype = registered_gtype (iface);
        }
      else if (_async_runner_gi_is_enum (iface))
        {
          slot->kind = KIND_ENUM;
          slot->gtype = registered_gtype (iface);
        }
      else if (_async_runner_gi_is_object (iface) || _async_runner_gi_is_interface (iface))
        {
          slot->kind = KIND_OBJECT;
          slot->gtype = registered_gtype (iface);
          ok = G_TYPE_IS_OBJECT (slot->gtype) || G_TYPE_IS_INTERFACE (slot->gtype);
        }
      else if ((_async_runner_gi_is_struct (iface) || _async_runner_gi_is_union (iface)) &&
               strcmp (gi_base_info_get_namespace (iface), "GLib") == 0 &&
               strcmp (gi_base_info_get_name (iface), "Variant") == 0)
        {
          slot->kind = KIND_VARIANT;
          slot->gtype = G_TYPE_VARIANT;
        }
      else if (_async_runner_gi_is_struct (iface) || _async_runner_gi_is_union (iface))
        {
          slot->kind = KIND_BOXED;
          slot->gtype = registered_gtype (iface);
          ok = G_TYPE_IS_BOXED (slot->gtype) && gi_type_info_is_pointer (type);
        }
      else
        ok = FALSE;

      gi_base_info_unref (iface);
      return ok;
    }

  if (tag == GI_TYPE_TAG_ARRAY || tag == GI_TYPE_TAG_GLIST || tag == GI_TYPE_TAG_GSLIST)
    {
      GITypeInfo *element_type = gi_type_info_get_param_type (type, 0);
      Slot element = { 0, };
      gboolean ok;

      if (element_type == NULL)
        return FALSE;
      ok = classify (&element, element_type, out);
      gi_base_info_unref (element_type);
      if (!ok)
        return FALSE;

      if (tag == GI_TYPE_TAG_GLIST)
        slot->container = CONTAINER_LIST;
      else if (tag == GI_TYPE_TAG_GSLIST)
        slot->container = CONTAINER_SLIST;
      else
        switch (gi_type_info_get_array_type (type))
          {
          case GI_ARRAY_TYPE_C:
            slot->container = CONTAINER_C_ARRAY;
            slot->zero_terminated = gi_type_info_is_zero_terminated (type);
            break;
          case GI_ARRAY_TYPE_PTR_ARRAY:
            slot->container = CONTAINER_PTR_ARRAY;
            break;
          case GI_ARRAY_TYPE_BYTE_ARRAY:
            slot->container = CONTAINER_BYTE_ARRAY;
            break;
          default:
            return FALSE;
          }

      if (slot->container == CONTAINER_BYTE_ARRAY ||
          (slot->container == CONTAINER_C_ARRAY &&
           (element.kind == KIND_UINT8 || element.kind == KIND_INT8)))
        {
          slot->kind = KIND_BYTES;
          /* In: from a GBytes, which needs the length passed along. */
          return slot->container == CONTAINER_BYTE_ARRAY
                   ? out
                   : slot->length >= 0 || (out && slot->zero_terminated);
        }

      if (element.kind == KIND_STRING)
        {
          if (slot->container == CONTAINER_C_ARRAY && slot->zero_terminated &&
              slot->length < 0)
            {
              slot->kind = KIND_STRV;
              return TRUE;
            }
          slot->kind = KIND_STRING_LIST;
          return out && slot->container != CONTAINER_C_ARRAY &&
                 slot->container != CONTAINER_PTR_ARRAY;
        }

      if (element.kind == KIND_OBJECT)
        {
          slot->kind = KIND_OBJECT_LIST;
          slot->gtype = element.gtype;
          return out && (slot->container != CONTAINER_C_ARRAY ||
                         slot->length >= 0 || slot->zero_terminated);
        }

      return FALSE;
    }

  return FALSE;
}

static void
callable_clear (Callable *callable)
{
  guint i;

  for (i = 0; i < callable->n_slots; i++)
    {
      g_free (callable->slots[i].name);
      g_free (callable->slots[i].type_name);
    }
  g_free (callable->slots);
  g_free (callable->ret.name);
  g_free (callable->ret.type_name);
  g_free (callable->what);
  if (callable->invoker.native_address != NULL)
    gi_function_invoker_clear (&callable->invoker);
  memset (callable, 0, sizeof *callable);
}

static void
by_name_free (ByName *by_name)
{
  callable_clear (&by_name->async);
  callable_clear (&by_name->finish);
  g_free (by_name->arg_slots);
  g_free (by_name);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ByName, by_name_free)

static char *
describe_function (GIBaseInfo *info)
{
  GIBaseInfo *container = gi_base_info_get_container (info);

  if (container != NULL)
    return g_strdup_printf ("%s.%s.%s", gi_base_info_get_namespace (info),
                            gi_base_info_get_name (container), gi_base_info_get_name (info));

  return g_strdup_printf ("%s.%s", gi_base_info_get_namespace (info), gi_base_info_get_name (info));
}

static gboolean
unsupported (Callable    *callable,
             const char  *name,
             const char  *type_name,
             const char  *why,
             GError     **error)
{
  if (name[0] == '\0')
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "%s cannot be called by name: its return value (%s) %s",
                 callable->what, type_name, why);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "%s cannot be called by name: its argument %s (%s) %s",
                 callable->what, name, type_name, why);
  return FALSE;
}

/* Sets up @callable's slots from the arguments of @info, and its invoker.
 * The roles of the special arguments are worked out first: callbacks,
 * their data, the lengths of arrays. */
static gboolean
callable_init (Callable        *callable,
               GIFunctionInfo  *info,
               gboolean         is_finish,
               GError         **error)
{
  GICallableInfo *cinfo = (GICallableInfo *) info;
  guint n = gi_callable_info_get_n_args (cinfo);
  guint offset;
  guint i;
  gboolean *assigned;
  gboolean found_callback = FALSE;
  g_autoptr(GError) local_error = NULL;

  callable->what = describe_function ((GIBaseInfo *) info);
  callable->is_method = gi_callable_info_is_method (cinfo) &&
                        !(gi_function_info_get_flags (info) & GI_FUNCTION_IS_CONSTRUCTOR);
  callable->throws = gi_callable_info_can_throw_gerror (cinfo);
  offset = callable->is_method ? 1 : 0;
  callable->n_slots = n + offset;
  callable->slots = g_new0 (Slot, callable->n_slots);
  assigned = g_newa (gboolean, callable->n_slots);
  memset (assigned, 0, sizeof (gboolean) * callable->n_slots);

  for (i = 0; i < callable->n_slots; i++)
    {
      callable->slots[i].length = -1;
      callable->slots[i].array = -1;
    }

  if (callable->is_method)
    {
      callable->slots[0].role = ROLE_INSTANCE;
      callable->slots[0].name = g_strdup ("self");
      callable->slots[0].type_name = g_strdup ("instance");
      assigned[0] = TRUE;
    }

  /* Names, types, and the special arguments that others point to. */
  for (i = 0; i < n; i++)
    {
      GIArgInfo *arg = gi_callable_info_get_arg (cinfo, i);
      GITypeInfo *type = gi_arg_info_get_type_info (arg);
      Slot *slot = &callable->slots[i + offset];
      GITypeTag tag = gi_type_info_get_tag (type);

      slot->name = g_strdup (gi_base_info_get_name ((GIBaseInfo *) arg));
      slot->type_name = describe_type (type);
      slot->nullable = gi_arg_info_may_be_null (arg);
      slot->transfer = gi_arg_info_get_ownership_transfer (arg);

      if (tag == GI_TYPE_TAG_ARRAY)
        {
          int length = _async_runner_gi_array_length (type);

          if (length >= 0 && (guint) length < n)
            {
              slot->length = length + offset;
              callable->slots[length + offset].role = ROLE_LENGTH;
              callable->slots[length + offset].array = i + offset;
              assigned[length + offset] = TRUE;
            }
        }

      if (tag == GI_TYPE_TAG_INTERFACE)
        {
          GIBaseInfo *iface = gi_type_info_get_interface (type);

          if (_async_runner_gi_is_callback (iface))
            {
              int closure = _async_runner_gi_arg_closure (arg);
              int destroy = _async_runner_gi_arg_destroy (arg);
              gboolean ready = !is_finish && is_async_ready_callback (iface) && !found_callback;

              if (ready)
                found_callback = TRUE;
              else if (!slot->nullable && local_error == NULL)
                g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                             "%s cannot be called by name: its callback argument %s (%s) "
                             "cannot be NULL",
                             callable->what, slot->name, slot->type_name);

              slot->role = ready ? ROLE_CALLBACK : ROLE_NULL;
              assigned[i + offset] = TRUE;
              if (closure >= 0 && (guint) closure < n)
                {
                  callable->slots[closure + offset].role = ready ? ROLE_CALLBACK_DATA : ROLE_NULL;
                  assigned[closure + offset] = TRUE;
                }
              if (destroy >= 0 && (guint) destroy < n)
                {
                  callable->slots[destroy + offset].role = ROLE_NULL;
                  assigned[destroy + offset] = TRUE;
                }
            }
          else if (!is_finish && _async_runner_gi_is_object (iface) &&
                   registered_gtype (iface) == G_TYPE_CANCELLABLE)
            {
              slot->role = ROLE_CANCELLABLE;
              assigned[i + offset] = TRUE;
            }
          else if (is_finish &&
                   _async_runner_gi_is_interface (iface) &&
                   registered_gtype (iface) == G_TYPE_ASYNC_RESULT)
            {
              slot->role = ROLE_RESULT;
              assigned[i + offset] = TRUE;
            }
          gi_base_info_unref (iface);
        }

      gi_base_info_unref (type);
      gi_base_info_unref (arg);
    }

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  /* A callback's data whose closure points from the data to the callback. */
  for (i = 0; i < n; i++)
    {
      GIArgInfo *arg = gi_callable_info_get_arg (cinfo, i);
      int closure = _async_runner_gi_arg_closure (arg);

      if (!assigned[i + offset] && closure >= 0 && (guint) closure < n &&
          (callable->slots[closure + offset].role == ROLE_CALLBACK ||
           callable->slots[closure + offset].role == ROLE_NULL))
        {
          callable->slots[i + offset].role =
            callable->slots[closure + offset].role == ROLE_CALLBACK ? ROLE_CALLBACK_DATA : ROLE_NULL;
          assigned[i + offset] = TRUE;
        }
      gi_base_info_unref (arg);
    }

  /* The return value, and the length of a returned array */
  {
    GITypeInfo *ret = gi_callable_info_get_return_type (cinfo);
    gboolean ok = TRUE;

    callable->ret.name = g_strdup ("");
    callable->ret.length = -1;
    callable->ret.array = -1;
    callable->ret.transfer = gi_callable_info_get_caller_owns (cinfo);
    callable->ret.nullable = TRUE;
    callable->ret.type_name = describe_type (ret);
    callable->ret.kind = KIND_VOID;

    /* An async function's return value, if any, is ignored. */
    if (is_finish &&
        (gi_type_info_get_tag (ret) != GI_TYPE_TAG_VOID || gi_type_info_is_pointer (ret)))
      {
        int length = gi_type_info_get_tag (ret) == GI_TYPE_TAG_ARRAY
                       ? _async_runner_gi_array_length (ret) : -1;

        if (length >= 0 && (guint) length < n)
          {
            callable->ret.length = length + offset;
            callable->slots[length + offset].role = ROLE_LENGTH;
            callable->slots[length + offset].array = -2;   /* the return value */
            assigned[length + offset] = TRUE;
          }
        ok = classify (&callable->ret, ret, TRUE);
      }
    gi_base_info_unref (ret);
    if (!ok)
      return unsupported (callable, "", callable->ret.type_name,
                          "has a type that cannot be converted", error);
  }

  /* The rest: the caller's arguments, or the finish function's outs. */
  for (i = 0; i < n; i++)
    {
      GIArgInfo *arg = gi_callable_info_get_arg (cinfo, i);
      GITypeInfo *type = gi_arg_info_get_type_info (arg);
      GIDirection direction = gi_arg_info_get_direction (arg);
      Slot *slot = &callable->slots[i + offset];
      gboolean out = direction == GI_DIRECTION_OUT;
      gboolean ok = TRUE;

      if (slot->role == ROLE_LENGTH)
        {
          slot->kind = kind_of_tag (gi_type_info_get_tag (type));
          ok = slot->kind >= KIND_INT8 && slot->kind <= KIND_UINT64 &&
               (direction == (is_finish ? GI_DIRECTION_OUT : GI_DIRECTION_IN));
        }
      else if (!assigned[i + offset])
        {
          if (direction == GI_DIRECTION_INOUT || out != is_finish)
            ok = unsupported (callable, slot->name, slot->type_name,
                              is_finish ? "is not an out argument" : "is not an in argument",
                              error);
          else if (out && gi_arg_info_is_caller_allocates (arg))
            ok = unsupported (callable, slot->name, slot->type_name,
                              "is caller-allocated", error);
          else if (!classify (slot, type, out))
            ok = unsupported (callable, slot->name, slot->type_name,
                              "has a type that cannot be converted", error);
          else if (!out && slot->transfer != GI_TRANSFER_NOTHING)
            ok = unsupported (callable, slot->name, slot->type_name,
                              "takes ownership of its value", error);
          else
            slot->role = out ? ROLE_OUT : ROLE_ARG;
        }

      gi_base_info_unref (type);
      gi_base_info_unref (arg);
      if (!ok)
        {
          if (error != NULL && *error == NULL)
            unsupported (callable, slot->name, slot->type_name,
                         "is the length of an array in the wrong direction", error);
          return FALSE;
        }
    }

  if (!is_finish && !found_callback)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s is not an asynchronous function: it takes no Gio.AsyncReadyCallback",
                   callable->what);
      return FALSE;
    }

  if (!gi_function_info_prep_invoker (info, &callable->invoker, &local_error))
    {
      callable->invoker.native_address = NULL;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "%s cannot be called: %s", callable->what, local_error->message);
      return FALSE;
    }

  return TRUE;
}

/* Whether @info takes a GAsyncReadyCallback: is an asynchronous function. */
static gboolean
function_is_async (GIFunctionInfo *info)
{
  GICallableInfo *cinfo = (GICallableInfo *) info;
  guint n = gi_callable_info_get_n_args (cinfo);
  gboolean found = FALSE;
  guint i;

  for (i = 0; i < n && !found; i++)
    {
      GIArgInfo *arg = gi_callable_info_get_arg (cinfo, i);
      GITypeInfo *type = gi_arg_info_get_type_info (arg);

      if (gi_type_info_get_tag (type) == GI_TYPE_TAG_INTERFACE)
        {
          GIBaseInfo *iface = gi_type_info_get_interface (type);

          found = is_async_ready_callback (iface);
          gi_base_info_unref (iface);
        }
      gi_base_info_unref (type);
      gi_base_info_unref (arg);
    }

  return found;
}

/* A method or static function named @name in @container (an object,
 * interface, struct or union info), or NULL. */
static GIFunctionInfo *
find_in_container (GIBaseInfo *container,
                   const char *name,
                   gboolean    with_interfaces)
{
  if (_async_runner_gi_is_object (container))
    return with_interfaces
             ? _async_runner_gi_object_find_method ((GIObjectInfo *) container, name)
             : gi_object_info_find_method ((GIObjectInfo *) container, name);
  if (_async_runner_gi_is_interface (container))
    return gi_interface_info_find_method ((GIInterfaceInfo *) container, name);
  if (_async_runner_gi_is_struct (container))
    return gi_struct_info_find_method ((GIStructInfo *) container, name);
  if (_async_runner_gi_is_union (container))
    return gi_union_info_find_method ((GIUnionInfo *) container, name);
  return NULL;
}

/* Loads the namespace a type's name suggests ("SoupSession" → "Soup",
 * "GtkSourceView" → "GtkSource"), trying the longest prefix of its words
 * first. GLib's own types ("GLocalFile") are in namespaces always
 * loaded. */
static void
load_namespace_of (GType type)
{
  const char *name = g_type_name (type);
  GIRepository *repository = _async_runner_gi_get_repository ();
  size_t len;

  if (name[0] == 'G' && g_ascii_isupper (name[1]))
    return;

  /* Each prefix that ends before a capital or at the end, longest first. */
  for (len = strlen (name); len > 1; len--)
    {
      g_autofree char *prefix = NULL;

      if (name[len] != '\0' && !g_ascii_isupper (name[len]))
        continue;
      prefix = g_strndup (name, len);
      if (gi_repository_require (repository, prefix, NULL, 0, NULL) != NULL)
        return;
    }
}

static GIBaseInfo *
find_by_gtype (GType type)
{
  GIRepository *repository = _async_runner_gi_get_repository ();
  GIBaseInfo *info = gi_repository_find_by_gtype (repository, type);

  if (info == NULL)
    {
      load_namespace_of (type);
      info = gi_repository_find_by_gtype (repository, type);
    }

  return info;
}

static GIFunctionInfo *
find_method_named (GType       type,
                   const char *name)
{
  GType t;
  g_autofree GType *interfaces = NULL;
  guint n_interfaces = 0;
  guint i;

  for (t = type; t != G_TYPE_INVALID; t = g_type_parent (t))
    {
      GIBaseInfo *info = find_by_gtype (t);
      GIFunctionInfo *method = NULL;

      if (info != NULL && _async_runner_gi_is_object (info))
        method = find_in_container (info, name, TRUE);
      g_clear_pointer (&info, gi_base_info_unref);
      if (method != NULL)
        return method;
    }

  /* Interfaces of a class that no typelib describes */
  interfaces = g_type_interfaces (type, &n_interfaces);
  for (i = 0; i < n_interfaces; i++)
    {
      GIBaseInfo *info = find_by_gtype (interfaces[i]);
      GIFunctionInfo *method = NULL;

      if (info != NULL && _async_runner_gi_is_interface (info))
        method = find_in_container (info, name, FALSE);
      g_clear_pointer (&info, gi_base_info_unref);
      if (method != NULL)
        return method;
    }

  return NULL;
}

/* Looks up @name, then @name + "_async", keeping the first that is
 * asynchronous. @find is given a name. */
static GIFunctionInfo *
find_async (const char       *name,
            GIFunctionInfo *(*find) (gconstpointer data, const char *name),
            gconstpointer     data,
            char            **looked_up)
{
  g_autofree char *with_async = NULL;
  const char *names[2] = { name, NULL };
  guint i;

  if (!g_str_has_suffix (name, "_async"))
    names[1] = with_async = g_strconcat (name, "_async", NULL);

  for (i = 0; i < G_N_ELEMENTS (names) && names[i] != NULL; i++)
    {
      GIFunctionInfo *info = find (data, names[i]);

      if (info != NULL && function_is_async (info))
        return info;
      g_clear_pointer (&info, gi_base_info_unref);
    }

  *looked_up = names[1] != NULL ? g_strdup_printf ("%s and %s", names[0], names[1])
                                : g_strdup (names[0]);
  return NULL;
}

static GIFunctionInfo *
find_method_of_type (gconstpointer data,
                     const char   *name)
{
  return find_method_named (*(const GType *) data, name);
}

static GIFunctionInfo *
find_in_container_cb (gconstpointer data,
                      const char   *name)
{
  return find_in_container ((GIBaseInfo *) data, name, FALSE);
}

typedef struct
{
  const char *namespace_;
} NamespaceData;

static GIFunctionInfo *
find_function_cb (gconstpointer data,
                  const char   *name)
{
  const NamespaceData *ns = data;
  GIBaseInfo *info = gi_repository_find_by_name (_async_runner_gi_get_repository (),
                                                 ns->namespace_, name);

  if (info != NULL && !_async_runner_gi_is_function (info))
    g_clear_pointer (&info, gi_base_info_unref);
  return (GIFunctionInfo *) info;
}

/* The finish function of @async_info: the one the typelib names, else
 * by convention, in the same container or namespace. */
static GIFunctionInfo *
find_finish (GIFunctionInfo  *async_info,
             GError         **error)
{
  GIFunctionInfo *finish = _async_runner_gi_get_finish_function (async_info);
  GIBaseInfo *container;
  const char *name;
  g_autofree char *finish_name = NULL;
  g_autofree char *what = NULL;

  if (finish != NULL)
    return finish;

  name = gi_base_info_get_name ((GIBaseInfo *) async_info);
  if (g_str_has_suffix (name, "_async"))
    finish_name = g_strdup_printf ("%.*s_finish", (int) (strlen (name) - strlen ("_async")), name);
  else
    finish_name = g_strconcat (name, "_finish", NULL);

  container = gi_base_info_get_container ((GIBaseInfo *) async_info);
  if (container != NULL)
    finish = find_in_container (container, finish_name, FALSE);
  else
    {
      NamespaceData ns = { gi_base_info_get_namespace ((GIBaseInfo *) async_info) };

      finish = find_function_cb (&ns, finish_name);
    }

  if (finish == NULL)
    {
      if (container != NULL)
        what = g_strdup_printf ("%s.%s.%s", gi_base_info_get_namespace (container),
                                gi_base_info_get_name (container), finish_name);
      else
        what = g_strdup_printf ("%s.%s", gi_base_info_get_namespace ((GIBaseInfo *) async_info),
                                finish_name);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "No finish function found for the asynchronous function %s: "
                   "looked up %s", name, what);
    }

  return finish;
}

static ByName *
by_name_new (GIFunctionInfo  *async_info,
             GError         **error)
{
  g_autoptr(ByName) by_name = g_new0 (ByName, 1);
  GIFunctionInfo *finish_info;
  gboolean ok;
  guint i;

  if (!callable_init (&by_name->async, async_info, FALSE, error))
    return NULL;

  finish_info = find_finish (async_info, error);
  if (finish_info == NULL)
    return NULL;
  ok = callable_init (&by_name->finish, finish_info, TRUE, error);
  gi_base_info_unref (finish_info);
  if (!ok)
    return NULL;

  for (i = 0; i < by_name->finish.n_slots; i++)
    if (by_name->finish.slots[i].role == ROLE_RESULT)
      break;
  if (i == by_name->finish.n_slots)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "%s cannot be called by name: its finish function %s takes no "
                   "Gio.AsyncResult", by_name->async.what, by_name->finish.what);
      return NULL;
    }

  by_name->arg_slots = g_new0 (guint, by_name->async.n_slots);
  for (i = 0; i < by_name->async.n_slots; i++)
    if (by_name->async.slots[i].role == ROLE_ARG)
      {
        by_name->async.slots[i].arg_index = by_name->n_args;
        by_name->arg_slots[by_name->n_args++] = i;
      }

  by_name->n_out_values = by_name->finish.ret.kind != KIND_VOID ? 1 : 0;
  for (i = 0; i < by_name->finish.n_slots; i++)
    if (by_name->finish.slots[i].role == ROLE_OUT)
      by_name->n_out_values++;

  return g_steal_pointer (&by_name);
}

static gboolean
ensure_gio (GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (gio_loaded)
    return TRUE;

  if (!_async_runner_gi_load (error))
    return FALSE;

  if (gi_repository_require (_async_runner_gi_get_repository (), "Gio", "2.0", 0,
                             &local_error) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The Gio-2.0 typelib cannot be loaded: %s", local_error->message);
      return FALSE;
    }

  gio_loaded = TRUE;
  return TRUE;
}

/* Any thread: the cached look-up of @key, made by @lookup on a miss. */
static ByName *
get_by_name (const Key   *key,
             GIFunctionInfo *(*lookup) (const Key *key, GError **error),
             GError     **error)
{
  ByName *by_name;
  GIFunctionInfo *info;
  Key *stored;

  g_rw_lock_reader_lock (&by_name_lock);
  by_name = by_name_cache != NULL ? g_hash_table_lookup (by_name_cache, key) : NULL;
  g_rw_lock_reader_unlock (&by_name_lock);

  if G_LIKELY (by_name != NULL)
    return by_name;

  g_rw_lock_writer_lock (&by_name_lock);

  if (by_name_cache == NULL)
    by_name_cache = g_hash_table_new (key_hash, key_equal);

  by_name = g_hash_table_lookup (by_name_cache, key);
  if (by_name == NULL && ensure_gio (error) && (info = lookup (key, error)) != NULL)
    {
      by_name = by_name_new (info, error);
      gi_base_info_unref (info);

      if (by_name != NULL)
        {
          stored = g_new0 (Key, 1);
          stored->type = key->type;
          stored->namespace_ = g_intern_string (key->namespace_);
          stored->name = g_intern_string (key->name);
          g_hash_table_insert (by_name_cache, stored, by_name);
        }
    }

  g_rw_lock_writer_unlock (&by_name_lock);

  return by_name;
}

static GIFunctionInfo *
lookup_method (const Key  *key,
               GError    **error)
{
  g_autofree char *looked_up = NULL;
  GIFunctionInfo *info = find_async (key->name, find_method_of_type, &key->type, &looked_up);

  if (info == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "No asynchronous method %s found on %s, its ancestors or its "
                 "interfaces (looked up %s)", key->name, g_type_name (key->type), looked_up);
  return info;
}

static GIFunctionInfo *
lookup_function (const Key  *key,
                 GError    **error)
{
  GIRepository *repository = _async_runner_gi_get_repository ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *looked_up = NULL;
  g_auto(GStrv) parts = NULL;
  GIFunctionInfo *info;

  if (gi_repository_require (repository, key->namespace_, NULL, 0, &local_error) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The namespace %s cannot be loaded: %s", key->namespace_,
                   local_error->message);
      return NULL;
    }

  parts = g_strsplit (key->name, ".", 2);
  if (parts[1] != NULL)
    {
      GIBaseInfo *container = gi_repository_find_by_name (repository, key->namespace_, parts[0]);

      if (container == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "The namespace %s has no type %s", key->namespace_, parts[0]);
          return NULL;
        }
      info = find_async (parts[1], find_in_container_cb, container, &looked_up);
      if (info == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     "No asynchronous function %s found in %s.%s (looked up %s)",
                     parts[1], key->namespace_, parts[0], looked_up);
      gi_base_info_unref (container);
    }
  else
    {
      NamespaceData ns = { key->namespace_ };

      info = find_async (key->name, find_function_cb, &ns, &looked_up);
      if (info == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     "No asynchronous function %s found in %s (looked up %s)",
                     key->name, key->namespace_, looked_up);
    }

  return info;
}

/* ---- Arguments: the caller's thread ---- */

typedef enum
{
  NUMBER_NONE,
  NUMBER_SIGNED,
  NUMBER_UNSIGNED,
  NUMBER_DOUBLE,
} NumberType;

typedef struct
{
  NumberType type;
  gint64     i;
  guint64    u;
  double     d;
} Number;

static gboolean
value_get_number (const GValue *value,
                  Number       *number)
{
  GType type = G_VALUE_TYPE (value);

  number->type = NUMBER_SIGNED;
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_CHAR: number->i = g_value_get_schar (value); return TRUE;
    case G_TYPE_INT: number->i = g_value_get_int (value); return TRUE;
    case G_TYPE_LONG: number->i = g_value_get_long (value); return TRUE;
    case G_TYPE_INT64: number->i = g_value_get_int64 (value); return TRUE;
    case G_TYPE_ENUM: number->i = g_value_get_enum (value); return TRUE;
    default: break;
    }

  number->type = NUMBER_UNSIGNED;
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_UCHAR: number->u = g_value_get_uchar (value); return TRUE;
    case G_TYPE_UINT: number->u = g_value_get_uint (value); return TRUE;
    case G_TYPE_ULONG: number->u = g_value_get_ulong (value); return TRUE;
    case G_TYPE_UINT64: number->u = g_value_get_uint64 (value); return TRUE;
    case G_TYPE_FLAGS: number->u = g_value_get_flags (value); return TRUE;
    default: break;
    }

  number->type = NUMBER_DOUBLE;
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_FLOAT: number->d = g_value_get_float (value); return TRUE;
    case G_TYPE_DOUBLE: number->d = g_value_get_double (value); return TRUE;
    default: break;
    }

  number->type = NUMBER_NONE;
  return FALSE;
}

/* @number as an integer within [@min, @max]; FALSE if it is not one. */
static gboolean
number_to_signed (const Number *number,
                  gint64        min,
                  gint64        max,
                  gint64       *out)
{
  switch (number->type)
    {
    case NUMBER_SIGNED:
      *out = number->i;
      return number->i >= min && number->i <= max;
    case NUMBER_UNSIGNED:
      *out = (gint64) number->u;
      return number->u <= (guint64) max;
    case NUMBER_DOUBLE:
      if (!isfinite (number->d) || floor (number->d) != number->d ||
          number->d < (double) min || number->d >= -(double) G_MININT64 ||
          (gint64) number->d > max)
        return FALSE;
      *out = (gint64) number->d;
      return TRUE;
    case NUMBER_NONE:
    default:
      return FALSE;
    }
}

static gboolean
number_to_unsigned (const Number *number,
                    guint64       max,
                    guint64      *out)
{
  switch (number->type)
    {
    case NUMBER_SIGNED:
      *out = (guint64) number->i;
      return number->i >= 0 && (guint64) number->i <= max;
    case NUMBER_UNSIGNED:
      *out = number->u;
      return number->u <= max;
    case NUMBER_DOUBLE:
      if (!isfinite (number->d) || floor (number->d) != number->d ||
          number->d < 0 || number->d >= 18446744073709551616.0 ||
          (guint64) number->d > max)
        return FALSE;
      *out = (guint64) number->d;
      return TRUE;
    case NUMBER_NONE:
    default:
      return FALSE;
    }
}

static double
number_to_double (const Number *number)
{
  switch (number->type)
    {
    case NUMBER_SIGNED: return (double) number->i;
    case NUMBER_UNSIGNED: return (double) number->u;
    case NUMBER_DOUBLE:
    case NUMBER_NONE:
    default: return number->d;
    }
}

/* Whether @value stands for NULL: a NULL pointer, or an empty object,
 * string, boxed or variant value. */
static gboolean
value_is_null (const GValue *value)
{
  GType type = G_VALUE_TYPE (value);

  if (type == G_TYPE_NONE || type == G_TYPE_INVALID)
    return TRUE;
  if (G_TYPE_FUNDAMENTAL (type) == G_TYPE_POINTER ||
      G_TYPE_FUNDAMENTAL (type) == G_TYPE_OBJECT ||
      G_TYPE_FUNDAMENTAL (type) == G_TYPE_INTERFACE ||
      G_TYPE_FUNDAMENTAL (type) == G_TYPE_STRING ||
      G_TYPE_FUNDAMENTAL (type) == G_TYPE_BOXED ||
      G_TYPE_FUNDAMENTAL (type) == G_TYPE_VARIANT)
    return value->data[0].v_pointer == NULL;
  return FALSE;
}

static void
set_length (GIArgument *arg,
            Kind        kind,
            gsize       length)
{
  switch (kind)
    {
    case KIND_INT8: arg->v_int8 = (gint8) length; break;
    case KIND_UINT8: arg->v_uint8 = (guint8) length; break;
    case KIND_INT16: arg->v_int16 = (gint16) length; break;
    case KIND_UINT16: arg->v_uint16 = (guint16) length; break;
    case KIND_INT32: arg->v_int32 = (gint32) length; break;
    case KIND_UINT32: arg->v_uint32 = (guint32) length; break;
    case KIND_INT64: arg->v_int64 = (gint64) length; break;
    case KIND_UINT64:
    default: arg->v_uint64 = length; break;
    }
}

static gsize
get_length (const GIArgument *arg,
            Kind              kind)
{
  switch (kind)
    {
    case KIND_INT8: return (gsize) MAX (arg->v_int8, 0);
    case KIND_UINT8: return arg->v_uint8;
    case KIND_INT16: return (gsize) MAX (arg->v_int16, 0);
    case KIND_UINT16: return arg->v_uint16;
    case KIND_INT32: return (gsize) MAX (arg->v_int32, 0);
    case KIND_UINT32: return arg->v_uint32;
    case KIND_INT64: return (gsize) MAX (arg->v_int64, 0);
    case KIND_UINT64:
    default: return arg->v_uint64;
    }
}

/* "gint 3", "GLocalFile object", "GBytes": what was given, for messages */
static char *
describe_value (const GValue *value)
{
  GType fundamental = G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (value));

  if (value_is_null (value))
    return g_strdup_printf ("NULL (%s)", G_VALUE_TYPE_NAME (value));
  if (fundamental == G_TYPE_VARIANT)
    {
      g_autofree char *text = g_variant_print (g_value_get_variant (value), TRUE);

      return g_strdup_printf ("GVariant %s", text);
    }
  if (fundamental == G_TYPE_OBJECT || fundamental == G_TYPE_INTERFACE)
    return g_strdup_printf ("%s object", G_OBJECT_TYPE_NAME (g_value_get_object (value)));
  if (fundamental == G_TYPE_POINTER || fundamental == G_TYPE_BOXED)
    return g_strdup (G_VALUE_TYPE_NAME (value));

  {
    g_autofree char *contents = g_strdup_value_contents (value);

    return g_strdup_printf ("%s %s", G_VALUE_TYPE_NAME (value), contents);
  }
}

static gboolean
convert_in (const Callable *callable,
            const Slot     *slot,
            const GValue   *value,
            GIArgument     *args,
            GError        **error)
{
  GIArgument *arg = &args[slot - callable->slots];
  Number number = { 0, };
  gint64 i = 0;
  guint64 u = 0;
  gboolean ok = FALSE;
  const char *expected_note = "";

  if (G_VALUE_TYPE (value) == G_TYPE_INVALID)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Argument %u (%s) of %s expects %s, got an unset GValue",
                   slot->arg_index + 1, slot->name, callable->what, slot->type_name);
      return FALSE;
    }

  if (slot->kind >= KIND_POINTER && value_is_null (value))
    {
      if (slot->nullable)
        {
          arg->v_pointer = NULL;
          if (slot->length >= 0)
            set_length (&args[slot->length], callable->slots[slot->length].kind, 0);
          return TRUE;
        }
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Argument %u (%s) of %s expects %s, got NULL (%s), which it does not take",
                   slot->arg_index + 1, slot->name, callable->what, slot->type_name,
                   G_VALUE_TYPE_NAME (value));
      return FALSE;
    }

  value_get_number (value, &number);

  switch (slot->kind)
    {
    case KIND_BOOLEAN:
      if ((ok = G_VALUE_HOLDS_BOOLEAN (value)))
        arg->v_boolean = g_value_get_boolean (value);
      break;
    case KIND_INT8:
      if ((ok = number_to_signed (&number, G_MININT8, G_MAXINT8, &i)))
        arg->v_int8 = (gint8) i;
      expected_note = " (an integer within range)";
      break;
    case KIND_UINT8:
      if ((ok = number_to_unsigned (&number, G_MAXUINT8, &u)))
        arg->v_uint8 = (guint8) u;
      expected_note = " (an integer within range)";
      break;
    case KIND_INT16:
      if ((ok = number_to_signed (&number, G_MININT16, G_MAXINT16, &i)))
        arg->v_int16 = (gint16) i;
      expected_note = " (an integer within range)";
      break;
    case KIND_UINT16:
      if ((ok = number_to_unsigned (&number, G_MAXUINT16, &u)))
        arg->v_uint16 = (guint16) u;
      expected_note = " (an integer within range)";
      break;
    case KIND_INT32:
      if ((ok = number_to_signed (&number, G_MININT32, G_MAXINT32, &i)))
        arg->v_int32 = (gint32) i;
      expected_note = " (an integer within range)";
      break;
    case KIND_UINT32:
    case KIND_UNICHAR:
      if ((ok = number_to_unsigned (&number, G_MAXUINT32, &u)))
        arg->v_uint32 = (guint32) u;
      expected_note = " (an integer within range)";
      break;
    case KIND_INT64:
      if ((ok = number_to_signed (&number, G_MININT64, G_MAXINT64, &i)))
        arg->v_int64 = i;
      expected_note = " (an integer within range)";
      break;
    case KIND_UINT64:
      if ((ok = number_to_unsigned (&number, G_MAXUINT64, &u)))
        arg->v_uint64 = u;
      expected_note = " (an integer within range)";
      break;
    case KIND_FLOAT:
      if ((ok = number.type != NUMBER_NONE))
        arg->v_float = (float) number_to_double (&number);
      expected_note = " (a number)";
      break;
    case KIND_DOUBLE:
      if ((ok = number.type != NUMBER_NONE))
        arg->v_double = number_to_double (&number);
      expected_note = " (a number)";
      break;
    case KIND_GTYPE:
      if ((ok = G_VALUE_HOLDS_GTYPE (value)))
        arg->v_size = g_value_get_gtype (value);
      break;
    case KIND_ENUM:
      if (G_TYPE_IS_ENUM (slot->gtype) && G_VALUE_HOLDS (value, slot->gtype))
        i = g_value_get_enum (value), ok = TRUE;
      else if (!G_VALUE_HOLDS_ENUM (value) && !G_VALUE_HOLDS_FLAGS (value))
        ok = number_to_signed (&number, G_MININT32, G_MAXINT32, &i);
      if (ok && G_TYPE_IS_ENUM (slot->gtype))
        {
          GEnumClass *klass = g_type_class_ref (slot->gtype);

          ok = g_enum_get_value (klass, (gint) i) != NULL;
          g_type_class_unref (klass);
        }
      if (ok)
        arg->v_int32 = (gint32) i;
      expected_note = " (one of its values, or an integer that is one)";
      break;
    case KIND_FLAGS:
      if (G_TYPE_IS_FLAGS (slot->gtype) && G_VALUE_HOLDS (value, slot->gtype))
        u = g_value_get_flags (value), ok = TRUE;
      else if (!G_VALUE_HOLDS_ENUM (value) && !G_VALUE_HOLDS_FLAGS (value))
        ok = number_to_unsigned (&number, G_MAXUINT32, &u);
      if (ok && G_TYPE_IS_FLAGS (slot->gtype))
        {
          GFlagsClass *klass = g_type_class_ref (slot->gtype);

          ok = (u & ~(guint64) klass->mask) == 0;
          g_type_class_unref (klass);
        }
      if (ok)
        arg->v_uint32 = (guint32) u;
      expected_note = " (its flags, or an integer made of them)";
      break;
    case KIND_POINTER:
      if ((ok = G_VALUE_HOLDS_POINTER (value)))
        arg->v_pointer = g_value_get_pointer (value);
      break;
    case KIND_STRING:
      if ((ok = G_VALUE_HOLDS_STRING (value)))
        arg->v_string = (char *) g_value_get_string (value);
      break;
    case KIND_OBJECT:
      if ((ok = G_VALUE_HOLDS_OBJECT (value) &&
                G_TYPE_CHECK_INSTANCE_TYPE (g_value_get_object (value), slot->gtype)))
        arg->v_pointer = g_value_get_object (value);
      break;
    case KIND_BOXED:
      if ((ok = G_VALUE_HOLDS (value, slot->gtype)))
        arg->v_pointer = g_value_get_boxed (value);
      break;
    case KIND_VARIANT:
      if ((ok = G_VALUE_HOLDS_VARIANT (value)))
        arg->v_pointer = g_value_get_variant (value);
      break;
    case KIND_STRV:
      if ((ok = G_VALUE_HOLDS (value, G_TYPE_STRV)))
        arg->v_pointer = g_value_get_boxed (value);
      expected_note = " (a strv)";
      break;
    case KIND_BYTES:
      if ((ok = G_VALUE_HOLDS (value, G_TYPE_BYTES)))
        {
          gsize size = 0;

          arg->v_pointer = (gpointer) g_bytes_get_data (g_value_get_boxed (value), &size);
          set_length (&args[slot->length], callable->slots[slot->length].kind, size);
        }
      expected_note = " (a GLib.Bytes)";
      break;
    case KIND_VOID:
    case KIND_OBJECT_LIST:
    case KIND_STRING_LIST:
    default:
      g_assert_not_reached ();
    }

  if (!ok)
    {
      g_autofree char *given = describe_value (value);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Argument %u (%s) of %s expects %s%s, got %s",
                   slot->arg_index + 1, slot->name, callable->what, slot->type_name,
                   expected_note, given);
    }

  return ok;
}

/* ---- Out values: the caller's thread ---- */

static GListStore *
object_list_store (const Slot *slot,
                   gpointer    data,
                   gsize       length)
{
  GListStore *store = g_list_store_new (slot->gtype);
  gboolean full = slot->transfer == GI_TRANSFER_EVERYTHING;
  gboolean container = slot->transfer != GI_TRANSFER_NOTHING;
  gsize i;

  switch (slot->container)
    {
    case CONTAINER_LIST:
    case CONTAINER_SLIST:
      {
        GSList *l;

        /* GList starts as GSList does: data, then next. */
        for (l = data; l != NULL; l = l->next)
          if (l->data != NULL)
            g_list_store_append (store, l->data);
        if (full)
          for (l = data; l != NULL; l = l->next)
            g_clear_object (&l->data);
        if (container && slot->container == CONTAINER_LIST)
          g_list_free (data);
        else if (container)
          g_slist_free (data);
        break;
      }
    case CONTAINER_PTR_ARRAY:
      {
        GPtrArray *array = data;

        for (i = 0; array != NULL && i < array->len; i++)
          if (array->pdata[i] != NULL)
            g_list_store_append (store, array->pdata[i]);
        if (full)
          for (i = 0; array != NULL && i < array->len; i++)
            g_clear_object (&array->pdata[i]);
        if (container && array != NULL)
          g_ptr_array_unref (array);
        break;
      }
    case CONTAINER_C_ARRAY:
      {
        gpointer *array = data;

        for (i = 0; array != NULL && (slot->length >= 0 ? i < length : array[i] != NULL); i++)
          if (array[i] != NULL)
            g_list_store_append (store, array[i]);
        if (full)
          for (i = 0; array != NULL && (slot->length >= 0 ? i < length : array[i] != NULL); i++)
            g_clear_object (&array[i]);
        if (container)
          g_free (array);
        break;
      }
    case CONTAINER_BYTE_ARRAY:
    case CONTAINER_NONE:
    default:
      g_assert_not_reached ();
    }

  return store;
}

static GStrv
string_list_strv (const Slot *slot,
                  gpointer    data)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  GStrv strv;
  GSList *l;

  for (l = data; l != NULL; l = l->next)
    g_strv_builder_add (builder, l->data);
  if (slot->transfer == GI_TRANSFER_EVERYTHING)
    for (l = data; l != NULL; l = l->next)
      g_free (l->data);
  if (slot->transfer != GI_TRANSFER_NOTHING && slot->container == CONTAINER_LIST)
    g_list_free (data);
  else if (slot->transfer != GI_TRANSFER_NOTHING)
    g_slist_free (data);

  strv = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return strv;
}

static void
convert_out (const Slot *slot,
             GIArgument *arg,
             gsize       length,
             GValue     *value)
{
  gboolean full = slot->transfer == GI_TRANSFER_EVERYTHING;

  switch (slot->kind)
    {
    case KIND_BOOLEAN:
      g_value_init (value, G_TYPE_BOOLEAN);
      g_value_set_boolean (value, arg->v_boolean);
      break;
    case KIND_INT8:
      g_value_init (value, G_TYPE_CHAR);
      g_value_set_schar (value, arg->v_int8);
      break;
    case KIND_UINT8:
      g_value_init (value, G_TYPE_UCHAR);
      g_value_set_uchar (value, arg->v_uint8);
      break;
    case KIND_INT16:
      g_value_init (value, G_TYPE_INT);
      g_value_set_int (value, arg->v_int16);
      break;
    case KIND_UINT16:
      g_value_init (value, G_TYPE_UINT);
      g_value_set_uint (value, arg->v_uint16);
      break;
    case KIND_INT32:
      g_value_init (value, G_TYPE_INT);
      g_value_set_int (value, arg->v_int32);
      break;
    case KIND_UINT32:
    case KIND_UNICHAR:
      g_value_init (value, G_TYPE_UINT);
      g_value_set_uint (value, arg->v_uint32);
      break;
    case KIND_INT64:
      g_value_init (value, G_TYPE_INT64);
      g_value_set_int64 (value, arg->v_int64);
      break;
    case KIND_UINT64:
      g_value_init (value, G_TYPE_UINT64);
      g_value_set_uint64 (value, arg->v_uint64);
      break;
    case KIND_FLOAT:
      g_value_init (value, G_TYPE_FLOAT);
      g_value_set_float (value, arg->v_float);
      break;
    case KIND_DOUBLE:
      g_value_init (value, G_TYPE_DOUBLE);
      g_value_set_double (value, arg->v_double);
      break;
    case KIND_GTYPE:
      g_value_init (value, G_TYPE_GTYPE);
      g_value_set_gtype (value, arg->v_size);
      break;
    case KIND_ENUM:
      if (G_TYPE_IS_ENUM (slot->gtype))
        {
          g_value_init (value, slot->gtype);
          g_value_set_enum (value, arg->v_int32);
        }
      else
        {
          g_value_init (value, G_TYPE_INT);
          g_value_set_int (value, arg->v_int32);
        }
      break;
    case KIND_FLAGS:
      if (G_TYPE_IS_FLAGS (slot->gtype))
        {
          g_value_init (value, slot->gtype);
          g_value_set_flags (value, arg->v_uint32);
        }
      else
        {
          g_value_init (value, G_TYPE_UINT);
          g_value_set_uint (value, arg->v_uint32);
        }
      break;
    case KIND_POINTER:
      g_value_init (value, G_TYPE_POINTER);
      g_value_set_pointer (value, arg->v_pointer);
      break;
    case KIND_STRING:
      g_value_init (value, G_TYPE_STRING);
      if (full)
        g_value_take_string (value, arg->v_string);
      else
        g_value_set_string (value, arg->v_string);
      break;
    case KIND_OBJECT:
      g_value_init (value, slot->gtype);
      if (full)
        g_value_take_object (value, arg->v_pointer);
      else
        g_value_set_object (value, arg->v_pointer);
      break;
    case KIND_BOXED:
      g_value_init (value, slot->gtype);
      if (full)
        g_value_take_boxed (value, arg->v_pointer);
      else
        g_value_set_boxed (value, arg->v_pointer);
      break;
    case KIND_VARIANT:
      g_value_init (value, G_TYPE_VARIANT);
      if (full)
        g_value_take_variant (value, arg->v_pointer);
      else
        g_value_set_variant (value, arg->v_pointer);
      break;
    case KIND_STRV:
      g_value_init (value, G_TYPE_STRV);
      if (full)
        g_value_take_boxed (value, arg->v_pointer);
      else
        {
          g_value_set_boxed (value, arg->v_pointer);
          /* A container transfer: the strings are the callee's. */
          if (slot->transfer == GI_TRANSFER_CONTAINER)
            g_free (arg->v_pointer);
        }
      break;
    case KIND_BYTES:
      g_value_init (value, G_TYPE_BYTES);
      if (slot->container == CONTAINER_BYTE_ARRAY)
        {
          GByteArray *array = arg->v_pointer;

          if (array == NULL)
            break;
          if (slot->transfer != GI_TRANSFER_NOTHING)
            g_value_take_boxed (value, g_byte_array_free_to_bytes (array));
          else
            g_value_take_boxed (value, g_bytes_new (array->data, array->len));
        }
      else
        {
          if (slot->length < 0 && arg->v_pointer != NULL)
            length = strlen (arg->v_pointer);
          if (slot->transfer != GI_TRANSFER_NOTHING)
            g_value_take_boxed (value, g_bytes_new_take (arg->v_pointer, length));
          else
            g_value_take_boxed (value, g_bytes_new (arg->v_pointer, length));
        }
      break;
    case KIND_OBJECT_LIST:
      g_value_init (value, G_TYPE_LIST_STORE);
      g_value_take_object (value, object_list_store (slot, arg->v_pointer, length));
      break;
    case KIND_STRING_LIST:
      g_value_init (value, G_TYPE_STRV);
      g_value_take_boxed (value, string_list_strv (slot, arg->v_pointer));
      break;
    case KIND_VOID:
    default:
      g_assert_not_reached ();
    }
}

/* The value that libffi returned in @ret for @kind, as an argument:
 * integers narrower than a register come widened. */
static void
extract_return (Kind        kind,
                gpointer    ret,
                GIArgument *arg)
{
  ffi_arg u = *(ffi_arg *) ret;
  ffi_sarg s = *(ffi_sarg *) ret;

  switch (kind)
    {
    case KIND_BOOLEAN: arg->v_boolean = (gboolean) s; break;
    case KIND_INT8: arg->v_int8 = (gint8) s; break;
    case KIND_UINT8: arg->v_uint8 = (guint8) u; break;
    case KIND_INT16: arg->v_int16 = (gint16) s; break;
    case KIND_UINT16: arg->v_uint16 = (guint16) u; break;
    case KIND_INT32:
    case KIND_ENUM: arg->v_int32 = (gint32) s; break;
    case KIND_UINT32:
    case KIND_UNICHAR:
    case KIND_FLAGS: arg->v_uint32 = (guint32) u; break;
    default: memcpy (arg, ret, sizeof *arg); break;
    }
}

/* ---- The call ---- */

typedef struct
{
  const ByName  *by_name;
  GIArgument    *args;         /* one per slot of the async function */
  void         **ffi_args;
  GError        *start_error;  /* a throwing async function's error */
} Invocation;

/* Runner thread: calls the async function. No binding code runs here. */
static gboolean
start_by_name (AsyncRunner         *runner,
               gpointer             user_data,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             callback_data)
{
  Invocation *invocation = user_data;
  const Callable *async = &invocation->by_name->async;
  GError *local_error = NULL;
  GError **error_ptr = &local_error;
  guint64 ret[2];
  guint i;

  for (i = 0; i < async->n_slots; i++)
    switch (async->slots[i].role)
      {
      case ROLE_CANCELLABLE: invocation->args[i].v_pointer = cancellable; break;
      case ROLE_CALLBACK: invocation->args[i].v_pointer = callback; break;
      case ROLE_CALLBACK_DATA: invocation->args[i].v_pointer = callback_data; break;
      default: break;
      }
  if (async->throws)
    invocation->ffi_args[async->n_slots] = &error_ptr;

  ffi_call ((ffi_cif *) &async->invoker.cif, FFI_FN (async->invoker.native_address),
            ret, invocation->ffi_args);

  if (local_error != NULL)
    {
      invocation->start_error = local_error;
      return FALSE;
    }

  return TRUE;
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
    extract_return (finish->ret.kind, ret, &ret_arg);

  values = g_new0 (GValue, MAX (by_name->n_out_values, 1));

  if (finish->ret.kind != KIND_VOID)
    {
      gsize length = finish->ret.length >= 0
                       ? get_length (&args[finish->ret.length], finish->slots[finish->ret.length].kind)
                       : 0;

      convert_out (&finish->ret, &ret_arg, length, &values[n++]);
    }

  for (i = 0; i < finish->n_slots; i++)
    {
      const Slot *slot = &finish->slots[i];
      gsize length;

      if (slot->role != ROLE_OUT)
        continue;
      length = slot->length >= 0 ? get_length (&args[slot->length], finish->slots[slot->length].kind) : 0;
      convert_out (slot, &args[i], length, &values[n++]);
    }

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
  const Callable *async = &by_name->async;
  Invocation invocation = { by_name, NULL, NULL, NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  guint i;

  if (n_values != by_name->n_args)
    {
      g_autoptr(GString) expected = g_string_new (NULL);

      for (i = 0; i < by_name->n_args; i++)
        g_string_append_printf (expected, "%s%s (%s)", i > 0 ? ", " : "",
                                async->slots[by_name->arg_slots[i]].name,
                                async->slots[by_name->arg_slots[i]].type_name);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s takes %u argument%s besides the instance, cancellable and callback "
                   "(%s), %u given",
                   async->what, by_name->n_args, by_name->n_args == 1 ? "" : "s",
                   by_name->n_args > 0 ? expected->str : "none", n_values);
      return FALSE;
    }

  invocation.args = g_newa (GIArgument, async->n_slots);
  invocation.ffi_args = g_newa (void *, async->n_slots + 1);
  memset (invocation.args, 0, sizeof (GIArgument) * async->n_slots);

  for (i = 0; i < async->n_slots; i++)
    {
      const Slot *slot = &async->slots[i];

      invocation.ffi_args[i] = &invocation.args[i];
      if (slot->role == ROLE_INSTANCE)
        invocation.args[i].v_pointer = instance;
      else if (slot->role == ROLE_ARG &&
               !convert_in (async, slot, &values[slot->arg_index], invocation.args, error))
        return FALSE;
    }

  result = async_runner_call_sync (self, start_by_name, &invocation, cancellable, &local_error);
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
    Key key = { G_OBJECT_TYPE (object), NULL, method };
    const ByName *by_name = get_by_name (&key, lookup_method, error);

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
    Key key = { G_TYPE_INVALID, namespace_, function };
    const ByName *by_name = get_by_name (&key, lookup_function, error);

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
