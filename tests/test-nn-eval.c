/* The quantized evaluator on a small network built here: results against a
 * plain re-computation in the test (the seed's fixed-point formula written
 * out), prefix-cache reuse giving identical results (also under each search
 * strategy and its cache hints), thread-count independence, and statistics. */
#include "bs-test-ref.h"

#include "bs-eval.h"
#include "bs-search.h"

#include <stdio.h>

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

/* A deeper chain for the cache tests: Flatten → Gemm 16→12 → Relu →
 * (Gemm 12→12 → Relu) × 2 → Gemm 12→4: four compute layers, so three cache
 * boundaries (before layers 1, 2 and 3). */
enum { DEEP = 4 };

typedef struct {
  bs_graph *g;
  bs_dataset ds;
  float *pix;
  int32_t *labels;
} Deep;

static void
deep_build (Deep *d, uint64_t seed)
{
  bs_test_rng rng = { seed };
  char err[256];
  int64_t in_dims[4] = { -1, 1, 4, 4 };
  bs_shape in_shape = bs_shape_make (4, in_dims);
  bs_attr tb = { .name = (char *) "transB", .type = BS_ATTR_INT, .i = 1 };
  char prev[16] = "f";

  d->g = bs_graph_new (13);
  g_assert_cmpint (bs_graph_add_input (d->g, "x", BS_DT_FLOAT, &in_shape, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (d->g, "Flatten", "flat", 1, (const char *[]) { "x" }, 1,
                                      (const char *[]) { "f" }, 0, NULL, err, sizeof err), >=, 0);
  for (int l = 0; l < DEEP; l++)
    {
      int64_t n_in = l == 0 ? IN : HID, n_out = l == DEEP - 1 ? OUT : HID;
      int64_t dw[2] = { n_out, n_in }, db[1] = { n_out };
      g_autofree float *w = g_new (float, n_out * n_in);
      g_autofree float *b = g_new (float, n_out);
      g_autofree char *wn = g_strdup_printf ("w%d", l), *bn = g_strdup_printf ("b%d", l);
      g_autofree char *fc = g_strdup_printf ("fc%d", l), *h = g_strdup_printf ("h%d", l);
      g_autofree char *rl = g_strdup_printf ("relu%d", l), *r = g_strdup_printf ("r%d", l);
      for (int64_t i = 0; i < n_out * n_in; i++)
        w[i] = (float) (bs_test_rng_uniform (&rng) - 0.5) * 1.0f;
      for (int64_t i = 0; i < n_out; i++)
        b[i] = (float) (bs_test_rng_uniform (&rng) - 0.5) * 0.1f;
      add_tensor (d->g, wn, w, 2, dw);
      add_tensor (d->g, bn, b, 1, db);
      g_assert_cmpint (bs_graph_add_node (d->g, "Gemm", fc, 3, (const char *[]) { prev, wn, bn },
                                          1, (const char *[]) { h }, 1, &tb, err, sizeof err),
                       >=, 0);
      if (l == DEEP - 1)
        break;
      g_assert_cmpint (bs_graph_add_node (d->g, "Relu", rl, 1, (const char *[]) { h }, 1,
                                          (const char *[]) { r }, 0, NULL, err, sizeof err), >=, 0);
      g_snprintf (prev, sizeof prev, "%s", r);
    }
  {
    g_autofree char *y = g_strdup_printf ("h%d", DEEP - 1);
    g_assert_cmpint (bs_graph_add_output (d->g, y, err, sizeof err), >=, 0);
  }
  if (bs_graph_finalize (d->g, err, sizeof err) < 0)
    g_error ("finalize: %s", err);

  d->pix = g_new (float, N_IMG * IN);
  d->labels = g_new (int32_t, N_IMG);
  for (int i = 0; i < N_IMG * IN; i++)
    d->pix[i] = (float) bs_test_rng_uniform (&rng);
  for (int i = 0; i < N_IMG; i++)
    d->labels[i] = (int32_t) (bs_test_rng_next (&rng) % OUT);
  d->ds = (bs_dataset) { .n = N_IMG, .c = 1, .h = 4, .w = 4, .type = BS_PIXELS_F32,
                         .f32 = d->pix, .labels = d->labels, .n_classes = OUT };
}

static void
deep_free (Deep *d)
{
  bs_graph_free (d->g);
  g_free (d->pix);
  g_free (d->labels);
}

/* cache_bytes 1: no boundary fits, every run starts at layer 0 */
static bs_evaluator *
deep_eval (Deep *d, size_t cache_bytes)
{
  bs_eval_opts o = BS_EVAL_OPTS_INIT;
  char err[256];
  bs_evaluator *ev;

  o.n_threads = 2;
  o.chunk = 32;
  o.norm = bs_norm_unit (&d->ds);
  o.stat_images = 100;
  o.cache_bytes = cache_bytes;
  ev = bs_evaluator_new (d->g, &d->ds, &d->ds, &o, err, sizeof err);
  if (!ev)
    g_error ("evaluator: %s", err);
  return ev;
}

/* One format per layer (weights and inputs alike), fp32 written "fp32". */
static bs_config *
deep_config (const char *f0, const char *f1, const char *f2, const char *f3)
{
  const char *f[DEEP] = { f0, f1, f2, f3 };
  bs_config *c = bs_config_new (DEEP);
  char err[256];

  for (int l = 0; l < DEEP; l++)
    {
      bs_layer_config lc = BS_LAYER_CONFIG_FP32;
      g_snprintf (lc.weight, sizeof lc.weight, "%s", f[l]);
      g_snprintf (lc.input, sizeof lc.input, "%s", f[l]);
      if (strcmp (f[l], "fp32") != 0)
        lc.scaling = BS_SCALING_LAYER_POW2;
      g_assert_cmpint (bs_config_set_layer (c, l, &lc, err, sizeof err), ==, 0);
    }
  return c;
}

/* Run cfg on ev, check it against a fresh run of the uncached evaluator
 * cold, and return the layer the cached run started at. */
static int
run_checked (bs_evaluator *ev, bs_evaluator *cold, const bs_config *cfg)
{
  bs_eval_result r, rc;
  char err[256];
  int first;

  g_assert_cmpint (bs_evaluator_run (ev, cfg, &r, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_evaluator_run (cold, cfg, &rc, err, sizeof err), ==, 0);
  g_assert_cmpint (rc.first_layer_run, ==, 0);
  assert_same_result (&r, &rc);
  first = r.first_layer_run;
  bs_eval_result_clear (&r);
  bs_eval_result_clear (&rc);
  return first;
}

/* bs_evaluator_set_cache_keep: a run saves the boundaries up to the limit
 * only; boundaries held for the run's own prefix survive a lower limit; the
 * results never change. */
static void
test_cache_keep (void)
{
  Deep d;
  bs_evaluator *ev, *cold;
  bs_config *base, *c2, *c3, *c1, *c2b;

  deep_build (&d, 21);
  ev = deep_eval (&d, 0);
  cold = deep_eval (&d, 1);
  base = deep_config ("fixed8", "fixed8", "fixed8", "fixed8");
  c1 = deep_config ("fixed8", "fixed4", "fixed8", "fixed8");    /* differs at layer 1 */
  c2 = deep_config ("fixed8", "fixed8", "fixed4", "fixed8");    /* at 2 */
  c2b = deep_config ("fixed8", "fixed8", "fixed5", "fixed8");   /* at 2 from c2 */
  c3 = deep_config ("fixed8", "fixed8", "fixed8", "fixed4");    /* at 3 */

  /* none kept: every run starts from the input */
  bs_evaluator_set_cache_keep (ev, BS_EVAL_CACHE_NONE);
  g_assert_cmpint (run_checked (ev, cold, base), ==, 0);
  g_assert_cmpint (run_checked (ev, cold, c3), ==, 0);
  g_assert_cmpint (run_checked (ev, cold, base), ==, 0);

  /* boundaries up to layer 1: a change at layer 3 restarts at 1 */
  bs_evaluator_set_cache_keep (ev, 1);
  g_assert_cmpint (run_checked (ev, cold, c1), ==, 0);
  g_assert_cmpint (run_checked (ev, cold, base), ==, 1);
  g_assert_cmpint (run_checked (ev, cold, c3), ==, 1);

  /* all of them (the default): a change at 2 restarts at 2, at 3 at 3 */
  bs_evaluator_set_cache_keep (ev, BS_EVAL_CACHE_ALL);
  g_assert_cmpint (run_checked (ev, cold, base), ==, 1);
  g_assert_cmpint (run_checked (ev, cold, c2), ==, 2);
  g_assert_cmpint (run_checked (ev, cold, base), ==, 2);
  g_assert_cmpint (run_checked (ev, cold, c3), ==, 3);

  /* lowering the limit keeps what this run's prefix holds (boundary 2 of
   * base's prefix) but drops the deeper ones it recomputes */
  bs_evaluator_set_cache_keep (ev, BS_EVAL_CACHE_NONE);
  g_assert_cmpint (run_checked (ev, cold, c2), ==, 2);
  g_assert_cmpint (run_checked (ev, cold, c2b), ==, 2);
  g_assert_cmpint (run_checked (ev, cold, base), ==, 2);
  /* boundary 3 was not saved after c2b, nor after base */
  g_assert_cmpint (run_checked (ev, cold, c3), ==, 2);
  /* a limit past the last layer is all of them */
  bs_evaluator_set_cache_keep (ev, 99);
  g_assert_cmpint (run_checked (ev, cold, base), ==, 2);
  g_assert_cmpint (run_checked (ev, cold, c3), ==, 3);

  bs_config_free (base);
  bs_config_free (c1);
  bs_config_free (c2);
  bs_config_free (c2b);
  bs_config_free (c3);
  bs_evaluator_free (ev);
  bs_evaluator_free (cold);
  deep_free (&d);
}

/* The strategies over the real evaluator, three ways: with the prefix cache
 * and the strategies' hints, with the cache keeping everything, and without
 * a cache.  Every configuration's metrics are the same bit for bit, the
 * hints lose no reuse (each call starts at the same layer as with the cache
 * keeping everything), and the cache is really used. */
typedef struct {
  bs_evaluator *ev;
  bool hints;
  int *first;          /* start layer of each call */
  size_t n, cap;
  int keep;
} SearchEval;

static void
search_hint (int keep, void *user)
{
  SearchEval *se = user;
  g_assert_cmpint (keep, >=, 0);
  g_assert_cmpint (keep, <, DEEP);
  se->keep = keep;
}

static int
search_evaluate (const bs_config *cfg, int first_changed, bs_metrics *out, void *user)
{
  SearchEval *se = user;
  bs_eval_result r;
  char err[256];

  (void) first_changed;
  if (se->hints)
    bs_evaluator_set_cache_keep (se->ev, se->keep > 0 ? se->keep : BS_EVAL_CACHE_NONE);
  if (bs_evaluator_run (se->ev, cfg, &r, err, sizeof err) < 0)
    g_error ("run: %s", err);
  if (se->n == se->cap)
    {
      se->cap = se->cap ? 2 * se->cap : 64;
      se->first = g_renew (int, se->first, se->cap);
    }
  se->first[se->n++] = r.first_layer_run;
  memset (out, 0, sizeof *out);
  out->top1 = r.top1;
  out->top5 = r.top5;
  /* a stand-in energy that falls with the bits, for nsga2's front */
  for (int j = 0; j < DEEP; j++)
    {
      int bits = 32;
      sscanf (bs_config_layer (cfg, j)->weight, "fixed%d", &bits);
      out->energy_pj += bits * (double) (j + 1);
      out->input_sparsity += r.layers[j].input_sparsity;
      out->weight_sparsity += r.layers[j].output_sqnr_db;   /* carried along, compared */
    }
  bs_eval_result_clear (&r);
  return 0;
}

static void
test_search_cache_identical (void)
{
  static const char *const formats[] = { "fixed8", "fixed6", "fixed4", "fixed3", "fixed2" };
  Deep d;

  deep_build (&d, 33);
  for (int s = 0; s < BS_N_STRATEGIES; s++)
    {
      bs_search_result res[3];
      SearchEval se[3] = { { 0 } };
      size_t restarts = 0;

      for (int v = 0; v < 3; v++)
        {
          bs_search_ctx ctx;
          char err[256];
          bs_search_ctx_init (&ctx);
          ctx.n_layers = DEEP;
          ctx.formats = formats;
          ctx.n_formats = G_N_ELEMENTS (formats);
          ctx.layer_template.acc = BS_ACC_FP32;
          ctx.max_drop = 3.0;
          ctx.budget = s == BS_STRATEGY_RANDOM || s == BS_STRATEGY_NSGA2 ? 40 : 0;
          ctx.population = 8;
          ctx.seed = 7;
          se[v].ev = deep_eval (&d, v == 2 ? 1 : 0);
          se[v].hints = v == 0;
          se[v].keep = DEEP - 1;
          ctx.evaluate = search_evaluate;
          ctx.evaluate_data = &se[v];
          ctx.cache_hint = search_hint;
          g_assert_cmpint (bs_search_run ((bs_strategy) s, &ctx, &res[v], err, sizeof err), ==, 0);
        }
      g_assert_cmpuint (res[0].n_points, >, 4);
      for (int v = 1; v < 3; v++)
        {
          g_assert_cmpuint (res[v].n_points, ==, res[0].n_points);
          for (size_t i = 0; i < res[0].n_points; i++)
            {
              const bs_metrics *a = &res[0].points[i].metrics, *b = &res[v].points[i].metrics;
              g_assert_true (bs_config_equal (res[0].points[i].config, res[v].points[i].config));
              bs_assert_same (a->top1, b->top1, "%s point %zu top1", bs_strategy_name (s), i);
              bs_assert_same (a->top5, b->top5, "%s point %zu top5", bs_strategy_name (s), i);
              bs_assert_same (a->input_sparsity, b->input_sparsity, "%s point %zu sparsity",
                              bs_strategy_name (s), i);
              bs_assert_same (a->weight_sparsity, b->weight_sparsity, "%s point %zu sqnr",
                              bs_strategy_name (s), i);
            }
        }
      for (size_t i = 0; i < se[0].n; i++)
        {
          g_assert_cmpint (se[0].first[i], ==, se[1].first[i]);   /* no reuse lost */
          g_assert_cmpint (se[2].first[i], ==, 0);
          restarts += se[0].first[i] > 0;
        }
      if (s == BS_STRATEGY_GRID)
        g_assert_cmpuint (restarts, ==, 0);
      else if (s != BS_STRATEGY_NSGA2)
        g_assert_cmpuint (restarts, >, 0);
      for (int v = 0; v < 3; v++)
        {
          bs_search_result_clear (&res[v]);
          bs_evaluator_free (se[v].ev);
          g_free (se[v].first);
        }
    }
  deep_free (&d);
}

/* c on e1 and on e2: the same results; e1 started at compute layer `first`
 * (its prefix cache). */
static void
run_pair (bs_evaluator *e1, bs_evaluator *e2, const bs_config *c, int first)
{
  bs_eval_result r1, r2;
  char err[256];

  g_assert_cmpint (bs_evaluator_run (e1, c, &r1, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_evaluator_run (e2, c, &r2, err, sizeof err), ==, 0);
  g_assert_cmpint (r1.first_layer_run, ==, first);
  g_assert_cmpint (r1.images, ==, N_IMG);
  assert_same_result (&r1, &r2);
  for (int j = 0; j < r1.n_layers; j++)
    bs_assert_same (r1.layers[j].input_sparsity_fp32, r2.layers[j].input_sparsity_fp32,
                    "layer %d fp32 sparsity", j);
  bs_eval_result_clear (&r1);
  bs_eval_result_clear (&r2);
}

static void
test_threads_independent (void)
{
  Net net;
  bs_evaluator *e1, *e2;
  bs_config *c;

  net_build (&net, 9);
  e1 = make_eval (&net, 1, 16);
  e2 = make_eval (&net, 2, 16);
  c = config ("fp8_e4m3", "posit8_1", "int4", "fixed5");
  run_pair (e1, e2, c, 0);
  bs_config_free (c);
  bs_evaluator_free (e1);
  bs_evaluator_free (e2);
  net_free (&net);
}

/* With the default chunk a network of few Gemm weights runs the images past
 * the statistics' in chunks of 8 (eval.c): the same result as chunks of
 * 64 throughout (the statistics' images chunked alike), also when a second
 * configuration restarts from layer 1 out of the prefix cache. */
static void
test_chunks_split (void)
{
  Net net;
  bs_evaluator *e_auto, *e_64;
  bs_config *a, *b;

  net_build (&net, 11);
  e_auto = make_eval (&net, 2, 0);
  e_64 = make_eval (&net, 2, 64);
  a = config ("fp8_e4m3", "fp8_e4m3", "int4", "fixed5");
  b = config ("fp8_e4m3", "fp8_e4m3", "fixed3", "int8");
  run_pair (e_auto, e_64, a, 0);
  run_pair (e_auto, e_64, b, 1);
  bs_config_free (a);
  bs_config_free (b);
  bs_evaluator_free (e_auto);
  bs_evaluator_free (e_64);
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
  /* every layer lossless: the reference outputs are computed in the same
   * chunks as the run (a GEMM over another number of rows may sum in
   * another order) */
  for (int j = 0; j < 2; j++)
    g_assert_true (isinf (r.layers[j].output_sqnr_db) && r.layers[j].output_sqnr_db > 0);
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
  g_test_add_func ("/engine/nn/eval/prefix-cache/keep", test_cache_keep);
  g_test_add_func ("/engine/nn/eval/prefix-cache/strategies-identical",
                   test_search_cache_identical);
  g_test_add_func ("/engine/nn/eval/threads-independent", test_threads_independent);
  g_test_add_func ("/engine/nn/eval/chunks-split", test_chunks_split);
  g_test_add_func ("/engine/nn/eval/fp32-statistics", test_fp32_statistics);
  g_test_add_func ("/engine/nn/eval/bad-config", test_bad_config);
  return g_test_run ();
}
