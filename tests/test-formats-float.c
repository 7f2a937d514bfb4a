/* Float family: every code of every ≤16-bit layout against values computed
 * here from the definition, rounding at every midpoint, the fast kernel
 * against the reference, and fp16 against the CPU's own _Float16. */
#include "bs-test-ref.h"
#include "bs-format.h"

typedef struct {
  const char *name;
  int e, m, bias;
  char special;   /* 'I' IEEE, 'F' FN (NaN only at all ones), 'N' none */
} layout;

static const layout named[] = {
  { "fp16", 5, 10, 15, 'I' },
  { "bf16", 8, 7, 127, 'I' },
  { "fp8_e4m3", 4, 3, 7, 'F' },
  { "fp8_e5m2", 5, 2, 15, 'I' },
  { "fp6_e3m2", 3, 2, 3, 'N' },
  { "fp6_e2m3", 2, 3, 1, 'N' },
  { "fp4_e2m1", 2, 1, 1, 'N' },
};

/* The value of a code, straight from the definition (sign · 2^(e-bias) ·
 * 1.mant, or 2^(1-bias) · 0.mant), independent of the engine. */
static double
ref_value (const layout *l, uint32_t code)
{
  uint32_t mant = code & ((1u << l->m) - 1);
  uint32_t ex = (code >> l->m) & ((1u << l->e) - 1);
  int neg = (code >> (l->e + l->m)) & 1;
  uint32_t top = (1u << l->e) - 1;
  double frac = mant / pow (2.0, l->m), v;

  if (l->special == 'I' && ex == top)
    v = mant ? NAN : INFINITY;
  else if (l->special == 'F' && ex == top && mant == (1u << l->m) - 1)
    v = NAN;
  else if (ex == 0)
    v = pow (2.0, 1 - l->bias) * frac;
  else
    v = pow (2.0, (int) ex - l->bias) * (1.0 + frac);
  return neg ? -v : v;
}

static void
get_format (const char *name, bs_format *f)
{
  char err[200];
  int r = bs_format_parse (name, f, err, sizeof err);
  g_assert_cmpint (r, ==, 0);
}

static void
check_decode (const layout *l)
{
  bs_format f;
  uint32_t n = 1u << (1 + l->e + l->m);

  get_format (l->name, &f);
  g_assert_cmpint (f.bits, ==, 1 + l->e + l->m);
  for (uint32_t c = 0; c < n; c++)
    bs_assert_same (bs_format_decode (&f, c), ref_value (l, c), "%s decode 0x%x", l->name, c);
}

/* Round to nearest even at every pair of neighbouring codes: the midpoint goes
 * to the even code, a hair either side to the nearer one. */
static void
check_encode (const layout *l)
{
  bs_format f;
  uint32_t half = 1u << (l->e + l->m);
  double maxv = 0;
  uint32_t maxc = 0;

  get_format (l->name, &f);
  for (uint32_t c = 0; c < half; c++)
    {
      double v = ref_value (l, c);
      if (isfinite (v) && v > maxv)
        maxv = v, maxc = c;
    }
  g_assert_cmpfloat (f.max, ==, maxv);

  for (uint32_t c = 0; c < half; c++)
    {
      double v = ref_value (l, c), w;
      if (!isfinite (v))
        continue;
      for (int s = 0; s < 2; s++)
        {
          uint32_t sc = s ? c | half : c;
          double sv = s ? -v : v;
          g_assert_cmphex (bs_format_encode (&f, sv), ==, sc);
        }
      if (c == maxc)
        continue;
      w = ref_value (l, c + 1);
      {
        double mid = (v + w) / 2;   /* exact: both have few significand bits */
        uint32_t even = (c & 1) ? c + 1 : c;
        g_assert_cmphex (bs_format_encode (&f, mid), ==, even);
        g_assert_cmphex (bs_format_encode (&f, -mid), ==, even | half);
        g_assert_cmphex (bs_format_encode (&f, nextafter (mid, 0)), ==, c);
        g_assert_cmphex (bs_format_encode (&f, nextafter (mid, INFINITY)), ==, c + 1);
        g_assert_cmphex (bs_format_encode (&f, -nextafter (mid, INFINITY)), ==, (c + 1) | half);
      }
    }

  /* saturation: anything finite beyond max → ±max */
  g_assert_cmphex (bs_format_encode (&f, maxv * 1.5), ==, maxc);
  g_assert_cmphex (bs_format_encode (&f, -maxv * 4), ==, maxc | half);
  g_assert_cmphex (bs_format_encode (&f, 1e300), ==, maxc);
  /* inf stays inf where the layout has it, else saturates */
  if (l->special == 'I')
    {
      g_assert_true (isinf (bs_format_round (&f, INFINITY)));
      g_assert_true (bs_format_round (&f, -INFINITY) < 0);
    }
  else
    g_assert_cmpfloat (bs_format_round (&f, -INFINITY), ==, -maxv);
  /* NaN stays NaN */
  g_assert_true (isnan (bs_format_round (&f, NAN)));
  /* underflow: half the smallest subnormal ties to zero (even), keeping the sign */
  {
    double tiny = ref_value (l, 1);
    bs_assert_same (bs_format_round (&f, tiny / 2), 0.0, "%s tie to zero", l->name);
    bs_assert_same (bs_format_round (&f, -tiny / 2), -0.0, "%s -tie to -zero", l->name);
    bs_assert_same (bs_format_round (&f, nextafter (tiny / 2, 1)), tiny, "%s above tie", l->name);
    bs_assert_same (bs_format_round (&f, 1e-300), 0.0, "%s deep underflow", l->name);
  }
}

/* The fast float32 kernel equals the reference on every code, every midpoint
 * (as far as floats reach) and 10^6 random bit patterns. */
static void
check_fast (const char *name, uint32_t ncodes)
{
  bs_format f;
  bs_test_rng rng = { 42 };
  enum { N_RANDOM = 1000000 };
  g_autofree float *in = g_new (float, N_RANDOM + 3 * ncodes);
  g_autofree float *out = g_new (float, N_RANDOM + 3 * ncodes);
  size_t n = 0;
  char err[200];

  get_format (name, &f);
  for (uint32_t c = 0; c < ncodes; c++)
    {
      double v = bs_format_decode (&f, c), w = bs_format_decode (&f, c + 1 < ncodes ? c + 1 : c);
      in[n++] = (float) v;
      if (isfinite (v) && isfinite (w))
        {
          in[n++] = (float) ((v + w) / 2);
          in[n++] = nextafterf ((float) ((v + w) / 2), INFINITY);
        }
    }
  for (int i = 0; i < N_RANDOM; i++)
    in[n++] = bs_test_rng_float_bits (&rng);

  g_assert_cmpint (bs_format_quantize (&f, in, out, n, NULL, err, sizeof err), ==, 0);
  for (size_t i = 0; i < n; i++)
    bs_assert_same (out[i], (float) bs_format_round (&f, in[i]), "%s fast(%a)", name, in[i]);

  /* with a scale that is not a power of two */
  {
    bs_qopts o = BS_QOPTS_INIT;
    double ref;
    o.scale = 0.3;
    g_assert_cmpint (bs_format_quantize (&f, in, out, n, &o, err, sizeof err), ==, 0);
    for (size_t i = 0; i < n; i++)
      {
        g_assert_cmpint (bs_format_quantize_ref (&f, (double[]) { in[i] }, &ref, 1, &o, err,
                                                 sizeof err), ==, 0);
        bs_assert_same (out[i], (float) ref, "%s fast(%a)·0.3", name, in[i]);
      }
  }

  /* with power-of-two scales (their own fast path): the codes and midpoints
   * moved by the scale, and the first 10^5 random patterns as they are
   * (subnormal, overflowing, NaN and infinite quotients included) */
  {
    static const double scales[] = { 0.25, 0x1p-20, 0x1p+40, 0x1p-119, 0x1p+119, 4.0 };
    size_t m = n - N_RANDOM + 100000;
    g_autofree float *x = g_new (float, m);
    g_autofree float *y = g_new (float, m);

    for (size_t k = 0; k < G_N_ELEMENTS (scales); k++)
      {
        bs_qopts o = BS_QOPTS_INIT;
        double ref;
        o.scale = scales[k];
        for (size_t i = 0; i < m; i++)
          x[i] = i < n - N_RANDOM ? (float) (in[i] * scales[k]) : in[i];
        g_assert_cmpint (bs_format_quantize (&f, x, y, m, &o, err, sizeof err), ==, 0);
        for (size_t i = 0; i < m; i++)
          {
            g_assert_cmpint (bs_format_quantize_ref (&f, (double[]) { x[i] }, &ref, 1, &o, err,
                                                     sizeof err), ==, 0);
            bs_assert_same (y[i], (float) ref, "%s fast(%a)·%a", name, x[i], scales[k]);
          }
      }
  }
}

static void
test_named_decode (gconstpointer data)
{
  check_decode (data);
}

static void
test_named_encode (gconstpointer data)
{
  check_encode (data);
}

static void
test_named_fast (gconstpointer data)
{
  const layout *l = data;
  check_fast (l->name, 1u << (1 + l->e + l->m));
}

/* Every generic IEEE-style layout of at most 16 bits. */
static void
test_generic_exhaustive (void)
{
  int count = 0;

  for (int e = 2; e <= 8; e++)
    for (int m = 0; 1 + e + m <= 16; m++)
      {
        layout l = { NULL, e, m, (1 << (e - 1)) - 1, 'I' };
        g_autofree char *name = g_strdup_printf ("float_e%dm%d", e, m);
        l.name = name;
        check_decode (&l);
        check_encode (&l);
        if ((e + m) % 3 == 0)
          check_fast (name, 1u << (1 + e + m)); /* a third of them: the kernel is shared */
        count++;
      }
  g_assert_cmpint (count, ==, 77);   /* Σ over E = 2..8 of (16 - E) layouts */
}

static void
test_fp32_identity (void)
{
  bs_format f;
  bs_test_rng rng = { 3 };

  get_format ("fp32", &f);
  g_assert_cmpint (f.bits, ==, 32);
  for (int i = 0; i < 1000000; i++)
    {
      float x = bs_test_rng_float_bits (&rng), y;
      g_assert_cmpint (bs_format_quantize (&f, &x, &y, 1, NULL, NULL, 0), ==, 0);
      bs_assert_same (y, x, "fp32(%a)", x);
      bs_assert_same (bs_format_round (&f, x), x, "fp32 ref(%a)", x);
    }
  /* doubles are rounded to fp32 */
  g_assert_cmpfloat (bs_format_round (&f, 1.0 + 0x1p-24), ==, 1.0);
  g_assert_cmpfloat (bs_format_round (&f, 1.0 + 0x1p-24 + 0x1p-40), ==, 1.0 + 0x1p-23);
}

/* Anchors from REFERENCES.md (OCP / IEEE tables), stated as numbers. */
static void
test_named_limits (void)
{
  static const struct { const char *name; double max, min_normal, min_sub; } t[] = {
    { "fp8_e4m3", 448, 0x1p-6, 0x1p-9 },
    { "fp8_e5m2", 57344, 0x1p-14, 0x1p-16 },
    { "fp6_e2m3", 7.5, 1, 0.125 },
    { "fp6_e3m2", 28, 0.25, 0.0625 },
    { "fp4_e2m1", 6, 1, 0.5 },
    { "fp16", 65504, 0x1p-14, 0x1p-24 },
    { "bf16", 0x1.fep127, 0x1p-126, 0x1p-133 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (t); i++)
    {
      bs_format f;
      get_format (t[i].name, &f);
      g_assert_cmpfloat (f.max, ==, t[i].max);
      g_assert_cmpfloat (f.min_pos, ==, t[i].min_sub);
      g_assert_cmpfloat (bs_format_round (&f, t[i].min_normal), ==, t[i].min_normal);
      g_assert_cmpfloat (bs_format_round (&f, nextafter (t[i].min_normal, 0)), ==, t[i].min_normal);
    }
  /* FP4 E2M1 holds exactly ±{0, 0.5, 1, 1.5, 2, 3, 4, 6} */
  {
    static const double v[8] = { 0, 0.5, 1, 1.5, 2, 3, 4, 6 };
    bs_format f;
    get_format ("fp4_e2m1", &f);
    for (uint32_t c = 0; c < 8; c++)
      {
        g_assert_cmpfloat (bs_format_decode (&f, c), ==, v[c]);
        g_assert_cmpfloat (bs_format_decode (&f, c | 8), ==, -v[c]);
      }
  }
  /* E4M3 FN: S.1111.111 is NaN and there is no inf; E5M2 has both */
  {
    bs_format f;
    get_format ("fp8_e4m3", &f);
    g_assert_true (isnan (bs_format_decode (&f, 0x7f)));
    g_assert_true (isnan (bs_format_decode (&f, 0xff)));
    g_assert_cmpfloat (bs_format_decode (&f, 0x78), ==, 256);
    g_assert_cmpfloat (bs_format_decode (&f, 0x7e), ==, 448);
    get_format ("fp8_e5m2", &f);
    g_assert_true (isinf (bs_format_decode (&f, 0x7c)));
    for (uint32_t c = 0x7d; c <= 0x7f; c++)
      g_assert_true (isnan (bs_format_decode (&f, c)));
  }
}

/* fp16 against the compiler's own IEEE binary16, where the platform has it. */
static void
test_fp16_cpu (void)
{
#ifdef __FLT16_MANT_DIG__
  bs_format f;
  bs_test_rng rng = { 7 };

  get_format ("fp16", &f);
  for (uint32_t c = 0; c < 65536; c++)
    {
      uint16_t bits = (uint16_t) c;
      _Float16 h;
      memcpy (&h, &bits, sizeof h);
      bs_assert_same (bs_format_decode (&f, c), (double) h, "fp16 0x%04x vs CPU", c);
    }
  for (int i = 0; i < 1000000; i++)
    {
      float x = bs_test_rng_float_bits (&rng);
      float y;
      _Float16 h = (_Float16) x;      /* IEEE: overflow to inf */
      if (!(fabsf (x) < 65520.0f))
        continue;                     /* the engine saturates instead */
      g_assert_cmpint (bs_format_quantize (&f, &x, &y, 1, NULL, NULL, 0), ==, 0);
      bs_assert_same (y, (float) h, "fp16(%a) vs CPU", x);
    }
#else
  g_test_skip ("no _Float16 on this compiler/target");
#endif
}

/* A power-of-two scale is applied in float over runs of elements, and a run
 * holding one quotient outside the normal range (subnormal, beyond 2^100,
 * NaN, infinite) takes the general path, the runs around it not.  Long
 * buffers of ordinary values with such elements inside runs, at both ends of
 * a run and next to each other, quantized into another buffer and in place
 * (out = in): every element against the reference.  One of them is a
 * quotient that float arithmetic would get wrong: with s = 2^20, x = (2.5 ·
 * 2^-133 + 2^-151) · s is a normal float, but x · 2^-20 rounds to the float
 * subnormal 2.5 · 2^-133, a tie in bf16 (quantum 2^-133 there) that goes to
 * 2 · 2^-133, while x / s itself lies above the tie: 3 · 2^-133. */
static void
check_pow2_runs (const char *name, double scale)
{
  enum { N = 5000 };
  bs_format f;
  bs_test_rng rng = { 7 };
  g_autofree float *in = g_new (float, N);
  g_autofree float *out = g_new (float, N);
  g_autofree float *inplace = g_new (float, N);
  bs_qopts o = BS_QOPTS_INIT;
  char err[200];
  /* positions in and around runs of any length 256 … 4096 */
  static const int at[] = { 0, 255, 256, 1023, 1024, 1500, 2047, 2048, 2049, 3333, 4095, 4999 };

  get_format (name, &f);
  o.scale = scale;
  for (int i = 0; i < N; i++)
    in[i] = (float) (bs_test_rng_float_log (&rng, -12, 12) * scale);
  for (size_t k = 0; k < G_N_ELEMENTS (at); k++)
    switch (k % 6)
      {
      case 0:
        in[at[k]] = (float) (0x1p-131 * scale);    /* quotient subnormal */
        break;
      case 1:
        in[at[k]] = (float) (-0x1p+110 * scale);   /* quotient beyond 2^100 */
        break;
      case 2:
        in[at[k]] = NAN;
        break;
      case 3:
        in[at[k]] = -INFINITY;
        break;
      case 4:
        in[at[k]] = -0.0f;                         /* zero: stays on the fast path */
        break;
      default:
        in[at[k]] = (float) ((2.5 * 0x1p-133 + 0x1p-151) * scale);
        break;
      }

  memcpy (inplace, in, N * sizeof *in);
  g_assert_cmpint (bs_format_quantize (&f, in, out, N, &o, err, sizeof err), ==, 0);
  g_assert_cmpint (bs_format_quantize (&f, inplace, inplace, N, &o, err, sizeof err), ==, 0);
  for (int i = 0; i < N; i++)
    {
      double ref;
      g_assert_cmpint (bs_format_quantize_ref (&f, (double[]) { in[i] }, &ref, 1, &o, err,
                                               sizeof err), ==, 0);
      bs_assert_same (out[i], (float) ref, "%s(%a)·%a at %d", name, in[i], scale, i);
      bs_assert_same (inplace[i], (float) ref, "%s(%a)·%a in place at %d", name, in[i], scale,
                      i);
    }
}

static void
test_pow2_runs (void)
{
  static const char *const names[] = { "fp8_e4m3", "fp8_e5m2", "bf16", "fp16", "fp4_e2m1" };
  static const double scales[] = { 0x1p-7, 0x1p+3, 0x1p+20, 0x1p-100 };

  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    for (size_t k = 0; k < G_N_ELEMENTS (scales); k++)
      check_pow2_runs (names[i], scales[k]);
}

static void
test_parse_errors (void)
{
  static const char *const bad[] = {
    "", "fp7", "float_e1m3", "float_e9m2", "float_e4m24", "float_e04m3", "float_e4m3x",
    "FP16", "fp16 ", "float_e-4m3",
  };
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      bs_format f;
      char err[200] = "";
      g_assert_cmpint (bs_format_parse (bad[i], &f, err, sizeof err), ==, -1);
      g_assert_cmpstr (err, !=, "");
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (size_t i = 0; i < G_N_ELEMENTS (named); i++)
    {
      g_autofree char *p1 = g_strdup_printf ("/engine/formats/%s/exhaustive/decode", named[i].name);
      g_autofree char *p2 = g_strdup_printf ("/engine/formats/%s/exhaustive/rounding", named[i].name);
      g_autofree char *p3 = g_strdup_printf ("/engine/formats/%s/fast-equals-reference", named[i].name);
      g_test_add_data_func (p1, &named[i], test_named_decode);
      g_test_add_data_func (p2, &named[i], test_named_encode);
      g_test_add_data_func (p3, &named[i], test_named_fast);
    }
  g_test_add_func ("/engine/formats/float/generic-exhaustive", test_generic_exhaustive);
  g_test_add_func ("/engine/formats/float/limits", test_named_limits);
  g_test_add_func ("/engine/formats/fp32/identity", test_fp32_identity);
  g_test_add_func ("/engine/formats/fp16/cpu-conversion", test_fp16_cpu);
  g_test_add_func ("/engine/formats/float/parse-errors", test_parse_errors);
  g_test_add_func ("/engine/formats/float/pow2-scale-runs", test_pow2_runs);
  return g_test_run ();
}
