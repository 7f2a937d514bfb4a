/* bs-plot-theme.h — plot colours from the widget's style sheet. */
#pragma once

#include <gtk/gtk.h>

#include "bs-plot-style.h"

G_BEGIN_DECLS

void bs_plot_theme_get_style (GtkWidget   *widget,
                              BsPlotStyle *style);

G_END_DECLS
