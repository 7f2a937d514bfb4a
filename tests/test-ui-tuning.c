/* The window on a model (a three-layer network and data set written here):
 * it opens on the fp32 configuration; editing a layer's format in the table
 * moves the selected point to what bs_project_evaluate gives for the edited
 * configuration; undo and redo; the selected configuration exported as XML
 * reads back with bs_xml_read, and an imported one becomes the selected
 * one; a sweep started from the dialog streams into the plot; the energy
 * breakdown draws its bars and explains them.  Needs a display. */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-energy-chart-private.h"
#include "bs-onnx.h"
#include "bs-sweep-dialog.h"
#include "bs-ui.h"
#include "bs-window-private.h"
#include "bs-xml.h"

enum { IN = 16, H1 = 12, H2 = 10, OUT = 4, N_TEST = 200, N_TRAIN = 200 };

typedef struct {
  char *dir, *model, *dataset, *db;
  float w1[H1 * IN];
  float *test_px;     /* N_TEST × IN test pixels, as written */
} Fixture;

/* Files ---------------------------------------------------------------------- */

static float
unit (guint64 *s)
{
  guint64 z = (*s += 0x9e3779b97f4a7c15u);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return (float) ((z ^ (z >> 31)) >> 40) / (float) (1u << 24);
}

static void
add_init (bs_graph *g, const char *name, const float *v, int ndim, const int64_t *dims)
{
  bs_tensor t = { 0 };
  char err[256];

  g_assert_cmpint (bs_tensor_init_f32 (&t, ndim, dims, err, sizeof err), ==, 0);
  memcpy ((float *) bs_tensor_f32 (&t), v, (size_t) bs_tensor_numel (&t) * sizeof (float));
  g_assert_cmpint (bs_graph_add_initializer (g, name, &t, err, sizeof err), >=, 0);
}

static void
add_node (bs_graph *g, const char *op, const char *name, int n_in, const char **in,
          const char *out, gboolean trans_b)
{
  bs_attr tb = { .name = (char *) "transB", .type = BS_ATTR_INT, .i = 1 };
  char err[256];

  g_assert_cmpint (bs_graph_add_node (g, op, name, n_in, in, 1, (const char *[]) { out },
                                      trans_b ? 1 : 0, trans_b ? &tb : NULL, err, sizeof err), >=, 0);
}

/* Flatten → fc1 16→12 → Relu → fc2 12→10 → Relu → fc3 10→4, random weights;
 * the labels are the float network's own answers. */
static void
write_model (const char *path, float *w1, float *w2, float *w3)
{
  bs_graph *g = bs_graph_new (13);
  int64_t in_dims[4] = { -1, 1, 4, 4 }, d1[2] = { H1, IN }, d2[2] = { H2, H1 }, d3[2] = { OUT, H2 };
  int64_t b1d[1] = { H1 }, b2d[1] = { H2 }, b3d[1] = { OUT };
  float b1[H1] = { 0 }, b2[H2] = { 0 }, b3[OUT] = { 0 };
  bs_shape shape = bs_shape_make (4, in_dims);
  char err[256];

  g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &shape, err, sizeof err), >=, 0);
  add_init (g, "w1", w1, 2, d1);
  add_init (g, "b1", b1, 1, b1d);
  add_init (g, "w2", w2, 2, d2);
  add_init (g, "b2", b2, 1, b2d);
  add_init (g, "w3", w3, 2, d3);
  add_init (g, "b3", b3, 1, b3d);
  add_node (g, "Flatten", "flat", 1, (const char *[]) { "x" }, "f", FALSE);
  add_node (g, "Gemm", "fc1", 3, (const char *[]) { "f", "w1", "b1" }, "h1", TRUE);
  add_node (g, "Relu", "relu1", 1, (const char *[]) { "h1" }, "r1", FALSE);
  add_node (g, "Gemm", "fc2", 3, (const char *[]) { "r1", "w2", "b2" }, "h2", TRUE);
  add_node (g, "Relu", "relu2", 1, (const char *[]) { "h2" }, "r2", FALSE);
  add_node (g, "Gemm", "fc3", 3, (const char *[]) { "r2", "w3", "b3" }, "y", TRUE);
  g_assert_cmpint (bs_graph_add_output (g, "y", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_onnx_save (g, path, err, sizeof err), ==, 0);
  bs_graph_free (g);
}

static int
classify (const float *w1, const float *w2, const float *w3, const float *x)
{
  float h1[H1], h2[H2];
  int best = 0;
  float y[OUT];

  for (int i = 0; i < H1; i++)
    {
      float s = 0;
      for (int k = 0; k < IN; k++)
        s += w1[i * IN + k] * x[k];
      h1[i] = s > 0 ? s : 0;
    }
  for (int i = 0; i < H2; i++)
    {
      float s = 0;
      for (int k = 0; k < H1; k++)
        s += w2[i * H1 + k] * h1[k];
      h2[i] = s > 0 ? s : 0;
    }
  for (int i = 0; i < OUT; i++)
    {
      y[i] = 0;
      for (int k = 0; k < H2; k++)
        y[i] += w3[i * H2 + k] * h2[k];
      if (y[i] > y[best])
        best = i;
    }
  return best;
}

static void
write_npy (const char *path, const char *descr, const char *shape, const void *data, gsize len)
{
  g_autofree char *dict = g_strdup_printf ("{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                                           descr, shape);
  g_autoptr (GByteArray) b = g_byte_array_new ();
  gsize hl = (10 + strlen (dict) + 1 + 63) / 64 * 64 - 10;
  guint8 head[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (guint8) hl, (guint8) (hl >> 8) };

  g_byte_array_append (b, head, sizeof head);
  g_byte_array_append (b, (const guint8 *) dict, (guint) strlen (dict));
  while (b->len < 10 + hl - 1)
    g_byte_array_append (b, (const guint8 *) " ", 1);
  g_byte_array_append (b, (const guint8 *) "\n", 1);
  g_byte_array_append (b, data, (guint) len);
  g_assert_true (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
}

/* Write n random images and the network's labels; the pixels are returned
 * (g_free). */
static float *
write_set (const char *dir, const char *prefix, int n, const float *w1, const float *w2,
           const float *w3, guint64 *seed)
{
  float *px = g_new (float, (gsize) n * IN);
  g_autofree gint32 *lab = g_new (gint32, (gsize) n);
  g_autofree char *ip = g_strdup_printf ("%s/%s-images.npy", dir, prefix);
  g_autofree char *lp = g_strdup_printf ("%s/%s-labels.npy", dir, prefix);
  g_autofree char *ishape = g_strdup_printf ("(%d, 1, 4, 4)", n);
  g_autofree char *lshape = g_strdup_printf ("(%d,)", n);

  for (int i = 0; i < n * IN; i++)
    px[i] = unit (seed);
  for (int i = 0; i < n; i++)
    lab[i] = classify (w1, w2, w3, px + i * IN);
  write_npy (ip, "<f4", ishape, px, (gsize) n * IN * sizeof (float));
  write_npy (lp, "<i4", lshape, lab, (gsize) n * sizeof (gint32));
  return px;
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  float *w1 = fx->w1, w2[H2 * H1], w3[OUT * H2];
  guint64 seed = 20250301;

  fx->dir = g_dir_make_tmp ("bs-tuning-XXXXXX", &error);
  g_assert_no_error (error);
  fx->model = g_build_filename (fx->dir, "mlp.onnx", NULL);
  fx->db = g_build_filename (fx->dir, "p.bitscape", NULL);
  fx->dataset = g_strdup_printf ("%s/test-images.npy,%s/test-labels.npy,%s/train-images.npy,"
                                 "%s/train-labels.npy", fx->dir, fx->dir, fx->dir, fx->dir);
  for (int i = 0; i < H1 * IN; i++)
    w1[i] = (unit (&seed) - 0.5f) * 0.9f;
  for (int i = 0; i < H2 * H1; i++)
    w2[i] = (unit (&seed) - 0.5f) * 0.9f;
  for (int i = 0; i < OUT * H2; i++)
    w3[i] = (unit (&seed) - 0.5f) * 1.5f;
  write_model (fx->model, w1, w2, w3);
  fx->test_px = write_set (fx->dir, "test", N_TEST, w1, w2, w3, &seed);
  g_free (write_set (fx->dir, "train", N_TRAIN, w1, w2, w3, &seed));
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
  g_free (fx->model);
  g_free (fx->dataset);
  g_free (fx->db);
  g_free (fx->test_px);
}

/* Helpers -------------------------------------------------------------------- */

typedef gboolean (*Cond) (BsWindow *win, gconstpointer data);

/* Run the main loop until cond holds (at most 60 s). */
static void
wait_for (BsWindow *win, Cond cond, gconstpointer data)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!cond (win, data) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (cond (win, data));
}

/* The selected configuration evaluated, with energy, and it is canon. */
static gboolean
evaluated (BsWindow *win, gconstpointer canon)
{
  return win->evaluation && win->evaluation->energy && win->target &&
         (!canon || g_strcmp0 (win->evaluation->canonical, canon) == 0) &&
         bs_plot_series_get_n_points (win->tuning) == 1;
}

/* Close the window and wait for the work it cancels to wind down. */
static void
close_window (BsWindow *win)
{
  g_autoptr (BsSession) session = g_object_ref (win->session);

  gtk_window_destroy (GTK_WINDOW (win));
  while (bs_session_is_busy (session))
    g_main_context_iteration (NULL, TRUE);
}

static BsWindow *
open_window (Fixture *fx)
{
  BsWindow *win = bs_window_new (NULL);

  gtk_window_set_default_size (GTK_WINDOW (win), 1100, 760);
  gtk_window_present (GTK_WINDOW (win));
  bs_window_open_path (win, fx->db);
  bs_window_open_model (win, fx->model, fx->dataset);
  wait_for (win, evaluated, NULL);
  return win;
}

/* The fixture's metrics of cfg on asic-45nm, from a project of its own. */
static bs_metrics
reference (Fixture *fx, const bs_config *cfg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsProject) p = bs_project_open (fx->model, fx->dataset, NULL, &error);
  char err[512];
  bs_target *t = bs_target_load ("asic-45nm", err, sizeof err);
  bs_metrics m;

  g_assert_no_error (error);
  g_assert_nonnull (t);
  g_assert_true (bs_project_evaluate (p, cfg, t, &m, NULL, NULL, &error));
  g_assert_no_error (error);
  bs_target_free (t);
  return m;
}

static void
assert_point (BsWindow *win, const bs_metrics *m)
{
  g_assert_cmpuint (bs_plot_series_get_n_points (win->tuning), ==, 1);
  g_assert_cmpfloat (bs_plot_series_get_y (win->tuning)[0], ==, m->top1);
  g_assert_cmpfloat (bs_plot_series_get_x (win->tuning)[0], ==, m->energy_pj);
}

static void
collect_drops (GtkWidget *w, GPtrArray *out)
{
  if (GTK_IS_DROP_DOWN (w))
    g_ptr_array_add (out, w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    collect_drops (c, out);
}

/* The drop down the table shows for a layer's column. */
static GtkDropDown *
find_drop (BsWindow *win, guint layer, guint column)
{
  g_autoptr (GPtrArray) drops = g_ptr_array_new ();

  collect_drops (GTK_WIDGET (win->layer_table), drops);
  for (guint i = 0; i < drops->len; i++)
    {
      GObject *d = drops->pdata[i];

      if (GPOINTER_TO_UINT (g_object_get_data (d, "bs-column")) == column &&
          GPOINTER_TO_UINT (g_object_get_data (d, "bs-layer")) == layer + 1)
        return GTK_DROP_DOWN (d);
    }
  return NULL;
}

static gboolean
table_shown (BsWindow *win, gconstpointer data)
{
  return find_drop (win, 1, BS_LAYER_COLUMN_WEIGHT) != NULL;
}

/* Choose value in a drop down as a user would. */
static void
choose (GtkDropDown *drop, const char *value)
{
  GListModel *model = gtk_drop_down_get_model (drop);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (GtkStringObject) item = g_list_model_get_item (model, i);

      if (g_str_equal (gtk_string_object_get_string (item), value))
        {
          gtk_drop_down_set_selected (drop, i);
          return;
        }
    }
  g_assert_not_reached ();
}

static bs_config *
fp32_with (int layer, const char *weight)
{
  bs_config *cfg = bs_config_new (3);
  bs_layer_config lc = BS_LAYER_CONFIG_FP32;
  char err[256];

  g_strlcpy (lc.weight, weight, sizeof lc.weight);
  lc.scaling = BS_SCALING_AUTO;
  g_assert_cmpint (bs_config_set_layer (cfg, layer, &lc, err, sizeof err), ==, 0);
  return cfg;
}

/* Tests ---------------------------------------------------------------------- */

static void
test_opens_model (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx);
  bs_config *fp32 = bs_config_new (3);
  g_autofree char *canon = bs_config_to_string (fp32);
  bs_metrics m = reference (fx, fp32);

  g_assert_cmpstr (win->evaluation->canonical, ==, canon);
  g_assert_cmpuint (bs_layer_table_get_n_layers (win->layer_table), ==, 3);
  g_assert_cmpstr (bs_layer_table_get_text (win->layer_table, 0, BS_LAYER_COLUMN_NAME), ==, "fc1");
  g_assert_cmpstr (bs_layer_table_get_text (win->layer_table, 2, BS_LAYER_COLUMN_TYPE), ==, "Gemm");
  g_assert_cmpstr (bs_layer_table_get_text (win->layer_table, 1, BS_LAYER_COLUMN_WEIGHT), ==, "fp32");
  g_assert_cmpstr (bs_layer_table_get_text (win->layer_table, 0, BS_LAYER_COLUMN_MACS), ==, "192");
  assert_point (win, &m);
  g_assert_true (gtk_revealer_get_reveal_child (win->details_revealer));
  g_assert_nonnull (bs_energy_chart_get_data (win->energy_chart));

  /* the format comparison starts on the largest layer's weights (fc1:
   * H1 × IN) and takes any layer's from its menu */
  {
    gsize n;

    g_assert_cmpstr (bs_format_compare_get_tensor (win->compare, &n), ==, "fc1 weights");
    g_assert_cmpuint (n, ==, H1 * IN);
    gtk_widget_activate_action (GTK_WIDGET (win), "win.compare-weights", "i", 2);
    g_assert_cmpstr (bs_format_compare_get_tensor (win->compare, &n), ==, "fc3 weights");
    g_assert_cmpuint (n, ==, OUT * H2);
  }
  bs_config_free (fp32);
  close_window (win);
}

static gboolean
compared_on (BsWindow *win, gconstpointer name)
{
  return !bs_format_compare_is_busy (win->compare) &&
         g_strcmp0 (bs_format_compare_get_tensor (win->compare, NULL), name) == 0;
}

/* SQNR in dB of x in format name at scale (0: max |x| to the format's
 * largest value), summed here from the engine's rounding. */
static double
sqnr_of (const char *name, const float *x, gsize n, double scale)
{
  g_autofree float *q = g_new (float, n);
  bs_qopts o = BS_QOPTS_INIT;
  bs_format f;
  double sig = 0, noise = 0, m = 0;

  g_assert_cmpint (bs_format_parse (name, &f, NULL, 0), ==, 0);
  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs (x[i]));
  o.scale = scale > 0 ? scale : m / f.max;
  g_assert_cmpint (bs_format_quantize (&f, x, q, n, &o, NULL, 0), ==, 0);
  for (gsize i = 0; i < n; i++)
    {
      sig += (double) x[i] * x[i];
      noise += ((double) x[i] - q[i]) * ((double) x[i] - q[i]);
    }
  return 10 * log10 (sig / noise);
}

/* A layer's input activations in the format comparison: the values the fp32
 * network feeds it over the test images, their histogram, and SQNR per
 * format as computed here from them. */
static void
test_compare_inputs (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx);
  const char *formats[] = { "fp16", "fp8_e4m3", "fp4_e2m1", NULL };
  GBytes *values;
  const float *v;
  gsize n;
  double unit[3], scaled[3];

  /* fc1 takes the (flattened) pixels, exactly */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.compare-inputs", "i", 0);
  g_assert_true (bs_format_compare_is_busy (win->compare));
  wait_for (win, compared_on, "fc1 inputs");
  values = bs_format_compare_get_values (win->compare);
  g_assert_cmpuint (g_bytes_get_size (values), ==, N_TEST * IN * sizeof (float));
  g_assert_cmpmem (g_bytes_get_data (values, NULL), g_bytes_get_size (values),
                   fx->test_px, N_TEST * IN * sizeof (float));

  /* fc2 takes Relu(fc1): N_TEST images (fewer than the 256 asked) × H1 */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.compare-inputs", "i", 1);
  wait_for (win, compared_on, "fc2 inputs");
  g_assert_cmpstr (bs_format_compare_get_tensor (win->compare, &n), ==, "fc2 inputs");
  g_assert_cmpuint (n, ==, N_TEST * H1);
  values = bs_format_compare_get_values (win->compare);
  v = g_bytes_get_data (values, NULL);
  {
    guint zeros = 0;

    for (int i = 0; i < N_TEST; i++)
      for (int j = 0; j < H1; j++)
        {
          double s = 0;

          for (int k = 0; k < IN; k++)
            s += (double) fx->w1[j * IN + k] * fx->test_px[i * IN + k];
          s = MAX (s, 0);
          zeros += s == 0;
          g_assert_cmpfloat_with_epsilon (v[i * H1 + j], s, 1e-5);
        }
    g_assert_cmpuint (zeros, >, 0);           /* Relu did cut some */
    g_assert_cmpuint (zeros, <, N_TEST * H1 / 2 + N_TEST * H1 / 4);
  }
  g_assert_cmpuint (bs_format_compare_get_histogram_total (win->compare), ==, n);

  /* SQNR per format on that tensor */
  bs_format_compare_set_formats (win->compare, formats);
  wait_for (win, compared_on, "fc2 inputs");
  for (int i = 0; formats[i]; i++)
    {
      g_assert_true (bs_format_compare_get_sqnr (win->compare, formats[i], &unit[i], &scaled[i]));
      g_assert_true (isfinite (unit[i]) && isfinite (scaled[i]));
      g_assert_cmpfloat_with_epsilon (unit[i], sqnr_of (formats[i], v, n, 1), 1e-9);
      g_assert_cmpfloat_with_epsilon (scaled[i], sqnr_of (formats[i], v, n, 0), 1e-9);
      g_test_message ("fc2 inputs in %s: %.2f dB at unit scale, %.2f dB scaled", formats[i], unit[i], scaled[i]);
    }
  g_assert_cmpfloat (unit[0], >, unit[1]);
  g_assert_cmpfloat (unit[1], >, unit[2]);
  g_assert_cmpfloat (scaled[0], >, scaled[1]);
  g_assert_cmpfloat (scaled[1], >, scaled[2]);
  /* fp16 rounds a normal value to within 2^-11 of it: at least 66 dB */
  g_assert_cmpfloat (unit[0], >=, 20 * log10 (2048));
  g_assert_false (bs_format_compare_get_sqnr (win->compare, "posit8_1", NULL, NULL));

  /* weights again: the tensor follows */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.compare-weights", "i", 2);
  g_assert_cmpstr (bs_format_compare_get_tensor (win->compare, &n), ==, "fc3 weights");
  g_assert_cmpuint (n, ==, OUT * H2);
  close_window (win);
}


static gboolean
model_failed (BsWindow *win, gconstpointer data)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (win->inspector_body), "model-error") == 0;
}

static guint
count_substr (const char *s, const char *sub)
{
  guint n = 0;

  for (const char *p = s; (p = strstr (p, sub)); p += strlen (sub))
    n++;
  return n;
}

/* A file that is not a model: the message sits where the layers would be,
 * naming the file once; the previous model's undo history and comparison
 * tensor are gone.  Opening the good model again with the session's own
 * dataset string (as the Open Model dialog does) works. */
static void
test_model_errors (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx);
  g_autofree char *broken = g_build_filename (fx->dir, "broken.onnx", NULL);
  bs_config *edited = fp32_with (0, "int8");
  bs_config *fp32 = bs_config_new (3);
  g_autofree char *edited_text = bs_config_to_string (edited);
  g_autofree char *fp32_text = bs_config_to_string (fp32);
  const char *desc;

  _bs_window_set_config (win, edited, TRUE);
  wait_for (win, evaluated, edited_text);
  g_assert_cmpuint (win->undo->len, ==, 1);
  g_assert_true (g_file_set_contents (broken, "\x0a\xff\xff\xff\xff\x0f not protobuf", -1, NULL));
  bs_window_open_model (win, broken, bs_session_get_dataset (win->session));
  wait_for (win, model_failed, NULL);
  desc = adw_status_page_get_description (win->model_error_page);
  g_assert_nonnull (desc);
  g_assert_cmpuint (count_substr (desc, broken), ==, 1);
  g_assert_cmpstr (gtk_label_get_label (win->config_title), ==, "broken.onnx");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (win->pareto_stack), ==, "plot");
  g_assert_cmpuint (win->undo->len, ==, 0);
  g_assert_null (bs_format_compare_get_tensor (win->compare, NULL));
  g_assert_cmpstr (bs_session_get_dataset (win->session), ==, fx->dataset);

  g_assert_cmpstr (adw_status_page_get_title (win->model_error_page), ==, "Could Not Open the Model");
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (win->model_error_button)), ==,
                   "win.open-model");

  /* a dataset that is not one: said so, with a way to another dataset */
  {
    g_autofree char *empty = g_build_filename (fx->dir, "no-images", NULL);

    g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
    bs_window_open_model (win, fx->model, empty);
    g_assert_cmpstr (gtk_stack_get_visible_child_name (win->inspector_body), ==, "inspector");
    wait_for (win, model_failed, NULL);
    g_assert_cmpstr (adw_status_page_get_title (win->model_error_page), ==, "Could Not Open the Dataset");
    g_assert_nonnull (strstr (adw_status_page_get_description (win->model_error_page), empty));
    g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (win->model_error_button)), ==,
                     "win.open-dataset");
    g_rmdir (empty);
  }

  bs_window_open_model (win, fx->model, fx->dataset);
  g_assert_cmpstr (bs_session_get_dataset (win->session), ==, fx->dataset);
  wait_for (win, evaluated, fp32_text);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (win->inspector_body), ==, "inspector");
  /* the model again, with the dataset string of the session dropped */
  bs_window_open_model (win, fx->model, bs_session_get_dataset (win->session));
  g_assert_cmpstr (bs_session_get_dataset (win->session), ==, fx->dataset);
  wait_for (win, evaluated, fp32_text);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (win->inspector_body), ==, "inspector");
  g_assert_cmpstr (bs_format_compare_get_tensor (win->compare, NULL), ==, "fc1 weights");
  bs_config_free (edited);
  bs_config_free (fp32);
  close_window (win);
}

static gboolean
reopened_with (BsWindow *win, gconstpointer threads)
{
  BsProject *p = win->session ? bs_session_get_project (win->session) : NULL;

  return p && bs_project_options (p)->threads == GPOINTER_TO_INT (threads) &&
         !bs_format_compare_is_busy (win->compare);
}

/* Changing the thread count opens the model again with it, keeping the
 * selected configuration, its undo history and the comparison's tensor. */
static void
test_threads_take_effect (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx);
  bs_config *edited = fp32_with (2, "int8");
  g_autofree char *edited_text = bs_config_to_string (edited);
  bs_metrics m = reference (fx, edited);

  _bs_window_set_config (win, edited, TRUE);
  wait_for (win, evaluated, edited_text);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.compare-inputs", "i", 2);
  wait_for (win, compared_on, "fc3 inputs");
  g_assert_cmpint (bs_project_options (bs_session_get_project (win->session))->threads, ==, 0);

  g_settings_set_int (win->settings, "threads", 1);
  wait_for (win, reopened_with, GINT_TO_POINTER (1));
  wait_for (win, evaluated, edited_text);
  assert_point (win, &m);
  g_assert_cmpuint (win->undo->len, ==, 1);
  g_assert_cmpstr (bs_format_compare_get_tensor (win->compare, NULL), ==, "fc3 inputs");
  g_settings_reset (win->settings, "threads");
  wait_for (win, reopened_with, GINT_TO_POINTER (0));
  wait_for (win, evaluated, edited_text);
  bs_config_free (edited);
  close_window (win);
}

static void
test_edit_moves_point (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx);
  bs_config *edited = fp32_with (1, "int4");
  bs_config *fp32 = bs_config_new (3);
  g_autofree char *edited_text = bs_config_to_string (edited);
  g_autofree char *fp32_text = bs_config_to_string (fp32);
  bs_metrics m_edit = reference (fx, edited), m_fp32 = reference (fx, fp32);

  /* the edit changes what the point says */
  g_assert_true (m_edit.top1 != m_fp32.top1 || m_edit.energy_pj != m_fp32.energy_pj);
  wait_for (win, table_shown, NULL);
  choose (find_drop (win, 1, BS_LAYER_COLUMN_WEIGHT), "int4");
  g_assert_cmpstr (bs_layer_table_get_text (win->layer_table, 1, BS_LAYER_COLUMN_WEIGHT), ==, "int4");
  wait_for (win, evaluated, edited_text);
  assert_point (win, &m_edit);
  /* the evaluator restarted at the edited layer */
  g_assert_cmpint (win->evaluation->eval->first_layer_run, ==, 1);

  gtk_widget_activate_action (GTK_WIDGET (win), "win.undo", NULL);
  wait_for (win, evaluated, fp32_text);
  assert_point (win, &m_fp32);
  g_assert_cmpstr (bs_layer_table_get_text (win->layer_table, 1, BS_LAYER_COLUMN_WEIGHT), ==, "fp32");

  gtk_widget_activate_action (GTK_WIDGET (win), "win.redo", NULL);
  wait_for (win, evaluated, edited_text);
  assert_point (win, &m_edit);
  bs_config_free (edited);
  bs_config_free (fp32);
  close_window (win);
}

/* bs_xml_write replaces the file atomically: once there, it is complete. */
static gboolean
file_written (BsWindow *win, gconstpointer path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
test_export_import (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx);
  g_autofree char *out = g_build_filename (fx->dir, "selected.xml", NULL);
  g_autofree char *in = g_build_filename (fx->dir, "import.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) docs = NULL;
  bs_config *imported = fp32_with (2, "fixed6");
  g_autofree char *imported_text = bs_config_to_string (imported);
  BsXmlConfig *x;

  bs_window_export_config (win, out);
  wait_for (win, file_written, out);
  docs = bs_xml_read (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (docs->len, ==, 1);
  x = docs->pdata[0];
  g_assert_cmpstr (x->canonical, ==, win->evaluation->canonical);
  g_assert_cmpuint (x->layers->len, ==, 3);
  g_assert_cmpstr (((BsXmlLayer *) x->layers->pdata[0])->name, ==, "fc1");
  g_assert_true (x->has_metrics);
  g_assert_cmpfloat (x->metrics.top1, ==, win->evaluation->metrics.top1);
  g_assert_cmpstr (x->target_name, ==, "asic-45nm");
  g_assert_nonnull (x->target_sha256);

  /* an XML configuration becomes the selected one */
  {
    g_autoptr (GPtrArray) w = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_xml_config_free);

    g_ptr_array_add (w, bs_project_config_to_xml (bs_session_get_project (win->session), imported,
                                                  NULL, NULL, NULL, NULL, 0));
    g_assert_true (bs_xml_write (in, w, &error));
    g_assert_no_error (error);
  }
  bs_window_import_config (win, in);
  wait_for (win, evaluated, imported_text);
  g_assert_cmpstr (bs_layer_table_get_text (win->layer_table, 2, BS_LAYER_COLUMN_WEIGHT), ==, "fixed6");
  bs_config_free (imported);
  close_window (win);
}

static gboolean
sweep_done (BsWindow *win, gconstpointer n_points)
{
  BsPlotSeries *series;
  gint64 id = 1;

  if (win->sweep || !g_queue_is_empty (win->sweep_queue) || bs_window_is_busy (win))
    return FALSE;
  series = g_hash_table_lookup (win->series, &id);
  return series && bs_plot_series_get_n_points (series) == GPOINTER_TO_UINT (n_points);
}

static void
test_sweep_dialog_runs (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx);
  BsSweepDialog *dialog = bs_sweep_dialog_new (GTK_WINDOW (win), G_LIST_MODEL (win->targets),
                                               "asic-45nm");
  GtkWidget *row;

  g_signal_connect_object (dialog, "start", G_CALLBACK (_bs_window_queue_sweep), win, G_CONNECT_SWAPPED);
  /* a wrong format name is refused, naming it */
  g_assert_true (bs_sweep_dialog_set_option (dialog, "formats", "fixed8,nosuchformat"));
  g_assert_false (bs_sweep_dialog_start (dialog));
  g_assert_nonnull (strstr (bs_sweep_dialog_get_error (dialog), "nosuchformat"));

  g_assert_true (bs_sweep_dialog_set_option (dialog, "strategy", "grid"));
  g_assert_true (bs_sweep_dialog_set_option (dialog, "formats", "fixed8,int4,fp8_e4m3"));
  g_assert_true (bs_sweep_dialog_start (dialog));
  g_assert_nonnull (win->sweep);
  g_assert_true (gtk_revealer_get_reveal_child (win->sweep_revealer));
  wait_for (win, sweep_done, GUINT_TO_POINTER (3));
  g_assert_false (gtk_revealer_get_reveal_child (win->sweep_revealer));
  row = gtk_widget_get_first_child (GTK_WIDGET (win->sweep_list));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Sweep 1 · grid");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "3 results"));

  /* the ticked sweep's front as XML (schema-valid: read back), its results as CSV */
  {
    g_autofree char *front = g_build_filename (fx->dir, "front.xml", NULL);
    g_autofree char *csv = g_build_filename (fx->dir, "results.csv", NULL);
    g_autofree char *text = NULL;
    g_autoptr (GPtrArray) docs = NULL;
    g_autoptr (GPtrArray) stored = NULL;
    g_autoptr (BsStore) store = NULL;
    g_autoptr (GError) error = NULL;
    g_auto (GStrv) lines = NULL;

    bs_window_export_results (win, front, FALSE);
    bs_window_export_results (win, csv, TRUE);
    wait_for (win, file_written, front);
    wait_for (win, file_written, csv);
    store = bs_store_open (fx->db, &error);
    stored = bs_store_list_results (store, 1, TRUE, &error);
    g_assert_no_error (error);
    docs = bs_xml_read (front, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (docs->len, ==, stored->len);
    g_assert_cmpuint (docs->len, >, 0);
    g_assert_cmpint (((BsXmlConfig *) docs->pdata[0])->result_id, >, 0);
    g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
    lines = g_strsplit (text, "\n", -1);
    g_assert_true (g_str_has_prefix (lines[0], "result_id,sweep_id,top1,"));
    g_assert_cmpuint (g_strv_length (lines), ==, 1 + 3 + 1);   /* header, 3 results, "" */
  }
  close_window (win);
}

static gboolean
sweep_started (BsWindow *win, gconstpointer data)
{
  return win->sweep && g_hash_table_size (win->streamed) > 0;   /* its first report came */
}

static const char *
sweep_status (const char *db)
{
  g_autoptr (BsStore) store = bs_store_open (db, NULL);
  g_autoptr (GPtrArray) sweeps = store ? bs_store_list_sweeps (store, NULL) : NULL;

  if (!sweeps || sweeps->len == 0)
    return NULL;
  return g_intern_string (((BsStoreSweep *) sweeps->pdata[0])->status);
}

/* Closing the window mid-sweep cancels it; the store records it cancelled. */
static void
test_close_cancels_sweep (Fixture *fx, gconstpointer data)
{
  BsWindow *win = open_window (fx);
  g_autoptr (BsSweepRequest) r = bs_sweep_request_new (BS_STRATEGY_NSGA2);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  /* a space far larger than the budget, which is far more than a second's work */
  g_assert_true (bs_sweep_spec_set_formats (&r->spec, "fp32,fp16,bf16,fp8_e4m3,fp8_e5m2,int8,fixed8,"
                                            "posit8_1,log8,int4,fp4_e2m1,fixed4,fixed6,int6", NULL));
  r->spec.tensors = BS_TENSORS_SEPARATE;
  r->spec.budget = 100000;
  r->target = g_strdup ("asic-45nm");
  _bs_window_queue_sweep (win, r);
  wait_for (win, sweep_started, NULL);
  g_assert_cmpstr (sweep_status (fx->db), ==, "running");
  close_window (win);
  while (g_strcmp0 (sweep_status (fx->db), "running") == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpstr (sweep_status (fx->db), ==, "cancelled");
}

/* Energy chart --------------------------------------------------------------- */

static BsEnergyData *
energy_data (void)
{
  char err[512];
  bs_target *t = bs_target_load ("asic-45nm", err, sizeof err);
  bs_energy_layer layers[3] = { BS_ENERGY_LAYER_INIT, BS_ENERGY_LAYER_INIT, BS_ENERGY_LAYER_INIT };
  const char *names[3] = { "conv1", "conv2", "fc" };
  bs_energy_result *r;
  BsEnergyData *d;

  g_assert_nonnull (t);
  for (int i = 0; i < 3; i++)
    {
      layers[i].name = names[i];
      layers[i].op = "Conv";
      layers[i].macs = 100000u * (uint64_t) (i + 1);
      layers[i].weights = 3000u * (uint64_t) (3 - i);
      layers[i].inputs = 4000;
      layers[i].outputs = 4000;
      layers[i].weight_format = "int8";
      layers[i].input_format = "int8";
      layers[i].accumulator = "int32";
    }
  r = bs_energy_estimate (t, layers, 3, err, sizeof err);
  g_assert_nonnull (r);
  d = bs_energy_data_new (r);
  bs_energy_result_free (r);
  bs_target_free (t);
  return d;
}

/* Pixels within 40 of colour c in each channel. */
static guint
count_color (cairo_surface_t *img, const BsColor *c)
{
  guint n = 0;
  int w = cairo_image_surface_get_width (img), h = cairo_image_surface_get_height (img);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint32 p = ((guint32 *) (cairo_image_surface_get_data (img) + y * cairo_image_surface_get_stride (img)))[x];
        int r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;

        n += abs (r - (int) (c->r * 255)) < 40 && abs (g - (int) (c->g * 255)) < 40 &&
             abs (b - (int) (c->b * 255)) < 40;
      }
  return n;
}

static cairo_surface_t *
render (BsEnergyChart *chart, int w, int h)
{
  cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create (img);

  bs_energy_chart_render (chart, cr, w, h);
  cairo_destroy (cr);
  cairo_surface_flush (img);
  return img;
}

static void
test_energy_chart_renders (void)
{
  GtkWidget *win = gtk_window_new ();
  BsEnergyChart *chart = BS_ENERGY_CHART (bs_energy_chart_new ());
  BsPlotStyle style;
  BsEnergyLayout layout = { 0 };
  BsEnergyData *data = energy_data ();
  PangoContext *pango = gtk_widget_get_pango_context (GTK_WIDGET (chart));
  cairo_surface_t *empty, *full;
  double x, y, w, h, prev_top = 1e9;
  g_autofree char *tip = NULL;

  gtk_window_set_child (GTK_WINDOW (win), GTK_WIDGET (chart));
  gtk_window_present (GTK_WINDOW (win));
  bs_plot_style_init (&style, FALSE);
  empty = render (chart, 600, 300);
  g_assert_cmpuint (count_color (empty, &style.series[0]), ==, 0);

  bs_energy_chart_set_data (chart, data);
  full = render (chart, 600, 300);
  /* both parts of the bars are drawn, in the theme's first two series colours */
  g_assert_cmpuint (count_color (full, &style.series[0]), >, 500);
  g_assert_cmpuint (count_color (full, &style.series[1]), >, 500);

  /* the layout stacks memory on compute, bars as tall as their energy */
  _bs_energy_layout (&layout, data, NULL, pango, 600, 300);
  for (guint i = 0; i < data->bars->len; i++)
    {
      const BsEnergyBar *b = g_ptr_array_index (data->bars, i);
      double cx, cy, cw, ch;

      _bs_energy_bar_rect (&layout, data, i, BS_ENERGY_PART_COMPUTE, &cx, &cy, &cw, &ch);
      _bs_energy_bar_rect (&layout, data, i, BS_ENERGY_PART_MEMORY, &x, &y, &w, &h);
      g_assert_cmpfloat_with_epsilon (y + h, cy, 1e-9);
      g_assert_cmpfloat_with_epsilon (ch / (ch + h), b->compute_pj / (b->compute_pj + b->memory_pj), 1e-9);
      g_assert_cmpfloat (cy + ch, <=, layout.ay + layout.ah + 1e-9);
      prev_top = MIN (prev_top, y);
    }
  g_assert_cmpfloat (prev_top, >=, layout.ay - 1e-9);

  /* hovering the compute part of the last bar explains it with sources */
  _bs_energy_bar_rect (&layout, data, 2, BS_ENERGY_PART_COMPUTE, &x, &y, &w, &h);
  {
    guint bar;
    BsEnergyPart part;

    g_assert_true (_bs_energy_hit_test (&layout, data, x + w / 2, y + h / 2, &bar, &part));
    g_assert_cmpuint (bar, ==, 2);
    g_assert_cmpint (part, ==, BS_ENERGY_PART_COMPUTE);
  }
  tip = bs_energy_data_describe (data, 2, BS_ENERGY_PART_COMPUTE);
  g_assert_nonnull (strstr (tip, "Horowitz"));
  g_assert_nonnull (strstr (tip, "asic-45nm.xml:"));
  g_free (g_steal_pointer (&tip));
  tip = bs_energy_data_describe (data, 0, BS_ENERGY_PART_MEMORY);
  g_assert_nonnull (strstr (tip, "SRAM"));

  {
    g_autoptr (GBytes) svg = bs_energy_chart_export (chart, BS_EXPORT_SVG, 500, 300, NULL);

    g_assert_nonnull (g_strstr_len (g_bytes_get_data (svg, NULL), g_bytes_get_size (svg), "<svg"));
  }
  _bs_energy_layout_clear (&layout);
  cairo_surface_destroy (empty);
  cairo_surface_destroy (full);
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

  g_test_add ("/ui/tuning/opens-model", Fixture, NULL, fixture_setup, test_opens_model, fixture_teardown);
  g_test_add ("/ui/tuning/compare-inputs", Fixture, NULL, fixture_setup, test_compare_inputs, fixture_teardown);
  g_test_add ("/ui/tuning/model-errors", Fixture, NULL, fixture_setup, test_model_errors, fixture_teardown);
  g_test_add ("/ui/tuning/threads-take-effect", Fixture, NULL, fixture_setup, test_threads_take_effect, fixture_teardown);
  g_test_add ("/ui/tuning/edit-moves-point", Fixture, NULL, fixture_setup, test_edit_moves_point, fixture_teardown);
  g_test_add ("/ui/tuning/export-import", Fixture, NULL, fixture_setup, test_export_import, fixture_teardown);
  g_test_add ("/ui/tuning/sweep-dialog", Fixture, NULL, fixture_setup, test_sweep_dialog_runs, fixture_teardown);
  g_test_add ("/ui/tuning/close-cancels-sweep", Fixture, NULL, fixture_setup, test_close_cancels_sweep, fixture_teardown);
  g_test_add_func ("/ui/energy-chart/render", test_energy_chart_renders);

  return g_test_run ();
}
