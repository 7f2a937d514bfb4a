/* bs-pareto-chart.h — the Pareto plot without a widget: axes, series, layout,
 * hit-testing, zoom and the one render function used for screen and files. */
#pragma once

#include <cairo.h>
#include <pango/pango.h>

#include "bs-axis.h"
#include "bs-plot-series.h"
#include "bs-plot-style.h"

G_BEGIN_DECLS

#define BS_TYPE_PARETO_CHART (bs_pareto_chart_get_type ())
G_DECLARE_FINAL_TYPE (BsParetoChart, bs_pareto_chart, BS, PARETO_CHART, GObject)

BsParetoChart *bs_pareto_chart_new                (void);
BsAxis        *bs_pareto_chart_get_x_axis         (BsParetoChart     *self);
BsAxis        *bs_pareto_chart_get_y_axis         (BsParetoChart     *self);

void           bs_pareto_chart_add_series         (BsParetoChart     *self,
                                                   BsPlotSeries      *series);
void           bs_pareto_chart_remove_series      (BsParetoChart     *self,
                                                   BsPlotSeries      *series);
void           bs_pareto_chart_remove_all         (BsParetoChart     *self);
guint          bs_pareto_chart_get_n_series       (BsParetoChart     *self);
BsPlotSeries  *bs_pareto_chart_get_series         (BsParetoChart     *self,
                                                   guint              index);
BsMarker       bs_pareto_chart_get_marker         (BsParetoChart     *self,
                                                   BsPlotSeries      *series);

void           bs_pareto_chart_raise_series       (BsParetoChart     *self,
                                                   BsPlotSeries      *series);

void           bs_pareto_chart_set_size           (BsParetoChart     *self,
                                                   int                width,
                                                   int                height);
void           bs_pareto_chart_set_style          (BsParetoChart     *self,
                                                   const BsPlotStyle *style);
const BsPlotStyle *bs_pareto_chart_get_style      (BsParetoChart     *self);
void           bs_pareto_chart_set_font           (BsParetoChart     *self,
                                                   const PangoFontDescription *font);
void           bs_pareto_chart_get_plot_area      (BsParetoChart     *self,
                                                   double            *x,
                                                   double            *y,
                                                   double            *width,
                                                   double            *height);

gboolean       bs_pareto_chart_hit_test           (BsParetoChart     *self,
                                                   double             x,
                                                   double             y,
                                                   double             radius,
                                                   BsPlotSeries     **series,
                                                   guint             *index);
gboolean       bs_pareto_chart_get_point_position (BsParetoChart     *self,
                                                   BsPlotSeries      *series,
                                                   guint              index,
                                                   double            *x,
                                                   double            *y);

void           bs_pareto_chart_zoom               (BsParetoChart     *self,
                                                   double             x,
                                                   double             y,
                                                   double             factor);
void           bs_pareto_chart_pan                (BsParetoChart     *self,
                                                   double             dx,
                                                   double             dy);
void           bs_pareto_chart_reset_view         (BsParetoChart     *self);
gboolean       bs_pareto_chart_get_auto_fit       (BsParetoChart     *self);

void           bs_pareto_chart_set_selected       (BsParetoChart     *self,
                                                   BsPlotSeries      *series,
                                                   guint              index);
gboolean       bs_pareto_chart_get_selected       (BsParetoChart     *self,
                                                   BsPlotSeries     **series,
                                                   guint             *index);

void           bs_pareto_chart_render             (BsParetoChart     *self,
                                                   cairo_t           *cr,
                                                   int                width,
                                                   int                height);

G_END_DECLS
