/* log.c — the log-float family of Johnson 2018, "Rethinking floating point
 * for deep learning" (facebookresearch/deepfloat): element codes, rounding
 * and the fast quantizers.  The dot products (ELMA, exact Kulisch) are in
 * elma.c.
 *
 * Tapered: log8 = log8_1 and log<N>_<ES> (4 ≤ N ≤ 16, 0 ≤ ES ≤ 3).  A code is
 * a posit(N, ES) bit pattern in SIGN-MAGNITUDE form (deepfloat's posits keep
 * a sign bit instead of two's complement: rtl/posit/PositDecode.sv, README):
 * sign, regime, ES exponent bits, F = max(N-3-ES, 0) fraction bits, where
 * bits cut off by a long regime read as zeros (rtl/posit/PositDecode.sv,
 * PositDef_pkg.sv).  The fraction is a base-2 logarithm:
 *     value = ±2^(e + f/2^F),   e = regime·2^ES + exponent,
 * so log8 is ±2^(e + f/16) with e ∈ [-12, 12].  0…0 is zero and 10…0 is
 * deepfloat's unsigned ±inf (LogNumberCompact.inf); it decodes to NaN, and
 * NaN and ±inf encode to it.
 *
 * Untapered: log16 has the float16 layout (1 sign, 5 exponent, 10 fraction
 * bits) with a log fraction: value = ±2^((E-15) + F/1024) for 1 ≤ E ≤ 30.
 * As in deepfloat's 16-bit PE (rtl/paper_syn/PaperLogFlatPETop.sv, which reads
 * its operands with FloatToFloatSigned, DENORMALS = 0): E = 0 is zero (any F
 * decodes to ±0; encode only makes F = 0), E = 31 is ±inf (F = 0) or NaN.
 *
 * Rounding (the family's one rounding function, log_round_mag): round to
 * nearest in the LOG domain, ties to the even code, by rounding the posit bit
 * string (exact: within a regime the bit string is linear in log2|x|, so its
 * midpoints are the log-domain midpoints).  Like deepfloat and unlike the 2022
 * posit standard, |x| < minpos flushes to zero (LogNumberUnpackedToLogCompact
 * turns a log exponent below the minimum into zero); |x| ≥ maxpos saturates to
 * ±maxpos (SATURATE_MAX).  log16 flushes below 2^-14 and saturates likewise,
 * but keeps ±inf.  (deepfloat's own float→log converter, FloatToLog.sv, first
 * rounds the float to 5 linear fraction bits and maps them through a table,
 * so near a boundary it can differ from this exact rounding; ELMA's output
 * conversion, which does the same, is modelled in elma.c.)
 *
 * Exactness: log2|x| is irrational for every x that is not a power of two, so
 * decisions are never taken on a log2() result.  With x = m·2^e, m ∈ [1, 2),
 * the index j = floor(2^(F+1)·log2 m) is found by comparing m with the
 * boundaries 2^(j/2^(F+1)) through their round-up doubles RU (m > B ⟺ m ≥
 * RU(B) for a double m and an irrational B).  log2() only proposes j; two
 * comparisons settle it.  A double sits exactly on a boundary only when m = 1
 * (the boundary is then an integer power of two); that is the only tie.
 *
 * Tables: every boundary and every value is some 2^(j/2^14), j < 2^14 (the
 * finest grid: F + 1 ≤ 14).  They are computed once (pthread_once) in
 * double-double arithmetic (≈ 2^-100 relative error) from repeated square
 * roots of 2; hi is the correctly rounded double, and RU follows from the
 * sign of lo.  tests/test-formats-log.c checks them against MPFR through
 * every decoded code and every rounding boundary.
 */
#include "bs-format-private.h"
#include "bs-simd.h"

#include <pthread.h>
#include <stdatomic.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#define GRID_BITS 14
#define GRID      (1 << GRID_BITS)

/* Log8 fast kernel: float binades 2^-12 … 2^11, 7 mantissa bits each. */
#define L8_IDX_BITS 7
#define L8_EMIN     (-12)
#define L8_NBIN     24
#define L8_N        (L8_NBIN << L8_IDX_BITS)
#define L8_BASE     ((uint32_t) (127 + L8_EMIN) << L8_IDX_BITS)

/* Log16 fast kernel: 13 mantissa bits select at most one boundary. */
#define F16_IDX_BITS 13

typedef struct {
  /* 2^(j/2^14) = hi + lo, hi correctly rounded; ru = smallest double ≥ it */
  double hi[GRID], lo[GRID], ru[GRID];
  /* log8: per (binade, top mantissa bits): below thr → lo, else → hi */
  uint32_t l8_thr[L8_N];
  float l8_lo[L8_N], l8_hi[L8_N];
  /* … the same entries packed for the vector kernel (log8_pack), with the
   * mantissas of 2^(f/16) as floats, when every entry fits */
  uint32_t l8_pack[L8_N], l8_mant[16];
  bool l8_pack_ok;
  /* log16: j = j0 + (mantissa ≥ thr) at resolution 2^-11; value bits */
  uint16_t f16_j[1 << F16_IDX_BITS];
  uint32_t f16_thr[1 << F16_IDX_BITS];
  uint32_t f16_val[1024];
} log_tables;

static log_tables tables;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* Parameters of one member ----------------------------------------------- */

typedef struct {
  int n, es;       /* tapered: width and exponent bits; untapered: 16, 5 */
  int F;           /* log-fraction bits at the longest fraction */
  bool tapered;
  int emax;        /* tapered: maxpos = 2^emax, minpos = 2^-emax */
} lparams;

static lparams
params_of (const bs_format *f)
{
  lparams p;

  p.n = f->p.log.n;
  p.es = f->p.log.es;
  p.tapered = f->p.log.tapered;
  if (p.tapered)
    {
      p.F = p.n - 3 - p.es > 0 ? p.n - 3 - p.es : 0;
      p.emax = (p.n - 2) << p.es;
    }
  else
    {
      p.F = 10;
      p.emax = 15;
    }
  return p;
}

/* floor(a / 2^s) for any sign of a (no reliance on >> of negatives). */
static inline int
floor_shift (int a, int s)
{
  return a >= 0 ? a >> s : -((-a + (1 << s) - 1) >> s);
}

/* Double-double arithmetic (error-free transforms through fma). ---------- */

typedef struct { double hi, lo; } dd;

static inline dd
dd_fast_two_sum (double a, double b)
{
  dd r;
  r.hi = a + b;
  r.lo = b - (r.hi - a);
  return r;
}

static dd
dd_mul (dd a, dd b)
{
  double p = a.hi * b.hi;
  double e = fma (a.hi, b.hi, -p);
  e += a.hi * b.lo + a.lo * b.hi;
  return dd_fast_two_sum (p, e);
}

static dd
dd_sqrt (dd a)
{
  double y = sqrt (a.hi);
  double r = fma (-y, y, a.hi) + a.lo;     /* a - y², exact first term */
  return dd_fast_two_sum (y, r / (2.0 * y));
}

static void log8_kernel_init (log_tables *t);
static void log16_kernel_init (log_tables *t);
static void log8_pack (log_tables *t);

static void
tables_init (void)
{
  log_tables *t = &tables;
  dd s[GRID_BITS];      /* s[k] = 2^(2^k / 2^14) */
  dd two = { 2.0, 0.0 };

  s[GRID_BITS - 1] = dd_sqrt (two);
  for (int k = GRID_BITS - 2; k >= 0; k--)
    s[k] = dd_sqrt (s[k + 1]);

  t->hi[0] = 1.0;
  t->lo[0] = 0.0;
  t->ru[0] = 1.0;
  for (int j = 1; j < GRID; j++)
    {
      int k = 31 - __builtin_clz ((unsigned) j);      /* highest bit of j */
      dd prev = { t->hi[j - (1 << k)], t->lo[j - (1 << k)] };
      dd v = dd_mul (prev, s[k]);

      t->hi[j] = v.hi;
      t->lo[j] = v.lo;
      /* lo ≠ 0 always (2^(j/2^14) is irrational); its sign places the value */
      t->ru[j] = v.lo > 0 ? nextafter (v.hi, INFINITY) : v.hi;
    }
  log8_kernel_init (t);
  log16_kernel_init (t);
}

static const log_tables *
get_tables (void)
{
  pthread_once (&tables_once, tables_init);
  return &tables;
}

void
_bs_log_exp2_dd (int j, double *hi, double *lo)
{
  const log_tables *t = get_tables ();
  *hi = t->hi[j];
  *lo = t->lo[j];
}

/* floor(2^jb · log2 m) for a double m ∈ [1, 2), exactly (jb ≤ 14).  log2()
 * only proposes the index; the comparisons with the round-up boundaries
 * decide (m ≥ RU(B) ⟺ m > B, as no double equals an irrational B). */
static int
log_index (const log_tables *t, double m, int jb)
{
  const int stride = GRID_BITS - jb, top = 1 << jb;
  int j = (int) (log2 (m) * top);

  if (j < 0)
    j = 0;
  if (j > top - 1)
    j = top - 1;
  while (j + 1 < top && m >= t->ru[(j + 1) << stride])
    j++;
  while (j > 0 && m < t->ru[j << stride])
    j--;
  return j;
}

/* Codes --------------------------------------------------------------------- */

/* Split the magnitude bits (n-1 bits, nonzero) of a tapered code into the
 * exponent e and the fraction (F bits, zero-padded). */
static void
tapered_unpack (const lparams *p, uint32_t mag, int *e, int *frac)
{
  const int nb = p->n - 1;
  const uint32_t mask = (1u << nb) - 1u;
  uint32_t first = (mag >> (nb - 1)) & 1u, run_src, rest;
  int r, k, rem, esv, fbits, fr;

  run_src = first ? ~mag & mask : mag;           /* leading zeros = run */
  r = run_src ? __builtin_clz (run_src) - (32 - nb) : nb;
  k = first ? r - 1 : -r;
  rem = nb - r - 1;                               /* bits after the terminator */
  if (rem < 0)
    rem = 0;
  rest = mag & ((1u << rem) - 1u);
  if (rem >= p->es)
    {
      fbits = rem - p->es;
      esv = (int) (rest >> fbits);
      fr = (int) (rest & ((1u << fbits) - 1u)) << (p->F - fbits);
    }
  else
    {
      esv = (int) (rest << (p->es - rem));
      fr = 0;
    }
  *e = k * (1 << p->es) + esv;
  *frac = fr;
}

/* The value of a code: the correctly rounded double of ±2^(e + f/2^F). */
static double
decode_with (const log_tables *t, const lparams *p, uint32_t code)
{
  int e, fr;
  double v;
  bool neg;

  if (p->tapered)
    {
      uint32_t sign = 1u << (p->n - 1);
      code &= (sign << 1) - 1u;
      if (code == 0)
        return 0.0;
      if (code == sign)
        return NAN;
      neg = (code & sign) != 0;
      tapered_unpack (p, code & (sign - 1u), &e, &fr);
    }
  else
    {
      uint32_t E = (code >> 10) & 31u;
      neg = (code & 0x8000u) != 0;
      if (E == 0)
        return neg ? -0.0 : 0.0;
      if (E == 31)
        return (code & 1023u) ? NAN : neg ? -INFINITY : INFINITY;
      e = (int) E - 15;
      fr = (int) (code & 1023u);
    }
  v = ldexp (t->hi[fr << (GRID_BITS - p->F)], e);
  return neg ? -v : v;
}

static double
log_decode (const bs_format *f, uint32_t code)
{
  const lparams p = params_of (f);
  return decode_with (get_tables (), &p, code);
}

/* The family's rounding function: the magnitude code (sign excluded) of a
 * finite a > 0.  Round to nearest in the log domain, ties to the even code;
 * a < minpos → 0, a ≥ maxpos → the largest code.  See the file comment. */
static uint32_t
log_round_mag (const log_tables *t, const lparams *p, double a)
{
  int e, j;
  double m;
  bool sticky;

  if (p->tapered)
    {
      const uint32_t maxmag = (1u << (p->n - 1)) - 1u;
      const int jb = p->F + 1, nb = p->n - 1;
      int k, esv, rlen, len, sh;
      uint64_t rbits, body, kept;
      bool guard;

      if (a < ldexp (1.0, -p->emax))
        return 0;
      if (a >= ldexp (1.0, p->emax))
        return maxmag;
      m = 2.0 * frexp (a, &e);
      e -= 1;
      j = log_index (t, m, jb);
      sticky = m != 1.0;

      /* the posit bit string: regime | es | F fraction bits | 1 guard bit */
      k = floor_shift (e, p->es);
      esv = e - k * (1 << p->es);
      if (k >= 0)
        {
          rlen = k + 2;                     /* k+1 ones, a zero */
          rbits = ((1ull << (k + 1)) - 1u) << 1;
        }
      else
        {
          rlen = -k + 1;                    /* -k zeros, a one */
          rbits = 1u;
        }
      body = (rbits << (p->es + jb)) | ((uint64_t) esv << jb) | (uint64_t) j;
      len = rlen + p->es + jb;
      sh = len - nb;                        /* ≥ 1: F was sized so */
      kept = body >> sh;
      guard = (body >> (sh - 1)) & 1u;
      sticky = sticky || (body & ((1ull << (sh - 1)) - 1u)) != 0;
      if (guard && (sticky || (kept & 1u)))
        kept++;
      return (uint32_t) kept;
    }
  else
    {
      const double maxv = ldexp (t->hi[1023 << 4], 15);     /* the code 0x7bff */
      int T;

      if (a < 0x1p-14)
        return 0;
      if (a >= maxv)
        return 0x7bffu;
      m = 2.0 * frexp (a, &e);
      e -= 1;
      j = log_index (t, m, 11);
      T = (e + 15) * 2048 + j;   /* 2·(code) + guard; a tie would need m = 1 */
      return (uint32_t) ((T >> 1) + (T & 1));
    }
}

static uint32_t
log_encode (const bs_format *f, double x)
{
  const log_tables *t = get_tables ();
  const lparams p = params_of (f);
  const uint32_t sign = p.tapered ? 1u << (p.n - 1) : 0x8000u;
  uint32_t mag;
  double a;

  if (isnan (x))
    return p.tapered ? sign : 0x7e00u;
  if (isinf (x))
    return p.tapered ? sign : (signbit (x) ? 0xfc00u : 0x7c00u);
  a = fabs (x);
  if (a == 0.0)
    return p.tapered ? 0u : (signbit (x) ? sign : 0u);
  mag = log_round_mag (t, &p, a);
  if (mag == 0 && p.tapered)
    return 0u;                    /* one zero: 10…0 is ±inf */
  return signbit (x) ? sign | mag : mag;
}

int
_bs_log_frac_bits (const bs_format *f)
{
  return params_of (f).F;
}

/* For elma.c: the sign and the log value L (log2|x| = L / 2^F) of a value of
 * the format.  Returns 1 for a nonzero value, 0 for zero, -1 for NaN/±inf,
 * -2 if x is not exactly a value of the format. */
int
_bs_log_split (const bs_format *f, double x, bool *neg, int32_t *L)
{
  const lparams p = params_of (f);
  uint32_t code;
  int e, fr;

  if (isnan (x) || isinf (x))
    return -1;
  if (x == 0.0)
    return 0;
  code = log_encode (f, x);
  if (log_decode (f, code) != x)
    return -2;
  *neg = x < 0;
  if (p.tapered)
    tapered_unpack (&p, code & ((1u << (p.n - 1)) - 1u), &e, &fr);
  else
    {
      e = (int) ((code >> 10) & 31u) - 15;
      fr = (int) (code & 1023u);
    }
  *L = e * (1 << p.F) + fr;
  return 1;
}

/* Fast kernels --------------------------------------------------------------
 * log8: a float in [2^-12, 2^12) selects an entry by its binade and its top 7
 * mantissa bits; such an interval is narrower than the gap between two
 * boundaries (factor 2^(1/32) - 1 > 2^-7), so one comparison of the mantissa
 * with the entry's threshold picks one of two results.  The entries are made
 * by the reference rounding itself (a bisection on float bit patterns), so the
 * kernel cannot disagree with it. */

static void
log8_kernel_init (log_tables *t)
{
  const lparams p = { .n = 8, .es = 1, .F = 4, .tapered = true, .emax = 12 };

  for (int b = 0; b < L8_NBIN; b++)
    for (uint32_t i = 0; i < (1u << L8_IDX_BITS); i++)
      {
        const size_t idx = ((size_t) b << L8_IDX_BITS) | i;
        uint32_t u0 = ((uint32_t) (127 + L8_EMIN + b) << 23) | (i << (23 - L8_IDX_BITS));
        uint32_t u1 = u0 + (1u << (23 - L8_IDX_BITS)) - 1u;     /* last float */
        uint32_t c0 = log_round_mag (t, &p, u2f (u0));
        uint32_t c1 = log_round_mag (t, &p, u2f (u1));

        t->l8_lo[idx] = (float) decode_with (t, &p, c0);
        t->l8_hi[idx] = (float) decode_with (t, &p, c1);
        if (c0 == c1)
          t->l8_thr[idx] = 1u << 23;         /* above every mantissa */
        else
          {
            uint32_t lo = u0, hi = u1;       /* c(lo) = c0, c(hi) = c1 */
            while (hi - lo > 1)
              {
                uint32_t mid = lo + (hi - lo) / 2;
                if (log_round_mag (t, &p, u2f (mid)) == c0)
                  lo = mid;
                else
                  hi = mid;
              }
            t->l8_thr[idx] = hi & 0x7fffffu;
          }
      }
  log8_pack (t);
}

/* The entries again for AVX-512, one 32-bit word each so that one gather
 * fetches them: the threshold's low 16 mantissa bits (its top 7 are the
 * entry's own; 2^16 for "above every mantissa") in bits 0–16, and each
 * result as (its binade − the entry's + 2) · 16 + f, the float's mantissa
 * being that of 2^(f/16) (l8_mant), in bits 17–23 (below) and 24–30 (at or
 * above).  Every entry is rebuilt from its packed form and compared, bit for
 * bit; if one differed the scalar kernel would be used throughout. */
static void
log8_pack (log_tables *t)
{
  t->l8_pack_ok = true;
  for (int f = 0; f < 16; f++)
    t->l8_mant[f] = f2u ((float) t->hi[f << (GRID_BITS - 4)]) & 0x7fffffu;
  for (uint32_t idx = 0; idx < L8_N; idx++)
    {
      uint32_t bin = 127 + L8_EMIN + (idx >> L8_IDX_BITS), field[2], thr;
      const float v[2] = { t->l8_lo[idx], t->l8_hi[idx] };
      for (int k = 0; k < 2; k++)
        {
          uint32_t u = f2u (v[k]), e = u >> 23, f = 0;
          while (f < 16 && t->l8_mant[f] != (u & 0x7fffffu))
            f++;
          if (f == 16 || e + 2 < bin || e > bin + 5)
            {
              t->l8_pack_ok = false;
              return;
            }
          field[k] = (e + 2 - bin) << 4 | f;
          if ((((bin + (field[k] >> 4) - 2) << 23) | t->l8_mant[field[k] & 15]) != u)
            t->l8_pack_ok = false;
        }
      if (t->l8_thr[idx] == 1u << 23)
        thr = 1u << 16;
      else if ((t->l8_thr[idx] >> 16) == (idx & ((1u << L8_IDX_BITS) - 1)))
        thr = t->l8_thr[idx] & 0xffffu;
      else
        {
          t->l8_pack_ok = false;
          return;
        }
      t->l8_pack[idx] = thr | field[0] << 17 | field[1] << 24;
    }
}

#ifdef HAVE_X86
/* -1 unknown, else 0 scalar, 1 AVX-512 (bs-simd.h) */
static atomic_int l8_simd = -1;

/* Sixteen floats at a time, as the scalar loop below: the entry by one
 * gather, its result's bits made from its binade and 2^(f/16)'s mantissa
 * (a permute), then the same range cases. */
__attribute__ ((target ("avx512f"))) static size_t
log8_quantize_avx512 (const log_tables *t, const float *in, float *out, size_t n)
{
  const __m512i absmask = _mm512_set1_epi32 (0x7fffffff), low16 = _mm512_set1_epi32 (0xffff);
  const __m512i base = _mm512_set1_epi32 ((int) L8_BASE), nent = _mm512_set1_epi32 (L8_N);
  const __m512i thrmask = _mm512_set1_epi32 (0x1ffff), field = _mm512_set1_epi32 (0x7f);
  const __m512i minpos = _mm512_set1_epi32 (0x39800000), maxpos = _mm512_set1_epi32 (0x45800000);
  const __m512i inf = _mm512_set1_epi32 (0x7f800000), nan = _mm512_set1_epi32 (0x7fc00000);
  const __m512i two = _mm512_set1_epi32 (2), nib = _mm512_set1_epi32 (15);
  const __m512i mant = _mm512_loadu_si512 (t->l8_mant);
  size_t i = 0;

  for (; i + 16 <= n; i += 16)
    {
      __m512i u = _mm512_loadu_si512 (in + i);
      __m512i a = _mm512_and_si512 (u, absmask), s = _mm512_andnot_si512 (absmask, u);
      __m512i idx = _mm512_sub_epi32 (_mm512_srli_epi32 (a, 23 - L8_IDX_BITS), base);
      __m512i e, sel, r;
      idx = _mm512_maskz_mov_epi32 (_mm512_cmplt_epu32_mask (idx, nent), idx);
      e = _mm512_i32gather_epi32 (idx, t->l8_pack, 4);
      sel = _mm512_mask_blend_epi32 (
        _mm512_cmpge_epu32_mask (_mm512_and_si512 (a, low16), _mm512_and_si512 (e, thrmask)),
        _mm512_and_si512 (_mm512_srli_epi32 (e, 17), field), _mm512_srli_epi32 (e, 24));
      /* (the binade of a + the field's − 2) << 23 | the mantissa of 2^(f/16) */
      r = _mm512_sub_epi32 (_mm512_add_epi32 (_mm512_srli_epi32 (a, 23),
                                              _mm512_srli_epi32 (sel, 4)), two);
      r = _mm512_or_si512 (_mm512_slli_epi32 (r, 23),
                           _mm512_permutexvar_epi32 (_mm512_and_si512 (sel, nib), mant));
      r = _mm512_maskz_mov_epi32 (_mm512_cmpge_epu32_mask (a, minpos), r);
      r = _mm512_mask_mov_epi32 (r, _mm512_cmpge_epu32_mask (a, maxpos), maxpos);
      r = _mm512_mask_mov_epi32 (r, _mm512_cmpge_epu32_mask (a, inf), nan);
      r = _mm512_mask_or_epi32 (r, _mm512_test_epi32_mask (r, r), r, s);
      _mm512_storeu_si512 (out + i, r);
    }
  return i;
}
#endif

static void
log8_quantize (const float *in, float *out, size_t n)
{
  const log_tables *t = get_tables ();
  const uint32_t minpos = 0x39800000u;   /* 2^-12 */
  const uint32_t maxpos = 0x45800000u;   /* 2^12 */
  size_t i = 0;

#ifdef HAVE_X86
  if (t->l8_pack_ok && _bs_simd_level (&l8_simd, -1) >= 1)
    i = log8_quantize_avx512 (t, in, out, n);
#endif
  for (; i < n; i++)
    {
      uint32_t u = f2u (in[i]);
      uint32_t s = u & 0x80000000u, a = u & 0x7fffffffu;
      uint32_t idx = (a >> (23 - L8_IDX_BITS)) - L8_BASE;
      uint32_t ii = idx < L8_N ? idx : 0u;
      uint32_t r = (a & 0x7fffffu) >= t->l8_thr[ii] ? f2u (t->l8_hi[ii]) : f2u (t->l8_lo[ii]);

      r = a < minpos ? 0u : r;
      r = a >= maxpos ? maxpos : r;
      r = a >= 0x7f800000u ? 0x7fc00000u : r;      /* NaN, ±inf → NaN */
      out[i] = u2f (r | (r ? s : 0u));
    }
}

/* log16: the rounding inside a binade depends only on the mantissa, so one
 * table of 2^13 entries serves every binade: j0 is floor(2^11·log2 m) at the
 * entry's first mantissa and thr the first mantissa of j0 + 1 (if inside). */
static void
log16_kernel_init (log_tables *t)
{
  for (uint32_t i = 0; i < (1u << F16_IDX_BITS); i++)
    {
      double m0 = 1.0 + ldexp ((double) i, -F16_IDX_BITS);
      double m1 = 1.0 + ldexp ((double) (i + 1), -F16_IDX_BITS);
      int j = log_index (t, m0, 11);
      uint32_t thr = 1u << 23;

      if (j + 1 < 2048 && t->ru[(j + 1) << 3] < m1)
        {
          /* smallest float ≥ the boundary: floats are doubles */
          float fb = (float) t->ru[(j + 1) << 3];
          if ((double) fb < t->ru[(j + 1) << 3])
            fb = nextafterf (fb, INFINITY);
          thr = f2u (fb) & 0x7fffffu;
        }
      t->f16_j[i] = (uint16_t) j;
      t->f16_thr[i] = thr;
    }
  for (int k = 0; k < 1024; k++)
    t->f16_val[k] = f2u ((float) t->hi[k << 4]);
}

static void
log16_quantize (const float *in, float *out, size_t n)
{
  const log_tables *t = get_tables ();
  const uint32_t minpos = 0x38800000u;                   /* 2^-14 */
  const double maxv = ldexp (t->hi[1023 << 4], 15);      /* the code 0x7bff */
  const float maxf = (float) maxv;
  uint32_t maxthr = f2u (maxf);

  /* the smallest float ≥ max (a double) saturates */
  if ((double) maxf < maxv)
    maxthr++;
  for (size_t i = 0; i < n; i++)
    {
      uint32_t u = f2u (in[i]);
      uint32_t s = u & 0x80000000u, a = u & 0x7fffffffu;
      int e = (int) (a >> 23) - 127;
      uint32_t k = (a >> (23 - F16_IDX_BITS)) & ((1u << F16_IDX_BITS) - 1u);
      e = e < -14 ? -14 : e > 15 ? 15 : e;    /* out of range: replaced below */
      int j = t->f16_j[k] + ((a & 0x7fffffu) >= t->f16_thr[k]);
      int T = (e + 15) * 2048 + j;
      uint32_t code = (uint32_t) ((T >> 1) + (T & 1));
      uint32_t r = t->f16_val[code & 1023u] + ((uint32_t) ((int) (code >> 10) - 15) << 23);

      r = a < minpos ? 0u : r;
      r = a >= maxthr ? f2u (maxf) : r;
      r = a == 0x7f800000u ? a : r;                 /* ±inf stays */
      r = a > 0x7f800000u ? 0x7fc00000u : r;
      out[i] = u2f (r | s);
    }
}

static void
log_quantize_unit (const bs_format *f, const float *in, float *out, size_t n)
{
  const lparams p = params_of (f);

  if (p.tapered && p.n == 8 && p.es == 1)
    log8_quantize (in, out, n);
  else if (!p.tapered)
    log16_quantize (in, out, n);
  else
    for (size_t i = 0; i < n; i++)
      {
        double v = log_decode (f, log_encode (f, in[i]));
        out[i] = (float) v;
      }
}

/* Traits ------------------------------------------------------------------- */

static int
log_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  int n, es;

  if (strcmp (name, "log8") == 0)
    n = 8, es = 1;
  else if (strcmp (name, "log16") == 0)
    {
      f->p.log.n = 16;
      f->p.log.es = 5;
      f->p.log.tapered = false;
      f->bits = 16;
      f->block = 0;
      f->max = log_decode (f, 0x7bffu);
      f->min_pos = 0x1p-14;
      return 1;
    }
  else if (_bs_parse_two_ints (name, "log", "_", &n, &es))
    {
      if (n < 4 || n > 16 || es > 3)
        return _bs_fail (err, errlen,
                         "format '%s': log<N>_<ES> needs 4 ≤ N ≤ 16 and 0 ≤ ES ≤ 3", name);
    }
  else
    return 0;

  f->p.log.n = n;
  f->p.log.es = es;
  f->p.log.tapered = true;
  f->bits = n;
  f->block = 0;
  f->max = ldexp (1.0, (n - 2) << es);
  f->min_pos = ldexp (1.0, -((n - 2) << es));
  return 1;
}

static void
log_describe (const bs_format *f, char *buf, size_t len)
{
  const lparams p = params_of (f);

  if (p.tapered)
    snprintf (buf, len,
              "log float, posit(%d,%d)-tapered sign-magnitude code, value ±2^(e + f/%d), "
              "e ∈ [%d, %d]: maxpos = 2^%d, minpos = 2^-%d (smaller flushes to 0), "
              "0x%0*x = ±inf (NaN)%s",
              p.n, p.es, 1 << p.F, -p.emax, p.emax, p.emax, p.emax, (p.n + 3) / 4,
              1u << (p.n - 1),
              p.n == 8 && p.es == 1 ? "; deepfloat (8,1,5,5,7) with ELMA" : "");
  else
    snprintf (buf, len,
              "log float, float16 layout (1/5/10) with a log2 fraction, value "
              "±2^((E-15) + F/1024): max ≈ %.6g, min = 2^-14 (smaller flushes to 0), "
              "E = 31 inf/NaN; ELMA (16,5,11,11,10), 49-bit Kulisch", f->max);
}

const bs_format_traits _bs_log_traits = {
  .family = BS_FAMILY_LOG,
  .pattern = "log<N>_<ES>",
  .summary = "log float (Johnson 2018): posit-tapered log2 codes, or log16 in float16 layout",
  .exact_acc = BS_ACC_ELMA,
  .parse = log_parse,
  .decode = log_decode,
  .encode = log_encode,
  .quantize_unit = log_quantize_unit,
  .describe = log_describe,
};
