/* PyTorch-exported models: networks built in PyTorch and exported with
 * torch.onnx.export at opsets 9, 13 and 17 (tests/data/torch, made by
 * make-models.py there) load, give PyTorch's own outputs on a batch of
 * inputs (max abs error ≤ 1e-4), and round-trip through Bitscape's ONNX
 * exporter with bit-identical outputs.  When Debian's python3-torch and
 * python3-onnx are installed, the generator is also re-run into a temporary
 * directory and its fresh files are checked the same way. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-onnx.h"

/* Fail the current test with a message (and keep going under -k). */
#define nn_fail(...)                                                           \
  G_STMT_START {                                                               \
    g_autofree char *_m = g_strdup_printf (__VA_ARGS__);                       \
    g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, _m);     \
  } G_STMT_END

#define TOLERANCE 1e-4
#define MAX_OUTPUTS 2

static const int opsets[] = { 9, 13, 17 };

/* The networks of make-models.py: their outputs, and the ONNX ops each
 * export must contain (what the network was written to exercise). */
static const struct {
  const char *name;
  int n_outputs;
  const char *ops[16];
} models[] = {
  { "mlp", 2, { "Flatten", "Gemm", "Relu", "BatchNormalization", "Clip", "MatMul", "Softmax" } },
  { "cnn", 1, { "Conv", "Relu", "MaxPool", "Clip", "AveragePool", "Add", "Flatten", "Gemm" } },
  { "resnet", 1, { "Conv", "Relu", "BatchNormalization", "Add", "Clip", "MaxPool", "Concat",
                   "AveragePool", "GlobalAveragePool", "Flatten", "Gemm" } },
  /* x.view(x.size(0), -1): the Shape → Gather → Unsqueeze → Concat chain is
   * folded at load into the Reshape's constant shape (checked below) */
  { "patterns", 1, { "Conv", "Relu", "Pad", "AveragePool", "Mul", "Sub", "Div", "Reshape",
                     "Gemm" } },
};

/* The patterns model: no shape arithmetic left, and its Reshape reads the
 * constant shape [0, -1] (copy the batch, flatten the rest). */
static void
check_folded_view (const char *file, const bs_graph *g)
{
  int reshapes = 0;

  for (int i = 0; i < g->n_nodes; i++)
    {
      const bs_node *n = &g->nodes[i];
      const bs_value *sv;
      g_assert_cmpint (n->op, !=, BS_OP_SHAPE);
      g_assert_cmpint (n->op, !=, BS_OP_GATHER);
      g_assert_cmpint (n->op, !=, BS_OP_UNSQUEEZE);
      g_assert_cmpint (n->op, !=, BS_OP_CONCAT);
      if (n->op != BS_OP_RESHAPE)
        continue;
      reshapes++;
      sv = &g->values[n->inputs[1]];
      g_assert_cmpint (sv->kind, ==, BS_VALUE_INITIALIZER);
      g_assert_cmpint (sv->dtype, ==, BS_DT_INT64);
      g_assert_cmpint (bs_tensor_numel (&sv->data), ==, 2);
      if (bs_tensor_i64 (&sv->data)[0] != 0 || bs_tensor_i64 (&sv->data)[1] != -1)
        nn_fail ("%s: Reshape shape is [%lld, %lld], expected [0, -1]", file,
                 (long long) bs_tensor_i64 (&sv->data)[0],
                 (long long) bs_tensor_i64 (&sv->data)[1]);
    }
  g_assert_cmpint (reshapes, ==, 1);
}

typedef struct {
  const char *dir;    /* NULL: the committed tests/data/torch */
  int model;
  int opset;
} Case;

static char *
data_path (const char *dir, const char *name)
{
  if (dir)
    return g_build_filename (dir, name, NULL);
  return g_test_build_filename (G_TEST_DIST, "data", "torch", name, NULL);
}

static gboolean
load_pb (const char *dir, const char *name, bs_tensor *t)
{
  g_autofree char *path = data_path (dir, name);
  char err[512];

  if (bs_tensor_load_pb (path, t, NULL, err, sizeof err) < 0)
    {
      nn_fail ("%s", err);
      return FALSE;
    }
  return TRUE;
}

static gboolean
graph_has_op (const bs_graph *g, const char *op)
{
  for (int i = 0; i < g->n_nodes; i++)
    if (strcmp (bs_op_name (g->nodes[i].op), op) == 0)
      return TRUE;
  return FALSE;
}

/* Run the whole batch in chunks of 3 on 2 threads (so the batch is split,
 * with a short last chunk). */
static gboolean
run (const bs_graph *g, const bs_tensor *in, int n_outputs, bs_tensor *out)
{
  bs_run_opts o = { .n_threads = 2, .chunk = 3 };
  char err[512];

  if (bs_graph_run (g, in, n_outputs, out, &o, err, sizeof err) < 0)
    {
      nn_fail ("run: %s", err);
      return FALSE;
    }
  return TRUE;
}

static double
max_abs_error (const bs_tensor *got, const bs_tensor *want)
{
  const float *a = bs_tensor_f32 (got), *b = bs_tensor_f32 (want);
  double m = 0;

  for (int64_t i = 0; i < bs_tensor_numel (want); i++)
    {
      double d = fabs ((double) a[i] - (double) b[i]);
      if (isnan (d))
        return INFINITY;
      if (d > m)
        m = d;
    }
  return m;
}

static void
test_model (gconstpointer data)
{
  const Case *c = data;
  const char *name = models[c->model].name;
  int n_out = models[c->model].n_outputs;
  g_autofree char *file = g_strdup_printf ("%s-opset%d.onnx", name, c->opset);
  g_autofree char *path = data_path (c->dir, file);
  g_autofree char *in_name = g_strdup_printf ("%s-input.pb", name);
  bs_graph *g = NULL, *g2 = NULL;
  bs_tensor in = { 0 }, want[MAX_OUTPUTS] = { { 0 } };
  bs_tensor got[MAX_OUTPUTS] = { { 0 } }, got2[MAX_OUTPUTS] = { { 0 } };
  uint8_t *buf = NULL;
  size_t len = 0;
  char err[512];

  if (bs_onnx_load (path, &g, err, sizeof err) < 0)
    {
      nn_fail ("%s", err);
      return;
    }
  /* the file is what it claims: the opset asked of torch.onnx.export, and
   * the ops the network was written to produce */
  g_assert_cmpint (g->opset, ==, c->opset);
  g_assert_cmpstr (g->producer, ==, "pytorch");
  for (int k = 0; models[c->model].ops[k]; k++)
    if (!graph_has_op (g, models[c->model].ops[k]))
      nn_fail ("%s: no %s node", file, models[c->model].ops[k]);
  g_assert_cmpint (g->n_outputs, ==, n_out);
  if (strcmp (name, "patterns") == 0)
    check_folded_view (file, g);

  if (!load_pb (c->dir, in_name, &in))
    goto out;
  g_assert_cmpint (in.shape.ndim, ==, 4);
  for (int k = 0; k < n_out; k++)
    {
      g_autofree char *o = g_strdup_printf ("%s-output_%d.pb", name, k);
      if (!load_pb (c->dir, o, &want[k]))
        goto out;
      g_assert_cmpint (want[k].shape.dims[0], ==, in.shape.dims[0]);
    }

  /* PyTorch's outputs */
  if (!run (g, &in, n_out, got))
    goto out;
  for (int k = 0; k < n_out; k++)
    {
      double e;
      g_assert_true (bs_shape_equal (&got[k].shape, &want[k].shape));
      e = max_abs_error (&got[k], &want[k]);
      g_test_message ("%s output %d: max abs error %.3g", file, k, e);
      if (!(e <= TOLERANCE))
        nn_fail ("%s: output %d differs from PyTorch's by %.3g (> %g)", file, k, e, TOLERANCE);
    }

  /* Bitscape's exporter, reloaded: the same graph, bit for bit the same
   * outputs */
  if (bs_onnx_save_buffer (g, &buf, &len, err, sizeof err) < 0
      || bs_onnx_load_buffer (buf, len, "<exported>", &g2, err, sizeof err) < 0)
    {
      nn_fail ("%s: export and reload: %s", file, err);
      goto out;
    }
  g_assert_cmpint (g2->opset, ==, c->opset);
  g_assert_cmpint (g2->n_nodes, ==, g->n_nodes);
  for (int i = 0; i < g->n_nodes; i++)
    g_assert_cmpint (g2->nodes[i].op, ==, g->nodes[i].op);
  if (strcmp (name, "patterns") == 0)
    check_folded_view (file, g2);
  if (!run (g2, &in, n_out, got2))
    goto out;
  for (int k = 0; k < n_out; k++)
    {
      g_assert_true (bs_shape_equal (&got2[k].shape, &got[k].shape));
      if (memcmp (got2[k].data, got[k].data, (size_t) bs_tensor_numel (&got[k]) * sizeof (float))
          != 0)
        nn_fail ("%s: output %d changed after export and reload (max abs difference %.3g)",
                 file, k, max_abs_error (&got2[k], &got[k]));
    }

out:
  free (buf);
  bs_graph_free (g);
  bs_graph_free (g2);
  bs_tensor_clear (&in);
  for (int k = 0; k < MAX_OUTPUTS; k++)
    {
      bs_tensor_clear (&want[k]);
      bs_tensor_clear (&got[k]);
      bs_tensor_clear (&got2[k]);
    }
}

/* The committed expected outputs are PyTorch's: re-run the generator (when
 * torch is installed) and compare its fresh outputs, then run the fresh
 * models through the same checks. */
static void
test_regenerate (void)
{
  const char *python = "/usr/bin/python3";
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "data", "torch",
                                                   "make-models.py", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL, *out = NULL, *errout = NULL;
  int status = 0;

  {
    const char *probe[] = { python, "-c", "import torch, onnx", NULL };
    if (!g_file_test (python, G_FILE_TEST_IS_EXECUTABLE)
        || !g_spawn_sync (NULL, (char **) probe, NULL, G_SPAWN_STDOUT_TO_DEV_NULL
                          | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL)
        || !g_spawn_check_wait_status (status, NULL))
      {
        g_test_skip ("python3-torch / python3-onnx are not installed");
        return;
      }
  }
  dir = g_dir_make_tmp ("nn-torch-XXXXXX", &error);
  g_assert_no_error (error);
  {
    const char *argv[] = { python, script, dir, NULL };
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errout,
                  &status, &error);
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, NULL))
      nn_fail ("make-models.py failed: %s", errout);
  }

  for (gsize m = 0; m < G_N_ELEMENTS (models); m++)
    {
      for (int k = 0; k < models[m].n_outputs; k++)
        {
          g_autofree char *o = g_strdup_printf ("%s-output_%d.pb", models[m].name, k);
          bs_tensor fresh = { 0 }, committed = { 0 };
          if (load_pb (dir, o, &fresh) && load_pb (NULL, o, &committed))
            {
              double e;
              g_assert_true (bs_shape_equal (&fresh.shape, &committed.shape));
              /* the same seeds and ops; only PyTorch's CPU kernels (summation
               * order, vector width) may differ between machines */
              e = max_abs_error (&fresh, &committed);
              g_test_message ("%s: fresh vs committed, max abs difference %.3g", o, e);
              if (!(e <= 1e-5))
                nn_fail ("%s: the generator now gives outputs %.3g away from the committed ones",
                         o, e);
            }
          bs_tensor_clear (&fresh);
          bs_tensor_clear (&committed);
        }
      for (gsize s = 0; s < G_N_ELEMENTS (opsets); s++)
        {
          Case c = { dir, (int) m, opsets[s] };
          test_model (&c);
        }
    }

  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name (d)))
      {
        g_autofree char *p = g_build_filename (dir, n, NULL);
        g_unlink (p);
      }
    g_rmdir (dir);
  }
}

int
main (int argc, char **argv)
{
  static Case cases[G_N_ELEMENTS (models) * G_N_ELEMENTS (opsets)];
  int n = 0;

  g_test_init (&argc, &argv, NULL);
  for (gsize m = 0; m < G_N_ELEMENTS (models); m++)
    for (gsize s = 0; s < G_N_ELEMENTS (opsets); s++)
      {
        g_autofree char *path = g_strdup_printf ("/nn-torch/%s/opset%d", models[m].name,
                                                 opsets[s]);
        cases[n] = (Case) { NULL, (int) m, opsets[s] };
        g_test_add_data_func (path, &cases[n], test_model);
        n++;
      }
  g_test_add_func ("/nn-torch/regenerate", test_regenerate);
  return g_test_run ();
}
