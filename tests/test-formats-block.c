/* Block formats (nf4, OCP MX, nvfp4) and kmeans<K>.
 *
 * Every expected value here is computed in this file from the definitions:
 * element values from their bit layouts (or the NF4 constants of
 * REFERENCES.md), scales from the formulas (OCP MX v1.0 §6.3, NVIDIA's NVFP4
 * recipe), and "nearest" by brute force over every element value with exact
 * MPFR distances, ties to the even code.  The engine's own encode/decode is
 * never used to produce an expected value.  The fast float paths are checked
 * against the double references on 10^6 values per format. */
#include "bs-test-ref.h"
#include "bs-format.h"
#include "bs-kmeans.h"

#include <float.h>
#include <gmp.h>
#include <mpfr.h>

static void
get_format (const char *name, bs_format *f)
{
  char err[200] = "";
  if (bs_format_parse (name, f, err, sizeof err) != 0)
    g_error ("parse %s: %s", name, err);
}

static void
quantize_ref (const bs_format *f, const double *in, double *out, size_t n, const bs_qopts *o)
{
  char err[200] = "";
  if (bs_format_quantize_ref (f, in, out, n, o, err, sizeof err) != 0)
    g_error ("%s ref: %s", f->name, err);
}

static void
quantize_fast (const bs_format *f, const float *in, float *out, size_t n, const bs_qopts *o)
{
  char err[200] = "";
  if (bs_format_quantize (f, in, out, n, o, err, sizeof err) != 0)
    g_error ("%s fast: %s", f->name, err);
}

/* Input distributions ------------------------------------------------------ */

typedef enum { DIST_NORMAL, DIST_HEAVY, DIST_ZEROS, DIST_LOG, DIST_BITS, N_DISTS } dist;

static const char *const dist_names[N_DISTS] = { "normal", "heavy-tailed", "with-zeros",
                                                 "log-spread", "random-bits" };

static double
rng_normal (bs_test_rng *r)
{
  double u1 = bs_test_rng_uniform (r), u2 = bs_test_rng_uniform (r);
  return sqrt (-2.0 * log (1.0 - u1)) * cos (2 * G_PI * u2);
}

static float
rng_dist (bs_test_rng *r, dist d)
{
  switch (d)
    {
    case DIST_NORMAL:
      return (float) (0.02 * rng_normal (r));
    case DIST_HEAVY:   /* Cauchy: rare huge outliers in most blocks */
      return (float) (0.01 * tan (G_PI * (bs_test_rng_uniform (r) - 0.5)));
    case DIST_ZEROS:
      {
        uint64_t u = bs_test_rng_next (r) % 10;
        if (u < 3)
          return u == 0 ? -0.0f : 0.0f;
        return (float) rng_normal (r);
      }
    case DIST_LOG:
      return bs_test_rng_float_log (r, -149, 127);
    case DIST_BITS:
    default:
      return bs_test_rng_float_bits (r);
    }
}

/* Element tables from the definitions -------------------------------------- */

typedef struct {
  int n;
  double v[256];      /* finite values, one zero */
  uint32_t code[256];
  gboolean signed_zero; /* the layout has -0: zero results keep the input's sign */
  uint32_t neg_zero;    /* … and this is its code */
} elem_table;

/* A float layout's value from its fields: ±2^(e-bias)·1.m, ±2^(1-bias)·0.m;
 * specials per the convention ('I' IEEE, 'F' FN, 'N' none). */
static double
layout_value (int e, int m, int bias, char special, uint32_t code)
{
  uint32_t mant = code & ((1u << m) - 1);
  uint32_t ex = (code >> m) & ((1u << e) - 1);
  int neg = (code >> (e + m)) & 1;
  uint32_t top = (1u << e) - 1;
  double frac = mant / pow (2.0, m), v;

  if (special == 'I' && ex == top)
    v = mant ? NAN : INFINITY;
  else if (special == 'F' && ex == top && mant == (1u << m) - 1)
    v = NAN;
  else if (ex == 0)
    v = pow (2.0, 1 - bias) * frac;
  else
    v = pow (2.0, (int) ex - bias) * (1.0 + frac);
  return neg ? -v : v;
}

static void
table_add (elem_table *t, double v, uint32_t code)
{
  if (!isfinite (v) || (v == 0 && signbit (v)))
    return;
  t->v[t->n] = v;
  t->code[t->n] = code;
  t->n++;
}

static void
table_float (elem_table *t, int e, int m, int bias, char special)
{
  memset (t, 0, sizeof *t);
  for (uint32_t c = 0; c < (1u << (1 + e + m)); c++)
    table_add (t, layout_value (e, m, bias, special, c), c);
  t->signed_zero = TRUE;
  t->neg_zero = 1u << (e + m);
}

static void
table_int8 (elem_table *t)
{
  memset (t, 0, sizeof *t);
  for (int k = -128; k < 128; k++)
    table_add (t, k / 64.0, (uint32_t) (uint8_t) (int8_t) k);
}

/* REFERENCES.md, as printed there. */
static const double nf4_ref[16] = {
  -1, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
  -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1,
};

static void
table_nf4 (elem_table *t)
{
  memset (t, 0, sizeof *t);
  for (uint32_t c = 0; c < 16; c++)
    table_add (t, nf4_ref[c], c);
}

/* The value among t's values times d nearest to y, by exact MPFR distances
 * (every difference asserted exact), ties to the even code; *code gets its
 * code.  A zero result takes y's sign in a layout with -0, else +0. */
static double
ref_nearest (const elem_table *t, double y, double d, uint32_t *code)
{
  mpfr_t vd, diff, best;
  int bi = -1;

  mpfr_inits2 (640, vd, diff, best, (mpfr_ptr) 0);
  for (int i = 0; i < t->n; i++)
    {
      int c;
      g_assert_cmpint (mpfr_set_d (vd, t->v[i], MPFR_RNDN), ==, 0);
      g_assert_cmpint (mpfr_mul_d (vd, vd, d, MPFR_RNDN), ==, 0);
      g_assert_cmpint (mpfr_d_sub (diff, y, vd, MPFR_RNDN), ==, 0);
      if (bi < 0)
        c = -1;
      else
        c = mpfr_cmpabs (diff, best);
      if (c < 0 || (c == 0 && (t->code[i] & 1) == 0 && (t->code[bi] & 1)))
        {
          bi = i;
          mpfr_set (best, diff, MPFR_RNDN);
        }
    }
  mpfr_clears (vd, diff, best, (mpfr_ptr) 0);
  if (t->v[bi] == 0)
    {
      gboolean neg = t->signed_zero && signbit (y);
      if (code)
        *code = neg ? t->neg_zero : t->code[bi];
      return neg ? -0.0 : 0.0;
    }
  if (code)
    *code = t->code[bi];
  return t->v[bi] * d;
}

/* Test-side block references ---------------------------------------------- */

/* NF4: a = fp32(max |y|) (NaN ignored; inf: the block is NaN); a = 0: zeros;
 * else the nearest of NF4·a, ties to the even code. */
static void
ref_nf4_block (const double *y, double *q, size_t m)
{
  static elem_table t;
  double a = 0;

  if (t.n == 0)
    table_nf4 (&t);
  for (size_t i = 0; i < m; i++)
    if (!isnan (y[i]))
      a = MAX (a, fabs (y[i]));
  if (isinf (a))
    {
      for (size_t i = 0; i < m; i++)
        q[i] = NAN;
      return;
    }
  a = a > FLT_MAX ? FLT_MAX : (float) a;
  for (size_t i = 0; i < m; i++)
    q[i] = isnan (y[i]) ? NAN : a == 0 ? 0.0 : ref_nearest (&t, y[i], a, NULL);
}

typedef struct {
  const char *name;
  int e, m, bias;   /* e = 0: INT8 */
  char special;
  int emax;         /* exponent of the largest normal, from the brief / OCP tables */
  double max, min_sub;
  int bits;
} mx_layout;

static const mx_layout mx_layouts[] = {
  { "mxfp8_e4m3", 4, 3, 7, 'F', 8, 448, 0x1p-9, 8 },
  { "mxfp8_e5m2", 5, 2, 15, 'I', 15, 57344, 0x1p-16, 8 },
  { "mxfp6_e3m2", 3, 2, 3, 'N', 4, 28, 0x1p-4, 6 },
  { "mxfp6_e2m3", 2, 3, 1, 'N', 2, 7.5, 0x1p-3, 6 },
  { "mxfp4", 2, 1, 1, 'N', 2, 6, 0x1p-1, 4 },
  { "mxint8", 0, 0, 0, 'N', 0, 127.0 / 64, 0x1p-6, 8 },
};

static void
mx_table (const mx_layout *l, elem_table *t)
{
  if (l->e == 0)
    table_int8 (t);
  else
    table_float (t, l->e, l->m, l->bias, l->special);
}

/* X = 2^(floor(log2 amax) − emax) clamped to [2^-127, 2^127]; zeros: 2^-127. */
static int
ref_mx_exp (const mx_layout *l, double amax)
{
  int e;
  if (amax == 0)
    return -127;
  frexp (amax, &e);
  return CLAMP (e - 1 - l->emax, -127, 127);
}

static void
ref_mx_block (const mx_layout *l, const elem_table *t, const double *y, double *q, size_t m)
{
  double amax = 0, X;
  gboolean special = FALSE;

  for (size_t i = 0; i < m; i++)
    {
      special |= !isfinite (y[i]);
      amax = MAX (amax, fabs (y[i]));
    }
  if (special)
    {
      for (size_t i = 0; i < m; i++)
        q[i] = NAN;
      return;
    }
  X = ldexp (1.0, ref_mx_exp (l, amax));
  for (size_t i = 0; i < m; i++)
    q[i] = ref_nearest (t, y[i], X, NULL);
}

/* NVFP4, NVIDIA ModelOpt's recipe written plainly in float arithmetic:
 * s_t = amax_t / (6·448) in fp32, r = amax_b / (6·s_t) in fp32, r = 0 → 1,
 * r < 2^-9 → 2^-9, b = E4M3(r) nearest even saturating, elements nearest E2M1
 * of y / (b·s_t), output element · b · s_t.  Float inputs, unit scale. */
static void
ref_nvfp4 (const float *x, double *q, size_t n, size_t bs)
{
  static elem_table e4m3, e2m1;
  float amax_t = 0, s_t;

  if (e4m3.n == 0)
    {
      table_float (&e4m3, 4, 3, 7, 'F');
      table_float (&e2m1, 2, 1, 1, 'N');
    }
  for (size_t i = 0; i < n; i++)
    if (!isnan (x[i]))
      amax_t = MAX (amax_t, fabsf (x[i]));
  if (isinf (amax_t) || amax_t == 0)
    {
      for (size_t i = 0; i < n; i++)
        q[i] = isinf (amax_t) ? NAN : x[i];
      return;
    }
  s_t = amax_t / 2688.0f;
  if (s_t == 0)
    s_t = 0x1p-149f;
  for (size_t base = 0; base < n; base += bs)
    {
      size_t m = MIN (bs, n - base);
      float amax_b = 0, r, d6 = 6.0f * s_t;
      double b, d;

      for (size_t i = 0; i < m; i++)
        if (!isnan (x[base + i]))
          amax_b = MAX (amax_b, fabsf (x[base + i]));
      r = amax_b / d6;
      if (r == 0)
        r = 1;
      if (r < 0x1p-9f)
        r = 0x1p-9f;
      b = ref_nearest (&e4m3, r, 1.0, NULL);
      d = b * (double) s_t;
      for (size_t i = 0; i < m; i++)
        q[base + i] = isnan (x[base + i]) ? NAN : ref_nearest (&e2m1, x[base + i], d, NULL);
    }
}

/* NF4 ---------------------------------------------------------------------- */

static void
test_nf4_codebook (void)
{
  bs_format f;

  get_format ("nf4", &f);
  g_assert_cmpint (f.bits, ==, 4);
  g_assert_cmpint (f.block, ==, 64);
  g_assert_true (bs_format_is_block (&f));
  g_assert_true (bs_format_has_codes (&f));
  g_assert_cmpuint (bs_format_n_codes (&f), ==, 16);
  g_assert_cmpfloat (f.max, ==, 1.0);
  for (uint32_t c = 0; c < 16; c++)
    {
      g_assert_cmpfloat ((double) (float) nf4_ref[c], ==, nf4_ref[c]);  /* fp32 constants */
      bs_assert_same (bs_format_decode (&f, c), nf4_ref[c], "nf4 code %u", c);
    }
}

/* Element encode at unit absmax: every value, every midpoint (exact in
 * double) to the even code, a hair either side to the nearer one. */
static void
test_nf4_encode (void)
{
  bs_format f;
  elem_table t;

  get_format ("nf4", &f);
  table_nf4 (&t);
  for (uint32_t c = 0; c < 16; c++)
    g_assert_cmpuint (bs_format_encode (&f, nf4_ref[c]), ==, c);
  g_assert_cmpuint (bs_format_encode (&f, -0.0), ==, 7);
  for (uint32_t c = 0; c + 1 < 16; c++)
    {
      double mid = (nf4_ref[c] + nf4_ref[c + 1]) / 2;
      uint32_t want, even = (c & 1) ? c + 1 : c;
      ref_nearest (&t, mid, 1.0, &want);
      g_assert_cmpuint (want, ==, even);
      g_assert_cmpuint (bs_format_encode (&f, mid), ==, even);
      g_assert_cmpuint (bs_format_encode (&f, nextafter (mid, -INFINITY)), ==, c);
      g_assert_cmpuint (bs_format_encode (&f, nextafter (mid, INFINITY)), ==, c + 1);
    }
  g_assert_cmpuint (bs_format_encode (&f, 1.5), ==, 15);
  g_assert_cmpuint (bs_format_encode (&f, -1e300), ==, 0);
  g_assert_cmpuint (bs_format_encode (&f, INFINITY), ==, 15);
  g_assert_cmpuint (bs_format_encode (&f, NAN), ==, BS_CODE_NAN);
}

/* Blocks whose elements sit on or next to every midpoint times the block's
 * absmax, for absmax values of several magnitudes (a power of two makes the
 * float inputs hit some midpoints exactly). */
static void
test_nf4_midpoints (void)
{
  static const float absmax[] = { 1.0f, 0x1p-20f, 0.37f, 3.0f, 1e30f, 0x1.8p-140f,
                                  0x1p-146f, 0x1.4p-147f };
  bs_format f;

  get_format ("nf4", &f);
  for (size_t ai = 0; ai < G_N_ELEMENTS (absmax); ai++)
    {
      double a = absmax[ai];
      float x[64], fo[64];
      double xd[64], q[64], want[64];
      size_t n = 0;

      x[n++] = absmax[ai];
      x[n++] = 0.0f;
      x[n++] = -0.0f;
      for (int k = 0; k < 15 && n + 4 <= 64; k++)
        {
          double t = (nf4_ref[k] + nf4_ref[k + 1]) / 2 * a;   /* exact */
          float lo = (float) t, hi;
          if ((double) lo > t)
            lo = nextafterf (lo, -INFINITY);
          hi = (double) lo == t ? lo : nextafterf (lo, INFINITY);
          x[n++] = lo;
          x[n++] = hi;
          x[n++] = nextafterf (lo, -INFINITY);
          x[n++] = nextafterf (hi, INFINITY);
        }
      for (size_t i = 0; i < n; i++)
        xd[i] = x[i];
      ref_nf4_block (xd, want, n);
      quantize_ref (&f, xd, q, n, NULL);
      quantize_fast (&f, x, fo, n, NULL);
      for (size_t i = 0; i < n; i++)
        {
          bs_assert_same (q[i], want[i], "nf4 ref absmax %a x %a", a, x[i]);
          bs_assert_same (fo[i], (float) want[i], "nf4 fast absmax %a x %a", a, x[i]);
        }

      /* the exact midpoints, as doubles (the reference takes any double) */
      n = 0;
      xd[n++] = a;
      for (int k = 0; k < 15; k++)
        xd[n++] = (nf4_ref[k] + nf4_ref[k + 1]) / 2 * a;
      ref_nf4_block (xd, want, n);
      quantize_ref (&f, xd, q, n, NULL);
      for (size_t i = 1; i < n; i++)
        {
          int k = (int) i - 1, even = (k & 1) ? k + 1 : k;
          bs_assert_same (want[i], nf4_ref[even] * a, "test reference tie %d", k);
          bs_assert_same (q[i], want[i], "nf4 ref tie %d absmax %a", k, a);
        }
    }
}

/* Random blocks, float and double inputs, against the brute-force reference. */
static void
test_nf4_random (void)
{
  enum { N = 64 * 200 };
  bs_format f;
  bs_test_rng rng = { 11 };
  g_autofree float *x = g_new (float, N);
  g_autofree float *fo = g_new (float, N);
  g_autofree double *xd = g_new (double, N);
  g_autofree double *q = g_new (double, N);
  g_autofree double *want = g_new (double, N);

  get_format ("nf4", &f);
  for (int i = 0; i < N; i++)
    x[i] = rng_dist (&rng, (i / 64) % 2 ? DIST_HEAVY : DIST_NORMAL);
  for (int i = 0; i < N; i++)
    xd[i] = x[i];
  for (int b = 0; b < N; b += 64)
    ref_nf4_block (xd + b, want + b, 64);
  quantize_ref (&f, xd, q, N, NULL);
  quantize_fast (&f, x, fo, N, NULL);
  for (int i = 0; i < N; i++)
    {
      bs_assert_same (q[i], want[i], "nf4 ref x %a", x[i]);
      bs_assert_same (fo[i], (float) want[i], "nf4 fast x %a", x[i]);
    }

  /* doubles that are not floats: the stored absmax is fp32(max |y|) */
  for (int i = 0; i < N; i++)
    xd[i] = rng_normal (&rng) * (1 + 0x1p-40);
  for (int b = 0; b < N; b += 64)
    ref_nf4_block (xd + b, want + b, 64);
  quantize_ref (&f, xd, q, N, NULL);
  for (int i = 0; i < N; i++)
    bs_assert_same (q[i], want[i], "nf4 ref double %a", xd[i]);
}

static void
test_nf4_specials (void)
{
  bs_format f;
  float x[64 * 3 + 5], fo[64 * 3 + 5];
  double xd[G_N_ELEMENTS (x)], q[G_N_ELEMENTS (x)], want[G_N_ELEMENTS (x)];
  size_t n = G_N_ELEMENTS (x);
  bs_test_rng rng = { 5 };

  get_format ("nf4", &f);
  for (size_t i = 0; i < n; i++)
    x[i] = (float) rng_normal (&rng);
  /* block 0: zeros of both signs → +0 */
  for (int i = 0; i < 64; i++)
    x[i] = (i & 1) ? -0.0f : 0.0f;
  /* block 1: a NaN, ignored for the absmax */
  x[64 + 3] = NAN;
  /* block 2: an infinity: the whole block is NaN */
  x[128 + 9] = -INFINITY;
  /* the last 5 elements form a short block with its own absmax */
  for (size_t i = 0; i < n; i++)
    xd[i] = x[i];
  quantize_ref (&f, xd, q, n, NULL);
  quantize_fast (&f, x, fo, n, NULL);
  for (int b = 0; b < 4; b++)
    ref_nf4_block (xd + 64 * b, want + 64 * b, b < 3 ? 64 : 5);
  for (size_t i = 0; i < n; i++)
    {
      bs_assert_same (q[i], want[i], "nf4 special ref %zu", i);
      bs_assert_same (fo[i], (float) want[i], "nf4 special fast %zu", i);
    }
  for (int i = 0; i < 64; i++)
    bs_assert_same (q[i], 0.0, "nf4 zero block %d", i);
  g_assert_true (isnan (q[64 + 3]));
  for (int i = 128; i < 192; i++)
    g_assert_true (isnan (q[i]));
  g_assert_false (isnan (q[192]));
  /* the NaN does not change its block: same as the block without it */
  {
    double with[64], without[64];
    xd[64 + 3] = 0;
    quantize_ref (&f, xd + 64, without, 64, NULL);
    xd[64 + 3] = NAN;
    quantize_ref (&f, xd + 64, with, 64, NULL);
    for (int i = 0; i < 64; i++)
      if (i != 3)
        bs_assert_same (with[i], without[i], "nf4 NaN-free %d", i);
  }
  /* the short block: its absmax is its own largest element */
  {
    double amax = 0;
    for (size_t i = 192; i < n; i++)
      amax = MAX (amax, fabs (xd[i]));
    for (size_t i = 192; i < n; i++)
      if (fabs (xd[i]) == amax)
        bs_assert_same (q[i], xd[i], "nf4 short block absmax element");
  }
}

/* OCP MX ------------------------------------------------------------------- */

/* Element codes at unit scale, exhaustively: decode every code from the
 * layout, encode every value and every midpoint (ties to the even code),
 * saturation. */
static void
test_mx_exhaustive (gconstpointer data)
{
  const mx_layout *l = data;
  bs_format f;
  elem_table t;
  uint32_t ncodes = 1u << l->bits;

  get_format (l->name, &f);
  mx_table (l, &t);
  g_assert_cmpint (f.bits, ==, l->bits);
  g_assert_cmpint (f.block, ==, 32);
  g_assert_cmpfloat (f.max, ==, l->max);
  g_assert_cmpfloat (f.min_pos, ==, l->min_sub);
  g_assert_true (bs_format_has_codes (&f));
  for (uint32_t c = 0; c < ncodes; c++)
    {
      double want = l->e ? layout_value (l->e, l->m, l->bias, l->special, c)
                         : (int8_t) (uint8_t) c / 64.0;
      bs_assert_same (bs_format_decode (&f, c), want, "%s decode 0x%x", l->name, c);
    }
  for (int i = 0; i < t.n; i++)
    {
      uint32_t want;
      ref_nearest (&t, t.v[i], 1.0, &want);
      g_assert_cmphex (want, ==, t.code[i]);
      g_assert_cmphex (bs_format_encode (&f, t.v[i]), ==, t.code[i]);
      for (int j = 0; j < t.n; j++)
        if (t.v[j] > t.v[i])
          {
            /* the next value up: find it */
            double next = t.v[j];
            for (int k = 0; k < t.n; k++)
              if (t.v[k] > t.v[i] && t.v[k] < next)
                next = t.v[k];
            {
              double mid = (t.v[i] + next) / 2;
              ref_nearest (&t, mid, 1.0, &want);
              g_assert_cmphex (bs_format_encode (&f, mid), ==, want);
              ref_nearest (&t, nextafter (mid, -INFINITY), 1.0, &want);
              g_assert_cmphex (bs_format_encode (&f, nextafter (mid, -INFINITY)), ==, want);
              ref_nearest (&t, nextafter (mid, INFINITY), 1.0, &want);
              g_assert_cmphex (bs_format_encode (&f, nextafter (mid, INFINITY)), ==, want);
            }
            break;
          }
    }
  /* saturation */
  {
    uint32_t want;
    ref_nearest (&t, l->max, 1.0, &want);
    g_assert_cmphex (bs_format_encode (&f, l->max * 1.9), ==, want);
    g_assert_cmpfloat (bs_format_decode (&f, bs_format_encode (&f, 1e30)), ==, l->max);
  }
}

/* Blocks with known amax give the scale of the definition, seen through
 * elements that survive only at that scale. */
static void
test_mx_scale (gconstpointer data)
{
  const mx_layout *l = data;
  static const int ks[] = { -100, -20, -3, 0, 1, 5, 40, 100 };
  bs_format f;

  get_format (l->name, &f);
  for (size_t i = 0; i < G_N_ELEMENTS (ks); i++)
    {
      int k = ks[i];
      /* amax = max·2^k → X = 2^k: max·2^k and min_sub·2^k are kept exactly,
       * min_sub·2^(k-1) ties to zero */
      {
        float x[3] = { (float) ldexp (l->max, k), (float) ldexp (l->min_sub, k),
                       (float) ldexp (l->min_sub, k - 1) }, y[3];
        double xd[3], q[3];
        for (int j = 0; j < 3; j++)
          xd[j] = x[j];
        g_assert_cmpint (ref_mx_exp (l, xd[0]), ==, k);
        quantize_ref (&f, xd, q, 3, NULL);
        quantize_fast (&f, x, y, 3, NULL);
        bs_assert_same (q[0], xd[0], "%s amax 2^%d kept", l->name, k);
        bs_assert_same (q[1], xd[1], "%s min_sub at X=2^%d", l->name, k);
        bs_assert_same (q[2], 0.0, "%s half min_sub at X=2^%d", l->name, k);
        for (int j = 0; j < 3; j++)
          bs_assert_same (y[j], (float) q[j], "%s fast %d", l->name, j);
      }
      /* amax just below 2^(emax+k) → X = 2^(k-1): min_sub·2^(k-1) is kept */
      {
        float x[2] = { nextafterf ((float) ldexp (1, l->emax + k), 0),
                       (float) ldexp (l->min_sub, k - 1) }, y[2];
        double xd[2] = { x[0], x[1] }, q[2];
        g_assert_cmpint (ref_mx_exp (l, xd[0]), ==, k - 1);
        quantize_ref (&f, xd, q, 2, NULL);
        quantize_fast (&f, x, y, 2, NULL);
        bs_assert_same (q[1], xd[1], "%s min_sub at X=2^%d", l->name, k - 1);
        bs_assert_same (y[1], x[1], "%s fast min_sub at X=2^%d", l->name, k - 1);
      }
    }
  /* E8M0's floor: amax = 2^(emax-130) wants X = 2^-130 but gets 2^-127, so
   * min_sub·2^-128 is half a step and rounds to 0 */
  {
    float x[2] = { (float) ldexp (1, l->emax - 130), (float) ldexp (l->min_sub, -128) }, y[2];
    double xd[2] = { x[0], x[1] }, q[2];
    g_assert_cmpfloat (xd[1], !=, 0);
    g_assert_cmpint (ref_mx_exp (l, xd[0]), ==, -127);
    quantize_ref (&f, xd, q, 2, NULL);
    quantize_fast (&f, x, y, 2, NULL);
    bs_assert_same (q[0], xd[0], "%s tiny amax", l->name);
    bs_assert_same (q[1], 0.0, "%s below E8M0", l->name);
    bs_assert_same (y[1], 0.0f, "%s fast below E8M0", l->name);
  }
  /* E8M0's ceiling (doubles only): X = 2^127, the elements saturate */
  {
    double xd[2] = { ldexp (1, l->emax + 140), -ldexp (1, l->emax + 132) }, q[2];
    quantize_ref (&f, xd, q, 2, NULL);
    bs_assert_same (q[0], ldexp (l->max, 127), "%s E8M0 ceiling", l->name);
    bs_assert_same (q[1], -ldexp (l->e ? l->max : 2.0, 127), "%s E8M0 ceiling -", l->name);
  }
}

/* Random blocks against the test reference, float and double inputs. */
static void
test_mx_random (gconstpointer data)
{
  const mx_layout *l = data;
  enum { N = 32 * 96 };
  bs_format f;
  elem_table t;
  bs_test_rng rng = { 100 + (uint64_t) l->bits + (uint64_t) l->e };
  g_autofree float *x = g_new (float, N);
  g_autofree float *y = g_new (float, N);
  g_autofree double *xd = g_new (double, N);
  g_autofree double *q = g_new (double, N);
  g_autofree double *want = g_new (double, N);

  get_format (l->name, &f);
  mx_table (l, &t);
  for (int i = 0; i < N; i++)
    x[i] = rng_dist (&rng, (dist) ((i / 32) % 4));   /* normal, heavy, zeros, log */
  for (int i = 0; i < N; i++)
    xd[i] = x[i];
  for (int b = 0; b < N; b += 32)
    ref_mx_block (l, &t, xd + b, want + b, 32);
  quantize_ref (&f, xd, q, N, NULL);
  quantize_fast (&f, x, y, N, NULL);
  for (int i = 0; i < N; i++)
    {
      bs_assert_same (q[i], want[i], "%s ref x %a", l->name, x[i]);
      bs_assert_same (y[i], (float) want[i], "%s fast x %a", l->name, x[i]);
    }
  for (int i = 0; i < N; i++)
    xd[i] = rng_normal (&rng) * (1 + 0x1p-45);
  for (int b = 0; b < N; b += 32)
    ref_mx_block (l, &t, xd + b, want + b, 32);
  quantize_ref (&f, xd, q, N, NULL);
  for (int i = 0; i < N; i++)
    bs_assert_same (q[i], want[i], "%s ref double %a", l->name, xd[i]);
}

/* Values beyond the element's max after scaling clamp to ±max·X. */
static void
test_mx_saturation (gconstpointer data)
{
  const mx_layout *l = data;
  bs_format f;

  get_format (l->name, &f);
  for (int k = -5; k <= 5; k += 5)
    {
      /* amax = 1.99…·2^(emax+k): X = 2^k, amax / X > max (for every format) */
      float x[4] = { nextafterf ((float) ldexp (2, l->emax + k), 0),
                     -nextafterf ((float) ldexp (2, l->emax + k), 0),
                     (float) ldexp (1.0, k), 0.0f }, y[4];
      double xd[4], q[4];
      for (int j = 0; j < 4; j++)
        xd[j] = x[j];
      quantize_ref (&f, xd, q, 4, NULL);
      quantize_fast (&f, x, y, 4, NULL);
      bs_assert_same (q[0], ldexp (l->max, k), "%s saturate +", l->name);
      /* INT8's two's complement reaches -2 on the negative side */
      bs_assert_same (q[1], -ldexp (l->e ? l->max : 2.0, k), "%s saturate -", l->name);
      bs_assert_same (q[2], ldexp (1.0, k), "%s one", l->name);
      for (int j = 0; j < 4; j++)
        bs_assert_same (y[j], (float) q[j], "%s fast %d", l->name, j);
    }
}

/* Zero blocks stay zero; NaN or inf in a block: the scale is NaN (E8M0 0xFF)
 * and the whole block is NaN; neighbours untouched; a short last block takes
 * its own scale. */
static void
test_mx_specials (gconstpointer data)
{
  const mx_layout *l = data;
  enum { N = 32 * 4 + 5 };
  bs_format f;
  elem_table t;
  bs_test_rng rng = { 77 };
  float x[N], y[N];
  double xd[N], q[N], want[N];

  get_format (l->name, &f);
  mx_table (l, &t);
  for (int i = 0; i < N; i++)
    x[i] = (float) rng_normal (&rng);
  for (int i = 0; i < 32; i++)
    x[i] = (i & 1) ? -0.0f : 0.0f;
  x[32 + 7] = NAN;
  x[64 + 30] = INFINITY;
  for (int i = 128; i < N; i++)
    x[i] *= 1e-3f;   /* the short block: far smaller scale than its neighbour */
  for (int i = 0; i < N; i++)
    xd[i] = x[i];
  quantize_ref (&f, xd, q, N, NULL);
  quantize_fast (&f, x, y, N, NULL);
  for (int b = 0; b < N; b += 32)
    ref_mx_block (l, &t, xd + b, want + b, MIN (32, N - b));
  for (int i = 0; i < N; i++)
    {
      bs_assert_same (q[i], want[i], "%s special ref %d", l->name, i);
      bs_assert_same (y[i], (float) want[i], "%s special fast %d", l->name, i);
    }
  for (int i = 0; i < 32; i++)   /* FP elements keep -0; INT8 has one zero */
    bs_assert_same (q[i], l->e && (i & 1) ? -0.0 : 0.0, "%s zero block %d", l->name, i);
  for (int i = 32; i < 96; i++)
    g_assert_true (isnan (q[i]));
  for (int i = 96; i < N; i++)
    g_assert_false (isnan (q[i]));
  /* the short block alone gives the same */
  {
    double alone[5];
    quantize_ref (&f, xd + 128, alone, 5, NULL);
    for (int i = 0; i < 5; i++)
      bs_assert_same (alone[i], q[128 + i], "%s short block %d", l->name, i);
  }
}

static void
test_mxint8_range (void)
{
  bs_format f;

  get_format ("mxint8", &f);
  g_assert_cmpfloat (bs_format_decode (&f, 0x80), ==, -2.0);
  g_assert_cmpfloat (bs_format_decode (&f, 0x7f), ==, 127.0 / 64);
  g_assert_cmpfloat (bs_format_decode (&f, 0x01), ==, 1.0 / 64);
  g_assert_cmpfloat (bs_format_decode (&f, 0xff), ==, -1.0 / 64);
  g_assert_cmphex (bs_format_encode (&f, -2.0), ==, 0x80);
  g_assert_cmphex (bs_format_encode (&f, -5.0), ==, 0x80);
  g_assert_cmphex (bs_format_encode (&f, 2.0), ==, 0x7f);
  g_assert_cmphex (bs_format_encode (&f, 1.5 / 64), ==, 0x02);    /* tie to even */
  g_assert_cmphex (bs_format_encode (&f, 2.5 / 64), ==, 0x02);
  g_assert_cmphex (bs_format_encode (&f, -1.5 / 64), ==, 0xfe);
  g_assert_cmphex (bs_format_encode (&f, 0.5 / 64), ==, 0x00);
  g_assert_cmphex (bs_format_encode (&f, -0.5 / 64), ==, 0x00);
  g_assert_cmphex (bs_format_encode (&f, NAN), ==, BS_CODE_NAN);
  {
    float x[3] = { -1.999f, 1.999f, -0.001f }, y[3];
    double xd[3] = { x[0], x[1], x[2] }, q[3];
    quantize_ref (&f, xd, q, 3, NULL);
    quantize_fast (&f, x, y, 3, NULL);
    bs_assert_same (q[0], -2.0, "mxint8 -2");
    bs_assert_same (q[1], 127.0 / 64, "mxint8 max");
    bs_assert_same (q[2], 0.0, "mxint8 +0");
    for (int i = 0; i < 3; i++)
      bs_assert_same (y[i], (float) q[i], "mxint8 fast %d", i);
  }
}

/* NVFP4 -------------------------------------------------------------------- */

static void
check_nvfp4 (const float *x, size_t n, size_t bs, const char *what)
{
  bs_format f;
  bs_qopts o = BS_QOPTS_INIT;
  g_autofree float *y = g_new (float, n);
  g_autofree double *xd = g_new (double, n);
  g_autofree double *q = g_new (double, n);
  g_autofree double *want = g_new (double, n);

  get_format ("nvfp4", &f);
  o.block = bs == 16 ? 0 : (int) bs;
  for (size_t i = 0; i < n; i++)
    xd[i] = x[i];
  ref_nvfp4 (x, want, n, bs);
  quantize_ref (&f, xd, q, n, &o);
  quantize_fast (&f, x, y, n, &o);
  for (size_t i = 0; i < n; i++)
    {
      bs_assert_same (q[i], want[i], "nvfp4 %s ref %zu x %a", what, i, x[i]);
      bs_assert_same (y[i], (float) want[i], "nvfp4 %s fast %zu x %a", what, i, x[i]);
    }
}

static void
test_nvfp4_recipe (void)
{
  enum { N = 16 * 256 };
  bs_format f;
  bs_test_rng rng = { 23 };
  g_autofree float *x = g_new (float, N);

  get_format ("nvfp4", &f);
  g_assert_cmpint (f.bits, ==, 4);
  g_assert_cmpint (f.block, ==, 16);
  g_assert_cmpfloat (f.max, ==, 6.0);
  for (int d = DIST_NORMAL; d <= DIST_LOG; d++)
    {
      for (int i = 0; i < N; i++)
        x[i] = rng_dist (&rng, (dist) d);
      check_nvfp4 (x, N, 16, dist_names[d]);
    }
  /* blocks of very different size: small ones hit r < 2^-9 and zero blocks
   * take r = 1 */
  for (int i = 0; i < N; i++)
    x[i] = (float) rng_normal (&rng) * (float) ldexp (1, -4 * ((i / 16) % 6));
  for (int i = 0; i < 16; i++)
    x[64 + i] = 0;
  x[5] = 3e4f;
  check_nvfp4 (x, N, 16, "ranges");
  /* a tensor near the float limits */
  for (int i = 0; i < N; i++)
    x[i] = (float) rng_normal (&rng) * 1e37f;
  check_nvfp4 (x, N, 16, "huge");
  for (int i = 0; i < N; i++)
    x[i] = (float) rng_normal (&rng) * 1e-40f;
  check_nvfp4 (x, N, 16, "tiny");
}

/* Block amax values that put r = amax_b / (6·s_t) on either side of every
 * E4M3 midpoint, for several tensor scales: where fp32 rounding of 6·s_t or
 * of the quotient decides the block scale. */
static void
test_nvfp4_scale_rounding (void)
{
  static const float amax_t[] = { 1.0f, 3.7f, 0.0123f, 6.1e4f, 2.9e-30f };
  enum { CAP = 16 * 800 };
  elem_table e4m3;
  g_autofree float *x = g_new (float, CAP);

  table_float (&e4m3, 4, 3, 7, 'F');
  for (size_t ti = 0; ti < G_N_ELEMENTS (amax_t); ti++)
    {
      float s_t = amax_t[ti] / 2688.0f, d6 = 6.0f * s_t;
      size_t n = 0;

      for (int i = 0; i < 16; i++)
        x[n++] = i ? amax_t[ti] / (float) (i + 1) : -amax_t[ti];
      for (int i = 0; i + 1 < e4m3.n; i++)
        {
          double lo = e4m3.v[i], hi = e4m3.v[i + 1], mid = (lo + hi) / 2;
          float c;
          if (lo < 0x1p-9 || hi > 448)
            continue;
          c = (float) (mid * d6);
          for (int j = -2; j <= 2; j++)
            {
              float cj = c;
              for (int k = 0; k < abs (j); k++)
                cj = nextafterf (cj, j < 0 ? 0 : INFINITY);
              if (cj > amax_t[ti])
                continue;
              g_assert_cmpuint (n + 16, <=, CAP);
              for (int e = 0; e < 16; e++)   /* amax_b and fractions of it */
                x[n++] = e ? cj * (float) (e % 6) / 5.0f : cj;   /* ≤ cj */
            }
        }
      check_nvfp4 (x, n, 16, "scale rounding");
    }
}

static void
test_nvfp4_specials (void)
{
  float x[40];
  bs_test_rng rng = { 3 };

  for (int i = 0; i < 40; i++)
    x[i] = (i & 1) ? -0.0f : 0.0f;
  check_nvfp4 (x, 40, 16, "zeros");
  for (int i = 0; i < 40; i++)
    x[i] = (float) rng_normal (&rng);
  x[3] = NAN;
  x[17] = NAN;
  check_nvfp4 (x, 40, 16, "NaN");   /* ignored for amax, stays NaN; 40: short block */
  x[30] = -INFINITY;
  check_nvfp4 (x, 40, 16, "inf");
  {
    bs_format f;
    double xd[40], q[40];
    get_format ("nvfp4", &f);
    for (int i = 0; i < 40; i++)
      xd[i] = x[i];
    quantize_ref (&f, xd, q, 40, NULL);
    for (int i = 0; i < 40; i++)
      g_assert_true (isnan (q[i]));
  }
}

/* Block override, codes, fast ≡ reference ---------------------------------- */

static void
test_block_override (void)
{
  enum { N = 256 };
  bs_test_rng rng = { 9 };
  float x[N], y[N], y0[N];
  double xd[N], q[N], want[N];
  bs_qopts o = BS_QOPTS_INIT;
  bs_format f;
  gboolean differs = FALSE;

  for (int i = 0; i < N; i++)
    x[i] = (float) (rng_normal (&rng) * ldexp (1, (i / 16) % 5));
  for (int i = 0; i < N; i++)
    xd[i] = x[i];

  get_format ("nf4", &f);
  o.block = 16;
  quantize_ref (&f, xd, q, N, &o);
  quantize_fast (&f, x, y, N, &o);
  quantize_fast (&f, x, y0, N, NULL);
  for (int b = 0; b < N; b += 16)
    ref_nf4_block (xd + b, want + b, 16);
  for (int i = 0; i < N; i++)
    {
      bs_assert_same (q[i], want[i], "nf4 block 16 ref %d", i);
      bs_assert_same (y[i], (float) want[i], "nf4 block 16 fast %d", i);
      differs |= y[i] != y0[i];
    }
  g_assert_true (differs);

  {
    elem_table t;
    const mx_layout *l = &mx_layouts[4];   /* mxfp4 */
    get_format (l->name, &f);
    mx_table (l, &t);
    o.block = 8;
    quantize_ref (&f, xd, q, N, &o);
    quantize_fast (&f, x, y, N, &o);
    quantize_fast (&f, x, y0, N, NULL);
    differs = FALSE;
    for (int b = 0; b < N; b += 8)
      ref_mx_block (l, &t, xd + b, want + b, 8);
    for (int i = 0; i < N; i++)
      {
        bs_assert_same (q[i], want[i], "mxfp4 block 8 ref %d", i);
        bs_assert_same (y[i], (float) want[i], "mxfp4 block 8 fast %d", i);
        differs |= y[i] != y0[i];
      }
    g_assert_true (differs);
  }
  check_nvfp4 (x, N, 32, "block 32");
  check_nvfp4 (x, N, 7, "block 7");
}

/* What `bitscape-cli formats --table` prints: the element codes at unit
 * scale. */
static void
test_code_tables (void)
{
  static const double e2m1[8] = { 0, 0.5, 1, 1.5, 2, 3, 4, 6 };
  bs_format f;

  get_format ("nf4", &f);
  g_assert_cmpuint (bs_format_n_codes (&f), ==, 16);
  for (uint32_t c = 0; c < 16; c++)
    g_assert_cmpfloat (bs_format_decode (&f, c), ==, nf4_ref[c]);
  for (size_t i = 0; i < 2; i++)
    {
      get_format (i ? "nvfp4" : "mxfp4", &f);
      g_assert_cmpuint (bs_format_n_codes (&f), ==, 16);
      for (uint32_t c = 0; c < 8; c++)
        {
          bs_assert_same (bs_format_decode (&f, c), e2m1[c], "%s 0x%x", f.name, c);
          bs_assert_same (bs_format_decode (&f, c | 8), -e2m1[c], "%s 0x%x", f.name, c | 8);
        }
    }
}

static void
test_fast_equals_reference (gconstpointer data)
{
  const char *name = data;
  enum { N = 1000000, NS = 100000 };
  bs_format f;
  bs_qopts o = BS_QOPTS_INIT;
  bs_test_rng rng = { 4242 };
  gboolean per_tensor = g_str_equal (name, "nvfp4");
  g_autofree float *x = g_new (float, N);
  g_autofree float *y = g_new (float, N);
  g_autofree double *xd = g_new (double, N);
  g_autofree double *q = g_new (double, N);

  get_format (name, &f);
  /* N values in runs of 4096 from each distribution in turn; nvfp4's tensor
   * scale would let one distribution decide every block, so it takes them
   * one tensor at a time, random bits without their non-finite values */
  for (int part = 0; part < (per_tensor ? N_DISTS : 1); part++)
    {
      size_t n = per_tensor ? N / N_DISTS : N;
      for (size_t i = 0; i < n; i++)
        {
          dist d = per_tensor ? (dist) part : (dist) ((i / 4096) % N_DISTS);
          float v = rng_dist (&rng, d);
          while (per_tensor && !isfinite (v))
            v = rng_dist (&rng, d);
          x[i] = v;
        }
      for (size_t i = 0; i < n; i++)
        xd[i] = x[i];
      quantize_ref (&f, xd, q, n, NULL);
      quantize_fast (&f, x, y, n, NULL);
      for (size_t i = 0; i < n; i++)
        bs_assert_same (y[i], (float) q[i], "%s fast(%a) part %d", name, x[i], part);

      /* a scale that is not a power of two, on a slice */
      o.scale = 0.3;
      quantize_ref (&f, xd, q, NS, &o);
      quantize_fast (&f, x, y, NS, &o);
      for (size_t i = 0; i < NS; i++)
        bs_assert_same (y[i], (float) q[i], "%s fast(%a)·0.3", name, x[i]);
      o.scale = 1.0;
    }
  /* in place */
  memcpy (y, x, NS * sizeof *y);
  quantize_fast (&f, y, y, NS, NULL);
  quantize_ref (&f, xd, q, NS, NULL);
  for (size_t i = 0; i < NS; i++)
    bs_assert_same (y[i], (float) q[i], "%s in place (%a)", name, x[i]);
}

static void
test_block_parse (void)
{
  static const char *const names[] = { "nf4", "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2",
                                       "mxfp6_e2m3", "mxfp4", "mxint8", "nvfp4", "kmeans16" };
  static const char *const bad[] = { "nf3", "mxfp5", "mxint4", "nvfp8", "kmeans1", "kmeans0",
                                     "kmeans65537", "kmeans016", "kmeans" };
  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    {
      bs_format f;
      char buf[300] = "";
      get_format (names[i], &f);
      g_assert_cmpstr (f.name, ==, names[i]);
      g_assert_true (bs_format_is_block (&f));
      g_assert_cmpint (bs_format_exact_acc (&f), ==, BS_ACC_KULISCH);
      bs_format_describe (&f, buf, sizeof buf);
      g_assert_true (g_str_has_prefix (buf, names[i]));
    }
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      bs_format f;
      char err[200] = "";
      g_assert_cmpint (bs_format_parse (bad[i], &f, err, sizeof err), ==, -1);
      g_assert_cmpstr (err, !=, "");
    }
}

/* kmeans ------------------------------------------------------------------- */

static void
kmeans_q (const char *name, const float *x, float *y, size_t n, uint64_t seed, int iters)
{
  bs_format f;
  bs_qopts o = BS_QOPTS_INIT;
  get_format (name, &f);
  o.seed = seed;
  o.iterations = iters;
  quantize_fast (&f, x, y, n, &o);
}

static double
sq_error (const float *x, const float *y, size_t n)
{
  long double s = 0;
  for (size_t i = 0; i < n; i++)
    s += ((long double) x[i] - y[i]) * ((long double) x[i] - y[i]);
  return (double) s;
}

static void
test_kmeans_parse (void)
{
  static const struct { const char *name; int bits; } t[] = {
    { "kmeans2", 1 }, { "kmeans3", 2 }, { "kmeans16", 4 }, { "kmeans17", 5 },
    { "kmeans256", 8 }, { "kmeans65536", 16 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (t); i++)
    {
      bs_format f;
      get_format (t[i].name, &f);
      g_assert_cmpint (f.bits, ==, t[i].bits);
      g_assert_false (bs_format_has_codes (&f));
      g_assert_true (bs_format_is_block (&f));
    }
}

static void
test_kmeans_deterministic (void)
{
  enum { N = 100000 };
  bs_test_rng rng = { 1 };
  g_autofree float *x = g_new (float, N);
  g_autofree float *a = g_new (float, N);
  g_autofree float *b = g_new (float, N);
  double c1[16], c2[16];
  uint32_t *i1 = g_new (uint32_t, N), *i2 = g_new (uint32_t, N);

  for (int i = 0; i < N; i++)
    x[i] = (float) rng_normal (&rng);
  kmeans_q ("kmeans16", x, a, N, 7, 30);
  kmeans_q ("kmeans16", x, b, N, 7, 30);
  g_assert_cmpmem (a, N * sizeof *a, b, N * sizeof *b);
  g_assert_cmpint (bs_kmeans_fit (x, N, 16, 7, 30, c1, i1, NULL, 0), ==, 16);
  g_assert_cmpint (bs_kmeans_fit (x, N, 16, 7, 30, c2, i2, NULL, 0), ==, 16);
  g_assert_cmpmem (c1, sizeof c1, c2, sizeof c2);
  g_assert_cmpmem (i1, N * sizeof *i1, i2, N * sizeof *i2);
  for (int k = 1; k < 16; k++)
    g_assert_cmpfloat (c1[k - 1], <, c1[k]);
  for (int i = 0; i < N; i++)   /* the format and the API agree */
    g_assert_cmpfloat (a[i], ==, (float) c1[i1[i]]);
  g_free (i1);
  g_free (i2);
}

static void
test_kmeans_distinct (void)
{
  enum { N = 1000 };
  bs_test_rng rng = { 2 };
  float vals[16], x[N], y[N];
  double c[16];
  uint32_t idx[N];

  for (int k = 0; k < 16; k++)
    vals[k] = (float) rng_normal (&rng) * 100;
  for (int i = 0; i < N; i++)
    x[i] = vals[bs_test_rng_next (&rng) % 16];
  kmeans_q ("kmeans16", x, y, N, 1, 30);
  g_assert_cmpmem (x, sizeof x, y, sizeof y);
  /* fewer distinct values than K: they are the centroids */
  for (int i = 0; i < N; i++)
    x[i] = vals[bs_test_rng_next (&rng) % 5];
  kmeans_q ("kmeans16", x, y, N, 1, 30);
  g_assert_cmpmem (x, sizeof x, y, sizeof y);
  g_assert_cmpint (bs_kmeans_fit (x, N, 16, 3, 30, c, idx, NULL, 0), ==, 5);
  for (int k = 1; k < 16; k++)
    g_assert_cmpfloat (c[k - 1], <=, c[k]);
  for (int k = 5; k < 16; k++)
    g_assert_cmpfloat (c[k], ==, c[4]);
  for (int i = 0; i < N; i++)
    g_assert_cmpfloat ((float) c[idx[i]], ==, x[i]);
}

static void
test_kmeans_lloyd_improves (void)
{
  enum { N = 20000 };
  bs_test_rng rng = { 3 };
  g_autofree float *x = g_new (float, N);
  g_autofree float *y0 = g_new (float, N);
  g_autofree float *y = g_new (float, N);

  for (int i = 0; i < N; i++)
    x[i] = (float) (i % 3 ? rng_normal (&rng) : 0.1 * tan (G_PI * (bs_test_rng_uniform (&rng) - 0.5)));
  for (uint64_t seed = 1; seed <= 5; seed++)
    {
      double j0, j1;
      kmeans_q ("kmeans16", x, y0, N, seed, 0);
      kmeans_q ("kmeans16", x, y, N, seed, 30);
      j0 = sq_error (x, y0, N);
      j1 = sq_error (x, y, N);
      g_assert_cmpfloat (j1, <, j0);
    }
}

/* With converged Lloyd, every element sits in its nearest centroid's cluster
 * and every centroid is its cluster's mean; equal values share a cluster. */
static void
test_kmeans_fixed_point (void)
{
  enum { N = 10000, K = 8 };
  bs_test_rng rng = { 4 };
  float x[N];
  double c[K];
  uint32_t idx[N];
  long double sum[K] = { 0 };
  double cnt[K] = { 0 };

  for (int i = 0; i < N; i++)   /* a coarse grid: many repeated values */
    x[i] = roundf ((float) rng_normal (&rng) * 20) / 20;
  g_assert_cmpint (bs_kmeans_fit (x, N, K, 5, 1000, c, idx, NULL, 0), ==, K);
  for (int i = 0; i < N; i++)
    {
      double d = fabs (x[i] - c[idx[i]]);
      for (int k = 0; k < K; k++)
        g_assert_cmpfloat (d, <=, fabs (x[i] - c[k]));
      sum[idx[i]] += x[i];
      cnt[idx[i]] += 1;
      for (int j = 0; j < i; j += 97)
        if (x[j] == x[i])
          g_assert_cmpuint (idx[j], ==, idx[i]);
    }
  for (int k = 0; k < K; k++)
    {
      g_assert_cmpfloat (cnt[k], >, 0);
      g_assert_cmpfloat (fabs (c[k] - (double) (sum[k] / cnt[k])), <=, 1e-12 * (1 + fabs (c[k])));
    }
}

static void
test_kmeans_equal_values (void)
{
  enum { N = 5000 };
  bs_test_rng rng = { 6 };
  float x[N], y[N];

  /* 40 distinct values, K = 4: each value's copies come out equal */
  for (int i = 0; i < N; i++)
    x[i] = (float) (bs_test_rng_next (&rng) % 40) * 0.25f - 5.0f;
  kmeans_q ("kmeans4", x, y, N, 9, 30);
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < MIN (N, i + 200); j++)
      if (x[i] == x[j])
        g_assert_cmpfloat (y[i], ==, y[j]);
  /* one value (and its negative zero twin) many times: one centroid */
  {
    double c[4];
    uint32_t idx[N];
    for (int i = 0; i < N; i++)
      x[i] = 0.75f;
    g_assert_cmpint (bs_kmeans_fit (x, N, 4, 1, 30, c, idx, NULL, 0), ==, 1);
    for (int i = 0; i < N; i++)
      g_assert_cmpuint (idx[i], ==, 0);
    for (int i = 0; i < N; i++)
      x[i] = i % 2 ? 0.0f : -0.0f;
    g_assert_cmpint (bs_kmeans_fit (x, N, 4, 1, 30, c, idx, NULL, 0), ==, 1);
    bs_assert_same (c[0], 0.0, "-0 counts as +0");
  }
}

/* Cluster cuts at the midpoints of neighbouring centroids, a value on a cut
 * going to the lower centroid. */
static void
test_kmeans_assign (void)
{
  static const double c[4] = { -1.0, 0.0, 0.5, 4.0 };
  static const struct { float x; uint32_t want; } t[] = {
    { -5.0f, 0 }, { -0.5f, 0 }, { -0.49f, 1 }, { 0.0f, 1 }, { 0.25f, 1 },
    { 0.26f, 2 }, { 2.25f, 2 }, { 2.2500002f, 3 }, { 1e30f, 3 }, { -INFINITY, 0 },
    { INFINITY, 3 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (t); i++)
    {
      uint32_t idx;
      bs_kmeans_assign (c, 4, &t[i].x, 1, &idx);
      g_assert_cmpuint (idx, ==, t[i].want);
    }
  {
    float x = NAN;
    uint32_t idx;
    bs_kmeans_assign (c, 4, &x, 1, &idx);
    g_assert_cmpuint (idx, ==, BS_KMEANS_NO_INDEX);
    x = 1;
    bs_kmeans_assign (c, 1, &x, 1, &idx);
    g_assert_cmpuint (idx, ==, 0);
  }
}

static void
test_kmeans_two_clusters (void)
{
  enum { N = 1000 };
  bs_test_rng rng = { 8 };
  float x[N], y[N];
  long double s[2] = { 0, 0 };

  for (int i = 0; i < N; i++)
    {
      x[i] = (float) ((i % 2 ? 10 : -10) + 2 * bs_test_rng_uniform (&rng) - 1);
      s[i % 2] += x[i];
    }
  for (uint64_t seed = 1; seed <= 10; seed++)
    {
      kmeans_q ("kmeans2", x, y, N, seed, 30);
      for (int i = 0; i < N; i++)
        {
          double want = (double) (s[i % 2] / (N / 2));
          g_assert_cmpfloat (fabs (y[i] - want), <=, 1e-6);
          g_assert_cmpfloat (y[i], ==, y[i % 2]);
        }
    }
}

static void
test_kmeans_specials (void)
{
  float x[100], y[100];
  bs_test_rng rng = { 12 };

  for (int i = 0; i < 100; i++)
    x[i] = (float) rng_normal (&rng);
  x[3] = NAN;
  x[10] = INFINITY;
  x[11] = -INFINITY;
  kmeans_q ("kmeans4", x, y, 100, 1, 30);
  g_assert_true (isnan (y[3]));
  {
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < 100; i++)
      if (isfinite (y[i]))
        lo = MIN (lo, y[i]), hi = MAX (hi, y[i]);
    g_assert_cmpfloat (y[10], ==, hi);
    g_assert_cmpfloat (y[11], ==, lo);
  }
  for (int i = 0; i < 100; i++)
    x[i] = i % 2 ? NAN : INFINITY;
  kmeans_q ("kmeans4", x, y, 100, 1, 30);
  for (int i = 0; i < 100; i++)
    bs_assert_same (y[i], x[i], "no finite value %d", i);
  /* a scale: q(x / s) · s */
  {
    bs_format f;
    bs_qopts o = BS_QOPTS_INIT;
    double xd[100], q[100];
    get_format ("kmeans4", &f);
    o.scale = 0.3;
    for (int i = 0; i < 100; i++)
      xd[i] = x[i] = (float) rng_normal (&rng);
    quantize_ref (&f, xd, q, 100, &o);
    quantize_fast (&f, x, y, 100, &o);
    for (int i = 0; i < 100; i++)
      bs_assert_same (y[i], (float) q[i], "kmeans scaled %d", i);
  }
  g_assert_cmpint (bs_kmeans_fit (x, 100, 0, 1, 30, (double[1]) { 0 }, NULL, NULL, 0), ==, -1);
}

static void
test_kmeans_fast_equals_reference (void)
{
  enum { N = 1000000 };
  static const char *const names[] = { "kmeans16", "kmeans256" };
  bs_test_rng rng = { 13 };
  g_autofree float *x = g_new (float, N);
  g_autofree float *y = g_new (float, N);
  g_autofree double *xd = g_new (double, N);
  g_autofree double *q = g_new (double, N);

  for (int i = 0; i < N; i++)
    {
      float v = rng_dist (&rng, (dist) ((i / 4096) % DIST_BITS));
      xd[i] = x[i] = v;
    }
  for (size_t k = 0; k < G_N_ELEMENTS (names); k++)
    {
      bs_format f;
      size_t n = k ? N / 10 : N;
      get_format (names[k], &f);
      quantize_ref (&f, xd, q, n, NULL);
      quantize_fast (&f, x, y, n, NULL);
      for (size_t i = 0; i < n; i++)
        bs_assert_same (y[i], (float) q[i], "%s fast(%a)", names[k], x[i]);
    }
}

int
main (int argc, char **argv)
{
  static const char *const all[] = { "nf4", "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2",
                                     "mxfp6_e2m3", "mxfp4", "mxint8", "nvfp4" };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/formats/nf4/codebook", test_nf4_codebook);
  g_test_add_func ("/engine/formats/nf4/encode", test_nf4_encode);
  g_test_add_func ("/engine/formats/nf4/midpoints", test_nf4_midpoints);
  g_test_add_func ("/engine/formats/nf4/random-blocks", test_nf4_random);
  g_test_add_func ("/engine/formats/nf4/specials", test_nf4_specials);
  for (size_t i = 0; i < G_N_ELEMENTS (mx_layouts); i++)
    {
      const mx_layout *l = &mx_layouts[i];
      g_autofree char *p1 = g_strdup_printf ("/engine/formats/%s/exhaustive", l->name);
      g_autofree char *p2 = g_strdup_printf ("/engine/formats/%s/scale", l->name);
      g_autofree char *p3 = g_strdup_printf ("/engine/formats/%s/random-blocks", l->name);
      g_autofree char *p4 = g_strdup_printf ("/engine/formats/%s/saturation", l->name);
      g_autofree char *p5 = g_strdup_printf ("/engine/formats/%s/specials", l->name);
      g_test_add_data_func (p1, l, test_mx_exhaustive);
      g_test_add_data_func (p2, l, test_mx_scale);
      g_test_add_data_func (p3, l, test_mx_random);
      g_test_add_data_func (p4, l, test_mx_saturation);
      g_test_add_data_func (p5, l, test_mx_specials);
    }
  g_test_add_func ("/engine/formats/mxint8/range", test_mxint8_range);
  g_test_add_func ("/engine/formats/nvfp4/recipe", test_nvfp4_recipe);
  g_test_add_func ("/engine/formats/nvfp4/scale-rounding", test_nvfp4_scale_rounding);
  g_test_add_func ("/engine/formats/nvfp4/specials", test_nvfp4_specials);
  g_test_add_func ("/engine/formats/block/block-override", test_block_override);
  g_test_add_func ("/engine/formats/block/code-tables", test_code_tables);
  g_test_add_func ("/engine/formats/block/parse", test_block_parse);
  for (size_t i = 0; i < G_N_ELEMENTS (all); i++)
    {
      g_autofree char *p = g_strdup_printf ("/engine/formats/%s/fast-equals-reference", all[i]);
      g_test_add_data_func (p, all[i], test_fast_equals_reference);
    }
  g_test_add_func ("/engine/formats/kmeans/parse", test_kmeans_parse);
  g_test_add_func ("/engine/formats/kmeans/deterministic", test_kmeans_deterministic);
  g_test_add_func ("/engine/formats/kmeans/distinct-values", test_kmeans_distinct);
  g_test_add_func ("/engine/formats/kmeans/lloyd-improves", test_kmeans_lloyd_improves);
  g_test_add_func ("/engine/formats/kmeans/fixed-point", test_kmeans_fixed_point);
  g_test_add_func ("/engine/formats/kmeans/equal-values", test_kmeans_equal_values);
  g_test_add_func ("/engine/formats/kmeans/two-clusters", test_kmeans_two_clusters);
  g_test_add_func ("/engine/formats/kmeans/assign", test_kmeans_assign);
  g_test_add_func ("/engine/formats/kmeans/specials", test_kmeans_specials);
  g_test_add_func ("/engine/formats/kmeans/fast-equals-reference",
                   test_kmeans_fast_equals_reference);
  return g_test_run ();
}
