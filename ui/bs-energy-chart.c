/* bs-energy-chart.c — the widget around the energy breakdown: colours from
 * the theme, layout when data, size or font change, tooltips from the
 * layout's hit-test.  Screen and files draw through bs_energy_chart_render. */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-energy-chart.h"
#include "bs-energy-chart-private.h"
#include "bs-plot-theme.h"

struct _BsEnergyChart
{
  GtkWidget parent_instance;

  BsEnergyData *data;
  char *empty_text;
  BsEnergyLayout layout;
  BsPlotStyle style;
};

G_DEFINE_FINAL_TYPE (BsEnergyChart, bs_energy_chart, GTK_TYPE_WIDGET)

static void
relayout (BsEnergyChart *self)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self)), h = gtk_widget_get_height (GTK_WIDGET (self));

  _bs_energy_layout (&self->layout, self->data, self->empty_text,
                     gtk_widget_get_pango_context (GTK_WIDGET (self)), MAX (w, 1), MAX (h, 1));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
bs_energy_chart_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  BsEnergyChart *self = BS_ENERGY_CHART (widget);

  if (self->layout.width != width || self->layout.height != height)
    relayout (self);
}

static void
bs_energy_chart_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                         int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 280 : 160;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 640 : 260;
}

static void
bs_energy_chart_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  BsEnergyChart *self = BS_ENERGY_CHART (widget);

  GTK_WIDGET_CLASS (bs_energy_chart_parent_class)->css_changed (widget, change);
  bs_plot_theme_get_style (widget, &self->style);
  relayout (self);
}

static void
bs_energy_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  BsEnergyChart *self = BS_ENERGY_CHART (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (w <= 0 || h <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  bs_energy_chart_render (self, cr, w, h);
  cairo_destroy (cr);
}

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  BsEnergyChart *self)
{
  g_autofree char *markup = NULL;
  guint bar;
  BsEnergyPart part;
  double bx, by, bw, bh;

  if (keyboard || !self->data ||
      !_bs_energy_hit_test (&self->layout, self->data, x, y, &bar, &part))
    return FALSE;
  markup = bs_energy_data_describe (self->data, bar, part);
  gtk_tooltip_set_markup (tooltip, markup);
  _bs_energy_bar_rect (&self->layout, self->data, bar, part, &bx, &by, &bw, &bh);
  gtk_tooltip_set_tip_area (tooltip, &(GdkRectangle) { (int) bx, (int) by, (int) bw, MAX ((int) bh, 1) });
  return TRUE;
}

static void
bs_energy_chart_dispose (GObject *object)
{
  BsEnergyChart *self = BS_ENERGY_CHART (object);

  _bs_energy_layout_clear (&self->layout);
  g_clear_pointer (&self->data, bs_energy_data_free);
  g_clear_pointer (&self->empty_text, g_free);

  G_OBJECT_CLASS (bs_energy_chart_parent_class)->dispose (object);
}

static void
bs_energy_chart_class_init (BsEnergyChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_energy_chart_dispose;
  widget_class->snapshot = bs_energy_chart_snapshot;
  widget_class->measure = bs_energy_chart_measure;
  widget_class->size_allocate = bs_energy_chart_size_allocate;
  widget_class->css_changed = bs_energy_chart_css_changed;

  gtk_widget_class_set_css_name (widget_class, "energychart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bs_energy_chart_init (BsEnergyChart *self)
{
  bs_plot_style_init (&self->style, FALSE);
  self->empty_text = g_strdup (_("No configuration selected"));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Energy per inference by layer, compute and memory"), -1);
}

GtkWidget *
bs_energy_chart_new (void)
{
  return g_object_new (BS_TYPE_ENERGY_CHART, NULL);
}

/* Show data (taken; NULL: the empty text). */
void
bs_energy_chart_set_data (BsEnergyChart *self, BsEnergyData *data)
{
  g_return_if_fail (BS_IS_ENERGY_CHART (self));
  g_clear_pointer (&self->data, bs_energy_data_free);
  self->data = data;
  relayout (self);
}

const BsEnergyData *
bs_energy_chart_get_data (BsEnergyChart *self)
{
  g_return_val_if_fail (BS_IS_ENERGY_CHART (self), NULL);
  return self->data;
}

/* What the chart says without data ("Evaluating…", why energy is missing). */
void
bs_energy_chart_set_empty_text (BsEnergyChart *self, const char *text)
{
  g_return_if_fail (BS_IS_ENERGY_CHART (self));
  if (g_strcmp0 (self->empty_text, text) == 0)
    return;
  g_free (self->empty_text);
  self->empty_text = g_strdup (text);
  relayout (self);
}

/* The tooltip markup for the bar part at (x, y) in widget pixels, or NULL. */
char *
bs_energy_chart_describe_at (BsEnergyChart *self, double x, double y)
{
  guint bar;
  BsEnergyPart part;

  g_return_val_if_fail (BS_IS_ENERGY_CHART (self), NULL);
  if (!self->data || !_bs_energy_hit_test (&self->layout, self->data, x, y, &bar, &part))
    return NULL;
  return bs_energy_data_describe (self->data, bar, part);
}

/* Draw the chart at width × height into cr: the widget draws through this
 * too; another size is laid out on the side. */
void
bs_energy_chart_render (BsEnergyChart *self, cairo_t *cr, int width, int height)
{
  g_return_if_fail (BS_IS_ENERGY_CHART (self));
  if (self->layout.width == width && self->layout.height == height &&
      (self->layout.title || self->layout.empty))
    _bs_energy_draw (&self->layout, self->data, &self->style, cr);
  else
    {
      BsEnergyLayout other = { 0 };

      _bs_energy_layout (&other, self->data, self->empty_text,
                         gtk_widget_get_pango_context (GTK_WIDGET (self)), width, height);
      _bs_energy_draw (&other, self->data, &self->style, cr);
      _bs_energy_layout_clear (&other);
    }
}

static void
render_func (gpointer target, cairo_t *cr, int width, int height)
{
  bs_energy_chart_render (target, cr, width, height);
}

GBytes *
bs_energy_chart_export (BsEnergyChart *self, BsExportFormat format, int width, int height,
                        GError **error)
{
  g_return_val_if_fail (BS_IS_ENERGY_CHART (self), NULL);
  return bs_export_render (format, width, height, 2, render_func, self, error);
}
