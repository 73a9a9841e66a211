/* async-runner-by-name-lookup.c: finding an async function and its finish by name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NOTES
 * A name is looked up once, under the writer lock of @by_name_lock, and
 * its ByName cached for the life of the process, like the typelibs; calls
 * read the cache under the reader lock.
 *
 * Never a second version of a namespace: a method is looked up in the
 * typelib that describes the object's GType in this process, and a
 * function in the version of its namespace that the process uses. A
 * namespace already in the repository is that one; else, of the versions
 * installed, the one whose shared libraries are loaded in the process
 * (told from a throwaway repository, so that the wrong one is never
 * loaded); a function may name its version ("Soup-3.0"). Where that
 * leaves several versions, the call fails rather than guess: loading a
 * second version of a library into a process that has the first
 * (libsoup 3 into a libsoup 2 process) aborts it.
 */

#include "config.h"

#if ASYNC_RUNNER_BY_NAME

#include <string.h>

#include "async-runner-by-name-private.h"

typedef struct
{
  GType       type;         /* methods: the object's class */
  const char *namespace_;   /* functions, with its version if given */
  const char *name;
} Key;

/* Protects the repository and @by_name_cache. */
static GRWLock      by_name_lock;
static GHashTable  *by_name_cache;    /* Key* => ByName*, for good */
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

/* ---- Namespaces and their versions ---- */

/* The installed versions of @namespace_ whose libraries the process has
 * loaded, into @loaded (a string array) */
static void
versions_loaded (const char  *namespace_,
                 char       **versions,
                 GPtrArray   *loaded)
{
  gsize i;

  for (i = 0; versions[i] != NULL; i++)
    if (_async_runner_gi_version_is_loaded (namespace_, versions[i]))
      g_ptr_array_add (loaded, versions[i]);
}

static gboolean
require_version (const char  *namespace_,
                 const char  *version,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (gi_repository_require (_async_runner_gi_get_repository (), namespace_, version, 0,
                             &local_error) != NULL)
    return TRUE;

  if (version != NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "The namespace %s-%s cannot be loaded: %s", namespace_, version,
                 local_error->message);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "The namespace %s cannot be loaded: %s", namespace_, local_error->message);
  return FALSE;
}

/* Loads the version of @namespace_ that the process uses: the one loaded,
 * else the one installed, else the one of those whose libraries are
 * loaded. Several with none loaded, or several loaded, fail. */
static gboolean
require_used_version (const char  *namespace_,
                      GError     **error)
{
  g_auto(GStrv) versions = _async_runner_gi_enumerate_versions (namespace_);
  g_autoptr(GPtrArray) loaded = g_ptr_array_new ();
  g_autofree char *list = NULL;
  guint n = g_strv_length (versions);

  if (n <= 1)
    return require_version (namespace_, versions[0], error);

  versions_loaded (namespace_, versions, loaded);
  if (loaded->len == 1)
    return require_version (namespace_, g_ptr_array_index (loaded, 0), error);

  list = g_strjoinv (", ", versions);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "Several versions of the namespace %s are installed (%s) and %s: name the "
               "version this process uses, such as \"%s-%s\"", namespace_, list,
               loaded->len == 0 ? "the libraries of none are loaded in this process"
                                : "the libraries of several are loaded in this process",
               namespace_, versions[n - 1]);
  return FALSE;
}

/* Loads @namespace_, at @version if not NULL, else at the version the
 * process uses; a namespace loaded at another version fails. */
static gboolean
require_namespace (const char  *namespace_,
                   const char  *version,
                   GError     **error)
{
  GIRepository *repository = _async_runner_gi_get_repository ();

  if (gi_repository_is_registered (repository, namespace_, NULL))
    {
      const char *loaded = gi_repository_get_version (repository, namespace_);

      if (version == NULL || g_strcmp0 (version, loaded) == 0)
        return TRUE;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The namespace %s-%s cannot be loaded: version %s is loaded in this "
                   "process, and two versions of a library cannot be",
                   namespace_, version, loaded);
      return FALSE;
    }

  if (version != NULL)
    return require_version (namespace_, version, error);

  return require_used_version (namespace_, error);
}

/* Loads the namespace that describes @type in this process, as its name
 * suggests ("SoupSession" → "Soup", "GtkSourceView" → "GtkSource"),
 * trying the longest prefix of its words first, at the version whose
 * libraries the process has loaded. GLib's own types ("GLocalFile") are
 * in namespaces always loaded. FALSE with @error set where that is
 * ambiguous. */
static gboolean
load_namespace_of (GType    type,
                   GError **error)
{
  GIRepository *repository = _async_runner_gi_get_repository ();
  const char *name = g_type_name (type);
  size_t len;

  if (name[0] == 'G' && g_ascii_isupper (name[1]))
    return TRUE;

  for (len = strlen (name); len > 1; len--)
    {
      g_autofree char *prefix = NULL;
      g_auto(GStrv) versions = NULL;
      g_autoptr(GPtrArray) loaded = NULL;
      g_autofree char *list = NULL;

      if (name[len] != '\0' && !g_ascii_isupper (name[len]))
        continue;
      prefix = g_strndup (name, len);
      if (gi_repository_is_registered (repository, prefix, NULL))
        continue;
      versions = _async_runner_gi_enumerate_versions (prefix);
      if (versions[0] == NULL)
        continue;

      loaded = g_ptr_array_new ();
      versions_loaded (prefix, versions, loaded);
      if (loaded->len == 1)
        {
          /* Not there after all: the type is then not found. */
          require_version (prefix, g_ptr_array_index (loaded, 0), NULL);
          return TRUE;
        }
      if (loaded->len == 0)
        continue;

      list = g_strjoinv (", ", versions);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s cannot be looked up: the libraries of several versions of the "
                   "namespace %s (%s) are loaded in this process", name, prefix, list);
      return FALSE;
    }

  return TRUE;
}

static GIBaseInfo *
find_by_gtype (GType    type,
               GError **error)
{
  GIRepository *repository = _async_runner_gi_get_repository ();
  GIBaseInfo *info = gi_repository_find_by_gtype (repository, type);

  if (info == NULL && load_namespace_of (type, error))
    info = gi_repository_find_by_gtype (repository, type);

  return info;
}

/* "Gio.File (a GLocalFile)": @type as a user knows it, for messages; the
 * typelib's name of the type, else of its nearest ancestor below
 * GObject, else of its first interface. */
static char *
describe_known_type (GType type)
{
  GIRepository *repository = _async_runner_gi_get_repository ();
  g_autofree GType *interfaces = NULL;
  guint n_interfaces = 0;
  GIBaseInfo *info = NULL;
  GType t;
  guint i;
  char *text;

  for (t = type; info == NULL && t != G_TYPE_INVALID && t != G_TYPE_OBJECT; t = g_type_parent (t))
    info = gi_repository_find_by_gtype (repository, t);

  interfaces = g_type_interfaces (type, &n_interfaces);
  for (i = 0; info == NULL && i < n_interfaces; i++)
    info = gi_repository_find_by_gtype (repository, interfaces[i]);

  if (info == NULL)
    return g_strdup (g_type_name (type));

  if (t == g_type_parent (type) && i == 0)
    text = g_strdup_printf ("%s.%s", gi_base_info_get_namespace (info), gi_base_info_get_name (info));
  else
    text = g_strdup_printf ("%s.%s (a %s)", gi_base_info_get_namespace (info),
                            gi_base_info_get_name (info), g_type_name (type));
  gi_base_info_unref (info);
  return text;
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

      if (info != NULL && _async_runner_by_name_is_async (info))
        return info;
      g_clear_pointer (&info, gi_base_info_unref);
    }

  *looked_up = names[1] != NULL ? g_strdup_printf ("%s and %s", names[0], names[1])
                                : g_strdup (names[0]);
  return NULL;
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

/* ---- Methods ---- */

/* The method @name of @type, its ancestors or its interfaces (those of
 * a class that no typelib describes), or NULL (with @error set only where
 * a namespace is ambiguous) */
static GIFunctionInfo *
find_method_named (GType        type,
                   const char  *name,
                   GError     **error)
{
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (GType));
  g_autofree GType *interfaces = NULL;
  guint n_interfaces = 0;
  GIFunctionInfo *method = NULL;
  GType t;
  guint i;

  for (t = type; t != G_TYPE_INVALID; t = g_type_parent (t))
    g_array_append_val (types, t);
  interfaces = g_type_interfaces (type, &n_interfaces);
  g_array_append_vals (types, interfaces, n_interfaces);

  for (i = 0; i < types->len && method == NULL; i++)
    {
      GIBaseInfo *info = find_by_gtype (g_array_index (types, GType, i), error);

      if (info != NULL && (_async_runner_gi_is_object (info) || _async_runner_gi_is_interface (info)))
        method = find_in_container (info, name, TRUE);
      g_clear_pointer (&info, gi_base_info_unref);
      if (error != NULL && *error != NULL)
        break;
    }

  return method;
}

typedef struct
{
  GType    type;
  GError **error;
} MethodData;

static GIFunctionInfo *
find_method_of_type (gconstpointer data,
                     const char   *name)
{
  const MethodData *method = data;

  if (*method->error != NULL)
    return NULL;
  return find_method_named (method->type, name, method->error);
}

static GIFunctionInfo *
lookup_method (const Key  *key,
               GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  MethodData data = { key->type, &local_error };
  g_autofree char *looked_up = NULL;
  g_autofree char *known = NULL;
  GIFunctionInfo *info = find_async (key->name, find_method_of_type, &data, &looked_up);

  if (local_error != NULL)
    {
      g_clear_pointer (&info, gi_base_info_unref);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (info == NULL)
    {
      known = describe_known_type (key->type);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "No asynchronous method %s found on %s, its ancestors or its "
                   "interfaces (looked up %s)", key->name, known, looked_up);
    }
  return info;
}

/* ---- Functions ---- */

/* A function named as a method: it needs an instance */
static gboolean
check_not_method (GIFunctionInfo  *info,
                  GError         **error)
{
  GIBaseInfo *container = gi_base_info_get_container ((GIBaseInfo *) info);

  if (!gi_callable_info_is_method ((GICallableInfo *) info) ||
      (gi_function_info_get_flags (info) & GI_FUNCTION_IS_CONSTRUCTOR))
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "%s.%s.%s is a method: call it with call_method_sync() on a %s.%s",
               gi_base_info_get_namespace ((GIBaseInfo *) info),
               gi_base_info_get_name (container), gi_base_info_get_name ((GIBaseInfo *) info),
               gi_base_info_get_namespace (container), gi_base_info_get_name (container));
  return FALSE;
}

static GIFunctionInfo *
lookup_function (const Key  *key,
                 GError    **error)
{
  GIRepository *repository = _async_runner_gi_get_repository ();
  g_autofree char *looked_up = NULL;
  g_auto(GStrv) ns_version = g_strsplit (key->namespace_, "-", 2);
  g_auto(GStrv) parts = g_strsplit (key->name, ".", 2);
  const char *namespace_ = ns_version[0];
  GIFunctionInfo *info;

  if (!require_namespace (namespace_, ns_version[1], error))
    return NULL;

  if (parts[1] != NULL)
    {
      GIBaseInfo *container = gi_repository_find_by_name (repository, namespace_, parts[0]);

      if (container == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "The namespace %s has no type %s", namespace_, parts[0]);
          return NULL;
        }
      info = find_async (parts[1], find_in_container_cb, container, &looked_up);
      if (info == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     "No asynchronous function %s found in %s.%s (looked up %s)",
                     parts[1], namespace_, parts[0], looked_up);
      gi_base_info_unref (container);
    }
  else
    {
      NamespaceData ns = { namespace_ };

      info = find_async (key->name, find_function_cb, &ns, &looked_up);
      if (info == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     "No asynchronous function %s found in %s (looked up %s)",
                     key->name, namespace_, looked_up);
    }

  if (info != NULL && !check_not_method (info, error))
    g_clear_pointer (&info, gi_base_info_unref);
  return info;
}

/* ---- The cache ---- */

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
static const ByName *
get_by_name (const Key   *key,
             GIFunctionInfo *(*lookup) (const Key *key, GError **error),
             GError     **error)
{
  ByName *by_name;
  GIFunctionInfo *info;
  GIFunctionInfo *finish;
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
      finish = find_finish (info, error);
      if (finish != NULL)
        by_name = _async_runner_by_name_new (info, finish, error);
      g_clear_pointer (&finish, gi_base_info_unref);
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

/* Any thread: the call plan of the method @name of @type */
const ByName *
_async_runner_by_name_find_method (GType        type,
                                   const char  *name,
                                   GError     **error)
{
  Key key = { type, NULL, name };

  return get_by_name (&key, lookup_method, error);
}

/* Any thread: the call plan of the function @name of @namespace_ */
const ByName *
_async_runner_by_name_find_function (const char  *namespace_,
                                     const char  *name,
                                     GError     **error)
{
  Key key = { G_TYPE_INVALID, namespace_, name };

  return get_by_name (&key, lookup_function, error);
}

#endif /* ASYNC_RUNNER_BY_NAME */
