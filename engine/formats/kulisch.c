/* kulisch.c — the Kulisch accumulator: an exact fixed-point register for sums
 * of doubles and of exact products of two doubles.
 *
 * The register is a two's complement integer K in 64-bit limbs (limb 0 least
 * significant) whose bit 0 weighs 2^lsb; the nominal range is
 * -2^width ≤ K < 2^width with width = msb - lsb, i.e. bits for 2^lsb …
 * 2^(msb-1) plus a sign.  The storage has guard limbs above that, so the
 * content stays exact when a sum leaves the nominal range (which
 * bs_kulisch_overflowed reports); exhausting them would take 2^63 terms.
 *
 * Limbs are materialized lazily: limb[0..top] are explicit and everything
 * above is the sign extension of limb[top].  top is kept at least one limb
 * above the three limbs any term so far has touched, so limb[top] only ever
 * receives carries and borrows (±1 each): read as a signed 64-bit number it
 * cannot overflow before 2^63 terms, and its sign bit stays the sign of the
 * content.  A carry that leaves limb[top] is the one that would run through
 * the implicit extension, and is dropped.  So clearing is O(1), and a term
 * costs three limb additions plus a ripple that goes only as far as the
 * content's own width (it is long only when the sum changes sign).
 */
#include "bs-format-private.h"

#include <float.h>
#include <stdlib.h>

__extension__ typedef unsigned __int128 u128;

#define FRAC_MASK  0xfffffffffffffull
#define HIDDEN_BIT (1ull << 52)

/* Out of the fast path's way (keeps its registers free). */
#define COLD __attribute__ ((noinline, cold))

/* Storage limits: enough for any exponent range of doubles, many times over. */
#define MAX_WIDTH  (1 << 20)
#define MAX_EXP    (1 << 22)

struct bs_kulisch {
  int lsb, msb;
  int width;       /* msb - lsb: magnitude bits; bit `width` is the sign */
  int nlimbs;      /* allocated limbs */
  int top;         /* highest explicit limb, -1 when the register is zero */
  bool overflow;   /* a term had a nonzero bit outside the register */
  bool nan, pinf, ninf;
  uint64_t limb[];
};

static inline int
clz128 (u128 p)
{
  uint64_t hi = (uint64_t) (p >> 64);
  return hi ? __builtin_clzll (hi) : 64 + __builtin_clzll ((uint64_t) p);
}

static inline int
ctz128 (u128 p)
{
  uint64_t lo = (uint64_t) p;
  return lo ? __builtin_ctzll (lo) : 64 + __builtin_ctzll ((uint64_t) (p >> 64));
}

bs_kulisch *
bs_kulisch_new (int lsb, int msb)
{
  bs_kulisch *k;
  int width, nlimbs;

  if (lsb < -MAX_EXP || msb > MAX_EXP || msb <= lsb || msb - lsb > MAX_WIDTH)
    return NULL;
  width = msb - lsb;
  /* a term's highest bit is at most width-1, so its three-limb window starts
   * at limb (width-1)/64 or below, and one limb above it takes the carries */
  nlimbs = ((width - 1) >> 6) + 4;
  k = malloc (sizeof *k + (size_t) nlimbs * sizeof k->limb[0]);
  if (!k)
    return NULL;
  k->lsb = lsb;
  k->msb = msb;
  k->width = width;
  k->nlimbs = nlimbs;
  bs_kulisch_clear (k);
  return k;
}

/* Register for products of two values of f, plus carry_bits of headroom
 * (2^carry_bits maximal products).  lsb is twice the exponent of the lowest
 * bit any value can have, msb twice (exponent of the largest magnitude + 1):
 *  - float, fixed, binary, ternary, posit: every value is a multiple of
 *    min_pos (a power of two), the largest magnitude is max;
 *  - int<N>: the largest magnitude is 2^(N-1) (the code -2^(N-1));
 *  - fixed<Q>: -1 is a value, so the largest magnitude is 1;
 *  - log: values are doubles near 2^(e + f/2^k), with 53 significant bits;
 *  - block formats and kmeans (values scaled per block, or centroids): any
 *    double, so the range of products of doubles, 2^-2148 … 2^2048. */
bs_kulisch *
bs_kulisch_new_for_format (const bs_format *f, int carry_bits)
{
  int lo, hi;

  if (carry_bits < 0 || carry_bits > 4096)
    return NULL;
  switch (bs_format_family (f))
    {
    case BS_FAMILY_INT:
      lo = 0;
      hi = f->p.integer.n;
      break;
    case BS_FAMILY_FIXED:
      lo = ilogb (f->min_pos);
      hi = 1;
      break;
    case BS_FAMILY_FLOAT:
    case BS_FAMILY_BINARY:
    case BS_FAMILY_TERNARY:
    case BS_FAMILY_POSIT:
      lo = ilogb (f->min_pos);
      if (ldexp (1.0, lo) != f->min_pos)
        lo -= 52;        /* not a power of two: allow a full double significand */
      hi = ilogb (f->max) + 1;
      break;
    case BS_FAMILY_LOG:
      lo = ilogb (f->min_pos) - 52;
      hi = ilogb (f->max) + 1;
      break;
    default:
      lo = -1074;
      hi = 1024;
      break;
    }
  return bs_kulisch_new (2 * lo, 2 * hi + carry_bits);
}

void
bs_kulisch_free (bs_kulisch *k)
{
  free (k);
}

void
bs_kulisch_clear (bs_kulisch *k)
{
  k->top = -1;
  k->overflow = k->nan = k->pinf = k->ninf = false;
}

int
bs_kulisch_lsb (const bs_kulisch *k)
{
  return k->lsb;
}

int
bs_kulisch_msb (const bs_kulisch *k)
{
  return k->msb;
}

/* Materialize limbs top+1 … need as sign extension of the content. */
static COLD void
extend (bs_kulisch *k, int need)
{
  uint64_t ext = k->top < 0 ? 0 : (uint64_t) -(k->limb[k->top] >> 63);

  for (int i = k->top + 1; i <= need; i++)
    k->limb[i] = ext;
  k->top = need;
}

static COLD int
range_error (bs_kulisch *k)
{
  k->overflow = true;
  return -1;
}

/* Carry (c = 1) or borrow (c = -1) into limbs from..top.  It stops at top,
 * whose sign bit stands for all the limbs above (see the file comment). */
static COLD void
ripple (bs_kulisch *k, int from, int c)
{
  if (c > 0)
    for (int i = from; i <= k->top && ++k->limb[i] == 0; i++)
      ;
  else
    for (int i = from; i <= k->top && k->limb[i]-- == 0; i++)
      ;
}

/* a + b + cin with its carry out (GCC and Clang make this an adc). */
static inline uint64_t
addc (uint64_t a, uint64_t b, uint64_t cin, uint64_t *cout)
{
  u128 t = (u128) a + b + cin;
  *cout = (uint64_t) (t >> 64);
  return (uint64_t) t;
}

/* Add (neg ? -p : p) · 2^(lsb + s), p = hi:lo, whose bits all lie inside the
 * register (0 ≤ s, s + bit length of p ≤ width).
 *
 * p · 2^s spans at most three limbs j, j+1, j+2 (p < 2^128 shifted by < 64).
 * A negative term is added as its two's complement: ~w + 1 on the three
 * limbs, and all ones (-1) on every limb above; so what the limbs above
 * receive is carry_out - neg ∈ {-1, 0, 1}, which is 0 unless the sum crosses
 * the window's edge.  No branch depends on the sign. */
static inline __attribute__ ((always_inline)) void
add_window (bs_kulisch *k, uint64_t neg, uint64_t lo, uint64_t hi, int s)
{
  int j = s >> 6, r = s & 63;
  uint64_t flip = (uint64_t) 0 - neg, w0, w1, w2, c0, c1, c2, *l;

  /* (hi:lo) << r over three words; x >> 1 >> (63 - r) is x >> (64 - r), and
   * 0 for r = 0, without a shift by 64 */
  w0 = (lo << r) ^ flip;
  w1 = ((hi << r) | (lo >> 1 >> (63 - r))) ^ flip;
  w2 = (hi >> 1 >> (63 - r)) ^ flip;

  if (__builtin_expect (k->top < j + 3, 0))
    extend (k, j + 3);

  l = k->limb + j;
  l[0] = addc (l[0], w0, neg, &c0);
  l[1] = addc (l[1], w1, c0, &c1);
  l[2] = addc (l[2], w2, c1, &c2);
  if (__builtin_expect (c2 != neg, 0))
    ripple (k, j + 3, (int) c2 - (int) neg);
}

/* Add (neg ? -p : p) · 2^e exactly, any p < 2^128.  Returns -1 without
 * touching the content if a nonzero bit of p falls outside 2^lsb … 2^(msb-1)
 * (zero bits below lsb are fine: p is shifted down first). */
static int
add_wide (bs_kulisch *k, uint64_t neg, u128 p, int e)
{
  int s = e - k->lsb;

  if (p == 0)
    return 0;
  if (s < 0)
    {
      if (-s >= 128 || ctz128 (p) < -s)
        return range_error (k);
      p >>= -s;
      s = 0;
    }
  if (s + (128 - clz128 (p)) > k->width)
    return range_error (k);
  add_window (k, neg, (uint64_t) p, (uint64_t) (p >> 64), s);
  return 0;
}

/* A double as integer significand m < 2^53 and exponent: |x| = m · 2^e, and
 * its sign bit.  Returns false for inf and NaN. */
static bool
split (double x, uint64_t *neg, uint64_t *m, int *e)
{
  uint64_t u, ef;

  memcpy (&u, &x, sizeof u);
  ef = (u >> 52) & 0x7ff;
  *neg = u >> 63;
  *m = (u & FRAC_MASK) | ((uint64_t) (ef != 0) << 52);   /* hidden bit */
  *e = (int) ef - 1075 + (ef == 0);                       /* subnormal: -1074 */
  return ef != 0x7ff;
}

/* NaN and inf are not register content: they set flags, and the value is
 * what IEEE addition of the terms would give (inf - inf = NaN). */
static void
poison (bs_kulisch *k, double v)
{
  if (isnan (v))
    k->nan = true;
  else if (v > 0)
    k->pinf = true;
  else
    k->ninf = true;
}

/* Add x exactly.  Returns 0; -1 (and the overflow flag) if a nonzero bit of
 * x lies outside the register, in which case x is not added at all.  NaN and
 * ±inf poison the register and return 0. */
int
bs_kulisch_add (bs_kulisch *k, double x)
{
  uint64_t neg, m;
  int e, z;

  if (!split (x, &neg, &m, &e))
    {
      poison (k, x);
      return 0;
    }
  if (m == 0)
    return 0;
  z = __builtin_ctzll (m);   /* lowest bit a one: see bs_kulisch_add_product */
  return add_wide (k, neg, m >> z, e + z);
}

/* Products with a zero, subnormal, inf or NaN operand. */
static COLD int
add_product_slow (bs_kulisch *k, double a, double b)
{
  uint64_t na, nb, ma, mb;
  int ea, eb;
  bool fa = split (a, &na, &ma, &ea), fb = split (b, &nb, &mb, &eb);

  if (!fa || !fb)
    {
      if (isnan (a) || isnan (b) || a == 0 || b == 0)
        k->nan = true;
      else
        poison (k, (na != nb) ? -INFINITY : INFINITY);
      return 0;
    }
  return add_wide (k, na ^ nb, (u128) ma * mb, ea + eb);
}

/* Add the exact product a·b (up to 106 significant bits).  Same contract as
 * bs_kulisch_add; inf·0 poisons with NaN.
 *
 * The fast path takes two normal operands.  Their significands are made odd
 * first (trailing zeros moved into the exponent), so the product's lowest bit
 * is a one: then "inside the register" is exactly s ≥ 0 and s + bit length ≤
 * width, and the few-bit significands of narrow formats land in place without
 * a detour. */
int
bs_kulisch_add_product (bs_kulisch *k, double a, double b)
{
  uint64_t ua, ub, ea, eb, ma, mb, lo, hi;
  int za, zb, e, s, len;
  u128 p;

  memcpy (&ua, &a, sizeof ua);
  memcpy (&ub, &b, sizeof ub);
  ea = (ua >> 52) & 0x7ff;
  eb = (ub >> 52) & 0x7ff;
  /* exponent field 0 (zero, subnormal) or 0x7ff (inf, NaN) */
  if (__builtin_expect (ea - 1 >= 0x7fe || eb - 1 >= 0x7fe, 0))
    return add_product_slow (k, a, b);

  ma = (ua & FRAC_MASK) | HIDDEN_BIT;
  mb = (ub & FRAC_MASK) | HIDDEN_BIT;
  za = __builtin_ctzll (ma);
  zb = __builtin_ctzll (mb);
  p = (u128) (ma >> za) * (mb >> zb);
  lo = (uint64_t) p;
  hi = (uint64_t) (p >> 64);
  e = (int) (ea + eb) - 2150 + za + zb;
  s = e - k->lsb;
  len = hi ? 128 - __builtin_clzll (hi) : 64 - __builtin_clzll (lo);   /* lo is odd */
  /* s < 0 or s + len > width, in one comparison */
  if (__builtin_expect ((uint64_t) (uint32_t) s + (uint64_t) len > (uint64_t) k->width, 0))
    return range_error (k);
  add_window (k, (ua ^ ub) >> 63, lo, hi, s);
  return 0;
}

/* Reading the content ------------------------------------------------------
 * The magnitude of a negative content -M is M = ~K + 1: below the lowest
 * nonzero limb `low` of K its limbs are 0, at `low` it is -K[low] (no carry
 * goes further), above it ~K[i].  So the magnitude is read limb by limb
 * without a copy. */
typedef struct {
  const bs_kulisch *k;
  bool neg;
  int low;   /* lowest nonzero limb (of K and of M alike) */
} mag_view;

static inline uint64_t
mag_limb (const mag_view *v, int i)
{
  uint64_t x;

  if (i < 0 || i > v->k->top)
    return 0;
  x = v->k->limb[i];
  if (!v->neg)
    return x;
  return i < v->low ? 0 : i == v->low ? -x : ~x;
}

/* Magnitude bits [from, from + count), from ≥ 0, 1 ≤ count ≤ 64. */
static uint64_t
mag_field (const mag_view *v, int from, int count)
{
  int i = from >> 6, r = from & 63;
  uint64_t x = mag_limb (v, i) >> r;

  if (r)
    x |= mag_limb (v, i + 1) << (64 - r);
  return count == 64 ? x : x & ((1ull << count) - 1u);
}

/* Is any magnitude bit below position pos set? */
static bool
mag_sticky (const mag_view *v, int pos)
{
  int i, r;

  if (pos <= 0)
    return false;
  i = pos >> 6;
  r = pos & 63;
  if (v->low < i)
    return true;
  return v->low == i && r && (mag_limb (v, i) & ((1ull << r) - 1u));
}

/* Round the content to double: to nearest even (odd = false) or to odd
 * (truncate, then set the last significand bit if anything was dropped).
 * Subnormal results are rounded at the subnormal quantum 2^-1074.  To
 * nearest, a magnitude from 2^1024 - 2^970 up gives ±inf; to odd, any
 * magnitude ≥ 2^1024 gives ±DBL_MAX (the odd neighbour below, so a second
 * rounding into a narrower format saturates or overflows as it should). */
static double
round_content (const bs_kulisch *k, bool odd)
{
  mag_view v = { k, false, 0 };
  uint64_t kept;
  bool rnd, sticky;
  int t, L, E, p, lo;
  double x;

  if (k->nan || (k->pinf && k->ninf))
    return NAN;
  if (k->pinf)
    return INFINITY;
  if (k->ninf)
    return -INFINITY;
  if (k->top < 0)
    return 0.0;

  v.neg = k->limb[k->top] >> 63;
  while (v.low <= k->top && k->limb[v.low] == 0)
    v.low++;
  if (v.low > k->top)
    return 0.0;
  t = k->top;
  while (mag_limb (&v, t) == 0)
    t--;
  L = 64 * t + 63 - __builtin_clzll (mag_limb (&v, t));   /* leading bit */
  E = k->lsb + L;                       /* magnitude in [2^E, 2^(E+1)) */
  p = E >= -1022 ? 53 : E + 1075;       /* significand bits available */
  lo = L - p + 1;                       /* lowest kept bit */

  if (p <= 0)
    {
      kept = 0;
      rnd = p == 0;                     /* the leading bit is the round bit */
      sticky = p == 0 ? mag_sticky (&v, L) : true;
    }
  else if (lo >= 0)
    {
      kept = mag_field (&v, lo, p);
      rnd = lo > 0 && (mag_field (&v, lo - 1, 1) & 1u);
      sticky = mag_sticky (&v, lo - 1);
    }
  else
    {
      kept = mag_field (&v, 0, L + 1) << -lo;
      rnd = sticky = false;
    }

  if (odd)
    {
      if (E > 1023)
        return v.neg ? -DBL_MAX : DBL_MAX;
      kept |= (uint64_t) (rnd || sticky);
    }
  else if (rnd && (sticky || (kept & 1u)))
    kept++;
  x = ldexp ((double) kept, k->lsb + lo);   /* exact, or overflow to inf */
  return v.neg ? -x : x;
}

double
bs_kulisch_value (const bs_kulisch *k)
{
  return round_content (k, false);
}

double
bs_kulisch_value_odd (const bs_kulisch *k)
{
  return round_content (k, true);
}

/* True if a term had a bit outside the register, or the content now lies
 * outside -2^msb … 2^msb - 2^lsb (the value is still the exact sum then:
 * the guard bits keep it, where hardware of this width would have wrapped). */
bool
bs_kulisch_overflowed (const bs_kulisch *k)
{
  int w = k->width >> 6, b = k->width & 63;
  uint64_t ext;

  if (k->overflow)
    return true;
  if (k->top < w)
    return false;
  ext = (uint64_t) -(k->limb[k->top] >> 63);
  if ((uint64_t) ((int64_t) k->limb[w] >> b) != ext)
    return true;
  for (int i = w + 1; i <= k->top; i++)
    if (k->limb[i] != ext)
      return true;
  return false;
}
