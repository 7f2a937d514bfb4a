/* bs-reader.h — reading a project store off the main thread. */
#pragma once

#include <gio/gio.h>

#include "bs-plot-series.h"
#include "bs-store.h"

G_BEGIN_DECLS

typedef struct {
  char *path;
  GPtrArray *sweeps;           /* BsStoreSweep, newest first */
} BsSweepList;

typedef struct {
  BsStoreResult *result;
  GPtrArray *layers;           /* GStrv {weight, input, acc, scaling} */
} BsResultDetail;

char           *bs_reader_default_path         (void);

void            bs_sweep_list_free             (BsSweepList          *list);
void            bs_result_detail_free          (BsResultDetail       *detail);

void            bs_reader_open_async           (const char           *path,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
BsSweepList    *bs_reader_open_finish          (GAsyncResult         *result,
                                                GError              **error);

void            bs_reader_load_results_async   (const char           *path,
                                                gint64                sweep_id,
                                                BsPlotSeries         *series,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean        bs_reader_load_results_finish  (GAsyncResult         *result,
                                                GError              **error);

void            bs_reader_load_result_async    (const char           *path,
                                                gint64                result_id,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
BsResultDetail *bs_reader_load_result_finish   (GAsyncResult         *result,
                                                GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsSweepList, bs_sweep_list_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsResultDetail, bs_result_detail_free)

G_END_DECLS
