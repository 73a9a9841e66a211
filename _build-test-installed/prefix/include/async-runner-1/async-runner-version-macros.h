/* async-runner-version-macros.h: symbol visibility and availability
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (ASYNC_RUNNER_INSIDE) && !defined (ASYNC_RUNNER_COMPILATION)
# error "Only <async-runner.h> can be included directly."
#endif

#include <glib.h>

/* The library itself is built with hidden visibility and defines
 * _ASYNC_RUNNER_EXTERN to export what is public; users get a plain
 * extern (or a dllimport on Windows). */
#ifndef _ASYNC_RUNNER_EXTERN
# if defined (_WIN32) && !defined (ASYNC_RUNNER_STATIC_COMPILATION)
#  define _ASYNC_RUNNER_EXTERN __declspec(dllimport) extern
# else
#  define _ASYNC_RUNNER_EXTERN extern
# endif
#endif

#define ASYNC_RUNNER_AVAILABLE_IN_ALL _ASYNC_RUNNER_EXTERN
#define ASYNC_RUNNER_AVAILABLE_IN_1_0 _ASYNC_RUNNER_EXTERN
