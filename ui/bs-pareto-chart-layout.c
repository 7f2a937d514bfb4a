/* bs-pareto-chart-layout.c — laying a Pareto chart out: tick labels, plot
 * area, legend and its corner, screen positions of the points and the grid
 * that chains the points of each cell (for hit-testing and for drawing in
 * memory order).  Run when the size, the axes, the style or the data change,
 * never while drawing. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "bs-pareto-chart-private.h"
#include "bs-units.h"

#define CELL_PX 24.0

void
_bs_pareto_chart_clear_text (BsParetoChart *self)
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
void
_bs_pareto_chart_fit_axes (BsParetoChart *self, gboolean streaming)
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
    _bs_pareto_chart_relayout (self);
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
void
_bs_pareto_chart_place_points (BsParetoChart *self, BsChartSeries *cs, guint from)
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
double
_bs_pareto_chart_marker_radius (BsParetoChart *self)
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
guint
_bs_pareto_chart_count_legend_entries (BsParetoChart *self)
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

#define LEGEND_GAP 18.0      /* between entries */

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
}

/* Flow the legend's entries into rows across the band above the plot area
 * (outside the data, so that it hides no point), from x0 to x1 at y; a new
 * row starts where an entry would not fit, and the series start a row of
 * their own.  Returns the band's height. */
static double
flow_legend (BsParetoChart *self, double x0, double x1, double y)
{
  double x = x0;
  guint row = 0;
  gboolean prev_family = TRUE;

  g_array_set_size (self->legend_x, self->legend->len);
  g_array_set_size (self->legend_row, self->legend->len);
  for (guint i = 0; i < self->legend->len; i++)
    {
      gint kind = g_array_index (self->legend_kind, gint, i);
      double tw, th, ew;

      text_size (g_ptr_array_index (self->legend, i), &tw, &th);
      ew = (kind >= 0 ? LEGEND_TEXT_X : LEGEND_SERIES_TEXT_X) + tw;
      if (i > 0 && (x + ew > x1 || (prev_family && kind < 0)))
        {
          row++;
          x = x0;
        }
      prev_family = kind >= 0;
      g_array_index (self->legend_x, double, i) = x;
      g_array_index (self->legend_row, guint, i) = row;
      x += ew + LEGEND_GAP;
    }
  self->lx = x0;
  self->ly = y;
  self->lw = x1 - x0;
  self->lh = self->legend->len ? (row + 1) * self->lrow : 0;
  return self->lh;
}

/* Lay everything out for the current size, axes, style and data. */
void
_bs_pareto_chart_relayout (BsParetoChart *self)
{
  double ylw, xlh, tw, th, left, bottom, right, top = 12;
  gboolean empty = TRUE;

  _bs_pareto_chart_clear_text (self);
  pango_context_set_font_description (self->pango, self->font);

  self->x_title = make_text (self, _("Energy per inference"), 1);
  self->y_title = make_text (self, _("Top-1 accuracy"), 1);
  layout_ticks (self, &ylw, &xlh);

  text_size (self->y_title, &tw, &th);
  left = th + 8 + ylw + 8;
  text_size (self->x_title, &tw, &th);
  bottom = xlh + 6 + th + 8;
  right = 24;
  layout_legend (self);
  if (self->legend->len)
    top = 8 + flow_legend (self, 12, MAX (self->width - right, 22), 8) + 8;
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

  self->radius = _bs_pareto_chart_marker_radius (self);

  for (guint i = 0; i < self->series->len; i++)
    {
      BsChartSeries *cs = g_ptr_array_index (self->series, i);
      gsize cells = (gsize) self->grid_cols * self->grid_rows;

      g_free (cs->head);
      cs->head = g_new (gint32, cells);
      memset (cs->head, 0xff, cells * sizeof (gint32));   /* -1 */
      _bs_pareto_chart_place_points (self, cs, 0);
      if (bs_plot_series_get_n_points (cs->series) > 0)
        empty = FALSE;
    }
  if (empty)
    self->empty = make_text (self, _("No results to show"), 1.2);
}
