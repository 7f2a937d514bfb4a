/* Training gradients against central finite differences, one op at a time:
 * each test builds  input → op(s) → Flatten → Gemm head → logits  and checks
 * dLoss/dinput and dLoss/dparam of every trained initializer (the head's
 * included) from bs_trainer_loss_grad against (L(θ+h) - L(θ-h)) / 2h of the
 * same trainer's loss.  Inputs are drawn away from kinks (ReLU at 0, Clip
 * bounds, MaxPool ties) by more than h, so the difference quotients are of a
 * smooth function. */
#include <math.h>
#include <string.h>

#include "bs-train.h"
#include "test-nn-util.h"

#define D(...) ((int64_t[]) { __VA_ARGS__ })
#define OPSET 13
#define CLASSES 4

static uint64_t
mix (uint64_t *s)
{
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double
unif (uint64_t *s)
{
  return (double) (mix (s) >> 11) * 0x1.0p-53;
}

/* A graph under construction: input "x", initializers and nodes by name. */
typedef struct {
  bs_graph *g;
  uint64_t rng;
} gb;

static gb
gb_new (int ndim, const int64_t *dims, uint64_t seed)
{
  gb b = { bs_graph_new (OPSET), seed };
  char err[300];
  int64_t d[BS_MAX_DIMS];
  memcpy (d, dims, (size_t) ndim * sizeof *d);
  d[0] = -1;
  bs_shape s = bs_shape_make (ndim, d);
  g_assert_cmpint (bs_graph_add_input (b.g, "x", BS_DT_FLOAT, &s, err, sizeof err), >=, 0);
  return b;
}

/* Initializer of uniform values in [lo, hi). */
static void
gb_init (gb *b, const char *name, int ndim, const int64_t *dims, double lo, double hi)
{
  bs_tensor t = nn_tensor (ndim, dims, NULL);
  char err[300];
  for (int64_t i = 0; i < bs_tensor_numel (&t); i++)
    bs_tensor_f32 (&t)[i] = (float) (lo + (hi - lo) * unif (&b->rng));
  g_assert_cmpint (bs_graph_add_initializer (b->g, name, &t, err, sizeof err), >=, 0);
}

static void
gb_node (gb *b, const char *op, const char *ins, const char *out, int n_attrs,
         const bs_attr *attrs)
{
  char err[300];
  gchar **v = g_strsplit (ins, ",", -1);
  int n = (int) g_strv_length (v);
  if (bs_graph_add_node (b->g, op, NULL, n, (const char *const *) v, 1,
                         (const char *const[]) { out }, n_attrs, attrs, err, sizeof err)
      < 0)
    g_error ("%s", err);
  g_strfreev (v);
}

/* Flatten `feat` (f values per image), Gemm head to CLASSES logits, finalize. */
static bs_graph *
gb_finish (gb *b, const char *feat, int64_t f)
{
  char err[300];
  bs_attr ax = nn_attr_int ("axis", 1), tb = nn_attr_int ("transB", 1);
  double s = 2.0 / sqrt ((double) f);
  gb_node (b, "Flatten", feat, "head.flat", 1, &ax);
  gb_init (b, "head.w", 2, D (CLASSES, f), -s, s);
  gb_init (b, "head.b", 1, D (CLASSES), -0.2, 0.2);
  gb_node (b, "Gemm", "head.flat,head.w,head.b", "logits", 1, &tb);
  g_assert_cmpint (bs_graph_add_output (b->g, "logits", err, sizeof err), >=, 0);
  if (bs_graph_finalize (b->g, err, sizeof err) < 0)
    g_error ("%s", err);
  return b->g;
}

/* Input values in ±[gap, 1]: away from 0 by gap. */
static float *
input_away_from_zero (int64_t n, double gap, uint64_t seed)
{
  float *x = g_new (float, n);
  uint64_t s = seed;
  for (int64_t i = 0; i < n; i++)
    {
      double v = gap + (1 - gap) * unif (&s);
      x[i] = (float) (mix (&s) & 1 ? v : -v);
    }
  return x;
}

/* A random permutation of distinct values k·step - offset: ties and near ties
 * (MaxPool) are at least `step` apart. */
static float *
input_distinct (int64_t n, double step, uint64_t seed)
{
  float *x = g_new (float, n);
  uint64_t s = seed;
  for (int64_t i = 0; i < n; i++)
    x[i] = (float) ((double) i * step - (double) n * step / 2 + step / 2);
  for (int64_t i = n - 1; i > 0; i--)
    {
      int64_t j = (int64_t) (unif (&s) * (double) (i + 1));
      float t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
  return x;
}

typedef struct {
  bs_trainer *t;
  float *x;
  int32_t *y;
  int64_t n, per;
  bool train_mode;
  double h;         /* finite-difference step */
} gc;

static double
loss_at (gc *c)
{
  double l;
  char err[300];
  if (bs_trainer_loss_grad (c->t, c->x, c->y, c->n, c->train_mode, &l, NULL, err, sizeof err)
      < 0)
    g_error ("%s", err);
  return l;
}

/* Compare analytic gradients ana[idx[k]] with central differences of f over
 * the sampled elements: ‖num - ana‖ ≤ 1e-2·‖ana‖ + 3e-4·√count, and ‖ana‖ > 0. */
static void
check_vector (gc *c, const char *what, float *vals, const float *ana, int64_t n, int max_samples,
              bool is_param)
{
  const double h = c->h;
  double e2 = 0, a2 = 0;
  int count = 0;
  int64_t stride = n > max_samples ? n / max_samples : 1;
  char err[300];

  for (int64_t i = 0; i < n; i += stride)
    {
      float v0 = vals[i];
      double lp, lm, num;
      vals[i] = (float) (v0 + h);
      if (is_param)
        g_assert_cmpint (bs_trainer_refresh (c->t, err, sizeof err), ==, 0);
      lp = loss_at (c);
      vals[i] = (float) (v0 - h);
      if (is_param)
        g_assert_cmpint (bs_trainer_refresh (c->t, err, sizeof err), ==, 0);
      lm = loss_at (c);
      vals[i] = v0;
      if (is_param)
        g_assert_cmpint (bs_trainer_refresh (c->t, err, sizeof err), ==, 0);
      num = (lp - lm) / ((double) (float) (v0 + h) - (double) (float) (v0 - h));
      e2 += (num - ana[i]) * (num - ana[i]);
      a2 += (double) ana[i] * ana[i];
      count++;
    }
  if (!(sqrt (a2) > 0))
    g_error ("%s: the analytic gradient is zero", what);
  if (sqrt (e2) > 1e-2 * sqrt (a2) + 3e-4 * sqrt ((double) count))
    g_error ("%s: ‖num - ana‖ = %g, ‖ana‖ = %g over %d elements", what, sqrt (e2), sqrt (a2),
             count);
}

/* Gradient-check graph g on images x [n, per] (x owned by the caller). */
static void
check_graph (bs_graph *g, float *x, int64_t n, int64_t per, bool train_mode, int threads,
             double h)
{
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  char err[300];
  gc c = { 0 };
  float *dx = g_new (float, n * per);
  double l;

  o.batch = (int) n;
  o.n_threads = threads;
  c.t = bs_trainer_new (g, &o, err, sizeof err);
  if (!c.t)
    g_error ("%s", err);
  c.x = x;
  c.n = n;
  c.per = per;
  c.train_mode = train_mode;
  c.h = h;
  c.y = g_new (int32_t, n);
  for (int64_t i = 0; i < n; i++)
    c.y[i] = (int32_t) ((i * 7 + 3) % CLASSES);

  g_assert_cmpint (bs_trainer_loss_grad (c.t, x, c.y, n, train_mode, &l, dx, err, sizeof err),
                   ==, 0);
  g_assert_true (isfinite (l));
  /* analytic gradients are copied: every loss_at overwrites them */
  {
    int np = bs_trainer_n_params (c.t);
    float **ana = g_new (float *, np);
    for (int i = 0; i < np; i++)
      {
        bs_train_param *p = bs_trainer_param (c.t, i);
        ana[i] = g_memdup2 (p->grad, (gsize) p->numel * sizeof (float));
      }
    check_vector (&c, "input", x, dx, n * per, 60, false);
    for (int i = 0; i < np; i++)
      {
        bs_train_param *p = bs_trainer_param (c.t, i);
        check_vector (&c, p->name, p->w, ana[i], p->numel, 40, true);
        g_free (ana[i]);
      }
    g_free (ana);
  }
  g_free (dx);
  g_free (c.y);
  bs_trainer_free (c.t);
}

static void
run_check_h (bs_graph *g, float *x, int64_t n, int64_t per, bool train_mode, double h)
{
  /* one thread and two: the split over the batch must not change gradients */
  check_graph (g, x, n, per, train_mode, 1, h);
  check_graph (g, x, n, per, train_mode, 2, h);
  g_free (x);
  bs_graph_free (g);
}

static void
run_check (bs_graph *g, float *x, int64_t n, int64_t per, bool train_mode)
{
  run_check_h (g, x, n, per, train_mode, 1e-2);
}

/* Conv ------------------------------------------------------------------------ */

static void
test_conv_basic (void)
{
  gb b = gb_new (4, D (3, 3, 7, 7), 1);
  bs_attr at[2] = { nn_attr_ints ("kernel_shape", 2, D (3, 3)),
                    nn_attr_ints ("pads", 4, D (1, 1, 1, 1)) };
  gb_init (&b, "w", 4, D (4, 3, 3, 3), -0.4, 0.4);
  gb_init (&b, "b", 1, D (4), -0.3, 0.3);
  gb_node (&b, "Conv", "x,w,b", "y", 2, at);
  run_check (gb_finish (&b, "y", 4 * 49), input_away_from_zero (3 * 147, 0, 2), 3, 147, false);
}

static void
test_conv_stride_dilation (void)
{
  gb b = gb_new (4, D (2, 2, 9, 8), 3);
  bs_attr at[3] = { nn_attr_ints ("strides", 2, D (2, 1)),
                    nn_attr_ints ("dilations", 2, D (2, 1)),
                    nn_attr_ints ("pads", 4, D (1, 0, 2, 1)) };
  /* out: h = (9 + 3 - 5) / 2 + 1 = 4, w = (8 + 1 - 2) / 1 + 1 = 8 */
  gb_init (&b, "w", 4, D (3, 2, 3, 2), -0.5, 0.5);
  gb_node (&b, "Conv", "x,w", "y", 3, at);
  run_check (gb_finish (&b, "y", 3 * 4 * 8), input_away_from_zero (2 * 144, 0, 4), 2, 144,
             false);
}

static void
test_conv_groups (void)
{
  gb b = gb_new (4, D (2, 4, 6, 6), 5);
  bs_attr at[4] = { nn_attr_ints ("kernel_shape", 2, D (3, 3)),
                    nn_attr_ints ("strides", 2, D (2, 2)),
                    nn_attr_ints ("pads", 4, D (1, 1, 1, 1)), nn_attr_int ("group", 2) };
  gb_init (&b, "w", 4, D (6, 2, 3, 3), -0.5, 0.5);
  gb_init (&b, "b", 1, D (6), -0.3, 0.3);
  gb_node (&b, "Conv", "x,w,b", "y", 4, at);
  run_check (gb_finish (&b, "y", 6 * 9), input_away_from_zero (2 * 144, 0, 6), 2, 144, false);
}

static void
test_conv_depthwise (void)
{
  gb b = gb_new (4, D (2, 3, 5, 5), 7);
  bs_attr at[2] = { nn_attr_ints ("pads", 4, D (1, 1, 1, 1)), nn_attr_int ("group", 3) };
  gb_init (&b, "w", 4, D (3, 1, 3, 3), -0.5, 0.5);
  gb_node (&b, "Conv", "x,w", "y", 2, at);
  run_check (gb_finish (&b, "y", 3 * 25), input_away_from_zero (2 * 75, 0, 8), 2, 75, false);
}

static void
test_conv_1d (void)
{
  gb b = gb_new (3, D (2, 2, 9), 9);
  bs_attr at[1] = { nn_attr_ints ("strides", 1, D (2)) };
  gb_init (&b, "w", 3, D (3, 2, 3), -0.5, 0.5);
  gb_init (&b, "b", 1, D (3), -0.3, 0.3);
  gb_node (&b, "Conv", "x,w,b", "y", 1, at);
  run_check (gb_finish (&b, "y", 3 * 4), input_away_from_zero (2 * 18, 0, 10), 2, 18, false);
}

/* Gemm and MatMul ---------------------------------------------------------------- */

static void
test_gemm_transb (void)
{
  gb b = gb_new (2, D (3, 6), 11);
  bs_attr tb = nn_attr_int ("transB", 1);
  gb_init (&b, "w", 2, D (5, 6), -0.5, 0.5);
  gb_init (&b, "c", 1, D (5), -0.5, 0.5);
  gb_node (&b, "Gemm", "x,w,c", "y", 1, &tb);
  run_check (gb_finish (&b, "y", 5), input_away_from_zero (3 * 6, 0, 12), 3, 6, false);
}

static void
test_gemm_alpha_beta (void)
{
  gb b = gb_new (2, D (3, 6), 13);
  bs_attr at[2] = { nn_attr_float ("alpha", 0.7f), nn_attr_float ("beta", 1.3f) };
  gb_init (&b, "w", 2, D (6, 5), -0.5, 0.5);   /* B as [K, N] (transB = 0) */
  gb_init (&b, "c", 1, D (1), -0.5, 0.5);      /* a scalar C */
  gb_node (&b, "Gemm", "x,w,c", "y", 2, at);
  run_check (gb_finish (&b, "y", 5), input_away_from_zero (3 * 6, 0, 14), 3, 6, false);
}

static void
test_matmul (void)
{
  gb b = gb_new (3, D (2, 3, 5), 15);
  gb_init (&b, "w", 2, D (5, 4), -0.5, 0.5);
  gb_node (&b, "MatMul", "x,w", "y", 0, NULL);
  run_check (gb_finish (&b, "y", 12), input_away_from_zero (2 * 15, 0, 16), 2, 15, false);
}

/* Activations ---------------------------------------------------------------------- */

static void
test_relu (void)
{
  gb b = gb_new (2, D (3, 8), 17);
  gb_node (&b, "Relu", "x", "y", 0, NULL);
  run_check (gb_finish (&b, "y", 8), input_away_from_zero (3 * 8, 0.05, 18), 3, 8, false);
}

static void
test_clip (void)
{
  gb b = gb_new (2, D (3, 8), 19);
  float *x = input_away_from_zero (3 * 8, 0.05, 20);
  int64_t d0[1] = { 0 };
  bs_tensor lo = nn_tensor (0, d0, (const float[]) { -0.5f });
  bs_tensor hi = nn_tensor (0, d0, (const float[]) { 0.6f });
  char err[300];
  /* keep the inputs away from the bounds too */
  for (int i = 0; i < 24; i++)
    if (fabsf (x[i] + 0.5f) < 0.05f || fabsf (x[i] - 0.6f) < 0.05f)
      x[i] *= 0.8f;
  g_assert_cmpint (bs_graph_add_initializer (b.g, "lo", &lo, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (b.g, "hi", &hi, err, sizeof err), >=, 0);
  gb_node (&b, "Clip", "x,lo,hi", "y", 0, NULL);
  run_check (gb_finish (&b, "y", 8), x, 3, 8, false);
}

/* Pools ---------------------------------------------------------------------------- */

static void
test_maxpool (void)
{
  gb b = gb_new (4, D (2, 2, 6, 6), 21);
  bs_attr at[2] = { nn_attr_ints ("kernel_shape", 2, D (2, 2)),
                    nn_attr_ints ("strides", 2, D (2, 2)) };
  gb_node (&b, "MaxPool", "x", "y", 2, at);
  run_check (gb_finish (&b, "y", 2 * 9), input_distinct (2 * 72, 0.05, 22), 2, 72, false);
}

static void
test_maxpool_overlap_pad (void)
{
  gb b = gb_new (4, D (2, 2, 7, 7), 23);
  bs_attr at[3] = { nn_attr_ints ("kernel_shape", 2, D (3, 3)),
                    nn_attr_ints ("strides", 2, D (2, 2)),
                    nn_attr_ints ("pads", 4, D (1, 1, 1, 1)) };
  gb_node (&b, "MaxPool", "x", "y", 3, at);
  run_check (gb_finish (&b, "y", 2 * 16), input_distinct (2 * 98, 0.05, 24), 2, 98, false);
}

static void
avgpool_case (int include_pad, uint64_t seed)
{
  gb b = gb_new (4, D (2, 2, 7, 6), seed);
  bs_attr at[4] = { nn_attr_ints ("kernel_shape", 2, D (3, 3)),
                    nn_attr_ints ("strides", 2, D (2, 2)),
                    nn_attr_ints ("pads", 4, D (1, 1, 1, 0)),
                    nn_attr_int ("count_include_pad", include_pad) };
  /* out: h = (7 + 2 - 3) / 2 + 1 = 4, w = (6 + 1 - 3) / 2 + 1 = 3 */
  gb_node (&b, "AveragePool", "x", "y", 4, at);
  run_check (gb_finish (&b, "y", 2 * 12), input_away_from_zero (2 * 84, 0, seed + 1), 2, 84,
             false);
}

static void
test_avgpool (void)
{
  avgpool_case (0, 25);
  avgpool_case (1, 27);
}

static void
test_global_avgpool (void)
{
  gb b = gb_new (4, D (3, 4, 3, 5), 29);
  gb_node (&b, "GlobalAveragePool", "x", "y", 0, NULL);
  run_check (gb_finish (&b, "y", 4), input_away_from_zero (3 * 60, 0, 30), 3, 60, false);
}

/* BatchNormalization ---------------------------------------------------------------- */

static void
bn_graph (gb *b, int64_t c)
{
  bs_attr eps = nn_attr_float ("epsilon", 1e-3f);
  gb_init (b, "s", 1, D (c), 0.5, 1.5);
  gb_init (b, "b", 1, D (c), -0.5, 0.5);
  gb_init (b, "m", 1, D (c), -0.2, 0.2);
  gb_init (b, "v", 1, D (c), 0.5, 1.5);
  gb_node (b, "BatchNormalization", "x,s,b,m,v", "y", 1, &eps);
}

static void
test_batchnorm_train (void)
{
  gb b = gb_new (4, D (4, 3, 3, 3), 31);
  bn_graph (&b, 3);
  run_check (gb_finish (&b, "y", 27), input_away_from_zero (4 * 27, 0, 32), 4, 27, true);
}

static void
test_batchnorm_eval (void)
{
  gb b = gb_new (4, D (4, 3, 3, 3), 33);
  bn_graph (&b, 3);
  run_check (gb_finish (&b, "y", 27), input_away_from_zero (4 * 27, 0, 34), 4, 27, false);
}

static void
test_batchnorm_2d (void)
{
  gb b = gb_new (2, D (5, 4), 35);
  bn_graph (&b, 4);
  run_check (gb_finish (&b, "y", 4), input_away_from_zero (5 * 4, 0, 36), 5, 4, true);
}

/* Structure ------------------------------------------------------------------------- */

static void
test_add (void)
{
  /* a residual: y = relu(x) + x, then a broadcast bias [C, 1, 1] */
  gb b = gb_new (4, D (2, 3, 2, 2), 37);
  gb_node (&b, "Relu", "x", "r", 0, NULL);
  gb_node (&b, "Add", "r,x", "s", 0, NULL);
  gb_init (&b, "bias", 3, D (3, 1, 1), -0.5, 0.5);
  gb_node (&b, "Add", "s,bias", "y", 0, NULL);
  run_check (gb_finish (&b, "y", 12), input_away_from_zero (2 * 12, 0.05, 38), 2, 12, false);
}

static void
test_reshape_flatten (void)
{
  /* [N, 2, 3, 4] → Reshape [0, 6, 4] → [N, 6, 4] → the head's Flatten */
  gb b = gb_new (4, D (2, 2, 3, 4), 39);
  bs_tensor shape = nn_tensor_i64 (3, D (0, 6, 4));
  char err[300];
  g_assert_cmpint (bs_graph_add_initializer (b.g, "shape", &shape, err, sizeof err), >=, 0);
  gb_node (&b, "Reshape", "x,shape", "r", 0, NULL);
  run_check (gb_finish (&b, "r", 24), input_away_from_zero (2 * 24, 0, 40), 2, 24, false);
}

static void
test_concat (void)
{
  gb b = gb_new (4, D (2, 2, 3, 3), 41);
  bs_attr ax = nn_attr_int ("axis", 1);
  gb_init (&b, "w", 4, D (3, 2, 1, 1), -0.5, 0.5);
  gb_node (&b, "Conv", "x,w", "c", 0, NULL);
  gb_node (&b, "Concat", "x,c", "y", 1, &ax);
  run_check (gb_finish (&b, "y", 5 * 9), input_away_from_zero (2 * 18, 0, 42), 2, 18, false);
}

static void
test_softmax_inner (void)
{
  gb b = gb_new (3, D (2, 4, 3), 43);
  bs_attr ax = nn_attr_int ("axis", 1);
  gb_node (&b, "Softmax", "x", "y", 1, &ax);
  run_check (gb_finish (&b, "y", 12), input_away_from_zero (2 * 12, 0, 44), 2, 12, false);
}

/* A Softmax as the graph's output is fused with the loss: the gradient that
 * reaches its input is softmax - onehot. */
static void
test_softmax_output (void)
{
  gb b = gb_new (2, D (3, 6), 45);
  bs_attr tb = nn_attr_int ("transB", 1), ax = nn_attr_int ("axis", 1);
  char err[300];
  gb_init (&b, "w", 2, D (CLASSES, 6), -0.5, 0.5);
  gb_node (&b, "Gemm", "x,w", "z", 1, &tb);
  gb_node (&b, "Softmax", "z", "p", 1, &ax);
  g_assert_cmpint (bs_graph_add_output (b.g, "p", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_finalize (b.g, err, sizeof err), ==, 0);
  run_check (b.g, input_away_from_zero (3 * 6, 0, 46), 3, 6, false);
}

/* The engine's test network (Conv+BN+Relu, MaxPool, grouped and depthwise
 * Conv, Add, Clip, AveragePool, Concat, Flatten, Gemm+BN, Reshape, MatMul,
 * Softmax) end to end, BN in training mode. */
static void
test_small_cnn (void)
{
  bs_graph *g = nn_small_cnn (13, 5);
  /* many ReLU/MaxPool/Clip kinks inside: a smaller step crosses fewer */
  run_check_h (g, input_away_from_zero (4 * 64, 0, 47), 4, 64, true, 3e-3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/nn/train/grad/conv", test_conv_basic);
  g_test_add_func ("/engine/nn/train/grad/conv-stride-dilation-pads", test_conv_stride_dilation);
  g_test_add_func ("/engine/nn/train/grad/conv-groups", test_conv_groups);
  g_test_add_func ("/engine/nn/train/grad/conv-depthwise", test_conv_depthwise);
  g_test_add_func ("/engine/nn/train/grad/conv-1d", test_conv_1d);
  g_test_add_func ("/engine/nn/train/grad/gemm", test_gemm_transb);
  g_test_add_func ("/engine/nn/train/grad/gemm-alpha-beta", test_gemm_alpha_beta);
  g_test_add_func ("/engine/nn/train/grad/matmul", test_matmul);
  g_test_add_func ("/engine/nn/train/grad/relu", test_relu);
  g_test_add_func ("/engine/nn/train/grad/clip", test_clip);
  g_test_add_func ("/engine/nn/train/grad/maxpool", test_maxpool);
  g_test_add_func ("/engine/nn/train/grad/maxpool-overlap-pad", test_maxpool_overlap_pad);
  g_test_add_func ("/engine/nn/train/grad/averagepool", test_avgpool);
  g_test_add_func ("/engine/nn/train/grad/globalaveragepool", test_global_avgpool);
  g_test_add_func ("/engine/nn/train/grad/batchnorm-train", test_batchnorm_train);
  g_test_add_func ("/engine/nn/train/grad/batchnorm-eval", test_batchnorm_eval);
  g_test_add_func ("/engine/nn/train/grad/batchnorm-2d", test_batchnorm_2d);
  g_test_add_func ("/engine/nn/train/grad/add", test_add);
  g_test_add_func ("/engine/nn/train/grad/reshape", test_reshape_flatten);
  g_test_add_func ("/engine/nn/train/grad/concat", test_concat);
  g_test_add_func ("/engine/nn/train/grad/softmax", test_softmax_inner);
  g_test_add_func ("/engine/nn/train/grad/softmax-cross-entropy", test_softmax_output);
  g_test_add_func ("/engine/nn/train/grad/small-cnn", test_small_cnn);
  return g_test_run ();
}
