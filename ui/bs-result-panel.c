/* bs-result-panel.c — labels for a stored result and its layer choices. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-config-summary.h"
#include "bs-result-panel.h"
#include "bs-units.h"

struct _BsResultPanel
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkLabel *title;
  GtkGrid *metrics;
  GtkListBox *layers;
};

G_DEFINE_FINAL_TYPE (BsResultPanel, bs_result_panel, GTK_TYPE_WIDGET)

static void
add_metric (BsResultPanel *self, int row, int col, const char *name, const char *value)
{
  GtkWidget *key = gtk_label_new (name);
  GtkWidget *val = gtk_label_new (value);

  gtk_label_set_xalign (GTK_LABEL (key), 0);
  gtk_label_set_xalign (GTK_LABEL (val), 0);
  gtk_label_set_ellipsize (GTK_LABEL (key), PANGO_ELLIPSIZE_END);
  gtk_label_set_ellipsize (GTK_LABEL (val), PANGO_ELLIPSIZE_END);
  gtk_widget_set_tooltip_text (val, value);
  gtk_widget_add_css_class (key, "dim-label");
  gtk_widget_add_css_class (val, "numeric");
  gtk_label_set_selectable (GTK_LABEL (val), TRUE);
  gtk_grid_attach (self->metrics, key, col * 2, row, 1, 1);
  gtk_grid_attach (self->metrics, val, col * 2 + 1, row, 1, 1);
}

static char *
fraction_text (double v)
{
  if (!isfinite (v))
    return g_strdup ("–");
  return g_strdup_printf ("%.1f %%", v * 100);
}

static char *
bits_text (double v)
{
  if (!isfinite (v))
    return g_strdup ("–");
  return g_strdup_printf ("%.2f", v);
}

static void
clear (BsResultPanel *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->metrics))))
    gtk_grid_remove (self->metrics, child);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->layers))))
    gtk_list_box_remove (self->layers, child);
}

/* Show result (metrics) and layers (GStrv {weight, input, acc, scaling,
 * name} per layer; a NULL name shows as the layer's index); NaN metrics show
 * as a dash. */
void
bs_result_panel_set_result (BsResultPanel *self, const BsStoreResult *r, GPtrArray *layers)
{
  const BsStoreMetrics *m = &r->m;
  g_autofree char *label = NULL;
  g_autofree char *top1 = bs_units_format_accuracy (m->top1, 2);
  g_autofree char *top5 = bs_units_format_accuracy (m->top5, 2);
  g_autofree char *energy = bs_units_format_energy (m->energy_pj);
  g_autofree char *compute = bs_units_format_energy (m->compute_pj);
  g_autofree char *memory = bs_units_format_energy (m->memory_pj);
  g_autofree char *wbits = bits_text (m->mean_weight_bits);
  g_autofree char *ibits = bits_text (m->mean_input_bits);
  g_autofree char *wsp = fraction_text (m->weight_sparsity);
  g_autofree char *isp = fraction_text (m->input_sparsity);
  g_autofree char *split = NULL;
  glong name_w = 0;

  g_return_if_fail (BS_IS_RESULT_PANEL (self));
  clear (self);

  bs_config_summary (r->canonical, &label);
  gtk_label_set_label (self->title, label);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->title), r->canonical);

  /* TRANSLATORS: compute energy / memory energy */
  split = g_strdup_printf (_("%s compute · %s memory"), compute, memory);
  add_metric (self, 0, 0, _("Top-1 accuracy"), top1);
  add_metric (self, 1, 0, _("Top-5 accuracy"), top5);
  add_metric (self, 2, 0, _("Energy per inference"), energy);
  add_metric (self, 3, 0, _("Energy split"), split);
  add_metric (self, 0, 1, _("Mean weight bits"), wbits);
  add_metric (self, 1, 1, _("Mean input bits"), ibits);
  add_metric (self, 2, 1, _("Weight sparsity"), wsp);
  add_metric (self, 3, 1, _("Input sparsity"), isp);

  for (guint i = 0; layers && i < layers->len; i++)
    {
      char **l = g_ptr_array_index (layers, i);
      g_autofree char *bare = l[4] ? g_strdup (l[4]) : g_strdup_printf ("L%u", i);

      name_w = MAX (name_w, g_utf8_strlen (bare, -1));
    }
  for (guint i = 0; layers && i < layers->len; i++)
    {
      char **l = g_ptr_array_index (layers, i);
      g_autofree char *text = NULL;
      GtkWidget *row = gtk_label_new (NULL);
      g_autofree char *bare = l[4] ? g_strdup (l[4]) : g_strdup_printf ("L%u", i);
      /* padded so that the columns line up in the monospace font */
      g_autofree char *name = g_strdup_printf ("%s%*s", bare, (int) (name_w - g_utf8_strlen (bare, -1)), "");

      /* TRANSLATORS: one layer's choices: layer name, weight format, input
       * format, accumulator, scaling */
      text = g_strdup_printf (_("%s  w %s · a %s · acc %s · scale %s"), name, l[0], l[1], l[2], l[3]);
      gtk_label_set_label (GTK_LABEL (row), text);
      gtk_label_set_xalign (GTK_LABEL (row), 0);
      gtk_label_set_ellipsize (GTK_LABEL (row), PANGO_ELLIPSIZE_END);
      gtk_widget_set_tooltip_text (row, text);
      gtk_widget_add_css_class (row, "monospace");
      gtk_widget_set_margin_start (row, 10);
      gtk_widget_set_margin_end (row, 10);
      gtk_widget_set_margin_top (row, 5);
      gtk_widget_set_margin_bottom (row, 5);
      gtk_list_box_append (self->layers, row);
    }
}

static void
bs_result_panel_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), BS_TYPE_RESULT_PANEL);
  G_OBJECT_CLASS (bs_result_panel_parent_class)->dispose (object);
}

static void
bs_result_panel_class_init (BsResultPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_result_panel_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/bitscape/Bitscape/bs-result-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, BsResultPanel, box);
  gtk_widget_class_bind_template_child (widget_class, BsResultPanel, title);
  gtk_widget_class_bind_template_child (widget_class, BsResultPanel, metrics);
  gtk_widget_class_bind_template_child (widget_class, BsResultPanel, layers);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
bs_result_panel_init (BsResultPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
bs_result_panel_new (void)
{
  return g_object_new (BS_TYPE_RESULT_PANEL, NULL);
}
