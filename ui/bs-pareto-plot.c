/* bs-pareto-plot.c — the widget around BsParetoChart: input, tooltip, and a
 * cached rendering.
 *
 * The chart is rendered into an image surface when it changes (data, size,
 * view, style); a frame then paints that texture and, on top, the ring of the
 * hovered point, so hovering over 10^5 points costs one texture and a circle. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-pareto-plot.h"
#include "bs-plot-theme.h"
#include "bs-units.h"

struct _BsParetoPlot
{
  GtkWidget parent_instance;

  BsParetoChart *chart;
  GdkTexture *texture;          /* NULL: render again */

  BsPlotSeries *hover;          /* not owned: compared only */
  guint hover_index;
  double pointer_x, pointer_y;
  double drag_x, drag_y;
  gboolean dragging;
  double zoom_scale;
};

G_DEFINE_FINAL_TYPE (BsParetoPlot, bs_pareto_plot, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CHART,
  N_PROPS
};

enum {
  POINT_SELECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

#define HIT_RADIUS 8.0

static void
invalidate (BsParetoPlot *self)
{
  g_clear_object (&self->texture);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_chart_changed (BsParetoChart *chart, BsParetoPlot *self)
{
  double x, y;

  if (self->hover && !bs_pareto_chart_get_point_position (chart, self->hover, self->hover_index, &x, &y))
    self->hover = NULL;
  invalidate (self);
}

static void
update_style (BsParetoPlot *self)
{
  BsPlotStyle style;
  PangoContext *pango = gtk_widget_get_pango_context (GTK_WIDGET (self));

  bs_plot_theme_get_style (GTK_WIDGET (self), &style);
  bs_pareto_chart_set_style (self->chart, &style);
  bs_pareto_chart_set_font (self->chart, pango_context_get_font_description (pango));
}

static void
bs_pareto_plot_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (bs_pareto_plot_parent_class)->css_changed (widget, change);
  update_style (BS_PARETO_PLOT (widget));
  invalidate (BS_PARETO_PLOT (widget));
}

static void
bs_pareto_plot_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  BsParetoPlot *self = BS_PARETO_PLOT (widget);

  bs_pareto_chart_set_size (self->chart, width, height);
}

static void
bs_pareto_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                        int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 320 : 220;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 720 : 480;
}

static void
release_texture_bytes (gpointer surface)
{
  cairo_surface_destroy (surface);
}

static GdkTexture *
render_texture (BsParetoPlot *self, int width, int height, int scale)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width * scale,
                                                         height * scale);
  g_autoptr (GBytes) bytes = NULL;
  cairo_t *cr;
  int stride;

  cairo_surface_set_device_scale (surface, scale, scale);
  cr = cairo_create (surface);
  bs_pareto_chart_render (self->chart, cr, width, height);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  stride = cairo_image_surface_get_stride (surface);
  bytes = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface),
                                      (gsize) stride * height * scale,
                                      release_texture_bytes, surface);
  return gdk_memory_texture_new (width * scale, height * scale, GDK_MEMORY_DEFAULT, bytes,
                                 stride);
}

static void
bs_pareto_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  BsParetoPlot *self = BS_PARETO_PLOT (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  double x, y;

  if (width <= 0 || height <= 0)
    return;
  if (self->texture && (gdk_texture_get_width (self->texture) != width * scale ||
                        gdk_texture_get_height (self->texture) != height * scale))
    g_clear_object (&self->texture);
  if (!self->texture)
    self->texture = render_texture (self, width, height, scale);
  gtk_snapshot_append_texture (snapshot, self->texture, &GRAPHENE_RECT_INIT (0, 0, width, height));

  if (self->hover &&
      bs_pareto_chart_get_point_position (self->chart, self->hover, self->hover_index, &x, &y))
    {
      const BsPlotStyle *style = bs_pareto_chart_get_style (self->chart);
      cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (x - 12, y - 12, 24, 24));

      cairo_arc (cr, x, y, 7, 0, 2 * G_PI);
      cairo_set_source_rgba (cr, style->foreground.r, style->foreground.g, style->foreground.b, 0.9);
      cairo_set_line_width (cr, 2);
      cairo_stroke (cr);
      cairo_destroy (cr);
    }
}

/* Input ------------------------------------------------------------------- */

static void
set_hover (BsParetoPlot *self, BsPlotSeries *series, guint index)
{
  if (self->hover == series && (!series || self->hover_index == index))
    return;
  self->hover = series;
  self->hover_index = index;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_motion (GtkEventControllerMotion *motion, double x, double y, BsParetoPlot *self)
{
  BsPlotSeries *series = NULL;
  guint index = 0;

  self->pointer_x = x;
  self->pointer_y = y;
  if (self->dragging)
    return;
  if (bs_pareto_chart_hit_test (self->chart, x, y, HIT_RADIUS, &series, &index))
    set_hover (self, series, index);
  else
    set_hover (self, NULL, 0);
}

static void
on_leave (GtkEventControllerMotion *motion, BsParetoPlot *self)
{
  set_hover (self, NULL, 0);
}

/* Where the pointer is, in widget coordinates, during a scroll: from the
 * event when it has a position, else from the last motion. */
static void
scroll_position (BsParetoPlot *self, GtkEventController *controller, double *x, double *y)
{
  GdkEvent *event = gtk_event_controller_get_current_event (controller);
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  double ex, ey, nx, ny;

  *x = self->pointer_x;
  *y = self->pointer_y;
  if (!event || !native || !gdk_event_get_position (event, &ex, &ey))
    return;
  gtk_native_get_surface_transform (native, &nx, &ny);
  gtk_widget_translate_coordinates (GTK_WIDGET (native), GTK_WIDGET (self), ex - nx, ey - ny, x, y);
}

static gboolean
on_scroll (GtkEventControllerScroll *scroll, double dx, double dy, BsParetoPlot *self)
{
  double x, y;

  if (dy == 0)
    return FALSE;
  scroll_position (self, GTK_EVENT_CONTROLLER (scroll), &x, &y);
  bs_pareto_chart_zoom (self->chart, x, y, pow (1.2, -dy));
  return TRUE;
}

static void
on_zoom_begin (GtkGesture *gesture, GdkEventSequence *sequence, BsParetoPlot *self)
{
  self->zoom_scale = 1;
}

static void
on_zoom_scale_changed (GtkGestureZoom *gesture, double scale, BsParetoPlot *self)
{
  double x, y;

  if (!gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &x, &y) || scale <= 0)
    return;
  bs_pareto_chart_zoom (self->chart, x, y, scale / self->zoom_scale);
  self->zoom_scale = scale;
}

static void
on_drag_begin (GtkGestureDrag *drag, double x, double y, BsParetoPlot *self)
{
  self->drag_x = self->drag_y = 0;
  self->dragging = FALSE;
}

static void
on_drag_update (GtkGestureDrag *drag, double dx, double dy, BsParetoPlot *self)
{
  if (!self->dragging && hypot (dx, dy) < 4)
    return;
  if (!self->dragging)
    {
      self->dragging = TRUE;
      set_hover (self, NULL, 0);
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grabbing");
    }
  bs_pareto_chart_pan (self->chart, dx - self->drag_x, dy - self->drag_y);
  self->drag_x = dx;
  self->drag_y = dy;
}

static void
on_drag_end (GtkGestureDrag *drag, double dx, double dy, BsParetoPlot *self)
{
  self->dragging = FALSE;
  gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
}

static void
on_click_released (GtkGestureClick *click, int n_press, double x, double y, BsParetoPlot *self)
{
  BsPlotSeries *series = NULL;
  guint index = 0;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (bs_pareto_chart_hit_test (self->chart, x, y, HIT_RADIUS, &series, &index))
    {
      bs_pareto_chart_set_selected (self->chart, series, index);
      g_signal_emit (self, signals[POINT_SELECTED], 0, series, index);
      return;
    }
  if (n_press == 2)
    {
      bs_pareto_chart_reset_view (self->chart);
      return;
    }
  bs_pareto_chart_set_selected (self->chart, NULL, 0);
  g_signal_emit (self, signals[POINT_SELECTED], 0, NULL, G_MAXUINT);
}

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  BsParetoPlot *self)
{
  BsPlotSeries *series;
  guint index;
  double px, py;
  g_autofree char *energy = NULL, *acc = NULL, *markup = NULL, *label = NULL;

  if (keyboard || !bs_pareto_chart_hit_test (self->chart, x, y, HIT_RADIUS, &series, &index))
    return FALSE;
  energy = bs_units_format_energy (bs_plot_series_get_x (series)[index]);
  acc = bs_units_format_accuracy (bs_plot_series_get_y (series)[index], 2);
  label = g_markup_escape_text (bs_plot_series_get_label (series, index) ?
                                bs_plot_series_get_label (series, index) : "", -1);
  markup = g_markup_printf_escaped ("<b>%s</b>\n%s\t%s\n%s\t%s\n<small>%s</small>",
                                    label, _("Top-1 accuracy"), acc,
                                    _("Energy per inference"), energy,
                                    bs_plot_series_get_title (series) ?
                                    bs_plot_series_get_title (series) : "");
  gtk_tooltip_set_markup (tooltip, markup);
  if (bs_pareto_chart_get_point_position (self->chart, series, index, &px, &py))
    gtk_tooltip_set_tip_area (tooltip, &(GdkRectangle) { (int) px - 4, (int) py - 4, 8, 8 });
  return TRUE;
}

static void
zoom_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsParetoPlot *self = BS_PARETO_PLOT (widget);
  double x, y, w, h;

  bs_pareto_chart_get_plot_area (self->chart, &x, &y, &w, &h);
  if (g_str_equal (name, "plot.reset-view"))
    bs_pareto_chart_reset_view (self->chart);
  else
    bs_pareto_chart_zoom (self->chart, x + w / 2, y + h / 2,
                          g_str_equal (name, "plot.zoom-in") ? 1.25 : 0.8);
}

/* GObject ----------------------------------------------------------------- */

static void
bs_pareto_plot_dispose (GObject *object)
{
  BsParetoPlot *self = BS_PARETO_PLOT (object);

  if (self->chart)
    g_signal_handlers_disconnect_by_data (self->chart, self);
  g_clear_object (&self->chart);
  g_clear_object (&self->texture);

  G_OBJECT_CLASS (bs_pareto_plot_parent_class)->dispose (object);
}

static void
bs_pareto_plot_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BsParetoPlot *self = BS_PARETO_PLOT (object);

  switch (prop_id)
    {
    case PROP_CHART:
      g_value_set_object (value, self->chart);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_pareto_plot_class_init (BsParetoPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_pareto_plot_dispose;
  object_class->get_property = bs_pareto_plot_get_property;

  widget_class->snapshot = bs_pareto_plot_snapshot;
  widget_class->measure = bs_pareto_plot_measure;
  widget_class->size_allocate = bs_pareto_plot_size_allocate;
  widget_class->css_changed = bs_pareto_plot_css_changed;

  properties[PROP_CHART] =
    g_param_spec_object ("chart", NULL, NULL, BS_TYPE_PARETO_CHART,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* point-selected (series, index): a click on a point; (NULL, G_MAXUINT)
   * when a click on empty space clears the selection. */
  signals[POINT_SELECTED] =
    g_signal_new ("point-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, BS_TYPE_PLOT_SERIES, G_TYPE_UINT);

  gtk_widget_class_install_action (widget_class, "plot.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "plot.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "plot.reset-view", NULL, zoom_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "plot.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "plot.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "plot.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "plot.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "plot.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, 0, "plot.reset-view", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, 0, "plot.reset-view", NULL);

  gtk_widget_class_set_css_name (widget_class, "paretoplot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bs_pareto_plot_init (BsParetoPlot *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkEventController *controller;
  GtkGesture *gesture;

  self->chart = bs_pareto_chart_new ();
  g_signal_connect (self->chart, "changed", G_CALLBACK (on_chart_changed), self);

  gtk_widget_set_focusable (widget, TRUE);
  gtk_widget_set_has_tooltip (widget, TRUE);
  g_signal_connect (widget, "query-tooltip", G_CALLBACK (on_query_tooltip), self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Pareto plot of top-1 accuracy against energy"), -1);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (controller, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (widget, controller);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (controller, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (widget, controller);

  gesture = gtk_gesture_zoom_new ();
  g_signal_connect (gesture, "begin", G_CALLBACK (on_zoom_begin), self);
  g_signal_connect (gesture, "scale-changed", G_CALLBACK (on_zoom_scale_changed), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_drag_new ();
  g_signal_connect (gesture, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (gesture, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (gesture, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_click_new ();
  g_signal_connect (gesture, "released", G_CALLBACK (on_click_released), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));

  update_style (self);
}

GtkWidget *
bs_pareto_plot_new (void)
{
  return g_object_new (BS_TYPE_PARETO_PLOT, NULL);
}

BsParetoChart *
bs_pareto_plot_get_chart (BsParetoPlot *self)
{
  g_return_val_if_fail (BS_IS_PARETO_PLOT (self), NULL);
  return self->chart;
}

void
bs_pareto_plot_reset_view (BsParetoPlot *self)
{
  g_return_if_fail (BS_IS_PARETO_PLOT (self));
  bs_pareto_chart_reset_view (self->chart);
}

/* Draw the plot at width × height into cr: what the widget shows, for files
 * or tests (the widget draws through the same function). */
void
bs_pareto_plot_render (BsParetoPlot *plot, cairo_t *cr, int width, int height)
{
  g_return_if_fail (BS_IS_PARETO_PLOT (plot));
  bs_pareto_chart_render (plot->chart, cr, width, height);
}

static void
render_func (gpointer target, cairo_t *cr, int width, int height)
{
  bs_pareto_plot_render (target, cr, width, height);
}

GBytes *
bs_pareto_plot_export (BsParetoPlot *self, BsExportFormat format, int width, int height,
                       GError **error)
{
  g_return_val_if_fail (BS_IS_PARETO_PLOT (self), NULL);
  return bs_export_render (format, width, height, 2, render_func, self, error);
}
