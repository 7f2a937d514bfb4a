/* dot-elma8-simd.c — the ELMA log8 kernel's inner loop on AVX-512, chosen at
 * run time (dot-kernels.c keeps the scalar loops as the reference and for
 * every other machine).  (An AVX2 version — products as floats, floored,
 * widened to doubles: about 2.2 µops per product — measured 0.9–1.2× the
 * scalar loop on the bundled networks and was dropped.)
 *
 * What it computes.  ELMA adds, per product of two log8 values with log
 * values La, Lb (units of 2^-4), the register increment
 *   floor(±(32 + p[f]) · 2^(e - 5 + 24)),   L = La + Lb = 16·e + f,
 * (elma.c, elma_product).  With u = L + 192 ∈ [0, 384] per operand and
 * e_u = (ua + ub) >> 4 = e + 24, that is floor(±H[f] · 2^e_u) where
 * H[f] = (32 + p[f]) / 32 ∈ [1, 2): a double with a 5-bit mantissa.  For
 * e_u ≥ 5 it is an integer and the floor does nothing.
 *
 * Keys.  An operand becomes a 64-bit vector key (bs-dot-simd.h):
 *   u << 48 | sign << 63 | (u & 15),   zero (and NaN) Z = 3673 << 52.
 * Two keys add (one vpaddq) into S: bits 0–3 hold f (the low copies sum to
 * f + 16·c, c the fraction's carry), bits 48–57 ua + ub — f, and from bit 52
 * on e_u, the carry included — and bit 63 the product's sign (the carry of
 * two signs leaves the word).  H[f] is looked up in registers (vpermi2pd
 * reads bits 0–3 of S).  Adding S's bits from 52 up to H[f]'s bits adds e_u
 * to its exponent and sets the sign: ±H[f] · 2^e_u exactly.  A zero key's
 * field makes the exponent field 600 + e_b (zero × b, taken mod 2^12 with
 * the sign) or 177 (zero × zero): a tiny value below 2^-398.
 *
 * Sums.  Each accumulator holds its register sum plus 1.5 · 2^52, a range
 * where the doubles are exactly the integers, and the blocks given here are
 * proved (dot-kernels.c) to keep every partial sum below 2^37.  Two loops:
 *   - no small products (the tile's smallest keys say e_u ≥ 5 throughout):
 *     the table holds H[f]'s bits minus f · 2^48 + f, so that adding all of
 *     S leaves H[f] · 2^e_u · (1 + ε), ε = 16c · 2^-52 / H < 2^-47 — the
 *     product plus less than 2^-10 — and each add, rounded to nearest,
 *     lands on the integer sum exactly; a zero's tiny value rounds away.
 *     Four instructions per eight products.
 *   - small products possible: S's low bits are masked off (exact values),
 *     zero lanes are found by a test of bits 58–62 (set only by a zero key)
 *     and left out by a masked add, and the add rounds toward −∞ — the true
 *     sum lies in [sum + floor, sum + floor + 1), so it adds floor(product).
 *   A tile may run both over its t (_bs_elma8_simd_tile_split): the second
 *   only where the smallest keys of its rows and of its panel at t allow a
 *   product with e_u < 5 — in the bundled networks almost never, while
 *   the whole tile almost always does somewhere.
 * So every sum is the register's, bit for bit.  The tile also turns its
 * sums into the outputs' log8 values (the conversion's table index from the
 * sum's double bits, one gather), and skips the t the caller found zero in
 * all four broadcast rows.  tests/test-nn-exact.c runs every kernel check on
 * this path and on the scalar one. */
#include "bs-dot-simd.h"
#include "bs-simd.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#define ZERO_TEST 0x7c00000000000000ull   /* bits 58–62 */
#define EXP_SIGN 0xfff0000000000000ull
#define BIAS 0x1.8p52

/* -1 unknown, else the level in use (0 scalar, 1 AVX-512) */
static atomic_int simd_level = -1;

int
_bs_simd_avx512 (void)
{
#ifdef HAVE_X86
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f"))
    return 1;
#endif
  return 0;
}

bool
_bs_simd_env_off (void)
{
  const char *env = getenv ("BITSCAPE_SIMD");
  return env && (strcmp (env, "0") == 0 || strcmp (env, "scalar") == 0);
}

int
_bs_simd_level (atomic_int *level, int want)
{
  int l = atomic_load (level), avail;

  if (l < 0)
    {
      l = _bs_simd_env_off () ? 0 : _bs_simd_avx512 ();
      atomic_store (level, l);
    }
  if (want < 0)
    return l;
  avail = _bs_simd_avx512 ();
  l = want < avail ? want : avail;
  atomic_store (level, l);
  return l;
}

int
bs_dot_simd (int want)
{
  return _bs_simd_level (&simd_level, want);
}

#ifdef HAVE_X86
#define TARGET __attribute__ ((target ("avx512f")))

/* One product per lane of a (broadcast) and b, added into acc: the loop
 * without small products (h: the adjusted table), and the exact one. */
TARGET static inline __m512d
step_fast (__m512d acc, __m512i a, __m512i b, __m512d hlo, __m512d hhi)
{
  __m512i s = _mm512_add_epi64 (a, b);
  __m512i h = _mm512_castpd_si512 (_mm512_permutex2var_pd (hlo, s, hhi));
  return _mm512_add_pd (acc, _mm512_castsi512_pd (_mm512_add_epi64 (h, s)));
}

TARGET static inline __m512d
step_floor (__m512d acc, __m512i a, __m512i b, __m512d hlo, __m512d hhi, __m512i emask,
            __m512i ztest)
{
  __m512i s = _mm512_add_epi64 (a, b);
  __mmask8 nz = _mm512_testn_epi64_mask (s, ztest);
  __m512i e = _mm512_and_si512 (s, emask);
  __m512i h = _mm512_castpd_si512 (_mm512_permutex2var_pd (hlo, s, hhi));
  return _mm512_mask_add_round_pd (acc, nz, acc, _mm512_castsi512_pd (_mm512_add_epi64 (h, e)),
                                   _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}

#define TILE_LOOP(STEP, TS, NT)                                                            \
  for (int64_t i = 0; i < (NT); i++)                                                       \
    {                                                                                      \
      const int64_t t = (TS)[i];                                                           \
      const uint64_t *bt = bv + t * ELMA8_TILE_COLS;                                       \
      __m512i b0 = _mm512_loadu_si512 (bt), b1 = _mm512_loadu_si512 (bt + 8);              \
      __m512i x;                                                                           \
      x = _mm512_set1_epi64 ((long long) a0[t]);                                           \
      c00 = STEP (c00, x, b0);                                                             \
      c01 = STEP (c01, x, b1);                                                             \
      x = _mm512_set1_epi64 ((long long) a1[t]);                                           \
      c10 = STEP (c10, x, b0);                                                             \
      c11 = STEP (c11, x, b1);                                                             \
      x = _mm512_set1_epi64 ((long long) a2[t]);                                           \
      c20 = STEP (c20, x, b0);                                                             \
      c21 = STEP (c21, x, b1);                                                             \
      x = _mm512_set1_epi64 ((long long) a3[t]);                                           \
      c30 = STEP (c30, x, b0);                                                             \
      c31 = STEP (c31, x, b1);                                                             \
    }

/* The t in fast[0…nf) by the loop without floors, those in slow[0…ns) by
 * the exact one: every partial sum is the register's integer either way, so
 * the order of the two does not matter. */
TARGET static void
tile_avx512 (const uint64_t *av, int64_t lda, const uint64_t *bv, const int32_t *fast,
             int64_t nf, const int32_t *slow, int64_t ns, const double *h, const double *value,
             int64_t sums[ELMA8_TILE_ROWS][ELMA8_TILE_COLS],
             double vals[ELMA8_TILE_ROWS][ELMA8_TILE_COLS])
{
  const __m512i emask = _mm512_set1_epi64 ((long long) EXP_SIGN);
  const __m512i ztest = _mm512_set1_epi64 ((long long) ZERO_TEST);
  const __m512d bias = _mm512_set1_pd (BIAS);
  const uint64_t *a0 = av, *a1 = av + lda, *a2 = av + 2 * lda, *a3 = av + 3 * lda;
  __m512d c00 = bias, c01 = bias, c10 = bias, c11 = bias;
  __m512d c20 = bias, c21 = bias, c30 = bias, c31 = bias;
  double out[8];

  if (ns > 0)
    {
      const __m512d hlo = _mm512_loadu_pd (h), hhi = _mm512_loadu_pd (h + 8);
#define STEP_FLOOR(c, x, b) step_floor (c, x, b, hlo, hhi, emask, ztest)
      TILE_LOOP (STEP_FLOOR, slow, ns)
#undef STEP_FLOOR
    }
  if (nf > 0)
    {
      /* H[f]'s bits minus the bits S carries below 52 besides e_u: f · 2^48
       * and the low copy's f (its carry, 16, is the ε above) */
      uint64_t adj[16];
      for (int f = 0; f < 16; f++)
        {
          uint64_t u;
          memcpy (&u, &h[f], sizeof u);
          adj[f] = u - ((uint64_t) f << 48) - (uint64_t) f;
        }
      const __m512d hlo = _mm512_castsi512_pd (_mm512_loadu_si512 (adj));
      const __m512d hhi = _mm512_castsi512_pd (_mm512_loadu_si512 (adj + 8));
#define STEP_FAST(c, x, b) step_fast (c, x, b, hlo, hhi)
      TILE_LOOP (STEP_FAST, fast, nf)
#undef STEP_FAST
    }

  {
    const __m512d acc[ELMA8_TILE_ROWS][2] = { { c00, c01 }, { c10, c11 }, { c20, c21 },
                                              { c30, c31 } };
    const __m512i absmask = _mm512_set1_epi64 (INT64_MAX), low20 = _mm512_set1_epi64 (0xfffff);
    const __m512i m127 = _mm512_set1_epi64 (127), low45 = _mm512_set1_epi64 ((1ll << 45) - 1);
    const __m512d two52 = _mm512_set1_pd (0x1p52), d256 = _mm512_set1_pd (256.0);
    /* ELMA8_VAL_BIG (neg, p, b, st) = base + neg·9728 + p·256 + b·2 + st */
    const __m512i base = _mm512_set1_epi64 (ELMA8_VAL_BIG (0, 0, 0, 0) - 1023 * 256);
    const __m512i negstep = _mm512_set1_epi64 (ELMA8_VAL_BIG (1, 0, 0, 0) - ELMA8_VAL_BIG (0, 0, 0, 0));
    for (int r = 0; r < ELMA8_TILE_ROWS; r++)
      for (int v = 0; v < 2; v++)
        {
          /* biased sums are integers in [2^52, 2^53): the difference is exact */
          __m512d sum = _mm512_sub_pd (acc[r][v], bias);
          __m512i bits = _mm512_castpd_si512 (sum);
          __m512i mag = _mm512_and_si512 (bits, absmask);     /* |sum|, a double */
          __mmask8 neg = _mm512_cmplt_epi64_mask (bits, _mm512_setzero_si512 ());
          /* |sum| < 2^8: the integer itself, from the bits of |sum| + 2^52 */
          __mmask8 lo = _mm512_cmp_pd_mask (_mm512_castsi512_pd (mag), d256, _CMP_LT_OQ);
          __m512i ismall = _mm512_and_si512 (
            _mm512_castpd_si512 (_mm512_add_pd (_mm512_castsi512_pd (mag), two52)), low20);
          ismall = _mm512_mask_add_epi64 (ismall, neg, ismall, _mm512_set1_epi64 (256));
          /* else the leading one's position p (the exponent field: 1023 + p
           * is folded into base), the 7 bits below it, and the sticky bit —
           * |sum| < 2^38, so every lower bit of the integer is in the
           * mantissa below bit 45 */
          __m512i ibig = _mm512_add_epi64 (base, _mm512_slli_epi64 (_mm512_srli_epi64 (mag, 52), 8));
          ibig = _mm512_add_epi64 (
            ibig, _mm512_slli_epi64 (_mm512_and_si512 (_mm512_srli_epi64 (mag, 45), m127), 1));
          ibig = _mm512_mask_add_epi64 (ibig, _mm512_test_epi64_mask (mag, low45), ibig,
                                        _mm512_set1_epi64 (1));
          ibig = _mm512_mask_add_epi64 (ibig, neg, ibig, negstep);
          _mm512_storeu_pd (vals[r] + 8 * v,
                            _mm512_i64gather_pd (_mm512_mask_mov_epi64 (ibig, lo, ismall),
                                                 value, 8));
          if (sums)
            {
              _mm512_storeu_pd (out, sum);
              for (int c = 0; c < 8; c++)
                sums[r][8 * v + c] = (int64_t) out[c];
            }
        }
  }
}

/* Eight keys at a time: the same mapping as _bs_elma8_vkey. */
TARGET static void
vkeys_avx512 (const int16_t *x, int64_t n, uint64_t *out)
{
  const __m512i low = _mm512_set1_epi64 (2047), nib = _mm512_set1_epi64 (15);
  const __m512i top = _mm512_set1_epi64 (384), nan = _mm512_set1_epi64 (8192);
  const __m512i sign = _mm512_set1_epi64 ((long long) ((uint64_t) 1 << 63));
  const __m512i zero = _mm512_set1_epi64 ((long long) ELMA8_VKEY_ZERO);
  int64_t i = 0;

  for (; i + 8 <= n; i += 8)
    {
      __m512i k = _mm512_cvtepi16_epi64 (_mm_loadu_si128 ((const __m128i *) (x + i)));
      __m512i u = _mm512_and_si512 (k, low);
      __mmask8 z = _mm512_cmpgt_epi64_mask (u, top) | _mm512_test_epi64_mask (k, nan);
      __m512i v = _mm512_or_si512 (_mm512_slli_epi64 (u, 48), _mm512_and_si512 (u, nib));
      v = _mm512_or_si512 (v, _mm512_and_si512 (_mm512_slli_epi64 (k, 52), sign));
      _mm512_storeu_si512 (out + i, _mm512_mask_mov_epi64 (v, z, zero));
    }
  for (; i < n; i++)
    out[i] = _bs_elma8_vkey (x[i]);
}

#endif

/* The live t in [t0, kk) appended to ts[nt…): those where some row's key is
 * a nonzero value (low bits ≤ 384).  Returns the new count. */
static int64_t
live_scalar (const int16_t *x, int64_t ld, int64_t rows, int64_t t0, int64_t kk, int32_t *ts,
             int64_t nt)
{
  for (int64_t t = t0; t < kk; t++)
    {
      bool any = false;
      for (int64_t r = 0; r < rows; r++)
        any |= (x[r * ld + t] & 2047) <= 384;
      ts[nt] = (int32_t) t;
      nt += any;
    }
  return nt;
}

#ifdef HAVE_X86
/* Sixteen t at a time, the live t compressed into ts; the rest as above. */
TARGET static int64_t
live_avx512 (const int16_t *x, int64_t ld, int64_t rows, int64_t kk, int32_t *ts)
{
  const __m512i low = _mm512_set1_epi32 (2047), top = _mm512_set1_epi32 (384);
  const __m512i step = _mm512_set1_epi32 (16);
  __m512i idx = _mm512_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  int64_t t = 0, nt = 0;

  for (; t + 16 <= kk; t += 16, idx = _mm512_add_epi32 (idx, step))
    {
      __mmask16 live = 0;
      for (int64_t r = 0; r < rows; r++)
        {
          __m512i k = _mm512_cvtepi16_epi32 (_mm256_loadu_si256 ((const __m256i *) (x + r * ld + t)));
          live |= _mm512_cmple_epi32_mask (_mm512_and_si512 (k, low), top);
        }
      _mm512_mask_compressstoreu_epi32 (ts + nt, live, idx);
      nt += __builtin_popcount (live);
    }
  return live_scalar (x, ld, rows, t, kk, ts, nt);
}
#endif

int64_t
_bs_elma8_simd_live (const int16_t *x, int64_t ld, int64_t rows, int64_t kk, int32_t *ts)
{
#ifdef HAVE_X86
  if (bs_dot_simd (-1) >= 1)
    return live_avx512 (x, ld, rows, kk, ts);
#endif
  return live_scalar (x, ld, rows, 0, kk, ts, 0);
}

void
_bs_elma8_vkeys (const int16_t *x, int64_t n, uint64_t *out)
{
#ifdef HAVE_X86
  if (bs_dot_simd (-1) >= 1)
    {
      vkeys_avx512 (x, n, out);
      return;
    }
#endif
  for (int64_t i = 0; i < n; i++)
    out[i] = _bs_elma8_vkey (x[i]);
}

void
_bs_elma8_simd_rows (const int16_t *x, int64_t ld, int64_t rows, int64_t kk, uint64_t *xv)
{
  for (int64_t r = 0; r < ELMA8_TILE_ROWS; r++)
    if (r < rows)
      _bs_elma8_vkeys (x + r * ld, kk, xv + r * kk);
    else
      for (int64_t t = 0; t < kk; t++)
        xv[r * kk + t] = ELMA8_VKEY_ZERO;
}

void
_bs_elma8_simd_panel (const int16_t *p, int64_t ld, int64_t rows, int64_t kk, uint64_t *pv)
{
  for (int64_t c = 0; c < ELMA8_TILE_COLS; c++)
    for (int64_t t = 0; t < kk; t++)
      pv[t * ELMA8_TILE_COLS + c] = c < rows ? _bs_elma8_vkey (p[c * ld + t]) : ELMA8_VKEY_ZERO;
}

int
_bs_elma8_simd_tile (const uint64_t *av, int64_t lda, const uint64_t *bv, const int32_t *ts,
                     int64_t nt, const double *h, bool small, const double *value,
                     int64_t sums[ELMA8_TILE_ROWS][ELMA8_TILE_COLS],
                     double vals[ELMA8_TILE_ROWS][ELMA8_TILE_COLS])
{
#ifdef HAVE_X86
  if (bs_dot_simd (-1) >= 1)
    {
      tile_avx512 (av, lda, bv, small ? NULL : ts, small ? 0 : nt, small ? ts : NULL,
                   small ? nt : 0, h, value, sums, vals);
      return 1;
    }
#else
  (void) av;
  (void) lda;
  (void) bv;
  (void) ts;
  (void) nt;
  (void) h;
  (void) small;
  (void) value;
  (void) sums;
  (void) vals;
#endif
  return 0;
}

int
_bs_elma8_simd_tile_split (const uint64_t *av, int64_t lda, const uint64_t *bv,
                           const int32_t *fast, int64_t nf, const int32_t *slow, int64_t ns,
                           const double *h, const double *value,
                           double vals[ELMA8_TILE_ROWS][ELMA8_TILE_COLS])
{
#ifdef HAVE_X86
  if (bs_dot_simd (-1) >= 1)
    {
      tile_avx512 (av, lda, bv, fast, nf, slow, ns, h, value, NULL, vals);
      return 1;
    }
#else
  (void) av;
  (void) lda;
  (void) bv;
  (void) fast;
  (void) nf;
  (void) slow;
  (void) ns;
  (void) h;
  (void) value;
  (void) vals;
#endif
  return 0;
}

/* The smallest low bits of a nonzero key at each t, over the rows; with
 * the rows' facts (when nan is not NULL) accumulated from t0 on. */
static void
rmin_scalar (const int16_t *x, int64_t ld, int64_t rows, int64_t t0, int64_t kk, int16_t *mn,
             bool *nan, int *mx, int *mnr)
{
  for (int64_t t = t0; t < kk; t++)
    {
      int16_t m = 1000;
      for (int64_t r = 0; r < rows; r++)
        {
          int16_t low = x[r * ld + t] & 2047;
          if (nan)
            {
              nan[r] |= (x[r * ld + t] & 8192) != 0;
              mx[r] = low <= 384 && low > mx[r] ? low : mx[r];
              mnr[r] = low <= 384 && low < mnr[r] ? low : mnr[r];
            }
          low = low <= 384 ? low : 1000;
          m = low < m ? low : m;
        }
      mn[t] = m;
    }
}

#ifdef HAVE_X86
TARGET static void
rmin_avx512 (const int16_t *x, int64_t ld, int64_t rows, int64_t kk, int16_t *mn, bool *nan,
             int *mx, int *mnr)
{
  const __m512i low = _mm512_set1_epi32 (2047), top = _mm512_set1_epi32 (384);
  const __m512i none = _mm512_set1_epi32 (1000), nanbit = _mm512_set1_epi32 (8192);
  __m512i rmax[ELMA8_TILE_ROWS], rmin[ELMA8_TILE_ROWS], rnan[ELMA8_TILE_ROWS];
  int64_t t = 0;

  for (int r = 0; r < ELMA8_TILE_ROWS; r++)
    {
      rmax[r] = _mm512_set1_epi32 (-1000);
      rmin[r] = none;
      rnan[r] = _mm512_setzero_si512 ();
    }
  for (; t < kk; t += 16)
    {
      __m512i m = none;
      int16_t pad[ELMA8_TILE_ROWS][16];
      const int16_t *src = x + t;
      int64_t sld = ld;
      if (t + 16 > kk)
        {
          /* the last t through a copy, padded with keys of no value (not
           * live, no NaN) */
          if (rows > ELMA8_TILE_ROWS)
            break;
          for (int64_t r = 0; r < rows; r++)
            for (int c = 0; c < 16; c++)
              pad[r][c] = t + c < kk ? x[r * ld + t + c] : 1000;
          src = &pad[0][0];
          sld = 16;
        }
      for (int64_t r = 0; r < rows; r++)
        {
          __m512i k = _mm512_cvtepi16_epi32 (_mm256_loadu_si256 ((const __m256i *) (src + r * sld)));
          __m512i l = _mm512_and_si512 (k, low);
          __mmask16 live = _mm512_cmple_epi32_mask (l, top);
          m = _mm512_mask_min_epi32 (m, live, m, l);
          if (nan)
            {
              rnan[r] = _mm512_or_si512 (rnan[r], k);
              rmax[r] = _mm512_mask_max_epi32 (rmax[r], live, rmax[r], l);
              rmin[r] = _mm512_mask_min_epi32 (rmin[r], live, rmin[r], l);
            }
        }
      if (t + 16 > kk)
        {
          int16_t last[16];
          _mm256_storeu_si256 ((__m256i *) last, _mm512_cvtepi32_epi16 (m));
          memcpy (mn + t, last, (size_t) (kk - t) * sizeof *mn);
          t = kk;
          break;
        }
      _mm256_storeu_si256 ((__m256i *) (mn + t), _mm512_cvtepi32_epi16 (m));
    }
  if (nan)
    for (int64_t r = 0; r < rows; r++)
      {
        nan[r] = _mm512_test_epi32_mask (rnan[r], nanbit) != 0;
        mx[r] = _mm512_reduce_max_epi32 (rmax[r]);
        mnr[r] = _mm512_reduce_min_epi32 (rmin[r]);
      }
  rmin_scalar (x, ld, rows, t, kk, mn, nan, mx, mnr);
}
#endif

void
_bs_elma8_simd_rmin (const int16_t *x, int64_t ld, int64_t rows, int64_t kk, int16_t *mn,
                     bool *nan, int *mx, int *mnr)
{
#ifdef HAVE_X86
  if (bs_dot_simd (-1) >= 1 && (rows <= ELMA8_TILE_ROWS || !nan))
    {
      rmin_avx512 (x, ld, rows, kk, mn, nan, mx, mnr);
      return;
    }
#endif
  for (int64_t r = 0; nan && r < rows; r++)
    {
      nan[r] = false;
      mx[r] = -1000;
      mnr[r] = 1000;
    }
  rmin_scalar (x, ld, rows, 0, kk, mn, nan, mx, mnr);
}

static void
split_scalar (const int16_t *mn, const int16_t *pm, int lim, int64_t t0, int64_t kk,
              int32_t *fast, int64_t *nf, int32_t *slow, int64_t *ns)
{
  for (int64_t t = t0; t < kk; t++)
    if (mn[t] <= 384)
      {
        if (pm && mn[t] + pm[t] < lim)
          slow[(*ns)++] = (int32_t) t;
        else
          fast[(*nf)++] = (int32_t) t;
      }
}

#ifdef HAVE_X86
TARGET static void
split_avx512 (const int16_t *mn, const int16_t *pm, int lim, int64_t kk, int32_t *fast,
              int64_t *nf, int32_t *slow, int64_t *ns)
{
  const __m512i top = _mm512_set1_epi32 (384), vlim = _mm512_set1_epi32 (lim);
  const __m512i step = _mm512_set1_epi32 (16);
  __m512i idx = _mm512_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  int64_t t = 0;

  for (; t < kk; t += 16, idx = _mm512_add_epi32 (idx, step))
    {
      int16_t pad[2][16];
      const int16_t *m16 = mn + t, *p16 = pm ? pm + t : NULL;
      if (t + 16 > kk)
        {
          /* the last t through a copy; the padding is not live */
          for (int c = 0; c < 16; c++)
            {
              pad[0][c] = t + c < kk ? mn[t + c] : 1000;
              pad[1][c] = t + c < kk && pm ? pm[t + c] : 1000;
            }
          m16 = pad[0];
          p16 = pm ? pad[1] : NULL;
        }
      __m512i m = _mm512_cvtepi16_epi32 (_mm256_loadu_si256 ((const __m256i *) m16));
      __mmask16 live = _mm512_cmple_epi32_mask (m, top), lo = 0;
      if (p16)
        {
          __m512i p = _mm512_cvtepi16_epi32 (_mm256_loadu_si256 ((const __m256i *) p16));
          lo = _mm512_mask_cmplt_epi32_mask (live, _mm512_add_epi32 (m, p), vlim);
        }
      _mm512_mask_compressstoreu_epi32 (fast + *nf, live & ~lo, idx);
      _mm512_mask_compressstoreu_epi32 (slow + *ns, lo, idx);
      *nf += __builtin_popcount (live & ~lo);
      *ns += __builtin_popcount (lo);
    }
}
#endif

void
_bs_elma8_simd_split (const int16_t *mn, const int16_t *pm, int lim, int64_t kk, int32_t *fast,
                      int64_t *nf, int32_t *slow, int64_t *ns)
{
  *nf = 0;
  *ns = 0;
#ifdef HAVE_X86
  if (bs_dot_simd (-1) >= 1)
    {
      split_avx512 (mn, pm, lim, kk, fast, nf, slow, ns);
      return;
    }
#endif
  split_scalar (mn, pm, lim, 0, kk, fast, nf, slow, ns);
}
