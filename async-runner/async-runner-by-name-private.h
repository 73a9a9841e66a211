/* async-runner-by-name-private.h: calls by name, shared between their files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NOTES: the files of calls by name, and which uses which
 *
 *   by-name.c           the public functions and the invocation: a
 *      |                call_sync() whose start function calls the
 *      |                `_async` function through libffi, then the
 *      |                `_finish` function, on the caller's thread
 *      +--> by-name-lookup.c    finding the callable by name (methods on
 *      |       |                the typelib that defines the object's
 *      |       |                GType, functions in the namespace version
 *      |       |                the process uses), cached for good
 *      |       v
 *      |    by-name-callable.c  what each C argument of the `_async` and
 *      |                        `_finish` functions is: its role and its
 *      |                        conversion (a ByName)
 *      +--> by-name-args.c      GValues into C arguments, OWNED (copied
 *      |                        or referenced) until the operation calls
 *      |                        back, however early the call ended
 *      +--> by-name-out.c       C results into GValues
 *
 * All of them read typelibs through async-runner-gi-private.h only; the
 * hot path (args, out and the invocation) touches no typelib.
 */

#pragma once

#include "async-runner-gi-private.h"

G_BEGIN_DECLS

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
  N_KINDS
} Kind;

#define KIND_IS_INTEGER(kind) ((kind) >= KIND_INT8 && (kind) <= KIND_UINT64)

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

/* Everything a call by name needs, worked out once per name */
typedef struct
{
  Callable  async;
  Callable  finish;
  guint    *arg_slots;      /* the caller's args: their slot in @async */
  guint     n_args;
  guint     n_out_values;
} ByName;

/* ---- by-name-lookup.c: any thread; the results live for good ---- */

const ByName *_async_runner_by_name_find_method   (GType         type,
                                                   const char   *name,
                                                   GError      **error);
const ByName *_async_runner_by_name_find_function (const char   *namespace_,
                                                   const char   *name,
                                                   GError      **error);

/* ---- by-name-callable.c: under the look-up's lock ---- */

ByName       *_async_runner_by_name_new           (GIFunctionInfo  *async_info,
                                                   GIFunctionInfo  *finish_info,
                                                   GError         **error);
gboolean      _async_runner_by_name_is_async      (GIFunctionInfo  *info);
char         *_async_runner_by_name_describe_type (GITypeInfo      *type);

/* ---- by-name-args.c: the arguments of one call, owned ---- */

typedef struct _ByNameArgs ByNameArgs;

ByNameArgs   *_async_runner_by_name_args_new      (const ByName  *by_name,
                                                   GObject       *instance,
                                                   const GValue  *values,
                                                   guint          n_values,
                                                   GError       **error);
void          _async_runner_by_name_args_unref    (ByNameArgs    *args);
gboolean      _async_runner_by_name_args_invoke   (ByNameArgs           *args,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              callback_data,
                                                   GError              **error);

/* ---- by-name-out.c: the caller's thread ---- */

void          _async_runner_by_name_extract_return (Kind           kind,
                                                    gpointer       ret,
                                                    GIArgument    *arg);
gsize         _async_runner_by_name_get_length    (const GIArgument *arg,
                                                   Kind              kind);
void          _async_runner_by_name_set_length    (GIArgument       *arg,
                                                   Kind              kind,
                                                   gsize             length);
void          _async_runner_by_name_convert_out   (const Slot  *slot,
                                                   GIArgument  *arg,
                                                   gsize        length,
                                                   GValue      *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ByNameArgs, _async_runner_by_name_args_unref)

G_END_DECLS
