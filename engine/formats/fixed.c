/* fixed.c — uniform grids: fixed<Q> (the seed's fixed point in [-1, 1)),
 * int<N> (two's complement integers), binary (sign) and ternary.
 *
 * fixed<Q>, Q = 2…16: a code is the Q-bit two's complement integer k, the
 *   value k / 2^(Q-1); quantization is the seed formula
 *   q = clip(round(2^(Q-1)·x) / 2^(Q-1), -1, 1 - 2^-(Q-1)), round to nearest
 *   with ties to even.
 * fixed1 and binary: the seed's Q = 1, sign(x): code 0 is +1, code 1 is -1.
 *   Both zeros give +1 (sign(0) = +1, as in BinaryConnect); NaN gives NaN.
 * int<N>, N = 2…16: a code is the N-bit two's complement integer k, the value
 *   k (a scale, if any, is applied by the generic code).  The full two's
 *   complement range [-2^(N-1), 2^(N-1) - 1], as hardware has it, so int<N> is
 *   not symmetric; round to nearest, ties to even, saturating at both ends.
 * ternary: codes 0 → 0, 1 → +1, 3 → -1; code 2 is the NaN code.  Round to
 *   nearest with ties to the even code: |x| ≤ 0.5 → 0, saturating to ±1.
 *
 * Zero has one code in every member, so -0 quantizes to +0.  No member has
 * inf: ±inf saturates like any value beyond the ends.  fixed<Q> and int<N>
 * have no NaN code: encode(NaN) is BS_CODE_NAN.
 */
#include "bs-format-private.h"

/* The family's rounding choke point: y to the nearest integer, ties to even,
 * clipped to [lo, hi] (lo < hi, |lo|, |hi| < 2^31).  y must not be NaN; ±inf
 * clip.  Arithmetic only (floor and exact subtraction): no dependence on the
 * FP environment's rounding mode. */
static int32_t
round_clip (double y, int32_t lo, int32_t hi)
{
  double n, frac;

  if (!(y > lo))
    return lo;
  if (!(y < hi))
    return hi;
  n = floor (y);
  frac = y - n;                  /* exact: |y| < 2^31 */
  if (frac > 0.5 || (frac == 0.5 && ((int64_t) n & 1)))
    n += 1;
  return (int32_t) n;
}

/* Two's complement: the integer of a `bits`-wide code, and back. */
static int32_t
code_to_int (uint32_t code, int bits)
{
  uint32_t sign = 1u << (bits - 1);
  return (int32_t) (code ^ sign) - (int32_t) sign;
}

static uint32_t
int_to_code (int32_t k, int bits)
{
  return (uint32_t) k & ((1u << bits) - 1u);
}

/* fixed1 / binary: sign with sign(±0) = +1. */
static uint32_t
sign_encode (double x)
{
  if (isnan (x))
    return BS_CODE_NAN;
  return x < 0 ? 1u : 0u;
}

static double
sign_decode (uint32_t code)
{
  return code == 0 ? 1.0 : code == 1 ? -1.0 : NAN;
}

/* Fast kernels ---------------------------------------------------------------
 * A uniform grid on float32: y = x · 2^up is exact (or ±inf, which clamps);
 * clamped to [lo, hi] first, |y| ≤ 2^15, so (y + 1.5·2^23) - 1.5·2^23 is y
 * rounded to an integer, ties to even, by the FPU itself (this kernel assumes
 * the default rounding mode; the reference does not).  The clamps are written
 * as IEEE max/min (NaN passes through), so the loop vectorizes; -0 comes out
 * as +0 (x - x is +0), as the reference has it. */
static void
grid_f32 (const float *in, float *out, size_t n, float up, float down, float lo, float hi)
{
  const float c = 0x1.8p23f;

  for (size_t i = 0; i < n; i++)
    {
      float y = in[i] * up;
      y = y < lo ? lo : y;
      y = y > hi ? hi : y;
      y = (y + c) - c;
      out[i] = y * down;
    }
}

static void
sign_f32 (const float *in, float *out, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      float x = in[i];
      out[i] = x < 0 ? -1.0f : x >= 0 ? 1.0f : x;   /* NaN: neither */
    }
}

static void
ternary_f32 (const float *in, float *out, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      float x = in[i], r;
      r = x > 0.5f ? 1.0f : 0.0f;
      r = x < -0.5f ? -1.0f : r;
      out[i] = x != x ? x : r;
    }
}

/* fixed<Q> ------------------------------------------------------------------ */

static int
fixed_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  int q;

  if (!_bs_parse_int_suffix (name, "fixed", &q))
    return 0;
  if (q < 1 || q > 16)
    return _bs_fail (err, errlen, "format '%s': fixed<Q> needs 1 ≤ Q ≤ 16", name);
  f->p.fixed.q = q;
  f->bits = q;
  f->block = 0;
  f->max = q == 1 ? 1.0 : 1.0 - ldexp (1.0, 1 - q);
  f->min_pos = ldexp (1.0, 1 - q);
  return 1;
}

static double
fixed_decode (const bs_format *f, uint32_t code)
{
  int q = f->p.fixed.q;

  if (q == 1)
    return sign_decode (code);
  if (code >> q)
    return NAN;
  return ldexp ((double) code_to_int (code, q), 1 - q);
}

/* The seed formula: k = clip(RNE(2^(Q-1)·x), -2^(Q-1), 2^(Q-1) - 1); the
 * scaling by 2^(Q-1) is exact (or overflows to inf, which clips). */
static uint32_t
fixed_encode (const bs_format *f, double x)
{
  int q = f->p.fixed.q;
  int32_t half = (int32_t) 1 << (q - 1);

  if (q == 1)
    return sign_encode (x);
  if (isnan (x))
    return BS_CODE_NAN;
  return int_to_code (round_clip (ldexp (x, q - 1), -half, half - 1), q);
}

static void
fixed_quantize_unit (const bs_format *f, const float *in, float *out, size_t n)
{
  int q = f->p.fixed.q;
  float half = ldexpf (1.0f, q - 1);

  if (q == 1)
    sign_f32 (in, out, n);
  else
    grid_f32 (in, out, n, half, 1.0f / half, -half, half - 1.0f);
}

static void
fixed_describe (const bs_format *f, char *buf, size_t len)
{
  int q = f->p.fixed.q;
  long half = 1L << (q - 1);

  if (q == 1)
    snprintf (buf, len, "fixed point Q=1: sign(x), values {-1, +1} (both zeros → +1)");
  else
    snprintf (buf, len, "fixed point Q=%d: k/%ld, k in [%ld, %ld], range [-1, %.17g]",
              q, half, -half, half - 1, f->max);
}

const bs_format_traits _bs_fixed_traits = {
  .family = BS_FAMILY_FIXED,
  .pattern = "fixed<Q>",
  .summary = "fixed point in [-1, 1), Q = 1…16 bits: clip(round(2^(Q-1)·x)/2^(Q-1)); "
             "Q = 1 is sign(x)",
  .exact_acc = BS_ACC_INT32,
  .parse = fixed_parse,
  .decode = fixed_decode,
  .encode = fixed_encode,
  .quantize_unit = fixed_quantize_unit,
  .describe = fixed_describe,
};

/* int<N> -------------------------------------------------------------------- */

static int
int_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  int n;

  if (!_bs_parse_int_suffix (name, "int", &n))
    return 0;
  if (n < 2 || n > 16)
    return _bs_fail (err, errlen, "format '%s': int<N> needs 2 ≤ N ≤ 16", name);
  f->p.integer.n = n;
  f->bits = n;
  f->block = 0;
  f->max = ldexp (1.0, n - 1) - 1.0;
  f->min_pos = 1.0;
  return 1;
}

static double
int_decode (const bs_format *f, uint32_t code)
{
  int n = f->p.integer.n;

  if (code >> n)
    return NAN;
  return (double) code_to_int (code, n);
}

static uint32_t
int_encode (const bs_format *f, double x)
{
  int n = f->p.integer.n;
  int32_t half = (int32_t) 1 << (n - 1);

  if (isnan (x))
    return BS_CODE_NAN;
  return int_to_code (round_clip (x, -half, half - 1), n);
}

static void
int_quantize_unit (const bs_format *f, const float *in, float *out, size_t n)
{
  float half = ldexpf (1.0f, f->p.integer.n - 1);

  grid_f32 (in, out, n, 1.0f, 1.0f, -half, half - 1.0f);
}

static void
int_describe (const bs_format *f, char *buf, size_t len)
{
  int n = f->p.integer.n;
  long half = 1L << (n - 1);

  snprintf (buf, len, "integer N=%d: two's complement k in [%ld, %ld] (times the scale)",
            n, -half, half - 1);
}

const bs_format_traits _bs_int_traits = {
  .family = BS_FAMILY_INT,
  .pattern = "int<N>",
  .summary = "two's complement integers, N = 2…16 bits, full range [-2^(N-1), 2^(N-1)-1], "
             "times a scale",
  .exact_acc = BS_ACC_INT32,
  .parse = int_parse,
  .decode = int_decode,
  .encode = int_encode,
  .quantize_unit = int_quantize_unit,
  .describe = int_describe,
};

/* binary ---------------------------------------------------------------------- */

static int
binary_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  if (strcmp (name, "binary") != 0)
    return 0;
  f->bits = 1;
  f->block = 0;
  f->max = 1.0;
  f->min_pos = 1.0;
  return 1;
}

static double
binary_decode (const bs_format *f, uint32_t code)
{
  return sign_decode (code);
}

static uint32_t
binary_encode (const bs_format *f, double x)
{
  return sign_encode (x);
}

static void
binary_quantize_unit (const bs_format *f, const float *in, float *out, size_t n)
{
  sign_f32 (in, out, n);
}

static void
binary_describe (const bs_format *f, char *buf, size_t len)
{
  snprintf (buf, len, "binary: 1 bit, sign(x), values {-1, +1} (both zeros → +1)");
}

const bs_format_traits _bs_binary_traits = {
  .family = BS_FAMILY_BINARY,
  .pattern = "binary",
  .summary = "binary (BNN): sign(x), values {-1, +1}, 1 bit",
  .exact_acc = BS_ACC_INT32,
  .parse = binary_parse,
  .decode = binary_decode,
  .encode = binary_encode,
  .quantize_unit = binary_quantize_unit,
  .describe = binary_describe,
};

/* ternary --------------------------------------------------------------------- */

#define TERNARY_NAN 2u

static int
ternary_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  if (strcmp (name, "ternary") != 0)
    return 0;
  f->bits = 2;
  f->block = 0;
  f->max = 1.0;
  f->min_pos = 1.0;
  return 1;
}

static double
ternary_decode (const bs_format *f, uint32_t code)
{
  switch (code)
    {
    case 0:
      return 0.0;
    case 1:
      return 1.0;
    case 3:
      return -1.0;
    default:
      return NAN;   /* code 2, and anything wider than 2 bits */
    }
}

/* Round to nearest integer in [-1, 1], ties to even: |x| ≤ 0.5 → 0. */
static uint32_t
ternary_encode (const bs_format *f, double x)
{
  if (isnan (x))
    return TERNARY_NAN;
  return int_to_code (round_clip (x, -1, 1), 2);
}

static void
ternary_quantize_unit (const bs_format *f, const float *in, float *out, size_t n)
{
  ternary_f32 (in, out, n);
}

static void
ternary_describe (const bs_format *f, char *buf, size_t len)
{
  snprintf (buf, len, "ternary: 2 bits, values {-1, 0, +1}, |x| ≤ 0.5 → 0 (ties to 0)");
}

const bs_format_traits _bs_ternary_traits = {
  .family = BS_FAMILY_TERNARY,
  .pattern = "ternary",
  .summary = "ternary: values {-1, 0, +1}, 2 bits, round to nearest (threshold 0.5)",
  .exact_acc = BS_ACC_INT32,
  .parse = ternary_parse,
  .decode = ternary_decode,
  .encode = ternary_encode,
  .quantize_unit = ternary_quantize_unit,
  .describe = ternary_describe,
};
