/* async-runner.h: umbrella header
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#define ASYNC_RUNNER_INSIDE
# include "async-runner-version.h"
# include "async-runner-version-macros.h"
# include "async-runner-runner.h"
#undef ASYNC_RUNNER_INSIDE
