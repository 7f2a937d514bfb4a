/* posit.c — posits posit<N>_<ES>, N = 2..32, ES = 0..4, with the rounding of
 * the Posit Standard (2022), and the quire.
 *
 * A code is an N-bit two's complement word.  0 is zero, 100…0 is NaR (Not a
 * Real); a negative code is the negation of the code of its magnitude.  The
 * bits of a positive code after the sign are: the regime, a run of k equal
 * bits ended by the opposite bit or by the end of the word (r = k - 1 for a
 * run of ones, r = -k for a run of zeros); then ES exponent bits e (those cut
 * off by the end of the word count as 0); then the fraction f.  The value is
 * 2^(r·2^ES + e) · (1.f).  maxpos = 2^((N-2)·2^ES), minpos = 1 / maxpos.
 *
 * The standard fixes ES = 2; older drafts used posit(8,0), (16,1), (32,2).
 * Every ES here follows the same rules.
 */
#include "bs-format-private.h"

#include <float.h>
#include <stdatomic.h>
#include <stdlib.h>

#define POSIT_MIN_N  2
#define POSIT_MAX_N  32
#define POSIT_MAX_ES 4

/* Every posit of N ≤ 32, ES ≤ 4 is a double: at most N - 3 = 29 fraction
 * bits, and scales within ±(N-2)·2^ES = ±480.  The quire's content, whose
 * bits span minpos² … 2^31·maxpos², has scales within ±(2·480 + 31), so
 * converting it to a double never overflows nor goes subnormal. */
_Static_assert (POSIT_MAX_N - 3 <= DBL_MANT_DIG - 1, "posit fractions fit a double");
_Static_assert (2 * ((POSIT_MAX_N - 2) << POSIT_MAX_ES) + 31 < DBL_MAX_EXP - 1,
                "quire contents fit a double's exponent range");
_Static_assert (-2 * ((POSIT_MAX_N - 2) << POSIT_MAX_ES) >= DBL_MIN_EXP - 1,
                "minpos² is a normal double");

/* Fields of a format and of a code, through macros: a code is just bits. */
#define P_N(f)        ((f)->p.posit.n)
#define P_ES(f)       ((f)->p.posit.es)
#define P_MASK(n)     ((n) >= 32 ? 0xffffffffu : (1u << (n)) - 1u)
#define P_NAR(n)      (1u << ((n) - 1))
#define P_MAXPOS(n)   (P_NAR (n) - 1u)
/* maxpos = 2^P_MAXSCALE */
#define P_MAXSCALE(n, es) (((n) - 2) << (es))

static inline int
clz64 (uint64_t x)
{
#if defined(__GNUC__)
  return x ? __builtin_clzll (x) : 64;
#else
  int k = 0;
  if (!x)
    return 64;
  while (!(x >> 63))
    x <<= 1, k++;
  return k;
#endif
}

static inline int
ctz64 (uint64_t x)
{
#if defined(__GNUC__)
  return x ? __builtin_ctzll (x) : 64;
#else
  int k = 0;
  if (!x)
    return 64;
  while (!(x & 1))
    x >>= 1, k++;
  return k;
#endif
}

/* floor (a / 2^k) for any sign of a, without relying on >> of negatives. */
static inline int
floor_shift (int a, int k)
{
  return a >= 0 ? a >> k : -((-a + (1 << k) - 1) >> k);
}

/* The rounding choke point ----------------------------------------------------
 * The magnitude sig · 2^(scale - 63), with sig's top bit set, is written as its
 * posit bit string after the sign — regime, ES exponent bits, the fraction
 * (sig without its hidden bit) — which is then cut to N-1 bits and rounded to
 * nearest, ties to the even bit pattern, from the first dropped bit (guard)
 * and all later ones (sticky, which also takes `sticky_in`: nonzero bits of
 * the magnitude below sig).  This is the standard's rule: the decision point
 * between two neighbouring codes is the (N+1)-bit posit between them, which is
 * the arithmetic mean when the guard bit is a fraction bit, and a geometric
 * mean when it is an exponent or regime bit.  A magnitude at or above maxpos
 * gives maxpos, one below minpos gives minpos: a nonzero real never becomes 0
 * nor NaR.  The sign is applied by two's complement negation.  Integer
 * arithmetic only: no dependence on the FP environment. */
static uint32_t
posit_round_pack (int n, int es, bool neg, int scale, uint64_t sig, bool sticky_in)
{
  const int ms = P_MAXSCALE (n, es);
  uint32_t mag;

  if (scale >= ms)
    mag = P_MAXPOS (n);
  else if (scale < -ms)
    mag = 1u;
  else
    {
      /* scale ∈ [-ms, ms): r ∈ [-(N-2), N-3], so the regime and its
       * terminator fit in the N-1 bits (rl ≤ N-1) and the prefix in 35 bits */
      int r = floor_shift (scale, es);
      int e = scale - r * (1 << es);
      int rl = r >= 0 ? r + 2 : 1 - r;
      int len = rl + es;
      uint64_t regime = r >= 0 ? ((UINT64_C (1) << (r + 1)) - 1u) << 1 : 1u;
      uint64_t prefix = (regime << es) | (uint64_t) e;
      uint64_t frac = sig << 1;                 /* 63 fraction bits, left-aligned */
      uint64_t w = (prefix << (64 - len)) | (frac >> len);
      bool sticky = sticky_in || (frac << (64 - len)) != 0;
      uint64_t guard;

      mag = (uint32_t) (w >> (65 - n));          /* top N-1 bits */
      guard = (w >> (64 - n)) & 1u;
      sticky = sticky || (w & ((UINT64_C (1) << (64 - n)) - 1u)) != 0;
      if (guard && (sticky || (mag & 1u)))
        mag += 1u;                               /* never past maxpos: see above */
    }
  return neg ? (0u - mag) & P_MASK (n) : mag;
}

/* Code of a double: NaN and ±inf give NaR, ±0 gives 0, anything else is
 * rounded once by posit_round_pack (exact significand, no sticky). */
static uint32_t
posit_encode_double (int n, int es, double x)
{
  double m;
  int e;

  if (!isfinite (x))
    return P_NAR (n);
  if (x == 0.0)
    return 0u;
  m = frexp (fabs (x), &e);                      /* |x| = m · 2^e, m ∈ [0.5, 1) */
  return posit_round_pack (n, es, signbit (x) != 0, e - 1, (uint64_t) ldexp (m, 64), false);
}

/* Value of a code: exact (see the static assertions).  NaR gives NaN. */
static double
posit_decode_code (int n, int es, uint32_t code)
{
  uint32_t c = code & P_MASK (n);
  uint64_t w, rest;
  bool neg;
  int first, run, r, e = 0;
  double v;

  if (c == 0)
    return 0.0;
  if (c == P_NAR (n))
    return NAN;
  neg = (c >> (n - 1)) & 1u;
  if (neg)
    c = (0u - c) & P_MASK (n);
  w = (uint64_t) c << (65 - n);                  /* the N-1 bits after the sign */
  first = (int) (w >> 63);
  run = first ? clz64 (~w) : clz64 (w);          /* ≤ N-1: zeros pad the word */
  if (run > n - 1)
    run = n - 1;
  r = first ? run - 1 : -run;
  rest = run + 1 < 64 ? w << (run + 1) : 0;      /* after the terminator */
  if (es > 0)
    {
      e = (int) (rest >> (64 - es));
      rest <<= es;
    }
  /* rest now holds the fraction bits, left-aligned (≤ 29 of them) */
  v = ldexp (1.0 + ldexp ((double) (rest >> 11), -53), r * (1 << es) + e);
  return neg ? -v : v;
}

static double
posit_round_double (int n, int es, double x)
{
  return posit_decode_code (n, es, posit_encode_double (n, es, x));
}

/* Fast kernel ------------------------------------------------------------------
 * Within one float binade [2^s, 2^(s+1)) every posit has the same regime and
 * exponent, hence the same number fb of fraction bits.  So a table indexed by
 * the float's exponent field says what to do:
 *  - fb ≥ 1: round the float mantissa to fb bits, nearest even, by an integer
 *    add on the bit pattern (a carry into the exponent field gives 2^(s+1),
 *    which is the next posit); fb ≥ 23 leaves the float unchanged;
 *  - fb = 0: the same with 0 mantissa bits, the tie going to 2^(s+1) iff the
 *    code of 2^s is odd (ties to the even code);
 *  - fb < 0 (exponent bits cut off), beyond maxpos, below minpos, inf/NaN:
 *    no posit lies inside the binade, so the result is one of two values, lo
 *    below a threshold and hi from it on; the table holds both (already cast
 *    to float) and the threshold, all found with the reference rounding.
 * One formula covers all: ((a + add + (lsb & lsbm | odd)) & keep) + (a ≥ thr ?
 * hi : lo), with keep = 0 and add = 0 in the third case and lo = hi = 0 in the
 * first two.  A result above FLT_MAX becomes inf, like the (float) cast of the
 * reference.  Zero and subnormal floats take the reference path.
 * The tables are built once per format, lazily, and published atomically. */

typedef struct {
  uint32_t add, sh, lsbm, odd, keep, thr, lo, hi;
} binade_entry;

typedef struct {
  binade_entry e[256];
} binade_table;

/* The float bits of (float) reference(x), x ≥ 0 a float. */
static uint32_t
ref_bits (int n, int es, uint32_t a)
{
  return f2u ((float) posit_round_double (n, es, (double) u2f (a)));
}

static binade_table *
build_table (int n, int es)
{
  binade_table *t = calloc (1, sizeof *t);
  const int ms = P_MAXSCALE (n, es);

  if (!t)
    return NULL;
  for (uint32_t ef = 1; ef < 256; ef++)
    {
      binade_entry *b = &t->e[ef];
      int s = (int) ef - 127;
      uint32_t first = ef << 23, last = first | 0x7fffffu;
      int fb = -1;

      if (ef < 255 && s >= -ms && s < ms)
        {
          int r = floor_shift (s, es);
          int rl = r >= 0 ? r + 2 : 1 - r;
          fb = n - 1 - rl - es;
        }
      if (fb >= 0)
        {
          uint32_t sh = fb >= 23 ? 0u : (uint32_t) (23 - fb);
          b->sh = sh;
          b->add = sh ? (1u << (sh - 1)) - 1u : 0u;
          b->lsbm = (fb >= 1 && sh) ? 1u : 0u;
          b->odd = fb == 0 ? posit_encode_double (n, es, ldexp (1.0, s)) & 1u : 0u;
          b->keep = ~((1u << sh) - 1u) & 0x7fffffffu;
          b->thr = 0;
          b->lo = b->hi = 0;
        }
      else if (ef == 255)
        {
          b->keep = 0;
          b->thr = 0;
          b->lo = b->hi = f2u (NAN);   /* inf and NaN become NaR */
        }
      else
        {
          uint32_t lo = ref_bits (n, es, first), hi = ref_bits (n, es, last);
          uint32_t a = first, z = last;  /* ref(a) == lo; find the first with hi */

          b->keep = 0;
          b->lo = lo;
          b->hi = hi;
          if (lo == hi)
            b->thr = 0;
          else
            {
              while (z - a > 1)
                {
                  uint32_t m = a + (z - a) / 2;
                  if (ref_bits (n, es, m) == lo)
                    a = m;
                  else
                    z = m;
                }
              b->thr = z;
            }
        }
    }
  return t;
}

static _Atomic (binade_table *) table_cache[POSIT_MAX_N + 1][POSIT_MAX_ES + 1];

/* The table of a format, built on first use.  Racing threads may each build
 * one; the first published wins and the others are freed.  NULL only when out
 * of memory (the caller then falls back to the reference). */
static const binade_table *
get_table (int n, int es)
{
  binade_table *t = atomic_load_explicit (&table_cache[n][es], memory_order_acquire);
  binade_table *expected = NULL;

  if (t)
    return t;
  t = build_table (n, es);
  if (!t)
    return NULL;
  if (!atomic_compare_exchange_strong_explicit (&table_cache[n][es], &expected, t,
                                                memory_order_acq_rel, memory_order_acquire))
    {
      free (t);
      t = expected;
    }
  return t;
}

static void
posit_quantize_unit (const bs_format *f, const float *in, float *out, size_t count)
{
  const int n = P_N (f), es = P_ES (f);
  const binade_table *t = get_table (n, es);

  if (!t)
    {
      for (size_t i = 0; i < count; i++)
        out[i] = (float) posit_round_double (n, es, in[i]);
      return;
    }
  for (size_t i = 0; i < count; i++)
    {
      uint32_t u = f2u (in[i]);
      uint32_t s = u & 0x80000000u, a = u ^ s;
      uint32_t ef = a >> 23;
      const binade_entry *b = &t->e[ef];
      uint32_t r;

      if (ef == 0)
        {
          /* zero (→ +0: posits have one zero) and subnormal floats */
          out[i] = (float) posit_round_double (n, es, in[i]);
          continue;
        }
      r = ((a + b->add + (((a >> b->sh) & b->lsbm) | b->odd)) & b->keep)
          + (a >= b->thr ? b->hi : b->lo);
      out[i] = u2f (s | r);
    }
}

/* Traits ---------------------------------------------------------------------- */

static int
posit_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  int n, es;

  if (!_bs_parse_two_ints (name, "posit", "_", &n, &es))
    {
      if (_bs_parse_int_suffix (name, "posit", &n))
        return _bs_fail (err, errlen,
                         "format '%s': posits are named posit<N>_<ES> (the 2022 standard's "
                         "posit%d is posit%d_2)", name, n, n);
      return 0;
    }
  if (n < POSIT_MIN_N || n > POSIT_MAX_N || es > POSIT_MAX_ES)
    return _bs_fail (err, errlen, "format '%s': posit<N>_<ES> needs %d ≤ N ≤ %d and 0 ≤ ES ≤ %d",
                     name, POSIT_MIN_N, POSIT_MAX_N, POSIT_MAX_ES);
  f->p.posit.n = n;
  f->p.posit.es = es;
  f->bits = n;
  f->block = 0;
  f->max = ldexp (1.0, P_MAXSCALE (n, es));
  f->min_pos = ldexp (1.0, -P_MAXSCALE (n, es));
  return 1;
}

static double
posit_decode (const bs_format *f, uint32_t code)
{
  return posit_decode_code (P_N (f), P_ES (f), code);
}

static uint32_t
posit_encode (const bs_format *f, double x)
{
  return posit_encode_double (P_N (f), P_ES (f), x);
}

/* Quire geometry, from the lsb up: 2·maxscale fraction bits (lsb = minpos²),
 * 2·maxscale + 1 integer bits (up to maxpos²), 30 carry bits and the sign:
 * 4·maxscale + 32 bits, so that 2^31 - 1 products maxpos² still fit (the
 * standard's quire sum limit).  For ES = 2 that is exactly the standard's
 * 16·N bits.  For ES < 2 we keep the standard's 16·N bits (more than the
 * range needs: the extra bits are more carry bits); for ES > 2, where 16·N
 * bits would not even hold maxpos², the quire is sized from the range. */
static int
quire_bits (int n, int es)
{
  int need = 4 * P_MAXSCALE (n, es) + 32;
  return need > 16 * n ? need : 16 * n;
}

static void
posit_describe (const bs_format *f, char *buf, size_t len)
{
  const int n = P_N (f), es = P_ES (f), ms = P_MAXSCALE (n, es);

  snprintf (buf, len,
            "posit, n = %d, es = %d: maxpos = 2^%d (%.6g), minpos = 2^%d (%.6g), "
            "NaR = 0x%0*x (NaN), %d-bit quire",
            n, es, ms, ldexp (1.0, ms), -ms, ldexp (1.0, -ms), (n + 3) / 4, P_NAR (n),
            quire_bits (n, es));
}

/* The quire ---------------------------------------------------------------------
 * A two's complement integer of Q = quire_bits() bits counting units of
 * minpos², held in 64-bit limbs with at least 64 bits of headroom above bit
 * Q-1 so that one addition cannot wrap the storage; after each addition the
 * content is checked against the Q-bit range and, if outside, wrapped to Q
 * bits (as the register would) with the overflow flag set. */

#define QUIRE_MAX_LIMBS (((4 * (POSIT_MAX_N - 2) << POSIT_MAX_ES) + 32) / 64 + 2)

typedef struct {
  int qbits, lsb, limbs;
  bool nar, overflow;
  uint64_t w[QUIRE_MAX_LIMBS];
} quire;

/* |x| = m · 2^e with m odd (x finite, nonzero). */
static void
split_double (double x, uint64_t *m, int *e)
{
  int ex, tz;
  uint64_t v = (uint64_t) ldexp (frexp (fabs (x), &ex), 53);

  tz = ctz64 (v);
  *m = v >> tz;
  *e = ex - 53 + tz;
}

/* Add (or subtract, if neg) v · 2^p units to the limbs, p ≥ 0. */
static void
quire_add_shifted (quire *q, uint64_t v, int p, bool neg)
{
  int k = p / 64, off = p % 64;
  uint64_t part[2] = { v << off, off ? v >> (64 - off) : 0 };
  uint64_t carry = 0;

  for (int i = k; i < q->limbs; i++)
    {
      uint64_t add = i - k < 2 ? part[i - k] : 0;
      uint64_t old = q->w[i], nw;

      if (i - k >= 2 && carry == 0)
        break;
      if (!neg)
        {
          nw = old + add;
          uint64_t c1 = nw < old;
          nw += carry;
          carry = c1 | (nw < carry);
        }
      else
        {
          nw = old - add;
          uint64_t b1 = old < add;
          uint64_t b2 = nw < carry;
          nw -= carry;
          carry = b1 | b2;
        }
      q->w[i] = nw;
    }
}

/* Check the content against the Q-bit range; wrap it if outside. */
static void
quire_check_range (quire *q)
{
  int h = (q->qbits - 1) / 64, b = (q->qbits - 1) % 64;
  uint64_t top = q->w[h] >> b;                  /* bit Q-1 and those above it */
  uint64_t ones = ~UINT64_C (0) >> b;
  bool fits = (top == 0 && q->w[h + 1] == 0) || (top == ones && q->w[h + 1] == ~UINT64_C (0));

  if (fits)
    return;
  q->overflow = true;
  if ((top & 1u) != 0)
    {
      q->w[h] |= ~UINT64_C (0) << b;
      q->w[h + 1] = ~UINT64_C (0);
    }
  else
    {
      q->w[h] &= b == 63 ? ~UINT64_C (0) : ~(~UINT64_C (0) << (b + 1));
      q->w[h + 1] = 0;
    }
}

/* Round sig · 2^(scale-63) (top bit set, sticky for lower bits) to the
 * nearest double, ties to even; in range by the static assertions. */
static double
round_to_double (bool neg, int scale, uint64_t sig, bool sticky)
{
  uint64_t keep = sig >> 11, guard = (sig >> 10) & 1u;
  bool below = sticky || (sig & 0x3ffu) != 0;
  double v;

  if (guard && (below || (keep & 1u)))
    keep += 1u;                                  /* 2^53 is fine: ldexp takes it */
  v = ldexp ((double) keep, scale - 52);
  return neg ? -v : v;
}

/* Σ qa[i]·qb[i] accumulated exactly in the quire; value = the content rounded
 * to nearest double, rounded = the content rounded once into the posit (by
 * posit_round_pack, from the exact quire).  qa and qb must be values of f (as
 * left by the reference quantizer): any operand with more than 32 significant
 * bits, or a product with bits below minpos², is refused (-1), since it could
 * not be exact.  NaN or inf (NaR) operands make the result NaN.  A product or
 * partial sum outside the quire's range (impossible for posits below 2^31
 * terms) wraps as in the register and sets overflow. */
int
_bs_posit_dot_quire (const bs_format *f, const double *qa, const double *qb, size_t count,
                     bs_dot_result *res, char *err, size_t errlen)
{
  quire q;
  int n, es, top = -1;
  bool neg = false;

  if (bs_format_family (f) != BS_FAMILY_POSIT)
    return _bs_fail (err, errlen, "format '%s': the quire is for posits only", f->name);
  n = P_N (f);
  es = P_ES (f);
  memset (&q, 0, sizeof q);
  q.qbits = quire_bits (n, es);
  q.lsb = -2 * P_MAXSCALE (n, es);
  q.limbs = (q.qbits - 1) / 64 + 2;

  for (size_t i = 0; i < count; i++)
    {
      double a = qa[i], b = qb[i];
      uint64_t ma, mb, prod;
      int ea, eb, p, width;

      if (!isfinite (a) || !isfinite (b))
        {
          q.nar = true;
          continue;
        }
      if (a == 0.0 || b == 0.0)
        continue;
      split_double (a, &ma, &ea);
      split_double (b, &mb, &eb);
      if (64 - clz64 (ma) > 32 || 64 - clz64 (mb) > 32)
        return _bs_fail (err, errlen,
                         "quire: operand %.17g is not a %s value (the quire takes unscaled "
                         "posits)", 64 - clz64 (ma) > 32 ? a : b, f->name);
      prod = ma * mb;
      p = ea + eb - q.lsb;
      if (p < 0)
        return _bs_fail (err, errlen,
                         "quire: %.17g · %.17g is finer than minpos² of %s (operands are not "
                         "unscaled posits)", a, b, f->name);
      width = 64 - clz64 (prod);
      if (p + width > q.qbits - 1)
        q.overflow = true;                        /* the product alone is out of range */
      if (p < 64 * q.limbs)
        quire_add_shifted (&q, prod, p, signbit (a) != signbit (b));
      quire_check_range (&q);
    }

  res->acc = BS_ACC_QUIRE;
  res->overflow = q.overflow;
  if (q.nar)
    {
      res->value = res->rounded = NAN;
      return 0;
    }

  /* magnitude and sign of the content */
  if (q.w[q.limbs - 1] >> 63)
    {
      uint64_t carry = 1;
      neg = true;
      for (int i = 0; i < q.limbs; i++)
        {
          q.w[i] = ~q.w[i] + carry;
          carry = carry && q.w[i] == 0;
        }
    }
  for (int i = q.limbs - 1; i >= 0 && top < 0; i--)
    if (q.w[i])
      top = 64 * i + 63 - clz64 (q.w[i]);
  if (top < 0)
    {
      res->value = res->rounded = 0.0;
      return 0;
    }

  {
    /* the 64 bits from `top` down, and whether anything is below them */
    int k = top / 64, off = top % 64;
    uint64_t sig = off == 63 ? q.w[k] : q.w[k] << (63 - off);
    bool sticky = false;
    int scale = top + q.lsb;

    if (off != 63 && k > 0)
      sig |= q.w[k - 1] >> (off + 1);
    if (off != 63)
      sticky = k > 0 && (q.w[k - 1] << (63 - off)) != 0;
    else
      sticky = k > 0 && q.w[k - 1] != 0;
    for (int i = k - 2; i >= 0 && !sticky; i--)
      sticky = q.w[i] != 0;

    res->value = round_to_double (neg, scale, sig, sticky);
    res->rounded = posit_decode_code (n, es, posit_round_pack (n, es, neg, scale, sig, sticky));
  }
  return 0;
}

const bs_format_traits _bs_posit_traits = {
  .family = BS_FAMILY_POSIT,
  .pattern = "posit<N>_<ES>",
  .summary = "posit (2022 standard rounding): N bits, ES exponent bits, NaR = 100…0, quire",
  .exact_acc = BS_ACC_QUIRE,
  .parse = posit_parse,
  .decode = posit_decode,
  .encode = posit_encode,
  .quantize_unit = posit_quantize_unit,
  .describe = posit_describe,
};
