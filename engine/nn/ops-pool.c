/* ops-pool.c — MaxPool, AveragePool, GlobalAveragePool. */
#include "nn-private.h"

#include <math.h>

/* The maximum over one window with bounds checks (windows that reach into
 * the padding).  The maximum is taken branch-free (maxss) with a separate
 * flag for NaN, which wins as in numpy's max.  Padding never wins. */
static float
max_window_checked (const bs_geom *g, const float *xp, int64_t iy0, int64_t ix0)
{
  float m = -INFINITY;
  int nan = 0;
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
  return nan ? NAN : m;
}

#define POOL_BLOCK 64

/* Outputs [lo, hi) of one row whose windows lie wholly inside the input:
 * taps in the same order as max_window_checked (so the same result, signed
 * zeros included), each tap a pass over a block of outputs, which GCC
 * vectorises when the stride is a constant (sw = 1, 2 are inlined). */
static inline __attribute__ ((always_inline)) void
max_row_inside (const bs_geom *g, const float *rows, int64_t lo, int64_t hi, int64_t sw,
                float *y)
{
  for (int64_t b0 = lo; b0 < hi; b0 += POOL_BLOCK)
    {
      int64_t len = hi - b0 < POOL_BLOCK ? hi - b0 : POOL_BLOCK;
      float m[POOL_BLOCK];
      int32_t nan[POOL_BLOCK];
      const float *base = rows + b0 * sw - g->pl;
      for (int64_t i = 0; i < len; i++)
        {
          m[i] = -INFINITY;
          nan[i] = 0;
        }
      for (int64_t ky = 0; ky < g->kh; ky++)
        for (int64_t kx = 0; kx < g->kw; kx++)
          {
            const float *src = base + ky * g->dh * g->iw + kx * g->dw;
            for (int64_t i = 0; i < len; i++)
              {
                float v = src[i * sw];
                m[i] = m[i] > v ? m[i] : v;
                nan[i] |= v != v;
              }
          }
      for (int64_t i = 0; i < len; i++)
        y[b0 + i] = nan[i] ? NAN : m[i];
    }
}

/* The common 2×2 window with stride 2: n outputs whose windows start at
 * r0[0], r0[2], … (rows r0 and r1), the four taps of each in the same order
 * as the general path. */
static void
max_row_2x2s2 (const float *r0, const float *r1, int64_t n, float *y)
{
  for (int64_t ox = 0; ox < n; ox++)
    {
      float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
      float m = -INFINITY;
      int nan = (a != a) | (b != b) | (c != c) | (d != d);
      m = m > a ? m : a;
      m = m > b ? m : b;
      m = m > c ? m : c;
      m = m > d ? m : d;
      y[ox] = nan ? NAN : m;
    }
}

void
bs_maxpool2d (const bs_geom *g, int64_t nc, const float *x, float *y)
{
  bool k2s2 = g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->dh == 1 && g->dw == 1;

  /* output columns whose windows lie inside [0, iw) */
  int64_t lo = g->pl > 0 ? (g->pl + g->sw - 1) / g->sw : 0;
  int64_t last = g->iw - 1 - (g->kw - 1) * g->dw + g->pl;   /* ox·sw ≤ last */
  int64_t hi = last < 0 ? 0 : last / g->sw + 1;

  if (hi > g->ow)
    hi = g->ow;
  if (lo > hi)
    lo = hi;
  for (int64_t p = 0; p < nc; p++)
    {
      const float *xp = x + p * g->ih * g->iw;
      float *yp = y + p * g->oh * g->ow;
      for (int64_t oy = 0; oy < g->oh; oy++)
        {
          int64_t iy0 = oy * g->sh - g->pt;
          bool rows_in = iy0 >= 0 && iy0 + (g->kh - 1) * g->dh < g->ih;
          float *yr = yp + oy * g->ow;
          if (!rows_in)
            {
              for (int64_t ox = 0; ox < g->ow; ox++)
                yr[ox] = max_window_checked (g, xp, iy0, ox * g->sw - g->pl);
              continue;
            }
          for (int64_t ox = 0; ox < lo; ox++)
            yr[ox] = max_window_checked (g, xp, iy0, ox * g->sw - g->pl);
          if (k2s2)
            {
              const float *r0 = xp + iy0 * g->iw + 2 * lo - g->pl;   /* 2·lo ≥ pl */
              max_row_2x2s2 (r0, r0 + g->iw, hi - lo, yr + lo);
            }
          else if (g->sw == 1)
            max_row_inside (g, xp + iy0 * g->iw, lo, hi, 1, yr);
          else if (g->sw == 2)
            max_row_inside (g, xp + iy0 * g->iw, lo, hi, 2, yr);
          else
            max_row_inside (g, xp + iy0 * g->iw, lo, hi, g->sw, yr);
          for (int64_t ox = hi; ox < g->ow; ox++)
            yr[ox] = max_window_checked (g, xp, iy0, ox * g->sw - g->pl);
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
  enum { LANES = 8 };
  int64_t p = 0;

  /* eight planes side by side, each summed in its own order: eight chains
   * of dependent additions at once instead of one (a plane of 49 cells
   * took 49 additions' latency; 2 % of a ResNet run).  The last planes
   * one at a time: one loop with a lane count known only at run time was
   * as slow as before. */
  for (; p + LANES <= nc; p += LANES)
    {
      double sum[LANES] = { 0 };
      for (int64_t i = 0; i < hw; i++)
        for (int l = 0; l < LANES; l++)
          sum[l] += x[(p + l) * hw + i];
      for (int l = 0; l < LANES; l++)
        y[p + l] = hw ? (float) (sum[l] / (double) hw) : 0.0f;
    }
  for (; p < nc; p++)
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

int
_bs_pool_run_on (const bs_node *n, const bs_shape *in_shape, const float *x, float *y, char *err,
                 size_t errlen)
{
  bs_tensor tin = { .dtype = BS_DT_FLOAT, .shape = *in_shape, .data = (void *) x };
  bs_tensor tout = { .dtype = BS_DT_FLOAT, .data = y };
  const bs_tensor *in[1] = { &tin };
  bs_tensor *out[1] = { &tout };
  return pool_run (n, 0, in, out, NULL, err, errlen);
}

const _bs_op_def _bs_op_maxpool = {
  BS_OP_MAXPOOL, "MaxPool", 1, 1, 1, maxpool_parse, pool_infer, pool_run, NULL,
};

const _bs_op_def _bs_op_averagepool = {
  BS_OP_AVERAGEPOOL, "AveragePool", 1, 1, 1, avgpool_parse, pool_infer, pool_run, NULL,
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
  BS_OP_GLOBALAVERAGEPOOL, "GlobalAveragePool", 1, 1, 1, gap_parse, gap_infer, gap_run, NULL,
};
