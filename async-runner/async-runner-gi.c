/* async-runner-gi.c: the girepository the process uses, found at run time
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#if ASYNC_RUNNER_BY_NAME

#include <dlfcn.h>
#include <string.h>

#include "async-runner-gi-private.h"

#define GIREPOSITORY_2 "libgirepository-2.0.so.0"
#define GIREPOSITORY_1 "libgirepository-1.0.so.1"

const AsyncRunnerGI *_async_runner_gi;

static AsyncRunnerGI gi;

/* A new, empty repository: 2.0's constructor, or 1.0's GType */
static GIRepository *(*repository_new) (void);
static GType         (*repository_get_type) (void);

typedef struct
{
  gsize       offset;     /* in AsyncRunnerGI */
  const char *name_1;     /* in libgirepository-1.0, NULL: none */
  const char *name_2;     /* in girepository-2.0, NULL: none */
  gboolean    optional;
} Symbol;

#define SYMBOL(field, name_1, name_2) \
  { G_STRUCT_OFFSET (AsyncRunnerGI, field), name_1, name_2, FALSE }

static const Symbol symbols[] = {
  SYMBOL (base_info_unref, "g_base_info_unref", "gi_base_info_unref"),
  SYMBOL (base_info_get_name, "g_base_info_get_name", "gi_base_info_get_name"),
  SYMBOL (base_info_get_namespace, "g_base_info_get_namespace", "gi_base_info_get_namespace"),
  SYMBOL (base_info_get_container, "g_base_info_get_container", "gi_base_info_get_container"),
  SYMBOL (repository_require, "g_irepository_require", "gi_repository_require"),
  SYMBOL (repository_is_registered, "g_irepository_is_registered", "gi_repository_is_registered"),
  SYMBOL (repository_get_version, "g_irepository_get_version", "gi_repository_get_version"),
  SYMBOL (repository_enumerate_versions, "g_irepository_enumerate_versions",
          "gi_repository_enumerate_versions"),
  SYMBOL (repository_get_shared_library, "g_irepository_get_shared_library",
          "gi_repository_get_shared_libraries"),
  SYMBOL (repository_find_by_gtype, "g_irepository_find_by_gtype", "gi_repository_find_by_gtype"),
  SYMBOL (repository_find_by_name, "g_irepository_find_by_name", "gi_repository_find_by_name"),
  SYMBOL (object_info_find_method_using_interfaces, "g_object_info_find_method_using_interfaces",
          "gi_object_info_find_method_using_interfaces"),
  SYMBOL (object_info_find_method, "g_object_info_find_method", "gi_object_info_find_method"),
  SYMBOL (interface_info_find_method, "g_interface_info_find_method", "gi_interface_info_find_method"),
  SYMBOL (struct_info_find_method, "g_struct_info_find_method", "gi_struct_info_find_method"),
  SYMBOL (union_info_find_method, "g_union_info_find_method", "gi_union_info_find_method"),
  SYMBOL (callable_info_get_n_args, "g_callable_info_get_n_args", "gi_callable_info_get_n_args"),
  SYMBOL (callable_info_get_arg, "g_callable_info_get_arg", "gi_callable_info_get_arg"),
  SYMBOL (callable_info_get_return_type, "g_callable_info_get_return_type",
          "gi_callable_info_get_return_type"),
  SYMBOL (callable_info_get_caller_owns, "g_callable_info_get_caller_owns",
          "gi_callable_info_get_caller_owns"),
  SYMBOL (callable_info_can_throw_gerror, "g_callable_info_can_throw_gerror",
          "gi_callable_info_can_throw_gerror"),
  SYMBOL (callable_info_is_method, "g_callable_info_is_method", "gi_callable_info_is_method"),
  { G_STRUCT_OFFSET (AsyncRunnerGI, callable_info_get_finish_function), NULL,
    "gi_callable_info_get_finish_function", TRUE },
  SYMBOL (arg_info_get_direction, "g_arg_info_get_direction", "gi_arg_info_get_direction"),
  SYMBOL (arg_info_may_be_null, "g_arg_info_may_be_null", "gi_arg_info_may_be_null"),
  SYMBOL (arg_info_is_caller_allocates, "g_arg_info_is_caller_allocates",
          "gi_arg_info_is_caller_allocates"),
  SYMBOL (arg_info_get_ownership_transfer, "g_arg_info_get_ownership_transfer",
          "gi_arg_info_get_ownership_transfer"),
  SYMBOL (arg_info_get_type_info, "g_arg_info_get_type", "gi_arg_info_get_type_info"),
  SYMBOL (arg_info_get_closure, "g_arg_info_get_closure", "gi_arg_info_get_closure_index"),
  SYMBOL (arg_info_get_destroy, "g_arg_info_get_destroy", "gi_arg_info_get_destroy_index"),
  SYMBOL (type_info_get_tag, "g_type_info_get_tag", "gi_type_info_get_tag"),
  SYMBOL (type_info_get_interface, "g_type_info_get_interface", "gi_type_info_get_interface"),
  SYMBOL (type_info_get_param_type, "g_type_info_get_param_type", "gi_type_info_get_param_type"),
  SYMBOL (type_info_get_array_type, "g_type_info_get_array_type", "gi_type_info_get_array_type"),
  SYMBOL (type_info_is_zero_terminated, "g_type_info_is_zero_terminated",
          "gi_type_info_is_zero_terminated"),
  SYMBOL (type_info_is_pointer, "g_type_info_is_pointer", "gi_type_info_is_pointer"),
  SYMBOL (type_info_get_array_length, "g_type_info_get_array_length",
          "gi_type_info_get_array_length_index"),
  SYMBOL (type_tag_to_string, "g_type_tag_to_string", "gi_type_tag_to_string"),
  SYMBOL (registered_type_info_get_g_type, "g_registered_type_info_get_g_type",
          "gi_registered_type_info_get_g_type"),
  SYMBOL (function_info_get_flags, "g_function_info_get_flags", "gi_function_info_get_flags"),
  SYMBOL (function_info_prep_invoker, "g_function_info_prep_invoker",
          "gi_function_info_prep_invoker"),
  SYMBOL (function_invoker_clear, "g_function_invoker_destroy", "gi_function_invoker_clear"),
  SYMBOL (base_info_get_type, "g_base_info_get_type", NULL),
};

/* girepository-2.0: the GType of each kind of info */
static const char *const kind_type_getters[] = {
  [ASYNC_RUNNER_GI_OBJECT] = "gi_object_info_get_type",
  [ASYNC_RUNNER_GI_INTERFACE] = "gi_interface_info_get_type",
  [ASYNC_RUNNER_GI_STRUCT] = "gi_struct_info_get_type",
  [ASYNC_RUNNER_GI_UNION] = "gi_union_info_get_type",
  [ASYNC_RUNNER_GI_FUNCTION] = "gi_function_info_get_type",
  [ASYNC_RUNNER_GI_CALLBACK] = "gi_callback_info_get_type",
  [ASYNC_RUNNER_GI_ENUM] = "gi_enum_info_get_type",
  [ASYNC_RUNNER_GI_FLAGS] = "gi_flags_info_get_type",
};

/* libgirepository-1.0's GIInfoType of each kind */
static const int kind_info_types[] = {
  [ASYNC_RUNNER_GI_OBJECT] = 7,
  [ASYNC_RUNNER_GI_INTERFACE] = 8,
  [ASYNC_RUNNER_GI_STRUCT] = 3,
  [ASYNC_RUNNER_GI_UNION] = 11,
  [ASYNC_RUNNER_GI_FUNCTION] = 1,
  [ASYNC_RUNNER_GI_CALLBACK] = 2,
  [ASYNC_RUNNER_GI_ENUM] = 5,
  [ASYNC_RUNNER_GI_FLAGS] = 6,
};

static gboolean
fill_table (void    *handle,
            int      api,
            GError **error)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (symbols); i++)
    {
      const char *name = api == 1 ? symbols[i].name_1 : symbols[i].name_2;
      gpointer symbol;

      if (name == NULL)
        continue;
      symbol = dlsym (handle, name);
      if (symbol == NULL && !symbols[i].optional)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "%s has no symbol %s", gi.library, name);
          return FALSE;
        }
      G_STRUCT_MEMBER (gpointer, &gi, symbols[i].offset) = symbol;
    }

  if (api == 2)
    {
      for (i = 0; i < G_N_ELEMENTS (kind_type_getters); i++)
        {
          GType (*get_type) (void) = (GType (*) (void)) dlsym (handle, kind_type_getters[i]);

          if (get_type == NULL)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "%s has no symbol %s", gi.library, kind_type_getters[i]);
              return FALSE;
            }
          gi.kind_types[i] = get_type ();
        }
    }

  return TRUE;
}

/* Called with the lock of async-runner-by-name.c held: finds or loads a
 * girepository once. A failure is final too. */
gboolean
_async_runner_gi_load (GError **error)
{
  static gboolean tried;
  static GError *load_error;
  const struct { const char *library; int api; } candidates[] = {
    { GIREPOSITORY_2, 2 },
    { GIREPOSITORY_1, 1 },
  };
  void *handle = NULL;
  gsize i;

  if (_async_runner_gi != NULL)
    return TRUE;

  if (tried)
    {
      g_propagate_error (error, g_error_copy (load_error));
      return FALSE;
    }
  tried = TRUE;

  /* The one a binding loaded, if any: loading the other would break it. */
  for (i = 0; handle == NULL && i < G_N_ELEMENTS (candidates); i++)
    if ((handle = dlopen (candidates[i].library, RTLD_NOW | RTLD_NOLOAD)) != NULL)
      break;

  /* Else whichever is installed. */
  if (handle == NULL)
    for (i = 0; handle == NULL && i < G_N_ELEMENTS (candidates); i++)
      if ((handle = dlopen (candidates[i].library, RTLD_NOW | RTLD_LOCAL)) != NULL)
        break;

  if (handle == NULL)
    {
      g_set_error (&load_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "GObject Introspection is not available: neither %s nor %s can be loaded",
                   GIREPOSITORY_2, GIREPOSITORY_1);
      g_propagate_error (error, g_error_copy (load_error));
      return FALSE;
    }

  gi.api = candidates[i].api;
  gi.library = candidates[i].library;

  if (!fill_table (handle, gi.api, &load_error))
    {
      g_propagate_error (error, g_error_copy (load_error));
      return FALSE;
    }

  repository_new = (GIRepository *(*) (void)) dlsym (handle, "gi_repository_new");
  repository_get_type = (GType (*) (void)) dlsym (handle, "g_irepository_get_type");

  if (gi.api == 2)
    {
      /* The library's own: girepository-2.0 has no shared default before
       * GLib 2.86, and sharing a binding's would race with it. */
      gi.repository = repository_new != NULL ? repository_new () : NULL;
    }
  else
    {
      /* libgirepository-1.0 has one repository per process. */
      GIRepository *(*get_default) (void) = (GIRepository *(*) (void)) dlsym (handle, "g_irepository_get_default");

      gi.repository = get_default != NULL ? get_default () : NULL;
    }

  if (gi.repository == NULL)
    {
      g_set_error (&load_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "%s gave no repository", gi.library);
      g_propagate_error (error, g_error_copy (load_error));
      return FALSE;
    }

  g_debug ("Calls by name use %s", gi.library);
  _async_runner_gi = &gi;
  return TRUE;
}

gboolean
_async_runner_gi_is (GIBaseInfo        *info,
                     AsyncRunnerGIKind  kind)
{
  if (gi.api == 1)
    return gi.base_info_get_type (info) == kind_info_types[kind];

  /* A GIFlagsInfo is a GIEnumInfo too. */
  if (kind == ASYNC_RUNNER_GI_ENUM &&
      g_type_check_instance_is_a ((GTypeInstance *) info, gi.kind_types[ASYNC_RUNNER_GI_FLAGS]))
    return FALSE;
  return g_type_check_instance_is_a ((GTypeInstance *) info, gi.kind_types[kind]);
}

/* 1.0 returns an index or -1; 2.0 returns whether there is one. */
static int
get_index (gpointer    function,
           gpointer    info)
{
  if (gi.api == 1)
    return ((int (*) (gpointer)) function) (info);
  else
    {
      unsigned int index = 0;

      return ((gboolean (*) (gpointer, unsigned int *)) function) (info, &index)
               ? (int) index : -1;
    }
}

int
_async_runner_gi_arg_closure (GIArgInfo *info)
{
  return get_index (gi.arg_info_get_closure, info);
}

int
_async_runner_gi_arg_destroy (GIArgInfo *info)
{
  return get_index (gi.arg_info_get_destroy, info);
}

int
_async_runner_gi_array_length (GITypeInfo *info)
{
  return get_index (gi.type_info_get_array_length, info);
}

/* g_ptr_array_sort() passes pointers to the elements */
static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Under the look-up's lock: the versions of @namespace_ installed, sorted,
 * NULL-terminated (empty when there is none). */
char **
_async_runner_gi_enumerate_versions (const char *namespace_)
{
  GPtrArray *versions = g_ptr_array_new ();

  if (gi.api == 1)
    {
      GList *list = ((GList *(*) (GIRepository *, const char *)) gi.repository_enumerate_versions)
                      (gi.repository, namespace_);
      GList *l;

      for (l = list; l != NULL; l = l->next)
        g_ptr_array_add (versions, l->data);
      g_list_free (list);
    }
  else
    {
      char **strv = ((char **(*) (GIRepository *, const char *, size_t *)) gi.repository_enumerate_versions)
                      (gi.repository, namespace_, NULL);
      gsize i;

      for (i = 0; strv != NULL && strv[i] != NULL; i++)
        g_ptr_array_add (versions, strv[i]);
      g_free (strv);
    }

  g_ptr_array_sort (versions, compare_strings);
  g_ptr_array_add (versions, NULL);
  return (char **) g_ptr_array_free (versions, FALSE);
}

/* Whether every shared library of @repository's @namespace_ is loaded */
static gboolean
libraries_loaded (GIRepository *repository,
                  const char   *namespace_)
{
  g_auto(GStrv) libraries = NULL;
  gsize i;

  if (gi.api == 1)
    {
      const char *list = ((const char *(*) (GIRepository *, const char *)) gi.repository_get_shared_library)
                           (repository, namespace_);

      libraries = list != NULL ? g_strsplit (list, ",", -1) : g_new0 (char *, 1);
    }
  else
    {
      const char *const *list =
        ((const char *const *(*) (GIRepository *, const char *, size_t *)) gi.repository_get_shared_library)
          (repository, namespace_, NULL);

      libraries = g_strdupv ((char **) list);
      if (libraries == NULL)
        libraries = g_new0 (char *, 1);
    }

  for (i = 0; libraries[i] != NULL; i++)
    {
      void *handle = dlopen (libraries[i], RTLD_LAZY | RTLD_NOLOAD);

      if (handle == NULL)
        return FALSE;
      dlclose (handle);
    }

  return TRUE;
}

/* Under the look-up's lock: whether the shared libraries of @namespace_ at
 * @version are loaded in the process, told from a repository of its own
 * so that nothing is loaded into the real one (nor any library: lazily).
 * Those repositories are kept for good, one per version asked about:
 * libgirepository-1.0 does not free a repository's typelibs. */
gboolean
_async_runner_gi_version_is_loaded (const char *namespace_,
                                    const char *version)
{
  static GHashTable *probes;   /* "Namespace-version" => GIRepository* */
  g_autofree char *key = g_strdup_printf ("%s-%s", namespace_, version);
  GIRepository *probe;

  if (probes == NULL)
    probes = g_hash_table_new (g_str_hash, g_str_equal);

  probe = g_hash_table_lookup (probes, key);
  if (probe == NULL)
    {
      if (repository_new != NULL)
        probe = repository_new ();
      else if (repository_get_type != NULL)
        probe = g_object_new (repository_get_type (), NULL);
      if (probe == NULL)
        return FALSE;
      g_hash_table_insert (probes, g_steal_pointer (&key), probe);
      if (gi.repository_require (probe, namespace_, version, 1 /* LOAD_FLAG_LAZY */,
                                 NULL) == NULL)
        return FALSE;
    }
  else if (!gi.repository_is_registered (probe, namespace_, version))
    return FALSE;

  return libraries_loaded (probe, namespace_);
}

#endif /* ASYNC_RUNNER_BY_NAME */
