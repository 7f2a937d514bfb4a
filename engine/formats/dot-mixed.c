/* dot-mixed.c — the reference dot product of two formats (bs-dot-kernel.h):
 * which accumulator applies to a pair, and the plain sum through it.
 *
 * Every accumulator here is the one bs_dot uses (dot.c and the families'
 * quire, ELMA and log Kulisch); what is new is only that the two vectors may
 * have different formats and scales.  Kept slow and obvious: the fast kernels
 * (dot-kernels.c) are tested against it. */
#include "bs-dot-kernel.h"
#include "bs-format-private.h"

#include <stdlib.h>

/* Shared with dot-kernels.c. */
bool _bs_dot_integer_step (const bs_format *f, double *step);
bs_kulisch *_bs_dot_kulisch_pair (const bs_format *fa, const bs_format *fb);

/* The quantum of a format whose values are integers times it. */
bool
_bs_dot_integer_step (const bs_format *f, double *step)
{
  switch (bs_format_family (f))
    {
    case BS_FAMILY_INT:
    case BS_FAMILY_BINARY:
    case BS_FAMILY_TERNARY:
      *step = 1.0;
      return true;
    case BS_FAMILY_FIXED:
      *step = f->p.fixed.q == 1 ? 1.0 : f->min_pos;
      return true;
    default:
      return false;
    }
}

static bool
same_format (const bs_format *fa, const bs_format *fb)
{
  return strcmp (fa->name, fb->name) == 0;
}

static bool
has_elma (const bs_format *f)
{
  return bs_format_family (f) == BS_FAMILY_LOG && bs_format_exact_acc (f) == BS_ACC_ELMA;
}

int
bs_dot_resolve (const bs_format *fa, const bs_format *fb, bs_acc acc, bs_acc *out, char *err,
                size_t errlen)
{
  double ua, ub;
  bool posits = bs_format_family (fa) == BS_FAMILY_POSIT
                && bs_format_family (fb) == BS_FAMILY_POSIT;
  bool ints = _bs_dot_integer_step (fa, &ua) && _bs_dot_integer_step (fb, &ub);

  if (acc == BS_ACC_EXACT)
    {
      if (same_format (fa, fb))
        acc = bs_format_exact_acc (fa);
      else if (posits && fa->p.posit.es == fb->p.posit.es)
        acc = BS_ACC_QUIRE;
      else if (ints)
        acc = BS_ACC_INT32;
      else
        acc = BS_ACC_KULISCH;
    }
  switch (acc)
    {
    case BS_ACC_QUIRE:
      if (!posits)
        return _bs_fail (err, errlen, "the quire accumulates posits, not %s × %s", fa->name,
                         fb->name);
      if (fa->p.posit.es != fb->p.posit.es)
        return _bs_fail (err, errlen, "%s × %s: posits of different es have no common quire",
                         fa->name, fb->name);
      break;
    case BS_ACC_ELMA:
      if (!same_format (fa, fb) || !has_elma (fa))
        return _bs_fail (err, errlen, "ELMA is defined for log8 and log16 (the same on both sides), not %s × %s",
                         fa->name, fb->name);
      break;
    case BS_ACC_INT32:
      if (!ints)
        return _bs_fail (err, errlen,
                         "int32 accumulation needs integer formats (int<N>, fixed<Q>, binary, "
                         "ternary) on both sides, not %s × %s", fa->name, fb->name);
      break;
    case BS_ACC_KULISCH:
    case BS_ACC_FP32:
    case BS_ACC_FP16:
      break;
    case BS_ACC_EXACT:
    case BS_N_ACCS:
    default:
      return _bs_fail (err, errlen, "unknown accumulator");
    }
  *out = acc;
  return 0;
}

/* Did the register reach inf from finite operands? */
static bool
overflowed (double s, const double *qa, const double *qb, size_t n)
{
  if (!isinf (s))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isfinite (qa[i]) || !isfinite (qb[i]))
      return false;
  return true;
}

/* fp32: both operands held in fp32, product and running sum rounded. */
static void
dot_fp32 (const double *qa, const double *qb, size_t n, bs_dot_result *r)
{
  float s = 0.0f;

  for (size_t i = 0; i < n; i++)
    {
      float p = (float) ((double) (float) qa[i] * (double) (float) qb[i]);
      s = s + p;
    }
  r->value = s;
  r->overflow = overflowed (s, qa, qb, n);
}

static void
dot_fp16 (const double *qa, const double *qb, size_t n, bs_dot_result *r)
{
  double s = 0.0;

  for (size_t i = 0; i < n; i++)
    {
      double p = _bs_round_fp16 (_bs_round_fp16 (qa[i]) * _bs_round_fp16 (qb[i]));
      s = _bs_round_fp16 (s + p);
    }
  r->value = s;
  r->overflow = overflowed (s, qa, qb, n);
}

/* int32: codes qa/ua and qb/ub multiplied and summed modulo 2^32. */
static int
dot_int32 (const double *qa, const double *qb, size_t n, double ua, double ub,
           bs_dot_result *r, char *err, size_t errlen)
{
  uint32_t acc = 0;
  int64_t exact = 0;
  bool wide = false;

  for (size_t i = 0; i < n; i++)
    {
      double ka = qa[i] / ua, kb = qb[i] / ub;
      int64_t p;

      if (isnan (ka) || isnan (kb))
        return _bs_fail (err, errlen, "int32 accumulation of NaN (element %zu)", i);
      p = (int64_t) ka * (int64_t) kb;
      acc += (uint32_t) p;
      if (__builtin_add_overflow (exact, p, &exact))
        wide = true;
    }
  r->value = (double) (int32_t) acc * ua * ub;
  r->overflow = wide || (int64_t) (int32_t) acc != exact;
  return 0;
}

/* A Kulisch register for products of fa and fb, as bs_dot sizes one for a
 * single format (40 carry bits): the exponent range of each format is read
 * off the register bs_kulisch_new_for_format makes for it. */
bs_kulisch *
_bs_dot_kulisch_pair (const bs_format *fa, const bs_format *fb)
{
  bs_kulisch *ka, *kb, *k = NULL;

  if (same_format (fa, fb) && !bs_format_is_block (fa))
    return bs_kulisch_new_for_format (fa, 40);
  if (bs_format_is_block (fa) || bs_format_is_block (fb))
    return bs_kulisch_new (-2200, 2100);
  ka = bs_kulisch_new_for_format (fa, 0);
  kb = bs_kulisch_new_for_format (fb, 0);
  if (ka && kb)
    k = bs_kulisch_new ((bs_kulisch_lsb (ka) + bs_kulisch_lsb (kb)) / 2,
                        (bs_kulisch_msb (ka) + bs_kulisch_msb (kb)) / 2 + 40);
  bs_kulisch_free (ka);
  bs_kulisch_free (kb);
  return k;
}

static int
dot_kulisch (const bs_format *fa, const bs_format *fb, const double *qa, const double *qb,
             size_t n, bs_dot_result *r, char *err, size_t errlen)
{
  bs_kulisch *k = _bs_dot_kulisch_pair (fa, fb);

  if (!k)
    return _bs_fail (err, errlen, "out of memory");
  for (size_t i = 0; i < n; i++)
    bs_kulisch_add_product (k, qa[i], qb[i]);
  r->value = bs_kulisch_value (k);
  r->overflow = bs_kulisch_overflowed (k);
  if (same_format (fa, fb) && bs_format_has_codes (fa) && !bs_format_is_block (fa))
    r->rounded = bs_format_round (fa, bs_kulisch_value_odd (k));
  else
    r->rounded = (double) (float) bs_kulisch_value_odd (k);
  bs_kulisch_free (k);
  return 0;
}

int
bs_dot_values (const bs_format *fa, const bs_format *fb, bs_acc acc, const double *qa,
               const double *qb, size_t n, double sa, double sb, bs_dot_result *r, char *err,
               size_t errlen)
{
  double ua = 1.0, ub = 1.0;
  bool same = same_format (fa, fb);
  int ret = -1;

  memset (r, 0, sizeof *r);
  r->rounded = NAN;
  if (bs_dot_resolve (fa, fb, acc, &acc, err, errlen) < 0)
    return -1;
  r->acc = acc;

  switch (acc)
    {
    case BS_ACC_FP32:
      dot_fp32 (qa, qb, n, r);
      ret = 0;
      break;
    case BS_ACC_FP16:
      dot_fp16 (qa, qb, n, r);
      ret = 0;
      break;
    case BS_ACC_INT32:
      _bs_dot_integer_step (fa, &ua);
      _bs_dot_integer_step (fb, &ub);
      ret = dot_int32 (qa, qb, n, ua, ub, r, err, errlen);
      break;
    case BS_ACC_QUIRE:
      ret = _bs_posit_dot_quire (fa->bits >= fb->bits ? fa : fb, qa, qb, n, r, err, errlen);
      break;
    case BS_ACC_ELMA:
      ret = _bs_log_dot_elma (fa, qa, qb, n, r, err, errlen);
      break;
    case BS_ACC_KULISCH:
      if (same && bs_format_family (fa) == BS_FAMILY_LOG)
        ret = _bs_log_dot_kulisch (fa, qa, qb, n, r, err, errlen);
      else
        ret = dot_kulisch (fa, fb, qa, qb, n, r, err, errlen);
      break;
    case BS_ACC_EXACT:
    case BS_N_ACCS:
    default:
      return _bs_fail (err, errlen, "unknown accumulator");
    }
  if (ret < 0)
    return -1;

  /* registers that round after every operation: their content is the
   * result; rounding it into the (one) format is one more rounding */
  if (acc == BS_ACC_FP32 || acc == BS_ACC_FP16 || acc == BS_ACC_INT32)
    r->rounded = same && bs_format_has_codes (fa) && !bs_format_is_block (fa)
                 ? bs_format_round (fa, r->value) : (double) (float) r->value;
  r->acc = acc;
  r->value *= sa * sb;
  r->rounded *= sa * sb;
  return 0;
}

int
bs_dot_mixed (const bs_format *fa, const bs_format *fb, bs_acc acc, const double *a,
              const double *b, size_t n, const bs_qopts *oa, const bs_qopts *ob,
              bs_dot_result *r, char *err, size_t errlen)
{
  static const bs_qopts defaults = BS_QOPTS_INIT;
  bs_qopts ua, ub;
  double *xa = NULL, *xb = NULL, *qa = NULL, *qb = NULL;
  int ret = -1;

  memset (r, 0, sizeof *r);
  if (bs_dot_resolve (fa, fb, acc, &r->acc, err, errlen) < 0)
    return -1;
  ua = oa ? *oa : defaults;
  ub = ob ? *ob : defaults;
  if (!(isfinite (ua.scale) && ua.scale > 0) || !(isfinite (ub.scale) && ub.scale > 0))
    return _bs_fail (err, errlen, "scale must be a finite number > 0 (got %g and %g)", ua.scale,
                     ub.scale);

  xa = malloc ((n ? n : 1) * sizeof *xa);
  xb = malloc ((n ? n : 1) * sizeof *xb);
  qa = malloc ((n ? n : 1) * sizeof *qa);
  qb = malloc ((n ? n : 1) * sizeof *qb);
  if (!xa || !xb || !qa || !qb)
    {
      _bs_fail (err, errlen, "out of memory for %zu elements", n);
      goto out;
    }
  /* as bs_dot: a / scale quantized at unit scale */
  for (size_t i = 0; i < n; i++)
    {
      xa[i] = a[i] / ua.scale;
      xb[i] = b[i] / ub.scale;
    }
  {
    double sa = ua.scale, sb = ub.scale;
    ua.scale = ub.scale = 1.0;
    if (bs_format_quantize_ref (fa, xa, qa, n, &ua, err, errlen) < 0
        || bs_format_quantize_ref (fb, xb, qb, n, &ub, err, errlen) < 0)
      goto out;
    ret = bs_dot_values (fa, fb, acc, qa, qb, n, sa, sb, r, err, errlen);
  }

out:
  free (xa);
  free (xb);
  free (qa);
  free (qb);
  return ret;
}

double
bs_dot_output (const bs_dot_result *r)
{
  return r->acc == BS_ACC_ELMA ? r->rounded : r->value;
}
