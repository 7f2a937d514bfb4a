/* The quantized evaluator on a small network built here: results against a
 * plain re-computation in the test (the seed's fixed-point formula written
 * out), prefix-cache reuse giving identical results, thread-count
 * independence, and statistics. */
#include "bs-test-ref.h"

#include "bs-eval.h"

enum { IN = 16, HID = 12, OUT = 4, N_IMG = 300 };

typedef struct {
  bs_graph *g;
  float w1[HID * IN], b1[HID], w2[OUT * HID], b2[OUT];
  bs_dataset ds;
  float *pix;
  int32_t *labels;
} Net;

static void
add_tensor (bs_graph *g, const char *name, const float *v, int ndim, const int64_t *dims)
{
  bs_tensor t = { 0 };
  char err[256];
  g_assert_cmpint (bs_tensor_init_f32 (&t, ndim, dims, err, sizeof err), ==, 0);
  memcpy ((float *) bs_tensor_f32 (&t), v, (size_t) bs_tensor_numel (&t) * sizeof (float));
  g_assert_cmpint (bs_graph_add_initializer (g, name, &t, err, sizeof err), >=, 0);
}

/* Flatten → Gemm(16→12, transB) → Relu → Gemm(12→4, transB) */
static void
net_build (Net *net, uint64_t seed)
{
  bs_test_rng rng = { seed };
  char err[256];
  int64_t in_dims[4] = { -1, 1, 4, 4 };
  bs_shape in_shape = bs_shape_make (4, in_dims);
  bs_attr tb = { .name = (char *) "transB", .type = BS_ATTR_INT, .i = 1 };
  int64_t d1[2] = { HID, IN }, d1b[1] = { HID }, d2[2] = { OUT, HID }, d2b[1] = { OUT };

  for (int i = 0; i < HID * IN; i++)
    net->w1[i] = (float) (bs_test_rng_uniform (&rng) - 0.5) * 0.8f;
  for (int i = 0; i < HID; i++)
    net->b1[i] = (float) (bs_test_rng_uniform (&rng) - 0.5) * 0.1f;
  for (int i = 0; i < OUT * HID; i++)
    net->w2[i] = (float) (bs_test_rng_uniform (&rng) - 0.5) * 1.2f;
  for (int i = 0; i < OUT; i++)
    net->b2[i] = 0;
  net->w1[5] = 0.0f;          /* one exact zero weight */

  net->g = bs_graph_new (13);
  g_assert_cmpint (bs_graph_add_input (net->g, "x", BS_DT_FLOAT, &in_shape, err, sizeof err), >=, 0);
  add_tensor (net->g, "w1", net->w1, 2, d1);
  add_tensor (net->g, "b1", net->b1, 1, d1b);
  add_tensor (net->g, "w2", net->w2, 2, d2);
  add_tensor (net->g, "b2", net->b2, 1, d2b);
  g_assert_cmpint (bs_graph_add_node (net->g, "Flatten", "flat", 1, (const char *[]) { "x" }, 1,
                                      (const char *[]) { "f" }, 0, NULL, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (net->g, "Gemm", "fc1", 3, (const char *[]) { "f", "w1", "b1" },
                                      1, (const char *[]) { "h" }, 1, &tb, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (net->g, "Relu", "relu", 1, (const char *[]) { "h" }, 1,
                                      (const char *[]) { "r" }, 0, NULL, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (net->g, "Gemm", "fc2", 3, (const char *[]) { "r", "w2", "b2" },
                                      1, (const char *[]) { "y" }, 1, &tb, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_output (net->g, "y", err, sizeof err), >=, 0);
  if (bs_graph_finalize (net->g, err, sizeof err) < 0)
    g_error ("finalize: %s", err);

  net->pix = g_new (float, N_IMG * IN);
  net->labels = g_new (int32_t, N_IMG);
  for (int i = 0; i < N_IMG * IN; i++)
    net->pix[i] = (float) bs_test_rng_uniform (&rng);
  for (int i = 0; i < N_IMG; i++)
    net->labels[i] = (int32_t) (bs_test_rng_next (&rng) % OUT);
  net->ds = (bs_dataset) { .n = N_IMG, .c = 1, .h = 4, .w = 4, .type = BS_PIXELS_F32,
                           .f32 = net->pix, .labels = net->labels, .n_classes = OUT };
}

static void
net_free (Net *net)
{
  bs_graph_free (net->g);
  g_free (net->pix);
  g_free (net->labels);
}

/* The seed's formula, written out: x rescaled by the power of two s, then
 * clip(round(2^(Q-1)·x)/2^(Q-1), -1, 1-2^-(Q-1)), then scaled back. */
static double
seed_fixed (double x, int q, double s)
{
  double m = ldexp (1.0, q - 1);
  double r = nearbyint (x / s * m) / m;
  double hi = 1.0 - 1.0 / m;
  return (r < -1 ? -1 : r > hi ? hi : r) * s;
}

/* smallest power of two s with maxabs ≤ s · (1 - 2^-(Q-1)) */
static double
seed_scale (double maxabs, int q)
{
  double hi = 1.0 - ldexp (1.0, 1 - q), s = 1.0;
  while (maxabs > s * hi)
    s *= 2;
  while (maxabs <= s / 2 * hi)
    s /= 2;
  return s;
}

static bs_evaluator *
make_eval (Net *net, int threads, int64_t chunk)
{
  bs_eval_opts o = BS_EVAL_OPTS_INIT;
  char err[256];
  bs_evaluator *ev;

  o.n_threads = threads;
  o.chunk = chunk;
  o.norm = bs_norm_unit (&net->ds);
  o.stat_images = 100;
  ev = bs_evaluator_new (net->g, &net->ds, &net->ds, &o, err, sizeof err);
  if (!ev)
    g_error ("evaluator: %s", err);
  return ev;
}

static bs_config *
config (const char *w0, const char *a0, const char *w1, const char *a1)
{
  bs_config *c = bs_config_new (2);
  char err[256];
  bs_layer_config l = BS_LAYER_CONFIG_FP32;
  g_snprintf (l.weight, sizeof l.weight, "%s", w0);
  g_snprintf (l.input, sizeof l.input, "%s", a0);
  l.scaling = BS_SCALING_LAYER_POW2;
  g_assert_cmpint (bs_config_set_layer (c, 0, &l, err, sizeof err), ==, 0);
  g_snprintf (l.weight, sizeof l.weight, "%s", w1);
  g_snprintf (l.input, sizeof l.input, "%s", a1);
  g_assert_cmpint (bs_config_set_layer (c, 1, &l, err, sizeof err), ==, 0);
  return c;
}

/* top-1 of the network with fixed<q> weights and inputs everywhere,
 * recomputed here in double */
static double
manual_top1 (const Net *net, int q)
{
  double wmax1 = 0, wmax2 = 0, amax1 = 0, amax2 = 0, sw1, sw2, sa1, sa2;
  int correct = 0;
  static double h[N_IMG][HID];

  for (int i = 0; i < HID * IN; i++) wmax1 = fmax (wmax1, fabs (net->w1[i]));
  for (int i = 0; i < OUT * HID; i++) wmax2 = fmax (wmax2, fabs (net->w2[i]));
  /* calibration = the same images, fp32 network */
  for (int n = 0; n < N_IMG; n++)
    for (int k = 0; k < IN; k++)
      amax1 = fmax (amax1, fabs (net->pix[n * IN + k]));
  for (int n = 0; n < N_IMG; n++)
    for (int o = 0; o < HID; o++)
      {
        float acc = 0;   /* fp32 reference for the calibration of layer 2 */
        for (int k = 0; k < IN; k++)
          acc += net->w1[o * IN + k] * net->pix[n * IN + k];
        acc += net->b1[o];
        amax2 = fmax (amax2, acc > 0 ? acc : 0);
      }
  sw1 = seed_scale (wmax1, q); sw2 = seed_scale (wmax2, q);
  sa1 = seed_scale (amax1, q); sa2 = seed_scale (amax2, q);

  for (int n = 0; n < N_IMG; n++)
    {
      double y[OUT];
      int best = 0;
      for (int o = 0; o < HID; o++)
        {
          double acc = net->b1[o];
          for (int k = 0; k < IN; k++)
            acc += seed_fixed (net->w1[o * IN + k], q, sw1) * seed_fixed (net->pix[n * IN + k], q, sa1);
          h[n][o] = acc > 0 ? acc : 0;
        }
      for (int o = 0; o < OUT; o++)
        {
          y[o] = net->b2[o];
          for (int k = 0; k < HID; k++)
            y[o] += seed_fixed (net->w2[o * HID + k], q, sw2) * seed_fixed ((float) h[n][k], q, sa2);
          if (y[o] > y[best])
            best = o;
        }
      correct += best == net->labels[n];
    }
  return 100.0 * correct / N_IMG;
}

static void
test_fixed_matches_seed_formula (void)
{
  Net net;
  bs_evaluator *ev;
  char err[256];

  net_build (&net, 11);
  ev = make_eval (&net, 2, 32);
  for (int q = 3; q <= 10; q += 7)
    {
      g_autofree char *name = g_strdup_printf ("fixed%d", q);
      bs_config *c = config (name, name, name, name);
      bs_eval_result r;
      g_assert_cmpint (bs_evaluator_run (ev, c, &r, err, sizeof err), ==, 0);
      g_assert_cmpstr (r.path, ==, "fake-quant");
      g_assert_cmpint (r.images, ==, N_IMG);
      g_assert_cmpfloat_with_epsilon (r.top1, manual_top1 (&net, q), 1e-9);
      bs_eval_result_clear (&r);
      bs_config_free (c);
    }
  bs_evaluator_free (ev);
  net_free (&net);
}

static void
assert_same_result (const bs_eval_result *a, const bs_eval_result *b)
{
  g_assert_cmpfloat (a->top1, ==, b->top1);
  g_assert_cmpfloat (a->top5, ==, b->top5);
  g_assert_cmpint (a->n_layers, ==, b->n_layers);
  for (int j = 0; j < a->n_layers; j++)
    {
      bs_assert_same (a->layers[j].output_sqnr_db, b->layers[j].output_sqnr_db, "layer %d sqnr", j);
      bs_assert_same (a->layers[j].input_sparsity, b->layers[j].input_sparsity, "layer %d sparsity", j);
      bs_assert_same (a->layers[j].weight_sqnr_db, b->layers[j].weight_sqnr_db, "layer %d wsqnr", j);
    }
}

/* Evaluating B after A (first difference at layer 1) restarts at layer 1 and
 * gives exactly what a fresh evaluator gives for B. */
static void
test_prefix_cache (void)
{
  Net net;
  bs_evaluator *warm, *cold;
  bs_config *a, *b;
  bs_eval_result ra, rb, rb_cold;
  char err[256];

  net_build (&net, 5);
  warm = make_eval (&net, 2, 32);
  cold = make_eval (&net, 2, 32);
  a = config ("fixed6", "fixed6", "fixed8", "fixed8");
  b = config ("fixed6", "fixed6", "fixed3", "fixed4");
  g_assert_cmpint (bs_evaluator_run (warm, a, &ra, err, sizeof err), ==, 0);
  g_assert_cmpint (ra.first_layer_run, ==, 0);
  g_assert_cmpint (bs_evaluator_run (warm, b, &rb, err, sizeof err), ==, 0);
  g_assert_cmpint (rb.first_layer_run, ==, 1);
  g_assert_cmpint (bs_evaluator_run (cold, b, &rb_cold, err, sizeof err), ==, 0);
  g_assert_cmpint (rb_cold.first_layer_run, ==, 0);
  assert_same_result (&rb, &rb_cold);
  /* a change at layer 0 runs everything again */
  bs_eval_result_clear (&ra);
  g_assert_cmpint (bs_evaluator_run (warm, a, &ra, err, sizeof err), ==, 0);
  g_assert_cmpint (ra.first_layer_run, ==, 1);   /* layer 0 is the same in a and b */
  bs_eval_result_clear (&ra);
  bs_config_free (a);
  a = config ("fixed5", "fixed6", "fixed8", "fixed8");
  g_assert_cmpint (bs_evaluator_run (warm, a, &ra, err, sizeof err), ==, 0);
  g_assert_cmpint (ra.first_layer_run, ==, 0);
  bs_eval_result_clear (&ra);
  bs_eval_result_clear (&rb);
  bs_eval_result_clear (&rb_cold);
  bs_config_free (a);
  bs_config_free (b);
  bs_evaluator_free (warm);
  bs_evaluator_free (cold);
  net_free (&net);
}

static void
test_threads_independent (void)
{
  Net net;
  bs_evaluator *e1, *e2;
  bs_config *c;
  bs_eval_result r1, r2;
  char err[256];

  net_build (&net, 9);
  e1 = make_eval (&net, 1, 16);
  e2 = make_eval (&net, 2, 16);
  c = config ("fp8_e4m3", "posit8_1", "int4", "fixed5");
  g_assert_cmpint (bs_evaluator_run (e1, c, &r1, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_evaluator_run (e2, c, &r2, err, sizeof err), ==, 0);
  assert_same_result (&r1, &r2);
  bs_eval_result_clear (&r1);
  bs_eval_result_clear (&r2);
  bs_config_free (c);
  bs_evaluator_free (e1);
  bs_evaluator_free (e2);
  net_free (&net);
}

/* fp32 everywhere: output SQNR is +inf, the top-1 that of the plain run. */
static void
test_fp32_statistics (void)
{
  Net net;
  bs_evaluator *ev;
  bs_config *c;
  bs_eval_result r;
  char err[256];
  double w_zero_frac;

  net_build (&net, 3);
  ev = make_eval (&net, 2, 64);
  c = bs_config_new (2);
  g_assert_cmpint (bs_evaluator_run (ev, c, &r, err, sizeof err), ==, 0);
  g_assert_cmpint (r.n_layers, ==, 2);
  g_assert_cmpstr (r.layers[0].name, ==, "fc1");
  g_assert_cmpint (r.layers[0].macs, ==, IN * HID);
  g_assert_cmpint (r.layers[1].macs, ==, HID * OUT);
  g_assert_true (isinf (r.layers[0].output_sqnr_db) && r.layers[0].output_sqnr_db > 0);
  g_assert_true (isinf (r.layers[1].weight_sqnr_db));
  w_zero_frac = 1.0 / (HID * IN);
  g_assert_cmpfloat_with_epsilon (r.layers[0].weight_sparsity_fp32, w_zero_frac, 1e-12);
  /* inputs of fc2 come after a ReLU: a good share are zeros */
  g_assert_cmpfloat (r.layers[1].input_sparsity_fp32, >, 0.05);
  g_assert_cmpfloat (r.layers[0].input_sparsity_fp32, ==, 0);
  bs_eval_result_clear (&r);

  /* coarse weights: more zeros after quantization than before, finite SQNR */
  bs_config_free (c);
  c = config ("fixed2", "fp32", "fixed2", "fp32");
  g_assert_cmpint (bs_evaluator_run (ev, c, &r, err, sizeof err), ==, 0);
  g_assert_cmpfloat (r.layers[0].weight_sparsity, >, r.layers[0].weight_sparsity_fp32);
  g_assert_true (isfinite (r.layers[0].weight_sqnr_db));
  g_assert_true (isfinite (r.layers[1].output_sqnr_db));
  bs_eval_result_clear (&r);
  bs_config_free (c);
  bs_evaluator_free (ev);
  net_free (&net);
}

static void
test_bad_config (void)
{
  Net net;
  bs_evaluator *ev;
  bs_config *c = bs_config_new (3);
  bs_eval_result r;
  char err[256] = "";

  net_build (&net, 1);
  ev = make_eval (&net, 1, 64);
  g_assert_cmpint (bs_evaluator_run (ev, c, &r, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "3 layers"));
  bs_config_free (c);
  bs_evaluator_free (ev);
  net_free (&net);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/nn/eval/fixed-matches-seed-formula", test_fixed_matches_seed_formula);
  g_test_add_func ("/engine/nn/eval/prefix-cache", test_prefix_cache);
  g_test_add_func ("/engine/nn/eval/threads-independent", test_threads_independent);
  g_test_add_func ("/engine/nn/eval/fp32-statistics", test_fp32_statistics);
  g_test_add_func ("/engine/nn/eval/bad-config", test_bad_config);
  return g_test_run ();
}
