/* Every op of engine/nn on small tensors with results worked out by hand
 * (the arithmetic is in the comments), plus Conv's fast paths against
 * direct loops written here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bs-ops.h"
#include "bs-test-ref.h"
#include "test-nn-util.h"

#define D(...) ((int64_t[]) { __VA_ARGS__ })
#define F(...) ((float[]) { __VA_ARGS__ })
#define ATTRS(...) ((bs_attr[]) { __VA_ARGS__ })
#define NAMES(...) ((const char *const[]) { __VA_ARGS__ })

static const float iota16[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* Run op on one runtime input x0 (and constants c0, c1, …) and compare. */
static void
check (const char *op, int opset, int n_in, const char *const *names, const bs_tensor *x,
       int n_consts, bs_tensor *consts, int n_attrs, const bs_attr *attrs, int out_ndim,
       const int64_t *out_dims, const float *want, const char *what)
{
  bs_tensor y;
  bs_shape ws = bs_shape_make (out_ndim, out_dims);
  char a[64], b[64];

  nn_run_one (op, opset, n_in, names, 1, x, n_consts, consts, n_attrs, attrs, &y);
  bs_shape_format (&y.shape, a, sizeof a);
  bs_shape_format (&ws, b, sizeof b);
  g_assert_cmpstr (a, ==, b);
  nn_assert_close (bs_tensor_f32 (&y), want, bs_shape_numel (&ws), 1e-6, what);
  bs_tensor_clear (&y);
}

/* Conv ------------------------------------------------------------------------ */

static void
test_conv_basic (void)
{
  /* x = 1..9 in 3×3, w = [[1,0],[0,1]]: each output = top-left + bottom-right,
   * plus bias 0.5: 1+5, 2+6, 4+8, 5+9 → 6.5 8.5 12.5 14.5 */
  bs_tensor x = nn_tensor (4, D (1, 1, 3, 3), F (1, 2, 3, 4, 5, 6, 7, 8, 9));
  bs_tensor c[] = { nn_tensor (4, D (1, 1, 2, 2), F (1, 0, 0, 1)), nn_tensor (1, D (1), F (0.5)) };
  check ("Conv", 13, 3, NAMES ("x0", "c0", "c1"), &x, 2, c, 0, NULL, 4, D (1, 1, 2, 2),
         F (6.5, 8.5, 12.5, 14.5), "conv basic");
  bs_tensor_clear (&x);
}

static void
test_conv_pads_strides (void)
{
  /* x = 0..15 in 4×4, 3×3 ones, pads 1, stride 2 → 2×2 windows centred at
   * (0,0): 0+1+4+5 = 10; (0,2): 1+2+3+5+6+7 = 24; (2,0): 4+5+8+9+12+13 = 51;
   * (2,2): 5+6+7+9+10+11+13+14+15 = 90 */
  bs_tensor x = nn_tensor (4, D (1, 1, 4, 4), iota16);
  bs_tensor c[] = { nn_tensor (4, D (1, 1, 3, 3), F (1, 1, 1, 1, 1, 1, 1, 1, 1)) };
  bs_attr a[] = { nn_attr_ints ("pads", 4, D (1, 1, 1, 1)), nn_attr_ints ("strides", 2, D (2, 2)) };
  check ("Conv", 11, 2, NAMES ("x0", "c0"), &x, 1, c, 2, a, 4, D (1, 1, 2, 2), F (10, 24, 51, 90),
         "conv pads strides");
  bs_tensor_clear (&x);
}

static void
test_conv_dilation (void)
{
  /* 2×2 ones dilated by 2 pick x[i][j] + x[i][j+2] + x[i+2][j] + x[i+2][j+2]:
   * 0+2+8+10 = 20, 24, 36, 40 */
  bs_tensor x = nn_tensor (4, D (1, 1, 4, 4), iota16);
  bs_tensor c[] = { nn_tensor (4, D (1, 1, 2, 2), F (1, 1, 1, 1)) };
  bs_attr a[] = { nn_attr_ints ("dilations", 2, D (2, 2)) };
  check ("Conv", 11, 2, NAMES ("x0", "c0"), &x, 1, c, 1, a, 4, D (1, 1, 2, 2), F (20, 24, 36, 40),
         "conv dilation");
  bs_tensor_clear (&x);
}

static void
test_conv_groups (void)
{
  /* depthwise: channel 0 [1,2,3,4] · 2, channel 1 [5,6,7,8] · 3 */
  bs_tensor x = nn_tensor (4, D (1, 2, 2, 2), F (1, 2, 3, 4, 5, 6, 7, 8));
  bs_tensor c[] = { nn_tensor (4, D (2, 1, 1, 1), F (2, 3)) };
  bs_attr a[] = { nn_attr_int ("group", 2) };
  check ("Conv", 11, 2, NAMES ("x0", "c0"), &x, 1, c, 1, a, 4, D (1, 2, 2, 2),
         F (2, 4, 6, 8, 15, 18, 21, 24), "conv depthwise");
  bs_tensor_clear (&x);

  /* two groups of two channels (GEMM path): x = [1,2 | 3,4];
   * w0 = [1,1] → 1+2 = 3; w1 = [1,-1] → 3-4 = -1 */
  x = nn_tensor (4, D (1, 4, 1, 1), F (1, 2, 3, 4));
  c[0] = nn_tensor (4, D (2, 2, 1, 1), F (1, 1, 1, -1));
  check ("Conv", 11, 2, NAMES ("x0", "c0"), &x, 1, c, 1, a, 4, D (1, 2, 1, 1), F (3, -1),
         "conv groups");
  bs_tensor_clear (&x);

  /* depthwise with multiplier 2: channel 0 → ·1, ·-1; channel 1 → ·10, ·0 */
  x = nn_tensor (4, D (1, 2, 1, 2), F (1, 2, 3, 4));
  c[0] = nn_tensor (4, D (4, 1, 1, 1), F (1, -1, 10, 0));
  check ("Conv", 11, 2, NAMES ("x0", "c0"), &x, 1, c, 1, a, 4, D (1, 4, 1, 2),
         F (1, 2, -1, -2, 30, 40, 0, 0), "conv depthwise multiplier");
  bs_tensor_clear (&x);
}

static void
test_conv_auto_pad (void)
{
  /* 1-D: x = [1,2,3,4], w = [1,10].  SAME: out 4, total pad 1.
   * SAME_UPPER pads the end:   x[i] + 10 x[i+1] → 21 32 43 4
   * SAME_LOWER pads the start: x[i-1] + 10 x[i] → 10 21 32 43
   * VALID: 21 32 43 */
  bs_tensor x = nn_tensor (3, D (1, 1, 4), F (1, 2, 3, 4));
  bs_tensor c[1];
  bs_attr up[] = { nn_attr_str ("auto_pad", "SAME_UPPER") };
  bs_attr lo[] = { nn_attr_str ("auto_pad", "SAME_LOWER") };
  bs_attr va[] = { nn_attr_str ("auto_pad", "VALID") };

  c[0] = nn_tensor (3, D (1, 1, 2), F (1, 10));
  check ("Conv", 11, 2, NAMES ("x0", "c0"), &x, 1, c, 1, up, 3, D (1, 1, 4), F (21, 32, 43, 4),
         "SAME_UPPER");
  c[0] = nn_tensor (3, D (1, 1, 2), F (1, 10));
  check ("Conv", 11, 2, NAMES ("x0", "c0"), &x, 1, c, 1, lo, 3, D (1, 1, 4), F (10, 21, 32, 43),
         "SAME_LOWER");
  c[0] = nn_tensor (3, D (1, 1, 2), F (1, 10));
  check ("Conv", 11, 2, NAMES ("x0", "c0"), &x, 1, c, 1, va, 3, D (1, 1, 3), F (21, 32, 43),
         "VALID");
  bs_tensor_clear (&x);
}

/* Direct convolution written here from the definition (double sums). */
static void
naive_conv (const bs_conv_dims *d, const float *x, const float *w, const float *b, float *y)
{
  const bs_geom *g = &d->g;
  int64_t cg = d->c / d->group, mg = d->m / d->group;
  for (int64_t n = 0; n < d->n; n++)
    for (int64_t m = 0; m < d->m; m++)
      for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox++)
          {
            double s = b ? b[m] : 0;
            for (int64_t c = 0; c < cg; c++)
              for (int64_t ky = 0; ky < g->kh; ky++)
                for (int64_t kx = 0; kx < g->kw; kx++)
                  {
                    int64_t iy = oy * g->sh + ky * g->dh - g->pt;
                    int64_t ix = ox * g->sw + kx * g->dw - g->pl;
                    if (iy >= 0 && iy < g->ih && ix >= 0 && ix < g->iw)
                      s += (double) x[((n * d->c + (m / mg) * cg + c) * g->ih + iy) * g->iw + ix]
                           * w[((m * cg + c) * g->kh + ky) * g->kw + kx];
                  }
            y[((n * d->m + m) * g->oh + oy) * g->ow + ox] = (float) s;
          }
}

/* Random geometries: the fast path (im2col + sgemm, depthwise, pointwise)
 * and the engine's reference agree with the loops above. */
static void
test_conv_random (void)
{
  bs_test_rng r = { 1234 };
  for (int t = 0; t < 300; t++)
    {
      bs_window win = { 0 };
      bs_conv_dims d = { 0 };
      char err[200];
      int64_t kh, kw;

      d.n = 1 + (int64_t) (bs_test_rng_next (&r) % 2);
      d.group = 1 + (int64_t) (bs_test_rng_next (&r) % 3);
      d.c = d.group * (1 + (int64_t) (bs_test_rng_next (&r) % 3));
      d.m = d.group * (1 + (int64_t) (bs_test_rng_next (&r) % 3));
      kh = 1 + (int64_t) (bs_test_rng_next (&r) % 3);
      kw = 1 + (int64_t) (bs_test_rng_next (&r) % 3);
      win.nsp = 2;
      for (int i = 0; i < 2; i++)
        {
          win.stride[i] = 1 + (int64_t) (bs_test_rng_next (&r) % 3);
          win.dilation[i] = 1 + (int64_t) (bs_test_rng_next (&r) % 2);
          win.pad_begin[i] = (int64_t) (bs_test_rng_next (&r) % 3);
          win.pad_end[i] = (int64_t) (bs_test_rng_next (&r) % 3);
        }
      win.auto_pad = (bs_auto_pad) (bs_test_rng_next (&r) % 4);
      if (win.auto_pad != BS_AUTO_PAD_NOTSET)
        memset (win.pad_begin, 0, sizeof win.pad_begin), memset (win.pad_end, 0, sizeof win.pad_end);
      if (bs_window_resolve (&win, 3 + (int64_t) (bs_test_rng_next (&r) % 8),
                             3 + (int64_t) (bs_test_rng_next (&r) % 8), kh, kw, &d.g, err,
                             sizeof err) < 0)
        continue;
      int64_t nx = d.n * d.c * d.g.ih * d.g.iw, nw = d.m * (d.c / d.group) * kh * kw;
      int64_t ny = d.n * d.m * d.g.oh * d.g.ow;
      bs_tensor x = nn_random (1, D (nx), bs_test_rng_next (&r));
      bs_tensor w = nn_random (1, D (nw), bs_test_rng_next (&r));
      bs_tensor b = nn_random (1, D (d.m), bs_test_rng_next (&r));
      bs_tensor y1 = nn_tensor (1, D (ny), NULL), y2 = nn_tensor (1, D (ny), NULL);
      bs_tensor y3 = nn_tensor (1, D (ny), NULL);
      size_t sn = bs_conv2d_scratch (&d);
      float *scratch = g_new (float, sn + 1);
      const float *bias = t % 2 ? bs_tensor_f32 (&b) : NULL;

      naive_conv (&d, bs_tensor_f32 (&x), bs_tensor_f32 (&w), bias, bs_tensor_f32 (&y1));
      bs_conv2d (&d, bs_tensor_f32 (&x), bs_tensor_f32 (&w), bias, bs_tensor_f32 (&y2), scratch);
      bs_conv2d_ref (&d, bs_tensor_f32 (&x), bs_tensor_f32 (&w), bias, bs_tensor_f32 (&y3));
      nn_assert_close (bs_tensor_f32 (&y2), bs_tensor_f32 (&y1), ny, 1e-5, "conv fast");
      nn_assert_close (bs_tensor_f32 (&y3), bs_tensor_f32 (&y1), ny, 1e-6, "conv ref");
      g_free (scratch);
      bs_tensor_clear (&x);
      bs_tensor_clear (&w);
      bs_tensor_clear (&b);
      bs_tensor_clear (&y1);
      bs_tensor_clear (&y2);
      bs_tensor_clear (&y3);
    }
}

/* A conv of d.n images gives each image the bits it gets alone.  The fast
 * path multiplies the patches of several images in one GEMM where that pays
 * (small outputs of large enough products), and an image's output must not
 * depend on the images beside it: the evaluator's reference run and its
 * chunks group images differently.  With against_loops, the batch is also
 * checked against the loops above (slow under the sanitizers, so not for
 * every case).  Returns whether bs_conv2d batched (it asks for more scratch
 * for d.n images than for one). */
static bool
check_batch_bits (const bs_conv_dims *d, uint64_t seed, bool against_loops, const char *what)
{
  bs_conv_dims one = *d;
  int64_t cg = d->c / d->group, in1, out1;
  int64_t nx, nw, ny;
  size_t sn, s1;
  bool batched;

  one.n = 1;
  in1 = d->c * d->g.ih * d->g.iw;
  out1 = d->m * d->g.oh * d->g.ow;
  nx = d->n * in1;
  nw = d->m * cg * d->g.kh * d->g.kw;
  ny = d->n * out1;
  sn = bs_conv2d_scratch (d);
  s1 = bs_conv2d_scratch (&one);
  batched = sn > s1;

  bs_tensor x = nn_random (1, D (nx), seed);
  bs_tensor w = nn_random (1, D (nw), seed + 1);
  bs_tensor b = nn_random (1, D (d->m), seed + 2);
  g_autofree float *y = g_new (float, ny);
  g_autofree float *y1 = g_new (float, ny);
  g_autofree float *yr = g_new (float, ny);
  g_autofree float *scratch = g_new (float, (sn > s1 ? sn : s1) + 1);

  bs_conv2d (d, bs_tensor_f32 (&x), bs_tensor_f32 (&w), bs_tensor_f32 (&b), y, scratch);
  for (int64_t n = 0; n < d->n; n++)
    bs_conv2d (&one, bs_tensor_f32 (&x) + n * in1, bs_tensor_f32 (&w), bs_tensor_f32 (&b),
               y1 + n * out1, scratch);
  for (int64_t i = 0; i < ny; i++)
    if (memcmp (&y[i], &y1[i], sizeof y[i]) != 0)
      g_error ("%s: image %lld, element %lld: %a in the batch, %a alone", what,
               (long long) (i / out1), (long long) (i % out1), y[i], y1[i]);
  if (against_loops)
    {
      naive_conv (d, bs_tensor_f32 (&x), bs_tensor_f32 (&w), bs_tensor_f32 (&b), yr);
      nn_assert_close (y, yr, ny, 1e-4, what);
    }
  bs_tensor_clear (&x);
  bs_tensor_clear (&w);
  bs_tensor_clear (&b);
  return batched;
}

/* d for n images of c channels, ih × iw, to m channels with a k×k kernel,
 * stride s, symmetric padding pad and dilation dil, in groups. */
static bs_conv_dims
conv_dims (int64_t n, int64_t c, int64_t m, int64_t group, int64_t ih, int64_t iw, int64_t k,
           int64_t s, int64_t pad, int64_t dil)
{
  bs_window win = { 0 };
  bs_conv_dims d = { .n = n, .c = c, .m = m, .group = group };
  char err[200];

  win.nsp = 2;
  for (int i = 0; i < 2; i++)
    {
      win.stride[i] = s;
      win.dilation[i] = dil;
      win.pad_begin[i] = pad;
      win.pad_end[i] = pad;
    }
  g_assert_cmpint (bs_window_resolve (&win, ih, iw, k, k, &d.g, err, sizeof err), ==, 0);
  return d;
}

static void
test_conv_batch_bits (void)
{
  bs_test_rng r = { 99 };
  int batched = 0;
  int level = bs_conv_simd (-1);

  /* the im2col + GEMM path (the direct one takes one image at a time) */
  bs_conv_simd (0);
  /* the bundled ResNet's second block on 7 images (a whole batch and a
   * part): 32 → 96 channels, 3×3 stride 2 (the phase path), then 96 → 96,
   * 3×3 pads 1 at 7×7; and a pointwise conv with a small output */
  bs_conv_dims block2_conv1 = conv_dims (7, 32, 96, 1, 14, 14, 3, 2, 1, 1);
  bs_conv_dims block2_conv2 = conv_dims (7, 96, 96, 1, 7, 7, 3, 1, 1, 1);
  bs_conv_dims pointwise = conv_dims (9, 640, 64, 1, 5, 5, 1, 1, 0, 1);

  batched += check_batch_bits (&block2_conv1, 1, true, "resnet block2.conv1");
  batched += check_batch_bits (&block2_conv2, 4, true, "resnet block2.conv2");
  batched += check_batch_bits (&pointwise, 7, true, "pointwise");
#if defined(__x86_64__)
  /* the batched path ran (it is taken on x86-64 only) */
  g_assert_cmpint (batched, ==, 3);
#endif

  /* random geometries with enough channels to batch: groups, strides 1 and
   * 2, dilation, uneven pads, odd sizes, 1 to 6 images */
  batched = 0;
  for (int t = 0; t < 30; t++)
    {
      int64_t group = 1 + (int64_t) (bs_test_rng_next (&r) % 2);
      int64_t cg = 32 + (int64_t) (bs_test_rng_next (&r) % 65);
      int64_t mg = 64 + (int64_t) (bs_test_rng_next (&r) % 65);
      int64_t k = 2 + (int64_t) (bs_test_rng_next (&r) % 2);
      int64_t s = 1 + (int64_t) (bs_test_rng_next (&r) % 2);
      int64_t dil = 1 + (int64_t) (bs_test_rng_next (&r) % 2);
      int64_t ih = 4 + (int64_t) (bs_test_rng_next (&r) % 7);
      int64_t iw = 4 + (int64_t) (bs_test_rng_next (&r) % 7);
      int64_t n = 1 + (int64_t) (bs_test_rng_next (&r) % 6);
      bs_window win = { 0 };
      bs_conv_dims d = { .n = n, .c = group * cg, .m = group * mg, .group = group };
      char err[200], what[64];

      win.nsp = 2;
      for (int i = 0; i < 2; i++)
        {
          win.stride[i] = s;
          win.dilation[i] = dil;
          win.pad_begin[i] = (int64_t) (bs_test_rng_next (&r) % 3);
          win.pad_end[i] = (int64_t) (bs_test_rng_next (&r) % 3);
        }
      if (bs_window_resolve (&win, ih, iw, k, k, &d.g, err, sizeof err) < 0)
        continue;
      snprintf (what, sizeof what, "random conv %d", t);
      batched += check_batch_bits (&d, 100 + (uint64_t) t, t % 5 == 0, what);
    }
#if defined(__x86_64__)
  g_assert_cmpint (batched, >=, 5);
#endif
  /* the direct path, where there is one: each image alone */
  if (bs_conv_simd (1) >= 1)
    {
      check_batch_bits (&block2_conv1, 11, false, "resnet block2.conv1, direct");
      check_batch_bits (&block2_conv2, 14, false, "resnet block2.conv2, direct");
    }
  bs_conv_simd (level);
}

/* The direct path (AVX-512, ops-conv-direct.c) promises the bits of this
 * loop: the bias, then one fmaf per tap (c, ky, kx) in that order over the
 * zero-padded input. */
static void
fma_conv (const bs_conv_dims *d, const float *x, const float *w, const float *b, float *y)
{
  const bs_geom *g = &d->g;
  for (int64_t n = 0; n < d->n; n++)
    for (int64_t m = 0; m < d->m; m++)
      for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox++)
          {
            float s = b ? b[m] : 0.0f;
            for (int64_t c = 0; c < d->c; c++)
              for (int64_t ky = 0; ky < g->kh; ky++)
                for (int64_t kx = 0; kx < g->kw; kx++)
                  {
                    int64_t iy = oy * g->sh + ky * g->dh - g->pt;
                    int64_t ix = ox * g->sw + kx * g->dw - g->pl;
                    float xv = iy >= 0 && iy < g->ih && ix >= 0 && ix < g->iw
                               ? x[((n * d->c + c) * g->ih + iy) * g->iw + ix] : 0.0f;
                    s = fmaf (xv, w[((m * d->c + c) * g->kh + ky) * g->kw + kx], s);
                  }
            y[((n * d->m + m) * g->oh + oy) * g->ow + ox] = s;
          }
}

/* One case of the direct path against fma_conv, bit for bit. */
static void
check_direct_bits (const bs_conv_dims *d, uint64_t seed, bool bias, const char *what)
{
  int64_t nx = d->n * d->c * d->g.ih * d->g.iw, nw = d->m * d->c * d->g.kh * d->g.kw;
  int64_t ny = d->n * d->m * d->g.oh * d->g.ow;
  bs_tensor x = nn_random (1, D (nx), seed);
  bs_tensor w = nn_random (1, D (nw), seed + 1);
  bs_tensor b = nn_random (1, D (d->m), seed + 2);
  g_autofree float *y = g_new (float, ny);
  g_autofree float *want = g_new (float, ny);
  g_autofree float *scratch = g_new (float, bs_conv2d_scratch (d) + 1);
  const float *bv = bias ? bs_tensor_f32 (&b) : NULL;

  /* some exact zeros, as after a ReLU */
  for (int64_t i = 0; i < nx; i += 3)
    bs_tensor_f32 (&x)[i] = 0.0f;
  bs_conv2d (d, bs_tensor_f32 (&x), bs_tensor_f32 (&w), bv, y, scratch);
  fma_conv (d, bs_tensor_f32 (&x), bs_tensor_f32 (&w), bv, want);
  for (int64_t i = 0; i < ny; i++)
    if (memcmp (&y[i], &want[i], sizeof y[i]) != 0)
      g_error ("%s (c %lld m %lld %lldx%lld k %lldx%lld s %lld,%lld d %lld,%lld): element %lld: "
               "%a, the fmaf loop %a", what, (long long) d->c, (long long) d->m,
               (long long) d->g.oh, (long long) d->g.ow, (long long) d->g.kh,
               (long long) d->g.kw, (long long) d->g.sh, (long long) d->g.sw,
               (long long) d->g.dh, (long long) d->g.dw, (long long) i, y[i], want[i]);
  bs_tensor_clear (&x);
  bs_tensor_clear (&w);
  bs_tensor_clear (&b);
}

/* Random geometries through bs_conv2d with the direct path on: vertical
 * strides 1–3 and horizontal 1–2, dilation 1–2, uneven pads, kernels 1×1 to
 * 5×5 over 1 to 40 channels, outputs 1 to 18 wide (both tile shapes, tiles
 * over the edges, odd heights), 1 to 70 output channels (a last block of ≤ 16 channels, masked
 * stores), 1 to 3 images, with and without bias; and the bundled ResNet's
 * 3×3 layers.  (Where bs_conv2d took im2col + GEMM instead, the bits would
 * differ.) */
static void
test_conv_direct_bits (void)
{
  int level = bs_conv_simd (-1), cases = 0;
  bs_test_rng r = { 4321 };

  if (bs_conv_simd (1) < 1)
    {
      bs_conv_simd (level);
      g_test_skip ("this CPU has no AVX-512: bs_conv2d has no direct path here");
      return;
    }
  check_direct_bits ((bs_conv_dims[]) { conv_dims (2, 96, 96, 1, 7, 7, 3, 1, 1, 1) }, 1, true,
                     "resnet block2.conv2");
  check_direct_bits ((bs_conv_dims[]) { conv_dims (2, 32, 96, 1, 14, 14, 3, 2, 1, 1) }, 4, true,
                     "resnet block2.conv1");
  check_direct_bits ((bs_conv_dims[]) { conv_dims (1, 24, 32, 1, 28, 28, 3, 2, 1, 1) }, 7, true,
                     "resnet block1.conv1");
  /* no padding: the ResNet's 1 × 1 projections (24 and 32 taps: the
   * pixels' path, reading the input where it lies), then tiles without
   * padding, whole and over the right edge (their garbage columns read
   * from the slack) */
  check_direct_bits ((bs_conv_dims[]) { conv_dims (3, 24, 32, 1, 28, 28, 1, 2, 0, 1) }, 10, true,
                     "resnet block1.proj");
  check_direct_bits ((bs_conv_dims[]) { conv_dims (3, 32, 96, 1, 14, 14, 1, 2, 0, 1) }, 13, true,
                     "resnet block2.proj");
  check_direct_bits ((bs_conv_dims[]) { conv_dims (2, 5, 20, 1, 9, 9, 3, 1, 0, 1) }, 16, false,
                     "7 x 7 outputs without padding");
  check_direct_bits ((bs_conv_dims[]) { conv_dims (1, 4, 8, 1, 12, 12, 3, 1, 0, 1) }, 19, true,
                     "10 x 10 outputs without padding");
  /* padding wider than a vector: padded rows of 37 and 53 floats, whose
   * first vectors hold no image value, tiles and pixels */
  check_direct_bits ((bs_conv_dims[]) { conv_dims (2, 6, 20, 1, 3, 19, 3, 1, 17, 1) }, 22, true,
                     "padding of 17, 19 columns");
  check_direct_bits ((bs_conv_dims[]) { conv_dims (1, 2, 9, 1, 5, 3, 3, 2, 17, 2) }, 25, true,
                     "padding of 17, 3 columns, stride 2, dilation 2");
  for (int t = 0; t < 160; t++)
    {
      bs_window win = { 0 };
      int64_t kh = 1 + (int64_t) (bs_test_rng_next (&r) % 5);
      int64_t kw = 1 + (int64_t) (bs_test_rng_next (&r) % 5);
      bs_conv_dims d = { .group = 1 };
      char err[200], what[64];

      d.n = 1 + (int64_t) (bs_test_rng_next (&r) % 3);
      d.c = 1 + (int64_t) (bs_test_rng_next (&r) % 40);
      d.m = 1 + (int64_t) (bs_test_rng_next (&r) % 70);
      win.nsp = 2;
      win.stride[0] = 1 + (int64_t) (bs_test_rng_next (&r) % 3);
      win.stride[1] = 1 + (int64_t) (bs_test_rng_next (&r) % 2);
      for (int i = 0; i < 2; i++)
        {
          win.dilation[i] = 1 + (int64_t) (bs_test_rng_next (&r) % 2);
          win.pad_begin[i] = (int64_t) (bs_test_rng_next (&r) % 3);
          win.pad_end[i] = (int64_t) (bs_test_rng_next (&r) % 3);
        }
      if (bs_window_resolve (&win, 1 + (int64_t) (bs_test_rng_next (&r) % 18),
                             1 + (int64_t) (bs_test_rng_next (&r) % 18), kh, kw, &d.g, err,
                             sizeof err) < 0)
        continue;
      snprintf (what, sizeof what, "random case %d", t);
      check_direct_bits (&d, 1000 + 3 * (uint64_t) t, t % 4 != 0, what);
      cases++;
    }
  g_assert_cmpint (cases, >=, 100);
  bs_conv_simd (level);
}

/* bs_conv2d_fused against bs_conv2d, then the Add, then bs_relu, bit for
 * bit, on each path (direct where the CPU has it, im2col + GEMM): random
 * geometries with and without the add and the relu, and a case whose
 * outputs are all -0 (zero weights on negative inputs, bias -0, no padding),
 * which the Relu passes as -0. */
static void
check_fused (const bs_conv_dims *d, const float *x, const float *w, const float *b,
             const float *add, bool relu, const char *what)
{
  int64_t ny = d->n * d->m * d->g.oh * d->g.ow;
  g_autofree float *y = g_new (float, ny);
  g_autofree float *want = g_new (float, ny);
  g_autofree float *scratch = g_new (float, bs_conv2d_scratch (d) + 1);

  bs_conv2d (d, x, w, b, want, scratch);
  if (add)
    for (int64_t i = 0; i < ny; i++)
      want[i] = want[i] + add[i];
  if (relu)
    bs_relu (ny, want, want);
  bs_conv2d_fused (d, x, w, b, add, relu, y, scratch);
  for (int64_t i = 0; i < ny; i++)
    if (memcmp (&y[i], &want[i], sizeof y[i]) != 0)
      g_error ("%s: element %lld: %a fused, %a by the nodes", what, (long long) i, y[i], want[i]);
}

static void
test_conv_fused (void)
{
  int level = bs_conv_simd (-1);

  for (int lv = 0; lv <= 1; lv++)
    {
      bs_test_rng r = { 77 };
      if (bs_conv_simd (lv) != lv)
        continue;
      for (int t = 0; t < 24; t++)
        {
          /* taps per output: ≤ 32 (the direct path's pixels' kernel) in
           * every other case, else the tiles' */
          int64_t k = 1 + 2 * (int64_t) (bs_test_rng_next (&r) % 2);
          int64_t few = k == 1 ? 1 + (int64_t) (bs_test_rng_next (&r) % 32)
                               : 1 + (int64_t) (bs_test_rng_next (&r) % 3);
          int64_t c = t % 2 ? few : k == 1 ? 70 : 8 + (int64_t) (bs_test_rng_next (&r) % 8);
          int64_t m = 1 + (int64_t) (bs_test_rng_next (&r) % 40);
          int64_t s = 1 + (int64_t) (bs_test_rng_next (&r) % 2);
          int64_t hw = 3 + (int64_t) (bs_test_rng_next (&r) % 12);
          bs_conv_dims d = conv_dims (2, c, m, 1, hw, hw, k, s, k / 2, 1);
          int64_t ny = d.n * m * d.g.oh * d.g.ow;
          bs_tensor x = nn_random (1, D (d.n * c * hw * hw), 500 + (uint64_t) t);
          bs_tensor w = nn_random (1, D (m * c * k * k), 600 + (uint64_t) t);
          bs_tensor b = nn_random (1, D (m), 700 + (uint64_t) t);
          bs_tensor a = nn_random (1, D (ny), 800 + (uint64_t) t);
          char what[64];

          snprintf (what, sizeof what, "level %d case %d", lv, t);
          check_fused (&d, bs_tensor_f32 (&x), bs_tensor_f32 (&w), bs_tensor_f32 (&b),
                       t % 3 ? bs_tensor_f32 (&a) : NULL, t % 2 == 0, what);
          bs_tensor_clear (&x);
          bs_tensor_clear (&w);
          bs_tensor_clear (&b);
          bs_tensor_clear (&a);
        }
      for (int64_t c = 20; c <= 70; c += 50)
        {
          bs_conv_dims d = conv_dims (1, c, 20, 1, 4, 4, 1, 1, 0, 1);
          int64_t ny = 20 * 16;
          g_autofree float *x = g_new (float, c * 16);
          g_autofree float *w = g_new0 (float, 20 * c);
          g_autofree float *b = g_new (float, 20);
          g_autofree float *y = g_new (float, ny);
          g_autofree float *scratch = g_new (float, bs_conv2d_scratch (&d) + 1);
          for (int i = 0; i < c * 16; i++)
            x[i] = -1.0f - (float) (i % 5);
          for (int i = 0; i < 20; i++)
            b[i] = -0.0f;
          bs_conv2d_fused (&d, x, w, b, NULL, true, y, scratch);
          /* where the path's own sum gives -0, the Relu leaves it */
          bs_conv2d (&d, x, w, b, y, scratch);
          if (signbit (y[0]))
            {
              bs_conv2d_fused (&d, x, w, b, NULL, true, y, scratch);
              for (int64_t i = 0; i < ny; i++)
                g_assert_true (y[i] == 0 && signbit (y[i]));
            }
          else
            g_assert_cmpint (lv, ==, 0);   /* the direct path's fma chain keeps -0 */
          check_fused (&d, x, w, b, NULL, true, "-0 outputs");
        }
    }
  bs_conv_simd (level);
}

/* Gemm, MatMul ---------------------------------------------------------------- */

static void
test_gemm (void)
{
  /* A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]]: A·B = [[4,5],[10,11]];
   * alpha 2, beta 0.5, C = [1,-1] (a row): [[8.5,9.5],[20.5,21.5]] */
  bs_tensor x = nn_tensor (2, D (2, 3), F (1, 2, 3, 4, 5, 6));
  bs_tensor xt = nn_tensor (2, D (3, 2), F (1, 4, 2, 5, 3, 6));
  bs_tensor c[2];
  bs_attr ab[] = { nn_attr_float ("alpha", 2), nn_attr_float ("beta", 0.5f) };
  bs_attr all[] = { nn_attr_float ("alpha", 2), nn_attr_float ("beta", 0.5f),
                    nn_attr_int ("transA", 1), nn_attr_int ("transB", 1) };
  const float *want = F (8.5, 9.5, 20.5, 21.5);

  c[0] = nn_tensor (2, D (3, 2), F (1, 0, 0, 1, 1, 1));
  c[1] = nn_tensor (1, D (2), F (1, -1));
  check ("Gemm", 13, 3, NAMES ("x0", "c0", "c1"), &x, 2, c, 2, ab, 2, D (2, 2), want, "gemm");
  c[0] = nn_tensor (2, D (2, 3), F (1, 0, 1, 0, 1, 1));
  c[1] = nn_tensor (1, D (2), F (1, -1));
  check ("Gemm", 13, 3, NAMES ("x0", "c0", "c1"), &xt, 2, c, 4, all, 2, D (2, 2), want,
         "gemm transposed");
  /* C as a column [[1],[-1]]: [[8.5,10.5],[19.5,21.5]]; no C: 2·A·B */
  c[0] = nn_tensor (2, D (3, 2), F (1, 0, 0, 1, 1, 1));
  c[1] = nn_tensor (2, D (2, 1), F (1, -1));
  check ("Gemm", 13, 3, NAMES ("x0", "c0", "c1"), &x, 2, c, 2, ab, 2, D (2, 2),
         F (8.5, 10.5, 19.5, 21.5), "gemm column C");
  c[0] = nn_tensor (2, D (3, 2), F (1, 0, 0, 1, 1, 1));
  check ("Gemm", 13, 2, NAMES ("x0", "c0"), &x, 1, c, 2, ab, 2, D (2, 2), F (8, 10, 20, 22),
         "gemm no C");
  bs_tensor_clear (&x);
  bs_tensor_clear (&xt);
}

static void
test_matmul (void)
{
  /* batch of two 1×2 rows times one 2×2 matrix [[1,2],[3,4]]:
   * [1,1] → [4,6]; [0,2] → [6,8] */
  bs_tensor x = nn_tensor (3, D (2, 1, 2), F (1, 1, 0, 2));
  bs_tensor c[] = { nn_tensor (2, D (2, 2), F (1, 2, 3, 4)) };
  check ("MatMul", 13, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 3, D (2, 1, 2), F (4, 6, 6, 8),
         "matmul broadcast");
  bs_tensor_clear (&x);
  /* 1-D · 2-D: [1,2] · [[1,2],[3,4]] = [7,10] (the promoted dim is dropped) */
  x = nn_tensor (1, D (2), F (1, 2));
  c[0] = nn_tensor (2, D (2, 2), F (1, 2, 3, 4));
  check ("MatMul", 13, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 1, D (2), F (7, 10),
         "matmul vector");
  bs_tensor_clear (&x);
  /* 2-D · 1-D: [[1,2],[3,4]] · [1,1] = [3,7] */
  x = nn_tensor (2, D (2, 2), F (1, 2, 3, 4));
  c[0] = nn_tensor (1, D (2), F (1, 1));
  check ("MatMul", 13, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 1, D (2), F (3, 7),
         "matmul matrix-vector");
  bs_tensor_clear (&x);
}

/* Element-wise ------------------------------------------------------------------ */

static void
test_relu (void)
{
  bs_tensor x = nn_tensor (1, D (5), F (-2, -0.5f, 0, 0.25f, 3));
  check ("Relu", 14, 1, NAMES ("x0"), &x, 0, NULL, 0, NULL, 1, D (5), F (0, 0, 0, 0.25f, 3),
         "relu");
  x.data = memcpy (x.data, F (NAN, 1, 1, 1, 1), 20);
  check ("Relu", 14, 1, NAMES ("x0"), &x, 0, NULL, 0, NULL, 1, D (5), F (NAN, 1, 1, 1, 1),
         "relu NaN");
  bs_tensor_clear (&x);
}

static void
test_clip (void)
{
  bs_tensor x = nn_tensor (1, D (5), F (-3, -1, 0, 1, 3));
  bs_tensor c[2];
  bs_attr old[] = { nn_attr_float ("min", -1.5f), nn_attr_float ("max", 2) };

  /* opset 13: bounds as inputs [-1.5, 2] */
  c[0] = nn_tensor (0, NULL, F (-1.5f));
  c[1] = nn_tensor (0, NULL, F (2));
  check ("Clip", 13, 3, NAMES ("x0", "c0", "c1"), &x, 2, c, 0, NULL, 1, D (5),
         F (-1.5f, -1, 0, 1, 2), "clip inputs");
  /* only max (min omitted as "") */
  c[0] = nn_tensor (0, NULL, F (0.5f));
  check ("Clip", 13, 3, NAMES ("x0", "", "c0"), &x, 1, c, 0, NULL, 1, D (5),
         F (-3, -1, 0, 0.5f, 0.5f), "clip max only");
  /* opset 6: attributes */
  check ("Clip", 6, 1, NAMES ("x0"), &x, 0, NULL, 2, old, 1, D (5), F (-1.5f, -1, 0, 1, 2),
         "clip attributes");
  /* no bounds */
  check ("Clip", 13, 1, NAMES ("x0"), &x, 0, NULL, 0, NULL, 1, D (5), F (-3, -1, 0, 1, 3),
         "clip unbounded");
  bs_tensor_clear (&x);
}

static void
test_add (void)
{
  /* [2,3] + [3]: rows [1,2,3] and [4,5,6] plus [10,20,30] */
  bs_tensor x = nn_tensor (2, D (2, 3), F (1, 2, 3, 4, 5, 6));
  bs_tensor c[1];
  c[0] = nn_tensor (1, D (3), F (10, 20, 30));
  check ("Add", 14, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 2, D (2, 3),
         F (11, 22, 33, 14, 25, 36), "add row");
  bs_tensor_clear (&x);
  /* [2,1] + [1,3] → [2,3]: [1],[2] plus [10,20,30] */
  x = nn_tensor (2, D (2, 1), F (1, 2));
  c[0] = nn_tensor (2, D (1, 3), F (10, 20, 30));
  check ("Add", 14, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 2, D (2, 3),
         F (11, 21, 31, 12, 22, 32), "add outer");
  /* scalar + [2,1] */
  c[0] = nn_tensor (0, NULL, F (0.5f));
  check ("Add", 14, 2, NAMES ("c0", "x0"), &x, 1, c, 0, NULL, 2, D (2, 1), F (1.5f, 2.5f),
         "add scalar");
  /* per-channel bias [2,1,1] on [1,2,2,1] */
  bs_tensor_clear (&x);
  x = nn_tensor (4, D (1, 2, 2, 1), F (1, 2, 3, 4));
  c[0] = nn_tensor (3, D (2, 1, 1), F (100, 200));
  check ("Add", 14, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 4, D (1, 2, 2, 1),
         F (101, 102, 203, 204), "add channel");
  bs_tensor_clear (&x);
}

static void
test_batchnorm (void)
{
  /* channel 0: (x - 1) / sqrt(4) · 1 + 0 → [0, 0.5];
   * channel 1: (x - 3) / sqrt(0.25) · 2 + 1 → [1, 5] (epsilon 0) */
  bs_tensor x = nn_tensor (4, D (1, 2, 1, 2), F (1, 2, 3, 4));
  bs_tensor c[] = { nn_tensor (1, D (2), F (1, 2)), nn_tensor (1, D (2), F (0, 1)),
                    nn_tensor (1, D (2), F (1, 3)), nn_tensor (1, D (2), F (4, 0.25f)) };
  bs_attr a[] = { nn_attr_float ("epsilon", 0) };
  check ("BatchNormalization", 15, 5, NAMES ("x0", "c0", "c1", "c2", "c3"), &x, 4, c, 1, a, 4,
         D (1, 2, 1, 2), F (0, 0.5f, 1, 5), "batchnorm");
  bs_tensor_clear (&x);
}

/* Pools ----------------------------------------------------------------------- */

static void
test_maxpool (void)
{
  bs_tensor x = nn_tensor (4, D (1, 1, 4, 4), iota16);
  bs_attr a[] = { nn_attr_ints ("kernel_shape", 2, D (2, 2)), nn_attr_ints ("strides", 2, D (2, 2)) };
  /* 2×2 blocks of 0..15: maxima 5 7 13 15 */
  check ("MaxPool", 12, 1, NAMES ("x0"), &x, 0, NULL, 2, a, 4, D (1, 1, 2, 2), F (5, 7, 13, 15),
         "maxpool");
  /* pads 1 all round, k 2, s 2 → 3×3; window rows {-1,0},{1,2},{3,4}, same
   * for columns; padding never wins: 0 2 3 / 8 10 11 / 12 14 15 */
  bs_attr p[] = { nn_attr_ints ("kernel_shape", 2, D (2, 2)), nn_attr_ints ("strides", 2, D (2, 2)),
                  nn_attr_ints ("pads", 4, D (1, 1, 1, 1)) };
  check ("MaxPool", 12, 1, NAMES ("x0"), &x, 0, NULL, 3, p, 4, D (1, 1, 3, 3),
         F (0, 2, 3, 8, 10, 11, 12, 14, 15), "maxpool pads");
  /* negative inputs with padding: the max of [-5,-1] stays -1, not 0 */
  bs_tensor_clear (&x);
  x = nn_tensor (4, D (1, 1, 1, 2), F (-5, -1));
  bs_attr q[] = { nn_attr_ints ("kernel_shape", 2, D (1, 3)), nn_attr_ints ("pads", 4, D (0, 1, 0, 1)) };
  check ("MaxPool", 12, 1, NAMES ("x0"), &x, 0, NULL, 2, q, 4, D (1, 1, 1, 2), F (-1, -1),
         "maxpool negative");
  bs_tensor_clear (&x);
}

static void
test_avgpool (void)
{
  /* x = 1..9 (3×3), k 2, s 2, ceil_mode: 2×2 outputs; the second row and
   * column windows hang over the edge and average only the cells inside:
   * (1+2+4+5)/4 = 3, (3+6)/2 = 4.5, (7+8)/2 = 7.5, 9 */
  bs_tensor x = nn_tensor (4, D (1, 1, 3, 3), F (1, 2, 3, 4, 5, 6, 7, 8, 9));
  bs_attr a[] = { nn_attr_ints ("kernel_shape", 2, D (2, 2)), nn_attr_ints ("strides", 2, D (2, 2)),
                  nn_attr_int ("ceil_mode", 1) };
  check ("AveragePool", 11, 1, NAMES ("x0"), &x, 0, NULL, 3, a, 4, D (1, 1, 2, 2),
         F (3, 4.5f, 7.5f, 9), "avgpool ceil");
  /* without ceil_mode: one window, 3 */
  check ("AveragePool", 11, 1, NAMES ("x0"), &x, 0, NULL, 2, a, 4, D (1, 1, 1, 1), F (3),
         "avgpool floor");
  bs_tensor_clear (&x);

  /* x = [1,2,3,4] (2×2), k 3, s 1, pads 1: every window covers all four
   * cells (sum 10) and five padding cells: 10/4 = 2.5, or 10/9 with
   * count_include_pad */
  x = nn_tensor (4, D (1, 1, 2, 2), F (1, 2, 3, 4));
  bs_attr p[] = { nn_attr_ints ("kernel_shape", 2, D (3, 3)), nn_attr_ints ("pads", 4, D (1, 1, 1, 1)),
                  nn_attr_int ("count_include_pad", 1) };
  check ("AveragePool", 11, 1, NAMES ("x0"), &x, 0, NULL, 2, p, 4, D (1, 1, 2, 2),
         F (2.5f, 2.5f, 2.5f, 2.5f), "avgpool exclude pad");
  check ("AveragePool", 11, 1, NAMES ("x0"), &x, 0, NULL, 3, p, 4, D (1, 1, 2, 2),
         F (10 / 9.0f, 10 / 9.0f, 10 / 9.0f, 10 / 9.0f), "avgpool include pad");
  bs_tensor_clear (&x);
}

static void
test_global_avgpool (void)
{
  /* means of [1,2,3,4] and [5,6,7,8]: 2.5, 6.5 */
  bs_tensor x = nn_tensor (4, D (1, 2, 2, 2), F (1, 2, 3, 4, 5, 6, 7, 8));
  check ("GlobalAveragePool", 11, 1, NAMES ("x0"), &x, 0, NULL, 0, NULL, 4, D (1, 2, 1, 1),
         F (2.5f, 6.5f), "gap");
  bs_tensor_clear (&x);

  /* 21 planes of 7 x 7 (the ResNet's), each mean the cells summed in
   * order in double, divided, rounded to float.  The order shows: each
   * plane has +2^60 and -2^60 side by side at a random place, which wipe
   * out the sum before them (another order keeps another part) */
  bs_test_rng r = { 77 };
  enum { NC = 21, HW = 49 };
  float *v = g_new (float, NC * HW), y[NC];
  for (int i = 0; i < NC * HW; i++)
    v[i] = (float) ldexp (bs_test_rng_uniform (&r) - 0.5, (int) (bs_test_rng_next (&r) % 9));
  for (int p = 0; p < NC; p++)
    {
      int a = 1 + (int) (bs_test_rng_next (&r) % (HW - 3));
      v[p * HW + a] = 0x1p60f;
      v[p * HW + a + 1] = -0x1p60f;
    }
  bs_global_avgpool (NC, HW, v, y);
  for (int p = 0; p < NC; p++)
    {
      double sum = 0;
      for (int i = 0; i < HW; i++)
        sum += v[p * HW + i];
      bs_assert_same (y[p], (float) (sum / HW), "plane %d", p);
    }
  g_free (v);
}

/* Shapes -------------------------------------------------------------------------- */

static void
test_flatten (void)
{
  bs_tensor x = nn_tensor (4, D (2, 3, 2, 2), NULL);
  for (int i = 0; i < 24; i++)
    bs_tensor_f32 (&x)[i] = (float) i;
  float want[24];
  for (int i = 0; i < 24; i++)
    want[i] = (float) i;
  bs_attr a0[] = { nn_attr_int ("axis", 0) }, a2[] = { nn_attr_int ("axis", 2) };
  bs_attr am[] = { nn_attr_int ("axis", -1) };
  check ("Flatten", 13, 1, NAMES ("x0"), &x, 0, NULL, 0, NULL, 2, D (2, 12), want, "flatten");
  check ("Flatten", 13, 1, NAMES ("x0"), &x, 0, NULL, 1, a0, 2, D (1, 24), want, "flatten 0");
  check ("Flatten", 13, 1, NAMES ("x0"), &x, 0, NULL, 1, a2, 2, D (6, 4), want, "flatten 2");
  check ("Flatten", 13, 1, NAMES ("x0"), &x, 0, NULL, 1, am, 2, D (12, 2), want, "flatten -1");
  bs_tensor_clear (&x);
}

static void
test_reshape (void)
{
  bs_tensor x = nn_tensor (3, D (2, 3, 4), NULL), y, c[1];
  char err[300];
  float want[24];
  for (int i = 0; i < 24; i++)
    want[i] = bs_tensor_f32 (&x)[i] = (float) i;

  /* 0 copies the input's dim, -1 takes the rest: [0,-1] → [2,12] */
  c[0] = nn_tensor_i64 (2, D (0, -1));
  check ("Reshape", 14, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 2, D (2, 12), want, "0,-1");
  c[0] = nn_tensor_i64 (3, D (-1, 2, 2));
  check ("Reshape", 14, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 3, D (6, 2, 2), want, "-1,2,2");
  /* errors: two -1, a size that does not divide */
  c[0] = nn_tensor_i64 (2, D (-1, -1));
  g_assert_cmpint (nn_try_one ("Reshape", 14, 2, NAMES ("x0", "c0"), 1, &x, 1, c, 0, NULL, &y,
                               err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "more than one -1"));
  c[0] = nn_tensor_i64 (2, D (5, -1));
  g_assert_cmpint (nn_try_one ("Reshape", 14, 2, NAMES ("x0", "c0"), 1, &x, 1, c, 0, NULL, &y,
                               err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "'node' (Reshape)"));
  bs_tensor_clear (&x);
}

static void
test_concat (void)
{
  /* [2,1] ++ [2,2] on axis 1: rows [1 | 3 4], [2 | 5 6] */
  bs_tensor x = nn_tensor (2, D (2, 1), F (1, 2));
  bs_tensor c[] = { nn_tensor (2, D (2, 2), F (3, 4, 5, 6)) };
  bs_attr a[] = { nn_attr_int ("axis", 1) }, m[] = { nn_attr_int ("axis", -1) };
  check ("Concat", 13, 2, NAMES ("x0", "c0"), &x, 1, c, 1, a, 2, D (2, 3), F (1, 3, 4, 2, 5, 6),
         "concat 1");
  c[0] = nn_tensor (2, D (2, 2), F (3, 4, 5, 6));
  check ("Concat", 13, 2, NAMES ("c0", "x0"), &x, 1, c, 1, m, 2, D (2, 3), F (3, 4, 1, 5, 6, 2),
         "concat -1");
  /* axis 0: [2,1] ++ [2,1] */
  bs_attr z[] = { nn_attr_int ("axis", 0) };
  check ("Concat", 13, 2, NAMES ("x0", "x0"), &x, 0, NULL, 1, z, 2, D (4, 1), F (1, 2, 1, 2),
         "concat 0");
  bs_tensor_clear (&x);
}

static void
test_softmax (void)
{
  /* x = [[1,2],[3,4]] as [1,2,2].  Opset 11, axis 1: one softmax over all
   * four: e^k / Σ = 0.0320586, 0.0871443, 0.2368828, 0.6439142.
   * Opset 13, axis 1: over the middle dim, per column: softmax(1,3) =
   * 0.1192029, 0.8807971, softmax(2,4) the same. */
  bs_tensor x = nn_tensor (3, D (1, 2, 2), F (1, 2, 3, 4));
  bs_attr a[] = { nn_attr_int ("axis", 1) };
  check ("Softmax", 11, 1, NAMES ("x0"), &x, 0, NULL, 1, a, 3, D (1, 2, 2),
         F (0.0320586f, 0.0871443f, 0.2368828f, 0.6439142f), "softmax opset 11");
  check ("Softmax", 13, 1, NAMES ("x0"), &x, 0, NULL, 1, a, 3, D (1, 2, 2),
         F (0.1192029f, 0.1192029f, 0.8807971f, 0.8807971f), "softmax opset 13");
  /* default axis: opset 13 → last: softmax(1,2) = 0.2689414, 0.7310586 */
  check ("Softmax", 13, 1, NAMES ("x0"), &x, 0, NULL, 0, NULL, 3, D (1, 2, 2),
         F (0.2689414f, 0.7310586f, 0.2689414f, 0.7310586f), "softmax default 13");
  /* large inputs do not overflow: softmax(1000, 1001) = 0.2689414, 0.7310586 */
  bs_tensor_clear (&x);
  x = nn_tensor (2, D (1, 2), F (1000, 1001));
  check ("Softmax", 13, 1, NAMES ("x0"), &x, 0, NULL, 0, NULL, 2, D (1, 2),
         F (0.2689414f, 0.7310586f), "softmax large");
  bs_tensor_clear (&x);
}

static void
test_identity_dropout (void)
{
  bs_tensor x = nn_tensor (2, D (1, 3), F (1, -2, 3));
  bs_attr r[] = { nn_attr_float ("ratio", 0.5f) };
  bs_tensor c[] = { nn_tensor (0, NULL, F (0.9f)) };
  check ("Identity", 13, 1, NAMES ("x0"), &x, 0, NULL, 0, NULL, 2, D (1, 3), F (1, -2, 3), "id");
  check ("Dropout", 10, 1, NAMES ("x0"), &x, 0, NULL, 1, r, 2, D (1, 3), F (1, -2, 3),
         "dropout 10");
  check ("Dropout", 13, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 2, D (1, 3), F (1, -2, 3),
         "dropout 13");
  bs_tensor_clear (&x);
}

/* An op outside the list: the error names the op and the node. */
static void
test_mul_sub_div (void)
{
  /* [2,3] ∘ [3]: rows [1,2,3], [4,5,6] with [2,4,8] */
  bs_tensor x = nn_tensor (2, D (2, 3), F (1, 2, 3, 4, 5, 6)), c[1];
  c[0] = nn_tensor (1, D (3), F (2, 4, 8));
  check ("Mul", 14, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 2, D (2, 3),
         F (2, 8, 24, 8, 20, 48), "mul row");
  c[0] = nn_tensor (1, D (3), F (2, 4, 8));
  check ("Sub", 14, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 2, D (2, 3),
         F (-1, -2, -5, 2, 1, -2), "sub row");
  c[0] = nn_tensor (1, D (3), F (2, 4, 8));
  check ("Div", 14, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 2, D (2, 3),
         F (0.5f, 0.5f, 0.375f, 2, 1.25f, 0.75f), "div row");
  /* the constant first: 0.5 - x, 6 / x */
  c[0] = nn_tensor (0, NULL, F (0.5f));
  check ("Sub", 13, 2, NAMES ("c0", "x0"), &x, 1, c, 0, NULL, 2, D (2, 3),
         F (-0.5f, -1.5f, -2.5f, -3.5f, -4.5f, -5.5f), "scalar - x");
  c[0] = nn_tensor (0, NULL, F (6));
  check ("Div", 13, 2, NAMES ("c0", "x0"), &x, 1, c, 0, NULL, 2, D (2, 3),
         F (6, 3, 2, 1.5f, 1.2f, 1), "scalar / x");
  bs_tensor_clear (&x);
  /* PyTorch's (x * 2 - 0.5) / 3 as three nodes' worth: [2,1] ∘ [1,3] → [2,3] */
  x = nn_tensor (2, D (2, 1), F (3, -1));
  c[0] = nn_tensor (2, D (1, 3), F (1, 2, 3));
  check ("Mul", 7, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 2, D (2, 3), F (3, 6, 9, -1, -2, -3),
         "mul outer");
  c[0] = nn_tensor (2, D (1, 3), F (1, 2, 3));
  check ("Div", 7, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 2, D (2, 3),
         F (3, 1.5f, 1, -1, -0.5f, -1.0f / 3.0f), "div outer");
  bs_tensor_clear (&x);
}

static void
test_pad (void)
{
  /* x = [[1,2],[3,4]] as [1,1,2,2] padded by one on every spatial side */
  bs_tensor x = nn_tensor (4, D (1, 1, 2, 2), F (1, 2, 3, 4)), c[2], y;
  int64_t pads[] = { 0, 0, 1, 1, 0, 0, 1, 1 };
  bs_attr a9[] = { nn_attr_str ("mode", "constant"), nn_attr_ints ("pads", 8, pads),
                   nn_attr_float ("value", 0) };
  bs_attr refl[] = { nn_attr_str ("mode", "reflect") };
  char err[300];

  check ("Pad", 9, 1, NAMES ("x0"), &x, 0, NULL, 3, a9, 4, D (1, 1, 4, 4),
         F (0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0), "pad attribute");
  /* opset 11: pads as an input, a constant value of 9; before only on
   * rows (one above), after only on columns (two right) */
  c[0] = nn_tensor_i64 (8, D (0, 0, 1, 0, 0, 0, 0, 2));
  c[1] = nn_tensor (0, NULL, F (9));
  check ("Pad", 13, 3, NAMES ("x0", "c0", "c1"), &x, 2, c, 0, NULL, 4, D (1, 1, 3, 4),
         F (9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9), "pad input value 9");
  /* negative pads crop: drop the first column, add one column of 0 at the end */
  c[0] = nn_tensor_i64 (8, D (0, 0, 0, -1, 0, 0, 0, 1));
  check ("Pad", 11, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 4, D (1, 1, 2, 2), F (2, 0, 4, 0),
         "pad crop");
  /* modes other than constant are refused */
  c[0] = nn_tensor_i64 (8, D (0, 0, 1, 1, 0, 0, 1, 1));
  g_assert_cmpint (nn_try_one ("Pad", 13, 2, NAMES ("x0", "c0"), 1, &x, 1, c, 1, refl, &y, err,
                               sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "mode 'reflect' is not supported"));
  /* pads of the wrong length */
  c[0] = nn_tensor_i64 (4, D (1, 1, 1, 1));
  g_assert_cmpint (nn_try_one ("Pad", 13, 2, NAMES ("x0", "c0"), 1, &x, 1, c, 0, NULL, &y, err,
                               sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "4 pads for rank 4 (need 8)"));
  bs_tensor_clear (&x);
}

static void
test_gather (void)
{
  /* x = [[1,2],[3,4],[5,6]] */
  bs_tensor x = nn_tensor (2, D (3, 2), F (1, 2, 3, 4, 5, 6)), c[1], y;
  bs_attr ax1[] = { nn_attr_int ("axis", 1) };
  char err[300];

  /* rows 2 and 0 */
  c[0] = nn_tensor_i64 (2, D (2, 0));
  check ("Gather", 13, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 2, D (2, 2), F (5, 6, 1, 2),
         "gather rows");
  /* a scalar index -1 on axis 1: the last column, rank drops to 1 */
  c[0] = (bs_tensor) { 0 };
  g_assert_cmpint (bs_tensor_init (&c[0], BS_DT_INT64, &(bs_shape) { 0 }, err, sizeof err), ==, 0);
  bs_tensor_i64 (&c[0])[0] = -1;
  check ("Gather", 13, 2, NAMES ("x0", "c0"), &x, 1, c, 1, ax1, 1, D (3), F (2, 4, 6),
         "gather scalar column");
  /* out of range */
  c[0] = nn_tensor_i64 (1, D (3));
  g_assert_cmpint (nn_try_one ("Gather", 13, 2, NAMES ("x0", "c0"), 1, &x, 1, c, 0, NULL, &y,
                               err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "index 3 is outside [-3, 3)"));
  bs_tensor_clear (&x);
}

static void
test_unsqueeze_squeeze (void)
{
  bs_tensor x = nn_tensor (2, D (2, 3), F (1, 2, 3, 4, 5, 6)), c[1], y;
  int64_t ax03[] = { 0, 3 }, ax2[] = { 2 };
  bs_attr u11[] = { nn_attr_ints ("axes", 2, ax03) }, s11[] = { nn_attr_ints ("axes", 1, ax2) };
  const float *v = F (1, 2, 3, 4, 5, 6);
  char err[300];

  /* opset 11: axes attribute [0, 3] → [1,2,3,1] (axes index the output) */
  check ("Unsqueeze", 11, 1, NAMES ("x0"), &x, 0, NULL, 1, u11, 4, D (1, 2, 3, 1), v,
         "unsqueeze attr");
  /* opset 13: axes input [-1] → [2,3,1] */
  c[0] = nn_tensor_i64 (1, D (-1));
  check ("Unsqueeze", 13, 2, NAMES ("x0", "c0"), &x, 1, c, 0, NULL, 3, D (2, 3, 1), v,
         "unsqueeze input");
  bs_tensor_clear (&x);
  /* Squeeze [1,2,1,3]: all size-1 dims without axes, only dim 2 with axes [2] */
  x = nn_tensor (4, D (1, 2, 1, 3), v);
  check ("Squeeze", 13, 1, NAMES ("x0"), &x, 0, NULL, 0, NULL, 2, D (2, 3), v, "squeeze all");
  check ("Squeeze", 11, 1, NAMES ("x0"), &x, 0, NULL, 1, s11, 3, D (1, 2, 3), v, "squeeze attr");
  /* a dim that is not 1 */
  c[0] = nn_tensor_i64 (1, D (1));
  g_assert_cmpint (nn_try_one ("Squeeze", 13, 2, NAMES ("x0", "c0"), 1, &x, 1, c, 0, NULL, &y,
                               err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "dim 1 is 2, not 1"));
  bs_tensor_clear (&x);
}

static void
test_cast (void)
{
  /* float → int64 truncates toward zero */
  bs_tensor x = nn_tensor (1, D (4), F (1.7f, -1.7f, 3, -0.2f)), y;
  bs_attr to64[] = { nn_attr_int ("to", 7) }, to16[] = { nn_attr_int ("to", 10) };
  char err[300];

  nn_run_one ("Cast", 13, 1, NAMES ("x0"), 1, &x, 0, NULL, 1, to64, &y);
  g_assert_cmpint (y.dtype, ==, BS_DT_INT64);
  g_assert_cmpint (bs_tensor_numel (&y), ==, 4);
  g_assert_cmpint (bs_tensor_i64 (&y)[0], ==, 1);
  g_assert_cmpint (bs_tensor_i64 (&y)[1], ==, -1);
  g_assert_cmpint (bs_tensor_i64 (&y)[2], ==, 3);
  g_assert_cmpint (bs_tensor_i64 (&y)[3], ==, 0);
  bs_tensor_clear (&y);
  /* float16 is not an engine type */
  g_assert_cmpint (nn_try_one ("Cast", 13, 1, NAMES ("x0"), 1, &x, 0, NULL, 1, to16, &y, err,
                               sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "cast to element type 10 is not supported"));
  bs_tensor_clear (&x);
}

static void
test_unknown_op (void)
{
  bs_tensor x = nn_tensor (1, D (2), F (1, 2)), y;
  char err[300];
  g_assert_cmpint (nn_try_one ("Sigmoid", 13, 1, NAMES ("x0"), 1, &x, 0, NULL, 0, NULL, &y, err,
                               sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "unsupported op 'Sigmoid'"));
  g_assert_nonnull (strstr (err, "'node'"));
  /* and an unknown attribute is refused, not ignored */
  bs_attr a[] = { nn_attr_float ("alpha", 0.1f) };
  g_assert_cmpint (nn_try_one ("Relu", 13, 1, NAMES ("x0"), 1, &x, 0, NULL, 1, a, &y, err,
                               sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "attribute 'alpha'"));
  /* a required input left out ("") */
  bs_tensor c[] = { nn_tensor (1, D (2), F (1, 1)), nn_tensor (1, D (2), F (0, 0)),
                    nn_tensor (1, D (2), F (1, 1)) };
  g_assert_cmpint (nn_try_one ("BatchNormalization", 15, 5, NAMES ("x0", "c0", "", "c1", "c2"), 1,
                               &x, 3, c, 0, NULL, &y, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "input 2 is required"));
  bs_tensor_clear (&x);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/nn/ops/conv/basic", test_conv_basic);
  g_test_add_func ("/engine/nn/ops/conv/pads-strides", test_conv_pads_strides);
  g_test_add_func ("/engine/nn/ops/conv/dilation", test_conv_dilation);
  g_test_add_func ("/engine/nn/ops/conv/groups", test_conv_groups);
  g_test_add_func ("/engine/nn/ops/conv/auto-pad", test_conv_auto_pad);
  g_test_add_func ("/engine/nn/ops/conv/random-vs-loops", test_conv_random);
  g_test_add_func ("/engine/nn/ops/conv/batch-same-bits", test_conv_batch_bits);
  g_test_add_func ("/engine/nn/ops/conv/direct-fma-bits", test_conv_direct_bits);
  g_test_add_func ("/engine/nn/ops/conv/fused-epilogue", test_conv_fused);
  g_test_add_func ("/engine/nn/ops/gemm", test_gemm);
  g_test_add_func ("/engine/nn/ops/matmul", test_matmul);
  g_test_add_func ("/engine/nn/ops/relu", test_relu);
  g_test_add_func ("/engine/nn/ops/clip", test_clip);
  g_test_add_func ("/engine/nn/ops/add", test_add);
  g_test_add_func ("/engine/nn/ops/batchnorm", test_batchnorm);
  g_test_add_func ("/engine/nn/ops/maxpool", test_maxpool);
  g_test_add_func ("/engine/nn/ops/averagepool", test_avgpool);
  g_test_add_func ("/engine/nn/ops/globalaveragepool", test_global_avgpool);
  g_test_add_func ("/engine/nn/ops/flatten", test_flatten);
  g_test_add_func ("/engine/nn/ops/mul-sub-div", test_mul_sub_div);
  g_test_add_func ("/engine/nn/ops/pad", test_pad);
  g_test_add_func ("/engine/nn/ops/gather", test_gather);
  g_test_add_func ("/engine/nn/ops/unsqueeze-squeeze", test_unsqueeze_squeeze);
  g_test_add_func ("/engine/nn/ops/cast", test_cast);
  g_test_add_func ("/engine/nn/ops/reshape", test_reshape);
  g_test_add_func ("/engine/nn/ops/concat", test_concat);
  g_test_add_func ("/engine/nn/ops/softmax", test_softmax);
  g_test_add_func ("/engine/nn/ops/identity-dropout", test_identity_dropout);
  g_test_add_func ("/engine/nn/ops/unknown-op", test_unknown_op);
  return g_test_run ();
}
