/* bs-format-compare-render.c — layout and drawing of the format comparison.
 *
 * Panels share one log10 x axis of magnitudes: representable values (a tick
 * per positive value, a band for formats too wide to enumerate), relative
 * rounding error (log10 y, from a decade below the smallest envelope value:
 * exact points sit on the floor), the tensor's |x| histogram, then a table of SQNR per format. */
#include "config.h"

#include "bs-plot-style.h"

#include <glib/gi18n.h>
#include <math.h>
#include <pango/pangocairo.h>

#include "bs-format-compare-private.h"
#include "bs-units.h"

#define ERR_CEIL 0.5

void
_bs_compare_layout_clear (BsCompareLayout *l)
{
  for (guint i = 0; i < l->n_xt; i++)
    g_clear_object (&l->xt_label[i]);
  for (guint i = 0; i < l->n_yt; i++)
    g_clear_object (&l->yt_label[i]);
  l->n_xt = l->n_yt = 0;
  g_clear_object (&l->title_values);
  g_clear_object (&l->title_err);
  g_clear_object (&l->title_hist);
  g_clear_object (&l->title_x);
  g_clear_object (&l->empty);
  g_clear_pointer (&l->names, g_ptr_array_unref);
  g_clear_pointer (&l->cells, g_ptr_array_unref);
}

static char *
sqnr_text (double db)
{
  if (isnan (db))
    return g_strdup ("–");
  if (isinf (db))
    return g_strdup (_("exact"));
  return g_strdup_printf ("%.1f dB", db);
}

static char *
magnitude_text (double v)
{
  int e = (int) lrint (log10 (v));

  if (e >= -2 && e <= 3)
    return g_strdup_printf ("%g", v);
  return g_strdup_printf ("1e%d", e);
}

/* Lay the comparison out at width × height. */
void
_bs_compare_layout (BsCompareLayout *l, const BsCompareData *d, PangoContext *pango, int width,
                    int height)
{
  guint n = d ? d->curves->len : 0;
  double left = 0, y, th, need;

  _bs_compare_layout_clear (l);
  l->width = width;
  l->height = height;
  l->names = g_ptr_array_new_with_free_func (g_object_unref);
  l->cells = g_ptr_array_new_with_free_func (g_object_unref);

  if (n == 0)
    {
      l->empty = bs_plot_text (pango, _("Add formats to compare them"), FALSE, 1.2);
      return;
    }

  l->title_values = bs_plot_text (pango, _("Representable values (positive)"), TRUE, 1);
  l->title_err = bs_plot_text (pango, _("Relative rounding error |q(x) − x| / x"), TRUE, 1);
  /* TRANSLATORS: the x axis of the format comparison */
  l->title_x = bs_plot_text (pango, _("Magnitude |x|"), FALSE, 1);
  for (guint i = 0; i < n; i++)
    {
      BsFormatCurve *c = g_ptr_array_index (d->curves, i);
      PangoLayout *name = bs_plot_text (pango, c->name, FALSE, 0.9);

      left = MAX (left, bs_plot_text_width (name));
      g_ptr_array_add (l->names, name);
    }

  /* x ticks: decades, every k-th to fit */
  {
    double llo = log10 (d->lo), lhi = log10 (d->hi);
    int every = MAX (1, (int) ceil ((lhi - llo) / MAX (2.0, (width - left - 60) / 70.0)));

    l->n_xt = 0;
    for (int k = (int) ceil (llo / every) * every; k <= lhi && l->n_xt < BS_COMPARE_MAX_TICKS; k += every)
      {
        g_autofree char *s = magnitude_text (pow (10, k));

        l->xt[l->n_xt] = k;
        l->xt_label[l->n_xt++] = bs_plot_text (pango, s, FALSE, 0.85);
      }
  }
  /* error axis: a decade below the best envelope value, at most 1e-12 */
  {
    double best = 1;

    for (guint i = 0; i < n; i++)
      {
        BsFormatCurve *c = g_ptr_array_index (d->curves, i);

        for (guint k = 0; k < c->n_env; k++)
          if (c->env_err[k] > 0 && c->env_err[k] < best)
            best = c->env_err[k];
      }
    l->err_floor = MAX (floor (log10 (best)) - 1, -12);
    l->err_floor = MIN (l->err_floor, -2);
  }
  l->n_yt = 0;
  for (int k = (int) l->err_floor, step = -l->err_floor > 8 ? 2 : 1;
       k <= 0 && l->n_yt < BS_COMPARE_MAX_TICKS; k += step)
    {
      g_autofree char *s = magnitude_text (pow (10, k));

      l->yt[l->n_yt] = k;
      l->yt_label[l->n_yt] = bs_plot_text (pango, s, FALSE, 0.85);
      left = MAX (left, bs_plot_text_width (l->yt_label[l->n_yt]));
      l->n_yt++;
    }

  l->x0 = left + 18;
  l->x1 = MAX (width - 24, l->x0 + 50);
  th = bs_plot_text_height (l->title_values);

  y = 8;
  l->values_y = y + th + 6;
  l->row = 20;
  l->values_h = n * l->row;
  y = l->values_y + l->values_h + 14;

  l->err_y = y + th + 6;
  need = 0;
  if (d->hist)
    {
      g_autofree char *count = g_strdup_printf ("%" G_GSIZE_FORMAT, d->tensor_n);
      g_autofree char *title = NULL;

      if (d->hist->zeros > 0)
        {
          g_autofree char *share = g_strdup_printf ("%.1f", 100.0 * (double) d->hist->zeros /
                                                             (double) MAX (d->hist->total, 1));

          /* TRANSLATORS: histogram title: the tensor's name, its element
           * count and the percentage of them that are exactly zero (not
           * drawn on the log axis) */
          title = g_strdup_printf (_("Tensor %s: |x| histogram (%s values, %s %% zeros not shown)"),
                                   d->tensor_name, count, share);
        }
      else
        /* TRANSLATORS: histogram title: the tensor's name and its element count */
        title = g_strdup_printf (_("Tensor %s: |x| histogram (%s values)"), d->tensor_name, count);

      l->title_hist = bs_plot_text (pango, title, TRUE, 1);
      l->table_row = th + 6;
      need = 14 + th + 6 + 80 + (n + 1) * l->table_row + 16;
    }
  need += bs_plot_text_height (l->xt_label[0]) + 8 + th + 10;
  l->err_h = MAX (height - l->err_y - need, 100);

  y = l->err_y + l->err_h;
  if (d->hist)
    {
      l->hist_y = y + 14 + th + 6;
      l->hist_h = 80;
      y = l->hist_y + l->hist_h;
    }
  else
    l->hist_h = 0;
  l->axis_y = y + 6;
  y = l->axis_y + bs_plot_text_height (l->xt_label[0]) + 6 + th + 10;

  if (d->hist)
    {
      const char *head[3] = { _("Format"), _("SQNR at unit scale"), _("SQNR, max |x| scaled to max") };
      double cw[3] = { 0 };

      l->table_y = y;
      for (guint c = 0; c < 3; c++)
        g_ptr_array_add (l->cells, bs_plot_text (pango, head[c], TRUE, 0.9));
      for (guint i = 0; i < n; i++)
        {
          BsFormatCurve *c = g_ptr_array_index (d->curves, i);
          g_autofree char *a = sqnr_text (c->sqnr_unit);
          g_autofree char *b = sqnr_text (c->sqnr_scaled);

          g_ptr_array_add (l->cells, bs_plot_text (pango, c->name, FALSE, 0.9));
          g_ptr_array_add (l->cells, bs_plot_text (pango, a, FALSE, 0.9));
          g_ptr_array_add (l->cells, bs_plot_text (pango, b, FALSE, 0.9));
        }
      for (guint i = 0; i < l->cells->len; i++)
        cw[i % 3] = MAX (cw[i % 3], bs_plot_text_width (g_ptr_array_index (l->cells, i)));
      l->table_col[0] = l->x0;
      l->table_col[1] = l->x0 + cw[0] + 32;
      l->table_col[2] = l->table_col[1] + cw[1] + 32;
    }
}

static inline double
map_x (const BsCompareLayout *l, const BsCompareData *d, double v)
{
  double llo = log10 (d->lo), lhi = log10 (d->hi);

  return l->x0 + (log10 (v) - llo) / (lhi - llo) * (l->x1 - l->x0);
}

static void
set_color (cairo_t *cr, const BsColor *c, double alpha)
{
  cairo_set_source_rgba (cr, c->r, c->g, c->b, c->a * alpha);
}

static const BsColor *
curve_color (const BsPlotStyle *style, guint i)
{
  static const guint extra[] = { 5, 6, 7, 1, 9, 10 };

  if (i < G_N_ELEMENTS (style->series))
    return &style->series[i];
  return &style->family[extra[(i - G_N_ELEMENTS (style->series)) % G_N_ELEMENTS (extra)]];
}

static void
show (cairo_t *cr, PangoLayout *layout, double x, double y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static void
draw_frame (const BsCompareLayout *l, const BsPlotStyle *style, cairo_t *cr, double y, double h)
{
  cairo_set_line_width (cr, 1);
  cairo_rectangle (cr, round (l->x0) + 0.5, round (y) + 0.5, round (l->x1 - l->x0), round (h));
  set_color (cr, &style->foreground, 0.25);
  cairo_stroke (cr);
}

static void
draw_x_grid (const BsCompareLayout *l, const BsCompareData *d, const BsPlotStyle *style,
             cairo_t *cr, double y, double h)
{
  for (guint i = 0; i < l->n_xt; i++)
    {
      double x = round (map_x (l, d, pow (10, l->xt[i]))) + 0.5;

      cairo_move_to (cr, x, y);
      cairo_line_to (cr, x, y + h);
    }
  cairo_set_line_width (cr, 1);
  set_color (cr, &style->foreground, 0.08);
  cairo_stroke (cr);
  draw_frame (l, style, cr, y, h);
}

static void
draw_values (const BsCompareLayout *l, const BsCompareData *d, const BsPlotStyle *style, cairo_t *cr)
{
  set_color (cr, &style->foreground, 0.9);
  show (cr, l->title_values, l->x0, l->values_y - bs_plot_text_height (l->title_values) - 6);
  draw_x_grid (l, d, style, cr, l->values_y, l->values_h);

  for (guint i = 0; i < d->curves->len; i++)
    {
      BsFormatCurve *c = g_ptr_array_index (d->curves, i);
      double y = l->values_y + i * l->row;
      PangoLayout *name = g_ptr_array_index (l->names, i);
      double last = -1;

      set_color (cr, &style->foreground, 0.8);
      show (cr, name, l->x0 - 10 - bs_plot_text_width (name), y + (l->row - bs_plot_text_height (name)) / 2);

      cairo_save (cr);
      cairo_rectangle (cr, l->x0, y, l->x1 - l->x0, l->row);
      cairo_clip (cr);
      set_color (cr, curve_color (style, i), 0.9);
      if (c->values)
        {
          /* one tick per device column at most */
          for (guint k = 0; k < c->n_values; k++)
            {
              double x = floor (map_x (l, d, c->values[k])) + 0.5;

              if (x == last)
                continue;
              last = x;
              cairo_move_to (cr, x, y + 3);
              cairo_line_to (cr, x, y + l->row - 3);
            }
          cairo_set_line_width (cr, 1);
          cairo_stroke (cr);
        }
      else
        {
          double a = map_x (l, d, MAX (c->format.min_pos, d->lo));
          double b = map_x (l, d, MIN (c->format.max, d->hi));

          cairo_rectangle (cr, a, y + 4, b - a, l->row - 8);
          cairo_fill (cr);
        }
      cairo_restore (cr);
    }
}

/* A polyline of relative errors (log10 y, clamped to the panel; NaN breaks
 * the line). */
static void
err_path (const BsCompareLayout *l, const BsCompareData *d, cairo_t *cr, const double *xs,
          const double *es, guint n)
{
  double span = ERR_CEIL - l->err_floor;
  gboolean pen = FALSE;

  for (guint k = 0; k < n; k++)
    {
      double le, x, y;

      if (isnan (es[k]))
        {
          pen = FALSE;
          continue;
        }
      le = es[k] > 0 ? CLAMP (log10 (es[k]), l->err_floor, ERR_CEIL) : l->err_floor;
      x = map_x (l, d, xs[k]);
      y = l->err_y + (ERR_CEIL - le) / span * l->err_h;
      if (pen)
        cairo_line_to (cr, x, y);
      else
        cairo_move_to (cr, x, y);
      pen = TRUE;
    }
}

static void
draw_errors (const BsCompareLayout *l, const BsCompareData *d, const BsPlotStyle *style, cairo_t *cr)
{
  double span = ERR_CEIL - l->err_floor;

  set_color (cr, &style->foreground, 0.9);
  show (cr, l->title_err, l->x0, l->err_y - bs_plot_text_height (l->title_err) - 6);
  for (guint i = 0; i < l->n_yt; i++)
    {
      double y = round (l->err_y + (ERR_CEIL - l->yt[i]) / span * l->err_h) + 0.5;

      cairo_move_to (cr, l->x0, y);
      cairo_line_to (cr, l->x1, y);
    }
  draw_x_grid (l, d, style, cr, l->err_y, l->err_h);
  set_color (cr, &style->foreground, 0.7);
  for (guint i = 0; i < l->n_yt; i++)
    {
      double y = l->err_y + (ERR_CEIL - l->yt[i]) / span * l->err_h;

      show (cr, l->yt_label[i], l->x0 - 8 - bs_plot_text_width (l->yt_label[i]), y - bs_plot_text_height (l->yt_label[i]) / 2);
    }

  cairo_save (cr);
  cairo_rectangle (cr, l->x0, l->err_y, l->x1 - l->x0, l->err_h);
  cairo_clip (cr);
  for (guint i = 0; i < d->curves->len; i++)
    {
      BsFormatCurve *c = g_ptr_array_index (d->curves, i);

      /* every sample, faint; then the envelope */
      err_path (l, d, cr, c->x, c->rel_err, c->n_samples);
      cairo_set_line_width (cr, 0.8);
      set_color (cr, curve_color (style, i), 0.22);
      cairo_stroke (cr);
      err_path (l, d, cr, c->env_x, c->env_err, c->n_env);
      cairo_set_line_width (cr, 1.8);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      set_color (cr, curve_color (style, i), 0.95);
      cairo_stroke (cr);
    }
  cairo_restore (cr);

  /* legend: format names in their colours, top right */
  {
    double x = l->x1 - 8;

    for (guint i = d->curves->len; i-- > 0;)
      {
        PangoLayout *name = g_ptr_array_index (l->names, i);
        double w = bs_plot_text_width (name);

        x -= w;
        set_color (cr, curve_color (style, i), 1);
        cairo_rectangle (cr, x - 16, l->err_y + 10, 12, 3);
        cairo_fill (cr);
        set_color (cr, &style->foreground, 0.85);
        show (cr, name, x, l->err_y + 4);
        x -= 28;
      }
  }
}

static void
draw_histogram (const BsCompareLayout *l, const BsCompareData *d, const BsPlotStyle *style,
                cairo_t *cr)
{
  const BsHistogram *h = d->hist;
  guint64 peak = 1;
  double llo = log10 (h->lo), lhi = log10 (h->hi);

  set_color (cr, &style->foreground, 0.9);
  show (cr, l->title_hist, l->x0, l->hist_y - bs_plot_text_height (l->title_hist) - 6);
  draw_x_grid (l, d, style, cr, l->hist_y, l->hist_h);
  for (guint b = 0; b < h->n_bins; b++)
    peak = MAX (peak, h->counts[b]);
  for (guint b = 0; b < h->n_bins; b++)
    {
      double a = map_x (l, d, pow (10, llo + (lhi - llo) * b / h->n_bins));
      double z = map_x (l, d, pow (10, llo + (lhi - llo) * (b + 1) / h->n_bins));
      double bh = (double) h->counts[b] / peak * (l->hist_h - 4);

      if (h->counts[b])
        cairo_rectangle (cr, a, l->hist_y + l->hist_h - bh, MAX (z - a - 0.5, 0.5), bh);
    }
  set_color (cr, &style->accent, 0.7);
  cairo_fill (cr);
}

static void
draw_table (const BsCompareLayout *l, const BsPlotStyle *style, cairo_t *cr)
{
  for (guint i = 0; i < l->cells->len; i++)
    {
      guint row = i / 3, col = i % 3;
      double y = l->table_y + row * l->table_row;

      set_color (cr, &style->foreground, row == 0 ? 0.9 : 0.8);
      show (cr, g_ptr_array_index (l->cells, i), l->table_col[col], y);
    }
  cairo_move_to (cr, l->x0, round (l->table_y + l->table_row) - 2.5);
  cairo_line_to (cr, l->x1, round (l->table_y + l->table_row) - 2.5);
  set_color (cr, &style->foreground, 0.2);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
}

/* Draw a laid-out comparison into cr (screen and files alike). */
void
_bs_compare_draw (const BsCompareLayout *l, const BsCompareData *d, const BsPlotStyle *style,
                  cairo_t *cr)
{
  cairo_save (cr);
  if (style->background.a > 0)
    {
      set_color (cr, &style->background, 1);
      cairo_paint (cr);
    }
  if (l->empty || !d)
    {
      if (l->empty)
        {
          set_color (cr, &style->foreground, 0.55);
          show (cr, l->empty, (l->width - bs_plot_text_width (l->empty)) / 2, (l->height - bs_plot_text_height (l->empty)) / 2);
        }
      cairo_restore (cr);
      return;
    }

  draw_values (l, d, style, cr);
  draw_errors (l, d, style, cr);
  if (d->hist)
    draw_histogram (l, d, style, cr);

  set_color (cr, &style->foreground, 0.7);
  for (guint i = 0; i < l->n_xt; i++)
    {
      double x = map_x (l, d, pow (10, l->xt[i]));

      show (cr, l->xt_label[i], x - bs_plot_text_width (l->xt_label[i]) / 2, l->axis_y);
    }
  set_color (cr, &style->foreground, 0.85);
  show (cr, l->title_x, l->x0 + (l->x1 - l->x0 - bs_plot_text_width (l->title_x)) / 2,
        l->axis_y + bs_plot_text_height (l->xt_label[0]) + 4);
  if (d->hist)
    draw_table (l, style, cr);
  cairo_restore (cr);
}
