/* The application window on a project made by the test: sweeps listed, the
 * ticked ones plotted, a point's details, errors shown in the window, export,
 * the format comparison.  Needs a display (run under xvfb-run). */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-store.h"
#include "bs-ui.h"
#include "bs-window-private.h"

typedef struct {
  char *dir;
  char *path;
} Fixture;

static BsStoreMetrics
metrics (double top1, double energy)
{
  BsStoreMetrics m = {
    .top1 = top1, .top5 = top1 + 3, .energy_pj = energy, .compute_pj = energy / 4,
    .memory_pj = energy * 3 / 4, .area_um2 = NAN, .luts = NAN, .ffs = NAN, .dsps = NAN,
    .brams = NAN, .mean_weight_bits = 8, .mean_input_bits = 8, .weight_sparsity = 0.1,
    .input_sparsity = 0.4, .images = 1000, .path = "fake-quant",
  };
  return m;
}

static void
add (BsStore *store, gint64 sweep, const char *w, double top1, double energy)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *canon = g_strdup_printf ("v1;L0:w=%s,a=%s,acc=exact,s=layer-pow2;"
                                            "L1:w=%s,a=%s,acc=exact,s=layer-pow2", w, w, w, w);
  BsStoreLayer layers[2] = { { w, w, "exact", "layer-pow2" }, { w, w, "exact", "layer-pow2" } };
  BsStoreMetrics m = metrics (top1, energy);

  g_assert_cmpint (bs_store_add_result (store, sweep, canon, g_str_hash (canon), layers, 2, &m, &error), >, 0);
  g_assert_no_error (error);
}

static gint64
sweep (BsStore *store, const char *strategy)
{
  g_autoptr (GError) error = NULL;
  gint64 m = bs_store_ensure_model (store, "tiny-cnn", "m1", NULL, &error);
  gint64 d = bs_store_ensure_dataset (store, "fashion-mnist", "d1", NULL, &error);
  gint64 t = bs_store_ensure_target (store, "asic-45nm", "t1", NULL, &error);
  gint64 s = bs_store_begin_sweep (store, m, d, t, strategy, "{}", NULL, &error);

  g_assert_no_error (error);
  return s;
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = NULL;
  gint64 s1, s2;

  fx->dir = g_dir_make_tmp ("bs-ui-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "test.bitscape", NULL);
  store = bs_store_open (fx->path, &error);
  g_assert_no_error (error);
  s1 = sweep (store, "grid");
  add (store, s1, "fixed8", 88.0, 2e5);
  add (store, s1, "fixed4", 61.0, 6e4);
  add (store, s1, "posit8_1", 89.5, 2.4e5);
  s2 = sweep (store, "ladder");
  add (store, s2, "fp8_e4m3", 89.0, 1.8e5);
  add (store, s2, "int4", 70.0, 5e4);
  sweep (store, "empty");
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_autoptr (GDir) d = g_dir_open (fx->dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (fx->dir, name, NULL);

      g_unlink (p);
    }
  g_rmdir (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

/* Run the main loop until cond(data) holds (at most 20 s). */
static void
wait_for (gboolean (*cond) (gpointer), gpointer data)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!cond (data) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (cond (data));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
window_idle (gpointer data)
{
  return !bs_window_is_busy (data);
}

static gboolean
compare_idle (gpointer data)
{
  return !bs_format_compare_is_busy (data);
}

static BsWindow *
open_window (const char *path)
{
  BsWindow *win = bs_window_new (NULL);

  gtk_window_set_default_size (GTK_WINDOW (win), 1100, 700);
  gtk_window_present (GTK_WINDOW (win));
  bs_window_open_path (win, path);
  wait_for (window_idle, win);
  return win;
}

static guint
count_rows (GtkListBox *list)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (list)); c; c = gtk_widget_get_next_sibling (c))
    n++;
  return n;
}

static void
test_window_lists_sweeps (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx->path);
  GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (win->sweep_list));
  const char *expect[] = { "Sweep 3 · empty", "Sweep 2 · ladder", "Sweep 1 · grid" };

  g_assert_cmpstr (gtk_stack_get_visible_child_name (win->sidebar_stack), ==, "sweeps");
  g_assert_cmpuint (count_rows (win->sweep_list), ==, 3);
  for (guint i = 0; i < 3; i++, row = gtk_widget_get_next_sibling (row))
    g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, expect[i]);

  /* the two sweeps with results are ticked and plotted */
  {
    BsParetoChart *chart = bs_pareto_plot_get_chart (win->plot);
    guint total = 0;

    g_assert_cmpuint (bs_pareto_chart_get_n_series (chart), ==, 2);
    for (guint i = 0; i < 2; i++)
      total += bs_plot_series_get_n_points (bs_pareto_chart_get_series (chart, i));
    g_assert_cmpuint (total, ==, 5);
  }
  g_assert_cmpstr (gtk_stack_get_visible_child_name (win->pareto_stack), ==, "plot");
  g_assert_cmpstr (bs_window_get_path (win), ==, fx->path);
  gtk_window_destroy (GTK_WINDOW (win));
}

static void
test_window_untick_hides (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx->path);
  GtkWidget *row = gtk_widget_get_next_sibling (gtk_widget_get_first_child (GTK_WIDGET (win->sweep_list)));
  GtkCheckButton *check = g_object_get_data (G_OBJECT (row), "bs-check");
  BsParetoChart *chart = bs_pareto_plot_get_chart (win->plot);

  g_assert_true (gtk_check_button_get_active (check));
  gtk_check_button_set_active (check, FALSE);
  g_assert_cmpuint (bs_pareto_chart_get_n_series (chart), ==, 1);
  gtk_check_button_set_active (check, TRUE);
  wait_for (window_idle, win);
  g_assert_cmpuint (bs_pareto_chart_get_n_series (chart), ==, 2);
  gtk_window_destroy (GTK_WINDOW (win));
}

static gboolean
details_shown (gpointer data)
{
  return gtk_revealer_get_reveal_child (((BsWindow *) data)->details_revealer);
}

static void
test_window_point_details (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx->path);
  BsParetoChart *chart = bs_pareto_plot_get_chart (win->plot);
  BsPlotSeries *series = bs_pareto_chart_get_series (chart, 0);

  g_signal_emit_by_name (win->plot, "point-selected", series, 0);
  wait_for (details_shown, win);
  /* no model is open: the stored figures show */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (win->inspector_stack), ==, "summary");
  /* a click on empty space keeps them */
  g_signal_emit_by_name (win->plot, "point-selected", NULL, G_MAXUINT);
  g_assert_true (gtk_revealer_get_reveal_child (win->details_revealer));
  gtk_window_destroy (GTK_WINDOW (win));
}

static gboolean
plot_sized (gpointer data)
{
  return gtk_widget_get_width (GTK_WIDGET (((BsWindow *) data)->plot)) > 100;
}

static void
test_window_plot_renders (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx->path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) png = NULL;
  cairo_surface_t *img;
  cairo_t *cr;
  guint coloured = 0;

  wait_for (plot_sized, win);
  img = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 600, 400);
  cr = cairo_create (img);
  bs_pareto_plot_render (win->plot, cr, 600, 400);
  cairo_destroy (cr);
  cairo_surface_flush (img);
  /* points are coloured: some pixels far from grey */
  for (int y = 0; y < 400; y++)
    for (int x = 0; x < 600; x++)
      {
        guint32 p = ((guint32 *) (cairo_image_surface_get_data (img) + y * cairo_image_surface_get_stride (img)))[x];
        int r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;

        coloured += MAX (MAX (r, g), b) - MIN (MIN (r, g), b) > 80;
      }
  cairo_surface_destroy (img);
  g_assert_cmpuint (coloured, >, 50);

  png = bs_pareto_plot_export (win->plot, BS_EXPORT_PNG, 800, 500, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (png, NULL), 4, "\x89PNG", 4);
  gtk_window_destroy (GTK_WINDOW (win));
}

static void
test_window_error_names_file (Fixture *fx, gconstpointer data)
{
  g_autofree char *bad = g_build_filename (fx->dir, "not-a-project.bitscape", NULL);
  BsWindow *win;

  g_assert_true (g_file_set_contents (bad, "this is not an SQLite database, not at all.\n", -1, NULL));
  win = open_window (bad);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (win->pareto_stack), ==, "error");
  g_assert_nonnull (strstr (adw_status_page_get_description (win->error_page), bad));
  gtk_window_destroy (GTK_WINDOW (win));
}

static void
test_window_remembers_recent (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx->path);
  g_auto (GStrv) recent = g_settings_get_strv (win->settings, "recent-projects");

  g_assert_nonnull (recent[0]);
  g_assert_cmpstr (recent[0], ==, fx->path);
  g_assert_cmpint (g_menu_model_get_n_items (G_MENU_MODEL (win->recent_menu)), >=, 1);
  gtk_window_destroy (GTK_WINDOW (win));
}

static guint
coloured_pixels (BsFormatCompare *compare, int w, int h)
{
  cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create (img);
  guint n = 0;

  bs_format_compare_render (compare, cr, w, h);
  cairo_destroy (cr);
  cairo_surface_flush (img);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint32 p = ((guint32 *) (cairo_image_surface_get_data (img) + y * cairo_image_surface_get_stride (img)))[x];
        int r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;

        n += MAX (MAX (r, g), b) - MIN (MIN (r, g), b) > 80;
      }
  cairo_surface_destroy (img);
  return n;
}

static void
test_format_compare (void)
{
  GtkWidget *win = gtk_window_new ();
  BsFormatCompare *compare = BS_FORMAT_COMPARE (bs_format_compare_new ());
  const char *const names[] = { "fp8_e4m3", "int8", "no_such_format", "kmeans16", NULL };
  float tensor[4096];
  guint without, with;

  gtk_window_set_child (GTK_WINDOW (win), GTK_WIDGET (compare));
  gtk_window_present (GTK_WINDOW (win));
  bs_format_compare_set_formats (compare, names);
  /* unknown names and formats without fixed values are left out */
  g_assert_cmpuint (bs_format_compare_get_n_formats (compare), ==, 2);
  wait_for (compare_idle, compare);
  without = coloured_pixels (compare, 900, 700);
  g_assert_cmpuint (without, >, 200);

  for (guint i = 0; i < G_N_ELEMENTS (tensor); i++)
    tensor[i] = (float) (sin (i * 0.37) * exp ((double) (i % 97) / 20 - 3));
  bs_format_compare_set_tensor (compare, "sine", tensor, G_N_ELEMENTS (tensor));
  wait_for (compare_idle, compare);
  with = coloured_pixels (compare, 900, 700);
  /* the histogram adds coloured bars */
  g_assert_cmpuint (with, >, without + 200);

  {
    g_autoptr (GBytes) svg = bs_format_compare_export (compare, BS_EXPORT_SVG, 800, 600, NULL);

    g_assert_nonnull (g_strstr_len (g_bytes_get_data (svg, NULL), g_bytes_get_size (svg), "<svg"));
  }
  gtk_window_destroy (GTK_WINDOW (win));
}

int
main (int argc, char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  bs_ui_init ();

  g_test_add ("/ui/window/lists-sweeps", Fixture, NULL, fixture_setup, test_window_lists_sweeps, fixture_teardown);
  g_test_add ("/ui/window/untick-hides", Fixture, NULL, fixture_setup, test_window_untick_hides, fixture_teardown);
  g_test_add ("/ui/window/point-details", Fixture, NULL, fixture_setup, test_window_point_details, fixture_teardown);
  g_test_add ("/ui/window/plot-renders", Fixture, NULL, fixture_setup, test_window_plot_renders, fixture_teardown);
  g_test_add ("/ui/window/error-names-file", Fixture, NULL, fixture_setup, test_window_error_names_file, fixture_teardown);
  g_test_add ("/ui/window/remembers-recent", Fixture, NULL, fixture_setup, test_window_remembers_recent, fixture_teardown);
  g_test_add_func ("/ui/format-compare/render", test_format_compare);

  return g_test_run ();
}
