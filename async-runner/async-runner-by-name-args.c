/* async-runner-by-name-args.c: the caller's GValues as C arguments, owned until the callback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NOTES
 * A call can end (timeout, cancellable, shutdown) while its operation runs
 * on, and the caller then frees its GValues: bindings free their argument
 * arrays as soon as the call returns. GIO's async functions borrow their
 * arguments until they call back (g_output_stream_write_all_async()'s
 * buffer), so a ByNameArgs owns them: a copy of each GValue (a string or
 * strv copied, an object, GBytes or GVariant referenced, a boxed value
 * copied) and a reference to the instance, which the C arguments point
 * into. It has two references: the caller's, dropped when the call
 * returns, and the operation's, dropped once the operation has called back
 * (our GAsyncReadyCallback wraps the core's) or failed to start.
 *
 * Conversions are one small function per kind, in the in_kinds[] table.
 */

#include "config.h"

#if ASYNC_RUNNER_BY_NAME

#include <math.h>
#include <string.h>

#include "async-runner-by-name-private.h"

struct _ByNameArgs
{
  gatomicrefcount      ref_count;
  const ByName        *by_name;
  GObject             *instance;       /* a reference, or NULL */
  GValue              *values;         /* the caller's values, copied */
  guint                n_values;
  GIArgument          *args;           /* one per slot of the async function */
  void               **ffi_args;       /* one per slot, and the GError** */

  /* Runner thread only: the core's callback, which ours calls */
  GAsyncReadyCallback  callback;
  gpointer             callback_data;
};

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

/* ---- One function per kind: FALSE if @value does not fit ---- */

typedef gboolean (*InFunc) (const Slot   *slot,
                            const GValue *value,
                            const Number *number,
                            GIArgument   *arg,
                            gsize        *length);

static gboolean
in_boolean (const Slot *slot, const GValue *value, const Number *number, GIArgument *arg,
            gsize *length)
{
  if (!G_VALUE_HOLDS_BOOLEAN (value))
    return FALSE;
  arg->v_boolean = g_value_get_boolean (value);
  return TRUE;
}

/* The range of each integer kind */
static const struct
{
  gint64  min;
  guint64 max;
} integer_ranges[] = {
  [KIND_INT8] = { G_MININT8, G_MAXINT8 },
  [KIND_UINT8] = { 0, G_MAXUINT8 },
  [KIND_INT16] = { G_MININT16, G_MAXINT16 },
  [KIND_UINT16] = { 0, G_MAXUINT16 },
  [KIND_INT32] = { G_MININT32, G_MAXINT32 },
  [KIND_UINT32] = { 0, G_MAXUINT32 },
  [KIND_INT64] = { G_MININT64, G_MAXINT64 },
  [KIND_UINT64] = { 0, G_MAXUINT64 },
};

static gboolean
in_integer (const Slot *slot, const GValue *value, const Number *number, GIArgument *arg,
            gsize *length)
{
  gint64 min = integer_ranges[slot->kind].min;
  guint64 max = integer_ranges[slot->kind].max;
  gint64 i = 0;
  guint64 u = 0;

  if (min < 0 ? !number_to_signed (number, min, (gint64) max, &i)
              : !number_to_unsigned (number, max, &u))
    return FALSE;

  switch (slot->kind)
    {
    case KIND_INT8: arg->v_int8 = (gint8) i; break;
    case KIND_UINT8: arg->v_uint8 = (guint8) u; break;
    case KIND_INT16: arg->v_int16 = (gint16) i; break;
    case KIND_UINT16: arg->v_uint16 = (guint16) u; break;
    case KIND_INT32: arg->v_int32 = (gint32) i; break;
    case KIND_UINT32: arg->v_uint32 = (guint32) u; break;
    case KIND_INT64: arg->v_int64 = i; break;
    case KIND_UINT64: arg->v_uint64 = u; break;
    default: g_assert_not_reached ();
    }
  return TRUE;
}

/* A float: a number within its range (or infinite, or NaN) */
static gboolean
in_float (const Slot *slot, const GValue *value, const Number *number, GIArgument *arg,
          gsize *length)
{
  double d = number_to_double (number);

  if (number->type == NUMBER_NONE || (isfinite (d) && fabs (d) > G_MAXFLOAT))
    return FALSE;
  arg->v_float = (float) d;
  return TRUE;
}

static gboolean
in_double (const Slot *slot, const GValue *value, const Number *number, GIArgument *arg,
           gsize *length)
{
  if (number->type == NUMBER_NONE)
    return FALSE;
  arg->v_double = number_to_double (number);
  return TRUE;
}

/* A Unicode character: not beyond U+10FFFF, not a surrogate */
static gboolean
in_unichar (const Slot *slot, const GValue *value, const Number *number, GIArgument *arg,
            gsize *length)
{
  guint64 u = 0;

  if (!number_to_unsigned (number, 0x10FFFF, &u) || !g_unichar_validate ((gunichar) u))
    return FALSE;
  arg->v_uint32 = (guint32) u;
  return TRUE;
}

static gboolean
in_gtype (const Slot *slot, const GValue *value, const Number *number, GIArgument *arg,
          gsize *length)
{
  if (!G_VALUE_HOLDS_GTYPE (value))
    return FALSE;
  arg->v_size = g_value_get_gtype (value);
  return TRUE;
}

static gboolean
in_enum (const Slot *slot, const GValue *value, const Number *number, GIArgument *arg,
         gsize *length)
{
  gint64 i = 0;
  gboolean ok = FALSE;

  if (G_TYPE_IS_ENUM (slot->gtype) && G_VALUE_HOLDS (value, slot->gtype))
    i = g_value_get_enum (value), ok = TRUE;
  else if (!G_VALUE_HOLDS_ENUM (value) && !G_VALUE_HOLDS_FLAGS (value))
    ok = number_to_signed (number, G_MININT32, G_MAXINT32, &i);
  if (ok && G_TYPE_IS_ENUM (slot->gtype))
    {
      GEnumClass *klass = g_type_class_ref (slot->gtype);

      ok = g_enum_get_value (klass, (gint) i) != NULL;
      g_type_class_unref (klass);
    }
  if (ok)
    arg->v_int32 = (gint32) i;
  return ok;
}

static gboolean
in_flags (const Slot *slot, const GValue *value, const Number *number, GIArgument *arg,
          gsize *length)
{
  guint64 u = 0;
  gboolean ok = FALSE;

  if (G_TYPE_IS_FLAGS (slot->gtype) && G_VALUE_HOLDS (value, slot->gtype))
    u = g_value_get_flags (value), ok = TRUE;
  else if (!G_VALUE_HOLDS_ENUM (value) && !G_VALUE_HOLDS_FLAGS (value))
    ok = number_to_unsigned (number, G_MAXUINT32, &u);
  if (ok && G_TYPE_IS_FLAGS (slot->gtype))
    {
      GFlagsClass *klass = g_type_class_ref (slot->gtype);

      ok = (u & ~(guint64) klass->mask) == 0;
      g_type_class_unref (klass);
    }
  if (ok)
    arg->v_uint32 = (guint32) u;
  return ok;
}

static gboolean
in_object (const Slot *slot, const GValue *value, const Number *number, GIArgument *arg,
           gsize *length)
{
  if (!G_VALUE_HOLDS_OBJECT (value) ||
      !G_TYPE_CHECK_INSTANCE_TYPE (g_value_get_object (value), slot->gtype))
    return FALSE;
  arg->v_pointer = g_value_get_object (value);
  return TRUE;
}

/* A pointer, string, boxed value, variant or strv: a value of its type */
static gboolean
in_pointer (const Slot *slot, const GValue *value, const Number *number, GIArgument *arg,
            gsize *length)
{
  GType type;

  switch (slot->kind)
    {
    case KIND_POINTER: type = G_TYPE_POINTER; break;
    case KIND_STRING: type = G_TYPE_STRING; break;
    case KIND_VARIANT: type = G_TYPE_VARIANT; break;
    case KIND_STRV: type = G_TYPE_STRV; break;
    case KIND_BOXED: type = slot->gtype; break;
    default: g_assert_not_reached ();
    }
  if (!G_VALUE_HOLDS (value, type))
    return FALSE;
  arg->v_pointer = g_value_peek_pointer (value);
  return TRUE;
}

static gboolean
in_bytes (const Slot *slot, const GValue *value, const Number *number, GIArgument *arg,
          gsize *length)
{
  if (!G_VALUE_HOLDS (value, G_TYPE_BYTES))
    return FALSE;
  arg->v_pointer = (gpointer) g_bytes_get_data (g_value_get_boxed (value), length);
  return TRUE;
}

/* Each kind an argument can have: its conversion, and what a message says
 * it expects beyond its type */
static const struct
{
  InFunc      func;
  const char *note;
} in_kinds[N_KINDS] = {
  [KIND_BOOLEAN] = { in_boolean, "" },
  [KIND_INT8] = { in_integer, " (an integer within range)" },
  [KIND_UINT8] = { in_integer, " (an integer within range)" },
  [KIND_INT16] = { in_integer, " (an integer within range)" },
  [KIND_UINT16] = { in_integer, " (an integer within range)" },
  [KIND_INT32] = { in_integer, " (an integer within range)" },
  [KIND_UINT32] = { in_integer, " (an integer within range)" },
  [KIND_INT64] = { in_integer, " (an integer within range)" },
  [KIND_UINT64] = { in_integer, " (an integer within range)" },
  [KIND_FLOAT] = { in_float, " (a number within its range)" },
  [KIND_DOUBLE] = { in_double, " (a number)" },
  [KIND_UNICHAR] = { in_unichar, " (a Unicode character: an integer up to 0x10FFFF, not a surrogate)" },
  [KIND_GTYPE] = { in_gtype, "" },
  [KIND_ENUM] = { in_enum, " (one of its values, or an integer that is one)" },
  [KIND_FLAGS] = { in_flags, " (its flags, or an integer made of them)" },
  [KIND_POINTER] = { in_pointer, "" },
  [KIND_STRING] = { in_pointer, "" },
  [KIND_OBJECT] = { in_object, "" },
  [KIND_BOXED] = { in_pointer, "" },
  [KIND_VARIANT] = { in_pointer, "" },
  [KIND_STRV] = { in_pointer, " (a strv)" },
  [KIND_BYTES] = { in_bytes, " (a GLib.Bytes)" },
};

/* Converts @value (owned by the ByNameArgs) into @args for @slot. */
static gboolean
convert_in (const Callable *callable,
            const Slot     *slot,
            const GValue   *value,
            GIArgument     *args,
            GError        **error)
{
  GIArgument *arg = &args[slot - callable->slots];
  Number number = { 0, };
  gsize length = 0;
  g_autofree char *given = NULL;

  if (G_VALUE_TYPE (value) == G_TYPE_INVALID)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Argument %u (%s) of %s expects %s, got an unset GValue",
                   slot->arg_index + 1, slot->name, callable->what, slot->type_name);
      return FALSE;
    }

  if (slot->kind >= KIND_POINTER && value_is_null (value))
    {
      if (!slot->nullable)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "Argument %u (%s) of %s expects %s, got NULL (%s), which it does not take",
                       slot->arg_index + 1, slot->name, callable->what, slot->type_name,
                       G_VALUE_TYPE_NAME (value));
          return FALSE;
        }
      arg->v_pointer = NULL;
    }
  else
    {
      g_assert (slot->kind < N_KINDS && in_kinds[slot->kind].func != NULL);
      value_get_number (value, &number);
      if (!in_kinds[slot->kind].func (slot, value, &number, arg, &length))
        {
          given = describe_value (value);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "Argument %u (%s) of %s expects %s%s, got %s",
                       slot->arg_index + 1, slot->name, callable->what, slot->type_name,
                       in_kinds[slot->kind].note, given);
          return FALSE;
        }
    }

  if (slot->length >= 0)
    _async_runner_by_name_set_length (&args[slot->length], callable->slots[slot->length].kind,
                                      length);
  return TRUE;
}

/* ---- The owner ---- */

static gboolean
check_count (const ByName  *by_name,
             guint          n_values,
             GError       **error)
{
  const Callable *async = &by_name->async;
  g_autoptr(GString) expected = NULL;
  guint i;

  if (n_values == by_name->n_args)
    return TRUE;

  expected = g_string_new (NULL);
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

/* The caller's thread: @values converted into the arguments of
 * @by_name's async function, owned by the result (one reference, the
 * caller's), or NULL with @error set. */
ByNameArgs *
_async_runner_by_name_args_new (const ByName  *by_name,
                                GObject       *instance,
                                const GValue  *values,
                                guint          n_values,
                                GError       **error)
{
  const Callable *async = &by_name->async;
  g_autoptr(ByNameArgs) args = NULL;
  guint i;

  if (!check_count (by_name, n_values, error))
    return NULL;

  args = g_new0 (ByNameArgs, 1);
  g_atomic_ref_count_init (&args->ref_count);
  args->by_name = by_name;
  args->instance = instance != NULL ? g_object_ref (instance) : NULL;
  args->values = g_new0 (GValue, n_values + 1);
  args->n_values = n_values;
  args->args = g_new0 (GIArgument, async->n_slots + 1);
  args->ffi_args = g_new0 (void *, async->n_slots + 1);

  for (i = 0; i < n_values; i++)
    if (G_VALUE_TYPE (&values[i]) != G_TYPE_INVALID)
      {
        g_value_init (&args->values[i], G_VALUE_TYPE (&values[i]));
        g_value_copy (&values[i], &args->values[i]);
      }

  for (i = 0; i < async->n_slots; i++)
    {
      const Slot *slot = &async->slots[i];

      args->ffi_args[i] = &args->args[i];
      if (slot->role == ROLE_INSTANCE)
        args->args[i].v_pointer = args->instance;
      else if (slot->role == ROLE_ARG &&
               !convert_in (async, slot, &args->values[slot->arg_index], args->args, error))
        return NULL;
    }

  return g_steal_pointer (&args);
}

static ByNameArgs *
args_ref (ByNameArgs *args)
{
  g_atomic_ref_count_inc (&args->ref_count);
  return args;
}

/* Any thread */
void
_async_runner_by_name_args_unref (ByNameArgs *args)
{
  guint i;

  if (!g_atomic_ref_count_dec (&args->ref_count))
    return;

  for (i = 0; i < args->n_values; i++)
    if (G_IS_VALUE (&args->values[i]))
      g_value_unset (&args->values[i]);
  g_free (args->values);
  g_clear_object (&args->instance);
  g_free (args->args);
  g_free (args->ffi_args);
  g_free (args);
}

/* Runner thread: the operation called back. The arguments are released
 * after the core's callback: the operation no longer reads them. */
static void
args_ready (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  ByNameArgs *args = data;

  args->callback (source, result, args->callback_data);
  _async_runner_by_name_args_unref (args);
}

/* Runner thread: calls the async function. No binding code runs here.
 * The operation holds a reference to @args until it calls back; an
 * async function that throws has not started, and releases it at once. */
gboolean
_async_runner_by_name_args_invoke (ByNameArgs           *args,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              callback_data,
                                   GError              **error)
{
  const Callable *async = &args->by_name->async;
  GError *local_error = NULL;
  GError **error_ptr = &local_error;
  guint64 ret[2];
  guint i;

  args->callback = callback;
  args->callback_data = callback_data;

  for (i = 0; i < async->n_slots; i++)
    switch (async->slots[i].role)
      {
      case ROLE_CANCELLABLE: args->args[i].v_pointer = cancellable; break;
      case ROLE_CALLBACK: args->args[i].v_pointer = args_ready; break;
      case ROLE_CALLBACK_DATA: args->args[i].v_pointer = args; break;
      default: break;
      }
  if (async->throws)
    args->ffi_args[async->n_slots] = &error_ptr;

  args_ref (args);
  ffi_call ((ffi_cif *) &async->invoker.cif, FFI_FN (async->invoker.native_address),
            ret, args->ffi_args);

  if (local_error != NULL)
    {
      _async_runner_by_name_args_unref (args);
      g_propagate_error (error, local_error);
      return FALSE;
    }

  return TRUE;
}

#endif /* ASYNC_RUNNER_BY_NAME */
