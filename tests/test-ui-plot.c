/* The Pareto plot without a display: axis mapping, the incremental front,
 * layout, hit-testing, zoom and pan, rendering checked pixel by pixel, and
 * export to PNG, SVG and PDF. */
#include <cairo.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <math.h>
#include <string.h>

#include "bs-axis.h"
#include "bs-config-summary.h"
#include "bs-format.h"
#include "bs-pareto-chart.h"
#include "bs-plot-export.h"
#include "bs-plot-series.h"
#include "bs-units.h"

/* Axis ---------------------------------------------------------------------- */

static void
test_axis_linear (void)
{
  g_autoptr (BsAxis) axis = bs_axis_new (FALSE);

  bs_axis_set_range (axis, 20, 70);
  g_assert_cmpfloat_with_epsilon (bs_axis_normalize (axis, 20), 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (bs_axis_normalize (axis, 45), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (bs_axis_normalize (axis, 70), 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (bs_axis_normalize (axis, 95), 1.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (bs_axis_denormalize (axis, 0.25), 32.5, 1e-12);
}

static void
test_axis_log (void)
{
  g_autoptr (BsAxis) axis = bs_axis_new (TRUE);

  bs_axis_set_range (axis, 1e2, 1e8);
  for (int k = 2; k <= 8; k++)
    g_assert_cmpfloat_with_epsilon (bs_axis_normalize (axis, pow (10, k)), (k - 2) / 6.0, 1e-12);
  /* 10^3.5 sits half-way between 10^3 and 10^4 */
  g_assert_cmpfloat_with_epsilon (bs_axis_normalize (axis, pow (10, 3.5)), 1.5 / 6, 1e-12);
  g_assert_true (isnan (bs_axis_normalize (axis, 0)));
  g_assert_true (isnan (bs_axis_normalize (axis, -5)));
  for (double t = -0.5; t <= 1.5; t += 0.125)
    g_assert_cmpfloat_with_epsilon (bs_axis_normalize (axis, bs_axis_denormalize (axis, t)), t, 1e-12);

  /* a log axis refuses a non-positive range */
  bs_axis_set_range (axis, 0, 10);
  g_assert_cmpfloat (bs_axis_get_min (axis), ==, 1e2);
}

static void
test_axis_zoom_anchor (void)
{
  for (int log = 0; log <= 1; log++)
    {
      g_autoptr (BsAxis) axis = bs_axis_new (log);

      bs_axis_set_range (axis, log ? 1e3 : -3, log ? 1e9 : 11);
      for (double t = 0; t <= 1; t += 0.1)
        {
          double before = bs_axis_denormalize (axis, t);

          bs_axis_zoom (axis, t, 1.7);
          g_assert_cmpfloat_with_epsilon (bs_axis_denormalize (axis, t) / before, 1, 1e-9);
          bs_axis_zoom (axis, t, 1 / 1.7);
          g_assert_cmpfloat_with_epsilon (bs_axis_denormalize (axis, t) / before, 1, 1e-9);
        }
    }
}

static void
test_axis_ticks (void)
{
  g_autoptr (BsAxis) lin = bs_axis_new (FALSE);
  g_autoptr (BsAxis) log = bs_axis_new (TRUE);
  double t[32];
  guint n;

  bs_axis_set_range (lin, 0, 100);
  n = bs_axis_get_ticks (lin, t, 12);
  g_assert_cmpuint (n, ==, 6);
  for (guint i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (t[i], 20.0 * i, 1e-9);

  bs_axis_set_range (log, 3e2, 2e7);
  n = bs_axis_get_ticks (log, t, 12);
  g_assert_cmpuint (n, ==, 5);
  for (guint i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (t[i] / pow (10, i + 3), 1, 1e-12);

  /* less than two decades: 1, 2, 5 of each */
  bs_axis_set_range (log, 1.5, 60);
  n = bs_axis_get_ticks (log, t, 12);
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpfloat (t[0], ==, 2);
  g_assert_cmpfloat (t[1], ==, 5);
  g_assert_cmpfloat (t[2], ==, 10);
  g_assert_cmpfloat (t[3], ==, 20);
  g_assert_cmpfloat (t[4], ==, 50);
}

/* Series and front --------------------------------------------------------------- */

/* Indices of the points no other point dominates (x ≤, y ≥, one strictly),
 * first of equal points only; x ascending.  O(n²), written apart from the
 * series' incremental front. */
static GArray *
brute_front (const double *x, const double *y, guint n)
{
  GArray *front = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < n; i++)
    {
      gboolean dominated = FALSE;

      for (guint j = 0; j < n && !dominated; j++)
        {
          if (j == i)
            continue;
          if (x[j] <= x[i] && y[j] >= y[i] && (x[j] < x[i] || y[j] > y[i]))
            dominated = TRUE;
          else if (x[j] == x[i] && y[j] == y[i] && j < i)
            dominated = TRUE;
        }
      if (!dominated)
        g_array_append_val (front, i);
    }
  for (guint a = 1; a < front->len; a++)   /* insertion sort by x */
    for (guint b = a; b > 0 && x[g_array_index (front, guint, b)] < x[g_array_index (front, guint, b - 1)]; b--)
      {
        guint t = g_array_index (front, guint, b);

        g_array_index (front, guint, b) = g_array_index (front, guint, b - 1);
        g_array_index (front, guint, b - 1) = t;
      }
  return front;
}

static void
test_series_front (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);

  for (int round = 0; round < 40; round++)
    {
      g_autoptr (BsPlotSeries) s = bs_plot_series_new ("s");
      guint n = g_rand_int_range (rand, 1, 400), nf;
      g_autoptr (GArray) expect = NULL;
      const guint *front;

      /* in chunks, with repeated coordinates on purpose */
      for (guint i = 0; i < n;)
        {
          BsPlotPoint pts[16];
          guint r = (guint) g_rand_int_range (rand, 1, 17);
          guint k = MIN (n - i, r);

          for (guint j = 0; j < k; j++)
            pts[j] = (BsPlotPoint) { g_rand_int_range (rand, 1, 50) * 10.0,
                                     g_rand_int_range (rand, 0, 40) * 2.5, i + j, 0, NULL };
          bs_plot_series_append (s, pts, k);
          i += k;
        }
      g_assert_cmpuint (bs_plot_series_get_n_points (s), ==, n);
      expect = brute_front (bs_plot_series_get_x (s), bs_plot_series_get_y (s), n);
      front = bs_plot_series_get_front (s, &nf);
      g_assert_cmpuint (nf, ==, expect->len);
      for (guint i = 0; i < nf; i++)
        g_assert_cmpuint (front[i], ==, g_array_index (expect, guint, i));
    }
}

static void
test_series_skips_unplottable (void)
{
  g_autoptr (BsPlotSeries) s = bs_plot_series_new ("s");
  BsPlotPoint pts[] = {
    { NAN, 90, 1, 0, NULL }, { 0, 95, 2, 0, NULL }, { -3, 99, 3, 0, NULL },
    { 100, NAN, 4, 0, NULL }, { 50, 60, 5, 0, "a" },
  };
  const guint *front;
  guint nf;
  double x0, x1, y0, y1;

  bs_plot_series_append (s, pts, G_N_ELEMENTS (pts));
  front = bs_plot_series_get_front (s, &nf);
  g_assert_cmpuint (nf, ==, 1);
  g_assert_cmpuint (front[0], ==, 4);
  g_assert_true (bs_plot_series_get_bounds (s, &x0, &x1, &y0, &y1));
  g_assert_cmpfloat (x0, ==, 50);
  g_assert_cmpfloat (y1, ==, 60);
  g_assert_cmpstr (bs_plot_series_get_label (s, 4), ==, "a");
}

/* A GListModel of GObjects carrying two doubles, mapped into points. */
static gboolean
map_point (gpointer item, BsPlotPoint *out, gpointer data)
{
  out->x = GPOINTER_TO_UINT (g_object_get_data (item, "x"));
  out->y = GPOINTER_TO_UINT (g_object_get_data (item, "y"));
  return TRUE;
}

static void
test_series_model (void)
{
  g_autoptr (GListStore) store = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr (BsPlotSeries) s = bs_plot_series_new ("m");

  for (guint i = 1; i <= 3; i++)
    {
      g_autoptr (GObject) o = g_object_new (G_TYPE_OBJECT, NULL);

      g_object_set_data (o, "x", GUINT_TO_POINTER (i * 10));
      g_object_set_data (o, "y", GUINT_TO_POINTER (i));
      g_list_store_append (store, o);
    }
  bs_plot_series_bind_model (s, G_LIST_MODEL (store), map_point, NULL, NULL);
  g_assert_cmpuint (bs_plot_series_get_n_points (s), ==, 3);
  {
    g_autoptr (GObject) o = g_object_new (G_TYPE_OBJECT, NULL);

    g_object_set_data (o, "x", GUINT_TO_POINTER (5));
    g_object_set_data (o, "y", GUINT_TO_POINTER (7));
    g_list_store_append (store, o);
  }
  g_assert_cmpuint (bs_plot_series_get_n_points (s), ==, 4);
  g_assert_cmpfloat (bs_plot_series_get_x (s)[3], ==, 5);
  g_list_store_remove (store, 0);
  g_assert_cmpuint (bs_plot_series_get_n_points (s), ==, 3);
  g_assert_cmpfloat (bs_plot_series_get_x (s)[0], ==, 20);
}

/* Chart ------------------------------------------------------------------------ */

static BsParetoChart *
chart_with (BsPlotSeries *s, int w, int h)
{
  BsParetoChart *chart = bs_pareto_chart_new ();

  bs_pareto_chart_set_size (chart, w, h);
  bs_pareto_chart_add_series (chart, s);
  return chart;
}

static cairo_surface_t *
render (BsParetoChart *chart, int w, int h)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create (surface);

  bs_pareto_chart_render (chart, cr, w, h);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  return surface;
}

static void
pixel (cairo_surface_t *s, int x, int y, int *r, int *g, int *b)
{
  guint32 p = ((guint32 *) (cairo_image_surface_get_data (s) +
                            y * cairo_image_surface_get_stride (s)))[x];

  *r = (p >> 16) & 0xff;
  *g = (p >> 8) & 0xff;
  *b = p & 0xff;
}

/* The darkest r + g + b among the pixel at (x, y) and its neighbours one
 * step along (dx, dy) either way: a 1.6 px line lands on one of them. */
static int
darkest (cairo_surface_t *s, int x, int y, int dx, int dy)
{
  int best = 3 * 255;

  for (int k = -1; k <= 1; k++)
    {
      int r, g, b;

      pixel (s, x + k * dx, y + k * dy, &r, &g, &b);
      best = MIN (best, r + g + b);
    }
  return best;
}

static void
test_chart_render_pixels (void)
{
  /* a float point (blue), a posit point (purple) on the front, one dominated
   * fixed-point point (green); energies a decade apart */
  g_autoptr (BsPlotSeries) s = bs_plot_series_new ("render");
  BsPlotPoint pts[] = {
    { 1e4, 60, 1, BS_FAMILY_FLOAT, NULL },
    { 1e6, 90, 2, BS_FAMILY_POSIT, NULL },
    { 1e5, 50, 3, BS_FAMILY_FIXED, NULL },
  };
  g_autoptr (BsParetoChart) chart = NULL;
  cairo_surface_t *img;
  double px, py, ax, ay, aw, ah;
  int r, g, b;

  bs_plot_series_append (s, pts, G_N_ELEMENTS (pts));
  chart = chart_with (s, 640, 400);
  img = render (chart, 640, 400);
  bs_pareto_chart_get_plot_area (chart, &ax, &ay, &aw, &ah);

  /* markers have their family's colour (defaults: blue 3584e4, green
   * 33d17a, blended at 78 % over white); the front line runs through the
   * centres of front points, so look beside it, inside the marker */
  g_assert_true (bs_pareto_chart_get_point_position (chart, s, 0, &px, &py));
  pixel (img, (int) round (px), (int) round (py) - 2, &r, &g, &b);
  g_assert_cmpint (b, >, 200);
  g_assert_cmpint (r, <, 110);
  g_assert_true (bs_pareto_chart_get_point_position (chart, s, 2, &px, &py));
  pixel (img, (int) px, (int) py, &r, &g, &b);
  g_assert_cmpint (g, >, 190);
  g_assert_cmpint (r, <, 110);
  g_assert_cmpint (b, <, 170);

  /* the front's horizontal step from (1e4, 60) towards 1e6, half-way in log
   * energy at accuracy 60: dark line */
  {
    double x0, y0, x1, y1;

    bs_pareto_chart_get_point_position (chart, s, 0, &x0, &y0);
    bs_pareto_chart_get_point_position (chart, s, 1, &x1, &y1);
    g_assert_cmpint (darkest (img, (int) ((x0 + x1) / 2), (int) y0, 0, 1), <, 3 * 120);
    /* the vertical step at x1, half-way between the accuracies */
    g_assert_cmpint (darkest (img, (int) x1, (int) ((y0 + y1) / 2), 1, 0), <, 3 * 120);
    /* the step does not go up before x1: left of it at that height, white */
    pixel (img, (int) round (x1) - 12, (int) ((y0 + y1) / 2), &r, &g, &b);
    g_assert_cmpint (r + g + b, ==, 3 * 255);
  }

  /* nothing where nothing is: below the front, right of the dominated point */
  {
    double x2, y2;

    bs_pareto_chart_get_point_position (chart, s, 2, &x2, &y2);
    pixel (img, (int) (x2 + 30), (int) (y2 + 20), &r, &g, &b);
    g_assert_cmpint (r + g + b, ==, 3 * 255);
  }
  cairo_surface_destroy (img);
}

/* |a - b| per channel at most tol */
static gboolean
near_rgb (int r, int g, int b, double er, double eg, double eb, int tol)
{
  return fabs (r - er) <= tol && fabs (g - eg) <= tol && fabs (b - eb) <= tol;
}

/* The legend lies above the plot area, never over the data: with points in
 * all four corners of the data and two series (so that the legend has
 * family and series entries, a box of some 6 rows), every point keeps its
 * family's colour, and each family's legend dot is found above the plot
 * area in its full colour. */
static void
test_chart_legend_outside (void)
{
  g_autoptr (BsPlotSeries) a = bs_plot_series_new ("corners");
  g_autoptr (BsPlotSeries) b = bs_plot_series_new ("middle");
  BsPlotPoint corners[] = {
    { 1e3, 10, 1, BS_FAMILY_FLOAT, NULL },
    { 1e7, 10, 2, BS_FAMILY_FIXED, NULL },
    { 1e3, 95, 3, BS_FAMILY_POSIT, NULL },
    { 1e7, 95, 4, BS_FAMILY_LOG, NULL },
  };
  BsPlotPoint middle[] = { { 1e5, 50, 5, BS_FAMILY_INT, NULL } };
  const guint8 families[] = { BS_FAMILY_FLOAT, BS_FAMILY_FIXED, BS_FAMILY_POSIT, BS_FAMILY_LOG, BS_FAMILY_INT };
  g_autoptr (BsParetoChart) chart = NULL;
  const BsPlotStyle *style;
  cairo_surface_t *img;
  double ax, ay, aw, ah;

  bs_plot_series_append (a, corners, G_N_ELEMENTS (corners));
  bs_plot_series_append (b, middle, G_N_ELEMENTS (middle));
  chart = chart_with (a, 640, 400);
  bs_pareto_chart_add_series (chart, b);
  img = render (chart, 640, 400);
  style = bs_pareto_chart_get_style (chart);
  bs_pareto_chart_get_plot_area (chart, &ax, &ay, &aw, &ah);
  /* room for two rows of legend above the area, and the area still large */
  g_assert_cmpfloat (ay, >=, 30);
  g_assert_cmpfloat (ah, >, 250);

  for (guint i = 0; i < G_N_ELEMENTS (corners); i++)
    {
      const BsColor *c = &style->family[corners[i].family];
      double px, py;
      int r, g, bl;

      g_assert_true (bs_pareto_chart_get_point_position (chart, a, i, &px, &py));
      /* beside the centre, off the front's lines through it: the marker at
       * 78 % over the white background */
      pixel (img, (int) round (px) + 2, (int) round (py) + 2, &r, &g, &bl);
      g_assert_true (near_rgb (r, g, bl, 255 * (0.78 * c->r + 0.22), 255 * (0.78 * c->g + 0.22),
                               255 * (0.78 * c->b + 0.22), 40));
    }

  for (guint f = 0; f < G_N_ELEMENTS (families); f++)
    {
      const BsColor *c = &style->family[families[f]];
      gboolean found = FALSE;

      for (int y = 0; y < (int) ay && !found; y++)
        for (int x = 0; x < 640 && !found; x++)
          {
            int r, g, bl;

            pixel (img, x, y, &r, &g, &bl);
            found = near_rgb (r, g, bl, 255 * c->r, 255 * c->g, 255 * c->b, 12);
          }
      g_assert_true (found);
    }
  cairo_surface_destroy (img);
}

static void
fill_random (BsPlotSeries *s, GRand *rand, guint n)
{
  g_autofree BsPlotPoint *pts = g_new (BsPlotPoint, n);

  for (guint i = 0; i < n; i++)
    pts[i] = (BsPlotPoint) { pow (10, g_rand_double_range (rand, 3, 7)),
                             g_rand_double_range (rand, 10, 95), i, (guint8) (i % 6), NULL };
  bs_plot_series_append (s, pts, n);
}

static void
test_chart_hit_test (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  g_autoptr (BsPlotSeries) s = bs_plot_series_new ("many");
  g_autoptr (BsParetoChart) chart = NULL;
  guint n = 100000;
  gint64 t0;
  BsPlotSeries *any_series;
  guint any_index;

  fill_random (s, rand, n);
  chart = chart_with (s, 1200, 800);

  t0 = g_get_monotonic_time ();
  for (int q = 0; q < 100000; q++)
    bs_pareto_chart_hit_test (chart, g_rand_double_range (rand, 0, 1200),
                              g_rand_double_range (rand, 0, 800), 8.0, &any_series, &any_index);
  g_test_message ("hit-test among 100 000 points: %.2f µs per query",
                  (g_get_monotonic_time () - t0) / 1e5);

  for (int q = 0; q < 300; q++)
    {
      double x = g_rand_double_range (rand, 0, 1200), y = g_rand_double_range (rand, 0, 800);
      double best = 8.0 * 8.0, px, py;
      gint64 expect = -1;
      BsPlotSeries *hs = NULL;
      guint hi = 0;
      gboolean hit;

      /* brute force over every point */
      for (guint i = 0; i < n; i++)
        if (bs_pareto_chart_get_point_position (chart, s, i, &px, &py))
          {
            double d = (px - x) * (px - x) + (py - y) * (py - y);

            if (d < best)
              {
                best = d;
                expect = i;
              }
          }
      hit = bs_pareto_chart_hit_test (chart, x, y, 8.0, &hs, &hi);
      g_assert_cmpint (hit, ==, expect >= 0);
      if (hit)
        {
          g_assert_true (hs == s);
          g_assert_cmpint (hi, ==, expect);
        }
    }
}

static void
test_chart_zoom_fixed (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (BsPlotSeries) s = bs_plot_series_new ("zoom");
  g_autoptr (BsParetoChart) chart = NULL;

  fill_random (s, rand, 500);
  chart = chart_with (s, 800, 600);
  for (guint i = 0; i < 500; i += 37)
    {
      double x, y, x2, y2;

      if (!bs_pareto_chart_get_point_position (chart, s, i, &x, &y))
        continue;
      bs_pareto_chart_zoom (chart, x, y, 1.6);
      g_assert_true (bs_pareto_chart_get_point_position (chart, s, i, &x2, &y2));
      g_assert_cmpfloat_with_epsilon (x2, x, 0.01);
      g_assert_cmpfloat_with_epsilon (y2, y, 0.01);
      g_assert_false (bs_pareto_chart_get_auto_fit (chart));
      bs_pareto_chart_reset_view (chart);
      g_assert_true (bs_pareto_chart_get_auto_fit (chart));
    }
}

static void
test_chart_pan (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (BsPlotSeries) s = bs_plot_series_new ("pan");
  g_autoptr (BsParetoChart) chart = NULL;
  double x, y, x2, y2;

  fill_random (s, rand, 200);
  chart = chart_with (s, 800, 600);
  bs_pareto_chart_zoom (chart, 400, 300, 2);
  for (guint i = 0; i < 200; i++)
    if (bs_pareto_chart_get_point_position (chart, s, i, &x, &y) && x > 300 && x < 500 && y > 200 && y < 400)
      {
        bs_pareto_chart_pan (chart, 25, -40);
        g_assert_true (bs_pareto_chart_get_point_position (chart, s, i, &x2, &y2));
        g_assert_cmpfloat_with_epsilon (x2 - x, 25, 0.01);
        g_assert_cmpfloat_with_epsilon (y2 - y, -40, 0.01);
        return;
      }
  g_assert_not_reached ();
}

static void
test_chart_streaming (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);
  g_autoptr (BsPlotSeries) s = bs_plot_series_new ("stream");
  g_autoptr (BsParetoChart) chart = chart_with (s, 900, 600);

  for (int chunk = 0; chunk < 20; chunk++)
    {
      guint first = bs_plot_series_get_n_points (s);

      fill_random (s, rand, 1000);
      /* every new point is laid out and can be hit */
      for (guint i = first; i < first + 1000; i += 97)
        {
          double x, y;
          BsPlotSeries *hs;
          guint hi;

          g_assert_true (bs_pareto_chart_get_point_position (chart, s, i, &x, &y));
          g_assert_true (bs_pareto_chart_hit_test (chart, x, y, 0.5, &hs, &hi));
          g_assert_true (bs_pareto_chart_get_point_position (chart, hs, hi, &x, &y));
        }
    }
}

static void
test_chart_render_100k (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (13);
  g_autoptr (BsPlotSeries) s = bs_plot_series_new ("big");
  g_autoptr (BsParetoChart) chart = NULL;
  cairo_surface_t *img;
  gint64 t0;

  fill_random (s, rand, 100000);
  chart = chart_with (s, 1200, 800);
  cairo_surface_destroy (render (chart, 1200, 800));   /* fonts and sprites load */
  t0 = g_get_monotonic_time ();
  img = render (chart, 1200, 800);
  g_test_message ("render 100 000 points, 1200x800: %.1f ms", (g_get_monotonic_time () - t0) / 1e3);
  t0 = g_get_monotonic_time ();
  bs_pareto_chart_zoom (chart, 600, 400, 1.2);
  g_test_message ("zoom step (layout of 100 000 points): %.1f ms", (g_get_monotonic_time () - t0) / 1e3);
  cairo_surface_destroy (img);
}


/* A series with its own marker keeps it whenever it is added; the others
 * take the first marker neither in use nor asked for. */
static void
test_chart_own_marker (void)
{
  g_autoptr (BsParetoChart) chart = bs_pareto_chart_new ();
  g_autoptr (BsPlotSeries) own = bs_plot_series_new ("selected");
  g_autoptr (BsPlotSeries) a = bs_plot_series_new ("a");
  g_autoptr (BsPlotSeries) b = bs_plot_series_new ("b");
  g_autoptr (BsPlotSeries) c = bs_plot_series_new ("c");
  g_autoptr (BsPlotSeries) d = bs_plot_series_new ("d");

  g_assert_cmpint (bs_plot_series_get_marker (a), ==, -1);
  bs_plot_series_set_marker (own, BS_MARKER_DIAMOND);
  /* added first … */
  bs_pareto_chart_add_series (chart, own);
  bs_pareto_chart_add_series (chart, a);
  bs_pareto_chart_add_series (chart, b);
  bs_pareto_chart_add_series (chart, c);
  bs_pareto_chart_add_series (chart, d);
  g_assert_cmpint (bs_pareto_chart_get_marker (chart, own), ==, BS_MARKER_DIAMOND);
  g_assert_cmpint (bs_pareto_chart_get_marker (chart, a), ==, BS_MARKER_CIRCLE);
  g_assert_cmpint (bs_pareto_chart_get_marker (chart, b), ==, BS_MARKER_SQUARE);
  g_assert_cmpint (bs_pareto_chart_get_marker (chart, c), ==, BS_MARKER_TRIANGLE);
  g_assert_cmpint (bs_pareto_chart_get_marker (chart, d), ==, BS_MARKER_CROSS);
  /* … or last, as when a project is opened again under it */
  bs_pareto_chart_remove_all (chart);
  bs_pareto_chart_add_series (chart, a);
  bs_pareto_chart_add_series (chart, b);
  bs_pareto_chart_add_series (chart, own);
  g_assert_cmpint (bs_pareto_chart_get_marker (chart, a), ==, BS_MARKER_CIRCLE);
  g_assert_cmpint (bs_pareto_chart_get_marker (chart, b), ==, BS_MARKER_SQUARE);
  g_assert_cmpint (bs_pareto_chart_get_marker (chart, own), ==, BS_MARKER_DIAMOND);
}

static void
render_chart (gpointer target, cairo_t *cr, int w, int h)
{
  bs_pareto_chart_render (target, cr, w, h);
}

static void
test_chart_export (gconstpointer data)
{
  BsExportFormat format = GPOINTER_TO_INT (data);
  g_autoptr (GRand) rand = g_rand_new_with_seed (17);
  g_autoptr (BsPlotSeries) s = bs_plot_series_new ("export");
  g_autoptr (BsParetoChart) chart = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  const char *p;
  gsize len;

  fill_random (s, rand, 300);
  chart = chart_with (s, 640, 400);
  bytes = bs_export_render (format, 1000, 700, 2, render_chart, chart, &error);
  g_assert_no_error (error);
  p = g_bytes_get_data (bytes, &len);
  switch (format)
    {
    case BS_EXPORT_PNG:
      {
        g_autofree char *path = NULL;
        cairo_surface_t *img;
        int fd = g_file_open_tmp ("bs-export-XXXXXX.png", &path, &error);

        g_assert_no_error (error);
        g_assert_cmpmem (p, 8, "\x89PNG\r\n\x1a\n", 8);
        g_assert_true (g_file_set_contents (path, p, len, &error));
        img = cairo_image_surface_create_from_png (path);
        g_assert_cmpint (cairo_surface_status (img), ==, CAIRO_STATUS_SUCCESS);
        g_assert_cmpint (cairo_image_surface_get_width (img), ==, 2000);
        g_assert_cmpint (cairo_image_surface_get_height (img), ==, 1400);
        cairo_surface_destroy (img);
        close (fd);
        g_unlink (path);
      }
      break;
    case BS_EXPORT_SVG:
      g_assert_true (g_str_has_prefix (p, "<?xml"));
      g_assert_nonnull (g_strstr_len (p, len, "<svg"));
      g_assert_nonnull (g_strstr_len (p, len, "</svg>"));
      break;
    case BS_EXPORT_PDF:
      g_assert_cmpmem (p, 5, "%PDF-", 5);
      g_assert_nonnull (g_strstr_len (p + len - 32, 32, "%%EOF"));
      break;
    }
  g_assert_cmpuint (len, >, 2000);
  /* the chart's own size is untouched by rendering at another */
  {
    double ax, ay, aw, ah;

    bs_pareto_chart_get_plot_area (chart, &ax, &ay, &aw, &ah);
    g_assert_cmpfloat (ax + aw, <, 640);
    g_assert_cmpfloat (ay + ah, <, 400);
  }
}

static void
test_export_format_for_path (void)
{
  BsExportFormat f;

  g_assert_true (bs_export_format_for_path ("/a/b/plot.PNG", &f) && f == BS_EXPORT_PNG);
  g_assert_true (bs_export_format_for_path ("plot.svg", &f) && f == BS_EXPORT_SVG);
  g_assert_true (bs_export_format_for_path ("plot.pdf", &f) && f == BS_EXPORT_PDF);
  g_assert_false (bs_export_format_for_path ("plot.jpeg", &f));
}

/* Summaries and units ------------------------------------------------------------ */

static void
test_config_summary (void)
{
  g_autofree char *l1 = NULL, *l2 = NULL, *l3 = NULL, *l4 = NULL, *l5 = NULL;

  g_assert_cmpuint (bs_config_summary ("v1;L0:w=fixed8,a=fixed8,acc=exact,s=layer-pow2;"
                                       "L1:w=fixed8,a=fixed8,acc=exact,s=layer-pow2", &l1),
                    ==, BS_FAMILY_FIXED);
  g_assert_cmpstr (l1, ==, "fixed8");
  g_assert_cmpuint (bs_config_summary ("v1;L0:w=posit8_1,a=fp16,acc=quire,s=none;"
                                       "L1:w=fp32,a=fp32,acc=fp32,s=none", &l2),
                    ==, BS_FAMILY_POSIT);
  g_assert_cmpstr (l2, ==, "w posit8_1, fp32 · a fp16, fp32");
  /* one layer each of two families: mixed */
  g_assert_cmpuint (bs_config_summary ("v1;L0:w=int8,a=int8,acc=int32,s=none;"
                                       "L1:w=log8,a=log8,acc=elma,s=none", &l3),
                    ==, BS_PLOT_FAMILY_MIXED);
  /* fp32 everywhere: float */
  g_assert_cmpuint (bs_config_summary ("v1;L0:w=fp32,a=fp32,acc=fp32,s=none", &l4), ==, BS_FAMILY_FLOAT);
  g_assert_cmpuint (bs_config_summary ("not a configuration", &l5), ==, BS_PLOT_FAMILY_OTHER);
  g_assert_cmpstr (l5, ==, "not a configuration");
}

static void
test_units (void)
{
  struct { double pj; const char *text; } cases[] = {
    { 0.5, "500 fJ" }, { 1, "1 pJ" }, { 999, "999 pJ" }, { 1000, "1 nJ" }, { 12345, "12.3 nJ" },
    { 2.5e6, "2.5 µJ" }, { 1e9, "1 mJ" }, { 3e12, "3 J" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *t = bs_units_format_energy (cases[i].pj);

      g_assert_cmpstr (t, ==, cases[i].text);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/axis/linear", test_axis_linear);
  g_test_add_func ("/ui/axis/log", test_axis_log);
  g_test_add_func ("/ui/axis/zoom-keeps-anchor", test_axis_zoom_anchor);
  g_test_add_func ("/ui/axis/ticks", test_axis_ticks);
  g_test_add_func ("/ui/series/front-incremental", test_series_front);
  g_test_add_func ("/ui/series/skips-unplottable", test_series_skips_unplottable);
  g_test_add_func ("/ui/series/list-model", test_series_model);
  g_test_add_func ("/ui/chart/render-pixels", test_chart_render_pixels);
  g_test_add_func ("/ui/chart/legend-outside", test_chart_legend_outside);
  g_test_add_func ("/ui/chart/hit-test-nearest", test_chart_hit_test);
  g_test_add_func ("/ui/chart/zoom-keeps-point", test_chart_zoom_fixed);
  g_test_add_func ("/ui/chart/pan", test_chart_pan);
  g_test_add_func ("/ui/chart/streaming", test_chart_streaming);
  g_test_add_func ("/ui/chart/render-100k", test_chart_render_100k);
  g_test_add_func ("/ui/chart/own-marker", test_chart_own_marker);
  g_test_add_data_func ("/ui/chart/export/png", GINT_TO_POINTER (BS_EXPORT_PNG), test_chart_export);
  g_test_add_data_func ("/ui/chart/export/svg", GINT_TO_POINTER (BS_EXPORT_SVG), test_chart_export);
  g_test_add_data_func ("/ui/chart/export/pdf", GINT_TO_POINTER (BS_EXPORT_PDF), test_chart_export);
  g_test_add_func ("/ui/export/format-for-path", test_export_format_for_path);
  g_test_add_func ("/ui/config-summary", test_config_summary);
  g_test_add_func ("/ui/units/energy", test_units);

  return g_test_run ();
}
