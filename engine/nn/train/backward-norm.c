/* backward-norm.c — BatchNormalization in training and inference form.
 *
 * Training (x of n × C × inner, M = n · inner per channel):
 *   μ = Σx / M, σ² = Σx² / M - μ² (sums in double), x̂ = (x - μ) / √(σ² + ε),
 *   y = γ·x̂ + β; running stats: r_μ = m·r_μ + (1-m)·μ, r_σ² = m·r_σ² +
 *   (1-m)·σ²·M/(M-1) (ONNX momentum form, unbiased variance as PyTorch).
 *   Backward: dβ = Σdy, dγ = Σdy·x̂, dx = γ/√(σ²+ε) · (dy - dβ/M - x̂·dγ/M).
 * Inference: the running statistics in place of μ, σ² (an affine map), which is
 * the form exported to ONNX.  Channel sums are per-thread partials in double,
 * added in thread order. */
#include "train-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  bs_trainer *t;
  tr_node *tn;
  const float *x, *gamma, *beta;
  float *y;
  const float *dy;
  float *dx;
  const float *mean, *invstd;   /* per channel, as float */
  double *sdy, *sdyx;           /* reduced sums (backward) */
  bool batch_stats;
} bn_task;

static void
bn_stats_run (void *ctx, int tid, int nt)
{
  bn_task *b = ctx;
  int64_t C = b->tn->len, in = b->tn->inner, b0, b1;
  double *s = b->t->dpart[tid];

  memset (s, 0, (size_t) (2 * C) * sizeof (double));
  _tr_slice (b->t->n, tid, nt, &b0, &b1);
  for (int64_t i = b0; i < b1; i++)
    for (int64_t c = 0; c < C; c++)
      {
        const float *p = b->x + (i * C + c) * in;
        double a = 0, q = 0;
        for (int64_t k = 0; k < in; k++)
          {
            a += p[k];
            q += (double) p[k] * p[k];
          }
        s[c] += a;
        s[C + c] += q;
      }
}

static void
bn_apply_run (void *ctx, int tid, int nt)
{
  bn_task *b = ctx;
  int64_t C = b->tn->len, in = b->tn->inner, b0, b1;

  _tr_slice (b->t->n, tid, nt, &b0, &b1);
  for (int64_t i = b0; i < b1; i++)
    for (int64_t c = 0; c < C; c++)
      {
        const float *p = b->x + (i * C + c) * in;
        float *q = b->y + (i * C + c) * in;
        float mu = b->mean[c], a = b->invstd[c] * b->gamma[c], be = b->beta[c];
        for (int64_t k = 0; k < in; k++)
          q[k] = (p[k] - mu) * a + be;
      }
}

int
_tr_bn_forward (bs_trainer *t, tr_node *tn, char *err, size_t errlen)
{
  const bs_node *nd = &t->g->nodes[tn->node];
  bn_task b = { .t = t, .tn = tn };
  float *rm = bs_tensor_f32 (&t->g->values[nd->inputs[3]].data);
  float *rv = bs_tensor_f32 (&t->g->values[nd->inputs[4]].data);
  int64_t C = tn->len;
  double eps = nd->p.bn.epsilon;

  b.x = _tr_data (t, nd->inputs[0]);
  b.gamma = _tr_data (t, nd->inputs[1]);
  b.beta = _tr_data (t, nd->inputs[2]);
  b.y = _tr_data (t, nd->outputs[0]);
  if (t->mode == TR_MODE_EVAL)
    {
      for (int64_t c = 0; c < C; c++)
        {
          tn->bn_mean[c] = rm[c];
          tn->bn_invstd[c] = (float) (1.0 / sqrt ((double) rv[c] + eps));
        }
    }
  else
    {
      double M = (double) (t->n * tn->inner), m = t->o.bn_momentum;
      _tr_pool_run (t->pool, bn_stats_run, &b);
      for (int64_t c = 0; c < C; c++)
        {
          double s = 0, q = 0, mean, var;
          for (int k = 0; k < t->nt; k++)
            {
              s += t->dpart[k][c];
              q += t->dpart[k][C + c];
            }
          mean = s / M;
          var = q / M - mean * mean;
          if (var < 0)
            var = 0;
          tn->bn_mean[c] = (float) mean;
          tn->bn_invstd[c] = (float) (1.0 / sqrt (var + eps));
          if (t->mode == TR_MODE_TRAIN)
            {
              double unbiased = M > 1 ? var * M / (M - 1) : var;
              rm[c] = (float) (m * rm[c] + (1 - m) * mean);
              rv[c] = (float) (m * rv[c] + (1 - m) * unbiased);
            }
        }
    }
  b.mean = tn->bn_mean;
  b.invstd = tn->bn_invstd;
  _tr_pool_run (t->pool, bn_apply_run, &b);
  return 0;
}

static void
bn_gsum_run (void *ctx, int tid, int nt)
{
  bn_task *b = ctx;
  int64_t C = b->tn->len, in = b->tn->inner, b0, b1;
  double *s = b->t->dpart[tid];

  memset (s, 0, (size_t) (2 * C) * sizeof (double));
  _tr_slice (b->t->n, tid, nt, &b0, &b1);
  for (int64_t i = b0; i < b1; i++)
    for (int64_t c = 0; c < C; c++)
      {
        const float *p = b->x + (i * C + c) * in, *g = b->dy + (i * C + c) * in;
        float mu = b->mean[c], is = b->invstd[c];
        double a = 0, q = 0;
        for (int64_t k = 0; k < in; k++)
          {
            a += g[k];
            q += (double) g[k] * (double) ((p[k] - mu) * is);
          }
        s[c] += a;
        s[C + c] += q;
      }
}

static void
bn_dx_run (void *ctx, int tid, int nt)
{
  bn_task *b = ctx;
  int64_t C = b->tn->len, in = b->tn->inner, b0, b1;
  double M = (double) (b->t->n * in);

  _tr_slice (b->t->n, tid, nt, &b0, &b1);
  for (int64_t i = b0; i < b1; i++)
    for (int64_t c = 0; c < C; c++)
      {
        const float *p = b->x + (i * C + c) * in, *g = b->dy + (i * C + c) * in;
        float *d = b->dx + (i * C + c) * in;
        float mu = b->mean[c], is = b->invstd[c], a = is * b->gamma[c];
        if (b->batch_stats)
          {
            float m1 = (float) (b->sdy[c] / M), m2 = (float) (b->sdyx[c] / M);
            for (int64_t k = 0; k < in; k++)
              d[k] += a * (g[k] - m1 - (p[k] - mu) * is * m2);
          }
        else
          for (int64_t k = 0; k < in; k++)
            d[k] += a * g[k];
      }
}

int
_tr_bn_backward (bs_trainer *t, tr_node *tn, char *err, size_t errlen)
{
  const bs_node *nd = &t->g->nodes[tn->node];
  bn_task b = { .t = t, .tn = tn };
  int64_t C = tn->len;
  int gp = t->vals[nd->inputs[1]].param, bp = t->vals[nd->inputs[2]].param;
  double stack[2 * 512];
  double *red = C <= 512 ? stack : NULL;

  if (!red)
    {
      red = malloc ((size_t) (2 * C) * sizeof (double));
      if (!red)
        return _tr_fail (err, errlen, "out of memory");
    }
  b.x = _tr_data (t, nd->inputs[0]);
  b.gamma = _tr_data (t, nd->inputs[1]);
  b.dy = t->vals[nd->outputs[0]].grad;
  b.mean = tn->bn_mean;
  b.invstd = tn->bn_invstd;
  b.batch_stats = t->mode != TR_MODE_EVAL;
  _tr_pool_run (t->pool, bn_gsum_run, &b);
  for (int64_t c = 0; c < C; c++)
    {
      double s = 0, q = 0;
      for (int k = 0; k < t->nt; k++)
        {
          s += t->dpart[k][c];
          q += t->dpart[k][C + c];
        }
      red[c] = s;
      red[C + c] = q;
      if (bp >= 0)
        t->params[bp].pub.grad[c] += (float) s;
      if (gp >= 0)
        t->params[gp].pub.grad[c] += (float) q;
    }
  b.sdy = red;
  b.sdyx = red + C;
  if (t->vals[nd->inputs[0]].need_grad)
    {
      b.dx = t->vals[nd->inputs[0]].grad;
      _tr_pool_run (t->pool, bn_dx_run, &b);
    }
  if (red != stack)
    free (red);
  return 0;
}
