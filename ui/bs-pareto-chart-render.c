/* bs-pareto-chart-render.c — the one function that draws a Pareto chart, on
 * screen and into PNG, SVG and PDF files.
 *
 * It reads the layout and never changes it (except to lay out once for a size
 * other than the chart's, for export).  Points on an image surface are
 * stamped from pre-drawn marker sprites straight into the pixels, which keeps
 * 10^5 points within a frame; on vector surfaces they are real paths. */
#include "config.h"

#include <math.h>
#include <pango/pangocairo.h>

#include "bs-pareto-chart-private.h"

#define POINT_ALPHA 0.78

static void
set_color (cairo_t *cr, const BsColor *c, double alpha)
{
  cairo_set_source_rgba (cr, c->r, c->g, c->b, c->a * alpha);
}

/* A marker of "radius" r centred on (x, y), as a closed path (CROSS: an
 * X-shaped polygon so that it can be filled like the others). */
void
_bs_marker_path (cairo_t *cr, BsMarker marker, double x, double y, double r)
{
  switch (marker)
    {
    case BS_MARKER_CIRCLE:
      cairo_new_sub_path (cr);
      cairo_arc (cr, x, y, r, 0, 2 * G_PI);
      cairo_close_path (cr);
      break;
    case BS_MARKER_SQUARE:
      r *= 0.9;
      cairo_rectangle (cr, x - r, y - r, 2 * r, 2 * r);
      break;
    case BS_MARKER_TRIANGLE:
      r *= 1.2;
      cairo_move_to (cr, x, y - r);
      cairo_line_to (cr, x + r * 0.866, y + r * 0.5);
      cairo_line_to (cr, x - r * 0.866, y + r * 0.5);
      cairo_close_path (cr);
      break;
    case BS_MARKER_DIAMOND:
      r *= 1.25;
      cairo_move_to (cr, x, y - r);
      cairo_line_to (cr, x + r, y);
      cairo_line_to (cr, x, y + r);
      cairo_line_to (cr, x - r, y);
      cairo_close_path (cr);
      break;
    case BS_MARKER_CROSS:
    case BS_N_MARKERS:
    default:
      {
        double a = r * 1.1, w = r * 0.38;

        cairo_move_to (cr, x - a, y - a + w);
        cairo_line_to (cr, x - a + w, y - a);
        cairo_line_to (cr, x, y - w);
        cairo_line_to (cr, x + a - w, y - a);
        cairo_line_to (cr, x + a, y - a + w);
        cairo_line_to (cr, x + w, y);
        cairo_line_to (cr, x + a, y + a - w);
        cairo_line_to (cr, x + a - w, y + a);
        cairo_line_to (cr, x, y + w);
        cairo_line_to (cr, x - a + w, y + a);
        cairo_line_to (cr, x - a, y + a - w);
        cairo_line_to (cr, x - w, y);
        cairo_close_path (cr);
      }
      break;
    }
}

void
_bs_pareto_chart_clear_sprites (BsParetoChart *self)
{
  for (guint m = 0; m < BS_N_MARKERS; m++)
    for (guint f = 0; f < BS_PLOT_N_FAMILIES; f++)
      g_clear_pointer (&self->sprites[m][f], cairo_surface_destroy);
}

static cairo_surface_t *
get_sprite (BsParetoChart *self, BsMarker marker, guint family, double scale)
{
  cairo_surface_t *s;
  cairo_t *cr;
  int size;

  if (self->sprite_scale != scale || self->sprite_radius != self->radius)
    {
      _bs_pareto_chart_clear_sprites (self);
      self->sprite_scale = scale;
      self->sprite_radius = self->radius;
    }
  if (self->sprites[marker][family])
    return self->sprites[marker][family];

  size = (int) ceil ((self->radius * 1.3 + 1) * 2 * scale) | 1;   /* odd: a centre pixel */
  s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, size, size);
  cr = cairo_create (s);
  _bs_marker_path (cr, marker, size / 2.0, size / 2.0, self->radius * scale);
  set_color (cr, &self->style.family[family], POINT_ALPHA);
  cairo_fill (cr);
  cairo_destroy (cr);
  cairo_surface_flush (s);
  self->sprites[marker][family] = s;
  return s;
}

/* Pixel access to the target when it is an image surface drawn on without
 * rotation or scaling (the widget's cache, PNG export). */
typedef struct {
  guint32 *data;
  int stride, width, height;    /* stride in pixels */
  double scale, ox, oy;         /* pixel = (user + o) · scale */
  int cx0, cy0, cx1, cy1;       /* clip rectangle, pixels */
} PixelTarget;

static gboolean
pixel_target (cairo_t *cr, PixelTarget *pt)
{
  cairo_surface_t *t = cairo_get_group_target (cr);
  cairo_matrix_t m;
  double sx, sy, dox, doy;

  if (t != cairo_get_target (cr) || cairo_surface_get_type (t) != CAIRO_SURFACE_TYPE_IMAGE)
    return FALSE;
  if (cairo_image_surface_get_format (t) != CAIRO_FORMAT_ARGB32 &&
      cairo_image_surface_get_format (t) != CAIRO_FORMAT_RGB24)
    return FALSE;
  cairo_get_matrix (cr, &m);
  cairo_surface_get_device_scale (t, &sx, &sy);
  cairo_surface_get_device_offset (t, &dox, &doy);
  if (m.xx != 1 || m.yy != 1 || m.xy != 0 || m.yx != 0 || sx != sy)
    return FALSE;
  cairo_surface_flush (t);
  pt->data = (guint32 *) cairo_image_surface_get_data (t);
  pt->stride = cairo_image_surface_get_stride (t) / 4;
  pt->width = cairo_image_surface_get_width (t);
  pt->height = cairo_image_surface_get_height (t);
  pt->scale = sx;
  pt->ox = m.x0 + dox / sx;
  pt->oy = m.y0 + doy / sy;
  return pt->data != NULL;
}

/* src OVER dst for premultiplied ARGB32: dst · (255 - src alpha) / 255
 * (rounded), two channels per multiply, plus src. */
static inline guint32
over (guint32 src, guint32 dst)
{
  guint32 na = 255 - (src >> 24);
  guint32 rb = (dst & 0x00ff00ff) * na + 0x00800080;
  guint32 ag = ((dst >> 8) & 0x00ff00ff) * na + 0x00800080;

  rb = ((rb + ((rb >> 8) & 0x00ff00ff)) >> 8) & 0x00ff00ff;
  ag = (ag + ((ag >> 8) & 0x00ff00ff)) & 0xff00ff00;
  return src + rb + ag;
}

#define MAX_SPRITE 64

/* A sprite ready for stamping: its pixels and, per row, the span of
 * non-transparent pixels [start, end). */
typedef struct {
  const guint32 *data;
  int size, stride;
  guint8 start[MAX_SPRITE], end[MAX_SPRITE];
} Stamp;

static void
stamp_init (Stamp *st, cairo_surface_t *sprite)
{
  st->data = (const guint32 *) cairo_image_surface_get_data (sprite);
  st->size = MIN (cairo_image_surface_get_width (sprite), MAX_SPRITE);
  st->stride = cairo_image_surface_get_stride (sprite) / 4;
  for (int j = 0; j < st->size; j++)
    {
      const guint32 *row = st->data + j * st->stride;
      int a = 0, b = st->size;

      while (a < b && row[a] == 0)
        a++;
      while (b > a && row[b - 1] == 0)
        b--;
      st->start[j] = (guint8) a;
      st->end[j] = (guint8) b;
    }
}

/* Composite a premultiplied ARGB32 sprite OVER the target at pixel (x, y),
 * clipped to the target's clip rectangle. */
static inline void
stamp (PixelTarget *pt, const Stamp *st, int x, int y)
{
  int j0 = MAX (0, pt->cy0 - y), j1 = MIN (st->size, pt->cy1 - y);
  int i0 = MAX (0, pt->cx0 - x), i1 = MIN (st->size, pt->cx1 - x);

  for (int j = j0; j < j1; j++)
    {
      const guint32 *s = st->data + j * st->stride;
      guint32 *d = pt->data + (gsize) (y + j) * pt->stride + x;
      int a = MAX (i0, st->start[j]), b = MIN (i1, st->end[j]);

      for (int i = a; i < b; i++)
        d[i] = over (s[i], d[i]);
    }
}

/* Stamp every laid-out point, series by series, walking the layout grid cell
 * by cell: neighbours in memory are drawn together, which matters more than
 * the blending for 10^5 points.  Within a series, overlapping points are
 * therefore drawn in grid order, not in the order they arrived. */
static void
draw_points_pixels (BsParetoChart *self, cairo_t *cr, PixelTarget *pt)
{
  cairo_surface_t *t = cairo_get_target (cr);

  pt->cx0 = MAX (0, (int) floor ((self->ax + pt->ox) * pt->scale));
  pt->cy0 = MAX (0, (int) floor ((self->ay + pt->oy) * pt->scale));
  pt->cx1 = MIN (pt->width, (int) ceil ((self->ax + self->aw + pt->ox) * pt->scale));
  pt->cy1 = MIN (pt->height, (int) ceil ((self->ay + self->ah + pt->oy) * pt->scale));

  for (guint s = 0; s < self->series->len; s++)
    {
      BsChartSeries *cs = g_ptr_array_index (self->series, s);
      const float *px = (const float *) cs->px->data, *py = (const float *) cs->py->data;
      const gint32 *next = (const gint32 *) cs->next->data;
      const guint8 *fam = bs_plot_series_get_families (cs->series);
      Stamp stamps[BS_PLOT_N_FAMILIES];
      int half;

      for (guint f = 0; f < BS_PLOT_N_FAMILIES; f++)
        stamp_init (&stamps[f], get_sprite (self, cs->marker, f, pt->scale));
      half = stamps[0].size / 2;
      for (int cell = 0; cell < self->grid_cols * self->grid_rows; cell++)
        for (gint32 i = cs->head[cell]; i >= 0; i = next[i])
          stamp (pt, &stamps[fam[i]],
                 (int) lrintf ((px[i] + (float) pt->ox) * (float) pt->scale) - half,
                 (int) lrintf ((py[i] + (float) pt->oy) * (float) pt->scale) - half);
    }
  cairo_surface_mark_dirty (t);
}

static void
draw_points_paths (BsParetoChart *self, cairo_t *cr)
{
  for (guint s = 0; s < self->series->len; s++)
    {
      BsChartSeries *cs = g_ptr_array_index (self->series, s);
      const float *px = (const float *) cs->px->data, *py = (const float *) cs->py->data;
      const guint8 *fam = bs_plot_series_get_families (cs->series);

      for (guint f = 0; f < BS_PLOT_N_FAMILIES; f++)
        {
          gboolean any = FALSE;

          if (!bs_plot_series_count_family (cs->series, f))
            continue;
          for (guint i = 0; i < cs->px->len; i++)
            if (fam[i] == f && !isnan (px[i]))
              {
                _bs_marker_path (cr, cs->marker, px[i], py[i], self->radius);
                any = TRUE;
              }
          if (any)
            {
              set_color (cr, &self->style.family[f], POINT_ALPHA);
              cairo_fill (cr);
            }
        }
    }
}

static void
front_position (BsParetoChart *self, BsPlotSeries *series, guint i, double *x, double *y)
{
  *x = self->ax + bs_axis_normalize (self->x_axis, bs_plot_series_get_x (series)[i]) * self->aw;
  *y = self->ay + (1 - bs_axis_normalize (self->y_axis, bs_plot_series_get_y (series)[i])) * self->ah;
}

/* The front of each series as a step line: from each front point right to the
 * next one's energy, then up to its accuracy; after the last, right to the
 * edge.  Front points get a ring. */
/* The dash pattern of a series' front, by its marker (which stays the
 * series' own while others come and go), as the legend shows it too. */
static void
set_front_dash (cairo_t *cr, BsMarker marker)
{
  static const double dashes[BS_N_MARKERS][4] = { { 0 }, { 7, 3 }, { 2, 3 }, { 8, 3, 2, 3 }, { 14, 4 } };
  static const int n_dashes[BS_N_MARKERS] = { 0, 2, 2, 4, 2 };

  cairo_set_dash (cr, dashes[marker % BS_N_MARKERS], n_dashes[marker % BS_N_MARKERS], 0);
}

static void
draw_fronts (BsParetoChart *self, cairo_t *cr)
{

  for (guint s = 0; s < self->series->len; s++)
    {
      BsChartSeries *cs = g_ptr_array_index (self->series, s);
      guint n;
      const guint *front = bs_plot_series_get_front (cs->series, &n);
      double x, y, prev_y = 0;

      if (n == 0)
        continue;
      for (guint k = 0; k < n; k++)
        {
          front_position (self, cs->series, front[k], &x, &y);
          if (k == 0)
            cairo_move_to (cr, x, y);
          else
            {
              cairo_line_to (cr, x, prev_y);
              cairo_line_to (cr, x, y);
            }
          prev_y = y;
        }
      cairo_line_to (cr, self->ax + self->aw + 1, prev_y);
      cairo_set_line_width (cr, 1.6);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
      set_front_dash (cr, cs->marker);
      set_color (cr, &self->style.foreground, 0.85);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);

      for (guint k = 0; k < n; k++)
        {
          front_position (self, cs->series, front[k], &x, &y);
          cairo_new_sub_path (cr);
          cairo_arc (cr, x, y, self->radius + 1.5, 0, 2 * G_PI);
        }
      cairo_set_line_width (cr, 1.2);
      set_color (cr, &self->style.foreground, 0.9);
      cairo_stroke (cr);
    }
}

static void
draw_selection (BsParetoChart *self, cairo_t *cr)
{
  double x, y;

  if (!self->selected ||
      !bs_pareto_chart_get_point_position (self, self->selected, self->selected_index, &x, &y))
    return;
  cairo_new_sub_path (cr);
  cairo_arc (cr, x, y, self->radius + 4, 0, 2 * G_PI);
  cairo_set_line_width (cr, 2.5);
  set_color (cr, &self->style.accent, 1);
  cairo_stroke (cr);
}

static void
show_text (cairo_t *cr, PangoLayout *layout, double x, double y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static void
draw_axes (BsParetoChart *self, cairo_t *cr)
{
  const BsColor *fg = &self->style.foreground;
  double x0 = round (self->ax) + 0.5, y1 = round (self->ay + self->ah) + 0.5;
  int w, h;

  /* grid */
  cairo_set_line_width (cr, 1);
  for (guint i = 0; i < self->n_xt; i++)
    {
      double x = round (self->xt[i].pos) + 0.5;

      cairo_move_to (cr, x, self->ay);
      cairo_line_to (cr, x, self->ay + self->ah);
    }
  for (guint i = 0; i < self->n_yt; i++)
    {
      double y = round (self->yt[i].pos) + 0.5;

      cairo_move_to (cr, self->ax, y);
      cairo_line_to (cr, self->ax + self->aw, y);
    }
  set_color (cr, fg, 0.09);
  cairo_stroke (cr);

  /* axis lines and ticks */
  cairo_move_to (cr, x0, self->ay);
  cairo_line_to (cr, x0, y1);
  cairo_line_to (cr, self->ax + self->aw, y1);
  for (guint i = 0; i < self->n_xt; i++)
    {
      cairo_move_to (cr, round (self->xt[i].pos) + 0.5, y1);
      cairo_rel_line_to (cr, 0, 4);
    }
  for (guint i = 0; i < self->n_yt; i++)
    {
      cairo_move_to (cr, x0, round (self->yt[i].pos) + 0.5);
      cairo_rel_line_to (cr, -4, 0);
    }
  set_color (cr, fg, 0.45);
  cairo_stroke (cr);

  /* labels */
  set_color (cr, fg, 0.7);
  for (guint i = 0; i < self->n_xt; i++)
    {
      pango_layout_get_pixel_size (self->xt[i].label, &w, &h);
      show_text (cr, self->xt[i].label, self->xt[i].pos - w / 2.0, y1 + 6);
    }
  for (guint i = 0; i < self->n_yt; i++)
    {
      pango_layout_get_pixel_size (self->yt[i].label, &w, &h);
      show_text (cr, self->yt[i].label, self->ax - 8 - w, self->yt[i].pos - h / 2.0);
    }

  set_color (cr, fg, 0.85);
  pango_layout_get_pixel_size (self->x_title, &w, &h);
  show_text (cr, self->x_title, self->ax + (self->aw - w) / 2, self->height - h - 6);
  pango_layout_get_pixel_size (self->y_title, &w, &h);
  cairo_save (cr);
  cairo_translate (cr, 4, self->ay + (self->ah + w) / 2);
  cairo_rotate (cr, -G_PI / 2);
  show_text (cr, self->y_title, 0, 0);
  cairo_restore (cr);
}

/* The legend: a band of entries above the plot area, laid out by
 * flow_legend. */
static void
draw_legend (BsParetoChart *self, cairo_t *cr)
{
  for (guint i = 0; i < self->legend->len; i++)
    {
      gint kind = g_array_index (self->legend_kind, gint, i);
      PangoLayout *layout = g_ptr_array_index (self->legend, i);
      double x = g_array_index (self->legend_x, double, i);
      double cy = self->ly + (g_array_index (self->legend_row, guint, i) + 0.5) * self->lrow;
      int w, h;

      if (kind >= 0)
        {
          _bs_marker_path (cr, BS_MARKER_CIRCLE, x + 4.5, cy, 4.5);
          set_color (cr, &self->style.family[kind], 1);
          cairo_fill (cr);
        }
      else
        {
          BsChartSeries *cs = g_ptr_array_index (self->series, (guint) (-1 - kind));

          /* a stretch of its front's line, its marker in the middle */
          cairo_move_to (cr, x, cy);
          cairo_line_to (cr, x + LEGEND_SERIES_TEXT_X - 6, cy);
          set_front_dash (cr, cs->marker);
          cairo_set_line_width (cr, 1.6);
          set_color (cr, &self->style.foreground, 0.85);
          cairo_stroke (cr);
          cairo_set_dash (cr, NULL, 0, 0);
          _bs_marker_path (cr, cs->marker, x + (LEGEND_SERIES_TEXT_X - 6) / 2, cy, 4.5);
          if (self->style.background.a > 0)   /* hollow: the line does not show through */
            {
              set_color (cr, &self->style.background, 1);
              cairo_fill_preserve (cr);
            }
          set_color (cr, &self->style.foreground, 0.8);
          cairo_set_line_width (cr, 1.3);
          cairo_stroke (cr);
        }
      pango_layout_get_pixel_size (layout, &w, &h);
      set_color (cr, &self->style.foreground, 0.85);
      show_text (cr, layout, x + (kind >= 0 ? LEGEND_TEXT_X : LEGEND_SERIES_TEXT_X), cy - h / 2.0);
    }
}

static void
draw (BsParetoChart *self, cairo_t *cr)
{
  PixelTarget pt;

  cairo_save (cr);
  if (self->style.background.a > 0)
    {
      set_color (cr, &self->style.background, 1);
      cairo_paint (cr);
    }
  draw_axes (self, cr);

  cairo_save (cr);
  cairo_rectangle (cr, self->ax, self->ay, self->aw, self->ah);
  cairo_clip (cr);
  if (pixel_target (cr, &pt))
    draw_points_pixels (self, cr, &pt);
  else
    draw_points_paths (self, cr);
  draw_fronts (self, cr);
  draw_selection (self, cr);
  cairo_restore (cr);

  draw_legend (self, cr);

  if (self->empty)
    {
      int w, h;

      pango_layout_get_pixel_size (self->empty, &w, &h);
      set_color (cr, &self->style.foreground, 0.55);
      show_text (cr, self->empty, self->ax + (self->aw - w) / 2, self->ay + (self->ah - h) / 2);
    }
  cairo_restore (cr);
}

/* Draw the chart at width × height (user units of cr) into cr.  The same
 * function serves the widget and export; another size than the chart's is
 * laid out for this call only. */
void
bs_pareto_chart_render (BsParetoChart *self, cairo_t *cr, int width, int height)
{
  int ow = self->width, oh = self->height;

  g_return_if_fail (BS_IS_PARETO_CHART (self));
  g_return_if_fail (cr != NULL);

  if (width == ow && height == oh)
    {
      draw (self, cr);
      return;
    }
  self->in_layout = TRUE;
  self->width = MAX (width, 1);
  self->height = MAX (height, 1);
  _bs_pareto_chart_relayout (self);
  draw (self, cr);
  self->width = ow;
  self->height = oh;
  _bs_pareto_chart_relayout (self);
  self->in_layout = FALSE;
}
