/* bs-layer-table.h — the layers of the selected configuration in a
 * GtkColumnView: what each layer is, the formats it runs in (editable drop
 * downs) and what the evaluation measured there. */
#pragma once

#include <gtk/gtk.h>

#include "bs-evaluation.h"
#include "bs-project.h"

G_BEGIN_DECLS

typedef enum {
  BS_LAYER_FIELD_WEIGHT,
  BS_LAYER_FIELD_INPUT,
  BS_LAYER_FIELD_ACC,
} BsLayerField;

#define BS_TYPE_LAYER_TABLE (bs_layer_table_get_type ())
G_DECLARE_FINAL_TYPE (BsLayerTable, bs_layer_table, BS, LAYER_TABLE, GtkWidget)

GtkWidget  *bs_layer_table_new            (void);
void        bs_layer_table_set_project    (BsLayerTable    *self,
                                           BsProject       *project);
void        bs_layer_table_set_config     (BsLayerTable    *self,
                                           const bs_config *config);
void        bs_layer_table_set_evaluation (BsLayerTable    *self,
                                           BsEvaluation    *evaluation);
guint       bs_layer_table_get_n_layers   (BsLayerTable    *self);
const char *bs_layer_table_get_text       (BsLayerTable    *self,
                                           guint            layer,
                                           guint            column);
GListModel *bs_layer_table_get_choices    (BsLayerTable    *self,
                                           BsLayerField     field);

/* Columns, for bs_layer_table_get_text. */
enum {
  BS_LAYER_COLUMN_NAME,
  BS_LAYER_COLUMN_TYPE,
  BS_LAYER_COLUMN_MACS,
  BS_LAYER_COLUMN_PARAMS,
  BS_LAYER_COLUMN_WEIGHT,
  BS_LAYER_COLUMN_INPUT,
  BS_LAYER_COLUMN_ACC,
  BS_LAYER_COLUMN_SPARSITY,
  BS_LAYER_COLUMN_SQNR,
  BS_LAYER_COLUMN_ENERGY,
  BS_LAYER_N_COLUMNS
};

G_END_DECLS
