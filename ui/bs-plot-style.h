/* bs-plot-style.h — the colours a plot is drawn with. */
#pragma once

#include <glib.h>
#include <pango/pango.h>

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

/* Text for a plot: a layout of str in the context's font, bold or not, its
 * size times scale; and a layout's size in pixels. */
PangoLayout *bs_plot_text            (PangoContext *pango,
                                      const char   *str,
                                      gboolean      bold,
                                      double        scale);
double       bs_plot_text_width      (PangoLayout  *layout);
double       bs_plot_text_height     (PangoLayout  *layout);

G_END_DECLS
