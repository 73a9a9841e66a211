/* async-runner-task-private.h: what a run_sync function completed its task with
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  ASYNC_RUNNER_TASK_RESULT_UNKNOWN,
  ASYNC_RUNNER_TASK_RESULT_VALUE,
  ASYNC_RUNNER_TASK_RESULT_OTHER,
} AsyncRunnerTaskResult;

AsyncRunnerTaskResult _async_runner_task_get_result_kind (GTask *task);

G_END_DECLS
