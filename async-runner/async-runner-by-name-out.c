/* async-runner-by-name-out.c: what a finish function gave, as GValues
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NOTES
 * The caller's thread, after the finish function returned. The rules, as
 * the docs of async_runner_call_method_sync() state them:
 * - every integer comes back as a gint64 or a guint64, whatever its
 *   width: the typelib cannot tell a gsize from a guint64 or (on 32-bit
 *   platforms) a guint, so that no type depends on the platform;
 * - a NULL pointer comes back as NULL (a GValue of the type, holding
 *   NULL), except a GList or GSList, where NULL is the empty list;
 * - every value transferred to us is freed exactly once.
 * One small function per kind, in the out_kinds[] table.
 */

#include "config.h"

#if ASYNC_RUNNER_BY_NAME

#include <string.h>

#include "async-runner-by-name-private.h"

void
_async_runner_by_name_set_length (GIArgument *arg,
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

gsize
_async_runner_by_name_get_length (const GIArgument *arg,
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

/* The value that libffi returned in @ret for @kind, as an argument:
 * integers narrower than a register come widened. */
void
_async_runner_by_name_extract_return (Kind        kind,
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

/* ---- Lists of objects and strings ---- */

static void
store_append_all (GListStore *store,
                  gpointer   *items,
                  gsize       n)
{
  gsize i;

  for (i = 0; i < n; i++)
    if (items[i] != NULL)
      g_list_store_append (store, items[i]);
}

/* Releases @items: their references if we own them (@full) */
static void
release_items (gpointer *items,
               gsize     n,
               gboolean  full)
{
  gsize i;

  for (i = 0; full && i < n; i++)
    g_clear_object (&items[i]);
}

static void
object_list_from_list (GListStore *store,
                       const Slot *slot,
                       gpointer    data)
{
  GSList *l;

  /* GList starts as GSList does: data, then next. */
  for (l = data; l != NULL; l = l->next)
    store_append_all (store, &l->data, 1);
  for (l = data; l != NULL; l = l->next)
    release_items (&l->data, 1, slot->transfer == GI_TRANSFER_EVERYTHING);
  if (slot->transfer != GI_TRANSFER_NOTHING && slot->container == CONTAINER_LIST)
    g_list_free (data);
  else if (slot->transfer != GI_TRANSFER_NOTHING)
    g_slist_free (data);
}

/* A GPtrArray given to us is emptied first (g_ptr_array_steal()), so
 * that its own free function, if it has one, never runs: each element is
 * released exactly once, here, whether or not the array would have. */
static void
object_list_from_ptr_array (GListStore *store,
                            const Slot *slot,
                            GPtrArray  *array)
{
  gpointer *items;
  gsize n = 0;

  if (slot->transfer == GI_TRANSFER_NOTHING)
    {
      store_append_all (store, array->pdata, array->len);
      return;
    }

  items = g_ptr_array_steal (array, &n);
  g_ptr_array_unref (array);
  store_append_all (store, items, n);
  release_items (items, n, slot->transfer == GI_TRANSFER_EVERYTHING);
  g_free (items);
}

static void
object_list_from_c_array (GListStore *store,
                          const Slot *slot,
                          gpointer   *array,
                          gsize       length)
{
  gsize n = length;

  if (slot->length < 0)
    for (n = 0; array[n] != NULL; n++)
      ;
  store_append_all (store, array, n);
  release_items (array, n, slot->transfer == GI_TRANSFER_EVERYTHING);
  if (slot->transfer != GI_TRANSFER_NOTHING)
    g_free (array);
}

static GListStore *
object_list_store (const Slot *slot,
                   gpointer    data,
                   gsize       length)
{
  GListStore *store;

  if (data == NULL && slot->container != CONTAINER_LIST && slot->container != CONTAINER_SLIST)
    return NULL;

  store = g_list_store_new (slot->gtype);
  switch (slot->container)
    {
    case CONTAINER_LIST:
    case CONTAINER_SLIST:
      object_list_from_list (store, slot, data);
      break;
    case CONTAINER_PTR_ARRAY:
      object_list_from_ptr_array (store, slot, data);
      break;
    case CONTAINER_C_ARRAY:
      object_list_from_c_array (store, slot, data, length);
      break;
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
  GPtrArray *strings = g_ptr_array_new ();
  GSList *l;

  for (l = data; l != NULL; l = l->next)
    g_ptr_array_add (strings, g_strdup (l->data));
  g_ptr_array_add (strings, NULL);
  if (slot->transfer == GI_TRANSFER_EVERYTHING)
    for (l = data; l != NULL; l = l->next)
      g_free (l->data);
  if (slot->transfer != GI_TRANSFER_NOTHING && slot->container == CONTAINER_LIST)
    g_list_free (data);
  else if (slot->transfer != GI_TRANSFER_NOTHING)
    g_slist_free (data);

  return (GStrv) g_ptr_array_free (strings, FALSE);
}

/* ---- One function per kind ---- */

typedef void (*OutFunc) (const Slot *slot,
                         GIArgument *arg,
                         gsize       length,
                         GValue     *value);

static void
out_boolean (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  g_value_init (value, G_TYPE_BOOLEAN);
  g_value_set_boolean (value, arg->v_boolean);
}

static gboolean
integer_is_signed (Kind kind)
{
  return kind == KIND_INT8 || kind == KIND_INT16 || kind == KIND_INT32 || kind == KIND_INT64;
}

/* Every integer as a gint64 or a guint64, whatever its width */
static void
out_integer (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  gint64 i = 0;
  guint64 u = 0;

  switch (slot->kind)
    {
    case KIND_INT8: i = arg->v_int8; break;
    case KIND_INT16: i = arg->v_int16; break;
    case KIND_INT32: i = arg->v_int32; break;
    case KIND_INT64: i = arg->v_int64; break;
    case KIND_UINT8: u = arg->v_uint8; break;
    case KIND_UINT16: u = arg->v_uint16; break;
    case KIND_UINT32: u = arg->v_uint32; break;
    case KIND_UINT64: u = arg->v_uint64; break;
    default: g_assert_not_reached ();
    }

  if (integer_is_signed (slot->kind))
    {
      g_value_init (value, G_TYPE_INT64);
      g_value_set_int64 (value, i);
    }
  else
    {
      g_value_init (value, G_TYPE_UINT64);
      g_value_set_uint64 (value, u);
    }
}

static void
out_float (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  g_value_init (value, G_TYPE_FLOAT);
  g_value_set_float (value, arg->v_float);
}

static void
out_double (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  g_value_init (value, G_TYPE_DOUBLE);
  g_value_set_double (value, arg->v_double);
}

/* A character, not a number: a guint */
static void
out_unichar (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  g_value_init (value, G_TYPE_UINT);
  g_value_set_uint (value, arg->v_uint32);
}

static void
out_gtype (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  g_value_init (value, G_TYPE_GTYPE);
  g_value_set_gtype (value, arg->v_size);
}

/* An enumeration or flags: a value of its type if registered, else an
 * integer */
static void
out_enum (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  gboolean is_enum = slot->kind == KIND_ENUM;
  gboolean registered = is_enum ? G_TYPE_IS_ENUM (slot->gtype) : G_TYPE_IS_FLAGS (slot->gtype);

  g_value_init (value, registered ? slot->gtype : is_enum ? G_TYPE_INT : G_TYPE_UINT);
  if (registered && is_enum)
    g_value_set_enum (value, arg->v_int32);
  else if (registered)
    g_value_set_flags (value, arg->v_uint32);
  else if (is_enum)
    g_value_set_int (value, arg->v_int32);
  else
    g_value_set_uint (value, arg->v_uint32);
}

static void
out_pointer (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  g_value_init (value, G_TYPE_POINTER);
  g_value_set_pointer (value, arg->v_pointer);
}

/* A string, object, boxed value or variant: taken if it was transferred
 * to us, else copied or referenced */
static void
out_owned (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  gboolean full = slot->transfer == GI_TRANSFER_EVERYTHING;

  g_value_init (value, slot->kind == KIND_STRING ? G_TYPE_STRING : slot->gtype);
  switch (slot->kind)
    {
    case KIND_STRING:
      full ? g_value_take_string (value, arg->v_string) : g_value_set_string (value, arg->v_string);
      break;
    case KIND_OBJECT:
      full ? g_value_take_object (value, arg->v_pointer) : g_value_set_object (value, arg->v_pointer);
      break;
    case KIND_BOXED:
      full ? g_value_take_boxed (value, arg->v_pointer) : g_value_set_boxed (value, arg->v_pointer);
      break;
    case KIND_VARIANT:
      full ? g_value_take_variant (value, arg->v_pointer) : g_value_set_variant (value, arg->v_pointer);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
out_strv (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  g_value_init (value, G_TYPE_STRV);
  if (slot->transfer == GI_TRANSFER_EVERYTHING)
    g_value_take_boxed (value, arg->v_pointer);
  else
    {
      g_value_set_boxed (value, arg->v_pointer);
      /* A container transfer: the strings are the callee's. */
      if (slot->transfer == GI_TRANSFER_CONTAINER)
        g_free (arg->v_pointer);
    }
}

static void
out_bytes (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  gboolean owned = slot->transfer != GI_TRANSFER_NOTHING;

  g_value_init (value, G_TYPE_BYTES);
  if (arg->v_pointer == NULL)
    return;

  if (slot->container == CONTAINER_BYTE_ARRAY)
    {
      GByteArray *array = arg->v_pointer;

      if (owned)
        g_value_take_boxed (value, g_byte_array_free_to_bytes (array));
      else
        g_value_take_boxed (value, g_bytes_new (array->data, array->len));
      return;
    }

  if (slot->length < 0)
    length = strlen (arg->v_pointer);
  if (owned)
    g_value_take_boxed (value, g_bytes_new_take (arg->v_pointer, length));
  else
    g_value_take_boxed (value, g_bytes_new (arg->v_pointer, length));
}

static void
out_object_list (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  g_value_init (value, G_TYPE_LIST_STORE);
  g_value_take_object (value, object_list_store (slot, arg->v_pointer, length));
}

static void
out_string_list (const Slot *slot, GIArgument *arg, gsize length, GValue *value)
{
  g_value_init (value, G_TYPE_STRV);
  g_value_take_boxed (value, string_list_strv (slot, arg->v_pointer));
}

static const OutFunc out_kinds[N_KINDS] = {
  [KIND_BOOLEAN] = out_boolean,
  [KIND_INT8] = out_integer,
  [KIND_UINT8] = out_integer,
  [KIND_INT16] = out_integer,
  [KIND_UINT16] = out_integer,
  [KIND_INT32] = out_integer,
  [KIND_UINT32] = out_integer,
  [KIND_INT64] = out_integer,
  [KIND_UINT64] = out_integer,
  [KIND_FLOAT] = out_float,
  [KIND_DOUBLE] = out_double,
  [KIND_UNICHAR] = out_unichar,
  [KIND_GTYPE] = out_gtype,
  [KIND_ENUM] = out_enum,
  [KIND_FLAGS] = out_enum,
  [KIND_POINTER] = out_pointer,
  [KIND_STRING] = out_owned,
  [KIND_OBJECT] = out_owned,
  [KIND_BOXED] = out_owned,
  [KIND_VARIANT] = out_owned,
  [KIND_STRV] = out_strv,
  [KIND_BYTES] = out_bytes,
  [KIND_OBJECT_LIST] = out_object_list,
  [KIND_STRING_LIST] = out_string_list,
};

/* @arg (of @slot's kind, @length long if an array) into @value, taking
 * what was transferred to us. */
void
_async_runner_by_name_convert_out (const Slot *slot,
                                   GIArgument *arg,
                                   gsize       length,
                                   GValue     *value)
{
  g_assert (slot->kind < N_KINDS && out_kinds[slot->kind] != NULL);
  out_kinds[slot->kind] (slot, arg, length, value);
}

#endif /* ASYNC_RUNNER_BY_NAME */
