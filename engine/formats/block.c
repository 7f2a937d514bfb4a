/* block.c — block formats: a tensor is cut into runs of `block` consecutive
 * elements (the last run may be shorter) and every run shares one scale.
 *
 *   nf4                      QLoRA NormalFloat4: 16 fixed values times a
 *                            per-block fp32 absmax (bitsandbytes)
 *   mxfp8_e4m3 mxfp8_e5m2    OCP Microscaling v1.0: FP8/FP6/FP4 or INT8
 *   mxfp6_e3m2 mxfp6_e2m3    elements sharing a power-of-two E8M0 scale
 *   mxfp4 mxint8
 *   nvfp4                    NVIDIA: E2M1 elements, an E4M3 scale per 16,
 *                            and one fp32 scale for the whole tensor
 *
 * Every family has a reference on doubles (quantize_tensor_ref: the
 * definition, each rounding stated where it happens) and a float32 fast path
 * (quantize_tensor).  With a global scale ≠ 1 the fast path forms x / scale
 * in double and runs the reference block routine, so it equals (float) ref by
 * construction.  At unit scale each family has a float kernel whose equality
 * with the reference is argued above it and tested on every midpoint and on
 * 10^6 random values.
 *
 * A last block shorter than `block` takes its scale from its own elements,
 * which is what zero padding (microxcaling, ModelOpt) gives.
 *
 * Sources checked (facts only):
 *   bitsandbytes csrc/kernels.cu (kQuantizeBlockwise, dQuantizeNF4);
 *   microsoft/microxcaling mx/mx_ops.py (_shared_exponents, _quantize_mx),
 *     mx/formats.py (emax per element format), mx/elemwise_ops.py;
 *   NVIDIA Model-Optimizer modelopt/torch/quantization/qtensor/nvfp4_tensor.py
 *     (get_weights_scaling_factor[_2], quantize, _cast_fp4);
 *   OCP MX v1.0 §6.3 as quoted by secondary sources (the PDF itself was not
 *     available to the search tool).
 */
#include "bs-format-private.h"

#include <float.h>
#include <stdlib.h>

/* Float helpers ------------------------------------------------------------ */

/* Round a double to the nearest float (IEEE, ties to even), overflow to ±inf
 * spelled out so no out-of-range conversion happens. */
static inline float
to_f32 (double d)
{
  if (fabs (d) > FLT_MAX)
    {
      float big = fabs (d) >= 0x1.ffffffp127 ? INFINITY : FLT_MAX;
      return d > 0 ? big : -big;
    }
  return (float) d;
}

/* The neighbours of a float toward -inf and +inf (f not NaN), branch-free:
 * they run per threshold per block. */
static inline float
f32_pred (float f)
{
  uint32_t u = f2u (f);
  uint32_t r = u >> 31 ? u + 1 : u - 1;
  return u2f ((u & 0x7fffffffu) == 0 ? 0x80000001u : r);
}

static inline float
f32_succ (float f)
{
  uint32_t u = f2u (f);
  uint32_t r = u >> 31 ? u - 1 : u + 1;
  return u2f ((u & 0x7fffffffu) == 0 ? 0x00000001u : r);
}

/* The largest float ≤ t and the smallest float ≥ t (t not NaN). */
static inline float
f32_down (double t)
{
  float f = to_f32 (t), p = f32_pred (f);
  return (double) f > t ? p : f;
}

static inline float
f32_up (double t)
{
  float f = to_f32 (t), n = f32_succ (f);
  return (double) f < t ? n : f;
}

/* A float F with (y > F) ⇔ (y > t) for every float y when !tie_up, and
 * (y > F) ⇔ (y ≥ t) when tie_up.  If t is a float, y > t is y > t and y ≥ t is
 * y > pred(t); otherwise no float lies strictly between down(t) and up(t).
 * This turns an exact double threshold into a float compare. */
static inline float
f32_threshold (double t, bool tie_up)
{
  return tie_up ? f32_pred (f32_up (t)) : f32_down (t);
}

/* Nearest of a sorted table, ties to the even index -------------------------
 * The one rounding rule of nf4 and of nvfp4's elements.  mid[k] lies between
 * table entries k and k+1; y is past it when y > mid[k]·d, or when equal and k
 * is odd (then k+1 is the even index).  Callers guarantee mid[k]·d is exact in
 * double, so the comparisons are exact. */
static inline int
nearest_index (const double *mid, int nmid, double y, double d)
{
  int c = 0;

  for (int k = 0; k < nmid; k++)
    {
      double t = mid[k] * d;
      c += y > t || (y == t && (k & 1));
    }
  return c;
}

/* Block drivers ------------------------------------------------------------ */

typedef struct {
  const bs_format *f;
  double tensor_scale;   /* nvfp4 only */
} block_ctx;

/* One block at unit scale: q[i] from y[i], m ≥ 1 elements, doubles. */
typedef void (*block_fn) (const block_ctx *c, const double *y, double *q, size_t m);

static size_t
block_len (const bs_format *f, const bs_qopts *o)
{
  return o->block > 0 ? (size_t) o->block : (size_t) f->block;
}

/* out = q(in / scale) · scale block by block, in double.  in may equal out. */
static int
run_ref (const block_ctx *c, block_fn fn, const double *in, double *out, size_t n,
         size_t bs, double scale, char *err, size_t errlen)
{
  size_t len = bs < n ? bs : n;
  double *y, *q;

  if (n == 0)
    return 0;
  y = malloc (2 * len * sizeof *y);
  if (!y)
    return _bs_fail (err, errlen, "out of memory (%zu-element block)", len);
  q = y + len;
  for (size_t base = 0; base < n; base += bs)
    {
      size_t m = n - base < bs ? n - base : bs;
      for (size_t i = 0; i < m; i++)
        y[i] = in[base + i] / scale;
      fn (c, y, q, m);
      for (size_t i = 0; i < m; i++)
        out[base + i] = q[i] * scale;
    }
  free (y);
  return 0;
}

/* The same on float32: the reference computation on (double) in, rounded to
 * float at the end — (float) ref by construction. */
static int
run_f32 (const block_ctx *c, block_fn fn, const float *in, float *out, size_t n,
         size_t bs, double scale, char *err, size_t errlen)
{
  size_t len = bs < n ? bs : n;
  double *y, *q;

  if (n == 0)
    return 0;
  y = malloc (2 * len * sizeof *y);
  if (!y)
    return _bs_fail (err, errlen, "out of memory (%zu-element block)", len);
  q = y + len;
  for (size_t base = 0; base < n; base += bs)
    {
      size_t m = n - base < bs ? n - base : bs;
      for (size_t i = 0; i < m; i++)
        y[i] = (double) in[base + i] / scale;
      fn (c, y, q, m);
      for (size_t i = 0; i < m; i++)
        out[base + i] = to_f32 (q[i] * scale);
    }
  free (y);
  return 0;
}

static void
fill_nan_d (double *q, size_t m)
{
  for (size_t i = 0; i < m; i++)
    q[i] = NAN;
}

static void
fill_nan_f (float *q, size_t m)
{
  for (size_t i = 0; i < m; i++)
    q[i] = NAN;
}

/* max |y| over the non-NaN elements; *has_inf when one is infinite. */
static double
absmax_d (const double *y, size_t m, bool *has_inf)
{
  double a = 0.0;

  for (size_t i = 0; i < m; i++)
    {
      double t = fabs (y[i]);
      if (t > a)            /* NaN compares false and is skipped */
        a = t;
    }
  *has_inf = isinf (a);
  return a;
}

/* The bits of max |x| over the non-NaN elements (0x7f800000 when one is
 * infinite).  Integer compares on the magnitude bits order floats. */
static uint32_t
absmax_bits_f (const float *x, size_t m)
{
  int32_t a = 0;   /* magnitudes fit int32: signed compares vectorize on SSE2 */

  for (size_t i = 0; i < m; i++)
    {
      int32_t b = (int32_t) (f2u (x[i]) & 0x7fffffffu);
      b = b > 0x7f800000 ? 0 : b;
      a = b > a ? b : a;
    }
  return (uint32_t) a;
}

/* NF4 ---------------------------------------------------------------------- */

/* The 16 NF4 values (QLoRA appendix E; bitsandbytes).  Each literal is a
 * float32 value exactly (REFERENCES.md). */
#define NF4_0  (-1.0)
#define NF4_1  (-0.6961928009986877)
#define NF4_2  (-0.5250730514526367)
#define NF4_3  (-0.39491748809814453)
#define NF4_4  (-0.28444138169288635)
#define NF4_5  (-0.18477343022823334)
#define NF4_6  (-0.09105003625154495)
#define NF4_7  0.0
#define NF4_8  0.07958029955625534
#define NF4_9  0.16093020141124725
#define NF4_10 0.24611230194568634
#define NF4_11 0.33791524171829224
#define NF4_12 0.44070982933044434
#define NF4_13 0.5626170039176941
#define NF4_14 0.7229568362236023
#define NF4_15 1.0

static const double nf4_val[16] = {
  NF4_0, NF4_1, NF4_2, NF4_3, NF4_4, NF4_5, NF4_6, NF4_7,
  NF4_8, NF4_9, NF4_10, NF4_11, NF4_12, NF4_13, NF4_14, NF4_15,
};

/* Exact midpoints (two floats: ≤ 26 significant bits).  bitsandbytes'
 * dQuantizeNF4 thresholds are these numbers printed in decimal. */
static const double nf4_mid[15] = {
  (NF4_0 + NF4_1) / 2, (NF4_1 + NF4_2) / 2, (NF4_2 + NF4_3) / 2,
  (NF4_3 + NF4_4) / 2, (NF4_4 + NF4_5) / 2, (NF4_5 + NF4_6) / 2,
  (NF4_6 + NF4_7) / 2, (NF4_7 + NF4_8) / 2, (NF4_8 + NF4_9) / 2,
  (NF4_9 + NF4_10) / 2, (NF4_10 + NF4_11) / 2, (NF4_11 + NF4_12) / 2,
  (NF4_12 + NF4_13) / 2, (NF4_13 + NF4_14) / 2, (NF4_14 + NF4_15) / 2,
};

/* The block's absmax as stored: fp32, rounded to nearest, saturating at
 * FLT_MAX (a ≥ 0, finite). */
static double
nf4_stored_absmax (double a)
{
  return a > FLT_MAX ? FLT_MAX : (double) (float) a;
}

/* Reference NF4 block.  a = fp32(max |y|) over the non-NaN elements; each y
 * becomes NF4[c]·a with c the code whose value is nearest to y / a exactly,
 * ties to the even code.  mid·a is exact (26 + 24 bits), so the compare
 * is exact.  Zero from code 7 is +0 (NF4 has one zero).
 * Specials: NaN elements stay NaN; a = 0 (or fp32(a) = 0) gives zeros; a
 * block holding ±inf has no finite absmax and becomes all NaN.
 * Differences from bitsandbytes, which multiplies by the fp32 reciprocal of
 * the absmax and compares with the midpoints rounded to fp32 using '>':
 * here the quotient and the midpoints are exact and ties go to the even code
 * (DESIGN.md); the two agree except within an fp32 ulp of a midpoint. */
static void
nf4_block_d (const block_ctx *c, const double *y, double *q, size_t m)
{
  bool has_inf;
  double a = absmax_d (y, m, &has_inf);

  (void) c;
  if (has_inf)
    {
      fill_nan_d (q, m);
      return;
    }
  a = nf4_stored_absmax (a);
  for (size_t i = 0; i < m; i++)
    {
      if (isnan (y[i]))
        q[i] = y[i];
      else if (a == 0.0)
        q[i] = 0.0;
      else
        q[i] = nf4_val[nearest_index (nf4_mid, 15, y[i], a)] * a;
    }
}

/* Fast NF4 block at unit scale.  a is a float; the 15 thresholds mid·a are
 * exact doubles turned into float compares by f32_threshold (ties up at odd
 * k), so the number of thresholds y passes is the reference's code: counted
 * with vector compares, then looked up in tab[k] = (float)(NF4[k]·a), the
 * reference output rounded.  Equal to (float) nf4_block_d. */
#define LUT_CHUNK 256
static void
nf4_block_f32 (const float *in, float *out, size_t m)
{
  uint32_t ab = absmax_bits_f (in, m);
  float a, thr[15], tab[16];

  if (ab == 0x7f800000u)
    {
      fill_nan_f (out, m);
      return;
    }
  memcpy (&a, &ab, sizeof a);
  if (a == 0.0f)
    {
      for (size_t i = 0; i < m; i++)
        out[i] = isnan (in[i]) ? in[i] : 0.0f;
      return;
    }
#pragma GCC unroll 16
  for (int k = 0; k < 15; k++)
    thr[k] = f32_threshold (nf4_mid[k] * (double) a, k & 1);
#pragma GCC unroll 16
  for (int k = 0; k < 16; k++)
    tab[k] = (float) (nf4_val[k] * (double) a);

  for (size_t base = 0; base < m; base += LUT_CHUNK)
    {
      size_t len = m - base < LUT_CHUNK ? m - base : LUT_CHUNK;
      const float *x = in + base;
      float *o = out + base;
      int32_t code[LUT_CHUNK];

      for (size_t i = 0; i < len; i++)
        {
          int32_t c = 0;
#pragma GCC unroll 16
          for (int k = 0; k < 15; k++)
            c += x[i] > thr[k];
          code[i] = c;
        }
      for (size_t i = 0; i < len; i++)
        o[i] = x[i] != x[i] ? x[i] : tab[code[i]];
    }
}

static int
nf4_quantize_ref (const bs_format *f, const double *in, double *out, size_t n,
                  const bs_qopts *o, char *err, size_t errlen)
{
  block_ctx c = { f, 0.0 };
  return run_ref (&c, nf4_block_d, in, out, n, block_len (f, o), o->scale, err, errlen);
}

static int
nf4_quantize (const bs_format *f, const float *in, float *out, size_t n,
              const bs_qopts *o, char *err, size_t errlen)
{
  size_t bs = block_len (f, o);

  if (o->scale != 1.0)
    {
      block_ctx c = { f, 0.0 };
      return run_f32 (&c, nf4_block_d, in, out, n, bs, o->scale, err, errlen);
    }
  for (size_t base = 0; base < n; base += bs)
    nf4_block_f32 (in + base, out + base, n - base < bs ? n - base : bs);
  return 0;
}

static int
nf4_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  (void) err;
  (void) errlen;
  if (strcmp (name, "nf4") != 0)
    return 0;
  f->bits = 4;
  f->block = 64;
  f->max = 1.0;
  f->min_pos = NF4_8;
  return 1;
}

static double
nf4_decode (const bs_format *f, uint32_t code)
{
  (void) f;
  return code < 16 ? nf4_val[code] : NAN;
}

/* Unit absmax: the nearest of the 16 values, ties to the even code; beyond
 * ±1 saturates; NaN has no code. */
static uint32_t
nf4_encode (const bs_format *f, double x)
{
  (void) f;
  if (isnan (x))
    return BS_CODE_NAN;
  return (uint32_t) nearest_index (nf4_mid, 15, x, 1.0);
}

static void
nf4_describe (const bs_format *f, char *buf, size_t len)
{
  snprintf (buf, len,
            "%s: QLoRA NormalFloat4, 16 fixed values in [-1, 1] times a per-block absmax "
            "stored as fp32 (block %d, %.2f bits/value)",
            f->name, f->block, 4.0 + 32.0 / f->block);
}

const bs_format_traits _bs_nf4_traits = {
  .family = BS_FAMILY_NF4,
  .pattern = "nf4",
  .summary = "QLoRA NormalFloat4: 16 normal-quantile values times a per-block absmax",
  .exact_acc = BS_ACC_KULISCH,
  .parse = nf4_parse,
  .decode = nf4_decode,
  .encode = nf4_encode,
  .quantize_tensor_ref = nf4_quantize_ref,
  .quantize_tensor = nf4_quantize,
  .describe = nf4_describe,
};

/* OCP MX ------------------------------------------------------------------- */

static const struct {
  const char *name;
  bs_float_params elem;   /* unused for mxint8 */
  bool int_elem;
  int bits;
} mx_named[] = {
  { "mxfp8_e4m3", { 4, 3, 7, BS_FLOAT_FN }, false, 8 },
  { "mxfp8_e5m2", { 5, 2, 15, BS_FLOAT_IEEE }, false, 8 },
  { "mxfp6_e3m2", { 3, 2, 3, BS_FLOAT_NONE }, false, 6 },
  { "mxfp6_e2m3", { 2, 3, 1, BS_FLOAT_NONE }, false, 6 },
  { "mxfp4", { 2, 1, 1, BS_FLOAT_NONE }, false, 4 },
  { "mxint8", { 0, 0, 0, BS_FLOAT_NONE }, true, 8 },
};

#define MX_SCALE_EMIN (-127)   /* E8M0: 2^-127 … 2^127, 0xFF = NaN, no zero */
#define MX_SCALE_EMAX 127

/* MXINT8 elements: 8-bit two's complement k with value k · 2^-6, so
 * [-2, 2 - 2^-6].  The integer rounding of the family: v·64 to nearest, ties
 * to even (= even code), saturating to [-128, 127]. */
static int
mxint8_round (double v)
{
  double t = v * 64.0, n, fr;
  int c;

  if (t >= 127.0)
    return 127;
  if (t <= -128.0)
    return -128;
  n = floor (t);
  fr = t - n;                     /* exact: |t| < 2^8 */
  c = (int) n;
  if (fr > 0.5 || (fr == 0.5 && (c & 1)))
    c++;
  return c;
}

/* emax_elem: the exponent of the element format's largest normal
 * (microxcaling formats.py: E4M3 8, E5M2 15, E3M2 4, E2M3 2, E2M1 2, INT8 0). */
static int
mx_emax (const bs_format *f)
{
  return ilogb (f->max);
}

/* The shared exponent of a block with 0 < amax < inf: floor(log2 amax) −
 * emax_elem clamped to E8M0's [-127, 127].  (OCP MX v1.0 §6.3: the largest
 * power of two ≤ amax divided by the element's largest power of two.) */
static int
mx_shared_exp (const bs_format *f, double amax)
{
  int e = ilogb (amax) - mx_emax (f);
  return e < MX_SCALE_EMIN ? MX_SCALE_EMIN : e > MX_SCALE_EMAX ? MX_SCALE_EMAX : e;
}

/* Reference MX block (OCP MX v1.0 §6.3 as microxcaling implements it):
 * X = 2^shared_exp; each element v = y / X (exact) is rounded into the element
 * format to nearest, ties to the even code, normals beyond the largest
 * clamped to it keeping the sign (E5M2 included: no inf from finite input);
 * output v̂ · X.  FP elements keep the sign of zero; INT8 has one zero (+0).
 * Specials, as microxcaling: a NaN or ±inf anywhere in the block makes amax
 * NaN/inf, the scale NaN (E8M0 0xFF) and so every element NaN.  A block of
 * zeros has the scale 2^-127 and gives zeros.
 * Differences from microxcaling: its default "nearest" rounds ties away from
 * zero (we use ties-to-even, which the spec requires implementations to
 * support); it takes log2 in float32 (which can round a value just below a
 * power of two up to it); it turns an E8M0 overflow (only reachable from
 * doubles or a scale here) into NaN where we clamp to 2^127 and saturate; and
 * it clamps INT8 to ±127·2^-6 where the spec's two's complement also has -2. */
static void
mx_block_d (const block_ctx *c, const double *y, double *q, size_t m)
{
  const bs_format *f = c->f;
  bool has_special = false;
  double amax = 0.0, X;
  int se;

  for (size_t i = 0; i < m; i++)
    {
      double t = fabs (y[i]);
      has_special |= isnan (t) || isinf (t);
      if (t > amax)
        amax = t;
    }
  if (has_special)
    {
      fill_nan_d (q, m);
      return;
    }
  se = amax > 0.0 ? mx_shared_exp (f, amax) : MX_SCALE_EMIN;
  X = ldexp (1.0, se);
  for (size_t i = 0; i < m; i++)
    {
      double v = ldexp (y[i], -se);
      if (f->p.mx.int_elem)
        q[i] = ldexp ((double) mxint8_round (v), se - 6);
      else
        q[i] = _bs_float_decode (&f->p.mx.elem, _bs_float_encode (&f->p.mx.elem, v)) * X;
    }
}

/* Fast MX block at unit scale.  amax comes from the magnitude bits (NaN or
 * inf: bits ≥ 0x7f800000 → NaN block).  v = x · 2^-se in float is exact
 * unless it lands below 2^-126, and such a v rounds to ±0 in every element
 * format in both paths (the smallest element step is 2^-16).  The float
 * family's kernel rounds v (it equals its reference on every float), INT8 is
 * rounded by the FPU's nearest-even add of 2^23 (|v·64| < 2^8), and the
 * output is (float)(v̂ · X) formed in double, as (float) of the reference. */
#define MX_CHUNK 256

static void
mx_block_f32 (const bs_format *f, const float *in, float *out, size_t m)
{
  uint32_t ab = 0;
  float inv, v[MX_CHUNK], r[MX_CHUNK];
  double X;
  int se;

  for (size_t i = 0; i < m; i++)
    {
      uint32_t b = f2u (in[i]) & 0x7fffffffu;   /* NaN and inf sort last */
      ab = b > ab ? b : ab;
    }
  if (ab >= 0x7f800000u)
    {
      fill_nan_f (out, m);
      return;
    }
  if (ab == 0)
    se = MX_SCALE_EMIN;
  else
    {
      float a;
      memcpy (&a, &ab, sizeof a);
      se = mx_shared_exp (f, a);
    }
  inv = ldexpf (1.0f, -se);   /* 2^-127 … 2^127: a float (2^-127 subnormal) */
  X = ldexp (1.0, se);

  for (size_t base = 0; base < m; base += MX_CHUNK)
    {
      size_t k = m - base < MX_CHUNK ? m - base : MX_CHUNK;
      const float *x = in + base;
      float *o = out + base;

      if (f->p.mx.int_elem)
        {
          for (size_t i = 0; i < k; i++)
            {
              float t = x[i] * inv * 64.0f;
              float a = (fabsf (t) + 0x1p23f) - 0x1p23f;   /* RNE to an integer */
              float pos = a > 127.0f ? 127.0f : a;
              float neg = a > 128.0f ? -128.0f : -a;
              v[i] = t < 0 ? neg : pos;
            }
          for (size_t i = 0; i < k; i++)
            o[i] = to_f32 ((double) (int) v[i] * (X * 0x1p-6));
        }
      else
        {
          for (size_t i = 0; i < k; i++)
            v[i] = x[i] * inv;
          _bs_float_quantize_f32 (&f->p.mx.elem, v, r, k);
          for (size_t i = 0; i < k; i++)
            o[i] = to_f32 ((double) r[i] * X);
        }
    }
}

static int
mx_quantize_ref (const bs_format *f, const double *in, double *out, size_t n,
                 const bs_qopts *o, char *err, size_t errlen)
{
  block_ctx c = { f, 0.0 };
  return run_ref (&c, mx_block_d, in, out, n, block_len (f, o), o->scale, err, errlen);
}

static int
mx_quantize (const bs_format *f, const float *in, float *out, size_t n,
             const bs_qopts *o, char *err, size_t errlen)
{
  size_t bs = block_len (f, o);

  if (o->scale != 1.0)
    {
      block_ctx c = { f, 0.0 };
      return run_f32 (&c, mx_block_d, in, out, n, bs, o->scale, err, errlen);
    }
  for (size_t base = 0; base < n; base += bs)
    mx_block_f32 (f, in + base, out + base, n - base < bs ? n - base : bs);
  return 0;
}

static int
mx_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  (void) err;
  (void) errlen;
  for (size_t i = 0; i < sizeof mx_named / sizeof mx_named[0]; i++)
    if (strcmp (name, mx_named[i].name) == 0)
      {
        f->p.mx.elem = mx_named[i].elem;
        f->p.mx.int_elem = mx_named[i].int_elem;
        f->bits = mx_named[i].bits;
        f->block = 32;
        if (mx_named[i].int_elem)
          {
            f->max = 127.0 / 64.0;
            f->min_pos = 1.0 / 64.0;
          }
        else
          _bs_float_params_limits (&f->p.mx.elem, &f->max, &f->min_pos);
        return 1;
      }
  return 0;
}

/* Element codes at unit scale (X = 1): the element layout's own codes; for
 * mxint8 the byte k ↦ (int8) k · 2^-6. */
static double
mx_decode (const bs_format *f, uint32_t code)
{
  if (f->p.mx.int_elem)
    return code < 256 ? ldexp ((double) (int8_t) (uint8_t) code, -6) : NAN;
  return _bs_float_decode (&f->p.mx.elem, code);
}

static uint32_t
mx_encode (const bs_format *f, double x)
{
  if (f->p.mx.int_elem)
    return isnan (x) ? BS_CODE_NAN : (uint32_t) (uint8_t) (int8_t) mxint8_round (x);
  return _bs_float_encode (&f->p.mx.elem, x);
}

static void
mx_describe (const bs_format *f, char *buf, size_t len)
{
  char elem[32];

  if (f->p.mx.int_elem)
    snprintf (elem, sizeof elem, "INT8 (k·2^-6)");
  else
    snprintf (elem, sizeof elem, "FP%d E%dM%d", f->bits, f->p.mx.elem.e, f->p.mx.elem.m);
  snprintf (buf, len,
            "%s: OCP MX v1.0, %s elements (max %g) sharing an E8M0 power-of-two scale "
            "(block %d, %.2f bits/value)",
            f->name, elem, f->max, f->block, f->bits + 8.0 / f->block);
}

const bs_format_traits _bs_mx_traits = {
  .family = BS_FAMILY_MX,
  .pattern = "mxfp8_e4m3 mxfp8_e5m2 mxfp6_e3m2 mxfp6_e2m3 mxfp4 mxint8",
  .summary = "OCP Microscaling: FP8/FP6/FP4/INT8 elements sharing an E8M0 scale per block",
  .exact_acc = BS_ACC_KULISCH,
  .parse = mx_parse,
  .decode = mx_decode,
  .encode = mx_encode,
  .quantize_tensor_ref = mx_quantize_ref,
  .quantize_tensor = mx_quantize,
  .describe = mx_describe,
};

/* NVFP4 -------------------------------------------------------------------- */

static const bs_float_params e2m1_params = { 2, 1, 1, BS_FLOAT_NONE };
static const double e2m1_val[8] = { 0, 0.5, 1, 1.5, 2, 3, 4, 6 };
static const double e2m1_mid[7] = { 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5 };

/* The recipe (NVIDIA Model-Optimizer, nvfp4_tensor.py; "Pretraining LLMs with
 * NVFP4", arXiv:2509.25149 app. B):
 *   s_t = fp32(amax_t / (6 · 448))                  tensor scale, stored fp32
 *   r   = fp32(amax_b / fp32(6 · s_t))              amax_b: the block's
 *   r   = 1 if r = 0; r = max(r, 2^-9)              (ModelOpt's zero rule and
 *                                                   underflow clamp)
 *   b   = E4M3(r)  round to nearest even, saturating at 448
 *   element = E2M1(y / (b · s_t)), nearest even, saturating at ±6
 *   output  = element · b · s_t
 * Both amaxes skip NaN.  amax_t is taken as fp32 saturated at FLT_MAX, and a
 * nonzero amax_t with s_t rounding to 0 uses s_t = 2^-149, so s_t is a
 * positive finite fp32 (only doubles or a global scale reach these).
 * b · s_t (≤ 28 bits) and the midpoints · b · s_t are exact doubles: the
 * element rounding is exact.  ModelOpt rounds b · s_t and the quotient to fp32
 * before its (ties-to-even) E2M1 cast; the two agree except within an fp32 ulp
 * of an element midpoint.  A tensor of zeros gives zeros (ModelOpt would get
 * 0/0); a ±inf anywhere makes s_t infinite and every output NaN; NaN elements
 * stay NaN. */
static double
nvfp4_tensor_scale (double amax_t)
{
  double a = amax_t > FLT_MAX ? FLT_MAX : (double) (float) amax_t;
  double s = (double) (float) (a / 2688.0);

  return s == 0.0 && amax_t > 0.0 ? 0x1p-149 : s;
}

/* r (see above) for a block with finite amax_b ≥ 0 and s_t > 0, a float.
 * With float operands, fp32(p / q) computed as (float)(p / q in double) is
 * the correctly rounded fp32 quotient (53 ≥ 2·24 + 2). */
static float
nvfp4_raw_scale (double amax_b, double s_t)
{
  double d6 = (double) (float) (6.0 * s_t);   /* 6 · s_t ≤ FLT_MAX / 448 */
  float r = to_f32 (amax_b / d6);

  if (r == 0.0f)
    r = 1.0f;
  return r < 0x1p-9f ? 0x1p-9f : r;
}

/* b = E4M3(r) through the float family's rounding. */
static double
nvfp4_block_scale (double amax_b, double s_t)
{
  double r = nvfp4_raw_scale (amax_b, s_t);
  return _bs_float_decode (&_bs_e4m3_params, _bs_float_encode (&_bs_e4m3_params, r));
}

static void
nvfp4_block_d (const block_ctx *c, const double *y, double *q, size_t m)
{
  bool has_inf;
  double d = nvfp4_block_scale (absmax_d (y, m, &has_inf), c->tensor_scale) * c->tensor_scale;

  for (size_t i = 0; i < m; i++)
    {
      if (isnan (y[i]))
        q[i] = y[i];
      else
        q[i] = copysign (e2m1_val[nearest_index (e2m1_mid, 7, fabs (y[i]), d)] * d, y[i]);
    }
}

/* The output when amax_t is 0 or inf decides everything: an infinity makes
 * every output NaN; amax_t = 0 leaves zeros (signed, as E2M1 has ±0) and
 * NaNs. */
static double
nvfp4_degenerate (double amax_t, double x)
{
  if (isinf (amax_t))
    return NAN;
  return isnan (x) ? x : copysign (0.0, x);
}

static int
nvfp4_quantize_ref (const bs_format *f, const double *in, double *out, size_t n,
                    const bs_qopts *o, char *err, size_t errlen)
{
  block_ctx c = { f, 0.0 };
  double amax_t = 0.0;

  for (size_t i = 0; i < n; i++)
    {
      double t = fabs (in[i] / o->scale);
      if (t > amax_t)
        amax_t = t;
    }
  if (isinf (amax_t) || amax_t == 0.0)
    {
      for (size_t i = 0; i < n; i++)
        out[i] = nvfp4_degenerate (amax_t, in[i]);
      return 0;
    }
  c.tensor_scale = nvfp4_tensor_scale (amax_t);
  return run_ref (&c, nvfp4_block_d, in, out, n, block_len (f, o), o->scale, err, errlen);
}

/* Fast NVFP4 block at unit scale: as nf4_block_f32 on |x| with the 7 E2M1
 * midpoints times d = b · s_t (exact doubles), the sign copied back (E2M1
 * has -0, as the reference's copysign). */
static void
nvfp4_block_f32 (double s_t, const float *in, float *out, size_t m)
{
  uint32_t ab = absmax_bits_f (in, m);
  float a, thr[7], tab[8];
  double d;

  memcpy (&a, &ab, sizeof a);
  {
    /* E4M3(r) by the float kernel: equal to the reference on every float */
    float r = nvfp4_raw_scale (a, s_t), b;
    _bs_float_quantize_f32 (&_bs_e4m3_params, &r, &b, 1);
    d = (double) b * s_t;
  }
#pragma GCC unroll 8
  for (int k = 0; k < 7; k++)
    thr[k] = f32_threshold (e2m1_mid[k] * d, k & 1);
#pragma GCC unroll 8
  for (int k = 0; k < 8; k++)
    tab[k] = to_f32 (e2m1_val[k] * d);

  for (size_t base = 0; base < m; base += LUT_CHUNK)
    {
      size_t len = m - base < LUT_CHUNK ? m - base : LUT_CHUNK;
      const float *x = in + base;
      float *o = out + base;
      int32_t code[LUT_CHUNK];

      for (size_t i = 0; i < len; i++)
        {
          float y = fabsf (x[i]);
          int32_t c = 0;
#pragma GCC unroll 8
          for (int k = 0; k < 7; k++)
            c += y > thr[k];
          code[i] = c;
        }
      for (size_t i = 0; i < len; i++)
        {
          /* tab[] ≥ +0: copy the sign bit */
          float v = u2f (f2u (tab[code[i]]) | (f2u (x[i]) & 0x80000000u));
          o[i] = x[i] != x[i] ? x[i] : v;
        }
    }
}

static int
nvfp4_quantize (const bs_format *f, const float *in, float *out, size_t n,
                const bs_qopts *o, char *err, size_t errlen)
{
  size_t bs = block_len (f, o);
  uint32_t ab;
  float amax_t;
  double s_t;

  if (o->scale != 1.0)
    {
      block_ctx c = { f, 0.0 };
      double a = 0.0;
      for (size_t i = 0; i < n; i++)
        {
          double t = fabs ((double) in[i] / o->scale);
          if (t > a)
            a = t;
        }
      if (isinf (a) || a == 0.0)
        {
          for (size_t i = 0; i < n; i++)
            out[i] = (float) nvfp4_degenerate (a, in[i]);
          return 0;
        }
      c.tensor_scale = nvfp4_tensor_scale (a);
      return run_f32 (&c, nvfp4_block_d, in, out, n, bs, o->scale, err, errlen);
    }

  ab = absmax_bits_f (in, n);
  if (ab == 0x7f800000u || ab == 0)
    {
      for (size_t i = 0; i < n; i++)
        out[i] = (float) nvfp4_degenerate (ab ? INFINITY : 0.0, in[i]);
      return 0;
    }
  memcpy (&amax_t, &ab, sizeof amax_t);
  s_t = nvfp4_tensor_scale (amax_t);
  for (size_t base = 0; base < n; base += bs)
    nvfp4_block_f32 (s_t, in + base, out + base, n - base < bs ? n - base : bs);
  return 0;
}

static int
nvfp4_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  (void) err;
  (void) errlen;
  if (strcmp (name, "nvfp4") != 0)
    return 0;
  f->p.mx.elem = e2m1_params;
  f->p.mx.int_elem = false;
  f->bits = 4;
  f->block = 16;
  _bs_float_params_limits (&e2m1_params, &f->max, &f->min_pos);
  return 1;
}

static double
nvfp4_decode (const bs_format *f, uint32_t code)
{
  return _bs_float_decode (&f->p.mx.elem, code);
}

static uint32_t
nvfp4_encode (const bs_format *f, double x)
{
  return _bs_float_encode (&f->p.mx.elem, x);
}

static void
nvfp4_describe (const bs_format *f, char *buf, size_t len)
{
  snprintf (buf, len,
            "%s: NVIDIA FP4, E2M1 elements (max 6) with an E4M3 scale per block and one "
            "fp32 tensor scale (block %d, %.2f bits/value)",
            f->name, f->block, 4.0 + 8.0 / f->block);
}

const bs_format_traits _bs_nvfp4_traits = {
  .family = BS_FAMILY_NVFP4,
  .pattern = "nvfp4",
  .summary = "NVIDIA FP4: E2M1 elements, an E4M3 scale per 16, an fp32 tensor scale",
  .exact_acc = BS_ACC_KULISCH,
  .parse = nvfp4_parse,
  .decode = nvfp4_decode,
  .encode = nvfp4_encode,
  .quantize_tensor_ref = nvfp4_quantize_ref,
  .quantize_tensor = nvfp4_quantize,
  .describe = nvfp4_describe,
};
