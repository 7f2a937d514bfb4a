/* Posit family: every code of every posit<N>_<ES> with N ≤ 16 against values
 * built here from Gustafson's construction, rounding at every switch point
 * (the (N+1)-bit posit between two neighbours), the fast kernel against the
 * reference, posit32 against a bit-by-bit reader, and the quire against MPFR.
 *
 * Two references, both written here without the engine:
 *  - construction: the posits of N+1 bits are those of N bits with, between
 *    each pair of neighbours x < y, one new value: y / useed above 0,
 *    x · useed below NaR (±∞), the geometric mean when y > 2x (an exponent
 *    bit is added: x and y are powers of two), else the arithmetic mean (a
 *    fraction bit).  Starting from 2 bits {0, 1, NaR, -1}.
 *  - bits_value(): the definition read bit by bit (sign, regime run, ES
 *    exponent bits padded with zeros, fraction), for any N ≤ 33.
 * The two are checked against each other for every 17-bit code.
 */
#include "bs-test-ref.h"
#include "bs-format.h"
#include "bs-format-private.h"

#include <float.h>
#include <gmp.h>
#include <mpfr.h>

#define TABLE_BITS 17                 /* N ≤ 16, plus one bit for switch points */
#define TABLE_SIZE (1u << (TABLE_BITS - 1))

/* Reference 1: the construction ------------------------------------------- */

static double *construction[5];       /* per ES: values of the positive 17-bit codes */

static double
insert_between (double x, double y, double useed)
{
  int ex, ey;

  if (x == 0)
    return y / useed;
  if (isinf (y))
    return x * useed;
  if (y > 2 * x)
    {
      g_assert_cmpfloat (frexp (x, &ex), ==, 0.5);
      g_assert_cmpfloat (frexp (y, &ey), ==, 0.5);
      g_assert_cmpint ((ex + ey) % 2, ==, 0);
      return ldexp (0.5, (ex + ey) / 2);
    }
  return (x + y) / 2;
}

/* Values of the positive codes 0 … 2^16 - 1 of posit17_es; index 2^16 holds
 * +inf, standing for NaR above maxpos. */
static const double *
construct (int es)
{
  if (!construction[es])
    {
      double useed = ldexp (1.0, 1 << es);
      double *t = g_new (double, TABLE_SIZE + 1);
      double *u = g_new (double, TABLE_SIZE + 1);
      guint count = 2;                 /* positive codes of the current width, + sentinel */

      t[0] = 0;
      t[1] = 1;
      t[2] = INFINITY;
      for (int n = 2; n < TABLE_BITS; n++)
        {
          for (guint c = 0; c < count; c++)
            {
              u[2 * c] = t[c];
              u[2 * c + 1] = insert_between (t[c], t[c + 1], useed);
            }
          count *= 2;
          u[count] = INFINITY;
          memcpy (t, u, (count + 1) * sizeof *t);
        }
      g_assert_cmpuint (count, ==, TABLE_SIZE);
      g_free (u);
      construction[es] = t;
    }
  return construction[es];
}

/* Value of the positive N-bit code c (N ≤ 16), and of the (N+1)-bit posit
 * right after it: the switch point between c and c + 1. */
static double
table_value (int n, int es, uint32_t c)
{
  return construct (es)[c << (TABLE_BITS - n)];
}

static double
table_switch (int n, int es, uint32_t c)
{
  return construct (es)[(2 * c + 1) << (TABLE_BITS - n - 1)];
}

/* Reference 2: read the bits -------------------------------------------------- */

static double
bits_value (int n, int es, uint64_t code)
{
  uint64_t mask = (UINT64_C (1) << n) - 1;
  int b[64] = { 0 }, m = n - 1, i = 0, k = 0, neg;
  long r, e = 0;
  double frac = 1, w = 0.5, v;

  code &= mask;
  if (code == 0)
    return 0;
  if (code == UINT64_C (1) << (n - 1))
    return NAN;
  neg = (int) (code >> (n - 1));
  if (neg)
    code = (~code + 1) & mask;
  for (int j = 0; j < m; j++)
    b[j] = (int) ((code >> (m - 1 - j)) & 1);
  while (i < m && b[i] == b[0])
    i++, k++;
  r = b[0] ? k - 1 : -k;
  if (i < m)
    i++;                               /* the regime's terminating bit */
  for (int j = 0; j < es; j++)
    {
      e = 2 * e + (i < m ? b[i] : 0);
      if (i < m)
        i++;
    }
  for (; i < m; i++, w /= 2)
    if (b[i])
      frac += w;
  v = ldexp (frac, (int) (r * (1L << es) + e));
  return neg ? -v : v;
}

static uint32_t
neg_code (int n, uint32_t c)
{
  return (uint32_t) ((UINT64_C (1) << n) - c) & (uint32_t) ((UINT64_C (1) << n) - 1);
}

/* The posit code a real s (exact, in MPFR) rounds to, by the standard's rule:
 * find the neighbours v(c) ≤ |s| < v(c+1) by bisection over the codes, then
 * compare with the (N+1)-bit posit between them; equality is a tie, decided
 * for the even code.  Below minpos → minpos, at or above maxpos → maxpos. */
static uint32_t
ref_round_mpfr (int n, int es, mpfr_t s)
{
  uint32_t maxc = (uint32_t) ((UINT64_C (1) << (n - 1)) - 1), lo = 1, hi = maxc, c;
  mpfr_t a;
  int cmp;

  if (mpfr_nan_p (s) || mpfr_inf_p (s))
    return (uint32_t) (UINT64_C (1) << (n - 1));
  if (mpfr_zero_p (s))
    return 0;
  mpfr_init2 (a, mpfr_get_prec (s));
  mpfr_abs (a, s, MPFR_RNDN);
  if (mpfr_cmp_d (a, bits_value (n, es, maxc)) >= 0)
    c = maxc;
  else if (mpfr_cmp_d (a, bits_value (n, es, 1)) < 0)
    c = 1;
  else
    {
      while (hi - lo > 1)
        {
          uint32_t mid = lo + (hi - lo) / 2;
          if (mpfr_cmp_d (a, bits_value (n, es, mid)) >= 0)
            lo = mid;
          else
            hi = mid;
        }
      cmp = mpfr_cmp_d (a, bits_value (n + 1, es, 2 * (uint64_t) lo + 1));
      c = cmp < 0 ? lo : cmp > 0 ? lo + 1 : (lo & 1) ? lo + 1 : lo;
    }
  mpfr_clear (a);
  return mpfr_sgn (s) < 0 ? neg_code (n, c) : c;
}

static uint32_t
ref_round_double (int n, int es, double x)
{
  mpfr_t s;
  uint32_t c;

  mpfr_init2 (s, 64);
  mpfr_set_d (s, x, MPFR_RNDN);
  c = ref_round_mpfr (n, es, s);
  mpfr_clear (s);
  return c;
}

/* Helpers ----------------------------------------------------------------- */

typedef struct {
  int n, es;
  char name[24];
} posit_case;

static posit_case small_cases[15 * 5];

static void
get_format (const char *name, bs_format *f)
{
  char err[200];
  int r = bs_format_parse (name, f, err, sizeof err);
  if (r != 0)
    g_error ("%s: %s", name, err);
}

static void
get_posit (int n, int es, bs_format *f)
{
  char name[32];
  snprintf (name, sizeof name, "posit%d_%d", n, es);
  get_format (name, f);
  g_assert_cmpint (f->bits, ==, n);
  g_assert_cmpint (bs_format_family (f), ==, BS_FAMILY_POSIT);
}

/* The two references agree on every 17-bit code of every ES. */
static void
test_references_agree (void)
{
  for (int es = 0; es <= 4; es++)
    {
      const double *t = construct (es);
      for (uint32_t c = 0; c < TABLE_SIZE; c++)
        bs_assert_same (bits_value (TABLE_BITS, es, c), t[c], "posit17_%d 0x%x", es, c);
      /* negative codes by two's complement, and NaR */
      g_assert_true (isnan (bits_value (TABLE_BITS, es, TABLE_SIZE)));
      bs_assert_same (bits_value (TABLE_BITS, es, 2 * TABLE_SIZE - 1), -t[1], "posit17 -minpos");
    }
}

/* Every code decodes to the constructed value; negative codes are the two's
 * complement negations; NaR is NaN. */
static void
test_exhaustive_decode (gconstpointer data)
{
  const posit_case *pc = data;
  bs_format f;
  uint32_t half = 1u << (pc->n - 1);

  get_posit (pc->n, pc->es, &f);
  for (uint32_t c = 0; c < 2 * half; c++)
    {
      double want;
      if (c == half)
        want = NAN;
      else if (c > half)
        want = -table_value (pc->n, pc->es, 2 * half - c);
      else
        want = table_value (pc->n, pc->es, c);
      bs_assert_same (bs_format_decode (&f, c), want, "%s decode 0x%x", pc->name, c);
    }
  g_assert_cmpfloat (f.max, ==, table_value (pc->n, pc->es, half - 1));
  g_assert_cmpfloat (f.min_pos, ==, table_value (pc->n, pc->es, 1));
}

/* Rounding at every pair of neighbours: at the (N+1)-bit posit between them
 * the even code, a hair below the lower, a hair above the upper; both signs.
 * Never 0 nor NaR for a nonzero real; NaN and ±inf give NaR. */
static void
test_exhaustive_rounding (gconstpointer data)
{
  const posit_case *pc = data;
  const int n = pc->n, es = pc->es;
  bs_format f;
  uint32_t half = 1u << (n - 1), maxc = half - 1, nar = half;
  double useed = ldexp (1.0, 1 << es), maxpos, minpos;
  int geometric = 0;

  get_posit (n, es, &f);
  maxpos = table_value (n, es, maxc);
  minpos = table_value (n, es, 1);
  for (uint32_t c = 0; c <= maxc; c++)
    {
      double v = table_value (n, es, c), u, w;
      uint32_t even;

      g_assert_cmphex (bs_format_encode (&f, v), ==, c);
      g_assert_cmphex (bs_format_encode (&f, -v), ==, neg_code (n, c));
      if (c == 0 || c == maxc)
        continue;
      u = table_switch (n, es, c);
      w = table_value (n, es, c + 1);
      g_assert_true (v < u && u < w);
      if (u != (v + w) / 2)
        geometric++;
      even = (c & 1) ? c + 1 : c;
      g_assert_cmphex (bs_format_encode (&f, u), ==, even);
      g_assert_cmphex (bs_format_encode (&f, -u), ==, neg_code (n, even));
      g_assert_cmphex (bs_format_encode (&f, nextafter (u, 0)), ==, c);
      g_assert_cmphex (bs_format_encode (&f, nextafter (u, INFINITY)), ==, c + 1);
      g_assert_cmphex (bs_format_encode (&f, -nextafter (u, 0)), ==, neg_code (n, c));
      g_assert_cmphex (bs_format_encode (&f, -nextafter (u, INFINITY)), ==, neg_code (n, c + 1));
    }
  /* where an exponent bit is added the switch point is not the mean: make
   * sure those cases were met (es = 0 has none: useed = 2) */
  if (es > 0 && n >= 3)
    g_assert_cmpint (geometric, >, 0);
  else
    g_assert_cmpint (geometric, ==, 0);

  /* below minpos → ±minpos, never 0 */
  g_assert_cmphex (bs_format_encode (&f, minpos / useed), ==, 1);
  g_assert_cmphex (bs_format_encode (&f, nextafter (minpos, 0)), ==, 1);
  g_assert_cmphex (bs_format_encode (&f, DBL_TRUE_MIN), ==, 1);
  g_assert_cmphex (bs_format_encode (&f, -DBL_TRUE_MIN), ==, neg_code (n, 1));
  /* above maxpos → ±maxpos, never NaR */
  g_assert_cmphex (bs_format_encode (&f, maxpos * useed), ==, maxc);
  g_assert_cmphex (bs_format_encode (&f, nextafter (maxpos, INFINITY)), ==, maxc);
  g_assert_cmphex (bs_format_encode (&f, DBL_MAX), ==, maxc);
  g_assert_cmphex (bs_format_encode (&f, -DBL_MAX), ==, neg_code (n, maxc));
  /* zero (either sign) → 0; NaN, ±inf → NaR */
  g_assert_cmphex (bs_format_encode (&f, 0.0), ==, 0);
  g_assert_cmphex (bs_format_encode (&f, -0.0), ==, 0);
  g_assert_cmphex (bs_format_encode (&f, NAN), ==, nar);
  g_assert_cmphex (bs_format_encode (&f, INFINITY), ==, nar);
  g_assert_cmphex (bs_format_encode (&f, -INFINITY), ==, nar);
  g_assert_true (isnan (bs_format_round (&f, INFINITY)));
  bs_assert_same (bs_format_round (&f, -0.0), 0.0, "%s -0 → +0", pc->name);
}

/* Fast kernel against the reference ------------------------------------------ */

/* Every code (N ≤ 16) or random codes, the switch points and the floats
 * either side, plus n_random random float bit patterns and float edge cases. */
static void
check_fast (int n, int es, uint32_t n_wide_codes, int n_random, guint64 seed)
{
  bs_format f;
  bs_test_rng rng = { seed };
  GArray *in = g_array_new (FALSE, FALSE, sizeof (float));
  g_autofree float *out = NULL;
  uint32_t half = (uint32_t) (UINT64_C (1) << (n - 1));
  uint32_t n_codes = n <= 16 ? half : n_wide_codes;
  static const float edges[] = {
    0.0f, -0.0f, INFINITY, -INFINITY, NAN, FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN,
    FLT_TRUE_MIN, -FLT_TRUE_MIN, 0x1p-127f, 1.0f, -1.0f, 0x1.fffffep127f, 0x1.000002p-126f,
  };
  char err[200];

  get_posit (n, es, &f);
  for (uint32_t i = 0; i < n_codes; i++)
    {
      uint32_t c = n <= 16 ? i : (uint32_t) (bs_test_rng_next (&rng) % (half - 1)) + 1;
      double v = bits_value (n, es, c), u = bits_value (n + 1, es, 2 * (uint64_t) c + 1);
      float vals[6] = { (float) v, (float) u, nextafterf ((float) u, 0), nextafterf ((float) u, INFINITY),
                        nextafterf ((float) v, 0), nextafterf ((float) v, INFINITY) };
      for (int k = 0; k < 6; k++)
        {
          float neg = -vals[k];
          g_array_append_val (in, vals[k]);
          g_array_append_val (in, neg);
        }
    }
  /* every float binade, with mantissa patterns at its ends and middle */
  for (uint32_t e = 0; e < 256; e++)
    {
      static const uint32_t mant[] = { 0, 1, 2, 0x3fffff, 0x400000, 0x400001, 0x7ffffe, 0x7fffff };
      for (size_t k = 0; k < G_N_ELEMENTS (mant); k++)
        {
          uint32_t bits = (e << 23) | mant[k];
          float x;
          memcpy (&x, &bits, sizeof x);
          g_array_append_val (in, x);
        }
    }
  g_array_append_vals (in, edges, G_N_ELEMENTS (edges));
  for (int i = 0; i < n_random; i++)
    {
      float x = bs_test_rng_float_bits (&rng);
      g_array_append_val (in, x);
    }

  out = g_new (float, in->len);
  g_assert_cmpint (bs_format_quantize (&f, (float *) in->data, out, in->len, NULL, err,
                                       sizeof err), ==, 0);
  for (guint i = 0; i < in->len; i++)
    {
      float x = g_array_index (in, float, i);
      bs_assert_same (out[i], (float) bs_format_round (&f, x), "%s fast(%a)", f.name, x);
    }
  /* in place, as the API allows */
  g_assert_cmpint (bs_format_quantize (&f, (float *) in->data, (float *) in->data, in->len,
                                       NULL, err, sizeof err), ==, 0);
  for (guint i = 0; i < in->len; i++)
    bs_assert_same (g_array_index (in, float, i), out[i], "%s in place", f.name);
  g_array_unref (in);
}

typedef struct { int n, es; } ne_pair;
typedef struct { int n, es, n_random; } fast_case;

static const fast_case fast_cases[] = {
  { 8, 0, 1000000 }, { 8, 2, 1000000 }, { 16, 1, 1000000 }, { 16, 2, 1000000 },
  { 32, 2, 1000000 }, { 5, 1, 1000000 }, { 13, 3, 1000000 }, { 32, 4, 1000000 },
  { 2, 0, 100000 }, { 16, 4, 100000 }, { 32, 0, 100000 }, { 24, 3, 100000 },
};

static void
test_fast_selected (gconstpointer data)
{
  const fast_case *p = data;
  check_fast (p->n, p->es, 20000, p->n_random, 1000u * (guint64) p->n + (guint64) p->es);
}

/* Every width 2..32 and ES 0..4: the kernel's per-format tables are all right
 * (codes, switch points, every binade; fewer random floats). */
static void
test_fast_all_formats (void)
{
  for (int n = 2; n <= 32; n++)
    for (int es = 0; es <= 4; es++)
      check_fast (n, es, 2000, n <= 16 ? 2000 : 0, 77u + (guint64) n);
}

/* The fast kernel with a scale goes through the generic path: same as the
 * reference quantizer. */
static void
test_fast_scaled (void)
{
  bs_format f;
  bs_test_rng rng = { 5 };
  bs_qopts o = BS_QOPTS_INIT;
  enum { N = 100000 };
  g_autofree float *in = g_new (float, N);
  g_autofree float *out = g_new (float, N);
  char err[200];

  get_format ("posit16_1", &f);
  o.scale = 0.3;
  for (int i = 0; i < N; i++)
    in[i] = bs_test_rng_float_log (&rng, -40, 40);
  g_assert_cmpint (bs_format_quantize (&f, in, out, N, &o, err, sizeof err), ==, 0);
  for (int i = 0; i < N; i++)
    {
      double ref;
      g_assert_cmpint (bs_format_quantize_ref (&f, (double[]) { in[i] }, &ref, 1, &o, err,
                                               sizeof err), ==, 0);
      bs_assert_same (out[i], (float) ref, "posit16_1 fast(%a)·0.3", in[i]);
    }
}

typedef struct {
  bs_format f;
  float *in, *out;
  int n;
} thread_job;

static gpointer
quantize_thread (gpointer data)
{
  thread_job *j = data;
  bs_format_quantize (&j->f, j->in, j->out, (size_t) j->n, NULL, NULL, 0);
  return NULL;
}

/* First use of a format from many threads at once (the kernel builds its
 * table lazily): every thread gets the reference result. */
static void
test_fast_threads (void)
{
  enum { THREADS = 8, N = 20000 };
  thread_job jobs[THREADS];
  GThread *th[THREADS];
  bs_test_rng rng = { 11 };
  g_autofree float *in = g_new (float, N);

  for (int i = 0; i < N; i++)
    in[i] = bs_test_rng_float_log (&rng, -100, 100);
  for (int t = 0; t < THREADS; t++)
    {
      get_format ("posit31_3", &jobs[t].f);   /* used nowhere else in this program */
      jobs[t].in = in;
      jobs[t].out = g_new (float, N);
      jobs[t].n = N;
    }
  for (int t = 0; t < THREADS; t++)
    th[t] = g_thread_new ("quantize", quantize_thread, &jobs[t]);
  for (int t = 0; t < THREADS; t++)
    g_thread_join (th[t]);
  for (int t = 0; t < THREADS; t++)
    {
      for (int i = 0; i < N; i++)
        bs_assert_same (jobs[t].out[i], (float) bs_format_round (&jobs[t].f, in[i]),
                        "thread %d posit31_3(%a)", t, in[i]);
      g_free (jobs[t].out);
    }
}

/* Wide posits ----------------------------------------------------------------- */

/* posit32 (and 24, 31): random codes decode as read bit by bit, encode back,
 * and round at their switch points as the standard says; random doubles
 * round like the MPFR reference. */
static void
test_wide_random (void)
{
  static const ne_pair cases[] = { { 32, 0 }, { 32, 1 }, { 32, 2 }, { 32, 3 }, { 32, 4 },
                                   { 31, 2 }, { 24, 1 }, { 17, 0 }, { 20, 4 } };
  bs_test_rng rng = { 99 };

  for (size_t k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      const int n = cases[k].n, es = cases[k].es;
      uint32_t half = (uint32_t) (UINT64_C (1) << (n - 1));
      bs_format f;

      get_posit (n, es, &f);
      for (int i = 0; i < 100000; i++)
        {
          uint32_t c = (uint32_t) (bs_test_rng_next (&rng) % half);
          uint32_t sc = (bs_test_rng_next (&rng) & 1) ? neg_code (n, c) : c;
          double v = bits_value (n, es, sc);

          bs_assert_same (bs_format_decode (&f, sc), v, "%s decode 0x%x", f.name, sc);
          g_assert_cmphex (bs_format_encode (&f, v), ==, sc);
          if (c >= 1 && c < half - 1)
            {
              double u = bits_value (n + 1, es, 2 * (uint64_t) c + 1);
              uint32_t even = (c & 1) ? c + 1 : c;
              g_assert_cmphex (bs_format_encode (&f, u), ==, even);
              g_assert_cmphex (bs_format_encode (&f, nextafter (u, 0)), ==, c);
              g_assert_cmphex (bs_format_encode (&f, -nextafter (u, INFINITY)), ==,
                               neg_code (n, c + 1));
            }
        }
      for (int i = 0; i < 20000; i++)
        {
          /* doubles over the whole range, all 53 bits random */
          double x = ldexp (1.0 + bs_test_rng_uniform (&rng),
                            (int) (bs_test_rng_next (&rng) % 1100) - 550);
          if (bs_test_rng_next (&rng) & 1)
            x = -x;
          g_assert_cmphex (bs_format_encode (&f, x), ==, ref_round_double (n, es, x));
        }
    }
}

/* Known values (REFERENCES.md and the standard). */
static void
test_limits (void)
{
  static const struct { const char *name; double maxpos; uint32_t one, nar; } t[] = {
    { "posit32_2", 0x1p120, 0x40000000u, 0x80000000u },
    { "posit16_1", 0x1p28, 0x4000u, 0x8000u },
    { "posit16_2", 0x1p56, 0x4000u, 0x8000u },
    { "posit8_0", 64, 0x40u, 0x80u },
    { "posit8_2", 0x1p24, 0x40u, 0x80u },
    { "posit32_4", 0x1p480, 0x40000000u, 0x80000000u },
  };
  bs_format f;

  for (size_t i = 0; i < G_N_ELEMENTS (t); i++)
    {
      get_format (t[i].name, &f);
      g_assert_cmpfloat (f.max, ==, t[i].maxpos);
      g_assert_cmpfloat (f.min_pos, ==, 1 / t[i].maxpos);
      g_assert_cmphex (bs_format_encode (&f, 1.0), ==, t[i].one);
      g_assert_cmphex (bs_format_encode (&f, -1.0), ==, neg_code (f.bits, t[i].one));
      g_assert_cmpfloat (bs_format_decode (&f, t[i].one), ==, 1.0);
      g_assert_cmpfloat (bs_format_decode (&f, t[i].nar - 1), ==, t[i].maxpos);
      g_assert_cmpfloat (bs_format_decode (&f, 1), ==, 1 / t[i].maxpos);
      g_assert_true (isnan (bs_format_decode (&f, t[i].nar)));
      g_assert_cmphex (bs_format_encode (&f, NAN), ==, t[i].nar);
    }
  /* 1.0 is 0x4000 in posit16 for every ES */
  for (int es = 0; es <= 4; es++)
    {
      get_posit (16, es, &f);
      g_assert_cmphex (bs_format_encode (&f, 1.0), ==, 0x4000);
      g_assert_cmpfloat (bs_format_decode (&f, 0x4000), ==, 1.0);
    }
  /* every posit of N ≤ 32 is a double: the most fraction bits, 29, are in
   * posit32_0 next to 1 */
  get_format ("posit32_0", &f);
  g_assert_cmpfloat (bs_format_decode (&f, 0x40000001u), ==, 1 + 0x1p-29);
  g_assert_cmpfloat (bs_format_decode (&f, 0x3fffffffu), ==, 1 - 0x1p-30);
  g_assert_cmphex (bs_format_encode (&f, 1 + 0x1p-29), ==, 0x40000001u);
  get_format ("posit32_4", &f);
  g_assert_cmpfloat (bs_format_decode (&f, 0x40000001u), ==, 1 + 0x1p-25);
  /* posit32_2 near 1: 27 fraction bits; 0x7fffffff = 2^120, 0x00000001 = 2^-120 */
  get_format ("posit32_2", &f);
  g_assert_cmpfloat (bs_format_decode (&f, 0x40000001u), ==, 1 + 0x1p-27);
  g_assert_cmpfloat (bs_format_decode (&f, 0x7fffffffu), ==, 0x1p120);
  g_assert_cmpfloat (bs_format_decode (&f, 0xc0000000u), ==, -1.0);
  g_assert_cmpfloat (bs_format_decode (&f, 0x48000000u), ==, 2.0);
  /* the well-known posit8_2 case: 144179.2 lies between 65536 and 262144,
   * above their switch point 131072, and rounds to 262144 although 65536 is
   * nearer; 131072 itself ties to the even code 0x7c = 65536 */
  get_format ("posit8_2", &f);
  g_assert_cmpfloat (bs_format_round (&f, 144179.2), ==, 262144);
  g_assert_cmphex (bs_format_encode (&f, 131072), ==, 0x7c);
  g_assert_cmpfloat (bs_format_decode (&f, 0x7d), ==, 262144);
}

static void
test_describe (void)
{
  bs_format f;
  char buf[256];

  get_format ("posit16_1", &f);
  bs_format_describe (&f, buf, sizeof buf);
  g_assert_nonnull (strstr (buf, "n = 16"));
  g_assert_nonnull (strstr (buf, "es = 1"));
  g_assert_nonnull (strstr (buf, "maxpos = 2^28"));
  g_assert_nonnull (strstr (buf, "minpos = 2^-28"));
  g_assert_nonnull (strstr (buf, "NaR = 0x8000"));
  get_format ("posit8_0", &f);
  bs_format_describe (&f, buf, sizeof buf);
  g_assert_nonnull (strstr (buf, "NaR = 0x80 "));
  g_assert_cmpint (bs_format_exact_acc (&f), ==, BS_ACC_QUIRE);
}

static void
test_parse (void)
{
  static const char *const good[] = { "posit2_0", "posit8_0", "posit16_1", "posit32_4", "posit13_3" };
  static const char *const bad[] = {
    "posit1_0", "posit33_2", "posit8_5", "posit0_0", "posit16", "posit08_1", "posit8_01",
    "posit8_1x", "posit8__1", "posit8_-1", "Posit8_1", "posit8_1 ", "posit_1", "posit8-1",
  };
  for (size_t i = 0; i < G_N_ELEMENTS (good); i++)
    {
      bs_format f;
      get_format (good[i], &f);
      g_assert_cmpstr (f.name, ==, good[i]);
      g_assert_cmpint (f.block, ==, 0);
    }
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      bs_format f;
      char err[200] = "";
      g_assert_cmpint (bs_format_parse (bad[i], &f, err, sizeof err), ==, -1);
      g_assert_cmpstr (err, !=, "");
    }
  /* out-of-range parameters are explained, not "unknown" */
  {
    bs_format f;
    char err[200] = "";
    g_assert_cmpint (bs_format_parse ("posit64_2", &f, err, sizeof err), ==, -1);
    g_assert_nonnull (strstr (err, "32"));
    g_assert_cmpint (bs_format_parse ("posit16", &f, err, sizeof err), ==, -1);
    g_assert_nonnull (strstr (err, "posit16_2"));
  }
}

/* The quire --------------------------------------------------------------------- */

#define QUIRE_PREC 2400   /* bits: more than any quire's span (≤ 1952 + log2 n) */

static void
exact_dot (int count, const double *a, const double *b, mpfr_t sum)
{
  mpfr_t p;

  mpfr_init2 (p, 128);
  mpfr_set_zero (sum, 1);
  for (int i = 0; i < count; i++)
    {
      g_assert_cmpint (mpfr_set_d (p, a[i], MPFR_RNDN), ==, 0);
      g_assert_cmpint (mpfr_mul_d (p, p, b[i], MPFR_RNDN), ==, 0);      /* exact */
      g_assert_cmpint (mpfr_add (sum, sum, p, MPFR_RNDN), ==, 0);       /* exact */
    }
  mpfr_clear (p);
}

/* Run the quire and compare with the exact sum: value = nearest double,
 * rounded = the posit the exact sum rounds to (ref_round_mpfr). */
static void
check_quire (int n, int es, int count, const double *a, const double *b, const char *what)
{
  bs_format f;
  bs_dot_result r;
  char err[200] = "";
  mpfr_t sum;
  double want_value, want_rounded;

  get_posit (n, es, &f);
  mpfr_init2 (sum, QUIRE_PREC);
  exact_dot (count, a, b, sum);
  want_value = mpfr_get_d (sum, MPFR_RNDN);
  want_rounded = bits_value (n, es, ref_round_mpfr (n, es, sum));
  mpfr_clear (sum);

  memset (&r, 0, sizeof r);
  if (_bs_posit_dot_quire (&f, a, b, (size_t) count, &r, err, sizeof err) != 0)
    g_error ("%s %s: %s", f.name, what, err);
  g_assert_cmpint (r.acc, ==, BS_ACC_QUIRE);
  g_assert_false (r.overflow);
  bs_assert_same (r.value, want_value, "%s %s: value", f.name, what);
  bs_assert_same (r.rounded, want_rounded, "%s %s: rounded", f.name, what);
}

/* A random value of the format: a uniformly random non-NaR code, or (near)
 * a code close to 1 so that the low bits of the sum matter. */
static double
random_posit (bs_test_rng *rng, int n, int es, bool near_one)
{
  uint64_t half = UINT64_C (1) << (n - 1), c;

  if (near_one && n > 4)
    c = (half >> 1) - (half >> 3) + bs_test_rng_next (rng) % (half >> 2);
  else
    c = bs_test_rng_next (rng) % half;
  if (bs_test_rng_next (rng) & 1)
    c = (2 * half - c) & (2 * half - 1);
  return bits_value (n, es, c);
}

static const ne_pair quire_cases[] = {
  { 8, 0 }, { 8, 2 }, { 16, 1 }, { 16, 2 }, { 32, 2 }, { 32, 4 }, { 13, 3 }, { 5, 1 },
  { 2, 0 }, { 32, 0 }, { 24, 4 },
};

/* Random vectors of length 10^4 (uniform codes, codes near 1, mixed). */
static void
test_quire_random (void)
{
  enum { LEN = 10000 };
  g_autofree double *a = g_new (double, LEN);
  g_autofree double *b = g_new (double, LEN);
  bs_test_rng rng = { 2022 };

  for (size_t k = 0; k < G_N_ELEMENTS (quire_cases); k++)
    for (int mode = 0; mode < 3; mode++)
      {
        const int n = quire_cases[k].n, es = quire_cases[k].es;
        for (int i = 0; i < LEN; i++)
          {
            bool near = mode == 1 || (mode == 2 && (i & 1));
            a[i] = random_posit (&rng, n, es, near);
            b[i] = random_posit (&rng, n, es, near);
          }
        check_quire (n, es, LEN, a, b, mode == 0 ? "uniform" : mode == 1 ? "near 1" : "mixed");
        for (int len = 1; len <= 7; len++)
          check_quire (n, es, len, a, b, "short");
      }
}

/* Huge cancellation: every big product appears again negated (shuffled), so
 * only a few small products remain; and maxpos² - maxpos² + minpos². */
static void
test_quire_cancellation (void)
{
  enum { LEN = 10000, PAIRS = 4990 };
  g_autofree double *a = g_new (double, LEN);
  g_autofree double *b = g_new (double, LEN);
  bs_test_rng rng = { 7 };

  for (size_t k = 0; k < G_N_ELEMENTS (quire_cases); k++)
    {
      const int n = quire_cases[k].n, es = quire_cases[k].es;
      bs_format f;
      double maxpos, minpos;

      get_posit (n, es, &f);
      maxpos = f.max;
      minpos = f.min_pos;
      for (int i = 0; i < PAIRS; i++)
        {
          a[i] = random_posit (&rng, n, es, false);
          b[i] = random_posit (&rng, n, es, false);
          a[PAIRS + i] = -a[i];
          b[PAIRS + i] = b[i];
        }
      /* the survivors: small values */
      for (int i = 2 * PAIRS; i < LEN; i++)
        {
          a[i] = minpos * (double) (1 + (int) (bs_test_rng_next (&rng) % 2));
          b[i] = random_posit (&rng, n, es, true);
        }
      /* shuffle the second half of the pairs and the survivors */
      for (int i = LEN - 1; i > PAIRS; i--)
        {
          int j = PAIRS + (int) (bs_test_rng_next (&rng) % (guint64) (i - PAIRS + 1));
          double t = a[i]; a[i] = a[j]; a[j] = t;
          t = b[i]; b[i] = b[j]; b[j] = t;
        }
      check_quire (n, es, LEN, a, b, "cancellation");
      check_quire (n, es, 2 * PAIRS, a, b, "exact zero");

      {
        double ca[] = { maxpos, minpos, maxpos }, cb[] = { maxpos, minpos, -maxpos };
        check_quire (n, es, 3, ca, cb, "maxpos² + minpos² - maxpos²");
      }
    }
}

/* The once-rounded result comes from the exact quire, not from its double:
 * a sum a tiny bit above a switch point rounds up even where the double of
 * the sum lands exactly on the switch point (a tie that would go down). */
static void
test_quire_rounding (void)
{
  bs_format f;
  bs_dot_result r;
  char err[200];

  /* posit8_2: 65536 + 65536 = 131072 is the switch point to 262144 */
  get_format ("posit8_2", &f);
  {
    double a[] = { 65536, 65536 }, b[] = { 1, 1 };
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 2, &r, err, sizeof err), ==, 0);
    g_assert_cmpfloat (r.value, ==, 131072);
    g_assert_cmpfloat (r.rounded, ==, 65536);             /* tie → even code 0x7c */
  }
  {
    double a[] = { 65536, 65536, 0x1p-24 }, b[] = { 1, 1, 0x1p-24 };
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 3, &r, err, sizeof err), ==, 0);
    g_assert_cmpfloat (r.rounded, ==, 262144);
  }
  /* posit32_2: 1 + 2^-28 is the switch point between 1 and 1 + 2^-27 */
  get_format ("posit32_2", &f);
  {
    double a[] = { 1, 0x1p-28, 0x1p-120 }, b[] = { 1, 1, 0x1p-120 };
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 2, &r, err, sizeof err), ==, 0);
    g_assert_cmpfloat (r.rounded, ==, 1.0);
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 3, &r, err, sizeof err), ==, 0);
    g_assert_cmpfloat (r.value, ==, 1 + 0x1p-28);         /* minpos² lost in the double */
    g_assert_cmpfloat (r.rounded, ==, 1 + 0x1p-27);       /* but not in the quire */
    /* negative side too */
    a[0] = -1, a[1] = -0x1p-28, a[2] = -0x1p-120;
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 3, &r, err, sizeof err), ==, 0);
    g_assert_cmpfloat (r.rounded, ==, -1 - 0x1p-27);
  }
  /* a lone minpos² rounds to minpos, never to 0 */
  {
    double a[] = { 0x1p-120 }, b[] = { -0x1p-120 };
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 1, &r, err, sizeof err), ==, 0);
    g_assert_cmpfloat (r.value, ==, -0x1p-240);
    g_assert_cmpfloat (r.rounded, ==, -0x1p-120);
  }
  /* empty: 0 */
  g_assert_cmpint (_bs_posit_dot_quire (&f, NULL, NULL, 0, &r, err, sizeof err), ==, 0);
  bs_assert_same (r.value, 0.0, "empty");
  bs_assert_same (r.rounded, 0.0, "empty");
}

/* NaR (NaN, inf) anywhere → NaN; non-posit operands are refused; a product
 * beyond the quire's range sets overflow. */
static void
test_quire_specials (void)
{
  bs_format f;
  bs_dot_result r;
  char err[200] = "";

  get_format ("posit16_1", &f);
  {
    double a[] = { 1, NAN, 2 }, b[] = { 1, 1, 1 };
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 3, &r, err, sizeof err), ==, 0);
    g_assert_true (isnan (r.value));
    g_assert_true (isnan (r.rounded));
    a[1] = 0;
    b[1] = INFINITY;
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 3, &r, err, sizeof err), ==, 0);
    g_assert_true (isnan (r.rounded));
  }
  {
    double a[] = { 1 + 0x1p-40 }, b[] = { 1 };
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 1, &r, err, sizeof err), ==, -1);
    g_assert_cmpstr (err, !=, "");
  }
  {
    double a[] = { 0x1p-40 }, b[] = { 0x1p-40 };            /* below minpos² = 2^-56 */
    err[0] = '\0';
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 1, &r, err, sizeof err), ==, -1);
    g_assert_cmpstr (err, !=, "");
  }
  get_format ("posit8_0", &f);                              /* 128 bits, lsb 2^-12 */
  {
    double a[] = { 0x1p70, 1 }, b[] = { 0x1p70, 1 };
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 2, &r, err, sizeof err), ==, 0);
    g_assert_true (r.overflow);
    a[0] = b[0] = 0x1p300;                                  /* far above the register */
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 2, &r, err, sizeof err), ==, 0);
    g_assert_true (r.overflow);
  }
  {
    double a[] = { 64, 1 }, b[] = { 64, 1 };
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 2, &r, err, sizeof err), ==, 0);
    g_assert_false (r.overflow);
    g_assert_cmpfloat (r.value, ==, 4097);
    g_assert_cmpfloat (r.rounded, ==, 64);
  }
  get_format ("fp16", &f);
  {
    double a[] = { 1 }, b[] = { 1 };
    g_assert_cmpint (_bs_posit_dot_quire (&f, a, b, 1, &r, err, sizeof err), ==, -1);
  }
}

int
main (int argc, char **argv)
{
  int k = 0;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/formats/posit/references-agree", test_references_agree);
  for (int n = 2; n <= 16; n++)
    for (int es = 0; es <= 4; es++, k++)
      {
        posit_case *pc = &small_cases[k];
        g_autofree char *p1 = NULL, *p2 = NULL;

        pc->n = n;
        pc->es = es;
        snprintf (pc->name, sizeof pc->name, "posit%d_%d", n, es);
        p1 = g_strdup_printf ("/engine/formats/%s/exhaustive/decode", pc->name);
        p2 = g_strdup_printf ("/engine/formats/%s/exhaustive/rounding", pc->name);
        g_test_add_data_func (p1, pc, test_exhaustive_decode);
        g_test_add_data_func (p2, pc, test_exhaustive_rounding);
      }
  for (size_t i = 0; i < G_N_ELEMENTS (fast_cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/engine/formats/posit%d_%d/fast-equals-reference",
                                            fast_cases[i].n, fast_cases[i].es);
      g_test_add_data_func (p, &fast_cases[i], test_fast_selected);
    }
  g_test_add_func ("/engine/formats/posit/fast-all-formats", test_fast_all_formats);
  g_test_add_func ("/engine/formats/posit/fast-scaled", test_fast_scaled);
  g_test_add_func ("/engine/formats/posit/fast-threads", test_fast_threads);
  g_test_add_func ("/engine/formats/posit/wide-random", test_wide_random);
  g_test_add_func ("/engine/formats/posit/limits", test_limits);
  g_test_add_func ("/engine/formats/posit/describe", test_describe);
  g_test_add_func ("/engine/formats/posit/parse", test_parse);
  g_test_add_func ("/engine/formats/posit/quire/random", test_quire_random);
  g_test_add_func ("/engine/formats/posit/quire/cancellation", test_quire_cancellation);
  g_test_add_func ("/engine/formats/posit/quire/rounding-from-quire", test_quire_rounding);
  g_test_add_func ("/engine/formats/posit/quire/specials", test_quire_specials);
  return g_test_run ();
}
