/* artest.c: a tiny introspected library for the by-name tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ARTEST_VERSION (1 or 2) is the version this copy is built as: what
 * ar_test_sink_version_finish() answers, from code of this copy alone.
 */

#include "artest.h"

struct _ArTestSink
{
  GObject parent_instance;
};

G_DEFINE_TYPE (ArTestSink, ar_test_sink, G_TYPE_OBJECT)

static void
ar_test_sink_class_init (ArTestSinkClass *klass)
{
}

static void
ar_test_sink_init (ArTestSink *self)
{
}

ArTestSink *
ar_test_sink_new (void)
{
  return g_object_new (AR_TEST_TYPE_SINK, NULL);
}

static void
return_uint (gpointer             source,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data,
             guint                n)
{
  g_autoptr(GTask) task = g_task_new (source, cancellable, callback, user_data);

  g_task_return_int (task, n);
}

void
ar_test_sink_version_async (ArTestSink          *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (AR_TEST_IS_SINK (self));
  return_uint (self, cancellable, callback, user_data, ARTEST_VERSION);
}

guint
ar_test_sink_version_finish (ArTestSink    *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return (guint) g_task_propagate_int (G_TASK (result), error);
}

/* A free function that, unlike g_object_unref(), does not take NULL */
static void
strict_unref (gpointer object)
{
  if (object == NULL)
    g_error ("strict_unref: an element was freed twice (NULL)");
  g_object_unref (object);
}

void
ar_test_sink_list_async (ArTestSink          *self,
                         guint                n,
                         gboolean             with_free_func,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GPtrArray *array = with_free_func ? g_ptr_array_new_with_free_func (strict_unref)
                                    : g_ptr_array_new ();
  guint i;

  for (i = 0; i < n; i++)
    g_ptr_array_add (array, ar_test_sink_new ());
  /* Not freed by the task: a result that is never propagated leaks, as
   * GIO's own would with a free function that cannot be told apart. */
  g_task_return_pointer (task, array, NULL);
}

GPtrArray *
ar_test_sink_list_finish (ArTestSink    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ar_test_sink_progress_async (ArTestSink          *self,
                             ArTestProgress       progress,
                             gpointer             progress_data,
                             GDestroyNotify       progress_notify,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  if (progress != NULL)
    progress (1.0, progress_data);
  if (progress_notify != NULL)
    progress_notify (progress_data);
  g_task_return_boolean (task, TRUE);
}

gboolean
ar_test_sink_progress_finish (ArTestSink    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ar_test_version_async (GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  return_uint (NULL, cancellable, callback, user_data, ARTEST_VERSION);
}

guint
ar_test_version_finish (GAsyncResult  *result,
                        GError       **error)
{
  return (guint) g_task_propagate_int (G_TASK (result), error);
}

typedef struct
{
  gint64   i64;
  guint64  u64;
  double   d;
  float    f;
  gunichar c;
  gsize    size;
  gssize   ssize;
} Numbers;

void
ar_test_numbers_async (gint64               i64,
                       guint64              u64,
                       double               d,
                       float                f,
                       gunichar             c,
                       gsize                size,
                       gssize               ssize,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Numbers *numbers = g_new (Numbers, 1);

  numbers->i64 = i64;
  numbers->u64 = u64;
  numbers->d = d;
  numbers->f = f;
  numbers->c = c;
  numbers->size = size;
  numbers->ssize = ssize;
  g_task_return_pointer (task, numbers, g_free);
}

gint64
ar_test_numbers_finish (GAsyncResult  *result,
                        guint64       *u64,
                        double        *d,
                        float         *f,
                        gunichar      *c,
                        gsize         *size,
                        gssize        *ssize,
                        GError       **error)
{
  g_autofree Numbers *numbers = g_task_propagate_pointer (G_TASK (result), error);

  if (numbers == NULL)
    return 0;
  *u64 = numbers->u64;
  *d = numbers->d;
  *f = numbers->f;
  *c = numbers->c;
  *size = numbers->size;
  *ssize = numbers->ssize;
  return numbers->i64;
}

void
ar_test_halve_async (double               d,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  double *half = g_new (double, 1);

  *half = d / 2;
  g_task_return_pointer (task, half, g_free);
}

double
ar_test_halve_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_autofree double *half = g_task_propagate_pointer (G_TASK (result), error);

  return half != NULL ? *half : 0;
}

void
ar_test_nothing_async (GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_return_boolean (task, TRUE);
}

/* Every out value NULL: a nullable string, byte array, GPtrArray, strv */
gboolean
ar_test_nothing_finish (GAsyncResult  *result,
                        char         **string,
                        guint8       **bytes,
                        gsize         *n_bytes,
                        GPtrArray    **objects,
                        char        ***strv,
                        GError       **error)
{
  *string = NULL;
  *bytes = NULL;
  *n_bytes = 0;
  *objects = NULL;
  *strv = NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}
