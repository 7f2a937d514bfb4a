/* bs-units.h — numbers as people read them in the plots and panels. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *bs_units_format_energy   (double pj);
char *bs_units_format_accuracy (double top1,
                                int    decimals);

G_END_DECLS
