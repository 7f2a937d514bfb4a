/* fixed<Q>, int<N>, binary, ternary: every code against values computed here
 * from the definitions, rounding at every midpoint, saturation, NaN, the seed
 * formula transcribed literally, and the fast kernels against the reference. */
#include "bs-test-ref.h"
#include "bs-format.h"

#include <stdio.h>

typedef enum { FIXED, INT, BINARY, TERNARY } kind;

typedef struct {
  char name[16];
  kind kind;
  int bits;
} member;

/* fixed1…16, int2…16, binary, ternary */
static member members[16 + 15 + 2];

static void
init_members (void)
{
  int n = 0;

  for (int q = 1; q <= 16; q++)
    {
      snprintf (members[n].name, sizeof members[n].name, "fixed%d", q);
      members[n].kind = FIXED;
      members[n++].bits = q;
    }
  for (int b = 2; b <= 16; b++)
    {
      snprintf (members[n].name, sizeof members[n].name, "int%d", b);
      members[n].kind = INT;
      members[n++].bits = b;
    }
  snprintf (members[n].name, sizeof members[n].name, "binary");
  members[n].kind = BINARY;
  members[n++].bits = 1;
  snprintf (members[n].name, sizeof members[n].name, "ternary");
  members[n].kind = TERNARY;
  members[n++].bits = 2;
  g_assert_cmpint (n, ==, G_N_ELEMENTS (members));
}

/* The value of a code, from the definitions: two's complement k of `bits`
 * bits (the code's top bit weighs -2^(bits-1)), over 2^(Q-1) for fixed;
 * sign codes 0 → +1, 1 → -1; ternary 0, +1, NaN, -1. */
static double
ref_value (const member *m, uint32_t code)
{
  long k;

  switch (m->kind)
    {
    case BINARY:
      return code == 0 ? 1.0 : -1.0;
    case TERNARY:
      {
        static const double v[4] = { 0.0, 1.0, NAN, -1.0 };
        return v[code];
      }
    case FIXED:
      if (m->bits == 1)
        return code == 0 ? 1.0 : -1.0;
      /* fall through */
    case INT:
    default:
      k = (long) (code & ((1u << (m->bits - 1)) - 1u));
      if (code >> (m->bits - 1))
        k -= 1L << (m->bits - 1);
      return m->kind == FIXED ? (double) k / (double) (1L << (m->bits - 1)) : (double) k;
    }
}

static void
get_format (const char *name, bs_format *f)
{
  char err[200] = "";
  int r = bs_format_parse (name, f, err, sizeof err);
  if (r != 0)
    g_error ("parse %s: %s", name, err);
}

typedef struct {
  double v;
  uint32_t c;
} valued_code;

static int
cmp_valued (const void *a, const void *b)
{
  double x = ((const valued_code *) a)->v, y = ((const valued_code *) b)->v;
  return (x > y) - (x < y);
}

/* Codes sorted by value (finite ones only). */
static uint32_t
sorted_codes (const member *m, uint32_t *codes)
{
  uint32_t n = 0, ncodes = 1u << m->bits;
  g_autofree valued_code *vc = g_new (valued_code, ncodes);

  for (uint32_t c = 0; c < ncodes; c++)
    if (!isnan (ref_value (m, c)))
      vc[n++] = (valued_code) { ref_value (m, c), c };
  qsort (vc, n, sizeof *vc, cmp_valued);
  for (uint32_t i = 0; i < n; i++)
    codes[i] = vc[i].c;
  return n;
}

static void
test_limits (gconstpointer data)
{
  const member *m = data;
  bs_format f;
  double lo = INFINITY, hi = -INFINITY, minpos = INFINITY;
  char buf[200];

  get_format (m->name, &f);
  g_assert_cmpint (f.bits, ==, m->bits);
  g_assert_cmpint (f.block, ==, 0);
  g_assert_true (bs_format_has_codes (&f));
  g_assert_false (bs_format_is_block (&f));
  g_assert_cmpint (bs_format_exact_acc (&f), ==, BS_ACC_INT32);
  for (uint32_t c = 0; c < (1u << m->bits); c++)
    {
      double v = ref_value (m, c);
      if (isnan (v))
        continue;
      lo = MIN (lo, v);
      hi = MAX (hi, v);
      if (v > 0)
        minpos = MIN (minpos, v);
    }
  g_assert_cmpfloat (f.max, ==, hi);
  g_assert_cmpfloat (f.min_pos, ==, minpos);
  /* the seed's range: [-1, 1 - 2^-(Q-1)] for fixed, two's complement for int */
  if (m->kind == FIXED && m->bits > 1)
    {
      g_assert_cmpfloat (lo, ==, -1.0);
      g_assert_cmpfloat (hi, ==, 1.0 - ldexp (1.0, 1 - m->bits));
    }
  if (m->kind == INT)
    {
      g_assert_cmpfloat (lo, ==, -ldexp (1.0, m->bits - 1));
      g_assert_cmpfloat (hi, ==, ldexp (1.0, m->bits - 1) - 1);
    }
  bs_format_describe (&f, buf, sizeof buf);
  g_assert_cmpstr (buf, !=, "");
  g_assert_cmpstr (f.traits->summary, !=, "");
}

static void
test_decode (gconstpointer data)
{
  const member *m = data;
  bs_format f;

  get_format (m->name, &f);
  for (uint32_t c = 0; c < (1u << m->bits); c++)
    bs_assert_same (bs_format_decode (&f, c), ref_value (m, c), "%s decode 0x%x", m->name, c);
  /* codes wider than the format are not codes */
  g_assert_true (isnan (bs_format_decode (&f, 1u << m->bits)));
  g_assert_true (isnan (bs_format_decode (&f, BS_CODE_NAN)));
}

/* Every value maps to its code; every midpoint between neighbours to the even
 * code, a hair either side to the nearer one; far out saturates; NaN stays
 * NaN; ±0 → the zero code (+0). */
static void
test_rounding (gconstpointer data)
{
  const member *m = data;
  bs_format f;
  g_autofree uint32_t *codes = g_new (uint32_t, 1u << m->bits);
  uint32_t n;
  double vmin, vmax;

  get_format (m->name, &f);
  n = sorted_codes (m, codes);
  vmin = ref_value (m, codes[0]);
  vmax = ref_value (m, codes[n - 1]);

  for (uint32_t i = 0; i < n; i++)
    {
      double v = ref_value (m, codes[i]);
      g_assert_cmphex (bs_format_encode (&f, v), ==, codes[i]);
      if (i + 1 < n)
        {
          double w = ref_value (m, codes[i + 1]);
          double mid = (v + w) / 2;     /* exact: few significant bits */
          uint32_t even = (codes[i] & 1) ? codes[i + 1] : codes[i];
          if (m->kind == BINARY || (m->kind == FIXED && m->bits == 1))
            {
              /* sign: everything below 0 is -1, 0 and above +1 */
              g_assert_cmphex (bs_format_encode (&f, mid), ==, 0);
              g_assert_cmphex (bs_format_encode (&f, nextafter (0, -1)), ==, 1);
              continue;
            }
          g_assert_cmpint ((codes[i] ^ codes[i + 1]) & 1, ==, 1);   /* neighbours differ in parity */
          g_assert_cmphex (bs_format_encode (&f, mid), ==, even);
          g_assert_cmphex (bs_format_encode (&f, nextafter (mid, -INFINITY)), ==, codes[i]);
          g_assert_cmphex (bs_format_encode (&f, nextafter (mid, INFINITY)), ==, codes[i + 1]);
        }
    }

  /* saturation, including beyond the last midpoint and at ±inf */
  {
    double q = n > 1 ? ref_value (m, codes[n - 1]) - ref_value (m, codes[n - 2]) : 1;
    uint32_t cmin = codes[0], cmax = codes[n - 1];
    const double out[] = { vmax + q / 2, vmax + q, vmax * 3 + 7, 1e300, INFINITY };
    for (size_t i = 0; i < G_N_ELEMENTS (out); i++)
      {
        g_assert_cmphex (bs_format_encode (&f, out[i]), ==, cmax);
        g_assert_cmphex (bs_format_encode (&f, -out[i] + (vmin + vmax)), ==, cmin);
      }
    bs_assert_same (bs_format_round (&f, -INFINITY), vmin, "%s -inf", m->name);
    bs_assert_same (bs_format_round (&f, INFINITY), vmax, "%s inf", m->name);
  }

  /* NaN */
  g_assert_true (isnan (bs_format_round (&f, NAN)));
  if (m->kind == TERNARY)
    g_assert_cmphex (bs_format_encode (&f, NAN), ==, 2);
  else
    g_assert_cmphex (bs_format_encode (&f, NAN), ==, BS_CODE_NAN);

  /* zeros */
  if (m->kind == BINARY || (m->kind == FIXED && m->bits == 1))
    {
      bs_assert_same (bs_format_round (&f, 0.0), 1.0, "%s sign(+0)", m->name);
      bs_assert_same (bs_format_round (&f, -0.0), 1.0, "%s sign(-0)", m->name);
      bs_assert_same (bs_format_round (&f, -1e-300), -1.0, "%s sign(-tiny)", m->name);
    }
  else
    {
      bs_assert_same (bs_format_round (&f, -0.0), 0.0, "%s -0", m->name);
      bs_assert_same (bs_format_round (&f, -1e-300), 0.0, "%s -tiny", m->name);
      g_assert_cmphex (bs_format_encode (&f, -0.0), ==, 0);
    }
}

/* The seed formula, transcribed literally in long double with rint (the
 * default rounding mode: to nearest, ties to even):
 *   q = clip(rint(2^(Q-1)·x) / 2^(Q-1), -1, 1 - 2^-(Q-1)),  Q = 1: sign(x);
 * and int<N>: clip(rint(x), -2^(N-1), 2^(N-1) - 1). */
static long double
seed_fixed (int q, long double x)
{
  long double s = ldexpl (1.0L, q - 1), r;

  if (q == 1)
    return x < 0 ? -1.0L : 1.0L;
  r = rintl (x * s) / s;
  if (r < -1.0L)
    r = -1.0L;
  if (r > 1.0L - 1.0L / s)
    r = 1.0L - 1.0L / s;
  return r;
}

static long double
seed_int (int n, long double x)
{
  long double r = rintl (x), lim = ldexpl (1.0L, n - 1);

  if (r < -lim)
    r = -lim;
  if (r > lim - 1)
    r = lim - 1;
  return r;
}

static double
random_input (bs_test_rng *rng, double range)
{
  switch (bs_test_rng_next (rng) % 4)
    {
    case 0:
      return (2 * bs_test_rng_uniform (rng) - 1) * range;
    case 1:   /* on or next to a grid point of a random Q */
      {
        int q = 1 + (int) (bs_test_rng_next (rng) % 17);
        double k = floor ((2 * bs_test_rng_uniform (rng) - 1) * range * ldexp (1, q));
        double x = ldexp (k + 0.5 * (double) (bs_test_rng_next (rng) % 3), -q);
        return (bs_test_rng_next (rng) & 1) ? x : nextafter (x, (bs_test_rng_next (rng) & 1) ? 10 : -10);
      }
    case 2:
      return bs_test_rng_float_bits (rng);
    default:
      return bs_test_rng_float_log (rng, -20, 20);
    }
}

static void
test_seed_formula (void)
{
  bs_test_rng rng = { 99 };
  bs_format fx[17], in[17];

  for (int b = 1; b <= 16; b++)
    {
      char name[16];
      snprintf (name, sizeof name, "fixed%d", b);
      get_format (name, &fx[b]);
      snprintf (name, sizeof name, "int%d", b);
      if (b >= 2)
        get_format (name, &in[b]);
    }
  for (int i = 0; i < 200000; i++)
    {
      double x = random_input (&rng, 1.5);
      if (isnan (x))
        continue;
      for (int q = 1; q <= 16; q++)
        bs_assert_same (bs_format_round (&fx[q], x), (double) seed_fixed (q, x) + 0.0,
                        "fixed%d(%a) vs the seed formula", q, x);
    }
  for (int i = 0; i < 200000; i++)
    {
      double x = random_input (&rng, 40000);
      if (isnan (x))
        continue;
      for (int n = 2; n <= 16; n++)
        bs_assert_same (bs_format_round (&in[n], x), (double) seed_int (n, x) + 0.0,
                        "int%d(%a) vs clip(rint(x))", n, x);
    }
}

/* Ternary in words: |x| ≤ 0.5 → 0, above → ±1, checked on random inputs. */
static void
test_ternary_threshold (void)
{
  bs_test_rng rng = { 5 };
  bs_format f;

  get_format ("ternary", &f);
  for (int i = 0; i < 1000000; i++)
    {
      double x = random_input (&rng, 2);
      double want = isnan (x) ? NAN : fabs (x) <= 0.5 ? 0.0 : x > 0 ? 1.0 : -1.0;
      bs_assert_same (bs_format_round (&f, x), want, "ternary(%a)", x);
    }
  g_assert_cmpfloat (bs_format_round (&f, 0.5), ==, 0.0);
  g_assert_cmpfloat (bs_format_round (&f, -0.5), ==, 0.0);
  g_assert_cmpfloat (bs_format_round (&f, nextafter (0.5, 1)), ==, 1.0);
  g_assert_cmpfloat (bs_format_round (&f, nextafter (-0.5, -1)), ==, -1.0);
  g_assert_cmpfloat (bs_format_round (&f, 1.5), ==, 1.0);
}

/* Fast float32 kernel ≡ reference on every code, midpoint (and the floats
 * either side), 10^6 random bit patterns and 2·10^5 inputs near the grid; and
 * with a scale that is not a power of two. */
static void
test_fast (gconstpointer data)
{
  const member *m = data;
  bs_format f;
  bs_test_rng rng = { 42 };
  enum { N_RANDOM = 1000000 };
  uint32_t ncodes = 1u << m->bits;
  g_autofree uint32_t *codes = g_new (uint32_t, ncodes);
  g_autofree float *in = g_new (float, 2 * N_RANDOM + 4 * ncodes + 16);
  g_autofree float *out = g_new (float, 2 * N_RANDOM + 4 * ncodes + 16);
  size_t n = 0;
  uint32_t nc;
  char err[200];
  static const float special[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN,
                                   1e30f, -1e30f, 0x1p-149f, -0x1p-149f };

  get_format (m->name, &f);
  nc = sorted_codes (m, codes);
  for (uint32_t i = 0; i < nc; i++)
    {
      double v = ref_value (m, codes[i]);
      in[n++] = (float) v;
      if (i + 1 < nc)
        {
          float mid = (float) ((v + ref_value (m, codes[i + 1])) / 2);
          in[n++] = mid;
          in[n++] = nextafterf (mid, INFINITY);
          in[n++] = nextafterf (mid, -INFINITY);
        }
    }
  for (size_t i = 0; i < G_N_ELEMENTS (special); i++)
    in[n++] = special[i];
  for (int i = 0; i < N_RANDOM; i++)
    in[n++] = bs_test_rng_float_bits (&rng);
  for (int i = 0; i < N_RANDOM / 5; i++)
    in[n++] = (float) random_input (&rng, m->kind == INT ? ldexp (1.2, m->bits - 1) : 1.2);

  g_assert_cmpint (bs_format_quantize (&f, in, out, n, NULL, err, sizeof err), ==, 0);
  for (size_t i = 0; i < n; i++)
    bs_assert_same (out[i], (float) bs_format_round (&f, in[i]), "%s fast(%a)", m->name, in[i]);

  /* in place */
  {
    g_autofree float *copy = g_memdup2 (in, n * sizeof *in);
    g_assert_cmpint (bs_format_quantize (&f, copy, copy, n, NULL, err, sizeof err), ==, 0);
    g_assert_cmpmem (copy, n * sizeof *copy, out, n * sizeof *out);
  }

  /* with a scale that is not a power of two */
  {
    bs_qopts o = BS_QOPTS_INIT;
    size_t n2 = MIN (n, (size_t) 300000);
    g_autofree double *din = g_new (double, n2);
    g_autofree double *ref = g_new (double, n2);

    o.scale = m->kind == INT ? 0.3 * ldexp (1, m->bits - 4) : 0.3;
    for (size_t i = 0; i < n2; i++)
      din[i] = in[i];
    g_assert_cmpint (bs_format_quantize (&f, in, out, n2, &o, err, sizeof err), ==, 0);
    g_assert_cmpint (bs_format_quantize_ref (&f, din, ref, n2, &o, err, sizeof err), ==, 0);
    for (size_t i = 0; i < n2; i++)
      bs_assert_same (out[i], (float) ref[i], "%s fast(%a)·%g", m->name, in[i], o.scale);
  }
}

static void
test_parse_errors (void)
{
  static const char *const bad[] = {
    "fixed0", "fixed17", "int1", "int17", "int08", "fixed08", "fixed", "int", "int0",
    "fixed-1", "fixed8x", "Fixed8", "int 8", "binary2", "ternary1", "binary ", "uint8",
  };
  static const char *const good[] = { "fixed1", "fixed16", "int2", "int16", "binary", "ternary" };

  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      bs_format f;
      char err[200] = "";
      g_assert_cmpint (bs_format_parse (bad[i], &f, err, sizeof err), ==, -1);
      g_assert_cmpstr (err, !=, "");
    }
  for (size_t i = 0; i < G_N_ELEMENTS (good); i++)
    {
      bs_format f;
      g_assert_cmpint (bs_format_parse (good[i], &f, NULL, 0), ==, 0);
      g_assert_cmpstr (f.name, ==, good[i]);
    }
}

/* The traits rows: family, pattern, and the one-line descriptions. */
static void
test_traits (void)
{
  static const struct { const char *name; bs_family family; const char *pattern, *describe; } t[] = {
    { "fixed8", BS_FAMILY_FIXED, "fixed<Q>",
      "fixed point Q=8: k/128, k in [-128, 127], range [-1, 0.9921875]" },
    { "fixed16", BS_FAMILY_FIXED, "fixed<Q>",
      "fixed point Q=16: k/32768, k in [-32768, 32767], range [-1, 0.999969482421875]" },
    { "fixed1", BS_FAMILY_FIXED, "fixed<Q>", NULL },
    { "int8", BS_FAMILY_INT, "int<N>", NULL },
    { "binary", BS_FAMILY_BINARY, "binary", NULL },
    { "ternary", BS_FAMILY_TERNARY, "ternary", NULL },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (t); i++)
    {
      bs_format f;
      char buf[256];

      get_format (t[i].name, &f);
      g_assert_cmpint (bs_format_family (&f), ==, t[i].family);
      g_assert_cmpstr (f.traits->pattern, ==, t[i].pattern);
      bs_format_describe (&f, buf, sizeof buf);
      if (t[i].describe)
        g_assert_cmpstr (buf, ==, t[i].describe);
      g_assert_null (strchr (buf, '\n'));
    }
  {
    bs_format f;
    char buf[256];
    get_format ("int8", &f);
    bs_format_describe (&f, buf, sizeof buf);
    g_assert_nonnull (strstr (buf, "[-128, 127]"));
    get_format ("fixed1", &f);
    bs_format_describe (&f, buf, sizeof buf);
    g_assert_nonnull (strstr (buf, "sign"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  init_members ();
  for (size_t i = 0; i < G_N_ELEMENTS (members); i++)
    {
      const member *m = &members[i];
      g_autofree char *p0 = g_strdup_printf ("/engine/formats/%s/limits", m->name);
      g_autofree char *p1 = g_strdup_printf ("/engine/formats/%s/exhaustive/decode", m->name);
      g_autofree char *p2 = g_strdup_printf ("/engine/formats/%s/exhaustive/rounding", m->name);
      g_autofree char *p3 = g_strdup_printf ("/engine/formats/%s/fast-equals-reference", m->name);
      g_test_add_data_func (p0, m, test_limits);
      g_test_add_data_func (p1, m, test_decode);
      g_test_add_data_func (p2, m, test_rounding);
      g_test_add_data_func (p3, m, test_fast);
    }
  g_test_add_func ("/engine/formats/fixed/seed-formula", test_seed_formula);
  g_test_add_func ("/engine/formats/ternary/threshold", test_ternary_threshold);
  g_test_add_func ("/engine/formats/fixed/parse-errors", test_parse_errors);
  g_test_add_func ("/engine/formats/fixed/traits", test_traits);
  return g_test_run ();
}
