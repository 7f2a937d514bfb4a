/* The exact path.
 *
 * Formats level: every fast dot kernel (bs-dot-kernel.h) against the
 * reference bs_dot_values, output by output, on random unit-scale values of
 * many format pairs and accumulators, with int32 wrap-around, ELMA register
 * overflow, fp16 overflow and NaN; the reference against bs_dot for one
 * format and against the definition written out here for two.
 *
 * Evaluator level: a small network (Conv with stride, padding and groups, a
 * depthwise Conv, a Gemm, a MatMul) run on the exact path; each layer's
 * output, read from the evaluator's prefix cache, must equal bit for bit a
 * direct computation here: unit-scale values by the reference rounding of
 * x / s, patches built here, and one bs_dot_values per output element. */
#include "bs-test-ref.h"

#include "bs-dot-kernel.h"
#include "bs-dot-simd.h"
#include "bs-eval.h"
#include "eval-private.h"

/* Formats level ------------------------------------------------------------------ */

static bs_format
fmt (const char *name)
{
  bs_format f;
  char err[256];
  if (bs_format_parse (name, &f, err, sizeof err) < 0)
    g_error ("%s: %s", name, err);
  return f;
}

/* Random values of f at unit scale: element formats from random codes
 * (NaN codes only if nan_ok; a third of them zero when zeros), restricted to
 * |v| ≤ bound; block formats and kmeans from the reference quantizer over
 * random doubles. */
static void
random_values (const bs_format *f, bs_test_rng *rng, double *u, size_t n, double bound,
               gboolean nan_ok, gboolean zeros)
{
  if (!bs_format_has_codes (f) || bs_format_is_block (f))
    {
      bs_qopts o = BS_QOPTS_INIT;
      char err[256];
      for (size_t i = 0; i < n; i++)
        u[i] = (bs_test_rng_uniform (rng) - 0.5) * 2 * bound;
      g_assert_cmpint (bs_format_quantize_ref (f, u, u, n, &o, err, sizeof err), ==, 0);
      return;
    }
  for (size_t i = 0; i < n; i++)
    {
      double v;
      do
        {
          uint32_t c = (uint32_t) (bs_test_rng_next (rng) % bs_format_n_codes (f));
          v = bs_format_decode (f, c);
          if (zeros && bs_test_rng_next (rng) % 3 == 0)
            v = 0.0;
        }
      while ((isnan (v) && !nan_ok) || fabs (v) > bound);
      u[i] = v;
    }
}

/* Run the kernel for fa × fb on A [m][lda], B [n][ldb] (k used) and compare
 * every output and overflow flag with bs_dot_values. */
static void
check_kernel (const char *wa, const char *wb, bs_acc acc, int64_t m, int64_t n, int64_t k,
              int64_t lda, int64_t ldb, const double *ua, const double *ub, const char *kind)
{
  bs_format fa = fmt (wa), fb = fmt (wb);
  char err[256];
  bs_dot_kernel *kern = bs_dot_kernel_new (&fa, &fb, acc, err, sizeof err);
  size_t es;
  void *pa, *pb;
  double *out = g_new0 (double, m * n);
  bool *ovf = g_new0 (bool, m * n);

  if (!kern)
    g_error ("%s × %s: %s", wa, wb, err);
  if (kind)
    g_assert_cmpstr (bs_dot_kernel_kind (kern), ==, kind);
  es = bs_dot_kernel_operand_size (kern);
  pa = g_malloc (es * m * lda);
  pb = g_malloc (es * n * ldb);
  g_assert_cmpint (bs_dot_kernel_pack (kern, 0, ua, m * lda, pa, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_dot_kernel_pack (kern, 1, ub, n * ldb, pb, err, sizeof err), ==, 0);
  /* on the scalar loops, then on the vector ones where the CPU has them */
  for (int level = 0; level <= 1; level++)
    {
      if (bs_dot_simd (level) != level)
        break;
      memset (out, 0, sizeof *out * m * n);
      g_assert_cmpint (bs_dot_kernel_run (kern, m, n, k, pa, lda, pb, ldb, out, n, ovf, err,
                                          sizeof err), ==, 0);
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
          {
            bs_dot_result r;
            g_assert_cmpint (bs_dot_values (&fa, &fb, acc, ua + i * lda, ub + j * ldb, k, 1, 1,
                                            &r, err, sizeof err), ==, 0);
            bs_assert_same (out[i * n + j], bs_dot_output (&r),
                            "%s × %s acc %s, simd %d, out [%" G_GINT64_FORMAT "][%"
                            G_GINT64_FORMAT "], k %" G_GINT64_FORMAT, wa, wb,
                            bs_acc_name (acc), level, i, j, k);
            g_assert_cmpint (ovf[i * n + j], ==, r.overflow);
          }
    }
  bs_dot_simd (1);
  g_free (pa);
  g_free (pb);
  g_free (out);
  g_free (ovf);
  bs_dot_kernel_free (kern);
}

/* Random matrices of shapes that exercise the 2×2 blocks, their edges and
 * strides (lda, ldb > k), checked by check_kernel. */
static void
check_random (const char *wa, const char *wb, bs_acc acc, double bound_a, double bound_b,
              gboolean nan_ok, const char *kind, uint64_t seed)
{
  static const int64_t shapes[][3] = { { 5, 7, 37 }, { 4, 6, 1 }, { 1, 1, 200 }, { 3, 35, 16 },
                                       { 2, 2, 0 } };
  bs_test_rng rng = { seed };
  bs_format fa = fmt (wa), fb = fmt (wb);

  for (size_t s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
      int64_t lda = k + 3, ldb = k + 1;
      double *ua = g_new (double, m * lda), *ub = g_new (double, n * ldb);
      random_values (&fa, &rng, ua, m * lda, bound_a, nan_ok, s % 2 == 0);
      random_values (&fb, &rng, ub, n * ldb, bound_b, nan_ok, s % 2 == 1);
      check_kernel (wa, wb, acc, m, n, k, lda, ldb, ua, ub, kind);
      g_free (ua);
      g_free (ub);
    }
}

static void
test_kernel_int32 (void)
{
  check_random ("int8", "int8", BS_ACC_EXACT, 1e9, 1e9, FALSE, "int", 1);
  check_random ("fixed8", "fixed8", BS_ACC_INT32, 1e9, 1e9, FALSE, "int", 2);
  check_random ("fixed4", "fixed4", BS_ACC_EXACT, 1e9, 1e9, FALSE, "int", 3);
  check_random ("binary", "binary", BS_ACC_EXACT, 1e9, 1e9, FALSE, "int", 4);
  check_random ("int8", "fixed8", BS_ACC_EXACT, 1e9, 1e9, FALSE, "int", 5);
  check_random ("ternary", "int16", BS_ACC_EXACT, 1e9, 1e9, FALSE, "int", 6);
  check_random ("fixed16", "binary", BS_ACC_INT32, 1e9, 1e9, FALSE, "int", 7);
}

/* int32 wraps modulo 2^32 and flags overflow when the exact sum leaves the
 * register; the expected values are worked out here in int64. */
static void
test_kernel_int32_overflow (void)
{
  enum { K = 140000 };
  bs_format f8 = fmt ("int8"), f16 = fmt ("int16");
  char err[256];
  double *a = g_new (double, K), *b = g_new (double, K);
  int16_t *pa = g_new (int16_t, K), *pb = g_new (int16_t, K);
  bs_dot_kernel *k8 = bs_dot_kernel_new (&f8, &f8, BS_ACC_EXACT, err, sizeof err);
  bs_dot_kernel *k16 = bs_dot_kernel_new (&f16, &f16, BS_ACC_EXACT, err, sizeof err);
  double out;
  bool ovf;
  int64_t exact = 0;

  /* int8: 140000 · 127 · (-128) = -2275840000 < -2^31 */
  for (int i = 0; i < K; i++)
    {
      a[i] = 127;
      b[i] = -128;
      exact += 127 * -128;
    }
  g_assert_cmpint (bs_dot_kernel_pack (k8, 0, a, K, pa, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_dot_kernel_pack (k8, 1, b, K, pb, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_dot_kernel_run (k8, 1, 1, K, pa, K, pb, K, &out, 1, &ovf, err, sizeof err),
                   ==, 0);
  g_assert_cmpfloat (out, ==, (double) (exact + ((int64_t) 1 << 32)));
  g_assert_true (ovf);
  check_kernel ("int8", "int8", BS_ACC_EXACT, 1, 1, K, K, K, a, b, "int");

  /* int16: 32767² · 3 wraps; then three -32768 · 32767 bring the exact sum
   * back inside: the register wrapped on the way but ends right (no flag) */
  {
    double a6[6] = { 32767, 32767, 32767, -32768, -32768, -32768 };
    double b6[6] = { 32767, 32767, 32767, 32767, 32767, 32767 };
    int16_t p6a[6], p6b[6];
    g_assert_cmpint (bs_dot_kernel_pack (k16, 0, a6, 6, p6a, err, sizeof err), ==, 0);
    g_assert_cmpint (bs_dot_kernel_pack (k16, 1, b6, 6, p6b, err, sizeof err), ==, 0);
    g_assert_cmpint (bs_dot_kernel_run (k16, 1, 1, 3, p6a, 6, p6b, 6, &out, 1, &ovf, err,
                                        sizeof err), ==, 0);
    exact = 3 * (int64_t) 32767 * 32767;
    g_assert_cmpfloat (out, ==, (double) (exact - ((int64_t) 1 << 32)));
    g_assert_true (ovf);
    g_assert_cmpint (bs_dot_kernel_run (k16, 1, 1, 6, p6a, 6, p6b, 6, &out, 1, &ovf, err,
                                        sizeof err), ==, 0);
    g_assert_cmpfloat (out, ==, (double) (-3 * (int64_t) 32767));
    g_assert_false (ovf);
    check_kernel ("int16", "int16", BS_ACC_EXACT, 1, 1, 6, 6, 6, a6, b6, "int");
  }
  /* NaN cannot enter an int32 register */
  a[0] = NAN;
  g_assert_cmpint (bs_dot_kernel_pack (k8, 0, a, 1, pa, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "NaN"));

  bs_dot_kernel_free (k8);
  bs_dot_kernel_free (k16);
  g_free (a);
  g_free (b);
  g_free (pa);
  g_free (pb);
}

static void
test_kernel_elma8 (void)
{
  /* small values: the register rarely overflows; large: it mostly does */
  check_random ("log8", "log8", BS_ACC_EXACT, 1.0, 2.0, FALSE, "elma8", 11);
  check_random ("log8", "log8", BS_ACC_ELMA, 64.0, 64.0, FALSE, "elma8", 12);
  check_random ("log8", "log8", BS_ACC_ELMA, 1e9, 1e9, FALSE, "elma8", 13);
  check_random ("log8", "log8", BS_ACC_ELMA, 8.0, 8.0, TRUE, "elma8", 14);
}

/* Every product of two log8 codes (k = 1), and every code times a pair sum
 * (k = 2): register contents of every magnitude through the conversion. */
static void
test_kernel_elma8_every_product (void)
{
  bs_format f = fmt ("log8");
  double *a = g_new (double, 256 * 2), *b = g_new (double, 256 * 2);
  bs_test_rng rng = { 15 };

  for (int c = 0; c < 256; c++)
    {
      a[2 * c] = bs_format_decode (&f, (uint32_t) c);
      b[2 * c] = bs_format_decode (&f, (uint32_t) c);
      a[2 * c + 1] = bs_format_decode (&f, (uint32_t) (bs_test_rng_next (&rng) % 256));
      b[2 * c + 1] = bs_format_decode (&f, (uint32_t) (bs_test_rng_next (&rng) % 256));
    }
  check_kernel ("log8", "log8", BS_ACC_ELMA, 256, 256, 1, 2, 2, a, b, "elma8");
  check_kernel ("log8", "log8", BS_ACC_ELMA, 256, 256, 2, 2, 2, a, b, "elma8");
  g_free (a);
  g_free (b);
}

/* The vector path's two loops (dot-elma8-simd.c): where every nonzero value
 * of a tile is at least 2^-6 in magnitude (key low bits u ≥ 96, so every
 * product has e_u ≥ 12 ≥ 5) the loop without floors runs, zeros (±0) among
 * them; one value of 2^-12 in a row sends its tiles to the loop with
 * floors.  Shapes with ragged edges (m, n not multiples of 4 and 16). */
static void
test_kernel_elma8_vector_loops (void)
{
  static const int64_t shapes[][3] = { { 9, 37, 300 }, { 4, 16, 64 }, { 5, 3, 1000 },
                                       { 13, 70, 27 } };
  bs_format f = fmt ("log8");
  bs_test_rng rng = { 21 };

  for (size_t s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (int small = 0; small < 3; small++)
      {
        int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        double *a = g_new (double, m * k), *b = g_new (double, n * k);
        for (int64_t i = 0; i < m * k + n * k; i++)
          {
            double v;
            do
              v = bs_format_decode (&f, (uint32_t) (bs_test_rng_next (&rng) % 256));
            while (isnan (v) || fabs (v) < 0x1p-6 || fabs (v) > 4.0);
            if (bs_test_rng_next (&rng) % 4 == 0)
              v = bs_test_rng_next (&rng) % 2 ? 0.0 : -0.0;
            if (i < m * k)
              a[i] = v;
            else
              b[i - m * k] = v;
          }
        if (small == 1)
          {
            a[k / 2] = -0x1p-12;           /* row 0 */
            b[(n - 1) * k + k / 3] = 0x1p-12; /* the last row of B */
          }
        if (small == 2)
          /* whole columns of zeros in both (the side with more rows is
           * broadcast; its all-zero t are skipped) */
          for (int64_t t = 0; t < k; t += 3)
            {
              for (int64_t i = 0; i < m; i++)
                a[i * k + t] = 0.0;
              for (int64_t j = 0; j < n; j++)
                b[j * k + t] = j % 2 ? 0.0 : -0.0;
            }
        check_kernel ("log8", "log8", BS_ACC_ELMA, m, n, k, k, k, a, b, "elma8");
        g_free (a);
        g_free (b);
      }
}

/* Defined in elma.c: the scalar path's key and register increment table. */
int32_t _bs_elma8_key (double x, bool *bad);
const int64_t *_bs_elma8_products (void);
uint32_t _bs_elma8_output (int64_t acc, bool overflow, bool ovf_neg);

/* The vector tile's register sums, compared with sums of elma.c's own
 * increments (its product table, one lookup per key sum) — the contents
 * themselves, which the output conversion would mostly hide (a floor that
 * went wrong changes a sum by one unit).  Random tiles of every log8 value
 * up to 16 in magnitude (k = 16 keeps every sum inside the register), zeros
 * and -0 among them, through the loop with floors; and tiles whose values
 * are at least 2^-6 in magnitude through both loops. */
/* ELMA8_VAL_* (bs-dot-simd.h) of a register content. */
static int
out_index (int64_t acc)
{
  int neg = acc < 0, p = 0;
  uint64_t mag = neg ? (uint64_t) -acc : (uint64_t) acc;

  if (mag < 256)
    return ELMA8_VAL_SMALL (neg, (int) mag);
  while ((mag >> p) > 1)
    p++;
  return ELMA8_VAL_BIG (neg, p, (int) ((mag >> (p - 7)) & 127),
                        (mag & (((uint64_t) 1 << (p - 7)) - 1)) != 0);
}

static double index_of[ELMA8_VAL_N];

static void
test_kernel_elma8_vector_sums (void)
{
  enum { R = ELMA8_TILE_ROWS, C = ELMA8_TILE_COLS, K = 16 };
  bs_format f = fmt ("log8");
  const int64_t *prod = _bs_elma8_products ();
  bs_test_rng rng = { 22 };
  double h[16];
  int tiles = 0, levels = 0;
  int32_t all_t[K];

  g_assert_nonnull (prod);
  for (int i = 0; i < K; i++)
    all_t[i] = i;
  for (int i = 0; i < 16; i++)
    h[i] = ldexp ((double) prod[384 + i], -24);
  /* a value table whose entries are their own indices: the tile's output
   * values are then the indices it computed */
  for (int i = 0; i < ELMA8_VAL_N; i++)
    index_of[i] = i;
  for (int level = 1; level <= 1; level++)
    {
      if (bs_dot_simd (level) != level)
        break;
      levels++;
      for (int trial = 0; trial < 2000; trial++)
        {
          gboolean large_only = trial % 2;
          int16_t ka[R][K], kb[C][K];
          uint64_t av[R * K], bv[K * C];
          int64_t sums[R][C];
          double vals[R][C];
          for (int r = 0; r < R + C; r++)
            for (int t = 0; t < K; t++)
              {
                double v;
                bool bad = false;
                do
                  v = bs_format_decode (&f, (uint32_t) (bs_test_rng_next (&rng) % 256));
                while (isnan (v) || fabs (v) > 16
                       || (large_only && v != 0 && fabs (v) < 0x1p-6));
                int16_t key = (int16_t) _bs_elma8_key (v, &bad);
                g_assert_false (bad);
                if (r < R)
                  ka[r][t] = key;
                else
                  kb[r - R][t] = key;
              }
          /* three rows, the fourth padding (a zero row: its sums are 0) */
          _bs_elma8_simd_rows (&ka[0][0], K, R - 1, K, av);
          _bs_elma8_simd_panel (&kb[0][0], K, C, K, bv);
          for (int small = 1; small >= (large_only ? 0 : 1); small--)
            {
              g_assert_cmpint (_bs_elma8_simd_tile (av, K, bv, all_t, K, h, small, index_of,
                                                    sums, vals), ==, 1);
              for (int r = 0; r < R; r++)
                for (int c = 0; c < C; c++)
                  {
                    int64_t want = 0;
                    for (int t = 0; r < R - 1 && t < K; t++)
                      want += prod[(ka[r][t] + kb[c][t]) & 4095];
                    if (sums[r][c] != want)
                      g_error ("level %d, trial %d, loop %s: sum [%d][%d] = %" G_GINT64_FORMAT
                               ", elma.c's increments give %" G_GINT64_FORMAT, level, trial,
                               small ? "with floors" : "without", r, c, sums[r][c], want);
                    /* the output's index, worked out here from the sum */
                    g_assert_cmpfloat (vals[r][c], ==, (double) out_index (want));
                  }
              tiles++;
            }
        }
    }
  bs_dot_simd (1);
  if (levels == 0)
    {
      g_test_skip ("no AVX-512 on this CPU: the scalar loops are tested alone");
      return;
    }
  g_assert_cmpint (tiles, ==, 3000 * levels);

  /* the live t of four rows: every t where some row holds a key of a
   * nonzero value, at each level */
  for (int level = 0; level <= 1; level++)
    {
      enum { KK = 75 };
      int16_t rows[4][KK];
      int32_t ts[KK];
      if (bs_dot_simd (level) != level)
        break;
      for (int trial = 0; trial < 200; trial++)
        {
          int64_t nt, want = 0;
          int nrows = 1 + trial % 4;
          for (int r = 0; r < 4; r++)
            for (int t = 0; t < KK; t++)
              {
                uint32_t pick = (uint32_t) (bs_test_rng_next (&rng) % 8);
                bool bad;
                /* mostly zeros (±0: keys 900, 2948), NaN's key, or a value */
                rows[r][t] = pick < 5 ? (int16_t) (pick % 2 ? 900 : 900 + 2048)
                             : pick == 5 ? (int16_t) (8192 + 1000)
                             : (int16_t) _bs_elma8_key (pick == 6 ? 0x1p-3 : -0x1p-1, &bad);
              }
          nt = _bs_elma8_simd_live (&rows[0][0], KK, nrows, KK, ts);
          for (int t = 0; t < KK; t++)
            {
              bool any = false;
              for (int r = 0; r < nrows; r++)
                any |= rows[r][t] != 900 && rows[r][t] != 900 + 2048 && rows[r][t] != 8192 + 1000;
              if (any)
                {
                  g_assert_cmpint (want, <, nt);
                  g_assert_cmpint (ts[want], ==, t);
                  want++;
                }
            }
          g_assert_cmpint (nt, ==, want);
        }
    }
  bs_dot_simd (1);

  /* the vector conversion of keys, every int16 key (valid ones and all the
   * others, which must give the zero key) against the scalar mapping */
  {
    int16_t *keys = g_new (int16_t, 65536 + 3);
    uint64_t *v = g_new (uint64_t, 65536 + 3);
    for (int i = 0; i < 65536 + 3; i++)
      keys[i] = (int16_t) (uint16_t) i;
    _bs_elma8_vkeys (keys, 65536 + 3, v);
    for (int i = 0; i < 65536 + 3; i++)
      if (v[i] != _bs_elma8_vkey (keys[i]))
        g_error ("key %d: vector conversion %#" G_GINT64_MODIFIER "x, scalar %#"
                 G_GINT64_MODIFIER "x", keys[i], v[i], _bs_elma8_vkey (keys[i]));
    g_free (keys);
    g_free (v);
  }
}

/* A log8 value's key for the tile tests: a random code up to 8 in
 * magnitude (a third of them ±0), or at a "tiny" position half the time one
 * of codes 1-7 (2^-12 … 2^-6.5, keys u ≤ 88) with a random sign, so that
 * products of two of them may have e_u = (ua + ub) >> 4 below 5. */
static int16_t
tile_key (const bs_format *f, bs_test_rng *rng, gboolean tiny)
{
  double v;
  bool bad = false;
  int16_t key;

  if (tiny && bs_test_rng_next (rng) % 2)
    v = bs_format_decode (f, (uint32_t) (1 + bs_test_rng_next (rng) % 7));
  else
    do
      v = bs_format_decode (f, (uint32_t) (bs_test_rng_next (rng) % 256));
    while (isnan (v) || fabs (v) > 8 || (!tiny && v != 0 && fabs (v) < 0x1p-6));
  if (bs_test_rng_next (rng) % 3 == 0)
    v = 0.0;
  if (bs_test_rng_next (rng) % 2)
    v = -v;
  key = (int16_t) _bs_elma8_key (v, &bad);
  g_assert_false (bad);
  return key;
}

/* The tile over two lists of t (_bs_elma8_simd_tile_split), the lists
 * dealt here: each t at random to the loop without floors or the one with
 * them, to the first only where no nonzero product of its rows × columns
 * has e_u < 5 (decided product by product, not by the rows' minima as the
 * kernel does), the t where every row of A is zero sometimes left out; the
 * outputs' indices against sums of elma.c's increments.  1-4 rows, 1-16
 * columns, k from 1 to 40, tiny values at about a third of the t.  Then
 * the kernel itself, which makes the choice by _bs_elma8_simd_split: tiny
 * values sprinkled at a few t of both sides. */
static void
test_kernel_elma8_tile_split (void)
{
  enum { R = ELMA8_TILE_ROWS, C = ELMA8_TILE_COLS, KMAX = 40 };
  bs_format f = fmt ("log8");
  const int64_t *prod = _bs_elma8_products ();
  bs_test_rng rng = { 24 };
  double h[16];
  double *value = g_new (double, ELMA8_VAL_N);
  int mixed = 0, floors = 0, trials = 0;

  g_assert_nonnull (prod);
  for (int i = 0; i < 16; i++)
    h[i] = ldexp ((double) prod[384 + i], -24);
  /* the value of an index is the index itself */
  for (int i = 0; i < ELMA8_VAL_N; i++)
    value[i] = i;
  for (int trial = 0; bs_dot_simd (1) == 1 && trial < 4000; trial++)
    {
      int64_t kk = 1 + trial % KMAX, nf = 0, ns = 0;
      int rows = 1 + (int) (bs_test_rng_next (&rng) % R);
      int cols = 1 + (int) (bs_test_rng_next (&rng) % C);
      int16_t ka[R][KMAX], kb[C][KMAX];
      uint64_t av[R * KMAX], bv[KMAX * C];
      int32_t fast[KMAX], slow[KMAX];
      gboolean floor_t = FALSE;
      double vals[R][C];

      for (int64_t t = 0; t < kk; t++)
        {
          gboolean tiny = bs_test_rng_next (&rng) % 3 == 0, ok = TRUE, any = FALSE;
          for (int r = 0; r < rows; r++)
            ka[r][t] = tile_key (&f, &rng, tiny);
          for (int c = 0; c < cols; c++)
            kb[c][t] = tile_key (&f, &rng, tiny);
          /* e_u of every nonzero product at t (keys of nonzero values:
           * low bits ≤ 384) */
          for (int r = 0; r < rows; r++)
            {
              int ua = ka[r][t] & 2047;
              any |= ua <= 384;
              for (int c = 0; c < cols; c++)
                {
                  int ub = kb[c][t] & 2047;
                  if (ua <= 384 && ub <= 384 && (ua + ub) >> 4 < 5)
                    ok = FALSE;
                }
            }
          if (!any && bs_test_rng_next (&rng) % 2)
            continue;
          if (ok && bs_test_rng_next (&rng) % 2)
            fast[nf++] = (int32_t) t;
          else
            {
              slow[ns++] = (int32_t) t;
              floor_t |= !ok;
            }
        }
      _bs_elma8_simd_rows (&ka[0][0], KMAX, rows, kk, av);
      _bs_elma8_simd_panel (&kb[0][0], KMAX, cols, kk, bv);
      g_assert_cmpint (_bs_elma8_simd_tile_split (av, kk, bv, fast, nf, slow, ns, h, value, vals),
                       ==, 1);
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
          {
            int64_t want = 0;
            for (int64_t t = 0; r < rows && c < cols && t < kk; t++)
              want += prod[(ka[r][t] + kb[c][t]) & 4095];
            if (vals[r][c] != (double) out_index (want))
              g_error ("trial %d (k %" G_GINT64_FORMAT ", %d × %d, %" G_GINT64_FORMAT
                       " t without floors, %" G_GINT64_FORMAT " with): output [%d][%d] index "
                       "%g, the sum %" G_GINT64_FORMAT " gives %d", trial, kk, rows, cols, nf, ns,
                       r, c, vals[r][c], want, out_index (want));
          }
      trials++;
      mixed += nf > 0 && ns > 0;
      floors += floor_t && nf > 0;
    }
  bs_dot_simd (1);
  if (trials == 0)
    g_test_skip ("no AVX-512 on this CPU: the tile's loops are not used");
  else
    {
      /* the cases are what they claim: both loops in one tile, and t that
       * need the floors beside t that go without */
      g_assert_cmpint (mixed, >, trials / 2);
      g_assert_cmpint (floors, >, trials / 3);
    }
  g_free (value);

  /* through the kernel, at both levels (check_kernel), which splits the t
   * by the smallest keys of a tile's rows and of its panel: here every row
   * of a side holds the same magnitude at t (or zero), 2^-12 … 2^-4, so
   * that the smallest keys are those of every product there — t below the
   * limit and t at or above it side by side in one tile.  (A unit more or
   * less in a sum of this size seldom changes its log8 output: the case
   * after this one is made so that it does.) */
  {
    static const int64_t shapes[][3] = { { 8, 20, 6 }, { 5, 37, 12 }, { 21, 5, 9 } };
    for (size_t s = 0; s < G_N_ELEMENTS (shapes); s++)
      for (int rep = 0; rep < 30; rep++)
        {
          int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
          double *a = g_new (double, m * k), *b = g_new (double, n * k);
          for (int64_t t = 0; t < k; t++)
            {
              uint32_t ca, cb;
              bool bad;
              /* codes 1-16: keys u of 0 … 128 */
              do
                {
                  ca = 1 + (uint32_t) (bs_test_rng_next (&rng) % 16);
                  cb = 1 + (uint32_t) (bs_test_rng_next (&rng) % 16);
                }
              while ((_bs_elma8_key (bs_format_decode (&f, ca), &bad)
                      + _bs_elma8_key (bs_format_decode (&f, cb), &bad)) > 120);
              for (int64_t i = 0; i < m + n; i++)
                {
                  double v = bs_format_decode (&f, i < m ? ca : cb);
                  v = bs_test_rng_next (&rng) % 4 == 0 ? 0.0 : bs_test_rng_next (&rng) % 2 ? v : -v;
                  if (i < m)
                    a[i * k + t] = v;
                  else
                    b[(i - m) * k + t] = v;
                }
            }
          check_kernel ("log8", "log8", BS_ACC_ELMA, m, n, k, k, k, a, b, "elma8");
          g_free (a);
          g_free (b);
        }
  }

  /* one sum where the floor shows in the output: the register content
   * 1 + 8 + floor (22.5) + 4032 = 4063 (2^-12 · 2^-12, 2^-12 · 2^-9, then
   * 2^-12 · 2^-7.5 with e_u = 4, then 2^-13 … 2^-18, e_u ≥ 6) converts
   * otherwise than 4064, which the same products give if the third went
   * through the loop without floors after the first two (9 + 22.5 rounds
   * to the even 32); the rows repeated to fill tiles */
  {
    static const double pa[9] = { 0x1p-12, 0x1p-12, 0x1p-12, 0x1p-6, 0x1p-7, 0x1p-7, 0x1p-8,
                                  0x1p-8, 0x1p-9 };
    static const double pb[9] = { 0x1p-12, 0x1p-9, 0x1.6a09e667f3bcdp-8, 0x1p-7, 0x1p-7,
                                  0x1p-8, 0x1p-8, 0x1p-9, 0x1p-9 };
    double *a = g_new (double, 5 * 9), *b = g_new (double, 17 * 9);
    bool bad = false;
    g_assert_cmpfloat (bs_format_round (&f, pb[2]), ==, pb[2]);
    g_assert_cmpint ((_bs_elma8_key (pa[2], &bad) + _bs_elma8_key (pb[2], &bad)) >> 4, ==, 4);
    g_assert_cmpuint (_bs_elma8_output (4063, false, false), !=,
                      _bs_elma8_output (4064, false, false));
    for (int i = 0; i < 5 * 9; i++)
      a[i] = pa[i % 9];
    for (int i = 0; i < 17 * 9; i++)
      b[i] = pb[i % 9];
    check_kernel ("log8", "log8", BS_ACC_ELMA, 1, 1, 9, 9, 9, a, b, "elma8");
    check_kernel ("log8", "log8", BS_ACC_ELMA, 5, 17, 9, 9, 9, a, b, "elma8");
    g_free (a);
    g_free (b);
  }
}

/* The rows' facts of the ELMA tile path, at both levels, against plain
 * loops here over keys whose kind is known (a value's key, ±0's, NaN's):
 * _bs_elma8_simd_rmin's smallest key low bits of a value at each t and each
 * row's NaN, largest and smallest (1-4 rows; 1-16 without the rows' facts,
 * as for a panel), _bs_elma8_simd_live's live t, and _bs_elma8_simd_split's
 * two lists.  k from 1 to 40 (the vector loops' tails); keys past k in each
 * row (ld > k) and outputs past k that must not be touched. */
typedef enum { KEY_ZERO, KEY_NAN, KEY_VALUE } key_kind;

static void
test_kernel_elma8_row_minima (void)
{
  enum { RMAX = 16, KMAX = 40, LD = KMAX + 5, GUARD = 16 };
  bs_test_rng rng = { 25 };
  int levels = 0;

  for (int trial = 0; trial < 1200; trial++)
    {
      int64_t kk = 1 + trial % KMAX, ld = kk + (int64_t) (bs_test_rng_next (&rng) % 6);
      int rows = trial % 3 == 2 ? 1 + (int) (bs_test_rng_next (&rng) % RMAX)
                                : 1 + (trial / KMAX) % 4;
      gboolean facts = trial % 3 != 2 || rows <= 4;
      int16_t x[RMAX * LD], pm[KMAX + GUARD];
      key_kind kind[RMAX][KMAX];
      int16_t want_mn[KMAX];
      bool want_nan[RMAX];
      int want_mx[RMAX], want_mnr[RMAX];
      int lim = 60 + (int) (bs_test_rng_next (&rng) % 60);

      /* mostly zeros in some rows, values in others */
      for (int r = 0; r < rows; r++)
        {
          int zeros = (int) (bs_test_rng_next (&rng) % 9);
          for (int64_t t = 0; t < ld; t++)
            {
              uint32_t pick = (uint32_t) (bs_test_rng_next (&rng) % 10);
              key_kind kd = pick < (uint32_t) zeros ? KEY_ZERO : pick == 9 && trial % 4 == 0
                            ? KEY_NAN : KEY_VALUE;
              int16_t key;
              if (kd == KEY_ZERO)
                key = bs_test_rng_next (&rng) % 2 ? 900 : 900 + 2048;
              else if (kd == KEY_NAN)
                key = 8192 + 1000;
              else
                key = (int16_t) (bs_test_rng_next (&rng) % 385
                                 + (bs_test_rng_next (&rng) % 2) * 2048);
              /* past k: keys that would change every answer */
              if (t >= kk)
                key = t % 2 ? 0 : 8192 + 1000;
              x[r * ld + t] = key;
              if (t < kk)
                kind[r][t] = kd;
            }
        }
      for (int64_t t = 0; t < KMAX + GUARD; t++)
        pm[t] = t < kk && bs_test_rng_next (&rng) % 5 ? (int16_t) (bs_test_rng_next (&rng) % 385)
                                                      : 1000;

      /* what the functions must find */
      for (int r = 0; r < rows; r++)
        {
          want_nan[r] = false;
          want_mx[r] = -1000;
          want_mnr[r] = 1000;
        }
      for (int64_t t = 0; t < kk; t++)
        {
          want_mn[t] = 1000;
          for (int r = 0; r < rows; r++)
            {
              int u = x[r * ld + t] & 2047;
              want_nan[r] |= kind[r][t] == KEY_NAN;
              if (kind[r][t] != KEY_VALUE)
                continue;
              want_mn[t] = (int16_t) MIN (want_mn[t], u);
              want_mx[r] = MAX (want_mx[r], u);
              want_mnr[r] = MIN (want_mnr[r], u);
            }
        }

      for (int level = 0; level <= 1; level++)
        {
          int16_t mn[KMAX + GUARD];
          bool nan[RMAX];
          int mx[RMAX], mnr[RMAX];
          int32_t ts[KMAX + GUARD], fast[KMAX + GUARD], slow[KMAX + GUARD];
          int64_t nt, nf, ns, wf = 0, ws = 0, wt = 0;
          if (bs_dot_simd (level) != level)
            break;
          levels |= 1 << level;
          for (int i = 0; i < KMAX + GUARD; i++)
            mn[i] = 12345;
          for (int r = 0; r < RMAX; r++)
            {
              nan[r] = r % 2;
              mx[r] = mnr[r] = 777;
            }
          _bs_elma8_simd_rmin (x, ld, rows, kk, mn, facts ? nan : NULL, facts ? mx : NULL,
                               facts ? mnr : NULL);
          for (int64_t t = 0; t < KMAX + GUARD; t++)
            if (mn[t] != (t < kk ? want_mn[t] : 12345))
              g_error ("level %d, trial %d (%d rows, k %" G_GINT64_FORMAT "%s): mn[%"
                       G_GINT64_FORMAT "] = %d, want %d", level, trial, rows, kk,
                       facts ? "" : ", no facts", t, mn[t], t < kk ? want_mn[t] : 12345);
          for (int r = 0; r < RMAX; r++)
            {
              gboolean mine = facts && r < rows;
              if (nan[r] != (mine ? want_nan[r] : r % 2) || mx[r] != (mine ? want_mx[r] : 777)
                  || mnr[r] != (mine ? want_mnr[r] : 777))
                g_error ("level %d, trial %d (%d rows, k %" G_GINT64_FORMAT "): row %d: NaN %d "
                         "max %d min %d, want %d %d %d", level, trial, rows, kk, r, nan[r], mx[r],
                         mnr[r], mine ? want_nan[r] : r % 2, mine ? want_mx[r] : 777,
                         mine ? want_mnr[r] : 777);
            }

          /* the live t and the split, by the minima found here */
          for (int i = 0; i < KMAX + GUARD; i++)
            ts[i] = fast[i] = slow[i] = -7;
          nt = _bs_elma8_simd_live (x, ld, rows, kk, ts);
          _bs_elma8_simd_split (want_mn, pm, lim, kk, fast, &nf, slow, &ns);
          for (int64_t t = 0; t < kk; t++)
            {
              if (want_mn[t] > 384)
                continue;
              g_assert_cmpint (wt, <, nt);
              g_assert_cmpint (ts[wt++], ==, t);
              if (want_mn[t] + pm[t] < lim)
                {
                  g_assert_cmpint (ws, <, ns);
                  g_assert_cmpint (slow[ws++], ==, t);
                }
              else
                {
                  g_assert_cmpint (wf, <, nf);
                  g_assert_cmpint (fast[wf++], ==, t);
                }
            }
          g_assert_cmpint (nt, ==, wt);
          g_assert_cmpint (nf, ==, wf);
          g_assert_cmpint (ns, ==, ws);
          for (int i = (int) nf; i < KMAX + GUARD; i++)
            g_assert_cmpint (fast[i], ==, -7);
          for (int i = (int) ns; i < KMAX + GUARD; i++)
            g_assert_cmpint (slow[i], ==, -7);
          /* without the panel's minima: every live t in the first list */
          _bs_elma8_simd_split (want_mn, NULL, lim, kk, fast, &nf, slow, &ns);
          g_assert_cmpint (nf, ==, nt);
          g_assert_cmpint (ns, ==, 0);
          g_assert_cmpmem (fast, (size_t) nf * sizeof *fast, ts, (size_t) nt * sizeof *ts);
        }
    }
  bs_dot_simd (1);
  if (!(levels & 2))
    g_test_skip ("no AVX-512 on this CPU: the scalar loops are tested alone");
}

/* The kernel skips watching the register only where a bound proves no
 * partial sum can leave it.  Long rows of small values with one large one
 * (safe by the rows' norms, not by their largest values); and 160 products
 * 8 · 8, whose sum 160 · 64 · 2^24 > 2^37 must overflow (+maxpos). */
static void
test_kernel_elma8_bounds (void)
{
  enum { K = 4096 };
  double *a = g_new (double, 2 * K), *b = g_new (double, 4 * K);
  bs_format f = fmt ("log8");
  char err[256];
  bs_dot_kernel *k = bs_dot_kernel_new (&f, &f, BS_ACC_ELMA, err, sizeof err);
  int16_t *pa = g_new (int16_t, 2 * K), *pb = g_new (int16_t, 4 * K);
  double out[8];

  for (int i = 0; i < 2 * K; i++)
    a[i] = i % K == 7 ? 16.0 : (i % 3 ? 0x1p-10 : -0x1p-10);
  for (int i = 0; i < 4 * K; i++)
    b[i] = i % 5 ? 1.0 : -0.5;
  check_kernel ("log8", "log8", BS_ACC_ELMA, 2, 4, K, K, K, a, b, "elma8");

  for (int i = 0; i < 2 * 160; i++)
    a[i] = 8.0;
  for (int i = 0; i < 4 * 160; i++)
    b[i] = 8.0;
  g_assert_cmpint (bs_dot_kernel_pack (k, 0, a, 2 * 160, pa, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_dot_kernel_pack (k, 1, b, 4 * 160, pb, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_dot_kernel_run (k, 2, 4, 160, pa, 160, pb, 160, out, 4, NULL, err,
                                      sizeof err), ==, 0);
  for (int q = 0; q < 8; q++)
    g_assert_cmpfloat (out[q], ==, 4096.0);
  check_kernel ("log8", "log8", BS_ACC_ELMA, 2, 4, 160, 160, 160, a, b, "elma8");
  /* and 120 of them (2^36.9) stay inside */
  check_kernel ("log8", "log8", BS_ACC_ELMA, 2, 4, 120, 160, 160, a, b, "elma8");
  bs_dot_kernel_free (k);
  g_free (a);
  g_free (b);
  g_free (pa);
  g_free (pb);
}

/* The hardware keeps the sign of the first sum that leaves the 38-bit
 * register and emits ±maxpos (2^12), whatever follows. */
static void
test_kernel_elma8_overflow_sign (void)
{
  double a[3] = { 4096, 4096, 0.5 }, up[3] = { 4096, -4096, 1 }, down[3] = { -4096, 4096, 1 };
  bs_format f = fmt ("log8");
  char err[256];
  bs_dot_kernel *k = bs_dot_kernel_new (&f, &f, BS_ACC_EXACT, err, sizeof err);
  int16_t pa[3], pu[3], pd[3];
  double out[2];
  bool ovf[2];
  int16_t pb[6];

  g_assert_cmpint (bs_dot_kernel_pack (k, 0, a, 3, pa, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_dot_kernel_pack (k, 1, up, 3, pu, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_dot_kernel_pack (k, 1, down, 3, pd, err, sizeof err), ==, 0);
  memcpy (pb, pu, sizeof pu);
  memcpy (pb + 3, pd, sizeof pd);
  g_assert_cmpint (bs_dot_kernel_run (k, 1, 2, 3, pa, 3, pb, 3, out, 2, ovf, err, sizeof err),
                   ==, 0);
  g_assert_cmpfloat (out[0], ==, 4096.0);
  g_assert_cmpfloat (out[1], ==, -4096.0);
  g_assert_true (ovf[0] && ovf[1]);
  check_kernel ("log8", "log8", BS_ACC_ELMA, 1, 1, 3, 3, 3, a, up, "elma8");
  check_kernel ("log8", "log8", BS_ACC_ELMA, 1, 1, 3, 3, 3, a, down, "elma8");
  /* a value that is not a log8 value is refused */
  a[0] = 0.3;
  g_assert_cmpint (bs_dot_kernel_pack (k, 0, a, 1, pa, err, sizeof err), ==, -1);
  bs_dot_kernel_free (k);
}

static void
test_kernel_fp32 (void)
{
  check_random ("fp8_e4m3", "fp8_e4m3", BS_ACC_FP32, 1e9, 1e9, TRUE, "fp32", 21);
  check_random ("log8", "log8", BS_ACC_FP32, 1e9, 1e9, FALSE, "fp32", 22);
  check_random ("int8", "fp16", BS_ACC_FP32, 1e9, 1e9, TRUE, "fp32", 23);
  check_random ("mxfp4", "posit8_0", BS_ACC_FP32, 1e3, 1e9, FALSE, "fp32", 24);
}

/* fp16 accumulation: random values, then sums that overflow (65520 rounds to
 * inf), ties, and products that underflow to ±0. */
static void
test_kernel_fp16 (void)
{
  double a[8] = { 200, 200, -0.5, 3, 65504, 1, 0.0009765625, -0.00006103515625 };
  double b[8] = { 163.75, 163.75, 1, 0.0009765625, 1, 0.5, 0.00006103515625, 0.00048828125 };

  check_random ("fp16", "fp16", BS_ACC_FP16, 1e9, 1e9, TRUE, "fp16", 31);
  check_random ("fp8_e4m3", "int8", BS_ACC_FP16, 1e9, 1e9, FALSE, "fp16", 32);
  check_random ("log8", "log8", BS_ACC_FP16, 64, 64, FALSE, "fp16", 33);
  check_random ("fp16", "fp16", BS_ACC_FP16, 2, 2, FALSE, "fp16", 34);
  for (int k = 1; k <= 8; k++)
    check_kernel ("fp16", "fp16", BS_ACC_FP16, 1, 1, k, 8, 8, a, b, "fp16");
  {
    /* 65504 + 16 = 65520: the tie rounds to the even 65536, inf */
    double c[2] = { 65504, 16 }, d[2] = { 1, 1 };
    bs_format f = fmt ("fp16");
    char err[256];
    bs_dot_kernel *k = bs_dot_kernel_new (&f, &f, BS_ACC_FP16, err, sizeof err);
    float pc[2], pd[2];
    double out;
    g_assert_cmpint (bs_dot_kernel_pack (k, 0, c, 2, pc, err, sizeof err), ==, 0);
    g_assert_cmpint (bs_dot_kernel_pack (k, 1, d, 2, pd, err, sizeof err), ==, 0);
    g_assert_cmpint (bs_dot_kernel_run (k, 1, 1, 2, pc, 2, pd, 2, &out, 1, NULL, err, sizeof err),
                     ==, 0);
    g_assert_true (isinf (out) && out > 0);
    check_kernel ("fp16", "fp16", BS_ACC_FP16, 1, 1, 2, 2, 2, c, d, "fp16");
    bs_dot_kernel_free (k);
  }
}

static void
test_kernel_kulisch (void)
{
  /* narrow formats: the register as an int64 or int128 */
  check_random ("fp8_e4m3", "fp8_e4m3", BS_ACC_EXACT, 1e9, 1e9, TRUE, "kulisch", 41);
  check_random ("int8", "fp8_e4m3", BS_ACC_EXACT, 1e9, 1e9, FALSE, "kulisch", 42);
  check_random ("fp8_e5m2", "fp8_e5m2", BS_ACC_KULISCH, INFINITY, INFINITY, TRUE, "kulisch", 43);
  check_random ("fp16", "fp16", BS_ACC_KULISCH, 1e9, 1e9, FALSE, "kulisch", 44);
  check_random ("fixed8", "fixed8", BS_ACC_KULISCH, 1e9, 1e9, FALSE, "kulisch", 45);
  check_random ("fp4_e2m1", "fp6_e3m2", BS_ACC_KULISCH, 1e9, 1e9, FALSE, "kulisch", 46);
  /* wide ranges: a Kulisch register per output where 128 bits do not do */
  check_random ("int8", "fp32", BS_ACC_EXACT, 1e9, 1e30, FALSE, "kulisch", 47);
  check_random ("mxfp4", "mxfp4", BS_ACC_EXACT, 100, 0.01, FALSE, "kulisch", 48);
  check_random ("nf4", "fp8_e5m2", BS_ACC_KULISCH, 3, 1e9, FALSE, "kulisch", 49);
  check_random ("log8", "log16", BS_ACC_EXACT, 1e9, 1e9, FALSE, "kulisch", 51);
  check_random ("bf16", "fp8_e4m3", BS_ACC_KULISCH, 1e30, 1e9, TRUE, "kulisch", 53);
  /* one log format: the family's reference, output by output */
  check_random ("log8", "log8", BS_ACC_KULISCH, 1e9, 1e9, TRUE, "reference", 50);
  check_random ("log16", "log16", BS_ACC_ELMA, 4, 4, FALSE, "reference", 52);
  {
    /* 2^15 + 2^-38 + 2^-48: just above the midpoint between 2^15 and its
     * upper neighbour 2^15 + 2^-37, a tie only if the last term is lost */
    double a[3] = { 256, 0x1p-19, 0x1p-24 }, b[3] = { 128, 0x1p-19, 0x1p-24 };
    double na[3] = { -256, -0x1p-19, -0x1p-24 };
    bs_format f = fmt ("fp16");
    char err[256];
    bs_dot_kernel *k = bs_dot_kernel_new (&f, &f, BS_ACC_EXACT, err, sizeof err);
    int64_t pa[6], pb[3];
    double out[2];
    g_assert_cmpint (bs_dot_kernel_pack (k, 0, a, 3, pa, err, sizeof err), ==, 0);
    g_assert_cmpint (bs_dot_kernel_pack (k, 0, na, 3, pa + 3, err, sizeof err), ==, 0);
    g_assert_cmpint (bs_dot_kernel_pack (k, 1, b, 3, pb, err, sizeof err), ==, 0);
    g_assert_cmpint (bs_dot_kernel_run (k, 2, 1, 3, pa, 3, pb, 3, out, 1, NULL, err, sizeof err),
                     ==, 0);
    g_assert_cmpfloat (out[0], ==, 0x1.0000000000001p15);
    g_assert_cmpfloat (out[1], ==, -0x1.0000000000001p15);
    check_kernel ("fp16", "fp16", BS_ACC_EXACT, 1, 1, 3, 3, 3, a, b, "kulisch");
    bs_dot_kernel_free (k);
  }
}

static void
test_kernel_quire (void)
{
  bs_test_rng rng = { 58 };
  bs_format f = fmt ("posit16_1");
  double *a = g_new (double, 2 * 1500), *b = g_new (double, 2 * 1500);

  check_random ("posit8_0", "posit8_0", BS_ACC_EXACT, 1e9, 1e9, TRUE, "kulisch", 54);
  check_random ("posit8_2", "posit8_2", BS_ACC_QUIRE, 1e9, 1e9, TRUE, "kulisch", 55);
  check_random ("posit16_1", "posit16_1", BS_ACC_QUIRE, 1e9, 1e9, FALSE, "kulisch", 56);
  check_random ("posit8_2", "posit16_2", BS_ACC_EXACT, 1e9, 1e9, TRUE, "kulisch", 57);
  /* posits of different es: no common quire, Kulisch */
  check_random ("posit8_0", "posit16_1", BS_ACC_EXACT, 1e9, 1e9, FALSE, "kulisch", 59);
  /* posit16_1 × posit16_1 over 1500 terms needs more than 128 bits */
  random_values (&f, &rng, a, 2 * 1500, 1e9, FALSE, FALSE);
  random_values (&f, &rng, b, 2 * 1500, 1e9, FALSE, FALSE);
  check_kernel ("posit16_1", "posit16_1", BS_ACC_QUIRE, 2, 2, 1500, 1500, 1500, a, b, "kulisch");
  g_free (a);
  g_free (b);
}

static void
test_resolve (void)
{
  static const struct { const char *a, *b; bs_acc acc, want; } ok[] = {
    { "int8", "int8", BS_ACC_EXACT, BS_ACC_INT32 },
    { "int8", "fixed4", BS_ACC_EXACT, BS_ACC_INT32 },
    { "binary", "ternary", BS_ACC_EXACT, BS_ACC_INT32 },
    { "posit8_0", "posit8_0", BS_ACC_EXACT, BS_ACC_QUIRE },
    { "posit8_2", "posit16_2", BS_ACC_EXACT, BS_ACC_QUIRE },
    { "posit8_0", "posit8_2", BS_ACC_EXACT, BS_ACC_KULISCH },
    { "log8", "log8", BS_ACC_EXACT, BS_ACC_ELMA },
    { "log16", "log16", BS_ACC_EXACT, BS_ACC_ELMA },
    { "log8", "log16", BS_ACC_EXACT, BS_ACC_KULISCH },
    { "log10_1", "log10_1", BS_ACC_EXACT, BS_ACC_KULISCH },
    { "fp8_e4m3", "fp8_e4m3", BS_ACC_EXACT, BS_ACC_KULISCH },
    { "int8", "fp32", BS_ACC_EXACT, BS_ACC_KULISCH },
    { "mxfp4", "mxfp4", BS_ACC_EXACT, BS_ACC_KULISCH },
    { "kmeans16", "int8", BS_ACC_FP16, BS_ACC_FP16 },
  };
  static const struct { const char *a, *b; bs_acc acc; const char *why; } bad[] = {
    { "int8", "log8", BS_ACC_ELMA, "ELMA" },
    { "log8", "log16", BS_ACC_ELMA, "ELMA" },
    { "posit8_0", "fp8_e4m3", BS_ACC_QUIRE, "quire" },
    { "posit8_0", "posit16_1", BS_ACC_QUIRE, "es" },
    { "fp32", "fp32", BS_ACC_QUIRE, "quire" },
    { "int8", "fp8_e4m3", BS_ACC_INT32, "int32" },
  };
  char err[256];

  for (size_t i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      bs_format a = fmt (ok[i].a), b = fmt (ok[i].b);
      bs_acc got = BS_N_ACCS;
      g_assert_cmpint (bs_dot_resolve (&a, &b, ok[i].acc, &got, err, sizeof err), ==, 0);
      g_assert_cmpstr (bs_acc_name (got), ==, bs_acc_name (ok[i].want));
    }
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      bs_format a = fmt (bad[i].a), b = fmt (bad[i].b);
      bs_acc got;
      err[0] = '\0';
      g_assert_cmpint (bs_dot_resolve (&a, &b, bad[i].acc, &got, err, sizeof err), ==, -1);
      g_assert_nonnull (strstr (err, bad[i].why));
      g_assert_null (bs_dot_kernel_new (&a, &b, bad[i].acc, err, sizeof err));
    }
}

/* One format on both sides (bs_dot), against sums worked out here from the
 * definitions: fp8_e4m3 values found by searching its 254 finite codes
 * (sign, 4-bit exponent biased by 7, 3-bit fraction, subnormals; nearest,
 * ties to the even code, saturating), summed in float (fp32 accumulator);
 * fixed6 by the seed formula, summed in _Float16 (fp16 accumulator); int8
 * codes summed as integers (int32). */
static double
ref_fp8_e4m3 (double x)
{
  double best = 0, bd = INFINITY;
  int bc = 0;

  for (int c = 0; c < 256; c++)
    {
      int e = (c >> 3) & 15, m = c & 7;
      double v;

      if ((c & 127) == 127)
        continue;                                   /* NaN */
      v = e ? ldexp (1 + m / 8.0, e - 7) : ldexp (m / 8.0, -6);
      v = c & 128 ? -v : v;
      if (fabs (x - v) < bd || (fabs (x - v) == bd && (c & 1) == 0 && (bc & 1) == 1))
        {
          best = v;
          bd = fabs (x - v);
          bc = c;
        }
    }
  return best;
}

static double
rne_clip (double x, double lo, double hi)
{
  double r = nearbyint (x);   /* default rounding mode: ties to even */
  return r < lo ? lo : r > hi ? hi : r;
}

static void
test_single_format_reference (void)
{
  enum { N = 64 };
  bs_test_rng rng = { 61 };
  char err[256];

  for (int rep = 0; rep < 8; rep++)
    {
      double a[N], b[N], scale = rep == 0 ? 1.0 : 0.37 * rep;
      bs_qopts o = BS_QOPTS_INIT;
      bs_format f8 = fmt ("fp8_e4m3"), fx = fmt ("fixed6"), fi = fmt ("int8");
      bs_dot_result r;
      float s32 = 0;
      _Float16 s16 = 0;
      int64_t si = 0;

      o.scale = scale;
      for (int i = 0; i < N; i++)
        {
          a[i] = bs_test_rng_float_log (&rng, -6, 3) * (i % 3 ? 1 : -1);
          b[i] = bs_test_rng_float_log (&rng, -6, 3);
        }
      for (int i = 0; i < N; i++)
        {
          double x = a[i] / scale, y = b[i] / scale;

          s32 += (float) (ref_fp8_e4m3 (x) * ref_fp8_e4m3 (y));
          s16 += (_Float16) (rne_clip (x * 32, -32, 31) / 32) * (_Float16) (rne_clip (y * 32, -32, 31) / 32);
          si += (int64_t) rne_clip (x, -128, 127) * (int64_t) rne_clip (y, -128, 127);
        }
      g_assert_cmpint (bs_dot (&f8, BS_ACC_FP32, a, b, N, &o, &r, err, sizeof err), ==, 0);
      bs_assert_same (r.value, (double) s32 * (scale * scale), "fp8_e4m3/fp32 rep %d", rep);
      g_assert_cmpint (bs_dot (&fx, BS_ACC_FP16, a, b, N, &o, &r, err, sizeof err), ==, 0);
      bs_assert_same (r.value, (double) s16 * (scale * scale), "fixed6/fp16 rep %d", rep);
      g_assert_cmpint (bs_dot (&fi, BS_ACC_EXACT, a, b, N, &o, &r, err, sizeof err), ==, 0);
      g_assert_cmpint (r.acc, ==, BS_ACC_INT32);
      bs_assert_same (r.value, (double) si * (scale * scale), "int8/int32 rep %d", rep);
      g_assert_false (r.overflow);
    }
}

/* Two formats, two scales: int8 weights (scale 0.03) × fixed8 inputs (scale
 * 4) in int32, worked out here from the definitions: round to nearest even,
 * clip, integer sum, times the quanta and the scales. */
static void
test_mixed_two_scales (void)
{
  enum { N = 300 };
  bs_format fi = fmt ("int8"), fx = fmt ("fixed8");
  bs_test_rng rng = { 71 };
  double a[N], b[N];
  bs_qopts oa = BS_QOPTS_INIT, ob = BS_QOPTS_INIT;
  bs_dot_result r;
  char err[256];
  int64_t s = 0;

  oa.scale = 0.03;
  ob.scale = 4.0;
  for (int i = 0; i < N; i++)
    {
      a[i] = (bs_test_rng_uniform (&rng) - 0.5) * 9;
      b[i] = (bs_test_rng_uniform (&rng) - 0.5) * 9;
      s += (int64_t) rne_clip (a[i] / 0.03, -128, 127) * (int64_t) rne_clip (b[i] / 4.0 * 128, -128, 127);
    }
  g_assert_cmpint (bs_dot_mixed (&fi, &fx, BS_ACC_EXACT, a, b, N, &oa, &ob, &r, err, sizeof err),
                   ==, 0);
  g_assert_cmpint (r.acc, ==, BS_ACC_INT32);
  g_assert_cmpfloat (r.value, ==, (double) s / 128 * (0.03 * 4.0));
  g_assert_false (r.overflow);
}

/* Evaluator level ------------------------------------------------------------------- */

enum { C0 = 4, H0 = 6, N_IMG = 40, CHUNK = 16 };

typedef struct {
  bs_graph *g;
  float w1[6 * 2 * 9], b1[6];     /* Conv 4→6, 3×3, stride 2, pad 1, 2 groups: 6×6 → 3×3 */
  float w2[6 * 1 * 9], b2[6];     /* depthwise 3×3, dilation 2, pad 2: 3×3 → 3×3 */
  float w3[10 * 54], b3[10];      /* Gemm 54 → 10, transB */
  float w4[10 * 3];               /* MatMul [10, 3]: the sink (its output is not cached) */
  bs_dataset ds;
  float *pix;
  int32_t *labels;
} Net;

static void
add_tensor (bs_graph *g, const char *name, const float *v, int ndim, const int64_t *dims)
{
  bs_tensor t = { 0 };
  char err[256];
  g_assert_cmpint (bs_tensor_init_f32 (&t, ndim, dims, err, sizeof err), ==, 0);
  memcpy ((float *) bs_tensor_f32 (&t), v, (size_t) bs_tensor_numel (&t) * sizeof (float));
  g_assert_cmpint (bs_graph_add_initializer (g, name, &t, err, sizeof err), >=, 0);
}

static void
fill (bs_test_rng *rng, float *v, int n, double amp)
{
  for (int i = 0; i < n; i++)
    v[i] = (float) ((bs_test_rng_uniform (rng) - 0.5) * 2 * amp);
}

/* w1_factor scales the first layer's weights (and, if not 1, zeroes its
 * bias). */
static void
net_build_scaled (Net *net, uint64_t seed, float w1_factor)
{
  bs_test_rng rng = { seed };
  char err[256];
  int64_t in_dims[4] = { -1, C0, H0, H0 };
  bs_shape in_shape = bs_shape_make (4, in_dims);
  int64_t d1[4] = { 6, 2, 3, 3 }, d2[4] = { 6, 1, 3, 3 }, d3[2] = { 10, 54 }, d4[2] = { 10, 3 };
  int64_t d6[1] = { 6 }, d10[1] = { 10 };
  bs_attr conv1[] = {
    { .name = (char *) "strides", .type = BS_ATTR_INTS, .n = 2, .ints = (int64_t[]) { 2, 2 } },
    { .name = (char *) "pads", .type = BS_ATTR_INTS, .n = 4, .ints = (int64_t[]) { 1, 1, 1, 1 } },
    { .name = (char *) "group", .type = BS_ATTR_INT, .i = 2 },
  };
  bs_attr conv2[] = {
    { .name = (char *) "pads", .type = BS_ATTR_INTS, .n = 4, .ints = (int64_t[]) { 2, 2, 2, 2 } },
    { .name = (char *) "dilations", .type = BS_ATTR_INTS, .n = 2, .ints = (int64_t[]) { 2, 2 } },
    { .name = (char *) "group", .type = BS_ATTR_INT, .i = 6 },
  };
  bs_attr tb = { .name = (char *) "transB", .type = BS_ATTR_INT, .i = 1 };

  fill (&rng, net->w1, G_N_ELEMENTS (net->w1), 0.5);
  fill (&rng, net->b1, 6, 0.1);
  fill (&rng, net->w2, G_N_ELEMENTS (net->w2), 0.6);
  fill (&rng, net->b2, 6, 0.1);
  fill (&rng, net->w3, G_N_ELEMENTS (net->w3), 0.3);
  fill (&rng, net->b3, 10, 0.1);
  fill (&rng, net->w4, G_N_ELEMENTS (net->w4), 0.5);
  net->w1[3] = 0.0f;
  if (w1_factor != 1.0f)
    {
      for (size_t i = 0; i < G_N_ELEMENTS (net->w1); i++)
        net->w1[i] *= w1_factor;
      memset (net->b1, 0, sizeof net->b1);
    }

  net->g = bs_graph_new (13);
  g_assert_cmpint (bs_graph_add_input (net->g, "x", BS_DT_FLOAT, &in_shape, err, sizeof err), >=, 0);
  add_tensor (net->g, "w1", net->w1, 4, d1);
  add_tensor (net->g, "b1", net->b1, 1, d6);
  add_tensor (net->g, "w2", net->w2, 4, d2);
  add_tensor (net->g, "b2", net->b2, 1, d6);
  add_tensor (net->g, "w3", net->w3, 2, d3);
  add_tensor (net->g, "b3", net->b3, 1, d10);
  add_tensor (net->g, "w4", net->w4, 2, d4);
#define NODE(op, name, ni, ins, out, na, at)                                              \
  g_assert_cmpint (bs_graph_add_node (net->g, op, name, ni, (const char *[]) ins, 1,       \
                                      (const char *[]) { out }, na, at, err, sizeof err), \
                   >=, 0)
#define L(...) { __VA_ARGS__ }
  NODE ("Conv", "conv", 3, L ("x", "w1", "b1"), "c1", 3, conv1);
  NODE ("Conv", "dw", 3, L ("c1", "w2", "b2"), "c2", 3, conv2);
  NODE ("Flatten", "flat", 1, L ("c2"), "f", 0, NULL);
  NODE ("Gemm", "fc", 3, L ("f", "w3", "b3"), "h", 1, &tb);
  NODE ("MatMul", "sink", 2, L ("h", "w4"), "y", 0, NULL);
#undef NODE
#undef L
  g_assert_cmpint (bs_graph_add_output (net->g, "y", err, sizeof err), >=, 0);
  if (bs_graph_finalize (net->g, err, sizeof err) < 0)
    g_error ("finalize: %s", err);

  net->pix = g_new (float, N_IMG * C0 * H0 * H0);
  net->labels = g_new (int32_t, N_IMG);
  for (int i = 0; i < N_IMG * C0 * H0 * H0; i++)
    net->pix[i] = (float) bs_test_rng_uniform (&rng);
  for (int i = 0; i < N_IMG; i++)
    net->labels[i] = (int32_t) (bs_test_rng_next (&rng) % 3);
  net->ds = (bs_dataset) { .n = N_IMG, .c = C0, .h = H0, .w = H0, .type = BS_PIXELS_F32,
                           .f32 = net->pix, .labels = net->labels, .n_classes = 3 };
}

static void
net_build (Net *net, uint64_t seed)
{
  net_build_scaled (net, seed, 1.0f);
}

static void
net_free (Net *net)
{
  bs_graph_free (net->g);
  g_free (net->pix);
  g_free (net->labels);
}

static bs_evaluator *
make_eval_on (bs_graph *g, const bs_dataset *ds, bs_eval_path path, int threads)
{
  bs_eval_opts o = BS_EVAL_OPTS_INIT;
  char err[256];
  bs_evaluator *ev;

  o.n_threads = threads;
  o.chunk = CHUNK;
  o.path = path;
  o.norm = bs_norm_unit (ds);
  ev = bs_evaluator_new (g, ds, ds, &o, err, sizeof err);
  if (!ev)
    g_error ("evaluator: %s", err);
  return ev;
}

static bs_evaluator *
make_eval (Net *net, bs_eval_path path, int threads)
{
  return make_eval_on (net->g, &net->ds, path, threads);
}

/* Every one of n layers with w, a, acc and s. */
static bs_config *
config_n (int n, const char *w, const char *a, bs_acc acc, bs_scaling s)
{
  bs_config *c = bs_config_new (n);
  char err[256];
  bs_layer_config l = BS_LAYER_CONFIG_FP32;
  g_snprintf (l.weight, sizeof l.weight, "%s", w);
  g_snprintf (l.input, sizeof l.input, "%s", a);
  l.acc = acc;
  l.scaling = s;
  l.percentile = s == BS_SCALING_PERCENTILE ? 99.5 : 0;
  for (int j = 0; j < n; j++)
    g_assert_cmpint (bs_config_set_layer (c, j, &l, err, sizeof err), ==, 0);
  return c;
}

static bs_config *
config4 (const char *w, const char *a, bs_acc acc, bs_scaling s)
{
  return config_n (4, w, a, acc, s);
}

/* Unit-scale values of x[0..n) in f, the reference way: fp32 as it is;
 * element formats round_f(x / s) (with s[i / per]); block formats and kmeans
 * by the reference quantizer in runs of `run` elements (the evaluator's
 * chunks) with options o. */
static void
units (const bs_format *f, const float *x, int64_t n, const double *s, int64_t per, int64_t run,
       const bs_qopts *o, double *u)
{
  char err[256];

  for (int64_t i = 0; i < n; i++)
    u[i] = x[i];
  if (strcmp (f->name, "fp32") == 0)
    return;
  if (bs_format_is_block (f))
    {
      for (int64_t i = 0; i < n; i += run)
        g_assert_cmpint (bs_format_quantize_ref (f, u + i, u + i, (size_t) MIN (run, n - i), o,
                                                 err, sizeof err), ==, 0);
      return;
    }
  for (int64_t i = 0; i < n; i++)
    u[i] = bs_format_round (f, (double) x[i] / s[i / per]);
}

/* One compute layer of the test network, as the test sees it. */
typedef struct {
  gboolean conv;
  int c, m, groups, h, k, stride, pad, dil; /* conv: channels in/out, input size, kernel */
  int in_n, out_n;                          /* gemm: K, N */
  gboolean wt;                              /* weights held [k][out] (MatMul), else [out][k] */
  const float *w, *b;                       /* b may be NULL */
} layer_desc;

/* The weight scale of each output channel: the per-layer scale the result
 * reports, or max |w| of the channel onto the format's max. */
static void
weight_scales (const layer_desc *d, const bs_format *fw, const bs_layer_config *lc,
               double layer_scale, double *sw)
{
  int outs = d->conv ? d->m : d->out_n;
  int per = d->conv ? d->c / d->groups * d->k * d->k : d->in_n;

  for (int o = 0; o < outs; o++)
    {
      double mx = 0;
      for (int t = 0; t < per; t++)
        mx = fmax (mx, fabs (d->wt ? d->w[t * outs + o] : d->w[o * per + t]));
      if (lc->scaling == BS_SCALING_CHANNEL && strcmp (fw->name, "fp32") != 0
          && !bs_format_is_block (fw))
        sw[o] = mx > 0 ? mx / fw->max : 1.0;
      else
        sw[o] = layer_scale;
    }
}

/* Every output of layer d over all images, computed here, compared with
 * got[] unless it is NULL; returned (g_free). */
static float *
check_layer (const char *what, const layer_desc *d, const bs_layer_config *lc, double sx,
             double layer_scale, const float *in, const float *got, guint least)
{
  bs_format fw = fmt (lc->weight), fx = fmt (lc->input);
  int outs = d->conv ? d->m : d->out_n;
  int per = d->conv ? d->c / d->groups * d->k * d->k : d->in_n;
  int in_img = d->conv ? d->c * d->h * d->h : d->in_n;
  int oh = d->conv ? (d->h + 2 * d->pad - (d->k - 1) * d->dil - 1) / d->stride + 1 : 1;
  int out_img = outs * oh * oh;
  double *sw = g_new (double, outs), *wu = g_new (double, outs * per);
  double *xu = g_new (double, N_IMG * in_img), *vec = g_new (double, per);
  double *sws = g_new (double, outs * per), *wraw = g_new (double, outs * per);
  float *all = g_new (float, N_IMG * out_img);
  bs_qopts o = BS_QOPTS_INIT;
  char err[256];

  /* weights quantized in their own layout (blocks run along it), then taken
   * as rows [out][k] */
  weight_scales (d, &fw, lc, layer_scale, sw);
  for (int i = 0; i < outs * per; i++)
    sws[i] = sw[d->wt ? i % outs : i / per];
  units (&fw, d->w, outs * per, sws, 1, outs * per, &o, wraw);
  for (int oc = 0; oc < outs; oc++)
    for (int t = 0; t < per; t++)
      wu[oc * per + t] = wraw[d->wt ? t * outs + oc : oc * per + t];
  o.scale = sx;
  units (&fx, in, N_IMG * in_img, &sx, N_IMG * in_img, CHUNK * in_img, &o, xu);

  for (int n = 0; n < N_IMG; n++)
    for (int oc = 0; oc < outs; oc++)
      for (int p = 0; p < oh * oh; p++)
        {
          bs_dot_result r;
          float want;
          if (d->conv)
            {
              int cg = d->c / d->groups, g = oc / (d->m / d->groups), oy = p / oh, ox = p % oh, t = 0;
              for (int c = 0; c < cg; c++)
                for (int ky = 0; ky < d->k; ky++)
                  for (int kx = 0; kx < d->k; kx++)
                    {
                      int iy = oy * d->stride - d->pad + ky * d->dil;
                      int ix = ox * d->stride - d->pad + kx * d->dil;
                      gboolean inside = iy >= 0 && iy < d->h && ix >= 0 && ix < d->h;
                      vec[t++] = inside ? xu[n * in_img + ((g * cg + c) * d->h + iy) * d->h + ix]
                                        : 0.0;
                    }
            }
          else
            memcpy (vec, xu + n * in_img, per * sizeof *vec);
          g_assert_cmpint (bs_dot_values (&fw, &fx, lc->acc, wu + oc * per, vec, per, sw[oc], sx,
                                          &r, err, sizeof err), ==, 0);
          want = (float) bs_dot_output (&r);
          if (d->b)
            want = want + d->b[oc];
          all[n * out_img + oc * oh * oh + p] = want;
          if (got && !bs_test_same (got[n * out_img + oc * oh * oh + p], want))
            g_error ("%s, %s × %s acc %s: image %d output %d position %d: got %.9g, want %.9g",
                     what, lc->weight, lc->input, bs_acc_name (lc->acc), n, oc, p,
                     got[n * out_img + oc * oh * oh + p], want);
        }
  /* the case says something only if the outputs vary */
  {
    GHashTable *seen = g_hash_table_new (g_int_hash, g_int_equal);
    for (int i = 0; i < N_IMG * out_img; i++)
      g_hash_table_add (seen, (gpointer) &all[i]);
    if (g_hash_table_size (seen) < least)
      g_error ("%s, %s × %s acc %s: only %u distinct outputs (%g)", what, lc->weight,
               lc->input, bs_acc_name (lc->acc), g_hash_table_size (seen), all[0]);
    g_hash_table_destroy (seen);
  }
  g_free (sw);
  g_free (wu);
  g_free (xu);
  g_free (vec);
  g_free (sws);
  g_free (wraw);
  return all;
}

/* Run cfg on the exact path and check every layer: the conv, depthwise and
 * Gemm outputs (layers 0-2) as the prefix cache holds them, the MatMul
 * (layer 3, whose output is not cached) through its output SQNR, which the
 * evaluator sums per chunk, in order, against its fp32 reference outputs. */
static void
check_network (Net *net, bs_evaluator *ev, const bs_config *cfg, guint least)
{
  layer_desc descs[4] = {
    { .conv = TRUE, .c = 4, .m = 6, .groups = 2, .h = 6, .k = 3, .stride = 2, .pad = 1,
      .dil = 1, .w = net->w1, .b = net->b1 },
    { .conv = TRUE, .c = 6, .m = 6, .groups = 6, .h = 3, .k = 3, .stride = 1, .pad = 2,
      .dil = 2, .w = net->w2, .b = net->b2 },
    { .conv = FALSE, .in_n = 54, .out_n = 10, .w = net->w3, .b = net->b3 },
    { .conv = FALSE, .in_n = 10, .out_n = 3, .wt = TRUE, .w = net->w4, .b = NULL },
  };
  bs_eval_result r;
  char err[256];
  float *last;
  double sig = 0, noise = 0;

  if (bs_evaluator_run (ev, cfg, &r, err, sizeof err) < 0)
    g_error ("run: %s", err);
  g_assert_cmpstr (r.path, ==, "exact");
  g_assert_cmpint (r.n_layers, ==, 4);
  g_assert_cmpint (ev->stat_images, ==, N_IMG);
  for (int j = 0; j < 4; j++)
    {
      const _bs_ev_boundary *in = j > 0 ? &ev->bounds[j] : NULL;
      const _bs_ev_boundary *out = j < 3 ? &ev->bounds[j + 1] : NULL;
      float *want;
      g_assert_true (!out || (out->valid && out->data && out->n_live == 1));
      g_assert_true (!in || (in->valid && in->data && in->n_live == 1));
      want = check_layer (r.layers[j].name, &descs[j], bs_config_layer (cfg, j),
                          r.layers[j].input_scale, r.layers[j].weight_scale,
                          in ? in->data : bs_tensor_f32 (&ev->test), out ? out->data : NULL,
                          j < 3 ? least : 1);
      if (j < 3)
        {
          g_free (want);
          continue;
        }
      last = want;
    }
  for (int first = 0; first < N_IMG; first += CHUNK)
    {
      const float *ref = ev->layers[3].ref_out;
      double cs = 0, cn = 0;
      for (int k = first * 3; k < MIN (first + CHUNK, N_IMG) * 3; k++)
        {
          double dd = (double) ref[k] - last[k];
          cs += (double) ref[k] * ref[k];
          cn += dd * dd;
        }
      sig += cs;
      noise += cn;
    }
  bs_assert_same (r.layers[3].output_sqnr_db,
                  noise == 0 ? INFINITY : sig == 0 ? -INFINITY : 10.0 * log10 (sig / noise),
                  "sink SQNR, %s × %s", bs_config_layer (cfg, 3)->weight,
                  bs_config_layer (cfg, 3)->input);
  g_free (last);
  bs_eval_result_clear (&r);
}

typedef struct {
  const char *w, *a;
  bs_acc acc;
  bs_scaling s;
  guint least;     /* distinct outputs per layer at least (0: 20) */
} net_case;

static void
run_cases (const net_case *cases, size_t n)
{
  Net net;
  bs_evaluator *ev;

  net_build (&net, 7);
  ev = make_eval (&net, BS_EVAL_EXACT, 2);
  for (size_t i = 0; i < n; i++)
    {
      bs_config *c = config4 (cases[i].w, cases[i].a, cases[i].acc, cases[i].s);
      check_network (&net, ev, c, cases[i].least ? cases[i].least : 20);
      bs_config_free (c);
    }
  bs_evaluator_free (ev);
  net_free (&net);
}

static void
test_net_int (void)
{
  static const net_case cases[] = {
    { "int8", "int8", BS_ACC_EXACT, BS_SCALING_LAYER_POW2, 0 },
    { "int8", "int8", BS_ACC_INT32, BS_SCALING_CHANNEL, 0 },
    { "fixed8", "fixed8", BS_ACC_EXACT, BS_SCALING_MAXABS, 0 },
    { "fixed4", "fixed4", BS_ACC_EXACT, BS_SCALING_LAYER_POW2, 0 },
    { "binary", "binary", BS_ACC_EXACT, BS_SCALING_NONE, 5 },   /* sums of ±1 */
    { "binary", "fixed8", BS_ACC_EXACT, BS_SCALING_LAYER_POW2, 0 },
    { "int16", "int16", BS_ACC_EXACT, BS_SCALING_MAXABS, 0 },
  };
  run_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_net_posit (void)
{
  static const net_case cases[] = {
    { "posit8_0", "posit8_0", BS_ACC_EXACT, BS_SCALING_LAYER_POW2, 0 },
    { "posit8_0", "posit8_0", BS_ACC_QUIRE, BS_SCALING_NONE, 0 },
  };
  run_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_net_elma (void)
{
  static const net_case cases[] = {
    { "log8", "log8", BS_ACC_EXACT, BS_SCALING_NONE, 0 },         /* values near 1 */
    /* values up to maxpos 2^12: products overflow the 38-bit register (13
     * integer bits) and nearly every output saturates to ±maxpos */
    { "log8", "log8", BS_ACC_ELMA, BS_SCALING_LAYER_POW2, 2 },
  };
  run_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_net_kulisch (void)
{
  static const net_case cases[] = {
    { "fp8_e4m3", "fp8_e4m3", BS_ACC_EXACT, BS_SCALING_MAXABS, 0 },
    { "fp8_e4m3", "fp8_e4m3", BS_ACC_KULISCH, BS_SCALING_CHANNEL, 0 },
    { "int8", "fp32", BS_ACC_EXACT, BS_SCALING_LAYER_POW2, 0 },
    { "int8", "fp8_e5m2", BS_ACC_EXACT, BS_SCALING_PERCENTILE, 0 },
    { "mxfp4", "mxfp4", BS_ACC_EXACT, BS_SCALING_NONE, 0 },
    { "log8", "log8", BS_ACC_KULISCH, BS_SCALING_MAXABS, 0 },
  };
  run_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_net_fp_sequential (void)
{
  static const net_case cases[] = {
    { "fp16", "fp16", BS_ACC_FP16, BS_SCALING_NONE, 0 },
    /* (fp16 with maxabs scaling puts values near 65504: fp16 sums overflow) */
    { "fp16", "fp16", BS_ACC_FP32, BS_SCALING_MAXABS, 0 },
    { "fp8_e4m3", "int8", BS_ACC_FP32, BS_SCALING_LAYER_POW2, 0 },
    { "fp32", "fp32", BS_ACC_FP32, BS_SCALING_NONE, 0 },
  };
  run_cases (cases, G_N_ELEMENTS (cases));
}

/* Weights of a few float ulps (subnormal floats), int8 with maxabs scaling:
 * many codes give the same fake-quantized float, so the unit values cannot
 * be read off the quantized weights and are recomputed from the fp32 ones.
 * The first layer's outputs (float subnormals, no bias) show any code taken
 * wrongly. */
static void
test_net_unit_recovery (void)
{
  Net net;
  bs_evaluator *ev;
  bs_config *c = config4 ("fp32", "fp32", BS_ACC_FP32, BS_SCALING_NONE);
  bs_layer_config l = BS_LAYER_CONFIG_FP32;
  layer_desc d = { .conv = TRUE, .c = 4, .m = 6, .groups = 2, .h = 6, .k = 3, .stride = 2,
                   .pad = 1, .dil = 1 };
  bs_eval_result r;
  char err[256];
  float *want;
  int collapsed = 0;

  net_build_scaled (&net, 10, 2e-44f);
  d.w = net.w1;
  d.b = net.b1;
  ev = make_eval (&net, BS_EVAL_EXACT, 2);
  g_snprintf (l.weight, sizeof l.weight, "int8");
  g_snprintf (l.input, sizeof l.input, "int8");
  l.acc = BS_ACC_INT32;
  l.scaling = BS_SCALING_MAXABS;
  g_assert_cmpint (bs_config_set_layer (c, 0, &l, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_evaluator_run (ev, c, &r, err, sizeof err), ==, 0);
  /* the case is what it claims: neighbouring codes share a float */
  for (int k = -127; k < 127; k++)
    collapsed += (float) (k * r.layers[0].weight_scale)
                 == (float) ((k + 1) * r.layers[0].weight_scale);
  g_assert_cmpint (collapsed, >, 100);
  want = check_layer ("conv", &d, bs_config_layer (c, 0), r.layers[0].input_scale,
                      r.layers[0].weight_scale, bs_tensor_f32 (&ev->test), ev->bounds[1].data, 5);
  g_free (want);
  bs_eval_result_clear (&r);
  bs_config_free (c);
  bs_evaluator_free (ev);
  net_free (&net);
}

/* The input operands and patch copies of the exact path on one Conv:
 * x [N, 4, 6, 6] → Conv 4→6 (k×k, stride, padding; a bias or none) →
 * Flatten → Gemm 3 (the sink).  The Conv's output, from the prefix cache,
 * against check_layer's direct computation, at both levels, and the two
 * levels bit for bit. */
typedef struct {
  bs_graph *g;
  layer_desc d;
  float w[6 * 4], b[6], wfc[3 * 6 * 6 * 6];
  float w3[6 * 4 * 9];
  bs_dataset ds;
  float pix[N_IMG * C0 * H0 * H0];
  int32_t labels[N_IMG];
} conv_net;

typedef enum {
  /* log8 at scale 1: ±0, log8 values (tiny ones among them), floats between
   * them, float subnormals, huge values and ±inf, NaN; weights near 1/2
   * with tiny ones among them (products that need the floors) */
  INPUTS_SPECIAL,
  /* int8 weights × ternary inputs (2-byte operands of the int kernel) at
   * maxabs scales: ±0, subnormals, values near the rounding boundary */
  INPUTS_TERNARY,
  /* log8, layer-pow2 scales: inputs around 2^-130, whose images v · s are
   * float subnormals, many of them shared (zero's with them), and outputs
   * that are float subnormals or ±0 */
  INPUTS_TINY,
} conv_inputs;

static float
special_input (const bs_format *f8, bs_test_rng *rng, conv_inputs kind)
{
  uint32_t pick = (uint32_t) (bs_test_rng_next (rng) % 100);
  float v;

  if (kind == INPUTS_TERNARY)
    {
      if (pick < 10)
        return pick % 2 ? 0.0f : -0.0f;
      if (pick < 20)
        return bs_test_rng_float_log (rng, -149, -126);
      v = (float) ((bs_test_rng_uniform (rng) - 0.5) * 2);
      /* 0.5 · max: rounds to ±1 or 0 by a hair */
      return pick < 30 ? (pick % 2 ? 0.5f : -0.5f) : v;
    }
  if (pick < 8)
    return pick % 2 ? 0.0f : -0.0f;
  if (kind == INPUTS_TINY && pick < 30)
    /* the smallest float: with zeros around it, outputs below half the
     * smallest float (±0 after the scales) */
    return pick % 2 ? 0x1p-149f : -0x1p-149f;
  if (pick < 46 || pick >= 91)
    {
      double d;
      do
        d = bs_format_decode (f8, pick >= 91 ? 1 + (uint32_t) (bs_test_rng_next (rng) % 7)
                                             : (uint32_t) (bs_test_rng_next (rng) % 256));
      while (isnan (d) || fabs (d) > 16);
      v = (float) (bs_test_rng_next (rng) % 2 ? d : -d);
    }
  else if (pick < 80)
    v = bs_test_rng_float_log (rng, -14, 3);
  else if (pick < 88)
    v = kind == INPUTS_TINY ? bs_test_rng_float_log (rng, -12, -2)
                            : bs_test_rng_float_log (rng, -149, -126);
  else if (kind == INPUTS_TINY)
    v = bs_test_rng_float_log (rng, -12, -2);
  else if (pick < 90)
    {
      static const float huge[] = { 1e30f, FLT_MAX, INFINITY, 4097.0f };
      v = huge[bs_test_rng_next (rng) % G_N_ELEMENTS (huge)];
      v = bs_test_rng_next (rng) % 2 ? v : -v;
    }
  else
    v = bs_test_rng_next (rng) % 2 ? NAN : -NAN;
  /* INPUTS_TINY: mostly below 2^-2, so that sums stay inside the register */
  if (kind == INPUTS_TINY)
    v = fabsf (v) > 0.25f ? v / 64 : v;
  return kind == INPUTS_TINY ? v * 0x1p-130f : v;
}

static void
conv_net_build (conv_net *net, uint64_t seed, int k, int stride, int pad, gboolean bias,
                conv_inputs kind)
{
  bs_test_rng rng = { seed };
  bs_format f8 = fmt ("log8");
  char err[256];
  int64_t in_dims[4] = { -1, C0, H0, H0 };
  bs_shape in_shape = bs_shape_make (4, in_dims);
  int oh = (H0 + 2 * pad - k) / stride + 1;
  int64_t dw[4] = { 6, C0, k, k }, db[1] = { 6 }, dfc[2] = { 3, 6 * oh * oh };
  bs_attr conv[] = {
    { .name = (char *) "strides", .type = BS_ATTR_INTS, .n = 2,
      .ints = (int64_t[]) { stride, stride } },
    { .name = (char *) "pads", .type = BS_ATTR_INTS, .n = 4,
      .ints = (int64_t[]) { pad, pad, pad, pad } },
  };
  bs_attr tb = { .name = (char *) "transB", .type = BS_ATTR_INT, .i = 1 };
  float *w = k == 1 ? net->w : net->w3;
  int nw = 6 * C0 * k * k;

  fill (&rng, w, nw, 0.5);
  fill (&rng, net->b, 6, 0.1);
  fill (&rng, net->wfc, 3 * 6 * oh * oh, 0.3);
  for (int i = 0; i < nw; i++)
    if (kind == INPUTS_SPECIAL && i % 5 == 2)
      w[i] = (float) ldexp (w[i], -9);     /* 2^-10 and below: tiny */
  if (kind == INPUTS_TINY)
    w[5] = 1024.0f;                         /* the layer's scale: the rest near 1 */
  net->d = (layer_desc) { .conv = TRUE, .c = C0, .m = 6, .groups = 1, .h = H0, .k = k,
                          .stride = stride, .pad = pad, .dil = 1, .w = w,
                          .b = bias ? net->b : NULL };

  net->g = bs_graph_new (8);
  g_assert_cmpint (bs_graph_add_input (net->g, "x", BS_DT_FLOAT, &in_shape, err, sizeof err), >=, 0);
  add_tensor (net->g, "w", w, 4, dw);
  add_tensor (net->g, "b", net->b, 1, db);
  add_tensor (net->g, "wfc", net->wfc, 2, dfc);
  g_assert_cmpint (bs_graph_add_node (net->g, "Conv", "conv", bias ? 3 : 2,
                                      (const char *[]) { "x", "w", "b" }, 1,
                                      (const char *[]) { "c" }, 2, conv, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (net->g, "Flatten", "flat", 1, (const char *[]) { "c" }, 1,
                                      (const char *[]) { "f" }, 0, NULL, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_node (net->g, "Gemm", "fc", 2, (const char *[]) { "f", "wfc" },
                                      1, (const char *[]) { "y" }, 1, &tb, err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_output (net->g, "y", err, sizeof err), >=, 0);
  if (bs_graph_finalize (net->g, err, sizeof err) < 0)
    g_error ("finalize: %s", err);

  for (int i = 0; i < N_IMG * C0 * H0 * H0; i++)
    net->pix[i] = special_input (&f8, &rng, kind);
  if (kind == INPUTS_TINY)
    net->pix[7] = 16 * 0x1p-130f;           /* the inputs' scale: 2^-138 */
  for (int i = 0; i < N_IMG; i++)
    net->labels[i] = (int32_t) (bs_test_rng_next (&rng) % 3);
  net->ds = (bs_dataset) { .n = N_IMG, .c = C0, .h = H0, .w = H0, .type = BS_PIXELS_F32,
                           .f32 = net->pix, .labels = net->labels, .n_classes = 3 };
}

static void
test_net_exact_inputs (void)
{
  static const struct {
    int k, stride, pad;
  } geoms[] = { { 1, 2, 0 }, { 1, 2, 1 }, { 3, 1, 1 } };
  static const struct {
    conv_inputs kind;
    const char *w, *a;
    bs_scaling s;
  } cases[] = {
    { INPUTS_SPECIAL, "log8", "log8", BS_SCALING_NONE },
    { INPUTS_TERNARY, "int8", "ternary", BS_SCALING_MAXABS },
    { INPUTS_TINY, "log8", "log8", BS_SCALING_LAYER_POW2 },
  };
  int levels = 0;

  for (size_t c = 0; c < G_N_ELEMENTS (cases); c++)
    for (size_t gi = 0; gi < G_N_ELEMENTS (geoms); gi++)
      {
        conv_net *net = g_new0 (conv_net, 1);
        bs_config *cfg = config_n (2, cases[c].w, cases[c].a, BS_ACC_EXACT, cases[c].s);
        gboolean bias = gi > 0 && cases[c].kind != INPUTS_TINY;
        int oh = (H0 + 2 * geoms[gi].pad - geoms[gi].k) / geoms[gi].stride + 1;
        int64_t nout = (int64_t) N_IMG * 6 * oh * oh;
        float *first = NULL;
        g_autofree char *what = g_strdup_printf ("conv %dx%d stride %d pad %d%s",
                                                 geoms[gi].k, geoms[gi].k, geoms[gi].stride,
                                                 geoms[gi].pad, bias ? "" : ", no bias");

        conv_net_build (net, 40 + 3 * c + gi, geoms[gi].k, geoms[gi].stride, geoms[gi].pad,
                        bias, cases[c].kind);
        for (int level = 0; level <= 1; level++)
          {
            bs_evaluator *ev;
            bs_eval_result r;
            char err[256];
            float *want;
            const _bs_ev_boundary *out;
            if (bs_dot_simd (level) != level)
              break;
            levels |= 1 << level;
            ev = make_eval_on (net->g, &net->ds, BS_EVAL_EXACT, 2);
            if (bs_evaluator_run (ev, cfg, &r, err, sizeof err) < 0)
              g_error ("%s, level %d: %s", what, level, err);
            g_assert_cmpstr (r.path, ==, "exact");
            g_assert_cmpint (r.n_layers, ==, 2);
            out = &ev->bounds[1];
            g_assert_true (out->valid && out->data && out->n_live == 1);
            if (cases[c].kind == INPUTS_TINY)
              {
                /* the case is what it claims: images of the log8 values
                 * (2^-12 … 2^12) at the input scale are float subnormals */
                g_assert_cmpfloat (r.layers[0].input_scale, <=, 0x1p-136);
                g_assert_cmpfloat (r.layers[0].input_scale, >=, 0x1p-140);
              }
            want = check_layer (what, &net->d, bs_config_layer (cfg, 0), r.layers[0].input_scale,
                                r.layers[0].weight_scale, bs_tensor_f32 (&ev->test), out->data,
                                10);
            if (!first)
              first = g_memdup2 (out->data, (gsize) nout * sizeof (float));
            else if (memcmp (first, out->data, (size_t) nout * sizeof (float)) != 0)
              g_error ("%s, %s × %s: the levels differ", what, cases[c].w, cases[c].a);
            g_free (want);
            bs_eval_result_clear (&r);
            bs_evaluator_free (ev);
          }
        bs_dot_simd (1);
        g_free (first);
        bs_config_free (cfg);
        bs_graph_free (net->g);
        g_free (net);
      }
  if (!(levels & 2))
    g_test_skip ("no AVX-512 on this CPU: the scalar paths are tested alone");
}

/* AUTO takes the exact path when an accumulator is not fp32; the result is
 * the same as forcing it, and does not depend on the thread count. */
static void
test_net_path (void)
{
  Net net;
  bs_evaluator *a1, *e2;
  bs_config *c = config4 ("int8", "int8", BS_ACC_EXACT, BS_SCALING_LAYER_POW2);
  bs_config *f = config4 ("int8", "int8", BS_ACC_FP32, BS_SCALING_LAYER_POW2);
  bs_eval_result ra, re;
  char err[256];

  net_build (&net, 8);
  a1 = make_eval (&net, BS_EVAL_AUTO, 1);
  e2 = make_eval (&net, BS_EVAL_EXACT, 2);
  g_assert_cmpint (bs_evaluator_run (a1, c, &ra, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_evaluator_run (e2, c, &re, err, sizeof err), ==, 0);
  g_assert_cmpstr (ra.path, ==, "exact");
  g_assert_cmpstr (re.path, ==, "exact");
  g_assert_cmpfloat (ra.top1, ==, re.top1);
  for (int j = 0; j < 4; j++)
    bs_assert_same (ra.layers[j].output_sqnr_db, re.layers[j].output_sqnr_db, "layer %d", j);
  bs_eval_result_clear (&ra);
  g_assert_cmpint (bs_evaluator_run (a1, f, &ra, err, sizeof err), ==, 0);
  g_assert_cmpstr (ra.path, ==, "fake-quant");
  bs_eval_result_clear (&ra);
  bs_eval_result_clear (&re);
  bs_config_free (c);
  bs_config_free (f);
  bs_evaluator_free (a1);
  bs_evaluator_free (e2);
  net_free (&net);
}

/* The weights are packed for the kernel once per configuration: the same
 * weights under a new input format (another kernel: int32, then Kulisch,
 * then int32 again) give what a fresh evaluator gives. */
static void
test_net_weights_repacked (void)
{
  static const char *const inputs[] = { "int8", "fp8_e5m2", "int8" };
  Net net;
  bs_evaluator *ev;
  char err[256];

  net_build (&net, 10);
  ev = make_eval (&net, BS_EVAL_EXACT, 2);
  for (size_t i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      bs_config *c = config4 ("int8", inputs[i], BS_ACC_EXACT, BS_SCALING_LAYER_POW2);
      bs_evaluator *fresh = make_eval (&net, BS_EVAL_EXACT, 2);
      bs_eval_result r, want;
      g_assert_cmpint (bs_evaluator_run (ev, c, &r, err, sizeof err), ==, 0);
      g_assert_cmpint (bs_evaluator_run (fresh, c, &want, err, sizeof err), ==, 0);
      g_assert_cmpfloat (r.top1, ==, want.top1);
      for (int j = 0; j < 4; j++)
        bs_assert_same (r.layers[j].output_sqnr_db, want.layers[j].output_sqnr_db,
                        "inputs %s, layer %d", inputs[i], j);
      bs_eval_result_clear (&r);
      bs_eval_result_clear (&want);
      bs_evaluator_free (fresh);
      bs_config_free (c);
    }
  bs_evaluator_free (ev);
  net_free (&net);
}

/* The fake-quant path's Convs keep their packed weights between runs
 * (bs_conv_pack): a new weight format must reach them.  One evaluator runs
 * int4, fixed8, int4 weights in turn; each run equals a fresh evaluator's,
 * for a Conv of 36 taps (the direct loops' tiles) and one of 4 (their
 * pixels' path). */
static void
test_net_conv_weights_requantized (void)
{
  static const char *const weights[] = { "int4", "fixed8", "int4" };
  static const int geoms[][3] = { { 3, 1, 1 }, { 1, 2, 0 } };

  for (size_t gi = 0; gi < G_N_ELEMENTS (geoms); gi++)
    {
      conv_net *net = g_new0 (conv_net, 1);
      bs_evaluator *ev;
      double sqnr[G_N_ELEMENTS (weights)];
      char err[256];

      conv_net_build (net, 70 + gi, geoms[gi][0], geoms[gi][1], geoms[gi][2], TRUE,
                      INPUTS_TERNARY);
      ev = make_eval_on (net->g, &net->ds, BS_EVAL_FAKE_QUANT, 2);
      for (size_t i = 0; i < G_N_ELEMENTS (weights); i++)
        {
          bs_config *c = config_n (2, weights[i], "fp32", BS_ACC_FP32, BS_SCALING_LAYER_POW2);
          bs_evaluator *fresh = make_eval_on (net->g, &net->ds, BS_EVAL_FAKE_QUANT, 2);
          bs_eval_result r, want;
          g_assert_cmpint (bs_evaluator_run (ev, c, &r, err, sizeof err), ==, 0);
          g_assert_cmpint (bs_evaluator_run (fresh, c, &want, err, sizeof err), ==, 0);
          g_assert_cmpstr (r.path, ==, "fake-quant");
          g_assert_cmpfloat (r.top1, ==, want.top1);
          for (int j = 0; j < 2; j++)
            bs_assert_same (r.layers[j].output_sqnr_db, want.layers[j].output_sqnr_db,
                            "%dx%d conv, weights %s, layer %d", geoms[gi][0], geoms[gi][0],
                            weights[i], j);
          sqnr[i] = r.layers[0].output_sqnr_db;
          bs_eval_result_clear (&r);
          bs_eval_result_clear (&want);
          bs_evaluator_free (fresh);
          bs_config_free (c);
        }
      /* the formats differ where it shows: stale weights would not pass */
      g_assert_cmpfloat (fabs (sqnr[0] - sqnr[1]), >, 1.0);
      bs_assert_same (sqnr[0], sqnr[2], "int4 twice");
      bs_evaluator_free (ev);
      bs_graph_free (net->g);
      g_free (net);
    }
}

/* A configuration the accumulator cannot take fails with the layer named. */
static void
test_net_refusals (void)
{
  Net net;
  bs_evaluator *ev;
  bs_config *c = config4 ("fp32", "fp32", BS_ACC_FP32, BS_SCALING_NONE);
  bs_layer_config l = BS_LAYER_CONFIG_FP32;
  bs_eval_result r;
  char err[256];

  net_build (&net, 9);
  ev = make_eval (&net, BS_EVAL_AUTO, 2);
  g_snprintf (l.weight, sizeof l.weight, "int8");
  g_snprintf (l.input, sizeof l.input, "log8");
  l.acc = BS_ACC_ELMA;
  l.scaling = BS_SCALING_LAYER_POW2;
  g_assert_cmpint (bs_config_set_layer (c, 1, &l, err, sizeof err), ==, 0);
  err[0] = '\0';
  g_assert_cmpint (bs_evaluator_run (ev, c, &r, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "layer dw"));
  g_assert_nonnull (strstr (err, "ELMA"));
  g_assert_null (strchr (err, '\n'));
  bs_config_free (c);

  /* several scales in one dot product */
  c = config4 ("int8", "int8", BS_ACC_EXACT, BS_SCALING_BLOCK);
  err[0] = '\0';
  g_assert_cmpint (bs_evaluator_run (ev, c, &r, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "layer conv"));
  g_assert_nonnull (strstr (err, "block scaling"));
  bs_config_free (c);
  bs_evaluator_free (ev);
  net_free (&net);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/formats/dot-kernel/int32", test_kernel_int32);
  g_test_add_func ("/engine/formats/dot-kernel/int32-overflow", test_kernel_int32_overflow);
  g_test_add_func ("/engine/formats/dot-kernel/elma8", test_kernel_elma8);
  g_test_add_func ("/engine/formats/dot-kernel/elma8-every-product",
                   test_kernel_elma8_every_product);
  g_test_add_func ("/engine/formats/dot-kernel/elma8-vector-sums",
                   test_kernel_elma8_vector_sums);
  g_test_add_func ("/engine/formats/dot-kernel/elma8-vector-loops",
                   test_kernel_elma8_vector_loops);
  g_test_add_func ("/engine/formats/dot-kernel/elma8-tile-split",
                   test_kernel_elma8_tile_split);
  g_test_add_func ("/engine/formats/dot-kernel/elma8-row-minima",
                   test_kernel_elma8_row_minima);
  g_test_add_func ("/engine/formats/dot-kernel/elma8-bounds", test_kernel_elma8_bounds);
  g_test_add_func ("/engine/formats/dot-kernel/elma8-overflow-sign", test_kernel_elma8_overflow_sign);
  g_test_add_func ("/engine/formats/dot-kernel/fp32", test_kernel_fp32);
  g_test_add_func ("/engine/formats/dot-kernel/fp16", test_kernel_fp16);
  g_test_add_func ("/engine/formats/dot-kernel/kulisch", test_kernel_kulisch);
  g_test_add_func ("/engine/formats/dot-kernel/quire", test_kernel_quire);
  g_test_add_func ("/engine/formats/dot-mixed/resolve", test_resolve);
  g_test_add_func ("/engine/formats/dot/single-format-reference", test_single_format_reference);
  g_test_add_func ("/engine/formats/dot-mixed/two-scales", test_mixed_two_scales);
  g_test_add_func ("/engine/nn/exact/int", test_net_int);
  g_test_add_func ("/engine/nn/exact/posit-quire", test_net_posit);
  g_test_add_func ("/engine/nn/exact/log8-elma", test_net_elma);
  g_test_add_func ("/engine/nn/exact/kulisch", test_net_kulisch);
  g_test_add_func ("/engine/nn/exact/fp-sequential", test_net_fp_sequential);
  g_test_add_func ("/engine/nn/exact/unit-recovery", test_net_unit_recovery);
  g_test_add_func ("/engine/nn/exact/inputs", test_net_exact_inputs);
  g_test_add_func ("/engine/nn/exact/path", test_net_path);
  g_test_add_func ("/engine/nn/exact/weights-repacked", test_net_weights_repacked);
  g_test_add_func ("/engine/nn/exact/refusals", test_net_refusals);
  g_test_add_func ("/engine/nn/fake-quant/conv-weights-requantized",
                   test_net_conv_weights_requantized);
  return g_test_run ();
}
