/* bs-energy-chart.h — the energy breakdown of a configuration on a target:
 * stacked compute / memory bars per layer, tooltips naming every number's
 * source. */
#pragma once

#include <gtk/gtk.h>

#include "bs-energy-data.h"
#include "bs-plot-export.h"

G_BEGIN_DECLS

#define BS_TYPE_ENERGY_CHART (bs_energy_chart_get_type ())
G_DECLARE_FINAL_TYPE (BsEnergyChart, bs_energy_chart, BS, ENERGY_CHART, GtkWidget)

GtkWidget          *bs_energy_chart_new            (void);
void                bs_energy_chart_set_data       (BsEnergyChart  *self,
                                                    BsEnergyData   *data);
const BsEnergyData *bs_energy_chart_get_data       (BsEnergyChart  *self);
void                bs_energy_chart_set_empty_text (BsEnergyChart  *self,
                                                    const char     *text);
char               *bs_energy_chart_describe_at    (BsEnergyChart  *self,
                                                    double          x,
                                                    double          y);
void                bs_energy_chart_render         (BsEnergyChart  *self,
                                                    cairo_t        *cr,
                                                    int             width,
                                                    int             height);
GBytes             *bs_energy_chart_export         (BsEnergyChart  *self,
                                                    BsExportFormat  format,
                                                    int             width,
                                                    int             height,
                                                    GError        **error);

G_END_DECLS
