/* bs-project.h — reading a project store off the main thread. */
#pragma once

#include <gio/gio.h>

#include "bs-plot-series.h"
#include "bs-store.h"

G_BEGIN_DECLS

typedef struct {
  char *path;
  GPtrArray *sweeps;           /* BsStoreSweep, newest first */
} BsProjectInfo;

typedef struct {
  BsStoreResult *result;
  GPtrArray *layers;           /* GStrv {weight, input, acc, scaling} */
} BsResultInfo;

char          *bs_project_default_path         (void);

void           bs_project_info_free            (BsProjectInfo        *info);
void           bs_result_info_free             (BsResultInfo         *info);

void           bs_project_open_async           (const char           *path,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
BsProjectInfo *bs_project_open_finish          (GAsyncResult         *result,
                                                GError              **error);

void           bs_project_load_results_async   (const char           *path,
                                                gint64                sweep_id,
                                                BsPlotSeries         *series,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean       bs_project_load_results_finish  (GAsyncResult         *result,
                                                GError              **error);

void           bs_project_load_result_async    (const char           *path,
                                                gint64                result_id,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
BsResultInfo  *bs_project_load_result_finish   (GAsyncResult         *result,
                                                GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsProjectInfo, bs_project_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsResultInfo, bs_result_info_free)

G_END_DECLS
