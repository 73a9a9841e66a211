/* artest.h: a tiny introspected library for the by-name tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built twice (libartest-1, libartest-2), with a hand-written GIR compiled
 * into the typelibs ArTest-1.0 and ArTest-2.0 in the build tree: the same
 * GType names in two versions of one namespace, as libsoup 2 and 3 have.
 * Each asynchronous function covers something that GIO's own do not.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AR_TEST_TYPE_SINK (ar_test_sink_get_type ())
G_DECLARE_FINAL_TYPE (ArTestSink, ar_test_sink, AR_TEST, SINK, GObject)

typedef void (*ArTestProgress) (double   fraction,
                                gpointer user_data);

ArTestSink *ar_test_sink_new             (void);

void        ar_test_sink_version_async   (ArTestSink          *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
guint       ar_test_sink_version_finish  (ArTestSink          *self,
                                          GAsyncResult        *result,
                                          GError             **error);

void        ar_test_sink_list_async      (ArTestSink          *self,
                                          guint                n,
                                          gboolean             with_free_func,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
GPtrArray  *ar_test_sink_list_finish     (ArTestSink          *self,
                                          GAsyncResult        *result,
                                          GError             **error);

void        ar_test_sink_progress_async  (ArTestSink          *self,
                                          ArTestProgress       progress,
                                          gpointer             progress_data,
                                          GDestroyNotify       progress_notify,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    ar_test_sink_progress_finish (ArTestSink          *self,
                                          GAsyncResult        *result,
                                          GError             **error);

void        ar_test_version_async        (GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
guint       ar_test_version_finish       (GAsyncResult        *result,
                                          GError             **error);

void        ar_test_numbers_async        (gint64               i64,
                                          guint64              u64,
                                          double               d,
                                          float                f,
                                          gunichar             c,
                                          gsize                size,
                                          gssize               ssize,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gint64      ar_test_numbers_finish       (GAsyncResult        *result,
                                          guint64             *u64,
                                          double              *d,
                                          float               *f,
                                          gunichar            *c,
                                          gsize               *size,
                                          gssize              *ssize,
                                          GError             **error);

void        ar_test_halve_async          (double               d,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
double      ar_test_halve_finish         (GAsyncResult        *result,
                                          GError             **error);

void        ar_test_nothing_async        (GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    ar_test_nothing_finish       (GAsyncResult        *result,
                                          char               **string,
                                          guint8             **bytes,
                                          gsize               *n_bytes,
                                          GPtrArray          **objects,
                                          char              ***strv,
                                          GError             **error);

G_END_DECLS
