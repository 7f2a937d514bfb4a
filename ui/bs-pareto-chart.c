/* bs-pareto-chart.c — model → axis → layout for the Pareto plot.
 *
 * The chart owns two axes (energy, log; accuracy, linear) and the series it
 * shows, lays them out whenever the size, an axis, the style or the data
 * change (bs-pareto-chart-layout.c) and answers hit-tests from the layout's
 * grid: a few cells instead of every point.  Appended points that fit the
 * current axes are laid out alone.  Drawing (bs-pareto-chart-render.c) only
 * reads the layout. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "bs-pareto-chart-private.h"

G_DEFINE_FINAL_TYPE (BsParetoChart, bs_pareto_chart, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_AUTO_FIT,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
emit_changed (BsParetoChart *self)
{
  if (!self->in_layout)
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
chart_series_free (gpointer data)
{
  BsChartSeries *cs = data;

  g_clear_signal_handler (&cs->added_id, cs->series);
  g_clear_signal_handler (&cs->reset_id, cs->series);
  g_clear_object (&cs->series);
  g_array_unref (cs->px);
  g_array_unref (cs->py);
  g_array_unref (cs->next);
  g_free (cs->head);
  g_free (cs);
}

static BsChartSeries *
find_series (BsParetoChart *self, BsPlotSeries *series, guint *pos)
{
  for (guint i = 0; i < self->series->len; i++)
    {
      BsChartSeries *cs = g_ptr_array_index (self->series, i);

      if (cs->series == series)
        {
          if (pos)
            *pos = i;
          return cs;
        }
    }
  return NULL;
}


static void
bs_pareto_chart_dispose (GObject *object)
{
  BsParetoChart *self = BS_PARETO_CHART (object);

  if (self->series)
    g_ptr_array_set_size (self->series, 0);
  if (self->legend)
    _bs_pareto_chart_clear_text (self);
  g_clear_object (&self->selected);
  _bs_pareto_chart_clear_sprites (self);

  G_OBJECT_CLASS (bs_pareto_chart_parent_class)->dispose (object);
}

static void
bs_pareto_chart_finalize (GObject *object)
{
  BsParetoChart *self = BS_PARETO_CHART (object);

  g_ptr_array_unref (self->series);
  g_ptr_array_unref (self->legend);
  g_array_unref (self->legend_kind);
  g_array_unref (self->legend_x);
  g_array_unref (self->legend_row);
  g_clear_object (&self->x_axis);
  g_clear_object (&self->y_axis);
  g_clear_object (&self->pango);
  g_clear_pointer (&self->font, pango_font_description_free);

  G_OBJECT_CLASS (bs_pareto_chart_parent_class)->finalize (object);
}

static void
bs_pareto_chart_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BsParetoChart *self = BS_PARETO_CHART (object);

  switch (prop_id)
    {
    case PROP_AUTO_FIT:
      g_value_set_boolean (value, self->auto_fit);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_pareto_chart_class_init (BsParetoChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bs_pareto_chart_dispose;
  object_class->finalize = bs_pareto_chart_finalize;
  object_class->get_property = bs_pareto_chart_get_property;

  /* TRUE while the axes follow the data (no zoom or pan since the last reset). */
  properties[PROP_AUTO_FIT] =
    g_param_spec_boolean ("auto-fit", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Something visible changed: redraw. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
on_axis_changed (BsAxis *axis, BsParetoChart *self)
{
  if (self->in_layout)
    return;
  _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

static void
bs_pareto_chart_init (BsParetoChart *self)
{
  self->series = g_ptr_array_new_with_free_func (chart_series_free);
  self->legend = g_ptr_array_new_with_free_func (g_object_unref);
  self->legend_kind = g_array_new (FALSE, FALSE, sizeof (gint));
  self->legend_x = g_array_new (FALSE, FALSE, sizeof (double));
  self->legend_row = g_array_new (FALSE, FALSE, sizeof (guint));
  self->x_axis = bs_axis_new (TRUE);
  self->y_axis = bs_axis_new (FALSE);
  bs_axis_set_range (self->x_axis, 1e3, 1e9);
  bs_axis_set_range (self->y_axis, 0, 100);
  g_signal_connect (self->x_axis, "changed", G_CALLBACK (on_axis_changed), self);
  g_signal_connect (self->y_axis, "changed", G_CALLBACK (on_axis_changed), self);
  self->pango = pango_font_map_create_context (pango_cairo_font_map_get_default ());
  self->font = pango_font_description_from_string ("Sans 10");
  self->auto_fit = TRUE;
  self->width = 640;
  self->height = 400;
  bs_plot_style_init (&self->style, FALSE);
  _bs_pareto_chart_relayout (self);
}

BsParetoChart *
bs_pareto_chart_new (void)
{
  return g_object_new (BS_TYPE_PARETO_CHART, NULL);
}

BsAxis *
bs_pareto_chart_get_x_axis (BsParetoChart *self)
{
  return self->x_axis;
}

BsAxis *
bs_pareto_chart_get_y_axis (BsParetoChart *self)
{
  return self->y_axis;
}

static void
set_auto_fit (BsParetoChart *self, gboolean auto_fit)
{
  if (self->auto_fit == auto_fit)
    return;
  self->auto_fit = auto_fit;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_FIT]);
}

void
bs_pareto_chart_set_size (BsParetoChart *self, int width, int height)
{
  g_return_if_fail (BS_IS_PARETO_CHART (self));
  width = MAX (width, 1);
  height = MAX (height, 1);
  if (self->width == width && self->height == height)
    return;
  self->width = width;
  self->height = height;
  _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

void
bs_pareto_chart_set_style (BsParetoChart *self, const BsPlotStyle *style)
{
  g_return_if_fail (BS_IS_PARETO_CHART (self));
  if (memcmp (&self->style, style, sizeof *style) == 0)
    return;
  self->style = *style;
  _bs_pareto_chart_clear_sprites (self);
  emit_changed (self);
}

const BsPlotStyle *
bs_pareto_chart_get_style (BsParetoChart *self)
{
  return &self->style;
}

void
bs_pareto_chart_set_font (BsParetoChart *self, const PangoFontDescription *font)
{
  g_return_if_fail (BS_IS_PARETO_CHART (self));
  if (!font || (self->font && pango_font_description_equal (self->font, font)))
    return;
  g_clear_pointer (&self->font, pango_font_description_free);
  self->font = pango_font_description_copy (font);
  _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

void
bs_pareto_chart_get_plot_area (BsParetoChart *self, double *x, double *y, double *width,
                               double *height)
{
  *x = self->ax;
  *y = self->ay;
  *width = self->aw;
  *height = self->ah;
}

/* Series ------------------------------------------------------------------ */

static void
on_points_added (BsPlotSeries *series, guint first, guint n, BsParetoChart *self)
{
  BsChartSeries *cs = find_series (self, series, NULL);
  double r = self->radius;
  guint legend_len = self->legend->len;

  if (!cs)
    return;
  if (self->auto_fit)
    {
      double x0 = bs_axis_get_min (self->x_axis), x1 = bs_axis_get_max (self->x_axis);
      double y0 = bs_axis_get_min (self->y_axis), y1 = bs_axis_get_max (self->y_axis);

      _bs_pareto_chart_fit_axes (self, TRUE);
      if (x0 != bs_axis_get_min (self->x_axis) || x1 != bs_axis_get_max (self->x_axis) ||
          y0 != bs_axis_get_min (self->y_axis) || y1 != bs_axis_get_max (self->y_axis))
        {
          emit_changed (self);
          return;        /* relaid out whole */
        }
    }
  _bs_pareto_chart_place_points (self, cs, first);
  g_clear_object (&self->empty);
  /* a new legend entry, or a step in marker size: lay out again */
  if (_bs_pareto_chart_count_legend_entries (self) != legend_len || _bs_pareto_chart_marker_radius (self) != r)
    _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

static void
on_series_reset (BsPlotSeries *series, BsParetoChart *self)
{
  if (bs_plot_series_get_n_points (series) == 0 && self->selected == series)
    g_clear_object (&self->selected);
  if (self->auto_fit)
    _bs_pareto_chart_fit_axes (self, FALSE);
  _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

/* Show series (a reference is taken); its marker is its own
 * (bs_plot_series_set_marker) or follows the order added. */
void
bs_pareto_chart_add_series (BsParetoChart *self, BsPlotSeries *series)
{
  BsChartSeries *cs;

  g_return_if_fail (BS_IS_PARETO_CHART (self));
  g_return_if_fail (BS_IS_PLOT_SERIES (series));
  if (find_series (self, series, NULL))
    return;

  cs = g_new0 (BsChartSeries, 1);
  cs->series = g_object_ref (series);
  cs->px = g_array_new (FALSE, FALSE, sizeof (float));
  cs->py = g_array_new (FALSE, FALSE, sizeof (float));
  cs->next = g_array_new (FALSE, FALSE, sizeof (gint32));
  /* the series' own marker, else the first one neither in use nor asked
   * for by a series shown */
  if (bs_plot_series_get_marker (series) >= 0)
    cs->marker = (BsMarker) bs_plot_series_get_marker (series);
  else
    for (guint m = 0; m < BS_N_MARKERS; m++)
      {
        gboolean used = FALSE;

        for (guint i = 0; i < self->series->len; i++)
          {
            BsChartSeries *other = g_ptr_array_index (self->series, i);

            used |= other->marker == m || bs_plot_series_get_marker (other->series) == (int) m;
          }
        if (!used)
          {
            cs->marker = m;
            break;
          }
      }
  cs->added_id = g_signal_connect (series, "points-added", G_CALLBACK (on_points_added), self);
  cs->reset_id = g_signal_connect (series, "reset", G_CALLBACK (on_series_reset), self);
  g_ptr_array_add (self->series, cs);

  if (self->auto_fit)
    _bs_pareto_chart_fit_axes (self, FALSE);
  _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

/* Put series last: drawn over the others and listed last in the legend; it
 * keeps its marker. */
void
bs_pareto_chart_raise_series (BsParetoChart *self, BsPlotSeries *series)
{
  BsChartSeries *cs;
  guint pos;

  g_return_if_fail (BS_IS_PARETO_CHART (self));
  if (!(cs = find_series (self, series, &pos)) || pos == self->series->len - 1)
    return;
  g_ptr_array_steal_index (self->series, pos);
  g_ptr_array_add (self->series, cs);
  _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

void
bs_pareto_chart_remove_series (BsParetoChart *self, BsPlotSeries *series)
{
  guint pos;

  g_return_if_fail (BS_IS_PARETO_CHART (self));
  if (!find_series (self, series, &pos))
    return;
  if (self->selected == series)
    g_clear_object (&self->selected);
  g_ptr_array_remove_index (self->series, pos);
  if (self->auto_fit)
    _bs_pareto_chart_fit_axes (self, FALSE);
  _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

void
bs_pareto_chart_remove_all (BsParetoChart *self)
{
  g_return_if_fail (BS_IS_PARETO_CHART (self));
  g_clear_object (&self->selected);
  g_ptr_array_set_size (self->series, 0);
  _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

guint
bs_pareto_chart_get_n_series (BsParetoChart *self)
{
  return self->series->len;
}

BsPlotSeries *
bs_pareto_chart_get_series (BsParetoChart *self, guint index)
{
  g_return_val_if_fail (index < self->series->len, NULL);
  return ((BsChartSeries *) g_ptr_array_index (self->series, index))->series;
}

BsMarker
bs_pareto_chart_get_marker (BsParetoChart *self, BsPlotSeries *series)
{
  BsChartSeries *cs = find_series (self, series, NULL);

  return cs ? cs->marker : BS_MARKER_CIRCLE;
}

/* Hit-testing ------------------------------------------------------------- */

/* The drawn point nearest to (x, y) within radius pixels: TRUE and its series
 * and index.  Looks only at the grid cells the radius touches.  Equal
 * distances: the series added first, then the lower index. */
gboolean
bs_pareto_chart_hit_test (BsParetoChart *self, double x, double y, double radius,
                          BsPlotSeries **series, guint *index)
{
  double best = radius * radius;
  BsPlotSeries *best_series = NULL;
  guint best_index = 0;
  int c0 = (int) floor ((x - radius) / self->cell), c1 = (int) floor ((x + radius) / self->cell);
  int r0 = (int) floor ((y - radius) / self->cell), r1 = (int) floor ((y + radius) / self->cell);

  g_return_val_if_fail (BS_IS_PARETO_CHART (self), FALSE);
  c0 = MAX (c0, 0);
  r0 = MAX (r0, 0);
  c1 = MIN (c1, self->grid_cols - 1);
  r1 = MIN (r1, self->grid_rows - 1);

  for (guint s = 0; s < self->series->len; s++)
    {
      BsChartSeries *cs = g_ptr_array_index (self->series, s);
      const float *px = (const float *) cs->px->data, *py = (const float *) cs->py->data;
      const gint32 *next = (const gint32 *) cs->next->data;

      for (int r = r0; r <= r1; r++)
        for (int c = c0; c <= c1; c++)
          for (gint32 i = cs->head[r * self->grid_cols + c]; i >= 0; i = next[i])
            {
              double dx = px[i] - x, dy = py[i] - y, d = dx * dx + dy * dy;

              if (d < best || (d == best && best_series == cs->series && (guint) i < best_index) ||
                  (d <= best && best_series == NULL))
                {
                  best = d;
                  best_series = cs->series;
                  best_index = (guint) i;
                }
            }
    }
  if (!best_series)
    return FALSE;
  if (series)
    *series = best_series;
  if (index)
    *index = best_index;
  return TRUE;
}

gboolean
bs_pareto_chart_get_point_position (BsParetoChart *self, BsPlotSeries *series, guint index,
                                    double *x, double *y)
{
  BsChartSeries *cs = find_series (self, series, NULL);

  if (!cs || index >= cs->px->len || isnan (g_array_index (cs->px, float, index)))
    return FALSE;
  *x = g_array_index (cs->px, float, index);
  *y = g_array_index (cs->py, float, index);
  return TRUE;
}

/* View -------------------------------------------------------------------- */

/* Zoom by factor (> 1: in) keeping the data point under pixel (x, y) where it
 * is.  Left of the plot area only the accuracy axis zooms, below it only the
 * energy axis. */
void
bs_pareto_chart_zoom (BsParetoChart *self, double x, double y, double factor)
{
  double tx = (x - self->ax) / self->aw, ty = 1 - (y - self->ay) / self->ah;
  gboolean zx = x >= self->ax, zy = y <= self->ay + self->ah;

  g_return_if_fail (BS_IS_PARETO_CHART (self));
  if (!zx && !zy)
    zx = zy = TRUE;
  self->in_layout = TRUE;
  if (zx)
    bs_axis_zoom (self->x_axis, tx, factor);
  if (zy)
    bs_axis_zoom (self->y_axis, ty, factor);
  self->in_layout = FALSE;
  set_auto_fit (self, FALSE);
  _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

/* Move the view by (dx, dy) pixels: content follows the pointer. */
void
bs_pareto_chart_pan (BsParetoChart *self, double dx, double dy)
{
  g_return_if_fail (BS_IS_PARETO_CHART (self));
  self->in_layout = TRUE;
  bs_axis_pan (self->x_axis, -dx / self->aw);
  bs_axis_pan (self->y_axis, dy / self->ah);
  self->in_layout = FALSE;
  set_auto_fit (self, FALSE);
  _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

void
bs_pareto_chart_reset_view (BsParetoChart *self)
{
  g_return_if_fail (BS_IS_PARETO_CHART (self));
  set_auto_fit (self, TRUE);
  _bs_pareto_chart_fit_axes (self, FALSE);
  _bs_pareto_chart_relayout (self);
  emit_changed (self);
}

gboolean
bs_pareto_chart_get_auto_fit (BsParetoChart *self)
{
  return self->auto_fit;
}

/* Selection --------------------------------------------------------------- */

void
bs_pareto_chart_set_selected (BsParetoChart *self, BsPlotSeries *series, guint index)
{
  g_return_if_fail (BS_IS_PARETO_CHART (self));
  if (series && !find_series (self, series, NULL))
    series = NULL;
  if (self->selected == series && (!series || self->selected_index == index))
    return;
  g_set_object (&self->selected, series);
  self->selected_index = index;
  emit_changed (self);
}

gboolean
bs_pareto_chart_get_selected (BsParetoChart *self, BsPlotSeries **series, guint *index)
{
  if (!self->selected)
    return FALSE;
  *series = self->selected;
  *index = self->selected_index;
  return TRUE;
}
