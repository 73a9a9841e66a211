/* async-runner-gi-private.h: a thin adapter over GObject Introspection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NOTES
 * Two libraries read typelibs: gobject-introspection's libgirepository-1.0
 * and GLib's girepository-2.0 (GLib >= 2.80). They must never both be
 * loaded in one process (each registers the GType "GIRepository"), and
 * which one the process uses is the bindings' choice, not GLib's: Debian
 * 13's GJS 1.82 and PyGObject 3.50 use 1.0 with GLib 2.84, sid's use 2.0.
 * So the library links neither: on first use it takes the one already
 * loaded (by PyGObject or GJS), else loads one itself (2.0 if installed,
 * else 1.0), and reaches it through the table below.
 *
 * The two have the same typelib format, the same enumerations and the same
 * GIArgument and GIFunctionInvoker layouts, and almost the same functions
 * under two prefixes: the few that differ are wrapped in
 * async-runner-gi.c. The declarations here stand in for theirs (the real
 * headers are not included anywhere), spelt as girepository-2.0 spells
 * them.
 */

#pragma once

#include <gio/gio.h>
#include <ffi.h>

G_BEGIN_DECLS

/* Every info is a pointer to an opaque, reference-counted object. */
typedef struct _AsyncRunnerGIInfo AsyncRunnerGIInfo;
typedef AsyncRunnerGIInfo GIBaseInfo;
typedef AsyncRunnerGIInfo GIArgInfo;
typedef AsyncRunnerGIInfo GICallableInfo;
typedef AsyncRunnerGIInfo GIFunctionInfo;
typedef AsyncRunnerGIInfo GIInterfaceInfo;
typedef AsyncRunnerGIInfo GIObjectInfo;
typedef AsyncRunnerGIInfo GIRegisteredTypeInfo;
typedef AsyncRunnerGIInfo GIStructInfo;
typedef AsyncRunnerGIInfo GITypeInfo;
typedef AsyncRunnerGIInfo GIUnionInfo;
typedef struct _AsyncRunnerGIRepository GIRepository;

typedef union
{
  gboolean  v_boolean;
  gint8     v_int8;
  guint8    v_uint8;
  gint16    v_int16;
  guint16   v_uint16;
  gint32    v_int32;
  guint32   v_uint32;
  gint64    v_int64;
  guint64   v_uint64;
  gfloat    v_float;
  gdouble   v_double;
  gshort    v_short;
  gushort   v_ushort;
  gint      v_int;
  guint     v_uint;
  glong     v_long;
  gulong    v_ulong;
  gssize    v_ssize;
  gsize     v_size;
  gchar    *v_string;
  gpointer  v_pointer;
} GIArgument;

typedef struct
{
  ffi_cif  cif;
  gpointer native_address;
  gpointer padding[3];
} GIFunctionInvoker;

typedef enum
{
  GI_TYPE_TAG_VOID      =  0,
  GI_TYPE_TAG_BOOLEAN   =  1,
  GI_TYPE_TAG_INT8      =  2,
  GI_TYPE_TAG_UINT8     =  3,
  GI_TYPE_TAG_INT16     =  4,
  GI_TYPE_TAG_UINT16    =  5,
  GI_TYPE_TAG_INT32     =  6,
  GI_TYPE_TAG_UINT32    =  7,
  GI_TYPE_TAG_INT64     =  8,
  GI_TYPE_TAG_UINT64    =  9,
  GI_TYPE_TAG_FLOAT     = 10,
  GI_TYPE_TAG_DOUBLE    = 11,
  GI_TYPE_TAG_GTYPE     = 12,
  GI_TYPE_TAG_UTF8      = 13,
  GI_TYPE_TAG_FILENAME  = 14,
  GI_TYPE_TAG_ARRAY     = 15,
  GI_TYPE_TAG_INTERFACE = 16,
  GI_TYPE_TAG_GLIST     = 17,
  GI_TYPE_TAG_GSLIST    = 18,
  GI_TYPE_TAG_GHASH     = 19,
  GI_TYPE_TAG_ERROR     = 20,
  GI_TYPE_TAG_UNICHAR   = 21,
} GITypeTag;

typedef enum
{
  GI_DIRECTION_IN,
  GI_DIRECTION_OUT,
  GI_DIRECTION_INOUT,
} GIDirection;

typedef enum
{
  GI_TRANSFER_NOTHING,
  GI_TRANSFER_CONTAINER,
  GI_TRANSFER_EVERYTHING,
} GITransfer;

typedef enum
{
  GI_ARRAY_TYPE_C,
  GI_ARRAY_TYPE_ARRAY,
  GI_ARRAY_TYPE_PTR_ARRAY,
  GI_ARRAY_TYPE_BYTE_ARRAY,
} GIArrayType;

#define GI_FUNCTION_IS_METHOD      (1 << 0)
#define GI_FUNCTION_IS_CONSTRUCTOR (1 << 1)

typedef enum
{
  ASYNC_RUNNER_GI_OBJECT,
  ASYNC_RUNNER_GI_INTERFACE,
  ASYNC_RUNNER_GI_STRUCT,
  ASYNC_RUNNER_GI_UNION,
  ASYNC_RUNNER_GI_FUNCTION,
  ASYNC_RUNNER_GI_CALLBACK,
  ASYNC_RUNNER_GI_ENUM,
  ASYNC_RUNNER_GI_FLAGS,
} AsyncRunnerGIKind;

typedef struct
{
  int            api;           /* 1: libgirepository-1.0, 2: girepository-2.0 */
  const char    *library;
  GIRepository  *repository;

  void           (*base_info_unref)                 (gpointer info);
  const char    *(*base_info_get_name)              (GIBaseInfo *info);
  const char    *(*base_info_get_namespace)         (GIBaseInfo *info);
  GIBaseInfo    *(*base_info_get_container)         (GIBaseInfo *info);
  gpointer       (*repository_require)              (GIRepository *repository,
                                                     const char *namespace_,
                                                     const char *version,
                                                     int flags,
                                                     GError **error);
  gboolean       (*repository_is_registered)        (GIRepository *repository,
                                                     const char *namespace_,
                                                     const char *version);
  const char    *(*repository_get_version)          (GIRepository *repository,
                                                     const char *namespace_);
  gpointer         repository_enumerate_versions;    /* differ: see async-runner-gi.c */
  gpointer         repository_get_shared_library;
  GIBaseInfo    *(*repository_find_by_gtype)        (GIRepository *repository,
                                                     GType gtype);
  GIBaseInfo    *(*repository_find_by_name)         (GIRepository *repository,
                                                     const char *namespace_,
                                                     const char *name);
  GIFunctionInfo *(*object_info_find_method_using_interfaces) (GIObjectInfo *info,
                                                               const char *name,
                                                               gpointer *declarer);
  GIFunctionInfo *(*object_info_find_method)        (GIObjectInfo *info,
                                                     const char *name);
  GIFunctionInfo *(*interface_info_find_method)     (GIInterfaceInfo *info,
                                                     const char *name);
  GIFunctionInfo *(*struct_info_find_method)        (GIStructInfo *info,
                                                     const char *name);
  GIFunctionInfo *(*union_info_find_method)         (GIUnionInfo *info,
                                                     const char *name);
  int            (*callable_info_get_n_args)        (GICallableInfo *info);
  GIArgInfo     *(*callable_info_get_arg)           (GICallableInfo *info,
                                                     int n);
  GITypeInfo    *(*callable_info_get_return_type)   (GICallableInfo *info);
  GITransfer     (*callable_info_get_caller_owns)   (GICallableInfo *info);
  gboolean       (*callable_info_can_throw_gerror)  (GICallableInfo *info);
  gboolean       (*callable_info_is_method)         (GICallableInfo *info);
  GICallableInfo *(*callable_info_get_finish_function) (GICallableInfo *info);  /* may be NULL */
  GIDirection    (*arg_info_get_direction)          (GIArgInfo *info);
  gboolean       (*arg_info_may_be_null)            (GIArgInfo *info);
  gboolean       (*arg_info_is_caller_allocates)    (GIArgInfo *info);
  GITransfer     (*arg_info_get_ownership_transfer) (GIArgInfo *info);
  GITypeInfo    *(*arg_info_get_type_info)          (GIArgInfo *info);
  gpointer         arg_info_get_closure;             /* differ: see async-runner-gi.c */
  gpointer         arg_info_get_destroy;
  GITypeTag      (*type_info_get_tag)               (GITypeInfo *info);
  GIBaseInfo    *(*type_info_get_interface)         (GITypeInfo *info);
  GITypeInfo    *(*type_info_get_param_type)        (GITypeInfo *info,
                                                     int n);
  GIArrayType    (*type_info_get_array_type)        (GITypeInfo *info);
  gboolean       (*type_info_is_zero_terminated)    (GITypeInfo *info);
  gboolean       (*type_info_is_pointer)            (GITypeInfo *info);
  gpointer         type_info_get_array_length;
  const char    *(*type_tag_to_string)              (GITypeTag tag);
  GType          (*registered_type_info_get_g_type) (GIRegisteredTypeInfo *info);
  int            (*function_info_get_flags)         (GIFunctionInfo *info);
  gboolean       (*function_info_prep_invoker)      (GIFunctionInfo *info,
                                                     GIFunctionInvoker *invoker,
                                                     GError **error);
  void           (*function_invoker_clear)          (GIFunctionInvoker *invoker);

  /* 1.0: the kind of an info; 2.0: the GTypes of the kinds */
  int            (*base_info_get_type)              (GIBaseInfo *info);
  GType            kind_types[ASYNC_RUNNER_GI_FLAGS + 1];
} AsyncRunnerGI;

/* Set by _async_runner_gi_load(); read only after it succeeded. */
extern const AsyncRunnerGI *_async_runner_gi;

gboolean    _async_runner_gi_load         (GError            **error);
gboolean    _async_runner_gi_is           (GIBaseInfo         *info,
                                           AsyncRunnerGIKind   kind);
int         _async_runner_gi_arg_closure  (GIArgInfo          *info);
int         _async_runner_gi_arg_destroy  (GIArgInfo          *info);
int         _async_runner_gi_array_length (GITypeInfo         *info);

char      **_async_runner_gi_enumerate_versions (const char   *namespace_);
gboolean    _async_runner_gi_version_is_loaded  (const char   *namespace_,
                                                 const char   *version);

#define _async_runner_gi_get_repository()  (_async_runner_gi->repository)

/* The girepository-2.0 names of the functions in the table */
#define gi_base_info_unref                  (_async_runner_gi->base_info_unref)
#define gi_base_info_get_name               (_async_runner_gi->base_info_get_name)
#define gi_base_info_get_namespace          (_async_runner_gi->base_info_get_namespace)
#define gi_base_info_get_container          (_async_runner_gi->base_info_get_container)
#define gi_repository_require               (_async_runner_gi->repository_require)
#define gi_repository_is_registered         (_async_runner_gi->repository_is_registered)
#define gi_repository_get_version           (_async_runner_gi->repository_get_version)
#define gi_repository_find_by_gtype         (_async_runner_gi->repository_find_by_gtype)
#define gi_repository_find_by_name          (_async_runner_gi->repository_find_by_name)
#define gi_object_info_find_method          (_async_runner_gi->object_info_find_method)
#define gi_interface_info_find_method       (_async_runner_gi->interface_info_find_method)
#define gi_struct_info_find_method          (_async_runner_gi->struct_info_find_method)
#define gi_union_info_find_method           (_async_runner_gi->union_info_find_method)
#define gi_callable_info_get_n_args         (_async_runner_gi->callable_info_get_n_args)
#define gi_callable_info_get_arg            (_async_runner_gi->callable_info_get_arg)
#define gi_callable_info_get_return_type    (_async_runner_gi->callable_info_get_return_type)
#define gi_callable_info_get_caller_owns    (_async_runner_gi->callable_info_get_caller_owns)
#define gi_callable_info_can_throw_gerror   (_async_runner_gi->callable_info_can_throw_gerror)
#define gi_callable_info_is_method          (_async_runner_gi->callable_info_is_method)
#define gi_arg_info_get_direction           (_async_runner_gi->arg_info_get_direction)
#define gi_arg_info_may_be_null             (_async_runner_gi->arg_info_may_be_null)
#define gi_arg_info_is_caller_allocates     (_async_runner_gi->arg_info_is_caller_allocates)
#define gi_arg_info_get_ownership_transfer  (_async_runner_gi->arg_info_get_ownership_transfer)
#define gi_arg_info_get_type_info           (_async_runner_gi->arg_info_get_type_info)
#define gi_type_info_get_tag                (_async_runner_gi->type_info_get_tag)
#define gi_type_info_get_interface          (_async_runner_gi->type_info_get_interface)
#define gi_type_info_get_param_type         (_async_runner_gi->type_info_get_param_type)
#define gi_type_info_get_array_type         (_async_runner_gi->type_info_get_array_type)
#define gi_type_info_is_zero_terminated     (_async_runner_gi->type_info_is_zero_terminated)
#define gi_type_info_is_pointer             (_async_runner_gi->type_info_is_pointer)
#define gi_type_tag_to_string               (_async_runner_gi->type_tag_to_string)
#define gi_registered_type_info_get_g_type  (_async_runner_gi->registered_type_info_get_g_type)
#define gi_function_info_get_flags          (_async_runner_gi->function_info_get_flags)
#define gi_function_info_prep_invoker       (_async_runner_gi->function_info_prep_invoker)
#define gi_function_invoker_clear           (_async_runner_gi->function_invoker_clear)

#define _async_runner_gi_is_object(i)    _async_runner_gi_is ((i), ASYNC_RUNNER_GI_OBJECT)
#define _async_runner_gi_is_interface(i) _async_runner_gi_is ((i), ASYNC_RUNNER_GI_INTERFACE)
#define _async_runner_gi_is_struct(i)    _async_runner_gi_is ((i), ASYNC_RUNNER_GI_STRUCT)
#define _async_runner_gi_is_union(i)     _async_runner_gi_is ((i), ASYNC_RUNNER_GI_UNION)
#define _async_runner_gi_is_function(i)  _async_runner_gi_is ((i), ASYNC_RUNNER_GI_FUNCTION)
#define _async_runner_gi_is_callback(i)  _async_runner_gi_is ((i), ASYNC_RUNNER_GI_CALLBACK)
#define _async_runner_gi_is_enum(i)      _async_runner_gi_is ((i), ASYNC_RUNNER_GI_ENUM)
#define _async_runner_gi_is_flags(i)     _async_runner_gi_is ((i), ASYNC_RUNNER_GI_FLAGS)

static inline GIFunctionInfo *
_async_runner_gi_object_find_method (GIObjectInfo *info,
                                     const char   *name)
{
  return _async_runner_gi->object_info_find_method_using_interfaces (info, name, NULL);
}

/* The finish function that the typelib names for @async_info
 * (girepository-2.0 >= 2.84 records it), or NULL: then the caller goes by
 * convention. */
static inline GIFunctionInfo *
_async_runner_gi_get_finish_function (GIFunctionInfo *async_info)
{
  GICallableInfo *finish;

  if (_async_runner_gi->callable_info_get_finish_function == NULL)
    return NULL;

  finish = _async_runner_gi->callable_info_get_finish_function (async_info);
  if (finish != NULL && !_async_runner_gi_is (finish, ASYNC_RUNNER_GI_FUNCTION))
    g_clear_pointer (&finish, gi_base_info_unref);
  return finish;
}

G_END_DECLS
