/* Graph execution: batched runs on threads (deterministic, chunked), the
 * compute-layer list with MACs and params, running from layer k with cached
 * activations, per-layer overrides, and the BatchNormalization fold. */
#include <string.h>

#include "bs-test-ref.h"
#include "test-nn-util.h"

#define D(...) ((int64_t[]) { __VA_ARGS__ })

/* Reference outputs: one exec over the whole batch, all nodes in order. */
static bs_tensor
run_whole (const bs_graph *g, const bs_tensor *x)
{
  char err[300];
  bs_exec *e = bs_exec_new (g, &x->shape, err, sizeof err);
  bs_tensor y = { 0 };
  g_assert_nonnull (e);
  g_assert_cmpint (bs_exec_set_input (e, 0, bs_tensor_f32 (x), bs_tensor_numel (x), err,
                                      sizeof err), ==, 0);
  g_assert_cmpint (bs_exec_run (e, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_tensor_copy (&y, bs_exec_tensor (e, g->outputs[0]), err, sizeof err), ==, 0);
  bs_exec_free (e);
  return y;
}

static bs_tensor
run_batched (const bs_graph *g, const bs_tensor *x, int threads, int64_t chunk)
{
  bs_run_opts o = { .n_threads = threads, .chunk = chunk };
  bs_tensor y;
  char err[300];
  if (bs_graph_run (g, x, 1, &y, &o, err, sizeof err) < 0)
    g_error ("%s", err);
  return y;
}

/* Chunks of any size give each image's result (up to GEMM blocking) and the
 * softmax rows sum to one. */
static void
test_run_chunks (void)
{
  bs_graph *g = nn_small_cnn (13, 3);
  bs_tensor x = nn_random (4, D (37, 1, 8, 8), 11);
  bs_tensor ref = run_whole (g, &x);

  for (int64_t chunk = 1; chunk <= 40; chunk += 13)
    {
      bs_tensor y = run_batched (g, &x, 2, chunk);
      g_assert_cmpint (y.shape.ndim, ==, 2);
      g_assert_cmpint (y.shape.dims[0], ==, 37);
      g_assert_cmpint (y.shape.dims[1], ==, 10);
      nn_assert_close (bs_tensor_f32 (&y), bs_tensor_f32 (&ref), 370, 1e-5, "chunked");
      bs_tensor_clear (&y);
    }
  for (int i = 0; i < 37; i++)
    {
      double s = 0;
      for (int k = 0; k < 10; k++)
        s += bs_tensor_f32 (&ref)[i * 10 + k];
      g_assert_cmpfloat_with_epsilon (s, 1.0, 1e-5);
    }
  bs_tensor_clear (&ref);
  bs_tensor_clear (&x);
  bs_graph_free (g);
}

/* The same chunk size gives bit-identical results on 1, 2 and 4 threads,
 * and on a repeat. */
static void
test_run_deterministic (void)
{
  bs_graph *g = nn_small_cnn (13, 4);
  bs_tensor x = nn_random (4, D (203, 1, 8, 8), 12);
  bs_tensor a = run_batched (g, &x, 1, 16);

  for (int threads = 1; threads <= 4; threads *= 2)
    for (int rep = 0; rep < 2; rep++)
      {
        bs_tensor b = run_batched (g, &x, threads, 16);
        g_assert_cmpmem (a.data, 2030 * 4, b.data, 2030 * 4);
        bs_tensor_clear (&b);
      }
  bs_tensor_clear (&a);
  bs_tensor_clear (&x);
  bs_graph_free (g);
}

/* 10 000 images go through in chunks; every row is a distribution. */
static void
test_run_10000 (void)
{
  bs_graph *g = nn_small_cnn (13, 5);
  bs_tensor x = nn_random (4, D (10000, 1, 8, 8), 13);
  bs_tensor y = run_batched (g, &x, 0, 0);

  g_assert_cmpint (y.shape.dims[0], ==, 10000);
  for (int i = 0; i < 10000; i += 997)
    {
      double s = 0;
      for (int k = 0; k < 10; k++)
        s += bs_tensor_f32 (&y)[i * 10 + k];
      g_assert_cmpfloat_with_epsilon (s, 1.0, 1e-5);
    }
  bs_tensor_clear (&y);
  bs_tensor_clear (&x);
  bs_graph_free (g);
}

typedef struct {
  int64_t seen;
  int max_thread;
  GMutex lock;
} chunk_log;

static int
log_chunk (void *user, bs_exec *x, int64_t first, int64_t count, int thread, char *err,
           size_t errlen)
{
  chunk_log *l = user;
  const bs_shape *s = bs_exec_shape (x, bs_exec_graph (x)->inputs[0]);
  g_assert_cmpint (s->dims[0], ==, count);
  g_assert_cmpint (first % 10, ==, 0);
  g_mutex_lock (&l->lock);
  l->seen += count;
  l->max_thread = MAX (l->max_thread, thread);
  g_mutex_unlock (&l->lock);
  return 0;
}

static int
fail_chunk (void *user, bs_exec *x, int64_t first, int64_t count, int thread, char *err,
            size_t errlen)
{
  if (first >= 20)
    {
      g_snprintf (err, errlen, "stopped at %" G_GINT64_FORMAT, first);
      return -1;
    }
  return 0;
}

static void
test_foreach_chunk (void)
{
  bs_graph *g = nn_small_cnn (13, 6);
  bs_tensor x = nn_random (4, D (95, 1, 8, 8), 14);
  bs_run_opts o = { .n_threads = 2, .chunk = 10 };
  chunk_log l = { 0 };
  char err[300];

  g_mutex_init (&l.lock);
  g_assert_cmpint (bs_graph_foreach_chunk (g, &x, &o, log_chunk, &l, err, sizeof err), ==, 0);
  g_assert_cmpint (l.seen, ==, 95);
  g_assert_cmpint (l.max_thread, <, 2);
  g_assert_cmpint (bs_graph_foreach_chunk (g, &x, &o, fail_chunk, NULL, err, sizeof err), ==, -1);
  g_assert_true (g_str_has_prefix (err, "stopped at "));
  g_mutex_clear (&l.lock);
  bs_tensor_clear (&x);
  bs_graph_free (g);
}

/* A model exported with a fixed batch (Reshape to [1, -1]) still runs any
 * batch, one image per chunk. */
static void
test_run_fixed_batch (void)
{
  bs_graph *g = bs_graph_new (13);
  bs_shape in = { .ndim = 4, .dims = { 1, 1, 2, 2 } };
  bs_tensor shape = nn_tensor_i64 (2, D (1, -1));
  bs_tensor x = nn_random (4, D (5, 1, 2, 2), 40), y;
  char err[300];

  g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &in, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "s", &shape, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (g, "Reshape", "r", 2, (const char *[]) { "x", "s" }, 1,
                                      (const char *[]) { "f" }, 0, NULL, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (g, "Relu", "relu", 1, (const char *[]) { "f" }, 1,
                                      (const char *[]) { "y" }, 0, NULL, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_output (g, "y", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, 0);
  if (bs_graph_run (g, &x, 1, &y, NULL, err, sizeof err) < 0)
    g_error ("%s", err);
  g_assert_cmpint (y.shape.ndim, ==, 2);
  g_assert_cmpint (y.shape.dims[0], ==, 5);
  g_assert_cmpint (y.shape.dims[1], ==, 4);
  for (int i = 0; i < 20; i++)
    g_assert_cmpfloat (bs_tensor_f32 (&y)[i], ==, MAX (bs_tensor_f32 (&x)[i], 0.0f));
  bs_tensor_clear (&y);
  bs_tensor_clear (&x);
  bs_graph_free (g);
}

/* Layers ---------------------------------------------------------------------- */

static void
test_layers (void)
{
  bs_graph *g = nn_small_cnn (13, 7);
  bs_shape in = { .ndim = 4, .dims = { 1, 1, 8, 8 } };
  bs_layer_info *L;
  int n;
  char err[300];
  /* conv1: 6 out × 8·8 positions × 1·3·3 = 3456 MACs, 54 + 6 params;
   * conv2 (2 groups of 3 channels): 6 × 4·4 × 3·3·3 = 2592, 162;
   * conv3 (depthwise): 6 × 4·4 × 9 = 864, 54 + 6;
   * fc1: 48 → 10 = 480, 480 + 10; mm1: 10 → 10 = 100, 100 */
  static const struct {
    const char *name;
    bs_op op;
    int64_t macs, params, m, n, k, count;
  } want[] = {
    { "conv1", BS_OP_CONV, 3456, 60, 6, 64, 9, 1 },
    { "conv2", BS_OP_CONV, 2592, 162, 3, 16, 27, 2 },
    { "conv3", BS_OP_CONV, 864, 60, 1, 16, 9, 6 },
    { "fc1", BS_OP_GEMM, 480, 490, 1, 10, 48, 1 },
    { "mm1", BS_OP_MATMUL, 100, 100, 1, 10, 10, 1 },
  };

  g_assert_cmpint (bs_graph_compute_layers (g, &in, &L, &n, err, sizeof err), ==, 0);
  g_assert_cmpint (n, ==, G_N_ELEMENTS (want));
  for (int i = 0; i < n; i++)
    {
      g_assert_cmpstr (L[i].name, ==, want[i].name);
      g_assert_cmpint (L[i].op, ==, want[i].op);
      g_assert_true (L[i].compute);
      g_assert_true (L[i].weight_is_const);
      g_assert_cmpint (L[i].macs, ==, want[i].macs);
      g_assert_cmpint (L[i].params, ==, want[i].params);
      g_assert_cmpint (L[i].gemm_m, ==, want[i].m);
      g_assert_cmpint (L[i].gemm_n, ==, want[i].n);
      g_assert_cmpint (L[i].gemm_k, ==, want[i].k);
      g_assert_cmpint (L[i].gemm_count, ==, want[i].count);
      g_assert_cmpstr (g->nodes[L[i].node].name, ==, want[i].name);
      g_assert_cmpint (L[i].weight, ==, g->nodes[L[i].node].inputs[1]);
    }
  g_assert_cmpint (L[0].out_shape.dims[1], ==, 6);
  g_assert_cmpint (L[0].out_shape.dims[2], ==, 8);
  free (L);

  g_assert_cmpint (bs_graph_describe_layers (g, NULL, &L, &n, err, sizeof err), ==, 0);
  g_assert_cmpint (n, ==, g->n_nodes);
  g_assert_cmpstr (L[1].name, ==, "bn1");
  g_assert_cmpint (L[1].params, ==, 24);
  g_assert_cmpint (L[1].macs, ==, 0);
  g_assert_cmpint (L[n - 1].out_shape.dims[1], ==, 10);
  free (L);
  bs_graph_free (g);
}

/* Running nodes [k, end) on the live values of a run of [0, k) gives the
 * full run's output exactly, for every k. */
static void
test_run_from_layer (void)
{
  bs_graph *g = nn_small_cnn (13, 8);
  bs_tensor x = nn_random (4, D (3, 1, 8, 8), 15);
  bs_tensor ref = run_whole (g, &x);
  char err[300];

  for (int k = 0; k <= g->n_nodes; k++)
    {
      bs_exec *a = bs_exec_new (g, &x.shape, err, sizeof err);
      bs_exec *b = bs_exec_new (g, &x.shape, err, sizeof err);
      int *ids, n;
      g_assert_cmpint (bs_exec_set_input (a, 0, bs_tensor_f32 (&x), bs_tensor_numel (&x), err,
                                          sizeof err), ==, 0);
      g_assert_cmpint (bs_exec_run_nodes (a, 0, k, err, sizeof err), ==, 0);
      g_assert_cmpint (bs_graph_live_values (g, k, &ids, &n), ==, 0);
      for (int i = 0; i < n; i++)
        {
          const bs_tensor *t = bs_exec_tensor (a, ids[i]);
          memcpy (bs_exec_data (b, ids[i]), t->data, (size_t) bs_tensor_numel (t) * 4);
        }
      g_assert_cmpint (bs_exec_run_nodes (b, k, g->n_nodes, err, sizeof err), ==, 0);
      g_assert_cmpmem (bs_exec_tensor (b, g->outputs[0])->data, 120, ref.data, 120);
      /* nothing produced before k and read later is missing from the list */
      if (k == 4) /* after pool1: only a4 is needed (conv2 and conv3 read it) */
        {
          g_assert_cmpint (n, ==, 1);
          g_assert_cmpstr (g->values[ids[0]].name, ==, "a4");
        }
      free (ids);
      bs_exec_free (a);
      bs_exec_free (b);
    }
  bs_tensor_clear (&ref);
  bs_tensor_clear (&x);
  bs_graph_free (g);
}

/* Overrides replace a compute layer's input, weight or bias for one run. */
/* Conv epilogues: which nodes bs_graph_conv_fusion absorbs, and a run with
 * them fused gives every output value the bits of the nodes run one by one —
 * on the direct path and on im2col + GEMM.  80 images: c7's outputs (864
 * floats an image) go to its MaxPool in two rounds. */
static int
node_named (const bs_graph *g, const char *name)
{
  for (int i = 0; i < g->n_nodes; i++)
    if (strcmp (g->nodes[i].name, name) == 0)
      return i;
  g_error ("no node %s", name);
}

static int
value_named (const bs_graph *g, const char *name)
{
  int v = bs_graph_find_value (g, name);
  if (v < 0)
    g_error ("no value %s", name);
  return v;
}

static void
test_conv_fusion (void)
{
  bs_graph *g = nn_residual_net (31);
  bs_tensor x = nn_random (4, D (80, 16, 6, 6), 32);
  bs_conv_fusion f;
  char err[300];
  int level = bs_conv_simd (-1);
  struct {
    const char *conv;
    int n_absorbed;
    const char *add, *out, *pool;
    bool relu;
  } want[] = {
    { "c1", 1, NULL, "a2", NULL, true },
    { "c2", 0, NULL, NULL, NULL, false },
    { "c3", 2, "a3", "a6", NULL, true },
    { "c4", 1, "a6", "a8", NULL, false },
    { "c5", 0, NULL, NULL, NULL, false },
    { "c6", 0, NULL, NULL, NULL, false },
    { "c7", 2, NULL, "a15", "p1", true },
    { "c8", 1, NULL, "z", "p2", false },
  };

  for (size_t k = 0; k < G_N_ELEMENTS (want); k++)
    {
      int n = bs_graph_conv_fusion (g, node_named (g, want[k].conv), &f);
      g_assert_cmpint (n, ==, want[k].n_absorbed);
      g_assert_cmpint (f.n_absorbed, ==, want[k].n_absorbed);
      if (!n)
        continue;
      g_assert_cmpint (f.relu, ==, want[k].relu);
      g_assert_cmpint (f.add, ==, want[k].add ? value_named (g, want[k].add) : -1);
      g_assert_cmpint (f.out, ==, value_named (g, want[k].out));
      g_assert_cmpint (f.pool, ==, want[k].pool ? node_named (g, want[k].pool) : -1);
    }
  /* not a Conv */
  g_assert_cmpint (bs_graph_conv_fusion (g, node_named (g, "r1"), &f), ==, 0);

  for (int lv = 0; lv <= 1; lv++)
    {
      bs_exec *one = bs_exec_new (g, &x.shape, err, sizeof err);
      bs_exec *fused = bs_exec_new (g, &x.shape, err, sizeof err);
      int outs[] = { value_named (g, "y"), value_named (g, "a9"), value_named (g, "a2"),
                     value_named (g, "a6"), value_named (g, "a8"), value_named (g, "a15"),
                     value_named (g, "z") };
      int n_fused = 0;

      if (bs_conv_simd (lv) != lv)
        {
          bs_exec_free (one);
          bs_exec_free (fused);
          continue;   /* no AVX-512 here */
        }
      g_assert_nonnull (one);
      g_assert_nonnull (fused);
      g_assert_cmpint (bs_exec_set_input (one, 0, bs_tensor_f32 (&x), bs_tensor_numel (&x), err,
                                          sizeof err), ==, 0);
      g_assert_cmpint (bs_exec_set_input (fused, 0, bs_tensor_f32 (&x), bs_tensor_numel (&x), err,
                                          sizeof err), ==, 0);
      g_assert_cmpint (bs_exec_run (one, err, sizeof err), ==, 0);
      for (int i = 0; i < g->n_nodes; i++)
        if (bs_graph_conv_fusion (g, i, &f) > 0)
          {
            /* the zeros it counts are those of the value, as written one
             * node at a time (the exec `one` ran already) */
            int64_t zeros = -2, n_out = bs_shape_numel (bs_exec_shape (one, f.out));
            g_assert_cmpint (bs_exec_run_conv_fused (fused, i, NULL, &f, &zeros, err, sizeof err),
                             ==, 0);
            g_assert_cmpint (zeros, ==, bs_count_zeros (bs_exec_data (one, f.out), n_out));
            i += f.n_absorbed;
            n_fused++;
          }
        else
          g_assert_cmpint (bs_exec_run_node (fused, i, NULL, err, sizeof err), ==, 0);
      g_assert_cmpint (n_fused, ==, 5);
      for (size_t k = 0; k < G_N_ELEMENTS (outs); k++)
        {
          int64_t n = bs_shape_numel (bs_exec_shape (one, outs[k]));
          g_assert_cmpint (n, >, 0);
          g_assert_cmpmem (bs_exec_data (one, outs[k]), n * 4, bs_exec_data (fused, outs[k]),
                           n * 4);
        }
      /* the ReLU was applied: some zeros, no negatives (-0 aside) */
      {
        const float *a2 = bs_exec_data (fused, value_named (g, "a2"));
        int64_t n = bs_shape_numel (bs_exec_shape (fused, value_named (g, "a2"))), zeros = 0;
        for (int64_t i = 0; i < n; i++)
          {
            g_assert_false (a2[i] < 0);
            zeros += a2[i] == 0;
          }
        g_assert_cmpint (zeros, >, n / 10);
      }
      bs_exec_free (one);
      bs_exec_free (fused);
    }
  bs_conv_simd (level);
  bs_tensor_clear (&x);
  bs_graph_free (g);
}

static void
test_layer_override (void)
{
  bs_graph *g = nn_small_cnn (13, 9);
  bs_tensor x = nn_random (4, D (2, 1, 8, 8), 16);
  char err[300];
  bs_exec *e = bs_exec_new (g, &x.shape, err, sizeof err);
  int conv1 = 0, out = g->nodes[0].outputs[0];
  float zeros_w[54] = { 0 }, zeros_in[128] = { 0 }, bias[6] = { 1, 2, 3, 4, 5, 6 };
  const float *own_w = bs_tensor_f32 (&g->values[g->nodes[0].inputs[1]].data);
  float *saved = g_new (float, 768);

  g_assert_cmpstr (g->nodes[conv1].name, ==, "conv1");
  bs_exec_set_input (e, 0, bs_tensor_f32 (&x), 128, err, sizeof err);
  g_assert_cmpint (bs_exec_run_node (e, conv1, NULL, err, sizeof err), ==, 0);
  memcpy (saved, bs_exec_data (e, out), 768 * 4);

  /* the graph's own weights as an override: same result */
  bs_layer_override same = { .weight = own_w };
  g_assert_cmpint (bs_exec_run_node (e, conv1, &same, err, sizeof err), ==, 0);
  g_assert_cmpmem (saved, 768 * 4, bs_exec_data (e, out), 768 * 4);

  /* zero weights: every output is its channel's bias */
  bs_layer_override zw = { .weight = zeros_w, .bias = bias };
  g_assert_cmpint (bs_exec_run_node (e, conv1, &zw, err, sizeof err), ==, 0);
  for (int i = 0; i < 768; i++)
    g_assert_cmpfloat (bs_exec_data (e, out)[i], ==, bias[(i / 64) % 6]);

  /* zero input, graph's bias */
  bs_layer_override zi = { .input = zeros_in };
  const float *b1 = bs_tensor_f32 (&g->values[g->nodes[0].inputs[2]].data);
  g_assert_cmpint (bs_exec_run_node (e, conv1, &zi, err, sizeof err), ==, 0);
  for (int i = 0; i < 768; i++)
    g_assert_cmpfloat (bs_exec_data (e, out)[i], ==, b1[(i / 64) % 6]);
  /* the input itself is untouched */
  g_assert_cmpmem (bs_exec_data (e, g->inputs[0]), 128 * 4, x.data, 128 * 4);

  /* weights kept packed between runs (bs_conv_pack) */
  float *mine = g_memdup2 (own_w, sizeof zeros_w);
  bs_conv_pack *pack = bs_conv_pack_new ();
  bs_layer_override kept = { .weight = mine, .pack = pack };
  for (int run = 0; run < 2; run++)
    {
      g_assert_cmpint (bs_exec_run_node (e, conv1, &kept, err, sizeof err), ==, 0);
      g_assert_cmpmem (saved, 768 * 4, bs_exec_data (e, out), 768 * 4);
    }
  memset (mine, 0, sizeof zeros_w);
  if (bs_conv_simd (-1) >= 1)
    {
      /* the direct loops read the packed copy: without a reset they see
       * the weights of before (the contract is to reset) */
      g_assert_cmpint (bs_exec_run_node (e, conv1, &kept, err, sizeof err), ==, 0);
      g_assert_cmpmem (saved, 768 * 4, bs_exec_data (e, out), 768 * 4);
      /* other weights than the packed ones are packed at the call */
      bs_layer_override other = { .weight = zeros_w, .pack = pack };
      g_assert_cmpint (bs_exec_run_node (e, conv1, &other, err, sizeof err), ==, 0);
      for (int i = 0; i < 768; i++)
        g_assert_cmpfloat (bs_exec_data (e, out)[i], ==, b1[(i / 64) % 6]);
    }
  bs_conv_pack_reset (pack);
  g_assert_cmpint (bs_exec_run_node (e, conv1, &kept, err, sizeof err), ==, 0);
  for (int i = 0; i < 768; i++)
    g_assert_cmpfloat (bs_exec_data (e, out)[i], ==, b1[(i / 64) % 6]);
  bs_conv_pack_free (pack);
  g_free (mine);

  /* overrides only apply to compute layers */
  g_assert_cmpint (bs_exec_run_node (e, 1, &same, err, sizeof err), ==, -1);
  g_free (saved);
  bs_exec_free (e);
  bs_tensor_clear (&x);
  bs_graph_free (g);
}

/* BatchNormalization fold ------------------------------------------------------- */

static void
test_fold_bn (void)
{
  bs_graph *g = nn_small_cnn (13, 10), *f = nn_small_cnn (13, 10);
  bs_tensor x = nn_random (4, D (9, 1, 8, 8), 17);
  char err[300];
  int nodes = f->n_nodes;

  g_assert_cmpint (bs_graph_fold_batchnorm (f, err, sizeof err), ==, 2);
  g_assert_cmpint (f->n_nodes, ==, nodes - 2);
  for (int j = 0; j < f->n_nodes; j++)
    g_assert_cmpint (f->nodes[j].op, !=, BS_OP_BATCHNORM);
  g_assert_cmpint (bs_graph_find_value (f, "bn1_s"), ==, -1);
  g_assert_cmpint (bs_graph_find_value (f, "a1"), ==, -1);
  /* conv1 now writes bn1's output; fc1 has beta 1 */
  g_assert_cmpstr (f->values[f->nodes[0].outputs[0]].name, ==, "a2");

  bs_tensor a = run_whole (g, &x), b = run_whole (f, &x);
  nn_assert_close (bs_tensor_f32 (&b), bs_tensor_f32 (&a), 90, 1e-5, "folded");
  /* a second pass finds nothing */
  g_assert_cmpint (bs_graph_fold_batchnorm (f, err, sizeof err), ==, 0);
  bs_tensor_clear (&a);
  bs_tensor_clear (&b);
  bs_tensor_clear (&x);
  bs_graph_free (g);
  bs_graph_free (f);
}

/* Conv → BN where the conv output has a second reader, or the conv has no
 * bias and shares its weight with another conv. */
static void
test_fold_bn_conditions (void)
{
  const char *outs[1];
  char err[300];
  bs_shape in = { .ndim = 4, .dims = { 1, 2, 3, 3 } };
  bs_graph *g = bs_graph_new (13);
  bs_tensor w = nn_random (4, D (2, 2, 1, 1), 1);
  const char *bnp[] = { "s", "b", "m", "v" };

  g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &in, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "w", &w, err, sizeof err), >=, 0);
  for (int i = 0; i < 4; i++)
    {
      bs_tensor t = nn_random (1, D (2), 20 + i);
      if (i == 3)
        bs_tensor_f32 (&t)[0] = 2, bs_tensor_f32 (&t)[1] = 0.5f;
      g_assert_cmpint (bs_graph_add_initializer (g, bnp[i], &t, err, sizeof err), >=, 0);
    }
  /* conv A (no bias) → bn → yA; conv B shares w → relu and BN2 of which the
   * conv output is also a graph output (not foldable) */
  outs[0] = "ca";
  g_assert_cmpint (bs_graph_add_node (g, "Conv", "convA", 2, (const char *[]) { "x", "w" }, 1, outs,
                                      0, NULL, err, sizeof err), >=, 0);
  outs[0] = "ya";
  g_assert_cmpint (bs_graph_add_node (g, "BatchNormalization", "bnA", 5,
                                      (const char *[]) { "ca", "s", "b", "m", "v" }, 1, outs, 0,
                                      NULL, err, sizeof err), >=, 0);
  outs[0] = "cb";
  g_assert_cmpint (bs_graph_add_node (g, "Conv", "convB", 2, (const char *[]) { "x", "w" }, 1, outs,
                                      0, NULL, err, sizeof err), >=, 0);
  outs[0] = "yb";
  g_assert_cmpint (bs_graph_add_node (g, "BatchNormalization", "bnB", 5,
                                      (const char *[]) { "cb", "s", "b", "m", "v" }, 1, outs, 0,
                                      NULL, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_output (g, "ya", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_output (g, "yb", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_output (g, "cb", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, 0);

  bs_tensor x = nn_random (4, D (1, 2, 3, 3), 30);
  bs_exec *e = bs_exec_new (g, NULL, err, sizeof err);
  bs_exec_set_input (e, 0, bs_tensor_f32 (&x), 18, err, sizeof err);
  bs_exec_run (e, err, sizeof err);
  float ya[18], yb[18];
  memcpy (ya, bs_exec_tensor (e, bs_graph_find_value (g, "ya"))->data, sizeof ya);
  memcpy (yb, bs_exec_tensor (e, bs_graph_find_value (g, "yb"))->data, sizeof yb);
  bs_exec_free (e);

  g_assert_cmpint (bs_graph_fold_batchnorm (g, err, sizeof err), ==, 1);
  /* convA got a private copy of w and a new bias; convB still reads w */
  int a = -1, b = -1;
  for (int j = 0; j < g->n_nodes; j++)
    {
      if (strcmp (g->nodes[j].name, "convA") == 0)
        a = j;
      if (strcmp (g->nodes[j].name, "convB") == 0)
        b = j;
    }
  g_assert_cmpint (a, >=, 0);
  g_assert_cmpint (b, >=, 0);
  g_assert_cmpint (g->nodes[a].n_inputs, ==, 3);
  g_assert_cmpstr (g->values[g->nodes[b].inputs[1]].name, ==, "w");
  g_assert_cmpstr (g->values[g->nodes[a].inputs[1]].name, !=, "w");

  e = bs_exec_new (g, NULL, err, sizeof err);
  bs_exec_set_input (e, 0, bs_tensor_f32 (&x), 18, err, sizeof err);
  g_assert_cmpint (bs_exec_run (e, err, sizeof err), ==, 0);
  nn_assert_close (bs_exec_tensor (e, bs_graph_find_value (g, "ya"))->data, ya, 18, 1e-5, "ya");
  g_assert_cmpmem (bs_exec_tensor (e, bs_graph_find_value (g, "yb"))->data, 72, yb, 72);
  bs_exec_free (e);
  bs_tensor_clear (&x);
  bs_graph_free (g);
}

/* Shapes and misuse --------------------------------------------------------------- */

static void
test_shapes (void)
{
  bs_graph *g = nn_small_cnn (13, 11);
  bs_shape *s = g_new0 (bs_shape, g->n_values);
  bs_shape in = { .ndim = 4, .dims = { 5, 1, 8, 8 } };
  char err[300];

  g_assert_cmpint (bs_graph_infer_shapes (g, &in, s, err, sizeof err), ==, 0);
  g_assert_cmpint (s[g->outputs[0]].dims[0], ==, 5);
  g_assert_cmpint (s[g->outputs[0]].dims[1], ==, 10);
  g_assert_cmpint (s[bs_graph_find_value (g, "a10")].dims[1], ==, 12);
  /* an input of another size than the declared one */
  in.dims[2] = in.dims[3] = 16;
  g_assert_cmpint (bs_graph_infer_shapes (g, &in, s, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "input 'x': dim 2 is 16, the model declares 8"));
  /* with the spatial dims left open, the Gemm's 48 inputs no longer fit */
  g->values[g->inputs[0]].shape.dims[2] = g->values[g->inputs[0]].shape.dims[3] = -1;
  g_assert_cmpint (bs_graph_infer_shapes (g, &in, s, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "'fc1' (Gemm)"));
  /* wrong rank */
  in.ndim = 3;
  g_assert_cmpint (bs_graph_infer_shapes (g, &in, s, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "input 'x'"));
  g_free (s);
  bs_graph_free (g);
}

/* Shape folding ------------------------------------------------------------------ */

static void
node (bs_graph *g, const char *op, const char *ins, const char *out, int n_attrs,
      const bs_attr *attrs)
{
  char err[300];
  g_auto (GStrv) in = g_strsplit (ins, ",", -1);
  const char *outs[] = { out };
  g_assert_cmpint (bs_graph_add_node (g, op, NULL, (int) g_strv_length (in),
                                      (const char *const *) in, 1, outs, n_attrs, attrs, err,
                                      sizeof err), >=, 0);
}

static void
init_i64 (bs_graph *g, const char *name, int n, const int64_t *v, bool scalar)
{
  char err[200];
  bs_tensor t = nn_tensor_i64 (n, v);
  if (scalar)
    t.shape.ndim = 0;
  g_assert_cmpint (bs_graph_add_initializer (g, name, &t, err, sizeof err), >=, 0);
}

/* x [N,2,3] → Shape → Gather 0 → Unsqueeze → Concat with [-1] → Reshape(x):
 * PyTorch's x.view(x.size(0), -1).  `tail` replaces the [-1]. */
static bs_graph *
view_graph (int opset, int n_tail, const int64_t *tail, bool batch_last)
{
  bs_graph *g = bs_graph_new (opset);
  bs_shape s = { .ndim = 3, .dims = { -1, 2, 3 } };
  char err[300];
  int64_t zero = 0, ax0[] = { 0 };
  bs_attr axis0[] = { nn_attr_int ("axis", 0) }, axes[] = { nn_attr_ints ("axes", 1, ax0) };

  g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &s, err, sizeof err), >=, 0);
  init_i64 (g, "zero", 1, &zero, true);
  init_i64 (g, "tail", n_tail, tail, false);
  node (g, "Shape", "x", "shape", 0, NULL);
  node (g, "Gather", "shape,zero", "n", 1, axis0);
  if (opset >= 13)
    {
      init_i64 (g, "ax0", 1, ax0, false);
      node (g, "Unsqueeze", "n,ax0", "n1", 0, NULL);
    }
  else
    node (g, "Unsqueeze", "n", "n1", 1, axes);
  node (g, "Concat", batch_last ? "tail,n1" : "n1,tail", "target", 1, axis0);
  node (g, "Reshape", "x,target", "y", 0, NULL);
  g_assert_cmpint (bs_graph_add_output (g, "y", err, sizeof err), >=, 0);
  return g;
}

static void
test_fold_view (void)
{
  for (int opset = 9; opset <= 13; opset += 4)
    {
      int64_t m1 = -1;
      bs_graph *g = view_graph (opset, 1, &m1, false);
      bs_tensor x = nn_random (3, D (5, 2, 3), 41), y;
      const bs_value *sv;
      char err[300];

      g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, 0);
      /* the chain is gone: one Reshape to the constant [0, -1] */
      g_assert_cmpint (g->n_nodes, ==, 1);
      g_assert_cmpint (g->nodes[0].op, ==, BS_OP_RESHAPE);
      sv = &g->values[g->nodes[0].inputs[1]];
      g_assert_cmpint (sv->kind, ==, BS_VALUE_INITIALIZER);
      g_assert_cmpint (bs_tensor_numel (&sv->data), ==, 2);
      g_assert_cmpint (bs_tensor_i64 (&sv->data)[0], ==, 0);
      g_assert_cmpint (bs_tensor_i64 (&sv->data)[1], ==, -1);
      /* and it runs at a batch of 5: [5,2,3] → [5,6], the same numbers */
      y = run_whole (g, &x);
      g_assert_cmpint (y.shape.ndim, ==, 2);
      g_assert_cmpint (y.shape.dims[0], ==, 5);
      g_assert_cmpint (y.shape.dims[1], ==, 6);
      g_assert_cmpmem (y.data, 30 * sizeof (float), x.data, 30 * sizeof (float));
      bs_tensor_clear (&x);
      bs_tensor_clear (&y);
      bs_graph_free (g);
    }
}

static void
test_fold_constant_shape (void)
{
  /* Shape(x)[1:] (opset 15 start=1) does not depend on the batch: Concat
   * with [-1] gives the constant [-1, 2, 3] */
  bs_graph *g = bs_graph_new (15);
  bs_shape s = { .ndim = 3, .dims = { -1, 2, 3 } };
  bs_attr start1[] = { nn_attr_int ("start", 1) }, axis0[] = { nn_attr_int ("axis", 0) };
  int64_t m1 = -1;
  const bs_value *sv;
  char err[300];

  g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &s, err, sizeof err), >=, 0);
  init_i64 (g, "m1", 1, &m1, false);
  node (g, "Shape", "x", "hw", 1, start1);
  node (g, "Concat", "m1,hw", "target", 1, axis0);
  node (g, "Relu", "x", "r", 0, NULL);
  node (g, "Reshape", "r,target", "y", 0, NULL);
  g_assert_cmpint (bs_graph_add_output (g, "y", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, 0);
  g_assert_cmpint (g->n_nodes, ==, 2);
  sv = &g->values[g->nodes[1].inputs[1]];
  g_assert_cmpstr (sv->name, ==, "target");
  g_assert_cmpint (sv->kind, ==, BS_VALUE_INITIALIZER);
  g_assert_cmpint (bs_tensor_numel (&sv->data), ==, 3);
  g_assert_cmpint (bs_tensor_i64 (&sv->data)[0], ==, -1);
  g_assert_cmpint (bs_tensor_i64 (&sv->data)[1], ==, 2);
  g_assert_cmpint (bs_tensor_i64 (&sv->data)[2], ==, 3);
  bs_graph_free (g);
}

static void
test_fold_refused (void)
{
  char err[300];
  int64_t six = 6, m1 = -1;
  bs_graph *g;

  /* [-1, N] on x [N,2,3]: the batch entry is not at the data's batch dim
   * (so not a 0) and cannot become -1 (there is one already) */
  g = view_graph (13, 1, &m1, true);
  g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "depends on the batch size in a way that cannot be folded"));
  bs_graph_free (g);
  /* [6, N]: N alone becomes -1 — [6, -1] holds for every batch */
  g = view_graph (13, 1, &six, true);
  g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_tensor_i64 (&g->values[g->nodes[0].inputs[1]].data)[0], ==, 6);
  g_assert_cmpint (bs_tensor_i64 (&g->values[g->nodes[0].inputs[1]].data)[1], ==, -1);
  bs_graph_free (g);

  /* the batch as a graph output */
  {
    bs_shape s = { .ndim = 2, .dims = { -1, 4 } };
    g = bs_graph_new (13);
    g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &s, err, sizeof err), >=, 0);
    node (g, "Shape", "x", "shape", 0, NULL);
    g_assert_cmpint (bs_graph_add_output (g, "shape", err, sizeof err), >=, 0);
    g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, -1);
    g_assert_nonnull (strstr (err, "output 'shape' is a shape that depends on the batch size"));
    bs_graph_free (g);
  }
  /* int64 into a float op */
  {
    bs_shape s = { .ndim = 2, .dims = { 1, 4 } };
    g = bs_graph_new (13);
    g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &s, err, sizeof err), >=, 0);
    node (g, "Shape", "x", "shape", 0, NULL);
    node (g, "Relu", "shape", "y", 0, NULL);
    g_assert_cmpint (bs_graph_add_output (g, "y", err, sizeof err), >=, 0);
    g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, -1);
    g_assert_nonnull (strstr (err, "input 0 ('shape') is int64, expected float"));
    bs_graph_free (g);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/nn/graph/run/chunks", test_run_chunks);
  g_test_add_func ("/engine/nn/graph/run/deterministic", test_run_deterministic);
  g_test_add_func ("/engine/nn/graph/run/10000-images", test_run_10000);
  g_test_add_func ("/engine/nn/graph/run/foreach-chunk", test_foreach_chunk);
  g_test_add_func ("/engine/nn/graph/run/fixed-batch", test_run_fixed_batch);
  g_test_add_func ("/engine/nn/graph/layers", test_layers);
  g_test_add_func ("/engine/nn/graph/run-from-layer", test_run_from_layer);
  g_test_add_func ("/engine/nn/graph/layer-override", test_layer_override);
  g_test_add_func ("/engine/nn/graph/conv-fusion", test_conv_fusion);
  g_test_add_func ("/engine/nn/graph/fold-bn", test_fold_bn);
  g_test_add_func ("/engine/nn/graph/fold-bn-conditions", test_fold_bn_conditions);
  g_test_add_func ("/engine/nn/graph/shapes", test_shapes);
  g_test_add_func ("/engine/nn/graph/fold-shapes/view", test_fold_view);
  g_test_add_func ("/engine/nn/graph/fold-shapes/constant", test_fold_constant_shape);
  g_test_add_func ("/engine/nn/graph/fold-shapes/refused", test_fold_refused);
  return g_test_run ();
}
