/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The GLib API newer than our floor (GLIB_VERSION_MIN_REQUIRED, 2.66) that
 * the library and its private tests use, with what stands in for it. The
 * build sets GLIB_VERSION_MAX_ALLOWED to the floor too, so every stack
 * (GLib 2.66 to the newest) compiles the same stand-ins, and a use of newer
 * API without a line here fails the -Werror build on any stack.
 *
 * Each block names the GLib version that makes it unnecessary: when the
 * floor reaches it, delete the block; the callers need no change.
 */

#pragma once

#if !defined(ASYNC_RUNNER_COMPILATION)
#error "async-runner-compat-private.h is private to async-runner"
#endif

#include <string.h>

#include <glib.h>
#include <glib-object.h>

G_BEGIN_DECLS

#define _ASYNC_RUNNER_GLIB_BELOW(minor) \
  (GLIB_VERSION_MAX_ALLOWED < G_ENCODE_VERSION (2, minor))

/* GLib 2.68: GStrvBuilder. A NULL-terminated GPtrArray of copies. */
#if _ASYNC_RUNNER_GLIB_BELOW (68)
typedef GPtrArray AsyncRunnerCompatStrvBuilder;
#define GStrvBuilder AsyncRunnerCompatStrvBuilder
#define g_strv_builder_new() g_ptr_array_new_with_free_func (g_free)
#define g_strv_builder_add(builder, value) g_ptr_array_add ((builder), g_strdup (value))
#define g_strv_builder_unref(builder) g_ptr_array_unref (builder)
static inline GStrv
_async_runner_compat_strv_builder_end (GPtrArray *builder)
{
  GStrv strv = g_new (char *, builder->len + 1);

  for (guint i = 0; i < builder->len; i++)
    strv[i] = g_strdup (g_ptr_array_index (builder, i));
  strv[builder->len] = NULL;
  return strv;
}
#define g_strv_builder_end(builder) _async_runner_compat_strv_builder_end (builder)
#endif

/* GLib 2.68: g_log_writer_default_would_drop(). What 2.66's default writer
 * decides from G_MESSAGES_DEBUG ("all", or a list naming the domain); the
 * runtime switch g_log_set_debug_enabled() of GLib 2.72 is not seen. */
#if _ASYNC_RUNNER_GLIB_BELOW (68)
static inline gboolean
_async_runner_compat_log_would_drop (GLogLevelFlags level,
                                     const char    *domain)
{
  const char *domains;

  if ((level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) == 0)
    return FALSE;
  domains = g_getenv ("G_MESSAGES_DEBUG");
  if (domains == NULL)
    return TRUE;
  if (strcmp (domains, "all") == 0)
    return FALSE;
  return domain == NULL || strstr (domains, domain) == NULL;
}
#define g_log_writer_default_would_drop(level, domain) \
  _async_runner_compat_log_would_drop ((level), (domain))
#endif

/* GLib 2.70: G_DEFINE_FINAL_TYPE. The type is final (G_TYPE_FLAG_FINAL,
 * 1 << 6) where the GLib it runs with knows the flag; below 2.70 only
 * G_DECLARE_FINAL_TYPE's private struct keeps subclasses out. */
#if _ASYNC_RUNNER_GLIB_BELOW (70)
#undef G_DEFINE_FINAL_TYPE
#define _ASYNC_RUNNER_TYPE_FLAG_FINAL \
  ((GTypeFlags) (glib_check_version (2, 70, 0) == NULL ? 1 << 6 : 0))
#define G_DEFINE_FINAL_TYPE(TypeName, type_name, TYPE_PARENT) \
  G_DEFINE_TYPE_EXTENDED (TypeName, type_name, TYPE_PARENT, _ASYNC_RUNNER_TYPE_FLAG_FINAL, {})
#endif

/* GLib 2.70: g_source_set_static_name(). g_source_set_name() copies. */
#if _ASYNC_RUNNER_GLIB_BELOW (70)
#define g_source_set_static_name(source, name) g_source_set_name ((source), (name))
#endif

/* GLib 2.74: g_atomic_int_exchange() and g_atomic_pointer_exchange(). A
 * compare-and-exchange loop: a full barrier, as the real ones are. */
#if _ASYNC_RUNNER_GLIB_BELOW (74)
static inline gint
_async_runner_compat_atomic_int_exchange (gint *atomic,
                                          gint  newval)
{
  gint oldval;

  do
    oldval = g_atomic_int_get (atomic);
  while (!g_atomic_int_compare_and_exchange (atomic, oldval, newval));
  return oldval;
}

static inline gpointer
_async_runner_compat_atomic_pointer_exchange (gpointer *atomic,
                                              gpointer  newval)
{
  gpointer oldval;

  do
    oldval = g_atomic_pointer_get (atomic);
  while (!g_atomic_pointer_compare_and_exchange (atomic, oldval, newval));
  return oldval;
}

#undef g_atomic_int_exchange
#define g_atomic_int_exchange(atomic, newval) \
  _async_runner_compat_atomic_int_exchange ((gint *) (atomic), (newval))
#undef g_atomic_pointer_exchange
#define g_atomic_pointer_exchange(atomic, newval) \
  _async_runner_compat_atomic_pointer_exchange ((gpointer *) (atomic), (gpointer) (newval))
#endif

G_END_DECLS
