/* bs-format-compare-private.h — what the comparison draws, computed off the
 * main thread, and its layout. */
#pragma once

#include <pango/pango.h>

#include "bs-format-compare.h"
#include "bs-format-sweep.h"
#include "bs-plot-style.h"

G_BEGIN_DECLS

#define BS_COMPARE_MAX_TICKS 16

/* Computed data: immutable once handed to the widget. */
typedef struct {
  GPtrArray *curves;        /* BsFormatCurve */
  BsHistogram *hist;        /* NULL without a tensor */
  char *tensor_name;
  gsize tensor_n;
  double lo, hi;            /* x range (magnitudes) */
} BsCompareData;

void bs_compare_data_free (BsCompareData *data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsCompareData, bs_compare_data_free)

void           _bs_compare_data_compute_async  (const char * const  *names,
                                                GBytes              *tensor,
                                                const char          *tensor_name,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
BsCompareData *_bs_compare_data_compute_finish (GAsyncResult        *result,
                                                GError             **error);
void           _bs_tensor_load_async           (const char          *path,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
GBytes        *_bs_tensor_load_finish          (GAsyncResult        *result,
                                                char               **path,
                                                GError             **error);

typedef struct {
  int width, height;
  double x0, x1;                    /* plot columns, shared by every panel */
  double values_y, values_h, row;   /* representable values strip, one row per format */
  double err_y, err_h;              /* relative error */
  double err_floor;                 /* log10 of the smallest error shown */
  double hist_y, hist_h;            /* histogram; 0 high without one */
  double axis_y;                    /* x tick labels */
  double table_y, table_row;        /* SQNR table */
  double table_col[3];
  guint n_xt;
  double xt[BS_COMPARE_MAX_TICKS];
  PangoLayout *xt_label[BS_COMPARE_MAX_TICKS];
  guint n_yt;
  double yt[BS_COMPARE_MAX_TICKS];  /* log10 of relative error */
  PangoLayout *yt_label[BS_COMPARE_MAX_TICKS];
  PangoLayout *title_values, *title_err, *title_hist, *title_x, *empty;
  GPtrArray *names;                 /* PangoLayout per format */
  GPtrArray *cells;                 /* SQNR table, 3 per row, header first */
} BsCompareLayout;

void  _bs_compare_layout_clear (BsCompareLayout    *layout);
void  _bs_compare_layout       (BsCompareLayout    *layout,
                                const BsCompareData *data,
                                PangoContext       *pango,
                                int                 width,
                                int                 height);
void  _bs_compare_draw         (const BsCompareLayout *layout,
                                const BsCompareData *data,
                                const BsPlotStyle  *style,
                                cairo_t            *cr);

G_END_DECLS
