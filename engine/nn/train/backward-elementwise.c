/* backward-elementwise.c — Relu, Clip (hardtanh), Add (with broadcasting),
 * Flatten/Reshape/Identity/Dropout (copies), Concat, Softmax, and the softmax
 * cross-entropy loss.
 *
 *   Relu:    dx += dy · 1{x > 0}
 *   Clip:    dx += dy · 1{lo ≤ x ≤ hi}   (the STE indicator at the bounds)
 *   Add:     da += dy, db += dy summed over the broadcast dims
 *   Concat:  each input gets its block of dy
 *   Softmax: dx += y · (dy - Σ dy·y) along the axis
 *   Loss:    L = mean_i (log Σ_k e^{z_ik} - z_i,label), dz = (softmax(z) - onehot) / n
 * Dropout trains as the identity (its inference form). */
#include "train-private.h"

#include <math.h>
#include <string.h>

typedef struct {
  bs_trainer *t;
  tr_node *tn;
  const bs_node *nd;
  int64_t per_in[BS_MAX_DIMS];
} ew_task;

static const bs_shape *
shape_of (bs_trainer *t, int v)
{
  return t->g->values[v].kind == BS_VALUE_INITIALIZER ? &t->g->values[v].shape : &t->shapes[v];
}

/* Concat geometry: rows per image and, per input, the block length. */
static int64_t
concat_axis (bs_trainer *t, const bs_node *nd)
{
  int64_t ax = nd->p.axis.axis, r = t->shapes[nd->outputs[0]].ndim;
  return ax < 0 ? ax + r : ax;
}

static int64_t
block_from (const bs_shape *s, int64_t ax)
{
  int64_t b = 1;
  for (int64_t d = ax; d < s->ndim; d++)
    b *= s->dims[d];
  return b;
}

static void
ew_fwd_run (void *ctx, int tid, int nt)
{
  ew_task *e = ctx;
  bs_trainer *t = e->t;
  const bs_node *nd = e->nd;
  int out = nd->outputs[0];
  int64_t b0, b1, per = t->vals[out].per;
  float *y = t->vals[out].act;

  _tr_slice (t->n, tid, nt, &b0, &b1);
  if (b0 == b1)
    return;
  switch (nd->op)
    {
    case BS_OP_RELU:
      bs_relu ((b1 - b0) * per, _tr_data (t, nd->inputs[0]) + b0 * per, y + b0 * per);
      break;
    case BS_OP_CLIP:
      bs_clip ((b1 - b0) * per, _tr_data (t, nd->inputs[0]) + b0 * per, e->tn->lo, e->tn->hi,
               y + b0 * per);
      break;
    case BS_OP_ADD:
      {
        const float *a = _tr_data (t, nd->inputs[0]), *b = _tr_data (t, nd->inputs[1]);
        for (int64_t i = b0 * per; i < b1 * per; i++)
          y[i] = a[i] + b[i];
        break;
      }
    case BS_OP_CONCAT:
      {
        int64_t ax = concat_axis (t, nd), rows = 1, off = 0;
        int64_t ob = block_from (&t->shapes[out], ax);
        for (int64_t d = 1; d < ax; d++)
          rows *= t->shapes[out].dims[d];
        for (int k = 0; k < nd->n_inputs; k++)
          {
            const float *x = _tr_data (t, nd->inputs[k]);
            int64_t ib = block_from (shape_of (t, nd->inputs[k]), ax);
            for (int64_t r = b0 * rows; r < b1 * rows; r++)
              memcpy (y + r * ob + off, x + r * ib, (size_t) ib * sizeof (float));
            off += ib;
          }
        break;
      }
    case BS_OP_SOFTMAX:
      {
        int64_t opi = e->tn->outer / t->n;
        bs_softmax ((b1 - b0) * opi, e->tn->len, e->tn->inner,
                    _tr_data (t, nd->inputs[0]) + b0 * per, y + b0 * per);
        break;
      }
    default: /* Flatten, Reshape, Identity, Dropout */
      memcpy (y + b0 * per, _tr_data (t, nd->inputs[0]) + b0 * per,
              (size_t) ((b1 - b0) * per) * sizeof (float));
      break;
    }
}

/* Strides of s aligned to the right of an r-dim shape, 0 on broadcast dims. */
static void
bcast_strides (const bs_shape *s, int r, int64_t *st)
{
  int64_t acc = 1;
  for (int d = r - 1; d >= 0; d--)
    {
      int sd = d - (r - s->ndim);
      if (sd < 0 || s->dims[sd] == 1)
        st[d] = 0;
      else
        {
          st[d] = acc;
          acc *= s->dims[sd];
        }
    }
}

/* Add with broadcasting on one thread: forward (dy NULL) or backward. */
static void
add_general (bs_trainer *t, const bs_node *nd, const float *dy, float *da, float *db)
{
  const bs_shape *ys = &t->shapes[nd->outputs[0]];
  const bs_shape *as = shape_of (t, nd->inputs[0]), *bsh = shape_of (t, nd->inputs[1]);
  int64_t sa[BS_MAX_DIMS], sb[BS_MAX_DIMS], idx[BS_MAX_DIMS] = { 0 };
  int r = ys->ndim;
  int64_t n = bs_shape_numel (ys), ia = 0, ib = 0;
  const float *a = _tr_data (t, nd->inputs[0]), *b = _tr_data (t, nd->inputs[1]);
  float *y = t->vals[nd->outputs[0]].act;

  bcast_strides (as, r, sa);
  bcast_strides (bsh, r, sb);
  for (int64_t i = 0; i < n; i++)
    {
      if (!dy)
        y[i] = a[ia] + b[ib];
      else
        {
          if (da)
            da[ia] += dy[i];
          if (db)
            db[ib] += dy[i];
        }
      for (int d = r - 1; d >= 0; d--)
        {
          ia += sa[d];
          ib += sb[d];
          if (++idx[d] < ys->dims[d])
            break;
          ia -= sa[d] * ys->dims[d];
          ib -= sb[d] * ys->dims[d];
          idx[d] = 0;
        }
    }
}

static bool
add_same_shapes (bs_trainer *t, const bs_node *nd)
{
  const bs_shape *ys = &t->shapes[nd->outputs[0]];
  return bs_shape_equal (shape_of (t, nd->inputs[0]), ys)
         && bs_shape_equal (shape_of (t, nd->inputs[1]), ys)
         && t->g->values[nd->inputs[0]].kind != BS_VALUE_INITIALIZER
         && t->g->values[nd->inputs[1]].kind != BS_VALUE_INITIALIZER;
}

int
_tr_elementwise_forward (bs_trainer *t, tr_node *tn, char *err, size_t errlen)
{
  const bs_node *nd = &t->g->nodes[tn->node];
  ew_task e = { .t = t, .tn = tn, .nd = nd };
  if (nd->op == BS_OP_ADD && !add_same_shapes (t, nd))
    {
      add_general (t, nd, NULL, NULL, NULL);
      return 0;
    }
  if (nd->op == BS_OP_CONCAT && concat_axis (t, nd) == 0)
    return _tr_fail (err, errlen, "node '%s' (Concat): axis 0 mixes the batch", nd->name);
  _tr_pool_run (t->pool, ew_fwd_run, &e);
  return 0;
}

/* Gradient of value v as an accumulation target: an activation's grad, a
 * param's grad, or NULL (a constant, or not needed). */
static float *
grad_target (bs_trainer *t, int v)
{
  if (v < 0)
    return NULL;
  if (t->g->values[v].kind == BS_VALUE_INITIALIZER)
    return t->vals[v].param >= 0 ? t->params[t->vals[v].param].pub.grad : NULL;
  return t->vals[v].need_grad ? t->vals[v].grad : NULL;
}

static void
ew_bwd_run (void *ctx, int tid, int nt)
{
  ew_task *e = ctx;
  bs_trainer *t = e->t;
  const bs_node *nd = e->nd;
  int out = nd->outputs[0];
  int64_t b0, b1, per = t->vals[out].per;
  const float *dy = t->vals[out].grad;

  _tr_slice (t->n, tid, nt, &b0, &b1);
  if (b0 == b1)
    return;
  switch (nd->op)
    {
    case BS_OP_RELU:
    case BS_OP_CLIP:
      {
        const float *restrict x = _tr_data (t, nd->inputs[0]) + b0 * per;
        const float *restrict g = dy + b0 * per;
        float *restrict dx = grad_target (t, nd->inputs[0]);
        float lo = nd->op == BS_OP_CLIP ? e->tn->lo : 0, hi = e->tn->hi;
        int64_t n = (b1 - b0) * per;
        if (!dx)
          break;
        dx += b0 * per;
        if (nd->op == BS_OP_RELU)
          for (int64_t i = 0; i < n; i++)
            dx[i] += x[i] > 0 ? g[i] : 0.0f;
        else
          for (int64_t i = 0; i < n; i++)
            dx[i] += x[i] >= lo && x[i] <= hi ? g[i] : 0.0f;
        break;
      }
    case BS_OP_ADD:
      for (int k = 0; k < 2; k++)
        {
          float *restrict dx = grad_target (t, nd->inputs[k]);
          const float *restrict g = dy + b0 * per;
          int64_t n = (b1 - b0) * per;
          if (dx)
            {
              dx += b0 * per;
              for (int64_t i = 0; i < n; i++)
                dx[i] += g[i];
            }
        }
      break;
    case BS_OP_CONCAT:
      {
        int64_t ax = concat_axis (t, nd), rows = 1, off = 0;
        int64_t ob = block_from (&t->shapes[out], ax);
        for (int64_t d = 1; d < ax; d++)
          rows *= t->shapes[out].dims[d];
        for (int k = 0; k < nd->n_inputs; k++)
          {
            int64_t ib = block_from (shape_of (t, nd->inputs[k]), ax);
            float *dx = t->g->values[nd->inputs[k]].kind == BS_VALUE_INITIALIZER
                          ? NULL : grad_target (t, nd->inputs[k]);
            if (dx)
              for (int64_t r = b0 * rows; r < b1 * rows; r++)
                for (int64_t j = 0; j < ib; j++)
                  dx[r * ib + j] += dy[r * ob + off + j];
            off += ib;
          }
        break;
      }
    case BS_OP_SOFTMAX:
      {
        const float *y = t->vals[out].act;
        float *dx = grad_target (t, nd->inputs[0]);
        int64_t opi = e->tn->outer / t->n, L = e->tn->len, I = e->tn->inner;
        if (!dx)
          break;
        for (int64_t o = b0 * opi; o < b1 * opi; o++)
          for (int64_t in = 0; in < I; in++)
            {
              int64_t base = o * L * I + in;
              double s = 0;
              for (int64_t l = 0; l < L; l++)
                s += (double) dy[base + l * I] * y[base + l * I];
              for (int64_t l = 0; l < L; l++)
                dx[base + l * I] += y[base + l * I] * (dy[base + l * I] - (float) s);
            }
        break;
      }
    default:
      {
        float *dx = grad_target (t, nd->inputs[0]);
        if (dx && t->g->values[nd->inputs[0]].kind != BS_VALUE_INITIALIZER)
          for (int64_t i = b0 * per; i < b1 * per; i++)
            dx[i] += dy[i];
        break;
      }
    }
}

int
_tr_elementwise_backward (bs_trainer *t, tr_node *tn, char *err, size_t errlen)
{
  const bs_node *nd = &t->g->nodes[tn->node];
  ew_task e = { .t = t, .tn = tn, .nd = nd };
  if (nd->op == BS_OP_ADD && !add_same_shapes (t, nd))
    {
      add_general (t, nd, t->vals[nd->outputs[0]].grad, grad_target (t, nd->inputs[0]),
                   grad_target (t, nd->inputs[1]));
      return 0;
    }
  _tr_pool_run (t->pool, ew_bwd_run, &e);
  return 0;
}

/* Loss --------------------------------------------------------------------------- */

typedef struct {
  bs_trainer *t;
  bool grad;
} loss_task;

static void
loss_run (void *ctx, int tid, int nt)
{
  loss_task *l = ctx;
  bs_trainer *t = l->t;
  int K = t->classes;
  int64_t b0, b1;
  const float *z = t->vals[t->logits].act;
  float *dz = t->vals[t->logits].grad;
  double *s = t->dpart[tid], inv_n = 1.0 / (double) t->n;

  s[0] = 0;
  s[1] = 0;
  _tr_slice (t->n, tid, nt, &b0, &b1);
  for (int64_t i = b0; i < b1; i++)
    {
      const float *zi = z + i * K;
      float mx = zi[0];
      int arg = 0;
      double sum = 0, lse;
      for (int k = 1; k < K; k++)
        if (zi[k] > mx)
          {
            mx = zi[k];
            arg = k;
          }
      for (int k = 0; k < K; k++)
        sum += exp ((double) zi[k] - mx);
      lse = mx + log (sum);
      s[0] += lse - zi[t->labels[i]];
      s[1] += arg == t->labels[i];
      if (l->grad)
        for (int k = 0; k < K; k++)
          {
            double p = exp ((double) zi[k] - lse);
            dz[i * K + k] += (float) ((p - (k == t->labels[i])) * inv_n);
          }
    }
}

int
_tr_loss (bs_trainer *t, bool grad, double *loss, int64_t *correct, char *err, size_t errlen)
{
  loss_task l = { t, grad };
  double sl = 0, sc = 0;
  _tr_pool_run (t->pool, loss_run, &l);
  for (int k = 0; k < t->nt; k++)
    {
      sl += t->dpart[k][0];
      sc += t->dpart[k][1];
    }
  if (loss)
    *loss = sl / (double) t->n;
  if (correct)
    *correct = (int64_t) sc;
  return 0;
}
