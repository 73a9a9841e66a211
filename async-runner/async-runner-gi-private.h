/* async-runner-gi-private.h: a thin adapter over GObject Introspection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NOTES
 * GLib >= 2.80 ships girepository-2.0, which PyGObject >= 3.50 and
 * GJS >= 1.81 use; GLib 2.74 has only gobject-introspection's
 * libgirepository-1.0. The two must never be loaded into one process, so
 * the library links the one its GLib goes with. The caller is written
 * against the 2.0 names; with 1.0 they are mapped here, one line each.
 *
 * Only async-runner-by-name.c includes this header. Both girepository
 * headers declare symbols newer than GLIB_VERSION_MAX_ALLOWED, so a file
 * that includes it raises that limit first (see async-runner-by-name.c).
 */

#pragma once

#include <glib-object.h>

#if ASYNC_RUNNER_GIREPOSITORY == 2
# include <girepository/girepository.h>
# include <girepository/girffi.h>
#elif ASYNC_RUNNER_GIREPOSITORY == 1
# include <girepository.h>
# include <girffi.h>
#endif

G_BEGIN_DECLS

#if ASYNC_RUNNER_GIREPOSITORY != 0

/* Any thread, with the lock of async-runner-by-name.c held: the
 * repository the library looks names up in. With girepository-2.0 it is
 * the library's own (bindings have theirs: nothing else touches it);
 * with 1.0 it is the process's default one. */
GIRepository *_async_runner_gi_get_repository (void);

#if ASYNC_RUNNER_GIREPOSITORY == 1

/* girepository-2.0 names for libgirepository-1.0 */
# define gi_base_info_unref                   g_base_info_unref
# define gi_base_info_get_name                g_base_info_get_name
# define gi_base_info_get_namespace           g_base_info_get_namespace
# define gi_base_info_get_container           g_base_info_get_container
# define gi_object_info_find_method           g_object_info_find_method
# define gi_type_tag_to_string                g_type_tag_to_string
# define gi_repository_require                g_irepository_require
# define gi_repository_find_by_gtype          g_irepository_find_by_gtype
# define gi_repository_find_by_name           g_irepository_find_by_name
# define gi_interface_info_find_method        g_interface_info_find_method
# define gi_struct_info_find_method           g_struct_info_find_method
# define gi_union_info_find_method            g_union_info_find_method
# define gi_callable_info_get_n_args          g_callable_info_get_n_args
# define gi_callable_info_get_arg             g_callable_info_get_arg
# define gi_callable_info_get_return_type     g_callable_info_get_return_type
# define gi_callable_info_get_caller_owns     g_callable_info_get_caller_owns
# define gi_callable_info_can_throw_gerror    g_callable_info_can_throw_gerror
# define gi_callable_info_is_method           g_callable_info_is_method
# define gi_arg_info_get_direction            g_arg_info_get_direction
# define gi_arg_info_may_be_null              g_arg_info_may_be_null
# define gi_arg_info_is_caller_allocates      g_arg_info_is_caller_allocates
# define gi_arg_info_get_ownership_transfer   g_arg_info_get_ownership_transfer
# define gi_arg_info_get_type_info            g_arg_info_get_type
# define gi_type_info_get_tag                 g_type_info_get_tag
# define gi_type_info_get_interface           g_type_info_get_interface
# define gi_type_info_get_param_type          g_type_info_get_param_type
# define gi_type_info_get_array_type          g_type_info_get_array_type
# define gi_type_info_is_zero_terminated      g_type_info_is_zero_terminated
# define gi_type_info_is_pointer              g_type_info_is_pointer
# define gi_registered_type_info_get_g_type   g_registered_type_info_get_g_type
# define gi_function_info_get_flags           g_function_info_get_flags
# define gi_function_info_get_symbol          g_function_info_get_symbol
# define gi_function_info_prep_invoker        g_function_info_prep_invoker
# define gi_function_invoker_clear            g_function_invoker_destroy

static inline gboolean
_async_runner_gi_is (GIBaseInfo *info, GIInfoType type)
{
  return g_base_info_get_type (info) == type;
}

# define _async_runner_gi_is_object(i)    _async_runner_gi_is ((i), GI_INFO_TYPE_OBJECT)
# define _async_runner_gi_is_interface(i) _async_runner_gi_is ((i), GI_INFO_TYPE_INTERFACE)
# define _async_runner_gi_is_struct(i)    _async_runner_gi_is ((i), GI_INFO_TYPE_STRUCT)
# define _async_runner_gi_is_union(i)     _async_runner_gi_is ((i), GI_INFO_TYPE_UNION)
# define _async_runner_gi_is_function(i)  _async_runner_gi_is ((i), GI_INFO_TYPE_FUNCTION)
# define _async_runner_gi_is_callback(i)  _async_runner_gi_is ((i), GI_INFO_TYPE_CALLBACK)
# define _async_runner_gi_is_enum(i)      _async_runner_gi_is ((i), GI_INFO_TYPE_ENUM)
# define _async_runner_gi_is_flags(i)     _async_runner_gi_is ((i), GI_INFO_TYPE_FLAGS)

static inline GIFunctionInfo *
_async_runner_gi_object_find_method (GIObjectInfo *info, const char *name)
{
  return g_object_info_find_method_using_interfaces (info, name, NULL);
}

static inline int
_async_runner_gi_arg_closure (GIArgInfo *info)
{
  return g_arg_info_get_closure (info);
}

static inline int
_async_runner_gi_arg_destroy (GIArgInfo *info)
{
  return g_arg_info_get_destroy (info);
}

static inline int
_async_runner_gi_array_length (GITypeInfo *info)
{
  return g_type_info_get_array_length (info);
}

#else /* girepository-2.0 */

# define _async_runner_gi_is_object(i)    GI_IS_OBJECT_INFO (i)
# define _async_runner_gi_is_interface(i) GI_IS_INTERFACE_INFO (i)
# define _async_runner_gi_is_struct(i)    GI_IS_STRUCT_INFO (i)
# define _async_runner_gi_is_union(i)     GI_IS_UNION_INFO (i)
# define _async_runner_gi_is_function(i)  GI_IS_FUNCTION_INFO (i)
# define _async_runner_gi_is_callback(i)  GI_IS_CALLBACK_INFO (i)
/* A GIFlagsInfo is a GIEnumInfo too. */
# define _async_runner_gi_is_enum(i)      (GI_IS_ENUM_INFO (i) && !GI_IS_FLAGS_INFO (i))
# define _async_runner_gi_is_flags(i)     GI_IS_FLAGS_INFO (i)

static inline GIFunctionInfo *
_async_runner_gi_object_find_method (GIObjectInfo *info, const char *name)
{
  return gi_object_info_find_method_using_interfaces (info, name, NULL);
}

static inline int
_async_runner_gi_arg_closure (GIArgInfo *info)
{
  unsigned int index;

  return gi_arg_info_get_closure_index (info, &index) ? (int) index : -1;
}

static inline int
_async_runner_gi_arg_destroy (GIArgInfo *info)
{
  unsigned int index;

  return gi_arg_info_get_destroy_index (info, &index) ? (int) index : -1;
}

static inline int
_async_runner_gi_array_length (GITypeInfo *info)
{
  unsigned int index;

  return gi_type_info_get_array_length_index (info, &index) ? (int) index : -1;
}

#endif

/* The finish function that the typelib names for @async_info (girepository
 * >= 2.84 records it), or NULL: then the caller goes by convention. */
static inline GIFunctionInfo *
_async_runner_gi_get_finish_function (GIFunctionInfo *async_info)
{
#if ASYNC_RUNNER_GIREPOSITORY == 2 && GLIB_CHECK_VERSION (2, 84, 0)
  GICallableInfo *finish = gi_callable_info_get_finish_function ((GICallableInfo *) async_info);

  if (finish != NULL && !GI_IS_FUNCTION_INFO (finish))
    g_clear_pointer (&finish, gi_base_info_unref);
  return (GIFunctionInfo *) finish;
#else
  return NULL;
#endif
}

#endif /* ASYNC_RUNNER_GIREPOSITORY != 0 */

G_END_DECLS
