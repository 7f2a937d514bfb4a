/* bs-energy-chart-render.c — layout and drawing of the energy breakdown:
 * one stacked bar per layer (compute below, memory above) on a linear
 * energy axis, the layer's total above its bar and its name below.
 *
 * The layout is computed when the data, the size or the font change; drawing
 * and hit-testing only read it. */
#include "config.h"

#include "bs-plot-style.h"

#include <glib/gi18n.h>
#include <math.h>
#include <pango/pangocairo.h>

#include "bs-energy-chart-private.h"
#include "bs-units.h"

#define PAD 12.0
#define SWATCH 10.0

static void
unref_nullable (gpointer object)
{
  if (object)
    g_object_unref (object);
}

void
_bs_energy_layout_clear (BsEnergyLayout *l)
{
  for (guint i = 0; i < l->n_yt; i++)
    g_clear_object (&l->yt_label[i]);
  l->n_yt = 0;
  g_clear_pointer (&l->names, g_ptr_array_unref);
  g_clear_pointer (&l->totals, g_ptr_array_unref);
  g_clear_object (&l->title);
  g_clear_object (&l->legend[0]);
  g_clear_object (&l->legend[1]);
  g_clear_object (&l->empty);
}

/* A step of 1, 2 or 5 × 10^k giving about n intervals up to max. */
static double
nice_step (double max, int n)
{
  double raw = max / n, p = pow (10, floor (log10 (raw))), f = raw / p;

  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

static double
bar_total (const BsEnergyBar *b)
{
  return b->compute_pj + b->memory_pj;
}

/* Lay out data (NULL: the empty_text centred) at width × height. */
void
_bs_energy_layout (BsEnergyLayout *l, const BsEnergyData *data, const char *empty_text,
                   PangoContext *pango, int width, int height)
{
  double max = 0, label_w = 0, name_h, step, legend_w;
  g_autofree char *total = NULL, *title = NULL;
  guint n;

  _bs_energy_layout_clear (l);
  l->width = width;
  l->height = height;
  if (!data || data->bars->len == 0)
    {
      l->empty = bs_plot_text (pango, empty_text ? empty_text : "", FALSE, 1);
      pango_layout_set_width (l->empty, (int) (MAX (width - 2 * PAD, 1) * PANGO_SCALE));
      pango_layout_set_alignment (l->empty, PANGO_ALIGN_CENTER);
      pango_layout_set_wrap (l->empty, PANGO_WRAP_WORD);
      return;
    }
  n = data->bars->len;
  for (guint i = 0; i < n; i++)
    max = MAX (max, bar_total (g_ptr_array_index (data->bars, i)));
  if (!(max > 0) || !isfinite (max))
    max = 1;

  total = bs_units_format_energy (data->compute_pj + data->memory_pj);
  /* TRANSLATORS: title of the energy chart: target name, then total energy */
  title = g_strdup_printf (_("Energy per inference by layer on %s · total %s"), data->target, total);
  l->title = bs_plot_text (pango, title, TRUE, 1);
  l->legend[0] = bs_plot_text (pango, _("Compute"), FALSE, 1);
  l->legend[1] = bs_plot_text (pango, _("Memory"), FALSE, 1);
  l->legend_row = MAX (bs_plot_text_height (l->legend[0]), SWATCH);
  legend_w = 2 * (SWATCH + 4) + bs_plot_text_width (l->legend[0]) + bs_plot_text_width (l->legend[1]) + 14;

  step = nice_step (max, 4);
  l->y_max = ceil (max / step - 1e-9) * step;
  for (double v = 0; v <= l->y_max * (1 + 1e-9) && l->n_yt < BS_ENERGY_MAX_TICKS; v += step)
    {
      g_autofree char *s = bs_units_format_energy (v);

      l->yt[l->n_yt] = v;
      l->yt_label[l->n_yt] = bs_plot_text (pango, s, FALSE, 0.9);
      label_w = MAX (label_w, bs_plot_text_width (l->yt_label[l->n_yt]));
      l->n_yt++;
    }

  /* the legend shares the title's row when both fit, else goes below it */
  l->ay = PAD + bs_plot_text_height (l->title) + 10;
  l->legend_x = width - PAD - legend_w;
  l->legend_y = PAD + (bs_plot_text_height (l->title) - l->legend_row) / 2;
  if (bs_plot_text_width (l->title) + 24 + legend_w > width - 2 * PAD)
    {
      l->legend_x = PAD;
      l->legend_y = l->ay;
      l->ay += l->legend_row + 8;
    }
  pango_layout_set_width (l->title, (int) (MAX (width - 2 * PAD, 1) * PANGO_SCALE));
  pango_layout_set_ellipsize (l->title, PANGO_ELLIPSIZE_END);

  name_h = bs_plot_text_height (l->legend[0]);
  l->ax = PAD + label_w + 8;
  l->aw = MAX (width - l->ax - PAD, 1);
  l->ah = MAX (height - l->ay - PAD - name_h - 6, 1);
  l->ay += name_h + 4;               /* room for the totals above the tallest bar */
  l->ah = MAX (l->ah - name_h - 4, 1);
  l->slot = l->aw / n;
  l->bar_w = MIN (l->slot * 0.62, 96);

  l->names = g_ptr_array_new_with_free_func (unref_nullable);   /* NULL: not shown */
  l->totals = g_ptr_array_new_with_free_func (unref_nullable);
  for (guint i = 0; i < n; i++)
    {
      const BsEnergyBar *b = g_ptr_array_index (data->bars, i);
      g_autofree char *t = bs_units_format_energy (bar_total (b));
      PangoLayout *name = bs_plot_text (pango, b->name, FALSE, 0.9);
      PangoLayout *tot = bs_plot_text (pango, t, FALSE, 0.85);

      pango_layout_set_width (name, (int) (MAX (l->slot - 4, 1) * PANGO_SCALE));
      pango_layout_set_ellipsize (name, PANGO_ELLIPSIZE_MIDDLE);
      pango_layout_set_alignment (name, PANGO_ALIGN_CENTER);
      g_ptr_array_add (l->names, l->slot >= 24 ? name : NULL);
      if (l->slot < 24)
        g_object_unref (name);
      g_ptr_array_add (l->totals, bs_plot_text_width (tot) <= l->slot - 2 ? tot : NULL);
      if (bs_plot_text_width (tot) > l->slot - 2)
        g_object_unref (tot);
    }
}

static void
set_color (cairo_t *cr, const BsColor *c, double alpha)
{
  cairo_set_source_rgba (cr, c->r, c->g, c->b, c->a * alpha);
}

static void
show (cairo_t *cr, PangoLayout *layout, double x, double y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

/* The rectangle of a bar's compute or memory part, in pixels. */
void
_bs_energy_bar_rect (const BsEnergyLayout *l, const BsEnergyData *data, guint bar,
                     BsEnergyPart part, double *x, double *y, double *w, double *h)
{
  const BsEnergyBar *b = g_ptr_array_index (data->bars, bar);
  double k = l->y_max > 0 ? l->ah / l->y_max : 0;
  double base = l->ay + l->ah;
  double hc = MAX (b->compute_pj, 0) * k, hm = MAX (b->memory_pj, 0) * k;

  *x = l->ax + l->slot * (bar + 0.5) - l->bar_w / 2;
  *w = l->bar_w;
  *h = part == BS_ENERGY_PART_COMPUTE ? hc : hm;
  *y = part == BS_ENERGY_PART_COMPUTE ? base - hc : base - hc - hm;
}

void
_bs_energy_draw (const BsEnergyLayout *l, const BsEnergyData *data, const BsPlotStyle *style,
                 cairo_t *cr)
{
  const BsColor *fg = &style->foreground;

  cairo_save (cr);
  if (style->background.a > 0)
    {
      set_color (cr, &style->background, 1);
      cairo_paint (cr);
    }
  if (l->empty)
    {
      set_color (cr, fg, 0.55);
      show (cr, l->empty, PAD, (l->height - bs_plot_text_height (l->empty)) / 2);
      cairo_restore (cr);
      return;
    }

  set_color (cr, fg, 1);
  show (cr, l->title, PAD, PAD);

  /* legend */
  for (guint k = 0; k < 2; k++)
    {
      double x = l->legend_x + (k ? SWATCH + 4 + bs_plot_text_width (l->legend[0]) + 14 : 0);

      set_color (cr, &style->series[k], 1);
      cairo_rectangle (cr, x, l->legend_y + (l->legend_row - SWATCH) / 2, SWATCH, SWATCH);
      cairo_fill (cr);
      set_color (cr, fg, 0.85);
      show (cr, l->legend[k], x + SWATCH + 4, l->legend_y + (l->legend_row - bs_plot_text_height (l->legend[k])) / 2);
    }

  /* grid and energy ticks */
  cairo_set_line_width (cr, 1);
  for (guint i = 0; i < l->n_yt; i++)
    {
      double y = round (l->ay + l->ah - l->yt[i] / l->y_max * l->ah) + 0.5;

      set_color (cr, fg, i == 0 ? 0.5 : 0.1);
      cairo_move_to (cr, l->ax, y);
      cairo_line_to (cr, l->ax + l->aw, y);
      cairo_stroke (cr);
      set_color (cr, fg, 0.7);
      show (cr, l->yt_label[i], l->ax - 8 - bs_plot_text_width (l->yt_label[i]), y - bs_plot_text_height (l->yt_label[i]) / 2);
    }

  /* bars, totals, names */
  for (guint i = 0; i < data->bars->len; i++)
    {
      double x, y, w, h, top = l->ay + l->ah;
      PangoLayout *name = g_ptr_array_index (l->names, i);
      PangoLayout *tot = g_ptr_array_index (l->totals, i);

      for (guint part = 0; part < 2; part++)
        {
          _bs_energy_bar_rect (l, data, i, part, &x, &y, &w, &h);
          if (h <= 0)
            continue;
          set_color (cr, &style->series[part], 1);
          cairo_rectangle (cr, x, y, w, h);
          cairo_fill (cr);
          top = MIN (top, y);
        }
      if (tot)
        {
          set_color (cr, fg, 0.8);
          show (cr, tot, l->ax + l->slot * (i + 0.5) - bs_plot_text_width (tot) / 2, top - bs_plot_text_height (tot) - 2);
        }
      if (name)
        {
          set_color (cr, fg, 0.8);
          show (cr, name, l->ax + l->slot * i + 2, l->ay + l->ah + 4);
        }
    }
  cairo_restore (cr);
}

/* The bar part under (x, y): TRUE with its index and part.  A bar shorter
 * than 12 px is found over 12 px above the axis; the parts split where they
 * meet. */
gboolean
_bs_energy_hit_test (const BsEnergyLayout *l, const BsEnergyData *data, double x, double y,
                     guint *bar, BsEnergyPart *part)
{
  double bx, by, bw, bh, mx, my, mw, mh;
  guint i;

  if (l->empty || !data || x < l->ax || x >= l->ax + l->aw || y < l->ay - 20 ||
      y > l->ay + l->ah)
    return FALSE;
  i = (guint) ((x - l->ax) / l->slot);
  if (i >= data->bars->len)
    return FALSE;
  _bs_energy_bar_rect (l, data, i, BS_ENERGY_PART_COMPUTE, &bx, &by, &bw, &bh);
  _bs_energy_bar_rect (l, data, i, BS_ENERGY_PART_MEMORY, &mx, &my, &mw, &mh);
  if (fabs (x - (bx + bw / 2)) > MAX (bw / 2, 6) || y < MIN (my, l->ay + l->ah - 12) - 4)
    return FALSE;
  *bar = i;
  *part = y >= by ? BS_ENERGY_PART_COMPUTE : BS_ENERGY_PART_MEMORY;
  return TRUE;
}
