/* The application window on a project made by the test: sweeps listed, the
 * ticked ones plotted, a point's details, errors shown in the window, export,
 * the format comparison.  Needs a display (run under xvfb-run). */
#include "config.h"

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
  /* the sidebar does not invite sweeps into it, nor does the window */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (win->sidebar_stack), ==, "no-project");
  g_assert_true (win->project_failed);
  {
    g_auto (GStrv) recent = g_settings_get_strv (win->settings, "recent-projects");

    g_assert_false (g_strv_contains ((const char *const *) recent, bad));
  }
  gtk_window_destroy (GTK_WINDOW (win));
}

/* The recent-projects menu's targets, in order. */
static GStrv
recent_targets (BsWindow *win, GStrv *labels)
{
  GMenuModel *menu = G_MENU_MODEL (win->recent_menu);
  g_autoptr (GStrvBuilder) t = g_strv_builder_new ();
  g_autoptr (GStrvBuilder) l = g_strv_builder_new ();

  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr (GVariant) target = g_menu_model_get_item_attribute_value (menu, i, G_MENU_ATTRIBUTE_TARGET,
                                                                           G_VARIANT_TYPE_STRING);
      g_autofree char *label = NULL;

      g_assert_true (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &label));
      g_strv_builder_add (t, g_variant_get_string (target, NULL));
      g_strv_builder_add (l, label);
    }
  if (labels)
    *labels = g_strv_builder_end (l);
  return g_strv_builder_end (t);
}

static void
test_window_remembers_recent (Fixture *fx, gconstpointer data)
{
  g_autofree char *sub = g_build_filename (fx->dir, "other", NULL);
  g_autofree char *twin = g_build_filename (sub, "test.bitscape", NULL);
  g_autofree char *gone = g_build_filename (fx->dir, "gone.bitscape", NULL);
  g_auto (GStrv) recent = NULL, targets = NULL, labels = NULL;
  BsWindow *win;

  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  win = open_window (gone);
  gtk_window_destroy (GTK_WINDOW (win));
  g_assert_cmpint (g_unlink (gone), ==, 0);   /* the project went away since */
  win = open_window (twin);
  gtk_window_destroy (GTK_WINDOW (win));
  win = open_window (fx->path);
  recent = g_settings_get_strv (win->settings, "recent-projects");
  g_assert_cmpstr (recent[0], ==, fx->path);
  g_assert_cmpstr (recent[1], ==, twin);
  g_assert_cmpstr (recent[2], ==, gone);
  gtk_window_destroy (GTK_WINDOW (win));

  /* a new window (as after a restart: the settings keep them) offers the
   * projects that are still there; two of one name say their folders */
  win = bs_window_new (NULL);
  targets = recent_targets (win, &labels);
  g_assert_cmpstr (targets[0], ==, fx->path);
  g_assert_cmpstr (targets[1], ==, twin);
  g_assert_false (g_strv_contains ((const char *const *) targets, gone));
  g_assert_nonnull (strstr (labels[0], fx->dir));
  g_assert_nonnull (strstr (labels[1], sub));
  g_assert_true (g_str_has_prefix (labels[0], "test.bitscape"));
  gtk_window_destroy (GTK_WINDOW (win));
  g_unlink (twin);
  g_rmdir (sub);
  {
    g_autoptr (GSettings) settings = g_settings_new ("org.bitscape.Bitscape");

    g_settings_reset (settings, "recent-projects");
  }
}

/* The file a plot export writes: a name without a suffix takes the chosen
 * file type's, and so does the suggested name left untouched. */
static void
test_export_path_for (void)
{
  static const struct { const char *path, *suggested, *suffix, *want; } cases[] = {
    { "/d/pareto-front.png", "pareto-front.png", ".svg", "/d/pareto-front.svg" },
    { "/d/pareto-front.png", "pareto-front.png", ".png", "/d/pareto-front.png" },
    { "/d/plot", "pareto-front.png", ".pdf", "/d/plot.pdf" },
    { "/d/plot.PDF", "pareto-front.png", ".svg", "/d/plot.PDF" },     /* typed: kept */
    { "/d/my.plot.png", "pareto-front.png", ".svg", "/d/my.plot.png" },
    { "/d/plot", "pareto-front.png", NULL, "/d/plot" },               /* no type chosen */
    { "/d/v1.2", "pareto-front.png", ".png", "/d/v1.2.png" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = _bs_export_path_for (cases[i].path, cases[i].suggested, cases[i].suffix);

      g_assert_cmpstr (got, ==, cases[i].want);
    }
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

static void
remove_tree (GFile *dir)
{
  g_autoptr (GFileEnumerator) e = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME, 0, NULL, NULL);
  GFileInfo *info;
  GFile *child;

  while (e && g_file_enumerator_iterate (e, &info, &child, NULL, NULL) && info)
    remove_tree (child);
  g_file_delete (dir, NULL, NULL);
}

/* An idx file (MNIST layout): magic, big-endian sizes, then bytes. */
static void
write_idx (const char *dir, const char *name, guint8 ndim, const guint32 *dims, GRand *rand)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint8 magic[4] = { 0, 0, 0x08, ndim };
  gsize n = 1;

  g_byte_array_append (b, magic, 4);
  for (guint8 i = 0; i < ndim; i++)
    {
      guint32 be = GUINT32_TO_BE (dims[i]);

      g_byte_array_append (b, (const guint8 *) &be, 4);
      n *= dims[i];
    }
  for (gsize i = 0; i < n; i++)
    {
      guint8 v = (guint8) (ndim == 1 ? g_rand_int_range (rand, 0, 10) : g_rand_int_range (rand, 0, 256));

      g_byte_array_append (b, &v, 1);
    }
  g_assert_true (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
}

static gboolean
fp32_shown (gpointer data)
{
  BsWindow *win = data;

  return win->evaluation != NULL && bs_layer_table_get_n_layers (win->layer_table) > 0;
}

/* With nothing configured but a small dataset (the start is the same on
 * Fashion-MNIST, only slower), the window opens the default project in the
 * user's data folder on the bundled fmnist-cnn, lists the CNN's four compute
 * layers, evaluates fp32 and puts it on the plot, and queues the first
 * sweeps; closing it cancels that work. */
static void
test_window_opens_bundled_model (Fixture *fx, gconstpointer data)
{
  static const char *const layers[] = { "conv1", "conv2", "fc1", "fc_out" };
  static const guint32 train[] = { 64, 28, 28 }, test[] = { 64, 28, 28 }, ntrain[] = { 64 }, ntest[] = { 64 };
  g_autofree char *db = g_build_filename (g_get_user_data_dir (), "bitscape", "default.bitscape", NULL);
  g_autofree char *model = g_build_filename (BS_SOURCE_DATADIR, "models", "fmnist-cnn.onnx", NULL);
  g_autofree char *images = g_build_filename (fx->dir, "images", NULL);
  g_autoptr (GSettings) settings = g_settings_new ("org.bitscape.Bitscape");
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  gint64 deadline;
  BsParetoChart *chart;
  BsPlotSeries *series;
  guint index;
  BsWindow *win;

  if (!g_file_test (model, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the bundled model is missing");
      return;
    }
  g_assert_cmpint (g_mkdir (images, 0700), ==, 0);
  write_idx (images, "train-images-idx3-ubyte", 3, train, rand);
  write_idx (images, "train-labels-idx1-ubyte", 1, ntrain, rand);
  write_idx (images, "t10k-images-idx3-ubyte", 3, test, rand);
  write_idx (images, "t10k-labels-idx1-ubyte", 1, ntest, rand);
  g_settings_set_string (settings, "dataset", images);

  win = bs_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (win), 1100, 700);
  gtk_window_present (GTK_WINDOW (win));
  bs_window_open_default (win);
  g_assert_cmpstr (bs_window_get_path (win), ==, db);
  g_assert_cmpstr (adw_action_row_get_subtitle (win->project_row), ==, "default.bitscape");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (win->project_row)), ==, db);
  g_assert_cmpstr (adw_action_row_get_subtitle (win->model_row), ==, "fmnist-cnn.onnx");
  g_assert_cmpstr (adw_action_row_get_subtitle (win->dataset_row), ==, "images");

  wait_for (fp32_shown, win);
  g_assert_cmpuint (bs_layer_table_get_n_layers (win->layer_table), ==, G_N_ELEMENTS (layers));
  for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
    g_assert_cmpstr (bs_layer_table_get_text (win->layer_table, i, BS_LAYER_COLUMN_NAME), ==, layers[i]);
  g_assert_cmpstr (bs_layer_table_get_text (win->layer_table, 0, BS_LAYER_COLUMN_TYPE), ==, "Conv");
  g_assert_cmpstr (bs_layer_table_get_text (win->layer_table, 2, BS_LAYER_COLUMN_WEIGHT), ==, "fp32");
  g_assert_cmpint (win->evaluation->images, ==, 64);
  /* fp32 is the selected point */
  chart = bs_pareto_plot_get_chart (win->plot);
  g_assert_true (bs_pareto_chart_get_selected (chart, &series, &index));
  g_assert_cmpfloat (bs_plot_series_get_y (series)[index], ==, win->evaluation->metrics.top1);
  /* the quick first sweep and the full one */
  g_assert_true (win->sweep != NULL || !g_queue_is_empty (win->sweep_queue));
  g_assert_true (g_file_test (db, G_FILE_TEST_EXISTS));

  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  /* every task in flight holds the window: it goes once they have all
   * wound down */
  g_object_add_weak_pointer (G_OBJECT (win), (gpointer *) &win);
  gtk_window_destroy (GTK_WINDOW (win));
  while (win && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (win);
  g_settings_reset (settings, "dataset");
  {
    g_autoptr (GFile) dir = g_file_new_for_path (images);

    remove_tree (dir);
  }
}

int
main (int argc, char *argv[])
{
  g_autofree char *data_home = g_dir_make_tmp ("bs-ui-data-XXXXXX", NULL);
  int status;

  /* the default project goes to the user's data folder: a scratch one */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
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
  g_test_add_func ("/ui/window/export-path", test_export_path_for);
  g_test_add ("/ui/window/opens-bundled-model", Fixture, NULL, fixture_setup, test_window_opens_bundled_model,
              fixture_teardown);

  status = g_test_run ();
  {
    g_autoptr (GFile) dir = g_file_new_for_path (data_home);

    remove_tree (dir);
  }
  return status;
}
