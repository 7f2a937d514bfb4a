/* ONNX import and export: the ONNX backend node tests (Debian's
 * libonnx-testdata) for every supported op, export → import round trips,
 * corrupt and truncated files, error messages, TensorProto files, and the
 * BatchNormalization fold. */
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bs-onnx.h"
#include "onnx.pb-c.h"
#include "bs-test-ref.h"
#include "test-nn-util.h"

/* Fail the current test with a message (and keep going under -k). */
#define nn_fail(...)                                                           \
  G_STMT_START {                                                               \
    g_autofree char *_m = g_strdup_printf (__VA_ARGS__);                       \
    g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, _m);     \
  } G_STMT_END

#define DATA_DIR "/usr/share/libonnx-testdata/data"
#define NODE_DIR DATA_DIR "/node"

/* Test collections: the node tests, and the small PyTorch-exported models
 * (opset 6, IR 3: initializers listed as inputs, Clip/Softmax old forms). */
static const char *const collections[] = { "node", "pytorch-converted", "pytorch-operator", NULL };

static const char *const supported_ops[] = {
  "Conv", "Gemm", "MatMul", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
  "BatchNormalization", "Add", "Flatten", "Reshape", "Softmax", "Concat", "Identity", "Dropout",
  "Constant", "Mul", "Sub", "Div", "Pad", "Shape", "Gather", "Unsqueeze", "Squeeze", "Cast",
  NULL,
};

/* Backend tests whose models use the supported ops but a feature outside the
 * engine's scope (glob patterns on the directory name); each must fail to
 * load with a clean error. */
static const struct {
  const char *pattern, *reason;
} skips[] = {
  { "test_add_uint8", "uint8 tensors (the engine computes in float32)" },
  { "test_clip_default_int8_*", "int8 tensors" },
  { "test_maxpool_2d_uint8", "uint8 tensors" },
  { "test_operator_add_*", "float64 tensors" },
  { "test_operator_addconstant", "float64 tensors" },
  { "test_averagepool_3d_*", "3-D windows (1-D and 2-D only)" },
  { "test_maxpool_3d_*", "3-D windows (1-D and 2-D only)" },
  { "test_AvgPool3d*", "3-D windows (1-D and 2-D only)" },
  { "test_MaxPool3d*", "3-D windows (1-D and 2-D only)" },
  { "test_Conv3d*", "3-D windows (1-D and 2-D only)" },
  { "test_maxpool_with_argmax_*", "MaxPool's Indices output" },
  { "test_batchnorm_*_training_mode", "BatchNormalization training mode" },
  { "test_dropout_default_mask*", "Dropout's bool mask output" },
  { "test_training_dropout*", "Dropout training mode (bool input)" },
  { "test_identity_opt", "optional-typed values" },
  { "test_identity_sequence", "sequence-typed values" },
  { "test_cast_*", "float16, bfloat16, float64 and string tensors" },
  { "test_castlike_*", "float16, bfloat16, float64 and string tensors" },
  { "test_div_uint8", "uint8 tensors" },
  { "test_mul_uint8", "uint8 tensors" },
  { "test_sub_uint8", "uint8 tensors" },
  { "test_edge_pad", "Pad mode edge (and int32 tensors)" },
  { "test_reflect_pad", "Pad mode reflect (and int32 tensors)" },
  { "test_ReflectionPad2d", "Pad mode reflect" },
  { "test_ReplicationPad2d", "Pad mode edge" },
  { "test_operator_pad", "Pad mode reflect" },
  { "test_operator_non_float_params", "int64 arithmetic (Add on int64 tensors)" },
};

static const char *
skip_reason (const char *name)
{
  for (size_t i = 0; i < G_N_ELEMENTS (skips); i++)
    if (g_pattern_match_simple (skips[i].pattern, name))
      return skips[i].reason;
  return NULL;
}

/* Whether every node of dir/model.onnx has a supported op (read with the
 * generated protobuf-c code directly, not through the importer). */
static gboolean
uses_supported_ops (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  g_autofree char *buf = NULL;
  gsize len;
  Onnx__ModelProto *m;
  gboolean ok = TRUE;

  if (!g_file_get_contents (path, &buf, &len, NULL))
    return FALSE;
  m = onnx__model_proto__unpack (NULL, len, (const uint8_t *) buf);
  if (!m || !m->graph)
    {
      if (m)
        onnx__model_proto__free_unpacked (m, NULL);
      return FALSE;
    }
  for (size_t i = 0; i < m->graph->n_node && ok; i++)
    {
      gboolean known = FALSE;
      for (int k = 0; supported_ops[k]; k++)
        known = known || g_strcmp0 (m->graph->node[i]->op_type, supported_ops[k]) == 0;
      ok = known;
    }
  onnx__model_proto__free_unpacked (m, NULL);
  return ok;
}

static void
load_pb (const char *path, bs_tensor *t, char **name)
{
  char err[400];
  if (bs_tensor_load_pb (path, t, name, err, sizeof err) < 0)
    nn_fail ("%s", err);
}

/* Run one node-test directory: inputs input_<i>.pb in graph-input order
 * (int64 ones — Reshape shapes — bound as constants), outputs compared to
 * output_<i>.pb. */
static void
test_node (gconstpointer data)
{
  const char *name = strchr (data, '/') + 1;
  g_autofree char *dir = g_build_filename (DATA_DIR, (const char *) data, NULL);
  g_autofree char *model = g_build_filename (dir, "model.onnx", NULL);
  const char *reason = skip_reason (name);
  bs_graph *g = NULL;
  bs_exec *x = NULL;
  char err[512];
  bs_tensor ins[16] = { { 0 } };
  char *in_names[16] = { 0 };
  int n_in = 0, n_float = 0;
  bs_shape shapes[16];

  if (reason)
    {
      /* a skipped model must be refused, not silently mis-run */
      int rc = bs_onnx_load (model, &g, err, sizeof err);
      bs_graph_free (g);
      g_assert_cmpint (rc, ==, -1);
      g_assert_nonnull (strstr (err, "model.onnx"));
      g_test_skip_printf ("%s: %s (load error: %s)", name, reason, err);
      return;
    }
  if (bs_onnx_load (model, &g, err, sizeof err) < 0)
    {
      nn_fail ("%s", err);
      return;
    }

  /* inputs, by graph-input order */
  int n_graph_in = g->n_inputs;
  g_autofree char **graph_in = g_new0 (char *, n_graph_in + 1);
  for (int i = 0; i < n_graph_in; i++)
    graph_in[i] = g_strdup (g->values[g->inputs[i]].name);
  for (;; n_in++)
    {
      g_autofree char *p = g_strdup_printf ("%s/test_data_set_0/input_%d.pb", dir, n_in);
      if (!g_file_test (p, G_FILE_TEST_EXISTS))
        break;
      g_assert_cmpint (n_in, <, n_graph_in);
      load_pb (p, &ins[n_in], &in_names[n_in]);
    }
  g_assert_cmpint (n_in, ==, n_graph_in);
  for (int i = 0; i < n_in; i++)
    if (ins[i].dtype == BS_DT_INT64)
      g_assert_cmpint (bs_graph_bind_input (g, graph_in[i], &ins[i], err, sizeof err), ==, 0);
  for (int i = 0; i < n_in; i++)
    if (ins[i].dtype == BS_DT_FLOAT)
      {
        g_assert_cmpstr (g->values[g->inputs[n_float]].name, ==, graph_in[i]);
        shapes[n_float++] = ins[i].shape;
      }
  g_assert_cmpint (n_float, ==, g->n_inputs);
  x = bs_exec_new (g, shapes, err, sizeof err);
  if (!x)
    nn_fail ("%s: %s", name, err);
  for (int i = 0, k = 0; i < n_in; i++)
    if (ins[i].dtype == BS_DT_FLOAT)
      g_assert_cmpint (bs_exec_set_input (x, k++, bs_tensor_f32 (&ins[i]),
                                          bs_tensor_numel (&ins[i]), err, sizeof err), ==, 0);
  if (bs_exec_run (x, err, sizeof err) < 0)
    nn_fail ("%s: %s", name, err);

  for (int o = 0; o < g->n_outputs; o++)
    {
      g_autofree char *p = g_strdup_printf ("%s/test_data_set_0/output_%d.pb", dir, o);
      const bs_tensor *got = bs_exec_tensor (x, g->outputs[o]);
      bs_tensor want;
      char gs[64], ws[64];
      load_pb (p, &want, NULL);
      bs_shape_format (&got->shape, gs, sizeof gs);
      bs_shape_format (&want.shape, ws, sizeof ws);
      g_assert_cmpstr (gs, ==, ws);
      g_assert_cmpint (got->dtype, ==, want.dtype);
      if (want.dtype == BS_DT_INT64)   /* Shape: exact */
        g_assert_cmpmem (got->data, bs_tensor_numel (got) * sizeof (int64_t), want.data,
                         bs_tensor_numel (&want) * sizeof (int64_t));
      else
        {
          g_assert_cmpint (want.dtype, ==, BS_DT_FLOAT);
          nn_assert_close (bs_tensor_f32 (got), bs_tensor_f32 (&want), bs_tensor_numel (&want),
                           1e-4, name);
        }
      bs_tensor_clear (&want);
    }
  for (int i = 0; i < n_in; i++)
    {
      bs_tensor_clear (&ins[i]);
      g_free (in_names[i]);
    }
  for (int i = 0; i < n_graph_in; i++)
    g_free (graph_in[i]);
  bs_exec_free (x);
  bs_graph_free (g);
}

/* Every supported-op node test, with the counts that the report quotes. */
static void
test_node_summary (gconstpointer data)
{
  const GPtrArray *names = data;
  guint skipped = 0;
  for (guint i = 0; i < names->len; i++)
    skipped += skip_reason (strchr (g_ptr_array_index (names, i), '/') + 1) != NULL;
  g_test_message ("ONNX backend tests with supported ops: %u; run: %u; skipped: %u", names->len,
                  names->len - skipped, skipped);
  /* the op list covers at least these many of Debian's node tests */
  g_assert_cmpuint (names->len - skipped, >=, 100);
}

/* "collection/test_x" for every test directory whose ops are all supported. */
static GPtrArray *
node_test_names (void)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (int c = 0; collections[c]; c++)
    {
      g_autofree char *root = g_build_filename (DATA_DIR, collections[c], NULL);
      GDir *d = g_dir_open (root, 0, NULL);
      const char *e;
      if (!d)
        continue;
      while ((e = g_dir_read_name (d)))
        {
          g_autofree char *dir = g_build_filename (root, e, NULL);
          if (g_str_has_prefix (e, "test_") && uses_supported_ops (dir))
            g_ptr_array_add (names, g_strdup_printf ("%s/%s", collections[c], e));
        }
      g_dir_close (d);
    }
  return names;
}

static int
cmp_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
test_node_missing (void)
{
  g_test_skip ("libonnx-testdata is not installed (" NODE_DIR ")");
}

/* Round trips, corruption, errors ---------------------------------------------- */

static const char *
vname (const bs_graph *g, int v)
{
  return v >= 0 ? g->values[v].name : "";
}

/* Structural equality: opset, inputs, outputs, initializers (bitwise), nodes
 * in order with their inputs, outputs and attributes. */
static void
assert_graphs_equal (const bs_graph *a, const bs_graph *b)
{
  int na = 0, nb = 0;

  g_assert_cmpint (a->opset, ==, b->opset);
  g_assert_cmpint (a->n_inputs, ==, b->n_inputs);
  for (int i = 0; i < a->n_inputs; i++)
    {
      const bs_value *va = &a->values[a->inputs[i]], *vb = &b->values[b->inputs[i]];
      g_assert_cmpstr (va->name, ==, vb->name);
      g_assert_cmpint (va->dtype, ==, vb->dtype);
      g_assert_true (bs_shape_equal (&va->shape, &vb->shape));
    }
  g_assert_cmpint (a->n_outputs, ==, b->n_outputs);
  for (int i = 0; i < a->n_outputs; i++)
    g_assert_cmpstr (vname (a, a->outputs[i]), ==, vname (b, b->outputs[i]));
  for (int i = 0; i < a->n_values; i++)
    {
      const bs_value *va = &a->values[i], *vb;
      int j;
      if (va->kind != BS_VALUE_INITIALIZER)
        continue;
      na++;
      j = bs_graph_find_value (b, va->name);
      g_assert_cmpint (j, >=, 0);
      vb = &b->values[j];
      g_assert_cmpint (vb->kind, ==, BS_VALUE_INITIALIZER);
      g_assert_cmpint (va->dtype, ==, vb->dtype);
      g_assert_true (bs_shape_equal (&va->data.shape, &vb->data.shape));
      g_assert_cmpmem (va->data.data, bs_tensor_numel (&va->data) * bs_dtype_size (va->dtype),
                       vb->data.data, bs_tensor_numel (&vb->data) * bs_dtype_size (vb->dtype));
    }
  for (int i = 0; i < b->n_values; i++)
    nb += b->values[i].kind == BS_VALUE_INITIALIZER;
  g_assert_cmpint (na, ==, nb);
  g_assert_cmpint (a->n_nodes, ==, b->n_nodes);
  for (int j = 0; j < a->n_nodes; j++)
    {
      const bs_node *x = &a->nodes[j], *y = &b->nodes[j];
      g_assert_cmpint (x->op, ==, y->op);
      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpint (x->n_inputs, ==, y->n_inputs);
      for (int i = 0; i < x->n_inputs; i++)
        g_assert_cmpstr (vname (a, x->inputs[i]), ==, vname (b, y->inputs[i]));
      g_assert_cmpstr (vname (a, x->outputs[0]), ==, vname (b, y->outputs[0]));
      g_assert_cmpint (x->n_attrs, ==, y->n_attrs);
      for (int i = 0; i < x->n_attrs; i++)
        {
          const bs_attr *p = &x->attrs[i], *q = bs_node_attr (y, p->name);
          g_assert_nonnull (q);
          g_assert_cmpint (p->type, ==, q->type);
          switch (p->type)
            {
            case BS_ATTR_FLOAT: g_assert_true (p->f == q->f); break;
            case BS_ATTR_INT: g_assert_cmpint (p->i, ==, q->i); break;
            case BS_ATTR_STRING: g_assert_cmpstr (p->s, ==, q->s); break;
            case BS_ATTR_FLOATS:
              g_assert_cmpmem (p->floats, p->n * 4, q->floats, q->n * 4);
              break;
            case BS_ATTR_INTS:
              g_assert_cmpmem (p->ints, p->n * 8, q->ints, q->n * 8);
              break;
            }
        }
    }
}

static bs_graph *
roundtrip (const bs_graph *g)
{
  uint8_t *buf;
  size_t len;
  bs_graph *h;
  char err[400];

  g_assert_cmpint (bs_onnx_save_buffer (g, &buf, &len, err, sizeof err), ==, 0);
  if (bs_onnx_load_buffer (buf, len, "<roundtrip>", &h, err, sizeof err) < 0)
    g_error ("%s", err);
  free (buf);
  return h;
}

static void
test_roundtrip_built (void)
{
  for (int opset = 9; opset <= 17; opset += 4)
    {
      bs_graph *g = nn_small_cnn (opset, 42), *h = roundtrip (g);
      assert_graphs_equal (g, h);
      /* and through a file */
      g_autofree char *dir = g_dir_make_tmp ("bs-nn-XXXXXX", NULL);
      g_autofree char *path = g_build_filename (dir, "m.onnx", NULL);
      bs_graph *f;
      char err[400];
      g_assert_cmpint (bs_onnx_save (h, path, err, sizeof err), ==, 0);
      g_assert_cmpint (bs_onnx_load (path, &f, err, sizeof err), ==, 0);
      assert_graphs_equal (g, f);
      g_remove (path);
      g_rmdir (dir);
      bs_graph_free (f);
      bs_graph_free (g);
      bs_graph_free (h);
    }
}

/* Every loadable backend-test model survives export → import unchanged. */
static void
test_roundtrip_backend (gconstpointer data)
{
  const GPtrArray *names = data;
  guint done = 0;

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *model = g_build_filename (DATA_DIR, (char *) g_ptr_array_index (names, i),
                                                 "model.onnx", NULL);
      bs_graph *g, *h;
      char err[400];
      if (bs_onnx_load (model, &g, err, sizeof err) < 0)
        continue;
      h = roundtrip (g);
      assert_graphs_equal (g, h);
      bs_graph_free (g);
      bs_graph_free (h);
      done++;
    }
  g_test_message ("%u backend-test models round-tripped", done);
  g_assert_cmpuint (done, >=, 100);
}

static void
small_cnn_bytes (uint8_t **buf, size_t *len)
{
  bs_graph *g = nn_small_cnn (13, 7);
  char err[300];
  g_assert_cmpint (bs_onnx_save_buffer (g, buf, len, err, sizeof err), ==, 0);
  bs_graph_free (g);
}

/* Every proper prefix of a model fails cleanly (opset_import, written last,
 * is then missing or cut). */
static void
test_corrupt_truncated (void)
{
  uint8_t *buf;
  size_t len;

  small_cnn_bytes (&buf, &len);
  for (size_t cut = 0; cut < len; cut++)
    {
      uint8_t *copy = g_memdup2 (buf, cut ? cut : 1);
      bs_graph *g = NULL;
      char err[400] = "";
      int rc = bs_onnx_load_buffer (copy, cut, "cut.onnx", &g, err, sizeof err);
      g_assert_cmpint (rc, ==, -1);
      g_assert_null (g);
      g_assert_true (g_str_has_prefix (err, "cut.onnx: "));
      g_assert_null (strchr (err, '\n'));
      g_free (copy);
    }
  free (buf);
}

/* Flipped bytes: a clean error, or a model that still checks out (then it
 * must describe and export without trouble).  Never a crash. */
static void
test_corrupt_flipped (void)
{
  uint8_t *buf;
  size_t len;
  bs_test_rng r = { 99 };
  int failed = 0, loaded = 0;

  small_cnn_bytes (&buf, &len);
  for (int t = 0; t < 3000; t++)
    {
      uint8_t *copy = g_memdup2 (buf, len);
      bs_graph *g = NULL;
      char err[400] = "";
      int flips = 1 + (int) (bs_test_rng_next (&r) % 3);
      for (int f = 0; f < flips; f++)
        {
          size_t at = (size_t) (bs_test_rng_next (&r) % len);
          copy[at] ^= (uint8_t) (1 + bs_test_rng_next (&r) % 255);
        }
      if (bs_onnx_load_buffer (copy, len, "flip.onnx", &g, err, sizeof err) < 0)
        {
          g_assert_true (g_str_has_prefix (err, "flip.onnx: "));
          g_assert_null (strchr (err, '\n'));
          failed++;
        }
      else
        {
          bs_layer_info *rows;
          int n;
          uint8_t *out;
          size_t olen;
          loaded++;
          if (bs_graph_describe_layers (g, NULL, &rows, &n, err, sizeof err) == 0)
            free (rows);
          g_assert_cmpint (bs_onnx_save_buffer (g, &out, &olen, err, sizeof err), ==, 0);
          free (out);
          bs_graph_free (g);
        }
      g_free (copy);
    }
  g_test_message ("flipped models: %d refused, %d still valid", failed, loaded);
  g_assert_cmpint (failed, >, 0);
  free (buf);
}

/* Unpack the small CNN's bytes with protobuf-c so a test can damage one
 * field, then pack and load; returns the load's result. */
typedef void (*mutate_fn) (Onnx__ModelProto *m);

static int
load_mutated (mutate_fn fn, char *err, size_t errlen)
{
  uint8_t *buf, *out;
  size_t len, olen;
  Onnx__ModelProto *m;
  bs_graph *g = NULL;
  int rc;

  small_cnn_bytes (&buf, &len);
  m = onnx__model_proto__unpack (NULL, len, buf);
  g_assert_nonnull (m);
  fn (m);
  olen = onnx__model_proto__get_packed_size (m);
  out = g_malloc (olen + 1);
  onnx__model_proto__pack (m, out);
  rc = bs_onnx_load_buffer (out, olen, "bad.onnx", &g, err, errlen);
  g_assert_true (rc == 0 || g_str_has_prefix (err, "bad.onnx: "));
  bs_graph_free (g);
  onnx__model_proto__free_unpacked (m, NULL);
  g_free (out);
  free (buf);
  return rc;
}

static Onnx__NodeProto *
find_node (Onnx__ModelProto *m, const char *name)
{
  for (size_t i = 0; i < m->graph->n_node; i++)
    if (g_strcmp0 (m->graph->node[i]->name, name) == 0)
      return m->graph->node[i];
  g_assert_not_reached ();
}

static void
mut_unknown_op (Onnx__ModelProto *m)
{
  Onnx__NodeProto *n = find_node (m, "relu1");
  free (n->op_type);
  n->op_type = strdup ("LeakyRelu");
}

static void
mut_missing_initializer (Onnx__ModelProto *m)
{
  /* drop "w2" (conv2's weight) */
  Onnx__GraphProto *gp = m->graph;
  for (size_t i = 0; i < gp->n_initializer; i++)
    if (strcmp (gp->initializer[i]->name, "w2") == 0)
      {
        onnx__tensor_proto__free_unpacked (gp->initializer[i], NULL);
        gp->initializer[i] = gp->initializer[--gp->n_initializer];
        return;
      }
  g_assert_not_reached ();
}

static void
mut_bad_channels (Onnx__ModelProto *m)
{
  /* conv2 gets group 3: 6 input channels / 3 = 2, but w2 has 3 per group */
  Onnx__NodeProto *n = find_node (m, "conv2");
  for (size_t i = 0; i < n->n_attribute; i++)
    if (strcmp (n->attribute[i]->name, "group") == 0)
      n->attribute[i]->i = 3;
}

static void
mut_raw_data_short (Onnx__ModelProto *m)
{
  Onnx__GraphProto *gp = m->graph;
  for (size_t i = 0; i < gp->n_initializer; i++)
    if (strcmp (gp->initializer[i]->name, "wg") == 0)
      gp->initializer[i]->raw_data.len -= 4;
}

static void
mut_opset_18 (Onnx__ModelProto *m)
{
  m->opset_import[0]->version = 18;
}

static void
mut_foreign_domain (Onnx__ModelProto *m)
{
  Onnx__NodeProto *n = find_node (m, "relu1");
  free (n->domain);
  n->domain = strdup ("com.example");
}

static void
test_errors_named (void)
{
  char err[400];

  g_assert_cmpint (load_mutated (mut_unknown_op, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "unsupported op 'LeakyRelu'"));
  g_assert_nonnull (strstr (err, "'relu1'"));

  g_assert_cmpint (load_mutated (mut_missing_initializer, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "'conv2'"));
  g_assert_nonnull (strstr (err, "'w2' is missing"));

  g_assert_cmpint (load_mutated (mut_bad_channels, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "'conv2' (Conv)"));
  g_assert_nonnull (strstr (err, "channels"));

  g_assert_cmpint (load_mutated (mut_raw_data_short, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "initializer 'wg'"));

  g_assert_cmpint (load_mutated (mut_opset_18, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "opset 18"));

  g_assert_cmpint (load_mutated (mut_foreign_domain, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "com.example"));
}

static void
test_errors_files (void)
{
  bs_graph *g;
  bs_tensor t;
  char err[400];

  g_assert_cmpint (bs_onnx_load ("/nonexistent/m.onnx", &g, err, sizeof err), ==, -1);
  g_assert_true (g_str_has_prefix (err, "/nonexistent/m.onnx: "));
  g_assert_cmpint (bs_tensor_load_pb ("/nonexistent/t.pb", &t, NULL, err, sizeof err), ==, -1);
  g_assert_true (g_str_has_prefix (err, "/nonexistent/t.pb: "));
  g_assert_cmpint (bs_onnx_load_buffer ("\xff\xff\xff", 3, "junk.onnx", &g, err, sizeof err),
                   ==, -1);
  g_assert_true (g_str_has_prefix (err, "junk.onnx: "));
}

/* TensorProto files: write → read is exact; truncations fail with the path. */
static void
test_tensor_pb (void)
{
  g_autofree char *dir = g_dir_make_tmp ("bs-nn-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "t.pb", NULL);
  bs_tensor t = nn_random (3, (int64_t[]) { 2, 3, 5 }, 5), u;
  int64_t iv[] = { 3, -1, 0, INT64_MAX };
  bs_tensor ti = nn_tensor_i64 (4, iv);
  char *name = NULL, err[400];
  g_autofree char *bytes = NULL;
  gsize len;

  g_assert_cmpint (bs_tensor_save_pb (path, &t, "weights", err, sizeof err), ==, 0);
  g_assert_cmpint (bs_tensor_load_pb (path, &u, &name, err, sizeof err), ==, 0);
  g_assert_cmpstr (name, ==, "weights");
  g_assert_true (bs_shape_equal (&t.shape, &u.shape));
  g_assert_cmpmem (t.data, 30 * 4, u.data, 30 * 4);
  bs_tensor_clear (&u);
  g_free (name);

  g_assert_cmpint (bs_tensor_save_pb (path, &ti, NULL, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_tensor_load_pb (path, &u, NULL, err, sizeof err), ==, 0);
  g_assert_cmpint (u.dtype, ==, BS_DT_INT64);
  g_assert_cmpmem (ti.data, 32, u.data, 32);
  bs_tensor_clear (&u);

  g_assert_cmpint (bs_tensor_save_pb (path, &t, "w", err, sizeof err), ==, 0);
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  for (gsize cut = 0; cut < len; cut++)
    {
      g_assert_true (g_file_set_contents (path, bytes, (gssize) cut, NULL));
      g_assert_cmpint (bs_tensor_load_pb (path, &u, NULL, err, sizeof err), ==, -1);
      g_assert_true (g_str_has_prefix (err, path));
    }
  g_remove (path);
  g_rmdir (dir);
  bs_tensor_clear (&t);
  bs_tensor_clear (&ti);
}

/* Constant nodes (value tensor, value_float, value_ints) load as
 * initializers; written by hand with protobuf-c. */
static void
test_constant_forms (void)
{
  Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
  Onnx__GraphProto gp = ONNX__GRAPH_PROTO__INIT;
  Onnx__OperatorSetIdProto os = ONNX__OPERATOR_SET_ID_PROTO__INIT, *osp = &os;
  Onnx__NodeProto n1 = ONNX__NODE_PROTO__INIT, n2 = ONNX__NODE_PROTO__INIT;
  Onnx__NodeProto n3 = ONNX__NODE_PROTO__INIT;
  Onnx__NodeProto *nodes[] = { &n1, &n2, &n3 };
  Onnx__AttributeProto a1 = ONNX__ATTRIBUTE_PROTO__INIT, a2 = ONNX__ATTRIBUTE_PROTO__INIT;
  Onnx__AttributeProto *pa1 = &a1, *pa2 = &a2;
  Onnx__ValueInfoProto vo = ONNX__VALUE_INFO_PROTO__INIT, *pvo = &vo;
  char *o1[] = { "half" }, *o2[] = { "shape" }, *o3[] = { "y" }, *i3[] = { "half", "" };
  int64_t shape[] = { 1, 1 };
  uint8_t buf[512];
  size_t len;
  bs_graph *g;
  char err[300];
  bs_exec *x;

  os.has_version = 1;
  os.version = 13;
  m.n_opset_import = 1;
  m.opset_import = &osp;
  m.graph = &gp;
  gp.n_node = 3;
  gp.node = nodes;
  a1.name = "value_float";
  a1.has_type = 1;
  a1.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  a1.has_f = 1;
  a1.f = 0.5f;
  n1.op_type = "Constant";
  n1.n_output = 1;
  n1.output = o1;
  n1.n_attribute = 1;
  n1.attribute = &pa1;
  a2.name = "value_ints";
  a2.has_type = 1;
  a2.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  a2.n_ints = 2;
  a2.ints = shape;
  n2.op_type = "Constant";
  n2.n_output = 1;
  n2.output = o2;
  n2.n_attribute = 1;
  n2.attribute = &pa2;
  /* Clip(0.5) with no bounds, reshaped: exercises a constant scalar input */
  n3.op_type = "Clip";
  n3.name = "clip";
  n3.n_input = 2;
  n3.input = i3;
  n3.n_output = 1;
  n3.output = o3;
  vo.name = "y";
  gp.n_output = 1;
  gp.output = &pvo;
  len = onnx__model_proto__get_packed_size (&m);
  g_assert_cmpuint (len, <, sizeof buf);
  onnx__model_proto__pack (&m, buf);
  if (bs_onnx_load_buffer (buf, len, "const.onnx", &g, err, sizeof err) < 0)
    g_error ("%s", err);
  g_assert_cmpint (g->values[bs_graph_find_value (g, "half")].kind, ==, BS_VALUE_INITIALIZER);
  g_assert_cmpint (g->values[bs_graph_find_value (g, "shape")].dtype, ==, BS_DT_INT64);
  x = bs_exec_new (g, NULL, err, sizeof err);
  g_assert_nonnull (x);
  g_assert_cmpint (bs_exec_run (x, err, sizeof err), ==, 0);
  g_assert_cmpfloat (bs_tensor_f32 (bs_exec_tensor (x, g->outputs[0]))[0], ==, 0.5f);
  bs_exec_free (x);
  bs_graph_free (g);
}

/* tests/data/nn/tiny-cnn.onnx, encoded by protoc from a hand-written text
 * model: the result for x = 0..15 is worked out in tests/data/nn/README.md
 * (logits 10, 0, 5). */
static void
test_fixture_tiny_cnn (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "nn", "tiny-cnn.onnx",
                                                 NULL);
  bs_graph *g;
  bs_tensor x = nn_tensor (4, (int64_t[]) { 1, 1, 4, 4 }, NULL), y;
  double e[3] = { exp (10.0), 1.0, exp (5.0) }, s = e[0] + e[1] + e[2];
  float want[3] = { (float) (e[0] / s), (float) (e[1] / s), (float) (e[2] / s) };
  bs_layer_info *L;
  int n;
  char err[400];

  for (int i = 0; i < 16; i++)
    bs_tensor_f32 (&x)[i] = (float) i;
  if (bs_onnx_load (path, &g, err, sizeof err) < 0)
    g_error ("%s", err);
  g_assert_cmpint (g->opset, ==, 13);
  g_assert_cmpint (g->n_inputs, ==, 1);
  g_assert_cmpint (g->values[g->inputs[0]].shape.dims[0], ==, -1);   /* dim_param N */
  g_assert_cmpint (bs_graph_run (g, &x, 1, &y, NULL, err, sizeof err), ==, 0);
  nn_assert_close (bs_tensor_f32 (&y), want, 3, 1e-6, "tiny-cnn");
  /* conv: 2 out channels · 2·2 positions · 1·2·2 taps = 32 MACs, 8 + 2 params;
   * fc: 2 → 3 = 6 MACs, 6 + 3 params */
  g_assert_cmpint (bs_graph_compute_layers (g, NULL, &L, &n, err, sizeof err), ==, 0);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpint (L[0].macs, ==, 32);
  g_assert_cmpint (L[0].params, ==, 10);
  g_assert_cmpint (L[1].macs, ==, 6);
  g_assert_cmpint (L[1].params, ==, 9);
  free (L);
  bs_tensor_clear (&y);
  bs_tensor_clear (&x);
  bs_graph_free (g);
}

int
main (int argc, char **argv)
{
  GPtrArray *names;

  g_test_init (&argc, &argv, NULL);
  names = node_test_names ();
  g_ptr_array_sort (names, cmp_names);
  if (names->len == 0)
    g_test_add_func ("/engine/nn/onnx/node/missing", test_node_missing);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/nn/onnx/%s",
                                               (char *) g_ptr_array_index (names, i));
      g_test_add_data_func (path, g_ptr_array_index (names, i), test_node);
    }
  if (names->len)
    {
      g_test_add_data_func ("/engine/nn/onnx/node-summary", names, test_node_summary);
      g_test_add_data_func ("/engine/nn/onnx/roundtrip/backend-tests", names,
                            test_roundtrip_backend);
    }
  g_test_add_func ("/engine/nn/onnx/roundtrip/built", test_roundtrip_built);
  g_test_add_func ("/engine/nn/onnx/corrupt/truncated", test_corrupt_truncated);
  g_test_add_func ("/engine/nn/onnx/corrupt/flipped", test_corrupt_flipped);
  g_test_add_func ("/engine/nn/onnx/errors/named", test_errors_named);
  g_test_add_func ("/engine/nn/onnx/errors/files", test_errors_files);
  g_test_add_func ("/engine/nn/onnx/tensor-pb", test_tensor_pb);
  g_test_add_func ("/engine/nn/onnx/constant-forms", test_constant_forms);
  g_test_add_func ("/engine/nn/onnx/fixture/tiny-cnn", test_fixture_tiny_cnn);
  int rc = g_test_run ();
  g_ptr_array_unref (names);
  return rc;
}
