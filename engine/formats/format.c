/* format.c — the traits table, name parsing and the generic quantizers. */
#include "bs-format-private.h"
#include "bs-simd-clones.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>

/* The traits table: adding a family is adding a row here and its file. */
static const bs_format_traits *const families[] = {
  &_bs_float_traits,
  &_bs_fixed_traits,
  &_bs_int_traits,
  &_bs_binary_traits,
  &_bs_ternary_traits,
  &_bs_posit_traits,
  &_bs_log_traits,
  &_bs_nf4_traits,
  &_bs_mx_traits,
  &_bs_nvfp4_traits,
  &_bs_kmeans_traits,
};

_Static_assert (sizeof families / sizeof families[0] == BS_N_FAMILIES,
                "one traits row per family");

static const char *const listed_names[] = {
  "fp32", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "fp6_e3m2", "fp6_e2m3", "fp4_e2m1",
  "float_e<E>m<M>",
  "fixed1", "fixed2", "fixed3", "fixed4", "fixed5", "fixed6", "fixed7", "fixed8",
  "fixed9", "fixed10", "fixed11", "fixed12", "fixed13", "fixed14", "fixed15", "fixed16",
  "int2", "int3", "int4", "int5", "int6", "int7", "int8",
  "int9", "int10", "int11", "int12", "int13", "int14", "int15", "int16",
  "binary", "ternary",
  "posit8_0", "posit8_2", "posit16_1", "posit16_2", "posit32_2", "posit<N>_<ES>",
  "log8", "log16", "log<N>_<ES>",
  "nf4", "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "mxint8", "nvfp4",
  "kmeans2", "kmeans4", "kmeans16", "kmeans256", "kmeans<K>",
  NULL,
};

const char *const *
bs_format_listed_names (void)
{
  return listed_names;
}

const bs_format_traits *const *
bs_format_families (size_t *n)
{
  if (n)
    *n = sizeof families / sizeof families[0];
  return families;
}

int
_bs_fail (char *err, size_t errlen, const char *fmt, ...)
{
  if (err && errlen)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (err, errlen, fmt, ap);
      va_end (ap);
    }
  return -1;
}

/* Read an unsigned decimal without sign or leading zero; advance *s. */
static int
read_uint (const char **s, int *out)
{
  const char *p = *s;
  long v = 0;

  if (!isdigit ((unsigned char) *p) || (p[0] == '0' && isdigit ((unsigned char) p[1])))
    return 0;
  while (isdigit ((unsigned char) *p))
    {
      v = v * 10 + (*p++ - '0');
      if (v > 1000000)
        return 0;
    }
  *out = (int) v;
  *s = p;
  return 1;
}

int
_bs_parse_int_suffix (const char *name, const char *prefix, int *a)
{
  size_t len = strlen (prefix);
  const char *p = name + len;

  if (strncmp (name, prefix, len) != 0 || !read_uint (&p, a))
    return 0;
  return *p == '\0';
}

int
_bs_parse_two_ints (const char *name, const char *prefix, const char *sep, int *a, int *b)
{
  size_t len = strlen (prefix), seplen = strlen (sep);
  const char *p = name + len;

  if (strncmp (name, prefix, len) != 0 || !read_uint (&p, a))
    return 0;
  if (strncmp (p, sep, seplen) != 0)
    return 0;
  p += seplen;
  if (!read_uint (&p, b))
    return 0;
  return *p == '\0';
}

int
bs_format_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  if (!name || !*name)
    return _bs_fail (err, errlen, "empty format name");
  if (strlen (name) >= sizeof f->name)
    return _bs_fail (err, errlen, "unknown format '%.40s…'", name);

  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
    {
      bs_format tmp;
      int r;

      memset (&tmp, 0, sizeof tmp);
      r = families[i]->parse (name, &tmp, err, errlen);
      if (r < 0)
        return -1;
      if (r > 0)
        {
          tmp.traits = families[i];
          snprintf (tmp.name, sizeof tmp.name, "%s", name);
          *f = tmp;
          return 0;
        }
    }
  return _bs_fail (err, errlen,
                   "unknown format '%s' (see `bitscape-cli formats` for the names)", name);
}

bs_family
bs_format_family (const bs_format *f)
{
  return f->traits->family;
}

bool
bs_format_is_block (const bs_format *f)
{
  return f->traits->quantize_tensor_ref != NULL;
}

bool
bs_format_has_codes (const bs_format *f)
{
  return f->traits->decode != NULL && f->traits->encode != NULL;
}

uint32_t
bs_format_n_codes (const bs_format *f)
{
  return f->bits >= 32 ? UINT32_MAX : (uint32_t) 1 << f->bits;
}

bs_acc
bs_format_exact_acc (const bs_format *f)
{
  /* ELMA is defined for log8 and log16 only; other log widths sum their
   * exact products in a Kulisch register */
  if (f->traits->family == BS_FAMILY_LOG
      && !((f->bits == 8 && f->p.log.tapered && f->p.log.es == 1)
           || (f->bits == 16 && !f->p.log.tapered)))
    return BS_ACC_KULISCH;
  return f->traits->exact_acc;
}

/* Whether every value of f is a float32 (so a kernel's float result, times a
 * scale in double, rounds once).  Log values are irrational; posits may have
 * more precision or range than a float. */
static bool
values_are_floats (const bs_format *f)
{
  switch (f->traits->family)
    {
    case BS_FAMILY_LOG:
      return false;
    case BS_FAMILY_POSIT:
      return f->p.posit.n - 3 - f->p.posit.es <= 23
             && (double) (f->p.posit.n - 2) * (1 << f->p.posit.es) <= 126;
    default:
      return true;
    }
}

static const char *const acc_names[BS_N_ACCS] = {
  [BS_ACC_EXACT] = "exact",
  [BS_ACC_KULISCH] = "kulisch",
  [BS_ACC_QUIRE] = "quire",
  [BS_ACC_ELMA] = "elma",
  [BS_ACC_INT32] = "int32",
  [BS_ACC_FP32] = "fp32",
  [BS_ACC_FP16] = "fp16",
};

const char *
bs_acc_name (bs_acc acc)
{
  return (unsigned) acc < BS_N_ACCS ? acc_names[acc] : "?";
}

int
bs_acc_parse (const char *name, bs_acc *acc)
{
  for (int i = 0; i < BS_N_ACCS; i++)
    if (name && strcmp (name, acc_names[i]) == 0)
      {
        *acc = (bs_acc) i;
        return 0;
      }
  return -1;
}

double
bs_format_decode (const bs_format *f, uint32_t code)
{
  return f->traits->decode ? f->traits->decode (f, code) : NAN;
}

uint32_t
bs_format_encode (const bs_format *f, double x)
{
  return f->traits->encode ? f->traits->encode (f, x) : BS_CODE_NAN;
}

double
bs_format_round (const bs_format *f, double x)
{
  uint32_t c;

  if (isnan (x) || !f->traits->encode)
    return NAN;
  c = f->traits->encode (f, x);
  /* in a 32-bit format UINT32_MAX is an ordinary code (posit32: -minpos) */
  return c == BS_CODE_NAN && f->bits < 32 ? NAN : f->traits->decode (f, c);
}

static int
check_opts (const bs_qopts *o, char *err, size_t errlen)
{
  if (!(isfinite (o->scale) && o->scale > 0))
    return _bs_fail (err, errlen, "scale must be a finite number > 0 (got %g)", o->scale);
  if (o->block < 0 || o->block > (1 << 20))
    return _bs_fail (err, errlen, "block size %d out of range (1..1048576)", o->block);
  if (o->iterations < 0 || o->iterations > 10000)
    return _bs_fail (err, errlen, "k-means iterations %d out of range (0..10000)",
                     o->iterations);
  return 0;
}

int
bs_format_quantize_ref (const bs_format *f, const double *in, double *out, size_t n,
                        const bs_qopts *o, char *err, size_t errlen)
{
  static const bs_qopts defaults = BS_QOPTS_INIT;

  if (!o)
    o = &defaults;
  if (check_opts (o, err, errlen) < 0)
    return -1;
  if (f->traits->quantize_tensor_ref)
    return f->traits->quantize_tensor_ref (f, in, out, n, o, err, errlen);

  for (size_t i = 0; i < n; i++)
    out[i] = bs_format_round (f, in[i] / o->scale) * o->scale;
  return 0;
}

/* Element formats on float32.  The family kernel works at unit scale; with a
 * scale, x / scale is formed in double, and where that quotient is not a float
 * the element takes the reference path, so the result always equals
 * (float) ref(x).  Runs of CHUNK elements stay in the L1 cache between the
 * passes below. */
#define CHUNK 1024

/* The loops of the power-of-two path are compiled for AVX2 and AVX-512 as
 * well on x86-64, the widest the CPU has being chosen at load time (as the
 * float family's kernel, float.c). */

static void
quantize_unit (const bs_format *f, const float *in, float *out, size_t n)
{
  if (f->traits->quantize_unit)
    {
      f->traits->quantize_unit (f, in, out, n);
      return;
    }
  for (size_t i = 0; i < n; i++)
    out[i] = (float) bs_format_round (f, in[i]);
}

/* y = x · inv, and whether every product is zero or a normal float no
 * larger than 2^100 (the condition of the power-of-two path below). */
BS_SIMD_CLONES static bool
scale_pow2 (const float *in, float *y, size_t m, float inv)
{
  int bad = 0;

  for (size_t i = 0; i < m; i++)
    {
      float v = in[i] * inv, a = fabsf (v);
      y[i] = v;
      bad |= !(a == 0.0f || (a >= 0x1p-126f && a <= 0x1p+100f));
    }
  return !bad;
}

BS_SIMD_CLONES static void
rescale_pow2 (const float *q, float *out, size_t m, float sc)
{
  for (size_t i = 0; i < m; i++)
    out[i] = q[i] * sc;
}

int
bs_format_quantize (const bs_format *f, const float *in, float *out, size_t n,
                    const bs_qopts *o, char *err, size_t errlen)
{
  static const bs_qopts defaults = BS_QOPTS_INIT;
  bool floats;

  if (!o)
    o = &defaults;
  if (check_opts (o, err, errlen) < 0)
    return -1;
  if (f->traits->quantize_tensor)
    return f->traits->quantize_tensor (f, in, out, n, o, err, errlen);

  if (o->scale == 1.0)
    {
      quantize_unit (f, in, out, n);
      return 0;
    }
  floats = values_are_floats (f);

  /* A power-of-two scale whose reciprocal is a normal float: x · (1/s) is
   * x / s, exactly, whenever the product is a normal float or zero, and
   * (float) (v · s) is then q · s in float.  Those elements take float
   * arithmetic only; the others (and NaN) fall to the general path below. */
  {
    int e;
    double fr = frexp (o->scale, &e);
    if (floats && fr == 0.5 && e > -120 && e < 120)
      {
        float inv = (float) (1.0 / o->scale), sc = (float) o->scale;
        uintptr_t i0 = (uintptr_t) in, o0 = (uintptr_t) out, nb = n * sizeof (float);
        bool one_pass = f->traits->quantize_pow2 && (i0 + nb <= o0 || o0 + nb <= i0);
        for (size_t base = 0; base < n; base += CHUNK)
          {
            size_t m = n - base < CHUNK ? n - base : CHUNK;
            float y[CHUNK], q[CHUNK];
            if (one_pass && f->traits->quantize_pow2 (f, in + base, out + base, m, inv, sc))
              continue;
            if (!scale_pow2 (in + base, y, m, inv))
              {
                /* the general path for this run of elements */
                for (size_t i = 0; i < m; i++)
                  {
                    double d = (double) in[base + i] / o->scale;
                    float yy = (float) d, qq;
                    bool exact = (double) yy == d || isnan (d);
                    quantize_unit (f, &yy, &qq, 1);
                    double vv = exact ? (double) qq : bs_format_round (f, d);
                    out[base + i] = (float) (vv * o->scale);
                  }
                continue;
              }
            quantize_unit (f, y, q, m);
            rescale_pow2 (q, out + base, m, sc);
          }
        return 0;
      }
  }

  for (size_t base = 0; base < n; base += CHUNK)
    {
      size_t m = n - base < CHUNK ? n - base : CHUNK;
      float y[CHUNK], q[CHUNK];
      bool exact[CHUNK];

      for (size_t i = 0; i < m; i++)
        {
          double d = (double) in[base + i] / o->scale;
          y[i] = (float) d;
          exact[i] = (double) y[i] == d || isnan (d);
        }
      quantize_unit (f, y, q, m);
      for (size_t i = 0; i < m; i++)
        {
          double d = (double) in[base + i] / o->scale;
          double v = exact[i] && floats ? (double) q[i] : bs_format_round (f, d);
          out[base + i] = (float) (v * o->scale);
        }
    }
  return 0;
}

/* Calibration ------------------------------------------------------------ */

double
bs_calib_max_abs (const float *x, size_t n)
{
  float m = 0.0f;

  for (size_t i = 0; i < n; i++)
    {
      float a = fabsf (x[i]);
      if (a > m)     /* NaN compares false and is skipped */
        m = a;
    }
  return m;
}

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

double
bs_calib_percentile (const float *x, size_t n, double p)
{
  float *v;
  size_t m = 0, rank;
  double r;

  if (n == 0 || !(p > 0 && p <= 100))
    return 0.0;
  v = malloc (n * sizeof *v);
  if (!v)
    return bs_calib_max_abs (x, n);
  for (size_t i = 0; i < n; i++)
    if (!isnan (x[i]))
      v[m++] = fabsf (x[i]);
  if (m == 0)
    {
      free (v);
      return 0.0;
    }
  qsort (v, m, sizeof *v, cmp_float);
  /* nearest rank: the smallest value with at least p % of the data ≤ it */
  rank = (size_t) ceil (p / 100.0 * (double) m);
  if (rank < 1)
    rank = 1;
  r = v[rank - 1];
  free (v);
  return r;
}

double
bs_calib_pow2_scale (double range, double fmt_max)
{
  int e;

  if (!(range > 0) || !isfinite (range) || !(fmt_max > 0))
    return 1.0;
  /* smallest 2^e with range ≤ 2^e · fmt_max */
  frexp (range / fmt_max, &e);
  if (ldexp (1.0, e - 1) * fmt_max >= range)
    e--;
  return ldexp (1.0, e);
}

double
bs_calib_scale (double range, double fmt_max)
{
  if (!(range > 0) || !isfinite (range) || !(fmt_max > 0))
    return 1.0;
  return range / fmt_max;
}

void
bs_format_describe (const bs_format *f, char *buf, size_t len)
{
  if (f->traits->describe)
    f->traits->describe (f, buf, len);
  else
    snprintf (buf, len, "%s", f->traits->summary);
}
