/* backward-dense.c — Gemm (Y = α·A·op(B) + β·C) and MatMul (Y = A·B with a
 * 2-D initializer B) forward and backward, per slice of the batch:
 *   dA += α · dY · op(B)ᵀ
 *   dB += α · dYᵀ · A   (transB)   or   α · Aᵀ · dY
 *   dC += β · Σ_rows dY  (C of N elements) or β · Σ dY (a scalar C)
 * Weight and bias gradients go to per-thread partials, summed in thread order. */
#include "train-private.h"

#include <cblas.h>
#include <string.h>

typedef struct {
  bs_trainer *t;
  tr_node *tn;
  const float *a, *b, *c;
  int64_t cn;          /* elements of C (0: none) */
  float alpha, beta;
  bool trans_b;
  float *y;
  const float *dy;
  float *da;
  bool want_b, want_c;
  int64_t bn;          /* elements of B */
} dense_task;

static void
dense_fwd_run (void *ctx, int tid, int nt)
{
  dense_task *d = ctx;
  tr_node *tn = d->tn;
  int64_t b0, b1, K = tn->k, N = tn->ncols, r0, nr;

  _tr_slice (d->t->n, tid, nt, &b0, &b1);
  if (b0 == b1)
    return;
  if (tn->quant_in && _tr_quantize_input (d->t, tn, b0, b1, NULL, 0) < 0)
    {
      d->t->thread_failed[tid] = true;
      return;
    }
  r0 = b0 * tn->rows_per_image;
  nr = (b1 - b0) * tn->rows_per_image;
  cblas_sgemm (CblasRowMajor, CblasNoTrans, d->trans_b ? CblasTrans : CblasNoTrans, (int) nr,
               (int) N, (int) K, d->alpha, d->a + r0 * K, (int) K, d->b,
               d->trans_b ? (int) K : (int) N, 0.0f, d->y + r0 * N, (int) N);
  if (d->cn)
    for (int64_t r = 0; r < nr; r++)
      {
        float *yr = d->y + (r0 + r) * N;
        for (int64_t j = 0; j < N; j++)
          yr[j] += d->beta * d->c[d->cn == 1 ? 0 : j];
      }
}

static void
setup (bs_trainer *t, tr_node *tn, dense_task *d)
{
  const bs_node *nd = &t->g->nodes[tn->node];
  memset (d, 0, sizeof *d);
  d->t = t;
  d->tn = tn;
  d->b = _tr_data (t, nd->inputs[1]);
  d->bn = bs_tensor_numel (&t->g->values[nd->inputs[1]].data);
  d->alpha = 1.0f;
  d->beta = 1.0f;
  if (nd->op == BS_OP_GEMM)
    {
      d->alpha = nd->p.gemm.alpha;
      d->beta = nd->p.gemm.beta;
      d->trans_b = nd->p.gemm.trans_b;
      if (nd->n_inputs > 2 && nd->inputs[2] >= 0)
        {
          d->c = _tr_data (t, nd->inputs[2]);
          d->cn = bs_tensor_numel (&t->g->values[nd->inputs[2]].data);
        }
    }
}

int
_tr_dense_forward (bs_trainer *t, tr_node *tn, char *err, size_t errlen)
{
  const bs_node *nd = &t->g->nodes[tn->node];
  dense_task d;
  setup (t, tn, &d);
  d.a = tn->quant_in ? tn->qx : _tr_data (t, nd->inputs[0]);
  d.y = _tr_data (t, nd->outputs[0]);
  _tr_pool_run (t->pool, dense_fwd_run, &d);
  return 0;
}

static void
dense_bwd_run (void *ctx, int tid, int nt)
{
  dense_task *d = ctx;
  tr_node *tn = d->tn;
  int64_t b0, b1, K = tn->k, N = tn->ncols, r0, nr;
  float *part = d->t->part[tid];

  _tr_zero_partials (d->t, tid, (size_t) (d->bn + d->cn));
  _tr_slice (d->t->n, tid, nt, &b0, &b1);
  if (b0 == b1)
    return;
  r0 = b0 * tn->rows_per_image;
  nr = (b1 - b0) * tn->rows_per_image;
  const float *dy = d->dy + r0 * N, *a = d->a + r0 * K;
  if (d->want_b)
    {
      if (d->trans_b)
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) N, (int) K, (int) nr,
                     d->alpha, dy, (int) N, a, (int) K, 1.0f, part, (int) K);
      else
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) K, (int) N, (int) nr,
                     d->alpha, a, (int) K, dy, (int) N, 1.0f, part, (int) N);
    }
  if (d->want_c)
    {
      float *pc = part + d->bn;
      for (int64_t r = 0; r < nr; r++)
        for (int64_t j = 0; j < N; j++)
          pc[d->cn == 1 ? 0 : j] += d->beta * dy[r * N + j];
    }
  if (d->da)
    {
      float *da = d->da + r0 * K;
      if (tn->quant_in)
        memset (da, 0, (size_t) (nr * K) * sizeof (float));
      cblas_sgemm (CblasRowMajor, CblasNoTrans, d->trans_b ? CblasNoTrans : CblasTrans, (int) nr,
                   (int) K, (int) N, d->alpha, dy, (int) N, d->b, d->trans_b ? (int) K : (int) N,
                   1.0f, da, (int) K);
    }
}

int
_tr_dense_backward (bs_trainer *t, tr_node *tn, char *err, size_t errlen)
{
  const bs_node *nd = &t->g->nodes[tn->node];
  dense_task d;
  int bp, cp = -1;

  setup (t, tn, &d);
  bp = t->vals[nd->inputs[1]].param;
  if (d.cn)
    cp = t->vals[nd->inputs[2]].param;
  d.a = _tr_compute_input (t, tn);
  d.dy = t->vals[nd->outputs[0]].grad;
  d.da = _tr_compute_input_grad (t, tn);
  d.want_b = bp >= 0;
  d.want_c = cp >= 0;
  if ((size_t) (d.bn + d.cn) > t->part_n)
    return _tr_fail (err, errlen, "node '%s': partial buffer too small", nd->name);
  _tr_pool_run (t->pool, dense_bwd_run, &d);
  if (d.want_b)
    _tr_reduce_partials (t, 0, t->params[bp].pub.grad, d.bn);
  if (d.want_c)
    _tr_reduce_partials (t, (size_t) d.bn, t->params[cp].pub.grad, d.cn);
  return 0;
}
