/* float.c — binary floating-point layouts: fp32, fp16, bf16, OCP FP8/FP6/FP4
 * and the generic IEEE-style float_e<E>m<M>.
 *
 * A code is sign | exponent field (E bits) | mantissa field (M bits).  Exponent
 * field 0 holds zero and the subnormals; the top field holds inf/NaN (IEEE),
 * NaN only at all-ones (FN), or ordinary values (NONE).
 */
#include "bs-format-private.h"
#include "bs-simd-clones.h"

const bs_float_params _bs_fp16_params = { 5, 10, 15, BS_FLOAT_IEEE };
const bs_float_params _bs_e4m3_params = { 4, 3, 7, BS_FLOAT_FN };

static const struct {
  const char *name;
  bs_float_params p;
} named[] = {
  { "fp32", { 8, 23, 127, BS_FLOAT_IEEE } },
  { "fp16", { 5, 10, 15, BS_FLOAT_IEEE } },
  { "bf16", { 8, 7, 127, BS_FLOAT_IEEE } },
  { "fp8_e4m3", { 4, 3, 7, BS_FLOAT_FN } },
  { "fp8_e5m2", { 5, 2, 15, BS_FLOAT_IEEE } },
  { "fp6_e3m2", { 3, 2, 3, BS_FLOAT_NONE } },
  { "fp6_e2m3", { 2, 3, 1, BS_FLOAT_NONE } },
  { "fp4_e2m1", { 2, 1, 1, BS_FLOAT_NONE } },
};

/* Fields through macros, as a code is just bits. */
#define F_EMASK(p)    ((1u << (p)->e) - 1u)
#define F_MMASK(p)    ((1u << (p)->m) - 1u)
#define F_SIGN(p)     (1u << ((p)->e + (p)->m))
#define F_EXP(p, c)   (((c) >> (p)->m) & F_EMASK (p))
#define F_MANT(p, c)  ((c) & F_MMASK (p))

static uint32_t
max_code (const bs_float_params *p)
{
  switch (p->special)
    {
    case BS_FLOAT_IEEE:
      return ((F_EMASK (p) - 1u) << p->m) | F_MMASK (p);
    case BS_FLOAT_FN:
      return (F_EMASK (p) << p->m) | (F_MMASK (p) - 1u);
    case BS_FLOAT_NONE:
    default:
      return (F_EMASK (p) << p->m) | F_MMASK (p);
    }
}

static uint32_t
nan_code (const bs_float_params *p)
{
  switch (p->special)
    {
    case BS_FLOAT_IEEE:
      /* quiet NaN; a layout without mantissa bits has inf but no NaN */
      return p->m > 0 ? (F_EMASK (p) << p->m) | (1u << (p->m - 1)) : BS_CODE_NAN;
    case BS_FLOAT_FN:
      return (F_EMASK (p) << p->m) | F_MMASK (p);
    case BS_FLOAT_NONE:
    default:
      return BS_CODE_NAN;
    }
}

double
_bs_float_decode (const bs_float_params *p, uint32_t code)
{
  uint32_t ef = F_EXP (p, code), mf = F_MANT (p, code);
  double v;

  if (p->special == BS_FLOAT_IEEE && ef == F_EMASK (p))
    v = mf == 0 ? INFINITY : NAN;
  else if (p->special == BS_FLOAT_FN && ef == F_EMASK (p) && mf == F_MMASK (p))
    v = NAN;
  else if (ef == 0)
    v = ldexp ((double) mf, 1 - p->bias - p->m);
  else
    v = ldexp ((double) (mf | (1u << p->m)), (int) ef - p->bias - p->m);
  return (code & F_SIGN (p)) ? -v : v;
}

void
_bs_float_params_limits (const bs_float_params *p, double *max, double *min_pos)
{
  if (max)
    *max = _bs_float_decode (p, max_code (p));
  if (min_pos)
    *min_pos = ldexp (1.0, 1 - p->bias - p->m);
}

/* The float family's one rounding function.  The magnitude is truncated to a
 * code, then the remainder decides: above half a quantum, the next code; at
 * exactly half, whichever of the two codes is even (this is the DESIGN's "ties
 * to the even code", which for M = 0 layouts is not the same as an even
 * significand).  Codes of one sign are monotone in value, so "next code" is
 * code + 1, across binades too.  No dependence on the FP environment. */
uint32_t
_bs_float_encode (const bs_float_params *p, double x)
{
  uint32_t sign, mc = max_code (p);
  uint64_t mag;
  double a, r, n, frac;
  int e, emin = 1 - p->bias;

  if (isnan (x))
    return nan_code (p);
  sign = signbit (x) ? F_SIGN (p) : 0u;
  a = fabs (x);
  if (isinf (a))
    return sign | (p->special == BS_FLOAT_IEEE ? F_EMASK (p) << p->m : mc);
  if (a == 0.0)
    return sign;

  frexp (a, &e);
  e -= 1;                        /* a = 1.f · 2^e */
  if (e < emin)
    e = emin;                    /* subnormal range: quantum 2^(emin-M) */
  if (e - p->bias > 1 << p->e)
    return sign | mc;            /* far beyond the layout: saturate */
  r = ldexp (a, p->m - e);       /* exact: scaling by a power of two */
  n = floor (r);
  frac = r - n;
  if (n < ldexp (1.0, p->m))
    mag = (uint64_t) n;          /* subnormal (or zero), exponent field 0 */
  else
    mag = ((uint64_t) (e + p->bias) << p->m) | ((uint64_t) n - (1u << p->m));
  if (frac > 0.5 || (frac == 0.5 && (mag & 1u)))
    mag += 1;
  if (mag > mc)
    mag = mc;                    /* saturate to max finite */
  return sign | (uint32_t) mag;
}

double
_bs_round_fp16 (double x)
{
  /* IEEE arithmetic: overflow goes to inf (not saturation), as in an fp16
   * accumulator register. */
  double m = _bs_float_decode (&_bs_fp16_params, max_code (&_bs_fp16_params));
  if (isfinite (x) && fabs (x) >= m + ldexp (1.0, 4)) /* ≥ 65520 rounds to inf */
    return copysign (INFINITY, x);
  return _bs_float_decode (&_bs_fp16_params, _bs_float_encode (&_bs_fp16_params, x));
}

/* Fast kernel --------------------------------------------------------------
 * For a float32 input, rounding its 24-bit significand to M bits is an integer
 * add on the bit pattern (carries ripple into the exponent, as they should).
 * Below the target's smallest normal, the quantum is fixed: adding and
 * subtracting C = 2^(emin - M + 23) rounds to it through the FPU's own
 * round-to-nearest-even.  Both are computed and one is selected, so the loop
 * vectorizes.
 *
 * On x86-64 the loop is also compiled for AVX2 and AVX-512 and the widest
 * the CPU has is chosen when the program loads (GCC's target_clones): the
 * baseline's SSE2 has no unsigned 32-bit compare or minimum and runs it
 * about four times slower than AVX-512.  Same source, same results; the
 * "default" clone is the plain build (bs-simd-clones.h). */
typedef struct {
  uint32_t half, keep, lsb_shift, lsb_mask, norm_min, maxbits, satbits;
  float c;
} round_consts;

static round_consts
round_setup (const bs_float_params *p)
{
  const int emin = 1 - p->bias;
  const uint32_t sh = (uint32_t) (23 - p->m);
  round_consts k;
  double dmax;

  k.half = sh ? (1u << (sh - 1)) - 1u : 0u;
  k.keep = ~((1u << sh) - 1u);
  k.lsb_shift = sh;
  k.lsb_mask = sh ? 1u : 0u;   /* M = 23: nothing to round, no branch */
  k.norm_min = (uint32_t) (emin + 127) << 23;  /* bits of 2^emin */
  k.c = ldexpf (1.0f, emin - p->m + 23);
  _bs_float_params_limits (p, &dmax, NULL);
  k.maxbits = f2u ((float) dmax);
  /* what a finite value beyond max becomes, and what inf becomes */
  k.satbits = p->special == BS_FLOAT_IEEE ? 0x7f800000u : k.maxbits;
  return k;
}

static inline __attribute__ ((always_inline)) float
round_one (const round_consts *k, float x)
{
  uint32_t u = f2u (x);
  uint32_t s = u & 0x80000000u, a = u & 0x7fffffffu;
  uint32_t rn = (a + k->half + ((a >> k->lsb_shift) & k->lsb_mask)) & k->keep;
  uint32_t rs = f2u ((u2f (a) + k->c) - k->c);
  uint32_t r = a < k->norm_min ? rs : rn;

  r = r > k->maxbits ? k->maxbits : r;
  r = a == 0x7f800000u ? k->satbits : r;
  r = a > 0x7f800000u ? a : r;          /* NaN stays NaN */
  return u2f (s | r);
}

BS_SIMD_CLONES void
_bs_float_quantize_f32 (const bs_float_params *p, const float *in, float *out, size_t n)
{
  const round_consts k = round_setup (p);

  for (size_t i = 0; i < n; i++)
    out[i] = round_one (&k, in[i]);
}

/* bs_format_quantize's three passes over a power-of-two scale (x · inv,
 * round, · sc) in one: the fake-quantized activations of a network are
 * read once. */
BS_SIMD_CLONES bool
_bs_float_quantize_pow2 (const bs_float_params *p, const float *in, float *out, size_t n,
                         float inv, float sc)
{
  const round_consts k = round_setup (p);
  int bad = 0;

  for (size_t i = 0; i < n; i++)
    {
      float v = in[i] * inv, a = fabsf (v);
      bad |= !(a == 0.0f || (a >= 0x1p-126f && a <= 0x1p+100f));
      out[i] = round_one (&k, v) * sc;
    }
  return !bad;
}

/* Traits ------------------------------------------------------------------ */

static int
float_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  bs_float_params p;
  bool found = false;
  int e, m;

  for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
    if (strcmp (name, named[i].name) == 0)
      {
        p = named[i].p;
        found = true;
      }
  if (!found)
    {
      if (!_bs_parse_two_ints (name, "float_e", "m", &e, &m))
        return 0;
      if (e < 2 || e > 8 || m > 23)
        return _bs_fail (err, errlen,
                         "format '%s': float_e<E>m<M> needs 2 ≤ E ≤ 8 and 0 ≤ M ≤ 23", name);
      p = (bs_float_params) { e, m, (1 << (e - 1)) - 1, BS_FLOAT_IEEE };
    }
  f->p.fl = p;
  f->bits = 1 + p.e + p.m;
  f->block = 0;
  _bs_float_params_limits (&p, &f->max, &f->min_pos);
  return 1;
}

static double
float_decode (const bs_format *f, uint32_t code)
{
  return _bs_float_decode (&f->p.fl, code);
}

static uint32_t
float_encode (const bs_format *f, double x)
{
  return _bs_float_encode (&f->p.fl, x);
}

static void
float_quantize_unit (const bs_format *f, const float *in, float *out, size_t n)
{
  _bs_float_quantize_f32 (&f->p.fl, in, out, n);
}

static bool
float_quantize_pow2 (const bs_format *f, const float *in, float *out, size_t n, float inv,
                     float sc)
{
  return _bs_float_quantize_pow2 (&f->p.fl, in, out, n, inv, sc);
}

const bs_format_traits _bs_float_traits = {
  .family = BS_FAMILY_FLOAT,
  .pattern = "float_e<E>m<M>",
  .summary = "binary floating point: sign, E exponent bits, M mantissa bits",
  .exact_acc = BS_ACC_KULISCH,
  .parse = float_parse,
  .decode = float_decode,
  .encode = float_encode,
  .quantize_unit = float_quantize_unit,
  .quantize_pow2 = float_quantize_pow2,
};
