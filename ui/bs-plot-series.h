/* bs-plot-series.h — one sweep's points as arrays, with its Pareto front kept
 * up to date as points are appended. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  BS_MARKER_CIRCLE,
  BS_MARKER_SQUARE,
  BS_MARKER_TRIANGLE,
  BS_MARKER_DIAMOND,
  BS_MARKER_CROSS,
  BS_N_MARKERS
} BsMarker;

/* Colour classes of points: the bs_family values, then these two. */
#define BS_PLOT_FAMILY_MIXED   11
#define BS_PLOT_FAMILY_OTHER   12
#define BS_PLOT_N_FAMILIES     13

typedef struct {
  double x, y;          /* energy (pJ) and top-1 accuracy (%); NaN = not measured */
  gint64 id;            /* result id in the store */
  guint8 family;        /* < BS_PLOT_N_FAMILIES */
  const char *label;    /* formats, for tooltips (copied) */
} BsPlotPoint;

#define BS_TYPE_PLOT_SERIES (bs_plot_series_get_type ())
G_DECLARE_FINAL_TYPE (BsPlotSeries, bs_plot_series, BS, PLOT_SERIES, GObject)

BsPlotSeries *bs_plot_series_new          (const char        *title);
const char   *bs_plot_series_get_title    (BsPlotSeries      *self);
void          bs_plot_series_set_title    (BsPlotSeries      *self,
                                           const char        *title);
gint64        bs_plot_series_get_key      (BsPlotSeries      *self);
void          bs_plot_series_set_key      (BsPlotSeries      *self,
                                           gint64             key);
void          bs_plot_series_set_marker   (BsPlotSeries      *self,
                                           int                marker);
int           bs_plot_series_get_marker   (BsPlotSeries      *self);

void          bs_plot_series_append       (BsPlotSeries      *self,
                                           const BsPlotPoint *points,
                                           guint              n_points);
void          bs_plot_series_clear        (BsPlotSeries      *self);

guint         bs_plot_series_get_n_points (BsPlotSeries      *self);
const double *bs_plot_series_get_x        (BsPlotSeries      *self);
const double *bs_plot_series_get_y        (BsPlotSeries      *self);
const guint8 *bs_plot_series_get_families (BsPlotSeries      *self);
gint64        bs_plot_series_get_id       (BsPlotSeries      *self,
                                           guint              index);
const char   *bs_plot_series_get_label    (BsPlotSeries      *self,
                                           guint              index);
guint         bs_plot_series_count_family (BsPlotSeries      *self,
                                           guint              family);
const guint  *bs_plot_series_get_front    (BsPlotSeries      *self,
                                           guint             *n_front);
gboolean      bs_plot_series_get_bounds   (BsPlotSeries      *self,
                                           double            *x_min,
                                           double            *x_max,
                                           double            *y_min,
                                           double            *y_max);

/* A GListModel whose items map_func turns into points; items appended to the
 * model are appended to the series, any other change rebuilds it. */
typedef gboolean (*BsPlotSeriesMapFunc) (gpointer     item,
                                         BsPlotPoint *out,
                                         gpointer     user_data);
void          bs_plot_series_bind_model   (BsPlotSeries        *self,
                                           GListModel          *model,
                                           BsPlotSeriesMapFunc  map_func,
                                           gpointer             user_data,
                                           GDestroyNotify       destroy);

G_END_DECLS
