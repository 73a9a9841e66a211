/* async-runner-gi.c: the repository that names are looked up in
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

/* The girepository headers declare symbols newer than the GLib the
 * library requires; they are used only where they exist. */
#undef GLIB_VERSION_MAX_ALLOWED
#define GLIB_VERSION_MAX_ALLOWED GLIB_VERSION_CUR_STABLE

#include "async-runner-gi-private.h"

#if ASYNC_RUNNER_GIREPOSITORY == 2

GIRepository *
_async_runner_gi_get_repository (void)
{
  /* The library's own, for the process's life: girepository-2.0 has no
   * default repository before GLib 2.86, and sharing a binding's would
   * race with it. */
  static GIRepository *repository;

  if (repository == NULL)
    repository = gi_repository_new ();

  return repository;
}

#elif ASYNC_RUNNER_GIREPOSITORY == 1

GIRepository *
_async_runner_gi_get_repository (void)
{
  return g_irepository_get_default ();
}

#endif
