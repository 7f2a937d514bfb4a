/* bs-pareto-plot.h — the Pareto plot widget: accuracy against energy. */
#pragma once

#include <gtk/gtk.h>

#include "bs-pareto-chart.h"
#include "bs-plot-export.h"

G_BEGIN_DECLS

#define BS_TYPE_PARETO_PLOT (bs_pareto_plot_get_type ())
G_DECLARE_FINAL_TYPE (BsParetoPlot, bs_pareto_plot, BS, PARETO_PLOT, GtkWidget)

GtkWidget     *bs_pareto_plot_new          (void);
BsParetoChart *bs_pareto_plot_get_chart    (BsParetoPlot   *self);
void           bs_pareto_plot_reset_view   (BsParetoPlot   *self);
void           bs_pareto_plot_render       (BsParetoPlot   *plot,
                                            cairo_t        *cr,
                                            int             width,
                                            int             height);
GBytes        *bs_pareto_plot_export       (BsParetoPlot   *self,
                                            BsExportFormat  format,
                                            int             width,
                                            int             height,
                                            GError        **error);

G_END_DECLS
