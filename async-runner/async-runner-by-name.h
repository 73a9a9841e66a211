/* async-runner-by-name.h: introspected asynchronous functions called by name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (ASYNC_RUNNER_INSIDE) && !defined (ASYNC_RUNNER_COMPILATION)
# error "Only <async-runner.h> can be included directly."
#endif

#include <gio/gio.h>

#include "async-runner-version-macros.h"
#include "async-runner-runner.h"

G_BEGIN_DECLS

ASYNC_RUNNER_AVAILABLE_IN_1_0
gboolean async_runner_call_method_sync   (AsyncRunner   *self,
                                          GObject       *object,
                                          const char    *method,
                                          const GValue  *args,
                                          guint          n_args,
                                          GCancellable  *cancellable,
                                          GValue       **out_values,
                                          guint         *n_out_values,
                                          GError       **error);
ASYNC_RUNNER_AVAILABLE_IN_1_0
gboolean async_runner_call_function_sync (AsyncRunner   *self,
                                          const char    *namespace_,
                                          const char    *function,
                                          const GValue  *args,
                                          guint          n_args,
                                          GCancellable  *cancellable,
                                          GValue       **out_values,
                                          guint         *n_out_values,
                                          GError       **error);
ASYNC_RUNNER_AVAILABLE_IN_1_0
GValue  *async_runner_call_method_sync_values   (AsyncRunner   *self,
                                                 GObject       *object,
                                                 const char    *method,
                                                 const GValue  *args,
                                                 guint          n_args,
                                                 GCancellable  *cancellable,
                                                 guint         *n_out_values,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;
ASYNC_RUNNER_AVAILABLE_IN_1_0
GValue  *async_runner_call_function_sync_values (AsyncRunner   *self,
                                                 const char    *namespace_,
                                                 const char    *function,
                                                 const GValue  *args,
                                                 guint          n_args,
                                                 GCancellable  *cancellable,
                                                 guint         *n_out_values,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
