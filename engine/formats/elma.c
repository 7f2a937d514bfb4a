/* elma.c — dot products of log-float vectors (log.c): Johnson's ELMA, bit
 * for bit, and the same sum with exact products in a Kulisch register.
 *
 * ELMA, "exact log-linear multiply-add" (Johnson 2018; facts from
 * facebookresearch/deepfloat, rtl/log/):
 *  - multiply: the log values add exactly (LogMultiply.sv; the product's log
 *    exponent has one more bit, so it never overflows);
 *  - log→linear: the product 2^(e + f/2^F) becomes (2^α + p(f))·2^(e-α) with
 *    p(f) = round(2^α·(2^(f/2^F) - 1)) (Pow2LUT_4x5.sv; α = 5 for log8:
 *    p = {0,1,3,4,6,8,9,11,13,15,17,20,22,24,27,29});
 *  - the signed value is shifted into a two's complement Kulisch register
 *    (FloatSignedToLinearFixed.sv): log8 has 1 sign + 13 integer + 24
 *    fraction = 38 bits (LogDef_pkg getAcc*Tapered(8,1)), log16 1 + 16 + 32 =
 *    49 (getAccNonFrac/getAccFrac(5,10)).  Bits below the LSB are dropped by
 *    an arithmetic shift of the negated value: the term is rounded toward
 *    -inf (so a tiny negative product still counts -1 LSB);
 *  - add: two's complement, modulo 2^width (KulischAccumulatorAdd.sv); an add
 *    whose exact sum leaves the register sets a sticky overflow flag whose
 *    sign is that of the first overflowing sum;
 *  - linear→log (LinearFixedToFloatSigned, FloatSignedRoundToNearestEven,
 *    FloatSignedToLog, Log2LUT_5x7.sv): normalise, keep β = 5 bits after the
 *    leading one, round them to nearest even (2 trailing bits + sticky; a
 *    carry bumps the exponent), map with q(x) = round(2^γ·log2(1 + x/2^β)),
 *    γ = 7, then round the 7-bit log fraction into the posit code with the
 *    deepfloat posit rounding (PositRoundToNearestEven.sv: 4 fraction bits,
 *    2 trailing bits and the last bit as sticky); a log exponent below -12
 *    gives zero (LogNumberUnpackedToLogCompact.sv), an overflowed register
 *    gives ±maxpos (SATURATE_MAX).
 *
 * Where we depart from the RTL, knowingly:
 *  - a product of 2^13 or more (log8; 2^16 for log16) does not fit the
 *    register; the RTL's shifter then wraps its shift count and drops the
 *    term silently.  Here the term is added modulo 2^width like any other and
 *    the overflow flag is set;
 *  - the register value -2^(width-1) reads as zero in LinearFixedToFloatSigned
 *    (its magnitude has no bit below the sign); here it is -2^13 (-2^16) and
 *    saturates to -maxpos.
 *  - the deepfloat posit rounding takes the "keep" bit from above the
 *    fraction when a regime leaves no exponent bit (regime -6 of log8); so
 *    exactly 2^-11 rounds to 2^-12 (0x01), not to the even code 0x02 that the
 *    element encode gives.  This IS modelled, being what the hardware does.
 *
 * log16 ELMA, (16, 5, 11, 11, 10): deepfloat synthesised the 16-bit PE only up
 * to its register (PaperLogFlatPETop.sv, LOG_TO_LINEAR_BITS = 11).  The final
 * conversion here is ours, built from its parts: β = 11 bits rounded to nearest
 * even, q(x) = round(2^10·log2(1 + x/2^11)) (the 11→10 table of
 * rtl/log/luts/Log2DeltaLUT_11x10.sv), a carry to 2^10 bumps the exponent;
 * no further rounding (γ equals the format's 10 bits); exponent > 15 saturates
 * to ±max, < -14 flushes to ±0.
 */
#include "bs-format-private.h"

#include <pthread.h>

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* deepfloat's tables for (8, 1, 5, 5, 7): p = Pow2LUT_4x5, q = Log2LUT_5x7;
 * both are round-to-nearest of the exact functions (checked by the tests). */
static const uint16_t p8[16] = { 0, 1, 3, 4, 6, 8, 9, 11, 13, 15, 17, 20, 22, 24, 27, 29 };
static const uint16_t q8[32] = {
  0, 6, 11, 17, 22, 27, 32, 37, 41, 46, 50, 55, 59, 63, 67, 71,
  75, 79, 82, 86, 90, 93, 97, 100, 103, 107, 110, 113, 116, 119, 122, 125,
};

typedef struct {
  int F;          /* log-fraction bits of the format */
  int alpha;      /* log→linear fraction bits */
  int beta;       /* linear bits kept for linear→log */
  int gamma;      /* linear→log output bits */
  int width;      /* register bits, sign included */
  int lsb;        /* weight of the register's last bit: 2^lsb */
  const uint16_t *p, *q;
} elma_cfg;

/* The log8 fast path.  A value becomes a key from its double bits: the log
 * value L + 192 ∈ [0, 384] in bits 0-10, the sign in bit 11 (zero: 900).  Two
 * keys add into a product index whose bit 11 is the sign of the product (the
 * carry out of bit 11 is masked off) and whose low bits are La + Lb + 384 ∈
 * [0, 768] for two nonzero values, ≥ 900 when a zero is involved. */
#define E8_VAL_BASE  ((uint64_t) (1023 - 12) << 5)   /* (exponent, top 5 bits) */
#define E8_VAL_N     (25 << 5)
#define E8_KEY_ZERO  900
#define E8_KEY_SIGN  2048
#define E8_PROD_N    4096
#define E8_BLOCK     4096

typedef struct {
  uint64_t val;                   /* |value| bits, 0 if no value */
  int32_t key;
  int32_t pad;
} e8_val;

typedef struct {
  uint16_t p16[1024], q16[2048];
  bool fast_ok;
  e8_val val[E8_VAL_N + 1];       /* the last entry is zero's */
  int64_t prod[E8_PROD_N];        /* register increment of a key sum */
} elma_tables;

static elma_tables etab;
static pthread_once_t etab_once = PTHREAD_ONCE_INIT;

static const elma_tables *get_etab (void);

static int
elma_cfg_of (const bs_format *f, elma_cfg *c)
{
  if (f->p.log.tapered && f->p.log.n == 8 && f->p.log.es == 1)
    *c = (elma_cfg) { 4, 5, 5, 7, 38, -24, p8, q8 };
  else if (!f->p.log.tapered)
    {
      const elma_tables *t = get_etab ();
      *c = (elma_cfg) { 10, 11, 11, 10, 49, -32, t->p16, t->q16 };
    }
  else
    return -1;
  return 0;
}

static inline int
floor_shift (int a, int s)
{
  return a >= 0 ? a >> s : -((-a + (1 << s) - 1) >> s);
}

/* One product, as deepfloat puts it into the register: L = La + Lb is the
 * product's log value in units of 2^-F; the result is the register increment
 * floor(±(2^α + p(f))·2^(e-α-lsb)). */
static i128
elma_product (const elma_cfg *c, bool neg, int L)
{
  const int e = floor_shift (L, c->F), f = L - e * (1 << c->F);
  const i128 mag = ((i128) 1 << c->alpha) + c->p[f];
  const int sh = e - c->alpha - c->lsb;

  if (sh >= 0)
    return neg ? -(mag << sh) : mag << sh;
  return neg ? -((mag + ((i128) 1 << -sh) - 1) >> -sh) : mag >> -sh;
}

typedef struct {
  i128 acc;       /* always within the register: -2^(width-1) ≤ acc < 2^(width-1) */
  bool overflow, ovf_neg, nan;
} elma_reg;

/* acc += v modulo 2^width, with the sticky overflow flag. */
static void
elma_add (const elma_cfg *c, elma_reg *r, i128 v)
{
  const i128 half = (i128) 1 << (c->width - 1);
  i128 t = r->acc + v;

  if (t < -half || t >= half)
    {
      u128 u = (u128) t & (((u128) 1 << c->width) - 1);
      if (!r->overflow)
        {
          r->overflow = true;
          r->ovf_neg = t < 0;
        }
      t = u >= (u128) half ? (i128) u - ((i128) 1 << c->width) : (i128) u;
    }
  r->acc = t;
}

/* The reference: one element at a time, straight from the definition. */
static int
elma_ref (const bs_format *f, const elma_cfg *c, const double *qa, const double *qb,
          size_t n, size_t base, elma_reg *r, char *err, size_t errlen)
{
  for (size_t i = 0; i < n; i++)
    {
      bool na = false, nb = false;
      int32_t La = 0, Lb = 0;
      int ka = _bs_log_split (f, qa[i], &na, &La);
      int kb = _bs_log_split (f, qb[i], &nb, &Lb);

      if (ka == -2 || kb == -2)
        return _bs_fail (err, errlen,
                         "ELMA takes values of %s at unit scale; element %zu (%.17g × %.17g) "
                         "is not one", f->name, base + i, qa[i], qb[i]);
      if (ka == -1 || kb == -1)
        r->nan = true;
      else if (ka == 1 && kb == 1)
        elma_add (c, r, elma_product (c, na != nb, La + Lb));
    }
  return 0;
}

/* Bits [pos - count + 1, pos] of m as an integer (zeros below bit 0). */
static uint32_t
bits_at (u128 m, int pos, int count)
{
  int lo = pos - count + 1;
  u128 v = lo >= 0 ? m >> lo : m << -lo;
  return (uint32_t) (v & ((1u << count) - 1u));
}

static bool
any_below (u128 m, int pos)     /* a set bit strictly below bit pos? */
{
  return pos > 0 && (m & (((u128) 1 << pos) - 1)) != 0;
}

/* Normalise |acc| and round its β bits after the leading one to nearest
 * even; *e is the binary exponent, the return value the β-bit fraction. */
static uint32_t
linear_round (const elma_cfg *c, u128 mag, int *e)
{
  int p = 127 - (int) ((mag >> 64) ? __builtin_clzll ((uint64_t) (mag >> 64))
                                   : 64 + __builtin_clzll ((uint64_t) mag));
  uint32_t fr = bits_at (mag, p - 1, c->beta);
  uint32_t g = bits_at (mag, p - 1 - c->beta, 1), rd = bits_at (mag, p - 2 - c->beta, 1);
  bool st = any_below (mag, p - 2 - c->beta);

  *e = p + c->lsb;
  if (g && ((fr & 1u) || rd || st))
    fr++;
  if (fr >> c->beta)
    {
      fr = 0;
      ++*e;
    }
  return fr;
}

/* Pack a tapered (8,1) magnitude from (e, 4-bit fraction) whose cut-off bits
 * are zero. */
static uint32_t
posit8_pack (int e, uint32_t frac)
{
  int k = floor_shift (e, 1), esv = e - 2 * k, rlen, len;
  uint64_t rbits, body;

  if (k >= 0)
    rlen = k + 2, rbits = ((1ull << (k + 1)) - 1u) << 1;
  else
    rlen = -k + 1, rbits = 1u;
  body = (rbits << 5) | ((uint64_t) esv << 4) | frac;
  len = rlen + 5;
  return (uint32_t) (len > 7 ? body >> (len - 7) : body << (7 - len));
}

/* log8: deepfloat's linear→log conversion of the register (see the file
 * comment): the code, sign-magnitude. */
static uint32_t
elma8_output (const elma_cfg *c, const elma_reg *r)
{
  u128 mag;
  uint32_t fr, q, frac4, trail, sticky, pre, post, keep, guard, rnd, psr, re;
  int e, ue, ur, sr, excess;
  bool neg, up;

  if (r->overflow)
    return r->ovf_neg ? 0xffu : 0x7fu;
  if (r->acc == 0)
    return 0u;
  neg = r->acc < 0;
  mag = neg ? (u128) -r->acc : (u128) r->acc;
  fr = linear_round (c, mag, &e);
  q = c->q[fr];
  if (q >> c->gamma)                 /* the table's carry bit (never for 5→7) */
    q -= 1u << c->gamma, e++;
  if (e < -12)
    return 0u;
  if (e >= 12)
    return neg ? 0xffu : 0x7fu;

  /* PositRoundToNearestEven for (8,1): (es, 4 fraction bits, 2 trailing)
   * shifted right by the regime's excess length; the bit above the exponent
   * acts as the keep bit when the regime eats every other bit */
  frac4 = q >> 3;
  trail = (q >> 1) & 3u;
  sticky = q & 1u;
  ue = e + 12;
  ur = ue >> 1;
  sr = ur - 6;
  excess = sr >= 0 ? sr : -sr - 1;
  pre = ((uint32_t) (ue & 1) << 6) | (frac4 << 2) | trail;
  post = pre >> excess;
  sticky |= (pre & ((1u << excess) - 1u)) != 0;
  keep = (post >> 2) & 1u;
  guard = (post >> 1) & 1u;
  rnd = post & 1u;
  up = guard && (keep || rnd || sticky);
  psr = ((post >> 2) + up) & 63u;
  re = (psr << excess) & 63u;
  ur += (int) (re >> 5);
  if (ur >= 12)
    return neg ? 0xffu : 0x7fu;
  return (neg ? 0x80u : 0u)
         | posit8_pack (2 * ur + (int) ((re >> 4) & 1u) - 12, re & 15u);
}

/* log16: the conversion described in the file comment. */
static uint32_t
elma16_output (const elma_cfg *c, const elma_reg *r)
{
  u128 mag;
  uint32_t fr, q, sign;
  int e;

  if (r->overflow)
    return r->ovf_neg ? 0xfbffu : 0x7bffu;
  if (r->acc == 0)
    return 0u;
  sign = r->acc < 0 ? 0x8000u : 0u;
  mag = r->acc < 0 ? (u128) -r->acc : (u128) r->acc;
  fr = linear_round (c, mag, &e);
  q = c->q[fr];
  if (q >> c->gamma)
    q -= 1u << c->gamma, e++;
  if (e < -14)
    return sign;
  if (e > 15)
    return sign | 0x7bffu;
  return sign | ((uint32_t) (e + 15) << 10) | q;
}

/* Tables ------------------------------------------------------------------- */

static void
etab_init (void)
{
  elma_tables *t = &etab;
  const elma_cfg c8 = { 4, 5, 5, 7, 38, -24, p8, q8 };
  bs_format f8;

  /* log16: α = β = 11, γ = 10, round to nearest (no ties: the nearest is
   * 2·10^-4 away for p, 4·10^-5 for q, far above libm's error) */
  for (int k = 0; k < 1024; k++)
    t->p16[k] = (uint16_t) lround (2048.0 * (exp2 (k / 1024.0) - 1.0));
  for (int k = 0; k < 2048; k++)
    t->q16[k] = (uint16_t) lround (1024.0 * log2 (1.0 + k / 2048.0));

  /* log8 fast path */
  if (bs_format_parse ("log8", &f8, NULL, 0) < 0)
    return;
  memset (t->val, 0, sizeof t->val);
  for (int k = 0; k <= E8_VAL_N; k++)
    t->val[k].key = E8_KEY_ZERO;
  t->fast_ok = true;
  for (uint32_t code = 1; code < 128; code++)
    {
      double v = bs_format_decode (&f8, code);
      uint64_t u;
      bool neg;
      int32_t L;
      size_t k;

      memcpy (&u, &v, sizeof u);
      k = (size_t) ((u >> 47) - E8_VAL_BASE);
      if (_bs_log_split (&f8, v, &neg, &L) != 1 || k >= E8_VAL_N || t->val[k].val != 0)
        {
          t->fast_ok = false;      /* not expected: the reference path remains */
          return;
        }
      t->val[k].val = u;
      t->val[k].key = L + 192;
    }
  for (int idx = 0; idx < E8_PROD_N; idx++)
    {
      int low = idx & (E8_KEY_SIGN - 1);
      t->prod[idx] = low > 2 * 384 ? 0
                     : (int64_t) elma_product (&c8, idx >= E8_KEY_SIGN, low - 384);
    }
}

static const elma_tables *
get_etab (void)
{
  pthread_once (&etab_once, etab_init);
  return &etab;
}

/* The key of a double (see E8_KEY_*); *bad is set if it is not a log8 value
 * or zero. */
static inline int32_t
e8_key (const elma_tables *t, double x, uint32_t *bad)
{
  uint64_t u, a, i;
  const e8_val *v;

  memcpy (&u, &x, sizeof u);
  a = u & 0x7fffffffffffffffull;
  i = (a >> 47) - E8_VAL_BASE;
  v = &t->val[i < E8_VAL_N ? i : E8_VAL_N];
  *bad |= v->val != a;          /* zero meets the zero entry; the key of a
                                 * bad value is not used (block rejected) */
  return v->key + (int32_t) ((u >> 63) << 11);
}

/* One block of the log8 fast path.  The register is modelled in an int64
 * without wrapping (|acc| < 2^37 + 4096·2^49 < 2^62); if any partial sum
 * leaves the 38-bit range or any element is not a plain log8 value, the
 * block is rejected and the caller redoes it with the reference. */
static bool
elma8_fast_block (const elma_tables *t, const double *qa, const double *qb, size_t n,
                  int64_t *acc_io)
{
  int64_t acc = *acc_io;
  uint64_t out = 0;
  uint32_t bad = 0;

  for (size_t i = 0; i < n; i++)
    {
      int32_t k = e8_key (t, qa[i], &bad) + e8_key (t, qb[i], &bad);
      acc += t->prod[k & (E8_PROD_N - 1)];
      out |= (uint64_t) (acc + ((int64_t) 1 << 37)) >> 38;
    }
  if (out | bad)
    return false;
  *acc_io = acc;
  return true;
}

/* For code-level kernels (dot-kernels.c): the log8 fast path's pieces.  An
 * operand is held as its key (e8_key: nonzero values L + 192 with the sign in
 * bit 11, zero 900); two keys add into a product index whose low 12 bits
 * select the register increment (_bs_elma8_products, E8_PROD_N entries; NULL
 * when the fast path is unavailable).  _bs_elma8_output is the output code of
 * a register content (elma8_output). */
int32_t _bs_elma8_key (double x, bool *bad);
const int64_t *_bs_elma8_products (void);
uint32_t _bs_elma8_output (int64_t acc, bool overflow, bool ovf_neg);

int32_t
_bs_elma8_key (double x, bool *bad)
{
  uint32_t b = 0;
  int32_t key = e8_key (get_etab (), x, &b);

  *bad = b != 0;
  return key;
}

const int64_t *
_bs_elma8_products (void)
{
  const elma_tables *t = get_etab ();

  return t->fast_ok ? t->prod : NULL;
}

uint32_t
_bs_elma8_output (int64_t acc, bool overflow, bool ovf_neg)
{
  const elma_cfg c8 = { 4, 5, 5, 7, 38, -24, p8, q8 };
  const elma_reg r = { acc, overflow, ovf_neg, false };

  return elma8_output (&c8, &r);
}

/* ELMA dot product: see the file comment.  qa, qb must be values of the
 * format at unit scale (zero, NaN and ±inf allowed; anything else is an
 * error); r->value is the register (exact; after an overflow, its wrapped
 * content), r->rounded its conversion into the format (±max after an
 * overflow), r->overflow the sticky flag.  NaN or ±inf anywhere makes value
 * and rounded NaN.  log8 runs a table-driven fast path in blocks; a block
 * that overflows or meets a special value is redone by the reference. */
int
_bs_log_dot_elma (const bs_format *f, const double *qa, const double *qb, size_t n,
                  bs_dot_result *r, char *err, size_t errlen)
{
  elma_cfg c;
  elma_reg reg = { 0 };
  const elma_tables *t = get_etab ();
  const bool fast = f->p.log.tapered && t->fast_ok;
  uint32_t code;

  if (elma_cfg_of (f, &c) < 0)
    return _bs_fail (err, errlen, "ELMA is defined for log8 and log16, not %s", f->name);

  for (size_t base = 0; base < n; base += E8_BLOCK)
    {
      size_t m = n - base < E8_BLOCK ? n - base : E8_BLOCK;
      int64_t acc = (int64_t) reg.acc;

      if (fast && !reg.nan && elma8_fast_block (t, qa + base, qb + base, m, &acc))
        reg.acc = acc;
      else if (elma_ref (f, &c, qa + base, qb + base, m, base, &reg, err, errlen) < 0)
        return -1;
    }

  r->acc = BS_ACC_ELMA;
  r->overflow = reg.overflow;
  if (reg.nan)
    {
      r->value = NAN;
      r->rounded = NAN;
      return 0;
    }
  r->value = ldexp ((double) reg.acc, c.lsb);      /* ≤ 49 bits: exact */
  code = f->p.log.tapered ? elma8_output (&c, &reg) : elma16_output (&c, &reg);
  r->rounded = bs_format_decode (f, code);
  return 0;
}

/* Exact products ------------------------------------------------------------ */

/* The exact sum S of the Kulisch register k, whose nearest double is v,
 * rounded into f: decided on v when both neighbours of v round alike, else
 * against the threshold between the two candidates, using S - v from the
 * register and the boundary in double-double.  An irrational boundary is
 * decided wrongly only if S agrees with it to about 100 bits. */
static double
kulisch_round (const bs_format *f, bs_kulisch *k, double v)
{
  const int F = _bs_log_frac_bits (f);
  double lo, hi, res, mlo, mhi, s, av, ares, bh, bl, d, m;
  int cmp;

  if (!isfinite (v) || v == 0.0)
    return bs_format_round (f, v);
  lo = bs_format_round (f, nextafter (v, -INFINITY));
  hi = bs_format_round (f, nextafter (v, INFINITY));
  if (lo == hi && signbit (lo) == signbit (hi))
    return lo;

  bs_kulisch_add (k, -v);           /* S - v, exact in the register */
  res = bs_kulisch_value (k);
  bs_kulisch_add (k, v);

  s = v < 0 ? -1.0 : 1.0;
  av = fabs (v);
  ares = s * res;
  mlo = fmin (fabs (lo), fabs (hi));
  mhi = fmax (fabs (lo), fabs (hi));
  if (mlo == 0.0)
    {
      bh = f->min_pos;              /* the flush threshold, a power of two */
      bl = 0.0;
    }
  else
    {
      bool n1, n2;
      int32_t L1 = 0, L2 = 0;
      int t, e, j;

      _bs_log_split (f, mlo, &n1, &L1);
      _bs_log_split (f, mhi, &n2, &L2);
      t = L1 + L2;                  /* log midpoint, units of 2^-(F+1) */
      e = floor_shift (t, F + 1);
      j = t - e * (1 << (F + 1));
      _bs_log_exp2_dd (j << (13 - F), &bh, &bl);
      bh = ldexp (bh, e);
      bl = ldexp (bl, e);
    }

  d = av - bh;                      /* exact: av and bh are within a few ulps */
  if (bl == 0.0)
    cmp = d != 0.0 ? (d > 0) - (d < 0) : (ares > 0) - (ares < 0);
  else
    {
      double x = d + (ares - bl);
      cmp = (x > 0) - (x < 0);
    }

  if (cmp > 0)
    m = mhi;
  else if (cmp < 0)
    m = mlo;
  else
    {
      /* exactly on a power-of-two midpoint: the even code */
      uint32_t c1 = bs_format_encode (f, mlo);
      m = (c1 & 1u) ? mhi : mlo;
    }
  return bs_format_round (f, s * m);
}

/* The log dot product with exact products: La + Lb exactly, each product
 * 2^((La+Lb)/2^F) correctly rounded to a double (it is irrational unless
 * 2^F divides La + Lb), summed exactly in a Kulisch register, rounded once
 * into the format.  Elements that are not values of the format (e.g. scaled
 * ones) contribute their exact double product instead. */
int
_bs_log_dot_kulisch (const bs_format *f, const double *qa, const double *qb, size_t n,
                     bs_dot_result *r, char *err, size_t errlen)
{
  const int F = _bs_log_frac_bits (f);
  bs_kulisch *k = bs_kulisch_new (-1074, 1100);

  if (!k)
    return _bs_fail (err, errlen, "out of memory");
  for (size_t i = 0; i < n; i++)
    {
      bool na = false, nb = false;
      int32_t La = 0, Lb = 0;
      int ka = _bs_log_split (f, qa[i], &na, &La);
      int kb = _bs_log_split (f, qb[i], &nb, &Lb);

      if (ka == -1 || kb == -1)
        bs_kulisch_add (k, NAN);
      else if (ka == 0 || kb == 0)
        continue;
      else if (ka == 1 && kb == 1)
        {
          int L = La + Lb, e = floor_shift (L, F);
          double hi, lo, p;

          _bs_log_exp2_dd ((L - e * (1 << F)) << (14 - F), &hi, &lo);
          p = ldexp (hi, e);
          bs_kulisch_add (k, na != nb ? -p : p);
        }
      else
        bs_kulisch_add_product (k, qa[i], qb[i]);
    }
  r->acc = BS_ACC_KULISCH;
  r->value = bs_kulisch_value (k);
  r->overflow = bs_kulisch_overflowed (k);
  r->rounded = kulisch_round (f, k, r->value);
  bs_kulisch_free (k);
  return 0;
}
