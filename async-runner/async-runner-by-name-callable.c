/* async-runner-by-name-callable.c: what each argument of an async function and its finish is
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NOTES
 * Worked out once per name, under the look-up's lock, from the typelib:
 * each C argument's role (the caller's argument, the instance, the
 * cancellable, the callback and its data, the length of an array, a NULL
 * for another callback and its data and destroy notify, the result, an
 * out value) and its conversion (a Kind, its container and transfer).
 * Nothing here runs on the hot path.
 */

#include "config.h"

#if ASYNC_RUNNER_BY_NAME

#include <string.h>

#include "async-runner-by-name-private.h"

/* "Gio.File" for a type, "gint32" for a basic one */
char *
_async_runner_by_name_describe_type (GITypeInfo *type)
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
      g_autofree char *element_name = element != NULL ? _async_runner_by_name_describe_type (element) : g_strdup ("?");
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

/* An interface type (object, interface, enum, flags, struct, union) into
 * @slot; FALSE if it cannot be converted. */
static gboolean
classify_interface (Slot       *slot,
                    GITypeInfo *type)
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

static gboolean classify (Slot       *slot,
                          GITypeInfo *type,
                          gboolean    out);

/* An array or list of @element into @slot: bytes, strings or objects. */
static gboolean
classify_container (Slot       *slot,
                    GITypeInfo *type,
                    gboolean    out)
{
  GITypeTag tag = gi_type_info_get_tag (type);
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
      case GI_ARRAY_TYPE_ARRAY:
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
      if (slot->container == CONTAINER_C_ARRAY && slot->zero_terminated && slot->length < 0)
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

  switch (tag)
    {
    case GI_TYPE_TAG_VOID:
      /* A gpointer: only NULL or a pointer value can be given. */
      slot->kind = KIND_POINTER;
      return gi_type_info_is_pointer (type);
    case GI_TYPE_TAG_INTERFACE:
      return classify_interface (slot, type);
    case GI_TYPE_TAG_ARRAY:
    case GI_TYPE_TAG_GLIST:
    case GI_TYPE_TAG_GSLIST:
      return classify_container (slot, type, out);
    default:
      return FALSE;
    }
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

/* The callback type of argument @i of @cinfo, or NULL if it is none */
static GIBaseInfo *
arg_callback_type (GICallableInfo *cinfo,
                   guint           i)
{
  GIArgInfo *arg = gi_callable_info_get_arg (cinfo, i);
  GITypeInfo *type = gi_arg_info_get_type_info (arg);
  GIBaseInfo *iface = NULL;

  if (gi_type_info_get_tag (type) == GI_TYPE_TAG_INTERFACE)
    {
      iface = gi_type_info_get_interface (type);
      if (!_async_runner_gi_is_callback (iface))
        g_clear_pointer (&iface, gi_base_info_unref);
    }
  gi_base_info_unref (type);
  gi_base_info_unref (arg);
  return iface;
}

static gboolean
arg_is_callback (GICallableInfo *cinfo,
                 guint           i)
{
  GIBaseInfo *iface = arg_callback_type (cinfo, i);
  gboolean is_callback = iface != NULL;

  g_clear_pointer (&iface, gi_base_info_unref);
  return is_callback;
}

/* Marks in @helpers the arguments that belong to a callback: its data and
 * its destroy notify (itself a callback, which is NULL with its own). */
static void
find_callback_helpers (GICallableInfo *cinfo,
                       guint           n,
                       gboolean       *helpers)
{
  guint i;

  for (i = 0; i < n; i++)
    {
      GIArgInfo *arg;
      int closure;
      int destroy;

      if (!arg_is_callback (cinfo, i))
        continue;
      arg = gi_callable_info_get_arg (cinfo, i);
      closure = _async_runner_gi_arg_closure (arg);
      destroy = _async_runner_gi_arg_destroy (arg);
      if (closure >= 0 && (guint) closure < n && (guint) closure != i)
        helpers[closure] = TRUE;
      if (destroy >= 0 && (guint) destroy < n && (guint) destroy != i)
        helpers[destroy] = TRUE;
      gi_base_info_unref (arg);
    }
}

/* A callback argument: the GAsyncReadyCallback, or another one (passed
 * NULL, which it must take unless it is a callback's destroy notify). */
static gboolean
init_callback (Callable    *callable,
               GIArgInfo   *arg,
               guint        i,
               guint        offset,
               guint        n,
               gboolean     ready,
               gboolean     helper,
               gboolean    *assigned,
               GError     **error)
{
  Slot *slot = &callable->slots[i + offset];
  int closure = _async_runner_gi_arg_closure (arg);
  int destroy = _async_runner_gi_arg_destroy (arg);

  if (!ready && !helper && !slot->nullable)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "%s cannot be called by name: its callback argument %s (%s) "
                   "cannot be NULL", callable->what, slot->name, slot->type_name);
      return FALSE;
    }

  slot->role = ready ? ROLE_CALLBACK : ROLE_NULL;
  assigned[i + offset] = TRUE;
  if (closure >= 0 && (guint) closure < n && (guint) closure != i)
    {
      callable->slots[closure + offset].role = ready ? ROLE_CALLBACK_DATA : ROLE_NULL;
      assigned[closure + offset] = TRUE;
    }
  if (destroy >= 0 && (guint) destroy < n && (guint) destroy != i)
    {
      callable->slots[destroy + offset].role = ROLE_NULL;
      assigned[destroy + offset] = TRUE;
    }
  return TRUE;
}

/* Names and types of the arguments, and the special ones: callbacks and
 * their data, the cancellable, the result, the lengths of arrays. */
static gboolean
init_special_args (Callable       *callable,
                   GICallableInfo *cinfo,
                   gboolean        is_finish,
                   gboolean       *assigned,
                   gboolean       *found_callback,
                   GError        **error)
{
  guint n = gi_callable_info_get_n_args (cinfo);
  guint offset = callable->is_method ? 1 : 0;
  gboolean *helpers = g_newa (gboolean, n + 1);
  gboolean ok = TRUE;
  guint i;

  memset (helpers, 0, sizeof (gboolean) * (n + 1));
  find_callback_helpers (cinfo, n, helpers);

  for (i = 0; i < n && ok; i++)
    {
      GIArgInfo *arg = gi_callable_info_get_arg (cinfo, i);
      GITypeInfo *type = gi_arg_info_get_type_info (arg);
      Slot *slot = &callable->slots[i + offset];
      GITypeTag tag = gi_type_info_get_tag (type);

      slot->name = g_strdup (gi_base_info_get_name ((GIBaseInfo *) arg));
      slot->type_name = _async_runner_by_name_describe_type (type);
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
      else if (tag == GI_TYPE_TAG_INTERFACE)
        {
          GIBaseInfo *iface = gi_type_info_get_interface (type);

          if (_async_runner_gi_is_callback (iface))
            {
              gboolean ready = !is_finish && !*found_callback && is_async_ready_callback (iface);

              *found_callback |= ready;
              ok = init_callback (callable, arg, i, offset, n, ready, helpers[i],
                                  assigned, error);
            }
          else if (!is_finish && _async_runner_gi_is_object (iface) &&
                   registered_gtype (iface) == G_TYPE_CANCELLABLE)
            {
              slot->role = ROLE_CANCELLABLE;
              assigned[i + offset] = TRUE;
            }
          else if (is_finish && _async_runner_gi_is_interface (iface) &&
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

  if (!ok)
    return FALSE;

  /* A callback's data whose closure points from the data to the callback */
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

  return TRUE;
}

/* The return value, and the length of a returned array. An async
 * function's return value, if any, is ignored. */
static gboolean
init_return (Callable        *callable,
             GICallableInfo  *cinfo,
             gboolean         is_finish,
             gboolean        *assigned,
             GError         **error)
{
  GITypeInfo *ret = gi_callable_info_get_return_type (cinfo);
  guint n = gi_callable_info_get_n_args (cinfo);
  guint offset = callable->is_method ? 1 : 0;
  gboolean ok = TRUE;

  callable->ret.name = g_strdup ("");
  callable->ret.length = -1;
  callable->ret.array = -1;
  callable->ret.transfer = gi_callable_info_get_caller_owns (cinfo);
  callable->ret.nullable = TRUE;
  callable->ret.type_name = _async_runner_by_name_describe_type (ret);
  callable->ret.kind = KIND_VOID;

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
  return TRUE;
}

/* The rest: the caller's arguments, or the finish function's outs. */
static gboolean
init_plain_args (Callable        *callable,
                 GICallableInfo  *cinfo,
                 gboolean         is_finish,
                 const gboolean  *assigned,
                 GError         **error)
{
  guint n = gi_callable_info_get_n_args (cinfo);
  guint offset = callable->is_method ? 1 : 0;
  guint i;

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
          ok = KIND_IS_INTEGER (slot->kind) &&
               (direction == (is_finish ? GI_DIRECTION_OUT : GI_DIRECTION_IN));
          if (!ok)
            unsupported (callable, slot->name, slot->type_name,
                         "is the length of an array in the wrong direction", error);
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
        return FALSE;
    }

  return TRUE;
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
  gboolean *assigned;
  gboolean found_callback = FALSE;
  g_autoptr(GError) local_error = NULL;
  guint i;

  callable->what = describe_function ((GIBaseInfo *) info);
  callable->is_method = gi_callable_info_is_method (cinfo) &&
                        !(gi_function_info_get_flags (info) & GI_FUNCTION_IS_CONSTRUCTOR);
  callable->throws = gi_callable_info_can_throw_gerror (cinfo);
  callable->n_slots = n + (callable->is_method ? 1 : 0);
  callable->slots = g_new0 (Slot, callable->n_slots);
  assigned = g_newa (gboolean, callable->n_slots + 1);
  memset (assigned, 0, sizeof (gboolean) * (callable->n_slots + 1));

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

  if (!init_special_args (callable, cinfo, is_finish, assigned, &found_callback, error) ||
      !init_return (callable, cinfo, is_finish, assigned, error) ||
      !init_plain_args (callable, cinfo, is_finish, assigned, error))
    return FALSE;

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

/* Under the look-up's lock: a call's plan from its two functions. */
ByName *
_async_runner_by_name_new (GIFunctionInfo  *async_info,
                           GIFunctionInfo  *finish_info,
                           GError         **error)
{
  g_autoptr(ByName) by_name = g_new0 (ByName, 1);
  guint i;

  if (!callable_init (&by_name->async, async_info, FALSE, error) ||
      !callable_init (&by_name->finish, finish_info, TRUE, error))
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

  by_name->arg_slots = g_new0 (guint, by_name->async.n_slots + 1);
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

/* Whether @info takes a GAsyncReadyCallback: is an asynchronous function. */
gboolean
_async_runner_by_name_is_async (GIFunctionInfo *info)
{
  GICallableInfo *cinfo = (GICallableInfo *) info;
  guint n = gi_callable_info_get_n_args (cinfo);
  gboolean found = FALSE;
  guint i;

  for (i = 0; i < n && !found; i++)
    {
      GIBaseInfo *iface = arg_callback_type (cinfo, i);

      found = iface != NULL && is_async_ready_callback (iface);
      g_clear_pointer (&iface, gi_base_info_unref);
    }

  return found;
}

#endif /* ASYNC_RUNNER_BY_NAME */
