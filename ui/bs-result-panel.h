/* bs-result-panel.h — the metrics and layers of one selected configuration. */
#pragma once

#include <gtk/gtk.h>

#include "bs-store.h"

G_BEGIN_DECLS

#define BS_TYPE_RESULT_PANEL (bs_result_panel_get_type ())
G_DECLARE_FINAL_TYPE (BsResultPanel, bs_result_panel, BS, RESULT_PANEL, GtkWidget)

GtkWidget *bs_result_panel_new        (void);
void       bs_result_panel_set_result (BsResultPanel       *self,
                                       const BsStoreResult *result,
                                       GPtrArray           *layers);

G_END_DECLS
