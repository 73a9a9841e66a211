/* async-runner-version.h: the version this header was installed with
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (ASYNC_RUNNER_INSIDE) && !defined (ASYNC_RUNNER_COMPILATION)
# error "Only <async-runner.h> can be included directly."
#endif

/**
 * ASYNC_RUNNER_MAJOR_VERSION:
 *
 * The major version of the async-runner headers in use.
 *
 * Since: 1.0
 */
#define ASYNC_RUNNER_MAJOR_VERSION (1)

/**
 * ASYNC_RUNNER_MINOR_VERSION:
 *
 * The minor version of the async-runner headers in use.
 *
 * Since: 1.0
 */
#define ASYNC_RUNNER_MINOR_VERSION (0)

/**
 * ASYNC_RUNNER_MICRO_VERSION:
 *
 * The micro version of the async-runner headers in use.
 *
 * Since: 1.0
 */
#define ASYNC_RUNNER_MICRO_VERSION (0)

/**
 * ASYNC_RUNNER_VERSION_S:
 *
 * The version of the async-runner headers in use, as a string.
 *
 * Since: 1.0
 */
#define ASYNC_RUNNER_VERSION_S "1.0.0"

/**
 * ASYNC_RUNNER_CHECK_VERSION:
 * @major: required major version
 * @minor: required minor version
 * @micro: required micro version
 *
 * Compile-time check that the async-runner headers are at least the
 * given version.
 *
 * Returns: %TRUE if the headers are @major.@minor.@micro or newer
 *
 * Since: 1.0
 */
#define ASYNC_RUNNER_CHECK_VERSION(major,minor,micro)                      \
  (ASYNC_RUNNER_MAJOR_VERSION > (major) ||                                 \
   (ASYNC_RUNNER_MAJOR_VERSION == (major) &&                               \
    ASYNC_RUNNER_MINOR_VERSION > (minor)) ||                               \
   (ASYNC_RUNNER_MAJOR_VERSION == (major) &&                               \
    ASYNC_RUNNER_MINOR_VERSION == (minor) &&                               \
    ASYNC_RUNNER_MICRO_VERSION >= (micro)))
