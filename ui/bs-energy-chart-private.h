/* bs-energy-chart-private.h — layout and drawing of the energy breakdown,
 * without a widget (the widget and the tests share them). */
#pragma once

#include <cairo.h>
#include <pango/pango.h>

#include "bs-energy-data.h"
#include "bs-plot-style.h"

G_BEGIN_DECLS

#define BS_ENERGY_MAX_TICKS 12

typedef struct {
  int width, height;
  double ax, ay, aw, ah;             /* plot area */
  double y_max;                      /* pJ at the top of the axis */
  guint n_yt;
  double yt[BS_ENERGY_MAX_TICKS];    /* pJ */
  PangoLayout *yt_label[BS_ENERGY_MAX_TICKS];
  double slot, bar_w;                /* bar i is centred at ax + slot (i + ½) */
  GPtrArray *names;                  /* PangoLayout per bar, NULL where skipped */
  GPtrArray *totals;                 /* PangoLayout per bar, NULL where skipped */
  PangoLayout *title, *legend[2], *empty;
  double legend_x, legend_y, legend_row;
} BsEnergyLayout;

void     _bs_energy_layout_clear (BsEnergyLayout       *layout);
void     _bs_energy_layout       (BsEnergyLayout       *layout,
                                  const BsEnergyData   *data,
                                  const char           *empty_text,
                                  PangoContext         *pango,
                                  int                   width,
                                  int                   height);
void     _bs_energy_draw         (const BsEnergyLayout *layout,
                                  const BsEnergyData   *data,
                                  const BsPlotStyle    *style,
                                  cairo_t              *cr);
gboolean _bs_energy_hit_test     (const BsEnergyLayout *layout,
                                  const BsEnergyData   *data,
                                  double                x,
                                  double                y,
                                  guint                *bar,
                                  BsEnergyPart         *part);
void     _bs_energy_bar_rect     (const BsEnergyLayout *layout,
                                  const BsEnergyData   *data,
                                  guint                 bar,
                                  BsEnergyPart          part,
                                  double               *x,
                                  double               *y,
                                  double               *w,
                                  double               *h);

G_END_DECLS
