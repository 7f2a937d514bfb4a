/* backward-pool.c — MaxPool, AveragePool and GlobalAveragePool for
 * training.  Forward uses the engine's kernels on each thread's slice of
 * planes; backward routes each output's gradient:
 *   MaxPool: to the first input cell holding the window's maximum, recorded
 *            by the forward pass (padding never wins; a NaN window passes
 *            nothing);
 *   AveragePool: dy / count to every input cell of the window, count as the
 *            forward divides (padding included when count_include_pad);
 *   GlobalAveragePool: dy / (h · w) to every cell of the plane. */
#include "train-private.h"

#include <math.h>

typedef struct {
  bs_trainer *t;
  tr_node *tn;
  const float *x;
  float *y;
  const float *dy;
  float *dx;
  bool count_include_pad;
} pool_task;

/* Max of each window (the engine's bs_maxpool2d values: padding never
 * wins, NaN wins) and the index of its first maximal cell in the plane (-1
 * for a NaN window), which the backward pass routes to. */
static void
maxpool_fwd (const bs_geom *g, int64_t planes, const float *x, float *y, int32_t *arg)
{
  if (g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->dh == 1 && g->dw == 1
      && g->pt == 0 && g->pl == 0 && 2 * g->oh <= g->ih && 2 * g->ow <= g->iw)
    {
      /* the common 2×2 / 2 pool: every window inside the plane */
      for (int64_t q = 0; q < planes; q++)
        for (int64_t oy = 0; oy < g->oh; oy++)
          {
            const float *r0 = x + q * g->ih * g->iw + 2 * oy * g->iw, *r1 = r0 + g->iw;
            float *yr = y + (q * g->oh + oy) * g->ow;
            int32_t *ar = arg + (q * g->oh + oy) * g->ow;
            int32_t base = (int32_t) (2 * oy * g->iw);
            for (int64_t ox = 0; ox < g->ow; ox++)
              {
                float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
                float m = a;
                int32_t k = base + (int32_t) (2 * ox);
                if (b > m)
                  m = b, k = base + (int32_t) (2 * ox + 1);
                if (c > m)
                  m = c, k = base + (int32_t) (g->iw + 2 * ox);
                if (d > m)
                  m = d, k = base + (int32_t) (g->iw + 2 * ox + 1);
                if (a != a || b != b || c != c || d != d)
                  m = NAN, k = -1;
                yr[ox] = m;
                ar[ox] = k;
              }
          }
      return;
    }
  for (int64_t q = 0; q < planes; q++)
    {
      const float *xp = x + q * g->ih * g->iw;
      float *yp = y + q * g->oh * g->ow;
      int32_t *ap = arg + q * g->oh * g->ow;
      for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox++)
          {
            int64_t best = -1;
            float m = -INFINITY;
            bool nan = false;
            for (int64_t ky = 0; ky < g->kh; ky++)
              {
                int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                if (iy < 0 || iy >= g->ih)
                  continue;
                for (int64_t kx = 0; kx < g->kw; kx++)
                  {
                    int64_t ix = ox * g->sw - g->pl + kx * g->dw;
                    if (ix < 0 || ix >= g->iw)
                      continue;
                    float v = xp[iy * g->iw + ix];
                    nan |= v != v;
                    if (best < 0 || v > m)
                      {
                        best = iy * g->iw + ix;
                        m = v;
                      }
                  }
              }
            yp[oy * g->ow + ox] = nan ? NAN : m;
            ap[oy * g->ow + ox] = nan ? -1 : (int32_t) best;
          }
    }
}

static void
pool_fwd_run (void *ctx, int tid, int nt)
{
  pool_task *p = ctx;
  tr_node *tn = p->tn;
  int64_t p0, p1;

  _tr_slice (tn->outer, tid, nt, &p0, &p1);
  if (p0 == p1)
    return;
  switch (tn->op)
    {
    case BS_OP_MAXPOOL:
      {
        int64_t in = tn->pg.ih * tn->pg.iw, out = tn->pg.oh * tn->pg.ow;
        maxpool_fwd (&tn->pg, p1 - p0, p->x + p0 * in, p->y + p0 * out, tn->argmax + p0 * out);
        break;
      }
    case BS_OP_AVERAGEPOOL:
      bs_avgpool2d (&tn->pg, p->count_include_pad, p1 - p0, p->x + p0 * tn->pg.ih * tn->pg.iw,
                    p->y + p0 * tn->pg.oh * tn->pg.ow);
      break;
    default:
      bs_global_avgpool (p1 - p0, tn->inner, p->x + p0 * tn->inner, p->y + p0);
      break;
    }
}

int
_tr_pool_forward (bs_trainer *t, tr_node *tn, char *err, size_t errlen)
{
  const bs_node *nd = &t->g->nodes[tn->node];
  pool_task p = { .t = t, .tn = tn };
  p.x = _tr_data (t, nd->inputs[0]);
  p.y = _tr_data (t, nd->outputs[0]);
  if (tn->op == BS_OP_AVERAGEPOOL)
    p.count_include_pad = nd->p.pool.count_include_pad;
  _tr_pool_run (t->pool, pool_fwd_run, &p);
  return 0;
}

static void
maxpool_back (const bs_geom *g, int64_t planes, const int32_t *arg, const float *dy, float *dx)
{
  for (int64_t q = 0; q < planes; q++)
    {
      float *dxp = dx + q * g->ih * g->iw;
      const float *dyp = dy + q * g->oh * g->ow;
      const int32_t *ap = arg + q * g->oh * g->ow;
      for (int64_t o = 0; o < g->oh * g->ow; o++)
        if (ap[o] >= 0)
          dxp[ap[o]] += dyp[o];
    }
}

static void
avgpool_back (const bs_geom *g, bool include_pad, int64_t planes, const float *dy, float *dx)
{
  for (int64_t q = 0; q < planes; q++)
    {
      float *dxp = dx + q * g->ih * g->iw;
      const float *dyp = dy + q * g->oh * g->ow;
      for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox++)
          {
            int64_t valid = 0, padded = 0, div;
            for (int64_t ky = 0; ky < g->kh; ky++)
              {
                int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                bool in_pad_y = iy >= -g->pt && iy < g->ih + g->pb;
                for (int64_t kx = 0; kx < g->kw; kx++)
                  {
                    int64_t ix = ox * g->sw - g->pl + kx * g->dw;
                    if (in_pad_y && ix >= -g->pl && ix < g->iw + g->pr)
                      padded++;
                    if (iy >= 0 && iy < g->ih && ix >= 0 && ix < g->iw)
                      valid++;
                  }
              }
            div = include_pad ? padded : valid;
            if (!div)
              continue;
            float share = (float) ((double) dyp[oy * g->ow + ox] / (double) div);
            for (int64_t ky = 0; ky < g->kh; ky++)
              {
                int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                if (iy < 0 || iy >= g->ih)
                  continue;
                for (int64_t kx = 0; kx < g->kw; kx++)
                  {
                    int64_t ix = ox * g->sw - g->pl + kx * g->dw;
                    if (ix >= 0 && ix < g->iw)
                      dxp[iy * g->iw + ix] += share;
                  }
              }
          }
    }
}

static void
pool_bwd_run (void *ctx, int tid, int nt)
{
  pool_task *p = ctx;
  tr_node *tn = p->tn;
  int64_t p0, p1;

  _tr_slice (tn->outer, tid, nt, &p0, &p1);
  if (p0 == p1)
    return;
  switch (tn->op)
    {
    case BS_OP_MAXPOOL:
      {
        int64_t in = tn->pg.ih * tn->pg.iw, out = tn->pg.oh * tn->pg.ow;
        maxpool_back (&tn->pg, p1 - p0, tn->argmax + p0 * out, p->dy + p0 * out,
                      p->dx + p0 * in);
        break;
      }
    case BS_OP_AVERAGEPOOL:
      {
        int64_t in = tn->pg.ih * tn->pg.iw, out = tn->pg.oh * tn->pg.ow;
        avgpool_back (&tn->pg, p->count_include_pad, p1 - p0, p->dy + p0 * out,
                      p->dx + p0 * in);
        break;
      }
    default:
      for (int64_t q = p0; q < p1; q++)
        {
          float share = (float) ((double) p->dy[q] / (double) tn->inner);
          float *d = p->dx + q * tn->inner;
          for (int64_t i = 0; i < tn->inner; i++)
            d[i] += share;
        }
      break;
    }
}

int
_tr_pool_backward (bs_trainer *t, tr_node *tn, char *err, size_t errlen)
{
  const bs_node *nd = &t->g->nodes[tn->node];
  pool_task p = { .t = t, .tn = tn };
  if (!t->vals[nd->inputs[0]].need_grad)
    return 0;
  p.x = _tr_data (t, nd->inputs[0]);
  p.dy = t->vals[nd->outputs[0]].grad;
  p.dx = t->vals[nd->inputs[0]].grad;
  if (tn->op == BS_OP_AVERAGEPOOL)
    p.count_include_pad = nd->p.pool.count_include_pad;
  _tr_pool_run (t->pool, pool_bwd_run, &p);
  return 0;
}
