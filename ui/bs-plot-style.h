/* bs-plot-style.h — the colours a plot is drawn with. */
#pragma once

#include <glib.h>

#include "bs-plot-series.h"

G_BEGIN_DECLS

typedef struct {
  double r, g, b, a;
} BsColor;

typedef struct {
  BsColor background;               /* alpha 0: transparent (the widget's own) */
  BsColor foreground;               /* text, axes; grid and front derive from it */
  BsColor accent;                   /* selection */
  BsColor family[BS_PLOT_N_FAMILIES];
  BsColor series[4];                /* extra colours (format comparison) */
} BsPlotStyle;

void        bs_plot_style_init         (BsPlotStyle *style,
                                        gboolean     dark);
const char *bs_plot_family_name        (guint        family);
const char *bs_plot_family_color_name  (guint        family);

G_END_DECLS
