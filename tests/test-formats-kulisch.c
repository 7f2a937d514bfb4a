/* Kulisch accumulator: sums of exact products against an exact GMP integer
 * reference, rounded to double here (by an mpz routine written for the test,
 * cross-checked against MPFR), to odd, and into fp16/bf16; range and overflow
 * flags; NaN/inf poisoning; registers sized for formats. */
#include "bs-test-ref.h"
#include "bs-dot.h"

#include <float.h>
#include <gmp.h>
#include <mpfr.h>

/* The exact sum is z · 2^-REF_SHIFT: the lowest bit of a product of two
 * doubles as frexp splits them (53-bit integers) is 2^(2·(-1073-53)). */
#define REF_SHIFT 2400

/* Exact value of a double as an integer m < 2^53 and exponent: x = m · 2^e. */
static void
ref_split (double x, mpz_t m, int *e)
{
  int ex;
  double fr = frexp (x, &ex);     /* x = fr · 2^ex, 0.5 ≤ |fr| < 1 */

  mpz_set_d (m, ldexp (fr, 53));  /* an integer, exactly */
  *e = ex - 53;
}

static void
ref_add_product (mpz_t z, double a, double b)
{
  mpz_t ma, mb;
  int ea, eb;

  mpz_inits (ma, mb, NULL);
  ref_split (a, ma, &ea);
  ref_split (b, mb, &eb);
  mpz_mul (ma, ma, mb);
  g_assert_cmpint (ea + eb + REF_SHIFT, >=, 0);
  mpz_mul_2exp (ma, ma, (mp_bitcnt_t) (ea + eb + REF_SHIFT));
  mpz_add (z, z, ma);
  mpz_clears (ma, mb, NULL);
}

static void
ref_add (mpz_t z, double x)
{
  ref_add_product (z, x, 1.0);
}

typedef enum { RNE, ODD } ref_mode;

/* Round z · 2^-REF_SHIFT to a binary format of p significand bits whose
 * smallest quantum is 2^qmin, with unbounded exponent above: to nearest even,
 * or to odd (truncate, then set the last bit if inexact).  Returns the
 * rounded value as a double (inf if it does not fit a double). */
static double
ref_round (const mpz_t z, int p, int qmin, ref_mode mode)
{
  mpz_t a, q, r;
  long e, qe, s;
  double v;

  if (mpz_sgn (z) == 0)
    return 0.0;
  mpz_inits (a, q, r, NULL);
  mpz_abs (a, z);
  e = (long) mpz_sizeinbase (a, 2) - 1 - REF_SHIFT;   /* |x| in [2^e, 2^(e+1)) */
  qe = e - (p - 1) > qmin ? e - (p - 1) : qmin;
  s = qe + REF_SHIFT;
  g_assert_cmpint (s, >, 0);
  mpz_fdiv_q_2exp (q, a, (mp_bitcnt_t) s);
  mpz_fdiv_r_2exp (r, a, (mp_bitcnt_t) s);
  if (mode == ODD)
    {
      if (mpz_sgn (r) != 0)
        mpz_setbit (q, 0);
    }
  else
    {
      int c;
      mpz_mul_2exp (r, r, 1);
      mpz_set_ui (a, 1);
      mpz_mul_2exp (a, a, (mp_bitcnt_t) s);
      c = mpz_cmp (r, a);      /* 2·rem vs quantum */
      if (c > 0 || (c == 0 && mpz_odd_p (q)))
        mpz_add_ui (q, q, 1);
    }
  v = ldexp (mpz_get_d (q), (int) qe);   /* q < 2^(p+1): exact or inf */
  mpz_clears (a, q, r, NULL);
  return mpz_sgn (z) < 0 ? -v : v;
}

/* The references of the accumulator's two readings. */
static double
ref_double (const mpz_t z)
{
  return ref_round (z, 53, -1074, RNE);
}

static double
ref_double_odd (const mpz_t z)
{
  double v = ref_round (z, 53, -1074, ODD);
  if (isinf (v))
    return v > 0 ? DBL_MAX : -DBL_MAX;   /* the contract of value_odd */
  return v;
}

/* MPFR's own correct rounding to double of the same exact value. */
static double
mpfr_double (const mpz_t z)
{
  mpfr_t x;
  double d;

  mpfr_init2 (x, (mpfr_prec_t) mpz_sizeinbase (z, 2) + 8);
  g_assert_cmpint (mpfr_set_z_2exp (x, z, -REF_SHIFT, MPFR_RNDN), ==, 0);   /* exact */
  d = mpfr_get_d (x, MPFR_RNDN);
  mpfr_clear (x);
  return d;
}

/* Compare both readings of k with the references, and the reference with MPFR. */
#define check_sum(k, z, ...)                                                   \
  G_STMT_START {                                                               \
    double _want = ref_double (z);                                             \
    bs_assert_same (_want, mpfr_double (z), "reference vs MPFR");              \
    bs_assert_same (bs_kulisch_value (k), _want, __VA_ARGS__);                 \
    bs_assert_same (bs_kulisch_value_odd (k), ref_double_odd (z), __VA_ARGS__); \
  } G_STMT_END

/* A double with a random 1…53-bit significand, exponent in [lo, hi], random sign. */
static double
rand_double (bs_test_rng *r, int lo, int hi)
{
  uint64_t u = bs_test_rng_next (r);
  int bits = 1 + (int) (u % 53);
  uint64_t m = (bs_test_rng_next (r) >> (64 - bits)) | (1ull << (bits - 1));
  int e = lo + (int) (bs_test_rng_next (r) % (uint64_t) (hi - lo + 1));
  double x = ldexp ((double) m, e - (bits - 1));

  return (u >> 63) ? -x : x;
}

static bs_kulisch *
wide_register (void)
{
  bs_kulisch *k = bs_kulisch_new (-2148, 2048 + 24);
  g_assert_nonnull (k);
  return k;
}

/* The reference itself: ties, subnormals and overflow in known cases. */
static void
test_reference_anchors (void)
{
  mpz_t z;

  mpz_init (z);
  ref_add_product (z, 0x1p-600, 0x1p-475);                 /* 2^-1075: tie to 0 */
  g_assert_cmpfloat (ref_double (z), ==, 0.0);
  g_assert_cmpfloat (mpfr_double (z), ==, 0.0);
  g_assert_cmpfloat (ref_double_odd (z), ==, 0x1p-1074);
  ref_add_product (z, 0x1p-600, 0x1p-474);                 /* 3·2^-1075: tie to 2^-1073 */
  g_assert_cmpfloat (ref_double (z), ==, 0x1p-1073);
  g_assert_cmpfloat (mpfr_double (z), ==, 0x1p-1073);
  mpz_set_ui (z, 0);
  ref_add (z, DBL_MAX);
  ref_add (z, 0x1p970);                                    /* DBL_MAX + half ulp */
  g_assert_true (isinf (ref_double (z)));
  g_assert_true (isinf (mpfr_double (z)));
  g_assert_cmpfloat (ref_double_odd (z), ==, DBL_MAX);
  mpz_clear (z);
}

/* Sums of 1…60 random products, operands over the whole double range. */
static void
test_random_products (void)
{
  bs_test_rng rng = { 11 };
  bs_kulisch *k = wide_register ();
  mpz_t z;

  mpz_init (z);
  for (int trial = 0; trial < 2000; trial++)
    {
      int n = 1 + (int) (bs_test_rng_next (&rng) % 60);
      /* exponent windows from narrow (heavy carries) to the full range */
      int span = 1 << (bs_test_rng_next (&rng) % 12);
      int centre = -1000 + (int) (bs_test_rng_next (&rng) % 2000);
      int lo = centre - span > -1074 ? centre - span : -1074;
      int hi = centre + span < 1023 ? centre + span : 1023;

      bs_kulisch_clear (k);
      mpz_set_ui (z, 0);
      for (int i = 0; i < n; i++)
        {
          double a = rand_double (&rng, lo, hi), b = rand_double (&rng, lo, hi);
          g_assert_cmpint (bs_kulisch_add_product (k, a, b), ==, 0);
          ref_add_product (z, a, b);
        }
      g_assert_false (bs_kulisch_overflowed (k));
      check_sum (k, z, "trial %d (%d terms, exponents %d..%d)", trial, n, lo, hi);
    }
  mpz_clear (z);
  bs_kulisch_free (k);
}

/* Big terms that cancel around small ones: a·b + big − big, and sums that
 * cancel to exactly zero (+0). */
static void
test_cancellation (void)
{
  bs_test_rng rng = { 12 };
  bs_kulisch *k = wide_register ();
  mpz_t z;

  mpz_init (z);
  for (int trial = 0; trial < 2000; trial++)
    {
      double a = rand_double (&rng, -500, 500), b = rand_double (&rng, -500, 500);
      double big = rand_double (&rng, -1074, 1023);
      double c = rand_double (&rng, -1074, 1023);

      bs_kulisch_clear (k);
      mpz_set_ui (z, 0);
      g_assert_cmpint (bs_kulisch_add_product (k, a, b), ==, 0);
      g_assert_cmpint (bs_kulisch_add (k, big), ==, 0);
      g_assert_cmpint (bs_kulisch_add_product (k, c, big), ==, 0);
      g_assert_cmpint (bs_kulisch_add (k, -big), ==, 0);
      ref_add_product (z, a, b);
      ref_add_product (z, c, big);
      check_sum (k, z, "a·b + big + c·big - big, trial %d", trial);
      g_assert_cmpint (bs_kulisch_add_product (k, -c, big), ==, 0);
      ref_add_product (z, -c, big);
      check_sum (k, z, "a·b + big - big, trial %d", trial);
      g_assert_cmpint (bs_kulisch_add_product (k, a, -b), ==, 0);
      bs_assert_same (bs_kulisch_value (k), 0.0, "exact cancellation, trial %d", trial);
      bs_assert_same (bs_kulisch_value_odd (k), 0.0, "exact cancellation (odd), trial %d", trial);
    }
  mpz_clear (z);
  bs_kulisch_free (k);
}

/* Alternating signs: a random walk that crosses zero again and again, with a
 * check after every term (carries and borrows through the sign extension). */
static void
test_alternating (void)
{
  bs_test_rng rng = { 13 };
  bs_kulisch *k = bs_kulisch_new (-300, 300);
  mpz_t z;

  g_assert_nonnull (k);
  mpz_init (z);
  for (int i = 0; i < 20000; i++)
    {
      double a = rand_double (&rng, -70, 70), b = rand_double (&rng, -70, 70);
      /* keep the walk near zero: push against the current sign */
      double s = bs_kulisch_value (k);
      if ((s > 0) == (a * b > 0))
        a = -a;
      g_assert_cmpint (bs_kulisch_add_product (k, a, b), ==, 0);
      ref_add_product (z, a, b);
      check_sum (k, z, "step %d", i);
    }
  g_assert_false (bs_kulisch_overflowed (k));
  mpz_clear (z);
  bs_kulisch_free (k);
}

/* Carries and borrows that run across limb boundaries: runs of ones at every
 * alignment, of either sign, then a unit that ripples through them. */
static void
test_carry_chains (void)
{
  bs_kulisch *k = bs_kulisch_new (-400, 700);
  mpz_t z;
  const double ones = 0x1.fffffffffffffp0;   /* 53 ones */

  mpz_init (z);
  for (int sg = -1; sg <= 1; sg += 2)
    for (int e = -330; e <= 370; e += 7)
      {
        bs_kulisch_clear (k);
        mpz_set_ui (z, 0);
        for (int s = 0; s < 300; s += 53)
          {
            g_assert_cmpint (bs_kulisch_add (k, sg * ldexp (ones, e + s)), ==, 0);
            ref_add (z, sg * ldexp (ones, e + s));
          }
        check_sum (k, z, "ones at 2^%d, sign %d", e, sg);
        g_assert_cmpint (bs_kulisch_add (k, sg * ldexp (1.0, e - 52)), ==, 0);   /* ripple */
        ref_add (z, sg * ldexp (1.0, e - 52));
        check_sum (k, z, "ones + 1 at 2^%d, sign %d", e, sg);
        g_assert_cmpint (bs_kulisch_add_product (k, -sg * ones, ldexp (ones, e + 40)), ==, 0);
        ref_add_product (z, -sg * ones, ldexp (ones, e + 40));
        check_sum (k, z, "ones + 1 - product at 2^%d, sign %d", e, sg);
        g_assert_cmpint (bs_kulisch_add (k, -sg * ldexp (1.0, e + 320)), ==, 0);   /* flip */
        ref_add (z, -sg * ldexp (1.0, e + 320));
        check_sum (k, z, "sign flip at 2^%d, sign %d", e, sg);
      }
  mpz_clear (z);
  bs_kulisch_free (k);
}

/* Registers at many offsets (lsb negative, zero, positive, at and off limb
 * boundaries), filled with terms whose lowest and highest bits reach the
 * register's edges. */
static void
test_register_offsets (void)
{
  static const int lsbs[] = { -1500, -1074, -1000, -129, -64, -63, -1, 0, 1, 63, 64, 65, 500, 900 };
  bs_test_rng rng = { 18 };
  mpz_t z;

  mpz_init (z);
  for (size_t li = 0; li < G_N_ELEMENTS (lsbs); li++)
    for (int width = 107; width <= 400; width += 97)
      {
        int lsb = lsbs[li];
        bs_kulisch *k = bs_kulisch_new (lsb, lsb + width);

        g_assert_nonnull (k);
        for (int trial = 0; trial < 300; trial++)
          {
            int n = 1 + (int) (bs_test_rng_next (&rng) % 12);
            bs_kulisch_clear (k);
            mpz_set_ui (z, 0);
            for (int i = 0; i < n; i++)
              {
                int b1 = 1 + (int) (bs_test_rng_next (&rng) % 53);
                int b2 = 1 + (int) (bs_test_rng_next (&rng) % 53);
                /* odd significands with their top bit set: exact bit spans */
                uint64_t m1 = (bs_test_rng_next (&rng) >> (64 - b1)) | (1ull << (b1 - 1)) | 1;
                uint64_t m2 = (bs_test_rng_next (&rng) >> (64 - b2)) | (1ull << (b2 - 1)) | 1;
                /* the product's bits span [low, low + b1 + b2 - 1) or one more;
                 * a few terms go right to the top (the sum may then leave the
                 * range, which the overflow flag must say) */
                int room = width - (b1 + b2) + 1;
                int low = lsb + (int) (bs_test_rng_next (&rng) % (uint64_t) room);
                int e1 = low >= 0 ? low / 2 : -((-low + 1) / 2);
                double a = ldexp ((double) m1, e1), b = ldexp ((double) m2, low - e1);
                if (bs_test_rng_next (&rng) & 1)
                  a = -a;
                if (low + b1 + b2 - 1 > lsb + width - 1)
                  {
                    /* the product needs b1 + b2 bits: it may not fit */
                    mpz_t t;
                    int fits;
                    mpz_init (t);
                    ref_add_product (t, a, b);
                    mpz_abs (t, t);
                    fits = (long) mpz_sizeinbase (t, 2) - REF_SHIFT <= lsb + width;
                    mpz_clear (t);
                    if (!fits)
                      {
                        g_assert_cmpint (bs_kulisch_add_product (k, a, b), ==, -1);
                        g_assert_true (bs_kulisch_overflowed (k));
                        bs_kulisch_clear (k);
                        mpz_set_ui (z, 0);
                        continue;
                      }
                  }
                g_assert_cmpint (bs_kulisch_add_product (k, a, b), ==, 0);
                ref_add_product (z, a, b);
              }
            check_sum (k, z, "lsb %d, width %d, trial %d", lsb, width, trial);
            {
              /* the range flag against the reference: -2^msb ≤ sum < 2^msb */
              mpz_t lim;
              int out;
              mpz_init_set_ui (lim, 1);
              mpz_mul_2exp (lim, lim, (mp_bitcnt_t) (lsb + width + REF_SHIFT));
              out = mpz_cmp (z, lim) >= 0;
              mpz_neg (lim, lim);
              out |= mpz_cmp (z, lim) < 0;
              mpz_clear (lim);
              g_assert_cmpint (bs_kulisch_overflowed (k), ==, out);
            }
          }
        bs_kulisch_free (k);
      }
  mpz_clear (z);
}

/* Results in and near the subnormal range, with sticky bits far below. */
static void
test_subnormal_results (void)
{
  bs_test_rng rng = { 14 };
  bs_kulisch *k = wide_register ();
  mpz_t z;

  mpz_init (z);
  /* anchors */
  g_assert_cmpint (bs_kulisch_add_product (k, 0x1p-600, 0x1p-475), ==, 0);
  g_assert_cmpfloat (bs_kulisch_value (k), ==, 0.0);              /* tie to even 0 */
  g_assert_cmpfloat (bs_kulisch_value_odd (k), ==, 0x1p-1074);
  g_assert_cmpint (bs_kulisch_add_product (k, -0x1p-1000, 0x1p-148), ==, 0);  /* -2^-1148 */
  bs_assert_same (bs_kulisch_value (k), 0.0, "just below the tie");
  g_assert_cmpint (bs_kulisch_add_product (k, 0x1p-1000, 0x1p-147), ==, 0);   /* +2^-1148 net */
  bs_assert_same (bs_kulisch_value (k), 0x1p-1074, "just above the tie");
  bs_kulisch_clear (k);
  g_assert_cmpint (bs_kulisch_add_product (k, -0x1p-600, 0x1p-475), ==, 0);
  bs_assert_same (bs_kulisch_value (k), -0.0, "negative tie rounds to -0");

  for (int trial = 0; trial < 3000; trial++)
    {
      int n = 1 + (int) (bs_test_rng_next (&rng) % 8);
      bs_kulisch_clear (k);
      mpz_set_ui (z, 0);
      for (int i = 0; i < n; i++)
        {
          /* products between 2^-1140 and 2^-1000 */
          double a = rand_double (&rng, -600, -500);
          double b = rand_double (&rng, -640, -500);
          g_assert_cmpint (bs_kulisch_add_product (k, a, b), ==, 0);
          ref_add_product (z, a, b);
          if (bs_test_rng_next (&rng) & 1)
            {
              double c = rand_double (&rng, -1074, -1010);
              g_assert_cmpint (bs_kulisch_add (k, c), ==, 0);
              ref_add (z, c);
            }
        }
      check_sum (k, z, "subnormal trial %d", trial);
    }
  mpz_clear (z);
  bs_kulisch_free (k);
}

/* Sums beyond the double range round to ±inf (to nearest) and ±DBL_MAX (odd). */
static void
test_overflow_to_inf (void)
{
  bs_kulisch *k = wide_register ();
  mpz_t z;
  static const double extra[] = { 0x1p970, 0x1p969, 0x1.8p969, 0x1p971, DBL_MAX, 0x1p1000 };

  mpz_init (z);
  for (size_t i = 0; i < G_N_ELEMENTS (extra); i++)
    for (int s = 0; s < 2; s++)
      {
        double sg = s ? -1.0 : 1.0;
        bs_kulisch_clear (k);
        mpz_set_ui (z, 0);
        g_assert_cmpint (bs_kulisch_add (k, sg * DBL_MAX), ==, 0);
        g_assert_cmpint (bs_kulisch_add (k, sg * extra[i]), ==, 0);
        ref_add (z, sg * DBL_MAX);
        ref_add (z, sg * extra[i]);
        check_sum (k, z, "DBL_MAX + %a, sign %d", extra[i], s);
      }
  /* the product range: 2^1023 · 2^1023 and back */
  bs_kulisch_clear (k);
  g_assert_cmpint (bs_kulisch_add_product (k, 0x1p1023, 0x1p1023), ==, 0);
  g_assert_true (isinf (bs_kulisch_value (k)));
  g_assert_cmpfloat (bs_kulisch_value_odd (k), ==, DBL_MAX);
  g_assert_cmpint (bs_kulisch_add_product (k, -0x1p1023, 0x1p1023), ==, 0);
  g_assert_cmpint (bs_kulisch_add_product (k, 0x1p1000, 0x1p-10), ==, 0);
  g_assert_cmpfloat (bs_kulisch_value (k), ==, 0x1p990);
  mpz_clear (z);
  bs_kulisch_free (k);
}

/* 10^5-term sums: one of products of moderate range with alternating signs,
 * one of a near-constant sign that grows. */
static void
test_long_sum (void)
{
  bs_test_rng rng = { 15 };
  bs_kulisch *k = wide_register ();
  mpz_t z;

  mpz_init (z);
  for (int pass = 0; pass < 2; pass++)
    {
      bs_kulisch_clear (k);
      mpz_set_ui (z, 0);
      for (int i = 0; i < 100000; i++)
        {
          double a = rand_double (&rng, -40, 40), b = rand_double (&rng, -40, 40);
          if (pass == 0)
            a = (i & 1) ? -fabs (a) : fabs (a);
          else
            {
              a = (i % 10 == 0) ? -fabs (a) : fabs (a);
              b = fabs (b);
            }
          g_assert_cmpint (bs_kulisch_add_product (k, a, b), ==, 0);
          ref_add_product (z, a, b);
          if (i % 9973 == 0)
            check_sum (k, z, "pass %d after %d terms", pass, i + 1);
        }
      check_sum (k, z, "pass %d, 10^5 terms", pass);
    }
  mpz_clear (z);
  bs_kulisch_free (k);
}

/* The register's range: only nonzero bits count; out-of-range terms are
 * refused with -1 and flag overflow; a sum leaving the range flags it too. */
static void
test_range (void)
{
  bs_kulisch *k = bs_kulisch_new (-10, 10);

  g_assert_nonnull (k);
  g_assert_cmpint (bs_kulisch_lsb (k), ==, -10);
  g_assert_cmpint (bs_kulisch_msb (k), ==, 10);

  /* in range: 2^-10 … 2^9 and any combination */
  g_assert_cmpint (bs_kulisch_add (k, 0x1p-10), ==, 0);
  g_assert_cmpint (bs_kulisch_add (k, 0x1p9), ==, 0);
  g_assert_cmpint (bs_kulisch_add (k, -0x1.ffcp9), ==, 0);   /* -(2^10 - 2^-1) */
  g_assert_cmpint (bs_kulisch_add_product (k, 0x1p-5, 0x1p-5), ==, 0);
  g_assert_cmpint (bs_kulisch_add_product (k, 0x1p-60, 0x1p60), ==, 0);   /* 1 */
  g_assert_cmpint (bs_kulisch_add_product (k, 0x1.8p-1, 0x1p-8), ==, 0);  /* 3·2^-10 */
  g_assert_cmpint (bs_kulisch_add (k, 0.0), ==, 0);
  g_assert_cmpint (bs_kulisch_add_product (k, 0.0, 0x1p-100), ==, 0);
  g_assert_false (bs_kulisch_overflowed (k));
  g_assert_cmpfloat (bs_kulisch_value (k), ==,
                     0x1p-10 + 0x1p9 - 0x1.ffcp9 + 0x1p-10 + 1 + 3 * 0x1p-10);

  /* a bit below lsb */
  g_assert_cmpint (bs_kulisch_add (k, 0x1p-11), ==, -1);
  g_assert_true (bs_kulisch_overflowed (k));
  bs_kulisch_clear (k);
  g_assert_false (bs_kulisch_overflowed (k));
  g_assert_cmpint (bs_kulisch_add_product (k, 0x1.8p-5, 0x1p-6), ==, -1);  /* 1.5·2^-11 */
  g_assert_true (bs_kulisch_overflowed (k));
  g_assert_cmpfloat (bs_kulisch_value (k), ==, 0.0);   /* the term was not added */

  /* a bit at 2^msb */
  bs_kulisch_clear (k);
  g_assert_cmpint (bs_kulisch_add (k, 0x1p10), ==, -1);
  g_assert_true (bs_kulisch_overflowed (k));
  bs_kulisch_clear (k);
  g_assert_cmpint (bs_kulisch_add_product (k, -0x1p5, 0x1p5), ==, -1);
  g_assert_true (bs_kulisch_overflowed (k));

  /* the sum: 2^10 - 2^-10 is the top, -2^10 the bottom */
  bs_kulisch_clear (k);
  for (int i = 0; i < 1023; i++)
    g_assert_cmpint (bs_kulisch_add (k, 1.0), ==, 0);
  g_assert_cmpint (bs_kulisch_add (k, 0x1.ff8p-1), ==, 0);   /* 1 - 2^-10 */
  g_assert_false (bs_kulisch_overflowed (k));
  g_assert_cmpfloat (bs_kulisch_value (k), ==, 0x1p10 - 0x1p-10);
  g_assert_cmpint (bs_kulisch_add (k, 0x1p-10), ==, 0);
  g_assert_true (bs_kulisch_overflowed (k));
  g_assert_cmpfloat (bs_kulisch_value (k), ==, 0x1p10);    /* still exact */
  g_assert_cmpint (bs_kulisch_add (k, -0x1p-10), ==, 0);
  g_assert_false (bs_kulisch_overflowed (k));              /* back in range */
  g_assert_cmpint (bs_kulisch_add_product (k, -0x1p5, 0x1p4), ==, 0);
  g_assert_cmpint (bs_kulisch_add_product (k, -0x1p5, 0x1p4), ==, 0);
  g_assert_cmpint (bs_kulisch_add_product (k, -0x1p5, 0x1p4), ==, 0);
  g_assert_cmpint (bs_kulisch_add_product (k, -0x1p5, 0x1p4), ==, 0);
  g_assert_true (bs_kulisch_overflowed (k));                /* -2^10 - 2^-10 */
  g_assert_cmpint (bs_kulisch_add (k, 0x1p-10), ==, 0);
  g_assert_false (bs_kulisch_overflowed (k));
  g_assert_cmpfloat (bs_kulisch_value (k), ==, -0x1p10);
  g_assert_cmpint (bs_kulisch_add (k, -0x1p-10), ==, 0);
  g_assert_true (bs_kulisch_overflowed (k));

  bs_kulisch_free (k);

  /* bad sizes */
  g_assert_null (bs_kulisch_new (10, 10));
  g_assert_null (bs_kulisch_new (10, -10));
}

/* A 64-bit-aligned register edge: the sign bit is bit 0 of a limb. */
static void
test_range_limb_edges (void)
{
  for (int width = 62; width <= 130; width++)
    {
      bs_kulisch *k = bs_kulisch_new (0, width);
      double top = ldexp (1.0, width - 1);

      g_assert_nonnull (k);
      g_assert_cmpint (bs_kulisch_add (k, top), ==, 0);
      g_assert_false (bs_kulisch_overflowed (k));
      g_assert_cmpint (bs_kulisch_add (k, top), ==, 0);        /* 2^width */
      g_assert_true (bs_kulisch_overflowed (k));
      g_assert_cmpfloat (bs_kulisch_value (k), ==, 2 * top);
      for (int i = 0; i < 3; i++)
        g_assert_cmpint (bs_kulisch_add (k, -top), ==, 0);
      g_assert_false (bs_kulisch_overflowed (k));
      g_assert_cmpfloat (bs_kulisch_value (k), ==, -top);
      g_assert_cmpint (bs_kulisch_add_product (k, -0.5, 2 * top), ==, 0);   /* -2^width */
      g_assert_false (bs_kulisch_overflowed (k));
      g_assert_cmpfloat (bs_kulisch_value (k), ==, -2 * top);
      g_assert_cmpint (bs_kulisch_add (k, -1.0), ==, 0);
      g_assert_true (bs_kulisch_overflowed (k));

      /* single terms with a bit at 2^width or above are refused */
      bs_kulisch_clear (k);
      g_assert_cmpint (bs_kulisch_add (k, -2 * top), ==, -1);
      g_assert_true (bs_kulisch_overflowed (k));
      bs_kulisch_clear (k);
      g_assert_cmpint (bs_kulisch_add_product (k, -top, 2.0), ==, -1);
      bs_kulisch_clear (k);
      g_assert_cmpint (bs_kulisch_add_product (k, top, -0x1.8p1), ==, -1);
      bs_kulisch_clear (k);
      g_assert_cmpint (bs_kulisch_add_product (k, top, -1.0), ==, 0);
      g_assert_false (bs_kulisch_overflowed (k));
      bs_kulisch_free (k);
    }
}

/* NaN and infinities poison the register the way IEEE addition would. */
static void
test_poison (void)
{
  bs_kulisch *k = bs_kulisch_new (-100, 100);

  g_assert_cmpint (bs_kulisch_add (k, 1.0), ==, 0);
  g_assert_cmpint (bs_kulisch_add (k, INFINITY), ==, 0);
  g_assert_cmpfloat (bs_kulisch_value (k), ==, INFINITY);
  g_assert_cmpfloat (bs_kulisch_value_odd (k), ==, INFINITY);
  g_assert_cmpint (bs_kulisch_add (k, 5.0), ==, 0);
  g_assert_cmpfloat (bs_kulisch_value (k), ==, INFINITY);
  g_assert_cmpint (bs_kulisch_add_product (k, -INFINITY, 2.0), ==, 0);
  g_assert_true (isnan (bs_kulisch_value (k)));
  g_assert_true (isnan (bs_kulisch_value_odd (k)));

  bs_kulisch_clear (k);
  g_assert_cmpfloat (bs_kulisch_value (k), ==, 0.0);
  g_assert_cmpint (bs_kulisch_add_product (k, INFINITY, -3.0), ==, 0);
  g_assert_cmpfloat (bs_kulisch_value (k), ==, -INFINITY);
  g_assert_cmpint (bs_kulisch_add_product (k, -INFINITY, -INFINITY), ==, 0);
  g_assert_true (isnan (bs_kulisch_value (k)));

  bs_kulisch_clear (k);
  g_assert_cmpint (bs_kulisch_add_product (k, INFINITY, 0.0), ==, 0);
  g_assert_true (isnan (bs_kulisch_value (k)));
  bs_kulisch_clear (k);
  g_assert_cmpint (bs_kulisch_add_product (k, -0.0, -INFINITY), ==, 0);
  g_assert_true (isnan (bs_kulisch_value (k)));
  bs_kulisch_clear (k);
  g_assert_cmpint (bs_kulisch_add_product (k, NAN, 1.0), ==, 0);
  g_assert_true (isnan (bs_kulisch_value (k)));
  bs_kulisch_clear (k);
  g_assert_cmpint (bs_kulisch_add (k, NAN), ==, 0);
  g_assert_true (isnan (bs_kulisch_value (k)));
  g_assert_false (bs_kulisch_overflowed (k));
  bs_kulisch_free (k);
}

/* Correct rounding of the exact sum into a small float format. */
typedef struct {
  const char *name;
  int p, qmin;
  double max;
} small_float;

static const small_float small_floats[] = {
  { "fp16", 11, -24, 65504.0 },
  { "bf16", 8, -133, 0x1.fep127 },
};

static double
ref_small (const small_float *s, const mpz_t z)
{
  double v = ref_round (z, s->p, s->qmin, RNE);
  return fabs (v) > s->max ? copysign (s->max, v) : v;   /* the engine saturates */
}

/* value_odd, then rounding into fp16/bf16, equals rounding the exact sum
 * once.  The sums sit at a midpoint of the small format, nudged by a tiny
 * term above or below (or not at all), with big terms that cancel. */
static void
test_odd_double_rounding (gconstpointer data)
{
  const small_float *sf = data;
  bs_test_rng rng = { 16 };
  bs_kulisch *k = wide_register ();
  bs_format f;
  mpz_t z;
  int rne_wrong = 0;

  g_assert_cmpint (bs_format_parse (sf->name, &f, NULL, 0), ==, 0);
  mpz_init (z);
  for (int trial = 0; trial < 20000; trial++)
    {
      /* a midpoint between neighbours c·2^q and (c+1)·2^q: c has p bits, or
       * fewer at the smallest quantum (subnormals) */
      int q = sf->qmin + (int) (bs_test_rng_next (&rng) % (uint64_t) (sf->p == 11 ? 32 : 262));
      uint64_t c = bs_test_rng_next (&rng) >> (64 - sf->p);
      double mid;
      if (q > sf->qmin)
        c |= 1ull << (sf->p - 1);
      mid = ldexp ((double) (2 * c + 1), q - 1);
      double a = rand_double (&rng, -20, 20);
      double big = rand_double (&rng, -200, 200);
      int kind = (int) (bs_test_rng_next (&rng) % 3);
      double tiny = ldexp (1.0, q - 60 - (int) (bs_test_rng_next (&rng) % 500));
      double want, got;

      if (bs_test_rng_next (&rng) & 1)
        mid = -mid;
      bs_kulisch_clear (k);
      mpz_set_ui (z, 0);
      /* mid = a · (mid / a) is not exact in general: split it as a·b + rest */
      {
        double b = mid / a;
        mpz_t t;
        mpz_init (t);
        ref_add (t, mid);
        mpz_set (z, t);
        g_assert_cmpint (bs_kulisch_add_product (k, a, b), ==, 0);
        ref_add_product (t, -a, b);      /* t = mid - a·b, exact */
        /* add the rest as the terms of its binary expansion, 53 bits at a time */
        while (mpz_sgn (t) != 0)
          {
            mpfr_t x;
            double d;
            mpfr_init2 (x, 53);
            mpfr_set_z_2exp (x, t, -REF_SHIFT, MPFR_RNDZ);
            d = mpfr_get_d (x, MPFR_RNDZ);
            mpfr_clear (x);
            g_assert_cmpint (bs_kulisch_add (k, d), ==, 0);
            ref_add (t, -d);
          }
        mpz_clear (t);
      }
      g_assert_cmpint (bs_kulisch_add (k, big), ==, 0);
      if (kind == 1)
        {
          g_assert_cmpint (bs_kulisch_add (k, tiny), ==, 0);
          ref_add (z, tiny);
        }
      else if (kind == 2)
        {
          g_assert_cmpint (bs_kulisch_add_product (k, -tiny, 0.5), ==, 0);
          ref_add_product (z, -tiny, 0.5);
        }
      g_assert_cmpint (bs_kulisch_add (k, -big), ==, 0);

      want = ref_small (sf, z);
      got = bs_format_round (&f, bs_kulisch_value_odd (k));
      bs_assert_same (got, want, "%s: trial %d, mid %a, kind %d", sf->name, trial, mid, kind);
      if (!bs_test_same (bs_format_round (&f, bs_kulisch_value (k)), want))
        rne_wrong++;
    }
  /* the cases are hard ones: rounding to nearest double first goes wrong often */
  g_assert_cmpint (rne_wrong, >, 1000);
  mpz_clear (z);
  bs_kulisch_free (k);
}

/* Random sums of products of format values: value_odd then rounding into the
 * format equals one rounding of the exact sum. */
static void
test_odd_random (gconstpointer data)
{
  const small_float *sf = data;
  bs_test_rng rng = { 17 };
  bs_kulisch *k = wide_register ();
  bs_format f;
  mpz_t z;

  g_assert_cmpint (bs_format_parse (sf->name, &f, NULL, 0), ==, 0);
  mpz_init (z);
  for (int trial = 0; trial < 3000; trial++)
    {
      int n = 1 + (int) (bs_test_rng_next (&rng) % 30);
      int e0 = sf->p == 11 ? -14 : -100;
      bs_kulisch_clear (k);
      mpz_set_ui (z, 0);
      for (int i = 0; i < n; i++)
        {
          double a = rand_double (&rng, e0, e0 + 25), b = rand_double (&rng, -5, 5);
          g_assert_cmpint (bs_kulisch_add_product (k, a, b), ==, 0);
          ref_add_product (z, a, b);
        }
      bs_assert_same (bs_format_round (&f, bs_kulisch_value_odd (k)), ref_small (sf, z),
                      "%s: trial %d", sf->name, trial);
    }
  mpz_clear (z);
  bs_kulisch_free (k);
}

/* Registers sized for formats hold every product of two format values. */
static void
test_for_format (void)
{
  static const struct { const char *name; int lsb, msb; double lo, hi; } t[] = {
    /* lsb = 2·exponent of min_pos, msb = 2·(exponent of max + 1) + carry */
    { "fp16", -48, 32, 0x1p-24, 65504 },
    { "bf16", -266, 256, 0x1p-133, 0x1.fep127 },
    { "fp8_e4m3", -18, 18, 0x1p-9, 448 },
    { "fp8_e5m2", -32, 32, 0x1p-16, 57344 },
    { "fp4_e2m1", -2, 6, 0.5, 6 },
    /* two's complement: the largest magnitude is the most negative value */
    { "int8", 0, 16, 1, -128 },
    { "int2", 0, 4, 1, -2 },
    { "fixed8", -14, 2, 0x1p-7, -1 },
    { "fixed1", 0, 2, 1, -1 },
    { "binary", 0, 2, 1, -1 },
    { "ternary", 0, 2, 1, -1 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (t); i++)
    {
      bs_format f;
      bs_kulisch *k;

      g_assert_cmpint (bs_format_parse (t[i].name, &f, NULL, 0), ==, 0);
      k = bs_kulisch_new_for_format (&f, 20);
      g_assert_nonnull (k);
      g_assert_cmpint (bs_kulisch_lsb (k), ==, t[i].lsb);
      g_assert_cmpint (bs_kulisch_msb (k), ==, t[i].msb + 20);
      g_assert_cmpint (bs_kulisch_add_product (k, t[i].lo, -t[i].lo), ==, 0);
      g_assert_cmpint (bs_kulisch_add_product (k, t[i].hi, t[i].hi), ==, 0);
      g_assert_cmpint (bs_kulisch_add_product (k, t[i].lo, t[i].hi), ==, 0);
      g_assert_cmpint (bs_kulisch_add_product (k, t[i].lo / 2, t[i].lo), ==, -1);
      bs_kulisch_free (k);

      /* carry bits: 2 hold four maximal products, 0 do not */
      k = bs_kulisch_new_for_format (&f, 2);
      for (int j = 0; j < 4; j++)
        g_assert_cmpint (bs_kulisch_add_product (k, t[i].hi, t[i].hi), ==, 0);
      g_assert_false (bs_kulisch_overflowed (k));
      bs_kulisch_free (k);
      k = bs_kulisch_new_for_format (&f, 0);
      for (int j = 0; j < 4; j++)
        g_assert_cmpint (bs_kulisch_add_product (k, t[i].hi, t[i].hi), ==, 0);
      g_assert_true (bs_kulisch_overflowed (k));
      bs_kulisch_free (k);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/kulisch/reference-anchors", test_reference_anchors);
  g_test_add_func ("/engine/kulisch/random-products", test_random_products);
  g_test_add_func ("/engine/kulisch/cancellation", test_cancellation);
  g_test_add_func ("/engine/kulisch/alternating-signs", test_alternating);
  g_test_add_func ("/engine/kulisch/carry-chains", test_carry_chains);
  g_test_add_func ("/engine/kulisch/register-offsets", test_register_offsets);
  g_test_add_func ("/engine/kulisch/subnormal-results", test_subnormal_results);
  g_test_add_func ("/engine/kulisch/overflow-to-inf", test_overflow_to_inf);
  g_test_add_func ("/engine/kulisch/long-sum", test_long_sum);
  g_test_add_func ("/engine/kulisch/range", test_range);
  g_test_add_func ("/engine/kulisch/range-limb-edges", test_range_limb_edges);
  g_test_add_func ("/engine/kulisch/poison", test_poison);
  g_test_add_func ("/engine/kulisch/for-format", test_for_format);
  for (size_t i = 0; i < G_N_ELEMENTS (small_floats); i++)
    {
      g_autofree char *p1 = g_strdup_printf ("/engine/kulisch/odd-then-%s/midpoints",
                                             small_floats[i].name);
      g_autofree char *p2 = g_strdup_printf ("/engine/kulisch/odd-then-%s/random",
                                             small_floats[i].name);
      g_test_add_data_func (p1, &small_floats[i], test_odd_double_rounding);
      g_test_add_data_func (p2, &small_floats[i], test_odd_random);
    }
  return g_test_run ();
}
