/* bs-pareto-chart-private.h — layout shared by the chart and its renderer. */
#pragma once

#include "bs-pareto-chart.h"

G_BEGIN_DECLS

#define BS_CHART_MAX_TICKS 24
#define LEGEND_TEXT_X 14.0          /* legend: text after a family's dot */
#define LEGEND_SERIES_TEXT_X 34.0   /* legend: text after a series' line and marker */

/* One series as laid out: screen positions (NaN: not drawn) and the
 * spatial grid's chains (next[i]: next point in i's cell, -1 ends). */
typedef struct {
  BsPlotSeries *series;
  BsMarker marker;
  gulong added_id, reset_id;
  GArray *px, *py;      /* float */
  GArray *next;         /* gint32 */
  gint32 *head;         /* per grid cell: first point, -1 none */
} BsChartSeries;

typedef struct {
  double value;
  PangoLayout *label;
  double pos;           /* pixel position along the axis */
} BsChartTick;

struct _BsParetoChart
{
  GObject parent_instance;

  BsAxis *x_axis, *y_axis;
  GPtrArray *series;    /* BsChartSeries */
  BsPlotStyle style;
  PangoContext *pango;
  PangoFontDescription *font;
  gboolean auto_fit;
  BsPlotSeries *selected;
  guint selected_index;
  gboolean in_layout;

  /* layout (recomputed when size, axes, style or data change) */
  int width, height;
  double ax, ay, aw, ah;            /* plot area */
  BsChartTick xt[BS_CHART_MAX_TICKS], yt[BS_CHART_MAX_TICKS];
  guint n_xt, n_yt;
  PangoLayout *x_title, *y_title, *empty;
  GPtrArray *legend;                /* PangoLayout per legend entry */
  GArray *legend_kind;              /* gint: family (>= 0) or -1 - series index */
  GArray *legend_x;                 /* double: left of each entry's marker */
  GArray *legend_row;               /* guint: row of each entry */
  double lx, ly, lw, lh, lrow;      /* legend band above the plot area, row height */
  double radius;                    /* marker radius, px */
  int grid_cols, grid_rows;
  double cell;

  /* sprites (image fast path), keyed by marker × family, at sprite_scale */
  cairo_surface_t *sprites[BS_N_MARKERS][BS_PLOT_N_FAMILIES];
  double sprite_scale, sprite_radius;
};

void  _bs_pareto_chart_relayout       (BsParetoChart *self);
void  _bs_pareto_chart_clear_text     (BsParetoChart *self);
void  _bs_pareto_chart_fit_axes       (BsParetoChart *self,
                                       gboolean       streaming);
void  _bs_pareto_chart_place_points   (BsParetoChart *self,
                                       BsChartSeries *cs,
                                       guint          from);
double _bs_pareto_chart_marker_radius (BsParetoChart *self);
guint _bs_pareto_chart_count_legend_entries (BsParetoChart *self);
void  _bs_pareto_chart_clear_sprites  (BsParetoChart *self);
void  _bs_marker_path                 (cairo_t       *cr,
                                       BsMarker       marker,
                                       double         x,
                                       double         y,
                                       double         r);

G_END_DECLS
