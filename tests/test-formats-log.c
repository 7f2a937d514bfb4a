/* Log-float family (Johnson 2018, facebookresearch/deepfloat).
 *
 * Every code of log8, of every log<N>_<ES> (N ≤ 16) and of log16 against
 * values computed here with MPFR from a separate, bit-by-bit reading of the
 * pattern; rounding just below, on and just above every log-domain midpoint
 * (MPFR at 128 bits); flush, saturation, NaN; the fast kernels against the
 * reference; ELMA bit for bit against a separately written model of
 * deepfloat's datapath (GMP register, MPFR tables); the exact-product Kulisch
 * dot against an MPFR sum.  Expected values never come from the engine's
 * own encode or decode, except where the fast kernel is held to the
 * reference.
 */
#include "bs-test-ref.h"
#include "bs-format.h"
#include "bs-dot.h"
#include "bs-format-private.h"

#include <float.h>
#include <gmp.h>
#include <mpfr.h>

/* Formats, read independently -------------------------------------------- */

typedef struct {
  char name[16];
  int n, es;        /* tapered: width and exponent bits; log16: 16, 5 */
  bool tapered;
  int F;            /* log-fraction bits: at the longest fraction (N-3-ES ≥ 0) */
  double *values;   /* ref_code_value of every code, once filled (lfmt_fill) */
} lfmt;

enum { K_ZERO, K_FINITE, K_NAN, K_INF };

typedef struct {
  int kind;
  bool neg;
  long L;           /* log2|value| = L / 2^F */
} rcode;

static lfmt *
lfmt_new (const char *name, int n, int es, bool tapered)
{
  lfmt *l = g_new0 (lfmt, 1);
  g_strlcpy (l->name, name, sizeof l->name);
  l->n = n;
  l->es = es;
  l->tapered = tapered;
  l->F = tapered ? MAX (n - 3 - es, 0) : 10;
  return l;
}

/* Read a code from its most significant bit on: sign, the regime run and its
 * terminator, ES exponent bits, F fraction bits; bits past the end are 0. */
static rcode
ref_parse (const lfmt *l, uint32_t code)
{
  rcode r = { K_ZERO, false, 0 };

  if (!l->tapered)
    {
      unsigned E = (code >> 10) & 31, fr = code & 1023;
      r.neg = (code >> 15) & 1;
      if (E == 0)
        r.kind = K_ZERO;
      else if (E == 31)
        r.kind = fr ? K_NAN : K_INF;
      else
        {
          r.kind = K_FINITE;
          r.L = ((long) E - 15) * 1024 + fr;
        }
      return r;
    }

  {
    int nb = l->n - 1, pos = nb - 1, first, run = 1;
    uint32_t body = code & ((1u << nb) - 1);
    bool s = (code >> nb) & 1;
    long k, ex = 0, fr = 0;

    if (body == 0)
      {
        r.kind = s ? K_NAN : K_ZERO;
        return r;
      }
    r.kind = K_FINITE;
    r.neg = s;
#define NEXT_BIT() (pos >= 0 ? (int) ((body >> pos--) & 1) : (pos--, 0))
    first = NEXT_BIT ();
    while (pos >= 0 && (int) ((body >> pos) & 1) == first)
      {
        run++;
        pos--;
      }
    if (pos >= 0)
      pos--;                                  /* the terminating bit */
    k = first ? run - 1 : -run;
    for (int i = 0; i < l->es; i++)
      ex = 2 * ex + NEXT_BIT ();
    for (int i = 0; i < l->F; i++)
      fr = 2 * fr + NEXT_BIT ();
#undef NEXT_BIT
    r.L = (k * (1L << l->es) + ex) * (1L << l->F) + fr;
  }
  return r;
}

/* RN(2^(num / 2^sh)) through MPFR. */
static double
exp2_rn (long num, int sh)
{
  mpfr_t x, y;
  double d;

  mpfr_init2 (x, 80);
  mpfr_init2 (y, 53);
  mpfr_set_si (x, num, MPFR_RNDN);
  mpfr_div_2ui (x, x, (unsigned long) sh, MPFR_RNDN);
  mpfr_exp2 (y, x, MPFR_RNDN);
  d = mpfr_get_d (y, MPFR_RNDN);
  mpfr_clear (x);
  mpfr_clear (y);
  return d;
}

static double
ref_value (const lfmt *l, rcode r)
{
  double v;

  switch (r.kind)
    {
    case K_ZERO:
      return r.neg ? -0.0 : 0.0;
    case K_NAN:
      return NAN;
    case K_INF:
      return r.neg ? -INFINITY : INFINITY;
    default:
      v = exp2_rn (r.L, l->F);
      return r.neg ? -v : v;
    }
}

static double
ref_code_value (const lfmt *l, uint32_t code)
{
  if (l->values)
    return l->values[code & ((1u << l->n) - 1)];
  return ref_value (l, ref_parse (l, code));
}

static void
lfmt_fill (lfmt *l)
{
  double *v = g_new (double, 1u << l->n);

  for (uint32_t c = 0; c < (1u << l->n); c++)
    v[c] = ref_value (l, ref_parse (l, c));
  l->values = v;
}

static uint32_t
sign_bit (const lfmt *l)
{
  return l->tapered ? 1u << (l->n - 1) : 0x8000u;
}

/* The largest positive finite code. */
static uint32_t
max_code (const lfmt *l)
{
  return l->tapered ? (1u << (l->n - 1)) - 1 : 0x7bffu;
}

/* The smallest positive code. */
static uint32_t
min_code (const lfmt *l)
{
  return l->tapered ? 1u : 0x0400u;
}

static void
get_format (const char *name, bs_format *f)
{
  char err[200];
  int r = bs_format_parse (name, f, err, sizeof err);
  if (r != 0)
    g_error ("parse %s: %s", name, err);
}

/* Decode ---------------------------------------------------------------- */

static void
test_decode (gconstpointer data)
{
  const lfmt *l = data;
  bs_format f;
  uint32_t n = 1u << l->n;

  get_format (l->name, &f);
  g_assert_cmpint (f.bits, ==, l->n);
  g_assert_cmpint (bs_format_family (&f), ==, BS_FAMILY_LOG);
  for (uint32_t c = 0; c < n; c++)
    bs_assert_same (bs_format_decode (&f, c), ref_code_value (l, c), "%s decode 0x%x", l->name, c);
  g_assert_cmpfloat (f.max, ==, ref_code_value (l, max_code (l)));
  g_assert_cmpfloat (f.min_pos, ==, ref_code_value (l, min_code (l)));
}

/* Rounding ---------------------------------------------------------------- */

/* Positive finite codes in increasing order (they must be monotone). */
static GArray *
positive_codes (const lfmt *l)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  long prev = LONG_MIN;

  for (uint32_t c = min_code (l); c <= max_code (l); c++)
    {
      rcode r = ref_parse (l, c);
      g_assert_cmpint (r.kind, ==, K_FINITE);
      g_assert_cmpint (r.L, >, prev);
      prev = r.L;
      g_array_append_val (a, c);
    }
  return a;
}

/* The log-domain midpoint B = 2^((L1 + L2) / 2^(F+1)) of two codes: the
 * largest double below it and the smallest above; *exact if B is a double
 * (then the tie case). */
static void
midpoint_bracket (const lfmt *l, long L1, long L2, double *below, double *above, bool *exact)
{
  long t = L1 + L2, den = 1L << (l->F + 1);

  if (t % den == 0)
    {
      double b = ldexp (1.0, (int) (t / den));
      *exact = true;
      *below = nextafter (b, 0.0);
      *above = nextafter (b, INFINITY);
      return;
    }
  {
    mpfr_t x, B;
    mpfr_init2 (x, 128);
    mpfr_init2 (B, 128);
    mpfr_set_si (x, t, MPFR_RNDN);
    mpfr_div_2ui (x, x, (unsigned long) (l->F + 1), MPFR_RNDN);
    mpfr_exp2 (B, x, MPFR_RNDN);
    *below = mpfr_get_d (B, MPFR_RNDD);
    *above = mpfr_get_d (B, MPFR_RNDU);
    *exact = false;
    g_assert_cmpfloat (*below, <, *above);
    mpfr_clear (x);
    mpfr_clear (B);
  }
}

static void
check_encode (const bs_format *f, const lfmt *l, double x, uint32_t want)
{
  uint32_t got = bs_format_encode (f, x);
  if (got != want)
    g_error ("%s encode(%a) = 0x%x, want 0x%x", l->name, x, got, want);
}

static void
test_rounding (gconstpointer data)
{
  const lfmt *l = data;
  const uint32_t sign = sign_bit (l), maxc = max_code (l);
  g_autoptr (GArray) codes = positive_codes (l);
  bs_format f;
  double minpos, maxpos;

  get_format (l->name, &f);
  minpos = ref_code_value (l, min_code (l));
  maxpos = ref_code_value (l, maxc);

  for (guint i = 0; i < codes->len; i++)
    {
      uint32_t c = g_array_index (codes, uint32_t, i);
      rcode r = ref_parse (l, c);
      double v = ref_value (l, r), below, above;
      bool exact;

      /* every value is its own code */
      check_encode (&f, l, v, c);
      check_encode (&f, l, -v, c | sign);
      if (i + 1 == codes->len)
        continue;

      {
        uint32_t c2 = g_array_index (codes, uint32_t, i + 1);
        rcode r2 = ref_parse (l, c2);

        midpoint_bracket (l, r.L, r2.L, &below, &above, &exact);
        check_encode (&f, l, below, c);
        check_encode (&f, l, above, c2);
        check_encode (&f, l, -below, c | sign);
        check_encode (&f, l, -above, c2 | sign);
        if (exact)
          {
            /* on the midpoint: ties to the even code */
            double b = nextafter (below, INFINITY);
            uint32_t even = (c & 1) ? c2 : c;
            check_encode (&f, l, b, even);
            check_encode (&f, l, -b, even | sign);
          }
      }
    }

  /* below minpos: flush to zero (deepfloat), one zero in the tapered codes */
  check_encode (&f, l, minpos, min_code (l));
  check_encode (&f, l, nextafter (minpos, 0.0), 0);
  check_encode (&f, l, minpos / 2, 0);
  check_encode (&f, l, 1e-300, 0);
  check_encode (&f, l, DBL_TRUE_MIN, 0);
  check_encode (&f, l, -nextafter (minpos, 0.0), l->tapered ? 0 : sign);
  check_encode (&f, l, 0.0, 0);
  check_encode (&f, l, -0.0, l->tapered ? 0 : sign);
  bs_assert_same (bs_format_round (&f, -1e-300), l->tapered ? 0.0 : -0.0, "%s -tiny", l->name);

  /* above maxpos: saturate */
  check_encode (&f, l, nextafter (maxpos, INFINITY), maxc);
  check_encode (&f, l, maxpos * 1.5, maxc);
  check_encode (&f, l, 1e300, maxc);
  check_encode (&f, l, -DBL_MAX, maxc | sign);

  /* NaN stays NaN; ±inf is deepfloat's unsigned inf (NaN) when tapered */
  g_assert_true (isnan (bs_format_round (&f, NAN)));
  if (l->tapered)
    {
      check_encode (&f, l, NAN, sign);
      check_encode (&f, l, INFINITY, sign);
      check_encode (&f, l, -INFINITY, sign);
      g_assert_true (isnan (bs_format_decode (&f, sign)));
    }
  else
    {
      g_assert_true (isnan (bs_format_decode (&f, bs_format_encode (&f, NAN))));
      check_encode (&f, l, INFINITY, 0x7c00u);
      check_encode (&f, l, -INFINITY, 0xfc00u);
    }
}

/* Fast kernel --------------------------------------------------------------- */

/* The fast float32 kernel equals the reference on every code, on floats
 * bracketing every midpoint, and on random bit patterns; also with a scale. */
static void
check_fast (const lfmt *l, int n_random)
{
  g_autoptr (GArray) codes = positive_codes (l);
  g_autoptr (GArray) in = g_array_new (FALSE, FALSE, sizeof (float));
  g_autofree float *out = NULL;
  bs_test_rng rng = { 4242 };
  bs_format f;
  char err[200];

  /* inputs only (the check is fast against reference): the codes' values,
   * and floats on both sides of each log midpoint sqrt(v1·v2) */
  get_format (l->name, &f);
  for (uint32_t c = 0; c < (1u << l->n); c++)
    {
      float v = (float) bs_format_decode (&f, c);
      g_array_append_val (in, v);
    }
  for (guint i = 0; i + 1 < codes->len; i++)
    {
      double v1 = bs_format_decode (&f, g_array_index (codes, uint32_t, i));
      double v2 = bs_format_decode (&f, g_array_index (codes, uint32_t, i + 1));
      float m = (float) sqrt (v1 * v2);
      float fl[4] = { nextafterf (m, 0.0f), m, nextafterf (m, INFINITY), -m };
      g_array_append_vals (in, fl, 4);
    }
  for (int i = 0; i < n_random; i++)
    {
      float v = (i & 1) ? bs_test_rng_float_bits (&rng) : bs_test_rng_float_log (&rng, -20, 20);
      g_array_append_val (in, v);
    }

  out = g_new (float, in->len);
  g_assert_cmpint (bs_format_quantize (&f, (float *) in->data, out, in->len, NULL, err,
                                       sizeof err), ==, 0);
  for (guint i = 0; i < in->len; i++)
    {
      float x = g_array_index (in, float, i);
      bs_assert_same (out[i], (float) bs_format_round (&f, x), "%s fast(%a)", l->name, x);
    }
}

/* With a scale, the fast path equals (float) of the reference q(x/s)·s
 * formed in double: log values are not floats, so the scaled product must
 * not be taken from the kernel's float result. */
static void
test_scaled (gconstpointer data)
{
  const lfmt *l = data;
  bs_test_rng rng = { 5150 };
  bs_qopts o = BS_QOPTS_INIT;
  enum { N = 100000 };
  g_autofree float *in = g_new (float, N);
  g_autofree float *out = g_new (float, N);
  bs_format f;
  char err[200];

  get_format (l->name, &f);
  for (int i = 0; i < N; i++)
    in[i] = (i & 1) ? bs_test_rng_float_bits (&rng) : bs_test_rng_float_log (&rng, -20, 20);
  o.scale = 0.3;
  g_assert_cmpint (bs_format_quantize (&f, in, out, N, &o, err, sizeof err), ==, 0);
  for (int i = 0; i < N; i++)
    {
      double x = in[i], ref;
      g_assert_cmpint (bs_format_quantize_ref (&f, &x, &ref, 1, &o, err, sizeof err), ==, 0);
      bs_assert_same (out[i], (float) ref, "%s scaled(%a)", l->name, in[i]);
    }
}

static void
test_fast (gconstpointer data)
{
  check_fast (data, 1000000);
}

static void
test_fast_small (gconstpointer data)
{
  check_fast (data, 20000);
}

/* Names ------------------------------------------------------------------- */

static void
test_parse (void)
{
  static const char *const bad[] = { "log3_1", "log17_0", "log8_4", "log2_0" };
  static const char *const alien[] = { "log", "logx", "log08", "log8_", "log8_01", "logistic" };
  bs_format f, g;
  char err[200], buf[400];

  get_format ("log8", &f);
  get_format ("log8_1", &g);
  g_assert_cmpint (f.bits, ==, 8);
  g_assert_cmpint (f.block, ==, 0);
  g_assert_cmpfloat (f.max, ==, 4096.0);
  g_assert_cmpfloat (f.min_pos, ==, ldexp (1.0, -12));
  g_assert_cmpint (bs_format_exact_acc (&f), ==, BS_ACC_ELMA);
  g_assert_true (bs_format_has_codes (&f));
  g_assert_false (bs_format_is_block (&f));
  for (uint32_t c = 0; c < 256; c++)
    bs_assert_same (bs_format_decode (&f, c), bs_format_decode (&g, c), "log8 = log8_1 at 0x%x", c);
  bs_format_describe (&f, buf, sizeof buf);
  g_assert_nonnull (strstr (buf, "log"));
  g_assert_nonnull (strstr (buf, "2^12"));

  get_format ("log16", &f);
  g_assert_cmpint (f.bits, ==, 16);
  bs_format_describe (&f, buf, sizeof buf);
  g_assert_nonnull (strstr (buf, "float16 layout"));

  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      err[0] = 0;
      g_assert_cmpint (bs_format_parse (bad[i], &f, err, sizeof err), ==, -1);
      g_assert_nonnull (strstr (err, "log<N>_<ES>"));
    }
  for (size_t i = 0; i < G_N_ELEMENTS (alien); i++)
    {
      err[0] = 0;
      g_assert_cmpint (bs_format_parse (alien[i], &f, err, sizeof err), ==, -1);
      g_assert_nonnull (strstr (err, "unknown format"));
    }
}

/* ELMA model ----------------------------------------------------------------
 * deepfloat's multiply-add, written here from the definition: the log values
 * add; p(f) = round(2^α(2^(f/2^F) - 1)); the term (2^α + p)·2^(e-α) floored to
 * the register's LSB (negative terms toward -inf); a GMP register of `width`
 * bits, wrapping, with a sticky overflow flag signed by the first overflowing
 * sum; the conversion back: normalise, round β bits after the leading one to
 * nearest even, q(x) = round(2^γ log2(1 + x/2^β)), then to the nearest code
 * in the log domain (log8: ties to the even code, except between the codes
 * 0x01 and 0x02 where deepfloat's posit rounding keeps 0x01). */

typedef struct {
  const lfmt *l;
  int alpha, beta, gamma, width, lsb;
  long p[1024], q[2048];
} relma;

static relma *elma8, *elma16;
static lfmt *fmt_log8, *fmt_log16;

static long
mpfr_round_long (mpfr_t x)
{
  return mpfr_get_si (x, MPFR_RNDN);     /* nearest (no ties occur) */
}

static relma *
relma_new (const lfmt *l, int alpha, int beta, int gamma, int width, int lsb)
{
  relma *e = g_new0 (relma, 1);
  mpfr_t x;

  e->l = l;
  e->alpha = alpha;
  e->beta = beta;
  e->gamma = gamma;
  e->width = width;
  e->lsb = lsb;
  mpfr_init2 (x, 120);
  for (long f = 0; f < (1L << l->F); f++)
    {
      mpfr_set_si (x, f, MPFR_RNDN);
      mpfr_div_2ui (x, x, (unsigned long) l->F, MPFR_RNDN);
      mpfr_exp2 (x, x, MPFR_RNDN);
      mpfr_sub_ui (x, x, 1, MPFR_RNDN);
      mpfr_mul_2ui (x, x, (unsigned long) alpha, MPFR_RNDN);
      e->p[f] = mpfr_round_long (x);
    }
  for (long v = 0; v < (1L << beta); v++)
    {
      mpfr_set_si (x, v, MPFR_RNDN);
      mpfr_div_2ui (x, x, (unsigned long) beta, MPFR_RNDN);
      mpfr_add_ui (x, x, 1, MPFR_RNDN);
      mpfr_log2 (x, x, MPFR_RNDN);
      mpfr_mul_2ui (x, x, (unsigned long) gamma, MPFR_RNDN);
      e->q[v] = mpfr_round_long (x);
    }
  mpfr_clear (x);
  return e;
}

typedef struct {
  double value, rounded;
  bool overflow;
} elma_out;

static long
floor_div_pow2 (long a, int s)
{
  long d = 1L << s;
  return (a - (((a % d) + d) % d)) / d;
}

/* The code nearest to 2^(Lq / 2^γ) (Lq ≥ the smallest code's log). */
static uint32_t
nearest_code_log8 (const relma *e, long Lq)
{
  const lfmt *l = e->l;
  const int up = e->gamma - l->F;          /* code logs to units of 2^-γ */
  uint32_t lo = 1;

  for (uint32_t c = 1; c <= max_code (l); c++)
    if (ref_parse (l, c).L * (1L << up) <= Lq)
      lo = c;
  if (lo == max_code (l))
    return lo;
  {
    long a = ref_parse (l, lo).L * (1L << up), b = ref_parse (l, lo + 1).L * (1L << up);
    long twice = 2 * Lq, mid = a + b;
    if (twice < mid)
      return lo;
    if (twice > mid)
      return lo + 1;
    if (lo == 1)
      return 1;            /* deepfloat: the regime leaves no keep bit */
    return (lo & 1) ? lo + 1 : lo;
  }
}

static elma_out
ref_elma (const relma *e, const uint32_t *ca, const uint32_t *cb, size_t n)
{
  const lfmt *l = e->l;
  elma_out o = { 0, 0, false };
  mpz_t acc, v, lim;
  bool ovneg = false, nan = false;
  uint32_t code;

  mpz_inits (acc, v, lim, NULL);
  mpz_setbit (lim, (mp_bitcnt_t) (e->width - 1));
  for (size_t i = 0; i < n; i++)
    {
      rcode ra = ref_parse (l, ca[i]), rb = ref_parse (l, cb[i]);
      long L, ex, fr;
      int sh;

      if (ra.kind == K_NAN || ra.kind == K_INF || rb.kind == K_NAN || rb.kind == K_INF)
        {
          nan = true;
          continue;
        }
      if (ra.kind == K_ZERO || rb.kind == K_ZERO)
        continue;
      L = ra.L + rb.L;
      ex = floor_div_pow2 (L, l->F);
      fr = L - ex * (1L << l->F);
      mpz_set_si (v, (1L << e->alpha) + e->p[fr]);
      if (ra.neg != rb.neg)
        mpz_neg (v, v);
      sh = (int) ex - e->alpha - e->lsb;
      if (sh >= 0)
        mpz_mul_2exp (v, v, (mp_bitcnt_t) sh);
      else
        mpz_fdiv_q_2exp (v, v, (mp_bitcnt_t) -sh);       /* toward -inf */
      mpz_add (acc, acc, v);
      if (mpz_cmp (acc, lim) >= 0 || mpz_cmpabs (acc, lim) > 0)
        {
          if (!o.overflow)
            ovneg = mpz_sgn (acc) < 0;
          o.overflow = true;
          mpz_fdiv_r_2exp (acc, acc, (mp_bitcnt_t) e->width);
          if (mpz_cmp (acc, lim) >= 0)
            {
              mpz_sub (acc, acc, lim);
              mpz_sub (acc, acc, lim);
            }
        }
    }
  if (nan)
    {
      o.value = o.rounded = NAN;
      mpz_clears (acc, v, lim, NULL);
      return o;
    }
  o.value = ldexp (mpz_get_d (acc), e->lsb);

  if (o.overflow)
    code = max_code (l) | (ovneg ? sign_bit (l) : 0);
  else if (mpz_sgn (acc) == 0)
    code = 0;
  else
    {
      bool neg = mpz_sgn (acc) < 0;
      mpz_t mag, top, rem, half;
      long p, ex, frac, q;

      mpz_inits (mag, top, rem, half, NULL);
      mpz_abs (mag, acc);
      p = (long) mpz_sizeinbase (mag, 2) - 1;
      ex = p + e->lsb;
      if (p > e->beta)
        {
          mpz_tdiv_q_2exp (top, mag, (mp_bitcnt_t) (p - e->beta));
          mpz_tdiv_r_2exp (rem, mag, (mp_bitcnt_t) (p - e->beta));
          mpz_set_ui (half, 0);
          mpz_setbit (half, (mp_bitcnt_t) (p - e->beta - 1));
        }
      else
        {
          mpz_mul_2exp (top, mag, (mp_bitcnt_t) (e->beta - p));
          mpz_set_ui (rem, 0);
          mpz_set_ui (half, 1);
        }
      frac = mpz_get_si (top) - (1L << e->beta);
      if (mpz_cmp (rem, half) > 0 || (mpz_cmp (rem, half) == 0 && (frac & 1)))
        frac++;
      if (frac == (1L << e->beta))
        {
          frac = 0;
          ex++;
        }
      q = e->q[frac];
      if (q == (1L << e->gamma))
        {
          q = 0;
          ex++;
        }
      if (l->tapered)
        {
          if (ex < -12)
            code = 0;
          else
            code = nearest_code_log8 (e, ex * (1L << e->gamma) + q) | (neg ? 0x80u : 0u);
        }
      else
        {
          uint32_t s = neg ? 0x8000u : 0u;
          if (ex < -14)
            code = s;
          else if (ex > 15)
            code = s | 0x7bffu;
          else
            code = s | (uint32_t) ((ex + 15) << 10) | (uint32_t) q;
        }
      mpz_clears (mag, top, rem, half, NULL);
    }
  o.rounded = ref_code_value (l, code);
  mpz_clears (acc, v, lim, NULL);
  return o;
}

/* Run the engine's ELMA (through bs_dot) on codes and compare. */
static void
check_elma (const relma *e, const uint32_t *ca, const uint32_t *cb, size_t n, const char *what)
{
  const lfmt *l = e->l;
  g_autofree double *a = g_new (double, n ? n : 1);
  g_autofree double *b = g_new (double, n ? n : 1);
  bs_dot_result r;
  elma_out want;
  bs_format f;
  char err[200];

  get_format (l->name, &f);
  for (size_t i = 0; i < n; i++)
    {
      a[i] = ref_code_value (l, ca[i]);
      b[i] = ref_code_value (l, cb[i]);
    }
  if (_bs_log_dot_elma (&f, a, b, n, &r, err, sizeof err) != 0)
    g_error ("%s ELMA (%s): %s", l->name, what, err);
  want = ref_elma (e, ca, cb, n);
  g_assert_cmpint (r.acc, ==, BS_ACC_ELMA);
  bs_assert_same (r.value, want.value, "%s ELMA %s: register (n = %zu)", l->name, what, n);
  bs_assert_same (r.rounded, want.rounded, "%s ELMA %s: rounded (n = %zu)", l->name, what, n);
  if (!isnan (want.value))
    g_assert_cmpint (r.overflow, ==, want.overflow);
}

/* A random code of l whose value lies in [2^lo, 2^hi] or is zero (zero with
 * probability 1/32), with a random sign; all codes if lo > hi. */
static uint32_t
random_code (const lfmt *l, bs_test_rng *rng, int lo, int hi)
{
  for (;;)
    {
      uint32_t c = (uint32_t) (bs_test_rng_next (rng) >> 20) & ((1u << l->n) - 1);
      rcode r = ref_parse (l, c);

      if (bs_test_rng_next (rng) % 32 == 0)
        return 0;
      if (r.kind != K_FINITE)
        continue;
      if (lo > hi)
        return c;
      if (r.L >= lo * (1L << l->F) && r.L <= hi * (1L << l->F))
        return c;
    }
}

static void
elma_random (const relma *e, uint64_t seed, int cases, int maxlen, int lo, int hi,
             const char *what)
{
  bs_test_rng rng = { seed };
  g_autofree uint32_t *ca = g_new (uint32_t, maxlen);
  g_autofree uint32_t *cb = g_new (uint32_t, maxlen);

  for (int k = 0; k < cases; k++)
    {
      size_t n = (size_t) (bs_test_rng_next (&rng) % (uint64_t) (maxlen + 1));
      for (size_t i = 0; i < n; i++)
        {
          ca[i] = random_code (e->l, &rng, lo, hi);
          cb[i] = random_code (e->l, &rng, lo, hi);
        }
      check_elma (e, ca, cb, n, what);
    }
}

/* The tables this model uses are deepfloat's (rtl/log/luts/Pow2LUT_4x5.sv,
 * Log2LUT_5x7.sv) and REFERENCES.md's. */
static void
test_elma8_tables (void)
{
  static const long p8[16] = { 0, 1, 3, 4, 6, 8, 9, 11, 13, 15, 17, 20, 22, 24, 27, 29 };
  static const long q8[32] = { 0, 6, 11, 17, 22, 27, 32, 37, 41, 46, 50, 55, 59, 63, 67, 71,
                               75, 79, 82, 86, 90, 93, 97, 100, 103, 107, 110, 113, 116, 119,
                               122, 125 };
  bs_format f;
  char err[200];

  for (int i = 0; i < 16; i++)
    g_assert_cmpint (elma8->p[i], ==, p8[i]);
  for (int i = 0; i < 32; i++)
    g_assert_cmpint (elma8->q[i], ==, q8[i]);

  /* the engine's p(f): one product 2^(f/16) · 1 is (32 + p(f))/32 exactly */
  get_format ("log8", &f);
  for (int fr = 0; fr < 16; fr++)
    {
      double a = ref_code_value (fmt_log8, 0x40u | (uint32_t) fr), b = 1.0;
      bs_dot_result r;
      g_assert_cmpint (bs_dot (&f, BS_ACC_ELMA, &a, &b, 1, NULL, &r, err, sizeof err), ==, 0);
      g_assert_cmpfloat (r.value, ==, (32.0 + (double) p8[fr]) / 32.0);
    }
}

/* log16: every p(f) and every q(x) of the engine, seen directly (γ = F). */
static void
test_elma16_tables (void)
{
  bs_format f;
  char err[200];
  double a[16], b[16];
  bs_dot_result r;

  get_format ("log16", &f);
  for (uint32_t fr = 0; fr < 1024; fr++)
    {
      a[0] = ref_code_value (fmt_log16, (15u << 10) | fr);
      b[0] = 1.0;
      g_assert_cmpint (bs_dot (&f, BS_ACC_ELMA, a, b, 1, NULL, &r, err, sizeof err), ==, 0);
      g_assert_cmpfloat (r.value, ==, 1.0 + (double) elma16->p[fr] / 2048.0);
    }
  for (uint32_t x = 0; x < 2048; x++)
    {
      size_t n = 0;
      uint32_t want;

      a[n] = 1.0, b[n++] = 1.0;
      for (int bit = 0; bit < 11; bit++)
        if (x & (1u << bit))
          a[n] = ldexp (1.0, bit - 11), b[n++] = 1.0;
      g_assert_cmpint (bs_dot (&f, BS_ACC_ELMA, a, b, n, NULL, &r, err, sizeof err), ==, 0);
      g_assert_cmpfloat (r.value, ==, 1.0 + x / 2048.0);
      want = elma16->q[x] == 1024 ? 16u << 10 : (15u << 10) | (uint32_t) elma16->q[x];
      bs_assert_same (r.rounded, ref_code_value (fmt_log16, want), "log16 q(%u)", x);
    }
}

static void
test_elma8_random (void)
{
  elma_random (elma8, 1, 3000, 40, -6, 6, "moderate");
  elma_random (elma8, 2, 1500, 300, -5, 3, "moderate long");
  elma_random (elma8, 3, 3000, 12, 1, 0, "any codes");
}

static void
test_elma8_long (void)
{
  /* crosses the fast path's blocks; one NaN in the last vector */
  bs_test_rng rng = { 77 };
  enum { N = 20000 };
  g_autofree uint32_t *ca = g_new (uint32_t, N);
  g_autofree uint32_t *cb = g_new (uint32_t, N);

  for (int k = 0; k < 6; k++)
    {
      for (size_t i = 0; i < N; i++)
        {
          ca[i] = random_code (fmt_log8, &rng, -7, 2);
          cb[i] = random_code (fmt_log8, &rng, -7, 2);
        }
      if (k == 4)
        for (size_t i = 0; i < N; i++)    /* all positive: drifts to overflow */
          ca[i] &= 0x7fu, cb[i] &= 0x7fu;
      if (k == 5)
        ca[N - 1] = 0x80u;
      check_elma (elma8, ca, cb, N, "long");
    }
}

static void
test_elma8_overflow (void)
{
  /* 64·64 = 2^12: the second term reaches 2^13, outside the register */
  uint32_t c64 = 0x78u, c4096 = 0x7fu;
  uint32_t a1[] = { c64, c64, c64 | 0x80, c64 | 0x80 }, b1[] = { c64, c64, c64, c64 };
  uint32_t a2[] = { c4096 }, b2[] = { c4096 };                        /* 2^24 at once */
  uint32_t a3[] = { c4096 | 0x80, 0x40, c4096 }, b3[] = { c4096, 0x40, c4096 };
  uint32_t a4[] = { c64 | 0x80, c64 | 0x80, c64 | 0x80 }, b4[] = { c64, c64, c64 };
  bs_format f;
  bs_dot_result r;
  char err[200];
  double x = 4096.0, y = -4096.0;

  g_assert_cmpfloat (ref_code_value (fmt_log8, c64), ==, 64.0);
  check_elma (elma8, a1, b1, 4, "overflow and back");
  check_elma (elma8, a2, b2, 1, "one huge product");
  check_elma (elma8, a3, b3, 3, "negative overflow first");
  check_elma (elma8, a4, b4, 3, "negative overflow");
  elma_random (elma8, 5, 2000, 30, 2, 12, "large");

  /* the flag and the saturated result, spelled out */
  get_format ("log8", &f);
  g_assert_cmpint (bs_dot (&f, BS_ACC_ELMA, &x, &y, 1, NULL, &r, err, sizeof err), ==, 0);
  g_assert_true (r.overflow);
  g_assert_cmpfloat (r.rounded, ==, -4096.0);
}

static void
test_elma8_underflow (void)
{
  /* products at and below the register's LSB 2^-24: fraction bits of p(f)
   * are cut off, negative terms round toward -inf */
  elma_random (elma8, 6, 3000, 20, -12, -9, "tiny");
  elma_random (elma8, 7, 2000, 20, -12, -3, "small");
  {
    uint32_t a[] = { 0x01, 0x81 }, b[] = { 0x03, 0x03 };   /* +2^-21, -2^-21 */
    uint32_t a2[] = { 0x81 }, b2[] = { 0x05 };            /* -2^-19.5 */
    check_elma (elma8, a, b, 2, "cancel at the LSB");
    check_elma (elma8, a2, b2, 1, "negative tiny");
  }
  {
    /* exactly 2^-11: deepfloat keeps 0x01 (2^-12) */
    uint32_t a[] = { 0x18 }, b[] = { 0x04 };             /* 2^-3 · 2^-8 */
    g_assert_cmpfloat (ref_code_value (fmt_log8, 0x18) * ref_code_value (fmt_log8, 0x04), ==,
                       ldexp (1.0, -11));
    check_elma (elma8, a, b, 1, "2^-11");
  }
}

static void
test_elma16_random (void)
{
  elma_random (elma16, 11, 1500, 40, -6, 6, "moderate");
  elma_random (elma16, 12, 800, 300, -9, 3, "moderate long");
  elma_random (elma16, 13, 1500, 10, 1, 0, "any codes");
  elma_random (elma16, 14, 1500, 20, -14, -10, "tiny");
  elma_random (elma16, 15, 1000, 20, 6, 15, "large");
}

static void
test_elma_errors (void)
{
  bs_format f;
  bs_dot_result r;
  char err[200];
  double a[] = { 1.0, 2.0 }, b[] = { 0.5, 4.0 };

  get_format ("log6_1", &f);
  err[0] = 0;
  g_assert_cmpint (bs_dot (&f, BS_ACC_ELMA, a, b, 2, NULL, &r, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "ELMA is defined for log8 and log16"));

  /* values that are not log8 values (e.g. scaled ones) are refused */
  get_format ("log8", &f);
  a[0] = 0.3;
  err[0] = 0;
  g_assert_cmpint (_bs_log_dot_elma (&f, a, b, 2, &r, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "unit scale"));

  /* through bs_dot, the exact accumulator of log8 is ELMA */
  a[0] = 1.0;
  g_assert_cmpint (bs_dot (&f, BS_ACC_EXACT, a, b, 2, NULL, &r, err, sizeof err), ==, 0);
  g_assert_cmpint (r.acc, ==, BS_ACC_ELMA);
  g_assert_cmpfloat (r.value, ==, 0.5 + 8.0);
}

/* Exact products ------------------------------------------------------------ */

/* The log value of a format value |v| (binary search over the codes by their
 * reference values); false if v is not a value of the format. */
static bool
code_log (const lfmt *l, double v, long *L)
{
  uint32_t lo = min_code (l), hi = max_code (l);

  v = fabs (v);
  while (lo < hi)
    {
      uint32_t mid = lo + (hi - lo) / 2;
      if (ref_code_value (l, mid) < v)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (ref_code_value (l, lo) != v)
    return false;
  *L = ref_parse (l, lo).L;
  return true;
}

/* Σ ±RN(2^((La+Lb)/2^F)) exactly (MPFR, wide), then its nearest double and
 * its rounding into the format decided on the exact sum. */
static void
ref_kulisch (const lfmt *l, const double *a, const double *b, size_t n, double *value,
             double *rounded)
{
  mpfr_t s, t, x, B;
  bool nan = false;

  mpfr_inits2 (4000, s, t, NULL);
  mpfr_inits2 (300, x, B, NULL);
  mpfr_set_zero (s, 1);
  for (size_t i = 0; i < n; i++)
    {
      long La = 0, Lb = 0;

      if (isnan (a[i]) || isnan (b[i]))
        nan = true;
      else if (a[i] == 0.0 || b[i] == 0.0)
        continue;
      else if (code_log (l, a[i], &La) && code_log (l, b[i], &Lb))
        {
          double p = exp2_rn (La + Lb, l->F);
          mpfr_set_d (t, (a[i] < 0) != (b[i] < 0) ? -p : p, MPFR_RNDN);
          mpfr_add (s, s, t, MPFR_RNDN);                 /* exact */
        }
      else
        {
          mpfr_set_d (t, a[i], MPFR_RNDN);
          mpfr_mul_d (t, t, b[i], MPFR_RNDN);            /* exact at 4000 bits */
          mpfr_add (s, s, t, MPFR_RNDN);
        }
    }
  if (nan)
    {
      *value = *rounded = NAN;
      mpfr_clears (s, t, x, B, NULL);
      return;
    }
  *value = mpfr_get_d (s, MPFR_RNDN);
  {
    bool neg = mpfr_sgn (s) < 0;
    uint32_t lo = min_code (l), hi = max_code (l), code;

    mpfr_abs (t, s, MPFR_RNDN);
    if (mpfr_cmp_d (t, ref_code_value (l, min_code (l))) < 0)
      code = 0;
    else if (mpfr_cmp_d (t, ref_code_value (l, max_code (l))) >= 0)
      code = max_code (l);
    else
      {
        /* the last code whose value's log is ≤ log|S| ... */
        while (hi - lo > 1)
          {
            uint32_t mid = lo + (hi - lo) / 2;
            mpfr_set_si (x, ref_parse (l, mid).L, MPFR_RNDN);
            mpfr_div_2ui (x, x, (unsigned long) l->F, MPFR_RNDN);
            mpfr_exp2 (B, x, MPFR_RNDN);   /* a power of 2 exactly, else 300 bits */
            if (mpfr_cmp (B, t) <= 0)
              lo = mid;
            else
              hi = mid;
          }
        /* ... and the log midpoint to the next */
        mpfr_set_si (x, ref_parse (l, lo).L + ref_parse (l, lo + 1).L, MPFR_RNDN);
        mpfr_div_2ui (x, x, (unsigned long) (l->F + 1), MPFR_RNDN);
        mpfr_exp2 (B, x, MPFR_RNDN);
        {
          int c = mpfr_cmp (t, B);
          code = c < 0 ? lo : c > 0 ? lo + 1 : (lo & 1) ? lo + 1 : lo;
        }
      }
    *rounded = ref_code_value (l, code);
    if (neg)
      *rounded = code == 0 && l->tapered ? 0.0 : -*rounded;
  }
  mpfr_clears (s, t, x, B, NULL);
}

static void
check_kulisch (const lfmt *l, const double *a, const double *b, size_t n, const char *what)
{
  bs_format f;
  bs_dot_result r;
  double value, rounded;
  char err[200];

  get_format (l->name, &f);
  g_assert_cmpint (_bs_log_dot_kulisch (&f, a, b, n, &r, err, sizeof err), ==, 0);
  ref_kulisch (l, a, b, n, &value, &rounded);
  g_assert_cmpint (r.acc, ==, BS_ACC_KULISCH);
  bs_assert_same (r.value, value, "%s kulisch %s: value", l->name, what);
  bs_assert_same (r.rounded, rounded, "%s kulisch %s: rounded", l->name, what);
}

static void
kulisch_random (const lfmt *l, uint64_t seed, int cases, int maxlen, int lo, int hi)
{
  bs_test_rng rng = { seed };
  g_autofree double *a = g_new (double, maxlen);
  g_autofree double *b = g_new (double, maxlen);

  for (int k = 0; k < cases; k++)
    {
      size_t n = (size_t) (bs_test_rng_next (&rng) % (uint64_t) (maxlen + 1));
      for (size_t i = 0; i < n; i++)
        {
          a[i] = ref_code_value (l, random_code (l, &rng, lo, hi));
          b[i] = ref_code_value (l, random_code (l, &rng, lo, hi));
        }
      check_kulisch (l, a, b, n, "random");
    }
}

static void
test_kulisch_random (void)
{
  g_autofree lfmt *l10 = lfmt_new ("log10_2", 10, 2, true);

  kulisch_random (fmt_log8, 21, 400, 20, 1, 0);
  kulisch_random (fmt_log8, 22, 400, 30, -6, 6);
  kulisch_random (fmt_log16, 23, 60, 12, -6, 6);
  kulisch_random (l10, 24, 60, 12, -10, 10);
}

/* The final rounding is decided on the exact sum, not on its double. */
static void
test_kulisch_thresholds (void)
{
  double minpos = ldexp (1.0, -12);
  /* a log8 value plus an exact tiny product of non-codes */
  double a1[] = { minpos, 1e-30 }, b1[] = { 1.0, -1.0 };    /* just below minpos */
  double a2[] = { minpos, 1e-30 }, b2[] = { 1.0, 1.0 };     /* just above */
  double a3[] = { 0x1p-6, 0x1p-5 }, b3[] = { 0x1p-5, 1.0 }; /* 2^-11 + 2^-5: no tie */
  double a4[] = { 0x1p-3 }, b4[] = { 0x1p-8 };              /* 2^-11: a tie, even 0x02 */

  check_kulisch (fmt_log8, a1, b1, 2, "below minpos");
  check_kulisch (fmt_log8, a2, b2, 2, "above minpos");
  check_kulisch (fmt_log8, a3, b3, 2, "sum");
  check_kulisch (fmt_log8, a4, b4, 1, "tie at 2^-11");

  /* against irrational midpoints: the double next to the midpoint, then
   * nudged by exact tiny non-code products */
  for (uint32_t c = 0x30; c < 0x50; c++)
    {
      rcode r1 = ref_parse (fmt_log8, c), r2 = ref_parse (fmt_log8, c + 1);
      double below, above;
      bool exact;

      midpoint_bracket (fmt_log8, r1.L, r2.L, &below, &above, &exact);
      if (exact)
        continue;
      {
        double a[] = { below, 0x1p-500 }, b[] = { 1.0, 0x1p-500 };
        double a5[] = { above, 0x1p-500 }, b5[] = { 1.0, -0x1p-500 };
        check_kulisch (fmt_log8, a, b, 2, "below a midpoint, nudged up");
        check_kulisch (fmt_log8, a5, b5, 2, "above a midpoint, nudged down");
        check_kulisch (fmt_log8, a, b, 1, "below a midpoint");
      }
    }
}

/* ELMA's approximations (5-bit p(f), truncation at 2^-24, 5-bit linear→log)
 * against exact products: close, and not identical. */
static void
test_elma_vs_kulisch (void)
{
  bs_test_rng rng = { 99 };
  bs_format f;
  char err[200];
  int differ = 0, cases = 400;
  double sum_rel = 0;

  get_format ("log8", &f);
  for (int k = 0; k < cases; k++)
    {
      double a[64], b[64], total = 0;
      bs_dot_result re, rk;
      size_t n = 1 + bs_test_rng_next (&rng) % 64;

      for (size_t i = 0; i < n; i++)
        {
          a[i] = fabs (ref_code_value (fmt_log8, random_code (fmt_log8, &rng, -3, 3)));
          b[i] = fabs (ref_code_value (fmt_log8, random_code (fmt_log8, &rng, -3, 3)));
          total += a[i] * b[i];
        }
      g_assert_cmpint (bs_dot (&f, BS_ACC_ELMA, a, b, n, NULL, &re, err, sizeof err), ==, 0);
      g_assert_cmpint (bs_dot (&f, BS_ACC_KULISCH, a, b, n, NULL, &rk, err, sizeof err), ==, 0);
      if (total == 0)
        continue;
      /* each product's linear value is within 2^-6 relative (p(f) has 5
       * bits), the truncation within 2^-24 per term */
      g_assert_cmpfloat (fabs (re.value - rk.value), <=, total / 64 + n * 0x1p-24);
      sum_rel += fabs (re.value - rk.value) / total;
      /* the results: the same code or neighbours (positive sums: codes are
       * ordered like the values) */
      g_assert_cmpint (abs ((int) bs_format_encode (&f, re.rounded)
                            - (int) bs_format_encode (&f, rk.rounded)), <=, 1);
      differ += re.value != rk.value;
    }
  g_assert_cmpint (differ, >, cases / 2);
  g_assert_cmpfloat (sum_rel / cases, <, 1.0 / 128);
  g_assert_cmpfloat (sum_rel / cases, >, 1e-4);
}

/* Registration ---------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  GPtrArray *all = g_ptr_array_new ();

  g_test_init (&argc, &argv, NULL);
  mpfr_set_default_prec (200);

  fmt_log8 = lfmt_new ("log8", 8, 1, true);
  fmt_log16 = lfmt_new ("log16", 16, 5, false);
  lfmt_fill (fmt_log8);
  lfmt_fill (fmt_log16);
  elma8 = relma_new (fmt_log8, 5, 5, 7, 38, -24);
  elma16 = relma_new (fmt_log16, 11, 11, 10, 49, -32);

  g_test_add_func ("/engine/formats/log/parse", test_parse);
  g_test_add_data_func ("/engine/formats/log8/decode", fmt_log8, test_decode);
  g_test_add_data_func ("/engine/formats/log8/rounding", fmt_log8, test_rounding);
  g_test_add_data_func ("/engine/formats/log8/fast", fmt_log8, test_fast);
  g_test_add_data_func ("/engine/formats/log8/scaled", fmt_log8, test_scaled);
  g_test_add_data_func ("/engine/formats/log16/decode", fmt_log16, test_decode);
  g_test_add_data_func ("/engine/formats/log16/rounding", fmt_log16, test_rounding);
  g_test_add_data_func ("/engine/formats/log16/fast", fmt_log16, test_fast);
  g_test_add_data_func ("/engine/formats/log16/scaled", fmt_log16, test_scaled);
  for (int n = 4; n <= 16; n++)
    for (int es = 0; es <= 3; es++)
      {
        char name[16], path[80];
        lfmt *l;

        g_snprintf (name, sizeof name, "log%d_%d", n, es);
        l = lfmt_new (name, n, es, true);
        g_ptr_array_add (all, l);
        g_snprintf (path, sizeof path, "/engine/formats/%s/decode", name);
        g_test_add_data_func (path, l, test_decode);
        g_snprintf (path, sizeof path, "/engine/formats/%s/rounding", name);
        g_test_add_data_func (path, l, test_rounding);
        g_snprintf (path, sizeof path, "/engine/formats/%s/fast", name);
        g_test_add_data_func (path, l, n == 10 && es == 2 ? test_fast : test_fast_small);
      }
  g_test_add_func ("/engine/formats/log8/elma/tables", test_elma8_tables);
  g_test_add_func ("/engine/formats/log8/elma/random", test_elma8_random);
  g_test_add_func ("/engine/formats/log8/elma/long", test_elma8_long);
  g_test_add_func ("/engine/formats/log8/elma/overflow", test_elma8_overflow);
  g_test_add_func ("/engine/formats/log8/elma/underflow", test_elma8_underflow);
  g_test_add_func ("/engine/formats/log16/elma/tables", test_elma16_tables);
  g_test_add_func ("/engine/formats/log16/elma/random", test_elma16_random);
  g_test_add_func ("/engine/formats/log/elma/errors", test_elma_errors);
  g_test_add_func ("/engine/formats/log/kulisch/random", test_kulisch_random);
  g_test_add_func ("/engine/formats/log8/kulisch/thresholds", test_kulisch_thresholds);
  g_test_add_func ("/engine/formats/log8/elma-vs-kulisch", test_elma_vs_kulisch);

  {
    int r = g_test_run ();
    for (guint i = 0; i < all->len; i++)
      g_free (all->pdata[i]);
    g_ptr_array_free (all, TRUE);
    g_free (elma8);
    g_free (elma16);
    g_free (fmt_log8->values);
    g_free (fmt_log16->values);
    g_free (fmt_log8);
    g_free (fmt_log16);
    mpfr_free_cache ();
    return r;
  }
}
