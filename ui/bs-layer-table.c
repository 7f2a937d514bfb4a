/* bs-layer-table.c — one row per compute layer: its description, its three
 * choices as drop downs, and the evaluation's per-layer figures.
 *
 * Rows are small objects holding each column's text, made again when the
 * configuration or the evaluation changes; cells redraw on the row's
 * "changed" signal, so an open drop down survives an evaluation arriving.
 * A choice the user makes is reported as "layer-edited"; the table itself
 * changes nothing until it is given the new configuration. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "bs-layer-table.h"
#include "bs-units.h"

/* Rows --------------------------------------------------------------------- */

#define BS_TYPE_LAYER_ROW (bs_layer_row_get_type ())
G_DECLARE_FINAL_TYPE (BsLayerRow, bs_layer_row, BS, LAYER_ROW, GObject)

struct _BsLayerRow
{
  GObject parent_instance;
  guint index;
  char *text[BS_LAYER_N_COLUMNS];
  char *tip[BS_LAYER_N_COLUMNS];
  gboolean pending;            /* figures not measured yet */
};

G_DEFINE_FINAL_TYPE (BsLayerRow, bs_layer_row, G_TYPE_OBJECT)

enum { ROW_CHANGED, N_ROW_SIGNALS };
static guint row_signals[N_ROW_SIGNALS];

static void
bs_layer_row_finalize (GObject *object)
{
  BsLayerRow *row = BS_LAYER_ROW (object);

  for (guint c = 0; c < BS_LAYER_N_COLUMNS; c++)
    {
      g_free (row->text[c]);
      g_free (row->tip[c]);
    }
  G_OBJECT_CLASS (bs_layer_row_parent_class)->finalize (object);
}

static void
bs_layer_row_class_init (BsLayerRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bs_layer_row_finalize;
  /* changed: some column's text changed */
  row_signals[ROW_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
bs_layer_row_init (BsLayerRow *row)
{
}

/* Set a column's text and tooltip (taken); TRUE if either changed. */
static gboolean
row_set (BsLayerRow *row, guint column, char *text, char *tip)
{
  gboolean changed = g_strcmp0 (row->text[column], text) != 0 ||
                     g_strcmp0 (row->tip[column], tip) != 0;

  g_free (row->text[column]);
  g_free (row->tip[column]);
  row->text[column] = text;
  row->tip[column] = tip;
  return changed;
}

/* Table -------------------------------------------------------------------- */

struct _BsLayerTable
{
  GtkWidget parent_instance;

  GtkWidget *scroller;
  GtkColumnView *view;
  GListStore *rows;            /* BsLayerRow */
  GtkStringList *formats;      /* choices of the format drop downs */
  GtkStringList *accs;
  bs_config *config;
  BsEvaluation *evaluation;
};

G_DEFINE_FINAL_TYPE (BsLayerTable, bs_layer_table, GTK_TYPE_WIDGET)

enum { LAYER_EDITED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* Numbers of things: "3.61 M", "288". */
static char *
count_text (gint64 n)
{
  static const char *const prefix[] = { "", " k", " M", " G", " T" };
  double v = (double) n;
  guint p = 0;

  if (n < 1000)
    return g_strdup_printf ("%" G_GINT64_FORMAT, n);
  while (v >= 999.5 && p + 1 < G_N_ELEMENTS (prefix))
    {
      v /= 1000;
      p++;
    }
  return g_strdup_printf ("%.3g%s", v, prefix[p]);
}

static char *
percent_text (double fraction)
{
  return isfinite (fraction) ? g_strdup_printf ("%.1f %%", 100 * fraction) : g_strdup ("–");
}

static char *
sqnr_text (double db)
{
  if (isinf (db) && db > 0)
    return g_strdup ("∞");
  /* TRANSLATORS: a signal-to-quantization-noise ratio in decibels */
  return isfinite (db) ? g_strdup_printf (_("%.1f dB"), db) : g_strdup ("–");
}

/* The evaluation's figures for row i, or dashes while pending. */
static gboolean
fill_figures (BsLayerTable *self, BsLayerRow *row)
{
  BsEvaluation *ev = self->evaluation;
  const bs_eval_layer *L;
  gboolean changed = FALSE;
  guint i = row->index;

  row->pending = !ev || (int) i >= ev->eval->n_layers;
  if (row->pending)
    {
      changed |= row_set (row, BS_LAYER_COLUMN_SPARSITY, g_strdup ("…"), NULL);
      changed |= row_set (row, BS_LAYER_COLUMN_SQNR, g_strdup ("…"), NULL);
      changed |= row_set (row, BS_LAYER_COLUMN_ENERGY, g_strdup ("…"), NULL);
      return changed;
    }
  L = &ev->eval->layers[i];
  {
    g_autofree char *in = percent_text (L->input_sparsity), *in32 = percent_text (L->input_sparsity_fp32);
    g_autofree char *w = percent_text (L->weight_sparsity), *w32 = percent_text (L->weight_sparsity_fp32);
    /* TRANSLATORS: zeros among a layer's inputs and weights, quantized and in fp32 */
    char *tip = g_strdup_printf (_("Zero inputs: %s (fp32: %s)\nZero weights: %s (fp32: %s)"),
                                 in, in32, w, w32);

    changed |= row_set (row, BS_LAYER_COLUMN_SPARSITY, percent_text (L->input_sparsity), tip);
  }
  {
    g_autofree char *w = sqnr_text (L->weight_sqnr_db);
    /* TRANSLATORS: %s is the weights' SQNR, e.g. "38.4 dB" */
    char *tip = g_strdup_printf (_("Layer output against the fp32 network's; weights: %s"), w);

    changed |= row_set (row, BS_LAYER_COLUMN_SQNR, sqnr_text (L->output_sqnr_db), tip);
  }
  if (ev->energy && i < ev->energy->n_layers && ev->energy->energy_pj > 0)
    {
      const bs_energy_layer_result *E = &ev->energy->layers[i];
      g_autofree char *e = bs_units_format_energy (E->energy_pj);
      g_autofree char *c = bs_units_format_energy (E->compute_pj);
      g_autofree char *m = bs_units_format_energy (E->memory_pj);
      /* TRANSLATORS: a layer's energy, its compute and memory parts, and the target */
      char *tip = g_strdup_printf (_("%s per inference on %s\n%s compute · %s memory"), e,
                                   bs_shared_target_name (ev->target), c, m);

      changed |= row_set (row, BS_LAYER_COLUMN_ENERGY,
                          percent_text (E->energy_pj / ev->energy->energy_pj), tip);
    }
  else
    changed |= row_set (row, BS_LAYER_COLUMN_ENERGY, g_strdup ("–"),
                        g_strdup (ev->energy_error ? ev->energy_error : _("No target chosen")));
  return changed;
}

static gboolean
fill_choices (BsLayerTable *self, BsLayerRow *row)
{
  const bs_layer_config *lc;
  gboolean changed = FALSE;

  if (!self->config || (int) row->index >= bs_config_n_layers (self->config))
    return FALSE;
  lc = bs_config_layer (self->config, (int) row->index);
  changed |= row_set (row, BS_LAYER_COLUMN_WEIGHT, g_strdup (lc->weight), NULL);
  changed |= row_set (row, BS_LAYER_COLUMN_INPUT, g_strdup (lc->input), NULL);
  changed |= row_set (row, BS_LAYER_COLUMN_ACC, g_strdup (bs_acc_name (lc->acc)), NULL);
  return changed;
}

static void
refresh (BsLayerTable *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (BsLayerRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);
      gboolean changed = fill_choices (self, row);

      changed |= fill_figures (self, row);
      if (changed)
        g_signal_emit (row, row_signals[ROW_CHANGED], 0);
    }
}

/* Choices ------------------------------------------------------------------ */

static guint
find_string (GtkStringList *list, const char *s)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (list, i), s) == 0)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

/* Every named element or block format (patterns aside), posit8_1 (the most
 * used posit) with its family. */
static GtkStringList *
format_choices (void)
{
  GtkStringList *list = gtk_string_list_new (NULL);

  for (const char *const *n = bs_format_listed_names (); *n; n++)
    {
      if (strchr (*n, '<'))
        continue;
      gtk_string_list_append (list, *n);
      if (g_str_equal (*n, "posit8_0"))
        gtk_string_list_append (list, "posit8_1");
    }
  return list;
}

/* Make sure the drop downs can show every name config uses. */
static void
add_config_names (BsLayerTable *self)
{
  for (int i = 0; self->config && i < bs_config_n_layers (self->config); i++)
    {
      const bs_layer_config *lc = bs_config_layer (self->config, i);

      if (find_string (self->formats, lc->weight) == GTK_INVALID_LIST_POSITION)
        gtk_string_list_append (self->formats, lc->weight);
      if (find_string (self->formats, lc->input) == GTK_INVALID_LIST_POSITION)
        gtk_string_list_append (self->formats, lc->input);
    }
}

/* Cells --------------------------------------------------------------------- */

static void
label_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer column)
{
  GtkWidget *label = gtk_label_new (NULL);
  guint c = GPOINTER_TO_UINT (column);

  gtk_label_set_xalign (GTK_LABEL (label), c <= BS_LAYER_COLUMN_TYPE ? 0 : 1);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (c > BS_LAYER_COLUMN_TYPE)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
label_update (BsLayerRow *row, GtkWidget *label)
{
  guint c = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (label), "bs-column"));

  gtk_label_set_label (GTK_LABEL (label), row->text[c] ? row->text[c] : "");
  gtk_widget_set_tooltip_text (label, row->tip[c]);
  if (row->pending && c >= BS_LAYER_COLUMN_SPARSITY)
    gtk_widget_add_css_class (label, "dim-label");
  else
    gtk_widget_remove_css_class (label, "dim-label");
}

static void
label_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer column)
{
  BsLayerRow *row = gtk_list_item_get_item (item);
  GtkWidget *label = gtk_list_item_get_child (item);

  g_object_set_data (G_OBJECT (label), "bs-column", column);
  label_update (row, label);
  g_signal_connect_object (row, "changed", G_CALLBACK (label_update), label, 0);
}

static void
cell_unbind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer column)
{
  BsLayerRow *row = gtk_list_item_get_item (item);

  g_signal_handlers_disconnect_by_data (row, gtk_list_item_get_child (item));
}

static BsLayerField
column_field (guint c)
{
  return c == BS_LAYER_COLUMN_WEIGHT ? BS_LAYER_FIELD_WEIGHT
         : c == BS_LAYER_COLUMN_INPUT ? BS_LAYER_FIELD_INPUT : BS_LAYER_FIELD_ACC;
}

static void
on_choice_selected (GtkDropDown *drop, GParamSpec *pspec, BsLayerTable *self)
{
  BsLayerRow *row = g_object_get_data (G_OBJECT (drop), "bs-row");
  guint c = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (drop), "bs-column"));
  GtkStringObject *item = gtk_drop_down_get_selected_item (drop);
  const char *value = item ? gtk_string_object_get_string (item) : NULL;

  if (!row || !value || g_strcmp0 (value, row->text[c]) == 0)
    return;
  g_signal_emit (self, signals[LAYER_EDITED], 0, row->index, column_field (c), value);
}

static void
choice_update (BsLayerRow *row, GtkDropDown *drop)
{
  guint c = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (drop), "bs-column"));
  GtkStringList *list = GTK_STRING_LIST (gtk_drop_down_get_model (drop));
  guint pos = row->text[c] ? find_string (list, row->text[c]) : GTK_INVALID_LIST_POSITION;
  BsLayerTable *self = g_object_get_data (G_OBJECT (drop), "bs-table");

  g_signal_handlers_block_by_func (drop, on_choice_selected, self);
  gtk_drop_down_set_selected (drop, pos);
  g_signal_handlers_unblock_by_func (drop, on_choice_selected, self);
}

static void
choice_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer column)
{
  BsLayerTable *self = g_object_get_data (G_OBJECT (factory), "bs-table");
  guint c = GPOINTER_TO_UINT (column);
  GtkStringList *list = c == BS_LAYER_COLUMN_ACC ? self->accs : self->formats;
  GtkWidget *drop = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (list)), NULL);

  if (c != BS_LAYER_COLUMN_ACC)
    {
      gtk_drop_down_set_enable_search (GTK_DROP_DOWN (drop), TRUE);
      gtk_drop_down_set_expression (GTK_DROP_DOWN (drop),
                                    gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL,
                                                                 "string"));
    }
  gtk_widget_add_css_class (drop, "flat");
  g_object_set_data (G_OBJECT (drop), "bs-column", column);
  g_object_set_data (G_OBJECT (drop), "bs-table", self);
  g_signal_connect (drop, "notify::selected", G_CALLBACK (on_choice_selected), self);
  gtk_list_item_set_child (item, drop);
}

static void
choice_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer column)
{
  BsLayerRow *row = gtk_list_item_get_item (item);
  GtkWidget *drop = gtk_list_item_get_child (item);

  g_object_set_data (G_OBJECT (drop), "bs-row", row);
  g_object_set_data (G_OBJECT (drop), "bs-layer", GUINT_TO_POINTER (row->index + 1));
  choice_update (row, GTK_DROP_DOWN (drop));
  g_signal_connect_object (row, "changed", G_CALLBACK (choice_update), drop, 0);
}

static void
choice_unbind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer column)
{
  cell_unbind (factory, item, column);
  g_object_set_data (G_OBJECT (gtk_list_item_get_child (item)), "bs-row", NULL);
  g_object_set_data (G_OBJECT (gtk_list_item_get_child (item)), "bs-layer", NULL);
}

/* Columns other than the name have fixed widths, so that new figures
 * coming in do not make the view measure every cell again. */
static const int column_width[BS_LAYER_N_COLUMNS] = { -1, 64, 64, 64, 124, 124, 104, 76, 84, 70 };

static void
add_column (BsLayerTable *self, guint c, const char *title, gboolean expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  gboolean choice = c >= BS_LAYER_COLUMN_WEIGHT && c <= BS_LAYER_COLUMN_ACC;
  g_autoptr (GtkColumnViewColumn) column = NULL;

  g_object_set_data (G_OBJECT (factory), "bs-table", self);
  g_signal_connect (factory, "setup", G_CALLBACK (choice ? choice_setup : label_setup),
                    GUINT_TO_POINTER (c));
  g_signal_connect (factory, "bind", G_CALLBACK (choice ? choice_bind : label_bind),
                    GUINT_TO_POINTER (c));
  g_signal_connect (factory, "unbind", G_CALLBACK (choice ? choice_unbind : cell_unbind),
                    GUINT_TO_POINTER (c));
  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (column, expand);
  if (column_width[c] > 0)
    gtk_column_view_column_set_fixed_width (column, column_width[c]);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_append_column (self->view, column);
}

/* GObject -------------------------------------------------------------------- */

static void
bs_layer_table_dispose (GObject *object)
{
  BsLayerTable *self = BS_LAYER_TABLE (object);

  g_clear_pointer (&self->scroller, gtk_widget_unparent);
  g_clear_object (&self->rows);
  g_clear_object (&self->formats);
  g_clear_object (&self->accs);
  g_clear_pointer (&self->config, bs_config_free);
  g_clear_pointer (&self->evaluation, bs_evaluation_unref);

  G_OBJECT_CLASS (bs_layer_table_parent_class)->dispose (object);
}

static void
bs_layer_table_class_init (BsLayerTableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_layer_table_dispose;

  /* layer-edited (layer, field, value): the user chose value (a format or
   * accumulator name) for a layer's weights, inputs or accumulator. */
  signals[LAYER_EDITED] = g_signal_new ("layer-edited", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                        G_TYPE_UINT, G_TYPE_INT, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "layertable");
}

static void
bs_layer_table_init (BsLayerTable *self)
{
  static const char *const titles[BS_LAYER_N_COLUMNS] = {
    N_("Layer"), N_("Type"), N_("MACs"), N_("Params"), N_("Weights"), N_("Inputs"),
    N_("Accumulator"), N_("Sparsity"), N_("SQNR"), N_("Energy"),
  };
  g_autoptr (GtkNoSelection) selection = NULL;

  self->rows = g_list_store_new (BS_TYPE_LAYER_ROW);
  self->formats = format_choices ();
  self->accs = gtk_string_list_new (NULL);
  for (int a = 0; a < BS_N_ACCS; a++)
    gtk_string_list_append (self->accs, bs_acc_name ((bs_acc) a));

  selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->rows)));
  self->view = GTK_COLUMN_VIEW (gtk_column_view_new (GTK_SELECTION_MODEL (g_steal_pointer (&selection))));
  gtk_column_view_set_show_column_separators (self->view, FALSE);
  gtk_column_view_set_reorderable (self->view, FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->view), "data-table");
  for (guint c = 0; c < BS_LAYER_N_COLUMNS; c++)
    add_column (self, c, _(titles[c]), c == BS_LAYER_COLUMN_NAME);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Layers of the selected configuration"), -1);

  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), GTK_WIDGET (self->view));
  gtk_widget_set_parent (self->scroller, GTK_WIDGET (self));
}

GtkWidget *
bs_layer_table_new (void)
{
  return g_object_new (BS_TYPE_LAYER_TABLE, NULL);
}

/* One row per compute layer of project (NULL: none); choices and figures
 * follow from the configuration and evaluation set later. */
void
bs_layer_table_set_project (BsLayerTable *self, BsProject *project)
{
  int n = project ? bs_project_n_layers (project) : 0;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (BS_IS_LAYER_TABLE (self));
  for (int i = 0; i < n; i++)
    {
      const bs_layer_info *L = bs_project_layer (project, i);
      BsLayerRow *row = g_object_new (BS_TYPE_LAYER_ROW, NULL);
      g_autofree char *macs = count_text (L->macs);
      g_autofree char *params = count_text (L->params);
      g_autofree char *exact_macs = g_strdup_printf ("%" G_GINT64_FORMAT, L->macs);
      g_autofree char *exact_params = g_strdup_printf ("%" G_GINT64_FORMAT, L->params);

      row->index = (guint) i;
      row_set (row, BS_LAYER_COLUMN_NAME, g_strdup (L->name), g_strdup (L->name));
      row_set (row, BS_LAYER_COLUMN_TYPE, g_strdup (bs_op_name (L->op)), NULL);
      /* TRANSLATORS: exact counts behind the rounded figures of the table */
      row_set (row, BS_LAYER_COLUMN_MACS, g_strdup (macs),
               g_strdup_printf (_("%s multiply-accumulates per image"), exact_macs));
      row_set (row, BS_LAYER_COLUMN_PARAMS, g_strdup (params),
               g_strdup_printf (_("%s parameters"), exact_params));
      g_ptr_array_add (rows, row);
    }
  g_list_store_splice (self->rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rows)),
                       rows->pdata, rows->len);
  refresh (self);
}

/* The configuration shown (copied; NULL: none).  Figures stay until an
 * evaluation of it is set. */
void
bs_layer_table_set_config (BsLayerTable *self, const bs_config *config)
{
  g_return_if_fail (BS_IS_LAYER_TABLE (self));
  g_clear_pointer (&self->config, bs_config_free);
  self->config = config ? bs_config_copy (config) : NULL;
  add_config_names (self);
  refresh (self);
}

/* The figures (NULL: pending). */
void
bs_layer_table_set_evaluation (BsLayerTable *self, BsEvaluation *evaluation)
{
  g_return_if_fail (BS_IS_LAYER_TABLE (self));
  if (evaluation)
    bs_evaluation_ref (evaluation);
  g_clear_pointer (&self->evaluation, bs_evaluation_unref);
  self->evaluation = evaluation;
  refresh (self);
}

guint
bs_layer_table_get_n_layers (BsLayerTable *self)
{
  g_return_val_if_fail (BS_IS_LAYER_TABLE (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->rows));
}

/* What a cell shows (for tests and accessibility); NULL if out of range. */
const char *
bs_layer_table_get_text (BsLayerTable *self, guint layer, guint column)
{
  g_autoptr (BsLayerRow) row = NULL;

  g_return_val_if_fail (BS_IS_LAYER_TABLE (self), NULL);
  if (column >= BS_LAYER_N_COLUMNS || layer >= bs_layer_table_get_n_layers (self))
    return NULL;
  row = g_list_model_get_item (G_LIST_MODEL (self->rows), layer);
  return row->text[column];   /* the store keeps the row alive */
}

/* The names a field's drop downs offer (GtkStringObject items). */
GListModel *
bs_layer_table_get_choices (BsLayerTable *self, BsLayerField field)
{
  g_return_val_if_fail (BS_IS_LAYER_TABLE (self), NULL);
  return G_LIST_MODEL (field == BS_LAYER_FIELD_ACC ? self->accs : self->formats);
}
