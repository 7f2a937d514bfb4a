/* bs-pareto-chart.c — model → axis → layout for the Pareto plot.
 *
 * The chart owns two axes (energy, log; accuracy, linear) and the series it
 * shows.  Whenever the size, an axis, the style or the data change it lays
 * out once: tick labels, plot area, screen positions of every point, and a
 * uniform grid of cells chaining the points each cell holds, which makes
 * hit-testing look at a few cells instead of every point.  Appended points
 * that fit the current axes are laid out alone.  Drawing (see
 * bs-pareto-chart-render.c) only reads the layout. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "bs-pareto-chart-private.h"
#include "bs-units.h"

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

#define CELL_PX 24.0

#define relayout _bs_pareto_chart_relayout

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
clear_layout_text (BsParetoChart *self)
{
  for (guint i = 0; i < self->n_xt; i++)
    g_clear_object (&self->xt[i].label);
  for (guint i = 0; i < self->n_yt; i++)
    g_clear_object (&self->yt[i].label);
  self->n_xt = self->n_yt = 0;
  g_clear_object (&self->x_title);
  g_clear_object (&self->y_title);
  g_clear_object (&self->empty);
  g_ptr_array_set_size (self->legend, 0);
  g_array_set_size (self->legend_kind, 0);
}

static void
bs_pareto_chart_dispose (GObject *object)
{
  BsParetoChart *self = BS_PARETO_CHART (object);

  if (self->series)
    g_ptr_array_set_size (self->series, 0);
  if (self->legend)
    clear_layout_text (self);
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
  relayout (self);
  emit_changed (self);
}

static void
bs_pareto_chart_init (BsParetoChart *self)
{
  self->series = g_ptr_array_new_with_free_func (chart_series_free);
  self->legend = g_ptr_array_new_with_free_func (g_object_unref);
  self->legend_kind = g_array_new (FALSE, FALSE, sizeof (gint));
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
  relayout (self);
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

/* Text ------------------------------------------------------------------- */

static PangoLayout *
make_text (BsParetoChart *self, const char *text, double scale)
{
  PangoLayout *layout = pango_layout_new (self->pango);
  g_autoptr (PangoFontDescription) font = pango_font_description_copy (self->font);

  if (scale != 1)
    pango_font_description_set_size (font, (int) (pango_font_description_get_size (font) * scale));
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

static void
text_size (PangoLayout *layout, double *w, double *h)
{
  int iw, ih;

  pango_layout_get_pixel_size (layout, &iw, &ih);
  *w = iw;
  *h = ih;
}

static char *
x_tick_text (double v)
{
  return bs_units_format_energy (v);
}

static char *
y_tick_text (double v, double step)
{
  return bs_units_format_accuracy (v, step >= 0.999 ? 0 : step >= 0.0999 ? 1 : 2);
}

/* Auto-fit ---------------------------------------------------------------- */

static gboolean
data_bounds (BsParetoChart *self, double *x0, double *x1, double *y0, double *y1)
{
  gboolean any = FALSE;

  *x0 = *y0 = INFINITY;
  *x1 = *y1 = -INFINITY;
  for (guint i = 0; i < self->series->len; i++)
    {
      BsChartSeries *cs = g_ptr_array_index (self->series, i);
      double a, b, c, d;

      if (!bs_plot_series_get_bounds (cs->series, &a, &b, &c, &d))
        continue;
      any = TRUE;
      *x0 = MIN (*x0, a);
      *x1 = MAX (*x1, b);
      *y0 = MIN (*y0, c);
      *y1 = MAX (*y1, d);
    }
  return any;
}

/* Fit the axes to the data with a margin: 8 % of the span on each side (in
 * log10 units for energy, at least a tenth of a decade; at least half an
 * accuracy point), accuracy (percent) clamped to [0, 100] when the data lie
 * in it.  With streaming, the margins are doubled and the range kept while
 * it holds every point and the points fill at least half of it, so that
 * appends rarely move the axes. */
static void
fit_axes (BsParetoChart *self, gboolean streaming)
{
  double x0, x1, y0, y1, lx0, lx1, xpad, ypad, ny0, ny1;
  double cx0 = bs_axis_get_min (self->x_axis), cx1 = bs_axis_get_max (self->x_axis);
  double cy0 = bs_axis_get_min (self->y_axis), cy1 = bs_axis_get_max (self->y_axis);

  if (!data_bounds (self, &x0, &x1, &y0, &y1))
    return;
  if (streaming && x0 >= cx0 && x1 <= cx1 && y0 >= cy0 && y1 <= cy1 &&
      log10 (x1 / x0) >= 0.5 * log10 (cx1 / cx0) && (y1 - y0) >= 0.5 * (cy1 - cy0))
    return;

  lx0 = log10 (x0);
  lx1 = log10 (x1);
  xpad = MAX ((lx1 - lx0) * 0.08, 0.1);
  ypad = MAX ((y1 - y0) * 0.08, 0.5);
  if (streaming)
    {
      xpad *= 2;
      ypad *= 2;
    }
  lx0 -= xpad;
  lx1 += xpad;
  ny0 = y0 - ypad;
  ny1 = y1 + ypad;
  if (y0 >= 0)
    ny0 = MAX (ny0, 0);
  if (y1 <= 100)
    ny1 = MIN (ny1, 100);
  if (!(ny1 > ny0))
    ny1 = ny0 + 1;

  self->in_layout = TRUE;
  bs_axis_set_range (self->x_axis, pow (10, lx0), pow (10, lx1));
  bs_axis_set_range (self->y_axis, ny0, ny1);
  self->in_layout = FALSE;
  if (cx0 != bs_axis_get_min (self->x_axis) || cx1 != bs_axis_get_max (self->x_axis) ||
      cy0 != bs_axis_get_min (self->y_axis) || cy1 != bs_axis_get_max (self->y_axis))
    relayout (self);
}

static void
set_auto_fit (BsParetoChart *self, gboolean auto_fit)
{
  if (self->auto_fit == auto_fit)
    return;
  self->auto_fit = auto_fit;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_FIT]);
}

/* Layout ------------------------------------------------------------------ */

static void
grid_insert (BsParetoChart *self, BsChartSeries *cs, guint i)
{
  float x = g_array_index (cs->px, float, i), y = g_array_index (cs->py, float, i);
  int c, r;

  g_array_index (cs->next, gint32, i) = -1;
  if (isnan (x))
    return;
  c = (int) (x / self->cell);
  r = (int) (y / self->cell);
  if (c < 0 || r < 0 || c >= self->grid_cols || r >= self->grid_rows)
    return;
  g_array_index (cs->next, gint32, i) = cs->head[r * self->grid_cols + c];
  cs->head[r * self->grid_cols + c] = (gint32) i;
}

/* Screen positions of points [from, n) of cs, and their grid cells.  Points
 * outside the plot area, or not drawable, get NaN. */
static void
place_points (BsParetoChart *self, BsChartSeries *cs, guint from)
{
  guint n = bs_plot_series_get_n_points (cs->series);
  const double *xs = bs_plot_series_get_x (cs->series);
  const double *ys = bs_plot_series_get_y (cs->series);
  double lmin = log10 (bs_axis_get_min (self->x_axis));
  double lspan = log10 (bs_axis_get_max (self->x_axis)) - lmin;
  double ymin = bs_axis_get_min (self->y_axis);
  double yspan = bs_axis_get_max (self->y_axis) - ymin;

  g_array_set_size (cs->px, n);
  g_array_set_size (cs->py, n);
  g_array_set_size (cs->next, n);
  for (guint i = from; i < n; i++)
    {
      /* the same mapping as bs_axis_normalize, inlined for 10^5 points */
      double tx = xs[i] > 0 ? (log10 (xs[i]) - lmin) / lspan : NAN;
      double ty = (ys[i] - ymin) / yspan;
      float *px = &g_array_index (cs->px, float, i), *py = &g_array_index (cs->py, float, i);

      if (tx >= 0 && tx <= 1 && ty >= 0 && ty <= 1)
        {
          *px = (float) (self->ax + tx * self->aw);
          *py = (float) (self->ay + (1 - ty) * self->ah);
        }
      else
        *px = *py = NAN;
      grid_insert (self, cs, i);
    }
}

static void
layout_ticks (BsParetoChart *self, double *max_ylabel_w, double *xlabel_h)
{
  double v[BS_CHART_MAX_TICKS];
  guint n;
  double step;

  /* the widest accuracy label there can be, so that zoom and pan never move
   * the plot area (and the point under the pointer stays put) */
  {
    g_autofree char *widest = bs_units_format_accuracy (100, 2);
    g_autoptr (PangoLayout) probe = make_text (self, widest, 0.9);
    double w, h;

    text_size (probe, &w, &h);
    *max_ylabel_w = w;
    *xlabel_h = h;
  }

  n = bs_axis_get_ticks (self->x_axis, v, MIN (BS_CHART_MAX_TICKS, MAX (2, self->width / 70)));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = x_tick_text (v[i]);
      double w, h;

      self->xt[i].value = v[i];
      self->xt[i].label = make_text (self, text, 0.9);
      text_size (self->xt[i].label, &w, &h);
      *xlabel_h = MAX (*xlabel_h, h);
    }
  self->n_xt = n;

  n = bs_axis_get_ticks (self->y_axis, v, MIN (BS_CHART_MAX_TICKS, MAX (2, self->height / 30)));
  step = n > 1 ? v[1] - v[0] : 0.1;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = y_tick_text (v[i], step);
      double w, h;

      self->yt[i].value = v[i];
      self->yt[i].label = make_text (self, text, 0.9);
      text_size (self->yt[i].label, &w, &h);
      *max_ylabel_w = MAX (*max_ylabel_w, w);
    }
  self->n_yt = n;
}

/* Marker radius in pixels: smaller when there are many points. */
static double
marker_radius (BsParetoChart *self)
{
  guint total = 0;

  for (guint i = 0; i < self->series->len; i++)
    total += bs_plot_series_get_n_points (((BsChartSeries *) g_ptr_array_index (self->series, i))->series);
  return total > 20000 ? 2.5 : total > 2000 ? 3.0 : 4.0;
}

static gboolean
family_present (BsParetoChart *self, guint family)
{
  for (guint i = 0; i < self->series->len; i++)
    if (bs_plot_series_count_family (((BsChartSeries *) g_ptr_array_index (self->series, i))->series, family))
      return TRUE;
  return FALSE;
}

/* How many entries the legend needs: families present, then the series when
 * there are several. */
static guint
count_legend_entries (BsParetoChart *self)
{
  guint n = self->series->len > 1 ? self->series->len : 0;

  for (guint f = 0; f < BS_PLOT_N_FAMILIES; f++)
    n += family_present (self, f);
  return n;
}

static void
add_legend_entry (BsParetoChart *self, const char *text, gint kind, double *w)
{
  PangoLayout *layout = make_text (self, text, 0.9);
  double tw, th;

  text_size (layout, &tw, &th);
  *w = MAX (*w, tw);
  self->lrow = MAX (self->lrow, th + 4);
  g_ptr_array_add (self->legend, layout);
  g_array_append_val (self->legend_kind, kind);
}

static void
layout_legend (BsParetoChart *self)
{
  double w = 0;

  self->lrow = 0;
  for (guint f = 0; f < BS_PLOT_N_FAMILIES; f++)
    if (family_present (self, f))
      add_legend_entry (self, bs_plot_family_name (f), (gint) f, &w);
  if (self->series->len > 1)
    for (guint i = 0; i < self->series->len; i++)
      {
        BsChartSeries *cs = g_ptr_array_index (self->series, i);
        const char *title = bs_plot_series_get_title (cs->series);

        add_legend_entry (self, title ? title : "", -1 - (gint) i, &w);
      }
  self->lw = self->legend->len ? w + 36 : 0;
  self->lh = self->legend->len * self->lrow + (self->legend->len ? 12 : 0);
}

/* Points of every series inside a rectangle (pixels), counted through the
 * grid. */
static guint
count_points_in (BsParetoChart *self, double x, double y, double w, double h)
{
  int c0 = MAX (0, (int) (x / self->cell)), c1 = MIN (self->grid_cols - 1, (int) ((x + w) / self->cell));
  int r0 = MAX (0, (int) (y / self->cell)), r1 = MIN (self->grid_rows - 1, (int) ((y + h) / self->cell));
  guint n = 0;

  for (guint s = 0; s < self->series->len; s++)
    {
      BsChartSeries *cs = g_ptr_array_index (self->series, s);
      const float *px = (const float *) cs->px->data, *py = (const float *) cs->py->data;
      const gint32 *next = (const gint32 *) cs->next->data;

      for (int r = r0; r <= r1; r++)
        for (int c = c0; c <= c1; c++)
          for (gint32 i = cs->head[r * self->grid_cols + c]; i >= 0; i = next[i])
            n += px[i] >= x && px[i] <= x + w && py[i] >= y && py[i] <= y + h;
    }
  return n;
}

/* Put the legend in the corner of the plot area that hides fewest points
 * (ties: top left, top right, bottom right, bottom left). */
static void
place_legend (BsParetoChart *self)
{
  double xs[4] = { self->ax + 10, self->ax + self->aw - 10 - self->lw,
                   self->ax + self->aw - 10 - self->lw, self->ax + 10 };
  double ys[4] = { self->ay + 10, self->ay + 10, self->ay + self->ah - 10 - self->lh,
                   self->ay + self->ah - 10 - self->lh };
  guint best = G_MAXUINT;

  for (guint k = 0; k < 4; k++)
    {
      guint n = count_points_in (self, xs[k], ys[k], self->lw, self->lh);

      if (n < best)
        {
          best = n;
          self->lx = xs[k];
          self->ly = ys[k];
        }
    }
}

/* Lay everything out for the current size, axes, style and data. */
void
relayout (BsParetoChart *self)
{
  double ylw, xlh, tw, th, left, bottom, right, top = 12;
  gboolean empty = TRUE;

  clear_layout_text (self);
  pango_context_set_font_description (self->pango, self->font);

  self->x_title = make_text (self, _("Energy per inference"), 1);
  self->y_title = make_text (self, _("Top-1 accuracy"), 1);
  layout_ticks (self, &ylw, &xlh);

  text_size (self->y_title, &tw, &th);
  left = th + 8 + ylw + 8;
  text_size (self->x_title, &tw, &th);
  bottom = xlh + 6 + th + 8;
  right = 24;
  self->ax = left;
  self->ay = top;
  self->aw = MAX (self->width - left - right, 10);
  self->ah = MAX (self->height - top - bottom, 10);

  for (guint i = 0; i < self->n_xt; i++)
    self->xt[i].pos = self->ax + bs_axis_normalize (self->x_axis, self->xt[i].value) * self->aw;
  for (guint i = 0; i < self->n_yt; i++)
    self->yt[i].pos = self->ay + (1 - bs_axis_normalize (self->y_axis, self->yt[i].value)) * self->ah;

  self->cell = CELL_PX;
  self->grid_cols = MAX (1, (int) ceil (self->width / self->cell));
  self->grid_rows = MAX (1, (int) ceil (self->height / self->cell));

  self->radius = marker_radius (self);

  for (guint i = 0; i < self->series->len; i++)
    {
      BsChartSeries *cs = g_ptr_array_index (self->series, i);
      gsize cells = (gsize) self->grid_cols * self->grid_rows;

      g_free (cs->head);
      cs->head = g_new (gint32, cells);
      memset (cs->head, 0xff, cells * sizeof (gint32));   /* -1 */
      place_points (self, cs, 0);
      if (bs_plot_series_get_n_points (cs->series) > 0)
        empty = FALSE;
    }
  layout_legend (self);
  place_legend (self);
  if (empty)
    self->empty = make_text (self, _("No results to show"), 1.2);
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
  relayout (self);
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
  relayout (self);
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

      fit_axes (self, TRUE);
      if (x0 != bs_axis_get_min (self->x_axis) || x1 != bs_axis_get_max (self->x_axis) ||
          y0 != bs_axis_get_min (self->y_axis) || y1 != bs_axis_get_max (self->y_axis))
        {
          emit_changed (self);
          return;        /* relaid out whole */
        }
    }
  place_points (self, cs, first);
  g_clear_object (&self->empty);
  /* a new legend entry, or a step in marker size: lay out again */
  if (count_legend_entries (self) != legend_len || marker_radius (self) != r)
    relayout (self);
  emit_changed (self);
}

static void
on_series_reset (BsPlotSeries *series, BsParetoChart *self)
{
  if (bs_plot_series_get_n_points (series) == 0 && self->selected == series)
    g_clear_object (&self->selected);
  if (self->auto_fit)
    fit_axes (self, FALSE);
  relayout (self);
  emit_changed (self);
}

/* Show series (a reference is taken); its marker follows the order added. */
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
  /* the first marker not in use */
  for (guint m = 0; m < BS_N_MARKERS; m++)
    {
      gboolean used = FALSE;

      for (guint i = 0; i < self->series->len; i++)
        used |= ((BsChartSeries *) g_ptr_array_index (self->series, i))->marker == m;
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
    fit_axes (self, FALSE);
  relayout (self);
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
    fit_axes (self, FALSE);
  relayout (self);
  emit_changed (self);
}

void
bs_pareto_chart_remove_all (BsParetoChart *self)
{
  g_return_if_fail (BS_IS_PARETO_CHART (self));
  g_clear_object (&self->selected);
  g_ptr_array_set_size (self->series, 0);
  relayout (self);
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
  relayout (self);
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
  relayout (self);
  emit_changed (self);
}

void
bs_pareto_chart_reset_view (BsParetoChart *self)
{
  g_return_if_fail (BS_IS_PARETO_CHART (self));
  set_auto_fit (self, TRUE);
  fit_axes (self, FALSE);
  relayout (self);
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
