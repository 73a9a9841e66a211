/* async-runner-binding-private.h: functions that a language binding cannot run on the runner thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean _async_runner_binding_check_function (gpointer   func,
                                               GError   **error);

G_END_DECLS
