/* backward-conv.c — Conv forward and backward for training (groups, stride,
 * padding, dilation), lowered to im2col + sgemm over chunks of images.
 *
 * Per thread, a slice of the batch; per chunk of images and group:
 *   cols [Kg, cn·P]   patches of the chunk (Kg = C/G · kh · kw, P = oh · ow),
 *                     kept from a training forward for the backward pass
 *   Y_g = W_g · cols                         forward
 *   dW_g += dY_g · colsᵀ, dB += Σ dY_g        into the thread's partials
 *   dcols = W_gᵀ · dY_g, col2im → dX          the adjoint of im2col
 * The partials are summed in thread order afterwards. */
#include "train-private.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

/* Output columns [lo, hi) whose input column ix0 + ox·sw lies in [0, iw). */
static void
valid_cols (int64_t ix0, int64_t sw, int64_t iw, int64_t ow, int64_t *lo, int64_t *hi)
{
  int64_t l = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
  int64_t h = iw - ix0 <= 0 ? 0 : (iw - ix0 + sw - 1) / sw;
  if (h > ow)
    h = ow;
  if (l > h)
    l = h;
  *lo = l;
  *hi = h;
}

/* The adjoint: dx[c, iy, ix] += the column entries that bs_im2col_ld copied
 * from there. */
static void
col2im_ld (const bs_geom *g, int64_t nc, const float *cols, int64_t ld, float *dx)
{
  for (int64_t c = 0; c < nc; c++)
    for (int64_t ky = 0; ky < g->kh; ky++)
      for (int64_t kx = 0; kx < g->kw; kx++)
        {
          const float *row = cols + ((c * g->kh + ky) * g->kw + kx) * ld;
          float *xc = dx + c * g->ih * g->iw;
          int64_t ix0 = kx * g->dw - g->pl, lo, hi;
          valid_cols (ix0, g->sw, g->iw, g->ow, &lo, &hi);
          for (int64_t oy = 0; oy < g->oh; oy++)
            {
              int64_t iy = oy * g->sh - g->pt + ky * g->dh;
              if (iy < 0 || iy >= g->ih)
                continue;
              const float *s = row + oy * g->ow;
              float *dst = xc + iy * g->iw;
              if (g->sw == 1 && hi > lo)
                {
                  float *d1 = dst + ix0 + lo;
                  const float *s1 = s + lo;
                  for (int64_t k = 0; k < hi - lo; k++)
                    d1[k] += s1[k];
                }
              else
                for (int64_t ox = lo; ox < hi; ox++)
                  dst[ix0 + ox * g->sw] += s[ox];
            }
        }
}

/* Images per GEMM: about 4096 columns. */
static int64_t
chunk_images (int64_t p, int64_t nb)
{
  int64_t c = (4096 + p - 1) / p;
  if (c > nb)
    c = nb;
  return c < 1 ? 1 : c;
}

typedef struct {
  bs_trainer *t;
  tr_node *tn;
  const float *x, *w, *b;
  float *y;        /* forward output */
  const float *dy; /* backward */
  float *dx;       /* NULL: no input gradient */
  bool dw, db;     /* weight / bias gradients wanted */
  bool cached;     /* tn->cols holds the forward pass's patches */
  int64_t wn;      /* weight elements (bias partials follow them) */
  char err[160];
} conv_task;

static void
conv_fwd_run (void *ctx, int tid, int nt)
{
  conv_task *c = ctx;
  bs_trainer *t = c->t;
  const bs_conv_dims *d = &c->tn->cd;
  const bs_geom *g = &d->g;
  int64_t b0, b1, G = d->group, Cg = d->c / G, Mg = d->m / G, P = g->oh * g->ow;
  int64_t HW = g->ih * g->iw, Kg = Cg * g->kh * g->kw, chunk;
  float *cols, *tmp;

  _tr_slice (d->n, tid, nt, &b0, &b1);
  if (b0 == b1)
    return;
  if (c->tn->quant_in && _tr_quantize_input (t, c->tn, b0, b1, NULL, 0) < 0)
    {
      t->thread_failed[tid] = true;
      return;
    }
  chunk = chunk_images (P, b1 - b0);
  cols = _tr_buf_get (&t->buf[tid][0], (size_t) (Kg * chunk * P));
  tmp = _tr_buf_get (&t->buf[tid][1], (size_t) (Mg * chunk * P));
  if (!cols || !tmp)
    {
      t->thread_failed[tid] = true;
      return;
    }
  for (int64_t c0 = b0; c0 < b1; c0 += chunk)
    {
      int64_t cn = b1 - c0 < chunk ? b1 - c0 : chunk, ld = cn * P;
      for (int64_t gi = 0; gi < G; gi++)
        {
          /* training keeps the patches for the weight gradient */
          if (c->tn->cols)
            cols = c->tn->cols + c0 * G * Kg * P + gi * Kg * ld;
          for (int64_t i = 0; i < cn; i++)
            bs_im2col_ld (g, Cg, c->x + ((c0 + i) * d->c + gi * Cg) * HW, cols + i * P, ld);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) Mg, (int) ld, (int) Kg,
                       1.0f, c->w + gi * Mg * Kg, (int) Kg, cols, (int) ld, 0.0f, tmp,
                       (int) ld);
          for (int64_t i = 0; i < cn; i++)
            for (int64_t m = 0; m < Mg; m++)
              {
                float *dst = c->y + ((c0 + i) * d->m + gi * Mg + m) * P;
                const float *src = tmp + m * ld + i * P;
                float bias = c->b ? c->b[gi * Mg + m] : 0.0f;
                for (int64_t p = 0; p < P; p++)
                  dst[p] = src[p] + bias;
              }
        }
    }
}

int
_tr_conv_forward (bs_trainer *t, tr_node *tn, char *err, size_t errlen)
{
  const bs_node *nd = &t->g->nodes[tn->node];
  conv_task c = { .t = t, .tn = tn };

  c.x = _tr_data (t, nd->inputs[0]);
  c.w = _tr_data (t, nd->inputs[1]);
  c.b = nd->n_inputs > 2 && nd->inputs[2] >= 0 ? _tr_data (t, nd->inputs[2]) : NULL;
  c.y = _tr_data (t, nd->outputs[0]);
  if (tn->quant_in)
    c.x = tn->qx;
  tn->cols_n = 0;
  if (t->mode != TR_MODE_EVAL)
    {
      const bs_conv_dims *d = &tn->cd;
      size_t sz = (size_t) (t->cap * d->c * d->g.kh * d->g.kw * d->g.oh * d->g.ow);
      if (!tn->cols)
        tn->cols = malloc ((sz ? sz : 1) * sizeof (float));
      if (!tn->cols)
        return _tr_fail (err, errlen, "out of memory");
      tn->cols_n = t->n;
    }
  {
    float *keep = tn->cols;
    if (t->mode == TR_MODE_EVAL)
      tn->cols = NULL;   /* evaluation uses per-thread scratch */
    _tr_pool_run (t->pool, conv_fwd_run, &c);
    tn->cols = keep;
  }
  return 0;
}

static void
conv_bwd_run (void *ctx, int tid, int nt)
{
  conv_task *c = ctx;
  bs_trainer *t = c->t;
  const bs_conv_dims *d = &c->tn->cd;
  const bs_geom *g = &d->g;
  int64_t b0, b1, G = d->group, Cg = d->c / G, Mg = d->m / G, P = g->oh * g->ow;
  int64_t HW = g->ih * g->iw, Kg = Cg * g->kh * g->kw, chunk;
  float *cols, *dyc, *part = t->part[tid];

  _tr_zero_partials (t, tid, (size_t) (c->wn + d->m));
  _tr_slice (d->n, tid, nt, &b0, &b1);
  if (b0 == b1)
    return;
  if (c->tn->quant_in && c->dx)
    memset (c->dx + b0 * d->c * HW, 0, (size_t) ((b1 - b0) * d->c * HW) * sizeof (float));
  chunk = chunk_images (P, b1 - b0);
  cols = _tr_buf_get (&t->buf[tid][0], (size_t) (Kg * chunk * P));
  dyc = _tr_buf_get (&t->buf[tid][1], (size_t) (Mg * chunk * P));
  if (!cols || !dyc)
    {
      t->thread_failed[tid] = true;
      return;
    }
  for (int64_t c0 = b0; c0 < b1; c0 += chunk)
    {
      int64_t cn = b1 - c0 < chunk ? b1 - c0 : chunk, ld = cn * P;
      for (int64_t gi = 0; gi < G; gi++)
        {
          for (int64_t i = 0; i < cn; i++)
            for (int64_t m = 0; m < Mg; m++)
              memcpy (dyc + m * ld + i * P, c->dy + ((c0 + i) * d->m + gi * Mg + m) * P,
                      (size_t) P * sizeof (float));
          if (c->db)
            for (int64_t m = 0; m < Mg; m++)
              {
                double s = 0;
                for (int64_t j = 0; j < ld; j++)
                  s += dyc[m * ld + j];
                part[c->wn + gi * Mg + m] += (float) s;
              }
          if (c->dw)
            {
              const float *pc = cols;
              if (c->cached)
                pc = c->tn->cols + c0 * G * Kg * P + gi * Kg * ld;
              else
                for (int64_t i = 0; i < cn; i++)
                  bs_im2col_ld (g, Cg, c->x + ((c0 + i) * d->c + gi * Cg) * HW, cols + i * P, ld);
              cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) Mg, (int) Kg,
                           (int) ld, 1.0f, dyc, (int) ld, pc, (int) ld, 1.0f,
                           part + gi * Mg * Kg, (int) Kg);
            }
          if (c->dx)
            {
              cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) Kg, (int) ld,
                           (int) Mg, 1.0f, c->w + gi * Mg * Kg, (int) Kg, dyc, (int) ld, 0.0f,
                           cols, (int) ld);
              for (int64_t i = 0; i < cn; i++)
                col2im_ld (g, Cg, cols + i * P, ld,
                           c->dx + ((c0 + i) * d->c + gi * Cg) * HW);
            }
        }
    }
}

int
_tr_conv_backward (bs_trainer *t, tr_node *tn, char *err, size_t errlen)
{
  const bs_node *nd = &t->g->nodes[tn->node];
  conv_task c = { .t = t, .tn = tn };
  int wp = t->vals[nd->inputs[1]].param;
  int bp = nd->n_inputs > 2 && nd->inputs[2] >= 0 ? t->vals[nd->inputs[2]].param : -1;

  c.x = _tr_compute_input (t, tn);
  c.w = _tr_data (t, nd->inputs[1]);
  c.dy = t->vals[nd->outputs[0]].grad;
  c.dx = _tr_compute_input_grad (t, tn);
  c.dw = wp >= 0;
  c.db = bp >= 0;
  c.wn = bs_tensor_numel (&t->g->values[nd->inputs[1]].data);
  c.cached = tn->cols && tn->cols_n == t->n;
  if ((size_t) (c.wn + tn->cd.m) > t->part_n)
    return _tr_fail (err, errlen, "node '%s': partial buffer too small", nd->name);
  _tr_pool_run (t->pool, conv_bwd_run, &c);
  if (c.dw)
    _tr_reduce_partials (t, 0, t->params[wp].pub.grad, c.wn);
  if (c.db)
    _tr_reduce_partials (t, (size_t) c.wn, t->params[bp].pub.grad, tn->cd.m);
  return 0;
}
