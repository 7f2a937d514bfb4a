/* ops-pool.c — MaxPool, AveragePool, GlobalAveragePool. */
#include "nn-private.h"

#include <math.h>

/* Per output, the running maximum of its window; windows wholly inside
 * the input skip the bounds checks.  The maximum is taken branch-free
 * (maxss) with a separate flag for NaN, which wins as in numpy's max.
 * Padding never wins. */
void
bs_maxpool2d (const bs_geom *g, int64_t nc, const float *x, float *y)
{
  for (int64_t p = 0; p < nc; p++)
    {
      const float *xp = x + p * g->ih * g->iw;
      float *yp = y + p * g->oh * g->ow;
      for (int64_t oy = 0; oy < g->oh; oy++)
        {
          int64_t iy0 = oy * g->sh - g->pt;
          bool rows_in = iy0 >= 0 && iy0 + (g->kh - 1) * g->dh < g->ih;
          for (int64_t ox = 0; ox < g->ow; ox++)
            {
              int64_t ix0 = ox * g->sw - g->pl;
              float m = -INFINITY;
              int nan = 0;
              if (rows_in && ix0 >= 0 && ix0 + (g->kw - 1) * g->dw < g->iw)
                {
                  for (int64_t ky = 0; ky < g->kh; ky++)
                    {
                      const float *row = xp + (iy0 + ky * g->dh) * g->iw + ix0;
                      for (int64_t kx = 0; kx < g->kw; kx++)
                        {
                          float v = row[kx * g->dw];
                          m = m > v ? m : v;
                          nan |= v != v;
                        }
                    }
                }
              else
                for (int64_t ky = 0; ky < g->kh; ky++)
                  {
                    int64_t iy = iy0 + ky * g->dh;
                    if (iy < 0 || iy >= g->ih)
                      continue;
                    for (int64_t kx = 0; kx < g->kw; kx++)
                      {
                        int64_t ix = ix0 + kx * g->dw;
                        if (ix < 0 || ix >= g->iw)
                          continue;
                        float v = xp[iy * g->iw + ix];
                        m = m > v ? m : v;
                        nan |= v != v;
                      }
                  }
              yp[oy * g->ow + ox] = nan ? NAN : m;
            }
        }
    }
}

void
bs_avgpool2d (const bs_geom *g, bool count_include_pad, int64_t nc, const float *x, float *y)
{
  for (int64_t p = 0; p < nc; p++)
    {
      const float *xp = x + p * g->ih * g->iw;
      float *yp = y + p * g->oh * g->ow;
      for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox++)
          {
            double sum = 0;
            int64_t valid = 0, padded = 0;
            for (int64_t ky = 0; ky < g->kh; ky++)
              {
                int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                bool in_pad_y = iy >= -g->pt && iy < g->ih + g->pb;
                for (int64_t kx = 0; kx < g->kw; kx++)
                  {
                    int64_t ix = ox * g->sw - g->pl + kx * g->dw;
                    if (in_pad_y && ix >= -g->pl && ix < g->iw + g->pr)
                      padded++;
                    if (iy < 0 || iy >= g->ih || ix < 0 || ix >= g->iw)
                      continue;
                    sum += xp[iy * g->iw + ix];
                    valid++;
                  }
              }
            int64_t div = count_include_pad ? padded : valid;
            yp[oy * g->ow + ox] = div ? (float) (sum / (double) div) : 0.0f;
          }
    }
}

void
bs_global_avgpool (int64_t nc, int64_t hw, const float *x, float *y)
{
  for (int64_t p = 0; p < nc; p++)
    {
      double sum = 0;
      for (int64_t i = 0; i < hw; i++)
        sum += x[p * hw + i];
      y[p] = hw ? (float) (sum / (double) hw) : 0.0f;
    }
}

/* Node glue -------------------------------------------------------------------------- */

static int
maxpool_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const known[] = { "auto_pad", "ceil_mode", "dilations", "kernel_shape",
                                       "pads", "storage_order", "strides", NULL };
  if (_bs_attr_only (n, known, err, errlen) < 0)
    return -1;
  return _bs_window_parse (n, false, &n->p.pool, err, errlen);
}

static int
avgpool_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const known[] = { "auto_pad", "ceil_mode", "count_include_pad",
                                       "dilations", "kernel_shape", "pads", "strides", NULL };
  if (_bs_attr_only (n, known, err, errlen) < 0)
    return -1;
  return _bs_window_parse (n, false, &n->p.pool, err, errlen);
}

static int
pool_geom (const bs_node *n, const bs_shape *x, bs_geom *g, char *err, size_t errlen)
{
  int64_t ih, iw;
  if (_bs_window_spatial (&n->p.pool, x, &ih, &iw, err, errlen) < 0)
    return -1;
  return bs_window_resolve (&n->p.pool, ih, iw, 1, 1, g, err, errlen);
}

static int
pool_infer (const bs_node *n, int opset, const bs_shape *const *in, const bs_tensor *const *cin,
            bs_shape *out, char *err, size_t errlen)
{
  bs_geom g;
  if (pool_geom (n, in[0], &g, err, errlen) < 0)
    return -1;
  out[0] = *in[0];
  if (out[0].ndim == 4)
    out[0].dims[2] = g.oh;
  out[0].dims[out[0].ndim - 1] = g.ow;
  return 0;
}

static int
pool_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
          _bs_scratch *s, char *err, size_t errlen)
{
  bs_geom g;
  int64_t nc = in[0]->shape.dims[0] * in[0]->shape.dims[1];
  if (pool_geom (n, &in[0]->shape, &g, err, errlen) < 0)
    return -1;
  if (n->op == BS_OP_MAXPOOL)
    bs_maxpool2d (&g, nc, bs_tensor_f32 (in[0]), bs_tensor_f32 (out[0]));
  else
    bs_avgpool2d (&g, n->p.pool.count_include_pad, nc, bs_tensor_f32 (in[0]),
                  bs_tensor_f32 (out[0]));
  return 0;
}

const _bs_op_def _bs_op_maxpool = {
  BS_OP_MAXPOOL, "MaxPool", 1, 1, 1, maxpool_parse, pool_infer, pool_run,
};

const _bs_op_def _bs_op_averagepool = {
  BS_OP_AVERAGEPOOL, "AveragePool", 1, 1, 1, avgpool_parse, pool_infer, pool_run,
};

static int
gap_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const known[] = { NULL };
  return _bs_attr_only (n, known, err, errlen);
}

static int
gap_infer (const bs_node *n, int opset, const bs_shape *const *in, const bs_tensor *const *cin,
           bs_shape *out, char *err, size_t errlen)
{
  if (in[0]->ndim < 3)
    return _bs_nn_fail (err, errlen, "input rank %d: need N, C and spatial dims", in[0]->ndim);
  out[0] = *in[0];
  for (int i = 2; i < out[0].ndim; i++)
    out[0].dims[i] = 1;
  return 0;
}

static int
gap_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
         _bs_scratch *s, char *err, size_t errlen)
{
  const bs_shape *x = &in[0]->shape;
  int64_t hw = 1;
  for (int i = 2; i < x->ndim; i++)
    hw *= x->dims[i];
  bs_global_avgpool (x->dims[0] * x->dims[1], hw, bs_tensor_f32 (in[0]), bs_tensor_f32 (out[0]));
  return 0;
}

const _bs_op_def _bs_op_globalaveragepool = {
  BS_OP_GLOBALAVERAGEPOOL, "GlobalAveragePool", 1, 1, 1, gap_parse, gap_infer, gap_run,
};
