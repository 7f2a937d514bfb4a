/* Training runs: the QNN straight-through rule and forward quantizers,
 * determinism, a short run that lowers the loss, k-means weight sharing,
 * optimizer and schedule arithmetic, BatchNorm running statistics, and ONNX
 * export → import giving the trainer's logits. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "bs-onnx.h"
#include "bs-train.h"
#include "test-nn-util.h"

#define D(...) ((int64_t[]) { __VA_ARGS__ })

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

/* A synthetic 4-class set of 1×8×8 images: class k has a bright 4×4 quadrant
 * k plus noise.  Learnable, but not in one step. */
static bs_train_data
synthetic (int64_t n, uint64_t seed)
{
  bs_train_data d = { 0 };
  uint64_t s = seed;
  d.n = n;
  d.c = 1;
  d.h = 8;
  d.w = 8;
  d.n_classes = 4;
  d.x = g_new (float, n * 64);
  d.labels = g_new (int32_t, n);
  for (int64_t i = 0; i < n; i++)
    {
      int k = (int) (mix (&s) % 4);
      d.labels[i] = k;
      for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
          {
            bool in = (y / 4) == k / 2 && (x / 4) == k % 2;
            d.x[i * 64 + y * 8 + x] = (float) ((in ? 0.6 : -0.3) + 0.9 * (unif (&s) - 0.5));
          }
    }
  d.fill[0] = -1.0f;
  return d;
}

static bs_graph *
build (bs_arch a, bool qnn, uint64_t seed)
{
  bs_graph *g;
  char err[300];
  if (bs_train_build (a, qnn, 1, 8, 8, 4, NULL, 0, seed, &g, err, sizeof err) < 0)
    g_error ("%s", err);
  return g;
}

static bs_trainer *
trainer (bs_graph *g, const bs_train_opts *o)
{
  char err[300];
  bs_trainer *t = bs_trainer_new (g, o, err, sizeof err);
  if (!t)
    g_error ("%s", err);
  return t;
}

static void
epoch (bs_trainer *t, const bs_train_data *d, int e)
{
  char err[300];
  if (bs_trainer_epoch (t, d, e, NULL, NULL, NULL, err, sizeof err) < 0)
    g_error ("%s", err);
}

static bs_train_param *
param_named (bs_trainer *t, const char *name)
{
  for (int i = 0; i < bs_trainer_n_params (t); i++)
    if (strcmp (bs_trainer_param (t, i)->name, name) == 0)
      return bs_trainer_param (t, i);
  g_error ("no param %s", name);
  return NULL;
}

/* QNN ------------------------------------------------------------------------------ */

/* fixed<Q> as the seed defines it, computed here: clip(round(2^(Q-1) w) /
 * 2^(Q-1), -1, 1 - 2^-(Q-1)), ties to even. */
static float
seed_fixed (double w, int q)
{
  double s = ldexp (1.0, q - 1), r = nearbyint (w * s) / s, hi = 1.0 - 1.0 / s;
  return (float) (r < -1 ? -1 : r > hi ? hi : r);
}

static void
test_qnn_fixed_forward (void)
{
  bs_graph *g = build (BS_ARCH_MLP, true, 3);
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  bs_trainer *t;
  char err[300];
  int checked = 0;

  o.batch = 8;
  t = trainer (g, &o);
  g_assert_cmpint (bs_trainer_set_qnn (t, "fixed2", "fixed2", "int8", 1.0 / 32, err, sizeof err),
                   ==, 0);
  for (int i = 0; i < bs_trainer_n_params (t); i++)
    {
      bs_train_param *p = bs_trainer_param (t, i);
      if (!p->is_weight)
        {
          g_assert_true (p->wf == p->w);
          continue;
        }
      for (int64_t k = 0; k < p->numel; k++)
        {
          g_assert_cmpfloat (fabsf (p->w[k]), <=, 1.0f);
          g_assert_cmpfloat (p->wf[k], ==, seed_fixed (p->w[k], 2));
          checked++;
        }
    }
  g_assert_cmpint (checked, >, 1000);
  bs_trainer_free (t);
  bs_graph_free (g);
}

/* Q = 1: weights and activations are sign(·).  A two-layer network
 * x → Gemm W1 → hardtanh → Gemm W2 is evaluated by hand with sign(W1),
 * sign(h) and sign(W2) and compared with the trainer's logits. */
static void
test_qnn_binary_forward (void)
{
  bs_graph *g = bs_graph_new (13);
  char err[300];
  uint64_t s = 5;
  float w1[5 * 6], w2[4 * 5], x[3 * 6], logits[3 * 4];
  bs_tensor t1, t2, lo, hi;
  bs_attr tb = nn_attr_int ("transB", 1);
  bs_shape in = bs_shape_make (2, D (-1, 6));
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  bs_trainer *t;

  for (int i = 0; i < 30; i++)
    w1[i] = (float) (unif (&s) * 1.6 - 0.8);
  for (int i = 0; i < 20; i++)
    w2[i] = (float) (unif (&s) * 1.6 - 0.8);
  for (int i = 0; i < 18; i++)
    x[i] = (float) (unif (&s) * 0.5 - 0.25);
  t1 = nn_tensor (2, D (5, 6), w1);
  t2 = nn_tensor (2, D (4, 5), w2);
  lo = nn_tensor (0, D (0), (const float[]) { -1 });
  hi = nn_tensor (0, D (0), (const float[]) { 1 });
  g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &in, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "w1", &t1, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "w2", &t2, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "lo", &lo, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "hi", &hi, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (g, "Gemm", "fc1", 2, (const char *[]) { "x", "w1" }, 1,
                                      (const char *[]) { "h" }, 1, &tb, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (g, "Clip", "ht", 3, (const char *[]) { "h", "lo", "hi" },
                                      1, (const char *[]) { "a" }, 0, NULL, err, sizeof err),
                   >=, 0);
  g_assert_cmpint (bs_graph_add_node (g, "Gemm", "fc2", 2, (const char *[]) { "a", "w2" }, 1,
                                      (const char *[]) { "z" }, 1, &tb, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_output (g, "z", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, 0);

  o.batch = 3;
  t = trainer (g, &o);
  /* the first layer's input stays float (input NULL) */
  g_assert_cmpint (bs_trainer_set_qnn (t, "binary", "binary", NULL, 1, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_trainer_logits (t, x, 3, logits, err, sizeof err), ==, 0);
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 4; k++)
      {
        double z = 0;
        for (int j = 0; j < 5; j++)
          {
            double h = 0, a;
            for (int c = 0; c < 6; c++)
              h += (double) x[i * 6 + c] * (w1[j * 6 + c] < 0 ? -1.0 : 1.0);
            h = h < -1 ? -1 : h > 1 ? 1 : h;
            a = h < 0 ? -1.0 : 1.0;
            z += a * (w2[k * 5 + j] < 0 ? -1.0 : 1.0);
          }
        /* ±1 products of five terms: exact in float */
        g_assert_cmpfloat (logits[i * 4 + k], ==, (float) z);
      }
  for (int k = 0; k < 20; k++)
    g_assert_cmpfloat (fabsf (param_named (t, "w2")->wf[k]), ==, 1.0f);
  bs_trainer_free (t);
  bs_graph_free (g);
}

/* STE: g_w = g_q · 1{|w| ≤ 1}.  The gradient w.r.t. q(w) comes from a
 * second trainer on the same network whose float weights are q(w) and whose
 * inputs are quantized the same way: every element must equal it where
 * |w| ≤ 1 and be exactly 0 where |w| > 1. */
static void
test_qnn_ste (void)
{
  bs_graph *g = build (BS_ARCH_CNN, true, 7), *gq = build (BS_ARCH_CNN, true, 7);
  bs_train_data d = synthetic (16, 8);
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  bs_trainer *t, *tq;
  char err[300];
  double l1, l2;
  int blocked = 0, passed = 0;

  o.batch = 16;
  t = trainer (g, &o);
  g_assert_cmpint (bs_trainer_set_qnn (t, "fixed2", "fixed2", "int8", 1.0 / 64, err,
                                       sizeof err), ==, 0);
  /* push some weights outside [-1, 1] by hand (updates would clip them) */
  {
    bs_train_param *p = param_named (t, "conv2.weight");
    for (int64_t k = 0; k < p->numel; k += 5)
      p->w[k] = k % 2 ? 1.5f : -1.25f;
    g_assert_cmpint (bs_trainer_refresh (t, err, sizeof err), ==, 0);
  }
  /* the reference: weights quantized only on the activation side */
  tq = trainer (gq, &o);
  g_assert_cmpint (bs_trainer_set_qnn (tq, NULL, "fixed2", "int8", 1.0 / 64, err, sizeof err),
                   ==, 0);
  for (int i = 0; i < bs_trainer_n_params (t); i++)
    {
      bs_train_param *p = bs_trainer_param (t, i), *q = bs_trainer_param (tq, i);
      g_assert_cmpstr (p->name, ==, q->name);
      memcpy (q->w, p->wf, (size_t) p->numel * sizeof (float));
    }
  g_assert_cmpint (bs_trainer_loss_grad (t, d.x, d.labels, 16, true, &l1, NULL, err, sizeof err),
                   ==, 0);
  g_assert_cmpint (bs_trainer_loss_grad (tq, d.x, d.labels, 16, true, &l2, NULL, err,
                                         sizeof err), ==, 0);
  g_assert_cmpfloat (l1, ==, l2);
  for (int i = 0; i < bs_trainer_n_params (t); i++)
    {
      bs_train_param *p = bs_trainer_param (t, i), *q = bs_trainer_param (tq, i);
      for (int64_t k = 0; k < p->numel; k++)
        {
          if (p->is_weight && fabsf (p->w[k]) > 1)
            {
              g_assert_cmpfloat (p->grad[k], ==, 0.0f);
              blocked++;
            }
          else
            {
              g_assert_cmpfloat (p->grad[k], ==, q->grad[k]);
              passed += q->grad[k] != 0;
            }
        }
    }
  g_assert_cmpint (blocked, >, 100);
  g_assert_cmpint (passed, >, 1000);
  bs_trainer_free (t);
  bs_trainer_free (tq);
  bs_graph_free (g);
  bs_graph_free (gq);
  bs_train_data_clear (&d);
}

/* Activation STE: the gradient reaching a hardtanh output is passed to its
 * input only where |x| ≤ 1, and a training step keeps |w| ≤ 1. */
static void
test_qnn_step_clips (void)
{
  bs_graph *g = build (BS_ARCH_MLP, true, 9);
  bs_train_data d = synthetic (32, 10);
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  bs_trainer *t;
  char err[300];

  o.batch = 16;
  o.lr = 0.5;   /* large steps push many weights past ±1 */
  t = trainer (g, &o);
  g_assert_cmpint (bs_trainer_set_qnn (t, "fixed3", "fixed3", "int8", 1.0 / 64, err,
                                       sizeof err), ==, 0);
  epoch (t, &d, 0);
  int at_bound = 0;
  for (int i = 0; i < bs_trainer_n_params (t); i++)
    {
      bs_train_param *p = bs_trainer_param (t, i);
      if (!p->is_weight)
        continue;
      for (int64_t k = 0; k < p->numel; k++)
        {
          g_assert_cmpfloat (fabsf (p->w[k]), <=, 1.0f);
          at_bound += fabsf (p->w[k]) == 1.0f;
          g_assert_cmpfloat (p->wf[k], ==, seed_fixed (p->w[k], 3));
        }
    }
  g_assert_cmpint (at_bound, >, 0);
  bs_trainer_free (t);
  bs_graph_free (g);
  bs_train_data_clear (&d);
}

/* Determinism ------------------------------------------------------------------------ */

static float *
train_and_copy (int threads, uint64_t seed, int64_t *n)
{
  bs_graph *g = build (BS_ARCH_RESNET, false, seed);
  bs_train_data d = synthetic (96, 11);
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  bs_trainer *t;
  char err[300];
  GArray *all = g_array_new (FALSE, FALSE, sizeof (float));

  o.batch = 32;
  o.n_threads = threads;
  o.seed = seed;
  o.augment_flip = true;
  o.augment_shift = 1;
  t = trainer (g, &o);
  epoch (t, &d, 0);
  epoch (t, &d, 1);
  g_assert_cmpint (bs_trainer_sync (t, err, sizeof err), ==, 0);
  for (int v = 0; v < g->n_values; v++)
    if (g->values[v].kind == BS_VALUE_INITIALIZER && g->values[v].dtype == BS_DT_FLOAT)
      g_array_append_vals (all, bs_tensor_f32 (&g->values[v].data),
                           (guint) bs_tensor_numel (&g->values[v].data));
  bs_trainer_free (t);
  bs_graph_free (g);
  bs_train_data_clear (&d);
  *n = all->len;
  return (float *) g_array_free (all, FALSE);
}

static void
test_deterministic (void)
{
  int64_t n1, n2, n3, n4;
  float *a = train_and_copy (2, 1, &n1), *b = train_and_copy (2, 1, &n2);
  float *c = train_and_copy (1, 1, &n3), *e = train_and_copy (2, 2, &n4);
  g_assert_cmpint (n1, ==, n2);
  /* same seed and threads: bit-identical (BN running statistics included) */
  g_assert_cmpmem (a, n1 * sizeof (float), b, n2 * sizeof (float));
  g_assert_cmpint (n1, ==, n3);
  /* one thread against two: the same training up to summation order */
  {
    double d2 = 0, a2 = 0;
    for (int64_t i = 0; i < n1; i++)
      {
        d2 += ((double) a[i] - c[i]) * ((double) a[i] - c[i]);
        a2 += (double) a[i] * a[i];
      }
    g_assert_cmpfloat (sqrt (d2), <, 1e-3 * sqrt (a2));
  }
  /* another seed: other weights */
  g_assert_cmpint (n1, ==, n4);
  g_assert_true (memcmp (a, e, (size_t) n1 * sizeof (float)) != 0);
  g_free (a);
  g_free (b);
  g_free (c);
  g_free (e);
}

/* A short run lowers the loss -------------------------------------------------------- */

static void
loss_decreases (bs_arch arch, bs_optimizer opt, double lr)
{
  bs_graph *g = build (arch, false, 21);
  bs_train_data d = synthetic (320, 22), v = synthetic (200, 23);
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  bs_trainer *t;
  char err[300];
  double l0, a0, l1, a1;

  o.batch = 32;
  o.optimizer = opt;
  o.lr = lr;
  o.epochs = 2;
  o.weight_decay = 1e-4;
  o.warmup_epochs = 0.5;
  t = trainer (g, &o);
  g_assert_cmpint (bs_trainer_evaluate (t, &v, &l0, &a0, err, sizeof err), ==, 0);
  epoch (t, &d, 0);
  epoch (t, &d, 1);
  g_assert_cmpint (bs_trainer_evaluate (t, &v, &l1, &a1, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_trainer_steps (t), ==, 20);
  g_assert_cmpfloat (l1, <, 0.5 * l0);
  g_assert_cmpfloat (a1, >, 0.9);
  bs_trainer_free (t);
  bs_graph_free (g);
  bs_train_data_clear (&d);
  bs_train_data_clear (&v);
}

static void
test_loss_decreases_adam (void)
{
  loss_decreases (BS_ARCH_CNN, BS_OPTIM_ADAM, 2e-3);
  loss_decreases (BS_ARCH_MLP, BS_OPTIM_ADAM, 2e-3);
}

static void
test_loss_decreases_sgd (void)
{
  loss_decreases (BS_ARCH_RESNET, BS_OPTIM_SGD, 0.05);
}

/* Clustering -------------------------------------------------------------------------- */

static int
distinct (const float *x, int64_t n, float *first)
{
  float *s = g_memdup2 (x, (gsize) n * sizeof (float));
  int c = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = i + 1; j < n; j++)
      if (s[j] < s[i])
        {
          float t = s[i];
          s[i] = s[j];
          s[j] = t;
        }
  for (int64_t i = 0; i < n; i++)
    if (i == 0 || s[i] != s[i - 1])
      c++;
  if (first)
    *first = s[0];
  g_free (s);
  return c;
}

/* After k-means (K = 4) and centroid fine-tuning each weight tensor holds
 * exactly K values, its centroids; the assignments do not change; each
 * centroid moves by -lr · (Σ of its weights' gradients) under plain SGD. */
static void
test_cluster (void)
{
  bs_graph *g = build (BS_ARCH_CNN, false, 31);
  bs_train_data d = synthetic (128, 32);
  bs_train_opts o = BS_TRAIN_OPTS_INIT, fo;
  bs_trainer *t;
  char err[300];
  float *before[16] = { 0 };
  int nw = 0;

  o.batch = 32;
  t = trainer (g, &o);
  epoch (t, &d, 0);
  g_assert_cmpint (bs_trainer_cluster (t, 4, 5, err, sizeof err), ==, 0);
  fo = o;
  fo.optimizer = BS_OPTIM_SGD;
  fo.momentum = 0;
  fo.schedule = BS_LR_CONSTANT;
  fo.lr = 0.01;
  g_assert_cmpint (bs_trainer_restart (t, &fo, err, sizeof err), ==, 0);
  for (int i = 0; i < bs_trainer_n_params (t); i++)
    {
      bs_train_param *p = bs_trainer_param (t, i);
      if (!p->is_weight)
        continue;
      g_assert_cmpint (p->clusters, ==, 4);
      g_assert_cmpint (distinct (p->wf, p->numel, NULL), ==, 4);
      before[nw++] = g_memdup2 (p->wf, (gsize) p->numel * sizeof (float));
    }
  g_assert_cmpint (nw, ==, 4);   /* conv1, conv2, fc1, fc_out */

  /* one step by hand: centroid_new = centroid - lr · Σ member gradients */
  {
    float cent[4][4];
    double sums[4][4] = { { 0 } };
    int w = 0;
    for (int i = 0; i < bs_trainer_n_params (t); i++)
      if (bs_trainer_param (t, i)->is_weight)
        memcpy (cent[w++], bs_trainer_param (t, i)->centroids, 4 * sizeof (float));
    g_assert_cmpint (bs_trainer_step (t, d.x, d.labels, 32, 4, NULL, NULL, err, sizeof err), ==,
                     0);
    w = 0;
    for (int i = 0; i < bs_trainer_n_params (t); i++)
      {
        bs_train_param *p = bs_trainer_param (t, i);
        if (!p->is_weight)
          continue;
        for (int64_t k = 0; k < p->numel; k++)
          {
            int j = 0;
            while (j < 4 && cent[w][j] != before[w][k])
              j++;
            g_assert_cmpint (j, <, 4);
            sums[w][j] += p->grad[k];
          }
        for (int j = 0; j < 4; j++)
          g_assert_cmpfloat (p->centroids[j], ==, cent[w][j] - 0.01f * (float) sums[w][j]);
        w++;
      }
  }
  epoch (t, &d, 1);
  g_assert_cmpint (bs_trainer_sync (t, err, sizeof err), ==, 0);
  {
    int w = 0, moved = 0;
    for (int i = 0; i < bs_trainer_n_params (t); i++)
      {
        bs_train_param *p = bs_trainer_param (t, i);
        const float *gv;
        if (!p->is_weight)
          continue;
        gv = bs_tensor_f32 (&g->values[p->value].data);
        g_assert_cmpint (distinct (gv, p->numel, NULL), ==, 4);
        /* same partition: equal before ⇔ equal after */
        for (int64_t k = 1; k < p->numel; k++)
          g_assert_cmpint (before[w][k] == before[w][0], ==, gv[k] == gv[0]);
        moved += memcmp (before[w], gv, (size_t) p->numel * sizeof (float)) != 0;
        g_free (before[w]);
        w++;
      }
    g_assert_cmpint (moved, ==, 4);
  }
  bs_trainer_free (t);
  bs_graph_free (g);
  bs_train_data_clear (&d);
}

/* Optimizers and schedule ------------------------------------------------------------------ */

/* One step of SGD (momentum: the first velocity is g) and of Adam (the first
 * bias-corrected step is lr · g / (|g| + ε)) against the formulas. */
static void
optimizer_step (bs_optimizer opt)
{
  bs_graph *g = build (BS_ARCH_MLP, false, 41);
  bs_train_data d = synthetic (16, 42);
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  bs_trainer *t;
  char err[300];
  int np;
  float **w0;

  o.batch = 16;
  o.optimizer = opt;
  o.lr = 0.01;
  o.schedule = BS_LR_CONSTANT;
  o.weight_decay = 0.1;
  t = trainer (g, &o);
  np = bs_trainer_n_params (t);
  w0 = g_new (float *, np);
  for (int i = 0; i < np; i++)
    w0[i] = g_memdup2 (bs_trainer_param (t, i)->w,
                       (gsize) bs_trainer_param (t, i)->numel * sizeof (float));
  g_assert_cmpint (bs_trainer_step (t, d.x, d.labels, 16, 1, NULL, NULL, err, sizeof err), ==, 0);
  for (int i = 0; i < np; i++)
    {
      bs_train_param *p = bs_trainer_param (t, i);
      double wd = p->is_weight ? 0.1 : 0.0;
      for (int64_t k = 0; k < p->numel; k++)
        {
          double gk = (double) p->grad[k] + wd * w0[i][k], want;
          if (opt == BS_OPTIM_SGD)
            want = w0[i][k] - 0.01 * gk;
          else
            want = w0[i][k] - 0.01 * gk / (fabs (gk) + 1e-8);
          g_assert_cmpfloat (fabs (p->w[k] - want), <=, 1e-6 + 1e-5 * fabs (want));
        }
      g_free (w0[i]);
    }
  g_free (w0);
  bs_trainer_free (t);
  bs_graph_free (g);
  bs_train_data_clear (&d);
}

static void
test_optimizer_sgd (void)
{
  optimizer_step (BS_OPTIM_SGD);
}

static void
test_optimizer_adam (void)
{
  optimizer_step (BS_OPTIM_ADAM);
}

static void
test_lr_schedule (void)
{
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  o.lr = 0.1;
  o.epochs = 10;
  o.warmup_epochs = 1;
  o.schedule = BS_LR_COSINE;
  o.lr_min = 0.001;
  /* 100 steps per epoch: warm-up over steps 0..99 */
  g_assert_cmpfloat_with_epsilon (bs_train_lr (&o, 0, 100), 0.001, 1e-15);
  g_assert_cmpfloat_with_epsilon (bs_train_lr (&o, 49, 100), 0.05, 1e-15);
  g_assert_cmpfloat_with_epsilon (bs_train_lr (&o, 100, 100), 0.1, 1e-15);
  /* half-way through the 900 cosine steps: the mean of lr and lr_min */
  g_assert_cmpfloat_with_epsilon (bs_train_lr (&o, 550, 100), 0.0505, 1e-12);
  g_assert_cmpfloat_with_epsilon (bs_train_lr (&o, 1000, 100), 0.001, 1e-12);
  o.schedule = BS_LR_STEP;
  o.warmup_epochs = 0;
  o.step_epochs = 3;
  o.step_gamma = 0.5;
  g_assert_cmpfloat (bs_train_lr (&o, 299, 100), ==, 0.1);
  g_assert_cmpfloat (bs_train_lr (&o, 300, 100), ==, 0.05);
  g_assert_cmpfloat (bs_train_lr (&o, 899, 100), ==, 0.025);
  o.schedule = BS_LR_CONSTANT;
  g_assert_cmpfloat (bs_train_lr (&o, 777, 100), ==, 0.1);
}

/* BN running statistics after one step: m·old + (1-m)·batch mean, and the
 * unbiased batch variance, for a BN directly on the input. */
static void
test_bn_running (void)
{
  bs_graph *g = bs_graph_new (13);
  char err[300];
  bs_shape in = bs_shape_make (2, D (-1, 3));
  bs_tensor s = nn_tensor (1, D (3), (const float[]) { 1, 1, 1 });
  bs_tensor b = nn_tensor (1, D (3), (const float[]) { 0, 0, 0 });
  bs_tensor m = nn_tensor (1, D (3), (const float[]) { 0.5f, -1, 2 });
  bs_tensor v = nn_tensor (1, D (3), (const float[]) { 1, 2, 3 });
  bs_tensor w = nn_tensor (2, D (2, 3), (const float[]) { 1, 0, -1, 0.5f, 0.5f, 0.5f });
  bs_attr tb = nn_attr_int ("transB", 1);
  float x[5 * 3];
  int32_t y[5] = { 0, 1, 0, 1, 1 };
  uint64_t r = 3;
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  bs_trainer *t;

  g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &in, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "s", &s, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "b", &b, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "m", &m, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "v", &v, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "w", &w, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (g, "BatchNormalization", "bn", 5,
                                      (const char *[]) { "x", "s", "b", "m", "v" }, 1,
                                      (const char *[]) { "h" }, 0, NULL, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (g, "Gemm", "fc", 2, (const char *[]) { "h", "w" }, 1,
                                      (const char *[]) { "z" }, 1, &tb, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_output (g, "z", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, 0);
  for (int i = 0; i < 15; i++)
    x[i] = (float) (unif (&r) * 4 - 1);
  o.batch = 5;
  o.bn_momentum = 0.8;
  t = trainer (g, &o);
  g_assert_cmpint (bs_trainer_step (t, x, y, 5, 1, NULL, NULL, err, sizeof err), ==, 0);
  {
    const float *rm = bs_tensor_f32 (&g->values[bs_graph_find_value (g, "m")].data);
    const float *rv = bs_tensor_f32 (&g->values[bs_graph_find_value (g, "v")].data);
    const double m0[3] = { 0.5, -1, 2 }, v0[3] = { 1, 2, 3 };
    for (int c = 0; c < 3; c++)
      {
        double mean = 0, var = 0;
        for (int i = 0; i < 5; i++)
          mean += x[i * 3 + c];
        mean /= 5;
        for (int i = 0; i < 5; i++)
          var += (x[i * 3 + c] - mean) * (x[i * 3 + c] - mean);
        var /= 4;
        g_assert_cmpfloat_with_epsilon (rm[c], 0.8 * m0[c] + 0.2 * mean, 1e-6);
        g_assert_cmpfloat_with_epsilon (rv[c], 0.8 * v0[c] + 0.2 * var, 1e-5);
      }
  }
  bs_trainer_free (t);
  bs_graph_free (g);
}

/* Export ------------------------------------------------------------------------------------ */

/* Train briefly (so BN statistics are not their initial values), sync, save
 * with metadata, load with the engine's importer and compare the engine's
 * logits with the trainer's evaluation forward. */
static void
roundtrip (bs_arch arch)
{
  bs_graph *g = build (arch, false, 51), *h = NULL;
  bs_train_data d = synthetic (64, 52), v = synthetic (50, 53);
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  bs_trainer *t;
  char err[300], path[] = "/tmp/bs-train-XXXXXX.onnx";
  float *mine = g_new (float, 50 * 4);
  bs_tensor x = nn_tensor (4, D (50, 1, 8, 8), v.x), y = { 0 };
  int fd = g_mkstemp (path);

  g_assert_cmpint (fd, >=, 0);
  close (fd);
  o.batch = 16;
  t = trainer (g, &o);
  epoch (t, &d, 0);
  g_assert_cmpint (bs_trainer_logits (t, v.x, 50, mine, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_trainer_sync (t, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_train_save_onnx (g, path, 1,
                                       (const char *[]) { BS_TRAIN_META_NORMALIZE },
                                       (const char *[]) { "0.2860,0.3530" }, err, sizeof err),
                   ==, 0);
  if (bs_onnx_load (path, &h, err, sizeof err) < 0)
    g_error ("%s", err);
  g_assert_cmpstr (bs_graph_metadata (h, BS_TRAIN_META_NORMALIZE), ==, "0.2860,0.3530");
  g_assert_null (bs_graph_metadata (h, "absent"));
  g_assert_cmpint (bs_graph_run (h, &x, 1, &y, NULL, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_tensor_numel (&y), ==, 200);
  nn_assert_close (bs_tensor_f32 (&y), mine, 200, 1e-4, "engine vs trainer logits");
  unlink (path);
  bs_tensor_clear (&x);
  bs_tensor_clear (&y);
  g_free (mine);
  bs_graph_free (h);
  bs_trainer_free (t);
  bs_graph_free (g);
  bs_train_data_clear (&d);
  bs_train_data_clear (&v);
}

static void
test_roundtrip_mlp (void)
{
  roundtrip (BS_ARCH_MLP);
}

static void
test_roundtrip_cnn (void)
{
  roundtrip (BS_ARCH_CNN);
}

static void
test_roundtrip_resnet (void)
{
  roundtrip (BS_ARCH_RESNET);
}

/* Graphs the trainer does not differentiate are refused with a reason. */
static void
test_refuses (void)
{
  bs_graph *g = bs_graph_new (13);
  char err[300];
  bs_shape in = bs_shape_make (2, D (-1, 3));
  bs_tensor w = nn_tensor (2, D (3, 2), NULL);
  bs_attr ta = nn_attr_int ("transA", 1);
  bs_train_opts o = BS_TRAIN_OPTS_INIT;

  g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &in, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_initializer (g, "w", &w, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (g, "Gemm", "fc", 2, (const char *[]) { "x", "w" }, 1,
                                      (const char *[]) { "z" }, 1, &ta, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_output (g, "z", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_finalize (g, err, sizeof err), ==, 0);
  g_assert_null (bs_trainer_new (g, &o, err, sizeof err));
  g_assert_nonnull (strstr (err, "transA"));
  bs_graph_free (g);
}

/* resnet's channel widths: the MACs of an 8×8 input worked out by hand for
 * widths 8, 12, 20 (3×3 pad 1 convs, stride 2 at each block, 1×1 stride-2
 * projections, Gemm 20 → 4); bad widths refused. */
static void
test_resnet_widths (void)
{
  const int64_t w[3] = { 8, 12, 20 }, zero[3] = { 8, 0, 20 };
  const int64_t expect = 8 * 8 * 8 * 1 * 9                          /* stem */
                         + 4 * 4 * 12 * 8 * 9 + 4 * 4 * 12 * 12 * 9 + 4 * 4 * 12 * 8
                         + 2 * 2 * 20 * 12 * 9 + 2 * 2 * 20 * 20 * 9 + 2 * 2 * 20 * 12
                         + 20 * 4;
  int64_t macs, params, all;
  bs_graph *g;
  char err[300];

  g_assert_cmpint (bs_train_build (BS_ARCH_RESNET, false, 1, 8, 8, 4, w, 3, 1, &g, err, sizeof err),
                   ==, 0);
  g_assert_cmpint (bs_train_graph_cost (g, &macs, &params, &all, err, sizeof err), ==, 0);
  g_assert_cmpint (macs, ==, expect);
  bs_graph_free (g);
  g_assert_cmpint (bs_train_build (BS_ARCH_CNN, false, 1, 8, 8, 4, w, 3, 1, &g, err, sizeof err),
                   ==, -1);
  g_assert_nonnull (strstr (err, "resnet only"));
  g_assert_cmpint (bs_train_build (BS_ARCH_RESNET, false, 1, 8, 8, 4, w, 2, 1, &g, err, sizeof err),
                   ==, -1);
  g_assert_cmpint (bs_train_build (BS_ARCH_RESNET, false, 1, 8, 8, 4, zero, 3, 1, &g, err,
                                   sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "out of range"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/nn/train/qnn/fixed-forward", test_qnn_fixed_forward);
  g_test_add_func ("/engine/nn/train/qnn/binary-forward", test_qnn_binary_forward);
  g_test_add_func ("/engine/nn/train/qnn/ste", test_qnn_ste);
  g_test_add_func ("/engine/nn/train/qnn/step-clips", test_qnn_step_clips);
  g_test_add_func ("/engine/nn/train/deterministic", test_deterministic);
  g_test_add_func ("/engine/nn/train/loss-decreases/adam", test_loss_decreases_adam);
  g_test_add_func ("/engine/nn/train/loss-decreases/sgd", test_loss_decreases_sgd);
  g_test_add_func ("/engine/nn/train/cluster", test_cluster);
  g_test_add_func ("/engine/nn/train/optimizer/sgd", test_optimizer_sgd);
  g_test_add_func ("/engine/nn/train/optimizer/adam", test_optimizer_adam);
  g_test_add_func ("/engine/nn/train/lr-schedule", test_lr_schedule);
  g_test_add_func ("/engine/nn/train/bn-running-stats", test_bn_running);
  g_test_add_func ("/engine/nn/train/onnx-roundtrip/mlp", test_roundtrip_mlp);
  g_test_add_func ("/engine/nn/train/onnx-roundtrip/cnn", test_roundtrip_cnn);
  g_test_add_func ("/engine/nn/train/onnx-roundtrip/resnet", test_roundtrip_resnet);
  g_test_add_func ("/engine/nn/train/refuses", test_refuses);
  g_test_add_func ("/engine/nn/train/resnet-widths", test_resnet_widths);
  return g_test_run ();
}
