/* The sweep runner on a small network and data set written here: every
 * configuration stored once, resume after SIGKILL identical to an
 * uninterrupted run, two processes on one database, stored front membership
 * against a brute-force dominance check, infeasible configurations
 * remembered, cancellation, XML export → evaluation reproducing top-1, and
 * the same stored results with and without the evaluator's prefix cache.
 *
 * Child processes (killed or run side by side) are this executable started
 * again with --sweep-child, so they never inherit the parent's threads. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "bs-onnx.h"
#include "bs-sweep.h"

enum { IN = 16, H1 = 12, H2 = 10, OUT = 4, N_TEST = 300, N_TRAIN = 300 };

static const char *self_exe;

/* Fixture files ------------------------------------------------------------ */

static uint64_t
rng_next (uint64_t *s)
{
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static float
rng_unit (uint64_t *s)
{
  return (float) (rng_next (s) >> 40) / (float) (1u << 24);
}

typedef struct {
  float w1[H1 * IN], b1[H1], w2[H2 * H1], b2[H2], w3[OUT * H2], b3[OUT];
} Weights;

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
add_gemm (bs_graph *g, const char *name, const char *in, const char *w, const char *b,
          const char *out)
{
  bs_attr tb = { .name = (char *) "transB", .type = BS_ATTR_INT, .i = 1 };
  char err[256];

  g_assert_cmpint (bs_graph_add_node (g, "Gemm", name, 3, (const char *[]) { in, w, b }, 1,
                                      (const char *[]) { out }, 1, &tb, err, sizeof err), >=, 0);
}

static void
add_relu (bs_graph *g, const char *name, const char *in, const char *out)
{
  char err[256];

  g_assert_cmpint (bs_graph_add_node (g, "Relu", name, 1, (const char *[]) { in }, 1,
                                      (const char *[]) { out }, 0, NULL, err, sizeof err), >=, 0);
}

/* Flatten → Gemm 16→12 → Relu → Gemm 12→10 → Relu → Gemm 10→4. */
static void
write_model (const char *path, const Weights *w)
{
  bs_graph *g = bs_graph_new (13);
  int64_t in_dims[4] = { -1, 1, 4, 4 };
  bs_shape in_shape = bs_shape_make (4, in_dims);
  int64_t d1[2] = { H1, IN }, d1b[1] = { H1 }, d2[2] = { H2, H1 }, d2b[1] = { H2 };
  int64_t d3[2] = { OUT, H2 }, d3b[1] = { OUT };
  char err[256];

  g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &in_shape, err, sizeof err), >=, 0);
  add_init (g, "w1", w->w1, 2, d1);
  add_init (g, "b1", w->b1, 1, d1b);
  add_init (g, "w2", w->w2, 2, d2);
  add_init (g, "b2", w->b2, 1, d2b);
  add_init (g, "w3", w->w3, 2, d3);
  add_init (g, "b3", w->b3, 1, d3b);
  g_assert_cmpint (bs_graph_add_node (g, "Flatten", "flat", 1, (const char *[]) { "x" }, 1,
                                      (const char *[]) { "f" }, 0, NULL, err, sizeof err), >=, 0);
  add_gemm (g, "fc1", "f", "w1", "b1", "h1");
  add_relu (g, "relu1", "h1", "r1");
  add_gemm (g, "fc2", "r1", "w2", "b2", "h2");
  add_relu (g, "relu2", "h2", "r2");
  add_gemm (g, "fc3", "r2", "w3", "b3", "y");
  g_assert_cmpint (bs_graph_add_output (g, "y", err, sizeof err), >=, 0);
  if (bs_graph_finalize (g, err, sizeof err) < 0)
    g_error ("finalize: %s", err);
  if (bs_onnx_save (g, path, err, sizeof err) < 0)
    g_error ("save: %s", err);
  bs_graph_free (g);
}

/* The float network, written out, labels the images: fp32 is (nearly) 100 %. */
static int
classify (const Weights *w, const float *x)
{
  float h1[H1], h2[H2], y[OUT];
  int best = 0;

  for (int i = 0; i < H1; i++)
    {
      float s = w->b1[i];
      for (int k = 0; k < IN; k++)
        s += w->w1[i * IN + k] * x[k];
      h1[i] = s > 0 ? s : 0;
    }
  for (int i = 0; i < H2; i++)
    {
      float s = w->b2[i];
      for (int k = 0; k < H1; k++)
        s += w->w2[i * H1 + k] * h1[k];
      h2[i] = s > 0 ? s : 0;
    }
  for (int i = 0; i < OUT; i++)
    {
      float s = w->b3[i];
      for (int k = 0; k < H2; k++)
        s += w->w3[i * H2 + k] * h2[k];
      y[i] = s;
      if (y[i] > y[best])
        best = i;
    }
  return best;
}

/* An .npy file (version 1.0, little-endian), header padded to 64 bytes. */
static void
write_npy (const char *path, const char *descr, const char *shape, const void *data, gsize len)
{
  g_autofree char *dict = g_strdup_printf ("{'descr': '%s', 'fortran_order': False, "
                                           "'shape': %s, }", descr, shape);
  g_autoptr (GByteArray) b = g_byte_array_new ();
  gsize hl = (10 + strlen (dict) + 1 + 63) / 64 * 64 - 10;
  guint8 head[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (guint8) hl, (guint8) (hl >> 8) };
  g_autoptr (GError) error = NULL;

  g_byte_array_append (b, head, sizeof head);
  g_byte_array_append (b, (const guint8 *) dict, (guint) strlen (dict));
  while (b->len < 10 + hl - 1)
    g_byte_array_append (b, (const guint8 *) " ", 1);
  g_byte_array_append (b, (const guint8 *) "\n", 1);
  g_byte_array_append (b, data, (guint) len);
  g_file_set_contents (path, (const char *) b->data, b->len, &error);
  g_assert_no_error (error);
}

static void
write_set (const char *dir, const char *prefix, const Weights *w, int n, uint64_t *seed)
{
  g_autofree float *px = g_new (float, (gsize) n * IN);
  g_autofree gint32 *lab = g_new (gint32, (gsize) n);
  g_autofree char *ip = g_strdup_printf ("%s/%s-images.npy", dir, prefix);
  g_autofree char *lp = g_strdup_printf ("%s/%s-labels.npy", dir, prefix);
  g_autofree char *ishape = g_strdup_printf ("(%d, 1, 4, 4)", n);
  g_autofree char *lshape = g_strdup_printf ("(%d,)", n);

  for (int i = 0; i < n * IN; i++)
    px[i] = rng_unit (seed);
  for (int i = 0; i < n; i++)
    lab[i] = classify (w, px + i * IN);
  write_npy (ip, "<f4", ishape, px, (gsize) n * IN * sizeof (float));
  write_npy (lp, "<i4", lshape, lab, (gsize) n * sizeof (gint32));
}

/* model.onnx and the four npy files in dir. */
static void
write_fixture (const char *dir)
{
  Weights w;
  uint64_t seed = 20240611;
  g_autofree char *model = g_build_filename (dir, "model.onnx", NULL);

  for (int i = 0; i < H1 * IN; i++)
    w.w1[i] = (rng_unit (&seed) - 0.5f) * 0.9f;
  for (int i = 0; i < H1; i++)
    w.b1[i] = (rng_unit (&seed) - 0.5f) * 0.2f;
  for (int i = 0; i < H2 * H1; i++)
    w.w2[i] = (rng_unit (&seed) - 0.5f) * 0.9f;
  for (int i = 0; i < H2; i++)
    w.b2[i] = (rng_unit (&seed) - 0.5f) * 0.2f;
  for (int i = 0; i < OUT * H2; i++)
    w.w3[i] = (rng_unit (&seed) - 0.5f) * 1.5f;
  for (int i = 0; i < OUT; i++)
    w.b3[i] = 0;
  write_model (model, &w);
  write_set (dir, "test", &w, N_TEST, &seed);
  write_set (dir, "train", &w, N_TRAIN, &seed);
}

static char *
dataset_spec (const char *dir)
{
  return g_strdup_printf ("%s/test-images.npy,%s/test-labels.npy,%s/train-images.npy,"
                          "%s/train-labels.npy", dir, dir, dir, dir);
}

/* cache_bytes: the evaluator's prefix-cache budget (0 default, 1 none) */
static BsProject *
open_project_cache (const char *dir, gint64 limit, gsize cache_bytes)
{
  g_autofree char *model = g_build_filename (dir, "model.onnx", NULL);
  g_autofree char *ds = dataset_spec (dir);
  BsProjectOptions o = BS_PROJECT_OPTIONS_INIT;
  g_autoptr (GError) error = NULL;
  BsProject *p;

  o.threads = 1;
  o.limit = limit;
  o.cache_bytes = cache_bytes;
  p = bs_project_open (model, ds, &o, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
  return p;
}

static BsProject *
open_project (const char *dir, gint64 limit)
{
  return open_project_cache (dir, limit, 0);
}

static bs_target *
load_target (void)
{
  char err[512];
  bs_target *t = bs_target_load ("asic-45nm", err, sizeof err);

  if (!t)
    g_error ("target: %s", err);
  return t;
}

/* The sweep the resume and concurrency tests share: NSGA-II, separate
 * weight and input formats, 40 configurations. */
static void
resume_spec (BsSweepSpec *s)
{
  g_autoptr (GError) error = NULL;

  bs_sweep_spec_init (s, BS_STRATEGY_NSGA2);
  g_assert_true (bs_sweep_spec_set_formats (s, "fp32,fixed8,fixed6,fixed4,int4", &error));
  s->tensors = BS_TENSORS_SEPARATE;
  s->budget = 40;
  s->population = 8;
  s->seed = 7;
}

/* Run a sweep to its end in this process. */
static void
run_sweep (const char *dir, const char *db, const BsSweepSpec *spec, BsSweepSummary *sum)
{
  g_autoptr (BsProject) p = open_project (dir, 0);
  bs_target *t = load_target ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = bs_store_open (db, &error);

  g_assert_no_error (error);
  g_assert_true (bs_sweep_run (p, t, store, spec, NULL, NULL, NULL, sum, &error));
  g_assert_no_error (error);
  bs_target_free (t);
}

/* Child mode --------------------------------------------------------------- */

static void
slow_progress (const BsSweepProgress *p, gpointer data)
{
  g_usleep ((gulong) GPOINTER_TO_UINT (data) * 1000);
}

/* test-sweep --sweep-child DIR DB SLEEP_MS: the shared sweep, each report
 * (one per configuration when SLEEP_MS ≥ 100) slowed down. */
static int
child_main (char **argv)
{
  BsSweepSpec spec;
  g_autoptr (BsProject) p = open_project (argv[2], 0);
  bs_target *t = load_target ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = bs_store_open (argv[3], &error);
  BsSweepSummary sum;
  guint ms = (guint) atoi (argv[4]);

  if (!store)
    g_error ("%s", error->message);
  resume_spec (&spec);
  if (!bs_sweep_run (p, t, store, &spec, NULL, ms ? slow_progress : NULL, GUINT_TO_POINTER (ms),
                     &sum, &error))
    {
      g_printerr ("child: %s\n", error->message);
      return 1;
    }
  g_print ("%" G_GSIZE_FORMAT "\n", sum.evaluated);
  bs_sweep_spec_clear (&spec);
  bs_target_free (t);
  return 0;
}

static GSubprocess *
spawn_child (const char *dir, const char *db, guint sleep_ms)
{
  g_autofree char *ms = g_strdup_printf ("%u", sleep_ms);
  g_autoptr (GError) error = NULL;
  GSubprocess *sp = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, self_exe,
                                      "--sweep-child", dir, db, ms, NULL);

  g_assert_no_error (error);
  return sp;
}

/* Database helpers ---------------------------------------------------------- */

static gint64
sql_int (const char *db, const char *sql)
{
  sqlite3 *h = NULL;
  sqlite3_stmt *st = NULL;
  gint64 v = -1;

  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (h, 10000);
  g_assert_cmpint (sqlite3_prepare_v2 (h, sql, -1, &st, NULL), ==, SQLITE_OK);
  if (sqlite3_step (st) == SQLITE_ROW)
    v = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  sqlite3_close (h);
  return v;
}

static char *
sql_text (const char *db, const char *sql)
{
  sqlite3 *h = NULL;
  sqlite3_stmt *st = NULL;
  char *v = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (h, 10000);
  g_assert_cmpint (sqlite3_prepare_v2 (h, sql, -1, &st, NULL), ==, SQLITE_OK);
  if (sqlite3_step (st) == SQLITE_ROW)
    v = g_strdup ((const char *) sqlite3_column_text (st, 0));
  sqlite3_finalize (st);
  sqlite3_close (h);
  return v;
}

/* The sweep's configurations in the order they were stored, and its front. */
static GPtrArray *
stored_configs (const char *db, gint64 sweep, gboolean front_only)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = bs_store_open (db, &error);
  g_autoptr (GPtrArray) rows = bs_store_list_results (store, sweep, front_only, &error);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  for (guint i = 0; i < rows->len; i++)
    g_ptr_array_add (out, g_strdup (((BsStoreResult *) rows->pdata[i])->canonical));
  return out;
}

static void
assert_same_strings (GPtrArray *a, GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_cmpstr (a->pdata[i], ==, b->pdata[i]);
}

static gint
cmp_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static void
assert_integrity (const char *db)
{
  g_autofree char *ic = sql_text (db, "PRAGMA integrity_check");
  g_assert_cmpstr (ic, ==, "ok");
}

/* Fixture ------------------------------------------------------------------- */

typedef struct {
  char *dir;
  char *db;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->dir = g_dir_make_tmp ("bs-sweep-XXXXXX", &error);
  g_assert_no_error (error);
  write_fixture (fx->dir);
  fx->db = g_build_filename (fx->dir, "project.bitscape", NULL);
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
  g_free (fx->db);
}

/* Tests --------------------------------------------------------------------- */

static void
test_spec_text (Fixture *fx, gconstpointer data)
{
  BsSweepSpec a, b;
  g_autoptr (GError) error = NULL;
  g_autofree char *ta = NULL, *tb = NULL, *tc = NULL;

  bs_sweep_spec_init (&a, BS_STRATEGY_GRID);
  bs_sweep_spec_init (&b, BS_STRATEGY_GRID);
  g_assert_true (bs_sweep_spec_set_formats (&a, "fixed8,int4", &error));
  g_assert_true (bs_sweep_spec_set_formats (&b, "fixed8,int4", &error));
  b.seed = 99;                    /* grid does not use the seed */
  ta = bs_sweep_spec_to_string (&a);
  tb = bs_sweep_spec_to_string (&b);
  g_assert_cmpstr (ta, ==, tb);
  g_assert_cmpstr (ta, ==, "v1;strategy=grid;formats=fixed8,int4;acc=fp32;scaling=auto;"
                           "tensors=tied;budget=0");
  b.tensors = BS_TENSORS_SEPARATE;
  tc = bs_sweep_spec_to_string (&b);
  g_assert_cmpstr (ta, !=, tc);

  g_assert_false (bs_sweep_spec_set_formats (&a, "fixed8,fp9", &error));
  g_assert_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC);
  g_clear_error (&error);
  g_assert_false (bs_sweep_spec_set_formats (&a, "fixed8,fixed8", &error));
  g_clear_error (&error);
  g_assert_false (bs_sweep_spec_set_formats (&a, "fixed8,", &error));
  g_clear_error (&error);
  g_free (a.acc);
  a.acc = g_strdup ("fp64");
  g_assert_false (bs_sweep_spec_validate (&a, &error));
  g_assert_nonnull (strstr (error->message, "accumulator"));
  bs_sweep_spec_clear (&a);
  bs_sweep_spec_clear (&b);
}

/* A grid stores each of its configurations once; running it again evaluates
 * nothing and stores nothing new. */
static void
test_grid_once (Fixture *fx, gconstpointer data)
{
  BsSweepSpec spec;
  BsSweepSummary s1, s2;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) first = NULL, again = NULL;

  bs_sweep_spec_init (&spec, BS_STRATEGY_GRID);
  g_assert_true (bs_sweep_spec_set_formats (&spec, "fp32,fixed8,int8,fixed4,posit8_1", &error));
  run_sweep (fx->dir, fx->db, &spec, &s1);
  g_assert_cmpstr (s1.status, ==, "done");
  g_assert_false (s1.resumed);
  g_assert_cmpuint (s1.calls, ==, 5);
  g_assert_cmpuint (s1.evaluated, ==, 5);
  g_assert_cmpuint (s1.from_store, ==, 0);
  g_assert_cmpuint (s1.n_results, ==, 5);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM results"), ==, 5);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(DISTINCT config_id) FROM results"), ==, 5);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM config_layers"), ==, 5 * 3);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM sweeps WHERE status = 'done'"), ==, 1);
  first = stored_configs (fx->db, s1.sweep_id, FALSE);

  run_sweep (fx->dir, fx->db, &spec, &s2);
  g_assert_true (s2.resumed);
  g_assert_cmpint (s2.sweep_id, ==, s1.sweep_id);
  g_assert_cmpuint (s2.evaluated, ==, 0);
  g_assert_cmpuint (s2.from_store, ==, 5);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM results"), ==, 5);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM sweep_results"), ==, 5);
  again = stored_configs (fx->db, s1.sweep_id, FALSE);
  assert_same_strings (first, again);
  /* the fp32 baseline is the all-fp32 configuration */
  g_assert_cmpstr (first->pdata[0], ==, "v1;L0:w=fp32,a=fp32,acc=fp32,s=none;"
                                        "L1:w=fp32,a=fp32,acc=fp32,s=none;"
                                        "L2:w=fp32,a=fp32,acc=fp32,s=none");
  bs_sweep_spec_clear (&spec);
}

/* Another sweep reaching the same configurations takes them from the store;
 * a different number of test images does not. */
static void
test_shared_results (Fixture *fx, gconstpointer data)
{
  BsSweepSpec grid, sens;
  BsSweepSummary s1, s2, s3;
  g_autoptr (GError) error = NULL;

  bs_sweep_spec_init (&grid, BS_STRATEGY_GRID);
  g_assert_true (bs_sweep_spec_set_formats (&grid, "fp32,fixed8,fixed4", &error));
  run_sweep (fx->dir, fx->db, &grid, &s1);
  /* sensitivity evaluates fp32 everywhere (shared) and each layer alone */
  bs_sweep_spec_init (&sens, BS_STRATEGY_SENSITIVITY);
  g_assert_true (bs_sweep_spec_set_formats (&sens, "fp32,fixed8,fixed4", &error));
  run_sweep (fx->dir, fx->db, &sens, &s2);
  g_assert_cmpint (s2.sweep_id, !=, s1.sweep_id);
  g_assert_cmpuint (s2.from_store, >=, 1);
  g_assert_cmpuint (s2.evaluated + s2.from_store, ==, s2.calls);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM results"), ==,
                   (gint64) (s1.evaluated + s2.evaluated));

  {
    /* the first 100 images are another dataset row: nothing shared */
    g_autoptr (BsProject) p = open_project (fx->dir, 100);
    bs_target *t = load_target ();
    g_autoptr (BsStore) store = bs_store_open (fx->db, &error);
    g_assert_true (bs_sweep_run (p, t, store, &grid, NULL, NULL, NULL, &s3, &error));
    g_assert_no_error (error);
    g_assert_cmpint (s3.sweep_id, !=, s1.sweep_id);
    g_assert_cmpuint (s3.from_store, ==, 0);
    g_assert_cmpuint (s3.evaluated, ==, 3);
    g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM datasets"), ==, 2);
    g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM datasets WHERE name LIKE "
                                      "'%first 100 images%'"), ==, 1);
    {
      g_autofree char *sql = g_strdup_printf ("SELECT max(images) FROM results r JOIN "
                                              "sweep_results s ON s.result_id = r.id WHERE "
                                              "s.sweep_id = %" G_GINT64_FORMAT, s3.sweep_id);
      g_assert_cmpint (sql_int (fx->db, sql), ==, 100);
    }
    bs_target_free (t);
  }
  bs_sweep_spec_clear (&grid);
  bs_sweep_spec_clear (&sens);
}

/* Kill a sweep with SIGKILL partway, run the same sweep again: the database
 * is intact, and the result equals an uninterrupted run's: the same
 * configurations in the same order, none twice, the same front, and the two
 * runs together evaluated each configuration once (bar the one in flight). */
static void
test_resume_after_kill (Fixture *fx, gconstpointer data)
{
  g_autofree char *ref_db = g_build_filename (fx->dir, "reference.bitscape", NULL);
  g_autoptr (GPtrArray) ref = NULL, ref_front = NULL, got = NULL, got_front = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) child = NULL;
  BsSweepSpec spec;
  BsSweepSummary sref, sres;
  gint64 before, deadline;

  resume_spec (&spec);
  run_sweep (fx->dir, ref_db, &spec, &sref);
  g_assert_cmpuint (sref.evaluated, ==, 40);
  ref = stored_configs (ref_db, sref.sweep_id, FALSE);
  ref_front = stored_configs (ref_db, sref.sweep_id, TRUE);
  g_assert_cmpuint (ref->len, ==, 40);
  g_assert_cmpuint (ref_front->len, >=, 1);

  /* ~120 ms per configuration in the child; kill it at a random moment once
   * 8 results are in */
  child = spawn_child (fx->dir, fx->db, 120);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!g_file_test (fx->db, G_FILE_TEST_EXISTS)
         || sql_int (fx->db, "SELECT count(*) FROM sqlite_schema WHERE name = 'results'") < 1
         || sql_int (fx->db, "SELECT count(*) FROM results") < 8)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (5000);
    }
  g_usleep (g_random_int_range (0, 120000));
  g_subprocess_force_exit (child);
  g_subprocess_wait (child, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_subprocess_get_if_exited (child));   /* killed, not finished */

  assert_integrity (fx->db);
  before = sql_int (fx->db, "SELECT count(*) FROM results");
  g_assert_cmpint (before, >=, 8);
  g_assert_cmpint (before, <, 40);
  {
    g_autofree char *status = sql_text (fx->db, "SELECT status FROM sweeps");
    g_assert_cmpstr (status, ==, "running");
  }

  run_sweep (fx->dir, fx->db, &spec, &sres);
  g_assert_true (sres.resumed);
  g_assert_cmpstr (sres.status, ==, "done");
  g_assert_cmpuint (sres.calls, ==, 40);
  g_assert_cmpuint (sres.from_store, ==, (gsize) before);
  g_assert_cmpuint ((gsize) before + sres.evaluated, ==, sref.evaluated);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM results"), ==, 40);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM sweep_results"), ==, 40);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(DISTINCT seq) FROM sweep_results"), ==, 40);
  got = stored_configs (fx->db, sres.sweep_id, FALSE);
  got_front = stored_configs (fx->db, sres.sweep_id, TRUE);
  assert_same_strings (ref, got);
  assert_same_strings (ref_front, got_front);
  {
    /* and the same numbers, bit for bit */
    g_autofree char *a = sql_text (ref_db, "SELECT group_concat(printf('%!.17g/%!.17g', "
                                           "top1, energy_pj), ' ') FROM (SELECT * FROM results "
                                           "ORDER BY id)");
    g_autofree char *b = sql_text (fx->db, "SELECT group_concat(printf('%!.17g/%!.17g', "
                                           "top1, energy_pj), ' ') FROM (SELECT r.* FROM results "
                                           "r JOIN sweep_results s ON s.result_id = r.id ORDER "
                                           "BY s.seq)");
    g_assert_cmpstr (a, ==, b);
  }
  assert_integrity (fx->db);
  bs_sweep_spec_clear (&spec);
}

/* Two processes run the same sweep on one database at once: both succeed,
 * the database is intact and holds what one process alone would have. */
static void
test_two_processes (Fixture *fx, gconstpointer data)
{
  g_autofree char *ref_db = g_build_filename (fx->dir, "reference.bitscape", NULL);
  g_autoptr (GPtrArray) ref = NULL, got = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) a = NULL, b = NULL;
  BsSweepSpec spec;
  BsSweepSummary sref;

  resume_spec (&spec);
  run_sweep (fx->dir, ref_db, &spec, &sref);
  ref = stored_configs (ref_db, sref.sweep_id, FALSE);

  /* ~50 ms per configuration, so that the two overlap */
  a = spawn_child (fx->dir, fx->db, 50);
  b = spawn_child (fx->dir, fx->db, 50);
  {
    g_autofree char *out_a = NULL, *out_b = NULL;
    guint64 ea, eb;
    g_assert_true (g_subprocess_communicate_utf8 (a, NULL, NULL, &out_a, NULL, &error));
    g_assert_true (g_subprocess_communicate_utf8 (b, NULL, NULL, &out_b, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (g_subprocess_get_if_exited (a) && g_subprocess_get_exit_status (a) == 0);
    g_assert_true (g_subprocess_get_if_exited (b) && g_subprocess_get_exit_status (b) == 0);
    ea = g_ascii_strtoull (out_a, NULL, 10);
    eb = g_ascii_strtoull (out_b, NULL, 10);
    /* each configuration evaluated at least once between them; both
     * evaluating the same one is allowed (the store keeps one) */
    g_assert_cmpuint (ea + eb, >=, 40);
    g_test_message ("evaluated: %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT, ea, eb);
  }

  assert_integrity (fx->db);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM sweeps"), ==, 1);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM results"), ==, 40);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM sweep_results"), ==, 40);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM configs"), ==, 40);
  got = stored_configs (fx->db, 1, FALSE);
  /* the order may interleave; the set is the same */
  g_ptr_array_sort (ref, cmp_strings);
  g_ptr_array_sort (got, cmp_strings);
  assert_same_strings (ref, got);
  bs_sweep_spec_clear (&spec);
}

/* p dominates q, written out from the definition. */
static gboolean
dominates (double pa, double pe, double qa, double qe)
{
  return pa >= qa && pe <= qe && (pa > qa || pe < qe);
}

static void
assert_front_brute_force (BsStore *store, gint64 sweep)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = bs_store_list_results (store, sweep, FALSE, &error);
  guint n_front = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < rows->len; i++)
    {
      const BsStoreResult *q = rows->pdata[i];
      gboolean want = !q->infeasible && isfinite (q->m.top1) && isfinite (q->m.energy_pj);
      for (guint j = 0; want && j < rows->len; j++)
        {
          const BsStoreResult *p = rows->pdata[j];
          if (!p->infeasible && isfinite (p->m.top1) && isfinite (p->m.energy_pj)
              && dominates (p->m.top1, p->m.energy_pj, q->m.top1, q->m.energy_pj))
            want = FALSE;
        }
      g_assert_cmpint (q->on_front, ==, want);
      n_front += want;
    }
  g_assert_cmpuint (n_front, >=, 1);
}

/* Front membership stored by a real sweep equals the brute-force front. */
static void
test_front_sweep (Fixture *fx, gconstpointer data)
{
  BsSweepSpec spec;
  BsSweepSummary s;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = NULL;

  bs_sweep_spec_init (&spec, BS_STRATEGY_RANDOM);
  g_assert_true (bs_sweep_spec_set_formats (&spec, "fp32,fixed8,fixed5,fixed3,int4,fp8_e4m3",
                                            &error));
  spec.tensors = BS_TENSORS_SEPARATE;
  spec.budget = 60;
  run_sweep (fx->dir, fx->db, &spec, &s);
  g_assert_cmpuint (s.n_results, ==, 60);
  store = bs_store_open (fx->db, &error);
  assert_front_brute_force (store, s.sweep_id);
  bs_sweep_spec_clear (&spec);
}

/* Front membership on crafted points: many ties and duplicates, infeasible
 * and unmeasured ones, recomputed after more results arrive. */
static void
test_front_crafted (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = bs_store_open (fx->db, &error);
  BsStoreLayer layer = { "fixed8", "fixed8", "exact", "layer-pow2" };
  gint64 m = bs_store_ensure_model (store, "m", "aa", NULL, &error);
  gint64 d = bs_store_ensure_dataset (store, "d", "bb", NULL, &error);
  gint64 t = bs_store_ensure_target (store, "t", "cc", NULL, &error);
  gint64 sweep = bs_store_begin_sweep (store, m, d, t, "grid", "crafted", NULL, &error);
  uint64_t seed = 5;

  g_assert_no_error (error);
  for (int round = 0; round < 3; round++)
    {
      for (int i = 0; i < 80; i++)
        {
          int k = round * 80 + i;
          g_autofree char *canon = g_strdup_printf ("crafted-%d", k);
          /* coarse values: ties in either coordinate and exact duplicates */
          BsStoreMetrics mt = {
            .top1 = (double) (rng_next (&seed) % 12), .top5 = NAN,
            .energy_pj = (double) (rng_next (&seed) % 12), .compute_pj = NAN,
            .memory_pj = NAN, .area_um2 = NAN, .luts = NAN, .ffs = NAN, .dsps = NAN,
            .brams = NAN, .mean_weight_bits = 8, .mean_input_bits = 8, .weight_sparsity = 0,
            .input_sparsity = 0, .images = 1, .path = "fake-quant",
          };
          if (k % 17 == 3)
            mt.energy_pj = NAN;                       /* not measured */
          if (k % 13 == 5)
            g_assert_cmpint (bs_store_add_infeasible (store, sweep, canon, (guint64) k, &layer, 1,
                                                      1, "unsupported", &error), >, 0);
          else
            g_assert_cmpint (bs_store_add_result (store, sweep, canon, (guint64) k, &layer, 1, &mt,
                                                  &error), >, 0);
          g_assert_no_error (error);
        }
      g_assert_true (bs_store_update_front (store, sweep, &error));
      g_assert_no_error (error);
      assert_front_brute_force (store, sweep);
    }
  g_assert_false (bs_store_update_front (store, 999, &error));
  g_assert_error (error, BS_STORE_ERROR, BS_STORE_ERROR_NOT_FOUND);
}

/* A configuration that cannot be evaluated is stored as infeasible, once,
 * and answered as infeasible when the sweep runs again. */
static void
test_infeasible (Fixture *fx, gconstpointer data)
{
  BsSweepSpec spec;
  BsSweepSummary s1, s2;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  guint n_bad = 0;

  /* a quire accumulates posits only: int8 under it cannot be costed */
  bs_sweep_spec_init (&spec, BS_STRATEGY_GRID);
  g_assert_true (bs_sweep_spec_set_formats (&spec, "posit8_1,int8", &error));
  g_free (spec.acc);
  spec.acc = g_strdup ("quire");
  run_sweep (fx->dir, fx->db, &spec, &s1);
  g_assert_cmpstr (s1.status, ==, "done");
  g_assert_cmpuint (s1.infeasible, ==, 1);
  store = bs_store_open (fx->db, &error);
  rows = bs_store_list_results (store, s1.sweep_id, FALSE, &error);
  g_assert_cmpuint (rows->len, ==, 2);
  for (guint i = 0; i < rows->len; i++)
    {
      const BsStoreResult *r = rows->pdata[i];
      if (r->infeasible)
        {
          n_bad++;
          g_assert_nonnull (strstr (r->canonical, "w=int8"));
          g_assert_nonnull (r->note);
          g_assert_true (isnan (r->m.top1));
          g_assert_false (r->on_front);
        }
      else
        g_assert_true (r->on_front);
    }
  g_assert_cmpuint (n_bad, ==, 1);

  run_sweep (fx->dir, fx->db, &spec, &s2);
  g_assert_cmpuint (s2.evaluated, ==, 0);
  g_assert_cmpuint (s2.infeasible, ==, 1);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM results WHERE feasible = 0"), ==, 1);
  bs_sweep_spec_clear (&spec);
}

typedef struct {
  GCancellable *cancel;
  gsize after;
  gsize reports;
} CancelAfter;

static void
cancel_progress (const BsSweepProgress *p, gpointer data)
{
  CancelAfter *c = data;

  c->reports++;
  g_assert_cmpuint (p->done, <=, p->total);
  if (p->done >= c->after)
    g_cancellable_cancel (c->cancel);
  g_usleep (110 * 1000);          /* so that every configuration is reported */
}

/* Cancelling stops the sweep with status cancelled; the same sweep then
 * resumes to what an uninterrupted run stores. */
static void
test_cancel_resume (Fixture *fx, gconstpointer data)
{
  g_autofree char *ref_db = g_build_filename (fx->dir, "reference.bitscape", NULL);
  g_autoptr (GPtrArray) ref = NULL, got = NULL;
  g_autoptr (GError) error = NULL;
  BsSweepSpec spec;
  BsSweepSummary sref, s1, s2;
  CancelAfter c = { .cancel = g_cancellable_new (), .after = 4 };

  bs_sweep_spec_init (&spec, BS_STRATEGY_GREEDY);
  g_assert_true (bs_sweep_spec_set_formats (&spec, "fixed10", &error));
  spec.target_drop = 2.0;
  run_sweep (fx->dir, ref_db, &spec, &sref);
  g_assert_cmpuint (sref.calls, >, 6);
  ref = stored_configs (ref_db, sref.sweep_id, FALSE);

  {
    g_autoptr (BsProject) p = open_project (fx->dir, 0);
    bs_target *t = load_target ();
    g_autoptr (BsStore) store = bs_store_open (fx->db, &error);
    g_assert_true (bs_sweep_run (p, t, store, &spec, c.cancel, cancel_progress, &c, &s1, &error));
    g_assert_no_error (error);
    bs_target_free (t);
  }
  g_assert_cmpstr (s1.status, ==, "cancelled");
  g_assert_cmpint (s1.search_status, ==, BS_SEARCH_CANCELLED);
  g_assert_cmpuint (s1.calls, ==, 4);
  {
    g_autofree char *status = sql_text (fx->db, "SELECT status FROM sweeps");
    g_assert_cmpstr (status, ==, "cancelled");
  }
  run_sweep (fx->dir, fx->db, &spec, &s2);
  g_assert_cmpstr (s2.status, ==, "done");
  g_assert_cmpuint (s2.from_store, ==, 4);
  g_assert_cmpuint (s2.evaluated, ==, sref.evaluated - 4);
  got = stored_configs (fx->db, s2.sweep_id, FALSE);
  assert_same_strings (ref, got);
  /* and greedy settles on the same configuration */
  g_assert_nonnull (sref.best);
  g_assert_cmpstr (s2.best, ==, sref.best);
  g_assert_cmpfloat (s2.best_top1, ==, sref.best_top1);
  bs_sweep_summary_clear (&sref);
  bs_sweep_summary_clear (&s1);
  bs_sweep_summary_clear (&s2);
  g_object_unref (c.cancel);
  bs_sweep_spec_clear (&spec);
}

typedef struct {
  GMainLoop *loop;
  GThread *main_thread;
  gsize reports;
  gsize last_done;
  BsSweepSummary summary;
  gboolean ok;
  GError *error;
} AsyncState;

static void
async_progress (const BsSweepProgress *p, gpointer data)
{
  AsyncState *s = data;

  g_assert_true (g_thread_self () == s->main_thread);
  g_assert_cmpuint (p->done, >=, s->last_done);
  s->last_done = p->done;
  s->reports++;
}

static void
async_done (GObject *source, GAsyncResult *res, gpointer data)
{
  AsyncState *s = data;

  s->ok = bs_sweep_run_finish (res, &s->summary, &s->error);
  g_main_loop_quit (s->loop);
}

/* The asynchronous runner reports progress in the caller's thread and ends
 * with the same summary. */
static void
test_async (Fixture *fx, gconstpointer data)
{
  g_autoptr (BsProject) p = open_project (fx->dir, 0);
  bs_target *t = load_target ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = bs_store_open (fx->db, &error);
  AsyncState s = { .loop = g_main_loop_new (NULL, FALSE), .main_thread = g_thread_self () };
  BsSweepSpec spec;

  bs_sweep_spec_init (&spec, BS_STRATEGY_SENSITIVITY);
  g_assert_true (bs_sweep_spec_set_formats (&spec, "fixed8,fixed4,int4", &error));
  bs_sweep_run_async (p, t, store, &spec, NULL, async_progress, &s, async_done, &s);
  bs_sweep_spec_clear (&spec);     /* the runner keeps its own copy */
  g_main_loop_run (s.loop);
  g_assert_no_error (s.error);
  g_assert_true (s.ok);
  g_assert_cmpstr (s.summary.status, ==, "done");
  /* 3 layers × 3 formats, the rest fp32 */
  g_assert_cmpuint (s.summary.calls, ==, 9);
  g_assert_cmpuint (s.last_done, ==, 9);
  g_assert_cmpuint (s.reports, >=, 1);
  g_main_loop_unref (s.loop);
  bs_target_free (t);
}

/* A stored result, exported as XML, read back and evaluated afresh (a new
 * project, so nothing cached) gives the stored top-1 exactly. */
static void
test_xml_reproduces (Fixture *fx, gconstpointer data)
{
  g_autofree char *xml = g_build_filename (fx->dir, "front.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL, docs = NULL, back = NULL;
  g_autoptr (BsStore) store = NULL;
  BsSweepSpec spec;
  BsSweepSummary s;
  bs_target *t = load_target ();
  g_autofree char *target_sha = bs_store_hash_file (bs_target_path (t), &error);

  bs_sweep_spec_init (&spec, BS_STRATEGY_RANDOM);
  g_assert_true (bs_sweep_spec_set_formats (&spec, "fp32,fixed8,fixed4,fp8_e4m3,posit6_1",
                                            &error));
  spec.budget = 12;
  run_sweep (fx->dir, fx->db, &spec, &s);
  store = bs_store_open (fx->db, &error);
  rows = bs_store_list_results (store, s.sweep_id, FALSE, &error);
  g_assert_cmpuint (rows->len, ==, 12);

  {
    g_autoptr (BsProject) p = open_project (fx->dir, 0);
    docs = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_xml_config_free);
    for (guint i = 0; i < rows->len; i++)
      {
        const BsStoreResult *r = rows->pdata[i];
        char err[256];
        bs_config *cfg = bs_config_parse (r->canonical, err, sizeof err);
        bs_metrics m = { .top1 = r->m.top1, .top5 = r->m.top5, .energy_pj = r->m.energy_pj,
                         .compute_pj = r->m.compute_pj, .memory_pj = r->m.memory_pj,
                         .mean_weight_bits = r->m.mean_weight_bits,
                         .mean_input_bits = r->m.mean_input_bits };
        g_assert_nonnull (cfg);
        g_ptr_array_add (docs, bs_project_config_to_xml (p, cfg, bs_target_name (t), target_sha,
                                                         &m, r->m.path, r->m.images));
        bs_config_free (cfg);
      }
    g_assert_true (bs_xml_write (xml, docs, &error));
    g_assert_no_error (error);
  }

  back = bs_xml_read (xml, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, rows->len);
  {
    g_autoptr (BsProject) fresh = open_project (fx->dir, 0);
    for (guint i = 0; i < back->len; i++)
      {
        const BsStoreResult *r = rows->pdata[i];
        const BsXmlConfig *x = back->pdata[i];
        bs_config *cfg = bs_project_config_from_xml (fresh, x, &error);
        char *canon;
        bs_metrics m;
        g_assert_no_error (error);
        canon = bs_config_to_string (cfg);
        g_assert_cmpstr (canon, ==, r->canonical);
        g_assert_cmpfloat (x->metrics.top1, ==, r->m.top1);
        g_assert_true (bs_project_evaluate (fresh, cfg, t, &m, NULL, NULL, &error));
        g_assert_no_error (error);
        g_assert_cmpfloat (m.top1, ==, r->m.top1);
        g_assert_cmpfloat (m.top5, ==, r->m.top5);
        g_assert_cmpfloat (m.energy_pj, ==, r->m.energy_pj);
        free (canon);
        bs_config_free (cfg);
      }
  }
  bs_target_free (t);
  bs_sweep_spec_clear (&spec);
}

/* A version-1 database (before infeasible results were kept) is migrated in
 * place: its results become feasible ones, and sweeps go on. */
static void
test_migrate_v1 (Fixture *fx, gconstpointer data)
{
  BsSweepSpec spec;
  BsSweepSummary s1, s2;
  g_autoptr (GError) error = NULL;
  sqlite3 *h = NULL;

  bs_sweep_spec_init (&spec, BS_STRATEGY_GRID);
  g_assert_true (bs_sweep_spec_set_formats (&spec, "fp32,fixed8,fixed4", &error));
  run_sweep (fx->dir, fx->db, &spec, &s1);
  /* take the database back to version 1 */
  g_assert_cmpint (sqlite3_open (fx->db, &h), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (h, "DROP INDEX sweep_results_result;"
                                    "ALTER TABLE results DROP COLUMN note;"
                                    "ALTER TABLE results DROP COLUMN feasible;"
                                    "PRAGMA user_version = 1", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (h);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM pragma_table_info('results') "
                                    "WHERE name = 'feasible'"), ==, 0);

  run_sweep (fx->dir, fx->db, &spec, &s2);
  g_assert_cmpint (sql_int (fx->db, "PRAGMA user_version"), ==, BS_STORE_SCHEMA_VERSION);
  g_assert_cmpint (sql_int (fx->db, "SELECT count(*) FROM results WHERE feasible = 1"), ==, 3);
  g_assert_true (s2.resumed);
  g_assert_cmpuint (s2.from_store, ==, 3);
  g_assert_cmpuint (s2.evaluated, ==, 0);
  assert_integrity (fx->db);
  bs_sweep_spec_clear (&spec);
}

/* Every strategy through the sweep runner, once with the evaluator's prefix
 * cache (and the strategies' hints) and once without a cache, into two
 * databases: the same configurations in the same order with the same stored
 * metrics, bit for bit. */
static void
test_cache_identical (Fixture *fx, gconstpointer data)
{
  g_autofree char *db_nocache = g_build_filename (fx->dir, "nocache.bitscape", NULL);
  const char *dbs[2] = { fx->db, db_nocache };
  bs_target *t = load_target ();

  for (int s = 0; s < BS_N_STRATEGIES; s++)
    {
      GPtrArray *rows[2] = { NULL, NULL };

      for (int c = 0; c < 2; c++)
        {
          g_autoptr (BsProject) p = open_project_cache (fx->dir, 0, c == 0 ? 0 : 1);
          g_autoptr (GError) error = NULL;
          g_autoptr (BsStore) store = bs_store_open (dbs[c], &error);
          BsSweepSpec spec;
          BsSweepSummary sum;

          g_assert_no_error (error);
          bs_sweep_spec_init (&spec, (bs_strategy) s);
          g_assert_true (bs_sweep_spec_set_formats (&spec, s == BS_STRATEGY_GREEDY
                                                    ? "fixed8,fixed6,fixed4,fixed3,fixed2"
                                                    : "fp32,fixed8,fixed4,int4,fp8_e4m3",
                                                    &error));
          spec.tensors = s == BS_STRATEGY_GREEDY ? BS_TENSORS_TIED : BS_TENSORS_SEPARATE;
          spec.target_drop = 2;
          spec.budget = s == BS_STRATEGY_RANDOM || s == BS_STRATEGY_NSGA2 ? 30 : 0;
          spec.population = 8;
          g_assert_true (bs_sweep_run (p, t, store, &spec, NULL, NULL, NULL, &sum, &error));
          g_assert_no_error (error);
          g_assert_false (sum.resumed);
          g_assert_cmpuint (sum.evaluated, >, 4);
          rows[c] = bs_store_list_results (store, sum.sweep_id, FALSE, &error);
          g_assert_no_error (error);
          bs_sweep_summary_clear (&sum);
          bs_sweep_spec_clear (&spec);
        }
      g_assert_cmpuint (rows[0]->len, ==, rows[1]->len);
      for (guint i = 0; i < rows[0]->len; i++)
        {
          const BsStoreResult *a = rows[0]->pdata[i], *b = rows[1]->pdata[i];
          const double va[] = { a->m.top1, a->m.top5, a->m.energy_pj, a->m.compute_pj,
                                a->m.memory_pj, a->m.weight_sparsity, a->m.input_sparsity,
                                a->m.mean_weight_bits, a->m.mean_input_bits };
          const double vb[] = { b->m.top1, b->m.top5, b->m.energy_pj, b->m.compute_pj,
                                b->m.memory_pj, b->m.weight_sparsity, b->m.input_sparsity,
                                b->m.mean_weight_bits, b->m.mean_input_bits };
          g_assert_cmpstr (a->canonical, ==, b->canonical);
          g_assert_cmpint (a->infeasible, ==, b->infeasible);
          g_assert_cmpint (a->on_front, ==, b->on_front);
          for (guint k = 0; k < G_N_ELEMENTS (va); k++)
            if (memcmp (&va[k], &vb[k], sizeof va[k]) != 0)
              g_error ("%s, result %u (%s), metric %u: %.17g with the cache, %.17g without",
                       bs_strategy_name ((bs_strategy) s), i, a->canonical, k, va[k], vb[k]);
        }
      g_ptr_array_unref (rows[0]);
      g_ptr_array_unref (rows[1]);
    }
  bs_target_free (t);
}

/* The greedy search on the bundled CNN (a subset of the test images) settles
 * on what the strategy's definition implies.  The configurations the
 * definition implies are written out here: for each layer in order, its
 * inputs and then its weights (layers before it as settled, later ones
 * fp32), every rung of the ladder down to the chosen one reaches the target
 * (fp32 top-1 minus the allowed drop) and the next rung does not — or, for a
 * tensor left at fp32, the first rung already fails.  Each of them must be
 * among the sweep's stored results (the search tried exactly these); the fp32
 * baseline and the settled configuration are evaluated again here and must
 * agree with what was stored. */
#define CNN_LADDER_N 6
static const char *const cnn_ladder[CNN_LADDER_N] = {
  "fixed8", "fixed7", "fixed6", "fixed5", "fixed4", "fixed3",
};

/* The canonical text of the configuration with layers < l as in final,
 * layer l (w, a) and the later layers fp32. */
static char *
cnn_config (const bs_config *final, int l, const char *w, const char *a)
{
  int n = bs_config_n_layers (final);
  g_autoptr (GString) text = g_string_new ("v1");
  bs_config *cfg;
  char err[256], *canon, *out;

  for (int i = 0; i < n; i++)
    {
      const char *wi = i < l ? bs_config_layer (final, i)->weight : i == l ? w : "fp32";
      const char *ai = i < l ? bs_config_layer (final, i)->input : i == l ? a : "fp32";
      if (strcmp (wi, "fp32") == 0 && strcmp (ai, "fp32") == 0)
        g_string_append_printf (text, ";L%d:w=fp32,a=fp32,acc=fp32,s=none", i);
      else
        g_string_append_printf (text, ";L%d:w=%s,a=%s,acc=fp32,s=auto", i, wi, ai);
    }
  cfg = bs_config_parse (text->str, err, sizeof err);
  if (!cfg)
    g_error ("%s: %s", text->str, err);
  canon = bs_config_to_string (cfg);
  g_assert_cmpstr (canon, ==, text->str);
  out = g_strdup (canon);
  free (canon);
  bs_config_free (cfg);
  return out;
}

/* top-1 of a configuration: stored by the sweep (it must be there), NAN if
 * stored as infeasible */
static double
cnn_stored_top1 (GHashTable *stored, const char *canon)
{
  const BsStoreResult *r = g_hash_table_lookup (stored, canon);

  if (!r)
    g_error ("the greedy search never evaluated %s", canon);
  return r->infeasible ? NAN : r->m.top1;
}

/* top-1 of a configuration, evaluated here */
static double
cnn_eval_top1 (BsProject *p, const char *canon)
{
  g_autoptr (GError) error = NULL;
  bs_config *cfg = bs_config_parse (canon, NULL, 0);
  bs_metrics m;
  bs_eval_result ev;

  g_assert_nonnull (cfg);
  g_assert_true (bs_project_evaluate (p, cfg, NULL, &m, &ev, NULL, &error));
  g_assert_no_error (error);
  bs_eval_result_clear (&ev);
  bs_config_free (cfg);
  return m.top1;
}

static int
rung_of (const char *name)
{
  for (int r = 0; r < CNN_LADDER_N; r++)
    if (strcmp (cnn_ladder[r], name) == 0)
      return r;
  g_assert_cmpstr (name, ==, "fp32");
  return -1;
}

static void
test_greedy_cnn_definition (Fixture *fx, gconstpointer data)
{
  const char *root = g_getenv ("BS_SOURCE_ROOT");
  g_autofree char *model = g_build_filename (root ? root : ".", "data", "models",
                                             "fmnist-cnn.onnx", NULL);
  g_autofree char *base_text = NULL;
  BsProjectOptions o = BS_PROJECT_OPTIONS_INIT;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsProject) p = NULL;
  g_autoptr (BsStore) store = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GHashTable) stored = NULL;
  bs_target *t;
  bs_config *final;
  BsSweepSpec spec;
  BsSweepSummary sum;
  char err[256];
  double base, target;
  int n, lowered = 0;

  if (!g_file_test (model, G_FILE_TEST_EXISTS)
      || !g_file_test (BS_FASHION_MNIST_DIR, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("needs data/models/fmnist-cnn.onnx and " BS_FASHION_MNIST_DIR);
      return;
    }
  o.threads = 2;
  o.limit = 100;
  p = bs_project_open (model, "fashion-mnist", &o, &error);
  g_assert_no_error (error);
  store = bs_store_open (fx->db, &error);
  g_assert_no_error (error);
  t = load_target ();

  bs_sweep_spec_init (&spec, BS_STRATEGY_GREEDY);
  g_assert_true (bs_sweep_spec_set_formats (&spec, "fixed8,fixed7,fixed6,fixed5,fixed4,fixed3",
                                            &error));
  spec.target_drop = 1;
  g_assert_true (bs_sweep_run (p, t, store, &spec, NULL, NULL, NULL, &sum, &error));
  g_assert_no_error (error);
  g_assert_nonnull (sum.best);
  final = bs_config_parse (sum.best, err, sizeof err);
  g_assert_nonnull (final);
  n = bs_config_n_layers (final);
  g_assert_cmpint (n, ==, 4);
  rows = bs_store_list_results (store, sum.sweep_id, FALSE, &error);
  g_assert_no_error (error);
  stored = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < rows->len; i++)
    g_hash_table_insert (stored, ((BsStoreResult *) rows->pdata[i])->canonical, rows->pdata[i]);

  base_text = cnn_config (final, 0, "fp32", "fp32");
  base = cnn_eval_top1 (p, base_text);
  g_assert_cmpfloat (cnn_stored_top1 (stored, base_text), ==, base);
  g_assert_cmpfloat (cnn_eval_top1 (p, sum.best), ==, sum.best_top1);
  target = base - 1;
  g_assert_cmpfloat (sum.best_top1, >=, target);
  for (int l = 0; l < n; l++)
    for (int phase = 0; phase < 2; phase++)
      {
        const bs_layer_config *lc = bs_config_layer (final, l);
        const char *chosen = phase == 0 ? lc->input : lc->weight;
        int r = rung_of (chosen);
        /* every rung down to the chosen one passes, the next one fails */
        for (int k = 0; k <= r + 1 && k < CNN_LADDER_N; k++)
          {
            g_autofree char *text = phase == 0 ? cnn_config (final, l, "fp32", cnn_ladder[k])
                                               : cnn_config (final, l, cnn_ladder[k], lc->input);
            double top1 = cnn_stored_top1 (stored, text);
            if (k <= r && !(top1 >= target))
              g_error ("layer %d %s: %s gives %.2f %%, below the target %.2f %%", l,
                       phase ? "weights" : "inputs", cnn_ladder[k], top1, target);
            if (k == r + 1 && top1 >= target)
              g_error ("layer %d %s: greedy stopped at %s, but %s gives %.2f %% >= %.2f %%", l,
                       phase ? "weights" : "inputs", chosen, cnn_ladder[k], top1, target);
          }
        lowered += r >= 0;
      }
  /* not trivially: something was lowered */
  g_assert_cmpint (lowered, >, 0);
  g_test_message ("greedy on fmnist-cnn, 100 images: %s (top-1 %.2f %%, fp32 %.2f %%)", sum.best,
                  sum.best_top1, base);
  bs_config_free (final);
  bs_target_free (t);
  bs_sweep_summary_clear (&sum);
  bs_sweep_spec_clear (&spec);
}

int
main (int argc, char **argv)
{
  if (argc == 5 && strcmp (argv[1], "--sweep-child") == 0)
    return child_main (argv);
  self_exe = argv[0];
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/app/sweep/spec/canonical-text", test_spec_text);
  ADD ("/app/sweep/grid/stores-each-once", test_grid_once);
  ADD ("/app/sweep/store/shared-between-sweeps", test_shared_results);
  ADD ("/app/sweep/resume/after-sigkill", test_resume_after_kill);
  ADD ("/app/sweep/store/two-processes", test_two_processes);
  ADD ("/app/sweep/front/sweep-brute-force", test_front_sweep);
  ADD ("/app/sweep/front/crafted-brute-force", test_front_crafted);
  ADD ("/app/sweep/infeasible/remembered", test_infeasible);
  ADD ("/app/sweep/cancel/resumes", test_cancel_resume);
  ADD ("/app/sweep/async/progress-in-caller", test_async);
  ADD ("/app/sweep/xml/reproduces-top1", test_xml_reproduces);
  ADD ("/app/sweep/store/migrates-v1", test_migrate_v1);
  ADD ("/app/sweep/cache/same-results", test_cache_identical);
  ADD ("/app/sweep/greedy/cnn-definition", test_greedy_cnn_definition);
  return g_test_run ();
}
